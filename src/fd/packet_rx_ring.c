/* SPDX-License-Identifier: MIT */
/*
 * packet_rx_ring.c — the TPACKET_V3 RX ring. See packet.h.
 *
 * The ring is block_count blocks of block_size bytes. The kernel fills one
 * block at a time with variable-size frames and hands it to user space by
 * setting its status to TP_STATUS_USER, either when the next frame does not
 * fit or when the block retire timer fires (tp_retire_blk_tov).
 *
 * Block retire timeout: 1 ms by default (PL_PACKET_RING_TIMEOUT_MS). The
 * kernel's own choice for veth/tap is 8 ms, which becomes the latency floor
 * of every frame at low rates (a lone ping or TCP ACK waits for the timer).
 * 1 ms is the smallest value the millisecond-granular API accepts; at high
 * rates blocks fill long before the timer fires, so the timeout costs
 * nothing there, and when idle the timer only runs in the kernel (user
 * space is woken only when a block with frames retires). The price is
 * blocks retired part-full at moderate rates, which is why the default
 * geometry is many (32) mid-size (256 KiB) blocks rather than a few huge
 * ones: a slow consumer holding views pins whole blocks.
 *
 * Consumption: blocks are walked strictly in order (the kernel fills them
 * in order and freezes when the next one is still ours). Each view records
 * its block in pkt.priv (block index + 1); a per-block count of outstanding
 * views decides when the block goes back (release store of
 * TP_STATUS_KERNEL): only once every frame of it has been walked and every
 * view taken from it released. A block walked but still held is "pending";
 * when the walk comes round to it again the burst stops there, so old data
 * is never handed out twice.
 *
 * Per frame, the common case touches only the frame header and the
 * sockaddr_ll after it (the lines libpcap reads too): the receive filter,
 * when its address is the bound device's own (ring cfg dev_addr), takes the
 * kernel's verdict sll_pkttype (PACKET_OTHERHOST: a unicast frame for
 * another address, eth_type_trans() compared it against the device's
 * current address) instead of reading the destination from the frame's
 * first data line, written on the delivering CPU. Another address (addr=,
 * pktlink_set_link_addr()) and frames the kernel did not compare
 * (PACKET_OUTGOING and the like) compare the bytes. Frames with more to do
 * (a stripped VLAN tag, a virtio-net header, a checksum marked possibly
 * partial, a LOSING status) take the whole receive policy
 * (frame_general()).
 *
 * The ring is written by the kernel, but every offset read from it is
 * still checked in 64-bit arithmetic against the block (DESIGN.md: treat
 * shared memory as untrusted); a bad frame is counted in drop_invalid and
 * the rest of its block skipped.
 *
 * Setup steps (pl_fault() before each): PACKET_VERSION, PACKET_RESERVE,
 * PACKET_RX_RING, mmap. Failure undoes them in reverse: munmap, free the
 * kernel ring (PACKET_RX_RING with zero blocks), restore reserve and
 * version — the caller's fd is left as it was handed in.
 */
#include "fd/packet.h"

#include "core/fault.h"
#include "core/offload.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define VLAN_HEADROOM 4 /* PACKET_RESERVE: room to put back a stripped 802.1Q tag */
#define MAX_BLOCK_SIZE (64u << 20)
#define MAX_BLOCKS 4096u

#ifndef TP_STATUS_VLAN_TPID_VALID
#define TP_STATUS_VLAN_TPID_VALID (1 << 6)
#endif
#ifndef TP_STATUS_CSUM_VALID
#define TP_STATUS_CSUM_VALID (1 << 7)
#endif

struct pl_packet_rx_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t block_size;
	uint32_t nblocks;
	uint32_t min_mac; /* smallest tp_mac that leaves room for the tag (and vnet header) */
	bool vnet;
	bool dev_addr_set;
	uint64_t dev_addr; /* the bound device's address as pl_rx_policy keeps one */
	/* walk state (RX thread only) */
	uint32_t head; /* block being walked or next to look at */
	bool in_block;
	uint32_t left; /* frames of the head block not yet walked */
	uint32_t off; /* offset of the next frame in the head block */
	uint32_t *refs; /* [nblocks] views outstanding */
	uint8_t *pending; /* [nblocks] walked, waiting for its views */
};

static inline struct tpacket_block_desc *block(const struct pl_packet_rx_ring *r, uint32_t b)
{
	return (struct tpacket_block_desc *)(r->map + (size_t)b * r->block_size);
}

static inline void give_back(struct pl_packet_rx_ring *r, uint32_t b)
{
	/* Release: our reads of the block's frames (and the tag we wrote
	 * into it) happen before the kernel may overwrite it. */
	__atomic_store_n(&block(r, b)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/* The head block has been walked to its end: return it or park it. */
static void finish_block(struct pl_packet_rx_ring *r)
{
	uint32_t b = r->head;
	r->in_block = false;
	r->left = 0;
	if (r->refs[b] == 0)
		give_back(r, b);
	else
		r->pending[b] = 1;
	r->head = b + 1 == r->nblocks ? 0 : b + 1;
}

static uint32_t pow2_ok(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void undo(int fd, int old_version, int stage)
{
	/* stage: how many of VERSION, RESERVE, RX_RING were applied. */
	if (stage >= 3) {
		struct tpacket_req3 z;
		memset(&z, 0, sizeof(z));
		(void)setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &z, sizeof(z));
	}
	if (stage >= 2) {
		int zero = 0;
		(void)setsockopt(fd, SOL_PACKET, PACKET_RESERVE, &zero, sizeof(zero));
	}
	if (stage >= 1)
		(void)setsockopt(fd, SOL_PACKET, PACKET_VERSION, &old_version, sizeof(old_version));
}

int pl_packet_rx_ring_create(int fd, const struct pl_packet_ring_cfg *cfg,
			     struct pl_packet_rx_ring **out, char *err, size_t errlen)
{
	struct pl_packet_ring_cfg c;
	long page = sysconf(_SC_PAGESIZE);
	int stage = 0, r, old_version = TPACKET_V1;

	if (!out)
		return pl_err(err, errlen, -EINVAL, "pl_packet_rx_ring_create: out is NULL");
	*out = NULL;
	if (fd < 0)
		return pl_err(err, errlen, -EBADF, "TPACKET_V3 ring: fd %d is not a socket", fd);
	memset(&c, 0, sizeof(c));
	if (cfg)
		c = *cfg;
	if (!c.block_size) {
		/* A frame must fit in one block (V3 never splits frames):
		 * grow the default block for large frames (GRO, vnet GSO). */
		c.block_size = PL_PACKET_RING_BLOCK_SIZE;
		while (c.frame_size && c.block_size < MAX_BLOCK_SIZE &&
		       c.block_size < (uint64_t)c.frame_size + 512)
			c.block_size <<= 1;
	}
	if (!c.block_count)
		c.block_count = PL_PACKET_RING_BLOCKS;
	if (!c.frame_size)
		c.frame_size = c.vnet_hdr ? 65536 + 256 : 2048;
	if (!c.block_timeout_ms)
		c.block_timeout_ms = PL_PACKET_RING_TIMEOUT_MS;
	if (page <= 0)
		page = 4096;
	if (!pow2_ok(c.block_size) || c.block_size % (uint32_t)page || c.block_size > MAX_BLOCK_SIZE)
		return pl_err(err, errlen, -EINVAL,
			      "TPACKET_V3 ring: block size %u must be a power of two, a multiple of "
			      "the page size (%ld) and at most %u",
			      c.block_size, page, MAX_BLOCK_SIZE);
	if (c.block_count < 2 || c.block_count > MAX_BLOCKS)
		return pl_err(err, errlen, -EINVAL, "TPACKET_V3 ring: %u blocks; use 2 to %u",
			      c.block_count, MAX_BLOCKS);
	/* V3 frames are packed and may use up to a whole block; frame_size only
	 * enters the kernel's bookkeeping (frames per block). Round it to the
	 * kernel's 16-byte alignment and keep it within a block. */
	c.frame_size = (c.frame_size + TPACKET_ALIGNMENT - 1) & ~(uint32_t)(TPACKET_ALIGNMENT - 1);
	if (c.frame_size > c.block_size)
		c.frame_size = c.block_size;
	if (c.frame_size < 256)
		c.frame_size = 256;
	if (c.block_timeout_ms > 60000)
		return pl_err(err, errlen, -EINVAL,
			      "TPACKET_V3 ring: block timeout %u ms is too long (max 60000)",
			      c.block_timeout_ms);

	/* Our bookkeeping first: nothing to undo if it fails. */
	struct pl_packet_rx_ring *ring = calloc(1, sizeof(*ring));
	uint32_t *refs = calloc(c.block_count, sizeof(*refs));
	uint8_t *pending = calloc(c.block_count, 1);
	if (!ring || !refs || !pending) {
		free(ring);
		free(refs);
		free(pending);
		return pl_err(err, errlen, -ENOMEM, "TPACKET_V3 ring: out of memory");
	}
	ring->fd = fd;
	ring->refs = refs;
	ring->pending = pending;
	ring->block_size = c.block_size;
	ring->nblocks = c.block_count;
	ring->vnet = c.vnet_hdr;
	if (c.dev_addr_set) {
		memcpy(&ring->dev_addr, c.dev_addr, 6);
		ring->dev_addr_set = true;
	}
	/* The kernel puts the frame at tp_mac >= TPACKET3_HDRLEN + reserve
	 * (+ the vnet header before it). Demanding that much keeps the tag we
	 * insert, and the vnet header we read, clear of the frame header. */
	ring->min_mac = (uint32_t)(TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) +
				   sizeof(struct sockaddr_ll)) +
			(c.vnet_hdr ? PL_VNET_HDR_LEN : VLAN_HEADROOM);

	socklen_t ol = sizeof(old_version);
	if (getsockopt(fd, SOL_PACKET, PACKET_VERSION, &old_version, &ol) != 0)
		old_version = TPACKET_V1;

	int v = TPACKET_V3;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "PACKET_VERSION TPACKET_V3: injected failure");
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0) {
		r = -errno;
		pl_err(err, errlen, r, "PACKET_VERSION TPACKET_V3: %s%s", strerror(-r),
		       r == -EBUSY ? " — the socket already has a ring" : "");
		goto fail;
	}
	stage = 1;

	int reserve = VLAN_HEADROOM;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "PACKET_RESERVE: injected failure");
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve)) != 0) {
		r = -errno;
		pl_err(err, errlen, r, "PACKET_RESERVE %d: %s", reserve, strerror(-r));
		goto fail;
	}
	stage = 2;

	struct tpacket_req3 req;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = c.block_size;
	req.tp_block_nr = c.block_count;
	req.tp_frame_size = c.frame_size;
	req.tp_frame_nr = (c.block_size / c.frame_size) * c.block_count;
	req.tp_retire_blk_tov = c.block_timeout_ms;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "PACKET_RX_RING: injected failure");
		goto fail;
	}
	/* Setting the ring also purges whatever was queued on the socket
	 * between bind() and now (packet_set_ring does skb_queue_purge), so
	 * no stale skb keeps poll() readable. */
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
		r = -errno;
		pl_err(err, errlen, r, "PACKET_RX_RING (%u blocks of %u bytes, %u ms): %s%s",
		       c.block_count, c.block_size, c.block_timeout_ms, strerror(-r),
		       r == -ENOMEM ? " — use fewer or smaller blocks"
		       : r == -EBUSY ? " — the socket already has a ring or is in a fanout group"
				     : "");
		goto fail;
	}
	stage = 3;

	ring->map_len = (size_t)c.block_size * c.block_count;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "mmap of the RX ring: injected failure");
		goto fail;
	}
	void *m = mmap(NULL, ring->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		r = -errno;
		pl_err(err, errlen, r, "mmap of the RX ring (%zu bytes): %s", ring->map_len,
		       strerror(-r));
		goto fail;
	}
	ring->map = m;
	*out = ring;
	return 0;
fail:
	undo(fd, old_version, stage);
	free(ring->refs);
	free(ring->pending);
	free(ring);
	return r;
}

/* Counters come from the kernel only when a block says drops happened
 * (TP_STATUS_LOSING in its status), so the common path makes no extra
 * syscall. */
static void collect_drops(struct pl_packet_rx_ring *r, struct pl_rx_counters *c)
{
	uint64_t d = pl_packet_kernel_drops(r->fd);
	if (c) {
		pl_stat_add(&c->syscalls, 1);
		if (d)
			pl_stat_add(&c->drop_nobuf, d);
	}
}

/* The policy of a bare ring (no endpoint): hand out everything, as the
 * kernel delivered it (tag re-inserted, offload fields parsed). */
static const struct pl_rx_policy ring_take_all = {
	.promisc = 1, .rx_csum = 1, .gso = 1, .min_len = 14
};

/* sll_pkttype of the sockaddr_ll the kernel writes after each frame header:
 * its verdict on the destination, without reading the frame. */
#define PKTTYPE_OFF                                                                        \
	(TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + offsetof(struct sockaddr_ll, sll_pkttype))

/*
 * frame_general() - the view of a frame that needs more than the common
 * case (virtio-net header, a stripped VLAN tag, a checksum the kernel marks
 * possibly partial): the whole receive policy. Return: an enum
 * pl_rx_verdict, PL_RX_INVALID also for an unusable virtio-net header.
 */
static int frame_general(const struct pl_packet_rx_ring *r, const struct tpacket3_hdr *h,
			 uint8_t *data, uint32_t snap, uint32_t status,
			 const struct pl_rx_policy *rp, struct pktlink_pkt *p)
{
	uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;
	uint16_t tpid = (uint16_t)h->hv1.tp_vlan_tpid;
	memset(p, 0, sizeof(*p));
	if (r->vnet) {
		if (pl_vnet_to_pkt(data - PL_VNET_HDR_LEN, snap, p) < 0)
			return PL_RX_INVALID;
	} else if (status & (TP_STATUS_CSUM_VALID | TP_STATUS_CSUMNOTREADY)) {
		/* CSUMNOTREADY: a local sender left the checksum to
		 * "hardware"; the data is intact, so for a receiving stack it
		 * is as good as verified. */
		p->flags |= PKTLINK_PKT_CSUM_VALID;
	}
	if (status & TP_STATUS_VLAN_VALID) {
		if (!(status & TP_STATUS_VLAN_TPID_VALID) || !tpid)
			tpid = 0x8100;
	} else {
		tpid = 0;
	}
	p->data = data;
	p->len = snap;
	p->timestamp = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
	p->flags |= PKTLINK_PKT_TSTAMP;
	/* The tag goes in after the virtio-net header was parsed: it may
	 * overwrite the header's last bytes. */
	return pl_rx_apply_hinted(rp, p, tpid, tci, status & TP_STATUS_CSUMNOTREADY);
}

/* mac_differs() - the receive filter's test on the frame's bytes: a unicast
 * destination other than our address (m4, m2: its first 4 and last 2
 * bytes). 4 + 2 byte loads compared in registers: a 6-byte memcpy into a
 * word goes through the stack (a store-forward stall). */
static inline bool mac_differs(const uint8_t *data, uint32_t m4, uint16_t m2)
{
	uint32_t d4;
	uint16_t d2;
	if (data[0] & 1)
		return false;
	memcpy(&d4, data, 4);
	memcpy(&d2, data + 4, 2);
	return ((d4 ^ m4) | (uint32_t)(d2 ^ m2)) != 0;
}

/* What a burst decided once, for the frame walk (walk_block()). */
struct walk {
	const struct pl_packet_rx_ring *r;
	const struct pl_rx_policy *rp;
	uint64_t bsize;
	uint64_t min_mac; /* UINT64_MAX: every frame through frame_general() */
	uint64_t handle; /* queue << 32 | block + 1 */
	uint32_t slow_status; /* frame status bits that need frame_general() */
	uint32_t m4; /* the filter's address: first 4 bytes */
	uint16_t m2; /* and the last 2 */
	uint16_t queue;
	uint16_t flags; /* of a plain frame: TSTAMP, CSUM_VALID if the stack takes it */
	uint8_t filter; /* 0: none, FILTER_KERNEL or FILTER_BYTES */
	bool losing;
	uint64_t bad, trunc, filtered;
};

enum { FILTER_KERNEL = 1, FILTER_BYTES = 2 };

/*
 * walk_block() - views of the frames of the block at blk from *off on
 * (*left frames not yet walked) into p, up to pend. Updates *off and
 * *left, the tallies in w. filter is w->filter as a constant: one copy of
 * the loop per filter mode (walk_block_as()). Return: the next free view.
 */
static inline __attribute__((always_inline)) struct pktlink_pkt *
walk_block(struct walk *w, uint8_t *blk, uint32_t *offp, uint32_t *leftp, struct pktlink_pkt *p,
	   const struct pktlink_pkt *pend, const int filter)
{
	/* walk state in registers: the views written below could alias it */
	uint32_t off = *offp, left = *leftp;
	size_t room = (size_t)(pend - p);
	uint32_t take = left < room ? left : (uint32_t)room;
	left -= take; /* what the block has after this walk */
	while (take--) {
		/* One frame at off (checked to hold a tpacket3_hdr). */
		const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(blk + off);
		uint32_t next = h->tp_next_offset;
		uint32_t fmac = h->tp_mac;
		uint32_t snap = h->tp_snaplen;
		uint32_t wire = h->tp_len;
		uint32_t status = h->tp_status;
		uint64_t frame_off = (uint64_t)off + fmac;
		bool odd = PL_UNLIKELY(fmac < w->min_mac) || PL_UNLIKELY(snap < 14) ||
			   PL_UNLIKELY(frame_off + snap > w->bsize) || PL_UNLIKELY(snap < wire) ||
			   PL_UNLIKELY(status & w->slow_status);

		/* Advance before deciding about this frame, so a bad frame
		 * still moves the walk on. */
		uint64_t no = (uint64_t)off + next;
		if (PL_UNLIKELY(next == 0 || no + sizeof(struct tpacket3_hdr) > w->bsize) &&
		    (take || left)) {
			w->bad += take + left; /* the rest of the block is unreachable */
			take = left = 0;
		}
		off = (uint32_t)no;
		/* The kernel wrote the next header on another CPU: start its
		 * cache miss now (a prefetch past the block is harmless). */
		__builtin_prefetch(blk + no);
		uint8_t *data = blk + frame_off;
		if (PL_UNLIKELY(odd)) {
			if (status & TP_STATUS_LOSING)
				w->losing = true;
			if (fmac < w->r->min_mac || snap < 14 || frame_off + snap > w->bsize) {
				w->bad++;
				continue;
			}
			if (snap < wire) {
				w->trunc++; /* larger than a block: never hand out a cut frame */
				continue;
			}
			int v = frame_general(w->r, h, data, snap, status, w->rp, p);
			if (v != PL_RX_KEEP) {
				if (v == PL_RX_FILTER)
					w->filtered++;
				else
					w->bad++;
				continue;
			}
		} else {
			bool drop = false;
			if (filter == FILTER_KERNEL) {
				/* fmac >= min_mac keeps the sockaddr_ll inside
				 * the block */
				uint8_t pt = ((const uint8_t *)h)[PKTTYPE_OFF];
				if (PL_UNLIKELY(pt >= PACKET_OTHERHOST))
					drop = pt == PACKET_OTHERHOST /* the kernel compared */
						       ? true
						       : mac_differs(data, w->m4, w->m2);
			} else if (filter == FILTER_BYTES) {
				drop = mac_differs(data, w->m4, w->m2);
			}
			if (drop) {
				w->filtered++;
				continue;
			}
			/* The kernel stamps every frame of the ring anyway:
			 * handing it out costs two loads. The handle in priv:
			 * queue and block, never the public .queue. */
			*p = (struct pktlink_pkt){
				.data = data,
				.len = snap,
				.flags = (status & (TP_STATUS_CSUM_VALID | TP_STATUS_CSUMNOTREADY))
						 ? w->flags
						 : PKTLINK_PKT_TSTAMP,
				.queue = w->queue,
				.timestamp = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec,
				.priv = w->handle,
			};
			p++;
			continue;
		}
		p->queue = w->queue;
		/* the handle: queue and block, never the public .queue */
		p->priv = w->handle;
		p++;
	}
	*offp = off;
	*leftp = left;
	return p;
}

/* walk_block() with the burst's filter mode as a constant. */
static struct pktlink_pkt *walk_block_as(struct walk *w, uint8_t *blk, uint32_t *offp,
					 uint32_t *leftp, struct pktlink_pkt *p,
					 const struct pktlink_pkt *pend)
{
	switch (w->filter) {
	case FILTER_KERNEL:
		return walk_block(w, blk, offp, leftp, p, pend, FILTER_KERNEL);
	case FILTER_BYTES:
		return walk_block(w, blk, offp, leftp, p, pend, FILTER_BYTES);
	default:
		return walk_block(w, blk, offp, leftp, p, pend, 0);
	}
}

int pl_packet_rx_ring_burst(struct pl_packet_rx_ring *r, struct pktlink_pkt *pkts, unsigned n,
			    uint16_t queue, const struct pl_rx_policy *rp, struct pl_rx_counters *c)
{
	if (!rp)
		rp = &ring_take_all;
	if (!r || (!pkts && n))
		return -EINVAL;
	struct walk w = { .r = r, .rp = rp, .bsize = r->block_size, .queue = queue };
	/* The policy, read once per burst (it is the same for every frame of
	 * it; a concurrent address change shows from the next burst on). */
	uint64_t mac = __atomic_load_n(&rp->mac, __ATOMIC_RELAXED);
	if (__atomic_load_n(&rp->filter, __ATOMIC_RELAXED))
		/* Filtering for the device's own address: the kernel has
		 * compared already (PACKET_OTHERHOST), so the frame's bytes
		 * stay untouched. */
		w.filter = r->dev_addr_set && mac == r->dev_addr ? FILTER_KERNEL : FILTER_BYTES;
	uint8_t mb[8];
	memcpy(mb, &mac, sizeof(mb));
	memcpy(&w.m4, mb, 4);
	memcpy(&w.m2, mb + 4, 2);
	/* Frames with nothing to apply but the filter take the short path:
	 * no tag, no virtio-net header, no checksum to look at, no drops to
	 * note, and a policy that keeps every frame of 14 bytes or more (the
	 * walk refuses shorter ones anyway). The rest go through
	 * frame_general(). */
	w.slow_status = TP_STATUS_VLAN_VALID | TP_STATUS_LOSING |
			(rp->fix_unmarked ? TP_STATUS_CSUMNOTREADY : 0);
	w.min_mac = r->vnet || rp->min_len > 14 ? UINT64_MAX : r->min_mac;
	w.flags = (uint16_t)(PKTLINK_PKT_TSTAMP | (rp->rx_csum ? PKTLINK_PKT_CSUM_VALID : 0));

	struct pktlink_pkt *p = pkts, *pend = pkts + n;
	/* Bounded: each iteration walks up to n frames or finishes one block. */
	unsigned budget = n + r->nblocks * 2 + 2;
	while (p < pend && budget--) {
		uint32_t b = r->head;
		uint8_t *blk = (uint8_t *)block(r, b);
		if (!r->in_block) {
			if (r->pending[b])
				break; /* the caller still holds views from the last lap */
			struct tpacket_block_desc *bd = block(r, b);
			uint32_t st = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
			if (!(st & TP_STATUS_USER))
				break;
			/* V3 reports kernel drops on the block, not the frame
			 * (prb_close_block sets TP_STATUS_LOSING there). */
			if (st & TP_STATUS_LOSING)
				w.losing = true;
			uint32_t num = bd->hdr.bh1.num_pkts;
			uint32_t first = bd->hdr.bh1.offset_to_first_pkt;
			r->in_block = true;
			r->left = num;
			r->off = first;
			if (num == 0) {
				finish_block(r);
				continue;
			}
			if (first < sizeof(struct tpacket_block_desc) ||
			    (uint64_t)first + sizeof(struct tpacket3_hdr) > r->block_size) {
				w.bad++;
				finish_block(r);
				continue;
			}
		}
		w.handle = (uint64_t)queue << 32 | ((uint64_t)b + 1);
		struct pktlink_pkt *from = p;
		p = walk_block_as(&w, blk, &r->off, &r->left, p, pend);
		r->refs[b] += (uint32_t)(p - from);
		if (!r->left)
			finish_block(r);
	}
	if (c) {
		if (w.bad)
			pl_stat_add(&c->drop_invalid, w.bad);
		if (w.filtered)
			pl_stat_add(&c->drop_filter, w.filtered);
		if (w.trunc)
			pl_stat_add(&c->drop_nobuf, w.trunc);
	}
	if (w.losing)
		collect_drops(r, c);
	return (int)(p - pkts);
}

void pl_packet_rx_ring_release_handle(struct pl_packet_rx_ring *r, uint64_t handle, unsigned n)
{
	uint64_t b = (uint64_t)(uint32_t)handle - 1;
	/* Defensive: foreign or doubly released views are ignored rather
	 * than corrupting the count (n at once: as if one by one). */
	if (!r || (uint32_t)handle == 0 || b >= r->nblocks)
		return;
	uint32_t left = r->refs[b];
	if (!left)
		return;
	left = n < left ? left - n : 0;
	r->refs[b] = left;
	if (left == 0 && r->pending[b]) {
		r->pending[b] = 0;
		give_back(r, (uint32_t)b);
	}
}

void pl_packet_rx_ring_release(struct pl_packet_rx_ring *r, const struct pktlink_pkt *pkts,
			       unsigned n)
{
	if (!r || !pkts)
		return;
	/* views come back in runs of the same block: one update per run */
	unsigned i = 0;
	while (i < n) {
		uint32_t h = (uint32_t)pkts[i].priv;
		unsigned j = i + 1;
		while (j < n && (uint32_t)pkts[j].priv == h)
			j++;
		pl_packet_rx_ring_release_handle(r, h, j - i);
		i = j;
	}
}

int pl_packet_rx_ring_fd(const struct pl_packet_rx_ring *r)
{
	return r ? r->fd : -1;
}

void pl_packet_rx_ring_destroy(struct pl_packet_rx_ring *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	free(r->refs);
	free(r->pending);
	free(r);
}
