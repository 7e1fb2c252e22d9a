/* SPDX-License-Identifier: MIT */
/* prog.c — see prog.h. */
#include "prog.h"
#include "xsk.h"
#include "core/fault.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "pl_xsk.bpf.h"
#include "pl_xsk_frags.bpf.h"

void pl_xdp_prog_init(struct pl_xdp_prog *p)
{
	memset(p, 0, sizeof(*p));
	p->map_fd = -1;
}

static const char *mode_name(enum xdp_attach_mode m)
{
	return m == XDP_MODE_NATIVE ? "driver" : m == XDP_MODE_SKB ? "generic (skb)" : "?";
}

/* Is some program attached to ifindex that libxdp did not put there? */
static uint32_t foreign_prog(int ifindex)
{
	uint32_t id = 0;
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		bool legacy = xdp_multiprog__is_legacy(mp);
		struct xdp_program *main_prog = xdp_multiprog__main_prog(mp);
		if (legacy && main_prog)
			id = xdp_program__id(main_prog);
		xdp_multiprog__close(mp);
	}
	return id;
}

static int try_attach(struct pl_xdp_prog *p, enum xdp_attach_mode m)
{
	if (pl_fault())
		return -EFAULT;
	return xdp_program__attach(p->prog, p->ifindex, m, 0);
}

int pl_xdp_prog_attach(struct pl_xdp_prog *p, int ifindex, const char *ifname,
		       enum pktlink_xdp_mode mode, bool frags, char *err, size_t errlen)
{
	p->ifindex = ifindex;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "pl_xsk");
	struct bpf_object *obj =
		pl_fault() ? (errno = EFAULT, NULL)
			   : frags ? bpf_object__open_mem(pl_xsk_frags_bpf_obj,
							  pl_xsk_frags_bpf_obj_len, &oo)
				   : bpf_object__open_mem(pl_xsk_bpf_obj, pl_xsk_bpf_obj_len, &oo);
	if (!obj) {
		int e = errno ? errno : EINVAL;
		return pl_xdp_errf(err, errlen, -e, "opening pktlink's XDP program: %s",
				   strerror(e));
	}
	p->obj = obj;
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = obj, .prog_name = "pl_xsk_redirect");
	struct xdp_program *prog = xdp_program__create(&xo);
	long pe = libxdp_get_error(prog);
	if (pe || !prog) {
		int e = pe ? (int)-pe : EINVAL;
		return pl_xdp_errf(err, errlen, -e, "creating the libxdp program: %s",
				   strerror(e));
	}
	p->prog = prog;
	if (frags)
		xdp_program__set_xdp_frags_support(prog, true);

	int r;
	enum xdp_attach_mode m = mode == PKTLINK_XDP_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	r = try_attach(p, m);
	int first = r;
	if (r && mode == PKTLINK_XDP_MODE_AUTO && r != -EFAULT) {
		m = XDP_MODE_SKB;
		r = try_attach(p, m);
	}
	if (r) {
		uint32_t other = foreign_prog(ifindex);
		if (other)
			return pl_xdp_errf(err, errlen, r,
					   "attaching the XDP program to %s: %s — XDP program id %u "
					   "(not attached through libxdp) holds the device; detach it "
					   "(ip link set dev %s xdp off) or attach your own program "
					   "and pass its XSKMAP (xskmap=)",
					   ifname, strerror(-r), other, ifname);
		if (mode == PKTLINK_XDP_MODE_AUTO && first != -EFAULT)
			return pl_xdp_errf(err, errlen, r,
					   "attaching the XDP program to %s: driver mode: %s, generic "
					   "mode: %s",
					   ifname, strerror(-first), strerror(-r));
		return pl_xdp_errf(err, errlen, r, "attaching the XDP program to %s in %s mode: %s%s",
				   ifname, mode_name(m), strerror(-r),
				   m == XDP_MODE_NATIVE ? " (try mode=skb or mode=auto)" : "");
	}
	p->attached = true;
	p->attach_mode = m;
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		p->dispatcher = !xdp_multiprog__is_legacy(mp);
		xdp_multiprog__close(mp);
	}
	struct bpf_map *map = bpf_object__find_map_by_name(xdp_program__bpf_obj(prog), "xsks_map");
	p->map_fd = map ? bpf_map__fd(map) : -1;
	if (p->map_fd < 0)
		return pl_xdp_errf(err, errlen, -ENOENT,
				   "pktlink's XDP program has no loaded xsks_map");
	return 0;
}

int pl_xdp_prog_use_map(struct pl_xdp_prog *p, int fd, const char *pin, char *err,
			size_t errlen)
{
	if (fd >= 0) {
		p->map_fd = fd;
		p->own_map_fd = false;
		return 0;
	}
	int m = pl_fault() ? (errno = EFAULT, -1) : bpf_obj_get(pin);
	if (m < 0) {
		int e = errno;
		return pl_xdp_errf(err, errlen, -e, "xskmap=%s: cannot open the pinned map: %s",
				   pin, strerror(e));
	}
	p->map_fd = m;
	p->own_map_fd = true;
	return 0;
}

int pl_xdp_prog_map_set(struct pl_xdp_prog *p, uint32_t queue, int sock_fd, char *err,
			size_t errlen)
{
	if (pl_fault() ? (errno = EFAULT, 1) : bpf_map_update_elem(p->map_fd, &queue, &sock_fd, 0)) {
		int e = errno;
		return pl_xdp_errf(err, errlen, -e,
				   "putting the socket of queue %u in the XSKMAP: %s%s", queue,
				   strerror(e),
				   e == E2BIG ? " — the map has fewer entries than the queue id" :
				   e == EINVAL ? " — is it a BPF_MAP_TYPE_XSKMAP?" :
						 "");
	}
	return 0;
}

void pl_xdp_prog_map_clear(struct pl_xdp_prog *p, uint32_t queue)
{
	if (p->map_fd >= 0)
		bpf_map_delete_elem(p->map_fd, &queue);
}

void pl_xdp_prog_teardown(struct pl_xdp_prog *p)
{
	if (p->attached)
		xdp_program__detach(p->prog, p->ifindex, (enum xdp_attach_mode)p->attach_mode, 0);
	p->attached = false;
	if (p->prog)
		xdp_program__close(p->prog);
	p->prog = NULL;
	if (p->obj)
		bpf_object__close(p->obj);
	p->obj = NULL;
	if (p->own_map_fd && p->map_fd >= 0)
		close(p->map_fd);
	p->map_fd = -1;
	p->own_map_fd = false;
}
