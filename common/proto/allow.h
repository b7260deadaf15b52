/* SPDX-License-Identifier: ISC */
/* allow: who may ask the datagram programs (--allow=CIDR[,CIDR...]),
 * checked on every datagram. xinetd's only_from sees only the datagram
 * that starts a wait = yes program; this list sees all of them. The
 * parsing and matching are pure; the process's own list sits behind
 * allow_add and allow_peer. */
#ifndef SOCKCLOCK_ALLOW_H
#define SOCKCLOCK_ALLOW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define ALLOW_MAX 64	/* networks in one list */

struct allow_net {
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
	uint8_t bits;		/* prefix length */
	bool v4;
};

struct allow_list {
	unsigned n;		/* 0: no list, every source may ask */
	struct allow_net net[ALLOW_MAX];
};

/* Add the comma-separated networks of spec to l: "192.0.2.0/24",
 * "2001:db8::/32", a bare address (a /32 or /128). An IPv4-mapped IPv6
 * network (::ffff:a.b.c.d/96 and longer) is taken as the IPv4 one. On a
 * bad item (empty, not an address, a length out of range, host bits set
 * past the length, more than ALLOW_MAX in all) returns false with *why
 * saying what, and leaves l as it was. */
bool allow_parse(struct allow_list *l, const char *spec, const char **why);
/* Whether l lets sa ask: always with an empty list; otherwise only an
 * AF_INET or AF_INET6 address inside one of its networks, an
 * IPv4-mapped IPv6 address being judged as IPv4. */
bool allow_match(const struct allow_list *l, const struct sockaddr *sa);

/* The process's list (empty until allow_add). */
void allow_clear(void);
bool allow_add(const char *spec, const char **why);
bool allow_peer(const struct sockaddr *sa);

#endif
