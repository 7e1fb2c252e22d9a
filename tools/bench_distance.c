/* SPDX-License-Identifier: MIT */
/*
 * bench_distance.c — how far apart the bench's two CPUs are, measured
 * before and after every run (bench.c: run_one()): the round trip of a
 * cache line between a thread on --cpu-gen and the measured thread on
 * --cpu-dut.
 *
 * On a VM the host may place the two vCPUs on cores that share a cache, or
 * on cores that do not, and move them while the bench runs. Two-process
 * rows move cache lines between the CPUs for every burst, so on distant
 * cores they run at a fraction of their speed. On this project's 2-vCPU
 * EPYC VM the round trip was 110-140 ns in one placement and 500-790 ns in
 * the other, with the limit ring at 600 against 260 Mpps
 * (bench/README.md, "CPU distance"). The load sampling of bench_load.c
 * cannot see this: no other work runs.
 *
 * The probe takes well under a millisecond. Every wait in it is bounded:
 * a partner thread that is not scheduled within the deadline makes the
 * figure NAN (not known), never a hang.
 */
#include "bench_int.h"
#include "util.h"

#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#define DIST_BATCHES 8u /* the fastest batch counts: preemption only slows */
#define DIST_TRIPS 64u /* round trips per batch */
#define DIST_DEADLINE_NS 50000000ull /* for the whole probe */

struct dist_probe {
	alignas(64) _Atomic uint64_t ping; /* written by the measuring thread */
	alignas(64) _Atomic uint64_t pong; /* written by the partner */
	alignas(64) _Atomic int quit;
	int cpu;
	uint64_t deadline;
};

/* wait_for() - spin until *v == want; false at the deadline or on quit. */
static bool wait_for(struct dist_probe *d, _Atomic uint64_t *v, uint64_t want)
{
	for (unsigned k = 1;; k++) {
		if (atomic_load_explicit(v, memory_order_acquire) == want)
			return true;
		if (!(k & 255) && (atomic_load_explicit(&d->quit, memory_order_relaxed) ||
				   util_now_ns() > d->deadline))
			return false;
	}
}

/* partner() - on the other CPU: answer every ping with the same value. */
static void *partner(void *arg)
{
	struct dist_probe *d = arg;
	if (util_pin_cpu(d->cpu))
		return NULL;
	for (uint64_t i = 1; i <= (uint64_t)DIST_BATCHES * DIST_TRIPS; i++) {
		if (!wait_for(d, &d->ping, i))
			return NULL;
		atomic_store_explicit(&d->pong, i, memory_order_release);
	}
	return NULL;
}

double bench_cpu_distance(int cpu_here, int cpu_other)
{
	if (cpu_here < 0 || cpu_other < 0 || cpu_here == cpu_other)
		return NAN;
	static struct dist_probe d; /* aligned lines; one probe at a time */
	atomic_store(&d.ping, 0);
	atomic_store(&d.pong, 0);
	atomic_store(&d.quit, 0);
	d.cpu = cpu_other;
	d.deadline = util_now_ns() + DIST_DEADLINE_NS;
	pthread_t t;
	if (pthread_create(&t, NULL, partner, &d))
		return NAN;
	double best = NAN;
	uint64_t i = 0;
	for (unsigned b = 0; b < DIST_BATCHES; b++) {
		uint64_t t0 = util_now_ns();
		unsigned k;
		for (k = 0; k < DIST_TRIPS; k++) {
			atomic_store_explicit(&d.ping, ++i, memory_order_release);
			if (!wait_for(&d, &d.pong, i))
				break;
		}
		if (k < DIST_TRIPS) {
			best = NAN; /* the partner was not there in time */
			break;
		}
		double ns = (double)(util_now_ns() - t0) / DIST_TRIPS;
		if (isnan(best) || ns < best)
			best = ns;
	}
	atomic_store(&d.quit, 1);
	pthread_join(t, NULL);
	return best;
}

bool bench_same_distance(double a_ns, double b_ns)
{
	if (isnan(a_ns) || isnan(b_ns))
		return true; /* not known: nothing says otherwise */
	double lo = a_ns < b_ns ? a_ns : b_ns, hi = a_ns < b_ns ? b_ns : a_ns;
	return hi <= BENCH_XCPU_WARN_RATIO * lo;
}
