/* SPDX-License-Identifier: MIT */
/*
 * test_errdetail: pktlink_last_error() is per thread. An RX thread, a TX
 * thread and a control thread fail on one endpoint at the same time (while
 * its dispatcher worker runs and other threads read details and stats), and
 * each must read back exactly its own detail after every failing call; once
 * the peer goes away, every thread reads why. Runs under TSan (label tsan),
 * which reports any shared buffer written by one thread and read by another.
 *
 * The endpoint is an fd endpoint over a SOCK_SEQPACKET socketpair; the
 * errors are the contract's own refusals (pull while a dispatcher is
 * attached, TX buffers from an endpoint without any, a link address for a
 * link without a header).
 */
#include "fd_testutil.h"

#include <sys/socket.h>

#define ROUNDS 2000

struct shared {
	struct pktlink_ep *ep;
	int phase; /* atomic: 0 failing, 1 peer closed, 2 stop */
	unsigned rounds[3]; /* atomic: per failing thread */
	int failed; /* atomic: a thread saw a wrong detail */
	char why[256]; /* first wrong detail (written by the thread that set failed) */
};

static void fail(struct shared *sh, const char *fmt, const char *a, const char *b)
{
	int zero = 0;
	if (__atomic_compare_exchange_n(&sh->failed, &zero, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		snprintf(sh->why, sizeof(sh->why), fmt, a, b);
}

/* The detail after a failing call must be this thread's own (mine), or
 * once the peer is gone, either its own or the reason. */
static void check(struct shared *sh, const char *mine)
{
	const char *e = pktlink_last_error(sh->ep);
	if (!strstr(e, mine) && !strstr(e, "went away"))
		fail(sh, "expected '%s', read '%s'", mine, e);
}

static void *rx_thread(void *arg)
{
	struct shared *sh = arg;
	struct pktlink_pkt p[4];
	while (__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) < 2) {
		int r = pktlink_rx_burst(sh->ep, p, 4);
		if (r == -EBUSY)
			check(sh, "dispatcher is attached");
		else if (r < 0 && !strstr(pktlink_last_error(sh->ep), "went away"))
			fail(sh, "rx failed with the peer gone, detail '%s'%s",
			     pktlink_last_error(sh->ep), "");
		else if (r >= 0)
			fail(sh, "rx_burst succeeded while attached%s%s", "", "");
		__atomic_add_fetch(&sh->rounds[0], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *tx_thread(void *arg)
{
	struct shared *sh = arg;
	struct pktlink_pkt p[4];
	while (__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) < 2) {
		int r = pktlink_tx_alloc(sh->ep, p, 4);
		if (r != -EOPNOTSUPP)
			fail(sh, "tx_alloc returned %s%s", r >= 0 ? "frames" : "another error", "");
		check(sh, "no TX buffers of their own");
		__atomic_add_fetch(&sh->rounds[1], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *ctl_thread(void *arg)
{
	struct shared *sh = arg;
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	while (__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) < 2) {
		if (pktlink_set_link_addr(sh->ep, mac) != -EOPNOTSUPP)
			fail(sh, "set_link_addr did not fail%s%s", "", "");
		check(sh, "no link header");
		struct pktlink_stats st;
		(void)pktlink_get_stats(sh->ep, &st);
		__atomic_add_fetch(&sh->rounds[2], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* A thread that never fails sees "" until the peer is gone, then the reason. */
static void *reader_thread(void *arg)
{
	struct shared *sh = arg;
	while (__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) < 2) {
		const char *e = pktlink_last_error(sh->ep);
		if (e[0] && !strstr(e, "went away"))
			fail(sh, "a thread without errors read '%s'%s", e, "");
		struct pktlink_stats st;
		(void)pktlink_get_stats(sh->ep, &st);
	}
	return NULL;
}

static void nop_deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	(void)ctx;
	(void)ep;
	(void)pkts;
	(void)n;
}

static struct pktlink_ep *open_pair(int *far)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	char spec[64], err[256] = "";
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&hdr=none", sv[0]);
	struct pktlink_ep *ep = NULL;
	PLT_CHECK(pktlink_open(spec, &ep, err, sizeof(err)) == 0, "open: %s", err);
	*far = sv[1];
	return ep;
}

/* Wait (bounded) until every failing thread did at least n rounds. */
static bool rounds_done(struct shared *sh, unsigned n)
{
	uint64_t end = plt_now_ns() + 30000000000ull;
	for (;;) {
		bool all = true;
		for (int i = 0; i < 3; i++)
			all = all && __atomic_load_n(&sh->rounds[i], __ATOMIC_ACQUIRE) >= n;
		if (all || __atomic_load_n(&sh->failed, __ATOMIC_ACQUIRE))
			return all;
		if (plt_now_ns() > end)
			return false;
		usleep(1000);
	}
}

static int threads_keep_their_own(void)
{
	static struct shared sh;
	int far = -1, reason = 0;
	sh.ep = open_pair(&far);
	PLT_CHECK(pktlink_last_error(sh.ep)[0] == 0, "detail after a clean open: %s",
		  pktlink_last_error(sh.ep));
	pktlink_set_closed_cb(sh.ep, t_closed_cb, &reason);
	PLT_OK(pktlink_attach(sh.ep, nop_deliver, NULL));

	void *(*fns[5])(void *) = { rx_thread, tx_thread, ctl_thread, reader_thread,
				    reader_thread };
	pthread_t th[5];
	for (int i = 0; i < 5; i++)
		PLT_CHECK(pthread_create(&th[i], NULL, fns[i], &sh) == 0, "pthread_create");
	bool ok = rounds_done(&sh, ROUNDS);

	/* The peer goes away under the same load: the worker notices. */
	close(far);
	__atomic_store_n(&sh.phase, 1, __ATOMIC_RELEASE);
	int got = t_wait_nonzero(&reason, 20);
	unsigned base[3];
	for (int i = 0; i < 3; i++)
		base[i] = __atomic_load_n(&sh.rounds[i], __ATOMIC_ACQUIRE);
	bool ok2 = rounds_done(&sh, base[0] + 100) && rounds_done(&sh, base[1] + 100) &&
		   rounds_done(&sh, base[2] + 100);
	__atomic_store_n(&sh.phase, 2, __ATOMIC_RELEASE);
	for (int i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	PLT_CHECK(!sh.failed, "%s", sh.why);
	PLT_CHECK(ok && ok2, "threads did not get through their rounds in time");
	PLT_CHECK(got < 0, "closed reason %d", got);

	/* This thread failed nothing itself: it reads the reason. */
	PLT_CHECK(strstr(pktlink_last_error(sh.ep), "went away"), "main: %s",
		  pktlink_last_error(sh.ep));
	/* Its own later error is newer than the reason... */
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	PLT_CHECK(pktlink_set_link_addr(sh.ep, mac) == -EOPNOTSUPP, "set_link_addr");
	PLT_CHECK(strstr(pktlink_last_error(sh.ep), "no link header"), "own: %s",
		  pktlink_last_error(sh.ep));
	/* ...until a call fails because the peer is gone. */
	struct pktlink_pkt p[2];
	PLT_CHECK(pktlink_tx_burst(sh.ep, p, 0) == got, "tx after gone");
	PLT_CHECK(strstr(pktlink_last_error(sh.ep), "went away"), "after tx: %s",
		  pktlink_last_error(sh.ep));
	pktlink_join(sh.ep);
	pktlink_close(sh.ep);
	return 0;
}

/* Details stay apart per endpoint in one thread, and a thread that used
 * more endpoints than it keeps details for reads "" for the oldest. */
static int endpoints_kept_apart(void)
{
	enum { N = 12 };
	struct pktlink_ep *ep[N];
	int far[N];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct pktlink_pkt p[1];
	for (int i = 0; i < N; i++)
		ep[i] = open_pair(&far[i]);
	/* even: link address refused; odd: TX buffers refused */
	for (int i = 0; i < N; i++)
		PLT_CHECK((i % 2 ? pktlink_tx_alloc(ep[i], p, 1)
				 : pktlink_set_link_addr(ep[i], mac)) == -EOPNOTSUPP,
			  "ep %d did not fail", i);
	for (int i = N - 8; i < N; i++)
		PLT_CHECK(strstr(pktlink_last_error(ep[i]),
				 i % 2 ? "no TX buffers" : "no link header"),
			  "ep %d: %s", i, pktlink_last_error(ep[i]));
	for (int i = 0; i < N - 8; i++)
		PLT_CHECK(pktlink_last_error(ep[i])[0] == 0, "ep %d kept: %s", i,
			  pktlink_last_error(ep[i]));
	/* A closed endpoint's detail never shows through a new one that
	 * reuses its memory. */
	pktlink_close(ep[N - 1]);
	close(far[N - 1]);
	ep[N - 1] = open_pair(&far[N - 1]);
	PLT_CHECK(pktlink_last_error(ep[N - 1])[0] == 0, "new endpoint inherits '%s'",
		  pktlink_last_error(ep[N - 1]));
	for (int i = 0; i < N; i++) {
		pktlink_close(ep[i]);
		close(far[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "threads_keep_their_own", threads_keep_their_own, PLT_UNIT, 120 },
		{ "endpoints_kept_apart", endpoints_kept_apart, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
