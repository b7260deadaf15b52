/* SPDX-License-Identifier: ISC */
/* xleave: the interleaved-mode table (see xleave.h). */
#include "trylock.h"
#include "xleave.h"

#include <stddef.h>

struct entry {
	uint64_t rx;	/* 0: empty */
	uint64_t tx;
};

struct set {
	int64_t lock;	/* 0: free; else when it was taken (ms) */
	int64_t unused;
	struct entry e[XL_WAYS];
};

_Static_assert(sizeof(struct set) == XL_SET_BYTES, "a set is 128 bytes");

/* The receive timestamps' low bits are a clock's nanoseconds: mix all
 * of them into the set's index. */
static struct set *set_of(void *table, uint64_t rx)
{
	uint64_t h = rx;	/* splitmix64's finaliser */
	h = (h ^ h >> 30) * 0xbf58476d1ce4e5b9u;
	h = (h ^ h >> 27) * 0x94d049bb133111ebu;
	h ^= h >> 31;
	return (struct set *)table + h % XL_SETS;
}

static bool set_lock(struct set *s, int64_t now_ms)
{
	return trylock_take(&s->lock, now_ms, XL_LOCK_STALE_MS);
}

static void set_unlock(struct set *s)
{
	trylock_release(&s->lock);
}

bool xl_put(void *table, uint64_t rx, uint64_t tx, int64_t now_ms)
{
	if (rx == 0)
		return false;
	struct set *s = set_of(table, rx);
	if (!set_lock(s, now_ms))
		return false;
	/* The same receive time, else an empty entry, else the oldest:
	 * the one received longest before rx (era-safe difference). */
	struct entry *pick = NULL;
	uint64_t oldest = 0;
	for (int i = 0; i < XL_WAYS; i++) {
		struct entry *e = &s->e[i];
		if (e->rx == rx) {
			pick = e;
			break;
		}
		uint64_t age = e->rx == 0 ? UINT64_MAX : rx - e->rx;
		if (!pick || age > oldest) {
			pick = e;
			oldest = age;
		}
	}
	pick->rx = rx;
	pick->tx = tx;
	set_unlock(s);
	return true;
}

bool xl_take(void *table, uint64_t rx, uint64_t *tx, int64_t now_ms)
{
	if (rx == 0)
		return false;
	struct set *s = set_of(table, rx);
	if (!set_lock(s, now_ms))
		return false;
	/* Every entry of rx goes: a file from elsewhere may hold two. */
	bool found = false;
	for (int i = 0; i < XL_WAYS; i++)
		if (s->e[i].rx == rx) {
			if (!found)
				*tx = s->e[i].tx;
			s->e[i] = (struct entry){ 0, 0 };
			found = true;
		}
	set_unlock(s);
	return found;
}
