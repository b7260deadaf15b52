/* clock: what the kernel says of the system clock (read-only), and
 * kernel receive timestamps on datagram sockets. */
#ifndef SOCKCLOCK_CLOCK_H
#define SOCKCLOCK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct clk_state {
	bool synchronized;	/* STA_UNSYNC clear */
	int leap;		/* 0 none, 1 insert, 2 delete (armed) */
	double maxerror;	/* seconds: the kernel's maximum error */
};

/* Read the kernel's state with adjtimex(modes = 0), which needs no
 * privilege. False (state unsynchronised) when even that is refused. */
bool clk_state_read(struct clk_state *st);
/* The smallest step seen between clock readings, in nanoseconds. */
long clk_step_ns(void);
void clk_now(struct timespec *ts);

/* Ask for SO_TIMESTAMPNS on fd; says whether it was already on. */
bool clk_rx_timestamps_enable(int fd);
/* The SCM_TIMESTAMPNS control message of a received datagram. */
bool clk_rx_timestamp(struct msghdr *msg, struct timespec *ts);

#endif
