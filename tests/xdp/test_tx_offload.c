/* SPDX-License-Identifier: MIT */
/*
 * test_tx_offload: offload requests given to an xdp endpoint's tx_burst go
 * out on the wire completed. AF_XDP sends bytes as they are, so pktlink
 * must complete partial checksums and cut GSO super-packets itself (the
 * core TX preparation step, src/core/tx_prep.h). Frames leave plx0 through
 * the endpoint and are captured with AF_PACKET on the peer plx1, where every
 * frame is checked byte for byte: against the same packet built with full
 * checksums (partial checksum), or segment by segment with an independent
 * checker (GSO: lengths, IPv4 ids and header checksums, TCP seq and flags,
 * UDP lengths, L4 checksums, payload). Also: the capabilities advertise it,
 * TX buffers (tx_alloc) get their checksum completed in place, malformed
 * requests are dropped and counted, and stats add up.
 */
#include "xdp_common.h"

#include "core/offload_testlib.h"

static uint8_t sp[70000];

/* Receive the next IPv4/IPv6 frame of the test flow (dport) on raw within
 * timeout_ms; return its length or 0. */
static uint32_t recv_flow(int raw, uint8_t *buf, uint32_t cap, uint16_t dport, int timeout_ms)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		uint64_t now = plt_now_ns();
		if (now >= end)
			return 0;
		struct pollfd p = { .fd = raw, .events = POLLIN };
		if (poll(&p, 1, (int)((end - now) / 1000000ull) + 1) <= 0)
			continue;
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(raw, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 14 + 40 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		uint16_t et = ot_rd16(buf + 12);
		uint32_t l4 = et == 0x0800 ? 14 + 20 : et == 0x86dd ? 14 + 40 : 0;
		if (l4 && (uint32_t)n >= l4 + 4 && ot_rd16(buf + l4 + 2) == dport)
			return (uint32_t)n;
	}
}

/* Send one frame, retrying while the ring is full (bounded). */
static void send_one(struct pktlink_ep *ep, struct pktlink_pkt *p)
{
	uint64_t end = plt_now_ns() + 5000000000ull;
	for (;;) {
		int r = pktlink_tx_burst(ep, p, 1);
		PLT_OK(r);
		if (r == 1)
			return;
		PLT_CHECK(plt_now_ns() < end, "tx_burst took nothing for 5 s");
		usleep(1000);
	}
}

/* A spec for one flow: Ethernet from plx0's to plx1's MAC. */
static void flow(struct ot_spec *s, bool v6, bool udp, uint32_t payload, uint16_t dport)
{
	ot_default(s, 14, v6, udp, payload);
	plt_mac(XT_A, s->smac);
	plt_mac(XT_B, s->dmac);
	s->dport = dport;
}

/* A partial-checksum frame arrives with the checksum a full build has. */
static void csum_case(struct pktlink_ep *ep, int raw, bool v6, bool udp, uint16_t dport)
{
	struct ot_spec s;
	struct ot_layout lo;
	flow(&s, v6, udp, 1000, dport);
	static uint8_t want[2000], buf[2000], part[2000];
	uint32_t len = ot_build(want, sizeof(want), &s, &lo);
	PLT_CHECK(len, "build");
	memcpy(part, want, len);
	ot_make_partial(part, &s, &lo);
	PLT_CHECK(memcmp(part, want, len) != 0, "the partial frame differs from the full one");
	struct pktlink_pkt p = { .data = part,
				 .len = len,
				 .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = (uint16_t)lo.l4,
				 .csum_offset = udp ? 6 : 16 };
	send_one(ep, &p);
	uint32_t got = recv_flow(raw, buf, sizeof(buf), dport, 5000);
	PLT_CHECK(got == len, "%s/%s partial checksum: received %u bytes, want %u",
		  v6 ? "v6" : "v4", udp ? "udp" : "tcp", got, len);
	PLT_CHECK(memcmp(buf, want, len) == 0, "%s/%s: the frame on the wire is not the full one",
		  v6 ? "v6" : "v4", udp ? "udp" : "tcp");
	char why[200];
	PLT_CHECK(ot_check_segment(buf, got, &s, &lo, 1000, 0, 1, false, true, why, sizeof(why)),
		  "%s", why);
	PLT_CHECK(memcmp(part, want, len) != 0, "the caller's frame was modified");
}

/* A super-packet arrives as its segments, each correct. Returns segments. */
static uint32_t gso_case(struct pktlink_ep *ep, int raw, bool v6, bool udp, uint32_t payload,
			 uint16_t mss, uint16_t dport)
{
	struct ot_spec s;
	struct ot_layout lo;
	flow(&s, v6, udp, payload, dport);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	PLT_CHECK(len, "build");
	ot_make_partial(sp, &s, &lo);
	struct pktlink_pkt p = { .data = sp,
				 .len = len,
				 .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = (uint16_t)lo.l4,
				 .csum_offset = udp ? 6 : 16,
				 .gso_size = mss,
				 .gso_type = udp  ? PKTLINK_GSO_UDP_L4 :
					     v6	  ? PKTLINK_GSO_TCPV6 :
						    PKTLINK_GSO_TCPV4 };
	send_one(ep, &p);
	uint32_t n = (payload + mss - 1) / mss;
	static uint8_t buf[2000];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t got = recv_flow(raw, buf, sizeof(buf), dport, 5000);
		PLT_CHECK(got, "segment %u of %u did not arrive", i, n);
		char why[200];
		PLT_CHECK(ot_check_segment(buf, got, &s, &lo, mss, i, n, false, true, why, sizeof(why)),
			  "%s", why);
	}
	PLT_CHECK(recv_flow(raw, buf, sizeof(buf), dport, 100) == 0, "more segments than %u", n);
	return n;
}

static int offloads(const char *spec)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open(spec);
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD, "caps lack TX_CSUM_OFFLOAD");
	PLT_CHECK(info.gso_kind == PKTLINK_GSO_KIND_SOFTWARE, "gso_kind %u", info.gso_kind);
	PLT_CHECK(info.gso_max_size >= 65535, "gso_max_size %u", info.gso_max_size);
	int raw = xt_raw(XT_B);
	uint64_t frames = 0;
	csum_case(ep, raw, false, false, 5001);
	csum_case(ep, raw, false, true, 5002);
	csum_case(ep, raw, true, false, 5003);
	frames += 3;
	/* stats count the caller's frames: a super-packet once */
	frames += gso_case(ep, raw, false, false, 20000, 1448, 5004) ? 1 : 0;
	frames += gso_case(ep, raw, true, false, 9000, 1428, 5005) ? 1 : 0;
	frames += gso_case(ep, raw, false, true, 6000, 1472, 5006) ? 1 : 0;
	frames += gso_case(ep, raw, false, false, 64000, 1448, 5007) ? 1 : 0; /* 45 segments */
	frames += gso_case(ep, raw, false, false, 500, 1448, 5008) ? 1 : 0; /* fits one */

	/* Never sendable: taken, dropped, counted. */
	struct ot_spec s;
	struct ot_layout lo;
	flow(&s, false, false, 3000, 5009);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	struct pktlink_pkt bad[4] = {
		/* gso_size 0 */
		{ .data = sp, .len = len, .gso_type = PKTLINK_GSO_TCPV4 },
		/* the type does not match the headers */
		{ .data = sp, .len = len, .gso_type = PKTLINK_GSO_TCPV6, .gso_size = 1000 },
		/* checksum field outside the frame */
		{ .data = sp, .len = 100, .flags = PKTLINK_PKT_CSUM_PARTIAL, .csum_start = 90,
		  .csum_offset = 16 },
		/* too large without GSO */
		{ .data = sp, .len = 1515 },
	};
	PLT_CHECK(pktlink_tx_burst(ep, bad, 4) == 4, "invalid frames must be taken");
	uint8_t buf[2000];
	PLT_CHECK(recv_flow(raw, buf, sizeof(buf), 5009, 200) == 0, "an invalid frame went out");

	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	PLT_CHECK(st.tx_drop_invalid == 4, "tx_drop_invalid %llu, want 4",
		  (unsigned long long)st.tx_drop_invalid);
	PLT_CHECK(st.tx_packets == frames, "tx_packets %llu, want %llu",
		  (unsigned long long)st.tx_packets, (unsigned long long)frames);
	close(raw);
	pktlink_close(ep);
	return 0;
}

static int drv(void)
{
	return offloads("xdp:" XT_A "?mode=drv");
}

static int skb(void)
{
	return offloads("xdp:" XT_A "?mode=skb");
}

/* Multi-buffer with a jumbo MTU: segments longer than one chunk go out as
 * chains. */
static int sg_jumbo(void)
{
	xt_setup(9000);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&sg=1");
	int raw = xt_raw(XT_B);
	struct ot_spec s;
	struct ot_layout lo;
	flow(&s, false, false, 30000, 5010);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	ot_make_partial(sp, &s, &lo);
	struct pktlink_pkt p = { .data = sp, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = (uint16_t)lo.l4, .csum_offset = 16,
				 .gso_size = 8000, .gso_type = PKTLINK_GSO_TCPV4 };
	send_one(ep, &p);
	static uint8_t buf[10000];
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t got = recv_flow(raw, buf, sizeof(buf), 5010, 5000);
		PLT_CHECK(got, "segment %u of 4 did not arrive", i);
		char why[200];
		PLT_CHECK(ot_check_segment(buf, got, &s, &lo, 8000, i, 4, false, true, why, sizeof(why)),
			  "%s", why);
	}
	close(raw);
	pktlink_close(ep);
	return 0;
}

/* A TX buffer (tx_alloc) with a partial checksum is completed in place. */
static int txbuf_csum(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb");
	int raw = xt_raw(XT_B);
	struct ot_spec s;
	struct ot_layout lo;
	flow(&s, false, false, 1200, 5011);
	static uint8_t want[2000], buf[2000];
	uint32_t len = ot_build(want, sizeof(want), &s, &lo);
	struct pktlink_pkt p;
	uint64_t end = plt_now_ns() + 2000000000ull;
	int r;
	while ((r = pktlink_tx_alloc(ep, &p, 1)) == 0 && plt_now_ns() < end)
		usleep(1000);
	PLT_CHECK(r == 1, "tx_alloc: %d", r);
	PLT_CHECK(p.len >= len, "TX buffer of %u bytes", p.len);
	memcpy(p.data, want, len);
	ot_make_partial(p.data, &s, &lo);
	p.len = len;
	p.flags |= PKTLINK_PKT_CSUM_PARTIAL;
	p.csum_start = (uint16_t)lo.l4;
	p.csum_offset = 16;
	send_one(ep, &p);
	uint32_t got = recv_flow(raw, buf, sizeof(buf), 5011, 5000);
	PLT_CHECK(got == len && memcmp(buf, want, len) == 0, "TX buffer: wrong frame on the wire");
	close(raw);
	pktlink_close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "drv", drv, PLT_NETNS, 60 },
		{ "skb", skb, PLT_NETNS, 60 },
		{ "sg_jumbo", sg_jumbo, PLT_NETNS, 60 },
		{ "txbuf_csum", txbuf_csum, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
