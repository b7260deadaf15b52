/* SPDX-License-Identifier: ISC */
/* daytimeprog: what daytime-tcp and daytime-udp share: their options and
 * the line for "now". */
#ifndef SOCKCLOCK_DAYTIMEPROG_H
#define SOCKCLOCK_DAYTIMEPROG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "activation.h"
#include "options.h"

/* The options and help of a Daytime program called name. */
struct opt_program dayprog_program(const char *name, const char *purpose,
				    bool datagram);
/* daytime-udp, per activation: chronyd asked through the passed socket
 * where it can be (upstreamquery.h). daytime-tcp's stream socket cannot
 * carry the question: it asks from a socket of its own, which the
 * shipped units do not allow (then the kernel's word). */
void dayprog_begin(const struct act_sockets *a);
/* The line for the instant now, in the chosen format (DAYTIME_MAX). */
size_t dayprog_line(char *buf, time_t now);
/* By hand: print the line for now on standard output; exit code. */
int dayprog_print(void);

#endif
