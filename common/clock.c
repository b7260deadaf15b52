/* clock: adjtimex, clock step, kernel timestamps. */
#include "clock.h"

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
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

long clk_step_ns(void)
{
	/* Like chrony and ntpd: the precision is what reading the clock
	 * can resolve, not the resolution it claims. */
	long best = 1000000000;
	struct timespec a, b;
	clock_gettime(CLOCK_REALTIME, &a);
	for (int i = 0; i < 16; i++) {
		clock_gettime(CLOCK_REALTIME, &b);
		long d = (b.tv_sec - a.tv_sec) * 1000000000L +
			 (b.tv_nsec - a.tv_nsec);
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

#ifndef SOF_TIMESTAMPING_OPT_RX_FILTER
#define SOF_TIMESTAMPING_OPT_RX_FILTER (1 << 17) /* Linux 6.5 */
#endif

void clk_tx_enable(int fd, struct clk_tx *t)
{
	/* Report software stamps, without TSONLY's payload, and without
	 * adding SCM_TIMESTAMPING to every received datagram (RX_FILTER;
	 * older kernels refuse the flag and add it, harmlessly). */
	int f = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
	memset(t, 0, sizeof *t);
	int g = f | SOF_TIMESTAMPING_OPT_RX_FILTER;
	t->enabled = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &g, sizeof g) == 0 ||
		     setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof f) == 0;
}

size_t clk_tx_ask(struct clk_tx *t, const struct timespec *tx, void *buf)
{
	if (!t->enabled)
		return 0;
	unsigned n = t->sent++;
	if (t->pending && n - t->asked_at > 64)
		t->pending = false; /* its stamp never came */
	/* The first replies, then one in 16: enough to follow the path's
	 * delay, at one extra system call per sample. */
	if (t->pending || (n >= 8 && n % 16 != 0))
		return 0;
	struct cmsghdr *c = buf;
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPING;
	c->cmsg_len = CMSG_LEN(sizeof flags);
	memcpy(CMSG_DATA(c), &flags, sizeof flags);
	t->asked = *tx;
	t->asked_at = n;
	t->pending = true;
	return CLK_TX_CMSG_SPACE;
}

void clk_tx_collect(int fd, struct clk_tx *t)
{
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl;
	for (int i = 0; i < 8; i++) {
		struct msghdr m = { .msg_control = ctl.buf,
				    .msg_controllen = sizeof ctl.buf };
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c;
		     c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_TIMESTAMPING || !t->pending)
				continue;
			struct scm_timestamping st;
			memcpy(&st, CMSG_DATA(c), sizeof st);
			long d = (st.ts[0].tv_sec - t->asked.tv_sec) * 1000000000L +
				 (st.ts[0].tv_nsec - t->asked.tv_nsec);
			t->pending = false;
			/* The first reply of a process is slow (cold caches);
			 * a delay past 1 ms was queued: neither measures the
			 * path. */
			if (t->asked_at == 0 || d <= 0 || d > 1000000)
				continue;
			t->delay_ns[t->kept++ % CLK_TX_KEEP] = d;
		}
	}
}

struct timespec clk_tx_time(const struct clk_tx *t, const struct timespec *now)
{
	struct timespec tx = *now;
	if (t->kept < CLK_TX_MIN_SAMPLES)
		return tx;
	unsigned n = t->kept < CLK_TX_KEEP ? t->kept : CLK_TX_KEEP;
	/* The shortest delay seen: never claim a reply left later than it
	 * could have (a stamp after the client's receive would break the
	 * causality every NTP client relies on: |offset| <= delay / 2). */
	long least = t->delay_ns[0];
	for (unsigned i = 1; i < n; i++)
		if (t->delay_ns[i] < least)
			least = t->delay_ns[i];
	tx.tv_nsec += least;
	if (tx.tv_nsec >= 1000000000) {
		tx.tv_nsec -= 1000000000;
		tx.tv_sec++;
	}
	return tx;
}
