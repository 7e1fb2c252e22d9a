/* SPDX-License-Identifier: MIT */
/*
 * test_multibuf: multi-buffer AF_XDP (XDP_USE_SG, xdp.frags program) —
 * 9000-byte frames received as descriptor chains and handed out as one
 * contiguous view, sent as chains; small frames still zero-copy views;
 * invalid chains (too many frags, a zero-length frag) refused by the
 * kernel and counted. Skips where the kernel has no AF_XDP multi-buffer.
 */
#include "xdp_common.h"

#define JUMBO 9000

static struct pktlink_ep *open_sg(const char *spec)
{
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	if (r == -EOPNOTSUPP && strstr(err, "multi-buffer")) {
		fprintf(stderr, "skip: %s\n", err);
		return NULL;
	}
	PLT_CHECK(r == 0, "open %s: %s", spec, err);
	return ep;
}

static int jumbo(const char *mode, unsigned fs)
{
	xt_setup(JUMBO);
	char spec[128];
	snprintf(spec, sizeof(spec), "xdp:%s?mode=%s&sg=1&frame_size=%u&debug=1", XT_A, mode, fs);
	struct pktlink_ep *ep = open_sg(spec);
	if (!ep)
		return PLT_SKIP;
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.mtu == JUMBO, "mtu %u", info.mtu);
	PLT_CHECK(!(info.caps & PKTLINK_CAP_TX_ALLOC), "no one-chunk TX buffers for a jumbo MTU");
	uint8_t a[6], b[6];
	static uint8_t f[JUMBO + 14], buf[JUMBO + 64];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	/* RX: jumbo and small frames interleaved, in order */
	uint32_t next = 0;
	for (uint32_t i = 0; i < 128; i++) {
		uint32_t len = (i & 1) ? 64 : JUMBO + 14 - (i % 7);
		xt_frame(f, len, i, a, b);
		xt_raw_send(raw, f, len);
		struct pktlink_pkt p[4];
		int n = 0;
		for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; n == 0 && plt_now_ns() < wait_end;) {
			n = pktlink_rx_burst(ep, p, 4);
			PLT_OK(n);
			if (!n)
				pktlink_wait(ep, 10);
		}
		PLT_CHECK(n == 1, "frame %u: got %d", i, n);
		xt_check_frame(p[0].data, p[0].len, len, next++);
		/* small frames are views into the UMEM, chains are bounce copies */
		size_t ulen;
		uint8_t *area = pktlink_xdp_umem_area(pktlink_xdp_get_umem(ep, 0), &ulen);
		bool in_umem = p[0].data >= area && p[0].data < area + ulen;
		PLT_CHECK(in_umem == (len <= 64), "frame %u of %u bytes: view in UMEM %d", i, len,
			  in_umem);
		pktlink_rx_release(ep, p, 1);
	}
	/* TX: chains out, checked on the peer */
	for (uint32_t i = 0; i < 64; i++) {
		uint32_t len = (i & 1) ? 100 : JUMBO + 14 - (i % 5);
		xt_frame(f, len, 1000 + i, b, a);
		struct pktlink_pkt p = { .data = f, .len = len };
		int r = 0;
		for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; r == 0 && plt_now_ns() < wait_end;) {
			r = pktlink_tx_burst(ep, &p, 1);
			PLT_OK(r);
			if (!r)
				usleep(1000);
		}
		PLT_CHECK(r == 1, "TX %u", i);
		uint32_t n = xt_raw_recv(raw, buf, sizeof(buf), PLT_WAIT_MS);
		PLT_CHECK(n, "TX frame %u missing", i);
		xt_check_frame(buf, n, len, 1000 + i);
	}
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(ep, &st));
	PLT_CHECK(st.rx_packets >= 128 && st.tx_packets == 64 && st.rx_drop_invalid == 0 &&
			  st.tx_drop_invalid == 0,
		  "stats");
	/* larger than the MTU: refused and counted, not sent */
	struct pktlink_pkt big = { .data = f, .len = JUMBO + 15 };
	PLT_CHECK(pktlink_tx_burst(ep, &big, 1) == 1, "taken");
	PLT_OK(pktlink_get_stats(ep, &st));
	PLT_CHECK(st.tx_drop_invalid == 1, "oversize counted");
	PLT_CHECK(pktlink_xdp_umem_census(pktlink_xdp_get_umem(ep, 0), NULL) == 0, "frames held");
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static int jumbo_skb_4k(void) { return jumbo("skb", 4096); }
static int jumbo_drv_4k(void) { return jumbo("drv", 4096); }
static int jumbo_drv_2k(void) { return jumbo("drv", 2048); }

/* Bursts of jumbo frames: chains cut by a burst boundary wait for the next call. */
static int jumbo_bursts(void)
{
	xt_setup(JUMBO);
	struct pktlink_ep *ep = open_sg("xdp:" XT_A "?mode=drv&sg=1&frame_size=2048");
	if (!ep)
		return PLT_SKIP;
	uint8_t a[6], b[6];
	static uint8_t f[JUMBO + 14];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	uint32_t next = 0;
	for (uint32_t round = 0; round < 8; round++) {
		for (uint32_t i = 0; i < 40; i++) {
			xt_frame(f, JUMBO + 14, round * 40 + i, a, b);
			xt_raw_send(raw, f, JUMBO + 14);
		}
		/* bursts of 3: never a whole ring's worth at once */
		unsigned got = 0;
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (got < 40 && plt_now_ns() < end) {
			struct pktlink_pkt p[3];
			int n = pktlink_rx_burst(ep, p, 3);
			PLT_OK(n);
			for (int k = 0; k < n; k++)
				xt_check_frame(p[k].data, p[k].len, JUMBO + 14, next++);
			got += (unsigned)n;
			pktlink_rx_release(ep, p, (unsigned)n);
			if (!n)
				pktlink_wait(ep, 10);
		}
		PLT_CHECK(got == 40, "round %u: %u of 40", round, got);
	}
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

/* The kernel's side of invalid chains, through the control block. */
static int invalid_chains(void)
{
	xt_setup(JUMBO);
	struct pktlink_xdp_umem_opts uo = { .sz = sizeof(uo), .frames = 128, .frame_size = 2048 };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&uo, &u, NULL, 0));
	struct pktlink_xdp_socket_opts so = { .sz = sizeof(so), .ifname = XT_A, .no_rx = true,
					      .sg = true, .zerocopy = PKTLINK_XDP_ZC_OFF };
	struct pktlink_xdp_socket *s;
	char err[256] = "";
	int r = pktlink_xdp_socket_create(u, &so, &s, err, sizeof(err));
	if (r == -EOPNOTSUPP) {
		pktlink_xdp_umem_destroy(u);
		return PLT_SKIP;
	}
	PLT_CHECK(r == 0, "%s", err);
	uint8_t a[6], b[6];
	static uint8_t buf[JUMBO + 64];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	size_t ulen;
	uint8_t *area = pktlink_xdp_umem_area(u, &ulen);
	struct pktlink_xdp_ring *tx = pktlink_xdp_socket_tx(s);
	uint32_t idx;
	/* 1: a chain of 20 frags — more than the kernel takes */
	PLT_CHECK(pktlink_xdp_prod_reserve(tx, 20, &idx) == 20, "reserve");
	for (uint32_t i = 0; i < 20; i++) {
		struct xdp_desc *d = pktlink_xdp_ring_desc(tx, idx + i);
		d->addr = 2048ull * (64 + i);
		d->len = 100;
		d->options = i < 19 ? XDP_PKT_CONTD : 0;
	}
	pktlink_xdp_prod_submit(tx, 20);
	PLT_OK(pktlink_xdp_socket_kick(s));
	/* 2: a chain with a zero-length middle frag */
	PLT_CHECK(pktlink_xdp_prod_reserve(tx, 3, &idx) == 3, "reserve");
	for (uint32_t i = 0; i < 3; i++) {
		struct xdp_desc *d = pktlink_xdp_ring_desc(tx, idx + i);
		d->addr = 2048ull * (90 + i);
		d->len = i == 1 ? 0 : 100;
		d->options = i < 2 ? XDP_PKT_CONTD : 0;
	}
	pktlink_xdp_prod_submit(tx, 3);
	PLT_OK(pktlink_xdp_socket_kick(s));
	/* 3: a valid 3-frag chain of one 6000-byte frame */
	static uint8_t f[6000];
	xt_frame(f, sizeof(f), 42, b, a);
	PLT_CHECK(pktlink_xdp_prod_reserve(tx, 3, &idx) == 3, "reserve");
	for (uint32_t i = 0; i < 3; i++) {
		memcpy(area + 2048ull * (100 + i), f + 2000 * i, 2000);
		struct xdp_desc *d = pktlink_xdp_ring_desc(tx, idx + i);
		d->addr = 2048ull * (100 + i);
		d->len = 2000;
		d->options = i < 2 ? XDP_PKT_CONTD : 0;
	}
	pktlink_xdp_prod_submit(tx, 3);
	PLT_OK(pktlink_xdp_socket_kick(s));
	uint32_t n = xt_raw_recv(raw, buf, sizeof(buf), PLT_WAIT_MS);
	PLT_CHECK(n == sizeof(f), "the valid chain arrives whole (%u)", n);
	xt_check_frame(buf, n, sizeof(f), 42);
	struct pktlink_xdp_sock_stats st;
	PLT_OK(pktlink_xdp_socket_stats(s, &st));
	PLT_CHECK(st.tx_invalid_descs >= 2, "invalid chains counted: %llu",
		  (unsigned long long)st.tx_invalid_descs);
	PLT_CHECK(xt_raw_recv(raw, buf, sizeof(buf), 200) == 0, "nothing else was sent");
	pktlink_xdp_socket_destroy(s);
	PLT_OK(pktlink_xdp_umem_destroy(u));
	close(raw);
	xt_leak_check();
	return 0;
}

static int mtu_needs_sg(void)
{
	xt_setup(JUMBO);
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open("xdp:" XT_A "?mode=skb", &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "sg=1"), "message: %s", err);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "jumbo_skb_4k", jumbo_skb_4k, PLT_NETNS, 60 },
		{ "jumbo_drv_4k", jumbo_drv_4k, PLT_NETNS, 60 },
		{ "jumbo_drv_2k", jumbo_drv_2k, PLT_NETNS, 60 },
		{ "jumbo_bursts", jumbo_bursts, PLT_NETNS, 60 },
		{ "invalid_chains", invalid_chains, PLT_NETNS, 30 },
		{ "mtu_needs_sg", mtu_needs_sg, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
