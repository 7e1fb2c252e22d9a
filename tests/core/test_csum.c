/* SPDX-License-Identifier: MIT */
/*
 * test_csum: the Internet checksum against a naive reference (every length
 * 0..2000 at every alignment 0..7), chaining, pseudo-headers, and
 * NEEDS_CSUM completion with its bounds checks.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/offload.h"
#include "core/offload_testlib.h"

/* Our result in memory order -> the big-endian value the reference gives. */
static uint16_t as_be(uint16_t mem)
{
	uint8_t b[2];
	memcpy(b, &mem, 2);
	return ot_rd16(b);
}

static int csum_matches_reference(void)
{
	static uint8_t buf[2000 + 16];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)plt_rand();
	for (unsigned align = 0; align < 8; align++) {
		for (unsigned len = 0; len <= 2000; len++) {
			const uint8_t *p = buf + align;
			uint16_t want = ot_fold(ot_sum(p, len, 0));
			uint16_t got = as_be(pl_csum_fold(pl_csum_partial(p, len, 0)));
			PLT_CHECK(got == want, "align %u len %u: %#x want %#x", align, len, got, want);
		}
	}
	return 0;
}

static int csum_extremes(void)
{
	/* All 0xff: the sum is "negative zero"; long buffers exercise every
	 * carry path of the 64-bit accumulator. */
	static uint8_t ff[70000], zero[64];
	memset(ff, 0xff, sizeof(ff));
	memset(zero, 0, sizeof(zero));
	for (unsigned len = 0; len < 100; len++)
		PLT_CHECK(as_be(pl_csum_fold(pl_csum_partial(ff, len, 0))) ==
				  ot_fold(ot_sum(ff, len, 0)),
			  "ff len %u", len);
	PLT_CHECK(as_be(pl_csum_fold(pl_csum_partial(ff, sizeof(ff), 0))) ==
			  ot_fold(ot_sum(ff, sizeof(ff), 0)),
		  "ff 70000");
	PLT_CHECK(pl_csum_fold(pl_csum_partial(zero, 64, 0)) == 0xffff, "zeros");
	/* An initial accumulator near the top must not lose its carry. */
	uint32_t a = pl_csum_partial(ff, 64, 0xffffffffu);
	uint32_t ref = ot_sum(ff, 64, 0) + 0xffff + 0xffff; /* 0xffffffff = two 0xffff lanes */
	PLT_CHECK(pl_csum_fold(a) == pl_csum_fold(ref), "initial sum carry");
	/* RFC 1071 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
	const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	PLT_CHECK(as_be(pl_csum_fold(pl_csum_partial(rfc, 8, 0))) == (uint16_t)~0xddf2, "rfc1071");
	return 0;
}

static int csum_chaining(void)
{
	static uint8_t buf[1500];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)plt_rand();
	for (unsigned split = 0; split <= 1500; split += 2) {
		uint32_t s = pl_csum_partial(buf, split, 0);
		s = pl_csum_partial(buf + split, 1500 - split, s);
		PLT_CHECK(pl_csum_fold(s) == pl_csum_fold(pl_csum_partial(buf, 1500, 0)), "split %u",
			  split);
	}
	return 0;
}

static int csum_pseudo_headers(void)
{
	uint8_t ip4[20] = { 0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, 198, 18, 1, 2, 198, 18, 2, 2 };
	uint8_t ip6[40] = { 0x60 };
	for (int i = 8; i < 40; i++)
		ip6[i] = (uint8_t)plt_rand();
	uint32_t lens[] = { 0, 1, 20, 1480, 65535 };
	for (unsigned k = 0; k < 5; k++) {
		uint32_t l = lens[k];
		PLT_CHECK(as_be(pl_csum_fold(pl_csum_pseudo4(ip4 + 12, ip4 + 16, 6, l))) ==
				  ot_fold(ot_pseudo(ip4, false, 6, l)),
			  "v4 len %u", l);
		PLT_CHECK(as_be(pl_csum_fold(pl_csum_pseudo6(ip6 + 8, ip6 + 24, 17, l))) ==
				  ot_fold(ot_pseudo(ip6, true, 17, l)),
			  "v6 len %u", l);
	}
	/* Upper-layer lengths above 64 KiB (IPv6 jumbo) use all 32 bits. */
	PLT_CHECK(as_be(pl_csum_fold(pl_csum_pseudo6(ip6 + 8, ip6 + 24, 6, 0x12345))) ==
			  ot_fold(ot_pseudo(ip6, true, 6, 0x12345)),
		  "v6 jumbo length");
	return 0;
}

static int csum_complete_packets(void)
{
	static uint8_t buf[3000];
	struct ot_spec s;
	struct ot_layout lo;
	for (unsigned v6 = 0; v6 < 2; v6++)
		for (unsigned udp = 0; udp < 2; udp++)
			for (uint32_t pay = 0; pay < 1400; pay += 97) {
				ot_default(&s, 14, v6, udp, pay);
				s.seed = pay;
				uint32_t len = ot_build(buf, sizeof(buf), &s, &lo);
				PLT_CHECK(len, "build");
				uint8_t full[2];
				uint32_t co = udp ? 6 : 16;
				memcpy(full, buf + lo.l4 + co, 2);
				ot_make_partial(buf, &s, &lo);
				PLT_OK(pl_csum_complete(buf, len, lo.l4, co));
				PLT_CHECK(memcmp(full, buf + lo.l4 + co, 2) == 0,
					  "v6=%u udp=%u pay=%u: completed %02x%02x want %02x%02x", v6,
					  udp, pay, buf[lo.l4 + co], buf[lo.l4 + co + 1], full[0],
					  full[1]);
			}
	return 0;
}

static int csum_complete_bounds(void)
{
	uint8_t f[64];
	memset(f, 0, sizeof(f));
	PLT_CHECK(pl_csum_complete(f, 64, 62, 0) == 0, "last two bytes ok");
	PLT_CHECK(pl_csum_complete(f, 64, 63, 0) == -EINVAL, "one past");
	PLT_CHECK(pl_csum_complete(f, 64, 0, 62) == 0, "offset at end ok");
	PLT_CHECK(pl_csum_complete(f, 64, 0, 63) == -EINVAL, "offset past");
	PLT_CHECK(pl_csum_complete(f, 64, 0xffffffffu, 0) == -EINVAL, "start wraps");
	PLT_CHECK(pl_csum_complete(f, 64, 2, 0xfffffffeu) == -EINVAL, "offset wraps");
	PLT_CHECK(pl_csum_complete(f, 64, 0xfffffff0u, 0xfffffff0u) == -EINVAL, "both wrap");
	PLT_CHECK(pl_csum_complete(f, 0, 0, 0) == -EINVAL, "empty");
	PLT_CHECK(pl_csum_complete(f, 1, 0, 0) == -EINVAL, "one byte");
	/* An all-zero region completes to 0xffff, never 0 (UDP "no checksum"). */
	memset(f, 0, sizeof(f));
	PLT_OK(pl_csum_complete(f, 64, 10, 6));
	PLT_CHECK(f[16] == 0xff && f[17] == 0xff, "zero result stored as 0xffff");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "csum_matches_reference", csum_matches_reference, PLT_UNIT, 0 },
		{ "csum_extremes", csum_extremes, PLT_UNIT, 0 },
		{ "csum_chaining", csum_chaining, PLT_UNIT, 0 },
		{ "csum_pseudo_headers", csum_pseudo_headers, PLT_UNIT, 0 },
		{ "csum_complete_packets", csum_complete_packets, PLT_UNIT, 0 },
		{ "csum_complete_bounds", csum_complete_bounds, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
