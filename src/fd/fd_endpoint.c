/* SPDX-License-Identifier: MIT */
/*
 * fd_endpoint.c — the fd-based endpoint (the seed: gVisor's fdbased package):
 * frames over boundary-preserving descriptors — TAP/TUN, AF_PACKET sockets,
 * SOCK_SEQPACKET/SOCK_DGRAM socketpairs — plus the injectable variant.
 *
 * Receive (per queue = per descriptor):
 *   readv     one frame per system call: readv() on character devices,
 *             recvmsg() on sockets (so MSG_TRUNC and PACKET_AUXDATA are seen).
 *   recvmmsg  one recvmmsg() per burst (sockets only).
 *   mmap      AF_PACKET TPACKET_V3 ring (fd/packet.h), zero-copy views.
 *   Each queue owns a fixed pool of receive buffers allocated at open and a
 *   free stack, so a view can be released in any order and receiving needs
 *   no allocation. When every buffer is out, rx_burst returns 0 and leaves
 *   frames in the kernel.
 *
 *   Buffer size: FD_HEADROOM (64) + frame, rounded to 64 bytes. The frame is
 *   MTU + link header + 4 (a VLAN tag), or 64 KiB when super-packets can
 *   arrive (a virtio-net header with GSO accepted). The pool is an anonymous
 *   mapping: a 64 KiB slot costs one page of memory until a super-packet
 *   actually lands in it, so 256 such slots are 16 MiB of address space but
 *   ~1 MiB resident under MTU-sized traffic. That is why there is no scatter
 *   list like the seed's: views must be contiguous to be zero-copy, and a
 *   scatter list would force a copy (or a multi-segment view) per large frame.
 *
 * Transmit: writev() for character devices, sendmmsg() batches for sockets
 *   (one system call per run of frames going to the same descriptor), or the
 *   AF_PACKET TX ring (tx=mmap). With several descriptors the frame's flow
 *   hash picks one (the fanout program hashes the same way, so a flow stays
 *   on one descriptor both ways). A virtio-net header goes before each frame
 *   when the descriptors have one; otherwise GSO super-packets are cut in
 *   software and partial checksums completed, into a per-endpoint scratch
 *   area (the caller's frame is never modified).
 *
 * Peer gone: an EOF on SOCK_SEQPACKET (-EPIPE), ECONNRESET / ECONNREFUSED /
 *   EPIPE from the kernel, a final POLLHUP, and a removed device (ENODEV,
 *   ENXIO, EBADFD; ENETDOWN when the device no longer exists) → the closed
 *   callback runs with the reason. Transient, not peer death: EAGAIN, EINTR,
 *   ENOBUFS, ENETDOWN while the device still exists (link down: the frame is
 *   dropped and counted in tx_errors), EIO from a TAP that is down (same),
 *   EMSGSIZE/EFAULT for one frame (that frame is dropped and counted).
 *   A SOCK_DGRAM socketpair has no hang-up signal: its peer's death is seen
 *   only when sending (ECONNREFUSED).
 *
 * Threading: the contract's (one RX thread per queue, one TX thread).
 * pktlink_fd_inject() may run on one thread at a time, concurrently with RX.
 */
#include "fd/fd_internal.h"

#include "core/fault.h"
#include "core/offload.h"
#include "core/opts.h"
#include "core/tx_prep.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ETH_HLEN_ 14u

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

/* What a descriptor kind is called in error messages (static strings). */
static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case FD_KIND_CHR:
		return "a character device (TAP/TUN)";
	case FD_KIND_PACKET:
		return "an AF_PACKET socket";
	case FD_KIND_DGRAM:
		return "a SOCK_DGRAM socket";
	case FD_KIND_SEQPACKET:
		return "a SOCK_SEQPACKET socket";
	default:
		return "an eventfd";
	}
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

/* ------------------------------------------------------------------------ */
/* Error classification                                                      */

/* The device of a packet: endpoint still exists? (costs a system call; only
 * on error paths) */
static bool fd_device_exists(const struct fd_ep *f)
{
	char name[IF_NAMESIZE];
	return f->ifindex <= 0 || if_indextoname((unsigned)f->ifindex, name) != NULL;
}

/*
 * Peer-gone paths leave the error detail to pl_ep_peer_gone() ("peer went
 * away: <reason>"): it writes it once, from the thread that won the race,
 * while several workers (one per queue) may notice the same death at once.
 */

/**
 * fd_gone_reason() - the peer-gone reason for errno e, or 0 when e is not
 * final (transient, or a problem with one frame). Called on error paths only.
 */
static int fd_gone_reason(const struct fd_ep *f, int e)
{
	switch (e) {
	case ECONNRESET:
		return -ECONNRESET;
	case ECONNREFUSED:
		return -ECONNREFUSED;
	case EPIPE:
		return -EPIPE;
	case ENOTCONN:
		return -ENOTCONN;
	case ENODEV:
	case ENXIO:
	case EBADFD: /* TAP/TUN whose device was deleted */
		return -ENODEV;
	case EBADF:
		return -EBADF; /* the descriptor was closed under us */
	case ENETDOWN:
		/* AF_PACKET reports both "link down" and "device unregistered"
		 * as ENETDOWN: only the second one is final. */
		return fd_device_exists(f) ? 0 : -ENODEV;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------------ */
/* Receive                                                                   */

static inline uint8_t *slot_base(const struct fd_ep *f, const struct fd_queue *q, uint32_t idx)
{
	return q->mem + (size_t)idx * f->slot_size;
}

/**
 * fd_rx_frame() - turn the bytes read into slot idx into a view, or drop
 * them (the receive policy, core/rx_policy.h). base points at the
 * virtio-net header (or the frame when there is none), r bytes were read;
 * ts is the receive time (0: none). Counts the outcome in c. Per-packet path: no
 * allocation, no lock. Return: true when p is a view to hand out.
 */
static bool fd_rx_frame(struct fd_ep *f, struct pl_rx_counters *c, unsigned qi, uint32_t idx,
			uint8_t *base, size_t r, int mflags, const struct tpacket_auxdata *aux,
			uint64_t ts, struct pktlink_pkt *p)
{
	if (PL_UNLIKELY((mflags & MSG_TRUNC) || r < f->vnet_len || r - f->vnet_len == 0))
		goto invalid;
	uint32_t len = (uint32_t)(r - f->vnet_len);
	memset(p, 0, sizeof(*p));
	if (f->vnet_len && PL_UNLIKELY(pl_vnet_to_pkt(base, len, p) != 0))
		goto invalid;
	p->data = base + f->vnet_len;
	p->len = len;
	if (ts) {
		p->timestamp = ts;
		p->flags |= PKTLINK_PKT_TSTAMP;
	}
	uint16_t tpid = 0, tci = 0;
	if (aux) {
		if (aux->tp_status & TP_STATUS_VLAN_VALID) {
			/* the kernel stripped the tag: the policy puts it back
			 * (the 4 bytes before data are headroom or the parsed
			 * virtio-net header) */
			tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) && aux->tp_vlan_tpid
				       ? aux->tp_vlan_tpid
				       : 0x8100;
			tci = aux->tp_vlan_tci;
		}
		if (aux->tp_status & (TP_STATUS_CSUM_VALID | TP_STATUS_CSUMNOTREADY))
			p->flags |= PKTLINK_PKT_CSUM_VALID; /* verified, or generated locally */
	}
	int v = pl_rx_apply(&f->ep.rxp, p, tpid, tci);
	if (PL_UNLIKELY(v != PL_RX_KEEP)) {
		if (v == PL_RX_FILTER) {
			pl_stat_add(&c->drop_filter, 1);
			return false;
		}
		goto invalid;
	}
	p->queue = (uint16_t)qi;
	p->priv = ((uint64_t)qi << 32) | idx;
	return true;
invalid:
	pl_stat_add(&c->drop_invalid, 1);
	return false;
}

/* Does queue q receive control messages (PACKET_AUXDATA, SO_TIMESTAMPNS)? */
static inline bool fd_q_cmsg(const struct fd_ep *f, const struct fd_queue *q)
{
	return q->kind == FD_KIND_PACKET || (f->tstamp && kind_is_socket(q->kind));
}

/* The control messages of one frame: PACKET_AUXDATA (NULL when absent) and
 * the SO_TIMESTAMPNS receive time in nanoseconds (0 when absent). */
static const struct tpacket_auxdata *fd_cmsgs(struct msghdr *mh, uint64_t *ts)
{
	const struct tpacket_auxdata *aux = NULL;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
			aux = (const struct tpacket_auxdata *)CMSG_DATA(cm);
		} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(cm), sizeof(t));
			*ts = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
		}
	}
	return aux;
}

/* The receive time of a frame read from a character device (no kernel
 * stamp there): the read's completion, from the vDSO (no system call). */
static inline uint64_t fd_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/**
 * fd_rx_error() - a receive system call failed with e after got frames.
 * Return: got (transient: stop this burst), or the peer-gone reason (when
 * got is 0; otherwise remembered and reported by the next call).
 */
static int fd_rx_error(struct fd_ep *f, struct fd_queue *q, unsigned got, int e)
{
	int gone = fd_gone_reason(f, e);
	if (!gone)
		return (int)got;
	if (got) {
		q->pending_gone = gone;
		return (int)got;
	}
	return pl_ep_peer_gone(&f->ep, gone);
}

/* EOF on a SOCK_SEQPACKET: the peer closed its end. */
static int fd_rx_eof(struct fd_ep *f, struct fd_queue *q, unsigned got)
{
	if (got) {
		q->pending_gone = -EPIPE;
		return (int)got;
	}
	return pl_ep_peer_gone(&f->ep, -EPIPE);
}

/* Errors that concern one frame only: drop it, count it, go on. */
static inline bool rx_frame_error(int e)
{
	return e == EFAULT || e == EMSGSIZE || e == EINVAL;
}

/**
 * fd_rx_single() - readv mode: one system call per frame (readv on TAP/TUN,
 * recvmsg on sockets). Reads into the slot on top of the free stack and pops
 * it only when the frame is accepted, so a dropped frame costs nothing.
 */
static int fd_rx_single(struct fd_ep *f, unsigned qi, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_queue *q = &f->q[qi];
	struct pl_rx_counters *c = &f->ep.rxc[qi];
	unsigned got = 0;
	/* bounded even when every frame read is filtered out */
	for (unsigned tries = n + FD_RX_BATCH; got < n && tries; tries--) {
		if (!q->nfree)
			break;
		uint32_t idx = q->freel[q->nfree - 1];
		uint8_t *base = slot_base(f, q, idx) + FD_HEADROOM - f->vnet_len;
		struct iovec iov = { base, f->vnet_len + f->frame_max };
		ssize_t r;
		int mflags = 0;
		const struct tpacket_auxdata *aux = NULL;
		uint64_t ts = 0;
		if (q->kind == FD_KIND_CHR) {
			r = readv(q->fd, &iov, 1);
			if (f->tstamp && r > 0)
				ts = fd_now_ns();
		} else {
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
			bool cm = fd_q_cmsg(f, q);
			if (cm) {
				mh.msg_control = q->cmsg;
				mh.msg_controllen = FD_CMSG_LEN;
			}
			r = recvmsg(q->fd, &mh, MSG_DONTWAIT);
			mflags = mh.msg_flags;
			if (r >= 0 && cm)
				aux = fd_cmsgs(&mh, &ts);
		}
		pl_stat_add(&c->syscalls, 1);
		if (r < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if (e == EAGAIN || e == EWOULDBLOCK)
				break;
			if (rx_frame_error(e)) {
				pl_stat_add(&c->drop_invalid, 1);
				continue;
			}
			return fd_rx_error(f, q, got, e);
		}
		if (r == 0 && q->kind == FD_KIND_SEQPACKET)
			return fd_rx_eof(f, q, got);
		if (fd_rx_frame(f, c, qi, idx, base, (size_t)r, mflags, aux, ts, &pkts[got])) {
			q->nfree--;
			q->out[idx] = 1;
			got++;
		}
	}
	return (int)got;
}

/**
 * fd_rx_mmsg() - recvmmsg mode: one system call per burst. Takes up to k
 * slots off the free stack, and pushes back the ones not used.
 */
static int fd_rx_mmsg(struct fd_ep *f, unsigned qi, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_queue *q = &f->q[qi];
	struct pl_rx_counters *c = &f->ep.rxc[qi];
	unsigned got = 0;
	for (unsigned rounds = 0; got < n && rounds < 4; rounds++) {
		unsigned k = n - got;
		if (k > q->nfree)
			k = q->nfree;
		if (k > FD_RX_BATCH)
			k = FD_RX_BATCH;
		if (!k)
			break;
		bool cm = fd_q_cmsg(f, q);
		/* the message headers were wired to iov[i] and cmsg[i] at
		 * setup; per call only the buffer and what the kernel rewrites
		 * (control length, flags) are set */
		for (unsigned i = 0; i < k; i++) {
			uint32_t idx = q->freel[q->nfree - 1 - i];
			q->bidx[i] = idx;
			q->iov[i].iov_base = slot_base(f, q, idx) + FD_HEADROOM - f->vnet_len;
			if (cm)
				q->msgs[i].msg_hdr.msg_controllen = FD_CMSG_LEN;
		}
		int r = recvmmsg(q->fd, q->msgs, k, MSG_DONTWAIT, NULL);
		pl_stat_add(&c->syscalls, 1);
		if (r < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if (e == EAGAIN || e == EWOULDBLOCK)
				break;
			if (rx_frame_error(e)) {
				pl_stat_add(&c->drop_invalid, 1);
				continue;
			}
			return fd_rx_error(f, q, got, e);
		}
		/* take the k slots, then give back what was not used */
		q->nfree -= k;
		int eof = 0;
		for (unsigned i = 0; i < k; i++) {
			uint32_t idx = q->bidx[i];
			if ((int)i < r && !eof) {
				struct msghdr *mh = &q->msgs[i].msg_hdr;
				if (q->msgs[i].msg_len == 0 && q->kind == FD_KIND_SEQPACKET) {
					eof = 1;
				} else {
					uint64_t ts = 0;
					const struct tpacket_auxdata *aux =
						cm ? fd_cmsgs(mh, &ts) : NULL;
					if (fd_rx_frame(f, c, qi, idx, q->iov[i].iov_base,
							q->msgs[i].msg_len, mh->msg_flags, aux, ts,
							&pkts[got])) {
						q->out[idx] = 1;
						got++;
						continue;
					}
				}
			}
			q->freel[q->nfree++] = idx;
		}
		if (eof)
			return fd_rx_eof(f, q, got);
		if ((unsigned)r < k)
			break; /* the kernel had no more */
	}
	return (int)got;
}

/**
 * fd_rx_ring() - mmap mode: views straight into the TPACKET_V3 ring; frames
 * the filter rejects go back to the ring at once.
 */
static int fd_rx_ring(struct fd_ep *f, unsigned qi, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_queue *q = &f->q[qi];
	int r = pl_packet_rx_ring_burst(q->ring, pkts, n, (uint16_t)qi, &f->ep.rxp, &f->ep.rxc[qi]);
	if (r < 0) {
		int e = -r;
		if (e == EAGAIN || e == EINTR)
			return 0;
		return fd_rx_error(f, q, 0, e);
	}
	return r;
}

/**
 * fd_rx_inject() - the injectable variant's queue: frames copied in by
 * pktlink_fd_inject(), handed out as views of our buffers.
 */
static int fd_rx_inject(struct fd_ep *f, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_queue *q = &f->q[0];
	struct pl_rx_counters *c = &f->ep.rxc[0];
	unsigned got = 0;
	for (int pass = 0; pass < 2 && got == 0; pass++) {
		uint32_t idx;
		while (got < n && fd_spsc_pop(&q->ready, &idx)) {
			uint8_t *b = slot_base(f, q, idx);
			uint32_t len;
			memcpy(&len, b, sizeof(len)); /* stored by the injector */
			struct pktlink_pkt *p = &pkts[got++];
			memset(p, 0, sizeof(*p));
			p->data = b + FD_HEADROOM;
			p->len = len;
			p->priv = idx;
			q->out[idx] = 1;
		}
		if (got || pass)
			break;
		/* Empty: consume the wake-up, then look once more, so a frame
		 * pushed between our check and the read is not left unsignalled
		 * (the injector pushes before it writes the eventfd). */
		uint64_t v;
		ssize_t rr = read(f->inject_fd, &v, sizeof(v));
		(void)rr;
		pl_stat_add(&c->syscalls, 1);
	}
	return (int)got;
}

/* ops->rx_burst */
static int fd_rx_burst(struct pktlink_ep *ep, unsigned qi, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	struct fd_queue *q = &f->q[qi];
	if (PL_UNLIKELY(q->pending_gone)) {
		int g = q->pending_gone;
		q->pending_gone = 0;
		return pl_ep_peer_gone(ep, g);
	}
	if (!n)
		return 0;
	int r;
	if (f->o.injectable)
		r = fd_rx_inject(f, pkts, n);
	else if (f->rx_mode == PKTLINK_FD_RX_MMAP)
		r = fd_rx_ring(f, qi, pkts, n);
	else if (f->rx_mode == PKTLINK_FD_RX_RECVMMSG)
		r = fd_rx_mmsg(f, qi, pkts, n);
	else
		r = fd_rx_single(f, qi, pkts, n);
	if (r > 0)
		q->strikes = 0;
	return r;
}

/* ops->rx_release: views from any queue, in any order. */
static void fd_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	if (!f->o.injectable && f->rx_mode == PKTLINK_FD_RX_MMAP) {
		/* hand runs of the same queue to that queue's ring; the queue
		 * comes from the handle (priv), never from the public .queue,
		 * which the caller may have changed */
		unsigned i = 0;
		while (i < n) {
			uint64_t qi = pkts[i].priv >> 32;
			unsigned j = i + 1;
			while (j < n && pkts[j].priv >> 32 == qi)
				j++;
			if (qi < f->nq && f->q[qi].ring)
				pl_packet_rx_ring_release(f->q[qi].ring, &pkts[i], j - i);
			i = j;
		}
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t priv = pkts[i].priv;
		unsigned qi = (unsigned)(priv >> 32);
		uint32_t idx = (uint32_t)priv;
		if (PL_UNLIKELY(qi >= f->nq))
			continue;
		struct fd_queue *q = &f->q[qi];
		/* a view that is not out (double release, garbage) is ignored
		 * rather than corrupting the free list */
		if (PL_UNLIKELY(idx >= q->nbufs || !q->out[idx]))
			continue;
		q->out[idx] = 0;
		if (f->o.injectable)
			fd_spsc_push(&q->freeq, idx); /* cannot be full: nbufs slots */
		else
			q->freel[q->nfree++] = idx;
	}
}

/* ------------------------------------------------------------------------ */
/* Transmit                                                                  */

/* Pick the descriptor of a frame: its flow hash, the one the fanout program
 * computes, so both directions of a flow use one descriptor. */
static inline uint16_t fd_pick(const struct fd_ep *f, const uint8_t *data, uint32_t len)
{
	if (f->nfds <= 1)
		return 0;
	uint32_t h;
	if (f->eth) {
		h = pl_packet_flow_hash(data, len);
	} else {
		/* IP-only frames (TUN): hash them as if behind an Ethernet
		 * header, on a bounded copy of the headers */
		uint8_t tmp[14 + 80];
		uint32_t l = len < 80 ? len : 80;
		memset(tmp, 0, 12);
		tmp[12] = (l && (data[0] >> 4) == 6) ? 0x86 : 0x08;
		tmp[13] = (l && (data[0] >> 4) == 6) ? 0xdd : 0x00;
		memcpy(tmp + 14, data, l);
		h = pl_packet_flow_hash(tmp, 14 + l);
	}
	return (uint16_t)(h % f->nfds);
}

/* TX paths of one caller frame: the core's verdicts (core/tx_prep.h), with
 * PL_TX_PLAIN and PL_TX_PASS both "direct" (a virtio-net header, when the
 * descriptors carry one, says which). */
enum { TXP_INVALID = PL_TX_INVALID, TXP_DIRECT = PL_TX_PLAIN, TXP_SWGSO = PL_TX_GSO,
       TXP_CSUM = PL_TX_CSUM };

/* Decide how to send p (no side effects). */
static inline int fd_tx_classify(const struct fd_ep *f, const struct pktlink_pkt *p)
{
	int how = pl_tx_classify(&f->tc, p);
	return how == PL_TX_PASS ? TXP_DIRECT : how;
}

/* Add one out-frame (data, len) for caller frame src; hdr = virtio-net header
 * already written to f->vhdr[m] when the descriptors carry one. */
static inline void fd_out_add(struct fd_ep *f, unsigned m, uint16_t fdi, uint32_t src,
			      uint8_t *data, uint32_t len, const struct pktlink_pkt *pk)
{
	struct fd_out *o = &f->outs[m];
	unsigned k = 0;
	if (f->vnet_len) {
		o->iov[k].iov_base = f->vhdr[m];
		o->iov[k].iov_len = f->vnet_len;
		k++;
	}
	o->iov[k].iov_base = data;
	o->iov[k].iov_len = len;
	k++;
	o->niov = (uint16_t)k;
	o->fdi = fdi;
	o->src = src;
	memset(&f->tmsg[m], 0, sizeof(f->tmsg[m]));
	f->tmsg[m].msg_hdr.msg_iov = o->iov;
	f->tmsg[m].msg_hdr.msg_iovlen = k;
	f->tpk[m] = *pk;
	f->tpk[m].data = data;
	f->tpk[m].len = len;
}

/**
 * fd_tx_error() - a send of out-frame s failed with e.
 * Return: 1 to stop (would block), 0 when the frame was dropped (counted)
 * and sending goes on, or the peer-gone reason.
 */
static int fd_tx_error(struct fd_ep *f, int e)
{
	if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS)
		return 1;
	int gone = fd_gone_reason(f, e);
	if (gone) {
		return pl_ep_peer_gone(&f->ep, gone);
	}
	/* one frame refused (EMSGSIZE, EINVAL), or the link is down
	 * (ENETDOWN, EIO): drop it like a NIC without carrier would */
	pl_stat_add(&f->ep.txc.errors, 1);
	return 0;
}

/**
 * fd_flush() - send out-frames [0, m). Return how many were consumed (sent,
 * or dropped with tx_errors), or the peer-gone reason.
 */
static int fd_flush(struct fd_ep *f, unsigned m)
{
	struct pl_tx_counters *c = &f->ep.txc;
	if (f->tx_mode == PKTLINK_FD_TX_MMAP) {
		unsigned s = 0;
		for (int tries = 0; s < m && tries < 4; tries++) {
			int r = pl_packet_tx_ring_send(f->txr, &f->tpk[s], m - s, c);
			if (r > 0) {
				s += (unsigned)r;
				continue;
			}
			if (r == 0)
				break;
			int t = fd_tx_error(f, -r);
			if (t < 0)
				return t;
			if (t == 1)
				break;
			s++; /* that frame was dropped */
		}
		return (int)s;
	}
	unsigned s = 0;
	unsigned intr = 0;
	while (s < m) {
		unsigned fdi = f->outs[s].fdi;
		int fd = f->fds[fdi];
		uint8_t kind = f->fd_kind[fdi];
		ssize_t r;
		unsigned e = s + 1;
		if (kind_is_socket(kind) && f->tx_mode != PKTLINK_FD_TX_WRITEV) {
			while (e < m && f->outs[e].fdi == fdi)
				e++;
			r = sendmmsg(fd, &f->tmsg[s], e - s, MSG_DONTWAIT | MSG_NOSIGNAL);
		} else if (kind_is_socket(kind)) {
			/* sendmsg, not writev: MSG_NOSIGNAL keeps a closed peer
			 * from raising SIGPIPE */
			r = sendmsg(fd, &f->tmsg[s].msg_hdr, MSG_DONTWAIT | MSG_NOSIGNAL);
			r = r < 0 ? -1 : 1;
		} else {
			r = writev(fd, f->outs[s].iov, f->outs[s].niov);
			r = r < 0 ? -1 : 1;
		}
		pl_stat_add(&c->syscalls, 1);
		if (r > 0) {
			s += (unsigned)r;
			continue;
		}
		if (r == 0)
			break;
		int err = errno;
		if (err == EINTR) {
			if (++intr < 4)
				continue;
			break;
		}
		int t = fd_tx_error(f, err);
		if (t < 0)
			return t;
		if (t == 1)
			break;
		s++; /* dropped and counted */
	}
	return (int)s;
}

/**
 * fd_settle() - after a flush consumed s of m out-frames (s < m): how many
 * caller frames were taken. A caller frame whose out-frames were partly sent
 * (a software-GSO super-packet) counts as taken; its lost segments (unsent
 * ones plus never-built ones, unbuilt) go to tx_errors.
 */
static unsigned fd_settle(struct fd_ep *f, unsigned s, unsigned m, uint32_t unbuilt_of_last)
{
	uint32_t j = f->outs[s].src;
	bool partial = s > 0 && f->outs[s - 1].src == j;
	if (!partial)
		return j;
	uint64_t lost = 0;
	for (unsigned k = s; k < m && f->outs[k].src == j; k++)
		lost++;
	if (f->outs[m - 1].src == j)
		lost += unbuilt_of_last;
	pl_stat_add(&f->ep.txc.errors, lost);
	return j + 1;
}

/**
 * fd_tx_txbuf_fixup() - a zero-copy ring buffer (PKTLINK_PKT_TXBUF) must go
 * to the ring as it is: a scratch copy would leave its slot lent and stall
 * the ring behind it. A partial checksum is therefore completed in place
 * (the buffer is the endpoint's memory) and the flag cleared in the caller's
 * pkt, so a retry of an untaken frame does not complete it twice. A
 * super-packet cannot be cut in place: without vnet_hdr it is invalid.
 */
static int fd_tx_txbuf_fixup(struct fd_ep *f, struct pktlink_pkt *p, int path)
{
	(void)f;
	if (path == TXP_CSUM)
		return pl_tx_csum_in_place(p) ? TXP_INVALID : TXP_DIRECT;
	return TXP_INVALID;
}

/* ops->tx_burst */
static int fd_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	struct pl_tx_counters *c = &ep->txc;
	unsigned m = 0; /* pending out-frames */
	size_t sused = 0; /* scratch bytes used by them */
	for (unsigned i = 0; i < n; i++) {
		struct pktlink_pkt *p = &pkts[i];
		int path = fd_tx_classify(f, p);
		if (PL_UNLIKELY(p->flags & PKTLINK_PKT_TXBUF) && f->txr && path != TXP_DIRECT)
			path = fd_tx_txbuf_fixup(f, p, path);
		uint8_t vtmp[16];
		if (path == TXP_DIRECT && f->vnet_len &&
		    pl_pkt_to_vnet(p, f->link_len, vtmp, f->vnet_len))
			path = TXP_INVALID;
		if (path == TXP_INVALID) {
			/* flush first, so that "taken" stays a prefix */
			if (m) {
				int s = fd_flush(f, m);
				if (s < 0)
					return s;
				if ((unsigned)s < m)
					return (int)fd_settle(f, (unsigned)s, m, 0);
				m = 0;
				sused = 0;
			}
			if (PL_UNLIKELY(p->flags & PKTLINK_PKT_TXBUF) && f->txr)
				pl_packet_tx_ring_free(f->txr, p, 1); /* taken: the ring's again */
			pl_tx_invalid(c, 1, p->len);
			continue;
		}
		if (path == TXP_DIRECT || path == TXP_CSUM) {
			if (m == FD_TX_BATCH || (path == TXP_CSUM && sused + f->scratch_slot > f->scratch_len)) {
				int s = fd_flush(f, m);
				if (s < 0)
					return s;
				if ((unsigned)s < m)
					return (int)fd_settle(f, (unsigned)s, m, 0);
				m = 0;
				sused = 0;
			}
			uint16_t fdi = fd_pick(f, p->data, p->len);
			if (path == TXP_DIRECT) {
				if (f->vnet_len)
					memcpy(f->vhdr[m], vtmp, f->vnet_len);
				fd_out_add(f, m, fdi, i, p->data, p->len, p);
			} else {
				uint8_t *d = f->scratch + sused;
				struct pl_tx_iter it;
				if (pl_tx_iter_init(&it, &f->tc, p, PL_TX_CSUM) < 0 ||
				    pl_tx_iter_next(&it, d, f->scratch_slot) < 0) {
					/* offsets outside the frame: nothing was queued
					 * for it. Flush what precedes first, so "taken"
					 * stays a prefix and a retry does not count the
					 * drop twice. */
					if (m) {
						int s = fd_flush(f, m);
						if (s < 0)
							return s;
						if ((unsigned)s < m)
							return (int)fd_settle(f, (unsigned)s, m, 0);
						m = 0;
						sused = 0;
					}
					pl_tx_invalid(c, 1, p->len);
					continue;
				}
				struct pktlink_pkt plain;
				memset(&plain, 0, sizeof(plain));
				if (f->vnet_len)
					memset(f->vhdr[m], 0, sizeof(f->vhdr[m]));
				fd_out_add(f, m, fdi, i, d, p->len, &plain);
				sused += f->scratch_slot;
			}
			m++;
			continue;
		}
		/* software GSO: cut into MTU-sized segments in the scratch area */
		struct pl_tx_iter g;
		int total_or_err = pl_tx_iter_init(&g, &f->tc, p, PL_TX_GSO);
		if (total_or_err < 0) {
			if (m) {
				int s = fd_flush(f, m);
				if (s < 0)
					return s;
				if ((unsigned)s < m)
					return (int)fd_settle(f, (unsigned)s, m, 0);
				m = 0;
				sused = 0;
			}
			pl_tx_invalid(c, 1, p->len);
			continue;
		}
		uint32_t total = (uint32_t)total_or_err, built = 0;
		uint16_t fdi = fd_pick(f, p->data, p->len);
		bool bad = false;
		while (built < total) {
			if (m == FD_TX_BATCH || sused + f->scratch_slot > f->scratch_len) {
				int s = fd_flush(f, m);
				if (s < 0)
					return s;
				if ((unsigned)s < m)
					return (int)fd_settle(f, (unsigned)s, m, total - built);
				m = 0;
				sused = 0;
			}
			uint8_t *d = f->scratch + sused;
			/* An Ethernet segment may carry one 802.1Q tag on top of
			 * link_len + MTU (tc.frame_max allows for it). */
			int sl = pl_tx_iter_next(&g, d, f->tc.frame_max);
			if (sl <= 0) {
				bad = sl < 0;
				break;
			}
			struct pktlink_pkt plain;
			memset(&plain, 0, sizeof(plain));
			if (f->vnet_len)
				memset(f->vhdr[m], 0, sizeof(f->vhdr[m]));
			fd_out_add(f, m, fdi, i, d, (uint32_t)sl, &plain);
			m++;
			sused += f->scratch_slot;
			built++;
		}
		if (bad) {
			/* malformed, or a segment larger than the MTU: segments
			 * all have the same size, so this fails on the first one
			 * (nothing was queued: drop the frame); a later failure
			 * loses the rest of it */
			if (built == 0)
				pl_tx_invalid(c, 1, p->len);
			else
				pl_stat_add(&c->errors, total - built);
		}
	}
	if (m) {
		int s = fd_flush(f, m);
		if (s < 0)
			return s;
		if ((unsigned)s < m)
			return (int)fd_settle(f, (unsigned)s, m, 0);
	}
	return (int)n;
}

/* ------------------------------------------------------------------------ */
/* Waiting, properties, stats                                                */

/* ops->queue_fd */
static int fd_queue_fd(const struct pktlink_ep *ep, unsigned qi)
{
	const struct fd_ep *f = to_fd_const(ep);
	if (qi >= f->nq)
		return -EINVAL;
	return f->q[qi].fd;
}

/**
 * fd_rx_wait() - ops->rx_wait: sleep until queue qi is readable, stop_fd
 * fires or timeout_ms passes, and decide whether an error/hang-up wake-up is
 * final. POLLERR on a socket: read (and clear) SO_ERROR and classify it, so
 * a link going down does not look like a dead peer. POLLHUP on a socket with
 * nothing left to read: final. On a TAP/TUN: let rx_burst read the error
 * (EBADFD after the device was deleted); three error wake-ups in a row with
 * nothing read are final too, so the loop cannot spin.
 */
static int fd_rx_wait(struct pktlink_ep *ep, unsigned qi, int stop_fd, int timeout_ms)
{
	struct fd_ep *f = to_fd(ep);
	struct fd_queue *q = &f->q[qi];
	struct pollfd pfd[2] = {
		{ .fd = q->fd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int r = poll(pfd, stop_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	short re = pfd[0].revents;
	if (re & POLLNVAL)
		return pl_ep_peer_gone(ep, -EBADF);
	if ((re & POLLIN) || !(re & (POLLERR | POLLHUP)))
		return r;
	if (kind_is_socket(q->kind)) {
		if (re & POLLERR) {
			int e = 0;
			socklen_t sl = sizeof(e);
			if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e) {
				int gone = fd_gone_reason(f, e);
				if (gone)
					return pl_ep_peer_gone(ep, gone);
			}
		}
		if (re & POLLHUP) /* nothing left to read: a final hang-up */
			return pl_ep_peer_gone(ep, -ECONNRESET);
		return 0;
	}
	if (++q->strikes >= 3)
		return pl_ep_peer_gone(ep, -ENODEV);
	return 0;
}

/* ops->set_link_addr: publish the new address to the RX filter. */

/* ops->read_stats: add the kernel's drop counters (AF_PACKET socket buffer
 * overflows, readv/recvmmsg modes) and the inject queue's overflows.
 * pl_packet_kernel_drops() reads and resets, so the sum is kept here; atomic
 * because stats may be read from any thread. In mmap mode the RX ring reads
 * the same counter itself when a block reports losses and counts them as
 * rx_drop_nobuf (its ring was full), so it is left alone here. */
static int fd_read_stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	struct fd_ep *f = to_fd(ep);
	if (!f->o.injectable && f->rx_mode != PKTLINK_FD_RX_MMAP && f->nfds &&
	    f->fd_kind[0] == FD_KIND_PACKET) {
		uint64_t d = 0;
		for (unsigned i = 0; i < f->nfds; i++)
			d += pl_packet_kernel_drops(f->fds[i]);
		if (d)
			__atomic_add_fetch(&f->kdrops, d, __ATOMIC_RELAXED);
	}
	st->rx_drop_kernel += __atomic_load_n(&f->kdrops, __ATOMIC_RELAXED);
	st->rx_drop_nobuf += __atomic_load_n(&f->inject_nobuf, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Teardown                                                                  */

/* Free one queue's receive state (safe on a half-built queue). */
static void fd_queue_free(struct fd_queue *q)
{
	pl_packet_rx_ring_destroy(q->ring);
	q->ring = NULL;
	if (q->mem)
		munmap(q->mem, q->mem_len);
	q->mem = NULL;
	free(q->freel);
	free(q->out);
	free(q->msgs);
	free(q->iov);
	free(q->cmsg);
	free(q->bidx);
	free(q->ready.slot);
	free(q->freeq.slot);
}

/**
 * fd_destroy() - ops->destroy: undo every setup step that was done, in
 * reverse: the epoll set (core), the inject eventfd, the TX scratch, the
 * queues' buffers and rings, the TX ring, then the descriptors we own
 * (tap:/tun:/packet:; handed-in ones never). Then the endpoint itself.
 */
static void fd_destroy(struct pktlink_ep *ep)
{
	struct fd_ep *f = to_fd(ep);
	pl_ep_fini(ep); /* the epoll set first: it refers to the queue fds */
	if (f->inject_fd >= 0)
		close(f->inject_fd);
	if (f->scratch)
		munmap(f->scratch, f->scratch_len);
	if (f->q) {
		for (unsigned i = 0; i < f->nq; i++)
			fd_queue_free(&f->q[i]);
		free(f->q);
	}
	pl_packet_tx_ring_destroy(f->txr);
	if (f->origin != FD_ORIGIN_HANDED)
		for (unsigned i = 0; i < f->nfds_open; i++)
			if (f->fds[i] >= 0)
				close(f->fds[i]);
	free(f);
}

/**
 * fd_tx_alloc() - ops->tx_alloc of tx=mmap endpoints: lend TX ring slots for
 * zero-copy transmit (pl_packet_tx_ring_alloc()). TX thread only.
 */
static int fd_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	return pl_packet_tx_ring_alloc(f->txr, pkts, n, &ep->txc);
}

/** fd_tx_free() - ops->tx_free: give lent ring slots back. TX thread only. */
static void fd_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	pl_packet_tx_ring_free(f->txr, pkts, n);
}

#define FD_OPS_COMMON                                                                          \
	.family = "fd", .core_counts = true, .rx_burst = fd_rx_burst, .rx_release = fd_rx_release,                 \
	.tx_burst = fd_tx_burst, .queue_fd = fd_queue_fd, .rx_wait = fd_rx_wait,               \
	.read_stats = fd_read_stats, .destroy = fd_destroy

static const struct pl_ep_ops fd_ops = { FD_OPS_COMMON };

/* With a TX ring (packet:, tx=mmap): zero-copy TX buffers too. */
static const struct pl_ep_ops fd_ops_txring = {
	FD_OPS_COMMON,
	.tx_alloc = fd_tx_alloc,
	.tx_free = fd_tx_free,
};

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */

/* A failure injected at a setup step: report it like the kernel would. */
static int fd_fault(char *err, size_t errlen, const char *step)
{
	return pl_err(err, errlen, -EFAULT, "setup step '%s' failed (injected fault)", step);
}

/**
 * fd_classify() - what descriptor fd is, with an error naming the fix when
 * pktlink cannot use it. Return: 0 with *kind set, or -EINVAL / -EBADF.
 */
static int fd_classify(int fd, uint8_t *kind, char *err, size_t errlen)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return pl_err(err, errlen, -EBADF, "fds: descriptor %d is not open", fd);
	if (S_ISCHR(st.st_mode)) {
		*kind = FD_KIND_CHR;
		return 0;
	}
	if (!S_ISSOCK(st.st_mode))
		return pl_err(err, errlen, -EINVAL,
			      "fds: descriptor %d is neither a socket nor a character device: "
			      "pktlink needs a boundary-preserving descriptor (TAP/TUN, AF_PACKET, "
			      "SOCK_SEQPACKET or SOCK_DGRAM)",
			      fd);
	int type = 0, dom = 0;
	socklen_t l = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0)
		return pl_err(err, errlen, -errno, "fds: SO_TYPE of descriptor %d: %s", fd,
			      strerror(errno));
	l = sizeof(dom);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) != 0)
		dom = -1;
	if (dom == AF_PACKET) {
		*kind = FD_KIND_PACKET;
		return 0;
	}
	if (type == SOCK_SEQPACKET) {
		*kind = FD_KIND_SEQPACKET;
		return 0;
	}
	if (type == SOCK_DGRAM || type == SOCK_RAW) {
		*kind = FD_KIND_DGRAM;
		return 0;
	}
	return pl_err(err, errlen, -EINVAL,
		      "fds: descriptor %d is a stream socket, which does not keep frame boundaries: "
		      "use socketpair(AF_UNIX, SOCK_SEQPACKET or SOCK_DGRAM)",
		      fd);
}

/**
 * fd_validate() - check the option combinations that do not depend on the
 * descriptors, and fill defaults. Errors name the option and the fix.
 */
static int fd_validate(struct fd_setup *s, char *err, size_t errlen)
{
	struct pktlink_fd_opts *o = &s->o;
	bool spec = s->origin != FD_ORIGIN_HANDED;
	const char *k_mtu = "mtu", *k_vnet = spec ? "vnet_hdr" : "vnet_hdr (opts.vnet_hdr)";
	if (s->mtu_given && (o->mtu < 68 || o->mtu > 65535))
		return pl_err(err, errlen, -EINVAL,
			      "%s: %u is out of range: use 68 to 65535 (1500 for Ethernet)", k_mtu,
			      o->mtu);
	if (o->vnet_hdr_len && o->vnet_hdr_len != 10 && o->vnet_hdr_len != 12)
		return pl_err(err, errlen, -EINVAL,
			      "vnet_hdr_len: %u is not a virtio-net header size: use 10 or 12",
			      o->vnet_hdr_len);
	if (o->vnet_hdr_len && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "vnet_hdr_len is set but vnet_hdr is off: set vnet_hdr=1 too");
	if (o->gso > PKTLINK_FD_GSO_SOFTWARE)
		return pl_err(err, errlen, -EINVAL, "gso: %u is not a mode: use none, host or software",
			      (unsigned)o->gso);
	if (o->gso == PKTLINK_FD_GSO_HOST && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "gso=host needs %s=1: the kernel learns about super-packets from the "
			      "virtio-net header; set it, or use gso=software",
			      k_vnet);
	if (o->gso_max_size && (o->gso == PKTLINK_FD_GSO_NONE || o->gso_max_size > FD_SUPER_MAX ||
				o->gso_max_size < 1280))
		return pl_err(err, errlen, -EINVAL,
			      o->gso == PKTLINK_FD_GSO_NONE
				      ? "gso_max_size is set but gso is none: set gso=host or "
					"gso=software, or drop gso_max_size"
				      : "gso_max_size: %u is out of range: use 1280 to 65536",
			      o->gso_max_size);
	if (o->gso != PKTLINK_FD_GSO_NONE && !o->gso_max_size)
		o->gso_max_size = FD_SUPER_MAX;
	if (o->rx_mode > PKTLINK_FD_RX_MMAP)
		return pl_err(err, errlen, -EINVAL,
			      "rx: %u is not a receive mode: use readv, recvmmsg or mmap",
			      (unsigned)o->rx_mode);
	if (o->tx_mode > PKTLINK_FD_TX_MMAP)
		return pl_err(err, errlen, -EINVAL,
			      "tx: %u is not a transmit mode: use auto, writev, sendmmsg or mmap",
			      (unsigned)o->tx_mode);
	if (!o->eth_header && (o->has_link_addr || o->promiscuous))
		return pl_err(err, errlen, -EINVAL,
			      "%s: frames without an Ethernet header have no MAC address to "
			      "filter on: set hdr=eth (opts.eth_header) or drop it",
			      o->has_link_addr ? "addr" : "promisc");
	if (o->rx_ring_frames > 65536 || (o->rx_ring_frames && o->rx_ring_frames < 2))
		return pl_err(err, errlen, -EINVAL, "frames: %u is out of range: use 2 to 65536",
			      o->rx_ring_frames);
	if (!o->rx_ring_frames)
		o->rx_ring_frames = FD_DEFAULT_FRAMES;
	if (o->injectable && o->rx_mode != PKTLINK_FD_RX_READV)
		return pl_err(err, errlen, -EINVAL,
			      "rx: an injectable endpoint never reads its descriptors: drop rx "
			      "(inbound frames come from pktlink_fd_inject())");
	if (s->origin == FD_ORIGIN_HANDED) {
		if (!o->fds || !o->num_fds || o->num_fds > PL_MAX_QUEUES)
			return pl_err(err, errlen, -EINVAL,
				      "fds: give 1 to %d descriptors (opts.fds, opts.num_fds)",
				      PL_MAX_QUEUES);
		if (!s->mtu_given)
			return pl_err(err, errlen, -EINVAL,
				      "mtu is required for descriptors handed in: set mtu (for "
				      "example 1500)");
	}
	return 0;
}

/* Check the handed-in descriptors against the modes asked for. */
static int fd_validate_fds(struct fd_setup *s, uint8_t *kinds, char *err, size_t errlen)
{
	struct pktlink_fd_opts *o = &s->o;
	for (unsigned i = 0; i < o->num_fds; i++) {
		int r = fd_classify(o->fds[i], &kinds[i], err, errlen);
		if (r)
			return r;
		for (unsigned j = 0; j < i; j++)
			if (o->fds[j] == o->fds[i])
				return pl_err(err, errlen, -EINVAL,
					      "fds: descriptor %d is listed twice: give each once",
					      o->fds[i]);
		if (o->injectable)
			continue;
		if (o->rx_mode == PKTLINK_FD_RX_RECVMMSG && !kind_is_socket(kinds[i]))
			return pl_err(err, errlen, -EINVAL,
				      "rx=recvmmsg needs a socket; fd %d is %s: use rx=readv",
				      o->fds[i], kind_name(kinds[i]));
		if (o->rx_mode == PKTLINK_FD_RX_MMAP && kinds[i] != FD_KIND_PACKET)
			return pl_err(err, errlen, -EINVAL,
				      "rx=mmap needs an AF_PACKET socket; fd %d is %s: use rx=readv "
				      "(or rx=recvmmsg for sockets)",
				      o->fds[i], kind_name(kinds[i]));
	}
	for (unsigned i = 0; i < o->num_fds; i++) {
		if (o->tx_mode == PKTLINK_FD_TX_SENDMMSG && !kind_is_socket(kinds[i]))
			return pl_err(err, errlen, -EINVAL,
				      "tx=sendmmsg needs a socket; fd %d is %s: use tx=writev "
				      "(or leave tx unset)",
				      o->fds[i], kind_name(kinds[i]));
		if (o->tx_mode == PKTLINK_FD_TX_MMAP)
			return pl_err(err, errlen, -EINVAL,
				      "tx=mmap needs a TX ring socket of its own on the device: use "
				      "pktlink_open(\"packet:IFNAME?tx=mmap\")");
	}
	return 0;
}

/* Read MTU, hardware type and MAC of the device of a packet: endpoint. */
static int fd_packet_dev_props(struct fd_ep *f, struct fd_setup *s, char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned)f->ifindex, ifr.ifr_name))
		return pl_err(err, errlen, -ENODEV, "packet: device %s is gone", s->ifname);
	if (ioctl(f->fds[0], SIOCGIFHWADDR, &ifr) != 0)
		return pl_err(err, errlen, -errno, "packet:%s: SIOCGIFHWADDR: %s", s->ifname,
			      strerror(errno));
	unsigned hw = ifr.ifr_hwaddr.sa_family;
	s->o.eth_header = hw == ARPHRD_ETHER || hw == ARPHRD_LOOPBACK;
	if (s->o.eth_header && !s->o.has_link_addr) {
		memcpy(s->o.link_addr, ifr.ifr_hwaddr.sa_data, 6);
		s->o.has_link_addr = true;
	}
	if (!s->o.eth_header && (s->o.has_link_addr || s->o.promiscuous))
		return pl_err(err, errlen, -EINVAL,
			      "addr/promisc: device %s carries no Ethernet header (ARP type %u): "
			      "drop addr and promisc",
			      s->ifname, hw);
	if (ioctl(f->fds[0], SIOCGIFMTU, &ifr) != 0)
		return pl_err(err, errlen, -errno, "packet:%s: SIOCGIFMTU: %s", s->ifname,
			      strerror(errno));
	if (!s->mtu_given)
		s->o.mtu = (uint32_t)ifr.ifr_mtu;
	f->dev_mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
}

/*
 * The MTU of a TAP/TUN device opened by name (it may exist already, with a
 * larger MTU than pktlink's default): buffers must hold what the kernel
 * writes. A TUN/TAP fd does not answer SIOCGIFMTU, so a short-lived
 * AF_UNIX socket asks (closed before returning).
 */
static int fd_tun_dev_mtu(struct fd_ep *f, struct fd_setup *s, char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->ifname);
	int sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return pl_err(err, errlen, -errno, "%s: socket for SIOCGIFMTU: %s", s->ifname,
			      strerror(errno));
	int r = ioctl(sk, SIOCGIFMTU, &ifr);
	int e = errno;
	close(sk);
	if (r != 0)
		return pl_err(err, errlen, -e, "%s: SIOCGIFMTU: %s", s->ifname, strerror(e));
	f->dev_mtu = (uint32_t)ifr.ifr_mtu;
	if (!s->mtu_given)
		s->o.mtu = f->dev_mtu;
	return 0;
}

/* Allocate queue qi's receive buffers and batch arrays (readv, recvmmsg and
 * inject modes; mmap mode uses the ring's memory). */
static int fd_queue_alloc(struct fd_ep *f, unsigned qi, char *err, size_t errlen)
{
	struct fd_queue *q = &f->q[qi];
	uint32_t nb = f->o.rx_ring_frames;
	q->nbufs = nb;
	q->mem_len = (size_t)nb * f->slot_size;
	/* anonymous and lazily backed: see the buffer-size note at the top */
	void *m = mmap(NULL, q->mem_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		q->mem = NULL;
		return pl_err(err, errlen, -ENOMEM,
			      "queue %u: cannot map %zu bytes of receive buffers (%u x %u): lower "
			      "frames or mtu",
			      qi, q->mem_len, nb, f->slot_size);
	}
	q->mem = m;
	q->freel = calloc(nb, sizeof(*q->freel));
	q->out = calloc(nb, 1);
	q->msgs = calloc(FD_RX_BATCH, sizeof(*q->msgs));
	q->iov = calloc(FD_RX_BATCH, sizeof(*q->iov));
	q->cmsg = calloc(FD_RX_BATCH, FD_CMSG_LEN);
	q->bidx = calloc(FD_RX_BATCH, sizeof(*q->bidx));
	if (!q->freel || !q->out || !q->msgs || !q->iov || !q->cmsg || !q->bidx)
		return pl_err(err, errlen, -ENOMEM, "queue %u: out of memory", qi);
	for (unsigned i = 0; i < FD_RX_BATCH; i++) {
		q->iov[i].iov_len = f->vnet_len + f->frame_max;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
		if (fd_q_cmsg(f, q))
			q->msgs[i].msg_hdr.msg_control = q->cmsg + (size_t)i * FD_CMSG_LEN;
	}
	/* Kernel receive timestamps cost a control message per frame: only
	 * when asked (timestamp=1). The mmap ring has them for free. */
	if (f->tstamp && kind_is_socket(q->kind) && f->rx_mode != PKTLINK_FD_RX_MMAP) {
		int one = 1;
		if (setsockopt(q->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
			return pl_err(err, errlen, -errno, "queue %u: SO_TIMESTAMPNS: %s: use timestamp=0",
				      qi, strerror(errno));
	}
	if (f->o.injectable) {
		uint32_t cap = 1;
		while (cap < nb)
			cap <<= 1;
		q->ready.slot = calloc(cap, sizeof(uint32_t));
		q->freeq.slot = calloc(cap, sizeof(uint32_t));
		if (!q->ready.slot || !q->freeq.slot)
			return pl_err(err, errlen, -ENOMEM, "inject queue: out of memory");
		q->ready.mask = q->freeq.mask = cap - 1;
		for (uint32_t i = 0; i < nb; i++)
			fd_spsc_push(&q->freeq, i);
	} else {
		for (uint32_t i = 0; i < nb; i++)
			q->freel[i] = nb - 1 - i; /* slot 0 on top */
		q->nfree = nb;
	}
	return 0;
}

/*
 * Setup steps, in order (each preceded by pl_fault()):
 *   1. allocate the endpoint            6. RX rings (rx=mmap), per fd
 *   2. core state (pl_ep_init)           7. fanout group (packet:, fds > 1)
 *   3. queue table                       8. TX ring (packet:, tx=mmap)
 *   4. descriptors: handed-in fds made   9. inject eventfd (injectable)
 *      non-blocking, per fd; or the     10. receive buffers, per queue
 *      TAP/TUN opened; or one AF_PACKET 11. TX scratch area
 *      socket per fd                    12. epoll set (pktlink_fd())
 *   5. device MTU (tap:/tun:), MTU/MAC (packet:)
 * After step 2, every failure goes through pktlink_close() → fd_destroy(),
 * which frees exactly what exists (NULL/-1 fields mark what does not).
 */
int pl_fd_ep_open(struct fd_setup *s, struct pktlink_ep **epp, char *err, size_t errlen)
{
	uint8_t kinds[PL_MAX_QUEUES];
	struct pktlink_fd_opts *o = &s->o;
	int r = fd_validate(s, err, errlen);
	if (r)
		return r;
	if (s->origin == FD_ORIGIN_HANDED) {
		r = fd_validate_fds(s, kinds, err, errlen);
		if (r)
			return r;
	}
	unsigned nfds = s->origin == FD_ORIGIN_HANDED ? o->num_fds
			: s->origin == FD_ORIGIN_TUN  ? s->tun.queues
						      : s->packet_fds;
	unsigned nq = o->injectable ? 1 : nfds;

	/* step: the endpoint */
	if (pl_fault())
		return fd_fault(err, errlen, "allocate the endpoint");
	struct fd_ep *f = aligned_alloc(PL_CACHELINE, (sizeof(*f) + PL_CACHELINE - 1) &
							      ~(size_t)(PL_CACHELINE - 1));
	if (!f)
		return pl_err(err, errlen, -ENOMEM, "out of memory");
	memset(f, 0, sizeof(*f));
	f->inject_fd = -1;
	f->origin = (uint8_t)s->origin;
	f->nfds = nfds;
	for (unsigned i = 0; i < PL_MAX_QUEUES; i++)
		f->fds[i] = -1;

	/* step: core state (counters) */
	if (pl_fault()) {
		free(f);
		return fd_fault(err, errlen, "initialise the endpoint");
	}
	bool txring = s->origin == FD_ORIGIN_PACKET && o->tx_mode == PKTLINK_FD_TX_MMAP;
	r = pl_ep_init(&f->ep, txring ? &fd_ops_txring : &fd_ops, nq);
	if (r) {
		pl_ep_fini(&f->ep);
		free(f);
		return pl_err(err, errlen, r, "cannot initialise the endpoint: %s", strerror(-r));
	}
	/* From here on, pktlink_close() (fd_destroy) undoes whatever was done. */
	f->nq = nq;

	/* step: queue table */
	if (pl_fault()) {
		r = fd_fault(err, errlen, "allocate the queue table");
		goto fail;
	}
	f->q = calloc(nq, sizeof(*f->q));
	if (!f->q) {
		r = pl_err(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < nq; i++)
		f->q[i].fd = -1;

	/* steps: the descriptors */
	uint32_t got_off = 0;
	if (s->origin == FD_ORIGIN_HANDED) {
		for (unsigned i = 0; i < nfds; i++) {
			if (pl_fault()) {
				r = fd_fault(err, errlen, "make a descriptor non-blocking");
				goto fail;
			}
			int fl = fcntl(o->fds[i], F_GETFL);
			if (fl < 0 || fcntl(o->fds[i], F_SETFL, fl | O_NONBLOCK) < 0) {
				r = pl_err(err, errlen, -errno, "fds: cannot make descriptor %d "
								"non-blocking: %s",
					   o->fds[i], strerror(errno));
				goto fail;
			}
			f->fds[i] = o->fds[i];
			f->fd_kind[i] = kinds[i];
		}
		if (kinds[0] == FD_KIND_PACKET) {
			struct sockaddr_ll sll;
			socklen_t sl = sizeof(sll);
			memset(&sll, 0, sizeof(sll));
			if (getsockname(o->fds[0], (struct sockaddr *)&sll, &sl) == 0)
				f->ifindex = sll.sll_ifindex;
		}
	} else if (s->origin == FD_ORIGIN_TUN) {
		if (pl_fault()) {
			r = fd_fault(err, errlen, "open the TAP/TUN device");
			goto fail;
		}
		int fds[PL_MAX_QUEUES];
		r = pl_tun_open(s->ifname, &s->tun, fds, &got_off, err, errlen);
		if (r)
			goto fail;
		for (unsigned i = 0; i < nfds; i++) {
			f->fds[i] = fds[i];
			f->fd_kind[i] = FD_KIND_CHR;
		}
		f->nfds_open = nfds;
		if (pl_fault()) {
			r = fd_fault(err, errlen, "read the device's MTU");
			goto fail;
		}
		r = fd_tun_dev_mtu(f, s, err, errlen);
		if (r)
			goto fail;
		/* what the kernel accepted decides what we advertise */
		if (!(got_off & PL_TUN_OFF_CSUM))
			o->rx_csum_offload = false;
	} else {
		f->ifindex = (int)if_nametoindex(s->ifname);
		for (unsigned i = 0; i < nfds; i++) {
			if (pl_fault()) {
				r = fd_fault(err, errlen, "open an AF_PACKET socket");
				goto fail;
			}
			r = pl_packet_socket_open(f->ifindex, &s->pcfg, &f->fds[i], err, errlen);
			if (r) {
				f->fds[i] = -1;
				goto fail;
			}
			f->fd_kind[i] = FD_KIND_PACKET;
			f->nfds_open = i + 1;
		}
		if (pl_fault()) {
			r = fd_fault(err, errlen, "read the device's MTU and address");
			goto fail;
		}
		r = fd_packet_dev_props(f, s, err, errlen);
		if (r)
			goto fail;
	}
	if (!o->mtu)
		o->mtu = 1500;

	/* sizes, now that the MTU and the link type are known */
	f->o = *o;
	f->o.fds = f->fds;
	f->o.num_fds = nfds;
	f->eth = o->eth_header;
	f->link_len = f->eth ? ETH_HLEN_ : 0;
	f->promisc = o->promiscuous;
	f->vnet_len = o->vnet_hdr ? (o->vnet_hdr_len ? o->vnet_hdr_len : PL_VNET_HDR_LEN) : 0;
	if (s->origin == FD_ORIGIN_TUN && o->vnet_hdr)
		f->vnet_len = s->tun.vnet_hdr_len ? s->tun.vnet_hdr_len : PL_VNET_HDR_MRG_LEN;
	f->o.vnet_hdr_len = f->vnet_len;
	f->rx_csum = o->rx_csum_offload;
	f->tx_csum = o->tx_csum_offload;
	f->tstamp = o->rx_timestamp;
	uint32_t mtu_buf = o->mtu > f->dev_mtu ? o->mtu : f->dev_mtu;
	bool super_rx = f->vnet_len && o->gso != PKTLINK_FD_GSO_NONE &&
			(s->origin != FD_ORIGIN_TUN ||
			 (got_off & (PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO)));
	f->frame_max = super_rx ? FD_SUPER_MAX + f->link_len + 4 : mtu_buf + f->link_len + 4;
	f->slot_size = round_up64(FD_HEADROOM + f->frame_max);
	f->tx_frame_max = o->mtu + f->link_len + 4;
	/* What the descriptors take (core/tx_prep.h): a virtio-net header
	 * carries partial checksums always, and super-packets with gso=host. */
	f->tc = (struct pl_tx_caps){
		.min_len = f->eth ? ETH_HLEN_ : 1,
		/* an IP-only link carries no VLAN tag */
		.frame_max = f->eth ? f->tx_frame_max : o->mtu,
		.super_max = o->gso != PKTLINK_FD_GSO_NONE ? o->gso_max_size + f->link_len + 4 : 0,
		.link_len = f->link_len,
		.csum_pass = f->vnet_len != 0,
		.gso_pass = f->vnet_len != 0 && o->gso == PKTLINK_FD_GSO_HOST,
	};
	f->scratch_slot = round_up64(f->tx_frame_max);
	f->rx_mode = (uint8_t)o->rx_mode;
	f->tx_mode = (uint8_t)o->tx_mode;
	if (f->tx_mode == PKTLINK_FD_TX_AUTO)
		f->tx_mode = kind_is_socket(f->fd_kind[0]) ? PKTLINK_FD_TX_SENDMMSG
							   : PKTLINK_FD_TX_WRITEV;
	if (f->eth && o->has_link_addr) {
		memcpy(f->ep.info.link_addr, o->link_addr, 6);
		f->ep.info.has_link_addr = 1;
	}
	pl_rx_policy_init(&f->ep.rxp, f->eth, f->promisc,
			  f->eth && o->has_link_addr ? o->link_addr : NULL, f->rx_csum,
			  o->gso != PKTLINK_FD_GSO_NONE);

	/* steps: AF_PACKET rings, fanout (rings first: a ring cannot be added
	 * to a socket that is already in a fanout group). Rings go on handed-in
	 * AF_PACKET sockets too (rx=mmap): they are unmapped at close, but a
	 * socket cannot shed its ring, so such a socket is not reusable in
	 * another mode afterwards (as with the seed's PACKET_MMAP). */
	if (f->rx_mode == PKTLINK_FD_RX_MMAP && !o->injectable) {
		/* V3 packs frames into blocks: the default 256 KiB block holds a
		 * 64 KiB super-packet, frame_size is only kernel bookkeeping */
		struct pl_packet_ring_cfg rc = s->ring;
		rc.vnet_hdr = o->vnet_hdr;
		for (unsigned i = 0; i < nfds; i++) {
			if (pl_fault()) {
				r = fd_fault(err, errlen, "create the TPACKET_V3 RX ring");
				goto fail;
			}
			r = pl_packet_rx_ring_create(f->fds[i], &rc, &f->q[i].ring, err,
						     errlen);
			if (r)
				goto fail;
		}
	}
	if (s->origin == FD_ORIGIN_PACKET) {
		if (nfds > 1) {
			if (pl_fault()) {
				r = fd_fault(err, errlen, "join the fanout group");
				goto fail;
			}
			uint16_t gid;
			r = pl_packet_fanout_join(f->fds, nfds, &gid, err, errlen);
			if (r)
				goto fail;
		}
		if (f->tx_mode == PKTLINK_FD_TX_MMAP) {
			if (pl_fault()) {
				r = fd_fault(err, errlen, "create the TPACKET_V2 TX ring");
				goto fail;
			}
			uint32_t fs = f->vnet_len && o->gso == PKTLINK_FD_GSO_HOST
					      ? FD_SUPER_MAX + 2048
					      : round_up64(f->tx_frame_max + 128);
			r = pl_packet_tx_ring_create(f->ifindex, s->tx_frames ? s->tx_frames : 256,
						     fs, o->vnet_hdr, s->pcfg.qdisc_bypass, &f->txr,
						     err, errlen);
			if (r)
				goto fail;
		}
	}

	/* steps: receive queues */
	if (o->injectable) {
		if (pl_fault()) {
			r = fd_fault(err, errlen, "create the inject eventfd");
			goto fail;
		}
		f->inject_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->inject_fd < 0) {
			r = pl_err(err, errlen, -errno, "inject queue: eventfd: %s", strerror(errno));
			goto fail;
		}
		f->q[0].fd = f->inject_fd;
		f->q[0].kind = FD_KIND_EVENT;
	} else {
		for (unsigned i = 0; i < nq; i++) {
			f->q[i].fd = f->fds[i];
			f->q[i].kind = f->fd_kind[i];
		}
	}
	if (f->rx_mode != PKTLINK_FD_RX_MMAP || o->injectable) {
		for (unsigned i = 0; i < nq; i++) {
			if (pl_fault()) {
				r = fd_fault(err, errlen, "allocate receive buffers");
				goto fail;
			}
			r = fd_queue_alloc(f, i, err, errlen);
			if (r)
				goto fail;
		}
	}

	/* step: TX scratch for software GSO and checksum completion */
	if (pl_fault()) {
		r = fd_fault(err, errlen, "allocate the TX scratch area");
		goto fail;
	}
	f->scratch_len = (size_t)FD_TX_BATCH * f->scratch_slot;
	void *sm = mmap(NULL, f->scratch_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sm == MAP_FAILED) {
		r = pl_err(err, errlen, -ENOMEM, "cannot map the TX scratch area (%zu bytes)",
			   f->scratch_len);
		goto fail;
	}
	f->scratch = sm;

	/* step: the epoll set over all queues (pktlink_fd()) */
	if (pl_fault()) {
		r = fd_fault(err, errlen, "create the epoll set");
		goto fail;
	}
	r = pl_ep_init_pollfd(&f->ep);
	if (r) {
		pl_err(err, errlen, r, "%s", pktlink_last_error(&f->ep));
		goto fail;
	}

	/* properties */
	struct pktlink_info *in = &f->ep.info;
	in->mtu = o->mtu;
	in->max_header_len = f->link_len;
	in->arp_hwtype = f->eth ? 1 : 0xfffe;
	in->caps = 0;
	if (f->eth)
		in->caps |= PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	if (f->rx_csum)
		in->caps |= PKTLINK_CAP_RX_CSUM_OFFLOAD;
	if (f->tx_csum)
		in->caps |= PKTLINK_CAP_TX_CSUM_OFFLOAD;
	if (f->txr)
		in->caps |= PKTLINK_CAP_TX_ALLOC;
	in->gso_kind = o->gso == PKTLINK_FD_GSO_HOST	   ? PKTLINK_GSO_KIND_HOST
		       : o->gso == PKTLINK_FD_GSO_SOFTWARE ? PKTLINK_GSO_KIND_SOFTWARE
							   : PKTLINK_GSO_KIND_NONE;
	in->gso_max_size = o->gso != PKTLINK_FD_GSO_NONE ? o->gso_max_size : 0;
	pl_ep_error_clear(&f->ep);
	*epp = &f->ep;
	return 0;

fail:
	pktlink_close(&f->ep);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Public entry points                                                       */

/* See fd.h: copies the caller's (possibly shorter, older) options struct and
 * hands it to pl_fd_ep_open(). */
int pktlink_fd_open(const struct pktlink_fd_opts *opts, struct pktlink_ep **epp, char *err,
		    size_t errlen)
{
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "pktlink_fd_open: epp is NULL");
	*epp = NULL;
	if (!opts)
		return pl_err(err, errlen, -EINVAL, "pktlink_fd_open: opts is NULL");
	struct fd_setup s;
	memset(&s, 0, sizeof(s));
	int r = PL_OPTS_LOAD(pktlink_fd_opts, &s.o, opts, pl_offsetofend(struct pktlink_fd_opts, fds),
			     err, errlen);
	if (r)
		return r;
	s.origin = FD_ORIGIN_HANDED;
	s.mtu_given = s.o.mtu != 0;
	return pl_fd_ep_open(&s, epp, err, errlen);
}

/* See fd.h. The producer side of the inject queue: takes a free buffer,
 * copies, publishes it (release), then wakes the reader through the eventfd. */
int pktlink_fd_inject(struct pktlink_ep *ep, const void *frame, uint32_t len)
{
	if (!ep || (ep->ops != &fd_ops && ep->ops != &fd_ops_txring))
		return -EINVAL;
	struct fd_ep *f = to_fd(ep);
	if (!f->o.injectable)
		return pl_ep_error(ep, -EINVAL,
				   "pktlink_fd_inject: this endpoint reads its descriptors; open it "
				   "with opts.injectable (inject=1) to inject frames");
	if (!frame || !len || len > f->frame_max || (f->eth && len < ETH_HLEN_))
		return -EINVAL;
	struct fd_queue *q = &f->q[0];
	uint32_t idx;
	if (!fd_spsc_pop(&q->freeq, &idx)) {
		__atomic_add_fetch(&f->inject_nobuf, 1, __ATOMIC_RELAXED);
		return -ENOBUFS;
	}
	uint8_t *b = slot_base(f, q, idx);
	memcpy(b, &len, sizeof(len));
	memcpy(b + FD_HEADROOM, frame, len);
	fd_spsc_push(&q->ready, idx); /* cannot be full: nbufs slots in all */
	uint64_t one = 1;
	ssize_t w = write(f->inject_fd, &one, sizeof(one));
	(void)w; /* the counter cannot overflow at one per frame */
	return 0;
}
