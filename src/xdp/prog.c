/* SPDX-License-Identifier: MIT */
/* prog.c — see prog.h. */
#include "prog.h"
#include "xsk.h"
#include "core/fault.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "pl_xsk.bpf.h"
#include "pl_xsk_frags.bpf.h"

void pl_xdp_prog_init(struct pl_xdp_prog *p)
{
	memset(p, 0, sizeof(*p));
	p->map_fd = -1;
	p->prog_fd = -1;
	p->link_fd = -1;
}

/* mode_name() - for messages. */
static const char *mode_name(enum xdp_attach_mode m)
{
	return m == XDP_MODE_NATIVE ? "driver" : m == XDP_MODE_SKB ? "generic (skb)" : "?";
}

/* The program attached to ifindex (any mode): its id, and whether it is
 * libxdp's dispatcher (which libxdp can add our program to). */
static uint32_t attached_prog(int ifindex, bool *is_dispatcher)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	*is_dispatcher = false;
	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return 0;
	uint32_t id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id)
		return 0;
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			*is_dispatcher = !strncmp(info.name, "xdp_dispatcher", sizeof(info.name));
		close(fd);
	}
	return id;
}

/* pktlink's program, as the kernel names it (BPF_OBJ_NAME_LEN - 1 chars). */
#define PL_PROG_NAME "pl_xsk_redirect"

/* Does the fdinfo text of a BPF descriptor name program id? Program and
 * link descriptors both show "prog_id:". */
static bool fdinfo_has_prog(const char *path, uint32_t id)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[128];
	bool hit = false;
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned v;
		if (sscanf(line, "prog_id: %u", &v) == 1 && v == id)
			hit = true;
	}
	fclose(f);
	return hit;
}

/*
 * prog_holder() - a process (in this PID namespace) that holds a descriptor
 * of program id or of a link to it: its pid, or 0 when none does. A pktlink
 * process holds its program until it closes the endpoint; one that was
 * killed holds nothing, and the kernel keeps a netlink-attached program
 * alive by itself. skip_fd: our own descriptor of the program, not counted.
 * Bounded by what /proc lists.
 */
static int prog_holder(uint32_t id, int skip_fd)
{
	DIR *proc = opendir("/proc");
	if (!proc)
		return 0;
	int self = getpid(), holder = 0;
	struct dirent *pe;
	while (!holder && (pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
		DIR *fds = opendir(dir);
		if (!fds)
			continue; /* gone meanwhile, or not ours to read */
		struct dirent *fe;
		while (!holder && (fe = readdir(fds))) {
			if (fe->d_name[0] == '.')
				continue;
			if (pid == self && atoi(fe->d_name) == skip_fd)
				continue;
			char path[320], target[64];
			snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid, fe->d_name);
			ssize_t n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, "anon_inode:bpf-prog") && strcmp(target, "anon_inode:bpf_link"))
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", pid, fe->d_name);
			if (fdinfo_has_prog(path, id))
				holder = (int)pid;
		}
		closedir(fds);
	}
	closedir(proc);
	return holder;
}

/*
 * remove_stale() - program id holds the device and is not libxdp's
 * dispatcher. If it is pktlink's own program, attached over netlink, and no
 * process holds it any more, its owner died without detaching it (netlink
 * attachments outlive their owner): detach exactly that program. Else
 * report what holds the device.
 * Return: 0 when the device is free now, or a negative errno with a reason.
 */
static int remove_stale(int ifindex, const char *ifname, uint32_t id, char *err, size_t errlen)
{
	int fd = bpf_prog_get_fd_by_id(id);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	bool ours = fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    !strncmp(info.name, PL_PROG_NAME, sizeof(info.name));
	if (!ours) {
		if (fd >= 0)
			close(fd);
		return pl_xdp_errf(err, errlen, -EBUSY,
				   "attaching the XDP program to %s: XDP program id %u (not attached "
				   "through libxdp) holds the device; detach it (ip link set dev %s "
				   "xdp off) or attach your own program and pass its XSKMAP "
				   "(xskmap=)",
				   ifname, id, ifname);
	}
	int holder = prog_holder(id, fd);
	int r = -EBUSY;
	if (!holder) {
		/* Only that program, in the mode it is attached in; a program
		 * held by a bpf_link refuses this (then it is not stale). */
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		uint32_t mode = 0;
		if (bpf_xdp_query(ifindex, 0, &q) == 0)
			mode = q.skb_prog_id == id ? XDP_FLAGS_SKB_MODE :
			       q.drv_prog_id == id ? XDP_FLAGS_DRV_MODE :
			       q.hw_prog_id == id  ? XDP_FLAGS_HW_MODE :
						     0;
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = fd);
		r = bpf_xdp_attach(ifindex, -1, XDP_FLAGS_REPLACE | mode, &ao);
	}
	close(fd);
	if (!r)
		return 0;
	if (holder)
		return pl_xdp_errf(err, errlen, -EBUSY,
				   "attaching the XDP program to %s: pktlink's XDP program (id %u) is "
				   "already attached and in use by process %d — another pktlink "
				   "endpoint on this device? (one program per device; attach=libxdp "
				   "lets programs share it)",
				   ifname, id, holder);
	return pl_xdp_errf(err, errlen, r < 0 ? r : -EBUSY,
			   "attaching the XDP program to %s: pktlink's XDP program (id %u) was left "
			   "attached by a process that is gone, and removing it failed: %s; detach "
			   "it with ip link set dev %s xdp off",
			   ifname, id, strerror(r < 0 ? -r : EBUSY), ifname);
}

/* attach_once() - one attach attempt in mode m (a pl_fault() step). */
static int attach_once(struct pl_xdp_prog *p, enum xdp_attach_mode m)
{
	if (pl_fault())
		return -EFAULT;
	if (p->via_libxdp)
		return xdp_program__attach(p->prog, p->ifindex, m, 0);
	uint32_t mode_flag = m == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	if (!p->no_link) {
		/* The link lives as long as a descriptor of it: the kernel
		 * detaches the program when the last one closes, also when the
		 * process is killed. */
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = mode_flag);
		int fd = bpf_link_create(p->prog_fd, p->ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			p->link_fd = fd;
			return 0;
		}
		if (fd != -EINVAL)
			return fd;
		p->no_link = true; /* before Linux 5.9: no XDP links */
	}
	int r = bpf_xdp_attach(p->ifindex, p->prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flag, NULL);
	return r < 0 ? r : 0;
}

int pl_xdp_prog_attach(struct pl_xdp_prog *p, int ifindex, const char *ifname,
		       enum pktlink_xdp_mode mode, bool frags, enum pktlink_xdp_attach how,
		       char *err, size_t errlen)
{
	p->ifindex = ifindex;
	bool disp_there;
	uint32_t other = attached_prog(ifindex, &disp_there);
	if (other && !disp_there) {
		int r = remove_stale(ifindex, ifname, other, err, errlen);
		if (r)
			return r;
	}
	/* auto: a bpf_link (crash-safe), unless libxdp's dispatcher is
	 * already there to join. */
	p->via_libxdp = how == PKTLINK_XDP_ATTACH_LIBXDP ||
			(how == PKTLINK_XDP_ATTACH_AUTO && other && disp_there);

	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "pl_xsk");
	errno = 0;
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
	if (p->via_libxdp) {
		/* libxdp loads the object itself when it attaches. */
		DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = obj,
				    .prog_name = PL_PROG_NAME);
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
	} else {
		int r = pl_fault() ? -EFAULT : bpf_object__load(obj);
		if (r) {
			r = r < 0 ? r : -EINVAL;
			return pl_xdp_errf(err, errlen, r, "loading pktlink's XDP program: %s%s",
					   strerror(-r),
					   r == -EPERM ? " — needs CAP_BPF / CAP_SYS_ADMIN" : "");
		}
		struct bpf_program *bp = bpf_object__find_program_by_name(obj, PL_PROG_NAME);
		p->prog_fd = bp ? bpf_program__fd(bp) : -1;
		if (p->prog_fd < 0)
			return pl_xdp_errf(err, errlen, -ENOENT, "pktlink's XDP program is missing");
	}

	enum xdp_attach_mode m = mode == PKTLINK_XDP_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	int r = attach_once(p, m);
	int first = r;
	if (r && mode == PKTLINK_XDP_MODE_AUTO && r != -EFAULT) {
		m = XDP_MODE_SKB;
		r = attach_once(p, m);
	}
	if (r) {
		other = attached_prog(ifindex, &disp_there);
		if (other && !disp_there)
			return pl_xdp_errf(err, errlen, r,
					   "attaching the XDP program to %s: %s — XDP program id %u "
					   "holds the device; detach it (ip link set dev %s xdp off) "
					   "or attach your own program and pass its XSKMAP (xskmap=)",
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
	if (p->via_libxdp)
		attached_prog(ifindex, &p->dispatcher);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "xsks_map");
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
	if (p->attached) {
		if (p->link_fd >= 0) {
			/* Detach now: closing the last link fd only queues the
			 * release on a kernel workqueue, so the program could
			 * outlive close() for a while on a busy machine. */
			bpf_link_detach(p->link_fd);
		} else if (p->via_libxdp && p->dispatcher) {
			xdp_program__detach(p->prog, p->ifindex,
					    (enum xdp_attach_mode)p->attach_mode, 0);
		} else {
			/* Netlink: ours, or libxdp's single-program fallback
			 * (whose own detach leaks a program descriptor in
			 * libxdp 1.3). Only if it is still ours: never remove
			 * someone else's. */
			int fd = p->via_libxdp ? xdp_program__fd(p->prog) : p->prog_fd;
			LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = fd);
			uint32_t flags = XDP_FLAGS_REPLACE | (p->attach_mode == XDP_MODE_SKB ?
								      XDP_FLAGS_SKB_MODE :
								      XDP_FLAGS_DRV_MODE);
			if (fd >= 0)
				bpf_xdp_attach(p->ifindex, -1, flags, &ao);
		}
	}
	if (p->link_fd >= 0)
		close(p->link_fd);
	p->link_fd = -1;
	p->attached = false;
	if (p->prog)
		xdp_program__close(p->prog);
	p->prog = NULL;
	if (p->obj)
		bpf_object__close(p->obj); /* closes prog_fd and the map */
	p->obj = NULL;
	p->prog_fd = -1;
	if (p->own_map_fd && p->map_fd >= 0)
		close(p->map_fd);
	p->map_fd = -1;
	p->own_map_fd = false;
}
