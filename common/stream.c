/* stream: connections, a line each with a polite close, on connected
 * sockets and on listening ones accepted until idle. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MAX_CONNS 64

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t ms(double seconds)
{
	return (int64_t)(seconds * 1000.0 + 0.5);
}

/* ---- connections ---- */

struct conn {
	int fd;
	bool draining;
	size_t len, off;
	int64_t deadline;
	char line[SERVE_REPLY_MAX];
};

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
		ssize_t n = send(c->fd, c->line + c->off, c->len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
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
		int64_t until = now_ms() + ms(wait);
		if (until < c->deadline)
			c->deadline = until;
	}
	char scratch[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
}

static bool conn_open(struct conn *c, int fd, const struct sockaddr *peer,
		      const struct serve_handler *h,
		      const struct opt_common *o)
{
	*c = (struct conn){ .fd = fd, .deadline = now_ms() + ms(o->io_timeout) };
	c->len = h->line(c->line, peer);
	if (c->len == 0) {
		conn_close(c);
		return false;
	}
	conn_progress(c, o);
	return true;
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

	int64_t idle_end = now_ms() + ms(o->idle_timeout);
	for (;;) {
		int64_t now = now_ms(), wake = nl ? idle_end : INT64_MAX;
		int np = 0, owner[MAX_CONNS];
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				conn_close(c);
				continue;
			}
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
		/* With every slot taken, leave new clients in the backlog. */
		int nlp = live < MAX_CONNS ? nl : 0;
		for (int i = 0; i < nlp; i++)
			pfd[np++] = (struct pollfd){ .fd = listeners[i],
						     .events = POLLIN };
		int r = poll(pfd, (nfds_t)np, wake - now > 0 ? (int)(wake - now) : 0);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		/* Idle: nothing pending, nothing in progress, time is up. */
		if (r == 0 && live == 0 && now_ms() >= idle_end)
			return 0;
		for (int j = 0; r > 0 && j < live; j++)
			if (pfd[j].revents)
				conn_progress(&conns[owner[j]], o);
		for (int i = live; r > 0 && i < np; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			for (int slot = 0; slot < MAX_CONNS; slot++) {
				if (conns[slot].fd >= 0)
					continue;
				struct sockaddr_storage ss;
				socklen_t sl = sizeof ss;
				int fd = accept4(pfd[i].fd, (struct sockaddr *)&ss,
						 &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				conn_open(&conns[slot], fd,
					  (struct sockaddr *)&ss, h, o);
				idle_end = now_ms() + ms(o->idle_timeout);
			}
		}
	}
}
