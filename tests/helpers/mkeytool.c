/* SPDX-License-Identifier: ISC */
/* mkeytool: the tests' hand on an NTS master secret, through the code
 * nts-ke-tcp and sntp-udp use (common/proto/masterkey.c,
 * common/sys/masterkeyfile.c, common/proto/ntscookie.c): what another
 * host of the fleet would derive.
 *   mkeytool cookie FILE PERIOD C2S S2C [SHIFT]
 *       a cookie (hex) for the two keys (hex) under the key of the
 *       period SHIFT periods from now's (default 0)
 *   mkeytool id FILE PERIOD [SHIFT]   that key's id (8 hex digits)
 *   mkeytool fpr FILE                 the fingerprint
 * Exit 0, or 1 with the reason on standard error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proto/ntscookie.h"
#include "sys/masterkeyfile.h"

#define TOOL "mkeytool"
#include "tooldefs.h"

int main(int argc, char **argv)
{
	struct mkey m;
	const char *why = "";
	if (argc < 3 || mkfile_load(argv[2], &m, &why) != 0)
		return argc < 3 ? fail("usage", "mkeytool cookie|id|fpr FILE ...") :
				  fail(argv[2], why);
	if (argc == 3 && !strcmp(argv[1], "fpr")) {
		char hex[MKEY_FPR_HEX];
		mkey_fpr_hex(&m, hex);
		puts(hex);
		return 0;
	}
	if (argc < 4)
		return fail("usage", "a period");
	int64_t p = atoll(argv[3]);
	int shift_arg = !strcmp(argv[1], "cookie") ? 6 : 4;
	int64_t n = mkey_period((int64_t)time(NULL), p) +
		    (argc > shift_arg ? atoll(argv[shift_arg]) : 0);
	struct nts_master k;
	mkey_derive(&m, p, n, &k);
	if (!strcmp(argv[1], "id") && argc <= 5) {
		printf("%08x\n", k.id);
		return 0;
	}
	if (!strcmp(argv[1], "cookie") && argc >= 6 && argc <= 7) {
		uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN], nonce[16];
		uint8_t ck[NTS_COOKIE_LEN];
		if (!unhex(argv[4], c2s, sizeof c2s) ||
		    !unhex(argv[5], s2c, sizeof s2c))
			return fail("cookie", "keys: 64 hex digits each");
		if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce)
			return fail("cookie", "getrandom");
		ntscookie_seal(&k, nonce, c2s, s2c, ck);
		for (size_t i = 0; i < sizeof ck; i++)
			printf("%02x", ck[i]);
		putchar('\n');
		return 0;
	}
	return fail("usage", "mkeytool cookie FILE PERIOD C2S S2C [SHIFT] | "
			     "id FILE PERIOD [SHIFT] | fpr FILE");
}
