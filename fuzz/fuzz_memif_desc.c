/* SPDX-License-Identifier: MIT */
/*
 * fuzz_memif_desc — the memif descriptor walk against a hostile peer.
 *
 *   input = 8 header bytes (bit 0 of byte 0: our own buffers (client) or
 *           the peer's regions (server); byte 1: log2 ring size 1..6;
 *           bytes 2-3: start position; byte 4: published slots; bytes 5-7:
 *           region count and size selectors), then the ring's descriptors
 *           as the peer wrote them
 *
 * The walk consumes frames until it waits, the peer is cut off, or the
 * published slots run out. Invariants (trap on violation): every segment
 * lies inside a region (or our own buffer of its slot), a frame never
 * takes more slots than were published, its total is the sum of its
 * segments, and a violation comes with a reason.
 */
#include "fuzz.h"

#include "memif/memif_int.h"

#include <errno.h>
#include <string.h>

#define MAXLOG2 6
#define REG_MAX 8192

static uint8_t ring[MEMIF_RING_DESC + (16u << MAXLOG2)] __attribute__((aligned(64)));
static uint8_t regs[3][REG_MAX] __attribute__((aligned(64)));
static uint8_t own[(1u << MAXLOG2) * 256] __attribute__((aligned(64)));

static bool inside(const struct pl_memif_view *v, const struct pl_memif_seg *s)
{
	if (v->own_base)
		return s->ptr >= own && s->ptr + s->len <= own + sizeof(own);
	for (unsigned i = 0; i < v->nregions; i++)
		if (s->ptr >= v->regions[i].base && s->ptr + s->len <= v->regions[i].base + v->regions[i].size)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	unsigned log2 = 1 + data[1] % MAXLOG2;
	uint16_t nslots = (uint16_t)(1u << log2);
	memset(ring, 0, sizeof(ring));
	size_t n = size - 8 < (size_t)nslots * 16 ? size - 8 : (size_t)nslots * 16;
	memcpy(ring + MEMIF_RING_DESC, data + 8, n);
	struct pl_memif_region r[3];
	unsigned nreg = 1 + data[5] % 3;
	for (unsigned i = 0; i < 3; i++)
		r[i] = (struct pl_memif_region){ regs[i], (uint64_t)(1 + data[6 + i % 2] * 32u) % REG_MAX, -1 };
	struct pl_memif_view v = { .ring = ring, .mask = (uint16_t)(nslots - 1), .regions = r,
				   .nregions = nreg, .max_frame = 9014 };
	if (data[0] & 1) {
		v.own_base = own;
		v.own_size = 256;
	}
	uint16_t pos;
	memcpy(&pos, data + 2, 2);
	uint32_t avail = data[4] % (nslots + 1u);
	struct pl_memif_seg segs[PL_MEMIF_MAX_SEGS];
	while (avail) {
		unsigned ns = 0;
		uint32_t used = 0;
		uint64_t total = 0;
		const char *why = NULL;
		int w = pl_memif_walk(&v, pos, avail, segs, &ns, &used, &total, &why);
		if (w < 0) {
			PL_FUZZ_CHECK(w == -EPROTO && why && why[0]);
			break;
		}
		if (w == PL_MEMIF_WALK_WAIT)
			break;
		PL_FUZZ_CHECK(used >= 1 && used <= avail && ns <= PL_MEMIF_MAX_SEGS && ns <= used);
		uint64_t sum = 0;
		for (unsigned i = 0; i < ns; i++) {
			PL_FUZZ_CHECK(inside(&v, &segs[i]));
			sum += segs[i].len;
		}
		if (w == PL_MEMIF_WALK_OK)
			PL_FUZZ_CHECK(sum == total && total > 0 && total <= v.max_frame && ns == used);
		pos = (uint16_t)(pos + used);
		avail -= used;
	}
	return 0;
}

size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 2 || cap < 8 + 16 * 8)
		return 0;
	memset(buf, 0, 8 + 16 * 8);
	buf[0] = (uint8_t)i; /* server view, then client view */
	buf[1] = 2; /* 8 slots */
	buf[4] = 8;
	buf[5] = 1;
	buf[6] = buf[7] = 100;
	for (unsigned s = 0; s < 8; s++) {
		struct memif_desc d = { .flags = (uint16_t)(s % 3 == 0 ? MEMIF_DESC_FLAG_NEXT : 0),
					.region = 0, .length = 60 + s, .offset = s * 256 };
		memcpy(buf + 8 + s * 16, &d, 16);
	}
	return 8 + 16 * 8;
}
