/* SPDX-License-Identifier: MIT */
/*
 * tap_testlib.h — a forwarding path for the TAP/GSO integration tests, in
 * the case's own network namespace:
 *
 *   user space --write(vnet hdr + super-packet)--> tap "pla" (IFF_VNET_HDR,
 *   offloads on)  --kernel IPv4/IPv6 forwarding-->  tap "plb" (no vnet
 *   header, no offloads: the kernel must segment and complete checksums)
 *   --read--> user space
 *
 * pla: 198.18.1.1/24, the fake host behind it is 198.18.1.2.
 * plb: 198.18.2.1/24, the fake host 198.18.2.2 has a static neighbour entry.
 * IPv6 uses routes only (no global addresses assigned): 2001:2:0:2::/64 via
 * plb with a static neighbour, so nothing but link-local addresses exist.
 *
 * Header-only (static functions) so each test program stays one file.
 */
#ifndef PKTLINK_TESTS_TAP_TESTLIB_H
#define PKTLINK_TESTS_TAP_TESTLIB_H

#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/offload.h"
#include "core/offload_testlib.h"
#include "fd/tun.h"

struct tt_path {
	int a, b; /* queue fds of pla (vnet hdr) and plb (plain) */
	uint32_t a_offloads;
	uint8_t a_mac[6], b_mac[6];
	uint8_t host_a_mac[6]; /* the fake host behind pla (our source) */
	uint8_t host_b_mac[6]; /* the fake host behind plb (neighbour entry) */
};

static inline void tt_setup(struct tt_path *p)
{
	char err[256] = "";
	int fd;
	struct pl_tun_cfg ca = { .tap = true, .vnet_hdr = true, .vnet_hdr_len = 12, .queues = 1,
				 .want_offloads = PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 |
						  PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO };
	PLT_CHECK(pl_tun_open("pla", &ca, &fd, &p->a_offloads, err, sizeof(err)) == 0, "pla: %s",
		  err);
	p->a = fd;
	struct pl_tun_cfg cb = { .tap = true, .queues = 1 };
	PLT_CHECK(pl_tun_open("plb", &cb, &fd, NULL, err, sizeof(err)) == 0, "plb: %s", err);
	p->b = fd;
	const uint8_t ha[6] = { 2, 0, 0, 0, 1, 2 }, hb[6] = { 2, 0, 0, 0, 2, 2 };
	memcpy(p->host_a_mac, ha, 6);
	memcpy(p->host_b_mac, hb, 6);
	plt_sh_ok("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 "
		  "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0");
	plt_sh_ok("ip link set pla mtu 1500 up && ip link set plb mtu 1500 up");
	PLT_CHECK(plt_wait_link_up("pla", PLT_WAIT_MS) && plt_wait_link_up("plb", PLT_WAIT_MS),
		  "pla/plb did not come up");
	plt_sh_ok("sysctl -qw net.ipv4.conf.pla.rp_filter=0 net.ipv4.conf.plb.rp_filter=0");
	plt_sh_ok("ip addr add 198.18.1.1/24 dev pla && ip addr add 198.18.2.1/24 dev plb");
	plt_sh_ok("ip neigh replace 198.18.1.2 lladdr 02:00:00:00:01:02 nud permanent dev pla");
	plt_sh_ok("ip neigh replace 198.18.2.2 lladdr 02:00:00:00:02:02 nud permanent dev plb");
	plt_sh_ok("ip -6 route add 2001:2:0:2::/64 dev plb");
	plt_sh_ok("ip -6 neigh replace 2001:2:0:2::2 lladdr 02:00:00:00:02:02 nud permanent dev plb");
	plt_mac("pla", p->a_mac);
	plt_mac("plb", p->b_mac);
}

/*
 * Write one frame to the vnet-header TAP: header from pkt's offload fields
 * (pl_pkt_to_vnet), then the frame, in one writev.
 */
static inline void tt_write_vnet(int fd, const struct pktlink_pkt *pkt)
{
	uint8_t h[12];
	PLT_OK(pl_pkt_to_vnet(pkt, 14, h, 12));
	struct iovec iov[2] = { { h, 12 }, { pkt->data, pkt->len } };
	ssize_t n = writev(fd, iov, 2);
	PLT_CHECK(n == (ssize_t)(12 + pkt->len), "writev to tap: %zd (%s)", n,
		  n < 0 ? strerror(errno) : "short");
}

/* Does frame f carry our test flow (dst MAC = host B, proto, dport)? */
static inline bool tt_is_flow(const uint8_t *f, size_t n, const uint8_t dmac[6], bool v6,
			      uint8_t proto, uint16_t dport)
{
	if (n < 14 + 20 || memcmp(f, dmac, 6) != 0)
		return false;
	if (ot_rd16(f + 12) != (v6 ? 0x86dd : 0x0800))
		return false;
	if (v6) {
		size_t l4 = 54;
		uint8_t nh = f[14 + 6];
		/* skip hop-by-hop / destination options headers */
		for (int k = 0; k < 8 && (nh == 0 || nh == 60) && l4 + 2 <= n; k++) {
			nh = f[l4];
			l4 += ((size_t)f[l4 + 1] + 1) * 8;
		}
		return n >= l4 + 4 && nh == proto && ot_rd16(f + l4 + 2) == dport;
	}
	size_t l4 = 14 + (size_t)(f[14] & 15) * 4;
	return n >= l4 + 4 && f[14 + 9] == proto && ot_rd16(f + l4 + 2) == dport;
}

/*
 * Read frames of one flow from a plain TAP until want arrived or PLT_WAIT_MS
 * passed. Frames are stored back to back in out (cap bytes), lengths in
 * lens[]. Return how many arrived.
 */
static inline unsigned tt_collect(int fd, const uint8_t dmac[6], bool v6, uint8_t proto,
				  uint16_t dport, unsigned want, uint8_t *out, size_t cap,
				  uint32_t *lens)
{
	static uint8_t fr[70000];
	unsigned got = 0;
	size_t used = 0;
	uint64_t deadline = plt_now_ns() + PLT_WAIT_NS;
	for (unsigned iter = 0; iter < 100000 && got < want; iter++) {
		uint64_t now = plt_now_ns();
		if (now >= deadline)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (pr <= 0)
			continue;
		ssize_t n = read(fd, fr, sizeof(fr));
		if (n <= 0)
			continue;
		if (!tt_is_flow(fr, (size_t)n, dmac, v6, proto, dport))
			continue;
		PLT_CHECK(used + (size_t)n <= cap, "collect buffer full");
		memcpy(out + used, fr, (size_t)n);
		used += (size_t)n;
		lens[got++] = (uint32_t)n;
	}
	return got;
}

/* Offload fields of a super-packet built from s (NEEDS_CSUM, GSO by s). */
static inline void tt_super_pkt(struct pktlink_pkt *p, uint8_t *buf, uint32_t len,
				const struct ot_spec *s, const struct ot_layout *lo, uint16_t mss)
{
	memset(p, 0, sizeof(*p));
	p->data = buf;
	p->len = len;
	p->flags = PKTLINK_PKT_CSUM_PARTIAL;
	p->csum_start = (uint16_t)lo->l4;
	p->csum_offset = s->udp ? 6 : 16;
	p->gso_size = mss;
	p->gso_type = s->udp ? PKTLINK_GSO_UDP_L4 : s->v6 ? PKTLINK_GSO_TCPV6 : PKTLINK_GSO_TCPV4;
}

/* A spec for the forwarding path: host A -> host B, MACs as the path wants. */
static inline void tt_spec(struct ot_spec *s, const struct tt_path *p, bool v6, bool udp,
			   uint32_t payload)
{
	ot_default(s, 14, v6, udp, payload);
	memcpy(s->dmac, p->a_mac, 6);
	memcpy(s->smac, p->host_a_mac, 6);
	if (!v6) {
		const uint8_t sa[4] = { 198, 18, 1, 2 }, da[4] = { 198, 18, 2, 2 };
		memcpy(s->saddr, sa, 4);
		memcpy(s->daddr, da, 4);
	}
	/* ot_default's IPv6 destination is 2001:2:0:2::2, routed via plb. */
}

#endif
