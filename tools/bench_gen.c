/* SPDX-License-Identifier: MIT */
/*
 * bench_gen.c — the generator's own capacity: live-frames XDP_TX from GEN
 * into an XDP_DROP sink on DUT, no program under test. Shown first so that
 * every table says how much headroom the receive scenarios had (a receiver
 * can never exceed this).
 */
#include "bench.h"
#include "gen.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>

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

/* gen_run() - frames counted by the sink in the window. */
static int gen_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		   struct bench_result *res, char *err, size_t errlen)
{
	int r = bench_gen_start(env, 0, err, errlen);
	if (r)
		return r;
	uint64_t t = util_now_ns() + (uint64_t)(env->warmup_s * 1e9);
	if (!bench_sleep_until(env, t))
		return -EINTR;
	uint64_t c0 = bench_sink_count(env), t0 = util_now_ns();
	bench_sleep_until(env, t0 + (uint64_t)(env->duration_s * 1e9));
	uint64_t c1 = bench_sink_count(env), t1 = util_now_ns();
	res->packets = c1 - c0;
	res->secs = (double)(t1 - t0) / 1e9;
	/* The generator's own CPU over its whole run (warm-up included), per
	 * frame it generated: the cost of a frame on the sending side. */
	uint64_t sent = bench_gen_stop(env);
	if (sent)
		res->extra[0] = (double)gen_cpu_ns(env->gen) / (double)sent;
	res->offered = sent ? (uint64_t)((double)sent * res->secs /
					 (res->secs + env->warmup_s)) : 0;
	return 0;
}

static const struct bench_scenario gen_scenarios[] = {
	{ .name = "generator/xdp-drop", .family = "gen",
	  .desc = "the generator alone: live-frames XDP_TX into an XDP_DROP sink on DUT",
	  .flags = BENCH_F_NEEDS_GEN, .extra_names = { "gen_ns/pkt" }, .setup = gen_setup, .run = gen_run, .teardown = gen_teardown },
};
BENCH_REGISTER(gen_scenarios)
