/* SPDX-License-Identifier: ISC */
/* tlsserve: the connection loop of a TLS request-response service: for
 * each connection the handshake, one request read with a bound, the
 * response, close_notify and a polite close, every connection cut off
 * at --io-timeout. Listening sockets are served until idle. Knows no
 * protocol: the program's answer function decides. */
#ifndef SOCKCLOCK_TLSSERVE_H
#define SOCKCLOCK_TLSSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../sys/activation.h"
#include "../sys/options.h"
#include "../sys/stream.h"
#include "tls.h"

/* Request bytes a connection may send; a request still unfinished then
 * is answered as it stands (final). */
#define TLSSERVE_REQUEST_MAX 4096
#define TLSSERVE_RESPONSE_MAX 2048

struct tlsserve_handler {
	/* The response to req[0..len) from peer on session s in out (at
	 * most TLSSERVE_RESPONSE_MAX bytes); 0 to read more, or, when
	 * final (no more will come), to close without a response. The
	 * connection is cut off at deadline (monotonic ms, clk_mono_ms):
	 * nothing in it may wait past that. */
	size_t (*answer)(struct tls_session *s, const uint8_t *req, size_t len,
			 bool final, const struct sockaddr *peer,
			 int64_t deadline, uint8_t *out);
	/* Optional: count e (stream.h), the loop's and TLS's own. */
	void (*event)(enum stream_event e);
};

/* Serve the stream sockets of a (connected and listening) until idle;
 * the exit code. */
int tlsserve(const struct act_sockets *a, const struct opt_common *o,
	     const struct tlsserve_handler *h);

#endif
