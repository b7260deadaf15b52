/* daytime: formats of the Daytime line. Locale-free on purpose: the line
 * is a wire format, not a message to translate. */
#include "daytime.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum daytime_format f;
} formats[] = {
	{ "ctime", DAYTIME_CTIME },	{ "xinetd", DAYTIME_XINETD },
	{ "rfc867", DAYTIME_RFC867 },	{ "rfc2822", DAYTIME_RFC2822 },
	{ "iso8601", DAYTIME_ISO8601 }, { "nist", DAYTIME_NIST },
};

const char daytime_format_names[] =
	"ctime, xinetd, rfc867, rfc2822, iso8601, nist";

bool daytime_format_parse(const char *name, enum daytime_format *f)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(name, formats[i].name) == 0) {
			*f = formats[i].f;
			return true;
		}
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Day of the month of the n-th Sunday of y-m. */
static int nth_sunday(long y, int m, int n)
{
	long days = days_from_civil(y, m, 1);
	int wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	return 1 + (7 - wday) % 7 + 7 * (n - 1);
}

int daytime_nist_dst(long year, int month, int mday)
{
	/* US rules since 2007: DST from the second Sunday of March to the
	 * first Sunday of November. In the month of a change the code
	 * counts down day by day, reaching 51 (spring) or 1 (autumn) on
	 * the day of the change. */
	if (month == 3) {
		int change = nth_sunday(year, 3, 2);
		return mday <= change ? 51 + change - mday : 50;
	}
	if (month == 11) {
		int change = nth_sunday(year, 11, 1);
		return mday <= change ? 1 + change - mday : 0;
	}
	return month > 3 && month < 11 ? 50 : 0;
}

static int nist_line(char *buf, time_t now, const struct daytime_clock *clk)
{
	struct tm tm;
	if (!gmtime_r(&now, &tm))
		return -1;
	/* Modified Julian Date: days since 1858-11-17 = Unix day + 40587. */
	long long day = now / 86400 - (now % 86400 < 0);
	return snprintf(buf, DAYTIME_MAX,
			"%05lld %02d-%02d-%02d %02d:%02d:%02d %02d %d %d %5.1f "
			"UTC(sockclock) *\r\n",
			day + 40587, ((tm.tm_year % 100) + 100) % 100,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec,
			daytime_nist_dst(tm.tm_year + 1900L, tm.tm_mon + 1,
					 tm.tm_mday),
			clk ? clk->leap : 0, clk ? clk->health : 0, 0.0);
}

size_t daytime_format(char *buf, enum daytime_format f, time_t now, bool utc,
		      const struct daytime_clock *clk)
{
	struct tm tm;
	const char *layout;
	char tz[8] = "";

	if (f == DAYTIME_NIST) {
		int n = nist_line(buf, now, clk);
		return n > 0 && n < DAYTIME_MAX ? (size_t)n : 0;
	}
	if (!(utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm)))
		return 0;
	/* strftime in the C locale (sockclock never calls setlocale): the
	 * line is a wire format. gmtime names its zone "GMT"; we say UTC. */
	switch (f) {
	case DAYTIME_CTIME: /* asctime's layout, without its newline */
		layout = "%a %b %e %H:%M:%S %Y\r\n";
		break;
	case DAYTIME_XINETD: /* xinetd's builtin daytime */
		layout = utc ? "%d %^b %Y %H:%M:%S UTC\r\n"
			     : "%d %^b %Y %H:%M:%S %Z\r\n";
		break;
	case DAYTIME_RFC867: /* "Weekday, Month Day, Year Time-Zone" */
		layout = utc ? "%A, %B %-d, %Y %H:%M:%S-UTC\r\n"
			     : "%A, %B %-d, %Y %H:%M:%S-%Z\r\n";
		break;
	case DAYTIME_RFC2822:
		layout = "%a, %d %b %Y %H:%M:%S %z\r\n";
		break;
	case DAYTIME_ISO8601: {
		/* strftime has no "+hh:mm" conversion; build the suffix. */
		long off = utc ? 0 : tm.tm_gmtoff, a = off < 0 ? -off : off;
		if (utc)
			strcpy(tz, "Z");
		else
			snprintf(tz, sizeof tz, "%c%02ld:%02ld",
				 off < 0 ? '-' : '+', a / 3600 % 100,
				 a / 60 % 60);
		layout = "%Y-%m-%dT%H:%M:%S";
		break;
	}
	default:
		return 0;
	}
	size_t n = strftime(buf, DAYTIME_MAX - sizeof tz - 2, layout, &tm);
	if (n == 0)
		return 0;
	if (tz[0])
		n += (size_t)snprintf(buf + n, DAYTIME_MAX - n, "%s\r\n", tz);
	return n;
}
