/* SPDX-License-Identifier: MIT */
/*
 * test_vlan: VLAN tags the kernel strips into metadata are put back in the
 * frames pktlink hands out — pl_vlan_insert() as a unit, and the RX
 * ring on the parent of a VLAN subinterface (802.1Q and 802.1ad), with and
 * without virtio-net headers, for frames from a packet socket and from the
 * kernel's own UDP stack.
 */
#include "harness.h"

#include "core/rx_policy.h"
#include "fd/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_packet.h>

#define A "plva"
#define B "plvb"

static int vlan_insert_unit(void)
{
	uint8_t buf[4 + 64], orig[64];
	for (int i = 0; i < 64; i++)
		orig[i] = (uint8_t)(i * 3 + 1);
	memcpy(buf + 4, orig, 64);
	uint32_t len = 64;
	uint8_t *n = pl_vlan_insert(buf + 4, &len, 0x8100, 0x2064);
	PLT_CHECK(n == buf && len == 68, "start/len");
	PLT_CHECK(memcmp(n, orig, 12) == 0, "MAC addresses moved intact");
	PLT_CHECK(n[12] == 0x81 && n[13] == 0x00 && n[14] == 0x20 && n[15] == 0x64, "tag bytes");
	PLT_CHECK(memcmp(n + 16, orig + 12, 52) == 0, "rest untouched");
	/* 802.1ad */
	memcpy(buf + 4, orig, 64);
	len = 64;
	n = pl_vlan_insert(buf + 4, &len, 0x88a8, 200);
	PLT_CHECK(n[12] == 0x88 && n[13] == 0xa8 && n[14] == 0 && n[15] == 200, "8021ad tag");
	/* Too short to have MAC addresses: left alone. */
	len = 10;
	PLT_CHECK(pl_vlan_insert(buf + 4, &len, 0x8100, 1) == buf + 4 && len == 10, "short");
	PLT_CHECK(pl_vlan_insert(NULL, &len, 0x8100, 1) == NULL, "NULL");
	return 0;
}

/* Tagged and untagged versions of a frame hash alike (unprivileged). */
static int flow_hash_skips_tag_unit(void)
{
	uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t f[4 + 128], g[4 + 128], h2[8 + 128];
	uint32_t len = plt_build_udp(f + 4, m1, m2, PLT_IP(198, 18, 1, 1), PLT_IP(198, 18, 1, 2),
				     1234, 80, NULL, 30);
	memcpy(g + 4, f + 4, len);
	uint32_t lg = len;
	uint8_t *t = pl_vlan_insert(g + 4, &lg, 0x8100, 100);
	PLT_CHECK(pl_packet_flow_hash(f + 4, len) == pl_packet_flow_hash(t, lg), "one tag");
	memcpy(h2 + 8, f + 4, len);
	uint32_t lh = len;
	uint8_t *q = pl_vlan_insert(h2 + 8, &lh, 0x8100, 100);
	q = pl_vlan_insert(q, &lh, 0x88a8, 200);
	PLT_CHECK(pl_packet_flow_hash(f + 4, len) == pl_packet_flow_hash(q, lh), "QinQ");
	PLT_CHECK(pl_packet_flow_hash(f + 4, len) != 0, "nonzero");
	return 0;
}

static uint8_t mac_a[6], mac_b[6];

static struct pl_packet_rx_ring *ring_on(const char *ifname, bool vnet, int *fd)
{
	struct pl_packet_sock_cfg sc = { .rx = true, .ignore_outgoing = true, .vnet_hdr = vnet };
	struct pl_packet_ring_cfg rc = { .vnet_hdr = vnet };
	struct pl_packet_rx_ring *r = NULL;
	char err[256];
	PLT_CHECK(pl_packet_socket_open(plt_ifindex(ifname), &sc, fd, err, sizeof(err)) == 0, "%s",
		  err);
	PLT_CHECK(pl_packet_rx_ring_create(*fd, &rc, &r, err, sizeof(err)) == 0, "%s", err);
	return r;
}

/* Wait for the first frame matching UDP dport; copies it out. */
static bool wait_udp(struct pl_packet_rx_ring *r, int fd, uint16_t dport, uint8_t *out,
		     uint32_t *len, struct pktlink_pkt *meta)
{
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (plt_now_ns() < end) {
		struct pktlink_pkt p[16];
		int n = pl_packet_rx_ring_burst(r, p, 16, 0, NULL, NULL);
		PLT_CHECK(n >= 0, "burst %d", n);
		bool found = false;
		for (int i = 0; i < n && !found; i++) {
			const uint8_t *f = p[i].data;
			uint32_t o = 12;
			if (p[i].len >= 16 && ((f[12] << 8 | f[13]) == 0x8100 ||
					       (f[12] << 8 | f[13]) == 0x88a8))
				o = 16;
			if (p[i].len < o + 2 + 28 || f[o] != 0x08 || f[o + 1] != 0x00 ||
			    f[o + 2 + 9] != 17)
				continue;
			if ((uint32_t)(f[o + 2 + 22] << 8 | f[o + 2 + 23]) != dport)
				continue;
			memcpy(out, f, p[i].len);
			*len = p[i].len;
			*meta = p[i];
			found = true;
		}
		pl_packet_rx_ring_release(r, p, (unsigned)n);
		if (found)
			return true;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		(void)poll(&pfd, 1, 20);
	}
	return false;
}

/*
 * Proof that the kernel really moves the tag into metadata on receive (so
 * the ring's re-insertion is what puts it back): a plain socket with
 * PACKET_AUXDATA on A gets the frame without the tag and the tag in the
 * cmsg.
 */
static int aux_socket(void)
{
	int fd = -1;
	struct pl_packet_sock_cfg c = { .rx = true, .ignore_outgoing = true, .auxdata = true };
	char err[256];
	PLT_CHECK(pl_packet_socket_open(plt_ifindex(A), &c, &fd, err, sizeof(err)) == 0, "%s",
		  err);
	return fd;
}

static void check_aux_stripped(int fd, uint16_t dport, uint16_t tpid, uint16_t id)
{
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (plt_now_ns() < end) {
		uint8_t buf[2048];
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} cm;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &cm,
				     .msg_controllen = sizeof(cm) };
		ssize_t l = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (l < 0) {
			usleep(5000);
			continue;
		}
		if (l < 42 || buf[12] != 0x08 || buf[13] != 0x00 ||
		    (uint32_t)(buf[36] << 8 | buf[37]) != dport)
			continue;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		PLT_CHECK(c && c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA,
			  "no auxdata");
		struct tpacket_auxdata aux;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		PLT_CHECK(aux.tp_status & TP_STATUS_VLAN_VALID, "kernel did not strip the tag");
		PLT_CHECK((aux.tp_vlan_tci & 0xfff) == id, "aux tci %u", aux.tp_vlan_tci);
		PLT_CHECK(!(aux.tp_status & TP_STATUS_VLAN_TPID_VALID) || aux.tp_vlan_tpid == tpid,
			  "aux tpid %04x", aux.tp_vlan_tpid);
		return;
	}
	PLT_CHECK(0, "auxdata socket saw no frame");
}

/*
 * A tagged frame arriving on A shows up on A's ring with the tag back in
 * place. With a VLAN subinterface B.<id> (CONFIG_VLAN_8021Q) the kernel
 * tags frames sent on it, including its own UDP traffic; without one, a
 * packet socket on B sends the frame tagged. Either way the receive path
 * on A strips the tag into metadata (checked with auxdata).
 */
static void check_vlan(const char *proto, uint16_t tpid, uint16_t id, bool vnet)
{
	char sub[32];
	snprintf(sub, sizeof(sub), "%s.%u", B, id);
	bool subif = plt_sh("ip link add link %s name %s type vlan proto %s id %u 2>/dev/null", B,
			    sub, proto, id) == 0;
	if (subif) {
		plt_sh_ok("ip link set %s up", sub);
		PLT_CHECK(plt_wait_link_up(sub, PLT_WAIT_MS), "%s did not come up", sub);
	} else {
		fprintf(stderr, "note: no VLAN subinterfaces in this kernel; sending tagged frames "
				"from a packet socket on %s\n",
			B);
	}
	int rfd;
	struct pl_packet_rx_ring *r = ring_on(A, vnet, &rfd);
	int aux = aux_socket();

	/* 1. A frame from a packet socket: exact bytes. */
	int tx = -1;
	struct pl_packet_sock_cfg c = { .rx = false };
	char err[256];
	PLT_CHECK(pl_packet_socket_open(plt_ifindex(subif ? sub : B), &c, &tx, err,
					sizeof(err)) == 0,
		  "%s", err);
	uint8_t f[256], tagged[4 + 256], got[2048];
	uint32_t len = plt_build_udp(f, mac_a, mac_b, PLT_IP(198, 18, 1, 2), PLT_IP(198, 18, 1, 1),
				     4321, 7001, NULL, 40);
	uint32_t tlen = len;
	memcpy(tagged + 4, f, len);
	uint8_t *t = pl_vlan_insert(tagged + 4, &tlen, tpid, id);
	if (subif)
		PLT_CHECK(send(tx, f, len, 0) == (ssize_t)len, "send: %s", strerror(errno));
	else
		PLT_CHECK(send(tx, t, tlen, 0) == (ssize_t)tlen, "send: %s", strerror(errno));
	uint32_t glen = 0;
	struct pktlink_pkt meta;
	PLT_CHECK(wait_udp(r, rfd, 7001, got, &glen, &meta), "tagged frame (%s) missing", proto);
	PLT_CHECK(glen == tlen, "length %u, expected %u", glen, tlen);
	PLT_CHECK((got[12] << 8 | got[13]) == tpid, "TPID %02x%02x, want %04x", got[12], got[13],
		  tpid);
	PLT_CHECK(((got[14] << 8 | got[15]) & 0xfff) == id, "VLAN id %u",
		  (got[14] << 8 | got[15]) & 0xfff);
	PLT_CHECK(memcmp(got, t, tlen) == 0, "frame differs from the tagged original");
	PLT_CHECK(pl_packet_flow_hash(got, glen) == pl_packet_flow_hash(f, len),
		  "hash of the tagged frame");
	check_aux_stripped(aux, 7001, tpid, id);

	/* 2. A frame from the kernel's UDP stack (only with a subinterface). */
	if (subif) {
		plt_sh_ok("ip addr add 198.18.1.2/24 dev %s && ip neigh add 198.18.1.1 lladdr "
			  "%02x:%02x:%02x:%02x:%02x:%02x dev %s",
			  sub, mac_a[0], mac_a[1], mac_a[2], mac_a[3], mac_a[4], mac_a[5], sub);
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		PLT_CHECK(u >= 0, "udp socket");
		struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(7002) };
		dst.sin_addr.s_addr = htonl(PLT_IP(198, 18, 1, 1));
		char msg[100];
		memset(msg, 'v', sizeof(msg));
		PLT_CHECK(sendto(u, msg, sizeof(msg), 0, (struct sockaddr *)&dst, sizeof(dst)) ==
				  (ssize_t)sizeof(msg),
			  "sendto: %s", strerror(errno));
		PLT_CHECK(wait_udp(r, rfd, 7002, got, &glen, &meta), "kernel UDP frame missing");
		PLT_CHECK((got[12] << 8 | got[13]) == tpid &&
				  ((got[14] << 8 | got[15]) & 0xfff) == id,
			  "kernel frame tag");
		PLT_CHECK(glen == 14 + 4 + 20 + 8 + sizeof(msg), "kernel frame length %u", glen);
		PLT_CHECK(memcmp(got + 18 + 28, msg, sizeof(msg)) == 0, "kernel frame payload");
		if (meta.flags & PKTLINK_PKT_CSUM_PARTIAL)
			PLT_CHECK(meta.csum_start == 14 + 4 + 20 && meta.csum_offset == 6,
				  "csum_start %u offset %u", meta.csum_start, meta.csum_offset);
		close(u);
	}

	/* 3. With virtio-net headers: a partial checksum's csum_start moves
	 * with the tag. The TX ring (vnet) on B sends the tagged frame with
	 * NEEDS_CSUM; veth keeps it partial up to A's ring. */
	if (vnet) {
		struct pl_packet_tx_ring *txr = NULL;
		PLT_CHECK(pl_packet_tx_ring_create(plt_ifindex(B), 16, 2048, true, false, &txr, err,
						   sizeof(err)) == 0,
			  "%s", err);
		memcpy(tagged + 4, f, len);
		tlen = len;
		t = pl_vlan_insert(tagged + 4, &tlen, tpid, id);
		t[18 + 20 + 3] = 0x5b; /* dport 7001 -> 7003 */
		struct pktlink_pkt p = { .data = t, .len = tlen, .flags = PKTLINK_PKT_CSUM_PARTIAL,
					 .csum_start = 18 + 20, .csum_offset = 6 };
		struct pl_tx_counters tc;
		memset(&tc, 0, sizeof(tc));
		PLT_CHECK(pl_packet_tx_ring_send(txr, &p, 1, &tc) == 1, "tx");
		PLT_CHECK(wait_udp(r, rfd, 7003, got, &glen, &meta), "partial frame missing");
		PLT_CHECK(glen == tlen && (got[12] << 8 | got[13]) == tpid, "partial frame tag");
		PLT_CHECK(meta.flags & PKTLINK_PKT_CSUM_PARTIAL, "flags %x", meta.flags);
		PLT_CHECK(meta.csum_start == 18 + 20 && meta.csum_offset == 6,
			  "csum_start %u offset %u", meta.csum_start, meta.csum_offset);
		pl_packet_tx_ring_destroy(txr);
	}
	close(aux);
	close(tx);
	pl_packet_rx_ring_destroy(r);
	close(rfd);
}

static void setup(void)
{
	plt_veth(A, B, 1500, NULL, NULL);
	plt_mac(A, mac_a);
	plt_mac(B, mac_b);
}

static int ring_reinserts_8021q(void)
{
	setup();
	check_vlan("802.1Q", 0x8100, 100, false);
	return 0;
}

static int ring_reinserts_8021ad(void)
{
	setup();
	check_vlan("802.1ad", 0x88a8, 200, false);
	return 0;
}

/* With a virtio-net header the tag goes where the header was: parse first. */
static int ring_reinserts_with_vnet_hdr(void)
{
	setup();
	check_vlan("802.1Q", 0x8100, 100, true);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "vlan_insert_unit", vlan_insert_unit, PLT_UNIT, 10 },
		{ "flow_hash_skips_tag_unit", flow_hash_skips_tag_unit, PLT_UNIT, 10 },
		{ "ring_reinserts_8021q", ring_reinserts_8021q, PLT_NETNS, 30 },
		{ "ring_reinserts_8021ad", ring_reinserts_8021ad, PLT_NETNS, 30 },
		{ "ring_reinserts_with_vnet_hdr", ring_reinserts_with_vnet_hdr, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
