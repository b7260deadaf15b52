/* SPDX-License-Identifier: ISC */
/* Fuzz the derivation of cookie keys from a master secret with the
 * cookie opener. Input: the secret (32), the period P (3 bytes, taken
 * as 1 + value), the time (8, any int64), a shift of periods (1, signed),
 * then the rest taken as a cookie. Invariants: the period number is the
 * floor (n P <= t < (n + 1) P, where it fits); the window's ids are
 * distinct, their fingerprint bits the secret's; a cookie sealed at a
 * period opens in the windows from one period before to two after and
 * in no other (within 65536 periods; the ids repeat beyond, the keys
 * never); the fuzzed cookie opens only to keys that seal back to it, and
 * a refused one leaves zeroed keys. */
#include <string.h>

#include "../common/proto/masterkey.h"
#include "../common/proto/ntscookie.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[32];
	struct input in = { data, size };
	uint8_t secret[MKEY_LEN];
	for (int i = 0; i < MKEY_LEN; i++)
		secret[i] = (uint8_t)take(&in, 1);
	int64_t p = (int64_t)take(&in, 3) + 1;
	int64_t t = (int64_t)take(&in, 8);
	int64_t shift = (int8_t)take(&in, 1);

	struct mkey m;
	mkey_init(&m, secret);
	int64_t n = mkey_period(t, p);
	CHECK(n == t / p || n == t / p - 1);
	if (n > INT64_MIN / p + 1 && n < INT64_MAX / p - 1)
		CHECK(n * p <= t && t - n * p < p);

	/* Keep n + shift and the window around it away from overflow. */
	if (n > INT64_MAX - 300 || n < INT64_MIN + 300)
		return 0;
	struct nts_keys at, win;
	mkey_window(&m, p, n, &at);
	mkey_window(&m, p, n + shift, &win);
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		CHECK(at.slot[i].id >> 16 == ((uint32_t)m.fpr[0] << 8 | m.fpr[1]));
		for (int j = 0; j < i; j++)
			CHECK(at.slot[i].id != at.slot[j].id);
	}
	uint8_t nonce[16], c2s[32], s2c[32], ck[NTS_COOKIE_LEN], a[32], b[32];
	memcpy(nonce, secret, 16);
	memcpy(c2s, secret, 32);
	memcpy(s2c, secret + 16, 16);
	memcpy(s2c + 16, secret, 16);
	ntscookie_seal(ckeys_current(&at), nonce, c2s, s2c, ck);
	bool opened = ntscookie_open(&win, ck, sizeof ck, a, b);
	CHECK(opened == (shift >= -1 && shift <= 2));
	if (opened)
		CHECK(!memcmp(a, c2s, 32) && !memcmp(b, s2c, 32));

	/* The rest, a cookie from anyone, against that window. */
	if (ntscookie_open(&win, in.p, in.left, a, b)) {
		uint32_t id = (uint32_t)in.p[0] << 24 | (uint32_t)in.p[1] << 16 |
			      (uint32_t)in.p[2] << 8 | in.p[3];
		const struct nts_master *k = ckeys_find(&win, id);
		CHECK(k != NULL);
		ntscookie_seal(k, in.p + 4, a, b, ck);
		CHECK(!memcmp(ck, in.p, NTS_COOKIE_LEN));
	} else {
		CHECK(!memcmp(a, zero, 32) && !memcmp(b, zero, 32));
	}
	return 0;
}
