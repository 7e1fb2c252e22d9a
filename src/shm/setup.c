/* SPDX-License-Identifier: MIT */
/*
 * setup.c — options, the table of setup steps of an endpoint (undone
 * backwards on failure and at destroy), and the open functions.
 */
#include "shm_ep.h"

#include "core/fault.h"
#include "core/opts.h"
#include "core/steps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

/* ops->queue_fd: our epoll set (eventfd + peer fd). */
static int shm_queue_fd(const struct pktlink_ep *ep, unsigned q)
{
	const struct shm_ep *e = (const struct shm_ep *)ep;
	return q == 0 ? e->poll_fd : -EINVAL;
}

static void shm_unwind(struct shm_ep *e);

/* ops->destroy: undo every setup step, last first, then free the endpoint. */
static void shm_destroy(struct pktlink_ep *ep)
{
	shm_unwind(to_shm(ep));
}

static const struct pl_ep_ops shm_ops = {
	.family = "shm",
	.core_counts = false, /* everything here: packets and bytes in the data path's loops */
	.rx_burst = pl_shm_rx_burst,
	.rx_release = pl_shm_rx_release,
	.tx_burst = pl_shm_tx_burst,
	.tx_alloc = pl_shm_tx_alloc,
	.tx_free = pl_shm_tx_free,
	.queue_fd = shm_queue_fd,
	.rx_wait = pl_shm_rx_wait,
	.destroy = shm_destroy,
};

int pktlink_shm_get_stats(const struct pktlink_ep *ep, struct pktlink_shm_stats *st)
{
	if (!ep || ep->ops != &shm_ops || !st || st->sz < sizeof(size_t) + sizeof(uint64_t))
		return -EINVAL;
	const struct shm_ep *e = (const struct shm_ep *)ep;
	st->rx_trimmed = pl_stat_read(&e->rx_trimmed);
	return 0;
}

/* calloc that is one setup step (fails under pl_fault()). */
static void *zalloc(size_t n)
{
	return pl_fault() ? NULL : calloc(1, n ? n : 1);
}

/* What the setup steps read (shm_ep.setup, during the open only). */
struct shm_setup {
	const struct pktlink_shm_opts *o;
	uint32_t client_buf_size;
	uint32_t mtu;
};

/* Step: own the queues and the peer fd (handed in by the caller). */
static int step_queues(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	(void)item;
	(void)e;
	(void)err;
	(void)errlen;
	return 0;
}

static void undo_queues(void *ctx)
{
	struct shm_ep *e = ctx;
	pl_shm_queue_close(&e->q[0]);
	pl_shm_queue_close(&e->q[1]);
	if (e->peer_fd >= 0)
		close(e->peer_fd);
	e->peer_fd = -1;
}

/* Step: the core part (ops, counters). */
static int step_core(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	(void)item;
	int r = pl_fault() ? -ENOMEM : pl_ep_init(&e->ep, &shm_ops, 1);
	if (r)
		return pl_err(err, errlen, r, "shm: out of memory for the endpoint's counters");
	return 0;
}

static void undo_core(void *ctx)
{
	struct shm_ep *e = ctx;
	pl_ep_fini(&e->ep);
}

/* Step: frame sizes, in 64-bit (an mtu near 2^32 must not wrap), and the TX caps. */
static int step_sizes(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	struct shm_setup *s = e->setup;
	(void)item;
	const struct pktlink_shm_opts *o = s->o;
	e->role = o->role;
	e->busy_poll = o->busy_poll;
	e->spin_ns = o->wait_spin_us < 0 ? 0 : o->wait_spin_us ? (uint64_t)o->wait_spin_us * 1000 : SHM_SPIN_NS;
	e->vnet_len = o->vnet_hdr ? SHM_VNET_LEN : 0;
	uint32_t mtu = s->mtu = o->mtu ? o->mtu : 1500;
	uint64_t max_frame = (uint64_t)mtu + SHM_ETH_HDR;
	if (o->vnet_hdr && o->gso_max_size > max_frame)
		max_frame = o->gso_max_size;
	if (max_frame > PKTLINK_SHM_MAX_PACKET || mtu < SHM_MIN_MTU)
		return pl_err(err, errlen, -EINVAL,
			      "shm: mtu %u / gso_max_size %u: the MTU must be %u..%u and frames "
			      "at most %u bytes, the most a shared-memory packet holds",
			      mtu, o->gso_max_size, SHM_MIN_MTU, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR,
			      PKTLINK_SHM_MAX_PACKET);
	e->max_frame = (uint32_t)max_frame;
	e->bounce_size = e->max_frame + e->vnet_len;
	/* The contract's TX side (core/tx_prep.h): with a virtio-net header
	 * the peer takes checksum and GSO requests as negotiated; everything
	 * else pktlink completes (checksums) or cuts (GSO) itself. */
	e->tc.min_len = SHM_ETH_HDR;
	e->tc.link_len = SHM_ETH_HDR;
	e->tc.frame_max = mtu + SHM_ETH_HDR;
	e->tc.csum_pass = o->vnet_hdr && o->tx_csum_offload;
	e->tc.gso_pass = o->vnet_hdr && o->gso_max_size;
	e->tc.super_max = e->tc.gso_pass ? e->max_frame : PKTLINK_SHM_MAX_PACKET;
	return 0;
}

/* Step: the role's view of the four pipes, notification words and eventfds. */
static int step_pipes(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	(void)item;
	struct pl_shm_queue *txq = &e->q[0], *rxq = &e->q[1];
	if (txq->shared.len < 4 || rxq->shared.len < 4)
		return pl_err(err, errlen, -EINVAL, "shm: shared-data regions need >= 4 bytes");
	int pr;
	if (e->role == PKTLINK_SHM_SERVER) {
		pr = pl_pipe_rx_init(&e->in, txq->tx_pipe.base, txq->tx_pipe.len) ||
		     pl_pipe_tx_init(&e->in_ret, txq->rx_pipe.base, txq->rx_pipe.len) ||
		     pl_pipe_tx_init(&e->out, rxq->rx_pipe.base, rxq->rx_pipe.len) ||
		     pl_pipe_rx_init(&e->out_ret, rxq->tx_pipe.base, rxq->tx_pipe.len);
		e->in_data = &txq->data;
		e->in_cap = (uint32_t)pl_pipe_capacity(txq->tx_pipe.len,
						       PL_TXQ_DESC_HDR + PL_TXQ_DESC_BUF);
		e->wait_word = (uint32_t *)(void *)txq->shared.base;
		e->sig_word = (uint32_t *)(void *)rxq->shared.base;
		e->wait_efd = txq->fds[PKTLINK_SHM_FD_EVENT];
		e->sig_efd = rxq->fds[PKTLINK_SHM_FD_EVENT];
	} else {
		pr = pl_pipe_tx_init(&e->out, txq->tx_pipe.base, txq->tx_pipe.len) ||
		     pl_pipe_rx_init(&e->out_ret, txq->rx_pipe.base, txq->rx_pipe.len) ||
		     pl_pipe_rx_init(&e->in, rxq->rx_pipe.base, rxq->rx_pipe.len) ||
		     pl_pipe_tx_init(&e->in_ret, rxq->tx_pipe.base, rxq->tx_pipe.len);
		e->in_data = &rxq->data;
		e->in_cap = (uint32_t)pl_pipe_capacity(rxq->rx_pipe.len,
						       PL_RXQ_COMP_HDR + PL_RXQ_COMP_BUF);
		e->wait_word = (uint32_t *)(void *)rxq->shared.base;
		e->sig_word = (uint32_t *)(void *)txq->shared.base;
		e->wait_efd = rxq->fds[PKTLINK_SHM_FD_EVENT];
		e->sig_efd = txq->fds[PKTLINK_SHM_FD_EVENT];
	}
	if (pr)
		return pl_err(err, errlen, -EINVAL, "shm: pipe regions must hold 32 B .. 2 GiB");
	/* Word 0 counts as "enabled": the peer signals until our first
	 * burst finds work and disarms. A busy poller never sleeps, so it
	 * tells the peer at once never to signal. */
	e->armed = !e->busy_poll;
	if (e->busy_poll)
		pl_notify_disarm(e->wait_word);
	return 0;
}

/* Step: bounce buffers (RX) and the scratch frame of software offloads (TX). */
static int step_buffers(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	(void)item;
	e->rx_bounce = zalloc((size_t)SHM_NBOUNCE * e->bounce_size);
	e->tx_scratch = e->rx_bounce ? zalloc(e->tc.frame_max) : NULL;
	if (!e->tx_scratch)
		return pl_err(err, errlen, -ENOMEM, "shm: out of memory for bounce buffers");
	for (uint32_t i = 0; i < SHM_NBOUNCE; i++)
		e->rx_bounce_free[e->rx_nbounce++] = SHM_NBOUNCE - 1 - i;
	return 0;
}

static void undo_buffers(void *ctx)
{
	struct shm_ep *e = ctx;
	free(e->rx_bounce);
	free(e->tx_scratch);
	e->rx_bounce = e->tx_scratch = NULL;
}

/* Step (server): the ring of pending completions, the cache of posted buffers. */
static int step_server(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	(void)item;
	if (e->role != PKTLINK_SHM_SERVER)
		return 0;
	/* Frames the client can have in flight: at most one per buffer of its
	 * TX data region, in buffers of the size it was given (an estimate:
	 * the client picks it; for pacing the spin, rx.c). */
	uint32_t bs = e->setup->client_buf_size ? e->setup->client_buf_size
						: PKTLINK_SHM_DEFAULT_BUFFER_SIZE;
	uint64_t nbufs = e->q[0].data.len / bs;
	if (nbufs < e->in_cap)
		e->in_cap = (uint32_t)nbufs;
	e->pend = zalloc(SHM_SERVER_SLOTS * sizeof(*e->pend));
	e->posts = e->pend ? zalloc(SHM_POST_CACHE * sizeof(*e->posts)) : NULL;
	if (!e->posts)
		return pl_err(err, errlen, -ENOMEM, "shm: out of memory for the server tables");
	e->views = 0;
	return 0;
}

static void undo_server(void *ctx)
{
	struct shm_ep *e = ctx;
	free(e->pend);
	free(e->posts);
	e->pend = NULL;
	e->posts = NULL;
}

/* Step (client): buffer tables of both queues, then every RX buffer posted. */
static int step_client(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	struct shm_setup *s = e->setup;
	(void)item;
	if (e->role == PKTLINK_SHM_SERVER)
		return 0;
	struct pl_shm_queue *txq = &e->q[0], *rxq = &e->q[1];
	uint32_t bs = s->client_buf_size ? s->client_buf_size : PKTLINK_SHM_DEFAULT_BUFFER_SIZE;
	if (bs < 64 || bs > PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN)
		return pl_err(err, errlen, -EINVAL,
			      "shm: buffer_size %u is out of range: use 64..%u bytes", bs,
			      PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN);
	e->buf_size = e->buf_stride = bs;
	uint64_t ntx = txq->data.len / bs, nrx = rxq->data.len / bs;
	/* Buffers an odd number of cache lines apart when that costs at most
	 * 1/16 of the buffers and leaves at least 64 of each: with a
	 * power-of-two stride (2048) every buffer's first line falls into the
	 * same two L1 sets, and a sender cycling through a few hundred buffers
	 * misses on each. The records carry the offsets (any peer follows). */
	uint64_t cs = (((uint64_t)bs + PL_CACHELINE - 1) / PL_CACHELINE | 1) * PL_CACHELINE;
	if (cs - bs <= bs / 16 && txq->data.len >= bs && rxq->data.len >= bs) {
		uint64_t tn = (txq->data.len - bs) / cs + 1, rn = (rxq->data.len - bs) / cs + 1;
		if (tn >= 64 && rn >= 64) {
			e->buf_stride = (uint32_t)cs;
			ntx = tn;
			nrx = rn;
		}
	}
	uint64_t need = (e->bounce_size + bs - 1) / bs;
	if (ntx < need || nrx < need || need > PL_SHM_MAX_BUFS || ntx > UINT32_MAX / 2 ||
	    nrx > UINT32_MAX / 2)
		return pl_err(err, errlen, -EINVAL,
			      "shm: data regions of %llu/%llu bytes in buffers of %u cannot "
			      "hold one %u-byte frame (at most %u buffers per frame): make "
			      "data_size or buffer_size larger",
			      (unsigned long long)txq->data.len, (unsigned long long)rxq->data.len, bs,
			      e->bounce_size, PL_SHM_MAX_BUFS);
	e->ntx = (uint32_t)ntx;
	e->nrx = (uint32_t)nrx;
	if (nrx < e->in_cap) /* frames in flight to us: at most one per posted buffer */
		e->in_cap = (uint32_t)nrx;
	/* The free FIFO's slots: a power of two >= ntx (<= 2^31, checked above). */
	uint64_t fslots = 1;
	while (fslots < ntx)
		fslots <<= 1;
	e->tx_fmask = (uint32_t)(fslots - 1);
	e->tx_free = zalloc(fslots * sizeof(uint32_t));
	e->tx_next = e->tx_free ? zalloc(ntx * sizeof(uint32_t)) : NULL;
	e->tx_state = e->tx_next ? zalloc(ntx) : NULL;
	e->rx_next = e->tx_state ? zalloc(nrx * sizeof(uint32_t)) : NULL;
	e->rx_state = e->rx_next ? zalloc(nrx) : NULL;
	e->repost = e->rx_state ? zalloc(nrx * sizeof(uint32_t)) : NULL;
	if (!e->repost)
		return pl_err(err, errlen, -ENOMEM, "shm: out of memory for buffer tables");
	for (uint32_t i = 0; i < e->ntx; i++)
		e->tx_free[i] = i; /* the head is the coldest (shm_ep.h, tx_free) */
	e->tx_fhead = 0;
	e->tx_nfree = e->ntx;
	/* Post every RX buffer; what does not fit waits for room. */
	for (uint32_t i = 0; i < e->nrx; i++)
		pl_shm_cli_post(e, i);
	pl_pipe_tx_flush(&e->in_ret);
	return 0;
}

static void undo_client(void *ctx)
{
	struct shm_ep *e = ctx;
	free(e->tx_free);
	free(e->tx_next);
	free(e->tx_state);
	free(e->rx_next);
	free(e->rx_state);
	free(e->repost);
	e->tx_free = e->tx_next = e->rx_next = e->repost = NULL;
	e->tx_state = e->rx_state = NULL;
}

/* Step: pktlink_fd(), readable on a signal or a peer hang-up. */
static int step_epoll(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	(void)item;
	e->poll_fd = pl_fault() ? (errno = EMFILE, -1) : epoll_create1(EPOLL_CLOEXEC);
	if (e->poll_fd < 0) {
		int er = errno;
		return pl_err(err, errlen, -er, "shm: epoll_create1: %s", strerror(er));
	}
	struct epoll_event ev = { .events = EPOLLIN };
	int fds2[2] = { e->wait_efd, e->peer_fd };
	for (int i = 0; i < 2; i++) {
		if (fds2[i] < 0)
			continue;
		if (pl_fault() || epoll_ctl(e->poll_fd, EPOLL_CTL_ADD, fds2[i], &ev) < 0) {
			int er = errno ? errno : EINVAL;
			return pl_err(err, errlen, -er, "shm: cannot watch the %s: %s",
				      i ? "peer fd" : "eventfd", strerror(er));
		}
	}
	return 0;
}

static void undo_epoll(void *ctx)
{
	struct shm_ep *e = ctx;
	if (e->poll_fd >= 0)
		close(e->poll_fd);
	e->poll_fd = -1;
}

/* Step: the properties pktlink_get_info() reports. */
static int step_info(void *ctx, unsigned item, char *err, size_t errlen)
{
	struct shm_ep *e = ctx;
	struct shm_setup *s = e->setup;
	(void)item;
	const struct pktlink_shm_opts *o = s->o;
	struct pktlink_info *in = &e->ep.info;
	in->mtu = s->mtu;
	in->max_header_len = SHM_ETH_HDR;
	in->caps = PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	/* Partial checksums and super-packets are always taken: passed to
	 * the peer or completed here (pl_shm_tx_soft()). */
	in->caps |= PKTLINK_CAP_TX_CSUM_OFFLOAD;
	if (o->vnet_hdr && o->rx_csum_offload)
		in->caps |= PKTLINK_CAP_RX_CSUM_OFFLOAD;
	in->gso_kind = e->tc.gso_pass ? PKTLINK_GSO_KIND_HOST : PKTLINK_GSO_KIND_SOFTWARE;
	in->gso_max_size = e->tc.super_max;
	if (e->role != PKTLINK_SHM_SERVER && e->buf_size >= e->max_frame + e->vnet_len)
		in->caps |= PKTLINK_CAP_TX_ALLOC;
	in->arp_hwtype = 1;
	/* No receive filter: the peer is one stack on a point-to-point link
	 * (gVisor's sharedmem filters nothing either). */
	pl_rx_policy_init(&e->ep.rxp, true, true, NULL, in->caps & PKTLINK_CAP_RX_CSUM_OFFLOAD,
			  e->tc.gso_pass);
	if (o->has_link_addr) {
		memcpy(in->link_addr, o->link_addr, 6);
		in->has_link_addr = 1;
	}
	return 0;
}

/*
 * The setup of an endpoint, in order (core/steps.h): pl_steps_run() undoes
 * the failed step and every earlier one, backwards; destroy undoes them all
 * with the same functions.
 */
static const struct pl_step shm_steps[] = {
	{ "own the queues and the peer fd", NULL, step_queues, undo_queues },
	{ "set up the core endpoint", NULL, step_core, undo_core },
	{ "check the frame sizes", NULL, step_sizes, NULL },
	{ "attach the pipes", NULL, step_pipes, NULL },
	{ "allocate bounce and scratch buffers", NULL, step_buffers, undo_buffers },
	{ "allocate the server tables", NULL, step_server, undo_server },
	{ "allocate the client tables and post buffers", NULL, step_client, undo_client },
	{ "create the epoll set", NULL, step_epoll, undo_epoll },
	{ "fill in the info", NULL, step_info, NULL },
};
#define SHM_NSTEPS (sizeof(shm_steps) / sizeof(shm_steps[0]))

static void shm_unwind(struct shm_ep *e)
{
	pl_steps_undo(shm_steps, SHM_NSTEPS, e);
	free(e);
}

int pl_shm_ep_create(const struct pktlink_shm_opts *o, struct pl_shm_queue q[2], int peer_fd,
		     uint32_t client_buf_size, struct pktlink_ep **epp, char *err, size_t errlen)
{
	/* Aligned: the core's counters and our RX and TX sections each start a
	 * cache line (calloc gives 16 bytes, which would put them astride). */
	size_t size = (sizeof(struct shm_ep) + PL_CACHELINE - 1) & ~(size_t)(PL_CACHELINE - 1);
	struct shm_ep *e = pl_fault() ? NULL : aligned_alloc(PL_CACHELINE, size);
	if (e)
		memset(e, 0, size);
	if (!e) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		if (peer_fd >= 0)
			close(peer_fd);
		return pl_err(err, errlen, -ENOMEM, "shm: out of memory for the endpoint");
	}
	e->q[0] = q[0];
	e->q[1] = q[1];
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	e->peer_fd = peer_fd;
	e->poll_fd = -1;
	e->ep.epoll_fd = e->ep.wake_fd = -1; /* so that undo_core is safe at any point */
	struct shm_setup s = { .o = o, .client_buf_size = client_buf_size };
	e->setup = &s;
	int r = pl_steps_run(shm_steps, SHM_NSTEPS, e, err, errlen);
	e->setup = NULL;
	if (r) {
		free(e);
		return r;
	}
	*epp = &e->ep;
	return 0;
}

/*
 * The directory for queue files: an absolute path without "." or ".."
 * components (a spec string must not walk out of where it points), naming
 * an existing directory.
 */
static int dir_check(const char *dir, char *err, size_t errlen)
{
	size_t n = strlen(dir);
	bool dots = false;
	for (const char *c = dir; *c; c++) {
		if (*c != '/' && (c == dir || c[-1] == '/')) {
			size_t k = strcspn(c, "/");
			if ((k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
				dots = true;
		}
	}
	if (dir[0] != '/' || dots || n >= 4096)
		return pl_err(err, errlen, -EINVAL,
			      "shm: dir '%s' must be an absolute path without '.' or '..' components "
			      "(e.g. /dev/shm)",
			      dir);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return pl_err(err, errlen, -ENOTDIR, "shm: dir '%s' is not an existing directory",
			      dir);
	return 0;
}

/* Defaults and validation of the options every entry point shares. */
int pl_shm_opts_load(const struct pktlink_shm_opts *in, struct pktlink_shm_opts *o, char *err,
		     size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (!in)
		return pl_err(err, errlen, -EINVAL, "shm: opts is NULL");
	int r = PL_OPTS_LOAD(pktlink_shm_opts, o, in, pl_offsetofend(struct pktlink_shm_opts, allow_unsealed),
			     err, errlen);
	if (r)
		return r;
	if (o->role != PKTLINK_SHM_CLIENT && o->role != PKTLINK_SHM_SERVER)
		return pl_err(err, errlen, -EINVAL, "shm: role must be client or server");
	if (!o->data_size)
		o->data_size = PKTLINK_SHM_DEFAULT_DATA_SIZE;
	if (!o->pipe_size)
		o->pipe_size = PKTLINK_SHM_DEFAULT_PIPE_SIZE;
	if (!o->shared_size)
		o->shared_size = PKTLINK_SHM_DEFAULT_SHARED_SIZE;
	if (!o->buffer_size)
		o->buffer_size = PKTLINK_SHM_DEFAULT_BUFFER_SIZE;
	if (!o->timeout_ms)
		o->timeout_ms = 30000;
	if (o->gso_max_size && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "shm: gso_max_size needs vnet_hdr=1 (the virtio-net header carries "
			      "the GSO request)");
	if ((o->tx_csum_offload || o->rx_csum_offload) && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "shm: checksum offload needs vnet_hdr=1 (the virtio-net header "
			      "carries the checksum flags)");
	if (o->gso_max_size > PKTLINK_SHM_MAX_PACKET)
		return pl_err(err, errlen, -EINVAL, "shm: gso_max_size %u is over %u",
			      o->gso_max_size, PKTLINK_SHM_MAX_PACKET);
	/* Every size in 64-bit: none may wrap a later sum. */
	if (o->mtu && (o->mtu < SHM_MIN_MTU || (uint64_t)o->mtu + SHM_ETH_HDR > PKTLINK_SHM_MAX_PACKET))
		return pl_err(err, errlen, -EINVAL, "shm: mtu %u is out of range: use %u..%u", o->mtu,
			      SHM_MIN_MTU, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR);
	if (o->buffer_size < 64 || o->buffer_size > PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN)
		return pl_err(err, errlen, -EINVAL,
			      "shm: buffer_size %u is out of range: use 64..%u bytes", o->buffer_size,
			      PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN);
	if (o->data_size > PL_SHM_MAX_DATA_SIZE || o->pipe_size > (1ull << 31) ||
	    o->shared_size > (1ull << 31))
		return pl_err(err, errlen, -EINVAL,
			      "shm: data_size %llu / pipe_size %llu / shared_size %llu: at most 4 GiB "
			      "of data and 2 GiB per pipe or shared region",
			      (unsigned long long)o->data_size, (unsigned long long)o->pipe_size,
			      (unsigned long long)o->shared_size);
	if (o->handover != PKTLINK_SHM_HANDOVER_PKTLINK && o->handover != PKTLINK_SHM_HANDOVER_FDS)
		return pl_err(err, errlen, -EINVAL, "shm: handover must be pktlink or fds");
	if (o->dir)
		return dir_check(o->dir, err, errlen);
	return 0;
}

int pktlink_shm_qp_create(const struct pktlink_shm_opts *opts, struct pktlink_shm_fds *fds,
			  char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct pl_shm_queue q[2];
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
		fds->tx[i] = fds->rx[i] = -1;
	int r = pl_shm_opts_load(opts, &o, err, errlen);
	if (r)
		return r;
	struct pl_shm_queue_sizes sz = { o.data_size, o.pipe_size, o.pipe_size, o.shared_size };
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	r = pl_shm_queue_create(&q[0], &sz, o.dir, err, errlen);
	if (!r)
		r = pl_shm_queue_create(&q[1], &sz, o.dir, err, errlen);
	if (r) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		return r;
	}
	/* Hand the descriptors over; the mappings were only for initialising. */
	memcpy(fds->tx, q[0].fds, sizeof(fds->tx));
	memcpy(fds->rx, q[1].fds, sizeof(fds->rx));
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
			q[k].fds[i] = -1;
		pl_shm_queue_close(&q[k]);
	}
	return 0;
}

void pktlink_shm_fds_close(struct pktlink_shm_fds *fds)
{
	if (!fds)
		return;
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++) {
		if (fds->tx[i] >= 0)
			close(fds->tx[i]);
		if (fds->rx[i] >= 0)
			close(fds->rx[i]);
		fds->tx[i] = fds->rx[i] = -1;
	}
}

int pktlink_shm_open(const struct pktlink_shm_opts *opts, const struct pktlink_shm_fds *fds,
		     int peer_fd, struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct pl_shm_queue q[2];
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "shm: epp is NULL");
	*epp = NULL;
	int r = pl_shm_opts_load(opts, &o, err, errlen);
	if (r)
		return r;
	if (!fds)
		return pl_err(err, errlen, -EINVAL, "shm: fds is NULL");
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	int pfd = -1;
	r = pl_shm_queue_adopt(&q[0], fds->tx, err, errlen);
	if (!r)
		r = pl_shm_queue_adopt(&q[1], fds->rx, err, errlen);
	if (!r)
		r = pl_shm_queue_map(&q[0], NULL, o.allow_unsealed, err, errlen);
	if (!r)
		r = pl_shm_queue_map(&q[1], NULL, o.allow_unsealed, err, errlen);
	if (!r && peer_fd >= 0) {
		pfd = pl_fault() ? (errno = EMFILE, -1) : fcntl(peer_fd, F_DUPFD_CLOEXEC, 0);
		if (pfd < 0)
			r = pl_err(err, errlen, -errno, "shm: cannot duplicate the peer fd %d: %s",
				   peer_fd, strerror(errno));
	}
	if (r) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		return r;
	}
	return pl_shm_ep_create(&o, q, pfd, o.buffer_size, epp, err, errlen);
}
