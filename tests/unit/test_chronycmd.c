/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/chronycmd.c against bytes chronyd 4.3 exchanged
 * with chronyc 4.3 (captured with dumpcap on loopback in a network
 * namespace, `chronyc -h 127.0.0.1 -p 323 -n tracking`): our request
 * is chronyc's byte for byte, and the replies decode to what chronyc
 * printed for them. Then each check of the reply, one byte wrong. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "chrony_replies.h"
#include "proto/chronycmd.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

/* chronyc's request, sequence 0xc31ad0a6. */
static const char req_hex[] =
	"0601000000210000c31ad0a60000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000";

static void fmt(char *b, size_t n, const char *f, double v)
{
	snprintf(b, n, f, v);
}

static void test_request(void)
{
	uint8_t want[CC_REQUEST_LEN], got[CC_REQUEST_LEN];
	unhex(req_hex, want, sizeof want);
	cc_tracking_request(got, 0xc31ad0a6u);
	CHECK(!memcmp(got, want, sizeof want), "request is chronyc's");
}

static void test_sync(void)
{
	uint8_t w[CC_TRACKING_LEN];
	unhex(sync_hex, w, sizeof w);
	struct cc_tracking t;
	char b[64];
	CHECK_EQ(cc_tracking_parse(w, sizeof w, 0xc31ad0a6u, &t), CC_OK, "parse");
	CHECK_EQ(t.ref_id, 0x7f000001, "ref_id");
	CHECK_EQ(t.ip_family, 1, "family");
	CHECK(!memcmp(t.ip, "\x7f\0\0\1", 4), "address 127.0.0.1");
	CHECK_EQ(t.stratum, 2, "stratum");
	CHECK_EQ(t.leap_status, CC_LEAP_NORMAL, "leap");
	struct tm tm;
	gmtime_r(&t.ref_time.tv_sec, &tm);
	strftime(b, sizeof b, "%a %b %d %H:%M:%S %Y", &tm);
	CHECK_STR(b, "Mon Dec 07 20:39:08 2026", "ref time");
	CHECK(t.current_correction < 0, "system time fast");
	fmt(b, sizeof b, "%.9f", -t.current_correction);
	CHECK_STR(b, "0.000000952", "system time");
	fmt(b, sizeof b, "%+.9f", t.last_offset);
	CHECK_STR(b, "-0.000000006", "last offset");
	fmt(b, sizeof b, "%.9f", t.rms_offset);
	CHECK_STR(b, "0.000000026", "rms offset");
	fmt(b, sizeof b, "%.3f", t.freq_ppm);
	CHECK_STR(b, "-0.021", "frequency (negative: slow)");
	fmt(b, sizeof b, "%+.3f", t.resid_freq_ppm);
	CHECK_STR(b, "-0.000", "residual freq");
	fmt(b, sizeof b, "%.3f", t.skew_ppm);
	CHECK_STR(b, "0.095", "skew");
	fmt(b, sizeof b, "%.9f", t.root_delay);
	CHECK_STR(b, "0.000005998", "root delay");
	fmt(b, sizeof b, "%.9f", t.root_dispersion);
	CHECK_STR(b, "0.000001082", "root dispersion");
	fmt(b, sizeof b, "%.1f", t.last_update_interval);
	CHECK_STR(b, "0.1", "update interval");
}

static void test_unsync(void)
{
	uint8_t w[CC_TRACKING_LEN];
	unhex(unsync_hex, w, sizeof w);
	struct cc_tracking t;
	CHECK_EQ(cc_tracking_parse(w, sizeof w, 0x80bbacdau, &t), CC_OK, "parse");
	CHECK_EQ(t.ref_id, 0, "ref_id");
	CHECK_EQ(t.ip_family, 0, "family");
	CHECK_EQ(t.stratum, 0, "stratum");
	CHECK_EQ(t.leap_status, CC_LEAP_UNSYNC, "leap");
	CHECK_EQ(t.ref_time.tv_sec, 0, "ref time");
	CHECK(t.root_delay == 1.0 && t.root_dispersion == 1.0, "1 s, 1 s");
	CHECK(t.skew_ppm == 0 && t.current_correction == 0, "zeros");
}

/* One byte changed at off (to v), and what the parser must say. */
static void bad(size_t off, uint8_t v, size_t len, enum cc_verdict want,
		const char *what)
{
	uint8_t w[CC_TRACKING_LEN + 4] = { 0 };
	unhex(sync_hex, w, CC_TRACKING_LEN);
	if (off < sizeof w)
		w[off] = v;
	struct cc_tracking t;
	enum cc_verdict got = cc_tracking_parse(w, len, 0xc31ad0a6u, &t);
	CHECK(got == want, "%s: got %s, want %s", what, cc_verdict_name(got),
	      cc_verdict_name(want));
}

static void test_bad(void)
{
	bad(999, 0, CC_TRACKING_LEN - 1, CC_BAD_LENGTH, "one byte short");
	bad(999, 0, CC_TRACKING_LEN + 4, CC_BAD_LENGTH, "four bytes long");
	bad(999, 0, 0, CC_BAD_LENGTH, "empty");
	bad(0, 5, CC_TRACKING_LEN, CC_BAD_VERSION, "version 5");
	bad(1, 1, CC_TRACKING_LEN, CC_BAD_TYPE, "a request");
	bad(2, 1, CC_TRACKING_LEN, CC_BAD_TYPE, "res1 set");
	bad(3, 1, CC_TRACKING_LEN, CC_BAD_TYPE, "res2 set");
	bad(5, 0x22, CC_TRACKING_LEN, CC_BAD_COMMAND, "command 34");
	bad(19, 0xa7, CC_TRACKING_LEN, CC_BAD_SEQUENCE, "another sequence");
	bad(9, 2, CC_TRACKING_LEN, CC_BAD_STATUS, "status unauthorised");
	bad(7, 6, CC_TRACKING_LEN, CC_BAD_REPLY, "reply sourcestats");
	bad(28 + 21, 4, CC_TRACKING_LEN, CC_BAD_FIELD, "address family 4");
	bad(28 + 25, 17, CC_TRACKING_LEN, CC_BAD_FIELD, "stratum 17");
	bad(28 + 27, 4, CC_TRACKING_LEN, CC_BAD_FIELD, "leap 4");
	bad(28 + 28, 0x80, CC_TRACKING_LEN, CC_BAD_FIELD, "ref time past 2^63");
	bad(28 + 36, 0x3c, CC_TRACKING_LEN, CC_BAD_FIELD, "nanoseconds 1e9+");
	/* root dispersion (the 8th float) negative: coefficient sign bit */
	bad(28 + 40 + 28, 0xfd, CC_TRACKING_LEN, CC_BAD_FIELD, "negative dispersion");
	bad(999, 0, CC_TRACKING_LEN, CC_OK, "unchanged");
	/* A 32-bit sender's high word: 0x7fffffff means 0. */
	uint8_t w[CC_TRACKING_LEN];
	unhex(sync_hex, w, sizeof w);
	memcpy(w + 28 + 28, "\x7f\xff\xff\xff", 4);
	struct cc_tracking t;
	CHECK(cc_tracking_parse(w, sizeof w, 0xc31ad0a6u, &t) == CC_OK &&
	      t.ref_time.tv_sec == 0x6b17196c, "TV_NOHIGHSEC");
}

static void test_float(void)
{
	CHECK(cc_float_decode(0) == 0, "0");
	/* exp 1, coef 2^24: 2^24 * 2^(1-25) = 1 */
	CHECK(cc_float_decode(0x03000000u) == -1.0, "-1.0 (coefficient -2^24, exponent 1)");
	CHECK(cc_float_decode(0x04800000u) == 1.0, "1.0 as chronyd wrote it");
	/* coef -1 with exp 0: -2^-25 */
	CHECK(cc_float_decode(0x01ffffffu) == -1.0 / 33554432.0, "-2^-25");
	/* largest: exponent 63, coefficient 2^24 - 1 */
	CHECK(cc_float_decode(0x7effffffu) == 16777215.0 * 274877906944.0, "largest");
}

int main(void)
{
	test_request();
	test_sync();
	test_unsync();
	test_bad();
	test_float();
	return check_summary();
}
