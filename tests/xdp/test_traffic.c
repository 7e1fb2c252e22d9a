/* SPDX-License-Identifier: MIT */
/*
 * test_traffic: the AF_XDP acceptance matrix over a veth pair — generic and
 * driver mode, 2 KiB and 4 KiB frames, aligned and unaligned chunks: 4096
 * sequence-numbered 64-byte frames each way, checked for order, content and
 * length; single packet; poll-driven RX and TX; RX-only poll timeout;
 * headroom; bidirectional; zero-copy TX buffers; push mode.
 */
#include "xdp_common.h"

#define NFRAMES 4096
#define FLEN 64
#define BATCH 64

/* Peer → endpoint: frames injected with AF_PACKET on B arrive on A's queue 0. */
static void rx_run(struct pktlink_ep *ep, unsigned count, uint32_t len)
{
	uint8_t a[6], b[6], f[9000];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	uint32_t next = 0;
	for (uint32_t seq = 0; seq < count; seq += BATCH) {
		unsigned nb = count - seq < BATCH ? count - seq : BATCH;
		for (unsigned i = 0; i < nb; i++) {
			xt_frame(f, len, seq + i, a, b);
			xt_raw_send(raw, f, len);
		}
		unsigned got = xt_ep_recv_check(ep, nb, len, &next, PLT_WAIT_MS);
		PLT_CHECK(got == nb, "batch at %u: received %u of %u", seq, got, nb);
	}
	PLT_CHECK(next == count, "received %u of %u", next, count);
	close(raw);
}

/* Endpoint → peer: tx_burst (copy) on A, captured with AF_PACKET on B. */
static void tx_run(struct pktlink_ep *ep, unsigned count, uint32_t len, bool zc_bufs)
{
	uint8_t a[6], b[6], f[9000], buf[9000];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	for (uint32_t seq = 0; seq < count; seq += BATCH) {
		unsigned nb = count - seq < BATCH ? count - seq : BATCH;
		struct pktlink_pkt pkts[BATCH];
		uint8_t frames[BATCH][FLEN * 2];
		if (zc_bufs) {
			unsigned have = 0;
			uint64_t end = plt_now_ns() + PLT_WAIT_NS;
			while (have < nb && plt_now_ns() < end) {
				int r = pktlink_tx_alloc(ep, pkts + have, nb - have);
				PLT_OK(r);
				have += (unsigned)r;
			}
			PLT_CHECK(have == nb, "tx_alloc gave %u of %u", have, nb);
			for (unsigned i = 0; i < nb; i++) {
				PLT_CHECK(pkts[i].len >= len, "TX buffer of %u bytes", pkts[i].len);
				xt_frame(pkts[i].data, len, seq + i, b, a);
				pkts[i].len = len;
			}
		} else {
			for (unsigned i = 0; i < nb; i++) {
				xt_frame(frames[i], len, seq + i, b, a);
				memset(&pkts[i], 0, sizeof(pkts[i]));
				pkts[i].data = frames[i];
				pkts[i].len = len;
			}
		}
		unsigned sent = 0;
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (sent < nb && plt_now_ns() < end) {
			int r = pktlink_tx_burst(ep, pkts + sent, nb - sent);
			PLT_OK(r);
			sent += (unsigned)r;
			if (!r) {
				struct pollfd p = { .fd = pktlink_fd(ep), .events = POLLOUT };
				poll(&p, 1, 10);
			}
		}
		PLT_CHECK(sent == nb, "batch at %u: sent %u of %u", seq, sent, nb);
		for (unsigned i = 0; i < nb; i++) {
			uint32_t n = xt_raw_recv(raw, buf, sizeof(buf), PLT_WAIT_MS);
			PLT_CHECK(n, "frame %u never reached the peer", seq + i);
			xt_check_frame(buf, n, len, seq + i);
		}
	}
	(void)f;
	close(raw);
}

static int matrix(const char *mode, unsigned fs, int unaligned)
{
	xt_setup(1500);
	char spec[256];
	snprintf(spec, sizeof(spec), "xdp:%s?mode=%s&frame_size=%u&unaligned=%d&debug=1", XT_A,
		 mode, fs, unaligned);
	struct pktlink_ep *ep = xt_open(spec);
	struct pktlink_xdp_status st;
	PLT_OK(pktlink_xdp_get_status(ep, &st));
	PLT_CHECK(st.mode == (!strcmp(mode, "skb") ? PKTLINK_XDP_MODE_SKB : PKTLINK_XDP_MODE_DRV),
		  "attach mode %d", st.mode);
	PLT_CHECK(st.frame_size == fs && st.own_program, "status");
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.mtu == 1500 && info.has_link_addr && info.max_header_len == 14, "info");
	PLT_CHECK(info.caps & PKTLINK_CAP_TX_ALLOC, "caps");
	rx_run(ep, NFRAMES, FLEN);
	tx_run(ep, NFRAMES, FLEN, false);
	tx_run(ep, 512, FLEN, true);
	struct pktlink_stats s;
	PLT_OK(pktlink_get_stats(ep, &s));
	PLT_CHECK(s.rx_packets >= NFRAMES && s.tx_packets == NFRAMES + 512, "stats rx %llu tx %llu",
		  (unsigned long long)s.rx_packets, (unsigned long long)s.tx_packets);
	PLT_CHECK(s.rx_drop_invalid == 0 && s.tx_drop_invalid == 0 && s.tx_errors == 0,
		  "no errors expected");
	/* Every frame is accounted for and none is held by us. */
	uint32_t counts[PKTLINK_XDP_FRAME_NSTATES];
	PLT_CHECK(pktlink_xdp_umem_census(pktlink_xdp_get_umem(ep, 0), counts) == 0,
		  "frames held by the application after release");
	PLT_CHECK(pktlink_xdp_umem_errors(pktlink_xdp_get_umem(ep, 0)) == 0, "pool errors");
	pktlink_close(ep);
	PLT_CHECK(!xt_xdp_attached(XT_A), "XDP program left attached");
	xt_leak_check();
	return 0;
}

static int skb_2k(void) { return matrix("skb", 2048, 0); }
static int skb_4k(void) { return matrix("skb", 4096, 0); }
static int skb_2k_unaligned(void) { return matrix("skb", 2048, 1); }
static int skb_4k_unaligned(void) { return matrix("skb", 4096, 1); }
static int drv_2k(void) { return matrix("drv", 2048, 0); }
static int drv_4k(void) { return matrix("drv", 4096, 0); }
static int drv_2k_unaligned(void) { return matrix("drv", 2048, 1); }
static int drv_4k_unaligned(void) { return matrix("drv", 4096, 1); }

static int unaligned_odd_size(void)
{
	/* Unaligned mode takes any chunk size. */
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&frame_size=3000&unaligned=1");
	rx_run(ep, 1024, FLEN);
	tx_run(ep, 256, FLEN, false);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

/* Without need_wakeup every TX submit is kicked; with busy polling RX kicks
 * on every empty burst. Both still deliver everything. */
static int no_need_wakeup(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=drv&need_wakeup=0");
	rx_run(ep, 1024, FLEN);
	tx_run(ep, 1024, FLEN, false);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static int busy_poll(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&busy_poll=20&busy_budget=16");
	rx_run(ep, 1024, FLEN);
	tx_run(ep, 1024, FLEN, false);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

/*
 * The nap (opts.no_nap, spec nap=): a queue that has seen traffic naps
 * instead of polling, and goes back to poll() after a nap that found
 * nothing, so an idle wait still blocks for its whole timeout (no busy
 * loop of spurious returns) and every frame still arrives. With nap=0 the
 * same traffic goes through poll() only.
 */
static int nap_modes(void)
{
	static const char *const specs[] = { "xdp:" XT_A "?mode=drv", "xdp:" XT_A "?mode=drv&nap=0" };
	for (int m = 0; m < 2; m++) {
		xt_setup(1500);
		struct pktlink_ep *ep = xt_open(specs[m]);
		rx_run(ep, 2048, FLEN);
		/* Idle now: a few waits of 50 ms must take about 50 ms each. */
		struct pktlink_pkt p[8];
		uint64_t t0 = plt_now_ns();
		int spurious = 0;
		for (int i = 0; i < 4; i++) {
			int w = pktlink_wait(ep, 50);
			PLT_CHECK(w >= 0, "wait: %d", w);
			int n = pktlink_rx_burst(ep, p, 8);
			PLT_CHECK(n == 0, "frames out of nowhere");
			spurious += w > 0;
		}
		uint64_t ms = (plt_now_ns() - t0) / 1000000;
		PLT_CHECK(ms >= 150, "%s: 4 idle waits of 50 ms took %llu ms (%d returned early)",
			  specs[m], (unsigned long long)ms, spurious);
		rx_run(ep, 64, FLEN);
		pktlink_close(ep);
		xt_leak_check();
		if (m == 0)
			plt_sh_ok("ip link del " XT_A);
	}
	PLT_CHECK(pktlink_open("xdp:" XT_A "?nap=2", &(struct pktlink_ep *){ NULL }, NULL, 0) ==
			  -EINVAL,
		  "nap=2 accepted");
	return 0;
}

static int single_packet(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=auto");
	rx_run(ep, 1, FLEN);
	tx_run(ep, 1, FLEN, false);
	/* a full-MTU frame too */
	rx_run(ep, 1, 1514);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static int rx_poll_timeout(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb");
	struct pktlink_pkt p[8];
	PLT_CHECK(pktlink_rx_burst(ep, p, 8) == 0, "frames out of nowhere");
	struct pollfd pfd = { .fd = pktlink_fd(ep), .events = POLLIN };
	PLT_CHECK(poll(&pfd, 1, 200) == 0, "poll should time out with no traffic");
	/* (the core's pktlink_wait() reports a family wait's timeout as a
	 * spurious wake-up, which the contract allows) */
	PLT_CHECK(pktlink_wait(ep, 100) >= 0, "pktlink_wait");
	PLT_CHECK(pktlink_rx_burst(ep, p, 8) == 0, "still nothing");
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static int headroom(void)
{
	xt_setup(1500);
	/* With headroom, data starts XDP_PACKET_HEADROOM + headroom into the chunk. */
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&frame_size=4096&headroom=512");
	struct pktlink_xdp_status st;
	PLT_OK(pktlink_xdp_get_status(ep, &st));
	PLT_CHECK(st.usable_mtu == 4096 - 256 - 512 - 14, "usable MTU %u", st.usable_mtu);
	uint8_t a[6], b[6], f[128];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	xt_frame(f, FLEN, 0, a, b);
	xt_raw_send(raw, f, FLEN);
	struct pktlink_pkt p[4];
	int n = 0;
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; n == 0 && plt_now_ns() < wait_end;) {
		n = pktlink_rx_burst(ep, p, 4);
		PLT_OK(n);
		if (!n)
			pktlink_wait(ep, 20);
	}
	PLT_CHECK(n == 1, "got %d", n);
	size_t ulen;
	uint8_t *area = pktlink_xdp_umem_area(pktlink_xdp_get_umem(ep, 0), &ulen);
	size_t off = (size_t)(p[0].data - area) % 4096;
	PLT_CHECK(off == 256 + 512, "data offset in chunk %zu, want %d", off, 256 + 512);
	xt_check_frame(p[0].data, p[0].len, FLEN, 0);
	pktlink_rx_release(ep, p, 1);
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static int mtu_too_large(void)
{
	xt_setup(3000);
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open("xdp:" XT_A "?mode=skb&frame_size=2048", &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && ep == NULL, "open: %d", r);
	PLT_CHECK(strstr(err, "MTU 3000") && strstr(err, "1778"), "message: %s", err);
	ep = xt_open("xdp:" XT_A "?mode=skb&frame_size=4096");
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

/* Both directions at once: the peer is a second xdp endpoint on B. */
static int bidirectional(void)
{
	xt_setup(1500);
	struct pktlink_ep *ea = xt_open("xdp:" XT_A "?mode=drv");
	struct pktlink_ep *eb = xt_open("xdp:" XT_B "?mode=drv");
	uint8_t a[6], b[6];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	uint32_t sa = 0, sb = 0, ra = 0, rb = 0;
	const uint32_t total = 2048;
	uint64_t end = plt_now_ns() + 20000000000ull;
	while ((ra < total || rb < total) && plt_now_ns() < end) {
		uint8_t fa[BATCH][FLEN], fb[BATCH][FLEN];
		struct pktlink_pkt pa[BATCH], pb[BATCH];
		unsigned na = 0, nb = 0;
		unsigned wa = total - sa, wb = total - sb;
		if (wa > BATCH)
			wa = BATCH;
		if (wb > BATCH)
			wb = BATCH;
		/* keep at most 256 frames in flight per direction */
		if (sa - rb + wa > 256)
			wa = sa - rb >= 256 ? 0 : 256 - (sa - rb);
		if (sb - ra + wb > 256)
			wb = sb - ra >= 256 ? 0 : 256 - (sb - ra);
		for (; na < wa; na++) {
			xt_frame(fa[na], FLEN, sa + na, b, a);
			pa[na] = (struct pktlink_pkt){ .data = fa[na], .len = FLEN };
		}
		for (; nb < wb; nb++) {
			xt_frame(fb[nb], FLEN, sb + nb, a, b);
			pb[nb] = (struct pktlink_pkt){ .data = fb[nb], .len = FLEN };
		}
		if (na) {
			int r = pktlink_tx_burst(ea, pa, na);
			PLT_OK(r);
			sa += (unsigned)r;
		}
		if (nb) {
			int r = pktlink_tx_burst(eb, pb, nb);
			PLT_OK(r);
			sb += (unsigned)r;
		}
		struct pktlink_pkt in[BATCH];
		int n = pktlink_rx_burst(ea, in, BATCH);
		PLT_OK(n);
		for (int i = 0; i < n; i++) {
			if (!xt_is_ours(in[i].data, in[i].len))
				continue;
			xt_check_frame(in[i].data, in[i].len, FLEN, ra++);
		}
		pktlink_rx_release(ea, in, (unsigned)n);
		n = pktlink_rx_burst(eb, in, BATCH);
		PLT_OK(n);
		for (int i = 0; i < n; i++) {
			if (!xt_is_ours(in[i].data, in[i].len))
				continue;
			xt_check_frame(in[i].data, in[i].len, FLEN, rb++);
		}
		pktlink_rx_release(eb, in, (unsigned)n);
		if (!n && !na && !nb)
			pktlink_wait(ea, 5);
	}
	PLT_CHECK(ra == total && rb == total, "A got %u, B got %u of %u", ra, rb, total);
	pktlink_close(ea);
	pktlink_close(eb);
	xt_leak_check();
	return 0;
}

/* Push mode through the core dispatcher. */
struct push_ctx {
	uint32_t next;
	uint32_t bad;
};

static void push_cb(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct push_ctx *c = ctx;
	for (unsigned i = 0; i < n; i++) {
		if (!xt_is_ours(pkts[i].data, pkts[i].len))
			continue;
		if (xt_seq(pkts[i].data) != c->next || pkts[i].len != FLEN)
			__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->next, c->next + 1, __ATOMIC_RELEASE);
	}
}

static int push_mode(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb");
	struct push_ctx c = { 0 };
	PLT_OK(pktlink_attach(ep, push_cb, &c));
	uint8_t a[6], b[6], f[128];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	for (uint32_t seq = 0; seq < 1024; seq++) {
		xt_frame(f, FLEN, seq, a, b);
		xt_raw_send(raw, f, FLEN);
		if ((seq & 63) == 63) {
			uint64_t end = plt_now_ns() + PLT_WAIT_NS;
			while (__atomic_load_n(&c.next, __ATOMIC_ACQUIRE) <= seq && plt_now_ns() < end)
				usleep(1000);
		}
	}
	PLT_CHECK(__atomic_load_n(&c.next, __ATOMIC_ACQUIRE) == 1024, "push got %u",
		  __atomic_load_n(&c.next, __ATOMIC_ACQUIRE));
	PLT_CHECK(c.bad == 0, "%u frames out of order or wrong length", c.bad);
	PLT_OK(pktlink_attach(ep, NULL, NULL));
	pktlink_join(ep);
	/* pull works again after detaching */
	rx_run(ep, 64, FLEN);
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "skb_2k", skb_2k, PLT_NETNS, 60 },
		{ "skb_4k", skb_4k, PLT_NETNS, 60 },
		{ "skb_2k_unaligned", skb_2k_unaligned, PLT_NETNS, 60 },
		{ "skb_4k_unaligned", skb_4k_unaligned, PLT_NETNS, 60 },
		{ "drv_2k", drv_2k, PLT_NETNS, 60 },
		{ "drv_4k", drv_4k, PLT_NETNS, 60 },
		{ "drv_2k_unaligned", drv_2k_unaligned, PLT_NETNS, 60 },
		{ "drv_4k_unaligned", drv_4k_unaligned, PLT_NETNS, 60 },
		{ "unaligned_odd_size", unaligned_odd_size, PLT_NETNS, 60 },
		{ "single_packet", single_packet, PLT_NETNS, 30 },
		{ "no_need_wakeup", no_need_wakeup, PLT_NETNS, 30 },
		{ "busy_poll", busy_poll, PLT_NETNS, 30 },
		{ "nap_modes", nap_modes, PLT_NETNS, 60 },
		{ "rx_poll_timeout", rx_poll_timeout, PLT_NETNS, 30 },
		{ "headroom", headroom, PLT_NETNS, 30 },
		{ "mtu_too_large", mtu_too_large, PLT_NETNS, 30 },
		{ "bidirectional", bidirectional, PLT_NETNS, 60 },
		{ "push_mode", push_mode, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
