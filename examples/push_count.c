/* SPDX-License-Identifier: MIT */
/*
 * push_count — the push (dispatcher) model, as a network stack attaches:
 * the endpoint's own worker threads call deliver() with each burst; the
 * closed callback says when the peer went away.
 *
 *   push_count SPEC [SECONDS]      e.g. push_count 'tap:pl0?vnet_hdr=1' 10
 */
#include <pktlink/pktlink.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long long frames, bytes; /* updated atomically: one worker per queue */

static void deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	unsigned long long b = 0;
	for (unsigned i = 0; i < n; i++)
		b += pkts[i].len; /* views are valid only inside this call */
	__atomic_fetch_add(&frames, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&bytes, b, __ATOMIC_RELAXED);
}

static void closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	fprintf(stderr, "peer gone: %s\n", pktlink_strerror(reason));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SPEC [SECONDS]\n", argv[0]);
		return 2;
	}
	char err[256];
	struct pktlink_ep *ep;
	if (pktlink_open(argv[1], &ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], err);
		return 1;
	}
	pktlink_set_closed_cb(ep, closed, NULL);
	if (pktlink_attach(ep, deliver, NULL) < 0) {
		fprintf(stderr, "attach: %s\n", pktlink_last_error(ep));
		pktlink_close(ep);
		return 1;
	}
	sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 10);
	pktlink_attach(ep, NULL, NULL); /* detach: tell the workers to stop */
	pktlink_join(ep); /* and wait for them */
	printf("%llu frames, %llu bytes\n", __atomic_load_n(&frames, __ATOMIC_RELAXED),
	       __atomic_load_n(&bytes, __ATOMIC_RELAXED));
	pktlink_close(ep);
	return 0;
}
