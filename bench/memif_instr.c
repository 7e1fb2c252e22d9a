/* SPDX-License-Identifier: MIT */
/*
 * memif_instr.c — instructions per packet of the memif data path, for
 * callgrind: a client and a server endpoint in one process (the server
 * opened in a thread for the handshake), then one thread alternating
 * sender bursts and receiver bursts, first C2S then S2C. Deterministic and
 * independent of machine load, unlike `pktlink bench`; cache effects
 * between two CPUs are not in it (bench/README.md, "### memif").
 *
 *   cmake --build build --target memif_instr     (bench/CMakeLists.txt)
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out build/bench/memif_instr 20000 32 64
 *   callgrind_annotate --inclusive=yes /tmp/cg.out | grep -E 'tx_c2s|rx_c2s|tx_s2c|rx_s2c'
 *
 * Each of tx_c2s, rx_c2s, tx_s2c, rx_s2c (its own function: -fno-ipa-icf
 * keeps the compiler from folding them) covers the public calls of one
 * side; divide by ITERS x RX_BURST packets. rx_* include the release.
 * Then both directions again with the sender lending its buffers, as
 * memif/c2s-zc's flooder does (tools/bench_memif.c, zc_burst()):
 * tx_c2s_zc, tx_s2c_zc allocate TX_BURST, copy the frame into each
 * (memcpy() of a length known at run time, as the bench's), send and give
 * back the ones not taken; rx_c2s_zc, rx_s2c_zc receive them.
 * Arguments: ITERS (20000), TX_BURST (32, as the bench's flood), RX_BURST
 * (64, as the bench's receiver); 64-byte frames, default ring and buffers.
 */
#include "instr_loop.h"

#include <pktlink/memif.h>
#include <pktlink/pktlink.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char sock[64];
static struct pktlink_ep *srv;

static void *srv_open(void *a)
{
	struct pktlink_memif_opts o = { .sz = sizeof(o), .role = PKTLINK_MEMIF_SERVER,
					.socket = sock, .timeout_ms = 5000, .busy_poll = 1 };
	char e[256];
	if (pktlink_memif_open(&o, &srv, e, sizeof(e))) {
		fprintf(stderr, "server: %s\n", e);
		exit(1);
	}
	return a;
}

#define TXZF(nm)                                                                                 \
	static __attribute__((noinline, noclone)) int nm(struct pktlink_ep *ep, struct pktlink_pkt *p, unsigned n) \
	{                                                                                          \
		int a = pktlink_tx_alloc(ep, p, n);                                                \
		if (a <= 0)                                                                        \
			return a;                                                                  \
		for (int i = 0; i < a; i++) {                                                      \
			memcpy(p[i].data, frame, frame_len);                                       \
			p[i].len = frame_len;                                                      \
		}                                                                                  \
		int r = pktlink_tx_burst(ep, p, (unsigned)a);                                      \
		if (r < a)                                                                         \
			pktlink_tx_free(ep, p + (r > 0 ? r : 0), (unsigned)(a - (r > 0 ? r : 0)));   \
		return r;                                                                          \
	}
/* Not const: the bench's copy into a lent buffer has a run-time length. */
unsigned frame_len = 64;
static uint8_t frame[64] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5 };
INSTR_TXF(tx_c2s)
INSTR_TXF(tx_s2c)
INSTR_RXF(rx_c2s)
INSTR_RXF(rx_s2c)
TXZF(tx_c2s_zc)
TXZF(tx_s2c_zc)
INSTR_RXF(rx_c2s_zc)
INSTR_RXF(rx_s2c_zc)

int main(int argc, char **argv)
{
	unsigned iters, txb, rxb;
	if (instr_args(argc, argv, "memif_instr", &iters, &txb, &rxb))
		return 2;
	snprintf(sock, sizeof(sock), "/tmp/memif-instr-%d.sock", (int)getpid());
	unlink(sock);
	pthread_t th;
	pthread_create(&th, NULL, srv_open, NULL);
	struct pktlink_ep *cli = NULL;
	struct pktlink_memif_opts o = { .sz = sizeof(o), .role = PKTLINK_MEMIF_CLIENT,
					.socket = sock, .timeout_ms = 5000, .busy_poll = 1 };
	char e[256] = "";
	for (int t = 0; t < 500 && pktlink_memif_open(&o, &cli, e, sizeof(e)); t++)
		usleep(10000); /* until the server listens */
	if (!cli) {
		fprintf(stderr, "client: %s\n", e);
		return 1;
	}
	pthread_join(th, NULL);
	unlink(sock);
	static const struct {
		const char *name;
		instr_burst_fn tx, rx;
		bool s2c, zc;
	} runs[] = {
		{ "c2s", tx_c2s, rx_c2s, false, false },
		{ "s2c", tx_s2c, rx_s2c, true, false },
		{ "c2s-zc", tx_c2s_zc, rx_c2s_zc, false, true },
		{ "s2c-zc", tx_s2c_zc, rx_s2c_zc, true, true },
	};
	int bad = 0;
	for (unsigned run = 0; !bad && run < sizeof(runs) / sizeof(runs[0]); run++) {
		bool dir = runs[run].s2c;
		bad = instr_run(runs[run].name, dir ? srv : cli, dir ? cli : srv, runs[run].tx,
				runs[run].rx, iters, txb, rxb, runs[run].zc, frame, 64);
	}
	pktlink_close(cli);
	pktlink_close(srv);
	return bad;
}
