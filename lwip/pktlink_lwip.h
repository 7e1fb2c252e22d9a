/* SPDX-License-Identifier: MIT */
/*
 * pktlink_lwip.h — an lwIP network interface (struct netif) on any pktlink
 * endpoint: lwIP's TCP/IP stack on a veth through AF_XDP or AF_PACKET, on a
 * TAP device, or on shared memory with another process.
 *
 * Built against the lwIP that the system ships (Debian 12: liblwip-dev
 * 2.1.3), with that build's options (lwipopts.h) as they are. The adapter
 * needs NO_SYS=0 and LWIP_TCPIP_CORE_LOCKING=1, which Debian's build has.
 *
 * Data path:
 *   receive   the endpoint's push dispatcher (pktlink_attach()) runs one
 *             worker per queue. A worker takes lwIP's core lock once per
 *             burst (LOCK_TCPIP_CORE) and feeds every frame to netif->input
 *             (ethernet_input, or ip_input on a link without Ethernet
 *             header) right there: no message to the tcpip thread, no
 *             thread switch per frame. Each frame is copied into one
 *             PBUF_RAM pbuf, because the endpoint's views live only until
 *             the callback returns while lwIP may keep a pbuf (out-of-order
 *             queue, an application that has not read yet). PBUF_RAM, not
 *             PBUF_POOL: Debian's liblwip 2.1.3 allocates pool pbufs of 616
 *             bytes (its memp_PBUF_POOL) while pbuf_alloc() fills them up to
 *             PBUF_POOL_BUFSIZE (1536), a heap overflow for every frame over
 *             about 590 bytes (valgrind shows it in the unix port's tapif).
 *             With opts.handoff the worker only copies the burst into
 *             pbufs and hands it to lwIP's tcpip thread in one message
 *             (tcpip_callback): receiving (system calls, ring work) and
 *             the stack then run on two threads, which pays when the
 *             endpoint's receive costs as much as lwIP (TAP: one read(2)
 *             per frame) and a second CPU is free; inline costs less CPU
 *             per frame.
 *   transmit  netif->linkoutput → pktlink_tx_burst(). A pbuf without chain
 *             is sent from its own memory (pktlink copies or sends it
 *             before returning); a chain is gathered into a buffer the
 *             adapter allocated once. Frames lwIP sends while a worker
 *             processes a burst (ACKs, the next segments of a sender) are
 *             held (pbuf_ref) and sent in one pktlink_tx_burst() every
 *             tx_flush_every received frames and at the end of the burst:
 *             one system call for several frames on the fd family, while
 *             ACKs still reach the sender during a long burst (held to its
 *             end, the ACKs of a whole window stall a TCP sender).
 *
 * Checksums: Debian's build has LWIP_CHECKSUM_CTRL_PER_NETIF=0 and every
 * CHECKSUM_GEN_* and CHECKSUM_CHECK_* at 1, so lwIP always computes and
 * verifies checksums in software and there is no per-netif control to map
 * the endpoint's offload capabilities to. The adapter therefore never sends
 * PKTLINK_PKT_CSUM_PARTIAL frames, and completes the checksum of a received
 * PKTLINK_PKT_CSUM_PARTIAL frame (an endpoint opened with csum=rx) before
 * lwIP sees it. pktlink_lwip_checksum_ctrl() reports what was found.
 *
 * Kernel peers with offloads: a veth's default offloads make the kernel hand
 * AF_PACKET and AF_XDP sockets TCP frames with partial checksums and, on
 * AF_PACKET, TSO super-packets, which lwIP would drop as corrupt. Open a
 * packet endpoint with vnet_hdr=1: pktlink then knows which checksums are
 * partial, and the adapter completes them and hands a TCP super-packet to
 * lwIP whole, as one large segment (like GRO; lwIP accepts segments larger
 * than its MSS). AF_XDP frames carry no such metadata: switch the peer's
 * transmit checksum offload off (ethtool -K PEER tx off).
 *
 * Threads: lwIP's core lock serialises everything the adapter does to lwIP
 * and to the endpoint's transmit side. Functions below take the lock
 * themselves, so they must be called from a thread that does NOT hold it
 * (not from an lwIP raw-API callback, not inside LOCK_TCPIP_CORE()).
 *
 * Peer gone: the adapter installs the endpoint's closed callback. When the
 * peer goes away (TAP or network device deleted, shared-memory peer dead)
 * lwIP is told with netif_set_link_down() and the link callback runs; the
 * netif stays until pktlink_lwip_remove().
 */
#ifndef PKTLINK_LWIP_H
#define PKTLINK_LWIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pktlink/pktlink.h>

#include "lwip/ip4_addr.h"
#include "lwip/netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An lwIP netif on a pktlink endpoint. Opaque; pktlink_lwip_add() creates it. */
struct pktlink_lwip;

/**
 * pktlink_lwip_link_fn - the link went up or down.
 * @up:     the new state.
 * @reason: 0 for a change asked with pktlink_lwip_set_link(), or the
 *          endpoint's peer-gone reason (a negative errno, e.g. -ENODEV when
 *          the device was deleted).
 * Runs with lwIP's core lock held (on a dispatcher worker, the tcpip thread
 * or the caller of pktlink_lwip_set_link()): it may use lwIP's raw API, must
 * not block and must not call the functions of this header.
 */
typedef void (*pktlink_lwip_link_fn)(void *ctx, struct pktlink_lwip *nl, bool up, int reason);

/** Options for pktlink_lwip_add(); a zeroed struct is the default. */
struct pktlink_lwip_opts {
	unsigned burst; /* frames per dispatcher call, 1..256; 0 = 64 */
	bool busy_poll; /* the workers spin instead of sleeping (a core each) */
	unsigned tx_flush_every; /* send held frames after this many received ones, 1..256; 0 = 8 */
	bool handoff; /* hand each burst to lwIP's tcpip thread (see the header) */
	const uint8_t *mac; /* 6 bytes: the netif's MAC; NULL = the endpoint's, else a generated one */
	const char *name; /* two letters for lwIP's netif name; NULL = "pl" */
	bool set_default; /* make it lwIP's default netif */
	pktlink_lwip_link_fn link_cb; /* may be NULL */
	void *link_ctx;
};

/** Counters of the adapter (the endpoint has its own: pktlink_get_stats()). */
struct pktlink_lwip_stats {
	uint64_t rx_frames; /* handed to netif->input */
	uint64_t rx_nomem; /* dropped: no pbuf */
	uint64_t rx_invalid; /* dropped: super-packet, bad partial checksum, over 64 KiB */
	uint64_t tx_frames; /* taken by pktlink_tx_burst() */
	uint64_t tx_calls; /* pktlink_tx_burst() calls that took frames */
	uint64_t tx_drops; /* dropped: endpoint full for too long, peer gone, too large */
};

/**
 * pktlink_lwip_add() - add an lwIP netif on @ep and start receiving.
 * @ep:      an open endpoint, not attached. It stays the caller's: close it
 *           after pktlink_lwip_remove(). The adapter installs its closed
 *           callback; do not replace it.
 * @ip, @netmask, @gw: IPv4 configuration (NULL = 0.0.0.0). On an Ethernet
 *           endpoint an IPv6 link-local address is created too.
 * @opts:    NULL for defaults.
 * @out:     receives the adapter.
 * @err:     optional buffer for a readable reason on failure.
 *
 * lwIP must be running (tcpip_init() has completed). The netif comes up
 * with its link up; frames flow once this returns. The MAC is @opts->mac,
 * else the endpoint's, else a random locally administered one, which the
 * endpoint's receive filter is then set to.
 *
 * Return: 0, or a negative errno: -EINVAL (no link header other than
 * Ethernet or none, bad option), -ENOMEM, -EBUSY (already attached), -EIO
 * (lwIP refused the netif).
 */
int pktlink_lwip_add(struct pktlink_ep *ep, const ip4_addr_t *ip, const ip4_addr_t *netmask,
		     const ip4_addr_t *gw, const struct pktlink_lwip_opts *opts,
		     struct pktlink_lwip **out, char *err, size_t errlen);

/**
 * pktlink_lwip_remove() - stop receiving, remove the netif from lwIP and free
 * the adapter. The endpoint is left open and detached. Safe on NULL. lwIP
 * must still be running. Not from a thread holding the core lock.
 */
void pktlink_lwip_remove(struct pktlink_lwip *nl);

/**
 * pktlink_lwip_netif() - the lwIP netif, owned by the adapter (valid until
 * pktlink_lwip_remove()). Use it with lwIP's API under the core lock.
 */
struct netif *pktlink_lwip_netif(struct pktlink_lwip *nl);

/**
 * pktlink_lwip_set_link() - report the link up or down to lwIP (for an
 * application that watches the carrier itself). Up is refused with -ENOTCONN
 * once the peer is gone. Takes the core lock; runs the link callback.
 * Return: 0 or -ENOTCONN.
 */
int pktlink_lwip_set_link(struct pktlink_lwip *nl, bool up);

/**
 * pktlink_lwip_peer_gone() - 0 while the peer is there, else the endpoint's
 * peer-gone reason (a negative errno). Safe from any thread.
 */
int pktlink_lwip_peer_gone(const struct pktlink_lwip *nl);

/** pktlink_lwip_get_stats() - copy the adapter's counters. Safe from any thread. */
void pktlink_lwip_get_stats(const struct pktlink_lwip *nl, struct pktlink_lwip_stats *st);

/**
 * pktlink_lwip_checksum_ctrl() - a static sentence saying how lwIP's checksum
 * handling was built (per-netif control or not) and what the adapter does
 * with the endpoint's checksum offload flags.
 */
const char *pktlink_lwip_checksum_ctrl(void);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_LWIP_H */
