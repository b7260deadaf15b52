/* SPDX-License-Identifier: ISC */
/* keyprint: an NTS cookie key's fingerprint. */
#include "keyprint.h"

#include <nettle/sha2.h>

/* The domain: the NUL ends it, so no key can extend it. */
static const char domain[] = "sockclock NTS cookie key fingerprint v1";

void kprint_cookie_key(const struct nts_master *m, uint8_t out[KPRINT_LEN])
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, sizeof domain, (const uint8_t *)domain);
	sha256_update(&c, NTS_MASTER_LEN, m->key);
	sha256_digest(&c, KPRINT_LEN, out);
}

void kprint_hex(const uint8_t fp[KPRINT_LEN], char out[KPRINT_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < KPRINT_LEN; i++) {
		out[2 * i] = digits[fp[i] >> 4];
		out[2 * i + 1] = digits[fp[i] & 15];
	}
	out[2 * KPRINT_LEN] = 0;
}
