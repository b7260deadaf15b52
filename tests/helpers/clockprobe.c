/* SPDX-License-Identifier: ISC */
/* clockprobe: may this process set the clock? Asks clock_adjtime for
 * ADJ_TICK with tick 0, which the kernel checks for CAP_SYS_TIME first
 * (EPERM) and then refuses as out of range (EINVAL): the call never
 * changes the clock, whoever runs it. Prints "EPERM" and exits 0 when
 * the clock cannot be set from here, else prints what happened and
 * exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

int main(void)
{
	struct timex t = { .modes = ADJ_TICK, .tick = 0 };

	if (clock_adjtime(CLOCK_REALTIME, &t) == -1 && errno == EPERM) {
		puts("EPERM");
		return 0;
	}
	printf("not EPERM: %s\n", strerror(errno));
	return 1;
}
