/* SPDX-License-Identifier: MIT */
/*
 * tx.c — the TX op: each frame goes through the core's TX preparation
 * step; offloads the peer does not take are completed here, all or nothing.
 */
#include "shm_ep.h"

#include "core/offload.h"

#include <string.h>
#include <unistd.h>

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

/*
 * The virtio-net header of a frame pl_tx_classify() let through as it is
 * (PL_TX_PLAIN, or PL_TX_PASS with the request passed down to the peer).
 * Return 0 or -EINVAL.
 */
int pl_shm_tx_vnet(struct shm_ep *e, const struct pktlink_pkt *p, uint8_t *vh)
{
	if (!e->vnet_len)
		return 0;
	return pl_pkt_to_vnet(p, SHM_ETH_HDR, vh, SHM_VNET_LEN) ? -EINVAL : 0;
}

/* Copy header + frame into a list of (dst, size) pieces. */
void pl_shm_copy_out(uint8_t *base, const uint64_t *off, const uint32_t *sz, unsigned nb,
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

/* One frame as its bytes stand: the role's send. */
static inline __attribute__((always_inline)) int tx_send(struct shm_ep *e, const uint8_t *vh,
							 const uint8_t *data, uint32_t len)
{
	return e->role == PKTLINK_SHM_SERVER ? pl_shm_srv_send(e, vh, data, len)
					     : pl_shm_cli_send(e, vh, data, len);
}

/*
 * What pktlink completes itself (core/tx_prep.h: PL_TX_CSUM, PL_TX_GSO):
 * each output frame is built in tx_scratch and sent like a plain frame,
 * all or nothing — the frames before are published first, so that a lack
 * of room midway forgets (pipe abort) only this frame's outputs and gives
 * their buffers back. Return 1 when sent, 0 when there is no room now
 * (nothing sent), -1 when the request is malformed (caller counts it).
 */
int pl_shm_tx_soft(struct shm_ep *e, const struct pktlink_pkt *p, int how)
{
	struct pl_tx_iter it;
	if (pl_tx_iter_init(&it, &e->tc, p, how) < 0)
		return -1;
	if (pl_pipe_tx_pending(&e->out)) {
		pl_pipe_tx_flush(&e->out);
		e->tx_published = true;
	}
	uint32_t nfree = e->tx_nfree, fhead = e->tx_fhead, post_head = e->post_head,
		 post_count = e->post_count;
	uint8_t vh[SHM_VNET_LEN] = { 0 }; /* outputs are complete: no request */
	for (;;) {
		int len = pl_tx_iter_next(&it, e->tx_scratch, e->tc.frame_max);
		if (len == 0)
			return 1;
		int r = len < 0 ? -1 : tx_send(e, vh, e->tx_scratch, (uint32_t)len);
		if (r <= 0) {
			pl_pipe_tx_abort(&e->out);
			/* The buffers taken since are still in the ring's
			 * slots, at its head and at its tail (shm_ep.h,
			 * tx_free): give them back in place. */
			for (uint32_t i = fhead; i != e->tx_fhead; i++)
				e->tx_state[e->tx_free[i & e->tx_fmask]] = BUF_FREE;
			for (uint32_t i = e->tx_fhead + e->tx_nfree; i != fhead + nfree; i++)
				e->tx_state[e->tx_free[i & e->tx_fmask]] = BUF_FREE;
			e->tx_fhead = fhead;
			e->tx_nfree = nfree;
			e->post_head = post_head;
			e->post_count = post_count;
			return r;
		}
	}
}

/* One caller frame that pl_tx_classify() let through: 1 sent, 0 no room, -1 malformed. */
static inline __attribute__((always_inline)) int tx_frame(struct shm_ep *e,
							 const struct pktlink_pkt *p, int how,
							 const uint8_t *vh)
{
	return how == PL_TX_PLAIN || how == PL_TX_PASS ? tx_send(e, vh, p->data, p->len)
						       : pl_shm_tx_soft(e, p, how);
}

/*
 * Take what the peer gave back: the client's TX completions (buffers free
 * again), the server's posted buffers. Done in big batches: the records
 * read are then lines the peer is done with rather than the one it is
 * writing, and the pipe goes back with one header per batch.
 * Return 0 or the peer-gone reason.
 */
static int take_back(struct shm_ep *e)
{
	if (e->role == PKTLINK_SHM_SERVER)
		return pl_shm_srv_refill_posts(e);
	pl_shm_cli_reap(e);
	return 0;
}

/* Whether a burst of n can start without take_back(): the client has half
 * its buffers free, the server SHM_POST_REFILL_BELOW posts (and n of each),
 * or no virtio-net header (its plain burst takes posts straight from the
 * pipe once the cache is empty; a frame that finds none refills). */
static bool room_at_hand(const struct shm_ep *e, unsigned n)
{
	if (e->role == PKTLINK_SHM_SERVER)
		return !e->vnet_len ||
		       (e->post_count >= SHM_POST_REFILL_BELOW && e->post_count >= n);
	return e->tx_nfree >= e->ntx / 2 && e->tx_nfree >= n;
}

/*
 * Transmit (both roles): each frame goes through the core's TX preparation
 * step (core/tx_prep.h): plain frames and requests the peer takes (a
 * virtio-net header) are copied as they are, partial checksums and
 * super-packets the peer does not take are completed here, and only what
 * can never be sent is dropped and counted (pl_tx_invalid()). The bytes of
 * the frames taken are added to *bytes (pl_shm_tx_burst() counts them).
 * Flushed by the caller.
 */
static int role_tx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n, uint64_t *bytes)
{
	struct pl_tx_counters *c = &e->ep.txc;
	unsigned taken = 0;
	bool server = e->role == PKTLINK_SHM_SERVER;
	/* What the peer gives back is taken in big batches, not at every
	 * burst (take_back()); a frame that finds no room before that gets
	 * one try after it. */
	bool reaped = false;

	if (!room_at_hand(e, n)) {
		int g = take_back(e);
		if (g)
			return g;
		reaped = true;
	}
	/* The common burst: plain frames, each in one buffer, room for all of
	 * them checked once. */
	if (!e->vnet_len) {
		if (!server && e->tx_nfree >= n &&
		    pl_pipe_tx_fits_wrap(&e->out, (uint64_t)n * pl_pipe_slot_size(PL_TXQ_DESC_HDR +
									     PL_TXQ_DESC_BUF)))
			taken = pl_shm_cli_send_plain(e, pkts, n, bytes);
		else if (server &&
			 pl_pipe_tx_fits_wrap(&e->out, (uint64_t)n * pl_pipe_slot_size(PL_RXQ_COMP_HDR +
										  PL_RXQ_COMP_BUF)))
			taken = pl_shm_srv_send_plain(e, pkts, n, bytes);
	}
	unsigned general = taken;
	for (; taken < n; taken++) {
		struct pktlink_pkt *p = &pkts[taken];
		int r;
		if (!server && (p->flags & PKTLINK_PKT_TXBUF)) {
			r = pl_shm_cli_tx_lent(e, p);
			if (r < 0)
				break; /* no room: stays the caller's */
		} else {
			int how = pl_tx_classify(&e->tc, p);
			uint8_t vh[SHM_VNET_LEN];
			if (how == PL_TX_INVALID || ((how == PL_TX_PLAIN || how == PL_TX_PASS) &&
						     pl_shm_tx_vnet(e, p, vh))) {
				pl_tx_invalid(c, 1, p->len);
				continue;
			}
			r = tx_frame(e, p, how, vh);
			if (r == 0 && !reaped) {
				reaped = true;
				/* a gone peer is reported by the next burst */
				if (take_back(e) == 0)
					r = tx_frame(e, p, how, vh);
			}
			if (r == 0)
				break; /* no room: the caller retries later */
			if (r < 0) {
				/* Never sendable; when the client's posts are too
				 * small for it, the peer is at fault too. */
				if (server && how <= PL_TX_PASS)
					pl_stat_add(&c->errors, 1);
				pl_tx_invalid(c, 1, p->len);
			}
		}
	}
	for (unsigned i = general; i < taken; i++)
		*bytes += pkts[i].len;
	return (int)taken;
}

/*
 * ops->tx_burst: the role's burst, one flush and at most one signal per
 * burst. Packets and bytes are counted here as core counts them for
 * core_counts families (core/endpoint.h): the frames taken, less the ones
 * counted invalid; their bytes come from the loops that touch each frame
 * anyway, which spares core's walk over the burst.
 */
int pl_shm_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct shm_ep *e = to_shm(ep);
	struct pl_tx_counters *c = &ep->txc;
	uint64_t inv0 = pl_stat_read(&c->drop_invalid), invb0 = pl_stat_read(&c->drop_invalid_bytes);
	uint64_t bytes = 0;
	int r = role_tx_burst(e, pkts, n, &bytes);
	if (r < 0)
		return r;
	if (r > 0) {
		pl_stat_add(&c->packets, (uint64_t)r - (pl_stat_read(&c->drop_invalid) - inv0));
		pl_stat_add(&c->bytes, bytes - (pl_stat_read(&c->drop_invalid_bytes) - invb0));
	}
	if (pl_pipe_tx_pending(&e->out)) {
		pl_pipe_tx_flush(&e->out);
		e->tx_published = true;
	}
	if (e->tx_published) {
		e->tx_published = false;
		signal_peer(e);
	}
	if (r == 0 && n) {
		/* Nothing fits: the peer may be slow, or gone. Look now and
		 * then, so that a transmit-only user learns about it. */
		if (++e->tx_zero % SHM_PEER_CHECK_EVERY == 0) {
			int g = pl_shm_peer_poll(e, &ep->txc.syscalls);
			if (g)
				return pl_ep_peer_gone(ep, g);
		}
	} else {
		e->tx_zero = 0;
	}
	return r;
}
