/* SPDX-License-Identifier: MIT */
/*
 * dpdk_memif_peer.c — DPDK's own net_memif PMD as the far end of the memif
 * interop tests (Debian ships the PMD but no testpmd).
 *
 *   dpdk_memif_peer <EAL args with --vdev net_memif...[ --vdev 2nd port]> --
 *       --mode echo|fwd|send|count [--queues N] [--duration S] [--count N]
 *       [--min L] [--max L]
 *
 *   echo:  every frame received on port 0 is sent back unchanged on the
 *          same queue (chained mbufs included).
 *   fwd:   frames are forwarded unchanged between port 0 and port 1.
 *   send:  send --count frames of the tests' pattern (direction 1, lengths
 *          --min..--max) on queue 0 in bursts of up to 32, then echo like
 *          "echo".
 *   count: receive and drop; print "COUNTED n bad=b" when --count frames came.
 *   --check: verify that each received frame is the tests' pattern frame
 *          it says it is (direction and sequence in its header); --mbuf-size
 *          sets the mbuf data room (default 2048 + headroom).
 *
 * Prints "STARTED" once the ports started (a server accepts clients from
 * then on), "READY" once port 0's link is up (the memif handshake finished),
 * then runs until SIGTERM/SIGINT or --duration, and prints
 * "RESULT rx=N tx=N" before exiting.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "peer_util.h"

#define BURST 32
#define MAXQ 8

enum { M_ECHO, M_FWD, M_SEND, M_COUNT };

static int g_mode = M_ECHO;
static unsigned g_queues = 1;
static double g_duration = 60;
static unsigned g_count = 1000, g_min = 60, g_max = 1514;

/* The tests' frame pattern (tests/memif/memif_testlib.h, direction 1). */
static uint32_t pat_len(uint32_t seq)
{
	uint32_t span = g_max - g_min + 1;
	return g_min + (uint32_t)(((uint64_t)seq * 2654435761u + 977u) % span);
}

static void pat_fill_dir(uint8_t *b, uint32_t seq, uint32_t len, unsigned dir)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seq * 7u + i * 13u + dir * 101u);
	b[0] = 0x02;
	b[6] = 0x02;
	b[12] = 0x88;
	b[13] = 0xb5;
	b[14] = (uint8_t)dir;
	memcpy(b + 15, &seq, 4);
}

static void pat_fill(uint8_t *b, uint32_t seq, uint32_t len)
{
	pat_fill_dir(b, seq, len, 1);
}

/* --check: a received frame must be the tests' direction-0 frame it says it is. */
static bool g_check;
static unsigned g_mbuf = RTE_MBUF_DEFAULT_BUF_SIZE;
static uint64_t g_bad;
static void check_rx(struct rte_mbuf *m)
{
	static uint8_t got[9100], want[9100];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (len < 19 || len > sizeof(got))
		goto bad;
	const uint8_t *p = rte_pktmbuf_read(m, 0, len, got);
	uint32_t seq;
	memcpy(&seq, p + 15, 4);
	pat_fill_dir(want, seq, len, p[14] == 1 ? 1 : 0);
	if (!memcmp(p, want, len))
		return;
bad:
	if (g_bad++ < 5)
		printf("BADRX len=%u segs=%u\n", len, m->nb_segs);
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },  { "queues", required_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 'd' }, { "count", required_argument, NULL, 'c' },
		{ "min", required_argument, NULL, 'a' },   { "max", required_argument, NULL, 'b' },
		{ "check", no_argument, NULL, 'k' },
		{ "mbuf-size", required_argument, NULL, 'z' },
		{ 0 },
	};
	optind = 1;
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'm':
			g_mode = !strcmp(optarg, "echo")   ? M_ECHO
				 : !strcmp(optarg, "fwd")  ? M_FWD
				 : !strcmp(optarg, "send") ? M_SEND
				 : !strcmp(optarg, "count") ? M_COUNT
							    : -1;
			if (g_mode < 0)
				return -1;
			break;
		case 'q':
			g_queues = (unsigned)atoi(optarg);
			break;
		case 'd':
			g_duration = atof(optarg);
			break;
		case 'c':
			g_count = (unsigned)atoi(optarg);
			break;
		case 'a':
			g_min = (unsigned)atoi(optarg);
			break;
		case 'b':
			g_max = (unsigned)atoi(optarg);
			break;
		case 'k':
			g_check = true;
			break;
		case 'z':
			g_mbuf = (unsigned)atoi(optarg);
			break;
		default:
			return -1;
		}
	}
	if (g_queues < 1 || g_queues > MAXQ || g_min < 60 || g_max < g_min || g_max > 9014)
		return -1;
	return 0;
}

static int port_setup(uint16_t port, unsigned nq, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	int r = rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf);
	for (unsigned q = 0; !r && q < nq; q++) {
		r = rte_eth_rx_queue_setup(port, (uint16_t)q, 1024,
					   (unsigned)rte_eth_dev_socket_id(port), NULL, mp);
		if (!r)
			r = rte_eth_tx_queue_setup(port, (uint16_t)q, 1024,
						   (unsigned)rte_eth_dev_socket_id(port), NULL);
	}
	if (!r)
		r = rte_eth_dev_start(port);
	if (!r)
		rte_eth_promiscuous_enable(port);
	return r;
}

/* Build one pattern frame as a (maybe chained) mbuf. */
static struct rte_mbuf *pat_mbuf(struct rte_mempool *mp, uint32_t seq)
{
	static uint8_t buf[9100];
	uint32_t len = pat_len(seq);
	pat_fill(buf, seq, len);
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		uint32_t room = rte_pktmbuf_tailroom(m);
		uint32_t l = len - off < room ? len - off : room;
		memcpy(rte_pktmbuf_append(m, (uint16_t)l), buf + off, l);
		off += l;
		if (!head) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m)) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		last = m;
	}
	(void)last;
	return head;
}

int main(int argc, char **argv)
{
	peer_catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		printf("ERROR rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse(argc - n, argv + n)) {
		fprintf(stderr, "usage: dpdk_memif_peer <EAL> -- --mode echo|fwd|send|count "
				"[--queues 1..8] [--duration S] [--count N] [--min L] [--max L]\n");
		rte_eal_cleanup();
		return 2;
	}
	unsigned nports = rte_eth_dev_count_avail();
	if (nports < (g_mode == M_FWD ? 2u : 1u)) {
		printf("ERROR need %d port(s)\n", g_mode == M_FWD ? 2 : 1);
		rte_eal_cleanup();
		return 1;
	}
	struct rte_mempool *mp = rte_pktmbuf_pool_create("memif_peer", 16383, 256, 0,
							 (uint16_t)g_mbuf, (int)rte_socket_id());
	if (!mp) {
		printf("ERROR mbuf pool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	int rc = 1;
	for (uint16_t p = 0; p < (g_mode == M_FWD ? 2 : 1); p++) {
		int r = port_setup(p, p == 0 ? g_queues : 1, mp);
		if (r) {
			printf("ERROR port %u setup: %s\n", p, rte_strerror(-r));
			goto out;
		}
	}
	printf("STARTED\n"); /* a DPDK server accepts clients from here on */
	uint64_t t_end = now_ns() + (uint64_t)(g_duration * 1e9);
	bool ready = false;
	uint64_t rx = 0, tx = 0;
	uint32_t sent = 0;
	struct rte_mbuf *m[BURST];
	while (!quit && now_ns() < t_end) {
		if (!ready) {
			struct rte_eth_link l;
			memset(&l, 0, sizeof(l));
			rte_eth_link_get_nowait(0, &l);
			if (l.link_status == RTE_ETH_LINK_UP) {
				ready = true;
				printf("READY\n");
			} else {
				struct timespec ts = { 0, 1000000 };
				nanosleep(&ts, NULL);
				continue;
			}
		}
		if (g_mode == M_SEND && sent < g_count) {
			/* bursts, as a streaming sender sends: the receiver's
			 * pacing (src/core/endpoint.h) sees batches */
			struct rte_mbuf *s[BURST];
			uint16_t n = 0;
			while (n < BURST && sent + n < g_count) {
				struct rte_mbuf *x = pat_mbuf(mp, sent + n);
				if (!x)
					break;
				if (g_check)
					check_rx(x); /* the frame is right before it leaves */
				s[n++] = x;
			}
			uint16_t k = n ? rte_eth_tx_burst(0, 0, s, n) : 0;
			sent += k;
			tx += k;
			if (k < n)
				rte_pktmbuf_free_bulk(s + k, (unsigned)(n - k));
		}
		for (uint16_t p = 0; p < (g_mode == M_FWD ? 2 : 1); p++) {
			for (uint16_t q = 0; q < (p == 0 ? g_queues : 1); q++) {
				uint16_t k = rte_eth_rx_burst(p, q, m, BURST);
				if (!k)
					continue;
				rx += k;
				if (g_check)
					for (uint16_t i = 0; i < k; i++)
						check_rx(m[i]);
				if (g_mode == M_COUNT) {
					if (rx >= g_count && rx - k < g_count)
						printf("COUNTED %llu bad=%llu\n", (unsigned long long)rx,
						       (unsigned long long)g_bad);
					rte_pktmbuf_free_bulk(m, k);
					continue;
				}
				uint16_t out = g_mode == M_FWD ? (uint16_t)(1 - p) : p;
				uint16_t oq = g_mode == M_FWD ? 0 : q;
				uint16_t t = 0;
				/* Echo everything: a full ring waits for the far end,
				 * unless the link went down (no stale frames for the
				 * next connection). */
				while (t < k && !quit) {
					uint16_t sent_now = rte_eth_tx_burst(out, oq, m + t, (uint16_t)(k - t));
					t = (uint16_t)(t + sent_now);
					if (!sent_now) {
						struct rte_eth_link l;
						memset(&l, 0, sizeof(l));
						rte_eth_link_get_nowait(out, &l);
						if (l.link_status != RTE_ETH_LINK_UP)
							break;
					}
				}
				if (t < k)
					rte_pktmbuf_free_bulk(m + t, k - t);
				tx += t;
			}
		}
	}
	printf("RESULT rx=%llu tx=%llu ready=%d bad=%llu\n", (unsigned long long)rx,
	       (unsigned long long)tx, ready, (unsigned long long)g_bad);
	rc = ready ? 0 : 3;
out:
	RTE_ETH_FOREACH_DEV(n)
	{
		rte_eth_dev_stop((uint16_t)n);
		rte_eth_dev_close((uint16_t)n);
	}
	rte_eal_cleanup();
	return rc;
}
