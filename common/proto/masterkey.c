/* SPDX-License-Identifier: ISC */
/* masterkey: the cookie keys derived from a master secret (rules in
 * masterkey.h). */
#include <stdio.h>
#include <string.h>

#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>

#include "masterkey.h"

void mkey_hkdf_sha256(const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len,
		      const uint8_t *info, size_t info_len,
		      uint8_t *out, size_t len)
{
	struct hmac_sha256_ctx c;
	uint8_t prk[SHA256_DIGEST_SIZE];

	/* Extract: HMAC keyed with the salt (RFC 5869 §2.2: none is a
	 * string of zeros as long as the hash, which HMAC pads to alike). */
	hmac_sha256_set_key(&c, salt_len, salt);
	hkdf_extract(&c, (nettle_hash_update_func *)hmac_sha256_update,
		     (nettle_hash_digest_func *)hmac_sha256_digest,
		     SHA256_DIGEST_SIZE, ikm_len, ikm, prk);
	/* Expand: HMAC keyed with the PRK. */
	hmac_sha256_set_key(&c, sizeof prk, prk);
	hkdf_expand(&c, (nettle_hash_update_func *)hmac_sha256_update,
		    (nettle_hash_digest_func *)hmac_sha256_digest,
		    SHA256_DIGEST_SIZE, info_len, info, len, out);
	explicit_bzero(prk, sizeof prk);
	explicit_bzero(&c, sizeof c);
}

void mkey_init(struct mkey *m, const uint8_t secret[MKEY_LEN])
{
	struct hmac_sha256_ctx c;
	struct sha256_ctx h;
	uint8_t sum[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&c, sizeof MKEY_SALT - 1,
			    (const uint8_t *)MKEY_SALT);
	hkdf_extract(&c, (nettle_hash_update_func *)hmac_sha256_update,
		     (nettle_hash_digest_func *)hmac_sha256_digest,
		     SHA256_DIGEST_SIZE, MKEY_LEN, secret, m->prk);
	explicit_bzero(&c, sizeof c);

	sha256_init(&h);
	sha256_update(&h, sizeof MKEY_FPR_LABEL - 1,
		      (const uint8_t *)MKEY_FPR_LABEL);
	sha256_update(&h, MKEY_LEN, secret);
	sha256_digest(&h, sizeof sum, sum);
	memcpy(m->fpr, sum, MKEY_FPR_LEN);
}

void mkey_fpr_hex(const struct mkey *m, char out[MKEY_FPR_HEX])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < MKEY_FPR_LEN; i++) {
		out[2 * i] = hex[m->fpr[i] >> 4];
		out[2 * i + 1] = hex[m->fpr[i] & 15];
	}
	out[2 * MKEY_FPR_LEN] = 0;
}

int64_t mkey_period(int64_t now, int64_t period_s)
{
	int64_t q = now / period_s;
	return now % period_s < 0 ? q - 1 : q; /* C truncates toward 0 */
}

uint32_t mkey_id(const struct mkey *m, int64_t n)
{
	return (uint32_t)m->fpr[0] << 24 | (uint32_t)m->fpr[1] << 16 |
	       ((uint32_t)(uint64_t)n & 0xffff);
}

bool mkey_ids_clash(const struct mkey *a, const struct mkey *b)
{
	return a->fpr[0] == b->fpr[0] && a->fpr[1] == b->fpr[1];
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void mkey_derive(const struct mkey *m, int64_t period_s, int64_t n,
		 struct nts_master *out)
{
	struct hmac_sha256_ctx c;
	uint8_t info[sizeof MKEY_INFO - 1 + 16];

	memcpy(info, MKEY_INFO, sizeof MKEY_INFO - 1);
	put_be64(info + sizeof MKEY_INFO - 1, (uint64_t)period_s);
	put_be64(info + sizeof MKEY_INFO - 1 + 8, (uint64_t)n);
	hmac_sha256_set_key(&c, sizeof m->prk, m->prk);
	hkdf_expand(&c, (nettle_hash_update_func *)hmac_sha256_update,
		    (nettle_hash_digest_func *)hmac_sha256_digest,
		    SHA256_DIGEST_SIZE, sizeof info, info, NTS_MASTER_LEN,
		    out->key);
	explicit_bzero(&c, sizeof c);
	out->id = mkey_id(m, n);
}

void mkey_window(const struct mkey *m, int64_t period_s, int64_t n,
		 struct nts_keys *ks)
{
	memset(ks, 0, sizeof *ks);
	/* Any n, however far from today (a clock set wild, the fuzzer):
	 * period numbers wrap as the 8 bytes of the info do, and the start
	 * of the period (said, never used to decide) saturates. */
	for (int i = 0; i < CKEYS_SLOTS; i++)
		mkey_derive(m, period_s, (int64_t)((uint64_t)n + 1 - (uint64_t)i),
			    &ks->slot[i]);
	if (__builtin_mul_overflow(n, period_s, &ks->rotated))
		ks->rotated = n < 0 ? INT64_MIN : INT64_MAX;
}

size_t mkey_set_describe(const struct mkey_set *s, char *buf, size_t cap)
{
	static const char *const name[MKEY_SET_MAX] = {
		"nts-master-key-fingerprint",
		"nts-master-key-fingerprint-old",
	};
	size_t n = 0;
	for (int i = 0; i < s->n && i < MKEY_SET_MAX; i++) {
		char hex[MKEY_FPR_HEX];
		mkey_fpr_hex(&s->m[i], hex);
		int w = snprintf(buf + n, cap - n, "%s: %s\n", name[i], hex);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return n;
}
