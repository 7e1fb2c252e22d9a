/* SPDX-License-Identifier: MIT */
/*
 * gen.bpf.c — the XDP programs behind `pktlink bench`'s traffic generator
 * and sinks. Compiled with clang -target bpf at build time and embedded in
 * the pktlink binary (see tools/CMakeLists.txt and tools/gen.c).
 *
 *   pl_gen_tx      run with BPF_PROG_RUN in live-frames mode
 *                  (BPF_F_TEST_XDP_LIVE_FRAMES) on the generator's veth end:
 *                  returns XDP_TX, which the kernel turns into a redirect out
 *                  of that device, i.e. into the peer veth's receive ring.
 *                  Optionally rewrites the UDP source port so that the
 *                  frames form several flows (for fanout).
 *   pl_sink_drop   attached to a device that receives what the program under
 *                  test sends (tx-only scenarios): counts and drops.
 *   pl_redirect    attached to the receiving veth end when the frames must go
 *                  on to another device (a TAP): counts and redirects to the
 *                  ifindex in redir_map[0].
 *   pl_probe       XDP_DROP, counting nothing: the live-frames probe.
 *   pl_gen_loop    the generator for kernels that refuse live frames (see
 *                  gen.h, "loop mode"): attached to one end of a veth pair
 *                  of its own whose other end is entry 0 of the broadcast
 *                  map, so every frame it sees goes round again, while the
 *                  other entries (the generator's device, several times)
 *                  each send a copy out to the device under test.
 *
 * Counters are per-CPU so that the sink never contends on a cache line.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Packets and bytes seen by a sink or redirect program. */
struct pl_count {
	__u64 packets;
	__u64 bytes;
};

/* Generator configuration, written by user space after loading. */
struct pl_gen_cfg {
	__u32 nflows; /* number of UDP source ports to cycle through; 0 or 1 = fixed port */
	__u16 sport_base; /* first source port, host byte order */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_count);
} pl_counts SEC(".maps");

/* Per-CPU sequence number that drives the source-port rotation. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pl_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_gen_cfg);
} pl_cfg SEC(".maps");

/* DEVMAP rather than bpf_redirect(ifindex): the map path batches the
 * transmit (flush at the end of the NAPI poll), which is what a fast
 * redirect into a TAP needs. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} pl_redir SEC(".maps");

/* count() - add one frame to this CPU's counter. */
static __always_inline void count(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct pl_count *c = bpf_map_lookup_elem(&pl_counts, &key);

	if (c) {
		c->packets++;
		c->bytes += ctx->data_end - ctx->data;
	}
}

SEC("xdp")
int pl_sink_drop(struct xdp_md *ctx)
{
	count(ctx);
	return XDP_DROP;
}

SEC("xdp")
int pl_redirect(struct xdp_md *ctx)
{
	count(ctx);
	return bpf_redirect_map(&pl_redir, 0, XDP_DROP);
}

/* Loop mode's control, written by user space only. All zero (as loaded)
 * means stopped: a frame that reaches the loop before user space started it
 * is dropped, not sent round without limit. */
struct pl_loop_ctl {
	__u64 max; /* stop after this many copies (0 = no limit) */
	__u32 run; /* 0: drop the loop's frames, which ends the loop */
	__u32 copies; /* copies per pass: pl_bcast_full's entries 1..copies */
	__u32 len; /* the seed's length: any other frame is not the generator's */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_loop_ctl);
} pl_loop_ctl SEC(".maps");

/* Copies sent out of the generator's device, written here only (user space
 * reads it, and resets it while the loop is stopped). Plain, not per-CPU:
 * the loop runs in the NAPI of the one CPU that seeded it (gen.c sends
 * every seed from one CPU), so the read-modify-write below is never
 * concurrent. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pl_loop_sent SEC(".maps");

/* Entry 0: the loop's other end (the frame goes round again); entries
 * 1..copies: the generator's device. pl_bcast_one has entry 0 and one copy,
 * for the last frames of a counted run. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} pl_bcast_full SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} pl_bcast_one SEC(".maps");

/* rotate_port() - the next UDP source port when several flows are asked for. */
static __always_inline void rotate_port(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct pl_gen_cfg *cfg = bpf_map_lookup_elem(&pl_cfg, &key);

	if (cfg && cfg->nflows > 1) {
		void *data = (void *)(long)ctx->data;
		void *end = (void *)(long)ctx->data_end;
		struct ethhdr *eth = data;
		struct iphdr *ip = (void *)(eth + 1);
		struct udphdr *udp = (void *)(ip + 1);
		__u64 *seq = bpf_map_lookup_elem(&pl_seq, &key);

		/* The frame is the one user space built: IPv4 without options
		 * and a UDP checksum of 0, so the port can change freely. */
		if (seq && (void *)(udp + 1) <= end) {
			__u16 port = cfg->sport_base + (__u16)(*seq % cfg->nflows);

			udp->source = bpf_htons(port);
			(*seq)++;
		}
	}
}

/* pl_probe - the one frame of gen_load()'s live-frames probe; counts
 * nothing, so a sink's count starts at zero. */
SEC("xdp")
int pl_probe(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int pl_gen_tx(struct xdp_md *ctx)
{
	rotate_port(ctx);
	return XDP_TX;
}

SEC("xdp")
int pl_gen_loop(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct pl_loop_ctl *ctl = bpf_map_lookup_elem(&pl_loop_ctl, &key);
	__u64 *sent = bpf_map_lookup_elem(&pl_loop_sent, &key);

	/* Only the seeds go round: the loop's devices are the generator's own,
	 * but anything else that reaches them (a stack's solicitations, another
	 * program's frames) would otherwise be copied out without end. */
	if (!ctl || !sent || !ctl->run || ctx->data_end - ctx->data != ctl->len)
		return XDP_DROP;
	rotate_port(ctx);
	__u64 left = ctl->max ? ctl->max - *sent : ~0ull;
	if (ctl->copies && left >= ctl->copies) {
		*sent += ctl->copies;
		return bpf_redirect_map(&pl_bcast_full, 0, BPF_F_BROADCAST);
	}
	if (left) {
		*sent += 1;
		return bpf_redirect_map(&pl_bcast_one, 0, BPF_F_BROADCAST);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
