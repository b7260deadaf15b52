/* SPDX-License-Identifier: ISC */
/* warmup: the first send of a process made as quick as a warm one,
 * so that the transmit time read just before it is as close to the
 * real send as in a warm process. */
#ifndef SOCKCLOCK_WARMUP_H
#define SOCKCLOCK_WARMUP_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

/* Before the transmit time of replies (out, n of them, on fd) is read,
 * now being when their batch was received: run the send path once
 * without them if it is cold, i.e. for the first replies of the
 * process and after a pause in the traffic. */
void warmup_before(int fd, struct mmsghdr *out, unsigned n,
		     const struct timespec *now);
/* Is a datagram of len bytes from src, read on fd, one that the warm-up
 * sent to fd itself (this process's, or an earlier one's that came back
 * after it exited)? It is to be read and dropped unseen: not counted,
 * not answered. */
bool warmup_is_own(int fd, const struct sockaddr *src, size_t len);

/* Is this process to have its first reply stamped by the kernel, for
 * the cold send-delay estimate of the state file? One in
 * WARMUP_SAMPLE, none without a state file. */
bool warmup_sample(void);

#endif
