/* SPDX-License-Identifier: ISC */
/* masterkey: the NTS cookie keys of a fleet, derived from one master
 * secret and the time (--nts-master-key); the file holding the secret
 * is sys/masterkeyfile.h. Pure: the time and the secret are handed in.
 *
 * Every host that holds the same secret and is given the same period P
 * (--nts-rotate, whole seconds) derives the same keys at the same time,
 * with nothing copied after set-up: the period number is
 * floor(Unix time / P), counted from Unix 0, and the cookie key of
 * period n is
 *   HKDF-SHA256 (RFC 5869) with salt MKEY_SALT, IKM the secret,
 *   info MKEY_INFO ‖ P (8 bytes) ‖ n (8 bytes), big-endian, 32 bytes.
 * P is in the info so that two hosts given different periods fail
 * closed (every cookie refused, the NAK says so) rather than agreeing
 * on some keys by chance.
 *
 * The fingerprint (not secret: safe to log and to compare between
 * hosts) is the first MKEY_FPR_LEN bytes of SHA-256(MKEY_FPR_LABEL ‖
 * secret). The key id of period n is the fingerprint's first 16 bits,
 * then the low 16 bits of n: two secrets in use side by side (a
 * change-over, NEW,OLD) are refused when their ids would be alike, so
 * within one host ids never collide; a cookie of another fleet opens
 * under no key here (the AEAD refuses it). 16 bits of n tell apart
 * 65536 periods: far more than the window.
 *
 * The window is today's (cookiekeys.h): the next period's key (a clock
 * a little behind the KE host's), the current one (new cookies), and
 * the two before, filled into the same struct nts_keys that the key
 * file gives, so ntscookie_open takes either. */
#ifndef SOCKCLOCK_MASTERKEY_H
#define SOCKCLOCK_MASTERKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookiekeys.h"

#define MKEY_LEN 32		/* the secret: exactly 32 bytes */
#define MKEY_FPR_LEN 8
#define MKEY_FPR_HEX (2 * MKEY_FPR_LEN + 1)
#define MKEY_SALT "sockclock NTS master key v1"
#define MKEY_INFO "sockclock NTS cookie key"
#define MKEY_FPR_LABEL "sockclock NTS master key fingerprint"

/* One secret, ready: HKDF's PRK (extracted once) and the fingerprint. */
struct mkey {
	uint8_t prk[32];
	uint8_t fpr[MKEY_FPR_LEN];
};

/* HKDF-SHA256 (RFC 5869) through Nettle: extract, then expand to len
 * bytes (at most 255 * 32). The one call the derivation makes, exposed
 * for RFC 5869's test vectors. */
void mkey_hkdf_sha256(const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len,
		      const uint8_t *info, size_t info_len,
		      uint8_t *out, size_t len);

/* The secrets of --nts-master-key=NEW[,OLD]: m[0] seals new cookies;
 * m[1], during a change-over, only opens. */
#define MKEY_SET_MAX 2
struct mkey_set {
	struct mkey m[MKEY_SET_MAX];
	int n;
};

/* The --stats and --dump lines of a set, "nts-master-key-fingerprint:
 * HEX\n" (and "nts-master-key-fingerprint-old: HEX\n" during a
 * change-over); the length written (cap >= 128 holds both). */
size_t mkey_set_describe(const struct mkey_set *s, char *buf, size_t cap);

void mkey_init(struct mkey *m, const uint8_t secret[MKEY_LEN]);

/* The fingerprint as 16 lower-case hex digits. */
void mkey_fpr_hex(const struct mkey *m, char out[MKEY_FPR_HEX]);

/* floor(now / period_s), for any now (before 1970 too); period_s >= 1. */
int64_t mkey_period(int64_t now, int64_t period_s);

/* The key id of period n under m. */
uint32_t mkey_id(const struct mkey *m, int64_t n);

/* Whether two secrets' ids could be alike (their 16 fingerprint bits). */
bool mkey_ids_clash(const struct mkey *a, const struct mkey *b);

/* The cookie key of period n: its id and 32 bytes (never all zeros:
 * a derived key of zeros, with odds of 2^-256, is taken as blank and
 * the period simply has no key). */
void mkey_derive(const struct mkey *m, int64_t period_s, int64_t n,
		 struct nts_master *out);

/* The window around period n: slot 0 n + 1, slot 1 n (current), slots
 * 2 and 3 n - 1 and n - 2; rotated = the start of period n. */
void mkey_window(const struct mkey *m, int64_t period_s, int64_t n,
		 struct nts_keys *ks);

#endif
