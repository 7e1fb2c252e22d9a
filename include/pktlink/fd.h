/* SPDX-License-Identifier: MIT */
/*
 * fd.h — endpoints over kernel file descriptors: TAP/TUN, AF_PACKET,
 * socketpairs, or any boundary-preserving descriptor you hand in.
 *
 * Spec strings (pktlink_open()); pktlink_spec_help() lists every key:
 *   fd:3[,4...]?mtu=1500&hdr=eth|none&addr=..&promisc=1&vnet_hdr=1&vnet_hdr_len=10|12
 *       &rx=readv|recvmmsg|mmap&tx=auto|writev|sendmmsg&gso=none|host|software
 *       &gso_max=N&csum=none|rx|tx|rxtx&frames=N&inject=1
 *       Descriptors you opened; never closed by pktlink.
 *   tap:NAME?queues=N&vnet_hdr=1&vnet_hdr_len=..&mtu=..&addr=..&promisc=1&gso=..&csum=..
 *   tun:NAME?queues=N&vnet_hdr=1&vnet_hdr_len=..&mtu=..&gso=..&csum=..
 *       Opened (created if needed) by name: the endpoint owns and closes those
 *       fds. mtu= (default: the device's) is pktlink's MTU; it does not
 *       change the device (ip link set NAME mtu N); buffers hold the larger. With vnet_hdr=1 the defaults are
 *       gso=host and csum=rxtx: the kernel may then hand over GSO
 *       super-packets (up to 64 KiB) and partial checksums.
 *   packet:IFNAME?fds=N&dispatch=readv|recvmmsg|mmap&tx=sendmmsg|mmap&vnet_hdr=1
 *       &ignore_outgoing=1&promisc=1&qdisc_bypass=1&block_timeout_ms=..&block_size=..
 *       &block_count=..&frame_size=..&tx_frames=..&mtu=..&addr=..&gso=..&csum=..
 *       AF_PACKET sockets (several: one fanout group, one queue each). MTU
 *       and MAC default to the device's; ignore_outgoing defaults to 1.
 *       With dispatch=mmap and the device's MAC, the receive filter takes
 *       the kernel's mark (PACKET_OTHERHOST, which follows the device's
 *       current MAC) and does not read the frame.
 *       tx=mmap adds zero-copy transmit: pktlink_tx_alloc() lends TX ring
 *       slots (PKTLINK_CAP_TX_ALLOC); send them in allocation order.
 *
 * Receive buffers: each queue has opts.rx_ring_frames (default 256) buffers
 * of 64 + MTU + link header + 4 bytes (rounded to 64), or of 64 + 64 KiB
 * when super-packets can arrive (virtio-net header with GSO). They are one
 * anonymous mapping, so an untouched 64 KiB buffer costs only address space:
 * ~16 MiB virtual per queue, about 1 MiB resident for MTU-sized traffic.
 * Views are zero-copy; while all buffers are out, receiving stops (frames
 * wait in the kernel).
 *
 * Peer gone (the closed callback's reason): -EPIPE on end of file
 * (SOCK_SEQPACKET), -ECONNRESET / -ECONNREFUSED from the socket or a final
 * hang-up, -ENODEV when the TAP/TUN or network device was deleted. A link
 * that goes down is not a peer going away (frames sent meanwhile count as
 * tx_errors). While an AF_PACKET link is down, pktlink_wait() and attached
 * workers wake every 50 ms, and empty pktlink_rx_burst() calls look at most
 * that often, to see whether the device was deleted: the kernel reports the
 * deletion of a device that was already down to no socket. A caller that
 * polls pktlink_fd() itself learns it from its next pktlink_rx_burst()
 * after the deletion, so it should not wait on the descriptor without a
 * timeout while the link is down. A SOCK_DGRAM socketpair signals nothing
 * on receive: its peer's death shows when sending.
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

/*
 * What to do with GSO super-packets. On transmit every mode takes them (up
 * to gso_max_size): the descriptors can always carry their segments.
 */
enum pktlink_fd_gso {
	/* segment them in pktlink on transmit; on receive never hand one out
	 * (a super-packet from the kernel counts in rx_drop_invalid) */
	PKTLINK_FD_GSO_NONE = 0,
	PKTLINK_FD_GSO_HOST = 1, /* hand them to the kernel in a virtio-net header (needs vnet_hdr) */
	/* segment them in pktlink on transmit; with vnet_hdr, hand out the
	 * super-packets the kernel passes up on receive */
	PKTLINK_FD_GSO_SOFTWARE = 2,
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
	uint32_t gso_max_size; /* largest super-packet accepted on transmit, 1280..65536; 0 = 65536 */
	bool tx_csum_offload; /* the stack may send CSUM_PARTIAL frames */
	bool rx_csum_offload; /* report checksums the kernel verified */
	enum pktlink_fd_rx_mode rx_mode; /* recvmmsg: sockets only; mmap: AF_PACKET only */
	enum pktlink_fd_tx_mode tx_mode; /* MMAP: only "packet:" endpoints (own TX socket) */
	unsigned rx_ring_frames; /* receive buffers per queue, 2..65536; 0 = 256 */
	bool injectable; /* never read the fds: inbound comes from pktlink_fd_inject() */
	/* Fill pktlink_pkt.timestamp (PKTLINK_PKT_TSTAMP) on readv/recvmmsg
	 * receive: SO_TIMESTAMPNS on sockets (a control message per frame, so
	 * off by default; set on the descriptors, handed-in ones included),
	 * the read's completion time on TAP/TUN. The mmap ring always has
	 * the kernel's stamp, whatever this says. */
	bool rx_timestamp;
};
#define pktlink_fd_opts__last_field rx_timestamp /* the last field: update it when adding one */

/**
 * pktlink_fd_open() - open an endpoint over descriptors the caller owns.
 * The descriptors are made non-blocking and must outlive the endpoint; they
 * are not closed. Every option is checked against the descriptors (a TAP
 * cannot do recvmmsg, a stream socket loses frame boundaries, ...).
 * Return: 0 or a negative errno, with a reason that names the option and
 * the fix in @err.
 */
int pktlink_fd_open(const struct pktlink_fd_opts *opts, struct pktlink_ep **epp, char *err,
		    size_t errlen);

/**
 * pktlink_fd_inject() - deliver a frame as if it had been received (the
 * seed's InjectInbound), on an endpoint opened with opts.injectable (spec
 * key inject=1). Such an endpoint never reads its descriptors (it only
 * writes them); its single RX queue is a bounded queue of rx_ring_frames
 * buffers that this call copies the frame into.
 *
 * Pull mode: the frame is returned by pktlink_rx_burst() as a view of the
 * endpoint's buffer; pktlink_fd() polls readable while frames wait.
 * Push mode: the queue's worker thread delivers it to the callback, right
 * after it is queued. Unlike the seed's InjectInbound this is not on the
 * calling thread: callbacks only ever run on the endpoint's own workers, so
 * a stack never sees its callback re-entered from an injecting thread. To
 * inject and then inspect the stack synchronously, use pull mode.
 *
 * Thread safety: one injecting thread at a time, concurrently with the RX
 * side (a lock-free single-producer ring). No allocation.
 * Return: 0, -ENOBUFS when the queue is full (counted in rx_drop_nobuf),
 * or -EINVAL (not injectable, empty, larger than MTU + link header + 4, or
 * shorter than an Ethernet header).
 */
int pktlink_fd_inject(struct pktlink_ep *ep, const void *frame, uint32_t len);

struct sock_filter;

/**
 * pktlink_packet_set_filter() - attach a classic BPF program (struct
 * sock_filter from <linux/filter.h>, e.g. what libpcap's pcap_compile()
 * makes of a tcpdump expression) to every receive socket of a "packet:"
 * endpoint, so the kernel drops unwanted frames before they are copied. The
 * program sees the frame as received (link header first). A program that
 * returns fewer bytes than the frame truncates it in the kernel: compile
 * with the largest snap length to keep whole frames. With ignore_outgoing=1
 * on a kernel that needs pktlink's own socket filter for it, outgoing
 * frames stay excluded. Frames the sockets queued before the call are not
 * filtered. @insns is copied; the caller keeps it.
 * Thread safety: not with a concurrent pktlink_close(); receiving may go on.
 * Return: 0, -EINVAL (not a packet: endpoint, no program, more than 4093
 * instructions), -ENOMEM, or the kernel's error for SO_ATTACH_FILTER (e.g.
 * -EINVAL for a program it rejects).
 */
int pktlink_packet_set_filter(struct pktlink_ep *ep, const struct sock_filter *insns,
			      unsigned count);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_FD_H */
