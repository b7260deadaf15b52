/* SPDX-License-Identifier: ISC */
/* timesyncq: ask systemd-timesyncd how good the clock is: the
 * properties of org.freedesktop.timesync1 (object /org/freedesktop/
 * timesync1, interface org.freedesktop.timesync1.Manager) NTPMessage,
 * ServerAddress and PollIntervalUSec, in one GetAll over the system bus
 * with sd-bus, and keep the answer in the state file's timesyncd region
 * (proto/timesyncd's record), as upstreamquery does with chronyd's.
 * I/O.
 *
 * Cost: libsystemd is loaded only to ask, and a D-Bus round trip
 * (connect, authenticate, Hello, the call) does not fit the 1 ms a
 * reply may wait: a request that claims the refresh (one per
 * UPQ_INTERVAL_MS for all processes together) is answered with the
 * view the file has, and the query runs after the replies, in a child
 * process (tsq_after_replies, called by the serve loop before it waits
 * again), which writes the file. Nobody waiting (by hand, or a process
 * with no state file to keep the answer in): the query is made at
 * once. No bus socket: a failure without loading libsystemd.
 *
 * The call never starts timesyncd (no bus activation: a time daemon
 * that the administrator stopped stays stopped). A property of the
 * wrong type, a value out of range, or no NTPMessage: the answer is
 * ignored and counted as a failure. */
#ifndef SOCKCLOCK_TIMESYNCQ_H
#define SOCKCLOCK_TIMESYNCQ_H

#include <stdbool.h>
#include <stdint.h>

#include "../proto/statefmt.h"
#include "../proto/timesyncd.h"

/* sd-bus's call timeout (and the Hello's), in the child or by hand;
 * the child is ended (a failure) after TSQ_CHILD_MAX_S whatever it is
 * waiting for. */
#define TSQ_CALL_TIMEOUT_US 500000
#define TSQ_CHILD_MAX_S 2

/* timesyncd's view as believed at now_ms (CLOCK_MONOTONIC), claiming
 * the refresh when due; may_wait: a client is waiting (the query is
 * left to tsq_after_replies), else it is made first, in this process. True with v
 * and who gave it; false when there is none younger than
 * UPQ_BELIEVED_MS. region: the state file's (state_image()->tsd), or
 * NULL for the process's own. */
bool tsq_view(struct sfmt_upstream *region, int64_t now_ms, bool may_wait,
	      struct tsd_view *v, char source[SFMT_UP_NAME_MAX]);

/* The refresh a waiting client claimed, if any: started now, in a
 * child, after the replies went out. */
void tsq_after_replies(void);

/* At the exit, the replies out: that refresh, and its child waited for
 * (TSQ_FINISH_MS at most; under systemd it would be ended with the
 * unit's main process). */
#define TSQ_FINISH_MS 600
void tsq_finish(void);

/* tsq_view over this process's state file, now. */
bool tsq_view_here(bool may_wait, struct tsd_view *v,
		   char source[SFMT_UP_NAME_MAX]);

/* Only read the region (--dump): no query. */
bool tsq_peek(struct sfmt_upstream *region, int64_t now_ms,
	      struct tsd_view *v, char source[SFMT_UP_NAME_MAX]);

#endif
