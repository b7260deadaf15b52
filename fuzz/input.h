/* SPDX-License-Identifier: ISC */
/* input: take fixed-size fields from the front of a fuzzer's input. */
#ifndef SOCKCLOCK_FUZZ_INPUT_H
#define SOCKCLOCK_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct input {
	const uint8_t *p;
	size_t left;
};

/* n bytes big-endian; missing bytes read as zero. */
static inline uint64_t take(struct input *in, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v <<= 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

/* A broken invariant: say which, then abort so libFuzzer keeps the input. */
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",  \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

#endif
