/* SPDX-License-Identifier: MIT */
/*
 * bench_int.h — what the files of `pktlink bench` share among themselves
 * (bench.h is the interface to the scenario files):
 *   bench.c         the registry, the child that runs inside the namespace,
 *                   the interleaved runner, bench_main();
 *   bench_cli.c     options and usage;
 *   bench_env.c     the namespace, the veth pair, generator and sink helpers;
 *   bench_peer_run.c external peer processes (bench_peer_run(): DPDK, libpcap,
 *                   libxdp), used by the scenario files;
 *   bench_report.c  the table and the JSON report;
 *   bench_load.c    the CPU other work took during each run (foreign load);
 *   bench_distance.c how far apart the two CPUs are around each run.
 * Scenario rows are registered by the tools/bench_<family>.c files, one
 * table each (bench.h: bench_register()).
 */
#ifndef PKTLINK_TOOLS_BENCH_INT_H
#define PKTLINK_TOOLS_BENCH_INT_H

#include "bench.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#define BENCH_MAX_SCENARIOS 128
#define BENCH_MAX_RUNS 50

struct bench_opts {
	double duration, warmup;
	unsigned runs;
	const char *filter;
	bool json, list, peers, busy, verbose;
	int cpu_gen, cpu_dut;
	uint32_t frame_len, nflows;
	uint32_t dut_queues; /* RX/TX queues of both veth ends; 0 = the default (1) */
	const char *peer_dir;
	const char *json_out; /* also write the JSON here */
	double timeout; /* hard limit for the whole bench; 0 = computed */
};

enum run_status { RUN_NONE, RUN_OK, RUN_FAIL, RUN_SKIP };

struct run_rec {
	enum run_status st;
	struct bench_result res;
	/* CPUs other work took during run() (bench_load.c), and of that the
	 * hypervisor's steal; NAN when not sampled */
	double foreign, steal;
	/* a cache line's round trip between --cpu-gen and --cpu-dut, the
	 * longer of the one just before setup and the one just after
	 * teardown (bench_distance.c), ns; NAN when not measured */
	double xcpu_ns;
};

/* Foreign load (CPUs) above which a run's ratios are reported unreliable. */
#define BENCH_FOREIGN_WARN 0.10

struct scen_rec {
	const struct bench_scenario *s;
	struct run_rec runs[BENCH_MAX_RUNS];
	char note[256]; /* first failure or skip reason */
	bool skip_rest;
};

/* When and under what load the figures were taken (bench --json header). */
struct bench_meta {
	time_t started, ended;
	double load_before[3], load_after[3]; /* getloadavg(): 1, 5, 15 minutes */
	const char *generator; /* gen_describe(), NULL without a generator */
};

/* bench_cli.c */
int bench_parse(int argc, char **argv, struct bench_opts *o);
bool selected(const struct bench_opts *o, const struct bench_scenario *s);

/* bench_env.c */
int env_setup(struct bench_env *env, const struct bench_opts *o, char *err, size_t errlen);

/* bench_load.c: a snapshot of CPU time (machine, the tree under a process, ksoftirqd) */
struct bench_load_sample {
	uint64_t t_ns; /* CLOCK_MONOTONIC */
	uint64_t steal, own, ksoftirqd, others; /* clock ticks (sysconf(_SC_CLK_TCK)) */
	bool ok;
};
/* bench_load_sample() - take one; @root is the bench's process (its tree is "own"). */
void bench_load_sample(struct bench_load_sample *s, int root);
/* bench_load_window() - CPUs taken by other work (steal included) and by steal
 * alone between two samples; @veth: the row's traffic crosses the veth pair,
 * so ksoftirqd's time is its own. Return: false when a sample failed. */
bool bench_load_window(const struct bench_load_sample *a, const struct bench_load_sample *b,
		       bool veth, double *foreign, double *steal);

/* bench_distance.c */
/* bench_cpu_distance() - the round trip of a cache line between the calling
 * thread, pinned to @cpu_here, and a thread it pins to @cpu_other: the
 * fastest of a few batches of round trips, in ns. Takes well under a
 * millisecond; bounded at 50 ms. Return NAN when a CPU is not given (< 0),
 * both are the same, or the other thread did not answer in time. */
double bench_cpu_distance(int cpu_here, int cpu_other);

/* A run whose round trip is more than this many times the bench's shortest
 * ran with the two CPUs further apart than others (bench_report.c). */
#define BENCH_XCPU_WARN_RATIO 2.0

/* bench_same_distance() - whether two runs' round trips (ns, NAN when not
 * measured) say the CPUs were equally far apart: within
 * BENCH_XCPU_WARN_RATIO of each other, or either not known. */
bool bench_same_distance(double a_ns, double b_ns);

/* bench_report.c */
double mpps(const struct bench_result *r);
double per_pkt(uint64_t v, const struct bench_result *r);
const char *fmt_num(char *buf, size_t len, double v, int prec);
double median_of(const struct scen_rec *sr, unsigned runs, int which);
unsigned count_ok(const struct scen_rec *sr, unsigned runs);
void print_table(struct scen_rec *recs, unsigned n, const struct bench_opts *o);
void print_json(FILE *f, struct scen_rec *recs, unsigned n, const struct bench_opts *o,
		const struct bench_meta *m);
/* bench_meta_start() / bench_meta_end() - stamp and load before / after the runs. */
void bench_meta_start(struct bench_meta *m);
void bench_meta_end(struct bench_meta *m);

#endif
