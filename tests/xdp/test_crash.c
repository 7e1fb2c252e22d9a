/* SPDX-License-Identifier: MIT */
/*
 * test_crash: pktlink's XDP program after its owner is killed. A child
 * process opens an xdp endpoint on a veth and is killed with SIGKILL (no
 * close, no atexit); a new open in the same namespace must work, and no
 * program may stay attached once the new endpoint is closed:
 *
 *   - the default attach goes through a bpf_link, which the kernel drops
 *     with the killed process's descriptors;
 *   - a program left attached over netlink (attach=libxdp's single-program
 *     fallback, or an older pktlink) is recognised as pktlink's own with no
 *     process holding it, and replaced;
 *   - the same program while a live process holds it is refused, naming
 *     that process, and left alone.
 */
#include "xdp_common.h"

#include "pl_xsk.bpf.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* Is an XDP bpf_link attached to ifname? */
static bool xdp_link_on(const char *ifname)
{
	uint32_t id = 0;
	int ifindex = plt_ifindex(ifname);
	for (int i = 0; i < 100000 && bpf_link_get_next_id(id, &id) == 0; i++) {
		int fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		struct bpf_link_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		bool hit = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
			   info.type == BPF_LINK_TYPE_XDP && (int)info.xdp.ifindex == ifindex;
		close(fd);
		if (hit)
			return true;
	}
	return false;
}

/* Frames from the peer reach a freshly opened endpoint; then close it. */
static void works_then_closes(const char *spec)
{
	struct pktlink_ep *ep = xt_open(spec);
	uint8_t a[6], b[6], f[64];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	for (uint32_t i = 0; i < 16; i++) {
		xt_frame(f, 64, i, a, b);
		xt_raw_send(raw, f, 64);
	}
	uint32_t next = 0;
	PLT_CHECK(xt_ep_recv_check(ep, 16, 64, &next, PLT_WAIT_MS) == 16, "frames after recovery");
	close(raw);
	pktlink_close(ep);
	PLT_CHECK(PLT_WAIT(!xt_xdp_attached(XT_A), PLT_WAIT_MS),
		  "a program stays attached after the new endpoint closed");
}

enum child_kind { CHILD_ENDPOINT, CHILD_OLD_PKTLINK };

/*
 * Run a child that attaches pktlink's program — through an endpoint opened
 * with spec, or the way an older pktlink did (the program object attached
 * over netlink in mode flags) — reports on a pipe, and waits to be killed.
 * Returns what the child reported: 'l' link, 'n' netlink, 'd' dispatcher.
 */
static char crash_child(enum child_kind kind, const char *spec, uint32_t flags)
{
	int pfd[2];
	PLT_CHECK(pipe(pfd) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the case */
		close(pfd[0]);
		char what = 'n';
		if (kind == CHILD_ENDPOINT) {
			struct pktlink_ep *ep = NULL;
			char err[256] = "";
			if (pktlink_open(spec, &ep, err, sizeof(err)) != 0) {
				fprintf(stderr, "child: open %s: %s\n", spec, err);
				_exit(1);
			}
			struct pktlink_xdp_status st;
			if (pktlink_xdp_get_status(ep, &st) == 0 && st.dispatcher)
				what = 'd';
			else if (xdp_link_on(XT_A))
				what = 'l';
		} else {
			struct bpf_object *obj = xt_bpf_load(pl_xsk_bpf_obj, pl_xsk_bpf_obj_len);
			xt_bpf_attach(obj, XT_A, flags);
		}
		if (write(pfd[1], &what, 1) != 1)
			_exit(1);
		for (;;)
			pause(); /* until SIGKILL: nothing is closed or detached */
	}
	close(pfd[1]);
	struct pollfd p = { .fd = pfd[0], .events = POLLIN };
	char what = 0;
	bool ready = poll(&p, 1, PLT_WAIT_MS) == 1 && read(pfd[0], &what, 1) == 1;
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	close(pfd[0]);
	PLT_CHECK(ready, "the child did not attach (see its message above)");
	PLT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status %d", st);
	return what;
}

/* The default attach: a bpf_link, gone with the killed owner. */
static int killed_owner_link(void)
{
	xt_setup(1500);
	static const char *const specs[] = { "xdp:" XT_A "?mode=skb", "xdp:" XT_A "?mode=drv",
					     "xdp:" XT_A "?mode=skb&attach=libbpf" };
	for (unsigned i = 0; i < 3; i++) {
		char what = crash_child(CHILD_ENDPOINT, specs[i], 0);
		PLT_CHECK(what == 'l', "%s: attached without a bpf_link (%c)", specs[i], what);
		PLT_CHECK(PLT_WAIT(!xt_xdp_attached(XT_A), PLT_WAIT_MS),
			  "%s: the program outlived its killed owner", specs[i]);
		works_then_closes(specs[i]);
	}
	/* While open, the program is held by a link (not over netlink). */
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb");
	PLT_CHECK(xdp_link_on(XT_A), "no bpf_link while open");
	pktlink_close(ep);
	PLT_CHECK(!xt_xdp_attached(XT_A) && !xdp_link_on(XT_A), "attached after close");
	xt_leak_check();
	return 0;
}

/* A program left over netlink by a killed owner is pktlink's own and
 * nobody holds it: the next open replaces it, in either mode. */
static int killed_owner_netlink(void)
{
	xt_setup(1500);
	int fds = plt_fd_count();
	/* An older pktlink: the program object attached over netlink. */
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE };
	for (unsigned i = 0; i < 2; i++) {
		crash_child(CHILD_OLD_PKTLINK, NULL, modes[i]);
		PLT_CHECK(xt_xdp_attached(XT_A), "the left program is not attached (mode %u)",
			  modes[i]);
		works_then_closes("xdp:" XT_A "?mode=auto");
	}
	/* attach=libxdp: where libxdp falls back to a single program it is a
	 * netlink attachment too; the next open (either path) replaces it. */
	static const char *const next[] = { "xdp:" XT_A "?mode=skb",
					    "xdp:" XT_A "?mode=skb&attach=libxdp" };
	for (unsigned i = 0; i < 2; i++) {
		char what = crash_child(CHILD_ENDPOINT, "xdp:" XT_A "?mode=skb&attach=libxdp", 0);
		if (what == 'd') {
			/* libxdp's dispatcher works here: its pins keep it. */
			fprintf(stderr, "libxdp attached a dispatcher: not a netlink leftover\n");
			break;
		}
		PLT_CHECK(xt_xdp_attached(XT_A), "libxdp's program is not attached");
		works_then_closes(next[i]);
	}
	PLT_CHECK(plt_fd_count() == fds, "fds %d -> %d", fds, plt_fd_count());
	xt_leak_check();
	return 0;
}

/* pktlink's program held by a live process is not stale: refused, kept. */
static int live_owner_kept(void)
{
	xt_setup(1500);
	struct bpf_object *obj = xt_bpf_load(pl_xsk_bpf_obj, pl_xsk_bpf_obj_len);
	xt_bpf_attach(obj, XT_A, XDP_FLAGS_SKB_MODE);
	struct pktlink_ep *ep = NULL;
	char err[512] = "", pid[32];
	int r = pktlink_open("xdp:" XT_A "?mode=skb", &ep, err, sizeof(err));
	snprintf(pid, sizeof(pid), "process %d", (int)getpid());
	PLT_CHECK(r == -EBUSY && !ep, "open over a live pktlink program: %d", r);
	PLT_CHECK(strstr(err, "in use by") && strstr(err, pid), "message: %s", err);
	PLT_CHECK(xt_xdp_attached(XT_A), "the live program was removed");
	bpf_xdp_detach(plt_ifindex(XT_A), XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	xt_leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "killed_owner_link", killed_owner_link, PLT_NETNS, 90 },
		{ "killed_owner_netlink", killed_owner_netlink, PLT_NETNS, 90 },
		{ "live_owner_kept", live_owner_kept, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
