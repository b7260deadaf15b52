/* SPDX-License-Identifier: ISC */
/* ntp: the NTP packet (RFC 5905 §7.3), its timestamps, and the pure
 * decisions of an SNTP server: which requests to answer, what to reply. */
#ifndef SOCKCLOCK_NTP_H
#define SOCKCLOCK_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NTP_HEADER_LEN 48
#define NTP_PORT 123

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
#define NTP_UNIX_OFFSET 2208988800LL

enum ntp_mode {
	NTP_MODE_RESERVED = 0,
	NTP_MODE_SYMMETRIC_ACTIVE = 1,
	NTP_MODE_SYMMETRIC_PASSIVE = 2,
	NTP_MODE_CLIENT = 3,
	NTP_MODE_SERVER = 4,
	NTP_MODE_BROADCAST = 5,
	NTP_MODE_CONTROL = 6,
	NTP_MODE_PRIVATE = 7,
};

enum ntp_leap {
	NTP_LEAP_NONE = 0,
	NTP_LEAP_INSERT = 1,
	NTP_LEAP_DELETE = 2,
	NTP_LEAP_UNSYNC = 3,
};

/* The header in host order, with the RFC's field names. */
struct ntp_packet {
	uint8_t leap, version, mode;
	uint8_t stratum;
	int8_t poll, precision;
	uint32_t rootdelay, rootdisp;	/* NTP short format, 16.16 s */
	uint32_t refid;
	uint64_t reftime, org, rec, xmt;	/* NTP timestamp format, 32.32 s */
};

/* Why a request is not answered; NTP_OK when it is. */
enum ntp_verdict {
	NTP_OK = 0,
	NTP_DROP_LENGTH,	/* under 48 bytes or not a multiple of 4 */
	NTP_DROP_VERSION,	/* version 0 or above 4 */
	NTP_DROP_MODE,		/* not a client or symmetric-active request */
	NTP_DROP_SOURCE,	/* port 0, multicast, broadcast, unspecified */
};

/* What the server knows of its clock when it answers. */
struct ntp_server_state {
	bool synchronized;
	enum ntp_leap leap;	/* armed leap second, when synchronized */
	uint8_t stratum;	/* 1..15 */
	int8_t precision;
	uint32_t rootdelay;	/* short format */
	uint32_t rootdisp;	/* short format */
	uint32_t refid;
	uint64_t reftime;	/* when the clock was last set, NTP format;
				 * 0: not known (the kernel does not say) */
};

/* What the administrator chose (sntp-udp's options). */
struct ntp_server_config {
	uint8_t stratum;		/* 1..15 */
	double root_delay;		/* seconds */
	uint32_t refid;
	bool assume_synchronized;
};

/* What the kernel says of the clock (adjtimex, see clock.h). */
struct ntp_kernel_clock {
	bool synchronized;	/* STA_UNSYNC clear */
	int leap;		/* armed: 0 none, 1 insert, 2 delete */
	double maxerror;	/* the kernel's maximum error, seconds */
};

/* Root dispersion served under --assume-synchronized when the kernel,
 * which nothing disciplines, keeps no meaningful error bound. */
#define NTP_ASSUMED_DISPERSION 0.001
/* chrony's reference ID for its "local" reference: 127.127.1.1. */
#define NTP_DEFAULT_REFID 0x7f7f0101u

/* The state a reply is built from, out of the configuration and the
 * kernel's word. */
void ntp_server_state_make(const struct ntp_server_config *c,
			   const struct ntp_kernel_clock *k, int8_t precision,
			   struct ntp_server_state *st);

void ntp_decode(const uint8_t *wire, struct ntp_packet *p);
void ntp_encode(const struct ntp_packet *p, uint8_t wire[NTP_HEADER_LEN]);

/* Decide on a request of len bytes. source_port is the sender's UDP port
 * (-1 when unknown, as by hand); source_bad says the sender's address
 * is multicast, broadcast or unspecified. */
enum ntp_verdict ntp_request_check(const uint8_t *wire, size_t len,
				   int source_port, bool source_bad);
const char *ntp_verdict_name(enum ntp_verdict v);

/* Fill the reply to an accepted request; the transmit timestamp is left
 * zero, to be set with ntp_reply_stamp as the last thing before sending. */
void ntp_reply_build(const struct ntp_packet *req,
		     const struct ntp_server_state *st,
		     const struct timespec *rx, struct ntp_packet *reply);
/* A kiss-o'-death (RFC 5905 §7.4) with the 4-letter code (e.g. "RATE")
 * to an accepted request: stratum 0, LI 3, every timestamp the request's
 * own transmit, so that it carries no time a client could use. */
void ntp_kod_build(const struct ntp_packet *req, const char code[4],
		   struct ntp_packet *reply);
/* Write a transmit timestamp straight into an encoded packet, its
 * lowest bit 0 (see ntp_reply_build). */
void ntp_reply_stamp(uint8_t wire[NTP_HEADER_LEN], const struct timespec *tx);
/* The same with a timestamp already in NTP format. */
void ntp_reply_stamp_ntp(uint8_t wire[NTP_HEADER_LEN], uint64_t xmt);

/* Interleaved mode (RFC 9769 §2), as chrony does it: every reply's
 * receive timestamp has its lowest bit 1 and its transmit timestamp 0
 * (a quarter of a nanosecond), so that a request whose origin's lowest
 * bit is 1 may be an interleaved one: a v4 client that copied the
 * receive timestamp of an earlier reply into its origin. Its receive
 * field must differ from its transmit field (a basic client may send
 * them equal). */
bool ntp_xleave_candidate(const struct ntp_packet *req);
/* Turn a reply built by ntp_reply_build into the interleaved answer to
 * req: origin = the request's receive field; the transmit timestamp is
 * then the earlier reply's (ntp_reply_stamp_ntp). */
void ntp_reply_interleave(const struct ntp_packet *req, struct ntp_packet *reply);

/* Timestamp conversion. A 64-bit NTP timestamp names an instant only
 * modulo 2^32 s (an era, RFC 5905 §6); to_timespec resolves it to the
 * instant nearest to pivot, the Unix time at which it is read. */
uint64_t ntp_ts_from_timespec(const struct timespec *ts);
struct timespec ntp_ts_to_timespec(uint64_t ntp, time_t pivot);
uint32_t ntp_short_from_seconds(double s);
double ntp_short_to_seconds(uint32_t v);
/* Precision exponent (log2 s, rounded up) of a clock step of nsec ns. */
int8_t ntp_precision_from_ns(long nsec);
/* Parse --refid: an IPv4 dotted quad or 1-4 printable ASCII characters. */
bool ntp_refid_parse(const char *s, uint32_t *refid);

/* The packet as "field: value" lines, for sntp-udp --dump. Timestamps
 * are resolved to the era nearest pivot. Returns the length written. */
size_t ntp_describe(const struct ntp_packet *p, time_t pivot, char *buf,
		    size_t cap);
/* A v4 client request stamped xmt, as a client would send it. */
void ntp_client_request(const struct timespec *xmt, uint8_t w[NTP_HEADER_LEN]);

#endif
