/* SPDX-License-Identifier: ISC */
/* peer: address predicates and names. */
#include "srcaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int srcaddr_port(const struct sockaddr *sa)
{
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}

static bool ipv4_is_bad(uint32_t a)
{
	uint8_t top = a >> 24;
	return top == 0 || top == 255 || (top & 0xf0) == 224;
}

bool srcaddr_addr_is_bad(const struct sockaddr *sa)
{
	if (!sa)
		return true;
	if (sa->sa_family == AF_INET)
		return ipv4_is_bad(
			ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return true;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		uint32_t v4;
		memcpy(&v4, a->s6_addr + 12, 4);
		return ipv4_is_bad(ntohl(v4));
	}
	return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_MULTICAST(a);
}

bool srcaddr_is_loop_risk(const struct sockaddr *sa)
{
	int port = srcaddr_port(sa);
	/* Reserved ports hold the automatic responders (echo 7, discard 9,
	 * daytime 13, chargen 19, time 37, ...) and port 0; 2049 is NFS. */
	return port < 1024 || port == 2049 || srcaddr_addr_is_bad(sa);
}

bool srcaddr_source_key(const struct sockaddr *sa, uint8_t key[SRCADDR_KEY_LEN])
{
	memset(key, 0, SRCADDR_KEY_LEN);
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	/* IPv4-mapped: the whole address, as for IPv4; else the /64. */
	memcpy(key, a->s6_addr, IN6_IS_ADDR_V4MAPPED(a) ? SRCADDR_KEY_LEN : 8);
	return true;
}

bool srcaddr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       IN6_ARE_ADDR_EQUAL(&x->sin6_addr, &y->sin6_addr);
	}
	return false;
}

size_t srcaddr_self_target(const struct sockaddr *local,
			const struct sockaddr *peer,
			struct sockaddr_storage *out)
{
	memset(out, 0, sizeof *out);
	if (local->sa_family == AF_INET) {
		struct sockaddr_in *o = (struct sockaddr_in *)out;
		memcpy(o, local, sizeof *o);
		if (o->sin_addr.s_addr == htonl(INADDR_ANY))
			o->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof *o;
	}
	if (local->sa_family != AF_INET6)
		return 0;
	struct sockaddr_in6 *o = (struct sockaddr_in6 *)out;
	memcpy(o, local, sizeof *o);
	if (IN6_IS_ADDR_UNSPECIFIED(&o->sin6_addr)) {
		const struct sockaddr_in6 *p = (const void *)peer;
		static const uint8_t v4lo[16] = { [10] = 0xff, [11] = 0xff,
						  [12] = 127, [15] = 1 };
		if (peer && peer->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_V4MAPPED(&p->sin6_addr))
			memcpy(o->sin6_addr.s6_addr, v4lo, sizeof v4lo);
		else
			o->sin6_addr = in6addr_loopback;
		o->sin6_scope_id = 0;
	}
	o->sin6_flowinfo = 0;
	return sizeof *o;
}

void srcaddr_name(const struct sockaddr *sa, char buf[SRCADDR_NAME_MAX])
{
	char host[INET6_ADDRSTRLEN];
	int port = srcaddr_port(sa);

	if (port < 0) {
		strcpy(buf, "-");
	} else if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  host, sizeof host);
		snprintf(buf, SRCADDR_NAME_MAX, "%s:%d", host, port);
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  host, sizeof host);
		snprintf(buf, SRCADDR_NAME_MAX, "[%s]:%d", host, port);
	}
}
