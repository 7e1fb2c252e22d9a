/* SPDX-License-Identifier: MIT */
/*
 * packet_filter.c — pktlink_packet_set_filter(): a classic BPF program on
 * every receive socket of a "packet:" endpoint, so the kernel drops what the
 * caller does not want before it is copied (what libpcap does for tcpdump).
 */
#include "fd/fd_internal.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <pktlink/fd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The head of pktlink's own outgoing-frame filter (packet_fanout.c), kept in
 * front of a caller's program so that ignore_outgoing=1 still holds. */
static const struct sock_filter outgoing_head[3] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* has_outgoing_filter() - whether socket @fd carries pktlink's outgoing-frame
 * filter (ignore_outgoing=1 on a kernel without the fanout flag). */
static bool has_outgoing_filter(int fd)
{
	struct sock_filter cur[4];
	socklen_t len = 4; /* SO_GET_FILTER counts instructions, not bytes */
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, cur, &len) || len != 4)
		return false;
	return !memcmp(cur, outgoing_head, sizeof(outgoing_head));
}

int pktlink_packet_set_filter(struct pktlink_ep *ep, const struct sock_filter *insns,
			      unsigned count)
{
	if (!ep || !ep->ops || !ep->ops->family || strcmp(ep->ops->family, "fd"))
		return -EINVAL;
	struct fd_ep *f = (struct fd_ep *)ep;
	if (f->origin != FD_ORIGIN_PACKET || !f->nfds || f->o.injectable)
		return -EINVAL;
	if (!insns || !count || count > BPF_MAXINSNS - 3)
		return -EINVAL;
	/* Every socket of one endpoint is set up alike, so the first tells. */
	bool keep_head = has_outgoing_filter(f->fds[0]);
	unsigned n = count + (keep_head ? 3 : 0);
	struct sock_filter *prog = malloc(n * sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	if (keep_head)
		memcpy(prog, outgoing_head, sizeof(outgoing_head));
	memcpy(prog + (keep_head ? 3 : 0), insns, count * sizeof(*insns));
	struct sock_fprog p = { .len = (unsigned short)n, .filter = prog };
	int r = 0;
	for (unsigned i = 0; i < f->nfds && !r; i++)
		if (setsockopt(f->fds[i], SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)))
			r = -errno;
	free(prog);
	return r;
}
