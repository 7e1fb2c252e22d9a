/* SPDX-License-Identifier: MIT */
/*
 * consumer.c — a program built against an installed pktlink, as a user
 * builds one (tests/abi/test_install.sh): version check, an endpoint over a
 * socketpair, one frame each way. Exits 0 when everything worked.
 */
#include <pktlink/pktlink.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	if (strcmp(pktlink_version(), PKTLINK_VERSION) != 0) {
		fprintf(stderr, "consumer: library %s, headers %s\n", pktlink_version(),
			PKTLINK_VERSION);
		return 1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		perror("consumer: socketpair");
		return 1;
	}
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "fd:%d?mtu=1500&hdr=eth", sv[0]);
	struct pktlink_ep *ep;
	if (pktlink_open(spec, &ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "consumer: %s: %s\n", spec, err);
		return 1;
	}
	unsigned char frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0 };
	struct pktlink_pkt p = { .data = frame, .len = sizeof(frame) };
	if (pktlink_tx_burst(ep, &p, 1) != 1 || read(sv[1], frame, sizeof(frame)) != sizeof(frame)) {
		fprintf(stderr, "consumer: transmit failed\n");
		return 1;
	}
	if (write(sv[1], frame, sizeof(frame)) != sizeof(frame))
		return 1;
	int n = 0;
	for (int i = 0; i < 1000 && n == 0; i++) {
		n = pktlink_rx_burst(ep, &p, 1);
		if (n == 0)
			pktlink_wait(ep, 10);
	}
	if (n != 1 || p.len != sizeof(frame)) {
		fprintf(stderr, "consumer: receive failed (%d)\n", n);
		return 1;
	}
	pktlink_rx_release(ep, &p, 1);
	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	pktlink_close(ep);
	printf("consumer: pktlink %s, %llu frame(s) each way\n", pktlink_version(),
	       (unsigned long long)st.rx_packets);
	return st.rx_packets == 1 && st.tx_packets == 1 ? 0 : 1;
}
