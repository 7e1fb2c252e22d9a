/* SPDX-License-Identifier: MIT */
/*
 * bench.c — `pktlink bench`: the namespace, the veth pair, the generator,
 * the interleaved runner, the table. Scenarios live in tools/bench_*.c
 * (registry: bench.h).
 */
#include "bench.h"
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

/* ---- registry ------------------------------------------------------------ */

#define BENCH_MAX_SCENARIOS 128
#define BENCH_MAX_RUNS 50

static const struct bench_scenario *registry[BENCH_MAX_SCENARIOS];
static unsigned registry_n;

void bench_register(const struct bench_scenario *s, unsigned n)
{
	for (unsigned i = 0; i < n && registry_n < BENCH_MAX_SCENARIOS; i++)
		registry[registry_n++] = &s[i];
}

/* ---- options --------------------------------------------------------------- */

struct bench_opts {
	double duration, warmup;
	unsigned runs;
	const char *filter;
	bool json, list, peers, busy, verbose;
	int cpu_gen, cpu_dut;
	uint32_t frame_len, nflows;
	const char *peer_dir;
	const char *json_out; /* also write the JSON here */
	double timeout; /* hard limit for the whole bench; 0 = computed */
};

static const char bench_usage[] =
	"usage: pktlink bench [options]\n"
	"\n"
	"Measure pktlink's endpoints on a veth pair in a private network namespace\n"
	"(created and destroyed by this command; nothing outside it is touched).\n"
	"Frames come from an XDP generator (BPF_PROG_RUN, live frames) on the far veth end;\n"
	"transmitted frames are counted by an XDP sink there. Needs root.\n"
	"\n"
	"options:\n"
	"  -d, --duration S     measured window per run (default 2s; e.g. 2, 500ms)\n"
	"  -r, --runs N         runs per scenario, interleaved A B A B ... (default 3, max 50)\n"
	"  -w, --warmup S       warm-up before each window (default 0.3s)\n"
	"  -s, --scenarios F    comma-separated filter: globs or substrings of scenario names\n"
	"                       (e.g. 'packet-*', 'rxdrop', 'tap/txonly,dpdk-tap/txonly')\n"
	"  -p, --peers          also run the reference peers of bench/ (DPDK, libpcap), interleaved\n"
	"      --peer-dir DIR   where the peer programs are (default: <dir of pktlink>/bench)\n"
	"  -l, --list           list the scenarios and exit\n"
	"  -j, --json           print JSON instead of the table\n"
	"      --json-out FILE  print the table and also write the JSON to FILE\n"
	"      --frame-len N    frame length in bytes, 60..1514 (default 64)\n"
	"      --flows N        UDP flows the generator cycles through, 1..65535 (default 1)\n"
	"      --cpu-gen N      CPU of the generator (default 0; -1 = no pinning)\n"
	"      --cpu-dut N      CPU of the measured thread / peer (default 1; -1 = no pinning)\n"
	"      --busy-poll      measured loops spin instead of sleeping in poll()\n"
	"      --timeout S      hard limit for the whole command (default: computed)\n"
	"  -v, --verbose        show per-run figures and setup details\n"
	"  -h, --help           this text\n";

/* opt_fail() - report a bad option with its fix; return the usage exit code. */
static int opt_fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "pktlink bench: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(see `pktlink bench --help`)\n");
	return 2;
}

/* parse_cpu() - a CPU number that exists here, or -1. */
static int parse_cpu(const char *s, int *out)
{
	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	uint64_t v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (util_parse_u64(s, 0, (uint64_t)(ncpu > 0 ? ncpu - 1 : 0), &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* bench_parse() - command line → options. Return 0, or an exit code (2 = usage, -1 = help done). */
static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct bench_opts){ .duration = 2.0, .warmup = 0.3, .runs = 3, .frame_len = 64,
				  .nflows = 1, .cpu_gen = ncpu >= 2 ? 0 : -1,
				  .cpu_dut = ncpu >= 2 ? 1 : -1 };
	enum { O_PEERDIR = 256, O_JSONOUT, O_LEN, O_FLOWS, O_CPUGEN, O_CPUDUT, O_BUSY, O_TIMEOUT };
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "runs", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "scenarios", required_argument, NULL, 's' },
		{ "peers", no_argument, NULL, 'p' },
		{ "peer-dir", required_argument, NULL, O_PEERDIR },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "json-out", required_argument, NULL, O_JSONOUT },
		{ "frame-len", required_argument, NULL, O_LEN },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "cpu-gen", required_argument, NULL, O_CPUGEN },
		{ "cpu-dut", required_argument, NULL, O_CPUDUT },
		{ "busy-poll", no_argument, NULL, O_BUSY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	opterr = 0;
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, ":d:r:w:s:pljvh", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (util_parse_seconds(optarg, 600, &o->duration))
				return opt_fail("--duration '%s' is not a duration in (0, 600] s: "
						"write e.g. 2, 2s or 500ms%s",
						optarg, "");
			break;
		case 'w':
			if (strcmp(optarg, "0") && util_parse_seconds(optarg, 60, &o->warmup))
				return opt_fail("--warmup '%s' is not a duration in [0, 60] s: "
						"write e.g. 0.3 or 300ms%s",
						optarg, "");
			if (!strcmp(optarg, "0"))
				o->warmup = 0;
			break;
		case 'r':
			if (util_parse_u64(optarg, 1, BENCH_MAX_RUNS, &v))
				return opt_fail("--runs '%s' is not a number in 1..50%s", optarg, "");
			o->runs = (unsigned)v;
			break;
		case 's':
			o->filter = optarg;
			break;
		case 'p':
			o->peers = true;
			break;
		case O_PEERDIR:
			o->peer_dir = optarg;
			break;
		case 'l':
			o->list = true;
			break;
		case 'j':
			o->json = true;
			break;
		case O_JSONOUT:
			o->json_out = optarg;
			break;
		case O_LEN:
			if (util_parse_u64(optarg, 60, 1514, &v))
				return opt_fail("--frame-len '%s' is not a length in 60..1514 bytes%s",
						optarg, "");
			o->frame_len = (uint32_t)v;
			break;
		case O_FLOWS:
			if (util_parse_u64(optarg, 1, 65535, &v))
				return opt_fail("--flows '%s' is not a number in 1..65535%s", optarg,
						"");
			o->nflows = (uint32_t)v;
			break;
		case O_CPUGEN:
			if (parse_cpu(optarg, &o->cpu_gen))
				return opt_fail("--cpu-gen '%s' is not an online CPU number (0..N-1) "
						"or -1%s",
						optarg, "");
			break;
		case O_CPUDUT:
			if (parse_cpu(optarg, &o->cpu_dut))
				return opt_fail("--cpu-dut '%s' is not an online CPU number (0..N-1) "
						"or -1%s",
						optarg, "");
			break;
		case O_BUSY:
			o->busy = true;
			break;
		case O_TIMEOUT:
			if (util_parse_seconds(optarg, 24 * 3600, &o->timeout))
				return opt_fail("--timeout '%s' is not a duration%s", optarg, "");
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(bench_usage, stdout);
			return -1;
		case ':':
			return opt_fail("option '%s' needs a value%s", argv[optind - 1], "");
		default:
			return opt_fail("unknown option '%s'%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return opt_fail("unexpected argument '%s': bench takes only options%s", argv[optind],
				"");
	return 0;
}

/* selected() - whether scenario @s runs with these options. */
static bool selected(const struct bench_opts *o, const struct bench_scenario *s)
{
	bool named = o->filter && util_match_filter(o->filter, s->name);
	if ((s->flags & BENCH_F_PEER) && !o->peers && !named)
		return false;
	if ((s->flags & BENCH_F_EXTRA_RUN) && !named)
		return false;
	return util_match_filter(o->filter, s->name);
}

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

/* ---- external peers ------------------------------------------------------------ */

const char *bench_peer_path(struct bench_env *env, const char *name, char *buf, size_t len)
{
	if (strchr(name, '/'))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s/%s", env->peer_dir ? env->peer_dir : ".", name);
	return access(buf, X_OK) == 0 ? buf : NULL;
}

/* subst() - expand the {placeholders} of one peer argument. */
static void subst(struct bench_env *env, const char *in, char *out, size_t len,
		  const char *prefix)
{
	char mac_d[18], mac_s[18], sip[16], dip[16];
	snprintf(mac_d, sizeof(mac_d), "%02x:%02x:%02x:%02x:%02x:%02x", env->gen_mac[0],
		 env->gen_mac[1], env->gen_mac[2], env->gen_mac[3], env->gen_mac[4], env->gen_mac[5]);
	snprintf(mac_s, sizeof(mac_s), "%02x:%02x:%02x:%02x:%02x:%02x", env->dut_mac[0],
		 env->dut_mac[1], env->dut_mac[2], env->dut_mac[3], env->dut_mac[4], env->dut_mac[5]);
	inet_ntop(AF_INET, &env->dut_ip, sip, sizeof(sip));
	inet_ntop(AF_INET, &env->gen_ip, dip, sizeof(dip));
	size_t o = 0;
	for (const char *p = in; *p && o + 1 < len;) {
		char val[64];
		const char *v = NULL;
		size_t skip = 0;
		if (*p == '{') {
			const char *e = strchr(p, '}');
			if (e) {
				size_t kl = (size_t)(e - p - 1);
				skip = kl + 2;
#define KEY(k) (kl == strlen(k) && !strncmp(p + 1, k, kl))
				if (KEY("dur"))
					snprintf(val, sizeof(val), "%.3f", env->duration_s), v = val;
				else if (KEY("warm"))
					snprintf(val, sizeof(val), "%.3f", env->warmup_s), v = val;
				else if (KEY("cpu"))
					snprintf(val, sizeof(val), "%d",
						 env->cpu_dut < 0 ? 0 : env->cpu_dut),
						v = val;
				else if (KEY("dut"))
					v = env->dut_if;
				else if (KEY("gen"))
					v = env->gen_if;
				else if (KEY("len"))
					snprintf(val, sizeof(val), "%u", env->frame_len), v = val;
				else if (KEY("dmac"))
					v = mac_d;
				else if (KEY("smac"))
					v = mac_s;
				else if (KEY("sip"))
					v = sip;
				else if (KEY("dip"))
					v = dip;
				else if (KEY("prefix"))
					v = prefix;
#undef KEY
			}
		}
		if (v) {
			size_t l = strlen(v);
			if (o + l >= len)
				break;
			memcpy(out + o, v, l);
			o += l;
			p += skip;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* A running peer process and the line reader on its stdout. */
struct peer_proc {
	pid_t pid;
	int out_fd, in_fd;
	char buf[4096];
	size_t have;
};

/* peer_line() - read one line from the peer's stdout before @deadline_ns.
 * Return: 1 with the line in @line, 0 on EOF, -ETIMEDOUT, -EINTR (stop). */
static int peer_line(struct bench_env *env, struct peer_proc *p, char *line, size_t len,
		     uint64_t deadline_ns)
{
	for (int guard = 0; guard < 100000; guard++) {
		char *nl = memchr(p->buf, '\n', p->have);
		if (nl) {
			size_t l = (size_t)(nl - p->buf);
			snprintf(line, len, "%.*s", (int)l, p->buf);
			memmove(p->buf, nl + 1, p->have - l - 1);
			p->have -= l + 1;
			return 1;
		}
		if (p->have == sizeof(p->buf))
			p->have = 0; /* an absurdly long line: drop it */
		if (bench_should_stop(env))
			return -EINTR;
		uint64_t now = util_now_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		struct pollfd pfd = { p->out_fd, POLLIN, 0 };
		uint64_t ms = (deadline_ns - now) / 1000000 + 1;
		int r = poll(&pfd, 1, (int)(ms > 100 ? 100 : ms));
		if (r <= 0)
			continue;
		ssize_t n = read(p->out_fd, p->buf + p->have, sizeof(p->buf) - p->have);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return 0;
		}
		p->have += (size_t)n;
	}
	return -ETIMEDOUT;
}

/* peer_reap() - end the peer: wait briefly, then SIGTERM, then SIGKILL. */
static int peer_reap(struct peer_proc *p, double grace_s)
{
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->in_fd = p->out_fd = -1;
	if (p->pid <= 0)
		return -1;
	int st = 0;
	uint64_t end = util_now_ns() + (uint64_t)(grace_s * 1e9);
	int sent = 0;
	for (int i = 0; i < 10000; i++) {
		pid_t w = waitpid(p->pid, &st, WNOHANG);
		if (w == p->pid) {
			p->pid = 0;
			return st;
		}
		if (w < 0 && errno != EINTR)
			break;
		uint64_t now = util_now_ns();
		if (now > end && sent == 0) {
			kill(p->pid, SIGTERM);
			sent = 1;
			end = now + 2000000000ull;
		} else if (now > end && sent == 1) {
			kill(p->pid, SIGKILL);
			sent = 2;
			end = now + 5000000000ull;
		} else if (now > end) {
			break;
		}
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	p->pid = 0;
	return -1;
}

/* rm_dpdk_runtime() - remove /var/run/dpdk/<prefix>: our own unique prefix only. */
static void rm_dpdk_runtime(const char *prefix)
{
	if (strncmp(prefix, "pktlink-bench-", 14) || strchr(prefix, '/') || strstr(prefix, ".."))
		return;
	char path[256];
	for (int d = 0; d < 2; d++) {
		snprintf(path, sizeof(path), "%s/%s", d ? "/run/dpdk" : "/var/run/dpdk", prefix);
		pid_t pid = fork();
		if (pid == 0) {
			execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

/* parse_result() - "RESULT pkts=N secs=S cpu_ns=C [sent=N]" → res. */
static int parse_result(const char *line, struct bench_result *res)
{
	unsigned long long pkts = 0, cpu = 0, sent = 0;
	double secs = 0;
	const char *p;
	if (!(p = strstr(line, "pkts=")) || sscanf(p, "pkts=%llu", &pkts) != 1)
		return -EINVAL;
	if (!(p = strstr(line, "secs=")) || sscanf(p, "secs=%lf", &secs) != 1 || !(secs > 0))
		return -EINVAL;
	if ((p = strstr(line, "cpu_ns=")))
		sscanf(p, "cpu_ns=%llu", &cpu);
	if ((p = strstr(line, "sent=")))
		sscanf(p, "sent=%llu", &sent);
	res->packets = pkts;
	res->secs = secs;
	res->cpu_ns = cpu;
	res->offered = sent;
	return 0;
}

/* tap_ifindex_wait() - the ifindex of a TAP the peer created (it may take a moment). */
static int tap_ifindex_wait(struct bench_env *env, const char *name)
{
	for (int i = 0; i < 100 && !bench_should_stop(env); i++) {
		unsigned idx = if_nametoindex(name);
		if (idx)
			return (int)idx;
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	return -ENODEV;
}

int bench_peer_run(struct bench_env *env, const char *const *argv, enum bench_peer_kind kind,
		   const char *peer_tap, struct bench_result *res, char *err, size_t errlen)
{
	static unsigned seq;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "pktlink-bench-%d-%u", (int)getpid(), seq++);
	char path[PATH_MAX];
	if (!bench_peer_path(env, argv[0], path, sizeof(path))) {
		snprintf(err, errlen, "peer program %s not found in %s (build it: bench/CMakeLists.txt)",
			 argv[0], env->peer_dir ? env->peer_dir : ".");
		return -ENOTSUP;
	}
	enum { MAXARG = 48 };
	static char argbuf[MAXARG][256];
	char *args[MAXARG + 1];
	unsigned n = 0;
	args[n++] = path;
	for (unsigned i = 1; argv[i] && n < MAXARG; i++, n++) {
		subst(env, argv[i], argbuf[n], sizeof(argbuf[n]), prefix);
		args[n] = argbuf[n];
	}
	args[n] = NULL;
	if (env->verbose) {
		fprintf(stderr, "  peer:");
		for (unsigned i = 0; i < n; i++)
			fprintf(stderr, " %s", args[i]);
		fprintf(stderr, "\n");
	}

	int out[2], in[2];
	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (pipe2(in, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	struct peer_proc p = { .pid = -1, .out_fd = out[0], .in_fd = in[1] };
	p.pid = fork();
	if (p.pid == 0) {
		/* Die with the bench: a peer must never outlive it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (!env->verbose) {
			int dn = open("/dev/null", O_WRONLY);
			if (dn >= 0)
				dup2(dn, 2);
		}
		signal(SIGPIPE, SIG_DFL);
		execv(path, args);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (p.pid < 0) {
		int e = -errno;
		close(out[0]);
		close(in[1]);
		snprintf(err, errlen, "fork: %s", strerror(-e));
		return e;
	}

	int r = 0;
	bool gen_on = false, sink_on = false;
	int sink_if = 0;
	char line[512];
	uint64_t t0 = util_now_ns();
	/* READY: EAL init without hugepages takes about a second here. */
	for (;;) {
		r = peer_line(env, &p, line, sizeof(line), t0 + 30000000000ull);
		if (r <= 0) {
			snprintf(err, errlen, "%s did not get ready (%s)", argv[0],
				 r == 0 ? "it exited: run with -v to see its errors"
					: strerror(-r));
			r = r == 0 ? -EIO : r;
			goto out;
		}
		if (!strncmp(line, "READY", 5))
			break;
		if (!strncmp(line, "ERROR", 5)) {
			snprintf(err, errlen, "%s: %s", argv[0], line);
			r = -EIO;
			goto out;
		}
	}
	/* Put the generator or the sink in place for this kind of run. */
	int tapidx = 0;
	if (kind == BENCH_PEER_RX_TAP || kind == BENCH_PEER_TX_TAP) {
		tapidx = tap_ifindex_wait(env, peer_tap);
		if (tapidx < 0) {
			snprintf(err, errlen, "the peer's TAP %s did not appear", peer_tap);
			r = tapidx;
			goto out;
		}
		/* DPDK's net_tap sets its TAP up itself; make sure. */
		char e2[128];
		nl_link_set(peer_tap, true, 0, e2, sizeof(e2));
	}
	if (kind == BENCH_PEER_TX || kind == BENCH_PEER_TX_TAP || kind == BENCH_PEER_FWD) {
		sink_if = kind == BENCH_PEER_TX_TAP ? tapidx : env->gen_ifindex;
		r = bench_sink_attach(env, sink_if, err, errlen);
		if (r)
			goto out;
		sink_on = true;
	}
	if (kind == BENCH_PEER_RX || kind == BENCH_PEER_RX_TAP || kind == BENCH_PEER_FWD) {
		r = bench_gen_start(env, kind == BENCH_PEER_RX_TAP ? tapidx : 0, err, errlen);
		if (r)
			goto out;
		gen_on = true;
	}
	if (write(p.in_fd, "GO\n", 3) != 3) {
		snprintf(err, errlen, "%s went away before GO", argv[0]);
		r = -EPIPE;
		goto out;
	}
	uint64_t sink0 = 0, gen0 = 0, ts0 = 0;
	uint64_t limit = util_now_ns() + (uint64_t)((env->warmup_s + env->duration_s + 15) * 1e9);
	for (;;) {
		r = peer_line(env, &p, line, sizeof(line), limit);
		if (r <= 0) {
			snprintf(err, errlen, "%s gave no result (%s)", argv[0],
				 r == 0 ? "it exited: run with -v to see its errors"
					: strerror(-r));
			r = r == 0 ? -EIO : r;
			goto out;
		}
		if (!strncmp(line, "START", 5)) {
			sink0 = bench_sink_count(env);
			gen0 = env->gen ? gen_sent(env->gen) : 0;
			ts0 = util_now_ns();
		} else if (!strncmp(line, "RESULT", 6)) {
			uint64_t sink1 = bench_sink_count(env);
			uint64_t gen1 = env->gen ? gen_sent(env->gen) : 0;
			uint64_t ts1 = util_now_ns();
			r = parse_result(line, res);
			if (r) {
				snprintf(err, errlen, "%s: unreadable result line '%s'", argv[0], line);
				goto out;
			}
			res->syscalls = UINT64_MAX;
			if (sink_on) {
				/* What arrived is what counts; the peer's own figure is
				 * "offered" (for l2fwd: the generator's). */
				res->offered = gen_on ? gen1 - gen0 : res->packets;
				res->packets = sink1 - sink0;
				if (ts0 && ts1 > ts0)
					res->secs = (double)(ts1 - ts0) / 1e9;
			} else if (gen_on) {
				res->offered = gen1 - gen0;
			}
			break;
		} else if (!strncmp(line, "ERROR", 5)) {
			snprintf(err, errlen, "%s: %s", argv[0], line);
			r = -EIO;
			goto out;
		}
	}
	r = 0;
out:
	if (gen_on)
		bench_gen_stop(env);
	int st = peer_reap(&p, r ? 0.2 : 5.0);
	if (sink_on)
		bench_sink_detach(env, sink_if);
	rm_dpdk_runtime(prefix);
	if (!r && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) && env->verbose)
		fprintf(stderr, "  note: %s exited with status 0x%x after its result\n", argv[0], st);
	return r;
}

/* ---- the namespace and the veth pair --------------------------------------------- */

/* write_file() - write a short string to a /proc or /sys file. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

/*
 * env_setup() - inside the fresh namespace: lo up, IPv6 off (no stray
 * router solicitations on the wire), the veth pair, GRO on DUT, the
 * generator. Only names and addresses of our own.
 */
static int env_setup(struct bench_env *env, const struct bench_opts *o, char *err, size_t errlen)
{
	int r;
	snprintf(env->gen_if, sizeof(env->gen_if), "plbg0");
	snprintf(env->dut_if, sizeof(env->dut_if), "plbd0");
	nl_link_set("lo", true, 0, err, errlen);
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	if ((r = nl_veth_create(env->gen_if, env->dut_if, err, errlen)))
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

/* ---- results ------------------------------------------------------------------ */

enum run_status { RUN_NONE, RUN_OK, RUN_FAIL, RUN_SKIP };

struct run_rec {
	enum run_status st;
	struct bench_result res;
};

struct scen_rec {
	const struct bench_scenario *s;
	struct run_rec runs[BENCH_MAX_RUNS];
	char note[256]; /* first failure or skip reason */
	bool skip_rest;
};

/* mpps() / per_pkt() - figures of one run; NAN when not measurable. */
static double mpps(const struct bench_result *r)
{
	return r->secs > 0 ? (double)r->packets / r->secs / 1e6 : NAN;
}

/* per_pkt() - a counter per delivered frame (CPU ns, syscalls); NAN when unknown. */
static double per_pkt(uint64_t v, const struct bench_result *r)
{
	if (!r->packets || v == UINT64_MAX || (v == 0 && r->packets == 0))
		return NAN;
	return (double)v / (double)r->packets;
}

/* median_of() - median of a per-run figure over the runs that succeeded. */
static double median_of(const struct scen_rec *sr, unsigned runs, int which)
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
static const char *fmt_num(char *buf, size_t len, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

/* count_ok() - successful runs of a scenario. */
static unsigned count_ok(const struct scen_rec *sr, unsigned runs)
{
	unsigned n = 0;
	for (unsigned i = 0; i < runs; i++)
		n += sr->runs[i].st == RUN_OK;
	return n;
}

/* print_table() - the human-readable result. */
static void print_table(struct scen_rec *recs, unsigned n, const struct bench_opts *o)
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
static void print_json(struct scen_rec *recs, unsigned n, const struct bench_opts *o)
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
	if (!r)
		r = s->run(env, s, state, &rr->res, err, sizeof(err));
	/* A run that failed half-way (or forgot) must not leave the generator
	 * running into the next scenario; stopping a stopped one is a no-op. */
	bench_gen_stop(env);
	if (s->teardown)
		s->teardown(env, s, state);
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
		fprintf(stderr, "  %-28s run %u: %8s Mpps %8s ns/pkt (offered %.2f Mpps, %llu pkts)\n",
			s->name, run + 1, fmt_num(a, sizeof(a), mpps(&rr->res), 3),
			fmt_num(b, sizeof(b),
				rr->res.cpu_ns ? per_pkt(rr->res.cpu_ns, &rr->res) : NAN, 0),
			rr->res.secs > 0 ? (double)rr->res.offered / rr->res.secs / 1e6 : 0.0,
			(unsigned long long)rr->res.packets);
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
	if (stop_flag)
		fprintf(stderr, "pktlink bench: interrupted; results so far:\n");
	if (o->json)
		print_json(recs, n, o);
	else
		print_table(recs, n, o);
	if (o->json_out) {
		/* Same printer, stdout pointed at the file for the moment. */
		fflush(stdout);
		int saved = dup(1);
		int fd = open(o->json_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || saved < 0) {
			fprintf(stderr, "pktlink bench: cannot write %s: %s\n", o->json_out,
				strerror(errno));
		} else {
			dup2(fd, 1);
			print_json(recs, n, o);
			fflush(stdout);
			dup2(saved, 1);
		}
		if (fd >= 0)
			close(fd);
		if (saved >= 0)
			close(saved);
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
	/* Table order: the generator's own capacity first, pktlink's families
	 * in registration order, the peers last. Stable, so within a rank the
	 * order of the registering files is kept. */
	const struct bench_scenario *sorted[BENCH_MAX_SCENARIOS];
	unsigned ns = 0;
	for (int rank = 0; rank < 3; rank++)
		for (unsigned i = 0; i < registry_n; i++) {
			const char *f = registry[i]->family ? registry[i]->family : "";
			int rk = !strcmp(f, "gen") ? 0 : (registry[i]->flags & BENCH_F_PEER) ? 2 : 1;
			if (rk == rank)
				sorted[ns++] = registry[i];
		}
	memcpy(registry, sorted, ns * sizeof(*sorted));
	for (unsigned i = 0; i < registry_n; i++) {
		if (o.list) {
			printf("%-28s %-5s %s%s\n", registry[i]->name, registry[i]->family,
			       registry[i]->desc ? registry[i]->desc : "",
			       registry[i]->flags & BENCH_F_PEER	  ? " [--peers]"
			       : registry[i]->flags & BENCH_F_EXTRA_RUN ? " [only when named]"
									: "");
			continue;
		}
		if (selected(&o, registry[i]))
			recs[n++].s = registry[i];
	}
	if (o.list)
		return 0;
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
