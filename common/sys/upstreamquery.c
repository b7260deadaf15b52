/* SPDX-License-Identifier: ISC */
/* upstreamquery: see upstreamquery.h. */
#include "upstreamquery.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../proto/srcaddr.h"
#include "../proto/upstream.h"
#include "clock.h"
#include "log.h"
#include "state.h"

static bool addr_set(struct upq_addr *a, const char *host, unsigned port)
{
	memset(a, 0, sizeof *a);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		a->len = sizeof *v4;
		snprintf(a->name, sizeof a->name, "chrony %s:%u", host, port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		a->len = sizeof *v6;
		snprintf(a->name, sizeof a->name, "chrony [%s]:%u", host, port);
	} else {
		return false;
	}
	return true;
}

bool upq_config_chrony(struct upq_config *c, const char *hostport,
		       const char **why)
{
	memset(c, 0, sizeof *c);
	if (!hostport) {
		addr_set(&c->addr[0], "127.0.0.1", UPQ_CHRONY_PORT);
		addr_set(&c->addr[1], "::1", UPQ_CHRONY_PORT);
		c->n = 2;
		return true;
	}
	char host[64];
	const char *colon = strrchr(hostport, ':');
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (hl >= 2 && hostport[0] == '[' && hostport[hl - 1] == ']') {
		hostport++;
		hl -= 2;
	}
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (!colon || hl == 0 || hl >= sizeof host || !colon[1] || *end ||
	    port < 1 || port > 65535) {
		*why = "--upstream=chrony:HOST:PORT: a numeric address and a port";
		return false;
	}
	memcpy(host, hostport, hl);
	host[hl] = 0;
	if (!addr_set(&c->addr[0], host, (unsigned)port)) {
		*why = "--upstream=chrony:HOST:PORT: HOST must be a numeric "
		       "IPv4 or IPv6 address";
		return false;
	}
	c->n = 1;
	return true;
}

/* Microseconds of CLOCK_MONOTONIC, for the wait's own budget. */
static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Ask a; wait until deadline_us for a reply that checks. */
static bool ask(const struct upq_addr *a, int64_t deadline_us,
		uint8_t reply[CC_TRACKING_LEN], uint32_t *seq)
{
	int fd = socket(a->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	bool ok = false;
	uint8_t req[CC_REQUEST_LEN];
	/* A sequence number nobody can guess: a forged reply must match it. */
	if (getrandom(seq, sizeof *seq, GRND_NONBLOCK) != sizeof *seq)
		goto out;
	cc_tracking_request(req, *seq);
	/* Connected: only a.sa's datagrams come in, and an ICMP port
	 * unreachable fails the next call with ECONNREFUSED. */
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0 ||
	    send(fd, req, sizeof req, 0) != (ssize_t)sizeof req)
		goto out;
	for (;;) {
		/* One byte more than a reply: a longer datagram shows. */
		uint8_t buf[CC_TRACKING_LEN + 1];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n >= 0) {
			struct cc_tracking t;
			if (cc_tracking_parse(buf, (size_t)n, *seq, &t) == CC_OK) {
				memcpy(reply, buf, CC_TRACKING_LEN);
				ok = true;
				break;
			}
			continue;	/* not ours: keep waiting */
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			break;	/* ECONNREFUSED: nobody on that port */
		int64_t left = deadline_us - mono_us();
		if (left <= 0)
			break;
		struct timespec to = { 0, (long)left * 1000 };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (ppoll(&p, 1, &to, NULL) == 0)
			break;
	}
out:
	close(fd);
	return ok;
}

/* Without a state file, the process's own. */
static struct sfmt_upstream own;

static struct sfmt_upstream *region_here(void)
{
	struct sfmt_image *img = state_image();
	return img ? &img->up : &own;
}

/* How this activation asks (upq_begin): through passed sockets when c
 * is set, else from a socket of our own. */
static struct {
	const struct upq_config *c;
	int n;
	int idx[UPQ_ADDRS_MAX];		/* which of c's addresses */
	int fd[UPQ_ADDRS_MAX];
	struct sockaddr_storage dest[UPQ_ADDRS_MAX];
	socklen_t len[UPQ_ADDRS_MAX];
} via;

/* "chrony 127.0.0.1:323 (nor [::1])": what was asked, for the log. */
static void asked_names(const struct upq_config *c, char *buf, size_t cap)
{
	bool passed = via.c == c;
	int n = passed ? via.n : c->n;
	const char *first = c->addr[passed ? via.idx[0] : 0].name;
	if (n > 1)
		snprintf(buf, cap, "%s (nor %s)", first,
			 strchr(c->addr[passed ? via.idx[1] : 1].name, ' ') + 1);
	else
		snprintf(buf, cap, "%s", first);
}

/* No answer to a question: counted; said once, and only of a daemon
 * that did answer before (a host without chronyd is no news under
 * --upstream=auto). */
static void failed(const struct upq_config *c, struct sfmt_upstream *r)
{
	__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&r->taken_ms, __ATOMIC_RELAXED) == 0 ||
	    (__atomic_fetch_or(&r->lost, SFMT_UP_LOST, __ATOMIC_RELAXED) &
	     SFMT_UP_LOST))
		return;
	char who[2 * SFMT_UP_NAME_MAX];
	asked_names(c, who, sizeof who);
	log_warning("upstream: %s does not answer; its last answer is used "
		    "for up to %d s", who, UPQ_BELIEVED_MS / 1000);
}

/* An answer (checked) to the question asked at asked_ms. */
static void answered(struct sfmt_upstream *r, const uint8_t *reply,
		     uint32_t seq, const char *name, int64_t asked_ms)
{
	/* The sequence lock: odd, write, even. */
	/* From the even value: a writer that died mid-way left it odd, and
	 * readers would never see it even again. */
	uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_RELAXED) & ~1u;
	__atomic_store_n(&r->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(r->report, reply, CC_TRACKING_LEN);
	r->report_seq = seq;
	snprintf(r->source, sizeof r->source, "%s", name);
	/* Its age counts from before the question. */
	__atomic_store_n(&r->taken_ms, asked_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&r->seq, s + 2, __ATOMIC_RELEASE);
	__atomic_fetch_add(&r->refreshes, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_and(&r->lost, ~(SFMT_UP_LOST | SFMT_UP_NO_WAY),
			       __ATOMIC_RELAXED) & SFMT_UP_LOST)
		log_msg(LOG_NOTICE, NULL, "upstream: %s answers again", name);
}

/* The answer kept was given by a source c does not name (--upstream
 * changed): not c's view, whatever its age. */
static bool foreign(const struct upq_config *c, const char *source)
{
	for (int i = 0; i < c->n; i++)
		if (!strncmp(source, c->addr[i].name, SFMT_UP_NAME_MAX))
			return false;
	return true;
}

/* Forget the answer kept and who gave it (under the sequence lock). */
static void forget(struct sfmt_upstream *r)
{
	/* From the even value: a writer that died mid-way left it odd, and
	 * readers would never see it even again. */
	uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_RELAXED) & ~1u;
	__atomic_store_n(&r->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&r->taken_ms, 0, __ATOMIC_RELAXED);
	memset(r->source, 0, sizeof r->source);
	__atomic_store_n(&r->seq, s + 2, __ATOMIC_RELEASE);
}

static void refresh(const struct upq_config *c, struct sfmt_upstream *r,
		    int64_t now_ms)
{
	uint8_t reply[CC_TRACKING_LEN];
	uint32_t seq = 0;
	int64_t deadline = mono_us() + UPQ_WAIT_US;
	int i;
	for (i = 0; i < c->n; i++)
		if (ask(&c->addr[i], deadline, reply, &seq))
			break;
	if (i == c->n)
		failed(c, r);
	else
		answered(r, reply, seq, c->addr[i].name, now_ms);
}

/* The question made due by a request, sent after its batch's replies. */
static uint8_t outbox[CC_REQUEST_LEN];
static bool outbox_full;

/* Through the passed sockets: the question goes out once the batch's
 * replies have (upq_after_batch), the answer comes in among the
 * requests (upq_aside). The last question still without an answer is
 * a failure. */
static void ask_passed(const struct upq_config *c, struct sfmt_upstream *r)
{
	if (__atomic_exchange_n(&r->asked_seq, 0, __ATOMIC_ACQ_REL) != 0)
		failed(c, r);
	uint32_t seq;
	/* A sequence number nobody can guess; never 0 (none asked). */
	if (getrandom(&seq, sizeof seq, GRND_NONBLOCK) != sizeof seq)
		return;
	seq |= !seq;
	cc_tracking_request(outbox, seq);
	__atomic_store_n(&r->asked_seq, seq, __ATOMIC_RELEASE);
	outbox_full = true;	/* sent after the batch's replies */
}

void upq_after_batch(void)
{
	if (!outbox_full)
		return;
	outbox_full = false;
	/* Not waited for, and a failed send is only the answer missing. */
	for (int i = 0; i < via.n; i++)
		sendto(via.fd[i], outbox, sizeof outbox, MSG_DONTWAIT,
		       (const struct sockaddr *)&via.dest[i], via.len[i]);
}

void upq_begin(const struct upq_config *c, const struct act_sockets *a)
{
	via.c = NULL;
	via.n = 0;
	bool blocked = false;	/* passable, but no passed socket reaches it */
	for (int i = 0; i < c->n; i++) {
		const struct sockaddr *t = (const struct sockaddr *)&c->addr[i].sa;
		if (!up_passable(t))
			continue;
		int k;
		for (k = 0; k < a->n; k++) {
			struct sockaddr_storage b;
			socklen_t bl = sizeof b;
			int v6only = 0;
			socklen_t ol = sizeof v6only;
			if (a->s[k].kind != ACT_DATAGRAM ||
			    getsockname(a->s[k].fd, (struct sockaddr *)&b, &bl) < 0)
				continue;
			if (b.ss_family == AF_INET6 &&
			    getsockopt(a->s[k].fd, IPPROTO_IPV6, IPV6_V6ONLY,
				       &v6only, &ol) < 0)
				continue;
			socklen_t l = up_route((const struct sockaddr *)&b, v6only,
					       t, &via.dest[via.n]);
			if (l == 0)
				continue;
			via.idx[via.n] = i;
			via.fd[via.n] = a->s[k].fd;
			via.len[via.n++] = l;
			break;
		}
		if (k == a->n)
			blocked = true;
	}
	if (via.n > 0) {
		via.c = c;
		for (int i = 0; log_is_verbose() && i < via.n; i++) {
			char to[SRCADDR_NAME_MAX];
			srcaddr_name((const struct sockaddr *)&via.dest[i], to);
			log_msg(LOG_INFO, NULL, "upstream: %s asked through the "
				"passed socket (fd %d, to %s)",
				c->addr[via.idx[i]].name, via.fd[i], to);
		}
		return;
	}
	if (log_is_verbose())
		log_msg(LOG_INFO, NULL, "upstream: %s asked from a socket of "
			"its own", c->addr[0].name);
	if (!blocked)
		return;
	/* Our own socket then, if one can be made at all. */
	int fd = socket(c->addr[0].sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		return;
	}
	int err = errno;
	struct sfmt_upstream *r = region_here();
	if (!(__atomic_fetch_or(&r->lost, SFMT_UP_NO_WAY, __ATOMIC_RELAXED) &
	      SFMT_UP_NO_WAY))
		log_warning("upstream: %s cannot be asked: the passed socket is "
			    "bound to an address chronyd refuses monitoring "
			    "requests from (not the wildcard or loopback), and no "
			    "socket of our own can be made (%s); it counts as not "
			    "answering", c->addr[0].name, strerror(err));
}

bool upq_aside(int fd, const uint8_t *buf, size_t len,
	       const struct sockaddr *peer)
{
	(void)fd; /* whichever socket it came in by, it is not a request */
	int i;
	for (i = 0; i < via.n; i++)
		if (up_reply_from(peer, (const struct sockaddr *)&via.dest[i]))
			break;
	if (i == via.n)
		return false;
	struct sfmt_upstream *r = region_here();
	/* The question's time, read before its number. A later question
	 * sets its time a moment (nanoseconds) before it replaces the
	 * number: an answer to the earlier one read in that moment, 8 s
	 * after it was asked for, would be dated by the later. */
	int64_t asked = __atomic_load_n(&r->tried_ms, __ATOMIC_ACQUIRE);
	uint32_t want = __atomic_load_n(&r->asked_seq, __ATOMIC_ACQUIRE);
	struct cc_tracking t;
	/* Late (another question's number), malformed, or a second answer:
	 * ignored; the question counts as failed if none answers it. */
	if (want != 0 && cc_tracking_parse(buf, len, want, &t) == CC_OK &&
	    __atomic_compare_exchange_n(&r->asked_seq, &want, 0, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		answered(r, buf, want, via.c->addr[via.idx[i]].name, asked);
	return true;
}

/* The last view read, parsed. Every write under the sequence lock
 * (answered, forget) leaves seq at a new even value, so while seq is
 * what it was, the bytes are too: the copy and the parse (90 ns of a
 * 2 us request under load) are skipped, and so is the source's name
 * check. Whatever comes of the bytes (a view, or none) is kept. */
static struct {
	const struct sfmt_upstream *r;	/* NULL: nothing parsed yet */
	const struct upq_config *c;
	uint32_t s;
	bool foreign;			/* of a source c does not name */
	bool ok;			/* parsed, and of a source c names */
	int64_t taken;
	struct cc_tracking t;
	char source[SFMT_UP_NAME_MAX];
} parsed;

/* Read r at its even sequence count s into parsed; false when a
 * writer came meanwhile (try again). */
static bool parse_view(const struct upq_config *c,
		       const struct sfmt_upstream *r, uint32_t s)
{
	struct sfmt_up_copy cp;
	if (!sfmt_up_copy(r, s, &cp))
		return false;
	parsed.r = r;
	parsed.c = c;
	parsed.s = s;
	parsed.taken = cp.taken_ms;
	memcpy(parsed.source, cp.source, sizeof cp.source);
	/* The file's bytes are checked: another process, or anyone who can
	 * write the file, put them there. */
	parsed.foreign = c && foreign(c, cp.source);
	parsed.ok = cp.taken_ms > 0 && !parsed.foreign &&
		    cc_tracking_parse(cp.report, CC_TRACKING_LEN, cp.report_seq,
				      &parsed.t) == CC_OK;
	return true;
}

bool upq_peek(const struct upq_config *c, struct sfmt_upstream *r,
	      int64_t now_ms, struct cc_tracking *t, double *age,
	      char source[SFMT_UP_NAME_MAX])
{
	if (!r)
		r = &own;
	/* A copy taken while no writer was at work; a few tries, never a
	 * wait (a writer that died mid-way leaves seq odd: no view until
	 * the next refresh, which starts again from an even value). */
	for (int tries = 0; tries < 4; tries++) {
		uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		if ((parsed.r != r || parsed.c != c || parsed.s != s) &&
		    !parse_view(c, r, s))
			continue;
		memcpy(source, parsed.source, SFMT_UP_NAME_MAX);
		int64_t taken = parsed.taken;
		if (!parsed.ok || now_ms < taken ||
		    now_ms - taken > UPQ_BELIEVED_MS)
			return false;
		*t = parsed.t;
		/* Whole milliseconds: one more, so the age is never short. */
		*age = (double)(now_ms - taken + 1) / 1000.0;
		return true;
	}
	return false;
}

bool upq_view(const struct upq_config *c, struct sfmt_upstream *region,
	      int64_t now_ms, struct cc_tracking *t, double *age,
	      char source[SFMT_UP_NAME_MAX])
{
	struct sfmt_upstream *r = region ? region : &own;
	int64_t tried = __atomic_load_n(&r->tried_ms, __ATOMIC_RELAXED);
	/* Due: never tried, an interval ago, a time from before this boot's
	 * monotonic clock, or an answer kept from another source (forgotten
	 * by the claim, so that this is due once). One process wins the
	 * claim. */
	uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
	bool other = parsed.r == r && parsed.c == c && parsed.s == s ?
			     parsed.taken != 0 && parsed.foreign :
			     __atomic_load_n(&r->taken_ms, __ATOMIC_RELAXED) != 0 &&
				     foreign(c, r->source);
	if ((tried == 0 || now_ms - tried >= UPQ_INTERVAL_MS || now_ms < tried ||
	     other) &&
	    __atomic_compare_exchange_n(&r->tried_ms, &tried, now_ms, false,
					__ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		if (other)
			forget(r);
		if (via.c == c)
			ask_passed(c, r);
		else
			refresh(c, r, now_ms);
	}
	return upq_peek(c, r, now_ms, t, age, source);
}

bool upq_view_here(const struct upq_config *c, struct cc_tracking *t,
		   double *age, char source[SFMT_UP_NAME_MAX])
{
	return upq_view(c, region_here(), clk_mono_ms(), t, age, source);
}
