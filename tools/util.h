/* SPDX-License-Identifier: MIT */
/*
 * util.h — pure helpers of the pktlink tool: option value parsing, medians,
 * the benchmark's UDP frame, clocks. No I/O except the clocks, so the unit
 * tests (tests/core/test_tool_util.c) can exercise all of it.
 */
#ifndef PKTLINK_TOOLS_UTIL_H
#define PKTLINK_TOOLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * util_parse_seconds() - parse a duration: "2", "2s", "0.5", "500ms", "1m".
 * Return: 0 with *out in seconds (0 < *out <= max), or -EINVAL.
 */
int util_parse_seconds(const char *s, double max, double *out);

/**
 * util_parse_u64() - parse a decimal count within [min, max]; a "k"/"M"
 * suffix multiplies by 1000 / 1000000. Return 0 or -EINVAL / -ERANGE.
 */
int util_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/** util_parse_mac() - "aa:bb:cc:dd:ee:ff" → 6 bytes. Return 0 or -EINVAL. */
int util_parse_mac(const char *s, uint8_t mac[6]);

/** util_median() - median of @n values (sorts @v in place); 0 for n == 0. */
double util_median(double *v, unsigned n);

/**
 * util_build_udp() - write an Ethernet/IPv4/UDP frame of exactly @len bytes
 * (42 <= len <= cap) into @buf: IPv4 header checksum computed, UDP checksum
 * 0 (legal for IPv4, and lets the generator rewrite ports), payload zeroed.
 * Addresses in network byte order, ports in host order.
 * Return: len, or 0 when len is out of range.
 */
uint32_t util_build_udp(uint8_t *buf, uint32_t cap, uint32_t len, const uint8_t dst[6],
			const uint8_t src[6], uint32_t sip, uint32_t dip, uint16_t sport,
			uint16_t dport);

/** util_ipv4_csum() - the Internet checksum of @len bytes (header checksum). */
uint16_t util_ipv4_csum(const void *data, size_t len);

/**
 * util_copy() - memcpy() of @n bytes, always through the C library's call.
 *
 * Why a function: where GCC can bound a copy's size (a length clamped to a
 * buffer), it inlines memcpy() as `rep movsq` under its generic tuning,
 * slower than glibc's vector copy (the 1500-byte copy ring: 6.0-7.7 Mpps
 * with it, 7.5-8.4 without); the bench's copies must be the ones an
 * application makes.
 */
void util_copy(void *restrict d, const void *restrict s, size_t n);

/**
 * util_copy_frame() - copy a frame of @n bytes the way a fast receiver or
 * sender does: 32-64 bytes (the packet-rate case) as two overlapping
 * fixed-size copies the compiler inlines (as memif's sender does), anything
 * else through util_copy().
 */
static inline void util_copy_frame(void *restrict d, const void *restrict s, size_t n)
{
	if (n >= 32 && n <= 64) {
		__builtin_memcpy(d, s, 32);
		__builtin_memcpy((char *)d + n - 32, (const char *)s + n - 32, 32);
	} else {
		util_copy(d, s, n);
	}
}

/** util_now_ns() - CLOCK_MONOTONIC in ns. */
uint64_t util_now_ns(void);

/** util_thread_cpu_ns() - CPU time (user + system) of the calling thread, ns. */
uint64_t util_thread_cpu_ns(void);

/** util_write_file() - write a short string to a /proc or /sys file. Return 0 or -errno. */
int util_write_file(const char *path, const char *s);

/** util_pin_cpu() - pin the calling thread to @cpu (-1: leave it). Return 0 or -errno. */
int util_pin_cpu(int cpu);

/**
 * util_match_filter() - whether @name passes a comma-separated filter of
 * glob patterns ("packet-*,tap/rxdrop"); NULL or "" passes everything. A
 * pattern without a glob character also matches as a substring, so
 * "--scenarios mmap" does what one expects.
 */
bool util_match_filter(const char *filter, const char *name);

#endif
