/* SPDX-License-Identifier: MIT */
/*
 * test_release_handle: rx_release finds a view's buffer from the endpoint's
 * handle (priv/priv2), never from the public .queue field, which a caller
 * may reuse. Every receive mode of packet: (readv, recvmmsg, mmap with a
 * tiny ring that stalls unless blocks really go back, and two fanout queues
 * whose views are released with their .queue swapped or garbage): far more
 * frames than the buffers hold must flow through when the caller clobbers
 * .queue before every release.
 */
#include "fd_testutil.h"

enum { TOTAL = 300, LEN = 1000 };

static int flow(const char *rx_extra, unsigned (*clobber)(unsigned i, unsigned q))
{
	plt_veth("plr0", "plr1", 1500, NULL, NULL);
	t_wait_oper_up("plr0");
	t_wait_oper_up("plr1");
	uint8_t m0[6], m1[6];
	plt_mac("plr0", m0);
	plt_mac("plr1", m1);
	char spec[160];
	snprintf(spec, sizeof(spec), "packet:plr1?%s", rx_extra);
	struct pktlink_ep *rx = t_open_spec(spec);
	struct pktlink_ep *tx = t_open_spec("packet:plr0");
	unsigned got = 0;
	uint8_t f[LEN];
	/* Lockstep, one frame at a time (nothing lost to a full ring): each
	 * must arrive within a bounded wait, resent every 200 ms. The source
	 * port varies so the fanout spreads them over the queues. */
	for (unsigned seq = 0; seq < TOTAL; seq++) {
		uint32_t len = plt_build_udp(f, m1, m0, PLT_IP(198, 18, 0, 1), PLT_IP(198, 18, 0, 2),
					     (uint16_t)(1000 + seq % 64), 2000, NULL, LEN - 42);
		uint64_t end = plt_now_ns() + 5000000000ull, resend = 0;
		bool arrived = false;
		while (!arrived && plt_now_ns() < end) {
			if (plt_now_ns() >= resend) {
				struct pktlink_pkt p = { .data = f, .len = len };
				PLT_OK(pktlink_tx_burst(tx, &p, 1));
				resend = plt_now_ns() + 200000000ull;
			}
			struct pktlink_pkt p[32];
			int n = pktlink_rx_burst(rx, p, 32);
			PLT_OK(n);
			if (!n) {
				pktlink_wait(rx, 5);
				continue;
			}
			for (int i = 0; i < n; i++) {
				if (p[i].len == len && p[i].data[23] == 17 &&
				    (unsigned)(p[i].data[34] * 256 + p[i].data[35]) == 1000 + seq % 64)
					arrived = true;
				p[i].queue = (uint16_t)clobber((unsigned)i, p[i].queue);
			}
			pktlink_rx_release(rx, p, (unsigned)n);
		}
		PLT_CHECK(arrived, "frame %u never arrived: buffers were not given back", seq);
		got++;
	}
	PLT_CHECK(got >= TOTAL, "received %u of %u: buffers were not given back", got, TOTAL);
	pktlink_close(tx);
	pktlink_close(rx);
	return 0;
}

static unsigned garbage(unsigned i, unsigned q)
{
	(void)q;
	return 0xffff - i;
}

static unsigned swapped(unsigned i, unsigned q)
{
	(void)i;
	return q ^ 1;
}

static int mmap_garbage(void)
{
	/* 2 blocks of 4 KiB hold a handful of frames: the ring stalls at
	 * once unless every block comes back */
	return flow("dispatch=mmap&block_size=4096&block_count=2", garbage);
}

static int mmap_fanout_swapped(void)
{
	return flow("dispatch=mmap&fds=2&block_size=4096&block_count=2", swapped);
}

static int recvmmsg_garbage(void)
{
	return flow("dispatch=recvmmsg&frames=8", garbage);
}

static int readv_fanout_swapped(void)
{
	return flow("dispatch=readv&fds=2&frames=8", swapped);
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "mmap_garbage", mmap_garbage, PLT_NETNS, 60 },
		{ "mmap_fanout_swapped", mmap_fanout_swapped, PLT_NETNS, 60 },
		{ "recvmmsg_garbage", recvmmsg_garbage, PLT_NETNS, 60 },
		{ "readv_fanout_swapped", readv_fanout_swapped, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
