/* SPDX-License-Identifier: ISC */
/* masterkeyfile: the NTS master secret's file (--nts-master-key), made
 * by nts-ke-tcp --make-master-key and read by nts-ke-tcp and sntp-udp
 * at start; never written during operation. The derivation is
 * proto/masterkey.h.
 *
 * The file is exactly MKEY_LEN = 32 bytes, nothing else. It must be a
 * regular file (not a symbolic link), with no bits for its group or
 * others (0600 or 0400: each program gets its own copy, from
 * configuration management or systemd's LoadCredential=), owned by the
 * reading user (root reads any). Anything else is refused with why. */
#ifndef SOCKCLOCK_MASTERKEYFILE_H
#define SOCKCLOCK_MASTERKEYFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../proto/masterkey.h"

/* NULL when a reader may use a file of this mode and owner, else why
 * not. (No I/O: unit-tested.) */
const char *mkfile_access_why(mode_t mode, bool mine, bool root);

/* Read one file: 0 with *m ready, or -1 with *why (and *m zeroed). */
int mkfile_load(const char *path, struct mkey *m, const char **why);

/* Read "NEW" or "NEW,OLD": 0, or -1 with *why naming the file in
 * which[] (a buffer of the caller's, for the message). */
int mkfile_load_set(const char *list, struct mkey_set *s, char *which,
		    size_t cap, const char **why);

/* Whether list is one or two non-empty names, comma-separated. */
bool mkfile_list_ok(const char *list);

/* --make-master-key: 32 bytes from getrandom into a new file of mode
 * 0600; an existing file (or link) is never overwritten. 0, or -1 with
 * *why. */
int mkfile_make(const char *path, const char **why);

#endif
