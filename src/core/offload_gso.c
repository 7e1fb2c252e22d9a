/* SPDX-License-Identifier: MIT */
/*
 * offload_gso.c — header parsing and software GSO: cut a TCP or UDP (USO)
 * super-packet into segments of gso_size payload bytes, the way Linux's
 * tcp_gso_segment()/__udp_gso_segment() do, without allocation.
 *
 * The super-packet is untrusted (it may come from a shared-memory peer):
 * pl_gso_init() validates every header length against the frame in 64-bit
 * arithmetic and records the offsets; pl_gso_next() uses only those recorded
 * offsets, never re-reads a length from the frame, so a frame changed under
 * our feet yields wrong bytes but no out-of-bounds access.
 */
#include "core/offload.h"

#include <errno.h>
#include <string.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6_ 0x86dd
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88a8

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

#define MAX_EXT_HDRS 8

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int pl_parse_l4(const uint8_t *f, uint32_t len, uint32_t link_len, struct pl_l4_info *in)
{
	uint64_t off, end, l4;
	unsigned version;

	if (!f || !in)
		return -EINVAL;
	if (link_len == 14) {
		if (len < 14)
			return -EINVAL;
		uint16_t et = rd16(f + 12);
		off = 14;
		if (et == ETH_P_8021Q_ || et == ETH_P_8021AD_) {
			if (len < 18)
				return -EINVAL;
			et = rd16(f + 16);
			off = 18;
		}
		if (et == ETH_P_IPV4)
			version = 4;
		else if (et == ETH_P_IPV6_)
			version = 6;
		else
			return -EINVAL;
		if (off >= len || (f[off] >> 4) != version)
			return -EINVAL;
	} else if (link_len == 0) {
		off = 0;
		if (len < 1)
			return -EINVAL;
		version = f[0] >> 4;
	} else {
		return -EINVAL;
	}

	uint8_t proto;
	if (version == 4) {
		if (off + 20 > len)
			return -EINVAL;
		uint64_t ihl = (uint64_t)(f[off] & 0x0f) * 4;
		uint64_t tot = rd16(f + off + 2);
		if (ihl < 20 || off + ihl > len)
			return -EINVAL;
		/* tot_len 0 would be BIG TCP; not supported here. */
		if (tot < ihl || off + tot > len)
			return -EINVAL;
		/* A fragment cannot be segmented (MF set or offset non-zero). */
		if (rd16(f + off + 6) & 0x3fff)
			return -EINVAL;
		proto = f[off + 9];
		end = off + tot;
		l4 = off + ihl;
		in->ipv6 = 0;
	} else if (version == 6) {
		if (off + 40 > len)
			return -EINVAL;
		uint64_t plen = rd16(f + off + 4);
		/* payload_len 0 is a jumbogram (hop-by-hop jumbo option): no. */
		if (plen == 0 || off + 40 + plen > len)
			return -EINVAL;
		end = off + 40 + plen;
		proto = f[off + 6];
		l4 = off + 40;
		for (unsigned n = 0; n <= MAX_EXT_HDRS; n++) {
			if (proto != 0 && proto != 60) /* hop-by-hop, destination options */
				break;
			if (n == MAX_EXT_HDRS)
				return -EINVAL; /* bounded walk: too many options headers */
			if (l4 + 2 > end)
				return -EINVAL;
			uint64_t hl = ((uint64_t)f[l4 + 1] + 1) * 8;
			if (l4 + hl > end)
				return -EINVAL;
			proto = f[l4];
			l4 += hl;
		}
		in->ipv6 = 1;
	} else {
		return -EINVAL;
	}

	uint64_t l4_len;
	if (proto == 6) {
		if (l4 + 20 > end)
			return -EINVAL;
		l4_len = (uint64_t)(f[l4 + 12] >> 4) * 4;
		if (l4_len < 20 || l4 + l4_len > end)
			return -EINVAL;
	} else if (proto == 17) {
		l4_len = 8;
		if (l4 + l4_len > end)
			return -EINVAL;
	} else {
		/* Routing (43), fragment (44), ESP, AH, anything else. */
		return -EINVAL;
	}
	in->l3_off = (uint32_t)off;
	in->l4_off = (uint32_t)l4;
	in->l4_len = (uint32_t)l4_len;
	in->end = (uint32_t)end;
	in->proto = proto;
	return 0;
}

int pl_gso_init(struct pl_gso *g, const struct pktlink_pkt *pkt, uint32_t link_len,
		bool partial_out)
{
	struct pl_l4_info in;

	if (!g)
		return -EINVAL;
	/* Zeroed first, so a failed init leaves an iterator that yields nothing. */
	memset(g, 0, sizeof(*g));
	if (!pkt || !pkt->data || pkt->gso_size == 0)
		return -EINVAL;
	int r = pl_parse_l4(pkt->data, pkt->len, link_len, &in);
	if (r < 0)
		return r;
	switch (pkt->gso_type) {
	case PKTLINK_GSO_TCPV4:
		if (in.ipv6 || in.proto != 6)
			return -EINVAL;
		break;
	case PKTLINK_GSO_TCPV6:
		if (!in.ipv6 || in.proto != 6)
			return -EINVAL;
		break;
	case PKTLINK_GSO_UDP_L4:
		if (in.proto != 17)
			return -EINVAL;
		break;
	default: /* NONE, legacy UFO, unknown */
		return -EINVAL;
	}
	const uint8_t *f = pkt->data;
	g->frame = f;
	g->len = pkt->len;
	g->link_len = in.l3_off;
	g->l3_len = in.l4_off - in.l3_off;
	g->l4_len = in.l4_len;
	g->hdrs_len = in.l4_off + in.l4_len;
	g->end = in.end;
	g->mss = pkt->gso_size;
	g->ipv6 = in.ipv6;
	g->udp = in.proto == 17;
	g->csum_partial_out = partial_out;
	uint32_t payload = g->end - g->hdrs_len;
	/* A payload that fits one segment (or is empty) is sent as it is,
	 * like tcp_gso_segment() does. */
	g->count = payload ? (uint32_t)(((uint64_t)payload + g->mss - 1) / g->mss) : 1;
	if (!g->udp)
		g->seq0 = rd32(f + in.l4_off + 4);
	if (!g->ipv6)
		g->id0 = rd16(f + in.l3_off + 4);
	return 0;
}

uint32_t pl_gso_count(const struct pl_gso *g)
{
	return g ? g->count : 0;
}

int pl_gso_next(struct pl_gso *g, uint8_t *out, uint32_t cap)
{
	if (!g || !g->frame || g->index >= g->count)
		return 0;
	uint32_t payload = g->end - g->hdrs_len;
	uint32_t seg = payload - g->off;
	if (seg > g->mss)
		seg = g->mss;
	uint64_t seg_len = (uint64_t)g->hdrs_len + seg;
	if (!out || seg_len > cap)
		return -ENOSPC;
	bool first = g->index == 0, last = g->index + 1 == g->count;

	memcpy(out, g->frame, g->hdrs_len);
	memcpy(out + g->hdrs_len, g->frame + g->hdrs_len + g->off, seg);

	uint8_t *l3 = out + g->link_len;
	uint8_t *l4 = l3 + g->l3_len;
	uint32_t l4_total = g->l4_len + seg;
	uint32_t sum;
	uint8_t proto = g->udp ? 17 : 6;

	if (g->ipv6) {
		/* payload_len covers extension headers too. */
		wr16(l3 + 4, (uint16_t)(g->l3_len - 40 + l4_total));
		sum = pl_csum_pseudo6(l3 + 8, l3 + 24, proto, l4_total);
	} else {
		wr16(l3 + 2, (uint16_t)(g->l3_len + l4_total));
		wr16(l3 + 4, (uint16_t)(g->id0 + g->index));
		l3[10] = l3[11] = 0;
		uint16_t ipc = pl_csum_fold(pl_csum_partial(l3, g->l3_len, 0));
		memcpy(l3 + 10, &ipc, 2);
		sum = pl_csum_pseudo4(l3 + 12, l3 + 16, proto, l4_total);
	}

	uint8_t *check;
	if (g->udp) {
		wr16(l4 + 4, (uint16_t)l4_total);
		check = l4 + 6;
	} else {
		wr32(l4 + 4, g->seq0 + g->off);
		uint8_t fl = l4[13];
		if (!last)
			fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (!first)
			fl &= (uint8_t)~TCP_CWR;
		l4[13] = fl;
		check = l4 + 16;
	}

	uint16_t c;
	if (g->csum_partial_out) {
		/* What a NEEDS_CSUM packet carries: the folded pseudo-header
		 * sum, not complemented (~fold undoes fold's complement). */
		c = (uint16_t)~pl_csum_fold(sum);
	} else {
		check[0] = check[1] = 0;
		c = pl_csum_fold(pl_csum_partial(l4, l4_total, sum));
		if (g->udp && c == 0)
			c = 0xffff; /* 0 means "no checksum" in UDP */
	}
	memcpy(check, &c, 2);

	g->off += seg;
	g->index++;
	return (int)seg_len;
}
