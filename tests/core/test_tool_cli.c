/* SPDX-License-Identifier: MIT */
/*
 * test_tool_cli: the pktlink command-line tool as a user runs it.
 *
 *   - bad options and arguments: exit status 2 and a message that names
 *     the option (no root needed);
 *   - `pktlink capture` on a veth pair writes a pcap file holding exactly
 *     the frames sent (netns);
 *   - `pktlink fwd` bridges two veth pairs both ways (netns);
 *   - `pktlink gen` sends exactly --count frames into a sink, with live
 *     frames and with the veth loop (--loop) (netns);
 *   - `pktlink bench --json` carries its header and per-row median, min and
 *     max (parsed with jq);
 *   - `pktlink bench` runs a short generator-only and, with the fd family,
 *     a short packet-mmap scenario and prints its table (netns; checks that
 *     it runs and cleans up, never a figure);
 *   - `pktlink bench` with the raw SPSC limit row (and shm/c2s, which names
 *     it as its limit) prints the limit columns and the machine-load line,
 *     and --json carries the limit, the fraction and the foreign load
 *     (no generator needed).
 *
 * The binary is <build>/pktlink, found next to this test's directory
 * (or $PKTLINK_BIN). Not built → the cases skip.
 */
#include "harness.h"
#include "tool_testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pktlink/pktlink.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bad input: exit 2 and the option named in the message. */
static int bad_options(void)
{
	if (!find_bin())
		return PLT_SKIP;
	static struct proc p;
	PLT_CHECK(RUN(&p, 10, "frobnicate") == 2 && strstr(p.buf, "unknown command 'frobnicate'"),
		  "unknown command: %s", p.buf);
	PLT_CHECK(run(&p, 10, (const char *const[]){ NULL }) == 2 && strstr(p.buf, "usage"),
		  "no command: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--runs", "0") == 2 && strstr(p.buf, "--runs '0'"),
		  "runs 0: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--duration", "fast") == 2 && strstr(p.buf, "--duration"),
		  "duration: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--frame-len", "20") == 2 && strstr(p.buf, "--frame-len"),
		  "frame-len: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--cpu-gen", "999") == 2 && strstr(p.buf, "--cpu-gen"),
		  "cpu: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--bogus") == 2 && strstr(p.buf, "--bogus"), "bogus: %s",
		  p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--runs") == 2 && strstr(p.buf, "needs a value"),
		  "missing value: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "bench", "--scenarios", "no-such-scenario") == 2 &&
			  strstr(p.buf, "no scenario matches"),
		  "filter: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "capture", "packet:lo") == 2 && strstr(p.buf, "-w"), "no -w: %s",
		  p.buf);
	PLT_CHECK(RUN(&p, 10, "capture", "-w", "/tmp/x.pcap") == 2 && strstr(p.buf, "spec"),
		  "no spec: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "capture", "packet:lo", "-w", "/tmp/x", "-c", "-5") == 2 &&
			  strstr(p.buf, "--count"),
		  "count: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "fwd", "packet:lo") == 2 && strstr(p.buf, "two endpoint specs"),
		  "fwd one spec: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "fwd", "a:b", "c:d", "--burst", "999") == 2 &&
			  strstr(p.buf, "--burst"),
		  "fwd burst: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "info") == 2, "info without argument: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "info", "nosuchfamily:x") == 1 &&
			  strstr(p.buf, "unknown endpoint family"),
		  "info bad family: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "info", "plt-nonexist0") == 1 && strstr(p.buf, "no interface"),
		  "info missing device: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "help", "nosuchtopic") == 2, "help topic: %s", p.buf);
	return 0;
}

/* Every command has --help, and `help specs` prints the library's text. */
static int helps(void)
{
	if (!find_bin())
		return PLT_SKIP;
	static struct proc p;
	const char *cmds[] = { "bench", "info", "status", "fwd", "capture", "gen" };
	for (unsigned i = 0; i < 6; i++)
		PLT_CHECK(RUN(&p, 10, cmds[i], "--help") == 0 && strstr(p.buf, "usage: pktlink"),
			  "%s --help: %s", cmds[i], p.buf);
	PLT_CHECK(RUN(&p, 10, "help", "specs") == 0, "help specs");
	const char *h = pktlink_spec_help();
	if (*h)
		PLT_CHECK(!strncmp(p.buf, h, strlen(h) < 40 ? strlen(h) : 40),
			  "help specs differs from pktlink_spec_help()");
	PLT_CHECK(RUN(&p, 10, "bench", "--list") == 0 && strstr(p.buf, "generator/xdp-drop") &&
			  strstr(p.buf, "dpdk-af_packet/rxdrop"),
		  "bench --list: %s", p.buf);
#ifdef PKTLINK_HAVE_FD
	PLT_CHECK(strstr(p.buf, "packet-mmap/rxdrop") && strstr(p.buf, "tap/txonly"),
		  "fd scenarios listed: %s", p.buf);
#endif
	PLT_CHECK(RUN(&p, 10, "version") == 0 && strstr(p.buf, "pktlink "), "version");
	return 0;
}

#ifdef PKTLINK_HAVE_FD
/* send_frames() - send @n copies of @f on @spec's endpoint, one every 20 ms,
 * while @p runs (the receiver may need a moment to start). */
static unsigned send_until_exit(const char *spec, const uint8_t *f, uint32_t len, struct proc *p,
				unsigned max)
{
	struct pktlink_ep *ep;
	char err[256];
	PLT_CHECK(pktlink_open(spec, &ep, err, sizeof(err)) == 0, "open %s: %s", spec, err);
	unsigned sent = 0;
	for (unsigned i = 0; i < max; i++) {
		if (waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
			p->pid = -p->pid; /* reaped */
			break;
		}
		struct pktlink_pkt pk = { .data = (uint8_t *)f, .len = len };
		if (pktlink_tx_burst(ep, &pk, 1) == 1)
			sent++;
		usleep(20000);
	}
	pktlink_close(ep);
	return sent;
}

/* finish_reaped() - like finish() for a child send_until_exit() may have reaped. */
static void finish_reaped(struct proc *p, int timeout_s)
{
	if (p->pid < 0) {
		/* already reaped: just drain the output */
		struct pollfd pfd = { p->out, POLLIN, 0 };
		while (poll(&pfd, 1, 100) > 0) {
			ssize_t n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
			if (n <= 0)
				break;
			p->len += (size_t)n;
		}
		p->buf[p->len] = '\0';
		close(p->out);
		return;
	}
	finish(p, timeout_s);
}

/* capture: 5 frames sent on a veth end arrive, byte-exact, in the pcap file. */
static int capture(void)
{
	if (!find_bin())
		return PLT_SKIP;
	plt_veth("pltc0", "pltc1", 1500, NULL, NULL);
	uint8_t m0[6], m1[6], f[128];
	plt_mac("pltc0", m0);
	plt_mac("pltc1", m1);
	uint32_t len = plt_build_udp(f, m1, m0, PLT_IP(198, 18, 5, 1), PLT_IP(198, 18, 5, 2), 1234,
				     5678, NULL, 40);
	char path[] = "/tmp/pktlink-test-capture-XXXXXX";
	int fd = mkstemp(path);
	PLT_CHECK(fd >= 0, "mkstemp");
	close(fd);
	static struct proc p;
	spawn(&p, (const char *const[]){ "capture", "packet:pltc1?dispatch=mmap", "-w", path, "-c",
					 "5", "--duration", "20", NULL });
	unsigned sent = send_until_exit("packet:pltc0", f, len, &p, 600);
	finish_reaped(&p, 20);
	int st = p.status;
	PLT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "capture failed (%#x): %s", st, p.buf);
	PLT_CHECK(strstr(p.buf, "5 packets captured"), "summary: %s", p.buf);
	PLT_CHECK(sent >= 5, "sent only %u", sent);

	uint8_t buf[4096];
	FILE *fp = fopen(path, "rb");
	PLT_CHECK(fp, "open pcap");
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	unlink(path);
	uint32_t u;
	memcpy(&u, buf, 4);
	PLT_CHECK(n >= 24 && u == 0xa1b23c4d, "magic");
	memcpy(&u, buf + 20, 4);
	PLT_CHECK(u == 1, "linktype Ethernet");
	size_t off = 24;
	unsigned recs = 0;
	while (off + 16 <= n) {
		uint32_t h[4];
		memcpy(h, buf + off, 16);
		PLT_CHECK(h[1] < 1000000000u, "ns field %u", h[1]);
		PLT_CHECK(h[2] == len && h[3] == len, "record %u: length %u/%u, want %u", recs, h[2],
			  h[3], len);
		PLT_CHECK(off + 16 + h[2] <= n, "truncated file");
		PLT_CHECK(!memcmp(buf + off + 16, f, len), "record %u bytes differ", recs);
		off += 16 + h[2];
		recs++;
	}
	PLT_CHECK(recs == 5 && off == n, "%u records, %zu of %zu bytes", recs, off, n);

	/* info on a device of our own: read-only, names the driver. */
	PLT_CHECK(RUN(&p, 10, "info", "pltc1") == 0 && strstr(p.buf, "veth") &&
			  strstr(p.buf, "mtu:       1500") && strstr(p.buf, "xdp"),
		  "info pltc1: %s", p.buf);
	PLT_CHECK(RUN(&p, 10, "info", "packet:pltc1?dispatch=mmap") == 0 &&
			  strstr(p.buf, "family:         fd") && strstr(p.buf, "ethernet"),
		  "info spec: %s", p.buf);
	return 0;
}

/* fwd: frames into A's veth come out of B's veth and back, unchanged. */
static int fwd(void)
{
	if (!find_bin())
		return PLT_SKIP;
	plt_veth("pltfa0", "pltfa1", 1500, NULL, NULL);
	plt_veth("pltfb0", "pltfb1", 1500, NULL, NULL);
	uint8_t ma0[6], ma1[6], f[128], g[128];
	plt_mac("pltfa0", ma0);
	plt_mac("pltfa1", ma1);
	uint32_t len = plt_build_udp(f, ma1, ma0, PLT_IP(198, 18, 6, 1), PLT_IP(198, 18, 6, 2), 1111,
				     2222, NULL, 30);
	static struct proc p;
	/* Stopped by SIGTERM once frames went both ways: with --count the
	 * test could not tell how many of its (resent) frames fwd takes from
	 * each direction before it stops. */
	spawn(&p, (const char *const[]){ "fwd", "packet:pltfa1", "packet:pltfb1?promisc=1",
					 "--duration", "60", NULL });
	/* Receive on B's far end (promiscuous: the frames keep A's MACs),
	 * and send B->A frames from there too. */
	struct pktlink_ep *rx;
	char err[256];
	PLT_CHECK(pktlink_open("packet:pltfb0?promisc=1", &rx, err, sizeof(err)) == 0, "%s", err);
	uint8_t mb1[6], mb0[6];
	plt_mac("pltfb1", mb1);
	plt_mac("pltfb0", mb0);
	uint32_t glen = plt_build_udp(g, mb1, mb0, PLT_IP(198, 18, 6, 2), PLT_IP(198, 18, 6, 1),
				      2222, 1111, NULL, 30);
	struct pktlink_ep *a0;
	PLT_CHECK(pktlink_open("packet:pltfa0?promisc=1", &a0, err, sizeof(err)) == 0, "%s", err);
	unsigned got_ab = 0, got_ba = 0;
	uint64_t end = plt_now_ns() + (uint64_t)PLT_WAIT_MS * 1000000ull;
	while (plt_now_ns() < end && (got_ab < 3 || got_ba < 3)) {
		struct pktlink_pkt pk = { .data = f, .len = len };
		if (got_ab < 3)
			pktlink_tx_burst(a0, &pk, 1);
		struct pktlink_pkt pk2 = { .data = g, .len = glen };
		if (got_ba < 3)
			pktlink_tx_burst(rx, &pk2, 1);
		usleep(20000);
		struct pktlink_pkt in[16];
		int n = pktlink_rx_burst(rx, in, 16);
		for (int i = 0; i < n; i++)
			if (in[i].len == len && !memcmp(in[i].data, f, len))
				got_ab++;
		if (n > 0)
			pktlink_rx_release(rx, in, (unsigned)n);
		n = pktlink_rx_burst(a0, in, 16);
		for (int i = 0; i < n; i++)
			if (in[i].len == glen && !memcmp(in[i].data, g, glen))
				got_ba++;
		if (n > 0)
			pktlink_rx_release(a0, in, (unsigned)n);
	}
	pktlink_close(rx);
	pktlink_close(a0);
	kill(p.pid, SIGTERM);
	finish(&p, 20);
	PLT_CHECK(got_ab >= 3 && got_ba >= 3, "A->B %u, B->A %u frames arrived; fwd said: %s",
		  got_ab, got_ba, p.buf);
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0, "fwd exit %#x: %s", p.status,
		  p.buf);
	PLT_CHECK(strstr(p.buf, "A->B") && strstr(p.buf, "forwarded"), "stats: %s", p.buf);
	return 0;
}
#endif

/*
 * gen_counts() - exactly --count frames leave pltg0 and the sink on pltg1
 * counts exactly those, with the generator this kernel allows or (@loop)
 * the veth loop. The namespace leaves IPv6 on for new devices, as a user's
 * does, so the loop's own pair would carry the stack's solicitations if it
 * let them in; nothing but the generator's frames may be copied out.
 */
static int gen_counts(bool loop)
{
	const char *m = loop ? "--loop" : NULL; /* ends the list when NULL */
	static struct proc p;
	int r = run(&p, 30,
		    (const char *const[]){ "gen", "pltg0", "--count", "5000", "--sink", "pltg1",
					   "--duration", "20", m, NULL });
	if (r != 0 && strstr(p.buf, "without the BPF traffic generator"))
		return PLT_SKIP;
	PLT_CHECK(r == 0, "gen %s exit %d: %s", m ? m : "", r, p.buf);
	PLT_CHECK(!loop || strstr(p.buf, "veth loop"), "--loop did not run the loop: %s", p.buf);
	PLT_CHECK(strstr(p.buf, "5000 frames of 64 bytes out of pltg0") &&
			  strstr(p.buf, "sink on pltg1 counted 5000 frames\n"),
		  "counts: %s", p.buf);
	/* The sink was detached again: a second run can attach it. */
	r = run(&p, 30,
		(const char *const[]){ "gen", "pltg0", "--count", "10", "--len", "128", "--sink",
				       "pltg1", m, NULL });
	PLT_CHECK(r == 0 && strstr(p.buf, "sink on pltg1 counted 10 frames\n"), "second run: %s",
		  p.buf);
	return 0;
}

/* gen: --count with the kernel's generator, then with the veth loop. */
static int gen_count(void)
{
	if (!find_bin())
		return PLT_SKIP;
	plt_veth("pltg0", "pltg1", 1500, NULL, NULL);
	plt_sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=0 >/dev/null 2>&1");
	int r = gen_counts(false);
	if (r)
		return r;
	if ((r = gen_counts(true)))
		return r;
	static struct proc p;
	PLT_CHECK(RUN(&p, 10, "gen", "pltg0", "--batch", "0") == 2 && strstr(p.buf, "--batch"),
		  "bad batch: %s", p.buf);
	return 0;
}

/* bench: a short run prints its table and leaves no device behind. */
/* row_ok() - the table line of @row (it starts the line) says every run
 * succeeded ("2/2" for two runs). */
static bool row_ok(const char *buf, const char *row, const char *runs)
{
	size_t n = strlen(row);
	for (const char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, row, n) || l[n] != ' ')
			continue;
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		char line[512];
		if (len > sizeof(line) - 1)
			len = sizeof(line) - 1;
		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		return strstr(line, runs) != NULL;
	}
	return false;
}

static int bench_smoke(void)
{
	if (!find_bin())
		return PLT_SKIP;
	static struct proc p;
	const char *filter = "generator"
#ifdef PKTLINK_HAVE_FD
			     ",packet-mmap/rxdrop,tap/txonly"
#endif
		;
	int r = RUN(&p, 90, "bench", "--runs", "2", "--duration", "200ms", "--warmup", "100ms",
		    "--scenarios", filter);
	if (r != 0 && strstr(p.buf, "no generator"))
		return PLT_SKIP; /* built without clang */
	PLT_CHECK(r == 0, "bench exit %d: %s", r, p.buf);
	PLT_CHECK(row_ok(p.buf, "generator/xdp-drop", "2/2") && strstr(p.buf, "Mpps"), "table: %s",
		  p.buf);
#ifdef PKTLINK_HAVE_FD
	PLT_CHECK(row_ok(p.buf, "packet-mmap/rxdrop", "2/2") && row_ok(p.buf, "tap/txonly", "2/2"),
		  "fd rows: %s", p.buf);
#endif
	/* The bench made its own namespace: nothing of it shows up here. */
	PLT_CHECK(plt_sh("ip link show plbg0 >/dev/null 2>&1") != 0, "plbg0 leaked");
	/* JSON mode parses as one object line. */
	r = RUN(&p, 60, "bench", "--runs", "1", "--duration", "100ms", "--warmup", "0",
		"--scenarios", "generator", "--json");
	PLT_CHECK(r == 0 && p.buf[0] == '{' && strstr(p.buf, "\"scenarios\":["), "json: %s", p.buf);
	return 0;
}

/* bench --json: a header (version, kernel, CPU, load, options) and per-row
 * median/min/max, checked by parsing the output with jq. */
static int bench_json(void)
{
	if (!find_bin())
		return PLT_SKIP;
	if (plt_sh("command -v jq >/dev/null")) {
		fprintf(stderr, "SKIP: jq missing: run scripts/deps.sh\n");
		return PLT_SKIP;
	}
	static struct proc p;
	char path[] = "/tmp/pktlink-test-bench-XXXXXX";
	int fd = mkstemp(path);
	PLT_CHECK(fd >= 0, "mkstemp");
	close(fd);
	int r = RUN(&p, 90, "bench", "-r", "1", "-d", "0.2", "--warmup", "0", "--scenarios",
		    "generator", "--json-out", path);
	if (r != 0 && strstr(p.buf, "no generator")) {
		unlink(path);
		return PLT_SKIP; /* built without clang */
	}
	PLT_CHECK(r == 0, "bench exit %d: %s", r, p.buf);
	int bad = plt_sh(
		"jq -e '(.header | (.pktlink_version | type == \"string\") and (.kernel | length > 0) "
		"and (.cpu_model | length > 0) and (.load_before | length == 3) and "
		"(.load_after | length == 3) and (.started | test(\"^[0-9-]+T\")) and "
		".options.runs == 1 and .options.duration_s == 0.2 and .options.scenarios == "
		"\"generator\") and ([.scenarios[].name] == [\"generator/xdp-drop\", "
		"\"generator/stack-drop\"]) and all(.scenarios[]; .stats.mpps | .runs == 1 and "
		".min > 0 and .min <= .median and .median <= .max)' %s >/dev/null",
		path);
	if (bad)
		plt_sh("cat %s >&2", path);
	unlink(path);
	PLT_CHECK(!bad, "bench --json output does not hold what it must (printed above)");
	return 0;
}

/* bench: the limit row (a two-process ring, no generator), the limit columns
 * and the foreign-load summary, in the table and in --json. Selecting shm/c2s
 * alone must bring its limit along. Never checks a figure's size: the machine
 * may be loaded (then the WARNING line is expected, not an error). */
static int bench_limit(void)
{
	if (!find_bin())
		return PLT_SKIP;
	static struct proc p;
#ifdef PKTLINK_HAVE_SHM
	const char *filter = "shm/c2s";
#else
	const char *filter = "limit-spsc/c2s";
#endif
	int r = RUN(&p, 90, "bench", "-r", "2", "-d", "0.2", "--warmup", "0", "-s", filter);
	PLT_CHECK(r == 0, "bench exit %d: %s", r, p.buf);
	PLT_CHECK(strstr(p.buf, "limit-spsc/c2s ") && strstr(p.buf, " of ") &&
			  strstr(p.buf, "machine load: other work took"),
		  "table: %s", p.buf);
	/* with two CPUs, the distance between them was measured (bench_distance.c) */
	PLT_CHECK(sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
			  strstr(p.buf, "CPU distance: a cache line's round trip between CPU"),
		  "no CPU distance: %s", p.buf);
#ifdef PKTLINK_HAVE_SHM
	/* shm/c2s's row: "... <limit Mpps> <NN%> 2/2" */
	const char *row = strstr(p.buf, "\nshm/c2s ");
	PLT_CHECK(row && strchr(row, '%') && strchr(row, '%') < strstr(row, "2/2"),
		  "no fraction of the limit on shm/c2s: %s", p.buf);
#endif
	if (plt_sh("command -v jq >/dev/null")) {
		fprintf(stderr, "SKIP (json part): jq missing: run scripts/deps.sh\n");
		return 0;
	}
	char path[] = "/tmp/pktlink-test-bench-XXXXXX";
	int fd = mkstemp(path);
	PLT_CHECK(fd >= 0, "mkstemp");
	close(fd);
	r = RUN(&p, 90, "bench", "-r", "1", "-d", "0.2", "--warmup", "0", "-s", filter,
		"--json-out", path);
	PLT_CHECK(r == 0, "bench exit %d: %s", r, p.buf);
	int bad = plt_sh(
		"jq -e '(.header.foreign_load | (.runs_sampled >= 1) and (.max_cpus | type == "
		"\"number\") and (.unreliable | type == \"boolean\") and .warn_above_cpus > 0) "
		"and (.header.cpu_distance | (.runs_measured | type == \"number\") and "
		"(.unreliable | type == \"boolean\") and .warn_above_ratio > 1) "
		"and (.scenarios[] | select(.name == \"limit-spsc/c2s\") | .family == \"limit\" "
		"and .limit == null and .mpps > 0 and (.runs[0].foreign_cpus | type == "
		"\"number\"))%s' %s >/dev/null",
#ifdef PKTLINK_HAVE_SHM
		" and (.scenarios[] | select(.name == \"shm/c2s\") | .limit == "
		"\"limit-spsc/c2s\" and .limit_mpps > 0 and .of_limit > 0)",
#else
		"",
#endif
		path);
	if (bad)
		plt_sh("cat %s >&2", path);
	unlink(path);
	PLT_CHECK(!bad, "bench --json limit/load fields missing (printed above)");
	return 0;
}

static const struct plt_case cases[] = {
	{ "bad_options", bad_options, PLT_UNIT, 60 },
	{ "helps", helps, PLT_UNIT, 60 },
#ifdef PKTLINK_HAVE_FD
	{ "capture", capture, PLT_NETNS, 60 },
	{ "fwd", fwd, PLT_NETNS, 60 },
#endif
	{ "gen_count", gen_count, PLT_NETNS, 90 },
	{ "bench_smoke", bench_smoke, PLT_NETNS, 150 },
	{ "bench_json", bench_json, PLT_NETNS, 120 },
	{ "bench_limit", bench_limit, PLT_NETNS, 120 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
