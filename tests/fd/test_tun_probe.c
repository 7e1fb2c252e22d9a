/* SPDX-License-Identifier: MIT */
/*
 * test_tun_probe: TUNSETOFFLOAD probing in pl_tun_open against older
 * kernels. This program defines ioctl() itself (the executable's symbol
 * wins over libc's for the statically linked library), passes every call to
 * the kernel, but can answer EINVAL to TUNSETOFFLOAD requests carrying bits
 * an older kernel would not know — the way Linux < 6.2 refuses USO and
 * Linux < 2.6.27 refused everything. Checks the order bits are dropped in
 * (USO, then ECN, TSO6, TSO4, CSUM), what is reported, what the device's
 * features end up as, and that other errors fail the open cleanly.
 */
#include "harness.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "fd/tun.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

static unsigned known = ~0u; /* TUNSETOFFLOAD bits the "kernel" knows */
static int offload_errno; /* non-zero: TUNSETOFFLOAD fails with this */
static unsigned attempts[16];
static unsigned nattempts;

int ioctl(int fd, unsigned long req, ...);
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	unsigned long arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (req == TUNSETOFFLOAD) {
		if (nattempts < 16)
			attempts[nattempts] = (unsigned)arg;
		nattempts++;
		if (offload_errno) {
			errno = offload_errno;
			return -1;
		}
		if (arg & ~(unsigned long)known) {
			errno = EINVAL;
			return -1;
		}
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

static uint32_t open_with(unsigned known_bits, int *fd_out)
{
	char err[256] = "";
	uint32_t got = 0xdead;
	struct pl_tun_cfg c = { .tap = true, .vnet_hdr = true, .queues = 1,
				.want_offloads = PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 |
						 PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO };
	known = known_bits;
	nattempts = 0;
	PLT_CHECK(pl_tun_open("plp", &c, fd_out, &got, err, sizeof(err)) == 0, "%s", err);
	return got;
}

#define ALL (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6)

static int probe_all_known(void)
{
	int fd;
	uint32_t got = open_with(~0u, &fd);
	PLT_CHECK(nattempts == 1 && attempts[0] == ALL, "%u attempts, first %#x", nattempts,
		  attempts[0]);
	PLT_CHECK(got == (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6 | PL_TUN_OFF_USO),
		  "got %#x", got);
	close(fd);
	return 0;
}

static int probe_no_uso(void)
{
	/* Linux 4.x..6.1: USO unknown. */
	int fd;
	uint32_t got = open_with(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO,
				 &fd);
	PLT_CHECK(nattempts == 2, "%u attempts", nattempts);
	PLT_CHECK(attempts[0] == ALL && attempts[1] == (ALL & ~(TUN_F_USO4 | TUN_F_USO6)),
		  "attempts %#x %#x", attempts[0], attempts[1]);
	PLT_CHECK(got == (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4 | PL_TUN_OFF_TSO6), "got %#x", got);
	/* The device now offers TSO to the kernel but not USO. */
	PLT_CHECK(plt_sh("ethtool -k plp | grep -q '^tcp-segmentation-offload: on'") == 0,
		  "TSO on");
	PLT_CHECK(plt_sh("ethtool -k plp | grep -q '^tx-udp-segmentation: off'") == 0, "USO off");
	close(fd);
	return 0;
}

static int probe_steps_down(void)
{
	int fd;
	/* Only CSUM and TSO4 known: USO, ECN, TSO6 dropped in that order. */
	uint32_t got = open_with(TUN_F_CSUM | TUN_F_TSO4, &fd);
	PLT_CHECK(nattempts == 4, "%u attempts", nattempts);
	unsigned want[4] = { ALL, ALL & ~(TUN_F_USO4 | TUN_F_USO6),
			     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM | TUN_F_TSO4 };
	for (unsigned i = 0; i < 4; i++)
		PLT_CHECK(attempts[i] == want[i], "attempt %u: %#x want %#x", i, attempts[i],
			  want[i]);
	PLT_CHECK(got == (PL_TUN_OFF_CSUM | PL_TUN_OFF_TSO4), "got %#x", got);
	close(fd);

	/* Only CSUM. */
	got = open_with(TUN_F_CSUM, &fd);
	PLT_CHECK(got == PL_TUN_OFF_CSUM, "got %#x", got);
	PLT_CHECK(attempts[nattempts - 1] == TUN_F_CSUM, "last attempt %#x",
		  attempts[nattempts - 1]);
	close(fd);

	/* Nothing at all: the open still succeeds, without offloads. */
	got = open_with(0, &fd);
	PLT_CHECK(got == 0, "got %#x", got);
	PLT_CHECK(nattempts == 6 && attempts[5] == 0, "%u attempts, last %#x", nattempts,
		  attempts[nattempts - 1]);
	close(fd);
	return 0;
}

static int probe_other_error(void)
{
	char err[256] = "";
	int fd = 12345;
	uint32_t got = 0xdead;
	struct pl_tun_cfg c = { .tap = true, .vnet_hdr = true, .queues = 1,
				.want_offloads = PL_TUN_OFF_CSUM };
	int before = plt_fd_count();
	offload_errno = EBADFD;
	int r = pl_tun_open("plp", &c, &fd, &got, err, sizeof(err));
	offload_errno = 0;
	PLT_CHECK(r == -EBADFD, "returned %d (%s)", r, err);
	PLT_CHECK(strstr(err, "TUNSETOFFLOAD") != NULL, "error: %s", err);
	PLT_CHECK(fd == -1 && got == 0, "outputs reset");
	PLT_CHECK(plt_fd_count() == before, "fd left open");
	PLT_CHECK(if_nametoindex("plp") == 0, "device left");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "probe_all_known", probe_all_known, PLT_NETNS, 30 },
		{ "probe_no_uso", probe_no_uso, PLT_NETNS, 30 },
		{ "probe_steps_down", probe_steps_down, PLT_NETNS, 30 },
		{ "probe_other_error", probe_other_error, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
