/* SPDX-License-Identifier: ISC */
/* stream: the connection loop (see stream.h), and its line kind. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* ---- the loop ---- */

static struct sconn *slot(const struct stream_kind *k, int i)
{
	return (struct sconn *)((char *)k->slots + (size_t)i * k->stride);
}

static const struct sockaddr *peer_of(const struct sconn *c)
{
	return c->has_peer ? (const struct sockaddr *)&c->peer : NULL;
}

/* Read and drop what the client has sent, at most rounds reads; false
 * once it has closed its end or the connection failed. Our close with
 * data of the client's still unread would be a reset, not a FIN, and a
 * reset throws away the answer still in our send queue. */
static bool discard(int fd, int rounds)
{
	char scratch[4096];
	for (int i = 0; i < rounds; i++) {
		ssize_t n = recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
		if (n > 0)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	}
	return true;
}

static void sc_close(const struct stream_kind *k, struct sconn *c,
		     const char *why)
{
	if (why)
		log_request(peer_of(c), "connection closed: %s", why);
	if (k->release)
		k->release(c);
	close(c->fd);
	c->fd = -1;
}

/* The kind's steps until its answer is out; then half-close and read
 * until the client closes, so that unread data of its own never turns
 * our close into a reset that would destroy the answer in flight. */
static void sc_progress(const struct stream_kind *k, struct sconn *c,
			const struct opt_common *o)
{
	if (!c->draining) {
		const char *why = NULL;
		switch (k->step(c, &why)) {
		case SCONN_WAIT:
			return;
		case SCONN_CLOSE:
			sc_close(k, c, why);
			return;
		case SCONN_ANSWERED:
			break;
		}
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		c->events = POLLIN;
		double wait = o->io_timeout < SERVE_DRAIN_MAX_S ?
				      o->io_timeout :
				      SERVE_DRAIN_MAX_S;
		int64_t until = clk_mono_ms() + clk_ms(wait);
		if (until < c->deadline)
			c->deadline = until;
	}
	if (!discard(c->fd, 16))
		sc_close(k, c, NULL);
}

static void sc_event(const struct stream_kind *k, enum stream_event e)
{
	if (k->event)
		k->event(e);
}

static void sc_open(const struct stream_kind *k, struct sconn *c, int fd,
		    const struct sockaddr *peer, socklen_t peer_len,
		    const struct opt_common *o)
{
	sc_event(k, STREAM_OPENED);
	int64_t now = clk_mono_ms();
	*c = (struct sconn){ .fd = fd, .opened = now, .events = POLLOUT,
			     .deadline = now + clk_ms(o->io_timeout) };
	if (peer && peer_len <= sizeof c->peer) {
		memcpy(&c->peer, peer, peer_len);
		c->has_peer = true;
		c->keyed = srcaddr_source_key(peer, c->key);
	}
	const char *why = NULL;
	if (!k->open(c, &why)) {
		sc_close(k, c, why);
		return;
	}
	sc_progress(k, c, o);
}

/* The slot for one more connection: a free one, else the oldest of the
 * connections that have their answer and only wait for the client's end
 * (it gives way: under pressure a new client comes before the polite
 * close of an old one); NULL when every connection is still answering. */
static struct sconn *free_slot(const struct stream_kind *k)
{
	struct sconn *oldest = NULL;
	for (int i = 0; i < STREAM_MAX_CONNS; i++) {
		struct sconn *c = slot(k, i);
		if (c->fd < 0)
			return c;
		if (c->draining && (!oldest || c->opened < oldest->opened))
			oldest = c;
	}
	return oldest;
}

static bool same_source(const struct sconn *c, const uint8_t *key)
{
	return c->fd >= 0 && c->keyed && memcmp(c->key, key, SRCADDR_KEY_LEN) == 0;
}

/* Whether a new connection from key's source would be past the limit:
 * it holds max connections already (0: no limit). Before saying so, its
 * draining connections are looked at again: a fast client's connections
 * that it has closed since the last poll are not held any more. */
static bool source_full(const struct stream_kind *k, const uint8_t *key,
			const struct opt_common *o)
{
	unsigned held = 0, max = o->max_per_source;
	for (int i = 0; max && i < STREAM_MAX_CONNS; i++)
		held += same_source(slot(k, i), key);
	if (held < max || !max)
		return false;
	held = 0;
	for (int i = 0; i < STREAM_MAX_CONNS; i++) {
		struct sconn *c = slot(k, i);
		if (same_source(c, key) && c->draining)
			sc_progress(k, c, o);
		held += same_source(c, key);
	}
	return held >= max;
}

/* Accept what waits on listener, as long as there is a slot to give;
 * false when none was accepted. A connection past its source's limit is
 * closed at once, unanswered: what it sent is read first, so that the
 * close is a FIN and not a reset, and no SO_LINGER (its zero timeout is
 * that reset). Bounded per call, so that the connections in hand are
 * not starved. */
static bool accept_some(const struct stream_kind *k, int listener,
			const struct opt_common *o)
{
	bool any = false;
	for (int n = 0; n < 4 * STREAM_MAX_CONNS; n++) {
		struct sconn *c = free_slot(k);
		if (!c)
			break; /* leave the rest in the backlog */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		struct sockaddr *peer = (struct sockaddr *)&ss;
		int fd = accept4(listener, peer, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		any = true;
		uint8_t key[SRCADDR_KEY_LEN];
		if (srcaddr_source_key(peer, key) && source_full(k, key, o)) {
			log_request(peer, "closed unanswered: %u connections "
					  "from this source already",
				    o->max_per_source);
			sc_event(k, STREAM_OPENED);
			sc_event(k, STREAM_PER_SOURCE);
			discard(fd, 4);
			close(fd);
			continue;
		}
		if (c->fd >= 0) {
			discard(c->fd, 16);
			sc_close(k, c, NULL);
		}
		sc_open(k, c, fd, peer, sl, o);
	}
	return any;
}

/* SIGTERM and SIGINT (systemctl stop or restart, e.g. to load a renewed
 * certificate) stop the accepting; the connections in hand are answered
 * (each ends by its --io-timeout at the latest), then the loop returns.
 * Connections still in the listening socket's backlog stay there for
 * the next process: under systemd the socket outlives the service. The
 * signals are let in only inside ppoll, so none is missed between a
 * look at the flag and the wait. */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static sigset_t catch_stop(void)
{
	sigset_t set, open;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &open);
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigdelset(&open, SIGTERM);
	sigdelset(&open, SIGINT);
	return open;
}

int stream_loop(const struct stream_kind *k, const struct act_sockets *a,
		const struct opt_common *o)
{
	sigset_t open = catch_stop();
	struct pollfd pfd[ACT_MAX_SOCKETS + STREAM_MAX_CONNS];
	int listeners[ACT_MAX_SOCKETS], nl = 0, nc = 0;

	for (int i = 0; i < STREAM_MAX_CONNS; i++)
		slot(k, i)->fd = -1;
	for (int i = 0; i < a->n; i++) {
		int fd = a->s[i].fd;
		if (a->s[i].kind == ACT_STREAM_LISTENING) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			listeners[nl++] = fd;
			continue;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		struct sockaddr *peer = (struct sockaddr *)&ss;
		if (getpeername(fd, peer, &sl) < 0)
			peer = NULL;
		if (nc < STREAM_MAX_CONNS)
			sc_open(k, slot(k, nc++), fd, peer, sl, o);
	}

	int64_t idle_end = clk_mono_ms() + clk_ms(o->idle_timeout);
	for (;;) {
		int64_t now = clk_mono_ms(), wake = nl ? idle_end : INT64_MAX;
		int np = 0, owner[STREAM_MAX_CONNS];
		bool room = false;
		for (int i = 0; i < STREAM_MAX_CONNS; i++) {
			struct sconn *c = slot(k, i);
			if (c->fd < 0) {
				room = true;
				continue;
			}
			if (now >= c->deadline) {
				if (!c->draining)
					sc_event(k, STREAM_TIMED_OUT);
				sc_close(k, c, c->draining ? NULL : "--io-timeout");
				room = true;
				continue;
			}
			room = room || c->draining;
			if (c->deadline < wake)
				wake = c->deadline;
			owner[np] = i;
			pfd[np++] = (struct pollfd){ .fd = c->fd,
						     .events = c->events };
		}
		int live = np;
		if (live == 0 && (nl == 0 || now >= idle_end || stopping))
			return 0;
		/* Every slot answering, or stopping: new clients wait in the
		 * backlog. */
		int nlp = room && !stopping ? nl : 0;
		for (int i = 0; i < nlp; i++)
			pfd[np++] = (struct pollfd){ .fd = listeners[i],
						     .events = POLLIN };
		int64_t left = wake - now;
		if (left < 0)
			left = 0;
		if (left > 60000)
			left = 60000;
		struct timespec ts = { left / 1000, left % 1000 * 1000000L };
		int r = ppoll(pfd, (nfds_t)np, &ts, &open);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		for (int j = 0; r > 0 && j < live; j++)
			if (pfd[j].revents)
				sc_progress(k, slot(k, owner[j]), o);
		for (int i = live; r > 0 && i < np; i++)
			if ((pfd[i].revents & POLLIN) &&
			    accept_some(k, pfd[i].fd, o))
				idle_end = clk_mono_ms() + clk_ms(o->idle_timeout);
	}
}

/* ---- the line kind ---- */

struct lconn {
	struct sconn s;
	size_t len, off;
	char line[SERVE_REPLY_MAX];
};

static const struct serve_handler *line_handler;

static bool line_open(struct sconn *c, const char **why)
{
	struct lconn *l = (struct lconn *)c;
	(void)why; /* no line: closed unanswered, as before, unlogged */
	l->off = 0;
	l->len = line_handler->line(l->line, peer_of(c));
	return l->len > 0;
}

static enum sconn_step line_step(struct sconn *c, const char **why)
{
	struct lconn *l = (struct lconn *)c;
	(void)why;
	/* MSG_MORE holds the line back for the FIN that the half-close
	 * adds to it: one segment, data and FIN, not two. */
	ssize_t n = send(c->fd, l->line + l->off, l->len - l->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? SCONN_WAIT :
							   SCONN_CLOSE;
	l->off += (size_t)n;
	return l->off < l->len ? SCONN_WAIT : SCONN_ANSWERED;
}

int stream_serve(const struct serve_handler *h, const struct act_sockets *a,
		 const struct opt_common *o)
{
	static struct lconn conns[STREAM_MAX_CONNS];
	static const struct stream_kind kind = {
		.slots = conns, .stride = sizeof conns[0],
		.open = line_open, .step = line_step,
	};
	line_handler = h;
	return stream_loop(&kind, a, o);
}
