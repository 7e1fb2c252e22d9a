/* SPDX-License-Identifier: MIT */
/*
 * test_contract: the endpoint contract (include/pktlink/pktlink.h), the
 * same cases against every family that can host them. One table of
 * fixtures (how to open an endpoint and its peer, contract.h) times one
 * table of cases; case names are "<fixture>/<case>".
 *
 * Cases:
 *   sizes_tx    frames of 60 bytes up to the MTU leave byte for byte; MTU+1
 *               is taken, not sent, and counted in tx_drop_invalid
 *   sizes_rx    the same sizes injected by the peer arrive byte for byte
 *   csum        CSUM_PARTIAL requests (UDP/TCP over IPv4/IPv6) arrive with
 *               the checksums complete
 *   gso         TCPv4, TCPv6 and UDP_L4 GSO super-packets arrive as segments
 *               of at most the MTU, checksums verified, payload intact
 *   stats       every frame offered is counted as sent or in a drop reason,
 *               and every frame received as received
 *   release     views released in any order, several rounds
 *   closed      the closed callback runs exactly once, with the reason
 *               pktlink_rx_burst() then returns
 *   push        attached workers deliver every injected frame
 * Multi-buffer is covered by the xdp-drv-sg fixture (MTU 4000 over 2048-byte
 * chunks: the large sizes are chains).
 *
 * A case that fails because of a library bug stays in the table.
 */
#include "contract.h"

#include <stdatomic.h>
#include <stdlib.h>

/* ---- fixtures ---- */

static int fx_socketpair_open(struct ct_pair *p)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	char spec[64];
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500", sv[0]);
	p->peer_fd = sv[1];
	return ct_open_ep(p, spec);
}

static void fx_fd_gone(struct ct_pair *p)
{
	close(p->peer_fd);
	p->peer_fd = -1;
}

/* A veth pair ct0 <-> ct1: the endpoint on ct0, the AF_PACKET peer on ct1. */
static int veth_open(struct ct_pair *p, const char *spec)
{
	plt_veth("ct0", "ct1", 1500, NULL, NULL);
	snprintf(p->dev, sizeof(p->dev), "ct1");
	ct_peer_packet(p, "ct1");
	return ct_open_ep(p, spec);
}

static int fx_packet_open(struct ct_pair *p)
{
	return veth_open(p, "packet:ct0?promisc=1");
}

static int fx_packet_vnet_open(struct ct_pair *p)
{
	return veth_open(p, "packet:ct0?promisc=1&vnet_hdr=1");
}

static int fx_packet_mmap_open(struct ct_pair *p)
{
	return veth_open(p, "packet:ct0?promisc=1&dispatch=mmap&tx=mmap");
}

static int fx_xdp_drv_open(struct ct_pair *p)
{
	return veth_open(p, "xdp:ct0?mode=drv");
}

static int fx_xdp_skb_open(struct ct_pair *p)
{
	return veth_open(p, "xdp:ct0?mode=skb");
}

/* Multi-buffer: a 4000-byte MTU over 2048-byte chunks, so large frames are chains. */
static int fx_xdp_sg_open(struct ct_pair *p)
{
	plt_veth("ct0", "ct1", 4000, NULL, NULL);
	snprintf(p->dev, sizeof(p->dev), "ct1");
	ct_peer_packet(p, "ct1");
	return ct_open_ep(p, "xdp:ct0?mode=drv&sg=1&frame_size=2048");
}

static void fx_dev_gone(struct ct_pair *p)
{
	plt_sh_ok("ip link del %s", p->dev);
}

/* A TAP device: the endpoint reads and writes its fd, the AF_PACKET peer sits on the device. */
static int tap_open(struct ct_pair *p, const char *spec)
{
	int r = ct_open_ep(p, spec);
	if (r)
		return r;
	snprintf(p->dev, sizeof(p->dev), "cttap0");
	plt_sh_ok("sysctl -qw net.ipv6.conf.cttap0.disable_ipv6=1; ip link set cttap0 up");
	ct_peer_packet(p, "cttap0");
	return 0;
}

static int fx_tap_open(struct ct_pair *p)
{
	return tap_open(p, "tap:cttap0?promisc=1");
}

static int fx_tap_vnet_open(struct ct_pair *p)
{
	return tap_open(p, "tap:cttap0?promisc=1&vnet_hdr=1");
}

/* shm: the server is under test, the client is the peer (opened meanwhile in a thread). */
struct shm_open_arg {
	char spec[160];
	struct pktlink_ep *ep;
	int r;
	char err[256];
};

static void *shm_client_thread(void *a)
{
	struct shm_open_arg *o = a;
	uint64_t end = plt_now_ns() + 10000000000ull;
	do {
		o->r = pktlink_open(o->spec, &o->ep, o->err, sizeof(o->err));
		if (!o->r)
			break;
		usleep(10000);
	} while (plt_now_ns() < end);
	return NULL;
}

/* A shared-memory pair of @family: the server is under test, the client is
 * the peer (opened meanwhile in a thread; for memif it owns the memory). */
static int fx_server_client_open(struct ct_pair *p, const char *family)
{
	snprintf(p->path, sizeof(p->path), "/tmp/plt-contract-%s-%d.sock", family, getpid());
	unlink(p->path);
	static struct shm_open_arg o;
	snprintf(o.spec, sizeof(o.spec), "%s:%s?role=client", family, p->path);
	pthread_t t;
	PLT_CHECK(pthread_create(&t, NULL, shm_client_thread, &o) == 0, "thread");
	char spec[160];
	snprintf(spec, sizeof(spec), "%s:%s?role=server&timeout_ms=10000", family, p->path);
	int r = ct_open_ep(p, spec);
	pthread_join(t, NULL);
	unlink(p->path);
	PLT_CHECK(o.r == 0, "%s client: %s", family, o.err);
	p->peer_ep = o.ep;
	return r;
}

static int fx_shm_open(struct ct_pair *p)
{
	return fx_server_client_open(p, "shm");
}

#ifdef PKTLINK_HAVE_MEMIF
static int fx_memif_open(struct ct_pair *p)
{
	return fx_server_client_open(p, "memif");
}
#endif

static void fx_shm_gone(struct ct_pair *p)
{
	pktlink_close(p->peer_ep);
	p->peer_ep = NULL;
}

static const struct ct_fixture fixtures[] = {
	{ "fd-socketpair", fx_socketpair_open, fx_fd_gone },
	{ "packet", fx_packet_open, fx_dev_gone },
	{ "packet-vnet", fx_packet_vnet_open, fx_dev_gone },
	{ "packet-mmap", fx_packet_mmap_open, fx_dev_gone },
	{ "tap", fx_tap_open, fx_dev_gone },
	{ "tap-vnet", fx_tap_vnet_open, fx_dev_gone },
	{ "xdp-drv", fx_xdp_drv_open, fx_dev_gone },
	{ "xdp-skb", fx_xdp_skb_open, fx_dev_gone },
	{ "xdp-drv-sg", fx_xdp_sg_open, fx_dev_gone },
	{ "shm", fx_shm_open, fx_shm_gone },
#ifdef PKTLINK_HAVE_MEMIF
	{ "memif", fx_memif_open, fx_shm_gone },
#endif
};

/* ---- cases ---- */

static uint8_t fbuf[70000], rbuf[140000], pay[70000];

/* tx_one() - send one frame, retrying while the endpoint is full (bounded). */
static void tx_one(struct ct_pair *p, struct pktlink_pkt *pk)
{
	uint64_t end = plt_now_ns() + 5000000000ull;
	int r;
	while ((r = pktlink_tx_burst(p->ep, pk, 1)) == 0)
		PLT_CHECK(plt_now_ns() < end, "tx stays full");
	PLT_CHECK(r == 1, "tx_burst: %s (%s)", pktlink_strerror(r), pktlink_last_error(p->ep));
}

static int case_sizes_tx(struct ct_pair *p)
{
	const uint32_t sizes[] = { 60, 61, 64, 100, 1000, p->max_frame - 1, p->max_frame };
	struct pktlink_pkt got[64];
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		uint32_t len = ct_raw(fbuf, sizes[i], i);
		struct pktlink_pkt pk = { .data = fbuf, .len = len };
		tx_one(p, &pk);
		unsigned n = ct_peer_recv(p, rbuf, sizeof(rbuf), got, 64, 5000);
		PLT_CHECK(n == 1, "frame of %u bytes not received", len);
		PLT_CHECK(got[0].len == len && !memcmp(got[0].data, fbuf, len),
			  "frame of %u bytes arrived as %u bytes%s", len, got[0].len,
			  got[0].len == len ? " with other bytes" : "");
	}
	struct pktlink_stats s0, s1;
	pktlink_get_stats(p->ep, &s0);
	uint32_t len = ct_raw(fbuf, p->max_frame + 1, 99);
	struct pktlink_pkt pk = { .data = fbuf, .len = len };
	tx_one(p, &pk);
	unsigned out = ct_peer_recv(p, rbuf, sizeof(rbuf), got, 64, 300);
	pktlink_get_stats(p->ep, &s1);
	PLT_CHECK(s1.tx_drop_invalid == s0.tx_drop_invalid + 1 && out == 0,
		  "MTU+1 frame (%u bytes, untagged): tx_drop_invalid +%llu, tx_errors +%llu, %s", len,
		  (unsigned long long)(s1.tx_drop_invalid - s0.tx_drop_invalid),
		  (unsigned long long)(s1.tx_errors - s0.tx_errors),
		  out ? "and the peer received it" : "not received");
	return 0;
}

static int case_sizes_rx(struct ct_pair *p)
{
	const uint32_t sizes[] = { 60, 61, 64, 100, 1000, p->max_frame - 1, p->max_frame };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		uint32_t len = ct_raw(fbuf, sizes[i], i), got = 0;
		ct_peer_send(p, fbuf, len);
		PLT_CHECK(ct_ep_recv_one(p, rbuf, &got, 5000) == 1, "frame of %u bytes not received",
			  len);
		PLT_CHECK(got == len && !memcmp(rbuf, fbuf, len), "frame of %u bytes arrived as %u",
			  len, got);
	}
	return 0;
}

static const char *const l4_name[] = { "UDPv4", "TCPv4", "UDPv6", "TCPv6" };

/* send_check() - send @pk and check what arrives: verified checksums,
 * frames within the MTU, the payload @plen bytes as built. */
static int send_check(struct ct_pair *p, struct pktlink_pkt *pk, uint32_t hdrs, uint32_t plen,
		      const char *what)
{
	static uint8_t want[70000];
	memcpy(want, pk->data + hdrs, plen);
	tx_one(p, pk);
	uint32_t got = 0;
	struct pktlink_pkt fr[64];
	uint64_t end = plt_now_ns() + 5000000000ull;
	while (got < plen && plt_now_ns() < end) {
		unsigned n = ct_peer_recv(p, rbuf, sizeof(rbuf), fr, 64, 1000);
		for (unsigned i = 0; i < n; i++) {
			PLT_CHECK(fr[i].len <= p->max_frame, "%s: a frame of %u bytes left (MTU %u)",
				  what, fr[i].len, p->mtu);
			PLT_CHECK(ct_verify(fr[i].data, fr[i].len, pay, &got, sizeof(pay)) == 0,
				  "%s: frame %u of %u", what, i, n);
		}
	}
	PLT_CHECK(got == plen && !memcmp(pay, want, plen), "%s: %u of %u payload bytes arrived%s",
		  what, got, plen, got == plen ? " but differ" : "");
	return 0;
}

static int case_csum(struct ct_pair *p)
{
	for (int k = CT_UDP4; k <= CT_TCP6; k++) {
		struct pktlink_pkt pk;
		ct_ip(fbuf, (enum ct_l4)k, 300, &pk);
		char what[64];
		snprintf(what, sizeof(what), "CSUM_PARTIAL %s", l4_name[k]);
		send_check(p, &pk, pk.csum_start + (k == CT_TCP4 || k == CT_TCP6 ? 20 : 8), 300, what);
	}
	return 0;
}

static int case_gso(struct ct_pair *p)
{
	static const struct {
		enum ct_l4 l4;
		uint8_t gso;
	} t[] = { { CT_TCP4, PKTLINK_GSO_TCPV4 },
		  { CT_TCP6, PKTLINK_GSO_TCPV6 },
		  { CT_UDP4, PKTLINK_GSO_UDP_L4 } };
	for (unsigned i = 0; i < sizeof(t) / sizeof(*t); i++) {
		struct pktlink_pkt pk;
		uint32_t plen = 6000;
		ct_ip(fbuf, t[i].l4, plen, &pk);
		pk.gso_type = t[i].gso;
		pk.gso_size = 1000;
		char what[64];
		snprintf(what, sizeof(what), "GSO %s (6000 bytes, gso_size 1000)", l4_name[t[i].l4]);
		bool tcp = t[i].l4 == CT_TCP4 || t[i].l4 == CT_TCP6;
		send_check(p, &pk, pk.csum_start + (tcp ? 20 : 8), plen, what);
	}
	return 0;
}

static int case_stats(struct ct_pair *p)
{
	struct pktlink_stats s0, s1;
	pktlink_get_stats(p->ep, &s0);
	unsigned good = 0, bad = 0;
	struct pktlink_pkt got[64];
	for (unsigned i = 0; i < 24; i++) {
		bool big = i % 8 == 7;
		uint32_t len = ct_raw(fbuf, big ? p->max_frame + 1 + i : 60 + i * 10, i);
		struct pktlink_pkt pk = { .data = fbuf, .len = len };
		tx_one(p, &pk);
		if (big) {
			bad++;
			continue;
		}
		good++;
		PLT_CHECK(ct_peer_recv(p, rbuf, sizeof(rbuf), got, 64, 5000) == 1, "frame %u lost", i);
	}
	for (unsigned i = 0; i < 10; i++) {
		uint32_t len = ct_raw(fbuf, 80, 1000 + i), n = 0;
		ct_peer_send(p, fbuf, len);
		PLT_CHECK(ct_ep_recv_one(p, rbuf, &n, 5000) == 1, "rx frame %u not received", i);
	}
	pktlink_get_stats(p->ep, &s1);
	uint64_t sent = s1.tx_packets - s0.tx_packets, inv = s1.tx_drop_invalid - s0.tx_drop_invalid,
		 err = s1.tx_errors - s0.tx_errors;
	PLT_CHECK(sent == good && inv == bad && err == 0,
		  "offered %u good + %u oversized: tx_packets +%llu, tx_drop_invalid +%llu, "
		  "tx_errors +%llu",
		  good, bad, (unsigned long long)sent, (unsigned long long)inv,
		  (unsigned long long)err);
	uint64_t rx = s1.rx_packets - s0.rx_packets;
	PLT_CHECK(rx >= 10, "received 10 frames, rx_packets +%llu", (unsigned long long)rx);
	return 0;
}

static int case_release(struct ct_pair *p)
{
	for (unsigned round = 0; round < 6; round++) {
		const unsigned N = 16;
		for (unsigned i = 0; i < N; i++) {
			uint32_t len = ct_raw(fbuf, 60 + i, round * 100 + i);
			ct_peer_send(p, fbuf, len);
		}
		struct pktlink_pkt held[64];
		unsigned have = 0;
		uint64_t end = plt_now_ns() + 5000000000ull;
		while (have < N && plt_now_ns() < end) {
			struct pktlink_pkt tmp[64];
			int n = pktlink_rx_burst(p->ep, tmp, N - have);
			PLT_CHECK(n >= 0, "rx_burst: %s", pktlink_strerror(n));
			if (n == 0) {
				pktlink_wait(p->ep, 20);
				continue;
			}
			/* keep ours; kernel chatter is released at once */
			for (int i = 0; i < n; i++) {
				if (tmp[i].len >= 18 && !memcmp(tmp[i].data + 6, CT_SRC, 6))
					held[have++] = tmp[i];
				else
					pktlink_rx_release(p->ep, &tmp[i], 1);
			}
		}
		PLT_CHECK(have == N, "round %u: %u of %u frames", round, have, N);
		/* all views stay valid while held: check, then release in a
		 * different order each round */
		for (unsigned i = 0; i < N; i++) {
			uint32_t seed;
			memcpy(&seed, held[i].data + 14, 4);
			PLT_CHECK(seed / 100 == round && held[i].len == 60 + seed % 100,
				  "round %u: frame %u has seed %u, length %u", round, i, seed,
				  held[i].len);
		}
		for (unsigned k = 0; k < N; k++) {
			unsigned i = round % 3 == 0 ? N - 1 - k
				     : round % 3 == 1 ? (k * 7) % N
						      : (k % 2 ? N - 1 - k / 2 : k / 2);
			pktlink_rx_release(p->ep, &held[i], 1);
		}
	}
	return 0;
}

static atomic_int closed_calls, closed_reason;

static void on_closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	(void)ctx;
	(void)ep;
	atomic_fetch_add(&closed_calls, 1);
	atomic_store(&closed_reason, reason);
}

static int case_closed(struct ct_pair *p, const struct ct_fixture *fx)
{
	pktlink_set_closed_cb(p->ep, on_closed, NULL);
	fx->gone(p);
	uint64_t end = plt_now_ns() + 15000000000ull;
	int r = 0;
	struct pktlink_pkt in[8];
	while ((r = pktlink_rx_burst(p->ep, in, 8)) >= 0) {
		if (r > 0)
			pktlink_rx_release(p->ep, in, (unsigned)r);
		/* device removal may show up on TX first */
		uint32_t len = ct_raw(fbuf, 60, 0);
		struct pktlink_pkt pk = { .data = fbuf, .len = len };
		int t = pktlink_tx_burst(p->ep, &pk, 1);
		if (t < 0) {
			r = t;
			break;
		}
		PLT_CHECK(plt_now_ns() < end, "the endpoint never noticed its peer went away");
		pktlink_wait(p->ep, 50);
	}
	PLT_CHECK(atomic_load(&closed_calls) == 1, "closed callback ran %d times",
		  atomic_load(&closed_calls));
	PLT_CHECK(atomic_load(&closed_reason) == r && r < 0, "callback reason %d, burst returned %d",
		  atomic_load(&closed_reason), r);
	PLT_CHECK(pktlink_rx_burst(p->ep, in, 8) == r, "rx_burst after close changed its answer");
	uint32_t len = ct_raw(fbuf, 60, 0);
	struct pktlink_pkt pk = { .data = fbuf, .len = len };
	PLT_CHECK(pktlink_tx_burst(p->ep, &pk, 1) < 0, "tx_burst after close succeeded");
	PLT_CHECK(atomic_load(&closed_calls) == 1, "closed callback ran again");
	return 0;
}

static atomic_uint push_got, push_bad;

static void on_deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	(void)ctx;
	(void)ep;
	for (unsigned i = 0; i < n; i++) {
		if (pkts[i].len < 18 || memcmp(pkts[i].data + 6, CT_SRC, 6))
			continue;
		uint32_t seed;
		memcpy(&seed, pkts[i].data + 14, 4);
		if (pkts[i].len != 60 + seed % 64)
			atomic_fetch_add(&push_bad, 1);
		atomic_fetch_add(&push_got, 1);
	}
}

static int case_push(struct ct_pair *p)
{
	PLT_OK(pktlink_attach(p->ep, on_deliver, NULL));
	const unsigned N = 200;
	for (unsigned i = 0; i < N; i++) {
		uint32_t len = ct_raw(fbuf, 60 + i % 64, i);
		ct_peer_send(p, fbuf, len);
		if (i % 32 == 31)
			usleep(2000); /* a socket peer has a bounded queue */
	}
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (atomic_load(&push_got) < N && plt_now_ns() < end)
		usleep(5000);
	pktlink_attach(p->ep, NULL, NULL);
	pktlink_join(p->ep);
	PLT_CHECK(atomic_load(&push_got) == N && atomic_load(&push_bad) == 0,
		  "push: %u of %u delivered, %u wrong", atomic_load(&push_got), N,
		  atomic_load(&push_bad));
	return 0;
}

/* ---- the table ---- */

enum ct_case_id { C_SIZES_TX, C_SIZES_RX, C_CSUM, C_GSO, C_STATS, C_RELEASE, C_CLOSED, C_PUSH,
		  C_N };
static const char *const case_names[C_N] = { "sizes_tx", "sizes_rx", "csum",	"gso",
					     "stats",	 "release",  "closed", "push" };

static int run(unsigned fxi, unsigned ci)
{
	const struct ct_fixture *fx = &fixtures[fxi];
	struct ct_pair p;
	memset(&p, 0, sizeof(p));
	p.peer_fd = -1;
	int r = fx->open(&p);
	if (r)
		return r;
	switch (ci) {
	case C_SIZES_TX: r = case_sizes_tx(&p); break;
	case C_SIZES_RX: r = case_sizes_rx(&p); break;
	case C_CSUM: r = case_csum(&p); break;
	case C_GSO: r = case_gso(&p); break;
	case C_STATS: r = case_stats(&p); break;
	case C_RELEASE: r = case_release(&p); break;
	case C_CLOSED: r = case_closed(&p, fx); break;
	case C_PUSH: r = case_push(&p); break;
	}
	pktlink_close(p.ep);
	pktlink_close(p.peer_ep);
	if (p.peer_fd >= 0)
		close(p.peer_fd);
	return r;
}

/* One harness case per (fixture, case): the harness takes plain functions,
 * so each pair gets a thunk. */
#define NFX (sizeof(fixtures) / sizeof(*fixtures))
#define THUNK(f, c)                      \
	static int t_##f##_##c(void)     \
	{                                \
		return run(f, c);        \
	}
#define THUNKS(f)                                                                              \
	THUNK(f, 0) THUNK(f, 1) THUNK(f, 2) THUNK(f, 3) THUNK(f, 4) THUNK(f, 5) THUNK(f, 6)    \
		THUNK(f, 7) static int (*const row_##f[C_N])(void) = { t_##f##_0, t_##f##_1,   \
								       t_##f##_2, t_##f##_3,   \
								       t_##f##_4, t_##f##_5,   \
								       t_##f##_6, t_##f##_7 };
THUNKS(0)
THUNKS(1)
THUNKS(2)
THUNKS(3)
THUNKS(4)
THUNKS(5)
THUNKS(6)
THUNKS(7)
THUNKS(8)
THUNKS(9)
#ifdef PKTLINK_HAVE_MEMIF
THUNKS(10)
#endif
static int (*const *const rows[])(void) = { row_0, row_1, row_2, row_3, row_4, row_5,
					      row_6, row_7, row_8, row_9,
#ifdef PKTLINK_HAVE_MEMIF
					      row_10,
#endif
};
_Static_assert(sizeof(rows) / sizeof(*rows) == NFX, "one thunk row per fixture");
_Static_assert(C_N == 8, "one thunk per case");

int main(int argc, char **argv)
{
	static struct plt_case cases[NFX * C_N];
	static char names[NFX * C_N][48];
	for (unsigned f = 0; f < NFX; f++)
		for (unsigned c = 0; c < C_N; c++) {
			unsigned i = f * C_N + c;
			snprintf(names[i], sizeof(names[i]), "%s/%s", fixtures[f].name, case_names[c]);
			cases[i] = (struct plt_case){ names[i], rows[f][c], PLT_NETNS, 60 };
		}
	return plt_main(argc, argv, cases, NFX * C_N);
}
