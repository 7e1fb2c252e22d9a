/* SPDX-License-Identifier: MIT */
/*
 * fd_testutil.h — helpers shared by the fd endpoint tests: deterministic
 * test frames (a private ethertype, a sequence number and a pattern, the
 * length derived from the sequence number so the receiver can check every
 * byte), pull/push pumps with time and iteration bounds, leak baselines.
 */
#ifndef PKTLINK_TESTS_FD_TESTUTIL_H
#define PKTLINK_TESTS_FD_TESTUTIL_H

#include "harness.h"

#include <pthread.h>
#include <errno.h>
#include <pktlink/fd.h>
#include <pktlink/pktlink.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/*
 * t_no_leaks() - run LeakSanitizer now (ASan builds): the harness ends each
 * case with _exit(), which skips the at-exit leak check, so teardown tests
 * call this. 0 when nothing leaked (always 0 without ASan).
 */
static inline int t_no_leaks(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

#define T_ETHERTYPE 0x88b5 /* IEEE local experimental */
#define T_MAX_BURST 32

static inline uint32_t t_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* Length of test frame seq: 64 .. maxlen, random but reproducible. */
static inline uint32_t t_len(uint32_t seq, uint32_t maxlen)
{
	return 64 + t_hash(seq * 2654435761u + 1) % (maxlen - 64 + 1);
}

/* Build test frame seq (salt tells the two directions apart). */
static inline uint32_t t_frame(uint8_t *buf, uint32_t seq, uint32_t salt, uint32_t maxlen,
			       const uint8_t dst[6], const uint8_t src[6])
{
	uint32_t len = t_len(seq ^ salt, maxlen);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = T_ETHERTYPE >> 8;
	buf[13] = T_ETHERTYPE & 0xff;
	memcpy(buf + 14, &seq, 4);
	memcpy(buf + 18, &salt, 4);
	for (uint32_t i = 22; i < len; i++)
		buf[i] = (uint8_t)(seq * 7 + i * 13 + salt);
	return len;
}

static inline bool t_is_test(const uint8_t *f, uint32_t len)
{
	return len >= 22 && f[12] == (T_ETHERTYPE >> 8) && f[13] == (T_ETHERTYPE & 0xff);
}

/* Check a received frame against the one expected; returns 0 when equal. */
static inline int t_check(const uint8_t *f, uint32_t len, uint32_t seq, uint32_t salt,
			  uint32_t maxlen, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t exp[65536 + 64];
	uint32_t el = t_frame(exp, seq, salt, maxlen, dst, src);
	if (len != el) {
		fprintf(stderr, "frame %u: length %u, expected %u\n", seq, len, el);
		return 1;
	}
	if (memcmp(f, exp, len)) {
		fprintf(stderr, "frame %u: bytes differ\n", seq);
		return 1;
	}
	return 0;
}

/* One direction of a transfer. */
struct t_dir {
	struct pktlink_ep *tx, *rx;
	uint32_t salt, maxlen, count;
	uint8_t dst[6], src[6];
	uint32_t sent, rcvd;
	int err;
};

/* Send what we can of d (one burst). */
static inline void t_send_some(struct t_dir *d)
{
	static uint8_t bufs[T_MAX_BURST][65536 + 64];
	struct pktlink_pkt pk[T_MAX_BURST];
	unsigned n = 0;
	/* a window of 24 frames in flight: these tests are about bytes, not
	 * drops. A kernel socket buffer holds ~100 full-size frames, but a
	 * TPACKET_V3 ring is only sure to hold one frame per block (32 by
	 * default): on a loaded machine the 1 ms retire timer closes a block
	 * after each frame (src/fd/packet.h, pl_packet_rx_ring_burst()). */
	while (n < T_MAX_BURST && d->sent + n < d->count && d->sent + n - d->rcvd < 24) {
		memset(&pk[n], 0, sizeof(pk[n]));
		pk[n].data = bufs[n];
		pk[n].len = t_frame(bufs[n], d->sent + n, d->salt, d->maxlen, d->dst, d->src);
		n++;
	}
	if (!n)
		return;
	int r = pktlink_tx_burst(d->tx, pk, n);
	if (r < 0)
		d->err = r;
	else
		d->sent += (uint32_t)r;
}

/* Receive what there is for d (one burst) and check it in order. */
static inline void t_recv_some(struct t_dir *d)
{
	struct pktlink_pkt pk[T_MAX_BURST];
	int r = pktlink_rx_burst(d->rx, pk, T_MAX_BURST);
	if (r < 0) {
		d->err = r;
		return;
	}
	for (int i = 0; i < r; i++) {
		if (!t_is_test(pk[i].data, pk[i].len))
			continue;
		if (t_check(pk[i].data, pk[i].len, d->rcvd, d->salt, d->maxlen, d->dst, d->src))
			d->err = -EBADMSG;
		d->rcvd++;
	}
	pktlink_rx_release(d->rx, pk, (unsigned)r);
}

/* Run both directions (b may be NULL) in pull mode until done, an error, or
 * the deadline. Returns 0 when everything arrived intact. */
static inline int t_pump2(struct t_dir *a, struct t_dir *b, int seconds)
{
	uint64_t end = plt_now_ns() + (uint64_t)seconds * 1000000000ull;
	for (unsigned it = 0; it < 50000000u && plt_now_ns() < end; it++) {
		bool done = true;
		struct t_dir *ds[2] = { a, b };
		for (int k = 0; k < 2; k++) {
			struct t_dir *d = ds[k];
			if (!d)
				continue;
			if (d->err)
				return d->err;
			t_send_some(d);
			t_recv_some(d);
			if (d->rcvd < d->count)
				done = false;
		}
		if (done)
			return 0;
		if ((it & 63) == 63)
			usleep(100);
	}
	fprintf(stderr, "timeout: a %u/%u sent, %u received", a->sent, a->count, a->rcvd);
	if (b)
		fprintf(stderr, "; b %u/%u sent, %u received", b->sent, b->count, b->rcvd);
	fprintf(stderr, "\n");
	return -ETIMEDOUT;
}

/* Push-mode receiver state: frames are checked on the worker thread. */
struct t_push {
	uint32_t salt, maxlen;
	uint8_t dst[6], src[6];
	uint32_t rcvd; /* atomic */
	int err; /* atomic */
	uint32_t others; /* atomic: non-test frames seen */
	int closed; /* atomic: closed-callback reason */
};

static inline void t_push_cb(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct t_push *p = ctx;
	(void)ep;
	for (unsigned i = 0; i < n; i++) {
		if (!t_is_test(pkts[i].data, pkts[i].len)) {
			__atomic_add_fetch(&p->others, 1, __ATOMIC_RELEASE);
			continue;
		}
		uint32_t seq = __atomic_load_n(&p->rcvd, __ATOMIC_RELAXED);
		if (t_check(pkts[i].data, pkts[i].len, seq, p->salt, p->maxlen, p->dst, p->src))
			__atomic_store_n(&p->err, -EBADMSG, __ATOMIC_RELAXED);
		__atomic_store_n(&p->rcvd, seq + 1, __ATOMIC_RELEASE);
	}
}

static inline void t_closed_cb(void *ctx, struct pktlink_ep *ep, int reason)
{
	(void)ep;
	int *slot = ctx;
	__atomic_store_n(slot, reason, __ATOMIC_RELEASE);
}

static inline void *t_nop_thread(void *arg)
{
	return arg;
}

/*
 * t_wait_oper_up() - wait until a device can carry frames (operstate "up",
 * or "unknown" as TUN/TAP report, and its qdisc attached); fail the case if
 * it does not within PLT_WAIT_MS. Until the kernel's link watcher has run, a
 * freshly raised device still has the no-op qdisc, which silently drops what
 * is sent through it.
 */
static inline void t_wait_oper_up(const char *ifname)
{
	PLT_CHECK(plt_wait_link_up(ifname, PLT_WAIT_MS), "%s did not come up", ifname);
}

/*
 * t_thread_baseline() - the thread count to compare against later. Starts
 * and joins one thread first, so that a sanitizer's helper thread (TSan
 * starts one at the first pthread_create) is already counted.
 */
static inline int t_thread_baseline(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, t_nop_thread, NULL) == 0)
		pthread_join(t, NULL);
	return plt_thread_count();
}

/* Wait (bounded) until *v is non-zero. */
static inline int t_wait_nonzero(const int *v, int seconds)
{
	uint64_t end = plt_now_ns() + (uint64_t)seconds * 1000000000ull;
	while (!__atomic_load_n(v, __ATOMIC_ACQUIRE) && plt_now_ns() < end)
		usleep(1000);
	return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

/* Open spec or fail the case with pktlink's reason. */
static inline struct pktlink_ep *t_open_spec(const char *spec)
{
	struct pktlink_ep *ep = NULL;
	char err[256] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "%s: %s (%s)", spec, err, plt_errname(-r));
	return ep;
}

#endif
