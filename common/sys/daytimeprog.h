/* SPDX-License-Identifier: ISC */
/* daytimeprog: what daytime-tcp and daytime-udp share: their options and
 * the line for "now". */
#ifndef SOCKCLOCK_DAYTIMEPROG_H
#define SOCKCLOCK_DAYTIMEPROG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "options.h"

/* The options and help of a Daytime program called name. */
struct opt_program dayprog_program(const char *name, const char *purpose,
				    bool datagram);
/* The line for the instant now, in the chosen format (DAYTIME_MAX). */
size_t dayprog_line(char *buf, time_t now);
/* By hand: print the line for now on standard output; exit code. */
int dayprog_print(void);

#endif
