/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h — what every fuzz/fuzz_*.c target defines.
 *
 * A target is a libFuzzer entry point. Built with clang and
 * -fsanitize=fuzzer it runs under libFuzzer (scripts/fuzz.sh); built with
 * fuzz/replay_main.c it runs as a deterministic ctest program that feeds
 * it pseudo-random and mutated-valid inputs (fuzz/replay.cmake).
 */
#ifndef PKTLINK_FUZZ_FUZZ_H
#define PKTLINK_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** LLVMFuzzerTestOneInput() - run one input; returns 0. May trap on a broken invariant. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * pl_fuzz_seed() - optional (weak in the replay driver): write valid seed
 * input number i into buf (cap bytes) and return its length, or 0 when
 * there are no more. The replay driver mutates these; scripts/fuzz.sh
 * writes them out as the libFuzzer starting corpus.
 */
size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap);

/* Fail loudly on a broken invariant: a fuzzer wants a crash, not a message. */
#define PL_FUZZ_CHECK(c)                                                                       \
	do {                                                                                   \
		if (!(c))                                                                      \
			__builtin_trap();                                                      \
	} while (0)

#endif
