/* SPDX-License-Identifier: MIT */
/*
 * test_fanout: the PACKET_FANOUT group and its flow hash.
 *
 * Unit (no privileges): pl_packet_flow_hash() is symmetric, skips VLAN tags,
 * ignores ports of fragments, returns 0 for non-IP and truncated frames, and
 * the classic BPF program the kernel runs computes exactly the same value
 * (checked with a small cBPF interpreter over many random frames).
 *
 * Network namespace: 4 ring sockets in one group; many flows, both
 * directions, sent into the device — every frame of a flow lands on one fd,
 * and that fd's index is pl_packet_flow_hash(frame) % 4. Unique group ids,
 * IGNORE_OUTGOING in a group, failure injection at every join step.
 */
#include "harness.h"

#include "core/fault.h"
#include "fd/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* The harness ends cases with _exit(), which skips LeakSanitizer's exit
 * check: run it here (ASan builds only). */
static void leak_check(void)
{
	PLT_CHECK(__lsan_do_recoverable_leak_check() == 0, "memory leaked");
}
#else
static void leak_check(void)
{
}
#endif

#define A "plfa"
#define B "plfb"
#define NFD 4

/* ---- frames ---- */

struct flow {
	bool v6;
	uint8_t proto; /* 6, 17, or another */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int tags; /* 0..2 VLAN tags written into the frame */
	bool frag; /* IPv4: MF set */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build a frame of flow fl (reverse: addresses and ports swapped); the
 * payload carries id, the direction and seq. Returns its length. */
static uint32_t build(uint8_t *buf, const struct flow *fl, bool reverse, uint32_t id,
		      uint32_t seq, const uint8_t dmac[6], const uint8_t smac[6])
{
	uint32_t o = 12;
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (int t = 0; t < fl->tags; t++) {
		put16(buf + o, t == 0 && fl->tags == 2 ? 0x88a8 : 0x8100);
		put16(buf + o + 2, 100 + (uint32_t)t);
		o += 4;
	}
	put16(buf + o, fl->v6 ? 0x86dd : 0x0800);
	o += 2;
	const uint8_t *s = reverse ? fl->dst : fl->src, *d = reverse ? fl->src : fl->dst;
	uint16_t sp = reverse ? fl->dport : fl->sport, dp = reverse ? fl->sport : fl->dport;
	uint32_t l4len = fl->proto == 6 ? 20 : 8, plen = 16;
	uint8_t *ip = buf + o;
	if (fl->v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, l4len + plen);
		ip[6] = fl->proto;
		ip[7] = 64;
		memcpy(ip + 8, s, 16);
		memcpy(ip + 24, d, 16);
		o += 40;
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len + plen);
		if (fl->frag)
			ip[6] = 0x20; /* MF */
		ip[8] = 64;
		ip[9] = fl->proto;
		memcpy(ip + 12, s, 4);
		memcpy(ip + 16, d, 4);
		o += 20;
	}
	uint8_t *l4 = buf + o;
	memset(l4, 0, l4len);
	put16(l4, sp);
	put16(l4 + 2, dp);
	if (fl->proto == 6)
		l4[12] = 0x50;
	else
		put16(l4 + 4, l4len + plen);
	o += l4len;
	memcpy(buf + o, &id, 4);
	buf[o + 4] = reverse;
	memcpy(buf + o + 5, &seq, 4);
	memset(buf + o + 9, 0xa5, plen - 9);
	o += plen;
	while (o < 60)
		buf[o++] = 0;
	return o;
}

static void random_flow(struct flow *fl, int tags)
{
	memset(fl, 0, sizeof(*fl));
	fl->v6 = plt_rand() % 3 == 0;
	uint32_t p = (uint32_t)(plt_rand() % 5);
	fl->proto = p < 2 ? 17 : p < 4 ? 6 : 47;
	if (fl->v6) {
		/* 2001:2::/48, the IPv6 benchmarking range (RFC 5180). */
		static const uint8_t pre[6] = { 0x20, 0x01, 0x00, 0x02, 0, 0 };
		memcpy(fl->src, pre, 6);
		memcpy(fl->dst, pre, 6);
		for (int i = 6; i < 16; i++) {
			fl->src[i] = (uint8_t)plt_rand();
			fl->dst[i] = (uint8_t)plt_rand();
		}
	} else {
		/* 198.18.0.0/15 */
		fl->src[0] = fl->dst[0] = 198;
		fl->src[1] = (uint8_t)(18 + (plt_rand() & 1));
		fl->dst[1] = (uint8_t)(18 + (plt_rand() & 1));
		for (int i = 2; i < 4; i++) {
			fl->src[i] = (uint8_t)plt_rand();
			fl->dst[i] = (uint8_t)plt_rand();
		}
	}
	fl->sport = (uint16_t)(1024 + plt_rand() % 60000);
	fl->dport = (uint16_t)(1024 + plt_rand() % 60000);
	fl->tags = tags;
}

/* ---- a classic BPF interpreter, just enough for the fanout program ---- */

static uint32_t run_bpf(const struct sock_filter *p, unsigned n, const uint8_t *f, uint32_t len)
{
	uint32_t a = 0, x = 0, m[BPF_MEMWORDS] = { 0 };
	for (unsigned pc = 0, steps = 0; pc < n && steps < 4096; pc++, steps++) {
		const struct sock_filter *i = &p[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (BPF_MODE(i->code) == BPF_IMM) {
				a = i->k;
			} else if (BPF_MODE(i->code) == BPF_MEM) {
				a = m[i->k & 15];
			} else {
				int64_t off = (int32_t)i->k;
				if (BPF_MODE(i->code) == BPF_IND)
					off += x;
				/* Only MAC-relative loads are expected. */
				if (off < SKF_LL_OFF || off >= SKF_NET_OFF)
					return 0xdeadbeef;
				int64_t rel = off - SKF_LL_OFF;
				uint32_t sz = BPF_SIZE(i->code) == BPF_W ? 4
					      : BPF_SIZE(i->code) == BPF_H ? 2 : 1;
				if (rel + sz > len)
					return 0; /* the kernel: a failed load returns 0 */
				const uint8_t *q = f + rel;
				a = sz == 4 ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
						      (uint32_t)q[2] << 8 | q[3]
				    : sz == 2 ? (uint32_t)q[0] << 8 | q[1] : q[0];
			}
			break;
		case BPF_LDX:
			x = BPF_MODE(i->code) == BPF_MEM ? m[i->k & 15] : i->k;
			break;
		case BPF_ST:
			m[i->k & 15] = a;
			break;
		case BPF_STX:
			m[i->k & 15] = x;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV: a = src ? a / src : 0; break;
			case BPF_MOD: a = src ? a % src : 0; break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a <<= (src & 31); break;
			case BPF_RSH: a >>= (src & 31); break;
			case BPF_NEG: a = -a; break;
			default: return 0xdeadbeef;
			}
			break;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_JA) {
				pc += i->k;
			} else {
				bool c = BPF_OP(i->code) == BPF_JEQ   ? a == src
					 : BPF_OP(i->code) == BPF_JGT ? a > src
					 : BPF_OP(i->code) == BPF_JGE ? a >= src
								      : (a & src) != 0;
				pc += c ? i->jt : i->jf;
			}
			break;
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? a : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return 0xdeadbeef; /* fell off the end */
}

/* ---- unit cases ---- */

static const uint8_t M1[6] = { 2, 0, 0, 0, 0, 1 }, M2[6] = { 2, 0, 0, 0, 0, 2 };

static int hash_symmetric(void)
{
	uint8_t f[256], g[256];
	unsigned idx[NFD] = { 0 };
	for (int i = 0; i < 2000; i++) {
		struct flow fl;
		random_flow(&fl, i % 3);
		uint32_t lf = build(f, &fl, false, 1, 1, M1, M2);
		uint32_t lg = build(g, &fl, true, 2, 9, M2, M1); /* reply: MACs swapped too */
		uint32_t h = pl_packet_flow_hash(f, lf);
		PLT_CHECK(h == pl_packet_flow_hash(g, lg), "flow %d (v6 %d proto %u): %08x vs %08x",
			  i, fl.v6, fl.proto, h, pl_packet_flow_hash(g, lg));
		PLT_CHECK(h != 0, "IP flow hashed to 0");
		idx[h % NFD]++;
	}
	/* The spread is not degenerate (each index gets a fair share). */
	for (int i = 0; i < NFD; i++)
		PLT_CHECK(idx[i] > 2000 / NFD / 2, "index %d got %u of 2000", i, idx[i]);
	return 0;
}

static int hash_special_cases(void)
{
	uint8_t f[256];
	struct flow fl;
	random_flow(&fl, 0);
	fl.v6 = false;
	fl.proto = 17;
	uint32_t len = build(f, &fl, false, 1, 1, M1, M2);
	uint32_t h = pl_packet_flow_hash(f, len);
	/* Different ports, same addresses: different hash (almost surely)... */
	struct flow f2 = fl;
	f2.sport++;
	uint8_t g[256];
	uint32_t lg = build(g, &f2, false, 1, 1, M1, M2);
	PLT_CHECK(pl_packet_flow_hash(g, lg) != h, "ports ignored");
	/* ...but fragments hash by addresses only, so ports do not matter. */
	fl.frag = f2.frag = true;
	len = build(f, &fl, false, 1, 1, M1, M2);
	lg = build(g, &f2, false, 1, 1, M1, M2);
	PLT_CHECK(pl_packet_flow_hash(f, len) == pl_packet_flow_hash(g, lg), "fragment ports");
	/* Truncated before the ports (the kernel's load fails): 0. */
	fl.frag = false;
	len = build(f, &fl, false, 1, 1, M1, M2);
	PLT_CHECK(pl_packet_flow_hash(f, 14 + 20 + 3) == 0, "truncated ports");
	PLT_CHECK(pl_packet_flow_hash(f, 13) == 0, "truncated ethertype");
	PLT_CHECK(pl_packet_flow_hash(NULL, 100) == 0, "NULL");
	/* Non-IP: 0. */
	f[12] = 0x08;
	f[13] = 0x06;
	PLT_CHECK(pl_packet_flow_hash(f, len) == 0, "ARP");
	return 0;
}

static int hash_skips_vlan_tags(void)
{
	uint8_t f[256], g[256];
	for (int i = 0; i < 500; i++) {
		struct flow fl;
		random_flow(&fl, 0);
		uint32_t lf = build(f, &fl, false, 1, 1, M1, M2);
		for (int tags = 1; tags <= 2; tags++) {
			fl.tags = tags;
			uint32_t lg = build(g, &fl, i & 1, 1, 1, M2, M1);
			PLT_CHECK(pl_packet_flow_hash(f, lf) == pl_packet_flow_hash(g, lg),
				  "%d tags change the hash", tags);
		}
		fl.tags = 0;
	}
	return 0;
}

static int bpf_program_matches_c(void)
{
	struct sock_filter prog[256];
	unsigned n = pl_packet_fanout_prog(prog, 256);
	PLT_CHECK(n > 0 && n <= 256, "program length %u", n);
	PLT_CHECK(pl_packet_fanout_prog(NULL, 0) == n, "counting mode");
	PLT_CHECK(pl_packet_fanout_prog(prog, 5) == 0 || pl_packet_fanout_prog(prog, 5) == n,
		  "short buffer");
	n = pl_packet_fanout_prog(prog, 256);
	uint8_t f[256];
	for (int i = 0; i < 20000; i++) {
		struct flow fl;
		random_flow(&fl, (int)(plt_rand() % 3));
		fl.frag = plt_rand() % 8 == 0;
		uint32_t len = build(f, &fl, plt_rand() & 1, 1, 1, M1, M2);
		/* Now and then: cut short, or garble a byte in the headers. */
		if (plt_rand() % 4 == 0)
			len = (uint32_t)(plt_rand() % (len + 1));
		if (plt_rand() % 4 == 0)
			f[plt_rand() % 80] = (uint8_t)plt_rand();
		uint32_t c = pl_packet_flow_hash(f, len), b = run_bpf(prog, n, f, len);
		PLT_CHECK(c == b, "case %d len %u: C %08x, BPF %08x", i, len, c, b);
	}
	return 0;
}

/* ---- namespace cases ---- */

static uint8_t mac_a[6], mac_b[6];

struct member {
	int fd;
	struct pl_packet_rx_ring *r;
};

static void open_members(struct member *m, unsigned n, bool ignore_outgoing)
{
	char err[256];
	for (unsigned i = 0; i < n; i++) {
		struct pl_packet_sock_cfg sc = { .rx = true, .ignore_outgoing = ignore_outgoing };
		/* The cases send everything before they read, and on a loaded
		 * machine the 1 ms retire timer may close a block after every
		 * frame: with 8 blocks a member held 10 frames and dropped 104
		 * (tp_freeze_q_cnt 1). More blocks than a case sends frames
		 * (384 at most) make room for one block per frame. */
		struct pl_packet_ring_cfg rc = { .block_size = 4096, .block_count = 512 };
		PLT_CHECK(pl_packet_socket_open(plt_ifindex(A), &sc, &m[i].fd, err, sizeof(err)) ==
				  0,
			  "%s", err);
		PLT_CHECK(pl_packet_rx_ring_create(m[i].fd, &rc, &m[i].r, err, sizeof(err)) == 0,
			  "%s", err);
	}
}

static void close_members(struct member *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		pl_packet_rx_ring_destroy(m[i].r);
		close(m[i].fd);
	}
}

static int raw_tx(const char *ifname)
{
	int fd = -1;
	struct pl_packet_sock_cfg c = { .rx = false };
	char err[256];
	PLT_CHECK(pl_packet_socket_open(plt_ifindex(ifname), &c, &fd, err, sizeof(err)) == 0, "%s",
		  err);
	return fd;
}

static void send_frame(int fd, const uint8_t *f, uint32_t len)
{
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; plt_now_ns() < wait_end;) {
		if (send(fd, f, len, 0) == (ssize_t)len)
			return;
		PLT_CHECK(errno == EAGAIN || errno == ENOBUFS, "send: %s", strerror(errno));
		usleep(1000);
	}
	PLT_CHECK(0, "send: gave up");
}

#define NFLOWS 64
#define PER_DIR 3

/* Our test frames carry 0xa5 padding after id/dir/seq. */
static bool parse_ours(const struct pktlink_pkt *p, uint32_t *id, int *dir)
{
	const uint8_t *f = p->data;
	uint32_t o = 12;
	if (p->len < 60)
		return false;
	while (o + 2 <= 22 && (f[o] << 8 | f[o + 1]) != 0x0800 && (f[o] << 8 | f[o + 1]) != 0x86dd)
		o += 4;
	uint32_t et = (uint32_t)(f[o] << 8 | f[o + 1]);
	if (et != 0x0800 && et != 0x86dd)
		return false;
	o += 2;
	uint32_t proto = et == 0x0800 ? f[o + 9] : f[o + 6];
	o += et == 0x0800 ? 20 : 40;
	o += proto == 6 ? 20 : 8;
	if (o + 16 > p->len || f[o + 15] != 0xa5)
		return false;
	memcpy(id, f + o, 4);
	*dir = f[o + 4];
	return true;
}

static int flows_stay_on_one_fd(bool random_ids)
{
	plt_veth(A, B, 1500, NULL, NULL);
	plt_mac(A, mac_a);
	plt_mac(B, mac_b);
	struct member m[NFD];
	open_members(m, NFD, true);
	int fds[NFD];
	for (int i = 0; i < NFD; i++)
		fds[i] = m[i].fd;
	uint16_t gid = 0;
	char err[256];
	PLT_CHECK(pl_packet_fanout_join_ex(fds, NFD, random_ids, &gid, err, sizeof(err)) == 0, "%s",
		  err);

	int tx = raw_tx(B);
	static struct flow flows[NFLOWS];
	uint8_t f[256];
	for (uint32_t i = 0; i < NFLOWS; i++)
		random_flow(&flows[i], i % 8 == 7 ? 1 : 0); /* some single-tagged flows */
	for (uint32_t s = 0; s < PER_DIR; s++)
		for (uint32_t i = 0; i < NFLOWS; i++)
			for (int dir = 0; dir < 2; dir++) {
				uint32_t len = build(f, &flows[i], dir, i, s, mac_a, mac_b);
				send_frame(tx, f, len);
			}

	int where[NFLOWS];
	unsigned per_fd[NFD] = { 0 }, total = 0, want = NFLOWS * PER_DIR * 2;
	for (int i = 0; i < NFLOWS; i++)
		where[i] = -1;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (total < want && plt_now_ns() < end) {
		bool any = false;
		for (int k = 0; k < NFD; k++) {
			struct pktlink_pkt p[64];
			int n = pl_packet_rx_ring_burst(m[k].r, p, 64, (uint16_t)k, NULL, NULL);
			PLT_CHECK(n >= 0, "burst %d", n);
			for (int j = 0; j < n; j++) {
				uint32_t id;
				int dir;
				if (!parse_ours(&p[j], &id, &dir) || id >= NFLOWS)
					continue;
				any = true;
				total++;
				per_fd[k]++;
				uint32_t h = pl_packet_flow_hash(p[j].data, p[j].len);
				PLT_CHECK(h % NFD == (uint32_t)k,
					  "flow %u dir %d on fd %d, hash says %u", id, dir, k, h % NFD);
				/* The reverse direction hashes to the same fd. */
				uint32_t rl = build(f, &flows[id], !dir, id, 0, mac_a, mac_b);
				PLT_CHECK(pl_packet_flow_hash(f, rl) % NFD == (uint32_t)k,
					  "reverse of flow %u hashes elsewhere", id);
				PLT_CHECK(where[id] == -1 || where[id] == k,
					  "flow %u on fds %d and %d", id, where[id], k);
				where[id] = k;
			}
			pl_packet_rx_ring_release(m[k].r, p, (unsigned)n);
		}
		if (!any)
			usleep(2000);
	}
	PLT_CHECK(total == want, "received %u of %u", total, want);
	unsigned used = 0;
	for (int k = 0; k < NFD; k++)
		used += per_fd[k] > 0;
	PLT_CHECK(used >= 3, "only %u of %d fds used", used, NFD);
	close_members(m, NFD);
	close(tx);
	return 0;
}

static int fanout_flows_stay_on_one_fd(void)
{
	return flows_stay_on_one_fd(false);
}

/* The fallback of kernels without PACKET_FANOUT_FLAG_UNIQUEID. */
static int fanout_random_id_fallback(void)
{
	return flows_stay_on_one_fd(true);
}

static int fanout_unique_ids_distinct(void)
{
	plt_veth(A, B, 1500, NULL, NULL);
	struct member m[4];
	open_members(m, 4, false);
	int g1[2] = { m[0].fd, m[1].fd }, g2[2] = { m[2].fd, m[3].fd };
	uint16_t id1 = 0, id2 = 0;
	char err[256];
	PLT_CHECK(pl_packet_fanout_join(g1, 2, &id1, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pl_packet_fanout_join(g2, 2, &id2, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(id1 != id2, "both groups got id %u", id1);
	/* The kernel agrees on membership. */
	for (int i = 0; i < 4; i++) {
		uint32_t v = 0;
		socklen_t l = sizeof(v);
		PLT_CHECK(getsockopt(m[i].fd, SOL_PACKET, PACKET_FANOUT, &v, &l) == 0, "getsockopt");
		PLT_CHECK((v & 0xffff) == (i < 2 ? id1 : id2), "socket %d in group %u", i,
			  v & 0xffff);
		PLT_CHECK(((v >> 16) & 0xff) == PACKET_FANOUT_CBPF, "type %u", (v >> 16) & 0xff);
	}
	/* A socket already in a group cannot join another: a clear error. */
	PLT_CHECK(pl_packet_fanout_join(g1, 2, &id1, err, sizeof(err)) < 0, "rejoin");
	PLT_CHECK(strstr(err, "PACKET_FANOUT") != NULL, "%s", err);
	close_members(m, 4);
	return 0;
}

/*
 * IGNORE_OUTGOING holds inside a group too. mode 0: the sockets ask for it
 * (group flag on 6.2+, filter before); mode 1: no option, but the fallback
 * filter attached by hand (the path older kernels take); mode 2: neither,
 * as a control that outgoing frames do reach the group otherwise.
 */
static void group_outgoing(int mode, unsigned *in, unsigned *out)
{
	plt_veth(A, B, 1500, NULL, NULL);
	plt_mac(A, mac_a);
	plt_mac(B, mac_b);
	struct member m[2];
	open_members(m, 2, mode == 0);
	int fds[2] = { m[0].fd, m[1].fd };
	if (mode == 1)
		for (int i = 0; i < 2; i++)
			PLT_OK(pl_packet_ignore_outgoing_filter(fds[i]));
	uint16_t gid;
	char err[256];
	PLT_CHECK(pl_packet_fanout_join(fds, 2, &gid, err, sizeof(err)) == 0, "%s", err);
	int txa = raw_tx(A), txb = raw_tx(B);
	uint8_t f[256];
	static struct flow fl[16];
	for (uint32_t i = 0; i < 16; i++) {
		random_flow(&fl[i], 0);
		uint32_t len = build(f, &fl[i], false, 100 + i, 0, mac_b, mac_a); /* out of A */
		send_frame(txa, f, len);
	}
	uint32_t len = build(f, &fl[0], false, 7, 0, mac_a, mac_b); /* into A */
	send_frame(txb, f, len);
	*in = *out = 0;
	uint64_t end = plt_now_ns() + 500000000ull;
	while (plt_now_ns() < end) {
		for (int k = 0; k < 2; k++) {
			struct pktlink_pkt p[32];
			int n = pl_packet_rx_ring_burst(m[k].r, p, 32, 0, NULL, NULL);
			for (int j = 0; j < n; j++) {
				uint32_t id;
				int dir;
				if (parse_ours(&p[j], &id, &dir)) {
					*in += id == 7;
					*out += id >= 100;
				}
			}
			if (n > 0)
				pl_packet_rx_ring_release(m[k].r, p, (unsigned)n);
		}
		usleep(5000);
	}
	close_members(m, 2);
	close(txa);
	close(txb);
}

static int fanout_ignore_outgoing(void)
{
	unsigned in, out;
	group_outgoing(0, &in, &out);
	PLT_CHECK(in == 1, "incoming frame seen %u times", in);
	PLT_CHECK(out == 0, "%u outgoing frames delivered", out);
	return 0;
}

static int fanout_ignore_outgoing_filter_fallback(void)
{
	unsigned in, out;
	group_outgoing(1, &in, &out);
	PLT_CHECK(in == 1, "incoming frame seen %u times", in);
	PLT_CHECK(out == 0, "%u outgoing frames delivered", out);
	return 0;
}

static int fanout_outgoing_control(void)
{
	unsigned in, out;
	group_outgoing(2, &in, &out);
	PLT_CHECK(in == 1, "incoming frame seen %u times", in);
	PLT_CHECK(out == 16, "without the option %u of 16 outgoing frames seen", out);
	return 0;
}

/* A failure at each join step: an error naming it, and after closing the
 * sockets nothing is left open. */
static int fanout_fault_every_step(void)
{
	plt_veth(A, B, 1500, NULL, NULL);
	int fds0 = plt_fd_count();
	unsigned steps = 0;
	for (unsigned n = 1; n < 32; n++) {
		struct member m[NFD];
		open_members(m, NFD, true);
		int fds[NFD];
		for (int i = 0; i < NFD; i++)
			fds[i] = m[i].fd;
		uint16_t gid;
		char err[256] = "";
		pl_fault_arm(n);
		int e = pl_packet_fanout_join(fds, NFD, &gid, err, sizeof(err));
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		if (fired)
			PLT_CHECK(e < 0 && strstr(err, "injected"), "step %u: %d '%s'", n, e, err);
		else
			PLT_CHECK(e == 0, "step %u: %s", n, err);
		close_members(m, NFD);
		PLT_CHECK(plt_fd_count() == fds0, "step %u: fds %d vs %d", n, plt_fd_count(), fds0);
		if (!fired)
			break;
		steps++;
	}
	PLT_CHECK(steps >= 1 + 1 + 1 + (NFD - 1), "only %u steps", steps);
	char err[256];
	uint16_t gid;
	PLT_CHECK(pl_packet_fanout_join(NULL, 0, &gid, err, sizeof(err)) == -EINVAL, "no fds");
	leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "hash_symmetric", hash_symmetric, PLT_UNIT, 20 },
		{ "hash_special_cases", hash_special_cases, PLT_UNIT, 20 },
		{ "hash_skips_vlan_tags", hash_skips_vlan_tags, PLT_UNIT, 20 },
		{ "bpf_program_matches_c", bpf_program_matches_c, PLT_UNIT, 30 },
		{ "fanout_flows_stay_on_one_fd", fanout_flows_stay_on_one_fd, PLT_NETNS, 30 },
		{ "fanout_random_id_fallback", fanout_random_id_fallback, PLT_NETNS, 30 },
		{ "fanout_unique_ids_distinct", fanout_unique_ids_distinct, PLT_NETNS, 30 },
		{ "fanout_ignore_outgoing", fanout_ignore_outgoing, PLT_NETNS, 30 },
		{ "fanout_ignore_outgoing_filter_fallback", fanout_ignore_outgoing_filter_fallback,
		  PLT_NETNS, 30 },
		{ "fanout_outgoing_control", fanout_outgoing_control, PLT_NETNS, 30 },
		{ "fanout_fault_every_step", fanout_fault_every_step, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
