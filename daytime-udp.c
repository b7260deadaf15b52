/* SPDX-License-Identifier: ISC */
/* daytime-udp: Daytime (RFC 867) over UDP: one line per datagram. */
#include <sys/socket.h>

#include "common/proto/srcaddr.h"
#include "common/sys/daytimeprog.h"
#include "common/sys/log.h"
#include "common/sys/serve.h"
#include "common/sys/state.h"
#include "common/sys/upstreamquery.h"

static size_t answer(const uint8_t *req, size_t len,
		     const struct sockaddr *peer, const struct timespec *rx,
		     uint8_t *reply)
{
	(void)req; /* RFC 867: the datagram's content is ignored */
	(void)len;
	if (srcaddr_is_loop_risk(peer)) {
		log_request(peer, "dropped: a reply could start a loop");
		state_count(SFMT_DROP_RULE, 1);
		return 0;
	}
	log_request(peer, "daytime sent");
	return dayprog_line((char *)reply, rx->tv_sec);
}

int main(int argc, char **argv)
{
	static const char *const drop_rules[] = { "loop-risk", NULL };
	static const struct serve_handler udp = { .sotype = SOCK_DGRAM,
						  .datagram = answer,
						  .begin = dayprog_begin,
						  .aside = upq_aside,
						  .after = upq_after_batch,
						  .drop_rules = drop_rules };
	struct opt_program p = dayprog_program(
		"daytime-udp", "Answer Daytime (RFC 867) requests over UDP.", true);
	return serve_main(argc, argv, &p, &udp, dayprog_print);
}
