/* SPDX-License-Identifier: MIT */
/*
 * shm.h — shared-memory endpoints between two processes, wire-compatible
 * with gVisor's sharedmem link endpoint (client = the seed's New, server =
 * NewServerEndpoint).
 *
 * A queue pair is two queues (TX = client to server, RX = server to client),
 * each made of five descriptors in this order: data region, eventfd, tx pipe,
 * rx pipe, shared-data region. The client owns the memory: it creates the
 * queue pair and hands it to the server.
 *
 * Three ways to connect:
 *   1. pktlink_shm_listen() / pktlink_shm_connect() over a unix socket path:
 *      the client creates the queue pair and sends its ten descriptors with
 *      SCM_RIGHTS after a handshake that checks versions and sizes; the
 *      connection stays open as the peer-death descriptor.
 *   2. pktlink_shm_qp_create() + pktlink_shm_open(): create the descriptors
 *      yourself, hand them over however you like (fork, your own socket),
 *      and open each side from them, with a peer descriptor (e.g. one end of
 *      a SOCK_SEQPACKET socketpair) whose hang-up means the peer is gone.
 *   3. pktlink_open("shm:/run/pl.sock?role=server&...") — the spec form of 1.
 *
 * Spec keys (pktlink_open()):
 *   shm:PATH?role=client|server&mtu=1500&buffer_size=2048&data_size=1048576
 *       &pipe_size=65536&busy_poll=0&vnet_hdr=0&gso_max_size=0&addr=MAC
 *       &dir=/dev/shm&timeout_ms=30000&allow_unsealed=0&spin_us=20
 *
 * The peer is untrusted: everything read from shared memory is validated;
 * a peer that writes garbage has its packets dropped (rx_drop_invalid) and
 * is disconnected on protocol violations (closed callback, -EPROTO).
 * Received views of one-buffer frames point into shared memory, which the
 * peer can still write: a stack must read each header field once (or copy
 * the frame) just as it would for bytes off the wire. Frames spread over
 * several buffers are copied into the endpoint's own memory.
 *
 * Transmit never blocks: when the peer does not give buffers back (no
 * completions, no reposts), pktlink_tx_burst() returns 0; retry later.
 * Nobody signals completions (the seed's protocol), so there is no POLLOUT.
 */
#ifndef PKTLINK_SHM_H
#define PKTLINK_SHM_H

#include <pktlink/pktlink.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PKTLINK_SHM_DEFAULT_DATA_SIZE (1u << 20)
#define PKTLINK_SHM_DEFAULT_PIPE_SIZE (64u << 10)
#define PKTLINK_SHM_DEFAULT_SHARED_SIZE 4096u
#define PKTLINK_SHM_DEFAULT_BUFFER_SIZE 2048u
#define PKTLINK_SHM_MAX_PACKET 65536u /* largest frame, virtio-net header excluded */

/* The five descriptors of one queue, in the seed's order. */
enum {
	PKTLINK_SHM_FD_DATA = 0,
	PKTLINK_SHM_FD_EVENT = 1,
	PKTLINK_SHM_FD_TX_PIPE = 2,
	PKTLINK_SHM_FD_RX_PIPE = 3,
	PKTLINK_SHM_FD_SHARED = 4,
	PKTLINK_SHM_QUEUE_FDS = 5,
};

/**
 * struct pktlink_shm_fds - a queue pair as descriptors: tx = the client's TX
 * queue (client to server), rx = the client's RX queue.
 */
struct pktlink_shm_fds {
	int tx[PKTLINK_SHM_QUEUE_FDS];
	int rx[PKTLINK_SHM_QUEUE_FDS];
};

enum pktlink_shm_role {
	PKTLINK_SHM_CLIENT = 0, /* the seed's New: owns the buffers */
	PKTLINK_SHM_SERVER = 1, /* the seed's NewServerEndpoint */
};

/**
 * struct pktlink_shm_opts - options of every shm open function. Zero-
 * initialise, set @sz = sizeof(struct pktlink_shm_opts), then fill in; zero
 * means the default everywhere.
 */
struct pktlink_shm_opts {
	size_t sz;
	enum pktlink_shm_role role;
	uint32_t mtu; /* L3 MTU; 0 = 1500 (server: 0 = take the client's) */
	uint32_t buffer_size; /* client: bytes per buffer; 0 = 2048 */
	uint64_t data_size; /* pktlink_shm_qp_create(): per queue; 0 = 1 MiB */
	uint64_t pipe_size; /* pktlink_shm_qp_create(): per pipe; 0 = 64 KiB */
	uint64_t shared_size; /* pktlink_shm_qp_create(): 0 = 4 KiB */
	const char *dir; /* NULL: memfd (sealed); else unlinked files in this dir (e.g. /dev/shm) */
	bool busy_poll; /* never arm notifications: pktlink_fd() does not wake, pollers spin */
	bool vnet_hdr; /* frames carry a 10-byte virtio-net header in shared memory (both sides) */
	uint32_t gso_max_size; /* with vnet_hdr: largest GSO super-packet, <= 65536; 0 = no GSO */
	bool tx_csum_offload; /* the stack may send CSUM_PARTIAL frames (needs vnet_hdr) */
	bool rx_csum_offload; /* report the peer's checksum flags (needs vnet_hdr) */
	bool has_link_addr;
	uint8_t link_addr[6];
	int timeout_ms; /* listen/connect handshake; 0 = 30000, -1 = no limit */
	bool allow_unsealed; /* accept regions that can be shrunk (gVisor's /dev/shm files) */
	/* Before sleeping, a waiter watches the pipe this long with the peer's
	 * signals suppressed (a stream resumes within microseconds; this saves
	 * the eventfd round trip). 0 = 20 us, < 0 = never (pure eventfd). */
	int wait_spin_us;
};

/**
 * pktlink_shm_qp_create() - create a queue pair (ten descriptors, the
 * regions sized by @opts, pipes initialised) for the client side to own.
 * On success the caller owns every descriptor in @fds (close them with
 * pktlink_shm_fds_close() once both sides opened them).
 * Return: 0, or a negative errno with a reason in @err.
 */
int pktlink_shm_qp_create(const struct pktlink_shm_opts *opts, struct pktlink_shm_fds *fds,
			  char *err, size_t errlen);

/** pktlink_shm_fds_close() - close every descriptor >= 0 in @fds and set it to -1. */
void pktlink_shm_fds_close(struct pktlink_shm_fds *fds);

/**
 * pktlink_shm_open() - open one side of a link from a queue pair.
 * @fds:     the queue pair; duplicated, the caller keeps its descriptors.
 * @peer_fd: a descriptor whose hang-up (EOF, POLLHUP) means the peer is gone,
 *           or -1 for none; duplicated too.
 * Return: 0, or a negative errno with a reason in @err.
 */
int pktlink_shm_open(const struct pktlink_shm_opts *opts, const struct pktlink_shm_fds *fds,
		     int peer_fd, struct pktlink_ep **epp, char *err, size_t errlen);

/**
 * pktlink_shm_listen() - server: listen on the unix socket @path (a stale
 * socket file there is replaced), accept one client within opts->timeout_ms,
 * receive its queue pair, and open the server endpoint. The listening
 * socket is closed and @path removed before returning.
 */
int pktlink_shm_listen(const char *path, const struct pktlink_shm_opts *opts,
		       struct pktlink_ep **epp, char *err, size_t errlen);

/**
 * pktlink_shm_connect() - client: create a queue pair, connect to the
 * server at @path, hand it over and open the client endpoint.
 */
int pktlink_shm_connect(const char *path, const struct pktlink_shm_opts *opts,
			struct pktlink_ep **epp, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_SHM_H */
