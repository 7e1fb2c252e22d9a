/* SPDX-License-Identifier: MIT */
/*
 * capture.bpf.c — the XDP program of `pktlink capture xdp:IFNAME` without
 * --steal: copy each received frame (up to the snap length) into a BPF ring
 * buffer and return XDP_PASS, so the kernel still gets every frame (as
 * xdpdump does). Built twice (tools/CMakeLists.txt): with PL_CAP_KFUNC the
 * program asks the driver for the frame's RX timestamp through the
 * bpf_xdp_metadata_rx_timestamp kfunc (a device-bound program, Linux 6.3+);
 * without it, or when the driver has no stamp, it stamps with the kernel's
 * monotonic clock, which user space turns into wall-clock time.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PL_CAP_MAX 16384 /* bytes copied per frame at most (per-CPU scratch) */

/* One record in the ring: this header, then caplen bytes. */
struct pl_cap_rec {
	__u64 ts; /* ns: device clock (flags & 1) or CLOCK_MONOTONIC */
	__u32 len; /* frame length */
	__u32 caplen; /* bytes that follow */
	__u32 flags; /* 1: ts from the device */
	__u32 pad;
};

struct pl_cap_scratch {
	struct pl_cap_rec h;
	__u8 data[PL_CAP_MAX];
};

/* [0] snap length; written by user space after loading. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} pl_cap_cfg SEC(".maps");

/* [0] frames the ring had no room for. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pl_cap_lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_cap_scratch);
} pl_cap_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} pl_cap_ring SEC(".maps");

#ifdef PL_CAP_KFUNC
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
#endif

SEC("xdp")
int pl_capture(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct pl_cap_scratch *s = bpf_map_lookup_elem(&pl_cap_buf, &zero);
	__u32 *snap = bpf_map_lookup_elem(&pl_cap_cfg, &zero);
	if (!s || !snap)
		return XDP_PASS;
	__u64 ts = 0;
	__u32 flags = 0;
#ifdef PL_CAP_KFUNC
	if (!bpf_xdp_metadata_rx_timestamp(ctx, &ts) && ts)
		flags = 1;
	else
		ts = 0;
#endif
	if (!ts)
		ts = bpf_ktime_get_ns();
	__u64 len = bpf_xdp_get_buff_len(ctx);
	__u64 cap = len < *snap ? len : *snap;
	/* Bounds the verifier can follow: 1..PL_CAP_MAX in a 64-bit register. */
	if (cap > PL_CAP_MAX)
		cap = PL_CAP_MAX;
	cap &= 2 * PL_CAP_MAX - 1;
	if (cap < 1)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, 0, s->data, cap))
		return XDP_PASS;
	s->h.ts = ts;
	s->h.len = (__u32)len;
	s->h.caplen = (__u32)cap;
	s->h.flags = flags;
	s->h.pad = 0;
	if (bpf_ringbuf_output(&pl_cap_ring, s, sizeof(s->h) + cap, 0)) {
		__u64 *lost = bpf_map_lookup_elem(&pl_cap_lost, &zero);
		if (lost)
			*lost += 1;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
