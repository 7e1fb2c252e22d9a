/* SPDX-License-Identifier: MIT */
/*
 * prog.h — the XDP program side of the xdp family: load pktlink's redirect
 * program with libbpf, attach it (a bpf_link, or libxdp's dispatcher to
 * coexist with other programs), put sockets in its XSKMAP, and undo exactly
 * that. Or use the XSKMAP of a program the caller attached.
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
	bool no_link; /* the kernel has no XDP bpf_link: attached over netlink */
	int prog_fd; /* our loaded program (libbpf path), -1 before */
	int link_fd; /* the bpf_link that holds our program on the device, -1 if none */
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
 * Two paths. Directly with libbpf (attach=libbpf, and attach=auto unless
 * libxdp's dispatcher is already on the device): through a bpf_link, so the
 * kernel detaches the program when the last descriptor goes — a process
 * killed with SIGKILL leaves nothing attached. Kernels without XDP links
 * (before 5.9) get a netlink attach that replaces nothing
 * (XDP_FLAGS_UPDATE_IF_NOEXIST) and a detach of only our own program
 * (XDP_FLAGS_REPLACE). Through libxdp (attach=libxdp, or auto when a
 * dispatcher is there to join), so the program coexists with other libxdp
 * programs; where libxdp falls back to a single program it is detached over
 * netlink by pktlink (libxdp 1.3's own detach leaks a program descriptor).
 *
 * A program already on the device (not libxdp's dispatcher) is replaced
 * only when it is pktlink's own (pl_xsk_redirect) attached over netlink and
 * no process holds a descriptor of it any more: left by a pktlink process
 * that died (or an older pktlink). Anything else is reported with its id.
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
