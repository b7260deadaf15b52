/* Unit tests of common/ntskeys.c: the file layout both ways (every
 * corruption refused: length, magic, checksum, a key of zeros, two equal
 * ids), loading (missing, mode, not a regular file), creation on first
 * update with mode 0600, rotation (due or not, ids, keys moving down a
 * slot), refresh noticing a replaced file, and the random pool. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ntskeys.h"

static char dir[] = "/tmp/test_ntskeys.XXXXXX";
static char path[256];

static struct nts_keys sample(void)
{
	struct nts_keys ks = { .rotated = 1700000000 };
	for (int i = 0; i < NTSKEYS_SLOTS; i++) {
		ks.slot[i].id = 100u + (uint32_t)(NTSKEYS_SLOTS - i);
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
	uint8_t buf[NTSKEYS_FILE_LEN];
	const char *why = NULL;

	ntskeys_encode(&ks, buf);
	CHECK(!memcmp(buf, "SCNTSK1\n", 8), "magic first");
	CHECK(ntskeys_decode(buf, sizeof buf, &got, &why), "decodes: %s", why);
	CHECK(keys_equal(&ks, &got), "round trip");

	CHECK(!ntskeys_decode(buf, sizeof buf - 1, &got, &why), "short");
	CHECK(strstr(why, "length") != NULL, "short: %s", why);
	for (size_t i = 0; i < sizeof buf; i++) {
		buf[i] ^= 0x01;
		CHECK(!ntskeys_decode(buf, sizeof buf, &got, &why),
		      "byte %zu flipped is refused", i);
		CHECK(got.slot[1].id == 0, "refused: nothing left in *ks");
		buf[i] ^= 0x01;
	}
	/* Well checksummed but unsafe: re-encoded, so only the rule refuses. */
	struct nts_keys bad = ks;
	memset(bad.slot[2].key, 0, NTS_MASTER_LEN);
	ntskeys_encode(&bad, buf);
	CHECK(!ntskeys_decode(buf, sizeof buf, &got, &why), "zero key");
	CHECK(strstr(why, "zeros") != NULL, "zero key: %s", why);
	bad = ks;
	bad.slot[3].id = bad.slot[0].id;
	ntskeys_encode(&bad, buf);
	CHECK(!ntskeys_decode(buf, sizeof buf, &got, &why), "equal ids");
}

static void test_find(void)
{
	struct nts_keys ks = sample(), none;
	memset(&none, 0, sizeof none);
	CHECK(ntskeys_current(&ks) == &ks.slot[1], "current is slot 1");
	for (int i = 0; i < NTSKEYS_SLOTS; i++)
		CHECK(ntskeys_find(&ks, ks.slot[i].id) == &ks.slot[i],
		      "find slot %d", i);
	CHECK(ntskeys_find(&ks, 999) == NULL, "unknown id");
	CHECK(ntskeys_current(&none) == NULL, "no keys: no current");
	CHECK(ntskeys_find(&none, 0) == NULL, "no keys: id 0 finds nothing");
}

static void test_load(void)
{
	struct nts_keys ks = sample(), got;
	uint8_t buf[NTSKEYS_FILE_LEN];
	const char *why = NULL;

	unlink(path);
	CHECK(ntskeys_load(path, &got, &why) == -1, "missing");
	CHECK_STR(why, "missing", "missing file");

	ntskeys_encode(&ks, buf);
	write_file(buf, sizeof buf, 0600);
	CHECK(ntskeys_load(path, &got, &why) == 0, "loads: %s", why);
	CHECK(keys_equal(&ks, &got), "loaded keys");

	write_file(buf, sizeof buf, 0640);
	CHECK(ntskeys_load(path, &got, &why) == -1, "mode 0640 refused");
	CHECK(strstr(why, "0600") != NULL, "mode: %s", why);

	uint8_t longer[NTSKEYS_FILE_LEN + 8];
	memcpy(longer, buf, sizeof buf);
	memset(longer + sizeof buf, 0, 8);
	write_file(longer, sizeof longer, 0600);
	CHECK(ntskeys_load(path, &got, &why) == -1, "trailing bytes refused");

	write_file(buf, 0, 0600);
	CHECK(ntskeys_load(path, &got, &why) == -1, "empty file refused");
	unlink(path);
	CHECK(ntskeys_load(dir, &got, &why) == -1, "a directory refused");
}

static void test_update(void)
{
	struct nts_keys a, b, c;
	const char *why = NULL;
	struct stat st;

	unlink(path);
	CHECK(ntskeys_update(path, 3600, &a, &why) == 0, "created: %s", why);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	      "created with mode 0600");
	CHECK(st.st_size == NTSKEYS_FILE_LEN, "file length");
	for (int i = 0; i < NTSKEYS_SLOTS; i++)
		for (int j = 0; j < i; j++)
			CHECK(memcmp(a.slot[i].key, a.slot[j].key,
				     NTS_MASTER_LEN) != 0,
			      "keys %d and %d differ", i, j);
	CHECK(a.slot[0].id == a.slot[1].id + 1, "next id = current + 1");

	CHECK(ntskeys_update(path, 3600, &b, &why) == 0, "not due: %s", why);
	CHECK(keys_equal(&a, &b), "not due: unchanged");

	CHECK(ntskeys_update(path, 0, &c, &why) == 0, "rotated: %s", why);
	CHECK(!memcmp(&c.slot[1], &a.slot[0], sizeof c.slot[1]),
	      "next became current");
	CHECK(!memcmp(&c.slot[3], &a.slot[2], sizeof c.slot[3]),
	      "oldest kept is the former previous");
	CHECK(ntskeys_find(&c, a.slot[3].id) == NULL, "oldest dropped");
	CHECK(c.slot[0].id == a.slot[0].id + 1, "new next id");
	CHECK(memcmp(c.slot[0].key, a.slot[0].key, NTS_MASTER_LEN) != 0,
	      "new next key drawn");

	/* refresh: unchanged costs nothing; a replaced file is read again. */
	CHECK(ntskeys_refresh(path, &c, &why) == 0, "refresh: unchanged");
	CHECK(ntskeys_update(path, 0, &b, &why) == 0, "rotated again");
	CHECK(ntskeys_refresh(path, &c, &why) == 1, "refresh: reloaded");
	CHECK(keys_equal(&b, &c), "refresh: the new keys");

	/* A corrupt file is refused, not overwritten. */
	write_file((const uint8_t *)"garbage", 7, 0600);
	CHECK(ntskeys_update(path, 0, &b, &why) == -1, "corrupt refused");
	CHECK(stat(path, &st) == 0 && st.st_size == 7, "corrupt file kept");
	CHECK(ntskeys_refresh(path, &c, &why) == -1, "refresh: corrupt");
	CHECK(ntskeys_current(&c) == NULL, "refresh failed: no key left");
	unlink(path);
}

static void test_random(void)
{
	uint8_t a[700], b[700];
	CHECK(ntskeys_random(a, sizeof a) && ntskeys_random(b, sizeof b),
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
	test_update();
	test_random();
	rmdir(dir);
	return check_summary();
}
