/* SPDX-License-Identifier: MIT */
/*
 * endpoint.h — what a family implements to become a pktlink endpoint.
 *
 * A family embeds struct pktlink_ep as the FIRST member of its own endpoint
 * struct, fills a struct pl_ep_ops, and calls pl_ep_init() early in its open
 * function. Core then provides the public API (src/core/endpoint.c), the
 * dispatcher threads (src/core/dispatch.c), stats aggregation, the closed
 * callback and error details.
 *
 * Private to the library: not installed.
 */
#ifndef PL_CORE_ENDPOINT_H
#define PL_CORE_ENDPOINT_H

#include "core/rx_policy.h"

#include <pktlink/pktlink.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define PL_ERRMSG_LEN 256
#define PL_MAX_QUEUES 256

#define PL_CACHELINE 64

#ifndef PL_LIKELY
#define PL_LIKELY(x) __builtin_expect(!!(x), 1)
#define PL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

/* pl_mono_ns() - CLOCK_MONOTONIC in ns (vDSO, no system call). */
static inline uint64_t pl_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void pl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * pl_spin_until() - watch ready(ctx) for up to @ns nanoseconds, @gap_ns
 * apart (pl_spin_pace_begin()), with a CPU pause between looks. For waiters
 * that spin briefly before they sleep. With no gap the clock is read every
 * 64 looks (it costs as much as a look); with one, at every pause. Return
 * true as soon as ready() is.
 */
static inline bool pl_spin_until(bool (*ready)(void *ctx), void *ctx, uint64_t ns, uint32_t gap_ns)
{
	uint64_t now = pl_mono_ns(), end = now + ns;
	if (!gap_ns) {
		for (unsigned i = 1;; i++) {
			if (ready(ctx))
				return true;
			if (i % 64 == 0 && pl_mono_ns() > end)
				return false;
			pl_cpu_relax();
		}
	}
	for (uint64_t next = now + gap_ns;;) {
		pl_cpu_relax();
		now = pl_mono_ns();
		if (now >= next) {
			if (ready(ctx))
				return true;
			next = now + gap_ns;
		}
		if (now > end)
			return false;
	}
}

#define pl_container_of(ptr, type, member) ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/*
 * Counters written by exactly one thread (the queue's RX thread, or the TX
 * thread) and read by any: single-writer, so a relaxed load+store is enough
 * and keeps the hot path free of locked instructions; atomics keep readers
 * tear-free and TSan quiet.
 */
static inline void pl_stat_add(uint64_t *ctr, uint64_t v)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline uint64_t pl_stat_read(const uint64_t *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

/*
 * Who counts what. Families whose ops set core_counts count only drop
 * reasons and system calls; core counts packets and bytes once per burst in
 * the public wrappers (pl_ep_rx_burst(), pktlink_tx_burst()):
 *   RX: the views returned, and their bytes;
 *   TX: the caller's frames taken and handed on — taken minus the ones the
 *       family counted in drop_invalid (with pl_tx_invalid(), which also
 *       records their bytes so core can leave them out). A super-packet
 *       counts once, whatever number of segments it became; a frame the
 *       kernel or peer refused after it was handed on is in tx_errors too.
 * So every frame offered is either in tx_packets or in tx_drop_invalid (or
 * was not taken). Families without core_counts count everything themselves.
 */

/* Per-RX-queue counters; written only by that queue's RX thread. */
struct pl_rx_counters {
	uint64_t packets, bytes;
	uint64_t drop_filter, drop_invalid, drop_nobuf;
	uint64_t syscalls;
} __attribute__((aligned(PL_CACHELINE)));

/* TX counters; written only by the TX thread. */
struct pl_tx_counters {
	uint64_t packets, bytes;
	uint64_t drop_invalid, errors;
	uint64_t syscalls;
	uint64_t drop_invalid_bytes; /* bytes of the drop_invalid frames (not public) */
} __attribute__((aligned(PL_CACHELINE)));

/* Count n transmit frames of bytes bytes in all as never sendable. TX thread. */
static inline void pl_tx_invalid(struct pl_tx_counters *c, uint64_t n, uint64_t bytes)
{
	pl_stat_add(&c->drop_invalid, n);
	pl_stat_add(&c->drop_invalid_bytes, bytes);
}

/*
 * Pacing of a pre-sleep spin (shm and memif receivers).
 *
 * Every look at the ring reads a cache line that the sender writes at its
 * next publish, and that store then waits for the line to come back: a
 * whole cross-CPU round trip, which the sender's publish (a seq_cst store,
 * the wake-up protocol's half) cannot hide. A receiver that is faster than
 * its sender spins right behind it and looks many times between two
 * publishes, so the sender pays that round trip at every burst. With the
 * two CPUs ~500 ns apart that capped a sender of 32-frame bursts near
 * 60 Mpps (bench/README.md, "Spin pacing").
 *
 * So the gap between looks adapts to what a look finds. A look that finds
 * a batch (PL_SPIN_BATCH frames or more: the sender streams) doubles the
 * gap, up to PL_SPIN_GAP_MAX_NS; the ring holds the frames meanwhile. A
 * look that finds less, a spin that runs out, or a ring found more than
 * half full (we look too late) goes back to no gap.
 *
 * Only a one-way stream is paced. A receiver that sends on the endpoint may
 * be waiting for an answer (a request, a window of frames, TCP's ACKs),
 * where latency is the point: looks are paced only once PL_SPIN_STREAM
 * frames came in since the endpoint last sent anything, and the first
 * send ends that.
 */
#define PL_SPIN_BATCH 8u
#define PL_SPIN_STREAM 256u
#define PL_SPIN_GAP_MIN_NS 64u
#define PL_SPIN_GAP_MAX_NS 2048u

struct pl_spin_pace {
	uint32_t gap; /* ns between looks */
	bool stream; /* PL_SPIN_STREAM frames in since the endpoint last sent */
	uint64_t tx_seen; /* the endpoint's TX packets at the last spin */
	uint64_t rx_mark; /* the queue's RX packets when TX last moved */
};

/**
 * pl_spin_pace_begin() - the gap (ns) for the spin about to start, from
 * the endpoint's TX counters @txc (read relaxed: any thread may send) and
 * the queue's RX counters @rxc (the caller's own). No gap unless a one-way
 * stream comes in (then pace->stream is true).
 */
static inline uint32_t pl_spin_pace_begin(struct pl_spin_pace *p, const struct pl_tx_counters *txc,
					  const struct pl_rx_counters *rxc)
{
	uint64_t tx = __atomic_load_n(&txc->packets, __ATOMIC_RELAXED);
	uint64_t rx = __atomic_load_n(&rxc->packets, __ATOMIC_RELAXED);
	if (tx != p->tx_seen) {
		p->tx_seen = tx;
		p->rx_mark = rx;
	}
	p->stream = rx - p->rx_mark >= PL_SPIN_STREAM;
	if (!p->stream)
		p->gap = 0;
	return p->gap;
}

/**
 * pl_spin_pace_end() - after a spin in a stream (pace->stream) whose
 * successful look found @found frames (0: it ran out) of a ring that
 * holds @cap: the next spin's gap. Callers skip it outside a stream.
 */
static inline void pl_spin_pace_end(struct pl_spin_pace *p, unsigned found, unsigned cap)
{
	uint32_t gap = p->gap;
	if (found < PL_SPIN_BATCH)
		gap = 0;
	else if (found > cap / 2)
		gap = gap / 2 < PL_SPIN_GAP_MIN_NS ? 0 : gap / 2;
	else if (!gap)
		gap = PL_SPIN_GAP_MIN_NS;
	else
		gap = gap * 2 > PL_SPIN_GAP_MAX_NS ? PL_SPIN_GAP_MAX_NS : gap * 2;
	p->gap = gap;
}

struct pl_dispatcher;

struct pl_ep_ops {
	const char *family;
	/* Core counts packets and bytes (see "Who counts what" above); the
	 * family counts only drop reasons and system calls. */
	bool core_counts;

	/* Receive up to n frames from queue q without blocking. Return the
	 * count, 0, or a negative errno. A family that detects its peer is gone
	 * calls pl_ep_peer_gone() and returns that reason. Required. */
	int (*rx_burst)(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n);
	/* Give back views from rx_burst. Required. */
	void (*rx_release)(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
	/* Send up to n frames; the contract of pktlink_tx_burst(). Required. */
	int (*tx_burst)(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
	/* Optional (PKTLINK_CAP_TX_ALLOC). */
	int (*tx_alloc)(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
	void (*tx_free)(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
	/* The pollable fd of queue q. Required. */
	int (*queue_fd)(const struct pktlink_ep *ep, unsigned q);
	/* Optional: block until queue q may have frames, stop_fd is readable,
	 * or timeout_ms passes. Families with their own wake-up protocol
	 * (shared-memory notification words) implement this; the default polls
	 * queue_fd and stop_fd. Return > 0 when the queue may be ready (or
	 * stop_fd fired), 0 on timeout (or a wake-up with nothing to report),
	 * or a negative errno (the peer-gone reason). */
	int (*rx_wait)(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms);
	/* Optional: apply a new link address (the core already stored it in
	 * info.link_addr before calling). */
	int (*set_link_addr)(struct pktlink_ep *ep, const uint8_t addr[6]);
	/* Optional: add counters kept outside pktlink (kernel, peer) to st. */
	int (*read_stats)(struct pktlink_ep *ep, struct pktlink_stats *st);
	/* Free everything the family owns, then the endpoint memory itself.
	 * Called once, with workers already joined; must handle a half-built
	 * endpoint (whatever setup step it stopped at). Required. */
	void (*destroy)(struct pktlink_ep *ep);
};

struct pktlink_ep {
	const struct pl_ep_ops *ops;
	struct pktlink_info info;
	struct pl_rx_policy rxp; /* the receive policy (core/rx_policy.h); set by the family at open */
	struct pl_rx_counters *rxc; /* [info.num_queues] */
	struct pl_tx_counters txc;
	int epoll_fd; /* over all queue fds when num_queues > 1, else -1 */
	int wake_fd; /* eventfd that wakes the workers (stop, peer gone); from the first attach until close */
	unsigned rx_next; /* round-robin cursor of pktlink_rx_burst() */
	int dead; /* atomic: 0 while the peer is there, else the reason */
	int attached; /* atomic: a dispatcher runs (or must still be joined) */
	pktlink_closed_fn closed_fn;
	void *closed_ctx;
	struct pl_dispatcher *disp;
	/* Error details (errdetail.c): each thread keeps its own, keyed by
	 * err_id; only the peer-gone reason lives here, written once. */
	uint64_t err_id; /* unique for the life of the process */
	uint64_t err_seq; /* atomic: details recorded so far, orders them */
	uint64_t gone_seq; /* err_seq of gone_msg */
	int gone_set; /* atomic: gone_msg and gone_seq are written */
	char gone_msg[PL_ERRMSG_LEN];
};

/**
 * pl_ep_init() - prepare the core part of a freshly zeroed endpoint.
 * Sets ops, family, num_queues and allocates per-queue counters. After this
 * succeeds, pktlink_close() (which calls ops->destroy) is the one way out.
 * Return: 0 or -ENOMEM / -EINVAL.
 */
int pl_ep_init(struct pktlink_ep *ep, const struct pl_ep_ops *ops, unsigned num_queues);

/**
 * pl_ep_init_pollfd() - after the queue fds exist: build the epoll set that
 * pktlink_fd() returns when there are several queues. No-op for one queue.
 */
int pl_ep_init_pollfd(struct pktlink_ep *ep);

/** pl_ep_fini() - release what pl_ep_init*() took. For ops->destroy. Safe twice. */
void pl_ep_fini(struct pktlink_ep *ep);

/**
 * pl_ep_error() - record a readable error detail for the calling thread on
 * this endpoint (what pktlink_last_error() returns in that thread) and
 * return err (a negative errno), so callers can write
 * `return pl_ep_error(...)`. Safe from any thread: threads never share the
 * buffer. Needs pl_ep_init() first.
 */
int pl_ep_error(struct pktlink_ep *ep, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** pl_ep_error_clear() - forget the calling thread's detail on ep (an
 * open function that recovered from a failed attempt). */
void pl_ep_error_clear(struct pktlink_ep *ep);

/** pl_ep_error_init() - give ep its error-detail id (from pl_ep_init()). */
void pl_ep_error_init(struct pktlink_ep *ep);

/**
 * pl_ep_gone_seen() - the calling thread is about to return reason because
 * the peer is gone: drop its own older detail so that pktlink_last_error()
 * in this thread tells why the peer went away. Returns reason. Cold path.
 */
int pl_ep_gone_seen(struct pktlink_ep *ep, int reason);

/** pl_ep_error_gone() - publish why the peer went away, for every thread;
 * called once, by the winner in pl_ep_peer_gone(). */
void pl_ep_error_gone(struct pktlink_ep *ep, int reason);

/**
 * pl_err() - write a readable error into an open function's caller buffer
 * (buf may be NULL) and return err.
 */
int pl_err(char *buf, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * pl_ep_peer_gone() - the peer went away: remember reason (negative errno),
 * run the closed callback exactly once (from whichever thread got here
 * first), and make later bursts fail with reason. Returns reason.
 */
int pl_ep_peer_gone(struct pktlink_ep *ep, int reason);

static inline int pl_ep_dead(const struct pktlink_ep *ep)
{
	return __atomic_load_n(&ep->dead, __ATOMIC_ACQUIRE);
}

/**
 * pl_ep_rx_burst() - ops->rx_burst of queue q plus the core's packet and
 * byte counts (when the family has core_counts). The one way core receives:
 * pktlink_rx_burst_queue() and the dispatcher's workers. RX thread of q.
 */
static inline int pl_ep_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts,
				 unsigned n)
{
	int r = ep->ops->rx_burst(ep, q, pkts, n);
	if (ep->ops->core_counts && r > 0) {
		uint64_t bytes = 0;
		for (int i = 0; i < r; i++)
			bytes += pkts[i].len;
		struct pl_rx_counters *c = &ep->rxc[q];
		pl_stat_add(&c->packets, (uint64_t)r);
		pl_stat_add(&c->bytes, bytes);
	}
	return r;
}

/* Dispatcher internals (dispatch.c), used by endpoint.c. */
int pl_dispatch_start(struct pktlink_ep *ep, pktlink_deliver_fn fn, void *ctx,
		      const struct pktlink_attach_opts *opts);
void pl_dispatch_stop(struct pktlink_ep *ep);
void pl_dispatch_join(struct pktlink_ep *ep);

#endif /* PL_CORE_ENDPOINT_H */
