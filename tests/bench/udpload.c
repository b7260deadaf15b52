/* SPDX-License-Identifier: ISC */
/* udpload: NTP client requests per second with a window outstanding.
 *   udpload HOST PORT WINDOW SECONDS
 * Keeps WINDOW mode-3 requests in flight (a reply releases a slot; a
 * window that stays silent for 20 ms counts as lost and is resent).
 * Prints: replies rps rtt_p50_us rtt_p99_us lost. With UDPLOAD_STRATUM=N
 * a reply counts only when its stratum is N (the header is the one the
 * server must give); the others are said on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "udpclient.h"

#define MAXW 256
#define SLOTS 65536
#define MAX_SAMPLES 2000000

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static uint8_t req[MAXW][48], rep[MAXW][64];
static double sent_at[SLOTS];
static float rtt[MAX_SAMPLES];

static void put_seq(uint8_t *p, uint32_t seq)
{
	memset(p, 0, 48);
	p[0] = 0x23; /* LI 0, VN 4, mode 3 */
	/* The transmit timestamp carries a sequence number; the server
	 * copies it into the origin field of its reply. */
	p[40] = 0xe0;
	p[44] = (uint8_t)(seq >> 24);
	p[45] = (uint8_t)(seq >> 16);
	p[46] = (uint8_t)(seq >> 8);
	p[47] = (uint8_t)seq;
}

static uint32_t get_seq(const uint8_t *p)
{
	return (uint32_t)p[28] << 24 | (uint32_t)p[29] << 16 |
	       (uint32_t)p[30] << 8 | p[31];
}

int main(int argc, char **argv)
{
	int win;
	double secs;
	if (!window_args(argc, argv, MAXW, "udpload HOST PORT WINDOW SECONDS",
			 &win, &secs))
		return 2;
	int fd = udp_client(argv[1], argv[2], "udpload");
	if (fd < 0)
		return 1;

	struct mmsghdr out[MAXW], in[MAXW];
	struct iovec oiov[MAXW], iiov[MAXW];
	window_init(out, oiov, iiov, req[0], sizeof req[0], 48, rep[0],
		    sizeof rep[0], MAXW);
	uint32_t seq = 1;
	long replies = 0, lost = 0, ns = 0, wrong = 0;
	const char *ws = getenv("UDPLOAD_STRATUM");
	int want_stratum = ws ? atoi(ws) : -1;
	int outstanding = 0;
	double t0 = now_us(), end = t0 + secs * 1e6;
	for (;;) {
		double t = now_us();
		if (t >= end)
			break;
		int want = win - outstanding;
		for (int i = 0; i < want; i++) {
			put_seq(req[i], seq);
			sent_at[seq % SLOTS] = t;
			seq++;
		}
		outstanding += send_window(fd, out, want);
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 20) <= 0) {
			lost += outstanding;
			outstanding = 0;
			continue;
		}
		int k = recv_window(fd, in, iiov, win);
		if (k <= 0)
			continue;
		double tr = now_us();
		for (int i = 0; i < k; i++) {
			if (in[i].msg_len < 48)
				continue;
			uint32_t s = get_seq(rep[i]);
			if (s == 0 || s >= seq || seq - s > SLOTS)
				continue;
			if (want_stratum >= 0 && rep[i][1] != want_stratum) {
				wrong++;
				if (outstanding > 0)
					outstanding--;
				continue;
			}
			replies++;
			if (outstanding > 0)
				outstanding--;
			if (ns < MAX_SAMPLES)
				rtt[ns++] = (float)(tr - sent_at[s % SLOTS]);
		}
	}
	double elapsed = (now_us() - t0) / 1e6;
	qsort(rtt, (size_t)ns, sizeof(float), cmp);
	printf("%ld %.0f %.1f %.1f %ld\n", replies, replies / elapsed,
	       ns ? rtt[ns / 2] : 0.0, ns ? rtt[ns * 99 / 100] : 0.0, lost);
	if (wrong)
		fprintf(stderr, "udpload: %ld replies not of stratum %d, not counted\n",
			wrong, want_stratum);
	return 0;
}
