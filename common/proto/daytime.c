/* SPDX-License-Identifier: ISC */
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

/* --format=+FORMAT. glibc's strftime copies a conversion it does not
 * know to the line as it stands, so the check below knows the
 * conversions itself: these are the ones glibc 2.36 knows, with no
 * modifier, after E and after O (the unit test compares them with the
 * strftime it is linked with). In the C locale E and O change nothing. */
static const char known_plain[] = "%ABCDFGHIMPRSTUVWXYZabcdeghjklmnprstuwxyz";
static const char known_e[] = "%CPRTXYZcnprstuxyz";
static const char known_o[] = "%BCGHIMPRSTUVWZbdeghjklmnprstuwyz";

/* One conversion as glibc reads it: '%', flags (_ - 0 ^ #), a width,
 * one modifier (E or O), the conversion character. */
struct spec {
	size_t len;	/* from the '%', conversion character included */
	char conv;	/* 0: the format ended first */
	char mod;	/* 'E', 'O' or 0 */
	char pad;	/* the last of '_', '-', '0'; or 0 */
	int width;	/* -1: none; saturates, far above any line */
};

static struct spec spec_read(const char *p)
{
	struct spec s = { .width = -1 };
	const char *q = p + 1;
	for (;; q++) {
		if (*q == '_' || *q == '-' || *q == '0')
			s.pad = *q;
		else if (*q != '^' && *q != '#')
			break;
	}
	if (*q >= '0' && *q <= '9')
		for (s.width = 0; *q >= '0' && *q <= '9'; q++)
			if (s.width < 1000000)
				s.width = s.width * 10 + (*q - '0');
	if (*q == 'E' || *q == 'O')
		s.mod = *q++;
	s.conv = *q;
	s.len = (size_t)(q - p) + (*q != 0);
	return s;
}

static bool spec_known(const struct spec *s)
{
	const char *set = s->mod == 'E' ? known_e :
			  s->mod == 'O' ? known_o : known_plain;
	return s->conv && strchr(set, s->conv);
}

/* glibc's %s reads the seconds back with mktime(), in the process's zone
 * whatever the tm says, which is wrong for --utc under another TZ; we
 * write them ourselves, as glibc lays them out: padded to the width
 * with zeros for the 0 flag, else spaces, before any sign. */
static size_t epoch_write(char *out, size_t cap, const struct spec *s,
			  time_t t)
{
	char digits[24];
	size_t nd = (size_t)snprintf(digits, sizeof digits, "%lld",
				     (long long)t);
	size_t w = s->width > 0 && (size_t)s->width > nd ? (size_t)s->width
							 : nd;
	if (w >= cap)
		return 0;
	memset(out, s->pad == '0' ? '0' : ' ', w - nd);
	memcpy(out + w - nd, digits, nd);
	return w;
}

/* The layout with every %s replaced by the seconds t. */
static bool epoch_substitute(char *out, size_t cap, const char *layout,
			     time_t t)
{
	size_t n = 0;
	for (const char *p = layout; *p;) {
		size_t k = 1, w;
		if (*p == '%') {
			struct spec s = spec_read(p);
			k = s.len;
			if (s.conv == 's') {
				if (!(w = epoch_write(out + n, cap - n, &s, t)))
					return false;
				n += w;
				p += k;
				continue;
			}
		}
		if (n + k >= cap)
			return false;
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	out[n] = 0;
	return true;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* The line for tm (t its seconds): one strftime. 0 if it does not fit
 * cap or holds a byte that is not printable ASCII (only a zone
 * abbreviation could bring one). */
static size_t custom_expand(char *buf, size_t cap,
			    const struct daytime_custom *c,
			    const struct tm *tm, time_t t)
{
	char with_epoch[sizeof c->layout + DAYTIME_MAX];
	const char *layout = c->layout;
	if (c->epoch) {
		if (!epoch_substitute(with_epoch, sizeof with_epoch, layout, t))
			return 0;
		layout = with_epoch;
	}
	size_t n = strftime(buf, cap, layout, tm);
	return n >= 2 && printable(buf, n - 2) ? n : 0;
}

size_t daytime_custom_format(char *buf, const struct daytime_custom *c,
			     time_t now, bool utc)
{
	struct tm tm;
	if (!(utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm)))
		return 0;
	if (utc)
		tm.tm_zone = "UTC"; /* gmtime says "GMT"; date -u says UTC */
	return custom_expand(buf, DAYTIME_MAX, c, &tm, now);
}

/* The zone's part of the longest case. tzdata's abbreviations have 3 to
 * 6 characters (zic warns beyond); a POSIX TZ string names its own,
 * which tzset leaves in tzname. Offsets: up to 24:59:59, as far as a
 * POSIX TZ string reaches. */
#define ZONE_LONGEST "ZZZZZZ"
#define OFFSET_WIDEST (-(24 * 3600 + 59 * 60 + 59))

static const char *check_layout(const char *fmt, bool *epoch, bool *zname)
{
	static char why[200];
	size_t len = strlen(fmt);

	if (len == 0)
		return "the format is empty";
	if (len > DAYTIME_CUSTOM_FMT_MAX) {
		snprintf(why, sizeof why,
			 "the format is longer than %d characters",
			 DAYTIME_CUSTOM_FMT_MAX);
		return why;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)fmt[i];
		if (b < 0x20 || b == 0x7f) {
			snprintf(why, sizeof why,
				 "a control character (byte 0x%02x) at offset %zu:"
				 " the line must be printable ASCII", b, i);
			return why;
		}
		if (b > 0x7f) {
			snprintf(why, sizeof why,
				 "byte 0x%02x at offset %zu is not ASCII:"
				 " the line must be printable ASCII", b, i);
			return why;
		}
	}
	*epoch = *zname = false;
	for (const char *p = fmt; (p = strchr(p, '%'));) {
		struct spec s = spec_read(p);
		if (!s.conv)
			snprintf(why, sizeof why,
				 "'%s' at the end is not a conversion", p);
		else if (s.conv == 'n' || s.conv == 't')
			snprintf(why, sizeof why,
				 "'%.*s' writes a %s: the line must be printable"
				 " ASCII", (int)s.len, p,
				 s.conv == 'n' ? "line feed" : "tab");
		else if (!spec_known(&s))
			snprintf(why, sizeof why,
				 "'%.*s' is not a conversion strftime knows",
				 (int)s.len, p);
		else {
			*epoch |= s.conv == 's';
			*zname |= s.conv == 'Z';
			p += s.len;
			continue;
		}
		return why;
	}
	return NULL;
}

/* The longest case: every month of the year 9999 (the longest year of
 * 1970-9999), days 22-28 of each (all seven weekdays; two-digit days,
 * weeks and day of the year wherever the month has them), 23:59:59
 * (two-digit hours in both clocks), with the zone's longest abbreviation
 * and widest offset. In the C locale each conversion is longest at one
 * of these instants, and they hold every pair of month and weekday. */
const char *daytime_custom_compile(struct daytime_custom *c, const char *fmt,
				   bool utc)
{
	static char why[200];
	struct daytime_custom t = { .epoch = false };
	bool zname;
	const char *bad = check_layout(fmt, &t.epoch, &zname);
	if (bad)
		return bad;
	snprintf(t.layout, sizeof t.layout, "%s\r\n", fmt);

	const char *zone = "UTC";
	long offset = 0;
	char line[1024];
	struct tm tm;
	if (!utc) {
		tzset();
		zone = ZONE_LONGEST;
		offset = OFFSET_WIDEST;
		for (int i = 0; i < 2 && zname; i++) {
			const char *z = tzname[i] ? tzname[i] : "";
			if (!printable(z, strlen(z))) {
				snprintf(why, sizeof why, "%%Z: the time zone's"
					 " name is not printable ASCII");
				return why;
			}
			if (strlen(z) > strlen(zone))
				zone = z;
		}
	}
	size_t longest = 0;
	struct tm at = { 0 };
	for (int m = 1; m <= 12; m++)
		for (int d = 22; d <= 28; d++) {
			time_t s = days_from_civil(9999, m, d) * 86400L + 86399;
			gmtime_r(&s, &tm);
			tm.tm_zone = zone;
			tm.tm_gmtoff = offset;
			size_t n = custom_expand(line, sizeof line, &t, &tm, s);
			if (n == 0) {
				snprintf(why, sizeof why,
					 "the line can be over %zu characters long;"
					 " the longest allowed is %d",
					 sizeof line - 3, DAYTIME_CUSTOM_MAX);
				return why;
			}
			if (n > longest) {
				longest = n;
				at = tm;
			}
		}
	if (longest - 2 > DAYTIME_CUSTOM_MAX) {
		char when[40];
		strftime(when, sizeof when, "%F %T, a %A", &at);
		snprintf(why, sizeof why,
			 "the line can be %zu characters long (%s); the longest"
			 " allowed is %d", longest - 2, when, DAYTIME_CUSTOM_MAX);
		return why;
	}
	*c = t;
	return NULL;
}
