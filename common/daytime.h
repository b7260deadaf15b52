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

/* NIST's TT code: US daylight saving on the UTC date y-m-d. */
int daytime_nist_dst(long year, int month, int mday);

#endif
