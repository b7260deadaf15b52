/* SPDX-License-Identifier: ISC */
/* check.h: the whole unit-test harness. CHECK(cond, fmt, ...) records a
 * pass or a failure (with file:line and a message); check_summary()
 * prints "N passed, N failed" and gives the exit code. */
#ifndef SOCKCLOCK_CHECK_H
#define SOCKCLOCK_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

__attribute__((format(printf, 4, 5))) static inline void
check_record(int ok, const char *file, int line, const char *fmt, ...)
{
	if (ok) {
		check_passed++;
		return;
	}
	check_failed++;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond, ...) check_record(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Strings, with both shown on failure (CR LF made visible). */
static inline const char *check_vis(const char *s, char *buf, size_t cap)
{
	size_t n = 0;
	for (; s && *s && n + 5 < cap; s++) {
		if (*s == '\r')
			n += (size_t)snprintf(buf + n, cap - n, "\\r");
		else if (*s == '\n')
			n += (size_t)snprintf(buf + n, cap - n, "\\n");
		else
			buf[n++] = *s;
	}
	buf[n] = 0;
	return s ? buf : "(null)";
}

#define CHECK_STR(got, want, ...)                                          \
	do {                                                               \
		const char *check_g_ = (got), *check_w_ = (want);          \
		char check_b1_[512], check_b2_[512], check_m_[256];        \
		snprintf(check_m_, sizeof check_m_, __VA_ARGS__);          \
		CHECK(check_g_ && check_w_ && !strcmp(check_g_, check_w_), \
		      "%s: got \"%s\", want \"%s\"", check_m_,             \
		      check_vis(check_g_, check_b1_, sizeof check_b1_),    \
		      check_vis(check_w_, check_b2_, sizeof check_b2_));   \
	} while (0)

#define CHECK_EQ(got, want, ...)                                           \
	do {                                                               \
		long long check_g_ = (long long)(got),                     \
			  check_w_ = (long long)(want);                    \
		char check_m_[256];                                        \
		snprintf(check_m_, sizeof check_m_, __VA_ARGS__);          \
		CHECK(check_g_ == check_w_, "%s: got %lld (0x%llx), want %lld (0x%llx)", \
		      check_m_, check_g_, (unsigned long long)check_g_,    \
		      check_w_, (unsigned long long)check_w_);             \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0 || check_passed == 0;
}

#endif
