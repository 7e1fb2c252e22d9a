/* SPDX-License-Identifier: MIT */
/* util.c — pure helpers of the pktlink tool (see util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int util_parse_seconds(const char *s, double max, double *out)
{
	if (!s || !*s)
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		;
	else if (!strcmp(end, "ms"))
		v /= 1000.0;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		v *= 60.0;
	else
		return -EINVAL;
	if (!(v > 0) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int util_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	uint64_t mul = 1;
	if (!strcmp(end, "k") || !strcmp(end, "K"))
		mul = 1000;
	else if (!strcmp(end, "M"))
		mul = 1000000;
	else if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	v *= mul;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int util_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char extra;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
			 &b[5], &extra) != 6)
		return -EINVAL;
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* cmp_double() - qsort order for util_median(). */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double util_median(double *v, unsigned n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint16_t util_ipv4_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = (uint16_t)~sum;
	/* Return it in network byte order, ready to be stored. */
	uint8_t out[2] = { (uint8_t)(c >> 8), (uint8_t)c };
	uint16_t r;
	memcpy(&r, out, 2);
	return r;
}

uint32_t util_build_udp(uint8_t *buf, uint32_t cap, uint32_t len, const uint8_t dst[6],
			const uint8_t src[6], uint32_t sip, uint32_t dip, uint16_t sport,
			uint16_t dport)
{
	if (len < 42 || len > cap || len > 14 + 65535)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08; /* IPv4 */
	buf[13] = 0x00;
	uint8_t *ip = buf + 14;
	uint32_t iplen = len - 14, udplen = iplen - 20;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[6] = 0x40; /* DF */
	ip[8] = 64; /* TTL */
	ip[9] = 17; /* UDP */
	memcpy(ip + 12, &sip, 4);
	memcpy(ip + 16, &dip, 4);
	uint16_t c = util_ipv4_csum(ip, 20);
	memcpy(ip + 10, &c, 2);
	uint8_t *udp = ip + 20;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(udplen >> 8);
	udp[5] = (uint8_t)udplen;
	return len;
}

void util_copy(void *restrict d, const void *restrict s, size_t n)
{
	memcpy(d, s, n);
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t util_thread_cpu_ns(void)
{
	/* Same figure as getrusage(RUSAGE_THREAD) user+system, at ns
	 * resolution instead of the scheduler tick's. */
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int util_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

int util_pin_cpu(int cpu)
{
	if (cpu < 0)
		return 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

bool util_match_filter(const char *filter, const char *name)
{
	if (!filter || !*filter)
		return true;
	char buf[512];
	size_t l = strlen(filter);
	if (l >= sizeof(buf))
		l = sizeof(buf) - 1;
	memcpy(buf, filter, l);
	buf[l] = '\0';
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!*tok)
			continue;
		if (strpbrk(tok, "*?[")) {
			if (!fnmatch(tok, name, 0))
				return true;
		} else if (strstr(name, tok)) {
			return true;
		}
	}
	return false;
}
