/* SPDX-License-Identifier: ISC */
/* cookiekeys: the master keys' file layout and the pure decisions on
 * the keys (layout and rules in cookiekeys.h). */
#include <string.h>

#include <nettle/sha2.h>

#include "cookiekeys.h"

#define MAGIC "SCNTSK1\n"
enum {
	MAGIC_LEN = 8,
	SLOTS_OFF = MAGIC_LEN + 8,
	SLOT_LEN = 4 + NTS_MASTER_LEN,
	CHECK_OFF = SLOTS_OFF + CKEYS_SLOTS * SLOT_LEN,
};
_Static_assert(CHECK_OFF + SHA256_DIGEST_SIZE == CKEYS_FILE_LEN,
	       "the file layout of cookiekeys.h");

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void checksum(const uint8_t *buf, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, CHECK_OFF, buf);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

void ckeys_encode(const struct nts_keys *ks, uint8_t out[CKEYS_FILE_LEN])
{
	memcpy(out, MAGIC, MAGIC_LEN);
	put_be(out + MAGIC_LEN, (uint64_t)ks->rotated, 8);
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		uint8_t *s = out + SLOTS_OFF + i * SLOT_LEN;
		put_be(s, ks->slot[i].id, 4);
		memcpy(s + 4, ks->slot[i].key, NTS_MASTER_LEN);
	}
	checksum(out, out + CHECK_OFF);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

bool ckeys_decode(const uint8_t *buf, size_t len, struct nts_keys *ks,
		    const char **why)
{
	uint8_t sum[SHA256_DIGEST_SIZE];
	memset(ks, 0, sizeof *ks);
	if (len != CKEYS_FILE_LEN) {
		*why = "corrupt (wrong length)";
		return false;
	}
	if (memcmp(buf, MAGIC, MAGIC_LEN) != 0) {
		*why = "corrupt (not a sockclock NTS key file)";
		return false;
	}
	checksum(buf, sum);
	if (memcmp(sum, buf + CHECK_OFF, sizeof sum) != 0) {
		*why = "corrupt (checksum mismatch)";
		return false;
	}
	struct nts_keys k = { .rotated = (int64_t)get_be(buf + MAGIC_LEN, 8) };
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		const uint8_t *s = buf + SLOTS_OFF + i * SLOT_LEN;
		k.slot[i].id = (uint32_t)get_be(s, 4);
		memcpy(k.slot[i].key, s + 4, NTS_MASTER_LEN);
		if (all_zero(k.slot[i].key, NTS_MASTER_LEN)) {
			*why = "corrupt (a key of zeros)";
			return false;
		}
		for (int j = 0; j < i; j++)
			if (k.slot[j].id == k.slot[i].id) {
				*why = "corrupt (two keys with one id)";
				return false;
			}
	}
	*ks = k;
	explicit_bzero(&k, sizeof k);
	return true;
}

bool ckeys_due(int64_t rotated, int64_t now, double period_s)
{
	/* In double: a stamp of any 64 bits must not overflow. */
	return period_s <= 0 || now < rotated ||
	       (double)now - (double)rotated >= period_s;
}

void ckeys_rotate(struct nts_keys *ks, int64_t now,
		  const uint8_t fresh[NTS_MASTER_LEN])
{
	memmove(&ks->slot[1], &ks->slot[0],
		(CKEYS_SLOTS - 1) * sizeof ks->slot[0]);
	ks->slot[0].id = ks->slot[1].id + 1;
	memcpy(ks->slot[0].key, fresh, NTS_MASTER_LEN);
	ks->rotated = now;
}

bool ckeys_blank(const struct nts_master *m)
{
	return all_zero(m->key, NTS_MASTER_LEN);
}

const struct nts_master *ckeys_current(const struct nts_keys *ks)
{
	const struct nts_master *m = &ks->slot[CKEYS_CURRENT];
	return all_zero(m->key, NTS_MASTER_LEN) ? NULL : m;
}

const struct nts_master *ckeys_find(const struct nts_keys *ks, uint32_t id)
{
	for (int i = 0; i < CKEYS_SLOTS; i++)
		if (ks->slot[i].id == id &&
		    !all_zero(ks->slot[i].key, NTS_MASTER_LEN))
			return &ks->slot[i];
	return NULL;
}
