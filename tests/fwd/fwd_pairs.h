/* SPDX-License-Identifier: MIT */
/*
 * fwd_pairs.h — one bridged pair: the two sides' kinds, their set-up around
 * `pktlink fwd`, and the traffic every pair must carry (kernel TCP over IPv4
 * and IPv6 both ways, sha256-checked, and UDP echo both ways with datagrams
 * from 1 byte to fragmented 9000-byte ones). Used by test_fwd_pairs.c
 * (one forwarder) and test_fwd_shm.c (two forwarders joined by shm).
 */
#ifndef PKTLINK_TESTS_FWD_PAIRS_H
#define PKTLINK_TESTS_FWD_PAIRS_H

#include "fwd_testlib.h"

#include <stdlib.h>

enum ft_kind { FT_PACKET, FT_TAP, FT_XDP_DRV, FT_XDP_SKB };

static const char *const ft_kind_name[] = { "packet", "tap", "xdp-drv", "xdp-skb" };

struct ft_side {
	enum ft_kind kind;
	pid_t ns; /* holder of the far namespace */
	unsigned idx; /* 1 = A, 2 = B: the last byte of its addresses */
	char near[16]; /* the device fwd opens, in the middle */
	char far[16]; /* the device in the far namespace */
	char spec[160];
};

/* ft_far_config() - addresses and link up on the far device. */
static inline void ft_far_config(const struct ft_side *s)
{
	plt_sh_ok("nsenter --net=/proc/%d/ns/net sh -c 'ip addr add 198.18.0.%u/24 dev %s && "
		  "ip -6 addr add 2001:2::%u/64 dev %s nodad && ip link set %s up'",
		  s->ns, s->idx, s->far, s->idx, s->far, s->far);
}

/*
 * ft_side_setup() - the devices of one side before fwd starts: a veth pair
 * (near in the middle, far in the side's namespace) for packet and xdp; for
 * tap nothing yet (fwd creates the TAP device; ft_side_after_open() moves it).
 * @suffix tells the sides (and the two forwarders of an shm pair) apart.
 */
static inline void ft_side_setup(struct ft_side *s, enum ft_kind kind, unsigned idx, const char *suffix)
{
	s->kind = kind;
	s->idx = idx;
	s->ns = ft_ns_new();
	if (kind == FT_TAP) {
		snprintf(s->near, sizeof(s->near), "ft%s", suffix);
		snprintf(s->far, sizeof(s->far), "ft%s", suffix);
		snprintf(s->spec, sizeof(s->spec), "tap:%s", s->near);
		return;
	}
	snprintf(s->near, sizeof(s->near), "fn%s", suffix);
	snprintf(s->far, sizeof(s->far), "ff%s", suffix);
	plt_sh_ok("ip link add %s type veth peer name %s netns %d && ip link set %s up", s->near,
		  s->far, s->ns, s->near);
	ft_far_config(s);
	if (kind == FT_PACKET)
		snprintf(s->spec, sizeof(s->spec), "packet:%s", s->near);
	else
		snprintf(s->spec, sizeof(s->spec), "xdp:%s?mode=%s", s->near,
			 kind == FT_XDP_DRV ? "drv" : "skb");
	if (kind == FT_XDP_SKB && !getenv("PKTLINK_KNOWN_BUGS")) {
		/* Generic XDP hands AF_XDP one frame per skb, and the sender's
		 * TSO super-packets (up to 64 KiB) do not fit a UMEM frame:
		 * the kernel drops them (counted as rx kernel drops). A user
		 * has to turn TSO off on the sending device until the xdp
		 * family takes super-packets (see the report of issue 7);
		 * PKTLINK_KNOWN_BUGS=1 runs with TSO on. */
		plt_sh_ok("nsenter --net=/proc/%d/ns/net ethtool -K %s tso off >/dev/null", s->ns,
			  s->far);
	}
}

/* ft_side_after_open() - tap: move the TAP device fwd created into the side's namespace. */
static inline void ft_side_after_open(const struct ft_side *s)
{
	if (s->kind != FT_TAP)
		return;
	plt_sh_ok("ip link set %s netns %d", s->near, s->ns);
	ft_far_config(s);
}

/* ft_traffic() - what every bridged pair must carry, A = @a, B = @b. */
static inline void ft_traffic(const struct ft_side *a, const struct ft_side *b, const char *dir)
{
	ft_ping(a->ns, "198.18.0.2", 20);
	char src[256], dst[256];
	snprintf(src, sizeof(src), "%s/data", dir);
	snprintf(dst, sizeof(dst), "%s/recv", dir);
	ft_random_file(src, 4u << 20);
	ft_tcp(a->ns, b->ns, "198.18.0.2", 5001, src, dst, 40);
	ft_tcp(b->ns, a->ns, "198.18.0.1", 5002, src, dst, 40);
	ft_tcp(a->ns, b->ns, "2001:2::2", 5003, src, dst, 40);
	ft_tcp(b->ns, a->ns, "2001:2::1", 5004, src, dst, 40);
	ft_udp(a->ns, b->ns, "198.18.0.2", 5005, 30);
	ft_udp(b->ns, a->ns, "198.18.0.1", 5006, 30);
	ft_udp(a->ns, b->ns, "2001:2::2", 5007, 30);
}

/* ft_tmpdir() - a private directory for the case's files (removed by ft_cleanup()). */
static inline void ft_tmpdir(char dir[64])
{
	snprintf(dir, 64, "/tmp/plt-fwd-XXXXXX");
	PLT_CHECK(mkdtemp(dir), "mkdtemp");
}

static inline void ft_cleanup(const struct ft_side *a, const struct ft_side *b, const char *dir)
{
	plt_sh("rm -rf '%s'", dir);
	kill(a->ns, SIGKILL);
	kill(b->ns, SIGKILL);
	waitpid(a->ns, NULL, 0);
	waitpid(b->ns, NULL, 0);
}

/* ft_check_stopped() - fwd stopped by SIGTERM exits 0 with its summary. */
static inline void ft_check_stopped(struct ft_proc *p, const char *what)
{
	int st = ft_fwd_stop(p);
	PLT_CHECK(st == 0 && strstr(p->buf, "summary after"), "%s: exit %d, output:\n%s", what, st,
		  p->buf);
}

#endif
