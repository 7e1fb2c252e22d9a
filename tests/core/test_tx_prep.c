/* SPDX-License-Identifier: MIT */
/*
 * test_tx_prep: the core transmit preparation step (src/core/tx_prep.h) —
 * the verdict for every kind of frame under every kind of lower layer
 * (virtio-net header with and without GSO, bytes only with software GSO,
 * bytes only without GSO), and the output frames its iterator writes:
 * plain copies, completed checksums and segments, checked against an
 * independent reference (tests/core/offload_testlib.h).
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/offload_testlib.h"
#include "core/tx_prep.h"

static uint8_t sp[70000];

/* The four kinds of lower layer. */
static const struct pl_tx_caps caps_host = { .min_len = 14, .frame_max = 1514, .super_max = 65536 + 18,
					    .link_len = 14, .tag_len = 4, .csum_pass = 1,
					    .gso_pass = 1 }; /* vnet, gso=host */
static const struct pl_tx_caps caps_vnet_sw = { .min_len = 14, .frame_max = 1514,
						.super_max = 65536 + 18, .link_len = 14, .tag_len = 4,
						.csum_pass = 1 }; /* vnet, gso=software */
static const struct pl_tx_caps caps_sw = { .min_len = 14, .frame_max = 1514,
					   .super_max = 65536 + 18,
					   .link_len = 14 }; /* AF_XDP */
static const struct pl_tx_caps caps_none = { .min_len = 14, .frame_max = 1514,
					     .link_len = 14 }; /* no GSO */

static int classify_table(void)
{
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, false, false, 4000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	struct pktlink_pkt plain = { .data = sp, .len = 1000 };
	struct pktlink_pkt csum = { .data = sp, .len = 1000, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				    .csum_start = 34, .csum_offset = 16 };
	struct pktlink_pkt gso = { .data = sp, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				   .csum_start = 34, .csum_offset = 16, .gso_size = 1448,
				   .gso_type = PKTLINK_GSO_TCPV4 };
	const struct pl_tx_caps *all[] = { &caps_host, &caps_vnet_sw, &caps_sw, &caps_none };
	const int want_plain[] = { PL_TX_PLAIN, PL_TX_PLAIN, PL_TX_PLAIN, PL_TX_PLAIN };
	const int want_csum[] = { PL_TX_PASS, PL_TX_PASS, PL_TX_CSUM, PL_TX_CSUM };
	const int want_gso[] = { PL_TX_PASS, PL_TX_GSO, PL_TX_GSO, PL_TX_INVALID };
	for (unsigned i = 0; i < 4; i++) {
		PLT_CHECK(pl_tx_classify(all[i], &plain) == want_plain[i], "caps %u plain", i);
		PLT_CHECK(pl_tx_classify(all[i], &csum) == want_csum[i], "caps %u csum", i);
		PLT_CHECK(pl_tx_classify(all[i], &gso) == want_gso[i], "caps %u gso", i);
		/* never sendable, whatever is below */
		struct pktlink_pkt p = plain;
		p.data = NULL;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u NULL data", i);
		p = plain;
		p.len = 13;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u runt", i);
		p.len = 0;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u empty", i);
		p.len = all[i]->frame_max + 1;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u MTU+1", i);
		p.len = all[i]->frame_max;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_PLAIN, "caps %u MTU", i);
		/* a frame with an 802.1Q/802.1ad tag in its bytes: 4 more
		 * where the link carries tags, not one byte more */
		static uint8_t tagged[1600];
		memcpy(tagged, sp, 12);
		for (unsigned t = 0; t < 2; t++) {
			tagged[12] = t ? 0x88 : 0x81;
			tagged[13] = t ? 0xa8 : 0x00;
			p = plain;
			p.data = tagged;
			p.len = all[i]->frame_max + 4;
			PLT_CHECK(pl_tx_classify(all[i], &p) ==
					  (all[i]->tag_len ? PL_TX_PLAIN : PL_TX_INVALID),
				  "caps %u tagged MTU", i);
			p.len = all[i]->frame_max + 5;
			PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u tagged MTU+1",
				  i);
		}
		p = csum;
		p.csum_start = 990;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u csum outside", i);
		p = csum;
		p.len = all[i]->frame_max + 1;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u csum too long", i);
		p = gso;
		p.gso_size = 0;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u gso_size 0", i);
		p = gso;
		p.len = 65536 + 19;
		PLT_CHECK(pl_tx_classify(all[i], &p) == PL_TX_INVALID, "caps %u super too long", i);
	}
	return 0;
}

/* Plain and PASS frames: one output frame, a byte-exact copy. */
static int iter_copy(void)
{
	uint8_t in[200], out[300];
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	struct pktlink_pkt p = { .data = in, .len = sizeof(in) };
	struct pl_tx_iter it;
	PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_PLAIN) == 1, "count");
	PLT_CHECK(pl_tx_iter_next_len(&it) == 200, "next_len");
	PLT_CHECK(pl_tx_iter_next(&it, out, 100) == -ENOSPC, "small buffer");
	PLT_CHECK(pl_tx_iter_next(&it, out, sizeof(out)) == 200, "next");
	PLT_CHECK(memcmp(in, out, 200) == 0, "copy");
	PLT_CHECK(pl_tx_iter_next_len(&it) == 0 && pl_tx_iter_next(&it, out, sizeof(out)) == 0,
		  "end");
	PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_INVALID) == -EINVAL, "invalid how");
	return 0;
}

/* A partial checksum completed into the output: equal to the full build,
 * for TCP/UDP over IPv4/IPv6; the caller's frame is untouched. */
static int iter_csum(void)
{
	for (unsigned k = 0; k < 4; k++) {
		bool v6 = k & 1, udp = k & 2;
		struct ot_spec s;
		struct ot_layout lo;
		ot_default(&s, 14, v6, udp, 777);
		static uint8_t want[2000], part[2000], out[2000];
		uint32_t len = ot_build(want, sizeof(want), &s, &lo);
		memcpy(part, want, len);
		ot_make_partial(part, &s, &lo);
		struct pktlink_pkt p = { .data = part, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
					 .csum_start = (uint16_t)lo.l4, .csum_offset = udp ? 6 : 16 };
		int how = pl_tx_classify(&caps_sw, &p);
		PLT_CHECK(how == PL_TX_CSUM, "verdict %d", how);
		struct pl_tx_iter it;
		PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, how) == 1, "count");
		PLT_CHECK(pl_tx_iter_next(&it, out, sizeof(out)) == (int)len, "len");
		PLT_CHECK(memcmp(out, want, len) == 0, "case %u: not the full frame", k);
		PLT_CHECK(memcmp(part, want, len) != 0, "caller frame modified");
		/* in place (a TX buffer): the same bytes, and the request cleared */
		PLT_CHECK(pl_tx_csum_in_place(&p) == 0, "in place");
		PLT_CHECK(memcmp(part, want, len) == 0, "case %u: in place differs", k);
		PLT_CHECK(!(p.flags & PKTLINK_PKT_CSUM_PARTIAL) && !p.csum_start && !p.csum_offset,
			  "request not cleared");
	}
	return 0;
}

/* Segments: every one checked by the reference, lengths announced right. */
static int iter_gso(void)
{
	static const struct {
		bool v6, udp;
		uint32_t payload;
		uint16_t mss;
	} cases[] = {
		{ false, false, 20000, 1448 }, { true, false, 9000, 1428 }, { false, true, 6000, 1472 },
		{ false, false, 64000, 1448 }, { false, false, 500, 1448 }, { true, true, 3000, 1000 },
	};
	static uint8_t out[2000];
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ot_spec s;
		struct ot_layout lo;
		ot_default(&s, 14, cases[k].v6, cases[k].udp, cases[k].payload);
		uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
		ot_make_partial(sp, &s, &lo);
		struct pktlink_pkt p = { .data = sp, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
					 .csum_start = (uint16_t)lo.l4,
					 .csum_offset = cases[k].udp ? 6 : 16,
					 .gso_size = cases[k].mss,
					 .gso_type = cases[k].udp ? PKTLINK_GSO_UDP_L4 :
						     cases[k].v6  ? PKTLINK_GSO_TCPV6 :
								    PKTLINK_GSO_TCPV4 };
		PLT_CHECK(pl_tx_classify(&caps_sw, &p) == PL_TX_GSO, "verdict");
		struct pl_tx_iter it;
		uint32_t n = (cases[k].payload + cases[k].mss - 1) / cases[k].mss;
		PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_GSO) == (int)n, "case %u count", k);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t want_len = pl_tx_iter_next_len(&it);
			int r = pl_tx_iter_next(&it, out, sizeof(out));
			PLT_CHECK(r > 0 && (uint32_t)r == want_len, "case %u seg %u: %d, announced %u", k,
				  i, r, want_len);
			char why[200];
			PLT_CHECK(ot_check_segment(out, (uint32_t)r, &s, &lo, cases[k].mss, i, n, false,
						   true, why, sizeof(why)),
				  "case %u: %s", k, why);
		}
		PLT_CHECK(pl_tx_iter_next_len(&it) == 0 && pl_tx_iter_next(&it, out, sizeof(out)) == 0,
			  "case %u: more segments", k);
	}
	return 0;
}

/* Requests found malformed only when parsed: refused before any output. */
static int iter_gso_malformed(void)
{
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, false, false, 5000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	struct pktlink_pkt p = { .data = sp, .len = len, .gso_size = 1448,
				 .gso_type = PKTLINK_GSO_TCPV6 };
	struct pl_tx_iter it;
	PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_GSO) == -EINVAL, "type mismatch");
	p.gso_type = PKTLINK_GSO_TCPV4;
	p.gso_size = 1501; /* segments longer than frame_max */
	PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_GSO) == -EINVAL, "segment too long");
	p.gso_size = 1448;
	p.len = 40; /* headers cut */
	PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_GSO) == -EINVAL, "truncated");
	p.len = len;
	p.gso_type = 9;
	PLT_CHECK(pl_tx_iter_init(&it, &caps_sw, &p, PL_TX_GSO) == -EINVAL, "unknown type");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "classify_table", classify_table, PLT_UNIT, 0 },
		{ "iter_copy", iter_copy, PLT_UNIT, 0 },
		{ "iter_csum", iter_csum, PLT_UNIT, 0 },
		{ "iter_gso", iter_gso, PLT_UNIT, 0 },
		{ "iter_gso_malformed", iter_gso_malformed, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
