/* SPDX-License-Identifier: MIT */
/*
 * pcapw.h — the capture file writer of `pktlink capture`: pcap in the
 * nanosecond format (magic 0xa1b23c4d) or pcapng (section header, interface
 * description with name, link type and nanosecond resolution, enhanced
 * packet blocks, and interface statistics at the end), with tcpdump's file
 * rotation (-C size, -G seconds, -W count).
 *
 * Output goes through its own buffer and write(2), so a failing write (full
 * disk, closed pipe) is returned by the call that hit it, and a live reader
 * gets each burst when the caller flushes. No I/O besides the file, so the
 * unit tests (tests/core/test_tool_util.c) can check the bytes.
 */
#ifndef PKTLINK_TOOLS_PCAPW_H
#define PKTLINK_TOOLS_PCAPW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define PCAPW_MAGIC_NS 0xa1b23c4du
#define PCAPW_LINKTYPE_ETHERNET 1u
#define PCAPW_LINKTYPE_RAW 101u /* IP packets without a link header (TUN) */
#define PCAPW_MAX_SNAPLEN 262144u

/* Flags of one record. */
enum {
	/* The stamp was taken in user space, not by the kernel or device
	 * (pcapng: a comment on the record says so). */
	PCAPW_REC_SOFT_TS = 1u << 0,
	/* The stamp comes from the device's clock (pcapng comment). */
	PCAPW_REC_HW_TS = 1u << 1,
};

struct pcapw_cfg {
	uint32_t linktype; /* PCAPW_LINKTYPE_* (a DLT/LINKTYPE number) */
	uint32_t snaplen; /* 1..PCAPW_MAX_SNAPLEN */
	bool pcapng;
	bool packet_buffered; /* write(2) after every record (tcpdump -U) */
	const char *ifname; /* pcapng if_name; NULL: none */
	const char *ifdesc; /* pcapng if_description; NULL: none */
	const char *filter; /* pcapng if_filter (libpcap syntax); NULL: none */
	uint64_t rotate_bytes; /* start a new file past this size (-C); 0: never */
	uint64_t rotate_ns; /* start a new file after this long (-G); 0: never */
	unsigned rotate_files; /* with rotation: keep this many files, cycling (-W); 0: no limit */
};

/* Counters for the pcapng interface statistics block. */
struct pcapw_stats {
	uint64_t start_ns, end_ns; /* wall clock */
	uint64_t ifrecv; /* frames the endpoint received */
	uint64_t osdrop; /* frames the kernel dropped for lack of room */
	uint64_t filteraccept; /* frames the filter accepted */
	uint64_t usrdeliv; /* frames written */
};

struct pcapw {
	struct pcapw_cfg cfg;
	char path[4096]; /* the name given (rotation derives the others from it) */
	char cur[4200]; /* the file being written */
	int fd;
	bool own; /* close fd (not for standard output) */
	int err; /* first write error (negative errno); sticky */
	uint8_t *buf;
	uint32_t used, cap;
	uint64_t file_bytes, file_start_ns;
	unsigned file_no; /* files started so far */
	uint64_t packets, bytes; /* records and stored bytes over all files */
	uint32_t snaplen;
};

/**
 * pcapw_open_cfg() - create @path ("-" = standard output) and write the
 * file header(s). With rotation, @path is the first file's name (pcap
 * conventions: FILE, FILE1, FILE2 ... or, with rotate_files, FILE0 ..
 * FILE<n-1> with as many digits as n-1 needs); a '%' in @path with rotate_ns
 * is expanded by strftime(3) at each new file, as tcpdump -G does.
 * Return: 0, or a negative errno (-EINVAL for a bad configuration).
 */
int pcapw_open_cfg(struct pcapw *w, const char *path, const struct pcapw_cfg *cfg);

/** pcapw_open() - pcapw_open_cfg() for a plain pcap file without rotation. */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype, uint32_t snaplen);

/**
 * pcapw_writev() - append one record made of @n pieces of @len bytes in
 * all (at most snaplen stored), of a frame that was @orig_len bytes on the
 * wire, stamped @ts_ns (ns since the epoch), with PCAPW_REC_* @flags.
 * Rotates first when a limit is passed (@now_ns: CLOCK_REALTIME, for -G).
 * Return: 0, or the negative errno of a write that failed (sticky: later
 * calls return it too).
 */
int pcapw_writev(struct pcapw *w, uint64_t ts_ns, const struct iovec *iov, unsigned n,
		 uint32_t orig_len, unsigned flags, uint64_t now_ns);

/** pcapw_write() - one record from one buffer; orig_len = @len, no flags. */
int pcapw_write(struct pcapw *w, uint64_t ts_ns, const void *data, uint32_t len);

/** pcapw_flush() - write(2) what is buffered. Return: 0 or a negative errno. */
int pcapw_flush(struct pcapw *w);

/**
 * pcapw_close_stats() - with pcapng and @st, append an interface statistics
 * block; then flush and close. Return: 0 or the first error seen.
 */
int pcapw_close_stats(struct pcapw *w, const struct pcapw_stats *st);

/** pcapw_close() - flush and close. Return: 0 or the first error seen. */
int pcapw_close(struct pcapw *w);

#endif
