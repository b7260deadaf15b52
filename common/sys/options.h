/* SPDX-License-Identifier: ISC */
/* options: the command line all three programs share, with getopt_long;
 * each program adds its own options through a handler. */
#ifndef SOCKCLOCK_OPTIONS_H
#define SOCKCLOCK_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "../proto/ratelimit.h"

/* The one version, from the file VERSION at the top of the tree: the
 * Makefile passes it (-DSOCKCLOCK_VERSION), as it writes it into the man
 * pages; debian/changelog and the README are checked against it. */
#ifndef SOCKCLOCK_VERSION
#error "SOCKCLOCK_VERSION comes from the Makefile (the file VERSION)"
#endif

struct opt_common {
	bool verbose;
	double idle_timeout;	/* seconds; 0: exit when nothing is pending */
	double io_timeout;	/* seconds a client may hold a connection */
	struct rl_config rate;	/* datagram programs: per-source limit */
	const char *state_dir;	/* datagram programs: --state-dir */
	bool state_dir_given;	/* not the default */
	bool stats;		/* --stats: print the counters and exit */
	bool stats_prometheus;	/* --stats=prometheus */
	const char *program;	/* the program's name (its state file's) */
	unsigned max_per_source; /* stream programs, listening: 0 no limit */
};

/* Connections one source may hold in a listening stream program: the
 * shipped Accept=yes socket's MaxConnectionsPerSource=. */
#define OPT_MAX_PER_SOURCE 16

struct opt_program {
	const char *name;
	const char *purpose;		/* one line for --help */
	const struct option *longopts;	/* the program's own, {0} ended */
	const char *help;		/* their help lines */
	bool datagram;			/* adds --rate-limit, --rate-burst, --allow,
					 * --state-dir, --stats; else
					 * --max-per-source */
	bool state;			/* a stream program's --state-dir, --stats */
	/* Take one of the program's own options; on a bad value return
	 * false and set *why. */
	bool (*take)(int opt, const char *arg, const char **why);
	/* Optional: check what depends on several options, once all are
	 * taken; false and *why as for take. */
	bool (*done)(const char **why);
};

/* Parse argv. Returns -1 to go on serving, or the exit code: 0 after
 * --help or --version, 2 after a bad option (reported through log). */
int opt_parse(int argc, char **argv, const struct opt_program *p,
	      struct opt_common *c);
/* A number of seconds from 0 to a day, as --idle-timeout takes it. */
bool opt_seconds(const char *arg, double *out);

#endif
