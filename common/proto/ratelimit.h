/* SPDX-License-Identifier: ISC */
/* ratelimit: a token bucket per source address (IPv6 by /64) for the
 * UDP programs, in a fixed table: a flood from any number of (spoofed)
 * sources cannot grow memory, it only recycles the stalest entries. */
#ifndef SOCKCLOCK_RATELIMIT_H
#define SOCKCLOCK_RATELIMIT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Defaults: far above a client's burst of 4-8 requests and one every
 * 64 s or more (and a person's scripted loop of queries), far below a
 * flood of thousands a second; at most 64 x 48 bytes at once, then
 * 768 bytes a second, towards a spoofed victim. */
#define RL_DEFAULT_RATE 16.0	/* requests per second, sustained */
#define RL_DEFAULT_BURST 64	/* requests at once */
#define RL_KOD_INTERVAL_MS 8000	/* at most one KoD per source this often */
#define RL_SLOTS 4096
#define RL_WAYS 4
/* The table's bytes, for a state file to hold it (see rl_attach): a
 * set is a 16-byte lock word and 4 buckets of 40 bytes. */
#define RL_TABLE_BYTES (RL_SLOTS / RL_WAYS * 176)

struct rl_config {
	double rate;		/* 0: no limit */
	unsigned burst;
};

enum rl_verdict {
	RL_PASS,	/* answer */
	RL_KOD,		/* over the limit: a kiss-o'-death may be sent (say
			 * rl_kod_sent when one was) */
	RL_DROP,	/* over the limit: silence */
};

#define RL_KEY_LEN 16
/* A fresh table; key: the hash key, secret and random in the programs. */
void rl_init(const struct rl_config *c, const uint8_t key[RL_KEY_LEN]);
/* Use mem (RL_TABLE_BYTES, 64-byte aligned, perhaps shared with other
 * processes through a state file) as the table from now on; its
 * contents are kept, and checked as they are used. NULL: the process's
 * own table again. */
void rl_attach(void *mem);
bool rl_enabled(void);
/* Charge one request from peer at now_ms (a monotonic clock). */
enum rl_verdict rl_check(const struct sockaddr *peer, int64_t now_ms);
/* The request that was given RL_KOD got its kiss-o'-death: its source
 * gets no other for RL_KOD_INTERVAL_MS. (An invalid request over the
 * limit gets silence and must not spend the source's next KoD.) */
void rl_kod_sent(int64_t now_ms);

#endif
