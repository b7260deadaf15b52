/* SPDX-License-Identifier: ISC */
/* Unit tests of common/sys/activation.c: act_find with LISTEN_PID/LISTEN_FDS
 * in the environment and real sockets dup2'ed to fds 3..; standard input
 * as the inetd socket; and the count cross-checked against libsystemd's
 * sd_listen_fds(), the reference for the protocol. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "check.h"
#include "sys/activation.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HIGH_FD 200

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static int sock(int family, int type)
{
	int fd = socket(family, type, 0);
	if (fd < 0)
		die("socket");
	return fd;
}

static int udp(int family)
{
	return sock(family, SOCK_DGRAM);
}

/* A listening TCP socket on loopback (an ephemeral port). */
static int listener(int family)
{
	int fd = sock(family, SOCK_STREAM);
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		len = sizeof *in6;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0)
		die("bind/listen");
	return fd;
}

/* Both ends of a TCP connection over 127.0.0.1. */
static void tcp_pair(int *client, int *server)
{
	int l = listener(AF_INET);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	if (getsockname(l, (struct sockaddr *)&a, &len) < 0)
		die("getsockname");
	*client = sock(AF_INET, SOCK_STREAM);
	if (connect(*client, (struct sockaddr *)&a, len) < 0)
		die("connect");
	*server = accept(l, NULL, NULL);
	if (*server < 0)
		die("accept");
	close(l);
}

/* Put fds[i] at 3 + i, as systemd does, with FD_CLOEXEC clear; the
 * originals are closed. */
static void place(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		int high = fcntl(fds[i], F_DUPFD, HIGH_FD + i);
		if (high < 0)
			die("F_DUPFD");
		close(fds[i]);
		fds[i] = high;
	}
	for (int i = 0; i < n; i++) {
		if (dup2(fds[i], ACT_FIRST_FD + i) < 0)
			die("dup2");
		close(fds[i]);
		fds[i] = ACT_FIRST_FD + i;
	}
}

static void unplace(int n)
{
	for (int i = 0; i < n; i++)
		close(ACT_FIRST_FD + i);
}

static void clear_cloexec(int n)
{
	for (int i = 0; i < n; i++)
		fcntl(ACT_FIRST_FD + i, F_SETFD, 0);
}

static void set_env(const char *pid, const char *fds)
{
	if (pid)
		setenv("LISTEN_PID", pid, 1);
	else
		unsetenv("LISTEN_PID");
	if (fds)
		setenv("LISTEN_FDS", fds, 1);
	else
		unsetenv("LISTEN_FDS");
	setenv("LISTEN_FDNAMES", "a:b", 1);
}

static const char *my_pid(void)
{
	static char buf[32];
	snprintf(buf, sizeof buf, "%ld", (long)getpid());
	return buf;
}

static const char *num(long v)
{
	static char buf[8][32];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%ld", v);
	return buf[k];
}

static void env_gone(const char *c)
{
	CHECK(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS") &&
		      !getenv("LISTEN_FDNAMES"),
	      "%s: LISTEN_* removed from the environment", c);
}

/* Standard input: /dev/null unless a case says otherwise. */
static void stdin_from(int fd)
{
	if (fd < 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			die("/dev/null");
	}
	if (fd != 0) {
		if (dup2(fd, 0) < 0)
			die("dup2 stdin");
		close(fd);
	}
}

/* act_find under pid/fds, then sd_listen_fds under the same: both must
 * agree on the number of passed sockets. Returns act_find's result. */
static int find_and_compare(const char *c, const char *pid, const char *fds,
			    int nfds, struct act_sockets *a, const char **why)
{
	set_env(pid, fds);
	clear_cloexec(nfds);
	*why = NULL;
	memset(a, 0x5a, sizeof *a);
	int rc = act_find(a, why);
	env_gone(c);
	set_env(pid, fds);
	int sd = sd_listen_fds(1);
	env_gone(c);
	int ours = rc < 0 ? -1 : a->origin == ACT_SYSTEMD ? a->n : 0;
	CHECK(ours == sd || (ours < 0 && sd < 0),
	      "%s: act_find says %d sockets, sd_listen_fds says %d", c, ours, sd);
	return rc;
}

static void expect(const char *c, const struct act_sockets *a, int i, int fd,
		   int family, enum act_kind kind)
{
	CHECK(i < a->n, "%s: socket %d found (n = %d)", c, i, a->n);
	if (i >= a->n)
		return;
	CHECK_EQ(a->s[i].fd, fd, "%s: socket %d fd", c, i);
	CHECK_EQ(a->s[i].family, family, "%s: socket %d family", c, i);
	CHECK(a->s[i].kind == kind, "%s: socket %d is %s, want %s", c, i,
	      act_kind_name(a->s[i].kind), act_kind_name(kind));
}

/* The family and kind wanted of each passed socket, from fd 3 on. */
struct want {
	int family;
	enum act_kind kind;
};

/* Places fds[0..n-1] as LISTEN_FDS=n for this process; act_find must
 * find all n as systemd's, in order, as wanted; then unplaces them. */
static void expect_placed(const char *c, int *fds, int n, const struct want *w)
{
	struct act_sockets a;
	const char *why;

	place(fds, n);
	int rc = find_and_compare(c, my_pid(), num(n), n, &a, &why);
	CHECK(rc == 0 && a.origin == ACT_SYSTEMD && a.n == n,
	      "%s: rc %d origin %d n %d", c, rc, a.origin, a.n);
	for (int i = 0; i < n; i++)
		expect(c, &a, i, 3 + i, w[i].family, w[i].kind);
	unplace(n);
}

static void test_systemd_kinds(void)
{
	struct act_sockets a;
	const char *why;
	int rc;

	/* One datagram socket. */
	int fds[ACT_MAX_SOCKETS + 2];
	fds[0] = udp(AF_INET);
	expect_placed("one datagram", fds, 1,
		      (const struct want[]){ { AF_INET, ACT_DATAGRAM } });

	/* Close-on-exec is set on what was passed (children must not
	 * inherit the sockets), as sd_listen_fds does. */
	fds[0] = udp(AF_INET6);
	fds[1] = listener(AF_INET);
	place(fds, 2);
	set_env(my_pid(), "2");
	clear_cloexec(2);
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.n == 2, "cloexec case found 2");
	CHECK(fcntl(3, F_GETFD) == FD_CLOEXEC && fcntl(4, F_GETFD) == FD_CLOEXEC,
	      "FD_CLOEXEC set on passed fds: %d %d", fcntl(3, F_GETFD),
	      fcntl(4, F_GETFD));
	unplace(2);

	/* Listening streams and datagrams, IPv4 and IPv6, in order. */
	fds[0] = listener(AF_INET);
	fds[1] = listener(AF_INET6);
	fds[2] = udp(AF_INET);
	fds[3] = udp(AF_INET6);
	expect_placed("four", fds, 4,
		      (const struct want[]){ { AF_INET, ACT_STREAM_LISTENING },
					     { AF_INET6, ACT_STREAM_LISTENING },
					     { AF_INET, ACT_DATAGRAM },
					     { AF_INET6, ACT_DATAGRAM } });

	/* Connected streams: both ends of a TCP loopback connection, a
	 * socketpair; and a datagram socketpair, a seqpacket (other). */
	int sp[2], dp[2], qp[2];
	tcp_pair(&fds[0], &fds[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, qp) < 0)
		die("socketpair");
	fds[2] = sp[0];
	fds[3] = dp[0];
	fds[4] = qp[0];
	expect_placed("connected", fds, 5,
		      (const struct want[]){ { AF_INET, ACT_STREAM_CONNECTED },
					     { AF_INET, ACT_STREAM_CONNECTED },
					     { AF_UNIX, ACT_STREAM_CONNECTED },
					     { AF_UNIX, ACT_DATAGRAM },
					     { AF_UNIX, ACT_OTHER } });
	close(sp[1]);
	close(dp[1]);
	close(qp[1]);

	/* As many as sockclock serves. */
	for (int i = 0; i < ACT_MAX_SOCKETS; i++)
		fds[i] = udp(i % 2 ? AF_INET6 : AF_INET);
	place(fds, ACT_MAX_SOCKETS);
	rc = find_and_compare("sixteen", my_pid(), num(ACT_MAX_SOCKETS),
			      ACT_MAX_SOCKETS, &a, &why);
	CHECK(rc == 0 && a.n == ACT_MAX_SOCKETS, "sixteen: rc %d n %d", rc, a.n);
	for (int i = 0; i < a.n && i < ACT_MAX_SOCKETS; i++)
		expect("sixteen", &a, i, 3 + i, i % 2 ? AF_INET6 : AF_INET,
		       ACT_DATAGRAM);
	/* One more than that: refused with a reason, environment gone. */
	fds[ACT_MAX_SOCKETS] = dup2(3, 3 + ACT_MAX_SOCKETS);
	CHECK_EQ(fds[ACT_MAX_SOCKETS], 3 + ACT_MAX_SOCKETS, "17th fd placed");
	set_env(my_pid(), num(ACT_MAX_SOCKETS + 1));
	why = NULL;
	rc = act_find(&a, &why);
	CHECK(rc == -1 && why && *why, "seventeen refused: rc %d why %s", rc,
	      why ? why : "(none)");
	env_gone("seventeen");
	set_env(my_pid(), "1000");
	why = NULL;
	memset(&a, 0xff, sizeof a);
	rc = act_find(&a, &why);
	CHECK(rc == -1 && why && *why, "a thousand refused: rc %d", rc);
	/* Refused, but the origin is known (the log reads it). */
	CHECK(a.origin == ACT_SYSTEMD && a.n == 0,
	      "refused: origin %d n %d", (int)a.origin, a.n);
	CHECK(strcmp(act_kind_name(ACT_NOT_SOCKET), "not a socket") == 0,
	      "a non-socket is named so");
	unplace(ACT_MAX_SOCKETS + 1);

	/* The socket named but not open: counted, and of no usable kind
	 * (the program then says it got the wrong kind). */
	fds[0] = udp(AF_INET);
	place(fds, 1);
	set_env(my_pid(), "2");
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.n == 2, "fd 4 not open: rc %d n %d", rc, a.n);
	if (a.n == 2)
		CHECK(a.s[1].kind == ACT_NOT_SOCKET, "an fd that is not open is no socket");
	unplace(1);
}

static void test_systemd_not_ours(void)
{
	struct act_sockets a;
	const char *why;
	int fds[2];
	fds[0] = udp(AF_INET);
	place(fds, 1);
	stdin_from(-1);

	/* Meant for another process, or not set: not systemd; by hand
	 * here, since standard input is /dev/null. sd_listen_fds: 0. */
	const struct {
		const char *pid, *fds, *what;
	} cases[] = {
		{ num(getpid() + 1), "1", "LISTEN_PID of another process" },
		{ "1", "1", "LISTEN_PID 1" },
		{ NULL, "1", "LISTEN_FDS without LISTEN_PID" },
		{ my_pid(), NULL, "LISTEN_PID without LISTEN_FDS" },
		{ NULL, NULL, "neither" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		const char *p = cases[i].pid, *f = cases[i].fds;
		char pid[32] = "";
		if (p)
			snprintf(pid, sizeof pid, "%s", p);
		int rc = find_and_compare(cases[i].what, p ? pid : NULL, f, 1, &a,
					  &why);
		CHECK(rc == 0 && a.origin == ACT_BY_HAND && a.n == 0,
		      "%s: rc %d origin %d n %d", cases[i].what, rc, a.origin, a.n);
	}
	/* A LISTEN_PID that is no number is not ours either. */
	const char *junk[] = { "abc", "", "-1", "0" };
	for (size_t i = 0; i < N(junk); i++) {
		set_env(junk[i], "1");
		int rc = act_find(&a, &why);
		CHECK(rc == 0 && a.origin == ACT_BY_HAND,
		      "LISTEN_PID '%s': not ours (rc %d origin %d)", junk[i], rc,
		      a.origin);
		env_gone("junk LISTEN_PID");
	}
	char trailing[40];
	snprintf(trailing, sizeof trailing, "%sx", my_pid());
	set_env(trailing, "1");
	int rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_BY_HAND, "LISTEN_PID '%s'", trailing);

	/* LISTEN_FDS=0 for us: nothing from systemd. */
	set_env(my_pid(), "0");
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin != ACT_SYSTEMD && a.n == 0,
	      "LISTEN_FDS=0: rc %d origin %d n %d", rc, a.origin, a.n);
	unplace(1);
}

static void test_systemd_malformed(void)
{
	struct act_sockets a;
	const char *why;
	int fds[1] = { udp(AF_INET) };
	place(fds, 1);
	stdin_from(-1);
	const char *bad[] = { "abc", "", " ", "3x", "1.0", "-1", "-16",
			      "99999999999999999999", "0x" };
	for (size_t i = 0; i < N(bad); i++) {
		char c[64];
		snprintf(c, sizeof c, "LISTEN_FDS='%s'", bad[i]);
		int rc = find_and_compare(c, my_pid(), bad[i], 1, &a, &why);
		CHECK(rc == -1 && why && *why, "%s: refused with a reason (rc %d)",
		      c, rc);
	}
	unplace(1);
}

static void test_inetd(void)
{
	struct act_sockets a;
	const char *why;
	int rc;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");

	stdin_from(udp(AF_INET));
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_INETD && a.n == 1,
	      "stdin datagram: rc %d origin %d n %d", rc, a.origin, a.n);
	expect("stdin datagram", &a, 0, 0, AF_INET, ACT_DATAGRAM);

	int c, s;
	tcp_pair(&c, &s);
	stdin_from(s);
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_INETD && a.n == 1, "stdin connected");
	expect("stdin connected", &a, 0, 0, AF_INET, ACT_STREAM_CONNECTED);
	close(c);

	stdin_from(listener(AF_INET6));
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_INETD && a.n == 1, "stdin listening");
	expect("stdin listening", &a, 0, 0, AF_INET6, ACT_STREAM_LISTENING);

	/* LISTEN_PID of another process, standard input a socket: inetd. */
	stdin_from(udp(AF_INET6));
	set_env(num(getpid() + 1), "1");
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_INETD && a.n == 1,
	      "other LISTEN_PID, stdin socket: origin %d", a.origin);
	expect("other LISTEN_PID, stdin socket", &a, 0, 0, AF_INET6, ACT_DATAGRAM);

	/* Ours and a socket on stdin too: systemd's sockets win. */
	int fds[1] = { listener(AF_INET) };
	place(fds, 1);
	set_env(my_pid(), "1");
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_SYSTEMD && a.n == 1,
	      "systemd beats stdin: origin %d n %d", a.origin, a.n);
	expect("systemd beats stdin", &a, 0, 3, AF_INET, ACT_STREAM_LISTENING);
	unplace(1);

	/* Not a socket on stdin: by hand. */
	int p[2];
	if (pipe(p) < 0)
		die("pipe");
	stdin_from(p[0]);
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_BY_HAND && a.n == 0, "stdin pipe: by hand");
	close(p[1]);
	stdin_from(-1);
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_BY_HAND && a.n == 0,
	      "stdin /dev/null: by hand");
	close(0);
	rc = act_find(&a, &why);
	CHECK(rc == 0 && a.origin == ACT_BY_HAND && a.n == 0, "stdin closed: by hand");
	stdin_from(-1);
}

static void test_names(void)
{
	const enum act_kind kinds[] = { ACT_STREAM_CONNECTED, ACT_STREAM_LISTENING,
					ACT_DATAGRAM, ACT_OTHER };
	for (size_t i = 0; i < N(kinds); i++)
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(act_kind_name(kinds[i]), act_kind_name(kinds[k])),
			      "kind names %zu and %zu differ", i, k);
	CHECK(strstr(act_kind_name(ACT_DATAGRAM), "datagram"), "datagram named");
	CHECK(strstr(act_kind_name(ACT_STREAM_LISTENING), "listening"),
	      "listening named");
}

int main(void)
{
	/* Nothing of ours may sit at 3.. while the cases put sockets there. */
	int saved_stdin = fcntl(0, F_DUPFD_CLOEXEC, HIGH_FD + 50);
	stdin_from(-1);
	test_systemd_kinds();
	test_systemd_not_ours();
	test_systemd_malformed();
	test_inetd();
	test_names();
	if (saved_stdin >= 0) {
		dup2(saved_stdin, 0);
		close(saved_stdin);
	}
	return check_summary();
}
