/* SPDX-License-Identifier: MIT */
/*
 * bench_xdp.c — AF_XDP scenarios of `pktlink bench`: pktlink's xdp endpoint
 * (rxdrop, txonly, l2fwd) and, as references, the libxdp xsk program
 * bench/xdp_ref (the xdpsock pattern) and DPDK's net_af_xdp PMD
 * (bench/dpdk_peer), on the same veth pair, fed by the same generator.
 *
 * pktlink's loops are the application an AF_XDP user would write on the
 * contract: rx_burst/rx_release (views, FILL refilled by the endpoint),
 * tx_burst from the application's memory (one copy of the frame into a
 * UMEM frame), l2fwd = rx_burst + tx_burst of the views (copied) + release.
 * They sleep in pktlink_wait() after a few empty bursts unless --busy-poll;
 * the references always spin.
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifdef PKTLINK_HAVE_XDP
#include <pktlink/pktlink.h>
#include <pktlink/xdp.h>

#define BURST 64

enum xdp_kind { XK_RX, XK_TX, XK_FWD, XK_FWD_ZC };

struct xdp_arg {
	const char *spec; /* "%s" is replaced by the device name */
	enum xdp_kind kind;
	/* Socket busy polling (the spec's busy_poll=) with DUT's NAPI deferred:
	 * the application's empty-ring recvfrom() would run DUT's NAPI (the
	 * XDP program, the redirect, the copy into the UMEM) on the
	 * application's CPU instead of the generator's softirq — where the
	 * kernel ties the socket to a NAPI instance, which veth since 6.13
	 * does not (bench/README.md, "Levers"). */
	bool napi_busy;
};

/* NAPI deferral on DUT while a busy-polling socket is bound: interrupts (for
 * veth: the peer's napi_schedule) stay masked for up to napi_defer_hard_irqs
 * empty polls and gro_flush_timeout ns, so the busy poller owns the NAPI.
 * Written only on DUT, which the bench created; 0 restores the defaults. */
static void dut_napi_defer(struct bench_env *env, bool on)
{
	static const char *const knob[2] = { "napi_defer_hard_irqs", "gro_flush_timeout" };
	static const char *const val[2] = { "2", "200000" };
	for (int i = 0; i < 2; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/sys/class/net/%s/%s", env->dut_if, knob[i]);
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(on ? val[i] : "0", f);
			if (fclose(f) && env->verbose)
				fprintf(stderr, "  %s: %s\n", path, strerror(errno));
		} else if (env->verbose) {
			fprintf(stderr, "  %s: %s\n", path, strerror(errno));
		}
	}
}

/* xdp_teardown() - close the endpoint (detaches the XDP program). */
static void xdp_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	const struct xdp_arg *a = s->arg;
	pktlink_close(state);
	if (a->napi_busy)
		dut_napi_defer(env, false);
}

/* xdp_setup() - open the endpoint on DUT; a mode this kernel lacks is a skip. */
static int xdp_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		     char *err, size_t errlen)
{
	const struct xdp_arg *a = s->arg;
	char spec[512], e[256] = "";
	int l = snprintf(spec, 256, a->spec, env->dut_if);
	/* An experiment knob (like PKTLINK_GEN_BATCH): keys appended to every
	 * pktlink xdp row's spec, e.g. "&frames=1024". */
	const char *extra = getenv("PKTLINK_BENCH_XDP_SPEC");
	if (extra && l > 0 && l < 256)
		snprintf(spec + l, sizeof(spec) - (size_t)l, "%s", extra);
	struct pktlink_ep *ep = NULL;
	int r = pktlink_open(spec, &ep, e, sizeof(e));
	if (r) {
		snprintf(err, errlen, "pktlink_open(\"%s\"): %s", spec, e);
		return r == -EINVAL || r == -EOPNOTSUPP ? -ENOTSUP : r;
	}
	*state = ep;
	return 0;
}

/* The three loops; each returns frames handled or a negative errno. */
static int64_t xdp_loop(struct bench_env *env, enum xdp_kind kind, struct pktlink_ep *ep,
			uint64_t end_ns, char *err, size_t errlen)
{
	struct pktlink_pkt in[BURST], out[BURST];
	int64_t total = 0;
	unsigned idle = 0;
	int n = 0;
	if (kind == XK_TX) {
		memset(out, 0, sizeof(out));
		for (unsigned i = 0; i < BURST; i++) {
			out[i].data = env->frame_rev;
			out[i].len = env->frame_len;
		}
	}
	while (!bench_should_stop(env)) {
		if (kind == XK_TX) {
			n = pktlink_tx_burst(ep, out, BURST);
			if (n < 0)
				goto fail;
			total += n;
		} else {
			n = pktlink_rx_burst(ep, in, BURST);
			if (n < 0)
				goto fail;
			if (n > 0 && kind == XK_FWD_ZC) {
				/* MAC swap in place, then the same frames go out: no copy */
				for (int i = 0; i < n; i++) {
					uint8_t tmp[6], *p = in[i].data;
					memcpy(tmp, p, 6);
					memcpy(p, p + 6, 6);
					memcpy(p + 6, tmp, 6);
				}
				int t = 0;
				for (int tries = 0; t < n && tries < 1000; tries++) {
					int k = pktlink_xdp_forward(ep, ep, in + t, (unsigned)(n - t));
					if (k < 0) {
						n = k;
						goto fail;
					}
					t += k;
				}
				if (t < n)
					pktlink_rx_release(ep, in + t, (unsigned)(n - t));
				total += n;
				idle = 0;
			} else if (n > 0) {
				if (kind == XK_FWD) {
					for (int i = 0; i < n; i++)
						out[i] = (struct pktlink_pkt){ .data = in[i].data,
									       .len = in[i].len };
					int t = 0;
					/* the frames must go out; the TX ring frees up as the
					 * kernel completes */
					for (int tries = 0; t < n && tries < 1000; tries++) {
						int k = pktlink_tx_burst(ep, out + t, (unsigned)(n - t));
						if (k < 0) {
							n = k;
							goto fail;
						}
						t += k;
					}
				}
				pktlink_rx_release(ep, in, (unsigned)n);
				total += n;
				idle = 0;
			} else if (!env->busy_poll && ++idle > 4) {
				pktlink_wait(ep, 10);
			}
		}
		if (util_now_ns() >= end_ns)
			break;
	}
	return total;
fail:
	snprintf(err, errlen, "%s: %s (%s)", kind == XK_TX ? "pktlink_tx_burst" : "pktlink_rx_burst",
		 pktlink_strerror(n), pktlink_last_error(ep));
	return n;
}

/* xdp_run() - one measured window. */
static int xdp_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		   struct bench_result *res, char *err, size_t errlen)
{
	const struct xdp_arg *a = s->arg;
	struct pktlink_ep *ep = state;
	int r;
	if (a->kind != XK_TX && (r = bench_gen_start(env, 0, err, errlen)))
		return r;
	int64_t n = xdp_loop(env, a->kind, ep, util_now_ns() + (uint64_t)(env->warmup_s * 1e9), err,
			     errlen);
	if (n < 0) {
		if (a->kind != XK_TX)
			bench_gen_stop(env);
		return (int)n;
	}
	if (a->napi_busy) {
		/* The kernel has tied the socket to a NAPI instance by now, or
		 * never will (veth since 6.13): defer DUT's NAPI to the busy
		 * poller only when there is one, else the NAPI would wait for
		 * gro_flush_timeout with nobody polling. */
		unsigned id = 0;
		socklen_t l = sizeof(id);
		if (getsockopt(pktlink_queue_fd(ep, 0), SOL_SOCKET, SO_INCOMING_NAPI_ID, &id, &l))
			id = 0;
		if (id)
			dut_napi_defer(env, true);
		if (env->verbose)
			fprintf(stderr, "  %s: socket NAPI id %u%s\n", s->name, id,
				id ? "" : " (none: busy polling runs nothing here)");
	}
	struct pktlink_stats s0, s1;
	pktlink_get_stats(ep, &s0);
	uint64_t sink0 = bench_sink_count(env), gen0 = bench_gen_sent(env);
	uint64_t c0 = util_thread_cpu_ns(), t0 = util_now_ns();
	n = xdp_loop(env, a->kind, ep, t0 + (uint64_t)(env->duration_s * 1e9), err, errlen);
	uint64_t t1 = util_now_ns(), c1 = util_thread_cpu_ns();
	uint64_t sink1 = bench_sink_count(env), gen1 = bench_gen_sent(env);
	pktlink_get_stats(ep, &s1);
	if (a->kind != XK_TX)
		bench_gen_stop(env);
	if (n < 0)
		return (int)n;
	res->secs = (double)(t1 - t0) / 1e9;
	res->cpu_ns = c1 - c0;
	res->syscalls = (s1.rx_syscalls - s0.rx_syscalls) + (s1.tx_syscalls - s0.tx_syscalls);
	if (a->kind == XK_RX) {
		res->packets = (uint64_t)n;
		res->offered = gen1 - gen0;
		res->drops = (s1.rx_drop_kernel - s0.rx_drop_kernel) +
			     (s1.rx_drop_nobuf - s0.rx_drop_nobuf);
	} else if (a->kind == XK_TX) {
		res->packets = sink1 - sink0;
		res->offered = (uint64_t)n;
		res->drops = (s1.tx_errors - s0.tx_errors) + (s1.tx_drop_invalid - s0.tx_drop_invalid);
	} else {
		res->packets = sink1 - sink0;
		res->offered = gen1 - gen0;
		res->drops = (s1.rx_drop_kernel - s0.rx_drop_kernel) + (s1.tx_errors - s0.tx_errors);
	}
	return 0;
}

/* ---- several queues: one push-mode worker per queue ------------------------- */

/*
 * xdp-drv/rxdrop-2q: DUT created with two queues (--dut-queues 2), an
 * endpoint on every queue, pktlink_attach() (one worker per queue, each
 * sleeping in poll() when idle unless --busy-poll). The workers inherit the
 * measured CPU. Frames are counted per queue: veth hands XDP-transmitted
 * frames (the generator's) to the RX queue numbered by the sending CPU
 * modulo the queue count, so one generator CPU feeds one queue.
 */
#define MQ_MAX 2
struct mq_state {
	struct pktlink_ep *ep;
	uint64_t n[MQ_MAX]; /* atomic: frames delivered per queue */
	clockid_t clk[MQ_MAX]; /* the worker's CPU clock, valid once have_clk */
	int have_clk[MQ_MAX]; /* atomic */
};

static void mq_deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct mq_state *st = ctx;
	/* One worker per queue: a burst comes from one queue. */
	unsigned q = pkts[0].queue < MQ_MAX ? pkts[0].queue : MQ_MAX - 1;
	if (!__atomic_load_n(&st->have_clk[q], __ATOMIC_ACQUIRE) &&
	    !pthread_getcpuclockid(pthread_self(), &st->clk[q]))
		__atomic_store_n(&st->have_clk[q], 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&st->n[q], n, __ATOMIC_RELAXED);
}

/* mq_cpu_ns() - CPU time of the workers that have delivered frames (a
 * worker's clock is known from its first callback; an idle worker's poll
 * wakeups are not counted). */
static uint64_t mq_cpu_ns(struct mq_state *st)
{
	uint64_t t = 0;
	for (int q = 0; q < MQ_MAX; q++) {
		struct timespec ts;
		if (__atomic_load_n(&st->have_clk[q], __ATOMIC_ACQUIRE) &&
		    !clock_gettime(st->clk[q], &ts))
			t += (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	return t;
}

static void mq_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	struct mq_state *st = state;
	if (!st) /* a setup that failed (teardown is called then too) */
		return;
	pktlink_close(st->ep);
	free(st);
}

static int mq_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		    char *err, size_t errlen)
{
	struct mq_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int r = xdp_setup(env, s, (void **)&st->ep, err, errlen);
	if (!r && pktlink_queue_fd(st->ep, 1) < 0) {
		snprintf(err, errlen, "DUT has one queue (run with --dut-queues 2)");
		r = -ENOTSUP;
	}
	if (r) {
		if (st->ep)
			pktlink_close(st->ep);
		free(st);
		return r;
	}
	*state = st;
	return 0;
}

static int mq_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		  struct bench_result *res, char *err, size_t errlen)
{
	struct mq_state *st = state;
	int r = bench_gen_start(env, 0, err, errlen);
	if (r)
		return r;
	PKTLINK_OPTS(pktlink_attach_opts, ao, .busy_poll = env->busy_poll);
	if ((r = pktlink_attach_opts(st->ep, mq_deliver, st, &ao)) < 0) {
		snprintf(err, errlen, "pktlink_attach: %s", pktlink_last_error(st->ep));
		bench_gen_stop(env);
		return r;
	}
	bench_sleep_until(env, util_now_ns() + (uint64_t)(env->warmup_s * 1e9));
	uint64_t n0[MQ_MAX], n1[MQ_MAX];
	for (int q = 0; q < MQ_MAX; q++)
		n0[q] = __atomic_load_n(&st->n[q], __ATOMIC_RELAXED);
	uint64_t gen0 = bench_gen_sent(env), c0 = mq_cpu_ns(st), t0 = util_now_ns();
	bench_sleep_until(env, t0 + (uint64_t)(env->duration_s * 1e9));
	uint64_t t1 = util_now_ns(), c1 = mq_cpu_ns(st), gen1 = bench_gen_sent(env);
	for (int q = 0; q < MQ_MAX; q++)
		n1[q] = __atomic_load_n(&st->n[q], __ATOMIC_RELAXED);
	pktlink_attach(st->ep, NULL, NULL);
	pktlink_join(st->ep);
	bench_gen_stop(env);
	res->secs = (double)(t1 - t0) / 1e9;
	res->cpu_ns = c1 > c0 ? c1 - c0 : 0;
	res->packets = (n1[0] - n0[0]) + (n1[1] - n0[1]);
	res->offered = gen1 - gen0;
	if (env->verbose)
		fprintf(stderr, "  %s: queue 0 %" PRIu64 " frames, queue 1 %" PRIu64 "\n", s->name,
			n1[0] - n0[0], n1[1] - n0[1]);
	return 0;
}

/* ---- the references ------------------------------------------------------ */

struct xdp_peer_arg {
	enum bench_peer_kind kind;
	const char *argv[40];
};

#define REF_ARGS(mode)                                                                          \
	"xdp_ref", "--iface", "{dut}", "--mode", mode, "--xdp-mode", "drv", "--duration", "{dur}", \
		"--warmup", "{warm}", "--len", "{len}", "--dmac", "{dmac}", "--smac", "{smac}",    \
		"--sip", "{sip}", "--dip", "{dip}", "--cpu", "{cpu}", NULL
#define DPDK_EAL "--no-huge", "-m", "512", "--no-pci", "--file-prefix", "{prefix}", "-l", "{cpu}", \
		 "--log-level", "*:error"
#define DPDK_ARGS(mode)                                                                         \
	"dpdk_peer", DPDK_EAL, "--vdev", "net_af_xdp0,iface={dut},start_queue=0,busy_budget=0",  \
		"--", "--mode", mode, "--duration", "{dur}", "--warmup", "{warm}", "--len",      \
		"{len}", "--dmac", "{dmac}", "--smac", "{smac}", "--sip", "{sip}", "--dip", "{dip}", \
		NULL

static const struct xdp_peer_arg ref_rx = { BENCH_PEER_RX, { REF_ARGS("rxdrop") } };
static const struct xdp_peer_arg ref_tx = { BENCH_PEER_TX, { REF_ARGS("txonly") } };
static const struct xdp_peer_arg ref_fwd = { BENCH_PEER_FWD, { REF_ARGS("l2fwd") } };
static const struct xdp_peer_arg dpdk_rx = { BENCH_PEER_RX, { DPDK_ARGS("rxdrop") } };
static const struct xdp_peer_arg dpdk_tx = { BENCH_PEER_TX, { DPDK_ARGS("txonly") } };
static const struct xdp_peer_arg dpdk_fwd = { BENCH_PEER_FWD, { DPDK_ARGS("l2fwd") } };

/* xdp_peer_setup() - skip (with the reason) when the peer was not built. */
static int xdp_peer_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
			  char *err, size_t errlen)
{
	const struct xdp_peer_arg *a = s->arg;
	char path[512];
	if (!bench_peer_path(env, a->argv[0], path, sizeof(path))) {
		snprintf(err, errlen, "%s/%s not built (needs %s)", env->peer_dir, a->argv[0],
			 a->argv[0][0] == 'd' ? "libdpdk-dev and librte-net-af-xdp" : "libxdp-dev");
		return -ENOTSUP;
	}
	return 0;
}

static int xdp_peer_run(struct bench_env *env, const struct bench_scenario *s, void *state,
			struct bench_result *res, char *err, size_t errlen)
{
	const struct xdp_peer_arg *a = s->arg;
	return bench_peer_run(env, a->argv, a->kind, NULL, res, err, errlen);
}

static const struct xdp_arg a_drv_rx = { "xdp:%s?mode=drv", XK_RX, false };
static const struct xdp_arg a_drv_tx = { "xdp:%s?mode=drv", XK_TX, false };
static const struct xdp_arg a_drv_fwd = { "xdp:%s?mode=drv", XK_FWD, false };
static const struct xdp_arg a_skb_rx = { "xdp:%s?mode=skb", XK_RX, false };
static const struct xdp_arg a_drv_rx_all = { "xdp:%s?mode=drv&queues=all", XK_RX, false };
static const struct xdp_arg a_drv_fwd_zc = { "xdp:%s?mode=drv", XK_FWD_ZC, false };
#define BP "&busy_poll=20&busy_budget=64"
static const struct xdp_arg a_bp_rx = { "xdp:%s?mode=drv" BP, XK_RX, true };
static const struct xdp_arg a_bp_fwd = { "xdp:%s?mode=drv" BP, XK_FWD, true };

#define PL(name_, desc_, flags_, arg_, ref1, ref2, limit_)                                      \
	{ .name = name_, .family = "xdp", .desc = desc_, .flags = (flags_),                    \
	  .compare_to = { ref1, ref2 }, .arg = arg_, .setup = xdp_setup, .run = xdp_run,        \
	  .teardown = xdp_teardown, .limit = limit_ }
/* No BENCH_F_SINK_GEN for peers: bench_peer_run() puts the sink in place itself. */
#define PEER(name_, desc_, flags_, arg_, limit_)                                                \
	{ .name = name_, .family = "peer", .desc = desc_, .flags = BENCH_F_PEER | (flags_),     \
	  .arg = arg_, .setup = xdp_peer_setup, .run = xdp_peer_run, .limit = limit_ }

static const struct bench_scenario xdp_scenarios[] = {
	PL("xdp-drv/rxdrop", "AF_XDP, driver-mode XDP, rx_burst + release", BENCH_F_NEEDS_GEN,
	   &a_drv_rx, "xdpref-drv/rxdrop", "dpdk-af_xdp/rxdrop", BENCH_LIMIT_GEN),
	PL("xdp-drv/txonly", "AF_XDP, driver mode, tx_burst (copy into UMEM) to the XDP sink",
	   BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN, &a_drv_tx, "xdpref-drv/txonly",
	   "dpdk-af_xdp/txonly", NULL),
	PL("xdp-drv/l2fwd", "AF_XDP, driver mode, every frame sent back out of DUT",
	   BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN, &a_drv_fwd, "xdpref-drv/l2fwd",
	   "dpdk-af_xdp/l2fwd", NULL),
	PL("xdp-drv/l2fwd-zc",
	   "AF_XDP, driver mode, MAC swap in place + pktlink_xdp_forward() (no copy)",
	   BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN, &a_drv_fwd_zc, "xdpref-drv/l2fwd",
	   "dpdk-af_xdp/l2fwd", NULL),
	{ .name = "xdp-drv/rxdrop-2q", .family = "xdp",
	  .desc = "AF_XDP, driver mode, every queue of a 2-queue DUT (--dut-queues 2), "
		  "one pktlink_attach() worker per queue",
	  .flags = BENCH_F_NEEDS_GEN, .compare_to = { "xdpref-drv/rxdrop", "dpdk-af_xdp/rxdrop" },
	  .arg = &a_drv_rx_all, .setup = mq_setup, .run = mq_run, .teardown = mq_teardown,
	  .limit = BENCH_LIMIT_GEN },
	PL("xdp-drv-bp/rxdrop",
	   "AF_XDP, driver mode, socket busy polling: DUT's NAPI runs on the measured CPU",
	   BENCH_F_NEEDS_GEN, &a_bp_rx, "xdpref-drv/rxdrop", "dpdk-af_xdp/rxdrop", BENCH_LIMIT_GEN),
	PL("xdp-drv-bp/l2fwd", "AF_XDP, driver mode, socket busy polling, forward",
	   BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN, &a_bp_fwd, "xdpref-drv/l2fwd",
	   "dpdk-af_xdp/l2fwd", NULL),
	PL("xdp-skb/rxdrop", "AF_XDP, generic (skb) XDP, rx_burst + release", BENCH_F_NEEDS_GEN,
	   &a_skb_rx, NULL, NULL, BENCH_LIMIT_GEN),
	PEER("xdpref-drv/rxdrop", "libxdp xsk reference (xdpsock pattern), driver mode, rxdrop",
	     BENCH_F_NEEDS_GEN, &ref_rx, BENCH_LIMIT_GEN),
	PEER("xdpref-drv/txonly", "libxdp xsk reference, driver mode, txonly to the XDP sink",
	     BENCH_F_NEEDS_GEN, &ref_tx, NULL),
	PEER("xdpref-drv/l2fwd", "libxdp xsk reference, driver mode, MAC-swap forward in place",
	     BENCH_F_NEEDS_GEN, &ref_fwd, NULL),
	PEER("dpdk-af_xdp/rxdrop", "DPDK net_af_xdp (busy_budget=0), rxdrop", BENCH_F_NEEDS_GEN,
	     &dpdk_rx, BENCH_LIMIT_GEN),
	PEER("dpdk-af_xdp/txonly", "DPDK net_af_xdp, txonly to the XDP sink",
	     BENCH_F_NEEDS_GEN, &dpdk_tx, NULL),
	PEER("dpdk-af_xdp/l2fwd", "DPDK net_af_xdp, macswap forward",
	     BENCH_F_NEEDS_GEN, &dpdk_fwd, NULL),
};
BENCH_REGISTER(xdp_scenarios)

#endif /* PKTLINK_HAVE_XDP */
