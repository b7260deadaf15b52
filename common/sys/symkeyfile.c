/* SPDX-License-Identifier: ISC */
/* symkeyfile: see symkeyfile.h. */
#include "symkeyfile.h"
#include "fullio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cookiekeyfile.h"

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int skfile_load(const char *path, struct skey_set *set, char *why,
		size_t why_cap)
{
	/* The text is read whole, then parsed: a file being rewritten in
	 * place is caught by the next refresh (its size or time moves). */
	static char text[SKEY_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	int rc = -1;

	skey_clear(set);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, why_cap, "%s", errno == ENOENT ? "missing" :
					     errno == ELOOP ?
							  "a symbolic link (refused)" :
							  strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, why_cap, "%s", strerror(errno));
		goto out;
	}
	const char *access = ckfile_stat_why(&st);
	if (access) {
		snprintf(why, why_cap, "%s", access);
		goto out;
	}
	if (!fio_read_upto(fd, text, sizeof text, &len)) {
		snprintf(why, why_cap, "%s", strerror(errno));
		goto out;
	}
	if (len > SKEY_FILE_MAX) {
		snprintf(why, why_cap, "over %d bytes", SKEY_FILE_MAX);
		goto out;
	}
	if (skey_parse(text, len, set, why, why_cap)) {
		set->file_dev = st.st_dev;
		set->file_ino = st.st_ino;
		set->file_mtime_ns = mtime_ns(&st);
		set->file_size = st.st_size;
		rc = 0;
	}
out:
	explicit_bzero(text, len < sizeof text ? len + 1 : sizeof text);
	close(fd);
	return rc;
}

int skfile_refresh(const char *path, struct skey_set *set, char *why,
		   size_t why_cap)
{
	struct stat st;
	if (stat(path, &st) == 0 && set->file_ino != 0 &&
	    (uint64_t)st.st_dev == set->file_dev &&
	    (uint64_t)st.st_ino == set->file_ino &&
	    mtime_ns(&st) == set->file_mtime_ns && st.st_size == set->file_size)
		return 0;
	return skfile_load(path, set, why, why_cap) == 0 ? 1 : -1;
}
