/* SPDX-License-Identifier: MIT */
/*
 * cmd_fwd.c — `pktlink fwd <specA> <specB>`: a two-port bridge in pull
 * mode. One thread polls both endpoints; whatever one receives is sent on
 * the other, never back out of the endpoint it came from. A frame the other
 * side does not take after a few tries is dropped and counted (a bridge must
 * not stall one direction for the other). The spec defaults a bridge needs
 * and the loss accounting are in fwd_spec.c and fwd_report.c.
 */
#include "cmds.h"
#include "fwd.h"
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
	"--duration, --count, Ctrl-C or SIGTERM. Prints \"forwarding A <-> B\" on stderr\n"
	"when both endpoints are open, and a summary at the end in which every frame\n"
	"that reached a side is either forwarded or lost for a named reason.\n"
	"\n"
	"A forwarder must take every frame for the far side and keep offload state, so\n"
	"unless a spec sets them itself: packet:, tap: and fd: (Ethernet) endpoints are\n"
	"opened with promisc=1, and packet:, tap: and tun: with vnet_hdr=1 (partial\n"
	"checksums and GSO super-packets are passed on, and completed or segmented by\n"
	"the other side where it cannot take them). Write promisc=0 or vnet_hdr=0 in a\n"
	"spec to turn them off. Both specs must name different endpoints.\n"
	"\n"
	"options:\n"
	"  -d, --duration S     stop after S seconds (e.g. 30, 500ms)\n"
	"  -c, --count N        stop after N frames forwarded (both directions together)\n"
	"  -b, --burst N        frames per receive burst, 1..256 (default 64)\n"
	"  -v, --verbose        print a counts line every --interval seconds\n"
	"  -i, --interval S     seconds between counts lines with -v (default 1)\n"
	"      --json           counts as JSON objects on stdout, one per line: with -v\n"
	"                       one per interval, on SIGUSR1, and the final summary\n"
	"                       (\"final\":true); messages stay on stderr\n"
	"  -q, --quiet          no ready line and no summary\n"
	"  -h, --help           this text\n"
	"\n"
	"SIGUSR1 prints a counts line at once.\n"
	"\n"
	"exit status:\n"
	"  0  stopped as asked (--duration, --count, SIGINT, SIGTERM)\n"
	"  1  an endpoint could not be opened, or failed while forwarding\n"
	"  2  usage error (bad option, wrong number of specs, both specs the same)\n"
	"  3  an endpoint's peer went away (device deleted, shared-memory peer gone)\n"
	"\n"
	"example: pktlink fwd packet:veth1 tap:pl0 -v --duration 60\n";

/* Exit codes (documented in the usage text and README.md). */
enum { FWD_EXIT_OK = 0, FWD_EXIT_FAIL = 1, FWD_EXIT_USAGE = 2, FWD_EXIT_PEER_GONE = 3 };

static volatile sig_atomic_t fwd_stop, fwd_report_now;

/* fwd_on_signal() - SIGINT/SIGTERM stop the loop; SIGUSR1 asks for a counts line. */
static void fwd_on_signal(int sig)
{
	if (sig == SIGUSR1)
		fwd_report_now = 1;
	else
		fwd_stop = 1;
}

/* One side of the bridge. */
struct fwd_side {
	const char *name; /* "A" or "B" */
	char spec[1100]; /* the spec as opened (with defaults) */
	struct pktlink_ep *ep;
	struct fwd_dev dev0; /* device drop counters at open */
	bool has_dev;
	bool dev_swapped; /* TAP/TUN: the device's tx is what we receive, its rx what we send */
	bool tx_csum; /* TX completes partial checksums itself */
	uint32_t gso_kind; /* enum pktlink_gso_kind */
	uint32_t link_len; /* link header bytes (14 or 0) */
	uint32_t mtu;
};

/* RX-only metadata a sending endpoint must not see (pktlink.h: zero on TX). */
#define FWD_RX_ONLY_FLAGS                                                                      \
	(PKTLINK_PKT_TXBUF | PKTLINK_PKT_TSTAMP | PKTLINK_PKT_TSTAMP_HW | PKTLINK_PKT_RX_HASH | \
	 PKTLINK_PKT_MARK)

/*
 * fwd_send() - send @n frames on @tx, retrying a little while it is full.
 * Return: frames taken; *tx_err gets @tx's negative errno when it failed
 * (its peer went away).
 */
static unsigned fwd_send(struct pktlink_ep *tx, struct pktlink_pkt *out, unsigned n, int *tx_err)
{
	unsigned sent = 0;
	struct pollfd pfd = { .fd = pktlink_fd(tx), .events = POLLOUT };
	for (int tries = 0; tries < 16 && sent < n && !*tx_err; tries++) {
		int t = pktlink_tx_burst(tx, out + sent, n - sent);
		if (t < 0) {
			*tx_err = t;
			break;
		}
		sent += (unsigned)t;
		/* Full: give the other side a moment (bounded) to drain. */
		if (t == 0 && tries >= 2)
			poll(&pfd, 1, 1);
	}
	return sent;
}

/* Room for one super-packet's segments when the sending side has no GSO:
 * 64 KiB of payload cut into segments of any MTU, with headers repeated. */
#define FWD_SEG_MAX 64
#define FWD_SEG_BUF (FWD_SEG_MAX * 2048 + 65536)

/*
 * fwd_segment_send() - a GSO super-packet for a side without GSO: cut it
 * and send the segments. Return: 1 when every segment was taken, 0 when
 * some were not (the frame counts as tx_full), -1 when it cannot be cut.
 */
static int fwd_segment_send(struct fwd_side *txs, const struct pktlink_pkt *p, int *tx_err)
{
	static uint8_t buf[FWD_SEG_BUF];
	struct pktlink_pkt segs[FWD_SEG_MAX];
	uint32_t seg_cap = txs->mtu + txs->link_len + 4; /* room for a VLAN tag */
	int k = fwd_gso_segment(p, txs->link_len, buf, sizeof(buf), seg_cap, segs, FWD_SEG_MAX);
	if (k < 0)
		return -1;
	return fwd_send(txs->ep, segs, (unsigned)k, tx_err) == (unsigned)k;
}

/*
 * fwd_burst() - move one burst from @rxs to @txs. Return: frames received
 * (>= 0), or the negative errno of the receiving side. *tx_err gets the
 * sending side's negative errno when it failed; the frames not taken are
 * then counted as tx_full.
 */
static int fwd_burst(struct fwd_side *rxs, struct fwd_side *txs, unsigned burst,
		     struct fwd_dir *d, uint64_t limit, uint64_t *total, int *tx_err)
{
	struct pktlink_ep *rx = rxs->ep, *tx = txs->ep;
	struct pktlink_pkt in[256], out[256];
	unsigned want = burst;
	if (limit && limit - *total < want)
		want = (unsigned)(limit - *total);
	if (!want)
		return 0;
	int n = pktlink_rx_burst(rx, in, want);
	if (n <= 0)
		return n;
	unsigned sent = 0, invalid = 0, pend = 0; /* out[pend..i) wait to be sent */
	for (int i = 0; i < n; i++) {
		/* Hand the other side plain frames: same bytes, offload fields
		 * and VLAN tag, none of the receiving endpoint's handles or RX
		 * metadata. */
		struct pktlink_pkt *o = &out[i];
		*o = in[i];
		o->flags &= (uint16_t)~FWD_RX_ONLY_FLAGS;
		o->priv = 0;
		o->priv2 = 0;
		o->queue = 0;
		o->rx_hash = 0;
		o->mark = 0;
		o->timestamp = 0;
		o->reserved[0] = 0;
		o->reserved0 = 0;
		d->bytes += o->len;
		/* What the sending side cannot take is done here (a side
		 * whose caps say it completes or segments is left to it). */
		if (o->gso_type && txs->gso_kind == PKTLINK_GSO_KIND_NONE) {
			sent += fwd_send(tx, out + pend, (unsigned)i - pend, tx_err);
			int r = fwd_segment_send(txs, o, tx_err);
			if (r < 0)
				invalid++;
			sent += r > 0;
			d->segmented += r > 0;
			pend = (unsigned)i + 1;
		} else if ((o->flags & PKTLINK_PKT_CSUM_PARTIAL) && !txs->tx_csum) {
			if (!fwd_csum_complete(o)) {
				sent += fwd_send(tx, out + pend, (unsigned)i - pend, tx_err);
				invalid++;
				pend = (unsigned)i + 1;
			}
		}
	}
	sent += fwd_send(tx, out + pend, (unsigned)n - pend, tx_err);
	d->rx += (unsigned)n;
	d->fwd += sent;
	d->tx_full += (unsigned)n - sent - invalid;
	d->invalid += invalid;
	*total += sent;
	pktlink_rx_release(rx, in, (unsigned)n);
	return n;
}

/* side_open() - open one side with the defaults a bridge needs. Return 0 or 1 (exit code). */
static int side_open(struct fwd_side *s, const char *user_spec)
{
	int r = fwd_spec_defaults(user_spec, s->spec, sizeof(s->spec));
	if (r == -ENAMETOOLONG) {
		fprintf(stderr, "pktlink fwd: %s (%s): spec too long\n", s->name, user_spec);
		return FWD_EXIT_USAGE;
	}
	if (r) /* no family prefix: let the library explain */
		snprintf(s->spec, sizeof(s->spec), "%s", user_spec);
	char err[512] = "";
	r = pktlink_open(s->spec, &s->ep, err, sizeof(err));
	if (r) {
		fprintf(stderr, "pktlink fwd: %s (%s): %s\n", s->name, s->spec,
			err[0] ? err : pktlink_strerror(r));
		return FWD_EXIT_FAIL;
	}
	struct pktlink_info info;
	pktlink_get_info(s->ep, &info);
	s->link_len = info.max_header_len;
	s->tx_csum = info.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD;
	s->gso_kind = info.gso_kind;
	s->mtu = info.mtu;
	/* The device behind packet:/tap:/tun:/xdp: endpoints, for its drop counters. */
	const char *c = strchr(s->spec, ':');
	if (c && strncmp(s->spec, "fd:", 3) && strncmp(s->spec, "shm:", 4)) {
		size_t n = strcspn(c + 1, "?");
		if (n < sizeof(s->dev0.name)) {
			memcpy(s->dev0.name, c + 1, n);
			s->dev0.name[n] = '\0';
			s->has_dev = fwd_dev_read(s->dev0.name, &s->dev0) == 0;
			s->dev_swapped = !strncmp(s->spec, "tap:", 4) || !strncmp(s->spec, "tun:", 4);
		}
	}
	return 0;
}

/* side_dev_drops() - the device's rx_dropped and tx_dropped since open (0 without a device). */
static void side_dev_drops(const struct fwd_side *s, uint64_t *rx, uint64_t *tx)
{
	struct fwd_dev now = { 0 };
	*rx = *tx = 0;
	if (!s->has_dev || fwd_dev_read(s->dev0.name, &now))
		return;
	*rx = now.rx_dropped >= s->dev0.rx_dropped ? now.rx_dropped - s->dev0.rx_dropped : 0;
	*tx = now.tx_dropped >= s->dev0.tx_dropped ? now.tx_dropped - s->dev0.tx_dropped : 0;
	if (s->dev_swapped) {
		uint64_t t = *rx;
		*rx = *tx;
		*tx = t;
	}
}

/* fwd_report() - one counts line (text on stderr, or JSON on stdout). */
static void fwd_report(struct fwd_side *a, struct fwd_side *b, const struct fwd_dir *ab,
		       const struct fwd_dir *ba, double secs, bool json, bool final)
{
	struct pktlink_stats sa, sb;
	pktlink_get_stats(a->ep, &sa);
	pktlink_get_stats(b->ep, &sb);
	struct fwd_counts cab, cba;
	uint64_t arx, atx, brx, btx;
	side_dev_drops(a, &arx, &atx);
	side_dev_drops(b, &brx, &btx);
	fwd_counts_make(&cab, ab, &sa, &sb, arx, btx);
	fwd_counts_make(&cba, ba, &sb, &sa, brx, atx);
	if (json) {
		printf("{\"final\":%s,\"seconds\":%.3f,\"a\":", final ? "true" : "false", secs);
		fwd_json_str(stdout, a->spec);
		printf(",\"b\":");
		fwd_json_str(stdout, b->spec);
		printf(",\"a_to_b\":");
		fwd_counts_json(stdout, &cab);
		printf(",\"b_to_a\":");
		fwd_counts_json(stdout, &cba);
		printf("}\n");
		fflush(stdout);
		return;
	}
	fprintf(stderr, "pktlink fwd: %s%.2f s: ", final ? "summary after " : "", secs);
	fwd_counts_text(stderr, "A->B", &cab);
	fprintf(stderr, "; ");
	fwd_counts_text(stderr, "B->A", &cba);
	fputc('\n', stderr);
}

/* fwd_parse() - the options. Return -1 to go on, else the exit code. */
struct fwd_opts {
	double duration, interval;
	uint64_t count;
	unsigned burst;
	bool quiet, verbose, json;
};

static int fwd_parse(int argc, char **argv, struct fwd_opts *o)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' }, { "count", required_argument, NULL, 'c' },
		{ "burst", required_argument, NULL, 'b' },    { "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },	      { "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'J' },	      { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":d:c:b:qvi:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'i':
			if (util_parse_seconds(optarg, 365 * 86400.0,
					       c == 'd' ? &o->duration : &o->interval)) {
				fprintf(stderr, "pktlink fwd: --%s '%s' is not a duration: write "
						"e.g. 30, 30s or 500ms\n",
					c == 'd' ? "duration" : "interval", optarg);
				return FWD_EXIT_USAGE;
			}
			break;
		case 'c':
			if (util_parse_u64(optarg, 1, UINT64_MAX / 2, &o->count)) {
				fprintf(stderr, "pktlink fwd: --count '%s' is not a positive number\n",
					optarg);
				return FWD_EXIT_USAGE;
			}
			break;
		case 'b':
			if (util_parse_u64(optarg, 1, 256, &v)) {
				fprintf(stderr, "pktlink fwd: --burst '%s' is not in 1..256\n", optarg);
				return FWD_EXIT_USAGE;
			}
			o->burst = (unsigned)v;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'J':
			o->json = true;
			break;
		case 'h':
			fputs(fwd_usage, stdout);
			return FWD_EXIT_OK;
		case ':':
			fprintf(stderr, "pktlink fwd: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return FWD_EXIT_USAGE;
		default:
			fprintf(stderr, "pktlink fwd: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return FWD_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "pktlink fwd: give exactly two endpoint specs, e.g. "
				"pktlink fwd packet:veth1 tap:pl0 (see --help)\n");
		return FWD_EXIT_USAGE;
	}
	return -1;
}

int cmd_fwd(int argc, char **argv)
{
	struct fwd_opts o = { .interval = 1, .burst = 64 };
	int rc = fwd_parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	const char *sa = argv[optind], *sb = argv[optind + 1];
	char why[256];
	if (fwd_same_endpoint(sa, sb, why, sizeof(why))) {
		fprintf(stderr, "pktlink fwd: %s\n", why);
		return FWD_EXIT_USAGE;
	}
	static struct fwd_side a = { .name = "A" }, b = { .name = "B" };
	if ((rc = side_open(&a, sa)) != 0)
		return rc;
	if ((rc = side_open(&b, sb)) != 0) {
		pktlink_close(a.ep);
		return rc;
	}
	struct sigaction sig = { .sa_handler = fwd_on_signal }; /* no SA_RESTART: poll wakes */
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGUSR1, &sig, NULL);
	if (!o.quiet) {
		fprintf(stderr, "pktlink fwd: forwarding %s <-> %s\n", a.spec, b.spec);
		fflush(stderr);
	}

	struct fwd_dir ab = { 0 }, ba = { 0 };
	uint64_t total = 0, t0 = util_now_ns();
	uint64_t end = o.duration > 0 ? t0 + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
	uint64_t ivl = (uint64_t)(o.interval * 1e9), next = o.verbose ? t0 + ivl : UINT64_MAX;
	struct pollfd pfd[2] = { { pktlink_fd(a.ep), POLLIN, 0 }, { pktlink_fd(b.ep), POLLIN, 0 } };
	while (!fwd_stop && (!o.count || total < o.count)) {
		uint64_t now = util_now_ns();
		if (now >= end)
			break;
		if (fwd_report_now || now >= next) {
			fwd_report_now = 0;
			if (now >= next)
				next += ivl * ((now - next) / ivl + 1);
			fwd_report(&a, &b, &ab, &ba, (double)(now - t0) / 1e9, o.json, false);
		}
		int ta = 0, tb = 0;
		int na = fwd_burst(&a, &b, o.burst, &ab, o.count, &total, &tb);
		int nb = fwd_burst(&b, &a, o.burst, &ba, o.count, &total, &ta);
		if (na < 0 || nb < 0 || ta < 0 || tb < 0) {
			struct fwd_side *bad = na < 0 || ta < 0 ? &a : &b;
			int e = na < 0 ? na : nb < 0 ? nb : ta < 0 ? ta : tb;
			bool gone = e != -EBUSY && e != -EINVAL && e != -ENOMEM;
			const char *detail = pktlink_last_error(bad->ep);
			if (detail[0])
				fprintf(stderr, "pktlink fwd: %s (%s): %s; stopping\n", bad->name,
					bad->spec, detail);
			else
				fprintf(stderr, "pktlink fwd: %s (%s): %s: %s; stopping\n", bad->name,
					bad->spec, gone ? "the peer went away" : "failed",
					pktlink_strerror(e));
			rc = gone ? FWD_EXIT_PEER_GONE : FWD_EXIT_FAIL;
			break;
		}
		if (na == 0 && nb == 0) {
			/* Both idle: sleep until one is readable, at most 100 ms
			 * (or the next report) so the stop conditions are checked.
			 * Spurious wake-ups are fine. */
			uint64_t until = end < next ? end : next;
			uint64_t left = until > now ? (until - now) / 1000000 + 1 : 0;
			poll(pfd, 2, left < 100 ? (int)left : 100);
		}
	}
	if (rc < 0)
		rc = FWD_EXIT_OK;
	double secs = (double)(util_now_ns() - t0) / 1e9;
	if (!o.quiet || o.json)
		fwd_report(&a, &b, &ab, &ba, secs, o.json, true);
	pktlink_close(a.ep);
	pktlink_close(b.ep);
	return rc;
}
