/* SPDX-License-Identifier: ISC */
/* udpref: the reference a batching NTP responder is held to: receive
 * up to 32 requests with recvmmsg, answer each with a 48-byte reply
 * (mode 4, origin = the request's transmit time, receive and transmit
 * from the clock), send them with sendmmsg. No validation, no state.
 *   udpref PORT SECONDS   (exits after SECONDS, a bound for the bench) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define NTP_UNIX_OFFSET 2208988800u

static void put_ts(uint8_t *p, const struct timespec *t)
{
	uint32_t s = (uint32_t)((uint64_t)t->tv_sec + NTP_UNIX_OFFSET);
	uint32_t f = (uint32_t)(((uint64_t)t->tv_nsec << 32) / 1000000000u);
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(s >> (24 - 8 * i));
		p[4 + i] = (uint8_t)(f >> (24 - 8 * i));
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: udpref PORT SECONDS\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)atoi(argv[1])),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("udpref: bind");
		return 1;
	}
	alarm((unsigned)atoi(argv[2]));
	static uint8_t buf[BATCH][64], rep[BATCH][48];
	static struct sockaddr_in peer[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iin[i] = (struct iovec){ buf[i], sizeof buf[i] };
			in[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &peer[i], .msg_namelen = sizeof peer[i],
				.msg_iov = &iin[i], .msg_iovlen = 1 } };
		}
		int k = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (k <= 0)
			continue;
		struct timespec rx, tx;
		clock_gettime(CLOCK_REALTIME, &rx);
		int n = 0;
		for (int i = 0; i < k; i++) {
			if (in[i].msg_len < 48)
				continue;
			uint8_t *r = rep[n];
			memset(r, 0, 48);
			r[0] = (uint8_t)((buf[i][0] & 0x38) | 4);
			r[1] = 10;
			memcpy(r + 24, buf[i] + 40, 8);
			put_ts(r + 32, &rx);
			iout[n] = (struct iovec){ r, 48 };
			out[n] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &peer[i],
				.msg_namelen = in[i].msg_hdr.msg_namelen,
				.msg_iov = &iout[n], .msg_iovlen = 1 } };
			n++;
		}
		clock_gettime(CLOCK_REALTIME, &tx);
		for (int i = 0; i < n; i++)
			put_ts(rep[i] + 40, &tx);
		for (int s = 0; s < n;) {
			int r = sendmmsg(fd, out + s, (unsigned)(n - s), 0);
			s += r > 0 ? r : 1;
		}
	}
}
