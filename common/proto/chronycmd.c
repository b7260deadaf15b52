/* SPDX-License-Identifier: ISC */
/* chronycmd: see chronycmd.h. Offsets from chrony's candm.h (CMD_Request,
 * CMD_Reply, RPY_Tracking, protocol version 6), checked against the
 * bytes chronyd 4.3 sends (tests/unit/test_chronycmd.c). */
#include "chronycmd.h"

#include <math.h>
#include <string.h>

#include "bytes.h"

/* Request: version, pkt_type, res1, res2, command (2), attempt (2),
 * sequence (4), pad1, pad2 (4 each), then the padding. */
#define RQ_COMMAND 4
#define RQ_SEQUENCE 8

/* Reply: version, pkt_type, res1, res2, command, reply, status, pad1-3
 * (2 each), sequence, pad4, pad5 (4 each): 28 bytes, then the data. */
#define RP_VERSION 0
#define RP_TYPE 1
#define RP_RES1 2
#define RP_RES2 3
#define RP_COMMAND 4
#define RP_REPLY 6
#define RP_STATUS 8
#define RP_SEQUENCE 16
#define RP_DATA 28

/* RPY_Tracking, from RP_DATA: ref_id (4); IPAddr: address (16), family
 * (2), pad (2); stratum, leap_status (2 each); Timespec: sec high, sec
 * low, nsec (4 each); nine Floats. */
#define TR_REF_ID 0
#define TR_IP 4
#define TR_FAMILY 20
#define TR_STRATUM 24
#define TR_LEAP 26
#define TR_REF_TIME 28
#define TR_FLOATS 40

/* Timespec's high word when the sender's time_t has 32 bits. */
#define TV_NOHIGHSEC 0x7fffffffu

#define FLOAT_COEF_BITS 25

void cc_tracking_request(uint8_t out[CC_REQUEST_LEN], uint32_t sequence)
{
	memset(out, 0, CC_REQUEST_LEN);
	out[0] = CC_PROTO_VERSION;
	out[1] = CC_PKT_REQUEST;
	put16(out + RQ_COMMAND, CC_REQ_TRACKING);
	put32(out + RQ_SEQUENCE, sequence);
}

double cc_float_decode(uint32_t f)
{
	int32_t exp = (int32_t)(f >> FLOAT_COEF_BITS);
	if (exp >= 64)
		exp -= 128;
	int32_t coef = (int32_t)(f & ((1u << FLOAT_COEF_BITS) - 1));
	if (coef >= 1 << (FLOAT_COEF_BITS - 1))
		coef -= 1 << FLOAT_COEF_BITS;
	return ldexp((double)coef, exp - FLOAT_COEF_BITS);
}

enum cc_verdict cc_tracking_parse(const uint8_t *w, size_t len,
				  uint32_t sequence, struct cc_tracking *t)
{
	/* The same checks as chronyc's, in its order, but strict on the
	 * length: a tracking reply has one size in version 6. */
	if (len != CC_TRACKING_LEN)
		return CC_BAD_LENGTH;
	if (w[RP_VERSION] != CC_PROTO_VERSION)
		return CC_BAD_VERSION;
	if (w[RP_TYPE] != CC_PKT_REPLY || w[RP_RES1] || w[RP_RES2])
		return CC_BAD_TYPE;
	if (get16(w + RP_COMMAND) != CC_REQ_TRACKING)
		return CC_BAD_COMMAND;
	if (get32(w + RP_SEQUENCE) != sequence)
		return CC_BAD_SEQUENCE;
	if (get16(w + RP_STATUS) != CC_STT_SUCCESS)
		return CC_BAD_STATUS;
	if (get16(w + RP_REPLY) != CC_RPY_TRACKING)
		return CC_BAD_REPLY;

	const uint8_t *d = w + RP_DATA;
	memset(t, 0, sizeof *t);
	t->ref_id = get32(d + TR_REF_ID);
	memcpy(t->ip, d + TR_IP, sizeof t->ip);
	t->ip_family = get16(d + TR_FAMILY);
	t->stratum = get16(d + TR_STRATUM);
	t->leap_status = get16(d + TR_LEAP);
	/* NTP's strata end at 16 (unsynchronised); chronyd reports that
	 * as 0. */
	if (t->ip_family > 3 || t->stratum > 16 || t->leap_status > CC_LEAP_UNSYNC)
		return CC_BAD_FIELD;

	uint32_t hi = get32(d + TR_REF_TIME), lo = get32(d + TR_REF_TIME + 4);
	uint32_t ns = get32(d + TR_REF_TIME + 8);
	if (hi == TV_NOHIGHSEC)
		hi = 0;
	/* Past 2^63 s, or a nanosecond count of a second or more: not a
	 * time chronyd would send. */
	if (hi >= 0x80000000u || ns > 999999999u)
		return CC_BAD_FIELD;
	t->ref_time.tv_sec = (time_t)((uint64_t)hi << 32 | lo);
	t->ref_time.tv_nsec = (long)ns;

	double *f[] = {
		&t->current_correction, &t->last_offset, &t->rms_offset,
		&t->freq_ppm, &t->resid_freq_ppm, &t->skew_ppm,
		&t->root_delay, &t->root_dispersion, &t->last_update_interval,
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		*f[i] = cc_float_decode(get32(d + TR_FLOATS + 4 * i));
	/* Bounds and intervals are never negative. */
	if (t->rms_offset < 0 || t->skew_ppm < 0 || t->root_delay < 0 ||
	    t->root_dispersion < 0 || t->last_update_interval < 0)
		return CC_BAD_FIELD;
	return CC_OK;
}

const char *cc_verdict_name(enum cc_verdict v)
{
	switch (v) {
	case CC_OK: return "ok";
	case CC_BAD_LENGTH: return "length";
	case CC_BAD_VERSION: return "version";
	case CC_BAD_TYPE: return "packet type";
	case CC_BAD_COMMAND: return "command";
	case CC_BAD_SEQUENCE: return "sequence";
	case CC_BAD_STATUS: return "status";
	case CC_BAD_REPLY: return "reply type";
	case CC_BAD_FIELD: return "field";
	}
	return "?";
}
