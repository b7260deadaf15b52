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
	if (i == c->n) {
		__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
		/* Said once, and only of a daemon that did answer before: a
		 * host without chronyd is no news under --upstream=auto. */
		uint32_t was = 0;
		if (__atomic_load_n(&r->taken_ms, __ATOMIC_RELAXED) != 0 &&
		    __atomic_compare_exchange_n(&r->lost, &was, 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			log_warning("upstream: %s%s does not answer; its last "
				    "answer is used for up to %d s", c->addr[0].name,
				    c->n > 1 ? " (nor [::1])" : "",
				    UPQ_BELIEVED_MS / 1000);
		return;
	}
	/* The sequence lock: odd, write, even. */
	uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&r->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(r->report, reply, sizeof reply);
	r->report_seq = seq;
	snprintf(r->source, sizeof r->source, "%s", c->addr[i].name);
	/* Asked at now_ms: its age counts from before the question. */
	__atomic_store_n(&r->taken_ms, now_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&r->seq, s + 2, __ATOMIC_RELEASE);
	__atomic_fetch_add(&r->refreshes, 1, __ATOMIC_RELAXED);
	uint32_t was = 1;
	if (__atomic_compare_exchange_n(&r->lost, &was, 0, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		log_msg(LOG_NOTICE, NULL, "upstream: %s answers again",
			c->addr[i].name);
}

/* Without a state file, the process's own. */
static struct sfmt_upstream own;

bool upq_peek(struct sfmt_upstream *r, int64_t now_ms, struct cc_tracking *t,
	      double *age, char source[SFMT_UP_NAME_MAX])
{
	if (!r)
		r = &own;
	/* A copy taken while no writer was at work; a few tries, never a
	 * wait (a writer that died mid-way leaves seq odd: no view until
	 * the next refresh, which starts from its value). */
	for (int tries = 0; tries < 4; tries++) {
		uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		uint8_t rep[CC_TRACKING_LEN];
		memcpy(rep, r->report, sizeof rep);
		uint32_t seq = r->report_seq;
		int64_t taken = __atomic_load_n(&r->taken_ms, __ATOMIC_RELAXED);
		memcpy(source, r->source, SFMT_UP_NAME_MAX);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) != s)
			continue;
		source[SFMT_UP_NAME_MAX - 1] = 0;
		/* The file's bytes are checked again: another process, or
		 * anyone who can write the file, put them there. */
		if (taken <= 0 || now_ms < taken || now_ms - taken > UPQ_BELIEVED_MS ||
		    cc_tracking_parse(rep, sizeof rep, seq, t) != CC_OK)
			return false;
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
	/* Due: never tried, an interval ago, or a time from before this
	 * boot's monotonic clock. One process wins the claim. */
	if ((tried == 0 || now_ms - tried >= UPQ_INTERVAL_MS || now_ms < tried) &&
	    __atomic_compare_exchange_n(&r->tried_ms, &tried, now_ms, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		refresh(c, r, now_ms);
	return upq_peek(r, now_ms, t, age, source);
}

bool upq_view_here(const struct upq_config *c, struct cc_tracking *t,
		   double *age, char source[SFMT_UP_NAME_MAX])
{
	struct sfmt_image *img = state_image();
	return upq_view(c, img ? &img->up : NULL, clk_mono_ms(), t, age, source);
}
