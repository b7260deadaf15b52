/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/timesyncd.c: the header from timesyncd's
 * NTPMessage, as RFC 5905 makes a server's from its system peer
 * (stratum + 1, the server's address as reference ID, root delay and
 * dispersion accumulated), the alarm condition when timesyncd has no
 * synchronised, recent message, and the record in the state file. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "proto/ntp.h"
#include "proto/timesyncd.h"

#define NOW 1796674930000000ull	/* µs since 1970 */

/* Server 192.0.2.7 at stratum 2, root delay 0.25 s, root dispersion
 * 0.125 s; T1..T4: a 20 ms exchange of which the server held 4 ms
 * (delay 16 ms), its clock 1 ms ahead (offset +1 ms); taken 2 s ago;
 * jitter 3 ms; polling every 64 s. */
static struct tsd_view good(void)
{
	struct tsd_view v = {
		.m = { .leap = 0, .version = 4, .mode = 4, .stratum = 2,
		       .precision = -20, .root_delay_us = 250000,
		       .root_dispersion_us = 125000,
		       .refid = { 0xc6, 0x33, 0x64, 0x01 },
		       .dest_us = NOW - 2000000, .packet_count = 9,
		       .jitter_us = 3000 },
		.family = 4, .addr = { 192, 0, 2, 7 }, .poll_us = 64000000,
	};
	v.m.origin_us = v.m.dest_us - 20000;
	v.m.receive_us = v.m.origin_us + 8000 + 1000;
	v.m.transmit_us = v.m.receive_us + 4000;
	return v;
}

static double secs(uint32_t short_fmt)
{
	return (double)short_fmt / 65536.0;
}

static void test_sync(void)
{
	struct tsd_view v = good();
	struct ntp_server_state st;
	tsd_state(&v, NOW, -25, &st);
	CHECK(st.synchronized, "synchronised");
	CHECK(st.stratum == 3, "the server's stratum + 1: %u", st.stratum);
	CHECK(st.refid == 0xc0000207, "the server's address: %08x", st.refid);
	CHECK(st.leap == NTP_LEAP_NONE, "no leap");
	CHECK(st.precision == -25, "our precision");
	/* Root delay: 0.25 + 0.016, rounded up to the short format. */
	CHECK(fabs(secs(st.rootdelay) - 0.266) < 2.0 / 65536,
	      "root delay %.6f", secs(st.rootdelay));
	/* Root dispersion: 0.125 + jitter 0.003 + max(MINDISP, the
	 * sample's (2^-20 + 2^-25 + PHI * 0.02) + PHI * 2 + |offset|
	 * 0.001) = 0.125 + 0.003 + 0.01. */
	CHECK(fabs(secs(st.rootdisp) - 0.138) < 2.0 / 65536,
	      "root dispersion %.6f", secs(st.rootdisp));
	/* The reference time: the destination time, T4. */
	struct timespec t4 = { (time_t)(v.m.dest_us / 1000000),
			       (long)(v.m.dest_us % 1000000) * 1000 };
	CHECK(st.reftime == ntp_ts_from_timespec(&t4), "reference time T4");

	/* A larger offset and an old message: the growth passes MINDISP
	 * and counts in full, at 15 ppm over the age. */
	v.m.receive_us += 20000;
	v.m.transmit_us += 20000;	/* offset 21 ms */
	tsd_state(&v, v.m.dest_us + 400000000, -25, &st);	/* 400 s */
	double grow = ldexp(1, -20) + ldexp(1, -25) + 15e-6 * 0.02 +
		      15e-6 * 400 + 0.021;
	CHECK(fabs(secs(st.rootdisp) - (0.125 + 0.003 + grow)) < 2.0 / 65536,
	      "root dispersion grows: %.6f, want %.6f", secs(st.rootdisp),
	      0.125 + 0.003 + grow);
	CHECK(st.synchronized, "400 s is not old at a 64 s poll");
}

static void test_refid(void)
{
	struct tsd_view v = good();
	v.family = 6;
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	memcpy(v.addr, a6, 16);
	/* RFC 5905 §7.3: MD5 of 2001:db8::7, its first four bytes (Python:
	 * hashlib.md5(ip_address("2001:db8::7").packed)). */
	CHECK(tsd_refid(&v) == 0xe1b2c29d, "IPv6 hash: %08x", tsd_refid(&v));
	v.family = 0;
	CHECK(tsd_refid(&v) == 0, "no address");
}

static void test_unsync(void)
{
	struct ntp_server_state st;
	struct tsd_view v;
	memset(&v, 0, sizeof v);
	tsd_state(&v, NOW, -25, &st);
	CHECK(!st.synchronized && st.stratum == 0 && st.refid == 0, "empty message");

	v = good(); v.m.leap = NTP_LEAP_UNSYNC;
	CHECK(!tsd_synchronised(&v, NOW), "leap 3");
	v = good(); v.m.stratum = 14;
	CHECK(tsd_synchronised(&v, NOW), "stratum 14: we are 15");
	v = good(); v.m.stratum = 15;
	CHECK(!tsd_synchronised(&v, NOW), "stratum 15: we would be 16");
	v = good(); v.m.stratum = 0;
	CHECK(!tsd_synchronised(&v, NOW), "stratum 0");
	v = good(); v.m.mode = 5;
	CHECK(!tsd_synchronised(&v, NOW), "not a server's");
	v = good(); v.family = 0;
	CHECK(!tsd_synchronised(&v, NOW), "no server address");
	v = good(); v.m.dest_us = NOW + 1500000;
	CHECK(!tsd_synchronised(&v, NOW), "from the future");
	v = good(); v.m.dest_us = NOW + 500000;
	CHECK(tsd_synchronised(&v, NOW), "half a second ahead: clock noise");
	/* Old: eight polls. */
	v = good();
	CHECK(tsd_synchronised(&v, v.m.dest_us + 8 * 64000000ull), "eight polls");
	CHECK(!tsd_synchronised(&v, v.m.dest_us + 8 * 64000000ull + 1), "past eight polls");
	v.poll_us = 0;
	CHECK(tsd_synchronised(&v, v.m.dest_us + 8 * 2048000000ull) &&
	      !tsd_synchronised(&v, v.m.dest_us + 8 * 2048000000ull + 1),
	      "no poll read: timesyncd's longest, 2048 s");
	v = good(); v.m.leap = NTP_LEAP_UNSYNC;
	tsd_state(&v, NOW, -25, &st);
	struct ntp_packet req = { .version = 4, .mode = NTP_MODE_CLIENT };
	struct timespec rx = { 1796674930, 5 };
	struct ntp_packet r;
	ntp_reply_build(&req, &st, &rx, &r);
	CHECK(r.leap == NTP_LEAP_UNSYNC && r.stratum == 0 && r.refid == 0,
	      "the alarm condition in the reply");
}

static void test_leap(void)
{
	struct tsd_view v = good();
	struct ntp_server_state st;
	v.m.leap = NTP_LEAP_INSERT;
	tsd_state(&v, NOW, -25, &st);
	CHECK(st.synchronized && st.leap == NTP_LEAP_INSERT, "insert");
	v.m.leap = NTP_LEAP_DELETE;
	tsd_state(&v, NOW, -25, &st);
	CHECK(st.synchronized && st.leap == NTP_LEAP_DELETE, "delete");
}

static void test_record(void)
{
	struct tsd_view v = good(), w;
	v.m.spike = true;
	v.m.precision = -128;
	uint8_t b[TSD_RECORD_LEN];
	tsd_encode(&v, b);
	CHECK(tsd_decode(b, sizeof b, &w), "round trip");
	CHECK(w.m.stratum == 2 && w.m.precision == -128 && w.m.spike &&
	      w.family == 4 && w.addr[3] == 7 && w.poll_us == 64000000 &&
	      w.m.dest_us == v.m.dest_us && w.m.jitter_us == 3000 &&
	      w.m.origin_us == v.m.origin_us && w.m.receive_us == v.m.receive_us &&
	      w.m.transmit_us == v.m.transmit_us && w.m.packet_count == 9 &&
	      w.m.root_delay_us == 250000 && w.m.root_dispersion_us == 125000 &&
	      !memcmp(w.m.refid, v.m.refid, 4), "the fields");
	v.family = 6;
	memset(v.addr, 0xab, 16);
	tsd_encode(&v, b);
	CHECK(tsd_decode(b, sizeof b, &w) && w.family == 6 && w.addr[15] == 0xab,
	      "IPv6");
	CHECK(!tsd_decode(b, sizeof b - 1, &w), "short");
	uint8_t c[TSD_RECORD_LEN];
	/* Each of these bytes has a range: off it, no view. */
	static const struct { size_t at; uint8_t bad; const char *what; } spoil[] = {
		{ 0, 0x55, "magic" }, { 4, 4, "leap" }, { 5, 8, "version" },
		{ 6, 8, "mode" }, { 8, 2, "spike" }, { 9, 5, "family" },
		{ 11, 1, "padding" },
	};
	for (size_t i = 0; i < sizeof spoil / sizeof spoil[0]; i++) {
		memcpy(c, b, sizeof c);
		c[spoil[i].at] = spoil[i].bad;
		CHECK(!tsd_decode(c, sizeof c, &w), "refused: %s", spoil[i].what);
	}
	/* An IPv4 address with bytes past its four. */
	v = good();
	tsd_encode(&v, b);
	b[TSD_RECORD_LEN - 1] = 1;
	CHECK(!tsd_decode(b, sizeof b, &w), "refused: stray address bytes");

	struct tsd_message m = good().m;
	CHECK(tsd_fits(&m), "fits");
	m.stratum = 256;
	CHECK(!tsd_fits(&m), "stratum 256 does not fit");
	m = good().m;
	m.precision = -129;
	CHECK(!tsd_fits(&m), "precision -129 does not fit");
	m = good().m;
	m.leap = 4;
	CHECK(!tsd_fits(&m), "leap 4 does not fit");
}

static void test_describe(void)
{
	struct tsd_view v = good();
	char buf[160];
	tsd_describe(&v, NOW, buf, sizeof buf);
	CHECK(!strcmp(buf, "upstream: timesyncd 192.0.2.7, synchronised, stratum 3, "
		      "refid 192.0.2.7, age 2 s\n"), "%s", buf);
	v.m.leap = NTP_LEAP_UNSYNC;
	tsd_describe(&v, NOW, buf, sizeof buf);
	CHECK(!strcmp(buf, "upstream: timesyncd 192.0.2.7, not synchronised\n"), "%s", buf);
	v = good();
	v.family = 6;
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	memcpy(v.addr, a6, 16);
	tsd_source_name(&v, buf, sizeof buf);
	CHECK(!strcmp(buf, "timesyncd [2001:db8::7]"), "%s", buf);
	CHECK(tsd_describe(&v, NOW, buf, 10) == 9, "truncated");
}

int main(void)
{
	test_sync();
	test_refid();
	test_unsync();
	test_leap();
	test_record();
	test_describe();
	return check_summary();
}
