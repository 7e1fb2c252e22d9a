/* SPDX-License-Identifier: MIT */
/*
 * packet.h — AF_PACKET building blocks for the fd family: sockets bound to a
 * device, the PACKET_FANOUT group with a flow hash user space can compute
 * too, the TPACKET_V3 RX ring, the TPACKET_V2 TX ring, VLAN re-insertion
 * and kernel drop counters.
 *
 * The fd endpoint (fd_endpoint.c) composes these into "packet:" endpoints;
 * each piece owns what it creates and undoes it in its destroy function.
 *
 * Private to the library.
 *
 * Interface notes (packet_* owner): all original signatures are unchanged.
 * Additions: PL_PACKET_RING_* defaults (ring defaults are now 32 blocks of
 * 256 KiB and a 1 ms block timeout, see packet_rx_ring.c for why),
 * pl_packet_fanout_prog(), pl_packet_rx_ring_fd(), pl_packet_tx_ring_reclaim().
 * pl_packet_flow_hash() returns the RAW hash: callers take % n.
 *
 * Threading: each ring is single-consumer — burst/release of one RX ring
 * from one thread at a time, the TX ring's functions from one thread.
 * Setup functions touch only what they are given.
 */
#ifndef PL_FD_PACKET_H
#define PL_FD_PACKET_H

#include "core/endpoint.h"
#include <stdbool.h>
#include <stdint.h>

/* Options of one AF_PACKET socket (applied before any ring, in the order the
 * kernel requires). */
struct pl_packet_sock_cfg {
	bool vnet_hdr; /* PACKET_VNET_HDR: a virtio-net header before each frame */
	bool ignore_outgoing; /* PACKET_IGNORE_OUTGOING (4.20+) */
	bool promisc; /* PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC */
	bool qdisc_bypass; /* PACKET_QDISC_BYPASS on transmit */
	bool auxdata; /* PACKET_AUXDATA: VLAN tag and checksum status in a cmsg (recvmmsg mode) */
	bool rx; /* bind with ETH_P_ALL (false: protocol 0, a TX-only socket that receives nothing) */
};

/**
 * pl_packet_socket_open() - create an AF_PACKET SOCK_RAW socket, non-blocking
 * and close-on-exec, apply cfg and bind it to ifindex.
 * Return: 0 with *fd set, or a negative errno with a reason in err.
 */
int pl_packet_socket_open(int ifindex, const struct pl_packet_sock_cfg *cfg, int *fd, char *err,
			  size_t errlen);

/**
 * pl_packet_fanout_join() - put n sockets (bound to the same device) into one
 * fresh PACKET_FANOUT group that spreads frames by pl_packet_flow_hash() %
 * n (a classic BPF program, PACKET_FANOUT_CBPF), so that user space can pick
 * the same socket for the reverse direction of a flow. The group id comes
 * from the kernel (PACKET_FANOUT_FLAG_UNIQUEID) and is read back; on kernels
 * without it, random ids are tried until one is free.
 * Return: 0 with *group_id set, or a negative errno with a reason in err.
 */
int pl_packet_fanout_join(const int *fds, unsigned n, uint16_t *group_id, char *err,
			  size_t errlen);

/**
 * pl_packet_flow_hash() - the symmetric flow hash the fanout program
 * computes: the same value for both directions of an IPv4/IPv6 TCP/UDP flow
 * (addresses and ports combined order-independently), a hash of the
 * addresses for other IP protocols, 0 for non-IP frames. frame starts at
 * the Ethernet header; VLAN-tagged frames hash like untagged ones. Reads at
 * most len bytes.
 */
uint32_t pl_packet_flow_hash(const uint8_t *frame, uint32_t len);

/**
 * pl_packet_fanout_prog() - the classic BPF program of the fanout group
 * (exposed so tests can run it against pl_packet_flow_hash()). Writes up to
 * cap instructions into prog (NULL: just count).
 * Return: the program's length (0 on an internal error). Thread-safe.
 */
struct sock_filter;
unsigned pl_packet_fanout_prog(struct sock_filter *prog, unsigned cap);

/* Ring defaults (see packet_rx_ring.c for the reasoning). */
#define PL_PACKET_RING_BLOCK_SIZE (256u << 10)
#define PL_PACKET_RING_BLOCKS 32u
#define PL_PACKET_RING_TIMEOUT_MS 1u

/* Geometry of a TPACKET_V3 RX ring. Zero fields get defaults. */
struct pl_packet_ring_cfg {
	uint32_t block_size; /* bytes per block, power of two multiple of the page size; 0 = 256 KiB.
			      * A frame can use up to a whole block (V3 packs frames), so this
			      * must exceed the largest frame (64 KiB + headers with GRO). */
	uint32_t block_count; /* 0 = 32 */
	uint32_t frame_size; /* kernel bookkeeping only in V3 (frames per block); 0 = 2048 */
	uint32_t block_timeout_ms; /* retire a partly filled block after this; 0 = 1 ms */
	bool vnet_hdr; /* the socket has PACKET_VNET_HDR */
};

struct pl_packet_rx_ring;

/**
 * pl_packet_rx_ring_create() - set TPACKET_V3 (and PACKET_RESERVE, so a
 * stripped VLAN tag can be re-inserted in place) on fd, create and mmap the
 * RX ring. fd must not be bound to a fanout group yet.
 */
int pl_packet_rx_ring_create(int fd, const struct pl_packet_ring_cfg *cfg,
			     struct pl_packet_rx_ring **out, char *err, size_t errlen);

/**
 * pl_packet_rx_ring_burst() - up to n frames as views into the ring (VLAN
 * tag re-inserted, virtio-net header parsed into the offload fields). A
 * block goes back to the kernel when every frame taken from it is released.
 * Counters c are updated (packets, bytes, drops).
 * Return: count, or a negative errno.
 */
int pl_packet_rx_ring_burst(struct pl_packet_rx_ring *r, struct pktlink_pkt *pkts, unsigned n,
			    uint16_t queue, struct pl_rx_counters *c);

/** pl_packet_rx_ring_release() - give back views from this ring. */
void pl_packet_rx_ring_release(struct pl_packet_rx_ring *r, const struct pktlink_pkt *pkts,
			       unsigned n);

/** pl_packet_rx_ring_fd() - the socket the ring belongs to (for POLLIN), -1 for NULL. */
int pl_packet_rx_ring_fd(const struct pl_packet_rx_ring *r);

/** pl_packet_rx_ring_destroy() - unmap; the fd stays open. NULL is fine. */
void pl_packet_rx_ring_destroy(struct pl_packet_rx_ring *r);

struct pl_packet_tx_ring;

/**
 * pl_packet_tx_ring_create() - a TX-only AF_PACKET socket of its own on
 * ifindex (TPACKET_V2 TX ring: V3 has no TX block mode, and one socket
 * cannot mix versions), with frame_count frames of frame_size bytes.
 */
int pl_packet_tx_ring_create(int ifindex, uint32_t frame_count, uint32_t frame_size,
			     bool vnet_hdr, bool qdisc_bypass, struct pl_packet_tx_ring **out,
			     char *err, size_t errlen);

/**
 * pl_packet_tx_ring_send() - copy up to n frames into free ring slots, mark
 * them SEND_REQUEST and kick the kernel once (send with MSG_DONTWAIT).
 * Return: frames taken (0 when the ring is full), or a negative errno.
 */
int pl_packet_tx_ring_send(struct pl_packet_tx_ring *r, const struct pktlink_pkt *pkts,
			   unsigned n, struct pl_tx_counters *c);

/**
 * pl_packet_tx_ring_reclaim() - take back the slots the kernel has finished
 * with (without sending anything) and handle refused frames.
 * Return: the number of free slots, or -EINVAL for NULL. TX thread only.
 */
int pl_packet_tx_ring_reclaim(struct pl_packet_tx_ring *r, struct pl_tx_counters *c);

/** pl_packet_tx_ring_fd() - the TX socket (for POLLOUT). */
int pl_packet_tx_ring_fd(const struct pl_packet_tx_ring *r);

/** pl_packet_tx_ring_destroy() - unmap and close its socket. NULL is fine. */
void pl_packet_tx_ring_destroy(struct pl_packet_tx_ring *r);

/**
 * pl_packet_vlan_insert() - re-insert an 802.1Q tag the kernel stripped.
 * frame has headroom >= 4 bytes before it: the MAC addresses move 4 bytes
 * back and the tag goes after them. Returns the new frame start (frame - 4);
 * *len grows by 4.
 */
uint8_t *pl_packet_vlan_insert(uint8_t *frame, uint32_t *len, uint16_t tpid, uint16_t tci);

/**
 * pl_packet_kernel_drops() - read and reset PACKET_STATISTICS (tp_drops) on
 * fd and return the drops since the last call (0 on error).
 */
uint64_t pl_packet_kernel_drops(int fd);

#endif /* PL_FD_PACKET_H */
