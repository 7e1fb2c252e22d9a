/* SPDX-License-Identifier: MIT */
/* pool_fix.h — see pool_fix.c: a workaround for Debian liblwip's PBUF_POOL size. */
#ifndef PKTLINK_LWIP_POOL_FIX_H
#define PKTLINK_LWIP_POOL_FIX_H

/** pool_fix_enable() - from now on, PBUF_POOL allocations get the room pbuf_alloc() writes. */
void pool_fix_enable(void);

#endif
