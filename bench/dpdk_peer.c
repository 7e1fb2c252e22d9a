/* SPDX-License-Identifier: MIT */
/*
 * dpdk_peer.c — the DPDK reference for `pktlink bench --peers`: one port
 * (any --vdev: net_af_packet, net_tap, net_af_xdp, net_memif), one queue,
 * a run-to-completion loop on the EAL main lcore, like testpmd's rxonly /
 * txonly / macswap forwarding modes (Debian ships the PMDs but no testpmd).
 *
 *   dpdk_peer <EAL args> -- --mode rxdrop|txonly|l2fwd [--duration S]
 *             [--warmup S] [--len N] [--burst N] [--dmac MAC] [--smac MAC]
 *             [--sip A.B.C.D] [--dip A.B.C.D] [--no-wait]
 *
 * Protocol with the bench driver (bench/README.md): prints "READY" after
 * the port started, waits for a line on stdin (unless --no-wait), warms up,
 * prints "START", runs for --duration, prints
 *   RESULT pkts=N secs=S cpu_ns=C sent=N mpps=X cpu_ns_per_pkt=Y
 * where pkts counts frames received (rxdrop, l2fwd) or sent (txonly), and
 * cpu_ns is the CPU time of the polling thread in the window.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "peer_util.h"

#define MAX_BURST 256

enum mode { M_RXDROP, M_TXONLY, M_L2FWD };

struct cfg {
	enum mode mode;
	double duration, warmup;
	unsigned len, burst;
	struct rte_ether_addr dmac, smac;
	uint32_t sip, dip;
	bool wait;
};

/* usage() - print the peer's own options. */
static void usage(void)
{
	fprintf(stderr,
		"usage: dpdk_peer <EAL args> -- --mode rxdrop|txonly|l2fwd [--duration S] [--warmup S]\n"
		"       [--len N] [--burst N] [--dmac MAC] [--smac MAC] [--sip IP] [--dip IP] [--no-wait]\n");
}

/* parse_mac() - "aa:bb:..." into a DPDK address. */
static int parse_mac(const char *s, struct rte_ether_addr *a)
{
	unsigned b[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		a->addr_bytes[i] = (uint8_t)b[i];
	}
	return 0;
}

/* parse_args() - the options after "--". Return 0 or -1 (usage printed). */
static int parse_args(int argc, char **argv, struct cfg *c)
{
	*c = (struct cfg){ .mode = M_RXDROP, .duration = 2, .warmup = 0.3, .len = 64, .burst = 32,
			   .wait = true };
	parse_mac("02:00:00:00:00:02", &c->dmac);
	parse_mac("02:00:00:00:00:01", &c->smac);
	c->sip = htonl(0xC6120002);
	c->dip = htonl(0xC6120001);
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },   { "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' }, { "len", required_argument, NULL, 'l' },
		{ "burst", required_argument, NULL, 'b' },  { "dmac", required_argument, NULL, 'D' },
		{ "smac", required_argument, NULL, 'S' },   { "sip", required_argument, NULL, 's' },
		{ "dip", required_argument, NULL, 'i' },    { "no-wait", no_argument, NULL, 'n' },
		{ 0 },
	};
	optind = 1;
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'm':
			if (!strcmp(optarg, "rxdrop"))
				c->mode = M_RXDROP;
			else if (!strcmp(optarg, "txonly"))
				c->mode = M_TXONLY;
			else if (!strcmp(optarg, "l2fwd"))
				c->mode = M_L2FWD;
			else {
				fprintf(stderr, "dpdk_peer: --mode '%s': use rxdrop, txonly or l2fwd\n",
					optarg);
				return -1;
			}
			break;
		case 'd':
			c->duration = atof(optarg);
			break;
		case 'w':
			c->warmup = atof(optarg);
			break;
		case 'l':
			c->len = (unsigned)atoi(optarg);
			break;
		case 'b':
			c->burst = (unsigned)atoi(optarg);
			break;
		case 'D':
			if (parse_mac(optarg, &c->dmac))
				return usage(), -1;
			break;
		case 'S':
			if (parse_mac(optarg, &c->smac))
				return usage(), -1;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &c->sip) != 1)
				return usage(), -1;
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &c->dip) != 1)
				return usage(), -1;
			break;
		case 'n':
			c->wait = false;
			break;
		default:
			usage();
			return -1;
		}
	}
	if (!(c->duration > 0 && c->duration <= 600) || c->warmup < 0 || c->warmup > 60 ||
	    c->len < 60 || c->len > 1514 || c->burst < 1 || c->burst > MAX_BURST) {
		fprintf(stderr, "dpdk_peer: --duration (0,600], --warmup [0,60], --len 60..1514, "
				"--burst 1..256\n");
		return -1;
	}
	return 0;
}

/* build_frame() - the same UDP frame the pktlink scenarios send. */
static void build_frame(uint8_t *f, const struct cfg *c)
{
	memset(f, 0, c->len);
	memcpy(f, c->dmac.addr_bytes, 6);
	memcpy(f + 6, c->smac.addr_bytes, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	unsigned iplen = c->len - 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &c->sip, 4);
	memcpy(ip + 16, &c->dip, 4);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	uint8_t *udp = ip + 20;
	udp[0] = 10000 >> 8;
	udp[1] = 10000 & 0xff;
	udp[3] = 9;
	udp[4] = (uint8_t)((iplen - 20) >> 8);
	udp[5] = (uint8_t)(iplen - 20);
}

/*
 * loop() - run the mode until @end_ns or quit. Counts into *pkts (frames
 * received for rxdrop/l2fwd, sent for txonly) and *sent (frames sent).
 */
static void loop(uint16_t port, struct rte_mempool *mp, const struct cfg *c, const uint8_t *frame,
		 uint64_t end_ns, uint64_t *pkts, uint64_t *sent)
{
	struct rte_mbuf *m[MAX_BURST];
	uint64_t n_pk = 0, n_tx = 0;
	for (unsigned iter = 0; !quit; iter++) {
		/* Read the clock every 64 iterations: an idle poll is cheap. */
		if ((iter & 63) == 0 && now_ns() >= end_ns)
			break;
		if (c->mode == M_TXONLY) {
			if (rte_pktmbuf_alloc_bulk(mp, m, c->burst))
				continue;
			for (unsigned i = 0; i < c->burst; i++) {
				char *d = rte_pktmbuf_append(m[i], (uint16_t)c->len);
				if (d)
					rte_memcpy(d, frame, c->len);
			}
			uint16_t t = rte_eth_tx_burst(port, 0, m, (uint16_t)c->burst);
			if (t < c->burst)
				rte_pktmbuf_free_bulk(m + t, c->burst - t);
			n_pk += t;
			n_tx += t;
			continue;
		}
		uint16_t n = rte_eth_rx_burst(port, 0, m, (uint16_t)c->burst);
		if (!n)
			continue;
		n_pk += n;
		if (c->mode == M_RXDROP) {
			rte_pktmbuf_free_bulk(m, n);
			continue;
		}
		/* l2fwd: swap the MAC addresses and send the frame back out. */
		for (uint16_t i = 0; i < n; i++) {
			struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);
			struct rte_ether_addr tmp = eh->dst_addr;
			eh->dst_addr = eh->src_addr;
			eh->src_addr = tmp;
		}
		uint16_t t = rte_eth_tx_burst(port, 0, m, n);
		if (t < n)
			rte_pktmbuf_free_bulk(m + t, n - t);
		n_tx += t;
	}
	*pkts += n_pk;
	*sent += n_tx;
}

int main(int argc, char **argv)
{
	peer_catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);

	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		printf("ERROR rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	struct cfg c;
	if (parse_args(argc, argv, &c)) {
		rte_eal_cleanup();
		return 2;
	}
	int rc = 1;
	uint16_t port = 0;
	bool started = false;
	if (rte_eth_dev_count_avail() < 1) {
		printf("ERROR no port: give one --vdev (net_af_packet0,iface=X | net_tap0,iface=X | "
		       "net_af_xdp0,iface=X | net_memif0,...)\n");
		goto out;
	}
	RTE_ETH_FOREACH_DEV(port)
	break;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("pl_peer_pool", 8191, 256, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!mp) {
		printf("ERROR mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	int r = rte_eth_dev_configure(port, 1, 1, &conf);
	if (!r)
		r = rte_eth_rx_queue_setup(port, 0, 1024, (unsigned)rte_eth_dev_socket_id(port), NULL,
					   mp);
	if (!r)
		r = rte_eth_tx_queue_setup(port, 0, 1024, (unsigned)rte_eth_dev_socket_id(port), NULL);
	if (!r)
		r = rte_eth_dev_start(port);
	if (r) {
		printf("ERROR port setup: %s\n", rte_strerror(-r));
		goto out;
	}
	started = true;
	rte_eth_promiscuous_enable(port);

	uint8_t frame[1514];
	build_frame(frame, &c);
	printf("READY\n");
	if (c.wait) {
		char line[64];
		if (!fgets(line, sizeof(line), stdin)) /* the driver went away */
			goto out;
	}
	uint64_t pk = 0, tx = 0;
	loop(port, mp, &c, frame, now_ns() + (uint64_t)(c.warmup * 1e9), &pk, &tx);
	pk = tx = 0;
	printf("START\n");
	uint64_t c0 = cpu_ns(), t0 = now_ns();
	loop(port, mp, &c, frame, t0 + (uint64_t)(c.duration * 1e9), &pk, &tx);
	uint64_t t1 = now_ns(), c1 = cpu_ns();
	double secs = (double)(t1 - t0) / 1e9;
	printf("RESULT pkts=%llu secs=%.6f cpu_ns=%llu sent=%llu mpps=%.4f cpu_ns_per_pkt=%.1f\n",
	       (unsigned long long)pk, secs, (unsigned long long)(c1 - c0), (unsigned long long)tx,
	       (double)pk / secs / 1e6, pk ? (double)(c1 - c0) / (double)pk : 0.0);
	rc = quit ? 130 : 0;
out:
	if (started)
		rte_eth_dev_stop(port);
	if (rte_eth_dev_count_avail())
		rte_eth_dev_close(port);
	rte_eal_cleanup();
	return rc;
}
