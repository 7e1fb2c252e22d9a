/* SPDX-License-Identifier: MIT */
/*
 * endpoint.c — the "xdp" endpoint: the pktlink contract over one AF_XDP
 * socket per queue.
 *
 * Per queue: one UMEM of its own (so per-queue RX threads share nothing)
 * and one socket. The UMEM's RX half circulates through FILL/RX, its TX
 * half through TX/COMPLETION (see xsk.h). Transmit always goes out through
 * the first queue's socket (one TX thread per endpoint, as the contract
 * says).
 *
 * Setup order (pktlink_xdp_open): validate → device (ifindex, MTU, MAC,
 * queue count) → per queue: UMEM, socket (xsk.c's order, bind included) →
 * XDP program (load, attach; or the caller's XSKMAP) → XSKMAP entry per
 * queue. Teardown (destroy) runs backwards from wherever setup stopped.
 *
 * Hot path: no allocation, no syscall per packet. RX kicks the kernel only
 * when the FILL ring asks for it (need_wakeup) and nothing was received; TX
 * kicks after each submitted batch in copy mode (the kernel moves copy-mode
 * TX only in sendto), or when the TX ring asks in zero-copy mode.
 */
#include "prog.h"
#include "xsk.h"
#include "core/endpoint.h"
#include "core/fault.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/spec.h"
#include "core/tx_prep.h"

#include <dirent.h>
#include <errno.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PL_XDP_ETH_HLEN 14
/* Largest GSO super-packet (IP packet bytes) accepted for software
 * segmentation: what Linux hands out at most (GSO_LEGACY_MAX_SIZE). */
#define PL_XDP_GSO_MAX 65536u

struct pl_xdp_q {
	struct pktlink_xdp_umem *umem;
	struct pktlink_xdp_socket *sock;
	uint32_t qid; /* device queue id */
	bool in_map; /* we put the socket in the XSKMAP */
	uint32_t rx_cap; /* payload bytes a received frame can hold */
	/* Multi-buffer: contiguous copies of chained frames, handed out as
	 * views (priv has PL_XDP_PRIV_BOUNCE) until released. RX thread. */
	uint8_t *bounce;
	uint32_t bounce_sz, bounce_n;
	uint32_t *bounce_free, bounce_top;
	uint8_t *bounce_used; /* [bounce_n]: handed out */
};

/* pktlink_pkt.priv of a received view: queue << 32 | frame index, with
 * this bit set when the view is a bounce-buffer slot instead of a frame. */
#define PL_XDP_PRIV_BOUNCE (1ull << 63)
#define PL_XDP_BOUNCE_SLOTS 64

struct pl_xdp_ep {
	struct pktlink_ep ep; /* first: core casts */
	struct pktlink_xdp_opts o;
	char ifname[IF_NAMESIZE];
	int ifindex;
	unsigned nq;
	struct pl_xdp_q *q;
	struct pl_xdp_prog prog;
	struct pktlink_xdp_status st;
	uint32_t tx_off; /* data offset of a TX frame */
	uint32_t tx_cap; /* largest frame we transmit */
	uint32_t frag_cap; /* bytes one TX chunk carries (frame_size - tx_off) */
	uint32_t tx_alloc_cap; /* capacity of a tx_alloc() buffer */
	bool sg; /* multi-buffer */
	/* What AF_XDP takes: bytes only, so pktlink completes checksums and
	 * segments super-packets itself (core/tx_prep.h). */
	struct pl_tx_caps tc;
	/* Multi-buffer: one output frame longer than a chunk (a completed
	 * checksum, a segment) is built here, then copied out as a chain. */
	uint8_t *tx_scratch;
};

static const struct pl_ep_ops pl_xdp_ops;

/* xep() - the xdp endpoint around its core part (embedded first). */
static inline struct pl_xdp_ep *xep(struct pktlink_ep *ep)
{
	return (struct pl_xdp_ep *)ep;
}

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
static void xdp_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);

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
	if (!got && (s->busy_poll || (s->need_wakeup && pktlink_xdp_ring_needs_wakeup(s->fq)))) {
		recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		pl_stat_add(&c->syscalls, 1);
	}
	return got;
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
static int xdp_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n)
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
	for (uint32_t i = 0; i < got; i++) {
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
static void xdp_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
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

/* ------------------------------------------------------------------------ */
/* TX                                                                        */

/*
 * xdp_tx_burst() - ops->tx_burst, through queue 0's socket: completions are
 * reaped first; caller memory is copied into free TX frames (chains when
 * larger than a chunk with sg), PKTLINK_PKT_TXBUF buffers go as they are
 * after checking they are ours and still held. Invalid frames are taken
 * and counted (tx_drop_invalid). One release-publish and at most a few
 * kicks per call. TX thread. Return: frames taken.
 */
/*
 * xdp_tx_commit() - finish a TX batch on queue xq of ep: give back the
 * reserved descriptors that were not filled (reserved - used), publish the
 * used ones, and kick the kernel when it needs it (copy mode always; zero
 * copy when need-wakeup asks). A kick that fails counts a TX error; ENXIO
 * means the socket was unbound, i.e. the device is gone. TX thread only.
 */
static void xdp_tx_commit(struct pktlink_ep *ep, struct pl_xdp_q *xq, uint32_t reserved,
			  uint32_t used)
{
	struct pktlink_xdp_socket *s = xq->sock;
	struct pl_tx_counters *c = &ep->txc;
	if (used < reserved)
		pktlink_xdp_prod_cancel(&s->tx, reserved - used);
	if (!used)
		return;
	pktlink_xdp_prod_submit(&s->tx, used);
	if (s->zc && s->need_wakeup && !pktlink_xdp_ring_needs_wakeup(&s->tx))
		return;
	uint32_t nsys = 0;
	int r = pl_xdp_kick(s, &nsys);
	pl_stat_add(&c->syscalls, nsys);
	if (r < 0) {
		pl_stat_add(&c->errors, 1);
		pl_ep_error(ep, r, "TX kick on queue %u of %s: %s", xq->qid, xep(ep)->ifname,
			    strerror(-r));
		if (r == -ENXIO)
			pl_ep_peer_gone(ep, -ENODEV);
	}
}

/*
 * xdp_tx_chain() - copy len bytes at src into free TX frames of u as a chain
 * of chunks (XDP_PKT_CONTD on all but the last) at ring slots idx + *used
 * onwards. The caller checked that the slots and frames are there (all or
 * nothing). TX thread.
 */
static void xdp_tx_chain(struct pl_xdp_ep *x, struct pktlink_xdp_socket *s, uint32_t idx,
			 uint32_t *used, const uint8_t *src, uint32_t len)
{
	struct pktlink_xdp_umem *u = s->umem;
	uint32_t nd = (len + x->frag_cap - 1) / x->frag_cap;
	uint32_t off = 0;
	for (uint32_t t = 0; t < nd; t++) {
		uint32_t f = u->tx_free[--u->tx_top];
		pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_TX);
		uint32_t l = len - off < x->frag_cap ? len - off : x->frag_cap;
		uint64_t addr = pl_xdp_frame_base(u, f) + x->tx_off;
		memcpy(u->area + addr, src + off, l);
		struct xdp_desc *dsc = pktlink_xdp_ring_desc(&s->tx, idx + *used);
		dsc->addr = addr;
		dsc->len = l;
		dsc->options = t + 1 < nd ? XDP_PKT_CONTD : 0;
		(*used)++;
		off += l;
	}
}

/* Outcome of xdp_tx_offload(). */
enum { XTX_INVALID = -1, XTX_NOROOM = 0, XTX_TAKEN = 1 };

/*
 * xdp_tx_offload() - send caller frame p, whose offload request
 * pl_tx_classify() said pktlink completes (how: PL_TX_CSUM or PL_TX_GSO):
 * its output frames (core/tx_prep.h) are written straight into free TX
 * frames, all or nothing — the ring slots (grown past *m when needed: the
 * reservation is contiguous) and frames for every output frame are secured
 * first, so a super-packet never goes out in part. *frames and *bytes count
 * the output frames sent. TX thread.
 * Return: XTX_TAKEN, XTX_NOROOM (retry later: nothing was written), or
 * XTX_INVALID (can never be sent: drop and count it).
 */
static int xdp_tx_offload(struct pl_xdp_ep *x, struct pktlink_xdp_socket *s, const struct pktlink_pkt *p,
			  int how, uint32_t idx, uint32_t *used, uint32_t *m)
{
	struct pktlink_xdp_umem *u = s->umem;
	struct pl_tx_iter it;
	int cnt = pl_tx_iter_init(&it, &x->tc, p, how);
	if (cnt < 0)
		return XTX_INVALID;
	/* The first output frame is the longest (segments shrink only at
	 * the end): it bounds the chunks per output frame. */
	uint32_t per = (pl_tx_iter_next_len(&it) + x->frag_cap - 1) / x->frag_cap;
	uint64_t need = (uint64_t)cnt * per;
	if (per > 1 && (!x->tx_scratch || per > PKTLINK_XDP_MAX_FRAGS))
		return XTX_INVALID;
	if (need > s->tx.size || need > u->frames - u->rx_frames)
		return XTX_INVALID; /* more than the ring or the pool can ever hold */
	if (*used + need > *m) {
		uint32_t more = (uint32_t)(*used + need - *m), at;
		if (!pktlink_xdp_prod_reserve(&s->tx, more, &at))
			return XTX_NOROOM;
		*m += more;
	}
	if (u->tx_top < need) {
		pktlink_xdp_socket_reap(s);
		if (u->tx_top < need)
			return XTX_NOROOM;
	}
	uint32_t len;
	while ((len = pl_tx_iter_next_len(&it)) != 0) {
		int r;
		if (len <= x->frag_cap) {
			uint32_t f = u->tx_free[--u->tx_top];
			uint64_t addr = pl_xdp_frame_base(u, f) + x->tx_off;
			r = pl_tx_iter_next(&it, u->area + addr, x->frag_cap);
			if (PL_XDP_UNLIKELY(r <= 0)) {
				u->tx_top++; /* unreachable: the lengths were checked */
				break;
			}
			pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_TX);
			struct xdp_desc *dsc = pktlink_xdp_ring_desc(&s->tx, idx + *used);
			dsc->addr = addr;
			dsc->len = (uint32_t)r;
			dsc->options = 0;
			(*used)++;
		} else {
			r = pl_tx_iter_next(&it, x->tx_scratch, x->tx_cap);
			if (PL_XDP_UNLIKELY(r <= 0))
				break;
			xdp_tx_chain(x, s, idx, used, x->tx_scratch, (uint32_t)r);
		}
	}
	return XTX_TAKEN;
}

static int xdp_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_xdp_ep *x = xep(ep);
	struct pl_xdp_q *xq = &x->q[0];
	struct pktlink_xdp_socket *s = xq->sock;
	struct pktlink_xdp_umem *u = xq->umem;
	struct pl_tx_counters *c = &ep->txc;
	uint32_t idx;

	if (!s->tx.map)
		return pl_ep_error(ep, -EOPNOTSUPP, "this xdp endpoint has no TX ring");
	pktlink_xdp_socket_reap(s);
	/* One slot per frame, more for multi-buffer chains (offloaded frames
	 * grow the reservation when they need more). */
	uint32_t want = x->sg ? n * 4 + PKTLINK_XDP_MAX_FRAGS : n;
	uint32_t m = pktlink_xdp_prod_nb_free(&s->tx, want);
	if (m > want)
		m = want;
	if (!m || !pktlink_xdp_prod_reserve(&s->tx, m, &idx)) {
		/* Ring full: frames are waiting for a kick (copy mode). */
		uint32_t nsys = 0;
		pl_xdp_kick(s, &nsys);
		pl_stat_add(&c->syscalls, nsys);
		return 0;
	}
	uint32_t used = 0;
	unsigned taken = 0;
	uint64_t invalid = 0, invalid_bytes = 0;
	for (; taken < n && used < m; taken++) {
		struct pktlink_pkt *p = &pkts[taken];
		uint64_t addr;
		uint32_t len = p->len;
		int how = pl_tx_classify(&x->tc, p);
		if (p->flags & PKTLINK_PKT_TXBUF) {
			uint32_t f = (uint32_t)p->priv;
			/* The buffer must be one we handed out, still held, and the
			 * data must lie inside its frame. */
			uintptr_t fb = (uintptr_t)(u->area + pl_xdp_frame_base(u, f < u->frames ? f : 0));
			uintptr_t d = (uintptr_t)p->data;
			bool held = (p->priv >> 32) == 0 && f < u->frames &&
				    pl_xdp_st(u, f) == PKTLINK_XDP_FRAME_APP_TX;
			if (PL_XDP_UNLIKELY(!held || d < fb || (uint64_t)(d - fb) + len > u->frame_size ||
					    len > x->tx_alloc_cap || how == PL_TX_INVALID ||
					    (how == PL_TX_CSUM && pl_tx_csum_in_place(p) != 0))) {
				invalid++;
				invalid_bytes += p->len;
				if (held) {
					pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FREE);
					u->tx_free[u->tx_top++] = f;
				} else {
					pl_xdp_count_error(u);
				}
				continue;
			}
			if (PL_XDP_UNLIKELY(how == PL_TX_GSO)) {
				/* Segments are built in other frames; the buffer
				 * itself is free again once they are. */
				int r = xdp_tx_offload(x, s, p, how, idx, &used, &m);
				if (r == XTX_NOROOM)
					break;
				if (r == XTX_INVALID) {
					invalid++;
					invalid_bytes += p->len;
				}
				pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FREE);
				u->tx_free[u->tx_top++] = f;
				continue;
			}
			pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_TX);
			addr = pl_xdp_frame_base(u, f) + (d - fb);
		} else {
			if (PL_XDP_UNLIKELY(how != PL_TX_PLAIN)) {
				int r = how == PL_TX_INVALID ? XTX_INVALID :
					xdp_tx_offload(x, s, p, how, idx, &used, &m);
				if (r == XTX_NOROOM)
					break;
				if (r == XTX_INVALID) {
					invalid++;
					invalid_bytes += p->len;
				}
				continue;
			}
			if (len > x->frag_cap) {
				/* Multi-buffer: a chain of chunks. All or nothing:
				 * the ring slots and frames are checked before
				 * anything is written. */
				uint32_t nd = (len + x->frag_cap - 1) / x->frag_cap;
				if (nd > PKTLINK_XDP_MAX_FRAGS) {
					invalid++;
					invalid_bytes += p->len;
					continue;
				}
				if (used + nd > m)
					break;
				if (u->tx_top < nd) {
					pktlink_xdp_socket_reap(s);
					if (u->tx_top < nd)
						break;
				}
				xdp_tx_chain(x, s, idx, &used, p->data, len);
				continue;
			}
			if (!u->tx_top) {
				pktlink_xdp_socket_reap(s);
				if (!u->tx_top)
					break;
			}
			uint32_t f = u->tx_free[--u->tx_top];
			pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_TX);
			addr = pl_xdp_frame_base(u, f) + x->tx_off;
			memcpy(u->area + addr, p->data, len);
		}
		struct xdp_desc *dsc = pktlink_xdp_ring_desc(&s->tx, idx + used);
		dsc->addr = addr;
		dsc->len = len;
		dsc->options = 0;
		used++;
	}
	xdp_tx_commit(ep, xq, m, used);
	if (invalid)
		pl_tx_invalid(c, invalid, invalid_bytes);
	return (int)taken;
}

/* xdp_tx_alloc() - ops->tx_alloc: free TX frames of queue 0's UMEM as
 * buffers (APP_TX), reaping completions when short. TX thread. */
static int xdp_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_xdp_ep *x = xep(ep);
	struct pl_xdp_q *xq = &x->q[0];
	struct pktlink_xdp_umem *u = xq->umem;
	if (u->tx_top < n)
		pktlink_xdp_socket_reap(xq->sock);
	unsigned k = 0;
	while (k < n && u->tx_top) {
		uint32_t f = u->tx_free[--u->tx_top];
		pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_APP_TX);
		struct pktlink_pkt *p = &pkts[k++];
		memset(p, 0, sizeof(*p));
		p->data = u->area + pl_xdp_frame_base(u, f) + x->tx_off;
		p->len = x->tx_alloc_cap;
		p->flags = PKTLINK_PKT_TXBUF;
		p->priv = f;
	}
	return (int)k;
}

/* xdp_tx_free() - ops->tx_free: unsent tx_alloc buffers back to the pool;
 * anything else is refused and counted. TX thread. */
static void xdp_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_xdp_ep *x = xep(ep);
	struct pktlink_xdp_umem *u = x->q[0].umem;
	for (unsigned i = 0; i < n; i++) {
		uint32_t f = (uint32_t)pkts[i].priv;
		if ((pkts[i].priv >> 32) || f >= u->frames ||
		    pl_xdp_st(u, f) != PKTLINK_XDP_FRAME_APP_TX) {
			pl_xdp_count_error(u);
			continue;
		}
		pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FREE);
		u->tx_free[u->tx_top++] = f;
	}
}

/* ------------------------------------------------------------------------ */
/* Forwarding without a copy                                                 */

int pktlink_xdp_forward(struct pktlink_ep *rx_ep, struct pktlink_ep *tx_ep,
			struct pktlink_pkt *pkts, unsigned n)
{
	if (!rx_ep || !tx_ep || rx_ep->ops != &pl_xdp_ops || tx_ep->ops != &pl_xdp_ops)
		return -EINVAL;
	int dead = pl_ep_dead(tx_ep);
	if (PL_XDP_UNLIKELY(dead))
		return dead;
	struct pl_xdp_ep *rx = xep(rx_ep), *tx = xep(tx_ep);
	struct pl_xdp_q *tq = &tx->q[0];
	struct pktlink_xdp_socket *s = tq->sock;
	struct pktlink_xdp_umem *u = tq->umem;
	struct pl_tx_counters *c = &tx_ep->txc;
	uint32_t idx;
	if (!s->tx.map)
		return pl_ep_error(tx_ep, -EOPNOTSUPP, "this xdp endpoint has no TX ring");
	pktlink_xdp_socket_reap(s);
	uint32_t m = pktlink_xdp_prod_nb_free(&s->tx, n);
	if (m > n)
		m = n;
	if (!m || !pktlink_xdp_prod_reserve(&s->tx, m, &idx)) {
		uint32_t nsys = 0;
		pl_xdp_kick(s, &nsys);
		pl_stat_add(&c->syscalls, nsys);
		return 0;
	}
	uint32_t used = 0;
	unsigned k;
	uint64_t bytes = 0, invalid = 0;
	for (k = 0; k < m; k++) {
		struct pktlink_pkt *p = &pkts[k];
		unsigned q = (unsigned)(p->priv >> 32) & 0xffff;
		uint32_t f = (uint32_t)p->priv;
		uint32_t len = p->len;
		uint64_t addr;
		uintptr_t fb = (uintptr_t)(u->area + pl_xdp_frame_base(u, f < u->frames ? f : 0));
		uintptr_t d = (uintptr_t)p->data;
		if (!(p->priv & PL_XDP_PRIV_BOUNCE) && !(p->flags & PKTLINK_PKT_TXBUF) &&
		    q < rx->nq && rx->q[q].umem == u && f < u->frames &&
		    pl_xdp_st(u, f) == PKTLINK_XDP_FRAME_APP_RX && d >= fb && len &&
		    (uint64_t)(d - fb) + len <= u->frame_size && len <= tx->tx_cap) {
			/* Same UMEM: the received frame itself goes out. */
			pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_TX);
			addr = pl_xdp_frame_base(u, f) + (d - fb);
		} else {
			if (!len || len > tx->tx_cap || len > tx->frag_cap || !p->data) {
				invalid++;
				xdp_rx_release(rx_ep, p, 1);
				continue;
			}
			if (!u->tx_top) {
				pktlink_xdp_socket_reap(s);
				if (!u->tx_top)
					break;
			}
			uint32_t t = u->tx_free[--u->tx_top];
			pl_xdp_st_set(u, t, PKTLINK_XDP_FRAME_TX);
			addr = pl_xdp_frame_base(u, t) + tx->tx_off;
			memcpy(u->area + addr, p->data, len);
			xdp_rx_release(rx_ep, p, 1);
		}
		struct xdp_desc *dsc = pktlink_xdp_ring_desc(&s->tx, idx + used);
		dsc->addr = addr;
		dsc->len = len;
		dsc->options = 0;
		used++;
		bytes += len;
	}
	xdp_tx_commit(tx_ep, tq, m, used);
	pl_stat_add(&c->packets, used);
	pl_stat_add(&c->bytes, bytes);
	if (invalid)
		pl_stat_add(&c->drop_invalid, invalid);
	return (int)k;
}

/* ------------------------------------------------------------------------ */
/* Properties, stats, teardown                                               */

/*
 * Wait for queue q (or stop_fd). Besides what the core's default wait does,
 * this tells a removed device apart: the kernel unbinds the socket and sets
 * ENETDOWN as its error, but AF_XDP's poll reports no POLLERR for it — so
 * after a wait that saw nothing (an idle path: one getsockopt per timeout)
 * the socket error is read. Then the endpoint's peer is gone (-ENODEV), the
 * closed callback runs, and bursts fail.
 */
static int xdp_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms)
{
	struct pl_xdp_ep *x = xep(ep);
	int fd = x->q[q].sock->fd;
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int r = poll(pfd, stop_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
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
static int xdp_queue_fd(const struct pktlink_ep *ep, unsigned q)
{
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	if (q >= x->nq || !x->q[q].sock)
		return -EINVAL;
	return x->q[q].sock->fd;
}

int pktlink_xdp_get_sock_stats(const struct pktlink_ep *ep, struct pktlink_xdp_sock_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!ep || ep->ops != &pl_xdp_ops)
		return -EINVAL;
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	int ret = 0;
	for (unsigned q = 0; q < x->nq; q++) {
		struct pktlink_xdp_sock_stats s;
		if (!x->q[q].sock)
			continue;
		int r = pktlink_xdp_socket_stats(x->q[q].sock, &s);
		if (r) {
			ret = r;
			continue;
		}
		st->rx_dropped += s.rx_dropped;
		st->rx_invalid_descs += s.rx_invalid_descs;
		st->tx_invalid_descs += s.tx_invalid_descs;
		st->rx_ring_full += s.rx_ring_full;
		st->rx_fill_ring_empty_descs += s.rx_fill_ring_empty_descs;
		st->tx_ring_empty_descs += s.tx_ring_empty_descs;
	}
	return ret;
}

/* xdp_read_stats() - ops->read_stats: add the kernel's XDP_STATISTICS of
 * every queue (one getsockopt each). Any thread. */
static int xdp_read_stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	struct pktlink_xdp_sock_stats ks;
	int r = pktlink_xdp_get_sock_stats(ep, &ks);
	/* rx_fill_ring_empty_descs counts attempts, not lost frames; the loss
	 * itself shows in rx_dropped. rx_ring_full frames are lost too. */
	st->rx_drop_kernel += ks.rx_dropped + ks.rx_ring_full;
	st->rx_drop_invalid += ks.rx_invalid_descs;
	st->tx_errors += ks.tx_invalid_descs;
	if (r)
		return pl_ep_error(ep, r, "XDP_STATISTICS on %s: %s", xep(ep)->ifname, strerror(-r));
	return 0;
}

/* xdp_destroy() - ops->destroy: undo whatever pktlink_xdp_open() got done,
 * backwards; safe on a half-built endpoint. */
static void xdp_destroy(struct pktlink_ep *ep)
{
	struct pl_xdp_ep *x = xep(ep);
	/* Backwards: map entries, program, sockets, UMEMs. */
	for (unsigned q = 0; x->q && q < x->nq; q++)
		if (x->q[q].in_map)
			pl_xdp_prog_map_clear(&x->prog, x->q[q].qid);
	pl_xdp_prog_teardown(&x->prog);
	for (unsigned q = 0; x->q && q < x->nq; q++) {
		struct pl_xdp_q *xq = &x->q[q];
		if (xq->umem && x->o.debug) {
			uint32_t held = pktlink_xdp_umem_census(xq->umem, NULL);
			uint64_t errs = pktlink_xdp_umem_errors(xq->umem);
			if (held || errs)
				fprintf(stderr,
					"pktlink xdp %s queue %u: %u frames still held by the "
					"application at close (leak), %llu refused frame operations "
					"(double release/post)\n",
					x->ifname, xq->qid, held, (unsigned long long)errs);
		}
		pktlink_xdp_socket_destroy(xq->sock);
		xq->sock = NULL;
		/* A shared UMEM goes with the last endpoint holding it. */
		if (xq->umem && --xq->umem->eps == 0)
			pktlink_xdp_umem_destroy(xq->umem);
		xq->umem = NULL;
		free(xq->bounce);
		free(xq->bounce_free);
		free(xq->bounce_used);
	}
	free(x->q);
	free(x->tx_scratch);
	pl_ep_fini(ep);
	free(x);
}

static const struct pl_ep_ops pl_xdp_ops = {
	.family = "xdp",
	.core_counts = true,
	.rx_burst = xdp_rx_burst,
	.rx_release = xdp_rx_release,
	.tx_burst = xdp_tx_burst,
	.tx_alloc = xdp_tx_alloc,
	.tx_free = xdp_tx_free,
	.queue_fd = xdp_queue_fd,
	.rx_wait = xdp_rx_wait,
	.read_stats = xdp_read_stats,
	.destroy = xdp_destroy,
};

int pktlink_xdp_get_status(const struct pktlink_ep *ep, struct pktlink_xdp_status *st)
{
	if (!ep || ep->ops != &pl_xdp_ops)
		return -EINVAL;
	*st = ((const struct pl_xdp_ep *)ep)->st;
	return 0;
}

struct pktlink_xdp_socket *pktlink_xdp_get_socket(const struct pktlink_ep *ep, unsigned q)
{
	if (!ep || ep->ops != &pl_xdp_ops)
		return NULL;
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	return q < x->nq ? x->q[q].sock : NULL;
}

struct pktlink_xdp_umem *pktlink_xdp_get_umem(const struct pktlink_ep *ep, unsigned q)
{
	if (!ep || ep->ops != &pl_xdp_ops)
		return NULL;
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	return q < x->nq ? x->q[q].umem : NULL;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                   */

/* RX queues of a device: /sys/class/net/IF/queues/rx-N entries. */
static unsigned device_rx_queues(const char *ifname)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	DIR *d = opendir(path);
	if (!d)
		return 1;
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : 1;
}

/* device_info() - the device's MTU and MAC (SIOCGIFMTU, SIOCGIFHWADDR). */
static int device_info(struct pl_xdp_ep *x, uint32_t *mtu, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return pl_err(err, errlen, -errno, "socket for device queries: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->ifname);
	int r = 0;
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		r = pl_err(err, errlen, -errno, "reading the MTU of %s: %s", x->ifname,
			   strerror(errno));
		goto out;
	}
	*mtu = (uint32_t)ifr.ifr_mtu;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) {
		memcpy(x->ep.info.link_addr, ifr.ifr_hwaddr.sa_data, 6);
		x->ep.info.has_link_addr = 1;
	}
out:
	close(s);
	return r;
}

int pktlink_xdp_open(const struct pktlink_xdp_opts *opts, struct pktlink_ep **epp, char *err,
		     size_t errlen)
{
	struct pktlink_xdp_opts o = { 0 };
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "pktlink_xdp_open: epp is NULL");
	*epp = NULL;
	if (!opts)
		return pl_err(err, errlen, -EINVAL, "pktlink_xdp_open: opts is NULL");
	int oerr = PL_OPTS_LOAD(pktlink_xdp_opts, &o, opts, sizeof(size_t), err, errlen);
	if (oerr)
		return oerr;
	if (!o.ifname || !o.ifname[0])
		return pl_err(err, errlen, -EINVAL, "xdp: a device name is required (xdp:IFNAME)");
	if (strlen(o.ifname) >= IF_NAMESIZE)
		return pl_err(err, errlen, -EINVAL, "xdp: device name '%s' is too long", o.ifname);
	unsigned ifindex = if_nametoindex(o.ifname);
	if (!ifindex)
		return pl_err(err, errlen, -ENODEV, "xdp: no device %s", o.ifname);
	unsigned devq = device_rx_queues(o.ifname);
	unsigned nq = o.all_queues ? devq : o.num_queues ? o.num_queues : 1;
	if (o.all_queues && o.queue)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: queue=%u with queues=all: all takes every RX queue from 0; drop "
			      "queue=, or write queue=%u&queues=N for N queues from %u on",
			      o.queue, o.queue, o.queue);
	if (o.queue >= devq || o.queue + nq > devq)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: queue=%u%s is out of range: %s has %u RX queue%s (0..%u); "
			      "traffic on other queues never reaches this socket — use queues=all",
			      o.queue, nq > 1 ? " and following" : "", o.ifname, devq,
			      devq == 1 ? "" : "s", devq - 1);
	if (nq > PL_MAX_QUEUES)
		return pl_err(err, errlen, -EINVAL, "xdp: %u queues: at most %d", nq, PL_MAX_QUEUES);
	if (!o.frame_size)
		o.frame_size = 2048;
	if (!o.frames)
		o.frames = 4096;
	for (int i = 0; i < 2; i++) {
		uint32_t v = i ? o.tx_size : o.rx_size;
		if (v && (v < 64 || v > 32768 || (v & (v - 1))))
			return pl_err(err, errlen, -EINVAL,
				      "xdp: %s=%u: ring sizes are powers of two from 64 to 32768",
				      i ? "tx_size" : "rx_size", v);
	}
	if (o.has_sock_fd && (nq != 1 || o.sock_fd < 0))
		return pl_err(err, errlen, -EINVAL,
			      "xdp: a socket handed in (fd=%d) serves one queue: use queues=1",
			      o.sock_fd);
	if (o.share_umem) {
		/* The geometry is the shared UMEM's. */
		const struct pl_xdp_ep *other = (const struct pl_xdp_ep *)o.share_umem;
		if (o.share_umem->ops != &pl_xdp_ops || other->nq != 1 || nq != 1)
			return pl_err(err, errlen, -EINVAL,
				      "xdp: share_umem must be a single-queue xdp endpoint, and this "
				      "endpoint must have one queue too");
		if (other->sg || o.sg)
			return pl_err(err, errlen, -EINVAL,
				      "xdp: share_umem does not combine with multi-buffer (sg)");
		const struct pktlink_xdp_umem *su = other->q[0].umem;
		o.frame_size = su->frame_size;
		o.frames = su->frames;
		o.headroom = su->headroom;
		o.unaligned = su->flags & PKTLINK_XDP_UMEM_UNALIGNED;
	}
	if (o.mode > PKTLINK_XDP_MODE_SKB || o.zerocopy > PKTLINK_XDP_ZC_OFF ||
	    o.attach > PKTLINK_XDP_ATTACH_LIBBPF)
		return pl_err(err, errlen, -EINVAL, "xdp: bad mode, zerocopy or attach value");
	if (o.mode == PKTLINK_XDP_MODE_SKB && o.zerocopy == PKTLINK_XDP_ZC_REQUIRE)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: zerocopy=require cannot work with mode=skb (generic XDP "
			      "always copies); use mode=drv or mode=auto");

	struct pl_xdp_ep *x = calloc(1, sizeof(*x));
	if (!x)
		return pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
	int r = pl_ep_init(&x->ep, &pl_xdp_ops, nq);
	if (r) {
		free(x);
		return pl_err(err, errlen, r, "xdp: endpoint init: %s", strerror(-r));
	}
	pl_xdp_prog_init(&x->prog);
	x->o = o;
	x->o.ifname = NULL;
	x->o.xskmap_pin = NULL;
	snprintf(x->ifname, sizeof(x->ifname), "%s", o.ifname);
	x->ifindex = (int)ifindex;
	x->nq = nq;
	struct pktlink_info *info = &x->ep.info;
	info->max_header_len = PL_XDP_ETH_HLEN;
	info->caps = PKTLINK_CAP_TX_ALLOC | PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	info->arp_hwtype = ARPHRD_ETHER;
	info->gso_kind = PKTLINK_GSO_KIND_NONE;
	/* The device filters by MAC (a NIC queue) before XDP sees a frame:
	 * no second filter here. Frames carry no offload metadata. */
	pl_rx_policy_init(&x->ep.rxp, true, true, NULL, false, false);

	uint32_t mtu = 0;
	if ((r = device_info(x, &mtu, err, errlen)))
		goto fail;
	/* What a received frame can hold: the kernel keeps 256 bytes of
	 * XDP headroom plus ours in front of the data. */
	uint32_t cap = o.frame_size > XDP_PACKET_HEADROOM + o.headroom ?
			       o.frame_size - XDP_PACKET_HEADROOM - o.headroom :
			       0;
	uint32_t usable = cap > PL_XDP_ETH_HLEN ? cap - PL_XDP_ETH_HLEN : 0;
	x->sg = o.sg;
	if (o.sg) {
		/* Chains carry any MTU up to PKTLINK_XDP_MAX_FRAGS chunks. */
		uint64_t most = (uint64_t)cap * PKTLINK_XDP_MAX_FRAGS - PL_XDP_ETH_HLEN;
		usable = most > 65535 ? 65535 : (uint32_t)most;
	}
	if (mtu > usable) {
		r = pl_err(err, errlen, -EINVAL,
			   "xdp: %s has MTU %u, but a %u-byte frame with headroom %u holds at most "
			   "MTU %u (frame_size - 256 - headroom - 14%s): lower the MTU (ip link set "
			   "dev %s mtu %u), raise frame_size, lower headroom%s",
			   x->ifname, mtu, o.frame_size, o.headroom, usable,
			   o.sg ? ", times 17 chunks" : "", x->ifname, usable,
			   o.sg ? "" : ", or use multi-buffer (sg=1)");
		goto fail;
	}
	info->mtu = mtu;
	x->tx_off = o.headroom;
	x->tx_cap = mtu + PL_XDP_ETH_HLEN;
	x->frag_cap = o.frame_size - x->tx_off;
	if (!o.sg && x->tx_cap > x->frag_cap)
		x->tx_cap = x->frag_cap;
	if (x->tx_cap > x->frag_cap) {
		/* tx_alloc() buffers are one chunk: too small for this MTU. */
		info->caps &= ~(uint32_t)PKTLINK_CAP_TX_ALLOC;
		x->tx_alloc_cap = x->frag_cap;
	} else {
		x->tx_alloc_cap = x->tx_cap;
	}
	/* Offload requests are completed here, never passed down: AF_XDP
	 * sends bytes as they are. */
	x->tc = (struct pl_tx_caps){ .min_len = PL_XDP_ETH_HLEN,
				     .frame_max = x->tx_cap,
				     .super_max = PL_XDP_GSO_MAX + PL_XDP_ETH_HLEN + 4,
				     .link_len = PL_XDP_ETH_HLEN };
	info->caps |= PKTLINK_CAP_TX_CSUM_OFFLOAD;
	info->gso_kind = PKTLINK_GSO_KIND_SOFTWARE;
	info->gso_max_size = PL_XDP_GSO_MAX;
	if (x->tx_cap > x->frag_cap) {
		x->tx_scratch = malloc(x->tx_cap);
		if (!x->tx_scratch) {
			r = pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
			goto fail;
		}
	}

	x->q = calloc(nq, sizeof(*x->q));
	if (!x->q) {
		r = pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
		goto fail;
	}
	bool skb = o.mode == PKTLINK_XDP_MODE_SKB;
	bool all_zc = true;
	for (unsigned q = 0; q < nq; q++) {
		struct pl_xdp_q *xq = &x->q[q];
		xq->qid = o.queue + q;
		xq->rx_cap = cap;
		struct pktlink_xdp_umem_opts uo = {
			.sz = sizeof(uo),
			.frames = o.frames,
			.frame_size = o.frame_size,
			.headroom = o.headroom,
			.flags = (o.unaligned ? PKTLINK_XDP_UMEM_UNALIGNED : 0) |
				 (o.hugepages ? PKTLINK_XDP_UMEM_HUGEPAGES : 0) |
				 (o.debug ? PKTLINK_XDP_UMEM_DEBUG : 0),
		};
		if (o.share_umem) {
			xq->umem = pktlink_xdp_get_umem(o.share_umem, 0);
			xq->umem->eps++;
		} else {
			if ((r = pktlink_xdp_umem_create(&uo, &xq->umem, err, errlen)))
				goto fail;
			xq->umem->eps = 1;
		}
		uint32_t half = o.frames / 2;
		uint32_t ring = 1;
		while (ring < half)
			ring <<= 1;
		struct pktlink_xdp_socket_opts so = {
			.sz = sizeof(so),
			.ifname = x->ifname,
			.queue = xq->qid,
			.rx_size = o.rx_size ? o.rx_size : ring,
			.tx_size = o.tx_size ? o.tx_size : ring,
			.no_tx = q != 0, /* TX goes out through queue 0 */
			/* Generic XDP always copies; say so, or the kernel may
			 * try zero-copy on a driver that has it. */
			.zerocopy = skb ? PKTLINK_XDP_ZC_OFF : o.zerocopy,
			.no_need_wakeup = o.no_need_wakeup,
			.busy_poll_usec = o.busy_poll_usec,
			.busy_poll_budget = o.busy_poll_budget,
			.sg = o.sg,
			.has_fd = o.has_sock_fd,
			.fd = o.sock_fd,
		};
		if ((r = pktlink_xdp_socket_create(xq->umem, &so, &xq->sock, err, errlen)))
			goto fail;
		if (o.sg) {
			xq->bounce_n = PL_XDP_BOUNCE_SLOTS;
			xq->bounce_sz = (mtu + PL_XDP_ETH_HLEN + 4 + 63) & ~63u;
			xq->bounce = malloc((size_t)xq->bounce_n * xq->bounce_sz);
			xq->bounce_free = malloc(sizeof(uint32_t) * xq->bounce_n);
			xq->bounce_used = calloc(xq->bounce_n, 1);
			if (!xq->bounce || !xq->bounce_free || !xq->bounce_used) {
				r = pl_err(err, errlen, -ENOMEM, "xdp: bounce buffers: out of memory");
				goto fail;
			}
			for (uint32_t i = 0; i < xq->bounce_n; i++)
				xq->bounce_free[i] = xq->bounce_n - 1 - i;
			xq->bounce_top = xq->bounce_n;
		}
		all_zc = all_zc && xq->sock->zc;
	}
	if ((r = pl_ep_init_pollfd(&x->ep))) {
		pl_err(err, errlen, r, "xdp: %s", pktlink_last_error(&x->ep));
		goto fail;
	}

	/* The program: the caller's XSKMAP, or ours. */
	if (o.has_xskmap_fd || o.xskmap_pin) {
		if ((r = pl_xdp_prog_use_map(&x->prog, o.has_xskmap_fd ? o.xskmap_fd : -1,
					     o.xskmap_pin, err, errlen)))
			goto fail;
		x->st.mode = skb ? PKTLINK_XDP_MODE_SKB : PKTLINK_XDP_MODE_DRV;
	} else {
		if ((r = pl_xdp_prog_attach(&x->prog, x->ifindex, x->ifname, o.mode, o.sg, o.attach,
					    err, errlen)))
			goto fail;
		x->st.own_program = true;
		x->st.dispatcher = x->prog.dispatcher;
		x->st.mode = x->prog.attach_mode == 2 /* XDP_MODE_SKB */ ? PKTLINK_XDP_MODE_SKB :
									   PKTLINK_XDP_MODE_DRV;
	}
	for (unsigned q = 0; q < nq; q++) {
		if ((r = pl_xdp_prog_map_set(&x->prog, x->q[q].qid, x->q[q].sock->fd, err, errlen)))
			goto fail;
		x->q[q].in_map = true;
	}

	x->st.zerocopy = all_zc;
	x->st.first_queue = o.queue;
	x->st.num_queues = nq;
	x->st.device_queues = devq;
	x->st.usable_mtu = usable;
	x->st.frame_size = o.frame_size;
	x->st.frames_per_queue = o.frames;
	x->st.ifindex = x->ifindex;
	*epp = &x->ep;
	return 0;
fail:
	xdp_destroy(&x->ep);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Spec strings                                                              */

static const char xdp_spec_help[] =
	"xdp:IFNAME?keys — AF_XDP socket(s) on a device queue\n"
	"  queue=N            first queue (default 0)\n"
	"  queues=N|all       number of queues from queue= on, or every RX queue (default 1)\n"
	"  mode=auto|drv|skb  XDP attach mode (auto: driver, else generic)\n"
	"  zerocopy=auto|require|off\n"
	"  frames=N           UMEM frames per queue, half RX half TX (default 4096)\n"
	"  frame_size=2048|4096  chunk size (any 2048..65536 with unaligned=1; default 2048)\n"
	"  unaligned=0|1      unaligned chunk mode\n"
	"  headroom=N         bytes reserved before received data (default 0)\n"
	"  need_wakeup=0|1    XDP_USE_NEED_WAKEUP (default 1)\n"
	"  busy_poll=USEC     SO_PREFER_BUSY_POLL + SO_BUSY_POLL (default off)\n"
	"  busy_budget=N      SO_BUSY_POLL_BUDGET (default 64)\n"
	"  hugepages=0|1      back the UMEM with 2 MiB pages when available\n"
	"  xskmap=PATH|FD     use the XSKMAP of a program you attached instead of pktlink's\n"
	"  debug=0|1          report frame leaks and double releases at close\n"
	"  sg=0|1             multi-buffer (XDP_USE_SG): jumbo frames as chunk chains\n"
	"  fd=N               use this AF_XDP socket (handed in by a privileged process)\n"
	"  rx_size=N tx_size=N  ring sizes, powers of two (default frames/2)\n"
	"  attach=auto|libxdp|libbpf  how the XDP program is attached (auto: join libxdp's\n"
	"                     dispatcher if one is there, else a bpf_link via libbpf)\n";

/* xdp_open_spec() - "xdp:IFNAME?..." → pktlink_xdp_open(). */
static int xdp_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	static const char *const modes[] = { "auto", "drv", "skb", NULL };
	static const char *const zcs[] = { "auto", "require", "off", NULL };
	static const char *const attaches[] = { "auto", "libxdp", "libbpf", NULL };
	unsigned attach = 0;
	struct pktlink_xdp_opts o = { .sz = sizeof(o) };
	unsigned mode = 0, zc = 0;
	bool need_wakeup = true;
	const char *queues = NULL, *xskmap = NULL;
	int r;
	o.ifname = s->target;
	if ((r = pl_spec_u32(s, "queue", 0, 65535, &o.queue)) < 0 ||
	    (r = pl_spec_str(s, "queues", &queues)) < 0 ||
	    (r = pl_spec_enum(s, "mode", modes, &mode)) < 0 ||
	    (r = pl_spec_enum(s, "zerocopy", zcs, &zc)) < 0 ||
	    (r = pl_spec_u32(s, "frames", 2, 1u << 20, &o.frames)) < 0 ||
	    (r = pl_spec_u32(s, "frame_size", 2048, 65536, &o.frame_size)) < 0 ||
	    (r = pl_spec_bool(s, "unaligned", &o.unaligned)) < 0 ||
	    (r = pl_spec_u32(s, "headroom", 0, 60000, &o.headroom)) < 0 ||
	    (r = pl_spec_bool(s, "need_wakeup", &need_wakeup)) < 0 ||
	    (r = pl_spec_u32(s, "busy_poll", 0, 1000000, &o.busy_poll_usec)) < 0 ||
	    (r = pl_spec_u32(s, "busy_budget", 1, 65535, &o.busy_poll_budget)) < 0 ||
	    (r = pl_spec_bool(s, "hugepages", &o.hugepages)) < 0 ||
	    (r = pl_spec_str(s, "xskmap", &xskmap)) < 0 ||
	    (r = pl_spec_bool(s, "debug", &o.debug)) < 0 ||
	    (r = pl_spec_bool(s, "sg", &o.sg)) < 0 ||
	    (r = pl_spec_u32(s, "rx_size", 64, 32768, &o.rx_size)) < 0 ||
	    (r = pl_spec_u32(s, "tx_size", 64, 32768, &o.tx_size)) < 0 ||
	    (r = pl_spec_enum(s, "attach", attaches, &attach)) < 0)
		return r;
	o.attach = (enum pktlink_xdp_attach)attach;
	uint32_t sock_fd = 0;
	if ((r = pl_spec_u32(s, "fd", 0, 1u << 24, &sock_fd)) < 0)
		return r;
	o.has_sock_fd = r > 0;
	o.sock_fd = (int)sock_fd;
	if ((r = pl_spec_finish(s, "queue, queues, mode, zerocopy, frames, frame_size, unaligned, "
				   "headroom, need_wakeup, busy_poll, busy_budget, hugepages, "
				   "xskmap, debug, sg, fd, rx_size, tx_size, attach")))
		return r;
	o.mode = (enum pktlink_xdp_mode)mode;
	o.zerocopy = (enum pktlink_xdp_zc)zc;
	o.no_need_wakeup = !need_wakeup;
	if (queues) {
		char *end;
		if (!strcmp(queues, "all")) {
			o.all_queues = true;
		} else {
			unsigned long v = strtoul(queues, &end, 10);
			if (*queues < '0' || *queues > '9' || *end || v < 1 || v > PL_MAX_QUEUES)
				return pl_err(s->err, s->errlen, -EINVAL,
					      "xdp: bad value '%s' for key 'queues': expected all or "
					      "a whole number from 1 to %d",
					      queues, PL_MAX_QUEUES);
			o.num_queues = (uint32_t)v;
		}
	}
	if (xskmap) {
		char *end;
		long fd = strtol(xskmap, &end, 10);
		if (*xskmap >= '0' && *xskmap <= '9' && !*end) {
			if (fd < 0 || fd > 1 << 24)
				return pl_err(s->err, s->errlen, -EINVAL,
					      "xdp: xskmap=%s: not a file descriptor", xskmap);
			o.has_xskmap_fd = true;
			o.xskmap_fd = (int)fd;
		} else {
			o.xskmap_pin = xskmap;
		}
	}
	return pktlink_xdp_open(&o, epp, s->err, s->errlen);
}

/* The xdp family's spec prefix (core/registry.h). */
const struct pl_family_entry pl_family_xdp[] = {
	{ "xdp", xdp_open_spec, xdp_spec_help },
	{ NULL, NULL, NULL },
};
