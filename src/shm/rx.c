/* SPDX-License-Identifier: MIT */
/*
 * rx.c — peer liveness, the notification protocol, waiting, and the RX ops
 * (which hand the burst to the role: client.c, server.c).
 */
#include "shm_ep.h"

#include "core/offload.h"
#include "core/rx_policy.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Look at the peer fd without blocking. It carries no data after the
 * handshake: EOF or an error means the peer is gone; data is a protocol
 * violation. Return 0 when the peer is there, else a negative reason.
 */
static int peer_check_revents(struct shm_ep *e, short revents)
{
	if (!(revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		return 0;
	if (revents & POLLNVAL)
		return -EBADF;
	char c;
	ssize_t n = recv(e->peer_fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
	if (n > 0)
		return pl_ep_error(&e->ep, -EPROTO,
				   "shm peer sent data on the peer socket, which must stay silent "
				   "after the handshake: disconnected");
	if (n == 0)
		return -ECONNRESET;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -errno;
}

/* Non-blocking look at the peer fd (one poll, counted in *sys): 0 or the gone reason. */
int pl_shm_peer_poll(struct shm_ep *e, uint64_t *sys)
{
	if (e->peer_fd < 0)
		return 0;
	struct pollfd p = { .fd = e->peer_fd, .events = POLLIN };
	pl_stat_add(sys, 1);
	if (poll(&p, 1, 0) <= 0)
		return 0;
	return peer_check_revents(e, p.revents);
}

/* Reset our eventfd's counter so that pktlink_fd() stops polling readable (one read). */
static void drain_eventfd(struct shm_ep *e, uint64_t *sys)
{
	uint64_t v;
	pl_stat_add(sys, 1);
	ssize_t r = read(e->wait_efd, &v, sizeof(v));
	(void)r; /* EAGAIN: nothing to drain */
}

/* Something inbound to look at: a record, or local work to retry. */
static bool rx_work(struct shm_ep *e)
{
	return pl_pipe_rx_peek(&e->in) || e->nrepost || e->pend_count;
}

static bool rx_work_cb(void *e)
{
	return rx_work(e);
}

/*
 * The peer hung up (gone < 0): frames it published before dying are still in
 * the pipe and must be delivered first, so report the death only once a look
 * at the pipe AFTER seeing the hang-up finds nothing (a dead peer publishes
 * nothing more, so that look is conclusive). Return 1 (burst again) or gone.
 */
static int peer_gone_after_drain(struct shm_ep *e, int gone)
{
	if (gone < 0 && rx_work(e))
		return 1;
	return gone;
}

/*
 * After a burst that found frames: if we had announced sleep, announce
 * wakefulness (so the peer stops signalling) and drain a signal that may
 * have come, so that pktlink_fd() stops polling readable.
 */
static void rx_awake(struct shm_ep *e)
{
	e->empty_polls = 0;
	if (!e->armed)
		return;
	pl_notify_disarm(e->wait_word);
	e->armed = false;
	if (!e->drained)
		drain_eventfd(e, &e->ep.rxc[0].syscalls);
}

/*
 * After a burst that found nothing. Return 1 when a record showed up during
 * arming (burst again), 0 to report "nothing", or a negative peer-gone
 * reason.
 */
static int rx_idle(struct shm_ep *e)
{
	uint64_t *sys = &e->ep.rxc[0].syscalls;
	if (e->busy_poll) {
		/* Never arm: the peer never signals. Look at the peer fd now
		 * and then, so that a dead peer is noticed without a wait. */
		if (++e->empty_polls % SHM_PEER_CHECK_EVERY == 0)
			return peer_gone_after_drain(e, pl_shm_peer_poll(e, sys));
		return 0;
	}
	if (!e->armed) {
		/* The protocol: store ENABLED, then re-check (both seq_cst, queue.h). */
		pl_notify_arm(e->wait_word);
		e->armed = true;
		e->drained = false;
		return pl_pipe_rx_peek(&e->in) ? 1 : 0;
	}
	/* Armed and still empty: a caller polling pktlink_fd() woke up for a
	 * stale signal or a hang-up. Drain the signal and look at the peer —
	 * on every 8th such call only, so that a caller spinning on
	 * pktlink_rx_burst() without busy_poll does not pay two system calls
	 * per empty poll (a poller may spin up to 8 times on a stale signal). */
	if (++e->empty_polls % 8 != 0)
		return 0;
	if (e->peer_fd < 0) {
		drain_eventfd(e, sys);
		e->drained = true;
		return 0;
	}
	struct pollfd p[2] = { { .fd = e->wait_efd, .events = POLLIN },
			       { .fd = e->peer_fd, .events = POLLIN } };
	pl_stat_add(sys, 1);
	if (poll(p, 2, 0) <= 0)
		return 0;
	if (p[0].revents & POLLIN) {
		drain_eventfd(e, sys);
		e->drained = true;
	}
	return peer_gone_after_drain(e, peer_check_revents(e, p[1].revents));
}

/*
 * Before sleeping, watch the pipe for a short while with signals
 * suppressed: a peer in the middle of a stream publishes again within
 * microseconds, and catching that here saves its eventfd write, our poll
 * and read, and two context switches. Bounded by SHM_SPIN_NS; the looks
 * are paced by how many records the last one found (core/endpoint.h,
 * pl_spin_pace_begin(): a streaming sender must not wait for its header
 * line at every flush).
 * Return true when work showed up.
 */
static bool rx_spin(struct shm_ep *e)
{
	if (e->armed) {
		pl_notify_disarm(e->wait_word);
		e->armed = false;
	}
	uint32_t gap = pl_spin_pace_begin(&e->pace, &e->ep.txc, &e->ep.rxc[0]);
	bool work = pl_spin_until(rx_work_cb, e, e->spin_ns, gap);
	if (e->pace.stream)
		pl_spin_pace_end(&e->pace, work ? pl_pipe_rx_count(&e->in, SHM_SPIN_COUNT_MAX) : 0,
				 e->in_cap);
	return work;
}

/* ops->rx_wait: spin briefly, then arm, re-check, sleep on the eventfd, the
 * peer fd and stop_fd. */
int pl_shm_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms)
{
	struct shm_ep *e = to_shm(ep);
	uint64_t *sys = &ep->rxc[0].syscalls;
	if (e->busy_poll) {
		if (++e->empty_polls % SHM_PEER_CHECK_EVERY == 0)
			return peer_gone_after_drain(e, pl_shm_peer_poll(e, sys));
		return 0;
	}
	if (timeout_ms != 0 && e->spin_ns && rx_spin(e))
		return 1;
	if (!e->armed) {
		pl_notify_arm(e->wait_word);
		e->armed = true;
		e->drained = false;
	}
	if (rx_work(e))
		return 1;
	struct pollfd p[3] = { { .fd = e->wait_efd, .events = POLLIN },
			       { .fd = e->peer_fd, .events = POLLIN },
			       { .fd = stop_fd, .events = POLLIN } };
	pl_stat_add(sys, 1);
	int r = poll(p, 3, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents & POLLIN) {
		drain_eventfd(e, sys);
		e->drained = true;
	}
	if (e->peer_fd >= 0) {
		int g = peer_gone_after_drain(e, peer_check_revents(e, p[1].revents));
		if (g)
			return g;
	}
	return r;
}

/*
 * pl_shm_frame_to_pkt() with a virtio-net header (vnet_len != 0). The
 * header is copied to a local before parsing (read once).
 */
int pl_shm_frame_to_pkt_vnet(struct shm_ep *e, uint8_t *data, uint32_t total,
			     struct pktlink_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	if (total <= e->vnet_len || total - e->vnet_len > e->max_frame)
		return -EINVAL;
	uint8_t hdr[SHM_VNET_LEN];
	memcpy(hdr, data, SHM_VNET_LEN);
	if (pl_vnet_to_pkt(hdr, total - SHM_VNET_LEN, pkt))
		return -EINVAL;
	pkt->data = data + SHM_VNET_LEN;
	pkt->len = total - SHM_VNET_LEN;
	return pl_rx_apply(&e->ep.rxp, pkt, 0, 0) == PL_RX_KEEP ? 0 : -EINVAL;
}

/* Server RX: descriptors in q[0].tx_pipe, completions back in q[0].rx_pipe */

/*
 * ops->rx_burst: the role's burst, then the notification bookkeeping (awake
 * / idle). Packets and bytes are counted here (ops.core_counts is off): the
 * role's loops sum the bytes as they fill the views, which spares core's
 * walk over the burst.
 */
int pl_shm_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	for (int attempt = 0; attempt < 2; attempt++) {
		uint64_t bytes = 0;
		int r = e->role == PKTLINK_SHM_SERVER ? pl_shm_srv_rx_burst(e, pkts, n, &bytes)
						      : pl_shm_cli_rx_burst(e, pkts, n, &bytes);
		if (r != 0) {
			if (r > 0) {
				struct pl_rx_counters *c = &ep->rxc[0];
				pl_stat_add(&c->packets, (uint64_t)r);
				pl_stat_add(&c->bytes, bytes);
				rx_awake(e);
			}
			return r;
		}
		r = rx_idle(e);
		if (r < 0)
			return pl_ep_peer_gone(ep, r);
		if (r == 0)
			return 0;
	}
	return 0;
}

/* ops->rx_release. RX thread. */
void pl_shm_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	if (e->role == PKTLINK_SHM_SERVER)
		pl_shm_srv_rx_release(e, pkts, n);
	else
		pl_shm_cli_rx_release(e, pkts, n);
}
