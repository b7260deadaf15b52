/* txstamp: the kernel's transmit timestamps of chosen datagrams
 * (SOF_TIMESTAMPING_TX_SCHED, asked per message), read back from the
 * socket's error queue, matched to what was sent by their id
 * (SOF_TIMESTAMPING_OPT_ID), and the send path's delay recorded in the
 * state file.
 *
 * Why the scheduler's stamp and not the driver's (TX_SOFTWARE): it is
 * taken in __dev_queue_xmit before the packet enters the qdisc, so it
 * is queued to the error queue inside sendmsg itself. A driver's stamp
 * waits for the qdisc (a tbf shaper held one 1.1 s): a stamp that
 * lands after the process has exited leaves the error queue full and
 * systemd's socket polls POLLERR and fails the unit (issue 13). Only a
 * packet held before the device (neighbour resolution, a netfilter
 * queue) gets its stamp late; txs_finish waits for those, bounded. */
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
/* Before exit: read every stamp still due on fd, waiting at most
 * max_ms for a packet held before the device; the error queue is then
 * empty unless that bound was met. */
void txs_finish(int fd, txs_got_fn got, int max_ms);

#endif
