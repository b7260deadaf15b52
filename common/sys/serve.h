/* SPDX-License-Identifier: ISC */
/* serve: the one serve-until-idle loop of all three programs. It owns
 * polling, batching, timeouts and the polite close; a program hands it
 * what one request means. */
#ifndef SOCKCLOCK_SERVE_H
#define SOCKCLOCK_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "activation.h"
#include "options.h"

/* Bytes of a request a datagram handler sees (its true length is given
 * apart): an NTP header with NTS extension fields (about 1 KiB from
 * chrony with 7 cookie placeholders) within an unfragmented datagram. */
#define SERVE_REQUEST_MAX 1280
/* Size of the buffer a datagram handler writes its reply in: a reply as
 * long as the longest request, and room past it for what the handler
 * leaves itself for stamp (sntp-udp: the NTS seal). */
#define SERVE_REPLY_MAX (SERVE_REQUEST_MAX + 64)

/* Longest wait for a client's end of a connection after the reply. */
#define SERVE_DRAIN_MAX_S 2.0

struct serve_handler {
	int sotype;		/* SOCK_STREAM or SOCK_DGRAM */
	bool rx_timestamps;	/* want kernel receive timestamps */
	/* Datagram: the reply to one request of len bytes (the first
	 * min(len, SERVE_REQUEST_MAX) in req) received at rx from peer;
	 * returns the reply's length, 0 to drop the request. */
	size_t (*datagram)(const uint8_t *req, size_t len,
			   const struct sockaddr *peer,
			   const struct timespec *rx, uint8_t *reply);
	/* Datagram, optional: the reply to a request over the rate limit
	 * (a kiss-o'-death); without it such requests get silence. Not
	 * given to stamp. */
	size_t (*limited)(const uint8_t *req, size_t len,
			  const struct sockaddr *peer, uint8_t *reply);
	/* Datagram, optional: the last touch to a reply, at tx, the moment
	 * before it is sent (SNTP's transmit timestamp, then NTS's seal over
	 * it). The reply's buffer past len is the handler's own from
	 * datagram to stamp. */
	void (*stamp)(uint8_t *reply, size_t len, const struct timespec *tx);
	/* Datagram, optional: the transmit time of a reply for which
	 * datagram called serve_tx_stamp(key): first the time given to
	 * stamp, at once after the send, then the kernel's own transmit
	 * stamp when it comes. */
	void (*tx_time)(uint64_t key, const struct timespec *tx);
	/* Datagram, optional: the names of the handler's own drop rules
	 * (NULL ended), counted with state_count(SFMT_DROP_RULE + i). */
	const char *const *drop_rules;
	/* Datagram, optional: called once with the sockets, before the
	 * first request (the state file is open). */
	void (*begin)(const struct act_sockets *a);
	/* Datagram, optional: true when a datagram received on fd is none
	 * of the clients' requests but the answer to a question of the
	 * handler's own (upstreamquery.h): then it is neither answered nor
	 * counted. Asked of every datagram of a batch before any of its
	 * requests is answered. */
	bool (*aside)(int fd, const uint8_t *buf, size_t len,
		      const struct sockaddr *peer);
	/* Datagram, optional: called after each batch's replies were
	 * sent: what the handler put off so as not to hold them (the
	 * question to chronyd). */
	void (*after)(void);
	/* Stream: the line for a new connection from peer; 0 to close. */
	size_t (*line)(char *buf, const struct sockaddr *peer);
	/* Stream, optional, instead of line: serve the connections with a
	 * loop of the program's own (a TLS exchange); the exit code. */
	int (*streams)(const struct act_sockets *a, const struct opt_common *o);
};

/* Datagram handler, inside datagram: ask for the kernel's transmit
 * stamp of the reply being made, given to tx_time with key (not 0). */
void serve_tx_stamp(uint64_t key);

/* Serve the sockets until idle. start is when the process started (the
 * receive time of a request queued before any timestamp could be
 * taken). Returns the exit code: 0, or 1 when a socket is of the wrong
 * kind for this program. */
int serve(const struct serve_handler *h, const struct act_sockets *a,
	  const struct opt_common *o, const struct timespec *start);

/* The whole life of a program: find the sockets, open the log, parse
 * the options, then serve them, or run by_hand when there are none.
 * Returns the exit code. */
int serve_main(int argc, char **argv, const struct opt_program *p,
	       const struct serve_handler *h, int (*by_hand)(void));

/* By hand: write the answer on standard output; the exit code. */
int serve_print(const void *buf, size_t n);

#endif
