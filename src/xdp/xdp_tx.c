/* SPDX-License-Identifier: MIT */
/*
 * xdp_tx.c — the xdp endpoint's transmit side: the core TX preparation step
 * (completed checksums, software GSO into TX frames), copies and chains,
 * TX buffers, zero-copy forwarding between xdp endpoints. See xdp_setup.c
 * for the overview. One TX thread.
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
#include <unistd.h>

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

int xdp_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
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
int xdp_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
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
void xdp_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
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

