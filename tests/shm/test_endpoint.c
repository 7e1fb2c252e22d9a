/* SPDX-License-Identifier: MIT */
/*
 * test_endpoint: shared-memory client and server endpoints in two processes
 * — byte-exact exchange both ways, big multi-buffer frames, would-block and
 * recovery, reposting blocked, close while waiting, peer killed, the
 * spec/unix-socket path, options, vnet headers, setup failure injection.
 */
#include "shm_testlib.h"

#include "core/fault.h"
#include "shm/queue.h"

#include <sys/mman.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#define EX_COUNT 1000u
#define EX_MIN 60u
#define EX_MAX 1514u

struct ex_arg {
	int my_dir;
	uint32_t count, min, max;
	bool hold; /* keep views for a while before releasing */
	int one_way; /* 0: both ways; 1: send only; 2: receive only */
};

/* A client and a server on one new queue pair in this process (no peer socket). */
static void open_pair(const struct pktlink_shm_opts *c, const struct pktlink_shm_opts *s,
		     struct pktlink_ep **a, struct pktlink_ep **b)
{
	struct pktlink_shm_fds fds;
	char err[256];
	PLT_CHECK(pktlink_shm_qp_create(c, &fds, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(c, &fds, -1, a, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(s, &fds, -1, b, err, sizeof(err)) == 0, "%s", err);
	pktlink_shm_fds_close(&fds);
}

/*
 * Send count frames of direction my_dir and receive count frames of the
 * other direction, checking every byte; pull mode, sleeping in
 * pktlink_wait() when idle. Bounded by 40 s.
 */
static int exchange(struct pktlink_ep *ep, void *varg)
{
	struct ex_arg *a = varg;
	static uint8_t bufs[16][65536];
	struct pktlink_pkt tx[16], rx[64], held[64];
	unsigned nheld = 0;
	uint32_t sent = a->one_way == 2 ? a->count : 0, recvd = a->one_way == 1 ? a->count : 0;
	uint64_t deadline = plt_now_ns() + 40000000000ull;
	while (sent < a->count || recvd < a->count) {
		if (plt_now_ns() > deadline) {
			fprintf(stderr, "exchange: stuck at sent %u recvd %u: %s\n", sent, recvd,
				pktlink_last_error(ep));
			return -1;
		}
		bool idle = true;
		if (sent < a->count) {
			unsigned n = 0;
			for (; n < 16 && sent + n < a->count; n++) {
				uint32_t len = sht_len(a->my_dir, sent + n, a->min, a->max);
				sht_fill(bufs[n], a->my_dir, sent + n, len);
				tx[n] = (struct pktlink_pkt){ .data = bufs[n], .len = len };
			}
			int r = pktlink_tx_burst(ep, tx, n);
			if (r < 0) {
				fprintf(stderr, "tx_burst: %d %s\n", r, pktlink_last_error(ep));
				return -1;
			}
			sent += (uint32_t)r;
			if (r)
				idle = false;
		}
		if (recvd == a->count)
			continue; /* the peer may already be gone, and rightly so */
		int r = pktlink_rx_burst(ep, rx, a->hold ? 8 : 64);
		if (r < 0) {
			fprintf(stderr, "rx_burst (dir %d, sent %u recvd %u): %d %s\n", a->my_dir, sent, recvd, r, pktlink_last_error(ep));
			return -1;
		}
		for (int i = 0; i < r; i++)
			if (sht_check(&rx[i], !a->my_dir, recvd++, a->min, a->max))
				return -1;
		if (r > 0) {
			idle = false;
			if (a->hold) {
				/* Keep up to 40 views out at once, release in odd order. */
				for (int i = 0; i < r; i++)
					held[nheld++] = rx[i];
				if (nheld >= 40) {
					for (unsigned i = 0; i < nheld; i += 2)
						pktlink_rx_release(ep, &held[i], 1);
					for (unsigned i = 1; i < nheld; i += 2)
						pktlink_rx_release(ep, &held[i], 1);
					nheld = 0;
				}
			} else {
				pktlink_rx_release(ep, rx, (unsigned)r);
			}
		}
		if (a->hold && nheld && r == 0) {
			pktlink_rx_release(ep, held, nheld);
			nheld = 0;
		}
		if (idle)
			pktlink_wait(ep, 5);
	}
	pktlink_rx_release(ep, held, nheld);
	return 0;
}

/* The exchange between this process and a peer process; one_way: only
 * the peer sends, this side receives. */
static int run_exchange_ex(struct pktlink_shm_opts *c, struct pktlink_shm_opts *s, uint32_t count,
			   uint32_t min, uint32_t max, bool hold, bool client_here, bool one_way)
{
	struct ex_arg mine = { client_here ? 0 : 1, count, min, max, hold, one_way ? 2 : 0 };
	struct ex_arg peer = { client_here ? 1 : 0, count, min, max, hold, one_way ? 1 : 0 };
	struct pktlink_ep *ep;
	int fds0 = plt_fd_count();
	pid_t pid = sht_spawn(client_here ? c : s, client_here ? s : c, exchange, &peer, &ep);
	int r = exchange(ep, &mine);
	int st = sht_wait(pid, 45);
	struct pktlink_stats stats;
	pktlink_get_stats(ep, &stats);
	PLT_CHECK(r == 0, "exchange failed on this side");
	PLT_CHECK(st == 0, "peer status %d", st);
	PLT_CHECK(stats.rx_packets == count && stats.tx_packets == (one_way ? 0 : count),
		  "stats rx %llu tx %llu", (unsigned long long)stats.rx_packets,
		  (unsigned long long)stats.tx_packets);
	PLT_CHECK(stats.rx_drop_invalid == 0, "drops");
	pktlink_close(ep);
	PLT_CHECK(plt_fd_count() == fds0, "fd leak: %d -> %d", fds0, plt_fd_count());
	PLT_CHECK(sht_shm_maps() == 0, "mappings left: %d", sht_shm_maps());
	return 0;
}

static int run_exchange(struct pktlink_shm_opts *c, struct pktlink_shm_opts *s, uint32_t count,
			uint32_t min, uint32_t max, bool hold, bool client_here)
{
	return run_exchange_ex(c, s, count, min, max, hold, client_here, false);
}

static int exchange_1000(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	run_exchange(&c, &s, EX_COUNT, EX_MIN, EX_MAX, false, true);
	/* And with the server in this process. */
	return run_exchange(&c, &s, EX_COUNT, EX_MIN, EX_MAX, false, false);
}

/*
 * One-way streams in both directions, the receiver in the default mode
 * (spinning briefly, then sleeping): its looks at the pipe are paced once
 * a stream comes in (src/core/endpoint.h, pl_spin_pace_begin()). Every
 * frame must arrive, in order and byte-exact; the sender then closes, and
 * what it published before is still delivered.
 */
static int one_way_streams(void)
{
	for (int run = 0; run < 4; run++) {
		struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT),
					s = sht_opts(PKTLINK_SHM_SERVER);
		if (run >= 2) /* 64 buffers each way: the ring fills within one paced gap */
			c.data_size = s.data_size = 64 * 2048;
		/* this process receives: as the client (the server sends), then as the server */
		run_exchange_ex(&c, &s, 1000000, 60, 200, false, !(run & 1), true);
	}
	return 0;
}

static int exchange_eventfd_only(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.wait_spin_us = s.wait_spin_us = -1;
	return run_exchange(&c, &s, EX_COUNT, EX_MIN, EX_MAX, false, true);
}

static int exchange_busy_poll(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.busy_poll = s.busy_poll = true;
	return run_exchange(&c, &s, EX_COUNT, EX_MIN, EX_MAX, false, true);
}

static int big_frames(void)
{
	/* Frames up to 64 KiB over 2 KiB buffers (up to 33 per frame), held
	 * in pull mode and released out of order. */
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.mtu = PKTLINK_SHM_MAX_PACKET - 14;
	s.mtu = c.mtu;
	c.data_size = 4u << 20;
	run_exchange(&c, &s, 300, 60, PKTLINK_SHM_MAX_PACKET, true, true);
	/* Small buffers: 64 KiB frames in 512-byte pieces. */
	c.buffer_size = 512;
	return run_exchange(&c, &s, 200, 1, PKTLINK_SHM_MAX_PACKET, false, false);
}

/* ---- would-block and recovery ---- */

struct gate {
	int fd; /* the peer reads one byte before it starts receiving */
	uint32_t count, min, max;
	int dir;
};

static int recv_after_gate(struct pktlink_ep *ep, void *varg)
{
	struct gate *g = varg;
	char c;
	struct pollfd p = { .fd = g->fd, .events = POLLIN };
	if (poll(&p, 1, 30000) != 1 || read(g->fd, &c, 1) != 1)
		return -1;
	struct pktlink_pkt rx[64];
	uint32_t got = 0;
	uint64_t deadline = plt_now_ns() + 30000000000ull;
	while (got < g->count && plt_now_ns() < deadline) {
		int r = pktlink_rx_burst(ep, rx, 64);
		if (r < 0)
			return -1;
		for (int i = 0; i < r; i++)
			if (sht_check(&rx[i], g->dir, got++, g->min, g->max))
				return -1;
		pktlink_rx_release(ep, rx, (unsigned)(r > 0 ? r : 0));
		if (r == 0)
			pktlink_wait(ep, 5);
	}
	return got == g->count ? 0 : -1;
}

/* Client sends into a server that is not receiving: fills, blocks, recovers. */
static void fill_then_recover(struct pktlink_shm_opts *c, uint32_t len, const char *what)
{
	struct pktlink_shm_opts s = sht_opts(PKTLINK_SHM_SERVER);
	int gp[2];
	PLT_CHECK(pipe(gp) == 0, "pipe");
	struct gate g = { gp[0], 0, len, len, 0 };
	/* The peer learns the count through the gate: we only know it after
	 * filling, so the peer receives until the gate byte, then count
	 * frames, counted by us and written before the byte. */
	static uint8_t buf[65536];
	struct pktlink_ep *ep;
	/* First learn how many fit with a scratch pair in this process. */
	struct pktlink_shm_fds fds;
	char err[256];
	PLT_CHECK(pktlink_shm_qp_create(c, &fds, err, sizeof(err)) == 0, "%s", err);
	struct pktlink_ep *a, *b;
	PLT_CHECK(pktlink_shm_open(c, &fds, -1, &a, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&s, &fds, -1, &b, err, sizeof(err)) == 0, "%s", err);
	pktlink_shm_fds_close(&fds);
	uint32_t fit = 0;
	for (;;) {
		sht_fill(buf, 0, fit, len);
		struct pktlink_pkt p = { .data = buf, .len = len };
		int r = pktlink_tx_burst(a, &p, 1);
		PLT_CHECK(r >= 0, "tx");
		if (r == 0)
			break;
		fit++;
		PLT_CHECK(fit < 1000000, "never blocks");
	}
	/* Still blocked on retry. */
	struct pktlink_pkt p = { .data = buf, .len = len };
	PLT_CHECK(pktlink_tx_burst(a, &p, 1) == 0, "%s: a retry went through", what);
	pktlink_close(a);
	pktlink_close(b);
	PLT_CHECK(fit > 0, "nothing fits");

	g.count = fit + 50;
	pid_t pid = sht_spawn(c, &s, recv_after_gate, &g, &ep);
	close(gp[0]);
	uint32_t sent = 0;
	while (sent < fit) {
		sht_fill(buf, 0, sent, len);
		p = (struct pktlink_pkt){ .data = buf, .len = len };
		PLT_CHECK(pktlink_tx_burst(ep, &p, 1) == 1, "%s: frame %u of %u refused", what, sent, fit);
		sent++;
	}
	sht_fill(buf, 0, sent, len);
	p = (struct pktlink_pkt){ .data = buf, .len = len };
	PLT_CHECK(pktlink_tx_burst(ep, &p, 1) == 0, "%s: no would-block after %u", what, fit);
	PLT_CHECK(write(gp[1], "g", 1) == 1, "gate");
	/* Recovery: the rest goes through as the server completes. */
	uint64_t deadline = plt_now_ns() + 30000000000ull;
	while (sent < g.count) {
		PLT_CHECK(plt_now_ns() < deadline, "%s: no recovery at %u", what, sent);
		sht_fill(buf, 0, sent, len);
		p = (struct pktlink_pkt){ .data = buf, .len = len };
		int r = pktlink_tx_burst(ep, &p, 1);
		PLT_CHECK(r >= 0, "tx %d", r);
		if (r)
			sent++;
		else
			usleep(100);
	}
	PLT_CHECK(sht_wait(pid, 40) == 0, "%s: peer failed", what);
	close(gp[1]);
	pktlink_close(ep);
}

static int tx_full_would_block(void)
{
	/* TX memory runs out first: 64 KiB of data, 2 KiB buffers, 1500-byte frames. */
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT);
	c.data_size = 64 << 10;
	fill_then_recover(&c, 1500, "data full");
	/* The TX pipe runs out first: 4 KiB pipe (28-byte descriptors), big data. */
	c.data_size = 4 << 20;
	c.pipe_size = 4096;
	c.buffer_size = 128;
	fill_then_recover(&c, 64, "pipe full");
	return 0;
}

/* ---- receive while reposting is blocked ---- */

static int server_sends(struct pktlink_ep *ep, void *varg)
{
	struct ex_arg *a = varg;
	static uint8_t buf[65536];
	uint32_t sent = 0;
	uint64_t deadline = plt_now_ns() + 30000000000ull;
	while (sent < a->count) {
		if (plt_now_ns() > deadline)
			return -1;
		uint32_t len = sht_len(a->my_dir, sent, a->min, a->max);
		sht_fill(buf, a->my_dir, sent, len);
		struct pktlink_pkt p = { .data = buf, .len = len };
		int r = pktlink_tx_burst(ep, &p, 1);
		if (r < 0)
			return -1;
		if (r)
			sent++;
		else
			usleep(50);
	}
	/* Stay until the client hangs up, so it can drain everything. */
	struct pktlink_pkt rx[8];
	while (plt_now_ns() < deadline) {
		int r = pktlink_rx_burst(ep, rx, 8);
		if (r < 0)
			return 0;
		pktlink_rx_release(ep, rx, (unsigned)(r > 0 ? r : 0));
		pktlink_wait(ep, 10);
	}
	return -1;
}

static int repost_blocked(void)
{
	/* 512 RX buffers but a post pipe that holds 101 posts: most reposts
	 * wait locally until the server takes posts out of the pipe; and we
	 * hold views while receiving more. */
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.pipe_size = 4096;
	struct ex_arg peer = { 1, 5000, 60, 1514, false, 0 };
	struct pktlink_ep *ep;
	pid_t pid = sht_spawn(&c, &s, server_sends, &peer, &ep);
	struct pktlink_pkt rx[64], held[200];
	unsigned nheld = 0;
	uint32_t got = 0;
	uint64_t deadline = plt_now_ns() + 40000000000ull;
	while (got < peer.count) {
		PLT_CHECK(plt_now_ns() < deadline, "stuck at %u", got);
		int r = pktlink_rx_burst(ep, rx, 64);
		PLT_CHECK(r >= 0, "rx %d: %s", r, pktlink_last_error(ep));
		for (int i = 0; i < r; i++) {
			PLT_CHECK(sht_check(&rx[i], 1, got++, 60, 1514) == 0, "content");
			if (nheld < 200)
				held[nheld++] = rx[i];
			else
				pktlink_rx_release(ep, &rx[i], 1);
		}
		if (nheld >= 150 || r == 0) {
			pktlink_rx_release(ep, held, nheld);
			nheld = 0;
		}
		if (r == 0)
			pktlink_wait(ep, 5);
	}
	pktlink_rx_release(ep, held, nheld);
	pktlink_close(ep);
	PLT_CHECK(sht_wait(pid, 30) == 0, "server failed");
	return 0;
}

/* ---- push mode, close while waiting, peer killed ---- */

struct counter {
	uint32_t n; /* atomic */
	uint32_t bad; /* atomic */
	int closed; /* atomic: reason */
	uint32_t min, max;
	int dir;
};

static void count_cb(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct counter *c = ctx;
	for (unsigned i = 0; i < n; i++) {
		uint32_t seq = __atomic_load_n(&c->n, __ATOMIC_RELAXED);
		if (sht_check(&pkts[i], c->dir, seq, c->min, c->max))
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->n, seq + 1, __ATOMIC_RELEASE);
	}
}

static void closed_cb(void *ctx, struct pktlink_ep *ep, int reason)
{
	struct counter *c = ctx;
	__atomic_store_n(&c->closed, reason ? reason : -1, __ATOMIC_RELEASE);
}

static int push_server(struct pktlink_ep *ep, void *varg)
{
	struct ex_arg *a = varg;
	struct counter c = { .min = a->min, .max = a->max, .dir = 0 };
	pktlink_set_closed_cb(ep, closed_cb, &c);
	if (pktlink_attach(ep, count_cb, &c))
		return -1;
	uint64_t deadline = plt_now_ns() + 30000000000ull;
	while (__atomic_load_n(&c.n, __ATOMIC_ACQUIRE) < a->count && plt_now_ns() < deadline &&
	       !__atomic_load_n(&c.closed, __ATOMIC_ACQUIRE))
		usleep(1000);
	pktlink_attach(ep, NULL, NULL);
	pktlink_join(ep);
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	/* Batching: far fewer wake-ups than packets. */
	if (c.n == a->count && st.rx_syscalls > a->count / 2) {
		fprintf(stderr, "server: %llu syscalls for %u packets\n",
			(unsigned long long)st.rx_syscalls, a->count);
		return -1;
	}
	return c.n == a->count && !c.bad ? 0 : -1;
}

static int push_mode(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	struct ex_arg peer = { 0, 100000, 60, 200, false, 0 };
	struct pktlink_ep *ep;
	pid_t pid = sht_spawn(&c, &s, push_server, &peer, &ep);
	static uint8_t bufs[32][256];
	struct pktlink_pkt tx[32];
	uint32_t sent = 0;
	uint64_t deadline = plt_now_ns() + 40000000000ull;
	while (sent < peer.count) {
		PLT_CHECK(plt_now_ns() < deadline, "stuck at %u", sent);
		unsigned n = 0;
		for (; n < 32 && sent + n < peer.count; n++) {
			uint32_t len = sht_len(0, sent + n, 60, 200);
			sht_fill(bufs[n], 0, sent + n, len);
			tx[n] = (struct pktlink_pkt){ .data = bufs[n], .len = len };
		}
		int r = pktlink_tx_burst(ep, tx, n);
		PLT_CHECK(r >= 0, "tx %d", r);
		sent += (uint32_t)r;
		if (r == 0)
			sched_yield();
	}
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	PLT_CHECK(st.tx_syscalls < peer.count / 4, "client: %llu syscalls for %u packets",
		  (unsigned long long)st.tx_syscalls, peer.count);
	PLT_CHECK(sht_wait(pid, 40) == 0, "server failed");
	pktlink_close(ep);
	return 0;
}

static int idle_peer(struct pktlink_ep *ep, void *varg)
{
	/* Stay connected, do nothing, until the parent hangs up. */
	struct pollfd p = { .fd = pktlink_fd(ep), .events = POLLIN };
	uint64_t deadline = plt_now_ns() + 30000000000ull;
	while (plt_now_ns() < deadline) {
		poll(&p, 1, 100);
		struct pktlink_pkt rx[8];
		int r = pktlink_rx_burst(ep, rx, 8);
		if (r < 0)
			return 0;
		pktlink_rx_release(ep, rx, (unsigned)(r > 0 ? r : 0));
	}
	return -1;
}

static int close_while_waiting(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	struct pktlink_ep *ep;
	int fds0 = plt_fd_count();
	pid_t pid = sht_spawn(&c, &s, idle_peer, NULL, &ep);
	/* pktlink_wait() with a timeout returns 0 when nothing comes. */
	PLT_CHECK(pktlink_wait(ep, 20) >= 0, "wait");
	struct counter cnt = { .min = 60, .max = 60 };
	PLT_OK(pktlink_attach(ep, count_cb, &cnt));
	usleep(50000); /* the worker is asleep in poll now (or soon) */
	PLT_CHECK(pktlink_attach(ep, count_cb, &cnt) == -EBUSY, "second attach");
	uint64_t t0 = plt_now_ns();
	/* Stop and wait are idempotent (the seed's server Close was not). */
	pktlink_attach(ep, NULL, NULL);
	pktlink_attach(ep, NULL, NULL);
	pktlink_join(ep);
	pktlink_join(ep);
	pktlink_attach(ep, NULL, NULL);
	/* Re-attach after join works, then close directly (close stops it). */
	PLT_OK(pktlink_attach(ep, count_cb, &cnt));
	pktlink_close(ep);
	PLT_CHECK(plt_now_ns() - t0 < 20000000000ull, "close took too long");
	PLT_CHECK(sht_wait(pid, 30) == 0, "peer did not see the hang-up");
	PLT_CHECK(plt_fd_count() == fds0, "fd leak %d -> %d", fds0, plt_fd_count());
	return 0;
}

static int stream_to_parent(struct pktlink_ep *ep, void *varg)
{
	static uint8_t buf[256];
	uint32_t i = 0;
	uint64_t deadline = plt_now_ns() + 30000000000ull;
	while (plt_now_ns() < deadline) {
		uint32_t len = sht_len(1, i, 60, 200);
		sht_fill(buf, 1, i, len);
		struct pktlink_pkt p = { .data = buf, .len = len };
		int r = pktlink_tx_burst(ep, &p, 1);
		if (r < 0)
			return 0;
		i += (uint32_t)r;
		struct pktlink_pkt rx[16];
		r = pktlink_rx_burst(ep, rx, 16);
		if (r < 0)
			return 0;
		pktlink_rx_release(ep, rx, (unsigned)(r > 0 ? r : 0));
	}
	return 0;
}

static int peer_killed(void)
{
	for (int server_here = 0; server_here < 2; server_here++) {
		struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
		struct pktlink_ep *ep;
		int fds0 = plt_fd_count();
		pid_t pid = sht_spawn(server_here ? &s : &c, server_here ? &c : &s, stream_to_parent, NULL,
				      &ep);
		struct counter cnt = { .min = 60, .max = 200, .dir = 1 };
		pktlink_set_closed_cb(ep, closed_cb, &cnt);
		PLT_OK(pktlink_attach(ep, count_cb, &cnt));
		uint64_t deadline = plt_now_ns() + 20000000000ull;
		while (__atomic_load_n(&cnt.n, __ATOMIC_ACQUIRE) < 2000)
			PLT_CHECK(plt_now_ns() < deadline, "stream did not start");
		/* Mid-stream, and also transmitting from this side. */
		kill(pid, SIGKILL);
		static uint8_t buf[100];
		deadline = plt_now_ns() + PLT_WAIT_NS;
		while (!__atomic_load_n(&cnt.closed, __ATOMIC_ACQUIRE)) {
			PLT_CHECK(plt_now_ns() < deadline, "no closed callback after SIGKILL");
			struct pktlink_pkt p = { .data = buf, .len = sizeof(buf) };
			int r = pktlink_tx_burst(ep, &p, 1);
			if (r < 0)
				break;
			usleep(1000);
		}
		pktlink_join(ep); /* the workers stop on their own */
		PLT_CHECK(__atomic_load_n(&cnt.bad, __ATOMIC_RELAXED) == 0, "bad frames");
		PLT_CHECK(pktlink_rx_burst(ep, NULL, 0) < 0, "rx after death");
		int st;
		waitpid(pid, &st, 0);
		pktlink_close(ep);
		PLT_CHECK(plt_fd_count() == fds0, "fd leak %d -> %d", fds0, plt_fd_count());
		PLT_CHECK(sht_shm_maps() == 0, "mappings left");
	}
	return 0;
}

/* ---- the unix-socket path and the spec ---- */

static int spec_listen_connect(void)
{
	char path[64], spec[256], err[256] = "";
	snprintf(path, sizeof(path), "/tmp/pktlink-shm-test-%d.sock", getpid());
	fflush(NULL);
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct pktlink_ep *ep;
		snprintf(spec, sizeof(spec), "shm:%s?role=server&timeout_ms=20000", path);
		if (pktlink_open(spec, &ep, err, sizeof(err))) {
			fprintf(stderr, "server: %s\n", err);
			_exit(2);
		}
		struct ex_arg a = { 1, 300, 60, 1514, false, 0 };
		int r = exchange(ep, &a);
		pktlink_close(ep);
		_exit(r ? 1 : 0);
	}
	struct pktlink_ep *ep;
	snprintf(spec, sizeof(spec), "shm:%s?role=client&mtu=1500&buffer_size=2048&data_size=1048576"
		 "&pipe_size=65536&addr=02:00:00:00:00:01&timeout_ms=20000&wait_ms=20000", path);
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "client: %s", err);
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(!strcmp(info.family, "shm") && info.mtu == 1500 && info.max_header_len == 14 &&
			  info.has_link_addr && info.link_addr[5] == 1 && info.num_queues == 1,
		  "info");
	struct ex_arg a = { 0, 300, 60, 1514, false, 0 };
	PLT_CHECK(exchange(ep, &a) == 0, "exchange");
	PLT_CHECK(sht_wait(pid, 30) == 0, "server failed");
	pktlink_close(ep);
	struct stat st;
	PLT_CHECK(stat(path, &st) < 0, "the socket file was left behind");

	/* Mismatched options: the server refuses with a reason both sides see. */
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct pktlink_ep *e2;
		snprintf(spec, sizeof(spec), "shm:%s?role=server&vnet_hdr=1&timeout_ms=20000", path);
		int rr = pktlink_open(spec, &e2, err, sizeof(err));
		_exit(rr == -EINVAL && strstr(err, "vnet_hdr") ? 0 : 1);
	}
	snprintf(spec, sizeof(spec), "shm:%s?role=client&timeout_ms=20000&wait_ms=20000", path);
	r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "vnet_hdr"), "mismatch: %d %s", r, err);
	PLT_CHECK(sht_wait(pid, 30) == 0, "server did not refuse");

	/* Bad keys and values name themselves. */
	r = pktlink_open("shm:/tmp/x?role=neither", &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "role"), "%s", err);
	r = pktlink_open("shm:/tmp/x?rolle=client", &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "rolle"), "%s", err);
	r = pktlink_open("shm:?role=client", &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL, "%s", err);
	r = pktlink_open("shm:/nonexistent-dir/x.sock?role=client&timeout_ms=50", &ep, err, sizeof(err));
	PLT_CHECK(r < 0 && strstr(err, "connect"), "%s", err);
	PLT_CHECK(strstr(pktlink_spec_help(), "shm:"), "help");
	return 0;
}

/* ---- options, offloads ---- */

static int options_and_info(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	struct pktlink_shm_fds fds;
	char err[256];
	struct pktlink_ep *a, *b;
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == 0, "%s", err);
	c.vnet_hdr = s.vnet_hdr = true;
	c.gso_max_size = s.gso_max_size = 65536;
	c.tx_csum_offload = c.rx_csum_offload = s.tx_csum_offload = s.rx_csum_offload = true;
	c.has_link_addr = true;
	memcpy(c.link_addr, "\x02\x00\x00\x00\x00\x07", 6);
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &a, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&s, &fds, -1, &b, err, sizeof(err)) == 0, "%s", err);
	pktlink_shm_fds_close(&fds);
	struct pktlink_info info;
	pktlink_get_info(a, &info);
	PLT_CHECK(info.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD && info.caps & PKTLINK_CAP_RX_CSUM_OFFLOAD &&
			  info.gso_kind == PKTLINK_GSO_KIND_HOST && info.gso_max_size == 65536 &&
			  info.arp_hwtype == 1 && info.link_addr[5] == 7,
		  "info caps %#x gso %u/%u", info.caps, info.gso_kind, info.gso_max_size);
	uint8_t addr[6] = { 2, 0, 0, 0, 0, 9 };
	PLT_OK(pktlink_set_link_addr(a, addr));

	/* A TCP super-packet with a partial checksum crosses with its header. */
	static uint8_t f[30000];
	memset(f, 0, sizeof(f));
	f[12] = 0x08; /* IPv4 */
	f[14] = 0x45;
	uint16_t ipl = htons(sizeof(f) - 14);
	memcpy(f + 16, &ipl, 2);
	f[23] = 6; /* TCP */
	f[14 + 20 + 12] = 0x50; /* data offset 5 */
	struct pktlink_pkt p = { .data = f, .len = sizeof(f), .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = 34, .csum_offset = 16, .gso_size = 1448,
				 .gso_type = PKTLINK_GSO_TCPV4 };
	PLT_CHECK(pktlink_tx_burst(a, &p, 1) == 1, "gso tx: %s", pktlink_last_error(a));
	struct pktlink_pkt r[4];
	int n = pktlink_rx_burst(b, r, 4);
	PLT_CHECK(n == 1, "rx %d: %s", n, pktlink_last_error(b));
	PLT_CHECK(r[0].len == sizeof(f) && r[0].gso_type == PKTLINK_GSO_TCPV4 && r[0].gso_size == 1448 &&
			  (r[0].flags & PKTLINK_PKT_CSUM_PARTIAL) && r[0].csum_start == 34 &&
			  r[0].csum_offset == 16,
		  "offload fields len %u gso %u/%u flags %#x", r[0].len, r[0].gso_type, r[0].gso_size,
		  r[0].flags);
	PLT_CHECK(!memcmp(r[0].data, f, sizeof(f)), "bytes");
	pktlink_rx_release(b, r, 1);
	/* The other way (server -> client), a plain frame. */
	p = (struct pktlink_pkt){ .data = f, .len = 1000 };
	PLT_CHECK(pktlink_tx_burst(b, &p, 1) == 1, "server tx");
	n = pktlink_rx_burst(a, r, 4);
	PLT_CHECK(n == 1 && r[0].len == 1000 && r[0].gso_type == 0, "client rx %d", n);
	pktlink_rx_release(a, r, 1);
	/* Too large is dropped and counted; a partial checksum without
	 * vnet_hdr is completed here (core/tx_prep.h) and sent. */
	pktlink_close(a);
	pktlink_close(b);

	PLT_CHECK(pktlink_shm_qp_create(&s, &fds, err, sizeof(err)) == 0, "%s", err);
	c = sht_opts(PKTLINK_SHM_CLIENT);
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &a, err, sizeof(err)) == 0, "%s", err);
	pktlink_shm_fds_close(&fds);
	struct pktlink_pkt bad[3] = {
		{ .data = f, .len = 1515 },
		{ .data = f, .len = 100, .flags = PKTLINK_PKT_CSUM_PARTIAL, .csum_start = 34, .csum_offset = 16 },
		{ .data = f, .len = 100 },
	};
	PLT_CHECK(pktlink_tx_burst(a, bad, 3) == 3, "taken");
	struct pktlink_stats st;
	pktlink_get_stats(a, &st);
	PLT_CHECK(st.tx_drop_invalid == 1 && st.tx_packets == 2, "drops %llu sent %llu",
		  (unsigned long long)st.tx_drop_invalid, (unsigned long long)st.tx_packets);
	pktlink_close(a);

	/* Bad options are refused with a reason. */
	c = sht_opts(PKTLINK_SHM_CLIENT);
	c.gso_max_size = 65536;
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == -EINVAL && strstr(err, "vnet_hdr"),
		  "%s", err);
	c = sht_opts(PKTLINK_SHM_CLIENT);
	c.pipe_size = 16;
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == -EINVAL && strstr(err, "pipe"),
		  "%s", err);
	c.pipe_size = 0;
	c.sz = 8;
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == -EINVAL && strstr(err, "sz"), "%s",
		  err);
	/* Files in a directory instead of memfd (gVisor-style, unsealed). */
	c = sht_opts(PKTLINK_SHM_CLIENT);
	c.dir = "/dev/shm";
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &a, err, sizeof(err)) == -EPERM && strstr(err, "sealed"),
		  "unsealed accepted: %s", err);
	c.allow_unsealed = true;
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &a, err, sizeof(err)) == 0, "%s", err);
	pktlink_close(a);
	/* A swapped order is caught (the eventfd slot). */
	int t = fds.tx[0];
	fds.tx[0] = fds.tx[1];
	fds.tx[1] = t;
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &a, err, sizeof(err)) == -EINVAL && strstr(err, "order"),
		  "%s", err);
	pktlink_shm_fds_close(&fds);
	return 0;
}

/* ---- the server reports the bytes it copied (the seed reported buffer sizes) ---- */

static int server_reports_copied_bytes(void)
{
	struct pktlink_shm_opts s = sht_opts(PKTLINK_SHM_SERVER);
	struct pktlink_shm_fds fds;
	char err[256];
	PLT_CHECK(pktlink_shm_qp_create(&s, &fds, err, sizeof(err)) == 0, "%s", err);
	struct pktlink_ep *ep;
	PLT_CHECK(pktlink_shm_open(&s, &fds, -1, &ep, err, sizeof(err)) == 0, "%s", err);
	/* Play the client by hand: post four 1000-byte buffers. */
	uint64_t psz = PKTLINK_SHM_DEFAULT_PIPE_SIZE;
	uint8_t *post = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fds.rx[PKTLINK_SHM_FD_TX_PIPE], 0);
	uint8_t *comp = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fds.rx[PKTLINK_SHM_FD_RX_PIPE], 0);
	uint8_t *data = mmap(NULL, PKTLINK_SHM_DEFAULT_DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			     fds.rx[PKTLINK_SHM_FD_DATA], 0);
	PLT_CHECK(post != MAP_FAILED && comp != MAP_FAILED && data != MAP_FAILED, "mmap");
	struct pl_pipe_tx ptx;
	struct pl_pipe_rx crx;
	PLT_OK(pl_pipe_tx_init(&ptx, post, psz));
	PLT_OK(pl_pipe_rx_init(&crx, comp, psz));
	for (uint64_t i = 0; i < 4; i++) {
		struct pl_rxq_post b = { .offset = 4096 * i, .size = 1000, .user_data = 100 + i, .id = i };
		PLT_CHECK(pl_rxq_push_post(&ptx, &b), "post");
	}
	pl_pipe_tx_flush(&ptx);
	static uint8_t f[1514];
	for (unsigned k = 0; k < sizeof(f); k++)
		f[k] = (uint8_t)(k * 3);
	struct pktlink_pkt p[2] = { { .data = f, .len = 100 }, { .data = f, .len = 1514 } };
	PLT_CHECK(pktlink_tx_burst(ep, p, 2) == 2, "tx: %s", pktlink_last_error(ep));
	const uint8_t *rec;
	uint32_t len, size;
	struct pl_rxq_used u[PL_SHM_MAX_BUFS];
	PLT_CHECK(pl_pipe_rx_pull(&crx, &rec, &len) == PL_PIPE_RECORD, "completion 1");
	PLT_CHECK(pl_rxq_parse_completion(rec, len, &size, u) == 1, "one buffer");
	PLT_CHECK(size == 100 && u[0].used == 100 && u[0].id == 0 && u[0].user_data == 100,
		  "size %u used %u (the posted size is 1000)", size, u[0].used);
	PLT_CHECK(!memcmp(data, f, 100), "bytes");
	PLT_CHECK(pl_pipe_rx_pull(&crx, &rec, &len) == PL_PIPE_RECORD, "completion 2");
	PLT_CHECK(pl_rxq_parse_completion(rec, len, &size, u) == 2, "two buffers");
	PLT_CHECK(size == 1514 && u[0].used == 1000 && u[1].used == 514 && u[0].id == 1 && u[1].id == 2,
		  "size %u used %u + %u", size, u[0].used, u[1].used);
	PLT_CHECK(!memcmp(data + 4096, f, 1000) && !memcmp(data + 8192, f + 1000, 514), "bytes");
	PLT_CHECK(pl_pipe_rx_pull(&crx, &rec, &len) == PL_PIPE_EMPTY, "nothing more");
	/* One buffer of 1000 left: a 1514-byte frame waits for more posts. */
	PLT_CHECK(pktlink_tx_burst(ep, &p[1], 1) == 0, "sent without buffers");
	/* Posts of one byte: 256 buffers (the most per completion) cannot hold
	 * it, so it is dropped and counted instead of stalling the queue. */
	for (uint64_t i = 0; i < 300; i++) {
		struct pl_rxq_post b = { .offset = 65536 + i, .size = 1, .id = 10 + i };
		PLT_CHECK(pl_rxq_push_post(&ptx, &b), "post");
	}
	pl_pipe_tx_flush(&ptx);
	PLT_CHECK(pktlink_tx_burst(ep, &p[1], 1) == 1, "a frame that can never fit stalls the queue");
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	PLT_CHECK(st.tx_errors == 1 && st.tx_packets == 2, "errors %llu packets %llu",
		  (unsigned long long)st.tx_errors, (unsigned long long)st.tx_packets);
	PLT_CHECK(pl_pipe_rx_pull(&crx, &rec, &len) == PL_PIPE_EMPTY, "nothing more");
	pktlink_close(ep);
	munmap(post, psz);
	munmap(comp, psz);
	munmap(data, PKTLINK_SHM_DEFAULT_DATA_SIZE);
	pktlink_shm_fds_close(&fds);
	return 0;
}

/* ---- zero-copy transmit from lent buffers ---- */

static int zero_copy_tx(void)
{
	for (int vnet = 0; vnet < 2; vnet++) {
		struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
		c.data_size = 64 << 10; /* 32 buffers */
		c.vnet_hdr = s.vnet_hdr = vnet;
		struct pktlink_ep *a, *b;
		open_pair(&c, &s, &a, &b);
		struct pktlink_info info;
		pktlink_get_info(a, &info);
		PLT_CHECK(info.caps & PKTLINK_CAP_TX_ALLOC, "client lends buffers");
		struct pktlink_pkt p[40], r[40];
		PLT_CHECK(pktlink_tx_alloc(b, p, 1) == -EOPNOTSUPP, "server lends buffers");
		int n = pktlink_tx_alloc(a, p, 40);
		PLT_CHECK(n == 32, "lent %d of 32", n);
		PLT_CHECK(pktlink_tx_alloc(a, r, 1) == 0, "lent more than there are");
		for (int i = 0; i < n; i++) {
			PLT_CHECK(p[i].len >= 1514 && (p[i].flags & PKTLINK_PKT_TXBUF), "capacity %u", p[i].len);
			uint32_t len = sht_len(0, (uint32_t)i, 60, 1514);
			sht_fill(p[i].data, 0, (uint32_t)i, len);
			p[i].len = len;
		}
		/* Send 20, give 10 back, and one forged view is refused. */
		struct pktlink_pkt forged = p[20];
		forged.priv = 9999;
		PLT_CHECK(pktlink_tx_burst(a, p, 20) == 20, "sent");
		PLT_CHECK(pktlink_tx_burst(a, &forged, 1) == 1, "forged taken");
		pktlink_tx_free(a, p + 22, 10);
		struct pktlink_stats st;
		pktlink_get_stats(a, &st);
		PLT_CHECK(st.tx_packets == 20 && st.tx_drop_invalid == 1, "stats %llu %llu",
			  (unsigned long long)st.tx_packets, (unsigned long long)st.tx_drop_invalid);
		int got = pktlink_rx_burst(b, r, 40);
		PLT_CHECK(got == 20, "received %d", got);
		for (int i = 0; i < got; i++)
			PLT_CHECK(sht_check(&r[i], 0, (uint32_t)i, 60, 1514) == 0, "frame %d", i);
		pktlink_rx_release(b, r, (unsigned)got);
		/* Completed and freed buffers come back: 20 + 10 + the forged one's
		 * real buffer (p[20], still lent, then freed here). */
		pktlink_tx_free(a, p + 20, 2);
		n = pktlink_tx_alloc(a, p, 40);
		PLT_CHECK(n == 32, "after completion: %d of 32", n);
		pktlink_tx_free(a, p, (unsigned)n);
		pktlink_close(a);
		pktlink_close(b);
	}
	return 0;
}

/* ---- setup failure injection ---- */

/*
 * The server holds at most 2048 views (SHM_SERVER_SLOTS): a receiver that
 * keeps them gets no more until it releases; a second release of the same
 * views (a caller's bug) breaks nothing; every frame sent then arrives, and
 * the packet and byte counters (the family's own) agree on both sides.
 */
static int server_view_bound(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.buffer_size = 256; /* thousands of TX buffers in 2 MiB: more than the server holds */
	c.busy_poll = s.busy_poll = true;
	struct pktlink_ep *a, *b;
	open_pair(&c, &s, &a, &b);
	uint8_t frame[64] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5 };
	static struct pktlink_pkt held[2200];
	unsigned sent = 0, got = 0;
	for (int round = 0; round < 100000; round++) {
		struct pktlink_pkt p[32];
		for (int k = 0; k < 32; k++)
			p[k] = (struct pktlink_pkt){ .data = frame, .len = sizeof(frame) };
		int r = pktlink_tx_burst(a, p, 32);
		PLT_CHECK(r >= 0, "tx %d", r);
		sent += (unsigned)r;
		unsigned want = sizeof(held) / sizeof(held[0]) - got;
		int n = pktlink_rx_burst(b, held + got, want < 64 ? want : 64);
		PLT_CHECK(n >= 0, "rx %d", n);
		got += (unsigned)n;
		if (r == 0 && n == 0)
			break;
	}
	PLT_CHECK(got == 2048 && sent > got, "server handed out %u views of %u frames sent, "
		  "wanted 2048", got, sent);
	pktlink_rx_release(b, held, got);
	pktlink_rx_release(b, held, 100); /* again: must change nothing */
	unsigned more = 0;
	for (int i = 0; i < 100000 && got + more < sent; i++) {
		struct pktlink_pkt v[64];
		int n = pktlink_rx_burst(b, v, 64);
		PLT_CHECK(n >= 0, "rx %d", n);
		more += (unsigned)n;
		pktlink_rx_release(b, v, (unsigned)n);
	}
	PLT_CHECK(got + more == sent, "received %u of %u", got + more, sent);
	struct pktlink_stats sa, sb;
	PLT_OK(pktlink_get_stats(a, &sa));
	PLT_OK(pktlink_get_stats(b, &sb));
	PLT_CHECK(sa.tx_packets == sent && sa.tx_bytes == 64ull * sent, "tx %llu / %llu",
		  (unsigned long long)sa.tx_packets, (unsigned long long)sa.tx_bytes);
	PLT_CHECK(sb.rx_packets == sent && sb.rx_bytes == 64ull * sent, "rx %llu / %llu",
		  (unsigned long long)sb.rx_packets, (unsigned long long)sb.rx_bytes);
	/* The client got every buffer back: it can fill its pipe again. */
	struct pktlink_pkt p[32];
	for (int k = 0; k < 32; k++)
		p[k] = (struct pktlink_pkt){ .data = frame, .len = sizeof(frame) };
	PLT_CHECK(pktlink_tx_burst(a, p, 32) == 32, "no room after every release");
	pktlink_close(a);
	pktlink_close(b);
	return 0;
}

static int fault_injection(void)
{
	int fds0 = plt_fd_count();
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	char err[256];
	/* qp_create + open of both sides, failing each step in turn. */
	for (unsigned n = 1;; n++) {
		PLT_CHECK(n < 500, "never succeeded");
		struct pktlink_shm_fds fds;
		struct pktlink_ep *a = NULL, *b = NULL;
		pl_fault_arm(n);
		int r = pktlink_shm_qp_create(&c, &fds, err, sizeof(err));
		if (!r) {
			r = pktlink_shm_open(&c, &fds, -1, &a, err, sizeof(err));
			if (!r)
				r = pktlink_shm_open(&s, &fds, -1, &b, err, sizeof(err));
			pktlink_shm_fds_close(&fds);
		}
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		pktlink_close(a);
		pktlink_close(b);
		PLT_CHECK(plt_fd_count() == fds0, "step %u: fd leak %d -> %d (%s)", n, fds0,
			  plt_fd_count(), err);
		PLT_CHECK(sht_shm_maps() == 0, "step %u: mappings left", n);
		if (!fired) {
			PLT_CHECK(r == 0, "no fault but failed: %s", err);
			break;
		}
		PLT_CHECK(r < 0 && err[0], "step %u: fault fired but open succeeded", n);
	}
	/* The unix-socket path: listen + connect in two processes. */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/pktlink-shm-fault-%d.sock", getpid());
	for (unsigned n = 1;; n++) {
		PLT_CHECK(n < 500, "never succeeded");
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			struct pktlink_ep *e;
			struct pktlink_shm_opts so = sht_opts(PKTLINK_SHM_SERVER);
			so.timeout_ms = 3000;
			if (pktlink_shm_listen(path, &so, &e, err, sizeof(err)) == 0) {
				/* Wait for the client's hang-up. */
				pktlink_wait(e, 3000);
				pktlink_close(e);
			}
			_exit(0);
		}
		struct pktlink_ep *e = NULL;
		struct pktlink_shm_opts co = sht_opts(PKTLINK_SHM_CLIENT);
		co.timeout_ms = 3000;
		co.connect_wait_ms = 3000;
		pl_fault_arm(n);
		int r = pktlink_shm_connect(path, &co, &e, err, sizeof(err));
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		pktlink_close(e);
		int st;
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		unlink(path);
		PLT_CHECK(plt_fd_count() == fds0, "connect step %u: fd leak %d -> %d (%s)", n, fds0,
			  plt_fd_count(), err);
		if (!fired) {
			PLT_CHECK(r == 0, "no fault but failed: %s", err);
			break;
		}
		PLT_CHECK(r < 0, "connect step %u: fault fired but connect succeeded", n);
	}
	/* And the listening side, with a normal client in a child. */
	for (unsigned n = 1;; n++) {
		PLT_CHECK(n < 500, "never succeeded");
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			struct pktlink_ep *e;
			struct pktlink_shm_opts co = sht_opts(PKTLINK_SHM_CLIENT);
			co.timeout_ms = 3000;
			co.connect_wait_ms = 3000;
			if (pktlink_shm_connect(path, &co, &e, err, sizeof(err)) == 0) {
				pktlink_wait(e, 3000);
				pktlink_close(e);
			}
			_exit(0);
		}
		struct pktlink_ep *e = NULL;
		struct pktlink_shm_opts so = sht_opts(PKTLINK_SHM_SERVER);
		so.timeout_ms = 3000;
		pl_fault_arm(n);
		int r = pktlink_shm_listen(path, &so, &e, err, sizeof(err));
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		pktlink_close(e);
		int st;
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		unlink(path);
		PLT_CHECK(plt_fd_count() == fds0, "listen step %u: fd leak %d -> %d (%s)", n, fds0,
			  plt_fd_count(), err);
		PLT_CHECK(sht_shm_maps() == 0, "listen step %u: mappings left", n);
		if (!fired) {
			PLT_CHECK(r == 0, "no fault but failed: %s", err);
			break;
		}
		PLT_CHECK(r < 0, "listen step %u: fault fired but listen succeeded", n);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "exchange_1000", exchange_1000, PLT_UNIT, 50 },
		{ "exchange_eventfd_only", exchange_eventfd_only, PLT_UNIT, 50 },
		{ "one_way_streams", one_way_streams, PLT_UNIT, 100 },
		{ "exchange_busy_poll", exchange_busy_poll, PLT_UNIT, 50 },
		{ "big_frames", big_frames, PLT_UNIT, 50 },
		{ "tx_full_would_block", tx_full_would_block, PLT_UNIT, 50 },
		{ "repost_blocked", repost_blocked, PLT_UNIT, 50 },
		{ "push_mode", push_mode, PLT_UNIT, 50 },
		{ "close_while_waiting", close_while_waiting, PLT_UNIT, 40 },
		{ "peer_killed", peer_killed, PLT_UNIT, 50 },
		{ "spec_listen_connect", spec_listen_connect, PLT_UNIT, 50 },
		{ "options_and_info", options_and_info, PLT_UNIT, 30 },
		{ "server_reports_copied_bytes", server_reports_copied_bytes, PLT_UNIT, 0 },
		{ "zero_copy_tx", zero_copy_tx, PLT_UNIT, 0 },
		{ "server_view_bound", server_view_bound, PLT_UNIT, 0 },
		{ "fault_injection", fault_injection, PLT_UNIT, 50 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
