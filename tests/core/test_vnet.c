/* SPDX-License-Identifier: MIT */
/*
 * test_vnet: virtio-net header <-> pktlink_pkt. Every reject path of
 * pl_vnet_to_pkt, hdr_len never trusted, and pl_pkt_to_vnet computing
 * hdr_len and the ECN bit itself.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/offload.h"
#include "core/offload_testlib.h"

static void mkhdr(uint8_t *h, uint8_t flags, uint8_t type, uint16_t hdr_len, uint16_t gso_size,
		  uint16_t cstart, uint16_t coff)
{
	memset(h, 0, 12);
	h[0] = flags;
	h[1] = type;
	h[2] = (uint8_t)hdr_len;
	h[3] = (uint8_t)(hdr_len >> 8);
	h[4] = (uint8_t)gso_size;
	h[5] = (uint8_t)(gso_size >> 8);
	h[6] = (uint8_t)cstart;
	h[7] = (uint8_t)(cstart >> 8);
	h[8] = (uint8_t)coff;
	h[9] = (uint8_t)(coff >> 8);
}

static int vet(uint8_t flags, uint8_t type, uint16_t gso, uint16_t cs, uint16_t co, uint32_t len)
{
	uint8_t h[12];
	struct pktlink_pkt p;
	memset(&p, 0, sizeof(p));
	mkhdr(h, flags, type, 0xffff, gso, cs, co);
	return pl_vnet_to_pkt(h, len, &p);
}

static int vnet_rejects(void)
{
	/* flags: RSC_INFO, unknown bits */
	PLT_CHECK(vet(4, 0, 0, 0, 0, 100) == -EINVAL, "RSC_INFO");
	for (unsigned b = 3; b < 8; b++)
		PLT_CHECK(vet((uint8_t)(1u << b), 0, 0, 0, 0, 100) == -EINVAL, "flag bit %u", b);
	/* NEEDS_CSUM bounds: start + offset + 2 <= len */
	PLT_CHECK(vet(1, 0, 0, 98, 0, 100) == 0, "exact fit accepted");
	PLT_CHECK(vet(1, 0, 0, 99, 0, 100) == -EINVAL, "start one past");
	PLT_CHECK(vet(1, 0, 0, 34, 65, 100) == -EINVAL, "offset past");
	PLT_CHECK(vet(1, 0, 0, 0xffff, 0xffff, 100) == -EINVAL, "both max");
	PLT_CHECK(vet(1, 0, 0, 0, 0, 0) == -EINVAL, "empty frame");
	PLT_CHECK(vet(1, 0, 0, 0, 0, 1) == -EINVAL, "1-byte frame");
	/* without NEEDS_CSUM the csum fields are not looked at */
	PLT_CHECK(vet(0, 0, 0, 0xffff, 0xffff, 10) == 0, "no NEEDS_CSUM");
	/* gso types */
	PLT_CHECK(vet(1, 2, 1448, 34, 16, 100) == -EINVAL, "type 2");
	PLT_CHECK(vet(1, 3, 1448, 34, 6, 100) == -EINVAL, "legacy UFO");
	for (unsigned t = 6; t < 0x80; t++)
		PLT_CHECK(vet(1, (uint8_t)t, 1448, 34, 16, 100) == -EINVAL, "type %u", t);
	PLT_CHECK(vet(1, 0x80 | 3, 1448, 34, 6, 100) == -EINVAL, "UFO|ECN");
	PLT_CHECK(vet(1, 0x80 | 7, 1448, 34, 6, 100) == -EINVAL, "unknown|ECN");
	PLT_CHECK(vet(0, 0x80, 0, 0, 0, 100) == -EINVAL, "ECN without GSO");
	PLT_CHECK(vet(1, 0x80 | 5, 1448, 34, 6, 100) == -EINVAL, "ECN on UDP_L4");
	/* gso_size 0 */
	PLT_CHECK(vet(1, 1, 0, 34, 16, 100) == -EINVAL, "TCPv4 gso_size 0");
	PLT_CHECK(vet(1, 4, 0, 54, 16, 100) == -EINVAL, "TCPv6 gso_size 0");
	PLT_CHECK(vet(1, 5, 0, 34, 6, 100) == -EINVAL, "UDP_L4 gso_size 0");
	/* GSO with a NEEDS_CSUM out of bounds */
	PLT_CHECK(vet(1, 1, 1448, 34, 16, 51) == -EINVAL, "GSO csum past end");
	/* NULL arguments */
	struct pktlink_pkt p;
	uint8_t h[12] = { 0 };
	PLT_CHECK(pl_vnet_to_pkt(NULL, 100, &p) == -EINVAL, "NULL hdr");
	PLT_CHECK(pl_vnet_to_pkt(h, 100, NULL) == -EINVAL, "NULL pkt");
	return 0;
}

static int vnet_accepts(void)
{
	uint8_t h[12];
	struct pktlink_pkt p;

	/* TCPv4 GSO with ECN: fields copied, ECN folded away, hdr_len ignored,
	 * TXBUF (not ours) preserved. */
	memset(&p, 0, sizeof(p));
	p.flags = PKTLINK_PKT_TXBUF | PKTLINK_PKT_CSUM_VALID;
	mkhdr(h, 1, 0x81, 0xffff, 1448, 34, 16);
	PLT_OK(pl_vnet_to_pkt(h, 65000, &p));
	PLT_CHECK(p.flags == (PKTLINK_PKT_TXBUF | PKTLINK_PKT_CSUM_PARTIAL), "flags %#x", p.flags);
	PLT_CHECK(p.gso_type == PKTLINK_GSO_TCPV4 && p.gso_size == 1448, "gso");
	PLT_CHECK(p.csum_start == 34 && p.csum_offset == 16, "csum");

	/* DATA_VALID, no GSO: offsets zeroed even if the header had junk. */
	memset(&p, 0xaa, sizeof(p));
	p.flags = 0;
	mkhdr(h, 2, 0, 7, 1234, 999, 999);
	PLT_OK(pl_vnet_to_pkt(h, 60, &p));
	PLT_CHECK(p.flags == PKTLINK_PKT_CSUM_VALID, "flags %#x", p.flags);
	PLT_CHECK(p.gso_type == 0 && p.gso_size == 0 && p.csum_start == 0 && p.csum_offset == 0,
		  "cleared");

	/* TCPv6 and UDP_L4 */
	mkhdr(h, 1, 4, 0, 1440, 54, 16);
	PLT_OK(pl_vnet_to_pkt(h, 9000, &p));
	PLT_CHECK(p.gso_type == PKTLINK_GSO_TCPV6 && p.gso_size == 1440, "v6");
	mkhdr(h, 1, 5, 0, 1472, 34, 6);
	PLT_OK(pl_vnet_to_pkt(h, 9000, &p));
	PLT_CHECK(p.gso_type == PKTLINK_GSO_UDP_L4 && p.csum_offset == 6, "uso");
	/* GSO without NEEDS_CSUM is legal (GRO'd traffic with DATA_VALID). */
	mkhdr(h, 2, 1, 0, 1448, 0, 0);
	PLT_OK(pl_vnet_to_pkt(h, 9000, &p));
	PLT_CHECK(p.gso_type == 1 && !(p.flags & PKTLINK_PKT_CSUM_PARTIAL), "gso valid");
	/* Both flags */
	mkhdr(h, 3, 0, 0, 0, 34, 16);
	PLT_OK(pl_vnet_to_pkt(h, 100, &p));
	PLT_CHECK(p.flags == (PKTLINK_PKT_CSUM_PARTIAL | PKTLINK_PKT_CSUM_VALID), "both");
	/* Unaligned header */
	uint8_t raw[13];
	mkhdr(raw + 1, 1, 1, 0, 536, 34, 16);
	PLT_OK(pl_vnet_to_pkt(raw + 1, 600, &p));
	PLT_CHECK(p.gso_size == 536, "unaligned");
	return 0;
}

static uint16_t le(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int vnet_from_pkt(void)
{
	static uint8_t buf[70000];
	struct ot_spec s;
	struct ot_layout lo;
	struct pktlink_pkt p;
	uint8_t h[12];

	/* TCPv4 over Ethernet with 12 bytes of options and CWR. */
	ot_default(&s, 14, false, false, 20000);
	s.tcp_opts = 12;
	s.tcp_flags = 0x80 | 0x10;
	uint32_t len = ot_build(buf, sizeof(buf), &s, &lo);
	ot_make_partial(buf, &s, &lo);
	memset(&p, 0, sizeof(p));
	p.data = buf;
	p.len = len;
	p.flags = PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = (uint16_t)lo.l4;
	p.csum_offset = 16;
	p.gso_type = PKTLINK_GSO_TCPV4;
	p.gso_size = 1448;
	memset(h, 0xee, sizeof(h));
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 12));
	PLT_CHECK(h[0] == 1 && h[1] == (1 | 0x80), "flags %#x type %#x", h[0], h[1]);
	PLT_CHECK(le(h + 2) == 14 + 20 + 32, "hdr_len %u", le(h + 2));
	PLT_CHECK(le(h + 4) == 1448 && le(h + 6) == lo.l4 && le(h + 8) == 16, "fields");
	PLT_CHECK(le(h + 10) == 0, "num_buffers 0");
	/* Round trip. */
	struct pktlink_pkt q;
	memset(&q, 0, sizeof(q));
	PLT_OK(pl_vnet_to_pkt(h, len, &q));
	PLT_CHECK(q.gso_type == p.gso_type && q.gso_size == p.gso_size &&
			  q.csum_start == p.csum_start && q.csum_offset == p.csum_offset &&
			  q.flags == p.flags,
		  "round trip");
	/* 10-byte header writes exactly 10 bytes. */
	memset(h, 0xee, sizeof(h));
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 10));
	PLT_CHECK(h[10] == 0xee && h[11] == 0xee, "wrote past 10 bytes");

	/* No CWR, no ECN bit. */
	buf[lo.l4 + 13] = 0x10;
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 12));
	PLT_CHECK(h[1] == 1, "no ECN without CWR");

	/* Mismatched type, gso_size 0, bad sizes, OOB csum, no data. */
	p.gso_type = PKTLINK_GSO_TCPV6;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "TCPV6 on IPv4");
	p.gso_type = PKTLINK_GSO_UDP_L4;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "UDP_L4 on TCP");
	p.gso_type = PKTLINK_GSO_UDP;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "UFO");
	p.gso_type = 77;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "unknown type");
	p.gso_type = PKTLINK_GSO_TCPV4;
	PLT_CHECK(pl_pkt_to_vnet(&p, 0, h, 12) == -EINVAL, "wrong link_len");
	p.gso_size = 0;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "gso_size 0");
	p.gso_size = 1448;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 11) == -EINVAL, "header size 11");
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 20) == -EINVAL, "header size 20");
	p.csum_offset = (uint16_t)(len - lo.l4 - 1);
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "csum past end");
	p.csum_offset = 16;
	p.data = NULL;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "GSO without data");
	p.data = buf;
	p.len = lo.pay - 1;
	PLT_CHECK(pl_pkt_to_vnet(&p, 14, h, 12) == -EINVAL, "truncated headers");

	/* Plain partial packet: hdr_len covers the checksum field. */
	memset(&p, 0, sizeof(p));
	p.data = buf;
	p.len = 100;
	p.flags = PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = 34;
	p.csum_offset = 6;
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 10));
	PLT_CHECK(h[0] == 1 && h[1] == 0 && le(h + 2) == 42, "plain partial");
	/* DATA_VALID and nothing */
	p.flags = PKTLINK_PKT_CSUM_VALID;
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 10));
	PLT_CHECK(h[0] == 2 && le(h + 2) == 0 && le(h + 6) == 0, "valid");
	/* Both flags survive a round trip (found by fuzz_vnet). */
	p.flags = PKTLINK_PKT_CSUM_VALID | PKTLINK_PKT_CSUM_PARTIAL;
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 10));
	PLT_CHECK(h[0] == 3, "both flags: %#x", h[0]);
	struct pktlink_pkt r;
	memset(&r, 0, sizeof(r));
	PLT_OK(pl_vnet_to_pkt(h, 100, &r));
	PLT_CHECK(r.flags == p.flags && r.csum_start == 34 && r.csum_offset == 6, "round trip");
	p.flags = 0;
	PLT_OK(pl_pkt_to_vnet(&p, 14, h, 10));
	for (int i = 0; i < 10; i++)
		PLT_CHECK(h[i] == 0, "plain frame: all zero");

	/* IPv6 UDP_L4 on a raw-IP link. */
	ot_default(&s, 0, true, true, 5000);
	len = ot_build(buf, sizeof(buf), &s, &lo);
	memset(&p, 0, sizeof(p));
	p.data = buf;
	p.len = len;
	p.flags = PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = 40;
	p.csum_offset = 6;
	p.gso_type = PKTLINK_GSO_UDP_L4;
	p.gso_size = 1200;
	PLT_OK(pl_pkt_to_vnet(&p, 0, h, 12));
	PLT_CHECK(h[1] == 5 && le(h + 2) == 48, "uso6 hdr_len %u", le(h + 2));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "vnet_rejects", vnet_rejects, PLT_UNIT, 0 },
		{ "vnet_accepts", vnet_accepts, PLT_UNIT, 0 },
		{ "vnet_from_pkt", vnet_from_pkt, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
