/* SPDX-License-Identifier: MIT */
/*
 * pool_fix.c — lets the benchmark's reference, lwIP's own unix-port TAP
 * driver (tapif), run on Debian's liblwip 2.1.3 at all.
 *
 * That build allocates PBUF_POOL pbufs of memp_pools[MEMP_PBUF_POOL]->size
 * (616 bytes) while pbuf_alloc() fills each with up to PBUF_POOL_BUFSIZE
 * (1536) bytes: tapif's receive path (pbuf_alloc(PBUF_POOL) + pbuf_take of
 * every frame) overflows the heap for any frame over about 590 bytes
 * (valgrind: "Invalid write ... 0 bytes after a block of size 616"), and
 * the process aborts in malloc within a few hundred TCP segments.
 *
 * liblwip's memp allocator calls mem_malloc() through the PLT and
 * mem_malloc() is plain malloc() in this build (MEM_LIBC_MALLOC), so this
 * program's own mem_malloc() is used instead: when enabled it gives
 * PBUF_POOL-sized requests the room pbuf_alloc() will write. The adapter
 * itself never uses PBUF_POOL and does not need this.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "lwip/mem.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/priv/memp_priv.h"

#include "pool_fix.h"

static bool fix_on;

void pool_fix_enable(void)
{
	fix_on = true;
}

void *mem_malloc(mem_size_t size)
{
	if (fix_on && size == LWIP_MEM_ALIGN_SIZE(memp_pools[MEMP_PBUF_POOL]->size))
		size = LWIP_MEM_ALIGN_SIZE(sizeof(struct pbuf)) + LWIP_MEM_ALIGN_SIZE(PBUF_POOL_BUFSIZE) +
		       MEM_ALIGNMENT;
	return malloc(size);
}
