/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shm_pipe — the shared-memory pipe against a hostile peer.
 *
 *   input = u16 region size selector, 32 op bytes, then the region's
 *           initial contents (what the peer wrote)
 *
 * The consumer pulls/flushes/aborts/unpulls over the garbage; the producer
 * pushes/flushes/aborts over a copy of it, as if the consumer had written
 * its free headers. Then a legitimate producer and consumer share a region
 * into which the input's bytes are injected between operations.
 *
 * Invariants (trap on violation): every record the consumer returns and
 * every buffer the producer hands out lies inside the region; a well-behaved
 * pair never reports corruption when nobody scribbles.
 */
#include "fuzz.h"

#include "shm/pipe.h"

#include <string.h>

#define REGION_MAX 4096

static uint8_t region[REGION_MAX] __attribute__((aligned(64)));

static void consumer_run(const uint8_t *ops, uint64_t size)
{
	struct pl_pipe_rx rx;
	if (pl_pipe_rx_init(&rx, region, size))
		return;
	uint32_t last = 0;
	bool can_unpull = false;
	for (int i = 0; i < 32; i++) {
		switch (ops[i] & 3) {
		case 0: {
			const uint8_t *d;
			uint32_t n;
			int r = pl_pipe_rx_pull(&rx, &d, &n);
			if (r == PL_PIPE_RECORD) {
				PL_FUZZ_CHECK(d >= region + 8 && (uint64_t)(d - region) + n <= rx.len);
				/* Touch every byte (ASan would see a stray one). */
				volatile uint8_t sink = 0;
				for (uint32_t k = 0; k < n; k++)
					sink ^= d[k];
				(void)sink;
				last = n;
				can_unpull = true;
			} else {
				PL_FUZZ_CHECK(r == PL_PIPE_EMPTY || r == PL_PIPE_CORRUPT);
				can_unpull = false;
			}
			break;
		}
		case 1:
			pl_pipe_rx_flush(&rx);
			can_unpull = false;
			break;
		case 2:
			pl_pipe_rx_abort(&rx);
			can_unpull = false;
			break;
		default:
			if (can_unpull)
				pl_pipe_rx_unpull(&rx, last);
			can_unpull = false;
			(void)pl_pipe_rx_peek(&rx);
			break;
		}
	}
}

static void producer_run(const uint8_t *ops, uint64_t size, const uint8_t *garbage, size_t glen)
{
	struct pl_pipe_tx tx;
	if (pl_pipe_tx_init(&tx, region, size))
		return;
	/* The "consumer" wrote whatever the input says, after our init. */
	memcpy(region + 8, garbage, glen < size - 8 ? glen : size - 8);
	for (int i = 0; i < 32; i++) {
		uint8_t o = ops[i];
		if ((o & 3) == 3) {
			pl_pipe_tx_flush(&tx);
		} else if ((o & 7) == 2) {
			pl_pipe_tx_abort(&tx);
		} else {
			uint64_t want = (uint64_t)(o >> 2) * 13;
			if (o == 0xff)
				want = size; /* too large */
			uint8_t *b = pl_pipe_tx_push(&tx, want);
			if (b) {
				PL_FUZZ_CHECK(b >= region + 8 && (uint64_t)(b - region) + want <= tx.len);
				memset(b, 0x5a, want);
			}
		}
	}
	pl_pipe_tx_flush(&tx);
}

static void pair_run(const uint8_t *ops, uint64_t size, const uint8_t *inj, size_t ilen)
{
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	memset(region, 0, REGION_MAX);
	if (pl_pipe_init_region(region, size) || pl_pipe_tx_init(&tx, region, size) ||
	    pl_pipe_rx_init(&rx, region, size))
		return;
	size_t ip = 0;
	bool scribbled = false;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 32; i++) {
			uint8_t o = ops[i] ^ (uint8_t)(round * 37);
			switch (o & 3) {
			case 0: {
				uint64_t want = (o >> 2) * 5u;
				uint8_t *b = pl_pipe_tx_push(&tx, want);
				if (b) {
					PL_FUZZ_CHECK(b >= region + 8 &&
						      (uint64_t)(b - region) + want <= tx.len);
					memset(b, (uint8_t)want, want);
				}
				break;
			}
			case 1:
				pl_pipe_tx_flush(&tx);
				break;
			case 2: {
				const uint8_t *d;
				uint32_t n;
				int r = pl_pipe_rx_pull(&rx, &d, &n);
				if (r == PL_PIPE_RECORD) {
					PL_FUZZ_CHECK(d >= region + 8 && (uint64_t)(d - region) + n <= rx.len);
					if (!scribbled)
						for (uint32_t k = 0; k < n; k++)
							PL_FUZZ_CHECK(d[k] == (uint8_t)n);
				}
				PL_FUZZ_CHECK(scribbled || r != PL_PIPE_CORRUPT);
				break;
			}
			default:
				pl_pipe_rx_flush(&rx);
				/* Now and then the peer scribbles a word. */
				if ((o & 0x30) == 0x30 && ip + 10 <= ilen) {
					uint16_t off;
					memcpy(&off, inj + ip, 2);
					off = (uint16_t)((off % (size / 8)) * 8);
					memcpy(region + off, inj + ip + 2, 8);
					ip += 10;
					scribbled = true;
				}
				break;
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 34)
		return 0;
	uint16_t sel;
	memcpy(&sel, data, 2);
	uint64_t rsize = 32 + sel % (REGION_MAX - 32 + 1);
	const uint8_t *ops = data + 2;
	const uint8_t *rest = data + 34;
	size_t rlen = size - 34;

	memset(region, 0, sizeof(region));
	memcpy(region, rest, rlen < rsize ? rlen : rsize);
	consumer_run(ops, rsize);

	memset(region, 0, sizeof(region));
	producer_run(ops, rsize, rest, rlen);

	pair_run(ops, rsize, rest, rlen);
	return 0;
}

/* Seeds: a region holding a real batch of records with a wrap. */
size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 4 || cap < 34 + 512)
		return 0;
	uint16_t sel = (uint16_t)(256 + 64 * i - 32);
	memcpy(buf, &sel, 2);
	for (int k = 0; k < 32; k++)
		buf[2 + k] = (uint8_t)(k * 7 + i);
	uint64_t rsize = 32 + sel % (REGION_MAX - 32 + 1);
	static uint8_t r[REGION_MAX] __attribute__((aligned(8)));
	memset(r, 0, sizeof(r));
	struct pl_pipe_tx tx;
	struct pl_pipe_rx rx;
	pl_pipe_init_region(r, rsize);
	pl_pipe_tx_init(&tx, r, rsize);
	pl_pipe_rx_init(&rx, r, rsize);
	for (int k = 0; k < 6; k++) {
		uint8_t *b = pl_pipe_tx_push(&tx, 20 + k * 3);
		if (b)
			memset(b, k, 20 + k * 3);
	}
	pl_pipe_tx_flush(&tx);
	const uint8_t *d;
	uint32_t n;
	while (pl_pipe_rx_pull(&rx, &d, &n) == PL_PIPE_RECORD)
		;
	pl_pipe_rx_flush(&rx);
	for (int k = 0; k < 4; k++) {
		uint8_t *b = pl_pipe_tx_push(&tx, 40);
		if (b)
			memset(b, k, 40);
	}
	pl_pipe_tx_flush(&tx);
	size_t len = rsize < cap - 34 ? rsize : cap - 34;
	memcpy(buf + 34, r, len);
	return 34 + len;
}
