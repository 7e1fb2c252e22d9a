/* SPDX-License-Identifier: MIT */
/*
 * test_tap_gso: TAP/TUN opening (pl_tun_open) and offloads through real TAP
 * devices in a private namespace:
 *   - options applied (non-blocking, close-on-exec, vnet header size,
 *     offloads probed), TUN mode, multi-queue with N fds, bad arguments;
 *   - a failure injected at every setup step leaves no fd and no device;
 *   - a 64 KiB TCP super-packet written with a virtio-net header arrives at
 *     the far side of a forwarding path as correct MSS segments (sizes, seq,
 *     flags, checksums, payload), for TCPv4, TCPv6 and UDP (USO);
 *   - reading with offloads on: a kernel TCP socket's large write comes out
 *     as GSO super-packets with NEEDS_CSUM, which pl_vnet_to_pkt accepts,
 *     pl_csum_complete completes and pl_gso segments into valid packets;
 *     the same for a UDP_SEGMENT send (GSO_UDP_L4).
 */
#include "tap_testlib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/if_tun.h>

#include "core/fault.h"

static int tap_open_basic(void)
{
	char err[256] = "";
	int fd = -1;
	uint32_t got = 0;
	struct pl_tun_cfg c = { .tap = true, .vnet_hdr = true, .queues = 1,
				.want_offloads = PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 |
						 PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO };
	PLT_CHECK(pl_tun_open("pl0", &c, &fd, &got, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(fd >= 0, "fd");
	PLT_CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "non-blocking");
	PLT_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
	PLT_CHECK((got & (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6)) ==
			  (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6),
		  "offloads %#x", got);
	fprintf(stderr, "offloads accepted: %#x (USO %s)\n", got,
		got & PL_TUN_OFF_USO ? "yes" : "no: kernel < 6.2");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	PLT_OK(ioctl(fd, TUNGETIFF, &ifr));
	PLT_CHECK(strcmp(ifr.ifr_name, "pl0") == 0, "name %s", ifr.ifr_name);
	PLT_CHECK((ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) ==
			  (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
		  "flags %#x", ifr.ifr_flags);
	PLT_CHECK(!(ifr.ifr_flags & IFF_MULTI_QUEUE), "not multi-queue");
	int sz = 0;
	PLT_OK(ioctl(fd, TUNGETVNETHDRSZ, &sz));
	PLT_CHECK(sz == 12, "vnet hdr size %d", sz);
	PLT_CHECK(plt_ifindex("pl0") > 0, "device exists");
	close(fd);
	PLT_CHECK(if_nametoindex("pl0") == 0, "device gone with its fd");

	/* 10-byte header, no offloads asked: only TUNSETOFFLOAD(0) */
	c.vnet_hdr_len = 10;
	c.want_offloads = 0;
	PLT_CHECK(pl_tun_open("pl0", &c, &fd, &got, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(got == 0, "no offloads: %#x", got);
	PLT_OK(ioctl(fd, TUNGETVNETHDRSZ, &sz));
	PLT_CHECK(sz == 10, "vnet hdr size %d", sz);
	close(fd);
	return 0;
}

static int tun_mode(void)
{
	char err[256] = "";
	int fd = -1;
	struct pl_tun_cfg c = { .tap = false, .queues = 1 };
	PLT_CHECK(pl_tun_open("pltun0", &c, &fd, NULL, err, sizeof(err)) == 0, "%s", err);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	PLT_OK(ioctl(fd, TUNGETIFF, &ifr));
	PLT_CHECK((ifr.ifr_flags & (IFF_TUN | IFF_TAP | IFF_VNET_HDR)) == IFF_TUN, "flags %#x",
		  ifr.ifr_flags);
	/* A TAP of the same name while the TUN exists: a clear EINVAL. */
	int fd2 = -1;
	c.tap = true;
	int r = pl_tun_open("pltun0", &c, &fd2, NULL, err, sizeof(err));
	PLT_CHECK(r < 0 && fd2 == -1, "TAP over TUN: %d", r);
	PLT_CHECK(strstr(err, "pltun0") != NULL, "error names the device: %s", err);
	close(fd);
	return 0;
}

static int tap_multiqueue(void)
{
	char err[256] = "";
	int fds[4] = { -1, -1, -1, -1 };
	uint32_t got = 0;
	struct pl_tun_cfg c = { .tap = true, .vnet_hdr = true, .queues = 4,
				.want_offloads = PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 };
	int before = plt_fd_count();
	PLT_CHECK(pl_tun_open("plmq", &c, fds, &got, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(plt_fd_count() == before + 4, "4 fds");
	for (int i = 0; i < 4; i++) {
		PLT_CHECK(fds[i] >= 0, "fd %d", i);
		for (int j = 0; j < i; j++)
			PLT_CHECK(fds[i] != fds[j], "distinct");
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		PLT_OK(ioctl(fds[i], TUNGETIFF, &ifr));
		PLT_CHECK(strcmp(ifr.ifr_name, "plmq") == 0 && (ifr.ifr_flags & IFF_MULTI_QUEUE),
			  "queue %d: %s %#x", i, ifr.ifr_name, ifr.ifr_flags);
		PLT_CHECK(fcntl(fds[i], F_GETFL) & O_NONBLOCK, "non-blocking");
	}
	PLT_CHECK(got == (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4), "offloads %#x", got);
	PLT_CHECK(plt_sh("test $(ls -d /sys/class/net/plmq/queues/rx-* | wc -l) -eq 4") == 0,
		  "4 rx queues in sysfs");
	PLT_CHECK(plt_sh("test $(ls -d /sys/class/net/plmq/queues/tx-* | wc -l) -eq 4") == 0,
		  "4 tx queues in sysfs");
	/* A single-queue open of the multi-queue device is refused. */
	int one = -1;
	struct pl_tun_cfg c1 = { .tap = true, .vnet_hdr = true, .queues = 1 };
	PLT_CHECK(pl_tun_open("plmq", &c1, &one, NULL, err, sizeof(err)) < 0 && one == -1,
		  "single-queue open of a multi-queue device");
	/* Frames written on every queue reach the kernel (rx counter). */
	plt_sh_ok("ip link set plmq up");
	for (int i = 0; i < 4; i++) {
		uint8_t f[128], bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
				sm[6] = { 2, 0, 0, 0, 9, 9 };
		uint32_t n = plt_build_udp(f + 12, bc, sm, PLT_IP(198, 18, 9, 2),
					   PLT_IP(198, 18, 9, 1), 1, 9, NULL, 10);
		memset(f, 0, 12); /* plain vnet header */
		PLT_CHECK(write(fds[i], f, 12 + n) == (ssize_t)(12 + n), "write queue %d", i);
	}
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	PLT_CHECK(plt_fd_count() == before, "all closed");
	PLT_CHECK(if_nametoindex("plmq") == 0, "device gone");
	return 0;
}

static int tap_fault_injection(void)
{
	char err[256];
	int fds[3];
	uint32_t got;
	struct pl_tun_cfg c = { .tap = true, .vnet_hdr = true, .queues = 3,
				.want_offloads = PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 |
						 PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO };
	unsigned steps = 0;
	for (unsigned n = 1; n <= 32; n++) {
		int before = plt_fd_count();
		err[0] = 0;
		pl_fault_arm(n);
		int r = pl_tun_open("plft", &c, fds, &got, err, sizeof(err));
		if (!pl_fault_fired()) {
			PLT_CHECK(r == 0, "open after %u steps: %s", n - 1, err);
			for (int i = 0; i < 3; i++)
				close(fds[i]);
			steps = n - 1;
			break;
		}
		PLT_CHECK(r < 0, "step %u failed but open returned %d", n, r);
		PLT_CHECK(strstr(err, "injected") != NULL, "step %u: error says: %s", n, err);
		PLT_CHECK(plt_fd_count() == before, "step %u: %d fds left open", n,
			  plt_fd_count() - before);
		for (int i = 0; i < 3; i++)
			PLT_CHECK(fds[i] == -1, "step %u: fds[%d] = %d", n, i, fds[i]);
		PLT_CHECK(got == 0, "step %u: offloads reported", n);
		PLT_CHECK(if_nametoindex("plft") == 0, "step %u: device left behind", n);
	}
	pl_fault_arm(0);
	/* open, TUNSETIFF, TUNSETVNETHDRSZ, TUNSETOFFLOAD, then open+TUNSETIFF x2 */
	PLT_CHECK(steps == 8, "%u setup steps, want 8", steps);
	return 0;
}

static int tap_bad_args(void)
{
	char err[256];
	int fds[2] = { 7, 7 };
	struct pl_tun_cfg c = { .tap = true, .queues = 1 };
	PLT_CHECK(pl_tun_open("a-name-that-is-too-long", &c, fds, NULL, err, sizeof(err)) ==
				  -EINVAL &&
			  strstr(err, "name"),
		  "long name: %s", err);
	PLT_CHECK(pl_tun_open("", &c, fds, NULL, err, sizeof(err)) == -EINVAL, "empty name");
	PLT_CHECK(pl_tun_open(NULL, &c, fds, NULL, err, sizeof(err)) == -EINVAL, "NULL name");
	PLT_CHECK(pl_tun_open("plx", NULL, fds, NULL, err, sizeof(err)) == -EINVAL, "NULL cfg");
	c.queues = 0;
	PLT_CHECK(pl_tun_open("plx", &c, fds, NULL, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "queues"),
		  "queues 0: %s", err);
	c.queues = 257;
	PLT_CHECK(pl_tun_open("plx", &c, fds, NULL, err, sizeof(err)) == -EINVAL, "queues 257");
	c.queues = 1;
	c.vnet_hdr = true;
	c.vnet_hdr_len = 11;
	PLT_CHECK(pl_tun_open("plx", &c, fds, NULL, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "vnet_hdr_len"),
		  "vnet_hdr_len 11: %s", err);
	c.vnet_hdr = false;
	c.vnet_hdr_len = 0;
	c.want_offloads = PL_TUN_OFF_CSUM;
	PLT_CHECK(pl_tun_open("plx", &c, fds, NULL, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "vnet_hdr"),
		  "offloads without vnet_hdr: %s", err);
	c.vnet_hdr = true;
	c.want_offloads = 1u << 9;
	PLT_CHECK(pl_tun_open("plx", &c, fds, NULL, err, sizeof(err)) == -EINVAL, "unknown bits");
	PLT_CHECK(if_nametoindex("plx") == 0, "nothing created");
	return 0;
}

/* ---- a super-packet through the kernel's forwarding path ---- */

static uint8_t sp[70000];
static uint8_t segs[200000];
static uint32_t lens[256];

static void one_super_packet(struct tt_path *p, bool v6, bool udp, uint32_t payload, uint16_t mss,
			     uint8_t flags, uint32_t opts)
{
	struct ot_spec s;
	struct ot_layout lo;
	struct pktlink_pkt pkt;
	char why[200];
	tt_spec(&s, p, v6, udp, payload);
	s.tcp_flags = flags;
	s.tcp_opts = opts;
	s.seed = payload ^ mss;
	s.dport = (uint16_t)(5001 + v6 * 2 + udp);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	PLT_CHECK(len, "build");
	ot_make_partial(sp, &s, &lo);
	tt_super_pkt(&pkt, sp, len, &s, &lo, mss);
	tt_write_vnet(p->a, &pkt);
	unsigned want = (payload + mss - 1) / mss;
	unsigned got = tt_collect(p->b, p->host_b_mac, v6, udp ? 17 : 6, s.dport, want, segs,
				  sizeof(segs), lens);
	if (got != want) {
		for (unsigned i = 0; i < got; i++)
			fprintf(stderr, "segment %u: %u bytes\n", i, lens[i]);
	}
	PLT_CHECK(got == want, "v6=%d udp=%d: %u segments arrived, want %u", v6, udp, got, want);
	/* What forwarding changes: MACs and TTL (and so the IPv4 checksum,
	 * which the checker verifies on its own). */
	memcpy(s.dmac, p->host_b_mac, 6);
	memcpy(s.smac, p->b_mac, 6);
	s.ttl = 63;
	size_t off = 0;
	for (unsigned i = 0; i < got; i++) {
		const uint8_t *f = segs + off;
		PLT_CHECK(ot_check_segment(f, lens[i], &s, &lo, mss, i, want, false, true, why,
					   sizeof(why)),
			  "v6=%d udp=%d: %s", v6, udp, why);
		if (v6)
			PLT_CHECK(f[14 + 7] == 63, "hop limit %u", f[14 + 7]);
		off += lens[i];
	}
}

static int tap_gso_write_segments(void)
{
	struct tt_path p;
	tt_setup(&p);
	/* 64000 bytes = 43 x 1460 + 1220: the acceptance case. */
	one_super_packet(&p, false, false, 64000, 1460, 0x18, 0);
	/* CWR/PSH/FIN placement, options, odd MSS */
	one_super_packet(&p, false, false, 65000, 1448, 0x80 | 0x19, 12);
	one_super_packet(&p, false, false, 5001, 999, 0x11, 0);
	one_super_packet(&p, true, false, 60000, 1440, 0x18, 0);
	if (p.a_offloads & PL_TUN_OFF_USO) {
		one_super_packet(&p, false, true, 30000, 1472, 0, 0);
		one_super_packet(&p, true, true, 30000, 1452, 0, 0);
	} else {
		fprintf(stderr, "USO not offered by this kernel: UDP part skipped\n");
	}
	return 0;
}

/* ---- reading super-packets from the kernel (offloads on) ---- */

#define RD_TOTAL (256 * 1024)

static uint32_t build_tcp4(uint8_t *f, const struct tt_path *p, uint32_t seq, uint32_t ack,
			   uint8_t flags, uint16_t dport, const uint8_t *opts, uint32_t optlen)
{
	memset(f, 0, 14 + 20 + 20 + optlen);
	memcpy(f, p->a_mac, 6);
	memcpy(f + 6, p->host_a_mac, 6);
	ot_wr16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *th = f + 34;
	ip[0] = 0x45;
	ot_wr16(ip + 2, (uint16_t)(40 + optlen));
	ip[8] = 64;
	ip[9] = 6;
	const uint8_t sa[4] = { 198, 18, 1, 2 }, da[4] = { 198, 18, 1, 1 };
	memcpy(ip + 12, sa, 4);
	memcpy(ip + 16, da, 4);
	ot_wr16(ip + 10, ot_fold(ot_sum(ip, 20, 0)));
	ot_wr16(th, 5001);
	ot_wr16(th + 2, dport);
	ot_wr32(th + 4, seq);
	ot_wr32(th + 8, ack);
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = flags;
	ot_wr16(th + 14, 65535);
	if (optlen)
		memcpy(th + 20, opts, optlen);
	ot_wr16(th + 16, ot_fold(ot_sum(th, 20 + optlen, ot_pseudo(ip, false, 6, 20 + optlen))));
	return 14 + 40 + optlen;
}

static void write_plain(int fd, uint8_t *f, uint32_t len)
{
	struct pktlink_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	pkt.data = f;
	pkt.len = len;
	tt_write_vnet(fd, &pkt);
}

/* A packet with a complete (not partial) checksum, checked independently. */
static void check_valid_tcp4(const uint8_t *f, uint32_t len, const char *what)
{
	PLT_CHECK(len >= 54 && ot_fold(ot_sum(f + 14, 20, 0)) == 0, "%s: IP checksum", what);
	uint32_t l4 = len - 34;
	PLT_CHECK(ot_fold(ot_sum(f + 34, l4, ot_pseudo(f + 14, false, 6, l4))) == 0,
		  "%s: TCP checksum", what);
}

static int tap_read_offloads(void)
{
	struct tt_path p;
	tt_setup(&p);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	PLT_OK(s);
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(5001) };
	dst.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 2));
	int r = connect(s, (struct sockaddr *)&dst, sizeof(dst));
	PLT_CHECK(r == 0 || errno == EINPROGRESS, "connect: %s", strerror(errno));

	static uint8_t rb[12 + 70000], f[128], work[70000], seg[2000];
	static uint8_t data[RD_TOTAL];
	static uint8_t seen[RD_TOTAL];
	uint16_t sport = 0;
	uint32_t isn = 0, our_isn = 1000;
	uint64_t deadline = plt_now_ns() + 20000000000ull;
	bool established = false;
	uint32_t sent = 0, acked = 0;
	unsigned gso_pkts = 0, partial_pkts = 0, segs_checked = 0;
	const uint8_t synack_opts[8] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 }; /* MSS 1460, WS 7 */

	for (unsigned i = 0; i < RD_TOTAL; i++)
		data[i] = ot_pay(77, i);
	memset(seen, 0, sizeof(seen));

	for (unsigned iter = 0; iter < 200000 && acked < RD_TOTAL; iter++) {
		PLT_CHECK(plt_now_ns() < deadline, "timed out: %u of %u bytes acked", acked,
			  RD_TOTAL);
		if (established && sent < RD_TOTAL) {
			ssize_t n = send(s, data + sent, RD_TOTAL - sent, MSG_DONTWAIT);
			if (n > 0)
				sent += (uint32_t)n;
		}
		struct pollfd pfd = { .fd = p.a, .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t n = read(p.a, rb, sizeof(rb));
		if (n < 12 + 54)
			continue;
		uint8_t *fr = rb + 12;
		uint32_t flen = (uint32_t)n - 12;
		if (ot_rd16(fr + 12) != 0x0800 || fr[14 + 9] != 6 || ot_rd16(fr + 34 + 2) != 5001)
			continue;
		struct pktlink_pkt pkt;
		memset(&pkt, 0, sizeof(pkt));
		pkt.data = fr;
		pkt.len = flen;
		PLT_OK(pl_vnet_to_pkt(rb, flen, &pkt));
		uint8_t tflags = fr[34 + 13];
		if (tflags & 0x02) { /* SYN: answer with SYN-ACK */
			sport = ot_rd16(fr + 34);
			isn = ot_rd32(fr + 34 + 4);
			uint32_t l = build_tcp4(f, &p, our_isn, isn + 1, 0x12, sport, synack_opts, 8);
			write_plain(p.a, f, l);
			continue;
		}
		if (!sport || ot_rd16(fr + 34) != sport)
			continue;
		if (!established) {
			established = true; /* the handshake's ACK (or data) came back */
		}
		/* With TUN_F_CSUM the kernel hands out partial checksums. */
		if (pkt.flags & PKTLINK_PKT_CSUM_PARTIAL) {
			partial_pkts++;
			PLT_CHECK(pkt.csum_start == 34 && pkt.csum_offset == 16, "csum %u/%u",
				  pkt.csum_start, pkt.csum_offset);
		}
		if (pkt.gso_type != PKTLINK_GSO_NONE) {
			PLT_CHECK(pkt.gso_type == PKTLINK_GSO_TCPV4, "gso type %u", pkt.gso_type);
			PLT_CHECK(pkt.gso_size == 1460, "gso_size %u", pkt.gso_size);
			PLT_CHECK(pkt.flags & PKTLINK_PKT_CSUM_PARTIAL, "GSO without NEEDS_CSUM");
			gso_pkts++;
			/* Software GSO of what the kernel gave us: every segment
			 * valid, contiguous, at most one MSS. */
			struct pl_gso g;
			PLT_OK(pl_gso_init(&g, &pkt, 14, false));
			uint32_t next_seq = ot_rd32(fr + 38);
			int sl;
			while ((sl = pl_gso_next(&g, seg, sizeof(seg))) > 0) {
				check_valid_tcp4(seg, (uint32_t)sl, "software segment");
				PLT_CHECK(sl <= 14 + 40 + 1460, "segment of %d bytes", sl);
				PLT_CHECK(ot_rd32(seg + 38) == next_seq, "segment seq");
				next_seq += (uint32_t)sl - 54;
				segs_checked++;
			}
			PLT_CHECK(sl == 0, "gso_next %d", sl);
		}
		/* Complete the checksum on a copy and verify it. */
		memcpy(work, fr, flen);
		if (pkt.flags & PKTLINK_PKT_CSUM_PARTIAL)
			PLT_OK(pl_csum_complete(work, flen, pkt.csum_start, pkt.csum_offset));
		check_valid_tcp4(work, flen, "completed super-packet");
		/* Record the payload and ACK what is contiguous. */
		uint32_t tot = ot_rd16(fr + 16);
		uint32_t doff = (uint32_t)(fr[34 + 12] >> 4) * 4;
		PLT_CHECK(tot + 14 <= flen && tot >= 20 + doff, "lengths");
		uint32_t plen = tot - 20 - doff;
		uint32_t rel = ot_rd32(fr + 38) - (isn + 1);
		if (plen == 0)
			continue;
		PLT_CHECK((uint64_t)rel + plen <= RD_TOTAL, "data beyond what was sent");
		PLT_CHECK(memcmp(fr + 34 + doff, data + rel, plen) == 0, "payload bytes at %u", rel);
		memset(seen + rel, 1, plen);
		while (acked < RD_TOTAL && seen[acked])
			acked++;
		uint32_t l = build_tcp4(f, &p, our_isn + 1, isn + 1 + acked, 0x10, sport, NULL, 0);
		write_plain(p.a, f, l);
	}
	PLT_CHECK(acked == RD_TOTAL, "%u of %u bytes", acked, RD_TOTAL);
	PLT_CHECK(gso_pkts > 0, "no GSO super-packet seen");
	PLT_CHECK(partial_pkts > 0, "no partial checksum seen");
	fprintf(stderr, "%u GSO super-packets, %u partial, %u software segments checked\n", gso_pkts,
		partial_pkts, segs_checked);
	close(s);
	return 0;
}

/*
 * Reading a UDP GSO (USO) super-packet: a UDP socket with UDP_SEGMENT sends
 * one 14000-byte datagram train; with TUN_F_USO4 the TAP reader gets it as
 * one GSO_UDP_L4 super-packet with a partial checksum.
 */
static int tap_read_uso(void)
{
	struct tt_path p;
	tt_setup(&p);
	if (!(p.a_offloads & PL_TUN_OFF_USO)) {
		fprintf(stderr, "USO (Linux 6.2+) not offered by this kernel\n");
		return PLT_SKIP;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	PLT_OK(s);
	int gso = 1400;
	PLT_OK(setsockopt(s, IPPROTO_UDP, 103 /* UDP_SEGMENT */, &gso, sizeof(gso)));
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(5009) };
	dst.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 2));
	static uint8_t data[14000], rb[12 + 70000], work[70000], seg[2000];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = ot_pay(5, i);
	PLT_CHECK(sendto(s, data, sizeof(data), 0, (struct sockaddr *)&dst, sizeof(dst)) ==
			  (ssize_t)sizeof(data),
		  "sendto: %s", strerror(errno));
	uint64_t deadline = plt_now_ns() + PLT_WAIT_NS;
	bool found = false;
	for (unsigned iter = 0; iter < 10000 && !found && plt_now_ns() < deadline; iter++) {
		struct pollfd pfd = { .fd = p.a, .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t n = read(p.a, rb, sizeof(rb));
		if (n < 12 + 42)
			continue;
		uint8_t *fr = rb + 12;
		uint32_t flen = (uint32_t)n - 12;
		if (ot_rd16(fr + 12) != 0x0800 || fr[23] != 17 || ot_rd16(fr + 36) != 5009)
			continue;
		struct pktlink_pkt pkt;
		memset(&pkt, 0, sizeof(pkt));
		pkt.data = fr;
		pkt.len = flen;
		PLT_OK(pl_vnet_to_pkt(rb, flen, &pkt));
		PLT_CHECK(pkt.gso_type == PKTLINK_GSO_UDP_L4 && pkt.gso_size == 1400,
			  "gso type %u size %u", pkt.gso_type, pkt.gso_size);
		PLT_CHECK((pkt.flags & PKTLINK_PKT_CSUM_PARTIAL) && pkt.csum_start == 34 &&
				  pkt.csum_offset == 6,
			  "csum flags %#x %u/%u", pkt.flags, pkt.csum_start, pkt.csum_offset);
		PLT_CHECK(flen == 42 + sizeof(data), "one super-packet of %u bytes", flen);
		PLT_CHECK(memcmp(fr + 42, data, sizeof(data)) == 0, "payload");
		memcpy(work, fr, flen);
		PLT_OK(pl_csum_complete(work, flen, pkt.csum_start, pkt.csum_offset));
		uint32_t ul = flen - 34;
		PLT_CHECK(ot_fold(ot_sum(work + 34, ul, ot_pseudo(work + 14, false, 17, ul))) == 0,
			  "completed UDP checksum");
		struct pl_gso g;
		PLT_OK(pl_gso_init(&g, &pkt, 14, false));
		PLT_CHECK(pl_gso_count(&g) == 10, "10 segments");
		int sl;
		uint32_t off = 0;
		while ((sl = pl_gso_next(&g, seg, sizeof(seg))) > 0) {
			uint32_t l4 = (uint32_t)sl - 34;
			PLT_CHECK(ot_rd16(seg + 38) == l4, "udp len");
			PLT_CHECK(ot_fold(ot_sum(seg + 34, l4, ot_pseudo(seg + 14, false, 17, l4))) == 0,
				  "segment checksum");
			PLT_CHECK(memcmp(seg + 42, data + off, l4 - 8) == 0, "segment payload");
			off += l4 - 8;
		}
		PLT_CHECK(sl == 0 && off == sizeof(data), "all payload");
		found = true;
	}
	PLT_CHECK(found, "no UDP super-packet read");
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "tap_open_basic", tap_open_basic, PLT_NETNS, 30 },
		{ "tun_mode", tun_mode, PLT_NETNS, 30 },
		{ "tap_multiqueue", tap_multiqueue, PLT_NETNS, 30 },
		{ "tap_fault_injection", tap_fault_injection, PLT_NETNS, 30 },
		{ "tap_bad_args", tap_bad_args, PLT_NETNS, 30 },
		{ "tap_gso_write_segments", tap_gso_write_segments, PLT_NETNS, 40 },
		{ "tap_read_offloads", tap_read_offloads, PLT_NETNS, 40 },
		{ "tap_read_uso", tap_read_uso, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
