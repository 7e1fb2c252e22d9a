/* SPDX-License-Identifier: MIT */
/*
 * pipe.h — the shared-memory pipe: a single-producer single-consumer ring of
 * variable-size records, wire-compatible with gVisor's sharedmem/pipe.
 *
 * Wire format (see ../shared/reference/sharedmem-wire.md):
 *   - The region holds only records; usable length = size rounded down to 8.
 *   - Each side keeps a private 64-bit index (revolution << 32 | offset),
 *     both starting at revolution 0xFFFFFFFE, offset 0.
 *   - A record is an 8-byte native-endian header (bit 63 = free, bits 0-31 =
 *     payload size) followed by the payload, padded to a multiple of 8.
 *   - A wrap slot is a published slot whose size reaches offset 0 of the next
 *     revolution; a slot never ends exactly at the end of the region, so an
 *     8-byte stop marker always fits after the last slot.
 *   - The producer publishes a batch by writing the FIRST header last with a
 *     release store; the consumer returns space as one coalesced free slot.
 *
 * The peer on the other side is untrusted. The consumer reads each header
 * once, checks it in 64-bit arithmetic, and reports PL_PIPE_CORRUPT instead of
 * following a slot that leaves the region or overruns unflushed space; the
 * producer accepts freed space only when it stays inside the region and
 * inside one revolution of its own tail. Neither side ever touches memory
 * outside [buf, buf + len), whatever the peer writes.
 *
 * Thread safety: a struct pl_pipe_tx is used by one thread (the producer), a
 * struct pl_pipe_rx by one thread (the consumer); the two may live in
 * different processes. No allocation, no system calls: everything is
 * static inline for the hot path.
 */
#ifndef PL_SHM_PIPE_H
#define PL_SHM_PIPE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PL_PIPE_JUMP (1ull << 32)
#define PL_PIPE_OFFSET_MASK 0xffffffffull
#define PL_PIPE_REV_MASK (~PL_PIPE_OFFSET_MASK)
#define PL_PIPE_HDR 8ull
#define PL_PIPE_FREE (1ull << 63)
#define PL_PIPE_SIZE_MASK 0xffffffffull
#define PL_PIPE_START (0xfffffffeull << 32)
/* Smallest usable region: one 8-byte record plus a wrap header and a stop
 * marker. The largest keeps every offset below 2^31 so that offsets and
 * wrap sizes never collide with the revolution bits. */
#define PL_PIPE_MIN_LEN 32ull
#define PL_PIPE_MAX_LEN (1ull << 31)
#define PL_PIPE_LIKELY(x) __builtin_expect(!!(x), 1)

/* Return values of pl_pipe_rx_pull(). */
enum { PL_PIPE_EMPTY = 0, PL_PIPE_RECORD = 1, PL_PIPE_CORRUPT = -EPROTO };

/** pl_pipe_slot_size() - index units taken by a record of @payload bytes. */
static inline uint64_t pl_pipe_slot_size(uint64_t payload)
{
	return (PL_PIPE_HDR + payload + PL_PIPE_HDR - 1) & ~(PL_PIPE_HDR - 1);
}

/** pl_pipe_usable_len() - the part of a region of @size bytes the pipe uses. */
static inline uint64_t pl_pipe_usable_len(uint64_t size)
{
	return size & ~(PL_PIPE_HDR - 1);
}

/** pl_pipe_capacity() - how many records of @record_size bytes fit in a
 * region of @size bytes when none has been consumed (the seed's Capacity). */
static inline uint64_t pl_pipe_capacity(uint64_t size, uint64_t record_size)
{
	uint64_t len = pl_pipe_usable_len(size);
	if (len < PL_PIPE_HDR)
		return 0;
	return (len - PL_PIPE_HDR) / pl_pipe_slot_size(record_size);
}

/* Header access. Headers are the only words both sides write, so they are
 * always accessed atomically; payload bytes are ordered by the header
 * release/acquire pairs and copied with memcpy. */
static inline uint64_t *pl_pipe_hdr(uint8_t *buf, uint64_t idx)
{
	return (uint64_t *)(void *)(buf + (idx & PL_PIPE_OFFSET_MASK));
}

/**
 * pl_pipe_init_region() - write the initial free header at offset 0 of a
 * fresh region (done once by whoever creates the region, before handing it
 * over: a zero-filled region would otherwise look like a published empty
 * record). Return: 0, or -EINVAL if the region is too small or too large.
 */
static inline int pl_pipe_init_region(void *buf, uint64_t size)
{
	uint64_t len = pl_pipe_usable_len(size);
	if (len < PL_PIPE_MIN_LEN || len > PL_PIPE_MAX_LEN)
		return -EINVAL;
	__atomic_store_n((uint64_t *)buf, PL_PIPE_FREE, __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Producer                                                                  */

struct pl_pipe_tx {
	uint8_t *buf;
	uint64_t len; /* usable length, multiple of 8 */
	uint64_t max_payload; /* len - 16: the payload and a wrap header */
	uint64_t head; /* first index not known to be free (exclusive limit) */
	uint64_t tail; /* first slot of the unflushed batch */
	uint64_t next; /* where the next push goes */
	uint64_t tail_header; /* header of the batch's first slot, written at flush */
};

/**
 * pl_pipe_tx_init() - attach a producer to a region of @size bytes at @buf
 * and mark offset 0 free. The consumer must not have started yet (it only
 * ever sees the free marker, which is also what the creator wrote).
 * Return: 0, or -EINVAL for a region outside [32 bytes, 2 GiB].
 */
static inline int pl_pipe_tx_init(struct pl_pipe_tx *t, void *buf, uint64_t size)
{
	uint64_t len = pl_pipe_usable_len(size);
	if (len < PL_PIPE_MIN_LEN || len > PL_PIPE_MAX_LEN)
		return -EINVAL;
	t->buf = buf;
	t->len = len;
	t->max_payload = len - 2 * PL_PIPE_HDR;
	t->tail = PL_PIPE_START;
	t->next = t->tail;
	t->head = t->tail + PL_PIPE_JUMP;
	t->tail_header = 0;
	__atomic_store_n(pl_pipe_hdr(t->buf, t->tail), PL_PIPE_FREE, __ATOMIC_RELEASE);
	return 0;
}

/** pl_pipe_tx_capacity() - records of @record_size bytes an empty pipe holds. */
static inline uint64_t pl_pipe_tx_capacity(const struct pl_pipe_tx *t, uint64_t record_size)
{
	return (t->len - PL_PIPE_HDR) / pl_pipe_slot_size(record_size);
}

/*
 * Advance head over slots the consumer freed until it reaches new_next.
 * The consumer is untrusted: a free slot is accepted only if it ends inside
 * the region and within one revolution of our tail, so head never points
 * outside the region and the loop ends after at most len/8 steps (each step
 * advances head by at least 8 and head may not pass tail + 2^32).
 */
static inline bool pl_pipe_tx_reclaim(struct pl_pipe_tx *t, uint64_t new_next)
{
	while ((int64_t)(new_next - t->head) > 0) {
		uint64_t h = __atomic_load_n(pl_pipe_hdr(t->buf, t->head), __ATOMIC_ACQUIRE);
		if (!(h & PL_PIPE_FREE))
			return false;
		uint64_t nh = t->head + pl_pipe_slot_size(h & PL_PIPE_SIZE_MASK);
		if ((int64_t)(nh - t->tail) > (int64_t)PL_PIPE_JUMP ||
		    (nh & PL_PIPE_OFFSET_MASK) >= t->len)
			return false;
		t->head = nh;
	}
	return true;
}

static inline void pl_pipe_tx_flush(struct pl_pipe_tx *t);

/*
 * Push a wrap slot from next to offset 0 of the next revolution (flushed at
 * once when it would be the first slot of the batch, as the seed does, so
 * that the consumer can free it early). Return false when the space is not
 * free yet (nothing pushed).
 */
static inline bool pl_pipe_tx_wrap(struct pl_pipe_tx *t)
{
	uint64_t new_next = (t->next & PL_PIPE_REV_MASK) + PL_PIPE_JUMP;
	uint64_t wrap_payload = new_next - t->next - PL_PIPE_HDR;
	if (!pl_pipe_tx_reclaim(t, new_next))
		return false;
	uint64_t old_next = t->next;
	t->next = new_next;
	if (old_next != t->tail) {
		__atomic_store_n(pl_pipe_hdr(t->buf, old_next), wrap_payload, __ATOMIC_RELAXED);
	} else {
		t->tail_header = wrap_payload;
		pl_pipe_tx_flush(t);
	}
	return true;
}

/* pl_pipe_tx_push()'s general case: a wrap slot first, or space to reclaim, or no room. */
static __attribute__((noinline, unused)) void *pl_pipe_tx_push_slow(struct pl_pipe_tx *t,
								   uint64_t size)
{
	if (size > t->max_payload)
		return NULL;
	uint64_t total = pl_pipe_slot_size(size);
	uint64_t new_next = t->next + total;
	uint64_t wrap_at = (t->next & PL_PIPE_REV_MASK) | t->len;
	if ((int64_t)(new_next - wrap_at) >= 0) {
		if (!pl_pipe_tx_wrap(t))
			return NULL;
		new_next = t->next + total;
	}
	if (!pl_pipe_tx_reclaim(t, new_next))
		return NULL;
	if (t->next != t->tail)
		__atomic_store_n(pl_pipe_hdr(t->buf, t->next), size, __ATOMIC_RELAXED);
	else
		t->tail_header = size;
	void *p = t->buf + ((t->next + PL_PIPE_HDR) & PL_PIPE_OFFSET_MASK);
	t->next = new_next;
	return p;
}

/**
 * pl_pipe_tx_push() - reserve @size payload bytes; returns where to write
 * them, or NULL when the record can never fit (size > len - 16) or there is
 * no room now. The space stays invisible to the consumer until
 * pl_pipe_tx_flush(); pl_pipe_tx_abort() forgets it. When a record does not
 * fit before the end of the region, a wrap slot is pushed first (and
 * flushed at once when it would be the first slot of the batch, as the
 * seed does, so that the consumer can free it early).
 */
static inline __attribute__((always_inline)) void *pl_pipe_tx_push(struct pl_pipe_tx *t,
								       uint64_t size)
{
	uint64_t total = pl_pipe_slot_size(size);
	uint64_t new_next = t->next + total;
	uint64_t off = t->next & PL_PIPE_OFFSET_MASK;
	/* The common case in few instructions: the slot ends before the end
	 * of the region (no wrap slot; size < len keeps the sum small) and
	 * inside space known to be free (no reclaim). */
	if (PL_PIPE_LIKELY(size < t->len && off + total < t->len &&
			   (int64_t)(new_next - t->head) <= 0)) {
		if (t->next != t->tail)
			__atomic_store_n((uint64_t *)(void *)(t->buf + off), size, __ATOMIC_RELAXED);
		else
			t->tail_header = size;
		t->next = new_next;
		return t->buf + off + PL_PIPE_HDR;
	}
	return pl_pipe_tx_push_slow(t, size);
}

/** pl_pipe_tx_abort() - forget every push since the last flush. */
static inline void pl_pipe_tx_abort(struct pl_pipe_tx *t)
{
	t->next = t->tail;
}

/**
 * pl_pipe_tx_flush() - publish every push since the last flush: write the
 * stop marker after the last slot, then the first header with one store
 * that releases all payloads and later headers. The store is seq_cst (not
 * just release) because it is the sender's half of the notification
 * protocol (queue.h): it must not be reordered after the load of the
 * peer's notification word that follows.
 */
static inline void pl_pipe_tx_flush(struct pl_pipe_tx *t)
{
	if (t->next == t->tail)
		return;
	if (t->next != t->head)
		__atomic_store_n(pl_pipe_hdr(t->buf, t->next), PL_PIPE_FREE, __ATOMIC_RELAXED);
	__atomic_store_n(pl_pipe_hdr(t->buf, t->tail), t->tail_header, __ATOMIC_SEQ_CST);
	t->tail = t->next;
}

/**
 * pl_pipe_tx_fits() - whether @bytes of slots fit from the next push on
 * without a wrap slot, taking back space the consumer freed if needed
 * (pl_pipe_tx_reclaim()). When it says so, pushes of slots totalling at
 * most @bytes may use pl_pipe_tx_push_unchecked().
 */
static inline bool pl_pipe_tx_fits(struct pl_pipe_tx *t, uint64_t bytes)
{
	if (bytes >= t->len || (t->next & PL_PIPE_OFFSET_MASK) + bytes >= t->len)
		return false;
	return (int64_t)(t->next + bytes - t->head) <= 0 || pl_pipe_tx_reclaim(t, t->next + bytes);
}

/**
 * pl_pipe_tx_fits_wrap() - pl_pipe_tx_fits(), and when @bytes of slots
 * would fit only from the start of the region, push the wrap slot first
 * (the one pl_pipe_tx_push() would write before the next record) and
 * check again: a run of records then never stops at the end of the region.
 */
static inline bool pl_pipe_tx_fits_wrap(struct pl_pipe_tx *t, uint64_t bytes)
{
	if (pl_pipe_tx_fits(t, bytes))
		return true;
	if (bytes >= t->len || (t->next & PL_PIPE_OFFSET_MASK) + bytes < t->len ||
	    !pl_pipe_tx_wrap(t))
		return false;
	return pl_pipe_tx_fits(t, bytes);
}

/**
 * pl_pipe_tx_push_unchecked() - pl_pipe_tx_push() inside room that
 * pl_pipe_tx_fits() vouched for (the caller keeps count): no test at all.
 */
static inline void *pl_pipe_tx_push_unchecked(struct pl_pipe_tx *t, uint64_t size)
{
	uint64_t off = t->next & PL_PIPE_OFFSET_MASK;
	if (t->next != t->tail)
		__atomic_store_n((uint64_t *)(void *)(t->buf + off), size, __ATOMIC_RELAXED);
	else
		t->tail_header = size;
	t->next += pl_pipe_slot_size(size);
	return t->buf + off + PL_PIPE_HDR;
}

/*
 * Runs of pushes: a caller that writes many records of one @size into room
 * pl_pipe_tx_fits() vouched for, with the pipe state in locals rather than
 * reloaded around every record store (stores into shared memory may alias
 * it). The loop is
 *
 *     uint8_t *rec = pl_pipe_tx_run_begin(t);
 *     for (k = 0; ...; k++, rec += slot) {
 *             if (k) pl_pipe_tx_run_hdr(rec, size);
 *             ...write the payload at rec...
 *     }
 *     pl_pipe_tx_run_end(t, size, k);
 *
 * with slot = pl_pipe_slot_size(size): the same wire bytes as k calls of
 * pl_pipe_tx_push_unchecked(). The first record's header is left to
 * pl_pipe_tx_run_end(): when it opens the batch it is the one the flush
 * writes last.
 */

/** pl_pipe_tx_run_begin() - where the payload of the next push goes. */
static inline uint8_t *pl_pipe_tx_run_begin(const struct pl_pipe_tx *t)
{
	return t->buf + (t->next & PL_PIPE_OFFSET_MASK) + PL_PIPE_HDR;
}

/** pl_pipe_tx_run_hdr() - the header of a run's record at @rec, other than its first. */
static inline void pl_pipe_tx_run_hdr(uint8_t *rec, uint64_t size)
{
	__atomic_store_n((uint64_t *)(void *)(rec - PL_PIPE_HDR), size, __ATOMIC_RELAXED);
}

/** pl_pipe_tx_run_end() - account for @k records of @size written in a run. */
static inline void pl_pipe_tx_run_end(struct pl_pipe_tx *t, uint64_t size, uint64_t k)
{
	if (!k)
		return;
	if (t->next != t->tail)
		__atomic_store_n(pl_pipe_hdr(t->buf, t->next), size, __ATOMIC_RELAXED);
	else
		t->tail_header = size;
	t->next += k * pl_pipe_slot_size(size);
}

/** pl_pipe_tx_pending() - whether pushes wait for a flush. */
static inline bool pl_pipe_tx_pending(const struct pl_pipe_tx *t)
{
	return t->next != t->tail;
}

/* ------------------------------------------------------------------------ */
/* Consumer                                                                  */

struct pl_pipe_rx {
	uint8_t *buf;
	uint64_t len;
	uint64_t head; /* next slot to read */
	uint64_t tail; /* first slot not yet returned to the producer */
};

/**
 * pl_pipe_rx_init() - attach a consumer to a region of @size bytes. Writes
 * nothing. Return: 0, or -EINVAL for a region outside [32 bytes, 2 GiB].
 */
static inline int pl_pipe_rx_init(struct pl_pipe_rx *r, void *buf, uint64_t size)
{
	uint64_t len = pl_pipe_usable_len(size);
	if (len < PL_PIPE_MIN_LEN || len > PL_PIPE_MAX_LEN)
		return -EINVAL;
	r->buf = buf;
	r->len = len;
	r->tail = PL_PIPE_START;
	r->head = r->tail;
	return 0;
}

/*
 * pl_pipe_rx_touch() - store back @h, the header just read at @hp of a
 * published record of @slot index units, when it is the first header in its
 * cache line.
 *
 * A consumer that only reads the producer's lines leaves them shared between
 * the two CPUs, and the producer's next store into each (a lap later) waits
 * for an upgrade; a store by the consumer moves the line over, and the
 * producer's store becomes a plain miss, which costs it less. On this
 * project's machine (2-CPU AMD EPYC VM) that took shm/c2s from 57-58 to
 * 79-81 Mpps and shm/s2c from 62-63 to 96 (bench/README.md, "Receivers store into
 * the lines they read"). It is safe on the wire: the value is the one the
 * producer published, in a slot the consumer owns until its flush writes
 * the free header (which comes later in program order), so a producer,
 * gVisor's or ours, never sees a change. Free headers are never stored
 * back: the producer owns that space.
 */
static inline __attribute__((always_inline)) void pl_pipe_rx_touch(const uint64_t *hp, uint64_t h,
								    uint64_t slot)
{
	/* the previous header is slot bytes back: in another line when this
	 * one sits less than slot bytes into its own */
	if (((uintptr_t)hp & 63) < slot)
		__atomic_store_n((uint64_t *)(uintptr_t)hp, h, __ATOMIC_RELAXED);
}

/*
 * pl_pipe_rx_pull()'s general case: the header h, already read once at
 * r->head, is anything but a plain record that fits before the end of the
 * region (a wrap slot, or a broken header).
 */
static __attribute__((noinline, unused)) int pl_pipe_rx_pull_slow(struct pl_pipe_rx *r, uint64_t h,
								 const uint8_t **data,
								 uint32_t *size)
{
	/* A legitimate producer writes at most one wrap slot per pull. */
	for (int wraps = 0; wraps < 2; wraps++) {
		if (r->head == r->tail + PL_PIPE_JUMP)
			return PL_PIPE_EMPTY; /* the whole pipe is pulled */
		if (wraps)
			h = __atomic_load_n(pl_pipe_hdr(r->buf, r->head), __ATOMIC_ACQUIRE);
		if (h & PL_PIPE_FREE)
			return PL_PIPE_EMPTY;
		uint64_t psize = h & PL_PIPE_SIZE_MASK;
		uint64_t nh = r->head + pl_pipe_slot_size(psize);
		if ((int64_t)(nh - r->tail) > (int64_t)PL_PIPE_JUMP)
			return PL_PIPE_CORRUPT; /* would overrun space not yet freed */
		uint64_t wrap_at = (r->head & PL_PIPE_REV_MASK) | r->len;
		if ((int64_t)(nh - wrap_at) >= 0) {
			/* A wrap slot must land exactly on the next revolution,
			 * and is never the first slot of a revolution. */
			if (nh != (r->head & PL_PIPE_REV_MASK) + PL_PIPE_JUMP ||
			    (r->head & PL_PIPE_OFFSET_MASK) == 0)
				return PL_PIPE_CORRUPT;
			if (r->tail == r->head) {
				/* First in the batch: free it at once so the
				 * producer can reuse the space. */
				__atomic_store_n(pl_pipe_hdr(r->buf, r->head),
						 PL_PIPE_FREE | (nh - r->head - PL_PIPE_HDR),
						 __ATOMIC_RELEASE);
				r->tail = nh;
			}
			r->head = nh;
			continue;
		}
		*data = r->buf + ((r->head + PL_PIPE_HDR) & PL_PIPE_OFFSET_MASK);
		*size = (uint32_t)psize;
		r->head = nh;
		return PL_PIPE_RECORD;
	}
	return PL_PIPE_CORRUPT;
}

/**
 * pl_pipe_rx_pull() - take the next published record.
 * Return: PL_PIPE_RECORD with *@data / *@size set (valid until the next
 * flush or abort; the bytes live in shared memory and may change under a
 * hostile producer, so read each field once), PL_PIPE_EMPTY, or
 * PL_PIPE_CORRUPT when a header breaks the format (the caller should drop
 * the peer; the pipe state is unchanged).
 */
static inline __attribute__((always_inline)) int pl_pipe_rx_pull(struct pl_pipe_rx *r,
								  const uint8_t **data,
								  uint32_t *size)
{
	uint64_t off = r->head & PL_PIPE_OFFSET_MASK;
	uint64_t h = __atomic_load_n((uint64_t *)(void *)(r->buf + off), __ATOMIC_ACQUIRE);
	/* The common case in few instructions: a published record (free bit
	 * and the bits above the size clear, as h < len says) that ends
	 * before the end of the region (no wrap) and inside what the producer
	 * may have written (head + slot - tail <= 2^32; head - tail is in
	 * [0, 2^32], so the unsigned sum cannot wrap). When the whole pipe is
	 * pulled (head = tail + 2^32), the header read is one of ours and
	 * this test fails: the slow path says EMPTY. */
	uint64_t slot = pl_pipe_slot_size(h);
	if (PL_PIPE_LIKELY(h < r->len && off + slot < r->len &&
			   r->head + slot - r->tail <= PL_PIPE_JUMP)) {
		pl_pipe_rx_touch((const uint64_t *)(const void *)(r->buf + off), h, slot);
		*data = r->buf + off + PL_PIPE_HDR;
		*size = (uint32_t)h;
		r->head += slot;
		return PL_PIPE_RECORD;
	}
	if (h & PL_PIPE_FREE)
		return PL_PIPE_EMPTY;
	return pl_pipe_rx_pull_slow(r, h, data, size);
}

/**
 * pl_pipe_rx_pull_sized() - pl_pipe_rx_pull() for a consumer that expects
 * records of @size bytes (a constant): the same results for every record,
 * in fewer instructions when the next one has that size.
 */
static inline __attribute__((always_inline)) int pl_pipe_rx_pull_sized(struct pl_pipe_rx *r,
									uint64_t size,
									const uint8_t **data,
									uint32_t *len)
{
	uint64_t off = r->head & PL_PIPE_OFFSET_MASK;
	uint64_t h = __atomic_load_n((uint64_t *)(void *)(r->buf + off), __ATOMIC_ACQUIRE);
	uint64_t slot = pl_pipe_slot_size(size);
	if (PL_PIPE_LIKELY(h == size && off + slot < r->len &&
			   r->head + slot - r->tail <= PL_PIPE_JUMP)) {
		pl_pipe_rx_touch((const uint64_t *)(const void *)(r->buf + off), h, slot);
		*data = r->buf + off + PL_PIPE_HDR;
		*len = (uint32_t)size;
		r->head += slot;
		return PL_PIPE_RECORD;
	}
	if (h & PL_PIPE_FREE)
		return PL_PIPE_EMPTY;
	return pl_pipe_rx_pull_slow(r, h, data, len);
}

/*
 * Runs of pulls: a consumer that expects records of one @size (a constant)
 * checks once per burst how many such slots fit between its head, the end
 * of the region and what the producer may have written, then only compares
 * each header with @size. The loop is
 *
 *     const uint8_t *rec;
 *     uint64_t room = pl_pipe_rx_run_room(r, size, max, &rec);
 *     for (k = 0; k < room && pl_pipe_rx_run_ready(rec, size); k++, rec += slot)
 *             ...read the payload at rec, each field once...
 *     pl_pipe_rx_run_end(r, size, k);
 *
 * with slot = pl_pipe_slot_size(size). It takes exactly the records
 * pl_pipe_rx_pull_sized() would take in its fast path, each header read
 * once (acquire); anything else (a wrap slot, another size, a broken
 * header, an empty pipe) stops the run and is pl_pipe_rx_pull()'s to judge.
 */

/**
 * pl_pipe_rx_run_room() - how many slots of a record of @size bytes (at most
 * @max) may follow from head without a wrap and without overrunning space
 * not yet freed; *@rec is where the first payload would be.
 */
static inline __attribute__((always_inline)) uint64_t
pl_pipe_rx_run_room(const struct pl_pipe_rx *r, uint64_t size, uint64_t max, const uint8_t **rec)
{
	uint64_t slot = pl_pipe_slot_size(size);
	uint64_t off = r->head & PL_PIPE_OFFSET_MASK; /* < len: head only lands inside */
	/* slot i (from 0) ends at off + (i + 1) slot, which must stay below
	 * len and at most 2^32 past tail: head - tail is in [0, 2^32]. */
	uint64_t room = (r->len - 1 - off) / slot;
	uint64_t ahead = (r->tail + PL_PIPE_JUMP - r->head) / slot;
	if (ahead < room)
		room = ahead;
	*rec = r->buf + off + PL_PIPE_HDR;
	return room < max ? room : max;
}

/** pl_pipe_rx_run_ready() - whether the record at @rec is published with
 * @size bytes (and, if so, pl_pipe_rx_touch()ed). */
static inline bool pl_pipe_rx_run_ready(const uint8_t *rec, uint64_t size)
{
	const uint64_t *hp = (const uint64_t *)(const void *)(rec - PL_PIPE_HDR);
	uint64_t h = __atomic_load_n(hp, __ATOMIC_ACQUIRE);
	if (h != size)
		return false;
	pl_pipe_rx_touch(hp, h, pl_pipe_slot_size(size));
	return true;
}

/** pl_pipe_rx_run_end() - consume the @k records of @size a run took. */
static inline void pl_pipe_rx_run_end(struct pl_pipe_rx *r, uint64_t size, uint64_t k)
{
	r->head += k * pl_pipe_slot_size(size);
}

/**
 * pl_pipe_rx_unpull() - give back the record of @size bytes that the last
 * pl_pipe_rx_pull() returned, so the next pull returns it again. Only valid
 * right after that pull (no flush or abort in between).
 */
static inline void pl_pipe_rx_unpull(struct pl_pipe_rx *r, uint32_t size)
{
	r->head -= pl_pipe_slot_size(size);
}

/**
 * pl_pipe_rx_flush() - return every record pulled since the last flush to
 * the producer as one free slot (one release store at the old tail).
 */
static inline void pl_pipe_rx_flush(struct pl_pipe_rx *r)
{
	if (r->head == r->tail)
		return;
	__atomic_store_n(pl_pipe_hdr(r->buf, r->tail),
			 PL_PIPE_FREE | (r->head - r->tail - PL_PIPE_HDR), __ATOMIC_RELEASE);
	r->tail = r->head;
}

/** pl_pipe_rx_abort() - un-pull every record since the last flush. */
static inline void pl_pipe_rx_abort(struct pl_pipe_rx *r)
{
	r->head = r->tail;
}

/** pl_pipe_rx_pending() - bytes pulled and not yet flushed. */
static inline uint64_t pl_pipe_rx_pending(const struct pl_pipe_rx *r)
{
	return r->head - r->tail;
}

/**
 * pl_pipe_rx_peek() - whether a published record (or wrap slot) waits, for
 * the notification re-check. One seq_cst load (the waiter's half of the
 * protocol in queue.h); no state change.
 */
static inline bool pl_pipe_rx_peek(const struct pl_pipe_rx *r)
{
	if (r->head == r->tail + PL_PIPE_JUMP)
		return false;
	uint64_t h = __atomic_load_n(pl_pipe_hdr(r->buf, r->head), __ATOMIC_SEQ_CST);
	return !(h & PL_PIPE_FREE);
}

/**
 * pl_pipe_rx_count() - how many plain records wait from the next pull on,
 * up to @max: a hint (for pacing a spin), nothing is taken. Stops at the
 * first slot that is not a plain published record inside the region (a
 * wrap slot, a free header, anything broken), which the next pull handles.
 */
static inline unsigned pl_pipe_rx_count(const struct pl_pipe_rx *r, unsigned max)
{
	uint64_t at = r->head;
	unsigned k;
	for (k = 0; k < max; k++) {
		uint64_t off = at & PL_PIPE_OFFSET_MASK;
		uint64_t h = __atomic_load_n((const uint64_t *)(const void *)(r->buf + off),
					     __ATOMIC_ACQUIRE);
		uint64_t slot = pl_pipe_slot_size(h);
		if (!(h < r->len && off + slot < r->len && at + slot - r->tail <= PL_PIPE_JUMP))
			break;
		at += slot;
	}
	return k;
}

#endif /* PL_SHM_PIPE_H */
