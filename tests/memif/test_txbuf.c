/* SPDX-License-Identifier: MIT */
/*
 * test_txbuf: memif zero-copy transmit (pktlink_tx_alloc()) in both roles
 * between two pktlink processes — byte-exact frames from lent buffers
 * mixed with frames from the caller's memory, given back, sent in reverse
 * (client); the contract: capacity and flags, pool exhaustion and reuse,
 * tx_free, double free and forged handles refused and counted, a partial
 * checksum completed in place, a super-packet in a lent buffer refused, a
 * server's lent buffer holding back the ring until it is sent or given
 * back, close with buffers still lent; a server whose client posts
 * buffers smaller than a frame lends none (-EMSGSIZE).
 */
#include "memif_testlib.h"

#include <errno.h>
#include <stdlib.h>

static struct pktlink_memif_opts opts(enum pktlink_memif_role role)
{
	struct pktlink_memif_opts o = { .sz = sizeof(o), .role = role, .socket = g_sock,
					.timeout_ms = 20000 };
	return o;
}

static struct pktlink_ep *open_ok(const struct pktlink_memif_opts *o)
{
	struct pktlink_ep *ep;
	char err[256];
	int r = pktlink_memif_open(o, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s open: %s", o->role ? "server" : "client", err);
	return ep;
}

struct side {
	struct pktlink_memif_opts o;
	struct mt_ex ex;
	bool echo; /* send back what comes, until the peer leaves */
	bool own_poller; /* echo: sleep in poll() on pktlink_queue_fd(), never pktlink_wait() */
};

static int run_side(void *arg)
{
	struct side *s = arg;
	struct pktlink_ep *ep;
	char err[256];
	if (pktlink_memif_open(&s->o, &ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return -1;
	}
	int r = 0;
	if (!s->echo) {
		r = mt_exchange(ep, &s->ex);
	} else {
		r = mt_echo_ex(ep, 20, s->own_poller);
	}
	pktlink_close(ep);
	return r;
}

/* Both ends send from lent buffers: client in reverse, server mixed; then both in order. */
static int zc_both_ways(void)
{
	static const int modes[][2] = { { MT_ZC_REVERSE, MT_ZC_MIX }, { MT_ZC_ORDER, MT_ZC_ORDER },
					{ MT_ZC_MIX, MT_ZC_NONE } };
	for (unsigned m = 0; m < 3; m++) {
		mk_sock();
		struct side s = { .o = opts(PKTLINK_MEMIF_SERVER),
				  .ex = { .tx_dir = 1, .rx_dir = 0, .count = 3000, .min = 60,
					  .max = 1514, .zc = modes[m][1] } };
		struct side c = { .o = opts(PKTLINK_MEMIF_CLIENT),
				  .ex = { .tx_dir = 0, .rx_dir = 1, .count = 3000, .min = 60,
					  .max = 1514, .zc = modes[m][0] } };
		c.o.ring_size = 128; /* wraps often; the lend pool is 128 buffers */
		pid_t pid = mt_fork(run_side, &s);
		int r = run_side(&c);
		PLT_CHECK(r == 0, "mode %u: client side", m);
		PLT_CHECK(mt_wait(pid, 60) == 0, "mode %u: server side", m);
		rm_sock();
	}
	return 0;
}

/* A client with 9000-byte frames lends whole frames (its buffers are 2048
 * bytes); the server gets chained buffers posted and so lends none. */
static int zc_jumbo_small_buffers(void)
{
	mk_sock();
	struct side s = { .o = opts(PKTLINK_MEMIF_SERVER), .echo = true };
	s.o.mtu = 9000;
	pid_t pid = mt_fork(run_side, &s);
	struct pktlink_memif_opts o = opts(PKTLINK_MEMIF_CLIENT);
	o.mtu = 9000;
	struct pktlink_ep *ep = open_ok(&o);
	struct mt_ex ex = { .count = 2000, .min = 60, .max = 9014, .zc = MT_ZC_MIX };
	PLT_CHECK(mt_exchange(ep, &ex) == 0, "echo of 60..9014-byte frames from lent buffers");
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 30) == 0, "echo server");

	/* The other way round: our server cannot lend 2048-byte buffers. */
	struct side c = { .o = opts(PKTLINK_MEMIF_CLIENT), .echo = true };
	c.o.mtu = 9000;
	pid = mt_fork(run_side, &c);
	o = opts(PKTLINK_MEMIF_SERVER);
	o.mtu = 9000;
	ep = open_ok(&o);
	struct pktlink_pkt p[4];
	int r = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	/* the client posts its buffers right after the handshake */
	while ((r = pktlink_tx_alloc(ep, p, 4)) == 0 && plt_now_ns() < end)
		usleep(1000);
	PLT_CHECK(r == -EMSGSIZE && strstr(pktlink_last_error(ep), "smaller than a frame"),
		  "tx_alloc on 2048-byte posted buffers: %d %s", r, pktlink_last_error(ep));
	ex = (struct mt_ex){ .count = 500, .min = 60, .max = 9014 };
	PLT_CHECK(mt_exchange(ep, &ex) == 0, "copy mode still works");
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 30) == 0, "echo client");
	rm_sock();
	return 0;
}

/* Wait for n frames; copy them out. */
static int recv_n(struct pktlink_ep *ep, uint8_t (*out)[2048], uint32_t *len, int n)
{
	int got = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (got < n && plt_now_ns() < end) {
		struct pktlink_pkt r[16];
		int k = pktlink_rx_burst(ep, r, (unsigned)(n - got < 16 ? n - got : 16));
		PLT_CHECK(k >= 0, "rx: %s", pktlink_last_error(ep));
		for (int i = 0; i < k; i++) {
			memcpy(out[got + i], r[i].data, r[i].len < 2048 ? r[i].len : 2048);
			len[got + i] = r[i].len;
		}
		pktlink_rx_release(ep, r, (unsigned)k);
		got += k;
		if (!k)
			pktlink_wait(ep, 20);
	}
	return got;
}

static void stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	pktlink_get_stats(ep, st);
}

/* The contract on one endpoint (role), an echo peer on the other side. */
static int contract(enum pktlink_memif_role role, bool own_poller)
{
	mk_sock();
	struct side peer = { .o = opts(!role), .echo = true, .own_poller = own_poller };
	if (role == PKTLINK_MEMIF_SERVER)
		peer.o.ring_size = 64; /* the buffers the server can lend */
	pid_t pid = mt_fork(run_side, &peer);
	struct pktlink_memif_opts o = opts(role);
	o.ring_size = 64;
	struct pktlink_ep *ep = open_ok(&o);
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	PLT_CHECK(in.caps & PKTLINK_CAP_TX_ALLOC, "caps %x", in.caps);
	static struct pktlink_pkt p[128];
	static uint8_t got[64][2048];
	uint32_t glen[64];

	/* Every buffer once: 64 (the pool, or the client's posted ring). */
	int n = 0;
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (n < 64 && plt_now_ns() < end) {
		int k = pktlink_tx_alloc(ep, p + n, (unsigned)(128 - n));
		PLT_CHECK(k >= 0, "tx_alloc: %s", pktlink_last_error(ep));
		n += k;
		if (!k)
			usleep(1000);
	}
	PLT_CHECK(n == 64 && pktlink_tx_alloc(ep, p + n, 1) == 0, "lent %d, then more", n);
	for (int i = 0; i < n; i++)
		PLT_CHECK(p[i].len == in.mtu + in.max_header_len && p[i].flags == PKTLINK_PKT_TXBUF &&
				  p[i].data,
			  "buffer %d: len %u flags %x", i, p[i].len, p[i].flags);
	pktlink_tx_free(ep, p, 64);
	struct pktlink_stats st0, st;
	stats(ep, &st0);
	/* Freed twice, and a forged handle: ignored and counted. */
	pktlink_tx_free(ep, p, 2);
	struct pktlink_pkt forged = p[5];
	forged.priv ^= 1u << 20;
	pktlink_tx_free(ep, &forged, 1);
	stats(ep, &st);
	PLT_CHECK(st.tx_drop_invalid == st0.tx_drop_invalid + 3, "double/forged free: %llu",
		  (unsigned long long)(st.tx_drop_invalid - st0.tx_drop_invalid));

	/* Lent again (all of them, the returned ones reused) */
	n = pktlink_tx_alloc(ep, p, 128);
	PLT_CHECK(n == 64, "lent again: %d", n);
	if (role == PKTLINK_MEMIF_SERVER) {
		/* Ring order: p[1] cannot go while p[0] (lent before it) is held. */
		mt_fill(p[1].data, 0, 0, 100);
		p[1].len = 100;
		PLT_CHECK(pktlink_tx_burst(ep, &p[1], 1) == 0, "p[1] went ahead of p[0]");
		pktlink_tx_free(ep, &p[0], 1);
		/* now it goes, copied into p[0]'s slot */
		PLT_CHECK(pktlink_tx_burst(ep, &p[1], 1) == 1, "p[1] after p[0] came back");
	} else {
		/* any order: p[1] first, p[0] given back */
		mt_fill(p[1].data, 0, 0, 100);
		p[1].len = 100;
		PLT_CHECK(pktlink_tx_burst(ep, &p[1], 1) == 1, "p[1]");
		pktlink_tx_free(ep, &p[0], 1);
	}
	/* 10 more in order, then a frame from our memory, byte-exact back */
	for (uint32_t i = 0; i < 10; i++) {
		mt_fill(p[2 + i].data, 0, 1 + i, 60 + i * 100);
		p[2 + i].len = 60 + i * 100;
	}
	PLT_CHECK(pktlink_tx_burst(ep, &p[2], 10) == 10, "10 lent frames");
	uint8_t mine[200];
	mt_fill(mine, 0, 11, 200);
	struct pktlink_pkt m = { .data = mine, .len = 200 };
	PLT_CHECK(pktlink_tx_burst(ep, &m, 1) == 1, "own frame");
	PLT_CHECK(recv_n(ep, got, glen, 12) == 12, "12 frames back");
	for (uint32_t i = 0; i < 12; i++) {
		uint8_t want[2048];
		uint32_t wl = i == 0 ? 100 : i == 11 ? 200 : 60 + (i - 1) * 100;
		mt_fill(want, 0, i, wl);
		PLT_CHECK(glen[i] == wl && !memcmp(got[i], want, wl), "frame %u: %u bytes", i,
			  glen[i]);
	}
	/* A sent buffer is no longer ours to free. */
	stats(ep, &st0);
	pktlink_tx_free(ep, &p[2], 1);
	stats(ep, &st);
	PLT_CHECK(st.tx_drop_invalid == st0.tx_drop_invalid + 1, "free of a sent buffer counted");

	/* A partial checksum completed in the lent buffer. */
	uint8_t good[256], part[256];
	uint32_t len = mt_udp_partial(good, part);
	memcpy(p[12].data, part, len);
	p[12].len = len;
	p[12].flags |= PKTLINK_PKT_CSUM_PARTIAL;
	p[12].csum_start = 34;
	p[12].csum_offset = 6;
	PLT_CHECK(pktlink_tx_burst(ep, &p[12], 1) == 1, "csum frame");
	PLT_CHECK(recv_n(ep, got, glen, 1) == 1 && glen[0] == len && !memcmp(got[0], good, len),
		  "checksum completed in place");
	/* A super-packet in a lent buffer: refused, counted, buffer back. */
	stats(ep, &st0);
	memcpy(p[13].data, good, len);
	p[13].len = len;
	p[13].gso_type = PKTLINK_GSO_UDP_L4;
	p[13].gso_size = 50;
	PLT_CHECK(pktlink_tx_burst(ep, &p[13], 1) == 1, "gso frame taken");
	/* A forged handle sent: taken, dropped, counted; nothing goes out. */
	forged = p[14];
	forged.priv2 += 7;
	PLT_CHECK(pktlink_tx_burst(ep, &forged, 1) == 1, "forged frame taken");
	stats(ep, &st);
	PLT_CHECK(st.tx_drop_invalid == st0.tx_drop_invalid + 2 && st.tx_packets == st0.tx_packets,
		  "gso/forged: invalid +%llu packets +%llu",
		  (unsigned long long)(st.tx_drop_invalid - st0.tx_drop_invalid),
		  (unsigned long long)(st.tx_packets - st0.tx_packets));
	PLT_CHECK(st.tx_packets == 13, "tx_packets %llu", (unsigned long long)st.tx_packets);
	/* The refused super-packet's buffer can be lent again. */
	pktlink_tx_free(ep, p + 14, 50);
	if (role == PKTLINK_MEMIF_SERVER)
		pktlink_tx_free(ep, &p[0], 1); /* nothing: it went back above */
	struct pktlink_pkt q[64];
	n = 0;
	end = plt_now_ns() + 10000000000ull;
	while (plt_now_ns() < end) {
		int k = pktlink_tx_alloc(ep, q + n, (unsigned)(64 - n));
		PLT_CHECK(k >= 0, "tx_alloc: %s", pktlink_last_error(ep));
		n += k;
		if (n == 64)
			break;
		usleep(1000);
	}
	PLT_CHECK(n == 64, "every buffer came back: %d", n);
	if (role == PKTLINK_MEMIF_SERVER) {
		/* A super-packet from our memory needs two slots; one is free
		 * before the held q[1]: it waits whole rather than half sent. */
		pktlink_tx_free(ep, &q[0], 1);
		struct pktlink_pkt g = { .data = good, .len = len, .gso_type = PKTLINK_GSO_UDP_L4,
					 .gso_size = 50 };
		PLT_CHECK(pktlink_tx_burst(ep, &g, 1) == 0, "gso went past a held buffer");
		pktlink_tx_free(ep, &q[1], 1);
		PLT_CHECK(pktlink_tx_burst(ep, &g, 1) == 1, "gso after the buffer came back");
		PLT_CHECK(recv_n(ep, got, glen, 2) == 2 && glen[0] == 92 && glen[1] == 92,
			  "two segments");
		stats(ep, &st);
		PLT_CHECK(st.tx_errors == 0, "segments lost: %llu", (unsigned long long)st.tx_errors);
	}
	/* Close with (nearly) all of them lent. */
	pktlink_close(ep);
	PLT_CHECK(mt_wait(pid, 30) == 0, "echo peer");
	rm_sock();
	return 0;
}

static int contract_client(void)
{
	return contract(PKTLINK_MEMIF_CLIENT, false);
}

static int contract_server(void)
{
	return contract(PKTLINK_MEMIF_SERVER, false);
}

/* The same with a client that sleeps in its own poll(): it posts what it
 * released when it arms its interrupt (src/memif/rx.c), so every buffer
 * still comes back to the server. */
static int contract_server_own_poller(void)
{
	return contract(PKTLINK_MEMIF_SERVER, true);
}

/* The same the other way: the echoing server sleeps in its own poll(),
 * and what it released still comes back to the client's lend pool. */
static int contract_client_own_poller(void)
{
	return contract(PKTLINK_MEMIF_CLIENT, true);
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "zc_both_ways", zc_both_ways, PLT_UNIT, 120 },
		{ "zc_jumbo_small_buffers", zc_jumbo_small_buffers, PLT_UNIT, 90 },
		{ "contract_client", contract_client, PLT_UNIT, 60 },
		{ "contract_client_own_poller", contract_client_own_poller, PLT_UNIT, 60 },
		{ "contract_server", contract_server, PLT_UNIT, 60 },
		{ "contract_server_own_poller", contract_server_own_poller, PLT_UNIT, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
