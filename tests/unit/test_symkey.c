/* SPDX-License-Identifier: ISC */
/* symkey: the key file's lines, the digests against vectors computed
 * elsewhere (RFC 4493 and NIST SP 800-38B for CMAC; python3's hashlib
 * for the classic MACs), the MAC's place and its length rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/bytes.h"
#include "proto/symkey.h"

static struct skey_set set;

static void unhex(const char *h, uint8_t *out, size_t *n)
{
	for (*n = 0; h[2 * *n]; (*n)++) {
		unsigned v;
		sscanf(h + 2 * *n, "%2x", &v);
		out[*n] = (uint8_t)v;
	}
}

static void check_digest(const struct skey *k, const char *msg_hex,
			 const char *want_hex, const char *what)
{
	uint8_t msg[128], want[64], got[SKEY_DIGEST_MAX];
	size_t mn, wn;
	unhex(msg_hex, msg, &mn);
	unhex(want_hex, want, &wn);
	size_t gn = skey_digest(k, msg, mn, got);
	CHECK(gn == wn && memcmp(got, want, wn) == 0, "%s", what);
}

static void cmac_vectors(void)
{
	struct skey k = { .id = 1, .type = SKEY_AES128, .len = 16 };
	size_t n;
	unhex("2b7e151628aed2a6abf7158809cf4f3c", k.key, &n);
	/* RFC 4493 §4, examples 1-4. */
	static const char m64[] =
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
	char m40[81];
	memcpy(m40, m64, 80);
	m40[80] = 0;
	check_digest(&k, "", "bb1d6929e95937287fa37d129b756746", "RFC 4493 ex 1");
	check_digest(&k, "6bc1bee22e409f96e93d7e117393172a",
		     "070a16b46b4d4144f79bdd9dd04a287c", "RFC 4493 ex 2");
	check_digest(&k, m40, "dfa66747de9ae63030ca32611497c827", "RFC 4493 ex 3");
	check_digest(&k, m64, "51f0bebf7e3b9d92fc49741779363cfe", "RFC 4493 ex 4");
	/* SP 800-38B D.3, AES-256. */
	k.type = SKEY_AES256;
	k.len = 32;
	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	      k.key, &n);
	check_digest(&k, "", "028962f61b7bf89efc6b551f4667d983", "AES256 empty");
	check_digest(&k, "6bc1bee22e409f96e93d7e117393172a",
		     "28a7023f452e8f82bd4bf28d8c37c35c", "AES256 16 bytes");
}

/* The request 00 01 .. 2f, then key ID and digest. hashlib gave:
 *   sha1(b'sockclock-sha1-key' + bytes(range(48)))
 *   md5(b'abc' + bytes(range(48))) */
static const char sha1_of_header[] = "53837e06cef27c2949b63edbbb0483e1590ed772";
static const char md5_of_header[] = "1161e5169e6134beed28284457c21a1c";

static void classic_vectors(void)
{
	static const char file[] = "7 SHA1 sockclock-sha1-key\n"
				   "8 abc\n";
	char why[128];
	CHECK(skey_parse(file, strlen(file), &set, why, sizeof why), "parse: %s", why);
	char hdr[97];
	for (int i = 0; i < 48; i++)
		snprintf(hdr + 2 * i, 3, "%02x", i);
	const struct skey *k = skey_find(&set, 7);
	CHECK(k && k->type == SKEY_SHA1, "key 7 SHA1");
	if (k)
		check_digest(k, hdr, sha1_of_header, "SHA1 key ‖ header");
	k = skey_find(&set, 8);
	CHECK(k && k->type == SKEY_MD5, "key 8 MD5 by default");
	if (k)
		check_digest(k, hdr, md5_of_header, "MD5 key ‖ header");
}

static size_t request(uint8_t *p, int version, uint32_t id, size_t dlen,
		      const struct skey *k)
{
	memset(p, 0, 200);
	for (int i = 0; i < 48; i++)
		p[i] = (uint8_t)i;
	p[0] = (uint8_t)(version << 3 | 3);
	put32(p + 48, id);
	if (k) {
		uint8_t d[SKEY_DIGEST_MAX];
		skey_digest(k, p, 48, d);
		memcpy(p + 52, d, dlen);
	}
	return 52 + dlen;
}

static void verify_rules(void)
{
	static const char file[] =
		"# comment\n ! comment\n;c\n%c\n\n"
		"1 MD5 HEX:000102030405060708090a0b0c0d0e0f\n"
		"2 SHA1 ASCII:secret # ntpd comment\n"
		"3 SHA256 secret\n"
		"4 SHA512 secret\r\n"
		"5 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
		"6 aes128cmac 0123456789abcdef\n"
		"4294967295 SHA384 x";
	char why[128];
	uint8_t p[200];
	struct skey_mac m;
	const struct skey *k;
	CHECK(skey_parse(file, strlen(file), &set, why, sizeof why), "parse: %s", why);
	CHECK_EQ(set.n, 7, "keys");
	static const struct { uint32_t id; int v; size_t ok; } cases[] = {
		{ 1, 4, 16 }, { 2, 4, 20 }, { 3, 4, 20 }, { 3, 3, 32 },
		{ 4, 3, 64 }, { 4, 4, 20 }, { 5, 4, 16 }, { 6, 3, 16 },
		{ 4294967295u, 3, 48 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		k = skey_find(&set, cases[i].id);
		CHECK(k != NULL, "key %u", cases[i].id);
		if (!k)
			continue;
		for (size_t d = 0; d <= SKEY_DIGEST_MAX; d += 4) {
			size_t n = request(p, cases[i].v, k->id, d, k);
			enum skey_where w = skey_locate(p, n, &m);
			if (cases[i].v == 4 && n - 48 > SKEY_V4_FIELD_MAX) {
				CHECK(w == SKEY_MALFORMED, "v4 MAC of %zu", n - 48);
				continue;
			}
			const struct skey *got;
			CHECK(w == SKEY_FOUND && m.off == 48 && m.id == k->id,
			      "found key %u", k->id);
			enum skey_verdict v = skey_verify(&set, p, &m, &got);
			CHECK(v == (d == cases[i].ok ? SKEY_OK : SKEY_BAD_LENGTH),
			      "key %u v%d digest %zu: verdict %d", k->id,
			      cases[i].v, d, v);
			if (d != cases[i].ok)
				continue;
			p[52 + d - 1] ^= 1; /* one bit of the digest */
			CHECK(skey_verify(&set, p, &m, &got) == SKEY_BAD_MAC,
			      "key %u corrupted digest refused", k->id);
			p[52 + d - 1] ^= 1;
			p[40] ^= 0x80; /* one bit of the header */
			CHECK(skey_verify(&set, p, &m, &got) == SKEY_BAD_MAC,
			      "key %u altered header refused", k->id);
			/* The reply: the same length, and it verifies. */
			uint8_t r[200];
			memcpy(r, p, 48);
			size_t rn = skey_sign(got, r, 48, d);
			CHECK(rn == n && skey_locate(r, rn, &m) == SKEY_FOUND &&
				      skey_verify(&set, r, &m, &got) == SKEY_OK,
			      "key %u reply of %zu bytes verifies", k->id, rn);
		}
	}
	size_t n = request(p, 4, 99, 16, NULL);
	CHECK(skey_locate(p, n, &m) == SKEY_FOUND &&
		      skey_verify(&set, p, &m, &k) == SKEY_UNKNOWN_KEY,
	      "unknown key");
	CHECK(skey_locate(p, 48, &m) == SKEY_NONE, "plain request");
	/* After an extension field (RFC 7822): 16-byte field, then MAC. */
	k = skey_find(&set, 2);
	uint8_t q[200];
	memset(q, 0, sizeof q);
	q[0] = 4 << 3 | 3;
	put16(q + 48, 0x2005);
	put16(q + 50, 28);
	put32(q + 76, 2);
	uint8_t d[SKEY_DIGEST_MAX];
	skey_digest(k, q, 76, d);
	memcpy(q + 80, d, 20);
	CHECK(skey_locate(q, 100, &m) == SKEY_FOUND && m.off == 76 &&
		      skey_verify(&set, q, &m, &k) == SKEY_OK,
	      "MAC after an extension field");
	CHECK(skey_locate(q, 76, &m) == SKEY_NONE, "field and no MAC");
	put16(q + 50, 30);
	CHECK(skey_locate(q, 100, &m) == SKEY_MALFORMED, "bad field length");
	q[0] = 3 << 3 | 3; /* v3: no fields, all of it is the MAC */
	CHECK(skey_locate(q, 100, &m) == SKEY_FOUND && m.off == 48 &&
		      m.digest_len == 48, "v3 takes what follows as the MAC");
}

static void bad_files(void)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "1 MD5 a\n0 MD5 b\n", "line 2: the ID" },
		{ "4294967296 MD5 b\n", "line 1: the ID" },
		{ "x MD5 b\n", "line 1: the ID" },
		{ "#\n1\n", "line 2: no key" },
		{ "1 SHA3-256 abc\n", "line 1: unknown type" },
		{ "1 AES128 HEX:00\n", "line 1: an AES128 key must be 16" },
		{ "1 AES256 0123456789abcdef\n", "line 1: an AES256 key must be 32" },
		{ "1 MD5 HEX:0g\n", "line 1: not a hex digit" },
		{ "1 MD5 HEX:012\n", "line 1: odd number" },
		{ "1 MD5 HEX:\n", "line 1: empty key" },
		{ "1 MD5 a b\n", "line 1: more than" },
		{ "1 MD5 a\n1 SHA1 b\n", "key 1 given twice" },
		{ "1 MD5 a\x01\n", "line 1: a control" },
		{ "1 MD5 caf\xc3\xa9\n", "line 1: a key byte" },
	};
	char why[128];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bool ok = skey_parse(bad[i].text, strlen(bad[i].text), &set, why,
				     sizeof why);
		CHECK(!ok && set.n == 0 &&
			      !strncmp(why, bad[i].why, strlen(bad[i].why)),
		      "bad file %zu: %s", i, ok ? "accepted" : why);
	}
	static const char nul[] = "1 MD5 a\0b\n";
	CHECK(!skey_parse(nul, sizeof nul - 1, &set, why, sizeof why),
	      "a NUL byte refused");
}

int main(void)
{
	cmac_vectors();
	classic_vectors();
	verify_rules();
	bad_files();
	uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 5 };
	CHECK(skey_equal(a, a, 4) && !skey_equal(a, b, 4), "equal");
	return check_summary();
}
