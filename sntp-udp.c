/* sntp-udp: an SNTPv4 server (RFC 4330, RFC 5905 §8-9) over UDP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/ntp.h"
#include "common/peer.h"
#include "common/serve.h"
#include "common/state.h"

static struct ntp_server_config cfg = { .stratum = 15,
					.refid = NTP_DEFAULT_REFID };
static bool dump;

/* The kernel's state, read at most once a second of request time. */
static void server_state(const struct timespec *rx, struct ntp_server_state *st)
{
	static struct ntp_server_state cached;
	static time_t when = -1;

	if (when != rx->tv_sec) {
		static int8_t precision = 1; /* 1: not measured yet */
		if (precision == 1)
			precision = ntp_precision_from_ns(clk_step_ns());
		struct ntp_kernel_clock k;
		if (!clk_state_read(&k))
			log_warning("adjtimex: cannot read the clock state; "
				    "serving as unsynchronised");
		ntp_server_state_make(&cfg, &k, precision, &cached);
		when = rx->tv_sec;
	}
	*st = cached;
}

/* The drop rules of SPEC.md for a request from peer (NULL by hand). */
static enum ntp_verdict verdict(const uint8_t *req, size_t len,
				const struct sockaddr *peer)
{
	return ntp_request_check(req, len, peer ? peer_port(peer) : -1,
				 peer && peer_addr_is_bad(peer));
}

/* --stats names of the verdicts NTP_DROP_LENGTH onwards, in order. */
static const char *const drop_rules[] = { "length", "version", "mode",
					  "source", NULL };

static size_t answer(const uint8_t *req, size_t len,
		     const struct sockaddr *peer, const struct timespec *rx,
		     uint8_t *reply)
{
	enum ntp_verdict v = verdict(req, len, peer);
	if (v != NTP_OK) {
		log_request(peer, "%s", ntp_verdict_name(v));
		state_count(STI_DROP_RULE + (v - 1), 1);
		return 0;
	}
	struct ntp_packet q, r;
	struct ntp_server_state st;
	ntp_decode(req, &q);
	server_state(rx, &st);
	ntp_reply_build(&q, &st, rx, &r);
	ntp_encode(&r, reply);
	log_request(peer, "NTPv%u mode %u request answered", q.version, q.mode);
	return NTP_HEADER_LEN;
}

/* Over the rate limit: a "RATE" kiss-o'-death, to valid requests only. */
static size_t limited(const uint8_t *req, size_t len,
		      const struct sockaddr *peer, uint8_t *reply)
{
	if (verdict(req, len, peer) != NTP_OK)
		return 0;
	struct ntp_packet q, r;
	ntp_decode(req, &q);
	ntp_kod_build(&q, "RATE", &r);
	ntp_encode(&r, reply);
	log_request(peer, "over the rate limit: kiss-o'-death RATE sent");
	return NTP_HEADER_LEN;
}

static void stamp(uint8_t *reply, size_t len, const struct timespec *tx)
{
	(void)len;
	ntp_reply_stamp(reply, tx);
}

static int by_hand(void)
{
	uint8_t req[1024], reply[SERVE_REPLY_MAX];
	size_t len = 0;
	struct timespec rx;

	if (!isatty(0)) {
		ssize_t n;
		while (len < sizeof req &&
		       (n = read(0, req + len, sizeof req - len)) > 0)
			len += (size_t)n;
	}
	clk_now(&rx);
	if (len == 0) {
		/* A terminal or empty input: ask as a v4 client would, now. */
		ntp_client_request(&rx, req);
		len = NTP_HEADER_LEN;
	}
	if (answer(req, len, NULL, &rx, reply) == 0) {
		log_error("request of %zu bytes %s", len,
			  ntp_verdict_name(verdict(req, len, NULL)));
		return 1;
	}
	struct timespec tx;
	clk_now(&tx);
	ntp_reply_stamp(reply, &tx);

	if (dump || isatty(1)) {
		char text[1024];
		struct ntp_packet r;
		ntp_decode(reply, &r);
		return serve_print(text,
				   ntp_describe(&r, tx.tv_sec, text, sizeof text));
	}
	return serve_print(reply, NTP_HEADER_LEN);
}

enum { OPT_STRATUM = 300, OPT_ROOT_DELAY, OPT_REFID, OPT_ASSUME, OPT_DUMP };

static bool take(int opt, const char *arg, const char **why)
{
	char *end;
	switch (opt) {
	case OPT_STRATUM: {
		long s = strtol(arg, &end, 10);
		if (end == arg || *end || s < 1 || s > 15) {
			*why = "--stratum: a whole number from 1 to 15";
			return false;
		}
		cfg.stratum = (uint8_t)s;
		return true;
	}
	case OPT_ROOT_DELAY:
		if (!opt_seconds(arg, &cfg.root_delay) || cfg.root_delay >= 65536) {
			*why = "--root-delay: a number of seconds, 0 or more";
			return false;
		}
		return true;
	case OPT_REFID:
		if (!ntp_refid_parse(arg, &cfg.refid)) {
			*why = "--refid: an IPv4 address or 1 to 4 ASCII characters";
			return false;
		}
		return true;
	case OPT_ASSUME:
		cfg.assume_synchronized = true;
		return true;
	case OPT_DUMP:
		dump = true;
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stratum", required_argument, NULL, OPT_STRATUM },
		{ "root-delay", required_argument, NULL, OPT_ROOT_DELAY },
		{ "refid", required_argument, NULL, OPT_REFID },
		{ "assume-synchronized", no_argument, NULL, OPT_ASSUME },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_program p = {
		.name = "sntp-udp",
		.purpose = "Answer SNTP (RFC 4330, RFC 5905) requests over UDP.",
		.longopts = opts,
		.help = "      --stratum=N          stratum when synchronised, 1-15"
			" (default 15)\n"
			"      --root-delay=SECS    root delay to announce (default 0)\n"
			"      --refid=ID           reference ID: IPv4 address or up to"
			" 4 ASCII\n"
			"                           characters (default 127.127.1.1)\n"
			"      --assume-synchronized  serve as synchronised even when"
			" the\n"
			"                           kernel says the clock is not\n"
			"      --dump               by hand: print the reply decoded\n",
		.take = take,
		.datagram = true,
	};
	static const struct serve_handler udp = { .sotype = SOCK_DGRAM,
						  .rx_timestamps = true,
						  .datagram = answer,
						  .limited = limited,
						  .stamp = stamp,
						  .drop_rules = drop_rules };
	return serve_main(argc, argv, &p, &udp, by_hand);
}
