/* SPDX-License-Identifier: MIT */
/*
 * bench_gen.c — the ceilings of the veth receive rows, no program under test.
 * Shown first so that every table says how much headroom the receive rows
 * had:
 *
 *   generator/xdp-drop    the generator into an XDP_DROP sink on DUT: no
 *                         receiver of any kind can pass it.
 *   generator/stack-drop  the generator into DUT with no XDP program and no
 *                         socket: DUT's NAPI builds an skb for every frame
 *                         and the stack drops it (DUT has no address). Every
 *                         AF_PACKET receiver adds its own work on the same
 *                         CPU to exactly this path, so it is their ceiling:
 *                         a row close to it is bound by the kernel, not by
 *                         the library. Counted by DUT's rx_packets, which
 *                         veth raises per frame its NAPI took off the ring.
 */
#include "bench.h"
#include "gen.h"
#include "util.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>

/* gen_setup() - the sink on DUT (also gives DUT's veth NAPI, see gen.h). */
static int gen_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		     char *err, size_t errlen)
{
	return bench_sink_attach(env, env->dut_ifindex, err, errlen);
}

/* gen_teardown() - remove the sink. */
static void gen_teardown(struct bench_env *env, const struct bench_scenario *s, void *state)
{
	bench_sink_detach(env, env->dut_ifindex);
}

/* sink_count() - the XDP_DROP sink's count (a window counter, see gen_window()). */
static int64_t sink_count(struct bench_env *env)
{
	return (int64_t)(bench_sink_count(env) & INT64_MAX);
}

/* dut_rx_packets() - DUT's rx_packets counter (low 32 bits, which
 * gen_window() takes modulo 2^32: exact below 4 G frames a window), or
 * -errno. getifaddrs() asks the routing netlink of the bench's own namespace. */
static int64_t dut_rx_packets(struct bench_env *env)
{
	struct ifaddrs *ifa0;
	if (getifaddrs(&ifa0))
		return -errno;
	int64_t r = -ENODEV;
	for (struct ifaddrs *ifa = ifa0; ifa; ifa = ifa->ifa_next)
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_PACKET && ifa->ifa_data &&
		    !strcmp(ifa->ifa_name, env->dut_if)) {
			r = ((const struct rtnl_link_stats *)ifa->ifa_data)->rx_packets;
			break;
		}
	freeifaddrs(ifa0);
	return r;
}

/*
 * gen_window() - run the generator and report what @count (a counter that
 * returns -errno on failure) moved by in the measured window; both counters
 * are taken modulo 2^32, which is exact below 4 G frames a window.
 */
static int gen_window(struct bench_env *env, struct bench_result *res,
		      int64_t (*count)(struct bench_env *), const char *what, char *err,
		      size_t errlen)
{
	int r = bench_gen_start(env, 0, err, errlen);
	if (r)
		return r;
	uint64_t t = util_now_ns() + (uint64_t)(env->warmup_s * 1e9);
	if (!bench_sleep_until(env, t)) {
		bench_gen_stop(env);
		return -EINTR;
	}
	int64_t c0 = count(env);
	uint64_t t0 = util_now_ns();
	bench_sleep_until(env, t0 + (uint64_t)(env->duration_s * 1e9));
	int64_t c1 = count(env);
	uint64_t t1 = util_now_ns();
	/* The generator's own CPU over its whole run (warm-up included), per
	 * frame it generated: the cost of a frame on the sending side. */
	uint64_t sent = bench_gen_stop(env);
	if (c0 < 0 || c1 < 0) {
		r = (int)(c0 < 0 ? c0 : c1);
		snprintf(err, errlen, "reading %s: %s", what, strerror(-r));
		return r;
	}
	res->packets = (uint32_t)((uint32_t)c1 - (uint32_t)c0);
	res->secs = (double)(t1 - t0) / 1e9;
	if (sent)
		res->extra[0] = (double)gen_cpu_ns(env->gen) / (double)sent;
	res->offered = sent ? (uint64_t)((double)sent * res->secs /
					 (res->secs + env->warmup_s)) : 0;
	return 0;
}

/* gen_run() - frames counted by the sink in the window. */
static int gen_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		   struct bench_result *res, char *err, size_t errlen)
{
	return gen_window(env, res, sink_count, "the sink's counter", err, errlen);
}

/* stack_run() - frames DUT's NAPI handed to the stack in the window. */
static int stack_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		     struct bench_result *res, char *err, size_t errlen)
{
	return gen_window(env, res, dut_rx_packets, "DUT's rx_packets", err, errlen);
}

static const struct bench_scenario gen_scenarios[] = {
	{ .name = "generator/xdp-drop", .family = "gen",
	  .desc = "the generator alone: live-frames XDP_TX into an XDP_DROP sink on DUT",
	  .flags = BENCH_F_NEEDS_GEN, .extra_names = { "gen_ns/pkt" }, .setup = gen_setup, .run = gen_run, .teardown = gen_teardown },
	{ .name = "generator/stack-drop", .family = "gen",
	  .desc = "the generator into DUT with no XDP program and no socket: skbs built, dropped by the stack",
	  .flags = BENCH_F_NEEDS_GEN, .extra_names = { "gen_ns/pkt" }, .run = stack_run },
};
BENCH_REGISTER(gen_scenarios)
