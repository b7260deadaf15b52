/* SPDX-License-Identifier: ISC */
/* Fuzz cookie opening and the key file's layout. Input: bytes taken as
 * a cookie (opened under the fixed keys) and as a key file (decoded).
 * Invariants: a cookie opens only at its exact length and to keys that
 * seal back to the same cookie under the same key and nonce; a refused
 * one leaves zeroed keys; a decoded key file encodes back to the same
 * bytes and never holds a key of zeros or two equal ids. */
#include <string.h>

#include "../common/proto/ntscookie.h"
#include "input.h"
#include "ntsfixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nts_keys ks;
	static uint8_t c2s[32], s2c[32];
	static const uint8_t zero[32];
	if (ks.slot[0].id == 0)
		nts_fixed(&ks, c2s, s2c);

	uint8_t a[32], b[32], again[NTS_COOKIE_LEN];
	if (ntscookie_open(&ks, data, size, a, b)) {
		CHECK(size == NTS_COOKIE_LEN);
		uint32_t id = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
			      (uint32_t)data[2] << 8 | data[3];
		const struct nts_master *m = ckeys_find(&ks, id);
		CHECK(m != NULL);
		ntscookie_seal(m, data + 4, a, b, again);
		CHECK(!memcmp(again, data, NTS_COOKIE_LEN));
	} else {
		CHECK(!memcmp(a, zero, 32) && !memcmp(b, zero, 32));
	}

	struct nts_keys got;
	const char *why = NULL;
	uint8_t buf[CKEYS_FILE_LEN];
	if (ckeys_decode(data, size, &got, &why)) {
		ckeys_encode(&got, buf);
		CHECK(size == CKEYS_FILE_LEN && !memcmp(buf, data, size));
		CHECK(ckeys_current(&got) != NULL);
		for (int i = 0; i < CKEYS_SLOTS; i++) {
			CHECK(memcmp(got.slot[i].key, zero, 32) != 0);
			CHECK(ckeys_find(&got, got.slot[i].id) == &got.slot[i]);
		}
	} else {
		CHECK(why != NULL && ckeys_current(&got) == NULL);
	}
	return 0;
}
