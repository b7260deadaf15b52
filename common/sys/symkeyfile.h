/* SPDX-License-Identifier: ISC */
/* symkeyfile: read the symmetric key file (proto/symkey.h), and read it
 * again when it changes.
 *
 * The file must be a regular file (not a symbolic link), with no bits
 * for others and no group write (0600 or 0640), readable by this
 * process as its owner, through its group, or as root: the rule of the
 * NTS key file (sys/cookiekeyfile.h, ckfile_access_why). */
#ifndef SOCKCLOCK_SYMKEYFILE_H
#define SOCKCLOCK_SYMKEYFILE_H

#include <stddef.h>

#include "../proto/symkey.h"

#define SKFILE_DEFAULT_PATH "/etc/sockclock/ntp.keys"

/* Read and parse the file: 0, or -1 with why (the line, when it is the
 * text) and *set empty. */
int skfile_load(const char *path, struct skey_set *set, char *why,
		size_t why_cap);

/* Load again only when the file is another one or has changed (device,
 * inode, modification time, size: one stat). 1 reloaded, 0 unchanged,
 * -1 with why (and *set empty). */
int skfile_refresh(const char *path, struct skey_set *set, char *why,
		   size_t why_cap);

#endif
