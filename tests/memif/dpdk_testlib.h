/* SPDX-License-Identifier: MIT */
/*
 * dpdk_testlib.h — starting and stopping the DPDK net_memif peer
 * (tests/memif/dpdk_memif_peer.c) from a memif test: EAL arguments without
 * hugepages, a unique file prefix, its stdout read line by line with a
 * deadline.
 */
#ifndef PL_TESTS_MEMIF_DPDK_TESTLIB_H
#define PL_TESTS_MEMIF_DPDK_TESTLIB_H

#include "memif_testlib.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

static int g_seq; /* peers started by this process */

struct dpdk {
	pid_t pid;
	int out; /* its stdout */
	char prefix[64];
};

static inline bool have_peer(void)
{
	if (!PL_DPDK_MEMIF_PEER[0] || access(PL_DPDK_MEMIF_PEER, X_OK)) {
		fprintf(stderr, "SKIP: the DPDK memif peer was not built (libdpdk-dev missing: "
				"scripts/deps.sh installs it)\n");
		return false;
	}
	return true;
}

/* Read the peer's stdout until a line starting with want (echoed to stderr). */
static inline int dpdk_expect(struct dpdk *d, const char *want, int timeout_s, char *line, size_t cap)
{
	static char buf[8192];
	static size_t have;
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', have))) {
			*nl = 0;
			fprintf(stderr, "  dpdk: %s\n", buf);
			bool hit = !strncmp(buf, want, strlen(want));
			if (hit && line && cap) {
				size_t l = strnlen(buf, cap - 1);
				memcpy(line, buf, l);
				line[l] = 0;
			}
			size_t used = (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, have - used);
			have -= used;
			if (hit)
				return 0;
		}
		int left = (int)((int64_t)(end - plt_now_ns()) / 1000000);
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = d->out, .events = POLLIN };
		if (poll(&p, 1, left) <= 0)
			continue;
		ssize_t n = read(d->out, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
}

/* The EAL's memory arguments of the next peers (NULL: --no-huge -m 256), at most 6. */
static const char *const *g_dpdk_mem;

/* Start the DPDK peer with port 0 = net_memif (role, socket) and its mode arguments. */
static inline void dpdk_start(struct dpdk *d, const char *role, const char *memif_extra,
		       const char *vdev2, const char *const *args)
{
	char vdev[512];
	/* memif_extra may turn the socket abstract again (",socket-abstract=yes"). */
	snprintf(vdev, sizeof(vdev), "net_memif0,role=%s,socket=%s,socket-abstract=no%s", role,
		 g_sock, memif_extra ? memif_extra : "");
	snprintf(d->prefix, sizeof(d->prefix), "pl-memif-%d-%d", (int)getpid(), g_seq++);
	const char *argv[40];
	unsigned n = 0;
	argv[n++] = PL_DPDK_MEMIF_PEER;
	static const char *const mem_default[] = { "--no-huge", "-m", "256", NULL };
	for (const char *const *m = g_dpdk_mem ? g_dpdk_mem : mem_default; *m; m++)
		argv[n++] = *m;
	argv[n++] = "--no-pci";
	argv[n++] = "--file-prefix";
	argv[n++] = d->prefix;
	argv[n++] = "-l";
	argv[n++] = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? "1" : "0";
	argv[n++] = "--log-level";
	argv[n++] = "*:warning";
	argv[n++] = "--vdev";
	argv[n++] = vdev;
	if (vdev2) {
		argv[n++] = "--vdev";
		argv[n++] = vdev2;
	}
	argv[n++] = "--";
	for (unsigned i = 0; args && args[i] && n < 38; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int p[2];
	PLT_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
	d->pid = fork();
	PLT_CHECK(d->pid >= 0, "fork");
	if (d->pid == 0) {
		dup2(p[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	d->out = p[0];
	PLT_CHECK(dpdk_expect(d, "STARTED", 30, NULL, 0) == 0, "the DPDK peer did not start");
}

/* Stop it (SIGTERM), read its RESULT line; returns its exit status. */
static inline int dpdk_stop(struct dpdk *d, char *result, size_t cap)
{
	kill(d->pid, SIGTERM);
	if (result)
		result[0] = 0;
	dpdk_expect(d, "RESULT", 10, result, cap);
	int st = mt_wait(d->pid, 15);
	close(d->out);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s", d->prefix);
	plt_sh("%s", cmd);
	return st;
}

static inline void dpdk_kill(struct dpdk *d)
{
	kill(d->pid, SIGKILL);
	mt_wait(d->pid, 15);
	close(d->out);
	plt_sh("rm -rf /var/run/dpdk/%s", d->prefix);
}

/* Wait (bounded) until a file exists. */
static inline void wait_file(const char *path)
{
	uint64_t end = plt_now_ns() + 10000000000ull;
	struct stat st;
	while (stat(path, &st) < 0) {
		PLT_CHECK(plt_now_ns() < end, "%s never appeared", path);
		usleep(2000);
	}
}

#endif
