/* SPDX-License-Identifier: ISC */
/* symkey: see symkey.h. */
#include "symkey.h"

#include <nettle/cmac.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

static const struct {
	const char *name;
	uint8_t type;
} type_names[] = {
	{ "MD5", SKEY_MD5 },	   { "M", SKEY_MD5 },
	{ "SHA1", SKEY_SHA1 },	   { "SHA256", SKEY_SHA256 },
	{ "SHA384", SKEY_SHA384 }, { "SHA512", SKEY_SHA512 },
	{ "AES128", SKEY_AES128 }, { "AES256", SKEY_AES256 },
	{ "AES128CMAC", SKEY_AES128 },
};

const char *skey_type_name(enum skey_type t)
{
	static const char *const names[] = { "?",      "MD5",    "SHA1",
					     "SHA256", "SHA384", "SHA512",
					     "AES128", "AES256" };
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

size_t skey_digest_len(enum skey_type t)
{
	switch (t) {
	case SKEY_MD5: return MD5_DIGEST_SIZE;
	case SKEY_SHA1: return SHA1_DIGEST_SIZE;
	case SKEY_SHA256: return SHA256_DIGEST_SIZE;
	case SKEY_SHA384: return SHA384_DIGEST_SIZE;
	case SKEY_SHA512: return SHA512_DIGEST_SIZE;
	case SKEY_AES128:
	case SKEY_AES256: return CMAC128_DIGEST_SIZE;
	}
	return 0;
}

/* One word of a line: [*s, *e). */
static bool word(const char **p, const char *end, const char **s,
		 const char **e)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	if (*p == end)
		return false;
	*s = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*e = *p;
	return true;
}

static bool word_is(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(e - s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != w[i])
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key's bytes; NULL or why not. */
static const char *key_value(const char *s, const char *e, struct skey *k)
{
	if (e - s >= 4 && word_is(s, s + 4, "HEX:")) {
		s += 4;
		if (s == e)
			return "empty key";
		if ((e - s) % 2)
			return "odd number of hex digits";
		if ((size_t)(e - s) / 2 > SKEY_KEY_MAX)
			return "key over 128 bytes";
		for (size_t i = 0; s + 2 * i < e; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return "not a hex digit in a HEX: key";
			k->key[i] = (uint8_t)(hi << 4 | lo);
		}
		k->len = (uint8_t)((e - s) / 2);
		return NULL;
	}
	if (e - s >= 6 && word_is(s, s + 6, "ASCII:"))
		s += 6;
	if (s == e)
		return "empty key";
	if ((size_t)(e - s) > SKEY_KEY_MAX)
		return "key over 128 bytes";
	for (const char *c = s; c < e; c++)
		if (*c < 0x21 || *c > 0x7e)
			return "a key byte that is not printable ASCII "
			       "(use HEX:)";
	memcpy(k->key, s, (size_t)(e - s));
	k->len = (uint8_t)(e - s);
	return NULL;
}

/* One line (no newline) into *k: 1 a key, 0 a comment or blank, -1
 * with *why. */
static int parse_line(const char *p, const char *end, struct skey *k,
		      const char **why)
{
	const char *w[4][2];
	int n = 0;
	memset(k, 0, sizeof *k);
	while (n < 4 && word(&p, end, &w[n][0], &w[n][1]))
		n++;
	if (n == 0 || strchr("#!;%", *w[0][0]))
		return 0;
	for (const char *c = w[0][0]; c < end; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t') {
			*why = "a control character";
			return -1;
		}
	/* ntpd's trailing comment; chrony takes 2 or 3 words. */
	if (n == 4) {
		if (*w[3][0] != '#') {
			*why = "more than ID, TYPE and KEY";
			return -1;
		}
		n = 3;
	}
	if (n < 2) {
		*why = "no key after the ID";
		return -1;
	}
	uint64_t id = 0;
	for (const char *c = w[0][0]; c < w[0][1]; c++) {
		if (*c < '0' || *c > '9' || (id = id * 10 + (uint64_t)(*c - '0')) >
							    UINT32_MAX) {
			*why = "the ID is not a number from 1 to 4294967295";
			return -1;
		}
	}
	if (id == 0) {
		*why = "the ID is not a number from 1 to 4294967295";
		return -1;
	}
	k->id = (uint32_t)id;
	k->type = SKEY_MD5;
	if (n == 3) {
		k->type = 0;
		for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
			if (word_is(w[1][0], w[1][1], type_names[i].name))
				k->type = type_names[i].type;
		if (!k->type) {
			*why = "unknown type (want MD5, SHA1, SHA256, SHA384, "
			       "SHA512, AES128 or AES256)";
			return -1;
		}
	}
	if ((*why = key_value(w[n - 1][0], w[n - 1][1], k)))
		return -1;
	if ((k->type == SKEY_AES128 && k->len != 16) ||
	    (k->type == SKEY_AES256 && k->len != 32)) {
		*why = k->type == SKEY_AES128 ? "an AES128 key must be 16 bytes" :
						"an AES256 key must be 32 bytes";
		return -1;
	}
	return 1;
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = ((const struct skey *)a)->id, y = ((const struct skey *)b)->id;
	return (x > y) - (x < y);
}

void skey_clear(struct skey_set *set)
{
	size_t n = set->n <= SKEY_MAX ? set->n : SKEY_MAX;
	explicit_bzero(set->k, n * sizeof set->k[0]);
	set->n = 0;
	set->file_dev = set->file_ino = 0;
	set->file_mtime_ns = set->file_size = 0;
}

bool skey_parse(const char *text, size_t len, struct skey_set *set,
		char *why, size_t why_cap)
{
	const char *p = text, *end = text + len, *w = NULL;
	unsigned line = 0;
	struct skey k;

	skey_clear(set);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		line++;
		if (e > p && e[-1] == '\r')
			e--;
		int r = memchr(p, 0, (size_t)(e - p)) ? (w = "a NUL byte", -1) :
							parse_line(p, e, &k, &w);
		if (r > 0 && set->n == SKEY_MAX) {
			w = "more than 1024 keys";
			r = -1;
		}
		if (r < 0)
			goto bad;
		if (r > 0)
			set->k[set->n++] = k;
		p = nl ? nl + 1 : end;
	}
	explicit_bzero(&k, sizeof k);
	qsort(set->k, set->n, sizeof set->k[0], by_id);
	for (size_t i = 1; i < set->n; i++)
		if (set->k[i].id == set->k[i - 1].id) {
			snprintf(why, why_cap, "key %u given twice", set->k[i].id);
			skey_clear(set);
			return false;
		}
	return true;
bad:
	snprintf(why, why_cap, "line %u: %s", line, w);
	explicit_bzero(&k, sizeof k);
	skey_clear(set);
	return false;
}

const struct skey *skey_find(const struct skey_set *set, uint32_t id)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->k[mid].id == id)
			return &set->k[mid];
		if (set->k[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t skey_digest(const struct skey *k, const uint8_t *msg, size_t len,
		   uint8_t out[SKEY_DIGEST_MAX])
{
	union {
		struct md5_ctx md5;
		struct sha1_ctx sha1;
		struct sha256_ctx sha256;
		struct sha512_ctx sha512;
		struct cmac_aes128_ctx aes128;
		struct cmac_aes256_ctx aes256;
	} c;
	size_t n = skey_digest_len(k->type);
	switch (k->type) {
	case SKEY_MD5:
		md5_init(&c.md5);
		md5_update(&c.md5, k->len, k->key);
		md5_update(&c.md5, len, msg);
		md5_digest(&c.md5, n, out);
		break;
	case SKEY_SHA1:
		sha1_init(&c.sha1);
		sha1_update(&c.sha1, k->len, k->key);
		sha1_update(&c.sha1, len, msg);
		sha1_digest(&c.sha1, n, out);
		break;
	case SKEY_SHA256:
		sha256_init(&c.sha256);
		sha256_update(&c.sha256, k->len, k->key);
		sha256_update(&c.sha256, len, msg);
		sha256_digest(&c.sha256, n, out);
		break;
	case SKEY_SHA384:
		sha384_init(&c.sha512);
		sha384_update(&c.sha512, k->len, k->key);
		sha384_update(&c.sha512, len, msg);
		sha384_digest(&c.sha512, n, out);
		break;
	case SKEY_SHA512:
		sha512_init(&c.sha512);
		sha512_update(&c.sha512, k->len, k->key);
		sha512_update(&c.sha512, len, msg);
		sha512_digest(&c.sha512, n, out);
		break;
	case SKEY_AES128:
		cmac_aes128_set_key(&c.aes128, k->key);
		cmac_aes128_update(&c.aes128, len, msg);
		cmac_aes128_digest(&c.aes128, n, out);
		break;
	case SKEY_AES256:
		cmac_aes256_set_key(&c.aes256, k->key);
		cmac_aes256_update(&c.aes256, len, msg);
		cmac_aes256_digest(&c.aes256, n, out);
		break;
	default:
		n = 0;
	}
	explicit_bzero(&c, sizeof c);
	return n;
}

enum skey_where skey_locate(const uint8_t *pkt, size_t len,
			    struct skey_mac *m)
{
	size_t pos = 48;
	memset(m, 0, sizeof *m);
	m->version = pkt[0] >> 3 & 7;
	if (len <= pos)
		return SKEY_NONE;
	/* NTPv1-3 have no extension fields: all that follows is the MAC.
	 * NTPv4 (RFC 7822 §7.5): at most 24 bytes left are the MAC, else a
	 * field (type, length of 16 or more and a multiple of 4, body). */
	while (m->version == 4 && len - pos > SKEY_V4_FIELD_MAX) {
		size_t flen = get16(pkt + pos + 2);
		if (flen < 16 || flen % 4 || flen > len - pos)
			return SKEY_MALFORMED;
		pos += flen;
	}
	if (pos == len)
		return SKEY_NONE;
	if (len - pos < 4)
		return SKEY_MALFORMED;
	m->off = pos;
	m->id = get32(pkt + pos);
	m->digest_len = len - pos - 4;
	return SKEY_FOUND;
}

bool skey_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

enum skey_verdict skey_verify(const struct skey_set *set, const uint8_t *pkt,
			      const struct skey_mac *m, const struct skey **k)
{
	uint8_t d[SKEY_DIGEST_MAX];
	*k = skey_find(set, m->id);
	if (!*k)
		return SKEY_UNKNOWN_KEY;
	size_t full = skey_digest_len((*k)->type);
	size_t want = m->version == 4 && full > SKEY_V4_DIGEST_MAX ?
			      SKEY_V4_DIGEST_MAX : full;
	if (m->digest_len != want)
		return SKEY_BAD_LENGTH;
	skey_digest(*k, pkt, m->off, d);
	bool ok = skey_equal(d, pkt + m->off + 4, want);
	explicit_bzero(d, sizeof d);
	return ok ? SKEY_OK : SKEY_BAD_MAC;
}

size_t skey_sign(const struct skey *k, uint8_t *reply, size_t len,
		 size_t digest_len)
{
	uint8_t d[SKEY_DIGEST_MAX];
	skey_digest(k, reply, len, d);
	put32(reply + len, k->id);
	memcpy(reply + len + 4, d, digest_len);
	explicit_bzero(d, sizeof d);
	return len + 4 + digest_len;
}
