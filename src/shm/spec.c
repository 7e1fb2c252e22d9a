/* SPDX-License-Identifier: MIT */
/*
 * spec.c — the "shm:" spec string: keys to options, then listen or connect.
 */
#include "shm_ep.h"

#include "core/registry.h"
#include "core/spec.h"

#define SHM_SPEC_WAIT_MS 30000

#include <errno.h>

static const char shm_spec_help[] =
	"shm:PATH?role=client|server&mtu=1500&buffer_size=2048&data_size=2097152&pipe_size=65536\n"
	"    &busy_poll=0&vnet_hdr=0&gso_max_size=0&csum_offload=0&addr=MAC&dir=DIR\n"
	"    &timeout_ms=30000&allow_unsealed=0&spin_us=20&handover=pktlink|fds&wait_ms=30000\n"
	"  Shared memory with another process (gVisor sharedmem wire format). The server\n"
	"  listens on the unix socket PATH; the client creates the queues (memfd, or files\n"
	"  in DIR) and hands them over. busy_poll=1 never sleeps; otherwise a waiter\n"
	"  watches the pipe spin_us microseconds before sleeping on the eventfd (0 =\n"
	"  sleep at once); vnet_hdr=1 puts a virtio-net header before each frame (both\n"
	"  sides must agree). handover=fds speaks gVisor's bare hand-over (the ten queue\n"
	"  fds in one message; use allow_unsealed=1 with a gVisor client). A client waits\n"
	"  up to wait_ms for a server at PATH, saying so on stderr after a second; a signal\n"
	"  (Ctrl-C) ends the wait; wait_ms=0 fails at once when nobody listens.\n";

static int shm_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	static const char *const roles[] = { "client", "server", NULL };
	struct pktlink_shm_opts o = { .sz = sizeof(o) };
	unsigned role = 0;
	uint32_t v;
	bool b;
	const char *str;
	int r;
	if ((r = pl_spec_enum(s, "role", roles, &role)) < 0)
		return r;
	o.role = role ? PKTLINK_SHM_SERVER : PKTLINK_SHM_CLIENT;
	if ((r = pl_spec_u32(s, "mtu", 68, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR, &o.mtu)) < 0 ||
	    (r = pl_spec_u32(s, "buffer_size", 64, PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN,
			     &o.buffer_size)) < 0 ||
	    (r = pl_spec_u32(s, "gso_max_size", 0, PKTLINK_SHM_MAX_PACKET, &o.gso_max_size)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "data_size", 4096, 1u << 31, &v)) < 0)
		return r;
	if (r)
		o.data_size = v;
	if ((r = pl_spec_u32(s, "pipe_size", 4096, 1u << 30, &v)) < 0)
		return r;
	if (r)
		o.pipe_size = v;
	if ((r = pl_spec_u32(s, "timeout_ms", 1, 3600000, &v)) < 0)
		return r;
	if (r)
		o.timeout_ms = (int)v;
	if ((r = pl_spec_bool(s, "busy_poll", &o.busy_poll)) < 0 ||
	    (r = pl_spec_bool(s, "vnet_hdr", &o.vnet_hdr)) < 0 ||
	    (r = pl_spec_bool(s, "allow_unsealed", &o.allow_unsealed)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "spin_us", 0, 1000000, &v)) < 0)
		return r;
	if (r)
		o.wait_spin_us = v ? (int)v : -1;
	if ((r = pl_spec_bool(s, "csum_offload", &b)) < 0)
		return r;
	o.tx_csum_offload = o.rx_csum_offload = r && b;
	if ((r = pl_spec_mac(s, "addr", o.link_addr)) < 0)
		return r;
	o.has_link_addr = r;
	if ((r = pl_spec_str(s, "dir", &str)) < 0)
		return r;
	if (r)
		o.dir = str;
	static const char *const handovers[] = { "pktlink", "fds", NULL };
	unsigned ho = 0;
	if ((r = pl_spec_enum(s, "handover", handovers, &ho)) < 0)
		return r;
	o.handover = ho ? PKTLINK_SHM_HANDOVER_FDS : PKTLINK_SHM_HANDOVER_PKTLINK;
	/* A spec user (a tool, a script starting both sides) gets a wait by
	 * default, announced on stderr after a second; wait_ms=0 fails at once. */
	o.connect_wait_ms = SHM_SPEC_WAIT_MS;
	if ((r = pl_spec_u32(s, "wait_ms", 0, 3600000, &v)) < 0)
		return r;
	if (r)
		o.connect_wait_ms = (int)v;
	r = pl_spec_finish(s, "role, mtu, buffer_size, data_size, pipe_size, busy_poll, vnet_hdr, "
			      "gso_max_size, csum_offload, addr, dir, timeout_ms, allow_unsealed, spin_us, "
			      "handover, wait_ms");
	if (r)
		return r;
	if (!s->target || !s->target[0])
		return pl_err(s->err, s->errlen, -EINVAL,
			      "shm: give the unix socket path after 'shm:', e.g. "
			      "shm:/run/pl.sock?role=server");
	if (o.role == PKTLINK_SHM_SERVER)
		return pktlink_shm_listen(s->target, &o, epp, s->err, s->errlen);
	return pl_shm_connect(s->target, &o, true, epp, s->err, s->errlen);
}

/* The shm family's spec prefix (core/registry.h). */
const struct pl_family_entry pl_family_shm[] = {
	{ "shm", shm_open_spec, shm_spec_help },
	{ NULL, NULL, NULL },
};
