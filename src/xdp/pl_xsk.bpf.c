/* SPDX-License-Identifier: MIT */
/*
 * pl_xsk.bpf.c — pktlink's XDP program: hand every frame that arrives on an
 * rx queue to the AF_XDP socket registered for that queue in xsks_map, and
 * let the frame continue to the kernel stack (XDP_PASS) when no socket is
 * registered there, so attaching the program alone never blackholes a queue.
 *
 * Compiled twice by family.cmake: once as a plain "xdp" program, once with
 * PL_FRAGS for multi-buffer sockets (section "xdp.frags", which tells the
 * kernel the program understands fragmented frames).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

#ifdef PL_FRAGS
SEC("xdp.frags")
#else
SEC("xdp")
#endif
int pl_xsk_redirect(struct xdp_md *ctx)
{
	/* The low bits of the flags are the action when the lookup fails. */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual MIT/GPL";
