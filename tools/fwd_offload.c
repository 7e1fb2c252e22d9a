/* SPDX-License-Identifier: MIT */
/*
 * fwd_offload.c — offload state across the bridge: completes or segments
 * what the sending side cannot take. (Partial checksums the receiving side's
 * kernel did not mark are completed by the library's receive policy,
 * src/core/rx_policy.h.)
 */
#include "fwd.h"

#include "../src/core/offload.h"

#include <string.h>

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
