/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/ntscookie.c: a sealed cookie opens to its keys
 * under every kept slot; any flipped bit, another length, an unknown
 * key id or a zeroed key set refuse it; the layout (id, nonce) is as
 * documented; sealing is deterministic in (key, nonce) and differs
 * with either. */
#include <string.h>

#include "check.h"
#include "proto/ntscookie.h"

static struct nts_keys sample(void)
{
	struct nts_keys ks = { .rotated = 1 };
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		ks.slot[i].id = 0xa0b0c0d0u + (uint32_t)i;
		memset(ks.slot[i].key, 0x21 + i, NTS_MASTER_LEN);
	}
	return ks;
}

int main(void)
{
	struct nts_keys ks = sample();
	uint8_t nonce[NTS_COOKIE_NONCE_LEN], c2s[32], s2c[32], oc[32], os[32];
	uint8_t ck[NTS_COOKIE_LEN], ck2[NTS_COOKIE_LEN];
	for (int i = 0; i < 16; i++)
		nonce[i] = (uint8_t)(0xf0 + i);
	for (int i = 0; i < 32; i++) {
		c2s[i] = (uint8_t)i;
		s2c[i] = (uint8_t)(0x80 + i);
	}
	CHECK_EQ(NTS_COOKIE_LEN, 100, "cookie length");

	for (int s = 0; s < CKEYS_SLOTS; s++) {
		ntscookie_seal(&ks.slot[s], nonce, c2s, s2c, ck);
		CHECK(ntscookie_open(&ks, ck, sizeof ck, oc, os), "slot %d", s);
		CHECK(!memcmp(oc, c2s, 32) && !memcmp(os, s2c, 32),
		      "slot %d: keys back", s);
	}
	ntscookie_seal(ckeys_current(&ks), nonce, c2s, s2c, ck);
	CHECK_EQ((uint32_t)ck[0] << 24 | (uint32_t)ck[1] << 16 | (uint32_t)ck[2] << 8 | ck[3],
		 (long long)ks.slot[1].id, "id first, big-endian");
	CHECK(!memcmp(ck + 4, nonce, 16), "nonce after the id");
	CHECK(memmem(ck, sizeof ck, c2s, 16) == NULL, "keys not in clear");

	for (size_t i = 0; i < sizeof ck; i++)
		for (int bit = 0; bit < 8; bit++) {
			ck[i] ^= (uint8_t)(1 << bit);
			bool ok = ntscookie_open(&ks, ck, sizeof ck, oc, os);
			CHECK(!ok, "byte %zu bit %d flipped: refused", i, bit);
			ck[i] ^= (uint8_t)(1 << bit);
		}
	CHECK(ntscookie_open(&ks, ck, sizeof ck, oc, os), "restored opens");
	CHECK(!ntscookie_open(&ks, ck, sizeof ck - 1, oc, os), "short");
	CHECK(!memcmp(oc, (uint8_t[32]){ 0 }, 32), "refused: keys zeroed");
	uint8_t longer[NTS_COOKIE_LEN + 4] = { 0 };
	memcpy(longer, ck, sizeof ck);
	CHECK(!ntscookie_open(&ks, longer, sizeof longer, oc, os), "long");

	struct nts_keys rotated = ks;
	rotated.slot[1].id = 7; /* the sealing key's id no longer kept */
	CHECK(!ntscookie_open(&rotated, ck, sizeof ck, oc, os), "unknown id");
	struct nts_keys other = ks;
	other.slot[1].key[0] ^= 1;
	CHECK(!ntscookie_open(&other, ck, sizeof ck, oc, os), "another key");
	struct nts_keys none;
	memset(&none, 0, sizeof none);
	uint8_t zero_id[NTS_COOKIE_LEN] = { 0 };
	CHECK(!ntscookie_open(&none, zero_id, sizeof zero_id, oc, os),
	      "no keys loaded: nothing opens");

	ntscookie_seal(ckeys_current(&ks), nonce, c2s, s2c, ck2);
	CHECK(!memcmp(ck, ck2, sizeof ck), "deterministic");
	nonce[0] ^= 1;
	ntscookie_seal(ckeys_current(&ks), nonce, c2s, s2c, ck2);
	CHECK(memcmp(ck + 20, ck2 + 20, 80) != 0, "another nonce");
	return check_summary();
}
