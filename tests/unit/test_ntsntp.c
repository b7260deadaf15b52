/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/ntsntp.c: the field walk (lengths under 16, not
 * in 4-byte words, past the end), the classification of requests (plain:
 * no field, unknown fields only, a legacy MAC, NTPv3, NTPv1 mode 0;
 * malformed: each class of RFC 8915 §5 that gets silence, NTS in mode 1;
 * the request; the nonce and its Additional Padding), the authenticator
 * under C2S (any flipped bit of the packet before it, or of it, fails;
 * the placeholders it encrypts counted, a bad one refused), and the
 * reply: as long as the request, the identifier echoed, 1 + placeholders
 * (in clear and encrypted) cookies (capped, and never more than fit),
 * sealed under S2C over the stamped header; and the NAK. */
#include <stdlib.h>
#include <string.h>

#include <nettle/siv-cmac.h>

#include "check.h"
#include "proto/ntp.h"
#include "proto/ntsntp.h"

static uint8_t c2s[32], s2c[32];
static struct nts_keys ks;

static size_t put_ef(uint8_t *p, uint16_t type, size_t len)
{
	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	return len;
}

/* What a request is made of; defaults give a good one. */
struct shape {
	int version;
	int mode;		/* 0: client (3); -1: mode 0 */
	bool no_uid, no_cookie, no_auth, two_cookies, auth_not_last;
	bool unknown_after_auth; /* an unknown field after the authenticator */
	size_t uid_len;
	unsigned placeholders;
	size_t placeholder_len;	/* 0: the cookie's */
	size_t nonce_len;
	size_t extra_pad;	/* Additional Padding after the ciphertext */
	unsigned enc_placeholders;	/* placeholders inside, encrypted */
	size_t enc_placeholder_len;	/* 0: the cookie's */
	bool unknown;		/* an unknown field before the cookie */
};

static size_t make(const struct shape *s, uint8_t *pkt)
{
	struct timespec t = { 1700000000, 1 };
	memset(pkt, 0, 1500);
	ntp_client_request(&t, pkt);
	pkt[0] = (uint8_t)((s->version ? s->version : 4) << 3 |
			   (s->mode < 0 ? 0 : s->mode ? s->mode : 3));
	size_t p = NTP_HEADER_LEN;
	size_t uid = s->uid_len ? s->uid_len : 32;
	if (!s->no_uid) {
		p += put_ef(pkt + p, NTS_EF_UID, 4 + uid);
		memset(pkt + p - uid, 0xab, uid);
	}
	if (s->unknown)
		p += put_ef(pkt + p, 0x7777, 20);
	uint8_t nonce[16] = { 1, 2, 3 };
	for (int i = 0; i < (s->two_cookies ? 2 : !s->no_cookie); i++) {
		p += put_ef(pkt + p, NTS_EF_COOKIE, 4 + NTS_COOKIE_LEN);
		ntscookie_seal(ckeys_current(&ks), nonce, c2s, s2c,
			       pkt + p - NTS_COOKIE_LEN);
	}
	for (unsigned i = 0; i < s->placeholders; i++)
		p += put_ef(pkt + p, NTS_EF_PLACEHOLDER,
			    4 + (s->placeholder_len ? s->placeholder_len :
						      NTS_COOKIE_LEN));
	if (!s->no_auth) {
		size_t nl = s->nonce_len ? s->nonce_len : 16, ad = p;
		size_t nlp = (nl + 3) & ~(size_t)3;
		uint8_t plain[1024];
		size_t pl = 0;
		for (unsigned i = 0; i < s->enc_placeholders; i++) {
			size_t b = s->enc_placeholder_len ?
					   s->enc_placeholder_len : NTS_COOKIE_LEN;
			pl += put_ef(plain + pl, NTS_EF_PLACEHOLDER, 4 + b);
			memset(plain + pl - b, 0, b);
		}
		p += put_ef(pkt + p, NTS_EF_AUTH,
			    4 + 4 + nlp + 16 + pl + s->extra_pad);
		pkt[ad + 4] = 0;
		pkt[ad + 5] = (uint8_t)nl;
		pkt[ad + 6] = (uint8_t)((16 + pl) >> 8);
		pkt[ad + 7] = (uint8_t)(16 + pl);
		memset(pkt + ad + 8, 0x5a, nl);
		struct siv_cmac_aes128_ctx c;
		siv_cmac_aes128_set_key(&c, c2s);
		siv_cmac_aes128_encrypt_message(&c, nl, pkt + ad + 8, ad, pkt,
						16 + pl, pkt + ad + 8 + nlp,
						plain);
	}
	if (s->auth_not_last)
		p += put_ef(pkt + p, NTS_EF_UID, 36);
	if (s->unknown_after_auth)
		p += put_ef(pkt + p, 0x7f00, 16);
	return p;
}

static enum nts_kind kind(const struct shape *s, struct nts_request *r)
{
	uint8_t pkt[1500];
	size_t n = make(s, pkt);
	return ntsntp_parse(pkt, n, r);
}

static void test_walk(void)
{
	uint8_t pkt[96] = { 0 };
	struct nts_ef ef;
	size_t pos = 48;
	put_ef(pkt + 48, 0x1234, 16);
	put_ef(pkt + 64, 0x0104, 32);
	CHECK_EQ(ntsntp_ef_next(pkt, 96, &pos, &ef), NTS_EF_FIELD, "first");
	CHECK_EQ(ef.type, 0x1234, "its type");
	CHECK_EQ(pos, 64, "moved past it");
	CHECK_EQ(ntsntp_ef_next(pkt, 96, &pos, &ef), NTS_EF_FIELD, "second");
	CHECK_EQ(ntsntp_ef_next(pkt, 96, &pos, &ef), NTS_EF_END, "end");
	static const size_t bad[] = { 0, 4, 12, 18, 34, 36 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pos = 64;
		put_ef(pkt + 64, 0x0104, bad[i]);
		CHECK_EQ(ntsntp_ef_next(pkt, 96, &pos, &ef), NTS_EF_BAD,
			 "length %zu", bad[i]);
		CHECK_EQ(ef.type, 0x0104, "length %zu: type read", bad[i]);
	}
	pos = 94;
	CHECK_EQ(ntsntp_ef_next(pkt, 96, &pos, &ef), NTS_EF_BAD, "2 bytes left");
}

static void test_classes(void)
{
	struct nts_request r;
	CHECK_EQ(kind(&(struct shape){ 0 }, &r), NTS_REQUEST, "good");
	CHECK_EQ(r.uid_len, 32, "uid");
	CHECK_EQ(r.cookie_len, NTS_COOKIE_LEN, "cookie");
	CHECK_EQ(kind(&(struct shape){ .unknown = true }, &r), NTS_REQUEST,
		 "unknown field ignored");
	CHECK_EQ(kind(&(struct shape){ .placeholders = 3 }, &r), NTS_REQUEST,
		 "placeholders");
	CHECK_EQ(r.placeholders, 3, "counted");
	CHECK_EQ(kind(&(struct shape){ .uid_len = 64 }, &r), NTS_REQUEST,
		 "long uid");
	/* RFC 8915 §5.6: a short nonce with Additional Padding to 16. */
	static const size_t nonce_pad[][2] = { { 12, 4 }, { 1, 16 }, { 4, 12 },
					       { 13, 4 }, { 15, 4 }, { 20, 0 },
					       { 13, 0 }, { 1, 12 } };
	for (size_t i = 0; i < sizeof nonce_pad / sizeof nonce_pad[0]; i++) {
		struct shape sh = { .nonce_len = nonce_pad[i][0],
				    .extra_pad = nonce_pad[i][1] };
		CHECK_EQ(kind(&sh, &r), NTS_REQUEST, "nonce %zu + padding %zu",
			 nonce_pad[i][0], nonce_pad[i][1]);
		CHECK_EQ(r.nonce_len, nonce_pad[i][0], "nonce length read");
	}

	static const struct {
		struct shape s;
		const char *name;
	} malformed[] = {
		{ { .no_uid = true }, "no uid" },
		{ { .no_cookie = true }, "no cookie" },
		{ { .no_auth = true }, "no authenticator" },
		{ { .two_cookies = true }, "two cookies" },
		{ { .auth_not_last = true }, "authenticator not last" },
		{ { .unknown_after_auth = true }, "an unknown field after the authenticator" },
		{ { .placeholders = 2, .placeholder_len = 96 }, "placeholder short" },
		{ { .placeholders = 1, .placeholder_len = 104 }, "placeholder long" },
		{ { .uid_len = 16 }, "uid under 32" },
		{ { .nonce_len = 8 }, "nonce under 16" },
		{ { .nonce_len = 12 }, "nonce 12, no Additional Padding" },
		{ { .nonce_len = 12, .extra_pad = 0 }, "nonce 12 + 0" },
		{ { .nonce_len = 9 }, "nonce 9 (12 with its padding) + 0" },
		{ { .nonce_len = 1, .extra_pad = 8 }, "nonce 1 + 8" },
		{ { .mode = 1 }, "NTS in mode 1" },
		{ { .mode = 1, .placeholders = 2 }, "NTS in mode 1, placeholders" },
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		CHECK_EQ(kind(&malformed[i].s, &r), NTS_MALFORMED, "%s",
			 malformed[i].name);

	uint8_t pkt[1500];
	size_t n = make(&(struct shape){ 0 }, pkt);
	/* The authenticator (last field) starts at n - 40. */
	pkt[n - 40 + 3] = 44;
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_MALFORMED, "past the end");
	pkt[n - 40 + 3] = 38;
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_MALFORMED, "not in words");
	pkt[n - 40 + 3] = 12;
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_MALFORMED, "under 16");
	pkt[n - 40 + 3] = 40;
	pkt[n - 40 + 7] = 200; /* ciphertext longer than the field */
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_MALFORMED, "ciphertext length");
	pkt[n - 40 + 7] = 8;
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_MALFORMED, "ciphertext < tag");
	pkt[n - 40 + 7] = 16;
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_REQUEST, "restored");
	pkt[n - 40 + 5] = 0;
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_MALFORMED, "nonce of 0 bytes");

	/* Plain, as before NTS. */
	n = make(&(struct shape){ 0 }, pkt);
	CHECK_EQ(ntsntp_parse(pkt, 48, &r), NTS_PLAIN, "header only");
	n = make(&(struct shape){ .version = 3 }, pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_PLAIN, "NTPv3: no fields");
	n = make(&(struct shape){ .version = 1, .mode = -1 }, pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_PLAIN,
		 "NTPv1 mode 0: what follows the header is no field");
	n = make(&(struct shape){ .mode = 1, .no_uid = true, .no_cookie = true,
				  .no_auth = true, .unknown = true }, pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_PLAIN,
		 "mode 1 with an unknown field only");

	memset(pkt + 48, 0x77, 20); /* a legacy MAC: key id and digest */
	CHECK_EQ(ntsntp_parse(pkt, 68, &r), NTS_PLAIN, "MAC");
	pkt[0] = 0x23;
	put_ef(pkt + 48, 0x7777, 16);
	CHECK_EQ(ntsntp_parse(pkt, 64, &r), NTS_PLAIN, "unknown field only");
	put_ef(pkt + 48, NTS_EF_COOKIE, 22);
	CHECK_EQ(ntsntp_parse(pkt, 68, &r), NTS_MALFORMED,
		 "a bad field of an NTS type");
}

static void test_verify(void)
{
	uint8_t pkt[1500];
	struct nts_request r;
	size_t n = make(&(struct shape){ .placeholders = 1 }, pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_REQUEST, "parsed");
	CHECK_EQ(ntsntp_verify(pkt, &r, c2s), NTS_AUTH_OK, "verifies under C2S");
	CHECK_EQ(r.enc_placeholders, 0, "nothing encrypted");
	CHECK_EQ(ntsntp_verify(pkt, &r, s2c), NTS_AUTH_FAILED,
		 "not under another key");
	for (size_t i = 0; i < n; i++) {
		if (i >= r.auth_off && i < r.auth_off + 8)
			continue; /* the lengths: parsed, not sealed */
		pkt[i] ^= 0x10;
		enum nts_auth a = ntsntp_verify(pkt, &r, c2s);
		CHECK_EQ(a, NTS_AUTH_FAILED, "byte %zu changed: refused", i);
		pkt[i] ^= 0x10;
	}
	CHECK_EQ(ntsntp_verify(pkt, &r, c2s), NTS_AUTH_OK, "restored");

	/* RFC 8915 §5.7: placeholders inside the encrypted fields count. */
	n = make(&(struct shape){ .placeholders = 2, .enc_placeholders = 3 },
		 pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_REQUEST, "encrypted: parsed");
	CHECK_EQ(r.placeholders, 2, "in clear");
	CHECK_EQ(ntsntp_verify(pkt, &r, c2s), NTS_AUTH_OK, "encrypted: verified");
	CHECK_EQ(r.enc_placeholders, 3, "encrypted: counted");
	CHECK_EQ(ntsntp_verify(pkt, &r, s2c), NTS_AUTH_FAILED,
		 "encrypted, another key: refused");
	CHECK_EQ(r.enc_placeholders, 0, "and not counted");
	n = make(&(struct shape){ .enc_placeholders = 2,
				  .enc_placeholder_len = 96 }, pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_REQUEST, "short inside: parsed");
	CHECK_EQ(ntsntp_verify(pkt, &r, c2s), NTS_AUTH_MALFORMED,
		 "a placeholder inside of the wrong length: silence");
}

static void test_plain(void)
{
	uint8_t p[512] = { 0 };
	unsigned n = 99;
	CHECK(ntsntp_plain_parse(p, 0, 100, &n) && n == 0, "empty");
	size_t len = put_ef(p, 0x7778, 16);
	len += put_ef(p + len, NTS_EF_PLACEHOLDER, 104);
	len += put_ef(p + len, NTS_EF_PLACEHOLDER, 104);
	CHECK(ntsntp_plain_parse(p, len, 100, &n) && n == 2,
	      "two placeholders and an unknown field: %u", n);
	CHECK(!ntsntp_plain_parse(p, len, 96, &n), "cookie of another length");
	CHECK(!ntsntp_plain_parse(p, len - 4, 100, &n), "cut short");
	CHECK(!ntsntp_plain_parse(p, len + 4, 100, &n), "4 bytes left over");
	put_ef(p + 16, NTS_EF_PLACEHOLDER, 102);
	CHECK(!ntsntp_plain_parse(p, len, 100, &n), "not in words");
	put_ef(p, 0x7778, 8);
	CHECK(!ntsntp_plain_parse(p, 8, 100, &n), "a field under 16");
}

/* Build, stamp and seal a reply to a request of shape s; check it. */
static void check_reply(const struct shape *s, unsigned want_cookies,
			const char *name)
{
	uint8_t pkt[1500], reply[1600];
	struct nts_request r;
	struct nts_seal seal;
	size_t n = make(s, pkt);
	CHECK_EQ(ntsntp_parse(pkt, n, &r), NTS_REQUEST, "%s: parsed", name);
	CHECK_EQ(ntsntp_verify(pkt, &r, c2s), NTS_AUTH_OK, "%s: verified", name);
	unsigned c = ntsntp_reply_cookies(&r, n);
	CHECK_EQ(c, want_cookies, "%s: cookies", name);
	uint8_t nonces[NTS_COOKIES_MAX * 16];
	memset(nonces, 0x3c, sizeof nonces);
	memset(reply, 0xee, sizeof reply);
	memset(reply, 0x24, NTP_HEADER_LEN); /* a header */
	size_t len = ntsntp_reply_build(reply, n, pkt, &r, ckeys_current(&ks),
					c2s, s2c, nonces, &seal);
	CHECK_EQ(len, n, "%s: as long as the request", name);
	CHECK_EQ(reply[len], 0xee, "%s: nothing written past it", name);
	CHECK(!memcmp(reply + 52, pkt + r.uid_off, r.uid_len), "%s: uid", name);
	memset(reply + 40, 0x99, 8); /* the transmit stamp, then the seal */
	uint8_t nonce[16] = { 9, 8, 7 };
	ntsntp_reply_seal(reply, &seal, nonce);

	/* Open it as a client would: walk the fields, decrypt the last. */
	struct nts_request rr;
	size_t pos = NTP_HEADER_LEN;
	struct nts_ef ef, last = { 0 };
	while (ntsntp_ef_next(reply, len, &pos, &ef) == NTS_EF_FIELD)
		last = ef;
	CHECK_EQ(pos, len, "%s: fields fill the reply", name);
	CHECK_EQ(last.type, NTS_EF_AUTH, "%s: authenticator last", name);
	size_t nl = (size_t)reply[last.off + 4] << 8 | reply[last.off + 5];
	size_t cl = (size_t)reply[last.off + 6] << 8 | reply[last.off + 7];
	CHECK_EQ(nl, 16, "%s: nonce length", name);
	CHECK_EQ(cl, 16 + c * (4 + NTS_COOKIE_LEN), "%s: ciphertext", name);
	CHECK(!memcmp(reply + last.off + 8, nonce, 16), "%s: nonce", name);
	uint8_t plain[1500];
	struct siv_cmac_aes128_ctx x;
	siv_cmac_aes128_set_key(&x, s2c);
	CHECK(siv_cmac_aes128_decrypt_message(&x, 16, nonce, last.off, reply,
					      cl - 16, plain,
					      reply + last.off + 24),
	      "%s: sealed under S2C over the stamped header", name);
	for (unsigned i = 0; i < c; i++) {
		uint8_t a[32], b[32];
		const uint8_t *f = plain + i * (4 + NTS_COOKIE_LEN);
		CHECK(f[0] == 0x02 && f[1] == 0x04, "%s: cookie %u type", name, i);
		CHECK(ntscookie_open(&ks, f + 4, NTS_COOKIE_LEN, a, b) &&
			      !memcmp(a, c2s, 32) && !memcmp(b, s2c, 32),
		      "%s: cookie %u opens to the keys", name, i);
	}
	reply[45] ^= 1;
	CHECK(!siv_cmac_aes128_decrypt_message(&x, 16, nonce, last.off, reply,
					       cl - 16, plain,
					       reply + last.off + 24),
	      "%s: the transmit stamp is authenticated", name);
	(void)rr;
}

static void test_reply(void)
{
	check_reply(&(struct shape){ 0 }, 1, "no placeholder");
	check_reply(&(struct shape){ .placeholders = 1 }, 2, "1 placeholder");
	check_reply(&(struct shape){ .placeholders = 7 }, 8, "7 placeholders");
	check_reply(&(struct shape){ .placeholders = 9 }, 8, "9: capped at 8");
	check_reply(&(struct shape){ .uid_len = 200, .placeholders = 2 }, 3,
		    "long uid");
	check_reply(&(struct shape){ .unknown = true }, 1, "unknown field");
	check_reply(&(struct shape){ .enc_placeholders = 3 }, 4,
		    "3 placeholders encrypted");
	check_reply(&(struct shape){ .placeholders = 2, .enc_placeholders = 3 },
		    6, "2 in clear, 3 encrypted");
	check_reply(&(struct shape){ .placeholders = 4, .enc_placeholders = 5 },
		    8, "4 + 5: capped at 8");
	check_reply(&(struct shape){ .nonce_len = 12, .extra_pad = 4,
				     .placeholders = 1 },
		    2, "nonce 12 + 4: the reply fits");
	check_reply(&(struct shape){ .nonce_len = 1, .extra_pad = 16,
				     .enc_placeholders = 2 },
		    3, "nonce 1 + 16, 2 encrypted");

	/* A request too short for its cookies' worth: fewer, never more. */
	uint8_t pkt[1500];
	struct nts_request r;
	size_t n = make(&(struct shape){ .placeholders = 2 }, pkt);
	ntsntp_parse(pkt, n, &r);
	CHECK_EQ(ntsntp_reply_cookies(&r, n - 104), 2, "one cookie less room");
	CHECK_EQ(ntsntp_reply_cookies(&r, 100), 0, "no room: none");
	uint8_t reply[1500];
	struct nts_seal seal;
	CHECK_EQ(ntsntp_reply_build(reply, 100, pkt, &r, ckeys_current(&ks),
				    c2s, s2c, pkt, &seal),
		 0, "no room: no reply");

	memset(reply, 0, sizeof reply);
	size_t k = ntsntp_nak_build(reply, pkt, &r);
	CHECK_EQ(k, 48 + 36, "NAK: header and identifier");
	CHECK(k <= n, "NAK no longer than the request");
	CHECK(reply[48] == 0x01 && reply[49] == 0x04 &&
		      !memcmp(reply + 52, pkt + r.uid_off, 32),
	      "NAK echoes the identifier");
}

int main(void)
{
	for (int i = 0; i < 32; i++) {
		c2s[i] = (uint8_t)(i + 1);
		s2c[i] = (uint8_t)(0x40 + i);
	}
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		ks.slot[i].id = 50u - (uint32_t)i;
		memset(ks.slot[i].key, 0x61 + i, NTS_MASTER_LEN);
	}
	test_walk();
	test_classes();
	test_verify();
	test_plain();
	test_reply();
	return check_summary();
}
