/* SPDX-License-Identifier: MIT */
/*
 * test_packet_filter: pktlink_packet_set_filter() on real AF_PACKET sockets
 * of a veth pair (netns), for each receive path (readv, recvmmsg, mmap):
 *   - a classic BPF program that keeps UDP destination port 5678 lets only
 *     those frames through; the others never reach the endpoint (the
 *     kernel dropped them: rx_drop_filter stays 0);
 *   - with ignore_outgoing=1 and the program, frames the endpoint sends
 *     itself stay out;
 *   - the argument checks: not a packet: endpoint, no program.
 */
#include "harness.h"

#include <errno.h>
#include <linux/filter.h>
#include <pktlink/fd.h>
#include <pktlink/pktlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Ethernet + IPv4 (no options) + UDP: accept destination port 5678. */
static const struct sock_filter keep_5678[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), /* ethertype */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 5),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23), /* IP protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 36), /* UDP destination port */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5678, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0x40000),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static struct pktlink_ep *open_spec(const char *spec)
{
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "open %s: %s", spec, err);
	return ep;
}

/* count_rx() - frames with UDP destination port @port received within @ms. */
static unsigned count_rx(struct pktlink_ep *ep, uint16_t port, unsigned *other, int ms)
{
	unsigned n = 0;
	uint64_t end = plt_now_ns() + (uint64_t)ms * 1000000ull;
	struct pktlink_pkt p[32];
	while (plt_now_ns() < end) {
		int k = pktlink_rx_burst(ep, p, 32);
		PLT_CHECK(k >= 0, "rx: %s", pktlink_strerror(k));
		if (!k) {
			pktlink_wait(ep, 20);
			continue;
		}
		for (int i = 0; i < k; i++) {
			uint16_t dp = p[i].len >= 38 ? (uint16_t)(p[i].data[36] << 8 | p[i].data[37]) : 0;
			if (dp == port)
				n++;
			else
				(*other)++;
		}
		pktlink_rx_release(ep, p, (unsigned)k);
	}
	return n;
}

static int filter_on(const char *dispatch)
{
	plt_veth("pltf0", "pltf1", 1500, NULL, NULL);
	uint8_t m0[6], m1[6];
	plt_mac("pltf0", m0);
	plt_mac("pltf1", m1);
	char spec[128];
	snprintf(spec, sizeof(spec), "packet:pltf1?dispatch=%s", dispatch);
	struct pktlink_ep *rx = open_spec(spec);
	struct pktlink_ep *tx = open_spec("packet:pltf0");
	PLT_OK(pktlink_packet_set_filter(rx, keep_5678, sizeof(keep_5678) / sizeof(keep_5678[0])));
	/* Frames queued before the program existed: none were sent yet. */
	uint8_t f[2][128];
	uint32_t len[2];
	len[0] = plt_build_udp(f[0], m1, m0, PLT_IP(198, 18, 6, 1), PLT_IP(198, 18, 6, 2), 1234,
			       5678, NULL, 40);
	len[1] = plt_build_udp(f[1], m1, m0, PLT_IP(198, 18, 6, 1), PLT_IP(198, 18, 6, 2), 1234,
			       9999, NULL, 40);
	for (int i = 0; i < 20; i++) {
		struct pktlink_pkt p = { .data = f[i & 1], .len = len[i & 1] };
		PLT_CHECK(pktlink_tx_burst(tx, &p, 1) == 1, "send");
	}
	unsigned other = 0;
	unsigned got = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (got < 10 && plt_now_ns() < end)
		got += count_rx(rx, 5678, &other, 100);
	got += count_rx(rx, 5678, &other, 200); /* anything late */
	PLT_CHECK(got == 10 && other == 0, "%s: %u kept (want 10), %u others", dispatch, got, other);
	struct pktlink_stats st;
	pktlink_get_stats(rx, &st);
	PLT_CHECK(st.rx_drop_filter == 0, "pktlink's own filter saw %llu frames: the kernel did not "
		  "filter", (unsigned long long)st.rx_drop_filter);

	/* ignore_outgoing=1 still holds with a program: what pltf1 sends stays out. */
	pktlink_close(rx);
	snprintf(spec, sizeof(spec), "packet:pltf1?dispatch=%s&ignore_outgoing=1", dispatch);
	rx = open_spec(spec);
	PLT_OK(pktlink_packet_set_filter(rx, keep_5678, sizeof(keep_5678) / sizeof(keep_5678[0])));
	uint8_t back[128];
	uint32_t bl = plt_build_udp(back, m0, m1, PLT_IP(198, 18, 6, 2), PLT_IP(198, 18, 6, 1),
				    1234, 5678, NULL, 40);
	for (int i = 0; i < 5; i++) {
		struct pktlink_pkt p = { .data = back, .len = bl };
		PLT_CHECK(pktlink_tx_burst(rx, &p, 1) == 1, "send back");
	}
	other = 0;
	got = count_rx(rx, 5678, &other, 300);
	PLT_CHECK(got == 0 && other == 0, "%s: own frames came back: %u", dispatch, got);
	pktlink_close(rx);
	pktlink_close(tx);
	return 0;
}

static int path_readv(void)
{
	return filter_on("readv");
}

static int path_recvmmsg(void)
{
	return filter_on("recvmmsg");
}

static int path_mmap(void)
{
	return filter_on("mmap");
}

static int bad_args(void)
{
	PLT_CHECK(pktlink_packet_set_filter(NULL, keep_5678, 1) == -EINVAL, "NULL endpoint");
	int sv[2];
	PLT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	char spec[64];
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500", sv[0]);
	struct pktlink_ep *ep = open_spec(spec);
	PLT_CHECK(pktlink_packet_set_filter(ep, keep_5678, 8) == -EINVAL, "fd: endpoint");
	pktlink_close(ep);
	close(sv[0]);
	close(sv[1]);
	plt_veth("pltf0", "pltf1", 1500, NULL, NULL);
	ep = open_spec("packet:pltf1");
	PLT_CHECK(pktlink_packet_set_filter(ep, NULL, 0) == -EINVAL, "no program");
	PLT_CHECK(pktlink_packet_set_filter(ep, keep_5678, 5000) == -EINVAL, "too long");
	/* A program the kernel refuses: a jump out of the program. */
	static const struct sock_filter bad[] = { BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0),
						  BPF_STMT(BPF_RET | BPF_K, 0) };
	PLT_CHECK(pktlink_packet_set_filter(ep, bad, 2) == -EINVAL, "bad program");
	pktlink_close(ep);
	return 0;
}

static const struct plt_case cases[] = {
	{ "readv", path_readv, PLT_NETNS, 60 },
	{ "recvmmsg", path_recvmmsg, PLT_NETNS, 60 },
	{ "mmap", path_mmap, PLT_NETNS, 60 },
	{ "bad_args", bad_args, PLT_NETNS, 60 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
