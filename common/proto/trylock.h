/* SPDX-License-Identifier: ISC */
/* trylock: the lock word of a set in a shared table (the rate-limit
 * buckets, the interleaved table): 0 free, else the monotonic ms at
 * which a process took it. Tried, never waited on. A word older than
 * stale_ms is a process that died holding it; one further in the future
 * than that is garbage (the table lives in a file any bytes can be in):
 * both are taken over. No subtraction on the word: garbage must not
 * overflow. */
#ifndef SOCKCLOCK_TRYLOCK_H
#define SOCKCLOCK_TRYLOCK_H

#include <stdbool.h>
#include <stdint.h>

static inline bool trylock_take(int64_t *word, int64_t now_ms, int64_t stale_ms)
{
	if (now_ms == 0)
		now_ms = 1; /* 0 marks a free lock */
	int64_t cur = 0;
	if (__atomic_compare_exchange_n(word, &cur, now_ms, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return true;
	bool stale = (now_ms >= INT64_MIN + stale_ms && cur <= now_ms - stale_ms) ||
		     (now_ms <= INT64_MAX - stale_ms && cur > now_ms + stale_ms);
	return stale &&
	       __atomic_compare_exchange_n(word, &cur, now_ms, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void trylock_release(int64_t *word)
{
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

#endif
