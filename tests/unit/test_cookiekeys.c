/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/cookiekeys.c: the file layout both ways (every
 * corruption refused: length, magic, checksum, a key of zeros, two equal
 * ids), loading (missing, mode, not a regular file), creation on first
 * update with mode 0600, rotation (due or not, ids, keys moving down a
 * slot), refresh noticing a replaced file, and the random pool. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sys/cookiekeyfile.h"

static char dir[] = "/tmp/test_cookiekeys.XXXXXX";
static char path[256];

static struct nts_keys sample(void)
{
	struct nts_keys ks = { .rotated = 1700000000 };
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		ks.slot[i].id = 100u + (uint32_t)(CKEYS_SLOTS - i);
		memset(ks.slot[i].key, 0x11 * (i + 1), NTS_MASTER_LEN);
	}
	return ks;
}

static bool keys_equal(const struct nts_keys *a, const struct nts_keys *b)
{
	return a->rotated == b->rotated &&
	       !memcmp(a->slot, b->slot, sizeof a->slot);
}

static void write_file(const uint8_t *buf, size_t n, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		abort();
	fchmod(fd, mode);
	close(fd);
}

static void test_codec(void)
{
	struct nts_keys ks = sample(), got;
	uint8_t buf[CKEYS_FILE_LEN];
	const char *why = NULL;

	ckeys_encode(&ks, buf);
	CHECK(!memcmp(buf, "SCNTSK1\n", 8), "magic first");
	CHECK(ckeys_decode(buf, sizeof buf, &got, &why), "decodes: %s", why);
	CHECK(keys_equal(&ks, &got), "round trip");

	CHECK(!ckeys_decode(buf, sizeof buf - 1, &got, &why), "short");
	CHECK(strstr(why, "length") != NULL, "short: %s", why);
	for (size_t i = 0; i < sizeof buf; i++) {
		buf[i] ^= 0x01;
		CHECK(!ckeys_decode(buf, sizeof buf, &got, &why),
		      "byte %zu flipped is refused", i);
		CHECK(got.slot[1].id == 0, "refused: nothing left in *ks");
		buf[i] ^= 0x01;
	}
	/* Well checksummed but unsafe: re-encoded, so only the rule refuses. */
	struct nts_keys bad = ks;
	memset(bad.slot[2].key, 0, NTS_MASTER_LEN);
	ckeys_encode(&bad, buf);
	CHECK(!ckeys_decode(buf, sizeof buf, &got, &why), "zero key");
	CHECK(strstr(why, "zeros") != NULL, "zero key: %s", why);
	bad = ks;
	bad.slot[3].id = bad.slot[0].id;
	ckeys_encode(&bad, buf);
	CHECK(!ckeys_decode(buf, sizeof buf, &got, &why), "equal ids");
}

static void test_find(void)
{
	struct nts_keys ks = sample(), none;
	memset(&none, 0, sizeof none);
	CHECK(ckeys_current(&ks) == &ks.slot[1], "current is slot 1");
	for (int i = 0; i < CKEYS_SLOTS; i++)
		CHECK(ckeys_find(&ks, ks.slot[i].id) == &ks.slot[i],
		      "find slot %d", i);
	CHECK(ckeys_find(&ks, 999) == NULL, "unknown id");
	CHECK(ckeys_current(&none) == NULL, "no keys: no current");
	CHECK(ckeys_find(&none, 0) == NULL, "no keys: id 0 finds nothing");
}

static void test_load(void)
{
	struct nts_keys ks = sample(), got;
	uint8_t buf[CKEYS_FILE_LEN];
	const char *why = NULL;

	unlink(path);
	CHECK(ckfile_load(path, &got, &why) == -1, "missing");
	CHECK_STR(why, "missing", "missing file");

	ckeys_encode(&ks, buf);
	write_file(buf, sizeof buf, 0600);
	CHECK(ckfile_load(path, &got, &why) == 0, "loads: %s", why);
	CHECK(keys_equal(&ks, &got), "loaded keys");

	write_file(buf, sizeof buf, 0640);
	CHECK(ckfile_load(path, &got, &why) == 0, "mode 0640 loads: %s", why);
	write_file(buf, sizeof buf, 0644);
	CHECK(ckfile_load(path, &got, &why) == -1, "mode 0644 refused");
	CHECK(strstr(why, "others") != NULL, "mode 0644: %s", why);
	write_file(buf, sizeof buf, 0660);
	CHECK(ckfile_load(path, &got, &why) == -1, "mode 0660 refused");
	CHECK(strstr(why, "group") != NULL, "mode 0660: %s", why);
	write_file(buf, sizeof buf, 0600);
	char link[sizeof path + 8];
	snprintf(link, sizeof link, "%s.link", path);
	CHECK(symlink(path, link) == 0, "symlink");
	CHECK(ckfile_load(link, &got, &why) == -1, "a symlink refused");
	CHECK(strstr(why, "symbolic link") != NULL, "symlink: %s", why);
	unlink(link);

	uint8_t longer[CKEYS_FILE_LEN + 8];
	memcpy(longer, buf, sizeof buf);
	memset(longer + sizeof buf, 0, 8);
	write_file(longer, sizeof longer, 0600);
	CHECK(ckfile_load(path, &got, &why) == -1, "trailing bytes refused");

	write_file(buf, 0, 0600);
	CHECK(ckfile_load(path, &got, &why) == -1, "empty file refused");
	unlink(path);
	CHECK(ckfile_load(dir, &got, &why) == -1, "a directory refused");
}

static void test_due(void)
{
	CHECK(!ckeys_due(1000, 1000, 60), "just rotated: not due");
	CHECK(!ckeys_due(1000, 1059, 60), "59 s of 60: not due");
	CHECK(ckeys_due(1000, 1060, 60), "60 s of 60: due");
	CHECK(ckeys_due(1000, 1000, 0), "period 0: due");
	/* A stamp from a clock that was ahead: due now, not in ten years. */
	CHECK(ckeys_due(1000 + 10 * 365 * 86400LL, 1000, 86400),
	      "a stamp in the future is due");
	CHECK(ckeys_due(1001, 1000, 86400), "one second ahead is due");
	CHECK(ckeys_due(INT64_MIN, INT64_MAX, 86400), "no overflow (past)");
	CHECK(ckeys_due(INT64_MAX, INT64_MIN, 86400), "no overflow (future)");
}

static void test_access(void)
{
	const mode_t f = S_IFREG;
	CHECK(ckfile_access_why(f | 0600, true, false, false) == NULL,
	      "0600, mine");
	CHECK(ckfile_access_why(f | 0640, true, false, false) == NULL,
	      "0640, mine");
	CHECK(ckfile_access_why(f | 0640, false, true, false) == NULL,
	      "0640, my group");
	CHECK(ckfile_access_why(f | 0400, true, false, false) == NULL,
	      "0400, mine");
	CHECK(ckfile_access_why(f | 0440, false, true, false) == NULL,
	      "0440, my group");
	CHECK(ckfile_access_why(f | 0640, false, false, false) != NULL,
	      "0640, not mine nor my group");
	CHECK(ckfile_access_why(f | 0600, false, true, false) != NULL,
	      "0600, my group only");
	CHECK(ckfile_access_why(f | 0600, false, false, true) == NULL,
	      "root reads any owner's");
	static const mode_t bad[] = { 0660, 0644, 0604, 0602, 0620, 0601 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(ckfile_access_why(f | bad[i], true, true, false) != NULL,
		      "mode %04o refused", (unsigned)bad[i]);
		CHECK(ckfile_access_why(f | bad[i], true, true, true) != NULL,
		      "mode %04o refused to root too", (unsigned)bad[i]);
	}
	CHECK(ckfile_access_why(S_IFDIR | 0700, true, false, false) != NULL,
	      "a directory");
}

/* A child holds the directory's lock (flock) until told to go. */
static void test_lock_held(void)
{
	struct nts_keys a, b;
	const char *why = NULL;
	int go[2], ready[2];
	char c = 0;

	unlink(path);
	CHECK(ckfile_update(path, 3600, INT64_MAX, &a, &why) == 0,
	      "created: %s", why);
	if (pipe(go) != 0 || pipe(ready) != 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1, "the child holds the lock");

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t by = (int64_t)t0.tv_sec * 1000 + t0.tv_nsec / 1000000 + 200;
	CHECK(ckfile_update(path, 3600, by, &b, &why) == 0,
	      "not due: no lock needed (%s)", why);
	CHECK(ckfile_update(path, 0, by, &b, &why) == 1,
	      "due, lock held: the keys as read");
	CHECK(keys_equal(&a, &b), "the keys as read, unrotated");
	CHECK(strstr(why, "lock") != NULL, "why: %s", why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Returned at all: it did not wait for the child, which waits for us. */
	CHECK(t1.tv_sec - t0.tv_sec < 60, "bounded");
	unlink(path);
	CHECK(ckfile_update(path, 3600, by, &b, &why) == -1,
	      "missing, lock held: refused");
	CHECK(ckeys_current(&b) == NULL, "no keys");

	CHECK(write(go[1], "g", 1) == 1, "release the child");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "the child");
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	CHECK(ckfile_update(path, 3600, INT64_MAX, &b, &why) == 0,
	      "lock free: created: %s", why);
	unlink(path);
}

static void test_update(void)
{
	struct nts_keys a, b, c;
	const char *why = NULL;
	struct stat st;

	unlink(path);
	CHECK(ckfile_update(path, 3600, INT64_MAX, &a, &why) == 0, "created: %s", why);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
	      "created with mode 0640");
	CHECK(st.st_size == CKEYS_FILE_LEN, "file length");
	for (int i = 0; i < CKEYS_SLOTS; i++)
		for (int j = 0; j < i; j++)
			CHECK(memcmp(a.slot[i].key, a.slot[j].key,
				     NTS_MASTER_LEN) != 0,
			      "keys %d and %d differ", i, j);
	CHECK(a.slot[0].id == a.slot[1].id + 1, "next id = current + 1");

	CHECK(ckfile_update(path, 3600, INT64_MAX, &b, &why) == 0, "not due: %s", why);
	CHECK(keys_equal(&a, &b), "not due: unchanged");

	CHECK(ckfile_update(path, 0, INT64_MAX, &c, &why) == 0, "rotated: %s", why);
	CHECK(!memcmp(&c.slot[1], &a.slot[0], sizeof c.slot[1]),
	      "next became current");
	CHECK(!memcmp(&c.slot[3], &a.slot[2], sizeof c.slot[3]),
	      "oldest kept is the former previous");
	CHECK(ckeys_find(&c, a.slot[3].id) == NULL, "oldest dropped");
	CHECK(c.slot[0].id == a.slot[0].id + 1, "new next id");
	CHECK(memcmp(c.slot[0].key, a.slot[0].key, NTS_MASTER_LEN) != 0,
	      "new next key drawn");

	/* refresh: unchanged costs nothing; a replaced file is read again. */
	CHECK(ckfile_refresh(path, &c, &why) == 0, "refresh: unchanged");
	CHECK(ckfile_update(path, 0, INT64_MAX, &b, &why) == 0, "rotated again");
	CHECK(ckfile_refresh(path, &c, &why) == 1, "refresh: reloaded");
	CHECK(keys_equal(&b, &c), "refresh: the new keys");

	/* A corrupt file is refused, not overwritten. */
	write_file((const uint8_t *)"garbage", 7, 0600);
	CHECK(ckfile_update(path, 0, INT64_MAX, &b, &why) == -1, "corrupt refused");
	CHECK(stat(path, &st) == 0 && st.st_size == 7, "corrupt file kept");
	CHECK(ckfile_refresh(path, &c, &why) == -1, "refresh: corrupt");
	CHECK(ckeys_current(&c) == NULL, "refresh failed: no key left");
	unlink(path);
}

static void test_random(void)
{
	uint8_t a[700], b[700];
	CHECK(ckfile_random(a, sizeof a) && ckfile_random(b, sizeof b),
	      "random");
	CHECK(memcmp(a, b, sizeof a) != 0, "two draws differ");
	CHECK(memcmp(a, a + 350, 350) != 0, "across a pool refill");
}

int main(void)
{
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/nts-keys", dir);
	test_codec();
	test_find();
	test_load();
	test_due();
	test_access();
	test_update();
	test_lock_held();
	test_random();
	rmdir(dir);
	return check_summary();
}
