/* SPDX-License-Identifier: MIT */
/*
 * pcapw.h — a pcap file writer in the nanosecond-resolution format (magic
 * 0xa1b23c4d), which tcpdump, Wireshark and libpcap 1.5+ read. Pure stdio,
 * so the unit tests can check the bytes.
 */
#ifndef PKTLINK_TOOLS_PCAPW_H
#define PKTLINK_TOOLS_PCAPW_H

#include <stdint.h>
#include <stdio.h>

#define PCAPW_MAGIC_NS 0xa1b23c4du
#define PCAPW_LINKTYPE_ETHERNET 1u
#define PCAPW_LINKTYPE_RAW 101u /* IP packets without a link header (TUN) */

struct pcapw {
	FILE *f;
	uint32_t snaplen;
	int own; /* close f on pcapw_close() (not for stdout) */
	uint64_t packets, bytes;
};

/**
 * pcapw_open() - create @path ("-" = stdout) and write the file header.
 * Return: 0, or a negative errno.
 */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype, uint32_t snaplen);

/**
 * pcapw_write() - append one record: @len bytes of which at most snaplen
 * are stored, stamped @ts_ns (ns since the epoch).
 * Return: 0, or a negative errno (disk full, closed pipe).
 */
int pcapw_write(struct pcapw *w, uint64_t ts_ns, const void *data, uint32_t len);

/** pcapw_close() - flush and close. Return: 0 or a negative errno from the flush. */
int pcapw_close(struct pcapw *w);

#endif
