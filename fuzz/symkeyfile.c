/* SPDX-License-Identifier: ISC */
/* Fuzz the symmetric key file's parser. Input: the file's text.
 * Invariants: an accepted file holds 1024 keys at most, each with an ID
 * above 0, ids strictly increasing (sorted, no two equal), a known type,
 * a key of 1 to 128 bytes (AES128 16, AES256 32), found again by its
 * ID; a refused one leaves no key and says why, naming a line or a key. */
#include <string.h>

#include "../common/proto/symkey.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct skey_set set;
	char why[128] = "";
	if (size > SKEY_FILE_MAX)
		return 0;
	if (skey_parse((const char *)data, size, &set, why, sizeof why)) {
		CHECK(set.n <= SKEY_MAX);
		for (size_t i = 0; i < set.n; i++) {
			const struct skey *k = &set.k[i];
			CHECK(k->id != 0 && (i == 0 || k->id > set.k[i - 1].id));
			CHECK(skey_digest_len(k->type) != 0);
			CHECK(k->len >= 1 && k->len <= SKEY_KEY_MAX);
			CHECK(k->type != SKEY_AES128 || k->len == 16);
			CHECK(k->type != SKEY_AES256 || k->len == 32);
			CHECK(skey_find(&set, k->id) == k);
		}
	} else {
		CHECK(set.n == 0);
		CHECK(!strncmp(why, "line ", 5) || !strncmp(why, "key ", 4));
	}
	return 0;
}
