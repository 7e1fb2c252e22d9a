/* SPDX-License-Identifier: MIT */
/*
 * test_fwd_cli: `pktlink fwd` as a user drives it.
 *   - the spec defaults a bridge needs (promisc=1, vnet_hdr=1) are added
 *     unless the spec sets them, and `fwd A A` (also the same device under
 *     two families) is refused with exit status 2;
 *   - exit status 1 when an endpoint cannot be opened, 3 when a peer goes
 *     away (the shared-memory client closes);
 *   - under a 64-byte UDP flood the counts add up: the JSON summary's "in"
 *     equals forwarded + lost, "in" is what the sender's device sent, and
 *     "forwarded" is what the receiver's device got; -v prints counts lines
 *     every interval and SIGUSR1 one at once.
 */
#include "fwd_pairs.h"

#include "../../tools/fwd_spec.c"

#include <inttypes.h>
#include <pktlink/pktlink.h>

/* defaults: what fwd adds to each family's spec. */
static int defaults(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "packet:veth0", "packet:veth0?promisc=1&vnet_hdr=1" },
		{ "packet:veth0?dispatch=mmap", "packet:veth0?dispatch=mmap&promisc=1&vnet_hdr=1" },
		{ "packet:veth0?promisc=0", "packet:veth0?promisc=0&vnet_hdr=1" },
		{ "packet:veth0?vnet_hdr=0&promisc=1", "packet:veth0?vnet_hdr=0&promisc=1" },
		{ "packet:veth0?", "packet:veth0?promisc=1&vnet_hdr=1" },
		{ "tap:pl0", "tap:pl0?promisc=1&vnet_hdr=1" },
		{ "tun:pl0", "tun:pl0?vnet_hdr=1" },
		{ "fd:3?mtu=1500", "fd:3?mtu=1500&promisc=1" },
		{ "fd:3?mtu=1500&hdr=none", "fd:3?mtu=1500&hdr=none" },
		{ "xdp:veth0?mode=skb", "xdp:veth0?mode=skb" },
		{ "shm:/run/x.sock?role=server", "shm:/run/x.sock?role=server" },
	};
	char out[256];
	for (unsigned i = 0; i < sizeof(t) / sizeof(*t); i++) {
		PLT_CHECK(fwd_spec_defaults(t[i].in, out, sizeof(out)) == 0, "%s", t[i].in);
		PLT_CHECK(!strcmp(out, t[i].out), "%s -> %s, want %s", t[i].in, out, t[i].out);
	}
	PLT_CHECK(fwd_spec_defaults("nofamily", out, sizeof(out)) == -EINVAL, "no family");
	PLT_CHECK(fwd_spec_defaults("packet:veth0", out, 20) == -ENAMETOOLONG, "too long");
	char why[256];
	PLT_CHECK(fwd_same_endpoint("packet:lo", "packet:lo?promisc=0", why, sizeof(why)), "same");
	PLT_CHECK(fwd_same_endpoint("packet:lo", "xdp:lo", why, sizeof(why)), "same dev");
	PLT_CHECK(!fwd_same_endpoint("packet:lo", "packet:lo0", why, sizeof(why)), "prefix");
	PLT_CHECK(!fwd_same_endpoint("shm:/a?role=server", "shm:/b?role=client", why, sizeof(why)),
		  "shm paths");
	return 0;
}

/* run_tool() - run `pktlink fwd ARGS` to its end (bounded); return the exit status. */
static int run_tool(struct ft_proc *p, const char *const *args)
{
	ft_fwd_start(p, args);
	int st = ft_wait(p->pid, 20);
	ft_proc_read(p, 100);
	close(p->out);
	return st;
}

/* refusals: fwd A A, a device under two families, and open failures. */
static int refusals(void)
{
	static struct ft_proc p;
	int st = run_tool(&p, (const char *const[]){ "packet:lo", "packet:lo", NULL });
	PLT_CHECK(st == 2 && strstr(p.buf, "both specs name 'lo'"), "fwd A A: %d %s", st, p.buf);
	plt_veth("ftx0", "ftx1", 1500, NULL, NULL);
	st = run_tool(&p, (const char *const[]){ "packet:ftx0", "xdp:ftx0?mode=skb", NULL });
	PLT_CHECK(st == 2 && strstr(p.buf, "ftx0"), "same device: %d %s", st, p.buf);
	st = run_tool(&p, (const char *const[]){ "packet:ftx0", "packet:ftnone9", NULL });
	PLT_CHECK(st == 1 && strstr(p.buf, "B (packet:ftnone9"), "missing device: %d %s", st,
		  p.buf);
	return 0;
}

/* peer_gone: the shared-memory client closes; the server-side fwd exits 3. */
static int peer_gone(void)
{
	plt_veth("ftg0", "ftg1", 1500, NULL, NULL);
	char dir[64], spec[160];
	ft_tmpdir(dir);
	snprintf(spec, sizeof(spec), "shm:%s/s.sock?role=server", dir);
	static struct ft_proc p;
	ft_fwd_start(&p, (const char *const[]){ "packet:ftg0", spec, "--duration", "60", NULL });
	snprintf(spec, sizeof(spec), "shm:%s/s.sock?role=client", dir);
	struct pktlink_ep *c = NULL;
	char err[256];
	uint64_t end = plt_now_ns() + 20000000000ull;
	while (pktlink_open(spec, &c, err, sizeof(err)) != 0) {
		PLT_CHECK(plt_now_ns() < end, "shm client: %s", err);
		usleep(20000);
	}
	PLT_CHECK(ft_fwd_wait_for(&p, "forwarding ", 20), "not ready: %s", p.buf);
	pktlink_close(c);
	int st = ft_wait(p.pid, 20);
	ft_proc_read(&p, 100);
	close(p.out);
	PLT_CHECK(st == 3 && strstr(p.buf, "stopping") && strstr(p.buf, "summary after"),
		  "exit %d: %s", st, p.buf);
	plt_sh("rm -rf '%s'", dir);
	return 0;
}

/* dev_packets() - a device's rx (@tx false) or tx packet count in @holder's namespace. */
static uint64_t dev_packets(pid_t holder, const char *dev, bool tx)
{
	/* /proc/net/dev follows the reader's namespace (sysfs would not) */
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "nsenter --net=/proc/%d/ns/net awk -F'[: ]+' '$2 == \"%s\" {print $%d}' "
		 "/proc/net/dev",
		 holder, dev, tx ? 12 : 4);
	FILE *f = popen(cmd, "r");
	unsigned long long v = 0;
	PLT_CHECK(f && fscanf(f, "%llu", &v) == 1, "%s", cmd);
	pclose(f);
	return v;
}

/* flood_child() - in namespace @ns: 64-byte frames (18-byte UDP payloads) to
 * 198.18.0.2 as fast as possible for @ms milliseconds. */
static int flood_child(int ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = ft_addr("198.18.0.2", 9, &ss);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (connect(s, (struct sockaddr *)&ss, sl) < 0)
		return 1;
	char payload[18] = "pktlink-fwd-flood";
	struct mmsghdr m[64];
	struct iovec iov = { payload, sizeof(payload) };
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 64; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t end = plt_now_ns() + (uint64_t)ms * 1000000ull;
	while (plt_now_ns() < end)
		sendmmsg(s, m, 64, MSG_DONTWAIT);
	return 0;
}

/* json_u64() - the number after "key": in the object of direction @dir ("a_to_b"). */
static uint64_t json_u64(const char *line, const char *dir, const char *key)
{
	const char *d = strstr(line, dir);
	PLT_CHECK(d, "no %s in %s", dir, line);
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *v = strstr(d, k);
	PLT_CHECK(v, "no %s in %s", key, d);
	return strtoull(v + strlen(k), NULL, 10);
}

/* flood: the counts add up and match the devices on both sides. */
static int flood(void)
{
	char dir[64];
	ft_tmpdir(dir);
	struct ft_side a, b;
	ft_side_setup(&a, FT_PACKET, 1, "a");
	ft_side_setup(&b, FT_PACKET, 2, "b");
	/* a static neighbour: no ARP in the way of the count */
	uint8_t mac[6];
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip -br link show dev %s", b.ns,
		 b.far);
	FILE *f = popen(cmd, "r");
	unsigned m[6];
	PLT_CHECK(f && fscanf(f, "%*s %*s %x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6,
		  "mac");
	pclose(f);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	plt_sh_ok("nsenter --net=/proc/%d/ns/net ip neigh replace 198.18.0.2 lladdr "
		  "%02x:%02x:%02x:%02x:%02x:%02x dev %s nud permanent",
		  a.ns, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], a.far);
	/* and no IPv6 chatter either */
	plt_sh_ok("nsenter --net=/proc/%d/ns/net sysctl -qw net.ipv6.conf.all.disable_ipv6=1", a.ns);
	plt_sh_ok("nsenter --net=/proc/%d/ns/net sysctl -qw net.ipv6.conf.all.disable_ipv6=1", b.ns);
	static struct ft_proc p;
	ft_fwd_start(&p, (const char *const[]){ a.spec, b.spec, "--json", "-v", "--interval",
						"0.3", "--duration", "60", NULL });
	PLT_CHECK(ft_fwd_wait_for(&p, "forwarding ", 30), "not ready: %s", p.buf);
	uint64_t tx0 = dev_packets(a.ns, a.far, true);
	uint64_t rx0 = dev_packets(b.ns, b.far, false);
	pid_t c = fork();
	PLT_CHECK(c >= 0, "fork");
	if (c == 0) {
		ft_ns_enter(a.ns);
		_exit(flood_child(1500));
	}
	PLT_CHECK(ft_wait(c, 30) == 0, "flood");
	usleep(300000); /* let the forwarder drain its side */
	uint64_t sent = dev_packets(a.ns, a.far, true) - tx0;
	uint64_t got = dev_packets(b.ns, b.far, false) - rx0;
	size_t before = p.len;
	kill(p.pid, SIGUSR1);
	PLT_CHECK(ft_fwd_wait_for(&p, "\"final\":false", 10), "no counts line");
	uint64_t end = plt_now_ns() + 10000000000ull;
	while (p.len == before && plt_now_ns() < end)
		ft_proc_read(&p, 50);
	PLT_CHECK(p.len > before, "SIGUSR1 printed nothing");
	PLT_CHECK(ft_fwd_stop(&p) == 0, "exit: %s", p.buf);
	const char *fin = strstr(p.buf, "\"final\":true");
	PLT_CHECK(fin, "no final JSON line: %s", p.buf);
	while (fin > p.buf && fin[-1] != '\n')
		fin--;
	uint64_t in = json_u64(fin, "a_to_b", "in"), fw = json_u64(fin, "a_to_b", "forwarded");
	uint64_t lost = json_u64(fin, "a_to_b", "lost");
	static const char *const reasons[] = { "rx_device", "rx_kernel", "rx_nobuf",  "rx_filter",
					       "rx_invalid", "tx_full",	  "tx_invalid", "tx_errors",
					       "tx_device" };
	uint64_t sum = 0;
	for (unsigned i = 0; i < sizeof(reasons) / sizeof(*reasons); i++)
		sum += json_u64(fin, "a_to_b", reasons[i]);
	fprintf(stderr, "  flood: sender's device sent %" PRIu64 ", fwd in %" PRIu64
			", forwarded %" PRIu64 ", lost %" PRIu64 "; receiver's device got %" PRIu64
			"\n",
		sent, in, fw, lost, got);
	PLT_CHECK(in == fw + lost && lost == sum, "in %" PRIu64 " != forwarded + lost (sum %" PRIu64
		  ")", in, sum);
	PLT_CHECK(sent > 1000, "the flood sent only %" PRIu64, sent);
	/* Every frame the sender's device sent reached fwd's side, and every
	 * frame fwd forwarded reached the receiver's device (a handful of
	 * kernel frames of its own aside). */
	PLT_CHECK(in >= sent && in <= sent + 16, "in %" PRIu64 ", sent %" PRIu64, in, sent);
	PLT_CHECK(got >= fw && got <= fw + 16, "forwarded %" PRIu64 ", received %" PRIu64, fw, got);
	ft_cleanup(&a, &b, dir);
	return 0;
}

static const struct plt_case cases[] = {
	{ "defaults", defaults, PLT_UNIT, 10 },
	{ "refusals", refusals, PLT_NETNS, 60 },
	{ "peer_gone", peer_gone, PLT_NETNS, 60 },
	{ "flood", flood, PLT_NETNS, 120 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(*cases));
}
