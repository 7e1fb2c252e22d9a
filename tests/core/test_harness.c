/* SPDX-License-Identifier: MIT */
/* test_harness: the namespace harness itself — cases are isolated and bounded. */
#include "harness.h"

#include <net/if.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static int netns_is_private(void)
{
	/* A fresh namespace has only lo; veth creation is visible only here. */
	PLT_CHECK(if_nametoindex("eth0") == 0, "eth0 visible inside the test namespace");
	plt_veth("plh0", "plh1", 1500, "198.18.0.1/24", "198.18.0.2/24");
	PLT_CHECK(plt_ifindex("plh0") > 0 && plt_ifindex("plh1") > 0, "veth");
	uint8_t mac[6];
	plt_mac("plh0", mac);
	PLT_CHECK(mac[0] || mac[1] || mac[2] || mac[3] || mac[4] || mac[5], "veth has a MAC");
	return 0;
}

static int build_udp_checksums(void)
{
	uint8_t f[128], a[6] = { 2, 0, 0, 0, 0, 1 }, b[6] = { 2, 0, 0, 0, 0, 2 };
	uint32_t n = plt_build_udp(f, a, b, PLT_IP(198, 18, 0, 1), PLT_IP(198, 18, 0, 2), 1000,
				   2000, NULL, 18);
	PLT_CHECK(n == 14 + 20 + 8 + 18, "len %u", n);
	PLT_CHECK(f[14 + 10] || f[14 + 11], "ip csum set");
	return 0;
}

static int flag; /* atomic */

static void *set_flag_later(void *arg)
{
	(void)arg;
	usleep(20000);
	__atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool flag_set(void *arg)
{
	return __atomic_load_n((int *)arg, __ATOMIC_ACQUIRE) != 0;
}

/* The wait helpers: a condition that comes true is seen; one that never
 * does ends at the deadline; a joined thread's count settles. */
static int wait_helpers(void)
{
	int threads0 = plt_thread_count();
	PLT_CHECK(threads0 >= 1, "thread count %d", threads0);
	pthread_t t;
	PLT_CHECK(pthread_create(&t, NULL, set_flag_later, NULL) == 0, "pthread_create");
	PLT_CHECK(plt_wait_until(flag_set, &flag, PLT_WAIT_MS), "flag never seen");
	pthread_join(t, NULL);
	PLT_CHECK_THREADS(threads0, "after join");
	int never = 0;
	PLT_CHECK(!plt_wait_until(flag_set, &never, 30), "a false condition held");
	unsigned polls = 0;
	PLT_CHECK(PLT_WAIT(++polls >= 3, PLT_WAIT_MS) && polls == 3, "PLT_WAIT polled %u times",
		  polls);
	PLT_CHECK(!plt_wait_link_up("plh-none", 10), "a missing device came up");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "netns_is_private", netns_is_private, PLT_NETNS, 30 },
		{ "build_udp_checksums", build_udp_checksums, PLT_UNIT, 0 },
		{ "wait_helpers", wait_helpers, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
