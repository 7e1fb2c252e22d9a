/* SPDX-License-Identifier: MIT */
/*
 * offload.h — checksums, virtio-net headers and software GSO, shared by every
 * family that carries offload metadata (fd, shm). Pure functions over bytes:
 * unit-tested and fuzzed without privileges.
 *
 * Every function that reads a frame treats it as untrusted: offsets and
 * lengths are checked in 64-bit arithmetic against the frame length.
 *
 * Private to the library.
 */
#ifndef PL_CORE_OFFLOAD_H
#define PL_CORE_OFFLOAD_H

#include <pktlink/pktlink.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Internet checksum ---- */

/** pl_csum_partial() - add buf to a 32-bit one's complement accumulator. */
uint32_t pl_csum_partial(const void *buf, size_t len, uint32_t sum);

/** pl_csum_fold() - fold an accumulator to 16 bits and complement it. */
uint16_t pl_csum_fold(uint32_t sum);

/**
 * pl_csum_complete() - finish a partial checksum (virtio NEEDS_CSUM) in
 * place: sum from csum_start to the end (the field holds the pseudo-header
 * sum), store the folded result at csum_start + csum_offset.
 * Return: 0, or -EINVAL when the offsets do not fit in len.
 */
int pl_csum_complete(uint8_t *frame, uint32_t len, uint32_t csum_start, uint32_t csum_offset);

/* ---- virtio-net header ---- */

#define PL_VNET_HDR_LEN 10 /* struct virtio_net_hdr */
#define PL_VNET_HDR_MRG_LEN 12 /* with num_buffers */

/**
 * pl_vnet_to_pkt() - read a virtio-net header that precedes a frame of
 * frame_len bytes into pkt's offload fields and flags. The header comes
 * from the kernel or a peer: every field is validated (csum_start +
 * csum_offset + 2 within the frame, known gso_type, gso_size non-zero for
 * GSO), and hdr_len is ignored (recomputed by whoever needs it).
 * Return: 0, or -EINVAL for a header that cannot be honoured.
 */
int pl_vnet_to_pkt(const void *hdr, uint32_t frame_len, struct pktlink_pkt *pkt);

/**
 * pl_pkt_to_vnet() - write the virtio-net header (hdr_len bytes, 10 or 12)
 * that describes pkt's offload request, with hdr_len computed from the frame.
 * link_hdr_len: 14 for Ethernet frames, 0 for IP-only links.
 * Return: 0, or -EINVAL when the request is malformed.
 */
int pl_pkt_to_vnet(const struct pktlink_pkt *pkt, uint32_t link_hdr_len, void *hdr,
		   uint32_t hdr_len);

/* ---- software GSO ---- */

/**
 * struct pl_gso - iterator that cuts a TCP/UDP super-packet into segments.
 * Opaque to callers; lives on the stack, no allocation.
 */
struct pl_gso {
	const uint8_t *frame;
	uint32_t len;
	uint32_t link_len; /* link header bytes */
	uint32_t l3_len; /* IP header bytes (IPv6 with extension headers: up to the L4 header) */
	uint32_t l4_len; /* TCP/UDP header bytes */
	uint32_t hdrs_len; /* link_len + l3_len + l4_len */
	uint32_t mss; /* payload per segment */
	uint32_t off; /* payload offset of the next segment */
	uint32_t index; /* segment number */
	uint8_t ipv6;
	uint8_t udp;
	uint8_t csum_partial_out; /* leave L4 checksums partial instead of full */
};

/**
 * pl_gso_init() - prepare to segment pkt (its gso_type/gso_size say how).
 * link_len: 14 for Ethernet, 0 for IP-only links. partial_out: emit each
 * segment with a partial L4 checksum (for a next hop that completes it)
 * instead of a full one.
 * Return: 0, -EINVAL for a malformed packet or request.
 */
int pl_gso_init(struct pl_gso *g, const struct pktlink_pkt *pkt, uint32_t link_len,
		bool partial_out);

/**
 * pl_gso_next() - write the next segment into out (cap bytes).
 * Return: its length, 0 when all segments were written, -ENOSPC when out is
 * too small, -EINVAL on a malformed packet.
 */
int pl_gso_next(struct pl_gso *g, uint8_t *out, uint32_t cap);

/** pl_gso_count() - number of segments pl_gso_next() will produce. */
uint32_t pl_gso_count(const struct pl_gso *g);

#endif /* PL_CORE_OFFLOAD_H */
