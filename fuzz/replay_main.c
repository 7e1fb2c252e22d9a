/* SPDX-License-Identifier: MIT */
/*
 * replay_main.c — a standalone driver for libFuzzer targets, so the normal
 * (gcc, ASan+UBSan) test suite exercises every fuzz target without clang:
 *
 *   fuzz_replay_X               feed PL_FUZZ_ITERS (default 20000) inputs:
 *                               ~3/4 mutated copies of the target's valid
 *                               seeds (pl_fuzz_seed), ~1/4 random bytes.
 *                               Deterministic (fixed PRNG seed).
 *   fuzz_replay_X FILE...       run the given inputs (crash reproduction).
 *   fuzz_replay_X --dump-seeds DIR
 *                               write the seeds as files (libFuzzer corpus).
 *
 * Each input is copied into a heap buffer of exactly its size, so ASan
 * reports any read past its end, as under libFuzzer.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Targets without seeds get random inputs only. */
__attribute__((weak)) size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	(void)i;
	(void)buf;
	(void)cap;
	return 0;
}

#define MAX_SEEDS 64
#define SEED_CAP (70 * 1024)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void run_one(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	if (size)
		memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

static int run_files(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		run_one(buf, n);
	}
	printf("%d inputs ran\n", argc - 1);
	return 0;
}

static int dump_seeds(const char *dir)
{
	static uint8_t buf[SEED_CAP];
	unsigned i;
	for (i = 0; i < MAX_SEEDS; i++) {
		size_t n = pl_fuzz_seed(i, buf, sizeof(buf));
		if (!n)
			break;
		char path[4096];
		snprintf(path, sizeof(path), "%s/seed-%02u", dir, i);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, n, f) != n) {
			perror(path);
			if (f)
				fclose(f);
			return 1;
		}
		fclose(f);
	}
	printf("%u seeds written to %s\n", i, dir);
	return 0;
}

/* Apply 1..8 random mutations to buf (len bytes, cap capacity). */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	static const uint8_t interesting[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 5, 6, 17, 40, 60 };
	unsigned ops = 1 + (unsigned)(rnd() % 8);
	for (unsigned k = 0; k < ops; k++) {
		uint64_t r = rnd();
		size_t pos = len ? (size_t)(r >> 16) % len : 0;
		switch (r % 8) {
		case 0: /* flip a bit */
			if (len)
				buf[pos] ^= (uint8_t)(1u << ((r >> 8) & 7));
			break;
		case 1: /* random byte */
			if (len)
				buf[pos] = (uint8_t)(r >> 8);
			break;
		case 2: /* interesting byte */
			if (len)
				buf[pos] = interesting[(r >> 8) % sizeof(interesting)];
			break;
		case 3: /* truncate */
			len = len ? (size_t)(r >> 24) % len : 0;
			break;
		case 4: /* extend with random bytes */ {
			size_t add = (size_t)(r >> 8) % 64;
			if (len + add > cap)
				add = cap - len;
			for (size_t i = 0; i < add; i++)
				buf[len + i] = (uint8_t)rnd();
			len += add;
			break;
		}
		case 5: /* delete a byte */
			if (len) {
				memmove(buf + pos, buf + pos + 1, len - pos - 1);
				len--;
			}
			break;
		case 6: /* insert a byte */
			if (len < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = (uint8_t)(r >> 8);
				len++;
			}
			break;
		default: /* 16-bit edge value, in the headers most of the time */
			if (len >= 2) {
				size_t p = (r & 0x100) ? pos % (len < 96 ? len - 1 : 95) : pos % (len - 1);
				uint16_t v = (r & 0x200) ? 0xffff : (r & 0x400) ? 0 : (uint16_t)(r >> 40);
				buf[p] = (uint8_t)v;
				buf[p + 1] = (uint8_t)(v >> 8);
			}
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--dump-seeds") == 0)
		return dump_seeds(argv[2]);
	if (argc > 1)
		return run_files(argc, argv);

	static uint8_t seeds[MAX_SEEDS][SEED_CAP];
	static size_t seed_len[MAX_SEEDS];
	static uint8_t buf[SEED_CAP];
	unsigned nseeds = 0;
	while (nseeds < MAX_SEEDS) {
		size_t n = pl_fuzz_seed(nseeds, seeds[nseeds], SEED_CAP);
		if (!n)
			break;
		seed_len[nseeds++] = n;
	}
	unsigned long iters = 20000;
	const char *env = getenv("PL_FUZZ_ITERS");
	if (env && *env)
		iters = strtoul(env, NULL, 10);

	/* Every seed unmodified first: they must pass. */
	for (unsigned i = 0; i < nseeds; i++)
		run_one(seeds[i], seed_len[i]);
	for (unsigned long it = 0; it < iters; it++) {
		uint64_t r = rnd();
		size_t len;
		if (nseeds && (r & 3) != 0) {
			unsigned s = (unsigned)((r >> 8) % nseeds);
			memcpy(buf, seeds[s], seed_len[s]);
			len = mutate(buf, seed_len[s], sizeof(buf));
		} else {
			/* mostly short random inputs, sometimes long ones */
			len = (r & 0x10) ? (size_t)(r >> 20) % 4096 : (size_t)(r >> 20) % 128;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
		}
		run_one(buf, len);
	}
	printf("%lu inputs (%u seeds) ran\n", iters + nseeds, nseeds);
	return 0;
}
