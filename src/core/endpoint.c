/* SPDX-License-Identifier: MIT */
/* endpoint.c — the public endpoint API on top of a family's pl_ep_ops. */
#include "endpoint.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The packet view is an array element: its size is ABI (pktlink.h). */
_Static_assert(sizeof(struct pktlink_pkt) == 64, "struct pktlink_pkt must stay 64 bytes");

int pl_ep_init(struct pktlink_ep *ep, const struct pl_ep_ops *ops, unsigned num_queues)
{
	if (!num_queues || num_queues > PL_MAX_QUEUES)
		return -EINVAL;
	ep->ops = ops;
	ep->epoll_fd = -1;
	ep->wake_fd = -1;
	ep->info.family = ops->family;
	ep->info.num_queues = (uint16_t)num_queues;
	ep->rxc = aligned_alloc(PL_CACHELINE, sizeof(*ep->rxc) * num_queues);
	if (!ep->rxc)
		return -ENOMEM;
	memset(ep->rxc, 0, sizeof(*ep->rxc) * num_queues);
	return 0;
}

int pl_ep_init_pollfd(struct pktlink_ep *ep)
{
	if (ep->info.num_queues <= 1)
		return 0;
	ep->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epoll_fd < 0)
		return pl_ep_error(ep, -errno, "epoll_create1: %s", strerror(errno));
	for (unsigned q = 0; q < ep->info.num_queues; q++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = q };
		int fd = ep->ops->queue_fd(ep, q);
		if (fd < 0 || epoll_ctl(ep->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return pl_ep_error(ep, fd < 0 ? fd : -errno,
					   "cannot add queue %u to the endpoint's epoll set: %s", q,
					   strerror(fd < 0 ? -fd : errno));
	}
	return 0;
}

void pl_ep_fini(struct pktlink_ep *ep)
{
	free(ep->rxc);
	ep->rxc = NULL;
	if (ep->epoll_fd >= 0)
		close(ep->epoll_fd);
	ep->epoll_fd = -1;
	if (ep->wake_fd >= 0)
		close(ep->wake_fd);
	ep->wake_fd = -1;
}

int pl_err(char *buf, size_t len, int err, const char *fmt, ...)
{
	if (buf && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

int pl_ep_error(struct pktlink_ep *ep, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ep->errmsg, sizeof(ep->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int pl_ep_peer_gone(struct pktlink_ep *ep, int reason)
{
	int expected = 0;
	if (reason >= 0)
		reason = -ECONNRESET;
	if (__atomic_compare_exchange_n(&ep->dead, &expected, reason, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		if (!ep->errmsg[0])
			pl_ep_error(ep, reason, "peer went away: %s", strerror(-reason));
		pktlink_closed_fn fn = __atomic_load_n(&ep->closed_fn, __ATOMIC_ACQUIRE);
		if (fn)
			fn(ep->closed_ctx, ep, reason);
		/* Wake the other queues' workers so they exit now, not after a wait. */
		int wfd = __atomic_load_n(&ep->wake_fd, __ATOMIC_ACQUIRE);
		if (wfd >= 0) {
			uint64_t one = 1;
			ssize_t w = write(wfd, &one, sizeof(one));
			(void)w;
		}
		return reason;
	}
	return expected;
}

void pktlink_close(struct pktlink_ep *ep)
{
	if (!ep)
		return;
	pl_dispatch_stop(ep);
	pl_dispatch_join(ep);
	ep->ops->destroy(ep);
}

void pktlink_get_info(const struct pktlink_ep *ep, struct pktlink_info *info)
{
	*info = ep->info;
}

int pktlink_set_link_addr(struct pktlink_ep *ep, const uint8_t addr[6])
{
	if (!(ep->info.caps & PKTLINK_CAP_ETHERNET))
		return pl_ep_error(ep, -EOPNOTSUPP,
				   "this %s endpoint carries no link header, so it has no link address",
				   ep->info.family);
	memcpy(ep->info.link_addr, addr, 6);
	ep->info.has_link_addr = 1;
	pl_rx_policy_set_addr(&ep->rxp, addr);
	return ep->ops->set_link_addr ? ep->ops->set_link_addr(ep, addr) : 0;
}

int pktlink_get_stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned q = 0; q < ep->info.num_queues; q++) {
		const struct pl_rx_counters *c = &ep->rxc[q];
		st->rx_packets += pl_stat_read(&c->packets);
		st->rx_bytes += pl_stat_read(&c->bytes);
		st->rx_drop_filter += pl_stat_read(&c->drop_filter);
		st->rx_drop_invalid += pl_stat_read(&c->drop_invalid);
		st->rx_drop_nobuf += pl_stat_read(&c->drop_nobuf);
		st->rx_syscalls += pl_stat_read(&c->syscalls);
	}
	st->tx_packets = pl_stat_read(&ep->txc.packets);
	st->tx_bytes = pl_stat_read(&ep->txc.bytes);
	st->tx_drop_invalid = pl_stat_read(&ep->txc.drop_invalid);
	st->tx_errors = pl_stat_read(&ep->txc.errors);
	st->tx_syscalls = pl_stat_read(&ep->txc.syscalls);
	return ep->ops->read_stats ? ep->ops->read_stats(ep, st) : 0;
}

const char *pktlink_last_error(const struct pktlink_ep *ep)
{
	return ep->errmsg;
}

int pktlink_rx_burst_queue(struct pktlink_ep *ep, unsigned queue, struct pktlink_pkt *pkts,
			   unsigned n)
{
	int dead = pl_ep_dead(ep);
	if (PL_UNLIKELY(dead))
		return dead;
	if (PL_UNLIKELY(queue >= ep->info.num_queues))
		return -EINVAL;
	if (PL_UNLIKELY(__atomic_load_n(&ep->attached, __ATOMIC_RELAXED)))
		return pl_ep_error(ep, -EBUSY,
				   "a dispatcher is attached: frames go to its callback; detach and "
				   "join it before pulling");
	return pl_ep_rx_burst(ep, queue, pkts, n);
}

int pktlink_rx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	unsigned nq = ep->info.num_queues;
	if (nq == 1)
		return pktlink_rx_burst_queue(ep, 0, pkts, n);
	unsigned start = ep->rx_next;
	for (unsigned i = 0; i < nq; i++) {
		unsigned q = (start + i) % nq;
		int r = pktlink_rx_burst_queue(ep, q, pkts, n);
		if (r != 0) {
			ep->rx_next = (q + 1) % nq;
			return r;
		}
	}
	return 0;
}

void pktlink_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	if (n)
		ep->ops->rx_release(ep, pkts, n);
}

int pktlink_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	int dead = pl_ep_dead(ep);
	if (PL_UNLIKELY(dead))
		return dead;
	if (!ep->ops->core_counts)
		return ep->ops->tx_burst(ep, pkts, n);
	/* Single TX thread: the family's drop counters change only in the
	 * call below, so their deltas are this burst's. */
	struct pl_tx_counters *c = &ep->txc;
	uint64_t inv0 = pl_stat_read(&c->drop_invalid), invb0 = pl_stat_read(&c->drop_invalid_bytes);
	int r = ep->ops->tx_burst(ep, pkts, n);
	if (r > 0) {
		uint64_t bytes = 0;
		for (int i = 0; i < r; i++)
			bytes += pkts[i].len;
		uint64_t inv = pl_stat_read(&c->drop_invalid) - inv0;
		uint64_t invb = pl_stat_read(&c->drop_invalid_bytes) - invb0;
		pl_stat_add(&c->packets, (uint64_t)r - inv);
		pl_stat_add(&c->bytes, bytes - invb);
	}
	return r;
}

int pktlink_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	if (!ep->ops->tx_alloc)
		return pl_ep_error(ep, -EOPNOTSUPP,
				   "%s endpoints have no TX buffers of their own: send from your "
				   "memory with pktlink_tx_burst()",
				   ep->info.family);
	int dead = pl_ep_dead(ep);
	if (dead)
		return dead;
	return ep->ops->tx_alloc(ep, pkts, n);
}

void pktlink_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	if (n && ep->ops->tx_free)
		ep->ops->tx_free(ep, pkts, n);
}

int pktlink_fd(const struct pktlink_ep *ep)
{
	return ep->epoll_fd >= 0 ? ep->epoll_fd : ep->ops->queue_fd(ep, 0);
}

int pktlink_queue_fd(const struct pktlink_ep *ep, unsigned queue)
{
	if (queue >= ep->info.num_queues)
		return -EINVAL;
	return ep->ops->queue_fd(ep, queue);
}

int pktlink_wait(struct pktlink_ep *ep, int timeout_ms)
{
	int dead = pl_ep_dead(ep);
	if (dead)
		return dead;
	if (ep->info.num_queues == 1 && ep->ops->rx_wait) {
		int r = ep->ops->rx_wait(ep, 0, -1, timeout_ms);
		return r < 0 ? r : r > 0;
	}
	struct pollfd pfd = { .fd = pktlink_fd(ep), .events = POLLIN };
	int r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r > 0;
}

void pktlink_set_closed_cb(struct pktlink_ep *ep, pktlink_closed_fn fn, void *ctx)
{
	ep->closed_ctx = ctx;
	__atomic_store_n(&ep->closed_fn, fn, __ATOMIC_RELEASE);
}

int pktlink_attach(struct pktlink_ep *ep, pktlink_deliver_fn fn, void *ctx)
{
	return pktlink_attach_opts(ep, fn, ctx, NULL);
}

int pktlink_attach_opts(struct pktlink_ep *ep, pktlink_deliver_fn fn, void *ctx,
			const struct pktlink_attach_opts *opts)
{
	if (!fn) {
		pl_dispatch_stop(ep);
		return 0;
	}
	return pl_dispatch_start(ep, fn, ctx, opts);
}

void pktlink_join(struct pktlink_ep *ep)
{
	pl_dispatch_join(ep);
}

const char *pktlink_strerror(int err)
{
	return strerror(err < 0 ? -err : err);
}
