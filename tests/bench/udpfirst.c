/* SPDX-License-Identifier: ISC */
/* udpfirst: the time from one datagram to its reply, for the request
 * that starts a socket-activated UDP server.
 *   udpfirst HOST PORT ntp|daytime [TIMEOUT_S]
 * Sends one NTPv4 client request (ntp) or a one-byte datagram (daytime),
 * waits for the reply. Prints: microseconds, or "lost". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: udpfirst HOST PORT ntp|daytime [TIMEOUT_S]\n");
		return 2;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET };
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	unsigned char req[48] = { 0 };
	size_t len;
	if (strcmp(argv[3], "ntp") == 0) {
		req[0] = 0x23; /* LI 0, version 4, mode 3 */
		req[40] = 0x5a; /* a transmit timestamp, so it is not all zero */
		len = sizeof req;
	} else if (strcmp(argv[3], "daytime") == 0) {
		req[0] = '\n';
		len = 1;
	} else {
		return 2;
	}
	int timeout_ms = (argc == 5 ? atoi(argv[4]) : 5) * 1000;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
		perror("udpfirst");
		return 1;
	}
	double t0 = now_us();
	if (send(fd, req, len, 0) != (ssize_t)len) {
		perror("udpfirst: send");
		return 1;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char buf[512];
	if (poll(&p, 1, timeout_ms) == 1 && recv(fd, buf, sizeof buf, 0) > 0) {
		printf("%.0f\n", now_us() - t0);
		return 0;
	}
	printf("lost\n");
	return 1;
}
