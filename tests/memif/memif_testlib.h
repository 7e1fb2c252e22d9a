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
#include <poll.h>
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
	bool no_rx; /* send only */
	uint32_t window; /* at most this many frames in flight (a lossy path between); 0 = no limit */
	int zc; /* MT_ZC_*: frames built in pktlink_tx_alloc() buffers */
};

enum {
	MT_ZC_NONE = 0, /* from the test's memory */
	MT_ZC_ORDER = 1, /* lent buffers, sent in the order they were lent */
	MT_ZC_MIX = 2, /* lent buffers, some given back first, every 4th frame from our memory */
	MT_ZC_REVERSE = 3, /* MT_ZC_MIX, lent buffers filled and sent in reverse (client) */
};

/*
 * The frames of one mt_exchange() burst in lent buffers: n frames from
 * seq on, lent buffers given back and frames from our memory as a->zc
 * says. Return the frames in tx, or -1.
 */
static inline int mt_zc_fill(struct pktlink_ep *ep, const struct mt_ex *a, uint32_t seq,
			     unsigned n, struct pktlink_pkt *tx, uint8_t (*bufs)[65536])
{
	struct pktlink_pkt lent[16];
	int m = pktlink_tx_alloc(ep, lent, n);
	if (m < 0) {
		fprintf(stderr, "tx_alloc: %s (%s)\n", pktlink_strerror(m), pktlink_last_error(ep));
		return -1;
	}
	unsigned skip = a->zc == MT_ZC_ORDER ? 0 : seq % 3;
	if (skip >= (unsigned)m)
		skip = m ? (unsigned)m - 1 : 0; /* at least one frame goes */
	pktlink_tx_free(ep, lent, skip);
	unsigned k = 0;
	for (unsigned j = skip; j < (unsigned)m; j++, k++) {
		unsigned b = a->zc == MT_ZC_REVERSE ? (unsigned)m - 1 - (j - skip) : j;
		uint32_t len = mt_len(a->tx_dir, seq + k, a->min, a->max);
		if (lent[b].len < len) {
			fprintf(stderr, "tx_alloc: %u-byte buffer for a %u-byte frame\n", lent[b].len,
				len);
			return -1;
		}
		if (a->zc != MT_ZC_ORDER && (seq + k) % 4 == 3) {
			pktlink_tx_free(ep, &lent[b], 1);
			mt_fill(bufs[k], a->tx_dir, seq + k, len);
			tx[k] = (struct pktlink_pkt){ .data = bufs[k], .len = len };
			continue;
		}
		mt_fill(lent[b].data, a->tx_dir, seq + k, len);
		tx[k] = lent[b];
		tx[k].len = len;
	}
	return (int)k;
}

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
		if (a->no_rx)
			recvd = a->count;
		unsigned room = 16;
		if (a->window)
			room = sent - recvd >= a->window ? 0 : a->window - (sent - recvd);
		if (sent < a->count && room) {
			unsigned n = 0;
			for (; n < 16 && n < room && sent + n < a->count; n++) {
				if (a->zc)
					continue;
				uint32_t len = mt_len(a->tx_dir, sent + n, a->min, a->max);
				mt_fill(bufs[n], a->tx_dir, sent + n, len);
				tx[n] = (struct pktlink_pkt){ .data = bufs[n], .len = len };
			}
			if (a->zc) {
				int m = mt_zc_fill(ep, a, sent, n, tx, bufs);
				if (m < 0)
					return -1;
				n = (unsigned)m;
			}
			int r = pktlink_tx_burst(ep, tx, n);
			if (r < 0) {
				fprintf(stderr, "tx_burst: %s (%s)\n", pktlink_strerror(r),
					pktlink_last_error(ep));
				return -1;
			}
			/* lent buffers not taken go back */
			for (unsigned j = (unsigned)r; a->zc && j < n; j++)
				if (tx[j].flags & PKTLINK_PKT_TXBUF)
					pktlink_tx_free(ep, &tx[j], 1);
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

/*
 * A 142-byte UDP frame (198.18.0.1 -> .2) in good, and the same in part
 * with the partial checksum a stack with offload leaves (the pseudo-header
 * sum; csum_start 34, csum_offset 6). Returns the length.
 */
static inline uint32_t mt_udp_partial(uint8_t *good, uint8_t *part)
{
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 }, smac[6] = { 2, 0, 0, 0, 0, 1 };
	uint32_t len = plt_build_udp(good, dmac, smac, PLT_IP(198, 18, 0, 1), PLT_IP(198, 18, 0, 2),
				     1000, 2000, NULL, 100);
	memcpy(part, good, len);
	uint32_t sum = 0;
	for (int i = 26; i < 34; i += 2)
		sum += (uint32_t)(part[i] << 8 | part[i + 1]);
	sum += 17 + (uint32_t)(len - 34);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	part[40] = (uint8_t)(sum >> 8);
	part[41] = (uint8_t)sum;
	return len;
}

/*
 * Send every frame that comes back to the peer, until the peer leaves
 * (0) or 60 s pass or an error (-1). idle_ms: pktlink_wait() when nothing
 * came (0: spin, like a DPDK forwarder); own_poller: sleep in poll() on
 * pktlink_queue_fd() instead, as an event loop does (pktlink_wait() never
 * runs).
 */
static inline int mt_echo_ex(struct pktlink_ep *ep, int idle_ms, bool own_poller)
{
	struct pollfd pfd = { .fd = pktlink_queue_fd(ep, 0), .events = POLLIN };
	struct pktlink_pkt p[32];
	uint64_t end = plt_now_ns() + 60000000000ull;
	int r = 0;
	while (plt_now_ns() < end) {
		r = pktlink_rx_burst(ep, p, 32);
		if (r < 0)
			break;
		int t = 0;
		while (t < r && plt_now_ns() < end) {
			int k = pktlink_tx_burst(ep, p + t, (unsigned)(r - t));
			if (k < 0)
				break;
			t += k;
		}
		pktlink_rx_release(ep, p, (unsigned)r);
		if (!r && idle_ms && own_poller)
			poll(&pfd, 1, idle_ms);
		else if (!r && idle_ms)
			pktlink_wait(ep, idle_ms);
	}
	return r == -ECONNRESET ? 0 : -1;
}

static inline int mt_echo(struct pktlink_ep *ep, int idle_ms)
{
	return mt_echo_ex(ep, idle_ms, false);
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
