/* SPDX-License-Identifier: MIT */
/*
 * test_fwd_pairs: `pktlink fwd X Y` with default specs bridges two network
 * namespaces for every pair of packet, tap, xdp (drv) and xdp (skb): kernel
 * TCP over IPv4 and IPv6 both ways (4 MiB, sha256-checked) and UDP echo
 * both ways. The pair set-up and the traffic are in fwd_pairs.h.
 */
#include "fwd_pairs.h"

/* run_pair() - one forwarder between A (@ka) and B (@kb). */
static int run_pair(enum ft_kind ka, enum ft_kind kb)
{
	char dir[64];
	ft_tmpdir(dir);
	struct ft_side a, b;
	ft_side_setup(&a, ka, 1, "a");
	ft_side_setup(&b, kb, 2, "b");
	static struct ft_proc p;
	ft_fwd_start(&p, (const char *const[]){ a.spec, b.spec, "--duration", "300", NULL });
	PLT_CHECK(ft_fwd_wait_for(&p, "forwarding ", 30), "fwd %s %s did not get ready:\n%s", a.spec,
		  b.spec, p.buf);
	ft_side_after_open(&a);
	ft_side_after_open(&b);
	fprintf(stderr, "  %s <-> %s\n", ft_kind_name[ka], ft_kind_name[kb]);
	ft_traffic(&a, &b, dir);
	ft_check_stopped(&p, "fwd");
	fprintf(stderr, "%s", p.buf);
	ft_cleanup(&a, &b, dir);
	return 0;
}

#define PAIR(x, y)                                 \
	static int pair_##x##_##y(void)            \
	{                                          \
		return run_pair(FT_##x, FT_##y);   \
	}
PAIR(PACKET, PACKET)
PAIR(PACKET, TAP)
PAIR(PACKET, XDP_DRV)
PAIR(PACKET, XDP_SKB)
PAIR(TAP, TAP)
PAIR(TAP, XDP_DRV)
PAIR(TAP, XDP_SKB)
PAIR(XDP_DRV, XDP_DRV)
PAIR(XDP_DRV, XDP_SKB)
PAIR(XDP_SKB, XDP_SKB)

/*
 * xdp in skb mode with the sender's TSO on: the kernel drops every TSO
 * super-packet before AF_XDP (it does not fit a UMEM frame), so kernel TCP
 * stalls. A library limit, not fixed yet: the case runs only with
 * PKTLINK_KNOWN_BUGS=1 (then every xdp-skb side keeps TSO on).
 */
static int known_bug_xdp_skb_tso(void)
{
	if (!getenv("PKTLINK_KNOWN_BUGS")) {
		fprintf(stderr, "KNOWN LIBRARY LIMIT, NOT RUN: xdp mode=skb drops the sender's TSO "
				"super-packets (kernel TCP stalls); PKTLINK_KNOWN_BUGS=1 runs it\n");
		return PLT_SKIP;
	}
	return run_pair(FT_PACKET, FT_XDP_SKB);
}

#define CASE(x, y) { #x "_" #y, pair_##x##_##y, PLT_NETNS, 150 }
static const struct plt_case cases[] = {
	CASE(PACKET, PACKET), CASE(PACKET, TAP),      CASE(PACKET, XDP_DRV), CASE(PACKET, XDP_SKB),
	CASE(TAP, TAP),	      CASE(TAP, XDP_DRV),     CASE(TAP, XDP_SKB),    CASE(XDP_DRV, XDP_DRV),
	CASE(XDP_DRV, XDP_SKB), CASE(XDP_SKB, XDP_SKB),
	{ "known_bug_xdp_skb_tso", known_bug_xdp_skb_tso, PLT_NETNS, 150 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(*cases));
}
