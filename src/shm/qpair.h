/* SPDX-License-Identifier: MIT */
/*
 * qpair.h — queues and queue pairs as kernel objects: the five regions of a
 * queue (memfd, or unlinked files in a directory), their mappings, the
 * conversion to and from the seed's five descriptors, and the hand-over of
 * a whole pair to another process over a unix socket (SCM_RIGHTS) with a
 * handshake that checks versions and sizes.
 *
 * Lifecycle: a struct pl_shm_queue starts with pl_shm_queue_reset() (all
 * fds -1, nothing mapped); every later step records what it took, and
 * pl_shm_queue_close() undoes exactly that, whatever step failed. Every
 * setup step calls pl_fault() first, so tests can fail each one.
 *
 * Thread safety: setup and teardown only; one thread per object.
 * Private to the library.
 */
#ifndef PL_SHM_QPAIR_H
#define PL_SHM_QPAIR_H

#include <pktlink/shm.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_SHM_WIRE_VERSION 1u
#define PL_SHM_MAX_DATA_SIZE (1ull << 32) /* 4 GiB per data region */
#define PL_SHM_MIN_SHARED_SIZE 8u /* the notification word and some slack */

/** struct pl_shm_region - one mapping. */
struct pl_shm_region {
	uint8_t *base; /* NULL when not mapped */
	uint64_t len;
};

/** struct pl_shm_queue - one queue: five descriptors and four mappings. */
struct pl_shm_queue {
	int fds[PKTLINK_SHM_QUEUE_FDS]; /* owned; -1 when absent */
	struct pl_shm_region data, tx_pipe, rx_pipe, shared;
};

/** struct pl_shm_queue_sizes - region sizes of a queue. */
struct pl_shm_queue_sizes {
	uint64_t data, tx_pipe, rx_pipe, shared;
};

/** pl_shm_queue_reset() - the empty state (fds -1, nothing mapped). */
void pl_shm_queue_reset(struct pl_shm_queue *q);

/**
 * pl_shm_queue_create() - create the five objects of a queue: four memory
 * regions (memfd sealed against resizing when @dir is NULL, else unlinked
 * files in @dir) and a non-blocking eventfd, then map the regions and
 * write the initial free header of both pipes.
 * On failure the queue keeps what was made; pl_shm_queue_close() frees it.
 * Return: 0, or a negative errno with a reason in @err.
 */
int pl_shm_queue_create(struct pl_shm_queue *q, const struct pl_shm_queue_sizes *sz,
			const char *dir, char *err, size_t errlen);

/**
 * pl_shm_queue_adopt() - take duplicates of the five descriptors of a
 * queue (the seed's order). The caller keeps its own.
 */
int pl_shm_queue_adopt(struct pl_shm_queue *q, const int fds[PKTLINK_SHM_QUEUE_FDS], char *err,
		       size_t errlen);

/**
 * pl_shm_queue_map() - check and map the regions of a queue whose
 * descriptors came from elsewhere: each memory fd must be a regular file of
 * a sane size (pipes 32 B..2 GiB, data 1 B..4 GiB, shared >= 8 B), sealed
 * against shrinking unless @allow_unsealed (a shrunk mapping would fault on
 * access), and the eventfd slot must hold an eventfd (made non-blocking).
 * When @want is not NULL its sizes must match exactly (the handshake's).
 */
int pl_shm_queue_map(struct pl_shm_queue *q, const struct pl_shm_queue_sizes *want,
		     bool allow_unsealed, char *err, size_t errlen);

/** pl_shm_queue_close() - unmap and close whatever the queue holds; safe twice. */
void pl_shm_queue_close(struct pl_shm_queue *q);

/** pl_shm_queue_sizes_of() - the sizes of a mapped queue. */
void pl_shm_queue_sizes_of(const struct pl_shm_queue *q, struct pl_shm_queue_sizes *sz);

/** struct pl_shm_hello - what the client announces with its descriptors. */
struct pl_shm_hello {
	uint32_t version;
	uint32_t mtu;
	uint32_t buffer_size;
	uint32_t vnet_hdr;
	struct pl_shm_queue_sizes sizes[2]; /* [0] TX queue, [1] RX queue */
};

/**
 * pl_shm_send_qp() - client: send @h and the ten descriptors of @fds over
 * the connected SOCK_SEQPACKET socket @sock, then wait (up to @timeout_ms,
 * -1 = forever) for the server's verdict.
 * Return: 0, the server's refusal (negative errno, its reason in @err), or
 * a negative errno of the transfer.
 */
int pl_shm_send_qp(int sock, const struct pl_shm_hello *h, const struct pktlink_shm_fds *fds,
		   int timeout_ms, char *err, size_t errlen);

/**
 * pl_shm_recv_qp() - server: receive a hello and exactly ten descriptors
 * (owned by the caller on success, all closed on failure) within
 * @timeout_ms. Checks the magic and the version.
 * Return: 0; -ECONNABORTED when the peer closed without sending anything (a
 * probe, not a client); another negative errno (reason in @err).
 */
int pl_shm_recv_qp(int sock, struct pl_shm_hello *h, struct pktlink_shm_fds *fds, int timeout_ms,
		   char *err, size_t errlen);

/** pl_shm_reply() - server: send the verdict (0 or a negative errno, with a reason). */
int pl_shm_reply(int sock, int status, const char *reason);

#endif /* PL_SHM_QPAIR_H */
