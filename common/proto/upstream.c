/* upstream: see upstream.h. */
#include "upstream.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* chrony's 32-bit floats carry a 24-bit magnitude, rounded to nearest:
 * the dispersion read may be up to 2^-24 of itself under chronyd's. */
#define FLOAT_MARGIN (1.0 + 1.0 / (1 << 23))

void up_state_from_tracking(const struct cc_tracking *t, double elapsed,
			    int8_t precision, struct ntp_server_state *st)
{
	*st = (struct ntp_server_state){ .precision = precision };
	/* chronyd reports stratum 16 as 0 when unsynchronised. */
	if (t->leap_status == CC_LEAP_UNSYNC || t->stratum == 0 || t->stratum >= 16)
		return;	/* ntp_reply_build: LI 3, stratum 0, refid 0 */
	if (!(elapsed > 0))
		elapsed = 0;
	double rate = (t->skew_ppm + fabs(t->resid_freq_ppm) +
		       UP_MAXCLOCKERROR_PPM) * 1e-6;
	double disp = t->root_dispersion * FLOAT_MARGIN +
		      fabs(t->current_correction) + elapsed * rate;
	st->synchronized = true;
	st->leap = (enum ntp_leap)t->leap_status;
	st->stratum = (uint8_t)t->stratum;
	st->refid = t->ref_id;
	st->rootdelay = ntp_short_from_seconds(t->root_delay);
	st->rootdisp = ntp_short_from_seconds(disp);	/* rounds up */
	st->reftime = up_reftime(&t->ref_time);
}

uint64_t up_reftime(const struct timespec *ts)
{
	if (ts->tv_sec == 0 && ts->tv_nsec == 0)
		return 0;
	/* As chronyd writes it (UTI_TimespecToNtp64): the fraction is the
	 * nanoseconds times 2^32 / 10^9 in a double, truncated, where
	 * ntp_ts_from_timespec rounds; the same bits as its own reply. */
	uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET);
	uint32_t frac = (uint32_t)(4.294967296 * (uint32_t)ts->tv_nsec);
	return (uint64_t)sec << 32 | frac;
}

bool up_source_parse(const char *arg, enum up_source *k, const char **hostport,
		     const char **why)
{
	*hostport = NULL;
	if (!strcmp(arg, "auto"))
		*k = UP_AUTO;
	else if (!strcmp(arg, "chrony"))
		*k = UP_CHRONY;
	else if (!strncmp(arg, "chrony:", 7) && arg[7]) {
		*k = UP_CHRONY;
		*hostport = arg + 7;
	} else if (!strcmp(arg, "kernel"))
		*k = UP_KERNEL;
	else if (!strcmp(arg, "timesyncd"))
		*k = UP_TIMESYNCD;
	else {
		*why = "--upstream: auto, chrony, chrony:HOST:PORT, timesyncd "
		       "or kernel";
		return false;
	}
	return true;
}

size_t up_describe(const char *source, const struct cc_tracking *t, double age,
		   char *buf, size_t cap)
{
	if (cap == 0)
		return 0;
	int n;
	if (!t) {
		n = snprintf(buf, cap, "upstream: %s\n", source);
	} else if (t->leap_status == CC_LEAP_UNSYNC || t->stratum == 0 ||
		   t->stratum >= 16) {
		n = snprintf(buf, cap, "upstream: %s, not synchronised, age %.0f s\n",
			     source, floor(age));
	} else {
		char id[16];
		uint32_t r = t->ref_id;
		bool ascii = t->stratum == 1;
		for (int i = 24; i >= 0 && ascii; i -= 8)
			ascii = (r >> i & 0xff) == 0 || ((r >> i & 0xff) >= 0x20 &&
							 (r >> i & 0xff) < 0x7f);
		if (ascii)
			snprintf(id, sizeof id, "%.4s", (char[]){ (char)(r >> 24),
				 (char)(r >> 16), (char)(r >> 8), (char)r, 0 });
		else
			snprintf(id, sizeof id, "%u.%u.%u.%u", r >> 24, r >> 16 & 0xff,
				 r >> 8 & 0xff, r & 0xff);
		static const char *const leap[] = { "", ", leap second to insert",
						    ", leap second to delete" };
		n = snprintf(buf, cap, "upstream: %s, synchronised, stratum %u, "
			     "refid %s, age %.0f s%s\n", source, t->stratum, id,
			     floor(age), leap[t->leap_status]);
	}
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
