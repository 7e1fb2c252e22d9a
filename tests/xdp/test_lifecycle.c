/* SPDX-License-Identifier: MIT */
/*
 * test_lifecycle: setup and teardown — a failure injected at every setup
 * step (socket, UMEM, UMEM_REG, each ring size, offsets, each mmap, bind,
 * program open/load/attach, XSKMAP update) leaves no fd, map, program,
 * attached XDP program or memory (ASan) behind; create/traffic/destroy ten
 * times in a row; all-queues mode over a multi-queue veth.
 */
#include "xdp_common.h"

#include "core/fault.h"

static void traffic(struct pktlink_ep *ep, uint32_t base, unsigned count)
{
	uint8_t a[6], b[6], f[64], buf[2048];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	for (uint32_t i = 0; i < count; i++) {
		xt_frame(f, 64, base + i, a, b);
		xt_raw_send(raw, f, 64);
	}
	uint32_t next = base;
	PLT_CHECK(xt_ep_recv_check(ep, count, 64, &next, 3000) == count, "RX");
	for (uint32_t i = 0; i < count; i++) {
		xt_frame(f, 64, base + i, b, a);
		struct pktlink_pkt p = { .data = f, .len = 64 };
		int r = 0;
		for (int t = 0; t < 1000 && r == 0; t++) {
			r = pktlink_tx_burst(ep, &p, 1);
			PLT_OK(r);
			if (!r)
				usleep(1000);
		}
		PLT_CHECK(r == 1, "TX");
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t n = xt_raw_recv(raw, buf, sizeof(buf), 3000);
		PLT_CHECK(n, "TX frame %u missing", base + i);
		xt_check_frame(buf, n, 64, base + i);
	}
	close(raw);
}

/* Arm a failure at step 1, 2, ... until an open runs without reaching the
 * armed step; after each failed open nothing may be left behind. */
static unsigned fault_walk(const char *spec)
{
	/* One full open/close first: libbpf caches feature probes. */
	struct pktlink_ep *ep = xt_open(spec);
	pktlink_close(ep);
	int fds = plt_fd_count();
	unsigned steps = 0;
	for (unsigned n = 1; n < 200; n++) {
		char err[256] = "";
		ep = NULL;
		pl_fault_arm(n);
		int r = pktlink_open(spec, &ep, err, sizeof(err));
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		if (!fired) {
			PLT_CHECK(r == 0, "open without a fault failed: %s", err);
			traffic(ep, n * 100, 4);
			pktlink_close(ep);
			break;
		}
		PLT_CHECK(r < 0 && !ep, "%s: step %u failed but open returned %d", spec, n, r);
		PLT_CHECK(err[0], "step %u: no error message", n);
		PLT_CHECK(plt_fd_count() == fds, "%s: step %u (%s): fds %d -> %d", spec, n, err, fds,
			  plt_fd_count());
		PLT_CHECK(!xt_xdp_attached(XT_A), "step %u (%s): XDP program left attached", n, err);
		PLT_CHECK(xt_bpffs_pins() == 0, "step %u: pins left in bpffs", n);
		if (getenv("XT_VERBOSE"))
			fprintf(stderr, "step %u: %s\n", n, err);
		steps++;
	}
	PLT_CHECK(plt_fd_count() == fds, "fds after the final close");
	PLT_CHECK(!xt_xdp_attached(XT_A), "XDP program left attached after close");
	return steps;
}

static int fault_every_step(void)
{
	xt_setup(1500);
	unsigned steps = fault_walk("xdp:" XT_A "?mode=skb");
	/* The endpoint's own steps (src/xdp/xdp_setup.c's table: endpoint,
	 * device, queue table, UMEM, socket, epoll set, program, XSKMAP entry,
	 * status = 9) and inside them the building blocks' (UMEM, socket, REG,
	 * 4 ring sizes, offsets, 4 mmaps, bind, open, load, attach, map
	 * update = 17). */
	PLT_CHECK(steps == 26, "%u setup steps, expected 26", steps);
	steps = fault_walk("xdp:" XT_A "?mode=drv&frame_size=4096&unaligned=1");
	PLT_CHECK(steps == 26, "%u setup steps, expected 26", steps);
	/* auto mode: a failure of the driver-mode attach is not retried in
	 * generic mode (an injected failure is final) */
	steps = fault_walk("xdp:" XT_A "?mode=auto&frames=64");
	PLT_CHECK(steps == 26, "%u setup steps, expected 26", steps);
	xt_leak_check();
	return 0;
}

static int fault_caller_map(void)
{
	xt_setup(1500);
	/* with the caller's XSKMAP: its program stays attached throughout */
	struct bpf_object *obj;
	{
#include "xt_drop_half.bpf.h"
		obj = xt_bpf_load(xt_drop_half_bpf_obj, xt_drop_half_bpf_obj_len);
	}
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_SKB_MODE);
	PLT_CHECK(bpf_obj_pin(xt_bpf_map(obj, "xsks_map"), "/sys/fs/bpf/xt_xsks") == 0, "pin: %s",
		  strerror(errno));
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&xskmap=/sys/fs/bpf/xt_xsks");
	pktlink_close(ep);
	int fds = plt_fd_count();
	unsigned steps = 0;
	for (unsigned n = 1; n < 100; n++) {
		char err[256];
		ep = NULL;
		pl_fault_arm(n);
		int r = pktlink_open("xdp:" XT_A "?mode=skb&xskmap=/sys/fs/bpf/xt_xsks", &ep, err,
				     sizeof(err));
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		if (!fired) {
			PLT_OK(r);
			pktlink_close(ep);
			break;
		}
		PLT_CHECK(r < 0 && !ep, "step %u", n);
		PLT_CHECK(plt_fd_count() == fds, "step %u (%s): fds %d -> %d", n, err, fds,
			  plt_fd_count());
		PLT_CHECK(xt_xdp_attached(XT_A), "the caller's program was detached");
		uint32_t key = 0, val;
		PLT_CHECK(bpf_map_lookup_elem(xt_bpf_map(obj, "xsks_map"), &key, &val) != 0,
			  "XSKMAP entry left behind at step %u", n);
		steps++;
	}
	PLT_CHECK(steps >= 13, "steps %u", steps);
	unlink("/sys/fs/bpf/xt_xsks");
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	xt_leak_check();
	return 0;
}

static int ten_times(void)
{
	xt_setup(1500);
	int fds = -1;
	for (unsigned i = 0; i < 10; i++) {
		struct pktlink_ep *ep = xt_open(i & 1 ? "xdp:" XT_A "?mode=drv" : "xdp:" XT_A "?mode=skb");
		traffic(ep, i * 1000, 64);
		pktlink_close(ep);
		PLT_CHECK(!xt_xdp_attached(XT_A), "round %u: program left attached", i);
		if (fds < 0)
			fds = plt_fd_count();
		PLT_CHECK(plt_fd_count() == fds, "round %u: fds %d -> %d", i, fds, plt_fd_count());
	}
	xt_leak_check();
	return 0;
}

static int all_queues(void)
{
	plt_sh_ok("ip link add %s numtxqueues 4 numrxqueues 4 type veth peer name %s "
		  "numtxqueues 4 numrxqueues 4",
		  XT_A, XT_B);
	plt_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 net.ipv6.conf.%s.disable_ipv6=1 "
	       ">/dev/null 2>&1",
	       XT_A, XT_B);
	plt_sh_ok("ip link set %s up && ip link set %s up", XT_A, XT_B);
	plt_mount_bpffs();
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=drv&queues=all&frames=512");
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.num_queues == 4, "num_queues %u", info.num_queues);
	struct pktlink_xdp_status st;
	PLT_OK(pktlink_xdp_get_status(ep, &st));
	PLT_CHECK(st.num_queues == 4 && st.device_queues == 4, "status");
	/* UDP frames with varying ports: the sender's queue selection (and so
	 * veth's RX queue) spreads them. */
	uint8_t a[6], b[6], f[128];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	const unsigned total = 512;
	for (unsigned i = 0; i < total; i++) {
		uint32_t n = plt_build_udp(f, a, b, PLT_IP(198, 18, 0, 2), PLT_IP(198, 18, 0, 1),
					   (uint16_t)(1000 + i), 2000, &i, sizeof(i));
		xt_raw_send(raw, f, n);
	}
	static uint8_t seen[512];
	unsigned got = 0, per_q[4] = { 0 };
	uint64_t end = plt_now_ns() + 5000000000ull;
	while (got < total && plt_now_ns() < end) {
		struct pktlink_pkt p[64];
		int n = pktlink_rx_burst(ep, p, 64);
		PLT_OK(n);
		for (int i = 0; i < n; i++) {
			if (p[i].len < 46 || p[i].data[12] != 0x08 || p[i].data[23] != 17)
				continue;
			unsigned v;
			memcpy(&v, p[i].data + 42, sizeof(v));
			PLT_CHECK(v < total && !seen[v], "frame %u twice or bogus", v);
			seen[v] = 1;
			got++;
			per_q[p[i].queue]++;
		}
		pktlink_rx_release(ep, p, (unsigned)n);
		if (!n)
			pktlink_wait(ep, 20);
	}
	PLT_CHECK(got == total, "received %u of %u (per queue %u %u %u %u)", got, total, per_q[0],
		  per_q[1], per_q[2], per_q[3]);
	fprintf(stderr, "per queue: %u %u %u %u\n", per_q[0], per_q[1], per_q[2], per_q[3]);
	close(raw);
	pktlink_close(ep);
	PLT_CHECK(!xt_xdp_attached(XT_A), "program left attached");
	return 0;
}

static unsigned push_count; /* atomic */
static unsigned push_per_q[4]; /* atomic */

static void push_cb(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (pkts[i].len < 46 || pkts[i].data[12] != 0x08 || pkts[i].data[23] != 17)
			continue;
		__atomic_fetch_add(&push_per_q[pkts[i].queue & 3], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&push_count, 1, __ATOMIC_RELEASE);
	}
}

/* All queues in push mode: one worker per queue. */
static int all_queues_push(void)
{
	plt_sh_ok("ip link add %s numtxqueues 4 numrxqueues 4 type veth peer name %s "
		  "numtxqueues 4 numrxqueues 4",
		  XT_A, XT_B);
	plt_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 net.ipv6.conf.%s.disable_ipv6=1 "
	       ">/dev/null 2>&1",
	       XT_A, XT_B);
	plt_sh_ok("ip link set %s up && ip link set %s up", XT_A, XT_B);
	plt_mount_bpffs();
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=drv&queues=all&frames=256");
	PLT_OK(pktlink_attach(ep, push_cb, NULL));
	uint8_t a[6], b[6], f[128];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	const unsigned total = 1024;
	for (unsigned i = 0; i < total; i++) {
		uint32_t n = plt_build_udp(f, a, b, PLT_IP(198, 18, 0, 2), PLT_IP(198, 18, 0, 1),
					   (uint16_t)(1000 + i), 2000, &i, sizeof(i));
		xt_raw_send(raw, f, n);
		if ((i & 63) == 63) {
			uint64_t end = plt_now_ns() + 3000000000ull;
			while (__atomic_load_n(&push_count, __ATOMIC_ACQUIRE) <= i && plt_now_ns() < end)
				usleep(500);
		}
	}
	uint64_t end = plt_now_ns() + 3000000000ull;
	while (__atomic_load_n(&push_count, __ATOMIC_ACQUIRE) < total && plt_now_ns() < end)
		usleep(1000);
	PLT_OK(pktlink_attach(ep, NULL, NULL));
	pktlink_join(ep);
	PLT_CHECK(push_count == total, "push delivered %u of %u", push_count, total);
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "fault_every_step", fault_every_step, PLT_NETNS, 60 },
		{ "fault_caller_map", fault_caller_map, PLT_NETNS, 60 },
		{ "ten_times", ten_times, PLT_NETNS, 60 },
		{ "all_queues", all_queues, PLT_NETNS, 60 },
		{ "all_queues_push", all_queues_push, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
