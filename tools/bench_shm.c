/* SPDX-License-Identifier: MIT */
/*
 * bench_shm.c — `pktlink bench` scenarios of the shm family: two processes
 * joined by a shared-memory queue pair (no veth involved).
 *
 *   shm/c2s        a client process floods bursts of 32 frames of
 *                  --frame-len bytes; the measured server receives them
 *                  (pull mode, bursts of 64, released at once).
 *   shm/c2s-copy   as shm/c2s, and the receiver copies each frame into its
 *                  own memory (what DPDK's memif copy mode does on receive;
 *                  shm/c2s hands out views and never touches the payload).
 *   shm/s2c        the same the other way: the server process sends into the
 *                  client's posted buffers; the measured client receives.
 *   shm/lat-busy   ping-pong, one frame at a time, both sides spinning:
 *                  one-way latency = round trip / 2 (median, p99).
 *   shm/lat-event  the same with both sides sleeping on the eventfd
 *                  (notification protocol) between frames, without the
 *                  pre-sleep spin (wait_spin_us < 0): the wake-up cost itself.
 *   shm/lat-spin   the same in the default mode: both sides spin briefly in
 *                  pktlink_wait(), then sleep (what a user who does not set
 *                  busy_poll gets).
 *   shm/lat-spin32 as shm/lat-spin with a window of 32 frames each way: the
 *                  time until the last of them is back, halved (the case
 *                  where the spin's pacing of its looks, core/endpoint.h,
 *                  could add latency).
 *
 * With --busy-poll the measured receivers of c2s/s2c spin (busy_poll=1),
 * otherwise they sleep in pktlink_wait() when the pipe is empty. The
 * sending process runs on --cpu-gen, the measured one on --cpu-dut.
 * Reference peers (with --peers), same traffic pattern, same CPUs:
 *   seqpacket/c2s  a SOCK_SEQPACKET socketpair, sendmmsg/recvmmsg batches
 *                  of 32/64 (bench/shm_seqpacket_peer);
 *   dpdk-memif/c2s DPDK net_memif in copy mode, txonly client process and
 *                  measured rxdrop server process (bench/shm_memif_peer,
 *                  --no-huge); dpdk-memif/s2c the other way round.
 * Extra columns: Gbit/s of frame bytes, and the sender's syscalls per frame.
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PKTLINK_HAVE_SHM
#include <pktlink/pktlink.h>
#include <pktlink/shm.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TX_BURST 32
#define RX_BURST 64
#define LAT_MAX_SAMPLES (4u << 20)

enum shm_kind { K_C2S, K_S2C, K_LAT_BUSY, K_LAT_EVENT, K_C2S_COPY, K_LAT_SPIN, K_LAT_SPIN32 };

/* Figures the sending process publishes for the measured one. */
struct shm_shared {
	uint64_t tx_packets; /* atomic */
	uint64_t tx_syscalls; /* atomic */
};

struct shm_state {
	struct pktlink_ep *ep;
	pid_t child;
	struct shm_shared *sh;
	double *samples; /* latency */
};

static struct pktlink_pkt frame_pkt(struct bench_env *env, uint8_t *buf)
{
	return (struct pktlink_pkt){ .data = buf, .len = env->frame_len };
}

/* The sending process of c2s/s2c: flood until the measured side hangs up. */
static void flood(struct bench_env *env, struct pktlink_ep *ep, struct shm_shared *sh)
{
	struct pktlink_pkt p[TX_BURST];
	for (unsigned i = 0; i < TX_BURST; i++)
		p[i] = frame_pkt(env, env->frame);
	uint64_t sent = 0;
	for (;;) {
		int r = pktlink_tx_burst(ep, p, TX_BURST);
		if (r < 0)
			return;
		sent += (uint64_t)r;
		struct pktlink_stats st;
		if ((sent & 1023) < TX_BURST) {
			pktlink_get_stats(ep, &st);
			__atomic_store_n(&sh->tx_syscalls, st.tx_syscalls, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&sh->tx_packets, sent, __ATOMIC_RELAXED);
		/* Drain anything inbound so a dead peer is noticed. */
		struct pktlink_pkt rx[8];
		int n = pktlink_rx_burst(ep, rx, 8);
		if (n < 0)
			return;
		pktlink_rx_release(ep, rx, (unsigned)n);
	}
}

/* The echoing process of the latency scenarios. */
static void echo(struct pktlink_ep *ep, bool busy)
{
	struct pktlink_pkt p[RX_BURST];
	for (;;) {
		int n = pktlink_rx_burst(ep, p, RX_BURST);
		if (n < 0)
			return;
		if (n == 0) {
			if (!busy && pktlink_wait(ep, 1000) < 0)
				return;
			continue;
		}
		int done = 0;
		while (done < n) {
			int r = pktlink_tx_burst(ep, p + done, (unsigned)(n - done));
			if (r < 0)
				return;
			done += r;
		}
		pktlink_rx_release(ep, p, (unsigned)n);
	}
}

/* shm_teardown() - close our side (the child sees the hang-up and exits), reap it. */
static void shm_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	struct shm_state *st = state;
	if (!st)
		return;
	pktlink_close(st->ep);
	if (st->child > 0)
		bench_reap_child(st->child, 0); /* it sees the hang-up */
	if (st->sh)
		munmap(st->sh, sizeof(*st->sh));
	free(st->samples);
	free(st);
}

/* shm_setup() - queue pair, the peer process on --cpu-gen, our side here. */
static int shm_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		     char *err, size_t errlen)
{
	enum shm_kind kind = (enum shm_kind)(uintptr_t)s->arg;
	struct shm_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	*state = st;
	st->sh = mmap(NULL, sizeof(*st->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st->sh == MAP_FAILED) {
		st->sh = NULL;
		return -ENOMEM;
	}
	if (kind == K_LAT_BUSY || kind == K_LAT_EVENT || kind == K_LAT_SPIN || kind == K_LAT_SPIN32) {
		st->samples = malloc(LAT_MAX_SAMPLES * sizeof(double));
		if (!st->samples)
			return -ENOMEM;
	}
	/* Which side is measured here: the receiver (server for c2s), the
	 * client for s2c and the latency ping-pong. */
	bool here_server = kind == K_C2S || kind == K_C2S_COPY;
	bool tput = kind == K_C2S || kind == K_S2C || kind == K_C2S_COPY;
	struct pktlink_shm_opts mine = { .sz = sizeof(mine) }, peer = { .sz = sizeof(peer) };
	mine.role = here_server ? PKTLINK_SHM_SERVER : PKTLINK_SHM_CLIENT;
	peer.role = here_server ? PKTLINK_SHM_CLIENT : PKTLINK_SHM_SERVER;
	mine.mtu = peer.mtu = env->frame_len > 1514 ? env->frame_len - 14 : 1500;
	mine.busy_poll = kind == K_LAT_BUSY || (tput && env->busy_poll);
	peer.busy_poll = kind == K_LAT_BUSY || tput;
	if (kind == K_LAT_EVENT)
		mine.wait_spin_us = peer.wait_spin_us = -1; /* the eventfd round trip itself */
	struct pktlink_shm_fds fds;
	int r = pktlink_shm_qp_create(&mine, &fds, err, errlen);
	if (r)
		return r;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = -errno;
		pktlink_shm_fds_close(&fds);
		snprintf(err, errlen, "socketpair: %s", strerror(-r));
		return r;
	}
	fflush(NULL);
	st->child = fork();
	if (st->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		if (env->cpu_gen >= 0)
			util_pin_cpu(env->cpu_gen);
		struct pktlink_ep *ep;
		char e[256];
		if (pktlink_shm_open(&peer, &fds, sp[1], &ep, e, sizeof(e)))
			_exit(2);
		pktlink_shm_fds_close(&fds);
		close(sp[1]);
		if (tput)
			flood(env, ep, st->sh);
		else
			echo(ep, kind == K_LAT_BUSY);
		pktlink_close(ep);
		_exit(0);
	}
	close(sp[1]);
	if (st->child < 0) {
		r = -errno;
		close(sp[0]);
		pktlink_shm_fds_close(&fds);
		snprintf(err, errlen, "fork: %s", strerror(-r));
		return r;
	}
	r = pktlink_shm_open(&mine, &fds, sp[0], &st->ep, err, errlen);
	close(sp[0]);
	pktlink_shm_fds_close(&fds);
	return r;
}

static void rx_loop(struct bench_env *env, struct pktlink_ep *ep, uint64_t until, uint64_t *pkts,
		    bool busy, bool copy)
{
	/* Copy mode: where frames are copied out to, an odd number of cache
	 * lines apart (a 2048-byte stride puts every destination's first line
	 * into the same cache sets; tools/bench_limit.c does the same). */
	static uint8_t priv[RX_BURST][2048 + 64];
	struct pktlink_pkt p[RX_BURST];
	unsigned k = 0;
	/* The clock is read every 16 bursts: it costs as much as a burst. */
	while ((k++ % 16 || util_now_ns() < until) && !bench_should_stop(env)) {
		int n = pktlink_rx_burst(ep, p, RX_BURST);
		if (n < 0)
			return;
		if (n == 0) {
			if (!busy)
				pktlink_wait(ep, 50);
			continue;
		}
		*pkts += (uint64_t)n;
		if (copy)
			for (int i = 0; i < n; i++)
				util_copy_frame(priv[i], p[i].data,
						p[i].len < 2048 ? p[i].len : 2048);
		pktlink_rx_release(ep, p, (unsigned)n);
	}
}

static int tput_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		    struct bench_result *res, char *err, size_t errlen)
{
	struct shm_state *st = state;
	bool busy = env->busy_poll;
	bool copy = (enum shm_kind)(uintptr_t)s->arg == K_C2S_COPY;
	uint64_t warm = 0, pkts = 0;
	uint64_t t = util_now_ns();
	rx_loop(env, st->ep, t + (uint64_t)(env->warmup_s * 1e9), &warm, busy, copy);
	struct pktlink_stats a, b;
	pktlink_get_stats(st->ep, &a);
	uint64_t tx0 = __atomic_load_n(&st->sh->tx_packets, __ATOMIC_RELAXED);
	uint64_t txs0 = __atomic_load_n(&st->sh->tx_syscalls, __ATOMIC_RELAXED);
	uint64_t c0 = util_thread_cpu_ns();
	uint64_t t0 = util_now_ns();
	rx_loop(env, st->ep, t0 + (uint64_t)(env->duration_s * 1e9), &pkts, busy, copy);
	uint64_t t1 = util_now_ns();
	uint64_t c1 = util_thread_cpu_ns();
	uint64_t tx1 = __atomic_load_n(&st->sh->tx_packets, __ATOMIC_RELAXED);
	uint64_t txs1 = __atomic_load_n(&st->sh->tx_syscalls, __ATOMIC_RELAXED);
	pktlink_get_stats(st->ep, &b);
	if (!pkts) {
		snprintf(err, errlen, "no frames arrived: %s", pktlink_last_error(st->ep));
		return -EIO;
	}
	res->packets = pkts;
	res->secs = (double)(t1 - t0) / 1e9;
	res->cpu_ns = c1 - c0;
	res->syscalls = (b.rx_syscalls + b.tx_syscalls) - (a.rx_syscalls + a.tx_syscalls);
	res->offered = tx1 - tx0;
	res->drops = b.rx_drop_invalid - a.rx_drop_invalid;
	res->extra[0] = (double)pkts * env->frame_len * 8 / res->secs / 1e9;
	res->extra[1] = tx1 > tx0 ? (double)(txs1 - txs0) / (double)(tx1 - tx0) : 0;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int lat_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		   struct bench_result *res, char *err, size_t errlen)
{
	struct shm_state *st = state;
	enum shm_kind kind = (enum shm_kind)(uintptr_t)s->arg;
	bool busy = kind == K_LAT_BUSY;
	unsigned window = kind == K_LAT_SPIN32 ? TX_BURST : 1;
	uint8_t buf[2048];
	memcpy(buf, env->frame, env->frame_len);
	struct pktlink_pkt p[TX_BURST], rx[RX_BURST];
	for (unsigned i = 0; i < window; i++)
		p[i] = frame_pkt(env, buf);
	struct pktlink_stats a, b;
	uint64_t n = 0, c0 = 0, t0 = 0;
	uint64_t warm_end = util_now_ns() + (uint64_t)(env->warmup_s * 1e9);
	uint64_t end = 0;
	bool measuring = false;
	for (;;) {
		uint64_t now = util_now_ns();
		if (!measuring && now >= warm_end) {
			measuring = true;
			pktlink_get_stats(st->ep, &a);
			c0 = util_thread_cpu_ns();
			t0 = now;
			end = now + (uint64_t)(env->duration_s * 1e9);
		}
		if ((measuring && now >= end) || bench_should_stop(env))
			break;
		/* The timestamp goes in the UDP payload (after 42 header bytes). */
		uint64_t ts = util_now_ns();
		memcpy(buf + 42, &ts, 8);
		int r = 0;
		/* Send the window (bounded: 1 s), then wait for all of it back. */
		uint64_t give_up = ts + 1000000000ull;
		for (unsigned done = 0; done < window && util_now_ns() < give_up; done += (unsigned)r)
			if ((r = pktlink_tx_burst(st->ep, p + done, window - done)) < 0)
				break;
		if (r < 0)
			break;
		unsigned back_n = 0;
		uint64_t sent = 0;
		int got = 0;
		while (back_n < window && util_now_ns() < give_up) {
			got = pktlink_rx_burst(st->ep, rx, RX_BURST);
			if (got < 0)
				break;
			if (got == 0) {
				if (!busy)
					pktlink_wait(st->ep, 100);
				continue;
			}
			memcpy(&sent, rx[got - 1].data + 42, 8);
			back_n += (unsigned)got;
			pktlink_rx_release(st->ep, rx, (unsigned)got);
		}
		if (back_n < window) {
			snprintf(err, errlen, "no echo within 1 s: %s", pktlink_last_error(st->ep));
			return -EIO;
		}
		uint64_t back = util_now_ns();
		if (measuring && n < LAT_MAX_SAMPLES && sent == ts)
			st->samples[n++] = (double)(back - ts) / 2 / 1000.0;
	}
	uint64_t t1 = util_now_ns(), c1 = util_thread_cpu_ns();
	pktlink_get_stats(st->ep, &b);
	if (!n) {
		snprintf(err, errlen, "no round trip completed");
		return -EIO;
	}
	qsort(st->samples, n, sizeof(double), cmp_double);
	res->packets = n;
	res->secs = (double)(t1 - t0) / 1e9;
	res->cpu_ns = c1 - c0;
	res->syscalls = (b.rx_syscalls + b.tx_syscalls) - (a.rx_syscalls + a.tx_syscalls);
	res->extra[0] = st->samples[n / 2];
	res->extra[1] = st->samples[n * 99 / 100];
	return 0;
}

static int peer_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		    struct bench_result *res, char *err, size_t errlen)
{
	int r = bench_peer_run(env, (const char *const *)s->arg, BENCH_PEER_SELF, NULL, res, err,
			       errlen);
	if (!r && res->secs > 0)
		res->extra[0] = (double)res->packets * env->frame_len * 8 / res->secs / 1e9;
	return r;
}

static const char *const seqpacket_argv[] = { "shm_seqpacket_peer", "--duration", "{dur}",
					      "--warmup", "{warm}", "--len", "{len}",
					      "--cpu", "{cpu}", NULL };
static const char *const memif_s2c_argv[] = { "shm_memif_peer", "--duration", "{dur}",
					      "--warmup", "{warm}", "--len", "{len}", "--cpu", "{cpu}",
					      "--prefix", "{prefix}", "--dir", "s2c", NULL };
static const char *const memif_c2s_argv[] = { "shm_memif_peer", "--duration", "{dur}",
					      "--warmup", "{warm}", "--len", "{len}", "--cpu", "{cpu}",
					      "--prefix", "{prefix}", "--dir", "c2s", NULL };

static const struct bench_scenario shm_scenarios[] = {
	{ "shm/c2s", "shm", "client process floods, measured server receives (pull, burst 64)", 0,
	  { "dpdk-memif/c2s", "seqpacket/c2s" }, { "Gbit/s", "tx_sys/pkt" }, (void *)K_C2S,
	  shm_setup, tput_run, shm_teardown, .limit = BENCH_LIMIT_SPSC },
	{ "shm/s2c", "shm", "server process floods, measured client receives (pull, burst 64)", 0,
	  { "dpdk-memif/s2c", "seqpacket/c2s" }, { "Gbit/s", "tx_sys/pkt" }, (void *)K_S2C,
	  shm_setup, tput_run, shm_teardown, .limit = BENCH_LIMIT_SPSC },
	{ "shm/c2s-copy", "shm", "as shm/c2s, and the receiver copies every frame out (like memif copy mode)",
	  0, { "dpdk-memif/c2s", "seqpacket/c2s" }, { "Gbit/s", "tx_sys/pkt" }, (void *)K_C2S_COPY,
	  shm_setup, tput_run, shm_teardown, .limit = BENCH_LIMIT_SPSC_COPY },
	{ "shm/lat-busy", "shm", "ping-pong one frame, both sides spinning: one-way latency", 0,
	  { NULL, NULL }, { "lat_med_us", "lat_p99_us" }, (void *)K_LAT_BUSY, shm_setup, lat_run,
	  shm_teardown, .limit = NULL /* a latency row has no rate limit */ },
	{ "shm/lat-event", "shm", "ping-pong one frame, both sides sleeping on the eventfd", 0,
	  { NULL, NULL }, { "lat_med_us", "lat_p99_us" }, (void *)K_LAT_EVENT, shm_setup, lat_run,
	  shm_teardown, .limit = NULL },
	{ "shm/lat-spin", "shm", "ping-pong one frame, both sides in the default mode (spin, then sleep)",
	  0, { NULL, NULL }, { "lat_med_us", "lat_p99_us" }, (void *)K_LAT_SPIN, shm_setup, lat_run,
	  shm_teardown, .limit = NULL },
	{ "shm/lat-spin32", "shm", "as shm/lat-spin with 32 frames each way (until the last is back)",
	  0, { NULL, NULL }, { "lat_med_us", "lat_p99_us" }, (void *)K_LAT_SPIN32, shm_setup, lat_run,
	  shm_teardown, .limit = NULL },
	{ "seqpacket/c2s", "peer", "SOCK_SEQPACKET socketpair, sendmmsg 32 / recvmmsg 64, two processes",
	  BENCH_F_PEER, { NULL, NULL }, { "Gbit/s", NULL }, seqpacket_argv, NULL, peer_run, NULL,
	  .limit = BENCH_LIMIT_SPSC_COPY },
	{ "dpdk-memif/c2s", "peer", "DPDK net_memif copy mode: txonly client, measured rxdrop server (two processes)",
	  BENCH_F_PEER, { NULL, NULL }, { "Gbit/s", NULL }, memif_c2s_argv, NULL, peer_run, NULL,
	  .limit = BENCH_LIMIT_SPSC_COPY },
	{ "dpdk-memif/s2c", "peer", "DPDK net_memif copy mode: txonly server, measured rxdrop client (two processes)",
	  BENCH_F_PEER, { NULL, NULL }, { "Gbit/s", NULL }, memif_s2c_argv, NULL, peer_run, NULL,
	  .limit = BENCH_LIMIT_SPSC_COPY },
};

BENCH_REGISTER(shm_scenarios)

#endif /* PKTLINK_HAVE_SHM */
