/* SPDX-License-Identifier: MIT */
/*
 * test_fwd: `pktlink fwd` with a memif port towards DPDK's net_memif.
 *
 *   tap_to_dpdk:  kernel (this namespace) -- TAP -- pktlink fwd -- memif --
 *                 DPDK forwarding to net_af_packet -- veth -- kernel (a
 *                 second namespace): ping and a TCP transfer (iperf3).
 *   shm_to_dpdk:  a pktlink process on gVisor's shared-memory format (shm
 *                 client) -- pktlink fwd shm: memif: -- DPDK echo: frames
 *                 come back byte-exact.
 */
#include "dpdk_testlib.h"

#include <pktlink/shm.h>

static pid_t g_fwd;

/* Start `pktlink fwd a b` in the background (stdout/stderr to ours). */
static void fwd_start(const char *a, const char *b)
{
	g_fwd = fork();
	PLT_CHECK(g_fwd >= 0, "fork");
	if (g_fwd == 0) {
		execl(PL_TOOL_BIN, PL_TOOL_BIN, "fwd", a, b, "--duration", "120", "--quiet",
		      (char *)NULL);
		_exit(127);
	}
}

static void fwd_stop(void)
{
	kill(g_fwd, SIGTERM);
	if (mt_wait(g_fwd, 10) < 0)
		fprintf(stderr, "pktlink fwd did not stop on SIGTERM\n");
}

static int tap_to_dpdk(void)
{
	if (!have_peer())
		return PLT_SKIP;
	mk_sock();
	char ns[64];
	snprintf(ns, sizeof(ns), "plm%d", (int)getpid());
	plt_sh_ok("ip netns add %s", ns);
	plt_sh_ok("ip link add plmA type veth peer name plmB");
	plt_sh_ok("ip link set plmB netns %s", ns);
	plt_sh_ok("ip link set plmA up");
	plt_sh_ok("ip netns exec %s sh -c 'ip link set lo up && ip link set plmB up && "
		  "ip addr add 198.18.7.2/24 dev plmB && ethtool -K plmB tx off >/dev/null'",
		  ns);
	/* DPDK forwards between its memif server and the veth end. */
	struct dpdk d;
	static const char *const args[] = { "--mode", "fwd", NULL };
	dpdk_start(&d, "server", NULL, "net_af_packet0,iface=plmA,qpairs=1", args);
	char memif[200];
	snprintf(memif, sizeof(memif), "memif:%s?role=client", g_sock);
	fwd_start("tap:plmT", memif);
	uint64_t end = plt_now_ns() + 20000000000ull;
	while (plt_sh("ip link show plmT >/dev/null 2>&1") != 0) {
		PLT_CHECK(plt_now_ns() < end, "the TAP never appeared");
		usleep(10000);
	}
	PLT_CHECK(dpdk_expect(&d, "READY", 20, NULL, 0) == 0, "memif link never came up");
	plt_sh_ok("ip addr add 198.18.7.1/24 dev plmT && ip link set plmT up");
	int ok = -1;
	for (int i = 0; i < 10 && ok; i++)
		ok = plt_sh("ping -c 3 -i 0.2 -W 2 198.18.7.2 >/dev/null");
	PLT_CHECK(ok == 0, "ping through tap -> pktlink fwd -> memif -> DPDK -> veth failed");
	plt_sh_ok("ip netns exec %s iperf3 -s -1 -D -p 5201 >/dev/null 2>&1", ns);
	int tcp = -1;
	for (int i = 0; i < 20 && tcp; i++) {
		tcp = plt_sh("iperf3 -c 198.18.7.2 -p 5201 -n 4M >/dev/null 2>&1");
		if (tcp)
			usleep(100000);
	}
	PLT_CHECK(tcp == 0, "TCP (iperf3, 4 MB) through the memif path failed");
	fwd_stop();
	char res[256];
	dpdk_stop(&d, res, sizeof(res));
	plt_sh("ip netns del %s", ns);
	rm_sock();
	return 0;
}

static int shm_to_dpdk(void)
{
	if (!have_peer())
		return PLT_SKIP;
	mk_sock();
	char shm_sock[128], shm_spec[200], memif[200];
	snprintf(shm_sock, sizeof(shm_sock), "%s/shm.sock", g_dir);
	snprintf(shm_spec, sizeof(shm_spec), "shm:%s?role=server", shm_sock);
	snprintf(memif, sizeof(memif), "memif:%s?role=client", g_sock);
	struct dpdk d;
	static const char *const args[] = { "--mode", "echo", "--check", NULL };
	dpdk_start(&d, "server", NULL, NULL, args);
	fwd_start(shm_spec, memif);
	wait_file(shm_sock);
	/* The gVisor-format side: a shm client in this process. */
	char spec[200], err[256];
	snprintf(spec, sizeof(spec), "shm:%s?role=client", shm_sock);
	struct pktlink_ep *ep;
	PLT_CHECK(pktlink_open(spec, &ep, err, sizeof(err)) == 0, "shm client: %s", err);
	PLT_CHECK(dpdk_expect(&d, "READY", 20, NULL, 0) == 0, "memif link never came up");
	struct mt_ex ex = { .tx_dir = 0, .rx_dir = 0, .count = 3000, .min = 60, .max = 1514,
			    .window = 64 };
	int r = mt_exchange(ep, &ex);
	pktlink_close(ep);
	fwd_stop();
	char res[256];
	dpdk_stop(&d, res, sizeof(res));
	PLT_CHECK(r == 0, "shm -> fwd -> memif -> DPDK echo and back");
	PLT_CHECK(strstr(res, "rx=3000 tx=3000 ready=1 bad=0"), "dpdk: %s", res);
	unlink(shm_sock);
	rm_sock();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "tap_to_dpdk", tap_to_dpdk, PLT_NETNS, 120 },
		{ "shm_to_dpdk", shm_to_dpdk, PLT_UNIT, 90 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
