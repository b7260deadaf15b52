/* Fuzz the Daytime formatter over any 64-bit time, every format, UTC or
 * a time zone from a small list, and any leap/health values.
 * Input: 8 bytes time_t, 1 format, 1 zone (0: --utc), 4 leap, 4 health. */
#include <stdlib.h>
#include <string.h>

#include "../common/daytime.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	time_t now = (time_t)(int64_t)take(&in, 8);
	enum daytime_format f = (enum daytime_format)(take(&in, 1) % 6);
	unsigned z = (unsigned)(take(&in, 1) % NZONES);
	struct daytime_clock clk = {
		.leap = (int)(int32_t)take(&in, 4),
		.health = (int)(int32_t)take(&in, 4),
	};
	bool utc = z == 0;
	if (!utc)
		zone(zones[z]);

	char buf[DAYTIME_MAX + 16];
	memset(buf, 0xa5, sizeof buf);
	size_t n = daytime_format(buf, f, now, utc, &clk);
	if (n == 0)
		return 0;
	CHECK(n < DAYTIME_MAX);
	CHECK(n >= 3 && buf[n - 2] == '\r' && buf[n - 1] == '\n');
	for (size_t i = 0; i < n - 2; i++)
		CHECK(buf[i] >= 0x20 && buf[i] < 0x7f);	/* no NUL either */
	/* The same instant and format always give the same line. */
	char again[DAYTIME_MAX];
	CHECK(daytime_format(again, f, now, utc, &clk) == n);
	CHECK(memcmp(buf, again, n) == 0);
	return 0;
}
