/* SPDX-License-Identifier: ISC */
/* ntstool: the tests' hand on the NTS key file, through the code
 * sntp-udp and nts-ke-tcp use (common/proto/cookiekeys.c, common/proto/ntscookie.c).
 *   ntstool update FILE PERIOD      create when missing, rotate when due
 *                                   (PERIOD <= 0: rotate now)
 *   ntstool cookie FILE C2S S2C     a cookie (hex) for the two keys (hex)
 *                                   under the file's current key
 *   ntstool ids FILE                the key ids, next first
 * Exit 0, or 1 with the reason on standard error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/cookiekeyfile.h"
#include "proto/ntscookie.h"

#define TOOL "ntstool"
#include "tooldefs.h"

int main(int argc, char **argv)
{
	struct nts_keys ks;
	const char *why = "";
	if (argc == 4 && !strcmp(argv[1], "update")) {
		if (ckfile_update(argv[2], atof(argv[3]), INT64_MAX, &ks,
				   &why) != 0)
			return fail(argv[2], why);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "ids")) {
		if (ckfile_load(argv[2], &ks, &why) != 0)
			return fail(argv[2], why);
		for (int i = 0; i < CKEYS_SLOTS; i++)
			printf("%08x\n", ks.slot[i].id);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "cookie")) {
		uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN], nonce[16];
		uint8_t ck[NTS_COOKIE_LEN];
		if (!unhex(argv[3], c2s, sizeof c2s) ||
		    !unhex(argv[4], s2c, sizeof s2c))
			return fail("cookie", "keys: 64 hex digits each");
		if (ckfile_load(argv[2], &ks, &why) != 0)
			return fail(argv[2], why);
		if (!ckfile_random(nonce, sizeof nonce))
			return fail("cookie", "getrandom");
		ntscookie_seal(ckeys_current(&ks), nonce, c2s, s2c, ck);
		for (size_t i = 0; i < sizeof ck; i++)
			printf("%02x", ck[i]);
		putchar('\n');
		return 0;
	}
	fprintf(stderr, "usage: ntstool update FILE PERIOD | cookie FILE C2S S2C"
			" | ids FILE\n");
	return 2;
}
