/* SPDX-License-Identifier: MIT */
/*
 * test_gso: software GSO. Segment counts and sizes, every header field and
 * checksum checked by the independent checker in offload_testlib.h, for
 * TCPv4/TCPv6/UDPv4/UDPv6 over Ethernet and raw IP, FIN/PSH/CWR placement,
 * partial output, -ENOSPC, and malformed super-packets rejected (including
 * every truncation and random corruption, which must never read out of
 * bounds — run this under ASan).
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/offload.h"
#include "core/offload_testlib.h"

static uint8_t sp[70000];
static uint8_t seg[70000];

static void mkpkt(struct pktlink_pkt *p, uint8_t *buf, uint32_t len, const struct ot_spec *s,
		  uint16_t mss)
{
	memset(p, 0, sizeof(*p));
	p->data = buf;
	p->len = len;
	p->gso_size = mss;
	p->gso_type = s->udp ? PKTLINK_GSO_UDP_L4 : s->v6 ? PKTLINK_GSO_TCPV6 : PKTLINK_GSO_TCPV4;
}

/* Segment s with mss, check every segment; return the count. */
static uint32_t run(const struct ot_spec *s, uint16_t mss, bool partial)
{
	struct ot_layout lo;
	struct pktlink_pkt p;
	struct pl_gso g;
	char why[200];
	uint32_t len = ot_build(sp, sizeof(sp), s, &lo);
	PLT_CHECK(len, "build");
	if (partial)
		ot_make_partial(sp, s, &lo); /* the input checksum must not matter */
	mkpkt(&p, sp, len, s, mss);
	PLT_OK(pl_gso_init(&g, &p, s->link, partial));
	uint32_t want_n = s->payload ? (s->payload + mss - 1) / mss : 1;
	PLT_CHECK(pl_gso_count(&g) == want_n, "count %u want %u", pl_gso_count(&g), want_n);
	uint32_t i = 0;
	int r;
	while ((r = pl_gso_next(&g, seg, sizeof(seg))) > 0) {
		PLT_CHECK(i < want_n, "too many segments");
		PLT_CHECK(ot_check_segment(seg, (uint32_t)r, s, &lo, mss, i, want_n, partial, true, why,
					   sizeof(why)),
			  "v6=%d udp=%d link=%u pay=%u mss=%u: %s", s->v6, s->udp, s->link, s->payload,
			  mss, why);
		if (partial) {
			/* Completing the partial sum gives a valid segment. */
			PLT_OK(pl_csum_complete(seg, (uint32_t)r, lo.l4, s->udp ? 6 : 16));
			PLT_CHECK(ot_check_segment(seg, (uint32_t)r, s, &lo, mss, i, want_n, false, true,
						   why, sizeof(why)),
				  "completed: %s", why);
		}
		i++;
	}
	PLT_CHECK(r == 0, "next returned %d", r);
	PLT_CHECK(i == want_n, "%u segments, want %u", i, want_n);
	PLT_CHECK(pl_gso_next(&g, seg, sizeof(seg)) == 0, "stays finished");
	return i;
}

static int gso_tcp4_64k(void)
{
	struct ot_spec s;
	ot_default(&s, 14, false, false, 64000);
	PLT_CHECK(run(&s, 1460, false) == 44, "44 segments"); /* 43 x 1460 + 1220 */
	s.tcp_flags = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
	s.tcp_opts = 12;
	run(&s, 1448, false);
	run(&s, 1448, true);
	s.link = 0;
	run(&s, 1448, false);
	return 0;
}

static int gso_tcp6(void)
{
	struct ot_spec s;
	ot_default(&s, 14, true, false, 60000);
	s.tcp_flags = 0x80 | 0x19;
	run(&s, 1440, false);
	run(&s, 1440, true);
	s.link = 0;
	run(&s, 1000, false);
	/* hop-by-hop options are walked */
	s.v6_ext = 16;
	run(&s, 1000, false);
	s.link = 14;
	run(&s, 1000, true);
	return 0;
}

static int gso_udp(void)
{
	struct ot_spec s;
	for (int v6 = 0; v6 < 2; v6++) {
		ot_default(&s, 14, v6, true, 30000);
		run(&s, 1472, false);
		run(&s, 1472, true);
		s.link = 0;
		run(&s, 1200, false);
	}
	return 0;
}

static int gso_sizes(void)
{
	/* Exact multiples, one byte over, smaller than one segment, empty,
	 * mss 1 and odd mss: the last segment's size is right each time. */
	struct ot_spec s;
	const uint32_t pays[] = { 0, 1, 1459, 1460, 1461, 2920, 2921, 7777 };
	const uint16_t msss[] = { 1, 7, 536, 1460, 65535 };
	for (unsigned a = 0; a < sizeof(pays) / sizeof(pays[0]); a++)
		for (unsigned b = 0; b < sizeof(msss) / sizeof(msss[0]); b++)
			for (int kind = 0; kind < 4; kind++) {
				ot_default(&s, kind & 1 ? 0 : 14, kind & 2, false, pays[a]);
				s.tcp_flags = 0x80 | 0x19;
				if (msss[b] == 1 && pays[a] > 3000)
					continue; /* enough covered with smaller payloads */
				run(&s, msss[b], (a + b) & 1);
				s.udp = true;
				run(&s, msss[b], (a + b + 1) & 1);
			}
	return 0;
}

static int gso_vlan(void)
{
	/* One 802.1Q tag: built by inserting 4 bytes after the MACs. */
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, false, false, 5000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	memmove(sp + 16, sp + 12, len - 12);
	sp[12] = 0x81;
	sp[13] = 0x00;
	sp[14] = 0x00;
	sp[15] = 0x05;
	struct pktlink_pkt p;
	struct pl_gso g;
	mkpkt(&p, sp, len + 4, &s, 1000);
	PLT_OK(pl_gso_init(&g, &p, 14, false));
	PLT_CHECK(pl_gso_count(&g) == 5, "count");
	int r = pl_gso_next(&g, seg, sizeof(seg));
	PLT_CHECK(r == 18 + 20 + 20 + 1000, "len %d", r);
	PLT_CHECK(seg[12] == 0x81 && seg[15] == 5 && seg[16] == 0x08, "tag kept");
	return 0;
}

static int gso_enospc(void)
{
	struct ot_spec s;
	struct ot_layout lo;
	struct pktlink_pkt p;
	struct pl_gso g;
	ot_default(&s, 14, false, false, 3000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	mkpkt(&p, sp, len, &s, 1460);
	PLT_OK(pl_gso_init(&g, &p, 14, false));
	PLT_CHECK(pl_gso_next(&g, seg, 1513) == -ENOSPC, "one byte short");
	PLT_CHECK(pl_gso_next(&g, NULL, 0) == -ENOSPC, "no buffer");
	PLT_CHECK(pl_gso_next(&g, seg, 1514) == 1514, "retry fits");
	PLT_CHECK(pl_gso_next(&g, seg, 1514) == 1514, "second");
	PLT_CHECK(pl_gso_next(&g, seg, 134) == 134, "last 80 bytes");
	PLT_CHECK(pl_gso_next(&g, seg, 1514) == 0, "done");
	return 0;
}

static void expect_reject(uint8_t *buf, uint32_t len, const struct ot_spec *s, uint16_t mss,
			  uint32_t link, const char *what)
{
	struct pktlink_pkt p;
	struct pl_gso g;
	mkpkt(&p, buf, len, s, mss);
	int r = pl_gso_init(&g, &p, link, false);
	PLT_CHECK(r == -EINVAL, "%s: init returned %d", what, r);
}

static int gso_malformed(void)
{
	struct ot_spec s;
	struct ot_layout lo;
	struct pktlink_pkt p;
	struct pl_gso g;

	for (int kind = 0; kind < 6; kind++) {
		ot_default(&s, kind & 1 ? 0 : 14, kind >= 2 && kind < 4, kind >= 4, 4000);
		uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
		/* every truncation: the IP length no longer fits */
		for (uint32_t cut = 0; cut < len; cut = cut < lo.pay + 8 ? cut + 1 : cut + 331)
			expect_reject(sp, cut, &s, 1000, s.link, "truncated");
		mkpkt(&p, sp, len, &s, 1000);
		p.gso_size = 0;
		PLT_CHECK(pl_gso_init(&g, &p, s.link, false) == -EINVAL, "mss 0");
		p.gso_size = 1000;
		p.gso_type = PKTLINK_GSO_NONE;
		PLT_CHECK(pl_gso_init(&g, &p, s.link, false) == -EINVAL, "GSO_NONE");
		p.gso_type = PKTLINK_GSO_UDP;
		PLT_CHECK(pl_gso_init(&g, &p, s.link, false) == -EINVAL, "UFO");
		/* type against the packet */
		p.gso_type = s.udp ? PKTLINK_GSO_TCPV4 : PKTLINK_GSO_UDP_L4;
		PLT_CHECK(pl_gso_init(&g, &p, s.link, false) == -EINVAL, "type/proto mismatch");
		if (!s.udp) {
			p.gso_type = s.v6 ? PKTLINK_GSO_TCPV4 : PKTLINK_GSO_TCPV6;
			PLT_CHECK(pl_gso_init(&g, &p, s.link, false) == -EINVAL, "v4/v6 mismatch");
		}
		/* wrong link length */
		p.gso_type = s.udp ? PKTLINK_GSO_UDP_L4 : s.v6 ? PKTLINK_GSO_TCPV6 : PKTLINK_GSO_TCPV4;
		PLT_CHECK(pl_gso_init(&g, &p, s.link ? 0 : 14, false) == -EINVAL, "link len");
		PLT_CHECK(pl_gso_init(&g, &p, 6, false) == -EINVAL, "link len 6");
		/* still fine */
		PLT_OK(pl_gso_init(&g, &p, s.link, false));
	}

	/* IPv4 field corruption */
	ot_default(&s, 14, false, false, 4000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	uint8_t *ip = sp + 14, *th = sp + lo.l4;
	ip[0] = 0x44;
	expect_reject(sp, len, &s, 1000, 14, "ihl 4");
	ip[0] = 0x4f; /* ihl 60 > ... fine length-wise but then TCP moves; build anew */
	len = ot_build(sp, sizeof(sp), &s, &lo);
	ip[0] = 0x55;
	expect_reject(sp, len, &s, 1000, 14, "version 5");
	len = ot_build(sp, sizeof(sp), &s, &lo);
	ip[6] = 0x20; /* MF */
	expect_reject(sp, len, &s, 1000, 14, "MF");
	ip[6] = 0x40;
	ip[7] = 1; /* fragment offset */
	expect_reject(sp, len, &s, 1000, 14, "frag offset");
	ip[7] = 0;
	ot_wr16(ip + 2, 0);
	expect_reject(sp, len, &s, 1000, 14, "tot_len 0");
	ot_wr16(ip + 2, 19);
	expect_reject(sp, len, &s, 1000, 14, "tot_len < ihl");
	ot_wr16(ip + 2, 30);
	expect_reject(sp, len, &s, 1000, 14, "tot_len < ihl + tcp");
	ot_wr16(ip + 2, (uint16_t)(len - 14 + 1));
	expect_reject(sp, len, &s, 1000, 14, "tot_len past end");
	len = ot_build(sp, sizeof(sp), &s, &lo);
	ip[9] = 1; /* ICMP */
	expect_reject(sp, len, &s, 1000, 14, "ICMP");
	ip[9] = 6;
	sp[12] = 0x08;
	sp[13] = 0x06; /* ARP */
	expect_reject(sp, len, &s, 1000, 14, "ethertype");
	sp[13] = 0x00;
	th[12] = 0x40; /* doff 4 */
	expect_reject(sp, len, &s, 1000, 14, "doff 4");
	th[12] = 0x50;
	/* Ethernet padding after tot_len is not payload. */
	{
		struct ot_spec s2;
		ot_default(&s2, 14, false, false, 2);
		uint32_t l2 = ot_build(sp, sizeof(sp), &s2, &lo);
		memset(sp + l2, 0, 10);
		mkpkt(&p, sp, l2 + 10, &s2, 1);
		PLT_OK(pl_gso_init(&g, &p, 14, false));
		PLT_CHECK(pl_gso_count(&g) == 2, "padding counted as payload");
	}

	/* IPv6: routing, fragment headers, jumbogram, too many options */
	ot_default(&s, 14, true, false, 4000);
	len = ot_build(sp, sizeof(sp), &s, &lo);
	ip = sp + 14;
	ip[6] = 43;
	expect_reject(sp, len, &s, 1000, 14, "routing header");
	ip[6] = 44;
	expect_reject(sp, len, &s, 1000, 14, "fragment header");
	ip[6] = 6;
	ot_wr16(ip + 4, 0);
	expect_reject(sp, len, &s, 1000, 14, "jumbogram");
	s.v6_ext = 8;
	s.payload = 100;
	len = ot_build(sp, sizeof(sp), &s, &lo);
	sp[14 + 40 + 1] = 200; /* option header longer than the packet */
	expect_reject(sp, len, &s, 1000, 14, "ext header length");
	/* a chain of 9 destination-options headers */
	s.v6_ext = 0;
	s.payload = 100;
	len = ot_build(sp, sizeof(sp), &s, &lo);
	memmove(sp + 54 + 72, sp + 54, len - 54);
	for (int k = 0; k < 9; k++) {
		sp[54 + k * 8] = k == 8 ? 6 : 60;
		sp[54 + k * 8 + 1] = 0;
		memset(sp + 54 + k * 8 + 2, 0, 6);
	}
	sp[14 + 6] = 60;
	ot_wr16(sp + 14 + 4, (uint16_t)(len - 54 + 72));
	expect_reject(sp, len + 72, &s, 1000, 14, "9 extension headers");
	/* 8 are fine */
	memmove(sp + 54, sp + 62, len + 72 - 62);
	ot_wr16(sp + 14 + 4, (uint16_t)(len - 54 + 64));
	mkpkt(&p, sp, len + 64, &s, 1000);
	PLT_OK(pl_gso_init(&g, &p, 14, false));

	/* NULL arguments */
	PLT_CHECK(pl_gso_init(NULL, &p, 14, false) == -EINVAL, "NULL g");
	PLT_CHECK(pl_gso_init(&g, NULL, 14, false) == -EINVAL, "NULL pkt");
	p.data = NULL;
	PLT_CHECK(pl_gso_init(&g, &p, 14, false) == -EINVAL, "NULL data");
	PLT_CHECK(pl_gso_next(NULL, seg, sizeof(seg)) == 0, "NULL next");
	PLT_CHECK(pl_gso_count(NULL) == 0, "NULL count");
	return 0;
}

static int gso_random_corruption(void)
{
	/* Random byte flips in the headers and random lengths/types: init
	 * either rejects or produces segments that stay in bounds (ASan). */
	struct ot_spec s;
	struct ot_layout lo;
	struct pktlink_pkt p;
	struct pl_gso g;
	unsigned accepted = 0;
	for (unsigned it = 0; it < 20000; it++) {
		uint64_t r = plt_rand();
		ot_default(&s, r & 1 ? 14 : 0, r & 2, r & 4, (uint32_t)(r >> 8) % 3000);
		s.v6_ext = (r & 8) && s.v6 ? 8 : 0;
		uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
		unsigned flips = 1 + (unsigned)((r >> 20) % 4);
		for (unsigned k = 0; k < flips; k++) {
			uint64_t q = plt_rand();
			sp[q % lo.pay] = (uint8_t)(q >> 32);
		}
		mkpkt(&p, sp, (uint32_t)(len - ((r >> 24) & 1 ? (r >> 32) % (len + 1) : 0)), &s,
		      (uint16_t)(1 + (r >> 40) % 2000));
		if ((r >> 52) & 1)
			p.gso_type = (uint8_t)(r >> 56);
		if (pl_gso_init(&g, &p, s.link, (r >> 53) & 1) < 0)
			continue;
		accepted++;
		int n;
		unsigned segs = 0;
		while ((n = pl_gso_next(&g, seg, sizeof(seg))) > 0) {
			PLT_CHECK((uint32_t)n <= p.len, "segment longer than the super-packet");
			segs++;
		}
		PLT_CHECK(n == 0 && segs == pl_gso_count(&g), "iteration");
	}
	PLT_CHECK(accepted > 100, "some corrupted packets should still parse (%u)", accepted);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "gso_tcp4_64k", gso_tcp4_64k, PLT_UNIT, 0 },
		{ "gso_tcp6", gso_tcp6, PLT_UNIT, 0 },
		{ "gso_udp", gso_udp, PLT_UNIT, 0 },
		{ "gso_sizes", gso_sizes, PLT_UNIT, 0 },
		{ "gso_vlan", gso_vlan, PLT_UNIT, 0 },
		{ "gso_enospc", gso_enospc, PLT_UNIT, 0 },
		{ "gso_malformed", gso_malformed, PLT_UNIT, 0 },
		{ "gso_random_corruption", gso_random_corruption, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
