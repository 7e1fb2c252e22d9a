/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vnet — the virtio-net header parser and checksum completion, fed
 * untrusted bytes the way a TAP reader or a shared-memory peer would:
 *
 *   input = 12-byte virtio-net header (with num_buffers) + frame
 *
 * Invariants checked (trap on violation):
 *   - pl_vnet_to_pkt() accepting a header means its csum offsets fit the
 *     frame, so pl_csum_complete() on them succeeds;
 *   - re-encoding an accepted packet (pl_pkt_to_vnet) gives a header that
 *     decodes to the same offload fields, with hdr_len inside the frame;
 *   - pl_csum_complete() with arbitrary 32-bit offsets never writes outside
 *     the frame (ASan) and refuses what does not fit.
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

#include "core/offload.h"
#include "../tests/core/offload_testlib.h"

#define MAX_FRAME 65600

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[MAX_FRAME];
	if (size < PL_VNET_HDR_MRG_LEN)
		return 0;
	size_t flen = size - PL_VNET_HDR_MRG_LEN;
	if (flen > MAX_FRAME)
		flen = MAX_FRAME;
	const uint8_t *hdr = data;
	struct pktlink_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	memcpy(frame, data + PL_VNET_HDR_MRG_LEN, flen);
	pkt.data = frame;
	pkt.len = (uint32_t)flen;

	/* Arbitrary offsets straight from the input: refuse or stay inside. */
	uint32_t s32 = le32(hdr + 2), o32 = le32(hdr + 6);
	int r = pl_csum_complete(frame, (uint32_t)flen, s32, o32);
	PL_FUZZ_CHECK(r == 0 || r == -EINVAL);
	PL_FUZZ_CHECK(r != 0 || (uint64_t)s32 + o32 + 2 <= flen);
	memcpy(frame, data + PL_VNET_HDR_MRG_LEN, flen);
	(void)pl_csum_partial(frame, flen, le32(hdr));

	r = pl_vnet_to_pkt(hdr, (uint32_t)flen, &pkt);
	PL_FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r != 0)
		return 0;
	PL_FUZZ_CHECK(pkt.gso_type == PKTLINK_GSO_NONE || pkt.gso_size != 0);
	if (pkt.flags & PKTLINK_PKT_CSUM_PARTIAL) {
		PL_FUZZ_CHECK(pl_csum_complete(frame, (uint32_t)flen, pkt.csum_start,
					       pkt.csum_offset) == 0);
		memcpy(frame, data + PL_VNET_HDR_MRG_LEN, flen);
	}
	for (uint32_t link = 0; link <= 14; link += 14) {
		uint8_t h[PL_VNET_HDR_MRG_LEN];
		if (pl_pkt_to_vnet(&pkt, link, h, sizeof(h)) != 0)
			continue;
		uint32_t hdr_len = (uint32_t)(h[2] | h[3] << 8);
		PL_FUZZ_CHECK(hdr_len <= flen);
		struct pktlink_pkt q;
		memset(&q, 0, sizeof(q));
		PL_FUZZ_CHECK(pl_vnet_to_pkt(h, (uint32_t)flen, &q) == 0);
		PL_FUZZ_CHECK(q.flags == pkt.flags && q.gso_type == pkt.gso_type &&
			      q.gso_size == pkt.gso_size && q.csum_start == pkt.csum_start &&
			      q.csum_offset == pkt.csum_offset);
	}
	return 0;
}

/* Seeds: valid headers in front of valid TCP/UDP frames and super-packets. */
size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 16 || cap < 12 + 9000)
		return 0;
	struct ot_spec s;
	struct ot_layout lo;
	bool v6 = i & 1, udp = i & 2, link = !(i & 4), gso = i & 8;
	ot_default(&s, link ? 14 : 0, v6, udp, gso ? 6000 : 300);
	s.tcp_opts = udp ? 0 : 12;
	s.tcp_flags = 0x80 | 0x18;
	uint32_t len = ot_build(buf + 12, (uint32_t)(cap - 12), &s, &lo);
	if (!len)
		return 0;
	ot_make_partial(buf + 12, &s, &lo);
	struct pktlink_pkt p;
	memset(&p, 0, sizeof(p));
	p.data = buf + 12;
	p.len = len;
	p.flags = PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = (uint16_t)lo.l4;
	p.csum_offset = udp ? 6 : 16;
	if (gso) {
		p.gso_size = 1000;
		p.gso_type = udp ? PKTLINK_GSO_UDP_L4 : v6 ? PKTLINK_GSO_TCPV6 : PKTLINK_GSO_TCPV4;
	}
	if (pl_pkt_to_vnet(&p, link ? 14 : 0, buf, 12) != 0)
		return 0;
	return 12 + len;
}
