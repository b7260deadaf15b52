/* SPDX-License-Identifier: ISC */
/* daytime: the reply line of the Daytime protocol (RFC 867). Pure. */
#ifndef SOCKCLOCK_DAYTIME_H
#define SOCKCLOCK_DAYTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum daytime_format {
	DAYTIME_CTIME,
	DAYTIME_XINETD,
	DAYTIME_RFC867,
	DAYTIME_RFC2822,
	DAYTIME_ISO8601,
	DAYTIME_NIST,
};

/* Room for any line, whatever the year. */
#define DAYTIME_MAX 160

bool daytime_format_parse(const char *name, enum daytime_format *f);
/* The names, separated by ", ", for help and errors. */
extern const char daytime_format_names[];

/* What the NIST layout reports besides the time. */
struct daytime_clock {
	int leap;	/* 0 none, 1 insert, 2 delete at the end of the month */
	int health;	/* 0 healthy */
};

/* Write the line for now, CR LF included, into buf (DAYTIME_MAX bytes).
 * Local time follows TZ unless utc. Returns its length, 0 when the
 * instant cannot be broken down (a year beyond int). */
size_t daytime_format(char *buf, enum daytime_format f, time_t now, bool utc,
		      const struct daytime_clock *clk);

/* A format of the administrator's own, as date(1) takes it after its '+':
 * an strftime(3) layout in the C locale. Checked once by
 * daytime_custom_compile; each line is then one strftime call. */
#define DAYTIME_CUSTOM_MAX (DAYTIME_MAX - 3)	/* expansion, before CR LF */
#define DAYTIME_CUSTOM_FMT_MAX 256		/* the format itself */

struct daytime_custom {
	char layout[DAYTIME_CUSTOM_FMT_MAX + 3];	/* FORMAT, CR LF, NUL */
	bool epoch;	/* has %s: written by us, not by strftime's mktime */
};

/* Check fmt for the line in UTC (utc) or in the zone TZ names now (read
 * with tzset); on success fill *c and return NULL, else return why it is
 * refused (a message in a static buffer). Refused: an empty format, one
 * longer than DAYTIME_CUSTOM_FMT_MAX, a byte that is not printable ASCII,
 * %n and %t, a conversion glibc's strftime does not know, and any format
 * whose longest expansion (see daytime.c) exceeds DAYTIME_CUSTOM_MAX. */
const char *daytime_custom_compile(struct daytime_custom *c, const char *fmt,
				   bool utc);
/* The line for now, CR LF included, into buf (DAYTIME_MAX bytes); its
 * length, or 0 when it cannot be written (a year beyond int, or the
 * expansion does not fit: only outside the years the check covers). */
size_t daytime_custom_format(char *buf, const struct daytime_custom *c,
			     time_t now, bool utc);

/* NIST's TT code: US daylight saving on the UTC date y-m-d. */
int daytime_nist_dst(long year, int month, int mday);

#endif
