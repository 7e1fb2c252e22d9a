/* SPDX-License-Identifier: MIT */
/*
 * bench_env.c — `pktlink bench`'s environment: the private namespace, the
 * veth pair, and the generator and sink helpers scenarios call (see
 * bench_int.h).
 */
#include "bench_int.h"
#include "gen.h"
#include "nl.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* ---- helpers for scenarios ------------------------------------------------- */

bool bench_sleep_until(struct bench_env *env, uint64_t deadline_ns)
{
	for (int i = 0; i < 1000000; i++) {
		if (bench_should_stop(env))
			return false;
		uint64_t now = util_now_ns();
		if (now >= deadline_ns)
			return true;
		uint64_t d = deadline_ns - now;
		if (d > 50000000)
			d = 50000000;
		struct timespec ts = { 0, (long)d };
		nanosleep(&ts, NULL);
	}
	return true;
}

int bench_gen_start(struct bench_env *env, int redirect_ifindex, char *err, size_t errlen)
{
	if (!env->gen) {
		snprintf(err, errlen, "no generator (see the note at the top of the output)");
		return -ENOTSUP;
	}
	int r;
	if (redirect_ifindex > 0) {
		r = gen_set_redirect(env->gen, redirect_ifindex, err, errlen);
		if (r)
			return r;
		r = gen_attach(env->gen, env->dut_ifindex, GEN_PROG_REDIRECT, err, errlen);
		if (r)
			return r;
		env->redirect_attached_ = env->dut_ifindex;
	}
	struct gen_opts go = { .ifindex = env->gen_ifindex, .cpu = env->cpu_gen,
			       .frame = env->frame, .len = env->frame_len, .nflows = env->nflows,
			       .sport_base = 10000 };
	/* Tuning knobs for experiments with the generator itself. */
	const char *e;
	if ((e = getenv("PKTLINK_GEN_BATCH")))
		go.batch = (uint32_t)atoi(e);
	if ((e = getenv("PKTLINK_GEN_REPEAT")))
		go.repeat = (uint32_t)atoi(e);
	r = gen_start(env->gen, &go, err, errlen);
	if (r && env->redirect_attached_) {
		gen_detach(env->gen, env->redirect_attached_);
		env->redirect_attached_ = 0;
	}
	return r;
}

uint64_t bench_gen_stop(struct bench_env *env)
{
	if (!env->gen)
		return 0;
	uint64_t n = gen_stop(env->gen);
	if (env->redirect_attached_) {
		gen_detach(env->gen, env->redirect_attached_);
		env->redirect_attached_ = 0;
	}
	return n;
}

uint64_t bench_gen_sent(struct bench_env *env)
{
	return env->gen ? gen_sent(env->gen) : 0;
}

int bench_sink_attach(struct bench_env *env, int ifindex, char *err, size_t errlen)
{
	if (!env->gen) {
		snprintf(err, errlen, "no sink programs (built without clang)");
		return -ENOTSUP;
	}
	return gen_attach(env->gen, ifindex, GEN_PROG_SINK_DROP, err, errlen);
}

void bench_sink_detach(struct bench_env *env, int ifindex)
{
	if (env->gen)
		gen_detach(env->gen, ifindex);
}

uint64_t bench_sink_count(struct bench_env *env)
{
	return env->gen ? gen_count(env->gen) : 0;
}

/* ---- the namespace and the veth pair --------------------------------------------- */

/*
 * env_setup() - inside the fresh namespace: lo up, IPv6 off (no stray
 * router solicitations on the wire), the veth pair, GRO on DUT, the
 * generator. Only names and addresses of our own.
 */
int env_setup(struct bench_env *env, const struct bench_opts *o, char *err, size_t errlen)
{
	int r;
	snprintf(env->gen_if, sizeof(env->gen_if), "plbg0");
	snprintf(env->dut_if, sizeof(env->dut_if), "plbd0");
	nl_link_set("lo", true, 0, err, errlen);
	util_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	util_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	if ((r = nl_veth_create_mq(env->gen_if, env->dut_if, o->dut_queues, err, errlen)))
		return r;
	/* An MTU that fits the frame, so longer --frame-len values work. */
	unsigned mtu = o->frame_len > 1514 ? o->frame_len - 14 : 1500;
	if ((r = nl_link_set(env->gen_if, true, mtu, err, errlen)) ||
	    (r = nl_link_set(env->dut_if, true, mtu, err, errlen)))
		return r;
	/* GRO on DUT gives it NAPI, without which veth drops XDP-transmitted
	 * frames (see gen.h). No IPv4 addresses: the stack then drops the
	 * generated UDP frames right after the route lookup (forwarding is off
	 * in a new namespace), with no ICMP work and no socket lookups. */
	if ((r = nl_gro_set(env->dut_if, true, err, errlen)))
		return r;
	/* An experiment knob for the topology: DUT's NAPI in a kernel thread
	 * (threaded NAPI) instead of the generator's softirq, for every row
	 * alike. The thread is left to the scheduler (it is not pinned: its
	 * name is not unique across namespaces). */
	const char *thr = getenv("PKTLINK_BENCH_NAPI_THREADED");
	if (thr && *thr == '1') {
		char path[96];
		snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", env->dut_if);
		if ((r = util_write_file(path, "1")) < 0) {
			snprintf(err, errlen, "threaded NAPI on %s: %s", env->dut_if, strerror(-r));
			return r;
		}
	}
	env->gen_ifindex = (int)if_nametoindex(env->gen_if);
	env->dut_ifindex = (int)if_nametoindex(env->dut_if);
	nl_mac_get(env->gen_if, env->gen_mac);
	nl_mac_get(env->dut_if, env->dut_mac);
	env->gen_ip = htonl(0xC6120001); /* 198.18.0.1 */
	env->dut_ip = htonl(0xC6120002); /* 198.18.0.2 */
	env->frame_len = o->frame_len;
	env->nflows = o->nflows;
	util_build_udp(env->frame, sizeof(env->frame), o->frame_len, env->dut_mac, env->gen_mac,
		       env->gen_ip, env->dut_ip, 10000, 9);
	util_build_udp(env->frame_rev, sizeof(env->frame_rev), o->frame_len, env->gen_mac,
		       env->dut_mac, env->dut_ip, env->gen_ip, 10000, 9);
	return 0;
}

