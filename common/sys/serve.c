/* SPDX-License-Identifier: ISC */
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
#include <sys/random.h>
#include <unistd.h>

#include "../proto/allow.h"
#include "../proto/ratelimit.h"
#include "../proto/srcaddr.h"
#include "clock.h"
#include "log.h"
#include "state.h"
#include "stream.h"
#include "txstamp.h"
#include "timesyncq.h"
#include "warmup.h"

#define BATCH 32
#define CMSG_MAX 256

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
	/* On a dual-stack socket, IPv4 datagrams carry IP_PKTINFO as well:
	 * only it tells a subnet's broadcast from a unicast destination. */
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
}

/* Replies go out with DF set and IP ID 0 (RFC 6864 §4.2: an atomic
 * datagram's ID has no meaning) instead of one drawn from the kernel's
 * shared, hashed ID table for each reply: under load that table was 1 to
 * 2 percent of the server's time. PROBE, not DO: a path MTU learned
 * from ICMP never turns a send into an error, and a reply (at most
 * SERVE_REPLY_MAX bytes) is never split on the way out; the kernel of
 * a dual-stack socket applies it to its IPv4 traffic. */
static void df_enable(int fd)
{
	int v = IP_PMTUDISC_PROBE;
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v);
}

static bool v4_is_group(struct in_addr a)
{
	return IN_MULTICAST(ntohl(a.s_addr)) || a.s_addr == INADDR_BROADCAST;
}

/* Answer from the address the request was sent to, so that a client
 * that checks the source (a connected socket, like chrony's) accepts
 * the reply on a host with several addresses. Only the address is
 * kept: the route back picks the interface, which need not be the one
 * the request came in by (asymmetric routing); a link-local address
 * alone needs its interface. Returns the control message's length, or
 * -1 for a request sent to a broadcast or multicast address: one
 * datagram must not draw a reply from every host on a link (SPEC's
 * reflection rules; SNTP's anycast mode is not served). */
static ssize_t pktinfo_reply(struct msghdr *in, char *out)
{
	struct in_pktinfo v4;
	struct in6_pktinfo v6;
	bool have4 = false, have6 = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&v4, CMSG_DATA(c), sizeof v4);
			have4 = true;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&v6, CMSG_DATA(c), sizeof v6);
			have6 = true;
		}
	}
	/* The kernel gives as ipi_spec_dst the local address to answer
	 * from: the destination itself when it was a local unicast one. It
	 * is 0 for a datagram queued before IP_PKTINFO was on (the one
	 * that started the process): then only the address can tell. */
	if (have4 && (v4_is_group(v4.ipi_addr) ||
		      (v4.ipi_spec_dst.s_addr != INADDR_ANY &&
		       v4.ipi_addr.s_addr != v4.ipi_spec_dst.s_addr)))
		return -1;
	struct cmsghdr *o = (struct cmsghdr *)out;
	if (have6) {
		struct in_addr m;
		memcpy(&m, &v6.ipi6_addr.s6_addr[12], sizeof m);
		if (IN6_IS_ADDR_MULTICAST(&v6.ipi6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&v6.ipi6_addr) && v4_is_group(m)))
			return -1;
		if (!IN6_IS_ADDR_LINKLOCAL(&v6.ipi6_addr))
			v6.ipi6_ifindex = 0;
		o->cmsg_level = IPPROTO_IPV6;
		o->cmsg_type = IPV6_PKTINFO;
		o->cmsg_len = CMSG_LEN(sizeof v6);
		memcpy(CMSG_DATA(o), &v6, sizeof v6);
		return CMSG_SPACE(sizeof v6);
	}
	if (have4) {
		v4 = (struct in_pktinfo){ .ipi_spec_dst = v4.ipi_addr };
		o->cmsg_level = IPPROTO_IP;
		o->cmsg_type = IP_PKTINFO;
		o->cmsg_len = CMSG_LEN(sizeof v4);
		memcpy(CMSG_DATA(o), &v4, sizeof v4);
		return CMSG_SPACE(sizeof v4);
	}
	return 0;
}

/* One datagram's buffers side by side. A process that a request
 * started uses the first slot only, and every page it touches is a page
 * fault (10-30 us on a virtual machine): as parallel arrays the first
 * request's buffers lay on 8 pages of this state, as slots on 3. */
struct dgram_slot {
	uint8_t req[SERVE_REQUEST_MAX];
	struct sockaddr_storage peer;
	/* Aligned as a control message (a union with struct cmsghdr, whose
	 * flexible array member clang refuses mid-struct, would be too). */
	struct {
		_Alignas(struct cmsghdr) char buf[CMSG_MAX];
	} cin, cout;
	uint8_t reply[SERVE_REPLY_MAX];
};

struct dgram_state {
	const struct serve_handler *h;
	const struct timespec *start;
	bool first;		/* the request that started the process */
	bool cold;
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	bool stamp[BATCH];
	/* Kernel transmit stamps (txstamp.h): wanted for a reply, its key
	 * for the handler's tx_time (0: none), the process's first reply
	 * not stamped yet; a send that failed. */
	bool tx_want[BATCH], failed[BATCH];
	uint64_t tx_key[BATCH];
	struct dgram_slot slot[BATCH];
};

/* Set by serve_tx_stamp during the handler's datagram call. */
static uint64_t tx_key_asked;

void serve_tx_stamp(uint64_t key)
{
	tx_key_asked = key;
}

static void send_all(int fd, struct mmsghdr *out, int n, bool *failed)
{
	int sent = 0;
	for (int i = 0; i < n; i++)
		failed[i] = false;
	while (sent < n) {
		int r = sendmmsg(fd, out + sent, (unsigned)(n - sent), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			failed[sent++] = true; /* this destination failed; go on */
		} else {
			sent += r;
		}
	}
}

/* Receive and answer one batch; returns how many came in, or -1. */
static int dgram_batch(struct dgram_state *d, int fd, bool ts_before, bool wait)
{
	const struct serve_handler *h = d->h;
	state_report(); /* after the last batch's replies, before the wait */
	tsq_after_replies(); /* a timesyncd query claimed by one of them */
	for (int i = 0; i < BATCH; i++) {
		d->iin[i] = (struct iovec){ d->slot[i].req, SERVE_REQUEST_MAX };
		d->in[i].msg_hdr = (struct msghdr){
			.msg_name = &d->slot[i].peer,
			.msg_namelen = sizeof d->slot[i].peer,
			.msg_iov = &d->iin[i],
			.msg_iovlen = 1,
			.msg_control = d->slot[i].cin.buf,
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
	/* A stamp that came after its send returned (a qdisc held the
	 * packet), before the requests that may ask for it. */
	txs_collect_due(fd, h->tx_time);
	if (rl_enabled())
		clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
	int64_t mono_ms = (int64_t)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
	int n = 0, own = 0;
	bool aside[BATCH] = { false };
	if (h->aside)
		for (int i = 0; i < k; i++)
			own += aside[i] = h->aside(
				fd, d->slot[i].req,
				d->in[i].msg_len < SERVE_REQUEST_MAX ?
					d->in[i].msg_len : SERVE_REQUEST_MAX,
				(struct sockaddr *)&d->slot[i].peer);
	for (int i = 0; i < k; i++) {
		if (aside[i])
			continue;
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
		struct sockaddr *peer = (struct sockaddr *)&d->slot[i].peer;
		/* Only programs that warm their send path (those that stamp
		 * a transmit time) send themselves datagrams. */
		if (h->stamp && warmup_is_own(fd, peer, d->in[i].msg_len)) {
			own++;
			continue;
		}
		if (!allow_peer(peer)) {
			/* --allow: silence, not charged to the limit */
			state_count(SFMT_DROPPED, 1);
			state_count(SFMT_DROP_NOT_ALLOWED, 1);
			continue;
		}
		ssize_t ctl = pktinfo_reply(m, d->slot[n].cout.buf);
		if (ctl < 0) {
			log_request(peer, "sent to a broadcast or multicast "
					  "address: dropped");
			state_count(SFMT_DROPPED, 1);
			state_count(SFMT_DROP_DESTINATION, 1);
			continue;
		}
		enum rl_verdict v = rl_check(peer, mono_ms);
		size_t len = 0;
		tx_key_asked = 0;
		if (v == RL_PASS)
			len = h->datagram(d->slot[i].req, d->in[i].msg_len, peer, &rx,
					  d->slot[n].reply);
		else if (v == RL_KOD && h->limited &&
			 (len = h->limited(d->slot[i].req, d->in[i].msg_len, peer,
					   d->slot[n].reply)) > 0)
			rl_kod_sent(mono_ms);
		state_count(v != RL_PASS ? SFMT_RATE_LIMITED :
			    len ? SFMT_ANSWERED : SFMT_DROPPED, 1);
		if (len == 0)
			continue;
		if (v != RL_PASS)
			state_count(SFMT_KOD, 1);
		d->stamp[n] = v == RL_PASS;
		/* Stamped by the kernel: what the handler asked for, and the
		 * process's first reply (the cold send-path delay). */
		d->tx_key[n] = d->stamp[n] ? tx_key_asked : 0;
		d->tx_want[n] = h->stamp && d->stamp[n] &&
				(d->tx_key[n] || (d->cold && n == 0)) &&
				txs_enable(fd);
		if (d->tx_want[n])
			ctl = (ssize_t)txs_cmsg(d->slot[n].cout.buf, (size_t)ctl);
		d->iout[n] = (struct iovec){ d->slot[n].reply, len };
		d->out[n].msg_hdr = (struct msghdr){
			.msg_name = &d->slot[i].peer,
			.msg_namelen = m->msg_namelen,
			.msg_iov = &d->iout[n],
			.msg_iovlen = 1,
			.msg_control = ctl ? d->slot[n].cout.buf : NULL,
			.msg_controllen = (size_t)ctl,
		};
		n++;
	}
	state_count(SFMT_RECEIVED, (uint64_t)(k - own));
	if (n == 0) {
		if (h->after)
			h->after();
		return k;
	}
	struct timespec tx = { 0, 0 };
	if (h->stamp) {
		/* The transmit time is read last and written as read: the
		 * reply leaves after it, so it can never be later than the
		 * real send (RFC 5905's causality: |offset| <= delay / 2). A
		 * guess at the send path's delay added to it was no bound:
		 * the sends it was measured on were not the ones it was
		 * added to. */
		warmup_before(fd, d->out, (unsigned)n, &now);
		clk_now(&tx);
		for (int i = 0; i < n; i++)
			if (d->stamp[i])
				h->stamp(d->slot[i].reply, d->iout[i].iov_len, &tx);
	}
	send_all(fd, d->out, n, d->failed);
	bool stamped = false, resync = false;
	for (int i = 0; i < n; i++) {
		if (!d->tx_want[i])
			continue;
		if (d->failed[i]) {
			resync = true;
			continue;
		}
		txs_sent(fd, d->tx_key[i], d->cold && i == 0, &tx);
		stamped = true;
		if (d->tx_key[i] && h->tx_time)
			h->tx_time(d->tx_key[i], &tx);
	}
	/* On loopback and through an idle qdisc the driver's stamps are
	 * queued inside sendmmsg: read them now, so that the error queue
	 * is empty again at once. */
	if (stamped)
		txs_collect(fd, h->tx_time);
	if (resync)
		txs_resync(fd);
	d->cold = false;
	if (h->after)
		h->after();
	return k;
}

/* SIGTERM (systemctl stop) and SIGINT end the loop between batches.
 * A signal can land after the loop looked and before it blocks: the
 * single-socket wait then ends at once because the handler shortens
 * its receive timeout; the multi-socket wait lets the signals in only
 * inside ppoll. */
static volatile sig_atomic_t stopping;
static volatile sig_atomic_t waiting_fd = -1;

static void on_stop(int sig)
{
	(void)sig;
	int saved = errno;
	stopping = 1;
	if (waiting_fd >= 0) {
		struct timeval tv = { 0, 1 };
		setsockopt(waiting_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	errno = saved;
}

static sigset_t stop_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return set;
}

static void catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
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

/* One socket, the usual case: wait in recvmmsg itself, one system call
 * per wake-up instead of poll and receive. */
static int dgram_one(struct dgram_state *d, int fd, bool ts_before)
{
	int r = 0;
	waiting_fd = fd;
	while (!stopping) {
		if (dgram_batch(d, fd, ts_before, true) >= 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break; /* idle, or the handler cut the wait short */
		if (errno != EINTR) {
			log_error("recvmmsg: %s", strerror(errno));
			r = 1;
			break;
		}
	}
	sigset_t set = stop_signals();
	sigprocmask(SIG_BLOCK, &set, NULL);
	waiting_fd = -1;
	wait_in_receive(fd, 0); /* the socket goes back as it came */
	return r;
}

static int dgram_many(struct dgram_state *d, const struct act_sockets *a,
		      const bool *ts_before, int idle)
{
	struct pollfd pfd[ACT_MAX_SOCKETS];
	for (int i = 0; i < a->n; i++)
		pfd[i] = (struct pollfd){ .fd = a->s[i].fd, .events = POLLIN };
	sigset_t set = stop_signals(), open;
	sigprocmask(SIG_BLOCK, &set, &open);
	sigdelset(&open, SIGTERM);
	sigdelset(&open, SIGINT);
	struct timespec ts = { idle / 1000, (idle % 1000) * 1000000L };
	while (!stopping) {
		int r = ppoll(pfd, (nfds_t)a->n, &ts, &open);
		if (r == 0)
			return 0; /* idle */
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
			if (pfd[i].revents & POLLERR) /* a late transmit stamp */
				txs_collect(pfd[i].fd, d->h->tx_time);
			/* A few batches per socket, then the next: fairness. */
			for (int b = 0; b < 8 && !stopping; b++)
				if (dgram_batch(d, pfd[i].fd, ts_before[i],
						false) < BATCH)
					break;
		}
	}
	return 0;
}

/* The rate limit's hash key: from the kernel's random pool, which never
 * blocks once it is initialised (GRND_NONBLOCK: never wait for it at
 * boot); else from the clocks, which only weakens the aim-at-a-set
 * defence on a machine that has just started. */
static void rate_key(uint8_t key[RL_KEY_LEN], const struct timespec *start)
{
	if (getrandom(key, RL_KEY_LEN, GRND_NONBLOCK) == RL_KEY_LEN)
		return;
	struct timespec m;
	clock_gettime(CLOCK_MONOTONIC, &m);
	uint64_t w[2] = { (uint64_t)start->tv_nsec << 32 ^ (uint64_t)getpid(),
			  (uint64_t)m.tv_nsec << 32 ^ (uint64_t)m.tv_sec };
	memcpy(key, w, RL_KEY_LEN);
}

static int serve_datagrams(const struct serve_handler *h,
			   const struct act_sockets *a,
			   const struct opt_common *o,
			   const struct timespec *start)
{
	static struct dgram_state d;
	bool ts_before[ACT_MAX_SOCKETS];

	uint8_t key[RL_KEY_LEN];
	rate_key(key, start);
	rl_init(&o->rate, key);
	if (state_open(o->state_dir, o->program, !o->state_dir_given)) {
		/* The table of the file, with the hash key it was made with. */
		rl_init(&o->rate, state_image()->h.rl_key);
		rl_attach(state_image()->rl_table);
	}
	d.h = h;
	d.start = start;
	d.first = a->origin != ACT_BY_HAND;
	d.cold = warmup_sample(); /* the first reply stamped */
	for (int i = 0; i < a->n; i++) {
		ts_before[i] = h->rx_timestamps ?
				       clk_rx_timestamps_enable(a->s[i].fd) :
				       true;
		pktinfo_enable(a->s[i].fd, a->s[i].family);
		df_enable(a->s[i].fd);
	}
	if (h->begin)
		h->begin(a);
	catch_stop();
	int idle = (int)clk_ms(o->idle_timeout);
	int r = a->n == 1 && idle > 0 && wait_in_receive(a->s[0].fd, idle) ?
			dgram_one(&d, a->s[0].fd, ts_before[0]) :
			dgram_many(&d, a, ts_before, idle);
	/* The sockets go back to the superserver with empty error queues.
	 * A stamped reply still in flight (SIOCOUTQ) is waited for: one a
	 * shaper holds, or one held for its neighbour's address (ARP or
	 * neighbour discovery: 3 probes 1 s apart by default, then it is
	 * dropped, unstamped); 3.5 s covers those. Unstamped replies are
	 * never waited for. */
	for (int i = 0; i < a->n; i++)
		txs_finish(a->s[i].fd, h->tx_time, 3500);
	tsq_finish();
	state_report();
	return r;
}

int serve(const struct serve_handler *h, const struct act_sockets *a,
	  const struct opt_common *o, const struct timespec *start)
{
	int r = check_kinds(h, a);
	if (r)
		return r;
	if (h->streams)
		return h->streams(a, o);
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
	if (o.stats)
		return state_print(o.state_dir, p->name, h->drop_rules,
				   o.stats_prometheus);
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
