/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/upstream.c: the header from chronyd's tracking
 * report, as chronyd would fill its own server reply. The report of a
 * synchronised chronyd (captured, see test_chronycmd.c) gives its
 * stratum, reference ID, reference time and root delay; an
 * unsynchronised one the alarm condition; the root dispersion is never
 * less than chronyd's own at that moment and grows at chrony's rate. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "chrony_replies.h"
#include "proto/chronycmd.h"
#include "proto/ntp.h"
#include "proto/srcaddr.h"
#include "proto/upstream.h"
#include "sys/upstreamquery.h"



static struct cc_tracking parsed(const char *hex, uint32_t seq)
{
	uint8_t w[CC_TRACKING_LEN];
	for (size_t i = 0; i < sizeof w; i++)
		sscanf(hex + 2 * i, "%2hhx", &w[i]);
	struct cc_tracking t;
	CHECK(cc_tracking_parse(w, sizeof w, seq, &t) == CC_OK, "vector parses");
	return t;
}

/* A reply built from st to a v4 client request. */
static struct ntp_packet reply(const struct ntp_server_state *st)
{
	struct ntp_packet req = { .version = 4, .mode = NTP_MODE_CLIENT,
				  .xmt = 0xed00000012345678ull };
	struct timespec rx = { 1796674930, 5 };
	struct ntp_packet r;
	ntp_reply_build(&req, st, &rx, &r);
	return r;
}

static void test_sync(void)
{
	struct cc_tracking t = parsed(sync_hex, 0xc31ad0a6u);
	struct ntp_server_state st;
	up_state_from_tracking(&t, 0, -25, &st);
	struct ntp_packet r = reply(&st);
	CHECK_EQ(r.leap, 0, "LI");
	CHECK_EQ(r.stratum, 2, "stratum");
	CHECK_EQ(r.refid, 0x7f000001, "refid");
	CHECK_EQ(r.precision, -25, "our precision");
	/* 20:39:08.828635569 UTC, 2026-12-07: 828635569 x 4.294967296 =
	 * 3558962669.16, truncated as chronyd does. */
	CHECK(r.reftime == (0xeec197ecull << 32 | 3558962669u), "reftime %llx",
	      (unsigned long long)r.reftime);
	/* Where truncating and rounding part: 999999999 ns is
	 * 4294967291.7 units; chronyd writes ...291. */
	struct cc_tracking late = t;
	late.ref_time.tv_nsec = 999999999;
	up_state_from_tracking(&late, 0, -25, &st);
	CHECK_EQ(st.reftime & 0xffffffffu, 4294967291u, "truncated");
	struct timespec zero = { 0, 0 };
	CHECK_EQ(up_reftime(&zero), 0, "0 stays 0");
	/* 5.998 us: one unit of 2^-16 s, rounded up */
	CHECK_EQ(r.rootdelay, 1, "root delay");
	/* 1.082 us + 0.952 us of correction: one unit */
	CHECK_EQ(r.rootdisp, 1, "root dispersion");
}

static void test_unsync(void)
{
	struct cc_tracking t = parsed(unsync_hex, 0x80bbacdau);
	struct ntp_server_state st;
	up_state_from_tracking(&t, 3, -25, &st);
	CHECK(!st.synchronized, "not synchronised");
	struct ntp_packet r = reply(&st);
	CHECK_EQ(r.leap, 3, "LI 3");
	CHECK_EQ(r.stratum, 0, "stratum 0");
	CHECK_EQ(r.refid, 0, "refid 0");

	/* Leap status normal but stratum 16 (or 0): still unsynchronised. */
	struct cc_tracking u = parsed(sync_hex, 0xc31ad0a6u);
	u.stratum = 16;
	up_state_from_tracking(&u, 0, -25, &st);
	CHECK(!st.synchronized, "stratum 16");
	u.stratum = 0;
	up_state_from_tracking(&u, 0, -25, &st);
	CHECK(!st.synchronized, "stratum 0");
	u = parsed(sync_hex, 0xc31ad0a6u);
	u.leap_status = CC_LEAP_UNSYNC;
	up_state_from_tracking(&u, 0, -25, &st);
	CHECK(!st.synchronized && reply(&st).stratum == 0, "leap 3");
}

static void test_leap(void)
{
	struct cc_tracking t = parsed(sync_hex, 0xc31ad0a6u);
	struct ntp_server_state st;
	t.leap_status = CC_LEAP_INSERT;
	up_state_from_tracking(&t, 0, -25, &st);
	CHECK_EQ(reply(&st).leap, 1, "insert");
	t.leap_status = CC_LEAP_DELETE;
	up_state_from_tracking(&t, 0, -25, &st);
	CHECK_EQ(reply(&st).leap, 2, "delete");
}

/* chronyd's own reply elapsed s after the report: its dispersion grows
 * from the report's at skew + |residual| + maxclockerror, and is
 * rounded up to 2^-16 s (UTI_DoubleToNtp32). */
static uint32_t chronyd_disp(const struct cc_tracking *t, double elapsed)
{
	double d = t->root_dispersion +
		   elapsed * (t->skew_ppm + fabs(t->resid_freq_ppm) + 1.0) * 1e-6;
	return (uint32_t)ceil(d * 65536.0);
}

static void test_dispersion(void)
{
	struct cc_tracking t = parsed(sync_hex, 0xc31ad0a6u);
	t.root_dispersion = 0.01;
	t.current_correction = -0.002;
	t.skew_ppm = 10;
	t.resid_freq_ppm = -5;
	struct ntp_server_state st;
	up_state_from_tracking(&t, 100, -25, &st);
	/* 0.01 + 0.002 + 100 s * 16 ppm = 0.0136 s = 891.29 units */
	CHECK_EQ(st.rootdisp, 892, "0.0136 s rounded up");
	up_state_from_tracking(&t, -5, -25, &st);
	CHECK_EQ(st.rootdisp, (uint32_t)ceil(0.012 * 65536 + 1e-9), "elapsed < 0 as 0");

	/* Never under chronyd's, over a sweep of ages and rates, and
	 * not more than |correction| + a unit of rounding above it. */
	int under = 0, over = 0;
	for (int i = 0; i < 2000; i++) {
		t.root_dispersion = 1e-6 * (i % 97) + 1e-3 * (i % 7);
		t.skew_ppm = 0.01 * (i % 13);
		t.resid_freq_ppm = (i % 2 ? -1 : 1) * 0.001 * (i % 11);
		t.current_correction = (i % 3 - 1) * 1e-7 * (i % 5);
		double el = 0.01 * i;
		up_state_from_tracking(&t, el, -25, &st);
		uint32_t c = chronyd_disp(&t, el);
		under += st.rootdisp < c;
		over += st.rootdisp > c + 1 + (uint32_t)ceil(fabs(t.current_correction) * 65536);
	}
	CHECK_EQ(under, 0, "dispersion under chronyd's");
	CHECK_EQ(over, 0, "dispersion too far over chronyd's");
}

/* chronyd A itself, `local stratum 1`: not synchronised to a source but
 * serving as a reference (leap normal): served as it would serve. */
static void test_local(void)
{
	struct cc_tracking t = { .ref_id = 0x7f7f0101, .stratum = 1,
				 .leap_status = CC_LEAP_NORMAL,
				 .ref_time = { 1796674920, 0 } };
	struct ntp_server_state st;
	up_state_from_tracking(&t, 1, -25, &st);
	struct ntp_packet r = reply(&st);
	CHECK(r.leap == 0 && r.stratum == 1 && r.refid == 0x7f7f0101, "local stratum 1");
	CHECK_EQ(r.rootdisp, 1, "1 s at 1 ppm: one unit");
}

/* --upstream's values, and chrony:HOST:PORT's address (numeric only). */
static void test_options(void)
{
	enum up_source k;
	const char *hp, *why = NULL;
	CHECK(up_source_parse("auto", &k, &hp, &why) && k == UP_AUTO && !hp, "auto");
	CHECK(up_source_parse("kernel", &k, &hp, &why) && k == UP_KERNEL, "kernel");
	CHECK(up_source_parse("chrony", &k, &hp, &why) && k == UP_CHRONY && !hp, "chrony");
	CHECK(up_source_parse("chrony:[::1]:323", &k, &hp, &why) && k == UP_CHRONY &&
	      hp && !strcmp(hp, "[::1]:323"), "chrony:HOST:PORT");
	CHECK(up_source_parse("timesyncd", &k, &hp, &why) && k == UP_TIMESYNCD && !hp,
	      "timesyncd");
	CHECK(!up_source_parse("chrony:", &k, &hp, &why), "chrony: alone");
	CHECK(!up_source_parse("ntpd", &k, &hp, &why), "ntpd");

	struct upq_config c;
	CHECK(upq_config_chrony(&c, NULL, &why) && c.n == 2 &&
	      !strcmp(c.addr[0].name, "chrony 127.0.0.1:323") &&
	      !strcmp(c.addr[1].name, "chrony [::1]:323"), "the default two");
	CHECK(upq_config_chrony(&c, "192.0.2.7:1323", &why) && c.n == 1 &&
	      !strcmp(c.addr[0].name, "chrony 192.0.2.7:1323") &&
	      c.addr[0].sa.ss_family == AF_INET, "IPv4");
	CHECK(upq_config_chrony(&c, "[2001:db8::5]:323", &why) &&
	      !strcmp(c.addr[0].name, "chrony [2001:db8::5]:323") &&
	      c.addr[0].sa.ss_family == AF_INET6, "IPv6 in brackets");
	static const char *const bad[] = { "localhost:323", "192.0.2.7",
		"192.0.2.7:", "192.0.2.7:0", "192.0.2.7:65536", ":323",
		"192.0.2.7:32x", "[]:323", "[::1:323" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!upq_config_chrony(&c, bad[i], &why), "refused: %s", bad[i]);
}

/* addr() has one buffer: a copy to hold two at once. */
static struct sockaddr_storage held(const char *host, int port)
{
	struct sockaddr_storage ss;
	memcpy(&ss, addr(host, port), sizeof ss);
	return ss;
}
#define SA(ss) ((const struct sockaddr *)&(ss))

/* Asked through a passed socket: only a loopback address and a
 * privileged port, so that the answer is known by its source. */
static void test_passable(void)
{
	CHECK(up_passable(addr("127.0.0.1", 323)), "127.0.0.1:323");
	CHECK(up_passable(addr("127.0.0.2", 323)), "127/8");
	CHECK(up_passable(addr("::1", 323)), "::1");
	CHECK(up_passable(addr("::ffff:127.0.0.1", 323)), "mapped loopback");
	CHECK(up_passable(addr("127.0.0.1", 1023)), "the last privileged port");
	CHECK(!up_passable(addr("127.0.0.1", 1024)), "1024: anyone may send from it");
	CHECK(!up_passable(addr("127.0.0.1", 10323)), "a test's port");
	CHECK(!up_passable(addr("192.168.77.1", 323)), "a host address");
	CHECK(!up_passable(addr("::ffff:192.0.2.1", 323)), "mapped, not loopback");
	CHECK(!up_passable(addr("2001:db8::1", 323)), "v6 address");
	CHECK(!up_passable(addr("::", 323)), "unspecified");
}

/* Where a passed socket sends to reach a target as localhost. */
static void route_is(const char *bound, int v6only, const char *target,
		     const char *want)
{
	struct sockaddr_storage b = held(bound, 123), t = held(target, 323), d;
	socklen_t l = up_route(SA(b), v6only, SA(t), &d);
	if (!want) {
		CHECK(l == 0, "%s%s -> %s: no way", bound, v6only ? " v6only" : "",
		      target);
		return;
	}
	struct sockaddr_storage w = held(want, 323);
	CHECK(l == (w.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					     sizeof(struct sockaddr_in6)) &&
		      srcaddr_equal(SA(d), SA(w)),
	      "%s%s -> %s: via %s", bound, v6only ? " v6only" : "", target, want);
}

static void test_route(void)
{
	/* Dual-stack [::]: IPv4 as mapped, ::1 as itself. */
	route_is("::", 0, "127.0.0.1", "::ffff:127.0.0.1");
	route_is("::", 0, "::1", "::1");
	/* v6-only: no IPv4. */
	route_is("::", 1, "127.0.0.1", NULL);
	route_is("::", 1, "::1", "::1");
	/* v4-only: no IPv6. */
	route_is("0.0.0.0", 0, "127.0.0.1", "127.0.0.1");
	route_is("0.0.0.0", 0, "::1", NULL);
	/* Bound to loopback: its own family's loopback. */
	route_is("127.0.0.1", 0, "127.0.0.1", "127.0.0.1");
	route_is("::1", 0, "::1", "::1");
	route_is("::1", 0, "127.0.0.1", NULL);
	route_is("::ffff:127.0.0.1", 0, "127.0.0.1", "::ffff:127.0.0.1");
	/* Bound to a host address: chronyd would see it and refuse. */
	route_is("192.0.2.5", 0, "127.0.0.1", NULL);
	route_is("2001:db8::5", 0, "::1", NULL);
	route_is("2001:db8::5", 0, "127.0.0.1", NULL);
	route_is("::ffff:192.0.2.5", 0, "127.0.0.1", NULL);
}

/* The answer is known by its source: the address asked (mapped read as
 * IPv4) and its port; anything else is a request. */
static void test_reply_from(void)
{
	struct sockaddr_storage m = held("::ffff:127.0.0.1", 323),
				v4 = held("127.0.0.1", 323),
				v6 = held("::1", 323);
	CHECK(up_reply_from(addr("::ffff:127.0.0.1", 323), SA(m)), "mapped");
	CHECK(up_reply_from(addr("127.0.0.1", 323), SA(m)), "v4 for mapped");
	CHECK(up_reply_from(addr("::ffff:127.0.0.1", 323), SA(v4)), "mapped for v4");
	CHECK(up_reply_from(addr("127.0.0.1", 323), SA(v4)), "v4");
	CHECK(up_reply_from(addr("::1", 323), SA(v6)), "::1");
	CHECK(!up_reply_from(addr("127.0.0.1", 324), SA(v4)), "another port");
	CHECK(!up_reply_from(addr("::ffff:127.0.0.1", 123), SA(m)), "port 123");
	CHECK(!up_reply_from(addr("127.0.0.2", 323), SA(v4)), "another loopback");
	CHECK(!up_reply_from(addr("192.0.2.1", 323), SA(v4)), "a client");
	CHECK(!up_reply_from(addr("::1", 323), SA(v4)), "::1 for 127.0.0.1");
	CHECK(!up_reply_from(addr("::ffff:127.0.0.1", 323), SA(v6)), "mapped for ::1");
	CHECK(!up_reply_from(addr("2001:db8::1", 323), SA(v6)), "v6 client");
}

int main(void)
{
	test_options();
	test_sync();
	test_unsync();
	test_leap();
	test_dispersion();
	test_local();
	test_passable();
	test_route();
	test_reply_from();
	return check_summary();
}
