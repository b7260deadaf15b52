/* SPDX-License-Identifier: ISC */
/* xleave: the server's table for interleaved mode (RFC 9769 §2): the
 * receive timestamp of a reply, as written in it, to that reply's
 * transmit time as the kernel saw it. A later request whose origin is
 * that receive timestamp gets the transmit time. Fixed size, in sets
 * of XL_WAYS entries; a new entry replaces the oldest of its set, and
 * an entry is given out once. Each set has a lock word taken by one
 * compare-and-swap: a busy set is skipped, never waited on (two
 * processes may share the table through the state file). Pure: memory
 * in, memory out. */
#ifndef SOCKCLOCK_XLEAVE_H
#define SOCKCLOCK_XLEAVE_H

#include <stdbool.h>
#include <stdint.h>

#define XL_SETS 512
#define XL_WAYS 7
/* A set: a 16-byte lock word and 7 entries of 16 bytes. */
#define XL_SET_BYTES 128
#define XL_TABLE_BYTES (XL_SETS * XL_SET_BYTES)
#define XL_ENTRIES (XL_SETS * XL_WAYS)

/* A lock older than this was left by a process that died holding it. */
#define XL_LOCK_STALE_MS 1000

/* Remember rx -> tx in table (XL_TABLE_BYTES, 64-byte aligned, zero at
 * first); an entry for rx already there is updated. now_ms: a
 * monotonic clock, for the lock. False when the set was busy. rx 0 is
 * never stored. */
bool xl_put(void *table, uint64_t rx, uint64_t tx, int64_t now_ms);
/* The transmit time kept for rx, and forget it; false when there is
 * none (never stored, replaced, given out already, or the set busy). */
bool xl_take(void *table, uint64_t rx, uint64_t *tx, int64_t now_ms);

#endif
