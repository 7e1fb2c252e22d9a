/* SPDX-License-Identifier: MIT */
/*
 * tx_prep.h — the one place where the transmit side of the contract is
 * applied: what happens to a frame's offload request (partial checksum,
 * GSO super-packet) given what the layer under the endpoint accepts.
 *
 * Every family's tx_burst does, per caller frame:
 *
 *     int how = pl_tx_classify(&tc, p);        // inline; plain frames cost two tests
 *     switch (how) {
 *     case PL_TX_INVALID:  count tx_drop_invalid, take the frame, go on
 *     case PL_TX_PLAIN:    send the bytes as they are
 *     case PL_TX_PASS:     send them with the offload request passed down
 *                          (a virtio-net header: pl_pkt_to_vnet())
 *     case PL_TX_CSUM:     send a copy whose checksum pktlink completed
 *     case PL_TX_GSO:      send the segments pktlink cut
 *     }
 *
 * For PL_TX_CSUM and PL_TX_GSO the family writes the output frames into
 * memory it owns (its TX buffers, or a scratch area allocated at open) with
 * the pl_tx_iter functions below: pl_tx_iter_init() says how many output
 * frames there are (so a family can reserve ring slots all-or-nothing),
 * pl_tx_iter_next_len() how long the next is (so it can pick the buffer),
 * pl_tx_iter_next() writes it. The caller's frame is never modified. A
 * family that already holds the frame in its own memory (a PKTLINK_PKT_TXBUF
 * buffer) may instead complete a partial checksum in place with
 * pl_tx_csum_in_place().
 *
 * struct pl_tx_caps says what the lower layer takes; a family fills it once
 * at open (it must not change while tx_burst may run):
 *   - a virtio-net header below (TAP/AF_PACKET vnet_hdr=1, a peer that
 *     reads one): csum_pass = 1; gso_pass = 1 when it also segments
 *     (the kernel does: gso=host);
 *   - nothing below that understands offloads (AF_XDP, plain sockets,
 *     a wire): csum_pass = gso_pass = 0; super_max > 0 lets pktlink
 *     segment in software (gso_kind SOFTWARE), super_max = 0 refuses GSO
 *     (gso_kind NONE).
 *
 * Frames that can never be sent are PL_TX_INVALID: NULL data, shorter than
 * min_len, a plain frame longer than frame_max (frame_max + tag_len when it
 * carries an 802.1Q/802.1ad tag in its bytes), a super-packet longer than
 * super_max or with gso_size 0 or without GSO support, a partial checksum
 * whose field lies outside the frame. pl_tx_iter_init() finds the rest
 * (headers that do not parse, a gso_type that does not match them).
 *
 * Threading: the caps are read-only; the iterator lives on the TX thread's
 * stack. Nothing here allocates, locks or makes a system call.
 *
 * Private to the library.
 */
#ifndef PL_CORE_TX_PREP_H
#define PL_CORE_TX_PREP_H

#include "core/offload.h"

#include <pktlink/pktlink.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef PL_LIKELY
#define PL_LIKELY(x) __builtin_expect(!!(x), 1)
#define PL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

/**
 * struct pl_tx_caps - what the layer under an endpoint takes on transmit.
 * @min_len:   shortest frame (the link header length, e.g. 14; at least 1).
 * @frame_max: longest untagged plain frame in bytes: MTU + link header.
 * @tag_len:   extra bytes allowed for a frame whose Ethernet header carries
 *             an 802.1Q/802.1ad tag (EtherType 0x8100/0x88a8): 4 where the
 *             link carries tags, 0 where it does not (IP-only links). The
 *             family's output buffers hold frame_max + tag_len bytes. The
 *             receive side lets the same tagged frames in (rx_policy.h).
 * @super_max: longest GSO super-packet in bytes; 0 refuses GSO.
 * @link_len:  link header bytes before IP (14 for Ethernet, 0 for raw IP).
 * @csum_pass: the lower layer completes partial checksums itself.
 * @gso_pass:  the lower layer segments super-packets itself.
 */
struct pl_tx_caps {
	uint32_t min_len;
	uint32_t frame_max;
	uint32_t super_max;
	uint32_t link_len;
	uint32_t tag_len;
	uint8_t csum_pass;
	uint8_t gso_pass;
};

/* What to do with one caller frame (pl_tx_classify()). */
enum pl_tx_how {
	PL_TX_INVALID = -1, /* never sendable: take it, count tx_drop_invalid */
	PL_TX_PLAIN = 0, /* no offload request: the bytes as they are */
	PL_TX_PASS = 1, /* offload request the lower layer takes: pass it down */
	PL_TX_CSUM = 2, /* partial checksum: pktlink completes it */
	PL_TX_GSO = 3, /* super-packet: pktlink segments it */
};

/**
 * pl_tx_len_max() - the longest frame tc lets through given its first bytes:
 * frame_max, or frame_max + tag_len when an Ethernet link's frame carries a
 * VLAN tag. data holds at least min_len bytes. Pure; thread-safe.
 */
static inline uint32_t pl_tx_len_max(const struct pl_tx_caps *tc, const uint8_t *data,
				     uint32_t len)
{
	if (tc->tag_len && tc->link_len == 14 && len >= 14 &&
	    ((data[12] == 0x81 && data[13] == 0x00) || (data[12] == 0x88 && data[13] == 0xa8)))
		return tc->frame_max + tc->tag_len;
	return tc->frame_max;
}

/**
 * pl_tx_classify_offload() - pl_tx_classify() for a frame that carries an
 * offload request (out of line: the rare case). Pure; thread-safe.
 * Return: an enum pl_tx_how.
 */
int pl_tx_classify_offload(const struct pl_tx_caps *tc, const struct pktlink_pkt *p);

/**
 * pl_tx_classify() - decide what to do with caller frame p under caps tc.
 * No side effects; p is read, never written. Plain frames (no
 * PKTLINK_PKT_CSUM_PARTIAL, gso_type NONE) are checked inline for length
 * only. Return: an enum pl_tx_how.
 */
static inline int pl_tx_classify(const struct pl_tx_caps *tc, const struct pktlink_pkt *p)
{
	if (PL_LIKELY(!(p->flags & PKTLINK_PKT_CSUM_PARTIAL) &&
		      p->gso_type == PKTLINK_GSO_NONE)) {
		if (PL_UNLIKELY(!p->data || p->len < tc->min_len))
			return PL_TX_INVALID;
		/* the tag test only for frames past the untagged limit */
		if (PL_UNLIKELY(p->len > tc->frame_max) &&
		    p->len > pl_tx_len_max(tc, p->data, p->len))
			return PL_TX_INVALID;
		return PL_TX_PLAIN;
	}
	return pl_tx_classify_offload(tc, p);
}

/**
 * struct pl_tx_iter - writes the output frames of one caller frame: the
 * frame itself (PL_TX_PLAIN, PL_TX_PASS: a copy), a copy with its checksum
 * completed (PL_TX_CSUM), or its segments (PL_TX_GSO, each with full
 * checksums). Lives on the stack; opaque.
 */
struct pl_tx_iter {
	struct pl_gso g;
	const struct pktlink_pkt *p;
	uint32_t count; /* output frames in all */
	uint32_t done; /* output frames written */
	uint32_t seg_max; /* largest output frame */
	int how;
};

/**
 * pl_tx_iter_init() - prepare to write the output frames of p, which
 * pl_tx_classify() gave how (not PL_TX_INVALID). Segments are at most
 * pl_tx_len_max() bytes (the super-packet's own tag, if any, included). p->data must stay unchanged until the last
 * pl_tx_iter_next().
 * Return: the number of output frames (>= 1), or -EINVAL when the request
 * turns out malformed (headers that do not parse or do not match gso_type,
 * segments that would exceed frame_max): drop the frame as invalid.
 */
int pl_tx_iter_init(struct pl_tx_iter *it, const struct pl_tx_caps *tc,
		    const struct pktlink_pkt *p, int how);

/** pl_tx_iter_next_len() - length of the next output frame; 0 when all were written. */
uint32_t pl_tx_iter_next_len(const struct pl_tx_iter *it);

/**
 * pl_tx_iter_next() - write the next output frame into out (cap bytes,
 * memory the family owns).
 * Return: its length, 0 when all were written, -ENOSPC when cap is too
 * small (the iterator does not advance), -EINVAL when the checksum offsets
 * do not fit (only possible if p changed since init).
 */
int pl_tx_iter_next(struct pl_tx_iter *it, uint8_t *out, uint32_t cap);

/**
 * pl_tx_csum_in_place() - complete p's partial checksum inside p->data
 * (which must be the endpoint's own memory: a PKTLINK_PKT_TXBUF buffer) and
 * clear the request from p, so a retry of an untaken frame does not complete
 * it twice. Return: 0, or -EINVAL when the offsets do not fit in the frame.
 */
int pl_tx_csum_in_place(struct pktlink_pkt *p);

#endif /* PL_CORE_TX_PREP_H */
