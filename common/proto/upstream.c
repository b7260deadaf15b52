/* SPDX-License-Identifier: ISC */
/* upstream: see upstream.h. */
#include "upstream.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "srcaddr.h"

/* chrony's 32-bit floats carry a 24-bit magnitude, rounded to nearest:
 * the dispersion read may be up to 2^-24 of itself under chronyd's. */
#define FLOAT_MARGIN (1.0 + 1.0 / (1 << 23))

void up_state_from_tracking(const struct cc_tracking *t, double elapsed,
			    int8_t precision, struct ntp_server_state *st)
{
	*st = (struct ntp_server_state){ .precision = precision };
	/* chronyd reports stratum 16 as 0 when unsynchronised. */
	if (t->leap_status == CC_LEAP_UNSYNC || t->stratum == 0 || t->stratum >= 16)
		return;	/* ntp_reply_build: LI 3, stratum 0, refid 0 */
	if (!(elapsed > 0))
		elapsed = 0;
	double rate = (t->skew_ppm + fabs(t->resid_freq_ppm) +
		       UP_MAXCLOCKERROR_PPM) * 1e-6;
	double disp = t->root_dispersion * FLOAT_MARGIN +
		      fabs(t->current_correction) + elapsed * rate;
	st->synchronized = true;
	st->leap = (enum ntp_leap)t->leap_status;
	st->stratum = (uint8_t)t->stratum;
	st->refid = t->ref_id;
	st->rootdelay = ntp_short_from_seconds(t->root_delay);
	st->rootdisp = ntp_short_from_seconds(disp);	/* rounds up */
	st->reftime = up_reftime(&t->ref_time);
}

uint64_t up_reftime(const struct timespec *ts)
{
	if (ts->tv_sec == 0 && ts->tv_nsec == 0)
		return 0;
	/* As chronyd writes it (UTI_TimespecToNtp64): the fraction is the
	 * nanoseconds times 2^32 / 10^9 in a double, truncated, where
	 * ntp_ts_from_timespec rounds; the same bits as its own reply. */
	uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET);
	uint32_t frac = (uint32_t)(4.294967296 * (uint32_t)ts->tv_nsec);
	return (uint64_t)sec << 32 | frac;
}

bool up_source_parse(const char *arg, enum up_source *k, const char **hostport,
		     const char **why)
{
	*hostport = NULL;
	if (!strcmp(arg, "auto"))
		*k = UP_AUTO;
	else if (!strcmp(arg, "chrony"))
		*k = UP_CHRONY;
	else if (!strncmp(arg, "chrony:", 7) && arg[7]) {
		*k = UP_CHRONY;
		*hostport = arg + 7;
	} else if (!strcmp(arg, "kernel"))
		*k = UP_KERNEL;
	else if (!strcmp(arg, "timesyncd"))
		*k = UP_TIMESYNCD;
	else {
		*why = "--upstream: auto, chrony, chrony:HOST:PORT, timesyncd "
		       "or kernel";
		return false;
	}
	return true;
}

size_t up_describe(const char *source, const struct cc_tracking *t, double age,
		   char *buf, size_t cap)
{
	if (cap == 0)
		return 0;
	int n;
	if (!t) {
		n = snprintf(buf, cap, "upstream: %s\n", source);
	} else if (t->leap_status == CC_LEAP_UNSYNC || t->stratum == 0 ||
		   t->stratum >= 16) {
		n = snprintf(buf, cap, "upstream: %s, not synchronised, age %.0f s\n",
			     source, floor(age));
	} else {
		char id[16];
		uint32_t r = t->ref_id;
		bool ascii = t->stratum == 1;
		for (int i = 24; i >= 0 && ascii; i -= 8)
			ascii = (r >> i & 0xff) == 0 || ((r >> i & 0xff) >= 0x20 &&
							 (r >> i & 0xff) < 0x7f);
		if (ascii)
			snprintf(id, sizeof id, "%.4s", (char[]){ (char)(r >> 24),
				 (char)(r >> 16), (char)(r >> 8), (char)r, 0 });
		else
			snprintf(id, sizeof id, "%u.%u.%u.%u", r >> 24, r >> 16 & 0xff,
				 r >> 8 & 0xff, r & 0xff);
		static const char *const leap[] = { "", ", leap second to insert",
						    ", leap second to delete" };
		n = snprintf(buf, cap, "upstream: %s, synchronised, stratum %u, "
			     "refid %s, age %.0f s%s\n", source, t->stratum, id,
			     floor(age), leap[t->leap_status]);
	}
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* addr as IPv4 when it is IPv4 or IPv4-mapped IPv6: true with *v4. */
static bool as_v4(const struct sockaddr *sa, struct in_addr *v4)
{
	if (sa->sa_family == AF_INET) {
		*v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		return true;
	}
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a)) {
		memcpy(v4, &a->s6_addr[12], sizeof *v4);
		return true;
	}
	return false;
}

static bool v4_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

bool up_passable(const struct sockaddr *target)
{
	int port = srcaddr_port(target);
	if (port < 1 || port > 1023)
		return false;
	struct in_addr v4;
	if (as_v4(target, &v4))
		return v4_loopback(v4);
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)target)->sin6_addr);
}

socklen_t up_route(const struct sockaddr *bound, bool v6only,
		   const struct sockaddr *target, struct sockaddr_storage *dest)
{
	memset(dest, 0, sizeof *dest);
	struct in_addr t4, b4;
	bool t_is4 = as_v4(target, &t4);
	uint16_t port = htons((uint16_t)srcaddr_port(target));
	if (bound->sa_family == AF_INET) {
		b4 = ((const struct sockaddr_in *)bound)->sin_addr;
		if (!t_is4 || (b4.s_addr != htonl(INADDR_ANY) && !v4_loopback(b4)))
			return 0;
		struct sockaddr_in *d = (struct sockaddr_in *)dest;
		d->sin_family = AF_INET;
		d->sin_addr = t4;
		d->sin_port = port;
		return sizeof *d;
	}
	if (bound->sa_family != AF_INET6)
		return 0;
	const struct in6_addr *b6 = &((const struct sockaddr_in6 *)bound)->sin6_addr;
	struct sockaddr_in6 *d = (struct sockaddr_in6 *)dest;
	d->sin6_family = AF_INET6;
	d->sin6_port = port;
	if (t_is4) {
		/* Only a dual-stack socket sends IPv4, from 127/8 when it is
		 * bound to the wildcard or to a mapped loopback address. */
		if (v6only || !(IN6_IS_ADDR_UNSPECIFIED(b6) ||
				(as_v4(bound, &b4) && v4_loopback(b4))))
			return 0;
		d->sin6_addr.s6_addr[10] = 0xff;
		d->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&d->sin6_addr.s6_addr[12], &t4, sizeof t4);
		return sizeof *d;
	}
	if (target->sa_family != AF_INET6 ||
	    !(IN6_IS_ADDR_UNSPECIFIED(b6) || IN6_IS_ADDR_LOOPBACK(b6)))
		return 0;
	d->sin6_addr = ((const struct sockaddr_in6 *)target)->sin6_addr;
	return sizeof *d;
}

bool up_reply_from(const struct sockaddr *peer, const struct sockaddr *target)
{
	if (srcaddr_port(peer) < 0 || srcaddr_port(peer) != srcaddr_port(target))
		return false;
	struct in_addr p4, t4;
	bool p_is4 = as_v4(peer, &p4), t_is4 = as_v4(target, &t4);
	if (p_is4 || t_is4)
		return p_is4 && t_is4 && p4.s_addr == t4.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)peer)->sin6_addr,
		       &((const struct sockaddr_in6 *)target)->sin6_addr,
		       sizeof(struct in6_addr));
}
