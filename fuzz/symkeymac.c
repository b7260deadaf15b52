/* SPDX-License-Identifier: ISC */
/* Fuzz the place, length and check of a request's MAC. Input: a
 * request, checked against one key of each type (IDs 1-7, from fixed
 * text). Invariants: a MAC found lies inside the request, after its
 * header, at 4-24 bytes from its end in NTPv4; one that verifies has
 * the exact length of its key and version (min(digest, 20) in NTPv4,
 * the whole digest before), and the reply signed like it is no longer
 * than the request and verifies in turn, and no longer with a bit of
 * its digest flipped. */
#include <string.h>

#include "../common/proto/symkey.h"
#include "input.h"

static const char keys[] = "1 MD5 md5key\n2 SHA1 sha1key\n3 SHA256 k3\n"
			   "4 SHA384 k4\n5 SHA512 k5\n"
			   "6 AES128 0123456789abcdef\n"
			   "7 AES256 0123456789abcdef0123456789abcdef\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct skey_set set;
	char why[128];
	if (set.n == 0)
		CHECK(skey_parse(keys, sizeof keys - 1, &set, why, sizeof why));
	if (size < 48 || size > 1280)
		return 0;

	struct skey_mac m;
	enum skey_where w = skey_locate(data, size, &m);
	if (w != SKEY_FOUND)
		return 0;
	CHECK(m.off >= 48 && m.off + 4 + m.digest_len == size);
	CHECK(m.version != 4 || size - m.off <= SKEY_V4_FIELD_MAX);
	const struct skey *k;
	if (skey_verify(&set, data, &m, &k) != SKEY_OK)
		return 0;
	size_t full = skey_digest_len(k->type);
	CHECK(m.digest_len == (m.version == 4 && full > 20 ? 20 : full));

	uint8_t reply[48 + 4 + SKEY_DIGEST_MAX];
	memcpy(reply, data, 48);
	reply[40] ^= 1;
	size_t n = skey_sign(k, reply, 48, m.digest_len);
	CHECK(n <= size && n == 52 + m.digest_len);
	struct skey_mac rm;
	const struct skey *rk;
	CHECK(skey_locate(reply, n, &rm) == SKEY_FOUND && rm.off == 48);
	CHECK(skey_verify(&set, reply, &rm, &rk) == SKEY_OK && rk == k);
	reply[n - 1] ^= 1;
	CHECK(skey_verify(&set, reply, &rm, &rk) == SKEY_BAD_MAC);
	return 0;
}
