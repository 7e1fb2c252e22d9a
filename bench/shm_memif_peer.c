/* SPDX-License-Identifier: MIT */
/*
 * shm_memif_peer.c — the DPDK reference of the shm scenarios: net_memif in
 * copy mode between two processes, without hugepages. It runs the generic
 * DPDK peer (bench/dpdk_peer, next to this program) twice:
 *
 *   a memif server in txonly mode (on the CPU after --cpu, no handshake,
 *   output discarded), and
 *   a memif client in rxdrop mode (on --cpu), whose stdin/stdout are ours,
 *   so it speaks the bench protocol (READY / GO / START / RESULT) itself.
 *
 *   shm_memif_peer --duration S --warmup S --len N --cpu N --prefix P
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

int main(int argc, char **argv)
{
	const char *dur = "2", *warm = "0.3", *len = "64", *prefix = "plmemif";
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
	kill(srv, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(srv, NULL, WNOHANG) == srv) {
			srv = 0;
			break;
		}
		usleep(20000);
	}
	if (srv) {
		kill(srv, SIGKILL);
		waitpid(srv, NULL, 0);
	}
	unlink(sock);
	char rt[256];
	snprintf(rt, sizeof(rt), "rm -rf /var/run/dpdk/%s", ps);
	if (system(rt)) {
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
