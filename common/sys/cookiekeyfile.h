/* SPDX-License-Identifier: ISC */
/* cookiekeyfile: the NTS cookie master keys' file (--nts-keys), shared
 * by nts-ke-tcp (which creates and rotates it) and sntp-udp (which only
 * reads it); its bytes are proto/cookiekeys.h's.
 *
 * It must be a regular file (not a symbolic link) with no bits for
 * others and no group write (0600 or 0640), and either owned by the
 * reading user or, for a reader that is not its owner (sntp-udp as
 * another user than nts-ke-tcp), group-readable with its group one of
 * the reader's groups; root reads any. nts-ke-tcp creates it mode 0640
 * with the process's group (or the directory's, when the directory is
 * setgid). It is replaced atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory, under an flock of
 * the directory so two key-exchange processes never rotate twice. The
 * lock is only taken when the file is missing or due, and never waited
 * on past a deadline: a held lock (another process, a slow disk)
 * postpones a rotation, it does not stall a key exchange. */
#ifndef SOCKCLOCK_COOKIEKEYFILE_H
#define SOCKCLOCK_COOKIEKEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../proto/cookiekeys.h"

#define CKFILE_DEFAULT_PATH "/var/lib/sockclock/nts-keys"
#define CKFILE_DEFAULT_PERIOD (24 * 3600.0)

/* NULL when a reader may use a file of this mode and owner, else why
 * not. mine: the reader owns it; my_group: its group is one of the
 * reader's groups; root: the reader is root. (No I/O: unit-tested.) */
const char *ckfile_access_why(mode_t mode, bool mine, bool my_group,
			      bool root);

/* ckfile_access_why for the file of st, read by this process (its
 * user, its effective and supplementary groups). */
struct stat;
const char *ckfile_stat_why(const struct stat *st);

/* Read the file: 0, or -1 with *why (missing, unreadable, corrupt,
 * wrong mode or owner). On failure *ks is all zeros: never used. */
int ckfile_load(const char *path, struct nts_keys *ks, const char **why);

/* Load again only when the file was replaced or changed since *ks was
 * read (one stat). 1 reloaded, 0 unchanged, -1 with *why (and *ks
 * zeroed). */
int ckfile_refresh(const char *path, struct nts_keys *ks, const char **why);

/* Create the file when missing; rotate when due (ckeys_due; period_s
 * <= 0: rotate now). One rotation per call. A corrupt file is refused,
 * never overwritten. The directory's lock is taken only to create or
 * rotate, tried until lock_by_ms (monotonic, clk_mono_ms) and no later.
 * 0 with *ks the keys now in the file; 1 when the lock was not had in
 * time but the file's keys are valid: *ks those keys (the rotation
 * waits for the next call), *why says so; -1 with *why (and *ks
 * zeroed), the lock not had and no valid keys among them. */
int ckfile_update(const char *path, double period_s, int64_t lock_by_ms,
		  struct nts_keys *ks, const char **why);

/* n random bytes from getrandom, drawn in batches; false on failure. */
bool ckfile_random(void *buf, size_t n);

#endif
