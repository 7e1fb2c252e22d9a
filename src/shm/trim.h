/* SPDX-License-Identifier: MIT */
/*
 * trim.h — the true length of an Ethernet frame that arrives padded.
 *
 * gVisor's server endpoint (NewServerEndpoint) reports a received packet's
 * size as the sum of the buffers it used, each at its posted size, so a
 * 60-byte frame arrives as 2048 bytes (sharedmem-wire notes: "known
 * defects"). Only the L3 header knows where the frame really ends. A
 * completion that covers whole posted buffers is trimmed to that length.
 *
 * Private to the shm family; pure functions, no shared state.
 */
#ifndef PL_SHM_TRIM_H
#define PL_SHM_TRIM_H

#include <stdint.h>
#include <string.h>

#define PL_ETH_P_IPV4 0x0800u
#define PL_ETH_P_ARP 0x0806u
#define PL_ETH_P_IPV6 0x86DDu
#define PL_ETH_P_8021Q 0x8100u
#define PL_ETH_P_8021AD 0x88A8u

static inline uint16_t pl_trim_be16(const uint8_t *p)
{
	uint8_t b[2];
	memcpy(b, p, 2); /* one read of bytes the peer may still write */
	return (uint16_t)(b[0] << 8 | b[1]);
}

/*
 * pl_frame_l3_len() - the length of the Ethernet frame at @f (@avail bytes
 * readable) as its L3 header gives it: IPv4 total length, IPv6 payload
 * length + 40, or the ARP body (8 + 2 hlen + 2 plen), after up to two VLAN
 * tags. Each field is read once.
 * Return: the frame length (L2 header included), or 0 when the frame is
 * not one of those or its header does not fit in @avail bytes.
 */
static inline uint32_t pl_frame_l3_len(const uint8_t *f, uint32_t avail)
{
	uint32_t l2 = 14;
	if (avail < l2)
		return 0;
	uint16_t type = pl_trim_be16(f + 12);
	for (int tags = 0; tags < 2 && (type == PL_ETH_P_8021Q || type == PL_ETH_P_8021AD); tags++) {
		if (avail < l2 + 4)
			return 0;
		type = pl_trim_be16(f + l2 + 2);
		l2 += 4;
	}
	switch (type) {
	case PL_ETH_P_IPV4: {
		if (avail < l2 + 20)
			return 0;
		uint8_t vihl = f[l2];
		uint32_t tot = pl_trim_be16(f + l2 + 2);
		if ((vihl >> 4) != 4 || tot < 20u || tot < (uint32_t)(vihl & 15u) * 4u)
			return 0;
		return l2 + tot;
	}
	case PL_ETH_P_IPV6: {
		if (avail < l2 + 40)
			return 0;
		uint8_t v = f[l2];
		uint32_t pl = pl_trim_be16(f + l2 + 4);
		if ((v >> 4) != 6 || pl == 0) /* 0: a jumbogram, length unknown here */
			return 0;
		return l2 + 40 + pl;
	}
	case PL_ETH_P_ARP: {
		if (avail < l2 + 8)
			return 0;
		uint8_t hlen = f[l2 + 4], plen = f[l2 + 5];
		return l2 + 8 + 2u * hlen + 2u * plen;
	}
	default:
		return 0;
	}
}

#endif /* PL_SHM_TRIM_H */
