/* SPDX-License-Identifier: ISC */
/* masterkeyfile: the master secret's file on disk (rules in
 * masterkeyfile.h). */
#include "masterkeyfile.h"
#include "fullio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mkfile_access_why(mode_t mode, bool mine, bool root)
{
	if (!S_ISREG(mode))
		return "not a regular file";
	if (mode & 077)
		return "readable or writable by its group or others (want "
		       "mode 0600 or 0400)";
	if (!mine && !root)
		return "owned by another user";
	return NULL;
}

int mkfile_load(const char *path, struct mkey *m, const char **why)
{
	uint8_t buf[MKEY_LEN + 1];
	struct stat st;
	size_t len = 0;
	int rc = -1;

	memset(m, 0, sizeof *m);
	int fd = fio_open_key(path, &st, why);
	if (fd < 0)
		return -1;
	*why = mkfile_access_why(st.st_mode, st.st_uid == geteuid(),
				 geteuid() == 0);
	if (*why)
		goto out;
	if (!fio_read_upto(fd, buf, sizeof buf, &len)) {
		*why = strerror(errno);
		goto out;
	}
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= buf[i];
	if (len < MKEY_LEN)
		*why = "too short (want exactly 32 bytes: make one with "
		       "nts-ke-tcp --make-master-key)";
	else if (len > MKEY_LEN)
		*why = "too long (want exactly 32 bytes: make one with "
		       "nts-ke-tcp --make-master-key)";
	else if (acc == 0)
		*why = "all zeros (not a secret)";
	else {
		mkey_init(m, buf);
		rc = 0;
	}
out:
	explicit_bzero(buf, sizeof buf);
	close(fd);
	return rc;
}

bool mkfile_list_ok(const char *list)
{
	const char *comma = strchr(list, ',');
	if (!comma)
		return *list != 0;
	return comma > list && comma[1] && !strchr(comma + 1, ',');
}

int mkfile_load_set(const char *list, struct mkey_set *s, char *which,
		    size_t cap, const char **why)
{
	memset(s, 0, sizeof *s);
	const char *p = list;
	while (s->n < MKEY_SET_MAX && *p) {
		size_t n = strcspn(p, ",");
		snprintf(which, cap, "%.*s", (int)n, p);
		if (mkfile_load(which, &s->m[s->n], why) != 0) {
			explicit_bzero(s, sizeof *s);
			return -1;
		}
		s->n++;
		p += n + (p[n] == ',');
	}
	snprintf(which, cap, "%s", list);
	if (s->n == 2 && mkey_ids_clash(&s->m[0], &s->m[1])) {
		*why = memcmp(s->m[0].fpr, s->m[1].fpr, MKEY_FPR_LEN) == 0 ?
			       "NEW and OLD are the same secret" :
			       "NEW and OLD would give alike key ids (their "
			       "fingerprints start alike): make another NEW";
		explicit_bzero(s, sizeof *s);
		return -1;
	}
	return 0;
}

int mkfile_make(const char *path, const char **why)
{
	uint8_t buf[MKEY_LEN];
	uint8_t acc = 0;

	if (!fio_random(buf, sizeof buf)) {
		*why = "getrandom failed";
		return -1;
	}
	for (size_t i = 0; i < sizeof buf; i++)
		acc |= buf[i];
	if (acc == 0) { /* 2^-256: a broken generator, not luck */
		*why = "getrandom gave zeros";
		return -1;
	}
	/* O_EXCL with O_CREAT also refuses a symbolic link in its place. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		      0600);
	if (fd < 0) {
		*why = errno == EEXIST ? "exists (never overwritten)" :
					 strerror(errno);
		explicit_bzero(buf, sizeof buf);
		return -1;
	}
	/* fchmod: the umask has no say in 0600 (nor could it widen it). */
	bool ok = fchmod(fd, 0600) == 0 && fio_write_all(fd, buf, sizeof buf);
	ok = ok && fsync(fd) == 0;
	explicit_bzero(buf, sizeof buf);
	if (!ok) {
		*why = strerror(errno);
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd) == 0 ? 0 : (*why = strerror(errno), -1);
}
