/* SPDX-License-Identifier: MIT */
/*
 * rx.c — memif receive: the descriptor walk, bursts, releases and waits.
 *
 * Our RX ring is S2C for a client, C2S for a server. The producer index
 * (client: the ring's tail; server: its head) says how far the peer
 * published; `seen` is how far we read, `rel` how far views were given
 * back in order. Giving back means: client — post the slots again
 * (head = posted + ring size), a quarter ring at a time (rx_publish());
 * server — tail = rel.
 *
 * Interrupts: while a receiver is awake it sets MEMIF_RING_FLAG_MASK_INT
 * so that the peer skips its eventfd write; before sleeping it clears the
 * flag and looks at the ring once more.
 */
#include "memif_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int pl_memif_walk(const struct pl_memif_view *v, uint16_t pos, uint32_t avail,
		  struct pl_memif_seg *segs, unsigned *nsegs, uint32_t *nslots, uint64_t *total,
		  const char **why)
{
	uint64_t tot = 0;
	unsigned ns = 0;
	uint32_t i = 0;
	uint32_t ring_size = (uint32_t)v->mask + 1;
	bool drop = false;
	for (;;) {
		if (i >= avail)
			return PL_MEMIF_WALK_WAIT;
		uint16_t slot = (uint16_t)((pos + i) & v->mask);
		struct memif_desc *d = memif_desc_at(v->ring, slot);
		uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_RELAXED);
		uint32_t len = __atomic_load_n(&d->length, __ATOMIC_RELAXED);
		uint8_t *p;
		if (v->own_base) {
			if (len > v->own_size) {
				*why = "descriptor length exceeds the buffer size";
				return -EPROTO;
			}
			p = v->own_base + (uint64_t)slot * (v->own_stride ? v->own_stride : v->own_size);
		} else {
			uint16_t reg = __atomic_load_n(&d->region, __ATOMIC_RELAXED);
			uint32_t off = __atomic_load_n(&d->offset, __ATOMIC_RELAXED);
			if (reg >= v->nregions || !v->regions[reg].base) {
				*why = "descriptor names an unknown region";
				return -EPROTO;
			}
			if ((uint64_t)off + len > v->regions[reg].size) {
				*why = "descriptor buffer lies outside its region";
				return -EPROTO;
			}
			p = v->regions[reg].base + off;
		}
		i++;
		tot += len;
		if (ns < PL_MEMIF_MAX_SEGS)
			segs[ns++] = (struct pl_memif_seg){ p, len };
		else
			drop = true;
		if (!(flags & MEMIF_DESC_FLAG_NEXT))
			break;
		if (i >= ring_size) {
			*why = "descriptor chain longer than the ring";
			return -EPROTO;
		}
	}
	*nslots = i;
	*total = tot;
	*nsegs = ns;
	if (drop || tot == 0 || tot > v->max_frame)
		return PL_MEMIF_WALK_DROP;
	return PL_MEMIF_WALK_OK;
}

/* The peer's producer index of our RX ring (acquire: descriptors before it are written). */
static inline uint16_t rx_prod(const struct pl_memif_ep *e, const struct pl_memif_rxq *r)
{
	unsigned off = e->role == PKTLINK_MEMIF_CLIENT ? MEMIF_RING_TAIL : MEMIF_RING_HEAD;
	/* seq_cst: after arming (a seq_cst store of the flag) this look must
	 * not move before it; on x86 and arm64 it costs what acquire does. */
	return __atomic_load_n(memif_u16(r->v.ring, off), __ATOMIC_SEQ_CST);
}

/* Client: post slots [posted, rel) again at full size (the server wrote
 * the frame length; the region is always 0, our buffers), then head. */
static void rx_post(struct pl_memif_rxq *r)
{
	const uint16_t to = r->rel;
	const uint64_t w = memif_desc_make(0, 0, r->v.own_size);
	for (uint16_t s = r->posted; s != to; s++)
		__atomic_store_n((uint64_t *)(void *)memif_desc_at(r->v.ring, s & r->v.mask), w,
				 __ATOMIC_RELAXED);
	r->posted = to;
	__atomic_store_n(memif_u16(r->v.ring, MEMIF_RING_HEAD), (uint16_t)(to + r->size),
			 __ATOMIC_RELEASE);
}

/* Give slots [from, r->rel) back to the peer: server — tail, one store
 * per call; client — post them (rx_post()) once a quarter ring is free
 * (post_batch), not at every release, and everything when it idles
 * (rx_post_idle()). The sender reads head and the ring's flags, which share a cache line, at every
 * burst, and a head store per release made that read a miss across CPUs;
 * the descriptors also go back in longer runs. memif/s2c 1.31x polling,
 * 1.09x busy polling, vCPUs far apart (bench/README.md, "Posting in
 * quarter rings"). The server always has three quarters of the ring. */
static void rx_publish(struct pl_memif_ep *e, struct pl_memif_rxq *r, uint16_t from)
{
	if (r->rel == from)
		return;
	if (e->role == PKTLINK_MEMIF_CLIENT) {
		if ((uint16_t)(r->rel - r->posted) >= r->post_batch)
			rx_post(r);
	} else {
		__atomic_store_n(memif_u16(r->v.ring, MEMIF_RING_TAIL), r->rel, __ATOMIC_RELEASE);
	}
}

/* Client: when the receiver finds the ring empty and arms its interrupt,
 * before it sleeps in pktlink_wait(), and now and then while it spins on
 * an empty ring, post what it released, so that an idle client holds back
 * no buffers the server could fill or lend. */
static void rx_post_idle(const struct pl_memif_ep *e, struct pl_memif_rxq *r)
{
	if (e->role == PKTLINK_MEMIF_CLIENT && r->posted != r->rel)
		rx_post(r);
}

/* Move rel over the slots marked done (not published: the caller does). */
static void rx_skip_done(struct pl_memif_rxq *r)
{
	while (r->ndone && r->rel != r->seen && r->done[r->rel & r->v.mask]) {
		r->done[r->rel & r->v.mask] = 0;
		r->ndone--;
		r->rel++;
	}
}

/* Slot at ring position pos needs no release any more. */
static void rx_mark_done(struct pl_memif_rxq *r, uint16_t pos)
{
	uint8_t *d = &r->done[pos & r->v.mask];
	if (!*d) {
		*d = 1;
		r->ndone++;
	}
}

static void set_mask_int(struct pl_memif_rxq *r, bool masked)
{
	__atomic_store_n(memif_u16(r->v.ring, MEMIF_RING_FLAGS),
			 (uint16_t)(masked ? MEMIF_RING_FLAG_MASK_INT : 0), __ATOMIC_SEQ_CST);
	r->armed = !masked;
	if (!masked)
		r->drained = false;
}

static void drain(struct pl_memif_rxq *r, uint64_t *sys)
{
	uint64_t v;
	pl_stat_add(sys, 1);
	ssize_t n = read(r->efd, &v, sizeof(v));
	(void)n; /* EAGAIN: nothing to drain */
	r->drained = true;
}

/* Frames published that we have not read: reads and validates the peer's
 * index (and keeps it in r->prod). */
static int rx_pending(struct pl_memif_ep *e, struct pl_memif_rxq *r, uint16_t *avail)
{
	uint16_t prod = rx_prod(e, r);
	uint16_t a = (uint16_t)(prod - r->seen);
	/* Client: the server fills only posted slots; server: at most a ring's worth. */
	uint16_t lim = e->role == PKTLINK_MEMIF_CLIENT ? (uint16_t)(r->posted + r->size - r->seen)
						       : (uint16_t)(r->size - (uint16_t)(r->seen - r->rel));
	if (a > lim)
		return pl_memif_violation(e, e->role == PKTLINK_MEMIF_CLIENT
						     ? "S2C ring tail moved past the posted buffers"
						     : "C2S ring head moved more than a ring ahead");
	r->prod = prod;
	*avail = a;
	return 0;
}

/*
 * A view's handle (priv): bit 0 set, the ring position in bits 8-23, the
 * queue from bit 40 — so that release checks "the next view of this queue
 * in ring order" with one compare. A copied frame's handle: bounce buffer
 * + 1 from bit 32, bit 0 clear.
 */
static inline uint64_t view_handle(unsigned q, uint16_t pos)
{
	return (uint64_t)q << 40 | (uint64_t)pos << 8 | 1u;
}

_Static_assert(PL_MEMIF_NBOUNCE <= 32, "bounce_out has a bit per bounce buffer");

static int bounce_get(struct pl_memif_rxq *r)
{
	if (!r->nbounce)
		return -1;
	uint32_t b = r->bounce_free[--r->nbounce];
	r->bounce_out |= 1u << b;
	return (int)b;
}

/*
 * The frame at r->seen when its first descriptor is chained (or anything
 * but a plain frame): the general walk, which reads the descriptors again
 * itself (the fast path's read only chose this path). A frame of one
 * segment becomes a view, a longer one is copied into a bounce buffer.
 * Return: slots consumed (0: wait in the ring), or a violation's errno.
 */
static __attribute__((noinline)) int rx_chain(struct pl_memif_ep *e, struct pl_memif_rxq *r,
					      unsigned q, uint16_t avail, struct pktlink_pkt *pkts,
					      unsigned *got)
{
	unsigned nsegs;
	uint32_t nslots;
	uint64_t total;
	const char *why = NULL;
	int w = pl_memif_walk(&r->v, r->seen, avail, r->segs, &nsegs, &nslots, &total, &why);
	if (w == PL_MEMIF_WALK_WAIT) {
		r->prod = r->seen; /* the next burst reads the index again */
		return 0;
	}
	if (w < 0)
		return pl_memif_violation(e, why);
	if (w == PL_MEMIF_WALK_DROP) {
		pl_stat_add(&e->ep.rxc[q].drop_invalid, 1);
	} else if (nsegs == 1) {
		pkts[(*got)++] = (struct pktlink_pkt){ .data = r->segs[0].ptr, .len = r->segs[0].len,
						       .queue = (uint16_t)q,
						       .priv = view_handle(q, r->seen) };
		return 1; /* a view holds the slot */
	} else {
		int b = bounce_get(r);
		if (b < 0)
			return 0; /* every bounce buffer is held: the frame waits in the ring */
		uint8_t *dst = r->bounce + (uint64_t)b * e->max_frame;
		uint32_t off = 0;
		for (unsigned i = 0; i < nsegs; i++) {
			memcpy(dst + off, r->segs[i].ptr, r->segs[i].len);
			off += r->segs[i].len;
		}
		pkts[(*got)++] = (struct pktlink_pkt){ .data = dst, .len = off, .queue = (uint16_t)q,
						       .priv = (uint64_t)(b + 1) << 32 };
	}
	/* dropped or copied: the slots are free as soon as rel reaches them */
	for (uint32_t i = 0; i < nslots; i++)
		rx_mark_done(r, (uint16_t)(r->seen + i));
	return (int)nslots;
}

/*
 * Views of up to m plain frames (one descriptor each) from ring position
 * *seen on, into out; stops at the first frame that is anything else.
 * Flags, region and length come in one 8-byte load, the offset in one
 * more, each bounds-checked in 64-bit before a view points into the
 * buffer. @client is a constant at each call: our own buffers (the
 * descriptor's region and offset are never read) or the peer's regions.
 * Return: frames taken.
 */
static inline __attribute__((always_inline)) unsigned
rx_plain(const struct pl_memif_rxq *r, const bool client, unsigned q, struct pktlink_pkt *out,
	 unsigned m, uint16_t *seenp, uint64_t *bytesp)
{
	/* In locals: the stores into out could otherwise alias them. */
	uint8_t *const ring = r->v.ring, *const own_base = r->v.own_base;
	const uint32_t own_size = r->v.own_size, own_stride = r->v.own_stride;
	const uint32_t max_frame = r->v.max_frame;
	const struct pl_memif_region *const regions = r->v.regions;
	const unsigned nregions = r->v.nregions;
	const uint16_t mask = r->v.mask;
	const uint64_t hq = view_handle(q, 0);
	uint16_t seen = *seenp;
	uint64_t bytes = 0;
	unsigned k;
	for (k = 0; k < m; k++) {
		uint16_t slot = seen & mask;
		struct memif_desc *d = memif_desc_at(ring, slot);
		uint16_t flags, reg;
		uint32_t len;
		const uint64_t w0 = memif_desc_word(d);
		memif_desc_split(w0, &flags, &reg, &len);
		if (!client && !(slot & (MEMIF_DESCS_PER_LINE - 1)))
			memif_desc_touch(d, w0);
		uint8_t *ptr;
		if (PL_UNLIKELY(flags & MEMIF_DESC_FLAG_NEXT))
			break;
		if (client) {
			if (PL_UNLIKELY(len > own_size))
				break; /* the walk reports it */
			ptr = own_base + (uint64_t)slot * own_stride;
		} else {
			uint32_t off = __atomic_load_n(&d->offset, __ATOMIC_RELAXED);
			if (PL_UNLIKELY(reg >= nregions))
				break;
			const struct pl_memif_region *rg = &regions[reg];
			if (PL_UNLIKELY(!rg->base || (uint64_t)off + len > rg->size))
				break;
			ptr = rg->base + off;
		}
		if (PL_UNLIKELY(len - 1 >= max_frame)) /* 0 or too long */
			break;
		out[k] = (struct pktlink_pkt){ .data = ptr, .len = len, .queue = (uint16_t)q,
					       .priv = hq | (uint64_t)seen << 8 };
		bytes += len;
		seen++;
	}
	*seenp = seen;
	*bytesp += bytes;
	return k;
}

/* Up to n - *got frames from the avail published slots at r->seen; their
 * bytes added to *bytes. Return 0 or a violation's errno. */
static inline int rx_frames(struct pl_memif_ep *e, struct pl_memif_rxq *r, unsigned q,
			    struct pktlink_pkt *pkts, unsigned *got, unsigned n, uint16_t avail,
			    uint64_t *bytes)
{
	const bool client = e->role == PKTLINK_MEMIF_CLIENT;
	unsigned g = *got;
	int ret = 0;
	while (g < n && avail) {
		unsigned m = n - g < avail ? n - g : avail;
		unsigned k = client ? rx_plain(r, true, q, pkts + g, m, &r->seen, bytes)
				    : rx_plain(r, false, q, pkts + g, m, &r->seen, bytes);
		g += k;
		avail = (uint16_t)(avail - k);
		if (k == m)
			continue;
		/* not a plain frame of one descriptor */
		unsigned g0 = g;
		ret = rx_chain(e, r, q, avail, pkts, &g);
		if (g > g0)
			*bytes += pkts[g0].len;
		if (ret <= 0)
			break;
		r->seen = (uint16_t)(r->seen + ret);
		avail = (uint16_t)(avail - ret);
		ret = 0;
	}
	*got = g;
	return ret;
}

int pl_memif_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_memif_ep *e = to_memif(ep);
	struct pl_memif_rxq *r = &e->rxq[q];
	struct pl_rx_counters *c = &ep->rxc[q];
	bool rechecked = false;
	unsigned got = 0;
	uint64_t bytes = 0;
again:;
	/* Read before the ring: whatever the peer published before leaving is seen. */
	int left = __atomic_load_n(&e->left, __ATOMIC_ACQUIRE);
	/* The producer index as last read while it covers the burst (it was
	 * validated then, and stays valid as we consume); else read it again. */
	uint16_t avail = (uint16_t)(r->prod - r->seen);
	if (avail < n || left || rechecked) {
		int v = rx_pending(e, r, &avail);
		if (v < 0)
			return v;
	}
	if (avail) {
		int v = rx_frames(e, r, q, pkts, &got, n, avail, &bytes);
		if (v < 0)
			return v;
	}
	if (PL_UNLIKELY(r->ndone)) {
		uint16_t from = r->rel;
		rx_skip_done(r);
		rx_publish(e, r, from);
	}
	if (got) {
		pl_stat_add(&c->packets, got);
		pl_stat_add(&c->bytes, bytes);
		r->empty_polls = 0;
		if (r->armed && !e->busy_poll) {
			set_mask_int(r, true);
			if (!r->drained)
				drain(r, &c->syscalls);
		}
		return (int)got;
	}
	if (left)
		return pl_ep_peer_gone(ep, left);
	if (e->busy_poll) {
		if (++r->empty_polls % 4096 == 0) {
			rx_post_idle(e, r);
			goto look;
		}
		return 0;
	}
	if (!r->armed) {
		/* Ask for an interrupt, then look once more (the peer may have
		 * published before it saw the flag). A receiver that arms may
		 * sleep in its own poller next: post what it released (the
		 * flag's store dirties the line head is in anyway). */
		rx_post_idle(e, r);
		set_mask_int(r, false);
		if (!rechecked) {
			rechecked = true;
			goto again;
		}
		return 0;
	}
	/* Armed and empty: a poller woke for a stale signal or a hang-up.
	 * Drain and look at the peer on every 8th call only. */
	if (++r->empty_polls % 8 != 0)
		return 0;
	drain(r, &c->syscalls);
look:;
	int g = pl_memif_ctrl_check(e, &c->syscalls);
	if (g < 0) {
		int dead = pl_ep_dead(ep);
		if (dead)
			return dead;
		goto again; /* left: drain the ring, then report */
	}
	return 0;
}

/* A frame that is not the next view in ring order came back (a bounce
 * buffer, a view released out of order, or marked slots about): mark its
 * slot, then move rel over what is free. Handles outside [rel, seen)
 * (released twice, forged) are ignored. */
static void rx_release_slow(struct pl_memif_rxq *r, unsigned q, const struct pktlink_pkt *p)
{
	uint64_t h = p->priv;
	if (!(h & 1)) {
		uint32_t b = (uint32_t)(h >> 32);
		if (b && b <= PL_MEMIF_NBOUNCE && (r->bounce_out & 1u << (b - 1))) {
			r->bounce_out &= ~(1u << (b - 1));
			r->bounce_free[r->nbounce++] = b - 1;
		}
		return;
	}
	uint16_t pos = (uint16_t)(h >> 8);
	if (h != view_handle(q, pos) || (uint16_t)(pos - r->rel) >= (uint16_t)(r->seen - r->rel))
		return;
	rx_mark_done(r, pos);
	rx_skip_done(r);
}

void pl_memif_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct pl_memif_ep *e = to_memif(ep);
	unsigned i = 0;
	while (i < n) {
		/* a run of views of one queue, published once */
		unsigned q = pkts[i].queue;
		if (q >= e->nq) {
			i++;
			continue;
		}
		struct pl_memif_rxq *r = &e->rxq[q];
		const uint16_t from = r->rel;
		if (!r->ndone) {
			/* Views coming back in ring order, nothing marked: rel
			 * moves, no per-slot state (at most up to seen). */
			uint16_t out = (uint16_t)(r->seen - from);
			unsigned m = n - i < out ? n - i : out, k = 0;
			uint64_t want = view_handle(q, from);
			while (k < m && pkts[i + k].priv == want) {
				/* past position 0xffff this stops matching; the
				 * slow path below takes the rest */
				want += 1u << 8;
				k++;
			}
			r->rel = (uint16_t)(from + k);
			i += k;
		}
		for (; i < n && pkts[i].queue == q; i++)
			rx_release_slow(r, q, &pkts[i]);
		rx_publish(e, r, from);
	}
}

/* How long a waiter watches the ring before it sleeps (as shm's default wait spin). */
#define PL_MEMIF_SPIN_NS 20000u

struct spin_ctx {
	struct pl_memif_ep *e;
	struct pl_memif_rxq *r;
	unsigned found; /* frames the look that ended the spin saw (a hint) */
};

/* The producer index moved, or the peer left: the next burst reads and checks. */
static bool rx_moved(void *arg)
{
	struct spin_ctx *c = arg;
	uint16_t prod = rx_prod(c->e, c->r);
	c->found = (uint16_t)(prod - c->r->seen);
	return c->found || __atomic_load_n(&c->e->left, __ATOMIC_ACQUIRE);
}

/*
 * Before sleeping, watch the producer index for a short while with
 * interrupts masked: a peer in the middle of a stream publishes again
 * within microseconds, and while we are armed it writes its eventfd after
 * every burst (DPDK's sender does), a system call that slows the sender
 * more than the spin costs us. Bounded by PL_MEMIF_SPIN_NS; the looks are
 * paced by what they find (core/endpoint.h, pl_spin_pace_begin(): a
 * streaming sender must not wait for its index line at every burst).
 */
static bool rx_spin(struct pl_memif_ep *e, struct pl_memif_rxq *r)
{
	if (r->armed)
		set_mask_int(r, true);
	struct spin_ctx c = { e, r, 0 };
	uint32_t gap = pl_spin_pace_begin(&r->pace, &e->ep.txc, &e->ep.rxc[r - e->rxq]);
	bool moved = pl_spin_until(rx_moved, &c, PL_MEMIF_SPIN_NS, gap);
	if (r->pace.stream)
		pl_spin_pace_end(&r->pace, moved ? c.found : 0, r->size);
	return moved;
}

int pl_memif_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms)
{
	struct pl_memif_ep *e = to_memif(ep);
	struct pl_memif_rxq *r = &e->rxq[q];
	uint64_t *sys = &ep->rxc[q].syscalls;
	uint16_t avail = 0;
	if (__atomic_load_n(&e->left, __ATOMIC_ACQUIRE))
		return 1;
	if (e->busy_poll) {
		if (++r->empty_polls % 4096 == 0) {
			rx_post_idle(e, r);
			if (pl_memif_ctrl_check(e, sys) < 0)
				return 1;
		}
		return 0;
	}
	if (timeout_ms != 0 && rx_spin(e, r))
		return 1;
	rx_post_idle(e, r);
	if (!r->armed)
		set_mask_int(r, false);
	int v = rx_pending(e, r, &avail);
	if (v < 0)
		return v;
	if (avail)
		return 1;
	/* Bounded: a peer that does not fence between publishing and reading
	 * our flag can miss the wake-up; we then find its frames within the cap. */
	if (timeout_ms < 0 || timeout_ms > PL_MEMIF_WAIT_CAP_MS)
		timeout_ms = PL_MEMIF_WAIT_CAP_MS;
	struct pollfd p[3] = { { .fd = r->efd, .events = POLLIN },
			       { .fd = e->conn.sock, .events = POLLIN },
			       { .fd = stop_fd, .events = POLLIN } };
	pl_stat_add(sys, 1);
	int pr = poll(p, 3, timeout_ms);
	if (pr < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents & POLLIN)
		drain(r, sys);
	if (p[1].revents && pl_memif_ctrl_check(e, sys) < 0)
		return 1; /* the next burst drains the ring, then reports */
	if (pr == 0) {
		v = rx_pending(e, r, &avail);
		if (v < 0)
			return v;
		return avail ? 1 : 0;
	}
	return 1;
}
