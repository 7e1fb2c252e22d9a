/* SPDX-License-Identifier: MIT */
/*
 * shm_fixture.h — the queue pair the shm queue fuzz targets run against: one
 * per process (memfds are slow to create), with small pipes so inputs cover
 * whole regions, and a loader that resets every pipe and writes the input
 * into one of them. Header-only; included by fuzz_shm_rxq.c and
 * fuzz_shm_txq.c.
 */
#ifndef PKTLINK_FUZZ_SHM_FIXTURE_H
#define PKTLINK_FUZZ_SHM_FIXTURE_H

#include "shm/pipe.h"

#include <pktlink/shm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DATA_SIZE (64u << 10)
#define PIPE_SIZE 4096u

static struct pktlink_shm_fds fds;
static bool ready;

/* fixture() - create the queue pair once. */
static void fixture(void)
{
	if (ready)
		return;
	struct pktlink_shm_opts o = { .sz = sizeof(o), .data_size = DATA_SIZE, .pipe_size = PIPE_SIZE };
	if (pktlink_shm_qp_create(&o, &fds, NULL, 0))
		abort(); /* not an input problem: the machine cannot make memfds */
	ready = true;
}

/* load() - reset both pipes of both queues, then write data into pipe
 * `slot` (PKTLINK_SHM_FD_TX_PIPE / _RX_PIPE) of queue q (0 = tx, 1 = rx). */
static void load(int q, int slot, const uint8_t *data, size_t len)
{
	for (int k = 0; k < 2; k++)
		for (int s = PKTLINK_SHM_FD_TX_PIPE; s <= PKTLINK_SHM_FD_RX_PIPE; s++) {
			int fd = k ? fds.rx[s] : fds.tx[s];
			uint8_t *m = mmap(NULL, PIPE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (m == MAP_FAILED)
				abort();
			memset(m, 0, PIPE_SIZE);
			pl_pipe_init_region(m, PIPE_SIZE);
			if (k == q && s == slot)
				memcpy(m, data, len < PIPE_SIZE ? len : PIPE_SIZE);
			munmap(m, PIPE_SIZE);
		}
}

#endif
