/* SPDX-License-Identifier: ISC */
/* kerecords: the NTS Key Establishment records (RFC 8915 §4): read a
 * request, decide the answer as §4.1 says, write the response. Pure: no
 * I/O, no keys; the cookies are handed in. */
#ifndef SOCKCLOCK_KERECORDS_H
#define SOCKCLOCK_KERECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A record: C (1 bit, critical) | Record Type (15) | Body Length (16) |
 * Record Body. */
#define KEREC_HEADER_LEN 4
#define KEREC_CRITICAL 0x8000

enum kerec_type {
	KEREC_END = 0,		/* End of Message: critical, empty, last */
	KEREC_NEXT_PROTOCOL = 1,
	KEREC_ERROR = 2,
	KEREC_WARNING = 3,
	KEREC_AEAD = 4,
	KEREC_NEW_COOKIE = 5,
	KEREC_NTP_SERVER = 6,	/* NTPv4 Server Negotiation */
	KEREC_NTP_PORT = 7,	/* NTPv4 Port Negotiation */
};

#define KEREC_PROTO_NTPV4 0
#define KEREC_AEAD_SIV_CMAC_256 15	/* AEAD_AES_SIV_CMAC_256, RFC 5297 */

enum kerec_error_code {
	KEREC_ERR_UNRECOGNIZED = 0,	/* unrecognized critical record */
	KEREC_ERR_BAD_REQUEST = 1,
	KEREC_ERR_INTERNAL = 2,
};

/* Servers must take requests of at least 1024 bytes; this one takes
 * up to KEREC_REQUEST_MAX. */
#define KEREC_REQUEST_MAX 4096
#define KEREC_COOKIES 8
/* The longest name a Server record carries (RFC 8915 §4.1.7: ASCII
 * host name or address). */
#define KEREC_SERVER_MAX 255

enum kerec_verdict {
	KEREC_INCOMPLETE,	/* no End of Message yet: read more */
	KEREC_OK,		/* NTPv4 and AEAD 15: keys and cookies */
	KEREC_NO_PROTOCOL,	/* answer an empty Next Protocol record */
	KEREC_NO_AEAD,		/* Next Protocol, then an empty AEAD record */
	KEREC_UNRECOGNIZED,	/* Error 0 */
	KEREC_BAD_REQUEST,	/* Error 1 */
	KEREC_INTERNAL,		/* Error 2: set by the server (no keys) */
};

/* What a request asked for, and why it was refused. */
struct kerec_request {
	enum kerec_verdict verdict;
	size_t len;		/* bytes up to and with End of Message */
	const char *why;	/* for a refusal: which rule, for the log */
	uint16_t bad_type;	/* the unrecognized critical record's type */
};

/* Read the records of req[0..len). final: no more bytes will come (the
 * buffer is full or the client stopped writing), so an unended message
 * is a bad request. Chrony's rules for a bad request are followed: Next
 * Protocol absent, repeated, not critical, empty or of odd length; AEAD
 * absent (when NTPv4 is asked), repeated, empty or of odd length; an
 * Error, Warning or New Cookie record; End of Message not critical or
 * not empty. Server and Port records are known and ignored (a server
 * need not honour them). */
void kerec_request_read(const uint8_t *req, size_t len, bool final,
			struct kerec_request *r);

/* The negotiation records a server adds (§4.1.7, §4.1.8). */
struct kerec_server {
	const char *ntp_server;	/* NULL: none (the client uses the KE host) */
	int ntp_port;		/* 0: none */
};

/* The response to r (not KEREC_INCOMPLETE) in out (cap bytes); cookies:
 * KEREC_COOKIES of cookie_len bytes, used for KEREC_OK only. Returns its
 * length, 0 when cap is too small. */
size_t kerec_response(const struct kerec_request *r,
		      const struct kerec_server *s, const uint8_t *cookies,
		      size_t cookie_len, uint8_t *out, size_t cap);

/* The exporter context of RFC 8915 §5.1: protocol ‖ AEAD ‖ 0 for the
 * client-to-server key, 1 for the server-to-client key. */
#define KEREC_EXPORTER_LABEL "EXPORTER-network-time-security"
#define KEREC_KEY_LEN 32
void kerec_exporter_context(bool s2c, uint8_t ctx[5]);

/* One record of a message, for a client or a dump: false at the end of
 * the buffer or when the next record runs past it. */
struct kerec_record {
	bool critical;
	uint16_t type;
	uint16_t len;
	const uint8_t *body;
};
bool kerec_record_next(const uint8_t *msg, size_t len, size_t *off,
		       struct kerec_record *rec);
const char *kerec_type_name(uint16_t type);

/* A message decoded, one "name: value" line per record (cookies by
 * length only), into out (cap bytes, NUL-ended); the text's length. A
 * message that ends early gets a last line saying so. */
size_t kerec_describe(const uint8_t *msg, size_t len, char *out, size_t cap);

#endif
