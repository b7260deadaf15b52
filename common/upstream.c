/* upstream: see upstream.h. */
#include "upstream.h"

#include <math.h>

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
	st->reftime = ntp_ts_from_timespec(&t->ref_time);
}
