/* SPDX-License-Identifier: MIT */
/*
 * cmd_gen.c — `pktlink gen <ifname>`: the benchmark's traffic generator on
 * its own, for driving other programs (a peer under test, tcpdump, ...).
 * Runs pl_gen_tx with BPF_PROG_RUN in live-frames mode, ingress <ifname>:
 * every frame goes out of <ifname> as if the driver had transmitted it with
 * XDP_TX. On a veth that means into its peer, which must run NAPI (GRO on,
 * or an XDP program attached) or the frames are dropped (see tools/gen.h).
 * Where the kernel refuses live frames, the generator runs as a veth loop of
 * its own ("loop mode" in tools/gen.h).
 *
 * Acts only on the devices named on the command line and on the loop's own
 * veth pair, which it creates and deletes; attaches a sink only with --sink,
 * and never replaces an XDP program already there.
 */
#include "cmds.h"
#include "gen.h"
#include "nl.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char gen_usage[] =
	"usage: pktlink gen <ifname> [options]\n"
	"\n"
	"Send UDP frames out of <ifname> with the in-kernel XDP generator (BPF_PROG_RUN in\n"
	"live-frames mode, Linux 5.18+; root). On a veth, the frames arrive at its peer,\n"
	"which must run NAPI: GRO on (ethtool -K PEER gro on) or an XDP program attached.\n"
	"Where the kernel refuses live frames, the generator runs as a loop on a veth pair of\n"
	"its own (plgl<ifindex>a/b, created next to <ifname> and deleted on exit) that sends\n"
	"copies of each frame out of <ifname> (--batch does not apply there); --loop asks for\n"
	"it on any kernel.\n"
	"Stops after --duration, --count or Ctrl-C, then prints what it sent.\n"
	"\n"
	"options:\n"
	"  -d, --duration S     run for S seconds (default 5; e.g. 10, 500ms)\n"
	"  -c, --count N        stop after N frames\n"
	"      --len N          frame length, 60..1514 bytes (default 64)\n"
	"      --dst-mac MAC    destination MAC (default: broadcast)\n"
	"      --src-ip A.B.C.D / --dst-ip A.B.C.D   addresses (default 198.18.0.1 -> 198.18.0.2)\n"
	"      --flows N        cycle the UDP source port over N values (default 1)\n"
	"      --cpu N          pin the generator to CPU N (default: not pinned)\n"
	"      --batch N        frames per in-kernel batch, 1..256 (default 64)\n"
	"      --sink IFNAME    also attach a counting XDP_DROP program to IFNAME (it then drops\n"
	"                       EVERYTHING it receives) and report its count; detached on exit\n"
	"      --loop           generate with the veth loop even where live frames work\n"
	"  -h, --help           this text\n";

static volatile sig_atomic_t gen_stop_flag;

/* gen_on_signal() - end the run; the generator is stopped and programs detached. */
static void gen_on_signal(int sig)
{
	(void)sig;
	gen_stop_flag = 1;
}

/* gen_bad() - report a bad option value with its fix. */
static int gen_bad(const char *opt, const char *val, const char *fix)
{
	fprintf(stderr, "pktlink gen: %s '%s': %s (see --help)\n", opt, val, fix);
	return 2;
}

int cmd_gen(int argc, char **argv)
{
	enum { O_LEN = 256, O_DMAC, O_SIP, O_DIP, O_FLOWS, O_CPU, O_BATCH, O_SINK, O_LOOP };
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' }, { "count", required_argument, NULL, 'c' },
		{ "len", required_argument, NULL, O_LEN },     { "dst-mac", required_argument, NULL, O_DMAC },
		{ "src-ip", required_argument, NULL, O_SIP },  { "dst-ip", required_argument, NULL, O_DIP },
		{ "flows", required_argument, NULL, O_FLOWS }, { "cpu", required_argument, NULL, O_CPU },
		{ "batch", required_argument, NULL, O_BATCH }, { "sink", required_argument, NULL, O_SINK },
		{ "loop", no_argument, NULL, O_LOOP },	       { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	double duration = 5;
	uint64_t count = 0, v;
	uint32_t len = 64, flows = 1, batch = 64;
	int cpu = -1;
	uint8_t dmac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t sip = htonl(0xC6120001), dip = htonl(0xC6120002);
	const char *sink = NULL;
	bool loop = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":d:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (util_parse_seconds(optarg, 86400, &duration))
				return gen_bad("--duration", optarg, "write e.g. 10, 10s or 500ms");
			break;
		case 'c':
			if (util_parse_u64(optarg, 1, UINT64_MAX / 2, &count))
				return gen_bad("--count", optarg, "give a positive number");
			break;
		case O_LEN:
			if (util_parse_u64(optarg, 60, 1514, &v))
				return gen_bad("--len", optarg, "give 60..1514");
			len = (uint32_t)v;
			break;
		case O_DMAC:
			if (util_parse_mac(optarg, dmac))
				return gen_bad("--dst-mac", optarg, "write aa:bb:cc:dd:ee:ff");
			break;
		case O_SIP:
		case O_DIP:
			if (inet_pton(AF_INET, optarg, c == O_SIP ? &sip : &dip) != 1)
				return gen_bad(c == O_SIP ? "--src-ip" : "--dst-ip", optarg,
					       "write an IPv4 address, e.g. 198.18.0.1");
			break;
		case O_FLOWS:
			if (util_parse_u64(optarg, 1, 65535, &v))
				return gen_bad("--flows", optarg, "give 1..65535");
			flows = (uint32_t)v;
			break;
		case O_CPU:
			if (util_parse_u64(optarg, 0, 4095, &v))
				return gen_bad("--cpu", optarg, "give a CPU number");
			cpu = (int)v;
			break;
		case O_BATCH:
			if (util_parse_u64(optarg, 1, 256, &v))
				return gen_bad("--batch", optarg, "give 1..256");
			batch = (uint32_t)v;
			break;
		case O_SINK:
			sink = optarg;
			break;
		case O_LOOP:
			loop = true;
			break;
		case 'h':
			fputs(gen_usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "pktlink gen: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "pktlink gen: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "pktlink gen: give one interface to send from, e.g. pktlink gen "
				"veth0 (see --help)\n");
		return 2;
	}
	const char *dev = argv[optind];
	int ifindex = (int)if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "pktlink gen: no interface '%s' in this network namespace\n", dev);
		return 1;
	}
	int sink_idx = 0;
	if (sink && !(sink_idx = (int)if_nametoindex(sink))) {
		fprintf(stderr, "pktlink gen: no interface '%s' (--sink)\n", sink);
		return 1;
	}
	uint8_t smac[6] = { 0 }, frame[1514];
	nl_mac_get(dev, smac);
	util_build_udp(frame, sizeof(frame), len, dmac, smac, sip, dip, 10000, 9);

	char err[512] = "";
	struct gen *g = NULL;
	if (gen_load(&g, err, sizeof(err))) {
		fprintf(stderr, "pktlink gen: %s\n", err);
		return 1;
	}
	if (loop)
		gen_use_loop(g);
	int rc = 1;
	if (sink_idx && gen_attach(g, sink_idx, GEN_PROG_SINK_DROP, err, sizeof(err))) {
		fprintf(stderr, "pktlink gen: --sink %s: %s (is another XDP program attached?)\n",
			sink, err);
		goto out;
	}
	struct gen_opts go = { .ifindex = ifindex, .cpu = cpu, .frame = frame, .len = len,
			       .nflows = flows, .sport_base = 10000, .batch = batch };
	go.max_frames = count;
	struct sigaction sa = { .sa_handler = gen_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	uint64_t t0 = util_now_ns();
	if (gen_start(g, &go, err, sizeof(err))) {
		fprintf(stderr, "pktlink gen: %s\n", err);
		goto out;
	}
	uint64_t end = t0 + (uint64_t)(duration * 1e9);
	while (!gen_stop_flag && util_now_ns() < end && !gen_finished(g)) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	uint64_t sent = gen_stop(g);
	double secs = (double)(util_now_ns() - t0) / 1e9;
	if (gen_last_error(g))
		fprintf(stderr, "pktlink gen: the generator stopped: %s\n",
			strerror(-gen_last_error(g)));
	printf("pktlink gen: generator: %s\n", gen_describe(g));
	printf("pktlink gen: %llu frames of %u bytes out of %s in %.2f s (%.3f Mpps, generator CPU "
	       "%.0f ns/frame)\n",
	       (unsigned long long)sent, len, dev, secs, (double)sent / secs / 1e6,
	       sent ? (double)gen_cpu_ns(g) / (double)sent : 0.0);
	if (sink_idx)
		printf("pktlink gen: sink on %s counted %llu frames\n", sink,
		       (unsigned long long)gen_count(g));
	rc = gen_last_error(g) ? 1 : 0;
out:
	gen_destroy(g);
	return rc;
}
