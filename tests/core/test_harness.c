/* SPDX-License-Identifier: MIT */
/* test_harness: the namespace harness itself — cases are isolated and bounded. */
#include "harness.h"

#include <net/if.h>
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

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "netns_is_private", netns_is_private, PLT_NETNS, 30 },
		{ "build_udp_checksums", build_udp_checksums, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
