/* SPDX-License-Identifier: ISC */
/* txstamp: the kernel's transmit timestamps of chosen datagrams
 * (SOF_TIMESTAMPING_TX_SOFTWARE, the driver's stamp, asked per
 * message), read back from the socket's error queue, matched to what
 * was sent by their id (SOF_TIMESTAMPING_OPT_ID), and the send path's
 * delay recorded in the state file.
 *
 * Why the driver's stamp and not the scheduler's (TX_SCHED): the
 * scheduler's is taken in __dev_queue_xmit before softirqs are off, so
 * a preemption between it and the device puts tens of microseconds
 * into an interleaved reply's transmit time (its |offset| p99 was 2x
 * chronyd's); the driver's is taken with softirqs off, next to the
 * device, as chronyd's. It waits for the qdisc: through an idle one it
 * is queued inside sendmsg, behind a shaper later. A stamp that lands
 * after the process has exited leaves the error queue full, and
 * systemd's socket polls POLLERR and fails the unit, so
 * txs_finish waits, before exit, while a stamped packet is still in
 * flight (bounded), and only stamped ones are waited for. */
#ifndef SOCKCLOCK_TXSTAMP_H
#define SOCKCLOCK_TXSTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Control-message bytes txs_cmsg adds. */
#define TXS_CMSG_SPACE 24

/* What a matched stamp is given to: the key given to txs_sent, and the
 * kernel's transmit time. */
typedef void (*txs_got_fn)(uint64_t key, const struct timespec *kernel);

/* Turn reporting on for fd (once a process: the ids start at 0 again);
 * false when the kernel refuses, and then nothing is to be stamped. */
bool txs_enable(int fd);
/* Append the per-message request for a stamp to a control buffer
 * holding len bytes (room for TXS_CMSG_SPACE more); the new length. */
size_t txs_cmsg(char *buf, size_t len);
/* A stamped datagram was sent on fd (in send order): its key, whether
 * it was the process's first reply (cold), the transmit time read
 * before the send. */
void txs_sent(int fd, uint64_t key, bool cold, const struct timespec *tx);
/* A stamped datagram failed to send: ids are no longer certain, so
 * what is pending is forgotten and the ids start again. */
void txs_resync(int fd);
/* Read the stamps waiting in fd's error queue (never waits). */
void txs_collect(int fd, txs_got_fn got);
/* The same, only when a stamp is still awaited (no system call
 * otherwise): before the requests of a batch are answered. */
void txs_collect_due(int fd, txs_got_fn got);
/* Before exit: read every stamp still due on fd, waiting at most
 * max_ms for a stamped packet still in flight; the error queue is then
 * empty unless that bound was met. */
void txs_finish(int fd, txs_got_fn got, int max_ms);

#endif
