/* SPDX-License-Identifier: ISC */
/* ntpacc: how accurate an NTP server's timestamps are, seen from a
 * client on the same host. The client stamps its own send (T1) and
 * receive (T4) with kernel software timestamps (SO_TIMESTAMPING from
 * the error queue; SO_TIMESTAMPNS on receive), so the only error left
 * is the server's. RFC 5905: offset = ((T2-T1)+(T3-T4))/2,
 * delay = (T4-T1)-(T3-T2).
 *   ntpacc [-x] HOST PORT COUNT INTERVAL_MS [SETTLE_MS]
 * -x: interleaved mode (RFC 9769 §2) as chrony's client asks for it:
 * each request carries the server's receive timestamp of the last reply
 * as its origin and this client's arrival stamp of it as its receive
 * field; an interleaved reply (origin = that receive field) gives the
 * server's true transmit time of the last reply, and the sample is the
 * last exchange's: T1 its kernel send stamp, T2 its reply's receive,
 * T3 the transmit time now given, T4 its reply's kernel arrival. The
 * figures are then those of the interleaved samples (warm_n of them;
 * the basic replies, the first ones, are not counted).
 * INTERVAL_MS: the gap between requests: N ms, or rN for a random gap
 * of 0 to N ms (0: back to back).
 * SETTLE_MS: wait that long after turning timestamps on before the
 * first request: Linux turns on arrival stamps for all sockets a moment
 * after the first socket asks (a deferred static key), so a request sent
 * at once may arrive unstamped where no other socket wanted stamps.
 * The first request is reported apart (cold: it may start the server).
 * NTPACC_RAW=FILE (environment): each counted sample's |offset|, delay
 * and signed offset (us) appended to FILE, a line each, for figures over several
 * runs taken in turns with another server's.
 * Prints: cold_offset_us cold_delay_us warm_n absoff_med_us
 *         absoff_p99_us delay_med_us tx_stamp(kernel|user) late
 * late: replies that break causality, counted over every request: a
 * transmit time T3 after the client's kernel receive stamp T4, or a
 * receive time T2 before the client's send T1. On one host (one clock,
 * loopback) neither can happen for a true timestamp. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTP_UNIX_OFFSET 2208988800LL

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void put_ntp(uint8_t *p, int64_t ns)
{
	uint32_t s = (uint32_t)(ns / 1000000000 + NTP_UNIX_OFFSET);
	uint32_t f = (uint32_t)(((uint64_t)(ns % 1000000000) << 32) / 1000000000u);
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(s >> (24 - 8 * i));
		p[4 + i] = (uint8_t)(f >> (24 - 8 * i));
	}
}

/* NTP 64-bit timestamp to Unix ns, in the era nearest to near_ns. */
static int64_t get_ntp(const uint8_t *p, int64_t near_ns)
{
	uint32_t s = 0, f = 0;
	for (int i = 0; i < 4; i++) {
		s = s << 8 | p[i];
		f = f << 8 | p[4 + i];
	}
	int64_t near_s = near_ns / 1000000000 + NTP_UNIX_OFFSET;
	int64_t sec = (near_s & ~0xffffffffLL) | s;
	if (sec - near_s > 0x7fffffffLL)
		sec -= 1LL << 32;
	else if (near_s - sec > 0x7fffffffLL)
		sec += 1LL << 32;
	return (sec - NTP_UNIX_OFFSET) * 1000000000 +
	       (int64_t)(((uint64_t)f * 1000000000u + (1u << 31)) >> 32);
}

static bool cmsg_time(struct msghdr *m, int64_t *ns)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(c), sizeof t);
			*ns = ts_ns(&t);
			return true;
		}
		if (c->cmsg_type == SCM_TIMESTAMPING) {
			struct timespec t[3];
			memcpy(t, CMSG_DATA(c), sizeof t);
			if (t[0].tv_sec || t[0].tv_nsec) {
				*ns = ts_ns(&t[0]);
				return true;
			}
		}
	}
	return false;
}

/* The kernel's transmit timestamp of the last datagram sent. */
static bool tx_stamp(int fd, int64_t *ns)
{
	for (int tries = 0; tries < 200; tries++) {
		char ctl[512];
		struct msghdr m = { .msg_control = ctl,
				    .msg_controllen = sizeof ctl };
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
			return cmsg_time(&m, ns);
		if (errno != EAGAIN)
			return false;
		struct pollfd p = { fd, 0, 0 };
		poll(&p, 1, 1); /* POLLERR is always reported */
	}
	return false;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int main(int argc, char **argv)
{
	bool xleave = argc > 1 && strcmp(argv[1], "-x") == 0;
	if (xleave) {
		argv++;
		argc--;
	}
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: ntpacc [-x] HOST PORT COUNT INTERVAL_MS [SETTLE_MS]\n");
		return 2;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	bool random_gap = argv[4][0] == 'r';
	int count = atoi(argv[3]), gap_ms = atoi(argv[4] + random_gap);
	if (count < 1 || count > 100000 || gap_ms < 0)
		return 2;
	srandom((unsigned)getpid());
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
		perror("ntpacc: socket");
		return 1;
	}
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		    SOF_TIMESTAMPING_OPT_TSONLY;
	bool kernel_tx = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags,
				    sizeof flags) == 0;

	if (argc == 6)
		usleep((useconds_t)atoi(argv[5]) * 1000);

	double *off = calloc((size_t)count, sizeof *off);
	double *del = calloc((size_t)count, sizeof *del);
	double *sgn = calloc((size_t)count, sizeof *sgn);
	double cold_off = NAN, cold_del = NAN;
	int n = 0, late = 0;
	/* -x: the last exchange: its T1, its reply's receive field as
	 * sent (T2) and its arrival (T4), as this client's NTP timestamp. */
	uint8_t prev_rec[8] = { 0 }, prev_t4_ntp[8] = { 0 };
	int64_t prev_t1 = 0, prev_t2 = 0, prev_t4 = 0;
	bool have_prev = false;
	for (int i = 0; i < count; i++) {
		if (i > 0 && gap_ms > 0)
			usleep(random_gap ? (useconds_t)(random() % (gap_ms * 1000 + 1)) :
					    (useconds_t)gap_ms * 1000);
		uint8_t req[48] = { 0x23 }, rep[128];
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t t1 = ts_ns(&now), t4;
		put_ntp(req + 40, t1);
		req[47] &= 0xfe; /* a transmit time: never equal to a receive */
		if (xleave && have_prev) {
			memcpy(req + 24, prev_rec, 8);
			memcpy(req + 32, prev_t4_ntp, 8);
			req[39] |= 1;
		}
		if (send(fd, req, sizeof req, 0) != sizeof req) {
			perror("ntpacc: send");
			return 1;
		}
		if (kernel_tx && !tx_stamp(fd, &t1))
			kernel_tx = false; /* fall back to the clock read */
		/* The first request may have to start the server. */
		struct pollfd p = { fd, POLLIN, 0 };
		bool got = false;
		while (!got && poll(&p, 1, i == 0 ? 3000 : 200) > 0) {
			char ctl[512];
			struct iovec iov = { rep, sizeof rep };
			struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
					    .msg_control = ctl,
					    .msg_controllen = sizeof ctl };
			ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT);
			if (r < 48 || (memcmp(rep + 24, req + 40, 8) != 0 &&
					(!xleave || !have_prev ||
					 memcmp(rep + 24, req + 32, 8) != 0)))
				continue; /* not ours (or an error queue entry) */
			if (!cmsg_time(&m, &t4)) {
				clock_gettime(CLOCK_REALTIME, &now);
				t4 = ts_ns(&now);
			}
			got = true;
		}
		if (!got) {
			fprintf(stderr, "ntpacc: request %d: no reply\n", i);
			if (i == 0)
				return 1;
			continue;
		}
		int64_t t2 = get_ntp(rep + 32, t1), t3 = get_ntp(rep + 40, t1);
		bool interleaved = xleave && have_prev &&
				   memcmp(rep + 24, req + 32, 8) == 0 &&
				   get64(rep + 24) != get64(req + 40);
		int64_t s1 = t1, s2 = t2, s4 = t4;
		if (xleave) {
			memcpy(prev_rec, rep + 32, 8);
			put_ntp(prev_t4_ntp, t4);
			int64_t c1 = t1, c2 = t2, c4 = t4;
			if (interleaved) { /* the last exchange, with its true T3 */
				s1 = prev_t1;
				s2 = prev_t2;
				s4 = prev_t4;
			}
			prev_t1 = c1;
			prev_t2 = c2;
			prev_t4 = c4;
			have_prev = true;
			if (!interleaved) {
				if (i == 0) {
					cold_off = ((double)(t2 - t1) + (double)(t3 - t4)) / 2e3;
					cold_del = ((double)(t4 - t1) - (double)(t3 - t2)) / 1e3;
				}
				continue; /* basic: not counted in -x */
			}
		}
		/* 1 ns of slack: the NTP fraction rounds to the nearest ns. */
		if (t3 > s4 + 1 || s2 + 1 < s1)
			late++;
		double o = ((double)(s2 - s1) + (double)(t3 - s4)) / 2e3;
		double d = ((double)(s4 - s1) - (double)(t3 - s2)) / 1e3;
		if (i == 0 && !xleave) {
			cold_off = o;
			cold_del = d;
		} else {
			off[n] = fabs(o);
			sgn[n] = o;
			del[n++] = d;
		}
	}
	const char *raw = getenv("NTPACC_RAW");
	FILE *rf = raw ? fopen(raw, "a") : NULL;
	if (raw && !rf) {
		perror(raw);
		return 1;
	}
	for (int i = 0; rf && i < n; i++)
		fprintf(rf, "%.3f %.3f %.3f\n", off[i], del[i], sgn[i]);
	if (rf && fclose(rf) != 0) {
		perror(raw);
		return 1;
	}
	qsort(off, (size_t)n, sizeof *off, cmp);
	qsort(del, (size_t)n, sizeof *del, cmp);
	if (n)
		printf("%.1f %.1f %d %.2f %.2f %.2f %s %d\n", cold_off, cold_del,
		       n, off[n / 2], off[n * 99 / 100], del[n / 2],
		       kernel_tx ? "kernel" : "user", late);
	else
		printf("%.1f %.1f 0 - - - %s %d\n", cold_off, cold_del,
		       kernel_tx ? "kernel" : "user", late);
	return 0;
}
