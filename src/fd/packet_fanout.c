/* SPDX-License-Identifier: MIT */
/*
 * packet_fanout.c — a PACKET_FANOUT group whose spreading user space can
 * compute too, so a flow stays on one fd in both directions.
 *
 * Why not PACKET_FANOUT_HASH: the kernel hashes with a per-boot random seed
 * (skb_get_hash), which user space cannot reproduce, so the TX side could
 * not pick "the fd this flow arrives on". Instead the group runs a classic
 * BPF program (PACKET_FANOUT_CBPF) computing pl_packet_flow_hash(); the
 * kernel takes the program's return value modulo the number of members
 * (fanout_demux_bpf: "bpf_prog_run_clear_cb(prog, skb) % num"), and members
 * are numbered in join order, so fds[i] receives exactly the frames with
 * pl_packet_flow_hash(frame) % n == i. The program therefore returns the raw
 * hash; no BPF_MOD is needed (it would be redundant with the kernel's).
 *
 * The hash (both the BPF program and the C function):
 *   - the frame is read from the Ethernet header (the program loads relative
 *     to the MAC header with SKF_LL_OFF, which is where the frame starts in
 *     both directions — skb->data is the network header on receive but the
 *     MAC header on transmit, so plain offsets would disagree);
 *   - up to two 802.1Q (0x8100) / 802.1ad (0x88a8) tags are skipped. On
 *     receive the kernel has already moved the outermost tag into metadata
 *     (skb_vlan_untag in __netif_receive_skb_core runs before packet taps),
 *     so the program sees the frame without it, while the RX ring re-inserts
 *     it and pl_packet_flow_hash() skips it: both ends agree for untagged,
 *     single-tagged and QinQ frames;
 *   - IPv4: h = saddr ^ daddr ^ protocol ^ (sport ^ dport) for TCP/UDP,
 *     ports left out (0) for other protocols and for any fragment (MF set or
 *     offset non-zero), so all fragments of a datagram stay together;
 *   - IPv6: h = XOR of the eight address words ^ next header ^ (sport ^ dport)
 *     when the next header is TCP/UDP (extension headers are not walked:
 *     such packets hash by addresses and next header only);
 *   - then h *= 0x9e3779b1 (golden ratio), h ^= h >> 16, so "% n" draws on
 *     all bits;
 *   - non-IP frames (ARP, ...) hash to 0; so does a frame too short for a
 *     field the hash reads (a cBPF load past the end makes the program
 *     return 0, and the C function mirrors that exactly).
 * Every term is an XOR of a source and a destination field, so both
 * directions of a flow hash alike.
 *
 * Known limit: cBPF negative-offset loads read only the skb's linear part.
 * A frame whose headers are not linear (in practice: a jumbo frame injected
 * by another packet socket with sendmsg, whose skb keeps only 14 bytes
 * linear) hashes to 0 in the kernel and lands on fds[0]. Frames from the
 * network stack and from NIC drivers have linear headers.
 */
#include "fd/packet.h"

#include "core/fault.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/random.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef PACKET_FANOUT_CBPF
#define PACKET_FANOUT_CBPF 6
#endif
#ifndef PACKET_FANOUT_DATA
#define PACKET_FANOUT_DATA 22
#endif
#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000 /* Linux 6.2 */
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef SKF_LL_OFF
#define SKF_LL_OFF (-0x200000)
#endif

#define FANOUT_MAX_MEMBERS 256 /* the kernel's default group limit */
#define RANDOM_ID_TRIES 64

#define HASH_MUL 0x9e3779b1u

/* ---- the C side of the hash ---- */

static inline uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool is_vlan(uint32_t et)
{
	return et == 0x8100 || et == 0x88a8;
}

uint32_t pl_packet_flow_hash(const uint8_t *f, uint32_t len)
{
	/* Every read mirrors one load of the BPF program below, with the same
	 * "past the end: the whole hash is 0" rule. Offsets are small (< 100)
	 * and len is 32-bit, so uint64_t sums cannot wrap. */
#define NEED(off, n)                                   \
	do {                                           \
		if ((uint64_t)(off) + (n) > (uint64_t)len) \
			return 0;                      \
	} while (0)
	uint32_t x = 14, et, proto, l4, a, b, mix = 0;
	bool ports;

	if (!f)
		return 0;
	NEED(12, 2);
	et = rd16(f + 12);
	if (is_vlan(et)) {
		x = 18;
		NEED(16, 2);
		et = rd16(f + 16);
		if (is_vlan(et)) {
			x = 22;
			NEED(20, 2);
			et = rd16(f + 20);
		}
	}
	if (et == 0x0800) {
		NEED(x + 9, 1);
		proto = f[x + 9];
		NEED(x, 1);
		l4 = x + (uint32_t)(f[x] & 0xf) * 4;
		NEED(x + 12, 4);
		a = rd32(f + x + 12);
		NEED(x + 16, 4);
		b = rd32(f + x + 16);
		NEED(x + 6, 2);
		ports = (rd16(f + x + 6) & 0x3fff) == 0;
	} else if (et == 0x86dd) {
		NEED(x + 6, 1);
		proto = f[x + 6];
		l4 = x + 40;
		a = 0;
		b = 0;
		for (uint32_t o = 8; o < 40; o += 4) {
			NEED(x + o, 4);
			a ^= rd32(f + x + o);
		}
		ports = true;
	} else {
		return 0;
	}
	if (ports && (proto == 6 || proto == 17)) {
		NEED(l4, 4);
		uint32_t w = rd32(f + l4);
		mix = ((w >> 16) ^ w) & 0xffff;
	}
	uint32_t h = mix ^ proto ^ a ^ b;
	h *= HASH_MUL;
	h ^= h >> 16;
	return h;
#undef NEED
}

/* ---- the BPF side: a tiny assembler with forward labels ---- */

enum lbl { L_NONE, L_TAG1, L_C1, L_TAG2, L_C2, L_ETYPE, L_C3, L_RET0, L_V4, L_V6, L_PROTO,
	   L_C4, L_PORTS, L_ADDRONLY, L_COMBINE, L_COUNT };

struct bpf_asm {
	struct sock_filter *ins;
	unsigned cap, n;
	int at[L_COUNT];
	struct {
		unsigned pc;
		uint8_t lt, lf;
		bool ja;
	} fix[32];
	unsigned nfix;
	bool bad;
};

static void emit(struct bpf_asm *s, uint16_t code, uint32_t k)
{
	if (s->n < s->cap)
		s->ins[s->n] = (struct sock_filter)BPF_STMT(code, k);
	s->n++;
}

/* Conditional jump to labels (L_NONE: fall through). */
static void jump(struct bpf_asm *s, uint16_t code, uint32_t k, enum lbl lt, enum lbl lf)
{
	if (s->nfix >= sizeof(s->fix) / sizeof(s->fix[0])) {
		s->bad = true;
		return;
	}
	s->fix[s->nfix].pc = s->n;
	s->fix[s->nfix].lt = (uint8_t)lt;
	s->fix[s->nfix].lf = (uint8_t)lf;
	s->fix[s->nfix].ja = BPF_OP(code) == BPF_JA;
	s->nfix++;
	if (s->n < s->cap)
		s->ins[s->n] = (struct sock_filter)BPF_JUMP(code, k, 0, 0);
	s->n++;
}

static void label(struct bpf_asm *s, enum lbl l)
{
	s->at[l] = (int)s->n;
}

static int target(struct bpf_asm *s, unsigned pc, enum lbl l)
{
	if (l == L_NONE)
		return 0;
	int off = s->at[l] - (int)pc - 1;
	if (s->at[l] < 0 || off < 0)
		s->bad = true;
	return off;
}

/* Load relative to the MAC header (see the file comment). */
#define LL(off) ((uint32_t)(SKF_LL_OFF + (off)))

unsigned pl_packet_fanout_prog(struct sock_filter *prog, unsigned cap)
{
	struct bpf_asm a = { .ins = prog, .cap = prog ? cap : 0 };
	struct bpf_asm *s = &a;
	for (unsigned i = 0; i < L_COUNT; i++)
		a.at[i] = -1;

	/* X = offset of the L3 header; A = EtherType; up to two tags skipped. */
	emit(s, BPF_LDX | BPF_IMM, 14);
	emit(s, BPF_LD | BPF_H | BPF_IND, LL(-2));
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0x8100, L_TAG1, L_NONE);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, L_TAG1, L_ETYPE);
	label(s, L_TAG1);
	emit(s, BPF_LDX | BPF_IMM, 18);
	emit(s, BPF_LD | BPF_H | BPF_IND, LL(-2));
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0x8100, L_TAG2, L_NONE);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, L_TAG2, L_ETYPE);
	label(s, L_TAG2);
	emit(s, BPF_LDX | BPF_IMM, 22);
	emit(s, BPF_LD | BPF_H | BPF_IND, LL(-2));
	label(s, L_ETYPE);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0x0800, L_V4, L_NONE);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, L_V6, L_RET0);
	label(s, L_RET0);
	emit(s, BPF_RET | BPF_K, 0);

	/* IPv4. M[2] = protocol, M[1] = L4 offset, M[0] ^ M[3] = addresses. */
	label(s, L_V4);
	emit(s, BPF_LD | BPF_B | BPF_IND, LL(9));
	emit(s, BPF_ST, 2);
	emit(s, BPF_LD | BPF_B | BPF_IND, LL(0));
	emit(s, BPF_ALU | BPF_AND | BPF_K, 0xf);
	emit(s, BPF_ALU | BPF_LSH | BPF_K, 2);
	emit(s, BPF_ALU | BPF_ADD | BPF_X, 0);
	emit(s, BPF_ST, 1);
	emit(s, BPF_LD | BPF_W | BPF_IND, LL(12));
	emit(s, BPF_ST, 0);
	emit(s, BPF_LD | BPF_W | BPF_IND, LL(16));
	emit(s, BPF_ST, 3);
	emit(s, BPF_LD | BPF_H | BPF_IND, LL(6));
	emit(s, BPF_ALU | BPF_AND | BPF_K, 0x3fff);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 0, L_PROTO, L_ADDRONLY);

	/* IPv6. M[4] keeps the L3 offset while X serves the XOR. */
	label(s, L_V6);
	emit(s, BPF_STX, 4);
	emit(s, BPF_LD | BPF_B | BPF_IND, LL(6));
	emit(s, BPF_ST, 2);
	emit(s, BPF_MISC | BPF_TXA, 0);
	emit(s, BPF_ALU | BPF_ADD | BPF_K, 40);
	emit(s, BPF_ST, 1);
	emit(s, BPF_LD | BPF_W | BPF_IND, LL(8));
	emit(s, BPF_ST, 0);
	emit(s, BPF_LD | BPF_IMM, 0);
	emit(s, BPF_ST, 3);
	for (uint32_t o = 12; o < 40; o += 4) {
		emit(s, BPF_LDX | BPF_MEM, 4);
		emit(s, BPF_LD | BPF_W | BPF_IND, LL(o));
		emit(s, BPF_LDX | BPF_MEM, 0);
		emit(s, BPF_ALU | BPF_XOR | BPF_X, 0);
		emit(s, BPF_ST, 0);
	}
	/* fall through to L_PROTO */

	label(s, L_PROTO);
	emit(s, BPF_LD | BPF_MEM, 2);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 6, L_PORTS, L_NONE);
	jump(s, BPF_JMP | BPF_JEQ | BPF_K, 17, L_PORTS, L_ADDRONLY);
	label(s, L_PORTS);
	emit(s, BPF_LDX | BPF_MEM, 1);
	emit(s, BPF_LD | BPF_W | BPF_IND, LL(0));
	emit(s, BPF_MISC | BPF_TAX, 0);
	emit(s, BPF_ALU | BPF_RSH | BPF_K, 16);
	emit(s, BPF_ALU | BPF_XOR | BPF_X, 0);
	emit(s, BPF_ALU | BPF_AND | BPF_K, 0xffff);
	jump(s, BPF_JMP | BPF_JA, 0, L_COMBINE, L_NONE);
	label(s, L_ADDRONLY);
	emit(s, BPF_LD | BPF_IMM, 0);

	/* A = port mix; h = mix ^ proto ^ addresses, then the multiply-fold. */
	label(s, L_COMBINE);
	emit(s, BPF_LDX | BPF_MEM, 2);
	emit(s, BPF_ALU | BPF_XOR | BPF_X, 0);
	emit(s, BPF_LDX | BPF_MEM, 0);
	emit(s, BPF_ALU | BPF_XOR | BPF_X, 0);
	emit(s, BPF_LDX | BPF_MEM, 3);
	emit(s, BPF_ALU | BPF_XOR | BPF_X, 0);
	emit(s, BPF_ALU | BPF_MUL | BPF_K, HASH_MUL);
	emit(s, BPF_MISC | BPF_TAX, 0);
	emit(s, BPF_ALU | BPF_RSH | BPF_K, 16);
	emit(s, BPF_ALU | BPF_XOR | BPF_X, 0);
	emit(s, BPF_RET | BPF_A, 0);

	/* Resolve the forward jumps. */
	for (unsigned i = 0; i < a.nfix; i++) {
		unsigned pc = a.fix[i].pc;
		int t = target(s, pc, (enum lbl)a.fix[i].lt);
		int f = target(s, pc, (enum lbl)a.fix[i].lf);
		if (pc >= a.cap)
			continue;
		if (a.fix[i].ja) {
			prog[pc].k = (uint32_t)t;
		} else {
			if (t > 255 || f > 255)
				a.bad = true;
			prog[pc].jt = (uint8_t)t;
			prog[pc].jf = (uint8_t)f;
		}
	}
	if (a.bad)
		return 0;
	return a.n;
}

/* ---- joining the group ---- */

static int join(int fd, uint16_t id, uint32_t type_flags)
{
	uint32_t val = type_flags << 16 | id;
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val)) != 0)
		return -errno;
	return 0;
}

int pl_packet_ignore_outgoing_filter(int fd)
{
	static struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0x7fffffff),
	};
	struct sock_fprog p = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)) != 0)
		return -errno;
	return 0;
}

/*
 * Whether the running kernel honours PACKET_FANOUT_FLAG_IGNORE_OUTGOING
 * (Linux 6.2). Older kernels do not reject the unknown flag bit — they
 * store and ignore it — so it cannot be probed by trying; the release
 * number decides. A distribution backport only makes our fallback filter
 * redundant, never wrong.
 */
static bool kernel_has_fanout_ignore_outgoing(void)
{
	struct utsname u;
	unsigned maj = 0, min = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return false;
	return maj > 6 || (maj == 6 && min >= 2);
}

int pl_packet_fanout_join(const int *fds, unsigned n, uint16_t *group_id, char *err,
			  size_t errlen)
{
	return pl_packet_fanout_join_ex(fds, n, false, group_id, err, errlen);
}

int pl_packet_fanout_join_ex(const int *fds, unsigned n, bool random_ids, uint16_t *group_id,
			     char *err, size_t errlen)
{
	struct sock_filter prog[128];
	unsigned plen;
	uint32_t ign = 0, base = PACKET_FANOUT_CBPF;
	bool filter = false;
	uint16_t id = 0;
	int r;

	if (!fds || !group_id || n == 0 || n > FANOUT_MAX_MEMBERS)
		return pl_err(err, errlen, -EINVAL,
			      "PACKET_FANOUT: %u sockets; a group takes 1 to %d", n,
			      FANOUT_MAX_MEMBERS);
	plen = pl_packet_fanout_prog(prog, sizeof(prog) / sizeof(prog[0]));
	if (plen == 0 || plen > sizeof(prog) / sizeof(prog[0]))
		return pl_err(err, errlen, -EINVAL, "PACKET_FANOUT: internal BPF program error");

	/* Did the caller ask for PACKET_IGNORE_OUTGOING on these sockets? The
	 * group must then honour it too (see step 3). */
	int io = 0;
	socklen_t iol = sizeof(io);
	if (getsockopt(fds[0], SOL_PACKET, PACKET_IGNORE_OUTGOING, &io, &iol) != 0)
		io = 0;
	if (io) {
		/* Set the group flag in any case (harmless where unknown), and
		 * add the per-socket filter where the flag is not honoured. */
		ign = PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
		filter = !kernel_has_fanout_ignore_outgoing();
	}

	/* 1. The first member creates the group; the kernel picks a free id. */
	if (pl_fault())
		return pl_err(err, errlen, -EFAULT, "PACKET_FANOUT join 0: injected failure");
	r = random_ids ? -EINVAL : join(fds[0], 0, base | PACKET_FANOUT_FLAG_UNIQUEID | ign);
	if (r == -EINVAL && ign && !random_ids) {
		/* Defensive: a kernel that rejects the flag. */
		ign = 0;
		filter = true;
		r = join(fds[0], 0, base | PACKET_FANOUT_FLAG_UNIQUEID);
	}
	if (r == 0) {
		uint32_t val = 0;
		socklen_t vl = sizeof(val);
		if (pl_fault())
			return pl_err(err, errlen, -EFAULT,
				      "getsockopt(PACKET_FANOUT): injected failure");
		if (getsockopt(fds[0], SOL_PACKET, PACKET_FANOUT, &val, &vl) != 0) {
			int e = errno;
			return pl_err(err, errlen, -e, "getsockopt(PACKET_FANOUT): %s", strerror(e));
		}
		id = (uint16_t)(val & 0xffff);
	} else if (r == -EINVAL) {
		/* No PACKET_FANOUT_FLAG_UNIQUEID (before Linux 4.3): try random
		 * ids. EINVAL then means the id is taken by a group of another
		 * kind or device. Residual risk, documented: an id held by an
		 * identical CBPF group on the same device would be joined. */
		for (unsigned t = 0; t < RANDOM_ID_TRIES; t++) {
			uint16_t cand = 0;
			if (getrandom(&cand, sizeof(cand), GRND_NONBLOCK) != sizeof(cand))
				cand = (uint16_t)(getpid() * 2654435761u + t * 40503u);
			if (pl_fault())
				return pl_err(err, errlen, -EFAULT,
					      "PACKET_FANOUT join 0: injected failure");
			r = join(fds[0], cand, base | ign);
			if (r == -EINVAL && ign) {
				ign = 0;
				filter = true;
				r = join(fds[0], cand, base);
			}
			if (r == 0) {
				id = cand;
				break;
			}
			if (r != -EINVAL && r != -ENOSPC)
				break;
		}
	}
	if (r < 0)
		return pl_err(err, errlen, r, "PACKET_FANOUT (CBPF) join of the first socket: %s%s",
			      strerror(-r),
			      r == -EINVAL ? " — the socket must be bound to a device with a "
					     "protocol and not be in a group already"
					   : "");

	/* 2. The spreading program (applies to the whole group). Until it is
	 * set the kernel sends everything to member 0, which is harmless. */
	struct sock_fprog fp = { .len = (unsigned short)plen, .filter = prog };
	if (pl_fault())
		return pl_err(err, errlen, -EFAULT, "PACKET_FANOUT_DATA: injected failure");
	if (setsockopt(fds[0], SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof(fp)) != 0) {
		int e = errno;
		return pl_err(err, errlen, -e, "PACKET_FANOUT_DATA (flow-hash program): %s",
			      strerror(e));
	}

	/* 3. Without a working group flag, filter outgoing frames per socket:
	 * the socket-level PACKET_IGNORE_OUTGOING has no effect once a socket
	 * is in a group (the group's own hook delivers to it). */
	for (unsigned i = 0; filter && i < n; i++) {
		if (pl_fault())
			return pl_err(err, errlen, -EFAULT, "SO_ATTACH_FILTER: injected failure");
		r = pl_packet_ignore_outgoing_filter(fds[i]);
		if (r < 0)
			return pl_err(err, errlen, r,
				      "SO_ATTACH_FILTER (ignore outgoing) on fanout socket %u: %s", i,
				      strerror(-r));
	}

	/* 4. The others join by id, in order: member i is fds[i]. The group's
	 * flags no longer carry UNIQUEID (the kernel drops it once used), and
	 * a member must present exactly the group's flags. */
	for (unsigned i = 1; i < n; i++) {
		if (pl_fault())
			return pl_err(err, errlen, -EFAULT, "PACKET_FANOUT join %u: injected failure",
				      i);
		r = join(fds[i], id, base | ign);
		if (r < 0)
			return pl_err(err, errlen, r, "PACKET_FANOUT join of socket %u to group %u: %s%s",
				      i, id, strerror(-r),
				      r == -EINVAL ? " — all sockets must be bound to the same device "
						     "and protocol"
						   : "");
	}
	*group_id = id;
	return 0;
}
