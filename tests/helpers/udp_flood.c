/* SPDX-License-Identifier: ISC */
/* udp_flood: send UDP datagrams to a loopback port as fast as one core
 * can, for a bounded time and count; count the replies that come back.
 *
 *   udp_flood PORT SECONDS MAX_COUNT [SRC_ADDR [DST_ADDR]]
 *
 * Sends 48-byte NTPv4 client requests (any UDP server accepts them as a
 * request) from SRC_ADDR (default 127.0.0.2) to DST_ADDR (default
 * 127.0.0.1), loopback only. Prints one line:
 *   sent=N seconds=S send_rate=R replies=M reply_rate=Q
 * Built by the tests themselves: cc -O2 -o udp_flood udp_flood.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int loopback(const char *s, struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, s, &sa->sin_addr) != 1)
		return -1;
	/* Never anything but 127.0.0.0/8. */
	return (ntohl(sa->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: udp_flood PORT SECONDS MAX_COUNT "
				"[SRC_ADDR [DST_ADDR]]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	double seconds = atof(argv[2]);
	long max = atol(argv[3]);
	struct sockaddr_in src, dst;
	if (loopback(argc > 4 ? argv[4] : "127.0.0.2", &src, 0) < 0 ||
	    loopback(argc > 5 ? argv[5] : "127.0.0.1", &dst, port) < 0 ||
	    port <= 0 || port > 65535 || seconds <= 0 || seconds > 60) {
		fprintf(stderr, "udp_flood: loopback addresses, a port, "
				"at most 60 s\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
		perror("udp_flood: socket");
		return 1;
	}

	uint8_t req[48] = { 0x23 }; /* LI 0, VN 4, mode 3 */
	struct iovec iov = { req, sizeof req };
	struct mmsghdr out[BATCH];
	for (int i = 0; i < BATCH; i++)
		out[i].msg_hdr = (struct msghdr){ .msg_name = &dst,
						  .msg_namelen = sizeof dst,
						  .msg_iov = &iov,
						  .msg_iovlen = 1 };
	static uint8_t rbuf[BATCH][512];
	struct iovec riov[BATCH];
	struct mmsghdr in[BATCH];
	for (int i = 0; i < BATCH; i++) {
		riov[i] = (struct iovec){ rbuf[i], sizeof rbuf[i] };
		in[i].msg_hdr = (struct msghdr){ .msg_iov = &riov[i],
						 .msg_iovlen = 1 };
	}

	long sent = 0, replies = 0;
	double t0 = now_s(), t = t0;
	uint32_t seq = 0;
	while (sent < max && (t = now_s()) - t0 < seconds) {
		/* A changing transmit timestamp, like real requests. */
		seq++;
		memcpy(req + 40, &seq, sizeof seq);
		unsigned n = (unsigned)(max - sent < BATCH ? max - sent : BATCH);
		int r = sendmmsg(fd, out, n, 0);
		if (r > 0)
			sent += r;
		else if (r < 0 && errno != EAGAIN && errno != ENOBUFS &&
			 errno != EINTR && errno != ECONNREFUSED) {
			perror("udp_flood: sendmmsg");
			return 1;
		}
		int k;
		while ((k = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL)) > 0)
			replies += k;
	}
	/* The last replies in flight. */
	double end = now_s() + 0.2;
	while (now_s() < end) {
		int k = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
		if (k > 0)
			replies += k;
		else
			usleep(1000);
	}
	double dt = t - t0 > 0 ? t - t0 : 1e-9;
	printf("sent=%ld seconds=%.2f send_rate=%.0f replies=%ld reply_rate=%.0f\n",
	       sent, dt, sent / dt, replies, replies / dt);
	return 0;
}
