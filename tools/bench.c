/* SPDX-License-Identifier: MIT */
/*
 * bench.c — `pktlink bench`: the scenario registry, the child that runs
 * inside the namespace, the interleaved runner and bench_main(). Options,
 * environment, peers and report are in their own files (bench_int.h lists
 * them); scenarios live in tools/bench_<family>.c (registry: bench.h).
 */
#include "bench_int.h"
#include "gen.h"
#include "nl.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- registry ------------------------------------------------------------ */


static const struct bench_scenario *registry[BENCH_MAX_SCENARIOS];
static unsigned registry_n;

void bench_register(const struct bench_scenario *s, unsigned n)
{
	for (unsigned i = 0; i < n && registry_n < BENCH_MAX_SCENARIOS; i++)
		registry[registry_n++] = &s[i];
}


void bench_reap_child(int pid, int sig)
{
	if (sig)
		kill(pid, sig);
	int status;
	uint64_t end = util_now_ns() + 3000000000ull;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (util_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
		usleep(1000);
	}
}

/* ---- the child: runs everything inside the namespace ----------------------------------- */

static volatile sig_atomic_t stop_flag;

/* on_signal() - ask the measuring loops to stop; the cleanup paths then run. */
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* enter_namespace() - a private network and mount namespace with our own sysfs. */
static int enter_namespace(char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		int e = -errno;
		snprintf(err, errlen,
			 "creating a network namespace failed: %s (pktlink bench needs root, or "
			 "CAP_SYS_ADMIN and CAP_NET_ADMIN)",
			 strerror(-e));
		return e;
	}
	/* Keep our mounts (sysfs below) from propagating back to the host. */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	/* A sysfs of this namespace, so /sys/class/net shows our devices (DPDK
	 * and libpcap look there). Not fatal: only the peers need it. */
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	return 0;
}

/* run_one() - setup, run, teardown of one scenario for one run. */
static void run_one(struct bench_env *env, struct scen_rec *sr, unsigned run)
{
	const struct bench_scenario *s = sr->s;
	struct run_rec *rr = &sr->runs[run];
	char err[512] = "";
	void *state = NULL;
	int r;
	bool sink = false;
	memset(&rr->res, 0, sizeof(rr->res));
	rr->res.syscalls = UINT64_MAX;
	rr->foreign = rr->steal = rr->xcpu_ns = NAN;
	if (sr->skip_rest) {
		rr->st = RUN_SKIP;
		return;
	}
	if ((s->flags & (BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN)) && !env->gen) {
		rr->st = RUN_SKIP;
		sr->skip_rest = true;
		snprintf(sr->note, sizeof(sr->note), "skipped: no generator in this build");
		return;
	}
	/* Before setup: a row's other process may spin on --cpu-gen from then
	 * on, until teardown. */
	rr->xcpu_ns = bench_cpu_distance(env->cpu_dut, env->cpu_gen);
	if (s->flags & BENCH_F_SINK_GEN) {
		r = bench_sink_attach(env, env->gen_ifindex, err, sizeof(err));
		if (r)
			goto fail;
		sink = true;
	}
	r = s->setup ? s->setup(env, s, &state, err, sizeof(err)) : 0;
	if (r == -ENOTSUP || r == -EOPNOTSUPP) {
		if (s->teardown)
			s->teardown(env, s, state);
		if (sink)
			bench_sink_detach(env, env->gen_ifindex);
		rr->st = RUN_SKIP;
		sr->skip_rest = true;
		snprintf(sr->note, sizeof(sr->note), "skipped: %.230s", err);
		return;
	}
	if (!r) {
		/* Other work's CPU in the window (and the warm-up before it). */
		struct bench_load_sample la, lb;
		bench_load_sample(&la, (int)getpid());
		r = s->run(env, s, state, &rr->res, err, sizeof(err));
		bench_load_sample(&lb, (int)getpid());
		bool veth = s->flags & (BENCH_F_NEEDS_GEN | BENCH_F_SINK_GEN);
		if (!bench_load_window(&la, &lb, veth, &rr->foreign, &rr->steal))
			rr->foreign = rr->steal = NAN;
	}
	/* A run that failed half-way (or forgot) must not leave the generator
	 * running into the next scenario; stopping a stopped one is a no-op. */
	bench_gen_stop(env);
	if (s->teardown)
		s->teardown(env, s, state);
	if (!r) {
		/* and after teardown: the host may have moved the CPUs during the run */
		double after = bench_cpu_distance(env->cpu_dut, env->cpu_gen);
		if (isnan(rr->xcpu_ns) || after > rr->xcpu_ns)
			rr->xcpu_ns = after;
	}
fail:
	if (sink)
		bench_sink_detach(env, env->gen_ifindex);
	if (r) {
		rr->st = RUN_FAIL;
		if (!sr->note[0])
			snprintf(sr->note, sizeof(sr->note), "failed: %.230s", err[0] ? err : strerror(-r));
		if (env->verbose)
			fprintf(stderr, "  %s run %u failed: %s\n", s->name, run + 1, err);
		return;
	}
	rr->st = RUN_OK;
	if (env->verbose) {
		char a[32], b[32];
		char c[32], d[32];
		fprintf(stderr,
			"  %-28s run %u: %8s Mpps %8s ns/pkt (offered %.2f Mpps, %llu pkts) "
			"foreign load %s CPU%s, CPU round trip %s ns\n",
			s->name, run + 1, fmt_num(a, sizeof(a), mpps(&rr->res), 3),
			fmt_num(b, sizeof(b),
				rr->res.cpu_ns ? per_pkt(rr->res.cpu_ns, &rr->res) : NAN, 0),
			rr->res.secs > 0 ? (double)rr->res.offered / rr->res.secs / 1e6 : 0.0,
			(unsigned long long)rr->res.packets, fmt_num(c, sizeof(c), rr->foreign, 2),
			rr->foreign > BENCH_FOREIGN_WARN ? " (over the limit: ratios unreliable)"
							 : "",
			fmt_num(d, sizeof(d), rr->xcpu_ns, 0));
	}
}

/* bench_child() - everything that happens inside the namespace. Return: exit code. */
static int bench_child(const struct bench_opts *o, struct scen_rec *recs, unsigned n)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	char err[512] = "";
	static struct bench_env env;
	env.stop = &stop_flag;
	env.duration_s = o->duration;
	env.warmup_s = o->warmup;
	env.cpu_gen = o->cpu_gen;
	env.cpu_dut = o->cpu_dut;
	env.busy_poll = o->busy;
	env.verbose = o->verbose;
	env.peer_dir = o->peer_dir;

	int rc = 1;
	if (enter_namespace(err, sizeof(err)) || env_setup(&env, o, err, sizeof(err))) {
		fprintf(stderr, "pktlink bench: %s\n", err);
		goto out;
	}
	if (gen_load(&env.gen, err, sizeof(err))) {
		fprintf(stderr, "pktlink bench: note: %s; scenarios that need it are skipped\n", err);
		env.gen = NULL;
	}
	/* The measured thread is this one: pin it where the peers run too. */
	util_pin_cpu(o->cpu_dut);
	struct bench_meta meta;
	bench_meta_start(&meta);
	meta.generator = env.gen ? gen_describe(env.gen) : NULL;

	if (!o->json) {
		struct utsname u;
		uname(&u);
		double la[3] = { 0 };
		getloadavg(la, 3);
		printf("pktlink bench: %u run(s) x %.2fs, %u-byte frames, %u flow(s), kernel %s, %ld "
		       "CPUs, load %.2f; generator CPU %d, measured CPU %d, %s\n",
		       o->runs, o->duration, o->frame_len, o->nflows, u.release,
		       sysconf(_SC_NPROCESSORS_ONLN), la[0], o->cpu_gen, o->cpu_dut,
		       o->busy ? "busy-polling" : "poll() when idle");
		if (meta.generator)
			printf("generator: %s\n", meta.generator);
		fflush(stdout);
	}
	for (unsigned run = 0; run < o->runs && !stop_flag; run++) {
		env.run_index = run;
		for (unsigned i = 0; i < n && !stop_flag; i++) {
			if (!o->json && !o->verbose && isatty(2)) {
				fprintf(stderr, "\r  run %u/%u: %-32s", run + 1, o->runs, recs[i].s->name);
				fflush(stderr);
			}
			run_one(&env, &recs[i], run);
		}
	}
	if (!o->json && !o->verbose && isatty(2))
		fprintf(stderr, "\r%70s\r", "");
	bench_meta_end(&meta);
	if (stop_flag)
		fprintf(stderr, "pktlink bench: interrupted; results so far:\n");
	if (o->json)
		print_json(stdout, recs, n, o, &meta);
	else
		print_table(recs, n, o);
	if (o->json_out) {
		FILE *f = fopen(o->json_out, "we");
		if (!f || (print_json(f, recs, n, o, &meta), fclose(f)))
			fprintf(stderr, "pktlink bench: cannot write %s: %s\n", o->json_out,
				strerror(errno));
	}
	rc = stop_flag ? 130 : 0;
out:
	gen_destroy(env.gen);
	/* The namespace dies with this process; delete the pair anyway so a
	 * peer process still holding the namespace cannot keep it alive. */
	if (env.gen_if[0])
		nl_link_del(env.gen_if, err, sizeof(err));
	fflush(stdout);
	return rc;
}

/* default_peer_dir() - <directory of this executable>/bench. */
static void default_peer_dir(char *buf, size_t len)
{
	char exe[PATH_MAX - 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(buf, len, "bench");
		return;
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(buf, len, "%s/bench", exe) >= (int)len)
		snprintf(buf, len, "bench");
}

static volatile sig_atomic_t parent_sig;

/* on_parent_signal() - the parent only records the signal; its loop forwards it. */
static void on_parent_signal(int sig)
{
	parent_sig = sig;
}

int bench_main(int argc, char **argv)
{
	struct bench_opts o;
	int r = bench_parse(argc, argv, &o);
	if (r)
		return r < 0 ? 0 : r;
	static char peer_dir[PATH_MAX];
	if (!o.peer_dir) {
		default_peer_dir(peer_dir, sizeof(peer_dir));
		o.peer_dir = peer_dir;
	}
	if (o.cpu_gen >= 0 && o.cpu_gen == o.cpu_dut)
		fprintf(stderr, "pktlink bench: warning: generator and measured thread share CPU %d; "
				"figures will be low\n",
			o.cpu_gen);

	static struct scen_rec recs[BENCH_MAX_SCENARIOS];
	unsigned n = 0;
	/* Table order: the limits first (the generator's own capacity, the raw
	 * rings), pktlink's families in registration order, the peers last.
	 * Stable, so within a rank the order of the registering files is kept. */
	const struct bench_scenario *sorted[BENCH_MAX_SCENARIOS];
	unsigned ns = 0;
	for (int rank = 0; rank < 3; rank++)
		for (unsigned i = 0; i < registry_n; i++) {
			const char *f = registry[i]->family ? registry[i]->family : "";
			int rk = !strcmp(f, "gen") || !strcmp(f, "limit") ? 0
				 : (registry[i]->flags & BENCH_F_PEER)	   ? 2
									   : 1;
			if (rk == rank)
				sorted[ns++] = registry[i];
		}
	memcpy(registry, sorted, ns * sizeof(*sorted));
	if (o.list) {
		for (unsigned i = 0; i < registry_n; i++)
			printf("%-28s %-5s %s%s%s%s%s\n", registry[i]->name, registry[i]->family,
			       registry[i]->desc ? registry[i]->desc : "",
			       registry[i]->flags & BENCH_F_PEER	  ? " [--peers]"
			       : registry[i]->flags & BENCH_F_EXTRA_RUN ? " [only when named]"
									: "",
			       registry[i]->limit ? " [limit: " : "",
			       registry[i]->limit ? registry[i]->limit : "",
			       registry[i]->limit ? "]" : "");
		return 0;
	}
	bool want[BENCH_MAX_SCENARIOS];
	for (unsigned i = 0; i < registry_n; i++)
		want[i] = selected(&o, registry[i]);
	/* A selected row's limit runs too, so that its fraction comes from the
	 * same rounds. */
	for (unsigned i = 0; i < registry_n; i++)
		for (unsigned j = 0; want[i] && registry[i]->limit && j < registry_n; j++)
			if (!strcmp(registry[j]->name, registry[i]->limit))
				want[j] = true;
	for (unsigned i = 0; i < registry_n; i++)
		if (want[i])
			recs[n++].s = registry[i];
	if (!n) {
		fprintf(stderr, "pktlink bench: no scenario matches '%s' (see `pktlink bench --list`)\n",
			o.filter ? o.filter : "");
		return 2;
	}
	if (geteuid() != 0)
		fprintf(stderr, "pktlink bench: warning: not root; creating the namespace will "
				"probably fail\n");

	double limit = o.timeout > 0 ? o.timeout
				     : o.runs * n * (o.duration + o.warmup + 20.0) + 30.0;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("pktlink bench: fork");
		return 1;
	}
	if (pid == 0)
		_exit(bench_child(&o, recs, n));

	/* Parent: stays in the original namespace, bounds the child's time,
	 * and passes SIGINT/SIGTERM on. */
	struct sigaction sa = { .sa_handler = on_parent_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	uint64_t deadline = util_now_ns() + (uint64_t)(limit * 1e9), kill_at = 0;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("pktlink bench: waitpid");
			return 1;
		}
		uint64_t now = util_now_ns();
		if (parent_sig && !kill_at) {
			kill(pid, SIGTERM);
			kill_at = now + 10000000000ull;
		}
		if (now > deadline && !kill_at) {
			fprintf(stderr, "pktlink bench: time limit of %.0f s reached; stopping\n", limit);
			kill(pid, SIGTERM);
			kill_at = now + 10000000000ull;
		}
		if (kill_at && now > kill_at) {
			kill(pid, SIGKILL);
			kill_at = UINT64_MAX;
		}
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "pktlink bench: the benchmark process died (signal %d)\n",
		WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 1;
}

