/* SPDX-License-Identifier: MIT */
/* harness.c — see harness.h. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* LeakSanitizer's entry point when the test is built with ASan; the case's
 * child ends with _exit(), which skips LSan's at-exit check, so the harness
 * runs it explicitly after each case. */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

uint64_t plt_rand(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

const char *plt_errname(int err)
{
	return strerror(err);
}

uint64_t plt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int vsh(const char *fmt, va_list ap)
{
	char cmd[1024];
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	fflush(stdout);
	fflush(stderr);
	int st = system(cmd);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int plt_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(fmt, ap);
	va_end(ap);
	return r;
}

void plt_sh_ok(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = plt_sh("%s", cmd);
	PLT_CHECK(r == 0, "command failed (%d): %s", r, cmd);
}

void plt_veth(const char *a, const char *b, unsigned mtu, const char *addr_a, const char *addr_b)
{
	plt_sh_ok("ip link add %s mtu %u type veth peer name %s mtu %u", a, mtu ? mtu : 1500, b,
		  mtu ? mtu : 1500);
	plt_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 net.ipv6.conf.%s.disable_ipv6=1 "
	       ">/dev/null 2>&1",
	       a, b);
	if (addr_a)
		plt_sh_ok("ip addr add %s dev %s", addr_a, a);
	if (addr_b)
		plt_sh_ok("ip addr add %s dev %s", addr_b, b);
	plt_sh_ok("ip link set %s up && ip link set %s up", a, b);
	PLT_CHECK(plt_wait_link_up(a, PLT_WAIT_MS) && plt_wait_link_up(b, PLT_WAIT_MS),
		  "veth %s/%s did not come up within %d ms", a, b, PLT_WAIT_MS);
}

int plt_ifindex(const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);
	PLT_CHECK(idx != 0, "no device %s", ifname);
	return (int)idx;
}

void plt_mac(const char *ifname, uint8_t mac[6])
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	PLT_CHECK(s >= 0, "socket: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	PLT_CHECK(ioctl(s, SIOCGIFHWADDR, &ifr) == 0, "SIOCGIFHWADDR %s: %s", ifname,
		  strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

static int count_dir(const char *path);

int plt_fd_count(void)
{
	return count_dir("/proc/self/fd") - 1; /* the DIR's own fd */
}

void plt_backoff(unsigned i)
{
	usleep(i < 20 ? 1000 : i < 100 ? 5000 : 20000);
}

bool plt_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
	return PLT_WAIT(cond(arg), timeout_ms);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int plt_thread_count(void)
{
	return count_dir("/proc/self/task");
}

int plt_wait_threads(int want)
{
	int n = -1;
	PLT_WAIT((n = plt_thread_count()) == want, PLT_WAIT_MS);
	return n;
}

/* One RTM_GETLINK for ifindex: operstate and qdisc name. 0 or -errno. */
static int link_state(int ifindex, unsigned *oper, char *qdisc, size_t qlen)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	static __thread char buf[16384];
	int r = -EIO;
	if (send(s, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		r = -errno;
		goto out;
	}
	ssize_t n = recv(s, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		goto out;
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != RTM_NEWLINK) {
		if (nh->nlmsg_type == NLMSG_ERROR)
			r = ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
		goto out;
	}
	*oper = 255; /* absent */
	qdisc[0] = 0;
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == IFLA_OPERSTATE && RTA_PAYLOAD(a) >= 1)
			*oper = *(const uint8_t *)RTA_DATA(a);
		else if (a->rta_type == IFLA_QDISC)
			snprintf(qdisc, qlen, "%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
	}
	r = 0;
out:
	close(s);
	return r;
}

/* RFC 2863 operstates (linux/if.h, which clashes with net/if.h). */
enum { PLT_OPER_UNKNOWN = 0, PLT_OPER_UP = 6 };

struct link_wait {
	int ifindex;
	unsigned oper;
	char qdisc[32];
};

static bool link_up(void *arg)
{
	struct link_wait *w = arg;
	if (link_state(w->ifindex, &w->oper, w->qdisc, sizeof(w->qdisc)))
		return false;
	return (w->oper == PLT_OPER_UP || w->oper == PLT_OPER_UNKNOWN) && w->qdisc[0] &&
	       strcmp(w->qdisc, "noop") != 0;
}

bool plt_wait_link_up(const char *ifname, int timeout_ms)
{
	struct link_wait w = { .ifindex = (int)if_nametoindex(ifname) };
	if (!w.ifindex)
		return false;
	if (plt_wait_until(link_up, &w, timeout_ms))
		return true;
	fprintf(stderr, "%s: not up after %d ms: operstate %u, qdisc '%s'\n", ifname, timeout_ms,
		w.oper, w.qdisc);
	return false;
}

int plt_mount_bpffs(void)
{
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0 || errno == EBUSY)
		return 0;
	return -errno;
}

static uint16_t csum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t plt_build_udp(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		       uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		       const void *payload, uint32_t payload_len)
{
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	uint8_t *ip = buf + 14;
	uint16_t tot = (uint16_t)(20 + 8 + payload_len);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	uint32_t s = htonl(src_ip), d = htonl(dst_ip);
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	uint16_t c = csum16(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	uint8_t *udp = ip + 20;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	uint16_t ulen = (uint16_t)(8 + payload_len);
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	udp[6] = udp[7] = 0;
	if (payload)
		memcpy(udp + 8, payload, payload_len);
	else
		for (uint32_t i = 0; i < payload_len; i++)
			udp[8 + i] = (uint8_t)(i * 7 + sport);
	/* pseudo header */
	uint32_t sum = 0;
	sum += (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff);
	sum += 17 + ulen;
	c = csum16(udp, ulen, sum);
	if (c == 0)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return 14u + tot;
}

static int child_run(const struct plt_case *c)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rng_state ^= (uint64_t)strlen(c->name) * 0x100000001b3ull;
	if (c->kind == PLT_NETNS) {
		if (geteuid() != 0) {
			fprintf(stderr, "needs root (network namespace)\n");
			return PLT_SKIP;
		}
		if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
			fprintf(stderr, "unshare(CLONE_NEWNET|CLONE_NEWNS): %s\n", strerror(errno));
			return PLT_SKIP;
		}
		/* Keep our mounts (bpffs, /sys) private to this case. */
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		/* A sysfs of the new namespace, so /sys/class/net shows our devices. */
		umount2("/sys", MNT_DETACH);
		mount("sysfs", "/sys", "sysfs", 0, NULL);
		/* Named namespaces a case adds (`ip netns add`) live in a
		 * /run/netns of its own: their files vanish with the case,
		 * even when it fails early, crashes or is killed, instead of
		 * staying in the machine's /run/netns as dead names. */
		mkdir("/run/netns", 0755);
		if (mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755,size=1m") < 0) {
			fprintf(stderr, "mount tmpfs on /run/netns: %s\n", strerror(errno));
			return 1;
		}
		if (plt_sh("ip link set lo up") != 0)
			return 1;
	}
	return c->fn();
}

int plt_main(int argc, char **argv, const struct plt_case *cases, unsigned ncases)
{
	unsigned passed = 0, failed = 0, skipped = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned i = 0; i < ncases; i++) {
		const struct plt_case *c = &cases[i];
		if (argc > 1) {
			bool want = false;
			for (int a = 1; a < argc; a++)
				if (!strcmp(argv[a], c->name))
					want = true;
			if (!want)
				continue;
		}
		int timeout = c->timeout_s ? c->timeout_s : 60;
		fflush(stdout);
		fflush(stderr);
		uint64_t t0 = plt_now_ns();
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			alarm((unsigned)timeout + 5); /* belt and braces: the parent kills first */
			int r = child_run(c);
			if (r == 0 && __lsan_do_recoverable_leak_check &&
			    __lsan_do_recoverable_leak_check()) {
				fprintf(stderr, "%s: memory leaked (LeakSanitizer report above)\n",
					c->name);
				r = 1;
			}
			fflush(stdout);
			fflush(stderr);
			_exit(r);
		}
		int st = 0;
		bool timed_out = false;
		for (;;) {
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid)
				break;
			if (plt_now_ns() - t0 > (uint64_t)timeout * 1000000000ull) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				timed_out = true;
				break;
			}
			usleep(2000);
		}
		double secs = (double)(plt_now_ns() - t0) / 1e9;
		if (timed_out) {
			printf("FAIL %s (timed out after %d s)\n", c->name, timeout);
			failed++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("ok   %s (%.2f s)\n", c->name, secs);
			passed++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == PLT_SKIP) {
			printf("skip %s\n", c->name);
			skipped++;
		} else if (WIFSIGNALED(st)) {
			printf("FAIL %s (signal %d: %s)\n", c->name, WTERMSIG(st),
			       strsignal(WTERMSIG(st)));
			failed++;
		} else {
			printf("FAIL %s (exit %d)\n", c->name, WEXITSTATUS(st));
			failed++;
		}
	}
	printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	if (failed)
		return 1;
	return passed ? 0 : PLT_SKIP;
}
