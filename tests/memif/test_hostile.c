/* SPDX-License-Identifier: MIT */
/*
 * test_hostile: a memif peer that breaks the protocol. The hostile side
 * does a correct handshake with the library's own handshake code, then
 * writes garbage into the shared rings (or sends garbage messages); the
 * pktlink endpoint must drop or disconnect with a reason (sent to the peer
 * as DISCONNECT), never crash, hang or read outside the regions (run
 * under ASan in the sanitizer build).
 */
#include "memif_testlib.h"

#include "memif/memif_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>


/* The pktlink side, opened in a thread while the hostile side runs here. */
struct opener {
	pthread_t t;
	struct pktlink_memif_opts o;
	struct pktlink_ep *ep;
	int r;
	char err[256];
};

static void *open_thread(void *arg)
{
	struct opener *s = arg;
	s->r = pktlink_memif_open(&s->o, &s->ep, s->err, sizeof(s->err));
	return NULL;
}

static void opener_start(struct opener *s, enum pktlink_memif_role role, int timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->o = (struct pktlink_memif_opts){ .sz = sizeof(s->o), .role = role, .socket = g_sock,
					    .timeout_ms = timeout_ms };
	PLT_CHECK(pthread_create(&s->t, NULL, open_thread, s) == 0, "thread");
}

static int g_closed;
static void on_closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	g_closed = reason;
}

static struct pktlink_ep *opener_join(struct opener *s)
{
	pthread_join(s->t, NULL);
	PLT_CHECK(s->r == 0, "pktlink side: %s", s->err);
	g_closed = 0;
	pktlink_set_closed_cb(s->ep, on_closed, NULL);
	return s->ep;
}

/* The hostile client: a correct handshake, memory of its own to scribble on. */
static void hostile_client(struct pl_memif_conn *c)
{
	struct pktlink_memif_opts o = { .sz = sizeof(o), .socket = g_sock, .timeout_ms = 10000,
					.num_queues = 1, .ring_size = 16, .buffer_size = 2048,
					.name = "hostile" };
	char err[256];
	pl_memif_conn_init(c);
	PLT_CHECK(pl_memif_client_connect(&o, c, err, sizeof(err)) == 0, "hostile connect: %s", err);
}

/* A pktlink server (opened in a thread for the handshake) and the hostile
 * client connected to it. */
static struct pktlink_ep *server_with_hostile_client(struct pl_memif_conn *c)
{
	struct opener s;
	opener_start(&s, PKTLINK_MEMIF_SERVER, 10000);
	hostile_client(c);
	return opener_join(&s);
}

static uint8_t *ring_of(struct pl_memif_conn *c, int dir)
{
	return c->regions[0].base + c->rings[dir][0].offset;
}

/* The pktlink side reports a violation: -EPROTO, the closed callback, the
 * reason in its error, and a DISCONNECT with the reason to the peer. */
static void expect_violation(struct pktlink_ep *ep, struct pl_memif_conn *c, int got,
			     const char *why)
{
	PLT_CHECK(got == -EPROTO, "got %d (%s), want -EPROTO", got, pktlink_last_error(ep));
	PLT_CHECK(g_closed == -EPROTO, "closed callback %d", g_closed);
	PLT_CHECK(strstr(pktlink_last_error(ep), why), "error '%s' lacks '%s'",
		  pktlink_last_error(ep), why);
	uint8_t buf[MEMIF_MSG_SZ];
	int fd;
	int n = pl_memif_msg_recv(c->sock, buf, sizeof(buf), &fd, 5000);
	struct pl_memif_msg m;
	const char *w;
	PLT_CHECK(n == MEMIF_MSG_SZ && pl_memif_msg_parse(buf, (size_t)n, false, &m, &w) == 0 &&
			  m.type == MEMIF_MSG_DISCONNECT && strstr(m.disconnect.string, why),
		  "peer got no DISCONNECT '%s'", why);
}

static int rx_until(struct pktlink_ep *ep)
{
	struct pktlink_pkt p[8];
	int r = 0;
	for (int i = 0; i < 100; i++) {
		r = pktlink_rx_burst(ep, p, 8);
		if (r < 0)
			return r;
		if (r > 0)
			pktlink_rx_release(ep, p, (unsigned)r);
	}
	return r;
}

static void publish(uint8_t *ring, unsigned off, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)(ring + off), v, __ATOMIC_RELEASE);
}

static struct memif_desc *desc(uint8_t *ring, unsigned i)
{
	return (struct memif_desc *)(void *)(ring + MEMIF_RING_DESC + 16u * i);
}

/* A client descriptor that points outside its region, then an unknown
 * region, then a head more than a ring ahead: each one disconnects. */
static void bad_c2s(int how)
{
	mk_sock();
	struct pl_memif_conn c;
	struct pktlink_ep *ep = server_with_hostile_client(&c);
	uint8_t *ring = ring_of(&c, 0);
	struct memif_desc *d = desc(ring, 0);
	const char *why;
	uint16_t head = 1;
	if (how == 0) {
		d->offset = (uint32_t)c.regions[0].size - 10;
		d->length = 100;
		why = "outside its region";
	} else if (how == 1) {
		d->region = 7;
		d->length = 60;
		why = "unknown region";
	} else {
		head = 40;
		why = "more than a ring ahead";
	}
	publish(ring, MEMIF_RING_HEAD, head);
	expect_violation(ep, &c, rx_until(ep), why);
	uint8_t f[64] = { 0 };
	struct pktlink_pkt t = { .data = f, .len = 60 };
	PLT_CHECK(pktlink_tx_burst(ep, &t, 1) == -EPROTO, "tx after violation");
	pktlink_close(ep);
	pl_memif_conn_free(&c);
	rm_sock();
}

/* The server's receive stores back into the C2S descriptors it reads
 * (memif_desc_touch(), src/memif/memif_int.h): only what it read, so the
 * client's descriptors are byte for byte what it wrote, while the frames
 * are held and after they are released; only tail moves. */
static int c2s_receive_changes_nothing(void)
{
	mk_sock();
	struct pl_memif_conn c;
	struct pktlink_ep *ep = server_with_hostile_client(&c);
	uint8_t *ring = ring_of(&c, 0);
	const unsigned n = 16; /* the whole ring (ring_size 16) */
	uint32_t off = (uint32_t)c.regions[0].size - 2048;
	for (unsigned i = 0; i < n; i++) {
		struct memif_desc *d = desc(ring, i);
		d->flags = 0;
		d->region = 0;
		d->length = 60 + i;
		d->offset = off;
		d->metadata = 0x5a5a0000u | i; /* the server never writes it either */
	}
	uint8_t before[16 * 16];
	memcpy(before, ring + MEMIF_RING_DESC, sizeof(before));
	publish(ring, MEMIF_RING_HEAD, (uint16_t)n);
	struct pktlink_pkt p[16];
	unsigned got = 0;
	uint64_t end = plt_now_ns() + 5000000000ull;
	while (got < n && plt_now_ns() < end) {
		int r = pktlink_rx_burst(ep, p + got, n - got);
		PLT_CHECK(r >= 0, "rx: %d %s", r, pktlink_last_error(ep));
		got += (unsigned)r;
	}
	PLT_CHECK(got == n, "received %u of %u", got, n);
	for (unsigned i = 0; i < n; i++)
		PLT_CHECK(p[i].len == 60 + i, "frame %u: length %u", i, p[i].len);
	PLT_CHECK(!memcmp(before, ring + MEMIF_RING_DESC, sizeof(before)),
		  "descriptors changed while held");
	pktlink_rx_release(ep, p, n);
	PLT_CHECK(!memcmp(before, ring + MEMIF_RING_DESC, sizeof(before)),
		  "descriptors changed by the release");
	uint16_t tail = __atomic_load_n((uint16_t *)(void *)(ring + MEMIF_RING_TAIL), __ATOMIC_ACQUIRE);
	PLT_CHECK(tail == n, "tail %u, want %u", tail, n);
	pktlink_close(ep);
	pl_memif_conn_free(&c);
	rm_sock();
	return 0;
}

static int c2s_offset_outside(void)
{
	bad_c2s(0);
	return 0;
}

static int c2s_unknown_region(void)
{
	bad_c2s(1);
	return 0;
}

static int c2s_head_jump(void)
{
	bad_c2s(2);
	return 0;
}

/* A frame longer than the MTU is dropped and counted; an unfinished chain
 * stalls only the peer's own traffic; a chain as long as the ring is a
 * violation. */
static int endless_chain_and_giant(void)
{
	mk_sock();
	struct pl_memif_conn c;
	struct pktlink_ep *ep = server_with_hostile_client(&c);
	uint8_t *ring = ring_of(&c, 0);
	/* 8 buffers of 2048 bytes in one frame: 16 KiB > 1514. */
	for (unsigned i = 0; i < 8; i++) {
		desc(ring, i)->length = 2048;
		desc(ring, i)->flags = i < 7 ? MEMIF_DESC_FLAG_NEXT : 0;
	}
	publish(ring, MEMIF_RING_HEAD, 8);
	PLT_CHECK(rx_until(ep) == 0, "giant frame: %s", pktlink_last_error(ep));
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	PLT_CHECK(st.rx_drop_invalid == 1 && st.rx_packets == 0, "invalid %llu",
		  (unsigned long long)st.rx_drop_invalid);
	/* Now every descriptor says NEXT: the frame never ends. */
	for (unsigned i = 0; i < 16; i++) {
		desc(ring, i)->length = 64;
		desc(ring, i)->flags = MEMIF_DESC_FLAG_NEXT;
	}
	uint16_t tail = __atomic_load_n((uint16_t *)(void *)(ring + MEMIF_RING_TAIL), __ATOMIC_ACQUIRE);
	PLT_CHECK(tail == 8, "tail %u after the dropped frame", tail);
	publish(ring, MEMIF_RING_HEAD, 18); /* 10 slots published: the chain may go on */
	PLT_CHECK(rx_until(ep) == 0, "unfinished chain: %s", pktlink_last_error(ep));
	PLT_CHECK(g_closed == 0, "closed");
	/* A whole ring of NEXT can never end: that is a violation. */
	publish(ring, MEMIF_RING_HEAD, 24);
	expect_violation(ep, &c, rx_until(ep), "chain longer than the ring");
	pktlink_close(ep);
	pl_memif_conn_free(&c);
	rm_sock();
	return 0;
}

/* The server transmits into buffers the client posted: a posted buffer
 * outside the region disconnects. */
static int s2c_post_outside(void)
{
	mk_sock();
	struct pl_memif_conn c;
	struct pktlink_ep *ep = server_with_hostile_client(&c);
	uint8_t *ring = ring_of(&c, 1);
	desc(ring, 0)->offset = 0xfffffff0u;
	desc(ring, 0)->length = 2048;
	publish(ring, MEMIF_RING_HEAD, 1);
	uint8_t f[64] = { 0 };
	struct pktlink_pkt t = { .data = f, .len = 60 };
	expect_violation(ep, &c, pktlink_tx_burst(ep, &t, 1), "outside its region");
	pktlink_close(ep);
	pl_memif_conn_free(&c);
	rm_sock();
	return 0;
}

/* Lent S2C buffers (pktlink_tx_alloc()) against a client that rewrites
 * their descriptors (the server never reads them back: the frame goes out
 * into the buffer it lent) and then moves head back over lent slots
 * (disconnects); buffers still lent are given back and closed safely. */
static int s2c_lent_rewritten(void)
{
	mk_sock();
	struct pl_memif_conn c;
	struct pktlink_ep *ep = server_with_hostile_client(&c);
	uint8_t *ring = ring_of(&c, 1);
	publish(ring, MEMIF_RING_HEAD, 4);
	struct pktlink_pkt p[8];
	PLT_CHECK(pktlink_tx_alloc(ep, p, 8) == 4, "4 posted buffers lent");
	uint32_t off0 = desc(ring, 0)->offset;
	desc(ring, 0)->offset = 0xfffffff0u;
	memset(p[0].data, 0xab, 60);
	p[0].len = 60;
	PLT_CHECK(pktlink_tx_burst(ep, &p[0], 1) == 1, "lent frame: %s", pktlink_last_error(ep));
	PLT_CHECK(__atomic_load_n((uint16_t *)(void *)(ring + MEMIF_RING_TAIL), __ATOMIC_ACQUIRE) == 1 &&
			  desc(ring, 0)->length == 60 && c.regions[0].base[off0] == 0xab,
		  "the frame went into the buffer that was lent");
	publish(ring, MEMIF_RING_HEAD, 2); /* slots 2 and 3 are lent */
	p[1].len = 60;
	expect_violation(ep, &c, pktlink_tx_burst(ep, &p[1], 1), "backwards");
	pktlink_tx_free(ep, &p[2], 1);
	pktlink_close(ep); /* p[1] and p[3] still lent */
	pl_memif_conn_free(&c);
	rm_sock();
	return 0;
}

/* Control-channel garbage after the connection: a short message, then an
 * unexpected message type. */
static int control_garbage(void)
{
	for (int how = 0; how < 2; how++) {
		mk_sock();
		struct pl_memif_conn c;
		struct pktlink_ep *ep = server_with_hostile_client(&c);
		const char *why;
		if (how == 0) {
			PLT_CHECK(send(c.sock, "garbage", 7, 0) == 7, "send");
			why = "not 128 bytes";
		} else {
			struct memif_msg m;
			memset(&m, 0, sizeof(m));
			m.type = MEMIF_MSG_HELLO;
			PLT_CHECK(pl_memif_msg_send(c.sock, &m, -1) == 0, "send");
			why = "version";
		}
		int r = 0;
		uint64_t end = plt_now_ns() + 5000000000ull;
		while (r >= 0 && plt_now_ns() < end) {
			pktlink_wait(ep, 20);
			r = rx_until(ep);
		}
		expect_violation(ep, &c, r, why);
		pktlink_close(ep);
		pl_memif_conn_free(&c);
		rm_sock();
	}
	return 0;
}

/* The hostile server: the library's real handshake, then garbage in the
 * client's rings. */
struct hserver {
	pthread_t t;
	struct pl_memif_conn c;
	int r;
	char err[256];
};

static void *hserver_thread(void *arg)
{
	struct hserver *h = arg;
	struct pktlink_memif_opts o = { .sz = sizeof(o), .role = PKTLINK_MEMIF_SERVER,
					.socket = g_sock, .timeout_ms = 10000, .num_queues = 1,
					.name = "hostile" };
	pl_memif_conn_init(&h->c);
	h->r = pl_memif_server_accept(&o, &h->c, h->err, sizeof(h->err));
	return NULL;
}

static void bad_s2c(int how)
{
	mk_sock();
	struct hserver h;
	PLT_CHECK(pthread_create(&h.t, NULL, hserver_thread, &h) == 0, "thread");
	struct pktlink_memif_opts o = { .sz = sizeof(o), .socket = g_sock, .timeout_ms = 10000,
					.ring_size = 16 };
	struct pktlink_ep *ep;
	char err[256];
	PLT_CHECK(pktlink_memif_open(&o, &ep, err, sizeof(err)) == 0, "client: %s", err);
	pthread_join(h.t, NULL);
	PLT_CHECK(h.r == 0, "hostile server: %s", h.err);
	g_closed = 0;
	pktlink_set_closed_cb(ep, on_closed, NULL);
	uint8_t *s2c = ring_of(&h.c, 1), *c2s = ring_of(&h.c, 0);
	const char *why;
	int r;
	if (how == 0) { /* a frame longer than the client's buffer */
		desc(s2c, 0)->length = 5000;
		publish(s2c, MEMIF_RING_TAIL, 1);
		why = "exceeds the buffer size";
		r = rx_until(ep);
	} else if (how == 1) { /* tail past what the client posted */
		publish(s2c, MEMIF_RING_TAIL, 17);
		why = "past the posted buffers";
		r = rx_until(ep);
	} else { /* C2S tail moving backwards */
		uint8_t f[64] = { 0 };
		struct pktlink_pkt t = { .data = f, .len = 60 };
		PLT_CHECK(pktlink_tx_burst(ep, &t, 1) == 1, "tx");
		publish(c2s, MEMIF_RING_TAIL, (uint16_t)-5);
		why = "outside the published range";
		/* The client reads the tail when its last reading leaves no
		 * room: within a ring's worth of frames (16). */
		for (int k = 0; k < 20; k++)
			if ((r = pktlink_tx_burst(ep, &t, 1)) < 0)
				break;
	}
	expect_violation(ep, &h.c, r, why);
	pktlink_close(ep);
	pl_memif_conn_free(&h.c);
	rm_sock();
}

static int s2c_length_too_big(void)
{
	bad_s2c(0);
	return 0;
}

static int s2c_tail_past_posted(void)
{
	bad_s2c(1);
	return 0;
}

static int c2s_tail_backwards(void)
{
	bad_s2c(2);
	return 0;
}

/* Handshake-level attacks on a pktlink server: an unsealed region, a
 * region smaller than announced, a ring outside its region. Each client is
 * refused with a reason; the server keeps waiting (then times out). */
static int bad_regions(void)
{
	mk_sock();
	struct opener s;
	opener_start(&s, PKTLINK_MEMIF_SERVER, 4000);
	static const char *const want[] = { "Invalid region", "Invalid region", "Invalid ring" };
	for (int how = 0; how < 3; how++) {
		struct pktlink_memif_opts o = { .sz = sizeof(o), .socket = g_sock, .timeout_ms = 3000 };
		int sock = -1;
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", g_sock);
		uint64_t end = plt_now_ns() + 3000000000ull;
		for (;;) {
			sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
			if (connect(sock, (struct sockaddr *)&a, sizeof(a)) == 0)
				break;
			close(sock);
			PLT_CHECK(plt_now_ns() < end, "connect");
			usleep(2000);
		}
		(void)o;
		uint8_t buf[MEMIF_MSG_SZ];
		int fd;
		PLT_CHECK(pl_memif_msg_recv(sock, buf, sizeof(buf), &fd, 3000) == MEMIF_MSG_SZ, "hello");
		struct memif_msg m;
		memset(&m, 0, sizeof(m));
		m.type = MEMIF_MSG_INIT;
		m.init.version = MEMIF_VERSION;
		PLT_OK(pl_memif_msg_send(sock, &m, -1));
		PLT_CHECK(pl_memif_msg_recv(sock, buf, sizeof(buf), &fd, 3000) == MEMIF_MSG_SZ, "ack");
		int mfd = memfd_create("hostile", MFD_ALLOW_SEALING);
		PLT_CHECK(ftruncate(mfd, 65536) == 0, "ftruncate");
		if (how != 0)
			PLT_CHECK(fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "seal");
		memset(&m, 0, sizeof(m));
		m.type = MEMIF_MSG_ADD_REGION;
		m.add_region.size = how == 1 ? 1 << 20 : 65536;
		PLT_OK(pl_memif_msg_send(sock, &m, mfd));
		PLT_CHECK(pl_memif_msg_recv(sock, buf, sizeof(buf), &fd, 3000) == MEMIF_MSG_SZ, "ack");
		int efd = eventfd(0, 0);
		for (int d = 0; d < 2; d++) {
			memset(&m, 0, sizeof(m));
			m.type = MEMIF_MSG_ADD_RING;
			m.add_ring.flags = d == 0 ? MEMIF_RING_FLAG_C2S : 0;
			m.add_ring.log2_ring_size = 4;
			m.add_ring.offset = how == 2 ? 65536 - 64 : (uint32_t)d * 512;
			PLT_OK(pl_memif_msg_send(sock, &m, efd));
			PLT_CHECK(pl_memif_msg_recv(sock, buf, sizeof(buf), &fd, 3000) == MEMIF_MSG_SZ,
				  "ack");
		}
		if (how != 2) { /* valid ring cookies, so only the region is wrong */
			uint8_t *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
			*(uint32_t *)(void *)p = MEMIF_COOKIE;
			*(uint32_t *)(void *)(p + 512) = MEMIF_COOKIE;
			munmap(p, 65536);
		}
		memset(&m, 0, sizeof(m));
		m.type = MEMIF_MSG_CONNECT;
		PLT_OK(pl_memif_msg_send(sock, &m, -1));
		int n = pl_memif_msg_recv(sock, buf, sizeof(buf), &fd, 3000);
		struct pl_memif_msg pm;
		const char *w;
		PLT_CHECK(n == MEMIF_MSG_SZ && pl_memif_msg_parse(buf, (size_t)n, false, &pm, &w) == 0 &&
				  pm.type == MEMIF_MSG_DISCONNECT && strstr(pm.disconnect.string, want[how]),
			  "case %d: no DISCONNECT '%s'", how, want[how]);
		close(sock);
		close(mfd);
		close(efd);
	}
	pthread_join(s.t, NULL);
	PLT_CHECK(s.r == -ETIMEDOUT && strstr(s.err, "no other client"), "server: %d %s", s.r,
		  s.err);
	rm_sock();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "c2s_receive_changes_nothing", c2s_receive_changes_nothing, PLT_UNIT, 30 },
		{ "c2s_offset_outside", c2s_offset_outside, PLT_UNIT, 30 },
		{ "c2s_unknown_region", c2s_unknown_region, PLT_UNIT, 30 },
		{ "c2s_head_jump", c2s_head_jump, PLT_UNIT, 30 },
		{ "endless_chain_and_giant", endless_chain_and_giant, PLT_UNIT, 30 },
		{ "s2c_post_outside", s2c_post_outside, PLT_UNIT, 30 },
		{ "control_garbage", control_garbage, PLT_UNIT, 30 },
		{ "s2c_length_too_big", s2c_length_too_big, PLT_UNIT, 30 },
		{ "s2c_tail_past_posted", s2c_tail_past_posted, PLT_UNIT, 30 },
		{ "c2s_tail_backwards", c2s_tail_backwards, PLT_UNIT, 30 },
		{ "bad_regions", bad_regions, PLT_UNIT, 30 },
		{ "s2c_lent_rewritten", s2c_lent_rewritten, PLT_UNIT, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
