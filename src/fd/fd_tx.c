/* SPDX-License-Identifier: MIT */
/*
 * fd_tx.c — the fd endpoint's transmit side: every frame through the core
 * TX preparation step (core/tx_prep.h), then writev, sendmmsg batches or the
 * AF_PACKET TX ring; TX buffers of the ring. See fd_setup.c for the overview.
 * Threading: one TX thread.
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
			/* write() for a lone buffer (no virtio-net header): the
			 * kernel takes it as is (ITER_UBUF) where writev() first
			 * copies in and checks an iovec array; measured ~18%
			 * less CPU per frame on a TAP (bench/README.md) */
			const struct fd_out *o = &f->outs[s];
			r = o->niov == 1 ? write(fd, o->iov[0].iov_base, o->iov[0].iov_len)
					 : writev(fd, o->iov, o->niov);
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
int fd_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
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
			/* A slot holds MTU + link header + a tag: every segment
			 * (pl_tx_iter_init() checked the largest). */
			int sl = pl_tx_iter_next(&g, d, f->scratch_slot);
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

/**
 * fd_tx_alloc() - ops->tx_alloc of tx=mmap endpoints: lend TX ring slots for
 * zero-copy transmit (pl_packet_tx_ring_alloc()). TX thread only.
 */
int fd_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	return pl_packet_tx_ring_alloc(f->txr, pkts, n, &ep->txc);
}

/** fd_tx_free() - ops->tx_free: give lent ring slots back. TX thread only. */
void fd_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct fd_ep *f = to_fd(ep);
	pl_packet_tx_ring_free(f->txr, pkts, n);
}

