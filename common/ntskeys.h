/* ntskeys: the NTS cookie master keys (RFC 8915 §6) and their file,
 * shared by nts-ke-tcp (which creates and rotates it) and sntp-udp
 * (which only reads it).
 *
 * Four slots: slot 0 the next key, slot 1 the current one (new cookies
 * are sealed under it), slots 2 and 3 the two before. A rotation moves
 * every key one slot down (next becomes current, the oldest is dropped)
 * and draws a new next key with getrandom; its id is the previous next
 * key's id + 1, so the four ids are always distinct. A cookie sealed
 * under the current key is thus opened through two more rotations and
 * refused (NTS NAK) at the third.
 *
 * The file (NTSKEYS_FILE_LEN = 192 bytes, integers big-endian):
 *   0   8  magic "SCNTSK1\n"
 *   8   8  the time of the last rotation, Unix seconds (signed)
 *   16 144 four slots, next first: key id (4) ‖ AES-SIV-CMAC-256 key (32)
 *   160 32 SHA-256 of bytes 0-159
 * A file of another length, magic or check, with a key of zeros or two
 * equal ids, is corrupt. It must be a regular file of mode 0600 or
 * stricter (no group or other bits) owned by the reading user (or read
 * by root). It is replaced atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory, under an flock of
 * the directory so two key-exchange processes never rotate twice. */
#ifndef SOCKCLOCK_NTSKEYS_H
#define SOCKCLOCK_NTSKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTSKEYS_DEFAULT_PATH "/var/lib/sockclock/nts-keys"
#define NTSKEYS_DEFAULT_PERIOD (24 * 3600.0)
#define NTSKEYS_SLOTS 4
#define NTSKEYS_NEXT 0
#define NTSKEYS_CURRENT 1
#define NTS_MASTER_LEN 32
#define NTSKEYS_FILE_LEN 192

struct nts_master {
	uint32_t id;
	uint8_t key[NTS_MASTER_LEN];
};

struct nts_keys {
	struct nts_master slot[NTSKEYS_SLOTS];	/* next, current, older */
	int64_t rotated;			/* Unix seconds */
	/* The file it was read from, to notice a replacement. */
	uint64_t file_dev, file_ino;
	int64_t file_mtime_ns;
};

/* Pure: the file's bytes, and back (false with *why when corrupt). */
void ntskeys_encode(const struct nts_keys *ks, uint8_t out[NTSKEYS_FILE_LEN]);
bool ntskeys_decode(const uint8_t *buf, size_t len, struct nts_keys *ks,
		    const char **why);

/* Read the file: 0, or -1 with *why (missing, unreadable, corrupt,
 * wrong mode or owner). On failure *ks is all zeros: never used. */
int ntskeys_load(const char *path, struct nts_keys *ks, const char **why);

/* Load again only when the file was replaced or changed since *ks was
 * read (one stat). 1 reloaded, 0 unchanged, -1 with *why (and *ks
 * zeroed). */
int ntskeys_refresh(const char *path, struct nts_keys *ks, const char **why);

/* Create the file when missing; rotate when period_s has passed since
 * the last rotation (period_s <= 0: rotate now). One rotation per call.
 * A corrupt file is refused, never overwritten. 0 (with *ks the keys
 * now in the file), or -1 with *why. */
int ntskeys_update(const char *path, double period_s, struct nts_keys *ks,
		   const char **why);

/* The key new cookies are sealed under, and the kept key of an id:
 * NULL when there is none (never a key of zeros). */
const struct nts_master *ntskeys_current(const struct nts_keys *ks);
const struct nts_master *ntskeys_find(const struct nts_keys *ks, uint32_t id);

/* n random bytes from getrandom, drawn in batches; false on failure. */
bool ntskeys_random(void *buf, size_t n);

#endif
