/* serve: datagram batches with recvmmsg/sendmmsg, connections with a
 * polite close, all under one poll loop that ends when idle. */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "peer.h"
#include "ratelimit.h"
#include "stream.h"

#define BATCH 32
#define CMSG_MAX 256

static int64_t ms(double seconds)
{
	return (int64_t)(seconds * 1000.0 + 0.5);
}

static int check_kinds(const struct serve_handler *h,
		       const struct act_sockets *a)
{
	for (int i = 0; i < a->n; i++) {
		const struct act_socket *s = &a->s[i];
		bool ok = h->sotype == SOCK_DGRAM ?
				  s->kind == ACT_DATAGRAM &&
					  (s->family == AF_INET ||
					   s->family == AF_INET6) :
				  s->kind == ACT_STREAM_CONNECTED ||
					  s->kind == ACT_STREAM_LISTENING;
		if (!ok) {
			log_error("fd %d is %s%s; expected %s", s->fd,
				  act_kind_name(s->kind),
				  s->kind == ACT_DATAGRAM &&
						  h->sotype == SOCK_DGRAM ?
					  " (not UDP)" :
					  "",
				  h->sotype == SOCK_DGRAM ?
					  "a UDP (datagram) socket" :
					  "a TCP (stream) socket, connected or listening");
			return 1;
		}
	}
	return 0;
}

/* ---- datagrams ---- */

/* Only a socket bound to the wildcard address can be asked on several
 * addresses; one bound to a single address answers from it anyway, and
 * then the control messages are pure cost on every datagram. */
static bool bound_to_wildcard(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return true;
	if (ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((struct sockaddr_in6 *)&ss)->sin6_addr);
	return true;
}

static void pktinfo_enable(int fd, int family)
{
	int on = 1;
	if (!bound_to_wildcard(fd))
		return;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
	else
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
}

/* Answer from the address the request was sent to, so that a client
 * that checks the source (a connected socket, like chrony's) accepts
 * the reply on a host with several addresses. */
static size_t pktinfo_reply(struct msghdr *in, char *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		struct cmsghdr *o = (struct cmsghdr *)out;
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(o), &pi, sizeof pi);
			return CMSG_SPACE(sizeof pi);
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c),
			       sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

struct dgram_state {
	const struct serve_handler *h;
	struct clk_tx tx[ACT_MAX_SOCKETS];
	const struct timespec *start;
	bool first;		/* the request that started the process */
	uint8_t req[BATCH][SERVE_REQUEST_MAX];
	uint8_t reply[BATCH][SERVE_REPLY_MAX];
	struct sockaddr_storage peer[BATCH];
	union {
		char buf[CMSG_MAX];
		struct cmsghdr align;
	} cin[BATCH], cout[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	bool stamp[BATCH];
};

static void send_all(int fd, struct mmsghdr *out, int n)
{
	int sent = 0;
	while (sent < n) {
		int r = sendmmsg(fd, out + sent, (unsigned)(n - sent), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			sent++; /* this destination failed; go on */
		} else {
			sent += r;
		}
	}
}

/* Receive and answer one batch; returns how many came in, or -1. */
static int dgram_batch(struct dgram_state *d, int fd, bool ts_before,
		       struct clk_tx *txc, bool wait)
{
	const struct serve_handler *h = d->h;
	for (int i = 0; i < BATCH; i++) {
		d->iin[i] = (struct iovec){ d->req[i], SERVE_REQUEST_MAX };
		d->in[i].msg_hdr = (struct msghdr){
			.msg_name = &d->peer[i],
			.msg_namelen = sizeof d->peer[i],
			.msg_iov = &d->iin[i],
			.msg_iovlen = 1,
			.msg_control = d->cin[i].buf,
			.msg_controllen = CMSG_MAX,
		};
	}
	/* MSG_TRUNC: msg_len is the datagram's true length. Waiting, the
	 * socket's SO_RCVTIMEO bounds the wait for the first datagram. */
	int k = recvmmsg(fd, d->in, BATCH,
			 (wait ? MSG_WAITFORONE : MSG_DONTWAIT) | MSG_TRUNC, NULL);
	if (k <= 0)
		return -1;

	struct timespec now, mono = { 0, 0 };
	clk_now(&now);
	if (rl_enabled())
		clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
	int64_t mono_ms = (int64_t)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
	int n = 0;
	for (int i = 0; i < k; i++) {
		struct msghdr *m = &d->in[i].msg_hdr;
		struct timespec rx = now;
		if (h->rx_timestamps)
			clk_rx_timestamp(m, &rx);
		if (d->first && !ts_before &&
		    (rx.tv_sec > d->start->tv_sec ||
		     (rx.tv_sec == d->start->tv_sec &&
		      rx.tv_nsec > d->start->tv_nsec)))
			/* Queued before timestamps were on: the kernel stamped
			 * it only as we read it. It came before we started. */
			rx = *d->start;
		d->first = false;
		struct sockaddr *peer = (struct sockaddr *)&d->peer[i];
		enum rl_verdict v = rl_check(peer, mono_ms);
		size_t len = 0;
		if (v == RL_PASS)
			len = h->datagram(d->req[i], d->in[i].msg_len, peer, &rx,
					  d->reply[n]);
		else if (v == RL_KOD && h->limited)
			len = h->limited(d->req[i], d->in[i].msg_len, peer,
					 d->reply[n]);
		if (len == 0)
			continue;
		d->stamp[n] = v == RL_PASS;
		d->iout[n] = (struct iovec){ d->reply[n], len };
		d->out[n].msg_hdr = (struct msghdr){
			.msg_name = &d->peer[i],
			.msg_namelen = m->msg_namelen,
			.msg_iov = &d->iout[n],
			.msg_iovlen = 1,
			.msg_control = d->cout[n].buf,
			.msg_controllen = pktinfo_reply(m, d->cout[n].buf),
		};
		if (d->out[n].msg_hdr.msg_controllen == 0)
			d->out[n].msg_hdr.msg_control = NULL;
		n++;
	}
	if (n > 0) {
		size_t asked = 0;
		if (h->stamp) {
			struct timespec read;
			clk_now(&read); /* the transmit time: read last */
			struct timespec tx = clk_tx_time(txc, &read);
			for (int i = 0; i < n; i++)
				if (d->stamp[i])
					h->stamp(d->reply[i], d->iout[i].iov_len,
						 &tx);
			struct msghdr *m0 = &d->out[0].msg_hdr;
			asked = clk_tx_ask(txc, &read,
					   d->cout[0].buf + m0->msg_controllen);
			if (asked) {
				m0->msg_control = d->cout[0].buf;
				m0->msg_controllen += asked;
			}
		}
		send_all(fd, d->out, n);
		if (asked)
			clk_tx_collect(fd, txc);
	}
	return k;
}

/* SIGTERM (systemctl stop) and SIGINT end the loop between batches, so
 * that the socket goes back with no transmit stamp left in its error
 * queue: systemd fails a socket unit that reports an error event. */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Collect the transmit stamps still due (waiting briefly for one in
 * flight) and leave the error queues empty. */
static void dgram_finish(struct dgram_state *d, const struct act_sockets *a)
{
	for (int i = 0; i < a->n; i++) {
		if (!d->tx[i].enabled)
			continue;
		if (d->tx[i].pending) {
			struct pollfd p = { .fd = a->s[i].fd, .events = 0 };
			poll(&p, 1, 20);
		}
		clk_tx_collect(a->s[i].fd, &d->tx[i]);
	}
}

/* Bound blocking receives on fd to ms (0: no bound again); false when
 * fd does not block (its description is shared with the superserver,
 * so it is not changed) or the bound cannot be set. */
static bool wait_in_receive(int fd, int ms)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK))
		return false;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
}

static int serve_datagrams(const struct serve_handler *h,
			   const struct act_sockets *a,
			   const struct opt_common *o,
			   const struct timespec *start)
{
	static struct dgram_state d;
	struct pollfd pfd[ACT_MAX_SOCKETS];
	bool ts_before[ACT_MAX_SOCKETS];

	rl_init(&o->rate, (uint32_t)(start->tv_nsec ^ getpid()));
	d.h = h;
	d.start = start;
	d.first = a->origin != ACT_BY_HAND;
	for (int i = 0; i < a->n; i++) {
		pfd[i] = (struct pollfd){ .fd = a->s[i].fd, .events = POLLIN };
		ts_before[i] = h->rx_timestamps ?
				       clk_rx_timestamps_enable(a->s[i].fd) :
				       true;
		pktinfo_enable(a->s[i].fd, a->s[i].family);
		if (h->stamp)
			clk_tx_enable(a->s[i].fd, &d.tx[i]);
	}
	catch_stop();
	int idle = (int)ms(o->idle_timeout);
	if (a->n == 1 && idle > 0 && wait_in_receive(a->s[0].fd, idle)) {
		/* One socket, the usual case: wait in recvmmsg itself, one
		 * system call per wake-up instead of poll and receive. */
		int fd = a->s[0].fd;
		while (!stopping) {
			if (dgram_batch(&d, fd, ts_before[0], &d.tx[0], true) >= 0)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break; /* idle */
			if (errno != EINTR) {
				log_error("recvmmsg: %s", strerror(errno));
				return 1;
			}
		}
		wait_in_receive(fd, 0); /* the socket goes back as it came */
		dgram_finish(&d, a);
		return 0;
	}
	while (!stopping) {
		int r = poll(pfd, (nfds_t)a->n, idle);
		if (r == 0)
			break; /* idle */
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < a->n; i++) {
			if (pfd[i].revents & POLLNVAL) {
				log_error("fd %d was closed under us", pfd[i].fd);
				return 1;
			}
			if (!pfd[i].revents)
				continue;
			if (pfd[i].revents & POLLERR)
				clk_tx_collect(pfd[i].fd, &d.tx[i]);
			/* A few batches per socket, then the next: fairness. */
			for (int b = 0; b < 8 && !stopping; b++)
				if (dgram_batch(&d, pfd[i].fd, ts_before[i],
						&d.tx[i], false) < BATCH)
					break;
		}
	}
	dgram_finish(&d, a);
	return 0;
}

int serve(const struct serve_handler *h, const struct act_sockets *a,
	  const struct opt_common *o, const struct timespec *start)
{
	int r = check_kinds(h, a);
	if (r)
		return r;
	return h->sotype == SOCK_DGRAM ? serve_datagrams(h, a, o, start) :
					 stream_serve(h, a, o);
}

int serve_main(int argc, char **argv, const struct opt_program *p,
	       const struct serve_handler *h, int (*by_hand)(void))
{
	struct timespec start;
	struct act_sockets a;
	struct opt_common o;
	const char *why = NULL;

	clk_now(&start); /* first: the best bound on a queued request */
	int r = act_find(&a, &why);
	log_open(p->name, a.origin);
	if (r < 0) {
		log_error("%s", why);
		return 1;
	}
	r = opt_parse(argc, argv, p, &o);
	if (r >= 0)
		return r;
	if (a.origin == ACT_BY_HAND)
		return by_hand();
	return serve(h, &a, &o, &start);
}

int serve_print(const void *buf, size_t n)
{
	return n > 0 && fwrite(buf, 1, n, stdout) == n && fflush(stdout) == 0 ?
		       0 :
		       1;
}
