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
 * Setup (pktlink_xdp_open): validate, then the table xdp_steps (core/steps.h):
 * endpoint → device (MTU, MAC, sizes) → TX scratch (multi-buffer) → queue
 * table → a UMEM per queue → a socket per queue (xsk.c's order, bind
 * included) → epoll set → XDP program (load, attach; or the caller's
 * XSKMAP) → XSKMAP entry per queue → status. A failure undoes the steps
 * done backwards; destroy undoes the whole table with the same functions.
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
#include "core/steps.h"

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

/* xdp_destroy() - ops->destroy: the open's setup steps undone backwards
 * (xdp_steps below). */
static void xdp_undo_all(struct pl_xdp_ep *x);

void xdp_destroy(struct pktlink_ep *ep)
{
	xdp_undo_all(xep(ep));
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

/*
 * The open, as a table of setup steps (core/steps.h): pl_fault() before
 * each item (xsk.c and prog.c have their own inside), a failure undoes the
 * steps done backwards, and closing undoes the whole table with the same
 * functions. Undo functions look only at the endpoint.
 */

/* The open in progress. */
struct xdp_open {
	const struct pktlink_xdp_opts *o; /* validated; NULL when undoing at close */
	unsigned ifindex, nq, devq;
	uint32_t mtu, usable, cap;
	struct pl_xdp_ep *x;
};

static unsigned xn_one(void *ctx)
{
	(void)ctx;
	return 1;
}

static unsigned xn_queues(void *ctx)
{
	return ((struct xdp_open *)ctx)->nq;
}

/* step: the endpoint and its core state */
static int xs_alloc(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct xdp_open *c = ctx;
	const struct pktlink_xdp_opts *o = c->o;
	struct pl_xdp_ep *x = calloc(1, sizeof(*x));
	if (!x)
		return pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
	x->ep.epoll_fd = x->ep.wake_fd = -1;
	pl_xdp_prog_init(&x->prog);
	c->x = x;
	int r = pl_ep_init(&x->ep, &pl_xdp_ops, c->nq);
	if (r)
		return pl_err(err, errlen, r, "xdp: endpoint init: %s", strerror(-r));
	x->o = *o;
	x->o.ifname = NULL;
	x->o.xskmap_pin = NULL;
	snprintf(x->ifname, sizeof(x->ifname), "%s", o->ifname);
	x->ifindex = (int)c->ifindex;
	x->nq = c->nq;
	struct pktlink_info *info = &x->ep.info;
	info->max_header_len = PL_XDP_ETH_HLEN;
	info->caps = PKTLINK_CAP_TX_ALLOC | PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	info->arp_hwtype = ARPHRD_ETHER;
	info->gso_kind = PKTLINK_GSO_KIND_NONE;
	/* The device filters by MAC (a NIC queue) before XDP sees a frame:
	 * no second filter here. Frames carry no offload metadata. */
	pl_rx_policy_init(&x->ep.rxp, true, true, NULL, false, false);
	/* XDP says nothing of partial checksums. pktlink's own program
	 * completes them in the kernel (pl_xsk.bpf.c) and xs_prog() then
	 * clears this; a caller's program may not, so the check stays here. */
	x->ep.rxp.fix_unmarked = 1;
	return 0;
}

static void xu_alloc(void *ctx)
{
	struct xdp_open *c = ctx;
	if (!c->x)
		return;
	pl_ep_fini(&c->x->ep); /* the epoll set too */
	free(c->x);
	c->x = NULL;
}

/* step: the device — MTU, MAC — and the sizes that follow from it */
static int xs_device(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct xdp_open *c = ctx;
	const struct pktlink_xdp_opts *o = c->o;
	struct pl_xdp_ep *x = c->x;
	struct pktlink_info *info = &x->ep.info;
	uint32_t mtu = 0;
	int r = device_info(x, &mtu, err, errlen);
	if (r)
		return r;
	/* What a received frame can hold: the kernel keeps 256 bytes of
	 * XDP headroom plus ours in front of the data. */
	uint32_t cap = o->frame_size > XDP_PACKET_HEADROOM + o->headroom ?
			       o->frame_size - XDP_PACKET_HEADROOM - o->headroom :
			       0;
	uint32_t usable = cap > PL_XDP_ETH_HLEN ? cap - PL_XDP_ETH_HLEN : 0;
	x->sg = o->sg;
	if (o->sg) {
		/* Chains carry any MTU up to PKTLINK_XDP_MAX_FRAGS chunks. */
		uint64_t most = (uint64_t)cap * PKTLINK_XDP_MAX_FRAGS - PL_XDP_ETH_HLEN;
		usable = most > 65535 ? 65535 : (uint32_t)most;
	}
	if (mtu > usable)
		return pl_err(err, errlen, -EINVAL,
			      "xdp: %s has MTU %u, but a %u-byte frame with headroom %u holds at "
			      "most MTU %u (frame_size - 256 - headroom - 14%s): lower the MTU (ip "
			      "link set dev %s mtu %u), raise frame_size, lower headroom%s",
			      x->ifname, mtu, o->frame_size, o->headroom, usable,
			      o->sg ? ", times 17 chunks" : "", x->ifname, usable,
			      o->sg ? "" : ", or use multi-buffer (sg=1)");
	c->mtu = mtu;
	c->usable = usable;
	c->cap = cap;
	info->mtu = mtu;
	x->tx_off = o->headroom;
	x->tx_cap = mtu + PL_XDP_ETH_HLEN;
	x->frag_cap = o->frame_size - x->tx_off;
	if (!o->sg && x->tx_cap > x->frag_cap)
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
	return 0;
}

/* step: the TX scratch (multi-buffer: an output frame longer than a chunk) */
static unsigned xn_scratch(void *ctx)
{
	struct xdp_open *c = ctx;
	return c->x->tx_cap > c->x->frag_cap;
}

static int xs_scratch(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	x->tx_scratch = malloc(x->tx_cap);
	return x->tx_scratch ? 0 : pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
}

static void xu_scratch(void *ctx)
{
	struct xdp_open *c = ctx;
	if (c->x) {
		free(c->x->tx_scratch);
		c->x->tx_scratch = NULL;
	}
}

/* step: the queue table */
static int xs_qtable(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct xdp_open *c = ctx;
	c->x->q = calloc(c->nq, sizeof(*c->x->q));
	if (!c->x->q)
		return pl_err(err, errlen, -ENOMEM, "xdp: out of memory");
	for (unsigned q = 0; q < c->nq; q++) {
		c->x->q[q].qid = c->o->queue + q;
		c->x->q[q].rx_cap = c->cap;
	}
	return 0;
}

static void xu_qtable(void *ctx)
{
	struct xdp_open *c = ctx;
	if (c->x) {
		free(c->x->q);
		c->x->q = NULL;
	}
}

/* step: one UMEM per queue (or the shared one) */
static int xs_umem(void *ctx, unsigned q, char *err, size_t errlen)
{
	struct xdp_open *c = ctx;
	const struct pktlink_xdp_opts *o = c->o;
	struct pl_xdp_q *xq = &c->x->q[q];
	if (o->share_umem) {
		xq->umem = pktlink_xdp_get_umem(o->share_umem, 0);
		xq->umem->eps++;
		return 0;
	}
	struct pktlink_xdp_umem_opts uo = {
		.sz = sizeof(uo),
		.frames = o->frames,
		.frame_size = o->frame_size,
		.headroom = o->headroom,
		.flags = (o->unaligned ? PKTLINK_XDP_UMEM_UNALIGNED : 0) |
			 (o->hugepages ? PKTLINK_XDP_UMEM_HUGEPAGES : 0) |
			 (o->debug ? PKTLINK_XDP_UMEM_DEBUG : 0),
	};
	int r = pktlink_xdp_umem_create(&uo, &xq->umem, err, errlen);
	if (r)
		return r;
	xq->umem->eps = 1;
	return 0;
}

static void xu_umem(void *ctx)
{
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	for (unsigned q = 0; x && x->q && q < x->nq; q++) {
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
		/* A shared UMEM goes with the last endpoint holding it. */
		if (xq->umem && --xq->umem->eps == 0)
			pktlink_xdp_umem_destroy(xq->umem);
		xq->umem = NULL;
	}
}

/* step: one socket per queue (xsk.c's own steps inside), bounce buffers */
static int xs_socket(void *ctx, unsigned q, char *err, size_t errlen)
{
	struct xdp_open *c = ctx;
	const struct pktlink_xdp_opts *o = c->o;
	struct pl_xdp_ep *x = c->x;
	struct pl_xdp_q *xq = &x->q[q];
	bool skb = o->mode == PKTLINK_XDP_MODE_SKB;
	uint32_t half = o->frames / 2;
	uint32_t ring = 1;
	while (ring < half)
		ring <<= 1;
	struct pktlink_xdp_socket_opts so = {
		.sz = sizeof(so),
		.ifname = x->ifname,
		.queue = xq->qid,
		.rx_size = o->rx_size ? o->rx_size : ring,
		.tx_size = o->tx_size ? o->tx_size : ring,
		.no_tx = q != 0, /* TX goes out through queue 0 */
		/* Generic XDP always copies; say so, or the kernel may try
		 * zero-copy on a driver that has it. */
		.zerocopy = skb ? PKTLINK_XDP_ZC_OFF : o->zerocopy,
		.no_need_wakeup = o->no_need_wakeup,
		.busy_poll_usec = o->busy_poll_usec,
		.busy_poll_budget = o->busy_poll_budget,
		.sg = o->sg,
		.has_fd = o->has_sock_fd,
		.fd = o->sock_fd,
	};
	int r = pktlink_xdp_socket_create(xq->umem, &so, &xq->sock, err, errlen);
	if (r)
		return r;
	if (o->sg) {
		xq->bounce_n = PL_XDP_BOUNCE_SLOTS;
		xq->bounce_sz = (c->mtu + PL_XDP_ETH_HLEN + 4 + 63) & ~63u;
		xq->bounce = malloc((size_t)xq->bounce_n * xq->bounce_sz);
		xq->bounce_free = malloc(sizeof(uint32_t) * xq->bounce_n);
		xq->bounce_used = calloc(xq->bounce_n, 1);
		if (!xq->bounce || !xq->bounce_free || !xq->bounce_used)
			return pl_err(err, errlen, -ENOMEM, "xdp: bounce buffers: out of memory");
		for (uint32_t k = 0; k < xq->bounce_n; k++)
			xq->bounce_free[k] = xq->bounce_n - 1 - k;
		xq->bounce_top = xq->bounce_n;
	}
	return 0;
}

static void xu_socket(void *ctx)
{
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	for (unsigned q = 0; x && x->q && q < x->nq; q++) {
		struct pl_xdp_q *xq = &x->q[q];
		pktlink_xdp_socket_destroy(xq->sock);
		xq->sock = NULL;
		free(xq->bounce);
		free(xq->bounce_free);
		free(xq->bounce_used);
		xq->bounce = NULL;
		xq->bounce_free = NULL;
		xq->bounce_used = NULL;
	}
}

/* step: the epoll set over the queues (pktlink_fd()); undone by xu_alloc */
static int xs_pollfd(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	int r = pl_ep_init_pollfd(&x->ep);
	return r ? pl_err(err, errlen, r, "xdp: %s", pktlink_last_error(&x->ep)) : 0;
}

/* step: the program — the caller's XSKMAP, or ours (prog.c's steps inside) */
static int xs_prog(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct xdp_open *c = ctx;
	const struct pktlink_xdp_opts *o = c->o;
	struct pl_xdp_ep *x = c->x;
	bool skb = o->mode == PKTLINK_XDP_MODE_SKB;
	int r;
	if (o->has_xskmap_fd || o->xskmap_pin) {
		if ((r = pl_xdp_prog_use_map(&x->prog, o->has_xskmap_fd ? o->xskmap_fd : -1,
					     o->xskmap_pin, err, errlen)))
			return r;
		x->st.mode = skb ? PKTLINK_XDP_MODE_SKB : PKTLINK_XDP_MODE_DRV;
		return 0;
	}
	if ((r = pl_xdp_prog_attach(&x->prog, x->ifindex, x->ifname, o->mode, o->sg, o->attach, err,
				    errlen)))
		return r;
	x->st.own_program = true;
	x->st.dispatcher = x->prog.dispatcher;
	/* Our program completed any unmarked partial checksum while the
	 * frame was in the receiving CPU's cache; here the check would read
	 * every frame's head from another CPU's cache. Its multi-buffer
	 * flavour reaches only the linear part of a frame, so a multi-buffer
	 * endpoint keeps the check here for every frame (the program's
	 * completion makes a linear frame pass it unchanged). */
	if (!o->sg)
		x->ep.rxp.fix_unmarked = 0;
	x->st.mode = x->prog.attach_mode == 2 /* XDP_MODE_SKB */ ? PKTLINK_XDP_MODE_SKB :
								   PKTLINK_XDP_MODE_DRV;
	return 0;
}

static void xu_prog(void *ctx)
{
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	if (x)
		pl_xdp_prog_teardown(&x->prog);
}

/* step: the XSKMAP entry of each queue */
static int xs_map(void *ctx, unsigned q, char *err, size_t errlen)
{
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	int r = pl_xdp_prog_map_set(&x->prog, x->q[q].qid, x->q[q].sock->fd, err, errlen);
	if (r)
		return r;
	x->q[q].in_map = true;
	return 0;
}

static void xu_map(void *ctx)
{
	struct pl_xdp_ep *x = ((struct xdp_open *)ctx)->x;
	for (unsigned q = 0; x && x->q && q < x->nq; q++)
		if (x->q[q].in_map) {
			pl_xdp_prog_map_clear(&x->prog, x->q[q].qid);
			x->q[q].in_map = false;
		}
}

/* step: the status the application reads (pktlink_xdp_get_status()) */
static int xs_status(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	(void)err;
	(void)errlen;
	struct xdp_open *c = ctx;
	struct pl_xdp_ep *x = c->x;
	bool all_zc = true;
	for (unsigned q = 0; q < c->nq; q++)
		all_zc = all_zc && x->q[q].sock->zc;
	x->st.zerocopy = all_zc;
	x->st.first_queue = c->o->queue;
	x->st.num_queues = c->nq;
	x->st.device_queues = c->devq;
	x->st.usable_mtu = c->usable;
	x->st.frame_size = c->o->frame_size;
	x->st.frames_per_queue = c->o->frames;
	x->st.ifindex = x->ifindex;
	return 0;
}

static const struct pl_step xdp_steps[] = {
	{ "allocate the endpoint", xn_one, xs_alloc, xu_alloc },
	{ "read the device", xn_one, xs_device, NULL },
	{ "allocate the TX scratch", xn_scratch, xs_scratch, xu_scratch },
	{ "allocate the queue table", xn_one, xs_qtable, xu_qtable },
	{ "create a UMEM", xn_queues, xs_umem, xu_umem },
	{ "create an AF_XDP socket", xn_queues, xs_socket, xu_socket },
	{ "create the epoll set", xn_one, xs_pollfd, NULL },
	{ "load and attach the XDP program", xn_one, xs_prog, xu_prog },
	{ "add a socket to the XSKMAP", xn_queues, xs_map, xu_map },
	{ "fill in the status", xn_one, xs_status, NULL },
};

static void xdp_undo_all(struct pl_xdp_ep *x)
{
	struct xdp_open c = { .x = x };
	pl_steps_undo(xdp_steps, sizeof(xdp_steps) / sizeof(xdp_steps[0]), &c);
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

	struct xdp_open c = { .o = &o, .ifindex = ifindex, .nq = nq, .devq = devq };
	int r = pl_steps_run(xdp_steps, sizeof(xdp_steps) / sizeof(xdp_steps[0]), &c, err, errlen);
	if (r)
		return r;
	*epp = &c.x->ep;
	return 0;
}

