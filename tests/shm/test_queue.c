/* SPDX-License-Identifier: MIT */
/*
 * test_queue: the records of the TX and RX queues (src/shm/queue.h) —
 * byte-exact layouts, validation of peer records, full pipes, many cycles —
 * and the notification word.
 */
#include "harness.h"
#include "shm/queue.h"

#include <string.h>

static uint8_t mem_a[8192] __attribute__((aligned(64)));
static uint8_t mem_b[8192] __attribute__((aligned(64)));

static void pipes(uint8_t *mem, uint64_t size, struct pl_pipe_tx *tx, struct pl_pipe_rx *rx)
{
	memset(mem, 0, size);
	PLT_OK(pl_pipe_init_region(mem, size));
	PLT_OK(pl_pipe_tx_init(tx, mem, size));
	PLT_OK(pl_pipe_rx_init(rx, mem, size));
}

static const uint8_t *pull(struct pl_pipe_rx *rx, uint32_t *len)
{
	const uint8_t *d;
	int r = pl_pipe_rx_pull(rx, &d, len);
	PLT_CHECK(r == PL_PIPE_RECORD, "pull returned %d", r);
	return d;
}

static int tx_desc_layout(void)
{
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	pipes(mem_a, 1024, &tx, &rx);
	struct pl_shm_buf b[2] = { { 0x1122334455667788ull, 0x99aabbcc }, { 0x10, 0x20 } };
	PLT_CHECK(pl_txq_push_desc(&tx, 0x0102030405060708ull, 0xa0b0c0d0, b, 2), "push");
	pl_pipe_tx_flush(&tx);
	/* Slot header: size 16 + 24 = 40, free bit clear. */
	uint64_t h;
	memcpy(&h, mem_a, 8);
	PLT_CHECK(h == 40, "header %#llx", (unsigned long long)h);
	static const uint8_t want[40] = {
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* id */
		0xd0, 0xc0, 0xb0, 0xa0, /* total */
		0, 0, 0, 0, /* reserved */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xcc, 0xbb, 0xaa, 0x99, /* buf 0 */
		0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, /* buf 1 */
	};
	PLT_CHECK(!memcmp(mem_a + 8, want, 40), "descriptor bytes");
	/* The stop marker follows. */
	memcpy(&h, mem_a + 48, 8);
	PLT_CHECK(h == PL_PIPE_FREE, "stop marker %#llx", (unsigned long long)h);

	uint32_t len;
	const uint8_t *rec = pull(&rx, &len);
	uint64_t id;
	uint32_t total;
	struct pl_shm_buf got[PL_SHM_MAX_BUFS];
	/* Buffer 0 is far outside any region: the id is still reported. */
	PLT_CHECK(pl_txq_parse_desc(rec, len, 1 << 20, &id, &total, got) == -EINVAL, "bad buf");
	PLT_CHECK(id == 0x0102030405060708ull, "id");
	return 0;
}

static int tx_completion_layout(void)
{
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	pipes(mem_a, 1024, &tx, &rx);
	PLT_CHECK(pl_txq_push_completion(&tx, 0xdeadbeefcafef00dull), "push");
	pl_pipe_tx_flush(&tx);
	uint64_t h, v;
	memcpy(&h, mem_a, 8);
	memcpy(&v, mem_a + 8, 8);
	PLT_CHECK(h == 8 && v == 0xdeadbeefcafef00dull, "bytes");
	uint32_t len;
	const uint8_t *rec = pull(&rx, &len);
	uint64_t id;
	PLT_CHECK(pl_txq_parse_completion(rec, len, &id) == 0 && id == 0xdeadbeefcafef00dull, "id");
	/* Completions of any other length are ignored. */
	uint8_t junk[16] = { 0 };
	for (uint32_t l = 0; l < 16; l++)
		PLT_CHECK(l == 8 || pl_txq_parse_completion(junk, l, &id) == -EINVAL, "len %u", l);
	return 0;
}

static int rx_post_layout(void)
{
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	pipes(mem_a, 1024, &tx, &rx);
	struct pl_rxq_post p = { .offset = 0x1000, .size = 2048, .user_data = 0xabcdef, .id = 7 };
	PLT_CHECK(pl_rxq_push_post(&tx, &p), "push");
	pl_pipe_tx_flush(&tx);
	static const uint8_t want[32] = {
		0, 0x10, 0, 0, 0, 0, 0, 0, /* offset */
		0, 8, 0, 0, /* size */
		0, 0, 0, 0, /* remaining in group */
		0xef, 0xcd, 0xab, 0, 0, 0, 0, 0, /* user data */
		7, 0, 0, 0, 0, 0, 0, 0, /* id */
	};
	uint64_t h;
	memcpy(&h, mem_a, 8);
	PLT_CHECK(h == 32, "header");
	PLT_CHECK(!memcmp(mem_a + 8, want, 32), "post bytes");
	uint32_t len;
	const uint8_t *rec = pull(&rx, &len);
	struct pl_rxq_post q;
	PLT_CHECK(pl_rxq_parse_post(rec, len, 1 << 20, &q) == 0, "parse");
	PLT_CHECK(q.offset == 0x1000 && q.size == 2048 && q.user_data == 0xabcdef && q.id == 7, "fields");
	PLT_CHECK(pl_rxq_parse_post(rec, len, 0x1000 + 2047, &q) == -EINVAL, "past the region");
	PLT_CHECK(pl_rxq_parse_post(rec, 31, 1 << 20, &q) == -EPROTO, "short");
	uint8_t big[32];
	memcpy(big, rec, 32);
	memset(big, 0xff, 8); /* offset 2^64-1: must not wrap around */
	PLT_CHECK(pl_rxq_parse_post(big, 32, 1 << 20, &q) == -EINVAL, "offset overflow");
	return 0;
}

static int rx_completion_layout(void)
{
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	pipes(mem_a, 1024, &tx, &rx);
	struct pl_rxq_post b[2] = { { 0x800, 2048, 0x11, 1 }, { 0x1000, 2048, 0x22, 2 } };
	uint32_t used[2] = { 2048, 952 };
	PLT_CHECK(pl_rxq_push_completion(&tx, 3000, b, used, 2), "push");
	pl_pipe_tx_flush(&tx);
	uint64_t h;
	memcpy(&h, mem_a, 8);
	PLT_CHECK(h == 8 + 56, "header %llu", (unsigned long long)h);
	static const uint8_t want[64] = {
		0xb8, 0x0b, 0, 0, 0, 0, 0, 0, /* size 3000, reserved */
		0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, /* off, used */
		0x11, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, /* user data, id */
		0, 0x10, 0, 0, 0, 0, 0, 0, 0xb8, 0x03, 0, 0, /* off, used 952 */
		0x22, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
	};
	PLT_CHECK(!memcmp(mem_a + 8, want, 64), "completion bytes");
	uint32_t len, size;
	const uint8_t *rec = pull(&rx, &len);
	struct pl_rxq_used u[PL_SHM_MAX_BUFS];
	PLT_CHECK(pl_rxq_parse_completion(rec, len, &size, u) == 2, "parse");
	PLT_CHECK(size == 3000 && u[1].used == 952 && u[1].id == 2 && u[0].user_data == 0x11, "fields");
	return 0;
}

static int bad_completions_ignored(void)
{
	uint8_t r[8 + 28 * 2];
	uint32_t size;
	struct pl_rxq_used u[PL_SHM_MAX_BUFS];
	memset(r, 0, sizeof(r));
	/* Shorter than 8, not 8 + 28 n, or no buffers. */
	PLT_CHECK(pl_rxq_parse_completion(r, 4, &size, u) == -EPROTO, "short");
	PLT_CHECK(pl_rxq_parse_completion(r, 8, &size, u) == -EPROTO, "no buffers");
	PLT_CHECK(pl_rxq_parse_completion(r, 8 + 27, &size, u) == -EPROTO, "odd length");
	/* Buffer sizes below the packet size. */
	uint32_t s = 100, used = 99;
	memcpy(r, &s, 4);
	memcpy(r + 8 + 8, &used, 4);
	PLT_CHECK(pl_rxq_parse_completion(r, 8 + 28, &size, u) == -EPROTO, "sizes below packet");
	used = 100;
	memcpy(r + 8 + 8, &used, 4);
	PLT_CHECK(pl_rxq_parse_completion(r, 8 + 28, &size, u) == 1 && size == 100, "exact");
	/* Sizes that overflow u32 when summed. */
	used = 0xffffffff;
	memcpy(r + 8 + 8, &used, 4);
	memcpy(r + 8 + 28 + 8, &used, 4);
	PLT_CHECK(pl_rxq_parse_completion(r, 8 + 56, &size, u) == -EPROTO, "u32 overflow");
	/* Packet size 0. */
	s = 0;
	used = 10;
	memcpy(r, &s, 4);
	memcpy(r + 8 + 8, &used, 4);
	PLT_CHECK(pl_rxq_parse_completion(r, 8 + 28, &size, u) == -EPROTO, "size 0");

	/* TX descriptors: bad lengths are protocol errors; bad buffers drop. */
	uint8_t d[16 + 12 * 2];
	uint64_t id;
	uint32_t total;
	struct pl_shm_buf b[PL_SHM_MAX_BUFS];
	memset(d, 0, sizeof(d));
	PLT_CHECK(pl_txq_parse_desc(d, 16, 4096, &id, &total, b) == -EPROTO, "no buffers");
	PLT_CHECK(pl_txq_parse_desc(d, 17, 4096, &id, &total, b) == -EPROTO, "odd");
	uint32_t t = 10, bs = 5;
	memcpy(d + 8, &t, 4);
	memcpy(d + 24, &bs, 4);
	PLT_CHECK(pl_txq_parse_desc(d, 28, 4096, &id, &total, b) == -EINVAL, "total > buffers");
	bs = 10;
	memcpy(d + 24, &bs, 4);
	PLT_CHECK(pl_txq_parse_desc(d, 28, 4096, &id, &total, b) == 1, "ok");
	uint64_t off = 4090;
	memcpy(d + 16, &off, 8);
	PLT_CHECK(pl_txq_parse_desc(d, 28, 4096, &id, &total, b) == -EINVAL, "crosses the end");
	off = UINT64_MAX - 4;
	memcpy(d + 16, &off, 8);
	PLT_CHECK(pl_txq_parse_desc(d, 28, 4096, &id, &total, b) == -EINVAL, "wraps 2^64");
	/* More buffers than a packet may have. */
	static uint8_t huge[16 + 12 * (PL_SHM_MAX_BUFS + 1)];
	PLT_CHECK(pl_txq_parse_desc(huge, sizeof(huge), 4096, &id, &total, b) == -EINVAL, "too many");
	return 0;
}

static int full_pipes(void)
{
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	const uint64_t size = 4096;
	pipes(mem_a, size, &tx, &rx);
	struct pl_shm_buf b = { 0, 100 };
	uint64_t cap = pl_pipe_tx_capacity(&tx, 16 + 12);
	uint64_t n = 0;
	while (pl_txq_push_desc(&tx, n, 100, &b, 1))
		n++;
	PLT_CHECK(n == cap, "descriptors %lu, capacity %lu", (unsigned long)n, (unsigned long)cap);
	pl_pipe_tx_flush(&tx);
	PLT_CHECK(!pl_txq_push_completion(&tx, 1), "8-byte record fitted into a full pipe");
	/* The consumer drains half, the producer gets exactly that room back. */
	for (uint64_t i = 0; i < n / 2; i++) {
		uint32_t len;
		const uint8_t *rec = pull(&rx, &len);
		uint64_t id;
		uint32_t total;
		struct pl_shm_buf got[PL_SHM_MAX_BUFS];
		PLT_CHECK(pl_txq_parse_desc(rec, len, 4096, &id, &total, got) == 1 && id == i, "desc %lu",
			  (unsigned long)i);
	}
	pl_pipe_rx_flush(&rx);
	uint64_t m = 0;
	while (pl_txq_push_desc(&tx, 1000 + m, 100, &b, 1))
		m++;
	PLT_CHECK(m >= n / 2 - 1 && m <= n / 2 + 1, "room back %lu of %lu", (unsigned long)m,
		  (unsigned long)n / 2);
	return 0;
}

/* 100 000 cycles through a TX queue (descriptors one way, completions back)
 * and an RX queue (posts one way, completions back), all byte-checked. */
static int cycles(void)
{
	struct pl_pipe_tx dtx, ctx, ptx, rtx;
	struct pl_pipe_rx drx, crx, prx, rrx;
	pipes(mem_a, 4096, &dtx, &drx);
	pipes(mem_a + 4096, 4096, &ctx, &crx);
	pipes(mem_b, 4096, &ptx, &prx);
	pipes(mem_b + 4096, 4096, &rtx, &rrx);
	uint64_t next_id = 0, done = 0;
	uint64_t inflight = 0;
	for (int cycle = 0; cycle < 100000; cycle++) {
		unsigned burst = 1 + (unsigned)(plt_rand() % 8);
		for (unsigned i = 0; i < burst; i++) {
			unsigned nb = 1 + (unsigned)(plt_rand() % 4);
			struct pl_shm_buf b[4];
			for (unsigned k = 0; k < nb; k++)
				b[k] = (struct pl_shm_buf){ (next_id * 64 + k * 16) % 65536, 16 };
			if (!pl_txq_push_desc(&dtx, next_id, 16 * nb, b, nb))
				break;
			next_id++;
			inflight++;
		}
		pl_pipe_tx_flush(&dtx);
		/* "Server": pull descriptors, complete them. */
		const uint8_t *rec;
		uint32_t len;
		while (pl_pipe_rx_pull(&drx, &rec, &len) == PL_PIPE_RECORD) {
			uint64_t id;
			uint32_t total;
			struct pl_shm_buf got[PL_SHM_MAX_BUFS];
			int nb = pl_txq_parse_desc(rec, len, 65536, &id, &total, got);
			PLT_CHECK(nb >= 1 && total == 16u * (unsigned)nb, "desc");
			PLT_CHECK(got[nb - 1].offset == (id * 64 + (unsigned)(nb - 1) * 16) % 65536, "offset");
			if (!pl_txq_push_completion(&ctx, id)) {
				pl_pipe_rx_unpull(&drx, len);
				break;
			}
			/* And a packet back through the RX queue for each. */
			struct pl_rxq_post p = { id * 2048 % 65536, 2048, id, id };
			if (pl_rxq_push_post(&ptx, &p))
				pl_pipe_tx_flush(&ptx);
		}
		pl_pipe_rx_flush(&drx);
		pl_pipe_tx_flush(&ctx);
		while (pl_pipe_rx_pull(&prx, &rec, &len) == PL_PIPE_RECORD) {
			struct pl_rxq_post p;
			PLT_CHECK(pl_rxq_parse_post(rec, len, 65536, &p) == 0 && p.user_data == p.id, "post");
			uint32_t used = (uint32_t)(p.id % 2048) + 1;
			if (!pl_rxq_push_completion(&rtx, used, &p, &used, 1)) {
				pl_pipe_rx_unpull(&prx, len);
				break;
			}
		}
		pl_pipe_rx_flush(&prx);
		pl_pipe_tx_flush(&rtx);
		while (pl_pipe_rx_pull(&rrx, &rec, &len) == PL_PIPE_RECORD) {
			uint32_t size;
			struct pl_rxq_used u[PL_SHM_MAX_BUFS];
			PLT_CHECK(pl_rxq_parse_completion(rec, len, &size, u) == 1, "rx completion");
			PLT_CHECK(size == u[0].id % 2048 + 1, "rx size");
		}
		pl_pipe_rx_flush(&rrx);
		/* "Client": reap completions in order. */
		while (pl_pipe_rx_pull(&crx, &rec, &len) == PL_PIPE_RECORD) {
			uint64_t id;
			PLT_CHECK(pl_txq_parse_completion(rec, len, &id) == 0 && id == done, "completion %lu",
				  (unsigned long)done);
			done++;
			inflight--;
		}
		pl_pipe_rx_flush(&crx);
	}
	PLT_CHECK(done + inflight == next_id && next_id > 100000, "ids %lu done %lu", (unsigned long)next_id,
		  (unsigned long)done);
	return 0;
}

static int notify_word(void)
{
	uint32_t w = 0;
	PLT_CHECK(pl_notify_needed(&w), "0 counts as enabled");
	pl_notify_disarm(&w);
	PLT_CHECK(w == PL_NOTIFY_DISABLED && !pl_notify_needed(&w), "disabled");
	pl_notify_arm(&w);
	PLT_CHECK(w == PL_NOTIFY_ENABLED && pl_notify_needed(&w), "enabled");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "tx_desc_layout", tx_desc_layout, PLT_UNIT, 0 },
		{ "tx_completion_layout", tx_completion_layout, PLT_UNIT, 0 },
		{ "rx_post_layout", rx_post_layout, PLT_UNIT, 0 },
		{ "rx_completion_layout", rx_completion_layout, PLT_UNIT, 0 },
		{ "bad_completions_ignored", bad_completions_ignored, PLT_UNIT, 0 },
		{ "full_pipes", full_pipes, PLT_UNIT, 0 },
		{ "cycles", cycles, PLT_UNIT, 0 },
		{ "notify_word", notify_word, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
