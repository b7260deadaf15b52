/* SPDX-License-Identifier: ISC */
/* Fuzz the Daytime formatter over any 64-bit time, every format, UTC or
 * a time zone from a small list, and any leap/health values.
 * Input: 8 bytes time_t, 1 format, 1 zone (0: --utc), 4 leap, 4 health.
 * Format 6 is --format=+FORMAT, of the harness's own choosing: 1 more
 * byte (bit 0: the rest of the input is the format as it stands, else
 * each byte is a literal or a conversion with flags, width, modifier;
 * bit 1: the time folded into 1970-9999, the years the check covers;
 * bit 2: --utc while TZ names the zone chosen, which glibc's own %s
 * would get wrong), 
 * then the format's bytes. */
#include <stdlib.h>
#include <string.h>

#include "../common/proto/daytime.h"
#include "input.h"

static const char *const zones[] = {
	NULL,				/* --utc */
	"UTC",
	"Europe/Paris",
	"America/New_York",
	"Australia/Lord_Howe",		/* half-hour DST */
	"Pacific/Chatham",		/* +12:45 / +13:45 */
	"America/St_Johns",		/* -03:30 */
	"Asia/Kathmandu",		/* +05:45 */
	"Pacific/Kiritimati",		/* +14 */
	"<-1259>12:59",			/* POSIX, far west */
	"<+2459>-24:59:59",		/* POSIX, beyond a day */
	"EST5EDT,M3.2.0,M11.1.0",
	"Nowhere/Such_Zone",		/* unknown: glibc falls back to UTC */
};
#define NZONES (sizeof zones / sizeof zones[0])

static const char *current;

static void zone(const char *tz)
{
	if (tz == current)
		return;
	setenv("TZ", tz, 1);
	tzset();
	current = tz;
}

/* Conversions glibc knows and a few it does not, for built formats. */
static const char convs[] = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%%qNfE:+";

/* A format from the input: each byte a literal or a conversion. */
static void build_format(struct input *in, char *f, size_t cap)
{
	size_t n = 0;
	while (in->left && n + 12 < cap) {
		unsigned b = (unsigned)take(in, 1);
		if (b < 0x60) { /* a literal, control characters included */
			f[n++] = (char)(b < 0x5f ? 0x20 + b : b - 0x40);
			continue;
		}
		f[n++] = '%';
		if (b & 0x10)
			f[n++] = "_-0^#"[(b >> 5) % 5];
		if (b & 0x08)
			n += (size_t)snprintf(f + n, cap - n, "%u",
					      (unsigned)take(in, 1) % 200);
		if (b & 0x04)
			f[n++] = b & 0x02 ? 'E' : 'O';
		f[n++] = convs[take(in, 1) % (sizeof convs - 1)];
	}
	f[n] = 0;
}

static int fuzz_custom(struct input *in, time_t now, bool utc)
{
	unsigned mode = (unsigned)take(in, 1);
	char fmt[DAYTIME_CUSTOM_FMT_MAX + 64];
	if (mode & 1) {
		size_t n = in->left < sizeof fmt - 1 ? in->left : sizeof fmt - 1;
		memcpy(fmt, in->p, n);
		fmt[n] = 0;
	} else {
		build_format(in, fmt, sizeof fmt);
	}
	if (mode & 2) /* 1970-01-01 to 9999-12-31 */
		now = (time_t)((uint64_t)now % 253402300800u);
	utc |= (mode & 4) != 0;

	struct daytime_custom c;
	memset(&c, 0xa5, sizeof c);
	const char *why = daytime_custom_compile(&c, fmt, utc);
	if (why) {
		CHECK(*why);
		CHECK(c.layout[0] == (char)0xa5); /* untouched */
		return 0;
	}
	size_t flen = strlen(fmt);
	CHECK(flen > 0 && flen <= DAYTIME_CUSTOM_FMT_MAX);
	CHECK(strcmp(c.layout + flen, "\r\n") == 0);

	char buf[DAYTIME_MAX + 16];
	memset(buf, 0xa5, sizeof buf);
	size_t n = daytime_custom_format(buf, &c, now, utc);
	struct tm tm;
	bool in_range = (utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm)) &&
			tm.tm_year >= 70 && tm.tm_year <= 9999 - 1900;
	/* The promise of the check: a format it takes is written at every
	 * instant of the years it covers, and never longer than the limit. */
	CHECK(n > 0 || !in_range);
	if (n == 0)
		return 0;
	CHECK(n >= 2 && n - 2 <= DAYTIME_CUSTOM_MAX && buf[n] == 0);
	CHECK(buf[n - 2] == '\r' && buf[n - 1] == '\n');
	for (size_t i = 0; i < n - 2; i++)
		CHECK(buf[i] >= 0x20 && buf[i] < 0x7f);
	char again[DAYTIME_MAX];
	CHECK(daytime_custom_format(again, &c, now, utc) == n);
	CHECK(memcmp(buf, again, n) == 0);
	/* Under TZ=UTC0 glibc's own strftime, %s included, is right for a
	 * UTC time: the line must be exactly its. */
	if (utc) {
		char want[DAYTIME_MAX];
		zone("UTC0");
		CHECK(localtime_r(&now, &tm));
		CHECK(strftime(want, sizeof want, c.layout, &tm) == n);
		CHECK(memcmp(buf, want, n) == 0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	time_t now = (time_t)(int64_t)take(&in, 8);
	unsigned f = (unsigned)(take(&in, 1) % 7);
	unsigned z = (unsigned)(take(&in, 1) % NZONES);
	struct daytime_clock clk = {
		.leap = (int)(int32_t)take(&in, 4),
		.health = (int)(int32_t)take(&in, 4),
	};
	bool utc = z == 0;
	zone(utc ? "UTC0" : zones[z]); /* UTC0: the oracle for format 6 */
	if (f == 6)
		return fuzz_custom(&in, now, utc);

	char buf[DAYTIME_MAX + 16];
	memset(buf, 0xa5, sizeof buf);
	size_t n = daytime_format(buf, (enum daytime_format)f, now, utc, &clk);
	if (n == 0)
		return 0;
	CHECK(n < DAYTIME_MAX);
	CHECK(n >= 3 && buf[n - 2] == '\r' && buf[n - 1] == '\n');
	for (size_t i = 0; i < n - 2; i++)
		CHECK(buf[i] >= 0x20 && buf[i] < 0x7f);	/* no NUL either */
	/* The same instant and format always give the same line. */
	char again[DAYTIME_MAX];
	CHECK(daytime_format(again, (enum daytime_format)f, now, utc, &clk) == n);
	CHECK(memcmp(buf, again, n) == 0);
	return 0;
}
