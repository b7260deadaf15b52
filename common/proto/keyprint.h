/* SPDX-License-Identifier: ISC */
/* keyprint: a non-secret fingerprint of an NTS cookie master key, for
 * an operator to see that two hosts hold the same key (the log, --stats,
 * the metrics). The first KPRINT_LEN bytes of SHA-256 over a string of
 * this use alone and the key: no other hash of the key in sockclock
 * starts with that string, so the fingerprint tells nothing else, and
 * 2^64 guesses of a 256-bit key find nothing. */
#ifndef SOCKCLOCK_KEYPRINT_H
#define SOCKCLOCK_KEYPRINT_H

#include <stdint.h>

#include "cookiekeys.h"

#define KPRINT_LEN 8
#define KPRINT_HEX (2 * KPRINT_LEN + 1)

void kprint_cookie_key(const struct nts_master *m, uint8_t out[KPRINT_LEN]);
/* fp in lower-case hex, NUL ended. */
void kprint_hex(const uint8_t fp[KPRINT_LEN], char out[KPRINT_HEX]);

#endif
