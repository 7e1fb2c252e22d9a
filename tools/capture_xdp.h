/* SPDX-License-Identifier: MIT */
/*
 * capture_xdp.h — the source of `pktlink capture xdp:IFNAME` that leaves the
 * traffic to the kernel: an XDP program (capture.bpf.c) copies each received
 * frame into a BPF ring buffer and passes it on. It is attached through a
 * bpf_link, so the kernel detaches it when the last fd goes, also when the
 * tool is killed.
 */
#ifndef PKTLINK_TOOLS_CAPTURE_XDP_H
#define PKTLINK_TOOLS_CAPTURE_XDP_H

#include <stddef.h>
#include <stdint.h>

/* Where a record's stamp came from. */
enum capxdp_ts {
	CAPXDP_TS_KERNEL = 0, /* the kernel's clock when the XDP program ran */
	CAPXDP_TS_DEVICE = 1, /* the device's RX timestamp (bpf_xdp_metadata_rx_timestamp) */
};

/* Called for every frame, from capxdp_poll(). @data is valid during the call. */
typedef int (*capxdp_fn)(void *ctx, uint64_t ts_ns, enum capxdp_ts src, const uint8_t *data,
			 uint32_t caplen, uint32_t len);

struct capxdp;

/**
 * capxdp_open() - load and attach the copying program to @ifname in @mode
 * ("auto": driver mode with device timestamps, else driver mode, else
 * generic; "drv"; "skb"), copying at most @snaplen bytes (16384 at most).
 * Return: 0, -ENOTSUP when built without clang/libbpf, -EBUSY when another
 * XDP program is attached, or another negative errno; @err says why.
 */
int capxdp_open(struct capxdp **out, const char *ifname, const char *mode, uint32_t snaplen,
		capxdp_fn fn, void *ctx, char *err, size_t errlen);

/** capxdp_fd() - a descriptor that polls readable when records wait. */
int capxdp_fd(const struct capxdp *c);

/**
 * capxdp_poll() - wait up to @timeout_ms, then hand every waiting record to
 * the callback. Return: records handled, or a negative errno (the
 * callback's non-zero return ends the round and is returned).
 */
int capxdp_poll(struct capxdp *c, int timeout_ms);

/** capxdp_lost() - frames the ring had no room for. */
uint64_t capxdp_lost(const struct capxdp *c);

/** capxdp_describe() - e.g. "driver mode, device RX timestamps where given". */
const char *capxdp_describe(const struct capxdp *c);

/** capxdp_close() - detach, unload, free. NULL is fine. */
void capxdp_close(struct capxdp *c);

#endif
