/* SPDX-License-Identifier: ISC */
/* timesyncd: see timesyncd.h. */
#include "timesyncd.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <nettle/md5.h>

#include "bytes.h"

/* Signed microseconds from a to b, as seconds. */
static double span(uint64_t a, uint64_t b)
{
	return b >= a ? (double)(b - a) / 1e6 : -(double)(a - b) / 1e6;
}

bool tsd_synchronised(const struct tsd_view *v, uint64_t now_us)
{
	const struct tsd_message *m = &v->m;
	if (m->leap == NTP_LEAP_UNSYNC || m->stratum < 1 || m->stratum > 14 ||
	    m->mode != 4 || m->dest_us == 0 || v->family == 0)
		return false;
	if (m->dest_us > now_us + TSD_FUTURE_SLACK_US)
		return false;
	uint64_t poll = v->poll_us ? v->poll_us : TSD_POLL_DEFAULT_US;
	if (poll > UINT64_MAX / TSD_OLD_POLLS)
		poll = UINT64_MAX / TSD_OLD_POLLS;
	return now_us <= m->dest_us || now_us - m->dest_us <= TSD_OLD_POLLS * poll;
}

uint32_t tsd_refid(const struct tsd_view *v)
{
	if (v->family == 4)
		return get32(v->addr);
	if (v->family != 6)
		return 0;
	/* RFC 5905 §7.3: the first four octets of the MD5 hash of the
	 * IPv6 address; chrony takes them as a big-endian word too. */
	struct md5_ctx c;
	uint8_t d[MD5_DIGEST_SIZE];
	md5_init(&c);
	md5_update(&c, 16, v->addr);
	md5_digest(&c, sizeof d, d);
	return get32(d);
}

void tsd_state(const struct tsd_view *v, uint64_t now_us, int8_t precision,
	       struct ntp_server_state *st)
{
	*st = (struct ntp_server_state){ .precision = precision };
	if (!tsd_synchronised(v, now_us))
		return;	/* ntp_reply_build: LI 3, stratum 0, refid 0 */
	const struct tsd_message *m = &v->m;
	double t1 = 0, t2 = span(m->origin_us, m->receive_us),
	       t3 = span(m->origin_us, m->transmit_us),
	       t4 = span(m->origin_us, m->dest_us);
	double delay = (t4 - t1) - (t3 - t2);
	if (!(delay > 0))
		delay = 0;
	double offset = ((t2 - t1) + (t3 - t4)) / 2;
	double age = span(m->dest_us, now_us);
	if (!(age > 0))
		age = 0;
	/* The sample's dispersion (RFC 5905 §8): both precisions and the
	 * frequency tolerance over the exchange. */
	int32_t sp = m->precision < -64 ? -64 : m->precision > 0 ? 0 : m->precision;
	double disp = ldexp(1, sp) + ldexp(1, precision) +
		      TSD_PHI * (t4 > 0 ? t4 : 0);
	double grow = disp + TSD_PHI * age + fabs(offset);
	double rootdisp = (double)m->root_dispersion_us / 1e6 +
			  (double)m->jitter_us / 1e6 +
			  (grow > TSD_MINDISP ? grow : TSD_MINDISP);
	st->synchronized = true;
	st->leap = (enum ntp_leap)m->leap;
	st->stratum = (uint8_t)(m->stratum + 1);
	st->refid = tsd_refid(v);
	st->rootdelay = ntp_short_from_seconds((double)m->root_delay_us / 1e6 + delay);
	st->rootdisp = ntp_short_from_seconds(rootdisp);	/* rounds up */
	struct timespec ref = { .tv_sec = (time_t)(m->dest_us / 1000000),
				.tv_nsec = (long)(m->dest_us % 1000000) * 1000 };
	st->reftime = ntp_ts_from_timespec(&ref);
}

/* The record: magic, then the fields big-endian in a fixed order. The
 * one-byte fields hold what the NTP packet holds in one byte; the bus
 * reader refuses wider values (tsd_fits). */
enum {
	R_MAGIC = 0,
	R_LEAP = 4, R_VERSION, R_MODE, R_STRATUM, R_SPIKE, R_FAMILY, R_PRECISION,
	R_PAD,
	R_ROOT_DELAY = 12, R_ROOT_DISP = 20,
	R_REFID = 28,
	R_ORIGIN = 32, R_RECEIVE = 40, R_TRANSMIT = 48, R_DEST = 56,
	R_PACKETS = 64, R_JITTER = 72, R_POLL = 80,
	R_ADDR = 88,
	R_END = 104,
};
_Static_assert(R_END == TSD_RECORD_LEN, "the record fills its room");

bool tsd_fits(const struct tsd_message *m)
{
	return m->leap <= 3 && m->version <= 7 && m->mode <= 7 &&
	       m->stratum <= 255 && m->precision >= -128 && m->precision <= 127;
}

void tsd_encode(const struct tsd_view *v, uint8_t out[TSD_RECORD_LEN])
{
	const struct tsd_message *m = &v->m;
	memset(out, 0, TSD_RECORD_LEN);
	put32(out + R_MAGIC, TSD_RECORD_MAGIC);
	out[R_LEAP] = (uint8_t)m->leap;
	out[R_VERSION] = (uint8_t)m->version;
	out[R_MODE] = (uint8_t)m->mode;
	out[R_STRATUM] = (uint8_t)m->stratum;
	out[R_SPIKE] = m->spike;
	out[R_FAMILY] = v->family;
	out[R_PRECISION] = (uint8_t)(int8_t)m->precision;
	put64(out + R_ROOT_DELAY, m->root_delay_us);
	put64(out + R_ROOT_DISP, m->root_dispersion_us);
	memcpy(out + R_REFID, m->refid, 4);
	put64(out + R_ORIGIN, m->origin_us);
	put64(out + R_RECEIVE, m->receive_us);
	put64(out + R_TRANSMIT, m->transmit_us);
	put64(out + R_DEST, m->dest_us);
	put64(out + R_PACKETS, m->packet_count);
	put64(out + R_JITTER, m->jitter_us);
	put64(out + R_POLL, v->poll_us);
	memcpy(out + R_ADDR, v->addr, v->family == 6 ? 16 : v->family == 4 ? 4 : 0);
}

bool tsd_decode(const uint8_t *b, size_t len, struct tsd_view *v)
{
	if (len != TSD_RECORD_LEN || get32(b + R_MAGIC) != TSD_RECORD_MAGIC ||
	    b[R_LEAP] > 3 || b[R_VERSION] > 7 || b[R_MODE] > 7 || b[R_SPIKE] > 1 ||
	    (b[R_FAMILY] != 0 && b[R_FAMILY] != 4 && b[R_FAMILY] != 6) ||
	    b[R_PAD] != 0)
		return false;
	/* The unused address bytes are zero: one view, one encoding. */
	size_t alen = b[R_FAMILY] == 6 ? 16 : b[R_FAMILY] == 4 ? 4 : 0;
	for (size_t i = alen; i < 16; i++)
		if (b[R_ADDR + i])
			return false;
	memset(v, 0, sizeof *v);
	struct tsd_message *m = &v->m;
	m->leap = b[R_LEAP];
	m->version = b[R_VERSION];
	m->mode = b[R_MODE];
	m->stratum = b[R_STRATUM];
	m->spike = b[R_SPIKE];
	m->precision = (int8_t)b[R_PRECISION];
	v->family = b[R_FAMILY];
	m->root_delay_us = get64(b + R_ROOT_DELAY);
	m->root_dispersion_us = get64(b + R_ROOT_DISP);
	memcpy(m->refid, b + R_REFID, 4);
	m->origin_us = get64(b + R_ORIGIN);
	m->receive_us = get64(b + R_RECEIVE);
	m->transmit_us = get64(b + R_TRANSMIT);
	m->dest_us = get64(b + R_DEST);
	m->packet_count = get64(b + R_PACKETS);
	m->jitter_us = get64(b + R_JITTER);
	v->poll_us = get64(b + R_POLL);
	memcpy(v->addr, b + R_ADDR, alen);
	return true;
}

void tsd_source_name(const struct tsd_view *v, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "";
	if (cap == 0)
		return;
	if (v->family == 4)
		inet_ntop(AF_INET, v->addr, a, sizeof a);
	else if (v->family == 6)
		inet_ntop(AF_INET6, v->addr, a, sizeof a);
	if (!a[0])
		snprintf(buf, cap, "timesyncd");
	else
		snprintf(buf, cap, v->family == 6 ? "timesyncd [%s]" : "timesyncd %s", a);
}

size_t tsd_describe(const struct tsd_view *v, uint64_t now_us, char *buf,
		    size_t cap)
{
	if (cap == 0)
		return 0;
	char src[64];
	tsd_source_name(v, src, sizeof src);
	double age = span(v->m.dest_us, now_us);
	if (!(age > 0))
		age = 0;
	int n;
	if (!tsd_synchronised(v, now_us)) {
		n = snprintf(buf, cap, "upstream: %s, not synchronised\n", src);
	} else {
		uint32_t r = tsd_refid(v);
		static const char *const leap[] = { "", ", leap second to insert",
						    ", leap second to delete" };
		n = snprintf(buf, cap, "upstream: %s, synchronised, stratum %u, "
			     "refid %u.%u.%u.%u, age %.0f s%s\n", src,
			     v->m.stratum + 1, r >> 24, r >> 16 & 0xff, r >> 8 & 0xff,
			     r & 0xff, floor(age), leap[v->m.leap]);
	}
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
