/* SPDX-License-Identifier: MIT */
/*
 * fwd_testlib.h — kernel traffic through `pktlink fwd` between two network
 * namespaces, for the tests in tests/fwd/.
 *
 * Layout: the case's own namespace (the harness makes one per case) is the
 * middle, where pktlink fwd runs. Two child namespaces, A and B, are each
 * held by a forked process that sleeps in it (it dies with the case, so
 * nothing outlives a crash). Each has one device: the far end of a veth
 * pair whose near end stays in the middle (packet, xdp), or the TAP device
 * fwd created, moved in after fwd opened it (tap). A is 198.18.0.1/24 and
 * 2001:2::1/64, B is .2 and ::2: one L2 segment through the forwarder.
 *
 * Kernel TCP and UDP run in forked children that enter A or B (setns); the
 * TCP payload is a file compared by sha256sum at both ends. Every wait is
 * bounded.
 *
 * The pktlink binary is PKTLINK_TOOL (tests/CMakeLists.txt defines it).
 */
#ifndef PKTLINK_TESTS_FWD_TESTLIB_H
#define PKTLINK_TESTS_FWD_TESTLIB_H

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PKTLINK_TOOL
#error "PKTLINK_TOOL (the pktlink binary's path) must be defined by the build"
#endif

/* ---- namespaces ---- */

/* ft_ns_new() - a process holding a new network namespace with lo up. */
static inline pid_t ft_ns_new(void)
{
	int p[2];
	PLT_CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char ok = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char ok = 0;
	PLT_CHECK(read(p[0], &ok, 1) == 1 && ok == 'y', "unshare(CLONE_NEWNET) in the holder");
	close(p[0]);
	close(p[1]);
	plt_sh_ok("nsenter --net=/proc/%d/ns/net ip link set lo up", pid);
	return pid;
}

/* ft_ns_enter() - move the calling process into @holder's namespace. */
static inline void ft_ns_enter(pid_t holder)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", holder);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "setns %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	close(fd);
}

/* ft_wait() - wait for @pid up to @timeout_s; kill it when late. Return its exit status or -1. */
static inline int ft_wait(pid_t pid, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		if (r < 0)
			return -1;
		if (plt_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(5000);
	}
}

/* ---- the forwarder process ---- */

struct ft_proc {
	pid_t pid;
	int out; /* its stderr and stdout */
	char buf[65536];
	size_t len;
};

/* ft_proc_read() - read what the process printed, waiting up to @ms. */
static inline void ft_proc_read(struct ft_proc *p, int ms)
{
	struct pollfd pfd = { p->out, POLLIN, 0 };
	while (p->len < sizeof(p->buf) - 1 && poll(&pfd, 1, ms) > 0) {
		ssize_t n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			break;
		p->len += (size_t)n;
		ms = 0;
	}
	p->buf[p->len] = '\0';
}

/* ft_fwd_start() - run `pktlink fwd` with @args (NULL-terminated); no wait. */
static inline void ft_fwd_start(struct ft_proc *p, const char *const *args)
{
	const char *argv[24] = { PKTLINK_TOOL, "fwd" };
	unsigned n = 2;
	for (unsigned i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int fds[2];
	PLT_CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	memset(p, 0, sizeof(*p));
	p->pid = fork();
	PLT_CHECK(p->pid >= 0, "fork");
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
	fcntl(p->out, F_SETFL, O_NONBLOCK);
}

/* ft_fwd_wait_for() - wait up to @timeout_s until the output holds @what. */
static inline bool ft_fwd_wait_for(struct ft_proc *p, const char *what, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	while (!strstr(p->buf, what)) {
		if (plt_now_ns() > end || waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			ft_proc_read(p, 50);
			return strstr(p->buf, what) != NULL;
		}
		ft_proc_read(p, 50);
	}
	return true;
}

/* ft_fwd_stop() - SIGTERM, wait (bounded), collect the output. Return the exit status. */
static inline int ft_fwd_stop(struct ft_proc *p)
{
	kill(p->pid, SIGTERM);
	uint64_t end = plt_now_ns() + 15000000000ull;
	int st = -1, ws;
	for (;;) {
		ft_proc_read(p, 20);
		pid_t r = waitpid(p->pid, &ws, WNOHANG);
		if (r == p->pid) {
			st = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			break;
		}
		if (plt_now_ns() > end) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &ws, 0);
			break;
		}
	}
	ft_proc_read(p, 50);
	close(p->out);
	return st;
}

/* ---- kernel TCP and UDP ---- */

/* ft_addr() - a sockaddr for "198.18.0.2" or "2001:2::2" and @port. */
static inline socklen_t ft_addr(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	PLT_CHECK(inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1, "address %s", ip);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

/* ft_tcp_server() - child: accept one connection on @ip:@port, write what
 * arrives to @path; signal readiness on @ready. Bounded by @timeout_s. */
static inline int ft_tcp_server(const char *ip, uint16_t port, const char *path, int ready, int timeout_s)
{
	struct sockaddr_storage ss;
	socklen_t sl = ft_addr(ip, port, &ss);
	int s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* bind may race with IPv6 address setup; retry briefly */
	int tries = 0;
	while (bind(s, (struct sockaddr *)&ss, sl) < 0) {
		if (++tries > 200) {
			fprintf(stderr, "tcp server bind %s: %s\n", ip, strerror(errno));
			return 1;
		}
		usleep(10000);
	}
	if (listen(s, 1) < 0)
		return 1;
	char c = 'r';
	if (write(ready, &c, 1) != 1)
		return 1;
	struct pollfd pfd = { s, POLLIN, 0 };
	if (poll(&pfd, 1, timeout_s * 1000) <= 0) {
		fprintf(stderr, "tcp server %s: no connection within %d s\n", ip, timeout_s);
		return 1;
	}
	int c2 = accept(s, NULL, NULL);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (c2 < 0 || out < 0)
		return 1;
	static char buf[65536];
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	for (;;) {
		struct pollfd q = { c2, POLLIN, 0 };
		if (poll(&q, 1, 1000) < 0 || plt_now_ns() > end) {
			fprintf(stderr, "tcp server %s: transfer not done within %d s\n", ip, timeout_s);
			return 1;
		}
		ssize_t n = read(c2, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return 1;
		}
		if (write(out, buf, (size_t)n) != n)
			return 1;
	}
	close(out);
	close(c2);
	return 0;
}

/* ft_tcp_client() - child: connect to @ip:@port and send the file @path. */
static inline int ft_tcp_client(const char *ip, uint16_t port, const char *path, int timeout_s)
{
	struct sockaddr_storage ss;
	socklen_t sl = ft_addr(ip, port, &ss);
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	int s = -1;
	/* The first SYN may wait for ARP/ND through the forwarder: retry. */
	for (;;) {
		s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timeval tv = { 2, 0 };
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(s, (struct sockaddr *)&ss, sl) == 0)
			break;
		int e = errno;
		close(s);
		if (plt_now_ns() > end) {
			fprintf(stderr, "tcp client %s: connect: %s\n", ip, strerror(e));
			return 1;
		}
		usleep(100000);
	}
	int in = open(path, O_RDONLY | O_CLOEXEC);
	static char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(s, buf + off, (size_t)(n - off));
			if (w < 0 && (errno == EAGAIN || errno == EINTR) && plt_now_ns() < end)
				continue;
			if (w <= 0) {
				fprintf(stderr, "tcp client %s: send: %s\n", ip, strerror(errno));
				return 1;
			}
			off += w;
		}
	}
	shutdown(s, SHUT_WR);
	/* wait for the server's close so every byte was acknowledged */
	struct pollfd q = { s, POLLIN, 0 };
	while (plt_now_ns() < end && poll(&q, 1, 1000) >= 0) {
		if (q.revents && read(s, buf, sizeof(buf)) <= 0)
			break;
	}
	close(s);
	close(in);
	return 0;
}

/* ft_sha256() - the sha256sum of a file (64 hex digits) into @out[65]. */
static inline void ft_sha256(const char *path, char out[65])
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	FILE *f = popen(cmd, "r");
	PLT_CHECK(f, "popen sha256sum");
	memset(out, 0, 65);
	PLT_CHECK(fread(out, 1, 64, f) == 64, "sha256sum %s", path);
	pclose(f);
}

/* ft_random_file() - write @bytes of pseudo-random data to @path. */
static inline void ft_random_file(const char *path, size_t bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	PLT_CHECK(fd >= 0, "create %s", path);
	uint64_t buf[8192];
	for (size_t done = 0; done < bytes;) {
		for (unsigned i = 0; i < 8192; i++)
			buf[i] = plt_rand();
		size_t n = bytes - done < sizeof(buf) ? bytes - done : sizeof(buf);
		PLT_CHECK(write(fd, buf, n) == (ssize_t)n, "write %s", path);
		done += n;
	}
	close(fd);
}

/*
 * ft_tcp() - send the file @src from namespace @from to @to_ip:@port in
 * namespace @to, where it is written to @dst; check both sha256 sums.
 */
static inline void ft_tcp(pid_t from, pid_t to, const char *to_ip, uint16_t port, const char *src,
		   const char *dst, int timeout_s)
{
	int p[2];
	PLT_CHECK(pipe(p) == 0, "pipe");
	pid_t srv = fork();
	PLT_CHECK(srv >= 0, "fork");
	if (srv == 0) {
		ft_ns_enter(to);
		_exit(ft_tcp_server(to_ip, port, dst, p[1], timeout_s));
	}
	close(p[1]);
	char c;
	struct pollfd pfd = { p[0], POLLIN, 0 };
	PLT_CHECK(poll(&pfd, 1, 10000) == 1 && read(p[0], &c, 1) == 1, "tcp server %s not ready",
		  to_ip);
	close(p[0]);
	pid_t cli = fork();
	PLT_CHECK(cli >= 0, "fork");
	if (cli == 0) {
		ft_ns_enter(from);
		_exit(ft_tcp_client(to_ip, port, src, timeout_s));
	}
	int rc = ft_wait(cli, timeout_s + 5), rs = ft_wait(srv, timeout_s + 5);
	PLT_CHECK(rc == 0 && rs == 0, "tcp to %s:%u: client %d, server %d", to_ip, port, rc, rs);
	char h1[65], h2[65];
	ft_sha256(src, h1);
	ft_sha256(dst, h2);
	PLT_CHECK(!strcmp(h1, h2), "tcp to %s: sha256 %s sent, %s received", to_ip, h1, h2);
}

/* ft_udp_echo_server() - child: echo every datagram on @ip:@port until "END" or @timeout_s. */
static inline int ft_udp_echo_server(const char *ip, uint16_t port, int ready, int timeout_s)
{
	struct sockaddr_storage ss, peer;
	socklen_t sl = ft_addr(ip, port, &ss);
	int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int tries = 0;
	while (bind(s, (struct sockaddr *)&ss, sl) < 0) {
		if (++tries > 200)
			return 1;
		usleep(10000);
	}
	char c = 'r';
	if (write(ready, &c, 1) != 1)
		return 1;
	static char buf[65536];
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	while (plt_now_ns() < end) {
		struct pollfd q = { s, POLLIN, 0 };
		if (poll(&q, 1, 200) <= 0)
			continue;
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
		if (n == 3 && !memcmp(buf, "END", 3))
			return 0;
		if (n > 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&peer, pl);
	}
	return 1;
}

/* ft_udp_client() - child: for each size, @count datagrams to the echo
 * server, each answered with the same bytes (retried when lost). */
static inline int ft_udp_client(const char *ip, uint16_t port, const unsigned *sizes, unsigned nsizes,
			 unsigned count, int timeout_s)
{
	struct sockaddr_storage ss;
	socklen_t sl = ft_addr(ip, port, &ss);
	int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (connect(s, (struct sockaddr *)&ss, sl) < 0)
		return 1;
	static uint8_t out[65536], in[65536];
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	for (unsigned z = 0; z < nsizes; z++) {
		for (unsigned k = 0; k < count; k++) {
			unsigned len = sizes[z];
			for (unsigned i = 0; i < len; i++)
				out[i] = (uint8_t)(i * 7 + k * 13 + z);
			memcpy(out, &k, len < sizeof(k) ? len : sizeof(k));
			bool ok = false;
			while (!ok) {
				if (plt_now_ns() > end) {
					fprintf(stderr, "udp %s: size %u #%u not echoed in time\n", ip,
						len, k);
					return 1;
				}
				if (send(s, out, len, 0) < 0 && errno != ECONNREFUSED) {
					usleep(10000);
					continue;
				}
				struct pollfd q = { s, POLLIN, 0 };
				while (poll(&q, 1, 300) > 0) {
					ssize_t n = recv(s, in, sizeof(in), 0);
					if (n == (ssize_t)len && !memcmp(in, out, len)) {
						ok = true;
						break;
					}
				}
			}
		}
	}
	send(s, "END", 3, 0);
	usleep(50000);
	send(s, "END", 3, 0);
	return 0;
}

/* ft_udp() - UDP echo from namespace @from through the forwarder to @to and back. */
static inline void ft_udp(pid_t from, pid_t to, const char *to_ip, uint16_t port, int timeout_s)
{
	static const unsigned sizes[] = { 1, 18, 200, 1000, 1472, 3000, 9000 };
	int p[2];
	PLT_CHECK(pipe(p) == 0, "pipe");
	pid_t srv = fork();
	PLT_CHECK(srv >= 0, "fork");
	if (srv == 0) {
		ft_ns_enter(to);
		_exit(ft_udp_echo_server(to_ip, port, p[1], timeout_s));
	}
	close(p[1]);
	char c;
	struct pollfd pfd = { p[0], POLLIN, 0 };
	PLT_CHECK(poll(&pfd, 1, 10000) == 1 && read(p[0], &c, 1) == 1, "udp server not ready");
	close(p[0]);
	pid_t cli = fork();
	PLT_CHECK(cli >= 0, "fork");
	if (cli == 0) {
		ft_ns_enter(from);
		_exit(ft_udp_client(to_ip, port, sizes, sizeof(sizes) / sizeof(*sizes), 10, timeout_s));
	}
	int rc = ft_wait(cli, timeout_s + 5);
	int rs = ft_wait(srv, 5);
	PLT_CHECK(rc == 0, "udp echo %s -> %s: client %d", "from", to_ip, rc);
	(void)rs; /* the server may miss END; the client's echoes are the check */
}

/* ft_ping() - wait until @from reaches @ip (ARP/ND through the forwarder), at most @timeout_s. */
static inline void ft_ping(pid_t from, const char *ip, int timeout_s)
{
	uint64_t end = plt_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	while (plt_sh("nsenter --net=/proc/%d/ns/net ping -n -q -c 1 -W 1 %s >/dev/null 2>&1", from,
		      ip) != 0)
		PLT_CHECK(plt_now_ns() < end, "ping %s: no answer within %d s", ip, timeout_s);
}

#endif
