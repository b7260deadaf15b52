/* SPDX-License-Identifier: ISC */
/* cookiekeys: the NTS cookie master keys (RFC 8915 §6): the four slots,
 * the key file's bytes, and the pure decisions on them. Their file on
 * disk (load, create, rotate, permissions) is sys/cookiekeyfile.h.
 *
 * Four slots: slot 0 the next key, slot 1 the current one (new cookies
 * are sealed under it), slots 2 and 3 the two before. A rotation moves
 * every key one slot down (next becomes current, the oldest is dropped)
 * and takes a fresh next key; its id is the previous next key's id + 1,
 * so the four ids are always distinct. A cookie sealed under the
 * current key is thus opened through two more rotations and refused
 * (NTS NAK) at the third.
 *
 * The file (CKEYS_FILE_LEN = 192 bytes, integers big-endian):
 *   0   8  magic "SCNTSK1\n"
 *   8   8  the time of the last rotation, Unix seconds (signed)
 *   16 144 four slots, next first: key id (4) ‖ AES-SIV-CMAC-256 key (32)
 *   160 32 SHA-256 of bytes 0-159
 * A file of another length, magic or check, with a key of zeros or two
 * equal ids, is corrupt. */
#ifndef SOCKCLOCK_COOKIEKEYS_H
#define SOCKCLOCK_COOKIEKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CKEYS_SLOTS 4
#define CKEYS_NEXT 0
#define CKEYS_CURRENT 1
#define NTS_MASTER_LEN 32
#define CKEYS_FILE_LEN 192

struct nts_master {
	uint32_t id;
	uint8_t key[NTS_MASTER_LEN];
};

struct nts_keys {
	struct nts_master slot[CKEYS_SLOTS];	/* next, current, older */
	int64_t rotated;			/* Unix seconds */
	/* The file it was read from, to notice a replacement. */
	uint64_t file_dev, file_ino;
	int64_t file_mtime_ns;
};

/* The file's bytes, and back (false with *why when corrupt). */
void ckeys_encode(const struct nts_keys *ks, uint8_t out[CKEYS_FILE_LEN]);
bool ckeys_decode(const uint8_t *buf, size_t len, struct nts_keys *ks,
		    const char **why);

/* Whether keys last rotated at rotated (Unix seconds) are due at now:
 * period_s <= 0, period_s passed, or a stamp in the future (written
 * while the clock was wrong and ahead: waiting for it would stop the
 * rotation until that date). */
bool ckeys_due(int64_t rotated, int64_t now, double period_s);

/* One rotation at now, with fresh the new next key (drawn by the
 * caller, never all zeros). */
void ckeys_rotate(struct nts_keys *ks, int64_t now,
		  const uint8_t fresh[NTS_MASTER_LEN]);

/* A key of zeros: an empty slot, never used. */
bool ckeys_blank(const struct nts_master *m);

/* The key new cookies are sealed under, and the kept key of an id:
 * NULL when there is none (never a key of zeros). */
const struct nts_master *ckeys_current(const struct nts_keys *ks);
const struct nts_master *ckeys_find(const struct nts_keys *ks, uint32_t id);

#endif
