/* SPDX-License-Identifier: MIT */
/*
 * fd_rx.c — the fd endpoint's receive side: readv, recvmmsg, the TPACKET_V3
 * ring and the inject queue, each frame through the core receive policy
 * (core/rx_policy.h); release; waiting. See fd_setup.c for the overview.
 * Threading: one RX thread per queue.
 */
#include "fd/fd_internal.h"

#include "core/fault.h"
#include "core/offload.h"
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

/* ------------------------------------------------------------------------ */
/* Receive                                                                   */

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
	/* without auxdata (a handed-in socket) nothing says the checksum is complete */
	bool may_be_partial = !aux || (aux->tp_status & TP_STATUS_CSUMNOTREADY);
	int v = pl_rx_apply_hinted(&f->ep.rxp, p, tpid, tci, may_be_partial);
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
	if (!gone) {
		if (e == ENETDOWN && kind_is_socket(q->kind))
			q->link_down = true; /* fd_rx_wait() looks for a deletion */
		return (int)got;
	}
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

/*
 * fd_link_recheck() - a queue marked link_down: ask the device (fd_link_state()).
 * Gone: the peer-gone path, -ENODEV. Up again: the mark is cleared. Else 0.
 */
static int fd_link_recheck(struct fd_ep *f, struct fd_queue *q)
{
	int st = fd_link_state(f, q->fd);
	if (st < 0)
		return pl_ep_peer_gone(&f->ep, -ENODEV);
	if (st > 0)
		q->link_down = false;
	return 0;
}

/*
 * fd_rx_idle_check() - an empty burst on a socket queue whose link went down,
 * or that reads a PACKET_MMAP ring (no system call that would return the
 * socket's error): at most every FD_DOWN_RECHECK_MS,
 * - a ring's socket error is read and judged as fd_rx_wait() does (else a
 *   caller pulling several queues, whose pktlink_wait() polls their epoll
 *   set, would see POLLERR forever and spin);
 * - after a link down, the device is asked whether it is gone (its deletion
 *   reports nothing more; see fd_rx_wait()) or up again.
 * So a caller that only pulls, or waits on pktlink_fd() itself, learns of a
 * deleted device too. Return 0 or the peer-gone reason.
 */
static __attribute__((noinline)) int fd_rx_idle_check(struct fd_ep *f, struct fd_queue *q)
{
	uint64_t now = pl_mono_ns();
	if (now - q->idle_checked < FD_DOWN_RECHECK_MS * 1000000ull)
		return 0;
	q->idle_checked = now;
	if (!q->link_down) {
		struct pollfd pfd = { .fd = q->fd, .events = 0 };
		int e = 0;
		socklen_t sl = sizeof(e);
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLERR) ||
		    getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 || !e)
			return 0;
		int gone = fd_gone_reason(f, e);
		if (gone)
			return pl_ep_peer_gone(&f->ep, gone);
		if (e != ENETDOWN)
			return 0;
		q->link_down = true;
	}
	return fd_link_recheck(f, q);
}

/* ops->rx_burst */
int fd_rx_burst(struct pktlink_ep *ep, unsigned qi, struct pktlink_pkt *pkts, unsigned n)
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
	else if (r == 0 && kind_is_socket(q->kind) &&
		 (PL_UNLIKELY(q->link_down) || f->rx_mode == PKTLINK_FD_RX_MMAP))
		return fd_rx_idle_check(f, q);
	return r;
}

/* ops->rx_release: views from any queue, in any order. */
void fd_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	if (!f->o.injectable && f->rx_mode == PKTLINK_FD_RX_MMAP) {
		/* hand runs of the same handle (queue and block) to that
		 * queue's ring, one update per run; the queue comes from the
		 * handle (priv), never from the public .queue, which the
		 * caller may have changed */
		const struct pktlink_pkt *p = pkts, *end = pkts + n;
		while (p < end) {
			uint64_t priv = p->priv;
			const struct pktlink_pkt *q = p + 1;
			/* a burst's views are mostly of one block: compare
			 * four at a time */
			while (end - q >= 4 && !((q[0].priv ^ priv) | (q[1].priv ^ priv) |
						 (q[2].priv ^ priv) | (q[3].priv ^ priv)))
				q += 4;
			while (q < end && q->priv == priv)
				q++;
			uint64_t qi = priv >> 32;
			if (qi < f->nq && f->q[qi].ring)
				pl_packet_rx_ring_release_handle(f->q[qi].ring, priv,
								 (unsigned)(q - p));
			p = q;
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
/* Waiting, properties, stats                                                */

/* ops->queue_fd */
int fd_queue_fd(const struct pktlink_ep *ep, unsigned qi)
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
int fd_rx_wait(struct pktlink_ep *ep, unsigned qi, int stop_fd, int timeout_ms)
{
	struct fd_ep *f = to_fd(ep);
	struct fd_queue *q = &f->q[qi];
	struct pollfd pfd[2] = {
		{ .fd = q->fd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	/* A deleted device first goes down: AF_PACKET reports ENETDOWN while
	 * the device still exists (not final), and reports nothing when it is
	 * unregistered a moment later. So while the link is down, look again
	 * every FD_DOWN_RECHECK_MS. */
	if (q->link_down && (timeout_ms < 0 || timeout_ms > FD_DOWN_RECHECK_MS))
		timeout_ms = FD_DOWN_RECHECK_MS;
	int r = poll(pfd, stop_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	short re = pfd[0].revents;
	if (re & POLLNVAL)
		return pl_ep_peer_gone(ep, -EBADF);
	if (q->link_down && !(re & (POLLERR | POLLHUP))) {
		/* frames may still wait from before the down: ask the device */
		int g = fd_link_recheck(f, q);
		if (g)
			return g;
	}
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
				if (e == ENETDOWN)
					q->link_down = true;
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

