/* SPDX-License-Identifier: ISC */
/* daytimeprog: --format, --utc and the line, for both Daytime programs. */
#include "daytimeprog.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../proto/daytime.h"
#include "../proto/upstream.h"
#include "clock.h"
#include "log.h"
#include "serve.h"
#include "state.h"
#include "timesyncq.h"
#include "upstreamquery.h"

static enum daytime_format format = DAYTIME_CTIME;
static bool utc;
/* --format=+FORMAT: checked once all options are in (the longest case
 * depends on --utc), never per request. */
static const char *custom_fmt;
static struct daytime_custom custom;
/* The nist line's leap and health come from the same source as
 * sntp-udp's header: chronyd's view, kept in this
 * program's own state file (no program reads another's state), else
 * the kernel's. */
static enum up_source upstream = UP_AUTO;
static struct upq_config upstream_cfg;

enum { OPT_FORMAT = 300, OPT_UTC, OPT_UPSTREAM };

static const struct option dayserv_opts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "utc", no_argument, NULL, OPT_UTC },
	{ "upstream", required_argument, NULL, OPT_UPSTREAM },
	{ NULL, 0, NULL, 0 },
};

static bool custom_check(const char **why)
{
	if (upstream == UP_AUTO)
		upq_config_chrony(&upstream_cfg, NULL, why);
	if (!custom_fmt)
		return true;
	const char *bad = daytime_custom_compile(&custom, custom_fmt, utc);
	if (!bad)
		return true;
	/* The format as given, its first 40 bytes, anything not printable
	 * shown as \xNN: the message goes to a log. */
	char shown[4 * 40 + 4];
	size_t n = 0, i = 0;
	for (; custom_fmt[i] && i < 40; i++) {
		unsigned char b = (unsigned char)custom_fmt[i];
		n += (size_t)snprintf(shown + n, sizeof shown - n,
				      b < 0x20 || b > 0x7e ? "\\x%02x" : "%c", b);
	}
	if (custom_fmt[i])
		snprintf(shown + n, sizeof shown - n, "...");
	static char msg[400];
	snprintf(msg, sizeof msg, "--format=+%s: %s", shown, bad);
	*why = msg;
	return false;
}

static bool take(int opt, const char *arg, const char **why)
{
	if (opt == OPT_UTC) {
		utc = true;
		return true;
	}
	if (opt == OPT_UPSTREAM) {
		const char *hostport;
		return up_source_parse(arg, &upstream, &hostport, why) &&
		       (upstream != UP_CHRONY ||
			upq_config_chrony(&upstream_cfg, hostport, why));
	}
	if (arg[0] == '+') {
		custom_fmt = arg + 1;
		return true;
	}
	custom_fmt = NULL;
	if (daytime_format_parse(arg, &format))
		return true;
	static char msg[160];
	snprintf(msg, sizeof msg, "--format: unknown format '%s'; the formats "
		 "are %s, or +FORMAT (strftime)", arg, daytime_format_names);
	*why = msg;
	return false;
}

struct opt_program dayprog_program(const char *name, const char *purpose,
				    bool datagram)
{
	return (struct opt_program){
		.name = name,
		.purpose = purpose,
		.longopts = dayserv_opts,
		.help = "      --format=NAME        ctime (default), xinetd, rfc867,"
			" rfc2822,\n"
			"                           iso8601 or nist\n"
			"      --format=+FORMAT     a line of your own: strftime(3),"
			" as date +FORMAT\n"
			"      --utc                UTC instead of the local time"
			" zone (TZ)\n"
			"      --upstream=SOURCE    the nist line's leap and health"
			" from: auto\n"
			"                           (default: chronyd on"
			" 127.0.0.1:323 or [::1]:323,\n"
			"                           else timesyncd, else the kernel),"
			" chrony,\n"
			"                           chrony:HOST:PORT, timesyncd,"
			" kernel\n",
		.take = take,
		.done = custom_check,
		.datagram = datagram,
	};
}

/* The daemon's word for the nist line, when there is one to take
 * (chronyd's, else timesyncd's under auto): with chrony or timesyncd,
 * its view or "not synchronised" when it has none. Health: 0 when the
 * daemon is synchronised, 2 when not (it gives no error bound then). */
static bool nist_from_upstream(struct daytime_clock *dc, time_t now)
{
	if (upstream == UP_KERNEL)
		return false;
	struct cc_tracking t;
	double age;
	char source[SFMT_UP_NAME_MAX];
	struct ntp_server_state st = { .synchronized = false };
	struct tsd_view tv;
	if (upstream != UP_TIMESYNCD &&
	    upq_view_here(&upstream_cfg, &t, &age, source))
		up_state_from_tracking(&t, age, 0, &st);
	/* auto asks timesyncd only where its answer can be kept: a
	 * process without a state file (daytime-tcp) would pay a D-Bus
	 * round trip for every connection; named, it does, before the
	 * line (whole seconds: a millisecond matters little there). */
	else if ((upstream == UP_TIMESYNCD || (upstream == UP_AUTO && state_image())) &&
		 tsq_view_here(state_image() != NULL, &tv, source))
		tsd_state(&tv, (uint64_t)now * 1000000, 0, &st);
	else if (upstream == UP_AUTO)
		return false;
	dc->leap = st.synchronized ? (int)st.leap : 0;
	dc->health = st.synchronized ? 0 : 2;
	return true;
}

void dayprog_begin(const struct act_sockets *a)
{
	if (upstream != UP_KERNEL)
		upq_begin(&upstream_cfg, a);
}

size_t dayprog_line(char *buf, time_t now)
{
	if (custom_fmt) {
		size_t n = daytime_custom_format(buf, &custom, now, utc);
		if (n == 0)
			log_error("the time cannot be written in this format");
		return n;
	}
	struct daytime_clock dc = { 0, 0 };
	if (format == DAYTIME_NIST && !nist_from_upstream(&dc, now)) {
		struct ntp_kernel_clock st;
		static bool warned;
		if (!clk_state_read(&st) && !warned) {
			log_warning("adjtimex: cannot read the clock state; "
				    "the nist line says unhealthy");
			warned = true;
		}
		dc.leap = st.synchronized ? st.leap : 0;
		/* NIST's health: 0 healthy, 1 error up to 5 s, 2 more. */
		dc.health = st.synchronized ? 0 : st.maxerror <= 5 ? 1 : 2;
	}
	size_t n = daytime_format(buf, format, now, utc, &dc);
	if (n == 0)
		log_error("the time cannot be written in this format");
	return n;
}

int dayprog_print(void)
{
	char line[DAYTIME_MAX];
	struct timespec now;
	clk_now(&now);
	size_t n = dayprog_line(line, now.tv_sec);
	if (n == 0)
		return 1;
	return serve_print(line, n);
}
