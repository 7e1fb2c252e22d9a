/* SPDX-License-Identifier: MIT */
/*
 * offload.h — checksums, virtio-net headers and software GSO, shared by every
 * family that carries offload metadata (fd, shm). Pure functions over bytes:
 * unit-tested and fuzzed without privileges.
 *
 * Every function that reads a frame treats it as untrusted: offsets and
 * lengths are checked in 64-bit arithmetic against the frame length.
 *
 * Threading: no function keeps state; all are safe to call concurrently on
 * different frames/iterators. None allocates, none aborts.
 *
 * Byte order: the virtio-net header is read and written little-endian
 * (virtio 1.0, and the CPU's order for legacy TUN/AF_PACKET headers on
 * x86-64/arm64 — big-endian hosts would need TUNSETVNETBE).
 *
 * Changes to this header (signatures unchanged): pseudo-header helpers,
 * pl_parse_l4(), and more private fields in struct pl_gso.
 *
 * Private to the library.
 */
#ifndef PL_CORE_OFFLOAD_H
#define PL_CORE_OFFLOAD_H

#include <pktlink/pktlink.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Internet checksum ---- */

/*
 * Representation: accumulators and 16-bit results are in "memory order" —
 * the value you get by loading the 16-bit field from the frame with memcpy
 * on this CPU. Store a result with memcpy (never htons): the one's
 * complement sum is byte-order independent as long as loads and stores agree.
 */

/**
 * pl_csum_partial() - add len bytes at buf (any alignment) to a 32-bit one's
 * complement accumulator and return the new accumulator (not folded, not
 * complemented). Chained calls must pass even lengths except for the last
 * one (as with Linux's csum_partial), because an odd chunk would shift the
 * byte lanes of the next. Pure; thread-safe; never fails.
 */
uint32_t pl_csum_partial(const void *buf, size_t len, uint32_t sum);

/**
 * pl_csum_fold() - fold an accumulator to 16 bits and complement it: the
 * value to store in a checksum field (memory order). Pure; never fails.
 */
uint16_t pl_csum_fold(uint32_t sum);

/**
 * pl_csum_pseudo4() - accumulator of the IPv4 pseudo-header (saddr and daddr
 * are 4 bytes each, as in the IP header; proto e.g. 6; l4_len = TCP/UDP
 * header + payload bytes). Pure; never fails.
 */
uint32_t pl_csum_pseudo4(const void *saddr, const void *daddr, uint8_t proto, uint32_t l4_len);

/**
 * pl_csum_pseudo6() - accumulator of the IPv6 pseudo-header (16-byte
 * addresses; l4_len as a 32-bit upper-layer length). Pure; never fails.
 */
uint32_t pl_csum_pseudo6(const void *saddr, const void *daddr, uint8_t proto, uint32_t l4_len);

/**
 * pl_csum_complete() - finish a partial checksum (virtio NEEDS_CSUM) in
 * place: sum from csum_start to the end (the field holds the pseudo-header
 * sum), store the folded result at csum_start + csum_offset.
 * A result of 0 is stored as 0xffff (as Linux does: 0 means "no checksum"
 * for UDP, and 0xffff is the same value in one's complement for TCP).
 * Thread-safe on distinct frames.
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
 * Flags other than NEEDS_CSUM/DATA_VALID (RSC_INFO, unknown) and legacy UFO
 * are refused. The GSO ECN bit is accepted and dropped: CWR is in the TCP
 * header itself, where segmentation handles it. Sets pkt's gso_type,
 * gso_size, csum_start, csum_offset and the CSUM_PARTIAL/CSUM_VALID flags
 * (other flags are kept); pkt->data/len are not touched. The header needs
 * no alignment and is read once.
 * Return: 0, or -EINVAL for a header that cannot be honoured (pkt unchanged).
 */
int pl_vnet_to_pkt(const void *hdr, uint32_t frame_len, struct pktlink_pkt *pkt);

/**
 * pl_pkt_to_vnet() - write the virtio-net header (hdr_len bytes, 10 or 12)
 * that describes pkt's offload request, with hdr_len computed from the frame.
 * link_hdr_len: 14 for Ethernet frames, 0 for IP-only links.
 * For GSO the frame is parsed (pl_parse_l4): the type must match it, and
 * hdr_len covers all headers up to the end of the TCP/UDP header; the ECN
 * bit is set when the TCP header has CWR. For a plain partial checksum,
 * hdr_len is csum_start + csum_offset + 2. num_buffers (12-byte form) is 0.
 * Nothing is written on error.
 * Return: 0, or -EINVAL when the request is malformed.
 */
int pl_pkt_to_vnet(const struct pktlink_pkt *pkt, uint32_t link_hdr_len, void *hdr,
		   uint32_t hdr_len);

/* ---- header parsing (shared by virtio-net and GSO) ---- */

/** struct pl_l4_info - where the headers of an IP/TCP or IP/UDP frame are. */
struct pl_l4_info {
	uint32_t l3_off; /* IP header: after the link header (and one VLAN tag) */
	uint32_t l4_off; /* TCP/UDP header (after IPv6 extension headers) */
	uint32_t l4_len; /* TCP header incl. options, or 8 for UDP */
	uint32_t end; /* l3_off + IP total length (link padding excluded) */
	uint8_t ipv6;
	uint8_t proto; /* 6 or 17 */
};

/**
 * pl_parse_l4() - find the IP and TCP/UDP headers of an untrusted frame.
 * link_len: 14 (Ethernet; one 802.1Q/802.1ad tag is skipped) or 0 (raw IP).
 * IPv4 fragments, IPv6 jumbograms, IPv6 routing/fragment/AH/ESP headers are
 * rejected (a routing header would change the pseudo-header address);
 * hop-by-hop and destination options are walked (at most 8).
 * Pure; thread-safe. Return: 0, or -EINVAL.
 */
int pl_parse_l4(const uint8_t *frame, uint32_t len, uint32_t link_len, struct pl_l4_info *info);

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
	uint32_t end; /* frame bytes that belong to the IP packet */
	uint32_t count; /* segments in all */
	uint32_t seq0; /* TCP sequence number of the super-packet (host order) */
	uint16_t id0; /* IPv4 id of the super-packet (host order) */
	uint8_t ipv6;
	uint8_t udp;
	uint8_t csum_partial_out; /* leave L4 checksums partial instead of full */
};

/**
 * pl_gso_init() - prepare to segment pkt (its gso_type/gso_size say how).
 * link_len: 14 for Ethernet, 0 for IP-only links. partial_out: emit each
 * segment with a partial L4 checksum (for a next hop that completes it)
 * instead of a full one.
 * The L4 checksum of every segment is computed from scratch, so the
 * super-packet's own checksum field (partial or not) does not matter.
 * A super-packet whose payload fits in one segment gives one segment.
 * pkt->data must stay unchanged until the last pl_gso_next(); if another
 * party changes it meanwhile the output is garbage but every access stays
 * inside the validated lengths.
 * Return: 0, -EINVAL for a malformed packet or request.
 */
int pl_gso_init(struct pl_gso *g, const struct pktlink_pkt *pkt, uint32_t link_len,
		bool partial_out);

/**
 * pl_gso_next() - write the next segment into out (cap bytes).
 * Segment i: headers copied, IPv4 tot_len, id = id0 + i and header checksum
 * (IPv6 payload_len), TCP seq = seq0 + i * mss with FIN/PSH only on the last
 * and CWR only on the first segment, UDP length, and the L4 checksum (full,
 * or the pseudo-header sum with csum_partial_out: then csum_start is
 * link_len + l3_len and csum_offset 16 for TCP / 6 for UDP).
 * Return: its length, 0 when all segments were written, -ENOSPC when out is
 * too small (the iterator does not advance: retry with a bigger buffer).
 */
int pl_gso_next(struct pl_gso *g, uint8_t *out, uint32_t cap);

/** pl_gso_count() - number of segments pl_gso_next() produces in all (0 for NULL). */
uint32_t pl_gso_count(const struct pl_gso *g);

#endif /* PL_CORE_OFFLOAD_H */
