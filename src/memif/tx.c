/* SPDX-License-Identifier: MIT */
/*
 * tx.c — memif transmit (copy mode); with several queue pairs each flow
 * goes to one TX ring by a hash of its addresses and ports.
 *
 * Client (C2S ring, our buffers): slots [head, tail + size) are free; a
 * frame takes ceil(len / buffer_size) slots chained with
 * MEMIF_DESC_FLAG_NEXT; descriptors are rewritten from our own table, so
 * nothing the server wrote into them is used.
 * Server (S2C ring, the client's buffers): slots [tail, head) are buffers
 * the client posted; each descriptor is read once, its buffer checked
 * against the region, and the frame copied over as many as it needs.
 * Then the producer index is published (release) and, unless the peer's
 * ring flags say it polls, its eventfd is written.
 */
#include "memif_int.h"

#include "core/tx_prep.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void signal_peer(struct pl_memif_ep *e, struct pl_memif_txq *t)
{
	/* The index was published with a seq_cst store: this seq_cst load is
	 * not ordered before it (pairs with the receiver's seq_cst store of the
	 * flag followed by its look at the ring). */
	uint16_t fl = __atomic_load_n(memif_u16(t->ring, MEMIF_RING_FLAGS), __ATOMIC_SEQ_CST);
	if (fl & MEMIF_RING_FLAG_MASK_INT)
		return;
	uint64_t one = 1;
	pl_stat_add(&e->ep.txc.syscalls, 1);
	ssize_t r = write(t->efd, &one, sizeof(one));
	(void)r; /* EAGAIN only at a counter of 2^64-2: the peer is awake anyway */
}

/* Publish our producer index (release) and wake the peer if it wants it.
 * Packets and bytes are counted by pl_memif_tx_burst(). */
static void tx_publish(struct pl_memif_ep *e, struct pl_memif_txq *t, unsigned idx_off,
		       uint16_t start)
{
	if (t->pos != start) {
		__atomic_store_n(memif_u16(t->ring, idx_off), t->pos, __ATOMIC_SEQ_CST);
		signal_peer(e, t);
	}
}

enum { PUT_FULL = PL_MEMIF_PUT_FULL, PUT_OK = PL_MEMIF_PUT_OK, PUT_LOST = PL_MEMIF_PUT_LOST };

/* Client: copy len bytes into our own C2S buffers, chained. *room: free slots. */
static int client_put(struct pl_memif_txq *t, uint32_t *room, const uint8_t *src, uint32_t len)
{
	uint32_t bs = t->own_size;
	uint32_t need = (len + bs - 1) / bs;
	if (need > *room)
		return PUT_FULL;
	uint32_t off = 0;
	for (uint32_t k = 0; k < need; k++) {
		uint16_t slot = t->pos & t->mask;
		uint32_t l = len - off < bs ? len - off : bs;
		memcpy(t->own_base + (uint64_t)slot * t->own_stride, src + off, l);
		struct memif_desc *d = memif_desc_at(t->ring, slot);
		d->region = 0;
		d->offset = t->own_off + slot * t->own_stride;
		d->length = l;
		d->flags = k + 1 < need ? MEMIF_DESC_FLAG_NEXT : 0;
		off += l;
		t->pos++;
	}
	*room -= need;
	return PUT_OK;
}

int pl_memif_posted(struct pl_memif_ep *e, const struct pl_memif_txq *t, uint16_t slot,
		    struct pl_memif_seg *seg)
{
	const struct pl_memif_conn *cn = &e->conn;
	struct memif_desc *d = memif_desc_at(t->ring, slot);
	uint16_t reg = __atomic_load_n(&d->region, __ATOMIC_RELAXED);
	uint32_t off = __atomic_load_n(&d->offset, __ATOMIC_RELAXED);
	uint32_t l = __atomic_load_n(&d->length, __ATOMIC_RELAXED);
	if (reg >= cn->nregions || !l || (uint64_t)off + l > cn->regions[reg].size)
		return pl_memif_violation(e, "posted S2C buffer is empty or lies outside its region");
	*seg = (struct pl_memif_seg){ cn->regions[reg].base + off, l };
	return 0;
}

/* Server: copy len bytes into the buffers the client posted on the S2C
 * ring (each descriptor read once and checked), skipping none: a lent
 * slot (txbuf.c) on the way stops the frame until it is sent or given
 * back. *avail: posted slots. */
int pl_memif_server_put(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t *avail,
			const uint8_t *src, uint32_t len)
{
	struct pl_memif_seg segs[PL_MEMIF_MAX_SEGS];
	uint16_t win = (uint16_t)(t->lend_end - t->pos);
	/* Collect posted buffers until the frame fits. */
	uint64_t cap = 0;
	unsigned ns = 0;
	while (cap < len && ns < PL_MEMIF_MAX_SEGS && ns < *avail) {
		uint16_t slot = (uint16_t)(t->pos + ns) & t->mask;
		if (ns < win && pl_memif_tag_lent(t->w[slot].tag))
			return PUT_FULL; /* lent and not sent yet */
		int v = pl_memif_posted(e, t, slot, &segs[ns]);
		if (v < 0)
			return v;
		cap += segs[ns++].len;
	}
	if (cap < len)
		/* too many tiny buffers: never fits; else the rest waits */
		return ns >= PL_MEMIF_MAX_SEGS ? PUT_LOST : PUT_FULL;
	uint32_t off = 0;
	for (unsigned k = 0; k < ns; k++) {
		uint32_t l = len - off < segs[k].len ? len - off : segs[k].len;
		memcpy(segs[k].ptr, src + off, l);
		off += l;
		struct memif_desc *d = memif_desc_at(t->ring, (uint16_t)(t->pos + k) & t->mask);
		__atomic_store_n(&d->length, l, __ATOMIC_RELAXED);
		__atomic_store_n(&d->flags, (uint16_t)(k + 1 < ns ? MEMIF_DESC_FLAG_NEXT : 0),
				 __ATOMIC_RELAXED);
	}
	t->pos = (uint16_t)(t->pos + ns);
	*avail = (uint16_t)(*avail - ns);
	if (ns >= win) /* past the lend window (only free slots were in the way) */
		t->lend_end = t->pos;
	return PUT_OK;
}

/* Server: posted slots a copy can use now: up to the first lent one. */
static uint16_t server_usable(const struct pl_memif_txq *t, uint16_t avail)
{
	if (!t->nlent)
		return avail;
	uint16_t k = 0; /* a lent slot in the window ends the scan */
	while (!pl_memif_tag_lent(t->w[(uint16_t)(t->pos + k) & t->mask].tag))
		k++;
	return k;
}

int pl_memif_cli_tail(struct pl_memif_ep *e, struct pl_memif_txq *t)
{
	uint16_t tail = __atomic_load_n(memif_u16(t->ring, MEMIF_RING_TAIL), __ATOMIC_ACQUIRE);
	/* The server's tail moves forward, never past what we published. */
	if ((uint16_t)(tail - t->peer) > (uint16_t)(t->pos - t->peer))
		return pl_memif_violation(e, "C2S ring tail moved outside the published range");
	if (t->inflight)
		pl_memif_cli_reap(e, t, tail);
	t->peer = tail;
	return (int)(t->size - (uint16_t)(t->pos - tail));
}

/* Copy a frame into a ring buffer: small ones (the packet-rate case) with
 * two overlapping fixed-size copies inline instead of a call. */
static inline void copy_frame(uint8_t *d, const uint8_t *s, uint32_t n)
{
	if (n > 64 || n < 16) {
		memcpy(d, s, n);
	} else if (n >= 32) {
		memcpy(d, s, 32);
		memcpy(d + n - 32, s + n - 32, 32);
	} else {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	}
}

/* A caller frame the fast paths take: no offload request, not lent, a
 * length pl_tx_classify() would call plain and at most lim. */
static inline bool tx_is_plain(const struct pktlink_pkt *p, uint32_t min_len, uint32_t lim)
{
	return !(p->flags & (PKTLINK_PKT_TXBUF | PKTLINK_PKT_CSUM_PARTIAL)) &&
	       p->gso_type == PKTLINK_GSO_NONE && p->data && p->len - min_len <= lim - min_len;
}

/*
 * Up to m plain frames, one buffer each (m <= the free slots); stops at
 * the first other frame, which the general path takes. @client is a
 * constant at each call:
 * client — into our C2S buffers, each descriptor written whole in two
 *          stores;
 * server — with no lent buffers, into the posted S2C buffer of the slot
 *          when it is big enough (its descriptor read once, checked
 *          against the regions; a bad or small one goes to the general
 *          path, which chains or reports it); length and flags written.
 * Return: frames taken; their bytes added to *bytesp.
 */
static inline __attribute__((always_inline)) unsigned
tx_plain(const struct pl_memif_ep *e, struct pl_memif_txq *t, const struct pktlink_pkt *pkts,
	 unsigned m, const bool client, uint64_t *bytesp)
{
	const uint32_t bs = t->own_size, stride = t->own_stride, min_len = e->tc.min_len;
	const uint32_t lim = client && bs < e->tc.frame_max ? bs : e->tc.frame_max;
	const struct pl_memif_region *const regions = e->conn.regions;
	const unsigned nregions = e->conn.nregions;
	uint8_t *const ring = t->ring, *const base = t->own_base;
	const uint32_t own_off = t->own_off;
	const uint16_t mask = t->mask;
	uint16_t pos = t->pos;
	uint64_t bytes = 0;
	unsigned k;
	for (k = 0; k < m; k++) {
		const struct pktlink_pkt *p = &pkts[k];
		if (PL_UNLIKELY(!tx_is_plain(p, min_len, lim)))
			break;
		uint16_t slot = pos & mask;
		struct memif_desc *d = memif_desc_at(ring, slot);
		uint32_t len = p->len;
		if (client) {
			copy_frame(base + (uint64_t)slot * stride, p->data, len);
			uint64_t *w = (uint64_t *)(void *)d;
			__atomic_store_n(&w[0], memif_desc_make(0, 0, len), __ATOMIC_RELAXED);
			/* offset, then metadata 0 */
			__atomic_store_n(&w[1], (uint64_t)(own_off + (uint32_t)slot * stride),
					 __ATOMIC_RELAXED);
		} else {
			uint16_t flags, reg;
			uint32_t blen;
			memif_desc_split(memif_desc_word(d), &flags, &reg, &blen);
			uint32_t off = __atomic_load_n(&d->offset, __ATOMIC_RELAXED);
			if (PL_UNLIKELY(reg >= nregions || blen < len ||
					(uint64_t)off + blen > regions[reg].size))
				break;
			copy_frame(regions[reg].base + off, p->data, len);
			__atomic_store_n(&d->length, len, __ATOMIC_RELAXED);
			__atomic_store_n(&d->flags, (uint16_t)0, __ATOMIC_RELAXED);
		}
		bytes += len;
		pos++;
	}
	*bytesp += bytes;
	t->pos = pos;
	if (!client)
		t->lend_end = pos; /* no lend window (nlent == 0): it stays empty */
	return k;
}

/*
 * One caller frame the general way, through the core TX step
 * (core/tx_prep.h): memif carries no offload requests, so partial
 * checksums are completed and super-packets segmented into tx_scratch
 * (allocated at open), then copied onto the ring.
 * Return: 1 when the frame was taken (sent, or dropped and counted), 0
 * when it waits (no room), or a violation's errno.
 */
static int tx_one(struct pl_memif_ep *e, struct pl_memif_txq *t, bool client, uint32_t *room,
		  uint16_t *avail, struct pktlink_pkt *p)
{
	struct pl_tx_counters *c = &e->ep.txc;
	int r;
	if (p->flags & PKTLINK_PKT_TXBUF) {
		/* lent by tx_alloc (txbuf.c): no copy when it can go in place */
		r = client ? pl_memif_cli_put_lent(e, t, room, p) : pl_memif_srv_put_lent(e, t, avail, p);
		if (r == PL_MEMIF_PUT_DROPPED)
			return 1;
		goto put_done;
	}
	int how = pl_tx_classify(&e->tc, p);
	if (how == PL_TX_PLAIN) {
		r = client ? client_put(t, room, p->data, p->len)
			   : pl_memif_server_put(e, t, avail, p->data, p->len);
	} else {
		struct pl_tx_iter it;
		int cnt = how == PL_TX_INVALID ? -EINVAL : pl_tx_iter_init(&it, &e->tc, p, how);
		if (cnt < 0) {
			pl_tx_invalid(c, 1, p->len);
			return 1;
		}
		/* Room for every output frame first, so that a full ring
		 * leaves the frame untaken rather than half sent (a
		 * server's posted buffers may still be too small: the
		 * segments that do not fit are lost, counted below). */
		uint32_t bs = client ? t->own_size : 1;
		uint32_t per = client ? (pl_tx_iter_next_len(&it) + bs - 1) / bs : 1;
		if ((uint64_t)cnt * per > (client ? *room : server_usable(t, *avail)))
			return 0;
		uint32_t put = 0;
		r = PUT_OK;
		while (r == PUT_OK && put < (uint32_t)cnt) {
			int len = pl_tx_iter_next(&it, e->tx_scratch, e->tc.frame_max);
			if (len <= 0) {
				r = PUT_LOST;
				break;
			}
			r = client ? client_put(t, room, e->tx_scratch, (uint32_t)len)
				   : pl_memif_server_put(e, t, avail, e->tx_scratch, (uint32_t)len);
			if (r == PUT_OK)
				put++;
		}
		if (r < 0)
			return r;
		if (put == 0 && r == PUT_FULL)
			return 0; /* nothing went out: the frame waits */
		/* taken; segments that did not go out are errors */
		if (put < (uint32_t)cnt)
			pl_stat_add(&c->errors, (uint32_t)cnt - put);
		return 1;
	}
put_done:
	if (r < 0)
		return r;
	if (r == PUT_FULL)
		return 0;
	if (r == PUT_LOST)
		pl_stat_add(&c->errors, 1);
	return 1;
}

/*
 * The free slots (client: *room) or posted ones (server: *avail). The
 * peer's index as last read and validated is used while it leaves room for
 * n frames (as the limit ring does: the line the peer writes is read once
 * per lap, not once per burst), unless @fresh; a server with lent buffers
 * always reads it (a head moved back over a lent slot is a violation
 * found here). A client's lent buffers the server consumed are reaped
 * when the index is read, and by tx_alloc when the pool runs short.
 * Return 0 or a violation's errno.
 */
static int tx_room(struct pl_memif_ep *e, struct pl_memif_txq *t, bool client, unsigned n,
		   bool fresh, uint32_t *room, uint16_t *avail)
{
	if (client) {
		uint32_t rm = t->size - (uint16_t)(t->pos - t->peer);
		if (fresh || rm < n) {
			int r = pl_memif_cli_tail(e, t);
			if (r < 0)
				return r;
			rm = (uint32_t)r;
		}
		*room = rm;
		return 0;
	}
	uint16_t a = (uint16_t)(t->peer - t->pos);
	if (fresh || a < n || t->nlent) {
		uint16_t head = __atomic_load_n(memif_u16(t->ring, MEMIF_RING_HEAD), __ATOMIC_ACQUIRE);
		a = (uint16_t)(head - t->pos);
		/* lent slots were posted: head cannot have moved back over them */
		if (a > t->size || a < (uint16_t)(t->lend_end - t->pos))
			return pl_memif_violation(
				e, "S2C ring head moved more than a ring ahead or backwards");
		t->peer = head;
	}
	*avail = a;
	return 0;
}

/* Both roles: runs of plain frames by the fast paths, anything else by
 * tx_one(); the producer index published once (twice when a cached peer
 * index ran out). Returns frames taken; their bytes (dropped ones
 * included) added to *bytes. */
static int ring_tx(struct pl_memif_ep *e, unsigned ring, struct pktlink_pkt *pkts, unsigned n,
		   uint64_t *bytes)
{
	struct pl_memif_txq *t = &e->txq[ring];
	bool client = e->role == PKTLINK_MEMIF_CLIENT;
	unsigned idx = client ? MEMIF_RING_HEAD : MEMIF_RING_TAIL;
	uint32_t room = 0;
	uint16_t avail = 0;
	bool fresh = false;
	int v = tx_room(e, t, client, n, fresh, &room, &avail);
	if (v < 0)
		return v;
	uint16_t start = t->pos;
	unsigned i = 0;
	while (i < n) {
		unsigned k = 0;
		bool lent = pkts[i].flags & PKTLINK_PKT_TXBUF;
		if (client) {
			unsigned m = n - i < room ? n - i : room;
			k = lent ? pl_memif_cli_lent_run(e, t, pkts + i, m, bytes)
				 : tx_plain(e, t, pkts + i, m, true, bytes);
			room -= k;
		} else {
			unsigned m = n - i < avail ? n - i : avail;
			if (!t->nlent)
				k = tx_plain(e, t, pkts + i, m, false, bytes);
			else if (lent)
				k = pl_memif_srv_lent_run(e, t, ring, pkts + i, m, bytes);
			avail = (uint16_t)(avail - k);
		}
		i += k;
		if (i == n)
			break;
		if (k)
			continue; /* a run of the other kind may follow */
		int r = tx_one(e, t, client, &room, &avail, &pkts[i]);
		if (r < 0)
			return r;
		if (r == 0) {
			if (fresh)
				break;
			/* Full by the cached index: publish what is on the ring
			 * (the peer's index is then checked against published
			 * slots only), read the index, try again. */
			tx_publish(e, t, idx, start);
			start = t->pos;
			fresh = true;
			v = tx_room(e, t, client, n, fresh, &room, &avail);
			if (v < 0)
				return v;
			continue;
		}
		*bytes += pkts[i].len;
		i++;
	}
	tx_publish(e, t, idx, start);
	return (int)i;
}

/*
 * The TX ring of a frame when there are several: a hash of the IP addresses
 * and (for TCP/UDP) ports, so that one flow stays on one ring (in order)
 * and the peer's per-ring workers share the flows, like RSS.
 */
static unsigned flow_ring(const struct pl_memif_ep *e, const struct pktlink_pkt *p)
{
	const uint8_t *f = p->data;
	uint32_t len = p->len, off = 0;
	if (!f)
		return 0;
	if (e->ep.info.max_header_len) { /* Ethernet, maybe one VLAN tag */
		if (len < 14)
			return 0;
		uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
		off = 14;
		if ((et == 0x8100 || et == 0x88a8) && len >= 18) {
			et = (uint16_t)(f[16] << 8 | f[17]);
			off = 18;
		}
		if (et != 0x0800 && et != 0x86dd)
			return 0;
	}
	if (len < off + 20)
		return 0;
	uint32_t h = 0, l4 = 0;
	uint8_t proto;
	unsigned v = f[off] >> 4;
	if (v == 4) {
		for (unsigned i = 12; i < 20; i++)
			h = h * 31 + f[off + i];
		proto = f[off + 9];
		l4 = off + (uint32_t)(f[off] & 15) * 4;
	} else if (v == 6 && len >= off + 40) {
		for (unsigned i = 8; i < 40; i++)
			h = h * 31 + f[off + i];
		proto = f[off + 6];
		l4 = off + 40;
	} else {
		return 0;
	}
	if ((proto == 6 || proto == 17) && len >= l4 + 4)
		for (unsigned i = 0; i < 4; i++)
			h = h * 31 + f[l4 + i];
	h ^= h >> 16;
	return h % e->ntx;
}


/* Several rings: runs of frames for the same ring, in order; stop at the
 * first run a ring does not take whole. */
static int spread_tx(struct pl_memif_ep *e, struct pktlink_pkt *pkts, unsigned n, uint64_t *bytes)
{
	unsigned done = 0;
	while (done < n) {
		unsigned ring = flow_ring(e, &pkts[done]), run = 1;
		while (done + run < n && flow_ring(e, &pkts[done + run]) == ring)
			run++;
		int r = ring_tx(e, ring, pkts + done, run, bytes);
		if (r < 0)
			return r;
		done += (unsigned)r;
		if ((unsigned)r < run)
			break;
	}
	return (int)done;
}

int pl_memif_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_memif_ep *e = to_memif(ep);
	int left = __atomic_load_n(&e->left, __ATOMIC_ACQUIRE);
	if (left)
		return pl_ep_peer_gone(ep, left);
	/* Packets and bytes as core counts them for core_counts families
	 * (core/endpoint.h): frames taken, less the ones counted invalid. */
	struct pl_tx_counters *c = &ep->txc;
	uint64_t inv0 = pl_stat_read(&c->drop_invalid), invb0 = pl_stat_read(&c->drop_invalid_bytes);
	uint64_t bytes = 0;
	int r = e->ntx > 1 ? spread_tx(e, pkts, n, &bytes) : ring_tx(e, 0, pkts, n, &bytes);
	if (r > 0) {
		pl_stat_add(&c->packets, (uint64_t)r - (pl_stat_read(&c->drop_invalid) - inv0));
		pl_stat_add(&c->bytes, bytes - (pl_stat_read(&c->drop_invalid_bytes) - invb0));
	}
	if (r == 0 && n && ++e->tx_zero % 64 == 0) {
		/* A full ring for a while: is the peer still there? */
		int g = pl_memif_ctrl_check(e, &ep->txc.syscalls);
		if (g < 0)
			return pl_ep_dead(ep) ? pl_ep_dead(ep) : pl_ep_peer_gone(ep, g);
	} else if (r > 0) {
		e->tx_zero = 0;
	}
	return r;
}
