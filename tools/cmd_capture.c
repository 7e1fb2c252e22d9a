/* SPDX-License-Identifier: MIT */
/*
 * cmd_capture.c — `pktlink capture`: record what tcpdump records on the same
 * device, into pcap or pcapng.
 *
 * Sources:
 *   - any endpoint spec, received in pull mode. packet: endpoints are opened
 *     with outgoing frames included, promiscuous and without pktlink's MAC
 *     filter (ignore_outgoing=0, promisc=1), and every fd-family endpoint
 *     with kernel RX timestamps (timestamp=1), unless the spec says otherwise, and the filter
 *     expression is attached to their sockets so that the kernel filters;
 *   - xdp:IFNAME without --steal: an XDP program copies received frames to
 *     a ring buffer and passes them on (capture_xdp.c), so the kernel keeps
 *     its traffic. With --steal the AF_XDP endpoint takes the frames.
 * Every frame gets its own stamp: the kernel's or the device's where the
 * source gives one, else one read in user space when the frame is handled,
 * which pcapng marks on the record.
 */
#include "capture_filter.h"
#include "capture_xdp.h"
#include "cmds.h"
#include "json.h"
#include "pcapw.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pktlink/pktlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef PKTLINK_HAVE_FD
#include <pktlink/fd.h>
#endif

static const char capture_usage[] =
	"usage: pktlink capture [-i] <spec|ifname> -w FILE [options] [filter expression]\n"
	"\n"
	"Record frames into a pcap or pcapng file, like tcpdump -w. An interface name\n"
	"means packet:IFNAME. By default a packet: endpoint records both directions and\n"
	"every MAC (the spec's ignore_outgoing and promisc keys default to 0 and 1 here),\n"
	"each frame with the kernel's receive timestamp. The filter expression is\n"
	"tcpdump's (pcap-filter(7)); on packet: endpoints the kernel runs it.\n"
	"xdp:IFNAME leaves every frame to the kernel (an XDP program copies received\n"
	"frames and passes them on, storing at most 16384 bytes of each; XDP sees received\n"
	"frames only, and the filter runs in user space there); --steal opens the\n"
	"AF_XDP endpoint instead, and the kernel then does not see what it takes.\n"
	"\n"
	"options:\n"
	"  -i, --interface SPEC  the device or endpoint (else the first argument)\n"
	"  -w, --write FILE      the file to write ('-' = standard output, live)\n"
	"      --pcapng          write pcapng (also when FILE ends in .pcapng)\n"
	"      --pcap            write pcap (nanosecond timestamps; the default)\n"
	"  -c, --count N         stop after N frames\n"
	"  -d, --duration S      stop after S seconds (e.g. 10, 500ms)\n"
	"  -s, --snaplen N       bytes stored per frame, 1..262144 (default 262144; 0 = all)\n"
	"  -U, --packet-buffered write each frame out at once (standard output and\n"
	"                        pipes get each burst at once anyway)\n"
	"  -C, --file-size MB    start a new file past MB million bytes (FILE, FILE1, ...)\n"
	"  -G, --rotate-seconds S  start a new file every S seconds (strftime in FILE)\n"
	"  -W, --file-count N    with -C/-G: keep N files, reusing FILE0..FILE<N-1>\n"
	"      --steal           xdp: take the frames from the kernel (AF_XDP endpoint)\n"
	"      --xdp-mode M      xdp: without --steal: auto, drv or skb (default auto)\n"
	"  -v, --verbose         print counts every --interval seconds (default 1)\n"
	"      --interval S      seconds between count lines (implies -v)\n"
	"  -j, --json            counts and the summary as JSON (standard output, or\n"
	"                        standard error when writing to '-')\n"
	"  -q, --quiet           no ready line and no summary\n"
	"  -h, --help            this text\n"
	"\n"
	"It prints one \"capturing on ...\" line when ready, counts on SIGUSR1, and a\n"
	"summary at the end (tcpdump's three counts, then pktlink's).\n"
	"exit status: 0 stopped by -c, -d or a signal (SIGINT, SIGTERM); 1 the source\n"
	"or the file failed (write errors end the capture at once); 2 usage error.\n"
	"\n"
	"examples: pktlink capture veth0 -w /tmp/x.pcapng icmp\n"
	"          pktlink capture 'packet:veth0?dispatch=mmap' -w - | tshark -r - \n"
	"          pktlink capture xdp:veth0 -w /tmp/x.pcap -c 100 udp port 53\n"
	"(`pktlink help specs` lists the spec keys)\n";

static volatile sig_atomic_t cap_stop, cap_report;

static void cap_on_signal(int sig)
{
	if (sig == SIGUSR1)
		cap_report = 1;
	else
		cap_stop = 1;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct cap_opts {
	const char *spec, *out, *xdp_mode;
	char *filter; /* joined from the remaining arguments */
	uint64_t count, rotate_bytes;
	double duration, interval, rotate_secs;
	unsigned rotate_files;
	uint32_t snaplen;
	int pcapng; /* -1: by extension */
	bool packet_buffered, steal, verbose, json, quiet;
};

/* The capture in progress. */
struct cap {
	struct cap_opts o;
	struct pcapw w;
	struct capfilter filt;
	bool kernel_filter; /* the filter runs on the sockets */
	bool live; /* flush after every burst */
	FILE *info; /* where the ready line, counts and summary go */
	uint64_t captured, filtered, ts_kernel, ts_device, ts_soft;
	uint64_t last_flush;
	int werr;
};

/* spec_has_key() - whether the query of @spec sets @key. */
static bool spec_has_key(const char *spec, const char *key)
{
	const char *q = strchr(spec, '?');
	size_t kl = strlen(key);
	while (q) {
		q++;
		if (!strncmp(q, key, kl) && (q[kl] == '=' || q[kl] == '&' || !q[kl]))
			return true;
		q = strchr(q, '&');
	}
	return false;
}

/* spec_add() - append key=value to the spec in @buf unless it sets the key. */
static void spec_add(char *buf, size_t cap, const char *kv)
{
	char key[32];
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(kv, "="), kv);
	if (spec_has_key(buf, key))
		return;
	size_t n = strlen(buf);
	snprintf(buf + n, cap - n, "%c%s", strchr(buf, '?') ? '&' : '?', kv);
}

/* spec_target() - the device or target part of a spec: "packet:veth0?x" -> "veth0". */
static void spec_target(const char *spec, char *out, size_t cap)
{
	const char *c = strchr(spec, ':');
	c = c ? c + 1 : spec;
	snprintf(out, cap, "%.*s", (int)strcspn(c, "?"), c);
}

static const char *linktype_name(uint32_t lt)
{
	return lt == PCAPW_LINKTYPE_ETHERNET ? "EN10MB (Ethernet)" : "RAW (Raw IP)";
}

/* emit() - filter, stamp and write one frame. Return 0 or a write error. */
static int emit(struct cap *c, uint64_t ts, unsigned tsflags, const uint8_t *data,
		uint32_t caplen, uint32_t len, const uint16_t *vlan)
{
	if (c->o.count && c->captured >= c->o.count)
		return 0;
	if (!capfilter_match(&c->filt, data, caplen, len)) {
		c->filtered++;
		return 0;
	}
	struct iovec iov[3];
	unsigned n = 0;
	uint8_t tag[4];
	if (vlan && caplen >= 12) {
		/* The kernel took the 802.1Q tag out of the frame; tcpdump puts it back. */
		tag[0] = (uint8_t)(vlan[1] >> 8);
		tag[1] = (uint8_t)vlan[1];
		tag[2] = (uint8_t)(vlan[0] >> 8);
		tag[3] = (uint8_t)vlan[0];
		iov[n++] = (struct iovec){ (void *)data, 12 };
		iov[n++] = (struct iovec){ tag, 4 };
		iov[n++] = (struct iovec){ (void *)(data + 12), caplen - 12 };
		len += 4;
	} else {
		iov[n++] = (struct iovec){ (void *)data, caplen };
	}
	int r = pcapw_writev(&c->w, ts, iov, n, len, tsflags, ts);
	if (r)
		return c->werr = r;
	c->captured++;
	if (tsflags & PCAPW_REC_SOFT_TS)
		c->ts_soft++;
	else if (tsflags & PCAPW_REC_HW_TS)
		c->ts_device++;
	else
		c->ts_kernel++;
	return 0;
}

/* Counters of the source, for the count lines and the summary. */
struct cap_src_stats {
	uint64_t received, kernel_drops, other_drops;
};

static void print_counts(struct cap *c, const struct cap_src_stats *s, bool final)
{
	if (c->o.quiet && !final)
		return;
	if (c->o.json) {
		struct json j;
		json_init(&j, c->info);
		json_obj(&j);
		json_kstr(&j, "type", final ? "summary" : "counts");
		json_ku64(&j, "captured", c->captured);
		json_ku64(&j, "received", s->received);
		json_ku64(&j, "dropped_kernel", s->kernel_drops);
		json_ku64(&j, "dropped_other", s->other_drops);
		json_ku64(&j, "filtered_user", c->filtered);
		json_ku64(&j, "bytes_written", c->w.bytes);
		json_ku64(&j, "files", c->w.file_no);
		json_key(&j, "timestamps");
		json_obj(&j);
		json_ku64(&j, "kernel", c->ts_kernel);
		json_ku64(&j, "device", c->ts_device);
		json_ku64(&j, "software", c->ts_soft);
		json_end(&j);
		json_done(&j);
		return;
	}
	if (!final) {
		fprintf(c->info,
			"pktlink capture: %llu packets captured, %llu received, %llu dropped by "
			"kernel, %llu bytes written\n",
			(unsigned long long)c->captured, (unsigned long long)s->received,
			(unsigned long long)s->kernel_drops, (unsigned long long)c->w.bytes);
		return;
	}
	fprintf(c->info,
		"%llu packets captured\n%llu packets received by filter\n%llu packets dropped by "
		"kernel\n",
		(unsigned long long)c->captured, (unsigned long long)s->received,
		(unsigned long long)s->kernel_drops);
	fprintf(c->info,
		"pktlink capture: %llu bytes in %u file%s; %llu other drops, %llu filtered in user "
		"space; timestamps: %llu kernel, %llu device, %llu software\n",
		(unsigned long long)c->w.bytes, c->w.file_no, c->w.file_no == 1 ? "" : "s",
		(unsigned long long)s->other_drops, (unsigned long long)c->filtered,
		(unsigned long long)c->ts_kernel, (unsigned long long)c->ts_device,
		(unsigned long long)c->ts_soft);
}

/* flush_live() - hand what is buffered to a live reader, and to the disk once a second. */
static int flush_live(struct cap *c, uint64_t now)
{
	if (!c->live && now - c->last_flush < 1000000000ull)
		return 0;
	c->last_flush = now;
	int r = pcapw_flush(&c->w);
	return r ? (c->werr = r) : 0;
}

static void report_write_error(struct cap *c)
{
	fprintf(stderr, "pktlink capture: writing '%s' failed: %s; stopping\n", c->w.cur,
		strerror(-c->werr));
}

/* ---- endpoint source ---- */

static void ep_stats(struct pktlink_ep *ep, struct cap_src_stats *s)
{
	struct pktlink_stats st;
	memset(&st, 0, sizeof(st));
	pktlink_get_stats(ep, &st);
	s->received = st.rx_packets;
	s->kernel_drops = st.rx_drop_kernel;
	s->other_drops = st.rx_drop_nobuf + st.rx_drop_invalid + st.rx_drop_filter;
}

static int run_endpoint(struct cap *c, struct pktlink_ep *ep)
{
	uint64_t start = util_now_ns();
	uint64_t end = c->o.duration > 0 ? start + (uint64_t)(c->o.duration * 1e9) : UINT64_MAX;
	uint64_t every = (uint64_t)(c->o.interval * 1e9), next = start + every;
	struct pktlink_pkt pkts[64];
	struct cap_src_stats s;
	int rc = 0;
	while (!cap_stop && (!c->o.count || c->captured < c->o.count)) {
		uint64_t now = util_now_ns();
		if (now >= end)
			break;
		if (cap_report || (c->o.verbose && now >= next)) {
			cap_report = 0;
			next = now + every;
			ep_stats(ep, &s);
			print_counts(c, &s, false);
		}
		int n = pktlink_rx_burst(ep, pkts, 64);
		if (n == 0) {
			if (flush_live(c, realtime_ns())) {
				report_write_error(c);
				return 1;
			}
			uint64_t left_ms = (end - now) / 1000000 + 1;
			pktlink_wait(ep, left_ms < 100 ? (int)left_ms : 100);
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "pktlink capture: receive failed: %s (%s)\n",
				pktlink_strerror(n), pktlink_last_error(ep));
			rc = 1;
			break;
		}
		for (int i = 0; i < n && !c->werr; i++) {
			const struct pktlink_pkt *p = &pkts[i];
			uint64_t ts;
			unsigned fl = 0;
			if (p->flags & PKTLINK_PKT_TSTAMP) {
				ts = p->timestamp;
				if (p->flags & PKTLINK_PKT_TSTAMP_HW)
					fl = PCAPW_REC_HW_TS;
			} else {
				ts = realtime_ns();
				fl = PCAPW_REC_SOFT_TS;
			}
			uint16_t vlan[2] = { p->vlan_tci, p->vlan_proto ? p->vlan_proto : 0x8100 };
			bool tagged = (p->flags & PKTLINK_PKT_VLAN) &&
				      c->w.cfg.linktype == PCAPW_LINKTYPE_ETHERNET;
			emit(c, ts, fl, p->data, p->len, p->len, tagged ? vlan : NULL);
		}
		pktlink_rx_release(ep, pkts, (unsigned)n);
		if (c->werr || flush_live(c, realtime_ns())) {
			report_write_error(c);
			return 1;
		}
	}
	return rc;
}

/* ---- xdp source without stealing ---- */

static int on_xdp_frame(void *ctx, uint64_t ts, enum capxdp_ts src, const uint8_t *data,
			uint32_t caplen, uint32_t len)
{
	struct cap *c = ctx;
	return emit(c, ts, src == CAPXDP_TS_DEVICE ? PCAPW_REC_HW_TS : 0, data, caplen, len, NULL);
}

static int run_xdp(struct cap *c, struct capxdp *x, uint64_t *received)
{
	uint64_t start = util_now_ns();
	uint64_t end = c->o.duration > 0 ? start + (uint64_t)(c->o.duration * 1e9) : UINT64_MAX;
	uint64_t every = (uint64_t)(c->o.interval * 1e9), next = start + every;
	struct cap_src_stats s = { 0 };
	while (!cap_stop && (!c->o.count || c->captured < c->o.count)) {
		uint64_t now = util_now_ns();
		if (now >= end)
			break;
		if (cap_report || (c->o.verbose && now >= next)) {
			cap_report = 0;
			next = now + every;
			s.received = c->captured + c->filtered;
			s.kernel_drops = capxdp_lost(x);
			print_counts(c, &s, false);
		}
		uint64_t left_ms = (end - now) / 1000000 + 1;
		int n = capxdp_poll(x, left_ms < 100 ? (int)left_ms : 100);
		if (c->werr || flush_live(c, realtime_ns())) {
			report_write_error(c);
			return 1;
		}
		if (n < 0) {
			fprintf(stderr, "pktlink capture: reading the XDP ring failed: %s\n",
				strerror(-n));
			return 1;
		}
	}
	*received = c->captured + c->filtered;
	return 0;
}

/* ---- options ---- */

static int parse_opts(int argc, char **argv, struct cap_opts *o)
{
	enum { O_PCAPNG = 256, O_PCAP, O_STEAL, O_XDPMODE, O_INTERVAL };
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "packet-buffered", no_argument, NULL, 'U' },
		{ "file-size", required_argument, NULL, 'C' },
		{ "rotate-seconds", required_argument, NULL, 'G' },
		{ "file-count", required_argument, NULL, 'W' },
		{ "pcapng", no_argument, NULL, O_PCAPNG },
		{ "pcap", no_argument, NULL, O_PCAP },
		{ "steal", no_argument, NULL, O_STEAL },
		{ "xdp-mode", required_argument, NULL, O_XDPMODE },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	memset(o, 0, sizeof(*o));
	o->snaplen = PCAPW_MAX_SNAPLEN;
	o->pcapng = -1;
	o->interval = 1;
	o->xdp_mode = "auto";
	optind = 1;
	opterr = 0;
	int ch;
	uint64_t v;
	/* Options may follow the spec and the expression, as with tcpdump;
	 * "--" ends them for an expression with a word that starts with '-'. */
	while ((ch = getopt_long(argc, argv, ":i:w:c:d:s:UC:G:W:vjqh", lo, NULL)) != -1) {
		switch (ch) {
		case 'i':
			o->spec = optarg;
			break;
		case 'w':
			o->out = optarg;
			break;
		case 'c':
			if (util_parse_u64(optarg, 1, UINT64_MAX / 2, &o->count)) {
				fprintf(stderr, "pktlink capture: --count '%s' is not a positive number\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			if (util_parse_seconds(optarg, 365 * 86400.0, &o->duration)) {
				fprintf(stderr, "pktlink capture: --duration '%s' is not a duration: write "
						"e.g. 10, 10s or 500ms\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			if (!strcmp(optarg, "0")) {
				o->snaplen = PCAPW_MAX_SNAPLEN;
			} else if (util_parse_u64(optarg, 1, PCAPW_MAX_SNAPLEN, &v)) {
				fprintf(stderr, "pktlink capture: --snaplen '%s' is not in 0..262144\n",
					optarg);
				return 2;
			} else {
				o->snaplen = (uint32_t)v;
			}
			break;
		case 'U':
			o->packet_buffered = true;
			break;
		case 'C':
			if (util_parse_u64(optarg, 1, 1000000, &v)) {
				fprintf(stderr, "pktlink capture: --file-size '%s' is not a size in "
						"millions of bytes (1..1000000)\n",
					optarg);
				return 2;
			}
			o->rotate_bytes = v * 1000000;
			break;
		case 'G':
			if (util_parse_seconds(optarg, 365 * 86400.0, &o->rotate_secs)) {
				fprintf(stderr, "pktlink capture: --rotate-seconds '%s' is not a "
						"duration\n",
					optarg);
				return 2;
			}
			break;
		case 'W':
			if (util_parse_u64(optarg, 1, 1000000, &v)) {
				fprintf(stderr, "pktlink capture: --file-count '%s' is not in "
						"1..1000000\n",
					optarg);
				return 2;
			}
			o->rotate_files = (unsigned)v;
			break;
		case O_PCAPNG:
			o->pcapng = 1;
			break;
		case O_PCAP:
			o->pcapng = 0;
			break;
		case O_STEAL:
			o->steal = true;
			break;
		case O_XDPMODE:
			if (strcmp(optarg, "auto") && strcmp(optarg, "drv") && strcmp(optarg, "skb")) {
				fprintf(stderr, "pktlink capture: --xdp-mode '%s': write auto, drv or "
						"skb\n",
					optarg);
				return 2;
			}
			o->xdp_mode = optarg;
			break;
		case O_INTERVAL:
			if (util_parse_seconds(optarg, 86400.0, &o->interval)) {
				fprintf(stderr, "pktlink capture: --interval '%s' is not a duration\n",
					optarg);
				return 2;
			}
			o->verbose = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(capture_usage, stdout);
			return -1;
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
	if (!o->spec) {
		if (optind >= argc) {
			fprintf(stderr, "pktlink capture: missing the device or endpoint spec, e.g. "
					"veth0 or 'packet:veth0' (see --help)\n");
			return 2;
		}
		o->spec = argv[optind++];
	}
	if (!o->out) {
		fprintf(stderr, "pktlink capture: missing -w FILE (the file to write; '-' for "
				"standard output)\n");
		return 2;
	}
	if (!strcmp(o->out, "-") && (o->rotate_bytes || o->rotate_secs || o->rotate_files)) {
		fprintf(stderr, "pktlink capture: -C, -G and -W need a file name, not '-'\n");
		return 2;
	}
	if (o->rotate_files && !o->rotate_bytes && !o->rotate_secs) {
		fprintf(stderr, "pktlink capture: -W needs -C or -G (it bounds their files)\n");
		return 2;
	}
	if (optind < argc) {
		size_t len = 1;
		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		o->filter = calloc(1, len);
		if (!o->filter)
			return 1;
		for (int i = optind; i < argc; i++) {
			strcat(o->filter, argv[i]);
			if (i + 1 < argc)
				strcat(o->filter, " ");
		}
	}
	return 0;
}

/* open_endpoint() - open @spec with capture's defaults; *kernel_ts says
 * whether the endpoint was asked for kernel timestamps. */
static int open_endpoint(const char *spec_in, struct pktlink_ep **ep, bool *kernel_ts)
{
	char spec[2048];
	if (!strchr(spec_in, ':'))
		snprintf(spec, sizeof(spec), "packet:%s", spec_in);
	else
		snprintf(spec, sizeof(spec), "%s", spec_in);
	if (strlen(spec) > sizeof(spec) - 128) {
		fprintf(stderr, "pktlink capture: the spec is too long\n");
		return 2;
	}
	bool packet = !strncmp(spec, "packet:", 7), tap = !strncmp(spec, "tap:", 4);
	if (packet) {
		spec_add(spec, sizeof(spec), "ignore_outgoing=0");
		spec_add(spec, sizeof(spec), "promisc=1");
	} else if (tap) {
		spec_add(spec, sizeof(spec), "promisc=1");
	}
	char err[512] = "";
	int r = -EINVAL;
	*kernel_ts = false;
	bool fdfam = packet || tap || !strncmp(spec, "tun:", 4) || !strncmp(spec, "fd:", 3);
	if (fdfam && !spec_has_key(spec, "timestamp")) {
		char ts_spec[2048];
		snprintf(ts_spec, sizeof(ts_spec), "%s", spec);
		spec_add(ts_spec, sizeof(ts_spec), "timestamp=1");
		/* A library without the key refuses it: open without, and stamp
		 * in user space. */
		r = pktlink_open(ts_spec, ep, err, sizeof(err));
		*kernel_ts = !r;
	}
	if (r) {
		err[0] = '\0';
		r = pktlink_open(spec, ep, err, sizeof(err));
		if (!r && spec_has_key(spec, "timestamp"))
			*kernel_ts = true;
	}
	if (r) {
		fprintf(stderr, "pktlink capture: %s\n", err[0] ? err : pktlink_strerror(r));
		return 1;
	}
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	struct cap c;
	memset(&c, 0, sizeof(c));
	int r = parse_opts(argc, argv, &c.o);
	if (r)
		return r < 0 ? 0 : r;
	int rc = 1;
	bool xdp_copy = !strncmp(c.o.spec, "xdp:", 4) && !c.o.steal;
	char ifname[IF_NAMESIZE + 64];
	spec_target(c.o.spec, ifname, sizeof(ifname));
	struct pktlink_ep *ep = NULL;
	struct capxdp *x = NULL;
	bool kernel_ts = false;
	uint32_t linktype = PCAPW_LINKTYPE_ETHERNET;
	char err[512] = "";

	if (!xdp_copy) {
		if ((r = open_endpoint(c.o.spec, &ep, &kernel_ts)))
			goto out;
		struct pktlink_info info;
		pktlink_get_info(ep, &info);
		linktype = info.arp_hwtype == 1 ? PCAPW_LINKTYPE_ETHERNET : PCAPW_LINKTYPE_RAW;
	}
	if (c.o.filter && (r = capfilter_compile(&c.filt, c.o.filter, linktype, err, sizeof(err)))) {
		fprintf(stderr, "pktlink capture: %s\n", err);
		rc = r == -EINVAL ? 2 : 1;
		goto out;
	}
#ifdef PKTLINK_HAVE_FD
	if (ep && c.filt.prog) {
		unsigned n;
		const struct sock_filter *ins = capfilter_insns(&c.filt, &n);
		r = pktlink_packet_set_filter(ep, ins, n);
		c.kernel_filter = !r;
		if (r && r != -EINVAL) {
			fprintf(stderr, "pktlink capture: the kernel refused the filter program: %s\n",
				strerror(-r));
			goto out;
		}
	}
#endif
	if (xdp_copy) {
		uint32_t snap = c.o.snaplen < 16384 ? c.o.snaplen : 16384;
		r = capxdp_open(&x, ifname, c.o.xdp_mode, snap, on_xdp_frame, &c, err, sizeof(err));
		if (r) {
			fprintf(stderr, "pktlink capture: %s\n", err);
			goto out;
		}
	}

	struct stat sb;
	bool to_stdout = !strcmp(c.o.out, "-");
	c.live = c.o.packet_buffered || to_stdout ||
		 (!stat(c.o.out, &sb) && (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode)));
	bool ng = c.o.pcapng >= 0 ? c.o.pcapng
				  : (strlen(c.o.out) > 7 &&
				     !strcmp(c.o.out + strlen(c.o.out) - 7, ".pcapng"));
	struct pcapw_cfg wc = {
		.linktype = linktype,
		.snaplen = c.o.snaplen,
		.pcapng = ng,
		.packet_buffered = c.o.packet_buffered,
		.ifname = ifname,
		.ifdesc = c.o.spec,
		.filter = c.o.filter,
		.rotate_bytes = c.o.rotate_bytes,
		.rotate_ns = (uint64_t)(c.o.rotate_secs * 1e9),
		.rotate_files = c.o.rotate_files,
	};
	if ((r = pcapw_open_cfg(&c.w, c.o.out, &wc))) {
		fprintf(stderr, "pktlink capture: cannot create '%s': %s\n", c.o.out, strerror(-r));
		goto out;
	}
	c.info = c.o.json && !to_stdout ? stdout : stderr;
	if (to_stdout)
		setvbuf(stderr, NULL, _IOLBF, 0);

	struct sigaction sa = { .sa_handler = cap_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!c.o.quiet) {
		char filt[600] = "";
		if (c.o.filter)
			snprintf(filt, sizeof(filt), " (filter \"%s\"%s)", c.o.filter,
				 c.kernel_filter ? ", in the kernel" : ", in user space");
		const char *ts = xdp_copy ? "kernel or device timestamps"
				 : kernel_ts ? "kernel timestamps"
					     : "software timestamps (the source gives none)";
		fprintf(stderr,
			"pktlink capture: capturing on %s%s, link-type %s, snapshot length %u bytes, "
			"%s, writing %s to %s\n",
			c.o.spec, filt, linktype_name(linktype), c.o.snaplen, ts,
			ng ? "pcapng" : "pcap", c.o.out);
		if (xdp_copy)
			fprintf(stderr,
				"pktlink capture: not taking frames from the kernel: an XDP program "
				"copies received frames and passes them on (%s); --steal takes them\n",
				capxdp_describe(x));
		else if (!strncmp(c.o.spec, "xdp:", 4))
			fprintf(stderr, "pktlink capture: --steal: frames of the captured queues go "
					"to this capture, not to the kernel, until it ends\n");
	}

	struct cap_src_stats s = { 0 };
	uint64_t start_ns = realtime_ns();
	if (x) {
		rc = run_xdp(&c, x, &s.received);
		s.kernel_drops = capxdp_lost(x);
	} else {
		rc = run_endpoint(&c, ep);
		ep_stats(ep, &s);
	}
	struct pcapw_stats ps = { .start_ns = start_ns,
				  .end_ns = realtime_ns(),
				  .ifrecv = s.received,
				  .osdrop = s.kernel_drops,
				  .filteraccept = s.received - c.filtered,
				  .usrdeliv = c.captured };
	if ((r = pcapw_close_stats(&c.w, &ps)) && !rc) {
		fprintf(stderr, "pktlink capture: writing '%s' failed: %s\n", c.w.cur, strerror(-r));
		rc = 1;
	}
	if (!c.o.quiet || c.o.json)
		print_counts(&c, &s, true);
out:
	capxdp_close(x);
	if (ep)
		pktlink_close(ep);
	capfilter_free(&c.filt);
	free(c.o.filter);
	return rc;
}
