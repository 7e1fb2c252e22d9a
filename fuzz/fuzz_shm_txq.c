/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shm_txq — the TX queue as the peer can corrupt it.
 *
 *   input = byte 0: mode; rest: the contents of one pipe region
 *
 * mode & 1 == 0: the server's receive path. The input is the TX queue's
 *   descriptor pipe (written by a hostile client); a server endpoint pulls,
 *   validates and hands out frames, then completes them.
 * mode & 1 == 1: the client's completion reaping. The input is the TX
 *   queue's completion pipe (written by a hostile server); a client endpoint
 *   transmits, which reaps completions first.
 * Both also run the bare parsers over every record of the input.
 *
 * Invariants (trap on violation): parsed buffers lie inside the data region;
 * received frames are at most 64 KiB + header and every byte is readable;
 * nothing hangs (every call returns) and nothing leaks (ASan).
 */
#include "fuzz.h"

#include "shm/queue.h"
#include "shm_fixture.h"

#include <pktlink/shm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void parsers(const uint8_t *data, size_t len)
{
	static uint8_t r[PIPE_SIZE] __attribute__((aligned(8)));
	memset(r, 0, sizeof(r));
	memcpy(r, data, len < PIPE_SIZE ? len : PIPE_SIZE);
	struct pl_pipe_rx rx;
	pl_pipe_rx_init(&rx, r, PIPE_SIZE);
	const uint8_t *rec;
	uint32_t n;
	for (int i = 0; i < 600 && pl_pipe_rx_pull(&rx, &rec, &n) == PL_PIPE_RECORD; i++) {
		uint64_t id;
		uint32_t total;
		struct pl_shm_buf b[PL_SHM_MAX_BUFS];
		int nb = pl_txq_parse_desc(rec, n, DATA_SIZE, &id, &total, b);
		if (nb > 0) {
			uint64_t sum = 0;
			for (int k = 0; k < nb; k++) {
				PL_FUZZ_CHECK(b[k].offset + b[k].size <= DATA_SIZE);
				sum += b[k].size;
			}
			PL_FUZZ_CHECK(total > 0 && total <= sum);
		}
		(void)pl_txq_parse_completion(rec, n, &id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fixture();
	uint8_t mode = data[0];
	data++;
	size--;
	parsers(data, size);

	struct pktlink_shm_opts o = { .sz = sizeof(o), .vnet_hdr = (mode & 2) != 0,
				      .mtu = (mode & 4) ? 9000 : 1500 };
	struct pktlink_ep *ep;
	struct pktlink_pkt pkts[64];
	static uint8_t frame[1514];
	if (!(mode & 1)) {
		load(0, PKTLINK_SHM_FD_TX_PIPE, data, size);
		o.role = PKTLINK_SHM_SERVER;
		if (pktlink_shm_open(&o, &fds, -1, &ep, NULL, 0))
			return 0;
		for (int round = 0; round < 4; round++) {
			int n = pktlink_rx_burst(ep, pkts, 64);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++) {
				PL_FUZZ_CHECK(pkts[i].len > 0 && pkts[i].len <= 9014 + 65536);
				volatile uint8_t sink = 0;
				for (uint32_t k = 0; k < pkts[i].len; k++)
					sink ^= pkts[i].data[k];
				(void)sink;
			}
			pktlink_rx_release(ep, pkts, (unsigned)n);
		}
		pktlink_close(ep);
	} else {
		load(0, PKTLINK_SHM_FD_RX_PIPE, data, size);
		o.role = PKTLINK_SHM_CLIENT;
		if (pktlink_shm_open(&o, &fds, -1, &ep, NULL, 0))
			return 0;
		memset(frame, 0x42, sizeof(frame));
		for (int round = 0; round < 4; round++) {
			for (int i = 0; i < 64; i++)
				pkts[i] = (struct pktlink_pkt){ .data = frame, .len = 60 + (uint32_t)i * 20 };
			if (pktlink_tx_burst(ep, pkts, 64) < 0)
				break;
		}
		pktlink_close(ep);
	}
	return 0;
}

/* Seeds: a descriptor pipe with real descriptors, and a completion pipe. */
size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 4 || cap < 1 + PIPE_SIZE)
		return 0;
	static uint8_t r[PIPE_SIZE] __attribute__((aligned(8)));
	memset(r, 0, sizeof(r));
	struct pl_pipe_tx tx;
	pl_pipe_init_region(r, PIPE_SIZE);
	pl_pipe_tx_init(&tx, r, PIPE_SIZE);
	buf[0] = (uint8_t)i;
	if (!(i & 1)) {
		uint32_t hdr = (i & 2) ? 10 : 0;
		for (uint64_t k = 0; k < 8; k++) {
			struct pl_shm_buf b[2] = { { k * 4096, 2048 }, { k * 4096 + 2048, 2048 } };
			uint32_t total = (uint32_t)(hdr + 60 + k * 400);
			pl_txq_push_desc(&tx, k, total, b, total > 2048 ? 2 : 1);
		}
	} else {
		for (uint64_t k = 0; k < 8; k++)
			pl_txq_push_completion(&tx, k * 3);
	}
	pl_pipe_tx_flush(&tx);
	memcpy(buf + 1, r, PIPE_SIZE);
	return 1 + PIPE_SIZE;
}
