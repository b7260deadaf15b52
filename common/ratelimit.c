/* ratelimit: 4-way set-associative table of token buckets. */
#include "ratelimit.h"

#include <netinet/in.h>
#include <string.h>

#include "peer.h"
#include "siphash.h"

#define WAYS 4

struct bucket {
	uint8_t key[16];	/* IPv4 (mapped) or the IPv6 /64 */
	int64_t last_ms;	/* 0: empty */
	int64_t kod_ms;
	double tokens;
};

static struct rl_config cfg;
static uint8_t hash_key[SIPHASH_KEY_LEN];
static struct bucket table[RL_SLOTS];
static struct bucket *kod_due; /* the bucket of the last RL_KOD verdict */

void rl_init(const struct rl_config *c, const uint8_t key[RL_KEY_LEN])
{
	cfg = *c;
	memcpy(hash_key, key, sizeof hash_key);
	memset(table, 0, sizeof table);
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

enum rl_verdict rl_check(const struct sockaddr *peer, int64_t now_ms)
{
	uint8_t key[16];
	if (!rl_enabled() || !peer || !peer_source_key(peer, key))
		return RL_PASS;
	if (now_ms <= 0)
		now_ms = 1; /* 0 marks an empty slot */

	struct bucket *set = &table[(hash(key) % (RL_SLOTS / WAYS)) * WAYS];
	struct bucket *b = NULL, *oldest = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].last_ms && memcmp(set[i].key, key, 16) == 0) {
			b = &set[i];
			break;
		}
		if (set[i].last_ms < oldest->last_ms)
			oldest = &set[i];
	}
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

void rl_kod_sent(int64_t now_ms)
{
	if (!kod_due)
		return;
	kod_due->kod_ms = now_ms > 0 ? now_ms : 1;
	kod_due = NULL;
}
