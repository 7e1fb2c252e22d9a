/* SPDX-License-Identifier: MIT */
/* pcapw.c — nanosecond pcap writer (see pcapw.h). */
#include "pcapw.h"

#include <errno.h>
#include <string.h>

/* The on-disk headers, in host byte order: readers detect the order from the magic. */
struct pcapw_file_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcapw_rec_hdr {
	uint32_t ts_sec, ts_nsec, incl_len, orig_len;
};

int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype, uint32_t snaplen)
{
	memset(w, 0, sizeof(*w));
	if (!snaplen || snaplen > 262144)
		return -EINVAL;
	if (!strcmp(path, "-")) {
		w->f = stdout;
	} else {
		w->f = fopen(path, "wbe");
		if (!w->f)
			return -errno;
		w->own = 1;
	}
	/* A large buffer: one write() per 1 MiB of capture instead of per frame. */
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	w->snaplen = snaplen;
	struct pcapw_file_hdr h = { PCAPW_MAGIC_NS, 2, 4, 0, 0, snaplen, linktype };
	if (fwrite(&h, sizeof(h), 1, w->f) != 1) {
		int e = -errno;
		pcapw_close(w);
		return e ? e : -EIO;
	}
	return 0;
}

int pcapw_write(struct pcapw *w, uint64_t ts_ns, const void *data, uint32_t len)
{
	if (!w->f)
		return -EBADF;
	uint32_t cap = len < w->snaplen ? len : w->snaplen;
	struct pcapw_rec_hdr r = { (uint32_t)(ts_ns / 1000000000ull),
				   (uint32_t)(ts_ns % 1000000000ull), cap, len };
	if (fwrite(&r, sizeof(r), 1, w->f) != 1 || (cap && fwrite(data, cap, 1, w->f) != 1))
		return errno ? -errno : -EIO;
	w->packets++;
	w->bytes += cap;
	return 0;
}

int pcapw_close(struct pcapw *w)
{
	int r = 0;
	if (!w->f)
		return 0;
	if (fflush(w->f))
		r = -errno;
	if (w->own && fclose(w->f) && !r)
		r = -errno;
	w->f = NULL;
	return r;
}
