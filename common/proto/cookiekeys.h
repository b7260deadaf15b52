/* cookiekeys: the NTS cookie master keys (RFC 8915 §6) and their file,
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
 * The file (CKEYS_FILE_LEN = 192 bytes, integers big-endian):
 *   0   8  magic "SCNTSK1\n"
 *   8   8  the time of the last rotation, Unix seconds (signed)
 *   16 144 four slots, next first: key id (4) ‖ AES-SIV-CMAC-256 key (32)
 *   160 32 SHA-256 of bytes 0-159
 * A file of another length, magic or check, with a key of zeros or two
 * equal ids, is corrupt. It must be a regular file (not a symbolic
 * link) with no bits for others and no group write (0600 or 0640), and
 * either owned by the reading user or, for a reader that is not its
 * owner (sntp-udp as another user than nts-ke-tcp), group-readable with
 * its group one of the reader's groups; root reads any. nts-ke-tcp
 * creates it mode 0640 with the process's group (or the directory's,
 * when the directory is setgid). It is replaced atomically: a temporary
 * file in the same directory, fsync, rename, fsync of the directory,
 * under an flock of the directory so two key-exchange processes never
 * rotate twice. The lock is only taken when the file is missing or due,
 * and never waited on past a deadline: a held lock (another process, a
 * slow disk) postpones a rotation, it does not stall a key exchange. */
#ifndef SOCKCLOCK_COOKIEKEYS_H
#define SOCKCLOCK_COOKIEKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CKEYS_DEFAULT_PATH "/var/lib/sockclock/nts-keys"
#define CKEYS_DEFAULT_PERIOD (24 * 3600.0)
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

/* Pure: the file's bytes, and back (false with *why when corrupt). */
void ckeys_encode(const struct nts_keys *ks, uint8_t out[CKEYS_FILE_LEN]);
bool ckeys_decode(const uint8_t *buf, size_t len, struct nts_keys *ks,
		    const char **why);

/* Pure: whether keys last rotated at rotated (Unix seconds) are due at
 * now: period_s <= 0, period_s passed, or a stamp in the future (written
 * while the clock was wrong and ahead: waiting for it would stop the
 * rotation until that date). */
bool ckeys_due(int64_t rotated, int64_t now, double period_s);

/* Pure: NULL when a reader may use a file of this mode and owner, else
 * why not. mine: the reader owns it; my_group: its group is one of the
 * reader's groups; root: the reader is root. */
const char *ckeys_access_why(mode_t mode, bool mine, bool my_group,
			       bool root);

/* Read the file: 0, or -1 with *why (missing, unreadable, corrupt,
 * wrong mode or owner). On failure *ks is all zeros: never used. */
int ckeys_load(const char *path, struct nts_keys *ks, const char **why);

/* Load again only when the file was replaced or changed since *ks was
 * read (one stat). 1 reloaded, 0 unchanged, -1 with *why (and *ks
 * zeroed). */
int ckeys_refresh(const char *path, struct nts_keys *ks, const char **why);

/* Create the file when missing; rotate when due (ckeys_due; period_s
 * <= 0: rotate now). One rotation per call. A corrupt file is refused,
 * never overwritten. The directory's lock is taken only to create or
 * rotate, tried until lock_by_ms (monotonic, clk_mono_ms) and no later.
 * 0 with *ks the keys now in the file; 1 when the lock was not had in
 * time but the file's keys are valid: *ks those keys (the rotation
 * waits for the next call), *why says so; -1 with *why (and *ks
 * zeroed), the lock not had and no valid keys among them. */
int ckeys_update(const char *path, double period_s, int64_t lock_by_ms,
		   struct nts_keys *ks, const char **why);

/* The key new cookies are sealed under, and the kept key of an id:
 * NULL when there is none (never a key of zeros). */
const struct nts_master *ckeys_current(const struct nts_keys *ks);
const struct nts_master *ckeys_find(const struct nts_keys *ks, uint32_t id);

/* n random bytes from getrandom, drawn in batches; false on failure. */
bool ckeys_random(void *buf, size_t n);

#endif
