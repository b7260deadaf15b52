/* SPDX-License-Identifier: ISC */
/* activation: find the sockets a superserver handed over, the same way
 * for systemd (sd_listen_fds(3)), inetd/xinetd (standard input) and a
 * run by hand. Knows nothing of the protocols. */
#ifndef SOCKCLOCK_ACTIVATION_H
#define SOCKCLOCK_ACTIVATION_H

#define ACT_MAX_SOCKETS 16
#define ACT_FIRST_FD 3	/* SD_LISTEN_FDS_START */

enum act_origin { ACT_BY_HAND, ACT_INETD, ACT_SYSTEMD };

enum act_kind {
	ACT_STREAM_CONNECTED,
	ACT_STREAM_LISTENING,
	ACT_DATAGRAM,
	ACT_OTHER,
	ACT_NOT_SOCKET,	/* not open, or a file, pipe or terminal */
};

struct act_socket {
	int fd;
	int family;
	enum act_kind kind;
};

struct act_sockets {
	enum act_origin origin;
	int n;
	struct act_socket s[ACT_MAX_SOCKETS];
};

/* Where did this process's work come from? Cheap: reads the
 * environment and asks fd 0 its socket type, nothing else. The systemd
 * variables are removed, as sd_listen_fds(1) does, so children do not
 * see them. Returns -1 with a message in why when LISTEN_FDS is
 * malformed or names too many sockets. */
int act_find(struct act_sockets *a, const char **why);
const char *act_kind_name(enum act_kind k);

#endif
