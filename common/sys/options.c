/* SPDX-License-Identifier: ISC */
/* options: getopt_long over the shared and the program's options. */
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/allow.h"
#include "log.h"
#include "state.h"

enum { OPT_IDLE = 256, OPT_IO, OPT_RATE, OPT_BURST, OPT_ALLOW, OPT_PER_SOURCE,
       OPT_STATE_DIR, OPT_STATS };

static const struct option common_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "io-timeout", required_argument, NULL, OPT_IO },
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])

static const struct option datagram_opts[] = {
	{ "rate-limit", required_argument, NULL, OPT_RATE },
	{ "rate-burst", required_argument, NULL, OPT_BURST },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ NULL, 0, NULL, 0 },
};

/* The datagram programs', and nts-ke-tcp's (opt_program.state). */
static const struct option state_opts[] = {
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "stats", optional_argument, NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 },
};

static const struct option stream_opts[] = {
	{ "max-per-source", required_argument, NULL, OPT_PER_SOURCE },
	{ NULL, 0, NULL, 0 },
};
#define MAX_OPTS 24

static const char common_help[] =
	"  -h, --help               show this help and exit\n"
	"  -V, --version            show the version and exit\n"
	"  -v, --verbose            log one line per request\n"
	"      --idle-timeout=SECS  exit after SECS without a request\n"
	"                           (default 10; 0: as soon as nothing is pending)\n"
	"      --io-timeout=SECS    longest time a client may hold a connection\n"
	"                           or a write may wait (default 5)\n";

#define STATS_HELP                                                        \
	"      --stats[=FORMAT]     print the counters kept in --state-dir, exit;\n" \
	"                           FORMAT prometheus: the Prometheus text\n"   \
	"                           format (node_exporter's textfile collector)\n"

static const char datagram_help[] =
	"      --rate-limit=N       requests per second a source (IPv6: a /64)\n"
	"                           may sustain (default 16; 0: no limit)\n"
	"      --rate-burst=N       requests a source may send at once\n"
	"                           (default 64)\n"
	"      --allow=CIDR[,CIDR...]  answer only these networks, checked on\n"
	"                           every datagram (IPv4 and IPv6; default: all)\n"
	"      --state-dir=DIR      keep counters and rate limits across\n"
	"                           activations in DIR (default\n"
	"                           /run/sockclock/PROGRAM)\n"
	STATS_HELP;

static const char stream_state_help[] =
	"      --state-dir=DIR      keep counters across activations in DIR\n"
	"                           (default /run/sockclock/PROGRAM)\n"
	STATS_HELP;

static const char stream_help[] =
	"      --max-per-source=N   listening: connections one source (IPv6:\n"
	"                           a /64) may hold at once; more are closed\n"
	"                           unanswered (default 16; 0: no limit)\n";

static void usage(FILE *f, const struct opt_program *p)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n%s\n\n"
		"Serves the socket(s) passed by systemd (LISTEN_FDS) or inetd\n"
		"(standard input); run by hand, answers one request on standard\n"
		"output.\n\nOptions:\n%s%s%s%s",
		p->name, p->purpose, p->help,
		p->datagram ? datagram_help : stream_help,
		!p->datagram && p->state ? stream_state_help : "", common_help);
}

bool opt_seconds(const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !isfinite(v) || v < 0 || v > 86400)
		return false;
	*out = v;
	return true;
}

/* A whole number from lo to hi, in decimal. */
static bool whole(const char *arg, long lo, long hi, unsigned *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (end == arg || *end || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

static int bad(const struct opt_program *p, const char *what)
{
	log_error("%s", what);
	if (log_to_stderr())
		usage(stderr, p);
	else
		log_error("usage: %s [OPTION]...; see %s --help", p->name,
			  p->name);
	return 2;
}

int opt_parse(int argc, char **argv, const struct opt_program *p,
	      struct opt_common *c)
{
	struct option opts[MAX_OPTS];
	size_t n = 0;
	char msg[512];

	n = N_COMMON;
	memcpy(opts, common_opts, n * sizeof opts[0]);
	for (const struct option *o = p->datagram ? datagram_opts : stream_opts;
	     o->name && n < MAX_OPTS - 1;)
		opts[n++] = *o++;
	for (const struct option *o = state_opts;
	     (p->datagram || p->state) && o->name && n < MAX_OPTS - 1;)
		opts[n++] = *o++;
	for (const struct option *o = p->longopts; o->name && n < MAX_OPTS - 1;)
		opts[n++] = *o++;
	memset(&opts[n], 0, sizeof opts[n]);

	/* Each program its own default directory: under systemd each unit
	 * owns its RuntimeDirectory=, and each runs as its own user. */
	static char state_dir[sizeof STATE_DIR_BASE + 32];
	snprintf(state_dir, sizeof state_dir, "%s/%s", STATE_DIR_BASE, p->name);
	*c = (struct opt_common){
		.idle_timeout = 10,
		.io_timeout = 5,
		.rate = { p->datagram ? RL_DEFAULT_RATE : 0, RL_DEFAULT_BURST },
		.state_dir = state_dir,
		.program = p->name,
		.max_per_source = OPT_MAX_PER_SOURCE,
	};
	allow_clear();
	opterr = 0; /* getopt would write to fd 2: the client, under inetd */
	optind = 1;
	for (;;) {
		int longidx = -1;
		int o = getopt_long(argc, argv, ":hVv", opts, &longidx);
		if (o == -1)
			break;
		const char *why = NULL;
		switch (o) {
		case 'h':
		case 'V':
			/* Under a superserver fds 0-2 are the client's socket. */
			if (!log_to_stderr())
				log_msg(LOG_INFO, NULL, "%s (sockclock) %s: see %s --help",
					p->name, SOCKCLOCK_VERSION, p->name);
			else if (o == 'h')
				usage(stdout, p);
			else
				printf("%s (sockclock) %s\n", p->name,
				       SOCKCLOCK_VERSION);
			return 0;
		case 'v':
			c->verbose = true;
			break;
		case OPT_IDLE:
		case OPT_IO:
			if (!opt_seconds(optarg, o == OPT_IDLE ? &c->idle_timeout
							       : &c->io_timeout)) {
				snprintf(msg, sizeof msg,
					 "--%s: '%s' is not a number of seconds "
					 "from 0 to 86400",
					 o == OPT_IDLE ? "idle-timeout" : "io-timeout",
					 optarg);
				return bad(p, msg);
			}
			break;
		case OPT_RATE:
			if (!opt_seconds(optarg, &c->rate.rate))
				return bad(p, "--rate-limit: a number of requests "
					      "per second from 0 to 86400");
			break;
		case OPT_BURST:
			if (!whole(optarg, 1, 100000, &c->rate.burst))
				return bad(p, "--rate-burst: a whole number from 1 "
					      "to 100000");
			break;
		case OPT_ALLOW:
			if (!allow_add(optarg, &why)) {
				snprintf(msg, sizeof msg, "--allow: '%s': %s", optarg,
					 why);
				return bad(p, msg);
			}
			break;
		case OPT_STATE_DIR:
			if (!*optarg)
				return bad(p, "--state-dir: a directory");
			c->state_dir = optarg;
			c->state_dir_given = true;
			break;
		case OPT_STATS:
			c->stats = true;
			if (optarg && strcmp(optarg, "prometheus") == 0)
				c->stats_prometheus = true;
			else if (optarg)
				return bad(p, "--stats: no FORMAT, or prometheus");
			break;
		case OPT_PER_SOURCE:
			if (!whole(optarg, 0, 65535, &c->max_per_source))
				return bad(p, "--max-per-source: a whole number from "
					      "0 to 65535");
			break;
		case ':':
			snprintf(msg, sizeof msg, "option '%s' needs a value",
				 argv[optind - 1]);
			return bad(p, msg);
		case '?':
			if (optopt)
				snprintf(msg, sizeof msg, "unknown option '-%c'",
					 optopt);
			else
				snprintf(msg, sizeof msg, "unknown option '%s'",
					 argv[optind - 1]);
			return bad(p, msg);
		default:
			if (!p->take(o, optarg, &why)) {
				snprintf(msg, sizeof msg, "%s", why);
				return bad(p, msg);
			}
		}
	}
	if (optind < argc) {
		snprintf(msg, sizeof msg, "unexpected argument '%s'",
			 argv[optind]);
		return bad(p, msg);
	}
	const char *why = NULL;
	if (p->done && !p->done(&why)) {
		snprintf(msg, sizeof msg, "%s", why);
		return bad(p, msg);
	}
	log_set_verbose(c->verbose);
	return -1;
}
