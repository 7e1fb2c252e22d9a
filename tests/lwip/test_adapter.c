/* SPDX-License-Identifier: MIT */
/*
 * The lwIP adapter's API in one process: lwIP (Debian's liblwip) on an fd
 * endpoint over a socketpair, the test holding the other end. Options and
 * their errors, MAC and MTU, ARP through netif->input and linkoutput, a
 * link without Ethernet header (IP packets), link changes and peer gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pktlink/pktlink.h>

#include "harness.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "pktlink_lwip.h"

#define LW_IP PLT_IP(198, 18, 0, 2)
#define PEER_IP PLT_IP(198, 18, 0, 1)

struct link_log {
	int downs, ups, last_reason;
};

static void on_link(void *ctx, struct pktlink_lwip *nl, bool up, int reason)
{
	struct link_log *l = ctx;
	if (up)
		l->ups++;
	else
		l->downs++;
	l->last_reason = reason;
}

static void ready_cb(void *arg)
{
	sys_sem_signal(arg);
}

/* lwIP runs once per process: each case is its own child. */
static void lwip_start(void)
{
	sys_sem_t ready;
	sys_sem_new(&ready, 0);
	tcpip_init(ready_cb, &ready);
	sys_sem_wait(&ready);
	sys_sem_free(&ready);
}

/* An fd endpoint on one end of a SOCK_SEQPACKET pair; *peer gets the other. */
static struct pktlink_ep *open_pair(const char *hdr, int *peer)
{
	int sv[2];
	PLT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "fd:%d?hdr=%s&mtu=1500", sv[0], hdr);
	struct pktlink_ep *ep;
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s: %s", spec, err);
	*peer = sv[1];
	return ep;
}

static void addrs(ip4_addr_t *ip, ip4_addr_t *mask)
{
	ip4_addr_set_u32(ip, htonl(LW_IP));
	ip4_addr_set_u32(mask, htonl(0xffffff00u));
}

/* lwIP plus an adapter on a fresh socketpair endpoint. */
static struct pktlink_lwip *start(const char *hdr, const struct pktlink_lwip_opts *o,
				  struct pktlink_ep **epp, int *peer)
{
	*epp = open_pair(hdr, peer);
	lwip_start();
	ip4_addr_t ip, mask;
	addrs(&ip, &mask);
	struct pktlink_lwip *nl;
	char err[256];
	int r = pktlink_lwip_add(*epp, &ip, &mask, NULL, o, &nl, err, sizeof(err));
	PLT_CHECK(r == 0, "add: %s", err);
	return nl;
}

static void finish(struct pktlink_lwip *nl, struct pktlink_ep *ep, int peer)
{
	pktlink_lwip_remove(nl);
	pktlink_close(ep);
	if (peer >= 0)
		close(peer);
}

/* Read frames from @fd for up to 10 s until @match accepts one. */
static bool wait_frame(int fd, bool (*match)(const uint8_t *, ssize_t, void *), void *arg)
{
	uint64_t deadline = plt_now_ns() + 10ull * 1000000000ull;
	uint8_t buf[2048];
	while (plt_now_ns() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 && match(buf, n, arg))
			return true;
	}
	return false;
}

static int t_options(void)
{
	int peer;
	struct pktlink_ep *ep = open_pair("eth", &peer);
	lwip_start();
	ip4_addr_t ip, mask;
	addrs(&ip, &mask);
	struct pktlink_lwip *nl;
	char err[256];
	struct pktlink_lwip_opts o = { .burst = 300 };
	PLT_CHECK(pktlink_lwip_add(ep, &ip, &mask, NULL, &o, &nl, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "burst"),
		  "burst 300 accepted or not named: %s", err);
	o = (struct pktlink_lwip_opts){ .name = "abc" };
	PLT_CHECK(pktlink_lwip_add(ep, &ip, &mask, NULL, &o, &nl, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "two characters"),
		  "name \"abc\" accepted: %s", err);
	o = (struct pktlink_lwip_opts){ .tx_flush_every = 1000 };
	PLT_CHECK(pktlink_lwip_add(ep, &ip, &mask, NULL, &o, &nl, err, sizeof(err)) == -EINVAL,
		  "tx_flush_every 1000 accepted");
	PLT_CHECK(pktlink_lwip_add(NULL, &ip, &mask, NULL, NULL, &nl, err, sizeof(err)) == -EINVAL,
		  "NULL endpoint accepted");

	struct link_log log = { 0 };
	o = (struct pktlink_lwip_opts){ .name = "pt", .link_cb = on_link, .link_ctx = &log };
	int r = pktlink_lwip_add(ep, &ip, &mask, NULL, &o, &nl, err, sizeof(err));
	PLT_CHECK(r == 0, "add: %s", err);
	struct netif *nif = pktlink_lwip_netif(nl);
	LOCK_TCPIP_CORE();
	uint8_t mac[6];
	memcpy(mac, nif->hwaddr, 6);
	unsigned mtu = nif->mtu, hwlen = nif->hwaddr_len;
	bool up = netif_is_up(nif), link = netif_is_link_up(nif);
	char n0 = nif->name[0], n1 = nif->name[1];
	UNLOCK_TCPIP_CORE();
	PLT_CHECK(hwlen == 6 && (mac[0] & 0x03) == 0x02,
		  "no locally administered unicast MAC generated (%02x)", mac[0]);
	PLT_CHECK(mtu == 1500 && up && link && n0 == 'p' && n1 == 't', "mtu %u up %d link %d", mtu,
		  up, link);
	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.has_link_addr && !memcmp(info.link_addr, mac, 6),
		  "the endpoint's receive filter was not set to lwIP's MAC");

	PLT_OK(pktlink_lwip_set_link(nl, false));
	PLT_CHECK(log.downs == 1 && log.last_reason == 0, "link down not reported");
	PLT_OK(pktlink_lwip_set_link(nl, true));
	PLT_CHECK(log.ups == 1, "link up not reported");
	PLT_CHECK(pktlink_lwip_peer_gone(nl) == 0, "peer gone while it is there");
	PLT_CHECK(strstr(pktlink_lwip_checksum_ctrl(), "LWIP_CHECKSUM_CTRL_PER_NETIF"),
		  "checksum sentence");
	finish(nl, ep, peer);
	return 0;
}

struct arp_want {
	uint8_t lw_mac[6];
};

static bool is_arp_reply(const uint8_t *f, ssize_t n, void *arg)
{
	struct arp_want *w = arg;
	uint32_t spa;
	if (n < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2)
		return false;
	memcpy(&spa, f + 28, 4);
	return !memcmp(f + 22, w->lw_mac, 6) && !memcmp(f + 6, w->lw_mac, 6) &&
	       ntohl(spa) == LW_IP;
}

/* ARP: a request for lwIP's address goes in through netif->input, the reply
 * comes out through linkoutput -> pktlink_tx_burst. */
static int t_arp(void)
{
	int peer;
	struct pktlink_ep *ep;
	uint8_t want_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct pktlink_lwip_opts o = { .mac = want_mac };
	struct pktlink_lwip *nl = start("eth", &o, &ep, &peer);

	uint8_t req[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06,
			    0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1 };
	uint32_t spa = htonl(PEER_IP), tpa = htonl(LW_IP);
	memcpy(req + 28, &spa, 4);
	memcpy(req + 38, &tpa, 4);
	PLT_CHECK(send(peer, req, sizeof(req), 0) == (ssize_t)sizeof(req), "send");
	struct arp_want w;
	memcpy(w.lw_mac, want_mac, 6);
	PLT_CHECK(wait_frame(peer, is_arp_reply, &w), "no ARP reply from lwIP within 10 s");
	struct pktlink_lwip_stats st;
	pktlink_lwip_get_stats(nl, &st);
	PLT_CHECK(st.rx_frames >= 1 && st.tx_frames >= 1, "counters rx %llu tx %llu",
		  (unsigned long long)st.rx_frames, (unsigned long long)st.tx_frames);
	finish(nl, ep, peer);
	return 0;
}

static bool is_port_unreach(const uint8_t *p, ssize_t n, void *arg)
{
	/* IPv4, protocol ICMP, type 3 code 3, from lwIP's address */
	uint32_t src;
	if (n < 28 || (p[0] >> 4) != 4 || p[9] != 1)
		return false;
	memcpy(&src, p + 12, 4);
	unsigned ihl = (p[0] & 15u) * 4;
	return ntohl(src) == LW_IP && (ssize_t)ihl + 2 <= n && p[ihl] == 3 && p[ihl + 1] == 3;
}

/* A link without Ethernet header: lwIP takes IP packets as they are (UDP to a
 * closed port is answered with ICMP port unreachable). */
static int t_no_header(void)
{
	int peer;
	struct pktlink_ep *ep;
	struct pktlink_lwip *nl = start("none", NULL, &ep, &peer);
	uint8_t f[128], mac[6] = { 0 };
	uint32_t len = plt_build_udp(f, mac, mac, PEER_IP, LW_IP, 40000, 9, "hello", 5);
	PLT_CHECK(send(peer, f + 14, len - 14, 0) == (ssize_t)(len - 14), "send");
	PLT_CHECK(wait_frame(peer, is_port_unreach, NULL), "no ICMP port unreachable within 10 s");
	finish(nl, ep, peer);
	return 0;
}

/* The peer closes its end: link down with the endpoint's reason. */
static int t_peer_gone(void)
{
	int peer;
	struct pktlink_ep *ep;
	struct link_log log = { 0 };
	struct pktlink_lwip_opts o = { .link_cb = on_link, .link_ctx = &log };
	struct pktlink_lwip *nl = start("eth", &o, &ep, &peer);
	close(peer);
	uint64_t deadline = plt_now_ns() + 10ull * 1000000000ull;
	for (;;) {
		LOCK_TCPIP_CORE();
		int downs = log.downs;
		UNLOCK_TCPIP_CORE();
		if (downs)
			break;
		PLT_CHECK(plt_now_ns() < deadline, "peer gone not reported within 10 s");
		usleep(10000);
	}
	PLT_CHECK(log.last_reason < 0 && pktlink_lwip_peer_gone(nl) == log.last_reason,
		  "reason %d, peer_gone %d", log.last_reason, pktlink_lwip_peer_gone(nl));
	LOCK_TCPIP_CORE();
	bool link = netif_is_link_up(pktlink_lwip_netif(nl));
	UNLOCK_TCPIP_CORE();
	PLT_CHECK(!link, "netif link still up");
	PLT_CHECK(pktlink_lwip_set_link(nl, true) == -ENOTCONN, "link up after peer gone");
	finish(nl, ep, -1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "options", t_options, PLT_UNIT, 60 },
		{ "arp", t_arp, PLT_UNIT, 60 },
		{ "no_header", t_no_header, PLT_UNIT, 60 },
		{ "peer_gone", t_peer_gone, PLT_UNIT, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
