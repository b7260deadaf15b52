/* SPDX-License-Identifier: ISC */
/* What the test tools (ntstool, mkeytool) share: one way to fail, and
 * hex arguments. TOOL names the tool in its messages. */
#ifndef SOCKCLOCK_TOOLDEFS_H
#define SOCKCLOCK_TOOLDEFS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", TOOL, what, why);
	return 1;
}

/* s as exactly n bytes of hex. */
static bool unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return false;
	return true;
}

#endif
