/* SPDX-License-Identifier: ISC */
/* allow: CIDR lists, parsed and matched. */
#include "allow.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Whether the first bits bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

/* Whether any bit of a past the first bits of its len bytes is set. */
static bool host_bits_set(const uint8_t *a, unsigned len, unsigned bits)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;
		if (keep < 8 && (a[i] & (uint8_t)~(0xff << (8 - keep))))
			return true;
	}
	return false;
}

/* One item, "ADDR" or "ADDR/BITS", of len characters. */
static bool parse_net(const char *s, size_t len, struct allow_net *n,
		      const char **why)
{
	char text[INET6_ADDRSTRLEN + 8];
	if (len == 0) {
		*why = "an empty network (two commas, or one at an end)";
		return false;
	}
	if (len >= sizeof text) {
		*why = "not an address";
		return false;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	long bits = -1;
	if (slash) {
		*slash = '\0';
		const char *d = slash + 1;
		if (!*d || strlen(d) > 3) {
			*why = "a prefix length is 0-32 (IPv4) or 0-128 (IPv6)";
			return false;
		}
		bits = 0;
		for (; *d; d++) {
			if (*d < '0' || *d > '9') {
				*why = "a prefix length is 0-32 (IPv4) or 0-128 (IPv6)";
				return false;
			}
			bits = bits * 10 + (*d - '0');
		}
	}
	memset(n, 0, sizeof *n);
	unsigned max;
	if (inet_pton(AF_INET, text, n->addr) == 1) {
		n->v4 = true;
		max = 32;
	} else if (inet_pton(AF_INET6, text, n->addr) == 1) {
		max = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return false;
	}
	if (bits > (long)max) {
		*why = "a prefix length is 0-32 (IPv4) or 0-128 (IPv6)";
		return false;
	}
	n->bits = (uint8_t)(bits < 0 ? max : bits);
	if (host_bits_set(n->addr, max / 8, n->bits)) {
		*why = "address bits set past the prefix length";
		return false;
	}
	if (!n->v4 && n->bits >= 96 && memcmp(n->addr, v4mapped, 12) == 0) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->bits -= 96;
		n->v4 = true;
	}
	return true;
}

bool allow_parse(struct allow_list *l, const char *spec, const char **why)
{
	unsigned n = l->n;
	const char *s = spec;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (n == ALLOW_MAX) {
			*why = "more than 64 networks";
			return false;
		}
		if (!parse_net(s, len, &l->net[n], why))
			return false;
		n++;
		if (!end)
			break;
		s = end + 1;
	}
	l->n = n;
	return true;
}

bool allow_match(const struct allow_list *l, const struct sockaddr *sa)
{
	if (l->n == 0)
		return true;
	const uint8_t *a;
	bool v4;
	if (sa && sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		v4 = true;
	} else if (sa && sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		v4 = memcmp(a, v4mapped, 12) == 0;
		if (v4)
			a += 12;
	} else {
		return false;
	}
	for (unsigned i = 0; i < l->n; i++)
		if (l->net[i].v4 == v4 && prefix_equal(a, l->net[i].addr, l->net[i].bits))
			return true;
	return false;
}

static struct allow_list process_list;

void allow_clear(void)
{
	process_list.n = 0;
}

bool allow_add(const char *spec, const char **why)
{
	return allow_parse(&process_list, spec, why);
}

bool allow_peer(const struct sockaddr *sa)
{
	return allow_match(&process_list, sa);
}
