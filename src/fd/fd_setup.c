/* SPDX-License-Identifier: MIT */
/*
 * fd_setup.c — the fd-based endpoint (the seed: gVisor's fdbased package):
 * frames over boundary-preserving descriptors — TAP/TUN, AF_PACKET sockets,
 * SOCK_SEQPACKET/SOCK_DGRAM socketpairs — plus the injectable variant.
 *
 * Receive (per queue = per descriptor):
 *   readv     one frame per system call: readv() on character devices,
 *             recvmsg() on sockets (so MSG_TRUNC and PACKET_AUXDATA are seen).
 *   recvmmsg  one recvmmsg() per burst (sockets only).
 *   mmap      AF_PACKET TPACKET_V3 ring (fd/packet.h), zero-copy views.
 *   Every frame goes through the core receive policy (core/rx_policy.h:
 *   bounds, VLAN tag put back, MAC filter, offload flags). Timestamps: the
 *   ring's, always; SO_TIMESTAMPNS on readv/recvmmsg only with timestamp=1
 *   (a control message per frame).
 *   Each queue owns a fixed pool of receive buffers allocated at open and a
 *   free stack, so a view can be released in any order and receiving needs
 *   no allocation. When every buffer is out, rx_burst returns 0 and leaves
 *   frames in the kernel.
 *
 *   Buffer size: FD_HEADROOM (64) + frame, rounded to 64 bytes. The frame is
 *   MTU + link header + 4 (a VLAN tag), or 64 KiB when super-packets can
 *   arrive (a virtio-net header with GSO accepted). The pool is an anonymous
 *   mapping: a 64 KiB slot costs one page of memory until a super-packet
 *   actually lands in it, so 256 such slots are 16 MiB of address space but
 *   ~1 MiB resident under MTU-sized traffic. That is why there is no scatter
 *   list like the seed's: views must be contiguous to be zero-copy, and a
 *   scatter list would force a copy (or a multi-segment view) per large frame.
 *
 * Transmit: write() (writev() with a virtio-net header) for character
 *   devices, sendmmsg() batches for sockets (one system call per run of
 *   frames going to the same descriptor), or the
 *   AF_PACKET TX ring (tx=mmap). With several descriptors the frame's flow
 *   hash picks one (the fanout program hashes the same way, so a flow stays
 *   on one descriptor both ways). What happens to offload requests is the
 *   core TX preparation step's decision (core/tx_prep.h): a virtio-net
 *   header goes before each frame when the descriptors have one; otherwise
 *   GSO super-packets are cut in software and partial checksums completed,
 *   into a per-endpoint scratch area (the caller's frame is never modified).
 *
 * Peer gone: an EOF on SOCK_SEQPACKET (-EPIPE), ECONNRESET / ECONNREFUSED /
 *   EPIPE from the kernel, a final POLLHUP, and a removed device (ENODEV,
 *   ENXIO, EBADFD; ENETDOWN when the device no longer exists) → the closed
 *   callback runs with the reason. Transient, not peer death: EAGAIN, EINTR,
 *   ENOBUFS, ENETDOWN while the device still exists (link down: the frame is
 *   dropped and counted in tx_errors), EIO from a TAP that is down (same),
 *   EMSGSIZE/EFAULT for one frame (that frame is dropped and counted).
 *   A deleted device goes down first, and AF_PACKET reports only that
 *   ENETDOWN (its unregistration a moment later reports nothing), so a
 *   queue whose socket reported a link down asks the device every
 *   FD_DOWN_RECHECK_MS whether it is gone: its waiter wakes that often
 *   (fd_rx_wait()), and so do empty bursts (fd_rx_idle_check()).
 *   A SOCK_DGRAM socketpair has no hang-up signal: its peer's death is seen
 *   only when sending (ECONNREFUSED).
 *
 * Files: fd_setup.c (this: overview, error classification, stats, open and
 * teardown, the public entry points), fd_rx.c (receive), fd_tx.c (transmit),
 * fd_spec.c (spec strings).
 *
 * Threading: the contract's (one RX thread per queue, one TX thread).
 * pktlink_fd_inject() may run on one thread at a time, concurrently with RX.
 */
#include "fd/fd_internal.h"

#include "core/fault.h"
#include "core/opts.h"
#include "core/steps.h"
#include "core/offload.h"
#include "core/tx_prep.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What a descriptor kind is called in error messages (static strings). */
static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case FD_KIND_CHR:
		return "a character device (TAP/TUN)";
	case FD_KIND_PACKET:
		return "an AF_PACKET socket";
	case FD_KIND_DGRAM:
		return "a SOCK_DGRAM socket";
	case FD_KIND_SEQPACKET:
		return "a SOCK_SEQPACKET socket";
	default:
		return "an eventfd";
	}
}

/* ------------------------------------------------------------------------ */
/* Error classification                                                      */

/* The device of a packet: endpoint still exists? (costs a system call; only
 * on error paths) */
bool fd_device_exists(const struct fd_ep *f)
{
	char name[IF_NAMESIZE];
	return f->ifindex <= 0 || if_indextoname((unsigned)f->ifindex, name) != NULL;
}

/**
 * fd_link_state() - after a link down: -1 when the device is gone, 1 when
 * it is up again, 0 while it is still down. @sock is any socket of the
 * endpoint (for the ioctls). Two system calls; on error paths only.
 */
int fd_link_state(const struct fd_ep *f, int sock)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = f->ifindex;
	if (f->ifindex <= 0)
		return 1; /* not bound to one device: nothing to lose */
	if (ioctl(sock, SIOCGIFNAME, &ifr) < 0)
		return errno == ENODEV ? -1 : 0;
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return errno == ENODEV ? -1 : 0;
	return (ifr.ifr_flags & IFF_UP) ? 1 : 0;
}

/*
 * Peer-gone paths leave the error detail to pl_ep_peer_gone() ("peer went
 * away: <reason>"): it writes it once, from the thread that won the race,
 * while several workers (one per queue) may notice the same death at once.
 */

/**
 * fd_gone_reason() - the peer-gone reason for errno e, or 0 when e is not
 * final (transient, or a problem with one frame). Called on error paths only.
 */
int fd_gone_reason(const struct fd_ep *f, int e)
{
	switch (e) {
	case ECONNRESET:
		return -ECONNRESET;
	case ECONNREFUSED:
		return -ECONNREFUSED;
	case EPIPE:
		return -EPIPE;
	case ENOTCONN:
		return -ENOTCONN;
	case ENODEV:
	case ENXIO:
	case EBADFD: /* TAP/TUN whose device was deleted */
		return -ENODEV;
	case EBADF:
		return -EBADF; /* the descriptor was closed under us */
	case ENETDOWN:
		/* AF_PACKET reports both "link down" and "device unregistered"
		 * as ENETDOWN: only the second one is final. */
		return fd_device_exists(f) ? 0 : -ENODEV;
	default:
		return 0;
	}
}

/* ops->read_stats: add the kernel's drop counters (AF_PACKET socket buffer
 * overflows, readv/recvmmsg modes) and the inject queue's overflows.
 * pl_packet_kernel_drops() reads and resets, so the sum is kept here; atomic
 * because stats may be read from any thread. In mmap mode the RX ring reads
 * the same counter itself when a block reports losses and counts them as
 * rx_drop_nobuf (its ring was full), so it is left alone here. */
int fd_read_stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	struct fd_ep *f = to_fd(ep);
	if (!f->o.injectable && f->rx_mode != PKTLINK_FD_RX_MMAP && f->nfds &&
	    f->fd_kind[0] == FD_KIND_PACKET) {
		uint64_t d = 0;
		for (unsigned i = 0; i < f->nfds; i++)
			d += pl_packet_kernel_drops(f->fds[i]);
		if (d)
			__atomic_add_fetch(&f->kdrops, d, __ATOMIC_RELAXED);
	}
	st->rx_drop_kernel += __atomic_load_n(&f->kdrops, __ATOMIC_RELAXED);
	st->rx_drop_nobuf += __atomic_load_n(&f->inject_nobuf, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Teardown                                                                  */

/* fd_destroy() - ops->destroy: the setup steps undone backwards (below). */
static void fd_undo_all(struct fd_ep *f);

void fd_destroy(struct pktlink_ep *ep)
{
	fd_undo_all(to_fd(ep));
}

#define FD_OPS_COMMON                                                                          \
	.family = "fd", .core_counts = true, .rx_burst = fd_rx_burst, .rx_release = fd_rx_release,                 \
	.tx_burst = fd_tx_burst, .queue_fd = fd_queue_fd, .rx_wait = fd_rx_wait,               \
	.read_stats = fd_read_stats, .destroy = fd_destroy

static const struct pl_ep_ops fd_ops = { FD_OPS_COMMON };

/* With a TX ring (packet:, tx=mmap): zero-copy TX buffers too. */
static const struct pl_ep_ops fd_ops_txring = {
	FD_OPS_COMMON,
	.tx_alloc = fd_tx_alloc,
	.tx_free = fd_tx_free,
};

/* ------------------------------------------------------------------------ */
/* Setup                                                                     */

/**
 * fd_classify() - what descriptor fd is, with an error naming the fix when
 * pktlink cannot use it. Return: 0 with *kind set, or -EINVAL / -EBADF.
 */
static int fd_classify(int fd, uint8_t *kind, char *err, size_t errlen)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return pl_err(err, errlen, -EBADF, "fds: descriptor %d is not open", fd);
	if (S_ISCHR(st.st_mode)) {
		*kind = FD_KIND_CHR;
		return 0;
	}
	if (!S_ISSOCK(st.st_mode))
		return pl_err(err, errlen, -EINVAL,
			      "fds: descriptor %d is neither a socket nor a character device: "
			      "pktlink needs a boundary-preserving descriptor (TAP/TUN, AF_PACKET, "
			      "SOCK_SEQPACKET or SOCK_DGRAM)",
			      fd);
	int type = 0, dom = 0;
	socklen_t l = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0)
		return pl_err(err, errlen, -errno, "fds: SO_TYPE of descriptor %d: %s", fd,
			      strerror(errno));
	l = sizeof(dom);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) != 0)
		dom = -1;
	if (dom == AF_PACKET) {
		*kind = FD_KIND_PACKET;
		return 0;
	}
	if (type == SOCK_SEQPACKET) {
		*kind = FD_KIND_SEQPACKET;
		return 0;
	}
	if (type == SOCK_DGRAM || type == SOCK_RAW) {
		*kind = FD_KIND_DGRAM;
		return 0;
	}
	return pl_err(err, errlen, -EINVAL,
		      "fds: descriptor %d is a stream socket, which does not keep frame boundaries: "
		      "use socketpair(AF_UNIX, SOCK_SEQPACKET or SOCK_DGRAM)",
		      fd);
}

/**
 * fd_validate() - check the option combinations that do not depend on the
 * descriptors, and fill defaults. Errors name the option and the fix.
 */
static int fd_validate(struct fd_setup *s, char *err, size_t errlen)
{
	struct pktlink_fd_opts *o = &s->o;
	bool spec = s->origin != FD_ORIGIN_HANDED;
	const char *k_mtu = "mtu", *k_vnet = spec ? "vnet_hdr" : "vnet_hdr (opts.vnet_hdr)";
	if (s->mtu_given && (o->mtu < 68 || o->mtu > 65535))
		return pl_err(err, errlen, -EINVAL,
			      "%s: %u is out of range: use 68 to 65535 (1500 for Ethernet)", k_mtu,
			      o->mtu);
	if (o->vnet_hdr_len && o->vnet_hdr_len != 10 && o->vnet_hdr_len != 12)
		return pl_err(err, errlen, -EINVAL,
			      "vnet_hdr_len: %u is not a virtio-net header size: use 10 or 12",
			      o->vnet_hdr_len);
	if (o->vnet_hdr_len && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "vnet_hdr_len is set but vnet_hdr is off: set vnet_hdr=1 too");
	if (o->gso > PKTLINK_FD_GSO_SOFTWARE)
		return pl_err(err, errlen, -EINVAL, "gso: %u is not a mode: use none, host or software",
			      (unsigned)o->gso);
	if (o->gso == PKTLINK_FD_GSO_HOST && !o->vnet_hdr)
		return pl_err(err, errlen, -EINVAL,
			      "gso=host needs %s=1: the kernel learns about super-packets from the "
			      "virtio-net header; set it, or use gso=software",
			      k_vnet);
	if (o->gso_max_size && (o->gso_max_size > FD_SUPER_MAX || o->gso_max_size < 1280))
		return pl_err(err, errlen, -EINVAL,
			      "gso_max_size: %u is out of range: use 1280 to 65536", o->gso_max_size);
	/* Every mode takes super-packets on transmit (gso=none and
	 * gso=software segment them in pktlink), so every mode has a limit. */
	if (!o->gso_max_size)
		o->gso_max_size = FD_SUPER_MAX;
	if (o->rx_mode > PKTLINK_FD_RX_MMAP)
		return pl_err(err, errlen, -EINVAL,
			      "rx: %u is not a receive mode: use readv, recvmmsg or mmap",
			      (unsigned)o->rx_mode);
	if (o->tx_mode > PKTLINK_FD_TX_MMAP)
		return pl_err(err, errlen, -EINVAL,
			      "tx: %u is not a transmit mode: use auto, writev, sendmmsg or mmap",
			      (unsigned)o->tx_mode);
	if (!o->eth_header && (o->has_link_addr || o->promiscuous))
		return pl_err(err, errlen, -EINVAL,
			      "%s: frames without an Ethernet header have no MAC address to "
			      "filter on: set hdr=eth (opts.eth_header) or drop it",
			      o->has_link_addr ? "addr" : "promisc");
	if (o->rx_ring_frames > 65536 || (o->rx_ring_frames && o->rx_ring_frames < 2))
		return pl_err(err, errlen, -EINVAL, "frames: %u is out of range: use 2 to 65536",
			      o->rx_ring_frames);
	if (!o->rx_ring_frames)
		o->rx_ring_frames = FD_DEFAULT_FRAMES;
	if (o->injectable && o->rx_mode != PKTLINK_FD_RX_READV)
		return pl_err(err, errlen, -EINVAL,
			      "rx: an injectable endpoint never reads its descriptors: drop rx "
			      "(inbound frames come from pktlink_fd_inject())");
	if (s->origin == FD_ORIGIN_HANDED) {
		if (!o->fds || !o->num_fds || o->num_fds > PL_MAX_QUEUES)
			return pl_err(err, errlen, -EINVAL,
				      "fds: give 1 to %d descriptors (opts.fds, opts.num_fds)",
				      PL_MAX_QUEUES);
		if (!s->mtu_given)
			return pl_err(err, errlen, -EINVAL,
				      "mtu is required for descriptors handed in: set mtu (for "
				      "example 1500)");
	}
	return 0;
}

/* Check the handed-in descriptors against the modes asked for. */
static int fd_validate_fds(struct fd_setup *s, uint8_t *kinds, char *err, size_t errlen)
{
	struct pktlink_fd_opts *o = &s->o;
	for (unsigned i = 0; i < o->num_fds; i++) {
		int r = fd_classify(o->fds[i], &kinds[i], err, errlen);
		if (r)
			return r;
		for (unsigned j = 0; j < i; j++)
			if (o->fds[j] == o->fds[i])
				return pl_err(err, errlen, -EINVAL,
					      "fds: descriptor %d is listed twice: give each once",
					      o->fds[i]);
		if (o->injectable)
			continue;
		if (o->rx_mode == PKTLINK_FD_RX_RECVMMSG && !kind_is_socket(kinds[i]))
			return pl_err(err, errlen, -EINVAL,
				      "rx=recvmmsg needs a socket; fd %d is %s: use rx=readv",
				      o->fds[i], kind_name(kinds[i]));
		if (o->rx_mode == PKTLINK_FD_RX_MMAP && kinds[i] != FD_KIND_PACKET)
			return pl_err(err, errlen, -EINVAL,
				      "rx=mmap needs an AF_PACKET socket; fd %d is %s: use rx=readv "
				      "(or rx=recvmmsg for sockets)",
				      o->fds[i], kind_name(kinds[i]));
	}
	for (unsigned i = 0; i < o->num_fds; i++) {
		if (o->tx_mode == PKTLINK_FD_TX_SENDMMSG && !kind_is_socket(kinds[i]))
			return pl_err(err, errlen, -EINVAL,
				      "tx=sendmmsg needs a socket; fd %d is %s: use tx=writev "
				      "(or leave tx unset)",
				      o->fds[i], kind_name(kinds[i]));
		if (o->tx_mode == PKTLINK_FD_TX_MMAP)
			return pl_err(err, errlen, -EINVAL,
				      "tx=mmap needs a TX ring socket of its own on the device: use "
				      "pktlink_open(\"packet:IFNAME?tx=mmap\")");
	}
	return 0;
}

/* Read MTU, hardware type and MAC of the device of a packet: endpoint. */
static int fd_packet_dev_props(struct fd_ep *f, struct fd_setup *s, char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned)f->ifindex, ifr.ifr_name))
		return pl_err(err, errlen, -ENODEV, "packet: device %s is gone", s->ifname);
	if (ioctl(f->fds[0], SIOCGIFHWADDR, &ifr) != 0)
		return pl_err(err, errlen, -errno, "packet:%s: SIOCGIFHWADDR: %s", s->ifname,
			      strerror(errno));
	unsigned hw = ifr.ifr_hwaddr.sa_family;
	s->o.eth_header = hw == ARPHRD_ETHER || hw == ARPHRD_LOOPBACK;
	if (s->o.eth_header) {
		/* the kernel marks each frame against this address
		 * (PACKET_OTHERHOST): the ring's filter uses that mark */
		memcpy(s->ring.dev_addr, ifr.ifr_hwaddr.sa_data, 6);
		s->ring.dev_addr_set = true;
	}
	if (s->o.eth_header && !s->o.has_link_addr) {
		memcpy(s->o.link_addr, ifr.ifr_hwaddr.sa_data, 6);
		s->o.has_link_addr = true;
	}
	if (!s->o.eth_header && (s->o.has_link_addr || s->o.promiscuous))
		return pl_err(err, errlen, -EINVAL,
			      "addr/promisc: device %s carries no Ethernet header (ARP type %u): "
			      "drop addr and promisc",
			      s->ifname, hw);
	if (ioctl(f->fds[0], SIOCGIFMTU, &ifr) != 0)
		return pl_err(err, errlen, -errno, "packet:%s: SIOCGIFMTU: %s", s->ifname,
			      strerror(errno));
	if (!s->mtu_given)
		s->o.mtu = (uint32_t)ifr.ifr_mtu;
	f->dev_mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
}

/*
 * The MTU of a TAP/TUN device opened by name (it may exist already, with a
 * larger MTU than pktlink's default): buffers must hold what the kernel
 * writes. A TUN/TAP fd does not answer SIOCGIFMTU, so a short-lived
 * AF_UNIX socket asks (closed before returning).
 */
static int fd_tun_dev_mtu(struct fd_ep *f, struct fd_setup *s, char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->ifname);
	int sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return pl_err(err, errlen, -errno, "%s: socket for SIOCGIFMTU: %s", s->ifname,
			      strerror(errno));
	int r = ioctl(sk, SIOCGIFMTU, &ifr);
	int e = errno;
	close(sk);
	if (r != 0)
		return pl_err(err, errlen, -e, "%s: SIOCGIFMTU: %s", s->ifname, strerror(e));
	f->dev_mtu = (uint32_t)ifr.ifr_mtu;
	if (!s->mtu_given)
		s->o.mtu = f->dev_mtu;
	return 0;
}

/* Allocate queue qi's receive buffers and batch arrays (readv, recvmmsg and
 * inject modes; mmap mode uses the ring's memory). */
static int fd_queue_alloc(struct fd_ep *f, unsigned qi, char *err, size_t errlen)
{
	struct fd_queue *q = &f->q[qi];
	uint32_t nb = f->o.rx_ring_frames;
	q->nbufs = nb;
	q->mem_len = (size_t)nb * f->slot_size;
	/* anonymous and lazily backed: see the buffer-size note at the top */
	void *m = mmap(NULL, q->mem_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		q->mem = NULL;
		return pl_err(err, errlen, -ENOMEM,
			      "queue %u: cannot map %zu bytes of receive buffers (%u x %u): lower "
			      "frames or mtu",
			      qi, q->mem_len, nb, f->slot_size);
	}
	q->mem = m;
	q->freel = calloc(nb, sizeof(*q->freel));
	q->out = calloc(nb, 1);
	q->msgs = calloc(FD_RX_BATCH, sizeof(*q->msgs));
	q->iov = calloc(FD_RX_BATCH, sizeof(*q->iov));
	q->cmsg = calloc(FD_RX_BATCH, FD_CMSG_LEN);
	q->bidx = calloc(FD_RX_BATCH, sizeof(*q->bidx));
	if (!q->freel || !q->out || !q->msgs || !q->iov || !q->cmsg || !q->bidx)
		return pl_err(err, errlen, -ENOMEM, "queue %u: out of memory", qi);
	for (unsigned i = 0; i < FD_RX_BATCH; i++) {
		q->iov[i].iov_len = f->vnet_len + f->frame_max;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
		if (fd_q_cmsg(f, q))
			q->msgs[i].msg_hdr.msg_control = q->cmsg + (size_t)i * FD_CMSG_LEN;
	}
	/* Kernel receive timestamps cost a control message per frame: only
	 * when asked (timestamp=1). The mmap ring has them for free. */
	if (f->tstamp && kind_is_socket(q->kind) && f->rx_mode != PKTLINK_FD_RX_MMAP) {
		int one = 1;
		if (setsockopt(q->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
			return pl_err(err, errlen, -errno, "queue %u: SO_TIMESTAMPNS: %s: use timestamp=0",
				      qi, strerror(errno));
	}
	if (f->o.injectable) {
		uint32_t cap = 1;
		while (cap < nb)
			cap <<= 1;
		q->ready.slot = calloc(cap, sizeof(uint32_t));
		q->freeq.slot = calloc(cap, sizeof(uint32_t));
		if (!q->ready.slot || !q->freeq.slot)
			return pl_err(err, errlen, -ENOMEM, "inject queue: out of memory");
		q->ready.mask = q->freeq.mask = cap - 1;
		for (uint32_t i = 0; i < nb; i++)
			fd_spsc_push(&q->freeq, i);
	} else {
		for (uint32_t i = 0; i < nb; i++)
			q->freel[i] = nb - 1 - i; /* slot 0 on top */
		q->nfree = nb;
	}
	return 0;
}

/*
 * The open, as a table of setup steps (core/steps.h): each item is preceded
 * by pl_fault(); a failure undoes the steps done, backwards, and closing
 * the endpoint undoes them all, with the same functions. Undo functions
 * look only at the endpoint (NULL / -1 mark what does not exist), so they
 * also serve pktlink_close().
 */

/* The open in progress: the request and what is built from it. */
struct fd_open {
	struct fd_setup *s; /* NULL when undoing at close */
	struct fd_ep *f;
	const uint8_t *kinds; /* handed-in descriptors' kinds (fd_validate_fds) */
	uint32_t got_off; /* offloads the TUN/TAP accepted */
	unsigned nfds, nq;
};

static unsigned n_one(void *ctx)
{
	(void)ctx;
	return 1;
}

/* step: the endpoint */
static int st_alloc(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	struct fd_ep *f = aligned_alloc(PL_CACHELINE, (sizeof(*f) + PL_CACHELINE - 1) &
							      ~(size_t)(PL_CACHELINE - 1));
	if (!f)
		return pl_err(err, errlen, -ENOMEM, "out of memory");
	memset(f, 0, sizeof(*f));
	f->ep.epoll_fd = f->ep.wake_fd = -1;
	f->inject_fd = -1;
	f->origin = (uint8_t)c->s->origin;
	f->nfds = c->nfds;
	for (unsigned k = 0; k < PL_MAX_QUEUES; k++)
		f->fds[k] = -1;
	c->f = f;
	return 0;
}

static void un_alloc(void *ctx)
{
	struct fd_open *c = ctx;
	free(c->f);
	c->f = NULL;
}

/* step: core state (ops, counters) */
static int st_core(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	bool txring = c->s->origin == FD_ORIGIN_PACKET && c->s->o.tx_mode == PKTLINK_FD_TX_MMAP;
	int r = pl_ep_init(&c->f->ep, txring ? &fd_ops_txring : &fd_ops, c->nq);
	if (r)
		return pl_err(err, errlen, r, "cannot initialise the endpoint: %s", strerror(-r));
	c->f->nq = c->nq;
	return 0;
}

static void un_core(void *ctx)
{
	struct fd_open *c = ctx;
	if (c->f)
		pl_ep_fini(&c->f->ep); /* also the epoll set of the last step */
}

/* step: the queue table */
static int st_qtable(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	c->f->q = calloc(c->nq, sizeof(*c->f->q));
	if (!c->f->q)
		return pl_err(err, errlen, -ENOMEM, "out of memory");
	for (unsigned k = 0; k < c->nq; k++)
		c->f->q[k].fd = -1;
	return 0;
}

static void un_qtable(void *ctx)
{
	struct fd_open *c = ctx;
	if (c->f) {
		free(c->f->q);
		c->f->q = NULL;
	}
}

/* steps: the descriptors — handed in (made non-blocking), TAP/TUN opened by
 * name, or AF_PACKET sockets */
static unsigned n_handed(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->origin == FD_ORIGIN_HANDED ? c->nfds : 0;
}

static int st_handed(void *ctx, unsigned i, char *err, size_t errlen)
{
	struct fd_open *c = ctx;
	struct fd_ep *f = c->f;
	const int *fds = c->s->o.fds;
	int fl = fcntl(fds[i], F_GETFL);
	if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0)
		return pl_err(err, errlen, -errno, "fds: cannot make descriptor %d non-blocking: %s",
			      fds[i], strerror(errno));
	f->fds[i] = fds[i];
	f->fd_kind[i] = c->kinds[i];
	if (i == 0 && c->kinds[0] == FD_KIND_PACKET) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		memset(&sll, 0, sizeof(sll));
		if (getsockname(fds[0], (struct sockaddr *)&sll, &sl) == 0)
			f->ifindex = sll.sll_ifindex;
	}
	return 0;
}

static unsigned n_tun(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->origin == FD_ORIGIN_TUN;
}

static int st_tun_open(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	int fds[PL_MAX_QUEUES];
	int r = pl_tun_open(c->s->ifname, &c->s->tun, fds, &c->got_off, err, errlen);
	if (r)
		return r;
	for (unsigned k = 0; k < c->nfds; k++) {
		c->f->fds[k] = fds[k];
		c->f->fd_kind[k] = FD_KIND_CHR;
	}
	c->f->nfds_open = c->nfds;
	return 0;
}

/* the descriptors we opened (tap:/tun:/packet:; handed-in ones never) */
static void un_owned_fds(void *ctx)
{
	struct fd_open *c = ctx;
	struct fd_ep *f = c->f;
	if (!f || f->origin == FD_ORIGIN_HANDED)
		return;
	for (unsigned k = 0; k < f->nfds_open; k++)
		if (f->fds[k] >= 0) {
			close(f->fds[k]);
			f->fds[k] = -1;
		}
	f->nfds_open = 0;
}

static int st_tun_mtu(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	int r = fd_tun_dev_mtu(c->f, c->s, err, errlen);
	if (r)
		return r;
	/* what the kernel accepted decides what we advertise */
	if (!(c->got_off & PL_TUN_OFF_CSUM))
		c->s->o.rx_csum_offload = false;
	return 0;
}

static unsigned n_packet_socks(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->origin == FD_ORIGIN_PACKET ? c->nfds : 0;
}

static int st_packet_sock(void *ctx, unsigned i, char *err, size_t errlen)
{
	struct fd_open *c = ctx;
	struct fd_ep *f = c->f;
	if (i == 0)
		f->ifindex = (int)if_nametoindex(c->s->ifname);
	int r = pl_packet_socket_open(f->ifindex, &c->s->pcfg, &f->fds[i], err, errlen);
	if (r) {
		f->fds[i] = -1;
		return r;
	}
	f->fd_kind[i] = FD_KIND_PACKET;
	f->nfds_open = i + 1;
	return 0;
}

static unsigned n_packet(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->origin == FD_ORIGIN_PACKET;
}

static int st_packet_props(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	return fd_packet_dev_props(c->f, c->s, err, errlen);
}

/* step: sizes and modes, now that the MTU and the link type are known */
static int st_sizes(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	(void)err;
	(void)errlen;
	struct fd_open *c = ctx;
	struct fd_ep *f = c->f;
	struct fd_setup *s = c->s;
	struct pktlink_fd_opts *o = &s->o;
	if (!o->mtu)
		o->mtu = 1500;
	f->o = *o;
	f->o.fds = f->fds;
	f->o.num_fds = c->nfds;
	f->eth = o->eth_header;
	f->link_len = f->eth ? FD_ETH_HLEN : 0;
	f->promisc = o->promiscuous;
	f->vnet_len = o->vnet_hdr ? (o->vnet_hdr_len ? o->vnet_hdr_len : PL_VNET_HDR_LEN) : 0;
	if (s->origin == FD_ORIGIN_TUN && o->vnet_hdr)
		f->vnet_len = s->tun.vnet_hdr_len ? s->tun.vnet_hdr_len : PL_VNET_HDR_MRG_LEN;
	f->o.vnet_hdr_len = f->vnet_len;
	f->rx_csum = o->rx_csum_offload;
	f->tx_csum = o->tx_csum_offload;
	f->tstamp = o->rx_timestamp;
	uint32_t mtu_buf = o->mtu > f->dev_mtu ? o->mtu : f->dev_mtu;
	bool super_rx = f->vnet_len && o->gso != PKTLINK_FD_GSO_NONE &&
			(s->origin != FD_ORIGIN_TUN ||
			 (c->got_off & (PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO)));
	f->frame_max = super_rx ? FD_SUPER_MAX + f->link_len + 4 : mtu_buf + f->link_len + 4;
	f->slot_size = round_up64(FD_HEADROOM + f->frame_max);
	f->tx_frame_max = o->mtu + f->link_len + 4;
	/* What the descriptors take (core/tx_prep.h): a virtio-net header
	 * carries partial checksums always, and super-packets with gso=host. */
	f->tc = (struct pl_tx_caps){
		.min_len = f->eth ? FD_ETH_HLEN : 1,
		/* MTU + link header; an Ethernet frame may carry one 802.1Q
		 * tag on top (the receive buffers hold it too), an IP-only
		 * link carries none. The scratch slots hold tx_frame_max. */
		.frame_max = o->mtu + f->link_len,
		.tag_len = f->eth ? 4 : 0,
		/* Super-packets are always sendable: passed down with
		 * gso=host, cut in pktlink otherwise. */
		.super_max = o->gso_max_size + f->link_len + 4,
		.link_len = f->link_len,
		.csum_pass = f->vnet_len != 0,
		.gso_pass = f->vnet_len != 0 && o->gso == PKTLINK_FD_GSO_HOST,
	};
	f->scratch_slot = round_up64(f->tx_frame_max);
	f->rx_mode = (uint8_t)o->rx_mode;
	f->tx_mode = (uint8_t)o->tx_mode;
	if (f->tx_mode == PKTLINK_FD_TX_AUTO)
		f->tx_mode = kind_is_socket(f->fd_kind[0]) ? PKTLINK_FD_TX_SENDMMSG
							   : PKTLINK_FD_TX_WRITEV;
	if (f->eth && o->has_link_addr) {
		memcpy(f->ep.info.link_addr, o->link_addr, 6);
		f->ep.info.has_link_addr = 1;
	}
	pl_rx_policy_init(&f->ep.rxp, f->eth, f->promisc,
			  f->eth && o->has_link_addr ? o->link_addr : NULL, f->rx_csum,
			  o->gso != PKTLINK_FD_GSO_NONE);
	/* AF_PACKET without a virtio-net header hands out a local sender's
	 * partial checksums unmarked (TAP completes them before us). */
	f->ep.rxp.fix_unmarked = f->eth && !f->vnet_len && f->fd_kind[0] == FD_KIND_PACKET;
	if (!o->injectable)
		for (unsigned k = 0; k < c->nq; k++) {
			f->q[k].fd = f->fds[k];
			f->q[k].kind = f->fd_kind[k];
		}
	return 0;
}

/* steps: AF_PACKET rings, fanout (rings first: a ring cannot be added to a
 * socket that is already in a fanout group). Rings go on handed-in AF_PACKET
 * sockets too (rx=mmap): they are unmapped at close, but a socket cannot
 * shed its ring, so such a socket is not reusable in another mode
 * afterwards (as with the seed's PACKET_MMAP). */
static unsigned n_rx_rings(void *ctx)
{
	struct fd_open *c = ctx;
	return c->f->rx_mode == PKTLINK_FD_RX_MMAP && !c->s->o.injectable ? c->nfds : 0;
}

static int st_rx_ring(void *ctx, unsigned i, char *err, size_t errlen)
{
	struct fd_open *c = ctx;
	/* V3 packs frames into blocks: the default 256 KiB block holds a
	 * 64 KiB super-packet, frame_size is only kernel bookkeeping */
	struct pl_packet_ring_cfg rc = c->s->ring;
	rc.vnet_hdr = c->s->o.vnet_hdr;
	return pl_packet_rx_ring_create(c->f->fds[i], &rc, &c->f->q[i].ring, err, errlen);
}

static void un_rx_rings(void *ctx)
{
	struct fd_open *c = ctx;
	for (unsigned k = 0; c->f && c->f->q && k < c->f->nq; k++) {
		pl_packet_rx_ring_destroy(c->f->q[k].ring);
		c->f->q[k].ring = NULL;
	}
}

static unsigned n_fanout(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->origin == FD_ORIGIN_PACKET && c->nfds > 1;
}

/* (no undo: closing the sockets leaves the group) */
static int st_fanout(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	uint16_t gid;
	return pl_packet_fanout_join(c->f->fds, c->nfds, &gid, err, errlen);
}

static unsigned n_tx_ring(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->origin == FD_ORIGIN_PACKET && c->f->tx_mode == PKTLINK_FD_TX_MMAP;
}

static int st_tx_ring(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	struct fd_ep *f = c->f;
	uint32_t fs = f->vnet_len && c->s->o.gso == PKTLINK_FD_GSO_HOST
			      ? FD_SUPER_MAX + 2048
			      : round_up64(f->tx_frame_max + 128);
	return pl_packet_tx_ring_create(f->ifindex, c->s->tx_frames ? c->s->tx_frames : 256, fs,
					c->s->o.vnet_hdr, c->s->pcfg.qdisc_bypass, &f->txr, err,
					errlen);
}

static void un_tx_ring(void *ctx)
{
	struct fd_open *c = ctx;
	if (c->f) {
		pl_packet_tx_ring_destroy(c->f->txr);
		c->f->txr = NULL;
	}
}

/* steps: receive queues — the inject eventfd, receive buffers */
static unsigned n_inject(void *ctx)
{
	struct fd_open *c = ctx;
	return c->s->o.injectable;
}

static int st_inject(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_open *c = ctx;
	struct fd_ep *f = c->f;
	f->inject_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->inject_fd < 0)
		return pl_err(err, errlen, -errno, "inject queue: eventfd: %s", strerror(errno));
	f->q[0].fd = f->inject_fd;
	f->q[0].kind = FD_KIND_EVENT;
	return 0;
}

static void un_inject(void *ctx)
{
	struct fd_open *c = ctx;
	if (c->f && c->f->inject_fd >= 0) {
		close(c->f->inject_fd);
		c->f->inject_fd = -1;
	}
}

static unsigned n_buffers(void *ctx)
{
	struct fd_open *c = ctx;
	return c->f->rx_mode != PKTLINK_FD_RX_MMAP || c->s->o.injectable ? c->nq : 0;
}

static int st_buffers(void *ctx, unsigned i, char *err, size_t errlen)
{
	struct fd_open *c = ctx;
	return fd_queue_alloc(c->f, i, err, errlen);
}

static void un_buffers(void *ctx)
{
	struct fd_open *c = ctx;
	for (unsigned k = 0; c->f && c->f->q && k < c->f->nq; k++) {
		struct fd_queue *q = &c->f->q[k];
		if (q->mem)
			munmap(q->mem, q->mem_len);
		q->mem = NULL;
		free(q->freel);
		free(q->out);
		free(q->msgs);
		free(q->iov);
		free(q->cmsg);
		free(q->bidx);
		free(q->ready.slot);
		free(q->freeq.slot);
		q->freel = NULL;
		q->out = NULL;
		q->msgs = NULL;
		q->iov = NULL;
		q->cmsg = NULL;
		q->bidx = NULL;
		q->ready.slot = q->freeq.slot = NULL;
	}
}

/* step: TX scratch for software GSO and checksum completion */
static int st_scratch(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_ep *f = ((struct fd_open *)ctx)->f;
	f->scratch_len = (size_t)FD_TX_BATCH * f->scratch_slot;
	void *sm = mmap(NULL, f->scratch_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sm == MAP_FAILED)
		return pl_err(err, errlen, -ENOMEM, "cannot map the TX scratch area (%zu bytes)",
			      f->scratch_len);
	f->scratch = sm;
	return 0;
}

static void un_scratch(void *ctx)
{
	struct fd_open *c = ctx;
	if (c->f && c->f->scratch) {
		munmap(c->f->scratch, c->f->scratch_len);
		c->f->scratch = NULL;
	}
}

/* step: the epoll set over all queues (pktlink_fd()); undone by un_core */
static int st_pollfd(void *ctx, unsigned i, char *err, size_t errlen)
{
	(void)i;
	struct fd_ep *f = ((struct fd_open *)ctx)->f;
	int r = pl_ep_init_pollfd(&f->ep);
	return r ? pl_err(err, errlen, r, "%s", pktlink_last_error(&f->ep)) : 0;
}

static const struct pl_step fd_steps[] = {
	{ "allocate the endpoint", n_one, st_alloc, un_alloc },
	{ "initialise the endpoint", n_one, st_core, un_core },
	{ "allocate the queue table", n_one, st_qtable, un_qtable },
	{ "make a descriptor non-blocking", n_handed, st_handed, NULL },
	{ "open the TAP/TUN device", n_tun, st_tun_open, un_owned_fds },
	{ "read the device's MTU", n_tun, st_tun_mtu, NULL },
	{ "open an AF_PACKET socket", n_packet_socks, st_packet_sock, un_owned_fds },
	{ "read the device's MTU and address", n_packet, st_packet_props, NULL },
	{ "work out buffer sizes and modes", n_one, st_sizes, NULL },
	{ "create the TPACKET_V3 RX ring", n_rx_rings, st_rx_ring, un_rx_rings },
	{ "join the fanout group", n_fanout, st_fanout, NULL },
	{ "create the TPACKET_V2 TX ring", n_tx_ring, st_tx_ring, un_tx_ring },
	{ "create the inject eventfd", n_inject, st_inject, un_inject },
	{ "allocate receive buffers", n_buffers, st_buffers, un_buffers },
	{ "allocate the TX scratch area", n_one, st_scratch, un_scratch },
	{ "create the epoll set", n_one, st_pollfd, NULL },
};

static void fd_undo_all(struct fd_ep *f)
{
	struct fd_open c = { .f = f };
	pl_steps_undo(fd_steps, sizeof(fd_steps) / sizeof(fd_steps[0]), &c);
}

/*
 * pl_fd_ep_open(): validate, run fd_steps, then fill in the properties.
 * After the first two steps every failure is undone by the table itself.
 */
int pl_fd_ep_open(struct fd_setup *s, struct pktlink_ep **epp, char *err, size_t errlen)
{
	uint8_t kinds[PL_MAX_QUEUES];
	struct pktlink_fd_opts *o = &s->o;
	int r = fd_validate(s, err, errlen);
	if (r)
		return r;
	if (s->origin == FD_ORIGIN_HANDED) {
		r = fd_validate_fds(s, kinds, err, errlen);
		if (r)
			return r;
	}
	struct fd_open c = { .s = s, .kinds = kinds };
	c.nfds = s->origin == FD_ORIGIN_HANDED ? o->num_fds
		 : s->origin == FD_ORIGIN_TUN  ? s->tun.queues
					       : s->packet_fds;
	c.nq = o->injectable ? 1 : c.nfds;
	r = pl_steps_run(fd_steps, sizeof(fd_steps) / sizeof(fd_steps[0]), &c, err, errlen);
	if (r)
		return r;
	struct fd_ep *f = c.f;

	/* properties */
	struct pktlink_info *in = &f->ep.info;
	in->mtu = o->mtu;
	in->max_header_len = f->link_len;
	in->arp_hwtype = f->eth ? 1 : 0xfffe;
	in->caps = 0;
	if (f->eth)
		in->caps |= PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED;
	if (f->rx_csum)
		in->caps |= PKTLINK_CAP_RX_CSUM_OFFLOAD;
	if (f->tx_csum)
		in->caps |= PKTLINK_CAP_TX_CSUM_OFFLOAD;
	if (f->txr)
		in->caps |= PKTLINK_CAP_TX_ALLOC;
	/* gso=none only keeps super-packets from being handed out on
	 * receive; on transmit pktlink segments them like gso=software. */
	in->gso_kind = o->gso == PKTLINK_FD_GSO_HOST ? PKTLINK_GSO_KIND_HOST
						     : PKTLINK_GSO_KIND_SOFTWARE;
	in->gso_max_size = o->gso_max_size;
	pl_ep_error_clear(&f->ep);
	*epp = &f->ep;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Public entry points                                                       */

/* See fd.h: copies the caller's (possibly shorter, older) options struct and
 * hands it to pl_fd_ep_open(). */
int pktlink_fd_open(const struct pktlink_fd_opts *opts, struct pktlink_ep **epp, char *err,
		    size_t errlen)
{
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "pktlink_fd_open: epp is NULL");
	*epp = NULL;
	if (!opts)
		return pl_err(err, errlen, -EINVAL, "pktlink_fd_open: opts is NULL");
	struct fd_setup s;
	memset(&s, 0, sizeof(s));
	int r = PL_OPTS_LOAD(pktlink_fd_opts, &s.o, opts, pl_offsetofend(struct pktlink_fd_opts, fds),
			     err, errlen);
	if (r)
		return r;
	s.origin = FD_ORIGIN_HANDED;
	s.mtu_given = s.o.mtu != 0;
	return pl_fd_ep_open(&s, epp, err, errlen);
}

/* See fd.h. The producer side of the inject queue: takes a free buffer,
 * copies, publishes it (release), then wakes the reader through the eventfd. */
int pktlink_fd_inject(struct pktlink_ep *ep, const void *frame, uint32_t len)
{
	if (!ep || (ep->ops != &fd_ops && ep->ops != &fd_ops_txring))
		return -EINVAL;
	struct fd_ep *f = to_fd(ep);
	if (!f->o.injectable)
		return pl_ep_error(ep, -EINVAL,
				   "pktlink_fd_inject: this endpoint reads its descriptors; open it "
				   "with opts.injectable (inject=1) to inject frames");
	if (!frame || !len || len > f->frame_max || (f->eth && len < FD_ETH_HLEN))
		return -EINVAL;
	struct fd_queue *q = &f->q[0];
	uint32_t idx;
	if (!fd_spsc_pop(&q->freeq, &idx)) {
		__atomic_add_fetch(&f->inject_nobuf, 1, __ATOMIC_RELAXED);
		return -ENOBUFS;
	}
	uint8_t *b = slot_base(f, q, idx);
	memcpy(b, &len, sizeof(len));
	memcpy(b + FD_HEADROOM, frame, len);
	fd_spsc_push(&q->ready, idx); /* cannot be full: nbufs slots in all */
	uint64_t one = 1;
	ssize_t w = write(f->inject_fd, &one, sizeof(one));
	(void)w; /* the counter cannot overflow at one per frame */
	return 0;
}
