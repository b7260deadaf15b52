/* SPDX-License-Identifier: ISC */
/* cookiekeys: the master keys' file on disk (rules in cookiekeyfile.h). */
#include "cookiekeyfile.h"
#include "fullio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *ckfile_access_why(mode_t mode, bool mine, bool my_group,
			       bool root)
{
	if (!S_ISREG(mode))
		return "not a regular file";
	if (mode & 007)
		return "open to others (want mode 0640 or 0600)";
	if (mode & 020)
		return "writable by its group (want mode 0640 or 0600)";
	if (root || mine)
		return NULL;
	if (my_group && (mode & 040))
		return NULL;
	return my_group ? "not readable by its group (want mode 0640)" :
			  "owned by another user and not of one of this "
			  "process's groups";
}

/* The effective group or a supplementary one. */
static bool in_my_groups(gid_t gid)
{
	gid_t list[256];
	if (gid == getegid())
		return true;
	int n = getgroups(sizeof list / sizeof list[0], list);
	for (int i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

const char *ckfile_stat_why(const struct stat *st)
{
	return ckfile_access_why(st->st_mode, st->st_uid == geteuid(),
				 in_my_groups(st->st_gid), geteuid() == 0);
}

/* *missing: the file does not exist (the only case update may fix). */
static int load(const char *path, struct nts_keys *ks, const char **why,
		bool *missing)
{
	uint8_t buf[CKEYS_FILE_LEN + 1];
	struct stat st;
	size_t len = 0;
	int rc = -1;

	memset(ks, 0, sizeof *ks);
	*missing = false;
	int fd = fio_open_key(path, &st, why);
	if (fd < 0) {
		*missing = errno == ENOENT;
		return -1;
	}
	*why = ckfile_stat_why(&st);
	if (*why)
		goto out;
	if (!fio_read_upto(fd, buf, sizeof buf, &len)) {
		*why = strerror(errno);
		goto out;
	}
	if (ckeys_decode(buf, len, ks, why)) {
		ks->file_dev = st.st_dev;
		ks->file_ino = st.st_ino;
		ks->file_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
				    st.st_mtim.tv_nsec;
		rc = 0;
	}
out:
	explicit_bzero(buf, sizeof buf);
	close(fd);
	return rc;
}

int ckfile_load(const char *path, struct nts_keys *ks, const char **why)
{
	bool missing;
	return load(path, ks, why, &missing);
}

int ckfile_refresh(const char *path, struct nts_keys *ks, const char **why)
{
	struct stat st;
	if (stat(path, &st) == 0 && ks->file_ino != 0 &&
	    (uint64_t)st.st_dev == ks->file_dev &&
	    (uint64_t)st.st_ino == ks->file_ino &&
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
		    ks->file_mtime_ns)
		return 0;
	return ckfile_load(path, ks, why) == 0 ? 1 : -1;
}

/* The random pool: one getrandom per 512 bytes asked for. */
bool ckfile_random(void *buf, size_t n)
{
	static uint8_t pool[512];
	static size_t left;
	uint8_t *out = buf;

	while (n > 0) {
		if (left == 0) {
			if (!fio_random(pool, sizeof pool))
				return false;
			left = sizeof pool;
		}
		size_t take = n < left ? n : left;
		uint8_t *from = pool + sizeof pool - left;
		memcpy(out, from, take);
		explicit_bzero(from, take); /* used once */
		out += take;
		n -= take;
		left -= take;
	}
	return true;
}


static bool draw_key(struct nts_master *m)
{
	do
		if (!ckfile_random(m->key, sizeof m->key))
			return false;
	while (ckeys_blank(m));
	return true;
}

static bool create(struct nts_keys *ks, int64_t now)
{
	uint32_t id;
	if (!ckfile_random(&id, sizeof id))
		return false;
	memset(ks, 0, sizeof *ks);
	ks->rotated = now;
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		ks->slot[i].id = id + (uint32_t)(CKEYS_SLOTS - 1 - i);
		if (!draw_key(&ks->slot[i]))
			return false;
	}
	return true;
}

static bool rotate(struct nts_keys *ks, int64_t now)
{
	struct nts_master fresh;
	if (!draw_key(&fresh))
		return false;
	ckeys_rotate(ks, now, fresh.key);
	explicit_bzero(&fresh, sizeof fresh);
	return true;
}


/* The new file beside the old one, made durable, then renamed over it. */
static int replace(const char *path, int dirfd, const struct nts_keys *ks,
		   const char **why)
{
	char tmp[4096];
	uint8_t buf[CKEYS_FILE_LEN];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		*why = "path too long";
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	ckeys_encode(ks, buf);
	/* 0640: sntp-udp may run as another user of the file's group (the
	 * process's, or the directory's when it is setgid). fchmod, so the
	 * umask has no say. */
	bool ok = fchmod(fd, 0640) == 0 && fio_write_all(fd, buf, sizeof buf) &&
		  fsync(fd) == 0;
	explicit_bzero(buf, sizeof buf);
	if (!ok) {
		*why = strerror(errno);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		*why = strerror(errno);
		unlink(tmp);
		return -1;
	}
	fsync(dirfd);
	return 0;
}

static int open_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = 0;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The same clock as clk_mono_ms (clock.c), without linking it. */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* flock(LOCK_EX), tried until by_ms: short sleeps between the tries, so
 * a held lock costs at most the caller's deadline, never more. */
static bool lock_by(int fd, int64_t by_ms)
{
	long sleep_ms = 2;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return false;
		int64_t left = by_ms - mono_ms();
		if (left <= 0)
			return false;
		long nap = left < sleep_ms ? (long)left : sleep_ms;
		struct timespec ts = { nap / 1000, nap % 1000 * 1000000L };
		nanosleep(&ts, NULL);
		if (sleep_ms < 50)
			sleep_ms *= 2;
	}
}

int ckfile_update(const char *path, double period_s, int64_t lock_by_ms,
		   struct nts_keys *ks, const char **why)
{
	/* Without the lock first: the file is only ever replaced whole (a
	 * rename), and most calls find nothing to do. */
	bool missing, change = false, ok = true;
	int rc = load(path, ks, why, &missing);
	if (rc != 0 && !missing)
		return -1; /* corrupt or refused: never overwritten */
	if (rc == 0 && !ckeys_due(ks->rotated, (int64_t)time(NULL), period_s))
		return 0;

	int dirfd = open_dir(path);
	if (dirfd < 0) {
		*why = strerror(errno);
		memset(ks, 0, sizeof *ks);
		return -1;
	}
	/* One process at a time decides whether to rotate. */
	if (!lock_by(dirfd, lock_by_ms)) {
		close(dirfd);
		if (rc == 0) {
			*why = "the key directory's lock is held by another "
			       "process: rotation postponed";
			return 1; /* *ks: the keys as read */
		}
		*why = "missing, and the key directory's lock is held by "
		       "another process";
		memset(ks, 0, sizeof *ks);
		return -1;
	}
	/* Again under the lock: another process may have just rotated. */
	int64_t now = (int64_t)time(NULL);
	rc = load(path, ks, why, &missing);
	if (rc != 0 && missing) {
		ok = create(ks, now);
		change = true;
	} else if (rc == 0 && ckeys_due(ks->rotated, now, period_s)) {
		ok = rotate(ks, now);
		change = true;
	} else if (rc != 0) {
		close(dirfd);
		return -1;
	}
	if (!ok) {
		*why = "getrandom failed";
		rc = -1;
	} else if (change) {
		rc = replace(path, dirfd, ks, why);
		if (rc == 0) /* its identity, for ckfile_refresh */
			rc = ckfile_load(path, ks, why);
	}
	if (rc != 0)
		explicit_bzero(ks, sizeof *ks);
	close(dirfd); /* and the lock */
	return rc;
}
