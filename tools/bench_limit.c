/* SPDX-License-Identifier: MIT */
/*
 * bench_limit.c — the limit of the two-process rows (shm and memif): a raw
 * single-producer single-consumer copy ring between two processes, with no
 * endpoint, no protocol and no checks beyond a length bound. Whatever a
 * shared-memory endpoint adds (descriptors, buffer recycling, notification,
 * validation) shows as the distance to this row, in the same run.
 *
 *   limit-spsc/c2s       a producer process copies the bench frame
 *                        (--frame-len bytes) into 2048 fixed 2048-byte slots in
 *                        bursts of 64; the measured consumer reads each
 *                        slot's length and releases it without touching the
 *                        payload: the work of shm/c2s, shm/s2c and memif,
 *                        which hand out views of the shared buffers.
 *   limit-spsc/c2s-copy  the same, and the consumer copies every frame into
 *                        its own memory: the work of shm/c2s-copy and of
 *                        DPDK's memif (copy mode) and socket peers.
 *
 * A limit must bound the rows measured against it, so each row names the
 * variant that does no more than it must do itself (bench.h: limit).
 * The ring: a MAP_SHARED memfd holding head (written by the producer) and
 * tail (written by the consumer) on cache lines of their own, published with
 * release stores and read with acquire loads; each side keeps a cached copy
 * of the other's index and reloads it only when the ring looks full / empty.
 * Both sides spin, pinned like the shm rows: the producer on --cpu-gen, the
 * measured consumer (this thread) on --cpu-dut.
 *
 * The consumer stores back, once per cache line, a word it read from the
 * producer's lines (a length; in the copy variant also the frame's first
 * word): a line the consumer only read stays shared, and the producer's
 * store into it a lap later waits for an upgrade, while a line the consumer
 * wrote is a plain miss, which costs the producer less. On this project's
 * machine that doubled the ring at 64 bytes (bench/README.md, "Receivers
 * store into the lines they read"); memif's and shm's receivers do the same
 * with their descriptors, so the limit must too, or it would not bound them.
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A power of two; 2048 slots (4.3 MB) are more than the 1 MB L2 of each of
 * this machine's CPUs holds. With 512 (1 MB) every slot the producer
 * refilled was still in the consumer's L2, each of its lines cost a
 * cross-CPU invalidation, and the copy variant ran at 7-8 Mpps at 1500
 * bytes against 27-30 Mpps with 2048: below memif, which with its 1024 x
 * 2112-byte ring (2.1 MB) passes the L2 too. */
#define SPSC_SLOTS 2048u
#define SPSC_SLOT_SIZE 2048u
/* Slots and copy destinations lie an odd number of cache lines apart: with a
 * 2048-byte stride the first lines of all slots fall into a few cache sets
 * and evict each other, which would make the limit slower than the rows it
 * bounds (memif's buffers are laid out the same way, src/memif/region.c). */
#define SPSC_SLOT_STRIDE (SPSC_SLOT_SIZE + 64u)
#define SPSC_BURST 64u
#define CACHE_LINE 64
#define LENS_PER_LINE (CACHE_LINE / sizeof(uint32_t))

struct spsc_ring {
	alignas(CACHE_LINE) _Atomic uint64_t head; /* slots filled, producer-owned */
	alignas(CACHE_LINE) _Atomic uint64_t tail; /* slots consumed, consumer-owned */
	alignas(CACHE_LINE) _Atomic uint64_t sent; /* frames produced (offered), relaxed */
	alignas(CACHE_LINE) _Atomic int quit; /* set by the consumer at teardown */
	alignas(CACHE_LINE) uint32_t len[SPSC_SLOTS]; /* frame length per slot */
	alignas(CACHE_LINE) uint8_t slot[SPSC_SLOTS][SPSC_SLOT_STRIDE];
};

struct spsc_state {
	struct spsc_ring *ring;
	pid_t child;
};

/* produce() - the producer process: fill every free slot with the frame, in
 * bursts of up to 64, until told to quit (or the parent dies). */
static void produce(struct spsc_ring *r, const uint8_t *frame, uint32_t len)
{
	uint64_t head = 0, tail = 0;
	for (unsigned k = 0;; k++) {
		if (!(k & 1023) && atomic_load_explicit(&r->quit, memory_order_relaxed))
			return;
		uint64_t room = SPSC_SLOTS - (head - tail);
		if (room == 0) {
			tail = atomic_load_explicit(&r->tail, memory_order_acquire);
			continue;
		}
		unsigned n = room < SPSC_BURST ? (unsigned)room : SPSC_BURST;
		for (unsigned i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)(head + i) & (SPSC_SLOTS - 1);
			uint8_t *d = r->slot[idx];
			/* Small frames inline, as memif's sender copies them
			 * (src/memif/tx.c): a memcpy() call per frame made this
			 * producer slower than memif's, and the limit no
			 * ceiling. Larger ones through glibc's copy, not the
			 * `rep movsq` GCC inlines for a bounded size
			 * (tools/util.h). */
			util_copy_frame(d, frame, len);
			r->len[idx] = len;
		}
		head += n;
		atomic_store_explicit(&r->head, head, memory_order_release);
		atomic_store_explicit(&r->sent, head, memory_order_relaxed);
	}
}

/* consume() - the measured side until @until (CLOCK_MONOTONIC ns): frames
 * received are added to *pkts. The ring is writable by the other process,
 * so each length is read once and bounded before use. */
static void consume(struct bench_env *env, struct spsc_ring *r, bool copy, uint64_t until,
		    uint64_t *pkts)
{
	static uint8_t priv[SPSC_BURST][SPSC_SLOT_STRIDE]; /* copy mode: where frames go */
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed), head = tail;
	uint64_t got = 0, bytes = 0;
	unsigned k = 0;
	/* The clock is read every 16 bursts, as the shm rows do. */
	while ((k++ % 16 || util_now_ns() < until) && !bench_should_stop(env)) {
		if (head == tail) {
			head = atomic_load_explicit(&r->head, memory_order_acquire);
			if (head - tail > SPSC_SLOTS) /* a broken producer */
				return;
			if (head == tail)
				continue;
		}
		uint64_t avail = head - tail;
		unsigned n = avail < SPSC_BURST ? (unsigned)avail : SPSC_BURST;
		for (unsigned i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)(tail + i) & (SPSC_SLOTS - 1);
			uint32_t l = *(volatile uint32_t *)&r->len[idx];
			/* Once per line of lengths, the value read is stored
			 * back: the line moves here, and the producer's next
			 * store into it is a plain miss, not an upgrade of a
			 * shared line, which costs it more here (2x at 64 bytes
			 * on this project's machine). memif's receiver does the
			 * same with its descriptors (src/memif/memif_int.h:
			 * memif_desc_touch), so the limit must too. */
			if (!(idx & (LENS_PER_LINE - 1)))
				*(volatile uint32_t *)&r->len[idx] = l;
			if (l > SPSC_SLOT_SIZE)
				l = SPSC_SLOT_SIZE;
			if (copy) {
				util_copy_frame(priv[i], r->slot[idx], l);
				/* The same for the frame's first line, whose
				 * word 0 was just copied (l >= 60): 99 -> 260
				 * Mpps at 64 bytes; at 1500 the copy bounds it
				 * and this changes nothing. */
				if (l >= 8) {
					uint64_t w;
					memcpy(&w, priv[i], sizeof(w));
					*(volatile uint64_t *)(void *)r->slot[idx] = w;
				}
			}
			bytes += l;
		}
		tail += n;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
		got += n;
	}
	*pkts += got;
	/* The lengths are used, so the compiler cannot drop their loads. */
	__asm__ volatile("" : : "r"(bytes));
}

static void spsc_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	struct spsc_state *st = state;
	if (!st)
		return;
	if (st->ring)
		atomic_store_explicit(&st->ring->quit, 1, memory_order_relaxed);
	if (st->child > 0)
		bench_reap_child(st->child, 0); /* it sees quit */
	if (st->ring)
		munmap(st->ring, sizeof(*st->ring));
	free(st);
}

/* spsc_setup() - the ring in a memfd, the producer process on --cpu-gen. */
static int spsc_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		      char *err, size_t errlen)
{
	struct spsc_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	*state = st;
	int fd = memfd_create("pktlink-bench-spsc", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, sizeof(struct spsc_ring))) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "memfd for the ring: %s", strerror(-e));
		return e;
	}
	void *m = mmap(NULL, sizeof(struct spsc_ring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = -errno;
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "mapping the ring: %s", strerror(-e));
		return e;
	}
	st->ring = m; /* zero-filled: head = tail = 0 */
	uint32_t len = env->frame_len < SPSC_SLOT_SIZE ? env->frame_len : SPSC_SLOT_SIZE;
	fflush(NULL);
	st->child = fork();
	if (st->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (env->cpu_gen >= 0)
			util_pin_cpu(env->cpu_gen);
		produce(st->ring, env->frame, len);
		_exit(0);
	}
	if (st->child < 0) {
		e = -errno;
		snprintf(err, errlen, "fork: %s", strerror(-e));
		return e;
	}
	return 0;
}

static int spsc_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		    struct bench_result *res, char *err, size_t errlen)
{
	struct spsc_state *st = state;
	struct spsc_ring *r = st->ring;
	bool copy = s->arg != NULL;
	uint64_t warm = 0, pkts = 0;
	consume(env, r, copy, util_now_ns() + (uint64_t)(env->warmup_s * 1e9), &warm);
	uint64_t tx0 = atomic_load_explicit(&r->sent, memory_order_relaxed);
	uint64_t c0 = util_thread_cpu_ns(), t0 = util_now_ns();
	consume(env, r, copy, t0 + (uint64_t)(env->duration_s * 1e9), &pkts);
	uint64_t t1 = util_now_ns(), c1 = util_thread_cpu_ns();
	uint64_t tx1 = atomic_load_explicit(&r->sent, memory_order_relaxed);
	if (!pkts) {
		snprintf(err, errlen, "no frames arrived from the producer process");
		return -EIO;
	}
	res->packets = pkts;
	res->secs = (double)(t1 - t0) / 1e9;
	res->cpu_ns = c1 - c0;
	res->syscalls = 0;
	res->offered = tx1 - tx0;
	res->extra[0] = (double)pkts * env->frame_len * 8 / res->secs / 1e9;
	return 0;
}

static const struct bench_scenario limit_scenarios[] = {
	{ .name = "limit-spsc/c2s", .family = "limit",
	  .desc = "limit of shm/memif: raw SPSC copy ring, two processes, receiver reads lengths only",
	  .extra_names = { "Gbit/s" }, .setup = spsc_setup, .run = spsc_run,
	  .teardown = spsc_teardown },
	{ .name = "limit-spsc/c2s-copy", .family = "limit",
	  .desc = "as limit-spsc/c2s, and the receiver copies every frame out (limit of copy rows)",
	  .extra_names = { "Gbit/s" }, .arg = "copy", .setup = spsc_setup, .run = spsc_run,
	  .teardown = spsc_teardown },
};
BENCH_REGISTER(limit_scenarios)
