/* SPDX-License-Identifier: MIT */
/*
 * tun.h — opening TAP/TUN devices by name: IFF_TAP/IFF_TUN, IFF_NO_PI,
 * IFF_VNET_HDR with TUNSETVNETHDRSZ, offloads probed with TUNSETOFFLOAD,
 * and multi-queue (IFF_MULTI_QUEUE, one fd per queue).
 *
 * Private to the library.
 */
#ifndef PL_FD_TUN_H
#define PL_FD_TUN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/endpoint.h"

/* Offloads we told the kernel we accept on reads (TUNSETOFFLOAD). */
enum {
	PL_TUN_OFF_CSUM = 1u << 0, /* TUN_F_CSUM: partial checksums */
	PL_TUN_OFF_TSO4 = 1u << 1,
	PL_TUN_OFF_TSO6 = 1u << 2,
	PL_TUN_OFF_USO = 1u << 3, /* TUN_F_USO4 | TUN_F_USO6 (6.2+) */
};

struct pl_tun_cfg {
	bool tap; /* IFF_TAP (Ethernet frames) or IFF_TUN (IP packets) */
	bool vnet_hdr; /* IFF_VNET_HDR + TUNSETVNETHDRSZ */
	uint32_t vnet_hdr_len; /* 10 or 12; 0 = 12 */
	unsigned queues; /* 1..256; >1 sets IFF_MULTI_QUEUE */
	uint32_t want_offloads; /* PL_TUN_OFF_*: what the reader can take (needs vnet_hdr) */
};

/**
 * pl_tun_open() - open (creating if needed) the TAP/TUN device name with
 * cfg->queues fds, each non-blocking and close-on-exec. The offloads that
 * the kernel accepted go to *got_offloads (probed: unknown bits are dropped
 * one by one, USO first). The device is not brought up.
 * On failure nothing stays open: every fd is closed and fds[] is all -1
 * (a device we created vanishes with its last fd; a persistent one stays).
 * Offloads need vnet_hdr; asking for TSO/USO implies TUN_F_CSUM, and TSO
 * also declares TUN_F_TSO_ECN (GSO_ECN headers are handled). The header
 * size and the offloads are device-wide, so they are set on queue 0 only.
 * Setup steps, each preceded by pl_fault(): open, TUNSETIFF,
 * TUNSETVNETHDRSZ and TUNSETOFFLOAD (vnet_hdr only) for queue 0, then open
 * and TUNSETIFF for each further queue.
 * The caller owns the fds. Thread-safe (no shared state besides pl_fault).
 * got_offloads and err may be NULL.
 * Return: 0 with fds[0..queues-1] set, or a negative errno with a reason
 * in err (EINVAL for bad arguments or a same-named device of another kind,
 * EBUSY when it is in use, EPERM without CAP_NET_ADMIN).
 */
int pl_tun_open(const char *name, const struct pl_tun_cfg *cfg, int *fds, uint32_t *got_offloads,
		char *err, size_t errlen);

#endif /* PL_FD_TUN_H */
