/* SPDX-License-Identifier: MIT */
/*
 * gen.c — load gen.bpf.c's programs, run the generator (live frames, or the
 * veth loop where the kernel refuses live frames: see gen.h), attach sinks.
 */
#include "gen.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef PKTLINK_TOOL_HAVE_GEN
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "nl.h"
#include "util.h"

extern const unsigned char pl_gen_bpf_obj[];
extern const size_t pl_gen_bpf_obj_len;

#define GEN_MAX_ATTACH 8

/*
 * Each BPF_PROG_RUN call costs a fixed 25-35 ms here on top of its frames
 * (measured: setup and teardown of the live-frames page pool / memory
 * model wait for the system, the CPU sits idle meanwhile). With 65536
 * frames per call that halved the rate (1.6 instead of 5.4 Mpps), so calls
 * are sized to last about GEN_CALL_NS, and gen_stop() interrupts the call in
 * flight with a signal (the kernel's test-run loop checks for one) instead
 * of waiting for it.
 */
#define GEN_CALL_NS 500000000ull
#define GEN_REPEAT_FIRST (1u << 16) /* small: the rate is known after ~40 ms */
#define GEN_REPEAT_MIN (1u << 14)
#define GEN_REPEAT_MAX (1u << 26)
#define GEN_SIGNAL SIGUSR1

/* gen_wake() - the signal that interrupts BPF_PROG_RUN; it only has to exist. */
static void gen_wake(int sig)
{
	(void)sig;
}

/* now_ns() - CLOCK_MONOTONIC in ns. */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct gen_attachment {
	int ifindex;
	int prog_fd;
	__u32 flags;
};

/* Loop mode: copies of each frame per pass round the loop (entries of
 * pl_bcast_full after the loop's own), and frames seeded into the loop.
 * Measured here (6.18, 2 CPUs, into an XDP_DROP sink): 1 seed x 3 copies
 * 2.4 Mpps, 4 x 7 3.4 Mpps, 8 x 7 3.4 Mpps. seeds x copies stays far below
 * veth's 256-slot ring so a poll never overflows the receiver's ring. */
#define GEN_LOOP_COPIES 7
#define GEN_LOOP_SEEDS 4

struct gen {
	struct bpf_object *obj;
	int prog_tx, prog_drop, prog_redir, prog_loop, prog_probe;
	int map_counts, map_cfg, map_redir, map_loop_ctl, map_loop_sent, map_bc_full, map_bc_one;
	int ncpus;
	enum gen_mode mode;
	int live_err; /* why live frames are refused (loop mode) */

	/* loop mode (see gen.h): the veth pair of its own, the seeding socket */
	char loop_a[16], loop_b[16]; /* loop_b carries pl_gen_loop */
	int loop_ifindex_b;
	int loop_dev_ifindex; /* the device the maps point to */
	int seed_fd;
	uint64_t loop_cpu0; /* /proc/stat jiffies of the generator's CPU at start, in ns */
	struct gen_attachment att[GEN_MAX_ATTACH];
	unsigned natt;

	/* generator thread */
	pthread_t thr;
	bool running;
	atomic_bool stop;
	atomic_uint_fast64_t sent;
	atomic_int err;
	atomic_bool finished; /* the thread left its loop (max_frames reached or error) */
	/* Progress of the call in flight, so gen_sent() can interpolate: each
	 * call runs for about GEN_CALL_NS and only reports at its end. */
	atomic_uint_fast64_t call_start_ns, call_repeat;
	atomic_uint_fast64_t rate_fps; /* frames per second of the completed calls (0 = unknown) */
	uint64_t cpu_ns; /* the thread's CPU time when it stopped */
	struct gen_opts o;
	uint8_t frame[2048];
};

/* Silence libbpf's own printing: errors are reported through err buffers,
 * and libbpf's warnings (e.g. about missing kernel BTF) are noise here. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

bool gen_available(void)
{
	return true;
}

/* ---- live frames or the loop ------------------------------------------------------ */

/*
 * live_probe() - whether this kernel runs BPF_PROG_RUN in live-frames mode:
 * one XDP_DROP frame "received" on lo, which goes nowhere (pl_probe, which
 * counts nothing: pl_sink_drop here cost every sink's count an extra frame). Some kernels
 * refuse it (EPERM here on a hardened 6.18; EINVAL before 5.18); the
 * generator then runs as a veth loop.
 */
static enum gen_mode live_probe(struct gen *g)
{
	uint8_t frame[64] = { 0 };
	struct xdp_md ctx = { .data_end = sizeof(frame), .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = frame, .data_size_in = sizeof(frame),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1, .batch_size = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	if (!bpf_prog_test_run_opts(g->prog_probe, &ro))
		return GEN_MODE_LIVE;
	g->live_err = errno;
	return GEN_MODE_LOOP;
}

/* cpu_busy_ns() - time CPU @cpu spent outside idle and iowait so far
 * (/proc/stat, in ns), or 0 when unknown. The loop's work runs in softirq
 * context on that CPU, not in any thread whose CPU time could be read. */
static uint64_t cpu_busy_ns(int cpu)
{
	if (cpu < 0)
		return 0;
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	char line[512], want[16];
	snprintf(want, sizeof(want), "cpu%d ", cpu);
	uint64_t busy = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8)
			busy = (uint64_t)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
		break;
	}
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? busy * (1000000000ull / (uint64_t)hz) : 0;
}

/* loop_sent() - copies the loop has sent out of the generator's device. */
static uint64_t loop_sent(struct gen *g)
{
	__u32 key = 0;
	__u64 v = 0;
	bpf_map_lookup_elem(g->map_loop_sent, &key, &v);
	return v;
}

/* loop_ctl() - write the loop's control word: run it (for @max copies,
 * 0 = no limit) or stop it. */
static int loop_ctl(struct gen *g, uint64_t max, bool run)
{
	__u32 key = 0;
	struct {
		__u64 max;
		__u32 run, copies, len, pad;
	} c = { max, run, GEN_LOOP_COPIES, g->o.len, 0 };
	return bpf_map_update_elem(g->map_loop_ctl, &key, &c, BPF_ANY) ? -errno : 0;
}

/* loop_destroy() - detach the loop program, delete the loop's veth pair. */
static void loop_destroy(struct gen *g)
{
	if (g->seed_fd >= 0)
		close(g->seed_fd);
	g->seed_fd = -1;
	if (g->loop_ifindex_b) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = g->prog_loop);
		(void)bpf_xdp_detach(g->loop_ifindex_b, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE,
				     &ao);
		g->loop_ifindex_b = 0;
	}
	if (g->loop_a[0]) {
		char e[128];
		nl_link_del(g->loop_a, e, sizeof(e));
		g->loop_a[0] = 0;
	}
}

/*
 * loop_build() - the loop's own veth pair A <-> B next to the generator's
 * device @ifindex (same namespace: devmap entries are resolved there),
 * pl_gen_loop on B, the broadcast maps, and a packet socket on A to seed it.
 */
static int loop_build(struct gen *g, int ifindex, char *err, size_t errlen)
{
	char e[256] = "";
	snprintf(g->loop_a, sizeof(g->loop_a), "plgl%da", ifindex);
	snprintf(g->loop_b, sizeof(g->loop_b), "plgl%db", ifindex);
	/* A pair of that name is a leftover of a generator that was killed:
	 * the names are this generator's own. */
	nl_link_del(g->loop_a, e, sizeof(e));
	int r = nl_veth_create(g->loop_a, g->loop_b, e, sizeof(e));
	/* Before they come up: a namespace with IPv6 on would send its
	 * solicitations into the loop (pl_gen_loop drops them, but they need
	 * not exist). Without IPv6 in the kernel there is no file: fine. */
	for (int i = 0; !r && i < 2; i++) {
		char path[96];
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			 i ? g->loop_b : g->loop_a);
		util_write_file(path, "1");
	}
	if (!r)
		r = nl_link_set(g->loop_a, true, 0, e, sizeof(e));
	if (!r)
		r = nl_link_set(g->loop_b, true, 0, e, sizeof(e));
	if (r) {
		snprintf(err, errlen, "loop generator: creating the veth pair %s/%s failed: %s",
			 g->loop_a, g->loop_b, e);
		g->loop_a[0] = 0;
		return r;
	}
	int ia = (int)if_nametoindex(g->loop_a), ib = (int)if_nametoindex(g->loop_b);
	r = ia && ib ? bpf_xdp_attach(ib, g->prog_loop,
				      XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE, NULL)
		     : -ENODEV;
	if (r) {
		snprintf(err, errlen, "loop generator: attaching its XDP program to %s failed: %s",
			 g->loop_b, strerror(-r));
		loop_destroy(g);
		return r;
	}
	g->loop_ifindex_b = ib;
	__u32 key = 0, val = (__u32)ia;
	r = bpf_map_update_elem(g->map_bc_full, &key, &val, BPF_ANY) ||
	    bpf_map_update_elem(g->map_bc_one, &key, &val, BPF_ANY);
	val = (__u32)ifindex;
	for (key = 1; !r && key <= GEN_LOOP_COPIES; key++)
		r = bpf_map_update_elem(g->map_bc_full, &key, &val, BPF_ANY);
	key = 1;
	if (!r)
		r = bpf_map_update_elem(g->map_bc_one, &key, &val, BPF_ANY);
	if (r) {
		r = -errno;
		snprintf(err, errlen,
			 "loop generator: filling its device maps failed: %s (the device must "
			 "carry XDP frames: a veth)",
			 strerror(-r));
		loop_destroy(g);
		return r;
	}
	g->loop_dev_ifindex = ifindex;
	g->seed_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ia };
	if (g->seed_fd < 0 || bind(g->seed_fd, (struct sockaddr *)&sll, sizeof(sll))) {
		r = -errno;
		snprintf(err, errlen, "loop generator: a packet socket on %s failed: %s",
			 g->loop_a, strerror(-r));
		loop_destroy(g);
		return r;
	}
	/* Straight to the driver: until the kernel's link watcher has run
	 * for the new device (a work item, late on a loaded machine), its
	 * qdisc is noop, which drops the seeds and still reports them sent. */
	int one = 1;
	setsockopt(g->seed_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	return 0;
}

/*
 * loop_start() - (re)start the loop: reset the count, seed GEN_LOOP_SEEDS
 * frames from one CPU, the generator's if given (veth schedules the loop's
 * NAPI on the CPU that sent into it, and it stays there), wait until
 * copies flow.
 */
static int loop_start(struct gen *g, char *err, size_t errlen)
{
	int r;
	if (g->loop_dev_ifindex != g->o.ifindex) {
		loop_destroy(g);
		if ((r = loop_build(g, g->o.ifindex, err, errlen)))
			return r;
	}
	__u32 key = 0;
	__u64 zero = 0;
	if ((r = loop_ctl(g, g->o.max_frames, true)) ||
	    bpf_map_update_elem(g->map_loop_sent, &key, &zero, BPF_ANY)) {
		snprintf(err, errlen, "loop generator: writing its control map failed");
		return r ? r : -errno;
	}
	/* Every seed from one CPU, pinned or not: seeds sent from two CPUs
	 * would start the loop in two NAPI contexts at once, and pl_gen_loop's
	 * count of copies is not atomic (it would then overshoot --count). */
	int cpu = g->o.cpu >= 0 ? g->o.cpu : sched_getcpu();
	cpu_set_t old, one;
	bool pinned = cpu >= 0 && !pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	if (pinned) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pinned = !pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	}
	g->loop_cpu0 = cpu_busy_ns(g->o.cpu);
	/* Seed again every 100 ms until copies flow, 2 s at most: a seed
	 * can be lost (a loaded machine, a device a moment old). More seeds
	 * than GEN_LOOP_SEEDS only raise the rate a little; pl_gen_loop
	 * still stops at --count. */
	unsigned seeds = 0;
	uint64_t until = now_ns() + 2000000000ull, next = 0;
	while (!loop_sent(g) && now_ns() < until) {
		if (now_ns() >= next) {
			for (int i = 0; i < GEN_LOOP_SEEDS; i++)
				seeds += send(g->seed_fd, g->frame, g->o.len, 0) ==
					 (ssize_t)g->o.len;
			next = now_ns() + 100000000ull;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	if (pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	if (!seeds || !loop_sent(g)) {
		snprintf(err, errlen,
			 "loop generator: no frame went round the loop %s/%s (%u seeds sent)",
			 g->loop_a, g->loop_b, seeds);
		return -EIO;
	}
	return 0;
}

/* loop_stop() - end the loop and wait until its frames are gone (bounded). */
static void loop_stop(struct gen *g)
{
	loop_ctl(g, g->o.max_frames, false);
	uint64_t prev = loop_sent(g), until = now_ns() + 1000000000ull;
	for (int still = 0; still < 3 && now_ns() < until;) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
		uint64_t cur = loop_sent(g);
		still = cur == prev ? still + 1 : 0;
		prev = cur;
	}
	uint64_t busy = cpu_busy_ns(g->o.cpu);
	g->cpu_ns = busy > g->loop_cpu0 && g->loop_cpu0 ? busy - g->loop_cpu0 : 0;
}

enum gen_mode gen_mode(const struct gen *g)
{
	return g->mode;
}

void gen_use_loop(struct gen *g)
{
	g->mode = GEN_MODE_LOOP;
}

const char *gen_describe(const struct gen *g)
{
	static __thread char buf[160];
	if (g->mode == GEN_MODE_LIVE)
		return "live frames (BPF_PROG_RUN XDP_TX)";
	if (!g->live_err)
		snprintf(buf, sizeof(buf), "veth loop (%d x %d copies per pass; asked for)",
			 GEN_LOOP_SEEDS, GEN_LOOP_COPIES);
	else
		snprintf(buf, sizeof(buf),
			 "veth loop (%d x %d copies per pass; this kernel refuses live frames: %s)",
			 GEN_LOOP_SEEDS, GEN_LOOP_COPIES, strerror(g->live_err));
	return buf;
}

int gen_load(struct gen **out, char *err, size_t errlen)
{
	*out = NULL;
	struct gen *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->prog_tx = g->prog_drop = g->prog_redir = g->prog_loop = g->prog_probe = -1;
	g->seed_fd = -1;
	libbpf_set_print(quiet_print);

	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "pl_gen");
	g->obj = bpf_object__open_mem(pl_gen_bpf_obj, pl_gen_bpf_obj_len, &oo);
	if (!g->obj) {
		int e = -errno;
		snprintf(err, errlen, "opening the embedded BPF object failed: %s", strerror(-e));
		free(g);
		return e;
	}
	int r = bpf_object__load(g->obj);
	if (r) {
		snprintf(err, errlen,
			 "loading the generator's XDP programs failed: %s (needs root / CAP_BPF "
			 "and CAP_NET_ADMIN)",
			 strerror(-r));
		gen_destroy(g);
		return r;
	}
	struct bpf_program *p;
	p = bpf_object__find_program_by_name(g->obj, "pl_gen_tx");
	g->prog_tx = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(g->obj, "pl_sink_drop");
	g->prog_drop = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(g->obj, "pl_redirect");
	g->prog_redir = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(g->obj, "pl_gen_loop");
	g->prog_loop = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(g->obj, "pl_probe");
	g->prog_probe = p ? bpf_program__fd(p) : -1;
	g->map_loop_ctl = bpf_object__find_map_fd_by_name(g->obj, "pl_loop_ctl");
	g->map_loop_sent = bpf_object__find_map_fd_by_name(g->obj, "pl_loop_sent");
	g->map_bc_full = bpf_object__find_map_fd_by_name(g->obj, "pl_bcast_full");
	g->map_bc_one = bpf_object__find_map_fd_by_name(g->obj, "pl_bcast_one");
	g->map_counts = bpf_object__find_map_fd_by_name(g->obj, "pl_counts");
	g->map_cfg = bpf_object__find_map_fd_by_name(g->obj, "pl_cfg");
	g->map_redir = bpf_object__find_map_fd_by_name(g->obj, "pl_redir");
	g->ncpus = libbpf_num_possible_cpus();
	if (g->prog_tx < 0 || g->prog_drop < 0 || g->prog_redir < 0 || g->prog_loop < 0 ||
	    g->prog_probe < 0 ||
	    g->map_counts < 0 || g->map_cfg < 0 || g->map_redir < 0 || g->map_loop_ctl < 0 ||
	    g->map_loop_sent < 0 || g->map_bc_full < 0 || g->map_bc_one < 0 || g->ncpus <= 0) {
		snprintf(err, errlen, "the embedded BPF object lacks a program or map");
		gen_destroy(g);
		return -ENOENT;
	}
	g->mode = live_probe(g);
	*out = g;
	return 0;
}

void gen_destroy(struct gen *g)
{
	if (!g)
		return;
	if (g->running)
		gen_stop(g);
	loop_destroy(g);
	while (g->natt)
		gen_detach(g, g->att[g->natt - 1].ifindex);
	if (g->obj)
		bpf_object__close(g->obj);
	free(g);
}

int gen_attach(struct gen *g, int ifindex, enum gen_prog which, char *err, size_t errlen)
{
	if (g->natt == GEN_MAX_ATTACH)
		return -ENOSPC;
	int fd = which == GEN_PROG_REDIRECT ? g->prog_redir : g->prog_drop;
	/* UPDATE_IF_NOEXIST: never replace a program somebody else attached. */
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE;
	int r = bpf_xdp_attach(ifindex, fd, flags, NULL);
	if (r == -EOPNOTSUPP || r == -EINVAL) {
		flags = XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE;
		r = bpf_xdp_attach(ifindex, fd, flags, NULL);
	}
	if (r) {
		snprintf(err, errlen, "attaching an XDP %s program to ifindex %d failed: %s",
			 which == GEN_PROG_REDIRECT ? "redirect" : "sink", ifindex, strerror(-r));
		return r;
	}
	g->att[g->natt++] = (struct gen_attachment){ ifindex, fd, flags };
	return 0;
}

void gen_detach(struct gen *g, int ifindex)
{
	for (unsigned i = 0; i < g->natt; i++) {
		if (g->att[i].ifindex != ifindex)
			continue;
		/* old_prog_fd: detach only if the program there is still ours. */
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = g->att[i].prog_fd);
		__u32 mode = g->att[i].flags & (XDP_FLAGS_DRV_MODE | XDP_FLAGS_SKB_MODE);
		/* The device may be gone already (a TAP closed with its endpoint). */
		(void)bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &ao);
		g->att[i] = g->att[--g->natt];
		return;
	}
}

int gen_set_redirect(struct gen *g, int to_ifindex, char *err, size_t errlen)
{
	__u32 key = 0, val = (__u32)to_ifindex;
	if (bpf_map_update_elem(g->map_redir, &key, &val, BPF_ANY)) {
		int e = -errno;
		snprintf(err, errlen, "setting the redirect target to ifindex %d failed: %s",
			 to_ifindex, strerror(-e));
		return e;
	}
	return 0;
}

uint64_t gen_count(struct gen *g)
{
	struct {
		__u64 packets, bytes;
	} vals[g->ncpus];
	__u32 key = 0;
	if (bpf_map_lookup_elem(g->map_counts, &key, vals))
		return 0;
	uint64_t sum = 0;
	for (int i = 0; i < g->ncpus; i++)
		sum += vals[i].packets;
	return sum;
}

/* run_once() - one BPF_PROG_RUN call of o->repeat live frames. */
static int run_once(struct gen *g)
{
	struct xdp_md ctx = { .data_end = g->o.len, .ingress_ifindex = (__u32)g->o.ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = g->frame, .data_size_in = g->o.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = g->o.repeat,
		    .batch_size = g->o.batch, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	int r = bpf_prog_test_run_opts(g->prog_tx, &ro);
	return r < 0 ? -errno : 0;
}

/* gen_thread() - call BPF_PROG_RUN until told to stop; bounded by the stop
 * flag, which gen_stop() sets, and each call lasts at most o.repeat frames. */
static void *gen_thread(void *arg)
{
	struct gen *g = arg;
	struct timespec ts;
	uint64_t done = 1; /* the probe frame of gen_start() */
	uint64_t busy_ns = 0, busy_frames = 0;
	bool adaptive = g->o.repeat == 0;
	uint32_t repeat = adaptive ? GEN_REPEAT_FIRST : g->o.repeat;
	while (!atomic_load_explicit(&g->stop, memory_order_relaxed)) {
		uint32_t rep = repeat;
		if (g->o.max_frames) {
			if (done >= g->o.max_frames)
				break;
			/* the last call sends only what is left */
			if (g->o.max_frames - done < rep)
				rep = (uint32_t)(g->o.max_frames - done);
		}
		uint64_t t0 = now_ns();
		atomic_store(&g->call_repeat, rep);
		atomic_store(&g->call_start_ns, t0);
		g->o.repeat = rep;
		int r = run_once(g);
		uint64_t t1 = now_ns();
		atomic_store(&g->call_start_ns, 0);
		if (r == -EINTR) {
			/* Interrupted (gen_stop): count what the rate says went out. */
			uint64_t fps = atomic_load(&g->rate_fps);
			uint64_t part = fps ? (uint64_t)((double)fps * (double)(t1 - t0) / 1e9) : 0;
			if (part > rep)
				part = rep;
			atomic_fetch_add(&g->sent, part);
			done += part;
			continue;
		}
		if (r) {
			atomic_store(&g->err, r);
			break;
		}
		atomic_fetch_add_explicit(&g->sent, rep, memory_order_relaxed);
		done += rep;
		busy_ns += t1 - t0;
		busy_frames += rep;
		uint64_t fps = busy_ns ? (uint64_t)((double)busy_frames * 1e9 / (double)busy_ns) : 0;
		atomic_store(&g->rate_fps, fps);
		if (adaptive && fps) {
			uint64_t want = fps * GEN_CALL_NS / 1000000000ull;
			repeat = (uint32_t)(want < GEN_REPEAT_MIN	? GEN_REPEAT_MIN
					    : want > GEN_REPEAT_MAX ? GEN_REPEAT_MAX
								    : want);
		}
	}
	atomic_store(&g->finished, true);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	g->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return NULL;
}

int gen_start(struct gen *g, const struct gen_opts *o, char *err, size_t errlen)
{
	if (g->running)
		return -EBUSY;
	if (o->len < 60 || o->len > sizeof(g->frame)) {
		snprintf(err, errlen, "generator frame length %u is outside 60..%zu", o->len,
			 sizeof(g->frame));
		return -EINVAL;
	}
	g->o = *o;
	memcpy(g->frame, o->frame, o->len);
	if (!g->o.batch)
		g->o.batch = 64;
	if (g->o.batch > 256)
		g->o.batch = 256;
	uint32_t repeat_opt = g->o.repeat; /* 0 = adaptive, see GEN_CALL_NS */

	__u32 key = 0;
	struct {
		__u32 nflows;
		__u16 sport_base, pad;
	} cfg = { o->nflows, o->sport_base, 0 };
	if (bpf_map_update_elem(g->map_cfg, &key, &cfg, BPF_ANY)) {
		int e = -errno;
		snprintf(err, errlen, "writing the generator config failed: %s", strerror(-e));
		return e;
	}

	if (g->mode == GEN_MODE_LOOP) {
		int lr = loop_start(g, err, errlen);
		if (lr)
			return lr;
		g->running = true;
		return 0;
	}

	/* One single-frame probe run here so a kernel without live frames (or
	 * a device without XDP transmit) fails with a clear message. The frame
	 * is real: it counts as sent. */
	g->o.repeat = 1;
	int r = run_once(g);
	g->o.repeat = repeat_opt;
	if (r) {
		snprintf(err, errlen,
			 "BPF_PROG_RUN in live-frames mode failed on ifindex %d: %s (needs Linux "
			 "5.18+ and root)",
			 o->ifindex, strerror(-r));
		return r;
	}
	atomic_store(&g->stop, false);
	atomic_store(&g->finished, false);
	atomic_store(&g->sent, 1);
	atomic_store(&g->err, 0);
	atomic_store(&g->rate_fps, 0);
	atomic_store(&g->call_start_ns, 0);

	/* The stop signal needs a handler (without SA_RESTART, so the call
	 * returns EINTR) rather than the default action, which would kill us. */
	struct sigaction sa = { .sa_handler = gen_wake };
	sigemptyset(&sa.sa_mask);
	sigaction(GEN_SIGNAL, &sa, NULL);

	pthread_attr_t at;
	pthread_attr_init(&at);
	if (o->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		pthread_attr_setaffinity_np(&at, sizeof(set), &set);
	}
	r = pthread_create(&g->thr, &at, gen_thread, g);
	pthread_attr_destroy(&at);
	if (r) {
		snprintf(err, errlen, "creating the generator thread failed: %s", strerror(r));
		return -r;
	}
	g->running = true;
	return 0;
}

uint64_t gen_stop(struct gen *g)
{
	if (g->mode == GEN_MODE_LOOP) {
		if (g->running)
			loop_stop(g);
		g->running = false;
		return loop_sent(g);
	}
	if (!g->running)
		return atomic_load(&g->sent);
	atomic_store(&g->stop, true);
	/* Interrupt the call in flight; repeat, since the signal can land just
	 * before the thread enters the kernel. Bounded: 10 s at most. */
	for (int i = 0; i < 2000 && !atomic_load(&g->finished); i++) {
		pthread_kill(g->thr, GEN_SIGNAL);
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	pthread_join(g->thr, NULL);
	g->running = false;
	return atomic_load(&g->sent);
}

uint64_t gen_sent(struct gen *g)
{
	if (g->mode == GEN_MODE_LOOP)
		return loop_sent(g);
	uint64_t sent = atomic_load(&g->sent);
	uint64_t t0 = atomic_load(&g->call_start_ns), fps = atomic_load(&g->rate_fps);
	if (!g->running || !t0 || !fps)
		return sent;
	/* Interpolate inside the call in flight from the measured rate. */
	uint64_t now = now_ns();
	uint64_t part = now > t0 ? (uint64_t)((double)fps * (double)(now - t0) / 1e9) : 0;
	uint64_t rep = atomic_load(&g->call_repeat);
	return sent + (part < rep ? part : rep);
}

uint64_t gen_cpu_ns(struct gen *g)
{
	return g->cpu_ns;
}

bool gen_finished(struct gen *g)
{
	if (g->mode == GEN_MODE_LOOP)
		return g->o.max_frames && loop_sent(g) >= g->o.max_frames;
	return atomic_load(&g->finished);
}

int gen_last_error(struct gen *g)
{
	return atomic_load(&g->err);
}

#else /* !PKTLINK_TOOL_HAVE_GEN: built without clang; everything reports it. */

struct gen {
	int unused;
};

enum gen_mode gen_mode(const struct gen *g)
{
	return GEN_MODE_LIVE;
}

void gen_use_loop(struct gen *g)
{
	(void)g;
}

const char *gen_describe(const struct gen *g)
{
	return "none (built without clang)";
}

bool gen_available(void)
{
	return false;
}

int gen_load(struct gen **out, char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen,
		 "this pktlink was built without the BPF traffic generator (clang and libbpf-dev "
		 "were not found at build time: install them and rebuild)");
	return -ENOTSUP;
}

void gen_destroy(struct gen *g)
{
	(void)g;
}

int gen_attach(struct gen *g, int ifindex, enum gen_prog which, char *err, size_t errlen)
{
	return -ENOTSUP;
}

void gen_detach(struct gen *g, int ifindex)
{
}

int gen_set_redirect(struct gen *g, int to_ifindex, char *err, size_t errlen)
{
	return -ENOTSUP;
}

uint64_t gen_count(struct gen *g)
{
	return 0;
}

int gen_start(struct gen *g, const struct gen_opts *o, char *err, size_t errlen)
{
	return -ENOTSUP;
}

uint64_t gen_stop(struct gen *g)
{
	return 0;
}

uint64_t gen_sent(struct gen *g)
{
	return 0;
}

uint64_t gen_cpu_ns(struct gen *g)
{
	return 0;
}

bool gen_finished(struct gen *g)
{
	return true;
}

int gen_last_error(struct gen *g)
{
	return 0;
}
#endif
