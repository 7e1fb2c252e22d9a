/* SPDX-License-Identifier: MIT */
/*
 * shm_ep.c — the shared-memory link endpoint: client (the seed's New) and
 * server (NewServerEndpoint) over a queue pair, wire-compatible with gVisor.
 *
 * Data paths (client's names for the queues: q[0] = TX queue, q[1] = RX):
 *
 *   client TX: copy the frame into free buffers of q[0].data, push a packet
 *              descriptor into q[0].tx_pipe, signal q[0]'s eventfd if the
 *              server's word asks for it; reap 8-byte completions from
 *              q[0].rx_pipe lazily at the next transmit.
 *   client RX: post buffers of q[1].data into q[1].tx_pipe; pull packet
 *              completions from q[1].rx_pipe, wait on q[1]'s eventfd/word;
 *              release reposts the buffers.
 *   server RX: pull descriptors from q[0].tx_pipe (wait on q[0]'s word),
 *              release pushes the completion into q[0].rx_pipe.
 *   server TX: pull posted buffers from q[1].tx_pipe into a local cache,
 *              copy the frame into them, push a completion with the bytes
 *              really copied into q[1].rx_pipe, signal q[1]'s eventfd.
 *
 * Everything read from shared memory is read once and checked (queue.h,
 * pipe.h); ids and offsets of the client's own buffers are checked against
 * the client's own table. A malformed pipe or record is a protocol
 * violation: the peer is disconnected (-EPROTO, closed callback). A
 * well-formed record with bad contents is dropped and counted.
 *
 * Threading: the RX path (rx_burst, rx_release, rx_wait) touches only RX
 * state, the TX path (tx_burst) only TX state, so one RX and one TX thread
 * may run at once (the contract). No allocation after open.
 *
 * Setup steps (each preceded by pl_fault() in qpair.c or here): queue
 * regions, eventfds and mappings; buffer tables; epoll set. destroy() frees
 * whatever exists, so a failure at any step unwinds completely.
 */
#include "pipe.h"
#include "qpair.h"
#include "queue.h"
#include "trim.h"

#include "core/endpoint.h"
#include "core/fault.h"
#include "core/offload.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SHM_ETH_HDR 14u
#define SHM_VNET_LEN 10u
#define SHM_MIN_MTU 68u /* IPv4's minimum */
#define SHM_NBOUNCE 16u /* multi-buffer frames held at once (per direction) */
#define SHM_SERVER_SLOTS 2048u /* descriptors the server holds before completing them */
#define SHM_POST_CACHE 4096u /* posted buffers the server keeps locally */
#define SHM_PEER_CHECK_EVERY 4096u /* busy-poll: look at the peer fd once per this many empty polls */
#define SHM_SPIN_NS 20000u /* default: how long a waiter watches the pipe before it sleeps */

/* Buffer states: RX (free, posted to the server, held in a view) and TX
 * (free, first / later buffer of a packet in flight, lent by tx_alloc). */
enum { BUF_FREE = 0, BUF_POSTED = 1, BUF_HELD = 2, BUF_TX_HEAD = 3, BUF_TX_BODY = 4, BUF_TX_LENT = 5 };

struct srv_slot {
	uint64_t id;
	int32_t bounce; /* -1 when the view points into shared memory */
};

struct shm_ep {
	struct pktlink_ep ep; /* first: the core casts */
	enum pktlink_shm_role role;
	bool busy_poll;
	uint64_t spin_ns; /* rx_spin() budget, 0 = none */
	uint32_t vnet_len; /* 0 or 10 */
	uint32_t max_frame; /* largest frame without the virtio-net header */
	struct pl_shm_queue q[2];
	int peer_fd; /* owned, -1 for none */
	int poll_fd; /* owned epoll set: wait eventfd + peer fd (pktlink_fd()) */
	int wait_efd, sig_efd; /* borrowed from q[] */
	uint32_t *wait_word, *sig_word;

	/* ---- RX thread ---- */
	struct pl_pipe_rx in; /* client: q[1].rx_pipe; server: q[0].tx_pipe */
	struct pl_pipe_tx in_ret; /* client: q[1].tx_pipe (posts); server: q[0].rx_pipe */
	const struct pl_shm_region *in_data; /* where inbound frames live */
	bool armed; /* our word says ENABLED */
	bool drained; /* the eventfd was read since arming */
	unsigned empty_polls;
	uint64_t rx_trimmed; /* padded completions trimmed to their L3 length */
	uint8_t *rx_bounce; /* SHM_NBOUNCE frames */
	uint32_t bounce_size;
	uint32_t rx_bounce_free[SHM_NBOUNCE];
	uint32_t rx_nbounce;
	/* client RX buffers */
	uint32_t nrx;
	uint32_t *rx_next; /* chain of a held frame's buffers */
	uint8_t *rx_state;
	uint32_t *repost; /* buffers waiting for room in the post pipe */
	uint32_t nrepost;
	/* server RX slots */
	struct srv_slot *slots;
	uint32_t *slot_free, nslot_free;
	uint32_t *pend; /* ring of slots whose completion did not fit yet */
	uint32_t pend_head, pend_count;

	/* ---- TX thread ---- */
	struct pl_pipe_tx out; /* client: q[0].tx_pipe; server: q[1].rx_pipe */
	struct pl_pipe_rx out_ret; /* client: q[0].rx_pipe; server: q[1].tx_pipe */
	unsigned tx_zero; /* consecutive tx_burst calls that took nothing */
	uint32_t buf_size; /* client buffer size */
	uint32_t ntx;
	uint32_t *tx_free, tx_nfree;
	uint32_t *tx_next;
	uint8_t *tx_state;
	/* server: cache of posted buffers (ring) */
	struct pl_rxq_post *posts;
	uint32_t post_head, post_count;
};

/* The family endpoint around the core one (embedded first). */
static inline struct shm_ep *to_shm(struct pktlink_ep *ep)
{
	return (struct shm_ep *)ep;
}

/* ------------------------------------------------------------------------ */
/* Peer liveness and notification                                           */

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
static int peer_poll(struct shm_ep *e, uint64_t *sys)
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

/* After a flush: wake the peer through its eventfd unless its word says it is awake. TX thread. */
static void signal_peer(struct shm_ep *e)
{
	if (!pl_notify_needed(e->sig_word))
		return;
	uint64_t one = 1;
	pl_stat_add(&e->ep.txc.syscalls, 1);
	ssize_t r = write(e->sig_efd, &one, sizeof(one));
	(void)r; /* EAGAIN only at a counter of 2^64-2: the peer is awake anyway */
}

/* Something inbound to look at: a record, or local work to retry. */
static bool rx_work(struct shm_ep *e)
{
	return pl_pipe_rx_peek(&e->in) || e->nrepost || e->pend_count;
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
			return peer_gone_after_drain(e, peer_poll(e, sys));
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

/* CLOCK_MONOTONIC in ns (vDSO, no system call). */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Before sleeping, watch the pipe for a short while with signals
 * suppressed: a peer in the middle of a stream publishes again within
 * microseconds, and catching that here saves its eventfd write, our poll
 * and read, and two context switches. Bounded by SHM_SPIN_NS.
 * Return true when work showed up.
 */
static bool rx_spin(struct shm_ep *e)
{
	if (e->armed) {
		pl_notify_disarm(e->wait_word);
		e->armed = false;
	}
	uint64_t end = mono_ns() + e->spin_ns;
	for (unsigned i = 1;; i++) {
		if (rx_work(e))
			return true;
		if (i % 64 == 0 && mono_ns() > end)
			return false;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield");
#endif
	}
}

/* ops->rx_wait: spin briefly, then arm, re-check, sleep on the eventfd, the
 * peer fd and stop_fd. */
static int shm_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms)
{
	struct shm_ep *e = to_shm(ep);
	uint64_t *sys = &ep->rxc[0].syscalls;
	if (e->busy_poll) {
		if (++e->empty_polls % SHM_PEER_CHECK_EVERY == 0)
			return peer_gone_after_drain(e, peer_poll(e, sys));
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

/* ------------------------------------------------------------------------ */
/* Bounce buffers for frames spread over several shared buffers             */

/* Take a bounce buffer (RX thread), or -1 when all are out. */
static int bounce_get(struct shm_ep *e)
{
	return e->rx_nbounce ? (int)e->rx_bounce_free[--e->rx_nbounce] : -1;
}

/* Give a bounce buffer back; -1 and out-of-range values are ignored. */
static void bounce_put(struct shm_ep *e, int b)
{
	if (b >= 0 && e->rx_nbounce < SHM_NBOUNCE)
		e->rx_bounce_free[e->rx_nbounce++] = (uint32_t)b;
}

/* The memory of bounce buffer b (bounce_size bytes). */
static uint8_t *bounce_mem(struct shm_ep *e, int b)
{
	return e->rx_bounce + (size_t)b * e->bounce_size;
}

/*
 * Fill pkt from a frame of total bytes (virtio-net header included) at
 * data. The header is copied to a local before parsing (read once).
 * Return 0, or -EINVAL when the frame or its header is bad.
 */
static int frame_to_pkt(struct shm_ep *e, uint8_t *data, uint32_t total, struct pktlink_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	if (total <= e->vnet_len || total - e->vnet_len > e->max_frame)
		return -EINVAL;
	if (e->vnet_len) {
		uint8_t hdr[SHM_VNET_LEN];
		memcpy(hdr, data, SHM_VNET_LEN);
		if (pl_vnet_to_pkt(hdr, total - SHM_VNET_LEN, pkt))
			return -EINVAL;
		if (!(e->ep.info.caps & PKTLINK_CAP_RX_CSUM_OFFLOAD))
			pkt->flags &= (uint16_t)~PKTLINK_PKT_CSUM_VALID;
	}
	pkt->data = data + e->vnet_len;
	pkt->len = total - e->vnet_len;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Server RX: descriptors in q[0].tx_pipe, completions back in q[0].rx_pipe */

/* Push the completion of a slot's descriptor and free the slot; false when the pipe is full. */
static bool srv_complete(struct shm_ep *e, uint32_t slot)
{
	if (!pl_txq_push_completion(&e->in_ret, e->slots[slot].id))
		return false;
	bounce_put(e, e->slots[slot].bounce);
	e->slots[slot].bounce = -1;
	e->slot_free[e->nslot_free++] = slot;
	return true;
}

/* Complete a slot now, or queue it when the completion pipe is full. */
static void srv_complete_or_queue(struct shm_ep *e, uint32_t slot)
{
	if (e->pend_count || !srv_complete(e, slot)) {
		e->pend[(e->pend_head + e->pend_count) % SHM_SERVER_SLOTS] = slot;
		e->pend_count++;
	}
}

/* Push queued completions, oldest first, while the completion pipe has room. */
static void srv_retry_pending(struct shm_ep *e)
{
	while (e->pend_count && srv_complete(e, e->pend[e->pend_head])) {
		e->pend_head = (e->pend_head + 1) % SHM_SERVER_SLOTS;
		e->pend_count--;
	}
}

/*
 * Server receive: pull up to n descriptors, validate them, hand out views
 * (into the client's TX data region, or a bounce copy for multi-buffer
 * frames). Bad descriptors are dropped, counted and completed; a malformed
 * pipe or record disconnects the client. Return the count or the gone reason.
 */
static int srv_rx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_rx_counters *c = &e->ep.rxc[0];
	struct pl_shm_buf bufs[PL_SHM_MAX_BUFS];
	unsigned got = 0;
	uint64_t bytes = 0;
	int gone = 0;

	srv_retry_pending(e);
	while (got < n && e->nslot_free) {
		const uint8_t *rec;
		uint32_t len;
		int r = pl_pipe_rx_pull(&e->in, &rec, &len);
		if (r == PL_PIPE_EMPTY)
			break;
		if (r == PL_PIPE_CORRUPT) {
			gone = pl_ep_error(&e->ep, -EPROTO,
					   "shm client wrote a corrupt slot header in the TX pipe: "
					   "disconnected");
			break;
		}
		uint64_t id;
		uint32_t total;
		int nb = pl_txq_parse_desc(rec, len, e->in_data->len, &id, &total, bufs);
		if (nb == -EPROTO) {
			pl_stat_add(&c->drop_invalid, 1);
			gone = pl_ep_error(&e->ep, -EPROTO,
					   "shm client sent a packet descriptor of %u bytes (must be "
					   "16 + 12 n, n <= %u): disconnected",
					   len, PL_SHM_MAX_BUFS);
			break;
		}
		uint32_t slot = e->slot_free[e->nslot_free - 1];
		struct pktlink_pkt *p = &pkts[got];
		int bounce = -1;
		if (nb > 1 && total > bufs[0].size) {
			bounce = bounce_get(e);
			if (bounce < 0) {
				/* All bounce buffers are out: leave it for later. */
				pl_pipe_rx_unpull(&e->in, len);
				break;
			}
		}
		e->nslot_free--;
		e->slots[slot].id = id;
		e->slots[slot].bounce = bounce;
		uint8_t *frame = NULL;
		if (nb > 0 && total <= e->max_frame + e->vnet_len) {
			if (bounce < 0) {
				frame = e->in_data->base + bufs[0].offset;
			} else {
				frame = bounce_mem(e, bounce);
				uint32_t done = 0;
				for (int i = 0; i < nb && done < total; i++) {
					uint32_t k = bufs[i].size < total - done ? bufs[i].size : total - done;
					memcpy(frame + done, e->in_data->base + bufs[i].offset, k);
					done += k;
				}
			}
		}
		if (!frame || frame_to_pkt(e, frame, total, p)) {
			pl_stat_add(&c->drop_invalid, 1);
			srv_complete_or_queue(e, slot);
			continue;
		}
		p->priv = slot;
		bytes += p->len;
		got++;
	}
	pl_pipe_rx_flush(&e->in);
	pl_pipe_tx_flush(&e->in_ret);
	if (got) {
		pl_stat_add(&c->packets, got);
		pl_stat_add(&c->bytes, bytes);
	}
	if (gone) {
		/* Hand out nothing from a peer we are dropping. */
		for (unsigned i = 0; i < got; i++)
			srv_complete_or_queue(e, (uint32_t)pkts[i].priv);
		pl_pipe_tx_flush(&e->in_ret);
		return pl_ep_peer_gone(&e->ep, gone);
	}
	return (int)got;
}

/* Server release: complete the descriptors of the views (now or when there is room). */
static void srv_rx_release(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t slot = pkts[i].priv;
		if (slot < SHM_SERVER_SLOTS)
			srv_complete_or_queue(e, (uint32_t)slot);
	}
	pl_pipe_tx_flush(&e->in_ret);
}

/* ------------------------------------------------------------------------ */
/* Client RX: completions in q[1].rx_pipe, reposts into q[1].tx_pipe         */

/* Post RX buffer b to the server (not flushed); when the post pipe is full, queue it locally. */
static void cli_post(struct shm_ep *e, uint32_t b)
{
	struct pl_rxq_post post = {
		.offset = (uint64_t)b * e->buf_size,
		.size = e->buf_size,
		.user_data = 0,
		.id = b,
	};
	if (e->nrepost || !pl_rxq_push_post(&e->in_ret, &post)) {
		e->repost[e->nrepost++] = b;
		e->rx_state[b] = BUF_FREE;
		return;
	}
	e->rx_state[b] = BUF_POSTED;
}

/* Post the locally queued buffers, in order, while the post pipe has room. */
static void cli_retry_reposts(struct shm_ep *e)
{
	uint32_t done = 0;
	while (done < e->nrepost) {
		uint32_t b = e->repost[done];
		struct pl_rxq_post post = { .offset = (uint64_t)b * e->buf_size,
					    .size = e->buf_size,
					    .id = b };
		if (!pl_rxq_push_post(&e->in_ret, &post))
			break;
		e->rx_state[b] = BUF_POSTED;
		done++;
	}
	if (done) {
		memmove(e->repost, e->repost + done, (e->nrepost - done) * sizeof(e->repost[0]));
		e->nrepost -= done;
	}
}

/* Repost the buffers of one received frame (a chain from first; bounded walk). */
static void cli_release_chain(struct shm_ep *e, uint32_t first)
{
	uint32_t b = first;
	for (uint32_t k = 0; k < PL_SHM_MAX_BUFS && b < e->nrx; k++) {
		uint32_t next = e->rx_next[b];
		if (e->rx_state[b] == BUF_HELD)
			cli_post(e, b);
		b = next;
	}
}

/*
 * A completion that covers whole posted buffers may be padded: gVisor's
 * server reports the buffers' sizes, not the bytes it copied (trim.h). Such
 * a frame ends where its L3 header says; the padding is never delivered.
 * A frame whose length is exactly whole buffers has an L3 length that says
 * so too, so this never cuts a real frame short. Return the size to use.
 */
static uint32_t cli_trim(struct shm_ep *e, const struct pl_rxq_used *used, int nb, uint32_t size)
{
	if ((uint64_t)size != (uint64_t)nb * e->buf_size || size <= e->vnet_len)
		return size;
	for (int i = 0; i < nb; i++)
		if (used[i].used != e->buf_size)
			return size;
	const uint8_t *f = e->in_data->base + used[0].offset + e->vnet_len;
	uint32_t l = pl_frame_l3_len(f, e->buf_size - e->vnet_len);
	if (!l || l >= size - e->vnet_len)
		return size;
	pl_stat_add(&e->rx_trimmed, 1);
	return l + e->vnet_len;
}

/*
 * Client receive: pull up to n completions, check every buffer against what
 * we posted (id, offset, used size), hand out views into our RX data region
 * or bounce copies. A lying server is disconnected; a frame with a bad
 * virtio-net header is dropped and its buffers reposted.
 */
static int cli_rx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_rx_counters *c = &e->ep.rxc[0];
	struct pl_rxq_used used[PL_SHM_MAX_BUFS];
	unsigned got = 0;
	uint64_t bytes = 0;
	int gone = 0;

	cli_retry_reposts(e);
	while (got < n) {
		const uint8_t *rec;
		uint32_t len, size;
		int r = pl_pipe_rx_pull(&e->in, &rec, &len);
		if (r == PL_PIPE_EMPTY)
			break;
		if (r == PL_PIPE_CORRUPT) {
			gone = pl_ep_error(&e->ep, -EPROTO,
					   "shm server wrote a corrupt slot header in the RX "
					   "completion pipe: disconnected");
			break;
		}
		int nb = pl_rxq_parse_completion(rec, len, &size, used);
		if (nb < 0) {
			pl_stat_add(&c->drop_invalid, 1);
			gone = pl_ep_error(&e->ep, -EPROTO,
					   "shm server sent a malformed RX completion (%u bytes; "
					   "buffer sizes must sum to the packet size): disconnected",
					   len);
			break;
		}
		int bounce = -1;
		/* Every buffer must be one we posted, at its offset, and not
		 * filled past its size; anything else is a lying server. */
		uint32_t first = 0, prev = 0;
		for (int i = 0; i < nb; i++) {
			uint64_t id = used[i].id;
			if (id >= e->nrx || e->rx_state[id] != BUF_POSTED ||
			    used[i].offset != id * e->buf_size || used[i].used > e->buf_size) {
				gone = pl_ep_error(&e->ep, -EPROTO,
						   "shm server completed buffer id %llu at offset %llu "
						   "(%u bytes), which is not a buffer we posted: "
						   "disconnected",
						   (unsigned long long)id,
						   (unsigned long long)used[i].offset, used[i].used);
				break;
			}
			e->rx_state[id] = BUF_HELD;
			if (i == 0)
				first = (uint32_t)id;
			else
				e->rx_next[prev] = (uint32_t)id;
			prev = (uint32_t)id;
		}
		if (gone) {
			pl_stat_add(&c->drop_invalid, 1);
			break;
		}
		e->rx_next[prev] = UINT32_MAX;
		size = cli_trim(e, used, nb, size);
		if (nb > 1 && size > used[0].used) {
			bounce = bounce_get(e);
			if (bounce < 0) {
				/* All bounce buffers are out: leave it for later. */
				for (int i = 0; i < nb; i++)
					e->rx_state[used[i].id] = BUF_POSTED;
				pl_pipe_rx_unpull(&e->in, len);
				break;
			}
		}
		uint8_t *frame;
		if (bounce < 0) {
			frame = e->in_data->base + used[0].offset;
		} else {
			frame = bounce_mem(e, bounce);
			uint32_t done = 0;
			uint32_t cap = e->bounce_size;
			for (int i = 0; i < nb && done < size && done < cap; i++) {
				uint32_t k = used[i].used < size - done ? used[i].used : size - done;
				if (k > cap - done)
					k = cap - done;
				memcpy(frame + done, e->in_data->base + used[i].offset, k);
				done += k;
			}
		}
		struct pktlink_pkt *p = &pkts[got];
		if (frame_to_pkt(e, frame, size, p)) {
			pl_stat_add(&c->drop_invalid, 1);
			bounce_put(e, bounce);
			cli_release_chain(e, first);
			continue;
		}
		p->priv = (uint64_t)first | ((uint64_t)(uint32_t)(bounce + 1) << 32);
		bytes += p->len;
		got++;
	}
	pl_pipe_rx_flush(&e->in);
	pl_pipe_tx_flush(&e->in_ret);
	if (got) {
		pl_stat_add(&c->packets, got);
		pl_stat_add(&c->bytes, bytes);
	}
	if (gone)
		return pl_ep_peer_gone(&e->ep, gone);
	return (int)got;
}

/* Client release: repost the views' buffers and free their bounce copies. */
static void cli_rx_release(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t first = (uint32_t)pkts[i].priv;
		int bounce = (int)(uint32_t)(pkts[i].priv >> 32) - 1;
		if (bounce >= (int)SHM_NBOUNCE)
			bounce = -1;
		bounce_put(e, bounce);
		if (first < e->nrx)
			cli_release_chain(e, first);
	}
	pl_pipe_tx_flush(&e->in_ret);
}

/* ------------------------------------------------------------------------ */
/* RX ops                                                                    */

/* ops->rx_burst: the role's burst, then the notification bookkeeping (awake / idle). */
static int shm_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	for (int attempt = 0; attempt < 2; attempt++) {
		int r = e->role == PKTLINK_SHM_SERVER ? srv_rx_burst(e, pkts, n)
						      : cli_rx_burst(e, pkts, n);
		if (r != 0) {
			if (r > 0)
				rx_awake(e);
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
static void shm_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	if (e->role == PKTLINK_SHM_SERVER)
		srv_rx_release(e, pkts, n);
	else
		cli_rx_release(e, pkts, n);
}

/* ------------------------------------------------------------------------ */
/* TX                                                                        */

/* Check a frame and build its virtio-net header. Return 0 or -EINVAL. */
static int tx_prepare(struct shm_ep *e, const struct pktlink_pkt *p, uint8_t *vh)
{
	if (p->len == 0 || p->len > e->max_frame || !p->data)
		return -EINVAL;
	if (!e->vnet_len)
		return (p->gso_type != PKTLINK_GSO_NONE || (p->flags & PKTLINK_PKT_CSUM_PARTIAL))
			       ? -EINVAL
			       : 0;
	if ((p->flags & PKTLINK_PKT_CSUM_PARTIAL) &&
	    !(e->ep.info.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD))
		return -EINVAL;
	if (p->gso_type != PKTLINK_GSO_NONE && e->ep.info.gso_kind != PKTLINK_GSO_KIND_HOST)
		return -EINVAL;
	return pl_pkt_to_vnet(p, SHM_ETH_HDR, vh, SHM_VNET_LEN) ? -EINVAL : 0;
}

/* Copy header + frame into a list of (dst, size) pieces. */
static void copy_out(uint8_t *base, const uint64_t *off, const uint32_t *sz, unsigned nb,
		     const uint8_t *vh, uint32_t vlen, const uint8_t *data, uint32_t dlen)
{
	if (nb == 1 && !vlen) {
		memcpy(base + off[0], data, dlen); /* the common case */
		return;
	}
	uint32_t src = 0, total = vlen + dlen;
	for (unsigned i = 0; i < nb && src < total; i++) {
		uint8_t *d = base + off[i];
		uint32_t room = sz[i];
		while (room && src < total) {
			const uint8_t *s;
			uint32_t avail;
			if (src < vlen) {
				s = vh + src;
				avail = vlen - src;
			} else {
				s = data + (src - vlen);
				avail = total - src;
			}
			uint32_t k = avail < room ? avail : room;
			memcpy(d, s, k);
			d += k;
			room -= k;
			src += k;
		}
	}
}

/* Client: free the buffers of every completed TX packet (lazy, at transmit). TX thread. */
static void cli_reap(struct shm_ep *e)
{
	const uint8_t *rec;
	uint32_t len;
	/* Bounded by the pipe: each pull consumes at least 8 bytes of it. */
	while (pl_pipe_rx_pull(&e->out_ret, &rec, &len) == PL_PIPE_RECORD) {
		uint64_t id;
		if (pl_txq_parse_completion(rec, len, &id))
			continue; /* the seed ignores other lengths */
		if (id >= e->ntx || e->tx_state[id] != BUF_TX_HEAD)
			continue; /* not a packet in flight: ignore */
		uint32_t b = (uint32_t)id;
		for (uint32_t k = 0; k < PL_SHM_MAX_BUFS && b < e->ntx; k++) {
			uint32_t next = e->tx_next[b];
			e->tx_state[b] = BUF_FREE;
			e->tx_free[e->tx_nfree++] = b;
			b = next;
		}
	}
	/* A corrupt header stops reaping; the completions behind it are lost
	 * and their buffers stay out (bounded damage from a lying peer). */
	pl_pipe_rx_flush(&e->out_ret);
}

/* The lent buffer behind a PKTLINK_PKT_TXBUF view, or UINT32_MAX if it is not one of ours. */
static uint32_t cli_lent_buf(struct shm_ep *e, const struct pktlink_pkt *p)
{
	uint64_t b = p->priv;
	if (b >= e->ntx || e->tx_state[b] != BUF_TX_LENT ||
	    p->data != e->q[0].data.base + b * e->buf_size + e->vnet_len)
		return UINT32_MAX;
	return (uint32_t)b;
}

/*
 * Send a frame built in a buffer from tx_alloc(): no copy, the virtio-net
 * header goes in front of it in the same buffer. Return 1 when sent, 0 when
 * taken but dropped (counted), -1 when the descriptor pipe is full (the
 * buffer stays the caller's).
 */
static int cli_tx_lent(struct shm_ep *e, struct pktlink_pkt *p)
{
	uint32_t b = cli_lent_buf(e, p);
	if (b == UINT32_MAX) {
		pl_stat_add(&e->ep.txc.drop_invalid, 1); /* not ours: nothing to free */
		return 0;
	}
	uint8_t vh[SHM_VNET_LEN];
	if (tx_prepare(e, p, vh)) {
		pl_stat_add(&e->ep.txc.drop_invalid, 1);
		e->tx_state[b] = BUF_FREE;
		e->tx_free[e->tx_nfree++] = b;
		return 0;
	}
	struct pl_shm_buf one = { (uint64_t)b * e->buf_size, p->len + e->vnet_len };
	if (!pl_txq_push_desc(&e->out, b, one.size, &one, 1))
		return -1;
	if (e->vnet_len)
		memcpy(e->q[0].data.base + one.offset, vh, e->vnet_len);
	e->tx_state[b] = BUF_TX_HEAD;
	e->tx_next[b] = UINT32_MAX;
	return 1;
}

/* ops->tx_alloc: lend free TX buffers (client only), each holding one frame. TX thread. */
static int shm_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	if (!(ep->info.caps & PKTLINK_CAP_TX_ALLOC))
		return pl_ep_error(ep, -EOPNOTSUPP,
				   "shm %s endpoints lend no TX buffers (the server writes into "
				   "buffers the client posted; a client needs buffer_size >= %u)",
				   e->role == PKTLINK_SHM_SERVER ? "server" : "client",
				   e->max_frame + e->vnet_len);
	cli_reap(e);
	unsigned i = 0;
	for (; i < n && e->tx_nfree; i++) {
		uint32_t b = e->tx_free[--e->tx_nfree];
		e->tx_state[b] = BUF_TX_LENT;
		pkts[i] = (struct pktlink_pkt){
			.data = e->q[0].data.base + (uint64_t)b * e->buf_size + e->vnet_len,
			.len = e->max_frame,
			.flags = PKTLINK_PKT_TXBUF,
			.priv = b,
		};
	}
	return (int)i;
}

/* ops->tx_free: take back lent buffers that were not sent. TX thread. */
static void shm_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	if (e->role == PKTLINK_SHM_SERVER)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint32_t b = cli_lent_buf(e, &pkts[i]);
		if (b != UINT32_MAX) {
			e->tx_state[b] = BUF_FREE;
			e->tx_free[e->tx_nfree++] = b;
		}
	}
}

/* Client transmit: copy frames into free TX buffers and push descriptors (flushed by the caller). */
static int cli_tx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_tx_counters *c = &e->ep.txc;
	uint64_t off[PL_SHM_MAX_BUFS];
	uint32_t sz[PL_SHM_MAX_BUFS];
	struct pl_shm_buf bufs[PL_SHM_MAX_BUFS];
	unsigned taken = 0, sent = 0;
	uint64_t bytes = 0;

	cli_reap(e);
	for (; taken < n; taken++) {
		struct pktlink_pkt *p = &pkts[taken];
		uint8_t vh[SHM_VNET_LEN];
		if (p->flags & PKTLINK_PKT_TXBUF) {
			int r = cli_tx_lent(e, p);
			if (r < 0)
				break; /* descriptor pipe full: stays the caller's */
			if (r > 0) {
				bytes += p->len;
				sent++;
			}
			continue;
		}
		if (tx_prepare(e, p, vh)) {
			pl_stat_add(&c->drop_invalid, 1);
			continue;
		}
		uint32_t total = p->len + e->vnet_len;
		/* Most frames fit one buffer: skip the division then. */
		uint32_t nb = total <= e->buf_size ? 1 : (total + e->buf_size - 1) / e->buf_size;
		if (nb > e->tx_nfree || nb > PL_SHM_MAX_BUFS)
			break;
		uint32_t left = total;
		for (uint32_t i = 0; i < nb; i++) {
			uint32_t b = e->tx_free[e->tx_nfree - 1 - i];
			off[i] = bufs[i].offset = (uint64_t)b * e->buf_size;
			sz[i] = bufs[i].size = left < e->buf_size ? left : e->buf_size;
			left -= sz[i];
		}
		uint32_t first = e->tx_free[e->tx_nfree - 1];
		if (!pl_txq_push_desc(&e->out, first, total, bufs, nb))
			break; /* descriptor pipe full */
		copy_out(e->q[0].data.base, off, sz, nb, vh, e->vnet_len, p->data, p->len);
		for (uint32_t i = 0; i < nb; i++) {
			uint32_t b = e->tx_free[e->tx_nfree - 1 - i];
			e->tx_state[b] = i ? BUF_TX_BODY : BUF_TX_HEAD;
			e->tx_next[b] = i + 1 < nb ? e->tx_free[e->tx_nfree - 2 - i] : UINT32_MAX;
		}
		e->tx_nfree -= nb;
		bytes += p->len;
		sent++;
	}
	if (sent) {
		pl_stat_add(&c->packets, sent);
		pl_stat_add(&c->bytes, bytes);
	}
	return (int)taken;
}

/*
 * Server transmit: copy frames into buffers the client posted and push
 * completions carrying the bytes really copied (flushed by the caller).
 * Posts outside the client's region are skipped and counted (tx_errors).
 */
static int srv_tx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_tx_counters *c = &e->ep.txc;
	struct pl_rxq_post bufs[PL_SHM_MAX_BUFS];
	uint32_t used[PL_SHM_MAX_BUFS];
	uint64_t off[PL_SHM_MAX_BUFS];
	unsigned taken = 0, sent = 0;
	uint64_t bytes = 0;
	const struct pl_shm_region *data = &e->q[1].data;

	/* Refill the cache of posted buffers. */
	while (e->post_count < SHM_POST_CACHE) {
		const uint8_t *rec;
		uint32_t len;
		int r = pl_pipe_rx_pull(&e->out_ret, &rec, &len);
		if (r == PL_PIPE_EMPTY)
			break;
		struct pl_rxq_post b;
		int pr = r == PL_PIPE_CORRUPT ? -EPROTO : pl_rxq_parse_post(rec, len, data->len, &b);
		if (pr == -EPROTO) {
			pl_pipe_rx_flush(&e->out_ret);
			pl_ep_error(&e->ep, -EPROTO,
				    "shm client wrote a corrupt record in the posted-buffer pipe: "
				    "disconnected");
			return pl_ep_peer_gone(&e->ep, -EPROTO);
		}
		if (pr) {
			pl_stat_add(&c->errors, 1); /* a buffer outside the region: skip it */
			continue;
		}
		e->posts[(e->post_head + e->post_count) % SHM_POST_CACHE] = b;
		e->post_count++;
	}
	pl_pipe_rx_flush(&e->out_ret);

	for (; taken < n; taken++) {
		struct pktlink_pkt *p = &pkts[taken];
		uint8_t vh[SHM_VNET_LEN];
		if (tx_prepare(e, p, vh)) {
			pl_stat_add(&c->drop_invalid, 1);
			continue;
		}
		uint32_t total = p->len + e->vnet_len;
		uint32_t nb = 0, room = 0;
		while (room < total && nb < e->post_count && nb < PL_SHM_MAX_BUFS) {
			bufs[nb] = e->posts[(e->post_head + nb) % SHM_POST_CACHE];
			room += bufs[nb].size < total - room ? bufs[nb].size : total - room;
			nb++;
		}
		if (room < total && nb == PL_SHM_MAX_BUFS) {
			/* Posts so small that no frame fits in the most buffers a
			 * completion may list: drop it rather than stall forever. */
			pl_stat_add(&c->errors, 1);
			continue;
		}
		if (room < total)
			break; /* not enough posted buffers: the client must repost */
		uint32_t left = total;
		for (uint32_t i = 0; i < nb; i++) {
			used[i] = bufs[i].size < left ? bufs[i].size : left;
			off[i] = bufs[i].offset;
			left -= used[i];
		}
		if (!pl_rxq_push_completion(&e->out, total, bufs, used, nb))
			break; /* completion pipe full */
		copy_out(data->base, off, used, nb, vh, e->vnet_len, p->data, p->len);
		e->post_head = (e->post_head + nb) % SHM_POST_CACHE;
		e->post_count -= nb;
		bytes += p->len;
		sent++;
	}
	if (sent) {
		pl_stat_add(&c->packets, sent);
		pl_stat_add(&c->bytes, bytes);
	}
	return (int)taken;
}

/* ops->tx_burst: the role's burst, one flush and at most one signal per burst. */
static int shm_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	int r = e->role == PKTLINK_SHM_SERVER ? srv_tx_burst(e, pkts, n) : cli_tx_burst(e, pkts, n);
	if (pl_pipe_tx_pending(&e->out)) {
		pl_pipe_tx_flush(&e->out);
		signal_peer(e);
	}
	if (r == 0 && n) {
		/* Nothing fits: the peer may be slow, or gone. Look now and
		 * then, so that a transmit-only user learns about it. */
		if (++e->tx_zero % SHM_PEER_CHECK_EVERY == 0) {
			int g = peer_poll(e, &ep->txc.syscalls);
			if (g)
				return pl_ep_peer_gone(ep, g);
		}
	} else {
		e->tx_zero = 0;
	}
	return r;
}

/* ops->queue_fd: our epoll set (eventfd + peer fd). */
static int shm_queue_fd(const struct pktlink_ep *ep, unsigned q)
{
	const struct shm_ep *e = (const struct shm_ep *)ep;
	return q == 0 ? e->poll_fd : -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Setup and teardown                                                        */

/* ops->destroy: unmap and close whatever setup made, free the tables and the endpoint. */
static void shm_destroy(struct pktlink_ep *ep)
{
	struct shm_ep *e = to_shm(ep);
	pl_shm_queue_close(&e->q[0]);
	pl_shm_queue_close(&e->q[1]);
	if (e->peer_fd >= 0)
		close(e->peer_fd);
	if (e->poll_fd >= 0)
		close(e->poll_fd);
	free(e->rx_bounce);
	free(e->rx_next);
	free(e->rx_state);
	free(e->repost);
	free(e->slots);
	free(e->slot_free);
	free(e->pend);
	free(e->tx_free);
	free(e->tx_next);
	free(e->tx_state);
	free(e->posts);
	pl_ep_fini(ep);
	free(e);
}

static const struct pl_ep_ops shm_ops = {
	.family = "shm",
	.rx_burst = shm_rx_burst,
	.rx_release = shm_rx_release,
	.tx_burst = shm_tx_burst,
	.tx_alloc = shm_tx_alloc,
	.tx_free = shm_tx_free,
	.queue_fd = shm_queue_fd,
	.rx_wait = shm_rx_wait,
	.destroy = shm_destroy,
};

int pktlink_shm_get_stats(const struct pktlink_ep *ep, struct pktlink_shm_stats *st)
{
	if (!ep || ep->ops != &shm_ops || !st || st->sz < sizeof(size_t) + sizeof(uint64_t))
		return -EINVAL;
	const struct shm_ep *e = (const struct shm_ep *)ep;
	st->rx_trimmed = pl_stat_read(&e->rx_trimmed);
	return 0;
}

/* calloc that is one setup step (fails under pl_fault()). */
static void *zalloc(size_t n)
{
	return pl_fault() ? NULL : calloc(1, n ? n : 1);
}

/*
 * Build an endpoint around two queues that are already mapped. Takes
 * ownership of q[] and peer_fd in every case (closed on failure).
 */
static int shm_ep_create(const struct pktlink_shm_opts *o, struct pl_shm_queue q[2], int peer_fd,
			 uint32_t client_buf_size, struct pktlink_ep **epp, char *err,
			 size_t errlen)
{
	struct shm_ep *e = zalloc(sizeof(*e));
	if (!e) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		if (peer_fd >= 0)
			close(peer_fd);
		return pl_err(err, errlen, -ENOMEM, "shm: out of memory for the endpoint");
	}
	e->q[0] = q[0];
	e->q[1] = q[1];
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	e->peer_fd = peer_fd;
	e->poll_fd = -1;
	int r = pl_ep_init(&e->ep, &shm_ops, 1);
	if (r) {
		free(e->ep.rxc);
		pl_shm_queue_close(&e->q[0]);
		pl_shm_queue_close(&e->q[1]);
		if (peer_fd >= 0)
			close(peer_fd);
		free(e);
		return pl_err(err, errlen, r, "shm: out of memory for the endpoint's counters");
	}
	/* From here pktlink_close() (destroy) unwinds whatever exists. */
	struct pktlink_ep *ep = &e->ep;
	bool server = o->role == PKTLINK_SHM_SERVER;
	e->role = o->role;
	e->busy_poll = o->busy_poll;
	e->spin_ns = o->wait_spin_us < 0 ? 0 : o->wait_spin_us ? (uint64_t)o->wait_spin_us * 1000 : SHM_SPIN_NS;
	e->vnet_len = o->vnet_hdr ? SHM_VNET_LEN : 0;
	uint32_t mtu = o->mtu ? o->mtu : 1500;
	/* 64-bit: an mtu near 2^32 must not wrap into a small frame size. */
	uint64_t max_frame = (uint64_t)mtu + SHM_ETH_HDR;
	if (o->vnet_hdr && o->gso_max_size > max_frame)
		max_frame = o->gso_max_size;
	e->max_frame = max_frame > PKTLINK_SHM_MAX_PACKET ? PKTLINK_SHM_MAX_PACKET : (uint32_t)max_frame;
	if (max_frame > PKTLINK_SHM_MAX_PACKET || mtu < SHM_MIN_MTU) {
		pktlink_close(ep);
		return pl_err(err, errlen, -EINVAL,
			      "shm: mtu %u / gso_max_size %u: the MTU must be %u..%u and frames "
			      "at most %u bytes, the most a shared-memory packet holds",
			      mtu, o->gso_max_size, SHM_MIN_MTU, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR,
			      PKTLINK_SHM_MAX_PACKET);
	}
	e->bounce_size = e->max_frame + e->vnet_len;

	struct pl_shm_queue *txq = &e->q[0], *rxq = &e->q[1];
	if (txq->shared.len < 4 || rxq->shared.len < 4) {
		pktlink_close(ep);
		return pl_err(err, errlen, -EINVAL, "shm: shared-data regions need >= 4 bytes");
	}
	int pr;
	if (server) {
		pr = pl_pipe_rx_init(&e->in, txq->tx_pipe.base, txq->tx_pipe.len) ||
		     pl_pipe_tx_init(&e->in_ret, txq->rx_pipe.base, txq->rx_pipe.len) ||
		     pl_pipe_tx_init(&e->out, rxq->rx_pipe.base, rxq->rx_pipe.len) ||
		     pl_pipe_rx_init(&e->out_ret, rxq->tx_pipe.base, rxq->tx_pipe.len);
		e->in_data = &txq->data;
		e->wait_word = (uint32_t *)(void *)txq->shared.base;
		e->sig_word = (uint32_t *)(void *)rxq->shared.base;
		e->wait_efd = txq->fds[PKTLINK_SHM_FD_EVENT];
		e->sig_efd = rxq->fds[PKTLINK_SHM_FD_EVENT];
	} else {
		pr = pl_pipe_tx_init(&e->out, txq->tx_pipe.base, txq->tx_pipe.len) ||
		     pl_pipe_rx_init(&e->out_ret, txq->rx_pipe.base, txq->rx_pipe.len) ||
		     pl_pipe_rx_init(&e->in, rxq->rx_pipe.base, rxq->rx_pipe.len) ||
		     pl_pipe_tx_init(&e->in_ret, rxq->tx_pipe.base, rxq->tx_pipe.len);
		e->in_data = &rxq->data;
		e->wait_word = (uint32_t *)(void *)rxq->shared.base;
		e->sig_word = (uint32_t *)(void *)txq->shared.base;
		e->wait_efd = rxq->fds[PKTLINK_SHM_FD_EVENT];
		e->sig_efd = txq->fds[PKTLINK_SHM_FD_EVENT];
	}
	if (pr) {
		pktlink_close(ep);
		return pl_err(err, errlen, -EINVAL, "shm: pipe regions must hold 32 B .. 2 GiB");
	}
	/* Word 0 counts as "enabled": the peer signals until our first
	 * burst finds work and disarms. A busy poller never sleeps, so it
	 * tells the peer at once never to signal. */
	e->armed = !e->busy_poll;
	if (e->busy_poll)
		pl_notify_disarm(e->wait_word);

	e->rx_bounce = zalloc((size_t)SHM_NBOUNCE * e->bounce_size);
	if (!e->rx_bounce) {
		pktlink_close(ep);
		return pl_err(err, errlen, -ENOMEM, "shm: out of memory for bounce buffers");
	}
	for (uint32_t i = 0; i < SHM_NBOUNCE; i++)
		e->rx_bounce_free[e->rx_nbounce++] = SHM_NBOUNCE - 1 - i;

	if (server) {
		e->slots = zalloc(SHM_SERVER_SLOTS * sizeof(*e->slots));
		e->slot_free = e->slots ? zalloc(SHM_SERVER_SLOTS * sizeof(uint32_t)) : NULL;
		e->pend = e->slot_free ? zalloc(SHM_SERVER_SLOTS * sizeof(uint32_t)) : NULL;
		e->posts = e->pend ? zalloc(SHM_POST_CACHE * sizeof(*e->posts)) : NULL;
		if (!e->posts) {
			pktlink_close(ep);
			return pl_err(err, errlen, -ENOMEM, "shm: out of memory for the server tables");
		}
		for (uint32_t i = 0; i < SHM_SERVER_SLOTS; i++) {
			e->slot_free[i] = SHM_SERVER_SLOTS - 1 - i;
			e->slots[i].bounce = -1;
		}
		e->nslot_free = SHM_SERVER_SLOTS;
	} else {
		uint32_t bs = client_buf_size ? client_buf_size : PKTLINK_SHM_DEFAULT_BUFFER_SIZE;
		if (bs < 64 || bs > PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN) {
			pktlink_close(ep);
			return pl_err(err, errlen, -EINVAL,
				      "shm: buffer_size %u is out of range: use 64..%u bytes", bs,
				      PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN);
		}
		e->buf_size = bs;
		uint64_t ntx = txq->data.len / bs, nrx = rxq->data.len / bs;
		uint64_t need = (e->bounce_size + bs - 1) / bs;
		if (ntx < need || nrx < need || need > PL_SHM_MAX_BUFS || ntx > UINT32_MAX / 2 ||
		    nrx > UINT32_MAX / 2) {
			pktlink_close(ep);
			return pl_err(err, errlen, -EINVAL,
				      "shm: data regions of %llu/%llu bytes in buffers of %u cannot "
				      "hold one %u-byte frame (at most %u buffers per frame): make "
				      "data_size or buffer_size larger",
				      (unsigned long long)txq->data.len,
				      (unsigned long long)rxq->data.len, bs, e->bounce_size,
				      PL_SHM_MAX_BUFS);
		}
		e->ntx = (uint32_t)ntx;
		e->nrx = (uint32_t)nrx;
		e->tx_free = zalloc(ntx * sizeof(uint32_t));
		e->tx_next = e->tx_free ? zalloc(ntx * sizeof(uint32_t)) : NULL;
		e->tx_state = e->tx_next ? zalloc(ntx) : NULL;
		e->rx_next = e->tx_state ? zalloc(nrx * sizeof(uint32_t)) : NULL;
		e->rx_state = e->rx_next ? zalloc(nrx) : NULL;
		e->repost = e->rx_state ? zalloc(nrx * sizeof(uint32_t)) : NULL;
		if (!e->repost) {
			pktlink_close(ep);
			return pl_err(err, errlen, -ENOMEM, "shm: out of memory for buffer tables");
		}
		for (uint32_t i = 0; i < e->ntx; i++)
			e->tx_free[i] = e->ntx - 1 - i;
		e->tx_nfree = e->ntx;
		/* Post every RX buffer; what does not fit waits for room. */
		for (uint32_t i = 0; i < e->nrx; i++)
			cli_post(e, i);
		pl_pipe_tx_flush(&e->in_ret);
	}

	/* pktlink_fd(): readable on a signal or a peer hang-up. */
	e->poll_fd = pl_fault() ? (errno = EMFILE, -1) : epoll_create1(EPOLL_CLOEXEC);
	if (e->poll_fd < 0) {
		int er = errno;
		pktlink_close(ep);
		return pl_err(err, errlen, -er, "shm: epoll_create1: %s", strerror(er));
	}
	struct epoll_event ev = { .events = EPOLLIN };
	int fds2[2] = { e->wait_efd, e->peer_fd };
	for (int i = 0; i < 2; i++) {
		if (fds2[i] < 0)
			continue;
		if (pl_fault() || epoll_ctl(e->poll_fd, EPOLL_CTL_ADD, fds2[i], &ev) < 0) {
			int er = errno ? errno : EINVAL;
			pktlink_close(ep);
			return pl_err(err, errlen, -er, "shm: cannot watch the %s: %s",
				      i ? "peer fd" : "eventfd", strerror(er));
		}
	}

	struct pktlink_info *in = &ep->info;
	in->mtu = mtu;
	in->max_header_len = SHM_ETH_HDR;
	in->caps = PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	if (o->vnet_hdr && o->tx_csum_offload)
		in->caps |= PKTLINK_CAP_TX_CSUM_OFFLOAD;
	if (o->vnet_hdr && o->rx_csum_offload)
		in->caps |= PKTLINK_CAP_RX_CSUM_OFFLOAD;
	if (o->vnet_hdr && o->gso_max_size) {
		in->gso_kind = PKTLINK_GSO_KIND_HOST;
		in->gso_max_size = e->max_frame;
	}
	if (!server && e->buf_size >= e->max_frame + e->vnet_len)
		in->caps |= PKTLINK_CAP_TX_ALLOC;
	in->arp_hwtype = 1;
	if (o->has_link_addr) {
		memcpy(in->link_addr, o->link_addr, 6);
		in->has_link_addr = 1;
	}
	*epp = ep;
	return 0;
}

/*
 * The directory for queue files: an absolute path without "." or ".."
 * components (a spec string must not walk out of where it points), naming
 * an existing directory.
 */
static int dir_check(const char *dir, char *err, size_t errlen)
{
	size_t n = strlen(dir);
	bool dots = false;
	for (const char *c = dir; *c; c++) {
		if (*c != '/' && (c == dir || c[-1] == '/')) {
			size_t k = strcspn(c, "/");
			if ((k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
				dots = true;
		}
	}
	if (dir[0] != '/' || dots || n >= 4096)
		return pl_err(err, errlen, -EINVAL,
			      "shm: dir '%s' must be an absolute path without '.' or '..' components "
			      "(e.g. /dev/shm)",
			      dir);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return pl_err(err, errlen, -ENOTDIR, "shm: dir '%s' is not an existing directory",
			      dir);
	return 0;
}

/* Defaults and validation of the options every entry point shares. */
static int opts_load(const struct pktlink_shm_opts *in, struct pktlink_shm_opts *o, char *err,
		     size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (!in)
		return pl_err(err, errlen, -EINVAL, "shm: opts is NULL");
	int r = PL_OPTS_LOAD(pktlink_shm_opts, o, in, pl_offsetofend(struct pktlink_shm_opts, allow_unsealed),
			     err, errlen);
	if (r)
		return r;
	if (o->role != PKTLINK_SHM_CLIENT && o->role != PKTLINK_SHM_SERVER)
		return pl_err(err, errlen, -EINVAL, "shm: role must be client or server");
	if (!o->data_size)
		o->data_size = PKTLINK_SHM_DEFAULT_DATA_SIZE;
	if (!o->pipe_size)
		o->pipe_size = PKTLINK_SHM_DEFAULT_PIPE_SIZE;
	if (!o->shared_size)
		o->shared_size = PKTLINK_SHM_DEFAULT_SHARED_SIZE;
	if (!o->buffer_size)
		o->buffer_size = PKTLINK_SHM_DEFAULT_BUFFER_SIZE;
	if (!o->timeout_ms)
		o->timeout_ms = 30000;
	if (o->gso_max_size && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "shm: gso_max_size needs vnet_hdr=1 (the virtio-net header carries "
			      "the GSO request)");
	if ((o->tx_csum_offload || o->rx_csum_offload) && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "shm: checksum offload needs vnet_hdr=1 (the virtio-net header "
			      "carries the checksum flags)");
	if (o->gso_max_size > PKTLINK_SHM_MAX_PACKET)
		return pl_err(err, errlen, -EINVAL, "shm: gso_max_size %u is over %u",
			      o->gso_max_size, PKTLINK_SHM_MAX_PACKET);
	/* Every size in 64-bit: none may wrap a later sum. */
	if (o->mtu && (o->mtu < SHM_MIN_MTU || (uint64_t)o->mtu + SHM_ETH_HDR > PKTLINK_SHM_MAX_PACKET))
		return pl_err(err, errlen, -EINVAL, "shm: mtu %u is out of range: use %u..%u", o->mtu,
			      SHM_MIN_MTU, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR);
	if (o->buffer_size < 64 || o->buffer_size > PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN)
		return pl_err(err, errlen, -EINVAL,
			      "shm: buffer_size %u is out of range: use 64..%u bytes", o->buffer_size,
			      PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN);
	if (o->data_size > PL_SHM_MAX_DATA_SIZE || o->pipe_size > (1ull << 31) ||
	    o->shared_size > (1ull << 31))
		return pl_err(err, errlen, -EINVAL,
			      "shm: data_size %llu / pipe_size %llu / shared_size %llu: at most 4 GiB "
			      "of data and 2 GiB per pipe or shared region",
			      (unsigned long long)o->data_size, (unsigned long long)o->pipe_size,
			      (unsigned long long)o->shared_size);
	if (o->handover != PKTLINK_SHM_HANDOVER_PKTLINK && o->handover != PKTLINK_SHM_HANDOVER_FDS)
		return pl_err(err, errlen, -EINVAL, "shm: handover must be pktlink or fds");
	if (o->dir)
		return dir_check(o->dir, err, errlen);
	return 0;
}

int pktlink_shm_qp_create(const struct pktlink_shm_opts *opts, struct pktlink_shm_fds *fds,
			  char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct pl_shm_queue q[2];
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
		fds->tx[i] = fds->rx[i] = -1;
	int r = opts_load(opts, &o, err, errlen);
	if (r)
		return r;
	struct pl_shm_queue_sizes sz = { o.data_size, o.pipe_size, o.pipe_size, o.shared_size };
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	r = pl_shm_queue_create(&q[0], &sz, o.dir, err, errlen);
	if (!r)
		r = pl_shm_queue_create(&q[1], &sz, o.dir, err, errlen);
	if (r) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		return r;
	}
	/* Hand the descriptors over; the mappings were only for initialising. */
	memcpy(fds->tx, q[0].fds, sizeof(fds->tx));
	memcpy(fds->rx, q[1].fds, sizeof(fds->rx));
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
			q[k].fds[i] = -1;
		pl_shm_queue_close(&q[k]);
	}
	return 0;
}

void pktlink_shm_fds_close(struct pktlink_shm_fds *fds)
{
	if (!fds)
		return;
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++) {
		if (fds->tx[i] >= 0)
			close(fds->tx[i]);
		if (fds->rx[i] >= 0)
			close(fds->rx[i]);
		fds->tx[i] = fds->rx[i] = -1;
	}
}

int pktlink_shm_open(const struct pktlink_shm_opts *opts, const struct pktlink_shm_fds *fds,
		     int peer_fd, struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct pl_shm_queue q[2];
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "shm: epp is NULL");
	*epp = NULL;
	int r = opts_load(opts, &o, err, errlen);
	if (r)
		return r;
	if (!fds)
		return pl_err(err, errlen, -EINVAL, "shm: fds is NULL");
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	int pfd = -1;
	r = pl_shm_queue_adopt(&q[0], fds->tx, err, errlen);
	if (!r)
		r = pl_shm_queue_adopt(&q[1], fds->rx, err, errlen);
	if (!r)
		r = pl_shm_queue_map(&q[0], NULL, o.allow_unsealed, err, errlen);
	if (!r)
		r = pl_shm_queue_map(&q[1], NULL, o.allow_unsealed, err, errlen);
	if (!r && peer_fd >= 0) {
		pfd = pl_fault() ? (errno = EMFILE, -1) : fcntl(peer_fd, F_DUPFD_CLOEXEC, 0);
		if (pfd < 0)
			r = pl_err(err, errlen, -errno, "shm: cannot duplicate the peer fd %d: %s",
				   peer_fd, strerror(errno));
	}
	if (r) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		return r;
	}
	return shm_ep_create(&o, q, pfd, o.buffer_size, epp, err, errlen);
}

/* ---- over a unix socket ---- */

/* A unix socket address for path, or -EINVAL when it does not fit. */
static int make_addr(const char *path, struct sockaddr_un *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!path || !path[0] || strlen(path) >= sizeof(a->sun_path))
		return pl_err(err, errlen, -EINVAL,
			      "shm: socket path '%s' is empty or longer than %zu bytes",
			      path ? path : "", sizeof(a->sun_path) - 1);
	strcpy(a->sun_path, path);
	return 0;
}

/*
 * Bind and listen on path. A socket file that is already there is taken
 * over only when nobody listens on it (a server that was killed leaves its
 * file behind): a connect() probe tells a live server from a stale file.
 * A live pktlink server ignores the probe (it closes without a word).
 * Return the listening socket, or a negative errno with a reason in err.
 */
static int listen_at(const char *path, const struct sockaddr_un *a, char *err, size_t errlen)
{
	int ls = pl_fault() ? (errno = EMFILE, -1) : socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return pl_err(err, errlen, -errno, "shm: socket: %s", strerror(errno));
	int be = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		be = pl_fault() ? EADDRINUSE : bind(ls, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
		if (be != EADDRINUSE || attempt)
			break;
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
			break; /* not a socket file: never remove it */
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (probe < 0) {
			be = errno;
			break;
		}
		int ce = connect(probe, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
		close(probe);
		if (ce != ECONNREFUSED) {
			close(ls);
			return pl_err(err, errlen, -EADDRINUSE,
				      "shm: another server is listening on %s (%s): stop it or "
				      "choose another path",
				      path, ce ? strerror(ce) : "it accepted a connection");
		}
		unlink(path); /* stale: its server is gone */
	}
	if (!be)
		be = pl_fault() ? EADDRINUSE : listen(ls, 4) < 0 ? errno : 0;
	if (be) {
		close(ls);
		return pl_err(err, errlen, -be,
			      "shm: cannot listen on the unix socket %s: %s (is the directory "
			      "writable, or is something other than a socket there?)",
			      path, strerror(be));
	}
	return ls;
}

/* Milliseconds left until deadline_ns (CLOCK_MONOTONIC), or -1 for none (deadline 0). */
static int ms_left(uint64_t deadline_ns)
{
	if (!deadline_ns)
		return -1;
	uint64_t now = mono_ns();
	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* Check the sizes a peer announced in its hello, in 64-bit arithmetic. */
static int hello_check(const struct pl_shm_hello *h, char *err, size_t errlen)
{
	if (h->mtu < SHM_MIN_MTU || (uint64_t)h->mtu + SHM_ETH_HDR > PKTLINK_SHM_MAX_PACKET)
		return pl_err(err, errlen, -EINVAL,
			      "shm: the client announced MTU %u: it must be %u..%u", h->mtu,
			      SHM_MIN_MTU, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR);
	if (h->buffer_size < 64 || h->buffer_size > PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN)
		return pl_err(err, errlen, -EINVAL,
			      "shm: the client announced buffers of %u bytes: they must be 64..%u",
			      h->buffer_size, PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN);
	return 0;
}

int pktlink_shm_listen(const char *path, const struct pktlink_shm_opts *opts,
		       struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct sockaddr_un a;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "shm: epp is NULL");
	*epp = NULL;
	int r = opts_load(opts, &o, err, errlen);
	if (!r)
		r = make_addr(path, &a, err, errlen);
	if (r)
		return r;
	o.role = PKTLINK_SHM_SERVER;
	bool bare = o.handover == PKTLINK_SHM_HANDOVER_FDS;
	int ls = listen_at(path, &a, err, errlen);
	if (ls < 0)
		return ls;
	uint64_t deadline = o.timeout_ms < 0 ? 0 : mono_ns() + (uint64_t)o.timeout_ms * 1000000u;
	int cs = -1;
	struct pl_shm_hello h = { 0 };
	struct pktlink_shm_fds fds;
	/* Accept until a connection hands over a queue pair; connections that
	 * close without a word (another server's stale-socket probe) are
	 * skipped. Bounded by the deadline. */
	for (;;) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		int pr;
		do
			pr = poll(&p, 1, ms_left(deadline));
		while (pr < 0 && errno == EINTR);
		if (pr <= 0) {
			r = pl_err(err, errlen, pr == 0 ? -ETIMEDOUT : -errno,
				   "shm: no client connected to %s within %d ms", path, o.timeout_ms);
			break;
		}
		cs = pl_fault() ? (errno = EMFILE, -1) : accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (cs < 0) {
			r = pl_err(err, errlen, -errno, "shm: accept on %s: %s", path, strerror(errno));
			break;
		}
		int left = ms_left(deadline);
		r = bare ? pktlink_shm_recv_fds(cs, &fds, left, err, errlen)
			 : pl_shm_recv_qp(cs, &h, &fds, left, err, errlen);
		if (r != -ECONNABORTED)
			break;
		close(cs);
		cs = -1;
	}
	close(ls);
	unlink(path);
	if (r) {
		if (cs >= 0)
			close(cs);
		return r;
	}

	struct pl_shm_queue q[2];
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	memcpy(q[0].fds, fds.tx, sizeof(fds.tx));
	memcpy(q[1].fds, fds.rx, sizeof(fds.rx));
	if (bare) {
		/* Nothing announced: our own options describe the link. */
		h.mtu = o.mtu ? o.mtu : 1500;
	} else if ((h.vnet_hdr != 0) != o.vnet_hdr) {
		r = pl_err(err, errlen, -EINVAL,
			   "shm: the client %s virtio-net headers and this server %s: set vnet_hdr "
			   "the same on both sides",
			   h.vnet_hdr ? "uses" : "does not use", o.vnet_hdr ? "does" : "does not");
	} else if (o.mtu && h.mtu != o.mtu) {
		r = pl_err(err, errlen, -EINVAL,
			   "shm: the client's MTU is %u, this server's %u: set the same mtu on both "
			   "sides (or none on the server)",
			   h.mtu, o.mtu);
	} else {
		r = hello_check(&h, err, errlen);
	}
	if (!r)
		r = pl_shm_queue_map(&q[0], bare ? NULL : &h.sizes[0], o.allow_unsealed, err, errlen);
	if (!r)
		r = pl_shm_queue_map(&q[1], bare ? NULL : &h.sizes[1], o.allow_unsealed, err, errlen);
	if (r) {
		if (!bare)
			pl_shm_reply(cs, r, err ? err : "refused");
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		close(cs);
		return r;
	}
	o.mtu = h.mtu;
	struct pktlink_ep *ep;
	r = shm_ep_create(&o, q, cs, 0, &ep, err, errlen);
	if (r) {
		/* cs was closed with the endpoint: the client sees the hang-up. */
		return r;
	}
	if (!bare && (pl_fault() || pl_shm_reply(to_shm(ep)->peer_fd, 0, "") < 0)) {
		pktlink_close(ep);
		return pl_err(err, errlen, -EPIPE,
			      "shm: the client went away during the handshake");
	}
	*epp = ep;
	return 0;
}

/*
 * Connect s to the server at path. Nobody listening (no socket file, or a
 * stale one) fails at once unless opts allow a wait; a wait ends early on a
 * signal (EINTR), so Ctrl-C in a program that handles SIGINT stops it.
 */
static int connect_server(int s, const char *path, const struct sockaddr_un *a,
			  const struct pktlink_shm_opts *o, char *err, size_t errlen)
{
	uint64_t deadline = o->connect_wait_ms > 0 ? mono_ns() + (uint64_t)o->connect_wait_ms * 1000000u : 0;
	bool injected = pl_fault(); /* one setup step, however many retries */
	for (;;) {
		int e = injected ? EACCES
				 : connect(s, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
		if (!e)
			return 0;
		if (e == EINTR)
			continue;
		bool absent = e == ENOENT || e == ECONNREFUSED;
		bool wait = o->connect_wait_ms < 0 || (o->connect_wait_ms > 0 && mono_ns() < deadline);
		if (!absent || !wait) {
			const char *hint = e == ENOENT ? "no server there (no socket file): start the server first, or set wait_ms to wait for it"
					 : e == ECONNREFUSED ? "nobody listens there (the socket file of a server that is gone?): start the server first, or set wait_ms to wait for it"
							     : "check the path and its permissions";
			return pl_err(err, errlen, -e, "shm: cannot connect to %s: %s; %s", path,
				      strerror(e), hint);
		}
		struct timespec d = { 0, 10 * 1000 * 1000 };
		if (nanosleep(&d, NULL) < 0 && errno == EINTR)
			return pl_err(err, errlen, -EINTR,
				      "shm: interrupted while waiting for a server at %s", path);
	}
}

int pktlink_shm_connect(const char *path, const struct pktlink_shm_opts *opts,
			struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct sockaddr_un a;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "shm: epp is NULL");
	*epp = NULL;
	int r = opts_load(opts, &o, err, errlen);
	if (!r)
		r = make_addr(path, &a, err, errlen);
	if (r)
		return r;
	o.role = PKTLINK_SHM_CLIENT;
	struct pl_shm_queue q[2];
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	struct pl_shm_queue_sizes sz = { o.data_size, o.pipe_size, o.pipe_size, o.shared_size };
	int s = -1;
	r = pl_shm_queue_create(&q[0], &sz, o.dir, err, errlen);
	if (!r)
		r = pl_shm_queue_create(&q[1], &sz, o.dir, err, errlen);
	if (!r) {
		s = pl_fault() ? (errno = EMFILE, -1) : socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (s < 0)
			r = pl_err(err, errlen, -errno, "shm: socket: %s", strerror(errno));
	}
	if (!r)
		r = connect_server(s, path, &a, &o, err, errlen);
	if (!r) {
		struct pktlink_shm_fds fds;
		memcpy(fds.tx, q[0].fds, sizeof(fds.tx));
		memcpy(fds.rx, q[1].fds, sizeof(fds.rx));
		if (o.handover == PKTLINK_SHM_HANDOVER_FDS) {
			r = pktlink_shm_send_fds(s, &fds, err, errlen);
		} else {
			struct pl_shm_hello h = { .version = PL_SHM_WIRE_VERSION,
						  .mtu = o.mtu ? o.mtu : 1500,
						  .buffer_size = o.buffer_size,
						  .vnet_hdr = o.vnet_hdr };
			pl_shm_queue_sizes_of(&q[0], &h.sizes[0]);
			pl_shm_queue_sizes_of(&q[1], &h.sizes[1]);
			r = pl_shm_send_qp(s, &h, &fds, o.timeout_ms, err, errlen);
		}
	}
	if (r) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		if (s >= 0)
			close(s);
		return r;
	}
	return shm_ep_create(&o, q, s, o.buffer_size, epp, err, errlen);
}

/* ---- spec opener ---- */

static const char shm_spec_help[] =
	"shm:PATH?role=client|server&mtu=1500&buffer_size=2048&data_size=1048576&pipe_size=65536\n"
	"    &busy_poll=0&vnet_hdr=0&gso_max_size=0&csum_offload=0&addr=MAC&dir=DIR\n"
	"    &timeout_ms=30000&allow_unsealed=0&spin_us=20&handover=pktlink|fds&wait_ms=0\n"
	"  Shared memory with another process (gVisor sharedmem wire format). The server\n"
	"  listens on the unix socket PATH; the client creates the queues (memfd, or files\n"
	"  in DIR) and hands them over. busy_poll=1 never sleeps; otherwise a waiter\n"
	"  watches the pipe spin_us microseconds before sleeping on the eventfd (0 =\n"
	"  sleep at once); vnet_hdr=1 puts a virtio-net header before each frame (both\n"
	"  sides must agree). handover=fds speaks gVisor's bare hand-over (the ten queue\n"
	"  fds in one message; use allow_unsealed=1 with a gVisor client). A client fails\n"
	"  at once when nobody listens at PATH unless wait_ms allows a wait.\n";

static int shm_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	static const char *const roles[] = { "client", "server", NULL };
	struct pktlink_shm_opts o = { .sz = sizeof(o) };
	unsigned role = 0;
	uint32_t v;
	bool b;
	const char *str;
	int r;
	if ((r = pl_spec_enum(s, "role", roles, &role)) < 0)
		return r;
	o.role = role ? PKTLINK_SHM_SERVER : PKTLINK_SHM_CLIENT;
	if ((r = pl_spec_u32(s, "mtu", 68, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR, &o.mtu)) < 0 ||
	    (r = pl_spec_u32(s, "buffer_size", 64, PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN,
			     &o.buffer_size)) < 0 ||
	    (r = pl_spec_u32(s, "gso_max_size", 0, PKTLINK_SHM_MAX_PACKET, &o.gso_max_size)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "data_size", 4096, 1u << 31, &v)) < 0)
		return r;
	if (r)
		o.data_size = v;
	if ((r = pl_spec_u32(s, "pipe_size", 4096, 1u << 30, &v)) < 0)
		return r;
	if (r)
		o.pipe_size = v;
	if ((r = pl_spec_u32(s, "timeout_ms", 1, 3600000, &v)) < 0)
		return r;
	if (r)
		o.timeout_ms = (int)v;
	if ((r = pl_spec_bool(s, "busy_poll", &o.busy_poll)) < 0 ||
	    (r = pl_spec_bool(s, "vnet_hdr", &o.vnet_hdr)) < 0 ||
	    (r = pl_spec_bool(s, "allow_unsealed", &o.allow_unsealed)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "spin_us", 0, 1000000, &v)) < 0)
		return r;
	if (r)
		o.wait_spin_us = v ? (int)v : -1;
	if ((r = pl_spec_bool(s, "csum_offload", &b)) < 0)
		return r;
	o.tx_csum_offload = o.rx_csum_offload = r && b;
	if ((r = pl_spec_mac(s, "addr", o.link_addr)) < 0)
		return r;
	o.has_link_addr = r;
	if ((r = pl_spec_str(s, "dir", &str)) < 0)
		return r;
	if (r)
		o.dir = str;
	static const char *const handovers[] = { "pktlink", "fds", NULL };
	unsigned ho = 0;
	if ((r = pl_spec_enum(s, "handover", handovers, &ho)) < 0)
		return r;
	o.handover = ho ? PKTLINK_SHM_HANDOVER_FDS : PKTLINK_SHM_HANDOVER_PKTLINK;
	if ((r = pl_spec_u32(s, "wait_ms", 0, 3600000, &v)) < 0)
		return r;
	if (r)
		o.connect_wait_ms = (int)v;
	r = pl_spec_finish(s, "role, mtu, buffer_size, data_size, pipe_size, busy_poll, vnet_hdr, "
			      "gso_max_size, csum_offload, addr, dir, timeout_ms, allow_unsealed, spin_us, "
			      "handover, wait_ms");
	if (r)
		return r;
	if (!s->target || !s->target[0])
		return pl_err(s->err, s->errlen, -EINVAL,
			      "shm: give the unix socket path after 'shm:', e.g. "
			      "shm:/run/pl.sock?role=server");
	if (o.role == PKTLINK_SHM_SERVER)
		return pktlink_shm_listen(s->target, &o, epp, s->err, s->errlen);
	return pktlink_shm_connect(s->target, &o, epp, s->err, s->errlen);
}

/* The shm family's spec prefix (core/registry.h). */
const struct pl_family_entry pl_family_shm[] = {
	{ "shm", shm_open_spec, shm_spec_help },
	{ NULL, NULL, NULL },
};
