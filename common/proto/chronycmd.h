/* SPDX-License-Identifier: ISC */
/* chronycmd: chronyd's command protocol over UDP (protocol version 6,
 * chrony's candm.h), the monitoring request `tracking` only: build the
 * request, check and decode the reply. Pure: bytes in, fields out.
 * chronyd answers monitoring requests on its command port (UDP 323)
 * without authentication; they cannot change the clock. Commands that
 * can are only taken on its Unix socket, which sockclock never uses. */
#ifndef SOCKCLOCK_CHRONYCMD_H
#define SOCKCLOCK_CHRONYCMD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CC_PROTO_VERSION 6
#define CC_PKT_REQUEST 1
#define CC_PKT_REPLY 2
#define CC_REQ_TRACKING 33
#define CC_RPY_TRACKING 5
#define CC_STT_SUCCESS 0
/* Version 6 requests are padded to the length of their reply, so that
 * chronyd never answers with more bytes than it got (no amplification):
 * 20 bytes of header, 84 of zeros. */
#define CC_REQUEST_LEN 104
/* 28 bytes of header and 76 of tracking data. */
#define CC_TRACKING_LEN 104

/* chronyd's leap status (chrony's NTP_Leap): the NTP LI values. */
enum cc_leap {
	CC_LEAP_NORMAL = 0,
	CC_LEAP_INSERT = 1,
	CC_LEAP_DELETE = 2,
	CC_LEAP_UNSYNC = 3,
};

/* The tracking report, as chronyc prints it. Seconds unless named
 * ppm; current_correction > 0: the system clock is slow of chronyd's
 * time by that much (chronyc "System time"). */
struct cc_tracking {
	uint32_t ref_id;
	uint16_t ip_family;	/* 0 none, 1 IPv4, 2 IPv6, 3 unresolved */
	uint8_t ip[16];		/* IPv4: the first 4 bytes */
	uint16_t stratum;
	uint16_t leap_status;	/* enum cc_leap */
	struct timespec ref_time;	/* Unix time; 0 when never synchronised */
	double current_correction;
	double last_offset;
	double rms_offset;
	double freq_ppm;
	double resid_freq_ppm;
	double skew_ppm;
	double root_delay;
	double root_dispersion;
	double last_update_interval;
};

/* Why a datagram is not the answer to our request; CC_OK when it is. */
enum cc_verdict {
	CC_OK = 0,
	CC_BAD_LENGTH,		/* not exactly CC_TRACKING_LEN bytes */
	CC_BAD_VERSION,		/* not protocol version 6 */
	CC_BAD_TYPE,		/* not a reply, or reserved bytes set */
	CC_BAD_COMMAND,		/* not the answer to `tracking` */
	CC_BAD_SEQUENCE,	/* not the answer to our request */
	CC_BAD_STATUS,		/* chronyd refused (e.g. access denied) */
	CC_BAD_REPLY,		/* a reply of another format */
	CC_BAD_FIELD,		/* a field out of its range */
};

/* The tracking request with this sequence number (chrony's clients
 * pick it at random, so that a stray reply does not match). */
void cc_tracking_request(uint8_t out[CC_REQUEST_LEN], uint32_t sequence);
/* Check a datagram of len bytes against the request with sequence and
 * decode it into t (left unspecified unless CC_OK). */
enum cc_verdict cc_tracking_parse(const uint8_t *wire, size_t len,
				  uint32_t sequence, struct cc_tracking *t);
const char *cc_verdict_name(enum cc_verdict v);

/* chrony's 32-bit float: a 7-bit signed exponent and a 25-bit signed
 * coefficient, coef * 2^(exp - 25). Exact in a double. */
double cc_float_decode(uint32_t f);

#endif
