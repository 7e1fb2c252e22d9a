/* SPDX-License-Identifier: MIT */
/*
 * xt_meta.bpf.c — test program (test_prog): put 8 bytes of metadata before
 * each test frame (bpf_xdp_adjust_meta) — a magic and the frame's length —
 * then redirect by rx queue into the XSKMAP.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

SEC("xdp")
int xt_meta(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -8))
		return XDP_PASS;
	__u32 *meta = (__u32 *)(long)ctx->data_meta;
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;
	if ((void *)(meta + 2) > (void *)data)
		return XDP_PASS;
	meta[0] = 0x4d455441; /* "META" */
	meta[1] = (__u32)(end - data);
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual MIT/GPL";
