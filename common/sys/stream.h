/* SPDX-License-Identifier: ISC */
/* stream: the connection loop of the stream programs: connected sockets
 * and listening ones accepted until idle, many connections under one
 * poll, each bounded by --io-timeout, one source held to
 * --max-per-source, every answer followed by a polite close. What a
 * connection does before its close is its kind's: a line (daytime-tcp,
 * here) or a TLS exchange (tlsserve.c). */
#ifndef SOCKCLOCK_STREAM_H
#define SOCKCLOCK_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../proto/srcaddr.h"
#include "activation.h"
#include "options.h"
#include "serve.h"

#define STREAM_MAX_CONNS 64

/* One connection as the loop sees it. A kind's connection starts with
 * this and carries its own state after it. */
struct sconn {
	int fd;				/* -1: a free slot */
	bool draining;			/* answered: waits for the client's end */
	bool keyed;			/* key says which source it is from */
	bool has_peer;
	short events;			/* POLLIN or POLLOUT, while answering */
	uint8_t key[SRCADDR_KEY_LEN];
	int64_t opened, deadline;	/* monotonic ms */
	struct sockaddr_storage peer;
};

enum sconn_step {
	SCONN_WAIT,	/* more to do once c->events comes */
	SCONN_ANSWERED,	/* the answer is all written: half-close, drain */
	SCONN_CLOSE,	/* close now, unanswered */
};

/* What the loop tells a kind that counts (stream_kind.event); the TLS
 * kind adds its own two. */
enum stream_event {
	STREAM_OPENED,		/* a connection handed over or accepted */
	STREAM_TIMED_OUT,	/* cut off at --io-timeout, unanswered */
	STREAM_PER_SOURCE,	/* closed unanswered: over --max-per-source */
	STREAM_TLS_FAILED,	/* TLS failed before the answer */
	STREAM_ALPN_REFUSED,	/* of those: the client offered no ALPN of ours */
};

struct stream_kind {
	void *slots;		/* STREAM_MAX_CONNS connections of the kind */
	size_t stride;		/* the size of one */
	/* A new connection (fd and peer set): set up the kind's part;
	 * false (why set) when it cannot be served. */
	bool (*open)(struct sconn *c, const char **why);
	/* As far as the socket lets it go without blocking. On
	 * SCONN_CLOSE, *why may say why (logged with --verbose). */
	enum sconn_step (*step)(struct sconn *c, const char **why);
	/* Free the kind's part, before the close (NULL: nothing to). */
	void (*release)(struct sconn *c);
	/* Optional: count e (a state file's counters). */
	void (*event)(enum stream_event e);
};

/* Serve the stream sockets of a until none is left and the listeners
 * have been idle for o->idle_timeout; the exit code. */
int stream_loop(const struct stream_kind *k, const struct act_sockets *a,
		const struct opt_common *o);

/* h's line to each connection (daytime-tcp). */
int stream_serve(const struct serve_handler *h, const struct act_sockets *a,
		 const struct opt_common *o);

#endif
