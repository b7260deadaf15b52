/* SPDX-License-Identifier: ISC */
/* fakeclock: an LD_PRELOAD seam over adjtimex(2) for the tests only,
 * so that both clock states (and a refused read) are tested on every
 * host, whatever its own clock says. SOCKCLOCK_FAKE_CLOCK:
 *   sync    synchronised, maximum error 2500 us, no leap second
 *   leap    synchronised, a leap second armed (insert)
 *   unsync  unsynchronised (STA_UNSYNC, TIME_ERROR)
 *   fail    the read is refused (EPERM)
 * unset: the real adjtimex. Used with dynamically linked programs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

int adjtimex(struct timex *t)
{
	const char *m = getenv("SOCKCLOCK_FAKE_CLOCK");
	if (!m) {
		int (*real)(struct timex *) =
			(int (*)(struct timex *))dlsym(RTLD_NEXT, "adjtimex");
		return real ? real(t) : -1;
	}
	if (strcmp(m, "fail") == 0) {
		errno = EPERM;
		return -1;
	}
	memset(t, 0, sizeof *t);
	t->maxerror = 2500;
	t->esterror = 100;
	if (strcmp(m, "unsync") == 0) {
		t->status = STA_UNSYNC;
		t->maxerror = 16000000;
		return TIME_ERROR;
	}
	t->status = STA_PLL;
	if (strcmp(m, "leap") == 0) {
		t->status |= STA_INS;
		return TIME_INS;
	}
	return TIME_OK;
}
