/* SPDX-License-Identifier: MIT */
/*
 * rx_policy.c — the out-of-line half of the receive policy (rx_policy.h):
 * frames that carry an offload request.
 */
#include "core/rx_policy.h"

int pl_rx_offload(const struct pl_rx_policy *rp, struct pktlink_pkt *p)
{
	if (p->gso_type != PKTLINK_GSO_NONE && !rp->gso)
		return PL_RX_INVALID; /* a super-packet the stack said it cannot take */
	if ((p->flags & PKTLINK_PKT_CSUM_PARTIAL) && !rp->rx_csum) {
		/* the stack did not ask for partial checksums: finish it here,
		 * in the endpoint's own buffer */
		if (p->gso_type != PKTLINK_GSO_NONE ||
		    pl_csum_complete(p->data, p->len, p->csum_start, p->csum_offset) != 0)
			return PL_RX_INVALID;
		p->flags &= (uint16_t)~PKTLINK_PKT_CSUM_PARTIAL;
		p->csum_start = p->csum_offset = 0;
	}
	return PL_RX_KEEP;
}
