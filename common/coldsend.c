/* coldsend: measured on loopback with a kernel-stamped client, the
 * reply to the request that started the process took 2 to 3 times as
 * long from the transmit time's clock read to the wire as a warm one
 * (15 us against 7 under xinetd; under systemd also the system-call
 * filter and the socket's cgroup filter), so its offset was -7 to
 * -14 us against 3 warm. The time goes in kernel code and data that
 * exec and start-up pushed out of the caches: the system call, the
 * route of the destination, the skb, the egress filter, the device and
 * the receive on the other side. Run once before the clock read, that
 * path is warm for the real send. Nothing is added to the transmit
 * time: it is still read before the real send, so never later. */
#include "coldsend.h"

#include "peer.h"

/* Linux: go through the send path up to the route and the control
 * messages, send nothing (glibc calls the bit MSG_PROXY). */
#ifndef MSG_PROBE
#define MSG_PROBE 0x10
#endif

static struct sockaddr_storage own;
static bool pending;

void coldsend_warm(int fd, struct mmsghdr *out, unsigned n)
{
	/* The whole path, out and back in: an empty datagram to the socket
	 * itself (over loopback: it never leaves the host). A datagram
	 * with a local source cannot come from outside (Linux drops such
	 * martians), so its source names it when it is read. */
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	if (getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
		size_t l = peer_self_target((struct sockaddr *)&local,
					    out[0].msg_hdr.msg_name, &own);
		pending = l > 0 && sendto(fd, "", 0, MSG_DONTWAIT,
					  (struct sockaddr *)&own,
					  (socklen_t)l) == 0;
	}
	/* Then the replies' own route and control messages. */
	sendmmsg(fd, out, n, MSG_PROBE | MSG_DONTWAIT);
}

bool coldsend_is_own(const struct sockaddr *src)
{
	if (!pending || !peer_equal(src, (struct sockaddr *)&own))
		return false;
	pending = false;
	return true;
}
