/* SPDX-License-Identifier: MIT */
/*
 * memif.h — shared-memory packet interfaces speaking the memif protocol 2.0,
 * the one of DPDK's net_memif PMD, VPP's memif interfaces and libmemif.
 *
 * Two processes share memory over a unix socket (SOCK_SEQPACKET). The
 * client owns the memory: after the server's HELLO it creates one memfd
 * region with every ring and buffer, an eventfd per ring, and hands them
 * over (INIT, ADD_REGION, ADD_RING..., CONNECT); the server answers
 * CONNECTED. Queue pair q is one ring per direction. Frames longer than a
 * buffer span several descriptors (MEMIF_DESC_FLAG_NEXT).
 *
 * Opening blocks until the link is connected (or opts->timeout_ms passes):
 * the server listens, accepts clients until one passes the handshake (right
 * id, secret and mode; the others get a DISCONNECT with the reason), then
 * closes the listening socket; the client retries connecting until the
 * server is there. When the peer disconnects or dies, the endpoint reports
 * it (closed callback, bursts fail with -ECONNRESET); open a new endpoint
 * to reconnect. pktlink_close() sends DISCONNECT "closed".
 *
 * Spec (pktlink_open()):
 *   memif:SOCKET?role=client|server&id=0&secret=S&name=N&mode=ethernet|ip
 *        &queues=1&ring_size=1024&buffer_size=2048&mtu=1500&addr=MAC
 *        &busy_poll=0&timeout_ms=30000&abstract=0&allow_unsealed=0
 *   SOCKET is a path, or @name for an abstract socket (also abstract=1).
 *
 * The peer is untrusted: every ring index and descriptor (region, offset,
 * length, chain) is read once from shared memory and checked; a peer that
 * breaks the protocol is sent a DISCONNECT with the reason and reported
 * gone with -EPROTO. Frames longer than the MTU are dropped and counted in
 * rx_drop_invalid. Received views of one-buffer frames point into shared
 * memory, which the peer can still write: read each header field once (or
 * copy the frame). Chained frames are copied into the endpoint's memory.
 *
 * Transmit copies into the shared buffers (the protocol's copy mode) and
 * never blocks: with the ring full, pktlink_tx_burst() returns 0. memif
 * carries no offload metadata: frames with a partial checksum
 * (PKTLINK_PKT_CSUM_PARTIAL) get their checksum completed in software,
 * GSO super-packets (up to 64 KiB) are segmented in software
 * (pktlink_info.gso_kind PKTLINK_GSO_KIND_SOFTWARE). With several queue
 * pairs, each RX queue is a worker in push mode, and transmit puts each
 * flow (IP addresses and TCP/UDP ports) on one ring, like RSS; frames
 * that are not IP go to ring 0.
 *
 * Zero-copy transmit (PKTLINK_CAP_TX_ALLOC, both roles): pktlink_tx_alloc()
 * lends buffers in shared memory, each holding mtu + max_header_len bytes;
 * pktlink_tx_burst() publishes them without a copy (frames from the
 * caller's own memory still go through the copy path, in the same order).
 *  - Client: buffers of a lend pool in its region (one per C2S ring slot),
 *    sent and given back (pktlink_tx_free()) in any order; one goes back to
 *    the pool when the server has consumed it.
 *  - Server: the buffers the client posted on the S2C ring, lent in ring
 *    order; the protocol lets the server write only a descriptor's length
 *    and flags, so a lent buffer goes out in its own slot. Send them in the
 *    order they were lent: one sent while a buffer lent before it is still
 *    held takes nothing (0) until that one is sent or given back (any
 *    frame waits behind a held buffer), and one whose slot is no longer
 *    next (a buffer lent before it was given back, or, with several queue
 *    pairs, its flow hashes to another ring) is copied. pktlink_tx_alloc()
 *    fails with -EMSGSIZE when the client posts buffers smaller than a frame.
 *    A pktlink client posts the buffers it received in again a quarter
 *    ring at a time while frames keep coming, and all of them once it
 *    finds its ring empty: a busy one leaves the server at least three
 *    quarters of the ring, an idle one all of it.
 * A partial checksum in a lent buffer is completed in place; a GSO
 * super-packet in one is refused (taken, counted in tx_drop_invalid, the
 * buffer returns to the endpoint): send those from your own memory. A
 * lent buffer that is not lent now (given back twice, already sent,
 * forged) is dropped by pktlink_tx_burst() and ignored by
 * pktlink_tx_free(), both counted in tx_drop_invalid. Lent buffers are
 * the TX thread's; they become invalid at pktlink_close(), which is safe
 * with buffers still lent.
 */
#ifndef PKTLINK_MEMIF_H
#define PKTLINK_MEMIF_H

#include <pktlink/pktlink.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PKTLINK_MEMIF_DEFAULT_SOCKET "/run/vpp/memif.sock"
#define PKTLINK_MEMIF_DEFAULT_BUFFER_SIZE 2048u
#define PKTLINK_MEMIF_DEFAULT_RING_SIZE 1024u

enum pktlink_memif_role {
	PKTLINK_MEMIF_CLIENT = 0, /* owns the memory, connects */
	PKTLINK_MEMIF_SERVER = 1, /* listens, maps the client's memory */
};

enum pktlink_memif_mode {
	PKTLINK_MEMIF_ETHERNET = 0, /* frames carry an Ethernet header */
	PKTLINK_MEMIF_IP = 1, /* frames are IPv4/IPv6 packets */
};

/**
 * struct pktlink_memif_opts - options of pktlink_memif_open(). Zero-
 * initialise, set @sz = sizeof(struct pktlink_memif_opts), then fill in;
 * zero means the default everywhere.
 */
struct pktlink_memif_opts {
	size_t sz;
	enum pktlink_memif_role role;
	const char *socket; /* path; "@name" = abstract; NULL = PKTLINK_MEMIF_DEFAULT_SOCKET */
	bool abstract; /* the socket name is abstract (same as a leading '@') */
	uint32_t id; /* interface id: the server accepts a client with the same id */
	const char *secret; /* up to 24 bytes; the server refuses a client without it */
	const char *name; /* our interface name sent to the peer (32 bytes max); NULL = "pktlink" */
	enum pktlink_memif_mode mode;
	uint16_t num_queues; /* queue pairs; 0 = 1. The client may get fewer (the server's limit) */
	uint32_t ring_size; /* client: descriptors per ring, a power of two <= 16384; 0 = 1024 */
	uint32_t buffer_size; /* client: bytes per buffer; 0 = 2048 */
	uint32_t mtu; /* largest L3 packet; 0 = 1500. Chained buffers carry what exceeds a buffer */
	/* Without it, pktlink_wait() watches the ring for up to 20 us before it
	 * asks for an interrupt and sleeps; while a one-way stream comes in,
	 * its looks are up to 2 us apart (the sender's stores then do not wait
	 * for lines it just read); a waiter that sends on the endpoint looks at
	 * full speed. */
	bool busy_poll; /* never ask the peer for interrupts: pollers spin */
	bool has_link_addr;
	uint8_t link_addr[6]; /* ethernet mode; default: a random locally administered address */
	int timeout_ms; /* handshake; 0 = 30000, -1 = no limit */
	/* server: map regions that are not memfds sealed against shrinking
	 * (DPDK's zero-copy client: its EAL memory). Trusts the client not to
	 * shrink them (a shrunk mapping faults); everything is still bounds-checked. */
	bool allow_unsealed;
};
#define pktlink_memif_opts__last_field allow_unsealed /* the last field: update it when adding one */

/**
 * pktlink_memif_open() - connect (client) or listen and accept (server) one
 * memif link, and open the endpoint over it. Blocks for the handshake.
 * Thread safety: any thread; the endpoint then follows pktlink.h's rules.
 * Return: 0, or a negative errno (-ETIMEDOUT, -ECONNREFUSED from a peer that
 * refused us, -EINVAL for bad options) with a reason in @err.
 */
int pktlink_memif_open(const struct pktlink_memif_opts *opts, struct pktlink_ep **epp, char *err,
		       size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_MEMIF_H */
