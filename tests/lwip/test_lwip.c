/* SPDX-License-Identifier: MIT */
/*
 * lwIP on pktlink, reached by the kernel: pktlink-lwip-httpd runs in the
 * case's namespace on an xdp, packet, tap or shm endpoint; the kernel's
 * stack (curl, ping) runs in a second, named namespace (veth cases) or
 * behind the TAP device. The 1 MiB page is checked with sha256 against
 * `pktlink-lwip-httpd --page`. The peer-gone cases delete the link under
 * lwIP and wait for the program to report "link down".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define LW_IP "198.18.0.2"
#define PEER_IP "198.18.0.1"

static char ns_name[64]; /* the kernel peer's namespace ("" = this one) */
static char out_path[128], fwd_out[128], dl_path[128], sock_path[128];
static pid_t srv_pid = -1, fwd_pid = -1;

static void stop_pid(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = -1;
}

/* Runs when the case's child exits, also after a failed check. */
static void cleanup(void)
{
	stop_pid(&srv_pid);
	stop_pid(&fwd_pid);
	if (ns_name[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns_name);
		if (system(cmd)) {
		}
	}
	unlink(out_path);
	unlink(fwd_out);
	unlink(dl_path);
	unlink(sock_path);
}

static int setup_common(void)
{
	if (plt_sh("command -v curl >/dev/null && command -v ping >/dev/null") != 0) {
		fprintf(stderr, "SKIP: curl or ping missing: run scripts/deps.sh (installs curl, "
				"iputils-ping)\n");
		return PLT_SKIP;
	}
	snprintf(out_path, sizeof(out_path), "/tmp/plt-lwip-%d.out", getpid());
	snprintf(fwd_out, sizeof(fwd_out), "/tmp/plt-lwip-%d.fwd", getpid());
	snprintf(dl_path, sizeof(dl_path), "/tmp/plt-lwip-%d.dl", getpid());
	snprintf(sock_path, sizeof(sock_path), "/tmp/plt-lwip-%d.sock", getpid());
	atexit(cleanup);
	return 0;
}

/* veth lwa (here, lwIP's) <-> lwb (in a named namespace, the kernel's). */
static void setup_veth(bool peer_tx_csum_off)
{
	snprintf(ns_name, sizeof(ns_name), "plt-lwip-%d", getpid());
	plt_sh_ok("ip netns add %s", ns_name);
	plt_veth("lwa", "lwb", 1500, NULL, NULL);
	plt_sh_ok("ip link set lwb netns %s", ns_name);
	plt_sh_ok("ip -n %s link set lo up && ip -n %s addr add " PEER_IP "/24 dev lwb && "
		  "ip -n %s link set lwb up",
		  ns_name, ns_name, ns_name);
	if (peer_tx_csum_off) /* AF_XDP frames carry no partial-checksum flag; tso goes too */
		plt_sh_ok("ip netns exec %s ethtool -K lwb tx off >/dev/null", ns_name);
}

/* A TAP device here: the kernel's side of it is this namespace's stack. */
static void setup_tap(void)
{
	plt_sh_ok("ip tuntap add lwt0 mode tap && ip addr add " PEER_IP "/24 dev lwt0 && "
		  "ip link set lwt0 up");
}

/* Common setup plus the link: 't' TAP, 'x' veth for AF_XDP (peer checksums
 * complete), else veth. */
static int setup_link(int kind)
{
	int r = setup_common();
	if (r)
		return r;
	if (kind == 't')
		setup_tap();
	else
		setup_veth(kind == 'x');
	return 0;
}

static pid_t spawn(const char *out, char *const argv[])
{
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static bool file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Wait (bounded) for a line containing @needle in the program's output. */
static void wait_line(const char *needle, int timeout_s)
{
	uint64_t deadline = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	while (!file_has(out_path, needle)) {
		int st;
		if (srv_pid > 0 && waitpid(srv_pid, &st, WNOHANG) == srv_pid) {
			srv_pid = -1;
			plt_sh("cat %s >&2", out_path);
			PLT_CHECK(0, "pktlink-lwip-httpd exited before printing \"%s\"", needle);
		}
		if (plt_now_ns() > deadline) {
			plt_sh("cat %s >&2", out_path);
			PLT_CHECK(0, "no \"%s\" from pktlink-lwip-httpd within %d s", needle, timeout_s);
		}
		usleep(20000);
	}
}

static bool handoff; /* run the program with --handoff */

static void start_server(const char *spec)
{
	char *argv[] = { (char *)PLT_LWIP_HTTPD, (char *)spec, (char *)LW_IP "/24", NULL, NULL };
	if (handoff) {
		argv[3] = argv[2];
		argv[2] = argv[1];
		argv[1] = (char *)"--handoff";
	}
	srv_pid = spawn(out_path, argv);
	wait_line("ready:", 30);
}

/* "ip netns exec NS " or "" for the TAP cases. */
static const char *peer(void)
{
	static char buf[96];
	if (!ns_name[0])
		return "";
	snprintf(buf, sizeof(buf), "ip netns exec %s ", ns_name);
	return buf;
}

static void check_ping(void)
{
	/* -w: up to 10 s for the first replies (ARP, a loaded machine) */
	plt_sh_ok("%sping -q -c 3 -i 0.2 -w 10 " LW_IP " >/dev/null", peer());
}

static void check_page(void)
{
	plt_sh_ok("%scurl -sS -m 60 --retry 3 --retry-connrefused -o %s http://" LW_IP "/1M",
		  peer(), dl_path);
	struct stat st;
	PLT_CHECK(stat(dl_path, &st) == 0 && st.st_size == 1 << 20, "download is %lld bytes",
		  (long long)st.st_size);
	plt_sh_ok("test \"$(sha256sum < %s)\" = \"$(%s --page | sha256sum)\"", dl_path,
		  PLT_LWIP_HTTPD);
	/* the small page and an unknown path too */
	plt_sh_ok("%scurl -sS -m 30 http://" LW_IP "/ | grep -q 'lwIP on pktlink'", peer());
	plt_sh_ok("test \"$(%scurl -s -m 30 -o /dev/null -w '%%{http_code}' http://" LW_IP
		  "/nope)\" = 404",
		  peer());
}

/* SIGTERM: the program removes its netif, prints its counters, exits 0. */
static void stop_server_clean(void)
{
	kill(srv_pid, SIGTERM);
	uint64_t deadline = plt_now_ns() + 20ull * 1000000000ull;
	int st = 0;
	pid_t r;
	while ((r = waitpid(srv_pid, &st, WNOHANG)) == 0 && plt_now_ns() < deadline)
		usleep(20000);
	if (r != srv_pid)
		plt_sh("cat %s >&2", out_path);
	PLT_CHECK(r == srv_pid, "pktlink-lwip-httpd did not exit within 20 s of SIGTERM");
	srv_pid = -1;
	PLT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
	PLT_CHECK(file_has(out_path, "stats: rx_frames="), "no counters printed");
}

static int serve_and_fetch(const char *spec, int kind)
{
	int r = setup_link(kind);
	if (r)
		return r;
	start_server(spec);
	check_ping();
	check_page();
	stop_server_clean();
	cleanup(); /* the harness ends a passing case with _exit() */
	return 0;
}

static int t_packet(void)
{
	/* vnet_hdr=1: the kernel says which checksums are partial (veth TX
	 * offload) and may hand TSO super-packets, which lwIP takes whole */
	return serve_and_fetch("packet:lwa?vnet_hdr=1", 'p');
}

/* the receive worker hands bursts to lwIP's tcpip thread */
static int t_packet_handoff(void)
{
	handoff = true;
	return serve_and_fetch("packet:lwa?vnet_hdr=1", 'p');
}

static int t_xdp(void)
{
	return serve_and_fetch("xdp:lwa", 'x');
}

static int t_tap(void)
{
	return serve_and_fetch("tap:lwt0", 't');
}

/* shm: lwIP is the shared-memory client; `pktlink fwd` in a second process
 * bridges the server side to the veth. */
static int t_shm_fwd(void)
{
	int r = setup_common();
	if (r)
		return r;
	/* fwd passes frames as they are: the kernel peer must send complete
	 * checksums and no super-packets (the shm link here has no virtio-net
	 * header), and the bridge must take frames for lwIP's own MAC */
	setup_veth(true);
	char srv[192], cli[192];
	snprintf(srv, sizeof(srv), "shm:%s?role=server", sock_path);
	snprintf(cli, sizeof(cli), "shm:%s?role=client", sock_path);
	char *fargv[] = { (char *)PLT_PKTLINK_TOOL, (char *)"fwd", srv,
			  (char *)"packet:lwa?promisc=1", (char *)"--quiet", NULL };
	fwd_pid = spawn(fwd_out, fargv);
	uint64_t deadline = plt_now_ns() + 20ull * 1000000000ull;
	struct stat st;
	while (stat(sock_path, &st) != 0) {
		PLT_CHECK(plt_now_ns() < deadline, "pktlink fwd did not listen on %s", sock_path);
		usleep(20000);
	}
	start_server(cli);
	check_ping();
	check_page();
	stop_server_clean();
	cleanup(); /* the harness ends a passing case with _exit() */
	return 0;
}

/* Peer gone: delete the link under lwIP; the program must say "link down". */
static int gone(const char *spec, int kind)
{
	int r = setup_link(kind);
	if (r)
		return r;
	start_server(spec);
	check_ping();
	if (kind == 't')
		plt_sh_ok("ip link del lwt0");
	else
		plt_sh_ok("ip link del lwa");
	wait_line("link down:", 20);
	PLT_CHECK(file_has(out_path, "link down: No such device"), "unexpected reason");
	stop_server_clean();
	cleanup(); /* the harness ends a passing case with _exit() */
	return 0;
}

static int t_packet_gone(void)
{
	return gone("packet:lwa?vnet_hdr=1", 'p');
}

static int t_tap_gone(void)
{
	return gone("tap:lwt0", 't');
}

static int t_tap_handoff_gone(void)
{
	handoff = true;
	return gone("tap:lwt0", 't');
}

static int t_xdp_gone(void)
{
	return gone("xdp:lwa", 'x');
}

/* Bad input: a clear error, exit status 1 or 2, no hang. */
static int t_errors(void)
{
	PLT_CHECK(plt_sh("%s 'packet:nosuchdev0' " LW_IP "/24 2>&1 | grep -q nosuchdev0",
			 PLT_LWIP_HTTPD) == 0,
		  "an unknown device is not named in the error");
	PLT_CHECK(plt_sh("%s tap:x 300.1.1.1/24 >/dev/null 2>&1", PLT_LWIP_HTTPD) == 2,
		  "a bad address is not refused");
	PLT_CHECK(plt_sh("%s tap:x " LW_IP "/40 >/dev/null 2>&1", PLT_LWIP_HTTPD) == 2,
		  "a bad prefix is not refused");
	PLT_CHECK(plt_sh("%s >/dev/null 2>&1", PLT_LWIP_HTTPD) == 2, "no usage error");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "packet_http", t_packet, PLT_NETNS, 120 },
		{ "packet_http_handoff", t_packet_handoff, PLT_NETNS, 120 },
		{ "xdp_http", t_xdp, PLT_NETNS, 120 },
		{ "tap_http", t_tap, PLT_NETNS, 120 },
		{ "shm_fwd_http", t_shm_fwd, PLT_NETNS, 120 },
		{ "packet_gone", t_packet_gone, PLT_NETNS, 90 },
		{ "tap_gone", t_tap_gone, PLT_NETNS, 90 },
		{ "xdp_gone", t_xdp_gone, PLT_NETNS, 90 },
		{ "tap_handoff_gone", t_tap_handoff_gone, PLT_NETNS, 90 },
		{ "errors", t_errors, PLT_NETNS, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
