/* stream: connections, a line each with a polite close, on connected
 * sockets and on listening ones accepted until idle. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "peer.h"

#define MAX_CONNS 64

/* ---- connections ---- */

struct conn {
	int fd;
	bool draining;
	bool keyed;		/* key says which source it is from */
	uint8_t key[PEER_KEY_LEN];
	size_t len, off;
	int64_t opened, deadline;
	char line[SERVE_REPLY_MAX];
};

/* Read and drop what the client has sent, at most rounds reads; false
 * once it has closed its end or the connection failed. Our close with
 * data of the client's still unread would be a reset, not a FIN, and a
 * reset throws away the line still in our send queue. */
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

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Write what is left of the line; then half-close and read until the
 * client closes, so that unread data of its own never turns our close
 * into a reset that would destroy the line in flight. */
static void conn_progress(struct conn *c, const struct opt_common *o)
{
	if (!c->draining) {
		/* MSG_MORE holds the line back for the FIN that shutdown
		 * adds to it: one segment, data and FIN, not two. */
		ssize_t n = send(c->fd, c->line + c->off, c->len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(c);
			return;
		}
		c->off += (size_t)n;
		if (c->off < c->len)
			return;
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		double wait = o->io_timeout < SERVE_DRAIN_MAX_S ?
				      o->io_timeout :
				      SERVE_DRAIN_MAX_S;
		int64_t until = clk_mono_ms() + clk_ms(wait);
		if (until < c->deadline)
			c->deadline = until;
	}
	if (!discard(c->fd, 16))
		conn_close(c);
}

static bool conn_open(struct conn *c, int fd, const struct sockaddr *peer,
		      const struct serve_handler *h,
		      const struct opt_common *o)
{
	int64_t now = clk_mono_ms();
	*c = (struct conn){ .fd = fd, .opened = now,
			    .deadline = now + clk_ms(o->io_timeout) };
	c->keyed = peer_source_key(peer, c->key);
	c->len = h->line(c->line, peer);
	if (c->len == 0) {
		conn_close(c);
		return false;
	}
	conn_progress(c, o);
	return true;
}

/* The slot for one more connection: a free one, else the oldest of the
 * connections that have their line and only wait for the client's end
 * (it gives way: under pressure a new client comes before the polite
 * close of an old one); NULL when every connection is still writing. */
static struct conn *conn_slot(struct conn *conns)
{
	struct conn *oldest = NULL;
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &conns[i];
		if (c->fd < 0)
			return c;
		if (c->draining && (!oldest || c->opened < oldest->opened))
			oldest = c;
	}
	return oldest;
}

static bool same_source(const struct conn *c, const uint8_t *key)
{
	return c->fd >= 0 && c->keyed && memcmp(c->key, key, PEER_KEY_LEN) == 0;
}

/* Whether a new connection from key's source would be past the limit:
 * it holds max connections already (0: no limit). Before saying so, its
 * draining connections are looked at again: a fast client's connections
 * that it has closed since the last poll are not held any more. */
static bool source_full(struct conn *conns, const uint8_t *key,
			const struct opt_common *o)
{
	unsigned held = 0, max = o->max_per_source;
	for (int i = 0; max && i < MAX_CONNS; i++)
		held += same_source(&conns[i], key);
	if (held < max || !max)
		return false;
	held = 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (same_source(&conns[i], key) && conns[i].draining)
			conn_progress(&conns[i], o);
		held += same_source(&conns[i], key);
	}
	return held >= max;
}

/* Accept what waits on listener, as long as there is a slot to give;
 * false when none was accepted. A connection past its source's limit is
 * closed at once with no line: what it sent is read first, so that the
 * close is a FIN and not a reset, and no SO_LINGER (its zero timeout is
 * that reset). Bounded per call, so that the connections in hand are
 * not starved. */
static bool accept_some(int listener, struct conn *conns,
			const struct serve_handler *h,
			const struct opt_common *o)
{
	bool any = false;
	for (int n = 0; n < 4 * MAX_CONNS; n++) {
		struct conn *c = conn_slot(conns);
		if (!c)
			break; /* leave the rest in the backlog */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		struct sockaddr *peer = (struct sockaddr *)&ss;
		int fd = accept4(listener, peer, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		any = true;
		uint8_t key[PEER_KEY_LEN];
		if (peer_source_key(peer, key) &&
		    source_full(conns, key, o)) {
			log_request(peer, "closed unanswered: %u connections "
					  "from this source already",
				    o->max_per_source);
			discard(fd, 4);
			close(fd);
			continue;
		}
		if (c->fd >= 0) {
			discard(c->fd, 16);
			conn_close(c);
		}
		conn_open(c, fd, peer, h, o);
	}
	return any;
}

int stream_serve(const struct serve_handler *h, const struct act_sockets *a,
		 const struct opt_common *o)
{
	static struct conn conns[MAX_CONNS];
	struct pollfd pfd[ACT_MAX_SOCKETS + MAX_CONNS];
	int listeners[ACT_MAX_SOCKETS], nl = 0, nc = 0;

	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
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
		if (nc < MAX_CONNS && conn_open(&conns[nc], fd, peer, h, o))
			nc++;
	}

	int64_t idle_end = clk_mono_ms() + clk_ms(o->idle_timeout);
	for (;;) {
		int64_t now = clk_mono_ms(), wake = nl ? idle_end : INT64_MAX;
		int np = 0, owner[MAX_CONNS];
		bool room = false;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0) {
				room = true;
				continue;
			}
			if (now >= c->deadline) {
				conn_close(c);
				room = true;
				continue;
			}
			room = room || c->draining;
			if (c->deadline < wake)
				wake = c->deadline;
			owner[np] = i;
			pfd[np++] = (struct pollfd){
				.fd = c->fd,
				.events = c->draining ? POLLIN : POLLOUT,
			};
		}
		int live = np;
		if (live == 0 && nl == 0)
			return 0;
		/* Every slot writing its line: new clients wait in the backlog. */
		int nlp = room ? nl : 0;
		for (int i = 0; i < nlp; i++)
			pfd[np++] = (struct pollfd){ .fd = listeners[i],
						     .events = POLLIN };
		int r = poll(pfd, (nfds_t)np, wake - now > 0 ? (int)(wake - now) : 0);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		/* Idle: nothing pending, nothing in progress, time is up. */
		if (r == 0 && live == 0 && clk_mono_ms() >= idle_end)
			return 0;
		for (int j = 0; r > 0 && j < live; j++)
			if (pfd[j].revents)
				conn_progress(&conns[owner[j]], o);
		for (int i = live; r > 0 && i < np; i++)
			if ((pfd[i].revents & POLLIN) &&
			    accept_some(pfd[i].fd, conns, h, o))
				idle_end = clk_mono_ms() + clk_ms(o->idle_timeout);
	}
}
