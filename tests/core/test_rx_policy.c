/* SPDX-License-Identifier: MIT */
/*
 * test_rx_policy: the one receive policy (src/core/rx_policy.h) — bounds,
 * the MAC filter (unicast for us / another host, broadcast, multicast,
 * promiscuous, no address yet, address changed), VLAN re-insertion with its
 * checksum-offset shift, and the offload flags: partial checksums completed
 * or passed on depending on what the stack asked for, super-packets refused
 * unless taken, CSUM_VALID cleared unless asked for.
 */
#include "harness.h"

#include <string.h>

#include "core/offload_testlib.h"
#include "core/rx_policy.h"

static const uint8_t us[6] = { 2, 0, 0, 0, 1, 1 }, other[6] = { 2, 0, 0, 0, 1, 9 };

static struct pktlink_pkt frame(uint8_t *buf, const uint8_t dst[6])
{
	memset(buf, 0, 100);
	memcpy(buf, dst, 6);
	buf[12] = 0x08;
	return (struct pktlink_pkt){ .data = buf, .len = 60 };
}

static int filter(void)
{
	uint8_t b[100];
	struct pl_rx_policy rp;
	pl_rx_policy_init(&rp, true, false, us, false, false);
	struct pktlink_pkt p = frame(b, us);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "ours");
	p = frame(b, other);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_FILTER, "another host's");
	const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mc[6] = { 1, 0, 0x5e, 0, 0, 1 };
	p = frame(b, bc);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "broadcast");
	p = frame(b, mc);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "multicast");
	/* a differing last byte only (the 4 + 2 compare) */
	uint8_t near[6];
	memcpy(near, us, 6);
	near[5] ^= 0x80;
	p = frame(b, near);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_FILTER, "last byte differs");
	/* the address changes */
	pl_rx_policy_set_addr(&rp, other);
	p = frame(b, other);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "new address");
	p = frame(b, us);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_FILTER, "old address");
	/* promiscuous: everything, even after an address is set */
	pl_rx_policy_init(&rp, true, true, us, false, false);
	p = frame(b, other);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "promisc");
	pl_rx_policy_set_addr(&rp, us);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "promisc after set_addr");
	/* no address yet: everything; then filtering starts */
	pl_rx_policy_init(&rp, true, false, NULL, false, false);
	p = frame(b, other);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "no address");
	pl_rx_policy_set_addr(&rp, us);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_FILTER, "address set later");
	return 0;
}

static int bounds(void)
{
	uint8_t b[100];
	struct pl_rx_policy rp;
	pl_rx_policy_init(&rp, true, true, NULL, true, true);
	struct pktlink_pkt p = frame(b, us);
	p.len = 13;
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_INVALID, "runt");
	p.len = 14;
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "header only");
	pl_rx_policy_init(&rp, false, false, NULL, true, true); /* raw IP */
	p.len = 1;
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "raw IP, 1 byte");
	p.len = 0;
	PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_INVALID, "empty");
	return 0;
}

static int vlan(void)
{
	uint8_t b[4 + 100], orig[60];
	struct pl_rx_policy rp;
	pl_rx_policy_init(&rp, true, false, us, true, true);
	struct pktlink_pkt p = frame(b + 4, us);
	memcpy(orig, b + 4, 60);
	p.flags = PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = 34;
	p.csum_offset = 16;
	PLT_CHECK(pl_rx_apply(&rp, &p, 0x8100, 0x2064) == PL_RX_KEEP, "tagged");
	PLT_CHECK(p.data == b && p.len == 64, "tag inserted before data");
	PLT_CHECK(!memcmp(p.data, orig, 12) && p.data[12] == 0x81 && p.data[13] == 0 &&
			  p.data[14] == 0x20 && p.data[15] == 0x64 && !memcmp(p.data + 16, orig + 12, 48),
		  "on-wire bytes");
	PLT_CHECK(p.csum_start == 38, "csum_start shifted with the tag");
	/* a csum_start that would overflow */
	p = frame(b + 4, us);
	p.flags = PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = 65534;
	PLT_CHECK(pl_rx_apply(&rp, &p, 0x8100, 1) == PL_RX_INVALID, "csum_start overflow");
	/* filtered frames are not touched */
	p = frame(b + 4, other);
	PLT_CHECK(pl_rx_apply(&rp, &p, 0x8100, 1) == PL_RX_FILTER && p.data == b + 4, "filtered");
	return 0;
}

static int offloads(void)
{
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, false, false, 500);
	static uint8_t want[2000], buf[2000];
	uint32_t len = ot_build(want, sizeof(want), &s, &lo);
	struct pl_rx_policy rp;
	for (int asked = 0; asked < 2; asked++) {
		pl_rx_policy_init(&rp, true, true, NULL, asked, false);
		memcpy(buf, want, len);
		ot_make_partial(buf, &s, &lo);
		struct pktlink_pkt p = { .data = buf, .len = len,
					 .flags = PKTLINK_PKT_CSUM_PARTIAL | PKTLINK_PKT_CSUM_VALID,
					 .csum_start = (uint16_t)lo.l4, .csum_offset = 16 };
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "partial");
		if (asked) {
			PLT_CHECK((p.flags & PKTLINK_PKT_CSUM_PARTIAL) && (p.flags & PKTLINK_PKT_CSUM_VALID) &&
					  p.csum_start == lo.l4 && memcmp(buf, want, len),
				  "passed on as it came");
		} else {
			PLT_CHECK(!(p.flags & (PKTLINK_PKT_CSUM_PARTIAL | PKTLINK_PKT_CSUM_VALID)) &&
					  !p.csum_start && !p.csum_offset && !memcmp(buf, want, len),
				  "completed in the buffer, flags cleared");
		}
		/* offsets outside the frame */
		p = (struct pktlink_pkt){ .data = buf, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
					  .csum_start = (uint16_t)(len - 1), .csum_offset = 16 };
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == (asked ? PL_RX_KEEP : PL_RX_INVALID),
			  "bad offsets (%d)", asked);
		/* super-packets: only when taken, and partial ones need rx_csum */
		p = (struct pktlink_pkt){ .data = buf, .len = len, .gso_type = PKTLINK_GSO_TCPV4,
					  .gso_size = 100 };
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_INVALID, "gso not taken");
		pl_rx_policy_init(&rp, true, true, NULL, asked, true);
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP, "gso taken");
		p.flags = PKTLINK_PKT_CSUM_PARTIAL;
		p.csum_start = (uint16_t)lo.l4;
		p.csum_offset = 16;
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == (asked ? PL_RX_KEEP : PL_RX_INVALID),
			  "partial gso (%d)", asked);
	}
	return 0;
}

/* Partial checksums nothing marked (AF_XDP, AF_PACKET without vnet_hdr on a
 * veth): completed when fix_unmarked is set (and the lower layer did not say the
 * checksum is complete), a correct frame left as it is. */
static int unmarked(void)
{
	static uint8_t want[2000], buf[2000];
	for (int v = 0; v < 4; v++) {
		struct ot_spec s;
		struct ot_layout lo;
		ot_default(&s, 14, v & 1, v & 2, 500);
		uint32_t len = ot_build(want, sizeof(want), &s, &lo);
		struct pl_rx_policy rp;
		pl_rx_policy_init(&rp, true, true, NULL, false, false);
		memcpy(buf, want, len);
		ot_make_partial(buf, &s, &lo);
		struct pktlink_pkt p = { .data = buf, .len = len };
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP && memcmp(buf, want, len),
			  "left alone without fix_unmarked (%d)", v);
		rp.fix_unmarked = 1;
		/* the lower layer said the checksum is complete: no parse, no change */
		PLT_CHECK(pl_rx_apply_hinted(&rp, &p, 0, 0, false) == PL_RX_KEEP &&
				  memcmp(buf, want, len),
			  "left alone when not marked partial (%d)", v);
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP && !memcmp(buf, want, len),
			  "completed (%d)", v);
		PLT_CHECK(pl_rx_apply(&rp, &p, 0, 0) == PL_RX_KEEP && !memcmp(buf, want, len),
			  "a correct frame stays correct (%d)", v);
		PLT_CHECK(!pl_rx_fix_unmarked(buf, 20, 14), "short frame (%d)", v);
	}
	return 0;
}

/* The common-frame shortcut of the unmarked check answers as the full parse
 * does: frames the parse refuses (a fragment, a UDP checksum of 0, neither
 * TCP nor UDP) are left alone even when their field matches. */
static int unmarked_refused(void)
{
	static uint8_t want[2000], buf[2000];
	for (int v = 0; v < 2; v++) {
		struct ot_spec s;
		struct ot_layout lo;
		ot_default(&s, 14, false, v & 1, 300);
		uint32_t len = ot_build(want, sizeof(want), &s, &lo);
		uint32_t field = lo.l4 + (s.udp ? 6 : 16);
		/* MF set: a fragment, refused by the parse */
		memcpy(buf, want, len);
		ot_make_partial(buf, &s, &lo);
		buf[lo.l3 + 6] |= 0x20;
		memcpy(want, buf, len);
		PLT_CHECK(!pl_rx_fix_unmarked(buf, len, 14) && !memcmp(buf, want, len),
			  "fragment left alone (%d)", v);
		/* an IP protocol that is neither: left alone */
		buf[lo.l3 + 6] &= (uint8_t)~0x20;
		buf[lo.l3 + 9] = 1;
		memcpy(want, buf, len);
		PLT_CHECK(!pl_rx_fix_unmarked(buf, len, 14) && !memcmp(buf, want, len),
			  "ICMP left alone (%d)", v);
		/* a length beyond the frame: refused */
		buf[lo.l3 + 9] = s.udp ? 17 : 6;
		PLT_CHECK(!pl_rx_fix_unmarked(buf, field + 1, 14), "cut frame (%d)", v);
		if (s.udp) {
			buf[field] = buf[field + 1] = 0;
			memcpy(want, buf, len);
			PLT_CHECK(!pl_rx_fix_unmarked(buf, len, 14) && !memcmp(buf, want, len),
				  "UDP without a checksum left alone");
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "filter", filter, PLT_UNIT, 0 },
		{ "bounds", bounds, PLT_UNIT, 0 },
		{ "vlan", vlan, PLT_UNIT, 0 },
		{ "offloads", offloads, PLT_UNIT, 0 },
		{ "unmarked", unmarked, PLT_UNIT, 0 },
		{ "unmarked_refused", unmarked_refused, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
