/* SPDX-License-Identifier: MIT */
/*
 * queue.h — the records the shared-memory queues carry in their pipes, and
 * the notification word. Wire-compatible with gVisor's sharedmem/queue.
 *
 * Named from the client's point of view (the server uses the same two
 * queues with roles crossed):
 *
 * TX queue (client -> server packets):
 *   tx pipe, packet descriptor: u64 id, u32 total size, u32 reserved (0),
 *            then per buffer {u64 offset, u32 size} (12 bytes, packed);
 *            record length 16 + 12 n.
 *   rx pipe, completion: exactly 8 bytes, the u64 id. Other lengths are
 *            ignored (and flushed).
 * RX queue (server -> client packets, into client-posted buffers):
 *   tx pipe, posted buffer (32 bytes): u64 offset, u32 size,
 *            u32 remaining-in-group (0), u64 user data, u64 id.
 *   rx pipe, completion: u32 packet size, u32 reserved, then per buffer
 *            {u64 offset, u32 size used, u64 user data, u64 id} (28 bytes,
 *            packed); record length 8 + 28 n.
 * All fields little-endian (the native order of every supported target).
 *
 * Parsers read every field from shared memory exactly once into locals
 * (through memcpy, which copes with the packed 12/28-byte layouts) and check
 * offsets and sizes in 64-bit arithmetic against the region length. Records
 * come from an untrusted peer: a parser never returns a range outside the
 * region.
 *
 * Thread safety: pure functions over caller memory; the notification helpers
 * are called by the one producer and the one waiter of a pipe.
 */
#ifndef PL_SHM_QUEUE_H
#define PL_SHM_QUEUE_H

#include "pipe.h"

#include <stdint.h>
#include <string.h>

#define PL_TXQ_DESC_HDR 16u
#define PL_TXQ_DESC_BUF 12u
#define PL_TXQ_COMPLETION 8u
#define PL_RXQ_POST 32u
#define PL_RXQ_COMP_HDR 8u
#define PL_RXQ_COMP_BUF 28u

/* Most buffers one packet may span (64 KiB in 256-byte buffers). */
#define PL_SHM_MAX_BUFS 256u

/** struct pl_shm_buf - one buffer of a packet: where it is and how much it holds. */
struct pl_shm_buf {
	uint64_t offset;
	uint32_t size;
};

static inline uint64_t pl_ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t pl_ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline void pl_st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline void pl_st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/** pl_shm_range_ok() - whether [off, off + size) lies inside a region of len bytes. */
static inline bool pl_shm_range_ok(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* ---- TX queue ---- */

/** pl_txq_put_desc1() - write a one-buffer packet descriptor at @r (28 bytes). */
static inline void pl_txq_put_desc1(uint8_t *r, uint64_t id, uint32_t total, uint64_t offset,
				    uint32_t size)
{
	pl_st64(r, id);
	pl_st64(r + 8, total); /* total size, then the reserved word (0) */
	pl_st64(r + 16, offset);
	pl_st32(r + 24, size);
}

/**
 * pl_txq_push_desc() - push a packet descriptor (not flushed).
 * Return: true, or false when the pipe has no room (nothing pushed).
 */
static inline bool pl_txq_push_desc(struct pl_pipe_tx *p, uint64_t id, uint32_t total,
				    const struct pl_shm_buf *bufs, unsigned n)
{
	uint8_t *r = pl_pipe_tx_push(p, PL_TXQ_DESC_HDR + (uint64_t)PL_TXQ_DESC_BUF * n);
	if (!r)
		return false;
	pl_st64(r, id);
	pl_st32(r + 8, total);
	pl_st32(r + 12, 0);
	for (unsigned i = 0; i < n; i++) {
		pl_st64(r + 16 + 12 * i, bufs[i].offset);
		pl_st32(r + 24 + 12 * i, bufs[i].size);
	}
	return true;
}

/* The buffer list of a descriptor: the sum of the sizes, or 0 when a buffer
 * leaves the data region (the caller's total is never 0). */
static inline __attribute__((always_inline)) uint64_t
pl_txq_parse_bufs(const uint8_t *rec, uint64_t n, uint64_t data_len, struct pl_shm_buf *bufs)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = pl_ld64(rec + 16 + 12 * i);
		uint32_t sz = pl_ld32(rec + 24 + 12 * i);
		if (!pl_shm_range_ok(off, sz, data_len))
			return 0;
		bufs[i].offset = off;
		bufs[i].size = sz;
		sum += sz;
	}
	return sum;
}

/**
 * pl_txq_parse_desc() - read a packet descriptor record of @len bytes.
 * Copies the id, total size and buffer list into locals (@bufs has room for
 * PL_SHM_MAX_BUFS). Checks: the record length is 16 + 12 n with 1 <= n <=
 * PL_SHM_MAX_BUFS, every buffer is inside a data region of @data_len bytes,
 * and the buffers hold at least @total bytes.
 * Return: n, -EPROTO when the record itself is malformed (its id is not
 * trustworthy), or -EINVAL when the id was read (*@id valid) but the buffers
 * or sizes are bad (drop the packet, still complete the id).
 */
static inline int pl_txq_parse_desc(const uint8_t *rec, uint32_t len, uint64_t data_len,
				    uint64_t *id, uint32_t *total, struct pl_shm_buf *bufs)
{
	uint64_t n = 1; /* the common case, without a division */
	if (len != PL_TXQ_DESC_HDR + PL_TXQ_DESC_BUF) {
		if (len < PL_TXQ_DESC_HDR + PL_TXQ_DESC_BUF ||
		    (len - PL_TXQ_DESC_HDR) % PL_TXQ_DESC_BUF)
			return -EPROTO;
		n = (len - PL_TXQ_DESC_HDR) / PL_TXQ_DESC_BUF;
	}
	*id = pl_ld64(rec);
	if (n > PL_SHM_MAX_BUFS)
		return -EINVAL;
	uint32_t t = pl_ld32(rec + 8);
	*total = t;
	/* One buffer is the common case: a loop the compiler unrolls. */
	uint64_t sum = n == 1 ? pl_txq_parse_bufs(rec, 1, data_len, bufs)
			      : pl_txq_parse_bufs(rec, n, data_len, bufs);
	if (t == 0 || sum < t)
		return -EINVAL;
	return (int)n;
}

/** pl_txq_push_completion() - push the 8-byte completion of @id (not flushed). */
static inline bool pl_txq_push_completion(struct pl_pipe_tx *p, uint64_t id)
{
	uint8_t *r = pl_pipe_tx_push(p, PL_TXQ_COMPLETION);
	if (!r)
		return false;
	pl_st64(r, id);
	return true;
}

/**
 * pl_txq_parse_completion() - read a TX completion. Return: 0 with *@id, or
 * -EINVAL for a record that is not exactly 8 bytes (ignore it).
 */
static inline int pl_txq_parse_completion(const uint8_t *rec, uint32_t len, uint64_t *id)
{
	if (len != PL_TXQ_COMPLETION)
		return -EINVAL;
	*id = pl_ld64(rec);
	return 0;
}

/* ---- RX queue ---- */

/** struct pl_rxq_post - a posted buffer (the client's RxBuffer). */
struct pl_rxq_post {
	uint64_t offset;
	uint32_t size;
	uint64_t user_data;
	uint64_t id;
};

/** pl_rxq_push_post() - post a buffer to the server (not flushed). */
static inline bool pl_rxq_push_post(struct pl_pipe_tx *p, const struct pl_rxq_post *b)
{
	uint8_t *r = pl_pipe_tx_push(p, PL_RXQ_POST);
	if (!r)
		return false;
	pl_st64(r, b->offset);
	pl_st32(r + 8, b->size);
	pl_st32(r + 12, 0);
	pl_st64(r + 16, b->user_data);
	pl_st64(r + 24, b->id);
	return true;
}

/**
 * pl_rxq_parse_post() - read a posted-buffer record. Return: 0, or -EPROTO
 * when the record is not 32 bytes, or -EINVAL when the buffer is empty or
 * not inside a data region of @data_len bytes.
 */
static inline int pl_rxq_parse_post(const uint8_t *rec, uint32_t len, uint64_t data_len,
				    struct pl_rxq_post *b)
{
	if (len != PL_RXQ_POST)
		return -EPROTO;
	b->offset = pl_ld64(rec);
	b->size = pl_ld32(rec + 8);
	b->user_data = pl_ld64(rec + 16);
	b->id = pl_ld64(rec + 24);
	if (b->size == 0 || !pl_shm_range_ok(b->offset, b->size, data_len))
		return -EINVAL;
	return 0;
}

/** pl_rxq_put_used() - write one buffer of an RX completion at @b (28 bytes). */
static inline void pl_rxq_put_used(uint8_t *b, const struct pl_rxq_post *post, uint32_t used)
{
	pl_st64(b, post->offset);
	pl_st32(b + 8, used);
	pl_st64(b + 12, post->user_data);
	pl_st64(b + 20, post->id);
}

/**
 * pl_rxq_push_completion() - push the completion of a packet of @size bytes
 * that fills @n posted buffers; @used[i] says how many bytes went into
 * buffer i (the bytes really copied, not the posted size). Not flushed.
 */
static inline bool pl_rxq_push_completion(struct pl_pipe_tx *p, uint32_t size,
					  const struct pl_rxq_post *bufs, const uint32_t *used,
					  unsigned n)
{
	uint8_t *r = pl_pipe_tx_push(p, PL_RXQ_COMP_HDR + (uint64_t)PL_RXQ_COMP_BUF * n);
	if (!r)
		return false;
	pl_st64(r, size); /* packet size, then the reserved word (0) */
	for (unsigned i = 0; i < n; i++)
		pl_rxq_put_used(r + 8 + 28 * i, &bufs[i], used[i]);
	return true;
}

/** struct pl_rxq_used - one buffer of an RX completion. */
struct pl_rxq_used {
	uint64_t offset;
	uint32_t used;
	uint64_t user_data;
	uint64_t id;
};

/* The buffer list of an RX completion: the sum of the used sizes. */
static inline __attribute__((always_inline)) uint64_t
pl_rxq_parse_used(const uint8_t *rec, uint64_t n, struct pl_rxq_used *bufs)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *b = rec + 8 + 28 * i;
		bufs[i].offset = pl_ld64(b);
		bufs[i].used = pl_ld32(b + 8);
		bufs[i].user_data = pl_ld64(b + 12);
		bufs[i].id = pl_ld64(b + 20);
		sum += bufs[i].used;
	}
	return sum;
}

/**
 * pl_rxq_parse_completion() - read an RX completion into @bufs (room for
 * PL_SHM_MAX_BUFS). Checks: length 8 + 28 n with 1 <= n <= PL_SHM_MAX_BUFS,
 * packet size > 0, the used sizes sum to at least the packet size without
 * overflowing u32 (the seed's rule). Offsets and ids are the caller's to
 * check against what it posted.
 * Return: n with *@size set, or -EPROTO for a malformed record.
 */
static inline int pl_rxq_parse_completion(const uint8_t *rec, uint32_t len, uint32_t *size,
					  struct pl_rxq_used *bufs)
{
	uint64_t n = 1; /* the common case, without a division */
	if (len != PL_RXQ_COMP_HDR + PL_RXQ_COMP_BUF) {
		if (len < PL_RXQ_COMP_HDR + PL_RXQ_COMP_BUF ||
		    (len - PL_RXQ_COMP_HDR) % PL_RXQ_COMP_BUF)
			return -EPROTO;
		n = (len - PL_RXQ_COMP_HDR) / PL_RXQ_COMP_BUF;
		if (n > PL_SHM_MAX_BUFS)
			return -EPROTO;
	}
	uint32_t s = pl_ld32(rec);
	/* One buffer is the common case: a loop the compiler unrolls. */
	uint64_t sum = n == 1 ? pl_rxq_parse_used(rec, 1, bufs) : pl_rxq_parse_used(rec, n, bufs);
	if (s == 0 || sum < s || sum > UINT32_MAX)
		return -EPROTO;
	*size = s;
	return (int)n;
}

/* ---- notification word (bytes 0-3 of the shared-data region) ---- */

enum {
	PL_NOTIFY_UNINIT = 0, /* treated as enabled */
	PL_NOTIFY_DISABLED = 1, /* the waiter is awake: do not signal */
	PL_NOTIFY_ENABLED = 2, /* the waiter is about to sleep: signal */
};

/*
 * Lost wake-ups are excluded by a store-buffer (Dekker) pattern made of four
 * sequentially consistent operations, with no separate fences (which TSan
 * cannot model):
 *   waiter: store word = ENABLED (seq_cst); load pipe header (seq_cst,
 *           pl_pipe_rx_peek()); sleep only if it is free.
 *   sender: store the batch's first header (seq_cst, pl_pipe_tx_flush());
 *           load word (seq_cst); signal unless DISABLED.
 * In the single total order of these operations either the sender's load
 * comes after the waiter's store (it sees ENABLED and signals) or the
 * waiter's load comes after the sender's store (it sees the batch). On
 * x86-64 the seq_cst store is an xchg and the loads are plain moves; on
 * arm64 stlr followed by ldar is ordered without a dmb.
 */

/**
 * pl_notify_needed() - sender side, after pl_pipe_tx_flush() published a
 * batch: whether to write the eventfd.
 */
static inline bool pl_notify_needed(const uint32_t *word)
{
	return __atomic_load_n(word, __ATOMIC_SEQ_CST) != PL_NOTIFY_DISABLED;
}

/** pl_notify_arm() - waiter: announce sleep; re-check the pipe (pl_pipe_rx_peek()) after this. */
static inline void pl_notify_arm(uint32_t *word)
{
	__atomic_store_n(word, PL_NOTIFY_ENABLED, __ATOMIC_SEQ_CST);
}

/** pl_notify_disarm() - waiter: awake again, suppress signals. */
static inline void pl_notify_disarm(uint32_t *word)
{
	__atomic_store_n(word, PL_NOTIFY_DISABLED, __ATOMIC_RELAXED);
}

#endif /* PL_SHM_QUEUE_H */
