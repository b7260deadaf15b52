/* SPDX-License-Identifier: ISC */
/* clock: adjtimex, clock step, kernel timestamps. */
#include "clock.h"

#include <string.h>
#include <sys/timex.h>

bool clk_state_read(struct ntp_kernel_clock *st)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx); /* modes 0: read only */
	int r = adjtimex(&tx);
	if (r < 0) {
		*st = (struct ntp_kernel_clock){ .synchronized = false, .maxerror = 16 };
		return false;
	}
	st->synchronized = !(tx.status & STA_UNSYNC) && r != TIME_ERROR;
	st->leap = tx.status & STA_INS ? 1 : tx.status & STA_DEL ? 2 : 0;
	st->maxerror = tx.maxerror / 1e6;
	return true;
}

int64_t clk_ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 +
	       (b->tv_nsec - a->tv_nsec);
}

long clk_step_ns(void)
{
	/* Like chrony and ntpd: the precision is what reading the clock
	 * can resolve, not the resolution it claims. */
	long best = 1000000000;
	struct timespec a, b;
	clock_gettime(CLOCK_REALTIME, &a);
	for (int i = 0; i < 16; i++) {
		clock_gettime(CLOCK_REALTIME, &b);
		int64_t d = clk_ns_between(&a, &b);
		if (d > 0 && d < best)
			best = d;
		a = b;
	}
	return best;
}

void clk_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int64_t clk_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clk_ms(double seconds)
{
	return (int64_t)(seconds * 1000.0 + 0.5);
}

bool clk_rx_timestamps_enable(int fd)
{
	int on = 0;
	socklen_t len = sizeof on;
	if (getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, &len) == 0 && on)
		return true;
	on = 1;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
	return false;
}

bool clk_rx_timestamp(struct msghdr *msg, struct timespec *ts)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(ts, CMSG_DATA(c), sizeof *ts);
			return true;
		}
	return false;
}
