/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c — push mode: one worker thread per queue that receives bursts
 * and hands them to the attached callback.
 *
 * Stopping: a flag plus an eventfd (the endpoint's wake_fd) that every worker
 * polls next to its queue, so a sleeping worker wakes at once — on detach,
 * and when another queue found the peer gone. Waits are also bounded
 * (250 ms) so a family wait that ignores the fd still ends. The eventfd lives
 * from the first attach until close (the seed leaked its stop eventfds).
 */
#include "endpoint.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PL_DISPATCH_WAIT_MS 250
#define PL_DISPATCH_MAX_BURST 256

struct pl_worker {
	struct pl_dispatcher *d;
	unsigned queue;
	pthread_t thread;
	bool started;
};

struct pl_dispatcher {
	struct pktlink_ep *ep;
	pktlink_deliver_fn fn;
	void *ctx;
	unsigned burst;
	bool busy_poll;
	int stop; /* atomic */
	int stop_fd; /* the endpoint's wake_fd */
	unsigned nworkers;
	struct pl_worker workers[];
};

static int default_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms,
			bool *hup)
{
	struct pollfd pfd[2] = {
		{ .fd = ep->ops->queue_fd(ep, q), .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int r = poll(pfd, 2, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	/* POLLHUP/POLLERR alone: the next rx_burst reads the error or EOF;
	 * if it still sees nothing, the hang-up is final. */
	*hup = (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(pfd[0].revents & POLLIN);
	if (pfd[0].revents & POLLNVAL)
		return -EBADF;
	return r;
}

static void *worker_main(void *arg)
{
	struct pl_worker *w = arg;
	struct pl_dispatcher *d = w->d;
	struct pktlink_ep *ep = d->ep;
	struct pktlink_pkt pkts[PL_DISPATCH_MAX_BURST];
	unsigned q = w->queue;
	bool hup = false;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		if (pl_ep_dead(ep))
			break;
		int n = pl_ep_rx_burst(ep, q, pkts, d->burst);
		if (n > 0) {
			hup = false;
			d->fn(d->ctx, ep, pkts, (unsigned)n);
			ep->ops->rx_release(ep, pkts, (unsigned)n);
			continue;
		}
		if (n < 0) {
			if (n == -EAGAIN || n == -EINTR)
				continue;
			pl_ep_peer_gone(ep, n);
			break;
		}
		if (hup) {
			pl_ep_peer_gone(ep, -ECONNRESET);
			break;
		}
		if (d->busy_poll)
			continue;
		int r;
		if (ep->ops->rx_wait)
			r = ep->ops->rx_wait(ep, q, d->stop_fd, PL_DISPATCH_WAIT_MS);
		else
			r = default_wait(ep, q, d->stop_fd, PL_DISPATCH_WAIT_MS, &hup);
		if (r < 0 && r != -EINTR && r != -EAGAIN) {
			pl_ep_peer_gone(ep, r);
			break;
		}
	}
	return NULL;
}

static void dispatcher_free(struct pl_dispatcher *d)
{
	free(d);
}

int pl_dispatch_start(struct pktlink_ep *ep, pktlink_deliver_fn fn, void *ctx,
		      const struct pktlink_attach_opts *opts)
{
	if (ep->disp)
		return pl_ep_error(ep, -EBUSY,
				   "a dispatcher is already attached (or not yet joined): call "
				   "pktlink_attach(ep, NULL, NULL) and pktlink_join() first");
	int dead = pl_ep_dead(ep);
	if (dead)
		return pl_ep_error(ep, dead, "cannot attach: the peer is gone (%s)",
				   strerror(-dead));
	unsigned burst = opts && opts->burst ? opts->burst : 64;
	if (burst > PL_DISPATCH_MAX_BURST)
		return pl_ep_error(ep, -EINVAL, "attach: burst %u is too large: the limit is %d",
				   burst, PL_DISPATCH_MAX_BURST);
	unsigned nq = ep->info.num_queues;
	struct pl_dispatcher *d = calloc(1, sizeof(*d) + nq * sizeof(d->workers[0]));
	if (!d)
		return pl_ep_error(ep, -ENOMEM, "attach: out of memory");
	d->ep = ep;
	d->fn = fn;
	d->ctx = ctx;
	d->burst = burst;
	d->busy_poll = opts && opts->busy_poll;
	d->nworkers = nq;
	if (ep->wake_fd < 0) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0) {
			int e = -errno;
			dispatcher_free(d);
			return pl_ep_error(ep, e, "attach: eventfd: %s", strerror(-e));
		}
		__atomic_store_n(&ep->wake_fd, fd, __ATOMIC_RELEASE);
	} else {
		uint64_t stale; /* a wake-up left over from the last detach */
		ssize_t r = read(ep->wake_fd, &stale, sizeof(stale));
		(void)r;
	}
	d->stop_fd = ep->wake_fd;
	ep->disp = d;
	__atomic_store_n(&ep->attached, 1, __ATOMIC_RELEASE);
	for (unsigned q = 0; q < nq; q++) {
		d->workers[q].d = d;
		d->workers[q].queue = q;
		int e = pthread_create(&d->workers[q].thread, NULL, worker_main, &d->workers[q]);
		if (e) {
			pl_dispatch_stop(ep);
			pl_dispatch_join(ep);
			return pl_ep_error(ep, -e, "attach: cannot start worker %u: %s", q,
					   strerror(e));
		}
		d->workers[q].started = true;
	}
	return 0;
}

void pl_dispatch_stop(struct pktlink_ep *ep)
{
	struct pl_dispatcher *d = ep->disp;
	if (!d)
		return;
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	uint64_t one = 1;
	ssize_t w = write(d->stop_fd, &one, sizeof(one));
	(void)w; /* the flag alone also stops the workers within one wait */
}

void pl_dispatch_join(struct pktlink_ep *ep)
{
	struct pl_dispatcher *d = ep->disp;
	if (!d)
		return;
	for (unsigned q = 0; q < d->nworkers; q++)
		if (d->workers[q].started)
			pthread_join(d->workers[q].thread, NULL);
	ep->disp = NULL;
	__atomic_store_n(&ep->attached, 0, __ATOMIC_RELEASE);
	dispatcher_free(d);
}
