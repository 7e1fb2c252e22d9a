/* SPDX-License-Identifier: MIT */
/*
 * bench_peers.c — `pktlink bench`: the external peer processes (the DPDK,
 * libpcap and libxdp programs built in bench/) (see bench_int.h).
 */
#include "bench_int.h"
#include "gen.h"
#include "nl.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

