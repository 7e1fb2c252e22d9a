/* SPDX-License-Identifier: MIT */
/*
 * peer_util.h — what every reference peer in bench/ needs to measure the
 * same way pktlink bench does: a stop flag set by SIGINT/SIGTERM, the wall
 * clock, the polling thread's CPU time (the figure behind "CPU ns/pkt"),
 * and CPU pinning. Header-only: each peer is its own small program.
 */
#ifndef PKTLINK_BENCH_PEER_UTIL_H
#define PKTLINK_BENCH_PEER_UTIL_H

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

/* Set by peer_on_signal(); the measured loop checks it. */
static volatile sig_atomic_t quit;

/* peer_on_signal() - leave the measured loop; the peer then cleans up. */
static void peer_on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* peer_catch_signals() - SIGINT and SIGTERM set quit instead of killing. */
static inline void peer_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = peer_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* now_ns() - CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* cpu_ns() - CPU time of the calling (polling) thread, user + system. */
static inline uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* pin() - run the calling thread on one CPU (best effort, like the bench). */
static inline void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

#endif
