/* SPDX-License-Identifier: MIT */
/*
 * cmd_fwd.c — `pktlink fwd <specA> <specB>`: a two-port bridge in pull
 * mode. One thread polls both endpoints; whatever one receives is sent on
 * the other. A frame the other side does not take after a few tries is
 * dropped and counted (a bridge must not stall one direction for the other).
 */
#include "cmds.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pktlink/pktlink.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char fwd_usage[] =
	"usage: pktlink fwd <specA> <specB> [options]\n"
	"\n"
	"Forward frames both ways between two endpoints (A -> B and B -> A) until\n"
	"--duration, --count or Ctrl-C; prints per-direction statistics on exit.\n"
	"\n"
	"options:\n"
	"  -d, --duration S     stop after S seconds (e.g. 30, 500ms)\n"
	"  -c, --count N        stop after N frames forwarded (both directions together)\n"
	"  -b, --burst N        frames per receive burst, 1..256 (default 64)\n"
	"  -q, --quiet          no statistics on exit\n"
	"  -h, --help           this text\n"
	"\n"
	"example: pktlink fwd 'packet:veth1?dispatch=mmap' tap:pl0 --duration 60\n";

static volatile sig_atomic_t fwd_stop;

/* fwd_on_signal() - stop the loop; statistics are then printed and endpoints closed. */
static void fwd_on_signal(int sig)
{
	(void)sig;
	fwd_stop = 1;
}

/* Per-direction counters. */
struct fwd_dir {
	uint64_t fwd, dropped;
};

/*
 * fwd_burst() - move one burst from @rx to @tx. Return: frames received
 * (>= 0), or the negative errno from @rx. A tx error is not fatal: those
 * frames are counted as dropped.
 */
static int fwd_burst(struct pktlink_ep *rx, struct pktlink_ep *tx, unsigned burst,
		     struct fwd_dir *d, uint64_t limit, uint64_t *total)
{
	struct pktlink_pkt in[256], out[256];
	unsigned want = burst;
	if (limit && limit - *total < want)
		want = (unsigned)(limit - *total);
	if (!want)
		return 0;
	int n = pktlink_rx_burst(rx, in, want);
	if (n <= 0)
		return n;
	/* Hand the other side plain frames: same bytes and offload fields,
	 * none of the receiving endpoint's private handle. */
	for (int i = 0; i < n; i++) {
		out[i] = in[i];
		out[i].flags &= (uint16_t)~PKTLINK_PKT_TXBUF;
		out[i].priv = 0;
		out[i].queue = 0;
	}
	unsigned sent = 0;
	for (int tries = 0; tries < 8 && sent < (unsigned)n; tries++) {
		int t = pktlink_tx_burst(tx, out + sent, (unsigned)n - sent);
		if (t < 0)
			break;
		sent += (unsigned)t;
	}
	d->fwd += sent;
	d->dropped += (unsigned)n - sent;
	*total += sent;
	pktlink_rx_release(rx, in, (unsigned)n);
	return n;
}

/* print_ep_stats() - one endpoint's counters on stderr. */
static void print_ep_stats(const char *name, const char *spec, struct pktlink_ep *ep)
{
	struct pktlink_stats s;
	pktlink_get_stats(ep, &s);
	fprintf(stderr,
		"  %s %s: rx %llu pkts %llu bytes, tx %llu pkts %llu bytes; drops: rx kernel %llu, "
		"nobuf %llu, filter %llu, invalid %llu; tx invalid %llu, errors %llu\n",
		name, spec, (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes,
		(unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes,
		(unsigned long long)s.rx_drop_kernel, (unsigned long long)s.rx_drop_nobuf,
		(unsigned long long)s.rx_drop_filter, (unsigned long long)s.rx_drop_invalid,
		(unsigned long long)s.tx_drop_invalid, (unsigned long long)s.tx_errors);
}

int cmd_fwd(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' }, { "count", required_argument, NULL, 'c' },
		{ "burst", required_argument, NULL, 'b' },    { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },	      { 0 },
	};
	double duration = 0;
	uint64_t count = 0, v;
	unsigned burst = 64;
	bool quiet = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":d:c:b:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (util_parse_seconds(optarg, 365 * 86400.0, &duration)) {
				fprintf(stderr, "pktlink fwd: --duration '%s' is not a duration: write "
						"e.g. 30, 30s or 500ms\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			if (util_parse_u64(optarg, 1, UINT64_MAX / 2, &count)) {
				fprintf(stderr, "pktlink fwd: --count '%s' is not a positive number\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			if (util_parse_u64(optarg, 1, 256, &v)) {
				fprintf(stderr, "pktlink fwd: --burst '%s' is not in 1..256\n", optarg);
				return 2;
			}
			burst = (unsigned)v;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(fwd_usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "pktlink fwd: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "pktlink fwd: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "pktlink fwd: give exactly two endpoint specs, e.g. "
				"pktlink fwd packet:veth1 tap:pl0 (see --help)\n");
		return 2;
	}
	const char *sa = argv[optind], *sb = argv[optind + 1];
	struct pktlink_ep *a = NULL, *b = NULL;
	char err[512] = "";
	int r = pktlink_open(sa, &a, err, sizeof(err));
	if (r) {
		fprintf(stderr, "pktlink fwd: A (%s): %s\n", sa, err[0] ? err : pktlink_strerror(r));
		return 1;
	}
	r = pktlink_open(sb, &b, err, sizeof(err));
	if (r) {
		fprintf(stderr, "pktlink fwd: B (%s): %s\n", sb, err[0] ? err : pktlink_strerror(r));
		pktlink_close(a);
		return 1;
	}
	struct sigaction sig = { .sa_handler = fwd_on_signal };
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);

	struct fwd_dir ab = { 0 }, ba = { 0 };
	uint64_t total = 0, t0 = util_now_ns();
	uint64_t end = duration > 0 ? t0 + (uint64_t)(duration * 1e9) : UINT64_MAX;
	int rc = 0;
	struct pollfd pfd[2] = { { pktlink_fd(a), POLLIN, 0 }, { pktlink_fd(b), POLLIN, 0 } };
	while (!fwd_stop && (!count || total < count)) {
		uint64_t now = util_now_ns();
		if (now >= end)
			break;
		int na = fwd_burst(a, b, burst, &ab, count, &total);
		int nb = fwd_burst(b, a, burst, &ba, count, &total);
		if (na < 0 || nb < 0) {
			int e = na < 0 ? na : nb;
			struct pktlink_ep *bad = na < 0 ? a : b;
			fprintf(stderr, "pktlink fwd: %s: receive failed: %s (%s)\n",
				na < 0 ? "A" : "B", pktlink_strerror(e), pktlink_last_error(bad));
			rc = 1;
			break;
		}
		if (na == 0 && nb == 0) {
			/* Both idle: sleep until one is readable, at most 100 ms so
			 * the stop conditions are checked. Spurious wake-ups are fine. */
			uint64_t left = (end - now) / 1000000 + 1;
			poll(pfd, 2, left < 100 ? (int)left : 100);
		}
	}
	double secs = (double)(util_now_ns() - t0) / 1e9;
	if (!quiet) {
		fprintf(stderr,
			"pktlink fwd: %.2f s; A->B %llu forwarded, %llu dropped; B->A %llu forwarded, "
			"%llu dropped\n",
			secs, (unsigned long long)ab.fwd, (unsigned long long)ab.dropped,
			(unsigned long long)ba.fwd, (unsigned long long)ba.dropped);
		print_ep_stats("A", sa, a);
		print_ep_stats("B", sb, b);
	}
	pktlink_close(a);
	pktlink_close(b);
	return rc;
}
