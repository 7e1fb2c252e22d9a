/* SPDX-License-Identifier: MIT */
/*
 * cmd_capture.c — `pktlink capture <spec> -w FILE`: receive in pull mode
 * and write every frame to a nanosecond pcap file.
 *
 * Timestamps are taken when the burst is received (CLOCK_REALTIME), since
 * the endpoint contract carries no kernel timestamps; frames of one burst
 * share it.
 */
#include "cmds.h"
#include "pcapw.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <pktlink/pktlink.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char capture_usage[] =
	"usage: pktlink capture <spec> -w FILE [options]\n"
	"\n"
	"Receive frames from an endpoint and write them to a pcap file (nanosecond\n"
	"timestamps, magic 0xa1b23c4d; tcpdump -r and Wireshark read it).\n"
	"Stops after -c frames, after --duration, or on Ctrl-C.\n"
	"\n"
	"options:\n"
	"  -w, --write FILE     the pcap file to create ('-' = standard output)\n"
	"  -c, --count N        stop after N frames\n"
	"  -d, --duration S     stop after S seconds (e.g. 10, 500ms)\n"
	"  -s, --snaplen N      bytes stored per frame, 1..262144 (default 262144)\n"
	"  -q, --quiet          no summary on standard error\n"
	"  -h, --help           this text\n"
	"\n"
	"example: pktlink capture 'packet:veth0?dispatch=mmap' -w /tmp/x.pcap -c 1000\n"
	"(`pktlink help specs` lists the spec keys)\n";

static volatile sig_atomic_t cap_stop;

/* cap_on_signal() - end the capture loop; the file is then closed properly. */
static void cap_on_signal(int sig)
{
	(void)sig;
	cap_stop = 1;
}

/* realtime_ns() - wall-clock time for pcap timestamps. */
static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cmd_capture(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "write", required_argument, NULL, 'w' },   { "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' }, { "snaplen", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },	       { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL;
	uint64_t count = 0, v;
	double duration = 0;
	uint32_t snaplen = 262144;
	bool quiet = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":w:c:d:s:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'w':
			out = optarg;
			break;
		case 'c':
			if (util_parse_u64(optarg, 1, UINT64_MAX / 2, &count)) {
				fprintf(stderr, "pktlink capture: --count '%s' is not a positive number\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			if (util_parse_seconds(optarg, 365 * 86400.0, &duration)) {
				fprintf(stderr, "pktlink capture: --duration '%s' is not a duration: write "
						"e.g. 10, 10s or 500ms\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			if (util_parse_u64(optarg, 1, 262144, &v)) {
				fprintf(stderr, "pktlink capture: --snaplen '%s' is not in 1..262144\n",
					optarg);
				return 2;
			}
			snaplen = (uint32_t)v;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(capture_usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "pktlink capture: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "pktlink capture: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pktlink capture: missing the endpoint spec, e.g. "
				"'packet:veth0' (see --help)\n");
		return 2;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "pktlink capture: unexpected argument '%s': give one spec\n",
			argv[optind + 1]);
		return 2;
	}
	if (!out) {
		fprintf(stderr, "pktlink capture: missing -w FILE (the pcap file to write; '-' for "
				"standard output)\n");
		return 2;
	}
	const char *spec = argv[optind];
	struct pktlink_ep *ep = NULL;
	char err[512] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	if (r) {
		fprintf(stderr, "pktlink capture: %s\n", err[0] ? err : pktlink_strerror(r));
		return 1;
	}
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	struct pcapw w;
	r = pcapw_open(&w, out, info.arp_hwtype == 1 ? PCAPW_LINKTYPE_ETHERNET : PCAPW_LINKTYPE_RAW,
		       snaplen);
	if (r) {
		fprintf(stderr, "pktlink capture: cannot create '%s': %s\n", out, strerror(-r));
		pktlink_close(ep);
		return 1;
	}
	struct sigaction sa = { .sa_handler = cap_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	uint64_t end = duration > 0 ? util_now_ns() + (uint64_t)(duration * 1e9) : UINT64_MAX;
	uint64_t got = 0;
	int rc = 0;
	struct pktlink_pkt pkts[64];
	while (!cap_stop && (!count || got < count)) {
		uint64_t now = util_now_ns();
		if (now >= end)
			break;
		uint64_t left_ms = (end - now) / 1000000 + 1;
		int n = pktlink_rx_burst(ep, pkts, 64);
		if (n == 0) {
			/* Sleep in poll, waking at least every 100 ms for the stop checks. */
			pktlink_wait(ep, left_ms < 100 ? (int)left_ms : 100);
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "pktlink capture: receive failed: %s (%s)\n",
				pktlink_strerror(n), pktlink_last_error(ep));
			rc = 1;
			break;
		}
		uint64_t ts = realtime_ns();
		for (int i = 0; i < n && rc == 0; i++) {
			if (count && got >= count)
				break;
			if ((r = pcapw_write(&w, ts, pkts[i].data, pkts[i].len))) {
				fprintf(stderr, "pktlink capture: writing '%s' failed: %s\n", out,
					strerror(-r));
				rc = 1;
			}
			got++;
		}
		pktlink_rx_release(ep, pkts, (unsigned)n);
		if (rc)
			break;
	}
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	if ((r = pcapw_close(&w)) && !rc) {
		fprintf(stderr, "pktlink capture: closing '%s' failed: %s\n", out, strerror(-r));
		rc = 1;
	}
	if (!quiet)
		fprintf(stderr,
			"pktlink capture: %llu frames written to %s; endpoint: %llu received, drops: "
			"%llu kernel, %llu no buffer, %llu filtered, %llu invalid\n",
			(unsigned long long)got, out, (unsigned long long)st.rx_packets,
			(unsigned long long)st.rx_drop_kernel, (unsigned long long)st.rx_drop_nobuf,
			(unsigned long long)st.rx_drop_filter, (unsigned long long)st.rx_drop_invalid);
	pktlink_close(ep);
	return rc ? rc : (cap_stop ? 0 : 0);
}
