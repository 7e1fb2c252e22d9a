/* SPDX-License-Identifier: MIT */
/*
 * shm_ep.h — the shared-memory link endpoint: client (the seed's New) and
 * server (NewServerEndpoint) over a queue pair, wire-compatible with gVisor.
 * Private to the shm family. One file per concern:
 *   rx.c      peer liveness, notification words, waiting, the RX ops
 *   server.c  the server's data path (descriptors in, completions out)
 *   client.c  the client's data path (posted buffers, TX buffers, lending)
 *   tx.c      the TX op: the core's TX preparation step, software offloads
 *   setup.c   options, the setup steps (a table, undone backwards), open
 *   connect.c listen/connect over a unix socket, stale sockets
 *   spec.c    the "shm:" spec string
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
 * The common burst runs (pipe.h, "Runs of pulls" / "Runs of pushes"):
 * records of one size, room checked once per burst, each header compared
 * with the size and each record field read once, the pipe state in locals;
 * producers push a wrap slot before a burst that would not fit before the
 * end of the region (pl_pipe_tx_fits_wrap()), so a run never stops there.
 * The first record or frame a run does not take (another size, a wrap slot,
 * a failed check, an offload request) stops it unconsumed, and the general
 * path judges it afresh. The server sends into posts straight from the
 * posted-buffer pipe once its cache is empty. shm counts its own packets
 * and bytes (core_counts off) in these loops. Instructions per packet:
 * bench/shm_instr.c; figures in bench/README.md ("### shm").
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
 * Setup (setup.c) is a table of steps; a failure undoes the steps that
 * succeeded, last first, and destroy() undoes them all the same way. Each
 * step that can fail goes through pl_fault() so tests can fail every one.
 */
#ifndef PL_SHM_EP_H
#define PL_SHM_EP_H

#include "pipe.h"
#include "qpair.h"
#include "queue.h"

#include "core/endpoint.h"
#include "core/rx_policy.h"
#include "core/tx_prep.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define SHM_ETH_HDR 14u
#define SHM_VNET_LEN 10u
#define SHM_MIN_MTU 68u /* IPv4's minimum */
#define SHM_NBOUNCE 16u /* multi-buffer frames held at once (per direction) */
#define SHM_SERVER_SLOTS 2048u /* descriptors the server holds (as views or completions waiting for room) */
#define SHM_POST_CACHE 4096u /* posted buffers the server keeps locally */
#define SHM_POST_REFILL_BELOW 64u /* the server takes new posts when it holds fewer */
#define SHM_PEER_CHECK_EVERY 4096u /* busy-poll: look at the peer fd once per this many empty polls */
#define SHM_SPIN_NS 20000u /* default: how long a waiter watches the pipe before it sleeps */
#define SHM_SPIN_COUNT_MAX 64u /* records rx_spin() counts to pace its looks */

/* Buffer states: RX (free, posted to the server, held in a view) and TX
 * (free, the one buffer of a packet in flight, later buffer of one, lent by
 * tx_alloc, first buffer of a packet of several: only then is tx_next read). */
enum {
	BUF_FREE = 0,
	BUF_POSTED = 1,
	BUF_HELD = 2,
	BUF_TX_HEAD = 3,
	BUF_TX_BODY = 4,
	BUF_TX_LENT = 5,
	BUF_TX_CHAIN = 6,
};

struct shm_setup;

struct shm_ep {
	struct pktlink_ep ep; /* first: the core casts */
	enum pktlink_shm_role role;
	bool busy_poll;
	uint64_t spin_ns; /* rx_spin() budget, 0 = none */
	uint32_t in_cap; /* inbound frames in flight at most: the pipe's records, the buffers */
	uint32_t vnet_len; /* 0 or 10 */
	uint32_t max_frame; /* largest frame without the virtio-net header */
	struct pl_shm_queue q[2];
	struct shm_setup *setup; /* what the setup steps read; during the open only (setup.c) */
	int peer_fd; /* owned, -1 for none */
	int poll_fd; /* owned epoll set: wait eventfd + peer fd (pktlink_fd()) */
	int wait_efd, sig_efd; /* borrowed from q[] */
	uint32_t *wait_word, *sig_word;

	/* ---- RX thread ---- (own cache lines: an RX and a TX thread may run at once) */
	_Alignas(PL_CACHELINE) struct pl_pipe_rx in; /* client: q[1].rx_pipe; server: q[0].tx_pipe */
	struct pl_pipe_tx in_ret; /* client: q[1].tx_pipe (posts); server: q[0].rx_pipe */
	const struct pl_shm_region *in_data; /* where inbound frames live */
	bool armed; /* our word says ENABLED */
	bool drained; /* the eventfd was read since arming */
	unsigned empty_polls;
	struct pl_spin_pace pace; /* rx_spin()'s looks (core/endpoint.h) */
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
	/* server RX: views out, and the ring of ids whose completion did not fit yet
	 * (views + pend_count <= SHM_SERVER_SLOTS, server.c) */
	uint32_t views;
	uint64_t *pend;
	uint32_t pend_head, pend_count;

	/* ---- TX thread ---- */
	_Alignas(PL_CACHELINE) struct pl_tx_caps tc; /* what the peer takes (core/tx_prep.h) */
	uint8_t *tx_scratch; /* tc.frame_max bytes: outputs of pl_shm_tx_soft() */
	bool tx_published; /* flushed during this burst: signal the peer */
	struct pl_pipe_tx out; /* client: q[0].tx_pipe; server: q[1].rx_pipe */
	struct pl_pipe_rx out_ret; /* client: q[0].rx_pipe; server: q[1].tx_pipe */
	unsigned tx_zero; /* consecutive tx_burst calls that took nothing */
	uint32_t buf_size; /* client buffer size */
	/* client: bytes from one buffer to the next, buf_size padded to an odd
	 * number of cache lines when the regions are big enough (a power-of-two
	 * stride puts every buffer's first line into the same few cache sets);
	 * offsets travel in the records, so the peer follows without knowing */
	uint32_t buf_stride;
	uint32_t ntx;
	/* client: free TX buffers, a ring of tx_fmask + 1 slots (a power of
	 * two >= ntx), tx_nfree of them from tx_fhead on, freed ones added at
	 * the tail. A frame longer than SHM_TX_COLD_MIN takes the buffer freed
	 * longest ago, at the head: one the peer has just read out is still in
	 * its CPU's cache, and writing it again costs a cross-CPU invalidation
	 * per line. A shorter one takes the newest, at the tail, whose few
	 * lines are still in ours (bench/README.md, "### shm") */
	uint32_t *tx_free, tx_nfree, tx_fhead, tx_fmask;
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

/* Take a bounce buffer (RX thread), or -1 when all are out. */
static inline int bounce_get(struct shm_ep *e)
{
	return e->rx_nbounce ? (int)e->rx_bounce_free[--e->rx_nbounce] : -1;
}

/* Give a bounce buffer back; -1 and out-of-range values are ignored. */
static inline void bounce_put(struct shm_ep *e, int b)
{
	if (b >= 0 && e->rx_nbounce < SHM_NBOUNCE)
		e->rx_bounce_free[e->rx_nbounce++] = (uint32_t)b;
}

/* The memory of bounce buffer b (bounce_size bytes). */
static inline uint8_t *bounce_mem(struct shm_ep *e, int b)
{
	return e->rx_bounce + (size_t)b * e->bounce_size;
}

/* A fresh view of len bytes at data with handle priv: every other field
 * zero, written as whole words rather than field by field. */
static inline void pl_shm_view(struct pktlink_pkt *p, uint8_t *data, uint32_t len, uint64_t priv)
{
	memset(p, 0, sizeof(*p));
	p->data = data;
	p->len = len;
	p->priv = priv;
}

/*
 * Whether caller frame p is one the plain send runs take (server.c,
 * client.c): not lent, no offload request, data set, a length in [min,
 * min + span] — what pl_tx_classify() calls PL_TX_PLAIN for lengths up to
 * min + span <= frame_max, with the limits in the caller's registers
 * rather than reloaded around every store into shared memory.
 */
static inline bool pl_shm_tx_is_plain(const struct pktlink_pkt *p, uint32_t min, uint32_t span)
{
	return !(p->flags & (PKTLINK_PKT_TXBUF | PKTLINK_PKT_CSUM_PARTIAL)) &&
	       p->gso_type == PKTLINK_GSO_NONE && p->data && p->len - min <= span;
}

/* Copy a frame into shared memory: 32-64 bytes (the packet-rate case) as
 * two overlapping fixed-size copies inline instead of a call into memcpy(). */
static inline void pl_shm_copy_frame(uint8_t *d, const uint8_t *s, uint32_t n)
{
	if (n >= 32 && n <= 64) {
		memcpy(d, s, 32);
		memcpy(d + n - 32, s + n - 32, 32);
	} else {
		memcpy(d, s, n);
	}
}

/* Copy the virtio-net header (vlen bytes, 0 or 10) and the frame into one
 * buffer that holds both. */
static inline void pl_shm_copy_one(uint8_t *dst, const uint8_t *vh, uint32_t vlen,
				   const uint8_t *data, uint32_t dlen)
{
	if (vlen)
		memcpy(dst, vh, vlen);
	memcpy(dst + vlen, data, dlen);
}

/* ---- rx.c ---- */

/* Non-blocking look at the peer fd (one poll, counted in *sys): 0 or the gone reason. */
int pl_shm_peer_poll(struct shm_ep *e, uint64_t *sys);
/* pl_shm_frame_to_pkt() for frames behind a virtio-net header. 0 or -EINVAL. */
int pl_shm_frame_to_pkt_vnet(struct shm_ep *e, uint8_t *data, uint32_t total,
			     struct pktlink_pkt *pkt);

/*
 * Fill pkt from a frame of total bytes (virtio-net header included) at data
 * and apply the one receive policy (core/rx_policy.h: bounds, and the
 * offload flags the stack asked for). 0, or -EINVAL when the frame or its
 * header is bad. Inline: once per received frame, and without a header the
 * compiler sees that the fresh pkt carries no offload request.
 */
static inline int pl_shm_frame_to_pkt(struct shm_ep *e, uint8_t *data, uint32_t total,
				      struct pktlink_pkt *pkt)
{
	if (e->vnet_len)
		return pl_shm_frame_to_pkt_vnet(e, data, total, pkt);
	*pkt = (struct pktlink_pkt){ .data = data, .len = total };
	if (total == 0 || total > e->max_frame)
		return -EINVAL;
	return pl_rx_apply(&e->ep.rxp, pkt, 0, 0) == PL_RX_KEEP ? 0 : -EINVAL;
}
/*
 * Whether the receive runs (server.c, client.c) may hand out views of
 * one-buffer frames without pl_shm_frame_to_pkt(): with no virtio-net
 * header, no address filter and no checksum fixing, the receive policy
 * asks nothing of a fresh view but a length in [*min, *min + *span].
 * Read once per burst (the filter may be switched on by another thread;
 * the next burst sees it).
 */
static inline bool pl_shm_rx_plain(const struct shm_ep *e, uint32_t *min, uint32_t *span)
{
	const struct pl_rx_policy *rp = &e->ep.rxp;
	if (e->vnet_len || __atomic_load_n(&rp->filter, __ATOMIC_RELAXED) || rp->fix_unmarked ||
	    rp->min_len == 0 || rp->min_len > e->max_frame)
		return false;
	*min = rp->min_len;
	*span = e->max_frame - rp->min_len;
	return true;
}
int pl_shm_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n);
void pl_shm_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
int pl_shm_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms);

/* ---- server.c ---- */

/* The role's receive burst; the bytes of the views returned are added to *bytes. */
int pl_shm_srv_rx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n, uint64_t *bytes);
void pl_shm_srv_rx_release(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n);
/* One frame into posted buffers, spread over several: 1 sent, 0 no room now, -1 never fits
 * (caller counts). */
int pl_shm_srv_send_multi(struct shm_ep *e, const uint8_t *vh, const uint8_t *data, uint32_t len);
/* Refill the cache of posted buffers: 0, or the peer-gone reason. */
int pl_shm_srv_refill_posts(struct shm_ep *e);

/* ---- client.c ---- */

/* Post RX buffer b to the server (not flushed); queued locally when the pipe is full. */
void pl_shm_cli_post(struct shm_ep *e, uint32_t b);
int pl_shm_cli_rx_burst(struct shm_ep *e, struct pktlink_pkt *pkts, unsigned n, uint64_t *bytes);
void pl_shm_cli_rx_release(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n);
/* Free the buffers of completed TX packets (lazy, at transmit). */
void pl_shm_cli_reap(struct shm_ep *e);
/* Send a lent buffer: 1 sent, 0 taken but dropped (counted), -1 no room (stays the caller's). */
int pl_shm_cli_tx_lent(struct shm_ep *e, struct pktlink_pkt *p);
int pl_shm_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
void pl_shm_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
/* The leading plain frames of a burst that fit the next posts, room checked by the caller;
 * their bytes are added to *bytes. */
unsigned pl_shm_srv_send_plain(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n,
			       uint64_t *bytes);
/* The leading plain one-buffer frames of a burst, room checked by the caller: how many sent;
 * their bytes are added to *bytes. */
unsigned pl_shm_cli_send_plain(struct shm_ep *e, const struct pktlink_pkt *pkts, unsigned n,
			       uint64_t *bytes);
/* One frame into several free TX buffers: 1 sent, 0 no room now. */
int pl_shm_cli_send_multi(struct shm_ep *e, const uint8_t *vh, const uint8_t *data, uint32_t len,
			  uint32_t nb);

/* The sends, inline in the TX op: once per frame. */
/* One frame into the client's posts: pl_shm_srv_send_multi()'s contract, one buffer fast. */
static inline __attribute__((always_inline)) int pl_shm_srv_send(struct shm_ep *e, const uint8_t *vh,
								   const uint8_t *data, uint32_t len)
{
	uint32_t total = len + e->vnet_len;
	const struct pl_rxq_post *b = &e->posts[e->post_head];
	if (PL_UNLIKELY(!e->post_count || b->size < total))
		return pl_shm_srv_send_multi(e, vh, data, len);
	/* The frame fits the next posted buffer (refill checked it lies
	 * inside the region): no buffer lists. */
	if (!pl_rxq_push_completion(&e->out, total, b, &total, 1))
		return 0;
	pl_shm_copy_one(e->q[1].data.base + b->offset, vh, e->vnet_len, data, len);
	e->post_head = (e->post_head + 1) % SHM_POST_CACHE;
	e->post_count--;
	return 1;
}

/* Frames longer than this take the coldest free TX buffer, shorter ones the
 * hottest (struct shm_ep, tx_free). Measured with shm/c2s-copy: at 1500
 * bytes the coldest buffer was 30 % faster, at 64 bytes the hottest 8 %. */
#define SHM_TX_COLD_MIN 512u

/* Client: the i-th free TX buffer from the head (the coldest; i < tx_nfree). */
static inline uint32_t pl_shm_cli_free_at(const struct shm_ep *e, uint32_t i)
{
	return e->tx_free[(e->tx_fhead + i) & e->tx_fmask];
}

/* Client: the n buffers at the head of the free FIFO are taken. */
static inline void pl_shm_cli_free_took(struct shm_ep *e, uint32_t n)
{
	e->tx_fhead += n;
	e->tx_nfree -= n;
}

/* Client: TX buffer b is free again, at the tail. */
static inline void pl_shm_cli_free_put(struct shm_ep *e, uint32_t b)
{
	e->tx_free[(e->tx_fhead + e->tx_nfree++) & e->tx_fmask] = b;
}

/* Client: give back the buffer pl_shm_cli_free_take(e, len) just returned. */
static inline void pl_shm_cli_free_untake(struct shm_ep *e, uint32_t b, uint32_t len)
{
	if (len > SHM_TX_COLD_MIN)
		e->tx_free[--e->tx_fhead & e->tx_fmask] = b;
	e->tx_nfree++;
}

/* Client: take a free TX buffer for a frame of len bytes (tx_nfree > 0):
 * the coldest or the hottest (struct shm_ep, tx_free). */
static inline uint32_t pl_shm_cli_free_take(struct shm_ep *e, uint32_t len)
{
	if (len > SHM_TX_COLD_MIN) {
		uint32_t b = pl_shm_cli_free_at(e, 0);
		pl_shm_cli_free_took(e, 1);
		return b;
	}
	return e->tx_free[(e->tx_fhead + --e->tx_nfree) & e->tx_fmask];
}

/*
 * Client: copy one frame (virtio-net header vh, then len bytes of data) into
 * free TX buffers and push its descriptor (not flushed). Return 1 when
 * sent, 0 when there is no room now (no buffers, or the pipe is full).
 */
static inline __attribute__((always_inline)) int pl_shm_cli_send(struct shm_ep *e, const uint8_t *vh,
								   const uint8_t *data, uint32_t len)
{
	uint32_t total = len + e->vnet_len;
	if (PL_UNLIKELY(total > e->buf_size))
		return pl_shm_cli_send_multi(e, vh, data, len,
					     (total + e->buf_size - 1) / e->buf_size);
	/* Most frames fit one buffer: no buffer lists, no division. */
	if (!e->tx_nfree)
		return 0;
	uint32_t b = pl_shm_cli_free_take(e, total);
	struct pl_shm_buf one = { (uint64_t)b * e->buf_stride, total };
	if (!pl_txq_push_desc(&e->out, b, total, &one, 1)) {
		pl_shm_cli_free_untake(e, b, total);
		return 0;
	}
	pl_shm_copy_one(e->q[0].data.base + one.offset, vh, e->vnet_len, data, len);
	e->tx_state[b] = BUF_TX_HEAD;
	return 1;
}

/* ---- tx.c ---- */

/* The virtio-net header of a frame sent as it is. 0 or -EINVAL. */
int pl_shm_tx_vnet(struct shm_ep *e, const struct pktlink_pkt *p, uint8_t *vh);
/* Copy header + frame into a list of (dst, size) pieces. */
void pl_shm_copy_out(uint8_t *base, const uint64_t *off, const uint32_t *sz, unsigned nb,
		     const uint8_t *vh, uint32_t vlen, const uint8_t *data, uint32_t dlen);
/* Send what pktlink completes itself, all or nothing: 1 sent, 0 no room, -1 malformed. */
int pl_shm_tx_soft(struct shm_ep *e, const struct pktlink_pkt *p, int how);
int pl_shm_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);

/* ---- setup.c ---- */

/* Defaults and validation of the options every entry point shares. */
int pl_shm_opts_load(const struct pktlink_shm_opts *in, struct pktlink_shm_opts *o, char *err,
		     size_t errlen);
/* Build an endpoint around two mapped queues; owns q[] and peer_fd in every case. */
int pl_shm_ep_create(const struct pktlink_shm_opts *o, struct pl_shm_queue q[2], int peer_fd,
		     uint32_t client_buf_size, struct pktlink_ep **epp, char *err, size_t errlen);

/* ---- connect.c ---- */

/* pktlink_shm_connect(); announce: say on stderr when the wait for a server lasts. */
int pl_shm_connect(const char *path, const struct pktlink_shm_opts *opts, bool announce,
		   struct pktlink_ep **epp, char *err, size_t errlen);

#endif /* PL_SHM_EP_H */
