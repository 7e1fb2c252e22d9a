/* SPDX-License-Identifier: MIT */
/*
 * xdp_spec.c — the "xdp:" spec string: keys to struct pktlink_xdp_opts.
 */
#include "xdp_ep.h"

#include "core/fault.h"
#include "core/registry.h"
#include "core/spec.h"

#include <dirent.h>
#include <errno.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Spec strings                                                              */

static const char xdp_spec_help[] =
	"xdp:IFNAME?keys — AF_XDP socket(s) on a device queue\n"
	"  queue=N            first queue (default 0)\n"
	"  queues=N|all       number of queues from queue= on, or every RX queue (default 1)\n"
	"  mode=auto|drv|skb  XDP attach mode (auto: driver, else generic)\n"
	"  zerocopy=auto|require|off\n"
	"  frames=N           UMEM frames per queue, half RX half TX (default 4096)\n"
	"  frame_size=2048|4096  chunk size (any 2048..65536 with unaligned=1; default 2048)\n"
	"  unaligned=0|1      unaligned chunk mode\n"
	"  headroom=N         bytes reserved before received data (default 0)\n"
	"  need_wakeup=0|1    XDP_USE_NEED_WAKEUP (default 1)\n"
	"  busy_poll=USEC     SO_PREFER_BUSY_POLL + SO_BUSY_POLL (default off)\n"
	"  nap=0|1            while frames flow, waits nap 20 us instead of poll() (default 1)\n"
	"  busy_budget=N      SO_BUSY_POLL_BUDGET (default 64)\n"
	"  hugepages=0|1      back the UMEM with 2 MiB pages when available\n"
	"  xskmap=PATH|FD     use the XSKMAP of a program you attached instead of pktlink's\n"
	"  debug=0|1          report frame leaks and double releases at close\n"
	"  sg=0|1             multi-buffer (XDP_USE_SG): jumbo frames as chunk chains\n"
	"  fd=N               use this AF_XDP socket (handed in by a privileged process)\n"
	"  rx_size=N tx_size=N  ring sizes, powers of two (default frames/2)\n"
	"  attach=auto|libxdp|libbpf  how the XDP program is attached (auto: join libxdp's\n"
	"                     dispatcher if one is there, else a bpf_link via libbpf)\n";

/* xdp_open_spec() - "xdp:IFNAME?..." → pktlink_xdp_open(). */
static int xdp_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	static const char *const modes[] = { "auto", "drv", "skb", NULL };
	static const char *const zcs[] = { "auto", "require", "off", NULL };
	static const char *const attaches[] = { "auto", "libxdp", "libbpf", NULL };
	unsigned attach = 0;
	struct pktlink_xdp_opts o = { .sz = sizeof(o) };
	unsigned mode = 0, zc = 0;
	bool need_wakeup = true, nap = true;
	const char *queues = NULL, *xskmap = NULL;
	int r;
	o.ifname = s->target;
	if ((r = pl_spec_u32(s, "queue", 0, 65535, &o.queue)) < 0 ||
	    (r = pl_spec_str(s, "queues", &queues)) < 0 ||
	    (r = pl_spec_enum(s, "mode", modes, &mode)) < 0 ||
	    (r = pl_spec_enum(s, "zerocopy", zcs, &zc)) < 0 ||
	    (r = pl_spec_u32(s, "frames", 2, 1u << 20, &o.frames)) < 0 ||
	    (r = pl_spec_u32(s, "frame_size", 2048, 65536, &o.frame_size)) < 0 ||
	    (r = pl_spec_bool(s, "unaligned", &o.unaligned)) < 0 ||
	    (r = pl_spec_u32(s, "headroom", 0, 60000, &o.headroom)) < 0 ||
	    (r = pl_spec_bool(s, "need_wakeup", &need_wakeup)) < 0 ||
	    (r = pl_spec_u32(s, "busy_poll", 0, 1000000, &o.busy_poll_usec)) < 0 ||
	    (r = pl_spec_u32(s, "busy_budget", 1, 65535, &o.busy_poll_budget)) < 0 ||
	    (r = pl_spec_bool(s, "hugepages", &o.hugepages)) < 0 ||
	    (r = pl_spec_str(s, "xskmap", &xskmap)) < 0 ||
	    (r = pl_spec_bool(s, "debug", &o.debug)) < 0 ||
	    (r = pl_spec_bool(s, "sg", &o.sg)) < 0 ||
	    (r = pl_spec_u32(s, "rx_size", 64, 32768, &o.rx_size)) < 0 ||
	    (r = pl_spec_u32(s, "tx_size", 64, 32768, &o.tx_size)) < 0 ||
	    (r = pl_spec_enum(s, "attach", attaches, &attach)) < 0 ||
	    (r = pl_spec_bool(s, "nap", &nap)) < 0)
		return r;
	o.no_nap = !nap;
	o.attach = (enum pktlink_xdp_attach)attach;
	uint32_t sock_fd = 0;
	if ((r = pl_spec_u32(s, "fd", 0, 1u << 24, &sock_fd)) < 0)
		return r;
	o.has_sock_fd = r > 0;
	o.sock_fd = (int)sock_fd;
	if ((r = pl_spec_finish(s, "queue, queues, mode, zerocopy, frames, frame_size, unaligned, "
				   "headroom, need_wakeup, busy_poll, busy_budget, hugepages, "
				   "xskmap, debug, sg, fd, rx_size, tx_size, attach, nap")))
		return r;
	o.mode = (enum pktlink_xdp_mode)mode;
	o.zerocopy = (enum pktlink_xdp_zc)zc;
	o.no_need_wakeup = !need_wakeup;
	if (queues) {
		char *end;
		if (!strcmp(queues, "all")) {
			o.all_queues = true;
		} else {
			unsigned long v = strtoul(queues, &end, 10);
			if (*queues < '0' || *queues > '9' || *end || v < 1 || v > PL_MAX_QUEUES)
				return pl_err(s->err, s->errlen, -EINVAL,
					      "xdp: bad value '%s' for key 'queues': expected all or "
					      "a whole number from 1 to %d",
					      queues, PL_MAX_QUEUES);
			o.num_queues = (uint32_t)v;
		}
	}
	if (xskmap) {
		char *end;
		long fd = strtol(xskmap, &end, 10);
		if (*xskmap >= '0' && *xskmap <= '9' && !*end) {
			if (fd < 0 || fd > 1 << 24)
				return pl_err(s->err, s->errlen, -EINVAL,
					      "xdp: xskmap=%s: not a file descriptor", xskmap);
			o.has_xskmap_fd = true;
			o.xskmap_fd = (int)fd;
		} else {
			o.xskmap_pin = xskmap;
		}
	}
	return pktlink_xdp_open(&o, epp, s->err, s->errlen);
}

/* The xdp family's spec prefix (core/registry.h). */
const struct pl_family_entry pl_family_xdp[] = {
	{ "xdp", xdp_open_spec, xdp_spec_help },
	{ NULL, NULL, NULL },
};
