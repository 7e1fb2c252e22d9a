/* SPDX-License-Identifier: MIT */
/*
 * bench_cli.c — `pktlink bench` options and usage (see bench_int.h).
 */
#include "bench_int.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- options --------------------------------------------------------------- */


static const char bench_usage[] =
	"usage: pktlink bench [options]\n"
	"\n"
	"Measure pktlink's endpoints on a veth pair in a private network namespace\n"
	"(created and destroyed by this command; nothing outside it is touched).\n"
	"Frames come from an XDP generator (BPF_PROG_RUN, live frames) on the far veth end;\n"
	"transmitted frames are counted by an XDP sink there. Needs root.\n"
	"\n"
	"options:\n"
	"  -d, --duration S     measured window per run (default 2s; e.g. 2, 500ms)\n"
	"  -r, --runs N         runs per scenario, interleaved A B A B ... (default 3, max 50)\n"
	"  -w, --warmup S       warm-up before each window (default 0.3s)\n"
	"  -s, --scenarios F    comma-separated filter: globs or substrings of scenario names\n"
	"                       (e.g. 'packet-*', 'rxdrop', 'tap/txonly,dpdk-tap/txonly')\n"
	"  -p, --peers          also run the reference peers of bench/ (DPDK, libpcap), interleaved\n"
	"      --peer-dir DIR   where the peer programs are (default: <dir of pktlink>/bench)\n"
	"  -l, --list           list the scenarios and exit\n"
	"  -j, --json           print JSON instead of the table\n"
	"      --json-out FILE  print the table and also write the JSON to FILE\n"
	"      --frame-len N    frame length in bytes, 60..1514 (default 64)\n"
	"      --flows N        UDP flows the generator cycles through, 1..65535 (default 1)\n"
	"      --cpu-gen N      CPU of the generator (default 0; -1 = no pinning)\n"
	"      --cpu-dut N      CPU of the measured thread / peer (default 1; -1 = no pinning)\n"
	"      --busy-poll      measured loops spin instead of sleeping in poll()\n"
	"      --dut-queues N   create the veth pair with N RX/TX queues (default 1;\n"
	"                       the *-2q rows need 2)\n"
	"      --timeout S      hard limit for the whole command (default: computed)\n"
	"  -v, --verbose        show per-run figures and setup details\n"
	"  -h, --help           this text\n";

/* opt_fail() - report a bad option with its fix; return the usage exit code. */
static int opt_fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "pktlink bench: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(see `pktlink bench --help`)\n");
	return 2;
}

/* parse_cpu() - a CPU number that exists here, or -1. */
static int parse_cpu(const char *s, int *out)
{
	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	uint64_t v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (util_parse_u64(s, 0, (uint64_t)(ncpu > 0 ? ncpu - 1 : 0), &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* bench_parse() - command line → options. Return 0, or an exit code (2 = usage, -1 = help done). */
int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct bench_opts){ .duration = 2.0, .warmup = 0.3, .runs = 3, .frame_len = 64,
				  .nflows = 1, .cpu_gen = ncpu >= 2 ? 0 : -1,
				  .cpu_dut = ncpu >= 2 ? 1 : -1 };
	enum { O_PEERDIR = 256, O_JSONOUT, O_LEN, O_FLOWS, O_CPUGEN, O_CPUDUT, O_BUSY, O_TIMEOUT,
	       O_DUTQ };
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "runs", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "scenarios", required_argument, NULL, 's' },
		{ "peers", no_argument, NULL, 'p' },
		{ "peer-dir", required_argument, NULL, O_PEERDIR },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "json-out", required_argument, NULL, O_JSONOUT },
		{ "frame-len", required_argument, NULL, O_LEN },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "cpu-gen", required_argument, NULL, O_CPUGEN },
		{ "cpu-dut", required_argument, NULL, O_CPUDUT },
		{ "busy-poll", no_argument, NULL, O_BUSY },
		{ "dut-queues", required_argument, NULL, O_DUTQ },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	opterr = 0;
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, ":d:r:w:s:pljvh", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (util_parse_seconds(optarg, 600, &o->duration))
				return opt_fail("--duration '%s' is not a duration in (0, 600] s: "
						"write e.g. 2, 2s or 500ms%s",
						optarg, "");
			break;
		case 'w':
			if (strcmp(optarg, "0") && util_parse_seconds(optarg, 60, &o->warmup))
				return opt_fail("--warmup '%s' is not a duration in [0, 60] s: "
						"write e.g. 0.3 or 300ms%s",
						optarg, "");
			if (!strcmp(optarg, "0"))
				o->warmup = 0;
			break;
		case 'r':
			if (util_parse_u64(optarg, 1, BENCH_MAX_RUNS, &v))
				return opt_fail("--runs '%s' is not a number in 1..50%s", optarg, "");
			o->runs = (unsigned)v;
			break;
		case 's':
			o->filter = optarg;
			break;
		case 'p':
			o->peers = true;
			break;
		case O_PEERDIR:
			o->peer_dir = optarg;
			break;
		case 'l':
			o->list = true;
			break;
		case 'j':
			o->json = true;
			break;
		case O_JSONOUT:
			o->json_out = optarg;
			break;
		case O_LEN:
			if (util_parse_u64(optarg, 60, 1514, &v))
				return opt_fail("--frame-len '%s' is not a length in 60..1514 bytes%s",
						optarg, "");
			o->frame_len = (uint32_t)v;
			break;
		case O_FLOWS:
			if (util_parse_u64(optarg, 1, 65535, &v))
				return opt_fail("--flows '%s' is not a number in 1..65535%s", optarg,
						"");
			o->nflows = (uint32_t)v;
			break;
		case O_CPUGEN:
			if (parse_cpu(optarg, &o->cpu_gen))
				return opt_fail("--cpu-gen '%s' is not an online CPU number (0..N-1) "
						"or -1%s",
						optarg, "");
			break;
		case O_CPUDUT:
			if (parse_cpu(optarg, &o->cpu_dut))
				return opt_fail("--cpu-dut '%s' is not an online CPU number (0..N-1) "
						"or -1%s",
						optarg, "");
			break;
		case O_BUSY:
			o->busy = true;
			break;
		case O_DUTQ:
			if (util_parse_u64(optarg, 1, 16, &v))
				return opt_fail("--dut-queues '%s' is not a number in 1..16%s", optarg,
						"");
			o->dut_queues = (uint32_t)v;
			break;
		case O_TIMEOUT:
			if (util_parse_seconds(optarg, 24 * 3600, &o->timeout))
				return opt_fail("--timeout '%s' is not a duration%s", optarg, "");
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(bench_usage, stdout);
			return -1;
		case ':':
			return opt_fail("option '%s' needs a value%s", argv[optind - 1], "");
		default:
			return opt_fail("unknown option '%s'%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return opt_fail("unexpected argument '%s': bench takes only options%s", argv[optind],
				"");
	return 0;
}

/* selected() - whether scenario @s runs with these options. */
bool selected(const struct bench_opts *o, const struct bench_scenario *s)
{
	bool named = o->filter && util_match_filter(o->filter, s->name);
	if ((s->flags & BENCH_F_PEER) && !o->peers && !named)
		return false;
	if ((s->flags & BENCH_F_EXTRA_RUN) && !named)
		return false;
	return util_match_filter(o->filter, s->name);
}

