/* SPDX-License-Identifier: MIT */
/*
 * packet.h — AF_PACKET building blocks for the fd family: sockets bound to a
 * device, the PACKET_FANOUT group with a flow hash user space can compute
 * too, the TPACKET_V3 RX ring, the TPACKET_V2 TX ring, VLAN re-insertion
 * and kernel drop counters.
 *
 * The fd endpoint (fd_setup.c, fd_rx.c, fd_tx.c) composes these into "packet:" endpoints;
 * each piece owns what it creates and undoes it in its destroy function.
 *
 * Private to the library.
 *
 * Interface notes (packet_* owner): all original signatures are unchanged.
 * Additions: PL_PACKET_RING_* defaults (ring defaults are now 32 blocks of
 * 256 KiB and a 1 ms block timeout, see packet_rx_ring.c for why),
 * pl_packet_fanout_join_ex(), pl_packet_fanout_prog(), pl_packet_ignore_outgoing_filter(),
 * pl_packet_rx_ring_fd(), pl_packet_tx_ring_reclaim(), pl_packet_tx_ring_alloc()
 * and pl_packet_tx_ring_free() (zero-copy transmit; send() accepts their
 * PKTLINK_PKT_TXBUF buffers).
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
 *
 * The socket is created with protocol 0 and gets ETH_P_ALL only in bind(),
 * so it never queues frames of other devices. cfg NULL means { .rx = true }.
 * Setup steps (one pl_fault() each): socket, each requested option, bind.
 * Ownership: the caller owns *fd (close() it). On failure nothing is left
 * open and *fd is -1. Thread-safe (touches nothing shared).
 * Return: 0 with *fd set, or a negative errno (EPERM without CAP_NET_RAW,
 * ENODEV for a vanished device, ...) with a reason in err.
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
 *
 * fds[i] becomes member i: it receives exactly the frames whose
 * pl_packet_flow_hash() % n == i (while all n stay open). Join after bind
 * and after pl_packet_rx_ring_create() (a socket in a group cannot get a
 * ring). If fds[0] has PACKET_IGNORE_OUTGOING, the group honours it too
 * (PACKET_FANOUT_FLAG_IGNORE_OUTGOING on 6.2+, a socket filter that drops
 * PACKET_OUTGOING before).
 * Setup steps (one pl_fault() each): first join, read back the id, the BPF
 * program, the per-socket filters (old kernels only), each further join.
 * Ownership: the sockets stay the caller's. A socket cannot leave a group
 * except by closing: after a failure, members that joined stay in the group
 * until the caller closes them (which it does on its own error path).
 * Thread-safe with respect to other groups.
 * Return: 0 with *group_id set, or a negative errno with a reason in err
 * (EINVAL: a socket not bound with a protocol, already in a group, or bound
 * to another device; ENOSPC: group full).
 */
int pl_packet_fanout_join(const int *fds, unsigned n, uint16_t *group_id, char *err,
			  size_t errlen);

/**
 * pl_packet_fanout_join_ex() - pl_packet_fanout_join() with random_ids:
 * skip PACKET_FANOUT_FLAG_UNIQUEID and take the fallback path of kernels
 * without it (random ids until one is free), so that path can be tested.
 * Same contract otherwise.
 */
int pl_packet_fanout_join_ex(const int *fds, unsigned n, bool random_ids, uint16_t *group_id,
			     char *err, size_t errlen);

/**
 * pl_packet_ignore_outgoing_filter() - attach a classic BPF socket filter
 * (SO_ATTACH_FILTER, replacing any other) that drops frames this host sends
 * (PACKET_OUTGOING). pl_packet_fanout_join() uses it on kernels before 6.2,
 * where a fanout group ignores PACKET_IGNORE_OUTGOING; usable on any packet
 * socket. Thread-safe. Return: 0 or a negative errno.
 */
int pl_packet_ignore_outgoing_filter(int fd);

/**
 * pl_packet_flow_hash() - the symmetric flow hash the fanout program
 * computes: the same value for both directions of an IPv4/IPv6 TCP/UDP flow
 * (addresses and ports combined order-independently), a hash of the
 * addresses for other IP protocols, 0 for non-IP frames. frame starts at
 * the Ethernet header; VLAN-tagged frames hash like untagged ones. Reads at
 * most len bytes.
 *
 * Returns the RAW 32-bit hash; the fanout member (and the TX fd to use) is
 * pl_packet_flow_hash() % n. Up to two 802.1Q/802.1ad tags are skipped;
 * IPv4 fragments hash without ports; a frame too short for a field the hash
 * needs hashes to 0 (exactly as the kernel program does). The full
 * definition is in packet_fanout.c. Pure, thread-safe, never fails.
 */
uint32_t pl_packet_flow_hash(const uint8_t *frame, uint32_t len);

/**
 * pl_packet_fanout_prog() - the classic BPF program of the fanout group
 * (exposed so tests can run it against pl_packet_flow_hash()). Writes up to
 * cap instructions into prog (NULL: just count); when the return value
 * exceeds cap, the program was cut and must not be used.
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
	/* The address of the device the socket is bound to, when it is one
	 * Ethernet device: a receive filter for this address takes the
	 * kernel's verdict (sll_pkttype) instead of reading each frame. */
	bool dev_addr_set;
	uint8_t dev_addr[6];
};

struct pl_packet_rx_ring;

/**
 * pl_packet_rx_ring_create() - set TPACKET_V3 (and PACKET_RESERVE, so a
 * stripped VLAN tag can be re-inserted in place) on fd, create and mmap the
 * RX ring. fd must not be bound to a fanout group yet.
 *
 * cfg NULL means all defaults. cfg->vnet_hdr must match the socket's
 * PACKET_VNET_HDR. Setting the ring discards frames queued on fd before.
 * Setup steps (one pl_fault() each): PACKET_VERSION, PACKET_RESERVE,
 * PACKET_RX_RING, mmap; a failure undoes the earlier ones, leaving fd as it
 * was. Ownership: *out belongs to the caller (pl_packet_rx_ring_destroy());
 * fd stays the caller's and must outlive the ring.
 * Return: 0, or a negative errno with a reason in err (EINVAL: bad
 * geometry; EBUSY: fd already has a ring; ENOMEM: ring too large).
 */
int pl_packet_rx_ring_create(int fd, const struct pl_packet_ring_cfg *cfg,
			     struct pl_packet_rx_ring **out, char *err, size_t errlen);

/**
 * pl_packet_rx_ring_burst() - up to n frames as views into the ring, after
 * the receive policy rp (core/rx_policy.h: VLAN tag re-inserted, MAC
 * filter, offload flags; NULL hands out every frame with the offload fields
 * parsed from the virtio-net header). Frames carry the kernel's receive
 * timestamp (PKTLINK_PKT_TSTAMP). A block goes back to the kernel when
 * every frame taken from it is released. Counters c get the drops
 * (filtered frames in drop_filter) and system calls; packets and bytes are
 * the caller's to count (core counts them for endpoints). The filter, when
 * its address is cfg dev_addr, takes the kernel's PACKET_OTHERHOST mark
 * (the device's current address) without reading the frame.
 *
 * Views stay valid until released with pl_packet_rx_ring_release(); pkt.priv
 * is the ring's handle (queue << 32 | block + 1, so an endpoint with a ring
 * per queue finds the ring from the handle; pkt.queue is never read back). Without a vnet header, TP_STATUS_CSUM_VALID and
 * TP_STATUS_CSUMNOTREADY (a local sender's checksum left to "hardware")
 * both give PKTLINK_PKT_CSUM_VALID. Bad or truncated frames are skipped and
 * counted (drop_invalid, drop_nobuf); when a block reports kernel drops
 * (TP_STATUS_LOSING) they are read with pl_packet_kernel_drops() and added
 * to drop_nobuf (so a caller summing pl_packet_kernel_drops() itself sees
 * only the remainder). The burst stops at a block whose views from the
 * previous lap are still held: a held view pins its whole block, and the
 * retire timer may close a block after a single frame, so block_count held
 * views can fill the ring (the kernel then drops, counted as above). c may
 * be NULL. Never blocks, never
 * allocates. One thread at a time per ring (with release).
 * Poll caveat: the kernel reports POLLIN while the block it retired last is
 * not back, so a caller that holds views from it sees POLLIN with nothing
 * to take — release (or copy) views promptly rather than hold them while
 * polling.
 * Return: count (0 when nothing is ready), or -EINVAL for bad arguments.
 */
int pl_packet_rx_ring_burst(struct pl_packet_rx_ring *r, struct pktlink_pkt *pkts, unsigned n,
			    uint16_t queue, const struct pl_rx_policy *rp, struct pl_rx_counters *c);

/**
 * pl_packet_rx_ring_release() - give back views from this ring, in any
 * order. Views of other rings, doubly released or zeroed views are ignored.
 * Same thread rules as pl_packet_rx_ring_burst().
 */
void pl_packet_rx_ring_release(struct pl_packet_rx_ring *r, const struct pktlink_pkt *pkts,
			       unsigned n);

/**
 * pl_packet_rx_ring_release_handle() - give back n views whose pkt.priv is
 * handle (views of one block: a run of equal handles), as n calls of
 * pl_packet_rx_ring_release() would. Same rules.
 */
void pl_packet_rx_ring_release_handle(struct pl_packet_rx_ring *r, uint64_t handle, unsigned n);

/** pl_packet_rx_ring_fd() - the socket the ring belongs to (for POLLIN), -1 for NULL. */
int pl_packet_rx_ring_fd(const struct pl_packet_rx_ring *r);

/**
 * pl_packet_rx_ring_destroy() - unmap and free; the fd stays open (close it
 * to free the kernel's ring). Views must not be used afterwards. NULL is fine.
 */
void pl_packet_rx_ring_destroy(struct pl_packet_rx_ring *r);

struct pl_packet_tx_ring;

/**
 * pl_packet_tx_ring_create() - a TX-only AF_PACKET socket of its own on
 * ifindex (TPACKET_V2 TX ring: V3 has no TX block mode, and one socket
 * cannot mix versions), with frame_count frames of frame_size bytes.
 *
 * frame_size includes the 32-byte slot header (and the 10-byte virtio-net
 * header with vnet_hdr), so the largest frame is frame_size - 32 (- 10);
 * 0 means 2048. frame_count 0 means 256; it is rounded up to whole blocks.
 * Setup steps (one pl_fault() each): those of pl_packet_socket_open(),
 * PACKET_VERSION, PACKET_TX_RING, mmap; failure closes everything.
 * Ownership: *out (and its socket) belong to the caller until
 * pl_packet_tx_ring_destroy().
 * Return: 0, or a negative errno with a reason in err.
 */
int pl_packet_tx_ring_create(int ifindex, uint32_t frame_count, uint32_t frame_size,
			     bool vnet_hdr, bool qdisc_bypass, struct pl_packet_tx_ring **out,
			     char *err, size_t errlen);

/**
 * pl_packet_tx_ring_send() - copy up to n frames into free ring slots, mark
 * them SEND_REQUEST and kick the kernel once (send with MSG_DONTWAIT).
 *
 * Frames are taken in order. One that can never go out (shorter than 14
 * bytes, larger than a slot, an offload request pl_pkt_to_vnet() rejects)
 * is taken and counted in c->drop_invalid. Frames the kernel refuses later
 * (TP_STATUS_WRONG_FORMAT, e.g. longer than the MTU) count in c->errors and
 * do not stall the frames behind them. c gets drops (pl_tx_invalid())
 * and system calls; packets and bytes are the caller's to count.
 * The caller's memory may be reused on return. c may be NULL. TX thread only.
 * PKTLINK_PKT_TXBUF frames must come from pl_packet_tx_ring_alloc() of this
 * ring (others are taken and counted invalid); taken ones belong to the
 * ring again. The burst stops (not taking the frame) at a frame that would
 * have to be queued behind a still-lent buffer.
 * Every call also re-kicks frames still waiting from earlier calls.
 * Return: frames taken (0 when the ring is full), or a negative errno when
 * nothing was taken and the device failed (ENETDOWN, ENXIO, ...). On 0,
 * wait for POLLOUT on pl_packet_tx_ring_fd() WITH a short timeout and call
 * again: the kernel reports POLLOUT only when the slot at its own head is
 * free, which after a send-buffer shortage needs this call's re-kick.
 */
int pl_packet_tx_ring_send(struct pl_packet_tx_ring *r, const struct pktlink_pkt *pkts,
			   unsigned n, struct pl_tx_counters *c);

/**
 * pl_packet_tx_ring_alloc() - lend up to n free slots for zero-copy
 * transmit: each pkt gets data (inside the ring, after the virtio-net header
 * room), len = capacity, flags = PKTLINK_PKT_TXBUF and priv. Write the
 * frame, set len, and pass the pkt to pl_packet_tx_ring_send() — sent in
 * allocation order, frames go out in place with no copy. The kernel takes
 * slots strictly in order, so while the oldest lent buffer is out, frames
 * sent after it (plain or lent) wait (send returns fewer/0) unless a free
 * slot is at the ring's head: send or free lent buffers promptly.
 * TX thread only. Return: the number lent (0 when none are free), -EINVAL.
 */
int pl_packet_tx_ring_alloc(struct pl_packet_tx_ring *r, struct pktlink_pkt *pkts, unsigned n,
			    struct pl_tx_counters *c);

/**
 * pl_packet_tx_ring_free() - give back lent buffers that will not be sent.
 * Buffers that are not this ring's, or already back, are ignored. TX thread
 * only.
 */
void pl_packet_tx_ring_free(struct pl_packet_tx_ring *r, const struct pktlink_pkt *pkts, unsigned n);

/**
 * pl_packet_tx_ring_reclaim() - take back the slots the kernel has finished
 * with (without sending anything) and handle refused frames.
 * Return: the number of free slots, or -EINVAL for NULL. TX thread only.
 */
int pl_packet_tx_ring_reclaim(struct pl_packet_tx_ring *r, struct pl_tx_counters *c);

/**
 * pl_packet_tx_ring_fd() - the TX socket (for POLLOUT), owned by the ring;
 * -1 for NULL.
 */
int pl_packet_tx_ring_fd(const struct pl_packet_tx_ring *r);

/** pl_packet_tx_ring_destroy() - unmap and close its socket. NULL is fine. */
void pl_packet_tx_ring_destroy(struct pl_packet_tx_ring *r);

/**
 * pl_packet_kernel_drops() - read and reset PACKET_STATISTICS (tp_drops) on
 * fd and return the drops since the last call (0 on error).
 *
 * Works for V1/V2/V3 sockets (V3 also has tp_freeze_q_cnt, the times the
 * ring was full; not returned). Reading resets the kernel's counters for
 * every reader of that socket. Thread-safe (one syscall).
 */
uint64_t pl_packet_kernel_drops(int fd);

#endif /* PL_FD_PACKET_H */
