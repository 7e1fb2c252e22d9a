/* SPDX-License-Identifier: MIT */
/*
 * shm_seqpacket_peer.c — the plain-socket reference of the shm scenarios:
 * two processes joined by a SOCK_SEQPACKET socketpair. A forked sender
 * floods frames with sendmmsg (batches of 32); the measured receiver reads
 * them with recvmmsg (batches of 64) — the same pattern as shm/c2s.
 *
 *   shm_seqpacket_peer [--duration S] [--warmup S] [--len N] [--cpu N]
 *
 * Protocol with `pktlink bench` (bench/README.md): "READY", wait for a line
 * on stdin, warm up, "START", measure, "RESULT pkts=N secs=S cpu_ns=C".
 * The receiver runs on --cpu, the sender on the next CPU.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "peer_util.h"

#define TXB 32
#define RXB 64

/* Receive for ns nanoseconds; returns frames. */
static uint64_t recv_for(int fd, uint64_t ns, unsigned len)
{
	static char bufs[RXB][2048];
	struct iovec iov[RXB];
	struct mmsghdr m[RXB];
	for (int i = 0; i < RXB; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t end = now_ns() + ns, n = 0;
	struct timespec to = { 0, 50 * 1000 * 1000 };
	while (now_ns() < end) {
		int r = recvmmsg(fd, m, RXB, MSG_WAITFORONE, &to);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		n += (uint64_t)r;
	}
	(void)len;
	return n;
}

int main(int argc, char **argv)
{
	double dur = 2, warm = 0.3;
	unsigned len = 64;
	int cpu = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--duration"))
			dur = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--warmup"))
			warm = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--len"))
			len = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--cpu"))
			cpu = atoi(argv[i + 1]);
		else {
			printf("ERROR unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (len < 14 || len > 2048) {
		printf("ERROR --len %u: use 14..2048\n", len);
		return 2;
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0) {
		printf("ERROR socketpair: %s\n", strerror(errno));
		return 1;
	}
	/* Big socket buffers, as a fair tuned baseline. */
	int big = 4 << 20;
	setsockopt(sp[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		pin((int)((cpu + 1) % (ncpu > 0 ? ncpu : 1)));
		static char frame[2048];
		memset(frame, 0x5a, sizeof(frame));
		struct iovec iov = { frame, len };
		struct mmsghdr m[TXB];
		memset(m, 0, sizeof(m));
		for (int i = 0; i < TXB; i++) {
			m[i].msg_hdr.msg_iov = &iov;
			m[i].msg_hdr.msg_iovlen = 1;
		}
		for (;;)
			if (sendmmsg(sp[1], m, TXB, 0) < 0 && errno != EINTR)
				_exit(0); /* the receiver went away */
	}
	close(sp[1]);
	pin(cpu);
	printf("READY\n");
	fflush(stdout);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	recv_for(sp[0], (uint64_t)(warm * 1e9), len);
	printf("START\n");
	fflush(stdout);
	uint64_t c0 = cpu_ns(), t0 = now_ns();
	uint64_t n = recv_for(sp[0], (uint64_t)(dur * 1e9), len);
	uint64_t t1 = now_ns(), c1 = cpu_ns();
	printf("RESULT pkts=%llu secs=%.6f cpu_ns=%llu\n", (unsigned long long)n,
	       (double)(t1 - t0) / 1e9, (unsigned long long)(c1 - c0));
	fflush(stdout);
	close(sp[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
