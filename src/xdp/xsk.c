/* SPDX-License-Identifier: MIT */
/*
 * xsk.c — the AF_XDP control block: UMEM memory and frame pool, socket
 * setup in one fixed order, teardown of exactly the steps done.
 *
 * Socket setup order (each step calls pl_fault() first so tests can make it
 * fail): socket → XDP_UMEM_REG (first socket of a UMEM only) → FILL size →
 * COMPLETION size → RX size → TX size → XDP_MMAP_OFFSETS → mmap FILL, COMP,
 * RX, TX → fill-all → bind (EBUSY retried) → XDP_OPTIONS.
 */
#include "xsk.h"
#include "core/fault.h"
#include "core/opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define PL_XDP_DEFAULT_FRAMES 4096
#define PL_XDP_DEFAULT_FRAME_SIZE 4096
#define PL_XDP_DEFAULT_RING 2048
#define PL_XDP_MAX_FRAMES (1u << 20)
#define PL_XDP_HUGE_SZ (2u << 20)
#define PL_XDP_BIND_RETRY_MS 1000

int pl_xdp_errf(char *buf, size_t len, int err, const char *fmt, ...)
{
	if (buf && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* errname() - the errno's name for messages ("EBUSY"), else strerror(). */
static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOMEM: return "ENOMEM";
	case ENOBUFS: return "ENOBUFS";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EEXIST: return "EEXIST";
	case EAGAIN: return "EAGAIN";
	case ENETDOWN: return "ENETDOWN";
	default: return strerror(e);
	}
}

/* is_pow2(), next_pow2() - ring and chunk geometry. */
static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint32_t next_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

/* ------------------------------------------------------------------------ */
/* UMEM                                                                      */

int pktlink_xdp_umem_create(const struct pktlink_xdp_umem_opts *opts,
			    struct pktlink_xdp_umem **umemp, char *err, size_t errlen)
{
	struct pktlink_xdp_umem_opts o = { 0 };
	if (!umemp)
		return pl_xdp_errf(err, errlen, -EINVAL, "pktlink_xdp_umem_create: umemp is NULL");
	*umemp = NULL;
	if (opts) {
		int r = PL_OPTS_LOAD(pktlink_xdp_umem_opts, &o, opts, sizeof(size_t), err, errlen);
		if (r)
			return r;
	}
	uint32_t frames = o.frames ? o.frames : PL_XDP_DEFAULT_FRAMES;
	uint32_t fsz = o.frame_size ? o.frame_size : PL_XDP_DEFAULT_FRAME_SIZE;
	bool unaligned = o.flags & PKTLINK_XDP_UMEM_UNALIGNED;
	long page = sysconf(_SC_PAGESIZE);
	if (o.flags & ~(uint32_t)(PKTLINK_XDP_UMEM_UNALIGNED | PKTLINK_XDP_UMEM_HUGEPAGES |
				  PKTLINK_XDP_UMEM_DEBUG))
		return pl_xdp_errf(err, errlen, -EINVAL, "UMEM flags 0x%x: unknown bits", o.flags);
	if (frames < 2 || frames > PL_XDP_MAX_FRAMES)
		return pl_xdp_errf(err, errlen, -EINVAL,
				   "frames=%u: the UMEM needs 2..%u frames", frames,
				   PL_XDP_MAX_FRAMES);
	if (!unaligned && (!is_pow2(fsz) || fsz < 2048 || fsz > (uint32_t)page))
		return pl_xdp_errf(err, errlen, -EINVAL,
				   "frame_size=%u: aligned chunks must be a power of two from 2048 "
				   "to the page size (%ld); use unaligned=1 for other sizes",
				   fsz, page);
	if (unaligned && (fsz < 2048 || fsz > 65536))
		return pl_xdp_errf(err, errlen, -EINVAL,
				   "frame_size=%u: unaligned chunks must be 2048..65536 bytes", fsz);
	if (o.headroom > fsz - XDP_PACKET_HEADROOM - 128)
		return pl_xdp_errf(err, errlen, -EINVAL,
				   "headroom=%u leaves no room for a frame in a %u-byte chunk (the "
				   "kernel reserves %d more): at most %u",
				   o.headroom, fsz, XDP_PACKET_HEADROOM,
				   fsz - XDP_PACKET_HEADROOM - 128);
	uint32_t rx = o.rx_frames ? o.rx_frames : frames / 2;
	if (rx > frames)
		return pl_xdp_errf(err, errlen, -EINVAL,
				   "rx_frames=%u is more than frames=%u", rx, frames);

	struct pktlink_xdp_umem *u = calloc(1, sizeof(*u));
	if (!u)
		return pl_xdp_errf(err, errlen, -ENOMEM, "UMEM: out of memory");
	u->reg_fd = -1;
	u->frames = frames;
	u->frame_size = fsz;
	u->headroom = o.headroom;
	u->flags = o.flags;
	u->rx_frames = rx;
	u->shift = is_pow2(fsz) ? (uint32_t)__builtin_ctz(fsz) : 0;
	size_t len = (size_t)frames * fsz;
	len = (len + (size_t)page - 1) & ~((size_t)page - 1);

	int r = 0;
	if (pl_fault()) {
		r = pl_xdp_errf(err, errlen, -ENOMEM, "UMEM allocation of %zu bytes: injected failure",
				len);
		goto fail;
	}
	u->area = MAP_FAILED;
	if (o.flags & PKTLINK_XDP_UMEM_HUGEPAGES) {
		size_t hlen = (len + PL_XDP_HUGE_SZ - 1) & ~((size_t)PL_XDP_HUGE_SZ - 1);
		u->area = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		if (u->area != MAP_FAILED) {
			u->len = hlen;
			u->huge = true;
		}
	}
	if (u->area == MAP_FAILED) {
		u->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		u->len = len;
	}
	if (u->area == MAP_FAILED) {
		u->area = NULL;
		r = pl_xdp_errf(err, errlen, -ENOMEM,
				"UMEM allocation of %zu bytes (frames=%u x frame_size=%u): %s", len,
				frames, fsz, strerror(errno));
		goto fail;
	}
	u->state = calloc(frames, 1);
	u->home = calloc(frames, 1);
	/* Either stack can hold every frame: frames move between the sides
	 * (pktlink_xdp_socket_create() lends TX frames to a sharing socket). */
	u->rx_free = malloc(sizeof(uint32_t) * frames);
	u->tx_free = malloc(sizeof(uint32_t) * frames);
	if (!u->state || !u->home || !u->rx_free || !u->tx_free) {
		r = pl_xdp_errf(err, errlen, -ENOMEM, "UMEM frame pool: out of memory");
		goto fail;
	}
	/* Stacks pop from the top: push in reverse so frame 0 goes out first. */
	for (uint32_t i = 0; i < rx; i++)
		u->rx_free[i] = rx - 1 - i;
	u->rx_top = rx;
	for (uint32_t i = 0; i < frames - rx; i++)
		u->tx_free[i] = frames - 1 - i;
	for (uint32_t i = rx; i < frames; i++)
		u->home[i] = PL_XDP_HOME_TX;
	u->tx_top = frames - rx;
	*umemp = u;
	return 0;
fail:
	pktlink_xdp_umem_destroy(u);
	return r;
}

int pktlink_xdp_umem_destroy(struct pktlink_xdp_umem *u)
{
	if (!u)
		return 0;
	if (u->users)
		return -EBUSY;
	if (u->area)
		munmap(u->area, u->len);
	free(u->state);
	free(u->home);
	free(u->rx_free);
	free(u->tx_free);
	free(u);
	return 0;
}

void *pktlink_xdp_umem_area(const struct pktlink_xdp_umem *u, size_t *len)
{
	if (len)
		*len = (size_t)u->frames * u->frame_size;
	return u->area;
}

uint32_t pktlink_xdp_umem_frame_size(const struct pktlink_xdp_umem *u)
{
	return u->frame_size;
}

uint32_t pktlink_xdp_umem_frames(const struct pktlink_xdp_umem *u)
{
	return u->frames;
}

uint32_t pktlink_xdp_umem_headroom(const struct pktlink_xdp_umem *u)
{
	return u->headroom;
}

bool pktlink_xdp_umem_hugepages(const struct pktlink_xdp_umem *u)
{
	return u->huge;
}

uint32_t pktlink_xdp_umem_frame_of(const struct pktlink_xdp_umem *u, uint64_t addr)
{
	return pl_xdp_frame_idx(u, addr);
}

uint32_t pktlink_xdp_umem_census(const struct pktlink_xdp_umem *u, uint32_t *counts)
{
	uint32_t c[PKTLINK_XDP_FRAME_NSTATES] = { 0 };
	for (uint32_t i = 0; i < u->frames; i++) {
		uint8_t s = __atomic_load_n(&u->state[i], __ATOMIC_RELAXED);
		if (s < PKTLINK_XDP_FRAME_NSTATES)
			c[s]++;
	}
	if (counts)
		memcpy(counts, c, sizeof(c));
	return c[PKTLINK_XDP_FRAME_APP_RX] + c[PKTLINK_XDP_FRAME_APP_TX];
}

uint64_t pktlink_xdp_umem_errors(const struct pktlink_xdp_umem *u)
{
	return __atomic_load_n(&u->errors, __ATOMIC_RELAXED);
}

uint32_t pktlink_xdp_frame_alloc(struct pktlink_xdp_umem *u, uint64_t *addrs, uint32_t n)
{
	uint32_t k = 0;
	while (k < n && u->tx_top) {
		uint32_t idx = u->tx_free[--u->tx_top];
		pl_xdp_st_set(u, idx, PKTLINK_XDP_FRAME_APP_TX);
		addrs[k++] = pl_xdp_frame_base(u, idx);
	}
	return k;
}

uint32_t pktlink_xdp_frame_free(struct pktlink_xdp_umem *u, const uint64_t *addrs, uint32_t n)
{
	uint32_t bad = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = pl_xdp_frame_idx(u, addrs[i]);
		if (idx >= u->frames) {
			bad++;
			continue;
		}
		if (pl_xdp_st(u, idx) == PKTLINK_XDP_FRAME_APP_RX) {
			pl_xdp_st_set(u, idx, PKTLINK_XDP_FRAME_FREE);
			u->rx_free[u->rx_top++] = idx;
		} else if (pl_xdp_st(u, idx) == PKTLINK_XDP_FRAME_APP_TX) {
			pl_xdp_st_set(u, idx, PKTLINK_XDP_FRAME_FREE);
			u->tx_free[u->tx_top++] = idx;
		} else {
			bad++;
		}
	}
	if (bad)
		__atomic_fetch_add(&u->errors, bad, __ATOMIC_RELAXED);
	return bad;
}

/* ------------------------------------------------------------------------ */
/* Sockets                                                                   */

/* ring_unmap() - munmap a ring if it was mapped, and forget it. */
static void ring_unmap(struct pktlink_xdp_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

void pktlink_xdp_socket_destroy(struct pktlink_xdp_socket *s)
{
	if (!s)
		return;
	/* munmap before close: the kernel frees the rings with the last
	 * reference, which the mappings hold. Bind, XDP_UMEM_REG and ring
	 * sizes are undone by closing the socket. */
	ring_unmap(&s->tx);
	ring_unmap(&s->rx);
	ring_unmap(&s->comp);
	ring_unmap(&s->fill);
	if (s->fd >= 0 && s->own_fd)
		close(s->fd);
	struct pktlink_xdp_umem *u = s->umem;
	if (u) {
		/* The last socket of the UMEM gone: frames posted to its rings
		 * come back to the pool (the kernel drops them with the socket).
		 * With sockets left, those frames stay posted: they may sit in
		 * another socket's rings. */
		if (u->users == 1) {
			for (uint32_t i = 0; i < u->frames; i++) {
				if (pl_xdp_st(u, i) == PKTLINK_XDP_FRAME_FILL) {
					pl_xdp_st_set(u, i, PKTLINK_XDP_FRAME_FREE);
					u->rx_free[u->rx_top++] = i;
				} else if (pl_xdp_st(u, i) == PKTLINK_XDP_FRAME_TX) {
					pl_xdp_st_set(u, i, PKTLINK_XDP_FRAME_FREE);
					if (u->home[i] == PL_XDP_HOME_RX)
						u->rx_free[u->rx_top++] = i;
					else
						u->tx_free[u->tx_top++] = i;
				}
			}
		}
		if (u->owner == s) {
			u->owner = NULL;
			u->reg_fd = -1;
		}
		u->users--;
	}
	free(s);
}

/* set_ring() - one ring-size setsockopt (a pl_fault() step). */
static int set_ring(struct pktlink_xdp_socket *s, int opt, const char *name, uint32_t size,
		    char *err, size_t errlen)
{
	int r = pl_fault() ? (errno = EFAULT, -1)
			   : setsockopt(s->fd, SOL_XDP, opt, &size, sizeof(size));
	if (r < 0) {
		int e = errno;
		return pl_xdp_errf(err, errlen, -e,
				   "setting the %s ring size to %u: %s%s", name, size, errname(e),
				   e == EINVAL ? " — ring sizes must be powers of two" :
				   e == ENOMEM ? " — out of memory: lower the ring size" : "");
	}
	return 0;
}

/* map_ring() - mmap one ring at its page offset (a pl_fault() step) and
 * point r at its producer, consumer, flags and entries. */
static int map_ring(struct pktlink_xdp_socket *s, struct pktlink_xdp_ring *r, const char *name,
		    const struct xdp_ring_offset *off, uint32_t size, size_t entsz, off_t pgoff,
		    char *err, size_t errlen)
{
	size_t len = off->desc + (size_t)size * entsz;
	void *m = pl_fault() ? (errno = EFAULT, MAP_FAILED)
			     : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				    s->fd, pgoff);
	if (m == MAP_FAILED) {
		int e = errno;
		return pl_xdp_errf(err, errlen, -e, "mmap of the %s ring (%zu bytes): %s", name,
				   len, errname(e));
	}
	r->map = m;
	r->map_len = len;
	r->producer = (uint32_t *)((char *)m + off->producer);
	r->consumer = (uint32_t *)((char *)m + off->consumer);
	r->flags = (uint32_t *)((char *)m + off->flags);
	r->ring = (char *)m + off->desc;
	r->size = size;
	r->mask = size - 1;
	/* Producer rings start with every slot free, consumer rings empty. */
	r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
	return 0;
}

uint32_t pktlink_xdp_socket_refill(struct pktlink_xdp_socket *s)
{
	struct pktlink_xdp_umem *u = s->umem;
	struct pktlink_xdp_ring *fq = s->fq;
	struct pktlink_xdp_socket *fs = s->fq_sock;
	if (!fq || !u->rx_top || fs->fill_out >= fs->fill_max)
		return 0;
	uint32_t n = pktlink_xdp_prod_nb_free(fq, u->rx_top);
	if (n > u->rx_top)
		n = u->rx_top;
	if (n > fs->fill_max - fs->fill_out)
		n = fs->fill_max - fs->fill_out;
	uint32_t idx;
	if (!n || !pktlink_xdp_prod_reserve(fq, n, &idx))
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t f = u->rx_free[--u->rx_top];
		pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FILL);
		*pktlink_xdp_ring_addr(fq, idx + i) = pl_xdp_frame_base(u, f);
	}
	pktlink_xdp_prod_submit(fq, n);
	fs->fill_out += n;
	return n;
}

uint32_t pktlink_xdp_socket_reap(struct pktlink_xdp_socket *s)
{
	struct pktlink_xdp_umem *u = s->umem;
	struct pktlink_xdp_ring *cq = s->cq;
	uint32_t idx;
	if (!cq)
		return 0;
	uint32_t n = pktlink_xdp_cons_peek(cq, cq->size, &idx);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t f = pl_xdp_frame_idx(u, *pktlink_xdp_ring_addr(cq, idx + i));
		/* The kernel only returns what we posted; a mismatch is a bug
		 * somewhere (a frame posted twice): refuse rather than corrupt
		 * the free stack. */
		if (PL_XDP_UNLIKELY(f >= u->frames || pl_xdp_st(u, f) != PKTLINK_XDP_FRAME_TX)) {
			pl_xdp_count_error(u);
			continue;
		}
		pl_xdp_st_set(u, f, PKTLINK_XDP_FRAME_FREE);
		/* A received frame forwarded without a copy goes back to the RX
		 * side (pktlink_xdp_forward() runs RX and TX on one thread). */
		if (u->home[f] == PL_XDP_HOME_RX)
			u->rx_free[u->rx_top++] = f;
		else
			u->tx_free[u->tx_top++] = f;
	}
	if (n)
		pktlink_xdp_cons_release(cq, n);
	return n;
}

/*
 * Busy polling runs the NAPI instance the kernel tied the socket to. Since
 * 6.13 that happens at bind, from the queue's NAPI as the driver declared it
 * (netif_queue_set_napi); before, on the first received frame. veth (6.18)
 * declares none, so busy polling there runs nothing and every empty-ring
 * recvfrom() would be a wasted system call: checked once, when frames have
 * arrived (both kernel generations have tied the socket by then).
 */
void pl_xdp_busy_probe(struct pktlink_xdp_socket *s)
{
	unsigned id = 0;
	socklen_t len = sizeof(id);
	s->busy_probe = false;
	if (!getsockopt(s->fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &id, &len) && !id)
		s->busy_poll = false;
}

int pl_xdp_kick(struct pktlink_xdp_socket *s, uint32_t *nsys)
{
	if (!s->tx.map)
		return 0;
	if (s->zc) {
		/* Zero-copy: the driver drains the ring by itself once woken. */
		if (s->need_wakeup && !pktlink_xdp_ring_needs_wakeup(&s->tx))
			return 0;
		(*nsys)++;
		if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			return 0;
		int e = errno;
		return e == EAGAIN || e == EBUSY || e == ENOBUFS || e == ENETDOWN || e == EINTR ? 0
											       : -e;
	}
	/* Copy mode moves TX only inside sendto, and one call stops early: after
	 * a budget of 32 descriptors (EAGAIN), and at every invalid descriptor
	 * (returning 0). Repeat while the kernel makes progress, bounded by the
	 * ring size, so nothing is left behind when the caller goes quiet. */
	uint32_t target = *s->tx.producer;
	for (uint32_t i = 0; i < s->tx.size + 2; i++) {
		uint32_t before = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
		if (before == target)
			return 0;
		int e = 0;
		(*nsys)++;
		if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0)
			e = errno;
		if (e && e != EAGAIN) {
			if (e == EBUSY || e == ENOBUFS || e == ENETDOWN || e == EINTR)
				return 0; /* the next burst or kick retries */
			return -e;
		}
		if (__atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE) == before)
			return 0; /* no progress (completion ring full?): retry later */
		if (e == EAGAIN)
			pktlink_xdp_socket_reap(s);
	}
	return 0;
}

int pktlink_xdp_socket_kick(struct pktlink_xdp_socket *s)
{
	uint32_t nsys = 0;
	return pl_xdp_kick(s, &nsys);
}

/* do_bind() - bind to (ifindex, queue), retrying EBUSY for up to
 * PL_XDP_BIND_RETRY_MS; errors say which parameter or party is at fault. */
static int do_bind(struct pktlink_xdp_socket *s, char *err, size_t errlen)
{
	struct sockaddr_xdp sxdp = {
		.sxdp_family = AF_XDP,
		.sxdp_ifindex = (uint32_t)s->ifindex,
		.sxdp_queue_id = s->queue,
		.sxdp_flags = s->bind_flags,
	};
	struct pktlink_xdp_umem *u = s->umem;
	if (u->owner != s) {
		/* The kernel takes no other flag on a sharing socket: copy/zero-copy,
		 * need_wakeup and SG are the UMEM owner's. */
		sxdp.sxdp_flags = XDP_SHARED_UMEM;
		s->need_wakeup = u->owner ? u->owner->need_wakeup : s->need_wakeup;
		sxdp.sxdp_shared_umem_fd = (uint32_t)u->reg_fd;
	}
	int e = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	/* One injection point for the step, not one per retry, so the step
	 * numbering does not depend on the kernel's timing. */
	bool fault = pl_fault();
	for (int i = 0; i <= PL_XDP_BIND_RETRY_MS / 10; i++) {
		if (fault) {
			e = EFAULT;
			break;
		}
		if (bind(s->fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) == 0) {
			e = 0;
			break;
		}
		e = errno;
		/* A socket closed moments ago still holds the queue until the
		 * kernel's deferred release runs: wait a little. */
		if (e != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	if (!e)
		return 0;
	if (e == EBUSY)
		return pl_xdp_errf(err, errlen, -e,
				   "bind queue %u of %s: EBUSY — another AF_XDP socket is bound "
				   "there (retried for %d ms); close it or use shared UMEM",
				   s->queue, s->ifname, PL_XDP_BIND_RETRY_MS);
	char bound[IF_NAMESIZE + 1] = "";
	socklen_t bl = sizeof(bound) - 1;
	if (e == EINVAL && getsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, bound, &bl) == 0 &&
	    bound[0] && strcmp(bound, s->ifname))
		return pl_xdp_errf(err, errlen, -e,
				   "bind queue %u of %s: EINVAL — the socket was restricted to "
				   "device %s (SO_BINDTODEVICE) by whoever created it",
				   s->queue, s->ifname, bound);
	if (e == EINVAL)
		return pl_xdp_errf(err, errlen, -e,
				   "bind queue %u of %s: EINVAL — the queue does not exist on the "
				   "device, or the flags (0x%x) do not fit this socket",
				   s->queue, s->ifname, sxdp.sxdp_flags);
	if (e == EOPNOTSUPP && (s->bind_flags & XDP_ZEROCOPY))
		return pl_xdp_errf(err, errlen, -e,
				   "bind queue %u of %s: zerocopy=require, but the driver has no "
				   "AF_XDP zero-copy support in this mode (use zerocopy=auto)",
				   s->queue, s->ifname);
	if (e == EOPNOTSUPP && (s->bind_flags & XDP_USE_SG))
		return pl_xdp_errf(err, errlen, -e,
				   "bind queue %u of %s: sg=1, but this kernel or driver has no "
				   "AF_XDP multi-buffer support",
				   s->queue, s->ifname);
	return pl_xdp_errf(err, errlen, -e, "bind queue %u of %s: %s", s->queue, s->ifname,
			   errname(e));
}

int pktlink_xdp_socket_bind(struct pktlink_xdp_socket *s, char *err, size_t errlen)
{
	if (s->step >= PL_XSK_BOUND)
		return 0;
	if (s->step < PL_XSK_MMAP)
		return pl_xdp_errf(err, errlen, -EINVAL, "bind: the socket is not set up");
	int r = do_bind(s, err, errlen);
	if (r)
		return r;
	s->step = PL_XSK_BOUND;
	struct xdp_options xo = { 0 };
	socklen_t ol = sizeof(xo);
	if (getsockopt(s->fd, SOL_XDP, XDP_OPTIONS, &xo, &ol) == 0)
		s->zc = xo.flags & XDP_OPTIONS_ZEROCOPY;
	if (s->o.zerocopy == PKTLINK_XDP_ZC_REQUIRE && !s->zc)
		return pl_xdp_errf(err, errlen, -EOPNOTSUPP,
				   "bind queue %u of %s: zerocopy=require, but the kernel bound it "
				   "in copy mode",
				   s->queue, s->ifname);
	return 0;
}

int pktlink_xdp_socket_create(struct pktlink_xdp_umem *u,
			      const struct pktlink_xdp_socket_opts *opts,
			      struct pktlink_xdp_socket **sockp, char *err, size_t errlen)
{
	if (!sockp || !u || !opts)
		return pl_xdp_errf(err, errlen, -EINVAL,
				   "pktlink_xdp_socket_create: umem, opts and sockp are required");
	*sockp = NULL;
	struct pktlink_xdp_socket_opts o;
	int oerr = PL_OPTS_LOAD(pktlink_xdp_socket_opts, &o, opts, sizeof(size_t), err,
				errlen);
	if (oerr)
		return oerr;
	struct pktlink_xdp_socket *s = calloc(1, sizeof(*s));
	if (!s)
		return pl_xdp_errf(err, errlen, -ENOMEM, "AF_XDP socket: out of memory");
	s->o = o;
	s->fd = -1;
	s->umem = u;
	u->users++;
	s->queue = s->o.queue;
	uint32_t rx_size = s->o.no_rx ? 0 : s->o.rx_size ? s->o.rx_size : PL_XDP_DEFAULT_RING;
	uint32_t tx_size = s->o.no_tx ? 0 : s->o.tx_size ? s->o.tx_size : PL_XDP_DEFAULT_RING;
	int r;
	if ((rx_size && !is_pow2(rx_size)) || (tx_size && !is_pow2(tx_size))) {
		r = pl_xdp_errf(err, errlen, -EINVAL,
				"ring sizes must be powers of two: rx_size=%u tx_size=%u", rx_size,
				tx_size);
		goto fail;
	}
	if (!rx_size && !tx_size) {
		r = pl_xdp_errf(err, errlen, -EINVAL, "a socket needs an RX or a TX ring");
		goto fail;
	}
	if (s->o.ifname) {
		snprintf(s->ifname, sizeof(s->ifname), "%s", s->o.ifname);
		s->ifindex = (int)if_nametoindex(s->o.ifname);
		if (!s->ifindex) {
			r = pl_xdp_errf(err, errlen, -ENODEV, "device %s: no such device",
					s->o.ifname);
			goto fail;
		}
	} else if (!s->o.no_bind) {
		r = pl_xdp_errf(err, errlen, -EINVAL, "ifname is required to bind");
		goto fail;
	}
	s->o.ifname = NULL; /* not ours to keep */

	/* Step 1: the socket. */
	if (s->o.has_fd) {
		s->fd = s->o.fd;
		s->own_fd = false;
	} else {
		s->fd = pl_fault() ? (errno = EFAULT, -1) : socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (s->fd < 0) {
			int e = errno;
			r = pl_xdp_errf(err, errlen, -e, "socket(AF_XDP): %s%s", errname(e),
					e == EPERM || e == EACCES ?
						" — needs CAP_NET_RAW (run as root or grant it)" :
					e == EAFNOSUPPORT ?
						" — the kernel has no AF_XDP (CONFIG_XDP_SOCKETS)" :
						"");
			goto fail;
		}
		s->own_fd = true;
	}
	s->step = PL_XSK_SOCKET;

	/* Step 2: register the UMEM, or share the owner's. */
	if (u->reg_fd < 0) {
		struct xdp_umem_reg mr = {
			.addr = (uint64_t)(uintptr_t)u->area,
			.len = (uint64_t)u->frames * u->frame_size,
			.chunk_size = u->frame_size,
			.headroom = u->headroom,
			.flags = (u->flags & PKTLINK_XDP_UMEM_UNALIGNED) ?
					 XDP_UMEM_UNALIGNED_CHUNK_FLAG : 0,
		};
		if (pl_fault() ? (errno = EFAULT, 1)
			       : setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr))) {
			int e = errno;
			r = pl_xdp_errf(err, errlen, -e,
					"XDP_UMEM_REG (%u frames x %u bytes, headroom %u%s): %s%s",
					u->frames, u->frame_size, u->headroom,
					mr.flags ? ", unaligned" : "", errname(e),
					e == ENOMEM || e == ENOBUFS || e == EAGAIN ?
						" — the memory cannot be pinned: raise "
						"RLIMIT_MEMLOCK (ulimit -l) or use fewer frames" :
					e == EPERM ? " — needs CAP_NET_RAW / CAP_IPC_LOCK" :
					e == EINVAL ? " — bad geometry: check frame_size, headroom "
						      "and unaligned" :
						      "");
			goto fail;
		}
		u->reg_fd = s->fd;
		u->owner = s;
		s->own_fc = true;
		s->step = PL_XSK_REG;
	} else {
		struct pktlink_xdp_socket *ow = u->owner;
		/* Same device and queue as the owner: one FILL/COMP pair serves
		 * both (the kernel requires it). Elsewhere: a pair of our own. */
		s->own_fc = !(ow && ow->ifindex == s->ifindex && ow->queue == s->queue);
	}

	/* Step 3: ring sizes. */
	uint32_t fill_size = next_pow2(u->rx_frames ? u->rx_frames : 1);
	/* COMPLETION holds every frame that can be in flight on TX: the TX
	 * side's, and received frames forwarded without a copy. */
	uint32_t comp_size = next_pow2(u->frames);
	if (fill_size < 64)
		fill_size = 64;
	if (comp_size < 64)
		comp_size = 64;
	if (s->own_fc) {
		if ((r = set_ring(s, XDP_UMEM_FILL_RING, "FILL", fill_size, err, errlen)) ||
		    (r = set_ring(s, XDP_UMEM_COMPLETION_RING, "COMPLETION", comp_size, err, errlen)))
			goto fail;
	}
	if (rx_size && (r = set_ring(s, XDP_RX_RING, "RX", rx_size, err, errlen)))
		goto fail;
	if (tx_size && (r = set_ring(s, XDP_TX_RING, "TX", tx_size, err, errlen)))
		goto fail;
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	if (pl_fault() ? (errno = EFAULT, 1)
		       : getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen)) {
		int e = errno;
		r = pl_xdp_errf(err, errlen, -e, "XDP_MMAP_OFFSETS: %s", errname(e));
		goto fail;
	}
	s->step = PL_XSK_RINGS;

	/* Step 4: map the rings. */
	if (s->own_fc) {
		if ((r = map_ring(s, &s->fill, "FILL", &off.fr, fill_size, sizeof(uint64_t),
				  (off_t)XDP_UMEM_PGOFF_FILL_RING, err, errlen)) ||
		    (r = map_ring(s, &s->comp, "COMPLETION", &off.cr, comp_size, sizeof(uint64_t),
				  (off_t)XDP_UMEM_PGOFF_COMPLETION_RING, err, errlen)))
			goto fail;
		s->fq = &s->fill;
		s->cq = &s->comp;
		s->fq_sock = s;
		if (u->owner == s) {
			s->fill_max = u->rx_frames;
		} else {
			/* A second FILL ring on the UMEM: lend it half of the free
			 * TX frames, so it can receive even while the other FILL
			 * rings hold every RX frame. */
			uint32_t lend = u->tx_top / 2;
			for (uint32_t i = 0; i < lend; i++) {
				uint32_t f = u->tx_free[--u->tx_top];
				u->home[f] = PL_XDP_HOME_RX;
				u->rx_free[u->rx_top++] = f;
			}
			s->fill_max = lend;
		}
	} else {
		s->fq = u->owner ? u->owner->fq : NULL;
		s->cq = u->owner ? u->owner->cq : NULL;
		s->fq_sock = u->owner;
	}
	if (rx_size && (r = map_ring(s, &s->rx, "RX", &off.rx, rx_size, sizeof(struct xdp_desc),
				     XDP_PGOFF_RX_RING, err, errlen)))
		goto fail;
	if (tx_size && (r = map_ring(s, &s->tx, "TX", &off.tx, tx_size, sizeof(struct xdp_desc),
				     XDP_PGOFF_TX_RING, err, errlen)))
		goto fail;
	s->step = PL_XSK_MMAP;

	/* Step 5: fill-all, so frames are there the moment we are bound. */
	if (s->own_fc && rx_size)
		pktlink_xdp_socket_refill(s);

	/* Step 6: busy polling (optional, before bind like xdpsock). */
	if (s->o.busy_poll_usec) {
		int one = 1, usec = (int)s->o.busy_poll_usec;
		int budget = (int)(s->o.busy_poll_budget ? s->o.busy_poll_budget : 64);
		if (setsockopt(s->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
		    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof(usec)) ||
		    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget))) {
			int e = errno;
			/* A kernel before 5.11 (or built without busy polling)
			 * lacks the options: receive as without busy_poll=. */
			if (e == ENOPROTOOPT || e == EOPNOTSUPP)
				goto bind;
			r = pl_xdp_errf(err, errlen, -e, "busy_poll=%u: %s%s", usec, errname(e),
					e == EPERM ? " — SO_BUSY_POLL above the sysctl limit needs "
						     "CAP_NET_ADMIN" :
						     "");
			goto fail;
		}
		s->busy_poll = true;
		s->busy_probe = true;
	}

bind:
	/* Step 7: bind. */
	s->bind_flags = 0;
	if (!s->o.no_need_wakeup)
		s->bind_flags |= XDP_USE_NEED_WAKEUP;
	if (s->o.zerocopy == PKTLINK_XDP_ZC_REQUIRE)
		s->bind_flags |= XDP_ZEROCOPY;
	else if (s->o.zerocopy == PKTLINK_XDP_ZC_OFF)
		s->bind_flags |= XDP_COPY;
	if (s->o.sg)
		s->bind_flags |= XDP_USE_SG;
	s->need_wakeup = !s->o.no_need_wakeup;
	if (!s->o.no_bind && (r = pktlink_xdp_socket_bind(s, err, errlen)))
		goto fail;
	*sockp = s;
	return 0;
fail:
	pktlink_xdp_socket_destroy(s);
	return r;
}

int pktlink_xdp_socket_fd(const struct pktlink_xdp_socket *s)
{
	return s->fd;
}

struct pktlink_xdp_ring *pktlink_xdp_socket_rx(struct pktlink_xdp_socket *s)
{
	return s->rx.map ? &s->rx : NULL;
}

struct pktlink_xdp_ring *pktlink_xdp_socket_tx(struct pktlink_xdp_socket *s)
{
	return s->tx.map ? &s->tx : NULL;
}

struct pktlink_xdp_ring *pktlink_xdp_socket_fill(struct pktlink_xdp_socket *s)
{
	return s->fq;
}

struct pktlink_xdp_ring *pktlink_xdp_socket_comp(struct pktlink_xdp_socket *s)
{
	return s->cq;
}

bool pktlink_xdp_socket_zerocopy(const struct pktlink_xdp_socket *s)
{
	return s->zc;
}

int pktlink_xdp_socket_stats(const struct pktlink_xdp_socket *s,
			     struct pktlink_xdp_sock_stats *st)
{
	struct xdp_statistics xs = { 0 };
	socklen_t len = sizeof(xs);
	memset(st, 0, sizeof(*st));
	if (getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &xs, &len) < 0)
		return -errno;
	st->rx_dropped = xs.rx_dropped;
	st->rx_invalid_descs = xs.rx_invalid_descs;
	st->tx_invalid_descs = xs.tx_invalid_descs;
	st->rx_ring_full = xs.rx_ring_full;
	st->rx_fill_ring_empty_descs = xs.rx_fill_ring_empty_descs;
	st->tx_ring_empty_descs = xs.tx_ring_empty_descs;
	return 0;
}
