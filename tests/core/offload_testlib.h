/* SPDX-License-Identifier: MIT */
/*
 * offload_testlib.h — helpers for the checksum / virtio-net / GSO tests:
 * a naive reference checksum (16-bit big-endian words, the RFC 1071
 * definition, written independently of src/core/offload_csum.c), builders
 * for TCP/UDP super-packets over IPv4/IPv6 with or without Ethernet, and an
 * independent checker for the segments software or kernel GSO produce.
 *
 * Header-only (static functions) so each test program stays one file.
 */
#ifndef PKTLINK_TESTS_OFFLOAD_TESTLIB_H
#define PKTLINK_TESTS_OFFLOAD_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Naive one's complement sum of big-endian 16-bit words, 32-bit, unfolded. */
static inline uint32_t ot_sum(const uint8_t *p, uint64_t len, uint32_t acc)
{
	for (uint64_t i = 0; i + 1 < len; i += 2) {
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
		acc = (acc & 0xffff) + (acc >> 16);
	}
	if (len & 1) {
		acc += (uint32_t)p[len - 1] << 8;
		acc = (acc & 0xffff) + (acc >> 16);
	}
	return acc;
}

/* Complemented 16-bit checksum in host order. */
static inline uint16_t ot_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static inline uint16_t ot_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ot_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ot_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ot_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Pseudo-header sum (naive) for the L4 segment at l4 of l4len bytes. */
static inline uint32_t ot_pseudo(const uint8_t *l3, bool v6, uint8_t proto, uint32_t l4len)
{
	uint32_t acc = 0;
	if (v6) {
		acc = ot_sum(l3 + 8, 32, 0);
		acc += l4len >> 16;
		acc += l4len & 0xffff;
	} else {
		acc = ot_sum(l3 + 12, 8, 0);
		acc += l4len;
	}
	acc += proto;
	return acc;
}

/* Payload byte i of a test super-packet (position-dependent, seeded). */
static inline uint8_t ot_pay(uint32_t seed, uint32_t i)
{
	uint32_t x = (i + 1) * 2654435761u ^ seed;
	return (uint8_t)(x >> 13 ^ x);
}

struct ot_spec {
	uint32_t link; /* 0 or 14 */
	bool v6;
	bool udp;
	uint32_t payload;
	uint32_t tcp_opts; /* multiple of 4, <= 40 */
	uint8_t tcp_flags; /* e.g. 0x18 PSH|ACK */
	uint32_t v6_ext; /* bytes of hop-by-hop options (multiple of 8), 0 = none */
	uint32_t seq;
	uint16_t id;
	uint32_t seed;
	uint8_t saddr[16], daddr[16]; /* 4 bytes used for IPv4 */
	uint8_t smac[6], dmac[6];
	uint16_t sport, dport;
	uint8_t ttl;
};

static inline void ot_default(struct ot_spec *s, uint32_t link, bool v6, bool udp, uint32_t payload)
{
	memset(s, 0, sizeof(*s));
	s->link = link;
	s->v6 = v6;
	s->udp = udp;
	s->payload = payload;
	s->tcp_flags = 0x18;
	s->seq = 0xfffff000u; /* wraps during segmentation */
	s->id = 0xfff0; /* wraps too */
	s->seed = 12345;
	/* 198.18.1.2 -> 198.18.2.2, or 2001:2::/48 benchmarking addresses */
	const uint8_t s4[4] = { 198, 18, 1, 2 }, d4[4] = { 198, 18, 2, 2 };
	const uint8_t s6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
	const uint8_t d6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2 };
	memcpy(s->saddr, v6 ? s6 : s4, v6 ? 16 : 4);
	memcpy(s->daddr, v6 ? d6 : d4, v6 ? 16 : 4);
	const uint8_t sm[6] = { 2, 0, 0, 0, 1, 2 }, dm[6] = { 2, 0, 0, 0, 1, 1 };
	memcpy(s->smac, sm, 6);
	memcpy(s->dmac, dm, 6);
	s->sport = 40000;
	s->dport = 5001;
	s->ttl = 64;
}

/* Offsets of a built packet. */
struct ot_layout {
	uint32_t l3, l4, l4len, pay, len;
};

/*
 * Build the super-packet into buf (cap bytes) with correct full checksums.
 * Return its length, 0 if it does not fit.
 */
static inline uint32_t ot_build(uint8_t *buf, uint32_t cap, const struct ot_spec *s,
				struct ot_layout *lo)
{
	uint32_t l3 = s->link;
	uint32_t iph = s->v6 ? 40 + s->v6_ext : 20;
	uint32_t l4 = l3 + iph;
	uint32_t l4len = s->udp ? 8 : 20 + s->tcp_opts;
	uint32_t pay = l4 + l4len;
	uint32_t len = pay + s->payload;
	if (len > cap)
		return 0;
	memset(buf, 0, pay);
	if (s->link) {
		memcpy(buf, s->dmac, 6);
		memcpy(buf + 6, s->smac, 6);
		ot_wr16(buf + 12, s->v6 ? 0x86dd : 0x0800);
	}
	uint8_t proto = s->udp ? 17 : 6;
	uint8_t *ip = buf + l3;
	if (s->v6) {
		ip[0] = 0x60;
		ot_wr16(ip + 4, (uint16_t)(len - l3 - 40));
		ip[6] = s->v6_ext ? 0 : proto;
		ip[7] = s->ttl;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
		if (s->v6_ext) {
			uint8_t *e = ip + 40;
			e[0] = proto;
			e[1] = (uint8_t)(s->v6_ext / 8 - 1);
			e[2] = 1; /* PadN option covering the rest */
			e[3] = (uint8_t)(s->v6_ext - 4);
		}
	} else {
		ip[0] = 0x45;
		ot_wr16(ip + 2, (uint16_t)(len - l3));
		ot_wr16(ip + 4, s->id);
		ot_wr16(ip + 6, 0x4000); /* DF */
		ip[8] = s->ttl;
		ip[9] = proto;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		ot_wr16(ip + 10, ot_fold(ot_sum(ip, 20, 0)));
	}
	uint8_t *th = buf + l4;
	ot_wr16(th, s->sport);
	ot_wr16(th + 2, s->dport);
	if (s->udp) {
		ot_wr16(th + 4, (uint16_t)(len - l4));
	} else {
		ot_wr32(th + 4, s->seq);
		ot_wr32(th + 8, 0x01020304);
		th[12] = (uint8_t)(((20 + s->tcp_opts) / 4) << 4);
		th[13] = s->tcp_flags;
		ot_wr16(th + 14, 0xffff);
		for (uint32_t i = 0; i < s->tcp_opts; i++)
			th[20 + i] = 1; /* NOPs */
	}
	for (uint32_t i = 0; i < s->payload; i++)
		buf[pay + i] = ot_pay(s->seed, i);
	uint16_t c = ot_fold(ot_sum(th, len - l4, ot_pseudo(ip, s->v6, proto, len - l4)));
	if (s->udp && c == 0)
		c = 0xffff;
	ot_wr16(th + (s->udp ? 6 : 16), c);
	if (lo) {
		lo->l3 = l3;
		lo->l4 = l4;
		lo->l4len = l4len;
		lo->pay = pay;
		lo->len = len;
	}
	return len;
}

/* Replace the L4 checksum with the pseudo-header sum (a NEEDS_CSUM packet). */
static inline void ot_make_partial(uint8_t *buf, const struct ot_spec *s,
				   const struct ot_layout *lo)
{
	uint8_t *ip = buf + lo->l3;
	uint32_t l4total = lo->len - lo->l4;
	uint16_t v = (uint16_t)~ot_fold(ot_pseudo(ip, s->v6, s->udp ? 17 : 6, l4total));
	ot_wr16(buf + lo->l4 + (s->udp ? 6 : 16), v);
}

#define OT_FAIL(...)                                                                           \
	do {                                                                                   \
		snprintf(why, whylen, __VA_ARGS__);                                            \
		return false;                                                                  \
	} while (0)

/*
 * Check segment i (of n, mss payload each but the last) of super-packet s
 * (laid out as lo): lengths, IPv4 tot_len/id/header checksum (TTL and
 * link-layer bytes are compared only if cmp_hdr), IPv6 payload_len, TCP
 * seq/flags, UDP length, the full L4 checksum (or, when partial, the
 * pseudo-header sum), and the payload bytes. why gets the first mismatch.
 */
static inline bool ot_check_segment(const uint8_t *seg, uint32_t seglen, const struct ot_spec *s,
				    const struct ot_layout *lo, uint32_t mss, uint32_t i, uint32_t n,
				    bool partial, bool cmp_hdr, char *why, size_t whylen)
{
	uint32_t off = i * mss;
	uint32_t want_pay = s->payload - off < mss ? s->payload - off : mss;
	if (s->payload == 0)
		want_pay = 0;
	if (seglen != lo->pay + want_pay)
		OT_FAIL("segment %u: length %u, want %u", i, seglen, lo->pay + want_pay);
	const uint8_t *ip = seg + lo->l3;
	const uint8_t *th = seg + lo->l4;
	uint32_t l4total = seglen - lo->l4;
	if (cmp_hdr && s->link && (memcmp(seg, s->dmac, 6) || memcmp(seg + 6, s->smac, 6)))
		OT_FAIL("segment %u: MAC addresses changed", i);
	if (s->v6) {
		if (ot_rd16(ip + 4) != seglen - lo->l3 - 40)
			OT_FAIL("segment %u: payload_len %u", i, ot_rd16(ip + 4));
		if (memcmp(ip + 8, s->saddr, 16) || memcmp(ip + 24, s->daddr, 16))
			OT_FAIL("segment %u: addresses", i);
	} else {
		if (ot_rd16(ip + 2) != seglen - lo->l3)
			OT_FAIL("segment %u: tot_len %u want %u", i, ot_rd16(ip + 2), seglen - lo->l3);
		if (ot_rd16(ip + 4) != (uint16_t)(s->id + i))
			OT_FAIL("segment %u: id %#x want %#x", i, ot_rd16(ip + 4), (uint16_t)(s->id + i));
		if (ot_fold(ot_sum(ip, (uint32_t)(ip[0] & 15) * 4, 0)) != 0)
			OT_FAIL("segment %u: bad IPv4 header checksum", i);
		if (cmp_hdr && ip[8] != s->ttl)
			OT_FAIL("segment %u: ttl %u", i, ip[8]);
		if (memcmp(ip + 12, s->saddr, 4) || memcmp(ip + 16, s->daddr, 4))
			OT_FAIL("segment %u: addresses", i);
	}
	if (ot_rd16(th) != s->sport || ot_rd16(th + 2) != s->dport)
		OT_FAIL("segment %u: ports", i);
	if (s->udp) {
		if (ot_rd16(th + 4) != l4total)
			OT_FAIL("segment %u: udp len %u", i, ot_rd16(th + 4));
	} else {
		if (ot_rd32(th + 4) != s->seq + off)
			OT_FAIL("segment %u: seq %u want %u", i, ot_rd32(th + 4), s->seq + off);
		uint8_t f = s->tcp_flags;
		if (i + 1 != n)
			f &= (uint8_t)~0x09; /* FIN, PSH only on the last */
		if (i != 0)
			f &= (uint8_t)~0x80; /* CWR only on the first */
		if (th[13] != f)
			OT_FAIL("segment %u: flags %#x want %#x", i, th[13], f);
		if (ot_rd32(th + 8) != 0x01020304)
			OT_FAIL("segment %u: ack", i);
	}
	uint32_t ps = ot_pseudo(ip, s->v6, s->udp ? 17 : 6, l4total);
	if (partial) {
		uint16_t want = (uint16_t)~ot_fold(ps);
		uint16_t got = ot_rd16(th + (s->udp ? 6 : 16));
		if (got != want)
			OT_FAIL("segment %u: partial csum %#x want %#x", i, got, want);
	} else if (ot_fold(ot_sum(th, l4total, ps)) != 0) {
		OT_FAIL("segment %u: bad L4 checksum %#x", i, ot_rd16(th + (s->udp ? 6 : 16)));
	}
	for (uint32_t k = 0; k < want_pay; k++)
		if (seg[lo->pay + k] != ot_pay(s->seed, off + k))
			OT_FAIL("segment %u: payload byte %u", i, k);
	return true;
}

#endif
