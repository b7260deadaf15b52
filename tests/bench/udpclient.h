/* SPDX-License-Identifier: ISC */
/* udpclient: what the bench's UDP load clients (udpload, ntsload)
 * share: a connected socket with room for a window of replies, the
 * window sent, and the replies read in a batch. */
#ifndef SOCKCLOCK_BENCH_UDPCLIENT_H
#define SOCKCLOCK_BENCH_UDPCLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* A UDP socket connected to HOST (IPv4) PORT; -1, said as who, if not. */
static int udp_client(const char *host, const char *port, const char *who)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)atoi(port)) };
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
		fprintf(stderr, "%s: %s is not an IPv4 address\n", who, host);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
		fprintf(stderr, "%s: socket: %m\n", who);
		return -1;
	}
	int big = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	return fd;
}

/* HOST PORT WINDOW SECONDS: WINDOW 1 to maxw, SECONDS over 0; false,
 * with the usage said, if not. */
static int window_args(int argc, char **argv, int maxw, const char *usage,
		       int *win, double *secs)
{
	if (argc == 5) {
		*win = atoi(argv[3]);
		*secs = atof(argv[4]);
		if (*win >= 1 && *win <= maxw && *secs > 0)
			return 1;
	}
	fprintf(stderr, "usage: %s\n", usage);
	return 0;
}

/* n requests of req_len bytes at req, one every req_stride, to send
 * from out/oiov; replies read into rep (rep_stride each) via iiov. */
static void window_init(struct mmsghdr *out, struct iovec *oiov,
			struct iovec *iiov, uint8_t *req, size_t req_stride,
			size_t req_len, uint8_t *rep, size_t rep_stride, int n)
{
	for (int i = 0; i < n; i++) {
		oiov[i] = (struct iovec){ req + i * req_stride, req_len };
		out[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &oiov[i],
							.msg_iovlen = 1 } };
		iiov[i] = (struct iovec){ rep + i * rep_stride, rep_stride };
	}
}

/* Send out[0..n); how many went. */
static int send_window(int fd, struct mmsghdr *out, int n)
{
	int done = 0;
	while (done < n) {
		int r = sendmmsg(fd, out + done, (unsigned)(n - done), 0);
		if (r <= 0)
			break;
		done += r;
	}
	return done;
}

/* Read up to n waiting replies into iov[0..n), without waiting. */
static int recv_window(int fd, struct mmsghdr *in, struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++)
		in[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
						       .msg_iovlen = 1 } };
	return recvmmsg(fd, in, (unsigned)n, MSG_DONTWAIT, NULL);
}

#endif
