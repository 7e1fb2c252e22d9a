/* SPDX-License-Identifier: MIT */
/*
 * tool_testlib.h — running the pktlink binary from a test: find it
 * (<build>/pktlink next to the tests' directory, or $PKTLINK_BIN), start it
 * with its output on a pipe, collect the output within a deadline.
 * Header-only: each test program of the tool includes it once.
 */
#ifndef PKTLINK_TESTS_TOOL_TESTLIB_H
#define PKTLINK_TESTS_TOOL_TESTLIB_H

#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char bin[PATH_MAX];

/* find_bin() - locate the pktlink binary; false when it was not built. */
static inline bool find_bin(void)
{
	const char *e = getenv("PKTLINK_BIN");
	if (e) {
		snprintf(bin, sizeof(bin), "%s", e);
		return access(bin, X_OK) == 0;
	}
	char exe[PATH_MAX - 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *s = strrchr(exe, '/');
	if (!s)
		return false;
	*s = '\0';
	s = strrchr(exe, '/'); /* <build>/tests → <build> */
	if (!s)
		return false;
	*s = '\0';
	snprintf(bin, sizeof(bin), "%s/pktlink", exe);
	return access(bin, X_OK) == 0;
}

/* A finished or running child with its output. */
struct proc {
	pid_t pid;
	int out; /* stdout+stderr, read end */
	char buf[16384];
	size_t len;
	int status;
};

/* spawn_prog() - start @prog (a path, or a name looked up in PATH) with
 * @args (NULL-terminated, without argv[0]); its standard output goes to
 * @out_fd when >= 0, else with standard error to p->out. */
static inline void spawn_prog(struct proc *p, const char *prog, const char *const *args, int out_fd)
{
	const char *argv[40];
	unsigned n = 0;
	argv[n++] = prog;
	for (unsigned i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int fds[2];
	PLT_CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	memset(p, 0, sizeof(*p));
	p->pid = fork();
	PLT_CHECK(p->pid >= 0, "fork");
	if (p->pid == 0) {
		dup2(out_fd >= 0 ? out_fd : fds[1], 1);
		dup2(fds[1], 2);
		execvp(prog, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
}

/* spawn() - start the tool with @args (NULL-terminated, without argv[0]). */
static inline void spawn(struct proc *p, const char *const *args)
{
	spawn_prog(p, bin, args, -1);
}

/* finish() - collect output and wait, killing the child after @timeout_s. */
static inline void finish(struct proc *p, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	for (;;) {
		uint64_t now = plt_now_ns();
		if (now >= end)
			break;
		struct pollfd pfd = { p->out, POLLIN, 0 };
		int r = poll(&pfd, 1, 100);
		if (r <= 0)
			continue;
		ssize_t n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			break;
		p->len += (size_t)n;
	}
	p->buf[p->len] = '\0';
	close(p->out);
	/* EOF comes a moment before the child can be reaped: wait for it,
	 * within the same deadline. */
	pid_t w;
	while ((w = waitpid(p->pid, &p->status, WNOHANG)) == 0 && plt_now_ns() < end)
		usleep(5000);
	if (w == 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		PLT_CHECK(0, "%s did not finish in %d s; output:\n%s", bin, timeout_s, p->buf);
	}
}

/* run() - spawn + finish; return the exit status (or -1 for a signal). */
static inline int run(struct proc *p, int timeout_s, const char *const *args)
{
	spawn(p, args);
	finish(p, timeout_s);
	return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}

#define RUN(p, t, ...) run(p, t, (const char *const[]){ __VA_ARGS__, NULL })

/* wait_output() - wait until the child's output so far contains @needle
 * (reading it into p->buf), for at most @timeout_s. */
static inline bool wait_output(struct proc *p, const char *needle, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	while (plt_now_ns() < end) {
		p->buf[p->len] = '\0';
		if (strstr(p->buf, needle))
			return true;
		struct pollfd pfd = { p->out, POLLIN, 0 };
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		ssize_t n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			return false;
		p->len += (size_t)n;
	}
	return false;
}

#endif
