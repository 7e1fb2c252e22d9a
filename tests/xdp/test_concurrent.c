/* SPDX-License-Identifier: MIT */
/*
 * test_concurrent: the contract's threading — one RX thread and one TX
 * thread on the same endpoint at the same time (pull mode), and push mode
 * with transmit from another thread. Frames are checked for order and
 * content on both sides. Meant for the TSan build too.
 */
#include "xdp_common.h"

#include <pthread.h>

#define N 4096
#define FLEN 64

struct ctx {
	struct pktlink_ep *ep;
	uint8_t a[6], b[6];
	uint32_t rx_got; /* atomic */
	int fail; /* atomic */
};

/* Peer side: inject N frames into A (paced by what the endpoint received). */
static void *injector(void *arg)
{
	struct ctx *c = arg;
	int raw = xt_raw(XT_B);
	uint8_t f[FLEN];
	for (uint32_t i = 0; i < N; i++) {
		xt_frame(f, FLEN, i, c->a, c->b);
		xt_raw_send(raw, f, FLEN);
		/* keep at most 512 in flight so the RX side never drops */
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while ((int32_t)(i - __atomic_load_n(&c->rx_got, __ATOMIC_ACQUIRE)) > 512 &&
		       plt_now_ns() < end)
			usleep(100);
		if (plt_now_ns() >= end)
			break; /* the RX side stalled: the checks below report it */
	}
	close(raw);
	return NULL;
}

static void *rx_thread(void *arg)
{
	struct ctx *c = arg;
	uint32_t next = 0;
	uint64_t end = plt_now_ns() + 20000000000ull;
	while (next < N && plt_now_ns() < end) {
		struct pktlink_pkt p[64];
		int n = pktlink_rx_burst(c->ep, p, 64);
		if (n < 0) {
			__atomic_store_n(&c->fail, 1, __ATOMIC_RELEASE);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			if (!xt_is_ours(p[i].data, p[i].len))
				continue;
			if (xt_seq(p[i].data) != next || p[i].len != FLEN)
				__atomic_store_n(&c->fail, 2, __ATOMIC_RELEASE);
			next++;
		}
		pktlink_rx_release(c->ep, p, (unsigned)n);
		__atomic_store_n(&c->rx_got, next, __ATOMIC_RELEASE);
		if (!n)
			pktlink_wait(c->ep, 10);
	}
	return NULL;
}

/* TX from this thread; zero-copy buffers for odd batches, copies for even. */
static void *tx_thread(void *arg)
{
	struct ctx *c = arg;
	uint8_t frames[64][FLEN];
	uint64_t end = plt_now_ns() + 20000000000ull;
	for (uint32_t seq = 0; seq < N && plt_now_ns() < end;) {
		struct pktlink_pkt p[64];
		unsigned nb = 64;
		if ((seq / 64) & 1) {
			int r = pktlink_tx_alloc(c->ep, p, nb);
			if (r < 0) {
				__atomic_store_n(&c->fail, 3, __ATOMIC_RELEASE);
				return NULL;
			}
			if (r == 0) {
				usleep(100);
				continue;
			}
			nb = (unsigned)r;
			for (unsigned i = 0; i < nb; i++) {
				xt_frame(p[i].data, FLEN, seq + i, c->b, c->a);
				p[i].len = FLEN;
			}
		} else {
			for (unsigned i = 0; i < nb; i++) {
				xt_frame(frames[i], FLEN, seq + i, c->b, c->a);
				p[i] = (struct pktlink_pkt){ .data = frames[i], .len = FLEN };
			}
		}
		unsigned sent = 0;
		while (sent < nb && plt_now_ns() < end) {
			int r = pktlink_tx_burst(c->ep, p + sent, nb - sent);
			if (r < 0) {
				__atomic_store_n(&c->fail, 4, __ATOMIC_RELEASE);
				return NULL;
			}
			sent += (unsigned)r;
			if (!r)
				usleep(100);
		}
		seq += nb;
		/* don't outrun the peer's capture socket */
		usleep(200);
	}
	return NULL;
}

static void capture_check(int cap)
{
	uint8_t buf[2048];
	for (uint32_t i = 0; i < N; i++) {
		uint32_t n = xt_raw_recv(cap, buf, sizeof(buf), PLT_WAIT_MS);
		PLT_CHECK(n, "TX frame %u missing", i);
		xt_check_frame(buf, n, FLEN, i);
	}
}

static int rx_and_tx_threads(void)
{
	xt_setup(1500);
	struct ctx c = { 0 };
	c.ep = xt_open("xdp:" XT_A "?mode=drv&frames=2048");
	plt_mac(XT_A, c.a);
	plt_mac(XT_B, c.b);
	int cap = xt_raw(XT_B);
	pthread_t ti, tr, tt;
	PLT_CHECK(pthread_create(&tr, NULL, rx_thread, &c) == 0, "thread");
	PLT_CHECK(pthread_create(&tt, NULL, tx_thread, &c) == 0, "thread");
	PLT_CHECK(pthread_create(&ti, NULL, injector, &c) == 0, "thread");
	capture_check(cap);
	pthread_join(ti, NULL);
	pthread_join(tt, NULL);
	pthread_join(tr, NULL);
	PLT_CHECK(c.fail == 0, "a thread failed (%d)", c.fail);
	PLT_CHECK(c.rx_got == N, "received %u of %u", c.rx_got, N);
	PLT_CHECK(pktlink_xdp_umem_census(pktlink_xdp_get_umem(c.ep, 0), NULL) == 0, "held");
	PLT_CHECK(pktlink_xdp_umem_errors(pktlink_xdp_get_umem(c.ep, 0)) == 0, "pool errors");
	close(cap);
	pktlink_close(c.ep);
	xt_leak_check();
	return 0;
}

static void push_cb(void *arg, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct ctx *c = arg;
	uint32_t next = __atomic_load_n(&c->rx_got, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < n; i++) {
		if (!xt_is_ours(pkts[i].data, pkts[i].len))
			continue;
		if (xt_seq(pkts[i].data) != next)
			__atomic_store_n(&c->fail, 5, __ATOMIC_RELEASE);
		next++;
	}
	__atomic_store_n(&c->rx_got, next, __ATOMIC_RELEASE);
}

static int push_and_tx_thread(void)
{
	xt_setup(1500);
	struct ctx c = { 0 };
	c.ep = xt_open("xdp:" XT_A "?mode=skb&frames=2048");
	plt_mac(XT_A, c.a);
	plt_mac(XT_B, c.b);
	int cap = xt_raw(XT_B);
	PLT_OK(pktlink_attach(c.ep, push_cb, &c));
	pthread_t ti, tt;
	PLT_CHECK(pthread_create(&tt, NULL, tx_thread, &c) == 0, "thread");
	PLT_CHECK(pthread_create(&ti, NULL, injector, &c) == 0, "thread");
	capture_check(cap);
	pthread_join(ti, NULL);
	pthread_join(tt, NULL);
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (__atomic_load_n(&c.rx_got, __ATOMIC_ACQUIRE) < N && plt_now_ns() < end)
		usleep(1000);
	PLT_OK(pktlink_attach(c.ep, NULL, NULL));
	pktlink_join(c.ep);
	PLT_CHECK(c.fail == 0, "failed (%d)", c.fail);
	PLT_CHECK(c.rx_got == N, "received %u of %u", c.rx_got, N);
	close(cap);
	pktlink_close(c.ep);
	xt_leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "rx_and_tx_threads", rx_and_tx_threads, PLT_NETNS, 60 },
		{ "push_and_tx_thread", push_and_tx_thread, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
