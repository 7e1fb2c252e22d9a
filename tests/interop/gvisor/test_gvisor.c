/* SPDX-License-Identifier: MIT */
/*
 * test_gvisor.c — pktlink against the real gVisor netstack.
 *
 * The peer is gvpeer (gvpeer/main.go, built from Debian's gVisor source):
 * a gVisor netstack on gVisor's own sharedmem client (New), sharedmem
 * server (NewServerEndpoint) or fdbased endpoint. pktlink bridges it to a
 * TAP in the case's private namespace, either with `pktlink fwd` or with
 * the library in a child process, and the Linux stack talks to gVisor
 * across the bridge:
 *   - ping;
 *   - a UDP datagram for every Ethernet frame size 60..MTU+14, echoed
 *     byte-exact (gvpeer -kecho);
 *   - TCP both ways (PUT and GET), sha256-checked;
 *   - SIGKILL of one side, which the other must notice within 10 s.
 * Each step prints what it measured (Mbit/s of the TCP transfers, the time
 * a death took to be noticed); set PKTLINK_GVISOR_TCP_BYTES for longer
 * transfers. Figures are printed, never asserted.
 * MTU 9000 spreads frames over several 2048-byte buffers; the virtio-net
 * header is used where gVisor supports it: its sharedmem client (a zero
 * header), and fdbased with GSOMaxSize (GSO super-packets through a TAP
 * with vnet_hdr). Its sharedmem server ignores VirtioNetHeaderRequired.
 *
 * Skips (77, with the reason) only when go or the gVisor source is absent.
 */
#include "harness.h"

#include <pktlink/pktlink.h>
#include <pktlink/shm.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PKTLINK_GVPEER
#define PKTLINK_GVPEER ""
#endif
#ifndef PKTLINK_TOOL
#define PKTLINK_TOOL ""
#endif

#define GV_ADDR "198.18.0.2"
#define KERNEL_ADDR "198.18.0.1/24"
#define DETECT_LIMIT_MS 10000
#define PEER_FD 3 /* where fd mode puts gVisor's end of the socketpair */
/* fdbased with GSOMaxSize: a 10-byte virtio-net header on every frame, GSO passed through */
#define FD_VNET_KEYS "&vnet_hdr=1&vnet_hdr_len=10&gso=host&gso_max=65536&csum=rxtx"

enum bridge { FWD, LIB };

struct run {
	const char *link; /* gvpeer -link: shm-client, shm-server, fd */
	enum bridge bridge;
	unsigned mtu;
	bool vnet;
	bool kill_gvisor; /* else kill the bridge */
	long long tcp_bytes;
};

static char sock_path[108], gv_log[64], br_log[64];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait (bounded) until the log file contains word. */
static bool log_has(const char *path, const char *word, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	char buf[8192];
	do {
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = 0;
			if (strstr(buf, word))
				return true;
		}
		usleep(10000);
	} while (now_ms() < end);
	return false;
}

static void show_log(const char *what, const char *path)
{
	fprintf(stderr, "---- %s (%s)\n", what, path);
	plt_sh("cat %s >&2", path);
}

/* In a child: PR_SET_PDEATHSIG, and stdout and stderr into log (exit 126 when it cannot). */
static void child_to_log(const char *log)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int lf = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (lf < 0)
		_exit(126);
	dup2(lf, 1);
	dup2(lf, 2);
}

/* Start argv with stdout and stderr into log; keep_fd is moved to PEER_FD when >= 0. */
static pid_t spawn(char *const argv[], const char *log, int keep_fd)
{
	fflush(NULL);
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		child_to_log(log);
		if (keep_fd >= 0) {
			if (keep_fd != PEER_FD && dup2(keep_fd, PEER_FD) < 0)
				_exit(126);
			fcntl(PEER_FD, F_SETFD, 0);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait up to timeout_ms for pid to exit; return its wait status, or -1 on timeout. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	do {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		usleep(2000);
	} while (now_ms() < end);
	return -1;
}

/* ---- the bridge made with the library (runs in a child process) ---- */

/* Move one burst from rx to tx. Return frames received, or the negative peer-gone reason. */
static int lib_burst(struct pktlink_ep *rx, struct pktlink_ep *tx)
{
	struct pktlink_pkt in[64], out[64];
	int n = pktlink_rx_burst(rx, in, 64);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		out[i] = in[i];
		out[i].flags &= (uint16_t)~PKTLINK_PKT_TXBUF;
		out[i].priv = 0;
		out[i].queue = 0;
	}
	unsigned sent = 0;
	for (int tries = 0; tries < 64 && sent < (unsigned)n; tries++) {
		int t = pktlink_tx_burst(tx, out + sent, (unsigned)n - sent);
		if (t < 0)
			break;
		sent += (unsigned)t;
		if (!t)
			usleep(50);
	}
	pktlink_rx_release(rx, in, (unsigned)n);
	return n;
}

/* Open pktlink's side of the gVisor link the way a gVisor user would (shm.h, "Talking to gVisor"). */
static struct pktlink_ep *lib_open_peer(const struct run *r, int fd)
{
	char err[256] = "";
	struct pktlink_ep *ep = NULL;
	if (!strcmp(r->link, "fd")) {
		char spec[128];
		snprintf(spec, sizeof(spec), "fd:%d?mtu=%u%s", fd, r->mtu, r->vnet ? FD_VNET_KEYS : "");
		if (pktlink_open(spec, &ep, err, sizeof(err)))
			printf("open %s: %s\n", spec, err);
		return ep;
	}
	struct pktlink_shm_opts o = { .sz = sizeof(o), .mtu = r->mtu, .vnet_hdr = r->vnet };
	struct pktlink_shm_fds fds;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (!strcmp(r->link, "shm-client")) {
		/* gVisor is the client: accept it, take its ten fds. */
		o.role = PKTLINK_SHM_SERVER;
		o.allow_unsealed = true; /* gVisor's /dev/shm files */
		unlink(sock_path);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
			return printf("bind/listen: %s\n", strerror(errno)), NULL;
		printf("listening\n");
		fflush(stdout);
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		close(s);
		if (c < 0 || pktlink_shm_recv_fds(c, &fds, 20000, err, sizeof(err)))
			return printf("accept/recv_fds: %s\n", err), NULL;
		if (pktlink_shm_open(&o, &fds, c, &ep, err, sizeof(err)))
			printf("pktlink_shm_open: %s\n", err);
		pktlink_shm_fds_close(&fds);
		close(c);
		return ep;
	}
	/* gVisor is the server: create the queue pair and hand it over. */
	o.role = PKTLINK_SHM_CLIENT;
	if (pktlink_shm_qp_create(&o, &fds, err, sizeof(err)))
		return printf("qp_create: %s\n", err), NULL;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) ||
	    pktlink_shm_send_fds(s, &fds, err, sizeof(err)))
		return printf("connect/send_fds: %s %s\n", strerror(errno), err), NULL;
	if (pktlink_shm_open(&o, &fds, s, &ep, err, sizeof(err)))
		printf("pktlink_shm_open: %s\n", err);
	pktlink_shm_fds_close(&fds);
	close(s);
	return ep;
}

/* The library bridge: gVisor's link <-> tap:pl0 until the peer goes (exit 3). */
static void lib_bridge(const struct run *r, int fd)
{
	child_to_log(br_log);
	setvbuf(stdout, NULL, _IONBF, 0);
	char err[256] = "";
	struct pktlink_ep *tap = NULL;
	if (pktlink_open(!strcmp(r->link, "fd") && r->vnet ? "tap:pl0?vnet_hdr=1" : "tap:pl0", &tap,
			 err, sizeof(err))) {
		printf("tap: %s\n", err);
		_exit(2);
	}
	struct pktlink_ep *g = lib_open_peer(r, fd);
	if (!g)
		_exit(2);
	printf("bridge up\n");
	uint64_t t0 = now_ms();
	/* Bounded: the case's time limit kills us long before this ends. */
	while (now_ms() - t0 < 600000) {
		int a = lib_burst(g, tap);
		if (a < 0) {
			printf("peer-gone %s\n", strerror(-a));
			struct pktlink_shm_stats ss = { .sz = sizeof(ss) };
			if (!pktlink_shm_get_stats(g, &ss))
				printf("rx_trimmed %llu\n", (unsigned long long)ss.rx_trimmed);
			_exit(3);
		}
		int b = lib_burst(tap, g);
		if (b < 0) {
			printf("tap: %s\n", strerror(-b));
			_exit(2);
		}
		if (!a && !b) {
			struct pollfd p[2] = { { .fd = pktlink_fd(g), .events = POLLIN },
					       { .fd = pktlink_fd(tap), .events = POLLIN } };
			poll(p, 2, 5);
		}
	}
	_exit(0);
}

/* ---- one run ---- */

static int run_case(const struct run *r)
{
	if (!PKTLINK_GVPEER[0] || access(PKTLINK_GVPEER, X_OK)) {
		fprintf(stderr,
			"SKIP: the gVisor peer was not built (%s): install golang-go and "
			"golang-gvisor-gvisor-dev (scripts/deps.sh) and reconfigure\n",
			PKTLINK_GVPEER[0] ? PKTLINK_GVPEER : "go or the gVisor source not found");
		return PLT_SKIP;
	}
	snprintf(sock_path, sizeof(sock_path), "/tmp/pktlink-gv-%d.sock", getpid());
	snprintf(gv_log, sizeof(gv_log), "/tmp/pktlink-gv-%d.gvisor.log", getpid());
	snprintf(br_log, sizeof(br_log), "/tmp/pktlink-gv-%d.bridge.log", getpid());
	/* fdbased's virtio-net header carries GSO: the TAP takes it through. */
	bool fd_vnet = !strcmp(r->link, "fd") && r->vnet;
	plt_sh_ok("ip tuntap add dev pl0 mode tap%s && ip link set pl0 mtu %u up && "
		  "ip addr add " KERNEL_ADDR " dev pl0",
		  fd_vnet ? " vnet_hdr" : "", r->mtu);
	const char *tap_spec = fd_vnet ? "tap:pl0?vnet_hdr=1" : "tap:pl0";

	char mtu[16], spec[256];
	snprintf(mtu, sizeof(mtu), "%u", r->mtu);
	char *gv_argv[16] = { PKTLINK_GVPEER, "-link", (char *)r->link, "-mtu", mtu, "-addr",
			      GV_ADDR "/24" };
	int ga = 7;
	int sp[2] = { -1, -1 };
	bool fdmode = !strcmp(r->link, "fd");
	if (fdmode) {
		/* CLOEXEC: each process must hold only its own end, or a
		 * death never shows as a hang-up on the other. */
		PLT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp));
		gv_argv[ga++] = "-fd";
		gv_argv[ga++] = "3";
	} else {
		gv_argv[ga++] = "-sock";
		gv_argv[ga++] = sock_path;
	}
	if (r->vnet)
		gv_argv[ga++] = "-vnet";
	gv_argv[ga] = NULL;

	/* The listening side starts first. */
	bool gv_listens = !strcmp(r->link, "shm-server");
	pid_t gv = -1, br = -1;
	if (gv_listens || fdmode) {
		gv = spawn(gv_argv, gv_log, fdmode ? sp[0] : -1);
		if (gv_listens && !log_has(gv_log, "listening", 60000))
			return show_log("gvisor", gv_log), 1;
	}
	if (r->bridge == FWD) {
		if (fdmode)
			snprintf(spec, sizeof(spec), "fd:%d?mtu=%u%s", PEER_FD, r->mtu,
				 r->vnet ? FD_VNET_KEYS : "");
		else if (gv_listens)
			snprintf(spec, sizeof(spec), "shm:%s?role=client&handover=fds&mtu=%u%s",
				 sock_path, r->mtu, r->vnet ? "&vnet_hdr=1" : "");
		else
			snprintf(spec, sizeof(spec),
				 "shm:%s?role=server&handover=fds&allow_unsealed=1&mtu=%u&timeout_ms=60000%s",
				 sock_path, r->mtu, r->vnet ? "&vnet_hdr=1" : "");
		char *fwd_argv[] = { PKTLINK_TOOL, "fwd", spec, (char *)tap_spec, "-d", "600", NULL };
		br = spawn(fwd_argv, br_log, fdmode ? sp[1] : -1);
	} else {
		fflush(NULL);
		br = fork();
		PLT_CHECK(br >= 0, "fork");
		if (br == 0) {
			if (sp[0] >= 0)
				close(sp[0]);
			lib_bridge(r, sp[1]);
		}
	}
	if (!gv_listens && !fdmode) {
		/* gVisor's client connects once the bridge listens. */
		if (r->bridge == LIB && !log_has(br_log, "listening", 20000))
			return show_log("bridge", br_log), 1;
		gv = spawn(gv_argv, gv_log, -1);
	}
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
	if (!log_has(gv_log, "ready", 60000)) {
		show_log("gvisor", gv_log);
		show_log("bridge", br_log);
		return 1;
	}

	int rc = 0;
	if (plt_sh("ping -c 3 -i 0.2 -w 20 " GV_ADDR " >&2")) {
		fprintf(stderr, "ping failed\n");
		rc = 1;
	}
	if (!rc && plt_sh("timeout 120 %s -kecho " GV_ADDR ":7 -min 60 -max %u >&2", PKTLINK_GVPEER,
			  r->mtu + 14)) {
		fprintf(stderr, "echo of every frame size failed\n");
		rc = 1;
	}
	/* PKTLINK_GVISOR_TCP_BYTES: larger transfers to measure throughput. */
	const char *env = getenv("PKTLINK_GVISOR_TCP_BYTES");
	long long nb = env && atoll(env) > 0 ? atoll(env) : r->tcp_bytes ? r->tcp_bytes : 20000000;
	if (!rc && plt_sh("timeout 120 %s -kput " GV_ADDR ":5001 -bytes %lld >&2", PKTLINK_GVPEER, nb)) {
		fprintf(stderr, "TCP kernel -> gVisor failed\n");
		rc = 1;
	}
	if (!rc && plt_sh("timeout 120 %s -kget " GV_ADDR ":5001 -bytes %lld >&2", PKTLINK_GVPEER, nb)) {
		fprintf(stderr, "TCP gVisor -> kernel failed\n");
		rc = 1;
	}

	/* SIGKILL one side; the other must notice within the limit. */
	if (!rc) {
		pid_t victim = r->kill_gvisor ? gv : br, other = r->kill_gvisor ? br : gv;
		uint64_t t0 = now_ms();
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
		int st = wait_exit(other, DETECT_LIMIT_MS);
		uint64_t dt = now_ms() - t0;
		const char *who = r->kill_gvisor ? "gVisor" : "pktlink";
		if (st < 0) {
			fprintf(stderr, "SIGKILL of %s not noticed within %d ms\n", who, DETECT_LIMIT_MS);
			rc = 1;
		} else {
			/* gvpeer and the library bridge exit 3 for "peer gone"; fwd exits 1 saying so. */
			bool said = log_has(r->kill_gvisor ? br_log : gv_log,
					    r->kill_gvisor && r->bridge == FWD ? "peer went away" : "peer-gone", 1000);
			fprintf(stderr, "SIGKILL of %s noticed after %llu ms (%s)\n", who,
				(unsigned long long)dt, said ? "reported as peer gone" : "NOT reported");
			if (!said)
				rc = 1;
		}
	}
	if (rc) {
		show_log("gvisor", gv_log);
		show_log("bridge", br_log);
	}
	kill(gv, SIGKILL);
	kill(br, SIGKILL);
	waitpid(gv, NULL, 0);
	waitpid(br, NULL, 0);
	unlink(gv_log);
	unlink(br_log);
	unlink(sock_path);
	return rc;
}

#define CASE(name, ...)                                                                        \
	static int name(void)                                                                  \
	{                                                                                      \
		struct run r = { __VA_ARGS__ };                                                \
		return run_case(&r);                                                           \
	}

/* gVisor as the sharedmem client (New), pktlink the server. */
CASE(gvisor_client_fwd, .link = "shm-client", .bridge = FWD, .mtu = 1500, .kill_gvisor = true)
CASE(gvisor_client_lib, .link = "shm-client", .bridge = LIB, .mtu = 1500, .kill_gvisor = false)
CASE(gvisor_client_mtu9000, .link = "shm-client", .bridge = FWD, .mtu = 9000, .kill_gvisor = false)
CASE(gvisor_client_vnet, .link = "shm-client", .bridge = LIB, .mtu = 1500, .vnet = true,
     .kill_gvisor = true)
/* gVisor as the sharedmem server (NewServerEndpoint), pktlink the client:
 * its padded completions must be trimmed. */
CASE(gvisor_server_fwd, .link = "shm-server", .bridge = FWD, .mtu = 1500, .kill_gvisor = false)
CASE(gvisor_server_lib, .link = "shm-server", .bridge = LIB, .mtu = 1500, .kill_gvisor = true)
CASE(gvisor_server_mtu9000, .link = "shm-server", .bridge = LIB, .mtu = 9000, .kill_gvisor = false)
/* gVisor's fdbased over a SOCK_SEQPACKET socketpair, pktlink's fd family. */
CASE(fdbased_fwd, .link = "fd", .bridge = FWD, .mtu = 1500, .kill_gvisor = true)
CASE(fdbased_lib, .link = "fd", .bridge = LIB, .mtu = 1500, .kill_gvisor = false)
CASE(fdbased_mtu9000, .link = "fd", .bridge = LIB, .mtu = 9000, .kill_gvisor = true)
CASE(fdbased_vnet_fwd, .link = "fd", .bridge = FWD, .mtu = 1500, .vnet = true, .kill_gvisor = false)
CASE(fdbased_vnet_lib, .link = "fd", .bridge = LIB, .mtu = 1500, .vnet = true, .kill_gvisor = true)

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "gvisor_client_fwd", gvisor_client_fwd, PLT_NETNS, 240 },
		{ "gvisor_client_lib", gvisor_client_lib, PLT_NETNS, 240 },
		{ "gvisor_client_mtu9000", gvisor_client_mtu9000, PLT_NETNS, 240 },
		{ "gvisor_client_vnet", gvisor_client_vnet, PLT_NETNS, 240 },
		{ "gvisor_server_fwd", gvisor_server_fwd, PLT_NETNS, 240 },
		{ "gvisor_server_lib", gvisor_server_lib, PLT_NETNS, 240 },
		{ "gvisor_server_mtu9000", gvisor_server_mtu9000, PLT_NETNS, 240 },
		{ "fdbased_fwd", fdbased_fwd, PLT_NETNS, 240 },
		{ "fdbased_lib", fdbased_lib, PLT_NETNS, 240 },
		{ "fdbased_mtu9000", fdbased_mtu9000, PLT_NETNS, 240 },
		{ "fdbased_vnet_fwd", fdbased_vnet_fwd, PLT_NETNS, 240 },
		{ "fdbased_vnet_lib", fdbased_vnet_lib, PLT_NETNS, 240 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
