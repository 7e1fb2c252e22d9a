/* SPDX-License-Identifier: MIT */
/*
 * server.c — the server's data path: packet descriptors in from the
 * client's TX queue (views or bounce copies), completions back; frames out
 * into buffers the client posted.
 *
 * A view's handle is the descriptor's id (pkt.priv) and its bounce buffer
 * + 1 (pkt.priv2, 0 for a view into shared memory): release needs no table.
 * The server hands out at most SHM_SERVER_SLOTS views, counting the
 * completions that wait for room (views + pend_count <= SHM_SERVER_SLOTS),
 * so the ring of waiting completions never overflows, whatever the caller
 * gives back.
 */
#include "shm_ep.h"

#include <errno.h>
#include <string.h>

/* Push the completion of id now, or queue it when the pipe is full or older ones wait. */
static inline __attribute__((always_inline)) void srv_complete_or_queue(struct shm_ep *e,
									uint64_t id)
{
	if (e->pend_count || !pl_txq_push_completion(&e->in_ret, id)) {
		e->pend[(e->pend_head + e->pend_count) % SHM_SERVER_SLOTS] = id;
		e->pend_count++;
	}
}

/* Push queued completions, oldest first, while the completion pipe has room. */
static void srv_retry_pending(struct shm_ep *e)
{
	while (e->pend_count && pl_txq_push_completion(&e->in_ret, e->pend[e->pend_head])) {
		e->pend_head = (e->pend_head + 1) % SHM_SERVER_SLOTS;
		e->pend_count--;
	}
}

/* The bounce buffer of a view's handle (priv2 = bounce + 1), or -1. */
static inline int srv_view_bounce(const struct pktlink_pkt *p)
{
	return p->priv2 && p->priv2 <= SHM_NBOUNCE ? (int)p->priv2 - 1 : -1;
}

/*
 * The run of plain descriptors at the head of the TX pipe (pipe.h, "Runs
 * of pulls"): one buffer inside the region holding the whole frame, a
 * frame length pl_shm_rx_plain() accepts. Each field is read once; the
 * first record that is anything else stops the run unconsumed, and the
 * general path below judges it afresh. At most m records. Return how many
 * were taken; their bytes are added to *bytes.
 */
static inline __attribute__((always_inline)) unsigned
srv_rx_run(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned m, uint32_t min, uint32_t span,
	   uint64_t *bytes)
{
	const uint64_t size = PL_TXQ_DESC_HDR + PL_TXQ_DESC_BUF, slot = pl_pipe_slot_size(size);
	uint8_t *base = e->in_data->base;
	uint64_t data_len = e->in_data->len, sum = 0;
	const uint8_t *rec;
	uint64_t room = pl_pipe_rx_run_room(&e->in, size, m, &rec);
	const uint8_t *end = rec + room * slot;
	struct pktlink_pkt *out = pkts;
	for (; rec != end && pl_pipe_rx_run_ready(rec, size); rec += slot, out++) {
		uint64_t id = pl_ld64(rec);
		uint32_t total = pl_ld32(rec + 8);
		uint64_t off = pl_ld64(rec + 16);
		uint32_t sz = pl_ld32(rec + 24);
		if (PL_UNLIKELY(!pl_shm_range_ok(off, sz, data_len) || total > sz ||
				total - min > span))
			break;
		pl_shm_view(out, base + off, total, id);
		sum += total;
	}
	unsigned k = (unsigned)(out - pkts);
	pl_pipe_rx_run_end(&e->in, size, k);
	*bytes += sum;
	return k;
}

/*
 * Server receive: pull up to n descriptors, validate them, hand out views
 * (into the client's TX data region, or a bounce copy for multi-buffer
 * frames). Bad descriptors are dropped, counted and completed; a malformed
 * pipe or record disconnects the client. Return the count or the gone reason.
 */
int pl_shm_srv_rx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n, uint64_t *bytes)
{
	struct pl_rx_counters *c = &e->ep.rxc[0];
	struct pl_shm_buf bufs[PL_SHM_MAX_BUFS];
	unsigned got = 0;
	int gone = 0;

	srv_retry_pending(e);
	/* Records we may take: each becomes a view or a completion that may
	 * have to wait (see the top of this file). */
	uint32_t room = SHM_SERVER_SLOTS - e->views - e->pend_count;
	uint8_t *base = e->in_data->base;
	uint64_t data_len = e->in_data->len;
	uint32_t min = 0, span = 0;
	bool plain = pl_shm_rx_plain(e, &min, &span);
	while (got < n && room) {
		if (plain) {
			unsigned m = n - got < room ? n - got : room;
			unsigned k = srv_rx_run(e, pkts + got, m, min, span, bytes);
			got += k;
			room -= k;
			if (k == m)
				continue;
		}
		const uint8_t *rec;
		uint32_t len;
		int r = pl_pipe_rx_pull_sized(&e->in, PL_TXQ_DESC_HDR + PL_TXQ_DESC_BUF, &rec,
					      &len);
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
		int nb = pl_txq_parse_desc(rec, len, data_len, &id, &total, bufs);
		if (nb == -EPROTO) {
			pl_stat_add(&c->drop_invalid, 1);
			gone = pl_ep_error(&e->ep, -EPROTO,
					   "shm client sent a packet descriptor of %u bytes (must be "
					   "16 + 12 n, n <= %u): disconnected",
					   len, PL_SHM_MAX_BUFS);
			break;
		}
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
		room--;
		uint8_t *frame = NULL;
		if (nb > 0 && total <= e->max_frame + e->vnet_len) {
			if (bounce < 0) {
				frame = base + bufs[0].offset;
			} else {
				frame = bounce_mem(e, bounce);
				uint32_t done = 0;
				for (int i = 0; i < nb && done < total; i++) {
					uint32_t k = bufs[i].size < total - done ? bufs[i].size : total - done;
					memcpy(frame + done, base + bufs[i].offset, k);
					done += k;
				}
			}
		}
		if (!frame || pl_shm_frame_to_pkt(e, frame, total, p)) {
			pl_stat_add(&c->drop_invalid, 1);
			bounce_put(e, bounce);
			srv_complete_or_queue(e, id);
			continue;
		}
		p->priv = id;
		p->priv2 = (uint32_t)(bounce + 1);
		*bytes += p->len;
		got++;
	}
	e->views += got;
	pl_pipe_rx_flush(&e->in);
	pl_pipe_tx_flush(&e->in_ret);
	if (gone) {
		/* Hand out nothing from a peer we are dropping. */
		pl_shm_srv_rx_release(e, pkts, got);
		return pl_ep_peer_gone(&e->ep, gone);
	}
	return (int)got;
}

/* Server release: complete the descriptors of the views (now or when there is room). */
void pl_shm_srv_rx_release(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n)
{
	/* Views the caller never had (a second release) are not counted. */
	if (n > e->views)
		n = e->views;
	e->views -= n;
	unsigned i = 0;
	if (!e->pend_count &&
	    pl_pipe_tx_fits_wrap(&e->in_ret, (uint64_t)n * pl_pipe_slot_size(PL_TXQ_COMPLETION))) {
		/* Room for every completion checked once (the common case): a
		 * run of pushes (pipe.h) while the views have no bounce buffer. */
		const uint64_t slot8 = pl_pipe_slot_size(PL_TXQ_COMPLETION);
		uint8_t *rec = pl_pipe_tx_run_begin(&e->in_ret);
		const struct pktlink_pkt *p = pkts, *pend = pkts + n;
		for (; p != pend && !p->priv2; p++, rec += slot8) {
			if (p != pkts)
				pl_pipe_tx_run_hdr(rec, PL_TXQ_COMPLETION);
			pl_st64(rec, p->priv);
		}
		i = (unsigned)(p - pkts);
		pl_pipe_tx_run_end(&e->in_ret, PL_TXQ_COMPLETION, i);
	}
	for (; i < n; i++) {
		bounce_put(e, srv_view_bounce(&pkts[i]));
		srv_complete_or_queue(e, pkts[i].priv);
	}
	pl_pipe_tx_flush(&e->in_ret);
}

/*
 * Server: copy one frame into buffers the client posted and push a
 * completion carrying the bytes really copied (not flushed). Return 1 when
 * sent, 0 when there is no room now, -1 when the client's posts are so
 * small that the frame can never fit in the most buffers a completion
 * lists (dropped rather than stalling forever; the caller counts it).
 * This is the general case: the frame may span several posted buffers.
 */
int pl_shm_srv_send_multi(struct shm_ep *e, const uint8_t *vh, const uint8_t *data, uint32_t len)
{
	struct pl_rxq_post bufs[PL_SHM_MAX_BUFS];
	uint32_t used[PL_SHM_MAX_BUFS];
	uint64_t off[PL_SHM_MAX_BUFS];
	uint32_t total = len + e->vnet_len;
	uint32_t nb = 0, room = 0;
	while (room < total && nb < e->post_count && nb < PL_SHM_MAX_BUFS) {
		bufs[nb] = e->posts[(e->post_head + nb) % SHM_POST_CACHE];
		room += bufs[nb].size < total - room ? bufs[nb].size : total - room;
		nb++;
	}
	if (room < total)
		return nb == PL_SHM_MAX_BUFS ? -1 : 0;
	uint32_t left = total;
	for (uint32_t i = 0; i < nb; i++) {
		used[i] = bufs[i].size < left ? bufs[i].size : left;
		off[i] = bufs[i].offset;
		left -= used[i];
	}
	if (!pl_rxq_push_completion(&e->out, total, bufs, used, nb))
		return 0;
	pl_shm_copy_out(e->q[1].data.base, off, used, nb, vh, e->vnet_len, data, len);
	e->post_head = (e->post_head + nb) % SHM_POST_CACHE;
	e->post_count -= nb;
	return 1;
}

/* Server: refill the local cache of buffers the client posted. 0, or the gone reason. */
int pl_shm_srv_refill_posts(struct shm_ep *e)
{
	uint64_t data_len = e->q[1].data.len;
	/* The cache through locals: the stores into posts would otherwise make
	 * the compiler reload them at every record. */
	struct pl_rxq_post *posts = e->posts;
	uint32_t head = e->post_head, count = e->post_count;
	const uint64_t slot = pl_pipe_slot_size(PL_RXQ_POST);
	while (count < SHM_POST_CACHE) {
		/* The run of good posts (pipe.h, "Runs of pulls"); the first
		 * record that is anything else stops it unconsumed, for the
		 * general pull below. */
		const uint8_t *rec;
		uint64_t room = pl_pipe_rx_run_room(&e->out_ret, PL_RXQ_POST, SHM_POST_CACHE - count,
						    &rec), k;
		for (k = 0; k < room && pl_pipe_rx_run_ready(rec, PL_RXQ_POST); k++, rec += slot) {
			struct pl_rxq_post *b = &posts[(head + count) % SHM_POST_CACHE];
			uint64_t off = pl_ld64(rec);
			uint32_t size = pl_ld32(rec + 8);
			if (PL_UNLIKELY(size == 0 || !pl_shm_range_ok(off, size, data_len)))
				break;
			b->offset = off;
			b->size = size;
			b->user_data = pl_ld64(rec + 16);
			b->id = pl_ld64(rec + 24);
			count++;
		}
		pl_pipe_rx_run_end(&e->out_ret, PL_RXQ_POST, k);
		if (k && k == room)
			continue;
		if (count == SHM_POST_CACHE)
			break;
		uint32_t len;
		int r = pl_pipe_rx_pull_sized(&e->out_ret, PL_RXQ_POST, &rec, &len);
		if (r == PL_PIPE_EMPTY)
			break;
		struct pl_rxq_post b;
		int pr = r == PL_PIPE_CORRUPT ? -EPROTO : pl_rxq_parse_post(rec, len, data_len, &b);
		if (pr == -EPROTO) {
			e->post_count = count;
			pl_pipe_rx_flush(&e->out_ret);
			pl_ep_error(&e->ep, -EPROTO,
				    "shm client wrote a corrupt record in the posted-buffer pipe: "
				    "disconnected");
			return pl_ep_peer_gone(&e->ep, -EPROTO);
		}
		if (pr) {
			pl_stat_add(&e->ep.txc.errors, 1); /* a buffer outside the region: skip it */
			continue;
		}
		posts[(head + count) % SHM_POST_CACHE] = b;
		count++;
	}
	e->post_count = count;
	pl_pipe_rx_flush(&e->out_ret);
	return 0;
}

/*
 * Server: the leading plain frames of a burst that each fit the next posted
 * buffer, when the caller checked that n completions fit in the pipe
 * (pl_pipe_tx_fits()) and there is no virtio-net header: pl_shm_srv_send()'s
 * work without its per-frame tests. The posts come from the local cache
 * first, in order; once it is empty, straight from the posted-buffer pipe
 * (a run of pulls, pipe.h), each field read once, rather than copied into
 * the cache and read back: a post that is anything but a good buffer the
 * frame fits in stops the run unconsumed, for the refill to judge. Stops at
 * the first frame that needs the general path. Return how many were sent.
 */
unsigned pl_shm_srv_send_plain(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n,
			       uint64_t *bytes)
{
	const uint64_t size = PL_RXQ_COMP_HDR + PL_RXQ_COMP_BUF, slot = pl_pipe_slot_size(size);
	const struct pl_rxq_post *posts = e->posts;
	uint8_t *base = e->q[1].data.base;
	uint32_t head = e->post_head, count = e->post_count;
	uint32_t min = e->tc.min_len, fmax = e->tc.frame_max;
	uint64_t sum = 0;
	/* One run of pushes (pipe.h): room for n checked by the caller. */
	uint8_t *r = pl_pipe_tx_run_begin(&e->out);
	unsigned i = 0;
	if (fmax < min)
		return 0;
	for (; i < n && count; i++, r += slot) {
		const struct pktlink_pkt *p = &pkts[i];
		const struct pl_rxq_post *b = &posts[head];
		uint32_t len = p->len;
		if (!pl_shm_tx_is_plain(p, min, fmax - min) || b->size < len)
			goto out;
		if (i)
			pl_pipe_tx_run_hdr(r, size);
		pl_st64(r, len); /* packet size, then the reserved word (0) */
		pl_rxq_put_used(r + 8, b, len);
		pl_shm_copy_frame(base + b->offset, p->data, len);
		head = (head + 1) % SHM_POST_CACHE;
		count--;
		sum += len;
	}
	const uint64_t pslot = pl_pipe_slot_size(PL_RXQ_POST);
	const uint64_t data_len = e->q[1].data.len;
	const struct pktlink_pkt *p = pkts + i, *pend = pkts + n;
	while (p != pend) {
		const uint8_t *post, *first;
		uint64_t room = pl_pipe_rx_run_room(&e->out_ret, PL_RXQ_POST, (uint64_t)(pend - p),
						    &post);
		const uint8_t *stop = post + room * pslot;
		for (first = post; post != stop && pl_pipe_rx_run_ready(post, PL_RXQ_POST);
		     post += pslot, p++, r += slot) {
			uint32_t len = p->len;
			uint64_t off = pl_ld64(post);
			uint32_t bsize = pl_ld32(post + 8);
			/* bsize >= len > 0: not an empty post */
			if (!pl_shm_tx_is_plain(p, min, fmax - min) || bsize < len ||
			    !pl_shm_range_ok(off, bsize, data_len))
				break;
			if (p != pkts)
				pl_pipe_tx_run_hdr(r, size);
			pl_st64(r, len); /* packet size, then the reserved word (0) */
			pl_st64(r + 8, off);
			pl_st32(r + 16, len);
			pl_st64(r + 20, pl_ld64(post + 16)); /* user data */
			pl_st64(r + 28, pl_ld64(post + 24)); /* id */
			pl_shm_copy_frame(base + off, p->data, len);
			sum += len;
		}
		pl_pipe_rx_run_end(&e->out_ret, PL_RXQ_POST, (uint64_t)(post - first) / pslot);
		if (p == pend)
			break;
		/* The run stopped: at a wrap slot (the client wraps early when
		 * a burst of posts does not fit before the end of the region),
		 * one general pull steps over it and gives the post behind it
		 * back to the next run; at anything else, the refill judges. */
		const uint8_t *rec;
		uint32_t len;
		uint64_t at = e->out_ret.head;
		if (pl_pipe_rx_pull_sized(&e->out_ret, PL_RXQ_POST, &rec, &len) != PL_PIPE_RECORD)
			break;
		pl_pipe_rx_unpull(&e->out_ret, len);
		if (e->out_ret.head == at)
			break;
	}
	i = (unsigned)(p - pkts);
	pl_pipe_rx_flush(&e->out_ret);
out:
	pl_pipe_tx_run_end(&e->out, size, i);
	e->post_head = head;
	e->post_count = count;
	*bytes += sum;
	return i;
}
