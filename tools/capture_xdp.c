/* SPDX-License-Identifier: MIT */
/* capture_xdp.c — non-stealing XDP capture (see capture_xdp.h). */
#include "capture_xdp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PKTLINK_TOOL_HAVE_GEN
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

extern const unsigned char pl_cap_bpf_obj[];
extern const size_t pl_cap_bpf_obj_len;
extern const unsigned char pl_capk_bpf_obj[];
extern const size_t pl_capk_bpf_obj_len;

/* The record header of capture.bpf.c. */
struct cap_rec {
	uint64_t ts;
	uint32_t len, caplen, flags, pad;
};

struct capxdp {
	struct bpf_object *obj;
	int link_fd;
	int lost_fd;
	struct ring_buffer *rb;
	capxdp_fn fn;
	void *ctx;
	int cb_err;
	int64_t mono_to_real; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	char desc[128];
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct capxdp *c = ctx;
	struct cap_rec h;
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	if (h.caplen > size - sizeof(h))
		h.caplen = (uint32_t)(size - sizeof(h));
	uint64_t ts = h.flags & 1 ? h.ts : (uint64_t)((int64_t)h.ts + c->mono_to_real);
	int r = c->fn(c->ctx, ts, h.flags & 1 ? CAPXDP_TS_DEVICE : CAPXDP_TS_KERNEL,
		      (const uint8_t *)data + sizeof(h), h.caplen, h.len);
	if (r)
		c->cb_err = r;
	return r;
}

/* try_attach() - load one build of the program and link it to @ifindex. */
static int try_attach(struct capxdp *c, bool kfunc, uint32_t xdp_flags, int ifindex,
		      uint32_t snaplen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "pl_capture");
	c->obj = kfunc ? bpf_object__open_mem(pl_capk_bpf_obj, pl_capk_bpf_obj_len, &oo)
		       : bpf_object__open_mem(pl_cap_bpf_obj, pl_cap_bpf_obj_len, &oo);
	if (!c->obj)
		return -errno;
	struct bpf_program *p = bpf_object__find_program_by_name(c->obj, "pl_capture");
	if (!p)
		return -ENOENT;
	if (kfunc) {
		/* Metadata kfuncs need a program bound to the device it runs on. */
		bpf_program__set_ifindex(p, (__u32)ifindex);
		bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_XDP_DEV_BOUND_ONLY);
	}
	int r = bpf_object__load(c->obj);
	if (r)
		return r;
	uint32_t zero = 0;
	int cfg = bpf_object__find_map_fd_by_name(c->obj, "pl_cap_cfg");
	if (cfg < 0 || bpf_map_update_elem(cfg, &zero, &snaplen, 0))
		return -EIO;
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = xdp_flags);
	c->link_fd = bpf_link_create(bpf_program__fd(p), ifindex, BPF_XDP, &lo);
	if (c->link_fd < 0)
		return -errno;
	return 0;
}

static void unload(struct capxdp *c)
{
	if (c->link_fd >= 0)
		close(c->link_fd);
	c->link_fd = -1;
	bpf_object__close(c->obj);
	c->obj = NULL;
}

int capxdp_open(struct capxdp **out, const char *ifname, const char *mode, uint32_t snaplen,
		capxdp_fn fn, void *ctx, char *err, size_t errlen)
{
	*out = NULL;
	int ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		snprintf(err, errlen, "no interface '%s' in this network namespace (`ip link` lists "
				      "them)", ifname);
		return -ENODEV;
	}
	bool drv = !strcmp(mode, "drv"), skb = !strcmp(mode, "skb");
	if (!drv && !skb && strcmp(mode, "auto")) {
		snprintf(err, errlen, "XDP mode '%s' unknown: write auto, drv or skb", mode);
		return -EINVAL;
	}
	struct capxdp *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->link_fd = -1;
	c->fn = fn;
	c->ctx = ctx;
	libbpf_set_print(quiet_print);
	/* Attempts in order of preference: device stamps need driver mode. */
	static const struct {
		bool kfunc;
		uint32_t flags;
		const char *desc;
	} tries[] = {
		{ true, XDP_FLAGS_DRV_MODE, "driver mode, device RX timestamps where the driver has them" },
		{ false, XDP_FLAGS_DRV_MODE, "driver mode, kernel timestamps" },
		{ false, XDP_FLAGS_SKB_MODE, "generic (skb) mode, kernel timestamps" },
	};
	int r = -EINVAL;
	for (unsigned i = 0; i < 3; i++) {
		if ((skb && tries[i].flags != XDP_FLAGS_SKB_MODE) ||
		    (drv && tries[i].flags != XDP_FLAGS_DRV_MODE))
			continue;
		r = try_attach(c, tries[i].kfunc, tries[i].flags, ifindex, snaplen);
		if (!r) {
			snprintf(c->desc, sizeof(c->desc), "%s", tries[i].desc);
			break;
		}
		unload(c);
		if (r == -EBUSY || r == -EEXIST)
			break;
	}
	if (r) {
		if (r == -EBUSY || r == -EEXIST)
			snprintf(err, errlen,
				 "%s already has an XDP program (`pktlink status %s` names it): "
				 "capture packet:%s instead, or --steal with the endpoint's own "
				 "program",
				 ifname, ifname, ifname);
		else
			snprintf(err, errlen,
				 "attaching the capture XDP program to %s failed: %s (needs root / "
				 "CAP_BPF and CAP_NET_ADMIN, Linux 5.18+)",
				 ifname, strerror(-r));
		capxdp_close(c);
		return r;
	}
	c->lost_fd = bpf_object__find_map_fd_by_name(c->obj, "pl_cap_lost");
	int ring = bpf_object__find_map_fd_by_name(c->obj, "pl_cap_ring");
	c->rb = ring >= 0 ? ring_buffer__new(ring, on_record, c, NULL) : NULL;
	if (!c->rb) {
		snprintf(err, errlen, "opening the capture ring buffer failed: %s", strerror(errno));
		capxdp_close(c);
		return -EIO;
	}
	c->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	*out = c;
	return 0;
}

int capxdp_fd(const struct capxdp *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int capxdp_poll(struct capxdp *c, int timeout_ms)
{
	c->cb_err = 0;
	int n = ring_buffer__poll(c->rb, timeout_ms);
	if (c->cb_err)
		return c->cb_err;
	if (n == -EINTR)
		return 0;
	return n;
}

uint64_t capxdp_lost(const struct capxdp *c)
{
	int n = libbpf_num_possible_cpus();
	if (c->lost_fd < 0 || n <= 0 || n > 4096)
		return 0;
	uint64_t v[4096], sum = 0;
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(c->lost_fd, &zero, v))
		return 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

const char *capxdp_describe(const struct capxdp *c)
{
	return c->desc;
}

void capxdp_close(struct capxdp *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	unload(c);
	free(c);
}

#else /* !PKTLINK_TOOL_HAVE_GEN */

struct capxdp {
	int unused;
};

int capxdp_open(struct capxdp **out, const char *ifname, const char *mode, uint32_t snaplen,
		capxdp_fn fn, void *ctx, char *err, size_t errlen)
{
	(void)ifname, (void)mode, (void)snaplen, (void)fn, (void)ctx;
	*out = NULL;
	snprintf(err, errlen, "this pktlink was built without clang/libbpf, so it cannot capture "
			      "on XDP without stealing: capture packet:IFNAME, or give --steal");
	return -ENOTSUP;
}

int capxdp_fd(const struct capxdp *c)
{
	(void)c;
	return -1;
}

int capxdp_poll(struct capxdp *c, int timeout_ms)
{
	(void)c, (void)timeout_ms;
	return -ENOTSUP;
}

uint64_t capxdp_lost(const struct capxdp *c)
{
	(void)c;
	return 0;
}

const char *capxdp_describe(const struct capxdp *c)
{
	(void)c;
	return "";
}

void capxdp_close(struct capxdp *c)
{
	(void)c;
}
#endif
