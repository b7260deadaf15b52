/* SPDX-License-Identifier: ISC */
/* Unit tests of common/sys/options.c (opt_seconds, opt_parse) and of the
 * --refid parser (ntp_refid_parse) that sntp-udp's options use. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "proto/allow.h"
#include "proto/ntp.h"
#include "sys/log.h"
#include "sys/options.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_seconds(void)
{
	static const struct {
		const char *arg;
		double want;
	} good[] = {
		{ "0", 0 },	    { "10", 10 },	  { "0.5", 0.5 },
		{ "0.001", 0.001 }, { "86400", 86400 },	  { "1e3", 1000 },
		{ "3600.25", 3600.25 }, { "86399.999", 86399.999 },
	};
	for (size_t i = 0; i < N(good); i++) {
		double v = -42;
		CHECK(opt_seconds(good[i].arg, &v) && v == good[i].want,
		      "opt_seconds(\"%s\") = %g, want %g", good[i].arg, v,
		      good[i].want);
	}
	const char *bad[] = { "",	"-1",	    "-0.001", "86400.001", "86401",
			      "1e9",	"abc",	    "1x",     "10s",	   "nan",
			      "NaN",	"inf",	    "-inf",   "infinity",  "1e999",
			      "5 ",	"1..2",	    "--1",    "."};
	for (size_t i = 0; i < N(bad); i++) {
		double v = -42;
		CHECK(!opt_seconds(bad[i], &v) && v == -42,
		      "opt_seconds(\"%s\") refused, value untouched (%g)", bad[i], v);
	}
}

static void test_refid(void)
{
	static const struct {
		const char *arg;
		uint32_t want;
	} good[] = {
		{ "LOCL", 0x4c4f434c },	   { "GPS", 0x47505300 },
		{ "X", 0x58000000 },	   { "PPS", 0x50505300 },
		{ "~!az", 0x7e21617a },	   { "192.0.2.1", 0xc0000201 },
		{ "127.127.1.1", 0x7f7f0101 }, { "0.0.0.0", 0 },
		{ "255.255.255.255", 0xffffffff }, { "10.0.0.1", 0x0a000001 },
	};
	for (size_t i = 0; i < N(good); i++) {
		uint32_t r = 0xdeadbeef;
		bool ok = ntp_refid_parse(good[i].arg, &r);
		CHECK(ok, "refid \"%s\" accepted", good[i].arg);
		CHECK_EQ(r, good[i].want, "refid \"%s\"", good[i].arg);
	}
	const char *bad[] = { "",	"ABCDE", "A B",	 " GPS", "GPS ",
			      "\x7f",	"\x01",	 "\t",	 "\xc3\xa9", "1.2.3.4.5",
			      "256.1.1.1", "LOCAL" };
	for (size_t i = 0; i < N(bad); i++) {
		uint32_t r = 0xdeadbeef;
		CHECK(!ntp_refid_parse(bad[i], &r) && r == 0xdeadbeef,
		      "refid \"%s\" refused, value untouched", bad[i]);
	}
}

/* opt_parse with a program that has one option of its own, --color=X. */
enum { OPT_COLOR = 300 };
static const struct option prog_opts[] = {
	{ "color", required_argument, NULL, OPT_COLOR },
	{ 0, 0, 0, 0 },
};
static char color[16];
static bool take(int opt, const char *arg, const char **why)
{
	if (opt != OPT_COLOR || strlen(arg) >= sizeof color || !*arg) {
		*why = "--color: a short word";
		return false;
	}
	strcpy(color, arg);
	return true;
}
static struct opt_program prog = {
	.name = "unit-prog",
	.purpose = "A program for the unit test.",
	.longopts = prog_opts,
	.help = "      --color=WORD         a colour\n",
	.take = take,
};

static const struct opt_program *cur = &prog;

/* Run opt_parse on a NULL-ended list, with stdout and stderr caught. */
static int parse(struct opt_common *c, char *out, size_t cap, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	va_start(ap, cap);
	argv[argc++] = "unit-prog";
	for (char *a; argc < 15 && (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	FILE *tmp = tmpfile();
	if (!tmp)
		abort();
	int save1 = dup(1), save2 = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	int rc = opt_parse(argc, argv, cur, c);
	fflush(stdout);
	fflush(stderr);
	dup2(save1, 1);
	dup2(save2, 2);
	close(save1);
	close(save2);
	rewind(tmp);
	size_t n = fread(out, 1, cap - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	return rc;
}

static void test_parse(void)
{
	char out[4096];
	struct opt_common c;

	log_open("unit-prog", ACT_BY_HAND);
	color[0] = 0;
	int rc = parse(&c, out, sizeof out, NULL);
	CHECK_EQ(rc, -1, "no options: go on serving");
	CHECK(!c.verbose && c.idle_timeout == 10 && c.io_timeout == 5,
	      "defaults: verbose %d idle %g io %g", c.verbose, c.idle_timeout,
	      c.io_timeout);
	CHECK_STR(out, "", "nothing printed when all is well");

	rc = parse(&c, out, sizeof out, "-v", "--idle-timeout=0", "--io-timeout",
		   "2.5", "--color=red", NULL);
	CHECK_EQ(rc, -1, "good options");
	CHECK(c.verbose && c.idle_timeout == 0 && c.io_timeout == 2.5,
	      "values: verbose %d idle %g io %g", c.verbose, c.idle_timeout,
	      c.io_timeout);
	CHECK_STR(color, "red", "the program's own option");
	CHECK(log_is_verbose(), "-v turns request logging on");
	parse(&c, out, sizeof out, NULL);
	CHECK(!log_is_verbose(), "and its absence off");

	rc = parse(&c, out, sizeof out, "--help", NULL);
	CHECK_EQ(rc, 0, "--help exits 0");
	CHECK(strstr(out, "Usage: unit-prog") && strstr(out, "--color=WORD") &&
		      strstr(out, "--idle-timeout"),
	      "--help shows usage, own and common options: %s", out);
	rc = parse(&c, out, sizeof out, "-V", NULL);
	CHECK_EQ(rc, 0, "-V exits 0");
	CHECK(strstr(out, "unit-prog (sockclock) " SOCKCLOCK_VERSION),
	      "-V output: %s", out);

	static const struct {
		const char *args[3];
		const char *says;
	} bad[] = {
		{ { "--bogus" }, "--bogus" },
		{ { "-x" }, "-x" },
		{ { "--idle-timeout=abc" }, "idle-timeout" },
		{ { "--idle-timeout=-1" }, "idle-timeout" },
		{ { "--io-timeout=86401" }, "io-timeout" },
		{ { "--idle-timeout" }, "idle-timeout" },
		{ { "--color=" }, "--color" },
		{ { "extra" }, "extra" },
		{ { "-v", "stray" }, "stray" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		rc = parse(&c, out, sizeof out, bad[i].args[0], bad[i].args[1],
			   bad[i].args[2], NULL);
		CHECK_EQ(rc, 2, "bad option %s exits 2", bad[i].args[0]);
		CHECK(strstr(out, bad[i].says) && strstr(out, "Usage: unit-prog"),
		      "bad option %s: message names it and shows usage: %s",
		      bad[i].args[0], out);
	}
}

/* --max-per-source: stream programs only, a whole number, 0 no limit. */
static void test_per_source(void)
{
	char out[4096];
	struct opt_common c;

	CHECK_EQ(parse(&c, out, sizeof out, NULL), -1, "defaults");
	CHECK_EQ(c.max_per_source, 16u, "default: the socket unit's 16");
	static const struct {
		const char *arg;
		unsigned want;
	} good[] = { { "0", 0 }, { "1", 1 }, { "17", 17 }, { "65535", 65535 } };
	for (size_t i = 0; i < N(good); i++) {
		char opt[64];
		snprintf(opt, sizeof opt, "--max-per-source=%s", good[i].arg);
		CHECK_EQ(parse(&c, out, sizeof out, opt, NULL), -1, "%s", opt);
		CHECK_EQ(c.max_per_source, good[i].want, "%s", opt);
	}
	const char *bad[] = { "--max-per-source=-1", "--max-per-source=65536",
			      "--max-per-source=", "--max-per-source=4x",
			      "--max-per-source=1.5", "--max-per-source" };
	for (size_t i = 0; i < N(bad); i++) {
		CHECK_EQ(parse(&c, out, sizeof out, bad[i], NULL), 2, "%s", bad[i]);
		CHECK(strstr(out, "max-per-source"), "%s: named: %s", bad[i], out);
	}
	CHECK(parse(&c, out, sizeof out, "--help", NULL) == 0 &&
		      strstr(out, "--max-per-source=N") &&
		      !strstr(out, "--rate-limit"),
	      "a stream program's help: %s", out);

	struct opt_program dg = prog;
	dg.datagram = true;
	cur = &dg;
	CHECK_EQ(parse(&c, out, sizeof out, "--max-per-source=3", NULL), 2,
		 "a datagram program has no --max-per-source");
	CHECK_EQ(parse(&c, out, sizeof out, "--rate-limit=3", NULL), -1,
		 "but --rate-limit");
	CHECK(parse(&c, out, sizeof out, "--help", NULL) == 0 &&
		      !strstr(out, "--max-per-source") &&
		      strstr(out, "--rate-limit"),
	      "a datagram program's help: %s", out);
	cur = &prog;
	CHECK_EQ(parse(&c, out, sizeof out, "--rate-limit=3", NULL), 2,
		 "a stream program has no --rate-limit");
}

/* --allow: datagram programs only; lists add up; bad input exits 2; a
 * later parse starts from no list. */
static void test_allow(void)
{
	char out[4096];
	struct opt_common c;
	struct sockaddr_in one = { .sin_family = AF_INET }, two = one;
	inet_pton(AF_INET, "127.0.0.1", &one.sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &two.sin_addr);

	CHECK_EQ(parse(&c, out, sizeof out, "--allow=127.0.0.1", NULL), 2,
		 "--allow is unknown to a stream program");
	prog.datagram = true;
	CHECK_EQ(parse(&c, out, sizeof out, NULL), -1, "datagram, no --allow");
	CHECK(allow_peer((struct sockaddr *)&two), "no --allow: anyone");
	CHECK_EQ(parse(&c, out, sizeof out, "--allow=10.0.0.0/8,::1",
		       "--allow", "127.0.0.1/32", NULL), -1, "two --allow");
	CHECK(allow_peer((struct sockaddr *)&one) &&
		      !allow_peer((struct sockaddr *)&two),
	      "both lists in force, nothing else");
	CHECK(!*out, "nothing printed: %s", out);
	const char *bad[] = { "--allow=", "--allow=10.0.0.1/8", "--allow=::/129",
			      "--allow=10.0.0.0/8,", "--allow=name" };
	for (size_t i = 0; i < N(bad); i++) {
		CHECK_EQ(parse(&c, out, sizeof out, bad[i], NULL), 2, "%s exits 2",
			 bad[i]);
		CHECK(strstr(out, "--allow: '") && strstr(out, "Usage: unit-prog"),
		      "%s: message names it and shows usage: %s", bad[i], out);
	}
	CHECK_EQ(parse(&c, out, sizeof out, "--help", NULL), 0, "--help");
	CHECK(strstr(out, "--allow=CIDR"), "--help shows --allow: %s", out);
	parse(&c, out, sizeof out, NULL);
	CHECK(allow_peer((struct sockaddr *)&two), "a new parse, no list");
	prog.datagram = false;
}

/* --state-dir: by default a directory of the program's own,
 * /run/sockclock/PROGRAM (each program with state runs as its
 * own user, and a directory belongs to one); given, as given. */
static void test_state_dir(void)
{
	char out[4096];
	struct opt_common c;

	prog.datagram = true;
	CHECK_EQ(parse(&c, out, sizeof out, NULL), -1, "datagram, defaults");
	CHECK_STR(c.state_dir, "/run/sockclock/unit-prog", "default --state-dir");
	CHECK(!c.state_dir_given, "the default is not given");
	CHECK_EQ(parse(&c, out, sizeof out, "--state-dir=/tmp/x", NULL), -1,
		 "--state-dir");
	CHECK_STR(c.state_dir, "/tmp/x", "--state-dir as given");
	CHECK(c.state_dir_given, "given");
	CHECK_EQ(parse(&c, out, sizeof out, "--help", NULL), 0, "--help");
	CHECK(strstr(out, "/run/sockclock/PROGRAM"), "help names the default: %s",
	      out);
	prog.datagram = false;
}

int main(void)
{
	test_seconds();
	test_refid();
	test_parse();
	test_per_source();
	test_allow();
	test_state_dir();
	return check_summary();
}
