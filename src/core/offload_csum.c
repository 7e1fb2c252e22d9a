/* SPDX-License-Identifier: MIT */
/*
 * offload_csum.c — the Internet checksum (RFC 1071) and checksum completion.
 *
 * The sum is computed over 8-byte words loaded with memcpy (so any alignment
 * is fine and the compiler emits plain unaligned loads on x86-64/arm64) into
 * a 64-bit accumulator with end-around carry. Because one's complement
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

/* Add w to acc with end-around carry (one's complement 64-bit addition). */
static inline uint64_t add64(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

/* Fold a 64-bit one's complement accumulator to 32 bits (still a valid sum). */
static inline uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t pl_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;
	uint64_t w0, w1, w2, w3;

	/* Four independent words per round keep the adder busy; the carries
	 * are folded back in by add64 every time, so nothing overflows. */
	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		acc = add64(acc, w0);
		acc = add64(acc, w1);
		acc = add64(acc, w2);
		acc = add64(acc, w3);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		acc = add64(acc, w0);
		p += 8;
		len -= 8;
	}
	if (len) {
		/* The tail lands at the start of a zeroed word: memory order is
		 * preserved, so an odd last byte becomes the high-order byte of
		 * its 16-bit lane in network order, as RFC 1071 pads it. */
		w0 = 0;
		memcpy(&w0, p, len);
		acc = add64(acc, w0);
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
