/* SPDX-License-Identifier: MIT */
/*
 * test_gso_kernel: software GSO checked against the kernel's segmentation,
 * byte for byte. The same super-packet goes (a) through a real TAP with a
 * virtio-net header and the kernel's forwarding path to a TAP without
 * offloads, where the kernel must segment it and complete the checksums,
 * and (b) through pl_gso. After applying what forwarding changes (MAC
 * addresses, TTL / hop limit and so the IPv4 header checksum), every
 * segment must be identical: IP ids, lengths, TCP seq and flags, UDP
 * lengths, checksums, payload. Also with pl_gso's partial output completed
 * by pl_csum_complete.
 */
#include "tap_testlib.h"

static uint8_t sp[70000];
static uint8_t ksegs[200000];
static uint32_t klens[256];
static uint8_t mine[2000];

struct kcase {
	const char *name;
	bool v6, udp;
	uint32_t payload;
	uint16_t mss;
	uint8_t flags;
	uint32_t opts;
	bool no_df;
	uint32_t v6_ext;
};

/* Apply the forwarding changes to one of our segments. */
static void as_forwarded(uint8_t *f, const struct tt_path *p, bool v6)
{
	memcpy(f, p->host_b_mac, 6);
	memcpy(f + 6, p->b_mac, 6);
	uint8_t *ip = f + 14;
	if (v6) {
		ip[7]--;
	} else {
		ip[8]--;
		ip[10] = ip[11] = 0;
		ot_wr16(ip + 10, ot_fold(ot_sum(ip, (uint32_t)(ip[0] & 15) * 4, 0)));
	}
}

static const char *field_at(uint32_t off, const struct ot_layout *lo, bool v6, bool udp)
{
	if (off < 14)
		return "ethernet";
	if (off < lo->l4) {
		uint32_t o = off - 14;
		if (v6)
			return o < 4 ? "ipv6 tc/flow" : o < 6 ? "ipv6 payload_len" : "ipv6 other";
		return o < 2 ? "ipv4 ver/tos" : o < 4 ? "ipv4 tot_len" : o < 6 ? "ipv4 id" :
		       o < 8 ? "ipv4 frag" : o < 10 ? "ipv4 ttl/proto" : o < 12 ? "ipv4 csum" :
							  "ipv4 addr";
	}
	if (off < lo->pay) {
		uint32_t o = off - lo->l4;
		if (udp)
			return o < 4 ? "udp ports" : o < 6 ? "udp len" : "udp csum";
		return o < 4 ? "tcp ports" : o < 8 ? "tcp seq" : o < 12 ? "tcp ack" : o < 14 ?
			"tcp doff/flags" : o < 16 ? "tcp window" : o < 18 ? "tcp csum" : "tcp opts";
	}
	return "payload";
}

static void run_case(struct tt_path *p, const struct kcase *c)
{
	struct ot_spec s;
	struct ot_layout lo;
	struct pktlink_pkt pkt;
	tt_spec(&s, p, c->v6, c->udp, c->payload);
	s.tcp_flags = c->flags;
	s.tcp_opts = c->opts;
	s.v6_ext = c->v6_ext;
	s.seed = c->payload * 7 + c->mss;
	s.dport = (uint16_t)(6000 + (plt_rand() & 1023));
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	PLT_CHECK(len, "%s: build", c->name);
	if (c->no_df && !c->v6) {
		uint8_t *ip = sp + 14;
		ip[6] = 0;
		ip[10] = ip[11] = 0;
		ot_wr16(ip + 10, ot_fold(ot_sum(ip, 20, 0)));
	}
	ot_make_partial(sp, &s, &lo);
	tt_super_pkt(&pkt, sp, len, &s, &lo, c->mss);

	/* (a) the kernel */
	tt_write_vnet(p->a, &pkt);
	unsigned want = (c->payload + c->mss - 1) / c->mss;
	unsigned got = tt_collect(p->b, p->host_b_mac, c->v6, c->udp ? 17 : 6, s.dport, want, ksegs,
				  sizeof(ksegs), klens);
	PLT_CHECK(got == want, "%s: the kernel produced %u segments, want %u", c->name, got, want);

	/* (b) pl_gso, full and partial-then-completed */
	for (int partial = 0; partial < 2; partial++) {
		struct pl_gso g;
		PLT_OK(pl_gso_init(&g, &pkt, 14, partial));
		PLT_CHECK(pl_gso_count(&g) == want, "%s: count %u", c->name, pl_gso_count(&g));
		size_t off = 0;
		for (unsigned i = 0; i < want; i++) {
			int n = pl_gso_next(&g, mine, sizeof(mine));
			PLT_CHECK(n > 0, "%s: segment %u: %d", c->name, i, n);
			if (partial)
				PLT_OK(pl_csum_complete(mine, (uint32_t)n, lo.l4, c->udp ? 6 : 16));
			as_forwarded(mine, p, c->v6);
			const uint8_t *k = ksegs + off;
			PLT_CHECK((uint32_t)n == klens[i], "%s: segment %u: %d bytes, kernel %u",
				  c->name, i, n, klens[i]);
			for (uint32_t b = 0; b < (uint32_t)n; b++)
				PLT_CHECK(mine[b] == k[b],
					  "%s%s: segment %u differs at byte %u (%s): ours %#04x, "
					  "kernel %#04x",
					  c->name, partial ? " (partial+complete)" : "", i, b,
					  field_at(b, &lo, c->v6, c->udp), mine[b], k[b]);
			off += klens[i];
		}
		PLT_CHECK(pl_gso_next(&g, mine, sizeof(mine)) == 0, "%s: extra segment", c->name);
	}
}

static int gso_matches_kernel(void)
{
	struct tt_path p;
	tt_setup(&p);
	static const struct kcase cases[] = {
		{ "tcp4 64k", false, false, 64000, 1460, 0x18, 0, false, 0 },
		{ "tcp4 cwr/psh/fin + options", false, false, 65000, 1448, 0x80 | 0x19, 12, false, 0 },
		{ "tcp4 without DF", false, false, 20000, 1460, 0x10, 0, true, 0 },
		{ "tcp4 small mss", false, false, 3001, 100, 0x18, 0, false, 0 },
		{ "tcp6 60k", true, false, 60000, 1440, 0x18, 0, false, 0 },
		{ "tcp6 cwr/fin", true, false, 10000, 1220, 0x80 | 0x11, 8, false, 0 },
		{ "tcp6 hop-by-hop", true, false, 8000, 1200, 0x18, 0, false, 8 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&p, &cases[i]);
	return 0;
}

static int gso_udp_matches_kernel(void)
{
	struct tt_path p;
	tt_setup(&p);
	if (!(p.a_offloads & PL_TUN_OFF_USO)) {
		fprintf(stderr, "USO (Linux 6.2+) not offered by this kernel\n");
		return PLT_SKIP;
	}
	static const struct kcase cases[] = {
		{ "udp4", false, true, 30000, 1472, 0, 0, false, 0 },
		{ "udp4 odd tail", false, true, 10001, 1000, 0, 0, false, 0 },
		{ "udp6", true, true, 30000, 1452, 0, 0, false, 0 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&p, &cases[i]);
	return 0;
}

/*
 * The same through a TUN device (raw IP, link_len 0): pla's peer is a TUN
 * "plu" with a virtio-net header; what the kernel forwards to plb is
 * compared with pl_gso's segments behind plb's Ethernet header.
 */
static int gso_tun_matches_kernel(void)
{
	struct tt_path p;
	tt_setup(&p);
	char err[256] = "";
	int u = -1;
	uint32_t got_off = 0;
	struct pl_tun_cfg c = { .tap = false, .vnet_hdr = true, .vnet_hdr_len = 10, .queues = 1,
				.want_offloads = PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 };
	PLT_CHECK(pl_tun_open("plu", &c, &u, &got_off, err, sizeof(err)) == 0, "plu: %s", err);
	plt_sh_ok("ip link set plu up && ip addr add 198.18.3.1/24 dev plu && "
		  "sysctl -qw net.ipv4.conf.plu.rp_filter=0");
	PLT_CHECK(plt_wait_link_up("plu", PLT_WAIT_MS), "plu did not come up");
	for (int v6 = 0; v6 < 2; v6++) {
		struct ot_spec s;
		struct ot_layout lo;
		struct pktlink_pkt pkt;
		ot_default(&s, 0, v6, false, 40000);
		if (!v6) {
			const uint8_t sa[4] = { 198, 18, 3, 2 }, da[4] = { 198, 18, 2, 2 };
			memcpy(s.saddr, sa, 4);
			memcpy(s.daddr, da, 4);
		}
		s.tcp_flags = 0x80 | 0x19;
		s.dport = (uint16_t)(7000 + v6);
		uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
		ot_make_partial(sp, &s, &lo);
		tt_super_pkt(&pkt, sp, len, &s, &lo, 1400);
		uint8_t h[10];
		PLT_OK(pl_pkt_to_vnet(&pkt, 0, h, 10));
		struct iovec iov[2] = { { h, 10 }, { sp, len } };
		PLT_CHECK(writev(u, iov, 2) == (ssize_t)(10 + len), "writev to tun: %s",
			  strerror(errno));
		unsigned want = (40000 + 1399) / 1400;
		unsigned n = tt_collect(p.b, p.host_b_mac, v6, 6, s.dport, want, ksegs, sizeof(ksegs),
					klens);
		PLT_CHECK(n == want, "v6=%d: %u segments, want %u", v6, n, want);
		struct pl_gso g;
		PLT_OK(pl_gso_init(&g, &pkt, 0, false));
		size_t off = 0;
		for (unsigned i = 0; i < want; i++) {
			int sl = pl_gso_next(&g, mine + 14, sizeof(mine) - 14);
			PLT_CHECK(sl > 0 && (uint32_t)sl + 14 == klens[i], "v6=%d segment %u: %d, kernel %u",
				  v6, i, sl, klens[i]);
			memcpy(mine + 12, ksegs + off + 12, 2); /* ethertype */
			as_forwarded(mine, &p, v6);
			for (uint32_t b = 0; b < klens[i]; b++)
				PLT_CHECK(mine[b] == ksegs[off + b],
					  "tun v6=%d: segment %u differs at byte %u: ours %#x, kernel %#x",
					  v6, i, b, mine[b], ksegs[off + b]);
			off += klens[i];
		}
	}
	close(u);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "gso_matches_kernel", gso_matches_kernel, PLT_NETNS, 40 },
		{ "gso_udp_matches_kernel", gso_udp_matches_kernel, PLT_NETNS, 40 },
		{ "gso_tun_matches_kernel", gso_tun_matches_kernel, PLT_NETNS, 40 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
