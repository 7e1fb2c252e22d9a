/* SPDX-License-Identifier: MIT */
/*
 * shm_memif_peer.c — the DPDK reference of the shm and memif scenarios:
 * net_memif in copy mode between two processes, without hugepages. It runs
 * the generic DPDK peer (bench/dpdk_peer, next to this program) twice:
 *
 *   --dir s2c (default): a memif server in txonly mode (on the CPU after
 *   --cpu, no handshake, output discarded), and a memif client in rxdrop
 *   mode (on --cpu), whose stdin/stdout are ours, so it speaks the bench
 *   protocol (READY / GO / START / RESULT) itself;
 *   --dir c2s: a memif server in rxdrop mode on --cpu, speaking the bench
 *   protocol through us (we relay its output, to start the client once it
 *   listens), and a memif client in txonly mode on the other CPU.
 *
 *   shm_memif_peer --duration S --warmup S --len N --cpu N --prefix P [--dir s2c|c2s]
 *
 * The socket is a file in /tmp (socket-abstract=no), so the two processes
 * meet whatever namespace they run in. The server is killed when the
 * client has reported.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

/* stop_child() - SIGTERM, then SIGKILL after 2 s. */
static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* remove_runtime() - DPDK's runtime directory of a file prefix. */
static void remove_runtime(const char *prefix)
{
	char rt[256];
	snprintf(rt, sizeof(rt), "rm -rf /var/run/dpdk/%s", prefix);
	if (system(rt)) {
	}
}

/*
 * run_c2s() - DPDK client floods, the measured DPDK server receives. The
 * server's output is relayed line by line to the bench; its READY is held
 * back until the client has started too (its READY, then 200 ms for the
 * handshake), because the bench starts the window right after READY and a
 * DPDK process's start takes up to seconds on a loaded machine.
 */
static int run_c2s(const char *peer, const char *sock, const char *vs, const char *vc,
		   const char *cs, const char *cc, const char *ps, const char *pc, const char *len,
		   const char *dur, const char *warm, const char *sdur)
{
	int so[2], co[2];
	if (pipe(so) || pipe(co)) {
		printf("ERROR pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t srv = fork();
	if (srv == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(so[1], 1);
		close(so[0]);
		close(co[0]);
		close(co[1]);
		execl(peer, peer, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", pc, "-l", cc,
		      "--vdev", vs, "--", "--mode", "rxdrop", "--len", len, "--duration", dur,
		      "--warmup", warm, (char *)NULL);
		_exit(127);
	}
	close(so[1]);
	FILE *sf = fdopen(so[0], "r");
	char line[512];
	pid_t cli = 0;
	while (sf && fgets(line, sizeof(line), sf)) {
		if (!cli && !strncmp(line, "READY", 5)) {
			cli = fork();
			if (cli == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				int dn = open("/dev/null", O_RDWR);
				if (dn >= 0)
					dup2(dn, 0);
				dup2(co[1], 1);
				close(co[0]);
				execl(peer, peer, "--no-huge", "-m", "512", "--no-pci", "--file-prefix",
				      ps, "-l", cs, "--vdev", vc, "--", "--mode", "txonly", "--len", len,
				      "--duration", sdur, "--warmup", "0", "--no-wait", (char *)NULL);
				_exit(127);
			}
			close(co[1]);
			FILE *cf = fdopen(co[0], "r");
			char cl[256];
			bool up = false;
			while (cf && fgets(cl, sizeof(cl), cf))
				if (!strncmp(cl, "READY", 5)) {
					up = true;
					break;
				}
			if (!up) {
				printf("ERROR the memif client (dpdk_peer txonly) did not start\n");
				fflush(stdout);
				stop_child(srv);
				stop_child(cli);
				return 1;
			}
			usleep(200000);
		}
		fputs(line, stdout);
		fflush(stdout);
	}
	int st = 0;
	waitpid(srv, &st, 0);
	stop_child(cli);
	unlink(sock);
	remove_runtime(ps);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	const char *dur = "2", *warm = "0.3", *len = "64", *prefix = "plmemif", *dir = "s2c";
	int cpu = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--duration"))
			dur = argv[i + 1];
		else if (!strcmp(argv[i], "--warmup"))
			warm = argv[i + 1];
		else if (!strcmp(argv[i], "--len"))
			len = argv[i + 1];
		else if (!strcmp(argv[i], "--cpu"))
			cpu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--prefix"))
			prefix = argv[i + 1];
		else if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else {
			printf("ERROR unknown option %s\n", argv[i]);
			return 2;
		}
	}
	char self[PATH_MAX], peer[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		printf("ERROR readlink /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self[n] = 0;
	snprintf(peer, sizeof(peer), "%s/dpdk_peer", dirname(self));
	if (access(peer, X_OK)) {
		printf("ERROR %s is missing (it is built when libdpdk is found)\n", peer);
		return 1;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/* The bench pins us to --cpu; EAL refuses an -l outside the affinity
	 * mask, so open it up again (each EAL pins itself to its -l). */
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &all);
	sched_setaffinity(0, sizeof(all), &all);
	char sock[128], vs[256], vc[256], cs[16], cc[16], ps[96], pc[96], sdur[32];
	snprintf(sock, sizeof(sock), "/tmp/pktlink-memif-%d.sock", (int)getpid());
	snprintf(vs, sizeof(vs), "net_memif0,role=server,socket=%s,socket-abstract=no", sock);
	snprintf(vc, sizeof(vc), "net_memif0,role=client,socket=%s,socket-abstract=no", sock);
	snprintf(cs, sizeof(cs), "%d", (int)((cpu + 1) % (ncpu > 0 ? ncpu : 1)));
	snprintf(cc, sizeof(cc), "%d", cpu);
	snprintf(ps, sizeof(ps), "%s-srv", prefix);
	snprintf(pc, sizeof(pc), "%s", prefix);
	snprintf(sdur, sizeof(sdur), "%.3f", atof(dur) + atof(warm) + 30);
	unlink(sock);
	fflush(NULL);
	if (!strcmp(dir, "c2s"))
		return run_c2s(peer, sock, vs, vc, cs, cc, ps, pc, len, dur, warm, sdur);
	if (strcmp(dir, "s2c")) {
		printf("ERROR --dir '%s': use s2c or c2s\n", dir);
		return 2;
	}
	/* The server's stdout comes to us: the client starts only once the
	 * server is up, or the client's whole window could pass while it
	 * waits for its reconnect timer. */
	int so[2];
	if (pipe(so)) {
		printf("ERROR pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t srv = fork();
	if (srv == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int dn = open("/dev/null", O_RDWR);
		if (dn >= 0)
			dup2(dn, 0);
		dup2(so[1], 1);
		close(so[0]);
		execl(peer, peer, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", ps, "-l", cs,
		      "--vdev", vs, "--", "--mode", "txonly", "--len", len, "--duration", sdur,
		      "--warmup", "0", "--no-wait", (char *)NULL);
		_exit(127);
	}
	close(so[1]);
	FILE *sf = fdopen(so[0], "r");
	char line[256];
	bool up = false;
	while (sf && fgets(line, sizeof(line), sf))
		if (!strncmp(line, "READY", 5)) {
			up = true;
			break;
		}
	if (!up) {
		printf("ERROR the memif server (dpdk_peer) did not start\n");
		fflush(stdout);
		kill(srv, SIGKILL);
		waitpid(srv, NULL, 0);
		return 1;
	}
	pid_t cli = fork();
	if (cli == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(peer, peer, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", pc, "-l", cc,
		      "--vdev", vc, "--", "--mode", "rxdrop", "--len", len, "--duration", dur,
		      "--warmup", warm, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(cli, &st, 0);
	stop_child(srv);
	unlink(sock);
	remove_runtime(ps);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
