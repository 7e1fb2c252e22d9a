/* SPDX-License-Identifier: MIT */
/* xdpq.c — XDP program, AF_XDP socket and TAP queries (see xdpq.h). */
#include "xdpq.h"

#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/xdp_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif

/* comm_of() - /proc/PID/comm. */
static void comm_of(int pid, char comm[32])
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	FILE *f = fopen(p, "re");
	comm[0] = '\0';
	if (f) {
		if (fgets(comm, 32, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
}

/*
 * find_owner() - the first process with an fd for which @match says yes.
 * @fdinfo: match the text of /proc/PID/fdinfo/FD; else the fd's link target.
 * Bounded by the number of processes and fds on the machine.
 */
static int find_owner(bool fdinfo, bool (*match)(const char *text, const void *arg),
		      const void *arg)
{
	DIR *pd = opendir("/proc");
	if (!pd)
		return 0;
	int found = 0;
	struct dirent *pe;
	int self = getpid();
	while (!found && (pe = readdir(pd))) {
		int pid = atoi(pe->d_name);
		if (pid <= 0 || pid == self)
			continue;
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
		DIR *fd = opendir(dir);
		if (!fd)
			continue;
		struct dirent *fe;
		while (!found && (fe = readdir(fd))) {
			if (fe->d_name[0] == '.')
				continue;
			char path[300], text[1024];
			if (fdinfo) {
				snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fe->d_name);
				FILE *f = fopen(path, "re");
				if (!f)
					continue;
				size_t n = fread(text, 1, sizeof(text) - 1, f);
				fclose(f);
				text[n] = '\0';
			} else {
				snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fe->d_name);
				ssize_t n = readlink(path, text, sizeof(text) - 1);
				if (n <= 0)
					continue;
				text[n] = '\0';
			}
			if (match(text, arg))
				found = pid;
		}
		closedir(fd);
	}
	closedir(pd);
	return found;
}

static bool match_prog_id(const char *text, const void *arg)
{
	char want[32];
	snprintf(want, sizeof(want), "prog_id:\t%u\n", *(const uint32_t *)arg);
	return strstr(text, want) != NULL;
}

static bool match_socket_ino(const char *text, const void *arg)
{
	char want[48];
	snprintf(want, sizeof(want), "socket:[%u]", *(const uint32_t *)arg);
	return !strcmp(text, want);
}

static bool match_tun(const char *text, const void *arg)
{
	char want[48];
	snprintf(want, sizeof(want), "iff:\t%s\n", (const char *)arg);
	return strstr(text, want) != NULL;
}

bool xdpq_tun(const char *ifname, bool *tap, int *pid, char comm[32])
{
	char p[128];
	snprintf(p, sizeof(p), "/sys/class/net/%s/tun_flags", ifname);
	FILE *f = fopen(p, "re");
	if (!f)
		return false;
	unsigned flags = 0;
	if (fscanf(f, "%x", &flags) != 1)
		flags = 0;
	fclose(f);
	*tap = (flags & 0x0002) != 0; /* IFF_TAP */
	*pid = find_owner(true, match_tun, ifname);
	comm[0] = '\0';
	if (*pid)
		comm_of(*pid, comm);
	return true;
}

#ifdef PKTLINK_TOOL_HAVE_GEN
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#ifdef PKTLINK_TOOL_HAVE_LIBXDP
#include <stdarg.h>
#include <xdp/libxdp.h>
#endif

/* fill_prog() - name, tag and owner of program @id. */
static void fill_prog(struct xdpq_prog *p, uint32_t id, const char *mode, int prio)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->mode = mode;
	p->prio = prio;
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			snprintf(p->name, sizeof(p->name), "%s", info.name);
			for (int i = 0; i < 8; i++)
				snprintf(p->tag + 2 * i, 3, "%02x", info.tag[i]);
		}
		close(fd);
	} else {
		/* Reading a program by id needs CAP_SYS_ADMIN. */
		snprintf(p->name, sizeof(p->name), "? (%s)", strerror(errno));
	}
	p->dispatcher = !strcmp(p->name, "xdp_dispatcher");
	p->pktlink = !strncmp(p->name, "pl_xsk_redirect", 15) || !strcmp(p->name, "pl_capture");
	p->owner_pid = find_owner(true, match_prog_id, &id);
	if (p->owner_pid)
		comm_of(p->owner_pid, p->owner_comm);
	p->stale = p->pktlink && !p->owner_pid && prio < 0;
}

#ifdef PKTLINK_TOOL_HAVE_LIBXDP
static int quiet_xdp(enum libxdp_print_level l, const char *fmt, va_list ap)
{
	(void)l, (void)fmt, (void)ap;
	return 0;
}

/* dispatcher_chain() - the programs libxdp's dispatcher on @ifindex runs. */
static unsigned dispatcher_chain(int ifindex, struct xdpq_prog *out, unsigned cap)
{
	libxdp_set_print(quiet_xdp);
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!mp || libxdp_get_error(mp))
		return 0;
	unsigned n = 0;
	if (!xdp_multiprog__is_legacy(mp)) {
		for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p && n < cap;
		     p = xdp_multiprog__next_prog(p, mp)) {
			struct xdpq_prog *q = &out[n++];
			fill_prog(q, xdp_program__id(p), "", (int)xdp_program__run_prio(p));
			snprintf(q->name, sizeof(q->name), "%s", xdp_program__name(p));
			q->pktlink = !strncmp(q->name, "pl_xsk_redirect", 15);
			static const char *const acts[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
							    "XDP_TX", "XDP_REDIRECT" };
			size_t o = 0;
			for (unsigned a = 0; a < 5; a++)
				if (xdp_program__chain_call_enabled(p, (enum xdp_action)a))
					o += (size_t)snprintf(q->chain + o, sizeof(q->chain) - o,
							      "%s%s", o ? " " : "", acts[a]);
		}
	}
	xdp_multiprog__close(mp);
	return n;
}
#else
static unsigned dispatcher_chain(int ifindex, struct xdpq_prog *out, unsigned cap)
{
	(void)ifindex, (void)out, (void)cap;
	return 0;
}
#endif

int xdpq_progs(int ifindex, struct xdpq_prog *out, unsigned cap)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int r = bpf_xdp_query(ifindex, 0, &q);
	if (r)
		return r;
	unsigned n = 0;
	struct {
		uint32_t id;
		const char *mode;
	} att[3] = { { q.drv_prog_id, "native" }, { q.skb_prog_id, "skb" }, { q.hw_prog_id, "hw" } };
	for (unsigned i = 0; i < 3 && n < cap; i++) {
		if (!att[i].id)
			continue;
		fill_prog(&out[n], att[i].id, att[i].mode, -1);
		if (out[n++].dispatcher)
			n += dispatcher_chain(ifindex, out + n, cap - n);
	}
	return (int)n;
}
#else
int xdpq_progs(int ifindex, struct xdpq_prog *out, unsigned cap)
{
	(void)ifindex, (void)out, (void)cap;
	return -ENOTSUP;
}
#endif

int xdpq_xsks(struct xdpq_xsk *out, unsigned cap)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct {
		struct nlmsghdr nh;
		struct xdp_diag_req r;
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.r.sdiag_family = AF_XDP;
	req.r.xdiag_show = XDP_SHOW_INFO | XDP_SHOW_RING_CFG | XDP_SHOW_UMEM | XDP_SHOW_STATS;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	unsigned n = 0;
	int r = 0;
	char buf[16384] __attribute__((aligned(8)));
	/* A dump ends with NLMSG_DONE; bounded by the receive timeout. */
	for (bool done = false; !done;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			r = -errno;
			break;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);
				r = e->error ? e->error : -EIO;
				done = true;
				break;
			}
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct xdp_diag_msg)) || n >= cap)
				continue;
			struct xdp_diag_msg *m = NLMSG_DATA(nh);
			struct xdpq_xsk *x = &out[n++];
			memset(x, 0, sizeof(*x));
			x->ino = m->xdiag_ino;
			char *a = (char *)m + NLMSG_ALIGN(sizeof(*m));
			char *end = (char *)nh + nh->nlmsg_len;
			while (a + NLA_HDRLEN <= end) {
				struct nlattr *at = (struct nlattr *)a;
				if (at->nla_len < NLA_HDRLEN || a + at->nla_len > end)
					break;
				void *v = a + NLA_HDRLEN;
				size_t vl = at->nla_len - NLA_HDRLEN;
				switch (at->nla_type) {
				case XDP_DIAG_INFO:
					if (vl >= sizeof(struct xdp_diag_info)) {
						struct xdp_diag_info i;
						memcpy(&i, v, sizeof(i));
						x->ifindex = i.ifindex;
						x->queue = i.queue_id;
					}
					break;
				case XDP_DIAG_RX_RING:
				case XDP_DIAG_TX_RING:
					if (vl >= 4) {
						uint32_t e;
						memcpy(&e, v, 4);
						*(at->nla_type == XDP_DIAG_RX_RING ? &x->rx_entries
										   : &x->tx_entries) = e;
					}
					break;
				case XDP_DIAG_UMEM:
					if (vl >= sizeof(struct xdp_diag_umem)) {
						struct xdp_diag_umem u;
						memcpy(&u, v, sizeof(u));
						x->umem_id = u.id;
						x->chunk_size = u.chunk_size;
						x->zerocopy = u.flags & XDP_DU_F_ZEROCOPY;
					}
					break;
				case XDP_DIAG_STATS:
					if (vl >= sizeof(struct xdp_diag_stats)) {
						struct xdp_diag_stats s;
						memcpy(&s, v, sizeof(s));
						x->rx_dropped = s.n_rx_dropped;
						x->rx_full = s.n_rx_full;
						x->fill_empty = s.n_fill_ring_empty;
					}
					break;
				}
				a += NLA_ALIGN(at->nla_len);
			}
		}
	}
	close(fd);
	for (unsigned i = 0; i < n; i++) {
		out[i].owner_pid = find_owner(false, match_socket_ino, &out[i].ino);
		if (out[i].owner_pid)
			comm_of(out[i].owner_pid, out[i].owner_comm);
	}
	return r && !n ? r : (int)n;
}
