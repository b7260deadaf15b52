/* SPDX-License-Identifier: ISC */
/* metrics: the Prometheus text exposition format. */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

bool mtr_escape(const char *value, char *buf, size_t cap)
{
	size_t n = 0;
	for (const char *p = value; *p; p++) {
		const char *e = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" :
			       *p == '\n' ? "\\n" : NULL;
		size_t k = e ? 2 : 1;
		if (n + k >= cap)
			return false;
		if (e)
			memcpy(buf + n, e, 2);
		else
			buf[n] = *p;
		n += k;
	}
	if (n >= cap)
		return false;
	buf[n] = 0;
	return true;
}

/* Append what fmt makes to buf at *n; false when it does not fit. */
#define PUT(...)                                                          \
	do {                                                              \
		int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);         \
		if (w_ < 0 || (size_t)w_ >= cap - n)                      \
			goto full;                                        \
		n += (size_t)w_;                                          \
	} while (0)

size_t mtr_format(const char *program, const struct mtr_sample *s, size_t k,
		  char *buf, size_t cap)
{
	size_t n = 0;
	char prog[64], val[160];
	if (cap == 0)
		return 0;
	buf[0] = 0;
	if (!mtr_escape(program, prog, sizeof prog))
		goto full;
	for (size_t i = 0; i < k; i++) {
		if (i == 0 || strcmp(s[i].name, s[i - 1].name) != 0) {
			/* The whole name, _total too: node_exporter's parser
			 * (Go's expfmt, format 0.0.4) takes the TYPE's name
			 * as the samples' own. */
			PUT("# HELP %s %s\n# TYPE %s %s\n", s[i].name,
			    s[i].help, s[i].name,
			    s[i].type == MTR_COUNTER ? "counter" : "gauge");
		}
		PUT("%s{program=\"%s\"", s[i].name, prog);
		if (s[i].label) {
			if (!mtr_escape(s[i].value_of ? s[i].value_of : "", val,
					sizeof val))
				goto full;
			PUT(",%s=\"%s\"", s[i].label, val);
		}
		if (s[i].label && s[i].label2) {
			if (!mtr_escape(s[i].value_of2 ? s[i].value_of2 : "",
					val, sizeof val))
				goto full;
			PUT(",%s=\"%s\"", s[i].label2, val);
		}
		if (s[i].type == MTR_COUNTER)
			PUT("} %llu\n", (unsigned long long)s[i].count);
		else
			PUT("} %.9g\n", s[i].gauge);
	}
	return n;
full:
	buf[0] = 0;
	return 0;
}
