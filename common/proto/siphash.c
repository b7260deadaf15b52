/* SPDX-License-Identifier: ISC */
/* siphash: SipHash-2-4, as its paper defines it (little-endian words,
 * two compression rounds per block, four finalisation rounds). */
#include "siphash.h"

static uint64_t le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static void rounds(uint64_t v[4], int n)
{
	while (n--) {
		v[0] += v[1];
		v[1] = rotl(v[1], 13) ^ v[0];
		v[0] = rotl(v[0], 32);
		v[2] += v[3];
		v[3] = rotl(v[3], 16) ^ v[2];
		v[0] += v[3];
		v[3] = rotl(v[3], 21) ^ v[0];
		v[2] += v[1];
		v[1] = rotl(v[1], 17) ^ v[2];
		v[2] = rotl(v[2], 32);
	}
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *msg,
		   size_t len)
{
	const uint8_t *m = msg;
	uint64_t k0 = le64(key, 8), k1 = le64(key + 8, 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			  k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull };
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8) {
		uint64_t w = le64(m + i, 8);
		v[3] ^= w;
		rounds(v, 2);
		v[0] ^= w;
	}
	uint64_t last = (uint64_t)len << 56 | le64(m + whole, len % 8);
	v[3] ^= last;
	rounds(v, 2);
	v[0] ^= last;
	v[2] ^= 0xff;
	rounds(v, 4);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
