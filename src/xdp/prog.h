/* SPDX-License-Identifier: MIT */
/*
 * prog.h — the XDP program side of the xdp family: load pktlink's redirect
 * program with libbpf, attach it through libxdp (so it coexists with other
 * programs via libxdp's dispatcher), put sockets in its XSKMAP, and undo
 * exactly that. Or use the XSKMAP of a program the caller attached.
 *
 * Private to the library. Not thread-safe: setup and teardown run in the
 * opener and in close.
 */
#ifndef PL_XDP_PROG_H
#define PL_XDP_PROG_H

#include <pktlink/xdp.h>

struct bpf_object;
struct xdp_program;

struct pl_xdp_prog {
	struct bpf_object *obj; /* opened by us (closed after the program) */
	struct xdp_program *prog; /* libxdp handle */
	int ifindex;
	int attach_mode; /* enum xdp_attach_mode in effect when attached */
	bool attached; /* we attached and must detach */
	bool dispatcher; /* attached through libxdp's multi-program dispatcher */
	bool via_libxdp; /* attached with libxdp (else directly with libbpf) */
	int prog_fd; /* our loaded program (libbpf path), -1 before */
	int map_fd; /* the XSKMAP, -1 before */
	bool own_map_fd; /* opened from a pin by us: close it */
};

/** pl_xdp_prog_init() - a blank program record (nothing to undo). */
void pl_xdp_prog_init(struct pl_xdp_prog *p);

/**
 * pl_xdp_prog_attach() - load pktlink's program (the xdp.frags flavour with
 * frags) and attach it to ifindex: mode DRV, SKB, or AUTO (driver first,
 * then generic). Steps: open object (pl_fault), load (pl_fault, libbpf
 * path), attach (pl_fault).
 *
 * Two paths. Where libxdp's dispatcher can work (the kernel has
 * BPF_PROG_TYPE_EXT and bpffs is mounted), through libxdp, so the program
 * coexists with other libxdp programs on the device. Elsewhere libxdp would
 * itself fall back to attaching a single program — and libxdp 1.3 leaks a
 * descriptor per attach and per detach on that path — so pktlink attaches
 * directly with libbpf, without replacing anything (XDP_FLAGS_UPDATE_IF_NOEXIST),
 * and detaches only its own program (XDP_FLAGS_REPLACE).
 * In both paths a program that is not libxdp's dispatcher already on the
 * device is reported (with its id) rather than replaced.
 * Return: 0 with p->attach_mode set, or a negative errno with a reason.
 */
int pl_xdp_prog_attach(struct pl_xdp_prog *p, int ifindex, const char *ifname,
		       enum pktlink_xdp_mode mode, bool frags, enum pktlink_xdp_attach how,
		       char *err, size_t errlen);

/**
 * pl_xdp_prog_use_map() - use a caller's XSKMAP: fd (not closed by us) or,
 * when fd < 0, the map pinned at pin (opened, closed at teardown).
 */
int pl_xdp_prog_use_map(struct pl_xdp_prog *p, int fd, const char *pin, char *err,
			size_t errlen);

/** pl_xdp_prog_map_set() - XSKMAP[queue] = sock_fd (pl_fault step). */
int pl_xdp_prog_map_set(struct pl_xdp_prog *p, uint32_t queue, int sock_fd, char *err,
			size_t errlen);

/** pl_xdp_prog_map_clear() - delete XSKMAP[queue] (best effort). */
void pl_xdp_prog_map_clear(struct pl_xdp_prog *p, uint32_t queue);

/** pl_xdp_prog_teardown() - detach and free what pl_xdp_prog_attach/use_map did. */
void pl_xdp_prog_teardown(struct pl_xdp_prog *p);

#endif
