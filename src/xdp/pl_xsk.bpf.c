/* SPDX-License-Identifier: MIT */
/*
 * pl_xsk.bpf.c — pktlink's XDP program: hand every frame that arrives on an
 * rx queue to the AF_XDP socket registered for that queue in xsks_map, and
 * let the frame continue to the kernel stack (XDP_PASS) when no socket is
 * registered there, so attaching the program alone never blackholes a queue.
 *
 * On the way to a socket it completes unmarked partial checksums
 * (pl_fix_unmarked() below; src/core/rx_policy.h says what they are and why
 * they need completing). Here the frame is still in the cache of the CPU
 * that received it; in user space the same check was a cache miss per frame
 * on the receiving CPU, which cost a copy-mode veth receiver 40 % of its
 * rate. Frames passed to the stack are never changed.
 *
 * Compiled twice by family.cmake: once as a plain "xdp" program, once with
 * PL_FRAGS for multi-buffer sockets (section "xdp.frags", which tells the
 * kernel the program understands fragmented frames). Only the linear part
 * of a frame is reachable here, so a fragmented frame is left as it is (the
 * multi-buffer receive path checks in user space).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Options headers walked before TCP/UDP, as src/core/offload_gso.c does. */
#define PL_MAX_EXT_HDRS 8
/* The IPv6 walk stops at this offset: frames with more options than that are
 * left as they are (no local stack sends them with a partial checksum). */
#define PL_MAX_L4_OFF 1024
/* Whole 512-byte blocks bpf_csum_diff() takes at most in one call. */
#define PL_CSUM_BLOCK 512
#define PL_CSUM_BLOCKS 16 /* 8 KiB: more than any linear XDP frame */

/* fold() - a bpf_csum_diff() accumulator folded to 16 bits, not complemented. */
static __always_inline __u16 fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/*
 * pl_seg_sum() - the one's complement accumulator of the frame's bytes
 * [off, off + len), in memory order like pl_csum_partial(): 512-byte blocks,
 * then 64-byte blocks, then words, then the last 1-3 bytes in their lanes
 * (every piece before them is a multiple of 4 long). A global function: the
 * verifier checks it once on its own, instead of once for every way the
 * headers before it can be laid out. Return: the accumulator, or -1 when
 * the bytes run past the frame's linear part.
 */
__attribute__((noinline)) long pl_seg_sum(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (off > PL_MAX_L4_OFF || len > PL_CSUM_BLOCKS * PL_CSUM_BLOCK)
		return -1;
	/* The same values, masked where the verifier sees it: the compare
	 * above is on a copy, and the empty asm keeps the compiler from
	 * dropping masks it knows change nothing. */
	asm volatile("" : "+r"(off), "+r"(len));
	off &= 0x7ff;
	len &= 0x3fff;
	__u8 *p = (__u8 *)data + off;
	__s64 s = 0;
	for (int i = 0; i < PL_CSUM_BLOCKS && len >= PL_CSUM_BLOCK; i++) {
		if ((void *)(p + PL_CSUM_BLOCK) > end)
			return -1;
		s = bpf_csum_diff(0, 0, (__be32 *)p, PL_CSUM_BLOCK, (__wsum)s);
		if (s < 0)
			return -1;
		p += PL_CSUM_BLOCK;
		len -= PL_CSUM_BLOCK;
	}
	for (int i = 0; i < PL_CSUM_BLOCK / 64 && len >= 64; i++) {
		if ((void *)(p + 64) > end)
			return -1;
		s = bpf_csum_diff(0, 0, (__be32 *)p, 64, (__wsum)s);
		if (s < 0)
			return -1;
		p += 64;
		len -= 64;
	}
	__u64 w = (__u64)s;
	for (int i = 0; i < 64 / 4 && len >= 4; i++) {
		if ((void *)(p + 4) > end)
			return -1;
		w += *(__u32 *)p;
		p += 4;
		len -= 4;
		/* keeps clang from turning the bound into pkt_end arithmetic */
		asm volatile("" : "+r"(p));
	}
	if (len) {
		__u32 t = 0;
		if ((void *)(p + 1) > end)
			return -1;
		t = p[0];
		if (len > 1) {
			if ((void *)(p + 2) > end)
				return -1;
			t |= (__u32)p[1] << 8;
		}
		if (len > 2) {
			if ((void *)(p + 3) > end)
				return -1;
			t |= (__u32)p[2] << 16;
		}
		w += t;
	}
	return (long)(fold(w) & 0xffff);
}

/*
 * pl_fix_unmarked() - the kernel-side twin of pl_rx_fix_unmarked()
 * (src/core/rx_policy.c): when an IPv4/IPv6 TCP or UDP frame (one VLAN tag
 * at most, not a fragment) has a checksum field equal to the folded sum of
 * its pseudo-header, complete the checksum over the segment. A correct
 * frame whose field matches by chance gets the same value written back.
 * Every offset is checked against the frame; anything unexpected leaves
 * the frame untouched. A global function, verified once on its own.
 * Return: 0 (a global function returns a value).
 */
__attribute__((noinline)) int pl_fix_unmarked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *f = data;
	if ((void *)(f + 14 + 20 + 8) > end)
		return 0;
	__u16 et = (__u16)(f[12] << 8 | f[13]);
	__u32 l3 = 14;
	if (et == ETH_P_8021Q || et == ETH_P_8021AD) {
		et = (__u16)(f[16] << 8 | f[17]);
		l3 = 18;
	}
	__u8 *ip = f + l3;
	__u32 l4, ipend;
	__u8 proto;
	__u32 ph[10]; /* the pseudo-header, in memory order */
	__u32 phlen;
	if (et == ETH_P_IP) {
		if ((void *)(ip + 20) > end || (ip[0] >> 4) != 4)
			return 0;
		__u32 ihl = (__u32)(ip[0] & 0x0f) * 4;
		__u32 tot = (__u32)(ip[2] << 8 | ip[3]);
		if (ihl < 20 || tot < ihl || ((ip[6] << 8 | ip[7]) & 0x3fff))
			return 0; /* options are fine; BIG TCP and fragments are not */
		proto = ip[9];
		l4 = l3 + ihl;
		ipend = l3 + tot;
		__u32 l4len = tot - ihl;
		ph[0] = *(__u32 *)(ip + 12);
		ph[1] = *(__u32 *)(ip + 16);
		ph[2] = bpf_htonl((__u32)proto << 16 | (l4len & 0xffff));
		phlen = 12;
	} else if (et == ETH_P_IPV6) {
		if ((void *)(ip + 40) > end || (ip[0] >> 4) != 6)
			return 0;
		__u32 plen = (__u32)(ip[4] << 8 | ip[5]);
		if (!plen)
			return 0; /* a jumbogram */
		proto = ip[6];
		l4 = l3 + 40;
		ipend = l3 + 40 + plen;
		for (int n = 0; n <= PL_MAX_EXT_HDRS; n++) {
			if (proto != 0 && proto != 60) /* hop-by-hop, destination options */
				break;
			if (n == PL_MAX_EXT_HDRS || l4 > PL_MAX_L4_OFF)
				return 0;
			__u8 *h = f + l4;
			if ((void *)(h + 2) > end)
				return 0;
			proto = h[0];
			l4 += ((__u32)h[1] + 1) * 8;
		}
		if (l4 > PL_MAX_L4_OFF || l4 > ipend)
			return 0;
		__u32 l4len = ipend - l4;
		for (int i = 0; i < 8; i++)
			ph[i] = *(__u32 *)(ip + 8 + 4 * i);
		ph[8] = bpf_htonl(l4len);
		ph[9] = bpf_htonl((__u32)proto);
		phlen = 40;
	} else {
		return 0;
	}
	if (proto != 6 && proto != 17)
		return 0;
	if (l4 > PL_MAX_L4_OFF || ipend > 0xffff)
		return 0;
	__u8 *seg = f + l4;
	__u32 field_off = proto == 6 ? 16 : 6;
	/* the whole TCP header (its data offset) or UDP header, inside the IP length */
	__u32 hlen = 8;
	if (proto == 6) {
		if ((void *)(seg + 20) > end)
			return 0;
		hlen = (__u32)(seg[12] >> 4) * 4;
		if (hlen < 20)
			return 0;
	} else if ((void *)(seg + 8) > end) {
		return 0;
	}
	if (l4 + hlen > ipend)
		return 0;
	if ((void *)(f + ipend) > end)
		return 0; /* cut, or fragmented beyond the linear part */
	__u16 *field = (__u16 *)(seg + field_off);
	if ((void *)(field + 1) > end)
		return 0;
	__u16 have = *field;
	if (proto == 17 && have == 0 && phlen == 12)
		return 0; /* IPv4 UDP without a checksum */
	__s64 ps = bpf_csum_diff(0, 0, (__be32 *)ph, phlen, 0);
	if (ps < 0 || have != fold((__u64)ps))
		return 0;
	long s = pl_seg_sum(ctx, l4, ipend - l4);
	if (s < 0)
		return 0;
	__u16 c = (__u16)~fold((__u64)s);
	*field = c ? c : 0xffff;
	return 0;
}

#ifdef PL_FRAGS
SEC("xdp.frags")
#else
SEC("xdp")
#endif
int pl_xsk_redirect(struct xdp_md *ctx)
{
	/* The low bits of the flags are the action when the lookup fails.
	 * The frame moves only after the program returns, so it can still be
	 * changed here, and the helper's one lookup says whether it goes to a
	 * socket. Only those are completed: a frame passed to the stack keeps
	 * its skb's CHECKSUM_PARTIAL state, and a checksum completed under it
	 * would be summed again (wrongly) on its way out of another device. */
	long act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		pl_fix_unmarked(ctx);
	return (int)act;
}

char _license[] SEC("license") = "Dual MIT/GPL";
