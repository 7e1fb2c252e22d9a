/* SPDX-License-Identifier: MIT */
/*
 * test_tap: "tap:"/"tun:" endpoints with real kernel traffic in a private
 * namespace: a UDP socket sends to an address routed via the TAP and pktlink
 * receives it; pktlink sends a UDP frame and the kernel socket receives it.
 * Also: frames for another MAC, multi-queue TAP, a TAP handed in as "fd:",
 * the device deleted under a dispatcher, teardown from every setup step.
 * (virtio-net header offloads and GSO are tested by the offload tests.)
 */
#include "fd_testutil.h"

#include "core/fault.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static const uint8_t OUR_MAC[6] = { 2, 0, 0, 0, 0x18, 2 };
static const uint8_t OTHER_MAC[6] = { 2, 0, 0, 0, 0x18, 3 };

/* Configure the TAP the endpoint created: 198.18.1.1/24 on the kernel side,
 * 198.18.1.2 (our MAC) and 198.18.1.3 (another MAC) as static neighbours. */
static void tap_config(const char *name)
{
	plt_sh_ok("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", name);
	plt_sh_ok("ip addr add 198.18.1.1/24 dev %s && ip link set %s up", name, name);
	plt_sh_ok("ip neigh replace 198.18.1.2 lladdr 02:00:00:00:18:02 dev %s", name);
	plt_sh_ok("ip neigh replace 198.18.1.3 lladdr 02:00:00:00:18:03 dev %s", name);
	t_wait_oper_up(name);
}

static int udp_socket(uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	PLT_CHECK(s >= 0, "socket");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 1));
	PLT_CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static void payload(uint8_t *p, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
}

/* Is f an IPv4/UDP frame to dport (Ethernet when eth)? Returns the payload. */
static const uint8_t *udp_payload(const uint8_t *f, uint32_t len, bool eth, uint16_t dport,
				  uint32_t *plen)
{
	uint32_t l2 = eth ? 14 : 0;
	if (len < l2 + 28 || (eth && (f[12] != 0x08 || f[13] != 0x00)))
		return NULL;
	const uint8_t *ip = f + l2;
	if ((ip[0] >> 4) != 4 || ip[9] != 17)
		return NULL;
	uint32_t ihl = (ip[0] & 15u) * 4;
	const uint8_t *udp = ip + ihl;
	if (l2 + ihl + 8 > len || ((udp[2] << 8) | udp[3]) != dport)
		return NULL;
	uint32_t ulen = (uint32_t)((udp[4] << 8) | udp[5]);
	if (ulen < 8 || l2 + ihl + ulen > len)
		return NULL;
	*plen = ulen - 8;
	return udp + 8;
}

/* kernel → pktlink: n datagrams of random sizes; every one arrives intact. */
static void kernel_to_pktlink(struct pktlink_ep *ep, int s, bool eth, uint32_t n, bool push)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6000) };
	to.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 2));
	uint8_t buf[1500];
	uint32_t got = 0;
	uint64_t end = plt_now_ns() + 20000000000ull;
	for (uint32_t i = 0; i < n && plt_now_ns() < end; i++) {
		uint32_t len = 1 + t_hash(i) % 1400;
		payload(buf, len, i);
		PLT_CHECK(sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len,
			  "sendto %u: %s", i, strerror(errno));
		if (push)
			continue;
		/* pull: read what arrived (bounded per datagram) */
		for (int spin = 0; spin < 2000 && got <= i; spin++) {
			struct pktlink_pkt pk[16];
			int r = pktlink_rx_burst(ep, pk, 16);
			PLT_CHECK(r >= 0, "rx: %d", r);
			for (int k = 0; k < r; k++) {
				uint32_t pl;
				const uint8_t *p = udp_payload(pk[k].data, pk[k].len, eth, 6000, &pl);
				if (!p)
					continue;
				uint8_t exp[1500];
				uint32_t el = 1 + t_hash(got) % 1400;
				payload(exp, el, got);
				PLT_CHECK(pl == el && !memcmp(p, exp, el), "datagram %u differs", got);
				got++;
			}
			pktlink_rx_release(ep, pk, (unsigned)r);
			if (r == 0 && got <= i)
				pktlink_wait(ep, 10);
		}
	}
	if (!push)
		PLT_CHECK(got == n, "received %u of %u", got, n);
}

/* pktlink → kernel: n UDP frames; the kernel socket receives each. */
static void pktlink_to_kernel(struct pktlink_ep *ep, int s, const uint8_t *tap_mac, bool eth,
			      uint32_t n)
{
	uint8_t f[1600], pl[1500], in[1600];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = 1 + t_hash(i + 77) % 1400;
		payload(pl, len, i + 1000);
		uint32_t fl = plt_build_udp(f, tap_mac, OUR_MAC, PLT_IP(198, 18, 1, 2),
					    PLT_IP(198, 18, 1, 1), 6000, 5000, pl, len);
		struct pktlink_pkt pk = { .data = eth ? f : f + 14, .len = eth ? fl : fl - 14 };
		int r = 0;
		for (int t = 0; t < 1000 && r == 0; t++) {
			r = pktlink_tx_burst(ep, &pk, 1);
			if (r == 0)
				usleep(100);
		}
		PLT_CHECK(r == 1, "tx %u: %d", i, r);
		ssize_t got = recv(s, in, sizeof(in), 0);
		PLT_CHECK(got == (ssize_t)len && !memcmp(in, pl, len), "kernel got %zd of %u", got,
			  len);
	}
}

static struct pktlink_ep *open_spec(const char *spec)
{
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s: %s (%s)", spec, err, plt_errname(-r));
	return ep;
}

static int tap_kernel_traffic(bool vnet)
{
	int fds0 = plt_fd_count();
	struct pktlink_ep *ep = open_spec(vnet ? "tap:pltap0?addr=02:00:00:00:18:02&vnet_hdr=1"
					       : "tap:pltap0?addr=02:00:00:00:18:02");
	tap_config("pltap0");
	uint8_t tap_mac[6];
	plt_mac("pltap0", tap_mac);
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.mtu == 1500 && in.max_header_len == 14 && (in.caps & PKTLINK_CAP_ETHERNET) &&
			  in.has_link_addr && !memcmp(in.link_addr, OUR_MAC, 6),
		  "info");
	PLT_CHECK(vnet == (in.gso_kind == PKTLINK_GSO_KIND_HOST), "gso kind %u", in.gso_kind);
	int s = udp_socket(5000);
	kernel_to_pktlink(ep, s, true, 500, false);
	pktlink_to_kernel(ep, s, tap_mac, true, 300);
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(ep, &st));
	PLT_CHECK(st.tx_packets == 300 && st.rx_packets >= 500, "stats");
	close(s);
	pktlink_close(ep);
	PLT_CHECK(plt_fd_count() == fds0, "TAP fds closed");
	return 0;
}

static int tap_plain(void)
{
	return tap_kernel_traffic(false);
}

static int tap_vnet(void)
{
	return tap_kernel_traffic(true);
}

/* TUN: IP packets, no link header. */
static int tun_kernel_traffic(void)
{
	struct pktlink_ep *ep = open_spec("tun:pltun0");
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.max_header_len == 0 && in.arp_hwtype == 0xfffe &&
			  !(in.caps & PKTLINK_CAP_ETHERNET),
		  "tun info");
	plt_sh_ok("sysctl -qw net.ipv6.conf.pltun0.disable_ipv6=1");
	plt_sh_ok("ip addr add 198.18.1.1/24 dev pltun0 && ip link set pltun0 up");
	t_wait_oper_up("pltun0");
	int s = udp_socket(5000);
	kernel_to_pktlink(ep, s, false, 200, false);
	uint8_t none[6] = { 0 };
	pktlink_to_kernel(ep, s, none, false, 100);
	close(s);
	pktlink_close(ep);
	return 0;
}

/* Push mode with frames for another MAC in between: dropped, counted, and
 * the dispatcher keeps delivering. */
struct udp_push {
	uint32_t got; /* atomic */
	int bad;
};

static void udp_cb(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct udp_push *u = ctx;
	(void)ep;
	for (unsigned k = 0; k < n; k++) {
		uint32_t pl;
		const uint8_t *p = udp_payload(pkts[k].data, pkts[k].len, true, 6000, &pl);
		if (!p)
			continue;
		uint32_t g = __atomic_load_n(&u->got, __ATOMIC_RELAXED);
		uint8_t exp[1500];
		uint32_t el = 1 + t_hash(g) % 1400;
		payload(exp, el, g);
		if (pl != el || memcmp(p, exp, el))
			u->bad = 1;
		__atomic_store_n(&u->got, g + 1, __ATOMIC_RELEASE);
	}
}

static int tap_filter_push(void)
{
	struct pktlink_ep *ep = open_spec("tap:pltap0?addr=02:00:00:00:18:02");
	tap_config("pltap0");
	int s = udp_socket(5000);
	struct udp_push u = { 0 };
	PLT_OK(pktlink_attach(ep, udp_cb, &u));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6000) };
	struct sockaddr_in other = to;
	to.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 2));
	other.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 3)); /* OTHER_MAC */
	uint8_t buf[1500];
	uint32_t n = 400;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = 1 + t_hash(i) % 1400;
		payload(buf, len, i);
		PLT_CHECK(sendto(s, buf, 64, 0, (struct sockaddr *)&other, sizeof(other)) == 64,
			  "sendto other");
		PLT_CHECK(sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len,
			  "sendto");
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (i % 16 == 15 && __atomic_load_n(&u.got, __ATOMIC_ACQUIRE) <= i &&
		       plt_now_ns() < end)
			usleep(100);
	}
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (__atomic_load_n(&u.got, __ATOMIC_ACQUIRE) < n && plt_now_ns() < end)
		usleep(1000);
	PLT_OK(pktlink_attach(ep, NULL, NULL));
	pktlink_join(ep);
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(ep, &st));
	PLT_CHECK(u.got == n && !u.bad, "delivered %u of %u", u.got, n);
	PLT_CHECK(st.rx_drop_filter >= n, "drop_filter %llu", (unsigned long long)st.rx_drop_filter);
	(void)OTHER_MAC;
	close(s);
	pktlink_close(ep);
	return 0;
}

/* Multi-queue TAP: one queue (and worker) per fd; every datagram arrives. */
static int tap_multiqueue(void)
{
	struct pktlink_ep *ep = open_spec("tap:pltap0?addr=02:00:00:00:18:02&queues=4");
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.num_queues == 4, "queues %u", in.num_queues);
	PLT_CHECK(pktlink_queue_fd(ep, 3) >= 0 && pktlink_queue_fd(ep, 4) == -EINVAL, "queue fds");
	tap_config("pltap0");
	int s = udp_socket(5000);
	kernel_to_pktlink(ep, s, true, 300, false);
	uint8_t tap_mac[6];
	plt_mac("pltap0", tap_mac);
	pktlink_to_kernel(ep, s, tap_mac, true, 100);
	struct udp_push u = { 0 };
	PLT_OK(pktlink_attach(ep, udp_cb, &u));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6000) };
	to.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 2));
	uint8_t buf[1500];
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t len = 1 + t_hash(i) % 1400;
		payload(buf, len, i);
		PLT_CHECK(sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len,
			  "sendto");
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while (__atomic_load_n(&u.got, __ATOMIC_ACQUIRE) <= i && plt_now_ns() < end)
			usleep(100);
	}
	PLT_CHECK(u.got == 100 && !u.bad, "push over 4 queues: %u", u.got);
	PLT_OK(pktlink_attach(ep, NULL, NULL));
	pktlink_join(ep);
	close(s);
	pktlink_close(ep);
	return 0;
}

/* An existing TAP with a larger MTU: the endpoint takes the device's MTU
 * and its buffers hold the frames the kernel writes. */
static int tap_existing_mtu(void)
{
	plt_sh_ok("ip tuntap add pltap0 mode tap && ip link set pltap0 mtu 9000");
	struct pktlink_ep *ep = open_spec("tap:pltap0?addr=02:00:00:00:18:02");
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.mtu == 9000, "mtu %u", in.mtu);
	tap_config("pltap0");
	int s = udp_socket(5000);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6000) };
	to.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 2));
	static uint8_t buf[8900];
	payload(buf, sizeof(buf), 3);
	PLT_CHECK(sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)) ==
			  (ssize_t)sizeof(buf),
		  "sendto");
	bool got = false;
	for (int i = 0; i < 200 && !got; i++) {
		struct pktlink_pkt pk[8];
		int r = pktlink_rx_burst(ep, pk, 8);
		PLT_CHECK(r >= 0, "rx %d", r);
		for (int k = 0; k < r; k++) {
			uint32_t pl;
			const uint8_t *p = udp_payload(pk[k].data, pk[k].len, true, 6000, &pl);
			if (p && pl == sizeof(buf) && !memcmp(p, buf, pl))
				got = true;
		}
		pktlink_rx_release(ep, pk, (unsigned)r);
		if (!got)
			pktlink_wait(ep, 10);
	}
	PLT_CHECK(got, "a 8900-byte datagram in one frame");
	close(s);
	pktlink_close(ep);
	return 0;
}

/* A TAP opened elsewhere and handed in: "fd:" does not close it. */
static int tap_handed_in(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	PLT_CHECK(fd >= 0, "open /dev/net/tun");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "pltap0");
	PLT_CHECK(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF");
	char spec[128], err[256];
	struct pktlink_ep *ep;
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&addr=02:00:00:00:18:02&rx=recvmmsg", fd);
	PLT_CHECK(pktlink_open(spec, &ep, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "rx=recvmmsg needs a socket") && strstr(err, "use rx=readv"),
		  "recvmmsg on a TAP: %s", err);
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&addr=02:00:00:00:18:02", fd);
	ep = open_spec(spec);
	tap_config("pltap0");
	int s = udp_socket(5000);
	kernel_to_pktlink(ep, s, true, 100, false);
	close(s);
	pktlink_close(ep);
	PLT_CHECK(fcntl(fd, F_GETFD) >= 0, "handed-in fd still open");
	close(fd);
	return 0;
}

/* Deleting the TAP: closed callback with -ENODEV, workers exit. */
static int tap_deleted(void)
{
	for (int push = 0; push < 2; push++) {
		int threads0 = t_thread_baseline(), fds0 = plt_fd_count();
		struct pktlink_ep *ep = open_spec("tap:pltap0?queues=2");
		plt_sh_ok("ip link set pltap0 up");
		t_wait_oper_up("pltap0");
		int reason = 0;
		pktlink_set_closed_cb(ep, t_closed_cb, &reason);
		struct t_push p;
		memset(&p, 0, sizeof(p));
		if (push)
			PLT_OK(pktlink_attach(ep, t_push_cb, &p));
		plt_sh_ok("ip link del pltap0");
		if (push) {
			PLT_CHECK(t_wait_nonzero(&reason, 10) == -ENODEV, "reason %d", reason);
			pktlink_join(ep);
			PLT_CHECK_THREADS(threads0, "workers exited");
		} else {
			struct pktlink_pkt pk[4];
			int r = pktlink_rx_burst(ep, pk, 4);
			PLT_CHECK(r == -ENODEV && reason == -ENODEV, "pull: %d", r);
			uint8_t f[64] = { 0 };
			struct pktlink_pkt tp = { .data = f, .len = 64 };
			PLT_CHECK(pktlink_tx_burst(ep, &tp, 1) == -ENODEV, "tx after death");
		}
		pktlink_close(ep);
		PLT_CHECK(plt_fd_count() == fds0, "nothing leaked");
	}
	return 0;
}

/* A failure at every setup step leaves no fd, thread or memory behind. */
static int teardown_every_step(void)
{
	static const char *specs[] = {
		"tap:pltap0",
		"tap:pltap1?vnet_hdr=1&queues=3",
		"tun:pltun0?vnet_hdr=1&gso=software",
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
				PLT_CHECK(!fired, "%s: opened although step %u failed", specs[k], n);
				pktlink_close(ep);
			}
			PLT_CHECK(plt_fd_count() == fds0, "%s, step %u: fds %d, baseline %d (%s)",
				  specs[k], n, plt_fd_count(), fds0, err);
			PLT_CHECK_THREADS(threads0, "threads");
			if (r == 0)
				break;
			PLT_CHECK(fired && err[0], "%s: failed without a fault: %s", specs[k], err);
		}
		PLT_CHECK(n > 3 && n < 200, "%s: %u steps", specs[k], n);
	}
	PLT_CHECK(t_no_leaks() == 0, "LeakSanitizer found leaks");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "tap_plain", tap_plain, PLT_NETNS, 50 },
		{ "tap_vnet", tap_vnet, PLT_NETNS, 50 },
		{ "tun_kernel_traffic", tun_kernel_traffic, PLT_NETNS, 50 },
		{ "tap_filter_push", tap_filter_push, PLT_NETNS, 50 },
		{ "tap_multiqueue", tap_multiqueue, PLT_NETNS, 50 },
		{ "tap_handed_in", tap_handed_in, PLT_NETNS, 50 },
		{ "tap_existing_mtu", tap_existing_mtu, PLT_NETNS, 30 },
		{ "tap_deleted", tap_deleted, PLT_NETNS, 50 },
		{ "teardown_every_step", teardown_every_step, PLT_NETNS, 50 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
