/* SPDX-License-Identifier: MIT */
/*
 * gen.h — the benchmark's traffic generator and packet sinks, built on the
 * XDP programs of gen.bpf.c (embedded in the binary).
 *
 * How frames travel (veth pair GEN <-> DUT, DUT being the side under test):
 *
 *   rx scenarios:  a generator thread runs pl_gen_tx with BPF_PROG_RUN in
 *                  live-frames mode, ingress GEN. XDP_TX turns into a
 *                  redirect out of GEN, i.e. veth's ndo_xdp_xmit, which puts
 *                  the frame into DUT's receive ring. That only works when DUT
 *                  runs NAPI: either an XDP program is attached to DUT, or
 *                  GRO is enabled on DUT (Linux 5.13+, "veth: allow enabling
 *                  NAPI even without XDP"). The framework turns GRO on;
 *                  DUT's NAPI poll then builds skbs and hands them to the
 *                  stack (AF_PACKET sees them) on the generator's CPU.
 *   TAP rx:        pl_redirect on DUT forwards each frame with a DEVMAP
 *                  redirect into the TAP (tun's ndo_xdp_xmit queues the
 *                  xdp_frame on the TAP queue; read() copies it out).
 *   tx scenarios:  pl_sink_drop on GEN (or on the TAP itself: tun runs native
 *                  XDP on every frame written to it) counts and drops what
 *                  the program under test sent.
 *
 * Loop mode. Some kernels refuse live frames (EPERM from a hardened 6.18
 * here, EINVAL before 5.18); gen_load() finds out with a one-frame probe on
 * lo. The generator then builds a veth pair of its own next to GEN,
 * "plgl<ifindex>a" <-> "plgl<ifindex>b", with pl_gen_loop on the b end, and
 * seeds a few frames into a. Each pass through pl_gen_loop broadcasts the
 * frame (devmap BPF_F_BROADCAST) to a again, so it goes round once more,
 * and to GEN several times: GEN's ndo_xdp_xmit puts each copy into DUT's
 * receive ring, the same path as live frames. It all runs in the loop's
 * NAPI on the CPU that seeded it (gen_opts.cpu); measured 3.4 Mpps into an
 * XDP_DROP sink on the kernel that refused live frames (live frames reached
 * 5-6.4 there before it did), and 10.7 Mpps against live frames' 23 on a
 * later 6.18.44 (`pktlink gen --cpu 0 --sink`, --loop for the loop). The pair is
 * deleted by gen_destroy() (and with the namespace).
 *
 * Nothing here touches a device it was not given or did not create; every
 * attach is recorded and undone by gen_destroy().
 */
#ifndef PKTLINK_TOOLS_GEN_H
#define PKTLINK_TOOLS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen;

/* Options of gen_start(). */
struct gen_opts {
	int ifindex; /* the device the frames are "received" on and XDP_TX'd out of */
	int cpu; /* pin the generator thread here; -1 = no pinning */
	const uint8_t *frame; /* the frame to send (copied) */
	uint32_t len; /* its length, 60..2048 */
	uint32_t nflows; /* rotate the UDP source port over this many values (0/1: fixed) */
	uint16_t sport_base; /* first source port */
	uint32_t batch; /* frames per batch inside the kernel, 1..256; 0 = 64 */
	uint32_t repeat; /* frames per BPF_PROG_RUN call; 0 = sized to ~0.5 s per call */
	uint64_t max_frames; /* stop by itself after this many (0 = until gen_stop()) */
};

/* How frames are generated (see "Loop mode" above). */
enum gen_mode {
	GEN_MODE_LIVE, /* BPF_PROG_RUN live frames */
	GEN_MODE_LOOP, /* the veth loop */
};

/** gen_mode() - which generator runs: what this kernel allows (known after
 * gen_load()), or the loop after gen_use_loop(). */
enum gen_mode gen_mode(const struct gen *g);

/**
 * gen_use_loop() - run as the veth loop even where the kernel allows live
 * frames (`pktlink gen --loop`; the tests cover loop mode with it on any
 * kernel). Call after gen_load(), before gen_start().
 */
void gen_use_loop(struct gen *g);

/** gen_describe() - one line naming the generator and, for the loop, why. */
const char *gen_describe(const struct gen *g);

/* Which program gen_attach() puts on a device. */
enum gen_prog {
	GEN_PROG_SINK_DROP, /* count, XDP_DROP */
	GEN_PROG_REDIRECT, /* count, redirect to gen_set_redirect()'s device */
};

/**
 * gen_available() - whether this binary carries the BPF object (built with
 * clang). Without it every other function fails with -ENOTSUP.
 */
bool gen_available(void);

/**
 * gen_load() - load the embedded BPF object with libbpf.
 * Return: 0 with *out set, or a negative errno with a reason in err.
 */
int gen_load(struct gen **out, char *err, size_t errlen);

/**
 * gen_destroy() - stop the generator thread if it runs, detach every program
 * gen_attach() attached (only if it is still ours), free everything. NULL is
 * fine.
 */
void gen_destroy(struct gen *g);

/**
 * gen_attach() - attach @which to @ifindex in native (driver) mode, falling
 * back to generic mode when the driver has none. Replaces nothing: fails if
 * the device already has a program.
 */
int gen_attach(struct gen *g, int ifindex, enum gen_prog which, char *err, size_t errlen);

/** gen_detach() - detach what gen_attach() put on @ifindex (no-op if nothing). */
void gen_detach(struct gen *g, int ifindex);

/** gen_set_redirect() - the device pl_redirect sends to. */
int gen_set_redirect(struct gen *g, int to_ifindex, char *err, size_t errlen);

/** gen_count() - frames counted by the sink/redirect programs so far (all CPUs). */
uint64_t gen_count(struct gen *g);

/**
 * gen_start() - start the generator thread. It calls BPF_PROG_RUN in a loop
 * until gen_stop(). Fails with a reason when the kernel refuses live frames
 * (older than 5.18) — the first run happens before this returns, so the
 * error is reported here and not lost in the thread.
 */
int gen_start(struct gen *g, const struct gen_opts *o, char *err, size_t errlen);

/**
 * gen_stop() - stop and join the thread (within one BPF_PROG_RUN call,
 * tens of milliseconds). Return: the frames the generator ran.
 */
uint64_t gen_stop(struct gen *g);

/**
 * gen_sent() - frames sent so far. Exact for completed calls; inside the
 * call in flight (each lasts ~0.5 s) interpolated from the measured rate.
 * Uses SIGUSR1 to interrupt the kernel on gen_stop() (a no-op handler is
 * installed by gen_start()).
 */
uint64_t gen_sent(struct gen *g);

/** gen_cpu_ns() - CPU time the last generator thread used (valid after gen_stop());
 * in loop mode, all busy time of the generator's CPU during the run (the loop
 * runs in softirq context there), 0 when not pinned. */
uint64_t gen_cpu_ns(struct gen *g);

/** gen_finished() - the thread stopped by itself (max_frames reached, or an error). */
bool gen_finished(struct gen *g);

/** gen_last_error() - the generator thread's error (0 if none). */
int gen_last_error(struct gen *g);

#endif
