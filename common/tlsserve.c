/* tlsserve: TLS connections as small state machines under one poll. */
#include "tlsserve.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define MAX_CONNS 64
/* Longest wait for the client's close after ours. */
#define DRAIN_MAX_MS 2000

enum phase { HANDSHAKE, REQUEST, RESPONSE, BYE, DRAIN };

struct conn {
	int fd;
	enum phase phase;
	enum tls_step want;		/* TLS_WANT_READ or TLS_WANT_WRITE */
	int64_t deadline;
	struct tls_session *tls;
	struct sockaddr_storage peer;
	bool has_peer;
	size_t in_len, out_len, sent;
	uint8_t in[TLSSERVE_REQUEST_MAX];
	uint8_t out[TLSSERVE_RESPONSE_MAX];
};

static const struct sockaddr *peer_of(const struct conn *c)
{
	return c->has_peer ? (const struct sockaddr *)&c->peer : NULL;
}

static void conn_end(struct conn *c, const char *why)
{
	if (why)
		log_request(peer_of(c), "connection closed: %s", why);
	tls_end(c->tls);
	c->tls = NULL;
	close(c->fd);
	c->fd = -1;
}

/* The request read so far; the answer once it is complete. false when
 * the connection is to wait for more. */
static bool conn_request(struct conn *c, const struct tlsserve_handler *h)
{
	for (;;) {
		size_t got = 0;
		enum tls_step st = tls_read(c->tls, c->in + c->in_len,
					    sizeof c->in - c->in_len, &got);
		if (st == TLS_FAILED) {
			conn_end(c, tls_why(c->tls));
			return false;
		}
		if (st != TLS_DONE) {
			c->want = st;
			return false;
		}
		c->in_len += got;
		bool final = got == 0 || c->in_len == sizeof c->in;
		c->out_len = h->answer(c->tls, c->in, c->in_len, final,
				       peer_of(c), c->out);
		if (c->out_len > 0) {
			c->phase = RESPONSE;
			return true;
		}
		if (final) {
			conn_end(c, "no response");
			return false;
		}
	}
}

/* One step further, as far as the socket lets it go without blocking. */
static void conn_progress(struct conn *c, const struct tlsserve_handler *h)
{
	enum tls_step st = TLS_DONE;
	switch (c->phase) {
	case HANDSHAKE:
		st = tls_handshake(c->tls);
		if (st != TLS_DONE)
			break;
		c->phase = REQUEST;
		/* fall through */
	case REQUEST:
		if (!conn_request(c, h))
			return;
		/* fall through */
	case RESPONSE:
		st = tls_write(c->tls, c->out, c->out_len, &c->sent);
		if (st != TLS_DONE)
			break;
		c->phase = BYE;
		/* fall through */
	case BYE:
		st = tls_bye(c->tls);
		if (st != TLS_DONE)
			break;
		/* Then read until the client closes, so that bytes of its own
		 * left unread never turn our close into a reset that would
		 * destroy the response in flight. */
		shutdown(c->fd, SHUT_WR);
		c->phase = DRAIN;
		if (c->deadline > clk_mono_ms() + DRAIN_MAX_MS)
			c->deadline = clk_mono_ms() + DRAIN_MAX_MS;
		/* fall through */
	case DRAIN: {
		char scratch[4096];
		for (int i = 0; i < 16; i++) {
			ssize_t n = recv(c->fd, scratch, sizeof scratch,
					 MSG_DONTWAIT);
			if (n > 0)
				continue;
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				conn_end(c, NULL);
			break;
		}
		c->want = TLS_WANT_READ;
		return;
	}
	}
	if (st == TLS_FAILED)
		conn_end(c, tls_why(c->tls));
	else
		c->want = st;
}

static void conn_begin(struct conn *c, int fd, const struct opt_common *o,
		       const struct tlsserve_handler *h)
{
	c->fd = fd;
	c->phase = HANDSHAKE;
	c->in_len = c->out_len = c->sent = 0;
	c->deadline = clk_mono_ms() + clk_ms(o->io_timeout);
	socklen_t sl = sizeof c->peer;
	c->has_peer = getpeername(fd, (struct sockaddr *)&c->peer, &sl) == 0;
	/* The handshake flight and the response leave as several records:
	 * without this, Nagle holds the last until the client's delayed
	 * ACK (tens of milliseconds per exchange). */
	int on = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	c->tls = tls_start(fd);
	if (!c->tls) {
		log_error("TLS session: out of memory");
		conn_end(c, NULL);
		return;
	}
	conn_progress(c, h);
}

int tlsserve(const struct act_sockets *a, const struct opt_common *o,
	     const struct tlsserve_handler *h)
{
	static struct conn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS + ACT_MAX_SOCKETS];
	int owner[MAX_CONNS], listeners[ACT_MAX_SOCKETS], nl = 0, next = 0;

	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	for (int i = 0; i < a->n; i++) {
		int fd = a->s[i].fd;
		if (a->s[i].kind == ACT_STREAM_LISTENING) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			listeners[nl++] = fd;
		} else if (next < MAX_CONNS)
			conn_begin(&conns[next++], fd, o, h);
	}
	int64_t idle_end = clk_mono_ms() + clk_ms(o->idle_timeout);
	for (;;) {
		int64_t now = clk_mono_ms(), wake = nl ? idle_end : INT64_MAX;
		int np = 0;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				conn_end(c, c->phase == DRAIN ? NULL :
								"--io-timeout");
				continue;
			}
			if (c->deadline < wake)
				wake = c->deadline;
			owner[np] = i;
			pfd[np++] = (struct pollfd){
				.fd = c->fd,
				.events = c->want == TLS_WANT_WRITE ? POLLOUT :
								      POLLIN,
			};
		}
		int live = np;
		if (live == 0 && (nl == 0 || now >= idle_end))
			return 0;
		/* With every slot taken, new clients wait in the backlog. */
		for (int i = 0; live < MAX_CONNS && i < nl; i++)
			pfd[np++] = (struct pollfd){ .fd = listeners[i],
						     .events = POLLIN };
		int64_t left = wake - now;
		int r = poll(pfd, (nfds_t)np, left > 0 ? (int)(left < 60000 ? left : 60000) : 0);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		for (int j = 0; r > 0 && j < live; j++)
			if (pfd[j].revents)
				conn_progress(&conns[owner[j]], h);
		for (int i = live; r > 0 && i < np; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			for (int slot = 0; slot < MAX_CONNS; slot++) {
				if (conns[slot].fd >= 0)
					continue;
				int fd = accept4(pfd[i].fd, NULL, NULL,
						 SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				conn_begin(&conns[slot], fd, o, h);
				idle_end = clk_mono_ms() + clk_ms(o->idle_timeout);
			}
		}
	}
}
