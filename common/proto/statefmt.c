/* statefmt: the state file's layout, checks and the counters' text. */
#include "statefmt.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct sfmt_header) == 64, "header is 64 bytes");
_Static_assert(offsetof(struct sfmt_header, check) == 60, "check is last");
_Static_assert(offsetof(struct sfmt_image, counter) == 64, "counters follow");
_Static_assert(offsetof(struct sfmt_image, rl_table) == 320, "table follows");
_Static_assert(offsetof(struct sfmt_image, delay) == 320 + RL_TABLE_BYTES,
	       "delays follow");
_Static_assert(sizeof(struct sfmt_delay) == 128, "a delay ring is 128 bytes");
_Static_assert(offsetof(struct sfmt_image, xl_table) ==
		       320 + RL_TABLE_BYTES + 256, "interleaved table follows");
_Static_assert(sizeof(struct sfmt_upstream) == 200, "upstream is 200 bytes");
_Static_assert(offsetof(struct sfmt_image, up) ==
		       320 + RL_TABLE_BYTES + 256 + XL_TABLE_BYTES,
	       "the upstream view follows");
_Static_assert(offsetof(struct sfmt_image, tsd) ==
		       320 + RL_TABLE_BYTES + 256 + XL_TABLE_BYTES + 200,
	       "timesyncd's view follows");
_Static_assert(SFMT_SIZE == 320 + RL_TABLE_BYTES + 256 + XL_TABLE_BYTES + 448,
	       "padded to 64 bytes at the end");

static uint32_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void program_field(const char *program, char out[SFMT_PROGRAM_MAX])
{
	memset(out, 0, SFMT_PROGRAM_MAX);
	strncpy(out, program, SFMT_PROGRAM_MAX - 1);
}

enum sfmt_verdict sfmt_check(const void *img, size_t len, const char *program)
{
	if (len != SFMT_SIZE)
		return SFMT_BAD_SIZE;
	const struct sfmt_header *h = img;
	if (memcmp(h->magic, SFMT_MAGIC, sizeof h->magic) != 0)
		return SFMT_BAD_MAGIC;
	if (h->version != SFMT_VERSION)
		return SFMT_BAD_VERSION;
	if (h->size != SFMT_SIZE)
		return SFMT_BAD_SIZE;
	char want[SFMT_PROGRAM_MAX];
	program_field(program, want);
	if (memcmp(h->program, want, SFMT_PROGRAM_MAX) != 0)
		return SFMT_BAD_PROGRAM;
	if (h->check != fnv1a(h, offsetof(struct sfmt_header, check)))
		return SFMT_BAD_CHECK;
	return SFMT_OK;
}

const char *sfmt_verdict_name(enum sfmt_verdict v)
{
	switch (v) {
	case SFMT_OK:
		return "valid";
	case SFMT_BAD_SIZE:
		return "wrong size";
	case SFMT_BAD_MAGIC:
		return "not a sockclock state file";
	case SFMT_BAD_VERSION:
		return "another version's layout";
	case SFMT_BAD_PROGRAM:
		return "another program's state";
	case SFMT_BAD_CHECK:
		return "corrupt header";
	}
	return "invalid";
}

void sfmt_init(struct sfmt_image *img, const char *program,
	      const uint8_t rl_key[RL_KEY_LEN])
{
	memset(img, 0, sizeof *img);
	sfmt_header_make(&img->h, program, rl_key);
}

void sfmt_header_make(struct sfmt_header *h, const char *program,
		     const uint8_t rl_key[RL_KEY_LEN])
{
	memset(h, 0, sizeof *h);
	memcpy(h->magic, SFMT_MAGIC, sizeof h->magic);
	h->version = SFMT_VERSION;
	h->size = SFMT_SIZE;
	program_field(program, h->program);
	memcpy(h->rl_key, rl_key, RL_KEY_LEN);
	h->check = fnv1a(h, offsetof(struct sfmt_header, check));
}

static const char *const names[SFMT_DROP_RULE] = {
	[SFMT_PROCESSES] = "processes-started",
	[SFMT_RECEIVED] = "requests-received",
	[SFMT_ANSWERED] = "requests-answered",
	[SFMT_DROPPED] = "requests-dropped",
	[SFMT_DROP_DESTINATION] = "dropped-destination",
	[SFMT_RATE_LIMITED] = "rate-limited",
	[SFMT_KOD] = "kiss-o-death-sent",
	[SFMT_DROP_NOT_ALLOWED] = "dropped-not-allowed",
	[SFMT_INTERLEAVED] = "interleaved-answered",
};

void sfmt_delay_record(struct sfmt_image *img, enum sfmt_delay_kind k, int64_t ns)
{
	struct sfmt_delay *d = &img->delay[k];
	uint64_t i = __atomic_fetch_add(&d->samples, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ring[i % SFMT_DELAY_KEPT], ns, __ATOMIC_RELAXED);
}

bool sfmt_delay_min(const struct sfmt_image *img, enum sfmt_delay_kind k,
		   int64_t *ns, unsigned *kept)
{
	const struct sfmt_delay *d = &img->delay[k];
	uint64_t n = __atomic_load_n(&d->samples, __ATOMIC_RELAXED);
	*kept = n < SFMT_DELAY_KEPT ? (unsigned)n : SFMT_DELAY_KEPT;
	for (unsigned i = 0; i < *kept; i++) {
		int64_t v = __atomic_load_n(&d->ring[i], __ATOMIC_RELAXED);
		if (i == 0 || v < *ns)
			*ns = v;
	}
	return *kept > 0;
}

size_t sfmt_format(const struct sfmt_image *img, const char *const *rules,
		  char *buf, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	buf[0] = 0;
	for (int i = 0; i < SFMT_COUNTERS && n < cap; i++) {
		const char *name = NULL;
		char rule[64];
		if (i < SFMT_DROP_RULE) {
			name = names[i];
		} else {
			const char *r = NULL;
			for (int j = 0; rules && rules[j]; j++)
				if (j == i - SFMT_DROP_RULE) {
					r = rules[j];
					break;
				}
			if (!r)
				break;
			snprintf(rule, sizeof rule, "dropped-%s", r);
			name = rule;
		}
		uint64_t v = __atomic_load_n(&img->counter[i], __ATOMIC_RELAXED);
		int w = snprintf(buf + n, cap - n, "%s: %llu\n", name,
				 (unsigned long long)v);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	static const char *const kinds[SFMT_DELAY_KINDS] = { "warm", "cold" };
	for (int k = 0; k < SFMT_DELAY_KINDS && n < cap; k++) {
		int64_t ns = 0;
		unsigned kept = 0;
		char v[24] = "-";
		if (sfmt_delay_min(img, (enum sfmt_delay_kind)k, &ns, &kept))
			snprintf(v, sizeof v, "%lld", (long long)ns);
		int w = snprintf(buf + n, cap - n,
				 "send-delay-%s-ns: %s\nsend-delay-%s-samples: %llu\n",
				 kinds[k], v, kinds[k],
				 (unsigned long long)__atomic_load_n(
					 &img->delay[k].samples, __ATOMIC_RELAXED));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	/* The upstream daemons' queries (sntp-udp), when there were any:
	 * chronyd's, then timesyncd's, and the source in use (the first
	 * that answered last time it was asked), or none. */
	const struct sfmt_upstream *ups[2] = { &img->up, &img->tsd };
	static const char *const prefix[2] = { "upstream", "upstream-timesyncd" };
	const char *using = NULL;
	char src[2][SFMT_UP_NAME_MAX];
	bool any = false;
	for (int i = 0; i < 2 && n < cap; i++) {
		const struct sfmt_upstream *u = ups[i];
		uint64_t ok = __atomic_load_n(&u->refreshes, __ATOMIC_RELAXED);
		uint64_t bad = __atomic_load_n(&u->failures, __ATOMIC_RELAXED);
		if (!ok && !bad)
			continue;
		any = true;
		memcpy(src[i], u->source, sizeof src[i]);
		src[i][sizeof src[i] - 1] = 0;
		if (!using && ok && !__atomic_load_n(&u->lost, __ATOMIC_RELAXED))
			using = src[i];
		int w = snprintf(buf + n, cap - n,
				 "%s-refreshes: %llu\n%s-failures: %llu\n",
				 prefix[i], (unsigned long long)ok, prefix[i],
				 (unsigned long long)bad);
		if (w > 0)
			n += (size_t)w;
	}
	if (any && n < cap) {
		int w = snprintf(buf + n, cap - n, "upstream-source: %s\n",
				 using ? using : "none");
		if (w > 0)
			n += (size_t)w;
	}
	return n < cap ? n : cap - 1;
}
