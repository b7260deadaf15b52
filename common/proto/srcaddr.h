/* SPDX-License-Identifier: ISC */
/* srcaddr: facts about the sender of a datagram or the client of a
 * connection. Pure. */
#ifndef SOCKCLOCK_SRCADDR_H
#define SOCKCLOCK_SRCADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "[2001:db8::1]:123" at most, with a little room. */
#define SRCADDR_NAME_MAX 64

/* Port of an AF_INET or AF_INET6 address; -1 for anything else. */
int srcaddr_port(const struct sockaddr *sa);
/* A source no reply may go to: unspecified (0.0.0.0/8, ::), multicast
 * (224.0.0.0/4, ff00::/8) or broadcast (255.0.0.0/8); an IPv4-mapped
 * IPv6 address is judged as IPv4. Non-IP addresses are bad too. */
bool srcaddr_addr_is_bad(const struct sockaddr *sa);
/* OpenBSD inetd's dg_badinput, less its loopback rule: a datagram that
 * could start a loop with another automatic responder. */
bool srcaddr_is_loop_risk(const struct sockaddr *sa);
/* What one source is, for the limits per source: an IPv4 address (also
 * written IPv4-mapped) or an IPv6 /64, the block one subscriber is
 * usually given. Written as 16 bytes (IPv4 as ::ffff:a.b.c.d, a /64 with
 * the rest zero); false for a non-IP address (or none). */
#define SRCADDR_KEY_LEN 16
bool srcaddr_source_key(const struct sockaddr *sa, uint8_t key[SRCADDR_KEY_LEN]);
/* Same family, address and port (not the IPv6 flow label or scope):
 * what a received source is compared with. */
bool srcaddr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Where a socket bound to local can send a datagram to itself: local,
 * or for a wildcard address the loopback address of that family (for
 * a dual-stack socket answering IPv4-mapped peer, ::ffff:127.0.0.1).
 * Written to out with its length; 0 for a non-IP address. */
size_t srcaddr_self_target(const struct sockaddr *local,
			const struct sockaddr *peer,
			struct sockaddr_storage *out);
/* "192.0.2.1:5000", "[2001:db8::1]:5000", or "-" when unknown. */
void srcaddr_name(const struct sockaddr *sa, char buf[SRCADDR_NAME_MAX]);

#endif
