/* SPDX-License-Identifier: MIT */
/*
 * offload_vnet.c — struct virtio_net_hdr <-> struct pktlink_pkt offload
 * fields.
 *
 * The header is little-endian (virtio 1.0; TUN/TAP and AF_PACKET use the
 * CPU's order for "legacy" headers, which is little-endian on every CPU we
 * target — x86-64 and arm64). Fields are read byte by byte, so the header
 * needs no alignment.
 *
 * Linux's uapi headers here are 6.1: constants added later are defined
 * below when missing.
 */
#include "core/offload.h"

#include <errno.h>
#include <string.h>

#include <linux/virtio_net.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* Linux 6.2 */
#endif

#define VNET_KNOWN_FLAGS (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int pl_vnet_to_pkt(const void *hdr, uint32_t frame_len, struct pktlink_pkt *pkt)
{
	if (!hdr || !pkt)
		return -EINVAL;
	/* Read every field once into a local: the header may sit in memory a
	 * peer can still write. */
	const uint8_t *h = hdr;
	uint8_t flags = h[0];
	uint8_t gso_type = h[1];
	/* h[2..3] is hdr_len: never trusted, never used. */
	uint16_t gso_size = le16(h + 4);
	uint16_t csum_start = le16(h + 6);
	uint16_t csum_offset = le16(h + 8);

	/* RSC_INFO and unknown flags repurpose the csum fields: refuse. */
	if (flags & ~VNET_KNOWN_FLAGS)
		return -EINVAL;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if ((uint64_t)csum_start + csum_offset + 2 > frame_len)
			return -EINVAL;
	}
	/* The ECN bit only says the TCP header has CWR set; the segmenter
	 * handles CWR itself (pl_pkt_to_vnet sets the bit again from the
	 * header), so it is accepted and dropped here. */
	uint8_t type = gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	switch (type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (gso_type & VIRTIO_NET_HDR_GSO_ECN)
			return -EINVAL;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (gso_size == 0)
			return -EINVAL;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (gso_size == 0 || (gso_type & VIRTIO_NET_HDR_GSO_ECN))
			return -EINVAL;
		break;
	default: /* legacy UFO (we never ask for it) and unknown types */
		return -EINVAL;
	}

	uint16_t pf = pkt->flags & (uint16_t)~(PKTLINK_PKT_CSUM_PARTIAL | PKTLINK_PKT_CSUM_VALID);
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		pf |= PKTLINK_PKT_CSUM_PARTIAL;
	if (flags & VIRTIO_NET_HDR_F_DATA_VALID)
		pf |= PKTLINK_PKT_CSUM_VALID;
	pkt->flags = pf;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		pkt->csum_start = csum_start;
		pkt->csum_offset = csum_offset;
	} else {
		pkt->csum_start = 0;
		pkt->csum_offset = 0;
	}
	pkt->gso_type = type;
	pkt->gso_size = type == VIRTIO_NET_HDR_GSO_NONE ? 0 : gso_size;
	return 0;
}

int pl_pkt_to_vnet(const struct pktlink_pkt *pkt, uint32_t link_hdr_len, void *hdr,
		   uint32_t hdr_len)
{
	if (!pkt || !hdr || (hdr_len != PL_VNET_HDR_LEN && hdr_len != PL_VNET_HDR_MRG_LEN))
		return -EINVAL;
	uint8_t h[PL_VNET_HDR_MRG_LEN];
	memset(h, 0, sizeof(h));
	uint32_t flags = pkt->flags;
	uint16_t vhdr_len = 0;

	if (flags & PKTLINK_PKT_CSUM_PARTIAL) {
		if ((uint64_t)pkt->csum_start + pkt->csum_offset + 2 > pkt->len)
			return -EINVAL;
		h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		put_le16(h + 6, pkt->csum_start);
		put_le16(h + 8, pkt->csum_offset);
		/* The least the kernel must see linearly to write the sum. */
		vhdr_len = (uint16_t)(pkt->csum_start + pkt->csum_offset + 2);
	}
	/* Both may be set (a partial L4 sum, everything else verified). */
	if (flags & PKTLINK_PKT_CSUM_VALID)
		h[0] |= VIRTIO_NET_HDR_F_DATA_VALID;

	if (pkt->gso_type != PKTLINK_GSO_NONE) {
		struct pl_l4_info in;
		uint8_t type = pkt->gso_type;
		if (pkt->gso_size == 0 || !pkt->data)
			return -EINVAL;
		if (pl_parse_l4(pkt->data, pkt->len, link_hdr_len, &in) < 0)
			return -EINVAL;
		if (type == PKTLINK_GSO_TCPV4 && (in.ipv6 || in.proto != 6))
			return -EINVAL;
		if (type == PKTLINK_GSO_TCPV6 && (!in.ipv6 || in.proto != 6))
			return -EINVAL;
		if (type == PKTLINK_GSO_UDP_L4 && in.proto != 17)
			return -EINVAL;
		if (type != PKTLINK_GSO_TCPV4 && type != PKTLINK_GSO_TCPV6 &&
		    type != PKTLINK_GSO_UDP_L4)
			return -EINVAL;
		/* CWR in the TCP header: tell the device (SKB_GSO_TCP_ECN) so
		 * a TSO engine without ECN support segments in software. */
		if (in.proto == 6 && (pkt->data[in.l4_off + 13] & 0x80))
			type |= VIRTIO_NET_HDR_GSO_ECN;
		h[1] = type;
		put_le16(h + 4, pkt->gso_size);
		/* Computed, never copied from a peer: all headers up to the
		 * end of the TCP/UDP header. */
		vhdr_len = (uint16_t)(in.l4_off + in.l4_len);
	}
	put_le16(h + 2, vhdr_len);
	memcpy(hdr, h, hdr_len);
	return 0;
}
