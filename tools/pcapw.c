/* SPDX-License-Identifier: MIT */
/* pcapw.c — pcap / pcapng writer with rotation (see pcapw.h). */
#include "pcapw.h"

#include <errno.h>
#include <fcntl.h>
#include <pktlink/pktlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Blocks and options of pcapng (draft-ietf-opsawg-pcapng). */
enum {
	NG_SHB = 0x0A0D0D0A,
	NG_IDB = 1,
	NG_ISB = 5,
	NG_EPB = 6,
	NG_OPT_END = 0,
	NG_OPT_COMMENT = 1,
	NG_SHB_USERAPPL = 4,
	NG_IF_NAME = 2,
	NG_IF_DESCRIPTION = 3,
	NG_IF_TSRESOL = 9,
	NG_IF_FILTER = 11,
	NG_ISB_STARTTIME = 2,
	NG_ISB_ENDTIME = 3,
	NG_ISB_IFRECV = 4,
	NG_ISB_FILTERACCEPT = 6,
	NG_ISB_OSDROP = 7,
	NG_ISB_USRDELIV = 8,
};

#define PCAPW_BUF (256u << 10)

/* write_all() - write(2) everything, retrying short writes and EINTR. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pcapw_flush(struct pcapw *w)
{
	if (w->fd < 0)
		return -EBADF;
	if (w->err)
		return w->err;
	if (w->used) {
		w->err = write_all(w->fd, w->buf, w->used);
		w->used = 0;
	}
	return w->err;
}

/* put() - append bytes to the buffer, writing it out when full. */
static int put(struct pcapw *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	w->file_bytes += len;
	while (len && !w->err) {
		if (w->used == w->cap && pcapw_flush(w))
			break;
		size_t k = w->cap - w->used < len ? w->cap - w->used : len;
		memcpy(w->buf + w->used, p, k);
		w->used += (uint32_t)k;
		p += k;
		len -= k;
	}
	return w->err;
}

static int put32(struct pcapw *w, uint32_t v)
{
	return put(w, &v, 4);
}

/* pad() - zero bytes up to a multiple of 4 after @len bytes. */
static int pad(struct pcapw *w, size_t len)
{
	static const uint8_t z[4];
	return (len & 3) ? put(w, z, 4 - (len & 3)) : 0;
}

/* opt_len() - bytes an option with @len value bytes takes. */
static uint32_t opt_len(size_t len)
{
	return 4 + (uint32_t)((len + 3) & ~(size_t)3);
}

static int put_opt(struct pcapw *w, uint16_t code, const void *v, size_t len)
{
	uint16_t h[2] = { code, (uint16_t)len };
	put(w, h, 4);
	put(w, v, len);
	return pad(w, len);
}

static int put_opt_str(struct pcapw *w, uint16_t code, const char *s)
{
	return s ? put_opt(w, code, s, strlen(s)) : 0;
}

static uint32_t str_opt_len(const char *s)
{
	return s ? opt_len(strlen(s)) : 0;
}

/* file_headers() - the pcap file header, or pcapng's SHB and IDB. */
static int file_headers(struct pcapw *w)
{
	if (!w->cfg.pcapng) {
		struct {
			uint32_t magic;
			uint16_t major, minor;
			int32_t thiszone;
			uint32_t sigfigs, snaplen, linktype;
		} h = { PCAPW_MAGIC_NS, 2, 4, 0, 0, w->snaplen, w->cfg.linktype };
		return put(w, &h, sizeof(h));
	}
	char appl[64];
	snprintf(appl, sizeof(appl), "pktlink %d.%d", PKTLINK_VERSION_MAJOR, PKTLINK_VERSION_MINOR);
	uint32_t len = 28 + str_opt_len(appl) + 4;
	put32(w, NG_SHB);
	put32(w, len);
	put32(w, 0x1A2B3C4D);
	uint16_t ver[2] = { 1, 0 };
	put(w, ver, 4);
	int64_t section_len = -1;
	put(w, &section_len, 8);
	put_opt_str(w, NG_SHB_USERAPPL, appl);
	put_opt(w, NG_OPT_END, NULL, 0);
	put32(w, len);

	/* if_filter's value starts with a byte naming the syntax: 0 = libpcap. */
	char filt[1024] = "";
	size_t flen = 0;
	if (w->cfg.filter) {
		flen = (size_t)snprintf(filt, sizeof(filt), "%c%s", 0, w->cfg.filter);
		if (flen >= sizeof(filt))
			flen = sizeof(filt) - 1;
	}
	uint8_t tsresol = 9; /* 10^-9 s */
	len = 20 + str_opt_len(w->cfg.ifname) + str_opt_len(w->cfg.ifdesc) + opt_len(1) +
	      (flen ? opt_len(flen) : 0) + 4;
	put32(w, NG_IDB);
	put32(w, len);
	uint16_t lt[2] = { (uint16_t)w->cfg.linktype, 0 };
	put(w, lt, 4);
	put32(w, w->snaplen);
	put_opt_str(w, NG_IF_NAME, w->cfg.ifname);
	put_opt_str(w, NG_IF_DESCRIPTION, w->cfg.ifdesc);
	put_opt(w, NG_IF_TSRESOL, &tsresol, 1);
	if (flen)
		put_opt(w, NG_IF_FILTER, filt, flen);
	put_opt(w, NG_OPT_END, NULL, 0);
	return put32(w, len);
}

/* file_name() - the name of file number @no (0 = the first). */
static void file_name(struct pcapw *w, unsigned no, uint64_t now_ns, char *out, size_t cap)
{
	char base[4096];
	snprintf(base, sizeof(base), "%s", w->path);
	if (w->cfg.rotate_ns && strchr(w->path, '%')) {
		time_t t = (time_t)(now_ns / 1000000000ull);
		struct tm tm;
		localtime_r(&t, &tm);
		if (!strftime(base, sizeof(base), w->path, &tm))
			snprintf(base, sizeof(base), "%s", w->path);
		if (!w->cfg.rotate_bytes && !w->cfg.rotate_files) {
			snprintf(out, cap, "%s", base);
			return;
		}
	}
	if (w->cfg.rotate_files) {
		int digits = 1;
		for (unsigned v = w->cfg.rotate_files - 1; v >= 10; v /= 10)
			digits++;
		if (snprintf(out, cap, "%s%0*u", base, digits & 15, no % w->cfg.rotate_files) >=
		    (int)cap)
			out[cap - 1] = '\0';
	} else if (no == 0) {
		snprintf(out, cap, "%s", base);
	} else {
		snprintf(out, cap, "%s%u", base, no);
	}
}

/* start_file() - create file number w->file_no and write its headers. */
static int start_file(struct pcapw *w, uint64_t now_ns)
{
	if (!strcmp(w->path, "-")) {
		w->fd = STDOUT_FILENO;
		w->own = false;
		snprintf(w->cur, sizeof(w->cur), "-");
	} else {
		file_name(w, w->file_no, now_ns, w->cur, sizeof(w->cur));
		w->fd = open(w->cur, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0)
			return -errno;
		w->own = true;
	}
	w->file_no++;
	w->file_bytes = 0;
	w->file_start_ns = now_ns;
	return file_headers(w);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pcapw_open_cfg(struct pcapw *w, const char *path, const struct pcapw_cfg *cfg)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (!cfg->snaplen || cfg->snaplen > PCAPW_MAX_SNAPLEN || cfg->linktype > 0xffff)
		return -EINVAL;
	if (strlen(path) >= sizeof(w->path) || !path[0])
		return -ENAMETOOLONG;
	if (!strcmp(path, "-") && (cfg->rotate_bytes || cfg->rotate_ns || cfg->rotate_files))
		return -EINVAL;
	w->cfg = *cfg;
	w->cfg.ifname = NULL;
	w->cfg.ifdesc = NULL;
	w->cfg.filter = NULL;
	/* The strings are kept for the headers of later files. */
	if ((cfg->ifname && !(w->cfg.ifname = strdup(cfg->ifname))) ||
	    (cfg->ifdesc && !(w->cfg.ifdesc = strdup(cfg->ifdesc))) ||
	    (cfg->filter && !(w->cfg.filter = strdup(cfg->filter)))) {
		pcapw_close(w);
		return -ENOMEM;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->snaplen = cfg->snaplen;
	w->cap = PCAPW_BUF;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		pcapw_close(w);
		return -ENOMEM;
	}
	int r = start_file(w, realtime_ns());
	if (!r)
		r = cfg->packet_buffered ? pcapw_flush(w) : 0;
	if (r) {
		pcapw_close(w);
		return r;
	}
	return 0;
}

int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype, uint32_t snaplen)
{
	struct pcapw_cfg c = { .linktype = linktype, .snaplen = snaplen };
	return pcapw_open_cfg(w, path, &c);
}

/* rotate() - close the current file and start the next one. */
static int rotate(struct pcapw *w, uint64_t now_ns)
{
	int r = pcapw_flush(w);
	if (w->own && close(w->fd) && !r)
		r = -errno;
	w->fd = -1;
	if (r)
		return w->err = r;
	return w->err = start_file(w, now_ns);
}

int pcapw_writev(struct pcapw *w, uint64_t ts_ns, const struct iovec *iov, unsigned n,
		 uint32_t orig_len, unsigned flags, uint64_t now_ns)
{
	if (w->fd < 0)
		return -EBADF;
	if (w->err)
		return w->err;
	if (w->packets && ((w->cfg.rotate_bytes && w->file_bytes >= w->cfg.rotate_bytes) ||
			   (w->cfg.rotate_ns && now_ns - w->file_start_ns >= w->cfg.rotate_ns))) {
		int r = rotate(w, now_ns);
		if (r)
			return r;
	}
	size_t len = 0;
	for (unsigned i = 0; i < n; i++)
		len += iov[i].iov_len;
	uint32_t cap = len < w->snaplen ? (uint32_t)len : w->snaplen;
	if (orig_len < cap)
		orig_len = cap;
	const char *comment = flags & PCAPW_REC_SOFT_TS ? "timestamp: software (user space)"
			      : flags & PCAPW_REC_HW_TS ? "timestamp: hardware (device clock)"
							: NULL;
	uint32_t blen = 32 + ((cap + 3) & ~3u) + (comment ? str_opt_len(comment) + 4 : 0);
	if (!w->cfg.pcapng) {
		uint32_t h[4] = { (uint32_t)(ts_ns / 1000000000ull), (uint32_t)(ts_ns % 1000000000ull),
				  cap, orig_len };
		put(w, h, sizeof(h));
	} else {
		uint32_t h[7] = { NG_EPB,
				  blen,
				  0,
				  (uint32_t)(ts_ns >> 32),
				  (uint32_t)ts_ns,
				  cap,
				  orig_len };
		put(w, h, sizeof(h));
	}
	uint32_t left = cap;
	for (unsigned i = 0; i < n && left; i++) {
		uint32_t k = iov[i].iov_len < left ? (uint32_t)iov[i].iov_len : left;
		put(w, iov[i].iov_base, k);
		left -= k;
	}
	if (w->cfg.pcapng) {
		pad(w, cap);
		if (comment) {
			put_opt_str(w, NG_OPT_COMMENT, comment);
			put_opt(w, NG_OPT_END, NULL, 0);
		}
		put32(w, blen);
	}
	if (w->err)
		return w->err;
	w->packets++;
	w->bytes += cap;
	return w->cfg.packet_buffered ? pcapw_flush(w) : 0;
}

int pcapw_write(struct pcapw *w, uint64_t ts_ns, const void *data, uint32_t len)
{
	struct iovec v = { (void *)data, len };
	return pcapw_writev(w, ts_ns, &v, 1, len, 0, 0);
}

/* put_isb() - the interface statistics block that closes a pcapng capture. */
static int put_isb(struct pcapw *w, const struct pcapw_stats *st)
{
	uint32_t len = 24 + 2 * opt_len(8) + 4 * opt_len(8) + 4;
	put32(w, NG_ISB);
	put32(w, len);
	put32(w, 0);
	put32(w, (uint32_t)(st->end_ns >> 32));
	put32(w, (uint32_t)st->end_ns);
	uint32_t t[2] = { (uint32_t)(st->start_ns >> 32), (uint32_t)st->start_ns };
	put_opt(w, NG_ISB_STARTTIME, t, 8);
	t[0] = (uint32_t)(st->end_ns >> 32);
	t[1] = (uint32_t)st->end_ns;
	put_opt(w, NG_ISB_ENDTIME, t, 8);
	put_opt(w, NG_ISB_IFRECV, &st->ifrecv, 8);
	put_opt(w, NG_ISB_FILTERACCEPT, &st->filteraccept, 8);
	put_opt(w, NG_ISB_OSDROP, &st->osdrop, 8);
	put_opt(w, NG_ISB_USRDELIV, &st->usrdeliv, 8);
	put_opt(w, NG_OPT_END, NULL, 0);
	return put32(w, len);
}

int pcapw_close_stats(struct pcapw *w, const struct pcapw_stats *st)
{
	int r = w->err;
	if (w->fd >= 0) {
		if (w->cfg.pcapng && st && !r)
			put_isb(w, st);
		r = pcapw_flush(w);
		if (w->own && close(w->fd) && !r)
			r = -errno;
	}
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
	free((char *)w->cfg.ifname);
	free((char *)w->cfg.ifdesc);
	free((char *)w->cfg.filter);
	w->cfg.ifname = w->cfg.ifdesc = w->cfg.filter = NULL;
	return r;
}

int pcapw_close(struct pcapw *w)
{
	return pcapw_close_stats(w, NULL);
}
