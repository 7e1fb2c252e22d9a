/* SPDX-License-Identifier: MIT */
/*
 * test_prog: the XDP program side — a caller-attached program dropping half
 * the frames (xskmap=FD), XSKMAP entry swap between two sockets sharing a
 * UMEM, a foreign program holding the device, and the kernel statistics
 * (FILL empty, RX ring full) merged into the endpoint's.
 */
#include "xdp_common.h"

#include "pl_xsk.bpf.h"
#include "xt_drop_half.bpf.h"
#include "xt_steer.bpf.h"
#include "xt_meta.bpf.h"

static void inject(int raw, uint32_t from, uint32_t count)
{
	uint8_t a[6], b[6], f[64];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	for (uint32_t i = 0; i < count; i++) {
		xt_frame(f, 64, from + i, a, b);
		xt_raw_send(raw, f, 64);
	}
}

static int drop_half(void)
{
	xt_setup(1500);
	struct bpf_object *obj = xt_bpf_load(xt_drop_half_bpf_obj, xt_drop_half_bpf_obj_len);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_SKB_MODE);
	int map = xt_bpf_map(obj, "xsks_map");
	char spec[128];
	snprintf(spec, sizeof(spec), "xdp:%s?mode=skb&xskmap=%d", XT_A, map);
	struct pktlink_ep *ep = xt_open(spec);
	struct pktlink_xdp_status st;
	PLT_OK(pktlink_xdp_get_status(ep, &st));
	PLT_CHECK(!st.own_program, "the caller's program is used");
	int raw = xt_raw(XT_B);
	struct pktlink_pkt p[64];
	uint32_t want = 0;
	for (uint32_t batch = 0; batch < 16; batch++) {
		inject(raw, batch * 64, 64);
		unsigned got = 0;
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (got < 32 && plt_now_ns() < end) {
			int n = pktlink_rx_burst(ep, p, 64);
			PLT_OK(n);
			for (int i = 0; i < n; i++) {
				if (!xt_is_ours(p[i].data, p[i].len))
					continue;
				xt_check_frame(p[i].data, p[i].len, 64, want);
				want += 2; /* the odd ones were dropped by the program */
				got++;
			}
			pktlink_rx_release(ep, p, (unsigned)n);
			if (!n)
				pktlink_wait(ep, 20);
		}
		PLT_CHECK(got == 32, "batch %u: %u of 32", batch, got);
	}
	pktlink_close(ep);
	/* the caller's program stays; our map entry is gone */
	PLT_CHECK(xt_xdp_attached(XT_A), "the caller's program must stay attached");
	uint32_t key = 0, val = 0;
	PLT_CHECK(bpf_map_lookup_elem(map, &key, &val) != 0, "XSKMAP entry left behind");
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	close(raw);
	xt_leak_check();
	return 0;
}

/* Receive up to want frames on a control-block socket; give them back. */
static unsigned cb_recv(struct pktlink_xdp_socket *s, struct pktlink_xdp_umem *u, unsigned want,
			uint32_t *next)
{
	unsigned got = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	size_t ulen;
	uint8_t *area = pktlink_xdp_umem_area(u, &ulen);
	while (got < want && plt_now_ns() < end) {
		uint32_t idx;
		uint32_t n = pktlink_xdp_cons_peek(pktlink_xdp_socket_rx(s), 64, &idx);
		if (!n) {
			struct pollfd pfd = { .fd = pktlink_xdp_socket_fd(s), .events = POLLIN };
			poll(&pfd, 1, 20);
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			struct xdp_desc *d = pktlink_xdp_ring_desc(pktlink_xdp_socket_rx(s), idx + i);
			uint8_t *f = area + d->addr;
			if (xt_is_ours(f, d->len)) {
				xt_check_frame(f, d->len, 64, *next);
				(*next)++;
				got++;
			}
			/* straight back to FILL: the frame is still in state FILL */
			uint32_t fi;
			struct pktlink_xdp_ring *fq = pktlink_xdp_socket_fill(s);
			PLT_CHECK(pktlink_xdp_prod_reserve(fq, 1, &fi) == 1, "FILL room");
			*pktlink_xdp_ring_addr(fq, fi) = d->addr & ~(uint64_t)2047;
			pktlink_xdp_prod_submit(fq, 1);
		}
		pktlink_xdp_cons_release(pktlink_xdp_socket_rx(s), n);
	}
	return got;
}

static int xskmap_swap(void)
{
	xt_setup(1500);
	struct bpf_object *obj = xt_bpf_load(pl_xsk_bpf_obj, pl_xsk_bpf_obj_len);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_SKB_MODE);
	int map = xt_bpf_map(obj, "xsks_map");
	struct pktlink_xdp_umem_opts uo = { .sz = sizeof(uo), .frames = 256, .frame_size = 2048 };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&uo, &u, NULL, 0));
	struct pktlink_xdp_socket_opts so = { .sz = sizeof(so), .ifname = XT_A, .queue = 0,
					      .zerocopy = PKTLINK_XDP_ZC_OFF };
	struct pktlink_xdp_socket *s1, *s2;
	char err[256] = "";
	PLT_CHECK(pktlink_xdp_socket_create(u, &so, &s1, err, sizeof(err)) == 0, "s1: %s", err);
	/* same device and queue: shares s1's FILL/COMPLETION (XDP_SHARED_UMEM) */
	PLT_CHECK(pktlink_xdp_socket_create(u, &so, &s2, err, sizeof(err)) == 0, "s2: %s", err);
	PLT_CHECK(pktlink_xdp_socket_fill(s2) == pktlink_xdp_socket_fill(s1), "shared FILL");
	int raw = xt_raw(XT_B);
	uint32_t key = 0, next = 0;
	int fd1 = pktlink_xdp_socket_fd(s1), fd2 = pktlink_xdp_socket_fd(s2);
	PLT_OK(bpf_map_update_elem(map, &key, &fd1, 0));
	inject(raw, 0, 64);
	PLT_CHECK(cb_recv(s1, u, 64, &next) == 64, "s1 receives");
	PLT_OK(bpf_map_update_elem(map, &key, &fd2, 0));
	inject(raw, 64, 64);
	PLT_CHECK(cb_recv(s2, u, 64, &next) == 64, "s2 receives after the swap");
	uint32_t idx;
	PLT_CHECK(pktlink_xdp_cons_peek(pktlink_xdp_socket_rx(s1), 1, &idx) == 0,
		  "nothing for s1 after the swap");
	pktlink_xdp_socket_destroy(s2);
	pktlink_xdp_socket_destroy(s1);
	PLT_OK(pktlink_xdp_umem_destroy(u));
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	close(raw);
	xt_leak_check();
	return 0;
}

/* Shared UMEM, several sockets on one queue: the program steers frame seq
 * to socket seq % n; each socket sees exactly its frames, in order. */
static void steer_n(unsigned nsock)
{
	struct bpf_object *obj = xt_bpf_load(xt_steer_bpf_obj, xt_steer_bpf_obj_len);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_SKB_MODE);
	int map = xt_bpf_map(obj, "xsks_map"), cfg = xt_bpf_map(obj, "nsocks");
	struct pktlink_xdp_umem_opts uo = { .sz = sizeof(uo), .frames = 512, .frame_size = 2048 };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&uo, &u, NULL, 0));
	struct pktlink_xdp_socket_opts so = { .sz = sizeof(so), .ifname = XT_A, .queue = 0,
					      .zerocopy = PKTLINK_XDP_ZC_OFF };
	struct pktlink_xdp_socket *s[4];
	char err[256] = "";
	for (uint32_t i = 0; i < nsock; i++) {
		PLT_CHECK(pktlink_xdp_socket_create(u, &so, &s[i], err, sizeof(err)) == 0, "socket %u: %s",
			  i, err);
		int fd = pktlink_xdp_socket_fd(s[i]);
		PLT_OK(bpf_map_update_elem(map, &i, &fd, 0));
	}
	uint32_t zero = 0;
	PLT_OK(bpf_map_update_elem(cfg, &zero, &nsock, 0));
	int raw = xt_raw(XT_B);
	const uint32_t per = 64;
	inject(raw, 0, per * nsock);
	size_t ulen;
	uint8_t *area = pktlink_xdp_umem_area(u, &ulen);
	for (uint32_t i = 0; i < nsock; i++) {
		uint32_t got = 0, want = i;
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (got < per && plt_now_ns() < end) {
			uint32_t idx;
			struct pktlink_xdp_ring *rx = pktlink_xdp_socket_rx(s[i]);
			uint32_t n = pktlink_xdp_cons_peek(rx, 64, &idx);
			if (!n) {
				struct pollfd pfd = { .fd = pktlink_xdp_socket_fd(s[i]), .events = POLLIN };
				poll(&pfd, 1, 20);
				continue;
			}
			for (uint32_t k = 0; k < n; k++) {
				struct xdp_desc *d = pktlink_xdp_ring_desc(rx, idx + k);
				xt_check_frame(area + d->addr, d->len, 64, want);
				want += nsock;
				got++;
				/* back to the one shared FILL ring */
				struct pktlink_xdp_ring *fq = pktlink_xdp_socket_fill(s[i]);
				uint32_t fi;
				PLT_CHECK(fq == pktlink_xdp_socket_fill(s[0]), "one FILL ring");
				PLT_CHECK(pktlink_xdp_prod_reserve(fq, 1, &fi) == 1, "FILL room");
				*pktlink_xdp_ring_addr(fq, fi) = d->addr & ~(uint64_t)2047;
				pktlink_xdp_prod_submit(fq, 1);
			}
			pktlink_xdp_cons_release(rx, n);
		}
		PLT_CHECK(got == per, "socket %u got %u of %u", i, got, per);
	}
	for (uint32_t i = nsock; i-- > 0;)
		pktlink_xdp_socket_destroy(s[i]);
	PLT_OK(pktlink_xdp_umem_destroy(u));
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	close(raw);
}

static int steer_2(void)
{
	xt_setup(1500);
	steer_n(2);
	xt_leak_check();
	return 0;
}

static int steer_4(void)
{
	xt_setup(1500);
	steer_n(4);
	xt_leak_check();
	return 0;
}

/* Metadata a program puts before the frame (bpf_xdp_adjust_meta) reaches the
 * UMEM in front of the view's data. */
static int metadata(void)
{
	/* Some hardened kernels (this 6.18 build) do not offer the helper to
	 * XDP programs: the verifier says "cannot use helper" and the load
	 * fails with EINVAL. Nothing of pktlink's is then left to test. */
	struct bpf_object *obj = bpf_object__open_mem(xt_meta_bpf_obj, xt_meta_bpf_obj_len, NULL);
	PLT_CHECK(obj, "bpf_object__open_mem: %s", strerror(errno));
	libbpf_print_fn_t old_print = libbpf_set_print(NULL);
	int lr = bpf_object__load(obj);
	libbpf_set_print(old_print);
	if (lr == -EINVAL) {
		bpf_object__close(obj);
		fprintf(stderr, "metadata: skipped: this kernel refuses bpf_xdp_adjust_meta in XDP "
				"programs (the verifier rejects the helper)\n");
		return PLT_SKIP;
	}
	PLT_CHECK(lr == 0, "bpf_object__load: %s", strerror(-lr));
	xt_setup(1500);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_DRV_MODE);
	char spec[128];
	snprintf(spec, sizeof(spec), "xdp:%s?mode=drv&xskmap=%d&headroom=64", XT_A,
		 xt_bpf_map(obj, "xsks_map"));
	struct pktlink_ep *ep = xt_open(spec);
	int raw = xt_raw(XT_B);
	inject(raw, 0, 16);
	unsigned got = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (got < 16 && plt_now_ns() < end) {
		struct pktlink_pkt p[16];
		int n = pktlink_rx_burst(ep, p, 16);
		PLT_OK(n);
		for (int i = 0; i < n; i++) {
			xt_check_frame(p[i].data, p[i].len, 64, got);
			uint32_t m[2];
			memcpy(m, p[i].data - 8, 8);
			PLT_CHECK(m[0] == 0x4d455441 && m[1] == 64, "metadata %08x %u", m[0], m[1]);
			got++;
		}
		pktlink_rx_release(ep, p, (unsigned)n);
		if (!n)
			pktlink_wait(ep, 20);
	}
	PLT_CHECK(got == 16, "got %u", got);
	pktlink_close(ep);
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_DRV_MODE, NULL);
	bpf_object__close(obj);
	close(raw);
	xt_leak_check();
	return 0;
}

/* The libxdp attach path (on kernels without freplace, libxdp itself falls
 * back to one program): traffic flows, close detaches. (Descriptors are
 * counted over many cycles in test_lifecycle's libxdp_no_leak.) */
static int attach_libxdp(void)
{
	xt_setup(1500);
	for (int round = 0; round < 2; round++) {
		struct pktlink_ep *ep = xt_open(round ? "xdp:" XT_A "?mode=drv&attach=libxdp"
						      : "xdp:" XT_A "?mode=skb&attach=libxdp");
		struct pktlink_xdp_status st;
		PLT_OK(pktlink_xdp_get_status(ep, &st));
		PLT_CHECK(st.own_program && st.mode == (round ? PKTLINK_XDP_MODE_DRV :
								 PKTLINK_XDP_MODE_SKB),
			  "status");
		int raw = xt_raw(XT_B);
		inject(raw, 0, 64);
		uint32_t next = 0;
		PLT_CHECK(xt_ep_recv_check(ep, 64, 64, &next, PLT_WAIT_MS) == 64, "received");
		close(raw);
		pktlink_close(ep);
		PLT_CHECK(!xt_xdp_attached(XT_A), "program left attached (round %d)", round);
	}
	/* attach=libbpf explicitly */
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=drv&attach=libbpf");
	struct pktlink_xdp_status st;
	PLT_OK(pktlink_xdp_get_status(ep, &st));
	PLT_CHECK(!st.dispatcher, "no dispatcher with libbpf");
	pktlink_close(ep);
	PLT_CHECK(!xt_xdp_attached(XT_A), "program left attached");
	return 0;
}

static int foreign_program(void)
{
	xt_setup(1500);
	struct bpf_object *obj = xt_bpf_load(xt_drop_half_bpf_obj, xt_drop_half_bpf_obj_len);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_DRV_MODE);
	int fds = plt_fd_count();
	struct pktlink_ep *ep = NULL;
	char err[512] = "";
	int r = pktlink_open("xdp:" XT_A "?mode=drv", &ep, err, sizeof(err));
	PLT_CHECK(r < 0 && !ep, "open over a foreign program: %d", r);
	PLT_CHECK(strstr(err, "holds the device") && strstr(err, "xskmap="), "message: %s", err);
	r = pktlink_open("xdp:" XT_A "?mode=auto", &ep, err, sizeof(err));
	PLT_CHECK(r < 0 && !ep, "auto over a foreign program: %d", r);
	PLT_CHECK(plt_fd_count() == fds, "fds leaked: %d -> %d", fds, plt_fd_count());
	PLT_CHECK(xt_xdp_attached(XT_A), "the foreign program must be left alone");
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_DRV_MODE, NULL);
	bpf_object__close(obj);
	xt_leak_check();
	return 0;
}

static int stats_fill_empty(void)
{
	xt_setup(1500);
	/* 16 RX frames: the 17th frame finds FILL empty */
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&frames=32");
	int raw = xt_raw(XT_B);
	inject(raw, 0, 100);
	/* Receive the first 16 and hold them, so FILL stays empty however
	 * late the kernel gets to the other 84: they must all be dropped. */
	struct pktlink_pkt p[16];
	unsigned got = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (got < 16 && plt_now_ns() < end) {
		int n = pktlink_rx_burst(ep, p + got, 16 - got);
		PLT_OK(n);
		for (int i = 0; i < n; i++)
			xt_check_frame(p[got + i].data, p[got + i].len, 64, got + i);
		got += (unsigned)n;
		if (!n)
			pktlink_wait(ep, 20);
	}
	PLT_CHECK(got == 16, "the first 16 frames arrive in order (%u)", got);
	struct pktlink_stats s;
	struct pktlink_xdp_sock_stats ks;
	end = plt_now_ns() + PLT_WAIT_NS;
	do {
		PLT_OK(pktlink_get_stats(ep, &s));
	} while (s.rx_drop_kernel < 84 && plt_now_ns() < end);
	PLT_OK(pktlink_xdp_get_sock_stats(ep, &ks));
	PLT_CHECK(ks.rx_fill_ring_empty_descs > 0, "fill_ring_empty %llu",
		  (unsigned long long)ks.rx_fill_ring_empty_descs);
	PLT_CHECK(s.rx_drop_kernel == 84, "rx_drop_kernel %llu (rx_dropped %llu)",
		  (unsigned long long)s.rx_drop_kernel, (unsigned long long)ks.rx_dropped);
	PLT_CHECK(pktlink_rx_burst(ep, p, 1) == 0, "nothing else arrived");
	pktlink_rx_release(ep, p, 16);
	/* released frames went back: traffic flows again */
	uint32_t next = 1000;
	inject(raw, 1000, 8);
	PLT_CHECK(xt_ep_recv_check(ep, 8, 64, &next, PLT_WAIT_MS) == 8, "recovers");
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

static int stats_rx_ring_full(void)
{
	xt_setup(1500);
	struct bpf_object *obj = xt_bpf_load(pl_xsk_bpf_obj, pl_xsk_bpf_obj_len);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_SKB_MODE);
	int map = xt_bpf_map(obj, "xsks_map");
	/* FILL gets 256 frames but RX holds 64: the 65th frame finds RX full */
	struct pktlink_xdp_umem_opts uo = { .sz = sizeof(uo), .frames = 512, .frame_size = 2048 };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&uo, &u, NULL, 0));
	struct pktlink_xdp_socket_opts so = { .sz = sizeof(so), .ifname = XT_A, .rx_size = 64,
					      .no_tx = true, .zerocopy = PKTLINK_XDP_ZC_OFF };
	struct pktlink_xdp_socket *s;
	char err[256] = "";
	PLT_CHECK(pktlink_xdp_socket_create(u, &so, &s, err, sizeof(err)) == 0, "%s", err);
	uint32_t key = 0;
	int fd = pktlink_xdp_socket_fd(s);
	PLT_OK(bpf_map_update_elem(map, &key, &fd, 0));
	int raw = xt_raw(XT_B);
	inject(raw, 0, 100);
	struct pktlink_xdp_sock_stats ks;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	do {
		PLT_OK(pktlink_xdp_socket_stats(s, &ks));
	} while (ks.rx_ring_full < 36 && plt_now_ns() < end);
	PLT_CHECK(ks.rx_ring_full == 36, "rx_ring_full %llu", (unsigned long long)ks.rx_ring_full);
	pktlink_xdp_socket_destroy(s);
	PLT_OK(pktlink_xdp_umem_destroy(u));
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	close(raw);
	xt_leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "drop_half", drop_half, PLT_NETNS, 30 },
		{ "xskmap_swap", xskmap_swap, PLT_NETNS, 30 },
		{ "foreign_program", foreign_program, PLT_NETNS, 30 },
		{ "attach_libxdp", attach_libxdp, PLT_NETNS, 30 },
		{ "steer_2_sockets", steer_2, PLT_NETNS, 30 },
		{ "metadata", metadata, PLT_NETNS, 30 },
		{ "steer_4_sockets", steer_4, PLT_NETNS, 30 },
		{ "stats_fill_empty", stats_fill_empty, PLT_NETNS, 30 },
		{ "stats_rx_ring_full", stats_rx_ring_full, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
