/* SPDX-License-Identifier: MIT */
/*
 * test_packet: "packet:" endpoints on a veth pair in a private namespace:
 * byte-exact delivery both ways in readv, recvmmsg and mmap receive modes
 * with tx=sendmmsg and tx=mmap; the MAC filter (the ring's: the kernel's
 * verdict for the device's address, the bytes for another); the device deleted under a
 * running dispatcher; teardown from every setup step.
 * (Ring geometry, fanout and VLAN specifics are tested by the AF_PACKET
 * building-block tests.)
 */
#include "fd_testutil.h"

#include "core/fault.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

static void veth(void)
{
	plt_veth("plp0", "plp1", 1500, NULL, NULL);
	t_wait_oper_up("plp0");
	t_wait_oper_up("plp1");
}

static struct pktlink_ep *open_spec(const char *spec)
{
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s: %s (%s)", spec, err, plt_errname(-r));
	return ep;
}

/* a on plp0 in the given modes, b on plp1 (recvmmsg); both ways. */
static int both_ways_x(const char *dispatch, const char *tx, const char *extra)
{
	veth();
	uint8_t mac0[6], mac1[6];
	plt_mac("plp0", mac0);
	plt_mac("plp1", mac1);
	char spec[160];
	snprintf(spec, sizeof(spec), "packet:plp0?dispatch=%s&tx=%s%s", dispatch, tx, extra);
	int fds0 = plt_fd_count();
	struct pktlink_ep *a = open_spec(spec);
	struct pktlink_ep *b = open_spec("packet:plp1?dispatch=recvmmsg");
	struct pktlink_info in;
	pktlink_get_info(a, &in);
	PLT_CHECK(in.has_link_addr && !memcmp(in.link_addr, mac0, 6) && in.mtu == 1500 &&
			  in.max_header_len == 14,
		  "packet: takes the device's MAC and MTU");
	struct t_dir ab, ba;
	memset(&ab, 0, sizeof(ab));
	memset(&ba, 0, sizeof(ba));
	ab.tx = a, ab.rx = b, ab.salt = 0xab, ab.maxlen = 1514, ab.count = 3000;
	ba.tx = b, ba.rx = a, ba.salt = 0xba, ba.maxlen = 1514, ba.count = 3000;
	memcpy(ab.dst, mac1, 6);
	memcpy(ab.src, mac0, 6);
	memcpy(ba.dst, mac0, 6);
	memcpy(ba.src, mac1, 6);
	int r = t_pump2(&ab, &ba, 30);
	PLT_CHECK(r == 0, "%s/%s: %s", dispatch, tx, plt_errname(-r));
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(a, &st));
	PLT_CHECK(st.rx_packets >= 3000 && st.tx_packets == 3000, "stats rx %llu tx %llu",
		  (unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets);
	PLT_CHECK(st.tx_syscalls < st.tx_packets, "TX batched: %llu calls",
		  (unsigned long long)st.tx_syscalls);
	if (!strcmp(dispatch, "recvmmsg"))
		PLT_CHECK(st.rx_syscalls < st.rx_packets, "RX batched");
	pktlink_close(a);
	pktlink_close(b);
	PLT_CHECK(plt_fd_count() == fds0, "sockets closed");
	return 0;
}

static int both_ways(const char *dispatch, const char *tx)
{
	return both_ways_x(dispatch, tx, "");
}

/* with a virtio-net header on the sockets (plain frames: zero headers) */
static int vnet_modes(void)
{
	static const char *d[] = { "readv", "recvmmsg", "mmap" };
	for (int i = 0; i < 3; i++) {
		both_ways_x(d[i], "sendmmsg", "&vnet_hdr=1");
		plt_sh_ok("ip link del plp0");
	}
	both_ways_x("mmap", "mmap", "&vnet_hdr=1&fds=2");
	return 0;
}

static int readv_sendmmsg(void)
{
	return both_ways("readv", "sendmmsg");
}
static int recvmmsg_sendmmsg(void)
{
	return both_ways("recvmmsg", "sendmmsg");
}
static int mmap_sendmmsg(void)
{
	return both_ways("mmap", "sendmmsg");
}
static int readv_txmmap(void)
{
	return both_ways("readv", "mmap");
}
static int mmap_txmmap(void)
{
	return both_ways("mmap", "mmap");
}

/* Frames for another MAC: dropped and counted, delivery goes on, in push
 * mode, for every receive mode. */
static int filter_push(void)
{
	veth();
	uint8_t mac0[6], mac1[6];
	static const uint8_t other[6] = { 2, 0, 0, 0, 0, 0x77 };
	plt_mac("plp0", mac0);
	plt_mac("plp1", mac1);
	static const char *modes[] = { "readv", "recvmmsg", "mmap" };
	struct pktlink_ep *b = open_spec("packet:plp1?dispatch=readv");
	for (int m = 0; m < 3; m++) {
		char spec[128];
		snprintf(spec, sizeof(spec), "packet:plp0?dispatch=%s", modes[m]);
		struct pktlink_ep *a = open_spec(spec);
		struct t_push p;
		memset(&p, 0, sizeof(p));
		p.salt = 0x10u + (uint32_t)m;
		p.maxlen = 1514;
		memcpy(p.dst, mac0, 6);
		memcpy(p.src, mac1, 6);
		PLT_OK(pktlink_attach(a, t_push_cb, &p));
		uint8_t f[1600];
		uint32_t ours = 0, others = 0;
		for (uint32_t i = 0; i < 600; i++) {
			struct pktlink_pkt pk = { .data = f };
			if (i % 2)
				pk.len = t_frame(f, ours++, p.salt, 1514, mac0, mac1);
			else
				pk.len = t_frame(f, 100000 + i, p.salt, 1514, other, mac1), others++;
			uint64_t end = plt_now_ns() + PLT_WAIT_NS;
			while (pktlink_tx_burst(b, &pk, 1) == 0 && plt_now_ns() < end)
				usleep(100);
			/* pace: the socket's receive buffer holds ~100 frames,
			 * and kernel drops are not what this test is about */
			while (i % 32 == 31 && __atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) < ours &&
			       plt_now_ns() < end)
				usleep(200);
		}
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (__atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) < ours && plt_now_ns() < end)
			usleep(1000);
		PLT_OK(pktlink_attach(a, NULL, NULL));
		pktlink_join(a);
		struct pktlink_stats st;
		PLT_OK(pktlink_get_stats(a, &st));
		PLT_CHECK(p.rcvd == ours && p.err == 0, "%s: delivered %u of %u", modes[m], p.rcvd,
			  ours);
		PLT_CHECK(st.rx_drop_filter == others, "%s: drop_filter %llu of %u", modes[m],
			  (unsigned long long)st.rx_drop_filter, others);
		pktlink_close(a);
	}
	pktlink_close(b);
	return 0;
}

/* ring_filter_round() - b sends a frame to each of dsts[0..3] (PER of each,
 * interleaved); a (mmap) must deliver exactly those whose want[] is set and
 * count the others in rx_drop_filter. */
#define PER 20
static int ring_filter_round(struct pktlink_ep *a, struct pktlink_ep *b, const uint8_t *src,
			     const uint8_t dsts[4][6], const bool want[4], uint32_t salt)
{
	struct pktlink_stats s0, s1;
	PLT_OK(pktlink_get_stats(a, &s0));
	uint32_t expect = 0, got[4] = { 0 };
	uint8_t f[200];
	for (uint32_t i = 0; i < 4 * PER; i++) {
		struct pktlink_pkt pk = { .data = f };
		pk.len = t_frame(f, i, salt, 128, dsts[i % 4], src);
		expect += want[i % 4];
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (pktlink_tx_burst(b, &pk, 1) == 0 && plt_now_ns() < end)
			usleep(100);
	}
	uint32_t n = 0, others = 4 * PER - expect;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (plt_now_ns() < end) {
		struct pktlink_pkt rx[16];
		int r = pktlink_rx_burst(a, rx, 16);
		PLT_CHECK(r >= 0, "rx_burst: %s", plt_errname(-r));
		for (int k = 0; k < r; k++) {
			if (!t_is_test(rx[k].data, rx[k].len))
				continue; /* IPv6 neighbour discovery and the like */
			uint32_t seq, sl;
			memcpy(&seq, rx[k].data + 14, 4);
			memcpy(&sl, rx[k].data + 18, 4);
			if (sl != salt)
				continue;
			PLT_CHECK(seq < 4 * PER && !t_check(rx[k].data, rx[k].len, seq, salt, 128,
							     dsts[seq % 4], src),
				  "frame %u", seq);
			got[seq % 4]++;
			n++;
		}
		pktlink_rx_release(a, rx, (unsigned)(r > 0 ? r : 0));
		PLT_OK(pktlink_get_stats(a, &s1));
		if (n >= expect && s1.rx_drop_filter - s0.rx_drop_filter >= others)
			break;
		if (r == 0)
			pktlink_wait(a, 10);
	}
	for (int d = 0; d < 4; d++)
		PLT_CHECK(got[d] == (want[d] ? PER : 0), "salt %#x, destination %d: %u frames", salt,
			  d, got[d]);
	PLT_CHECK(s1.rx_drop_filter - s0.rx_drop_filter == others, "salt %#x: filtered %llu of %u",
		  salt, (unsigned long long)(s1.rx_drop_filter - s0.rx_drop_filter), others);
	return 0;
}

/* The ring's filter: for the device's own address it takes the kernel's
 * verdict (PACKET_OTHERHOST), for another one (pktlink_set_link_addr) it
 * compares the bytes, and back. Broadcast and multicast always pass. */
static int ring_filter_addr(void)
{
	veth();
	uint8_t mac0[6], mac1[6];
	plt_mac("plp0", mac0);
	plt_mac("plp1", mac1);
	static const uint8_t other[6] = { 2, 0, 0, 0, 0, 0x77 };
	uint8_t dsts[4][6] = { { 0 }, { 2, 0, 0, 0, 0, 0x77 },
			       { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
			       { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	memcpy(dsts[0], mac0, 6);
	struct pktlink_ep *a = open_spec("packet:plp0?dispatch=mmap");
	struct pktlink_ep *b = open_spec("packet:plp1?dispatch=readv");
	static const bool own[4] = { true, false, true, true };
	static const bool moved[4] = { false, true, true, true };
	ring_filter_round(a, b, mac1, (const uint8_t(*)[6])dsts, own, 0x51);
	PLT_OK(pktlink_set_link_addr(a, other));
	ring_filter_round(a, b, mac1, (const uint8_t(*)[6])dsts, moved, 0x52);
	PLT_OK(pktlink_set_link_addr(a, mac0));
	ring_filter_round(a, b, mac1, (const uint8_t(*)[6])dsts, own, 0x53);
	pktlink_close(a);
	pktlink_close(b);
	return 0;
}

/* promisc: frames for another MAC are delivered. */
static int promisc(void)
{
	veth();
	uint8_t mac1[6];
	static const uint8_t other[6] = { 2, 0, 0, 0, 0, 0x77 };
	plt_mac("plp1", mac1);
	struct pktlink_ep *a = open_spec("packet:plp0?dispatch=recvmmsg&promisc=1");
	struct pktlink_ep *b = open_spec("packet:plp1");
	struct t_dir d;
	memset(&d, 0, sizeof(d));
	d.tx = b, d.rx = a, d.salt = 1, d.maxlen = 1514, d.count = 200;
	memcpy(d.dst, other, 6);
	memcpy(d.src, mac1, 6);
	PLT_CHECK(t_pump2(&d, NULL, 20) == 0, "promisc delivery");
	pktlink_close(a);
	pktlink_close(b);
	return 0;
}

/* An endpoint on plp0 with the dispatch mode @mode (and @extra spec keys),
 * its closed callback writing *reason, attached with a push counter *p. */
static struct pktlink_ep *attached(const char *mode, const char *extra, int *reason,
				   struct t_push *p)
{
	char spec[128];
	snprintf(spec, sizeof(spec), "packet:plp0?dispatch=%s%s", mode, extra);
	struct pktlink_ep *a = open_spec(spec);
	*reason = 0;
	pktlink_set_closed_cb(a, t_closed_cb, reason);
	memset(p, 0, sizeof(*p));
	PLT_OK(pktlink_attach(a, t_push_cb, p));
	return a;
}

/* Deleting the device: closed callback with -ENODEV, workers exit. */
static int device_deleted(void)
{
	static const char *modes[] = { "readv", "recvmmsg", "mmap" };
	for (int m = 0; m < 3; m++) {
		veth();
		int threads0 = t_thread_baseline(), fds0 = plt_fd_count();
		int reason;
		struct t_push p;
		struct pktlink_ep *a = attached(modes[m], "&fds=2", &reason, &p);
		plt_sh_ok("ip link del plp0");
		PLT_CHECK(t_wait_nonzero(&reason, 10) == -ENODEV, "%s: reason %d (%s)", modes[m],
			  reason, plt_errname(-reason));
		pktlink_join(a);
		PLT_CHECK_THREADS(threads0, "workers exited");
		pktlink_close(a);
		PLT_CHECK(plt_fd_count() == fds0, "nothing leaked");
	}
	/* pull mode: rx_burst reports it */
	veth();
	struct pktlink_ep *a = open_spec("packet:plp0?dispatch=recvmmsg");
	plt_sh_ok("ip link del plp0");
	int r = 0;
	for (int i = 0; i < 100; i++) {
		struct pktlink_pkt pk[4];
		r = pktlink_rx_burst(a, pk, 4);
		if (r < 0)
			break;
		pktlink_rx_release(a, pk, (unsigned)r);
		r = pktlink_wait(a, 50);
		if (r < 0)
			break;
	}
	PLT_CHECK(r == -ENODEV, "pull: %d", r);
	pktlink_close(a);
	return 0;
}

/* A link going down is not the peer going away. */
static int link_down_is_transient(void)
{
	veth();
	int reason;
	struct t_push p;
	struct pktlink_ep *a = attached("readv", "", &reason, &p);
	plt_sh_ok("ip link set plp0 down");
	usleep(300000);
	plt_sh_ok("ip link set plp0 up");
	usleep(300000);
	PLT_CHECK(__atomic_load_n(&reason, __ATOMIC_ACQUIRE) == 0, "link down: not gone (%d)",
		  reason);
	PLT_OK(pktlink_attach(a, NULL, NULL));
	pktlink_join(a);
	pktlink_close(a);
	return 0;
}

/*
 * A device deleted while its link is already down. The down came as
 * ENETDOWN while the device still existed (not final), and unregistering
 * the device reports nothing more to the socket: the waiter must still find
 * out (fd_rx_wait() looks again while the link is down).
 */
static int deleted_after_link_down(void)
{
	static const char *modes[] = { "readv", "recvmmsg", "mmap" };
	for (int m = 0; m < 3; m++) {
		veth();
		int reason;
		struct t_push p;
		struct pktlink_ep *a = attached(modes[m], "", &reason, &p);
		plt_sh_ok("ip link set plp0 down");
		usleep(200000); /* time for the worker to take the ENETDOWN first */
		PLT_CHECK(__atomic_load_n(&reason, __ATOMIC_ACQUIRE) == 0,
			  "%s: a link down taken as gone", modes[m]);
		plt_sh_ok("ip link del plp0");
		PLT_CHECK(t_wait_nonzero(&reason, 10) == -ENODEV, "%s: reason %d (%s)", modes[m],
			  reason, plt_errname(-reason));
		pktlink_join(a);
		pktlink_close(a);
	}
	/* pulling from two queues (pktlink_wait() on their epoll set) */
	for (int m = 0; m < 3; m++) {
		veth();
		char spec[128];
		snprintf(spec, sizeof(spec), "packet:plp0?dispatch=%s&fds=2", modes[m]);
		struct pktlink_ep *a = open_spec(spec);
		plt_sh_ok("ip link set plp0 down");
		int r = 0;
		bool deleted = false;
		uint64_t start = plt_now_ns(), end = start + 10000000000ull;
		while (r >= 0 && plt_now_ns() < end) {
			if (!deleted && plt_now_ns() - start > 200000000ull) {
				plt_sh_ok("ip link del plp0"); /* the downs are taken by now */
				deleted = true;
			}
			struct pktlink_pkt pk[4];
			for (unsigned q = 0; q < 2 && r >= 0; q++) {
				r = pktlink_rx_burst_queue(a, q, pk, 4);
				if (r > 0)
					pktlink_rx_release(a, pk, (unsigned)r);
			}
			if (r >= 0)
				r = pktlink_wait(a, 20);
			PLT_CHECK(deleted || r >= 0, "%s: gone before the deletion: %d", modes[m], r);
		}
		PLT_CHECK(r == -ENODEV, "%s pull: %d (%s)", modes[m], r, plt_errname(-r));
		pktlink_close(a);
	}
	return 0;
}

/* A failure at every setup step leaves no fd, thread or memory behind. */
static int teardown_every_step(void)
{
	veth();
	static const char *specs[] = {
		"packet:plp0?dispatch=readv",
		"packet:plp0?dispatch=recvmmsg&fds=3",
		"packet:plp0?dispatch=mmap&fds=2&tx=mmap",
		"packet:plp0?dispatch=mmap&vnet_hdr=1",
	};
	int fds0 = plt_fd_count(), threads0 = t_thread_baseline();
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		unsigned n;
		for (n = 1; n < 200; n++) {
			pl_fault_arm(n);
			struct pktlink_ep *ep = NULL;
			char err[256] = "";
			int r = pktlink_open(specs[k], &ep, err, sizeof(err));
			bool fired = pl_fault_fired();
			pl_fault_arm(0);
			if (r == 0) {
				PLT_CHECK(!fired, "%s: open succeeded although step %u failed",
					  specs[k], n);
				pktlink_close(ep);
			}
			PLT_CHECK(plt_fd_count() == fds0, "%s, step %u: fd count %d, baseline %d (%s)",
				  specs[k], n, plt_fd_count(), fds0, err);
			PLT_CHECK_THREADS(threads0, "threads");
			if (r == 0)
				break;
			PLT_CHECK(fired, "%s: open failed without a fault: %s", specs[k], err);
			PLT_CHECK(err[0], "a reason");
		}
		PLT_CHECK(n > 3 && n < 200, "%s: %u steps", specs[k], n);
		PLT_CHECK(plt_fd_count() == fds0, "closed");
	}
	PLT_CHECK(t_no_leaks() == 0, "LeakSanitizer found leaks");
	return 0;
}

/* tx=mmap lends TX ring slots: frames written in place go out unchanged. */
static int zero_copy_tx(void)
{
	veth();
	uint8_t mac0[6], mac1[6];
	plt_mac("plp0", mac0);
	plt_mac("plp1", mac1);
	struct pktlink_ep *a = open_spec("packet:plp0?tx=mmap&tx_frames=64");
	struct pktlink_ep *b = open_spec("packet:plp1?dispatch=recvmmsg");
	struct pktlink_info in;
	pktlink_get_info(a, &in);
	PLT_CHECK(in.caps & PKTLINK_CAP_TX_ALLOC, "TX_ALLOC advertised");
	uint32_t seq = 0, rcvd = 0;
	uint64_t end = plt_now_ns() + 20000000000ull;
	while (rcvd < 2000 && plt_now_ns() < end) {
		struct pktlink_pkt pk[16];
		int k = seq < 2000 && seq - rcvd < 48 ? pktlink_tx_alloc(a, pk, 16) : 0;
		PLT_CHECK(k >= 0, "tx_alloc %d", k);
		for (int i = 0; i < k; i++) {
			PLT_CHECK((pk[i].flags & PKTLINK_PKT_TXBUF) && pk[i].len >= 1514,
				  "lent buffer of %u bytes", pk[i].len);
			pk[i].len = t_frame(pk[i].data, seq + (uint32_t)i, 0x2c, 1514, mac1, mac0);
		}
		int sent = k ? pktlink_tx_burst(a, pk, (unsigned)k) : 0;
		PLT_CHECK(sent >= 0, "tx %d", sent);
		if (sent < k)
			pktlink_tx_free(a, pk + sent, (unsigned)(k - sent));
		seq += (uint32_t)sent;
		struct pktlink_pkt rx[32];
		int r = pktlink_rx_burst(b, rx, 32);
		PLT_CHECK(r >= 0, "rx %d", r);
		for (int i = 0; i < r; i++) {
			if (!t_is_test(rx[i].data, rx[i].len))
				continue;
			PLT_CHECK(t_check(rx[i].data, rx[i].len, rcvd, 0x2c, 1514, mac1, mac0) == 0,
				  "frame %u", rcvd);
			rcvd++;
		}
		pktlink_rx_release(b, rx, (unsigned)r);
		if (!r)
			usleep(50);
	}
	PLT_CHECK(rcvd == 2000, "zero-copy frames received: %u", rcvd);
	/* lent buffers can be given back unsent, and plain frames still go */
	struct pktlink_pkt pk[8];
	int k = pktlink_tx_alloc(a, pk, 8);
	PLT_CHECK(k > 0, "alloc %d", k);
	pktlink_tx_free(a, pk, (unsigned)k);
	pktlink_close(a);
	pktlink_close(b);
	return 0;
}

/* AF_PACKET sockets opened by the caller and handed in as "fd:". */
static int handed_in_socket(void)
{
	veth();
	uint8_t mac0[6], mac1[6];
	plt_mac("plp0", mac0);
	plt_mac("plp1", mac1);
	struct pktlink_ep *b = open_spec("packet:plp1?dispatch=recvmmsg");
	static const char *rx[] = { "readv", "recvmmsg", "mmap" };
	for (int m = 0; m < 3; m++) {
		int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x0003 /* ETH_P_ALL */));
		PLT_CHECK(s >= 0, "AF_PACKET socket");
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(0x0003),
					   .sll_ifindex = plt_ifindex("plp0") };
		PLT_CHECK(bind(s, (struct sockaddr *)&sll, sizeof(sll)) == 0, "bind");
		char spec[160];
		snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&rx=%s&addr=%02x:%02x:%02x:%02x:%02x:%02x",
			 s, rx[m], mac0[0], mac0[1], mac0[2], mac0[3], mac0[4], mac0[5]);
		struct pktlink_ep *a = open_spec(spec);
		struct t_dir ab, ba;
		memset(&ab, 0, sizeof(ab));
		memset(&ba, 0, sizeof(ba));
		ab.tx = a, ab.rx = b, ab.salt = 0x5a, ab.maxlen = 1514, ab.count = 1000;
		ba.tx = b, ba.rx = a, ba.salt = 0xa5, ba.maxlen = 1514, ba.count = 1000;
		memcpy(ab.dst, mac1, 6);
		memcpy(ab.src, mac0, 6);
		memcpy(ba.dst, mac0, 6);
		memcpy(ba.src, mac1, 6);
		int r = t_pump2(&ab, &ba, 20);
		PLT_CHECK(r == 0, "rx=%s: %s", rx[m], plt_errname(-r));
		pktlink_close(a);
		PLT_CHECK(fcntl(s, F_GETFD) >= 0, "handed-in socket not closed");
		close(s);
	}
	pktlink_close(b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "readv_sendmmsg", readv_sendmmsg, PLT_NETNS, 50 },
		{ "recvmmsg_sendmmsg", recvmmsg_sendmmsg, PLT_NETNS, 50 },
		{ "mmap_sendmmsg", mmap_sendmmsg, PLT_NETNS, 50 },
		{ "readv_txmmap", readv_txmmap, PLT_NETNS, 50 },
		{ "mmap_txmmap", mmap_txmmap, PLT_NETNS, 50 },
		{ "vnet_modes", vnet_modes, PLT_NETNS, 50 },
		{ "filter_push", filter_push, PLT_NETNS, 50 },
		{ "promisc", promisc, PLT_NETNS, 30 },
		{ "ring_filter_addr", ring_filter_addr, PLT_NETNS, 50 },
		{ "handed_in_socket", handed_in_socket, PLT_NETNS, 50 },
		{ "zero_copy_tx", zero_copy_tx, PLT_NETNS, 50 },
		{ "device_deleted", device_deleted, PLT_NETNS, 50 },
		{ "link_down_is_transient", link_down_is_transient, PLT_NETNS, 30 },
		{ "deleted_after_link_down", deleted_after_link_down, PLT_NETNS, 60 },
		{ "teardown_every_step", teardown_every_step, PLT_NETNS, 50 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
