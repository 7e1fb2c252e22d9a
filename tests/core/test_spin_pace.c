/* SPDX-License-Identifier: MIT */
/*
 * test_spin_pace: the pacing of a receiver's pre-sleep spin
 * (src/core/endpoint.h) — no gap until a one-way stream comes in, the gap
 * doubling up to its cap while looks find batches, back to none when a look
 * finds little, when the spin runs out or when the endpoint sends, halved
 * when the ring was found more than half full; and pl_spin_until() with a
 * gap still ends at its deadline and still sees a ready condition.
 */
#include "harness.h"

#include "core/endpoint.h"

static struct pl_tx_counters txc;
static struct pl_rx_counters rxc;

/* One spin: begin (its gap returned), then end with @found of @cap. */
static uint32_t spin(struct pl_spin_pace *p, unsigned found, unsigned cap)
{
	uint32_t gap = pl_spin_pace_begin(p, &txc, &rxc);
	if (p->stream)
		pl_spin_pace_end(p, found, cap);
	return gap;
}

static int stream_only(void)
{
	struct pl_spin_pace p = { 0 };
	txc.packets = rxc.packets = 0;
	/* a request-response peer: we send, a window comes back, repeatedly */
	for (int i = 0; i < 100; i++) {
		txc.packets += 32;
		PLT_CHECK(spin(&p, 32, 1024) == 0, "gap while answering (round %d)", i);
		rxc.packets += 32;
	}
	/* a one-way stream from our last send on: no gap until PL_SPIN_STREAM
	 * frames are in */
	txc.packets++;
	uint64_t start = rxc.packets;
	while (rxc.packets - start < PL_SPIN_STREAM) {
		PLT_CHECK(spin(&p, 32, 1024) == 0, "gap before %u frames came in", PL_SPIN_STREAM);
		rxc.packets += 32;
	}
	PLT_CHECK(spin(&p, 32, 1024) == 0, "the first paced spin starts without a gap");
	uint32_t want = PL_SPIN_GAP_MIN_NS;
	for (int i = 0; i < 10; i++) {
		rxc.packets += 32;
		uint32_t g = spin(&p, 32, 1024);
		PLT_CHECK(g == want, "gap %u, wanted %u (step %d)", g, want, i);
		want = want * 2 > PL_SPIN_GAP_MAX_NS ? PL_SPIN_GAP_MAX_NS : want * 2;
	}
	/* one send ends it */
	txc.packets++;
	PLT_CHECK(spin(&p, 32, 1024) == 0, "gap after a send");
	rxc.packets += 32;
	PLT_CHECK(spin(&p, 32, 1024) == 0, "gap right after a send");
	return 0;
}

static int what_looks_find(void)
{
	struct pl_spin_pace p = { 0 };
	txc.packets = 0;
	rxc.packets = PL_SPIN_STREAM;
	spin(&p, 32, 1024);
	spin(&p, 32, 1024);
	spin(&p, 32, 1024);
	PLT_CHECK(p.gap == 4 * PL_SPIN_GAP_MIN_NS, "gap %u after three batches", p.gap);
	spin(&p, PL_SPIN_BATCH - 1, 1024);
	PLT_CHECK(p.gap == 0, "gap %u after a look found less than a batch", p.gap);
	spin(&p, 32, 1024);
	spin(&p, 32, 1024);
	spin(&p, 0, 1024);
	PLT_CHECK(p.gap == 0, "gap %u after a spin ran out", p.gap);
	spin(&p, 32, 1024);
	spin(&p, 32, 1024);
	spin(&p, 32, 1024);
	spin(&p, 600, 1024);
	PLT_CHECK(p.gap == 2 * PL_SPIN_GAP_MIN_NS, "gap %u after a ring more than half full", p.gap);
	spin(&p, 600, 1024);
	spin(&p, 600, 1024);
	PLT_CHECK(p.gap == 0, "gap %u: halving stops at none", p.gap);
	/* a tiny ring: a batch is more than half of it, so no gap ever */
	for (int i = 0; i < 20; i++)
		spin(&p, 8, 8);
	PLT_CHECK(p.gap == 0, "gap %u on an 8-slot ring", p.gap);
	return 0;
}

static int looks_left;
static bool ready_after(void *ctx)
{
	(void)ctx;
	return --looks_left <= 0;
}
static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static int spin_until(void)
{
	for (uint32_t gap = 0; gap <= PL_SPIN_GAP_MAX_NS; gap = gap ? gap * 2 : PL_SPIN_GAP_MIN_NS) {
		uint64_t t0 = pl_mono_ns();
		PLT_CHECK(!pl_spin_until(never, NULL, 200000, gap), "never ready, gap %u", gap);
		uint64_t took = pl_mono_ns() - t0;
		/* a loaded machine may stretch it; it must not end early */
		PLT_CHECK(took >= 200000, "gap %u: ended after %llu ns", gap, (unsigned long long)took);
		looks_left = 3;
		PLT_CHECK(pl_spin_until(ready_after, NULL, 10000000000ull, gap), "ready, gap %u", gap);
		PLT_CHECK(looks_left == 0, "gap %u: %d looks left", gap, looks_left);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "stream_only", stream_only, PLT_UNIT, 0 },
		{ "what_looks_find", what_looks_find, PLT_UNIT, 0 },
		{ "spin_until", spin_until, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
