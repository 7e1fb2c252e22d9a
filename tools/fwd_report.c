/* SPDX-License-Identifier: MIT */
/*
 * fwd_report.c — the loss accounting of `pktlink fwd` and its text and JSON
 * forms. Every frame that reached the receiving side is either forwarded or
 * counted under one reason, so the printed numbers add up.
 */
#include "fwd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int fwd_dev_read(const char *name, struct fwd_dev *d)
{
	/* /proc/net/dev is the calling process's namespace: the one fwd opened
	 * its endpoints in. Columns after "name:": rx bytes packets errs drop
	 * fifo frame compressed multicast, then tx bytes packets errs drop ... */
	FILE *f = fopen("/proc/net/dev", "re");
	if (!f)
		return -errno;
	char line[512];
	int r = -ENOENT;
	size_t nl = strlen(name);
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		while (*p == ' ')
			p++;
		if (strncmp(p, name, nl) || p[nl] != ':')
			continue;
		unsigned long long v[16];
		if (sscanf(p + nl + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
			   &v[10], &v[11]) == 12) {
			d->rx_dropped = v[3];
			d->tx_dropped = v[11];
			r = 0;
		}
		break;
	}
	fclose(f);
	return r;
}

void fwd_counts_make(struct fwd_counts *c, const struct fwd_dir *d,
		     const struct pktlink_stats *rxs, const struct pktlink_stats *txs,
		     uint64_t dev_rx_dropped, uint64_t dev_tx_dropped)
{
	memset(c, 0, sizeof(*c));
	c->rx_kernel = rxs->rx_drop_kernel;
	c->rx_nobuf = rxs->rx_drop_nobuf;
	c->rx_filter = rxs->rx_drop_filter;
	c->rx_invalid = rxs->rx_drop_invalid;
	c->tx_full = d->tx_full;
	/* Taken but refused: the sending endpoint counted them. It may count a
	 * segmented super-packet more than once, so never more than taken. */
	uint64_t refused = txs->tx_drop_invalid + txs->tx_errors;
	if (refused > d->fwd)
		refused = d->fwd;
	c->tx_invalid = txs->tx_drop_invalid < refused ? txs->tx_drop_invalid : refused;
	c->tx_errors = refused - c->tx_invalid;
	c->tx_invalid += d->invalid;
	c->forwarded = d->fwd - refused;
	/* The device's counter also holds frames the kernel sent itself: never
	 * more than what is left. */
	c->dev_tx_dropped = dev_tx_dropped < c->forwarded ? dev_tx_dropped : c->forwarded;
	c->forwarded -= c->dev_tx_dropped;
	c->dev_rx_dropped = dev_rx_dropped;
	c->bytes = d->bytes;
	c->lost = c->dev_rx_dropped + c->rx_kernel + c->rx_nobuf + c->rx_filter + c->rx_invalid +
		  c->tx_full + c->tx_invalid + c->tx_errors + c->dev_tx_dropped;
	c->offered = c->forwarded + c->lost;
}

void fwd_counts_text(FILE *f, const char *label, const struct fwd_counts *c)
{
	fprintf(f, "%s %" PRIu64 " in, %" PRIu64 " forwarded (%" PRIu64 " bytes), %" PRIu64 " lost",
		label, c->offered, c->forwarded, c->bytes, c->lost);
	static const char *const names[] = {
		"receive device dropped (its rx_dropped)",
		"receive side: kernel dropped (socket/ring full)", "receive side: no buffer",
		"receive side: not for this MAC (promisc=0)", "receive side: malformed",
		"send side: full after retries", "send side: refused as invalid",
		"send side: kernel/peer error",
		"send device dropped (its tx_dropped)",
	};
	const uint64_t v[] = { c->dev_rx_dropped, c->rx_kernel,	 c->rx_nobuf,
			       c->rx_filter,	  c->rx_invalid, c->tx_full,
			       c->tx_invalid,	  c->tx_errors,	 c->dev_tx_dropped };
	const char *sep = ": ";
	for (unsigned i = 0; i < sizeof(v) / sizeof(*v); i++) {
		if (!v[i])
			continue;
		fprintf(f, "%s%" PRIu64 " %s", sep, v[i], names[i]);
		sep = ", ";
	}
}

void fwd_counts_json(FILE *f, const struct fwd_counts *c)
{
	fprintf(f,
		"{\"in\":%" PRIu64 ",\"forwarded\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"lost\":%" PRIu64 ",\"lost_by_reason\":{\"rx_device\":%" PRIu64
		",\"rx_kernel\":%" PRIu64
		",\"rx_nobuf\":%" PRIu64 ",\"rx_filter\":%" PRIu64 ",\"rx_invalid\":%" PRIu64
		",\"tx_full\":%" PRIu64 ",\"tx_invalid\":%" PRIu64 ",\"tx_errors\":%" PRIu64
		",\"tx_device\":%" PRIu64 "}}",
		c->offered, c->forwarded, c->bytes, c->lost, c->dev_rx_dropped, c->rx_kernel, c->rx_nobuf, c->rx_filter,
		c->rx_invalid, c->tx_full, c->tx_invalid, c->tx_errors, c->dev_tx_dropped);
}

void fwd_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}
