/* SPDX-License-Identifier: MIT */
/*
 * test_csum_prog: pktlink's XDP program completes unmarked partial
 * checksums (src/xdp/pl_xsk.bpf.c) exactly as the library's own check in
 * user space does (pl_rx_fix_unmarked(), src/core/rx_policy.c), which the
 * endpoint no longer runs when its own program is attached.
 *
 *   - partial_completed: IPv4 and IPv6, TCP and UDP, with TCP options,
 *     IPv6 options headers and a VLAN tag, segment lengths around every
 *     block size of the program's sum: the program's output is the frame
 *     with its full checksum, byte for byte; a complete frame comes out as
 *     it went in;
 *   - agrees_with_user_space: frames with random damage to every header
 *     field the parse reads (lengths, versions, protocols, offsets), cut
 *     short or padded: the program and pl_rx_fix_unmarked() leave the same
 *     bytes, whatever they decide;
 *   - both: a frame for a queue without a socket passes to the stack
 *     unchanged (its skb may still be CHECKSUM_PARTIAL there).
 *
 * The program runs with BPF_PROG_RUN, not attached: "received" on queue 0
 * of a two-queue veth, where a pktlink endpoint put its socket into the
 * program's XSKMAP (xskmap=), and on queue 1, which has none.
 */
#include "xdp_common.h"

#include "core/offload_testlib.h"
#include "core/rx_policy.h"
#include "pl_xsk.bpf.h"

#define CT_CAP 3000

/* The program, and a socket in its XSKMAP for queue 0 of pltc0. */
struct ct_env {
	struct bpf_object *obj;
	int prog, ifindex;
	struct pktlink_ep *ep;
};

static void ct_setup(struct ct_env *c)
{
	plt_sh_ok("ip link add pltc0 numtxqueues 2 numrxqueues 2 type veth peer name pltc1 "
		  "numtxqueues 2 numrxqueues 2 && ip link set pltc0 up && ip link set pltc1 up");
	c->ifindex = plt_ifindex("pltc0");
	c->obj = xt_bpf_load(pl_xsk_bpf_obj, pl_xsk_bpf_obj_len);
	struct bpf_program *p = bpf_object__find_program_by_name(c->obj, "pl_xsk_redirect");
	PLT_CHECK(p, "no pl_xsk_redirect");
	c->prog = bpf_program__fd(p);
	char spec[96];
	snprintf(spec, sizeof(spec), "xdp:pltc0?mode=skb&queues=1&xskmap=%d",
		 xt_bpf_map(c->obj, "xsks_map"));
	c->ep = xt_open(spec);
}

static void ct_teardown(struct ct_env *c)
{
	pktlink_close(c->ep);
	bpf_object__close(c->obj);
}

/* run_prog() - run the program on @in (@len bytes) as received on @queue
 * of pltc0 (0 has a socket, 1 none); the frame it leaves in @out.
 * Return: its length. */
static uint32_t run_prog(const struct ct_env *c, unsigned queue, const uint8_t *in, uint32_t len,
			 uint8_t *out)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = (__u32)c->ifindex,
			      .rx_queue_index = queue };
	LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = CT_CAP, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);
	int r = bpf_prog_test_run_opts(c->prog, &ro);
	PLT_CHECK(r == 0, "BPF_PROG_RUN: %s", strerror(errno));
	PLT_CHECK(ro.retval == (queue ? XDP_PASS : XDP_REDIRECT), "queue %u: verdict %u", queue,
		  ro.retval);
	return ro.data_size_out;
}

/* run_both() - run_prog() on queue 0 into @out; on queue 1 the frame must
 * come out as it went in. */
static uint32_t run_both(const struct ct_env *c, const uint8_t *in, uint32_t len, uint8_t *out)
{
	static uint8_t passed[CT_CAP];
	PLT_CHECK(run_prog(c, 1, in, len, passed) == len && !memcmp(passed, in, len),
		  "a %u-byte frame passed to the stack was changed", len);
	return run_prog(c, 0, in, len, out);
}

/* add_vlan() - insert an 802.1Q tag after the MAC addresses (len grows by 4). */
static uint32_t add_vlan(uint8_t *f, uint32_t len)
{
	memmove(f + 16, f + 12, len - 12);
	ot_wr16(f + 12, 0x8100);
	ot_wr16(f + 14, 0x0064);
	return len + 4;
}

static int partial_completed(void)
{
	struct ct_env c;
	ct_setup(&c);
	static uint8_t want[CT_CAP], part[CT_CAP], out[CT_CAP];
	static const uint32_t pays[] = { 0, 1, 2, 3, 4, 5, 7, 31, 60, 61, 62, 63, 64, 65, 255,
					 256, 257, 447, 448, 449, 500, 511, 512, 513, 1000, 1023,
					 1024, 1025, 1400, 1459, 1460, 2047, 2048, 2049, 2900 };
	unsigned n = 0;
	for (unsigned v = 0; v < 16; v++) {
		for (unsigned i = 0; i < sizeof(pays) / sizeof(pays[0]); i++) {
			struct ot_spec s;
			struct ot_layout lo;
			ot_default(&s, 14, v & 1, v & 2, pays[i]);
			if (v & 4) {
				if (s.v6)
					s.v6_ext = 16;
				else if (!s.udp)
					s.tcp_opts = 12;
			}
			s.seed = v * 100 + i;
			uint32_t len = ot_build(want, CT_CAP - 8, &s, &lo);
			if (!len)
				continue;
			memcpy(part, want, len);
			ot_make_partial(part, &s, &lo);
			uint32_t plen = len;
			if (v & 8) {
				len = add_vlan(want, len);
				plen = add_vlan(part, plen);
			}
			PLT_CHECK(memcmp(part, want, len), "v%u pay %u: the partial frame differs", v,
				  pays[i]);
			PLT_CHECK(run_both(&c, part, plen, out) == len && !memcmp(out, want, len),
				  "v%u (v6 %d udp %d opts %d vlan %d) payload %u: not completed", v,
				  s.v6, s.udp, !!(v & 4), !!(v & 8), pays[i]);
			PLT_CHECK(run_both(&c, want, len, out) == len && !memcmp(out, want, len),
				  "v%u payload %u: a complete frame changed", v, pays[i]);
			n++;
		}
	}
	PLT_CHECK(n > 400, "only %u frames built", n);
	ct_teardown(&c);
	return 0;
}

/* xorshift64 for the damage; seeded per run and printed on failure. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int agrees_with_user_space(void)
{
	struct ct_env c;
	ct_setup(&c);
	static uint8_t f[CT_CAP], user[CT_CAP], out[CT_CAP];
	uint64_t seed = (uint64_t)plt_now_ns() | 1, x = seed;
	unsigned fixed = 0;
	for (unsigned it = 0; it < 4000; it++) {
		struct ot_spec s;
		struct ot_layout lo;
		unsigned v = (unsigned)rnd(&x);
		ot_default(&s, 14, v & 1, v & 2, (uint32_t)(rnd(&x) % 1600));
		if (v & 4)
			s.v6 ? (void)(s.v6_ext = 8 * (uint32_t)(1 + rnd(&x) % 3))
			     : (void)(s.tcp_opts = s.udp ? 0 : 4 * (uint32_t)(rnd(&x) % 11));
		uint32_t len = ot_build(f, CT_CAP - 8, &s, &lo);
		if (!len)
			continue;
		if (rnd(&x) % 4)
			ot_make_partial(f, &s, &lo);
		if (v & 8)
			len = add_vlan(f, len);
		/* damage: a few random bytes in the headers, or the length */
		unsigned hdr = (v & 8 ? 4 : 0) + lo.pay;
		for (unsigned k = rnd(&x) % 4; k; k--)
			f[rnd(&x) % hdr] = (uint8_t)rnd(&x);
		if (rnd(&x) % 8 == 0)
			len = 14 + (uint32_t)(rnd(&x) % (len - 13)); /* cut short */
		else if (rnd(&x) % 8 == 0 && len + 7 < CT_CAP)
			len += (uint32_t)(rnd(&x) % 8); /* link padding */
		memcpy(user, f, len);
		bool did = pl_rx_fix_unmarked(user, len, 14);
		fixed += did;
		uint32_t olen = run_both(&c, f, len, out);
		if (olen != len || memcmp(out, user, len)) {
			unsigned at = 0;
			while (at < len && out[at] == user[at])
				at++;
			PLT_CHECK(0,
				  "seed %#llx iteration %u: %u-byte frame, user space %s it, the "
				  "program left %u bytes differing first at byte %u",
				  (unsigned long long)seed, it, len, did ? "completed" : "left", olen,
				  at);
		}
	}
	PLT_CHECK(fixed > 1000, "only %u of the damaged frames were completed (seed %#llx)", fixed,
		  (unsigned long long)seed);
	ct_teardown(&c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "partial_completed", partial_completed, PLT_NETNS, 60 },
		{ "agrees_with_user_space", agrees_with_user_space, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
