/* SPDX-License-Identifier: MIT */
/*
 * test_pipe: the shared-memory pipe (src/shm/pipe.h) — the record cases of
 * the reference's tests, the hostile-peer checks, and a million random
 * records through a small pipe with the producer and the consumer in two
 * processes.
 */
#include "harness.h"
#include "shm/pipe.h"

#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct pp {
	uint8_t mem[4096] __attribute__((aligned(64)));
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
};

static void pp_init(struct pp *p, uint64_t size)
{
	memset(p->mem, 0xa5, sizeof(p->mem));
	PLT_CHECK(size <= sizeof(p->mem), "size");
	PLT_OK(pl_pipe_init_region(p->mem, size));
	PLT_OK(pl_pipe_tx_init(&p->tx, p->mem, size));
	PLT_OK(pl_pipe_rx_init(&p->rx, p->mem, size));
}

static bool push_rec(struct pl_pipe_tx *tx, uint32_t size, uint8_t fill)
{
	uint8_t *b = pl_pipe_tx_push(tx, size);
	if (!b)
		return false;
	memset(b, fill, size);
	return true;
}

/* Pull one record and check its size and fill. */
static void pull_rec(struct pl_pipe_rx *rx, uint32_t size, uint8_t fill)
{
	const uint8_t *d;
	uint32_t n;
	int r = pl_pipe_rx_pull(rx, &d, &n);
	PLT_CHECK(r == PL_PIPE_RECORD, "pull returned %d, wanted a record of %u", r, size);
	PLT_CHECK(n == size, "size %u, wanted %u", n, size);
	for (uint32_t i = 0; i < n; i++)
		PLT_CHECK(d[i] == fill, "byte %u = %#x, wanted %#x", i, d[i], fill);
}

static void pull_none(struct pl_pipe_rx *rx)
{
	const uint8_t *d;
	uint32_t n;
	int r = pl_pipe_rx_pull(rx, &d, &n);
	PLT_CHECK(r == PL_PIPE_EMPTY, "pull returned %d, wanted empty", r);
}

static int simple(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	PLT_CHECK(push_rec(&p.tx, 100, 1), "push");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 100, 1);
	pull_none(&p.rx);
	pl_pipe_rx_flush(&p.rx);
	/* The header is the seed's: size in the low bits, free bit clear. */
	PLT_CHECK(pl_pipe_tx_push(&p.tx, 0) != NULL, "zero-size record");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 0, 0);
	return 0;
}

static int empty(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	pull_none(&p.rx);
	pl_pipe_rx_flush(&p.rx); /* nothing pulled: no-op */
	pull_none(&p.rx);
	PLT_CHECK(!pl_pipe_rx_peek(&p.rx), "peek");
	return 0;
}

static int too_large(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	PLT_CHECK(pl_pipe_tx_push(&p.tx, 1024 - 16 + 1) == NULL, "len-15 accepted");
	PLT_CHECK(pl_pipe_tx_push(&p.tx, UINT32_MAX) == NULL, "4G accepted");
	PLT_CHECK(pl_pipe_tx_push(&p.tx, 1ull << 40) == NULL, "1T accepted");
	PLT_CHECK(pl_pipe_tx_push(&p.tx, 1024 - 16) != NULL, "the largest record refused");
	pl_pipe_tx_flush(&p.tx);
	const uint8_t *d;
	uint32_t n;
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_RECORD && n == 1024 - 16, "pull");
	return 0;
}

static int full(void)
{
	static struct pp p;
	for (uint32_t rs = 0; rs <= 120; rs += 7) {
		pp_init(&p, 1024);
		uint64_t cap = pl_pipe_tx_capacity(&p.tx, rs);
		PLT_CHECK(cap == pl_pipe_capacity(1024, rs), "capacity helpers agree");
		PLT_CHECK(cap == (1024 - 8) / ((8 + rs + 7) / 8 * 8), "capacity formula");
		uint64_t i = 0;
		while (push_rec(&p.tx, rs, (uint8_t)i))
			i++;
		PLT_CHECK(i == cap, "pushed %lu records of %u, capacity %lu", (unsigned long)i, rs,
			  (unsigned long)cap);
		pl_pipe_tx_flush(&p.tx);
		for (uint64_t j = 0; j < i; j++)
			pull_rec(&p.rx, rs, (uint8_t)j);
		pull_none(&p.rx);
		pl_pipe_rx_flush(&p.rx);
		/* And the space comes back. */
		PLT_CHECK(push_rec(&p.tx, rs, 9), "push after drain");
	}
	return 0;
}

static int flush_twice(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	PLT_CHECK(push_rec(&p.tx, 10, 1), "push");
	pl_pipe_tx_flush(&p.tx);
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 10, 1);
	pull_none(&p.rx);
	pl_pipe_rx_flush(&p.rx);
	pl_pipe_rx_flush(&p.rx);
	PLT_CHECK(push_rec(&p.tx, 10, 2), "push");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 10, 2);
	pull_none(&p.rx);
	return 0;
}

static int wrap_mid_batch(void)
{
	static struct pp p;
	pp_init(&p, 256);
	/* Fill most of the pipe, drain it, then push a batch that wraps. */
	for (int i = 0; i < 5; i++)
		PLT_CHECK(push_rec(&p.tx, 32, (uint8_t)i), "push");
	pl_pipe_tx_flush(&p.tx);
	for (int i = 0; i < 5; i++)
		pull_rec(&p.rx, 32, (uint8_t)i);
	pl_pipe_rx_flush(&p.rx);
	/* 5 * 40 = 200 used; batch: 40 fits (240), the next must wrap. */
	PLT_CHECK(push_rec(&p.tx, 24, 10), "push 1");
	PLT_CHECK(push_rec(&p.tx, 24, 11), "push 2 (after a wrap slot)");
	PLT_CHECK(push_rec(&p.tx, 24, 12), "push 3");
	pull_none(&p.rx); /* not flushed */
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 24, 10);
	pull_rec(&p.rx, 24, 11);
	pull_rec(&p.rx, 24, 12);
	pull_none(&p.rx);
	pl_pipe_rx_flush(&p.rx);
	PLT_CHECK(push_rec(&p.tx, 100, 13), "push after wrap");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 100, 13);
	return 0;
}

static int abort_(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	PLT_CHECK(push_rec(&p.tx, 10, 1), "push");
	PLT_CHECK(push_rec(&p.tx, 20, 2), "push");
	pl_pipe_tx_abort(&p.tx);
	pl_pipe_tx_flush(&p.tx);
	pull_none(&p.rx);
	PLT_CHECK(push_rec(&p.tx, 30, 3), "push");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 30, 3);
	/* Consumer abort: the record comes again. */
	pl_pipe_rx_abort(&p.rx);
	pull_rec(&p.rx, 30, 3);
	pl_pipe_rx_flush(&p.rx);
	pull_none(&p.rx);
	return 0;
}

static int abort_across_wrap(void)
{
	static struct pp p;
	pp_init(&p, 256);
	for (int i = 0; i < 5; i++)
		PLT_CHECK(push_rec(&p.tx, 32, 1), "push");
	pl_pipe_tx_flush(&p.tx);
	for (int i = 0; i < 5; i++)
		pull_rec(&p.rx, 32, 1);
	pl_pipe_rx_flush(&p.rx);
	PLT_CHECK(push_rec(&p.tx, 24, 2), "push");
	PLT_CHECK(push_rec(&p.tx, 24, 3), "push across the wrap");
	pl_pipe_tx_abort(&p.tx);
	pl_pipe_tx_flush(&p.tx);
	pull_none(&p.rx);
	/* The pipe is still usable and consistent afterwards. */
	for (int k = 0; k < 20; k++) {
		PLT_CHECK(push_rec(&p.tx, 24 + k, (uint8_t)(4 + k)), "push %d", k);
		PLT_CHECK(push_rec(&p.tx, 40, (uint8_t)(100 + k)), "push %d", k);
		pl_pipe_tx_flush(&p.tx);
		pull_rec(&p.rx, 24 + k, (uint8_t)(4 + k));
		pull_rec(&p.rx, 40, (uint8_t)(100 + k));
		pull_none(&p.rx);
		pl_pipe_rx_flush(&p.rx);
	}
	return 0;
}

static int unflushed_invisible(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	PLT_CHECK(push_rec(&p.tx, 10, 1), "push");
	pull_none(&p.rx);
	PLT_CHECK(!pl_pipe_rx_peek(&p.rx), "peek saw an unflushed record");
	PLT_CHECK(push_rec(&p.tx, 10, 2), "push");
	pull_none(&p.rx);
	pl_pipe_tx_flush(&p.tx);
	PLT_CHECK(pl_pipe_rx_peek(&p.rx), "peek");
	pull_rec(&p.rx, 10, 1);
	pull_rec(&p.rx, 10, 2);
	pull_none(&p.rx);
	/* A consumer that pulled but did not flush holds the space. */
	uint64_t cap = pl_pipe_tx_capacity(&p.tx, 10);
	uint64_t i = 0;
	while (push_rec(&p.tx, 10, 0))
		i++;
	PLT_CHECK(i == cap - 2, "pushed %lu with 2 unflushed, capacity %lu", (unsigned long)i,
		  (unsigned long)cap);
	return 0;
}

static int whole_pipe_pulled(void)
{
	static struct pp p;
	pp_init(&p, 256);
	/* Records that exactly fill one revolution: 248 / 8 = 31 empty ones. */
	uint64_t cap = pl_pipe_tx_capacity(&p.tx, 0);
	for (uint64_t i = 0; i < cap; i++)
		PLT_CHECK(pl_pipe_tx_push(&p.tx, 0), "push %lu", (unsigned long)i);
	PLT_CHECK(!pl_pipe_tx_push(&p.tx, 0), "push beyond capacity");
	pl_pipe_tx_flush(&p.tx);
	for (uint64_t i = 0; i < cap; i++)
		pull_rec(&p.rx, 0, 0);
	pull_none(&p.rx);
	pl_pipe_rx_flush(&p.rx);
	/* Many cycles around, each one pulling everything that was pushed. */
	for (int round = 0; round < 50; round++) {
		uint64_t n = 0;
		while (push_rec(&p.tx, (uint32_t)(round % 17), (uint8_t)round))
			n++;
		PLT_CHECK(n > 0, "round %d: no room", round);
		pl_pipe_tx_flush(&p.tx);
		for (uint64_t i = 0; i < n; i++)
			pull_rec(&p.rx, (uint32_t)(round % 17), (uint8_t)round);
		pull_none(&p.rx);
		pl_pipe_rx_flush(&p.rx);
	}
	return 0;
}

static int no_room_to_wrap(void)
{
	static struct pp p;
	pp_init(&p, 256);
	for (int i = 0; i < 5; i++)
		PLT_CHECK(push_rec(&p.tx, 32, 1), "push");
	pl_pipe_tx_flush(&p.tx);
	/* The consumer pulls all but has not flushed yet: no room to wrap. */
	for (int i = 0; i < 5; i++)
		pull_rec(&p.rx, 32, 1);
	PLT_CHECK(!push_rec(&p.tx, 48, 2), "push needing a wrap succeeded with no room");
	pl_pipe_rx_flush(&p.rx);
	PLT_CHECK(push_rec(&p.tx, 48, 2), "push after the consumer flushed");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 48, 2);
	return 0;
}

static int wrap_freed_at_once(void)
{
	static struct pp p;
	pp_init(&p, 256);
	for (int i = 0; i < 5; i++)
		PLT_CHECK(push_rec(&p.tx, 32, 1), "push");
	pl_pipe_tx_flush(&p.tx);
	for (int i = 0; i < 5; i++)
		pull_rec(&p.rx, 32, 1);
	pl_pipe_rx_flush(&p.rx);
	/* Wrap as the first slot of a batch: pushed and flushed alone. */
	PLT_CHECK(push_rec(&p.tx, 64, 2), "push with wrap");
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 64, 2);
	/* Not flushed by the consumer; the wrap slot (offset 200..256) was
	 * returned at once, the record at 0..72 is still held. So 72..256 is
	 * usable: four slots of 40 (to 232), then the next one would need to
	 * wrap onto the held record. */
	uint64_t n = 0;
	while (push_rec(&p.tx, 32, 3))
		n++;
	PLT_CHECK(n == 4, "pushed %lu records of 32 after a freed wrap, wanted 4", (unsigned long)n);
	pl_pipe_tx_flush(&p.tx);
	for (uint64_t i = 0; i < n; i++)
		pull_rec(&p.rx, 32, 3);
	pull_none(&p.rx);
	pl_pipe_rx_flush(&p.rx);
	return 0;
}

/* ---- the peer is untrusted ---- */

static int corrupt_headers(void)
{
	static struct pp p;
	const uint8_t *d;
	uint32_t n;
	uint64_t *w = (uint64_t *)(void *)p.mem;

	/* A record larger than the region. */
	pp_init(&p, 256);
	w[0] = 1000;
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_CORRUPT, "oversize");
	/* A wrap slot at offset 0. */
	pp_init(&p, 256);
	w[0] = (1ull << 32) - 8;
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_CORRUPT, "wrap at 0");
	/* A wrap slot that lands beyond the next revolution's start. */
	pp_init(&p, 256);
	w[0] = 8;
	w[2] = 0xffffffffull; /* lands 8 bytes past the next revolution start */
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_RECORD, "first");
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_CORRUPT, "bad wrap");
	/* A record that ends exactly at the end of the region. */
	pp_init(&p, 256);
	w[0] = 248;
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_CORRUPT, "ends at len");
	/* Garbage in the high bits is ignored like the seed; the size rules. */
	pp_init(&p, 256);
	w[0] = 0x7fff000000000010ull;
	w[3] = PL_PIPE_FREE;
	PLT_CHECK(pl_pipe_rx_pull(&p.rx, &d, &n) == PL_PIPE_RECORD && n == 16, "high bits");
	/* Every random header either yields an in-bounds record or is refused. */
	for (int k = 0; k < 200000; k++) {
		pp_init(&p, 64 + 8 * (plt_rand() % 32));
		for (int j = 0; j < 8; j++)
			w[plt_rand() % (p.rx.len / 8)] = plt_rand() & (plt_rand() | 0x80000000ffffffffull);
		for (int j = 0; j < 16; j++) {
			int r = pl_pipe_rx_pull(&p.rx, &d, &n);
			if (r != PL_PIPE_RECORD)
				break;
			PLT_CHECK(d >= p.mem + 8 && d + n <= p.mem + p.rx.len, "record out of bounds");
			if (plt_rand() & 1)
				pl_pipe_rx_flush(&p.rx);
		}
	}
	return 0;
}

static int hostile_consumer(void)
{
	static struct pp p;
	uint64_t *w = (uint64_t *)(void *)p.mem;
	for (int k = 0; k < 100000; k++) {
		pp_init(&p, 64 + 8 * (plt_rand() % 32));
		for (int j = 0; j < 64; j++) {
			uint32_t sz = (uint32_t)(plt_rand() % 64);
			uint8_t *b = pl_pipe_tx_push(&p.tx, sz);
			if (b) {
				PLT_CHECK(b >= p.mem + 8 && b + sz <= p.mem + p.tx.len, "push out of bounds");
				memset(b, 1, sz);
			}
			if (plt_rand() & 1)
				pl_pipe_tx_flush(&p.tx);
			/* The "consumer" writes random free headers anywhere. */
			w[plt_rand() % (p.tx.len / 8)] = PL_PIPE_FREE | (plt_rand() & 0xffffffffull);
		}
	}
	return 0;
}

/* ---- two processes ---- */

#define RND_RECORDS 1000000u

static uint32_t rnd_size(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % 200);
}

static int random_two_processes(void)
{
	const uint64_t size = 4096;
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	PLT_CHECK(mem != MAP_FAILED, "mmap");
	PLT_OK(pl_pipe_init_region(mem, size));
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		/* Producer: random sizes, random batch lengths, payload = seq. */
		struct pl_pipe_tx tx;
		if (pl_pipe_tx_init(&tx, mem, size))
			_exit(2);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		uint64_t s = 88172645463325252ull;
		uint32_t batch = 0;
		uint64_t deadline = plt_now_ns() + 45000000000ull;
		for (uint32_t i = 0; i < RND_RECORDS;) {
			uint32_t sz = rnd_size(&s);
			uint8_t *b;
			uint64_t spins = 0;
			while (!(b = pl_pipe_tx_push(&tx, sz + 4))) {
				pl_pipe_tx_flush(&tx);
				batch = 0;
				/* Spin a little, then sleep: on a loaded machine the
				 * consumer needs this CPU to make room. */
				if (++spins > 64) {
					if (plt_now_ns() > deadline)
						_exit(3); /* the consumer is gone */
					usleep(20);
				}
			}
			spins = 0;
			memcpy(b, &i, 4);
			memset(b + 4, (uint8_t)i, sz);
			i++;
			if (++batch >= (i % 13) + 1) {
				pl_pipe_tx_flush(&tx);
				batch = 0;
			}
		}
		pl_pipe_tx_flush(&tx);
		_exit(0);
	}
	struct pl_pipe_rx rx;
	PLT_OK(pl_pipe_rx_init(&rx, mem, size));
	uint64_t s = 88172645463325252ull;
	uint64_t idle = 0;
	uint32_t pulled = 0;
	uint64_t deadline = plt_now_ns() + 45000000000ull;
	for (uint32_t i = 0; i < RND_RECORDS;) {
		const uint8_t *d;
		uint32_t n;
		int r = pl_pipe_rx_pull(&rx, &d, &n);
		PLT_CHECK(r != PL_PIPE_CORRUPT, "corrupt at record %u", i);
		if (r == PL_PIPE_EMPTY) {
			pl_pipe_rx_flush(&rx);
			pulled = 0;
			if (++idle > 64) {
				PLT_CHECK(plt_now_ns() < deadline, "producer stalled at %u", i);
				usleep(20);
			}
			continue;
		}
		idle = 0;
		uint32_t sz = rnd_size(&s);
		PLT_CHECK(n == sz + 4, "record %u: size %u, wanted %u", i, n, sz + 4);
		uint32_t seq;
		memcpy(&seq, d, 4);
		PLT_CHECK(seq == i, "record %u carries %u", i, seq);
		for (uint32_t k = 0; k < sz; k++)
			PLT_CHECK(d[4 + k] == (uint8_t)i, "record %u byte %u", i, k);
		i++;
		if (++pulled >= (i % 7) + 1) {
			pl_pipe_rx_flush(&rx);
			pulled = 0;
		}
	}
	pl_pipe_rx_flush(&rx);
	int st;
	PLT_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	PLT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "producer status %#x", st);
	munmap(mem, size);
	return 0;
}

/* xorshift64: deterministic pseudo-random numbers for the run tests. */
static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Runs of pushes write the same bytes as pl_pipe_tx_push_unchecked(), and
 * pl_pipe_tx_fits_wrap() wraps early: two pipes fed the same bursts, one
 * record at a time and as runs, stay byte-identical through many wraps,
 * and the consumer reads every record back.
 */
static int push_runs(void)
{
	static struct pp a, b;
	pp_init(&a, 1000);
	pp_init(&b, 1000);
	const uint64_t size = 28, slot = pl_pipe_slot_size(size);
	uint64_t s = 12345;
	uint32_t seq = 0, want = 0;
	for (int burst = 0; burst < 2000; burst++) {
		uint32_t n = (uint32_t)(xs(&s) % 9) + 1;
		bool fa = pl_pipe_tx_fits_wrap(&a.tx, n * slot);
		bool fb = pl_pipe_tx_fits_wrap(&b.tx, n * slot);
		PLT_CHECK(fa == fb && fa, "burst %d: room for %u records: %d/%d", burst, n, fa, fb);
		uint8_t *r = pl_pipe_tx_run_begin(&b.tx);
		for (uint32_t k = 0; k < n; k++, r += slot, seq++) {
			uint8_t *q = pl_pipe_tx_push_unchecked(&a.tx, size);
			PLT_CHECK(q - a.mem == r - b.mem, "burst %d record %u at a different place",
				  burst, k);
			if (k)
				pl_pipe_tx_run_hdr(r, size);
			memset(q, (uint8_t)seq, size);
			memset(r, (uint8_t)seq, size);
		}
		pl_pipe_tx_run_end(&b.tx, size, n);
		pl_pipe_tx_flush(&a.tx);
		pl_pipe_tx_flush(&b.tx);
		PLT_CHECK(memcmp(a.mem, b.mem, sizeof(a.mem)) == 0, "burst %d: pipes differ", burst);
		PLT_CHECK(a.tx.next == b.tx.next && a.tx.tail == b.tx.tail && a.tx.head == b.tx.head,
			  "burst %d: producer states differ", burst);
		for (uint32_t k = 0; k < n; k++, want++)
			pull_rec(&b.rx, (uint32_t)size, (uint8_t)want);
		pull_none(&b.rx);
		pl_pipe_rx_flush(&b.rx);
		memcpy(a.mem, b.mem, sizeof(a.mem)); /* the consumer's free headers for a */
	}
	return 0;
}

/*
 * Runs of pulls take exactly what pl_pipe_rx_pull_sized() takes in a row
 * with the expected size, whatever a hostile producer wrote: legitimate
 * batches of mixed sizes (wraps included), then random header words
 * overwritten; every record a run hands out lies inside the region.
 */
/* A random history of n records (each under max bytes) pushed, pulled and
 * flushed one by one, so that head and tail sit anywhere. */
static void random_history(struct pp *p, uint64_t *s, int n, uint32_t max)
{
	for (int i = 0; i < n; i++) {
		if (push_rec(&p->tx, (uint32_t)(xs(s) % max), 1))
			pl_pipe_tx_flush(&p->tx);
		const uint8_t *d;
		uint32_t len;
		while (pl_pipe_rx_pull(&p->rx, &d, &len) == PL_PIPE_RECORD)
			;
		pl_pipe_rx_flush(&p->rx);
	}
}

static int pull_runs(void)
{
	static struct pp p;
	const uint64_t size = 32, slot = pl_pipe_slot_size(size);
	uint64_t s = 777, taken = 0, stopped = 0;
	for (int round = 0; round < 3000; round++) {
		uint64_t plen = 64 + 8 * (xs(&s) % 120);
		pp_init(&p, plen);
		random_history(&p, &s, (int)(xs(&s) % 40), 40);
		for (int i = (int)(xs(&s) % 12); i > 0; i--)
			if (!push_rec(&p.tx, xs(&s) % 3 ? (uint32_t)size : (uint32_t)(xs(&s) % 40), 2))
				break;
		pl_pipe_tx_flush(&p.tx);
		for (int i = (int)(xs(&s) % 3); i > 0; i--) {
			uint64_t w = xs(&s);
			uint64_t v = w % 4 == 0 ? size : w % 4 == 1 ? (w >> 8) : (w >> 8) & 0xff;
			uint64_t off = 8 * ((w >> 40) % (plen / 8));
			memcpy(p.mem + off, &v, 8);
		}
		struct pl_pipe_rx one = p.rx;
		uint64_t max = xs(&s) % 20;
		const uint8_t *rec;
		uint64_t room = pl_pipe_rx_run_room(&p.rx, size, max, &rec), k;
		PLT_CHECK(room <= max, "room %llu > max", (unsigned long long)room);
		for (k = 0; k < room && pl_pipe_rx_run_ready(rec, size); k++, rec += slot) {
			PLT_CHECK(rec >= p.mem + 8 && rec + size <= p.mem + plen,
				  "round %d: record %llu outside the region", round, (unsigned long long)k);
			const uint8_t *d;
			uint32_t n;
			int r = pl_pipe_rx_pull_sized(&one, size, &d, &n);
			PLT_CHECK(r == PL_PIPE_RECORD && d == rec && n == size,
				  "round %d: run took record %llu, pull says %d", round,
				  (unsigned long long)k, r);
		}
		pl_pipe_rx_run_end(&p.rx, size, k);
		PLT_CHECK(p.rx.head == one.head, "round %d: heads differ", round);
		taken += k;
		if (k < max) {
			stopped++;
			/* what stopped the run is not a plain record of the size */
			const uint8_t *d;
			uint32_t n;
			uint64_t off = one.head & PL_PIPE_OFFSET_MASK;
			int r = pl_pipe_rx_pull_sized(&one, size, &d, &n);
			PLT_CHECK(r != PL_PIPE_RECORD || n != size ||
					  off + slot >= plen - (plen % 8) ||
					  d != p.mem + off + 8,
				  "round %d: the run stopped before a plain record", round);
		}
	}
	PLT_CHECK(taken > 3000 && stopped > 1000, "the rounds exercised little: %llu taken, "
		  "%llu stopped early", (unsigned long long)taken, (unsigned long long)stopped);
	return 0;
}

/*
 * Pulls store back into the lines they read (pl_pipe_rx_touch()), only
 * the header values they read: until the flush, the region holds exactly
 * the bytes the producer wrote (but for wrap slots freed at once, as the
 * format says), whatever mix of pull(), pull_sized() and runs took the
 * records, with wraps anywhere.
 */
static int pulls_change_nothing(void)
{
	static struct pp p;
	static uint8_t before[sizeof(p.mem)];
	const uint64_t size = 32, slot = pl_pipe_slot_size(size);
	uint64_t s = 4242, pulled = 0;
	for (int round = 0; round < 2000; round++) {
		uint64_t plen = 64 + 8 * (xs(&s) % 200);
		pp_init(&p, plen);
		random_history(&p, &s, (int)(xs(&s) % 30), 48);
		for (int i = (int)(xs(&s) % 20); i > 0; i--)
			if (!push_rec(&p.tx, xs(&s) % 2 ? (uint32_t)size : (uint32_t)(xs(&s) % 48), 3))
				break;
		pl_pipe_tx_flush(&p.tx);
		memcpy(before, p.mem, sizeof(before));
		for (;;) {
			const uint8_t *d;
			uint32_t n;
			uint64_t how = xs(&s) % 3;
			if (how == 2) {
				uint64_t room = pl_pipe_rx_run_room(&p.rx, size, 8, &d), k;
				for (k = 0; k < room && pl_pipe_rx_run_ready(d, size); k++, d += slot)
					;
				pl_pipe_rx_run_end(&p.rx, size, k);
				pulled += k;
				if (k)
					continue;
			}
			int r = how == 1 ? pl_pipe_rx_pull_sized(&p.rx, size, &d, &n)
					 : pl_pipe_rx_pull(&p.rx, &d, &n);
			if (r != PL_PIPE_RECORD)
				break;
			pulled++;
		}
		/* One write is the protocol's own: a wrap slot first in the
		 * batch is freed at once (its header gains the free bit). */
		for (uint64_t off = 0; off < sizeof(before); off += 8) {
			uint64_t was, now;
			memcpy(&was, before + off, 8);
			memcpy(&now, p.mem + off, 8);
			bool wrap_freed = now == (was | PL_PIPE_FREE) &&
					  off + PL_PIPE_HDR + (was & PL_PIPE_SIZE_MASK) >= (plen & ~7ull);
			PLT_CHECK(now == was || wrap_freed,
				  "round %d: pulling changed the word at %llu: %#llx -> %#llx", round,
				  (unsigned long long)off, (unsigned long long)was,
				  (unsigned long long)now);
		}
		pl_pipe_rx_flush(&p.rx);
	}
	PLT_CHECK(pulled > 5000, "the rounds pulled little: %llu", (unsigned long long)pulled);
	return 0;
}

/* pl_pipe_rx_count(): published plain records from the next pull on, up to
 * a limit; nothing taken, unflushed records and what follows a wrap slot or
 * a broken header not counted. */
static int count_records(void)
{
	static struct pp p;
	pp_init(&p, 1024);
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 64) == 0, "empty pipe");
	for (int i = 0; i < 5; i++)
		PLT_CHECK(push_rec(&p.tx, 32, (uint8_t)i), "push %d", i);
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 64) == 0, "unflushed records counted");
	pl_pipe_tx_flush(&p.tx);
	PLT_CHECK(push_rec(&p.tx, 32, 9), "push unflushed");
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 64) == 5, "count %u, wanted 5", pl_pipe_rx_count(&p.rx, 64));
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 3) == 3, "limit");
	pull_rec(&p.rx, 32, 0);
	pull_rec(&p.rx, 32, 1);
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 64) == 3, "after two pulls");
	/* a hostile size in the third remaining record: counting stops there */
	uint64_t *h = (uint64_t *)(void *)(p.mem + ((p.rx.head + 2 * pl_pipe_slot_size(32)) &
						   PL_PIPE_OFFSET_MASK));
	uint64_t saved = *h;
	*h = 1ull << 31;
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 64) == 2, "counted past a broken header");
	*h = saved;
	pull_rec(&p.rx, 32, 2);
	pull_rec(&p.rx, 32, 3);
	pull_rec(&p.rx, 32, 4);
	pl_pipe_rx_flush(&p.rx);
	pl_pipe_tx_flush(&p.tx);
	pull_rec(&p.rx, 32, 9);
	pl_pipe_rx_flush(&p.rx);
	PLT_CHECK(pl_pipe_rx_count(&p.rx, 64) == 0, "whole pipe pulled");
	/* records up to the end of the region, then a wrap slot: counted up to it */
	unsigned before = 0;
	while ((p.tx.next & PL_PIPE_OFFSET_MASK) + 2 * pl_pipe_slot_size(100) < p.tx.len) {
		PLT_CHECK(push_rec(&p.tx, 100, 7), "push before the wrap");
		before++;
	}
	/* the last record that still fits before the end, if one does */
	if ((p.tx.next & PL_PIPE_OFFSET_MASK) + pl_pipe_slot_size(100) < p.tx.len) {
		PLT_CHECK(push_rec(&p.tx, 100, 7), "push the last before the wrap");
		before++;
	}
	uint64_t at_wrap = p.tx.next;
	PLT_CHECK(push_rec(&p.tx, 100, 8), "push after the wrap");
	PLT_CHECK((p.tx.next & PL_PIPE_REV_MASK) != (at_wrap & PL_PIPE_REV_MASK), "no wrap slot");
	pl_pipe_tx_flush(&p.tx);
	unsigned c = pl_pipe_rx_count(&p.rx, 64);
	PLT_CHECK(c == before, "count %u across a wrap, %u before it", c, before);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "simple", simple, PLT_UNIT, 0 },
		{ "empty", empty, PLT_UNIT, 0 },
		{ "too_large", too_large, PLT_UNIT, 0 },
		{ "full", full, PLT_UNIT, 0 },
		{ "flush_twice", flush_twice, PLT_UNIT, 0 },
		{ "wrap_mid_batch", wrap_mid_batch, PLT_UNIT, 0 },
		{ "abort", abort_, PLT_UNIT, 0 },
		{ "abort_across_wrap", abort_across_wrap, PLT_UNIT, 0 },
		{ "unflushed_invisible", unflushed_invisible, PLT_UNIT, 0 },
		{ "whole_pipe_pulled", whole_pipe_pulled, PLT_UNIT, 0 },
		{ "no_room_to_wrap", no_room_to_wrap, PLT_UNIT, 0 },
		{ "wrap_freed_at_once", wrap_freed_at_once, PLT_UNIT, 0 },
		{ "corrupt_headers", corrupt_headers, PLT_UNIT, 0 },
		{ "hostile_consumer", hostile_consumer, PLT_UNIT, 0 },
		{ "push_runs", push_runs, PLT_UNIT, 0 },
		{ "pull_runs", pull_runs, PLT_UNIT, 0 },
		{ "pulls_change_nothing", pulls_change_nothing, PLT_UNIT, 0 },
		{ "count_records", count_records, PLT_UNIT, 0 },
		{ "random_two_processes", random_two_processes, PLT_UNIT, 50 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
