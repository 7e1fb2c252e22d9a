/* SPDX-License-Identifier: MIT */
/*
 * bench_memif.c — `pktlink bench` scenarios of the memif family, two
 * processes over a memif link (no veth involved), frames of --frame-len
 * bytes (run once with 64 and once with 1500 for both sizes):
 *
 *   memif/c2s            a pktlink client process floods bursts of 32; the
 *                        measured pktlink server receives (pull, burst 64).
 *   memif/c2s-zc         memif/c2s with the client sending from lent
 *                        buffers (pktlink_tx_alloc()): it writes each frame
 *                        into one (the same bytes c2s's copy moves) and
 *                        sends it without a copy; the ring bookkeeping of
 *                        zero-copy against copy mode.
 *   memif/s2c            a pktlink server process floods; the measured
 *                        pktlink client receives.
 *   memif-dpdk/s2c       DPDK's net_memif server floods (bench/dpdk_peer
 *                        txonly); the measured pktlink client receives:
 *                        pktlink's receive side against DPDK's sender.
 *   memif-dpdk/c2s       DPDK's net_memif client floods; the measured
 *                        pktlink server receives.
 *   dpdk-memif/s2c-from-pktlink
 *                        a pktlink server process floods; the measured
 *                        DPDK net_memif client receives (dpdk_peer rxdrop):
 *                        DPDK's receive side against pktlink's sender.
 *   dpdk-memif/c2s-from-pktlink
 *                        a pktlink client process floods; the measured
 *                        DPDK net_memif server receives.
 *
 * The references are dpdk-memif/c2s and dpdk-memif/s2c (tools/bench_shm.c:
 * DPDK on both ends, txonly and rxdrop), so each side of each pair, in each
 * direction, is measured against DPDK on both ends. The sending process runs
 * on --cpu-gen, the measured one on --cpu-dut; senders spin, the measured
 * pktlink receiver sleeps in pktlink_wait() when idle unless --busy-poll.
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PKTLINK_HAVE_MEMIF
#include <pktlink/memif.h>
#include <pktlink/pktlink.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define TX_BURST 32
#define RX_BURST 64

enum memif_kind {
	K_C2S, /* pktlink client -> measured pktlink server */
	K_S2C, /* pktlink server -> measured pktlink client */
	K_DPDK_S2C, /* DPDK server -> measured pktlink client */
	K_DPDK_C2S, /* DPDK client -> measured pktlink server */
	K_RX_DPDK_S2C, /* pktlink server -> measured DPDK client */
	K_RX_DPDK_C2S, /* pktlink client -> measured DPDK server */
	K_C2S_ZC, /* as K_C2S, the client sending from lent buffers */
};

/* Whether the measured side of @k is the memif client. */
static bool measured_is_client(enum memif_kind k)
{
	return k == K_S2C || k == K_DPDK_S2C || k == K_RX_DPDK_S2C;
}

struct memif_bstate {
	struct pktlink_ep *ep;
	pid_t child;
	char sock[96];
	char prefix[48];
	uint64_t *tx_packets; /* shared with the flooding child */
};

static struct pktlink_memif_opts bench_opts(struct bench_env *env, const char *sock,
					    enum pktlink_memif_role role, bool busy)
{
	struct pktlink_memif_opts o = { .sz = sizeof(o), .role = role, .socket = sock,
					.timeout_ms = 20000, .busy_poll = busy };
	o.mtu = env->frame_len > 1514 ? env->frame_len - 14 : 1500;
	return o;
}

/* One burst from lent buffers, each frame written into its buffer; the
 * ones not taken go back. Return frames taken or a negative errno. */
static int zc_burst(struct bench_env *env, struct pktlink_ep *ep, struct pktlink_pkt *p)
{
	int n = pktlink_tx_alloc(ep, p, TX_BURST);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		memcpy(p[i].data, env->frame, env->frame_len);
		p[i].len = env->frame_len;
	}
	int r = pktlink_tx_burst(ep, p, (unsigned)n);
	if (r < n)
		pktlink_tx_free(ep, p + (r > 0 ? r : 0), (unsigned)(n - (r > 0 ? r : 0)));
	return r;
}

/* The flooding process: open, send bursts until the other side goes away. */
static void flood_child(struct bench_env *env, const struct pktlink_memif_opts *o, uint64_t *count,
			bool zc)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (env->cpu_gen >= 0)
		util_pin_cpu(env->cpu_gen);
	struct pktlink_ep *ep;
	char e[256];
	/* A DPDK server refuses clients ("ID not found") until its port has
	 * started, and may not listen yet: retry for up to 30 s. */
	uint64_t until = util_now_ns() + 30000000000ull;
	int r;
	while ((r = pktlink_memif_open(o, &ep, e, sizeof(e))) &&
	       (r == -ECONNREFUSED || r == -ENOENT) && util_now_ns() < until)
		usleep(20000);
	if (r) {
		fprintf(stderr, "memif flood: %s\n", e);
		_exit(2);
	}
	struct pktlink_pkt p[TX_BURST];
	for (unsigned i = 0; i < TX_BURST; i++)
		p[i] = (struct pktlink_pkt){ .data = env->frame, .len = env->frame_len };
	uint64_t sent = 0;
	for (unsigned k = 0;; k++) {
		int k_sent = zc ? zc_burst(env, ep, p) : pktlink_tx_burst(ep, p, TX_BURST);
		if (k_sent < 0)
			break;
		sent += (uint64_t)k_sent;
		__atomic_store_n(count, sent, __ATOMIC_RELAXED);
		if (k % 64 == 0) { /* notice a peer that went away */
			struct pktlink_pkt in[8];
			int n = pktlink_rx_burst(ep, in, 8);
			if (n < 0)
				break;
			pktlink_rx_release(ep, in, (unsigned)n);
		}
	}
	pktlink_close(ep);
	_exit(0);
}

static void memif_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	struct memif_bstate *st = state;
	if (!st)
		return;
	pktlink_close(st->ep);
	if (st->child > 0)
		bench_reap_child(st->child, SIGTERM);
	if (st->prefix[0]) {
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s", st->prefix);
		if (system(cmd)) {
		}
	}
	if (st->sock[0])
		unlink(st->sock);
	if (st->tx_packets)
		munmap(st->tx_packets, sizeof(uint64_t));
	free(st);
}

/* Start DPDK's net_memif in @role flooding (bench/dpdk_peer txonly) in the background. */
static int dpdk_flood(struct bench_env *env, struct memif_bstate *st, const char *role,
		      char *err, size_t errlen)
{
	char path[512];
	if (!bench_peer_path(env, "dpdk_peer", path, sizeof(path))) {
		snprintf(err, errlen, "bench/dpdk_peer is not built (libdpdk-dev missing)");
		return -ENOTSUP;
	}
	char vdev[200], cpu[16], len[16];
	snprintf(st->prefix, sizeof(st->prefix), "plbm-%d-%s", (int)getpid(), role);
	snprintf(vdev, sizeof(vdev), "net_memif0,role=%s,socket=%s,socket-abstract=no", role,
		 st->sock);
	snprintf(cpu, sizeof(cpu), "%d", env->cpu_gen >= 0 ? env->cpu_gen : 0);
	snprintf(len, sizeof(len), "%u", env->frame_len);
	fflush(NULL);
	st->child = fork();
	if (st->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		FILE *dn = freopen("/dev/null", "w", stdout);
		(void)dn;
		execl(path, path, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", st->prefix,
		      "-l", cpu, "--log-level", "*:error", "--vdev", vdev, "--", "--mode", "txonly",
		      "--len", len, "--duration", "600", "--warmup", "0", "--no-wait", (char *)NULL);
		_exit(127);
	}
	return st->child < 0 ? -errno : 0;
}

static int memif_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		       char *err, size_t errlen)
{
	enum memif_kind kind = (enum memif_kind)(uintptr_t)s->arg;
	struct memif_bstate *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	*state = st;
	snprintf(st->sock, sizeof(st->sock), "/tmp/pl-bench-memif-%d.sock", (int)getpid());
	unlink(st->sock);
	st->tx_packets = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st->tx_packets == MAP_FAILED) {
		st->tx_packets = NULL;
		return -ENOMEM;
	}
	if (kind == K_DPDK_S2C || kind == K_DPDK_C2S) {
		bool client = kind == K_DPDK_S2C;
		int r = dpdk_flood(env, st, client ? "server" : "client", err, errlen);
		if (r)
			return r;
		struct pktlink_memif_opts o = bench_opts(
			env, st->sock, client ? PKTLINK_MEMIF_CLIENT : PKTLINK_MEMIF_SERVER,
			env->busy_poll);
		/* DPDK's server refuses clients ("ID not found") until its port
		 * started; as server we wait for DPDK's client (o.timeout_ms). */
		uint64_t end = util_now_ns() + 20000000000ull;
		for (;;) {
			r = pktlink_memif_open(&o, &st->ep, err, errlen);
			if (r != -ECONNREFUSED || util_now_ns() > end || bench_should_stop(env))
				return r;
			usleep(20000);
		}
	}
	/* The flooding pktlink side, opposite the measured one. */
	bool client = measured_is_client(kind);
	struct pktlink_memif_opts fo = bench_opts(
		env, st->sock, client ? PKTLINK_MEMIF_SERVER : PKTLINK_MEMIF_CLIENT, true);
	fflush(NULL);
	st->child = fork();
	if (st->child == 0)
		flood_child(env, &fo, st->tx_packets, kind == K_C2S_ZC);
	if (st->child < 0)
		return -errno;
	if (kind == K_RX_DPDK_S2C || kind == K_RX_DPDK_C2S)
		return 0; /* DPDK's side starts in run() */
	struct pktlink_memif_opts o = bench_opts(
		env, st->sock, client ? PKTLINK_MEMIF_CLIENT : PKTLINK_MEMIF_SERVER, env->busy_poll);
	return pktlink_memif_open(&o, &st->ep, err, errlen);
}

static void rx_loop(struct bench_env *env, struct pktlink_ep *ep, uint64_t until, uint64_t *pkts)
{
	struct pktlink_pkt p[RX_BURST];
	unsigned k = 0;
	while ((k++ % 16 || util_now_ns() < until) && !bench_should_stop(env)) {
		int n = pktlink_rx_burst(ep, p, RX_BURST);
		if (n < 0)
			return;
		if (n == 0) {
			if (!env->busy_poll)
				pktlink_wait(ep, 50);
			continue;
		}
		*pkts += (uint64_t)n;
		pktlink_rx_release(ep, p, (unsigned)n);
	}
}

static int memif_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		     struct bench_result *res, char *err, size_t errlen)
{
	struct memif_bstate *st = state;
	enum memif_kind kind = (enum memif_kind)(uintptr_t)s->arg;
	if (kind == K_RX_DPDK_S2C || kind == K_RX_DPDK_C2S) {
		char vdev[200];
		snprintf(vdev, sizeof(vdev), "net_memif0,role=%s,socket=%s,socket-abstract=no",
			 kind == K_RX_DPDK_S2C ? "client" : "server", st->sock);
		const char *const argv[] = { "dpdk_peer", "--no-huge", "-m", "512", "--no-pci",
					     "--file-prefix", "{prefix}", "-l", "{cpu}", "--log-level",
					     "*:error", "--vdev", vdev, "--", "--mode", "rxdrop",
					     "--len", "{len}", "--duration", "{dur}", "--warmup",
					     "{warm}", NULL };
		int r = bench_peer_run(env, argv, BENCH_PEER_SELF, NULL, res, err, errlen);
		if (!r && res->secs > 0)
			res->extra[0] = (double)res->packets * env->frame_len * 8 / res->secs / 1e9;
		return r;
	}
	uint64_t warm = 0, pkts = 0;
	rx_loop(env, st->ep, util_now_ns() + (uint64_t)(env->warmup_s * 1e9), &warm);
	struct pktlink_stats a, b;
	pktlink_get_stats(st->ep, &a);
	uint64_t tx0 = __atomic_load_n(st->tx_packets, __ATOMIC_RELAXED);
	uint64_t c0 = util_thread_cpu_ns(), t0 = util_now_ns();
	rx_loop(env, st->ep, t0 + (uint64_t)(env->duration_s * 1e9), &pkts);
	uint64_t t1 = util_now_ns(), c1 = util_thread_cpu_ns();
	uint64_t tx1 = __atomic_load_n(st->tx_packets, __ATOMIC_RELAXED);
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
	return 0;
}

#define MEMIF_ROW(nm, fam, d, fl, ref, k, lim)                                                   \
	{ .name = nm, .family = fam, .desc = d, .flags = fl, .compare_to = { ref, NULL },          \
	  .extra_names = { "Gbit/s", NULL }, .arg = (void *)(k), .setup = memif_setup,             \
	  .run = memif_run, .teardown = memif_teardown, .limit = lim }

static const struct bench_scenario memif_scenarios[] = {
	MEMIF_ROW("memif/c2s", "memif",
		  "pktlink client floods, measured pktlink server receives (burst 64)", 0,
		  "dpdk-memif/c2s", K_C2S, BENCH_LIMIT_SPSC),
	{ .name = "memif/c2s-zc", .family = "memif",
	  .desc = "pktlink client floods from lent buffers (tx_alloc), measured pktlink server "
		  "receives",
	  .compare_to = { "dpdk-memif/c2s", "memif/c2s" }, .extra_names = { "Gbit/s", NULL },
	  .arg = (void *)K_C2S_ZC, .setup = memif_setup, .run = memif_run,
	  .teardown = memif_teardown, .limit = BENCH_LIMIT_SPSC },
	MEMIF_ROW("memif/s2c", "memif",
		  "pktlink server floods, measured pktlink client receives (burst 64)", 0,
		  "dpdk-memif/s2c", K_S2C, BENCH_LIMIT_SPSC),
	MEMIF_ROW("memif-dpdk/s2c", "memif",
		  "DPDK net_memif server floods, measured pktlink client receives", 0,
		  "dpdk-memif/s2c", K_DPDK_S2C, BENCH_LIMIT_SPSC),
	MEMIF_ROW("memif-dpdk/c2s", "memif",
		  "DPDK net_memif client floods, measured pktlink server receives", 0,
		  "dpdk-memif/c2s", K_DPDK_C2S, BENCH_LIMIT_SPSC),
	MEMIF_ROW("dpdk-memif/s2c-from-pktlink", "peer",
		  "pktlink server floods, measured DPDK net_memif client receives (rxdrop)",
		  BENCH_F_PEER, "dpdk-memif/s2c", K_RX_DPDK_S2C, BENCH_LIMIT_SPSC_COPY),
	MEMIF_ROW("dpdk-memif/c2s-from-pktlink", "peer",
		  "pktlink client floods, measured DPDK net_memif server receives (rxdrop)",
		  BENCH_F_PEER, "dpdk-memif/c2s", K_RX_DPDK_C2S, BENCH_LIMIT_SPSC_COPY),
};

BENCH_REGISTER(memif_scenarios)

#endif /* PKTLINK_HAVE_MEMIF */
