/* SPDX-License-Identifier: MIT */
/*
 * bench_peer.c — the reference peers of bench/ as scenarios of `pktlink
 * bench --peers`: DPDK's net_af_packet and net_tap PMDs (bench/dpdk_peer)
 * and libpcap (bench/pcap_peer). They run as separate processes in the
 * bench's namespace, on the measured CPU, fed by the same generator and
 * counted by the same sink as pktlink's own scenarios, interleaved with
 * them run by run. The xdp/shm helpers add their peers (net_af_xdp,
 * net_memif, the libxdp reference) in their own bench_*.c with
 * bench_peer_run().
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>

/* A peer scenario: the argument vector and what the framework must do around it. */
struct peer_arg {
	enum bench_peer_kind kind;
	const char *tap; /* the TAP the peer creates, for the *_TAP kinds */
	const char *argv[32];
};

/* The DPDK EAL arguments that work here without hugepages (shared/reference/peers-here.md). */
#define DPDK_EAL "--no-huge", "-m", "512", "--no-pci", "--file-prefix", "{prefix}", "-l", "{cpu}", \
		 "--log-level", "*:error"
/* The peer's own options after "--". */
#define DPDK_APP(mode)                                                                          \
	"--", "--mode", mode, "--duration", "{dur}", "--warmup", "{warm}", "--len", "{len}",   \
		"--dmac", "{dmac}", "--smac", "{smac}", "--sip", "{sip}", "--dip", "{dip}"

static const struct peer_arg dpdk_afp_rx = {
	BENCH_PEER_RX, NULL,
	{ "dpdk_peer", DPDK_EAL, "--vdev", "net_af_packet0,iface={dut},qpairs=1", DPDK_APP("rxdrop"),
	  NULL }
};
static const struct peer_arg dpdk_afp_tx = {
	BENCH_PEER_TX, NULL,
	{ "dpdk_peer", DPDK_EAL, "--vdev", "net_af_packet0,iface={dut},qpairs=1", DPDK_APP("txonly"),
	  NULL }
};
static const struct peer_arg dpdk_afp_fwd = {
	BENCH_PEER_FWD, NULL,
	{ "dpdk_peer", DPDK_EAL, "--vdev", "net_af_packet0,iface={dut},qpairs=1", DPDK_APP("l2fwd"),
	  NULL }
};
static const struct peer_arg dpdk_tap_rx = {
	BENCH_PEER_RX_TAP, "plbtapd",
	{ "dpdk_peer", DPDK_EAL, "--vdev", "net_tap0,iface=plbtapd", DPDK_APP("rxdrop"), NULL }
};
static const struct peer_arg dpdk_tap_tx = {
	BENCH_PEER_TX_TAP, "plbtapd",
	{ "dpdk_peer", DPDK_EAL, "--vdev", "net_tap0,iface=plbtapd", DPDK_APP("txonly"), NULL }
};
static const struct peer_arg pcap_rx = {
	BENCH_PEER_RX, NULL,
	{ "pcap_peer", "--iface", "{dut}", "--duration", "{dur}", "--warmup", "{warm}", "--cpu",
	  "{cpu}", NULL }
};
static const struct peer_arg pcap_rx_imm = {
	BENCH_PEER_RX, NULL,
	{ "pcap_peer", "--iface", "{dut}", "--duration", "{dur}", "--warmup", "{warm}", "--cpu",
	  "{cpu}", "--immediate", NULL }
};

/* peer_setup() - skip (with the reason) when the peer program was not built. */
static int peer_setup(struct bench_env *env, const struct bench_scenario *s, void **state,
		      char *err, size_t errlen)
{
	const struct peer_arg *a = s->arg;
	char path[512];
	if (!bench_peer_path(env, a->argv[0], path, sizeof(path))) {
		snprintf(err, errlen, "%s/%s not built (needs %s)", env->peer_dir, a->argv[0],
			 a->argv[0][0] == 'd' ? "libdpdk-dev" : "libpcap-dev");
		return -ENOTSUP;
	}
	return 0;
}

/* peer_run() - one window of the peer. */
static int peer_run(struct bench_env *env, const struct bench_scenario *s, void *state,
		    struct bench_result *res, char *err, size_t errlen)
{
	const struct peer_arg *a = s->arg;
	return bench_peer_run(env, a->argv, a->kind, a->tap, res, err, errlen);
}

static const struct bench_scenario peer_scenarios[] = {
	{ .name = "dpdk-af_packet/rxdrop", .family = "peer",
	  .desc = "DPDK net_af_packet PMD: receive and drop", .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN,
	  .arg = &dpdk_afp_rx, .setup = peer_setup, .run = peer_run,
	  .limit = BENCH_LIMIT_STACK },
	{ .name = "dpdk-af_packet/txonly", .family = "peer",
	  .desc = "DPDK net_af_packet PMD: transmit to the XDP sink", .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN,
	  .arg = &dpdk_afp_tx, .setup = peer_setup, .run = peer_run },
	{ .name = "dpdk-af_packet/l2fwd", .family = "peer",
	  .desc = "DPDK net_af_packet PMD: receive, swap MACs, send back (counted at the sink)",
	  .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN, .arg = &dpdk_afp_fwd, .setup = peer_setup,
	  .run = peer_run },
	{ .name = "dpdk-tap/rxdrop", .family = "peer",
	  .desc = "DPDK net_tap PMD: receive (frames redirected into the TAP) and drop",
	  .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN, .arg = &dpdk_tap_rx, .setup = peer_setup,
	  .run = peer_run, .limit = BENCH_LIMIT_GEN },
	{ .name = "dpdk-tap/txonly", .family = "peer",
	  .desc = "DPDK net_tap PMD: transmit into the TAP (XDP sink on the TAP)",
	  .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN, .arg = &dpdk_tap_tx, .setup = peer_setup,
	  .run = peer_run },
	{ .name = "pcap/rxdrop", .family = "peer",
	  .desc = "libpcap capture loop (TPACKET_V3, 1 ms timeout), counting packets",
	  .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN, .arg = &pcap_rx, .setup = peer_setup,
	  .run = peer_run, .limit = BENCH_LIMIT_STACK },
	{ .name = "pcap-immediate/rxdrop", .family = "peer",
	  .desc = "libpcap in immediate mode, counting packets",
	  .flags = BENCH_F_PEER | BENCH_F_NEEDS_GEN | BENCH_F_EXTRA_RUN, .arg = &pcap_rx_imm,
	  .setup = peer_setup, .run = peer_run, .limit = BENCH_LIMIT_STACK },
};
BENCH_REGISTER(peer_scenarios)
