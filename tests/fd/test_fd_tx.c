/* SPDX-License-Identifier: MIT */
/*
 * test_fd_tx: the fd endpoint's transmit paths over socketpairs — software
 * GSO of a TCP super-packet into MTU-sized segments, completion of partial
 * checksums without touching the caller's frame, frames that can never be
 * sent (taken, dropped, counted), and the virtio-net header path both ways
 * (offload fields carried through; checksums completed on receive when the
 * stack did not ask for partial ones). The segmenter itself is checked
 * against the kernel by the offload tests; here it is the endpoint's use.
 */
#include "fd_testutil.h"

#include <sys/socket.h>

static const uint8_t MA[6] = { 2, 0, 0, 0, 0, 0xa }, MB[6] = { 2, 0, 0, 0, 0, 0xb };

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t s)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* IPv4 pseudo-header sum of an L4 segment of l4len bytes. */
static uint32_t pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	uint32_t s = sum16(ip + 12, 8, 0);
	return s + proto + l4len;
}

/* An Ethernet/IPv4/TCP super-packet of plen payload bytes with a partial
 * TCP checksum, as a stack with TSO would hand it over. */
static uint32_t build_tcp_super(uint8_t *f, uint32_t plen, struct pktlink_pkt *pk)
{
	memcpy(f, MB, 6);
	memcpy(f + 6, MA, 6);
	f[12] = 0x08, f[13] = 0x00;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	uint32_t tot = 40 + plen;
	ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
	ip[4] = 0x12, ip[5] = 0x34, ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 2;
	uint16_t c = (uint16_t)~fold(sum16(ip, 20, 0));
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	tcp[0] = 0x03, tcp[1] = 0xe8, tcp[2] = 0x07, tcp[3] = 0xd0;
	tcp[4] = 1, tcp[5] = 0, tcp[6] = 0, tcp[7] = 0; /* seq 0x01000000 */
	tcp[12] = 0x50, tcp[13] = 0x18, tcp[14] = 0xff, tcp[15] = 0xff;
	for (uint32_t i = 0; i < plen; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	uint16_t ps = fold(pseudo(ip, 6, 20 + plen));
	tcp[16] = (uint8_t)(ps >> 8), tcp[17] = (uint8_t)ps;
	memset(pk, 0, sizeof(*pk));
	pk->data = f;
	pk->len = 54 + plen;
	pk->flags = PKTLINK_PKT_CSUM_PARTIAL;
	pk->csum_start = 34;
	pk->csum_offset = 16;
	pk->gso_type = PKTLINK_GSO_TCPV4;
	pk->gso_size = 1448;
	return pk->len;
}

static struct pktlink_ep *open_fmt(const char *fmt, int fd)
{
	char spec[256], err[256] = "";
	snprintf(spec, sizeof(spec), fmt, fd);
	struct pktlink_ep *ep = NULL;
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s: %s", spec, err);
	return ep;
}

static int software_gso(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500&gso=software&csum=tx", sv[0]);
	struct pktlink_info in;
	pktlink_get_info(a, &in);
	PLT_CHECK(in.gso_kind == PKTLINK_GSO_KIND_SOFTWARE && in.gso_max_size == 65536 &&
			  (in.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD),
		  "info");
	static uint8_t f[70000], copy[70000];
	const uint32_t plen = 10000;
	struct pktlink_pkt pk;
	uint32_t len = build_tcp_super(f, plen, &pk);
	memcpy(copy, f, len);
	PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "taken");
	PLT_CHECK(!memcmp(f, copy, len), "caller's frame untouched");
	uint32_t off = 0, nseg = 0;
	uint8_t seg[2000];
	while (off < plen) {
		ssize_t r = recv(sv[1], seg, sizeof(seg), MSG_DONTWAIT);
		PLT_CHECK(r > 54 && r <= 1514, "segment %u: %zd bytes", nseg, r);
		uint8_t *ip = seg + 14, *tcp = ip + 20;
		uint32_t sl = (uint32_t)r - 54;
		PLT_CHECK(sl == (plen - off < 1448 ? plen - off : 1448), "segment size %u", sl);
		PLT_CHECK(((ip[2] << 8) | ip[3]) == (int)(40 + sl), "tot_len");
		PLT_CHECK(fold(sum16(ip, 20, 0)) == 0xffff, "IP checksum of segment %u", nseg);
		PLT_CHECK(fold(sum16(tcp, 20 + sl, pseudo(ip, 6, 20 + sl))) == 0xffff,
			  "TCP checksum of segment %u", nseg);
		uint32_t seq = (uint32_t)(tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 | tcp[7]);
		PLT_CHECK(seq == 0x01000000u + off, "seq");
		PLT_CHECK(!memcmp(tcp + 20, f + 54 + off, sl), "payload of segment %u", nseg);
		off += sl;
		nseg++;
	}
	PLT_CHECK(nseg == 7, "7 segments, got %u", nseg);
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	/* stats count the caller's frames: one super-packet, whatever it became */
	PLT_CHECK(st.tx_packets == 1 && st.tx_bytes == len && st.tx_syscalls == 1,
		  "one frame of %u bytes, one sendmmsg for 7 segments: %llu/%llu/%llu", len,
		  (unsigned long long)st.tx_packets, (unsigned long long)st.tx_bytes,
		  (unsigned long long)st.tx_syscalls);
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* gso=none (the default without vnet_hdr) still takes super-packets on
 * transmit: nothing below segments them, so pktlink does (issue 7: drop
 * only what can never be sent). And the length limit: MTU + 14 untagged,
 * 4 more with a tag in the bytes, not one byte more. */
static int gso_none_segments(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500", sv[0]);
	struct pktlink_info in;
	pktlink_get_info(a, &in);
	PLT_CHECK(in.gso_kind == PKTLINK_GSO_KIND_SOFTWARE && in.gso_max_size == 65536,
		  "gso=none advertises software GSO: kind %u, max %u", in.gso_kind,
		  in.gso_max_size);
	static uint8_t f[70000];
	const uint32_t plen = 5000;
	struct pktlink_pkt pk;
	build_tcp_super(f, plen, &pk);
	PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "taken");
	uint32_t off = 0, nseg = 0;
	uint8_t seg[2000];
	while (off < plen && nseg < 10) {
		ssize_t r = recv(sv[1], seg, sizeof(seg), MSG_DONTWAIT);
		PLT_CHECK(r > 54 && r <= 1514, "segment %u: %zd bytes", nseg, r);
		PLT_CHECK(!memcmp(seg + 54, f + 54 + off, (size_t)r - 54), "payload");
		off += (uint32_t)r - 54;
		nseg++;
	}
	PLT_CHECK(off == plen && nseg == 4, "%u bytes in %u segments", off, nseg);
	static uint8_t fr[1600];
	memset(fr, 0x5a, sizeof(fr));
	struct pktlink_pkt big = { .data = fr, .len = 1515 }; /* untagged MTU+1 */
	PLT_CHECK(pktlink_tx_burst(a, &big, 1) == 1, "taken");
	fr[12] = 0x81, fr[13] = 0x00;
	big.len = 1518; /* tagged, MTU */
	PLT_CHECK(pktlink_tx_burst(a, &big, 1) == 1, "taken");
	big.len = 1519; /* tagged, MTU+1 */
	PLT_CHECK(pktlink_tx_burst(a, &big, 1) == 1, "taken");
	ssize_t r = recv(sv[1], seg, sizeof(seg), MSG_DONTWAIT);
	PLT_CHECK(r == 1518, "only the tagged 1518-byte frame leaves: %zd", r);
	PLT_CHECK(recv(sv[1], seg, sizeof(seg), MSG_DONTWAIT) < 0, "nothing more");
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	PLT_CHECK(st.tx_packets == 2 && st.tx_drop_invalid == 2 && st.tx_errors == 0,
		  "tx %llu, invalid %llu, errors %llu", (unsigned long long)st.tx_packets,
		  (unsigned long long)st.tx_drop_invalid, (unsigned long long)st.tx_errors);
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* A super-packet with an 802.1Q tag and full-MTU segments: each segment is
 * 14 + 4 + 1500 bytes, which must fit (regression: the segment buffer was
 * sized without the tag, so every segment failed and the frame was dropped). */
static int software_gso_vlan(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500&gso=software&csum=tx", sv[0]);
	static uint8_t f[70000];
	const uint32_t plen = 4 * 1460;
	struct pktlink_pkt pk;
	uint32_t len = build_tcp_super(f, plen, &pk);
	memmove(f + 16, f + 12, len - 12); /* open a tag after the MACs */
	f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 100;
	pk.len = len + 4;
	pk.csum_start = (uint16_t)(pk.csum_start + 4);
	pk.gso_size = 1460;
	PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "taken");
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	PLT_CHECK(st.tx_drop_invalid == 0 && st.tx_packets == 1, "1 super-packet sent, %llu dropped",
		  (unsigned long long)st.tx_drop_invalid);
	uint8_t seg[2000];
	for (unsigned i = 0; i < 4; i++) {
		ssize_t r = recv(sv[1], seg, sizeof(seg), MSG_DONTWAIT);
		PLT_CHECK(r == 18 + 1500, "segment %u: %zd bytes", i, r);
		PLT_CHECK(seg[12] == 0x81 && seg[13] == 0x00 && seg[15] == 100, "tag kept");
		uint8_t *ip = seg + 18, *tcp = ip + 20;
		PLT_CHECK(fold(sum16(ip, 20, 0)) == 0xffff, "IP checksum of segment %u", i);
		PLT_CHECK(fold(sum16(tcp, 1480, pseudo(ip, 6, 1480))) == 0xffff,
			  "TCP checksum of segment %u", i);
	}
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* A UDP frame whose checksum field holds only the pseudo-header sum. */
static uint32_t build_udp_partial(uint8_t *f, uint8_t *good, uint32_t plen, struct pktlink_pkt *pk)
{
	uint32_t len = plt_build_udp(good, MB, MA, PLT_IP(198, 18, 0, 1), PLT_IP(198, 18, 0, 2),
				     1000, 2000, NULL, plen);
	memcpy(f, good, len);
	uint16_t ps = fold(pseudo(f + 14, 17, 8 + plen));
	f[40] = (uint8_t)(ps >> 8), f[41] = (uint8_t)ps;
	memset(pk, 0, sizeof(*pk));
	pk->data = f;
	pk->len = len;
	pk->flags = PKTLINK_PKT_CSUM_PARTIAL;
	pk->csum_start = 34;
	pk->csum_offset = 6;
	return len;
}

static int csum_completion(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500&csum=tx", sv[0]);
	uint8_t f[1600], good[1600], copy[1600], in[1600];
	struct pktlink_pkt pk[3];
	uint32_t len = build_udp_partial(f, good, 333, &pk[0]);
	memcpy(copy, f, len);
	PLT_CHECK(good[40] || good[41], "plt_build_udp wrote a checksum");
	PLT_CHECK(pktlink_tx_burst(a, pk, 1) == 1, "taken");
	PLT_CHECK(!memcmp(f, copy, len), "caller's frame untouched");
	PLT_CHECK(recv(sv[1], in, sizeof(in), 0) == (ssize_t)len && !memcmp(in, good, len),
		  "completed checksum equals the full one");
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Frames that can never be sent are taken, dropped and counted; the good
 * ones around them go out in order. */
static int invalid_frames(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500", sv[0]);
	static uint8_t big[4000], f[6][1600], sup[70000];
	struct pktlink_pkt pk[9];
	memset(pk, 0, sizeof(pk));
	for (int i = 0; i < 6; i++) {
		pk[i].data = f[i];
		pk[i].len = t_frame(f[i], (uint32_t)i, 1, 1514, MB, MA);
	}
	struct pktlink_pkt bad_big = { .data = big, .len = 1600 };
	memcpy(big, f[0], 14);
	struct pktlink_pkt bad_short = { .data = f[0], .len = 10 };
	struct pktlink_pkt bad_gso;
	/* gso_size 0: a malformed request. (A well-formed super-packet is
	 * segmented on a gso=none endpoint too: see gso_none_segments.) */
	build_tcp_super(sup, 5000, &bad_gso);
	bad_gso.gso_size = 0;
	struct pktlink_pkt list[9] = { pk[0], bad_big, pk[1], pk[2], bad_short, pk[3],
				       bad_gso, pk[4], pk[5] };
	PLT_CHECK(pktlink_tx_burst(a, list, 9) == 9, "all taken");
	for (uint32_t i = 0; i < 6; i++) {
		uint8_t in[2000];
		ssize_t r = recv(sv[1], in, sizeof(in), MSG_DONTWAIT);
		PLT_CHECK(r > 0 && t_check(in, (uint32_t)r, i, 1, 1514, MB, MA) == 0, "frame %u", i);
	}
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	PLT_CHECK(st.tx_drop_invalid == 3 && st.tx_packets == 6, "drop_invalid %llu",
		  (unsigned long long)st.tx_drop_invalid);
	/* counted once, in core: the bytes of the six good frames only */
	uint64_t good = 0;
	for (int i = 0; i < 6; i++)
		good += pk[i].len;
	PLT_CHECK(st.tx_bytes == good, "tx_bytes %llu, want %llu", (unsigned long long)st.tx_bytes,
		  (unsigned long long)good);
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* EAGAIN: tx_burst returns what it took; the rest goes later, in order. */
static int backpressure(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500", sv[0]);
	static uint8_t f[64][1600];
	struct pktlink_pkt pk[64];
	uint32_t sent = 0, zero = 0;
	for (int round = 0; round < 100 && zero == 0; round++) {
		for (int i = 0; i < 64; i++) {
			memset(&pk[i], 0, sizeof(pk[i]));
			pk[i].data = f[i];
			pk[i].len = t_frame(f[i], sent + (uint32_t)i, 2, 1514, MB, MA);
		}
		int r = pktlink_tx_burst(a, pk, 64);
		PLT_CHECK(r >= 0 && r <= 64, "tx %d", r);
		sent += (uint32_t)r;
		if (r < 64)
			zero = 1;
	}
	PLT_CHECK(zero, "the socket buffer filled up");
	for (uint32_t i = 0; i < sent; i++) {
		uint8_t in[2000];
		ssize_t r = recv(sv[1], in, sizeof(in), MSG_DONTWAIT);
		PLT_CHECK(r > 0 && t_check(in, (uint32_t)r, i, 2, 1514, MB, MA) == 0, "frame %u", i);
	}
	uint8_t in[2000];
	PLT_CHECK(recv(sv[1], in, sizeof(in), MSG_DONTWAIT) < 0, "exactly the frames taken");
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* virtio-net header on both ends: offload fields travel through. */
static int vnet_both_ends(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500&vnet_hdr=1&vnet_hdr_len=12", sv[0]);
	struct pktlink_ep *b = open_fmt("fd:%d?mtu=1500&vnet_hdr=1&vnet_hdr_len=12", sv[1]);
	struct pktlink_info in;
	pktlink_get_info(b, &in);
	PLT_CHECK(in.gso_kind == PKTLINK_GSO_KIND_HOST &&
			  (in.caps & PKTLINK_CAP_RX_CSUM_OFFLOAD),
		  "vnet defaults: host GSO, csum offload");
	static uint8_t f[70000];
	struct pktlink_pkt pk, rx[4];
	uint32_t len = build_tcp_super(f, 30000, &pk);
	PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "super-packet taken");
	int r = pktlink_rx_burst(b, rx, 4);
	PLT_CHECK(r == 1 && rx[0].len == len && !memcmp(rx[0].data, f, len), "one super-packet");
	PLT_CHECK(rx[0].gso_type == PKTLINK_GSO_TCPV4 && rx[0].gso_size == 1448 &&
			  (rx[0].flags & PKTLINK_PKT_CSUM_PARTIAL) && rx[0].csum_start == 34 &&
			  rx[0].csum_offset == 16,
		  "offload fields");
	pktlink_rx_release(b, rx, 1);
	pktlink_close(b);

	/* the receiver did not ask for partial checksums: completed for it */
	b = open_fmt("fd:%d?mtu=1500&vnet_hdr=1&vnet_hdr_len=12&gso=none&csum=none", sv[1]);
	uint8_t u[1600], good[1600];
	len = build_udp_partial(u, good, 200, &pk);
	PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "partial taken");
	r = pktlink_rx_burst(b, rx, 4);
	PLT_CHECK(r == 1 && rx[0].len == len && !memcmp(rx[0].data, good, len) &&
			  !(rx[0].flags & PKTLINK_PKT_CSUM_PARTIAL),
		  "completed on receive");
	pktlink_rx_release(b, rx, 1);
	/* a super-packet it cannot take: dropped, counted */
	len = build_tcp_super(f, 3000, &pk);
	PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "taken");
	PLT_CHECK(pktlink_rx_burst(b, rx, 4) == 0, "not delivered");
	/* a bad header from the peer: dropped, counted */
	uint8_t raw[12 + 64];
	memset(raw, 0, sizeof(raw));
	raw[0] = 0x80; /* unknown flag */
	PLT_CHECK(send(sv[0], raw, sizeof(raw), 0) == (ssize_t)sizeof(raw), "send");
	PLT_CHECK(pktlink_rx_burst(b, rx, 4) == 0, "not delivered");
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(b, &st));
	PLT_CHECK(st.rx_drop_invalid == 2, "rx_drop_invalid %llu",
		  (unsigned long long)st.rx_drop_invalid);
	pktlink_close(a);
	pktlink_close(b);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Two descriptors: a flow always leaves by the same one. */
static int flow_stays_on_one_fd(void)
{
	int s1[2], s2[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, s1) == 0, "socketpair");
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, s2) == 0, "socketpair");
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "fd:%d,%d?mtu=1500", s1[0], s2[0]);
	struct pktlink_ep *a;
	PLT_CHECK(pktlink_open(spec, &a, err, sizeof(err)) == 0, "%s", err);
	unsigned on[2] = { 0, 0 };
	for (uint16_t flow = 0; flow < 32; flow++) {
		int where = -1;
		for (int k = 0; k < 8; k++) {
			uint8_t f[200], in[300];
			uint32_t len = plt_build_udp(f, MB, MA, PLT_IP(198, 18, 0, 1),
						     PLT_IP(198, 18, 0, 2), (uint16_t)(1000 + flow),
						     2000, NULL, 100);
			struct pktlink_pkt pk = { .data = f, .len = len };
			PLT_CHECK(pktlink_tx_burst(a, &pk, 1) == 1, "tx");
			int got = recv(s1[1], in, sizeof(in), MSG_DONTWAIT) == (ssize_t)len ? 0
				  : recv(s2[1], in, sizeof(in), MSG_DONTWAIT) == (ssize_t)len ? 1
											      : -1;
			PLT_CHECK(got >= 0, "frame went somewhere");
			PLT_CHECK(where < 0 || where == got, "flow %u moved", flow);
			where = got;
		}
		on[where]++;
	}
	PLT_CHECK(on[0] && on[1], "flows spread over both fds: %u/%u", on[0], on[1]);
	pktlink_close(a);
	close(s1[0]), close(s1[1]), close(s2[0]), close(s2[1]);
	return 0;
}

/* tx=writev on a socket: one sendmsg per frame, same bytes. */
static int tx_writev_on_socket(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500&tx=writev", sv[0]);
	static uint8_t f[16][1600];
	struct pktlink_pkt pk[16];
	memset(pk, 0, sizeof(pk));
	for (uint32_t i = 0; i < 16; i++) {
		pk[i].data = f[i];
		pk[i].len = t_frame(f[i], i, 8, 1514, MB, MA);
	}
	PLT_CHECK(pktlink_tx_burst(a, pk, 16) == 16, "taken");
	for (uint32_t i = 0; i < 16; i++) {
		uint8_t in[2000];
		ssize_t r = recv(sv[1], in, sizeof(in), MSG_DONTWAIT);
		PLT_CHECK(r > 0 && t_check(in, (uint32_t)r, i, 8, 1514, MB, MA) == 0, "frame %u", i);
	}
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	PLT_CHECK(st.tx_syscalls == 16, "one call per frame: %llu",
		  (unsigned long long)st.tx_syscalls);
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* pktlink_set_link_addr() moves the receive filter. */
static int set_link_addr_filter(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_fmt("fd:%d?mtu=1500&addr=02:00:00:00:00:0a", sv[0]);
	uint8_t f[200];
	struct pktlink_pkt rx[4];
	uint32_t len = t_frame(f, 0, 0, 100, MA, MB);
	PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
	int r = pktlink_rx_burst(a, rx, 4);
	PLT_CHECK(r == 1, "for us: %d", r);
	pktlink_rx_release(a, rx, 1);
	static const uint8_t nm[6] = { 2, 0, 0, 0, 0, 0x42 };
	PLT_OK(pktlink_set_link_addr(a, nm));
	PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
	PLT_CHECK(pktlink_rx_burst(a, rx, 4) == 0, "old address filtered");
	len = t_frame(f, 1, 0, 100, nm, MB);
	PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
	PLT_CHECK(pktlink_rx_burst(a, rx, 4) == 1, "new address accepted");
	pktlink_rx_release(a, rx, 1);
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	PLT_CHECK(st.rx_drop_filter == 1, "counted");
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* A hostile peer: random bytes behind random virtio-net headers. Nothing
 * crashes, every datagram is either delivered or counted as a drop. */
static int hostile_peer(void)
{
	static const char *specs[] = {
		"fd:%d?mtu=1500&vnet_hdr=1&rx=recvmmsg&addr=02:00:00:00:00:0a",
		"fd:%d?mtu=1500&vnet_hdr=1&gso=none&csum=none",
		"fd:%d?mtu=1500&hdr=none&vnet_hdr=1&vnet_hdr_len=12&rx=recvmmsg",
		"fd:%d?mtu=1500&rx=recvmmsg&addr=02:00:00:00:00:0a",
	};
	for (int k = 0; k < 4; k++) {
		int sv[2];
		PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair");
		struct pktlink_ep *a = open_fmt(specs[k], sv[0]);
		uint8_t buf[2100];
		uint32_t sent = 0;
		uint64_t seen = 0;
		for (int round = 0; round < 200; round++) {
			for (int i = 0; i < 20; i++) {
				uint32_t len = (uint32_t)(plt_rand() % sizeof(buf));
				for (uint32_t j = 0; j < len; j++)
					buf[j] = (uint8_t)plt_rand();
				if (plt_rand() & 1) { /* plausible header, hostile offsets */
					buf[0] &= 3;
					buf[1] = (uint8_t)(plt_rand() % 6);
				}
				if (len > 12 && (plt_rand() & 1))
					memcpy(buf + 12, MA, 6); /* sometimes for us */
				if (send(sv[1], buf, len, MSG_DONTWAIT) == (ssize_t)len)
					sent++;
			}
			struct pktlink_pkt pk[32];
			int r;
			while ((r = pktlink_rx_burst(a, pk, 32)) > 0) {
				for (int i = 0; i < r; i++) {
					volatile uint8_t x = 0;
					for (uint32_t j = 0; j < pk[i].len; j++)
						x ^= pk[i].data[j]; /* ASan checks the view */
					(void)x;
				}
				seen += (uint64_t)r;
				pktlink_rx_release(a, pk, (unsigned)r);
			}
			PLT_CHECK(r == 0, "rx: %d", r);
		}
		struct pktlink_stats st;
		PLT_OK(pktlink_get_stats(a, &st));
		PLT_CHECK(st.rx_packets == seen &&
				  st.rx_packets + st.rx_drop_invalid + st.rx_drop_filter == sent,
			  "%s: sent %u = %llu + %llu invalid + %llu filtered", specs[k], sent,
			  (unsigned long long)st.rx_packets, (unsigned long long)st.rx_drop_invalid,
			  (unsigned long long)st.rx_drop_filter);
		pktlink_close(a);
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "software_gso", software_gso, PLT_UNIT, 30 },
		{ "software_gso_vlan", software_gso_vlan, PLT_UNIT, 30 },
		{ "gso_none_segments", gso_none_segments, PLT_UNIT, 30 },
		{ "csum_completion", csum_completion, PLT_UNIT, 30 },
		{ "invalid_frames", invalid_frames, PLT_UNIT, 30 },
		{ "backpressure", backpressure, PLT_UNIT, 30 },
		{ "vnet_both_ends", vnet_both_ends, PLT_UNIT, 30 },
		{ "flow_stays_on_one_fd", flow_stays_on_one_fd, PLT_UNIT, 30 },
		{ "tx_writev_on_socket", tx_writev_on_socket, PLT_UNIT, 30 },
		{ "set_link_addr_filter", set_link_addr_filter, PLT_UNIT, 30 },
		{ "hostile_peer", hostile_peer, PLT_UNIT, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
