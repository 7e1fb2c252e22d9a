/* SPDX-License-Identifier: MIT */
/*
 * instr_loop.h — what bench/memif_instr.c and bench/shm_instr.c share: the
 * per-side functions callgrind counts, and the loop that alternates a
 * sender's bursts with a receiver's in one thread.
 *
 * INSTR_TXF(nm) and INSTR_RXF(nm) define one side's public calls as a
 * function of their own (noinline, and -fno-ipa-icf keeps the compiler from
 * folding twins), so callgrind_annotate --inclusive=yes shows each by name.
 * rx_* include the release.
 */
#ifndef PKTLINK_BENCH_INSTR_LOOP_H
#define PKTLINK_BENCH_INSTR_LOOP_H

#include <pktlink/pktlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define INSTR_TXF(nm)                                                                            \
	static __attribute__((noinline, noclone)) int nm(struct pktlink_ep *ep, struct pktlink_pkt *p, unsigned n) \
	{                                                                                          \
		return pktlink_tx_burst(ep, p, n);                                                 \
	}
#define INSTR_RXF(nm)                                                                            \
	static __attribute__((noinline, noclone)) int nm(struct pktlink_ep *ep, struct pktlink_pkt *p, unsigned n) \
	{                                                                                          \
		int r = pktlink_rx_burst(ep, p, n);                                                \
		if (r > 0)                                                                         \
			pktlink_rx_release(ep, p, (unsigned)r);                                    \
		return r;                                                                          \
	}

/**
 * instr_args() - the programs' arguments, ITERS (20000), TX_BURST (32, <=
 * 64) and RX_BURST (64, <= 256); @prog names the program in the usage line.
 * Return: 0, or 2 after printing the usage.
 */
static inline int instr_args(int argc, char **argv, const char *prog, unsigned *iters,
			     unsigned *txb, unsigned *rxb)
{
	*iters = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
	*txb = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
	*rxb = argc > 3 ? (unsigned)atoi(argv[3]) : 64;
	if (!*txb || *txb > 64 || !*rxb || *rxb > 256) {
		fprintf(stderr, "usage: %s [ITERS [TX_BURST<=64 [RX_BURST<=256]]]\n", prog);
		return 2;
	}
	return 0;
}

typedef int (*instr_burst_fn)(struct pktlink_ep *, struct pktlink_pkt *, unsigned);

/**
 * instr_run() - @iters rounds of: sender @s bursts of @txb through @tx until
 * at least @rxb frames went, then receiver @r takes them all in bursts of
 * up to @rxb through @rx. Unless @lent (the sender fills lent buffers
 * itself), each burst sends views of @frame (@len bytes). Prints the
 * totals under @name. Return 0, or 1 when a side fails or stalls.
 */
static inline int instr_run(const char *name, struct pktlink_ep *s, struct pktlink_ep *r,
			    instr_burst_fn tx, instr_burst_fn rx, unsigned iters, unsigned txb,
			    unsigned rxb, bool lent, uint8_t *frame, uint32_t len)
{
	struct pktlink_pkt txp[64], rxp[256];
	uint64_t sent = 0, got = 0;
	if (txb > 64 || rxb > 256)
		return 1;
	for (unsigned i = 0; i < iters; i++) {
		unsigned burst = 0;
		while (burst < rxb) {
			for (unsigned k = 0; !lent && k < txb; k++)
				txp[k] = (struct pktlink_pkt){ .data = frame, .len = len };
			int n = tx(s, txp, txb);
			if (n <= 0) {
				fprintf(stderr, "%s: tx: %d\n", name, n);
				return 1;
			}
			burst += (unsigned)n;
		}
		sent += burst;
		for (unsigned k = 0; k < burst;) {
			int n = rx(r, rxp, rxb);
			if (n <= 0) {
				fprintf(stderr, "%s: rx: %d\n", name, n);
				return 1;
			}
			k += (unsigned)n;
			got += (unsigned)n;
		}
	}
	printf("%s: sent %llu received %llu\n", name, (unsigned long long)sent,
	       (unsigned long long)got);
	return 0;
}

#endif
