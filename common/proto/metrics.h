/* SPDX-License-Identifier: ISC */
/* metrics: a table of samples as the Prometheus text exposition format
 * (version 0.0.4): a # HELP and a # TYPE line for each metric, then its
 * samples, every one labelled with the program. Pure: the table comes
 * from the state file (statefmt.c), the text goes to a buffer. */
#ifndef SOCKCLOCK_METRICS_H
#define SOCKCLOCK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mtr_type { MTR_COUNTER, MTR_GAUGE };

struct mtr_sample {
	const char *name;	/* sockclock_..., _total for a counter */
	enum mtr_type type;
	const char *help;	/* one line, no backslash or newline */
	const char *label;	/* one more label's name, or NULL */
	const char *value_of;	/* its value (escaped here) */
	uint64_t count;		/* a counter's value */
	double gauge;		/* a gauge's value */
	const char *label2;	/* with label: a second one, or NULL */
	const char *value_of2;	/* its value */
};

/* The samples s[0..n) of program as text into buf (cap bytes, NUL
 * ended). The samples of one metric must be adjacent: HELP and TYPE
 * are written when the name changes. Returns the length written, or 0
 * when it does not fit (no truncated exposition: a scrape of half the
 * metrics would read as counters gone). */
size_t mtr_format(const char *program, const struct mtr_sample *s, size_t n,
		  char *buf, size_t cap);

/* value as a label value (backslash, double quote and newline escaped)
 * into buf; false when it does not fit. */
bool mtr_escape(const char *value, char *buf, size_t cap);

#endif
