/* SPDX-License-Identifier: MIT */
/*
 * memif_testlib.h — helpers of the memif tests: deterministic frames
 * (length and bytes from direction and sequence number), a pull-mode
 * exchange loop with a deadline, and a child process runner.
 */
#ifndef PL_TESTS_MEMIF_TESTLIB_H
#define PL_TESTS_MEMIF_TESTLIB_H

#include "harness.h"

#include <errno.h>
#include <pktlink/memif.h>
#include <pktlink/pktlink.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline uint32_t mt_len(int dir, uint32_t seq, uint32_t min, uint32_t max)
{
	uint32_t span = max - min + 1;
	return min + (uint32_t)(((uint64_t)seq * 2654435761u + (uint32_t)dir * 977u) % span);
}

/* Frame bytes: a header with direction and sequence, then a pattern. */
static inline void mt_fill(uint8_t *b, int dir, uint32_t seq, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seq * 7u + i * 13u + (uint32_t)dir * 101u);
	b[0] = 0x02; /* locally administered unicast destination */
	b[6] = 0x02;
	b[12] = 0x88; /* a local experimental EtherType */
	b[13] = 0xb5;
	b[14] = (uint8_t)dir;
	memcpy(b + 15, &seq, 4);
}

/* 0 when b holds frame (dir, seq) of the expected length; else why on stderr. */
static inline int mt_check(const uint8_t *b, uint32_t len, int dir, uint32_t seq, uint32_t min,
			   uint32_t max)
{
	static uint8_t want[65536];
	uint32_t wl = mt_len(dir, seq, min, max);
	if (len != wl) {
		fprintf(stderr, "frame %u (dir %d): length %u, want %u\n", seq, dir, len, wl);
		return -1;
	}
	mt_fill(want, dir, seq, wl);
	if (memcmp(b, want, wl)) {
		uint32_t i = 0;
		while (b[i] == want[i])
			i++;
		fprintf(stderr, "frame %u (dir %d, %u bytes): byte %u differs (%02x, want %02x)\n",
			seq, dir, len, i, b[i], want[i]);
		uint32_t j = i;
		while (j < wl && b[j] != want[j])
			j++;
		fprintf(stderr, "  differing run %u..%u; got:", i, j);
		for (uint32_t k = 0; k < 24 && k < len; k++)
			fprintf(stderr, " %02x", b[k]);
		fprintf(stderr, "\n");
		return -1;
	}
	return 0;
}

struct mt_ex {
	int tx_dir, rx_dir; /* frames sent / expected */
	uint32_t count, min, max;
	int timeout_s;
	bool no_tx; /* receive only */
	uint32_t window; /* at most this many frames in flight (a lossy path between); 0 = no limit */
};

/*
 * Send count frames of tx_dir and receive count frames of rx_dir in order,
 * checking each byte, in pull mode with pktlink_wait() when idle.
 * Return 0 or -1 (reason on stderr).
 */
static inline int mt_exchange(struct pktlink_ep *ep, const struct mt_ex *a)
{
	static uint8_t bufs[16][65536];
	struct pktlink_pkt tx[16], rx[32];
	uint32_t sent = 0, recvd = 0;
	uint64_t deadline = plt_now_ns() + (uint64_t)(a->timeout_s ? a->timeout_s : 40) * 1000000000ull;
	while (sent < a->count || recvd < a->count) {
		if (plt_now_ns() > deadline) {
			fprintf(stderr, "exchange: stuck at sent %u recvd %u of %u: %s\n", sent, recvd,
				a->count, pktlink_last_error(ep));
			return -1;
		}
		bool idle = true;
		if (a->no_tx)
			sent = a->count;
		unsigned room = 16;
		if (a->window)
			room = sent - recvd >= a->window ? 0 : a->window - (sent - recvd);
		if (sent < a->count && room) {
			unsigned n = 0;
			for (; n < 16 && n < room && sent + n < a->count; n++) {
				uint32_t len = mt_len(a->tx_dir, sent + n, a->min, a->max);
				mt_fill(bufs[n], a->tx_dir, sent + n, len);
				tx[n] = (struct pktlink_pkt){ .data = bufs[n], .len = len };
			}
			int r = pktlink_tx_burst(ep, tx, n);
			if (r < 0) {
				fprintf(stderr, "tx_burst: %s (%s)\n", pktlink_strerror(r),
					pktlink_last_error(ep));
				return -1;
			}
			sent += (uint32_t)r;
			if (r)
				idle = false;
		}
		if (recvd >= a->count)
			continue; /* done receiving: the peer may be gone already */
		int r = pktlink_rx_burst(ep, rx, 32);
		if (r < 0) {
			fprintf(stderr, "rx_burst: %s (%s) after sent %u recvd %u of %u\n",
				pktlink_strerror(r), pktlink_last_error(ep), sent, recvd, a->count);
			return -1;
		}
		for (int i = 0; i < r; i++) {
			if (recvd >= a->count ||
			    mt_check(rx[i].data, rx[i].len, a->rx_dir, recvd, a->min, a->max)) {
				pktlink_rx_release(ep, rx, (unsigned)r);
				return -1;
			}
			recvd++;
		}
		if (r > 0) {
			pktlink_rx_release(ep, rx, (unsigned)r);
			idle = false;
		}
		if (idle)
			pktlink_wait(ep, 5);
	}
	return 0;
}

/* A fresh directory for a test's control socket (g_dir, g_sock of the caller). */
static char g_dir[64];
static char g_sock[100];

static inline void mk_sock(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/pl-memif-XXXXXX");
	PLT_CHECK(mkdtemp(g_dir), "mkdtemp");
	snprintf(g_sock, sizeof(g_sock), "%s/memif.sock", g_dir);
}

static inline void rm_sock(void)
{
	unlink(g_sock);
	rmdir(g_dir);
}

/* Run fn in a child process; return its pid. */
static inline pid_t mt_fork(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg) ? 1 : 0);
	return pid;
}

/* Wait for a child within timeout_s (killed after); return its exit status or -1. */
static inline int mt_wait(pid_t pid, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (plt_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(5000);
	}
}

#endif
