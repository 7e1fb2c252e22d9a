/* SPDX-License-Identifier: MIT */
/*
 * test_tool_capture: `pktlink capture` records what tcpdump records.
 *
 * Each case runs in a private network namespace with a veth pair whose far
 * end sits in a second namespace (a child that only holds it), so that a
 * ping crosses the veth:
 *   - tcpdump, pktlink (pcapng) and pktlink (pcap) capture the same ping
 *     with the filter "icmp": same packet count, requests and replies,
 *     capinfos -t tells pcapng from pcap, every frame has its own stamp
 *     (request and reply differ);
 *   - xdp: without --steal the ping still gets every reply, and the file
 *     holds the received frames; with --steal the capture says so and the
 *     kernel misses the frames;
 *   - -w - is live: records reach the reader before the capture ends;
 *   - -s cuts records and keeps the wire length; --interval and SIGUSR1
 *     print counts, --json as JSON lines with a summary (parsed by jq);
 *   - -G/-W rotation makes several files; a bad filter expression is a
 *     usage error; a write error (-w /dev/full) ends the capture at once.
 * Needs tcpdump, tshark and capinfos (scripts/deps.sh installs them).
 */
#include "harness.h"
#include "tool_testlib.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>

static pid_t peer_ns = -1;

/* two_ns_veth() - veth pltc0 (here, 198.18.5.1) <-> pltc1 (in a child's
 * namespace, 198.18.5.2), both up. */
static void two_ns_veth(void)
{
	int pfd[2];
	PLT_CHECK(pipe(pfd) == 0, "pipe");
	peer_ns = fork();
	PLT_CHECK(peer_ns >= 0, "fork");
	if (peer_ns == 0) {
		char c = unshare(CLONE_NEWNET) ? 'e' : 'k';
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		/* Bounded: the namespace holder never outlives the case for long. */
		sleep(120);
		_exit(0);
	}
	char c = 0;
	PLT_CHECK(read(pfd[0], &c, 1) == 1 && c == 'k', "unshare in the peer");
	close(pfd[0]);
	close(pfd[1]);
	plt_sh_ok("ip link add pltc0 type veth peer name pltc1 && ip link set pltc1 netns %d && "
		  "ip addr add 198.18.5.1/24 dev pltc0 && ip link set pltc0 up && "
		  "nsenter -t %d -n sh -c 'ip addr add 198.18.5.2/24 dev pltc1 && ip link set pltc1 up "
		  "&& ip link set lo up'",
		  (int)peer_ns, (int)peer_ns);
	/* The link is usable once a ping gets through (carrier, DAD-free IPv4). */
	uint64_t end = plt_now_ns() + 15000000000ull;
	while (plt_sh("ping -c 1 -W 1 198.18.5.2 >/dev/null 2>&1") && plt_now_ns() < end)
		usleep(50000);
}

static void peer_ns_end(void)
{
	if (peer_ns > 0) {
		kill(peer_ns, SIGKILL);
		waitpid(peer_ns, NULL, 0);
	}
	peer_ns = -1;
}

static bool have_tools(void)
{
	if (!find_bin())
		return false;
	if (plt_sh("(command -v tcpdump && command -v tshark && command -v capinfos) >/dev/null")) {
		fprintf(stderr, "SKIP: tcpdump, tshark or capinfos missing: run scripts/deps.sh\n");
		return false;
	}
	return true;
}

/* file_type() - capinfos -t's verdict on @path into @out. */
static void file_type(const char *path, char *out, size_t cap)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "capinfos -t %s 2>/dev/null | grep 'File type'", path);
	FILE *f = popen(cmd, "r");
	out[0] = '\0';
	if (f) {
		if (!fgets(out, (int)cap, f))
			out[0] = '\0';
		pclose(f);
	}
}

/* struct icmp_sum - what one tshark pass over a file says about its ICMP frames. */
struct icmp_sum {
	int frames, requests, replies, distinct_stamps;
};

/* icmp_summary() - one tshark pass: ICMP types and per-frame stamps of @path. */
static void icmp_summary(const char *path, struct icmp_sum *s)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -Y icmp -T fields -e icmp.type -e frame.time_epoch 2>/dev/null", path);
	memset(s, 0, sizeof(*s));
	FILE *f = popen(cmd, "r");
	PLT_CHECK(f, "tshark");
	char line[256], stamps[64][64];
	while (fgets(line, sizeof(line), f)) {
		int type;
		char ts[64];
		if (sscanf(line, "%d %63s", &type, ts) != 2)
			continue;
		s->frames++;
		s->requests += type == 8;
		s->replies += type == 0;
		bool seen = false;
		for (int i = 0; i < s->distinct_stamps; i++)
			seen |= !strcmp(stamps[i], ts);
		if (!seen && s->distinct_stamps < 64)
			snprintf(stamps[s->distinct_stamps++], sizeof(stamps[0]), "%s", ts);
	}
	pclose(f);
}

/* Same ping, three captures: tcpdump, pktlink pcapng, pktlink pcap. */
static int versus_tcpdump(void)
{
	if (!have_tools())
		return PLT_SKIP;
	two_ns_veth();
	static struct proc td, ng, pc;
	const char *fng = "/tmp/pltcap-ng.pcapng", *fpc = "/tmp/pltcap-pc.pcap",
		   *ftd = "/tmp/pltcap-td.pcap";
	spawn_prog(&td, "tcpdump", (const char *const[]){ "-i", "pltc0", "-w", ftd, "-c", "6", "icmp", NULL }, -1);
	spawn(&ng, (const char *const[]){ "capture", "pltc0", "-w", fng, "-c", "6", "-d", "30", "icmp", NULL });
	spawn(&pc, (const char *const[]){ "capture", "-i", "packet:pltc0", "-w", fpc, "-c", "6", "-d", "30", "icmp", NULL });
	PLT_CHECK(wait_output(&td, "listening on", 20), "tcpdump not ready: %s", td.buf);
	PLT_CHECK(wait_output(&ng, "capturing on pltc0 (filter \"icmp\", in the kernel)", 20),
		  "pktlink not ready: %s", ng.buf);
	PLT_CHECK(wait_output(&pc, "capturing on", 20), "pktlink (pcap) not ready: %s", pc.buf);
	plt_sh_ok("ping -c 3 -i 0.2 -W 2 198.18.5.2 >/dev/null");
	finish(&td, 20);
	finish(&ng, 20);
	finish(&pc, 20);
	peer_ns_end();
	PLT_CHECK(WIFEXITED(ng.status) && WEXITSTATUS(ng.status) == 0, "pktlink: %s", ng.buf);
	PLT_CHECK(WIFEXITED(pc.status) && WEXITSTATUS(pc.status) == 0, "pktlink: %s", pc.buf);
	PLT_CHECK(strstr(ng.buf, "6 packets captured"), "summary: %s", ng.buf);
	/* AF_PACKET gives a kernel stamp per frame: none taken in user space. */
	PLT_CHECK(strstr(ng.buf, "kernel timestamps") && strstr(ng.buf, "timestamps: 6 kernel"),
		  "not kernel-stamped: %s", ng.buf);
	const char *files[] = { ftd, fng, fpc };
	for (int i = 0; i < 3; i++) {
		struct icmp_sum s;
		icmp_summary(files[i], &s);
		PLT_CHECK(s.frames == 6, "%s: %d ICMP frames", files[i], s.frames);
		PLT_CHECK(s.requests == 3 && s.replies == 3, "%s: %d requests, %d replies", files[i],
			  s.requests, s.replies);
		PLT_CHECK(s.distinct_stamps == 6, "%s: %d distinct stamps of 6", files[i],
			  s.distinct_stamps);
	}
	char t[256];
	file_type(fng, t, sizeof(t));
	PLT_CHECK(strstr(t, "pcapng"), "capinfos -t %s: %s", fng, t);
	file_type(fpc, t, sizeof(t));
	PLT_CHECK(strstr(t, "pcap") && !strstr(t, "pcapng"), "capinfos -t %s: %s", fpc, t);
	/* The interface statistics block is there and readable. */
	PLT_CHECK(!plt_sh("capinfos %s | grep -q 'Number of stat entries = 1'", fng),
		  "no interface statistics in %s", fng);
	unlink(fng);
	unlink(fpc);
	unlink(ftd);
	return 0;
}

/* xdp: without --steal the kernel keeps its traffic. */
static int xdp_no_steal(void)
{
	if (!have_tools())
		return PLT_SKIP;
	two_ns_veth();
	static struct proc p;
	const char *f = "/tmp/pltcap-xdp.pcapng";
	spawn(&p, (const char *const[]){ "capture", "xdp:pltc0", "-w", f, "-c", "3", "-d", "30", "icmp", NULL });
	if (!wait_output(&p, "not taking frames from the kernel", 20)) {
		finish(&p, 10);
		if (strstr(p.buf, "Operation not supported") || strstr(p.buf, "built without")) {
			fprintf(stderr, "SKIP: no XDP capture here: %s\n", p.buf);
			peer_ns_end();
			return PLT_SKIP;
		}
		PLT_CHECK(0, "xdp capture not ready: %s", p.buf);
	}
	/* Every reply must reach ping: the XDP program passes frames on. */
	PLT_CHECK(!plt_sh("ping -c 3 -i 0.2 -W 2 198.18.5.2 | grep -q ' 0%% packet loss'"),
		  "ping lost frames while capturing on xdp");
	finish(&p, 20);
	peer_ns_end();
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0, "capture: %s", p.buf);
	struct icmp_sum s;
	icmp_summary(f, &s);
	PLT_CHECK(s.replies == 3, "replies in %s: %d", f, s.replies);

	/* --steal: the AF_XDP endpoint takes the frames, says so, and the
	 * kernel misses them meanwhile. */
	two_ns_veth();
	spawn(&p, (const char *const[]){ "capture", "xdp:pltc0?mode=skb", "--steal", "-w", f, "-c", "2", "-d", "30", NULL });
	PLT_CHECK(wait_output(&p, "--steal: frames of the captured queues go to this capture", 20),
		  "steal not announced: %s", p.buf);
	PLT_CHECK(plt_sh("ping -c 2 -i 0.3 -W 1 198.18.5.2 | grep -q ' 0%% packet loss'") != 0,
		  "the kernel still got the replies with --steal");
	finish(&p, 20);
	peer_ns_end();
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0 &&
			  strstr(p.buf, "2 packets captured"),
		  "steal capture: %s", p.buf);
	unlink(f);
	return 0;
}

/* -w - is live, rotation, bad filter, write errors. */
static int live_and_errors(void)
{
	if (!have_tools())
		return PLT_SKIP;
	two_ns_veth();
	static struct proc p;
	/* Live: two records reach the reader while the capture still runs. */
	int po[2];
	PLT_CHECK(pipe(po) == 0, "pipe");
	spawn_prog(&p, bin, (const char *const[]){ "capture", "pltc0", "-w", "-", "-d", "30", "icmp", NULL }, po[1]);
	close(po[1]);
	PLT_CHECK(wait_output(&p, "capturing on", 20), "not ready: %s", p.buf);
	plt_sh_ok("ping -c 1 -W 2 198.18.5.2 >/dev/null");
	uint8_t buf[4096];
	size_t got = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	/* pcap header (24) + 2 records of 16 + 98 bytes */
	while (got < 24 + 2 * (16 + 98) && plt_now_ns() < end) {
		struct pollfd pfd = { po[0], POLLIN, 0 };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t n = read(po[0], buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	PLT_CHECK(waitpid(p.pid, NULL, WNOHANG) == 0, "capture ended early");
	PLT_CHECK(got >= 24 + 2 * (16 + 98), "live reader got %zu bytes", got);
	kill(p.pid, SIGINT);
	finish(&p, 20);
	close(po[0]);
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0, "SIGINT exit: %s", p.buf);
	PLT_CHECK(strstr(p.buf, "packets captured"), "summary: %s", p.buf);

	/* Rotation every 0.5 s, at most 3 files. */
	plt_sh_ok("rm -rf /tmp/pltcap-rot && mkdir /tmp/pltcap-rot");
	spawn(&p, (const char *const[]){ "capture", "pltc0", "-w", "/tmp/pltcap-rot/r.pcap", "-G", "0.5", "-W", "3", "-d", "3", "icmp", NULL });
	PLT_CHECK(wait_output(&p, "capturing on", 20), "not ready: %s", p.buf);
	plt_sh_ok("ping -c 10 -i 0.25 -W 2 198.18.5.2 >/dev/null");
	finish(&p, 20);
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0, "rotation: %s", p.buf);
	PLT_CHECK(!plt_sh("test -s /tmp/pltcap-rot/r.pcap0 && test -s /tmp/pltcap-rot/r.pcap1 && "
			  "test $(ls /tmp/pltcap-rot | wc -l) -le 3"),
		  "rotated files: %s", p.buf);
	plt_sh("rm -rf /tmp/pltcap-rot");

	/* A filter libpcap rejects is a usage error that quotes libpcap. */
	PLT_CHECK(RUN(&p, 20, "capture", "pltc0", "-w", "/tmp/pltcap-x.pcap", "icmp", "and",
		      "frobnicate") == 2 &&
			  strstr(p.buf, "filter expression"),
		  "bad filter: %s", p.buf);
	unlink("/tmp/pltcap-x.pcap");

	/* A write error ends the capture at once, with the cause. */
	spawn(&p, (const char *const[]){ "capture", "pltc0", "-w", "/dev/full", "-d", "30", NULL });
	PLT_CHECK(wait_output(&p, "capturing on", 20), "not ready: %s", p.buf);
	plt_sh_ok("ping -c 1 -W 2 198.18.5.2 >/dev/null");
	finish(&p, 20);
	peer_ns_end();
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 1 &&
			  strstr(p.buf, "No space left on device"),
		  "write error: %s", p.buf);
	return 0;
}

/* -s truncates records but keeps the length on the wire; -v/--interval and
 * SIGUSR1 print counts; --json makes them (and the summary) JSON lines. */
static int counts_and_snaplen(void)
{
	if (!have_tools())
		return PLT_SKIP;
	two_ns_veth();
	static struct proc p;
	const char *f = "/tmp/pltcap-snap.pcap";
	spawn(&p, (const char *const[]){ "capture", "pltc0", "-w", f, "-s", "60", "-c", "2", "--json", "--interval", "0.2", "-d", "30", "icmp", NULL });
	PLT_CHECK(wait_output(&p, "capturing on", 20), "not ready: %s", p.buf);
	PLT_CHECK(wait_output(&p, "\"type\":\"counts\"", 20), "no periodic counts: %s", p.buf);
	kill(p.pid, SIGUSR1);
	plt_sh_ok("ping -c 1 -W 2 198.18.5.2 >/dev/null");
	finish(&p, 20);
	peer_ns_end();
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0, "capture: %s", p.buf);
	char path[] = "/tmp/pltcap-json-XXXXXX";
	int fd = mkstemp(path);
	PLT_CHECK(fd >= 0, "mkstemp");
	PLT_CHECK(write(fd, p.buf, p.len) == (ssize_t)p.len, "write");
	close(fd);
	int bad = plt_sh("grep '^{' %s | jq -s -e 'map(select(.type == \"summary\")) | length == 1 "
			 "and .[0].captured == 2 and .[0].timestamps.kernel == 2' >/dev/null",
			 path);
	unlink(path);
	PLT_CHECK(!bad, "JSON summary: %s", p.buf);
	bad = plt_sh("test \"$(tshark -r %s -T fields -e frame.cap_len -e frame.len 2>/dev/null | "
		     "sort -u | tr '\\t\\n' ' ,')\" = '60 98,'",
		     f);
	PLT_CHECK(!bad, "records not cut to 60 of 98 bytes");
	unlink(f);
	return 0;
}

static const struct plt_case cases[] = {
	{ "versus_tcpdump", versus_tcpdump, PLT_NETNS, 90 },
	{ "xdp_no_steal", xdp_no_steal, PLT_NETNS, 60 },
	{ "live_and_errors", live_and_errors, PLT_NETNS, 90 },
	{ "counts_and_snaplen", counts_and_snaplen, PLT_NETNS, 60 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
