/* SPDX-License-Identifier: MIT */
/*
 * rx_policy.c — the out-of-line half of the receive policy (rx_policy.h):
 * frames that carry an offload request.
 */
#include "core/rx_policy.h"

#include <string.h>

int pl_rx_offload(const struct pl_rx_policy *rp, struct pktlink_pkt *p)
{
	if (p->gso_type != PKTLINK_GSO_NONE && !rp->gso)
		return PL_RX_INVALID; /* a super-packet the stack said it cannot take */
	if ((p->flags & PKTLINK_PKT_CSUM_PARTIAL) && !rp->rx_csum) {
		/* the stack did not ask for partial checksums: finish it here,
		 * in the endpoint's own buffer */
		if (p->gso_type != PKTLINK_GSO_NONE ||
		    pl_csum_complete(p->data, p->len, p->csum_start, p->csum_offset) != 0)
			return PL_RX_INVALID;
		p->flags &= (uint16_t)~PKTLINK_PKT_CSUM_PARTIAL;
		p->csum_start = p->csum_offset = 0;
	}
	return PL_RX_KEEP;
}

/*
 * unmarked_fast() - the per-frame check without the general parse, for the
 * frames most traffic is: whether frame certainly needs no completion
 * (false), or has to go through the full check (true). It may answer false
 * without validating the headers because every frame the general parse
 * refuses needs no completion either.
 */
static inline bool unmarked_fast(const uint8_t *f, uint32_t len, uint32_t link_len)
{
	if (link_len != 14 || len < 14 + 20 + 8)
		return true;
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	if (et != 0x0800)
		return et == 0x86dd || et == 0x8100 || et == 0x88a8; /* IPv6, VLAN: full parse */
	const uint8_t *ip = f + 14;
	if (ip[0] != 0x45)
		return true; /* IP options, or not version 4 (refused there) */
	uint32_t off = ip[9] == 6 ? 16 : ip[9] == 17 ? 6 : 0;
	if (!off)
		return false; /* neither TCP nor UDP */
	if (34 + off + 2 > len)
		return true;
	uint16_t field;
	memcpy(&field, ip + 20 + off, 2);
	if (ip[9] == 17 && field == 0)
		return false; /* IPv4 UDP without a checksum */
	uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]);
	if (tot < 20)
		return false; /* refused by the parse */
	/* The full check's partial sum for this header (l4 bytes = tot - 20). */
	uint16_t partial = (uint16_t)~pl_csum_fold(pl_csum_pseudo4(ip + 12, ip + 16, ip[9], tot - 20));
	return field == partial;
}

bool pl_rx_fix_unmarked(uint8_t *frame, uint32_t len, uint32_t link_len)
{
	if (!unmarked_fast(frame, len, link_len))
		return false;
	struct pl_l4_info l4;
	if (pl_parse_l4(frame, len, link_len, &l4))
		return false;
	uint32_t off = l4.proto == 6 ? 16 : 6;
	if ((uint64_t)l4.l4_off + off + 2 > l4.end)
		return false;
	uint16_t field;
	memcpy(&field, frame + l4.l4_off + off, 2);
	if (l4.proto == 17 && field == 0 && !l4.ipv6)
		return false; /* IPv4 UDP without a checksum */
	const uint8_t *ip = frame + l4.l3_off;
	uint32_t l4_bytes = l4.end - l4.l4_off;
	uint32_t pseudo = l4.ipv6 ? pl_csum_pseudo6(ip + 8, ip + 24, l4.proto, l4_bytes)
				  : pl_csum_pseudo4(ip + 12, ip + 16, l4.proto, l4_bytes);
	uint16_t partial = (uint16_t)~pl_csum_fold(pseudo);
	if (field != partial)
		return false;
	return pl_csum_complete(frame, l4.end, l4.l4_off, off) == 0;
}
