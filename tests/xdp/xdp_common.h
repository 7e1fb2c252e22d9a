/* SPDX-License-Identifier: MIT */
/*
 * xdp_common.h — helpers shared by the xdp tests: a veth pair, a raw
 * AF_PACKET peer on the far end, sequence-numbered frames, bounded receive
 * loops. Everything here runs inside the case's private namespace.
 */
#ifndef PKTLINK_TESTS_XDP_COMMON_H
#define PKTLINK_TESTS_XDP_COMMON_H

#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pktlink/pktlink.h>
#include <pktlink/xdp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define XT_ETHERTYPE 0x88b5 /* IEEE local experimental: nothing else sends it */
#define XT_A "plx0" /* the endpoint's device */
#define XT_B "plx1" /* the peer's device */

/* A veth pair with bpffs mounted (so libxdp can use its dispatcher). */
static inline void xt_setup(unsigned mtu)
{
	plt_veth(XT_A, XT_B, mtu, NULL, NULL);
	plt_mount_bpffs();
}

/* A raw AF_PACKET socket on ifname, for injecting and capturing. */
static inline int xt_raw(const char *ifname)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	PLT_CHECK(s >= 0, "AF_PACKET socket: %s", strerror(errno));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = plt_ifindex(ifname) };
	PLT_CHECK(bind(s, (struct sockaddr *)&sll, sizeof(sll)) == 0, "bind: %s", strerror(errno));
	int big = 4 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return s;
}

/* Build frame seq of length len: dst, src, ethertype, u32 seq, pattern. */
static inline void xt_frame(uint8_t *f, uint32_t len, uint32_t seq, const uint8_t dst[6],
			    const uint8_t src[6])
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = XT_ETHERTYPE >> 8;
	f[13] = XT_ETHERTYPE & 0xff;
	memcpy(f + 14, &seq, 4);
	for (uint32_t i = 18; i < len; i++)
		f[i] = (uint8_t)(seq * 7 + i);
}

/* Is f a test frame? Then return its seq and check the pattern. */
static inline bool xt_is_ours(const uint8_t *f, uint32_t len)
{
	return len >= 18 && f[12] == (XT_ETHERTYPE >> 8) && f[13] == (XT_ETHERTYPE & 0xff);
}

static inline uint32_t xt_seq(const uint8_t *f)
{
	uint32_t s;
	memcpy(&s, f + 14, 4);
	return s;
}

static inline void xt_check_frame(const uint8_t *f, uint32_t len, uint32_t want_len,
				  uint32_t want_seq)
{
	PLT_CHECK(len == want_len, "frame %u: length %u, want %u", want_seq, len, want_len);
	PLT_CHECK(xt_seq(f) == want_seq, "frame order: got seq %u, want %u", xt_seq(f), want_seq);
	for (uint32_t i = 18; i < len; i++)
		PLT_CHECK(f[i] == (uint8_t)(want_seq * 7 + i), "frame %u: byte %u is 0x%02x", want_seq,
			  i, f[i]);
}

static inline void xt_raw_send(int s, const uint8_t *f, uint32_t len)
{
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; plt_now_ns() < wait_end;) {
		if (send(s, f, len, 0) == (ssize_t)len)
			return;
		PLT_CHECK(errno == ENOBUFS || errno == EAGAIN, "send: %s", strerror(errno));
		usleep(1000);
	}
	PLT_CHECK(0, "send: no buffer for 1 s");
}

/* Receive one of our frames from the raw socket (skipping our own outgoing
 * ones and strays) within timeout_ms; return its length or 0. */
static inline uint32_t xt_raw_recv(int s, uint8_t *buf, uint32_t cap, int timeout_ms)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		uint64_t now = plt_now_ns();
		if (now >= end)
			return 0;
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, (int)((end - now) / 1000000ull) + 1) <= 0)
			continue;
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (xt_is_ours(buf, (uint32_t)n))
			return (uint32_t)n;
	}
}

/* Pull up to want frames from ep within timeout_ms (poll-driven); check each
 * against seq *next (and advance it). Return how many arrived. */
static inline unsigned xt_ep_recv_check(struct pktlink_ep *ep, unsigned want, uint32_t len,
					uint32_t *next, int timeout_ms)
{
	struct pktlink_pkt pkts[64];
	unsigned got = 0;
	uint64_t end = plt_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (got < want && plt_now_ns() < end) {
		int n = pktlink_rx_burst(ep, pkts, 64);
		PLT_OK(n);
		if (n == 0) {
			PLT_OK(pktlink_wait(ep, 50));
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (!xt_is_ours(pkts[i].data, pkts[i].len))
				continue;
			xt_check_frame(pkts[i].data, pkts[i].len, len, *next);
			(*next)++;
			got++;
		}
		pktlink_rx_release(ep, pkts, (unsigned)n);
	}
	return got;
}

/* Is any XDP program attached to ifname? (ip link shows "prog/xdp id"). */
static inline bool xt_xdp_attached(const char *ifname)
{
	return plt_sh("ip link show dev %s | grep -q 'prog/xdp'", ifname) == 0;
}

/* Entries under /sys/fs/bpf/xdp (libxdp's dispatcher pins). */
static inline int xt_bpffs_pins(void)
{
	DIR *d = opendir("/sys/fs/bpf/xdp");
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline struct pktlink_ep *xt_open(const char *spec)
{
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "open %s: %s (%s)", spec, err, plt_errname(-r));
	return ep;
}

#endif

/* ---- loading BPF objects the caller's way (libbpf, no libxdp) ---------- */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

/* Open and load an embedded BPF object; fail the case otherwise. */
static inline struct bpf_object *xt_bpf_load(const unsigned char *buf, size_t len)
{
	struct bpf_object *obj = bpf_object__open_mem(buf, len, NULL);
	PLT_CHECK(obj, "bpf_object__open_mem: %s", strerror(errno));
	PLT_CHECK(bpf_object__load(obj) == 0, "bpf_object__load: %s", strerror(errno));
	return obj;
}

/* Attach the object's first program to ifname with XDP flags; return its fd. */
static inline int xt_bpf_attach(struct bpf_object *obj, const char *ifname, uint32_t flags)
{
	struct bpf_program *p = bpf_object__next_program(obj, NULL);
	PLT_CHECK(p, "no program");
	int fd = bpf_program__fd(p);
	int r = bpf_xdp_attach(plt_ifindex(ifname), fd, flags, NULL);
	PLT_CHECK(r == 0, "bpf_xdp_attach: %s", strerror(-r));
	return fd;
}

static inline int xt_bpf_map(struct bpf_object *obj, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(obj, name);
	PLT_CHECK(fd >= 0, "no map %s", name);
	return fd;
}

/* Under ASan: fail the case if memory is leaked so far (the harness ends
 * cases with _exit(), which skips LeakSanitizer's own check at exit). */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
static inline void xt_leak_check(void)
{
	PLT_CHECK(__lsan_do_recoverable_leak_check() == 0, "memory leaked (see the report above)");
}
#else
static inline void xt_leak_check(void)
{
}
#endif
