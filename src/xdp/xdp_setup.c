/* SPDX-License-Identifier: MIT */
/*
 * xdp_setup.c — the "xdp" endpoint: the pktlink contract over one AF_XDP
 * socket per queue.
 *
 * Per queue: one UMEM of its own (so per-queue RX threads share nothing)
 * and one socket. The UMEM's RX half circulates through FILL/RX, its TX
 * half through TX/COMPLETION (see xsk.h). Transmit always goes out through
 * the first queue's socket (one TX thread per endpoint, as the contract
 * says).
 *
 * Setup order (pktlink_xdp_open): validate → device (ifindex, MTU, MAC,
 * queue count) → per queue: UMEM, socket (xsk.c's order, bind included) →
 * XDP program (load, attach; or the caller's XSKMAP) → XSKMAP entry per
 * queue. Teardown (destroy) runs backwards from wherever setup stopped.
 *
 * Files: xdp_setup.c (this: open, teardown, stats, status), xdp_rx.c,
 * xdp_tx.c, xdp_spec.c; shared structures in xdp_ep.h.
 *
 * Hot path: no allocation, no syscall per packet. RX kicks the kernel only
 * when the FILL ring asks for it (need_wakeup) and nothing was received; TX
 * kicks after each submitted batch in copy mode (the kernel moves copy-mode
 * TX only in sendto), or when the TX ring asks in zero-copy mode.
 */
#include "xdp_ep.h"

#include "core/fault.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/spec.h"

#include <dirent.h>
#include <errno.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Properties, stats, teardown                                               */

int pktlink_xdp_get_sock_stats(const struct pktlink_ep *ep, struct pktlink_xdp_sock_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!ep || ep->ops != &pl_xdp_ops)
		return -EINVAL;
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	int ret = 0;
	for (unsigned q = 0; q < x->nq; q++) {
		struct pktlink_xdp_sock_stats s;
		if (!x->q[q].sock)
			continue;
		int r = pktlink_xdp_socket_stats(x->q[q].sock, &s);
		if (r) {
			ret = r;
			continue;
		}
		st->rx_dropped += s.rx_dropped;
		st->rx_invalid_descs += s.rx_invalid_descs;
		st->tx_invalid_descs += s.tx_invalid_descs;
		st->rx_ring_full += s.rx_ring_full;
		st->rx_fill_ring_empty_descs += s.rx_fill_ring_empty_descs;
		st->tx_ring_empty_descs += s.tx_ring_empty_descs;
	}
	return ret;
}

/* xdp_read_stats() - ops->read_stats: add the kernel's XDP_STATISTICS of
 * every queue (one getsockopt each). Any thread. */
int xdp_read_stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	struct pktlink_xdp_sock_stats ks;
	int r = pktlink_xdp_get_sock_stats(ep, &ks);
	/* rx_fill_ring_empty_descs counts attempts, not lost frames; the loss
	 * itself shows in rx_dropped. rx_ring_full frames are lost too. */
	st->rx_drop_kernel += ks.rx_dropped + ks.rx_ring_full;
	st->rx_drop_invalid += ks.rx_invalid_descs;
	st->tx_errors += ks.tx_invalid_descs;
	if (r)
		return pl_ep_error(ep, r, "XDP_STATISTICS on %s: %s", xep(ep)->ifname, strerror(-r));
	return 0;
}

/* xdp_destroy() - ops->destroy: undo whatever pktlink_xdp_open() got done,
 * backwards; safe on a half-built endpoint. */
void xdp_destroy(struct pktlink_ep *ep)
{
	struct pl_xdp_ep *x = xep(ep);
	/* Backwards: map entries, program, sockets, UMEMs. */
	for (unsigned q = 0; x->q && q < x->nq; q++)
		if (x->q[q].in_map)
			pl_xdp_prog_map_clear(&x->prog, x->q[q].qid);
	pl_xdp_prog_teardown(&x->prog);
	for (unsigned q = 0; x->q && q < x->nq; q++) {
		struct pl_xdp_q *xq = &x->q[q];
		if (xq->umem && x->o.debug) {
			uint32_t held = pktlink_xdp_umem_census(xq->umem, NULL);
			uint64_t errs = pktlink_xdp_umem_errors(xq->umem);
			if (held || errs)
				fprintf(stderr,
					"pktlink xdp %s queue %u: %u frames still held by the "
					"application at close (leak), %llu refused frame operations "
					"(double release/post)\n",
					x->ifname, xq->qid, held, (unsigned long long)errs);
		}
		pktlink_xdp_socket_destroy(xq->sock);
		xq->sock = NULL;
		/* A shared UMEM goes with the last endpoint holding it. */
		if (xq->umem && --xq->umem->eps == 0)
			pktlink_xdp_umem_destroy(xq->umem);
		xq->umem = NULL;
		free(xq->bounce);
		free(xq->bounce_free);
		free(xq->bounce_used);
	}
	free(x->q);
	free(x->tx_scratch);
	pl_ep_fini(ep);
	free(x);
}

const struct pl_ep_ops pl_xdp_ops = {
	.family = "xdp",
	.core_counts = true,
	.rx_burst = xdp_rx_burst,
	.rx_release = xdp_rx_release,
	.tx_burst = xdp_tx_burst,
	.tx_alloc = xdp_tx_alloc,
	.tx_free = xdp_tx_free,
	.queue_fd = xdp_queue_fd,
	.rx_wait = xdp_rx_wait,
	.read_stats = xdp_read_stats,
	.destroy = xdp_destroy,
};

int pktlink_xdp_get_status(const struct pktlink_ep *ep, struct pktlink_xdp_status *st)
{
	if (!ep || ep->ops != &pl_xdp_ops)
		return -EINVAL;
	*st = ((const struct pl_xdp_ep *)ep)->st;
	return 0;
}

struct pktlink_xdp_socket *pktlink_xdp_get_socket(const struct pktlink_ep *ep, unsigned q)
{
	if (!ep || ep->ops != &pl_xdp_ops)
		return NULL;
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	return q < x->nq ? x->q[q].sock : NULL;
}

struct pktlink_xdp_umem *pktlink_xdp_get_umem(const struct pktlink_ep *ep, unsigned q)
{
	if (!ep || ep->ops != &pl_xdp_ops)
		return NULL;
	const struct pl_xdp_ep *x = (const struct pl_xdp_ep *)ep;
	return q < x->nq ? x->q[q].umem : NULL;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                   */

/* RX queues of a device: /sys/class/net/IF/queues/rx-N entries. */
static unsigned device_rx_queues(const char *ifname)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	DIR *d = opendir(path);
	if (!d)
		return 1;
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : 1;
}

/* device_info() - the device's MTU and MAC (SIOCGIFMTU, SIOCGIFHWADDR). */
static int device_info(struct pl_xdp_ep *x, uint32_t *mtu, char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return pl_err(err, errlen, -errno, "socket for device queries: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->ifname);
	int r = 0;
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		r = pl_err(err, errlen, -errno, "reading the MTU of %s: %s", x->ifname,
			   strerror(errno));
		goto out;
	}
	*mtu = (uint32_t)ifr.ifr_mtu;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) {
		memcpy(x->ep.info.link_addr, ifr.ifr_hwaddr.sa_data, 6);
		x->ep.info.has_link_addr = 1;
	}
out:
	close(s);
	return r;
}

int pktlink_xdp_open(const struct pktlink_xdp_opts *opts, struct pktlink_ep **epp, char *err,
		     size_t errlen)
{
	struct pktlink_xdp_opts o = { 0 };
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "pktlink_xdp_open: epp is NULL");
	*epp = NULL;
	if (!opts)
		return pl_err(err, errlen, -EINVAL, "pktlink_xdp_open: opts is NULL");
	int oerr = PL_OPTS_LOAD(pktlink_xdp_opts, &o, opts, sizeof(size_t), err, errlen);
	if (oerr)
		return oerr;
	if (!o.ifname || !o.ifname[0])
		return pl_err(err, errlen, -EINVAL, "xdp: a device name is required (xdp:IFNAME)");
	if (strlen(o.ifname) >= IF_NAMESIZE)
		return pl_err(err, errlen, -EINVAL, "xdp: device name '%s' is too long", o.ifname);
	unsigned ifindex = if_nametoindex(o.ifname);
	if (!ifindex)
		return pl_err(err, errlen, -ENODEV, "xdp: no device %s", o.ifname);
	unsigned devq = device_rx_queues(o.ifname);
	unsigned nq = o.all_queues ? devq : o.num_queues ? o.num_queues : 1;
	if (o.all_queues && o.queue)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: queue=%u with queues=all: all takes every RX queue from 0; drop "
			      "queue=, or write queue=%u&queues=N for N queues from %u on",
			      o.queue, o.queue, o.queue);
	if (o.queue >= devq || o.queue + nq > devq)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: queue=%u%s is out of range: %s has %u RX queue%s (0..%u); "
			      "traffic on other queues never reaches this socket — use queues=all",
			      o.queue, nq > 1 ? " and following" : "", o.ifname, devq,
			      devq == 1 ? "" : "s", devq - 1);
	if (nq > PL_MAX_QUEUES)
		return pl_err(err, errlen, -EINVAL, "xdp: %u queues: at most %d", nq, PL_MAX_QUEUES);
	if (!o.frame_size)
		o.frame_size = 2048;
	if (!o.frames)
		o.frames = 4096;
	for (int i = 0; i < 2; i++) {
		uint32_t v = i ? o.tx_size : o.rx_size;
		if (v && (v < 64 || v > 32768 || (v & (v - 1))))
			return pl_err(err, errlen, -EINVAL,
				      "xdp: %s=%u: ring sizes are powers of two from 64 to 32768",
				      i ? "tx_size" : "rx_size", v);
	}
	if (o.has_sock_fd && (nq != 1 || o.sock_fd < 0))
		return pl_err(err, errlen, -EINVAL,
			      "xdp: a socket handed in (fd=%d) serves one queue: use queues=1",
			      o.sock_fd);
	if (o.share_umem) {
		/* The geometry is the shared UMEM's. */
		const struct pl_xdp_ep *other = (const struct pl_xdp_ep *)o.share_umem;
		if (o.share_umem->ops != &pl_xdp_ops || other->nq != 1 || nq != 1)
			return pl_err(err, errlen, -EINVAL,
				      "xdp: share_umem must be a single-queue xdp endpoint, and this "
				      "endpoint must have one queue too");
		if (other->sg || o.sg)
			return pl_err(err, errlen, -EINVAL,
				      "xdp: share_umem does not combine with multi-buffer (sg)");
		const struct pktlink_xdp_umem *su = other->q[0].umem;
		o.frame_size = su->frame_size;
		o.frames = su->frames;
		o.headroom = su->headroom;
		o.unaligned = su->flags & PKTLINK_XDP_UMEM_UNALIGNED;
	}
	if (o.mode > PKTLINK_XDP_MODE_SKB || o.zerocopy > PKTLINK_XDP_ZC_OFF ||
	    o.attach > PKTLINK_XDP_ATTACH_LIBBPF)
		return pl_err(err, errlen, -EINVAL, "xdp: bad mode, zerocopy or attach value");
	if (o.mode == PKTLINK_XDP_MODE_SKB && o.zerocopy == PKTLINK_XDP_ZC_REQUIRE)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: zerocopy=require cannot work with mode=skb (generic XDP "
			      "always copies); use mode=drv or mode=auto");

	struct pl_xdp_ep *x = calloc(1, sizeof(*x));
	if (!x)
		return pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
	int r = pl_ep_init(&x->ep, &pl_xdp_ops, nq);
	if (r) {
		free(x);
		return pl_err(err, errlen, r, "xdp: endpoint init: %s", strerror(-r));
	}
	pl_xdp_prog_init(&x->prog);
	x->o = o;
	x->o.ifname = NULL;
	x->o.xskmap_pin = NULL;
	snprintf(x->ifname, sizeof(x->ifname), "%s", o.ifname);
	x->ifindex = (int)ifindex;
	x->nq = nq;
	struct pktlink_info *info = &x->ep.info;
	info->max_header_len = PL_XDP_ETH_HLEN;
	info->caps = PKTLINK_CAP_TX_ALLOC | PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	info->arp_hwtype = ARPHRD_ETHER;
	info->gso_kind = PKTLINK_GSO_KIND_NONE;
	/* The device filters by MAC (a NIC queue) before XDP sees a frame:
	 * no second filter here. Frames carry no offload metadata. */
	pl_rx_policy_init(&x->ep.rxp, true, true, NULL, false, false);

	uint32_t mtu = 0;
	if ((r = device_info(x, &mtu, err, errlen)))
		goto fail;
	/* What a received frame can hold: the kernel keeps 256 bytes of
	 * XDP headroom plus ours in front of the data. */
	uint32_t cap = o.frame_size > XDP_PACKET_HEADROOM + o.headroom ?
			       o.frame_size - XDP_PACKET_HEADROOM - o.headroom :
			       0;
	uint32_t usable = cap > PL_XDP_ETH_HLEN ? cap - PL_XDP_ETH_HLEN : 0;
	x->sg = o.sg;
	if (o.sg) {
		/* Chains carry any MTU up to PKTLINK_XDP_MAX_FRAGS chunks. */
		uint64_t most = (uint64_t)cap * PKTLINK_XDP_MAX_FRAGS - PL_XDP_ETH_HLEN;
		usable = most > 65535 ? 65535 : (uint32_t)most;
	}
	if (mtu > usable) {
		r = pl_err(err, errlen, -EINVAL,
			   "xdp: %s has MTU %u, but a %u-byte frame with headroom %u holds at most "
			   "MTU %u (frame_size - 256 - headroom - 14%s): lower the MTU (ip link set "
			   "dev %s mtu %u), raise frame_size, lower headroom%s",
			   x->ifname, mtu, o.frame_size, o.headroom, usable,
			   o.sg ? ", times 17 chunks" : "", x->ifname, usable,
			   o.sg ? "" : ", or use multi-buffer (sg=1)");
		goto fail;
	}
	info->mtu = mtu;
	x->tx_off = o.headroom;
	x->tx_cap = mtu + PL_XDP_ETH_HLEN;
	x->frag_cap = o.frame_size - x->tx_off;
	if (!o.sg && x->tx_cap > x->frag_cap)
		x->tx_cap = x->frag_cap;
	if (x->tx_cap > x->frag_cap) {
		/* tx_alloc() buffers are one chunk: too small for this MTU. */
		info->caps &= ~(uint32_t)PKTLINK_CAP_TX_ALLOC;
		x->tx_alloc_cap = x->frag_cap;
	} else {
		x->tx_alloc_cap = x->tx_cap;
	}
	/* Offload requests are completed here, never passed down: AF_XDP
	 * sends bytes as they are. */
	x->tc = (struct pl_tx_caps){ .min_len = PL_XDP_ETH_HLEN,
				     .frame_max = x->tx_cap,
				     .super_max = PL_XDP_GSO_MAX + PL_XDP_ETH_HLEN + 4,
				     .link_len = PL_XDP_ETH_HLEN };
	info->caps |= PKTLINK_CAP_TX_CSUM_OFFLOAD;
	info->gso_kind = PKTLINK_GSO_KIND_SOFTWARE;
	info->gso_max_size = PL_XDP_GSO_MAX;
	if (x->tx_cap > x->frag_cap) {
		x->tx_scratch = malloc(x->tx_cap);
		if (!x->tx_scratch) {
			r = pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
			goto fail;
		}
	}

	x->q = calloc(nq, sizeof(*x->q));
	if (!x->q) {
		r = pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
		goto fail;
	}
	bool skb = o.mode == PKTLINK_XDP_MODE_SKB;
	bool all_zc = true;
	for (unsigned q = 0; q < nq; q++) {
		struct pl_xdp_q *xq = &x->q[q];
		xq->qid = o.queue + q;
		xq->rx_cap = cap;
		struct pktlink_xdp_umem_opts uo = {
			.sz = sizeof(uo),
			.frames = o.frames,
			.frame_size = o.frame_size,
			.headroom = o.headroom,
			.flags = (o.unaligned ? PKTLINK_XDP_UMEM_UNALIGNED : 0) |
				 (o.hugepages ? PKTLINK_XDP_UMEM_HUGEPAGES : 0) |
				 (o.debug ? PKTLINK_XDP_UMEM_DEBUG : 0),
		};
		if (o.share_umem) {
			xq->umem = pktlink_xdp_get_umem(o.share_umem, 0);
			xq->umem->eps++;
		} else {
			if ((r = pktlink_xdp_umem_create(&uo, &xq->umem, err, errlen)))
				goto fail;
			xq->umem->eps = 1;
		}
		uint32_t half = o.frames / 2;
		uint32_t ring = 1;
		while (ring < half)
			ring <<= 1;
		struct pktlink_xdp_socket_opts so = {
			.sz = sizeof(so),
			.ifname = x->ifname,
			.queue = xq->qid,
			.rx_size = o.rx_size ? o.rx_size : ring,
			.tx_size = o.tx_size ? o.tx_size : ring,
			.no_tx = q != 0, /* TX goes out through queue 0 */
			/* Generic XDP always copies; say so, or the kernel may
			 * try zero-copy on a driver that has it. */
			.zerocopy = skb ? PKTLINK_XDP_ZC_OFF : o.zerocopy,
			.no_need_wakeup = o.no_need_wakeup,
			.busy_poll_usec = o.busy_poll_usec,
			.busy_poll_budget = o.busy_poll_budget,
			.sg = o.sg,
			.has_fd = o.has_sock_fd,
			.fd = o.sock_fd,
		};
		if ((r = pktlink_xdp_socket_create(xq->umem, &so, &xq->sock, err, errlen)))
			goto fail;
		if (o.sg) {
			xq->bounce_n = PL_XDP_BOUNCE_SLOTS;
			xq->bounce_sz = (mtu + PL_XDP_ETH_HLEN + 4 + 63) & ~63u;
			xq->bounce = malloc((size_t)xq->bounce_n * xq->bounce_sz);
			xq->bounce_free = malloc(sizeof(uint32_t) * xq->bounce_n);
			xq->bounce_used = calloc(xq->bounce_n, 1);
			if (!xq->bounce || !xq->bounce_free || !xq->bounce_used) {
				r = pl_err(err, errlen, -ENOMEM, "xdp: bounce buffers: out of memory");
				goto fail;
			}
			for (uint32_t i = 0; i < xq->bounce_n; i++)
				xq->bounce_free[i] = xq->bounce_n - 1 - i;
			xq->bounce_top = xq->bounce_n;
		}
		all_zc = all_zc && xq->sock->zc;
	}
	if ((r = pl_ep_init_pollfd(&x->ep))) {
		pl_err(err, errlen, r, "xdp: %s", pktlink_last_error(&x->ep));
		goto fail;
	}

	/* The program: the caller's XSKMAP, or ours. */
	if (o.has_xskmap_fd || o.xskmap_pin) {
		if ((r = pl_xdp_prog_use_map(&x->prog, o.has_xskmap_fd ? o.xskmap_fd : -1,
					     o.xskmap_pin, err, errlen)))
			goto fail;
		x->st.mode = skb ? PKTLINK_XDP_MODE_SKB : PKTLINK_XDP_MODE_DRV;
	} else {
		if ((r = pl_xdp_prog_attach(&x->prog, x->ifindex, x->ifname, o.mode, o.sg, o.attach,
					    err, errlen)))
			goto fail;
		x->st.own_program = true;
		x->st.dispatcher = x->prog.dispatcher;
		x->st.mode = x->prog.attach_mode == 2 /* XDP_MODE_SKB */ ? PKTLINK_XDP_MODE_SKB :
									   PKTLINK_XDP_MODE_DRV;
	}
	for (unsigned q = 0; q < nq; q++) {
		if ((r = pl_xdp_prog_map_set(&x->prog, x->q[q].qid, x->q[q].sock->fd, err, errlen)))
			goto fail;
		x->q[q].in_map = true;
	}

	x->st.zerocopy = all_zc;
	x->st.first_queue = o.queue;
	x->st.num_queues = nq;
	x->st.device_queues = devq;
	x->st.usable_mtu = usable;
	x->st.frame_size = o.frame_size;
	x->st.frames_per_queue = o.frames;
	x->st.ifindex = x->ifindex;
	*epp = &x->ep;
	return 0;
fail:
	xdp_destroy(&x->ep);
	return r;
}

