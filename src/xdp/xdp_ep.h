/* SPDX-License-Identifier: MIT */
/*
 * xdp_ep.h — the xdp endpoint's private structures, shared by xdp_setup.c
 * (open, teardown, stats), xdp_rx.c (receive), xdp_tx.c (transmit, zero-copy
 * forwarding) and xdp_spec.c (the "xdp:" spec opener).
 *
 * Private to the library; only src/xdp includes it.
 */
#ifndef PL_XDP_EP_H
#define PL_XDP_EP_H

#include "prog.h"
#include "xsk.h"
#include "core/endpoint.h"
#include "core/tx_prep.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define PL_XDP_ETH_HLEN 14
/* Largest GSO super-packet (IP packet bytes) accepted for software
 * segmentation: what Linux hands out at most (GSO_LEGACY_MAX_SIZE). */
#define PL_XDP_GSO_MAX 65536u

struct pl_xdp_q {
	struct pktlink_xdp_umem *umem;
	struct pktlink_xdp_socket *sock;
	uint32_t qid; /* device queue id */
	bool in_map; /* we put the socket in the XSKMAP */
	uint32_t rx_cap; /* payload bytes a received frame can hold */
	/* Multi-buffer: contiguous copies of chained frames, handed out as
	 * views (priv has PL_XDP_PRIV_BOUNCE) until released. RX thread. */
	uint8_t *bounce;
	uint32_t bounce_sz, bounce_n;
	uint32_t *bounce_free, bounce_top;
	uint8_t *bounce_used; /* [bounce_n]: handed out */
	/* Frames are flowing: the last poll() found some within
	 * PL_XDP_FLOWING_NS, so the next wait naps instead (xdp_rx_wait()). */
	bool flowing;
};

/* pktlink_pkt.priv of a received view: queue << 32 | frame index, with
 * this bit set when the view is a bounce-buffer slot instead of a frame. */
#define PL_XDP_PRIV_BOUNCE (1ull << 63)
#define PL_XDP_BOUNCE_SLOTS 64

struct pl_xdp_ep {
	struct pktlink_ep ep; /* first: core casts */
	struct pktlink_xdp_opts o;
	char ifname[IF_NAMESIZE];
	int ifindex;
	unsigned nq;
	struct pl_xdp_q *q;
	struct pl_xdp_prog prog;
	struct pktlink_xdp_status st;
	uint32_t tx_off; /* data offset of a TX frame */
	uint32_t tx_cap; /* largest frame we transmit */
	uint32_t frag_cap; /* bytes one TX chunk carries (frame_size - tx_off) */
	uint32_t tx_alloc_cap; /* capacity of a tx_alloc() buffer */
	bool sg; /* multi-buffer */
	/* What AF_XDP takes: bytes only, so pktlink completes checksums and
	 * segments super-packets itself (core/tx_prep.h). */
	struct pl_tx_caps tc;
	/* Multi-buffer: one output frame longer than a chunk (a completed
	 * checksum, a segment) is built here, then copied out as a chain. */
	uint8_t *tx_scratch;
};

extern const struct pl_ep_ops pl_xdp_ops;

/* xep() - the xdp endpoint around its core part (embedded first). */
static inline struct pl_xdp_ep *xep(struct pktlink_ep *ep)
{
	return (struct pl_xdp_ep *)ep;
}

/* xdp_rx.c: ops->rx_burst, ->rx_release, ->rx_wait, ->queue_fd. */
int xdp_rx_burst(struct pktlink_ep *ep, unsigned q, struct pktlink_pkt *pkts, unsigned n);
void xdp_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
int xdp_rx_wait(struct pktlink_ep *ep, unsigned q, int stop_fd, int timeout_ms);
int xdp_queue_fd(const struct pktlink_ep *ep, unsigned q);
/* xdp_tx.c: ops->tx_burst, ->tx_alloc, ->tx_free. */
int xdp_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
int xdp_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);
void xdp_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);
/* xdp_setup.c: ops->read_stats, ->destroy. */
int xdp_read_stats(struct pktlink_ep *ep, struct pktlink_stats *st);
void xdp_destroy(struct pktlink_ep *ep);

#endif /* PL_XDP_EP_H */
