/* SPDX-License-Identifier: ISC */
/* state: the mapped state file of a datagram program (--state-dir):
 * counters and the rate-limit table that outlive the process. Without
 * a usable file everything here is a no-op and the program serves as
 * if it had none. */
#ifndef SOCKCLOCK_STATE_H
#define SOCKCLOCK_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../proto/cookiekeys.h"
#include "../proto/masterkey.h"
#include "../proto/statefmt.h"

/* The default --state-dir is STATE_DIR_BASE/PROGRAM: one directory per
 * program, each its user's alone (tmpfiles.d/sockclock.conf, the units'
 * RuntimeDirectory=). */
#define STATE_DIR_BASE "/run/sockclock"

/* Map DIR/PROGRAM.state shared, making or replacing it as needed (one
 * warning); false, with one warning, when there is no usable file. A
 * missing default directory (quiet_if_missing: the administrator set
 * up no state) is no warning. */
bool state_open(const char *dir, const char *program, bool quiet_if_missing);
/* A file truncated while mapped does not kill the process: its mapping
 * becomes fresh private state (state.c). Called where logging is safe,
 * between requests: that warning, once. */
void state_report(void);
/* The image, or NULL without a file. */
struct sfmt_image *state_image(void);
/* Add n to counter c: one atomic add, never a wait. */
void state_count(enum sfmt_counter c, uint64_t n);
/* Record a send-path delay sample (statefmt.h); no-op without a file. */
void state_delay(enum sfmt_delay_kind k, int64_t ns);
/* The interleaved-mode table (xleave.h): the file's, or without one
 * the process's own. */
void *state_xl_table(void);
/* The NTS cookie keys in use: their current key's id, since when, and
 * fingerprint into the file (hashed only when they changed); no-op
 * without a file. */
void state_key_seen(const struct nts_keys *ks);
/* The master secrets just read (--nts-master-key), or NULL in the key
 * file's mode: their fingerprints into the file (written only when they
 * changed), so that --stats and the metrics show them without reading
 * the secrets; no-op without a file. */
void state_master_seen(const struct mkey_set *s);
/* --stats: print the counters of DIR/PROGRAM.state, as "name: value"
 * lines or (prometheus) the Prometheus text format; the exit code. */
int state_print(const char *dir, const char *program,
		const char *const *rules, bool prometheus);

#endif
