/* SPDX-License-Identifier: MIT */
/*
 * test_packet_ring: the AF_PACKET building blocks on a veth pair — the
 * TPACKET_V3 RX ring (content, order, block recycling, block timeout, kernel
 * drops), the TPACKET_V2 TX ring (byte-exact delivery, full ring, refused
 * frames), PACKET_IGNORE_OUTGOING, virtio-net headers, and failure injection
 * at every setup step.
 */
#include "harness.h"

#include "core/fault.h"
#include "fd/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* The harness ends cases with _exit(), which skips LeakSanitizer's exit
 * check: run it here (ASan builds only). */
static void leak_check(void)
{
	PLT_CHECK(__lsan_do_recoverable_leak_check() == 0, "memory leaked");
}
#else
static void leak_check(void)
{
}
#endif

#define A "plra"
#define B "plrb"
#define SPORT 40000
#define DPORT 5555

static uint8_t mac_a[6], mac_b[6];

static void setup_veth(void)
{
	plt_veth(A, B, 1500, NULL, NULL);
	plt_mac(A, mac_a);
	plt_mac(B, mac_b);
}

/* A packet socket on ifname that sends only (protocol 0: receives nothing). */
static int raw_tx(const char *ifname)
{
	int fd = -1;
	struct pl_packet_sock_cfg c = { .rx = false };
	char err[256];
	int r = pl_packet_socket_open(plt_ifindex(ifname), &c, &fd, err, sizeof(err));
	PLT_CHECK(r == 0, "raw socket on %s: %s", ifname, err);
	return fd;
}

/* A receiving packet socket without a ring. */
static int raw_rx(const char *ifname)
{
	int fd = -1;
	struct pl_packet_sock_cfg c = { .rx = true, .ignore_outgoing = true };
	char err[256];
	int r = pl_packet_socket_open(plt_ifindex(ifname), &c, &fd, err, sizeof(err));
	PLT_CHECK(r == 0, "raw socket on %s: %s", ifname, err);
	return fd;
}

/* Frame number seq: UDP B -> A with seq in the first payload bytes; length
 * varies with seq so truncation or mix-ups show. */
static uint32_t make_frame(uint8_t *buf, uint32_t seq, const uint8_t *dst, const uint8_t *src)
{
	uint8_t payload[1400];
	uint32_t plen = 18 + (seq * 37) % 1000;
	for (uint32_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)(seq * 13 + i);
	memcpy(payload, &seq, 4);
	return plt_build_udp(buf, dst, src, PLT_IP(198, 18, 0, 2), PLT_IP(198, 18, 0, 1), SPORT,
			     DPORT, payload, plen);
}

static bool is_ours(const uint8_t *f, uint32_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == 17 &&
	       ((f[36] << 8) | f[37]) == DPORT;
}

static void send_frame(int fd, const uint8_t *f, uint32_t len)
{
	/* Bounded retry on a full socket buffer. */
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; plt_now_ns() < wait_end;) {
		if (send(fd, f, len, 0) == (ssize_t)len)
			return;
		PLT_CHECK(errno == EAGAIN || errno == ENOBUFS, "send: %s", strerror(errno));
		usleep(1000);
	}
	PLT_CHECK(0, "send: gave up");
}

static struct pl_packet_rx_ring *open_ring(const char *ifname, uint32_t bs, uint32_t nb,
					  uint32_t tmo, bool vnet, int *fd_out)
{
	struct pl_packet_sock_cfg sc = { .rx = true, .ignore_outgoing = true, .vnet_hdr = vnet };
	struct pl_packet_ring_cfg rc = { .block_size = bs, .block_count = nb,
					 .block_timeout_ms = tmo, .vnet_hdr = vnet };
	struct pl_packet_rx_ring *r = NULL;
	char err[256];
	int fd = -1;
	PLT_CHECK(pl_packet_socket_open(plt_ifindex(ifname), &sc, &fd, err, sizeof(err)) == 0,
		  "%s", err);
	PLT_CHECK(pl_packet_rx_ring_create(fd, &rc, &r, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pl_packet_rx_ring_fd(r) == fd, "ring fd");
	*fd_out = fd;
	return r;
}

/* Sequence number of one of our frames (is_ours() checked). */
static uint32_t seq_of(const struct pktlink_pkt *p)
{
	uint32_t seq = UINT32_MAX;
	if (p->len >= 46)
		memcpy(&seq, p->data + 42, 4);
	return seq;
}

/*
 * Receive our frames numbered min_seq or later (others are released at
 * once) until want arrived or the deadline passes; keeps the views (caller
 * releases). Returns the count.
 */
static unsigned collect_from(struct pl_packet_rx_ring *r, int fd, struct pktlink_pkt *out,
			     unsigned want, struct pl_rx_counters *c, int max_ms, uint32_t min_seq)
{
	unsigned got = 0;
	uint64_t end = plt_now_ns() + (uint64_t)max_ms * 1000000;
	while (got < want && plt_now_ns() < end) {
		struct pktlink_pkt p[64];
		int n = pl_packet_rx_ring_burst(r, p, 64, 3, NULL, c);
		PLT_CHECK(n >= 0, "burst: %d", n);
		if (n == 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			(void)poll(&pfd, 1, 20);
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (is_ours(p[i].data, p[i].len) && seq_of(&p[i]) >= min_seq && got < want)
				out[got++] = p[i];
			else
				pl_packet_rx_ring_release(r, &p[i], 1);
		}
	}
	return got;
}

static unsigned collect(struct pl_packet_rx_ring *r, int fd, struct pktlink_pkt *out,
			unsigned want, struct pl_rx_counters *c, int max_ms)
{
	return collect_from(r, fd, out, want, c, max_ms, 0);
}

static void check_frame(const struct pktlink_pkt *p, uint32_t seq)
{
	uint8_t exp[1600];
	uint32_t len = make_frame(exp, seq, mac_a, mac_b);
	PLT_CHECK(p->len == len, "frame %u: length %u, expected %u", seq, p->len, len);
	PLT_CHECK(memcmp(p->data, exp, len) == 0, "frame %u: content differs", seq);
	PLT_CHECK(p->queue == 3, "queue %u", p->queue);
}

/*
 * More frames than the ring holds, in rounds, releasing in between.
 *
 * Each round holds a view of every frame until all PER arrived, and a held
 * view pins its whole block. The 1 ms retire timer may close a block after
 * any frame (a sender slowed by a loaded machine spreads the round over
 * several ticks), so a round can take up to PER blocks: with fewer, the
 * kernel freezes on a block the test holds and drops the rest of the round
 * (seen as "4 of 10 frames": four blocks of one frame each, tp_drops 6).
 * PER blocks suffice (the round starts on an empty block with all others
 * free); two more for slack. ROUNDS makes at least three laps even when a
 * round fits in one block.
 */
static int rx_ring_content_order_recycle(void)
{
	setup_veth();
	int rfd, tx = raw_tx(B);
	enum { PER = 10, NBLOCKS = PER + 2, ROUNDS = 3 * NBLOCKS };
	/* Blocks of one page: a round (about 6 KiB) spans one to PER of them. */
	struct pl_packet_rx_ring *r = open_ring(A, 4096, NBLOCKS, 1, false, &rfd);
	struct pl_rx_counters c;
	memset(&c, 0, sizeof(c));
	uint32_t seq = 0;
	for (int round = 0; round < ROUNDS; round++) {
		uint8_t f[1600];
		for (int i = 0; i < PER; i++) {
			uint32_t len = make_frame(f, seq + (uint32_t)i, mac_a, mac_b);
			send_frame(tx, f, len);
		}
		struct pktlink_pkt got[PER];
		unsigned n = collect(r, rfd, got, PER, &c, PLT_WAIT_MS);
		PLT_CHECK(n == PER, "round %d: %u of %d frames", round, n, PER);
		for (int i = 0; i < PER; i++)
			check_frame(&got[i], seq + (uint32_t)i);
		/* Release in reverse: blocks go back only when all views are in. */
		for (int i = PER - 1; i >= 0; i--)
			pl_packet_rx_ring_release(r, &got[i], 1);
		seq += PER;
	}
	PLT_CHECK(c.drop_invalid == 0, "drop_invalid %llu", (unsigned long long)c.drop_invalid);
	/* Double or foreign releases are ignored. */
	struct pktlink_pkt bogus = { .priv = 9999 };
	pl_packet_rx_ring_release(r, &bogus, 1);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/*
 * Views held for random lengths of time and released in random order, many
 * laps round a small ring: frames come out in order, never twice, and every
 * frame sent is either received or counted as a kernel drop.
 */
static int rx_ring_random_hold_release(void)
{
	setup_veth();
	int rfd, tx = raw_tx(B);
	struct pl_packet_rx_ring *r = open_ring(A, 4096, 6, 1, false, &rfd);
	struct pl_rx_counters c;
	memset(&c, 0, sizeof(c));
	enum { N = 3000, HOLD = 48 };
	static struct pktlink_pkt held[HOLD];
	unsigned nheld = 0, received = 0;
	int64_t last = -1;
	uint32_t sent = 0;
	uint8_t f[1600];
	uint64_t end = plt_now_ns() + 20000000000ull;
	while ((sent < N || nheld) && plt_now_ns() < end) {
		for (int i = 0; i < 8 && sent < N; i++, sent++) {
			uint32_t len = make_frame(f, sent, mac_a, mac_b);
			send_frame(tx, f, len);
		}
		struct pktlink_pkt p[16];
		int n = pl_packet_rx_ring_burst(r, p, 1 + (unsigned)(plt_rand() % 16), 3, NULL, &c);
		PLT_CHECK(n >= 0, "burst %d", n);
		for (int i = 0; i < n; i++) {
			if (!is_ours(p[i].data, p[i].len)) {
				pl_packet_rx_ring_release(r, &p[i], 1);
				continue;
			}
			uint32_t seq;
			memcpy(&seq, p[i].data + 42, 4);
			check_frame(&p[i], seq);
			PLT_CHECK((int64_t)seq > last, "seq %u after %lld", seq, (long long)last);
			last = seq;
			received++;
			if (nheld < HOLD && plt_rand() % 3)
				held[nheld++] = p[i];
			else
				pl_packet_rx_ring_release(r, &p[i], 1);
		}
		/* Release a random subset, in random order. */
		unsigned k = (unsigned)(plt_rand() % (nheld + 1));
		if (sent >= N)
			k = nheld;
		for (unsigned j = 0; j < k; j++) {
			unsigned x = (unsigned)(plt_rand() % nheld);
			pl_packet_rx_ring_release(r, &held[x], 1);
			held[x] = held[--nheld];
		}
		if (n == 0 && sent >= N) {
			struct pollfd pfd = { .fd = rfd, .events = POLLIN };
			(void)poll(&pfd, 1, 20);
		}
	}
	/* Drain until every frame is received or counted as dropped: on a
	 * loaded machine some may still be on their way (softirq deferred to
	 * ksoftirqd) well after the last send. */
	uint64_t kdrops = 0, drain_end = plt_now_ns() + PLT_WAIT_NS;
	while (received + c.drop_nobuf + kdrops < N && plt_now_ns() < drain_end) {
		struct pktlink_pkt rest[64];
		unsigned more = collect(r, rfd, rest, 64, &c, 20);
		for (unsigned i = 0; i < more; i++) {
			uint32_t seq = seq_of(&rest[i]);
			PLT_CHECK((int64_t)seq > last, "seq %u after %lld", seq, (long long)last);
			last = seq;
		}
		pl_packet_rx_ring_release(r, rest, more);
		received += more;
		kdrops += pl_packet_kernel_drops(rfd);
	}
	uint64_t drops = c.drop_nobuf + kdrops + pl_packet_kernel_drops(rfd);
	PLT_CHECK(received + drops == N, "received %u + dropped %llu != sent %d", received,
		  (unsigned long long)drops, N);
	fprintf(stderr, "note: received %u, kernel dropped %llu\n", received, (unsigned long long)drops);
	PLT_CHECK(received > N / 2, "received only %u of %d", received, N);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/* A single frame on an idle link arrives (the block timeout retires it). */
static int rx_ring_block_timeout_single_frame(void)
{
	setup_veth();
	int rfd, tx = raw_tx(B);
	struct pl_packet_rx_ring *r = open_ring(A, 0, 0, 0, false, &rfd); /* defaults: 1 ms */
	uint8_t f[1600];
	uint32_t len = make_frame(f, 77, mac_a, mac_b);
	send_frame(tx, f, len);
	struct pktlink_pkt p;
	unsigned n = collect(r, rfd, &p, 1, NULL, PLT_WAIT_MS);
	PLT_CHECK(n == 1, "the lone frame did not arrive");
	check_frame(&p, 77);
	pl_packet_rx_ring_release(r, &p, 1);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/* Holding every view: the ring fills, the kernel drops (counted), and after
 * the release everything flows again. */
static int rx_ring_full_drops_counted_and_recovers(void)
{
	setup_veth();
	int rfd, tx = raw_tx(B);
	struct pl_packet_rx_ring *r = open_ring(A, 4096, 2, 1, false, &rfd);
	struct pl_rx_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t f[1600];
	for (uint32_t i = 0; i < 200; i++) {
		uint32_t len = make_frame(f, i, mac_a, mac_b);
		send_frame(tx, f, len);
	}
	static struct pktlink_pkt held[400];
	unsigned n = collect(r, rfd, held, 400, &c, 300);
	PLT_CHECK(n > 0 && n < 200, "held %u of 200", n);
	for (unsigned i = 0; i < n; i++)
		check_frame(&held[i], i); /* the first ones, in order */
	/* The walk must stop at blocks we still hold. */
	struct pktlink_pkt more[8];
	PLT_CHECK(pl_packet_rx_ring_burst(r, more, 8, 0, NULL, &c) == 0, "burst past held blocks");
	pl_packet_rx_ring_release(r, held, n);
	/* New frames arrive; the first block carries TP_STATUS_LOSING and the
	 * drops get counted. One frame at a time, each released before the
	 * next is sent: the retire timer may close a block after every frame,
	 * so two blocks hold only two held views (sending five at once lost
	 * frames to a refrozen queue under load). Flood frames still in
	 * flight after the collect window (softirq deferred to a starved
	 * ksoftirqd) are passed over by number, not counted as new ones. */
	for (uint32_t i = 0; i < 5; i++) {
		uint32_t len = make_frame(f, 1000 + i, mac_a, mac_b);
		send_frame(tx, f, len);
		n = collect_from(r, rfd, held, 1, &c, PLT_WAIT_MS, 1000 + i);
		PLT_CHECK(n == 1, "after release: frame %u did not arrive", 1000 + i);
		check_frame(&held[0], 1000 + i);
		pl_packet_rx_ring_release(r, held, 1);
	}
	PLT_CHECK(c.drop_nobuf > 0, "kernel drops not counted");
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/*
 * A held view pins its whole block, however little of it is used. Frames
 * sent one at a time, each taken only once the retire timer closed its
 * block: every block holds one frame, so NB held views fill a ring of NB
 * blocks and the next frame is dropped (the kernel's queue is frozen on a
 * held block) until a view is released. This is the interleaving a loaded
 * machine produced at random in rx_ring_content_order_recycle (a round
 * holding more views than the ring has blocks), forced.
 */
static int rx_ring_held_views_pin_blocks(void)
{
	setup_veth();
	int rfd, tx = raw_tx(B);
	enum { NB = 3 };
	struct pl_packet_rx_ring *r = open_ring(A, 4096, NB, 1, false, &rfd);
	struct pl_rx_counters c;
	memset(&c, 0, sizeof(c));
	struct pktlink_pkt held[NB], p;
	uint8_t f[1600];
	for (uint32_t i = 0; i < NB; i++) {
		send_frame(tx, f, make_frame(f, i, mac_a, mac_b));
		PLT_CHECK(collect(r, rfd, &held[i], 1, &c, PLT_WAIT_MS) == 1, "frame %u", i);
		check_frame(&held[i], i);
	}
	/* Three small frames, three blocks, all held: the ring is full. */
	send_frame(tx, f, make_frame(f, NB, mac_a, mac_b));
	uint64_t drops = 0;
	PLT_CHECK(PLT_WAIT((drops += pl_packet_kernel_drops(rfd)) > 0, PLT_WAIT_MS),
		  "frame %d was not dropped by a full ring", NB);
	PLT_CHECK(drops == 1, "%llu drops", (unsigned long long)drops);
	PLT_CHECK(pl_packet_rx_ring_burst(r, &p, 1, 0, NULL, &c) == 0, "burst past held blocks");
	/* One view back frees one block: frames flow again. */
	pl_packet_rx_ring_release(r, &held[0], 1);
	send_frame(tx, f, make_frame(f, NB + 1, mac_a, mac_b));
	PLT_CHECK(collect(r, rfd, &p, 1, &c, PLT_WAIT_MS) == 1, "no frame after the release");
	check_frame(&p, NB + 1);
	pl_packet_rx_ring_release(r, &p, 1);
	pl_packet_rx_ring_release(r, &held[1], NB - 1);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/* A frame larger than a block is cut by the kernel: it is dropped (counted
 * in drop_nobuf), never handed out short, and the next frame flows. */
static int rx_ring_oversized_frame_dropped(void)
{
	plt_veth(A, B, 9000, NULL, NULL);
	plt_mac(A, mac_a);
	plt_mac(B, mac_b);
	int rfd, tx = raw_tx(B);
	struct pl_packet_rx_ring *r = open_ring(A, 4096, 4, 1, false, &rfd);
	struct pl_rx_counters c;
	memset(&c, 0, sizeof(c));
	static uint8_t big[8000];
	uint8_t payload[7900];
	memset(payload, 0x5c, sizeof(payload));
	uint32_t blen = plt_build_udp(big, mac_a, mac_b, PLT_IP(198, 18, 0, 2),
				      PLT_IP(198, 18, 0, 1), SPORT, DPORT, payload, sizeof(payload));
	send_frame(tx, big, blen);
	uint8_t f[1600];
	uint32_t len = make_frame(f, 5, mac_a, mac_b);
	send_frame(tx, f, len);
	struct pktlink_pkt p[2];
	unsigned n = collect(r, rfd, p, 2, &c, 1000);
	PLT_CHECK(n == 1, "%u frames delivered, expected only the small one", n);
	check_frame(&p[0], 5);
	PLT_CHECK(c.drop_nobuf == 1, "drop_nobuf %llu", (unsigned long long)c.drop_nobuf);
	pl_packet_rx_ring_release(r, p, n);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/*
 * Offsets in the ring are checked, not trusted: a second mapping of the ring
 * rewrites a retired block's frame headers before the walk (a frame header
 * pointing its data before the header, one claiming more bytes than the
 * block, one whose next offset leaves the block). Those frames and the ones
 * behind the bad next offset are counted in drop_invalid, the others are
 * handed out, the block goes back and reception goes on.
 */
static int rx_ring_corrupt_offsets(void)
{
	setup_veth();
	int rfd, tx = raw_tx(B);
	enum { BS = 65536, NB = 4, SENT = 8 };
	/* a long timeout: all SENT frames in block 0 */
	struct pl_packet_rx_ring *r = open_ring(A, BS, NB, 500, false, &rfd);
	uint8_t *m = mmap(NULL, (size_t)BS * NB, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	PLT_CHECK(m != MAP_FAILED, "second mapping: %s", strerror(errno));
	struct pl_rx_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t f[1600];
	for (uint32_t i = 0; i < SENT; i++) {
		uint32_t len = make_frame(f, i, mac_a, mac_b);
		send_frame(tx, f, len);
	}
	struct tpacket_block_desc *bd = (struct tpacket_block_desc *)m;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) &&
	       plt_now_ns() < end)
		usleep(1000);
	uint32_t num = bd->hdr.bh1.num_pkts;
	PLT_CHECK(num >= 5, "block 0 holds %u frames", num);
	struct tpacket3_hdr *h[5];
	uint32_t off = bd->hdr.bh1.offset_to_first_pkt;
	for (int i = 0; i < 5; i++) {
		h[i] = (struct tpacket3_hdr *)(m + off);
		off += h[i]->tp_next_offset;
	}
	h[1]->tp_mac = 0; /* data over the header */
	h[2]->tp_snaplen = 0x7fffffff; /* past the block */
	h[3]->tp_next_offset = 0x40000000; /* frames 4.. unreachable */
	struct pktlink_pkt p[64];
	int n = pl_packet_rx_ring_burst(r, p, 64, 3, NULL, &c);
	PLT_CHECK(n == 2, "%d frames handed out, expected frames 0 and 3", n);
	PLT_CHECK(c.drop_invalid == num - 2, "drop_invalid %llu of %u",
		  (unsigned long long)c.drop_invalid, num - 2);
	pl_packet_rx_ring_release(r, p, (unsigned)n);
	PLT_CHECK(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) == TP_STATUS_KERNEL,
		  "block 0 given back");
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t len = make_frame(f, 100 + i, mac_a, mac_b);
		send_frame(tx, f, len);
	}
	struct pktlink_pkt got[3];
	unsigned k = collect_from(r, rfd, got, 3, &c, PLT_WAIT_MS, 100);
	PLT_CHECK(k == 3, "after the bad block: %u of 3 frames", k);
	for (uint32_t i = 0; i < 3; i++)
		check_frame(&got[i], 100 + i);
	pl_packet_rx_ring_release(r, got, k);
	munmap(m, (size_t)BS * NB);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(tx);
	return 0;
}

/* Frames another packet socket sends on the same device are not seen. */
static int rx_ring_ignore_outgoing(void)
{
	setup_veth();
	int rfd, txa = raw_tx(A), txb = raw_tx(B);
	struct pl_packet_rx_ring *r = open_ring(A, 0, 0, 0, false, &rfd);
	/* A control socket without IGNORE_OUTGOING does see them. */
	int ctl = -1;
	struct pl_packet_sock_cfg cc = { .rx = true };
	char err[256];
	PLT_CHECK(pl_packet_socket_open(plt_ifindex(A), &cc, &ctl, err, sizeof(err)) == 0, "%s",
		  err);
	uint8_t f[1600];
	uint32_t len = make_frame(f, 1, mac_b, mac_a); /* out of A */
	send_frame(txa, f, len);
	len = make_frame(f, 2, mac_a, mac_b); /* into A */
	send_frame(txb, f, len);
	struct pktlink_pkt p[4];
	unsigned n = collect(r, rfd, p, 1, NULL, PLT_WAIT_MS);
	PLT_CHECK(n == 1, "incoming frame missing");
	check_frame(&p[0], 2);
	pl_packet_rx_ring_release(r, p, n);
	n = collect(r, rfd, p, 1, NULL, 200);
	PLT_CHECK(n == 0, "an outgoing frame was delivered");
	/* The control socket saw the outgoing frame (the test is meaningful). */
	bool seen = false;
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; !seen && plt_now_ns() < wait_end;) {
		uint8_t buf[2048];
		ssize_t l = recv(ctl, buf, sizeof(buf), MSG_DONTWAIT);
		if (l < 0) {
			usleep(10000);
			continue;
		}
		if (is_ours(buf, (uint32_t)l) && memcmp(buf, mac_b, 6) == 0)
			seen = true;
	}
	PLT_CHECK(seen, "control socket did not see the outgoing frame");
	pl_packet_rx_ring_destroy(r);
	close(rfd);
	close(ctl);
	close(txa);
	close(txb);
	return 0;
}

/* Receive on a plain socket until want of our frames arrived. */
static unsigned recv_frames(int fd, uint8_t (*bufs)[1600], uint32_t *lens, unsigned want,
			    int max_ms)
{
	unsigned got = 0;
	uint64_t end = plt_now_ns() + (uint64_t)max_ms * 1000000;
	while (got < want && plt_now_ns() < end) {
		ssize_t l = recv(fd, bufs[got], 1600, MSG_DONTWAIT);
		if (l < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			(void)poll(&pfd, 1, 20);
			continue;
		}
		if (is_ours(bufs[got], (uint32_t)l))
			lens[got++] = (uint32_t)l;
	}
	return got;
}

static struct pl_packet_tx_ring *open_tx(const char *ifname, uint32_t frames, bool vnet)
{
	struct pl_packet_tx_ring *t = NULL;
	char err[256];
	PLT_CHECK(pl_packet_tx_ring_create(plt_ifindex(ifname), frames, 2048, vnet, false, &t, err,
					   sizeof(err)) == 0,
		  "%s", err);
	PLT_CHECK(pl_packet_tx_ring_fd(t) >= 0, "tx fd");
	return t;
}

/* Send everything in bursts, retrying while the ring is full (bounded). */
static void tx_all(struct pl_packet_tx_ring *t, struct pktlink_pkt *p, unsigned n,
		   struct pl_tx_counters *c)
{
	unsigned done = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (done < n && plt_now_ns() < end) {
		unsigned k = n - done < 32 ? n - done : 32;
		int r = pl_packet_tx_ring_send(t, p + done, k, c);
		PLT_CHECK(r >= 0, "tx send: %d", r);
		done += (unsigned)r;
		if (r == 0) {
			struct pollfd pfd = { .fd = pl_packet_tx_ring_fd(t), .events = POLLOUT };
			(void)poll(&pfd, 1, 10);
		}
	}
	PLT_CHECK(done == n, "sent %u of %u", done, n);
}

/* Frames from the TX ring arrive byte-exact and in order (B receives). */
static int tx_ring_byte_exact(void)
{
	setup_veth();
	int rx = raw_rx(B);
	struct pl_packet_tx_ring *t = open_tx(A, 64, false);
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	enum { N = 300 };
	static uint8_t frames[N][1600];
	static struct pktlink_pkt p[N];
	for (uint32_t i = 0; i < N; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].data = frames[i];
		p[i].len = make_frame(frames[i], i, mac_b, mac_a);
	}
	static uint8_t got[N][1600];
	static uint32_t lens[N];
	unsigned rcvd = 0;
	/* In rounds, so the receiver's socket buffer never overflows. */
	for (unsigned base = 0; base < N; base += 50) {
		tx_all(t, p + base, 50, &c);
		unsigned k = recv_frames(rx, got + base, lens + base, 50, PLT_WAIT_MS);
		PLT_CHECK(k == 50, "round at %u: received %u of 50", base, k);
		rcvd += k;
	}
	for (unsigned i = 0; i < rcvd; i++) {
		PLT_CHECK(lens[i] == p[i].len, "frame %u: length %u vs %u", i, lens[i], p[i].len);
		PLT_CHECK(memcmp(got[i], frames[i], lens[i]) == 0, "frame %u differs", i);
	}
	PLT_CHECK(c.errors == 0 && c.drop_invalid == 0, "counters %llu/%llu",
		  (unsigned long long)c.errors, (unsigned long long)c.drop_invalid);
	/* Everything is reclaimed eventually. */
	int free_slots = 0;
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; free_slots < 64 && plt_now_ns() < wait_end;) {
		free_slots = pl_packet_tx_ring_reclaim(t, &c);
		if (free_slots < 64)
			usleep(2000);
	}
	PLT_CHECK(free_slots == 64, "%d of 64 slots free", free_slots);
	pl_packet_tx_ring_destroy(t);
	close(rx);
	return 0;
}

/* A full TX ring returns 0, then recovers: a slow qdisc holds the frames
 * (SENDING) until it is removed. */
static int tx_ring_full_returns_zero_then_recovers(void)
{
	setup_veth();
	if (plt_sh("tc qdisc add dev %s root tbf rate 8kbit burst 1600 limit 1000000 2>/dev/null",
		   A) != 0)
		return PLT_SKIP;
	int rx = raw_rx(B);
	struct pl_packet_tx_ring *t = open_tx(A, 16, false);
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	static uint8_t frames[64][1600];
	struct pktlink_pkt p[64];
	for (uint32_t i = 0; i < 64; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].data = frames[i];
		p[i].len = make_frame(frames[i], i, mac_b, mac_a);
	}
	/* Large frames: the bucket lets one or two through, the rest wait in
	 * the qdisc, so their slots stay SENDING. */
	for (uint32_t i = 0; i < 64; i++)
		p[i].len = 1400;
	unsigned done = 0;
	bool zero = false;
	for (int k = 0; k < 50 && !zero; k++) {
		int r = pl_packet_tx_ring_send(t, p + done, 64 - done, &c);
		PLT_CHECK(r >= 0, "send: %d", r);
		zero = r == 0;
		done += (unsigned)r;
	}
	PLT_CHECK(zero && done < 64, "never full (took %u)", done);
	plt_sh_ok("tc qdisc del dev %s root", A);
	tx_all(t, p + done, 64 - done, &c);
	static uint8_t got[64][1600];
	static uint32_t lens[64];
	unsigned k = recv_frames(rx, got, lens, 64, PLT_WAIT_MS);
	/* Frames still in the qdisc when it was removed are dropped with it;
	 * what matters is that the ring recovered: every frame queued after
	 * the full state arrived, in order. */
	PLT_CHECK(k >= 64 - done, "received %u, expected at least %u", k, 64 - done);
	for (unsigned i = 0; i < 64 - done; i++) {
		uint32_t s;
		memcpy(&s, got[k - (64 - done) + i] + 42, 4);
		PLT_CHECK(s == done + i, "frame %u is seq %u", done + i, s);
	}
	pl_packet_tx_ring_destroy(t);
	close(rx);
	return 0;
}

/* The socket send buffer runs out (a slow qdisc holds the skbs): frames
 * stay SEND_REQUEST, and a later call with nothing new re-kicks them. */
static int tx_ring_sndbuf_shortage_rekicked(void)
{
	setup_veth();
	if (plt_sh("tc qdisc add dev %s root tbf rate 8kbit burst 1600 limit 1000000 2>/dev/null",
		   A) != 0)
		return PLT_SKIP;
	int rx = raw_rx(B);
	struct pl_packet_tx_ring *t = open_tx(A, 64, false);
	int small = 1; /* the kernel rounds up to its minimum (a few KiB) */
	PLT_CHECK(setsockopt(pl_packet_tx_ring_fd(t), SOL_SOCKET, SO_SNDBUF, &small,
			     sizeof(small)) == 0,
		  "SO_SNDBUF");
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	static uint8_t frames[32][1600];
	struct pktlink_pkt p[32];
	for (uint32_t i = 0; i < 32; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].data = frames[i];
		make_frame(frames[i], i, mac_b, mac_a);
		p[i].len = 1400;
	}
	PLT_CHECK(pl_packet_tx_ring_send(t, p, 32, &c) == 32, "queue 32");
	plt_sh_ok("tc qdisc del dev %s root", A);
	/* Nothing new to send: each call only re-kicks what waits. */
	static uint8_t got[32][1600];
	static uint32_t lens[32];
	unsigned k = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (plt_now_ns() < end) {
		PLT_CHECK(pl_packet_tx_ring_send(t, NULL, 0, &c) == 0, "empty send");
		k += recv_frames(rx, got + k, lens + k, 32 - k, 20);
		if (k && k < 32) {
			uint32_t s;
			memcpy(&s, got[k - 1] + 42, 4);
			if (s == 31)
				break;
		}
		if (k == 32)
			break;
	}
	PLT_CHECK(k > 0, "nothing arrived");
	/* The bucket lets the first frame or two through and the qdisc held a
	 * few more when it was removed (those are gone); everything that waited
	 * in the ring arrives, in order, up to the last frame. */
	uint32_t prev = 0;
	for (unsigned i = 0; i < k; i++) {
		uint32_t s;
		memcpy(&s, got[i] + 42, 4);
		PLT_CHECK(i == 0 || s > prev, "frame %u: seq %u after %u", i, s, prev);
		prev = s;
	}
	PLT_CHECK(prev == 31, "last frame %u", prev);
	uint32_t run = 1;
	for (unsigned i = k - 1; i > 0; i--) {
		uint32_t s0, s1;
		memcpy(&s0, got[i - 1] + 42, 4);
		memcpy(&s1, got[i] + 42, 4);
		if (s0 + 1 != s1)
			break;
		run++;
	}
	PLT_CHECK(run >= 20, "only the last %u frames arrived in a run", run);
	pl_packet_tx_ring_destroy(t);
	close(rx);
	return 0;
}

/* A frame the kernel refuses (longer than the MTU) is counted as a TX error
 * and does not block the frames behind it. */
static int tx_ring_wrong_format_skipped(void)
{
	setup_veth();
	int rx = raw_rx(B);
	struct pl_packet_tx_ring *t = open_tx(A, 16, false);
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	static uint8_t frames[6][1600];
	struct pktlink_pkt p[6];
	for (uint32_t i = 0; i < 6; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].data = frames[i];
		p[i].len = make_frame(frames[i], i, mac_b, mac_a);
	}
	p[2].len = 1600; /* MTU 1500: the kernel says WRONG_FORMAT */
	p[4].len = 1590;
	tx_all(t, p, 6, &c);
	/* A later burst still works. */
	static uint8_t extra[1600];
	struct pktlink_pkt e = { .data = extra, .len = make_frame(extra, 6, mac_b, mac_a) };
	tx_all(t, &e, 1, &c);
	static uint8_t got[8][1600];
	static uint32_t lens[8];
	unsigned k = recv_frames(rx, got, lens, 5, PLT_WAIT_MS);
	PLT_CHECK(k == 5, "received %u of 5", k);
	static const uint32_t want[5] = { 0, 1, 3, 5, 6 };
	for (unsigned i = 0; i < k; i++) {
		uint32_t s;
		memcpy(&s, got[i] + 42, 4);
		PLT_CHECK(s == want[i], "frame %u is seq %u, expected %u", i, s, want[i]);
	}
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; c.errors < 2 && plt_now_ns() < wait_end;) {
		pl_packet_tx_ring_reclaim(t, &c);
		usleep(1000);
	}
	PLT_CHECK(c.errors == 2, "tx errors %llu, expected 2", (unsigned long long)c.errors);
	/* Too short / too large for a slot: taken and counted as invalid. */
	struct pktlink_pkt bad[2] = { { .data = extra, .len = 10 }, { .data = extra, .len = 5000 } };
	PLT_CHECK(pl_packet_tx_ring_send(t, bad, 2, &c) == 2, "invalid frames not taken");
	PLT_CHECK(c.drop_invalid == 2, "drop_invalid %llu", (unsigned long long)c.drop_invalid);
	pl_packet_tx_ring_destroy(t);
	close(rx);
	return 0;
}

/* Zero-copy transmit: buffers lent from the ring, filled in place, sent in
 * order, lap after lap; byte-exact at the peer. */
static int tx_ring_zero_copy_in_order(void)
{
	setup_veth();
	int rx = raw_rx(B);
	struct pl_packet_tx_ring *t = open_tx(A, 32, false);
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	enum { N = 200, BATCH = 10 };
	static uint8_t got[BATCH][1600], want[BATCH][1600];
	uint32_t lens[BATCH], wl[BATCH];
	for (uint32_t base = 0; base < N; base += BATCH) {
		struct pktlink_pkt p[BATCH];
		int a = 0;
		for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; a < BATCH && plt_now_ns() < wait_end;) {
			int r = pl_packet_tx_ring_alloc(t, p + a, BATCH - (unsigned)a, &c);
			PLT_CHECK(r >= 0, "alloc %d", r);
			a += r;
			if (a < BATCH)
				usleep(1000);
		}
		PLT_CHECK(a == BATCH, "allocated %d", a);
		for (int i = 0; i < BATCH; i++) {
			PLT_CHECK(p[i].flags & PKTLINK_PKT_TXBUF, "flags");
			PLT_CHECK(p[i].len >= 1500, "capacity %u", p[i].len);
			wl[i] = make_frame(want[i], base + (uint32_t)i, mac_b, mac_a);
			memcpy(p[i].data, want[i], wl[i]); /* written straight into the ring */
			p[i].len = wl[i];
		}
		PLT_CHECK(pl_packet_tx_ring_send(t, p, BATCH, &c) == BATCH, "send");
		unsigned k = recv_frames(rx, got, lens, BATCH, PLT_WAIT_MS);
		PLT_CHECK(k == BATCH, "received %u", k);
		for (int i = 0; i < BATCH; i++)
			PLT_CHECK(lens[i] == wl[i] && memcmp(got[i], want[i], wl[i]) == 0,
				  "frame %u differs", base + (uint32_t)i);
	}
	PLT_CHECK(c.drop_invalid == 0, "counters");
	pl_packet_tx_ring_destroy(t);
	close(rx);
	return 0;
}

/* Lent buffers sent out of order, freed, mixed with plain frames: the head
 * rule holds (a frame never jumps a lent head), frames arrive in the order
 * sent, and nothing is lost or stalls. */
static int tx_ring_zero_copy_out_of_order_and_free(void)
{
	setup_veth();
	int rx = raw_rx(B);
	struct pl_packet_tx_ring *t = open_tx(A, 16, false);
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	struct pktlink_pkt b[4];
	PLT_CHECK(pl_packet_tx_ring_alloc(t, b, 4, &c) == 4, "alloc 4");
	for (uint32_t i = 0; i < 4; i++)
		b[i].len = make_frame(b[i].data, i, mac_b, mac_a);
	/* b2 cannot overtake b0, which holds the head. */
	PLT_CHECK(pl_packet_tx_ring_send(t, &b[2], 1, &c) == 0, "b2 jumped the head");
	/* Neither can a plain frame. */
	static uint8_t plain[1600];
	struct pktlink_pkt pp = { .data = plain, .len = make_frame(plain, 9, mac_b, mac_a) };
	PLT_CHECK(pl_packet_tx_ring_send(t, &pp, 1, &c) == 0, "plain frame jumped the head");
	pl_packet_tx_ring_free(t, &b[1], 1);
	pl_packet_tx_ring_free(t, &b[1], 1); /* twice: ignored */
	struct pktlink_pkt order[3] = { b[0], b[3], b[2] };
	PLT_CHECK(pl_packet_tx_ring_send(t, order, 3, &c) == 3, "b0 b3 b2");
	PLT_CHECK(pl_packet_tx_ring_send(t, &pp, 1, &c) == 1, "plain after");
	/* A buffer given back twice, or not ours: taken, counted invalid. */
	struct pktlink_pkt again = b[0];
	struct pktlink_pkt forged = { .data = plain, .len = 60, .flags = PKTLINK_PKT_TXBUF,
				      .priv = 0x1234 };
	PLT_CHECK(pl_packet_tx_ring_send(t, &again, 1, &c) == 1, "stale buffer not taken");
	PLT_CHECK(pl_packet_tx_ring_send(t, &forged, 1, &c) == 1, "forged buffer not taken");
	PLT_CHECK(c.drop_invalid == 2, "drop_invalid %llu", (unsigned long long)c.drop_invalid);
	static uint8_t got[8][1600];
	uint32_t lens[8];
	unsigned k = recv_frames(rx, got, lens, 4, PLT_WAIT_MS);
	PLT_CHECK(k == 4, "received %u of 4", k);
	static const uint32_t want[4] = { 0, 3, 2, 9 };
	for (unsigned i = 0; i < k; i++) {
		uint32_t s;
		memcpy(&s, got[i] + 42, 4);
		PLT_CHECK(s == want[i], "frame %u is seq %u, expected %u", i, s, want[i]);
	}
	/* Everything lent is back: the whole ring can be lent again. */
	int freec = 0;
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; freec < 16 && plt_now_ns() < wait_end;) {
		freec = pl_packet_tx_ring_reclaim(t, &c);
		usleep(1000);
	}
	struct pktlink_pkt all[16];
	PLT_CHECK(pl_packet_tx_ring_alloc(t, all, 16, &c) == 16, "relend all 16");
	pl_packet_tx_ring_free(t, all, 16);
	pl_packet_tx_ring_destroy(t);
	close(rx);
	return 0;
}

/* With virtio-net headers on both sides, plain frames pass unchanged. */
static int vnet_hdr_rings(void)
{
	setup_veth();
	int rfd;
	struct pl_packet_rx_ring *r = open_ring(B, 0, 0, 0, true, &rfd);
	struct pl_packet_tx_ring *t = open_tx(A, 32, true);
	struct pl_tx_counters c;
	memset(&c, 0, sizeof(c));
	static uint8_t frames[20][1600];
	struct pktlink_pkt p[20];
	for (uint32_t i = 0; i < 20; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].data = frames[i];
		p[i].len = make_frame(frames[i], i, mac_b, mac_a);
	}
	tx_all(t, p, 20, &c);
	struct pktlink_pkt g[20];
	unsigned n = collect(r, rfd, g, 20, NULL, PLT_WAIT_MS);
	PLT_CHECK(n == 20, "received %u of 20", n);
	for (unsigned i = 0; i < n; i++) {
		PLT_CHECK(g[i].len == p[i].len && memcmp(g[i].data, frames[i], g[i].len) == 0,
			  "frame %u differs", i);
		PLT_CHECK(g[i].gso_type == 0, "gso_type %u", g[i].gso_type);
	}
	pl_packet_rx_ring_release(r, g, n);
	pl_packet_rx_ring_destroy(r);
	pl_packet_tx_ring_destroy(t);
	close(rfd);
	return 0;
}

/* Mappings of sockets (the rings) in this process; other mappings come and
 * go with the allocator (and ASan), so only these are counted. */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "socket:[") != NULL;
	fclose(f);
	return n;
}

/* A failure at each setup step leaves no fd and no mapping behind. */
static int fault_every_setup_step(void)
{
	setup_veth();
	int idx = plt_ifindex(A);
	char err[256];
	int fds0 = plt_fd_count(), maps0 = count_maps();
	unsigned steps = 0;
	for (unsigned n = 1; n < 64; n++) {
		pl_fault_arm(n);
		struct pl_packet_sock_cfg sc = { .rx = true, .ignore_outgoing = true,
						 .promisc = true, .qdisc_bypass = true,
						 .auxdata = true, .vnet_hdr = true };
		struct pl_packet_ring_cfg rc = { .vnet_hdr = true };
		struct pl_packet_rx_ring *r = NULL;
		struct pl_packet_tx_ring *t = NULL;
		int fd = -1, e;
		e = pl_packet_socket_open(idx, &sc, &fd, err, sizeof(err));
		if (e == 0)
			e = pl_packet_rx_ring_create(fd, &rc, &r, err, sizeof(err));
		if (e == 0)
			e = pl_packet_tx_ring_create(idx, 64, 2048, true, true, &t, err, sizeof(err));
		bool fired = pl_fault_fired();
		pl_fault_arm(0);
		if (fired) {
			PLT_CHECK(e < 0, "step %u: injected failure not reported", n);
			PLT_CHECK(strstr(err, "injected") != NULL, "step %u: error text '%s'", n,
				  err);
		} else {
			PLT_CHECK(e == 0, "step %u: %s", n, err);
		}
		pl_packet_tx_ring_destroy(t);
		pl_packet_rx_ring_destroy(r);
		if (fd >= 0)
			close(fd);
		PLT_CHECK(plt_fd_count() == fds0, "step %u: %d fds open, %d before", n,
			  plt_fd_count(), fds0);
		PLT_CHECK(count_maps() == maps0, "step %u: %d mappings, %d before", n, count_maps(),
			  maps0);
		if (!fired)
			break;
		steps++;
	}
	PLT_CHECK(steps >= 10, "only %u setup steps", steps);
	/* A failed ring setup leaves the socket usable for a retry. */
	int fd = -1;
	struct pl_packet_sock_cfg sc = { .rx = true };
	PLT_CHECK(pl_packet_socket_open(idx, &sc, &fd, err, sizeof(err)) == 0, "%s", err);
	struct pl_packet_rx_ring *r = NULL;
	pl_fault_arm(3); /* PACKET_RX_RING */
	PLT_CHECK(pl_packet_rx_ring_create(fd, NULL, &r, err, sizeof(err)) < 0, "fault 3");
	pl_fault_arm(4); /* mmap: the kernel ring exists and must be freed */
	PLT_CHECK(pl_packet_rx_ring_create(fd, NULL, &r, err, sizeof(err)) < 0, "fault 4");
	pl_fault_arm(0);
	PLT_CHECK(pl_packet_rx_ring_create(fd, NULL, &r, err, sizeof(err)) == 0, "retry: %s", err);
	PLT_CHECK(count_maps() == maps0 + 1, "a ring mapping is counted (%d vs %d)", count_maps(),
		  maps0);
	pl_packet_rx_ring_destroy(r);
	close(fd);
	leak_check();
	return 0;
}

/* Bad arguments give errors that name the cause. */
static int bad_arguments(void)
{
	char err[256];
	int fd = 123;
	PLT_CHECK(pl_packet_socket_open(0, NULL, &fd, err, sizeof(err)) == -EINVAL && fd == -1,
		  "ifindex 0");
	PLT_CHECK(strstr(err, "ifindex") != NULL, "%s", err);
	struct pl_packet_rx_ring *r;
	struct pl_packet_ring_cfg rc = { .block_size = 5000 };
	PLT_CHECK(pl_packet_rx_ring_create(3, &rc, &r, err, sizeof(err)) == -EINVAL, "block size");
	PLT_CHECK(strstr(err, "block size") != NULL, "%s", err);
	struct pl_packet_tx_ring *t;
	PLT_CHECK(pl_packet_tx_ring_create(1, 16, 32, false, false, &t, err, sizeof(err)) ==
			  -EINVAL,
		  "tiny frames");
	pl_packet_rx_ring_destroy(NULL);
	pl_packet_tx_ring_destroy(NULL);
	PLT_CHECK(pl_packet_kernel_drops(-1) == 0, "drops of -1");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "rx_ring_content_order_recycle", rx_ring_content_order_recycle, PLT_NETNS, 30 },
		{ "rx_ring_random_hold_release", rx_ring_random_hold_release, PLT_NETNS, 40 },
		{ "rx_ring_block_timeout_single_frame", rx_ring_block_timeout_single_frame,
		  PLT_NETNS, 30 },
		{ "rx_ring_full_drops_counted_and_recovers",
		  rx_ring_full_drops_counted_and_recovers, PLT_NETNS, 30 },
		{ "rx_ring_held_views_pin_blocks", rx_ring_held_views_pin_blocks, PLT_NETNS, 30 },
		{ "rx_ring_ignore_outgoing", rx_ring_ignore_outgoing, PLT_NETNS, 30 },
		{ "rx_ring_oversized_frame_dropped", rx_ring_oversized_frame_dropped, PLT_NETNS, 30 },
		{ "rx_ring_corrupt_offsets", rx_ring_corrupt_offsets, PLT_NETNS, 30 },
		{ "tx_ring_byte_exact", tx_ring_byte_exact, PLT_NETNS, 30 },
		{ "tx_ring_full_returns_zero_then_recovers", tx_ring_full_returns_zero_then_recovers,
		  PLT_NETNS, 30 },
		{ "tx_ring_sndbuf_shortage_rekicked", tx_ring_sndbuf_shortage_rekicked, PLT_NETNS,
		  30 },
		{ "tx_ring_wrong_format_skipped", tx_ring_wrong_format_skipped, PLT_NETNS, 30 },
		{ "tx_ring_zero_copy_in_order", tx_ring_zero_copy_in_order, PLT_NETNS, 30 },
		{ "tx_ring_zero_copy_out_of_order_and_free", tx_ring_zero_copy_out_of_order_and_free,
		  PLT_NETNS, 30 },
		{ "vnet_hdr_rings", vnet_hdr_rings, PLT_NETNS, 30 },
		{ "fault_every_setup_step", fault_every_setup_step, PLT_NETNS, 30 },
		{ "bad_arguments", bad_arguments, PLT_UNIT, 10 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
