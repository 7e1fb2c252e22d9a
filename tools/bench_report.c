/* SPDX-License-Identifier: MIT */
/*
 * bench_report.c — `pktlink bench`: figures of the runs, the table and the
 * JSON report with its header (see bench_int.h).
 */
#include "bench_int.h"
#include "json.h"
#include "util.h"

#include <math.h>
#include <pktlink/pktlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- results ------------------------------------------------------------------ */


/* mpps() / per_pkt() - figures of one run; NAN when not measurable. */
double mpps(const struct bench_result *r)
{
	return r->secs > 0 ? (double)r->packets / r->secs / 1e6 : NAN;
}

/* per_pkt() - a counter per delivered frame (CPU ns, syscalls); NAN when unknown. */
double per_pkt(uint64_t v, const struct bench_result *r)
{
	if (!r->packets || v == UINT64_MAX || (v == 0 && r->packets == 0))
		return NAN;
	return (double)v / (double)r->packets;
}

/* values_of() - a per-run figure (0 Mpps, 1 CPU ns/frame, 2 syscalls/frame,
 * 3 offered Mpps, 4.. the scenario's extras) of the runs that succeeded,
 * into @v. Return: how many. */
static unsigned values_of(const struct scen_rec *sr, unsigned runs, int which, double *v)
{
	unsigned n = 0;
	for (unsigned i = 0; i < runs; i++) {
		const struct run_rec *rr = &sr->runs[i];
		if (rr->st != RUN_OK)
			continue;
		double x = which == 0	? mpps(&rr->res)
			   : which == 1 ? (rr->res.cpu_ns ? per_pkt(rr->res.cpu_ns, &rr->res) : NAN)
			   : which == 2 ? per_pkt(rr->res.syscalls, &rr->res)
			   : which == 3 ? (rr->res.offered && rr->res.secs > 0
						   ? (double)rr->res.offered / rr->res.secs / 1e6
						   : NAN)
					: rr->res.extra[which - 4];
		if (!isnan(x))
			v[n++] = x;
	}
	return n;
}

/* median_of() - median of a per-run figure over the runs that succeeded. */
double median_of(const struct scen_rec *sr, unsigned runs, int which)
{
	double v[BENCH_MAX_RUNS];
	unsigned n = values_of(sr, runs, which, v);
	return n ? util_median(v, n) : NAN;
}

/* find_rec() - the record of the scenario named @name, or NULL. */
static struct scen_rec *find_rec(struct scen_rec *recs, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(recs[i].s->name, name))
			return &recs[i];
	return NULL;
}

/*
 * pair_ratio() - median over runs r of fig(a, r) / fig(b, r), pairs from the
 * same run (round). Only the pairs whose two runs had the CPUs equally far
 * apart (bench_same_distance()) count, unless there are none: a round in
 * which the host moved the CPUs between the two rows compares two
 * machines.
 */
static double pair_ratio(const struct scen_rec *a, const struct scen_rec *b, unsigned runs,
			 int which)
{
	double same[BENCH_MAX_RUNS], all[BENCH_MAX_RUNS];
	unsigned ns = 0, na = 0;
	for (unsigned i = 0; i < runs; i++) {
		if (a->runs[i].st != RUN_OK || b->runs[i].st != RUN_OK)
			continue;
		const struct bench_result *x = &a->runs[i].res, *y = &b->runs[i].res;
		double fx = which == 0 ? mpps(x) : per_pkt(x->cpu_ns, x);
		double fy = which == 0 ? mpps(y) : per_pkt(y->cpu_ns, y);
		if (isnan(fx) || isnan(fy) || fy <= 0)
			continue;
		all[na++] = fx / fy;
		if (bench_same_distance(a->runs[i].xcpu_ns, b->runs[i].xcpu_ns))
			same[ns++] = fx / fy;
	}
	if (ns)
		return util_median(same, ns);
	return na ? util_median(all, na) : NAN;
}

/* limit_rec() - the record of @sr's limit if it is in this bench, else NULL. */
static struct scen_rec *limit_rec(struct scen_rec *recs, unsigned n, const struct scen_rec *sr)
{
	return sr->s->limit ? find_rec(recs, n, sr->s->limit) : NULL;
}

/* The foreign load over every run() of the bench (bench_load.c), and the
 * distance of the two CPUs around each run (bench_distance.c). */
struct load_summary {
	unsigned windows, over; /* runs sampled, runs over BENCH_FOREIGN_WARN */
	double median, max, steal_max; /* CPUs */
	const char *max_name; /* the row and run of the maximum */
	unsigned max_run;
	/* round trips (ns): runs measured, and of them those over
	 * BENCH_XCPU_WARN_RATIO x the shortest */
	unsigned xcpu_runs, xcpu_far;
	double xcpu_median, xcpu_min, xcpu_max;
};

static void load_summary(const struct scen_rec *recs, unsigned n, unsigned runs,
			 struct load_summary *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->median = ls->max = ls->steal_max = NAN;
	double *v = malloc((size_t)n * runs * sizeof(*v) + 1);
	for (unsigned i = 0; v && i < n; i++)
		for (unsigned r = 0; r < runs; r++) {
			const struct run_rec *rr = &recs[i].runs[r];
			if (rr->st != RUN_OK || isnan(rr->foreign)) /* no figures to disturb */
				continue;
			v[ls->windows++] = rr->foreign;
			ls->over += rr->foreign > BENCH_FOREIGN_WARN;
			if (isnan(ls->max) || rr->foreign > ls->max) {
				ls->max = rr->foreign;
				ls->max_name = recs[i].s->name;
				ls->max_run = r + 1;
			}
			if (isnan(ls->steal_max) || rr->steal > ls->steal_max)
				ls->steal_max = rr->steal;
		}
	if (ls->windows)
		ls->median = util_median(v, ls->windows);
	ls->xcpu_median = ls->xcpu_min = ls->xcpu_max = NAN;
	for (unsigned i = 0; v && i < n; i++)
		for (unsigned r = 0; r < runs; r++) {
			double x = recs[i].runs[r].xcpu_ns;
			if (recs[i].runs[r].st != RUN_OK || isnan(x))
				continue;
			v[ls->xcpu_runs++] = x;
			if (isnan(ls->xcpu_min) || x < ls->xcpu_min)
				ls->xcpu_min = x;
			if (isnan(ls->xcpu_max) || x > ls->xcpu_max)
				ls->xcpu_max = x;
		}
	for (unsigned k = 0; k < ls->xcpu_runs; k++)
		ls->xcpu_far += !bench_same_distance(v[k], ls->xcpu_min);
	if (ls->xcpu_runs)
		ls->xcpu_median = util_median(v, ls->xcpu_runs);
	free(v);
}

/* print_load() - the summary line, and the warning when other work took
 * enough CPU to move the figures of some rows and not of others. */
static void print_load(FILE *f, const struct load_summary *ls, const struct bench_opts *o)
{
	char a[32], b[32], c[32];
	if (ls->xcpu_runs) {
		fprintf(f,
			"CPU distance: a cache line's round trip between CPU %d and CPU %d took %s ns "
			"(median over %u runs), %s-%s ns\n",
			o->cpu_gen, o->cpu_dut, fmt_num(a, sizeof(a), ls->xcpu_median, 0),
			ls->xcpu_runs, fmt_num(b, sizeof(b), ls->xcpu_min, 0),
			fmt_num(c, sizeof(c), ls->xcpu_max, 0));
		if (ls->xcpu_far)
			fprintf(f,
				"WARNING: in %u of %u runs the round trip was more than %.0fx the "
				"shortest (%s ns): the host ran the two CPUs further apart then "
				"(another core complex or socket), which slows every row that moves "
				"data between them, two-process rows most: the medians of rows marked "
				"far=N mix the two, and ratios and limit fractions count only rounds whose "
				"two runs had the CPUs equally far apart (-v shows the round trip per "
				"run)\n",
				ls->xcpu_far, ls->xcpu_runs, BENCH_XCPU_WARN_RATIO, b);
	}
	if (!ls->windows) {
		fprintf(f, "machine load: not known (no successful run was sampled)\n");
		return;
	}
	fprintf(f,
		"machine load: other work took %s CPU (median over %u runs), at most %s (%s run %u); "
		"steal at most %s\n",
		fmt_num(a, sizeof(a), ls->median, 2), ls->windows, fmt_num(b, sizeof(b), ls->max, 2),
		ls->max_name, ls->max_run, fmt_num(c, sizeof(c), ls->steal_max, 2));
	if (ls->over)
		fprintf(f,
			"WARNING: other work took more than %.2f CPU during %u of %u runs (at most "
			"%s CPU): peer ratios and limit fractions are unreliable; do not publish these "
			"figures (rerun on an idle machine)\n",
			BENCH_FOREIGN_WARN, ls->over, ls->windows, b);
}

/* fmt_num() - a figure for the table, "-" when unknown. */
const char *fmt_num(char *buf, size_t len, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

/* count_ok() - successful runs of a scenario. */
unsigned count_ok(const struct scen_rec *sr, unsigned runs)
{
	unsigned n = 0;
	for (unsigned i = 0; i < runs; i++)
		n += sr->runs[i].st == RUN_OK;
	return n;
}

/* print_table() - the human-readable result. */
void print_table(struct scen_rec *recs, unsigned n, const struct bench_opts *o)
{
	char a[32], b[32], c[32], d[32], lm[32], of[16];
	bool any_limit = false;
	struct load_summary ls;
	load_summary(recs, n, o->runs, &ls);
	printf("\n%-28s %9s %11s %10s %9s %9s %8s %5s\n", "scenario", "Mpps", "CPU ns/pkt",
	       "sys/pkt", "offered", "limit", "of", "runs");
	printf("%-28s %9s %11s %10s %9s %9s %8s %5s\n", "", "(median)", "(median)", "(median)",
	       "Mpps", "Mpps", "limit", "ok");
	for (unsigned i = 0; i < n; i++) {
		struct scen_rec *sr = &recs[i];
		unsigned ok = count_ok(sr, o->runs);
		if (!ok) {
			printf("%-28s %9s %11s %10s %9s %9s %8s %2u/%-2u  %s\n", sr->s->name, "-",
			       "-", "-", "-", "-", "-", 0, o->runs,
			       sr->note[0] ? sr->note : "not run (interrupted)");
			continue;
		}
		struct scen_rec *lr = limit_rec(recs, n, sr);
		double frac = lr ? pair_ratio(sr, lr, o->runs, 0) : NAN;
		if (!isnan(frac))
			snprintf(of, sizeof(of), "%.0f%%", frac * 100);
		else
			snprintf(of, sizeof(of), "-");
		any_limit |= lr != NULL;
		printf("%-28s %9s %11s %10s %9s %9s %8s %2u/%-2u", sr->s->name,
		       fmt_num(a, sizeof(a), median_of(sr, o->runs, 0), 3),
		       fmt_num(b, sizeof(b), median_of(sr, o->runs, 1), 0),
		       fmt_num(c, sizeof(c), median_of(sr, o->runs, 2), 3),
		       fmt_num(d, sizeof(d), median_of(sr, o->runs, 3), 2),
		       fmt_num(lm, sizeof(lm), lr ? median_of(lr, o->runs, 0) : NAN, 3), of, ok,
		       o->runs);
		for (int k = 0; k < 4; k++)
			if (sr->s->extra_names[k])
				printf("  %s=%s", sr->s->extra_names[k],
				       fmt_num(a, sizeof(a), median_of(sr, o->runs, 4 + k), 2));
		if (ls.xcpu_far) {
			/* which rows the warning below is about */
			unsigned far = 0;
			for (unsigned r = 0; r < o->runs; r++)
				far += sr->runs[r].st == RUN_OK &&
				       !bench_same_distance(sr->runs[r].xcpu_ns, ls.xcpu_min);
			if (far)
				printf("  far=%u/%u", far, ok);
		}
		if (ok < o->runs && sr->note[0])
			printf("  (%s)", sr->note);
		printf("\n");
	}
	/* Side by side: every scenario that names a reference which also ran. */
	bool header = false;
	for (unsigned i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			const char *ref = recs[i].s->compare_to[k];
			struct scen_rec *rr = ref ? find_rec(recs, n, ref) : NULL;
			if (!rr || !count_ok(&recs[i], o->runs) || !count_ok(rr, o->runs))
				continue;
			if (!header) {
				printf("\n%-22s %-24s %8s %8s %7s %9s %9s %7s\n", "pktlink", "peer",
				       "Mpps", "peer", "ratio", "ns/pkt", "peer", "ratio");
				printf("%-22s %-24s %8s %8s %7s %9s %9s %7s\n", "", "", "", "Mpps",
				       "Mpps", "", "ns/pkt", "CPU");
				header = true;
			}
			char e[32], f[32];
			printf("%-22s %-24s %8s %8s %6sx %9s %9s %6sx\n", recs[i].s->name, ref,
			       fmt_num(a, sizeof(a), median_of(&recs[i], o->runs, 0), 3),
			       fmt_num(b, sizeof(b), median_of(rr, o->runs, 0), 3),
			       fmt_num(c, sizeof(c), pair_ratio(&recs[i], rr, o->runs, 0), 2),
			       fmt_num(d, sizeof(d), median_of(&recs[i], o->runs, 1), 0),
			       fmt_num(e, sizeof(e), median_of(rr, o->runs, 1), 0),
			       fmt_num(f, sizeof(f), pair_ratio(&recs[i], rr, o->runs, 1), 2));
		}
	}
	if (header)
		printf("(ratio = median over runs of pktlink/peer from the same round, rounds whose "
		       "two runs had the CPUs equally far apart; Mpps ratio > 1 and CPU ratio < 1 "
		       "favour pktlink)\n");
	if (any_limit)
		printf("(of limit = median over runs of row/limit Mpps from the same round; limits: "
		       "generator/xdp-drop for veth receive, generator/stack-drop for AF_PACKET receive, "
		       "limit-spsc/* for two-process rows)\n");
	printf("\n");
	print_load(stdout, &ls, o);
}

/* json_figure() - "key": {median, min, max} of a per-run figure. */
static void json_figure(struct json *j, const char *key, const struct scen_rec *sr, unsigned runs,
			int which)
{
	double v[BENCH_MAX_RUNS];
	unsigned n = values_of(sr, runs, which, v);
	double mn = NAN, mx = NAN;
	for (unsigned i = 0; i < n; i++) {
		if (isnan(mn) || v[i] < mn)
			mn = v[i];
		if (isnan(mx) || v[i] > mx)
			mx = v[i];
	}
	json_key(j, key);
	json_obj(j);
	json_knum(j, "median", n ? util_median(v, n) : NAN);
	json_knum(j, "min", mn);
	json_knum(j, "max", mx);
	json_ku64(j, "runs", n);
	json_end(j);
}

/* cpu_model() - "model name" of /proc/cpuinfo (or the architecture's equivalent). */
static void cpu_model(char *out, size_t cap)
{
	snprintf(out, cap, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) && strncmp(line, "Model", 5) &&
		    strncmp(line, "cpu model", 9))
			continue;
		char *c = strchr(line, ':');
		if (!c)
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, cap, "%s", c);
		break;
	}
	fclose(f);
}

static void json_load(struct json *j, const char *key, const double la[3])
{
	json_key(j, key);
	json_arr(j);
	for (int i = 0; i < 3; i++)
		json_num(j, la[i]);
	json_end(j);
}

static void json_time(struct json *j, const char *key, time_t t)
{
	char buf[32];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_kstr(j, key, buf);
}

void bench_meta_start(struct bench_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->started = time(NULL);
	if (getloadavg(m->load_before, 3) != 3)
		m->load_before[0] = m->load_before[1] = m->load_before[2] = NAN;
}

void bench_meta_end(struct bench_meta *m)
{
	m->ended = time(NULL);
	if (getloadavg(m->load_after, 3) != 3)
		m->load_after[0] = m->load_after[1] = m->load_after[2] = NAN;
}

/* print_json() - the same as print_table(), for machines, after a header
 * that says where and how the figures were taken. */
void print_json(FILE *f, struct scen_rec *recs, unsigned n, const struct bench_opts *o,
		const struct bench_meta *m)
{
	struct json jj, *j = &jj;
	json_init(j, f);
	json_obj(j);

	json_key(j, "header");
	json_obj(j);
	char ver[32], cpu[256];
	snprintf(ver, sizeof(ver), "%d.%d", PKTLINK_VERSION_MAJOR, PKTLINK_VERSION_MINOR);
	json_kstr(j, "pktlink_version", ver);
	struct utsname u;
	uname(&u);
	json_kstr(j, "kernel", u.release);
	if (m->generator)
		json_kstr(j, "generator", m->generator);
	json_kstr(j, "machine", u.machine);
	cpu_model(cpu, sizeof(cpu));
	json_kstr(j, "cpu_model", cpu);
	json_ki64(j, "cpus_online", sysconf(_SC_NPROCESSORS_ONLN));
	json_time(j, "started", m->started);
	json_time(j, "ended", m->ended);
	json_load(j, "load_before", m->load_before);
	json_load(j, "load_after", m->load_after);
	json_key(j, "options");
	json_obj(j);
	json_knum(j, "duration_s", o->duration);
	json_knum(j, "warmup_s", o->warmup);
	json_ku64(j, "runs", o->runs);
	json_kstr(j, "scenarios", o->filter);
	json_ku64(j, "frame_len", o->frame_len);
	json_ku64(j, "flows", o->nflows);
	json_ki64(j, "cpu_gen", o->cpu_gen);
	json_ki64(j, "cpu_dut", o->cpu_dut);
	json_kbool(j, "busy_poll", o->busy);
	json_kbool(j, "peers", o->peers);
	json_knum(j, "timeout_s", o->timeout);
	json_end(j);
	struct load_summary ls;
	load_summary(recs, n, o->runs, &ls);
	json_key(j, "foreign_load"); /* CPUs other work took during the runs (bench_load.c) */
	json_obj(j);
	json_ku64(j, "runs_sampled", ls.windows);
	json_knum(j, "median_cpus", ls.median);
	json_knum(j, "max_cpus", ls.max);
	json_kstr(j, "max_scenario", ls.max_name);
	json_ku64(j, "max_run", ls.max_run);
	json_knum(j, "steal_max_cpus", ls.steal_max);
	json_knum(j, "warn_above_cpus", BENCH_FOREIGN_WARN);
	json_ku64(j, "runs_over", ls.over);
	/* --json prints no WARNING line (stdout is one JSON object, and callers
	 * merge stderr into it): this is the warning */
	json_kbool(j, "unreliable", ls.over > 0);
	json_end(j);
	json_key(j, "cpu_distance"); /* round trips around the runs (bench_distance.c) */
	json_obj(j);
	json_ku64(j, "runs_measured", ls.xcpu_runs);
	json_knum(j, "median_ns", ls.xcpu_median);
	json_knum(j, "min_ns", ls.xcpu_min);
	json_knum(j, "max_ns", ls.xcpu_max);
	json_knum(j, "warn_above_ratio", BENCH_XCPU_WARN_RATIO);
	json_ku64(j, "runs_far", ls.xcpu_far);
	json_kbool(j, "unreliable", ls.xcpu_far > 0);
	json_end(j);
	json_end(j);

	/* Kept from before the header existed, for readers of older output. */
	json_knum(j, "duration_s", o->duration);
	json_ku64(j, "runs", o->runs);
	json_ku64(j, "frame_len", o->frame_len);

	json_key(j, "scenarios");
	json_arr(j);
	for (unsigned i = 0; i < n; i++) {
		struct scen_rec *sr = &recs[i];
		json_obj(j);
		json_kstr(j, "name", sr->s->name);
		json_kstr(j, "family", sr->s->family);
		json_knum(j, "mpps", median_of(sr, o->runs, 0));
		json_knum(j, "cpu_ns_per_pkt", median_of(sr, o->runs, 1));
		json_knum(j, "syscalls_per_pkt", median_of(sr, o->runs, 2));
		json_knum(j, "offered_mpps", median_of(sr, o->runs, 3));
		struct scen_rec *lr = limit_rec(recs, n, sr);
		json_kstr(j, "limit", sr->s->limit);
		json_knum(j, "limit_mpps", lr ? median_of(lr, o->runs, 0) : NAN);
		json_knum(j, "of_limit", lr ? pair_ratio(sr, lr, o->runs, 0) : NAN);
		for (int k = 0; k < 4; k++)
			if (sr->s->extra_names[k])
				json_knum(j, sr->s->extra_names[k], median_of(sr, o->runs, 4 + k));
		json_key(j, "stats");
		json_obj(j);
		json_figure(j, "mpps", sr, o->runs, 0);
		json_figure(j, "cpu_ns_per_pkt", sr, o->runs, 1);
		json_figure(j, "syscalls_per_pkt", sr, o->runs, 2);
		json_figure(j, "offered_mpps", sr, o->runs, 3);
		for (int k = 0; k < 4; k++)
			if (sr->s->extra_names[k])
				json_figure(j, sr->s->extra_names[k], sr, o->runs, 4 + k);
		json_end(j);
		json_kstr(j, "note", sr->note);
		json_key(j, "runs");
		json_arr(j);
		for (unsigned r = 0; r < o->runs; r++) {
			struct run_rec *rr = &sr->runs[r];
			json_obj(j);
			json_kstr(j, "status",
				  rr->st == RUN_OK     ? "ok"
				  : rr->st == RUN_FAIL ? "failed"
				  : rr->st == RUN_SKIP ? "skipped"
						       : "not run");
			json_ku64(j, "packets", rr->res.packets);
			json_knum(j, "secs", rr->res.secs);
			json_knum(j, "mpps", rr->st == RUN_OK ? mpps(&rr->res) : NAN);
			json_knum(j, "cpu_ns_per_pkt",
				  rr->st == RUN_OK && rr->res.cpu_ns ? per_pkt(rr->res.cpu_ns, &rr->res)
								     : NAN);
			json_knum(j, "syscalls_per_pkt",
				  rr->st == RUN_OK ? per_pkt(rr->res.syscalls, &rr->res) : NAN);
			json_knum(j, "foreign_cpus", rr->st == RUN_NONE ? NAN : rr->foreign);
			json_knum(j, "steal_cpus", rr->st == RUN_NONE ? NAN : rr->steal);
			json_knum(j, "cpu_round_trip_ns", rr->st == RUN_NONE ? NAN : rr->xcpu_ns);
			json_end(j);
		}
		json_end(j);
		json_end(j);
	}
	json_end(j);
	json_key(j, "comparisons");
	json_arr(j);
	for (unsigned i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			const char *ref = recs[i].s->compare_to[k];
			struct scen_rec *rr = ref ? find_rec(recs, n, ref) : NULL;
			if (!rr)
				continue;
			json_obj(j);
			json_kstr(j, "pktlink", recs[i].s->name);
			json_kstr(j, "peer", ref);
			json_knum(j, "mpps_ratio", pair_ratio(&recs[i], rr, o->runs, 0));
			json_knum(j, "cpu_ratio", pair_ratio(&recs[i], rr, o->runs, 1));
			json_end(j);
		}
	json_end(j);
	json_done(j);
}
