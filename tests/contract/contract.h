/* SPDX-License-Identifier: MIT */
/*
 * contract.h — the endpoint fixtures of the conformance suite.
 *
 * A fixture opens a pair: the endpoint under test, and a peer that sees
 * what the endpoint sent and injects what it receives — the other end of a
 * socketpair, an AF_PACKET socket (with a virtio-net header, so offload
 * requests are visible) on the veth peer or on the TAP device, or the other
 * pktlink shm endpoint. A case only talks to struct ct_pair, so a new family
 * adds one fixture to the table in test_contract.c.
 */
#ifndef PKTLINK_TESTS_CONTRACT_H
#define PKTLINK_TESTS_CONTRACT_H

#include "harness.h"

#include "core/offload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <pktlink/pktlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Source MAC of every frame a case builds: the peers keep only these. */
static const uint8_t CT_SRC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t CT_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct ct_pair {
	struct pktlink_ep *ep; /* under test */
	int peer_fd; /* socketpair end or AF_PACKET socket; -1 */
	bool peer_vnet; /* peer_fd frames carry a 10-byte virtio-net header */
	struct pktlink_ep *peer_ep; /* the shm peer */
	char dev[16]; /* device to delete to make the peer go away */
	char path[96]; /* shm socket path */
	uint32_t mtu;
	uint32_t max_frame; /* mtu + link header */
};

struct ct_fixture {
	const char *name;
	int (*open)(struct ct_pair *p); /* 0, or PLT_SKIP with a reason printed */
	void (*gone)(struct ct_pair *p); /* make the peer go away */
};

/* ---- opening ---- */

static inline int ct_open_ep(struct ct_pair *p, const char *spec)
{
	char err[512];
	int r = pktlink_open(spec, &p->ep, err, sizeof(err));
	if (r) {
		fprintf(stderr, "open %s: %s\n", spec, err);
		return r == -EOPNOTSUPP || r == -EPROTONOSUPPORT ? PLT_SKIP : 1;
	}
	struct pktlink_info in;
	pktlink_get_info(p->ep, &in);
	p->mtu = in.mtu;
	p->max_frame = in.mtu + in.max_header_len;
	return 0;
}

/* ct_peer_packet() - an AF_PACKET peer on @ifname with a virtio-net header. */
static inline void ct_peer_packet(struct ct_pair *p, const char *ifname)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	PLT_CHECK(s >= 0, "AF_PACKET socket: %s", strerror(errno));
	int one = 1;
	PLT_CHECK(setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0,
		  "PACKET_VNET_HDR");
	int big = 4 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = plt_ifindex(ifname) };
	PLT_CHECK(bind(s, (struct sockaddr *)&sll, sizeof(sll)) == 0, "bind %s", ifname);
	p->peer_fd = s;
	p->peer_vnet = true;
}

/* ---- the peer side ---- */

/* ct_peer_send() - inject one frame towards the endpoint under test. */
static inline void ct_peer_send(struct ct_pair *p, const uint8_t *f, uint32_t len)
{
	if (p->peer_ep) {
		struct pktlink_pkt pk = { .data = (uint8_t *)f, .len = len };
		uint64_t end = plt_now_ns() + 5000000000ull;
		while (pktlink_tx_burst(p->peer_ep, &pk, 1) != 1)
			PLT_CHECK(plt_now_ns() < end, "peer tx stays full");
		return;
	}
	uint8_t vh[10] = { 0 };
	struct iovec iov[2] = { { vh, 10 }, { (void *)f, len } };
	unsigned skip = p->peer_vnet ? 0 : 1;
	ssize_t w = writev(p->peer_fd, iov + skip, 2 - (int)skip);
	PLT_CHECK(w == (ssize_t)(len + (p->peer_vnet ? 10 : 0)), "peer send %u bytes: %zd (%s)", len,
		  w, strerror(errno));
}

/*
 * ct_peer_recv() - the next frame the endpoint sent (source CT_SRC), as the
 * far side would see it on a wire: a GSO super-packet the peer got whole is
 * cut and partial checksums are completed (core/offload.h), so the case can
 * check every frame. Frames go into @out (at most @max), bytes into @buf.
 * Return: the number of frames, 0 when nothing came within @ms.
 */
static inline unsigned ct_peer_recv(struct ct_pair *p, uint8_t *buf, size_t cap,
				    struct pktlink_pkt *out, unsigned max, int ms)
{
	static uint8_t raw[70000];
	uint64_t end = plt_now_ns() + (uint64_t)ms * 1000000ull;
	for (;;) {
		int left = (int)((end - plt_now_ns()) / 1000000);
		if (plt_now_ns() >= end)
			return 0;
		struct pktlink_pkt pk = { 0 };
		if (p->peer_ep) {
			struct pktlink_pkt in;
			int n = pktlink_rx_burst(p->peer_ep, &in, 1);
			if (n <= 0) {
				pktlink_wait(p->peer_ep, left < 20 ? left : 20);
				continue;
			}
			PLT_CHECK(in.len <= sizeof(raw), "peer frame of %u bytes", in.len);
			memcpy(raw, in.data, in.len);
			pk = in;
			pk.data = raw;
			pktlink_rx_release(p->peer_ep, &in, 1);
		} else {
			struct pollfd pfd = { p->peer_fd, POLLIN, 0 };
			if (poll(&pfd, 1, left < 20 ? left : 20) <= 0)
				continue;
			struct sockaddr_ll sll;
			socklen_t sl = sizeof(sll);
			ssize_t n = recvfrom(p->peer_fd, raw, sizeof(raw), MSG_DONTWAIT,
					     (struct sockaddr *)&sll, &sl);
			if (n <= 0)
				continue;
			if (sl >= sizeof(sll) && sll.sll_family == AF_PACKET &&
			    sll.sll_pkttype == PACKET_OUTGOING)
				continue; /* our own injection */
			uint32_t off = p->peer_vnet ? 10 : 0;
			if ((size_t)n < off)
				continue;
			pk.data = raw + off;
			pk.len = (uint32_t)n - off;
			if (off)
				PLT_CHECK(pl_vnet_to_pkt(raw, pk.len, &pk) == 0, "peer vnet header");
		}
		if (pk.len < 14 || memcmp(pk.data + 6, CT_SRC, 6))
			continue; /* not a case's frame (kernel chatter) */
		if (pk.gso_type) {
			struct pl_gso g;
			PLT_CHECK(pl_gso_init(&g, &pk, 14, false) == 0, "peer got a bad super-packet");
			unsigned k = 0;
			size_t used = 0;
			int len;
			while (k < max && (len = pl_gso_next(&g, buf + used, 9100 < cap - used
										? 9100
										: (uint32_t)(cap - used))) > 0) {
				out[k++] = (struct pktlink_pkt){ .data = buf + used, .len = (uint32_t)len };
				used += (size_t)len;
			}
			return k;
		}
		PLT_CHECK(pk.len <= cap, "frame %u > %zu", pk.len, cap);
		memcpy(buf, pk.data, pk.len);
		if (pk.flags & PKTLINK_PKT_CSUM_PARTIAL)
			PLT_CHECK(pl_csum_complete(buf, pk.len, pk.csum_start, pk.csum_offset) == 0,
				  "peer csum offsets");
		out[0] = (struct pktlink_pkt){ .data = buf, .len = pk.len };
		return 1;
	}
}

/* ct_ep_recv() - frames the endpoint under test received (bounded wait); copied into @buf. */
static inline unsigned ct_ep_recv_one(struct ct_pair *p, uint8_t *buf, uint32_t *len, int ms)
{
	uint64_t end = plt_now_ns() + (uint64_t)ms * 1000000ull;
	while (plt_now_ns() < end) {
		struct pktlink_pkt in;
		int n = pktlink_rx_burst(p->ep, &in, 1);
		PLT_CHECK(n >= 0, "rx_burst: %s", pktlink_strerror(n));
		if (n == 0) {
			pktlink_wait(p->ep, 20);
			continue;
		}
		bool ours = in.len >= 14 && !memcmp(in.data + 6, CT_SRC, 6);
		if (ours) {
			memcpy(buf, in.data, in.len);
			*len = in.len;
		}
		pktlink_rx_release(p->ep, &in, 1);
		if (ours)
			return 1;
	}
	return 0;
}

/* ---- frames ---- */

/* ct_raw() - an Ethernet frame of @len bytes (EtherType 0x88b5, local
 * experimental: no stack takes it) with a pattern from @seed. */
static inline uint32_t ct_raw(uint8_t *f, uint32_t len, uint32_t seed)
{
	memcpy(f, CT_BCAST, 6);
	memcpy(f + 6, CT_SRC, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (uint32_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 13 + seed * 7 + (i >> 8));
	if (len >= 18)
		memcpy(f + 14, &seed, 4);
	return len;
}

enum ct_l4 { CT_UDP4, CT_TCP4, CT_UDP6, CT_TCP6 };

/*
 * ct_ip() - an Ethernet/IP/TCP-or-UDP frame with @plen payload bytes: the
 * IPv4 header checksum is filled in, the L4 checksum is left partial (the
 * pseudo-header sum, ready for PKTLINK_PKT_CSUM_PARTIAL) and @pk describes
 * it. Return: the frame length.
 */
static inline uint32_t ct_ip(uint8_t *f, enum ct_l4 kind, uint32_t plen, struct pktlink_pkt *pk)
{
	bool v6 = kind == CT_UDP6 || kind == CT_TCP6, tcp = kind == CT_TCP4 || kind == CT_TCP6;
	uint32_t l3 = v6 ? 40 : 20, l4 = tcp ? 20 : 8, len = 14 + l3 + l4 + plen;
	memset(f, 0, 14 + l3 + l4);
	memcpy(f, CT_BCAST, 6);
	memcpy(f + 6, CT_SRC, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	uint8_t *ip = f + 14, *th = ip + l3;
	uint8_t proto = tcp ? 6 : 17;
	if (v6) {
		ip[0] = 0x60;
		uint16_t pl = htons((uint16_t)(l4 + plen));
		memcpy(ip + 4, &pl, 2);
		ip[6] = proto;
		ip[7] = 64;
		static const uint8_t s6[16] = { 0x20, 0x01, 0, 2, [15] = 1 },
				     d6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
		memcpy(ip + 8, s6, 16);
		memcpy(ip + 24, d6, 16);
	} else {
		ip[0] = 0x45;
		uint16_t tl = htons((uint16_t)(l3 + l4 + plen));
		memcpy(ip + 2, &tl, 2);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = proto;
		uint32_t s = htonl(PLT_IP(198, 18, 7, 1)), d = htonl(PLT_IP(198, 18, 7, 2));
		memcpy(ip + 12, &s, 4);
		memcpy(ip + 16, &d, 4);
		uint16_t c = pl_csum_fold(pl_csum_partial(ip, 20, 0));
		memcpy(ip + 10, &c, 2);
	}
	th[0] = 0x30;
	th[1] = 0x39; /* port 12345 */
	th[2] = 0x1f;
	th[3] = 0x90; /* port 8080 */
	if (tcp) {
		th[4] = 0x10; /* seq 0x10000000 */
		th[12] = 0x50;
		th[13] = 0x18; /* PSH ACK */
		th[14] = 0xff;
		th[15] = 0xff;
	} else {
		uint16_t ul = htons((uint16_t)(8 + plen));
		memcpy(th + 4, &ul, 2);
	}
	for (uint32_t i = 0; i < plen; i++)
		th[l4 + i] = (uint8_t)(i * 7 + (i >> 8) + kind);
	uint32_t ps = v6 ? pl_csum_pseudo6(ip + 8, ip + 24, proto, l4 + plen)
			 : pl_csum_pseudo4(ip + 12, ip + 16, proto, l4 + plen);
	uint16_t part = (uint16_t)~pl_csum_fold(ps);
	memcpy(th + (tcp ? 16 : 6), &part, 2);
	memset(pk, 0, sizeof(*pk));
	pk->data = f;
	pk->len = len;
	pk->flags = PKTLINK_PKT_CSUM_PARTIAL;
	pk->csum_start = (uint16_t)(14 + l3);
	pk->csum_offset = tcp ? 16 : 6;
	return len;
}

/*
 * ct_verify() - check one received IP frame independently of the sender:
 * lengths agree, the IPv4 header checksum and the full L4 checksum verify.
 * Appends its L4 payload to @pay (at *plen). Return 0, or -1 with a message.
 */
static inline int ct_verify(const uint8_t *f, uint32_t len, uint8_t *pay, uint32_t *plen,
			    uint32_t paycap)
{
	struct pl_l4_info l4;
	if (pl_parse_l4(f, len, 14, &l4)) {
		fprintf(stderr, "received frame of %u bytes does not parse as IP/TCP/UDP\n", len);
		return -1;
	}
	const uint8_t *ip = f + l4.l3_off;
	if (!l4.ipv6 && pl_csum_fold(pl_csum_partial(ip, (size_t)(ip[0] & 15) * 4, 0)) != 0) {
		fprintf(stderr, "IPv4 header checksum wrong\n");
		return -1;
	}
	uint32_t n = l4.end - l4.l4_off;
	uint32_t ps = l4.ipv6 ? pl_csum_pseudo6(ip + 8, ip + 24, l4.proto, n)
			      : pl_csum_pseudo4(ip + 12, ip + 16, l4.proto, n);
	uint16_t r = pl_csum_fold(pl_csum_partial(f + l4.l4_off, n, ps));
	if (r != 0) {
		fprintf(stderr, "%s checksum wrong (frame of %u bytes, residue %#x)\n",
			l4.proto == 6 ? "TCP" : "UDP", len, r);
		return -1;
	}
	uint32_t hl = l4.proto == 6 ? (uint32_t)(f[l4.l4_off + 12] >> 4) * 4 : 8;
	uint32_t pl = n - hl;
	if (*plen + pl > paycap)
		return -1;
	memcpy(pay + *plen, f + l4.l4_off + hl, pl);
	*plen += pl;
	return 0;
}

#endif
