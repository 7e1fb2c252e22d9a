/* SPDX-License-Identifier: MIT */
/*
 * shm_testlib.h — helpers for the shared-memory endpoint tests: a peer in a
 * second process opened from a queue pair, deterministic packet contents,
 * leak checks. Header-only; included by one test program each.
 */
#ifndef PKTLINK_TESTS_SHM_TESTLIB_H
#define PKTLINK_TESTS_SHM_TESTLIB_H

#include "harness.h"

#include <pktlink/shm.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static inline struct pktlink_shm_opts sht_opts(enum pktlink_shm_role role)
{
	struct pktlink_shm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.role = role;
	return o;
}

/* Deterministic frame i of direction dir: length in [min, max], bytes derived from (dir, i). */
static inline uint32_t sht_len(int dir, uint32_t i, uint32_t min, uint32_t max)
{
	uint64_t x = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)dir << 40;
	x ^= x >> 29;
	return min + (uint32_t)(x % (max - min + 1));
}

static inline uint8_t sht_byte(int dir, uint32_t i, uint32_t k)
{
	return (uint8_t)(i * 31u + k * 7u + (k >> 8) + (unsigned)dir * 101u);
}

static inline void sht_fill(uint8_t *buf, int dir, uint32_t i, uint32_t len)
{
	for (uint32_t k = 0; k < len; k++)
		buf[k] = sht_byte(dir, i, k);
	if (len >= 4)
		memcpy(buf, &i, 4);
}

/* Return 0 when pkt is frame i of dir, else print why and return -1. */
static inline int sht_check(const struct pktlink_pkt *p, int dir, uint32_t i, uint32_t min, uint32_t max)
{
	uint32_t len = sht_len(dir, i, min, max);
	if (p->len != len) {
		fprintf(stderr, "frame %u: length %u, wanted %u\n", i, p->len, len);
		return -1;
	}
	uint32_t seq;
	memcpy(&seq, p->data, 4);
	if (seq != i) {
		fprintf(stderr, "frame %u: carries sequence %u\n", i, seq);
		return -1;
	}
	for (uint32_t k = 4; k < len; k++)
		if (p->data[k] != sht_byte(dir, i, k)) {
			fprintf(stderr, "frame %u: byte %u differs\n", i, k);
			return -1;
		}
	return 0;
}

/* Count this process's mappings of pktlink's memfds (leak check). */
static inline int sht_shm_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "pktlink-shm"))
			n++;
	fclose(f);
	return n;
}

typedef int (*sht_peer_fn)(struct pktlink_ep *ep, void *arg);

/*
 * Create a queue pair and a socketpair; fork a peer that opens the side
 * opposite to mine->role with *peer_opts and runs fn; open my side. The
 * child exits with fn's result (0 = ok). Returns the child's pid.
 */
static inline pid_t sht_spawn(const struct pktlink_shm_opts *mine, const struct pktlink_shm_opts *peer_opts,
			      sht_peer_fn fn, void *arg, struct pktlink_ep **epp)
{
	struct pktlink_shm_fds fds;
	char err[256] = "";
	int sp[2];
	struct pktlink_shm_opts create = mine->role == PKTLINK_SHM_CLIENT ? *mine : *peer_opts;
	PLT_CHECK(pktlink_shm_qp_create(&create, &fds, err, sizeof(err)) == 0, "qp_create: %s", err);
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
	fflush(NULL);
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		struct pktlink_ep *ep;
		if (pktlink_shm_open(peer_opts, &fds, sp[1], &ep, err, sizeof(err))) {
			fprintf(stderr, "peer open: %s\n", err);
			_exit(10);
		}
		pktlink_shm_fds_close(&fds);
		close(sp[1]);
		int r = fn(ep, arg);
		pktlink_close(ep);
		_exit(r ? 1 : 0);
	}
	close(sp[1]);
	int r = pktlink_shm_open(mine, &fds, sp[0], epp, err, sizeof(err));
	PLT_CHECK(r == 0, "open: %s", err);
	pktlink_shm_fds_close(&fds);
	close(sp[0]);
	return pid;
}

/* Wait for the peer (bounded) and return its exit status (0 = passed). */
static inline int sht_wait(pid_t pid, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (plt_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(2000);
	}
}

#endif
