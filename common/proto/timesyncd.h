/* SPDX-License-Identifier: ISC */
/* timesyncd: the reply header from systemd-timesyncd's last exchange
 * with its server (org.freedesktop.timesync1's NTPMessage property,
 * read by sys/timesyncq), and that view's bytes in the state file.
 * Pure: the view and "now" in, the server state out.
 *
 * The header, as RFC 5905 makes a server's from its system peer (the
 * clock_update() of its Appendix A.5.5): timesyncd's server is our
 * system peer, one stratum up.
 * - LI: the message's leap; stratum: the server's + 1;
 * - reference ID: the server's IPv4 address, or the first four bytes
 *   of the MD5 of its IPv6 address (RFC 5905 §7.3; chrony's too);
 * - reference time: the message's destination time, when timesyncd
 *   last took a sample;
 * - root delay: the server's + the measured round-trip delay
 *   (T4 - T1) - (T3 - T2), as RFC 5905 accumulates it;
 * - root dispersion: the server's + timesyncd's jitter + the larger of
 *   MINDISP (10 ms) and the sample's dispersion (both precisions + PHI
 *   times T4 - T1) + |the sample's offset| + PHI times the age of the
 *   message; PHI is RFC 5905's 15 ppm. Not half the delay: a client's
 *   root distance adds half the root delay itself (RFC 5905 §11.2).
 * Not synchronised (LI 3, stratum 0, reference ID 0): no message, a
 * message that is not a synchronised server's (leap 3, stratum not
 * 1..14, mode not 4), no server address, a destination time in the
 * future, or one older than eight polls (TSD_OLD_POLLS times the poll
 * interval: RFC 5905's reach register has forgotten the server). */
#ifndef SOCKCLOCK_TIMESYNCD_H
#define SOCKCLOCK_TIMESYNCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntp.h"

#define TSD_PHI 15e-6		/* RFC 5905: frequency tolerance */
#define TSD_MINDISP 0.01	/* RFC 5905: minimum dispersion increment */
#define TSD_OLD_POLLS 8
/* timesyncd's default PollIntervalMaxUSec, when none was read. */
#define TSD_POLL_DEFAULT_US (2048ull * 1000000)
/* A future destination time within this is clock noise, not a lie. */
#define TSD_FUTURE_SLACK_US 1000000ull

/* The NTPMessage property, D-Bus signature (uuuuittayttttbtt), as
 * systemd's timesyncd-bus.c writes it: times in microseconds, the four
 * timestamps since 1970 (T1 origin and T4 destination on timesyncd's
 * clock, T2 receive and T3 transmit on the server's). */
#define TSD_NTPMESSAGE_SIG "(uuuuittayttttbtt)"
struct tsd_message {
	uint32_t leap, version, mode, stratum;
	int32_t precision;
	uint64_t root_delay_us, root_dispersion_us;
	uint8_t refid[4];
	uint64_t origin_us, receive_us, transmit_us, dest_us;
	bool spike;
	uint64_t packet_count, jitter_us;
};

/* What one refresh read: the message, the server's address
 * (ServerAddress, "(iay)") and the poll interval (PollIntervalUSec). */
struct tsd_view {
	struct tsd_message m;
	uint8_t family;		/* 0 none, 4 IPv4, 6 IPv6 */
	uint8_t addr[16];	/* IPv4: the first 4 bytes */
	uint64_t poll_us;	/* 0: not read */
};

/* Is v a synchronised server's, and not old, at now_us (Unix µs)? */
bool tsd_synchronised(const struct tsd_view *v, uint64_t now_us);
/* The reference ID the server's address gives (0 without one). */
uint32_t tsd_refid(const struct tsd_view *v);
/* The header state from v at now_us, with our precision (see above). */
void tsd_state(const struct tsd_view *v, uint64_t now_us, int8_t precision,
	       struct ntp_server_state *st);

/* The view's bytes in the state file: TSD_RECORD_LEN bytes, versioned
 * and checked again on every read (anyone who can write the file may
 * have put them there). */
#define TSD_RECORD_LEN 104
#define TSD_RECORD_MAGIC 0x54534431u	/* "TSD1" */
/* Does m fit the record (what the NTP packet holds in a byte: leap,
 * version, mode, stratum, precision)? The bus reader refuses it if not. */
bool tsd_fits(const struct tsd_message *m);
void tsd_encode(const struct tsd_view *v, uint8_t out[TSD_RECORD_LEN]);
/* False when b is not a record of this version, or a field is out of
 * its range (leap > 3, version > 7, mode > 7, stratum > 255, a family
 * other than 0, 4, 6), or the unused bytes are not zero. */
bool tsd_decode(const uint8_t *b, size_t len, struct tsd_view *v);

/* --dump's line: "upstream: timesyncd 192.0.2.1, synchronised, stratum
 * 3, refid 192.0.2.1, age 4 s" (stratum: ours, the server's + 1; age:
 * of the message) or "..., not synchronised". Length as snprintf's,
 * truncated to cap - 1. */
size_t tsd_describe(const struct tsd_view *v, uint64_t now_us, char *buf,
		    size_t cap);
/* "timesyncd 192.0.2.1" / "timesyncd [2001:db8::1]" / "timesyncd". */
void tsd_source_name(const struct tsd_view *v, char *buf, size_t cap);

#endif
