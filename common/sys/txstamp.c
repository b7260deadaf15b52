/* SPDX-License-Identifier: ISC */
/* txstamp: kernel transmit stamps from the error queue (see txstamp.h). */
#include "txstamp.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "activation.h"
#include "clock.h"
#include "state.h"

/* Linux 6.9: no SCM_TIMESTAMPING on received datagrams for a socket
 * that reports stamps but did not ask for receive stamps this way. */
#ifndef SOF_TIMESTAMPING_OPT_RX_FILTER
#define SOF_TIMESTAMPING_OPT_RX_FILTER (1 << 17)
#endif

#define PENDING 64	/* stamps awaited at once, per socket */
/* A stamp further than this from the transmit time read before the
 * send is not that send's (chrony: MAX_TX_DELAY). */
#define MAX_DELAY_NS 1000000000LL

struct pending {
	uint32_t id;
	bool cold;
	uint64_t key;
	struct timespec tx;
};

struct sock {
	int fd;			/* -1: free */
	bool on;
	uint32_t next_id;	/* the kernel's id of the next stamped send */
	unsigned head, n;	/* the ring of pending sends */
	struct pending p[PENDING];
};

static struct sock socks[ACT_MAX_SOCKETS];
static int nsocks;

static struct sock *sock_of(int fd, bool add)
{
	for (int i = 0; i < nsocks; i++)
		if (socks[i].fd == fd)
			return &socks[i];
	if (!add || nsocks == ACT_MAX_SOCKETS)
		return NULL;
	socks[nsocks] = (struct sock){ .fd = fd };
	return &socks[nsocks++];
}

/* Set the reporting flags, OPT_ID off then on: the kernel restarts a
 * socket's ids only when OPT_ID is newly set, and the socket (and the
 * ids the last process used) outlives us. */
static bool flags_set(int fd)
{
	unsigned base = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
	for (int filter = 1; filter >= 0; filter--) {
		unsigned f = base | (filter ? SOF_TIMESTAMPING_OPT_RX_FILTER : 0);
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof f) < 0)
			continue;
		f |= SOF_TIMESTAMPING_OPT_ID;
		return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof f) == 0;
	}
	return false;
}

bool txs_enable(int fd)
{
	struct sock *s = sock_of(fd, true);
	if (!s)
		return false;
	if (!s->on)
		s->on = flags_set(fd);
	return s->on;
}

size_t txs_cmsg(char *buf, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)(buf + len);
	uint32_t f = SOF_TIMESTAMPING_TX_SOFTWARE;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPING;
	c->cmsg_len = CMSG_LEN(sizeof f);
	memcpy(CMSG_DATA(c), &f, sizeof f);
	_Static_assert(CMSG_SPACE(sizeof(uint32_t)) <= TXS_CMSG_SPACE, "room");
	return len + CMSG_SPACE(sizeof f);
}

void txs_sent(int fd, uint64_t key, bool cold, const struct timespec *tx)
{
	struct sock *s = sock_of(fd, false);
	if (!s || !s->on)
		return;
	if (s->n == PENDING) { /* the oldest is given up */
		s->head = (s->head + 1) % PENDING;
		s->n--;
	}
	s->p[(s->head + s->n) % PENDING] =
		(struct pending){ s->next_id++, cold, key, *tx };
	s->n++;
}

void txs_resync(int fd)
{
	struct sock *s = sock_of(fd, false);
	if (!s || !s->on)
		return;
	s->n = 0;
	s->next_id = 0;
	s->on = flags_set(fd);
}

static void matched(struct sock *s, uint32_t id, const struct timespec *k,
		    txs_got_fn got)
{
	/* Sends without a stamp (dropped before the device) are passed
	 * over; a stamp older than every pending send is a stray. */
	while (s->n > 0) {
		struct pending *p = &s->p[s->head];
		int32_t ahead = (int32_t)(id - p->id);
		if (ahead < 0)
			return;
		s->head = (s->head + 1) % PENDING;
		s->n--;
		if (ahead > 0)
			continue;
		int64_t d = clk_ns_between(&p->tx, k);
		if (d < 0 || d > MAX_DELAY_NS)
			return; /* not this send's: keep the time read */
		state_delay(p->cold ? SFMT_DELAY_COLD : SFMT_DELAY_WARM, d);
		if (p->key && got)
			got(p->key, k);
		return;
	}
}

/* Read up to a batch of error-queue entries; how many were read. */
static int read_batch(struct sock *s, txs_got_fn got)
{
	enum { N = 8 };
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl[N];
	struct mmsghdr m[N];
	for (int i = 0; i < N; i++)
		m[i].msg_hdr = (struct msghdr){ .msg_control = ctl[i].buf,
						.msg_controllen = sizeof ctl[i].buf };
	int k = recvmmsg(s->fd, m, N, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
	for (int i = 0; i < k; i++) {
		struct msghdr *h = &m[i].msg_hdr;
		struct timespec ts = { 0, 0 };
		const struct sock_extended_err *ee = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_TIMESTAMPING) {
				struct scm_timestamping t;
				memcpy(&t, CMSG_DATA(c), sizeof t);
				ts = t.ts[0];
			} else if ((c->cmsg_level == SOL_IP &&
				    c->cmsg_type == IP_RECVERR) ||
				   (c->cmsg_level == SOL_IPV6 &&
				    c->cmsg_type == IPV6_RECVERR)) {
				ee = (const struct sock_extended_err *)CMSG_DATA(c);
			}
		}
		if (ee && ee->ee_errno == ENOMSG &&
		    ee->ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
		    (ts.tv_sec || ts.tv_nsec)) {
			uint32_t id;
			memcpy(&id, &ee->ee_data, sizeof id);
			matched(s, id, &ts, got);
		}
	}
	return k < 0 ? 0 : k;
}

void txs_collect(int fd, txs_got_fn got)
{
	struct sock *s = sock_of(fd, false);
	if (!s)
		return;
	while (read_batch(s, got) == 8)
		;
}

void txs_collect_due(int fd, txs_got_fn got)
{
	struct sock *s = sock_of(fd, false);
	if (s && s->n > 0)
		txs_collect(fd, got);
}

void txs_finish(int fd, txs_got_fn got, int max_ms)
{
	struct sock *s = sock_of(fd, false);
	if (!s)
		return;
	int64_t end = clk_mono_ms() + max_ms;
	for (;;) {
		txs_collect(fd, got);
		if (s->n == 0)
			break;
		/* Nothing of ours left in flight (SIOCOUTQ: bytes sent and
		 * not yet freed): every stamp due is in the queue already. */
		int out = 0;
		if (ioctl(fd, SIOCOUTQ, &out) == 0 && out == 0) {
			txs_collect(fd, got);
			break;
		}
		int64_t left = end - clk_mono_ms();
		if (left <= 0)
			break;
		struct pollfd p = { fd, 0, 0 }; /* POLLERR: a stamp came */
		poll(&p, 1, left < 10 ? (int)left : 10);
	}
	s->n = 0;
}
