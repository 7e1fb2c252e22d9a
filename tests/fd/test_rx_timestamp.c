/* SPDX-License-Identifier: MIT */
/*
 * test_rx_timestamp: receive timestamps (PKTLINK_PKT_TSTAMP) on the fd
 * family. The TPACKET_V3 ring always has the kernel's stamp; readv and
 * recvmmsg have it only with timestamp=1 (SO_TIMESTAMPNS, a control
 * message per frame), on AF_PACKET sockets and on socketpairs alike.
 * Stamps must lie between the send and the receive (wall clock). Their
 * order is not checked: the kernel turns its receive stamping on through
 * deferred work after the first socket asks for it, and until that has run
 * it stamps a frame when it is read (sock_recv_timestamp() on a frame
 * without a stamp), so the first frames read can carry later stamps than
 * frames behind them (seen: 44 us backwards, about once in 100 runs).
 */
#include "fd_testutil.h"

#include <sys/socket.h>
#include <time.h>

static uint64_t now_real(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Send count frames from tx to rx and check rx's timestamps (want: stamped). */
static void run(struct pktlink_ep *tx, struct pktlink_ep *rx, const uint8_t dst[6],
		const uint8_t src[6], bool want)
{
	enum { COUNT = 16 };
	uint8_t f[COUNT][200];
	struct pktlink_pkt out[COUNT];
	uint64_t t0 = now_real();
	for (unsigned i = 0; i < COUNT; i++) {
		uint32_t len = plt_build_udp(f[i], dst, src, PLT_IP(198, 18, 0, 1),
					     PLT_IP(198, 18, 0, 2), 1000, 2000, NULL, 100);
		out[i] = (struct pktlink_pkt){ .data = f[i], .len = len };
	}
	unsigned sent = 0;
	uint64_t end = plt_now_ns() + 5000000000ull;
	while (sent < COUNT && plt_now_ns() < end) {
		int r = pktlink_tx_burst(tx, out + sent, COUNT - sent);
		PLT_OK(r);
		sent += (unsigned)r;
	}
	PLT_CHECK(sent == COUNT, "sent %u", sent);
	unsigned got = 0;
	while (got < COUNT && plt_now_ns() < end) {
		struct pktlink_pkt p[COUNT];
		int n = pktlink_rx_burst(rx, p, COUNT);
		PLT_OK(n);
		if (!n) {
			pktlink_wait(rx, 50);
			continue;
		}
		uint64_t t1 = now_real();
		for (int i = 0; i < n; i++) {
			if (p[i].len < 34 || p[i].data[23] != 17)
				continue; /* not ours (IPv6 noise on the veth) */
			got++;
			if (!want) {
				PLT_CHECK(!(p[i].flags & PKTLINK_PKT_TSTAMP) && !p[i].timestamp,
					  "stamped without timestamp=1");
				continue;
			}
			PLT_CHECK(p[i].flags & PKTLINK_PKT_TSTAMP, "frame %u without a timestamp", got);
			/* 1 ms slack: the kernel's clock read may round */
			PLT_CHECK(p[i].timestamp + 1000000 >= t0 && p[i].timestamp <= t1 + 1000000,
				  "timestamp %llu outside [%llu, %llu]",
				  (unsigned long long)p[i].timestamp, (unsigned long long)t0,
				  (unsigned long long)t1);
		}
		pktlink_rx_release(rx, p, (unsigned)n);
	}
	PLT_CHECK(got == COUNT, "received %u of %u", got, COUNT);
}

static int packet_mode(const char *dispatch, const char *extra, bool want)
{
	plt_veth("plt0", "plt1", 1500, NULL, NULL);
	t_wait_oper_up("plt0");
	t_wait_oper_up("plt1");
	uint8_t m0[6], m1[6];
	plt_mac("plt0", m0);
	plt_mac("plt1", m1);
	char spec[128];
	snprintf(spec, sizeof(spec), "packet:plt1?dispatch=%s%s", dispatch, extra);
	struct pktlink_ep *tx = t_open_spec("packet:plt0");
	struct pktlink_ep *rx = t_open_spec(spec);
	run(tx, rx, m1, m0, want);
	pktlink_close(rx);
	pktlink_close(tx);
	return 0;
}

static int mmap_always(void)
{
	return packet_mode("mmap", "", true);
}

static int recvmmsg_asked(void)
{
	return packet_mode("recvmmsg", "&timestamp=1", true);
}

static int readv_asked(void)
{
	return packet_mode("readv", "&timestamp=1", true);
}

static int recvmmsg_not_asked(void)
{
	return packet_mode("recvmmsg", "", false);
}

static int socketpair_asked(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	char spec[128];
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&rx=recvmmsg&timestamp=1", sv[1]);
	struct pktlink_ep *rx = t_open_spec(spec);
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500", sv[0]);
	struct pktlink_ep *tx = t_open_spec(spec);
	struct pktlink_info in;
	pktlink_get_info(rx, &in);
	uint8_t src[6] = { 2, 0, 0, 0, 0, 1 };
	run(tx, rx, in.has_link_addr ? in.link_addr : (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, src,
	    true);
	pktlink_close(rx);
	pktlink_close(tx);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "mmap_always", mmap_always, PLT_NETNS, 30 },
		{ "recvmmsg_asked", recvmmsg_asked, PLT_NETNS, 30 },
		{ "readv_asked", readv_asked, PLT_NETNS, 30 },
		{ "recvmmsg_not_asked", recvmmsg_not_asked, PLT_NETNS, 30 },
		{ "socketpair_asked", socketpair_asked, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
