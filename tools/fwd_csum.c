/* SPDX-License-Identifier: MIT */
/*
 * fwd_csum.c — finish checksums that arrive unfinished without being marked.
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
