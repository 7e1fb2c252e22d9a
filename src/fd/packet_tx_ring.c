/* SPDX-License-Identifier: MIT */
/*
 * packet_tx_ring.c — the TPACKET_V2 TX ring on a TX-only socket. See packet.h.
 *
 * Why V2 and a socket of its own: TPACKET_V3 has no TX block mode (its TX
 * ring behaves like V2 anyway), and one socket has one PACKET_VERSION, which
 * the RX side sets to V3. Binding with protocol 0 means the socket receives
 * nothing, so it costs nothing on the receive path.
 *
 * Slots are used strictly in order, like the kernel does: `head` is the next
 * slot to fill, `tail` the oldest not yet reclaimed, `inflight` how many lie
 * between them. A frame goes out as: copy into the slot, tp_len, then a
 * release store of TP_STATUS_SEND_REQUEST (the kernel must see the data
 * before the status), and one send(fd, NULL, 0, MSG_DONTWAIT) per burst.
 * The kernel turns the slot into SENDING and, when the driver frees the
 * skb, back into AVAILABLE (acquire-loaded here before reuse).
 *
 * TP_STATUS_WRONG_FORMAT: without PACKET_LOSS the kernel stops at a frame
 * it refuses (e.g. longer than the MTU), marks it WRONG_FORMAT and leaves
 * its own head there, so merely resetting that slot to AVAILABLE would stall
 * the ring forever (the kernel would wait on it while our producer has
 * moved past). Instead the slot is counted as a TX error and the frames
 * queued behind it are moved one slot back (they are untouched: the kernel
 * stopped before them, and only this thread calls send()), so the kernel's
 * head finds the next frame where it waits. This is the error path only.
 * PACKET_LOSS is not used because it would make such frames vanish
 * uncounted.
 *
 * Zero-copy transmit (pl_packet_tx_ring_alloc): free slots are lent to the
 * caller from `head` onwards (the "lent window", lend_ahead slots long), so
 * a caller that allocates, fills and sends in order has every frame sent
 * in place — the kernel reads the slot the caller wrote. Because the kernel
 * takes slots strictly in order, a frame can only ever be queued at `head`:
 * a lent buffer sent out of order, or a plain frame sent while `head` is
 * lent, is copied into `head` if that slot is free, and otherwise waits
 * (the burst stops there: "would block") until the buffer holding `head`
 * is sent or freed. Freed buffers become holes that later frames fill.
 *
 * Setup steps (pl_fault() before each): those of pl_packet_socket_open(),
 * then PACKET_VERSION, PACKET_TX_RING, mmap. Failure unmaps and closes the
 * socket.
 */
#include "fd/packet.h"

#include "core/fault.h"
#include "core/offload.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define TX_DATA_OFF ((uint32_t)TPACKET_ALIGN(sizeof(struct tpacket2_hdr)))
#define TX_MAX_FRAMES (1u << 20)
#define TX_BLOCK_MAX (1u << 22)
#define KICK_RETRIES 8

#define TX_BUSY (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT)

struct pl_packet_tx_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t frame_size;
	uint32_t nframes;
	uint32_t frames_per_block;
	uint32_t block_size;
	uint32_t max_data; /* bytes from TX_DATA_OFF to the slot end */
	bool vnet;
	uint32_t head, tail, inflight; /* TX thread only */
	uint32_t lend_ahead; /* slots from head on that the lent window spans */
	uint32_t nlent; /* buffers out with the caller */
	uint32_t cookie; /* high half of pkt.priv: recognises our buffers */
	uint8_t *lent; /* [nframes] slot is with the caller */
};

static inline struct tpacket2_hdr *slot(const struct pl_packet_tx_ring *r, uint32_t i)
{
	/* Slots never straddle blocks: the kernel lays out frames_per_block
	 * frames at the start of each block. */
	uint32_t b = i / r->frames_per_block, k = i % r->frames_per_block;
	return (struct tpacket2_hdr *)(r->map + (size_t)b * r->block_size +
				       (size_t)k * r->frame_size);
}

static inline uint32_t status_of(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

static inline void set_status(struct tpacket2_hdr *h, uint32_t st)
{
	__atomic_store_n(&h->tp_status, st, __ATOMIC_RELEASE);
}

static inline uint32_t wrap(const struct pl_packet_tx_ring *r, uint32_t i)
{
	return i + 1 == r->nframes ? 0 : i + 1;
}

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

int pl_packet_tx_ring_create(int ifindex, uint32_t frame_count, uint32_t frame_size,
			     bool vnet_hdr, bool qdisc_bypass, struct pl_packet_tx_ring **out,
			     char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	int r, fd = -1;

	if (!out)
		return pl_err(err, errlen, -EINVAL, "pl_packet_tx_ring_create: out is NULL");
	*out = NULL;
	if (page <= 0)
		page = 4096;
	if (!frame_count)
		frame_count = 256;
	if (!frame_size)
		frame_size = 2048;
	frame_size = (frame_size + TPACKET_ALIGNMENT - 1) & ~(uint32_t)(TPACKET_ALIGNMENT - 1);
	if (frame_size < TX_DATA_OFF + 64 + (vnet_hdr ? PL_VNET_HDR_LEN : 0) ||
	    frame_size > TX_BLOCK_MAX)
		return pl_err(err, errlen, -EINVAL,
			      "TPACKET_V2 TX ring: frame size %u out of range (%u to %u)", frame_size,
			      TX_DATA_OFF + 64 + (vnet_hdr ? PL_VNET_HDR_LEN : 0), TX_BLOCK_MAX);
	if (frame_count > TX_MAX_FRAMES)
		return pl_err(err, errlen, -EINVAL, "TPACKET_V2 TX ring: %u frames; at most %u",
			      frame_count, TX_MAX_FRAMES);

	/* A block is the smallest power of two holding a frame, at least a
	 * page and at least 64 KiB when frames are small (fewer, larger
	 * allocations); frame_count is rounded up to whole blocks. */
	uint32_t bs = roundup_pow2(frame_size);
	if (bs < (uint32_t)page)
		bs = (uint32_t)page;
	while (bs < (64u << 10) && bs / frame_size < frame_count)
		bs <<= 1;
	uint32_t fpb = bs / frame_size;
	uint32_t nblocks = (frame_count + fpb - 1) / fpb;

	struct pl_packet_tx_ring *t = calloc(1, sizeof(*t));
	uint8_t *lent = calloc((size_t)fpb * nblocks, 1);
	if (!t || !lent) {
		free(t);
		free(lent);
		return pl_err(err, errlen, -ENOMEM, "TPACKET_V2 TX ring: out of memory");
	}
	t->lent = lent;
	/* Any value tells our buffers from others' well enough; a random one
	 * also tells rings apart. Never 0, so a zeroed priv never matches. */
	if (getrandom(&t->cookie, sizeof(t->cookie), GRND_NONBLOCK) != sizeof(t->cookie))
		t->cookie = (uint32_t)(uintptr_t)t;
	t->cookie |= 1;
	t->frame_size = frame_size;
	t->frames_per_block = fpb;
	t->block_size = bs;
	t->nframes = fpb * nblocks;
	t->max_data = frame_size - TX_DATA_OFF;
	t->vnet = vnet_hdr;

	struct pl_packet_sock_cfg sc = { .vnet_hdr = vnet_hdr, .qdisc_bypass = qdisc_bypass,
					 .rx = false };
	r = pl_packet_socket_open(ifindex, &sc, &fd, err, errlen);
	if (r < 0) {
		free(t->lent);
		free(t);
		return r;
	}
	t->fd = fd;

	int v = TPACKET_V2;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "PACKET_VERSION TPACKET_V2: injected failure");
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0) {
		r = -errno;
		pl_err(err, errlen, r, "PACKET_VERSION TPACKET_V2 (TX socket): %s", strerror(-r));
		goto fail;
	}
	struct tpacket_req req;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = bs;
	req.tp_block_nr = nblocks;
	req.tp_frame_size = frame_size;
	req.tp_frame_nr = t->nframes;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "PACKET_TX_RING: injected failure");
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0) {
		r = -errno;
		pl_err(err, errlen, r, "PACKET_TX_RING (%u frames of %u bytes): %s%s", t->nframes,
		       frame_size, strerror(-r), r == -ENOMEM ? " — use fewer or smaller frames" : "");
		goto fail;
	}
	t->map_len = (size_t)bs * nblocks;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "mmap of the TX ring: injected failure");
		goto fail;
	}
	void *m = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		r = -errno;
		pl_err(err, errlen, r, "mmap of the TX ring (%zu bytes): %s", t->map_len,
		       strerror(-r));
		goto fail;
	}
	t->map = m;
	*out = t;
	return 0;
fail:
	/* Closing the socket frees the kernel ring with it. */
	close(fd);
	free(t->lent);
	free(t);
	return r;
}

/*
 * Drop the WRONG_FORMAT frame in slot i: shift the frames queued behind it
 * one slot back so the kernel, whose head stays at i, finds the next frame
 * there. See the file comment.
 */
static void remove_wrong_format(struct pl_packet_tx_ring *r, uint32_t i)
{
	uint32_t pos = (i + r->nframes - r->tail) % r->nframes; /* i's place in the queue */
	uint32_t behind = r->inflight - pos - 1;
	uint32_t j = i;
	for (uint32_t k = 0; k < behind; k++) {
		uint32_t nx = wrap(r, j);
		struct tpacket2_hdr *dst = slot(r, j), *src = slot(r, nx);
		uint32_t len = src->tp_len;
		if (len > r->max_data)
			len = r->max_data;
		memcpy((uint8_t *)dst + TX_DATA_OFF, (uint8_t *)src + TX_DATA_OFF, len);
		dst->tp_len = len;
		set_status(dst, TP_STATUS_SEND_REQUEST);
		j = nx;
	}
	set_status(slot(r, j), TP_STATUS_AVAILABLE);
	r->head = j;
	r->inflight--;
	/* The freed slot sits just before the lent window: a hole in it. */
	if (r->lend_ahead)
		r->lend_ahead++;
}

/* Take back slots the kernel is done with, oldest first. */
static void reclaim(struct pl_packet_tx_ring *r, struct pl_tx_counters *c)
{
	uint32_t guard = r->nframes + 1;
	while (r->inflight && guard--) {
		struct tpacket2_hdr *h = slot(r, r->tail);
		uint32_t st = status_of(h);
		if (!(st & TX_BUSY)) {
			r->tail = wrap(r, r->tail);
			r->inflight--;
		} else if (st & TP_STATUS_WRONG_FORMAT) {
			if (c)
				pl_stat_add(&c->errors, 1);
			remove_wrong_format(r, r->tail);
		} else {
			break; /* SEND_REQUEST or SENDING: in order, so stop */
		}
	}
}

/*
 * After send() reported a refused frame: it sits where the kernel stopped,
 * behind frames still SENDING (not yet reclaimable), so look past those.
 */
static void fix_wrong_format(struct pl_packet_tx_ring *r, struct pl_tx_counters *c)
{
	uint32_t i = r->tail;
	for (uint32_t k = 0; k < r->inflight; k++, i = wrap(r, i)) {
		uint32_t st = status_of(slot(r, i));
		if (st & TP_STATUS_WRONG_FORMAT) {
			if (c)
				pl_stat_add(&c->errors, 1);
			remove_wrong_format(r, i);
			return;
		}
		if (st & TP_STATUS_SEND_REQUEST)
			return; /* the kernel has not got this far */
	}
}

int pl_packet_tx_ring_reclaim(struct pl_packet_tx_ring *r, struct pl_tx_counters *c)
{
	if (!r)
		return -EINVAL;
	reclaim(r, c);
	return (int)(r->nframes - r->inflight);
}

/* Ask the kernel to send what is marked SEND_REQUEST. */
static int kick(struct pl_packet_tx_ring *r, struct pl_tx_counters *c)
{
	for (uint32_t t = 0; t < r->inflight + KICK_RETRIES; t++) {
		if (c)
			pl_stat_add(&c->syscalls, 1);
		if (send(r->fd, NULL, 0, MSG_DONTWAIT) >= 0)
			return 0;
		int e = errno;
		switch (e) {
		case EINTR:
			continue;
		case EAGAIN:
		case ENOBUFS:
			/* Socket send buffer full: the frames stay
			 * SEND_REQUEST and go with the next kick. */
			return 0;
		case EMSGSIZE:
		case EINVAL:
		case EFAULT:
		case EPROTO:
			/* A frame was refused (WRONG_FORMAT): remove it and
			 * let the kernel continue with the ones behind it. */
			fix_wrong_format(r, c);
			continue;
		default:
			return -e; /* ENETDOWN, ENXIO, ENODEV: the device */
		}
	}
	return 0;
}

static inline uint8_t *slot_data(const struct pl_packet_tx_ring *r, uint32_t i)
{
	return (uint8_t *)slot(r, i) + TX_DATA_OFF;
}

/* The slot of one of our lent buffers, or -1. */
static int64_t lent_slot(const struct pl_packet_tx_ring *r, const struct pktlink_pkt *p)
{
	uint64_t idx = (p->priv & 0xffffffffu) - 1;
	if ((uint32_t)(p->priv >> 32) != r->cookie || idx >= r->nframes || !r->lent[idx])
		return -1;
	return (int64_t)idx;
}

/* A lent buffer comes back (sent elsewhere, dropped or freed). */
static void unlend(struct pl_packet_tx_ring *r, uint32_t i)
{
	r->lent[i] = 0;
	r->nlent--;
	if (r->nlent == 0) {
		r->lend_ahead = 0;
		return;
	}
	/* Shrink the window from its far end past slots no longer lent. */
	while (r->lend_ahead && !r->lent[(r->head + r->lend_ahead - 1) % r->nframes])
		r->lend_ahead--;
}

int pl_packet_tx_ring_alloc(struct pl_packet_tx_ring *r, struct pktlink_pkt *pkts, unsigned n,
			    struct pl_tx_counters *c)
{
	unsigned got = 0;
	if (!r || (!pkts && n))
		return -EINVAL;
	reclaim(r, c);
	uint32_t vh = r->vnet ? PL_VNET_HDR_LEN : 0;
	while (got < n && r->inflight + r->lend_ahead < r->nframes) {
		uint32_t i = (r->head + r->lend_ahead) % r->nframes;
		r->lend_ahead++;
		if (r->lent[i])
			continue; /* cannot happen: the window ends at its last lent slot */
		r->lent[i] = 1;
		r->nlent++;
		struct pktlink_pkt *p = &pkts[got++];
		memset(p, 0, sizeof(*p));
		p->data = slot_data(r, i) + vh;
		p->len = r->max_data - vh;
		p->flags = PKTLINK_PKT_TXBUF;
		p->priv = (uint64_t)r->cookie << 32 | (i + 1);
	}
	return (int)got;
}

void pl_packet_tx_ring_free(struct pl_packet_tx_ring *r, const struct pktlink_pkt *pkts, unsigned n)
{
	if (!r || !pkts)
		return;
	for (unsigned k = 0; k < n; k++) {
		int64_t i = lent_slot(r, &pkts[k]);
		if (i >= 0)
			unlend(r, (uint32_t)i);
	}
}

int pl_packet_tx_ring_send(struct pl_packet_tx_ring *r, const struct pktlink_pkt *pkts,
			   unsigned n, struct pl_tx_counters *c)
{
	unsigned taken = 0, queued = 0;
	uint64_t invalid = 0, invalid_bytes = 0;
	uint32_t vh = 0;

	if (!r || (!pkts && n))
		return -EINVAL;
	vh = r->vnet ? PL_VNET_HDR_LEN : 0;
	reclaim(r, c);
	for (; taken < n; taken++) {
		const struct pktlink_pkt *p = &pkts[taken];
		int64_t own = -1;
		if (p->flags & PKTLINK_PKT_TXBUF) {
			own = lent_slot(r, p);
			if (own < 0) {
				invalid++; /* not ours, or given back twice */
				invalid_bytes += p->len;
				continue;
			}
		}
		if (r->inflight == r->nframes)
			break;
		uint32_t hs = r->head;
		/* Only head can be queued next; another buffer holds it. */
		if (r->lent[hs] && own != (int64_t)hs)
			break;
		/* A frame that can never go out is taken and counted, so it
		 * cannot stall the queue (pktlink_tx_burst contract). */
		if (!p->data || p->len < 14 || (uint64_t)p->len + vh > r->max_data) {
			invalid++;
			invalid_bytes += p->len;
			if (own >= 0)
				unlend(r, (uint32_t)own);
			continue;
		}
		struct tpacket2_hdr *h = slot(r, hs);
		if (status_of(h) & TX_BUSY)
			break; /* cannot happen with in-order reclaim; be safe */
		uint8_t *d = slot_data(r, hs);
		if (vh && pl_pkt_to_vnet(p, 14, d, vh) < 0) {
			invalid++;
			invalid_bytes += p->len;
			if (own >= 0)
				unlend(r, (uint32_t)own);
			continue;
		}
		/* In place (zero copy) when the caller wrote into this slot. */
		if (p->data != d + vh)
			memmove(d + vh, p->data, p->len);
		h->tp_len = p->len + vh;
		set_status(h, TP_STATUS_SEND_REQUEST);
		if (own >= 0) {
			r->lent[own] = 0;
			r->nlent--;
		}
		r->head = wrap(r, r->head);
		r->inflight++;
		if (r->lend_ahead)
			r->lend_ahead--;
		if (r->nlent == 0)
			r->lend_ahead = 0;
		queued++;
	}
	if (c && invalid)
		pl_tx_invalid(c, invalid, invalid_bytes);
	/* Kick when something new was queued, or when frames still wait for
	 * one: an earlier kick can leave frames SEND_REQUEST when the socket
	 * send buffer ran out (send() then still succeeds, or says EAGAIN).
	 * The kernel takes frames in order, so some are waiting exactly when
	 * the newest queued frame still is. */
	uint32_t newest = r->head ? r->head - 1 : r->nframes - 1;
	if (queued || (r->inflight && (status_of(slot(r, newest)) & TP_STATUS_SEND_REQUEST))) {
		int k = kick(r, c);
		if (k < 0 && taken == 0)
			return k;
	}
	return (int)taken;
}

int pl_packet_tx_ring_fd(const struct pl_packet_tx_ring *r)
{
	return r ? r->fd : -1;
}

void pl_packet_tx_ring_destroy(struct pl_packet_tx_ring *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r->lent);
	free(r);
}
