/* SPDX-License-Identifier: MIT */
/*
 * test_tool_util: the pure parts of the pktlink tool — option value
 * parsing, medians, scenario filters, the benchmark frame, the pcap writer,
 * the bench's CPU-distance probe.
 * The tool's sources are compiled into this test directly (they are not
 * part of the library).
 */
#include "harness.h"

#include "../../tools/bench_distance.c"
#include "../../tools/pcapw.c"
#include "../../tools/util.c"

#include <arpa/inet.h>
#include <math.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* parse_seconds: units, limits and junk. */
static int seconds(void)
{
	double v;
	PLT_CHECK(util_parse_seconds("2", 600, &v) == 0 && v == 2.0, "2");
	PLT_CHECK(util_parse_seconds("2s", 600, &v) == 0 && v == 2.0, "2s");
	PLT_CHECK(util_parse_seconds("500ms", 600, &v) == 0 && v > 0.499 && v < 0.501, "500ms");
	PLT_CHECK(util_parse_seconds("1m", 600, &v) == 0 && v == 60.0, "1m");
	PLT_CHECK(util_parse_seconds("0.25", 600, &v) == 0 && v == 0.25, "0.25");
	const char *bad[] = { "", "0", "-1", "abc", "2x", "nan", "inf", "1e400", "601", "2 s" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		PLT_CHECK(util_parse_seconds(bad[i], 600, &v) == -EINVAL, "'%s' accepted", bad[i]);
	PLT_CHECK(util_parse_seconds(NULL, 600, &v) == -EINVAL, "NULL");
	return 0;
}

/* parse_u64: ranges, suffixes, overflow. */
static int counts(void)
{
	uint64_t v;
	PLT_CHECK(util_parse_u64("5", 1, 50, &v) == 0 && v == 5, "5");
	PLT_CHECK(util_parse_u64("2k", 1, 1000000, &v) == 0 && v == 2000, "2k");
	PLT_CHECK(util_parse_u64("3M", 1, UINT64_MAX, &v) == 0 && v == 3000000, "3M");
	PLT_CHECK(util_parse_u64("0", 1, 50, &v) == -ERANGE, "below min");
	PLT_CHECK(util_parse_u64("51", 1, 50, &v) == -ERANGE, "above max");
	PLT_CHECK(util_parse_u64("-1", 0, 50, &v) == -EINVAL, "negative");
	PLT_CHECK(util_parse_u64("+1", 0, 50, &v) == -EINVAL, "plus");
	PLT_CHECK(util_parse_u64("1.5", 0, 50, &v) == -EINVAL, "fraction");
	PLT_CHECK(util_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v) == -EINVAL,
		  "overflow");
	PLT_CHECK(util_parse_u64("18446744073709551M", 0, UINT64_MAX, &v) == -ERANGE,
		  "suffix overflow");
	PLT_CHECK(util_parse_u64("", 0, 5, &v) == -EINVAL, "empty");
	return 0;
}

/* parse_mac: exact format only. */
static int macs(void)
{
	uint8_t m[6];
	PLT_CHECK(util_parse_mac("02:00:0a:ff:10:01", m) == 0 && m[0] == 2 && m[3] == 0xff &&
			  m[5] == 1,
		  "good mac");
	PLT_CHECK(util_parse_mac("02:00:0a:ff:10", m) == -EINVAL, "short");
	PLT_CHECK(util_parse_mac("02:00:0a:ff:10:01:02", m) == -EINVAL, "long");
	PLT_CHECK(util_parse_mac("2:0:a:ff:10:1", m) == -EINVAL, "unpadded");
	PLT_CHECK(util_parse_mac("zz:00:0a:ff:10:01", m) == -EINVAL, "junk");
	return 0;
}

/* median: odd, even, unsorted, empty. */
static int medians(void)
{
	double a[] = { 5, 1, 3 };
	PLT_CHECK(util_median(a, 3) == 3, "odd");
	double b[] = { 4, 1, 3, 2 };
	PLT_CHECK(util_median(b, 4) == 2.5, "even");
	PLT_CHECK(util_median(NULL, 0) == 0, "empty");
	double c[] = { 7 };
	PLT_CHECK(util_median(c, 1) == 7, "one");
	return 0;
}

/* filters: globs, substrings, lists. */
static int filters(void)
{
	PLT_CHECK(util_match_filter(NULL, "packet-mmap/rxdrop"), "NULL passes");
	PLT_CHECK(util_match_filter("", "x"), "empty passes");
	PLT_CHECK(util_match_filter("packet-*", "packet-mmap/rxdrop"), "glob");
	PLT_CHECK(!util_match_filter("packet-*", "tap/rxdrop"), "glob miss");
	PLT_CHECK(util_match_filter("mmap", "packet-mmap/txonly"), "substring");
	PLT_CHECK(util_match_filter("tap/txonly,mmap", "tap/txonly"), "list 1");
	PLT_CHECK(util_match_filter("tap/txonly,mmap", "packet-mmap/rxdrop"), "list 2");
	PLT_CHECK(!util_match_filter("tap/txonly,mmap", "packet-readv/rxdrop"), "list miss");
	PLT_CHECK(!util_match_filter(",,", "x"), "only commas match nothing");
	return 0;
}

/* The benchmark frame: lengths, header checksum, fields. */
static int frame(void)
{
	uint8_t buf[2048];
	const uint8_t d[6] = { 2, 0, 0, 0, 0, 2 }, s[6] = { 2, 0, 0, 0, 0, 1 };
	uint32_t sip = htonl(0xC6120001), dip = htonl(0xC6120002);
	PLT_CHECK(util_build_udp(buf, sizeof(buf), 41, d, s, sip, dip, 1, 2) == 0, "too short");
	PLT_CHECK(util_build_udp(buf, 60, 64, d, s, sip, dip, 1, 2) == 0, "over capacity");
	PLT_CHECK(util_build_udp(buf, sizeof(buf), 64, d, s, sip, dip, 10000, 9) == 64, "64");
	PLT_CHECK(!memcmp(buf, d, 6) && !memcmp(buf + 6, s, 6), "macs");
	PLT_CHECK(buf[12] == 0x08 && buf[13] == 0 && buf[14] == 0x45 && buf[23] == 17, "ipv4/udp");
	PLT_CHECK((buf[16] << 8 | buf[17]) == 50, "ip total length");
	PLT_CHECK((buf[38] << 8 | buf[39]) == 30, "udp length");
	PLT_CHECK((buf[34] << 8 | buf[35]) == 10000 && (buf[36] << 8 | buf[37]) == 9, "ports");
	/* A correct header sums to 0xffff, i.e. its checksum over itself is 0. */
	PLT_CHECK(util_ipv4_csum(buf + 14, 20) == 0, "ip header checksum");
	/* Compare with the harness's independent builder. */
	uint8_t ref[2048];
	uint32_t rl = plt_build_udp(ref, d, s, 0xC6120001, 0xC6120002, 10000, 9, NULL, 22);
	PLT_CHECK(rl == 64, "reference length %u", rl);
	PLT_CHECK(!memcmp(buf + 14 + 12, ref + 14 + 12, 8), "same addresses as the harness");
	return 0;
}

/* The pcap writer: header, records, truncation to snaplen, errors. */
static int pcap_bytes(void)
{
	char path[] = "/tmp/pktlink-test-pcap-XXXXXX";
	int fd = mkstemp(path);
	PLT_CHECK(fd >= 0, "mkstemp");
	close(fd);
	struct pcapw w;
	PLT_CHECK(pcapw_open(&w, path, PCAPW_LINKTYPE_ETHERNET, 0) == -EINVAL, "snaplen 0");
	PLT_CHECK(pcapw_open(&w, "/nonexistent-dir/x.pcap", 1, 100) == -ENOENT, "bad dir");
	PLT_OK(pcapw_open(&w, path, PCAPW_LINKTYPE_ETHERNET, 16));
	uint8_t a[20], b[8];
	for (int i = 0; i < 20; i++)
		a[i] = (uint8_t)i;
	memset(b, 0xab, sizeof(b));
	PLT_OK(pcapw_write(&w, 1700000000123456789ull, a, sizeof(a)));
	PLT_OK(pcapw_write(&w, 1700000001000000001ull, b, sizeof(b)));
	PLT_OK(pcapw_close(&w));
	PLT_CHECK(pcapw_write(&w, 0, a, 1) == -EBADF, "write after close");

	uint8_t f[256];
	FILE *fp = fopen(path, "rb");
	PLT_CHECK(fp, "reopen");
	size_t n = fread(f, 1, sizeof(f), fp);
	fclose(fp);
	unlink(path);
	PLT_CHECK(n == 24 + 16 + 16 + 16 + 8, "file size %zu", n);
	uint32_t u;
	memcpy(&u, f, 4);
	PLT_CHECK(u == 0xa1b23c4d, "nanosecond magic %#x", u);
	uint16_t maj, min;
	memcpy(&maj, f + 4, 2);
	memcpy(&min, f + 6, 2);
	PLT_CHECK(maj == 2 && min == 4, "version");
	memcpy(&u, f + 16, 4);
	PLT_CHECK(u == 16, "snaplen");
	memcpy(&u, f + 20, 4);
	PLT_CHECK(u == 1, "linktype");
	uint32_t rec[4];
	memcpy(rec, f + 24, 16);
	PLT_CHECK(rec[0] == 1700000000 && rec[1] == 123456789, "ts %u.%09u", rec[0], rec[1]);
	PLT_CHECK(rec[2] == 16 && rec[3] == 20, "truncated to snaplen: incl %u orig %u", rec[2],
		  rec[3]);
	PLT_CHECK(!memcmp(f + 40, a, 16), "record 1 bytes");
	memcpy(rec, f + 56, 16);
	PLT_CHECK(rec[0] == 1700000001 && rec[1] == 1 && rec[2] == 8 && rec[3] == 8, "record 2");
	PLT_CHECK(!memcmp(f + 72, b, 8), "record 2 bytes");
	return 0;
}

/* pcapng: section header, interface description (name, link type, ns
 * resolution, filter), enhanced packet blocks (a software stamp carries a
 * comment), interface statistics at the end; every block's lengths agree. */
static int pcapng_bytes(void)
{
	char path[] = "/tmp/pktlink-test-pcapng-XXXXXX";
	int fd = mkstemp(path);
	PLT_CHECK(fd >= 0, "mkstemp");
	close(fd);
	struct pcapw w;
	struct pcapw_cfg c = { .linktype = PCAPW_LINKTYPE_ETHERNET,
			       .snaplen = 100,
			       .pcapng = true,
			       .ifname = "veth0",
			       .ifdesc = "packet:veth0",
			       .filter = "icmp" };
	PLT_OK(pcapw_open_cfg(&w, path, &c));
	uint8_t a[61];
	memset(a, 0x5a, sizeof(a));
	struct iovec v = { a, sizeof(a) };
	PLT_OK(pcapw_writev(&w, 0x123456789abcdef0ull, &v, 1, 61, 0, 0));
	PLT_OK(pcapw_writev(&w, 5, &v, 1, 1500, PCAPW_REC_SOFT_TS, 0));
	struct pcapw_stats st = { .start_ns = 1, .end_ns = 2, .ifrecv = 7, .osdrop = 3,
				  .filteraccept = 2, .usrdeliv = 2 };
	PLT_OK(pcapw_close_stats(&w, &st));
	uint8_t f[2048];
	FILE *fp = fopen(path, "rb");
	PLT_CHECK(fp, "reopen");
	size_t n = fread(f, 1, sizeof(f), fp);
	fclose(fp);
	unlink(path);
	uint32_t types[8], nb = 0;
	size_t off = 0;
	while (off + 12 <= n && nb < 8) {
		uint32_t t, len, len2;
		memcpy(&t, f + off, 4);
		memcpy(&len, f + off + 4, 4);
		PLT_CHECK(len % 4 == 0 && len >= 12 && off + len <= n, "block %u length %u", nb, len);
		memcpy(&len2, f + off + len - 4, 4);
		PLT_CHECK(len == len2, "block %u: trailing length %u != %u", nb, len2, len);
		types[nb++] = t;
		if (t == 6) {
			uint32_t h[5];
			memcpy(h, f + off + 8, 20);
			PLT_CHECK(h[0] == 0 && h[3] == 61, "EPB interface %u caplen %u", h[0], h[3]);
			if (nb == 3)
				PLT_CHECK(h[1] == 0x12345678 && h[2] == 0x9abcdef0 && h[4] == 61,
					  "EPB 1 stamp/len");
			else
				PLT_CHECK(h[4] == 1500 && memmem(f + off, len, "software", 8),
					  "EPB 2: wire length and software-stamp comment");
		}
		off += len;
	}
	PLT_CHECK(off == n, "trailing bytes: %zu of %zu", off, n);
	PLT_CHECK(nb == 5 && types[0] == 0x0A0D0D0A && types[1] == 1 && types[2] == 6 &&
			  types[3] == 6 && types[4] == 5,
		  "blocks: %u", nb);
	PLT_CHECK(memmem(f, n, "veth0", 5) && memmem(f, n, "icmp", 4), "IDB options");
	/* if_tsresol = 9 (nanoseconds) */
	PLT_CHECK(memmem(f, n, "\x09\x00\x01\x00\x09", 5), "if_tsresol");
	return 0;
}

/* Rotation: -C names FILE, FILE1, ...; with -W they cycle FILE0..FILE<n-1>. */
static int pcap_rotation(void)
{
	char dir[] = "/tmp/pktlink-test-rot-XXXXXX";
	PLT_CHECK(mkdtemp(dir), "mkdtemp");
	char base[128], p[160];
	snprintf(base, sizeof(base), "%s/r.pcap", dir);
	struct pcapw w;
	struct pcapw_cfg c = { .linktype = 1, .snaplen = 2000, .rotate_bytes = 1000 };
	PLT_OK(pcapw_open_cfg(&w, base, &c));
	uint8_t a[600] = { 0 };
	for (int i = 0; i < 5; i++)
		PLT_OK(pcapw_write(&w, 1, a, sizeof(a)));
	PLT_OK(pcapw_close(&w));
	snprintf(p, sizeof(p), "%s", base);
	PLT_CHECK(access(p, F_OK) == 0, "first file %s", p);
	snprintf(p, sizeof(p), "%s1", base);
	PLT_CHECK(access(p, F_OK) == 0, "second file %s", p);
	c.rotate_files = 2;
	snprintf(base, sizeof(base), "%s/w.pcap", dir);
	PLT_OK(pcapw_open_cfg(&w, base, &c));
	for (int i = 0; i < 8; i++)
		PLT_OK(pcapw_write(&w, 1, a, sizeof(a)));
	PLT_OK(pcapw_close(&w));
	snprintf(p, sizeof(p), "%s0", base);
	PLT_CHECK(access(p, F_OK) == 0, "%s", p);
	snprintf(p, sizeof(p), "%s2", base);
	PLT_CHECK(access(p, F_OK) != 0, "-W 2 made a third file");
	struct pcapw_cfg bad = { .linktype = 1, .snaplen = 100, .rotate_bytes = 1 };
	PLT_CHECK(pcapw_open_cfg(&w, "-", &bad) == -EINVAL, "rotation on stdout");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	plt_sh_ok("%s", cmd);
	return 0;
}

/* bench_same_distance(): equal within 2x, or not known. */
static int same_distance(void)
{
	PLT_CHECK(bench_same_distance(95, 95) && bench_same_distance(95, 180) &&
			  bench_same_distance(180, 95), "near pairs");
	PLT_CHECK(!bench_same_distance(95, 490) && !bench_same_distance(490, 95), "near and far");
	PLT_CHECK(bench_same_distance(NAN, 490) && bench_same_distance(95, NAN) &&
			  bench_same_distance(NAN, NAN), "unknown");
	return 0;
}

/* bench_cpu_distance(): bounded, whatever the load: a figure or NAN (the
 * other CPU's thread may not be scheduled in time on a busy machine, so
 * only the bound and the range are checked); NAN without two CPUs. */
static int cpu_distance(void)
{
	PLT_CHECK(isnan(bench_cpu_distance(-1, 1)) && isnan(bench_cpu_distance(0, -1)) &&
			  isnan(bench_cpu_distance(1, 1)), "no CPUs to measure");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return PLT_SKIP;
	PLT_OK(util_pin_cpu(0));
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = util_now_ns();
		double ns = bench_cpu_distance(0, 1);
		uint64_t took = util_now_ns() - t0;
		PLT_CHECK(isnan(ns) || (ns > 1 && ns < 50e6), "round trip %f ns", ns);
		/* 50 ms is the probe's own bound; pthread_create/join add little */
		PLT_CHECK(took < 1000000000ull, "the probe took %llu ns", (unsigned long long)took);
	}
	return 0;
}

static const struct plt_case cases[] = {
	{ "seconds", seconds, PLT_UNIT, 10 }, { "counts", counts, PLT_UNIT, 10 },
	{ "macs", macs, PLT_UNIT, 10 },	      { "medians", medians, PLT_UNIT, 10 },
	{ "filters", filters, PLT_UNIT, 10 }, { "frame", frame, PLT_UNIT, 10 },
	{ "pcap_bytes", pcap_bytes, PLT_UNIT, 10 },
	{ "pcapng_bytes", pcapng_bytes, PLT_UNIT, 10 },
	{ "pcap_rotation", pcap_rotation, PLT_UNIT, 10 },
	{ "same_distance", same_distance, PLT_UNIT, 10 },
	{ "cpu_distance", cpu_distance, PLT_UNIT, 10 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
