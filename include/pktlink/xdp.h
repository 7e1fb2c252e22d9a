/* SPDX-License-Identifier: MIT */
/*
 * xdp.h — AF_XDP: the control block (UMEM, frame pool, rings, sockets) and
 * the "xdp" endpoint built on it.
 *
 * Two levels, usable separately:
 *
 *  1. The control block (pktlink_xdp_umem_*, pktlink_xdp_socket_*, and the
 *     ring functions pktlink_xdp_ring_*): what gVisor's xdp package and
 *     libxdp's xsk.h give, plus a frame pool that owns every UMEM frame and
 *     knows where each one is. For programs that drive the rings themselves.
 *
 *  2. The endpoint (pktlink_xdp_open() or pktlink_open("xdp:IFNAME?...")):
 *     the pktlink contract on one or all queues of a device, with the XDP
 *     program loaded and attached for you.
 *
 * Spec string:
 *   xdp:IFNAME?queue=0&queues=1|N|all&mode=auto|drv|skb&zerocopy=auto|require|off
 *       &frames=4096&frame_size=2048|4096&unaligned=0&headroom=0&need_wakeup=1
 *       &busy_poll=0|USEC&busy_budget=N&xskmap=PATH|FD&debug=0&hugepages=0&sg=0&fd=N
 *       &rx_size=N&tx_size=N&attach=auto|libxdp|libbpf
 *
 * Setup order (one order, always): UMEM memory → socket → XDP_UMEM_REG →
 * FILL/COMPLETION/RX/TX ring sizes → XDP_MMAP_OFFSETS → mmap of each ring →
 * FILL filled → bind (EBUSY retried briefly) → XDP program load → attach →
 * XSKMAP update. Teardown runs the steps that were done, backwards.
 */
#ifndef PKTLINK_XDP_H
#define PKTLINK_XDP_H

#include <pktlink/pktlink.h>

#include <linux/if_xdp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Debian 12's linux-libc-dev (6.1) predates multi-buffer AF_XDP (6.6). */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
/* The most descriptors one frame may use in multi-buffer mode: the kernel's
 * copy mode takes MAX_SKB_FRAGS + 1 = 18 portably, 17 is safe everywhere. */
#define PKTLINK_XDP_MAX_FRAGS 17
/* The kernel's reserved headroom in front of every received frame. */
#ifndef XDP_PACKET_HEADROOM
#define XDP_PACKET_HEADROOM 256
#endif
/* Unaligned-chunk mode: the data offset travels in the address's top bits. */
#ifndef XSK_UNALIGNED_BUF_OFFSET_SHIFT
#define XSK_UNALIGNED_BUF_OFFSET_SHIFT 48
#endif
#define PKTLINK_XDP_ADDR_MASK ((1ull << XSK_UNALIGNED_BUF_OFFSET_SHIFT) - 1)

/* ------------------------------------------------------------------------ */
/* Rings                                                                     */

/**
 * struct pktlink_xdp_ring - one of the four AF_XDP rings, as mapped from the
 * kernel, with cached copies of the shared indices (libxdp style).
 *
 * The kernel is the other side of every ring: producer/consumer indices are
 * free-running u32. We touch the shared indices only when the cached ones
 * run dry, reading the other side's index with acquire (so the entries it
 * published are visible) and publishing ours with release (so our entry
 * writes, or our reads of entries we are giving back, happen before).
 *
 * A ring has exactly one user thread. Not thread-safe.
 */
struct pktlink_xdp_ring {
	uint32_t cached_prod;
	uint32_t cached_cons;
	uint32_t mask;
	uint32_t size;
	uint32_t *producer;
	uint32_t *consumer;
	uint32_t *flags;
	void *ring; /* uint64_t addresses (FILL, COMPLETION) or struct xdp_desc (RX, TX) */
	void *map; /* the mmap()ed area, for munmap */
	size_t map_len;
};

/* Producer side (FILL, TX): number of free slots, at least up to nb if there are. */
static inline uint32_t pktlink_xdp_prod_nb_free(struct pktlink_xdp_ring *r, uint32_t nb)
{
	uint32_t free_entries = r->cached_cons - r->cached_prod;
	if (free_entries >= nb)
		return free_entries;
	/* The kernel frees slots by advancing consumer; acquire so that its
	 * reads of those slots are done before we overwrite them. */
	r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE) + r->size;
	return r->cached_cons - r->cached_prod;
}

/**
 * pktlink_xdp_prod_reserve() - reserve nb slots (all or none) starting at
 * *idx. Fill them with pktlink_xdp_ring_addr()/_desc(), then submit or cancel.
 * Return: nb, or 0 when fewer than nb slots are free.
 */
static inline uint32_t pktlink_xdp_prod_reserve(struct pktlink_xdp_ring *r, uint32_t nb,
						uint32_t *idx)
{
	if (pktlink_xdp_prod_nb_free(r, nb) < nb)
		return 0;
	*idx = r->cached_prod;
	r->cached_prod += nb;
	return nb;
}

/** pktlink_xdp_prod_submit() - publish nb reserved slots to the kernel (release). */
static inline void pktlink_xdp_prod_submit(struct pktlink_xdp_ring *r, uint32_t nb)
{
	__atomic_store_n(r->producer, *r->producer + nb, __ATOMIC_RELEASE);
}

/** pktlink_xdp_prod_cancel() - give back nb slots reserved but not submitted. */
static inline void pktlink_xdp_prod_cancel(struct pktlink_xdp_ring *r, uint32_t nb)
{
	r->cached_prod -= nb;
}

/* Consumer side (RX, COMPLETION): entries available, at most nb. */
static inline uint32_t pktlink_xdp_cons_nb_avail(struct pktlink_xdp_ring *r, uint32_t nb)
{
	uint32_t entries = r->cached_prod - r->cached_cons;
	if (entries == 0) {
		/* Acquire: the entries the kernel published are visible now. */
		r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		entries = r->cached_prod - r->cached_cons;
	}
	return entries > nb ? nb : entries;
}

/**
 * pktlink_xdp_cons_peek() - take up to nb entries starting at *idx. Read
 * them, then release (or cancel to read them again later).
 * Return: the number taken (0 when the ring is empty).
 */
static inline uint32_t pktlink_xdp_cons_peek(struct pktlink_xdp_ring *r, uint32_t nb,
					     uint32_t *idx)
{
	uint32_t entries = pktlink_xdp_cons_nb_avail(r, nb);
	if (entries) {
		*idx = r->cached_cons;
		r->cached_cons += entries;
	}
	return entries;
}

/** pktlink_xdp_cons_release() - hand nb read entries back to the kernel (release). */
static inline void pktlink_xdp_cons_release(struct pktlink_xdp_ring *r, uint32_t nb)
{
	__atomic_store_n(r->consumer, *r->consumer + nb, __ATOMIC_RELEASE);
}

/** pktlink_xdp_cons_cancel() - un-peek nb entries. */
static inline void pktlink_xdp_cons_cancel(struct pktlink_xdp_ring *r, uint32_t nb)
{
	r->cached_cons -= nb;
}

/** pktlink_xdp_ring_needs_wakeup() - the kernel asks for a syscall (need_wakeup). */
static inline bool pktlink_xdp_ring_needs_wakeup(const struct pktlink_xdp_ring *r)
{
	return __atomic_load_n(r->flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP;
}

/** Address slot idx of a FILL or COMPLETION ring. */
static inline uint64_t *pktlink_xdp_ring_addr(struct pktlink_xdp_ring *r, uint32_t idx)
{
	return &((uint64_t *)r->ring)[idx & r->mask];
}

/** Descriptor slot idx of an RX or TX ring. */
static inline struct xdp_desc *pktlink_xdp_ring_desc(struct pktlink_xdp_ring *r, uint32_t idx)
{
	return &((struct xdp_desc *)r->ring)[idx & r->mask];
}

/* ------------------------------------------------------------------------ */
/* UMEM and its frame pool                                                   */

/* pktlink_xdp_umem_opts.flags */
enum {
	/* XDP_UMEM_UNALIGNED_CHUNK_FLAG: frames of any size >= 2048, data at
	 * any offset. */
	PKTLINK_XDP_UMEM_UNALIGNED = 1u << 0,
	/* Back the UMEM with 2 MiB hugepages when the system has them; falls
	 * back to normal pages otherwise (pktlink_xdp_umem_hugepages() says). */
	PKTLINK_XDP_UMEM_HUGEPAGES = 1u << 1,
	/* Leak reporting: an endpoint whose UMEM has this flag (debug=1)
	 * prints the frames still held by the application and the refused
	 * frame operations on stderr at close. (The checks themselves — every
	 * frame the kernel or the application hands back is checked against
	 * the pool's records — are always on: they cost a byte compare.) */
	PKTLINK_XDP_UMEM_DEBUG = 1u << 2,
};

/**
 * struct pktlink_xdp_umem_opts - UMEM geometry. Zero-initialise, set sz,
 * then change what you need; zero fields take the defaults.
 */
struct pktlink_xdp_umem_opts {
	size_t sz; /* sizeof(struct pktlink_xdp_umem_opts) */
	uint32_t frames; /* total frames, 2..1M; default 4096 */
	uint32_t frame_size; /* 2048 or 4096 (aligned); 2048..65536 unaligned; default 4096 */
	uint32_t headroom; /* bytes the kernel leaves before received data; default 0 */
	uint32_t rx_frames; /* frames for receive (FILL); the rest is for transmit; default half */
	uint32_t flags; /* PKTLINK_XDP_UMEM_* */
};
#define pktlink_xdp_umem_opts__last_field flags /* the last field: update it when adding one */

/**
 * enum pktlink_xdp_frame_state - where a frame is. Every frame is in
 * exactly one state; the pool records it per frame.
 */
enum pktlink_xdp_frame_state {
	PKTLINK_XDP_FRAME_FREE = 0, /* in the pool, unused */
	PKTLINK_XDP_FRAME_FILL = 1, /* posted to FILL: in the ring, with the kernel, or in RX */
	PKTLINK_XDP_FRAME_APP_RX = 2, /* received, held by the application */
	PKTLINK_XDP_FRAME_APP_TX = 3, /* allocated for transmit, held by the application */
	PKTLINK_XDP_FRAME_TX = 4, /* posted to TX: in the ring, with the kernel, or in COMPLETION */
	PKTLINK_XDP_FRAME_NSTATES
};

/** struct pktlink_xdp_umem - UMEM memory plus its frame pool. Opaque. */
struct pktlink_xdp_umem;

/**
 * pktlink_xdp_umem_create() - allocate page-aligned UMEM memory and its
 * frame pool (no kernel object yet: the first socket registers it).
 * Errors name the parameter at fault (geometry, memory).
 * Thread safety: the new UMEM has no locks; see the pool functions.
 * Return: 0, or a negative errno (-EINVAL, -ENOMEM) with a reason in err.
 */
int pktlink_xdp_umem_create(const struct pktlink_xdp_umem_opts *opts,
			    struct pktlink_xdp_umem **umemp, char *err, size_t errlen);

/**
 * pktlink_xdp_umem_destroy() - free the memory and the pool. Every socket
 * using the UMEM must be destroyed first (else -EBUSY and nothing happens).
 * Safe on NULL.
 */
int pktlink_xdp_umem_destroy(struct pktlink_xdp_umem *umem);

/** The UMEM area (its address is the base of every frame address). */
void *pktlink_xdp_umem_area(const struct pktlink_xdp_umem *umem, size_t *len);

/** The frame size, frame count, headroom and whether hugepages back it. */
uint32_t pktlink_xdp_umem_frame_size(const struct pktlink_xdp_umem *umem);
uint32_t pktlink_xdp_umem_frames(const struct pktlink_xdp_umem *umem);
uint32_t pktlink_xdp_umem_headroom(const struct pktlink_xdp_umem *umem);
bool pktlink_xdp_umem_hugepages(const struct pktlink_xdp_umem *umem);

/** The frame index of a UMEM address (any address inside the frame, offset bits allowed). */
uint32_t pktlink_xdp_umem_frame_of(const struct pktlink_xdp_umem *umem, uint64_t addr);

/**
 * pktlink_xdp_umem_census() - count frames per state; counts has
 * PKTLINK_XDP_FRAME_NSTATES entries and always sums to the frame count.
 * Reads states written by the RX and TX threads: exact only when they are
 * quiet. Return: the number of frames held by the application (APP_RX +
 * APP_TX), the usual leak measure.
 */
uint32_t pktlink_xdp_umem_census(const struct pktlink_xdp_umem *umem, uint32_t *counts);

/**
 * pktlink_xdp_umem_errors() - how many times the pool refused a frame:
 * posted twice, released twice, not the caller's, out of range. Each such
 * attempt is refused (the frame is not posted), so corruption cannot follow.
 */
uint64_t pktlink_xdp_umem_errors(const struct pktlink_xdp_umem *umem);

/**
 * pktlink_xdp_frame_alloc() - take up to n free transmit frames for the
 * application (state APP_TX); write their base addresses into addrs.
 * Call from the TX thread. Return: how many (0 when none are free).
 */
uint32_t pktlink_xdp_frame_alloc(struct pktlink_xdp_umem *umem, uint64_t *addrs, uint32_t n);

/**
 * pktlink_xdp_frame_free() - give frames the application holds (APP_RX or
 * APP_TX) back: received frames to the free receive pool (refilled into
 * FILL by pktlink_xdp_socket_fill()), transmit frames to the transmit pool.
 * Frames not held by the application are refused and counted.
 * Call from the thread owning the frames' side. Return: frames refused.
 */
uint32_t pktlink_xdp_frame_free(struct pktlink_xdp_umem *umem, const uint64_t *addrs, uint32_t n);

/* ------------------------------------------------------------------------ */
/* Sockets                                                                   */

/* pktlink_xdp_socket_opts.zerocopy */
enum pktlink_xdp_zc {
	PKTLINK_XDP_ZC_AUTO = 0, /* zero-copy when the driver can, else copy */
	PKTLINK_XDP_ZC_REQUIRE = 1, /* fail unless zero-copy engages */
	PKTLINK_XDP_ZC_OFF = 2, /* force copy mode (XDP_COPY) */
};

/**
 * struct pktlink_xdp_socket_opts - one AF_XDP socket. Zero-initialise, set
 * sz; zero fields take the defaults.
 */
struct pktlink_xdp_socket_opts {
	size_t sz; /* sizeof(struct pktlink_xdp_socket_opts) */
	const char *ifname; /* device (required unless no_bind) */
	uint32_t queue; /* queue id */
	uint32_t rx_size, tx_size; /* ring sizes, powers of two; default 2048; see no_rx/no_tx */
	bool no_rx, no_tx; /* an RX-only or TX-only socket */
	enum pktlink_xdp_zc zerocopy;
	bool no_need_wakeup; /* bind without XDP_USE_NEED_WAKEUP (then TX is kicked always) */
	bool sg; /* multi-buffer: bind with XDP_USE_SG */
	bool no_bind; /* set everything up but leave bind to the caller */
	/* A socket created and handed in by someone else (NewFromSocket): set
	 * has_fd and fd; used instead of socket(), never closed by pktlink.
	 * The kernel cannot undo XDP_UMEM_REG or ring sizes: after a failed
	 * create the socket is spent. */
	bool has_fd;
	int fd;
	/* Busy polling (SO_PREFER_BUSY_POLL + SO_BUSY_POLL usecs + budget); 0 = off.
	 * Dropped when the kernel lacks the options, and once frames arrived
	 * on a socket tied to no NAPI instance (SO_INCOMING_NAPI_ID 0). */
	uint32_t busy_poll_usec;
	uint32_t busy_poll_budget;
};
#define pktlink_xdp_socket_opts__last_field busy_poll_budget /* the last field: update it when adding one */

/** struct pktlink_xdp_socket - an AF_XDP socket with its rings. Opaque. */
struct pktlink_xdp_socket;

/**
 * pktlink_xdp_socket_create() - set up an AF_XDP socket on umem: register
 * the UMEM if no socket did yet (this socket then owns the UMEM's FILL and
 * COMPLETION rings), else share it (XDP_SHARED_UMEM: sockets on the same
 * device and queue share the owner's FILL/COMPLETION; on another device or
 * queue the new socket gets a FILL/COMPLETION pair of its own). The FILL
 * ring it owns is filled with the UMEM's free receive frames. Then bind,
 * retrying EBUSY for up to 1 s (the kernel frees a closed socket's queue
 * asynchronously). The socket is not in any XSKMAP yet: see
 * pktlink_xdp_socket_fd().
 *
 * Every step calls pl_fault(); a failure undoes the steps done.
 * Return: 0, or a negative errno with a reason naming the step and the
 * parameter (ring size, memlock limit, permission, queue busy).
 */
int pktlink_xdp_socket_create(struct pktlink_xdp_umem *umem,
			      const struct pktlink_xdp_socket_opts *opts,
			      struct pktlink_xdp_socket **sockp, char *err, size_t errlen);

/** pktlink_xdp_socket_destroy() - undo every step done. Safe on NULL. */
void pktlink_xdp_socket_destroy(struct pktlink_xdp_socket *s);

/** pktlink_xdp_socket_bind() - bind a socket created with no_bind. */
int pktlink_xdp_socket_bind(struct pktlink_xdp_socket *s, char *err, size_t errlen);

/** The socket fd (for poll and XSKMAP entries). Owned by the socket. */
int pktlink_xdp_socket_fd(const struct pktlink_xdp_socket *s);

/** The rings; NULL for a ring the socket does not have. */
struct pktlink_xdp_ring *pktlink_xdp_socket_rx(struct pktlink_xdp_socket *s);
struct pktlink_xdp_ring *pktlink_xdp_socket_tx(struct pktlink_xdp_socket *s);
struct pktlink_xdp_ring *pktlink_xdp_socket_fill(struct pktlink_xdp_socket *s);
struct pktlink_xdp_ring *pktlink_xdp_socket_comp(struct pktlink_xdp_socket *s);

/** Whether zero-copy engaged (XDP_OPTIONS), read at bind. */
bool pktlink_xdp_socket_zerocopy(const struct pktlink_xdp_socket *s);

/**
 * pktlink_xdp_socket_refill() - post free receive frames to the FILL ring
 * this socket uses (fill-all helper). RX thread. Return: frames posted.
 */
uint32_t pktlink_xdp_socket_refill(struct pktlink_xdp_socket *s);

/**
 * pktlink_xdp_socket_reap() - move completed transmit frames from the
 * COMPLETION ring back to the free transmit pool. TX thread.
 * Return: frames reaped.
 */
uint32_t pktlink_xdp_socket_reap(struct pktlink_xdp_socket *s);

/**
 * pktlink_xdp_socket_kick() - make the kernel process the TX ring when it
 * has to be told: always in copy mode or without need_wakeup, on the
 * need_wakeup flag otherwise. EAGAIN/EBUSY/ENOBUFS/ENETDOWN mean "try
 * again later" and return 0 (the next call retries). TX thread.
 * Return: 0, or a negative errno the kernel gave for good.
 */
int pktlink_xdp_socket_kick(struct pktlink_xdp_socket *s);

/** struct pktlink_xdp_sock_stats - XDP_STATISTICS (fields the kernel lacks stay 0). */
struct pktlink_xdp_sock_stats {
	uint64_t rx_dropped; /* dropped for other reasons (no room in the frame, ...) */
	uint64_t rx_invalid_descs; /* invalid FILL addresses */
	uint64_t tx_invalid_descs; /* invalid TX descriptors */
	uint64_t rx_ring_full; /* RX ring full */
	uint64_t rx_fill_ring_empty_descs; /* FILL was empty */
	uint64_t tx_ring_empty_descs; /* TX was empty on a kick */
};

/** pktlink_xdp_socket_stats() - read XDP_STATISTICS. Return: 0 or a negative errno. */
int pktlink_xdp_socket_stats(const struct pktlink_xdp_socket *s,
			     struct pktlink_xdp_sock_stats *st);

/* ------------------------------------------------------------------------ */
/* The endpoint                                                              */

enum pktlink_xdp_mode {
	PKTLINK_XDP_MODE_AUTO = 0, /* driver mode, else generic */
	PKTLINK_XDP_MODE_DRV = 1,
	PKTLINK_XDP_MODE_SKB = 2,
};

/* How pktlink attaches its XDP program. */
enum pktlink_xdp_attach {
	/* Join libxdp's multi-program dispatcher when one is already on the
	 * device; else directly with libbpf through a bpf_link, which the
	 * kernel detaches when the owner exits, even when killed. A pktlink
	 * program left attached over netlink by a process that is gone
	 * (libxdp's single-program fallback, an older pktlink) is replaced. */
	PKTLINK_XDP_ATTACH_AUTO = 0,
	/* Always through libxdp, so later libxdp programs can share the device
	 * (libxdp may itself fall back to a single program, attached over
	 * netlink: that one outlives a killed owner until the next open). */
	PKTLINK_XDP_ATTACH_LIBXDP = 1,
	/* Always directly: a bpf_link (over netlink before Linux 5.9, replacing
	 * nothing). One program per device. */
	PKTLINK_XDP_ATTACH_LIBBPF = 2,
};

/**
 * struct pktlink_xdp_opts - options of pktlink_xdp_open(). Zero-initialise,
 * set sz, fill in; zero fields take the documented defaults.
 */
struct pktlink_xdp_opts {
	size_t sz; /* sizeof(struct pktlink_xdp_opts) */
	const char *ifname; /* required */
	uint32_t queue; /* first queue; default 0 */
	uint32_t num_queues; /* queues from @queue on, one socket + UMEM each; 0 = 1 */
	bool all_queues; /* every RX queue of the device (overrides num_queues; queue must be 0) */
	enum pktlink_xdp_mode mode;
	enum pktlink_xdp_zc zerocopy;
	uint32_t frames; /* per queue; default 4096 (half RX, half TX) */
	uint32_t frame_size; /* default 2048 */
	uint32_t headroom; /* default 0 */
	/* RX and TX ring sizes, powers of two 64..32768; default: frames / 2
	 * rounded up to a power of two (so the RX ring can hold every RX frame) */
	uint32_t rx_size, tx_size;
	bool unaligned;
	bool hugepages;
	bool no_need_wakeup;
	bool debug; /* PKTLINK_XDP_UMEM_DEBUG; leaks reported on stderr at close */
	/* Multi-buffer (XDP_USE_SG, an xdp.frags program): frames larger than
	 * one chunk (jumbo MTU) arrive as chains of descriptors and are copied
	 * into a contiguous bounce buffer per frame for the view (frames that
	 * fit one chunk stay zero-copy views); on transmit, frames larger than
	 * a chunk are cut into up to PKTLINK_XDP_MAX_FRAGS chunks. tx_alloc()
	 * buffers stay one chunk: with an MTU larger than a chunk the endpoint
	 * drops PKTLINK_CAP_TX_ALLOC. */
	bool sg;
	uint32_t busy_poll_usec, busy_poll_budget;
	/* Use the XSKMAP of an XDP program the caller attached (the socket of
	 * queue q goes in at key q) instead of loading pktlink's program.
	 * xskmap_fd >= 0 (not closed by pktlink), or xskmap_pin: a pinned path. */
	bool has_xskmap_fd;
	int xskmap_fd;
	const char *xskmap_pin;
	/* Shared UMEM: use the UMEM of this (single-queue) xdp endpoint instead
	 * of a new one (XDP_SHARED_UMEM; on another device or queue with a
	 * FILL/COMPLETION pair of its own). Frames received on either endpoint
	 * can then be sent on the other without a copy (pktlink_xdp_forward()).
	 * Endpoints sharing a UMEM share its frame pool: drive all of them from
	 * one thread (a run-to-completion forwarder). Either may be closed
	 * first; the UMEM goes with the last. */
	struct pktlink_ep *share_umem;
	/* NewFromSocket: an AF_XDP socket created (and maybe restricted with
	 * SO_BINDTODEVICE) by a privileged process and handed in; used for the
	 * single queue instead of socket(), not closed by pktlink. Usually
	 * combined with xskmap (the privileged side attached the program).
	 * The kernel cannot undo XDP_UMEM_REG or ring sizes on a socket: after
	 * a failed open the socket is spent — close it, hand in a fresh one. */
	bool has_sock_fd;
	int sock_fd;
	enum pktlink_xdp_attach attach;
	/* While frames flow (the last poll() found some within 100 us), a
	 * wait naps 20 us on a timer instead of sleeping in poll(): the
	 * kernel then pays no wake-up per batch on the CPU that delivers the
	 * frames, and the next batch is waiting when the nap ends. Costs up to
	 * a nap (plus the timer slack, 50 us by default) of latency while busy;
	 * an idle queue is back to poll() after one empty nap. no_nap: always
	 * poll() (spec nap=0). */
	bool no_nap;
};
#define pktlink_xdp_opts__last_field no_nap /* the last field: update it when adding one */

/**
 * pktlink_xdp_open() - open an AF_XDP endpoint. See the file comment for
 * the setup order. Fails when the device's MTU does not fit a frame
 * (frame_size - 256 - headroom - 14), naming the usable MTU.
 * Return: 0, or a negative errno with a reason in err.
 */
int pktlink_xdp_open(const struct pktlink_xdp_opts *opts, struct pktlink_ep **epp, char *err,
		     size_t errlen);

/** struct pktlink_xdp_status - what engaged at open. */
struct pktlink_xdp_status {
	enum pktlink_xdp_mode mode; /* DRV or SKB: the attach mode in effect */
	bool zerocopy; /* all sockets bound zero-copy */
	bool own_program; /* pktlink loaded and attached its program */
	bool dispatcher; /* attached through libxdp's multi-program dispatcher */
	uint32_t first_queue, num_queues; /* queues bound */
	uint32_t device_queues; /* RX queues the device has */
	uint32_t usable_mtu; /* largest MTU a frame can carry */
	uint32_t frame_size, frames_per_queue;
	int ifindex;
};

/** pktlink_xdp_get_status() - fill st. -EINVAL if ep is not an xdp endpoint. */
int pktlink_xdp_get_status(const struct pktlink_ep *ep, struct pktlink_xdp_status *st);

/** pktlink_xdp_get_sock_stats() - XDP_STATISTICS summed over all queues. */
int pktlink_xdp_get_sock_stats(const struct pktlink_ep *ep, struct pktlink_xdp_sock_stats *st);

/** pktlink_xdp_get_socket() - the control block of queue q (for inspection). */
struct pktlink_xdp_socket *pktlink_xdp_get_socket(const struct pktlink_ep *ep, unsigned q);

/**
 * pktlink_xdp_forward() - send received views out of tx_ep and consume
 * them. Views whose frames are in tx_ep's UMEM (the same endpoint, or one
 * sharing its UMEM) go to the TX ring as they are: no copy; the frame
 * returns to the receive pool when the kernel completes it. Others are
 * copied (as pktlink_tx_burst() would) and released.
 *
 * @rx_ep:  the endpoint the views came from (pktlink_rx_burst()).
 * @tx_ep:  the xdp endpoint to send on (may be rx_ep).
 * Consumed views must not be released; the ones not consumed (TX ring
 * full) stay the caller's: forward them later or release them.
 * Threading: the RX thread of rx_ep, which must also be the TX thread of
 * tx_ep (run to completion). Frames larger than a chunk (sg) are refused.
 *
 * Return: views consumed (0 when the TX ring is full), or a negative errno
 * (-EINVAL if either endpoint is not an xdp endpoint, the peer-gone reason).
 */
int pktlink_xdp_forward(struct pktlink_ep *rx_ep, struct pktlink_ep *tx_ep,
			struct pktlink_pkt *pkts, unsigned n);

/** pktlink_xdp_get_umem() - the UMEM of queue q (census, errors). */
struct pktlink_xdp_umem *pktlink_xdp_get_umem(const struct pktlink_ep *ep, unsigned q);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_XDP_H */
