/* SPDX-License-Identifier: MIT */
/*
 * xt_drop_half.bpf.c — test program (test_prog): a caller-attached program
 * that drops the test frames with an odd sequence number and redirects the
 * rest by rx queue into its own XSKMAP. Other frames go to the stack.
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
int xt_drop_half(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;
	if (data + 18 > end)
		return XDP_PASS;
	if (data[12] != 0x88 || data[13] != 0xb5)
		return XDP_PASS;
	if (data[14] & 1) /* low byte of the little-endian sequence number */
		return XDP_DROP;
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual MIT/GPL";
