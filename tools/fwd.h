/* SPDX-License-Identifier: MIT */
/*
 * fwd.h — the parts of `pktlink fwd` that are not its command line: the
 * spec defaults a bridge needs (fwd_spec.c) and the loss accounting and
 * reports (fwd_report.c). Pure except for reading /proc/net/dev, so the unit
 * test (tests/fwd/test_fwd_unit.c) compiles these files in directly.
 */
#ifndef PKTLINK_TOOLS_FWD_H
#define PKTLINK_TOOLS_FWD_H

#include <pktlink/pktlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * fwd_spec_defaults() - the spec a forwarder opens for the user's @spec:
 * the keys a bridge needs are added unless the user set them.
 *   - packet, tap, fd (with an Ethernet header): promisc=1, so frames for
 *     the far side's MACs (the unicast ARP reply, every reply) are taken
 *     instead of MAC-filtered;
 *   - packet, tap, tun: vnet_hdr=1, so frames keep their offload state
 *     (partial checksums, GSO super-packets) and the other side can pass
 *     it on or complete it, instead of sending unfinished checksums.
 * xdp and shm have nothing to add (the XDP program takes every frame; a
 * shared-memory peer fixes its own header format).
 * Writes a NUL-terminated string into @out (@outlen bytes).
 * Return: 0, or -ENAMETOOLONG when it does not fit, -EINVAL when @spec has
 * no "family:" prefix.
 */
int fwd_spec_defaults(const char *spec, char *out, size_t outlen);

/**
 * fwd_spec_key() - whether @spec's query has @key (an exact key name);
 * *val (optional) then points to its value inside @spec, *vlen its length.
 */
bool fwd_spec_key(const char *spec, const char *key, const char **val, size_t *vlen);

/**
 * fwd_same_endpoint() - whether @a and @b name the same thing: the same
 * target (device, socket path, descriptor) whatever the family, so that
 * `fwd packet:veth0 xdp:veth0` is refused like `fwd packet:veth0
 * packet:veth0` (every frame would go back out where it came from).
 * Device names are also compared by interface index (an alias is the same
 * device). Writes a reason for the user into @why.
 */
bool fwd_same_endpoint(const char *a, const char *b, char *why, size_t whylen);

/**
 * fwd_csum_complete() - finish @p's partial checksum (PKTLINK_PKT_CSUM_PARTIAL)
 * in place and clear the request, for a sending endpoint that cannot take
 * it (no PKTLINK_CAP_TX_CSUM_OFFLOAD). Return: false when the offsets do not
 * fit the frame (then it cannot be sent).
 */
bool fwd_csum_complete(struct pktlink_pkt *p);

/**
 * fwd_gso_segment() - cut the GSO super-packet @p into plain frames with
 * full checksums, for a sending endpoint without GSO: each segment is
 * written into @buf (@cap bytes, at most @seg_cap per segment) and described
 * in @segs (at most @max). Return: the number of segments, or -1 when the
 * request is malformed or does not fit.
 */
int fwd_gso_segment(const struct pktlink_pkt *p, uint32_t link_len, uint8_t *buf, size_t cap,
		    uint32_t seg_cap, struct pktlink_pkt *segs, unsigned max);

/* Device-level drop counters of the kernel interface behind an endpoint. */
struct fwd_dev {
	char name[32]; /* "" when the endpoint has no device in this namespace */
	uint64_t rx_dropped, tx_dropped;
};

/** fwd_dev_read() - read @name's drop counters from /proc/net/dev. Return 0 or -ENOENT. */
int fwd_dev_read(const char *name, struct fwd_dev *d);

/* One direction of the bridge (frames received on one side and sent on the other). */
struct fwd_dir {
	uint64_t rx; /* frames handed out by the receiving endpoint */
	uint64_t fwd; /* taken by the sending endpoint's tx_burst */
	uint64_t tx_full; /* not taken: the sending side stayed full after the retries */
	uint64_t bytes; /* bytes of the taken frames */
	uint64_t invalid; /* could not be completed or segmented for the sending side */
	uint64_t segmented; /* super-packets cut here for a sending side without GSO */
};

/*
 * The counts of one direction X -> Y as printed: every frame that reached X
 * is either forwarded or lost for one named reason, so
 *   offered = forwarded + sum(losses)
 * where offered = what the receive side saw plus what it lost before it
 * could hand the frame out.
 */
struct fwd_counts {
	uint64_t offered, forwarded, bytes;
	uint64_t rx_kernel, rx_nobuf, rx_filter, rx_invalid; /* receive side */
	uint64_t tx_full, tx_invalid, tx_errors; /* sending side */
	uint64_t dev_rx_dropped; /* the receiving device dropped them before pktlink saw them */
	uint64_t dev_tx_dropped; /* the sending device dropped them after pktlink sent them */
	uint64_t lost; /* the sum of the reasons above */
};

/**
 * fwd_counts_make() - combine one direction's own counts @d with the
 * receiving endpoint's stats @rxs and the sending endpoint's stats @txs
 * (both since open; each endpoint transmits only this direction's frames)
 * and the device counters since open: the receiving device's rx_dropped
 * and the sending device's tx_dropped (0 without a device). Frames the
 * sending side took but refused (tx_invalid, tx_errors) or its device
 * dropped are moved out of "forwarded".
 */
void fwd_counts_make(struct fwd_counts *c, const struct fwd_dir *d,
		     const struct pktlink_stats *rxs, const struct pktlink_stats *txs,
		     uint64_t dev_rx_dropped, uint64_t dev_tx_dropped);

/**
 * fwd_counts_text() - one line "A->B 10 in, 8 forwarded (12 kB), 2 lost: ..."
 * naming every non-zero loss reason, without a newline; @label is "A->B"
 * or "B->A".
 */
void fwd_counts_text(FILE *f, const char *label, const struct fwd_counts *c);

/** fwd_counts_json() - the same counts as a JSON object (no newline). */
void fwd_counts_json(FILE *f, const struct fwd_counts *c);

/** fwd_json_str() - @s as a JSON string literal (quotes and escapes). */
void fwd_json_str(FILE *f, const char *s);

#endif
