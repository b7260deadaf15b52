/* daytime-tcp: Daytime (RFC 867) over TCP: one line to each connection. */
#include <sys/socket.h>

#include "common/clock.h"
#include "common/dayserv.h"
#include "common/log.h"
#include "common/serve.h"

static size_t line(char *buf, const struct sockaddr *peer)
{
	struct timespec now;
	clk_now(&now);
	log_request(peer, "daytime sent");
	return dayserv_line(buf, now.tv_sec);
}

int main(int argc, char **argv)
{
	static const struct serve_handler tcp = { .sotype = SOCK_STREAM,
						  .line = line };
	struct opt_program p = dayserv_program(
		"daytime-tcp", "Answer Daytime (RFC 867) requests over TCP.", false);
	return serve_main(argc, argv, &p, &tcp, dayserv_print);
}
