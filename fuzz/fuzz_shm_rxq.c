/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shm_rxq — the RX queue as the peer can corrupt it.
 *
 *   input = byte 0: mode; rest: the contents of one pipe region
 *
 * mode & 1 == 0: the client's receive path. The input is the RX queue's
 *   completion pipe (written by a hostile server); a client endpoint that
 *   posted its buffers pulls, checks every buffer against what it posted,
 *   and hands out frames (some multi-buffer, through bounce buffers).
 * mode & 1 == 1: the server's transmit path. The input is the RX queue's
 *   posted-buffer pipe (written by a hostile client); a server endpoint
 *   copies frames into those buffers.
 * Both also run the bare parsers over every record of the input, and the
 * L3 length reader (shm/trim.h) over the input as a frame.
 *
 * Invariants (trap on violation): parsed posts lie inside the data region,
 * completions' sizes add up; received frames are readable and at most the
 * endpoint's limit; every call returns; no leak (ASan).
 */
#include "fuzz.h"

#include "shm/queue.h"
#include "shm/trim.h"
#include "shm_fixture.h"

#include <pktlink/shm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void parsers(const uint8_t *data, size_t len)
{
	/* The L3 length of a padded frame: reads only the avail bytes given. */
	uint32_t l = pl_frame_l3_len(data, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	PL_FUZZ_CHECK(l == 0 || (l >= 22 && l <= 22 + 40 + 65535));
	static uint8_t r[PIPE_SIZE] __attribute__((aligned(8)));
	memset(r, 0, sizeof(r));
	memcpy(r, data, len < PIPE_SIZE ? len : PIPE_SIZE);
	struct pl_pipe_rx rx;
	pl_pipe_rx_init(&rx, r, PIPE_SIZE);
	const uint8_t *rec;
	uint32_t n;
	for (int i = 0; i < 600 && pl_pipe_rx_pull(&rx, &rec, &n) == PL_PIPE_RECORD; i++) {
		struct pl_rxq_post p;
		if (pl_rxq_parse_post(rec, n, DATA_SIZE, &p) == 0)
			PL_FUZZ_CHECK(p.size && p.offset + p.size <= DATA_SIZE);
		uint32_t size;
		struct pl_rxq_used u[PL_SHM_MAX_BUFS];
		int nb = pl_rxq_parse_completion(rec, n, &size, u);
		if (nb > 0) {
			uint64_t sum = 0;
			for (int k = 0; k < nb; k++)
				sum += u[k].used;
			PL_FUZZ_CHECK(size > 0 && size <= sum && sum <= UINT32_MAX);
		}
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
				      .mtu = (mode & 4) ? 9000 : 1500,
				      .buffer_size = (mode & 8) ? 512 : 2048 };
	struct pktlink_ep *ep;
	struct pktlink_pkt pkts[64];
	static uint8_t frame[9014];
	if (!(mode & 1)) {
		load(1, PKTLINK_SHM_FD_RX_PIPE, data, size);
		o.role = PKTLINK_SHM_CLIENT;
		if (pktlink_shm_open(&o, &fds, -1, &ep, NULL, 0))
			return 0;
		for (int round = 0; round < 4; round++) {
			int n = pktlink_rx_burst(ep, pkts, 64);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++) {
				PL_FUZZ_CHECK(pkts[i].len > 0 && pkts[i].len <= 9014);
				volatile uint8_t sink = 0;
				for (uint32_t k = 0; k < pkts[i].len; k++)
					sink ^= pkts[i].data[k];
				(void)sink;
			}
			/* Keep some views across rounds, release the rest. */
			pktlink_rx_release(ep, pkts, (unsigned)n);
		}
		pktlink_close(ep);
	} else {
		load(1, PKTLINK_SHM_FD_TX_PIPE, data, size);
		o.role = PKTLINK_SHM_SERVER;
		if (pktlink_shm_open(&o, &fds, -1, &ep, NULL, 0))
			return 0;
		memset(frame, 0x42, sizeof(frame));
		uint32_t maxlen = (mode & 4) ? 9014 : 1514;
		for (int round = 0; round < 4; round++) {
			for (int i = 0; i < 64; i++)
				pkts[i] = (struct pktlink_pkt){ .data = frame,
								.len = 60 + ((uint32_t)i * 977) % (maxlen - 59) };
			if (pktlink_tx_burst(ep, pkts, 64) < 0)
				break;
		}
		pktlink_close(ep);
	}
	return 0;
}

/* Seeds: a completion pipe naming posted buffers, and a posted-buffer pipe. */
size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 4 || cap < 1 + PIPE_SIZE)
		return 0;
	static uint8_t r[PIPE_SIZE] __attribute__((aligned(8)));
	memset(r, 0, sizeof(r));
	struct pl_pipe_tx tx;
	pl_pipe_init_region(r, PIPE_SIZE);
	pl_pipe_tx_init(&tx, r, PIPE_SIZE);
	buf[0] = (uint8_t)(i & 1);
	if (!(i & 1)) {
		/* Buffers of 2048 bytes, id = index: one-buffer and two-buffer frames. */
		for (uint64_t k = 0; k < 6; k++) {
			struct pl_rxq_post b[2] = { { 2 * k * 2048, 2048, 0, 2 * k },
						    { (2 * k + 1) * 2048, 2048, 0, 2 * k + 1 } };
			uint32_t used[2] = { 2048, 100 };
			if (i == 2 && (k & 1))
				pl_rxq_push_completion(&tx, 2148, b, used, 2);
			else
				pl_rxq_push_completion(&tx, (uint32_t)(60 + k * 200), b, used, 1);
		}
	} else {
		for (uint64_t k = 0; k < 16; k++) {
			struct pl_rxq_post b = { k * 2048, 2048, k, k };
			pl_rxq_push_post(&tx, &b);
		}
	}
	pl_pipe_tx_flush(&tx);
	memcpy(buf + 1, r, PIPE_SIZE);
	return 1 + PIPE_SIZE;
}
