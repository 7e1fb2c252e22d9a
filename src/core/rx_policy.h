/* SPDX-License-Identifier: MIT */
/*
 * rx_policy.h — the one receive policy every family applies to a frame
 * before handing it out as a view: bounds, the 802.1Q tag the kernel
 * stripped, the receive filter (MAC), and the offload flags the stack asked
 * for. Inline: it runs once per received frame.
 *
 * A family's receive path fills a struct pktlink_pkt from what its lower
 * layer said (data, len, and from a virtio-net header or the kernel's
 * status: gso_type/gso_size, csum_start/csum_offset, CSUM_PARTIAL /
 * CSUM_VALID), then calls pl_rx_apply() and hands out the frame only on
 * PL_RX_KEEP, counting PL_RX_INVALID in drop_invalid and PL_RX_FILTER in
 * drop_filter (the frame's buffer goes back at once).
 *
 * VLAN: frames are an on-wire view. A tag the kernel stripped (AF_PACKET
 * auxdata, TPACKET_V3 header) is put back into the bytes, in the 4 bytes of
 * headroom before data; PKTLINK_PKT_VLAN / vlan_tci stay unused so a stack
 * sees the same bytes whether or not the device stripped the tag.
 *
 * Receive filter: with an Ethernet header, a link address and no
 * promiscuous mode, unicast frames for another address are PL_RX_FILTER;
 * broadcast and multicast pass. Families whose device already filters (a
 * NIC queue behind AF_XDP) run with filtering off (pl_rx_policy_init's
 * promisc). pktlink_set_link_addr() (core) updates the address atomically.
 *
 * Offload flags: with rx_csum the stack takes CSUM_VALID and CSUM_PARTIAL
 * as they came; without it a partial checksum is completed here (in the
 * endpoint's buffer, which is why views are never the caller's memory) and
 * CSUM_VALID is cleared. A GSO super-packet is PL_RX_INVALID unless the
 * stack takes them (gso); a super-packet with a partial checksum needs
 * rx_csum (it cannot be completed here without segmenting it).
 *
 * Unmarked partial checksums: a veth (or any device with TX checksum
 * offload) hands local TCP/UDP frames to AF_XDP, and to AF_PACKET without a
 * virtio-net header, with the checksum field holding only the pseudo-header
 * sum and nothing saying so. A stack verifying checksums drops them and a
 * forwarder passes them on broken. With @fix_unmarked (set by families
 * whose lower layer gives no offload state), a frame whose field equals the
 * folded pseudo-header sum is completed in place. When that match is a
 * coincidence on a correct frame, completing it writes the same value back
 * (the sum over the segment is then ~pseudo already), so the check is
 * safe; it costs a header parse per TCP/UDP frame, and a payload sum only
 * for the frames it fixes. AF_PACKET does say which frames may be partial
 * (TP_STATUS_CSUMNOTREADY, in the ring header or the auxdata; it is the
 * checksum a user of the frame sees as unmarked): its paths call
 * pl_rx_apply_hinted() and parse only those. AF_XDP with pktlink's own
 * program clears @fix_unmarked: the program completes them in the kernel
 * (src/xdp/pl_xsk.bpf.c), where the frame is still in cache.
 *
 * Threading: pl_rx_apply() reads the policy with relaxed atomics (the
 * address may change concurrently); one call per frame on the queue's RX
 * thread.
 *
 * Private to the library.
 */
#ifndef PL_CORE_RX_POLICY_H
#define PL_CORE_RX_POLICY_H

#include "core/offload.h"

#include <pktlink/pktlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifndef PL_LIKELY
#define PL_LIKELY(x) __builtin_expect(!!(x), 1)
#define PL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

/**
 * struct pl_rx_policy - what the stack behind an endpoint takes on receive.
 * Lives in struct pktlink_ep (ep->rxp); set at open with
 * pl_rx_policy_init().
 * @mac:     atomic: our link address as a 48-bit word (memcpy of 6 bytes).
 * @filter:  atomic: drop unicast frames not for @mac.
 * @promisc: accept every frame (the filter stays off whatever the address).
 * @min_len: shortest frame (14 with an Ethernet header, else 1).
 * @rx_csum: the stack takes CSUM_VALID / CSUM_PARTIAL.
 * @gso:     the stack takes GSO super-packets.
 * @fix_unmarked: complete partial checksums the lower layer did not mark.
 */
struct pl_rx_policy {
	uint64_t mac;
	uint8_t filter;
	uint8_t promisc;
	uint8_t rx_csum;
	uint8_t gso;
	uint8_t fix_unmarked;
	uint32_t min_len;
};

/* Verdicts of pl_rx_apply(). */
enum pl_rx_verdict {
	PL_RX_KEEP = 0, /* hand the view out */
	PL_RX_INVALID = 1, /* count drop_invalid, give the buffer back */
	PL_RX_FILTER = 2, /* count drop_filter, give the buffer back */
};

/**
 * pl_rx_policy_init() - set the policy of a freshly opened endpoint.
 * eth: frames carry an Ethernet header; promisc: no receive filter;
 * addr: our link address or NULL for none (then nothing is filtered until
 * pktlink_set_link_addr()). Not thread-safe: call during open.
 */
static inline void pl_rx_policy_init(struct pl_rx_policy *rp, bool eth, bool promisc,
				     const uint8_t *addr, bool rx_csum, bool gso)
{
	memset(rp, 0, sizeof(*rp));
	rp->promisc = (uint8_t)(promisc || !eth);
	rp->min_len = eth ? 14 : 1;
	rp->rx_csum = rx_csum;
	rp->gso = gso;
	if (addr) {
		memcpy(&rp->mac, addr, 6);
		rp->filter = !rp->promisc;
	}
}

/**
 * pl_rx_policy_set_addr() - switch the filter to a new link address; safe
 * while frames are received (relaxed atomics: a frame may see the old
 * address, never a torn one).
 */
static inline void pl_rx_policy_set_addr(struct pl_rx_policy *rp, const uint8_t addr[6])
{
	uint64_t w = 0;
	memcpy(&w, addr, 6);
	__atomic_store_n(&rp->mac, w, __ATOMIC_RELAXED);
	__atomic_store_n(&rp->filter, (uint8_t)!rp->promisc, __ATOMIC_RELAXED);
}

/**
 * pl_vlan_insert() - re-insert an 802.1Q tag the kernel stripped.
 * frame has headroom >= 4 bytes before it: the MAC addresses move 4 bytes
 * back and the tag goes after them. Returns the new frame start (frame - 4);
 * *len grows by 4. tpid is 0x8100 or 0x88a8 (written as given), tci the tag
 * control word. A frame shorter than 12 bytes (or NULL) is returned
 * unchanged. Pure, thread-safe for distinct buffers.
 */
static inline uint8_t *pl_vlan_insert(uint8_t *frame, uint32_t *len, uint16_t tpid, uint16_t tci)
{
	if (!frame || !len || *len < 12)
		return frame;
	uint8_t *n = frame - 4;
	/* Overlapping move of the two MAC addresses 4 bytes towards the
	 * headroom; the tag then sits where the EtherType was. */
	memmove(n, frame, 12);
	n[12] = (uint8_t)(tpid >> 8);
	n[13] = (uint8_t)tpid;
	n[14] = (uint8_t)(tci >> 8);
	n[15] = (uint8_t)tci;
	*len += 4;
	return n;
}

/**
 * pl_rx_offload() - the offload part of pl_rx_apply() (out of line: only
 * frames with gso_type or CSUM_PARTIAL get here). Return: a verdict.
 */
int pl_rx_offload(const struct pl_rx_policy *rp, struct pktlink_pkt *p);

/**
 * pl_rx_fix_unmarked() - complete in place the TCP/UDP checksum of a frame
 * whose field holds only the pseudo-header sum, with nothing marking it
 * partial (see @fix_unmarked above). link_len: 14 or 0. Untrusted frame:
 * every offset is checked. Return: true when it completed one.
 */
bool pl_rx_fix_unmarked(uint8_t *frame, uint32_t len, uint32_t link_len);

/**
 * pl_rx_apply_hinted() - apply the receive policy to p (data, len and the
 * offload fields filled in by the family). vlan_tpid non-zero: the kernel
 * stripped a tag (vlan_tpid, vlan_tci) that goes back into the bytes;
 * p->data must then have 4 writable bytes of headroom before it.
 * may_be_partial: false when the lower layer said the checksum is complete
 * (AF_PACKET status without TP_STATUS_CSUMNOTREADY: the kernel sets that
 * bit exactly for CHECKSUM_PARTIAL skbs), which spares @fix_unmarked's
 * header parse on every other frame. May change p->data, p->len (tag),
 * p->flags and the checksum fields. No allocation, no lock.
 * Return: an enum pl_rx_verdict.
 */
static inline int pl_rx_apply_hinted(const struct pl_rx_policy *rp, struct pktlink_pkt *p,
				     uint16_t vlan_tpid, uint16_t vlan_tci, bool may_be_partial)
{
	if (PL_UNLIKELY(p->len < rp->min_len))
		return PL_RX_INVALID;
	if (__atomic_load_n(&rp->filter, __ATOMIC_RELAXED) && !(p->data[0] & 1)) {
		/* 4 + 2 byte compare in registers (a 6-byte memcpy into a
		 * word goes through the stack: a store-forward stall) */
		uint64_t w = __atomic_load_n(&rp->mac, __ATOMIC_RELAXED);
		uint8_t mb[8];
		uint32_t d4, m4;
		uint16_t d2, m2;
		memcpy(mb, &w, sizeof(mb));
		memcpy(&d4, p->data, 4);
		memcpy(&d2, p->data + 4, 2);
		memcpy(&m4, mb, 4);
		memcpy(&m2, mb + 4, 2);
		if ((d4 ^ m4) | (uint32_t)(d2 ^ m2))
			return PL_RX_FILTER;
	}
	if (PL_UNLIKELY(vlan_tpid) && p->len >= 12) {
		if (p->csum_start > UINT16_MAX - 4)
			return PL_RX_INVALID;
		p->data = pl_vlan_insert(p->data, &p->len, vlan_tpid, vlan_tci);
		if (p->flags & PKTLINK_PKT_CSUM_PARTIAL)
			p->csum_start = (uint16_t)(p->csum_start + 4);
	}
	if (PL_UNLIKELY(p->gso_type != PKTLINK_GSO_NONE || (p->flags & PKTLINK_PKT_CSUM_PARTIAL))) {
		int v = pl_rx_offload(rp, p);
		if (v != PL_RX_KEEP)
			return v;
	} else if (rp->fix_unmarked && may_be_partial) {
		pl_rx_fix_unmarked(p->data, p->len, rp->min_len == 14 ? 14 : 0);
	}
	if (!rp->rx_csum)
		p->flags &= (uint16_t)~PKTLINK_PKT_CSUM_VALID;
	return PL_RX_KEEP;
}

/**
 * pl_rx_apply() - pl_rx_apply_hinted() for a lower layer that says nothing
 * about partial checksums (AF_XDP, shared memory).
 */
static inline int pl_rx_apply(const struct pl_rx_policy *rp, struct pktlink_pkt *p,
			      uint16_t vlan_tpid, uint16_t vlan_tci)
{
	return pl_rx_apply_hinted(rp, p, vlan_tpid, vlan_tci, true);
}

#endif /* PL_CORE_RX_POLICY_H */
