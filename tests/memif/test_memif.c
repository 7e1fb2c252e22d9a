/* SPDX-License-Identifier: MIT */
/*
 * test_memif: memif client and server endpoints of pktlink in two
 * processes — handshake over filesystem and abstract sockets, byte-exact
 * frames both ways (chained buffers up to 9000-byte MTU), secret and id
 * refusals, queue negotiation with push mode, IP mode, the spec form,
 * peer closing and peer killed (closed callback), option errors.
 */
#include "memif_testlib.h"

#include "core/fault.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>


struct side {
	struct pktlink_memif_opts o;
	struct mt_ex ex;
	int mode; /* 0 = exchange, 1 = open and close at once, 2 = open and sleep,
		   * 3 = exchange, then wait (up to 30 s) for the peer to leave */
};

static int open_side(struct side *s, struct pktlink_ep **ep)
{
	char err[256];
	int r = pktlink_memif_open(&s->o, ep, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s open: %s (%s)\n", s->o.role ? "server" : "client", err,
			pktlink_strerror(r));
		return -1;
	}
	return 0;
}

static int run_side(void *arg)
{
	struct side *s = arg;
	struct pktlink_ep *ep;
	if (open_side(s, &ep))
		return -1;
	int r = 0;
	if (s->mode == 0 || s->mode == 3)
		r = mt_exchange(ep, &s->ex);
	if (s->mode == 2)
		sleep(30);
	if (s->mode == 3 && r == 0) {
		/* a sender that closed at once could take its frames with it
		 * (a client's regions): leave after the receiver did */
		struct pktlink_pkt in[8];
		uint64_t until = plt_now_ns() + 30000000000ull;
		int n = 0;
		while (plt_now_ns() < until && (n = pktlink_rx_burst(ep, in, 8)) >= 0) {
			pktlink_rx_release(ep, in, (unsigned)n);
			pktlink_wait(ep, 10);
		}
		if (n >= 0) {
			fprintf(stderr, "the receiver did not leave within 30 s\n");
			r = -1;
		}
	}
	pktlink_close(ep);
	return r;
}

static struct side side(enum pktlink_memif_role role, const char *sock, uint32_t count,
			uint32_t min, uint32_t max)
{
	struct side s = { .o = { .sz = sizeof(s.o), .role = role, .socket = sock, .timeout_ms = 20000 },
			  .ex = { .tx_dir = role, .rx_dir = !role, .count = count, .min = min,
				  .max = max } };
	return s;
}

/* Server in a child, client here; both exchange. */
static int pair(struct side *srv, struct side *cli)
{
	pid_t pid = mt_fork(run_side, srv);
	int r = run_side(cli);
	int st = mt_wait(pid, 60);
	PLT_CHECK(r == 0, "client side failed");
	PLT_CHECK(st == 0, "server side failed (%d)", st);
	return 0;
}

static int exchange_fs_socket(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 3000, 60, 1514);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 3000, 60, 1514);
	pair(&s, &c);
	struct stat st;
	PLT_CHECK(stat(g_sock, &st) < 0, "the server left its socket file");
	rm_sock();
	return 0;
}

static int chained_9000(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 1500, 60, 9014);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 1500, 60, 9014);
	s.o.mtu = c.o.mtu = 9000;
	c.o.ring_size = 256; /* also exercises ring wrap and back-pressure */
	pair(&s, &c);
	rm_sock();
	return 0;
}

static int small_buffers_busy_poll(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 1000, 60, 1514);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 1000, 60, 1514);
	c.o.buffer_size = 128; /* up to 12 descriptors per frame */
	c.o.ring_size = 64;
	s.o.busy_poll = c.o.busy_poll = true;
	pair(&s, &c);
	rm_sock();
	return 0;
}

/* Rings of 2 to 64 slots, polling and busy polling: the client posts its
 * S2C buffers a quarter ring at a time, and all of them when it idles
 * (src/memif/rx.c); nothing may stall or go out of order at any size. */
static int ring_sizes(void)
{
	for (unsigned log2 = 1; log2 <= 6; log2++) {
		for (int busy = 0; busy < 2; busy++) {
			mk_sock();
			struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 700, 60, 1514);
			struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 700, 60, 1514);
			c.o.ring_size = 1u << log2;
			s.o.busy_poll = c.o.busy_poll = busy;
			pair(&s, &c);
			rm_sock();
		}
	}
	return 0;
}

/* One-way streams both ways, the receiver in the default mode (spinning
 * briefly, then sleeping): its looks at the ring are paced once a stream
 * comes in (src/core/endpoint.h, pl_spin_pace_begin()). Every frame must
 * arrive, in order and byte-exact, at the default ring size and a small one. */
static int one_way_streams(void)
{
	for (int ring = 0; ring < 2; ring++) {
		for (int client_sends = 0; client_sends < 2; client_sends++) {
			mk_sock();
			struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 1000000, 60, 200);
			struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 1000000, 60, 200);
			struct side *tx = client_sends ? &c : &s, *rx = client_sends ? &s : &c;
			tx->ex.no_rx = true;
			tx->mode = 3;
			rx->ex.no_tx = true;
			rx->ex.rx_dir = tx->ex.tx_dir;
			if (ring)
				c.o.ring_size = 64;
			pair(&s, &c);
			rm_sock();
		}
	}
	return 0;
}

static int abstract_socket(void)
{
	char name[64];
	snprintf(name, sizeof(name), "@pl-memif-test-%d", (int)getpid());
	struct side s = side(PKTLINK_MEMIF_SERVER, name, 500, 60, 1514);
	struct side c = side(PKTLINK_MEMIF_CLIENT, name, 500, 60, 1514);
	pair(&s, &c);
	/* The same through abstract=1 and a bare name. */
	s.o.socket = c.o.socket = name + 1;
	s.o.abstract = c.o.abstract = true;
	pair(&s, &c);
	return 0;
}

static int ip_mode(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 200, 60, 1500);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 200, 60, 1500);
	s.o.mode = c.o.mode = PKTLINK_MEMIF_IP;
	pid_t pid = mt_fork(run_side, &s);
	struct pktlink_ep *ep;
	PLT_CHECK(open_side(&c, &ep) == 0, "open");
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(!(in.caps & PKTLINK_CAP_ETHERNET) && in.max_header_len == 0 &&
			  in.arp_hwtype == 0xfffe && !in.has_link_addr,
		  "ip mode info: caps %x hdr %u", in.caps, in.max_header_len);
	PLT_CHECK(strcmp(in.family, "memif") == 0, "family %s", in.family);
	PLT_CHECK(mt_exchange(ep, &c.ex) == 0, "exchange");
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 60) == 0, "server");
	/* An ethernet client is refused by an IP server. */
	pid = mt_fork(run_side, &s);
	c.o.mode = PKTLINK_MEMIF_ETHERNET;
	c.o.timeout_ms = 3000;
	char err[256];
	int r = pktlink_memif_open(&c.o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ECONNREFUSED && strstr(err, "IP mode"), "mode mismatch: %d %s", r, err);
	kill(pid, SIGKILL);
	mt_wait(pid, 10);
	rm_sock();
	return 0;
}

static int secret_and_id(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 100, 60, 200);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 100, 60, 200);
	s.o.secret = "s3cret";
	s.o.id = 7;
	pid_t pid = mt_fork(run_side, &s);
	struct pktlink_ep *ep;
	char err[256];
	c.o.id = 7;
	int r = pktlink_memif_open(&c.o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ECONNREFUSED && strstr(err, "Secret required"), "no secret: %d %s", r, err);
	c.o.secret = "wrong";
	r = pktlink_memif_open(&c.o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ECONNREFUSED && strstr(err, "Incorrect secret"), "bad secret: %d %s", r, err);
	c.o.secret = "s3cret";
	c.o.id = 8;
	r = pktlink_memif_open(&c.o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ECONNREFUSED && strstr(err, "ID not found"), "bad id: %d %s", r, err);
	/* The server still waits: the right client gets through. */
	c.o.id = 7;
	PLT_CHECK(run_side(&c) == 0, "right client");
	PLT_CHECK(mt_wait(pid, 60) == 0, "server");
	rm_sock();
	return 0;
}

static int g_closed_reason;
static void on_closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	__atomic_store_n(&g_closed_reason, reason, __ATOMIC_SEQ_CST);
}

/* The server goes away (closes, or is killed); the client notices in pull and push mode. */
static int peer_gone_case(int how)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 0, 60, 60);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 0, 60, 60);
	s.mode = how == 0 ? 1 : 2;
	pid_t pid = mt_fork(run_side, &s);
	struct pktlink_ep *ep;
	PLT_CHECK(open_side(&c, &ep) == 0, "open");
	g_closed_reason = 0;
	pktlink_set_closed_cb(ep, on_closed, NULL);
	if (how == 1)
		kill(pid, SIGKILL);
	uint64_t end = plt_now_ns() + 10000000000ull;
	int r = 0;
	struct pktlink_pkt p[8];
	while (plt_now_ns() < end) {
		pktlink_wait(ep, 100);
		r = pktlink_rx_burst(ep, p, 8);
		if (r < 0)
			break;
	}
	PLT_CHECK(r == -ECONNRESET, "rx_burst %d (%s)", r, pktlink_last_error(ep));
	PLT_CHECK(g_closed_reason == -ECONNRESET, "closed callback %d", g_closed_reason);
	if (how == 0)
		PLT_CHECK(strstr(pktlink_last_error(ep), "closed"), "reason: %s",
			  pktlink_last_error(ep));
	uint8_t f[64] = { 0 };
	struct pktlink_pkt t = { .data = f, .len = 60 };
	PLT_CHECK(pktlink_tx_burst(ep, &t, 1) == -ECONNRESET, "tx after gone");
	pktlink_close(ep);
	mt_wait(pid, 20);
	rm_sock();
	return 0;
}

static int peer_closes(void)
{
	return peer_gone_case(0);
}

static int peer_killed(void)
{
	return peer_gone_case(1);
}

struct push_ctx {
	uint32_t got[4];
	uint32_t bad;
};

static void deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct push_ctx *c = ctx;
	for (unsigned i = 0; i < n; i++) {
		/* UDP frames from the server: the source port says which one. */
		if (pkts[i].queue >= 4 || pkts[i].len != 142 || pkts[i].data[23] != 17)
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&c->got[pkts[i].queue], 1, __ATOMIC_RELAXED);
	}
}

/* Server offers 2 queue pairs, the client asks for 4 and gets 2; the
 * server's 64 UDP flows are spread over both rings; push mode receive
 * with a worker per queue. */
static int queues_push_mode(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 2000, 60, 1514);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 2000, 60, 1514);
	s.o.num_queues = 2;
	c.o.num_queues = 4;
	s.ex.count = 2000;
	s.ex.rx_dir = 0;
	c.ex.count = 0;
	/* Server: sends 2000, receives nothing. */
	s.ex.tx_dir = 1;
	s.ex.count = 2000;
	pid_t pid = fork();
	if (pid == 0) {
		struct pktlink_ep *ep;
		if (open_side(&s, &ep))
			_exit(1);
		struct pktlink_info in;
		pktlink_get_info(ep, &in);
		if (in.num_queues != 2) {
			fprintf(stderr, "server queues %u\n", in.num_queues);
			_exit(1);
		}
		static uint8_t b[16][2048];
		static const uint8_t dm[6] = { 2, 0, 0, 0, 0, 2 }, sm[6] = { 2, 0, 0, 0, 0, 1 };
		struct pktlink_pkt t[16];
		uint32_t sent = 0;
		uint64_t end = plt_now_ns() + 30000000000ull;
		while (sent < 2000 && plt_now_ns() < end) {
			unsigned n = 0;
			for (; n < 16 && sent + n < 2000; n++) {
				/* 64 flows (source ports): spread over both rings. */
				uint32_t len = plt_build_udp(b[n], dm, sm, PLT_IP(198, 18, 0, 1),
							     PLT_IP(198, 18, 0, 2),
							     (uint16_t)(1000 + (sent + n) % 64), 2000,
							     NULL, 100);
				t[n] = (struct pktlink_pkt){ .data = b[n], .len = len };
			}
			int r = pktlink_tx_burst(ep, t, n);
			if (r < 0)
				_exit(1);
			sent += (uint32_t)r;
			if (!r)
				usleep(100);
		}
		/* Stay until the client is done. */
		struct pktlink_pkt p[4];
		while (plt_now_ns() < end && pktlink_rx_burst(ep, p, 4) >= 0)
			pktlink_wait(ep, 50);
		pktlink_close(ep);
		_exit(sent == 2000 ? 0 : 1);
	}
	struct pktlink_ep *ep;
	PLT_CHECK(open_side(&c, &ep) == 0, "open");
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.num_queues == 2, "client queues %u", in.num_queues);
	struct push_ctx ctx = { { 0 }, 0 };
	PLT_OK(pktlink_attach(ep, deliver, &ctx));
	uint64_t end = plt_now_ns() + 30000000000ull;
	while (plt_now_ns() < end && __atomic_load_n(&ctx.got[0], __ATOMIC_RELAXED) +
						    __atomic_load_n(&ctx.got[1], __ATOMIC_RELAXED) <
					    2000)
		usleep(1000);
	pktlink_attach(ep, NULL, NULL);
	pktlink_join(ep);
	PLT_CHECK(ctx.bad == 0, "%u bad frames", ctx.bad);
	PLT_CHECK(ctx.got[0] + ctx.got[1] == 2000, "got %u+%u", ctx.got[0], ctx.got[1]);
	PLT_CHECK(ctx.got[0] > 100 && ctx.got[1] > 100, "flows not spread: %u+%u", ctx.got[0],
		  ctx.got[1]);
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	PLT_CHECK(st.rx_packets == 2000, "rx_packets %llu", (unsigned long long)st.rx_packets);
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 30) == 0, "server");
	rm_sock();
	return 0;
}

static int spec_form(void)
{
	mk_sock();
	pid_t pid = fork();
	if (pid == 0) {
		char spec[256], err[256];
		struct pktlink_ep *ep;
		snprintf(spec, sizeof(spec), "memif:%s?role=server&id=3&secret=abc&name=srv&mtu=9000",
			 g_sock);
		if (pktlink_open(spec, &ep, err, sizeof(err)) < 0) {
			fprintf(stderr, "server: %s\n", err);
			_exit(1);
		}
		struct mt_ex ex = { .tx_dir = 1, .rx_dir = 0, .count = 300, .min = 60, .max = 9014 };
		int r = mt_exchange(ep, &ex);
		pktlink_close(ep);
		_exit(r ? 1 : 0);
	}
	char spec[256], err[256];
	struct pktlink_ep *ep;
	snprintf(spec, sizeof(spec),
		 "memif:%s?role=client&id=3&secret=abc&name=cli&mtu=9000&ring_size=512&"
		 "addr=02:00:00:00:00:09",
		 g_sock);
	PLT_CHECK(pktlink_open(spec, &ep, err, sizeof(err)) == 0, "client: %s", err);
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.has_link_addr && in.link_addr[5] == 9 && in.mtu == 9000, "info");
	struct mt_ex ex = { .tx_dir = 0, .rx_dir = 1, .count = 300, .min = 60, .max = 9014 };
	PLT_CHECK(mt_exchange(ep, &ex) == 0, "exchange");
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 30) == 0, "server");
	rm_sock();
	/* Bad specs name the problem. */
	static const struct {
		const char *spec, *want;
	} bad[] = {
		{ "memif:?role=client", "control socket" },
		{ "memif:/x?role=boss", "role" },
		{ "memif:/x?ring_size=1000", "power of two" },
		{ "memif:/x?queues=0", "queues" },
		{ "memif:/x?color=red", "color" },
		{ "memif:/x?secret=0123456789012345678901234", "secret" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = pktlink_open(bad[i].spec, &ep, err, sizeof(err));
		PLT_CHECK(r == -EINVAL && strstr(err, bad[i].want), "%s: %d %s", bad[i].spec, r, err);
	}
	return 0;
}

/* A busy echo server (like a DPDK forwarder): the client's frames come back byte-exact. */
static int echo_server(void *arg)
{
	struct side *s = arg;
	struct pktlink_ep *ep;
	if (open_side(s, &ep))
		return -1;
	int r = mt_echo(ep, 0);
	pktlink_close(ep);
	return r;
}

static int echo_server_quiet(void *arg)
{
	return echo_server(arg);
}

static int echo_chained(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 0, 60, 9014);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 5000, 60, 9014);
	s.o.mtu = c.o.mtu = 9000;
	s.o.busy_poll = true;
	c.ex.rx_dir = 0;
	pid_t pid = mt_fork(echo_server, &s);
	int r = run_side(&c);
	PLT_CHECK(r == 0, "client");
	PLT_CHECK(mt_wait(pid, 60) == 0, "echo server");
	rm_sock();
	return 0;
}

static int client_timeout(void)
{
	mk_sock();
	struct pktlink_memif_opts o = { .sz = sizeof(o), .socket = g_sock, .timeout_ms = 300 };
	struct pktlink_ep *ep;
	char err[256];
	int fds = plt_fd_count();
	int r = pktlink_memif_open(&o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ENOENT, "no server: %d %s", r, err);
	o.role = PKTLINK_MEMIF_SERVER;
	r = pktlink_memif_open(&o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ETIMEDOUT, "no client: %d %s", r, err);
	PLT_CHECK(plt_fd_count() == fds, "fd leak");
	rm_sock();
	return 0;
}

/* memif carries no offload metadata: a frame sent with a partial UDP
 * checksum arrives with the checksum completed. */
static int csum_partial_completed(void)
{
	mk_sock();
	struct side s = side(PKTLINK_MEMIF_SERVER, g_sock, 0, 60, 60);
	s.mode = 2;
	pid_t pid = mt_fork(run_side, &s);
	struct side c = side(PKTLINK_MEMIF_CLIENT, g_sock, 0, 60, 60);
	struct pktlink_ep *ep;
	PLT_CHECK(open_side(&c, &ep) == 0, "open");
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD, "caps %x", in.caps);
	pktlink_close(ep);
	kill(pid, SIGKILL);
	mt_wait(pid, 10);

	/* Echo through a pktlink server: send partial, get complete back. */
	s.mode = 0;
	pid = mt_fork(echo_server_quiet, &s);
	PLT_CHECK(open_side(&c, &ep) == 0, "open");
	uint8_t good[256], part[256];
	uint32_t len = mt_udp_partial(good, part);
	uint16_t sum = (uint16_t)(part[40] << 8 | part[41]);
	struct pktlink_pkt t = { .data = part, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = 34, .csum_offset = 6 };
	PLT_CHECK(pktlink_tx_burst(ep, &t, 1) == 1, "tx");
	PLT_CHECK(part[40] == (uint8_t)(sum >> 8), "the caller's frame was modified");
	struct pktlink_pkt r[4];
	int n = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (n == 0 && plt_now_ns() < end) {
		pktlink_wait(ep, 50);
		n = pktlink_rx_burst(ep, r, 4);
		PLT_CHECK(n >= 0, "rx: %s", pktlink_last_error(ep));
	}
	PLT_CHECK(n == 1 && r[0].len == len, "echo: %d", n);
	PLT_CHECK(memcmp(r[0].data, good, len) == 0, "checksum not completed: %02x%02x want %02x%02x",
		  r[0].data[40], r[0].data[41], good[40], good[41]);
	pktlink_rx_release(ep, r, 1);
	/* A GSO super-packet: memif cannot carry the request, so pktlink
	 * segments it (two datagrams of 50 bytes, checksums complete). */
	struct pktlink_pkt g = { .data = good, .len = len, .gso_type = PKTLINK_GSO_UDP_L4,
				 .gso_size = 50 };
	PLT_CHECK(pktlink_tx_burst(ep, &g, 1) == 1, "gso frame taken");
	n = 0;
	end = plt_now_ns() + 10000000000ull;
	while (n < 2 && plt_now_ns() < end) {
		pktlink_wait(ep, 50);
		int k = pktlink_rx_burst(ep, r + n, (unsigned)(4 - n));
		PLT_CHECK(k >= 0, "rx: %s", pktlink_last_error(ep));
		n += k;
	}
	PLT_CHECK(n == 2, "segments echoed: %d", n);
	for (int k = 0; k < 2; k++) {
		PLT_CHECK(r[k].len == 42 + 50 && !memcmp(r[k].data + 42, good + 42 + 50 * k, 50),
			  "segment %d: %u bytes", k, r[k].len);
		uint32_t cs = 17 + 8 + 50;
		for (uint32_t j = 26; j < 92; j += 2)
			cs += (uint32_t)(r[k].data[j] << 8 | r[k].data[j + 1]);
		while (cs >> 16)
			cs = (cs & 0xffff) + (cs >> 16);
		PLT_CHECK(cs == 0xffff, "segment %d: UDP checksum", k);
	}
	pktlink_rx_release(ep, r, 2);
	/* A malformed request (gso_size 0) can never be sent: dropped, counted. */
	g.gso_size = 0;
	PLT_CHECK(pktlink_tx_burst(ep, &g, 1) == 1, "bad gso frame taken");
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	PLT_CHECK(st.tx_drop_invalid == 1 && st.tx_packets == 2, "stats: invalid %llu, packets %llu",
		  (unsigned long long)st.tx_drop_invalid, (unsigned long long)st.tx_packets);
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 20) == 0, "echo server");
	rm_sock();
	return 0;
}

struct srv_open {
	struct pktlink_memif_opts o;
	struct pktlink_ep *ep;
	int r;
};

static void *srv_open_thread(void *arg)
{
	struct srv_open *s = arg;
	char err[256];
	s->r = pktlink_memif_open(&s->o, &s->ep, err, sizeof(err));
	if (s->r)
		fprintf(stderr, "server open: %s\n", err);
	return NULL;
}

/* Receive exactly n frames of direction dir from seq on into v (held). */
static void recv_held(struct pktlink_ep *ep, struct pktlink_pkt *v, unsigned n, int dir,
		      uint32_t seq)
{
	unsigned have = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (have < n) {
		PLT_CHECK(plt_now_ns() < end, "%u of %u frames", have, n);
		int r = pktlink_rx_burst(ep, v + have, n - have);
		PLT_CHECK(r >= 0, "rx: %s", pktlink_last_error(ep));
		for (int i = 0; i < r; i++, have++)
			PLT_CHECK(mt_check(v[have].data, v[have].len, dir, seq + have, 60, 300) == 0,
				  "frame %u", seq + have);
	}
}

/* Views given back in every order, some twice, with copied (chained)
 * frames among them and a handle that was never handed out: the ring
 * keeps moving for many laps in both directions, views stay valid while
 * held, nothing is lost. In-order releases take the receive side's fast
 * path, the rest its checked one. */
static int release_orders(void)
{
	mk_sock();
	struct srv_open s = { .o = { .sz = sizeof(s.o), .role = PKTLINK_MEMIF_SERVER,
				     .socket = g_sock, .timeout_ms = 20000, .busy_poll = true } };
	pthread_t th;
	PLT_CHECK(pthread_create(&th, NULL, srv_open_thread, &s) == 0, "thread");
	struct pktlink_memif_opts o = { .sz = sizeof(o), .role = PKTLINK_MEMIF_CLIENT,
					.socket = g_sock, .timeout_ms = 20000, .busy_poll = true,
					.ring_size = 64, .buffer_size = 128 };
	struct pktlink_ep *cli;
	char err[256];
	PLT_CHECK(pktlink_memif_open(&o, &cli, err, sizeof(err)) == 0, "client: %s", err);
	pthread_join(th, NULL);
	PLT_CHECK(s.r == 0, "server open");
	static uint8_t bufs[12][300];
	for (int dir = 0; dir < 2; dir++) {
		struct pktlink_ep *tx = dir ? s.ep : cli, *rx = dir ? cli : s.ep;
		uint32_t seq = 0;
		for (unsigned round = 0; round < 60; round++) {
			/* up to 12 frames of 60-300 bytes, up to 3 buffers each: they
			 * fit the ring (64) while all are held */
			const unsigned N = 3 + round % 10;
			struct pktlink_pkt t[12], v[12];
			for (unsigned i = 0; i < N; i++) {
				uint32_t len = mt_len(dir, seq + i, 60, 300);
				mt_fill(bufs[i], dir, seq + i, len);
				t[i] = (struct pktlink_pkt){ .data = bufs[i], .len = len };
			}
			unsigned sent = 0;
			uint64_t end = plt_now_ns() + 10000000000ull;
			while (sent < N) {
				PLT_CHECK(plt_now_ns() < end, "dir %d round %u: sent %u of %u", dir, round, sent, N);
				int r = pktlink_tx_burst(tx, t + sent, N - sent);
				PLT_CHECK(r >= 0, "tx: %s", pktlink_last_error(tx));
				sent += (unsigned)r;
			}
			recv_held(rx, v, N, dir, seq);
			/* still intact while all are held */
			for (unsigned i = 0; i < N; i++)
				PLT_CHECK(mt_check(v[i].data, v[i].len, dir, seq + i, 60, 300) == 0,
					  "round %u: held frame %u", round, i);
			struct pktlink_pkt bogus = v[0];
			bogus.priv ^= 1u << 12; /* a position nobody was given */
			for (unsigned k = 0; k < N; k++) {
				unsigned i = round % 4 == 0 ? k
					     : round % 4 == 1 ? N - 1 - k
					     : round % 4 == 2 ? (k * 5) % N
							      : (k % 2 ? N - 1 - k / 2 : k / 2);
				if (round % 4 == 2 && N % 5 == 0)
					i = k; /* (k * 5) % N covers N only when coprime */
				pktlink_rx_release(rx, &v[i], 1);
				if (k == N / 2) {
					pktlink_rx_release(rx, &v[i], 1); /* twice */
					pktlink_rx_release(rx, &bogus, 1);
				}
			}
			if (round % 3 == 0) /* the whole burst again, all stale */
				pktlink_rx_release(rx, v, N);
			seq += N;
		}
		struct pktlink_stats st;
		pktlink_get_stats(rx, &st);
		PLT_CHECK(st.rx_packets == seq && st.rx_drop_invalid == 0,
			  "dir %d: rx_packets %llu of %u, invalid %llu", dir,
			  (unsigned long long)st.rx_packets, seq,
			  (unsigned long long)st.rx_drop_invalid);
	}
	pktlink_close(cli);
	pktlink_close(s.ep);
	rm_sock();
	return 0;
}

/* Every setup step of both roles fails once (pl_fault): no descriptor or
 * mapping is left behind, and the failing side says why. */
static int fault_injection(void)
{
	int fds0 = plt_fd_count();
	for (int role = 0; role < 2; role++) {
		unsigned n;
		for (n = 1; n < 200; n++) {
			mk_sock();
			struct side s = side(role ? PKTLINK_MEMIF_CLIENT : PKTLINK_MEMIF_SERVER, g_sock, 0,
					     60, 60);
			s.o.timeout_ms = 3000;
			s.mode = 1;
			pid_t pid = mt_fork(run_side, &s);
			struct pktlink_memif_opts o = { .sz = sizeof(o), .socket = g_sock,
							.timeout_ms = 3000,
							.role = role ? PKTLINK_MEMIF_SERVER
								     : PKTLINK_MEMIF_CLIENT };
			struct pktlink_ep *ep = NULL;
			char err[256] = "";
			pl_fault_arm(n);
			int r = pktlink_memif_open(&o, &ep, err, sizeof(err));
			bool fired = pl_fault_fired();
			pl_fault_arm(0);
			if (r == 0)
				pktlink_close(ep);
			kill(pid, SIGKILL);
			mt_wait(pid, 10);
			rm_sock();
			PLT_CHECK(plt_fd_count() == fds0, "role %d step %u: fd leak %d -> %d (%s)", role, n,
				  fds0, plt_fd_count(), err);
			if (!fired) {
				PLT_CHECK(r == 0, "no fault but failed: %s", err);
				break;
			}
			PLT_CHECK(r < 0 && err[0], "role %d step %u: fault fired but open succeeded",
				  role, n);
		}
		PLT_CHECK(n > 3 && n < 200, "role %d: %u setup steps", role, n);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "exchange_fs_socket", exchange_fs_socket, PLT_UNIT, 60 },
		{ "chained_9000", chained_9000, PLT_UNIT, 60 },
		{ "small_buffers_busy_poll", small_buffers_busy_poll, PLT_UNIT, 60 },
		{ "ring_sizes", ring_sizes, PLT_UNIT, 120 },
		{ "one_way_streams", one_way_streams, PLT_UNIT, 120 },
		{ "abstract_socket", abstract_socket, PLT_NETNS, 60 },
		{ "ip_mode", ip_mode, PLT_UNIT, 60 },
		{ "secret_and_id", secret_and_id, PLT_UNIT, 60 },
		{ "peer_closes", peer_closes, PLT_UNIT, 30 },
		{ "peer_killed", peer_killed, PLT_UNIT, 30 },
		{ "queues_push_mode", queues_push_mode, PLT_UNIT, 60 },
		{ "spec_form", spec_form, PLT_UNIT, 60 },
		{ "client_timeout", client_timeout, PLT_UNIT, 30 },
		{ "echo_chained", echo_chained, PLT_UNIT, 90 },
		{ "csum_partial_completed", csum_partial_completed, PLT_UNIT, 60 },
		{ "release_orders", release_orders, PLT_UNIT, 60 },
		{ "fault_injection", fault_injection, PLT_UNIT, 120 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
