/* SPDX-License-Identifier: MIT */
/*
 * offload_csum.c — the Internet checksum (RFC 1071) and checksum completion.
 *
 * The sum is computed over 8-byte words loaded with memcpy (so any alignment
 * is fine and the compiler emits plain unaligned loads on x86-64/arm64),
 * split into 32-bit halves summed in 64-bit accumulators. Because one's complement
 * addition is commutative and byte-order independent (RFC 1071 §2(B)), the
 * sum of native 64-bit words folded down to 16 bits equals the sum of the
 * 16-bit words in memory order, on little- and big-endian CPUs alike, as long
 * as every 16-bit lane starts at an even offset from buf — which holds here
 * because all words and the zero-padded tail are loaded at offsets that are
 * multiples of 8 from buf.
 */
#include "core/offload.h"

#include <errno.h>
#include <string.h>

/* Fold a 64-bit one's complement accumulator to 32 bits (still a valid sum). */
static inline uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/*
 * Sum of at most CHUNK bytes as a plain 64-bit integer, congruent modulo
 * 0xffff to the one's complement sum (2^16 ≡ 2^32 ≡ 1 mod 0xffff). Each
 * 8-byte word is split into its 32-bit halves, added into four independent
 * accumulators: no carry handling in the loop and no dependency between
 * neighbouring adds, which is what makes it fast (several times the
 * add-with-carry chain). A chunk adds at most CHUNK/4 values below 2^32 to
 * the four accumulators together, so nothing can overflow.
 */
#define CHUNK ((size_t)1 << 30)

static uint64_t sum_chunk(const uint8_t *p, size_t len)
{
	uint64_t a = 0, b = 0, c = 0, d = 0;
	uint64_t w0, w1, w2, w3;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		a += (uint32_t)w0;
		b += w0 >> 32;
		c += (uint32_t)w1;
		d += w1 >> 32;
		a += (uint32_t)w2;
		b += w2 >> 32;
		c += (uint32_t)w3;
		d += w3 >> 32;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		a += (uint32_t)w0;
		b += w0 >> 32;
		p += 8;
		len -= 8;
	}
	if (len) {
		/* The tail lands at the start of a zeroed word: memory order is
		 * preserved, so an odd last byte becomes the high-order byte of
		 * its 16-bit lane in network order, as RFC 1071 pads it. */
		w0 = 0;
		memcpy(&w0, p, len);
		a += (uint32_t)w0;
		b += w0 >> 32;
	}
	return a + b + c + d; /* each < 2^58: no overflow */
}

uint32_t pl_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* Chunks are multiples of 8 bytes, so the 16-bit lanes stay aligned
	 * to buf across them. */
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;
		uint64_t s = sum_chunk(p, n);
		acc += s;
		acc += acc < s; /* end-around carry */
		acc = fold64(acc);
		p += n;
		len -= n;
	}
	return fold64(acc);
}

uint16_t pl_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t pl_csum_pseudo4(const void *saddr, const void *daddr, uint8_t proto, uint32_t l4_len)
{
	/* Built as bytes so the byte-order question answers itself. */
	uint8_t ph[12];
	memcpy(ph, saddr, 4);
	memcpy(ph + 4, daddr, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(l4_len >> 8);
	ph[11] = (uint8_t)l4_len;
	return pl_csum_partial(ph, sizeof(ph), 0);
}

uint32_t pl_csum_pseudo6(const void *saddr, const void *daddr, uint8_t proto, uint32_t l4_len)
{
	uint8_t ph[40];
	memcpy(ph, saddr, 16);
	memcpy(ph + 16, daddr, 16);
	ph[32] = (uint8_t)(l4_len >> 24);
	ph[33] = (uint8_t)(l4_len >> 16);
	ph[34] = (uint8_t)(l4_len >> 8);
	ph[35] = (uint8_t)l4_len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return pl_csum_partial(ph, sizeof(ph), 0);
}

int pl_csum_complete(uint8_t *frame, uint32_t len, uint32_t csum_start, uint32_t csum_offset)
{
	/* 64-bit so that start + offset + 2 cannot wrap. */
	if ((uint64_t)csum_start + csum_offset + 2 > len)
		return -EINVAL;
	/* The field already holds the pseudo-header sum, so it is summed in
	 * along with the rest; that is the NEEDS_CSUM contract. */
	uint16_t c = pl_csum_fold(pl_csum_partial(frame + csum_start, len - csum_start, 0));
	if (c == 0)
		c = 0xffff;
	memcpy(frame + csum_start + csum_offset, &c, 2);
	return 0;
}
