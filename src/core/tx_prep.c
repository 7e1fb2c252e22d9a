/* SPDX-License-Identifier: MIT */
/*
 * tx_prep.c — the out-of-line half of the transmit preparation step
 * (tx_prep.h): frames that carry an offload request.
 */
#include "core/tx_prep.h"

#include <errno.h>
#include <string.h>

int pl_tx_classify_offload(const struct pl_tx_caps *tc, const struct pktlink_pkt *p)
{
	uint32_t len = p->len;
	if (!p->data || len < tc->min_len || len == 0)
		return PL_TX_INVALID;
	if (p->gso_type != PKTLINK_GSO_NONE) {
		if (!tc->super_max || p->gso_size == 0 || len > tc->super_max)
			return PL_TX_INVALID;
		if (tc->gso_pass)
			return PL_TX_PASS;
		/* Segments carry full checksums whatever the super-packet's
		 * checksum field holds (pl_gso_next computes them). */
		return PL_TX_GSO;
	}
	if (len > pl_tx_len_max(tc, p->data, len) ||
	    (uint64_t)p->csum_start + p->csum_offset + 2 > (uint64_t)len)
		return PL_TX_INVALID;
	return tc->csum_pass ? PL_TX_PASS : PL_TX_CSUM;
}

int pl_tx_iter_init(struct pl_tx_iter *it, const struct pl_tx_caps *tc,
		    const struct pktlink_pkt *p, int how)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	it->how = how;
	it->seg_max = pl_tx_len_max(tc, p->data, p->len);
	if (how == PL_TX_GSO) {
		if (pl_gso_init(&it->g, p, tc->link_len, false) != 0)
			return -EINVAL;
		/* Every segment but the last has the same (largest) size:
		 * check it once here, so a frame is refused whole instead of
		 * after some of its segments went out. */
		uint32_t payload = it->g.end - it->g.hdrs_len;
		uint64_t first = (uint64_t)it->g.hdrs_len + (payload < it->g.mss ? payload : it->g.mss);
		if (first > it->seg_max)
			return -EINVAL;
		it->count = pl_gso_count(&it->g);
		return (int)it->count;
	}
	if (how < PL_TX_PLAIN || how > PL_TX_CSUM)
		return -EINVAL;
	it->count = 1;
	return 1;
}

uint32_t pl_tx_iter_next_len(const struct pl_tx_iter *it)
{
	if (it->done >= it->count)
		return 0;
	if (it->how != PL_TX_GSO)
		return it->p->len;
	uint32_t payload = it->g.end - it->g.hdrs_len;
	uint32_t seg = payload - it->g.off;
	if (seg > it->g.mss)
		seg = it->g.mss;
	return it->g.hdrs_len + seg;
}

int pl_tx_iter_next(struct pl_tx_iter *it, uint8_t *out, uint32_t cap)
{
	if (it->done >= it->count)
		return 0;
	if (it->how == PL_TX_GSO) {
		int r = pl_gso_next(&it->g, out, cap);
		if (r > 0)
			it->done++;
		return r;
	}
	const struct pktlink_pkt *p = it->p;
	if (p->len > cap)
		return -ENOSPC;
	memcpy(out, p->data, p->len);
	if (it->how == PL_TX_CSUM &&
	    pl_csum_complete(out, p->len, p->csum_start, p->csum_offset) != 0)
		return -EINVAL;
	it->done++;
	return (int)p->len;
}

int pl_tx_csum_in_place(struct pktlink_pkt *p)
{
	if (pl_csum_complete(p->data, p->len, p->csum_start, p->csum_offset) != 0)
		return -EINVAL;
	p->flags &= (uint16_t)~PKTLINK_PKT_CSUM_PARTIAL;
	p->csum_start = p->csum_offset = 0;
	return 0;
}
