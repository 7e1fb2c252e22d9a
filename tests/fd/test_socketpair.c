/* SPDX-License-Identifier: MIT */
/*
 * test_socketpair: fd endpoints over socketpairs (SOCK_SEQPACKET and
 * SOCK_DGRAM): byte-exact delivery both ways in pull and push modes, readv
 * and recvmmsg, thousands of frames of random sizes; the receive filter;
 * peer death; attach/detach/join cycles; the injectable variant.
 */
#include "fd_testutil.h"

#include <sys/socket.h>

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 0xb };
static const uint8_t MAC_X[6] = { 2, 0, 0, 0, 0, 0x5 };

#define COUNT 4000

static struct pktlink_ep *open_one(int fd, enum pktlink_fd_rx_mode rx, const uint8_t *mac)
{
	struct pktlink_fd_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.fds = &fd;
	o.num_fds = 1;
	o.mtu = 1500;
	o.eth_header = true;
	o.rx_mode = rx;
	if (mac) {
		o.has_link_addr = true;
		memcpy(o.link_addr, mac, 6);
	}
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_fd_open(&o, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "pktlink_fd_open: %s", err);
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.mtu == 1500 && in.max_header_len == 14 && in.arp_hwtype == 1 &&
			  (in.caps & PKTLINK_CAP_ETHERNET) &&
			  (in.caps & PKTLINK_CAP_RESOLUTION_REQUIRED) && in.num_queues == 1,
		  "info");
	return ep;
}

static void init_dir(struct t_dir *d, struct pktlink_ep *tx, struct pktlink_ep *rx,
		     const uint8_t *dst, const uint8_t *src, uint32_t salt)
{
	memset(d, 0, sizeof(*d));
	d->tx = tx;
	d->rx = rx;
	d->salt = salt;
	d->maxlen = 1514;
	d->count = COUNT;
	memcpy(d->dst, dst, 6);
	memcpy(d->src, src, 6);
}

/* Both directions at once, pull mode, in a given socket type and RX mode. */
static int pull_both_ways(int type, enum pktlink_fd_rx_mode rx)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, type, 0, sv) == 0, "socketpair");
	int fds0 = plt_fd_count();
	struct pktlink_ep *a = open_one(sv[0], rx, MAC_A);
	struct pktlink_ep *b = open_one(sv[1], rx, MAC_B);
	struct t_dir ab, ba;
	init_dir(&ab, a, b, MAC_B, MAC_A, 0x1111);
	init_dir(&ba, b, a, MAC_A, MAC_B, 0x2222);
	int r = t_pump2(&ab, &ba, 30);
	PLT_CHECK(r == 0, "pump: %s", plt_errname(-r));
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(b, &st));
	PLT_CHECK(st.rx_packets == COUNT && st.tx_packets == COUNT, "stats rx %llu tx %llu",
		  (unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets);
	PLT_CHECK(st.rx_syscalls > 0 && st.tx_syscalls > 0, "syscalls counted");
	if (rx == PKTLINK_FD_RX_RECVMMSG)
		PLT_CHECK(st.rx_syscalls < st.rx_packets, "recvmmsg batches: %llu calls for %llu",
			  (unsigned long long)st.rx_syscalls, (unsigned long long)st.rx_packets);
	PLT_CHECK(st.tx_syscalls < st.tx_packets, "sendmmsg batches: %llu calls for %llu",
		  (unsigned long long)st.tx_syscalls, (unsigned long long)st.tx_packets);
	pktlink_close(a);
	pktlink_close(b);
	PLT_CHECK(plt_fd_count() == fds0, "handed-in fds untouched, nothing leaked");
	/* the descriptors were not closed by pktlink */
	PLT_CHECK(write(sv[0], "x", 1) == 1, "fd still open");
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static int seqpacket_readv(void)
{
	return pull_both_ways(SOCK_SEQPACKET, PKTLINK_FD_RX_READV);
}
static int seqpacket_recvmmsg(void)
{
	return pull_both_ways(SOCK_SEQPACKET, PKTLINK_FD_RX_RECVMMSG);
}
static int dgram_readv(void)
{
	return pull_both_ways(SOCK_DGRAM, PKTLINK_FD_RX_READV);
}
static int dgram_recvmmsg(void)
{
	return pull_both_ways(SOCK_DGRAM, PKTLINK_FD_RX_RECVMMSG);
}

/* Push mode on b, pull-mode sending on a; then the other way round. */
static int push_mode(int type, enum pktlink_fd_rx_mode rx)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, type, 0, sv) == 0, "socketpair");
	int threads0 = t_thread_baseline();
	struct pktlink_ep *a = open_one(sv[0], rx, MAC_A);
	struct pktlink_ep *b = open_one(sv[1], rx, MAC_B);
	for (int round = 0; round < 2; round++) {
		struct pktlink_ep *tx = round ? b : a, *rxe = round ? a : b;
		const uint8_t *dst = round ? MAC_A : MAC_B, *src = round ? MAC_B : MAC_A;
		struct t_push p;
		memset(&p, 0, sizeof(p));
		p.salt = 0x3333u + (uint32_t)round;
		p.maxlen = 1514;
		memcpy(p.dst, dst, 6);
		memcpy(p.src, src, 6);
		PLT_OK(pktlink_attach(rxe, t_push_cb, &p));
		PLT_CHECK(pktlink_rx_burst(rxe, NULL, 0) == -EBUSY, "pull while attached");
		struct t_dir d;
		init_dir(&d, tx, NULL, dst, src, p.salt);
		uint64_t end = plt_now_ns() + 30000000000ull;
		while (__atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) < COUNT && plt_now_ns() < end) {
			d.rcvd = __atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE);
			t_send_some(&d);
			PLT_CHECK(d.err == 0, "tx: %d", d.err);
			if (d.sent == COUNT)
				usleep(1000);
		}
		PLT_CHECK(__atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) == COUNT, "push got %u",
			  p.rcvd);
		PLT_CHECK(p.err == 0, "bytes differ");
		PLT_OK(pktlink_attach(rxe, NULL, NULL));
		pktlink_join(rxe);
	}
	PLT_CHECK_THREADS(threads0, "workers gone");
	pktlink_close(a);
	pktlink_close(b);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static int seqpacket_push_readv(void)
{
	return push_mode(SOCK_SEQPACKET, PKTLINK_FD_RX_READV);
}
static int dgram_push_recvmmsg(void)
{
	return push_mode(SOCK_DGRAM, PKTLINK_FD_RX_RECVMMSG);
}
static int seqpacket_push_recvmmsg(void)
{
	return push_mode(SOCK_SEQPACKET, PKTLINK_FD_RX_RECVMMSG);
}
static int dgram_push_readv(void)
{
	return push_mode(SOCK_DGRAM, PKTLINK_FD_RX_READV);
}

/* Spec strings on handed-in descriptors. */
static int spec_open(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	char spec[128], err[256] = "";
	struct pktlink_ep *a, *b;
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&addr=02:00:00:00:00:0a&rx=recvmmsg", sv[0]);
	PLT_CHECK(pktlink_open(spec, &a, err, sizeof(err)) == 0, "%s: %s", spec, err);
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&hdr=eth&tx=sendmmsg", sv[1]);
	PLT_CHECK(pktlink_open(spec, &b, err, sizeof(err)) == 0, "%s: %s", spec, err);
	struct pktlink_info in;
	pktlink_get_info(a, &in);
	PLT_CHECK(in.has_link_addr && in.link_addr[5] == 0xa && !strcmp(in.family, "fd"), "info");
	struct t_dir ab;
	init_dir(&ab, b, a, MAC_A, MAC_B, 0x77);
	ab.count = 500;
	PLT_CHECK(t_pump2(&ab, NULL, 20) == 0, "pump");
	pktlink_close(a);
	pktlink_close(b);

	/* hdr=none: IP-only frames, no link address */
	snprintf(spec, sizeof(spec), "fd:%d?mtu=9000&hdr=none", sv[0]);
	PLT_CHECK(pktlink_open(spec, &a, err, sizeof(err)) == 0, "%s: %s", spec, err);
	pktlink_get_info(a, &in);
	PLT_CHECK(in.max_header_len == 0 && in.arp_hwtype == 0xfffe &&
			  !(in.caps & (PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED)) &&
			  in.mtu == 9000,
		  "hdr=none info");
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	PLT_CHECK(pktlink_set_link_addr(a, mac) == -EOPNOTSUPP, "no link addr without eth");
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Frames for another MAC are dropped and counted; the dispatcher keeps
 * delivering (the seed's readv dispatcher stopped here). */
static int filter_other_mac(void)
{
	for (int mode = 0; mode < 2; mode++) {
		int sv[2];
		PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
		struct pktlink_ep *a = open_one(sv[0], mode ? PKTLINK_FD_RX_RECVMMSG
							    : PKTLINK_FD_RX_READV,
						MAC_A);
		struct t_push p;
		memset(&p, 0, sizeof(p));
		p.salt = 9;
		p.maxlen = 1514;
		memcpy(p.dst, MAC_A, 6);
		memcpy(p.src, MAC_B, 6);
		PLT_OK(pktlink_attach(a, t_push_cb, &p));
		/* 300 frames: for us, for another MAC, broadcast (not a test
		 * frame for the checker: counted in others), alternating */
		uint8_t f[1600];
		unsigned ours = 0, other = 0, bcast = 0;
		for (uint32_t i = 0; i < 300; i++) {
			uint32_t len;
			if (i % 3 == 0) {
				len = t_frame(f, ours++, 9, 1514, MAC_A, MAC_B);
			} else if (i % 3 == 1) {
				len = t_frame(f, 1000 + i, 9, 1514, MAC_X, MAC_B);
				other++;
			} else {
				static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
				len = t_frame(f, 2000 + i, 9, 1514, bc, MAC_B);
				f[12] = 0x88;
				f[13] = 0xb6; /* not a test frame */
				bcast++;
			}
			uint64_t end = plt_now_ns() + PLT_WAIT_NS;
			while (send(sv[1], f, len, MSG_DONTWAIT) < 0 && errno == EAGAIN &&
			       plt_now_ns() < end)
				usleep(200);
		}
		uint64_t end = plt_now_ns() + PLT_WAIT_NS;
		while ((__atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) < ours ||
			__atomic_load_n(&p.others, __ATOMIC_ACQUIRE) < bcast) &&
		       plt_now_ns() < end)
			usleep(1000);
		PLT_OK(pktlink_attach(a, NULL, NULL));
		pktlink_join(a);
		PLT_CHECK(p.rcvd == ours && p.err == 0, "ours: %u of %u", p.rcvd, ours);
		PLT_CHECK(__atomic_load_n(&p.others, __ATOMIC_ACQUIRE) == bcast, "broadcast delivered: %u of %u", p.others, bcast);
		struct pktlink_stats st;
		PLT_OK(pktlink_get_stats(a, &st));
		PLT_CHECK(st.rx_drop_filter == other, "drop_filter %llu, expected %u",
			  (unsigned long long)st.rx_drop_filter, other);
		pktlink_close(a);
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}

/* Closing the other end: closed callback with a reason, workers exit. */
static int peer_death(void)
{
	/* push mode, SOCK_SEQPACKET: EOF */
	int threads0 = t_thread_baseline(), fds0 = plt_fd_count();
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *a = open_one(sv[0], PKTLINK_FD_RX_READV, MAC_A);
	int reason = 0;
	pktlink_set_closed_cb(a, t_closed_cb, &reason);
	struct t_push p;
	memset(&p, 0, sizeof(p));
	PLT_OK(pktlink_attach(a, t_push_cb, &p));
	close(sv[1]);
	PLT_CHECK(t_wait_nonzero(&reason, 10) < 0, "closed callback ran");
	pktlink_join(a); /* the workers stop on their own */
	PLT_CHECK_THREADS(threads0, "workers exited");
	PLT_CHECK(pktlink_rx_burst(a, NULL, 1) == reason, "rx after death: the reason");
	PLT_CHECK(pktlink_attach(a, t_push_cb, &p) < 0, "no attach after death");
	pktlink_close(a);
	close(sv[0]);

	/* pull mode, recvmmsg: rx_burst returns the reason */
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	a = open_one(sv[0], PKTLINK_FD_RX_RECVMMSG, MAC_A);
	reason = 0;
	pktlink_set_closed_cb(a, t_closed_cb, &reason);
	uint8_t f[100];
	uint32_t len = t_frame(f, 0, 0, 100, MAC_A, MAC_B);
	PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
	close(sv[1]);
	struct pktlink_pkt pk[8];
	int r = pktlink_rx_burst(a, pk, 8);
	PLT_CHECK(r == 1, "the frame before EOF is delivered: %d", r);
	pktlink_rx_release(a, pk, 1);
	r = pktlink_rx_burst(a, pk, 8);
	PLT_CHECK(r == -EPIPE && reason == -EPIPE, "EOF: %d / %d", r, reason);
	PLT_CHECK(pktlink_tx_burst(a, pk, 1) == -EPIPE, "tx after death");
	pktlink_close(a);
	close(sv[0]);

	/* SOCK_DGRAM: no hang-up; seen when sending */
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair");
	a = open_one(sv[0], PKTLINK_FD_RX_READV, MAC_A);
	reason = 0;
	pktlink_set_closed_cb(a, t_closed_cb, &reason);
	close(sv[1]);
	struct pktlink_pkt tp = { .data = f, .len = len };
	r = pktlink_tx_burst(a, &tp, 1);
	PLT_CHECK(r < 0 && reason == r, "dgram peer gone on send: %d (%s)", r, plt_errname(-r));
	pktlink_close(a);
	close(sv[0]);
	PLT_CHECK(plt_fd_count() == fds0, "no fd leaked");
	PLT_CHECK(t_no_leaks() == 0, "LeakSanitizer found leaks");
	return 0;
}

/* attach / detach / join many times, with traffic in between. */
static int attach_cycles(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	int threads0 = t_thread_baseline(), fds0 = plt_fd_count();
	struct pktlink_ep *a = open_one(sv[0], PKTLINK_FD_RX_RECVMMSG, MAC_A);
	struct t_push p;
	memset(&p, 0, sizeof(p));
	p.salt = 5;
	p.maxlen = 1514;
	memcpy(p.dst, MAC_A, 6);
	memcpy(p.src, MAC_B, 6);
	uint8_t f[1600];
	uint32_t seq = 0;
	for (int i = 0; i < 100; i++) {
		PKTLINK_OPTS(pktlink_attach_opts, ao, .burst = (unsigned)(1 + i % 64));
		PLT_OK(pktlink_attach_opts(a, t_push_cb, &p, &ao));
		PLT_CHECK(pktlink_attach(a, t_push_cb, &p) == -EBUSY, "double attach");
		for (int k = 0; k < 5; k++) {
			uint32_t len = t_frame(f, seq++, 5, 1514, MAC_A, MAC_B);
			PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
		}
		if (i % 2) {
			uint64_t end = plt_now_ns() + PLT_WAIT_NS;
			while (__atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) < seq && plt_now_ns() < end)
				usleep(100);
		}
		PLT_OK(pktlink_attach(a, NULL, NULL));
		pktlink_join(a);
		pktlink_join(a); /* twice is fine */
	}
	/* whatever the last detach left in the socket arrives in pull mode */
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (p.rcvd < seq && plt_now_ns() < end) {
		struct pktlink_pkt pk[16];
		int r = pktlink_rx_burst(a, pk, 16);
		PLT_CHECK(r >= 0, "rx %d", r);
		t_push_cb(&p, a, pk, (unsigned)r);
		pktlink_rx_release(a, pk, (unsigned)r);
	}
	PLT_CHECK(p.rcvd == seq && p.err == 0, "all %u frames in order: %u", seq, p.rcvd);
	PLT_CHECK_THREADS(threads0, "no worker left");
	pktlink_close(a);
	PLT_CHECK(plt_fd_count() == fds0, "no fd leaked (stop eventfds closed)");
	close(sv[0]);
	close(sv[1]);
	PLT_CHECK(t_no_leaks() == 0, "LeakSanitizer found leaks");
	return 0;
}

/* Views may be released in any order; with every buffer out, rx returns 0. */
static int release_any_order(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair");
	int fd = sv[0];
	struct pktlink_fd_opts o = { .sz = sizeof(o), .fds = &fd, .num_fds = 1, .mtu = 1500,
				     .eth_header = true, .rx_ring_frames = 8 };
	struct pktlink_ep *a;
	char err[256];
	PLT_CHECK(pktlink_fd_open(&o, &a, err, sizeof(err)) == 0, "%s", err);
	uint8_t f[1600];
	for (uint32_t i = 0; i < 12; i++) {
		uint32_t len = t_frame(f, i, 1, 1514, MAC_A, MAC_B);
		PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
	}
	struct pktlink_pkt pk[16], one;
	int r = pktlink_rx_burst(a, pk, 16);
	PLT_CHECK(r == 8, "8 buffers: %d", r);
	PLT_CHECK(pktlink_rx_burst(a, &one, 1) == 0, "all out: 0");
	for (int i = 0; i < 8; i++)
		PLT_CHECK(t_check(pk[i].data, pk[i].len, (uint32_t)i, 1, 1514, MAC_A, MAC_B) == 0,
			  "frame %d", i);
	/* release 5, 1, 7 then the rest in reverse */
	pktlink_rx_release(a, &pk[5], 1);
	pktlink_rx_release(a, &pk[1], 1);
	pktlink_rx_release(a, &pk[5], 1); /* double release is ignored */
	pktlink_rx_release(a, &pk[7], 1);
	r = pktlink_rx_burst(a, &pk[5], 1);
	PLT_CHECK(r == 1 && t_check(pk[5].data, pk[5].len, 8, 1, 1514, MAC_A, MAC_B) == 0, "9th");
	pktlink_rx_release(a, &pk[5], 1);
	for (int i = 6; i >= 0; i--)
		if (i != 5 && i != 1)
			pktlink_rx_release(a, &pk[i], 1);
	r = pktlink_rx_burst(a, pk, 16);
	PLT_CHECK(r == 3, "the rest: %d", r);
	for (int i = 0; i < 3; i++)
		PLT_CHECK(t_check(pk[i].data, pk[i].len, 9u + (uint32_t)i, 1, 1514, MAC_A, MAC_B) ==
				  0,
			  "frame %d", 9 + i);
	pktlink_rx_release(a, pk, 3);
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* The injectable variant: written fd, inbound only from inject calls. */
/* pktlink_wait(): 0 on timeout, 1 when a frame waits (the fd family has its
 * own wait; core used to report its timeouts as "ready"). */
static int wait_timeout(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *ep = open_one(sv[0], PKTLINK_FD_RX_READV, NULL);
	PLT_CHECK(pktlink_wait(ep, 0) == 0, "idle, no wait");
	PLT_CHECK(pktlink_wait(ep, 20) == 0, "idle, 20 ms timeout");
	uint8_t f[60];
	memset(f, 0xff, sizeof(f)); /* broadcast: passes the filter */
	PLT_CHECK(send(sv[1], f, sizeof(f), 0) == (ssize_t)sizeof(f), "send");
	PLT_CHECK(pktlink_wait(ep, 5000) == 1, "ready");
	struct pktlink_pkt p[4];
	PLT_CHECK(pktlink_rx_burst(ep, p, 4) == 1, "one frame");
	pktlink_rx_release(ep, p, 1);
	pktlink_close(ep);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static int injectable(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	int fd = sv[0];
	struct pktlink_fd_opts o = { .sz = sizeof(o), .fds = &fd, .num_fds = 1, .mtu = 1500,
				     .eth_header = true, .injectable = true, .rx_ring_frames = 16 };
	struct pktlink_ep *a;
	char err[256];
	PLT_CHECK(pktlink_fd_open(&o, &a, err, sizeof(err)) == 0, "%s", err);
	uint8_t f[1600];
	/* the fd is never read */
	uint32_t len = t_frame(f, 0, 3, 1514, MAC_A, MAC_B);
	PLT_CHECK(send(sv[1], f, len, 0) == (ssize_t)len, "send");
	struct pktlink_pkt pk[32];
	PLT_CHECK(pktlink_rx_burst(a, pk, 32) == 0, "fd not read");
	/* pull: bounded copy queue */
	for (uint32_t i = 0; i < 16; i++) {
		len = t_frame(f, i, 4, 1514, MAC_A, MAC_B);
		PLT_CHECK(pktlink_fd_inject(a, f, len) == 0, "inject %u", i);
	}
	PLT_CHECK(pktlink_fd_inject(a, f, len) == -ENOBUFS, "queue full");
	PLT_CHECK(pktlink_wait(a, 1000) == 1, "pollable");
	int r = pktlink_rx_burst(a, pk, 32);
	PLT_CHECK(r == 16, "16 injected: %d", r);
	for (int i = 0; i < 16; i++)
		PLT_CHECK(t_check(pk[i].data, pk[i].len, (uint32_t)i, 4, 1514, MAC_A, MAC_B) == 0,
			  "frame %d", i);
	pktlink_rx_release(a, pk, 16);
	/* outbound goes to the fd */
	len = t_frame(f, 1, 3, 1514, MAC_B, MAC_A);
	struct pktlink_pkt tp = { .data = f, .len = len };
	PLT_CHECK(pktlink_tx_burst(a, &tp, 1) == 1, "tx");
	uint8_t in[2000];
	PLT_CHECK(recv(sv[1], in, sizeof(in), 0) == (ssize_t)len && !memcmp(in, f, len), "tx bytes");
	/* push: injected frames reach the callback */
	struct t_push p;
	memset(&p, 0, sizeof(p));
	p.salt = 6;
	p.maxlen = 1514;
	memcpy(p.dst, MAC_A, 6);
	memcpy(p.src, MAC_B, 6);
	PLT_OK(pktlink_attach(a, t_push_cb, &p));
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	for (uint32_t i = 0; i < 2000 && plt_now_ns() < end;) {
		len = t_frame(f, i, 6, 1514, MAC_A, MAC_B);
		if (pktlink_fd_inject(a, f, len) == 0)
			i++;
		else
			usleep(100);
	}
	while (__atomic_load_n(&p.rcvd, __ATOMIC_ACQUIRE) < 2000 && plt_now_ns() < end)
		usleep(1000);
	PLT_CHECK(p.rcvd == 2000 && p.err == 0, "push: %u", p.rcvd);
	PLT_OK(pktlink_attach(a, NULL, NULL));
	pktlink_join(a);
	pktlink_close(a);
	close(sv[0]);
	close(sv[1]);
	PLT_CHECK(t_no_leaks() == 0, "LeakSanitizer found leaks");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "seqpacket_readv", seqpacket_readv, PLT_UNIT, 50 },
		{ "seqpacket_recvmmsg", seqpacket_recvmmsg, PLT_UNIT, 50 },
		{ "dgram_readv", dgram_readv, PLT_UNIT, 50 },
		{ "dgram_recvmmsg", dgram_recvmmsg, PLT_UNIT, 50 },
		{ "seqpacket_push_readv", seqpacket_push_readv, PLT_UNIT, 50 },
		{ "dgram_push_recvmmsg", dgram_push_recvmmsg, PLT_UNIT, 50 },
		{ "seqpacket_push_recvmmsg", seqpacket_push_recvmmsg, PLT_UNIT, 50 },
		{ "dgram_push_readv", dgram_push_readv, PLT_UNIT, 50 },
		{ "spec_open", spec_open, PLT_UNIT, 30 },
		{ "filter_other_mac", filter_other_mac, PLT_UNIT, 30 },
		{ "peer_death", peer_death, PLT_UNIT, 30 },
		{ "attach_cycles", attach_cycles, PLT_UNIT, 30 },
		{ "release_any_order", release_any_order, PLT_UNIT, 30 },
		{ "injectable", injectable, PLT_UNIT, 30 },
		{ "wait_timeout", wait_timeout, PLT_UNIT, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
