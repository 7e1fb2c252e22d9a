/* SPDX-License-Identifier: MIT */
/*
 * xdp_ref.c — the minimal AF_XDP reference for `pktlink bench --peers`,
 * written directly on libxdp's xsk API in the pattern of the kernel's
 * xdpsock sample: one socket on one queue, a busy-polling run-to-completion
 * loop, batch 64, frames recycled straight from RX/COMPLETION into
 * FILL (rxdrop, l2fwd) or TX (txonly).
 *
 *   xdp_ref --iface IF --mode rxdrop|txonly|l2fwd [--xdp-mode drv|skb]
 *           [--duration S] [--warmup S] [--len N] [--dmac MAC] [--smac MAC]
 *           [--sip A.B.C.D] [--dip A.B.C.D] [--cpu N] [--frames N] [--no-wait]
 *
 * Peer protocol (bench/README.md): "READY" once the socket is bound, waits
 * for a line on stdin, warms up, "START", measures, then
 *   RESULT pkts=N secs=S cpu_ns=C sent=N
 * pkts counts frames received (rxdrop, l2fwd) or completed (txonly); the
 * bench replaces it by its sink's count for txonly and l2fwd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include "peer_util.h"

#define BATCH 64
#define FRAME_SIZE 2048

enum mode { RXDROP, TXONLY, L2FWD };

struct ref {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	uint8_t *area;
	uint32_t frames;
	uint32_t tx_next; /* txonly: next frame to send */
	uint32_t outstanding; /* TX descriptors not yet completed */
	uint64_t rx_pkts, tx_done;
};

static void die(const char *what, int err)
{
	printf("ERROR %s: %s\n", what, strerror(err < 0 ? -err : err));
	fflush(stdout);
	exit(1);
}

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet/IPv4/UDP frame of len bytes (UDP checksum 0: allowed for IPv4). */
static void build_frame(uint8_t *f, uint32_t len, const uint8_t dmac[6], const uint8_t smac[6],
			uint32_t sip, uint32_t dip)
{
	memset(f, 0, len);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	uint16_t iplen = (uint16_t)(len - 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &sip, 4);
	memcpy(ip + 16, &dip, 4);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	uint8_t *udp = ip + 20;
	udp[0] = 0x27;
	udp[1] = 0x10;
	udp[2] = 0x4e;
	udp[3] = 0x20;
	uint16_t ulen = (uint16_t)(iplen - 20);
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
}

static void kick_tx(struct ref *r)
{
	int ret = sendto(xsk_socket__fd(r->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	if (ret >= 0 || errno == ENOBUFS || errno == EAGAIN || errno == EBUSY || errno == ENETDOWN)
		return;
	die("sendto", errno);
}

/* Completions: back into FILL (l2fwd) or free for TX again (txonly). */
static void complete_tx(struct ref *r, bool to_fill)
{
	if (!r->outstanding)
		return;
	if (xsk_ring_prod__needs_wakeup(&r->tx))
		kick_tx(r);
	uint32_t idx_cq, idx_fq = 0;
	uint32_t n = xsk_ring_cons__peek(&r->cq, BATCH * 4, &idx_cq);
	if (!n)
		return;
	if (to_fill) {
		while (xsk_ring_prod__reserve(&r->fq, n, &idx_fq) != n) {
			if (quit)
				return;
		}
		for (uint32_t i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&r->fq, idx_fq++) =
				*xsk_ring_cons__comp_addr(&r->cq, idx_cq++);
		xsk_ring_prod__submit(&r->fq, n);
	}
	xsk_ring_cons__release(&r->cq, n);
	r->outstanding -= n;
	r->tx_done += n;
}

static void rx_drop(struct ref *r)
{
	uint32_t idx_rx = 0, idx_fq = 0;
	uint32_t n = xsk_ring_cons__peek(&r->rx, BATCH, &idx_rx);
	if (!n) {
		if (xsk_ring_prod__needs_wakeup(&r->fq))
			recvfrom(xsk_socket__fd(r->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return;
	}
	while (xsk_ring_prod__reserve(&r->fq, n, &idx_fq) != n) {
		if (xsk_ring_prod__needs_wakeup(&r->fq))
			recvfrom(xsk_socket__fd(r->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		if (quit)
			return;
	}
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&r->fq, idx_fq++) =
			xsk_ring_cons__rx_desc(&r->rx, idx_rx++)->addr;
	xsk_ring_prod__submit(&r->fq, n);
	xsk_ring_cons__release(&r->rx, n);
	r->rx_pkts += n;
}

static void tx_only(struct ref *r, uint32_t len)
{
	uint32_t idx;
	complete_tx(r, false);
	if (r->outstanding + BATCH > r->frames)
		return;
	if (xsk_ring_prod__reserve(&r->tx, BATCH, &idx) != BATCH) {
		kick_tx(r);
		return;
	}
	for (uint32_t i = 0; i < BATCH; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&r->tx, idx + i);
		d->addr = (uint64_t)((r->tx_next + i) % r->frames) * FRAME_SIZE;
		d->len = len;
	}
	xsk_ring_prod__submit(&r->tx, BATCH);
	r->outstanding += BATCH;
	r->tx_next = (r->tx_next + BATCH) % r->frames;
	kick_tx(r);
}

static void l2fwd(struct ref *r)
{
	uint32_t idx_rx = 0, idx_tx = 0;
	complete_tx(r, true);
	uint32_t n = xsk_ring_cons__peek(&r->rx, BATCH, &idx_rx);
	if (!n) {
		if (xsk_ring_prod__needs_wakeup(&r->fq))
			recvfrom(xsk_socket__fd(r->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return;
	}
	while (xsk_ring_prod__reserve(&r->tx, n, &idx_tx) != n) {
		complete_tx(r, true);
		if (quit)
			return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *in = xsk_ring_cons__rx_desc(&r->rx, idx_rx++);
		uint64_t addr = xsk_umem__add_offset_to_addr(in->addr);
		uint8_t *p = xsk_umem__get_data(r->area, addr);
		uint8_t tmp[6];
		memcpy(tmp, p, 6);
		memcpy(p, p + 6, 6);
		memcpy(p + 6, tmp, 6);
		struct xdp_desc *out = xsk_ring_prod__tx_desc(&r->tx, idx_tx++);
		out->addr = in->addr;
		out->len = in->len;
	}
	xsk_ring_prod__submit(&r->tx, n);
	xsk_ring_cons__release(&r->rx, n);
	r->outstanding += n;
	r->rx_pkts += n;
	kick_tx(r);
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

int main(int argc, char **argv)
{
	const char *iface = NULL;
	enum mode mode = RXDROP;
	bool skb = false, wait_go = true;
	double dur = 2, warm = 0.3;
	uint32_t len = 64, frames = 4096;
	uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 }, smac[6] = { 2, 0, 0, 0, 0, 1 };
	uint32_t sip = htonl(0xc6120002), dip = htonl(0xc6120001);
	int cpu = -1;
	static const struct option opts[] = {
		{ "iface", 1, NULL, 'i' }, { "mode", 1, NULL, 'm' }, { "xdp-mode", 1, NULL, 'x' },
		{ "duration", 1, NULL, 'd' }, { "warmup", 1, NULL, 'w' }, { "len", 1, NULL, 'l' },
		{ "dmac", 1, NULL, 'D' }, { "smac", 1, NULL, 'S' }, { "sip", 1, NULL, 's' },
		{ "dip", 1, NULL, 'p' }, { "cpu", 1, NULL, 'c' }, { "frames", 1, NULL, 'f' },
		{ "no-wait", 0, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i': iface = optarg; break;
		case 'm':
			mode = !strcmp(optarg, "txonly") ? TXONLY : !strcmp(optarg, "l2fwd") ? L2FWD : RXDROP;
			break;
		case 'x': skb = !strcmp(optarg, "skb"); break;
		case 'd': dur = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'l': len = (uint32_t)atoi(optarg); break;
		case 'D': parse_mac(optarg, dmac); break;
		case 'S': parse_mac(optarg, smac); break;
		case 's': inet_pton(AF_INET, optarg, &sip); break;
		case 'p': inet_pton(AF_INET, optarg, &dip); break;
		case 'c': cpu = atoi(optarg); break;
		case 'f': frames = (uint32_t)atoi(optarg); break;
		case 'n': wait_go = false; break;
		default: fprintf(stderr, "usage: see the comment at the top of xdp_ref.c\n"); return 2;
		}
	}
	if (!iface || len < 60 || len > FRAME_SIZE)
		die("arguments (--iface required, --len 60..2048)", EINVAL);
	peer_catch_signals();
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	struct ref r = { .frames = frames };
	size_t size = (size_t)frames * FRAME_SIZE;
	r.area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.area == MAP_FAILED)
		die("mmap", errno);
	struct xsk_umem_config uc = { .fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS * 2,
				      .comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
				      .frame_size = FRAME_SIZE,
				      .frame_headroom = 0 };
	int e = xsk_umem__create(&r.umem, r.area, size, &r.fq, &r.cq, &uc);
	if (e)
		die("xsk_umem__create", e);
	struct xsk_socket_config sc = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.xdp_flags = skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_USE_NEED_WAKEUP | (skb ? XDP_COPY : 0),
	};
	/* A socket closed just before (the previous scenario) releases the
	 * queue asynchronously: retry EBUSY for a moment, as pktlink does. */
	for (int i = 0; i < 100; i++) {
		e = xsk_socket__create(&r.xsk, iface, 0, r.umem, &r.rx, &r.tx, &sc);
		if (e != -EBUSY)
			break;
		usleep(10000);
	}
	if (e)
		die("xsk_socket__create", e);
	if (mode == TXONLY) {
		for (uint32_t i = 0; i < frames; i++)
			build_frame(r.area + (size_t)i * FRAME_SIZE, len, dmac, smac, sip, dip);
	} else {
		/* All frames into FILL (half for l2fwd, the other half are TX's). */
		uint32_t nfill = XSK_RING_PROD__DEFAULT_NUM_DESCS * 2, idx;
		if (nfill > frames)
			nfill = frames;
		if (xsk_ring_prod__reserve(&r.fq, nfill, &idx) != nfill)
			die("fill", ENOSPC);
		for (uint32_t i = 0; i < nfill; i++)
			*xsk_ring_prod__fill_addr(&r.fq, idx++) = (uint64_t)i * FRAME_SIZE;
		xsk_ring_prod__submit(&r.fq, nfill);
	}
	printf("READY\n");
	fflush(stdout);
	if (wait_go) {
		char line[64];
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	uint64_t t_warm = now_ns() + (uint64_t)(warm * 1e9);
	uint64_t t0 = 0, t1 = 0, c0 = 0, rx0 = 0, tx0 = 0;
	bool measuring = false;
	uint64_t deadline = t_warm;
	for (unsigned spin = 0; !quit; spin++) {
		switch (mode) {
		case RXDROP: rx_drop(&r); break;
		case TXONLY: tx_only(&r, len); break;
		case L2FWD: l2fwd(&r); break;
		}
		if ((spin & 15) == 0) {
			uint64_t now = now_ns();
			if (now >= deadline) {
				if (!measuring) {
					printf("START\n");
					fflush(stdout);
					measuring = true;
					t0 = now_ns();
					c0 = cpu_ns();
					rx0 = r.rx_pkts;
					tx0 = r.tx_done;
					deadline = t0 + (uint64_t)(dur * 1e9);
				} else {
					t1 = now;
					break;
				}
			}
		}
	}
	uint64_t c1 = cpu_ns();
	if (!t1)
		t1 = now_ns();
	uint64_t pkts = mode == TXONLY ? r.tx_done - tx0 : r.rx_pkts - rx0;
	printf("RESULT pkts=%llu secs=%.6f cpu_ns=%llu sent=%llu\n", (unsigned long long)pkts,
	       (double)(t1 - t0) / 1e9, (unsigned long long)(c1 - c0),
	       (unsigned long long)(r.tx_done - tx0));
	fflush(stdout);
	xsk_socket__delete(r.xsk);
	xsk_umem__delete(r.umem);
	munmap(r.area, size);
	return 0;
}
