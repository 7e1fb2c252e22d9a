/* SPDX-License-Identifier: MIT */
/*
 * region.c — memif shared memory: the client's region (rings, then buffers,
 * in one sealed memfd) and eventfds; the server's mapping of the regions a
 * client sent, checked against their real size before use.
 */
#include "memif_int.h"

#include "core/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING_ALIGN 64u
#define PAGE 4096u

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static unsigned log2u(uint32_t v)
{
	unsigned l = 0;
	while ((1u << l) < v)
		l++;
	return l;
}

int pl_memif_client_regions(const struct pktlink_memif_opts *o, unsigned nq,
			    struct pl_memif_conn *c, char *err, size_t errlen)
{
	unsigned log2 = log2u(o->ring_size);
	uint64_t ring_bytes = align_up(memif_ring_bytes(log2), RING_ALIGN);
	uint64_t nrings = 2ull * nq;
	uint64_t buf_off = align_up(ring_bytes * nrings, PAGE);
	uint64_t stride = align_up(o->buffer_size, RING_ALIGN);
	if ((stride / RING_ALIGN) % 2 == 0)
		stride += RING_ALIGN;
	/* The lend pool (tx_alloc): a ring's worth of whole-frame buffers per
	 * C2S ring. Pages nobody touches cost nothing. An odd number of cache
	 * lines apart, as the ring buffers: at 1536 bytes (24 lines) the first
	 * lines of the buffers, the ones a small frame is written into, fell
	 * in an eighth of the L1 sets. */
	uint64_t pool_off = align_up(buf_off + nrings * o->ring_size * stride, RING_ALIGN);
	uint64_t pool_bsize =
		align_up(o->mtu + (o->mode == PKTLINK_MEMIF_ETHERNET ? 14u : 0u), RING_ALIGN);
	if ((pool_bsize / RING_ALIGN) % 2 == 0)
		pool_bsize += RING_ALIGN;
	uint64_t npool = (uint64_t)nq * o->ring_size;
	uint64_t size = pool_off + npool * pool_bsize;
	if (size > UINT32_MAX)
		return pl_err(err, errlen, -EINVAL,
			      "memif: %u queue pairs of %u buffers of %u bytes (and as many of "
			      "%llu bytes to lend) need %llu bytes, more than the protocol's 32-bit "
			      "offsets reach: lower queues, ring_size, buffer_size or mtu",
			      nq, o->ring_size, o->buffer_size, (unsigned long long)pool_bsize,
			      (unsigned long long)size);
	struct pl_memif_region *r = &c->regions[0];
	r->fd = pl_fault() ? -1 : memfd_create("pktlink-memif", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0)
		return pl_err(err, errlen, -ENOMEM, "memif: memfd_create: %s", strerror(errno));
	c->nregions = 1;
	if (pl_fault() || ftruncate(r->fd, (off_t)size) < 0)
		return pl_err(err, errlen, -ENOMEM, "memif: cannot size the region to %llu bytes: %s",
			      (unsigned long long)size, strerror(errno));
	/* The server maps this: it must not be able to fault on a shrunk file. */
	if (fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return pl_err(err, errlen, -errno, "memif: cannot seal the region: %s",
			      strerror(errno));
	void *p = pl_fault() ? MAP_FAILED
			     : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED)
		return pl_err(err, errlen, -ENOMEM, "memif: mmap of %llu bytes: %s",
			      (unsigned long long)size, strerror(errno));
	r->base = p;
	r->size = size;
	c->buffer_size = o->buffer_size;
	c->buf_stride = (uint32_t)stride;
	c->buf_offset = buf_off;
	c->pool_offset = pool_off;
	c->pool_bsize = (uint32_t)pool_bsize;
	c->npool = (uint32_t)npool;
	uint32_t rsize = 1u << log2;
	for (unsigned d = 0; d < 2; d++) {
		c->nrings[d] = nq;
		for (unsigned q = 0; q < nq; q++) {
			struct pl_memif_ring_cfg *rc = &c->rings[d][q];
			unsigned k = d * nq + q;
			rc->region = 0;
			rc->offset = (uint32_t)(k * ring_bytes);
			rc->log2 = (uint8_t)log2;
			rc->efd = pl_fault() ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (rc->efd < 0)
				return pl_err(err, errlen, -ENOMEM, "memif: eventfd: %s",
					      strerror(errno));
			uint8_t *ring = r->base + rc->offset;
			*(uint32_t *)(void *)(ring + MEMIF_RING_COOKIE) = MEMIF_COOKIE;
			for (uint32_t s = 0; s < rsize; s++) {
				struct memif_desc *dd = memif_desc_at(ring, (uint16_t)s);
				dd->flags = 0;
				dd->region = 0;
				dd->length = o->buffer_size;
				dd->offset = (uint32_t)(buf_off + ((uint64_t)k * rsize + s) * stride);
			}
		}
	}
	return 0;
}

int pl_memif_map_regions(struct pl_memif_conn *c, bool allow_unsealed, char *err, size_t errlen)
{
	for (unsigned i = 0; i < c->nregions; i++) {
		struct pl_memif_region *r = &c->regions[i];
		struct stat st;
		if (fstat(r->fd, &st) < 0)
			return pl_err(err, errlen, -errno, "memif: region %u: fstat: %s", i,
				      strerror(errno));
		if ((uint64_t)st.st_size < r->size)
			return pl_err(err, errlen, -EPROTO,
				      "memif: region %u: the peer announced %llu bytes but the file "
				      "has %llu",
				      i, (unsigned long long)r->size, (unsigned long long)st.st_size);
		int seals = fcntl(r->fd, F_GET_SEALS);
		if (!allow_unsealed && (seals < 0 || !(seals & F_SEAL_SHRINK)))
			return pl_err(err, errlen, -EPROTO,
				      "memif: region %u is not a memfd sealed against shrinking, so "
				      "the peer could make our accesses fault: refused (a DPDK "
				      "zero-copy client's memory is such a region: allow_unsealed=1 "
				      "trusts the client not to shrink it)",
				      i);
		void *p = pl_fault() ? MAP_FAILED
				     : mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (p == MAP_FAILED)
			return pl_err(err, errlen, -ENOMEM, "memif: region %u: mmap of %llu bytes: %s",
				      i, (unsigned long long)r->size, strerror(errno));
		r->base = p;
	}
	return 0;
}

uint8_t *pl_memif_ring_ptr(const struct pl_memif_conn *c, const struct pl_memif_ring_cfg *rc,
			   char *err, size_t errlen)
{
	if (rc->region >= c->nregions || !c->regions[rc->region].base) {
		pl_err(err, errlen, -EPROTO, "memif: a ring names region %u, which was not added",
		       rc->region);
		return NULL;
	}
	const struct pl_memif_region *r = &c->regions[rc->region];
	if ((uint64_t)rc->offset + memif_ring_bytes(rc->log2) > r->size || rc->offset % 8) {
		pl_err(err, errlen, -EPROTO,
		       "memif: a ring at offset %u (2^%u descriptors) does not fit region %u "
		       "(%llu bytes) or is misaligned",
		       rc->offset, rc->log2, rc->region, (unsigned long long)r->size);
		return NULL;
	}
	uint8_t *ring = r->base + rc->offset;
	uint32_t cookie = __atomic_load_n((uint32_t *)(void *)(ring + MEMIF_RING_COOKIE),
					  __ATOMIC_RELAXED);
	if (cookie != MEMIF_COOKIE) {
		pl_err(err, errlen, -EPROTO, "memif: ring cookie 0x%x is not 0x%x", cookie,
		       MEMIF_COOKIE);
		return NULL;
	}
	return ring;
}

void pl_memif_conn_init(struct pl_memif_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->sock = -1;
	for (unsigned i = 0; i < PL_MEMIF_MAX_REGIONS; i++)
		c->regions[i].fd = -1;
	for (unsigned d = 0; d < 2; d++)
		for (unsigned q = 0; q < PL_MAX_QUEUES; q++)
			c->rings[d][q].efd = -1;
}

void pl_memif_conn_free(struct pl_memif_conn *c)
{
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	for (unsigned i = 0; i < PL_MEMIF_MAX_REGIONS; i++) {
		struct pl_memif_region *r = &c->regions[i];
		if (r->base)
			munmap(r->base, r->size);
		r->base = NULL;
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
	}
	for (unsigned d = 0; d < 2; d++)
		for (unsigned q = 0; q < PL_MAX_QUEUES; q++) {
			if (c->rings[d][q].efd >= 0)
				close(c->rings[d][q].efd);
			c->rings[d][q].efd = -1;
		}
	c->nregions = 0;
}
