/* upstream: the reply header from the daemon that disciplines the
 * clock (issue 21). sntp-udp serves the clock chronyd steers, so its
 * header says what chronyd would say in its own server reply at that
 * moment (chrony's REF_GetReferenceParams), from a tracking report
 * taken a little earlier. Pure: the report and the time since it was
 * taken in, the server state out. */
#ifndef SOCKCLOCK_UPSTREAM_H
#define SOCKCLOCK_UPSTREAM_H

#include <stdint.h>

#include "chronycmd.h"
#include "ntp.h"

/* chronyd's maxclockerror (1 ppm unless configured): part of its
 * dispersion's growth, which tracking does not report. */
#define UP_MAXCLOCKERROR_PPM 1.0

/* The header state from tracking report t, taken elapsed seconds ago
 * (< 0 is read as 0), with the server's own precision:
 * - chronyd not synchronised (leap status 3, stratum 0 or 16): the
 *   alarm condition, LI 3, stratum 0, reference ID 0;
 * - otherwise its leap status, stratum, reference ID, reference time
 *   and root delay, and a root dispersion never less than its own
 *   reply's: its dispersion at t, plus |current correction| (what the
 *   system clock still has to be slewed by), plus growth over elapsed
 *   at skew + |residual frequency| + maxclockerror, rounded up. */
void up_state_from_tracking(const struct cc_tracking *t, double elapsed,
			    int8_t precision, struct ntp_server_state *st);

#endif
