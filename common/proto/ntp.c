/* SPDX-License-Identifier: ISC */
/* ntp: packet codec, request validation, reply building, timestamps. */
#include "ntp.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "bytes.h"

void ntp_decode(const uint8_t *w, struct ntp_packet *p)
{
	p->leap = w[0] >> 6;
	p->version = (w[0] >> 3) & 7;
	p->mode = w[0] & 7;
	p->stratum = w[1];
	p->poll = (int8_t)w[2];
	p->precision = (int8_t)w[3];
	p->rootdelay = get32(w + 4);
	p->rootdisp = get32(w + 8);
	p->refid = get32(w + 12);
	p->reftime = get64(w + 16);
	p->org = get64(w + 24);
	p->rec = get64(w + 32);
	p->xmt = get64(w + 40);
}

void ntp_encode(const struct ntp_packet *p, uint8_t w[NTP_HEADER_LEN])
{
	w[0] = (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 |
			 (p->mode & 7));
	w[1] = p->stratum;
	w[2] = (uint8_t)p->poll;
	w[3] = (uint8_t)p->precision;
	put32(w + 4, p->rootdelay);
	put32(w + 8, p->rootdisp);
	put32(w + 12, p->refid);
	put64(w + 16, p->reftime);
	put64(w + 24, p->org);
	put64(w + 32, p->rec);
	put64(w + 40, p->xmt);
}

enum ntp_verdict ntp_request_check(const uint8_t *w, size_t len,
				   int source_port, bool source_bad)
{
	if (source_bad || source_port == 0)
		return NTP_DROP_SOURCE;
	/* Extension fields and MACs come in 4-byte words (RFC 7822). */
	if (len < NTP_HEADER_LEN || len % 4 != 0)
		return NTP_DROP_LENGTH;
	unsigned version = (w[0] >> 3) & 7, mode = w[0] & 7;
	if (version < 1 || version > 4)
		return NTP_DROP_VERSION;
	if (mode == NTP_MODE_CLIENT || mode == NTP_MODE_SYMMETRIC_ACTIVE)
		return NTP_OK;
	/* NTPv1 had no mode field: a zero mode from a port other than 123
	 * is a client (RFC 1305 appendix B). */
	if (mode == NTP_MODE_RESERVED && version == 1 &&
	    source_port != NTP_PORT)
		return NTP_OK;
	return NTP_DROP_MODE;
}

const char *ntp_verdict_name(enum ntp_verdict v)
{
	switch (v) {
	case NTP_OK:
		return "answered";
	case NTP_DROP_LENGTH:
		return "dropped: length not 48 or more in 4-byte words";
	case NTP_DROP_VERSION:
		return "dropped: version not 1 to 4";
	case NTP_DROP_MODE:
		return "dropped: not a client or symmetric-active request";
	case NTP_DROP_SOURCE:
		return "dropped: source is port 0, multicast, broadcast or unspecified";
	}
	return "dropped";
}

/* RFC 4330 §6: a symmetric-active request is answered in passive mode. */
static uint8_t reply_mode(const struct ntp_packet *req)
{
	return req->mode == NTP_MODE_SYMMETRIC_ACTIVE ?
		       NTP_MODE_SYMMETRIC_PASSIVE :
		       NTP_MODE_SERVER;
}

void ntp_reply_build(const struct ntp_packet *req,
		     const struct ntp_server_state *st,
		     const struct timespec *rx, struct ntp_packet *r)
{
	memset(r, 0, sizeof *r);
	r->version = req->version;
	r->mode = reply_mode(req);
	r->poll = req->poll;
	r->precision = st->precision;
	r->org = req->xmt;
	r->rec = ntp_ts_from_timespec(rx) | 1; /* see ntp_xleave_candidate */
	if (st->synchronized) {
		r->leap = st->leap;
		r->stratum = st->stratum;
		r->rootdelay = st->rootdelay;
		r->rootdisp = st->rootdisp;
		r->refid = st->refid;
		/* The kernel does not say when its clock was last set; the
		 * reference time is then the whole second of the receive
		 * time, the latest instant this server vouches for (never
		 * after xmt). A daemon's (upstream.h) is used as it is. */
		struct timespec ref = { .tv_sec = rx->tv_sec, .tv_nsec = 0 };
		r->reftime = st->reftime ? st->reftime : ntp_ts_from_timespec(&ref);
		/* 0 means "never synchronised": in the first second of an
		 * era (2036-02-07 06:28:16) vouch for the second before. */
		if (r->reftime == 0)
			r->reftime = (uint64_t)UINT32_MAX << 32;
	} else {
		/* RFC 5905 §7.3: alarm condition, stratum 16 sent as 0. */
		r->leap = NTP_LEAP_UNSYNC;
		r->rootdelay = 1 << 16;
		r->rootdisp = 1 << 16;
	}
}

void ntp_server_state_make(const struct ntp_server_config *c,
			   const struct ntp_kernel_clock *k, int8_t precision,
			   struct ntp_server_state *st)
{
	*st = (struct ntp_server_state){
		.synchronized = k->synchronized || c->assume_synchronized,
		/* An unsynchronised kernel's leap bits are not to be trusted. */
		.leap = k->synchronized ? (enum ntp_leap)k->leap : NTP_LEAP_NONE,
		.stratum = c->stratum,
		.precision = precision,
		.rootdelay = ntp_short_from_seconds(c->root_delay),
		.rootdisp = ntp_short_from_seconds(
			k->synchronized ? k->maxerror : NTP_ASSUMED_DISPERSION),
		.refid = c->refid,
	};
}

void ntp_kod_build(const struct ntp_packet *req, const char code[4],
		   struct ntp_packet *r)
{
	memset(r, 0, sizeof *r);
	r->leap = NTP_LEAP_UNSYNC;
	r->version = req->version;
	r->mode = reply_mode(req);
	r->poll = req->poll;
	r->refid = (uint32_t)(uint8_t)code[0] << 24 |
		   (uint32_t)(uint8_t)code[1] << 16 |
		   (uint32_t)(uint8_t)code[2] << 8 | (uint8_t)code[3];
	r->org = r->rec = r->xmt = req->xmt;
}

void ntp_reply_stamp(uint8_t w[NTP_HEADER_LEN], const struct timespec *tx)
{
	ntp_reply_stamp_ntp(w, ntp_ts_from_timespec(tx));
}

void ntp_reply_stamp_ntp(uint8_t w[NTP_HEADER_LEN], uint64_t xmt)
{
	put64(w + 40, xmt & ~(uint64_t)1);
}

bool ntp_xleave_candidate(const struct ntp_packet *req)
{
	return req->version == 4 && req->mode == NTP_MODE_CLIENT &&
	       (req->org & 1) && req->rec != req->xmt;
}

void ntp_reply_interleave(const struct ntp_packet *req, struct ntp_packet *r)
{
	r->org = req->rec;
}

uint64_t ntp_ts_from_timespec(const struct timespec *ts)
{
	/* Unsigned arithmetic wraps modulo 2^64, so the low 32 bits are the
	 * era-relative seconds for any time_t, before 1900 included. */
	uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET);
	uint64_t frac = (((uint64_t)ts->tv_nsec << 32) + 500000000u) /
			1000000000u;
	return (uint64_t)sec << 32 | frac;
}

struct timespec ntp_ts_to_timespec(uint64_t ntp, time_t pivot)
{
	uint32_t sec = ntp >> 32;
	uint32_t pivot_ntp = (uint32_t)((uint64_t)pivot + NTP_UNIX_OFFSET);
	/* The signed era-relative distance from the pivot picks the era. */
	int64_t delta = (int32_t)(sec - pivot_ntp);
	struct timespec ts = {
		.tv_nsec = (long)(((ntp & 0xffffffffu) * 1000000000u +
				   0x80000000u) >> 32),
	};
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_nsec -= 1000000000;
		delta++;
	}
	/* At the ends of time_t the nearest era does not exist: take the
	 * one on the other side of the pivot. */
	if (__builtin_add_overflow(pivot, delta, &ts.tv_sec))
		ts.tv_sec = pivot + (delta < 0 ? delta + 0x100000000LL :
						 delta - 0x100000000LL);
	return ts;
}

uint32_t ntp_short_from_seconds(double s)
{
	if (!(s > 0))
		return 0;
	if (s >= 65536.0)
		return 0xffffffffu;
	/* Round up: delay and dispersion are error bounds. Just under
	 * 65536 s that is 2^32 units, which no uint32_t holds. */
	double units = ceil(s * 65536.0);
	return units >= 4294967295.0 ? 0xffffffffu : (uint32_t)units;
}

double ntp_short_to_seconds(uint32_t v)
{
	return v / 65536.0;
}

int8_t ntp_precision_from_ns(long nsec)
{
	int p = -30;
	while (p < 0 && ldexp(1e9, p) < (double)nsec)
		p++;
	return (int8_t)p;
}

bool ntp_refid_parse(const char *s, uint32_t *refid)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) == 1) {
		*refid = ntohl(a.s_addr);
		return true;
	}
	size_t n = strlen(s);
	if (n < 1 || n > 4)
		return false;
	uint32_t v = 0;
	for (size_t i = 0; i < 4; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : 0;
		if (i < n && (c < 0x21 || c > 0x7e))
			return false;
		v = v << 8 | c;
	}
	*refid = v;
	return true;
}

static int describe_ts(char *buf, size_t cap, uint64_t ts, time_t pivot)
{
	if (ts == 0)
		return snprintf(buf, cap, "0 (not set)");
	struct timespec t = ntp_ts_to_timespec(ts, pivot);
	struct tm tm;
	char when[64] = "out of range";
	if (gmtime_r(&t.tv_sec, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	return snprintf(buf, cap, "%08x.%08x %s.%09ldZ", (unsigned)(ts >> 32),
			(unsigned)ts, when, t.tv_nsec);
}

static int describe_refid(char *buf, size_t cap, const struct ntp_packet *p)
{
	unsigned char c[4] = { p->refid >> 24, p->refid >> 16, p->refid >> 8,
			       p->refid };
	/* Stratum 0 (kiss code) and 1 carry ASCII; higher, an address. */
	if (p->stratum <= 1 && p->refid) {
		char s[5] = "";
		for (int i = 0; i < 4 && c[i]; i++)
			s[i] = c[i] >= 0x20 && c[i] < 0x7f ? (char)c[i] : '?';
		return snprintf(buf, cap, "\"%s\"", s);
	}
	return snprintf(buf, cap, "%u.%u.%u.%u", c[0], c[1], c[2], c[3]);
}

size_t ntp_describe(const struct ntp_packet *p, time_t pivot, char *buf,
		    size_t cap)
{
	static const char *const leaps[] = { "no warning",
					     "last minute has 61 seconds",
					     "last minute has 59 seconds",
					     "clock unsynchronised" };
	static const char *const modes[] = {
		"reserved", "symmetric active", "symmetric passive", "client",
		"server", "broadcast", "control", "private"
	};
	char refid[24], ref[64], org[64], rec[64], xmt[64];
	describe_refid(refid, sizeof refid, p);
	describe_ts(ref, sizeof ref, p->reftime, pivot);
	describe_ts(org, sizeof org, p->org, pivot);
	describe_ts(rec, sizeof rec, p->rec, pivot);
	describe_ts(xmt, sizeof xmt, p->xmt, pivot);
	int n = snprintf(buf, cap,
			 "leap: %u (%s)\n"
			 "version: %u\n"
			 "mode: %u (%s)\n"
			 "stratum: %u%s\n"
			 "poll: %d\n"
			 "precision: %d (%.3g s)\n"
			 "root_delay: %.6f s\n"
			 "root_dispersion: %.6f s\n"
			 "reference_id: %s\n"
			 "reference_time: %s\n"
			 "origin: %s\n"
			 "receive: %s\n"
			 "transmit: %s\n",
			 p->leap, leaps[p->leap & 3], p->version, p->mode,
			 modes[p->mode & 7], p->stratum,
			 p->stratum == 0 ? " (unsynchronised or kiss code)" : "",
			 p->poll, p->precision, ldexp(1.0, p->precision),
			 ntp_short_to_seconds(p->rootdelay),
			 ntp_short_to_seconds(p->rootdisp), refid, ref, org, rec,
			 xmt);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

void ntp_client_request(const struct timespec *xmt, uint8_t w[NTP_HEADER_LEN])
{
	struct ntp_packet p = {
		.version = 4,
		.mode = NTP_MODE_CLIENT,
		.xmt = ntp_ts_from_timespec(xmt),
	};
	ntp_encode(&p, w);
}
