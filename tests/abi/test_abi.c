/* SPDX-License-Identifier: MIT */
/*
 * test_abi.c — the ABI rules of pktlink.h, checked from a program linked
 * with the shared library (every other test links the in-tree archive):
 * run-time version, output structs filled at the caller's size, and the one
 * options validator (libbpf semantics) for pktlink_attach_opts and every
 * family's options.
 */
#include "harness.h"

#include <pktlink/pktlink.h>
#ifdef PKTLINK_HAVE_FD
#include <pktlink/fd.h>
#endif
#ifdef PKTLINK_HAVE_XDP
#include <pktlink/xdp.h>
#endif
#ifdef PKTLINK_HAVE_SHM
#include <pktlink/shm.h>
#endif
#ifdef PKTLINK_HAVE_MEMIF
#include <pktlink/memif.h>
#endif

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The library in use is the shared one, and its version is the headers'. */
static int shared_library_and_version(void)
{
	Dl_info dli;
	PLT_CHECK(dladdr((void *)pktlink_version, &dli) && dli.dli_fname, "dladdr");
	PLT_CHECK(strstr(dli.dli_fname, "libpktlink.so"), "pktlink_version() is in %s",
		  dli.dli_fname);
	PLT_CHECK(strcmp(pktlink_version(), PKTLINK_VERSION) == 0, "run time %s, headers %s",
		  pktlink_version(), PKTLINK_VERSION);
	PLT_CHECK(pktlink_version_number() == PKTLINK_VERSION_NUMBER, "number %#x",
		  pktlink_version_number());
	PLT_CHECK(PKTLINK_VERSION_AT_LEAST(0, 2, 0) && !PKTLINK_VERSION_AT_LEAST(255, 0, 0),
		  "PKTLINK_VERSION_AT_LEAST");
	/* Internal functions are not reachable through the shared library. */
	PLT_CHECK(!dlsym(RTLD_DEFAULT, "pl_ep_init") && !dlsym(RTLD_DEFAULT, "pl_err"),
		  "an internal pl_* symbol is exported");
	PLT_CHECK(dlsym(RTLD_DEFAULT, "pktlink_open"), "pktlink_open is not exported");
	return 0;
}

/* A socketpair endpoint: needs no privileges and no device. */
static struct pktlink_ep *open_pair(int sv[2])
{
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&hdr=eth", sv[0]);
	struct pktlink_ep *ep = NULL;
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s: %s", spec, err);
	return ep;
}

static bool all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* An older caller's shorter struct is not written past its end; a newer
 * caller's longer one reads zero beyond what the library has. */
static int output_structs_at_callers_size(void)
{
	int sv[2];
	struct pktlink_ep *ep = open_pair(sv);
	unsigned char buf[sizeof(struct pktlink_info) + sizeof(struct pktlink_stats) + 64];

	size_t old = offsetof(struct pktlink_info, max_header_len);
	memset(buf, 0xa5, sizeof(buf));
	PLT_CHECK(pktlink_get_info_sz(ep, (struct pktlink_info *)buf, old) == old, "short info");
	PLT_CHECK(((struct pktlink_info *)buf)->mtu == 1500, "mtu %u",
		  ((struct pktlink_info *)buf)->mtu);
	PLT_CHECK(all_bytes(buf + old, sizeof(buf) - old, 0xa5), "written past a short info");

	memset(buf, 0xa5, sizeof(buf));
	size_t newer = sizeof(struct pktlink_info) + 24;
	PLT_CHECK(pktlink_get_info_sz(ep, (struct pktlink_info *)buf, newer) ==
			  sizeof(struct pktlink_info),
		  "long info");
	PLT_CHECK(all_bytes(buf + sizeof(struct pktlink_info), 24, 0), "newer fields not zero");
	PLT_CHECK(all_bytes(buf + newer, sizeof(buf) - newer, 0xa5), "written past a long info");

	struct pktlink_info info;
	pktlink_get_info(ep, &info);
	PLT_CHECK(info.mtu == 1500 && info.num_queues == 1 && strcmp(info.family, "fd") == 0,
		  "inline wrapper: mtu %u queues %u", info.mtu, info.num_queues);

	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
	struct pktlink_pkt p = { .data = frame, .len = sizeof(frame) };
	PLT_CHECK(pktlink_tx_burst(ep, &p, 1) == 1, "tx");
	old = offsetof(struct pktlink_stats, tx_bytes);
	memset(buf, 0xa5, sizeof(buf));
	PLT_OK(pktlink_get_stats_sz(ep, (struct pktlink_stats *)buf, old));
	PLT_CHECK(((struct pktlink_stats *)buf)->tx_packets == 1, "tx_packets");
	PLT_CHECK(all_bytes(buf + old, sizeof(buf) - old, 0xa5), "written past short stats");
	memset(buf, 0xa5, sizeof(buf));
	newer = sizeof(struct pktlink_stats) + 16;
	PLT_OK(pktlink_get_stats_sz(ep, (struct pktlink_stats *)buf, newer));
	PLT_CHECK(all_bytes(buf + sizeof(struct pktlink_stats), 16, 0), "newer counters not zero");
	PLT_CHECK(all_bytes(buf + newer, sizeof(buf) - newer, 0xa5), "written past long stats");
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(ep, &st));
	PLT_CHECK(st.tx_packets == 1 && st.tx_bytes == sizeof(frame), "inline wrapper");
	pktlink_close(ep);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static void deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
}

static int attach_try(struct pktlink_ep *ep, const void *opts)
{
	int r = pktlink_attach_opts(ep, deliver, NULL, opts);
	if (r == 0) {
		pktlink_attach(ep, NULL, NULL);
		pktlink_join(ep);
	}
	return r;
}

/* struct pktlink_attach_opts as a newer header might have it. */
struct attach_opts_next {
	struct pktlink_attach_opts cur;
	uint64_t future_option;
};

static int attach_opts_validated(void)
{
	int sv[2];
	struct pktlink_ep *ep = open_pair(sv);
	PLT_CHECK(attach_try(ep, NULL) == 0, "NULL opts: %s", pktlink_last_error(ep));

	struct pktlink_attach_opts o;
	memset(&o, 0, sizeof(o));
	o.burst = 8;
	PLT_CHECK(attach_try(ep, &o) == -EINVAL && strstr(pktlink_last_error(ep), "sz"),
		  "sz == 0 accepted: %s", pktlink_last_error(ep));

	PKTLINK_OPTS(pktlink_attach_opts, m, .burst = 8);
	PLT_CHECK(m.sz == sizeof(m) && m.burst == 8, "PKTLINK_OPTS");
	PLT_CHECK(attach_try(ep, &m) == 0, "%s", pktlink_last_error(ep));

	/* An older caller: only sz and burst. */
	o.sz = offsetof(struct pktlink_attach_opts, burst) + sizeof(o.burst);
	PLT_CHECK(attach_try(ep, &o) == 0, "older struct: %s", pktlink_last_error(ep));

	/* A newer caller: accepted while the options we do not know are zero. */
	struct attach_opts_next n;
	memset(&n, 0, sizeof(n));
	n.cur.sz = sizeof(n);
	n.cur.burst = 8;
	PLT_CHECK(attach_try(ep, &n) == 0, "newer, zero tail: %s", pktlink_last_error(ep));
	n.future_option = 1;
	PLT_CHECK(attach_try(ep, &n) == -EINVAL && strstr(pktlink_last_error(ep), "newer"),
		  "newer option accepted: %s", pktlink_last_error(ep));
	/* The struct's own trailing padding is never read: a caller's padding
	 * is indeterminate (a compound literal's copy), and no option may be
	 * added there (docs/ABI.md). */
	size_t end = offsetof(struct pktlink_attach_opts, busy_poll) + sizeof(bool);
	if (end < sizeof(struct pktlink_attach_opts)) {
		memset(&n, 0, sizeof(n));
		n.cur.sz = sizeof(n.cur);
		((unsigned char *)&n)[end] = 1;
		PLT_CHECK(attach_try(ep, &n) == 0, "garbage in the padding refused: %s",
			  pktlink_last_error(ep));
	}
	/* Still the old limits inside what we know. */
	m.burst = 100000;
	PLT_CHECK(attach_try(ep, &m) == -EINVAL, "burst limit");
	pktlink_close(ep);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Every family's options go through the same validator: a newer struct with
 * an option this library lacks is refused, a zero tail is accepted. */
#define NEWER(type)                                                                            \
	struct {                                                                               \
		struct type cur;                                                               \
		uint64_t future_option;                                                        \
	}

static int family_opts_validated(void)
{
	char err[512];
	int ran = 0;
#ifdef PKTLINK_HAVE_FD
	{
		int sv[2];
		PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
		NEWER(pktlink_fd_opts) n;
		memset(&n, 0, sizeof(n));
		n.cur.sz = sizeof(n);
		n.cur.fds = sv;
		n.cur.num_fds = 1;
		n.cur.mtu = 1500;
		n.cur.eth_header = true;
		/* The last field, in what was trailing padding: known, so accepted. */
		n.cur.rx_timestamp = true;
		struct pktlink_ep *ep = NULL;
		PLT_CHECK(pktlink_fd_open(&n.cur, &ep, err, sizeof(err)) == 0, "fd, zero tail: %s",
			  err);
		pktlink_close(ep);
		n.future_option = 7;
		PLT_CHECK(pktlink_fd_open(&n.cur, &ep, err, sizeof(err)) == -EINVAL &&
				  strstr(err, "pktlink_fd_opts") && strstr(err, "newer"),
			  "fd: %s", err);
		close(sv[0]);
		close(sv[1]);
		ran++;
	}
#endif
#ifdef PKTLINK_HAVE_SHM
	{
		NEWER(pktlink_shm_opts) n;
		memset(&n, 0, sizeof(n));
		n.cur.sz = sizeof(n);
		n.future_option = 1;
		struct pktlink_shm_fds fds;
		PLT_CHECK(pktlink_shm_qp_create(&n.cur, &fds, err, sizeof(err)) == -EINVAL &&
				  strstr(err, "pktlink_shm_opts"),
			  "shm: %s", err);
		n.future_option = 0;
		PLT_CHECK(pktlink_shm_qp_create(&n.cur, &fds, err, sizeof(err)) == 0, "shm: %s",
			  err);
		pktlink_shm_fds_close(&fds);
		ran++;
	}
#endif
#ifdef PKTLINK_HAVE_XDP
	{
		/* Checked before any device or socket is touched: no root needed. */
		NEWER(pktlink_xdp_opts) n;
		memset(&n, 0, sizeof(n));
		n.cur.sz = sizeof(n);
		n.cur.ifname = "lo";
		n.future_option = 1;
		struct pktlink_ep *ep = NULL;
		PLT_CHECK(pktlink_xdp_open(&n.cur, &ep, err, sizeof(err)) == -EINVAL &&
				  strstr(err, "pktlink_xdp_opts"),
			  "xdp: %s", err);
		NEWER(pktlink_xdp_umem_opts) u;
		memset(&u, 0, sizeof(u));
		u.cur.sz = sizeof(u);
		u.future_option = 1;
		struct pktlink_xdp_umem *umem = NULL;
		PLT_CHECK(pktlink_xdp_umem_create(&u.cur, &umem, err, sizeof(err)) == -EINVAL &&
				  strstr(err, "pktlink_xdp_umem_opts"),
			  "umem: %s", err);
		ran++;
	}
#endif
#ifdef PKTLINK_HAVE_MEMIF
	{
		/* Refused before any socket is made. */
		NEWER(pktlink_memif_opts) n;
		memset(&n, 0, sizeof(n));
		n.cur.sz = sizeof(n);
		n.cur.socket = "@pktlink-abi-test";
		n.cur.timeout_ms = 1;
		n.future_option = 1;
		struct pktlink_ep *ep = NULL;
		PLT_CHECK(pktlink_memif_open(&n.cur, &ep, err, sizeof(err)) == -EINVAL &&
				  strstr(err, "pktlink_memif_opts"),
			  "memif: %s", err);
		ran++;
	}
#endif
	return ran ? 0 : PLT_SKIP;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "shared_library_and_version", shared_library_and_version, PLT_UNIT, 0 },
		{ "output_structs_at_callers_size", output_structs_at_callers_size, PLT_UNIT, 0 },
		{ "attach_opts_validated", attach_opts_validated, PLT_UNIT, 0 },
		{ "family_opts_validated", family_opts_validated, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
