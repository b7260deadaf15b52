/* dayserv: what daytime-tcp and daytime-udp share: their options and
 * the line for "now". */
#ifndef SOCKCLOCK_DAYSERV_H
#define SOCKCLOCK_DAYSERV_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "options.h"

/* The options and help of a Daytime program called name. */
struct opt_program dayserv_program(const char *name, const char *purpose,
				    bool datagram);
/* The line for the instant now, in the chosen format (DAYTIME_MAX). */
size_t dayserv_line(char *buf, time_t now);
/* By hand: print the line for now on standard output; exit code. */
int dayserv_print(void);

#endif
