/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/masterkey.c and common/sys/masterkeyfile.c:
 * HKDF-SHA256 through our Nettle call against RFC 5869's test vectors
 * (A.1-A.3); the derivation is that HKDF with the documented salt and
 * info; the period is floor(t / P) from Unix 0; the key id is 16 bits
 * of the fingerprint and the period's low 16; the window (next,
 * current, two before) opens a cookie of the current period from one
 * period behind to two ahead, and nothing else; the fingerprint is
 * SHA-256 of the label and the secret; the master file: exactly 32
 * bytes, mode 0600 or 0400, no link, made once with O_EXCL. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "proto/ntscookie.h"
#include "sys/masterkeyfile.h"

static char dir[] = "/tmp/test_masterkey.XXXXXX";
static char path[256];

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void test_rfc5869(void)
{
	static const struct {
		const char *ikm, *salt, *info, *okm;
	} v[] = {
		/* A.1: basic. */
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
		  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4"
		  "c5bf34007208d5b887185865" },
		/* A.2: longer inputs and outputs. */
		{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d"
		  "1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b"
		  "3c3d3e3f404142434445464748494a4b4c4d4e4f",
		  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d"
		  "7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b"
		  "9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccd"
		  "cecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaeb"
		  "ecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19af"
		  "a97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9"
		  "aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87" },
		/* A.3: no salt, no info. */
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
		  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c73"
		  "8d2d9d201395faa4b61a96c8" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t ikm[80], salt[80], info[80], want[82], got[82];
		size_t ni = unhex(v[i].ikm, ikm), ns = unhex(v[i].salt, salt);
		size_t nf = unhex(v[i].info, info), no = unhex(v[i].okm, want);
		memset(got, 0xee, sizeof got);
		mkey_hkdf_sha256(salt, ns, ikm, ni, info, nf, got, no);
		CHECK(memcmp(got, want, no) == 0, "RFC 5869 A.%zu", i + 1);
	}
}

static void secret_of(uint8_t s[MKEY_LEN], uint8_t first)
{
	for (int i = 0; i < MKEY_LEN; i++)
		s[i] = (uint8_t)(first + i);
}

static void test_period_and_id(void)
{
	CHECK_EQ(mkey_period(0, 86400), 0, "Unix 0");
	CHECK_EQ(mkey_period(86399, 86400), 0, "the first day's last second");
	CHECK_EQ(mkey_period(86400, 86400), 1, "the second day");
	CHECK_EQ(mkey_period(1700000000, 2), 850000000, "2 s periods");
	CHECK_EQ(mkey_period(1700000001, 2), 850000000, "2 s, odd second");
	CHECK_EQ(mkey_period(-1, 86400), -1, "before 1970: floor, not 0");
	CHECK_EQ(mkey_period(-86400, 86400), -1, "before 1970, a boundary");
	CHECK_EQ(mkey_period(-86401, 86400), -2, "before 1970, past it");

	uint8_t s[MKEY_LEN];
	struct mkey a, b;
	secret_of(s, 1);
	mkey_init(&a, s);
	char hex[MKEY_FPR_HEX];
	mkey_fpr_hex(&a, hex);
	/* python3: sha256(b"sockclock NTS master key fingerprint" +
	 * bytes(range(1, 33))).hexdigest()[:16] */
	CHECK_STR(hex, "7712805cf5f126d1", "fingerprint");
	CHECK_EQ(mkey_id(&a, 0x12345), 0x77120000u | 0x2345, "id: fpr, period");
	CHECK_EQ(mkey_id(&a, -1), 0x7712ffffu, "id of a negative period");
	CHECK(mkey_id(&a, 5) != mkey_id(&a, 6), "periods: other ids");
	secret_of(s, 2);
	mkey_init(&b, s);
	CHECK(!mkey_ids_clash(&a, &b), "two secrets: other ids");
	CHECK(mkey_id(&a, 7) != mkey_id(&b, 7), "one period, two secrets");
	CHECK(mkey_ids_clash(&a, &a), "one secret clashes with itself");
	struct mkey c = b;
	c.fpr[0] = a.fpr[0];
	c.fpr[1] = a.fpr[1];
	CHECK(mkey_ids_clash(&a, &c), "16 bits alike: a clash");

	struct mkey_set set = { .m = { a, b }, .n = 2 };
	char text[256];
	char want[256];
	char hb[MKEY_FPR_HEX];
	mkey_fpr_hex(&b, hb);
	snprintf(want, sizeof want, "nts-master-key-fingerprint: 7712805cf5f126d1\n"
				    "nts-master-key-fingerprint-old: %s\n", hb);
	size_t n = mkey_set_describe(&set, text, sizeof text);
	text[n] = 0;
	CHECK_STR(text, want, "--stats lines");
}

static void test_derive(void)
{
	uint8_t s[MKEY_LEN], info[sizeof MKEY_INFO - 1 + 16] = { 0 };
	struct mkey a, b;
	struct nts_master k, k2;
	secret_of(s, 1);
	mkey_init(&a, s);
	secret_of(s, 2);
	mkey_init(&b, s);

	/* The documented formula, by hand: HKDF(salt, secret, info ‖ P ‖ n). */
	uint8_t want[32];
	memcpy(info, MKEY_INFO, sizeof MKEY_INFO - 1);
	info[sizeof MKEY_INFO - 1 + 5] = 0x01; /* P = 86400 = 0x015180 */
	info[sizeof MKEY_INFO - 1 + 6] = 0x51;
	info[sizeof MKEY_INFO - 1 + 7] = 0x80;
	info[sizeof info - 1] = 42;	/* n = 42 */
	secret_of(s, 1);
	mkey_hkdf_sha256((const uint8_t *)MKEY_SALT, sizeof MKEY_SALT - 1, s,
			 MKEY_LEN, info, sizeof info, want, sizeof want);
	mkey_derive(&a, 86400, 42, &k);
	CHECK(memcmp(k.key, want, 32) == 0, "HKDF(salt, secret, info P n)");
	CHECK_EQ(k.id, mkey_id(&a, 42), "its id");

	mkey_derive(&a, 86400, 42, &k2);
	CHECK(memcmp(&k, &k2, sizeof k) == 0, "deterministic (every host)");
	mkey_derive(&a, 86400, 43, &k2);
	CHECK(memcmp(k.key, k2.key, 32) != 0, "another period, another key");
	mkey_derive(&a, 3600, 42, &k2);
	CHECK(memcmp(k.key, k2.key, 32) != 0, "another P, another key");
	mkey_derive(&b, 86400, 42, &k2);
	CHECK(memcmp(k.key, k2.key, 32) != 0, "another secret, another key");
	mkey_derive(&a, 86400, 42 + 65536, &k2);
	CHECK(k.id == k2.id && memcmp(k.key, k2.key, 32) != 0,
	      "16 bits of period wrap in the id, never in the key");
}

/* A cookie sealed at period n opens at m's window, or not. */
static bool opens(const struct mkey *seal, int64_t n, const struct mkey *open,
		  int64_t m)
{
	struct nts_keys at, win;
	uint8_t nonce[16] = { 1 }, c2s[32] = { 2 }, s2c[32] = { 3 }, ck[100];
	uint8_t oc[32], os[32];
	mkey_window(seal, 2, n, &at);
	ntscookie_seal(ckeys_current(&at), nonce, c2s, s2c, ck);
	mkey_window(open, 2, m, &win);
	return ntscookie_open(&win, ck, sizeof ck, oc, os) &&
	       memcmp(oc, c2s, 32) == 0 && memcmp(os, s2c, 32) == 0;
}

static void test_window(void)
{
	uint8_t s[MKEY_LEN];
	struct mkey a, b;
	struct nts_keys ks;
	secret_of(s, 1);
	mkey_init(&a, s);
	secret_of(s, 2);
	mkey_init(&b, s);

	mkey_window(&a, 2, 1000, &ks);
	CHECK_EQ(ks.rotated, 2000, "rotated: the period's start");
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		struct nts_master k;
		mkey_derive(&a, 2, 1000 + 1 - i, &k);
		CHECK(memcmp(&k, &ks.slot[i], sizeof k) == 0, "slot %d", i);
	}
	CHECK(ckeys_current(&ks) == &ks.slot[CKEYS_CURRENT], "current");

	CHECK(opens(&a, 1000, &a, 1000), "same period");
	CHECK(opens(&a, 1000, &a, 999), "a host one period behind: next");
	CHECK(opens(&a, 1000, &a, 1001), "one period later");
	CHECK(opens(&a, 1000, &a, 1002), "two periods later");
	CHECK(!opens(&a, 1000, &a, 1003), "three periods later: refused");
	CHECK(!opens(&a, 1000, &a, 998), "two periods behind: refused");
	CHECK(!opens(&a, 1000, &b, 1000), "another secret: refused");
	CHECK(!opens(&a, 1000, &a, 1000 + 65536), "a wrapped id: refused");
}

static void write_file(const char *p, const uint8_t *buf, size_t n,
		       mode_t mode)
{
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		abort();
	fchmod(fd, mode);
	close(fd);
}

static void test_file(void)
{
	uint8_t s[MKEY_LEN + 1];
	struct mkey m, want;
	const char *why = NULL;
	secret_of(s, 1);
	mkey_init(&want, s);

	unlink(path);
	CHECK(mkfile_load(path, &m, &why) == -1, "missing");
	CHECK_STR(why, "missing", "missing: why");
	write_file(path, s, MKEY_LEN, 0600);
	CHECK(mkfile_load(path, &m, &why) == 0, "32 bytes, 0600: %s", why);
	CHECK(memcmp(&m, &want, sizeof m) == 0, "loaded: the secret's");
	write_file(path, s, MKEY_LEN, 0400);
	CHECK(mkfile_load(path, &m, &why) == 0, "0400: %s", why);
	write_file(path, s, MKEY_LEN - 1, 0600);
	CHECK(mkfile_load(path, &m, &why) == -1, "31 bytes refused");
	CHECK(strstr(why, "too short") != NULL, "short: %s", why);
	write_file(path, s, MKEY_LEN + 1, 0600);
	CHECK(mkfile_load(path, &m, &why) == -1, "33 bytes refused");
	CHECK(strstr(why, "too long") != NULL, "long: %s", why);
	write_file(path, s, 0, 0600);
	CHECK(mkfile_load(path, &m, &why) == -1, "empty refused");
	uint8_t zeros[MKEY_LEN] = { 0 };
	write_file(path, zeros, MKEY_LEN, 0600);
	CHECK(mkfile_load(path, &m, &why) == -1, "zeros refused");
	static const mode_t bad[] = { 0640, 0604, 0660, 0644, 0440, 0610 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(path, s, MKEY_LEN, bad[i]);
		CHECK(mkfile_load(path, &m, &why) == -1, "mode %o refused",
		      (unsigned)bad[i]);
		CHECK(why && strstr(why, "group or others"), "mode %o: %s",
		      (unsigned)bad[i], why);
		CHECK(memcmp(&m, zeros, sizeof zeros) == 0, "refused: zeroed");
	}
	write_file(path, s, MKEY_LEN, 0600);
	char link[sizeof path + 8];
	snprintf(link, sizeof link, "%s.link", path);
	CHECK(symlink(path, link) == 0, "symlink");
	CHECK(mkfile_load(link, &m, &why) == -1, "a symlink refused");
	CHECK(strstr(why, "symbolic link") != NULL, "symlink: %s", why);
	CHECK(mkfile_load(dir, &m, &why) == -1, "a directory refused");

	CHECK(mkfile_access_why(S_IFREG | 0600, false, false) != NULL,
	      "another user's refused");
	CHECK(mkfile_access_why(S_IFREG | 0600, false, true) == NULL,
	      "root reads any 0600");
	CHECK(mkfile_access_why(S_IFREG | 0640, true, true) != NULL,
	      "root too refuses 0640");

	/* NEW,OLD */
	char other[sizeof path + 8], list[2 * sizeof path + 16], which[600];
	struct mkey_set set;
	snprintf(other, sizeof other, "%s.old", path);
	secret_of(s, 2);
	write_file(other, s, MKEY_LEN, 0600);
	snprintf(list, sizeof list, "%s,%s", path, other);
	CHECK(mkfile_load_set(list, &set, which, sizeof which, &why) == 0,
	      "NEW,OLD: %s", why);
	CHECK(set.n == 2 && memcmp(&set.m[0], &want, sizeof want) == 0,
	      "NEW first");
	snprintf(list, sizeof list, "%s,%s", path, path);
	CHECK(mkfile_load_set(list, &set, which, sizeof which, &why) == -1,
	      "NEW,NEW refused");
	snprintf(list, sizeof list, "%s,%s.none", path, path);
	CHECK(mkfile_load_set(list, &set, which, sizeof which, &why) == -1,
	      "OLD missing refused");
	CHECK(strstr(which, ".none") != NULL, "names OLD: %s", which);
	CHECK(mkfile_list_ok("a") && mkfile_list_ok("a,b"), "lists");
	CHECK(!mkfile_list_ok("") && !mkfile_list_ok(",b") &&
		      !mkfile_list_ok("a,") && !mkfile_list_ok("a,b,c"),
	      "bad lists");

	/* --make-master-key */
	char made[sizeof path + 8];
	struct stat st;
	snprintf(made, sizeof made, "%s.new", path);
	unlink(made);
	umask(0);
	CHECK(mkfile_make(made, &why) == 0, "made: %s", why);
	CHECK(stat(made, &st) == 0 && (st.st_mode & 07777) == 0600 &&
		      st.st_size == MKEY_LEN,
	      "mode 0600 whatever the umask, 32 bytes");
	CHECK(mkfile_load(made, &m, &why) == 0, "loads: %s", why);
	CHECK(mkfile_make(made, &why) == -1, "never overwritten");
	CHECK(strstr(why, "exists") != NULL, "exists: %s", why);
	CHECK(mkfile_make(link, &why) == -1, "a link in its place refused");
	unlink(link);
	symlink("/nonexistent-target", link);
	CHECK(mkfile_make(link, &why) == -1, "a dangling link not followed");
	unlink(link);
	unlink(made);
	unlink(other);
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/master", dir);
	test_rfc5869();
	test_period_and_id();
	test_derive();
	test_window();
	test_file();
	rmdir(dir);
	return check_summary();
}
