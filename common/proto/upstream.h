/* SPDX-License-Identifier: ISC */
/* upstream: the reply header from the daemon that disciplines the
 * clock. sntp-udp serves the clock chronyd steers, so its
 * header says what chronyd would say in its own server reply at that
 * moment (chrony's REF_GetReferenceParams), from a tracking report
 * taken a little earlier. Pure: the report and the time since it was
 * taken in, the server state out. */
#ifndef SOCKCLOCK_UPSTREAM_H
#define SOCKCLOCK_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <time.h>

#include "chronycmd.h"
#include "ntp.h"

/* chronyd's maxclockerror (1 ppm unless configured): part of its
 * dispersion's growth, which tracking does not report. */
#define UP_MAXCLOCKERROR_PPM 1.0

/* The header state from tracking report t, taken elapsed seconds ago
 * (< 0 is read as 0), with the server's own precision:
 * - chronyd not synchronised (leap status 3, stratum 0 or 16): the
 *   alarm condition, LI 3, stratum 0, reference ID 0;
 * - otherwise its leap status, stratum, reference ID, reference time
 *   and root delay, and a root dispersion never less than its own
 *   reply's: its dispersion at t, plus |current correction| (what the
 *   system clock still has to be slewed by), plus growth over elapsed
 *   at skew + |residual frequency| + maxclockerror, rounded up. */
void up_state_from_tracking(const struct cc_tracking *t, double elapsed,
			    int8_t precision, struct ntp_server_state *st);

/* chronyd's reference time in NTP format, bit for bit as its replies
 * carry it (0 for 0). */
uint64_t up_reftime(const struct timespec *ts);

/* sntp-udp --upstream=SOURCE. auto: chronyd if it answers on
 * 127.0.0.1:323 or [::1]:323, else systemd-timesyncd (proto/timesyncd),
 * else the kernel; chrony, timesyncd: that daemon only (not answering:
 * the alarm condition); kernel: adjtimex and the options. */
enum up_source { UP_AUTO, UP_CHRONY, UP_KERNEL, UP_TIMESYNCD };
/* Parse SOURCE; *hostport: the HOST:PORT of chrony:HOST:PORT (inside
 * arg) or NULL. False with *why when it is none of them. */
bool up_source_parse(const char *arg, enum up_source *k, const char **hostport,
		     const char **why);

/* --dump's line: "upstream: chrony 127.0.0.1:323, synchronised,
 * stratum 3, refid 192.0.2.1, age 4 s"; t NULL: no believed answer
 * (what names the reason). The length written (truncated to cap - 1). */
size_t up_describe(const char *source, const struct cc_tracking *t, double age,
		   char *buf, size_t cap);

/* The passed socket (issue 21, item 4): a unit with PrivateNetwork=
 * and AF_UNIX only cannot make a socket to chronyd, but the socket
 * systemd (or xinetd, inetd) passed lives in the host's network and can
 * carry the question; the answer then comes in among the requests.
 *
 * Asked that way only: a loopback address (127.0.0.0/8, ::1, or
 * IPv4-mapped 127/8) and a privileged port (1-1023), so that the answer
 * is known by its source alone (only root can send from loopback port
 * 323; a datagram from anywhere else stays a request). */
bool up_passable(const struct sockaddr *target);

/* Where a socket bound to bound (v6only: its IPV6_V6ONLY) sends to
 * reach target so that chronyd sees a localhost source: a socket bound
 * to the wildcard or a loopback address of target's family, or a
 * dual-stack IPv6 one (:: or ::ffff:127/104) for an IPv4 target (then
 * as ::ffff:a.b.c.d). The destination written to dest, its length
 * returned; 0 when it cannot (another family, v6-only for IPv4, or
 * bound to a non-loopback address: chronyd would see that address and
 * refuse a monitoring request from it). */
socklen_t up_route(const struct sockaddr *bound, bool v6only,
		   const struct sockaddr *target, struct sockaddr_storage *dest);

/* Is a datagram from peer chronyd's answer to a question sent to
 * target: the same address (IPv4-mapped read as IPv4) and port. */
bool up_reply_from(const struct sockaddr *peer, const struct sockaddr *target);

#endif
