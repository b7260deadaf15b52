/* SPDX-License-Identifier: ISC */
/* daytime-tcp: Daytime (RFC 867) over TCP: one line to each connection. */
#include <sys/socket.h>

#include "common/sys/clock.h"
#include "common/sys/daytimeprog.h"
#include "common/sys/log.h"
#include "common/sys/serve.h"

static size_t line(char *buf, const struct sockaddr *peer)
{
	struct timespec now;
	clk_now(&now);
	log_request(peer, "daytime sent");
	return dayprog_line(buf, now.tv_sec);
}

int main(int argc, char **argv)
{
	static const struct serve_handler tcp = { .sotype = SOCK_STREAM,
						  .line = line };
	struct opt_program p = dayprog_program(
		"daytime-tcp", "Answer Daytime (RFC 867) requests over TCP.", false);
	return serve_main(argc, argv, &p, &tcp, dayprog_print);
}
