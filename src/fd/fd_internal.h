/* SPDX-License-Identifier: MIT */
/*
 * fd_internal.h — the fd endpoint's private structures and helpers, shared
 * by fd_setup.c (open, teardown), fd_rx.c (receive), fd_tx.c (transmit) and
 * fd_spec.c (the "fd:", "tap:", "tun:" and "packet:" spec openers).
 *
 * Private to the library; only src/fd includes it.
 */
#ifndef PL_FD_INTERNAL_H
#define PL_FD_INTERNAL_H

#include "core/endpoint.h"
#include "core/tx_prep.h"
#include "fd/packet.h"
#include "fd/tun.h"
#include <pktlink/fd.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Frames per recvmmsg()/sendmmsg() call: the seed uses 8 for receive; 64 keeps
 * the per-call cost low while the per-queue arrays stay a few KiB. */
#define FD_RX_BATCH 64
/* How often a waiter whose socket reported a link down looks whether the
 * device is gone (fd_rx_wait()): deletion reports nothing more. */
#define FD_DOWN_RECHECK_MS 50
#define FD_TX_BATCH 64
/* Bytes before each receive frame: room for the virtio-net header (<= 12)
 * and for re-inserting a stripped 4-byte VLAN tag in place. */
#define FD_HEADROOM 64
/* Default receive buffers per queue. */
#define FD_DEFAULT_FRAMES 256
/* The largest super-packet (GSO/GRO) a descriptor can hand us. */
#define FD_SUPER_MAX 65536u
/* Room for a struct tpacket_auxdata and a struct timespec control message. */
#define FD_CMSG_LEN 128

/* What a descriptor is; decides the receive and transmit system calls. */
enum fd_kind {
	FD_KIND_CHR = 0, /* TAP/TUN character device: readv, write/writev */
	FD_KIND_PACKET, /* AF_PACKET socket */
	FD_KIND_DGRAM, /* SOCK_DGRAM (no EOF: a zero-length datagram is a frame) */
	FD_KIND_SEQPACKET, /* SOCK_SEQPACKET (a zero-length read is EOF) */
	FD_KIND_EVENT, /* the inject queue's eventfd */
};

/* Where the descriptors came from; decides what destroy closes. */
enum fd_origin {
	FD_ORIGIN_HANDED = 0, /* pktlink_fd_open(): the caller's, never closed */
	FD_ORIGIN_TUN, /* tap:/tun: opened by name: owned */
	FD_ORIGIN_PACKET, /* packet: sockets we created: owned */
};

/*
 * A single-producer single-consumer ring of buffer indices (the inject
 * queue). head is written by the consumer, tail by the producer, each on its
 * own cache line; release stores publish the slot contents.
 */
struct fd_spsc {
	uint32_t *slot;
	uint32_t mask;
	uint32_t head __attribute__((aligned(PL_CACHELINE)));
	uint32_t tail __attribute__((aligned(PL_CACHELINE)));
};

/* One RX queue = one descriptor (or the inject queue). Touched only by the
 * queue's RX thread, except the inject rings (see fd_spsc). */
struct fd_queue {
	int fd; /* the descriptor read (and written, for TX fd i == queue i) */
	uint8_t kind; /* enum fd_kind */
	int pending_gone; /* peer-gone reason seen after frames were returned: report next call */
	uint8_t strikes; /* hang-up/error wake-ups in a row without data */
	/* a socket's error was ENETDOWN while the device still existed: its
	 * link went down, or its deletion has begun; cleared when the device
	 * is seen up again (fd_rx_wait()) */
	bool link_down;
	uint64_t idle_checked; /* CLOCK_MONOTONIC ns of rx_burst's last fd_rx_idle_check() */
	/* the receive buffer pool: nbufs slots of slot_size bytes */
	uint8_t *mem;
	size_t mem_len;
	uint32_t nbufs;
	uint32_t *freel; /* stack of free slot indices */
	uint32_t nfree;
	uint8_t *out; /* out[i] = 1 while slot i is handed out (catches double release) */
	/* recvmmsg / recvmsg state */
	struct mmsghdr *msgs; /* [FD_RX_BATCH] */
	struct iovec *iov; /* [FD_RX_BATCH] */
	uint8_t *cmsg; /* [FD_RX_BATCH][FD_CMSG_LEN] */
	uint32_t *bidx; /* [FD_RX_BATCH] slot of each message */
	/* mmap mode */
	struct pl_packet_rx_ring *ring;
	/* inject queue */
	struct fd_spsc ready; /* producer: pktlink_fd_inject(); consumer: rx_burst */
	struct fd_spsc freeq; /* producer: rx_release; consumer: pktlink_fd_inject() */
};

/* One transmit "out-frame": what one message on the wire is made of. */
struct fd_out {
	struct iovec iov[2]; /* [virtio-net header], frame */
	uint16_t fdi; /* which descriptor */
	uint16_t niov;
	uint32_t src; /* index of the caller's frame it came from */
};

/* The fd endpoint. struct pktlink_ep must stay first (core casts). */
struct fd_ep {
	struct pktlink_ep ep;
	struct pktlink_fd_opts o; /* normalised options (o.fds points to fds below) */
	uint8_t origin; /* enum fd_origin */
	uint8_t rx_mode, tx_mode; /* enum pktlink_fd_rx_mode / tx_mode, resolved */
	bool eth;
	bool promisc;
	bool rx_csum, tx_csum; /* as advertised */
	bool tstamp; /* RX timestamps asked for (opts.rx_timestamp) */
	uint32_t link_len; /* 14 or 0 */
	uint32_t vnet_len; /* 0, 10 or 12 */
	uint32_t frame_max; /* largest frame (no vnet header) a receive buffer holds */
	uint32_t slot_size; /* bytes per receive buffer */
	uint32_t tx_frame_max; /* largest plain (non-GSO) frame accepted on transmit */
	struct pl_tx_caps tc; /* what the descriptors take on transmit (core/tx_prep.h) */
	int ifindex; /* packet: endpoints (0 otherwise) */
	uint32_t dev_mtu; /* the device's MTU (packet:), 0 when unknown */
	unsigned nfds;
	int fds[PL_MAX_QUEUES]; /* the descriptors written (and read, unless injectable) */
	uint8_t fd_kind[PL_MAX_QUEUES];
	unsigned nfds_open; /* owned descriptors opened so far (teardown) */
	unsigned nq;
	struct fd_queue *q; /* [nq] */
	unsigned nq_ready; /* queues whose buffers exist (teardown) */
	int inject_fd; /* eventfd of the inject queue, or -1 */
	struct pl_packet_tx_ring *txr;
	/* TX state (the single TX thread) */
	uint8_t *scratch; /* FD_TX_BATCH * scratch_slot bytes for built segments */
	size_t scratch_len;
	uint32_t scratch_slot;
	struct fd_out outs[FD_TX_BATCH];
	uint8_t vhdr[FD_TX_BATCH][16];
	struct mmsghdr tmsg[FD_TX_BATCH];
	struct pktlink_pkt tpk[FD_TX_BATCH];
	uint64_t kdrops; /* atomic: kernel drops summed over read_stats calls */
	uint64_t inject_nobuf; /* atomic: pktlink_fd_inject() found the queue full */
};

#define FD_ETH_HLEN 14u

/* The fd endpoint of a core endpoint (struct pktlink_ep is its first member). */
static inline struct fd_ep *to_fd(struct pktlink_ep *ep)
{
	return (struct fd_ep *)ep; /* struct pktlink_ep is the first member */
}

/* to_fd() for const pointers. */
static inline const struct fd_ep *to_fd_const(const struct pktlink_ep *ep)
{
	return (const struct fd_ep *)ep;
}

/* v rounded up to a multiple of 64 (a cache line). */
static inline uint32_t round_up64(uint32_t v)
{
	return (v + 63u) & ~63u;
}

/* Sockets take recvmsg/sendmsg (and their batched forms); the rest readv/writev. */
static inline bool kind_is_socket(uint8_t kind)
{
	return kind == FD_KIND_PACKET || kind == FD_KIND_DGRAM || kind == FD_KIND_SEQPACKET;
}

/* ------------------------------------------------------------------------ */
/* The inject queue's single-producer single-consumer rings                  */

/* fd_spsc_push() - producer side; false when full. */
static inline bool fd_spsc_push(struct fd_spsc *r, uint32_t v)
{
	uint32_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	uint32_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	if (t - h > r->mask)
		return false;
	r->slot[t & r->mask] = v;
	/* release: the slot (and the buffer it names) is written before the
	 * consumer can see the new tail */
	__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
	return true;
}

/* fd_spsc_pop() - consumer side; false when empty. */
static inline bool fd_spsc_pop(struct fd_spsc *r, uint32_t *v)
{
	uint32_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	uint32_t t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if (h == t)
		return false;
	*v = r->slot[h & r->mask];
	/* release: we are done reading the slot before the producer reuses it */
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

static inline uint8_t *slot_base(const struct fd_ep *f, const struct fd_queue *q, uint32_t idx)
{
	return q->mem + (size_t)idx * f->slot_size;
}

/* Does queue q receive control messages (PACKET_AUXDATA, SO_TIMESTAMPNS)? */
static inline bool fd_q_cmsg(const struct fd_ep *f, const struct fd_queue *q)
{
	return q->kind == FD_KIND_PACKET || (f->tstamp && kind_is_socket(q->kind));
}

/* Shared between the files of the fd family (fd_setup.c, fd_rx.c, fd_tx.c). */

/* fd_setup.c: does the device of a packet: endpoint still exist (a system
 * call; only on error paths), and which errno means the peer is gone. */
bool fd_device_exists(const struct fd_ep *f);
int fd_link_state(const struct fd_ep *f, int sock);
int fd_gone_reason(const struct fd_ep *f, int e);
/* fd_setup.c: ops->read_stats, ops->destroy. */
int fd_read_stats(struct pktlink_ep *ep, struct pktlink_stats *st);
void fd_destroy(struct pktlink_ep *ep);
/* fd_rx.c: ops->rx_burst, ->rx_release, ->queue_fd, ->rx_wait. */
int fd_rx_burst(struct pktlink_ep *ep, unsigned qi, struct pktlink_pkt *pkts, unsigned n);
void fd_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
int fd_queue_fd(const struct pktlink_ep *ep, unsigned qi);
int fd_rx_wait(struct pktlink_ep *ep, unsigned qi, int stop_fd, int timeout_ms);
/* fd_tx.c: ops->tx_burst, ->tx_alloc, ->tx_free. */
int fd_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
int fd_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
void fd_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);

/* What an opener asks pl_fd_ep_open() to build. */
struct fd_setup {
	struct pktlink_fd_opts o; /* fds/num_fds: for FD_ORIGIN_HANDED */
	enum fd_origin origin;
	bool mtu_given; /* o.mtu came from the user (else read from the device) */
	/* tap:/tun: */
	const char *ifname;
	struct pl_tun_cfg tun;
	/* packet: */
	unsigned packet_fds;
	struct pl_packet_sock_cfg pcfg;
	struct pl_packet_ring_cfg ring;
	uint32_t tx_frames; /* TX ring frames, 0 = 256 */
};

/**
 * pl_fd_ep_open() - the one implementation behind pktlink_fd_open() and every
 * spec opener: validate, then run the setup steps (each preceded by
 * pl_fault()); on failure undo exactly what was done and leave the reason in
 * err. Thread safety: none needed (touches only what it creates).
 * Return: 0 with *epp set, or a negative errno.
 */
int pl_fd_ep_open(struct fd_setup *s, struct pktlink_ep **epp, char *err, size_t errlen);

#endif /* PL_FD_INTERNAL_H */
