/* SPDX-License-Identifier: MIT */
/*
 * fwd_offload.c — offload state across the bridge. Finishes checksums that
 * arrive unfinished without being marked, and completes or segments what the
 * sending side cannot take.
 *
 * A veth or TAP sender with checksum offload on hands the kernel TCP/UDP
 * frames whose checksum field holds only the pseudo-header sum
 * (CHECKSUM_PARTIAL). An endpoint that gets the offload state from the
 * kernel (virtio-net header) marks them PKTLINK_PKT_CSUM_PARTIAL; one that
 * cannot (AF_XDP, AF_PACKET without vnet_hdr) hands them out unmarked, and
 * forwarded as they are the receiver drops them ("cksum incorrect"). The
 * pattern is recognisable: the field equals the folded pseudo-header sum.
 * Completing such a frame is safe even when the match is a coincidence on a
 * correct frame: completion then recomputes the same correct value.
 */
#include "fwd.h"

#include "../src/core/offload.h"

#include <string.h>

bool fwd_csum_fix(uint8_t *frame, uint32_t len, uint32_t link_len)
{
	struct pl_l4_info l4;
	if (pl_parse_l4(frame, len, link_len, &l4))
		return false;
	uint32_t off = l4.proto == 6 ? 16 : 6;
	uint32_t l4_bytes = l4.end - l4.l4_off;
	if ((uint64_t)l4.l4_off + off + 2 > l4.end)
		return false;
	uint16_t field;
	memcpy(&field, frame + l4.l4_off + off, 2);
	if (l4.proto == 17 && field == 0 && !l4.ipv6)
		return false; /* IPv4 UDP without a checksum */
	const uint8_t *ip = frame + l4.l3_off;
	uint32_t pseudo = l4.ipv6 ? pl_csum_pseudo6(ip + 8, ip + 24, l4.proto, l4_bytes)
				  : pl_csum_pseudo4(ip + 12, ip + 16, l4.proto, l4_bytes);
	uint16_t partial = (uint16_t)~pl_csum_fold(pseudo);
	if (field != partial)
		return false;
	return pl_csum_complete(frame, l4.end, l4.l4_off, off) == 0;
}

bool fwd_csum_complete(struct pktlink_pkt *p)
{
	if (pl_csum_complete(p->data, p->len, p->csum_start, p->csum_offset))
		return false;
	p->flags &= (uint16_t)~PKTLINK_PKT_CSUM_PARTIAL;
	p->csum_start = p->csum_offset = 0;
	return true;
}

int fwd_gso_segment(const struct pktlink_pkt *p, uint32_t link_len, uint8_t *buf, size_t cap,
		    uint32_t seg_cap, struct pktlink_pkt *segs, unsigned max)
{
	struct pl_gso g;
	if (pl_gso_init(&g, p, link_len, false))
		return -1;
	unsigned n = 0;
	size_t used = 0;
	for (;;) {
		if (n == max || used + seg_cap > cap)
			return -1;
		int len = pl_gso_next(&g, buf + used, seg_cap);
		if (len == 0)
			break;
		if (len < 0)
			return -1;
		segs[n] = (struct pktlink_pkt){ .data = buf + used, .len = (uint32_t)len };
		if (p->flags & PKTLINK_PKT_VLAN) {
			segs[n].flags = PKTLINK_PKT_VLAN;
			segs[n].vlan_tci = p->vlan_tci;
			segs[n].vlan_proto = p->vlan_proto;
		}
		used += (size_t)len;
		n++;
	}
	return (int)n;
}
