/* SPDX-License-Identifier: MIT */
/*
 * bench_fd.c — `pktlink bench` scenarios of the fd family: AF_PACKET on the
 * DUT veth end in each receive mode (readv, recvmmsg, TPACKET_V3 mmap) and
 * transmit mode (sendmmsg, TPACKET_V2 TX ring), and a TAP (readv/writev).
 *
 *   <mode>/rxdrop   the generator floods DUT (a TAP: redirected into it by
 *                   XDP); the measured thread pulls bursts of 64 with
 *                   pktlink_rx_burst() and releases them at once.
 *   <mode>/txonly   the measured thread sends bursts of 64 copies of one
 *                   frame with pktlink_tx_burst(); the XDP sink at the far
 *                   end (GEN, or the TAP itself) counts what arrived.
 *
 * Mpps = frames delivered in the window / window; CPU = the measured
 * thread's CPU time in the window / frames; syscalls from the endpoint's
 * rx_syscalls / tx_syscalls counters.
 */
#include "bench.h"
#include "nl.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PKTLINK_HAVE_FD
#include <pktlink/fd.h>
#include <pktlink/pktlink.h>

#define BURST 64
#define TAP_NAME "plbtap0"

struct fd_arg {
	const char *spec; /* "%s" is replaced by the device name */
	bool tap, tx;
	bool fwd; /* l2fwd: receive on DUT, send each frame back out of DUT */
};

struct fd_state {
	struct pktlink_ep *ep;
	int tap_ifindex;
	bool sink_on_tap;
};

/* fd_teardown() - close the endpoint (the TAP vanishes with it) and the TAP sink. */
static void fd_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	struct fd_state *st = state;
	if (!st)
		return;
	if (st->sink_on_tap)
		bench_sink_detach(env, st->tap_ifindex);
	pktlink_close(st->ep);
	free(st);
}

/* fd_setup() - open the endpoint; for a TAP also bring it up and put the sink on it. */
static int fd_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		    char *err, size_t errlen)
{
	const struct fd_arg *a = s->arg;
	struct fd_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	*state = st;
	char spec[256];
	snprintf(spec, sizeof(spec), a->spec, a->tap ? TAP_NAME : env->dut_if);
	char e[256] = "";
	int r = pktlink_open(spec, &st->ep, e, sizeof(e));
	if (r) {
		snprintf(err, errlen, "pktlink_open(\"%s\"): %s", spec, e);
		/* A mode this build does not know is a skip, not a failure. */
		return r == -EINVAL || r == -EPROTONOSUPPORT ? -ENOTSUP : r;
	}
	if (a->tap) {
		if ((r = nl_link_set(TAP_NAME, true, 0, err, errlen)))
			return r;
		st->tap_ifindex = (int)if_nametoindex(TAP_NAME);
		/* The generated frames carry DUT's MAC; let the TAP endpoint's
		 * receive filter accept them (the TAP has a MAC of its own). */
		pktlink_set_link_addr(st->ep, env->dut_mac);
		if (a->tx) {
			if ((r = bench_sink_attach(env, st->tap_ifindex, err, errlen)))
				return r;
			st->sink_on_tap = true;
		}
	}
	return 0;
}

/* fd_rx_loop() - receive and drop until @end_ns; return frames received or -errno. */
static int64_t fd_rx_loop(struct bench_env *env, struct pktlink_ep *ep, uint64_t end_ns,
			  char *err, size_t errlen)
{
	struct pktlink_pkt pkts[BURST];
	int64_t total = 0;
	unsigned idle = 0;
	while (!bench_should_stop(env)) {
		int n = pktlink_rx_burst(ep, pkts, BURST);
		if (n > 0) {
			pktlink_rx_release(ep, pkts, (unsigned)n);
			total += n;
			idle = 0;
		} else if (n == 0) {
			if (!env->busy_poll && ++idle > 4)
				pktlink_wait(ep, 10);
		} else {
			snprintf(err, errlen, "pktlink_rx_burst: %s (%s)", pktlink_strerror(n),
				 pktlink_last_error(ep));
			return n;
		}
		/* Clock once per burst: a vDSO call, cheap next to the syscall. */
		if (util_now_ns() >= end_ns)
			break;
	}
	return total;
}

/*
 * fd_tx_loop() - send bursts until @end_ns; return frames taken or -errno.
 * Endpoints that lend TX buffers (PKTLINK_CAP_TX_ALLOC: the TPACKET_V2 TX
 * ring) are used the zero-copy way an application would: the frame is
 * written straight into the lent slot, then sent; the others get the frame
 * from the caller's memory and copy it themselves.
 */
static int64_t fd_tx_loop(struct bench_env *env, struct pktlink_ep *ep, uint64_t end_ns,
			  char *err, size_t errlen)
{
	struct pktlink_pkt pkts[BURST];
	memset(pkts, 0, sizeof(pkts));
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	bool lend = info.caps & PKTLINK_CAP_TX_ALLOC;
	for (unsigned i = 0; i < BURST; i++) {
		pkts[i].data = env->frame_rev;
		pkts[i].len = env->frame_len;
	}
	int64_t total = 0;
	while (!bench_should_stop(env)) {
		unsigned want = BURST;
		if (lend) {
			int a = pktlink_tx_alloc(ep, pkts, BURST);
			if (a < 0) {
				snprintf(err, errlen, "pktlink_tx_alloc: %s (%s)", pktlink_strerror(a),
					 pktlink_last_error(ep));
				return a;
			}
			for (int i = 0; i < a; i++) {
				memcpy(pkts[i].data, env->frame_rev, env->frame_len);
				pkts[i].len = env->frame_len;
			}
			want = (unsigned)a;
		}
		int n = want ? pktlink_tx_burst(ep, pkts, want) : 0;
		if (lend && n >= 0 && (unsigned)n < want)
			pktlink_tx_free(ep, pkts + n, want - (unsigned)n);
		if (n < 0) {
			if (lend)
				pktlink_tx_free(ep, pkts, want);
			snprintf(err, errlen, "pktlink_tx_burst: %s (%s)", pktlink_strerror(n),
				 pktlink_last_error(ep));
			return n;
		}
		total += n;
		if (util_now_ns() >= end_ns)
			break;
	}
	return total;
}

/* fd_fwd_loop() - receive bursts and send them back out until @end_ns.
 * Return: frames received, or -errno. Frames the TX side does not take at
 * once are dropped (and not retried), as a forwarder under overload does. */
static int64_t fd_fwd_loop(struct bench_env *env, struct pktlink_ep *ep, uint64_t end_ns,
			   char *err, size_t errlen)
{
	struct pktlink_pkt in[BURST], out[BURST];
	int64_t total = 0;
	unsigned idle = 0;
	while (!bench_should_stop(env)) {
		int n = pktlink_rx_burst(ep, in, BURST);
		if (n > 0) {
			for (int i = 0; i < n; i++) {
				out[i] = in[i];
				out[i].flags &= (uint16_t)~PKTLINK_PKT_TXBUF;
				out[i].priv = 0;
			}
			int t = pktlink_tx_burst(ep, out, (unsigned)n);
			pktlink_rx_release(ep, in, (unsigned)n);
			if (t < 0) {
				snprintf(err, errlen, "pktlink_tx_burst: %s (%s)", pktlink_strerror(t),
					 pktlink_last_error(ep));
				return t;
			}
			total += n;
			idle = 0;
		} else if (n == 0) {
			if (!env->busy_poll && ++idle > 4)
				pktlink_wait(ep, 10);
		} else {
			snprintf(err, errlen, "pktlink_rx_burst: %s (%s)", pktlink_strerror(n),
				 pktlink_last_error(ep));
			return n;
		}
		if (util_now_ns() >= end_ns)
			break;
	}
	return total;
}

/* fd_loop() - the loop of this scenario's kind. */
static int64_t fd_loop(struct bench_env *env, const struct fd_arg *a, struct pktlink_ep *ep,
		       uint64_t end_ns, char *err, size_t errlen)
{
	if (a->fwd)
		return fd_fwd_loop(env, ep, end_ns, err, errlen);
	return a->tx ? fd_tx_loop(env, ep, end_ns, err, errlen)
		     : fd_rx_loop(env, ep, end_ns, err, errlen);
}

/* fd_run() - one measured window. */
static int fd_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		  struct bench_result *res, char *err, size_t errlen)
{
	const struct fd_arg *a = s->arg;
	struct fd_state *st = state;
	int r;
	if ((!a->tx || a->fwd) && (r = bench_gen_start(env, a->tap ? st->tap_ifindex : 0, err, errlen)))
		return r;
	uint64_t now = util_now_ns();
	int64_t n = fd_loop(env, a, st->ep, now + (uint64_t)(env->warmup_s * 1e9), err, errlen);
	if (n < 0)
		return (int)n;
	struct pktlink_stats s0, s1;
	pktlink_get_stats(st->ep, &s0);
	uint64_t sink0 = bench_sink_count(env), gen0 = bench_gen_sent(env);
	uint64_t c0 = util_thread_cpu_ns();
	uint64_t t0 = util_now_ns();
	n = fd_loop(env, a, st->ep, t0 + (uint64_t)(env->duration_s * 1e9), err, errlen);
	uint64_t t1 = util_now_ns();
	uint64_t c1 = util_thread_cpu_ns();
	uint64_t sink1 = bench_sink_count(env), gen1 = bench_gen_sent(env);
	pktlink_get_stats(st->ep, &s1);
	if (n < 0)
		return (int)n;
	res->secs = (double)(t1 - t0) / 1e9;
	res->cpu_ns = c1 - c0;
	if (a->fwd) {
		res->packets = sink1 - sink0; /* what came back out */
		res->offered = gen1 - gen0;
		res->syscalls = (s1.rx_syscalls - s0.rx_syscalls) + (s1.tx_syscalls - s0.tx_syscalls);
		res->drops = (s1.rx_drop_kernel - s0.rx_drop_kernel) + (s1.tx_errors - s0.tx_errors);
	} else if (a->tx) {
		res->packets = sink1 - sink0;
		res->offered = (uint64_t)n;
		res->syscalls = s1.tx_syscalls - s0.tx_syscalls;
		res->drops = (s1.tx_errors - s0.tx_errors) + (s1.tx_drop_invalid - s0.tx_drop_invalid);
	} else {
		res->packets = (uint64_t)n;
		res->syscalls = s1.rx_syscalls - s0.rx_syscalls;
		res->drops = (s1.rx_drop_kernel - s0.rx_drop_kernel) +
			     (s1.rx_drop_nobuf - s0.rx_drop_nobuf) +
			     (s1.rx_drop_filter - s0.rx_drop_filter);
		/* offered: what the generator produced in the window (the
		 * same figure the peers report; gen_sent counts in steps of
		 * one BPF_PROG_RUN call, so it is approximate) */
		res->offered = gen1 - gen0;
	}
	return 0;
}

static const struct fd_arg a_readv_rx = { "packet:%s?dispatch=readv", false, false, false };
static const struct fd_arg a_recvmmsg_rx = { "packet:%s?dispatch=recvmmsg", false, false, false };
static const struct fd_arg a_mmap_rx = { "packet:%s?dispatch=mmap", false, false, false };
static const struct fd_arg a_sendmmsg_tx = { "packet:%s?tx=sendmmsg&qdisc_bypass=1", false, true, false };
static const struct fd_arg a_mmap_tx = { "packet:%s?tx=mmap&qdisc_bypass=1", false, true, false };
static const struct fd_arg a_mmap_fwd = { "packet:%s?dispatch=mmap&tx=mmap&qdisc_bypass=1", false, false, true };
static const struct fd_arg a_tap_rx = { "tap:%s", true, false, false };
static const struct fd_arg a_tap_tx = { "tap:%s", true, true, false };

/* Every AF_PACKET receive mode against DPDK's af_packet PMD; the ring mode
 * also against libpcap, which receives through a TPACKET_V3 ring too. */
#define RX_REFS { "dpdk-af_packet/rxdrop", NULL }
#define RX_REFS_RING { "dpdk-af_packet/rxdrop", "pcap/rxdrop" }
#define TX_REFS { "dpdk-af_packet/txonly", NULL }

static const struct bench_scenario fd_scenarios[] = {
	{ .name = "packet-readv/rxdrop", .family = "fd",
	  .desc = "AF_PACKET, one readv per frame, receive and drop", .flags = BENCH_F_NEEDS_GEN,
	  .compare_to = RX_REFS, .arg = &a_readv_rx, .setup = fd_setup, .run = fd_run,
	  .teardown = fd_teardown, .limit = BENCH_LIMIT_STACK },
	{ .name = "packet-recvmmsg/rxdrop", .family = "fd",
	  .desc = "AF_PACKET, recvmmsg batches, receive and drop", .flags = BENCH_F_NEEDS_GEN,
	  .compare_to = RX_REFS, .arg = &a_recvmmsg_rx, .setup = fd_setup, .run = fd_run,
	  .teardown = fd_teardown, .limit = BENCH_LIMIT_STACK },
	{ .name = "packet-mmap/rxdrop", .family = "fd",
	  .desc = "AF_PACKET, TPACKET_V3 ring, receive and drop", .flags = BENCH_F_NEEDS_GEN,
	  .compare_to = RX_REFS_RING, .arg = &a_mmap_rx, .setup = fd_setup, .run = fd_run,
	  .teardown = fd_teardown, .limit = BENCH_LIMIT_STACK },
	{ .name = "tap/rxdrop", .family = "fd",
	  .desc = "TAP (frames XDP-redirected into it), readv, receive and drop",
	  .flags = BENCH_F_NEEDS_GEN, .compare_to = { "dpdk-tap/rxdrop", NULL }, .arg = &a_tap_rx,
	  .setup = fd_setup, .run = fd_run, .teardown = fd_teardown, .limit = BENCH_LIMIT_GEN },
	{ .name = "packet-sendmmsg/txonly", .family = "fd",
	  .desc = "AF_PACKET, sendmmsg batches, to the XDP sink",
	  .flags = BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN, .compare_to = TX_REFS,
	  .arg = &a_sendmmsg_tx, .setup = fd_setup, .run = fd_run, .teardown = fd_teardown },
	{ .name = "packet-mmap/txonly", .family = "fd",
	  .desc = "AF_PACKET, TPACKET_V2 TX ring (frames written into lent slots), to the XDP sink",
	  .flags = BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN, .compare_to = TX_REFS, .arg = &a_mmap_tx,
	  .setup = fd_setup, .run = fd_run, .teardown = fd_teardown },
	{ .name = "packet-mmap/l2fwd", .family = "fd",
	  .desc = "AF_PACKET, V3 RX ring + V2 TX ring, every frame sent back out of DUT",
	  .flags = BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN,
	  .compare_to = { "dpdk-af_packet/l2fwd", NULL }, .arg = &a_mmap_fwd, .setup = fd_setup,
	  .run = fd_run, .teardown = fd_teardown },
	{ .name = "tap/txonly", .family = "fd",
	  .desc = "TAP, writev per frame, to an XDP sink on the TAP", .flags = BENCH_F_NEEDS_GEN,
	  .compare_to = { "dpdk-tap/txonly", NULL }, .arg = &a_tap_tx, .setup = fd_setup,
	  .run = fd_run, .teardown = fd_teardown },
};
BENCH_REGISTER(fd_scenarios)

#endif /* PKTLINK_HAVE_FD */
