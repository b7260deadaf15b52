/* SPDX-License-Identifier: ISC */
/* ntscookie: the NTS cookie (RFC 8915 §6), sealed and opened under a
 * master key of cookiekeys.h with AES-SIV-CMAC-256 (RFC 5297; Nettle's
 * siv_cmac_aes128). Pure: the nonce is handed in.
 *
 * A cookie is NTS_COOKIE_LEN = 100 bytes:
 *   0  4   the master key's id, big-endian
 *   4  16  nonce
 *   20 80  SIV(master key, AD = the 4 id bytes, nonce, C2S ‖ S2C):
 *          the 16-byte tag, then the 64 encrypted bytes
 * The id says which kept key opens it; the AD binds the id to the
 * sealed keys. */
#ifndef SOCKCLOCK_NTSCOOKIE_H
#define SOCKCLOCK_NTSCOOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookiekeys.h"

#define NTS_KEY_LEN 32			/* C2S and S2C, AEAD 15 */
#define NTS_COOKIE_NONCE_LEN 16
#define NTS_COOKIE_LEN (4 + NTS_COOKIE_NONCE_LEN + 16 + 2 * NTS_KEY_LEN)

void ntscookie_seal(const struct nts_master *m,
		    const uint8_t nonce[NTS_COOKIE_NONCE_LEN],
		    const uint8_t c2s[NTS_KEY_LEN], const uint8_t s2c[NTS_KEY_LEN],
		    uint8_t out[NTS_COOKIE_LEN]);

/* False for a cookie of another length, whose key id is not kept, or
 * that fails authentication (then c2s and s2c are zeroed). */
bool ntscookie_open(const struct nts_keys *ks, const uint8_t *cookie,
		    size_t len, uint8_t c2s[NTS_KEY_LEN],
		    uint8_t s2c[NTS_KEY_LEN]);

#endif
