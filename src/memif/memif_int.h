/* SPDX-License-Identifier: MIT */
/*
 * memif_int.h — the memif family's internal types, shared by its files:
 * msg.c (control messages), sock.c (sockets and handshakes), region.c
 * (regions and rings), rx.c, tx.c and memif_ep.c (the endpoint).
 *
 * Roles: the client owns the memory (one memfd region with every ring and
 * buffer) and the eventfds; it sends them to the server. Ring directions:
 * C2S (client to server) and S2C; queue pair q is C2S ring q + S2C ring q.
 *
 * Private to the library.
 */
#ifndef PL_MEMIF_INT_H
#define PL_MEMIF_INT_H

#include "proto.h"

#include "core/endpoint.h"
#include "core/tx_prep.h"

#include <pktlink/memif.h>
#include <stdbool.h>
#include <stdint.h>

#define PL_MEMIF_MAX_REGIONS 16u
#define PL_MEMIF_MAX_SEGS 64u /* descriptors of one frame we accept */
#define PL_MEMIF_GSO_MAX 65536u /* largest super-packet pktlink segments on transmit */
#define PL_MEMIF_NBOUNCE 32u /* chained frames held at once per RX queue (<= 32: a bit each) */
#define PL_MEMIF_WAIT_CAP_MS 10 /* longest sleep: peers do not fence before reading flags */

struct pl_memif_region {
	uint8_t *base; /* NULL when not mapped */
	uint64_t size; /* mapped bytes */
	int fd;
};

/* What the handshake produced: everything the data path needs. */
struct pl_memif_conn {
	int sock; /* control socket, -1 when none */
	unsigned nregions;
	struct pl_memif_region regions[PL_MEMIF_MAX_REGIONS];
	unsigned nrings[2]; /* [0] = C2S, [1] = S2C */
	struct pl_memif_ring_cfg {
		uint16_t region;
		uint32_t offset;
		uint8_t log2;
		int efd;
	} rings[2][PL_MAX_QUEUES];
	uint32_t buffer_size; /* client: our buffers */
	/* client: from one buffer to the next (buffer_size padded to an odd
	 * number of cache lines: the first lines of consecutive buffers then
	 * fall in different cache sets, where a power-of-two stride puts a
	 * ring's worth of them in a few sets and evicts them from L2) */
	uint32_t buf_stride;
	uint64_t buf_offset; /* client: first buffer in region 0 */
	/* client: the lend pool (pktlink_tx_alloc()), after the ring buffers in
	 * region 0: npool buffers of pool_bsize bytes, each a whole frame */
	uint64_t pool_offset;
	uint32_t pool_bsize, npool;
	char peer_name[MEMIF_NAME_SZ + 1]; /* hello/init name */
	char peer_if_name[MEMIF_NAME_SZ + 1]; /* connect/connected name */
};

/* A validated control message (msg.c). */
struct pl_memif_msg {
	unsigned type;
	union {
		struct {
			char name[MEMIF_NAME_SZ + 1];
			uint16_t min_version, max_version, max_region, max_c2s, max_s2c;
			uint8_t max_log2;
		} hello;
		struct {
			uint32_t id;
			uint8_t mode;
			uint8_t secret[MEMIF_SECRET_SZ + 1];
			char name[MEMIF_NAME_SZ + 1];
		} init;
		struct {
			uint16_t index;
			uint64_t size;
		} region;
		struct {
			bool c2s;
			uint16_t index, region;
			uint32_t offset;
			uint8_t log2;
		} ring;
		struct {
			char if_name[MEMIF_NAME_SZ + 1];
		} connect;
		struct {
			uint32_t code;
			char string[MEMIF_DISC_SZ + 1];
		} disconnect;
	};
};

/**
 * pl_memif_msg_parse() - check a received control message and copy its
 * fields out (strings NUL-terminated, everything read once).
 * @buf/@len: the bytes received; @has_fd: whether a descriptor came with it.
 * Return: 0, or -EPROTO with a reason in @why (a static string).
 */
int pl_memif_msg_parse(const void *buf, size_t len, bool has_fd, struct pl_memif_msg *m,
		       const char **why);

/** pl_memif_msg_send() - send a 128-byte message with an optional descriptor (fd >= 0). */
int pl_memif_msg_send(int sock, const struct memif_msg *msg, int fd);

/**
 * pl_memif_msg_recv() - receive one message within @timeout_ms (-1: none),
 * with at most one passed descriptor (*fd, else -1; extra ones are closed).
 * Return: bytes received (0 at EOF), -ETIMEDOUT, or a negative errno.
 */
int pl_memif_msg_recv(int sock, void *buf, size_t cap, int *fd, int timeout_ms);

/** pl_memif_send_disconnect() - best-effort DISCONNECT with a reason. */
void pl_memif_send_disconnect(int sock, const char *reason);

/* sock.c: the handshakes. Both return 0 or a negative errno with err filled. */
int pl_memif_client_connect(const struct pktlink_memif_opts *o, struct pl_memif_conn *c,
			    char *err, size_t errlen);
int pl_memif_server_accept(const struct pktlink_memif_opts *o, struct pl_memif_conn *c,
			   char *err, size_t errlen);

/* region.c */
/** pl_memif_client_regions() - create region 0 (rings + buffers) and the eventfds. */
int pl_memif_client_regions(const struct pktlink_memif_opts *o, unsigned nq,
			    struct pl_memif_conn *c, char *err, size_t errlen);
/** pl_memif_map_regions() - server: map every received region (size checked by fstat),
 * refusing regions not sealed against shrinking unless @allow_unsealed. */
int pl_memif_map_regions(struct pl_memif_conn *c, bool allow_unsealed, char *err, size_t errlen);
/** pl_memif_ring_ptr() - the ring of a config inside the regions, bounds and cookie checked. */
uint8_t *pl_memif_ring_ptr(const struct pl_memif_conn *c, const struct pl_memif_ring_cfg *r,
			   char *err, size_t errlen);
/** pl_memif_conn_init() - an empty conn: every descriptor -1. */
void pl_memif_conn_init(struct pl_memif_conn *c);
/** pl_memif_conn_free() - close and unmap everything in @c; safe on a zeroed/partial conn. */
void pl_memif_conn_free(struct pl_memif_conn *c);

/* ------------------------------------------------------------------------ */
/* The descriptor walk (rx.c), separate from the endpoint so it can be fuzzed. */

struct pl_memif_seg {
	uint8_t *ptr;
	uint32_t len;
};

/* Where a ring's buffers live. */
struct pl_memif_view {
	uint8_t *ring; /* ring base */
	uint16_t mask;
	/* server (peer's buffers): regions from the descriptors */
	const struct pl_memif_region *regions;
	unsigned nregions;
	/* client (our buffers): slot i is own_size bytes at own_base + i *
	 * own_stride (0: own_size) */
	uint8_t *own_base;
	uint32_t own_size, own_stride;
	uint32_t max_frame;
};

enum { PL_MEMIF_WALK_OK = 1, PL_MEMIF_WALK_WAIT = 0, PL_MEMIF_WALK_DROP = 2 };

/**
 * pl_memif_walk() - read the frame starting at ring position @pos, with
 * @avail published slots, every descriptor field read once and checked in
 * 64-bit arithmetic. Fills @segs (up to PL_MEMIF_MAX_SEGS), *@nslots, *@total.
 * Return: PL_MEMIF_WALK_OK, PL_MEMIF_WALK_DROP (a frame to consume and count
 * as invalid: too long, too many segments, empty), PL_MEMIF_WALK_WAIT (the
 * chain is not fully published yet), or -EPROTO with @why (out-of-bounds
 * buffer: the peer must be disconnected).
 */
int pl_memif_walk(const struct pl_memif_view *v, uint16_t pos, uint32_t avail,
		  struct pl_memif_seg *segs, unsigned *nsegs, uint32_t *nslots, uint64_t *total,
		  const char **why);

/* ------------------------------------------------------------------------ */
/* The endpoint */

struct pl_memif_rxq {
	struct pl_memif_view v;
	int efd; /* the ring's eventfd (borrowed from conn) */
	int pollfd; /* owned epoll: efd + control socket (pktlink_queue_fd) */
	uint16_t seen; /* ring position received up to */
	uint16_t rel; /* released prefix */
	uint16_t prod; /* the peer's producer index as last read (validated) */
	uint16_t size;
	uint16_t posted; /* client: slots before this are posted (head = posted + size) */
	uint16_t post_batch; /* client: released slots posted together (a quarter ring) */
	uint16_t ndone; /* slots marked in done[] */
	bool armed; /* interrupts requested (MASK_INT clear) */
	bool drained;
	unsigned empty_polls;
	struct pl_spin_pace pace; /* the pre-sleep spin's looks (core/endpoint.h) */
	/* per slot in [rel, seen): 1 once it needs no release (a view released
	 * out of order, a dropped or copied frame); 0 while a view holds it.
	 * Views released in order move rel without touching it. */
	uint8_t *done;
	uint8_t *bounce; /* PL_MEMIF_NBOUNCE x max_frame */
	uint32_t bounce_free[PL_MEMIF_NBOUNCE], nbounce;
	uint32_t bounce_out; /* bit b: a view holds bounce buffer b (a release twice is ignored) */
	struct pl_memif_seg segs[PL_MEMIF_MAX_SEGS];
} __attribute__((aligned(PL_CACHELINE)));

struct pl_memif_txq {
	uint8_t *ring;
	uint16_t mask, size;
	int efd;
	uint16_t pos; /* client: our head; server: our tail */
	uint16_t peer; /* last validated peer index (client: tail; server: head) */
	uint8_t *own_base; /* client: our buffers for this ring */
	uint32_t own_off; /* client: their offset in region 0 */
	uint32_t own_size, own_stride; /* client: as conn.buffer_size, conn.buf_stride */
	/* client: the pool buffer a published slot carries (PL_MEMIF_NOBUF: a
	 * ring buffer), returned to the pool once the server's tail has passed
	 * it, when tx_alloc runs short (pl_memif_cli_reap()) */
	uint32_t *slot_buf;
	uint32_t inflight; /* pool buffers on this ring */
	/* server: slots [pos, lend_end) are the lend window: posted buffers
	 * handed out by tx_alloc (lent: an odd tag) or given back (even),
	 * published in ring order; the rest of [pos, head) is untouched */
	uint16_t lend_end;
	uint16_t nlent; /* lent slots in the window */
	struct pl_memif_lend *w; /* per slot */
} __attribute__((aligned(PL_CACHELINE)));

/* A lend tag (txbuf.c): odd while the buffer is lent, incremented when it
 * is lent and again when it is sent or given back; the handle carries the
 * odd value, so one compare checks both the state and the generation. */
static inline bool pl_memif_tag_lent(uint32_t tag)
{
	return tag & 1u;
}

/* Server: a lent slot's tag and the buffer it lent, side by side (one
 * line for both checks of a handle). */
struct pl_memif_lend {
	uint8_t *ptr;
	uint32_t tag;
};

#define PL_MEMIF_NOBUF UINT32_MAX

struct pl_memif_ep {
	struct pktlink_ep ep; /* first: the core casts */
	struct pl_memif_conn conn;
	enum pktlink_memif_role role;
	bool busy_poll;
	uint32_t max_frame;
	unsigned nq;
	struct pl_memif_rxq *rxq; /* [nq] */
	struct pl_memif_txq *txq; /* [ntx] */
	unsigned ntx;
	int left; /* atomic: the peer disconnected or hung up (the reason), frames may remain */
	unsigned tx_zero; /* TX thread: bursts in a row that took nothing */
	bool bye_sent; /* a DISCONNECT went out already */
	int ctrl_busy; /* atomic: one thread reads the control socket at a time */
	struct pl_tx_caps tc; /* the core TX step's caps: no offloads below (core/tx_prep.h) */
	/* client: the lend pool (region 0 at conn.pool_offset); TX thread */
	uint8_t *pool_base;
	/* free buffers, a FIFO (pool_free[pool_head..], npool_free of them):
	 * the buffer reused is the one the server consumed longest ago, whose
	 * lines its receive side is least likely to still hold */
	uint32_t *pool_free, npool_free, pool_head;
	uint32_t *pool_tag; /* per buffer: its lend tag (odd: lent) */
	uint8_t *tx_scratch; /* max_frame: checksums completed, segments cut (tc) */
};

static inline struct pl_memif_ep *to_memif(struct pktlink_ep *ep)
{
	return (struct pl_memif_ep *)ep;
}

/* Shared-memory ring fields: read once, with the ordering the protocol needs. */
static inline uint16_t *memif_u16(uint8_t *ring, unsigned off)
{
	return (uint16_t *)(void *)(ring + off);
}
static inline struct memif_desc *memif_desc_at(uint8_t *ring, uint16_t slot)
{
	return (struct memif_desc *)(void *)(ring + MEMIF_RING_DESC + (uint64_t)slot * 16u);
}

/* The first 8 bytes of a descriptor (flags, region, length) in one access:
 * a peer's descriptor read once, ours written in one pass. */
static inline uint64_t memif_desc_word(const struct memif_desc *d)
{
	return __atomic_load_n((const uint64_t *)(const void *)d, __ATOMIC_RELAXED);
}

/* Descriptors per cache line: the ring's descriptors start on a line
 * (MEMIF_RING_DESC) and are 16 bytes each. */
#define MEMIF_DESCS_PER_LINE 4u

/*
 * A receiver that only reads the peer's descriptors leaves their lines
 * shared between the two CPUs, and the sender's next store into each then
 * waits for an upgrade; measured on this project's machine (2-CPU AMD EPYC
 * VM), that halved memif/c2s against s2c, whose receiver rewrites its
 * descriptors when it posts them again. Storing back, once per line, the
 * word just read moves the line to the receiver, and the sender's store
 * becomes a plain miss, which costs it less (why is not measured: this VM
 * has no hardware counters): memif/c2s 80-97 -> 170-196 Mpps
 * (bench/README.md, "Receivers store into the lines they read"). The value is the
 * one read, into a slot the receiver owns until it moves its consumer
 * index (a store the peer cannot see as a change, and that happens before
 * that index's release store), so the wire format is untouched. @w is the
 * word memif_desc_word() returned for @d.
 */
static inline void memif_desc_touch(struct memif_desc *d, uint64_t w)
{
	__atomic_store_n((uint64_t *)(void *)d, w, __ATOMIC_RELAXED);
}

/* The word memif_desc_word() reads, from its fields. */
static inline uint64_t memif_desc_make(uint16_t flags, uint16_t region, uint32_t length)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)flags | (uint64_t)region << 16 | (uint64_t)length << 32;
#else
	return (uint64_t)flags << 48 | (uint64_t)region << 32 | length;
#endif
}

/* The fields of a memif_desc_word(). */
static inline void memif_desc_split(uint64_t w, uint16_t *flags, uint16_t *region, uint32_t *length)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*flags = (uint16_t)w;
	*region = (uint16_t)(w >> 16);
	*length = (uint32_t)(w >> 32);
#else
	*flags = (uint16_t)(w >> 48);
	*region = (uint16_t)(w >> 32);
	*length = (uint32_t)w;
#endif
}

/* memif_ep.c: the peer violated the protocol: tell it why, disconnect, report. */
int pl_memif_violation(struct pl_memif_ep *e, const char *why);
/* memif_ep.c: look at the control socket; 0 while the peer is there, else the reason it
 * left (stored in e->left; the caller reports it once its ring is drained) or the death. */
int pl_memif_ctrl_check(struct pl_memif_ep *e, uint64_t *sys);

/* rx.c / tx.c ops */
int pl_memif_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n);
void pl_memif_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
int pl_memif_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms);
int pl_memif_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);

/* tx.c / txbuf.c: putting one frame on a TX ring (TX thread). */
enum {
	PL_MEMIF_PUT_FULL = 0, /* no room now: the frame stays the caller's */
	PL_MEMIF_PUT_OK = 1, /* on the ring (published with the burst) */
	PL_MEMIF_PUT_LOST = 2, /* taken, could not go out (counted in tx_errors by the caller) */
	PL_MEMIF_PUT_DROPPED = 3, /* taken, refused and counted */
};
/* tx.c: the client's view of the server's tail (validated, lent buffers
 * behind it reaped); returns the free slots or a violation's errno. */
int pl_memif_cli_tail(struct pl_memif_ep *e, struct pl_memif_txq *t);
/* tx.c: the posted S2C buffer of a slot, its descriptor read once and
 * checked; 0, or the violation's errno (the peer was disconnected). */
int pl_memif_posted(struct pl_memif_ep *e, const struct pl_memif_txq *t, uint16_t slot,
		    struct pl_memif_seg *seg);
/* tx.c: server copy of len bytes into the next posted S2C buffers that are not lent. */
int pl_memif_server_put(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t *avail,
			const uint8_t *src, uint32_t len);
/* txbuf.c */
void pl_memif_cli_reap(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t tail);
/* txbuf.c: up to m lent buffers of one ring that go out as they are
 * (plain, valid handle; server: each in its own slot, the next one), from
 * pkts[0]; stops at the first other frame, which tx_one() takes.
 * Client: m <= the free slots; server: m <= the posted slots, ring q.
 * Return: frames taken; their bytes added to *bytesp. */
unsigned pl_memif_cli_lent_run(struct pl_memif_ep *e, struct pl_memif_txq *t,
			       const struct pktlink_pkt *pkts, unsigned m, uint64_t *bytesp);
unsigned pl_memif_srv_lent_run(struct pl_memif_ep *e, struct pl_memif_txq *t, unsigned q,
			       const struct pktlink_pkt *pkts, unsigned m, uint64_t *bytesp);
int pl_memif_cli_put_lent(struct pl_memif_ep *e, struct pl_memif_txq *t, uint32_t *room,
			  struct pktlink_pkt *p);
int pl_memif_srv_put_lent(struct pl_memif_ep *e, struct pl_memif_txq *t, uint16_t *avail,
			  struct pktlink_pkt *p);
int pl_memif_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
void pl_memif_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);

#endif /* PL_MEMIF_INT_H */
