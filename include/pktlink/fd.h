/* SPDX-License-Identifier: MIT */
/*
 * fd.h — endpoints over kernel file descriptors: TAP/TUN, AF_PACKET,
 * socketpairs, or any boundary-preserving descriptor you hand in.
 *
 * Spec strings (pktlink_open()):
 *   fd:3[,4...]?hdr=eth|none&mtu=1500&addr=..&vnet_hdr=1&rx=readv|recvmmsg
 *   tap:NAME?vnet_hdr=1&queues=N&mtu=..&addr=..
 *   tun:NAME?vnet_hdr=1&queues=N&mtu=..
 *   packet:IFNAME?dispatch=readv|recvmmsg|mmap&fds=N&tx=sendmmsg|mmap&...
 * pktlink_spec_help() lists every key.
 */
#ifndef PKTLINK_FD_H
#define PKTLINK_FD_H

#include <pktlink/pktlink.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How frames are received from the descriptors. */
enum pktlink_fd_rx_mode {
	PKTLINK_FD_RX_READV = 0, /* one readv per frame; works on every fd (TAP/TUN need it) */
	PKTLINK_FD_RX_RECVMMSG = 1, /* recvmmsg batches; sockets only */
	PKTLINK_FD_RX_MMAP = 2, /* AF_PACKET TPACKET_V3 ring; AF_PACKET only */
};

/* How frames are sent. */
enum pktlink_fd_tx_mode {
	PKTLINK_FD_TX_AUTO = 0, /* sendmmsg for sockets, writev otherwise */
	PKTLINK_FD_TX_WRITEV = 1,
	PKTLINK_FD_TX_SENDMMSG = 2,
	PKTLINK_FD_TX_MMAP = 3, /* AF_PACKET TX ring (TPACKET_V2), packet endpoints only */
};

/* What to do with GSO super-packets given to pktlink_tx_burst(). */
enum pktlink_fd_gso {
	PKTLINK_FD_GSO_NONE = 0, /* refuse them (tx_drop_invalid) */
	PKTLINK_FD_GSO_HOST = 1, /* hand them to the kernel in a virtio-net header (needs vnet_hdr) */
	PKTLINK_FD_GSO_SOFTWARE = 2, /* segment them in pktlink */
};

/**
 * struct pktlink_fd_opts - options of pktlink_fd_open(), the seed's Options.
 * Zero-initialise, set @sz = sizeof(struct pktlink_fd_opts), then fill in.
 */
struct pktlink_fd_opts {
	size_t sz;
	const int *fds; /* the descriptors; NOT owned: they must outlive the endpoint */
	unsigned num_fds; /* 1..256; one RX queue (and worker) per fd */
	uint32_t mtu; /* required */
	bool eth_header; /* frames carry an Ethernet header (TAP, AF_PACKET SOCK_RAW) */
	bool has_link_addr;
	uint8_t link_addr[6]; /* our MAC, for the receive filter */
	bool promiscuous; /* accept frames for any MAC (default: ours, broadcast, multicast) */
	bool vnet_hdr; /* the fds carry a virtio-net header before each frame */
	uint32_t vnet_hdr_len; /* 10 or 12; 0 = 10 (the kernel's default) */
	enum pktlink_fd_gso gso;
	uint32_t gso_max_size; /* largest super-packet accepted; 0 = 65536 when gso != NONE */
	bool tx_csum_offload; /* the stack may send CSUM_PARTIAL frames */
	bool rx_csum_offload; /* report checksums the kernel verified */
	enum pktlink_fd_rx_mode rx_mode;
	enum pktlink_fd_tx_mode tx_mode;
	unsigned rx_ring_frames; /* receive buffers per queue; 0 = 256 */
	bool injectable; /* never read the fds: inbound comes from pktlink_fd_inject() */
};

/**
 * pktlink_fd_open() - open an endpoint over descriptors the caller owns.
 * The descriptors are made non-blocking. Return: 0 or a negative errno, with
 * a reason in @err.
 */
int pktlink_fd_open(const struct pktlink_fd_opts *opts, struct pktlink_ep **epp, char *err,
		    size_t errlen);

/**
 * pktlink_fd_inject() - deliver a frame as if it had been received (the
 * seed's InjectInbound). For injectable endpoints (pull or push): in push
 * mode the callback runs on the caller's thread; in pull mode the frame is
 * queued for pktlink_rx_burst() (copied). Return 0, -ENOBUFS when the
 * inbound queue is full, or -EINVAL.
 */
int pktlink_fd_inject(struct pktlink_ep *ep, const void *frame, uint32_t len);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_FD_H */
