/* SPDX-License-Identifier: ISC */
/* ntscookie: seal and open NTS cookies (format in ntscookie.h). */
#include <string.h>

#include <nettle/siv-cmac.h>

#include "ntscookie.h"

enum { ID_LEN = 4, SEALED_OFF = ID_LEN + NTS_COOKIE_NONCE_LEN };

/* The SIV context of a master key, made once per key and kept: every
 * NTS request opens one cookie and every reply seals one or more, so
 * this saves two key schedules and more per request. Found by id and
 * key (a rotation or a new file brings other bytes under an old id). */
static const struct siv_cmac_aes128_ctx *master_ctx(const struct nts_master *m)
{
	static struct {
		bool made;
		struct nts_master m;
		struct siv_cmac_aes128_ctx ctx;
	} cache[CKEYS_SLOTS + 1];
	static unsigned next;
	for (unsigned i = 0; i < CKEYS_SLOTS + 1; i++)
		if (cache[i].made && cache[i].m.id == m->id &&
		    memcmp(cache[i].m.key, m->key, sizeof m->key) == 0)
			return &cache[i].ctx;
	unsigned i = next++ % (CKEYS_SLOTS + 1);
	cache[i].m = *m;
	siv_cmac_aes128_set_key(&cache[i].ctx, m->key);
	cache[i].made = true;
	return &cache[i].ctx;
}

void ntscookie_seal(const struct nts_master *m,
		    const uint8_t nonce[NTS_COOKIE_NONCE_LEN],
		    const uint8_t c2s[NTS_KEY_LEN], const uint8_t s2c[NTS_KEY_LEN],
		    uint8_t out[NTS_COOKIE_LEN])
{
	uint8_t plain[2 * NTS_KEY_LEN];

	out[0] = (uint8_t)(m->id >> 24);
	out[1] = (uint8_t)(m->id >> 16);
	out[2] = (uint8_t)(m->id >> 8);
	out[3] = (uint8_t)m->id;
	memcpy(out + ID_LEN, nonce, NTS_COOKIE_NONCE_LEN);
	memcpy(plain, c2s, NTS_KEY_LEN);
	memcpy(plain + NTS_KEY_LEN, s2c, NTS_KEY_LEN);
	siv_cmac_aes128_encrypt_message(master_ctx(m), NTS_COOKIE_NONCE_LEN, nonce,
					ID_LEN, out,
					NTS_COOKIE_LEN - SEALED_OFF,
					out + SEALED_OFF, plain);
	explicit_bzero(plain, sizeof plain);
}

bool ntscookie_open(const struct nts_keys *ks, const uint8_t *cookie,
		    size_t len, uint8_t c2s[NTS_KEY_LEN],
		    uint8_t s2c[NTS_KEY_LEN])
{
	memset(c2s, 0, NTS_KEY_LEN);
	memset(s2c, 0, NTS_KEY_LEN);
	if (len != NTS_COOKIE_LEN)
		return false;
	uint32_t id = (uint32_t)cookie[0] << 24 | (uint32_t)cookie[1] << 16 |
		      (uint32_t)cookie[2] << 8 | cookie[3];
	const struct nts_master *m = ckeys_find(ks, id);
	if (!m)
		return false;

	uint8_t plain[2 * NTS_KEY_LEN];
	int ok = siv_cmac_aes128_decrypt_message(
		master_ctx(m), NTS_COOKIE_NONCE_LEN, cookie + ID_LEN, ID_LEN,
		cookie, sizeof plain, plain, cookie + SEALED_OFF);
	if (ok) {
		memcpy(c2s, plain, NTS_KEY_LEN);
		memcpy(s2c, plain + NTS_KEY_LEN, NTS_KEY_LEN);
	}
	explicit_bzero(plain, sizeof plain);
	return ok;
}
