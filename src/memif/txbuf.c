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
 * (server), priv2 = the buffer's lend tag (memif_int.h: odd while lent,
 * moved on when lent and when sent or given back, so a stale handle never
 * matches); with the data pointer they must match a buffer lent now, else
 * tx_burst drops the frame (tx_drop_invalid) and tx_free ignores it
 * (counted in tx_drop_invalid too). Every function runs on the TX thread.
 *
 * Cost: tx_burst takes runs of lent frames that go out as they are with
 * one check of the handle each (pl_memif_*_lent_run(), called per run);
 * the client reaps consumed buffers in bulk, when tx_alloc runs short or
 * the ring looks full, not at every burst; a client's pool buffers are an
 * odd number of cache lines apart (region.c), as its ring buffers are.
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
	if (b >= e->conn.npool || e->pool_tag[b] != p->priv2 || !pl_memif_tag_lent(p->priv2) ||
	    p->data != e->pool_base + b * e->conn.pool_bsize)
		return PL_MEMIF_NOBUF;
	return (uint32_t)b;
}

/* Back to the free FIFO; its tag is already even (sent or given back). */
static void pool_push(struct pl_memif_ep *e, uint32_t b)
{
	uint32_t at = e->pool_head + e->npool_free++;
	e->pool_free[at < e->conn.npool ? at : at - e->conn.npool] = b;
}

/* A lent buffer given back (or refused) without going out. */
static void pool_put(struct pl_memif_ep *e, uint32_t b)
{
	e->pool_tag[b]++;
	pool_push(e, b);
}

void pl_memif_cli_reap(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t tail)
{
	/* pool_push() by hand, in locals (as cli_lent_run) */
	uint32_t *const sb = t->slot_buf, *const fifo = e->pool_free;
	const uint32_t npool = e->conn.npool;
	const uint16_t mask = t->mask;
	uint32_t nfree = e->npool_free, at = e->pool_head + nfree;
	if (at >= npool)
		at -= npool;
	uint16_t s = t->peer;
	uint32_t got = 0;
	if (t->inflight == (uint16_t)(t->pos - s)) {
		/* Every slot in flight carries a pool buffer (zero-copy only):
		 * the consumed ones go to the FIFO as they are, in at most
		 * three pieces (where either ring wraps). */
		got = (uint16_t)(tail - s);
		for (uint32_t left = got; left;) {
			uint32_t from = s & mask, k = left;
			if (k > (uint32_t)mask + 1 - from)
				k = (uint32_t)mask + 1 - from;
			if (k > npool - at)
				k = npool - at;
			memcpy(fifo + at, sb + from, k * sizeof(*sb));
			memset(sb + from, 0xff, k * sizeof(*sb)); /* PL_MEMIF_NOBUF */
			at = at + k == npool ? 0 : at + k;
			s = (uint16_t)(s + k);
			left -= k;
		}
	} else {
		for (; s != tail; s++) {
			uint32_t *slot = &sb[s & mask], b = *slot;
			if (b != PL_MEMIF_NOBUF) {
				*slot = PL_MEMIF_NOBUF;
				fifo[at] = b;
				if (++at == npool)
					at = 0;
				got++;
			}
		}
	}
	t->inflight -= got;
	e->npool_free = nfree + got;
}

/* Publish pool buffer b with len bytes in the next slot (room checked). */
static inline void cli_publish(struct pl_memif_ep *e, struct pl_memif_txq *t, uint32_t b,
			       uint32_t len)
{
	uint16_t slot = t->pos & t->mask;
	uint64_t *w = (uint64_t *)(void *)memif_desc_at(t->ring, slot);
	uint32_t off = (uint32_t)(e->conn.pool_offset + (uint64_t)b * e->conn.pool_bsize);
	__atomic_store_n(&w[0], memif_desc_make(0, 0, len), __ATOMIC_RELAXED);
	__atomic_store_n(&w[1], (uint64_t)off, __ATOMIC_RELAXED); /* offset, then metadata 0 */
	t->slot_buf[slot] = b;
	e->pool_tag[b]++; /* sent: the handle is stale now */
	t->pos++;
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
	cli_publish(e, t, b, p->len);
	t->inflight++;
	(*room)--;
	return PL_MEMIF_PUT_OK;
}

unsigned pl_memif_cli_lent_run(struct pl_memif_ep *e, struct pl_memif_txq *t,
			       const struct pktlink_pkt *pkts, unsigned m, uint64_t *bytesp)
{
	/* Two passes, everything in locals: the checks first (loads only,
	 * so the compiler keeps the constants in registers), then the
	 * stores of cli_publish() for the frames that passed. */
	const uint32_t npool = e->conn.npool, bsize = e->conn.pool_bsize;
	const uint32_t min_len = e->tc.min_len, span = e->tc.frame_max - min_len;
	uint32_t *const tag = e->pool_tag;
	uint8_t *const base = e->pool_base;
	unsigned k;
	for (k = 0; k < m; k++) {
		const struct pktlink_pkt *p = &pkts[k];
		uint64_t b = p->priv;
		/* the checks of cli_lent() and of a plain pl_tx_classify() */
		if (PL_UNLIKELY((p->flags & (PKTLINK_PKT_TXBUF | PKTLINK_PKT_CSUM_PARTIAL)) !=
					PKTLINK_PKT_TXBUF ||
				p->gso_type != PKTLINK_GSO_NONE || b >= npool ||
				tag[b] != p->priv2 || !pl_memif_tag_lent(p->priv2) ||
				p->data != base + (uint32_t)b * bsize || p->len - min_len > span))
			break;
	}
	/* a buffer's descriptor offset: its address less the region's */
	uint8_t *const r0 = base - e->conn.pool_offset;
	uint32_t *const sb = t->slot_buf;
	struct memif_desc *const desc = memif_desc_at(t->ring, 0);
	const uint32_t mask = t->mask;
	uint32_t pos = t->pos; /* wraps at 16 bits below */
	uint64_t bytes = 0;
	for (unsigned i = 0; i < k; i++) {
		const struct pktlink_pkt *p = &pkts[i];
		uint32_t len = p->len, b = (uint32_t)p->priv;
		uint32_t slot = pos++ & mask;
		uint64_t *w = (uint64_t *)(void *)&desc[slot];
		__atomic_store_n(&w[0], memif_desc_make(0, 0, len), __ATOMIC_RELAXED);
		__atomic_store_n(&w[1], (uint64_t)(uint32_t)(p->data - r0), __ATOMIC_RELAXED);
		sb[slot] = b;
		tag[b] = p->priv2 + 1; /* sent: the handle is stale now */
		bytes += len;
	}
	t->pos = (uint16_t)pos;
	t->inflight += k;
	*bytesp += bytes;
	return k;
}

static int cli_alloc(struct pl_memif_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	/* Short: the buffers the server has consumed come back, in bulk. */
	for (unsigned q = 0; q < e->ntx && e->npool_free < n; q++) {
		int r = pl_memif_cli_tail(e, &e->txq[q]);
		if (r < 0)
			return r;
	}
	/* in locals: the stores into pkts would make the compiler reload them */
	const uint32_t npool = e->conn.npool, bsize = e->conn.pool_bsize, len = e->max_frame;
	const uint32_t *const fifo = e->pool_free;
	uint32_t *const tag = e->pool_tag;
	uint8_t *const base = e->pool_base;
	uint32_t take = n < e->npool_free ? n : e->npool_free, head = e->pool_head;
	for (uint32_t i = 0; i < take; i++) {
		uint32_t b = fifo[head];
		if (++head == npool)
			head = 0;
		pkts[i] = (struct pktlink_pkt){
			.data = base + (uint64_t)b * bsize,
			.len = len,
			.flags = PKTLINK_PKT_TXBUF,
			.priv = b,
			.priv2 = ++tag[b],
		};
	}
	e->pool_head = head;
	e->npool_free -= take;
	return (int)take;
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
	const struct pl_memif_lend *w = &t->w[at & t->mask];
	if ((uint16_t)(at - t->pos) >= (uint16_t)(t->lend_end - t->pos) || w->tag != p->priv2 ||
	    !pl_memif_tag_lent(p->priv2) || p->data != w->ptr)
		return -1;
	*ring = q;
	return at;
}

/* Give a lent slot back; an all-free window closes (its slots are plain
 * posted buffers again). */
static void srv_unlend(struct pl_memif_txq *t, uint16_t at)
{
	t->w[at & t->mask].tag++;
	if (!--t->nlent)
		t->lend_end = t->pos;
}

/* In place: length and flags only, the client's region/offset stay. */
static inline void srv_publish(struct pl_memif_txq *t, uint32_t len)
{
	uint16_t slot = t->pos & t->mask;
	struct memif_desc *d = memif_desc_at(t->ring, slot);
	__atomic_store_n(&d->length, len, __ATOMIC_RELAXED);
	__atomic_store_n(&d->flags, (uint16_t)0, __ATOMIC_RELAXED);
	t->w[slot].tag++; /* sent: the handle is stale now */
	t->pos++;
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
		srv_publish(t, p->len);
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

unsigned pl_memif_srv_lent_run(struct pl_memif_ep *e, struct pl_memif_txq *t, unsigned q,
			       const struct pktlink_pkt *pkts, unsigned m, uint64_t *bytesp)
{
	const uint32_t min_len = e->tc.min_len, span = e->tc.frame_max - min_len;
	struct pl_memif_lend *const lend = t->w;
	uint8_t *const ring = t->ring;
	const uint16_t mask = t->mask;
	uint16_t pos = t->pos;
	uint64_t bytes = 0;
	unsigned k;
	/* at most the lent slots: a run ends at the window's end */
	if (m > t->nlent)
		m = t->nlent;
	for (k = 0; k < m; k++) {
		const struct pktlink_pkt *p = &pkts[k];
		uint16_t slot = pos & mask;
		struct pl_memif_lend *w = &lend[slot];
		uint32_t len = p->len, h = p->priv2;
		/* the checks of srv_lent() for the next slot (a lent slot lies
		 * in the window, so its position is pos) and of a plain
		 * pl_tx_classify() */
		if (PL_UNLIKELY((p->flags & (PKTLINK_PKT_TXBUF | PKTLINK_PKT_CSUM_PARTIAL)) !=
					PKTLINK_PKT_TXBUF ||
				p->gso_type != PKTLINK_GSO_NONE ||
				p->priv != ((uint64_t)q << 16 | pos) || w->tag != h ||
				!pl_memif_tag_lent(h) || p->data != w->ptr || len - min_len > span))
			break;
		/* srv_publish() by hand: length and flags only */
		struct memif_desc *d = memif_desc_at(ring, slot);
		__atomic_store_n(&d->length, len, __ATOMIC_RELAXED);
		__atomic_store_n(&d->flags, (uint16_t)0, __ATOMIC_RELAXED);
		w->tag = h + 1; /* sent: the handle is stale now */
		bytes += len;
		pos++;
	}
	t->pos = pos;
	t->nlent = (uint16_t)(t->nlent - k);
	if (!t->nlent)
		t->lend_end = pos;
	*bytesp += bytes;
	return k;
}

static int srv_alloc(struct pl_memif_ep *e, struct pktlink_pkt *pkts, unsigned n)
{
	unsigned i = 0;
	bool small = false;
	for (unsigned q = 0; q < e->ntx && i < n; q++) {
		struct pl_memif_txq *t = &e->txq[q];
		uint16_t win = (uint16_t)(t->lend_end - t->pos);
		uint16_t avail = (uint16_t)(t->peer - t->pos);
		/* The head as last read while it holds enough posted slots
		 * past the window (tx_room() reads it at every burst while
		 * buffers are lent). */
		if ((uint16_t)(avail - win) < n - i || avail > t->size || avail < win) {
			uint16_t head =
				__atomic_load_n(memif_u16(t->ring, MEMIF_RING_HEAD), __ATOMIC_ACQUIRE);
			avail = (uint16_t)(head - t->pos);
			if (avail > t->size || avail < win)
				return pl_memif_violation(
					e, "S2C ring head moved more than a ring ahead or backwards");
			t->peer = head;
		}
		/* In locals (the stores into pkts would make the compiler
		 * reload them); the window's end and count written back after. */
		const uint32_t len = e->max_frame;
		const struct pl_memif_region *const regions = e->conn.regions;
		const unsigned nregions = e->conn.nregions;
		struct pl_memif_lend *const lend = t->w;
		struct memif_desc *const desc = memif_desc_at(t->ring, 0);
		const uint16_t pos = t->pos, mask = t->mask;
		uint16_t nlent = t->nlent;
		const uint64_t hq = (uint64_t)q << 16;
		bool bad = false;
		/* Given-back slots of the window first, then new ones. */
		uint16_t k = nlent == win ? win : 0;
		for (; k < avail && i < n; k++) {
			uint16_t at = (uint16_t)(pos + k), slot = at & mask;
			struct pl_memif_lend *w = &lend[slot];
			if (k < win && pl_memif_tag_lent(w->tag))
				continue;
			/* pl_memif_posted(), its violation reported below */
			const struct memif_desc *d = &desc[slot];
			uint16_t flags, reg;
			uint32_t blen;
			memif_desc_split(memif_desc_word(d), &flags, &reg, &blen);
			uint32_t off = __atomic_load_n(&d->offset, __ATOMIC_RELAXED);
			if (PL_UNLIKELY(reg >= nregions || !blen ||
					(uint64_t)off + blen > regions[reg].size)) {
				bad = true;
				break;
			}
			if (blen < len) {
				/* Lending stops here: slots go out in order. */
				small = true;
				break;
			}
			if (k >= win)
				win = (uint16_t)(k + 1);
			uint8_t *ptr = regions[reg].base + off;
			w->ptr = ptr;
			nlent++;
			pkts[i++] = (struct pktlink_pkt){
				.data = ptr,
				.len = len,
				.flags = PKTLINK_PKT_TXBUF,
				.priv = hq | at,
				.priv2 = ++w->tag,
			};
		}
		t->nlent = nlent;
		t->lend_end = (uint16_t)(pos + win);
		if (bad)
			return pl_memif_violation(e, "posted S2C buffer is empty or lies outside its region");
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
