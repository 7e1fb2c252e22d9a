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
 * Four ways to connect:
 *   1. pktlink_shm_listen() / pktlink_shm_connect() over a unix socket path:
 *      the client creates the queue pair and sends its ten descriptors with
 *      SCM_RIGHTS after a handshake that checks versions and sizes; the
 *      connection stays open as the peer-death descriptor.
 *   2. pktlink_shm_qp_create() + pktlink_shm_open(): create the descriptors
 *      yourself, hand them over however you like (fork, your own socket),
 *      and open each side from them, with a peer descriptor (e.g. one end of
 *      a SOCK_SEQPACKET socketpair) whose hang-up means the peer is gone.
 *   3. pktlink_open("shm:/run/pl.sock?role=server&...") — the spec form of 1.
 *   4. gVisor's own hand-over (handover=fds, or pktlink_shm_send_fds() /
 *      pktlink_shm_recv_fds() + pktlink_shm_open()): the ten descriptors in
 *      one SCM_RIGHTS message, TX QueueConfig.FDs() then RX
 *      QueueConfig.FDs(), and nothing else; see "Talking to gVisor" below.
 *
 * Spec keys (pktlink_open()):
 *   shm:PATH?role=client|server&mtu=1500&buffer_size=2048&data_size=2097152
 *       &pipe_size=65536&busy_poll=0&vnet_hdr=0&gso_max_size=0&addr=MAC
 *       &dir=/dev/shm&timeout_ms=30000&allow_unsealed=0&spin_us=20
 *       &handover=pktlink|fds&wait_ms=30000
 *
 * A spec client waits up to wait_ms (default 30000) for a server at PATH,
 * saying so on stderr after a second; a signal (Ctrl-C) ends the wait, and
 * wait_ms=0 fails at once. pktlink_shm_connect() fails at once unless
 * opts->connect_wait_ms allows a wait, and never prints. A server takes
 * over a socket file left by a server that is gone, and refuses one that a
 * live server listens on.
 *
 * Talking to gVisor (pkg/tcpip/link/sharedmem, both roles):
 *
 * gVisor has no socket convention of its own: a program holds two
 * QueueConfigs (from sharedmem.NewQueuePair, or QueueConfigFromFDs) and a
 * PeerFD. Send the descriptors from Go in one message, in FDs() order:
 *
 *     fds := append(qp.TXQueueConfig().FDs(), qp.RXQueueConfig().FDs()...)
 *     unix.Sendmsg(conn, []byte{0}, unix.UnixRights(fds...), nil, 0)
 *     unix.SetNonblock(conn, true) // gVisor read(2)s PeerFD directly
 *     ep, _ := sharedmem.New(sharedmem.Options{..., PeerFD: conn,
 *             TX: qp.TXQueueConfig(), RX: qp.RXQueueConfig()})
 *
 * and open the other side from them in C:
 *
 *     struct pktlink_shm_fds fds;
 *     struct pktlink_shm_opts o = { .sz = sizeof(o), .role = PKTLINK_SHM_SERVER,
 *                                   .mtu = 1500, .allow_unsealed = true };
 *     int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC); // SOCK_SEQPACKET
 *     if (pktlink_shm_recv_fds(c, &fds, 5000, err, sizeof(err)) == 0 &&
 *         pktlink_shm_open(&o, &fds, c, &ep, err, sizeof(err)) == 0)
 *             ...; // c is the peer fd: gVisor's exit hangs it up
 *     pktlink_shm_fds_close(&fds); // the endpoint holds duplicates
 *
 * With gVisor as the server (NewServerEndpoint), pktlink is the client:
 * pktlink_shm_qp_create(), pktlink_shm_send_fds() to the gVisor program
 * (which passes fds[:5] and fds[5:] to QueueConfigFromFDs as Options.TX
 * and Options.RX), then pktlink_shm_open() with role CLIENT. The spec form
 * does the same: "shm:PATH?role=server&handover=fds&allow_unsealed=1" waits
 * for a gVisor client at PATH, "shm:PATH?role=client&handover=fds" connects
 * to a gVisor server listening there. gVisor's /dev/shm files are not
 * sealed, hence allow_unsealed=1 (trust that peer not to truncate them).
 * MTU and virtio-net header are not announced by gVisor: set the same on
 * both sides. gVisor's server ignores VirtioNetHeaderRequired, so use
 * vnet_hdr only with a gVisor client.
 *
 * gVisor's server reports each packet's size as the sum of the buffers it
 * filled (at their posted size), so frames arrive padded to whole buffers.
 * The client endpoint trims a completion that covers whole posted buffers
 * to the length its L3 header gives (IPv4 total length, IPv6 payload
 * length + 40, ARP 8 + 2 hlen + 2 plen, after VLAN tags), so the padding is
 * never delivered, and counts each in pktlink_shm_stats.rx_trimmed.
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

#define PKTLINK_SHM_DEFAULT_DATA_SIZE (2u << 20)
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

/* How a queue pair travels over the unix socket (listen/connect, spec key handover). */
enum pktlink_shm_handover {
	PKTLINK_SHM_HANDOVER_PKTLINK = 0, /* a hello (version, sizes, MTU) + the fds, then a verdict */
	PKTLINK_SHM_HANDOVER_FDS = 1, /* the ten fds alone, gVisor's FDs() order: any gVisor program */
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
	uint32_t mtu; /* L3 MTU, 68..65522; 0 = 1500 (server: 0 = take the client's) */
	uint32_t buffer_size; /* client: bytes per buffer, 64..65546; 0 = 2048 */
	uint64_t data_size; /* pktlink_shm_qp_create(): per queue; 0 = 2 MiB */
	uint64_t pipe_size; /* pktlink_shm_qp_create(): per pipe; 0 = 64 KiB */
	uint64_t shared_size; /* pktlink_shm_qp_create(): 0 = 4 KiB */
	const char *dir; /* NULL: memfd (sealed); else unlinked files in this existing directory,
			  * an absolute path without "." or ".." components (e.g. /dev/shm) */
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
	 * the eventfd round trip). 0 = 20 us, < 0 = never (pure eventfd).
	 * While a one-way stream comes in, its looks are up to 2 us apart, so
	 * that the sender's stores do not wait for lines the waiter just read;
	 * a waiter that sends on the endpoint looks at full speed. */
	int wait_spin_us;
	/* Fields below came later; an older caller's smaller sz leaves them 0. */
	enum pktlink_shm_handover handover; /* listen/connect */
	/* connect: how long to wait for a server that does not listen yet;
	 * 0 = fail at once, -1 = no limit. A signal ends the wait (-EINTR). */
	int connect_wait_ms;
};
#define pktlink_shm_opts__last_field connect_wait_ms /* the last field: update it when adding one */

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
 * pktlink_shm_listen() - server: listen on the unix socket @path, accept one
 * client within opts->timeout_ms, receive its queue pair (pktlink's
 * handshake, or with opts->handover = PKTLINK_SHM_HANDOVER_FDS the ten fds
 * alone, as a gVisor client sends them), and open the server endpoint. A
 * socket file left at @path by a server that is gone is replaced; one that
 * a live server listens on is refused (-EADDRINUSE). Connections that close
 * without a word (another server's liveness probe) are skipped. The
 * listening socket is closed and @path removed before returning.
 * Return: 0, or a negative errno with a reason in @err.
 */
int pktlink_shm_listen(const char *path, const struct pktlink_shm_opts *opts,
		       struct pktlink_ep **epp, char *err, size_t errlen);

/**
 * pktlink_shm_connect() - client: create a queue pair, connect to the
 * server at @path, hand it over (pktlink's handshake, or the ten fds alone
 * with PKTLINK_SHM_HANDOVER_FDS, for a gVisor server) and open the client
 * endpoint. When nobody listens at @path this fails at once (-ENOENT: no
 * socket file; -ECONNREFUSED: a stale one) unless opts->connect_wait_ms
 * allows a wait; a signal delivered to the thread ends the wait (-EINTR).
 * Return: 0, or a negative errno with a reason in @err.
 */
int pktlink_shm_connect(const char *path, const struct pktlink_shm_opts *opts,
			struct pktlink_ep **epp, char *err, size_t errlen);

/**
 * pktlink_shm_send_fds() - send the ten descriptors of @fds over the
 * connected unix socket @sock in one SCM_RIGHTS message with a one-byte
 * payload, in gVisor's order (tx then rx, each data, eventfd, tx pipe, rx
 * pipe, shared data): what a gVisor program passes to QueueConfigFromFDs.
 * The caller keeps its descriptors. Blocking as @sock is.
 * Return: 0, or a negative errno with a reason in @err.
 */
int pktlink_shm_send_fds(int sock, const struct pktlink_shm_fds *fds, char *err, size_t errlen);

/**
 * pktlink_shm_recv_fds() - receive exactly ten descriptors sent in one
 * SCM_RIGHTS message (gVisor's order, as above) from the unix socket @sock,
 * waiting up to @timeout_ms (-1 = no limit). On success the caller owns
 * every descriptor in @fds; on failure every descriptor that arrived is
 * closed and @fds holds -1s. A peer that closes without sending anything
 * gives -ECONNABORTED; a message with another count of descriptors, or
 * pktlink's own hello, gives -EPROTO.
 */
int pktlink_shm_recv_fds(int sock, struct pktlink_shm_fds *fds, int timeout_ms, char *err,
			 size_t errlen);

/**
 * struct pktlink_shm_stats - counters of the shm family beyond
 * struct pktlink_stats. Set @sz = sizeof(struct pktlink_shm_stats).
 */
struct pktlink_shm_stats {
	size_t sz;
	uint64_t rx_trimmed; /* padded completions trimmed to their L3 length (gVisor's server) */
};

/**
 * pktlink_shm_get_stats() - fill the fields of @st that fit in @st->sz.
 * Safe from any thread; may be a few frames behind the RX thread.
 * Return: 0, or -EINVAL when @ep is not an shm endpoint or @st->sz is 0.
 */
int pktlink_shm_get_stats(const struct pktlink_ep *ep, struct pktlink_shm_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_SHM_H */
