/* SPDX-License-Identifier: ISC */
/* clock: what the kernel says of the system clock (read-only), and
 * kernel receive timestamps on datagram sockets. */
#ifndef SOCKCLOCK_CLOCK_H
#define SOCKCLOCK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "../proto/ntp.h"


/* Read the kernel's state with adjtimex(modes = 0), which needs no
 * privilege. False (state unsynchronised) when even that is refused. */
bool clk_state_read(struct ntp_kernel_clock *st);
/* The smallest step seen between clock readings, in nanoseconds. */
long clk_step_ns(void);
void clk_now(struct timespec *ts);
/* The monotonic clock in milliseconds (deadlines, idle timers). */
int64_t clk_mono_ms(void);
/* b - a in nanoseconds. */
int64_t clk_ns_between(const struct timespec *a, const struct timespec *b);
/* Seconds (an option's value) as whole milliseconds, rounded. */
int64_t clk_ms(double seconds);

/* Ask for SO_TIMESTAMPNS on fd; says whether it was already on. */
bool clk_rx_timestamps_enable(int fd);
/* The SCM_TIMESTAMPNS control message of a received datagram. */
bool clk_rx_timestamp(struct msghdr *msg, struct timespec *ts);

#endif
