/* SPDX-License-Identifier: ISC */
/* upstreamquery: ask chronyd how good the clock is (its `tracking` report,
 * over its command port: monitoring only, see chronycmd.h) and keep
 * the answer in the state file, so that every process of the program,
 * and the next one started by a request, uses it at once. I/O.
 *
 * Cost: at most one query per UPQ_INTERVAL_MS for all processes
 * together (a failure costs the same one try). An answer older than
 * UPQ_BELIEVED_MS, or given by another source than the one configured
 * now, is not believed: a change reaches the replies, and a daemon gone
 * stops being believed, within that.
 *
 * Two ways to ask, chosen per activation (upq_begin):
 * - through a socket the superserver passed, when one can reach the
 *   address as localhost (up_route) and the address can be told by its
 *   source alone (up_passable: loopback, privileged port): the question
 *   is sent and the request that made it due is answered at once from
 *   the view held; the answer comes in among the requests and is taken
 *   by upq_aside (it is then served from the next request on). Works
 *   under a unit with PrivateNetwork= and AF_UNIX only, as the socket
 *   was made in the host's network. No wait at all. An ICMP port
 *   unreachable is not seen (the socket is not connected, and
 *   IP_RECVERR is left off: it is the superserver's socket, and every
 *   unreachable client would then fail a receive): a question not
 *   answered by the next one counts as a failure.
 * - else from a connected UDP socket of our own (by hand; a socket bound
 *   to a non-loopback address; chrony:HOST:PORT elsewhere), so that an
 *   ICMP port unreachable ends it at once; a reply is never held more
 *   than UPQ_WAIT_US by it. Under a unit without AF_INET that socket
 *   cannot be made: logged once, and the header is the kernel's. */
#ifndef SOCKCLOCK_UPSTREAMQUERY_H
#define SOCKCLOCK_UPSTREAMQUERY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../proto/chronycmd.h"
#include "activation.h"
#include "../proto/statefmt.h"

#define UPQ_INTERVAL_MS 8000
#define UPQ_BELIEVED_MS 16000
#define UPQ_WAIT_US 1000
#define UPQ_CHRONY_PORT 323
#define UPQ_ADDRS_MAX 2

struct upq_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char name[SFMT_UP_NAME_MAX];	/* "chrony 127.0.0.1:323" */
};
/* Where to ask, in order. */
struct upq_config {
	int n;
	struct upq_addr addr[UPQ_ADDRS_MAX];
};

/* chronyd's command port: hostport NULL for 127.0.0.1:323 then
 * [::1]:323; else "ADDR:PORT" or "[ADDR6]:PORT" (numeric: no name
 * lookup in a time server). False with *why when it is not one. */
bool upq_config_chrony(struct upq_config *c, const char *hostport,
		       const char **why);

/* chronyd's report as believed at now_ms (CLOCK_MONOTONIC): refreshed
 * first when due. True with t, its age in seconds and who gave it;
 * false when there is none younger than UPQ_BELIEVED_MS. region: the
 * state file's (state_image()->up), or NULL for the process's own. */
bool upq_view(const struct upq_config *c, struct sfmt_upstream *region,
	      int64_t now_ms, struct cc_tracking *t, double *age,
	      char source[SFMT_UP_NAME_MAX]);

/* upq_view over this process's state file (state_image()), now. */
bool upq_view_here(const struct upq_config *c, struct cc_tracking *t,
		   double *age, char source[SFMT_UP_NAME_MAX]);

/* For this activation: ask c's addresses through a socket of a (the
 * passed sockets) where one reaches them, else from a socket of our
 * own. Not called (by hand): our own. */
void upq_begin(const struct upq_config *c, const struct act_sockets *a);

/* A datagram from peer on fd, before it is taken for a request: true
 * when it came from an address a question went to through a passed
 * socket (it is then chronyd's, and no request: taken when it answers
 * the question outstanding, else ignored). */
bool upq_aside(int fd, const uint8_t *buf, size_t len,
	       const struct sockaddr *peer);

/* After a batch's replies: send the question upq_view made due, if
 * any (through a passed socket: it would otherwise leave ahead of the
 * replies of its batch, on the same queue). */
void upq_after_batch(void);

/* Only read the region (--dump, --stats): the same view, no query;
 * c NULL: whoever answered, else only one of c's addresses. */
bool upq_peek(const struct upq_config *c, struct sfmt_upstream *region,
	      int64_t now_ms,
	      struct cc_tracking *t, double *age, char source[SFMT_UP_NAME_MAX]);

#endif
