/* SPDX-License-Identifier: ISC */
/* ntsntp: NTS requests and replies (formats in ntsntp.h). */
#include <string.h>

#include <nettle/siv-cmac.h>

#include "bytes.h"
#include "ntp.h"
#include "ntsntp.h"

enum nts_ef_step ntsntp_ef_next(const uint8_t *pkt, size_t len, size_t *pos,
				struct nts_ef *ef)
{
	size_t p = *pos;
	ef->type = 0;
	if (p >= len)
		return NTS_EF_END;
	if (len - p < 4)
		return NTS_EF_BAD;
	ef->type = get16(pkt + p);
	ef->off = p;
	ef->len = get16(pkt + p + 2);
	if (ef->len < NTS_EF_MIN || ef->len % 4 != 0 || ef->len > len - p)
		return NTS_EF_BAD;
	*pos = p + ef->len;
	return NTS_EF_FIELD;
}

static bool is_nts(uint16_t type)
{
	return type == NTS_EF_UID || type == NTS_EF_COOKIE ||
	       type == NTS_EF_PLACEHOLDER || type == NTS_EF_AUTH;
}

/* The authenticator's body: lengths, nonce and ciphertext inside it,
 * then the Additional Padding (RFC 8915 §5.6, NTS_NONCE_REQ). The room
 * the nonce takes, its padding to 4 included, plus the Additional
 * Padding must reach 16, as chrony counts it: that room is what the
 * reply's 16-byte nonce needs to stay no longer than the request. */
static bool auth_parse(const uint8_t *pkt, const struct nts_ef *ef,
		       struct nts_request *r)
{
	size_t body = ef->off + 4, blen = ef->len - 4;
	r->nonce_len = get16(pkt + body);
	r->ct_len = get16(pkt + body + 2);
	r->nonce_off = body + 4;
	r->ct_off = r->nonce_off + pad4(r->nonce_len);
	r->auth_off = ef->off;
	size_t used = 4 + pad4(r->nonce_len) + pad4(r->ct_len);
	if (r->nonce_len < 1 || r->ct_len < NTS_TAG_LEN || used > blen)
		return false;
	return pad4(r->nonce_len) + (blen - used) >= NTS_NONCE_REQ;
}

enum nts_kind ntsntp_parse(const uint8_t *pkt, size_t len,
			   struct nts_request *r)
{
	memset(r, 0, sizeof *r);
	if (len <= NTP_HEADER_LEN || ((pkt[0] >> 3) & 7) != 4)
		return NTS_PLAIN;

	bool nts = false, auth = false, uids = false, cookies = false;
	bool bad = false;
	size_t ph_min = SIZE_MAX, ph_max = 0, pos = NTP_HEADER_LEN;
	struct nts_ef ef;
	enum nts_ef_step s;
	while ((s = ntsntp_ef_next(pkt, len, &pos, &ef)) == NTS_EF_FIELD) {
		if (auth) /* the authenticator must be last, of any field */
			bad = true;
		if (!is_nts(ef.type))
			continue; /* RFC 7822: unknown fields are ignored */
		nts = true;
		size_t body = ef.len - 4;
		switch (ef.type) {
		case NTS_EF_UID:
			bad |= uids || body < NTS_UID_MIN;
			uids = true;
			r->uid_off = ef.off + 4;
			r->uid_len = body;
			break;
		case NTS_EF_COOKIE:
			bad |= cookies;
			cookies = true;
			r->cookie_off = ef.off + 4;
			r->cookie_len = body;
			break;
		case NTS_EF_PLACEHOLDER:
			r->placeholders++;
			ph_min = body < ph_min ? body : ph_min;
			ph_max = body > ph_max ? body : ph_max;
			break;
		case NTS_EF_AUTH:
			auth = true;
			bad |= !auth_parse(pkt, &ef, r);
			break;
		}
	}
	if (s == NTS_EF_BAD && (nts || is_nts(ef.type)))
		return NTS_MALFORMED;
	if (!nts)
		return NTS_PLAIN;
	if ((pkt[0] & 7) != NTP_MODE_CLIENT)
		return NTS_MALFORMED; /* RFC 8915 §5: client-server only */
	if (bad || !uids || !cookies || !auth)
		return NTS_MALFORMED;
	if (r->placeholders && (ph_min != r->cookie_len || ph_max != r->cookie_len))
		return NTS_MALFORMED;
	return NTS_REQUEST;
}

bool ntsntp_plain_parse(const uint8_t *plain, size_t len, size_t cookie_len,
			unsigned *placeholders)
{
	size_t pos = 0;
	struct nts_ef ef;
	enum nts_ef_step s;
	*placeholders = 0;
	while ((s = ntsntp_ef_next(plain, len, &pos, &ef)) == NTS_EF_FIELD) {
		if (ef.type != NTS_EF_PLACEHOLDER)
			continue;
		if (ef.len - 4 != cookie_len)
			return false;
		(*placeholders)++;
	}
	return s == NTS_EF_END;
}

enum nts_auth ntsntp_verify(const uint8_t *pkt, struct nts_request *r,
			    const uint8_t c2s[NTS_KEY_LEN])
{
	struct siv_cmac_aes128_ctx ctx;
	uint8_t plain[1500];
	size_t n = r->ct_len - NTS_TAG_LEN;
	r->enc_placeholders = 0;
	if (n > sizeof plain)
		return NTS_AUTH_FAILED;
	siv_cmac_aes128_set_key(&ctx, c2s);
	int ok = siv_cmac_aes128_decrypt_message(
		&ctx, r->nonce_len, pkt + r->nonce_off, r->auth_off, pkt, n,
		plain, pkt + r->ct_off);
	enum nts_auth a = !ok ? NTS_AUTH_FAILED :
			  ntsntp_plain_parse(plain, n, r->cookie_len,
					     &r->enc_placeholders) ?
				  NTS_AUTH_OK :
				  NTS_AUTH_MALFORMED;
	explicit_bzero(plain, n);
	explicit_bzero(&ctx, sizeof ctx);
	return a;
}

enum {
	COOKIE_EF_LEN = 4 + NTS_COOKIE_LEN,
	/* The authenticator with nothing inside: header, lengths, nonce, tag. */
	AUTH_EMPTY_LEN = 4 + 4 + NTS_NONCE_LEN + NTS_TAG_LEN,
};

/* Bytes before the cookies: header, echoed identifier, empty authenticator. */
static size_t reply_base(const struct nts_request *r)
{
	return NTP_HEADER_LEN + 4 + pad4(r->uid_len) + AUTH_EMPTY_LEN;
}

unsigned ntsntp_reply_cookies(const struct nts_request *r, size_t req_len)
{
	size_t base = reply_base(r);
	if (base > req_len)
		return 0;
	size_t fit = (req_len - base) / COOKIE_EF_LEN;
	size_t want = 1 + (size_t)r->placeholders + r->enc_placeholders;
	if (want > NTS_COOKIES_MAX)
		want = NTS_COOKIES_MAX;
	return (unsigned)(fit < want ? fit : want);
}

size_t ntsntp_reply_build(uint8_t *reply, size_t req_len, const uint8_t *req,
			  const struct nts_request *r,
			  const struct nts_master *m,
			  const uint8_t c2s[NTS_KEY_LEN],
			  const uint8_t s2c[NTS_KEY_LEN],
			  const uint8_t *cookie_nonces, struct nts_seal *seal)
{
	unsigned n = ntsntp_reply_cookies(r, req_len);
	if (n == 0)
		return 0;
	/* uid_len is a multiple of 4: the field's length is. */
	size_t p = NTP_HEADER_LEN;
	put16(reply + p, NTS_EF_UID);
	put16(reply + p + 2, 4 + r->uid_len);
	memcpy(reply + p + 4, req + r->uid_off, r->uid_len);
	p += 4 + r->uid_len;

	size_t auth = p, plain_len = (size_t)n * COOKIE_EF_LEN;
	put16(reply + auth, NTS_EF_AUTH);
	put16(reply + auth + 2, req_len - auth); /* padded to the request */
	put16(reply + auth + 4, NTS_NONCE_LEN);
	put16(reply + auth + 6, NTS_TAG_LEN + plain_len);
	memset(reply + auth + 8, 0, NTS_NONCE_LEN + NTS_TAG_LEN);
	uint8_t *c = reply + auth + 8 + NTS_NONCE_LEN + NTS_TAG_LEN;
	for (unsigned i = 0; i < n; i++, c += COOKIE_EF_LEN) {
		put16(c, NTS_EF_COOKIE);
		put16(c + 2, COOKIE_EF_LEN);
		ntscookie_seal(m, cookie_nonces + i * NTS_COOKIE_NONCE_LEN, c2s,
			       s2c, c + 4);
	}
	memset(c, 0, (size_t)(reply + req_len - c));
	memcpy(seal->s2c, s2c, NTS_KEY_LEN);
	seal->auth_off = (uint16_t)auth;
	seal->plain_len = (uint16_t)plain_len;
	return req_len;
}

void ntsntp_reply_seal(uint8_t *reply, const struct nts_seal *seal,
		       const uint8_t nonce[NTS_NONCE_LEN])
{
	struct siv_cmac_aes128_ctx ctx;
	uint8_t plain[NTS_COOKIES_MAX * COOKIE_EF_LEN];
	uint8_t *n = reply + seal->auth_off + 8, *ct = n + NTS_NONCE_LEN;
	size_t len = seal->plain_len <= sizeof plain ? seal->plain_len : 0;

	memcpy(n, nonce, NTS_NONCE_LEN);
	memcpy(plain, ct + NTS_TAG_LEN, len);
	siv_cmac_aes128_set_key(&ctx, seal->s2c);
	siv_cmac_aes128_encrypt_message(&ctx, NTS_NONCE_LEN, n, seal->auth_off,
					reply, len + NTS_TAG_LEN, ct, plain);
	explicit_bzero(plain, len);
	explicit_bzero(&ctx, sizeof ctx);
}

size_t ntsntp_nak_build(uint8_t *reply, const uint8_t *req,
			const struct nts_request *r)
{
	put16(reply + NTP_HEADER_LEN, NTS_EF_UID);
	put16(reply + NTP_HEADER_LEN + 2, 4 + r->uid_len);
	memcpy(reply + NTP_HEADER_LEN + 4, req + r->uid_off, r->uid_len);
	return NTP_HEADER_LEN + 4 + r->uid_len;
}
