/* SPDX-License-Identifier: MIT */
/*
 * capture_filter.h — a tcpdump filter expression, compiled by libpcap's
 * pcap_compile() into classic BPF: attached to AF_PACKET sockets so the
 * kernel filters, and run in user space on every other source (and on the
 * frames a socket queued before the program was attached).
 */
#ifndef PKTLINK_TOOLS_CAPTURE_FILTER_H
#define PKTLINK_TOOLS_CAPTURE_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capfilter {
	void *prog; /* struct bpf_program (libpcap), NULL: no filter */
};

/**
 * capfilter_compile() - compile @expr for frames of DLT @linktype.
 * Return: 0, -ENOTSUP without libpcap, or -EINVAL with libpcap's message in @err.
 */
int capfilter_compile(struct capfilter *f, const char *expr, uint32_t linktype, char *err,
		      size_t errlen);

/** capfilter_insns() - the program as struct sock_filter; *count set. NULL: no filter. */
const struct sock_filter *capfilter_insns(const struct capfilter *f, unsigned *count);

/** capfilter_match() - whether the frame passes (true without a filter). */
bool capfilter_match(const struct capfilter *f, const uint8_t *data, uint32_t caplen,
		     uint32_t len);

/** capfilter_free() - release the program. Safe on a zeroed struct. */
void capfilter_free(struct capfilter *f);

#endif
