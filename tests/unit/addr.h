/* SPDX-License-Identifier: ISC */
/* addr.h: an AF_INET or AF_INET6 socket address from text, for the unit
 * tests of address predicates. One static buffer: use it before the
 * next call. */
#ifndef SOCKCLOCK_TEST_ADDR_H
#define SOCKCLOCK_TEST_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static inline const struct sockaddr *addr(const char *host, int port)
{
	static struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		fprintf(stderr, "test bug: bad address %s\n", host);
		abort();
	}
	return (const struct sockaddr *)&ss;
}

#endif
