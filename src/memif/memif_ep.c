/* SPDX-License-Identifier: MIT */
/*
 * memif_ep.c — the memif endpoint: options, open (handshake, then the
 * queues over the negotiated rings), the control socket after connection
 * (only DISCONNECT may come; EOF means the peer is gone), destroy, and the
 * spec opener.
 *
 * Threading: each RX queue's state is touched only by that queue's RX
 * thread, TX ring 0 only by the TX thread; the control socket is read by
 * whichever thread holds ctrl_busy. No allocation after open.
 */
#include "memif_int.h"

#include "core/fault.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/spec.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH_HDR 14u

int pl_memif_violation(struct pl_memif_ep *e, const char *why)
{
	int dead = pl_ep_dead(&e->ep);
	if (dead)
		return dead;
	pl_memif_send_disconnect(e->conn.sock, why);
	shutdown(e->conn.sock, SHUT_RDWR);
	pl_ep_error(&e->ep, -EPROTO, "memif peer broke the protocol (%s): disconnected", why);
	return pl_ep_peer_gone(&e->ep, -EPROTO);
}

int pl_memif_ctrl_check(struct pl_memif_ep *e, uint64_t *sys)
{
	int dead = pl_ep_dead(&e->ep);
	if (dead)
		return dead;
	int left = __atomic_load_n(&e->left, __ATOMIC_ACQUIRE);
	if (left)
		return left;
	int expected = 0;
	if (!__atomic_compare_exchange_n(&e->ctrl_busy, &expected, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return 0; /* another queue's thread is looking */
	int ret = 0;
	uint8_t buf[MEMIF_MSG_SZ];
	int fd = -1;
	pl_stat_add(sys, 1);
	int r = pl_memif_msg_recv(e->conn.sock, buf, sizeof(buf), &fd, 0);
	if (r == -ETIMEDOUT || r == -EAGAIN) {
		ret = 0;
	} else if (r <= 0) {
		pl_ep_error(&e->ep, -ECONNRESET, "memif peer closed the control socket%s%s",
			    r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		ret = -ECONNRESET;
	} else {
		struct pl_memif_msg m;
		const char *why = NULL;
		int p = pl_memif_msg_parse(buf, (size_t)r, fd >= 0, &m, &why);
		if (fd >= 0)
			close(fd);
		if (p == 0 && m.type == MEMIF_MSG_DISCONNECT) {
			pl_ep_error(&e->ep, -ECONNRESET, "memif peer disconnected: %s",
				    m.disconnect.string);
			ret = -ECONNRESET;
		} else {
			__atomic_store_n(&e->ctrl_busy, 0, __ATOMIC_RELEASE);
			return pl_memif_violation(e, p ? why : "unexpected message after connect");
		}
	}
	if (ret)
		__atomic_store_n(&e->left, ret, __ATOMIC_RELEASE);
	__atomic_store_n(&e->ctrl_busy, 0, __ATOMIC_RELEASE);
	return ret;
}

static int memif_queue_fd(const struct pktlink_ep *ep, unsigned q)
{
	const struct pl_memif_ep *e = (const struct pl_memif_ep *)ep;
	return q < e->nq ? e->rxq[q].pollfd : -EINVAL;
}

static void memif_destroy(struct pktlink_ep *ep)
{
	struct pl_memif_ep *e = to_memif(ep);
	if (e->conn.sock >= 0 && !e->bye_sent && !pl_ep_dead(ep))
		pl_memif_send_disconnect(e->conn.sock, "closed");
	if (e->rxq) {
		for (unsigned q = 0; q < e->nq; q++) {
			if (e->rxq[q].pollfd >= 0)
				close(e->rxq[q].pollfd);
			free(e->rxq[q].done);
			free(e->rxq[q].bounce);
		}
		free(e->rxq);
	}
	if (e->txq) {
		for (unsigned q = 0; q < e->ntx; q++) {
			free(e->txq[q].slot_buf);
			free(e->txq[q].w);
		}
		free(e->txq);
	}
	free(e->tx_scratch);
	free(e->pool_free);
	free(e->pool_tag);
	pl_memif_conn_free(&e->conn);
	if (ep->ops)
		pl_ep_fini(ep);
	free(e);
}

static const struct pl_ep_ops memif_ops = {
	.family = "memif",
	/* memif counts everything itself: packets and bytes add up in the
	 * loops that touch each frame anyway, where core would loop again */
	.core_counts = false,
	.rx_burst = pl_memif_rx_burst,
	.rx_release = pl_memif_rx_release,
	.tx_burst = pl_memif_tx_burst,
	.tx_alloc = pl_memif_tx_alloc,
	.tx_free = pl_memif_tx_free,
	.queue_fd = memif_queue_fd,
	.rx_wait = pl_memif_rx_wait,
	.destroy = memif_destroy,
};

static void *zalloc(size_t n)
{
	return pl_fault() ? NULL : calloc(1, n ? n : 1);
}

/* Copy the caller's options (any older, shorter struct) and apply defaults. */
static int opts_load(const struct pktlink_memif_opts *in, struct pktlink_memif_opts *o, char *err,
		     size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (!in)
		return pl_err(err, errlen, -EINVAL, "memif: opts is NULL");
	int r = PL_OPTS_LOAD(pktlink_memif_opts, o, in,
			     pl_offsetofend(struct pktlink_memif_opts, role), err, errlen);
	if (r)
		return r;
	if (o->role != PKTLINK_MEMIF_CLIENT && o->role != PKTLINK_MEMIF_SERVER)
		return pl_err(err, errlen, -EINVAL, "memif: role must be client or server");
	if (o->mode != PKTLINK_MEMIF_ETHERNET && o->mode != PKTLINK_MEMIF_IP)
		return pl_err(err, errlen, -EINVAL, "memif: mode must be ethernet or ip");
	if (!o->socket)
		o->socket = PKTLINK_MEMIF_DEFAULT_SOCKET;
	if (!o->name)
		o->name = "pktlink";
	if (strlen(o->name) > MEMIF_NAME_SZ)
		return pl_err(err, errlen, -EINVAL, "memif: name '%s' is longer than %d bytes",
			      o->name, MEMIF_NAME_SZ);
	if (o->secret && strlen(o->secret) > MEMIF_SECRET_SZ)
		return pl_err(err, errlen, -EINVAL, "memif: the secret is longer than %d bytes",
			      MEMIF_SECRET_SZ);
	if (!o->num_queues)
		o->num_queues = 1;
	if (o->num_queues > PL_MAX_QUEUES)
		return pl_err(err, errlen, -EINVAL, "memif: queues=%u: at most %d", o->num_queues,
			      PL_MAX_QUEUES);
	if (!o->ring_size)
		o->ring_size = PKTLINK_MEMIF_DEFAULT_RING_SIZE;
	if (o->ring_size < 2 || o->ring_size > (1u << MEMIF_MAX_LOG2_RING) ||
	    (o->ring_size & (o->ring_size - 1)))
		return pl_err(err, errlen, -EINVAL,
			      "memif: ring_size=%u: a power of two from 2 to %u", o->ring_size,
			      1u << MEMIF_MAX_LOG2_RING);
	if (!o->buffer_size)
		o->buffer_size = PKTLINK_MEMIF_DEFAULT_BUFFER_SIZE;
	if (o->buffer_size < 64 || o->buffer_size > 65535)
		return pl_err(err, errlen, -EINVAL, "memif: buffer_size=%u: 64 to 65535 bytes",
			      o->buffer_size);
	if (!o->mtu)
		o->mtu = 1500;
	if (o->mtu < 68 || o->mtu > 65535 - ETH_HDR)
		return pl_err(err, errlen, -EINVAL, "memif: mtu=%u: 68 to %u", o->mtu,
			      65535 - ETH_HDR);
	if (!o->timeout_ms)
		o->timeout_ms = 30000;
	return 0;
}

static int setup_queues(struct pl_memif_ep *e, const struct pktlink_memif_opts *o, char *err,
			size_t errlen)
{
	struct pl_memif_conn *c = &e->conn;
	bool client = e->role == PKTLINK_MEMIF_CLIENT;
	unsigned rxd = client ? 1 : 0, txd = client ? 0 : 1;
	e->rxq = pl_fault() ? NULL : aligned_alloc(PL_CACHELINE, sizeof(*e->rxq) * e->nq);
	if (!e->rxq)
		return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
	memset(e->rxq, 0, sizeof(*e->rxq) * e->nq);
	for (unsigned q = 0; q < e->nq; q++)
		e->rxq[q].pollfd = -1;
	e->ntx = c->nrings[txd];
	e->txq = pl_fault() ? NULL : aligned_alloc(PL_CACHELINE, sizeof(*e->txq) * e->ntx);
	if (e->txq) /* before anything can fail: destroy frees its arrays */
		memset(e->txq, 0, sizeof(*e->txq) * e->ntx);
	e->tx_scratch = zalloc(e->max_frame);
	if (!e->txq || !e->tx_scratch)
		return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
	uint8_t *r0 = c->regions[0].base;
	for (unsigned q = 0; q < e->nq; q++) {
		struct pl_memif_rxq *r = &e->rxq[q];
		const struct pl_memif_ring_cfg *rc = &c->rings[rxd][q];
		r->v.ring = pl_memif_ring_ptr(c, rc, err, errlen);
		if (!r->v.ring)
			return -EPROTO;
		r->size = (uint16_t)(1u << rc->log2);
		r->v.mask = (uint16_t)(r->size - 1);
		r->post_batch = r->size >= 4 ? (uint16_t)(r->size / 4) : 1;
		r->v.regions = c->regions;
		r->v.nregions = c->nregions;
		r->v.max_frame = e->max_frame;
		if (client) {
			/* Our own buffers: descriptor offsets are never read back. */
			unsigned k = c->nrings[0] + q;
			r->v.own_size = c->buffer_size;
			r->v.own_stride = c->buf_stride;
			r->v.own_base = r0 + c->buf_offset + (uint64_t)k * r->size * c->buf_stride;
		}
		r->efd = rc->efd;
		r->done = zalloc(r->size);
		r->bounce = zalloc((size_t)PL_MEMIF_NBOUNCE * e->max_frame);
		if (!r->done || !r->bounce)
			return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
		for (unsigned b = 0; b < PL_MEMIF_NBOUNCE; b++)
			r->bounce_free[r->nbounce++] = PL_MEMIF_NBOUNCE - 1 - b;
		r->pollfd = pl_fault() ? -1 : epoll_create1(EPOLL_CLOEXEC);
		if (r->pollfd < 0)
			return pl_err(err, errlen, -ENOMEM, "memif: epoll_create1: %s", strerror(errno));
		struct epoll_event ev = { .events = EPOLLIN };
		if (epoll_ctl(r->pollfd, EPOLL_CTL_ADD, r->efd, &ev) < 0 ||
		    epoll_ctl(r->pollfd, EPOLL_CTL_ADD, c->sock, &ev) < 0)
			return pl_err(err, errlen, -errno, "memif: epoll_ctl: %s", strerror(errno));
		/* Interrupts on (a poller of pktlink_fd() must be woken) unless busy polling. */
		__atomic_store_n(memif_u16(r->v.ring, MEMIF_RING_FLAGS),
				 (uint16_t)(o->busy_poll ? MEMIF_RING_FLAG_MASK_INT : 0),
				 __ATOMIC_SEQ_CST);
		r->armed = !o->busy_poll;
		if (client) /* post every buffer */
			__atomic_store_n(memif_u16(r->v.ring, MEMIF_RING_HEAD), r->size,
					 __ATOMIC_RELEASE);
	}
	for (unsigned q = 0; q < e->ntx; q++) {
		struct pl_memif_txq *t = &e->txq[q];
		const struct pl_memif_ring_cfg *rc = &c->rings[txd][q];
		t->ring = pl_memif_ring_ptr(c, rc, err, errlen);
		if (!t->ring)
			return -EPROTO;
		t->size = (uint16_t)(1u << rc->log2);
		t->mask = (uint16_t)(t->size - 1);
		t->efd = rc->efd;
		if (client) {
			t->own_size = c->buffer_size;
			t->own_stride = c->buf_stride;
			t->own_off = (uint32_t)(c->buf_offset + (uint64_t)q * t->size * c->buf_stride);
			t->own_base = r0 + t->own_off;
			t->slot_buf = pl_fault() ? NULL : malloc(t->size * sizeof(uint32_t));
			if (!t->slot_buf)
				return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
			for (unsigned s = 0; s < t->size; s++)
				t->slot_buf[s] = PL_MEMIF_NOBUF;
		} else {
			t->w = zalloc(t->size * sizeof(*t->w));
			if (!t->w)
				return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
		}
	}
	if (client) {
		e->pool_base = r0 + c->pool_offset;
		e->pool_free = zalloc(c->npool * sizeof(uint32_t));
		e->pool_tag = zalloc(c->npool * sizeof(uint32_t));
		if (!e->pool_free || !e->pool_tag)
			return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
		for (uint32_t b = 0; b < c->npool; b++)
			e->pool_free[e->npool_free++] = b;
	}
	return 0;
}

int pktlink_memif_open(const struct pktlink_memif_opts *opts, struct pktlink_ep **epp, char *err,
		       size_t errlen)
{
	struct pktlink_memif_opts o;
	int r = opts_load(opts, &o, err, errlen);
	if (r < 0)
		return r;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "memif: epp is NULL");
	*epp = NULL;
	struct pl_memif_ep *e = pl_fault() ? NULL : aligned_alloc(PL_CACHELINE, sizeof(*e));
	if (!e)
		return pl_err(err, errlen, -ENOMEM, "memif: out of memory");
	memset(e, 0, sizeof(*e));
	pl_memif_conn_init(&e->conn);
	e->role = o.role;
	e->busy_poll = o.busy_poll;
	bool eth = o.mode == PKTLINK_MEMIF_ETHERNET;
	e->max_frame = o.mtu + (eth ? ETH_HDR : 0);
	/* memif carries bytes only: pktlink completes checksums and cuts
	 * super-packets (into tx_scratch, max_frame bytes). */
	e->tc = (struct pl_tx_caps){ .min_len = eth ? ETH_HDR : 1,
				     .frame_max = e->max_frame,
				     .super_max = PL_MEMIF_GSO_MAX + (eth ? ETH_HDR : 0) + 4,
				     .link_len = eth ? ETH_HDR : 0 };
	if (o.role == PKTLINK_MEMIF_CLIENT)
		r = pl_memif_client_connect(&o, &e->conn, err, errlen);
	else
		r = pl_memif_server_accept(&o, &e->conn, err, errlen);
	if (r < 0)
		goto fail;
	e->nq = e->conn.nrings[o.role == PKTLINK_MEMIF_CLIENT ? 1 : 0];
	r = pl_ep_init(&e->ep, &memif_ops, e->nq);
	if (r < 0) {
		pl_err(err, errlen, r, "memif: out of memory");
		goto fail;
	}
	struct pktlink_info *in = &e->ep.info;
	in->mtu = o.mtu;
	in->max_header_len = eth ? ETH_HDR : 0;
	in->caps = PKTLINK_CAP_TX_CSUM_OFFLOAD | PKTLINK_CAP_TX_ALLOC |
		   (eth ? PKTLINK_CAP_ETHERNET | PKTLINK_CAP_RESOLUTION_REQUIRED : 0);
	in->arp_hwtype = eth ? 1 : 0xfffe;
	in->gso_kind = PKTLINK_GSO_KIND_SOFTWARE;
	in->gso_max_size = PL_MEMIF_GSO_MAX;
	if (eth) {
		if (o.has_link_addr) {
			memcpy(in->link_addr, o.link_addr, 6);
		} else {
			if (getrandom(in->link_addr, 6, 0) != 6)
				memset(in->link_addr, 0x5a, 6);
			in->link_addr[0] = (uint8_t)((in->link_addr[0] & 0xfe) | 0x02);
		}
		in->has_link_addr = 1;
	}
	if ((r = setup_queues(e, &o, err, errlen)) < 0)
		goto fail;
	if ((r = pl_ep_init_pollfd(&e->ep)) < 0) {
		pl_err(err, errlen, r, "%s", pktlink_last_error(&e->ep));
		goto fail;
	}
	*epp = &e->ep;
	return 0;
fail:
	if (e->conn.sock >= 0 && r != -ECONNREFUSED)
		pl_memif_send_disconnect(e->conn.sock, "setup failed");
	e->bye_sent = true;
	memif_destroy(&e->ep);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Spec                                                                      */

static const char memif_spec_help[] =
	"memif:SOCKET?role=client|server&id=0&secret=S&name=N&mode=ethernet|ip&queues=1\n"
	"    &ring_size=1024&buffer_size=2048&mtu=1500&addr=MAC&busy_poll=0&timeout_ms=30000\n"
	"    &abstract=0&allow_unsealed=0\n"
	"  A memif interface (protocol 2.0: DPDK net_memif, VPP, libmemif). SOCKET is the\n"
	"  control socket's path, or @NAME for an abstract socket. The client owns the\n"
	"  shared memory and connects; the server listens for one client with the same\n"
	"  id (and secret). Frames longer than buffer_size use chained buffers.\n"
	"  allow_unsealed=1 (server): map regions not sealed against shrinking (a DPDK\n"
	"  zero-copy client), trusting the client not to shrink them.\n";

static int memif_open_spec(struct pl_spec *s, struct pktlink_ep **epp)
{
	static const char *const roles[] = { "client", "server", NULL };
	static const char *const modes[] = { "ethernet", "ip", NULL };
	struct pktlink_memif_opts o = { .sz = sizeof(o) };
	unsigned role = 0, mode = 0;
	uint32_t v;
	const char *str;
	int r;
	if ((r = pl_spec_enum(s, "role", roles, &role)) < 0 ||
	    (r = pl_spec_enum(s, "mode", modes, &mode)) < 0)
		return r;
	o.role = role ? PKTLINK_MEMIF_SERVER : PKTLINK_MEMIF_CLIENT;
	o.mode = mode ? PKTLINK_MEMIF_IP : PKTLINK_MEMIF_ETHERNET;
	if ((r = pl_spec_u32(s, "id", 0, UINT32_MAX, &o.id)) < 0 ||
	    (r = pl_spec_u32(s, "ring_size", 2, 1u << MEMIF_MAX_LOG2_RING, &o.ring_size)) < 0 ||
	    (r = pl_spec_u32(s, "buffer_size", 64, 65535, &o.buffer_size)) < 0 ||
	    (r = pl_spec_u32(s, "mtu", 68, 65535 - ETH_HDR, &o.mtu)) < 0)
		return r;
	if ((r = pl_spec_u32(s, "queues", 1, PL_MAX_QUEUES, &v)) < 0)
		return r;
	if (r)
		o.num_queues = (uint16_t)v;
	if ((r = pl_spec_u32(s, "timeout_ms", 1, 3600000, &v)) < 0)
		return r;
	if (r)
		o.timeout_ms = (int)v;
	if ((r = pl_spec_bool(s, "busy_poll", &o.busy_poll)) < 0 ||
	    (r = pl_spec_bool(s, "abstract", &o.abstract)) < 0 ||
	    (r = pl_spec_bool(s, "allow_unsealed", &o.allow_unsealed)) < 0)
		return r;
	if ((r = pl_spec_str(s, "secret", &str)) < 0)
		return r;
	if (r)
		o.secret = str;
	if ((r = pl_spec_str(s, "name", &str)) < 0)
		return r;
	if (r)
		o.name = str;
	if ((r = pl_spec_mac(s, "addr", o.link_addr)) < 0)
		return r;
	o.has_link_addr = r;
	r = pl_spec_finish(s, "role, id, secret, name, mode, queues, ring_size, buffer_size, mtu, "
			      "addr, busy_poll, timeout_ms, abstract, allow_unsealed");
	if (r)
		return r;
	if (!s->target || !s->target[0])
		return pl_err(s->err, s->errlen, -EINVAL,
			      "memif: give the control socket after 'memif:', e.g. "
			      "memif:/run/vpp/memif.sock?role=client or memif:@name?role=server");
	o.socket = s->target;
	return pktlink_memif_open(&o, epp, s->err, s->errlen);
}

/* The memif family's spec prefix (core/registry.h). */
const struct pl_family_entry pl_family_memif[] = {
	{ "memif", memif_open_spec, memif_spec_help },
	{ NULL, NULL, NULL },
};
