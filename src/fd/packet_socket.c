/* SPDX-License-Identifier: MIT */
/*
 * packet_socket.c — opening one AF_PACKET socket bound to a device, VLAN tag
 * re-insertion and the kernel's drop counters. See packet.h.
 *
 * Setup steps of pl_packet_socket_open(), in order (each preceded by
 * pl_fault() so the teardown tests can fail it):
 *   1. socket(AF_PACKET, SOCK_RAW, protocol 0)  — receives nothing yet
 *   2. PACKET_VNET_HDR        (must precede any ring)
 *   3. PACKET_IGNORE_OUTGOING
 *   4. PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC
 *   5. PACKET_QDISC_BYPASS
 *   6. PACKET_AUXDATA
 *   7. bind(ifindex, ETH_P_ALL or 0)
 * Any failure closes the socket: nothing is left behind.
 */
#include "fd/packet.h"

#include "core/fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* One setsockopt step with failure injection and a readable error. */
static int set_opt(int fd, int opt, int val, const char *name, const char *fix, char *err,
		   size_t errlen)
{
	if (pl_fault())
		return pl_err(err, errlen, -EFAULT, "setsockopt(SOL_PACKET, %s): injected failure",
			      name);
	if (setsockopt(fd, SOL_PACKET, opt, &val, sizeof(val)) != 0) {
		int e = errno;
		return pl_err(err, errlen, -e, "setsockopt(SOL_PACKET, %s): %s%s%s", name,
			      strerror(e), fix ? " — " : "", fix ? fix : "");
	}
	return 0;
}

int pl_packet_socket_open(int ifindex, const struct pl_packet_sock_cfg *cfg, int *fd, char *err,
			  size_t errlen)
{
	static const struct pl_packet_sock_cfg defaults = { .rx = true };
	int s, r;

	if (!fd)
		return pl_err(err, errlen, -EINVAL, "pl_packet_socket_open: fd is NULL");
	*fd = -1;
	if (ifindex <= 0)
		return pl_err(err, errlen, -EINVAL,
			      "AF_PACKET socket: ifindex %d is not a device index (use "
			      "if_nametoindex())",
			      ifindex);
	if (!cfg)
		cfg = &defaults;

	if (pl_fault())
		return pl_err(err, errlen, -EFAULT, "socket(AF_PACKET): injected failure");
	/* Protocol 0: the socket receives nothing until bind() names the
	 * device, so no frame of another interface is ever queued on it. */
	s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		int e = errno;
		return pl_err(err, errlen, -e, "socket(AF_PACKET, SOCK_RAW): %s%s", strerror(e),
			      (e == EPERM || e == EACCES) ? " — needs CAP_NET_RAW in the "
							    "device's network namespace"
							  : "");
	}

	if (cfg->vnet_hdr &&
	    (r = set_opt(s, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR", NULL, err, errlen)) < 0)
		goto fail;
	if (cfg->ignore_outgoing &&
	    (r = set_opt(s, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING",
			 "needs Linux 4.20; turn ignore_outgoing off on older kernels", err,
			 errlen)) < 0)
		goto fail;
	if (cfg->promisc) {
		struct packet_mreq mr;
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (pl_fault()) {
			r = pl_err(err, errlen, -EFAULT,
				   "PACKET_ADD_MEMBERSHIP PROMISC: injected failure");
			goto fail;
		}
		/* The membership belongs to the socket: the kernel drops it
		 * (and the device's promiscuity count) when the socket closes. */
		if (setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
			int e = errno;
			r = pl_err(err, errlen, -e, "PACKET_ADD_MEMBERSHIP PROMISC on ifindex %d: %s",
				   ifindex, strerror(e));
			goto fail;
		}
	}
	if (cfg->qdisc_bypass &&
	    (r = set_opt(s, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS", NULL, err, errlen)) < 0)
		goto fail;
	if (cfg->auxdata &&
	    (r = set_opt(s, PACKET_AUXDATA, 1, "PACKET_AUXDATA", NULL, err, errlen)) < 0)
		goto fail;

	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = cfg->rx ? htons(ETH_P_ALL) : 0;
	if (pl_fault()) {
		r = pl_err(err, errlen, -EFAULT, "bind(AF_PACKET, ifindex %d): injected failure",
			   ifindex);
		goto fail;
	}
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		int e = errno;
		r = pl_err(err, errlen, -e, "bind(AF_PACKET) to ifindex %d: %s%s", ifindex,
			   strerror(e),
			   e == ENODEV ? " — the device is gone or in another namespace" : "");
		goto fail;
	}
	*fd = s;
	return 0;
fail:
	close(s);
	return r;
}

uint64_t pl_packet_kernel_drops(int fd)
{
	/* tpacket_stats_v3 is a superset of tpacket_stats: the kernel copies
	 * min(len, size of its struct), so one call serves V1/V2/V3 sockets.
	 * Reading resets the kernel's counters (that is how PACKET_STATISTICS
	 * works), hence "since the last call". */
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (fd < 0 || getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
		return 0;
	return st.tp_drops;
}
