/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gso — software GSO over arbitrary bytes and offload fields:
 *
 *   input = cfg (1 byte: bit 0 Ethernet, bit 1 partial output)
 *         + gso_type (1 byte) + gso_size (2 bytes, little-endian) + frame
 *
 * The frame is passed in place (libFuzzer's buffer has exactly its size, so
 * ASan sees any over-read). Invariants checked (trap on violation):
 *   - init returns 0 or -EINVAL; next never fails with a big enough buffer,
 *     yields exactly pl_gso_count() segments, then 0;
 *   - a buffer one byte short gives -ENOSPC without advancing;
 *   - every segment: headers + at most gso_size payload, IPv4 header
 *     checksum valid, L4 checksum valid (full mode, checked by the naive
 *     reference in tests/core/offload_testlib.h), payloads concatenate to the
 *     super-packet's payload;
 *   - partial output completed with pl_csum_complete() equals full output.
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

#include "core/offload.h"
#include "../tests/core/offload_testlib.h"

#define OUT_CAP (66 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[OUT_CAP], b[OUT_CAP];
	if (size < 4 || size - 4 > 0xffffffffu)
		return 0;
	uint8_t cfg = data[0];
	uint32_t link = (cfg & 1) ? 14 : 0;
	struct pktlink_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	pkt.gso_type = data[1];
	pkt.gso_size = (uint16_t)(data[2] | data[3] << 8);
	pkt.data = (uint8_t *)(uintptr_t)(data + 4); /* read only: GSO never writes it */
	pkt.len = (uint32_t)(size - 4);

	struct pl_gso full, part;
	int r = pl_gso_init(&full, &pkt, link, false);
	PL_FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r)
		return 0;
	PL_FUZZ_CHECK(pl_gso_init(&part, &pkt, link, true) == 0);
	uint32_t n = pl_gso_count(&full);
	PL_FUZZ_CHECK(n >= 1 && n == pl_gso_count(&part));
	uint32_t hdrs = full.hdrs_len, l3 = full.link_len, l4 = full.link_len + full.l3_len;
	uint32_t coff = full.udp ? 6 : 16;
	uint64_t payload_seen = 0;
	for (uint32_t i = 0; i < n; i++) {
		int la = pl_gso_next(&full, a, sizeof(a));
		PL_FUZZ_CHECK(la > 0 && (uint32_t)la >= hdrs && (uint32_t)la <= pkt.len);
		PL_FUZZ_CHECK((uint32_t)la - hdrs <= pkt.gso_size);
		PL_FUZZ_CHECK(i + 1 == n || (uint32_t)la - hdrs == pkt.gso_size);
		if (i % 7 == 3) /* too small: refused, iterator unchanged */
			PL_FUZZ_CHECK(pl_gso_next(&part, b, (uint32_t)la - 1) == -ENOSPC);
		int lb = pl_gso_next(&part, b, sizeof(b));
		PL_FUZZ_CHECK(lb == la);
		PL_FUZZ_CHECK(memcmp(a + hdrs, pkt.data + hdrs + payload_seen, (size_t)la - hdrs) == 0);
		payload_seen += (uint32_t)la - hdrs;
		if (!full.ipv6)
			PL_FUZZ_CHECK(ot_fold(ot_sum(a + l3, full.l3_len, 0)) == 0);
		uint32_t l4total = (uint32_t)la - l4;
		PL_FUZZ_CHECK(ot_fold(ot_sum(a + l4, l4total,
					     ot_pseudo(a + l3, full.ipv6, full.udp ? 17 : 6,
						       l4total))) == 0);
		PL_FUZZ_CHECK(pl_csum_complete(b, (uint32_t)lb, l4, coff) == 0);
		/* The two zeros of one's complement: a full TCP checksum may be
		 * 0x0000 where completion stores 0xffff. */
		if (memcmp(a, b, (size_t)la) != 0) {
			PL_FUZZ_CHECK(a[l4 + coff] == 0 && a[l4 + coff + 1] == 0 &&
				      b[l4 + coff] == 0xff && b[l4 + coff + 1] == 0xff);
			a[l4 + coff] = a[l4 + coff + 1] = 0xff;
			PL_FUZZ_CHECK(memcmp(a, b, (size_t)la) == 0);
		}
	}
	PL_FUZZ_CHECK(payload_seen == (uint64_t)full.end - hdrs);
	PL_FUZZ_CHECK(pl_gso_next(&full, a, sizeof(a)) == 0);
	PL_FUZZ_CHECK(pl_gso_next(&part, b, sizeof(b)) == 0);
	return 0;
}

/* Seeds: valid super-packets of every kind the segmenter takes. */
size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 24 || cap < 4 + 12000)
		return 0;
	struct ot_spec s;
	struct ot_layout lo;
	bool v6 = i & 1, udp = i & 2, eth = !(i & 4);
	unsigned variant = i >> 3; /* 0..2 */
	ot_default(&s, eth ? 14 : 0, v6, udp, variant == 2 ? 11000 : 3000 + variant * 7);
	s.tcp_opts = (variant & 1) && !udp ? 12 : 0;
	s.tcp_flags = 0x80 | 0x19;
	s.v6_ext = v6 && variant == 1 ? 16 : 0;
	uint32_t len = ot_build(buf + 4, (uint32_t)(cap - 4), &s, &lo);
	if (!len)
		return 0;
	uint16_t mss = (uint16_t)(variant == 2 ? 1448 : 500 + i);
	buf[0] = (uint8_t)((eth ? 1 : 0) | ((i & 8) ? 2 : 0));
	buf[1] = udp ? PKTLINK_GSO_UDP_L4 : v6 ? PKTLINK_GSO_TCPV6 : PKTLINK_GSO_TCPV4;
	buf[2] = (uint8_t)mss;
	buf[3] = (uint8_t)(mss >> 8);
	return 4 + len;
}
