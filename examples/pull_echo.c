/* SPDX-License-Identifier: MIT */
/*
 * pull_echo — the pull (run-to-completion) model in one page: receive a
 * burst, swap the MAC addresses of each frame into a TX burst, send it,
 * release the views, sleep in poll() when idle.
 *
 *   pull_echo SPEC [SECONDS]      e.g. pull_echo 'packet:veth0?dispatch=mmap' 10
 */
#include <pktlink/pktlink.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BURST 32

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SPEC [SECONDS]\n%s", argv[0], pktlink_spec_help());
		return 2;
	}
	int seconds = argc > 2 ? atoi(argv[2]) : 10;
	char err[256];
	struct pktlink_ep *ep;
	int r = pktlink_open(argv[1], &ep, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], err);
		return 1;
	}

	struct pktlink_pkt rx[BURST], tx[BURST];
	static uint8_t out[BURST][2048];
	time_t end = time(NULL) + seconds;
	while (time(NULL) < end) {
		int n = pktlink_rx_burst(ep, rx, BURST);
		if (n < 0) {
			fprintf(stderr, "rx: %s\n", pktlink_last_error(ep));
			break;
		}
		if (n == 0) {
			pktlink_wait(ep, 100); /* poll(pktlink_fd(ep)) works the same */
			continue;
		}
		unsigned m = 0;
		for (int i = 0; i < n; i++) {
			if (rx[i].len < 14 || rx[i].len > sizeof(out[0]))
				continue;
			memcpy(out[m], rx[i].data, rx[i].len); /* copy: views go back below */
			memcpy(out[m], rx[i].data + 6, 6);
			memcpy(out[m] + 6, rx[i].data, 6);
			tx[m] = (struct pktlink_pkt){ .data = out[m], .len = rx[i].len };
			m++;
		}
		pktlink_rx_release(ep, rx, (unsigned)n);
		int sent = pktlink_tx_burst(ep, tx, m); /* may take fewer: the rest is dropped here */
		if (sent < 0)
			break;
	}

	struct pktlink_stats st;
	pktlink_get_stats(ep, &st);
	printf("rx %llu tx %llu drops(filter %llu invalid %llu nobuf %llu kernel %llu)\n",
	       (unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
	       (unsigned long long)st.rx_drop_filter, (unsigned long long)st.rx_drop_invalid,
	       (unsigned long long)st.rx_drop_nobuf, (unsigned long long)st.rx_drop_kernel);
	pktlink_close(ep);
	return 0;
}
