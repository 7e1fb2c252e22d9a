/* SPDX-License-Identifier: MIT */
/*
 * test_dispatch: the core contract independent of any family — pull
 * wrappers, the dispatcher's worker lifecycle (attach, detach, join, attach
 * again), the closed callback firing exactly once, multi-queue epoll, and
 * error rules (EBUSY while attached, the reason after the peer is gone).
 *
 * The endpoint here is a minimal family defined in the test: one
 * SOCK_SEQPACKET socketpair per queue, a real kernel object whose far ends
 * the test writes to and closes.
 */
#include "harness.h"
#include "core/endpoint.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUF 8

struct sp_ep {
	struct pktlink_ep ep;
	int fds[4]; /* our ends */
	uint8_t buf[4][NBUF][256];
	uint32_t used[4]; /* bitmask of buffers out */
};

static int sp_rx(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n)
{
	struct sp_ep *s = (struct sp_ep *)ep;
	unsigned got = 0;
	while (got < n) {
		unsigned b = 0;
		while (b < NBUF && (s->used[q] & (1u << b)))
			b++;
		if (b == NBUF)
			break;
		ssize_t r = recv(s->fds[q], s->buf[q][b], sizeof(s->buf[q][b]), MSG_DONTWAIT);
		pl_stat_add(&ep->rxc[q].syscalls, 1);
		if (r == 0)
			return got ? (int)got : pl_ep_peer_gone(ep, -ECONNRESET);
		if (r < 0) {
			if (errno == EAGAIN)
				break;
			return got ? (int)got : pl_ep_peer_gone(ep, -errno);
		}
		s->used[q] |= 1u << b;
		pkts[got] = (struct pktlink_pkt){ .data = s->buf[q][b], .len = (uint32_t)r,
						  .queue = (uint16_t)q, .priv = b };
		pl_stat_add(&ep->rxc[q].packets, 1);
		pl_stat_add(&ep->rxc[q].bytes, (uint64_t)r);
		got++;
	}
	return (int)got;
}

static void sp_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n)
{
	struct sp_ep *s = (struct sp_ep *)ep;
	for (unsigned i = 0; i < n; i++)
		s->used[pkts[i].queue] &= ~(1u << pkts[i].priv);
}

static int sp_tx(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct sp_ep *s = (struct sp_ep *)ep;
	for (unsigned i = 0; i < n; i++) {
		if (send(s->fds[0], pkts[i].data, pkts[i].len, MSG_DONTWAIT) < 0)
			return errno == EAGAIN ? (int)i : -errno;
		pl_stat_add(&ep->txc.packets, 1);
	}
	return (int)n;
}

static int sp_qfd(const struct pktlink_ep *ep, unsigned q)
{
	return ((const struct sp_ep *)ep)->fds[q];
}

static void sp_destroy(struct pktlink_ep *ep)
{
	struct sp_ep *s = (struct sp_ep *)ep;
	for (unsigned q = 0; q < 4; q++)
		if (s->fds[q] >= 0)
			close(s->fds[q]);
	pl_ep_fini(ep);
	free(s);
}

static const struct pl_ep_ops sp_ops = {
	.family = "test",
	.rx_burst = sp_rx,
	.rx_release = sp_release,
	.tx_burst = sp_tx,
	.queue_fd = sp_qfd,
	.destroy = sp_destroy,
};

/* Open an endpoint with nq queues; far[q] receives the test's ends. */
static struct pktlink_ep *sp_open(unsigned nq, int *far)
{
	struct sp_ep *s = calloc(1, sizeof(*s));
	PLT_CHECK(s, "calloc");
	for (unsigned q = 0; q < 4; q++)
		s->fds[q] = -1;
	PLT_OK(pl_ep_init(&s->ep, &sp_ops, nq));
	for (unsigned q = 0; q < nq; q++) {
		int sv[2];
		PLT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
		s->fds[q] = sv[0];
		far[q] = sv[1];
	}
	PLT_OK(pl_ep_init_pollfd(&s->ep));
	return &s->ep;
}

struct counter {
	unsigned long frames; /* atomic */
	unsigned long bytes; /* atomic */
	int closed_calls; /* atomic */
	int closed_reason;
	unsigned long per_queue[4]; /* atomic */
};

static void deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct counter *c = ctx;
	for (unsigned i = 0; i < n; i++) {
		__atomic_fetch_add(&c->bytes, pkts[i].len, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->per_queue[pkts[i].queue], 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&c->frames, n, __ATOMIC_RELEASE);
}

static void on_closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	struct counter *c = ctx;
	c->closed_reason = reason;
	__atomic_fetch_add(&c->closed_calls, 1, __ATOMIC_RELEASE);
}

static bool wait_until(unsigned long *v, unsigned long want, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (__atomic_load_n(v, __ATOMIC_ACQUIRE) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

static int pull_round_robin(void)
{
	int far[4];
	struct pktlink_ep *ep = sp_open(3, far);
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.num_queues == 3 && !strcmp(info.family, "test"), "info");
	PLT_CHECK(pktlink_fd(ep) == ep->epoll_fd && ep->epoll_fd >= 0, "epoll fd for 3 queues");
	PLT_CHECK(pktlink_wait(ep, 0) == 0, "nothing ready");
	for (unsigned q = 0; q < 3; q++)
		PLT_OK(send(far[q], "abc", 3, 0));
	PLT_CHECK(pktlink_wait(ep, 1000) == 1, "ready");
	struct pktlink_pkt p[8];
	unsigned seen = 0, total = 0;
	for (int i = 0; i < 10 && total < 3; i++) {
		int n = pktlink_rx_burst(ep, p, 8);
		PLT_CHECK(n >= 0, "rx %d", n);
		for (int k = 0; k < n; k++) {
			seen |= 1u << p[k].queue;
			PLT_CHECK(p[k].len == 3 && !memcmp(p[k].data, "abc", 3), "bytes");
		}
		total += (unsigned)n;
		pktlink_rx_release(ep, p, (unsigned)n);
	}
	PLT_CHECK(seen == 7 && total == 3, "every queue visited: mask %x total %u", seen, total);
	PLT_CHECK(pktlink_queue_fd(ep, 3) == -EINVAL, "queue fd range");
	PLT_CHECK(pktlink_rx_burst_queue(ep, 7, p, 1) == -EINVAL, "queue range");
	PLT_CHECK(pktlink_tx_alloc(ep, p, 1) == -EOPNOTSUPP && strstr(pktlink_last_error(ep), "test"),
		  "tx_alloc unsupported: %s", pktlink_last_error(ep));
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	PLT_CHECK(pktlink_set_link_addr(ep, mac) == -EOPNOTSUPP, "no ethernet, no MAC");
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(ep, &st));
	PLT_CHECK(st.rx_packets == 3 && st.rx_bytes == 9 && st.rx_syscalls >= 3, "stats");
	pktlink_close(ep);
	for (unsigned q = 0; q < 3; q++)
		close(far[q]);
	return 0;
}

static int attach_detach_cycles(void)
{
	int far[4];
	int fds0 = plt_fd_count();
	struct pktlink_ep *ep = sp_open(2, far);
	struct counter c = { 0 };
	pktlink_set_closed_cb(ep, on_closed, &c);
	unsigned long want = 0;
	for (int round = 0; round < 20; round++) {
		PLT_OK(pktlink_attach(ep, deliver, &c));
		PLT_CHECK(pktlink_attach(ep, deliver, &c) == -EBUSY, "double attach");
		struct pktlink_pkt p[1];
		PLT_CHECK(pktlink_rx_burst(ep, p, 1) == -EBUSY, "pull while attached");
		for (int i = 0; i < 50; i++) {
			PLT_OK(send(far[i & 1], "0123456789", 10, 0));
			want++;
		}
		PLT_CHECK(wait_until(&c.frames, want, 5000), "delivered %lu of %lu",
			  __atomic_load_n(&c.frames, __ATOMIC_ACQUIRE), want);
		PLT_OK(pktlink_attach(ep, NULL, NULL));
		pktlink_join(ep);
		pktlink_join(ep); /* idempotent */
	}
	PLT_CHECK(c.per_queue[0] == want / 2 && c.per_queue[1] == want / 2, "both workers ran");
	PLT_CHECK(c.bytes == want * 10, "bytes");
	PLT_CHECK(__atomic_load_n(&c.closed_calls, __ATOMIC_ACQUIRE) == 0, "no close");
	pktlink_close(ep);
	close(far[0]);
	close(far[1]);
	PLT_CHECK(plt_fd_count() == fds0, "fds back to %d, now %d", fds0, plt_fd_count());
	return 0;
}

static int peer_gone_once(void)
{
	int far[4];
	struct pktlink_ep *ep = sp_open(2, far);
	struct counter c = { 0 };
	pktlink_set_closed_cb(ep, on_closed, &c);
	PLT_OK(pktlink_attach(ep, deliver, &c));
	PLT_OK(send(far[1], "x", 1, 0));
	PLT_CHECK(wait_until(&c.frames, 1, 5000), "first frame");
	close(far[0]); /* EOF on queue 0 */
	unsigned long one = 0;
	for (int i = 0; i < 5000 && !__atomic_load_n(&c.closed_calls, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	(void)one;
	/* workers exit on their own; join without detaching */
	pktlink_join(ep);
	PLT_CHECK(__atomic_load_n(&c.closed_calls, __ATOMIC_ACQUIRE) == 1, "closed once, got %d",
		  c.closed_calls);
	PLT_CHECK(c.closed_reason == -ECONNRESET, "reason %d", c.closed_reason);
	struct pktlink_pkt p[1];
	PLT_CHECK(pktlink_rx_burst(ep, p, 1) == -ECONNRESET, "pull after death");
	PLT_CHECK(pktlink_tx_burst(ep, p, 1) == -ECONNRESET, "tx after death");
	PLT_CHECK(pktlink_attach(ep, deliver, &c) == -ECONNRESET, "attach after death");
	PLT_CHECK(pktlink_wait(ep, 0) == -ECONNRESET, "wait after death");
	pktlink_close(ep);
	close(far[1]);
	PLT_CHECK(c.closed_calls == 1, "still once");
	return 0;
}

static int close_while_attached(void)
{
	int far[4];
	int fds0 = plt_fd_count();
	struct pktlink_ep *ep = sp_open(4, far);
	struct counter c = { 0 };
	PLT_OK(pktlink_attach(ep, deliver, &c));
	pktlink_close(ep); /* stops and joins the workers itself */
	for (int q = 0; q < 4; q++)
		close(far[q]);
	PLT_CHECK(plt_fd_count() == fds0, "fds back to %d, now %d", fds0, plt_fd_count());
	return 0;
}

static int attach_options(void)
{
	int far[4];
	struct pktlink_ep *ep = sp_open(1, far);
	struct counter c = { 0 };
	PKTLINK_OPTS(pktlink_attach_opts, o, .burst = 1000);
	PLT_CHECK(pktlink_attach_opts(ep, deliver, &c, &o) == -EINVAL &&
			  strstr(pktlink_last_error(ep), "burst"),
		  "burst limit: %s", pktlink_last_error(ep));
	o = (struct pktlink_attach_opts){ .sz = sizeof(o), .burst = 4, .busy_poll = true };
	PLT_OK(pktlink_attach_opts(ep, deliver, &c, &o));
	for (int i = 0; i < 100; i++)
		PLT_OK(send(far[0], "y", 1, 0));
	PLT_CHECK(wait_until(&c.frames, 100, 5000), "busy poll delivers");
	PLT_OK(pktlink_attach(ep, NULL, NULL));
	pktlink_join(ep);
	pktlink_close(ep);
	close(far[0]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "pull_round_robin", pull_round_robin, PLT_UNIT, 30 },
		{ "attach_detach_cycles", attach_detach_cycles, PLT_UNIT, 60 },
		{ "peer_gone_once", peer_gone_once, PLT_UNIT, 30 },
		{ "close_while_attached", close_while_attached, PLT_UNIT, 30 },
		{ "attach_options", attach_options, PLT_UNIT, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
