/* SPDX-License-Identifier: MIT */
/*
 * xdp_rx.c — the xdp endpoint's receive side: RX ring to views (single
 * descriptors, multi-buffer chains), the core receive policy, release back
 * to FILL, waiting. See xdp_setup.c for the overview. RX thread per queue.
 */
#include "xdp_ep.h"

#include "core/fault.h"
#include "core/registry.h"
#include "core/spec.h"

#include <dirent.h>
#include <errno.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* RX                                                                        */

/* rx_refill() - post the free RX frames of a queue to its FILL ring (no
 * syscall: a kernel that ran dry is woken by the next empty rx_burst or by
 * poll()). RX thread of the queue. */
static void rx_refill(struct pl_xdp_q *xq)
{
	if (xq->umem->rx_top)
		pktlink_xdp_socket_refill(xq->sock);
}

static int xdp_rx_burst_sg(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts,
			   unsigned n);
void xdp_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);

/*
 * xdp_rx_peek() - the start of every RX burst: refill FILL (so frames
 * released since the last call are back with the kernel), then peek up to
 * want RX descriptors. With nothing received, make the syscall the kernel
 * asked for (need-wakeup on FILL: it ran dry earlier) or that busy polling
 * drives the queue with. RX thread. Return: descriptors peeked at *idx.
 */
static uint32_t xdp_rx_peek(struct pktlink_xdp_socket *s, struct pktlink_xdp_umem *u,
			    struct pl_rx_counters *c, uint32_t want, uint32_t *idx)
{
	if (u->rx_top)
		pktlink_xdp_socket_refill(s);
	uint32_t got = pktlink_xdp_cons_peek(&s->rx, want, idx);
	if (PL_XDP_UNLIKELY(s->busy_probe) && got)
		pl_xdp_busy_probe(s);
	if (!got && (s->busy_poll || (s->need_wakeup && pktlink_xdp_ring_needs_wakeup(s->fq)))) {
		recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		pl_stat_add(&c->syscalls, 1);
	}
	return got;
}

/* How many frames ahead xdp_rx_burst() prefetches frame heads. */
#define PL_XDP_RX_PREFETCH 4

/* rx_prefetch() - prefetch the head of a received frame. The descriptor is
 * not validated yet (xdp_rx_burst() does that): only an offset inside the
 * UMEM is prefetched, anything else is skipped. */
static inline void rx_prefetch(const struct pktlink_xdp_umem *u, const struct xdp_desc *d)
{
	uint64_t off = pl_xdp_addr_off(d->addr);
	if (off < u->len)
		__builtin_prefetch(u->area + off);
}

/* Give frame f of the RX side back to the free stack (RX thread). */
static inline void rx_frame_free(struct pktlink_xdp_umem *u, uint32_t f)
{
	pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FREE);
	u->rx_free[u->rx_top++] = f;
}

/*
 * xdp_rx_burst() - ops->rx_burst: up to n views of received frames of queue
 * q (one descriptor each; multi-buffer endpoints go to the _sg variant).
 * Refills FILL first, so frames released since the last call are back with
 * the kernel. Every descriptor is checked against the pool's records (only
 * frames we posted, inside their chunk) before it becomes a view; a bad one
 * is counted in rx_drop_invalid. RX thread of q. Return: views, or 0.
 */
int xdp_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_xdp_ep *x = xep(ep);
	if (x->sg)
		return xdp_rx_burst_sg(ep, q, pkts, n);
	struct pl_xdp_q *xq = &x->q[q];
	struct pktlink_xdp_socket *s = xq->sock;
	struct pktlink_xdp_umem *u = xq->umem;
	struct pl_rx_counters *c = &ep->rxc[q];
	uint32_t idx;

	uint32_t got = xdp_rx_peek(s, u, c, n, &idx);
	if (!got)
		return 0;
	unsigned k = 0;
	uint64_t bad = 0, filtered = 0;
	uint64_t base_priv = (uint64_t)q << 32;
	/* The receive policy reads each frame's head (the checksum check,
	 * the MAC filter): it was just written by the kernel on another CPU,
	 * a cache miss each. Prefetching a few frames ahead overlaps them. */
	bool touch = ep->rxp.fix_unmarked || __atomic_load_n(&ep->rxp.filter, __ATOMIC_RELAXED);
	for (uint32_t i = 0; touch && i < got && i < PL_XDP_RX_PREFETCH; i++)
		rx_prefetch(u, pktlink_xdp_ring_desc(&s->rx, idx + i));
	for (uint32_t i = 0; i < got; i++) {
		if (touch && i + PL_XDP_RX_PREFETCH < got)
			rx_prefetch(u, pktlink_xdp_ring_desc(&s->rx, idx + i + PL_XDP_RX_PREFETCH));
		const struct xdp_desc *d = pktlink_xdp_ring_desc(&s->rx, idx + i);
		uint64_t addr = d->addr;
		uint32_t len = d->len;
		uint32_t f = pl_xdp_frame_idx(u, addr);
		uint64_t off = pl_xdp_addr_off(addr);
		/* Read once, check against our records: only frames we posted
		 * to FILL may come back, and only inside their chunk. */
		if (PL_XDP_UNLIKELY(f >= u->frames || pl_xdp_st(u, f) != PKTLINK_XDP_FRAME_FILL ||
				    off + len > pl_xdp_frame_base(u, f) + u->frame_size ||
				    (d->options & XDP_PKT_CONTD))) {
			bad++;
			if (f < u->frames && pl_xdp_st(u, f) == PKTLINK_XDP_FRAME_FILL) {
				pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FREE);
				u->rx_free[u->rx_top++] = f;
			} else {
				pl_xdp_count_error(u);
			}
			continue;
		}
		struct pktlink_pkt *p = &pkts[k];
		*p = (struct pktlink_pkt){ .data = u->area + off, .len = len, .queue = (uint16_t)q,
					   .priv = base_priv | f };
		int v = pl_rx_apply(&ep->rxp, p, 0, 0);
		if (PL_XDP_UNLIKELY(v != PL_RX_KEEP)) {
			(*(v == PL_RX_FILTER ? &filtered : &bad))++;
			rx_frame_free(u, f);
			continue;
		}
		pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_APP_RX);
		k++;
	}
	pktlink_xdp_cons_release(&s->rx, got);
	s->fq_sock->fill_out -= got;
	if (bad)
		pl_stat_add(&c->drop_invalid, bad);
	if (filtered)
		pl_stat_add(&c->drop_filter, filtered);
	return (int)k;
}


/*
 * Multi-buffer receive. A frame is one descriptor, or a chain whose
 * descriptors but the last carry XDP_PKT_CONTD. The kernel publishes a
 * chain whole, but our peek may cut one: then the cut chain is un-peeked
 * and waits for the next call. Single-descriptor frames are views into the
 * UMEM as usual; chains are copied into a bounce slot (the contract's view
 * is contiguous) and their frames go straight back to FILL.
 */
static int xdp_rx_burst_sg(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts,
			   unsigned n)
{
	struct pl_xdp_ep *x = xep(ep);
	struct pl_xdp_q *xq = &x->q[q];
	struct pktlink_xdp_socket *s = xq->sock;
	struct pktlink_xdp_umem *u = xq->umem;
	struct pl_rx_counters *c = &ep->rxc[q];
	uint32_t idx;

	/* Enough descriptors for n frames of which the last may be a chain. */
	uint32_t got = xdp_rx_peek(s, u, c, n + PKTLINK_XDP_MAX_FRAGS + 1, &idx);
	if (!got)
		return 0;
	unsigned k = 0;
	uint32_t i = 0;
	uint64_t bad = 0, filtered = 0;
	uint64_t base_priv = (uint64_t)q << 32;
	while (i < got && k < n) {
		/* Find the chain's end (a descriptor without XDP_PKT_CONTD). */
		uint32_t j = i;
		while (j < got && (pktlink_xdp_ring_desc(&s->rx, idx + j)->options & XDP_PKT_CONTD))
			j++;
		if (j == got) {
			if (j - i > PKTLINK_XDP_MAX_FRAGS + 1) {
				/* A chain longer than any valid one: drop what we have,
				 * the rest is dropped when it shows up. */
				for (uint32_t t = i; t < j; t++) {
					uint32_t f = pl_xdp_frame_idx(
						u, pktlink_xdp_ring_desc(&s->rx, idx + t)->addr);
					if (f < u->frames && pl_xdp_st(u, f) == PKTLINK_XDP_FRAME_FILL)
						rx_frame_free(u, f);
				}
				bad++;
				i = j;
				continue;
			}
			break; /* cut by our peek: next time */
		}
		uint32_t nd = j - i + 1;
		/* Validate every descriptor of the chain first. */
		bool ok = nd <= PKTLINK_XDP_MAX_FRAGS + 1;
		uint64_t total = 0;
		for (uint32_t t = i; t <= j; t++) {
			const struct xdp_desc *d = pktlink_xdp_ring_desc(&s->rx, idx + t);
			uint64_t addr = d->addr;
			uint32_t len = d->len;
			uint32_t f = pl_xdp_frame_idx(u, addr);
			if (f >= u->frames || pl_xdp_st(u, f) != PKTLINK_XDP_FRAME_FILL ||
			    pl_xdp_addr_off(addr) + len > pl_xdp_frame_base(u, f) + u->frame_size)
				ok = false;
			total += len;
		}
		if (nd > 1 && (total > xq->bounce_sz || !xq->bounce_top)) {
			if (ok && total <= xq->bounce_sz)
				break; /* all bounce slots are out: wait for releases */
			ok = false;
		}
		if (!ok) {
			bad++;
			for (uint32_t t = i; t <= j; t++) {
				uint32_t f = pl_xdp_frame_idx(u, pktlink_xdp_ring_desc(&s->rx, idx + t)->addr);
				if (f < u->frames && pl_xdp_st(u, f) == PKTLINK_XDP_FRAME_FILL)
					rx_frame_free(u, f);
				else
					pl_xdp_count_error(u);
			}
			i = j + 1;
			continue;
		}
		struct pktlink_pkt *p = &pkts[k];
		memset(p, 0, sizeof(*p));
		p->queue = (uint16_t)q;
		if (nd == 1) {
			const struct xdp_desc *d = pktlink_xdp_ring_desc(&s->rx, idx + i);
			uint32_t f = pl_xdp_frame_idx(u, d->addr);
			pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_APP_RX);
			p->data = u->area + pl_xdp_addr_off(d->addr);
			p->len = d->len;
			p->priv = base_priv | f;
		} else {
			uint32_t slot = xq->bounce_free[--xq->bounce_top];
			xq->bounce_used[slot] = 1;
			uint8_t *dst = xq->bounce + (size_t)slot * xq->bounce_sz;
			uint32_t off = 0;
			for (uint32_t t = i; t <= j; t++) {
				const struct xdp_desc *d = pktlink_xdp_ring_desc(&s->rx, idx + t);
				memcpy(dst + off, u->area + pl_xdp_addr_off(d->addr), d->len);
				off += d->len;
				rx_frame_free(u, pl_xdp_frame_idx(u, d->addr));
			}
			p->data = dst;
			p->len = off;
			p->priv = PL_XDP_PRIV_BOUNCE | base_priv | slot;
		}
		i = j + 1;
		int v = pl_rx_apply(&ep->rxp, p, 0, 0);
		if (PL_XDP_UNLIKELY(v != PL_RX_KEEP)) {
			(*(v == PL_RX_FILTER ? &filtered : &bad))++;
			xdp_rx_release(ep, p, 1);
			continue;
		}
		k++;
	}
	if (i < got)
		pktlink_xdp_cons_cancel(&s->rx, got - i);
	if (i) {
		pktlink_xdp_cons_release(&s->rx, i);
		s->fq_sock->fill_out -= i;
	}
	if (u->rx_top)
		pktlink_xdp_socket_refill(s);
	if (bad)
		pl_stat_add(&c->drop_invalid, bad);
	if (filtered)
		pl_stat_add(&c->drop_filter, filtered);
	return (int)k;
}

/*
 * xdp_rx_release() - ops->rx_release: views back to the pool and straight on
 * to FILL. A handle that is not a view we handed out (released twice,
 * forged) is refused and counted (pktlink_xdp_umem_errors()), never posted.
 * RX thread that received them.
 */
void xdp_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_xdp_ep *x = xep(ep);
	unsigned last = ~0u;
	for (unsigned i = 0; i < n; i++) {
		unsigned q = (unsigned)(pkts[i].priv >> 32) & 0xffff;
		uint32_t f = (uint32_t)pkts[i].priv;
		if (PL_XDP_UNLIKELY(q >= x->nq)) {
			continue;
		}
		if (pkts[i].priv & PL_XDP_PRIV_BOUNCE) {
			struct pl_xdp_q *xq = &x->q[q];
			if (f < xq->bounce_n && xq->bounce_used[f]) {
				xq->bounce_used[f] = 0;
				xq->bounce_free[xq->bounce_top++] = f;
			} else {
				pl_xdp_count_error(xq->umem);
			}
			continue;
		}
		struct pktlink_xdp_umem *u = x->q[q].umem;
		/* A view released twice, or a priv that is not ours: refuse
		 * (counted) instead of posting the frame to FILL twice. */
		if (PL_XDP_UNLIKELY((pkts[i].priv >> 48) || f >= u->frames ||
				    pl_xdp_st(u, f) != PKTLINK_XDP_FRAME_APP_RX)) {
			pl_xdp_count_error(u);
			continue;
		}
		rx_frame_free(u, f);
		if (q != last && last != ~0u)
			rx_refill(&x->q[last]);
		last = q;
	}
	/* Back into FILL now: an application that sleeps in poll() after
	 * releasing must find the kernel able to receive. */
	if (last != ~0u)
		rx_refill(&x->q[last]);
}

/*
 * Waiting without a wake-up. A reader asleep in poll() is woken by the
 * kernel after each batch it delivers, and that wake-up is paid on the CPU
 * that delivers (on veth, the sender's, which also runs the XDP program and
 * the copy into the UMEM). While frames are flowing, a reader that naps on
 * a timer instead costs that CPU nothing and finds a batch when it wakes;
 * the RX ring (default 2048 slots) holds far more than a nap's worth.
 * A nap that finds nothing ends the flowing state, so an idle queue is
 * back to poll() (and its latency) after one nap. Off with no_nap (nap=0).
 * Measured (bench/README.md, "Levers (issue 12)"): xdp-drv/rxdrop 2.39 ->
 * 3.12 Mpps at 122 -> 83 CPU ns per frame.
 */
#define PL_XDP_NAP_NS 20000l
#define PL_XDP_FLOWING_NS 100000ull

/* rx_ring_ready() - the kernel has published RX descriptors we have not
 * consumed (acquire: their contents are read after this). */
static bool rx_ring_ready(const struct pktlink_xdp_ring *r)
{
	return __atomic_load_n(r->producer, __ATOMIC_ACQUIRE) != r->cached_cons;
}

/*
 * Wait for queue q (or stop_fd). Besides what the core's default wait does,
 * this tells a removed device apart: the kernel unbinds the socket and sets
 * ENETDOWN as its error, but AF_XDP's poll reports no POLLERR for it — so
 * after a wait that saw nothing (an idle path: one getsockopt per timeout)
 * the socket error is read. Then the endpoint's peer is gone (-ENODEV), the
 * closed callback runs, and bursts fail. While frames flow it naps instead
 * (see "Waiting without a wake-up" above).
 */
int xdp_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms)
{
	struct pl_xdp_ep *x = xep(ep);
	struct pl_xdp_q *xq = &x->q[q];
	int fd = xq->sock->fd;
	if (xq->flowing && timeout_ms != 0 && !x->o.no_nap) {
		struct timespec nap = { 0, PL_XDP_NAP_NS };
		nanosleep(&nap, NULL);
		if (rx_ring_ready(&xq->sock->rx))
			return 1;
		xq->flowing = false;
	}
	uint64_t t0 = timeout_ms != 0 && !x->o.no_nap ? pl_mono_ns() : 0;
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int r = poll(pfd, stop_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (t0 && (pfd[0].revents & POLLIN) && pl_mono_ns() - t0 < PL_XDP_FLOWING_NS)
		xq->flowing = true;
	if (r == 0 || (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr || (pfd[0].revents & (POLLHUP | POLLNVAL))) {
			pl_ep_error(ep, -ENODEV,
				    "queue %u of %s: the device went away (socket error %s); close "
				    "the endpoint",
				    x->q[q].qid, x->ifname, strerror(soerr ? soerr : EPIPE));
			return pl_ep_peer_gone(ep, -ENODEV);
		}
	}
	return r;
}

/* xdp_queue_fd() - ops->queue_fd: the AF_XDP socket of queue q. */
int xdp_queue_fd(const struct pktlink_ep *ep, unsigned q)
{
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	if (q >= x->nq || !x->q[q].sock)
		return -EINVAL;
	return x->q[q].sock->fd;
}

