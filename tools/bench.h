/* SPDX-License-Identifier: MIT */
/*
 * bench.h — the scenario registry of `pktlink bench`, and what the framework
 * gives every scenario.
 *
 * HOW A RUN GOES
 *   1. `pktlink bench` forks a child; the child unshares a network and a
 *      mount namespace, mounts a fresh sysfs, brings lo up and builds the
 *      environment (struct bench_env): a veth pair GEN ("plbg0") <-> DUT
 *      ("plbd0") with 198.18.0.1/30 and 198.18.0.2/30, IPv6 off, GRO on DUT
 *      (so XDP-transmitted frames reach DUT's stack: see gen.h), and the
 *      loaded generator/sink programs (env->gen). Nothing outside that
 *      namespace is touched; when the child exits, everything is gone.
 *   2. For run r = 1..runs, for each selected scenario s (in registry order):
 *        s->setup(env, &state)  ->  s->run(env, state, &res)  ->  s->teardown(env, state)
 *      so scenarios are interleaved run by run (A B C A B C ...), which is
 *      what a comparison on a noisy machine needs. Setup and teardown are
 *      outside the measured window; run() measures for env->duration_s.
 *   3. The child prints the table (median over runs of Mpps, CPU ns per
 *      packet, syscalls per packet; for scenarios that name a limit, the
 *      limit's Mpps and the fraction of it reached) and, for scenarios that
 *      name a reference (compare_to), the ratio against it (median of the
 *      per-run ratios, pairs taken from the same run r). Around every
 *      run() the child samples /proc/stat and its own process tree's CPU
 *      time: what other work used in that window ("foreign load") is
 *      reported, with a warning when it makes the ratios unreliable
 *      (tools/bench_load.c).
 *   The parent enforces a hard time limit and kills the child on SIGINT;
 *   the child's own SIGINT handler sets env->stop, which run() loops must
 *   check (bench_should_stop()).
 *
 * ADDING SCENARIOS (e.g. tools/bench_xdp.c, tools/bench_shm.c)
 *   - tools/CMakeLists.txt compiles every tools/bench_*.c into the binary;
 *     guard family code with #ifdef PKTLINK_HAVE_XDP / PKTLINK_HAVE_SHM.
 *   - Define a static array of struct bench_scenario and register it with
 *     BENCH_REGISTER(array) at file scope (a constructor adds it to the
 *     registry before main()). Names are "<what>/<kind>", e.g.
 *     "xdp-drv/rxdrop", "shm/lat-busy"; --scenarios filters on them.
 *   - Receive scenarios: open your endpoint on env->dut_if in setup(); in
 *     run() call bench_gen_start() (frames arrive on DUT), measure your
 *     loop for env->duration_s after env->warmup_s, then bench_gen_stop().
 *     Frames are env->frame_len bytes (default 64), UDP to DUT's MAC.
 *   - Transmit scenarios: bench_sink_attach(env, env->gen_ifindex) in
 *     setup (or the framework's default sink, see BENCH_F_SINK_GEN), send
 *     on env->dut_if, and report the frames the sink counted
 *     (bench_sink_count() before/after the window) as res->packets.
 *   - Forwarding scenarios (l2fwd): bench_gen_start() into DUT and the sink
 *     on GEN (BENCH_F_SINK_GEN); what the sink counts came back through you.
 *   - Scenarios that need no veth (shm between two processes) ignore it.
 *   - Name the row's ceiling in .limit (veth receive rows:
 *     "generator/xdp-drop", AF_PACKET receive rows "generator/stack-drop";
 *     two-process rows: a tools/bench_limit.c ring),
 *     so the table says how close to it the row came.
 *   - An external peer program (DPDK, libpcap, libxdp reference) runs
 *     through bench_peer_run(): see tools/bench_peer.c and bench/README.md.
 *   - run() fills struct bench_result; return 0, or a negative errno with a
 *     reason in err (the run is reported as failed, the rest go on).
 *     A scenario that cannot run here (no driver support, missing peer
 *     binary) returns -ENOTSUP from setup() with a reason: it is listed as
 *     skipped.
 */
#ifndef PKTLINK_TOOLS_BENCH_H
#define PKTLINK_TOOLS_BENCH_H

#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen;

/* The environment the framework built; read-only for scenarios, except
 * through the helper functions below. */
struct bench_env {
	/* the veth pair, in the bench's own namespace */
	char gen_if[IF_NAMESIZE]; /* the generator's / sink's end */
	char dut_if[IF_NAMESIZE]; /* the end under test */
	int gen_ifindex, dut_ifindex;
	uint8_t gen_mac[6], dut_mac[6];
	uint32_t gen_ip, dut_ip; /* network byte order, in 198.18.0.0/15 */
	struct gen *gen; /* generator and sink programs (NULL if not built with clang) */

	/* the frame every scenario sends / receives */
	uint8_t frame[2048]; /* UDP GEN -> DUT (for rx) */
	uint8_t frame_rev[2048]; /* UDP DUT -> GEN (for tx) */
	uint32_t frame_len;
	uint32_t nflows; /* UDP source ports the generator cycles through */

	/* run parameters (from the command line) */
	double duration_s; /* measured window per run */
	double warmup_s; /* before the window */
	unsigned run_index; /* 0..runs-1 */
	int cpu_gen; /* CPU of the generator thread (-1: none) */
	int cpu_dut; /* CPU of the measured thread / peer process */
	bool busy_poll; /* measured loops spin instead of sleeping in poll */
	int verbose;
	const char *peer_dir; /* where the bench/ peer binaries are */
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM */
	int redirect_attached_; /* framework-private: DUT's redirect program is ours to detach */
};

/* The outcome of one run. */
struct bench_result {
	uint64_t packets; /* frames that made it (received, or counted at the sink) */
	double secs; /* length of the measured window */
	uint64_t cpu_ns; /* CPU time of the measured thread(s) in the window; 0 = unknown */
	uint64_t syscalls; /* I/O system calls in the window; UINT64_MAX = unknown */
	uint64_t offered; /* frames offered (generator runs, or frames handed to tx); 0 = unknown */
	uint64_t drops; /* drops the endpoint counted (kernel + ours), informative */
	double extra[4]; /* scenario-specific figures (latency ...), named by extra_names */
};

/* bench_scenario.flags */
enum {
	BENCH_F_NEEDS_GEN = 1u << 0, /* skip when the generator is not available */
	BENCH_F_PEER = 1u << 1, /* an external reference program, not pktlink itself */
	BENCH_F_SINK_GEN = 1u << 2, /* the framework attaches the sink on GEN for setup..teardown */
	BENCH_F_EXTRA_RUN = 1u << 3, /* only runs when named explicitly in --scenarios */
};

struct bench_scenario {
	const char *name; /* "<what>/<kind>": "packet-mmap/rxdrop", "dpdk-af_packet/txonly" */
	const char *family; /* "fd", "xdp", "shm", "memif", "gen", "limit", or "peer" */
	const char *desc; /* one line for --list */
	unsigned flags; /* BENCH_F_* */
	/* name of the scenario this one is compared with in the table (NULL: none),
	 * and a second one (e.g. the libpcap peer); both optional */
	const char *compare_to[2];
	const char *extra_names[4]; /* labels of res->extra[i] that are used, else NULL */
	const void *arg; /* scenario-specific constant, e.g. a spec template */
	/* setup: create what the run needs (endpoint, peer process). May be NULL.
	 * *state is NULL on entry; whatever it points to is passed on. */
	int (*setup)(struct bench_env *env, const struct bench_scenario *s, void **state,
		     char *err, size_t errlen);
	/* run: measure one window. Required. */
	int (*run)(struct bench_env *env, const struct bench_scenario *s, void *state,
		   struct bench_result *res, char *err, size_t errlen);
	/* teardown: undo setup, also after a failed run or a partial setup. May be NULL. */
	void (*teardown)(struct bench_env *env, const struct bench_scenario *s, void *state);
	/* name of the scenario that measures this one's ceiling on this machine
	 * (NULL: none): "generator/xdp-drop" for veth receive rows,
	 * "generator/stack-drop" for AF_PACKET receive rows, a
	 * "limit-spsc/..." ring for two-process rows (tools/bench_limit.c). It
	 * runs whenever this one is selected, and the table shows the fraction
	 * of it reached in the same round. Pick a limit that does no more work
	 * than this row must, or the fraction is not bounded by 1. */
	const char *limit;
};

/* The limits scenarios name (struct bench_scenario.limit). */
#define BENCH_LIMIT_GEN "generator/xdp-drop" /* tools/bench_gen.c: veth receive */
#define BENCH_LIMIT_STACK "generator/stack-drop" /* tools/bench_gen.c: AF_PACKET receive */
#define BENCH_LIMIT_SPSC "limit-spsc/c2s" /* tools/bench_limit.c: receiver hands out views */
#define BENCH_LIMIT_SPSC_COPY "limit-spsc/c2s-copy" /* receiver copies frames out */

/** bench_register() - add @n scenarios (static storage) to the registry. */
void bench_register(const struct bench_scenario *s, unsigned n);

/* Register a static array of scenarios from any tools/bench_*.c. */
#define BENCH_REGISTER(arr)                                                                    \
	__attribute__((constructor)) static void bench_register_##arr(void)                    \
	{                                                                                      \
		bench_register(arr, sizeof(arr) / sizeof((arr)[0]));                           \
	}

/** bench_should_stop() - SIGINT/SIGTERM arrived: end the measuring loop now. */
static inline bool bench_should_stop(const struct bench_env *env)
{
	return *env->stop != 0;
}

/**
 * bench_gen_start() - start the generator sending env->frame into DUT (rx
 * scenarios). Frames reach DUT's stack (AF_PACKET sees them); with
 * @redirect_ifindex > 0 a redirect program on DUT forwards them to that
 * device (a TAP) instead, attached for as long as the generator runs.
 */
int bench_gen_start(struct bench_env *env, int redirect_ifindex, char *err, size_t errlen);

/** bench_gen_stop() - stop it (and detach the redirect). Return: frames generated. */
uint64_t bench_gen_stop(struct bench_env *env);

/** bench_gen_sent() - frames the running generator has produced so far. */
uint64_t bench_gen_sent(struct bench_env *env);

/** bench_sink_attach() - count-and-drop sink on @ifindex (GEN, or a TAP). */
int bench_sink_attach(struct bench_env *env, int ifindex, char *err, size_t errlen);

/** bench_sink_detach() - remove it. */
void bench_sink_detach(struct bench_env *env, int ifindex);

/** bench_sink_count() - frames counted by every sink/redirect so far. */
uint64_t bench_sink_count(struct bench_env *env);

/**
 * bench_sleep_until() - sleep until @deadline_ns (CLOCK_MONOTONIC) or stop,
 * in steps of at most 50 ms. Return: false if stopped.
 */
bool bench_sleep_until(struct bench_env *env, uint64_t deadline_ns);

/* What bench_peer_run() should do with the sink and the generator. */
enum bench_peer_kind {
	BENCH_PEER_RX, /* generator on, frames to DUT's stack */
	BENCH_PEER_RX_TAP, /* generator on, redirected into the TAP named peer_tap */
	BENCH_PEER_TX, /* sink on GEN counts what the peer sends */
	BENCH_PEER_TX_TAP, /* sink on the TAP named peer_tap */
	BENCH_PEER_FWD, /* generator on into DUT, sink on GEN counts what comes back */
	BENCH_PEER_SELF, /* neither: the peer measures itself (two-process shm) */
};

/**
 * bench_peer_run() - run an external peer for one measured window.
 * @argv: program (relative to env->peer_dir unless it has a '/') and
 *        arguments; "{dur}", "{warm}", "{cpu}", "{dut}", "{gen}", "{len}",
 *        "{dmac}", "{smac}", "{prefix}", "{sip}", "{dip}" are replaced.
 *
 * Protocol (bench/README.md): the peer prints "READY" when it is set up,
 * then reads a line ("GO") from stdin, warms up, prints "START", measures
 * for the given duration, prints "RESULT pkts=N secs=S cpu_ns=C" and exits.
 * The framework snapshots the sink at START and RESULT for tx kinds and
 * runs the generator between READY and the end for rx kinds. The peer is
 * killed (SIGKILL after SIGTERM) if it overstays; its DPDK runtime dir
 * (/var/run/dpdk/{prefix}) is removed afterwards.
 */
int bench_peer_run(struct bench_env *env, const char *const *argv, enum bench_peer_kind kind,
		   const char *peer_tap, struct bench_result *res, char *err, size_t errlen);

/**
 * bench_reap_child() - end a scenario's helper process @pid (> 0): send @sig
 * first unless it is 0 (the child is expected to exit by itself, e.g. on a
 * hang-up), wait up to 3 s, then SIGKILL it. Always reaps it.
 */
void bench_reap_child(int pid, int sig);

/** bench_peer_path() - full path of peer program @name, or NULL if it is not there. */
const char *bench_peer_path(struct bench_env *env, const char *name, char *buf, size_t len);

/** bench_main() - `pktlink bench` (argv[0] is "bench"). */
int bench_main(int argc, char **argv);

#endif
