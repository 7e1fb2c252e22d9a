/* SPDX-License-Identifier: MIT */
/*
 * test_forward: shared UMEM and forwarding without a copy — a frame
 * received on one endpoint goes out of the same endpoint (l2fwd in place)
 * or out of another endpoint on another device sharing its UMEM, as the
 * same UMEM frame; forwarding between endpoints with separate UMEMs copies;
 * frames come back to the receive pool on completion; closing in either
 * order frees everything.
 */
#include "xdp_common.h"

#define FLEN 64

/* Inject count frames on peer_if addressed to dst, starting at seq. */
static void inject(const char *peer_if, const char *dst_if, uint32_t seq, uint32_t count)
{
	uint8_t d[6], sm[6], f[FLEN];
	plt_mac(dst_if, d);
	plt_mac(peer_if, sm);
	int raw = xt_raw(peer_if);
	for (uint32_t i = 0; i < count; i++) {
		xt_frame(f, FLEN, seq + i, d, sm);
		xt_raw_send(raw, f, FLEN);
	}
	close(raw);
}

/* Receive on rx_ep and forward to tx_ep until count frames went; check that
 * same-UMEM views are sent from the frame they arrived in. */
static void forward(struct pktlink_ep *rx_ep, struct pktlink_ep *tx_ep, uint32_t count,
		    bool zero_copy)
{
	uint32_t done = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	struct pktlink_xdp_umem *u = pktlink_xdp_get_umem(tx_ep, 0);
	while (done < count && plt_now_ns() < end) {
		struct pktlink_pkt p[32];
		int n = pktlink_rx_burst(rx_ep, p, 32);
		PLT_OK(n);
		if (!n) {
			pktlink_wait(rx_ep, 20);
			continue;
		}
		uint32_t c[PKTLINK_XDP_FRAME_NSTATES];
		int k = 0;
		while (k < n && plt_now_ns() < end) {
			int r = pktlink_xdp_forward(rx_ep, tx_ep, p + k, (unsigned)(n - k));
			PLT_OK(r);
			k += r;
		}
		PLT_CHECK(k == n, "forwarded %d of %d", k, n);
		if (zero_copy) {
			/* the forwarded RX frames are now in flight on TX */
			pktlink_xdp_umem_census(u, c);
			PLT_CHECK(c[PKTLINK_XDP_FRAME_APP_RX] == 0, "views consumed");
		}
		done += (uint32_t)n;
	}
	PLT_CHECK(done == count, "forwarded %u of %u", done, count);
}

/* Check that frames seq.. arrived on the capture socket cap (opened before
 * they were sent). */
static void expect(int cap, uint32_t seq, uint32_t count)
{
	uint8_t buf[2048];
	for (uint32_t i = 0; i < count; i++) {
		uint32_t n = xt_raw_recv(cap, buf, sizeof(buf), PLT_WAIT_MS);
		PLT_CHECK(n, "frame %u never arrived", seq + i);
		xt_check_frame(buf, n, FLEN, seq + i);
	}
}

static int l2fwd_in_place(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=drv&frames=256&debug=1");
	struct pktlink_xdp_umem *u = pktlink_xdp_get_umem(ep, 0);
	int cap = xt_raw(XT_B);
	uint8_t buf[2048];
	for (uint32_t round = 0; round < 16; round++) {
		inject(XT_B, XT_A, round * 32, 32);
		forward(ep, ep, 32, true);
		for (uint32_t i = 0; i < 32; i++) {
			uint32_t n = xt_raw_recv(cap, buf, sizeof(buf), PLT_WAIT_MS);
			PLT_CHECK(n, "frame %u not forwarded back", round * 32 + i);
			/* the raw socket sees what B sent too: skip our own injections */
			xt_check_frame(buf, n, FLEN, round * 32 + i);
		}
	}
	/* 512 frames through a UMEM of 128 RX frames: they came back */
	struct pktlink_pkt t[1];
	PLT_CHECK(pktlink_tx_burst(ep, t, 0) == 0, "reap");
	uint32_t c[PKTLINK_XDP_FRAME_NSTATES];
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 0, "held");
	PLT_CHECK(pktlink_xdp_umem_errors(u) == 0, "pool errors");
	close(cap);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static void two_pairs(void)
{
	xt_setup(1500);
	plt_veth("plx2", "plx3", 1500, NULL, NULL);
}

static int shared_umem_two_devices(void)
{
	two_pairs();
	struct pktlink_ep *a = xt_open("xdp:" XT_A "?mode=drv&frames=512");
	struct pktlink_xdp_opts o = { .sz = sizeof(o), .ifname = "plx2", .mode = PKTLINK_XDP_MODE_DRV,
				      .share_umem = a };
	struct pktlink_ep *c = NULL;
	char err[256] = "";
	PLT_CHECK(pktlink_xdp_open(&o, &c, err, sizeof(err)) == 0, "open shared: %s", err);
	PLT_CHECK(pktlink_xdp_get_umem(a, 0) == pktlink_xdp_get_umem(c, 0), "one UMEM");
	int cap3 = xt_raw("plx3"), capb = xt_raw(XT_B);
	/* plx1 -> A -> (no copy) -> C -> plx3, and back the other way */
	for (uint32_t round = 0; round < 8; round++) {
		inject(XT_B, XT_A, round * 64, 64);
		forward(a, c, 64, true);
		expect(cap3, round * 64, 64);
		inject("plx3", "plx2", 10000 + round * 64, 64);
		forward(c, a, 64, true);
		expect(capb, 10000 + round * 64, 64);
	}
	struct pktlink_stats sa, sc;
	PLT_OK(pktlink_get_stats(a, &sa));
	PLT_OK(pktlink_get_stats(c, &sc));
	PLT_CHECK(sa.rx_packets >= 512 && sc.tx_packets == 512 && sc.rx_packets >= 512 &&
			  sa.tx_packets == 512,
		  "stats");
	close(cap3);
	close(capb);
	/* the owner closes first; the sharer keeps working */
	pktlink_close(a);
	inject("plx3", "plx2", 20000, 16);
	uint32_t next = 20000;
	PLT_CHECK(xt_ep_recv_check(c, 16, FLEN, &next, PLT_WAIT_MS) == 16, "sharer after owner closed");
	pktlink_close(c);
	PLT_CHECK(!xt_xdp_attached(XT_A) && !xt_xdp_attached("plx2"), "programs left attached");
	xt_leak_check();
	return 0;
}

static int separate_umems_copy(void)
{
	two_pairs();
	struct pktlink_ep *a = xt_open("xdp:" XT_A "?mode=skb");
	struct pktlink_ep *c = xt_open("xdp:plx2?mode=skb");
	PLT_CHECK(pktlink_xdp_get_umem(a, 0) != pktlink_xdp_get_umem(c, 0), "two UMEMs");
	int cap3 = xt_raw("plx3");
	inject(XT_B, XT_A, 0, 64);
	forward(a, c, 64, false);
	expect(cap3, 0, 64);
	close(cap3);
	/* the copied views were released back to a's pool */
	PLT_CHECK(pktlink_xdp_umem_census(pktlink_xdp_get_umem(a, 0), NULL) == 0, "a holds frames");
	PLT_CHECK(pktlink_xdp_umem_errors(pktlink_xdp_get_umem(a, 0)) == 0, "pool errors");
	pktlink_close(c);
	pktlink_close(a);
	xt_leak_check();
	return 0;
}

static int share_errors(void)
{
	xt_setup(1500);
	struct pktlink_ep *a = xt_open("xdp:" XT_A "?mode=skb");
	/* not an xdp endpoint / not single-queue / sg are refused */
	struct pktlink_xdp_opts o = { .sz = sizeof(o), .ifname = XT_B, .share_umem = a, .sg = true };
	struct pktlink_ep *c = NULL;
	char err[256] = "";
	PLT_CHECK(pktlink_xdp_open(&o, &c, err, sizeof(err)) == -EINVAL && strstr(err, "sg"),
		  "sg: %s", err);
	PLT_CHECK(pktlink_xdp_forward(a, NULL, NULL, 0) == -EINVAL, "forward to NULL");
	pktlink_close(a);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "l2fwd_in_place", l2fwd_in_place, PLT_NETNS, 60 },
		{ "shared_umem_two_devices", shared_umem_two_devices, PLT_NETNS, 60 },
		{ "separate_umems_copy", separate_umems_copy, PLT_NETNS, 60 },
		{ "share_errors", share_errors, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
