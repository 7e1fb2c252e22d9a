/* SPDX-License-Identifier: MIT */
/*
 * test_tool_status: `pktlink status` and `pktlink info IFNAME` name the XDP
 * programs really attached, in a private network namespace:
 *   - an xdp: endpoint opened here: pl_xsk_redirect, its mode, and this
 *     test process as the owner (text and --json, parsed by jq);
 *   - attach=libxdp: libxdp's dispatcher and, under it, pl_xsk_redirect
 *     with its run priority and chain-call actions;
 *   - an owner killed with SIGKILL: a program it left attached is STALE;
 *     so is a pktlink program attached over netlink by `ip`, which exited;
 *   - a TAP device held by this process, with its owner;
 *   - info --json on a device and on a spec parses.
 */
#include "harness.h"
#include "tool_testlib.h"

#include <pktlink/pktlink.h>
#include <stdlib.h>

static bool have(void)
{
	if (!find_bin())
		return false;
	if (plt_sh("command -v jq >/dev/null")) {
		fprintf(stderr, "SKIP: jq missing: run scripts/deps.sh\n");
		return false;
	}
	return true;
}

/* open_xdp() - an xdp: endpoint on pltst0, or NULL when the family is absent. */
static struct pktlink_ep *open_xdp(const char *keys)
{
	char spec[128], err[256] = "";
	snprintf(spec, sizeof(spec), "xdp:pltst0?mode=skb%s", keys);
	struct pktlink_ep *ep = NULL;
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	if (r) {
		fprintf(stderr, "SKIP: cannot open %s: %s\n", spec, err);
		return NULL;
	}
	return ep;
}

static int owned_program(void)
{
	if (!have())
		return PLT_SKIP;
	plt_veth("pltst0", "pltst1", 1500, NULL, NULL);
	struct pktlink_ep *ep = open_xdp("");
	if (!ep)
		return PLT_SKIP;
	static struct proc p;
	PLT_CHECK(RUN(&p, 30, "status") == 0, "status: %s", p.buf);
	char want[64];
	snprintf(want, sizeof(want), "%d (", (int)getpid());
	PLT_CHECK(strstr(p.buf, "CURRENT XDP PROGRAM STATUS") && strstr(p.buf, "pl_xsk_redirect") &&
			  strstr(p.buf, "skb") && strstr(p.buf, want) && strstr(p.buf, "pltst1"),
		  "status text: %s", p.buf);
	PLT_CHECK(RUN(&p, 30, "info", "pltst0") == 0 &&
			  strstr(p.buf, "xdp now:   pl_xsk_redirect (id ") && strstr(p.buf, "skb mode"),
		  "info: %s", p.buf);
	PLT_CHECK(!plt_sh("%s status pltst0 --json | jq -e '.interfaces | length == 1 and "
			  ".[0].name == \"pltst0\" and .[0].xdp[0].name == \"pl_xsk_redirect\" and "
			  ".[0].xdp[0].mode == \"skb\" and .[0].xdp[0].owner_pid == %d and "
			  ".[0].xdp[0].stale == false' >/dev/null",
			  bin, (int)getpid()),
		  "status --json");
	PLT_CHECK(!plt_sh("%s info pltst0 --json | jq -e '.name == \"pltst0\" and .mtu == 1500 and "
			  ".xdp_programs[0].name == \"pl_xsk_redirect\"' >/dev/null",
			  bin),
		  "info --json (device)");
	PLT_CHECK(!plt_sh("%s info 'packet:pltst1' --json | jq -e '.family == \"fd\" and .mtu == "
			  "1500 and (.capabilities | index(\"ethernet\"))' >/dev/null",
			  bin),
		  "info --json (spec)");
	pktlink_close(ep);
	PLT_CHECK(RUN(&p, 30, "status", "pltst0") == 0 && strstr(p.buf, "No XDP program"),
		  "after close: %s", p.buf);

	/* A TAP device held by this process. */
	struct pktlink_ep *tap = NULL;
	char err[256] = "";
	if (!pktlink_open("tap:pltstap0", &tap, err, sizeof(err))) {
		PLT_CHECK(RUN(&p, 30, "status") == 0 && strstr(p.buf, "TAP/TUN DEVICES") &&
				  strstr(p.buf, "pltstap0") && strstr(p.buf, want),
			  "tap: %s", p.buf);
		PLT_CHECK(!plt_sh("%s status pltstap0 --json | jq -e '.interfaces[0].tun | .kind == "
				  "\"tap\" and .owner_pid == %d' >/dev/null",
				  bin, (int)getpid()),
			  "tap --json");
		pktlink_close(tap);
	}
	return 0;
}

static int dispatcher_chain(void)
{
	if (!have())
		return PLT_SKIP;
	plt_veth("pltst0", "pltst1", 1500, NULL, NULL);
	plt_mount_bpffs();
	struct pktlink_ep *ep = open_xdp("&attach=libxdp");
	if (!ep)
		return PLT_SKIP;
	static struct proc p;
	PLT_CHECK(RUN(&p, 30, "status", "pltst0") == 0, "status: %s", p.buf);
	if (!strstr(p.buf, "xdp_dispatcher") && strstr(p.buf, "pl_xsk_redirect")) {
		/* libxdp loads its dispatcher only where freplace programs may be
		 * loaded; elsewhere it attaches the program alone. */
		fprintf(stderr, "SKIP: libxdp fell back to a single program here (its dispatcher "
				"compatibility check failed); status shows:\n%s\n", p.buf);
		pktlink_close(ep);
		return PLT_SKIP;
	}
	PLT_CHECK(strstr(p.buf, "xdp_dispatcher") && strstr(p.buf, " =>") &&
			  strstr(p.buf, "pl_xsk_redirect") && strstr(p.buf, "XDP_PASS"),
		  "no dispatcher chain: %s", p.buf);
	PLT_CHECK(!plt_sh("%s status pltst0 --json | jq -e '.interfaces[0].xdp[0].dispatcher and "
			  ".interfaces[0].xdp[1].mode == \"dispatched\" and "
			  "(.interfaces[0].xdp[1].run_prio | type == \"number\")' >/dev/null",
			  bin),
		  "dispatcher --json");
	pktlink_close(ep);
	return 0;
}

static int stale_program(void)
{
	if (!have())
		return PLT_SKIP;
	plt_veth("pltst0", "pltst1", 1500, NULL, NULL);
	int pfd[2];
	PLT_CHECK(pipe(pfd) == 0, "pipe");
	pid_t c = fork();
	PLT_CHECK(c >= 0, "fork");
	if (c == 0) {
		struct pktlink_ep *ep = open_xdp("");
		char ok = ep ? 'y' : 'n';
		if (write(pfd[1], &ok, 1) != 1)
			_exit(1);
		sleep(60);
		_exit(0);
	}
	char ok = 0;
	PLT_CHECK(read(pfd[0], &ok, 1) == 1, "child");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	if (ok != 'y')
		return PLT_SKIP;
	static struct proc p;
	PLT_CHECK(RUN(&p, 30, "status", "pltst0") == 0, "status: %s", p.buf);
	/* Attached through a bpf_link, the kernel detached it with the last fd;
	 * attached over netlink, it stays, and must be marked. */
	if (strstr(p.buf, "pl_xsk_redirect"))
		PLT_CHECK(strstr(p.buf, "STALE: owner gone"), "not marked stale: %s", p.buf);
	else
		PLT_CHECK(strstr(p.buf, "No XDP program"), "status: %s", p.buf);

	/* A pktlink program attached over netlink by a process that is gone
	 * (here `ip`, with the capture program built next to the tool). */
	char obj[PATH_MAX + 32];
	snprintf(obj, sizeof(obj), "%s", bin);
	char *slash = strrchr(obj, '/');
	PLT_CHECK(slash, "bin path");
	snprintf(slash, sizeof(obj) - (size_t)(slash - obj), "/tools/pl_cap_bpf_obj.o");
	if (access(obj, R_OK) ||
	    plt_sh("ip link set dev pltst0 xdpgeneric off && ip link set dev pltst0 xdpgeneric obj %s sec xdp", obj)) {
		fprintf(stderr, "SKIP (part): cannot attach %s with ip (no libbpf in iproute2?)\n",
			obj);
		return 0;
	}
	PLT_CHECK(RUN(&p, 30, "status", "pltst0") == 0 && strstr(p.buf, "pl_capture") &&
			  strstr(p.buf, "STALE: owner gone"),
		  "left-over program not marked: %s", p.buf);
	PLT_CHECK(!plt_sh("%s status pltst0 --json | jq -e '.interfaces[0].xdp[0] | .stale and "
			  ".pktlink and .owner_pid == 0' >/dev/null",
			  bin),
		  "stale in --json");
	PLT_CHECK(RUN(&p, 30, "info", "pltst0") == 0 && strstr(p.buf, "STALE"), "info: %s", p.buf);
	return 0;
}

static const struct plt_case cases[] = {
	{ "owned_program", owned_program, PLT_NETNS, 60 },
	{ "dispatcher_chain", dispatcher_chain, PLT_NETNS, 60 },
	{ "stale_program", stale_program, PLT_NETNS, 60 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
