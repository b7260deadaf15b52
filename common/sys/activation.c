/* SPDX-License-Identifier: ISC */
/* activation: the sd_listen_fds(3) protocol and inetd's standard input. */
#include "activation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The protocol is a few environment variables; reading them here keeps
 * libsystemd off the path of every request (see README, "Design"). */
static int listen_fds(const char **why)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n = 0;

	if (!pid || !fds)
		goto done;
	char *end;
	errno = 0;
	unsigned long p = strtoul(pid, &end, 10);
	if (errno || *end || end == pid || p != (unsigned long)getpid())
		goto done; /* meant for another process */
	errno = 0;
	long v = strtol(fds, &end, 10);
	if (errno || *end || end == fds || v < 0) {
		*why = "LISTEN_FDS is not a number";
		n = -1;
	} else if (v > ACT_MAX_SOCKETS) {
		*why = "more sockets passed than sockclock serves (16)";
		n = -1;
	} else {
		n = (int)v;
	}
done:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

static int sock_opt(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0)
		return -1;
	return v;
}

static void classify(int fd, struct act_socket *s)
{
	int type = sock_opt(fd, SO_TYPE);
	s->fd = fd;
	if (type < 0) {
		s->family = AF_UNSPEC;
		s->kind = ACT_NOT_SOCKET;
		return;
	}
	s->family = sock_opt(fd, SO_DOMAIN);
	if (type == SOCK_DGRAM)
		s->kind = ACT_DATAGRAM;
	else if (type == SOCK_STREAM)
		s->kind = sock_opt(fd, SO_ACCEPTCONN) == 1 ?
				  ACT_STREAM_LISTENING : ACT_STREAM_CONNECTED;
	else
		s->kind = ACT_OTHER;
}

int act_find(struct act_sockets *a, const char **why)
{
	int n = listen_fds(why);
	a->n = 0;
	/* A bad LISTEN_FDS still means systemd started us: its log. */
	a->origin = ACT_SYSTEMD;
	if (n < 0)
		return -1;
	if (n > 0) {
		a->origin = ACT_SYSTEMD;
		for (int i = 0; i < n; i++) {
			int fd = ACT_FIRST_FD + i;
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			classify(fd, &a->s[a->n++]);
		}
		return 0;
	}
	if (sock_opt(0, SO_TYPE) >= 0) {
		a->origin = ACT_INETD;
		classify(0, &a->s[a->n++]);
		return 0;
	}
	a->origin = ACT_BY_HAND;
	return 0;
}

const char *act_kind_name(enum act_kind k)
{
	switch (k) {
	case ACT_STREAM_CONNECTED:
		return "a connected stream socket";
	case ACT_STREAM_LISTENING:
		return "a listening stream socket";
	case ACT_DATAGRAM:
		return "a datagram socket";
	case ACT_NOT_SOCKET:
		return "not a socket";
	default:
		return "a socket of another type";
	}
}
