/* SPDX-License-Identifier: MIT */
/*
 * pcap_peer.c — the libpcap reference for `pktlink bench --peers`: a
 * capture loop that counts packets, the way a capture tool built on
 * libpcap receives. Linux libpcap uses a TPACKET_V3 ring; --immediate
 * makes it deliver each packet at once (TPACKET_V2 in libpcap 1.10).
 *
 *   pcap_peer --iface IF [--duration S] [--warmup S] [--cpu N] [--immediate]
 *             [--snaplen N] [--buffer-mb N] [--no-wait]
 *
 * Same protocol as dpdk_peer (bench/README.md): READY, wait for a line on
 * stdin, warm up, START, RESULT pkts=N secs=S cpu_ns=C drops=N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer_util.h"

/* count_cb() - per-packet callback: count only (touch nothing, like rxdrop). */
static void count_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	(void)h;
	(void)bytes;
	(*(uint64_t *)user)++;
}

/* run() - dispatch until @end_ns; return packets. */
static uint64_t run(pcap_t *p, uint64_t end_ns)
{
	uint64_t n = 0;
	while (!quit && now_ns() < end_ns) {
		int r = pcap_dispatch(p, -1, count_cb, (u_char *)&n);
		if (r < 0) {
			printf("ERROR pcap_dispatch: %s\n", pcap_geterr(p));
			quit = 1;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *iface = NULL;
	double duration = 2, warmup = 0.3;
	int cpu = -1, snaplen = 262144, buffer_mb = 8;
	bool immediate = false, wait = true;
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },   { "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },  { "cpu", required_argument, NULL, 'c' },
		{ "immediate", no_argument, NULL, 'I' },     { "snaplen", required_argument, NULL, 's' },
		{ "buffer-mb", required_argument, NULL, 'b' }, { "no-wait", no_argument, NULL, 'n' },
		{ 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'i':
			iface = optarg;
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'I':
			immediate = true;
			break;
		case 's':
			snaplen = atoi(optarg);
			break;
		case 'b':
			buffer_mb = atoi(optarg);
			break;
		case 'n':
			wait = false;
			break;
		default:
			fprintf(stderr, "usage: pcap_peer --iface IF [--duration S] [--warmup S] [--cpu N] "
					"[--immediate] [--snaplen N] [--buffer-mb N] [--no-wait]\n");
			return 2;
		}
	}
	if (!iface || !(duration > 0 && duration <= 600) || warmup < 0 || warmup > 60 ||
	    snaplen < 60 || buffer_mb < 1 || buffer_mb > 1024) {
		fprintf(stderr, "pcap_peer: need --iface; --duration (0,600], --warmup [0,60], "
				"--snaplen >= 60, --buffer-mb 1..1024\n");
		return 2;
	}
	peer_catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(iface, errbuf);
	if (!p) {
		printf("ERROR pcap_create(%s): %s\n", iface, errbuf);
		return 1;
	}
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 0);
	/* 1 ms: TPACKET_V3 blocks are handed over at least this often. */
	pcap_set_timeout(p, 1);
	pcap_set_buffer_size(p, buffer_mb << 20);
	if (immediate)
		pcap_set_immediate_mode(p, 1);
	int r = pcap_activate(p);
	if (r < 0) {
		printf("ERROR pcap_activate(%s): %s\n", iface, pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	printf("READY\n");
	if (wait) {
		char line[64];
		if (!fgets(line, sizeof(line), stdin)) {
			pcap_close(p);
			return 1;
		}
	}
	run(p, now_ns() + (uint64_t)(warmup * 1e9));
	struct pcap_stat s0 = { 0 }, s1 = { 0 };
	pcap_stats(p, &s0);
	printf("START\n");
	uint64_t c0 = cpu_ns(), t0 = now_ns();
	uint64_t n = run(p, t0 + (uint64_t)(duration * 1e9));
	uint64_t t1 = now_ns(), c1 = cpu_ns();
	pcap_stats(p, &s1);
	double secs = (double)(t1 - t0) / 1e9;
	printf("RESULT pkts=%llu secs=%.6f cpu_ns=%llu drops=%u mpps=%.4f cpu_ns_per_pkt=%.1f\n",
	       (unsigned long long)n, secs, (unsigned long long)(c1 - c0), s1.ps_drop - s0.ps_drop,
	       (double)n / secs / 1e6, n ? (double)(c1 - c0) / (double)n : 0.0);
	pcap_close(p);
	return quit ? 130 : 0;
}
