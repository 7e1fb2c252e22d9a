/* SPDX-License-Identifier: MIT */
/*
 * shm_instr.c — instructions per packet of the shm data path, for
 * callgrind: a client and a server endpoint on one queue pair in one
 * process (no peer socket), then one thread alternating sender bursts and
 * receiver bursts, first C2S then S2C. Deterministic and independent of
 * machine load, unlike `pktlink bench`; cache effects between two CPUs are
 * not in it (bench/README.md, "shm data path"). bench/memif_instr.c is the
 * same for memif.
 *
 *   cmake --build build --target shm_instr     (bench/CMakeLists.txt)
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out build/bench/shm_instr 20000 32 64
 *   callgrind_annotate --inclusive=yes /tmp/cg.out | grep -E 'tx_c2s|rx_c2s|tx_s2c|rx_s2c'
 *
 * Each of tx_c2s, rx_c2s, tx_s2c, rx_s2c (its own function: -fno-ipa-icf
 * keeps the compiler from folding them) covers the public calls of one
 * side; divide by ITERS x RX_BURST packets. rx_* include the release.
 * Arguments: ITERS (20000), TX_BURST (32, as the bench's flood), RX_BURST
 * (64, as the bench's receiver); 64-byte frames, default queue sizes,
 * busy_poll on both sides (as the bench's throughput rows with -p).
 */
#include "instr_loop.h"

#include <pktlink/pktlink.h>
#include <pktlink/shm.h>
#include <stdio.h>
#include <stdlib.h>

INSTR_TXF(tx_c2s)
INSTR_TXF(tx_s2c)
INSTR_RXF(rx_c2s)
INSTR_RXF(rx_s2c)

int main(int argc, char **argv)
{
	unsigned iters, txb, rxb;
	if (instr_args(argc, argv, "shm_instr", &iters, &txb, &rxb))
		return 2;
	struct pktlink_shm_opts co = { .sz = sizeof(co), .role = PKTLINK_SHM_CLIENT, .busy_poll = 1 };
	struct pktlink_shm_opts so = { .sz = sizeof(so), .role = PKTLINK_SHM_SERVER, .busy_poll = 1 };
	struct pktlink_shm_fds fds;
	struct pktlink_ep *cli = NULL, *srv = NULL;
	char e[256] = "";
	if (pktlink_shm_qp_create(&co, &fds, e, sizeof(e)) ||
	    pktlink_shm_open(&co, &fds, -1, &cli, e, sizeof(e)) ||
	    pktlink_shm_open(&so, &fds, -1, &srv, e, sizeof(e))) {
		fprintf(stderr, "open: %s\n", e);
		return 1;
	}
	pktlink_shm_fds_close(&fds);
	uint8_t frame[64] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5 };
	int bad = instr_run("c2s", cli, srv, tx_c2s, rx_c2s, iters, txb, rxb, false, frame, 64) ||
		  instr_run("s2c", srv, cli, tx_s2c, rx_s2c, iters, txb, rxb, false, frame, 64);
	pktlink_close(cli);
	pktlink_close(srv);
	return bad;
}
