/* SPDX-License-Identifier: ISC */
/* ratelimit: 4-way set-associative table of token buckets. The table
 * may be shared by several processes (a state file): each set has a
 * lock word taken by compare-and-swap, tried a bounded number of times
 * (the holder is inside a few dozen instructions) and never waited for
 * beyond that: a request that still finds its set busy is dropped, so
 * that two processes flooded by one source at once still hold it to
 * its limit. Whatever a bucket holds is
 * checked as it is used, so a stale or garbled table can only give a
 * source a full bucket, never crash or wedge it. */
#include "ratelimit.h"

#include <netinet/in.h>
#include <string.h>

#include "siphash.h"
#include "srcaddr.h"
#include "trylock.h"

#define WAYS RL_WAYS
#define SETS (RL_SLOTS / WAYS)
/* A lock older than this was left by a process that died holding it. */
#define STALE_LOCK_MS 1000
/* Compare-and-swaps before a busy set's request is dropped. */
#define LOCK_TRIES 4096

struct bucket {
	uint8_t key[16];	/* IPv4 (mapped) or the IPv6 /64 */
	int64_t last_ms;	/* 0: empty */
	int64_t kod_ms;
	double tokens;
};

struct set {
	int64_t lock;		/* 0: free; else when it was taken (ms) */
	int64_t pad;
	struct bucket b[WAYS];
};

_Static_assert(sizeof(struct set) * SETS == RL_TABLE_BYTES,
	       "RL_TABLE_BYTES matches the layout");

static struct rl_config cfg;
static uint8_t hash_key[SIPHASH_KEY_LEN];
static struct set own[SETS];
static struct set *table = own;
/* own has been written since it was last cleared. A process's own
 * table starts zeroed (static storage), and the servers attach the
 * state file's table at once: clearing the 180 KB anyway faulted in 44
 * fresh pages on every inetd-style activation, a third of its user
 * time. So it is cleared only when it has been used. */
static bool own_used;
static struct bucket *kod_due; /* the bucket of the last RL_KOD verdict */

void rl_init(const struct rl_config *c, const uint8_t key[RL_KEY_LEN])
{
	cfg = *c;
	memcpy(hash_key, key, sizeof hash_key);
	table = own;
	if (own_used)
		memset(own, 0, sizeof own);
	own_used = false;
	kod_due = NULL;
}

void rl_attach(void *mem)
{
	table = mem ? mem : own;
	kod_due = NULL;
}

bool rl_enabled(void)
{
	return cfg.rate > 0;
}

/* Keyed with the whole 128-bit key: an unkeyed or weakly seeded hash
 * (FNV-1a's low bits give only 1024 set functions whatever its seed)
 * lets a flood aim every source at one set and evict a good client. */
static uint64_t hash(const uint8_t key[16])
{
	return siphash24(hash_key, key, 16);
}

static bool set_lock(struct set *s, int64_t now_ms)
{
	return trylock_take(&s->lock, now_ms, STALE_LOCK_MS);
}

static void set_unlock(struct set *s)
{
	trylock_release(&s->lock);
}

static enum rl_verdict charge(struct set *set, const uint8_t key[16],
			      int64_t now_ms)
{
	struct bucket *b = NULL, *oldest = &set->b[0];
	for (int i = 0; i < WAYS; i++) {
		struct bucket *c = &set->b[i];
		if (c->last_ms && memcmp(c->key, key, 16) == 0) {
			b = c;
			break;
		}
		if (c->last_ms < oldest->last_ms)
			oldest = c;
	}
	/* A bucket from the future or with impossible tokens (a garbled
	 * shared table) is treated as new. */
	if (b && (b->last_ms > now_ms || b->last_ms < 0 || b->kod_ms > now_ms ||
		  b->kod_ms < 0 || !(b->tokens >= 0 && b->tokens <= cfg.burst)))
		b = NULL;
	if (!b) {
		/* A new source, or one recycled: it starts with a full bucket,
		 * so evicting never hurts a well-behaved client. */
		b = oldest;
		memcpy(b->key, key, 16);
		b->tokens = cfg.burst;
		b->kod_ms = 0;
	} else {
		double t = b->tokens + (double)(now_ms - b->last_ms) / 1000.0 * cfg.rate;
		b->tokens = t > cfg.burst ? cfg.burst : t;
	}
	b->last_ms = now_ms;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return RL_PASS;
	}
	if (b->kod_ms == 0 || now_ms - b->kod_ms >= RL_KOD_INTERVAL_MS) {
		kod_due = b;
		return RL_KOD;
	}
	return RL_DROP;
}

enum rl_verdict rl_check(const struct sockaddr *peer, int64_t now_ms)
{
	uint8_t key[16];
	if (!rl_enabled() || !peer || !srcaddr_source_key(peer, key))
		return RL_PASS;
	if (now_ms <= 0)
		now_ms = 1; /* 0 marks an empty slot and a free lock */

	own_used |= table == own;
	struct set *set = &table[hash(key) % SETS];
	int tries = 0;
	while (!set_lock(set, now_ms))
		if (++tries == LOCK_TRIES)
			return RL_DROP; /* held too long: never wait */
	enum rl_verdict v = charge(set, key, now_ms);
	set_unlock(set);
	return v;
}

void rl_kod_sent(int64_t now_ms)
{
	if (!kod_due)
		return;
	/* One aligned store: the set may be another process's by now. */
	__atomic_store_n(&kod_due->kod_ms, now_ms > 0 ? now_ms : 1,
			 __ATOMIC_RELAXED);
	kod_due = NULL;
}
