/* SPDX-License-Identifier: ISC */
/* tlsserve: the TLS kind of stream connection (stream.h): handshake,
 * one request, the response, close_notify; the loop does the rest. */
#include "tlsserve.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include "../sys/log.h"

enum phase { HANDSHAKE, REQUEST, RESPONSE, BYE };

struct tconn {
	struct sconn s;
	enum phase phase;
	struct tls_session *tls;
	size_t in_len, out_len, sent;
	uint8_t in[TLSSERVE_REQUEST_MAX];
	uint8_t out[TLSSERVE_RESPONSE_MAX];
};

static const struct tlsserve_handler *handler;

static const struct sockaddr *peer_of(const struct tconn *c)
{
	return c->s.has_peer ? (const struct sockaddr *)&c->s.peer : NULL;
}

/* What a TLS step leaves to do: wait for the socket, or fail. */
static void event(enum stream_event e)
{
	if (handler->event)
		handler->event(e);
}

static enum sconn_step waiting(struct tconn *c, enum tls_step st,
			       const char **why)
{
	if (st == TLS_FAILED) {
		*why = tls_why(c->tls);
		/* Before the answer: refused. After it, the exchange
		 * was counted; a client that goes at once is no refusal. */
		if (c->phase < RESPONSE)
			event(tls_alpn_refused(c->tls) ? STREAM_ALPN_REFUSED :
							 STREAM_TLS_FAILED);
		return SCONN_CLOSE;
	}
	c->s.events = st == TLS_WANT_WRITE ? POLLOUT : POLLIN;
	return SCONN_WAIT;
}

/* The request read so far; the answer once it is complete. */
static enum sconn_step request(struct tconn *c, const char **why)
{
	for (;;) {
		size_t got = 0;
		enum tls_step st = tls_read(c->tls, c->in + c->in_len,
					    sizeof c->in - c->in_len, &got);
		if (st != TLS_DONE)
			return waiting(c, st, why);
		c->in_len += got;
		bool final = got == 0 || c->in_len == sizeof c->in;
		c->out_len = handler->answer(c->tls, c->in, c->in_len, final,
					     peer_of(c), c->s.deadline, c->out);
		if (c->out_len > 0) {
			c->phase = RESPONSE;
			return SCONN_ANSWERED; /* not yet written: see step */
		}
		if (final) {
			*why = "no response";
			return SCONN_CLOSE;
		}
	}
}

static enum sconn_step step(struct sconn *s, const char **why)
{
	struct tconn *c = (struct tconn *)s;
	enum tls_step st;
	switch (c->phase) {
	case HANDSHAKE:
		st = tls_handshake(c->tls);
		if (st != TLS_DONE)
			return waiting(c, st, why);
		c->phase = REQUEST;
		/* fall through */
	case REQUEST: {
		enum sconn_step r = request(c, why);
		if (r != SCONN_ANSWERED)
			return r;
	}
		/* fall through */
	case RESPONSE:
		st = tls_write(c->tls, c->out, c->out_len, &c->sent);
		if (st != TLS_DONE)
			return waiting(c, st, why);
		c->phase = BYE;
		/* fall through */
	case BYE:
		st = tls_bye(c->tls);
		if (st != TLS_DONE)
			return waiting(c, st, why);
	}
	return SCONN_ANSWERED;
}

static bool open_tls(struct sconn *s, const char **why)
{
	struct tconn *c = (struct tconn *)s;
	c->phase = HANDSHAKE;
	c->in_len = c->out_len = c->sent = 0;
	/* The handshake flight and the response leave as several records:
	 * without this, Nagle holds the last until the client's delayed
	 * ACK (tens of milliseconds per exchange). */
	int on = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	(void)why;
	/* A renewed certificate from this connection on (listening: the
	 * process outlives it). One warning per change that does not load. */
	const char *bad;
	int r = tls_refresh(&bad);
	if (r > 0)
		log_msg(LOG_NOTICE, NULL, "certificate and key loaded again");
	else if (r < 0)
		log_warning("%s: still serving the certificate loaded before",
			    bad);
	c->tls = tls_start(s->fd);
	if (!c->tls)
		log_error("TLS session: out of memory");
	return c->tls != NULL;
}

static void release(struct sconn *s)
{
	struct tconn *c = (struct tconn *)s;
	tls_end(c->tls);
	c->tls = NULL;
}

int tlsserve(const struct act_sockets *a, const struct opt_common *o,
	     const struct tlsserve_handler *h)
{
	static struct tconn conns[STREAM_MAX_CONNS];
	static const struct stream_kind kind = {
		.slots = conns, .stride = sizeof conns[0],
		.open = open_tls, .step = step, .release = release,
		.event = event,
	};
	handler = h;
	return stream_loop(&kind, a, o);
}
