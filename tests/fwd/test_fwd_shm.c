/* SPDX-License-Identifier: MIT */
/*
 * test_fwd_shm: two forwarders joined by shared memory carry kernel TCP
 * and UDP between two namespaces, with default specs:
 *   A <-> fwd X:near_a shm:SOCK?role=server   (first process)
 *         fwd shm:SOCK?role=client Y:near_b <-> B   (second process)
 * for X = Y in packet, tap, xdp (drv), xdp (skb), and one mixed pair.
 * The shm hop has no offloads by default, so partial checksums are completed
 * and GSO super-packets cut before they enter it.
 */
#include "fwd_pairs.h"

static int run_shm(enum ft_kind ka, enum ft_kind kb)
{
	char dir[64], sock[128], srv[192], cli[192];
	ft_tmpdir(dir);
	snprintf(sock, sizeof(sock), "%s/fwd.sock", dir);
	struct ft_side a, b;
	ft_side_setup(&a, ka, 1, "a");
	ft_side_setup(&b, kb, 2, "b");
	snprintf(srv, sizeof(srv), "shm:%s?role=server", sock);
	snprintf(cli, sizeof(cli), "shm:%s?role=client", sock);
	static struct ft_proc p1, p2;
	ft_fwd_start(&p1, (const char *const[]){ a.spec, srv, "--duration", "300", NULL });
	/* the server listens on the socket once it exists */
	uint64_t end = plt_now_ns() + 20000000000ull;
	while (access(sock, F_OK) != 0 && plt_now_ns() < end)
		usleep(10000);
	ft_fwd_start(&p2, (const char *const[]){ cli, b.spec, "--duration", "300", NULL });
	PLT_CHECK(ft_fwd_wait_for(&p1, "forwarding ", 30), "server fwd not ready:\n%s", p1.buf);
	PLT_CHECK(ft_fwd_wait_for(&p2, "forwarding ", 30), "client fwd not ready:\n%s", p2.buf);
	ft_side_after_open(&a);
	ft_side_after_open(&b);
	fprintf(stderr, "  %s <-> shm <-> %s\n", ft_kind_name[ka], ft_kind_name[kb]);
	ft_traffic(&a, &b, dir);
	ft_check_stopped(&p2, "client fwd");
	/* The server's peer is gone now: it stops by itself with exit 3,
	 * or by our SIGTERM (0) if it has not noticed yet. */
	int st = ft_fwd_stop(&p1);
	PLT_CHECK((st == 0 || st == 3) && strstr(p1.buf, "summary after"),
		  "server fwd: exit %d:\n%s", st, p1.buf);
	fprintf(stderr, "%s%s", p1.buf, p2.buf);
	ft_cleanup(&a, &b, dir);
	return 0;
}

#define SHM(x, y)                                \
	static int shm_##x##_##y(void)           \
	{                                        \
		return run_shm(FT_##x, FT_##y);  \
	}
SHM(PACKET, PACKET)
SHM(TAP, TAP)
SHM(XDP_DRV, XDP_DRV)
SHM(XDP_SKB, XDP_SKB)
SHM(PACKET, XDP_DRV)

#define CASE(x, y) { #x "_shm_" #y, shm_##x##_##y, PLT_NETNS, 150 }
static const struct plt_case cases[] = {
	CASE(PACKET, PACKET), CASE(TAP, TAP), CASE(XDP_DRV, XDP_DRV), CASE(XDP_SKB, XDP_SKB),
	CASE(PACKET, XDP_DRV),
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(*cases));
}
