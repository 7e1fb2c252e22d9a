/* SPDX-License-Identifier: MIT */
/*
 * xsk.h — the xdp family's private view of the control block: the UMEM and
 * socket structs (opaque in include/pktlink/xdp.h) and the inline frame-pool
 * operations the endpoint's hot path uses.
 *
 * Frame pool. Every frame has a state byte (enum pktlink_xdp_frame_state).
 * The frames are split in two sides so that the RX thread and the TX thread
 * never touch the same pool: RX-side frames (home[] RX; at first frames
 * [0, rx_frames)) circulate FREE → FILL → APP_RX → FREE; TX-side frames
 * circulate FREE → APP_TX → TX → FREE (or FREE → TX → FREE for copied
 * frames). Each side has its own stack of free frame indices. A state byte
 * is written only by the thread owning its side. Exceptions, documented at
 * the API: pktlink_xdp_forward() sends RX frames (APP_RX → TX → back to
 * the RX stack on completion), and a socket sharing the UMEM with a FILL
 * ring of its own is lent TX frames at setup; both need the RX and TX work
 * on one thread. Each FILL ring takes at most fill_max frames, so one ring
 * cannot keep every RX frame from another.
 *
 * Private to the library.
 */
#ifndef PL_XDP_XSK_H
#define PL_XDP_XSK_H

#include <pktlink/xdp.h>

#include <net/if.h>

#define PL_XDP_LIKELY(x) __builtin_expect(!!(x), 1)
#define PL_XDP_UNLIKELY(x) __builtin_expect(!!(x), 0)

struct pktlink_xdp_umem {
	uint8_t *area;
	size_t len; /* mapped length (rounded up for hugepages) */
	bool huge;
	uint32_t frames, frame_size, headroom, flags;
	uint32_t rx_frames; /* frames [0, rx_frames) are the RX side */
	uint32_t shift; /* log2(frame_size) when a power of two, else 0 */
	uint8_t *state; /* [frames], enum pktlink_xdp_frame_state */
	uint8_t *home; /* [frames], PL_XDP_HOME_*: the free stack a frame returns to */
	uint32_t *rx_free, rx_top; /* free RX frames (stack of indices) */
	uint32_t *tx_free, tx_top; /* free TX frames */
	uint64_t errors; /* atomic: refused frame operations */
	int reg_fd; /* the socket the UMEM is registered on, -1 before */
	struct pktlink_xdp_socket *owner; /* that socket */
	unsigned users; /* sockets using the UMEM */
	unsigned eps; /* endpoints holding the UMEM (shared UMEM); the last one frees it */
};

/* How far socket setup got; teardown undoes the steps below the mark. */
enum pl_xsk_step {
	PL_XSK_NONE = 0,
	PL_XSK_SOCKET, /* fd exists */
	PL_XSK_REG, /* UMEM registered on it (we own the registration) */
	PL_XSK_RINGS, /* ring sizes set, offsets read */
	PL_XSK_MMAP, /* rings mapped (per ring: map != NULL) */
	PL_XSK_BOUND,
};

struct pktlink_xdp_socket {
	struct pktlink_xdp_umem *umem;
	int fd;
	bool own_fd;
	enum pl_xsk_step step;
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint32_t queue;
	struct pktlink_xdp_ring rx, tx, fill, comp; /* map == NULL: absent */
	struct pktlink_xdp_ring *fq, *cq; /* the FILL/COMP pair in use (own or owner's) */
	bool own_fc; /* fill/comp are this socket's */
	struct pktlink_xdp_socket *fq_sock; /* the socket whose FILL ring fq is */
	uint32_t fill_out; /* frames posted to our FILL and not yet received back */
	uint32_t fill_max; /* at most this many (shared UMEM: a share of the RX frames) */
	bool zc;
	bool need_wakeup; /* bound with XDP_USE_NEED_WAKEUP */
	bool busy_poll; /* the receive path drives NAPI with recvfrom() on an empty ring */
	bool busy_probe; /* busy_poll not yet checked against the socket's NAPI id */
	uint16_t bind_flags;
	struct pktlink_xdp_socket_opts o;
};

/* pktlink_xdp_umem.home[] */
enum { PL_XDP_HOME_RX = 0, PL_XDP_HOME_TX = 1 };

/*
 * A frame's state byte. Each is written by the thread owning the frame's
 * side, but a bogus or stale handle from the application can make the other
 * thread read it: relaxed atomics keep that a defined (and TSan-clean) read
 * of an old value, which the validation then refuses. Plain moves on x86
 * and arm64.
 */
static inline uint8_t pl_xdp_st(const struct pktlink_xdp_umem *u, uint32_t f)
{
	return __atomic_load_n(&u->state[f], __ATOMIC_RELAXED);
}

static inline void pl_xdp_st_set(struct pktlink_xdp_umem *u, uint32_t f, uint8_t v)
{
	__atomic_store_n(&u->state[f], v, __ATOMIC_RELAXED);
}

static inline uint32_t pl_xdp_frame_idx(const struct pktlink_xdp_umem *u, uint64_t addr)
{
	uint64_t base = addr & PKTLINK_XDP_ADDR_MASK;
	return (uint32_t)(u->shift ? base >> u->shift : base / u->frame_size);
}

/* The byte offset in the UMEM area of a descriptor address (unaligned mode
 * carries the data offset in the top 16 bits). */
static inline uint64_t pl_xdp_addr_off(uint64_t addr)
{
	return (addr & PKTLINK_XDP_ADDR_MASK) + (addr >> XSK_UNALIGNED_BUF_OFFSET_SHIFT);
}

static inline uint64_t pl_xdp_frame_base(const struct pktlink_xdp_umem *u, uint32_t idx)
{
	return (uint64_t)idx * u->frame_size;
}

static inline void pl_xdp_count_error(struct pktlink_xdp_umem *u)
{
	__atomic_fetch_add(&u->errors, 1, __ATOMIC_RELAXED);
}

/* pl_xdp_busy_probe() - once frames arrived on a busy-polling socket: a
 * socket the kernel tied to no NAPI (SO_INCOMING_NAPI_ID 0) cannot busy
 * poll, so its empty-ring recvfrom() calls are dropped. RX thread. */
void pl_xdp_busy_probe(struct pktlink_xdp_socket *s);

/* pl_xdp_kick() - pktlink_xdp_socket_kick(), adding the system calls it
 * made to *nsys (for the endpoint's tx_syscalls). TX thread. */
int pl_xdp_kick(struct pktlink_xdp_socket *s, uint32_t *nsys);

/* Error text helper shared by xsk.c and xdp_setup.c. */
int pl_xdp_errf(char *buf, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
