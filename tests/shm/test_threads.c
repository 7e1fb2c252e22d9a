/* SPDX-License-Identifier: MIT */
/*
 * test_threads: both ends in one process, several threads at once, for
 * ThreadSanitizer: a client with one RX thread and one TX thread (the
 * contract's concurrency), and a server whose dispatcher echoes every frame
 * from its callback. Also checks that no wake-up is lost: the client's RX
 * thread sleeps in pktlink_wait() with a long timeout, and a timeout while
 * echoes are still due would mean a lost wake-up.
 */
#include "shm_testlib.h"

#include <pthread.h>
#include <sched.h>

#define TH_COUNT 20000u

struct th {
	struct pktlink_ep *cli, *srv;
	uint32_t sent; /* atomic: frames the client's TX thread handed over */
	uint32_t recvd; /* atomic */
	uint32_t lost; /* atomic: pktlink_wait timeouts while echoes were due */
	int failed; /* atomic */
};

static void echo_cb(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	/* One worker: transmitting from the callback is allowed. Views are
	 * valid until we return, and tx_burst copies, so echo them as they are. */
	unsigned done = 0;
	uint64_t deadline = plt_now_ns() + PLT_WAIT_NS;
	while (done < n && plt_now_ns() < deadline) {
		int r = pktlink_tx_burst(ep, pkts + done, n - done);
		if (r < 0)
			return;
		done += (unsigned)r;
		if (r == 0)
			sched_yield(); /* the client has not reposted yet */
	}
}

static void *tx_thread(void *arg)
{
	struct th *t = arg;
	static uint8_t bufs[16][1514];
	struct pktlink_pkt p[16];
	uint32_t sent = 0;
	uint64_t deadline = plt_now_ns() + 40000000000ull;
	while (sent < TH_COUNT && plt_now_ns() < deadline) {
		unsigned n = 0;
		for (; n < 16 && sent + n < TH_COUNT; n++) {
			uint32_t len = sht_len(0, sent + n, 60, 1514);
			sht_fill(bufs[n], 0, sent + n, len);
			p[n] = (struct pktlink_pkt){ .data = bufs[n], .len = len };
		}
		int r = pktlink_tx_burst(t->cli, p, n);
		if (r < 0)
			break;
		sent += (uint32_t)r;
		__atomic_store_n(&t->sent, sent, __ATOMIC_RELEASE);
		if (r == 0 || sent % 512 == 0)
			usleep(50); /* gaps, so that the receivers go to sleep often */
	}
	return NULL;
}

static void *rx_thread(void *arg)
{
	struct th *t = arg;
	struct pktlink_pkt p[64];
	uint32_t recvd = 0;
	uint64_t deadline = plt_now_ns() + 40000000000ull;
	while (recvd < TH_COUNT && plt_now_ns() < deadline) {
		int r = pktlink_rx_burst(t->cli, p, 64);
		if (r < 0)
			break;
		for (int i = 0; i < r; i++)
			if (sht_check(&p[i], 0, recvd++, 60, 1514))
				__atomic_store_n(&t->failed, 1, __ATOMIC_RELAXED);
		pktlink_rx_release(t->cli, p, (unsigned)r);
		__atomic_store_n(&t->recvd, recvd, __ATOMIC_RELEASE);
		if (r == 0) {
			uint32_t due = __atomic_load_n(&t->sent, __ATOMIC_ACQUIRE);
			if (pktlink_wait(t->cli, 3000) == 0 && due > recvd) {
				/* Slept 3 s with echoes due: unless the server was
				 * descheduled that long, a wake-up was lost. */
				__atomic_add_fetch(&t->lost, 1, __ATOMIC_RELAXED);
			}
		}
	}
	return NULL;
}

static int echo_threads_spin(int spin_us)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.wait_spin_us = s.wait_spin_us = spin_us;
	struct pktlink_shm_fds fds;
	char err[256];
	struct th t = { 0 };
	int fds0 = plt_fd_count();
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &t.cli, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&s, &fds, -1, &t.srv, err, sizeof(err)) == 0, "%s", err);
	pktlink_shm_fds_close(&fds);
	PLT_OK(pktlink_attach(t.srv, echo_cb, NULL));
	pthread_t a, b;
	PLT_CHECK(pthread_create(&a, NULL, rx_thread, &t) == 0, "thread");
	PLT_CHECK(pthread_create(&b, NULL, tx_thread, &t) == 0, "thread");
	pthread_join(b, NULL);
	pthread_join(a, NULL);
	pktlink_attach(t.srv, NULL, NULL);
	pktlink_join(t.srv);
	struct pktlink_stats cs, ss;
	pktlink_get_stats(t.cli, &cs);
	pktlink_get_stats(t.srv, &ss);
	printf("    client: %llu syscalls rx, %llu tx; server: %llu rx, %llu tx for %u frames each way\n",
	       (unsigned long long)cs.rx_syscalls, (unsigned long long)cs.tx_syscalls,
	       (unsigned long long)ss.rx_syscalls, (unsigned long long)ss.tx_syscalls, TH_COUNT);
	PLT_CHECK(t.sent == TH_COUNT && t.recvd == TH_COUNT, "sent %u received %u", t.sent, t.recvd);
	PLT_CHECK(!t.failed, "echoes differ");
	PLT_CHECK(t.lost == 0, "%u lost wake-ups", t.lost);
	pktlink_close(t.cli);
	pktlink_close(t.srv);
	PLT_CHECK(plt_fd_count() == fds0, "fd leak");
	return 0;
}

/* Default: waiters spin briefly before sleeping. */
static int echo_threads(void)
{
	return echo_threads_spin(0);
}

/* No spin: every idle moment goes through the eventfd protocol. */
static int echo_threads_eventfd(void)
{
	return echo_threads_spin(-1);
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "echo_threads", echo_threads, PLT_UNIT, 55 },
		{ "echo_threads_eventfd", echo_threads_eventfd, PLT_UNIT, 55 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
