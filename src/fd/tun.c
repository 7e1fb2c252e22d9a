/* SPDX-License-Identifier: MIT */
/*
 * tun.c — opening TAP/TUN devices (see tun.h).
 *
 * Setup steps, each preceded by pl_fault() so the teardown tests can fail
 * any of them:
 *   queue 0:      open /dev/net/tun, TUNSETIFF, TUNSETVNETHDRSZ (vnet_hdr),
 *                 TUNSETOFFLOAD (vnet_hdr)
 *   queue 1..N-1: open /dev/net/tun, TUNSETIFF
 * The header size and the offloads belong to the device, not to a queue,
 * so they are set once. Teardown closes whatever fds were opened; a device
 * that is not persistent disappears with its last fd.
 */
#include "fd/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include "core/fault.h"

/* Linux 6.2 (USO); our uapi headers are 6.1. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

/* Map the kernel's TUN_F_* bits we ended up with to PL_TUN_OFF_*. */
static uint32_t to_pl_offloads(unsigned f)
{
	uint32_t r = 0;
	if (f & TUN_F_CSUM)
		r |= PL_TUN_OFF_CSUM;
	if (f & TUN_F_TSO4)
		r |= PL_TUN_OFF_TSO4;
	if (f & TUN_F_TSO6)
		r |= PL_TUN_OFF_TSO6;
	if ((f & (TUN_F_USO4 | TUN_F_USO6)) == (TUN_F_USO4 | TUN_F_USO6))
		r |= PL_TUN_OFF_USO;
	return r;
}

/*
 * Declare the offloads; the kernel answers EINVAL to bits it does not know,
 * so drop them one group at a time — newest first (USO, 6.2+), then ECN,
 * TSO6, TSO4 — and retry. *got gets what was accepted. Only other errors
 * (EBADFD...) are returned.
 */
static int set_offloads(int fd, uint32_t want, unsigned *got, char *err, size_t errlen)
{
	unsigned f = 0;
	if (want & (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO))
		f |= TUN_F_CSUM; /* every segmentation offload implies partial checksums */
	if (want & PL_TUN_OFF_TSO4)
		f |= TUN_F_TSO4;
	if (want & PL_TUN_OFF_TSO6)
		f |= TUN_F_TSO6;
	if (f & (TUN_F_TSO4 | TUN_F_TSO6))
		f |= TUN_F_TSO_ECN; /* we carry CWR through (see offload_vnet.c) */
	if (want & PL_TUN_OFF_USO)
		f |= TUN_F_USO4 | TUN_F_USO6; /* the kernel wants both or neither */

	static const unsigned drop_order[] = {
		TUN_F_USO4 | TUN_F_USO6, TUN_F_TSO_ECN, TUN_F_TSO6, TUN_F_TSO4, TUN_F_CSUM,
	};
	unsigned i = 0;
	for (;;) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)f) == 0) {
			*got = f;
			return 0;
		}
		int e = errno;
		if (e != EINVAL || f == 0)
			return pl_err(err, errlen, -e, "TUNSETOFFLOAD 0x%x: %s", f, strerror(e));
		/* Drop the next group that is actually set; bounded by the
		 * table, so this loop ends. */
		while (i < sizeof(drop_order) / sizeof(drop_order[0]) && !(f & drop_order[i]))
			i++;
		if (i == sizeof(drop_order) / sizeof(drop_order[0]))
			return pl_err(err, errlen, -EINVAL, "TUNSETOFFLOAD: kernel refuses 0x%x", f);
		f &= ~drop_order[i++];
	}
}

static void close_all(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Readable reasons for TUNSETIFF failures: the errno alone rarely says it. */
static int setiff_error(char *err, size_t errlen, int e, const char *name, unsigned q)
{
	const char *why = "";
	switch (e) {
	case EPERM:
		why = " (needs CAP_NET_ADMIN, or the device is owned by another user)";
		break;
	case EBUSY:
		why = " (the device is in use by another process and not multi-queue, or "
		      "already has that many queues)";
		break;
	case EINVAL:
		why = " (a device of that name exists with another type, multi-queue or "
		      "vnet_hdr setting)";
		break;
	case ENOENT:
	case ENODEV:
		why = " (no TUN/TAP support: modprobe tun)";
		break;
	default:
		break;
	}
	return pl_err(err, errlen, -e, "TUNSETIFF %s queue %u: %s%s", name, q, strerror(e), why);
}

int pl_tun_open(const char *name, const struct pl_tun_cfg *cfg, int *fds, uint32_t *got_offloads,
		char *err, size_t errlen)
{
	if (!name || !cfg || !fds)
		return pl_err(err, errlen, -EINVAL, "tun: name, cfg and fds are required");
	size_t nl = strnlen(name, IFNAMSIZ);
	if (nl == 0 || nl >= IFNAMSIZ)
		return pl_err(err, errlen, -EINVAL, "tun: interface name must be 1..%d characters",
			      IFNAMSIZ - 1);
	if (cfg->queues < 1 || cfg->queues > 256)
		return pl_err(err, errlen, -EINVAL, "tun: queues=%u, accepted 1..256", cfg->queues);
	uint32_t vlen = cfg->vnet_hdr_len ? cfg->vnet_hdr_len : 12;
	if (cfg->vnet_hdr && vlen != 10 && vlen != 12)
		return pl_err(err, errlen, -EINVAL, "tun: vnet_hdr_len=%u, accepted 10 or 12", vlen);
	if (!cfg->vnet_hdr && cfg->want_offloads)
		return pl_err(err, errlen, -EINVAL, "tun: offloads need vnet_hdr=1");
	if (cfg->want_offloads & ~(uint32_t)(PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 |
					    PL_TUN_OFF_USO))
		return pl_err(err, errlen, -EINVAL, "tun: unknown offload bits 0x%x",
			      cfg->want_offloads);

	unsigned n = cfg->queues;
	for (unsigned q = 0; q < n; q++)
		fds[q] = -1;
	if (got_offloads)
		*got_offloads = 0;

	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, nl);
	ifr.ifr_flags = (short)((cfg->tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
	if (cfg->vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (n > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;

	int r;
	unsigned got = 0;
	for (unsigned q = 0; q < n; q++) {
		if (pl_fault()) {
			r = pl_err(err, errlen, -EMFILE, "open /dev/net/tun (queue %u): injected", q);
			goto fail;
		}
		/* Non-blocking from the start: readers poll, and a blocking
		 * read could hang a worker during close. */
		fds[q] = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds[q] < 0) {
			int e = errno;
			r = pl_err(err, errlen, -e, "open /dev/net/tun: %s", strerror(e));
			goto fail;
		}
		if (pl_fault()) {
			r = pl_err(err, errlen, -EPERM, "TUNSETIFF %s queue %u: injected", name, q);
			goto fail;
		}
		struct ifreq tmp = ifr; /* the kernel writes the name back */
		if (ioctl(fds[q], TUNSETIFF, &tmp) < 0) {
			r = setiff_error(err, errlen, errno, name, q);
			goto fail;
		}
		if (q > 0 || !cfg->vnet_hdr)
			continue;
		if (pl_fault()) {
			r = pl_err(err, errlen, -EINVAL, "TUNSETVNETHDRSZ %u: injected", vlen);
			goto fail;
		}
		int sz = (int)vlen;
		if (ioctl(fds[q], TUNSETVNETHDRSZ, &sz) < 0) {
			int e = errno;
			r = pl_err(err, errlen, -e, "TUNSETVNETHDRSZ %d: %s", sz, strerror(e));
			goto fail;
		}
		if (pl_fault()) {
			r = pl_err(err, errlen, -EINVAL, "TUNSETOFFLOAD: injected");
			goto fail;
		}
		r = set_offloads(fds[q], cfg->want_offloads, &got, err, errlen);
		if (r < 0)
			goto fail;
	}
	if (got_offloads)
		*got_offloads = to_pl_offloads(got);
	return 0;

fail:
	close_all(fds, n);
	if (got_offloads)
		*got_offloads = 0;
	return r;
}
