/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/daytime.c: every format at chosen instants. The
 * expected lines were worked out apart from the code under test, with
 * `LC_ALL=C TZ=... date -d @N +...` and by hand (MJD = Unix day + 40587,
 * US DST dates from the calendar). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "proto/daytime.h"

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* The line for one format, checked against want (CR LF added here). */
#define LINE(f, t, utc, clk, want, ...)                                      \
	do {                                                                 \
		char buf_[DAYTIME_MAX + 8];                                  \
		memset(buf_, 'X', sizeof buf_);                              \
		size_t n_ = daytime_format(buf_, f, t, utc, clk);            \
		char w_[DAYTIME_MAX];                                        \
		snprintf(w_, sizeof w_, "%s\r\n", want);                     \
		CHECK(n_ < DAYTIME_MAX && buf_[n_] == 0,                     \
		      "length %zu or missing NUL", n_);                      \
		if (n_ < DAYTIME_MAX)                                        \
			buf_[n_] = 0;                                        \
		CHECK_STR(buf_, w_, __VA_ARGS__);                            \
		CHECK_EQ(n_, strlen(w_), __VA_ARGS__);                       \
	} while (0)

struct instant {
	time_t t;
	const char *ctime, *xinetd, *rfc867, *rfc2822, *iso8601;
};

static void all_five(const struct instant *in, bool utc, const char *zone)
{
	LINE(DAYTIME_CTIME, in->t, utc, NULL, in->ctime, "ctime %s @%lld",
	     zone, (long long)in->t);
	LINE(DAYTIME_XINETD, in->t, utc, NULL, in->xinetd, "xinetd %s @%lld",
	     zone, (long long)in->t);
	LINE(DAYTIME_RFC867, in->t, utc, NULL, in->rfc867, "rfc867 %s @%lld",
	     zone, (long long)in->t);
	LINE(DAYTIME_RFC2822, in->t, utc, NULL, in->rfc2822,
	     "rfc2822 %s @%lld", zone, (long long)in->t);
	LINE(DAYTIME_ISO8601, in->t, utc, NULL, in->iso8601,
	     "iso8601 %s @%lld", zone, (long long)in->t);
}

/* --utc: the same lines whatever TZ says. */
static const struct instant utc_cases[] = {
	{ 1795362341, /* the SPEC's example, 2026-11-22 15:45:41Z */
	  "Sun Nov 22 15:45:41 2026", "22 NOV 2026 15:45:41 UTC",
	  "Sunday, November 22, 2026 15:45:41-UTC",
	  "Sun, 22 Nov 2026 15:45:41 +0000", "2026-11-22T15:45:41Z" },
	{ 1709210096, /* leap day */
	  "Thu Feb 29 12:34:56 2024", "29 FEB 2024 12:34:56 UTC",
	  "Thursday, February 29, 2024 12:34:56-UTC",
	  "Thu, 29 Feb 2024 12:34:56 +0000", "2024-02-29T12:34:56Z" },
	{ 2147483648, /* one second past the 32-bit time_t */
	  "Tue Jan 19 03:14:08 2038", "19 JAN 2038 03:14:08 UTC",
	  "Tuesday, January 19, 2038 03:14:08-UTC",
	  "Tue, 19 Jan 2038 03:14:08 +0000", "2038-01-19T03:14:08Z" },
	{ 4107542399, /* 2100 is not a leap year: Feb 28 ... */
	  "Sun Feb 28 23:59:59 2100", "28 FEB 2100 23:59:59 UTC",
	  "Sunday, February 28, 2100 23:59:59-UTC",
	  "Sun, 28 Feb 2100 23:59:59 +0000", "2100-02-28T23:59:59Z" },
	{ 4107542400, /* ... is followed by Mar 1 */
	  "Mon Mar  1 00:00:00 2100", "01 MAR 2100 00:00:00 UTC",
	  "Monday, March 1, 2100 00:00:00-UTC",
	  "Mon, 01 Mar 2100 00:00:00 +0000", "2100-03-01T00:00:00Z" },
	{ 0, "Thu Jan  1 00:00:00 1970", "01 JAN 1970 00:00:00 UTC",
	  "Thursday, January 1, 1970 00:00:00-UTC",
	  "Thu, 01 Jan 1970 00:00:00 +0000", "1970-01-01T00:00:00Z" },
	{ 2085978496, /* the NTP era boundary */
	  "Thu Feb  7 06:28:16 2036", "07 FEB 2036 06:28:16 UTC",
	  "Thursday, February 7, 2036 06:28:16-UTC",
	  "Thu, 07 Feb 2036 06:28:16 +0000", "2036-02-07T06:28:16Z" },
	{ 4294967296, /* past the unsigned 32-bit time */
	  "Sun Feb  7 06:28:16 2106", "07 FEB 2106 06:28:16 UTC",
	  "Sunday, February 7, 2106 06:28:16-UTC",
	  "Sun, 07 Feb 2106 06:28:16 +0000", "2106-02-07T06:28:16Z" },
	{ -2208988800, "Mon Jan  1 00:00:00 1900", "01 JAN 1900 00:00:00 UTC",
	  "Monday, January 1, 1900 00:00:00-UTC",
	  "Mon, 01 Jan 1900 00:00:00 +0000", "1900-01-01T00:00:00Z" },
};

/* Europe/Berlin: CET +01:00, CEST +02:00 from 2026-03-29 01:00Z to
 * 2026-10-25 01:00Z. */
static const struct instant berlin[] = {
	{ 1709210096, "Thu Feb 29 13:34:56 2024", "29 FEB 2024 13:34:56 CET",
	  "Thursday, February 29, 2024 13:34:56-CET",
	  "Thu, 29 Feb 2024 13:34:56 +0100", "2024-02-29T13:34:56+01:00" },
	{ 1774745999, "Sun Mar 29 01:59:59 2026", "29 MAR 2026 01:59:59 CET",
	  "Sunday, March 29, 2026 01:59:59-CET",
	  "Sun, 29 Mar 2026 01:59:59 +0100", "2026-03-29T01:59:59+01:00" },
	{ 1774746000, "Sun Mar 29 03:00:00 2026", "29 MAR 2026 03:00:00 CEST",
	  "Sunday, March 29, 2026 03:00:00-CEST",
	  "Sun, 29 Mar 2026 03:00:00 +0200", "2026-03-29T03:00:00+02:00" },
	{ 1792889999, "Sun Oct 25 02:59:59 2026", "25 OCT 2026 02:59:59 CEST",
	  "Sunday, October 25, 2026 02:59:59-CEST",
	  "Sun, 25 Oct 2026 02:59:59 +0200", "2026-10-25T02:59:59+02:00" },
	{ 1792890000, "Sun Oct 25 02:00:00 2026", "25 OCT 2026 02:00:00 CET",
	  "Sunday, October 25, 2026 02:00:00-CET",
	  "Sun, 25 Oct 2026 02:00:00 +0100", "2026-10-25T02:00:00+01:00" },
	{ 2147483648, "Tue Jan 19 04:14:08 2038", "19 JAN 2038 04:14:08 CET",
	  "Tuesday, January 19, 2038 04:14:08-CET",
	  "Tue, 19 Jan 2038 04:14:08 +0100", "2038-01-19T04:14:08+01:00" },
	{ 4107542399, "Mon Mar  1 00:59:59 2100", "01 MAR 2100 00:59:59 CET",
	  "Monday, March 1, 2100 00:59:59-CET",
	  "Mon, 01 Mar 2100 00:59:59 +0100", "2100-03-01T00:59:59+01:00" },
};

/* America/New_York: EST -05:00, EDT -04:00 from 2026-03-08 07:00Z to
 * 2026-11-01 06:00Z. */
static const struct instant new_york[] = {
	{ 1709210096, "Thu Feb 29 07:34:56 2024", "29 FEB 2024 07:34:56 EST",
	  "Thursday, February 29, 2024 07:34:56-EST",
	  "Thu, 29 Feb 2024 07:34:56 -0500", "2024-02-29T07:34:56-05:00" },
	{ 1772953199, "Sun Mar  8 01:59:59 2026", "08 MAR 2026 01:59:59 EST",
	  "Sunday, March 8, 2026 01:59:59-EST",
	  "Sun, 08 Mar 2026 01:59:59 -0500", "2026-03-08T01:59:59-05:00" },
	{ 1772953200, "Sun Mar  8 03:00:00 2026", "08 MAR 2026 03:00:00 EDT",
	  "Sunday, March 8, 2026 03:00:00-EDT",
	  "Sun, 08 Mar 2026 03:00:00 -0400", "2026-03-08T03:00:00-04:00" },
	{ 1793512799, "Sun Nov  1 01:59:59 2026", "01 NOV 2026 01:59:59 EDT",
	  "Sunday, November 1, 2026 01:59:59-EDT",
	  "Sun, 01 Nov 2026 01:59:59 -0400", "2026-11-01T01:59:59-04:00" },
	{ 1793512800, "Sun Nov  1 01:00:00 2026", "01 NOV 2026 01:00:00 EST",
	  "Sunday, November 1, 2026 01:00:00-EST",
	  "Sun, 01 Nov 2026 01:00:00 -0500", "2026-11-01T01:00:00-05:00" },
	{ 2147483648, "Mon Jan 18 22:14:08 2038", "18 JAN 2038 22:14:08 EST",
	  "Monday, January 18, 2038 22:14:08-EST",
	  "Mon, 18 Jan 2038 22:14:08 -0500", "2038-01-18T22:14:08-05:00" },
	{ 4107542400, "Sun Feb 28 19:00:00 2100", "28 FEB 2100 19:00:00 EST",
	  "Sunday, February 28, 2100 19:00:00-EST",
	  "Sun, 28 Feb 2100 19:00:00 -0500", "2100-02-28T19:00:00-05:00" },
	{ 0, "Wed Dec 31 19:00:00 1969", "31 DEC 1969 19:00:00 EST",
	  "Wednesday, December 31, 1969 19:00:00-EST",
	  "Wed, 31 Dec 1969 19:00:00 -0500", "1969-12-31T19:00:00-05:00" },
};

/* A half-hour zone, to check the minutes of the ISO offset. */
static const struct instant kolkata[] = {
	{ 1795362341, "Sun Nov 22 21:15:41 2026", "22 NOV 2026 21:15:41 IST",
	  "Sunday, November 22, 2026 21:15:41-IST",
	  "Sun, 22 Nov 2026 21:15:41 +0530", "2026-11-22T21:15:41+05:30" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_formats(void)
{
	/* --utc ignores TZ entirely. */
	const char *zones[] = { "UTC", "Europe/Berlin", "America/New_York" };
	for (size_t z = 0; z < N(zones); z++) {
		set_tz(zones[z]);
		for (size_t i = 0; i < N(utc_cases); i++)
			all_five(&utc_cases[i], true, "--utc");
	}
	set_tz("Europe/Berlin");
	for (size_t i = 0; i < N(berlin); i++)
		all_five(&berlin[i], false, "Europe/Berlin");
	set_tz("America/New_York");
	for (size_t i = 0; i < N(new_york); i++)
		all_five(&new_york[i], false, "America/New_York");
	set_tz("Asia/Kolkata");
	for (size_t i = 0; i < N(kolkata); i++)
		all_five(&kolkata[i], false, "Asia/Kolkata");
}

static void test_nist(void)
{
	struct daytime_clock ok = { 0, 0 }, ins = { 1, 0 }, del = { 2, 0 },
			     sick = { 0, 1 }, both = { 1, 2 };
	/* Always UTC, whatever TZ and the utc flag say. */
	const char *zones[] = { "America/New_York", "Europe/Berlin", "UTC" };
	for (size_t z = 0; z < N(zones); z++) {
		set_tz(zones[z]);
		for (int utc = 0; utc < 2; utc++) {
			LINE(DAYTIME_NIST, 1795362341, utc, &ok,
			     "61366 26-11-22 15:45:41 00 0 0   0.0 UTC(sockclock) *",
			     "nist SPEC example, %s utc=%d", zones[z], utc);
			LINE(DAYTIME_NIST, 1709210096, utc, &ok,
			     "60369 24-02-29 12:34:56 00 0 0   0.0 UTC(sockclock) *",
			     "nist leap day, %s utc=%d", zones[z], utc);
		}
	}
	set_tz("America/New_York");
	/* No clock state given: no leap, healthy. */
	LINE(DAYTIME_NIST, 1795362341, false, NULL,
	     "61366 26-11-22 15:45:41 00 0 0   0.0 UTC(sockclock) *",
	     "nist without clock state");
	/* Leap and health fields. */
	LINE(DAYTIME_NIST, 1795362341, false, &ins,
	     "61366 26-11-22 15:45:41 00 1 0   0.0 UTC(sockclock) *", "leap 1");
	LINE(DAYTIME_NIST, 1795362341, false, &del,
	     "61366 26-11-22 15:45:41 00 2 0   0.0 UTC(sockclock) *", "leap 2");
	LINE(DAYTIME_NIST, 1795362341, false, &sick,
	     "61366 26-11-22 15:45:41 00 0 1   0.0 UTC(sockclock) *", "health 1");
	LINE(DAYTIME_NIST, 1795362341, false, &both,
	     "61366 26-11-22 15:45:41 00 1 2   0.0 UTC(sockclock) *",
	     "leap 1 health 2");
	/* Two-digit years and MJD far from now. */
	LINE(DAYTIME_NIST, 946684799, true, &ok,
	     "51543 99-12-31 23:59:59 00 0 0   0.0 UTC(sockclock) *", "1999");
	LINE(DAYTIME_NIST, 946684800, true, &ok,
	     "51544 00-01-01 00:00:00 00 0 0   0.0 UTC(sockclock) *", "2000");
	LINE(DAYTIME_NIST, 2147483648, true, &ok,
	     "65442 38-01-19 03:14:08 00 0 0   0.0 UTC(sockclock) *", "2038");
	LINE(DAYTIME_NIST, 4107542400, true, &ok,
	     "88128 00-03-01 00:00:00 64 0 0   0.0 UTC(sockclock) *", "2100");
	LINE(DAYTIME_NIST, 0, true, &ok,
	     "40587 70-01-01 00:00:00 00 0 0   0.0 UTC(sockclock) *", "1970");
	LINE(DAYTIME_NIST, -1, true, &ok,
	     "40586 69-12-31 23:59:59 00 0 0   0.0 UTC(sockclock) *",
	     "1969, before the epoch");
	LINE(DAYTIME_NIST, -3506716800, true, &ok,
	     "00000 58-11-17 00:00:00 00 0 0   0.0 UTC(sockclock) *",
	     "MJD 0: 1858-11-17");
	/* DST code in the line, around the 2026 changes (US: 2nd Sunday of
	 * March = Mar 8, 1st Sunday of November = Nov 1), by UTC date. */
	LINE(DAYTIME_NIST, 1772927999, true, &ok,
	     "61106 26-03-07 23:59:59 52 0 0   0.0 UTC(sockclock) *", "Mar 7");
	LINE(DAYTIME_NIST, 1772953199, true, &ok,
	     "61107 26-03-08 06:59:59 51 0 0   0.0 UTC(sockclock) *", "Mar 8");
	LINE(DAYTIME_NIST, 1773014400, true, &ok,
	     "61108 26-03-09 00:00:00 50 0 0   0.0 UTC(sockclock) *", "Mar 9");
	LINE(DAYTIME_NIST, 1793491199, true, &ok,
	     "61344 26-10-31 23:59:59 50 0 0   0.0 UTC(sockclock) *", "Oct 31");
	LINE(DAYTIME_NIST, 1793512800, true, &ok,
	     "61345 26-11-01 06:00:00 01 0 0   0.0 UTC(sockclock) *", "Nov 1");
	LINE(DAYTIME_NIST, 1793577600, true, &ok,
	     "61346 26-11-02 00:00:00 00 0 0   0.0 UTC(sockclock) *", "Nov 2");
	LINE(DAYTIME_NIST, 1803859200, true, &ok,
	     "61465 27-03-01 00:00:00 64 0 0   0.0 UTC(sockclock) *",
	     "2027-03-01, change on the 14th");
	LINE(DAYTIME_NIST, 1825502400, true, &ok,
	     "61715 27-11-06 12:00:00 02 0 0   0.0 UTC(sockclock) *",
	     "2027-11-06, change on the 7th");
}

static void test_nist_dst(void)
{
	static const struct {
		int y, m, d, want;
	} cases[] = {
		/* 2026: March 8 and November 1 */
		{ 2026, 1, 1, 0 },    { 2026, 2, 28, 0 },  { 2026, 3, 1, 58 },
		{ 2026, 3, 7, 52 },   { 2026, 3, 8, 51 },  { 2026, 3, 9, 50 },
		{ 2026, 3, 31, 50 },  { 2026, 4, 1, 50 },  { 2026, 7, 4, 50 },
		{ 2026, 10, 31, 50 }, { 2026, 11, 1, 1 },  { 2026, 11, 2, 0 },
		{ 2026, 11, 30, 0 },  { 2026, 12, 31, 0 },
		/* 2027: March 14 and November 7 */
		{ 2027, 3, 1, 64 },   { 2027, 3, 13, 52 }, { 2027, 3, 14, 51 },
		{ 2027, 3, 15, 50 },  { 2027, 11, 1, 7 },  { 2027, 11, 6, 2 },
		{ 2027, 11, 7, 1 },   { 2027, 11, 8, 0 },
		/* 2024 (leap year): March 10 and November 3 */
		{ 2024, 2, 29, 0 },   { 2024, 3, 1, 60 },  { 2024, 3, 10, 51 },
		{ 2024, 3, 11, 50 },  { 2024, 11, 1, 3 },  { 2024, 11, 3, 1 },
		{ 2024, 11, 4, 0 },
		/* 2100: March 14 and November 7 (2100-03-01 is a Monday) */
		{ 2100, 3, 1, 64 },   { 2100, 3, 14, 51 }, { 2100, 11, 7, 1 },
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_EQ(daytime_nist_dst(cases[i].y, cases[i].m, cases[i].d),
			 cases[i].want, "daytime_nist_dst(%d-%02d-%02d)",
			 cases[i].y, cases[i].m, cases[i].d);
}

static void test_parse_and_limits(void)
{
	static const struct {
		const char *name;
		enum daytime_format f;
	} names[] = {
		{ "ctime", DAYTIME_CTIME },	{ "xinetd", DAYTIME_XINETD },
		{ "rfc867", DAYTIME_RFC867 },	{ "rfc2822", DAYTIME_RFC2822 },
		{ "iso8601", DAYTIME_ISO8601 }, { "nist", DAYTIME_NIST },
	};
	for (size_t i = 0; i < N(names); i++) {
		enum daytime_format f = (enum daytime_format)99;
		CHECK(daytime_format_parse(names[i].name, &f) && f == names[i].f,
		      "format name %s", names[i].name);
		CHECK(strstr(daytime_format_names, names[i].name),
		      "%s listed in daytime_format_names", names[i].name);
	}
	const char *bad[] = { "", "CTIME", "iso", "nist ", "rfc", "utc" };
	for (size_t i = 0; i < N(bad); i++) {
		enum daytime_format f = DAYTIME_NIST;
		CHECK(!daytime_format_parse(bad[i], &f) && f == DAYTIME_NIST,
		      "bad format name '%s' refused, untouched", bad[i]);
	}
	/* An instant whose year does not fit an int: nothing, not garbage. */
	char buf[DAYTIME_MAX];
	enum daytime_format all[] = { DAYTIME_CTIME,   DAYTIME_XINETD,
				      DAYTIME_RFC867,  DAYTIME_RFC2822,
				      DAYTIME_ISO8601, DAYTIME_NIST };
	for (size_t i = 0; i < N(all); i++) {
		CHECK_EQ(daytime_format(buf, all[i], LLONG_MAX, true, NULL), 0,
			 "format %zu at LLONG_MAX", i);
		CHECK_EQ(daytime_format(buf, all[i], LLONG_MIN, false, NULL), 0,
			 "format %zu at LLONG_MIN", i);
	}
	/* The longest line of all: rfc867 in a long year still fits. */
	set_tz("UTC");
	size_t n = daytime_format(buf, DAYTIME_RFC867, 253402300799, true, NULL);
	CHECK_STR(n ? buf : "", "Friday, December 31, 9999 23:59:59-UTC\r\n",
		  "rfc867 in year 9999");
}

/* --format=+FORMAT: the line for fmt at t, or "" when refused or not
 * written; want_refused says which of the two the test expects. */
static const char *custom_line(const char *fmt, time_t t, bool utc)
{
	static char buf[DAYTIME_MAX + 8];
	struct daytime_custom c;
	if (daytime_custom_compile(&c, fmt, utc))
		return "(refused)";
	memset(buf, 'X', sizeof buf);
	size_t n = daytime_custom_format(buf, &c, t, utc);
	if (n == 0 || n >= DAYTIME_MAX || buf[n] != 0)
		return "(not written)";
	return buf;
}

#define CUSTOM(fmt, t, utc, want)                                            \
	do {                                                                 \
		char w_[DAYTIME_MAX];                                        \
		snprintf(w_, sizeof w_, "%s\r\n", want);                     \
		CHECK_STR(custom_line(fmt, t, utc), w_, "'%s' @%lld utc=%d", \
			  fmt, (long long)(t), utc);                         \
	} while (0)

/* Expected lines: `LC_ALL=C [TZ=...] date [-u] -d @N +FORMAT`. */
static void test_custom_lines(void)
{
	const char *guide = "%Y-%m-%d %H:%M:%S UTC", *week = "%G-W%V-%u";
	const char *zones[] = { "UTC", "Europe/Berlin", "America/New_York" };
	for (size_t z = 0; z < N(zones); z++) {
		set_tz(zones[z]);
		/* the guide's line */
		CUSTOM(guide, 1795362341, true, "2026-11-22 15:45:41 UTC");
		CUSTOM(guide, 1709210096, true, "2024-02-29 12:34:56 UTC");
		CUSTOM(guide, 253402300799, true, "9999-12-31 23:59:59 UTC");
		CUSTOM(guide, 2085978496, true, "2036-02-07 06:28:16 UTC");
		CUSTOM(guide, -2208988800, true, "1900-01-01 00:00:00 UTC");
		/* ISO week dates, across the turns of the year */
		CUSTOM(week, 1795362341, true, "2026-W47-7");
		CUSTOM(week, 1709210096, true, "2024-W09-4");
		CUSTOM(week, 1609459200, true, "2020-W53-5");
		CUSTOM(week, 1735560000, true, "2025-W01-1");
		CUSTOM(week, 253402300799, true, "9999-W52-5");
		/* the longest names: a Wednesday in September */
		CUSTOM("%A %B|%a %b|%^A %#B", 1790200000, true,
		       "Wednesday September|Wed Sep|WEDNESDAY SEPTEMBER");
		CUSTOM("%c|%D|%r|%Z %z", 1709210096, true,
		       "Thu Feb 29 12:34:56 2024|02/29/24|12:34:56 PM|UTC +0000");
		/* %s: the instant itself, whatever TZ (glibc's own %s would
		 * read a UTC tm back as local time) */
		CUSTOM("%s", 1795362341, true, "1795362341");
		CUSTOM("%s", 1795362341, false, "1795362341");
		CUSTOM("%s", 253402300799, true, "253402300799");
		CUSTOM("%s", -1, true, "-1");
		CUSTOM("%015s|%_12s|%-12s|%3s", 42, true,
		       "000000000000042|          42|          42| 42");
		CUSTOM("100%% %s", 0, false, "100% 0");
	}
	set_tz("Europe/Berlin");
	CUSTOM("%F %T %Z %z", 1790200000, false, "2026-09-23 23:46:40 CEST +0200");
	CUSTOM("%F %T %Z %z", 1795362341, false, "2026-11-22 16:45:41 CET +0100");
	CUSTOM("%c", 1709210096, false, "Thu Feb 29 13:34:56 2024");
	set_tz("America/New_York");
	CUSTOM("%F %T %Z %z|%s", 1795362341, false,
	       "2026-11-22 10:45:41 EST -0500|1795362341");
	/* A year beyond int: nothing, not garbage. */
	struct daytime_custom c;
	char buf[DAYTIME_MAX];
	CHECK(!daytime_custom_compile(&c, "%Y", true), "%%Y accepted");
	CHECK_EQ(daytime_custom_format(buf, &c, LLONG_MAX, true), 0, "LLONG_MAX");
	CHECK_EQ(daytime_custom_format(buf, &c, LLONG_MIN, false), 0, "LLONG_MIN");
}

/* Our %s against glibc's where glibc's is right (TZ=UTC0, a local tm):
 * the same bytes for every flag and width. */
static void test_custom_epoch_as_glibc(void)
{
	static const char *fmts[] = {
		"%s",	  "%15s",    "%_15s",  "%-15s",  "%015s",  "%_015s",
		"%0_15s", "%00015s", "%-015s", "%#^s",	 "%Es",	   "%Os",
		"%1s",	  "%2s",     "%_Es",   "%010Os", "a%sb%5s%%s",
		"%%%s%%", "%_3s",
	};
	static const time_t ts[] = { 0, -5, 7, 1795362341, 253402300799,
				     -62167219200, -2208988800 };
	set_tz("UTC0");
	for (size_t i = 0; i < N(fmts); i++)
		for (size_t j = 0; j < N(ts); j++) {
			char want[DAYTIME_MAX], layout[64];
			struct tm tm;
			localtime_r(&ts[j], &tm);
			snprintf(layout, sizeof layout, "%s\r\n", fmts[i]);
			strftime(want, sizeof want, layout, &tm);
			CHECK_STR(custom_line(fmts[i], ts[j], true), want,
				  "'%s' @%lld as glibc", fmts[i],
				  (long long)ts[j]);
		}
}

/* The conversions accepted are exactly those the linked strftime knows
 * (it copies an unknown one as it stands), but %n and %t. */
static void test_custom_known_as_glibc(void)
{
	set_tz("UTC0");
	time_t t = 1795362341;
	struct tm tm;
	localtime_r(&t, &tm);
	const char *mods[] = { "", "E", "O" };
	int known = 0;
	for (size_t m = 0; m < N(mods); m++)
		for (int ch = 0x21; ch < 0x7f; ch++) {
			if (!*mods[m] && strchr("_-0^#123456789EO", ch))
				continue; /* flags, widths, modifiers */
			char spec[8], out[64];
			snprintf(spec, sizeof spec, "%%%s%c", mods[m], ch);
			strftime(out, sizeof out, spec, &tm);
			bool glibc_knows = strcmp(out, spec) != 0;
			struct daytime_custom c;
			const char *why = daytime_custom_compile(&c, spec, true);
			if (ch == 'n' || ch == 't')
				CHECK(why && strstr(why, "printable ASCII"),
				      "'%s' refused as a control character", spec);
			else
				CHECK(!why == glibc_knows,
				      "'%s': glibc %s, we %s", spec,
				      glibc_knows ? "knows it" : "does not",
				      why ? why : "accept it");
			known += glibc_knows;
		}
	CHECK(known > 60, "%d conversions known", known);
}

/* Each bad class refused with its reason; *c untouched. */
static void test_custom_refused(void)
{
	static const struct {
		const char *fmt, *why;
	} bad[] = {
		{ "", "empty" },
		{ "%n", "line feed" },
		{ "a%tb", "tab" },
		{ "%10n", "line feed" },
		{ "a\tb", "control character (byte 0x09) at offset 1" },
		{ "\r", "control character (byte 0x0d)" },
		{ "x\x7f", "control character (byte 0x7f)" },
		{ "\x1b[1m%T", "control character (byte 0x1b) at offset 0" },
		{ "caf\xc3\xa9", "byte 0xc3 at offset 3 is not ASCII" },
		{ "%q", "'%q' is not a conversion strftime knows" },
		{ "%N", "'%N' is not a conversion" },
		{ "%:z", "'%:' is not a conversion" },
		{ "%+4Y", "'%+' is not a conversion" },
		{ "%Eb", "'%Eb' is not a conversion" },
		{ "%EOd", "'%EO' is not a conversion" },
		{ "%_5Ef", "'%_5Ef' is not a conversion" },
		{ "abc%", "'%' at the end" },
		{ "%-5", "'%-5' at the end" },
		{ "%200Y", "the line can be 200 characters long" },
		{ "%2147483648d", "over 1021 characters" },
	};
	for (size_t i = 0; i < N(bad); i++)
		for (int utc = 0; utc < 2; utc++) {
			struct daytime_custom c;
			memset(&c, 0x5a, sizeof c);
			const char *why = daytime_custom_compile(&c, bad[i].fmt, utc);
			CHECK(why && strstr(why, bad[i].why),
			      "'%s' refused: want '%s', got '%s'", bad[i].fmt,
			      bad[i].why, why ? why : "(accepted)");
			CHECK(c.layout[0] == 0x5a && c.layout[sizeof c.layout - 1] == 0x5a,
			      "'%s': untouched when refused", bad[i].fmt);
		}
	char fmt[DAYTIME_CUSTOM_FMT_MAX + 2];
	memset(fmt, 'x', sizeof fmt);
	fmt[DAYTIME_CUSTOM_FMT_MAX + 1] = 0;
	struct daytime_custom c;
	const char *why = daytime_custom_compile(&c, fmt, true);
	CHECK(why && strstr(why, "longer than 256"), "a 257-byte format: %s",
	      why ? why : "accepted");
}

/* filler: n 'x' after the conversion conv. */
static const char *padded(const char *conv, int n)
{
	static char f[DAYTIME_CUSTOM_FMT_MAX + 1];
	snprintf(f, sizeof f, "%s%.*s", conv, n,
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	return f;
}

/* The limit (157 before CR LF) holds against the longest case of each
 * conversion, not today's: September, Wednesday, a 6-letter zone
 * abbreviation (tzdata's longest) unless --utc, the seconds of 9999. */
static void test_custom_longest_case(void)
{
	static const struct {
		const char *conv;
		int longest_utc, longest_local;
	} cases[] = {
		{ "%B", 9, 9 },	    { "%A", 9, 9 },	 { "%^B%#A", 18, 18 },
		{ "%Z", 3, 6 },	    { "%-z", 2, 5 },	 { "%s", 12, 12 },
		{ "%-d%-m%-j", 7, 7 }, { "%Y%G", 8, 8 }, { "%c", 24, 24 },
		{ "%-U%-W%-V", 6, 6 }, { "%-H%-I%-k%-l", 8, 8 },
		{ "%B %A", 19, 19 }, /* "September Wednesday" */
		{ "%10B%-e", 12, 12 },
	};
	set_tz("Europe/Berlin");
	for (size_t i = 0; i < N(cases); i++)
		for (int utc = 0; utc < 2; utc++) {
			int longest = utc ? cases[i].longest_utc
					  : cases[i].longest_local;
			int room = DAYTIME_CUSTOM_MAX - longest;
			struct daytime_custom c;
			const char *f = padded(cases[i].conv, room);
			const char *why = daytime_custom_compile(&c, f, utc);
			CHECK(!why,
			      "%s + %d: fits (utc=%d): %s", cases[i].conv, room,
			      utc, why ? why : "");
			f = padded(cases[i].conv, room + 1);
			why = daytime_custom_compile(&c, f, utc);
			CHECK(why && strstr(why, "the line can be 158 characters"),
			      "%s + %d: too long (utc=%d): %s", cases[i].conv,
			      room + 1, utc, why ? why : "accepted");
		}
	/* A zone whose own names are longer than 6 letters: its names count. */
	set_tz("ABCDEFGH-1IJKLMNOPQ,M3.5.0,M10.5.0");
	struct daytime_custom c;
	CHECK(!daytime_custom_compile(&c, padded("%Z", 157 - 9), false),
	      "a 9-letter zone name fits with 148 more");
	CHECK(daytime_custom_compile(&c, padded("%Z", 157 - 8), false),
	      "a 9-letter zone name does not fit with 149 more");
}

int main(void)
{
	test_formats();
	test_nist();
	test_nist_dst();
	test_parse_and_limits();
	test_custom_lines();
	test_custom_epoch_as_glibc();
	test_custom_known_as_glibc();
	test_custom_refused();
	test_custom_longest_case();
	return check_summary();
}
