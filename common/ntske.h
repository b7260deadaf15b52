/* ntske: the NTS Key Establishment records (RFC 8915 §4): read a
 * request, decide the answer as §4.1 says, write the response. Pure: no
 * I/O, no keys; the cookies are handed in. */
#ifndef SOCKCLOCK_NTSKE_H
#define SOCKCLOCK_NTSKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A record: C (1 bit, critical) | Record Type (15) | Body Length (16) |
 * Record Body. */
#define NTSKE_HEADER_LEN 4
#define NTSKE_CRITICAL 0x8000

enum ntske_type {
	NTSKE_END = 0,		/* End of Message: critical, empty, last */
	NTSKE_NEXT_PROTOCOL = 1,
	NTSKE_ERROR = 2,
	NTSKE_WARNING = 3,
	NTSKE_AEAD = 4,
	NTSKE_NEW_COOKIE = 5,
	NTSKE_NTP_SERVER = 6,	/* NTPv4 Server Negotiation */
	NTSKE_NTP_PORT = 7,	/* NTPv4 Port Negotiation */
};

#define NTSKE_PROTO_NTPV4 0
#define NTSKE_AEAD_SIV_CMAC_256 15	/* AEAD_AES_SIV_CMAC_256, RFC 5297 */

enum ntske_error_code {
	NTSKE_ERR_UNRECOGNIZED = 0,	/* unrecognized critical record */
	NTSKE_ERR_BAD_REQUEST = 1,
	NTSKE_ERR_INTERNAL = 2,
};

/* Servers must take requests of at least 1024 bytes; this one takes
 * up to NTSKE_REQUEST_MAX. */
#define NTSKE_REQUEST_MAX 4096
#define NTSKE_COOKIES 8
/* The longest name a Server record carries (RFC 8915 §4.1.7: ASCII
 * host name or address). */
#define NTSKE_SERVER_MAX 255

enum ntske_verdict {
	NTSKE_INCOMPLETE,	/* no End of Message yet: read more */
	NTSKE_OK,		/* NTPv4 and AEAD 15: keys and cookies */
	NTSKE_NO_PROTOCOL,	/* answer an empty Next Protocol record */
	NTSKE_NO_AEAD,		/* Next Protocol, then an empty AEAD record */
	NTSKE_UNRECOGNIZED,	/* Error 0 */
	NTSKE_BAD_REQUEST,	/* Error 1 */
	NTSKE_INTERNAL,		/* Error 2: set by the server (no keys) */
};

/* What a request asked for, and why it was refused. */
struct ntske_request {
	enum ntske_verdict verdict;
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
void ntske_request_read(const uint8_t *req, size_t len, bool final,
			struct ntske_request *r);

/* The negotiation records a server adds (§4.1.7, §4.1.8). */
struct ntske_server {
	const char *ntp_server;	/* NULL: none (the client uses the KE host) */
	int ntp_port;		/* 0: none */
};

/* The response to r (not NTSKE_INCOMPLETE) in out (cap bytes); cookies:
 * NTSKE_COOKIES of cookie_len bytes, used for NTSKE_OK only. Returns its
 * length, 0 when cap is too small. */
size_t ntske_response(const struct ntske_request *r,
		      const struct ntske_server *s, const uint8_t *cookies,
		      size_t cookie_len, uint8_t *out, size_t cap);

/* The exporter context of RFC 8915 §5.1: protocol ‖ AEAD ‖ 0 for the
 * client-to-server key, 1 for the server-to-client key. */
#define NTSKE_EXPORTER_LABEL "EXPORTER-network-time-security"
#define NTSKE_KEY_LEN 32
void ntske_exporter_context(bool s2c, uint8_t ctx[5]);

/* One record of a message, for a client or a dump: false at the end of
 * the buffer or when the next record runs past it. */
struct ntske_record {
	bool critical;
	uint16_t type;
	uint16_t len;
	const uint8_t *body;
};
bool ntske_record_next(const uint8_t *msg, size_t len, size_t *off,
		       struct ntske_record *rec);
const char *ntske_type_name(uint16_t type);

/* A message decoded, one "name: value" line per record (cookies by
 * length only), into out (cap bytes, NUL-ended); the text's length. A
 * message that ends early gets a last line saying so. */
size_t ntske_describe(const uint8_t *msg, size_t len, char *out, size_t cap);

#endif
