/* SPDX-License-Identifier: MIT */
/*
 * xt_steer.bpf.c — test program (test_prog): several AF_XDP sockets on one
 * queue sharing a UMEM; test frame seq goes to the socket at XSKMAP key
 * seq % nsocks[0]. Other frames go to the stack.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nsocks SEC(".maps");

SEC("xdp")
int xt_steer(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;
	__u32 zero = 0;
	if (data + 18 > end || data[12] != 0x88 || data[13] != 0xb5)
		return XDP_PASS;
	__u32 *n = bpf_map_lookup_elem(&nsocks, &zero);
	if (!n || !*n)
		return XDP_PASS;
	__u32 seq = data[14] | (data[15] << 8);
	return bpf_redirect_map(&xsks_map, seq % *n, XDP_DROP);
}

char _license[] SEC("license") = "Dual MIT/GPL";
