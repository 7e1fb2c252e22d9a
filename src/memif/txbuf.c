/* SPDX-License-Identifier: MIT */
/*
 * txbuf.c — memif zero-copy transmit: buffers lent by pktlink_tx_alloc(),
 * sent by tx_burst without a copy, returned by pktlink_tx_free().
 *
 * Client: the buffers come from the lend pool in region 0 (after the ring
 * buffers; conn.pool_*), each a whole frame. Sending one writes its
 * region/offset into the next C2S descriptor (the protocol lets the
 * client point descriptors anywhere in its regions) and remembers the pool
 * buffer in slot_buf; it goes back to the pool when the server's tail
 * passes the slot. Release and send in any order.
 *
 * Server: the buffers are the ones the client posted on the S2C ring,
 * lent in ring order; the server may write a descriptor's length and flags
 * only, so a lent buffer can go out only in its own slot, and slots are
 * published in ring order. The lend window [pos, lend_end) holds the lent
 * (W_LENT) and given-back (W_FREE) slots. A lent buffer whose slot is the
 * next to publish goes out in place; one whose slot is not next while the
 * next is free (a buffer lent before it was given back), or whose flow
 * hashes to another ring, is copied there like a caller frame and its own
 * slot becomes free, so frames leave in tx_burst order. A lent buffer the
 * application keeps holds back the ring behind it: a frame sent after it
 * waits (tx_burst takes nothing) until it is sent or given back, the
 * protocol has no way around its slot.
 *
 * Handles: priv = pool buffer (client) or ring << 16 | ring position
 * (server), priv2 = the lend generation; with the data pointer they must
 * match a buffer lent now, else tx_burst drops the frame (tx_drop_invalid)
 * and tx_free ignores it (counted in tx_drop_invalid too). Every function
 * runs on the TX thread.
 */
#include "memif_int.h"

#include "core/tx_prep.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Client: the lend pool */

static uint32_t cli_lent(const struct pl_memif_ep *e, const struct pktlink_pkt *p)
{
	uint64_t b = p->priv;
	if (b >= e->conn.npool || e->pool_st[b] != PL_MEMIF_POOL_LENT || e->pool_gen[b] != p->priv2 ||
	    p->data != e->pool_base + b * e->conn.pool_bsize)
		return PL_MEMIF_NOBUF;
	return (uint32_t)b;
}

static void pool_put(struct pl_memif_ep *e, uint32_t b)
{
	uint32_t at = e->pool_head + e->npool_free++;
	e->pool_st[b] = PL_MEMIF_POOL_FREE;
	e->pool_free[at < e->conn.npool ? at : at - e->conn.npool] = b;
}

static uint32_t pool_get(struct pl_memif_ep *e)
{
	uint32_t b = e->pool_free[e->pool_head];
	if (++e->pool_head == e->conn.npool)
		e->pool_head = 0;
	e->npool_free--;
	return b;
}

void pl_memif_cli_reap(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t tail)
{
	for (uint16_t s = t->peer; t->inflight && s != tail; s++) {
		uint32_t *sb = &t->slot_buf[s & t->mask];
		if (*sb != PL_MEMIF_NOBUF) {
			pool_put(e, *sb);
			*sb = PL_MEMIF_NOBUF;
			t->inflight--;
		}
	}
}

int pl_memif_cli_put_lent(struct pl_memif_ep *e, struct pl_memif_txq *t, uint32_t *room,
			  struct pktlink_pkt *p)
{
	uint32_t b = cli_lent(e, p);
	if (b == PL_MEMIF_NOBUF) {
		pl_tx_invalid(&e->ep.txc, 1, p->len); /* not ours: nothing to give back */
		return PL_MEMIF_PUT_DROPPED;
	}
	int how = pl_tx_classify(&e->tc, p);
	/* A super-packet in a lent buffer is refused: segmenting it would
	 * copy anyway (send it from your own memory). */
	if (how == PL_TX_INVALID || how == PL_TX_GSO || how == PL_TX_PASS ||
	    (how == PL_TX_CSUM && pl_tx_csum_in_place(p))) {
		pl_tx_invalid(&e->ep.txc, 1, p->len);
		pool_put(e, b);
		return PL_MEMIF_PUT_DROPPED;
	}
	if (!*room)
		return PL_MEMIF_PUT_FULL;
	uint16_t slot = t->pos & t->mask;
	struct memif_desc *d = memif_desc_at(t->ring, slot);
	d->region = 0;
	d->offset = (uint32_t)(e->conn.pool_offset + (uint64_t)b * e->conn.pool_bsize);
	d->length = p->len;
	d->flags = 0;
	t->slot_buf[slot] = b;
	t->inflight++;
	e->pool_st[b] = PL_MEMIF_POOL_TX;
	t->pos++;
	(*room)--;
	return PL_MEMIF_PUT_OK;
}

static int cli_alloc(struct pl_memif_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	/* Buffers the server has consumed come back first. */
	for (unsigned q = 0; q < e->ntx; q++) {
		int r = pl_memif_cli_tail(e, &e->txq[q]);
		if (r < 0)
			return r;
	}
	unsigned i = 0;
	for (; i < n && e->npool_free; i++) {
		uint32_t b = pool_get(e);
		e->pool_st[b] = PL_MEMIF_POOL_LENT;
		pkts[i] = (struct pktlink_pkt){
			.data = e->pool_base + (uint64_t)b * e->conn.pool_bsize,
			.len = e->max_frame,
			.flags = PKTLINK_PKT_TXBUF,
			.priv = b,
			.priv2 = ++e->pool_gen[b],
		};
	}
	return (int)i;
}

/* ------------------------------------------------------------------------ */
/* Server: the lend window over the posted S2C buffers */

/* The window slot of a server handle (its ring in *ring), or -1. */
static int srv_lent(const struct pl_memif_ep *e, const struct pktlink_pkt *p, unsigned *ring)
{
	uint64_t h = p->priv;
	unsigned q = (unsigned)(h >> 16);
	uint16_t at = (uint16_t)h;
	if (h >> 32 || q >= e->ntx)
		return -1;
	const struct pl_memif_txq *t = &e->txq[q];
	uint16_t slot = at & t->mask;
	if ((uint16_t)(at - t->pos) >= (uint16_t)(t->lend_end - t->pos) ||
	    t->w_st[slot] != PL_MEMIF_W_LENT || t->w_gen[slot] != p->priv2 ||
	    p->data != t->w_ptr[slot])
		return -1;
	*ring = q;
	return at;
}

/* Give a lent slot back; an all-free window closes (its slots are plain
 * posted buffers again). */
static void srv_unlend(struct pl_memif_txq *t, uint16_t at)
{
	t->w_st[at & t->mask] = PL_MEMIF_W_FREE;
	if (!--t->nlent)
		t->lend_end = t->pos;
}

int pl_memif_srv_put_lent(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t *avail,
			  struct pktlink_pkt *p)
{
	unsigned q;
	int at = srv_lent(e, p, &q);
	if (at < 0) {
		pl_tx_invalid(&e->ep.txc, 1, p->len);
		return PL_MEMIF_PUT_DROPPED;
	}
	struct pl_memif_txq *lt = &e->txq[q];
	int how = pl_tx_classify(&e->tc, p);
	if (how == PL_TX_INVALID || how == PL_TX_GSO || how == PL_TX_PASS ||
	    (how == PL_TX_CSUM && pl_tx_csum_in_place(p))) {
		pl_tx_invalid(&e->ep.txc, 1, p->len);
		srv_unlend(lt, (uint16_t)at);
		return PL_MEMIF_PUT_DROPPED;
	}
	if (lt == t && (uint16_t)at == t->pos) {
		/* In place: length and flags only, the client's region/offset stay. */
		struct memif_desc *d = memif_desc_at(t->ring, t->pos & t->mask);
		__atomic_store_n(&d->length, p->len, __ATOMIC_RELAXED);
		__atomic_store_n(&d->flags, (uint16_t)0, __ATOMIC_RELAXED);
		t->pos++;
		(*avail)--;
		if (!--t->nlent)
			t->lend_end = t->pos;
		return PL_MEMIF_PUT_OK;
	}
	/* Not the next slot: copy it there (frames leave in tx_burst order). */
	int r = pl_memif_server_put(e, t, avail, p->data, p->len);
	if (r == PL_MEMIF_PUT_OK || r == PL_MEMIF_PUT_LOST)
		srv_unlend(lt, (uint16_t)at);
	return r;
}

static int srv_alloc(struct pl_memif_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	unsigned i = 0;
	bool small = false;
	for (unsigned q = 0; q < e->ntx && i < n; q++) {
		struct pl_memif_txq *t = &e->txq[q];
		uint16_t head = __atomic_load_n(memif_u16(t->ring, MEMIF_RING_HEAD), __ATOMIC_ACQUIRE);
		uint16_t avail = (uint16_t)(head - t->pos), win = (uint16_t)(t->lend_end - t->pos);
		if (avail > t->size || avail < win)
			return pl_memif_violation(
				e, "S2C ring head moved more than a ring ahead or backwards");
		/* Given-back slots of the window first, then new ones. */
		for (uint16_t k = t->nlent == win ? win : 0; k < avail && i < n; k++) {
			uint16_t at = (uint16_t)(t->pos + k), slot = at & t->mask;
			if (k < win && t->w_st[slot] != PL_MEMIF_W_FREE)
				continue;
			struct pl_memif_seg buf;
			int v = pl_memif_posted(e, t, slot, &buf);
			if (v < 0)
				return v;
			if (buf.len < e->max_frame) {
				/* Lending stops here: slots go out in order. */
				small = true;
				break;
			}
			if (k >= win) {
				t->lend_end = (uint16_t)(at + 1);
				win = (uint16_t)(k + 1);
			}
			t->w_st[slot] = PL_MEMIF_W_LENT;
			t->w_ptr[slot] = buf.ptr;
			t->nlent++;
			pkts[i++] = (struct pktlink_pkt){
				.data = t->w_ptr[slot],
				.len = e->max_frame,
				.flags = PKTLINK_PKT_TXBUF,
				.priv = (uint64_t)q << 16 | at,
				.priv2 = ++t->w_gen[slot],
			};
		}
	}
	if (!i && small)
		return pl_ep_error(&e->ep, -EMSGSIZE,
				   "memif server: the client posts buffers smaller than a frame "
				   "(%u bytes), so none can be lent: send from your own memory",
				   e->max_frame);
	return (int)i;
}

/* ------------------------------------------------------------------------ */

int pl_memif_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_memif_ep *e = to_memif(ep);
	int left = __atomic_load_n(&e->left, __ATOMIC_ACQUIRE);
	if (left)
		return pl_ep_peer_gone(ep, left);
	return e->role == PKTLINK_MEMIF_CLIENT ? cli_alloc(e, pkts, n) : srv_alloc(e, pkts, n);
}

void pl_memif_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_memif_ep *e = to_memif(ep);
	for (unsigned i = 0; i < n; i++) {
		const struct pktlink_pkt *p = &pkts[i];
		if (e->role == PKTLINK_MEMIF_CLIENT) {
			uint32_t b = cli_lent(e, p);
			if (b != PL_MEMIF_NOBUF) {
				pool_put(e, b);
				continue;
			}
		} else {
			unsigned q;
			int at = srv_lent(e, p, &q);
			if (at >= 0) {
				srv_unlend(&e->txq[q], (uint16_t)at);
				continue;
			}
		}
		/* not lent now (freed twice, sent, forged): ignored */
		pl_tx_invalid(&ep->txc, 1, 0);
	}
}
