/* SPDX-License-Identifier: MIT */
/*
 * harness.h — the test harness.
 *
 * A test program is a list of cases run by plt_main(). Each case runs in a
 * forked child so that a crash, a leak of fds or a hang stays inside it:
 *
 *   - PLT_UNIT cases run as they are (no privileges needed).
 *   - PLT_NETNS cases run in a fresh network namespace the child creates
 *     with unshare(CLONE_NEWNET) (and a private mount namespace, so bpffs
 *     can be mounted); loopback is brought up. Everything the case creates
 *     (veth, TAP, addresses) vanishes with the child, even on a crash.
 *   - Every case has a time limit; the parent kills the child when it
 *     passes and reports the case as failed.
 *
 * Only interfaces the case created, only addresses in 198.18.0.0/15.
 *
 * Output: one line per case ("ok"/"FAIL"/"skip"), then a closing line
 * "N passed, N failed, N skipped". Exit status: 0 when nothing failed and
 * something passed, 77 when everything was skipped, 1 otherwise.
 */
#ifndef PKTLINK_TESTS_HARNESS_H
#define PKTLINK_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum plt_kind { PLT_UNIT, PLT_NETNS };

struct plt_case {
	const char *name;
	int (*fn)(void); /* return 0 = pass, 77 = skip, else fail */
	enum plt_kind kind;
	int timeout_s; /* 0 = 60 */
};

/** plt_main() - run the cases named on the command line (all when none). */
int plt_main(int argc, char **argv, const struct plt_case *cases, unsigned ncases);

#define PLT_SKIP 77

/* Fail the current case (the child exits 1) with a message. */
#define PLT_CHECK(cond, ...)                                                                   \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                          \
			fprintf(stderr, "\n");                                                 \
			exit(1);                                                               \
		}                                                                              \
	} while (0)

/* Check that a call returned >= 0; print its errno name otherwise. */
#define PLT_OK(expr)                                                                           \
	do {                                                                                   \
		long plt_r_ = (long)(expr);                                                    \
		PLT_CHECK(plt_r_ >= 0, "%s returned %ld (%s)", #expr, plt_r_,                  \
			  plt_r_ < 0 ? plt_errname((int)-plt_r_) : "");                        \
	} while (0)

const char *plt_errname(int err);

/** plt_sh() - run a shell command (in the case's namespace); return its exit status. */
int plt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** plt_sh_ok() - run a shell command and fail the case unless it exits 0. */
void plt_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * plt_veth() - create a veth pair a <-> b in the current namespace, set
 * MTU, bring both up and wait until both can carry frames
 * (plt_wait_link_up()). With addr_a/addr_b (e.g. "198.18.0.1/24") assign
 * addresses; NULL for none. IPv6 is disabled on both so no stray
 * router/neighbour solicitations show up in captures.
 */
void plt_veth(const char *a, const char *b, unsigned mtu, const char *addr_a, const char *addr_b);

/** plt_ifindex() - ifindex of a device, failing the case if it is missing. */
int plt_ifindex(const char *ifname);

/** plt_mac() - read a device's MAC address. */
void plt_mac(const char *ifname, uint8_t mac[6]);

/** plt_fd_count() - number of open fds in this process (leak checks). */
int plt_fd_count(void);

/*
 * Waiting on a loaded machine. Some effects land a little after the call
 * that caused them returns: a joined thread leaves /proc/self/task only when
 * the kernel has reaped it, a device's carrier and qdisc come up from a
 * kernel work item, a frame crosses a veth in a softirq. A test waits for
 * the condition with a bounded deadline instead of sleeping and assuming.
 */
#define PLT_WAIT_MS 20000 /* the default deadline: generous, since polling costs nothing */
#define PLT_WAIT_NS ((uint64_t)PLT_WAIT_MS * 1000000ull)

/**
 * plt_wait_until() - poll cond(arg) until it returns true or timeout_ms
 * passes: at once, then every 1 ms, backing off to every 20 ms.
 * Return: true if cond held in time.
 */
bool plt_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/* plt_backoff() - the pause between two polls number i and i + 1. */
void plt_backoff(unsigned i);

/* PLT_WAIT(expr, timeout_ms) - plt_wait_until() for an expression, which is
 * evaluated again at every poll. Evaluates to whether it held in time. */
#define PLT_WAIT(expr, timeout_ms)                                                             	({                                                                                     		uint64_t plt_end_ = plt_now_ns() + (uint64_t)(timeout_ms) * 1000000ull;        		unsigned plt_i_ = 0;                                                           		bool plt_ok_;                                                                  		while (!(plt_ok_ = (expr)) && plt_now_ns() < plt_end_)                         			plt_backoff(plt_i_++);                                                 		plt_ok_;                                                                       	})

/** plt_thread_count() - number of threads of this process (/proc/self/task). */
int plt_thread_count(void);

/**
 * plt_wait_threads() - wait (up to PLT_WAIT_MS) until this process has want
 * threads, for checks right after pthread_join(): the joined thread's task
 * can outlive the join for a moment. Return: the last count read.
 */
int plt_wait_threads(int want);

/* Fail the case unless the thread count settles at want (plt_wait_threads()). */
#define PLT_CHECK_THREADS(want, what)                                                          \
	do {                                                                                   \
		int plt_want_ = (want), plt_t_ = plt_wait_threads(plt_want_);                  \
		PLT_CHECK(plt_t_ == plt_want_, "%s: %d threads, expected %d", what, plt_t_,    \
			  plt_want_);                                                          \
	} while (0)

/**
 * plt_wait_link_up() - wait (up to timeout_ms) until a device can carry
 * frames: operstate up (or unknown, as TUN/TAP report) and its qdisc
 * attached. Until the kernel's link watcher has run, a device that was just
 * set up still has the noop qdisc, which drops everything sent through it.
 * Return: true if it came up in time.
 */
bool plt_wait_link_up(const char *ifname, int timeout_ms);

/** plt_now_ns() - CLOCK_MONOTONIC in nanoseconds. */
uint64_t plt_now_ns(void);

/** plt_mount_bpffs() - mount bpffs at /sys/fs/bpf in this (private) mount namespace. */
int plt_mount_bpffs(void);

/** plt_rand() - a deterministic xorshift PRNG (seeded per case). */
uint64_t plt_rand(void);

/**
 * plt_build_udp() - write an Ethernet/IPv4/UDP frame with correct
 * checksums into buf; returns its length. payload may be NULL (filled with
 * a pattern derived from seq).
 */
uint32_t plt_build_udp(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		       uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		       const void *payload, uint32_t payload_len);

/* 198.18.0.0/15 addresses, host byte order helpers. */
#define PLT_IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

#endif
