/* SPDX-License-Identifier: MIT */
/*
 * test_fd_errors: bad options and spec strings of the fd family fail with
 * -EINVAL (or -EBADF/-ENODEV) and a message that names the key and the fix;
 * setup failures injected at every step of "fd:" endpoints leave nothing
 * behind.
 */
#include "fd_testutil.h"

#include "core/fault.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>

/* Open spec (with %d replaced by fd) and expect failure r with every
 * needle in the message. */
static void expect(const char *fmt, int fd, int want, const char *n1, const char *n2)
{
	char spec[256], err[512] = "";
	snprintf(spec, sizeof(spec), fmt, fd, fd);
	struct pktlink_ep *ep = (struct pktlink_ep *)1;
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == want, "%s: got %d (%s), want %d: %s", spec, r, plt_errname(-r), want, err);
	PLT_CHECK(ep == NULL, "%s: *epp cleared", spec);
	PLT_CHECK(!n1 || strstr(err, n1), "%s: message lacks '%s': %s", spec, n1, err);
	PLT_CHECK(!n2 || strstr(err, n2), "%s: message lacks '%s': %s", spec, n2, err);
}

static int spec_errors(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	int s = sv[0];
	expect("fd:", s, -EINVAL, "give the descriptors", "fd:3");
	expect("fd:abc?mtu=1500", s, -EINVAL, "not a list of descriptor numbers", NULL);
	expect("fd:%d,?mtu=1500", s, -EINVAL, "ends with ','", NULL);
	expect("fd:%d", s, -EINVAL, "mtu is required", "set mtu");
	expect("fd:%d?mtu=1500&bogus=1", s, -EINVAL, "'bogus'", "accepted keys are");
	expect("fd:%d?mtu=40", s, -EINVAL, "'mtu'", NULL);
	expect("fd:%d?mtu=1500&rx=fast", s, -EINVAL, "'rx'", "readv, recvmmsg, mmap");
	expect("fd:%d?mtu=1500&hdr=ip", s, -EINVAL, "'hdr'", "none, eth");
	expect("fd:%d?mtu=1500&gso=host", s, -EINVAL, "gso=host needs vnet_hdr", "gso=software");
	expect("fd:%d?mtu=1500&gso=turbo", s, -EINVAL, "'gso'", "none, host, software");
	expect("fd:%d?mtu=1500&csum=all", s, -EINVAL, "'csum'", "rxtx");
	expect("fd:%d?mtu=1500&hdr=none&addr=02:00:00:00:00:01", s, -EINVAL, "addr", "hdr=eth");
	expect("fd:%d?mtu=1500&addr=02:00:00", s, -EINVAL, "'addr'", "MAC");
	expect("fd:%d?mtu=1500&rx=mmap", s, -EINVAL, "rx=mmap needs an AF_PACKET socket",
	       "SOCK_SEQPACKET");
	expect("fd:%d?mtu=1500&vnet_hdr_len=12", s, -EINVAL, "vnet_hdr_len", "vnet_hdr=1");
	expect("fd:%d?mtu=1500&vnet_hdr=1&vnet_hdr_len=11", s, -EINVAL, "vnet_hdr_len",
	       "10 or 12");
	expect("fd:%d?mtu=1500&inject=1&rx=recvmmsg", s, -EINVAL, "injectable", "drop rx");
	expect("fd:%d?mtu=1500&frames=1", s, -EINVAL, "'frames'", NULL);
	expect("fd:%d?mtu=1500&gso_max=100&gso=software", s, -EINVAL, "'gso_max'", NULL);
	expect("fd:%d,%d?mtu=1500", s, -EINVAL, "listed twice", NULL);
	expect("fd:987?mtu=1500", s, -EBADF, "descriptor 987 is not open", NULL);

	int st[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, st) == 0, "socketpair");
	expect("fd:%d?mtu=1500", st[0], -EINVAL, "stream socket", "SOCK_SEQPACKET");
	int mf = memfd_create("pl", MFD_CLOEXEC);
	expect("fd:%d?mtu=1500", mf, -EINVAL, "neither a socket nor a character device", NULL);
	int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
	expect("fd:%d?mtu=1500&rx=recvmmsg", dn, -EINVAL,
	       "rx=recvmmsg needs a socket; fd", "is a character device (TAP/TUN): use rx=readv");
	expect("fd:%d?mtu=1500&tx=sendmmsg", dn, -EINVAL, "tx=sendmmsg needs a socket",
	       "tx=writev");

	expect("tap:", 0, -EINVAL, "not a device name", "tap:pl0");
	expect("tap:a/b", 0, -EINVAL, "not a device name", NULL);
	expect("tap:averyveryverylongname0", 0, -EINVAL, "not a device name", NULL);
	expect("tap:plx?csum=rx", 0, -EINVAL, "needs vnet_hdr=1", NULL);
	expect("tap:plx?queues=0", 0, -EINVAL, "'queues'", NULL);
	expect("tap:plx?rx=recvmmsg", 0, -EINVAL, "'rx'", "accepted keys are");
	expect("tun:plx?addr=02:00:00:00:00:01", 0, -EINVAL, "'addr'", "accepted keys are");
	expect("packet:", 0, -EINVAL, "not a device name", NULL);
	expect("packet:nosuchdev0", 0, -ENODEV, "no such device", NULL);
	expect("packet:lo?dispatch=fast", 0, -EINVAL, "'dispatch'", "readv, recvmmsg, mmap");
	expect("packet:lo?tx=writev", 0, -EINVAL, "'tx'", "sendmmsg, mmap");
	expect("packet:lo?block_size=5000", 0, -EINVAL, "'block_size'", "power of two");
	expect("packet:lo?fds=0", 0, -EINVAL, "'fds'", NULL);
	expect("packet:lo?vnet_hdr=1&vnet_hdr_len=12", 0, -EINVAL, "10-byte", NULL);
	expect("packet:lo?queues=2", 0, -EINVAL, "'queues'", "accepted keys are");

	const char *help = pktlink_spec_help();
	PLT_CHECK(strstr(help, "fd:FD") && strstr(help, "tap:NAME") && strstr(help, "tun:NAME") &&
			  strstr(help, "packet:IFNAME") && strstr(help, "dispatch=readv|recvmmsg|mmap"),
		  "help: %s", help);
	close(sv[0]);
	close(sv[1]);
	close(st[0]);
	close(st[1]);
	close(mf);
	close(dn);
	return 0;
}

static int opts_errors(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	struct pktlink_ep *ep;
	char err[512];
	PLT_CHECK(pktlink_fd_open(NULL, &ep, err, sizeof(err)) == -EINVAL && strstr(err, "opts"),
		  "NULL opts");
	struct pktlink_fd_opts o;
	memset(&o, 0, sizeof(o));
	o.fds = sv;
	o.num_fds = 1;
	o.mtu = 1500;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == -EINVAL && strstr(err, "opts.sz"),
		  "sz: %s", err);
	o.sz = sizeof(o);
	o.num_fds = 0;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "opts.num_fds"),
		  "num_fds: %s", err);
	o.num_fds = 1;
	o.rx_mode = (enum pktlink_fd_rx_mode)7;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == -EINVAL && strstr(err, "rx:"),
		  "rx_mode: %s", err);
	o.rx_mode = PKTLINK_FD_RX_READV;
	o.tx_mode = PKTLINK_FD_TX_MMAP;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "packet:IFNAME?tx=mmap"),
		  "tx=mmap: %s", err);
	o.tx_mode = PKTLINK_FD_TX_AUTO;
	o.gso = PKTLINK_FD_GSO_HOST;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "opts.vnet_hdr"),
		  "gso host: %s", err);
	o.gso = PKTLINK_FD_GSO_NONE;
	o.mtu = 0;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == -EINVAL && strstr(err, "mtu"),
		  "mtu: %s", err);
	o.mtu = 1500;
	PLT_CHECK(pktlink_fd_open(&o, &ep, err, sizeof(err)) == 0, "ok: %s", err);
	/* inject on an endpoint that reads its fd */
	uint8_t f[64] = { 0 };
	PLT_CHECK(pktlink_fd_inject(ep, f, sizeof(f)) == -EINVAL &&
			  strstr(pktlink_last_error(ep), "injectable"),
		  "inject: %s", pktlink_last_error(ep));
	PLT_CHECK(pktlink_tx_alloc(ep, NULL, 1) == -EOPNOTSUPP, "no tx_alloc");
	pktlink_close(ep);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* A failure at every setup step of fd: endpoints leaves nothing behind. */
static int teardown_every_step(void)
{
	int sv[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	int sd[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sd) == 0, "socketpair");
	char specs[4][128];
	snprintf(specs[0], sizeof(specs[0]), "fd:%d?mtu=1500", sv[0]);
	snprintf(specs[1], sizeof(specs[1]), "fd:%d,%d?mtu=9000&rx=recvmmsg&gso=software", sv[0],
		 sd[0]);
	snprintf(specs[2], sizeof(specs[2]), "fd:%d?mtu=1500&inject=1", sv[0]);
	snprintf(specs[3], sizeof(specs[3]), "fd:%d?mtu=1500&vnet_hdr=1&gso=host&csum=rxtx", sd[0]);
	int fds0 = plt_fd_count(), threads0 = t_thread_baseline();
	for (int k = 0; k < 4; k++) {
		unsigned n;
		for (n = 1; n < 100; n++) {
			pl_fault_arm(n);
			struct pktlink_ep *ep = NULL;
			char err[256] = "";
			int r = pktlink_open(specs[k], &ep, err, sizeof(err));
			bool fired = pl_fault_fired();
			pl_fault_arm(0);
			if (r == 0) {
				PLT_CHECK(!fired, "%s: opened although step %u failed", specs[k], n);
				/* and it works: attach, detach, close */
				struct t_push p;
				memset(&p, 0, sizeof(p));
				PLT_OK(pktlink_attach(ep, t_push_cb, &p));
				PLT_OK(pktlink_attach(ep, NULL, NULL));
				pktlink_join(ep);
				pktlink_close(ep);
			} else {
				PLT_CHECK(fired && strstr(err, "injected"), "%s: step %u: %s",
					  specs[k], n, err);
			}
			PLT_CHECK(plt_fd_count() == fds0, "%s, step %u: fds %d, baseline %d",
				  specs[k], n, plt_fd_count(), fds0);
			PLT_CHECK_THREADS(threads0, "threads");
			if (r == 0)
				break;
		}
		PLT_CHECK(n > 3 && n < 100, "%s: %u steps", specs[k], n);
	}
	/* closing while attached: workers stopped and joined by close */
	struct pktlink_ep *ep;
	char err[256];
	PLT_CHECK(pktlink_open(specs[1], &ep, err, sizeof(err)) == 0, "%s", err);
	struct t_push p;
	memset(&p, 0, sizeof(p));
	PLT_OK(pktlink_attach(ep, t_push_cb, &p));
	pktlink_close(ep);
	PLT_CHECK_THREADS(threads0, "close while attached");
	PLT_CHECK(plt_fd_count() == fds0, "close while attached: fds %d, baseline %d", plt_fd_count(),
		  fds0);
	close(sv[0]);
	close(sv[1]);
	close(sd[0]);
	close(sd[1]);
	PLT_CHECK(t_no_leaks() == 0, "LeakSanitizer found leaks");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "spec_errors", spec_errors, PLT_UNIT, 30 },
		{ "opts_errors", opts_errors, PLT_UNIT, 30 },
		{ "teardown_every_step", teardown_every_step, PLT_UNIT, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
