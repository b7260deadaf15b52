/* clock: what the kernel says of the system clock (read-only), and
 * kernel receive timestamps on datagram sockets. */
#ifndef SOCKCLOCK_CLOCK_H
#define SOCKCLOCK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "ntp.h"


/* Read the kernel's state with adjtimex(modes = 0), which needs no
 * privilege. False (state unsynchronised) when even that is refused. */
bool clk_state_read(struct ntp_kernel_clock *st);
/* The smallest step seen between clock readings, in nanoseconds. */
long clk_step_ns(void);
void clk_now(struct timespec *ts);

/* Ask for SO_TIMESTAMPNS on fd; says whether it was already on. */
bool clk_rx_timestamps_enable(int fd);
/* The SCM_TIMESTAMPNS control message of a received datagram. */
bool clk_rx_timestamp(struct msghdr *msg, struct timespec *ts);

/* Transmit-time compensation. The transmit timestamp is read just before
 * the send system call, but a reply leaves (where the kernel stamps
 * sent packets, as a client's kernel stamps its request) some
 * microseconds later, an asymmetry every client would see as offset.
 * Some replies ask the kernel for their software transmit timestamp;
 * the median of the last few delays is added to later transmit stamps. */
#define CLK_TX_KEEP 8
struct clk_tx {
	bool enabled;
	unsigned sent;		/* batches of replies so far */
	unsigned kept;		/* delays measured so far */
	long delay_ns[CLK_TX_KEEP];	/* the last ones */
	struct timespec asked;	/* the stamp of the reply in flight */
	unsigned asked_at;	/* sent, when it was asked */
	bool pending;
};
/* Ask for software transmit timestamps on fd (reported, not generated:
 * replies ask one by one). */
void clk_tx_enable(int fd, struct clk_tx *t);
/* Whether the next reply should carry a request for its timestamp; if
 * so, writes that control message at cmsg (CLK_TX_CMSG_SPACE bytes). */
#define CLK_TX_CMSG_SPACE CMSG_SPACE(sizeof(int))
/* Delays seen before any is trusted: one slow send must not push
 * transmit stamps past the reply's real departure. */
#define CLK_TX_MIN_SAMPLES 4
size_t clk_tx_ask(struct clk_tx *t, const struct timespec *tx, void *cmsg);
/* Read the kernel's transmit timestamps waiting on fd's error queue. */
void clk_tx_collect(int fd, struct clk_tx *t);
/* The transmit time to write for a reply about to be sent at now. */
struct timespec clk_tx_time(const struct clk_tx *t, const struct timespec *now);

#endif
