/* SPDX-License-Identifier: ISC */
/* siphash: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed hash
 * whose output an attacker cannot steer without the 128-bit key: the
 * rate limit's table index, so that no one can aim at one set. */
#ifndef SOCKCLOCK_SIPHASH_H
#define SOCKCLOCK_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *msg,
		   size_t len);

#endif
