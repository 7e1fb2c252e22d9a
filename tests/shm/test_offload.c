/* SPDX-License-Identifier: MIT */
/*
 * test_offload: the transmit contract on shm links without a virtio-net
 * header (core/tx_prep.h). A partial checksum is completed and a GSO
 * super-packet (TCPv4, TCPv6, UDP_L4) is cut into MTU-sized segments by
 * the sender, in both roles and with frames spread over several buffers;
 * the receiver checks every segment byte for byte with full checksums.
 * A super-packet that does not fit now is sent whole later or not at all,
 * never in part.
 */
#include "shm_testlib.h"

#include "core/offload_testlib.h"

struct link {
	struct pktlink_ep *cli, *srv;
};

static void link_open(struct link *l, uint32_t mtu, uint32_t buffer_size, uint64_t data_size)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
	c.mtu = s.mtu = mtu;
	c.buffer_size = buffer_size;
	c.data_size = data_size;
	struct pktlink_shm_fds fds;
	char err[256];
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&c, &fds, -1, &l->cli, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&s, &fds, -1, &l->srv, err, sizeof(err)) == 0, "%s", err);
	pktlink_shm_fds_close(&fds);
	struct pktlink_info in;
	pktlink_get_info(l->cli, &in);
	PLT_CHECK((in.caps & PKTLINK_CAP_TX_CSUM_OFFLOAD) && in.gso_kind == PKTLINK_GSO_KIND_SOFTWARE,
		  "caps %#x gso_kind %u", in.caps, in.gso_kind);
}

/* Send one super-packet from tx; check its n segments at rx. */
static void gso_once(struct pktlink_ep *tx, struct pktlink_ep *rx, bool v6, bool udp, uint32_t mtu)
{
	static uint8_t sp[70000];
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, v6, udp, 30000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	PLT_CHECK(len, "build");
	ot_make_partial(sp, &s, &lo);
	uint32_t mss = mtu + 14 - lo.pay;
	struct pktlink_pkt p = { .data = sp, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = (uint16_t)lo.l4, .csum_offset = udp ? 6 : 16,
				 .gso_size = (uint16_t)mss,
				 .gso_type = udp ? PKTLINK_GSO_UDP_L4 : v6 ? PKTLINK_GSO_TCPV6 : PKTLINK_GSO_TCPV4 };
	uint32_t n = (s.payload + mss - 1) / mss;
	PLT_CHECK(pktlink_tx_burst(tx, &p, 1) == 1, "super-packet not taken");
	uint32_t got = 0;
	char why[160];
	for (int spin = 0; got < n && spin < 5000; spin++) {
		struct pktlink_pkt r[64];
		int k = pktlink_rx_burst(rx, r, 64);
		PLT_CHECK(k >= 0, "rx %d", k);
		for (int i = 0; i < k; i++, got++)
			PLT_CHECK(ot_check_segment(r[i].data, r[i].len, &s, &lo, mss, got, n, false, true,
						   why, sizeof(why)),
				  "%s", why);
		if (k)
			pktlink_rx_release(rx, r, (unsigned)k);
		else
			usleep(1000);
	}
	PLT_CHECK(got == n, "%u of %u segments", got, n);
}

static int gso_both_roles(void)
{
	struct { uint32_t mtu, buf; } shapes[] = { { 1500, 2048 }, { 9000, 2048 } };
	for (unsigned k = 0; k < 2; k++) {
		struct link l;
		link_open(&l, shapes[k].mtu, shapes[k].buf, 0);
		for (int v = 0; v < 3; v++) {
			gso_once(l.cli, l.srv, v == 1, v == 2, shapes[k].mtu);
			gso_once(l.srv, l.cli, v == 1, v == 2, shapes[k].mtu);
		}
		struct pktlink_stats st;
		pktlink_get_stats(l.cli, &st);
		PLT_CHECK(st.tx_drop_invalid == 0 && st.tx_packets == 3, "client tx %llu invalid %llu",
			  (unsigned long long)st.tx_packets, (unsigned long long)st.tx_drop_invalid);
		pktlink_close(l.cli);
		pktlink_close(l.srv);
	}
	return 0;
}

static int csum_completed(void)
{
	struct link l;
	link_open(&l, 1500, 2048, 0);
	static uint8_t f[2000];
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, false, false, 1000);
	uint32_t len = ot_build(f, sizeof(f), &s, &lo);
	ot_make_partial(f, &s, &lo);
	struct pktlink_pkt p = { .data = f, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = (uint16_t)lo.l4, .csum_offset = 16 };
	PLT_CHECK(pktlink_tx_burst(l.cli, &p, 1) == 1, "taken");
	/* A lent buffer: completed in place. */
	struct pktlink_pkt b;
	PLT_CHECK(pktlink_tx_alloc(l.cli, &b, 1) == 1, "alloc");
	memcpy(b.data, f, len);
	b.len = len;
	b.flags |= PKTLINK_PKT_CSUM_PARTIAL;
	b.csum_start = (uint16_t)lo.l4;
	b.csum_offset = 16;
	PLT_CHECK(pktlink_tx_burst(l.cli, &b, 1) == 1, "lent taken");
	struct pktlink_pkt r[4];
	int n = 0;
	for (int spin = 0; n < 2 && spin < 2000; spin++) {
		int k = pktlink_rx_burst(l.srv, r + n, 2);
		n += k > 0 ? k : 0;
		if (!k)
			usleep(1000);
	}
	char why[160];
	PLT_CHECK(n == 2, "received %d", n);
	for (int i = 0; i < 2; i++)
		PLT_CHECK(ot_check_segment(r[i].data, r[i].len, &s, &lo, 1000, 0, 1, false, true, why,
					   sizeof(why)),
			  "frame %d: %s", i, why);
	pktlink_rx_release(l.srv, r, 2);
	pktlink_close(l.cli);
	pktlink_close(l.srv);
	return 0;
}

/* Buffers for ~10 frames only: a 30000-byte super-packet (21 segments)
 * cannot go whole. It must not go in part: nothing arrives, it stays the
 * caller's (0 taken), and the link still carries plain frames. */
static int gso_all_or_nothing(void)
{
	struct link l;
	link_open(&l, 1500, 2048, 10 * 2048);
	static uint8_t sp[40000];
	struct ot_spec s;
	struct ot_layout lo;
	ot_default(&s, 14, false, false, 30000);
	uint32_t len = ot_build(sp, sizeof(sp), &s, &lo);
	ot_make_partial(sp, &s, &lo);
	struct pktlink_pkt p = { .data = sp, .len = len, .flags = PKTLINK_PKT_CSUM_PARTIAL,
				 .csum_start = (uint16_t)lo.l4, .csum_offset = 16, .gso_size = 1448,
				 .gso_type = PKTLINK_GSO_TCPV4 };
	PLT_CHECK(pktlink_tx_burst(l.cli, &p, 1) == 0, "a super-packet that cannot fit was taken");
	struct pktlink_pkt r[32];
	PLT_CHECK(pktlink_rx_burst(l.srv, r, 32) == 0, "part of it arrived");
	struct pktlink_pkt plain = { .data = sp, .len = 1000 };
	PLT_CHECK(pktlink_tx_burst(l.cli, &plain, 1) == 1, "plain frame after");
	int k = 0;
	for (int spin = 0; !k && spin < 2000; spin++)
		if (!(k = pktlink_rx_burst(l.srv, r, 32)))
			usleep(1000);
	PLT_CHECK(k == 1 && r[0].len == 1000, "plain frame: %d", k);
	pktlink_rx_release(l.srv, r, 1);
	pktlink_close(l.cli);
	pktlink_close(l.srv);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "gso_both_roles", gso_both_roles, PLT_UNIT, 60 },
		{ "csum_completed", csum_completed, PLT_UNIT, 60 },
		{ "gso_all_or_nothing", gso_all_or_nothing, PLT_UNIT, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
