/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/metrics.c and the Prometheus text of
 * statefmt.c: HELP and TYPE once per metric, the program label on every
 * sample, label values escaped, counters exact to 2^64 - 1, nothing
 * written when the text does not fit; nts-ke-tcp's layout and the key
 * view's fingerprint (the SHA-256 of the domain string and a key of
 * bytes 1..32, computed apart with python3's hashlib). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/keyprint.h"
#include "proto/metrics.h"
#include "proto/statefmt.h"

static void test_format(void)
{
	const struct mtr_sample s[] = {
		{ "sockclock_a_total", MTR_COUNTER, "A things.", NULL, NULL, 3, 0, NULL, NULL },
		{ "sockclock_d_total", MTR_COUNTER, "Dropped.", "reason", "x", 1, 0, NULL, NULL },
		{ "sockclock_d_total", MTR_COUNTER, "Dropped.", "reason", "q\"b\\n\n",
		  UINT64_MAX, 0, NULL, NULL },
		{ "sockclock_g", MTR_GAUGE, "A gauge.", NULL, NULL, 0, 0.25, NULL, NULL },
	};
	char buf[1024];
	size_t n = mtr_format("p\"x", s, 4, buf, sizeof buf);
	CHECK_STR(buf,
		  "# HELP sockclock_a_total A things.\n"
		  "# TYPE sockclock_a_total counter\n"
		  "sockclock_a_total{program=\"p\\\"x\"} 3\n"
		  "# HELP sockclock_d_total Dropped.\n"
		  "# TYPE sockclock_d_total counter\n"
		  "sockclock_d_total{program=\"p\\\"x\",reason=\"x\"} 1\n"
		  "sockclock_d_total{program=\"p\\\"x\",reason=\"q\\\"b\\\\n\\n\"} "
		  "18446744073709551615\n"
		  "# HELP sockclock_g A gauge.\n"
		  "# TYPE sockclock_g gauge\n"
		  "sockclock_g{program=\"p\\\"x\"} 0.25\n",
		  "the text");
	CHECK_EQ(n, strlen(buf), "its length");
	/* One byte short: nothing, never half. */
	char small[1024];
	CHECK_EQ(mtr_format("p\"x", s, 4, small, n), (size_t)0, "too small");
	CHECK_STR(small, "", "too small: empty");
	CHECK_EQ(mtr_format("p\"x", s, 4, small, n + 1), n, "just fits");
	CHECK_EQ(mtr_format("p", s, 0, small, 1), (size_t)0, "no samples");
	char e[4];
	CHECK(!mtr_escape("ab\"", e, sizeof e), "an escape that does not fit");
	CHECK(mtr_escape("a\"", e, sizeof e) && strcmp(e, "a\\\"") == 0, "fits");
}

static struct sfmt_image *fresh(const char *program)
{
	static const uint8_t key[RL_KEY_LEN] = { 7 };
	struct sfmt_image *m = calloc(1, sizeof *m);
	if (!m)
		abort();
	sfmt_init(m, program, key);
	return m;
}

static void test_ke(void)
{
	struct sfmt_image *m = fresh("nts-ke-tcp");
	m->counter[SFKE_EXCHANGES] = 5;
	m->counter[SFKE_COOKIES] = 40;
	m->counter[SFKE_REFUSED] = 3;
	m->counter[SFKE_REFUSED_ALPN] = 2;
	m->counter[SFKE_REFUSED_TIMEOUT] = 1;
	static char buf[16384];
	CHECK(sfmt_prometheus(m, NULL, 100, buf, sizeof buf) > 0, "fits");
	CHECK(strstr(buf, "sockclock_nts_ke_exchanges_total{program=\"nts-ke-tcp\"} 5\n"),
	      "exchanges: %s", buf);
	CHECK(strstr(buf, "sockclock_nts_cookies_issued_total{program=\"nts-ke-tcp\"} 40\n"),
	      "cookies");
	CHECK(strstr(buf, "sockclock_nts_ke_refused_total{program=\"nts-ke-tcp\","
			  "reason=\"alpn\"} 2\n"), "alpn");
	CHECK(strstr(buf, "reason=\"timeout\"} 1\n"), "timeout");
	CHECK(!strstr(buf, "sockclock_requests_"), "no datagram metrics");
	CHECK(!strstr(buf, "key_info"), "no key seen: no key metrics");
	size_t n = sfmt_format(m, NULL, buf, sizeof buf);
	CHECK(n > 0 && strstr(buf, "exchanges-completed: 5\n") &&
		      strstr(buf, "refused-alpn: 2\n") &&
		      strstr(buf, "exchanges-refused: 3\n") &&
		      !strstr(buf, "rate-limited"), "plain: %s", buf);
	free(m);
}

static void test_key(void)
{
	struct nts_master k = { .id = 0x01020304 };
	for (int i = 0; i < NTS_MASTER_LEN; i++)
		k.key[i] = (uint8_t)(i + 1);
	uint8_t fp[KPRINT_LEN];
	char hex[KPRINT_HEX];
	kprint_cookie_key(&k, fp);
	kprint_hex(fp, hex);
	/* python3 -c 'import hashlib; print(hashlib.sha256(b"sockclock NTS
	 * cookie key fingerprint v1\0" + bytes(range(1, 33))).hexdigest()[:16])' */
	CHECK_STR(hex, "663bdcc95015531c", "the fingerprint");

	struct sfmt_image *m = fresh("sntp-udp");
	struct sfmt_keyinfo got;
	CHECK(!sfmt_key_get(m, &got), "none yet");
	sfmt_key_put(m, k.id, 1000, fp);
	CHECK(sfmt_key_get(m, &got) && got.id == k.id && got.current_since == 1000 &&
		      memcmp(got.fingerprint, fp, KPRINT_LEN) == 0, "read back");
	m->key.seq++; /* a writer in the middle: the next one leaves it */
	sfmt_key_put(m, 9, 2000, fp);
	CHECK(!sfmt_key_get(m, &got), "busy: not read");
	m->key.seq++;
	CHECK(sfmt_key_get(m, &got) && got.id == k.id, "the busy write was left");
	static char buf[16384];
	static const char *const rules[] = { "length", NULL };
	m->counter[SFMT_NTS_NAK] = 6;
	m->counter[SFMT_DROP_RULE] = 2;
	CHECK(sfmt_prometheus(m, rules, 1500, buf, sizeof buf) > 0, "fits");
	CHECK(strstr(buf, "sockclock_nts_key_info{program=\"sntp-udp\","
			  "fingerprint=\"663bdcc95015531c\"} 1\n"), "info: %s", buf);
	CHECK(strstr(buf, "sockclock_nts_key_age_seconds{program=\"sntp-udp\"} 500\n"),
	      "age");
	CHECK(strstr(buf, "sockclock_nts_naks_total{program=\"sntp-udp\"} 6\n"), "naks");
	CHECK(strstr(buf, "sockclock_requests_dropped_total{program=\"sntp-udp\","
			  "reason=\"length\"} 2\n"), "a rule");
	/* HELP once per metric, however many samples. */
	const char *p = buf;
	int helps = 0;
	while ((p = strstr(p, "# HELP sockclock_requests_dropped_total "))) {
		helps++;
		p++;
	}
	CHECK_EQ(helps, 1, "one HELP for the dropped");
	size_t n = sfmt_format(m, rules, buf, sizeof buf);
	CHECK(n > 0 && strstr(buf, "nts-naks-sent: 6\n") &&
		      strstr(buf, "nts-key-fingerprint: 663bdcc95015531c\n") &&
		      strstr(buf, "nts-key-id: 01020304\n"), "plain: %s", buf);
	free(m);
	m = fresh("daytime-udp");
	sfmt_prometheus(m, rules, 0, buf, sizeof buf);
	CHECK(!strstr(buf, "nts"), "daytime-udp: no NTS metrics");
	free(m);
}

/* The master secrets' record: none, NEW, then NEW and OLD, each in
 * both texts; a busy record and one of more secrets than a set holds
 * read as none. */
static void test_master(void)
{
	static const uint8_t fp[SFMT_MASTERS][8] = {
		{ 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
		{ 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 },
	};
	static char buf[16384];
	struct sfmt_image *m = fresh("nts-ke-tcp");
	struct sfmt_masterinfo got;
	CHECK(!sfmt_master_get(m, &got), "none yet");
	sfmt_prometheus(m, NULL, 0, buf, sizeof buf);
	CHECK(!strstr(buf, "master"), "none: no metric: %s", buf);
	sfmt_master_put(m, 1, fp);
	CHECK(sfmt_master_get(m, &got) && got.n == 1 &&
		      memcmp(got.fingerprint[0], fp[0], 8) == 0, "NEW read back");
	CHECK(sfmt_prometheus(m, NULL, 0, buf, sizeof buf) > 0, "fits");
	CHECK(strstr(buf, "# TYPE sockclock_nts_master_key_info gauge\n"
			  "sockclock_nts_master_key_info{program=\"nts-ke-tcp\","
			  "fingerprint=\"0123456789abcdef\",role=\"new\"} 1\n"),
	      "NEW: %s", buf);
	CHECK(!strstr(buf, "role=\"old\""), "no OLD");
	sfmt_format(m, NULL, buf, sizeof buf);
	CHECK(strstr(buf, "nts-master-key-fingerprint: 0123456789abcdef\n") &&
		      !strstr(buf, "-old"), "plain NEW: %s", buf);

	sfmt_master_put(m, 2, fp);
	sfmt_prometheus(m, NULL, 0, buf, sizeof buf);
	CHECK(strstr(buf, "fingerprint=\"0123456789abcdef\",role=\"new\"} 1\n"
			  "sockclock_nts_master_key_info{program=\"nts-ke-tcp\","
			  "fingerprint=\"fedcba9876543210\",role=\"old\"} 1\n"),
	      "NEW and OLD: %s", buf);
	const char *p = buf;
	int helps = 0;
	while ((p = strstr(p, "# HELP sockclock_nts_master_key_info "))) {
		helps++;
		p++;
	}
	CHECK_EQ(helps, 1, "one HELP for both");
	sfmt_format(m, NULL, buf, sizeof buf);
	CHECK(strstr(buf, "nts-master-key-fingerprint: 0123456789abcdef\n"
			  "nts-master-key-fingerprint-old: fedcba9876543210\n"),
	      "plain NEW and OLD: %s", buf);

	m->master.seq++; /* a writer in the middle: the next one leaves it */
	sfmt_master_put(m, 0, fp);
	CHECK(!sfmt_master_get(m, &got), "busy: not read");
	m->master.seq++;
	CHECK(sfmt_master_get(m, &got) && got.n == 2, "the busy write was left");
	sfmt_master_put(m, 0, fp);
	CHECK(!sfmt_master_get(m, &got), "cleared (the key file's mode)");
	sfmt_format(m, NULL, buf, sizeof buf);
	CHECK(!strstr(buf, "master"), "cleared: no line: %s", buf);
	m->master.n = 3; /* a file's stray bytes */
	CHECK(!sfmt_master_get(m, &got), "more than a set: none");
	sfmt_prometheus(m, NULL, 0, buf, sizeof buf);
	CHECK(!strstr(buf, "master"), "stray: no metric");
	free(m);
}

int main(void)
{
	test_format();
	test_ke();
	test_key();
	test_master();
	return check_summary();
}
