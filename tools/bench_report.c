/* SPDX-License-Identifier: MIT */
/*
 * bench_report.c — `pktlink bench`: results, the table and the JSON report (see bench_int.h).
 */
#include "bench_int.h"
#include "gen.h"
#include "nl.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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

/* median_of() - median of a per-run figure over the runs that succeeded. */
double median_of(const struct scen_rec *sr, unsigned runs, int which)
{
	double v[BENCH_MAX_RUNS];
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

/* pair_ratio() - median over runs r of fig(a, r) / fig(b, r), pairs from the same run. */
static double pair_ratio(const struct scen_rec *a, const struct scen_rec *b, unsigned runs,
			 int which)
{
	double v[BENCH_MAX_RUNS];
	unsigned n = 0;
	for (unsigned i = 0; i < runs; i++) {
		if (a->runs[i].st != RUN_OK || b->runs[i].st != RUN_OK)
			continue;
		const struct bench_result *x = &a->runs[i].res, *y = &b->runs[i].res;
		double fx = which == 0 ? mpps(x) : per_pkt(x->cpu_ns, x);
		double fy = which == 0 ? mpps(y) : per_pkt(y->cpu_ns, y);
		if (!isnan(fx) && !isnan(fy) && fy > 0)
			v[n++] = fx / fy;
	}
	return n ? util_median(v, n) : NAN;
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
	char a[32], b[32], c[32], d[32];
	printf("\n%-28s %9s %11s %10s %9s %5s\n", "scenario", "Mpps", "CPU ns/pkt", "sys/pkt",
	       "offered", "runs");
	printf("%-28s %9s %11s %10s %9s %5s\n", "", "(median)", "(median)", "(median)", "Mpps",
	       "ok");
	for (unsigned i = 0; i < n; i++) {
		struct scen_rec *sr = &recs[i];
		unsigned ok = count_ok(sr, o->runs);
		if (!ok) {
			printf("%-28s %9s %11s %10s %9s %2u/%-2u  %s\n", sr->s->name, "-", "-", "-",
			       "-", 0, o->runs, sr->note[0] ? sr->note : "not run (interrupted)");
			continue;
		}
		printf("%-28s %9s %11s %10s %9s %2u/%-2u", sr->s->name,
		       fmt_num(a, sizeof(a), median_of(sr, o->runs, 0), 3),
		       fmt_num(b, sizeof(b), median_of(sr, o->runs, 1), 0),
		       fmt_num(c, sizeof(c), median_of(sr, o->runs, 2), 3),
		       fmt_num(d, sizeof(d), median_of(sr, o->runs, 3), 2), ok, o->runs);
		for (int k = 0; k < 4; k++)
			if (sr->s->extra_names[k])
				printf("  %s=%s", sr->s->extra_names[k],
				       fmt_num(a, sizeof(a), median_of(sr, o->runs, 4 + k), 2));
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
		printf("(ratio = median over runs of pktlink/peer from the same round; Mpps ratio > 1 "
		       "and CPU ratio < 1 favour pktlink)\n");
}

/* json_num() - a JSON number or null. */
static void json_num(const char *key, double v, bool comma)
{
	if (isnan(v))
		printf("\"%s\":null%s", key, comma ? "," : "");
	else
		printf("\"%s\":%.6g%s", key, v, comma ? "," : "");
}

/* json_str() - a JSON string (names and notes are printable ASCII; escape quotes). */
static void json_str(const char *key, const char *s, bool comma)
{
	printf("\"%s\":\"", key);
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf(" ");
		else
			putchar(*p);
	}
	printf("\"%s", comma ? "," : "");
}

/* print_json() - the same as print_table(), for machines. */
void print_json(struct scen_rec *recs, unsigned n, const struct bench_opts *o)
{
	printf("{\"duration_s\":%.3f,\"runs\":%u,\"frame_len\":%u,\"scenarios\":[", o->duration,
	       o->runs, o->frame_len);
	for (unsigned i = 0; i < n; i++) {
		struct scen_rec *sr = &recs[i];
		printf("%s{", i ? "," : "");
		json_str("name", sr->s->name, true);
		json_str("family", sr->s->family, true);
		json_num("mpps", median_of(sr, o->runs, 0), true);
		json_num("cpu_ns_per_pkt", median_of(sr, o->runs, 1), true);
		json_num("syscalls_per_pkt", median_of(sr, o->runs, 2), true);
		json_num("offered_mpps", median_of(sr, o->runs, 3), true);
		for (int k = 0; k < 4; k++)
			if (sr->s->extra_names[k])
				json_num(sr->s->extra_names[k], median_of(sr, o->runs, 4 + k), true);
		json_str("note", sr->note, true);
		printf("\"runs\":[");
		for (unsigned r = 0; r < o->runs; r++) {
			struct run_rec *rr = &sr->runs[r];
			printf("%s{", r ? "," : "");
			json_str("status",
				 rr->st == RUN_OK     ? "ok"
				 : rr->st == RUN_FAIL ? "failed"
				 : rr->st == RUN_SKIP ? "skipped"
						      : "not run",
				 true);
			printf("\"packets\":%llu,", (unsigned long long)rr->res.packets);
			json_num("secs", rr->res.secs, true);
			json_num("mpps", rr->st == RUN_OK ? mpps(&rr->res) : NAN, true);
			json_num("cpu_ns_per_pkt",
				 rr->st == RUN_OK && rr->res.cpu_ns ? per_pkt(rr->res.cpu_ns, &rr->res)
								    : NAN,
				 true);
			json_num("syscalls_per_pkt",
				 rr->st == RUN_OK ? per_pkt(rr->res.syscalls, &rr->res) : NAN, false);
			printf("}");
		}
		printf("]}");
	}
	printf("],\"comparisons\":[");
	bool first = true;
	for (unsigned i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			const char *ref = recs[i].s->compare_to[k];
			struct scen_rec *rr = ref ? find_rec(recs, n, ref) : NULL;
			if (!rr)
				continue;
			printf("%s{", first ? "" : ",");
			first = false;
			json_str("pktlink", recs[i].s->name, true);
			json_str("peer", ref, true);
			json_num("mpps_ratio", pair_ratio(&recs[i], rr, o->runs, 0), true);
			json_num("cpu_ratio", pair_ratio(&recs[i], rr, o->runs, 1), false);
			printf("}");
		}
	printf("]}\n");
}

