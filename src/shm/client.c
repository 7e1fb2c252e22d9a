/* SPDX-License-Identifier: MIT */
/*
 * client.c — the client's data path: RX buffers posted and reposted,
 * completions checked against what was posted (and trimmed when padded),
 * TX buffers copied into, lent (tx_alloc) and reaped.
 */
#include "shm_ep.h"
#include "trim.h"

#include <errno.h>
#include <string.h>

/* Post RX buffer b to the server (not flushed); when the post pipe is full, queue it locally. */
static inline __attribute__((always_inline)) void cli_post(struct shm_ep *e, uint32_t b)
{
	struct pl_rxq_post post = {
		.offset = (uint64_t)b * e->buf_stride,
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

void pl_shm_cli_post(struct shm_ep *e, uint32_t b)
{
	cli_post(e, b);
}

/* Post the locally queued buffers, in order, while the post pipe has room. */
static void cli_retry_reposts(struct shm_ep *e)
{
	uint32_t done = 0;
	while (done < e->nrepost) {
		uint32_t b = e->repost[done];
		struct pl_rxq_post post = { .offset = (uint64_t)b * e->buf_stride,
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

/* A view's handle (pkt.priv): its first buffer, the bounce buffer + 1 in
 * bits 32-47, and VIEW_CHAIN when the frame spans several buffers: only
 * then does release follow rx_next (which the receive runs leave alone). */
#define VIEW_CHAIN (1ull << 62)

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
/*
 * The run of plain completions at the head of the RX completion pipe
 * (pipe.h, "Runs of pulls"): one buffer, one we posted, at its offset,
 * filled no further than its size, holding the whole frame, shorter than a
 * buffer (a completion covering a whole buffer may need trimming) and of a
 * length pl_shm_rx_plain() accepts. Each field is read once; the first
 * record that is anything else stops the run unconsumed, and the general
 * path below judges it afresh. At most m records. Return how many were
 * taken; their bytes are added to *bytes. Not inline: inside the general
 * receive its loop ran short of registers (7 reloads per record).
 */
static __attribute__((noinline)) unsigned
cli_rx_run(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned m, uint32_t min, uint32_t span,
	   uint64_t *bytes)
{
	const uint64_t size = PL_RXQ_COMP_HDR + PL_RXQ_COMP_BUF, slot = pl_pipe_slot_size(size);
	uint8_t *rx_state = e->rx_state, *base = e->in_data->base;
	const uint64_t nrx = e->nrx, stride = e->buf_stride;
	/* A length in [min, lim], lim below a buffer's size; then used in
	 * [len, buf_size) is one unsigned comparison. */
	const uint32_t top = e->buf_size - 1, lim = min + span < top ? min + span : top;
	if (lim < min)
		return 0;
	const uint8_t *rec;
	uint64_t room = pl_pipe_rx_run_room(&e->in, size, m, &rec), sum = 0;
	const uint8_t *end = rec + room * slot;
	struct pktlink_pkt *out = pkts;
	for (; rec != end && pl_pipe_rx_run_ready(rec, size); rec += slot, out++) {
		uint32_t len = pl_ld32(rec);
		uint64_t off = pl_ld64(rec + 8);
		uint32_t used = pl_ld32(rec + 16);
		uint64_t id = pl_ld64(rec + 28);
		if (PL_UNLIKELY(id >= nrx || rx_state[id] != BUF_POSTED || off != id * stride ||
				len - min > lim - min || used - len > top - len))
			break;
		rx_state[id] = BUF_HELD;
		pl_shm_view(out, base + off, len, id);
		sum += len;
	}
	unsigned k = (unsigned)(out - pkts);
	pl_pipe_rx_run_end(&e->in, size, k);
	*bytes += sum;
	return k;
}

int pl_shm_cli_rx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n, uint64_t *bytes)
{
	struct pl_rx_counters *c = &e->ep.rxc[0];
	struct pl_rxq_used used[PL_SHM_MAX_BUFS];
	unsigned got = 0;
	int gone = 0;
	/* Through locals: a store through rx_state (bytes) would otherwise
	 * make the compiler reload every field of e after it. */
	uint8_t *rx_state = e->rx_state;
	uint32_t *rx_next = e->rx_next;
	uint64_t nrx = e->nrx, buf_size = e->buf_size, stride = e->buf_stride;
	uint8_t *base = e->in_data->base;

	uint32_t min = 0, span = 0;
	bool plain = pl_shm_rx_plain(e, &min, &span);

	cli_retry_reposts(e);
	while (got < n) {
		if (plain) {
			unsigned k = cli_rx_run(e, pkts + got, n - got, min, span, bytes);
			got += k;
			if (got == n)
				break;
		}
		const uint8_t *rec;
		uint32_t len, size;
		int r = pl_pipe_rx_pull_sized(&e->in, PL_RXQ_COMP_HDR + PL_RXQ_COMP_BUF, &rec,
					      &len);
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
			if (id >= nrx || rx_state[id] != BUF_POSTED ||
			    used[i].offset != id * stride || used[i].used > buf_size) {
				gone = pl_ep_error(&e->ep, -EPROTO,
						   "shm server completed buffer id %llu at offset %llu "
						   "(%u bytes), which is not a buffer we posted: "
						   "disconnected",
						   (unsigned long long)id,
						   (unsigned long long)used[i].offset, used[i].used);
				break;
			}
			rx_state[id] = BUF_HELD;
			if (i == 0)
				first = (uint32_t)id;
			else
				rx_next[prev] = (uint32_t)id;
			prev = (uint32_t)id;
		}
		if (gone) {
			pl_stat_add(&c->drop_invalid, 1);
			break;
		}
		rx_next[prev] = UINT32_MAX;
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
			frame = base + used[0].offset;
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
		if (pl_shm_frame_to_pkt(e, frame, size, p)) {
			pl_stat_add(&c->drop_invalid, 1);
			bounce_put(e, bounce);
			cli_release_chain(e, first);
			continue;
		}
		p->priv = (uint64_t)first | ((uint64_t)(uint32_t)(bounce + 1) << 32) |
			  (nb > 1 ? VIEW_CHAIN : 0);
		*bytes += p->len;
		got++;
	}
	pl_pipe_rx_flush(&e->in);
	pl_pipe_tx_flush(&e->in_ret);
	if (gone)
		return pl_ep_peer_gone(&e->ep, gone);
	return (int)got;
}

/* Client release: repost the views' buffers and free their bounce copies. */
void pl_shm_cli_rx_release(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n)
{
	uint8_t *rx_state = e->rx_state;
	uint32_t nrx = e->nrx, buf_size = e->buf_size;
	const uint64_t stride = e->buf_stride;
	/* Room for one post per frame, checked once; the general path below
	 * may post several per frame, after which this no longer holds. */
	bool room = !e->nrepost &&
		    pl_pipe_tx_fits_wrap(&e->in_ret, (uint64_t)n * pl_pipe_slot_size(PL_RXQ_POST));
	unsigned i = 0;
	if (room) {
		/* One buffer, no bounce copy: the common case without the
		 * chain walk, as one run of pushes (pipe.h). */
		const uint64_t slot = pl_pipe_slot_size(PL_RXQ_POST);
		uint8_t *r = pl_pipe_tx_run_begin(&e->in_ret);
		const struct pktlink_pkt *p = pkts, *pend = pkts + n;
		for (; p != pend; p++, r += slot) {
			uint64_t priv = p->priv;
			if (PL_UNLIKELY(priv >= nrx || rx_state[priv] != BUF_HELD))
				break;
			if (p != pkts)
				pl_pipe_tx_run_hdr(r, PL_RXQ_POST);
			pl_st64(r, priv * stride);
			pl_st64(r + 8, buf_size); /* size, then remaining-in-group 0 */
			pl_st64(r + 16, 0); /* user data */
			pl_st64(r + 24, priv); /* id */
			rx_state[priv] = BUF_POSTED;
		}
		i = (unsigned)(p - pkts);
		pl_pipe_tx_run_end(&e->in_ret, PL_RXQ_POST, i);
	}
	for (; i < n; i++) {
		uint64_t priv = pkts[i].priv;
		uint32_t first = (uint32_t)priv;
		int bounce = (int)((priv >> 32) & 0xffff) - 1;
		if (bounce >= (int)SHM_NBOUNCE)
			bounce = -1;
		bounce_put(e, bounce);
		if (first >= nrx)
			continue;
		if (priv & VIEW_CHAIN)
			cli_release_chain(e, first);
		else if (rx_state[first] == BUF_HELD)
			cli_post(e, first);
	}
	pl_pipe_tx_flush(&e->in_ret);
}

/* Client: free the buffers of every completed TX packet (lazy, at transmit). TX thread.
 * The tables are walked through locals: a store through tx_state (bytes)
 * would otherwise make the compiler reload every field of e after it. */
void pl_shm_cli_reap(struct shm_ep *e)
{
	struct pl_pipe_rx *r = &e->out_ret;
	uint8_t *state = e->tx_state;
	uint32_t *free_list = e->tx_free;
	const uint32_t *next = e->tx_next;
	uint32_t ntx = e->ntx, nfree = e->tx_nfree, ftail = e->tx_fhead + nfree,
		 fmask = e->tx_fmask;
	const uint8_t *rec;
	uint32_t len;
	const uint64_t slot = pl_pipe_slot_size(PL_TXQ_COMPLETION);
	/* Bounded by the pipe: each pull consumes at least 8 bytes of it. */
	for (;;) {
		/* The run of completions of one-buffer packets (pipe.h, "Runs
		 * of pulls"); the first record that is anything else stops it
		 * unconsumed, for the general pull below. */
		uint64_t room = pl_pipe_rx_run_room(r, PL_TXQ_COMPLETION, UINT64_MAX, &rec);
		const uint8_t *first = rec, *stop = rec + room * slot;
		for (; rec != stop && pl_pipe_rx_run_ready(rec, PL_TXQ_COMPLETION); rec += slot) {
			uint64_t id = pl_ld64(rec);
			if (PL_UNLIKELY(id >= ntx || state[id] != BUF_TX_HEAD))
				break;
			state[id] = BUF_FREE;
			free_list[ftail++ & fmask] = (uint32_t)id;
		}
		uint64_t k = (uint64_t)(rec - first) / slot;
		pl_pipe_rx_run_end(r, PL_TXQ_COMPLETION, k);
		if (k && k == room)
			continue;
		if (pl_pipe_rx_pull_sized(r, PL_TXQ_COMPLETION, &rec, &len) != PL_PIPE_RECORD)
			break;
		uint64_t id;
		if (pl_txq_parse_completion(rec, len, &id))
			continue; /* the seed ignores other lengths */
		if (id >= ntx || (state[id] != BUF_TX_HEAD && state[id] != BUF_TX_CHAIN))
			continue; /* not a packet in flight: ignore */
		uint32_t b = (uint32_t)id, nb = state[b] == BUF_TX_CHAIN ? next[b] : UINT32_MAX;
		state[b] = BUF_FREE;
		free_list[ftail++ & fmask] = b;
		/* The later buffers of a multi-buffer packet (bounded walk). */
		for (uint32_t j = 1; PL_UNLIKELY(nb < ntx) && j < PL_SHM_MAX_BUFS; j++) {
			b = nb;
			nb = next[b];
			state[b] = BUF_FREE;
			free_list[ftail++ & fmask] = b;
		}
	}
	e->tx_nfree = ftail - e->tx_fhead;
	/* A corrupt header stops reaping; the completions behind it are lost
	 * and their buffers stay out (bounded damage from a lying peer). */
	pl_pipe_rx_flush(r);
}

/* The lent buffer behind a PKTLINK_PKT_TXBUF view, or UINT32_MAX if it is not one of ours. */
static uint32_t cli_lent_buf(struct shm_ep *e, const struct pktlink_pkt *p)
{
	uint64_t b = p->priv;
	if (b >= e->ntx || e->tx_state[b] != BUF_TX_LENT ||
	    p->data != e->q[0].data.base + b * e->buf_stride + e->vnet_len)
		return UINT32_MAX;
	return (uint32_t)b;
}

/* Give a lent or reserved TX buffer back to the free list. */
static void cli_buf_free(struct shm_ep *e, uint32_t b)
{
	e->tx_state[b] = BUF_FREE;
	pl_shm_cli_free_put(e, b);
}

/*
 * Send a frame built in a buffer from tx_alloc(): no copy, the virtio-net
 * header goes in front of it in the same buffer; a partial checksum is
 * completed in place, a super-packet is segmented out of it (and the
 * buffer freed). Return 1 when sent, 0 when taken but dropped (counted),
 * -1 when the pipe or the buffers are full (the buffer stays the caller's).
 */
int pl_shm_cli_tx_lent(struct shm_ep *e, struct pktlink_pkt *p)
{
	uint32_t b = cli_lent_buf(e, p);
	if (b == UINT32_MAX) {
		pl_tx_invalid(&e->ep.txc, 1, p->len); /* not ours: nothing to free */
		return 0;
	}
	int how = pl_tx_classify(&e->tc, p);
	if (how == PL_TX_GSO) {
		int r = pl_shm_tx_soft(e, p, how);
		if (r == 0)
			return -1;
		cli_buf_free(e, b);
		if (r < 0)
			pl_tx_invalid(&e->ep.txc, 1, p->len);
		return r > 0;
	}
	uint8_t vh[SHM_VNET_LEN];
	if (how == PL_TX_INVALID || (how == PL_TX_CSUM && pl_tx_csum_in_place(p)) ||
	    pl_shm_tx_vnet(e, p, vh)) {
		pl_tx_invalid(&e->ep.txc, 1, p->len);
		cli_buf_free(e, b);
		return 0;
	}
	struct pl_shm_buf one = { (uint64_t)b * e->buf_stride, p->len + e->vnet_len };
	if (!pl_txq_push_desc(&e->out, b, one.size, &one, 1))
		return -1;
	if (e->vnet_len)
		memcpy(e->q[0].data.base + one.offset, vh, e->vnet_len);
	e->tx_state[b] = BUF_TX_HEAD;
	return 1;
}

/* ops->tx_alloc: lend free TX buffers (client only), each holding one frame. TX thread. */
int pl_shm_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	if (!(ep->info.caps & PKTLINK_CAP_TX_ALLOC))
		return pl_ep_error(ep, -EOPNOTSUPP,
				   "shm %s endpoints lend no TX buffers (the server writes into "
				   "buffers the client posted; a client needs buffer_size >= %u)",
				   e->role == PKTLINK_SHM_SERVER ? "server" : "client",
				   e->max_frame + e->vnet_len);
	pl_shm_cli_reap(e);
	unsigned i = 0;
	for (; i < n && e->tx_nfree; i++) {
		/* The hottest buffer: the frame's length is not known yet. */
		uint32_t b = pl_shm_cli_free_take(e, 0);
		e->tx_state[b] = BUF_TX_LENT;
		pkts[i] = (struct pktlink_pkt){
			.data = e->q[0].data.base + (uint64_t)b * e->buf_stride + e->vnet_len,
			.len = e->max_frame,
			.flags = PKTLINK_PKT_TXBUF,
			.priv = b,
		};
	}
	return (int)i;
}

/* ops->tx_free: take back lent buffers that were not sent. TX thread. */
void pl_shm_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	if (e->role == PKTLINK_SHM_SERVER)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint32_t b = cli_lent_buf(e, &pkts[i]);
		if (b != UINT32_MAX)
			cli_buf_free(e, b);
	}
}

/* The multi-buffer case of pl_shm_cli_send(): the frame spans nb buffers. */
int pl_shm_cli_send_multi(struct shm_ep *e, const uint8_t *vh, const uint8_t *data, uint32_t len,
			  uint32_t nb)
{
	uint64_t off[PL_SHM_MAX_BUFS];
	uint32_t sz[PL_SHM_MAX_BUFS];
	struct pl_shm_buf bufs[PL_SHM_MAX_BUFS];
	uint32_t total = len + e->vnet_len;
	if (nb > e->tx_nfree || nb > PL_SHM_MAX_BUFS)
		return 0;
	uint32_t left = total;
	for (uint32_t i = 0; i < nb; i++) {
		uint32_t b = pl_shm_cli_free_at(e, i);
		off[i] = bufs[i].offset = (uint64_t)b * e->buf_stride;
		sz[i] = bufs[i].size = left < e->buf_size ? left : e->buf_size;
		left -= sz[i];
	}
	uint32_t first = pl_shm_cli_free_at(e, 0);
	if (!pl_txq_push_desc(&e->out, first, total, bufs, nb))
		return 0;
	pl_shm_copy_out(e->q[0].data.base, off, sz, nb, vh, e->vnet_len, data, len);
	for (uint32_t i = 0; i < nb; i++) {
		uint32_t b = pl_shm_cli_free_at(e, i);
		e->tx_state[b] = i ? BUF_TX_BODY : BUF_TX_CHAIN;
		e->tx_next[b] = i + 1 < nb ? pl_shm_cli_free_at(e, i + 1) : UINT32_MAX;
	}
	pl_shm_cli_free_took(e, nb);
	return 1;
}

/*
 * Client: the leading plain one-buffer frames of a burst, when the caller
 * checked that n descriptors fit in the pipe (pl_pipe_tx_fits()), n
 * buffers are free and there is no virtio-net header: the work of
 * pl_shm_cli_send() without its per-frame tests. Stops at the first frame
 * that needs the general path (a lent buffer, an offload, a frame longer
 * than a buffer or not sendable). Return how many frames were sent.
 */
unsigned pl_shm_cli_send_plain(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n,
			       uint64_t *bytes)
{
	const uint64_t size = PL_TXQ_DESC_HDR + PL_TXQ_DESC_BUF, slot = pl_pipe_slot_size(size);
	uint8_t *base = e->q[0].data.base, *state = e->tx_state;
	const uint32_t *free_list = e->tx_free;
	uint32_t fhead = e->tx_fhead, ftail = fhead + e->tx_nfree, fmask = e->tx_fmask;
	uint32_t buf_size = e->buf_size;
	const uint64_t stride = e->buf_stride;
	uint32_t min = e->tc.min_len, lim = e->tc.frame_max < buf_size ? e->tc.frame_max : buf_size;
	uint64_t sum = 0;
	/* One run of pushes (pipe.h): room for n checked by the caller. */
	uint8_t *r = pl_pipe_tx_run_begin(&e->out);
	if (lim < min)
		return 0;
	const struct pktlink_pkt *p = pkts, *pend = pkts + n;
	for (; p != pend; p++, r += slot) {
		if (!pl_shm_tx_is_plain(p, min, lim - min))
			break;
		uint32_t len = p->len;
		/* the coldest buffer or the hottest (shm_ep.h, tx_free) */
		uint32_t b = len > SHM_TX_COLD_MIN ? free_list[fhead++ & fmask]
						   : free_list[--ftail & fmask];
		uint64_t off = (uint64_t)b * stride;
		if (p != pkts)
			pl_pipe_tx_run_hdr(r, size);
		pl_txq_put_desc1(r, b, len, off, len);
		pl_shm_copy_frame(base + off, p->data, len);
		state[b] = BUF_TX_HEAD;
		sum += len;
	}
	unsigned i = (unsigned)(p - pkts);
	pl_pipe_tx_run_end(&e->out, size, i);
	e->tx_fhead = fhead;
	e->tx_nfree = ftail - fhead;
	*bytes += sum;
	return i;
}
