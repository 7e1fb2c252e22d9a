/* SPDX-License-Identifier: MIT */
/*
 * fd_spec.c — the fd family's spec-string openers ("fd:", "tap:", "tun:",
 * "packet:") and their help text. Each opener only translates keys into a
 * struct fd_setup; pl_fd_ep_open() (fd_setup.c) is the one implementation
 * behind them and pktlink_fd_open().
 */
#include "fd/fd_internal.h"

#include "core/offload.h"
#include "core/registry.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

static const char fd_spec_help[] =
	"fd:FD[,FD...]?keys — frames over descriptors you opened (socketpair SOCK_SEQPACKET/"
	"SOCK_DGRAM, TAP/TUN, AF_PACKET); not closed by pktlink\n"
	"    mtu=N (required)  hdr=eth|none (eth)  addr=MAC  promisc=0|1  vnet_hdr=0|1\n"
	"    vnet_hdr_len=10|12  rx=readv|recvmmsg|mmap (readv)  tx=auto|writev|sendmmsg\n"
	"    gso=none|host|software  gso_max=N  csum=none|rx|tx|rxtx  frames=N (256 buffers/queue)\n"
	"    timestamp=0|1 (RX kernel timestamps; a control message per frame)\n"
	"    inject=0|1 (never read: inbound frames come from pktlink_fd_inject())\n";

static const char tap_spec_help[] =
	"tap:NAME?keys — a TAP device opened (created if needed) by name; one queue per fd\n"
	"    queues=N (1)  vnet_hdr=0|1  vnet_hdr_len=10|12 (12)  mtu=N (the device's)  addr=MAC\n"
	"    promisc=0|1  gso=none|host|software (host with vnet_hdr)  gso_max=N\n"
	"    csum=none|rx|tx|rxtx (rxtx with vnet_hdr)  frames=N  timestamp=0|1\n";

static const char tun_spec_help[] =
	"tun:NAME?keys — a TUN device (IP packets, no link header) opened by name\n"
	"    queues=N (1)  vnet_hdr=0|1  vnet_hdr_len=10|12 (12)  mtu=N (the device's)\n"
	"    gso=none|host|software  gso_max=N  csum=none|rx|tx|rxtx  frames=N  timestamp=0|1\n";

static const char packet_spec_help[] =
	"packet:IFNAME?keys — AF_PACKET sockets on a device (several in one fanout group)\n"
	"    fds=N (1)  dispatch=readv|recvmmsg|mmap (recvmmsg)  tx=sendmmsg|mmap (sendmmsg)\n"
	"    vnet_hdr=0|1  ignore_outgoing=0|1 (1)  promisc=0|1  qdisc_bypass=0|1\n"
	"    block_timeout_ms=N (1)  block_size=N  block_count=N  frame_size=N  tx_frames=N\n"
	"    mtu=N (the device's)  addr=MAC (the device's)  gso=none|host|software  gso_max=N\n"
	"    csum=none|rx|tx|rxtx  frames=N  timestamp=0|1 (always on with dispatch=mmap)\n";

static const char *const gso_names[] = { "none", "host", "software", NULL };
static const char *const csum_names[] = { "none", "rx", "tx", "rxtx", NULL };

/* Keys every fd-family spec shares (mtu, gso, csum, ...). */
static int spec_common(struct pl_spec *s, struct fd_setup *st, bool eth_keys)
{
	struct pktlink_fd_opts *o = &st->o;
	int r;
	uint32_t v;
	if ((r = pl_spec_u32(s, "mtu", 68, 65535, &o->mtu)) < 0)
		return r;
	st->mtu_given = r == 1;
	if ((r = pl_spec_bool(s, "vnet_hdr", &o->vnet_hdr)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "vnet_hdr_len", 10, 12, &v)) < 0)
		return r;
	if (r == 1) {
		if (v == 11)
			return pl_err(s->err, s->errlen, -EINVAL,
				      "key 'vnet_hdr_len': 11 is not a virtio-net header size: use "
				      "10 or 12");
		o->vnet_hdr_len = v;
	}
	unsigned e;
	/* with a virtio-net header, offloads are the point: default to them */
	o->gso = o->vnet_hdr ? PKTLINK_FD_GSO_HOST : PKTLINK_FD_GSO_NONE;
	if ((r = pl_spec_enum(s, "gso", gso_names, &e)) < 0)
		return r;
	if (r == 1)
		o->gso = (enum pktlink_fd_gso)e;
	if ((r = pl_spec_u32(s, "gso_max", 1280, 65536, &o->gso_max_size)) < 0)
		return r;
	e = o->vnet_hdr ? 3 : 0;
	if ((r = pl_spec_enum(s, "csum", csum_names, &e)) < 0)
		return r;
	o->rx_csum_offload = e & 1;
	o->tx_csum_offload = (e & 2) != 0;
	if ((r = pl_spec_u32(s, "frames", 2, 65536, &o->rx_ring_frames)) < 0)
		return r;
	if ((r = pl_spec_bool(s, "timestamp", &o->rx_timestamp)) < 0)
		return r;
	if (eth_keys) {
		if ((r = pl_spec_mac(s, "addr", o->link_addr)) < 0)
			return r;
		o->has_link_addr = r == 1;
		if ((r = pl_spec_bool(s, "promisc", &o->promiscuous)) < 0)
			return r;
	}
	return 0;
}

/* Check a device name target. */
static int spec_ifname(struct pl_spec *s, const char *fam)
{
	size_t l = strlen(s->target);
	if (!l || l >= IF_NAMESIZE || strchr(s->target, '/') || strchr(s->target, ' '))
		return pl_err(s->err, s->errlen, -EINVAL,
			      "%s: '%s' is not a device name: give 1 to %d characters without '/' "
			      "or spaces, e.g. %s:pl0",
			      fam, s->target, IF_NAMESIZE - 1, fam);
	return 0;
}

/**
 * fd_open_spec() - "fd:3,4?...": descriptors handed in by number (not
 * owned). Errors name the key; see fd_spec_help for the keys.
 */
static int fd_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	struct fd_setup st;
	memset(&st, 0, sizeof(st));
	st.origin = FD_ORIGIN_HANDED;
	int fds[PL_MAX_QUEUES];
	unsigned n = 0;
	const char *p = s->target;
	if (!*p)
		return pl_err(s->err, s->errlen, -EINVAL,
			      "fd: give the descriptors after 'fd:', e.g. fd:3 or fd:3,4");
	while (*p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno || v < 0 || v > INT_MAX || (*end && *end != ','))
			return pl_err(s->err, s->errlen, -EINVAL,
				      "fd: '%s' is not a list of descriptor numbers: use e.g. fd:3,4",
				      s->target);
		if (n == PL_MAX_QUEUES)
			return pl_err(s->err, s->errlen, -EINVAL,
				      "fd: more than %d descriptors", PL_MAX_QUEUES);
		fds[n++] = (int)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return pl_err(s->err, s->errlen, -EINVAL,
				      "fd: '%s' ends with ',': use e.g. fd:3,4", s->target);
	}
	st.o.fds = fds;
	st.o.num_fds = n;
	static const char *const hdr_names[] = { "none", "eth", NULL };
	static const char *const rx_names[] = { "readv", "recvmmsg", "mmap", NULL };
	static const char *const tx_names[] = { "auto", "writev", "sendmmsg", NULL };
	unsigned e = 1;
	int r;
	if ((r = pl_spec_enum(s, "hdr", hdr_names, &e)) < 0)
		return r;
	st.o.eth_header = e == 1;
	if ((r = spec_common(s, &st, true)) < 0)
		return r;
	e = 0;
	if ((r = pl_spec_enum(s, "rx", rx_names, &e)) < 0)
		return r;
	st.o.rx_mode = (enum pktlink_fd_rx_mode)e;
	e = 0;
	if ((r = pl_spec_enum(s, "tx", tx_names, &e)) < 0)
		return r;
	st.o.tx_mode = (enum pktlink_fd_tx_mode)e;
	if ((r = pl_spec_bool(s, "inject", &st.o.injectable)) < 0)
		return r;
	if ((r = pl_spec_finish(s, "mtu, hdr, addr, promisc, vnet_hdr, vnet_hdr_len, rx, tx, gso, "
				   "gso_max, csum, frames, inject, timestamp")) < 0)
		return r;
	r = pl_fd_ep_open(&st, epp, s->err, s->errlen);
	return r;
}

/* tap: and tun: share everything but the link header. */
static int tuntap_open_spec(struct pl_spec *s, struct pktlink_ep **epp, bool tap)
{
	const char *fam = tap ? "tap" : "tun";
	int r = spec_ifname(s, fam);
	if (r)
		return r;
	struct fd_setup st;
	memset(&st, 0, sizeof(st));
	st.origin = FD_ORIGIN_TUN;
	st.ifname = s->target;
	st.o.eth_header = tap;
	uint32_t queues = 1;
	if ((r = pl_spec_u32(s, "queues", 1, PL_MAX_QUEUES, &queues)) < 0)
		return r;
	if ((r = spec_common(s, &st, tap)) < 0)
		return r;
	if ((r = pl_spec_finish(s, tap ? "queues, vnet_hdr, vnet_hdr_len, mtu, addr, promisc, gso, "
					 "gso_max, csum, frames, timestamp"
				       : "queues, vnet_hdr, vnet_hdr_len, mtu, gso, gso_max, csum, "
					 "frames, timestamp")) < 0)
		return r;
	if ((st.o.rx_csum_offload || st.o.gso == PKTLINK_FD_GSO_HOST) && !st.o.vnet_hdr)
		return pl_err(s->err, s->errlen, -EINVAL,
			      "%s: %s needs vnet_hdr=1: offload metadata travels in the "
			      "virtio-net header",
			      fam, st.o.gso == PKTLINK_FD_GSO_HOST ? "gso=host" : "csum=rx/rxtx");
	st.tun.tap = tap;
	st.tun.vnet_hdr = st.o.vnet_hdr;
	st.tun.vnet_hdr_len = st.o.vnet_hdr_len ? st.o.vnet_hdr_len : PL_VNET_HDR_MRG_LEN;
	st.tun.queues = queues;
	/* what we can take on reads: partial checksums when the stack wants
	 * them, super-packets when it takes host GSO (which needs CSUM too) */
	if (st.o.vnet_hdr && (st.o.rx_csum_offload || st.o.gso == PKTLINK_FD_GSO_HOST))
		st.tun.want_offloads |= PL_TUN_OFF_CSUM;
	if (st.o.vnet_hdr && st.o.gso == PKTLINK_FD_GSO_HOST) {
		st.tun.want_offloads |= PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO;
		st.o.rx_csum_offload = true; /* super-packets come with partial checksums */
	}
	if (st.o.vnet_hdr)
		st.o.vnet_hdr_len = st.tun.vnet_hdr_len;
	return pl_fd_ep_open(&st, epp, s->err, s->errlen);
}

/** tap_open_spec() - "tap:NAME?...": a TAP device opened by name (owned fds). */
static int tap_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	return tuntap_open_spec(s, epp, true);
}

/** tun_open_spec() - "tun:NAME?...": a TUN device (IP packets) opened by name. */
static int tun_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	return tuntap_open_spec(s, epp, false);
}

/**
 * packet_open_spec() - "packet:IFNAME?...": fds= AF_PACKET sockets on the
 * device (one fanout group when several), in the dispatch= receive mode,
 * with PACKET_AUXDATA outside mmap mode so stripped VLAN tags come back.
 */
static int packet_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	int r = spec_ifname(s, "packet");
	if (r)
		return r;
	struct fd_setup st;
	memset(&st, 0, sizeof(st));
	st.origin = FD_ORIGIN_PACKET;
	st.ifname = s->target;
	st.o.eth_header = true; /* corrected from the device's ARP type at open */
	static const char *const disp_names[] = { "readv", "recvmmsg", "mmap", NULL };
	static const char *const tx_names[] = { "sendmmsg", "mmap", NULL };
	uint32_t nfds = 1;
	unsigned e;
	if ((r = pl_spec_u32(s, "fds", 1, PL_MAX_QUEUES, &nfds)) < 0)
		return r;
	st.packet_fds = nfds;
	e = PKTLINK_FD_RX_RECVMMSG;
	if ((r = pl_spec_enum(s, "dispatch", disp_names, &e)) < 0)
		return r;
	st.o.rx_mode = (enum pktlink_fd_rx_mode)e;
	e = 0;
	if ((r = pl_spec_enum(s, "tx", tx_names, &e)) < 0)
		return r;
	st.o.tx_mode = e ? PKTLINK_FD_TX_MMAP : PKTLINK_FD_TX_SENDMMSG;
	if ((r = spec_common(s, &st, true)) < 0)
		return r;
	if (st.o.vnet_hdr_len && st.o.vnet_hdr_len != PL_VNET_HDR_LEN)
		return pl_err(s->err, s->errlen, -EINVAL,
			      "packet: key 'vnet_hdr_len': AF_PACKET uses a 10-byte header: drop "
			      "vnet_hdr_len");
	st.pcfg.ignore_outgoing = true;
	if ((r = pl_spec_bool(s, "ignore_outgoing", &st.pcfg.ignore_outgoing)) < 0)
		return r;
	if ((r = pl_spec_bool(s, "qdisc_bypass", &st.pcfg.qdisc_bypass)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "block_timeout_ms", 1, 1000, &st.ring.block_timeout_ms)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "block_size", 4096, 1u << 30, &st.ring.block_size)) < 0)
		return r;
	if (r == 1 && (st.ring.block_size & (st.ring.block_size - 1)))
		return pl_err(s->err, s->errlen, -EINVAL,
			      "key 'block_size': %u is not a power of two: use e.g. 1048576",
			      st.ring.block_size);
	if ((r = pl_spec_u32(s, "block_count", 1, 65536, &st.ring.block_count)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "frame_size", 256, 1u << 20, &st.ring.frame_size)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "tx_frames", 1, 65536, &st.tx_frames)) < 0)
		return r;
	if ((r = pl_spec_finish(s, "fds, dispatch, tx, vnet_hdr, ignore_outgoing, promisc, "
				   "qdisc_bypass, block_timeout_ms, block_size, block_count, "
				   "frame_size, tx_frames, mtu, addr, gso, gso_max, csum, frames, timestamp")) < 0)
		return r;
	if (if_nametoindex(st.ifname) == 0)
		return pl_err(s->err, s->errlen, -ENODEV,
			      "packet:%s: no such device: create it first (ip link add ...)",
			      st.ifname);
	st.pcfg.vnet_hdr = st.o.vnet_hdr;
	st.pcfg.promisc = st.o.promiscuous;
	st.pcfg.rx = true;
	/* stripped VLAN tags come back through the auxdata control message */
	st.pcfg.auxdata = st.o.rx_mode != PKTLINK_FD_RX_MMAP;
	return pl_fd_ep_open(&st, epp, s->err, s->errlen);
}

/* The fd family's spec prefixes (core/registry.h). */
const struct pl_family_entry pl_family_fd[] = {
	{ "fd", fd_open_spec, fd_spec_help },
	{ "tap", tap_open_spec, tap_spec_help },
	{ "tun", tun_open_spec, tun_spec_help },
	{ "packet", packet_open_spec, packet_spec_help },
	{ NULL, NULL, NULL },
};
