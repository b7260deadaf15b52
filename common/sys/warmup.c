/* SPDX-License-Identifier: ISC */
/* warmup: measured on loopback with a kernel-stamped client, the
 * reply to the request that started the process took 2 to 3 times as
 * long from the transmit time's clock read to the wire as a warm one
 * (15 us against 7 under xinetd; under systemd also the system-call
 * filter and the socket's cgroup filter), so its offset was -7 to
 * -14 us against 3 warm. The time goes in kernel code and data that
 * exec and start-up pushed out of the caches: the system call, the
 * route of the destination, the skb, the egress filter, the device and
 * the receive on the other side. Run once before the clock read, that
 * path is warm for the real send. A pause in the traffic cools it
 * again (other work on the machine), so it is run again after one.
 * Nothing is added to the transmit time: it is still read before the
 * real send, so never later. */
#include "warmup.h"

#include <netinet/in.h>
#include <stdint.h>

#include "../proto/srcaddr.h"
#include "activation.h"
#include "clock.h"
#include "state.h"

/* Linux: go through the send path up to the route and the control
 * messages, send nothing (glibc calls the bit MSG_PROXY). */
#ifndef MSG_PROBE
#define MSG_PROBE 0x10
#endif

/* A pause in the traffic after which the path is cold again: with
 * requests 2 ms apart a warm process's offset was 2.5 us, 0.5 with the
 * path run again before each; back to back it is 0.5 either way. Under
 * load (batches closer than this) it costs nothing. */
#define WARMUP_PAUSE_NS 1000000

static bool pending; /* a warm-up datagram on its way: one at a time */

/* The address each socket is bound to: asked once a process. */
static const struct sockaddr *local_of(int fd)
{
	static struct {
		int fd;
		struct sockaddr_storage ss;
	} known[ACT_MAX_SOCKETS];
	static int n;
	for (int i = 0; i < n; i++)
		if (known[i].fd == fd)
			return (struct sockaddr *)&known[i].ss;
	socklen_t len = sizeof known[0].ss;
	if (n == ACT_MAX_SOCKETS ||
	    getsockname(fd, (struct sockaddr *)&known[n].ss, &len) < 0)
		return NULL;
	known[n].fd = fd;
	return (struct sockaddr *)&known[n++].ss;
}

static void warm(int fd, struct mmsghdr *out, unsigned n)
{
	/* The whole path, out and back in: an empty datagram to the socket
	 * itself (over loopback: it never leaves the host). */
	const struct sockaddr *local = local_of(fd);
	if (!pending && local) {
		struct sockaddr_storage to;
		size_t l = srcaddr_self_target(local, out[0].msg_hdr.msg_name, &to);
		pending = l > 0 && sendto(fd, "", 0, MSG_DONTWAIT,
					  (struct sockaddr *)&to,
					  (socklen_t)l) == 0;
	}
	/* Then the replies' own route and control messages. */
	sendmmsg(fd, out, n, MSG_PROBE | MSG_DONTWAIT);
}

static bool loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr)[0] == 127;
	if (sa->sa_family != AF_INET6)
		return false;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) ||
	       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* A warm-up datagram, this process's or an earlier one's that a shaper
 * on lo held past its exit: empty, from the socket's own port, from
 * loopback or the socket's own address. No other host can send from
 * those (Linux drops such martians), and no other local program from
 * this port while the socket holds it. */
bool warmup_is_own(int fd, const struct sockaddr *src, size_t len)
{
	const struct sockaddr *local = len == 0 ? local_of(fd) : NULL;
	if (!local || srcaddr_port(src) != srcaddr_port(local) ||
	    !(loopback(src) || srcaddr_equal(src, local)))
		return false;
	pending = false;
	return true;
}

void warmup_before(int fd, struct mmsghdr *out, unsigned n,
		     const struct timespec *now)
{
	static struct timespec last;
	static bool sent;
	int64_t gap = clk_ns_between(&last, now);
	if (!sent || gap < 0 || gap > WARMUP_PAUSE_NS)
		warm(fd, out, n);
	last = *now;
	sent = true;
}

/* A kernel transmit stamp slows the send it is taken on (the stamp's
 * copy queued to the error queue on the way): with every first reply
 * stamped, the spawning request's offset was 3.5 us median and up to
 * 15-20 us, against 0.1 us unstamped. So one process in 8 (by the state
 * file's process count) stamps its first reply and keeps the estimate
 * fresh; the others send theirs unstamped. */
#define WARMUP_SAMPLE 8

bool warmup_sample(void)
{
	struct sfmt_image *img = state_image();
	return img && __atomic_load_n(&img->counter[SFMT_PROCESSES],
				      __ATOMIC_RELAXED) % WARMUP_SAMPLE == 1;
}
