/* stimage: the state file's layout, checks and the counters' text. */
#include "stimage.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct sti_header) == 64, "header is 64 bytes");
_Static_assert(offsetof(struct sti_header, check) == 60, "check is last");
_Static_assert(offsetof(struct sti_image, counter) == 64, "counters follow");
_Static_assert(offsetof(struct sti_image, rl_table) == 320, "table follows");
_Static_assert(offsetof(struct sti_image, delay) == 320 + RL_TABLE_BYTES,
	       "delays follow");
_Static_assert(sizeof(struct sti_delay) == 128, "a delay ring is 128 bytes");
_Static_assert(offsetof(struct sti_image, xl_table) ==
		       320 + RL_TABLE_BYTES + 256, "interleaved table follows");
_Static_assert(sizeof(struct sti_upstream) == 200, "upstream is 200 bytes");
_Static_assert(offsetof(struct sti_image, up) ==
		       320 + RL_TABLE_BYTES + 256 + XL_TABLE_BYTES,
	       "the upstream view follows");
_Static_assert(STI_SIZE == 320 + RL_TABLE_BYTES + 256 + XL_TABLE_BYTES + 256,
	       "padded to 64 bytes at the end");

static uint32_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void program_field(const char *program, char out[STI_PROGRAM_MAX])
{
	memset(out, 0, STI_PROGRAM_MAX);
	strncpy(out, program, STI_PROGRAM_MAX - 1);
}

enum sti_verdict sti_check(const void *img, size_t len, const char *program)
{
	if (len != STI_SIZE)
		return STI_BAD_SIZE;
	const struct sti_header *h = img;
	if (memcmp(h->magic, STI_MAGIC, sizeof h->magic) != 0)
		return STI_BAD_MAGIC;
	if (h->version != STI_VERSION)
		return STI_BAD_VERSION;
	if (h->size != STI_SIZE)
		return STI_BAD_SIZE;
	char want[STI_PROGRAM_MAX];
	program_field(program, want);
	if (memcmp(h->program, want, STI_PROGRAM_MAX) != 0)
		return STI_BAD_PROGRAM;
	if (h->check != fnv1a(h, offsetof(struct sti_header, check)))
		return STI_BAD_CHECK;
	return STI_OK;
}

const char *sti_verdict_name(enum sti_verdict v)
{
	switch (v) {
	case STI_OK:
		return "valid";
	case STI_BAD_SIZE:
		return "wrong size";
	case STI_BAD_MAGIC:
		return "not a sockclock state file";
	case STI_BAD_VERSION:
		return "another version's layout";
	case STI_BAD_PROGRAM:
		return "another program's state";
	case STI_BAD_CHECK:
		return "corrupt header";
	}
	return "invalid";
}

void sti_init(struct sti_image *img, const char *program,
	      const uint8_t rl_key[RL_KEY_LEN])
{
	memset(img, 0, sizeof *img);
	sti_header_make(&img->h, program, rl_key);
}

void sti_header_make(struct sti_header *h, const char *program,
		     const uint8_t rl_key[RL_KEY_LEN])
{
	memset(h, 0, sizeof *h);
	memcpy(h->magic, STI_MAGIC, sizeof h->magic);
	h->version = STI_VERSION;
	h->size = STI_SIZE;
	program_field(program, h->program);
	memcpy(h->rl_key, rl_key, RL_KEY_LEN);
	h->check = fnv1a(h, offsetof(struct sti_header, check));
}

static const char *const names[STI_DROP_RULE] = {
	[STI_PROCESSES] = "processes-started",
	[STI_RECEIVED] = "requests-received",
	[STI_ANSWERED] = "requests-answered",
	[STI_DROPPED] = "requests-dropped",
	[STI_DROP_DESTINATION] = "dropped-destination",
	[STI_RATE_LIMITED] = "rate-limited",
	[STI_KOD] = "kiss-o-death-sent",
	[STI_DROP_NOT_ALLOWED] = "dropped-not-allowed",
	[STI_INTERLEAVED] = "interleaved-answered",
};

void sti_delay_record(struct sti_image *img, enum sti_delay_kind k, int64_t ns)
{
	struct sti_delay *d = &img->delay[k];
	uint64_t i = __atomic_fetch_add(&d->samples, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ring[i % STI_DELAY_KEPT], ns, __ATOMIC_RELAXED);
}

bool sti_delay_min(const struct sti_image *img, enum sti_delay_kind k,
		   int64_t *ns, unsigned *kept)
{
	const struct sti_delay *d = &img->delay[k];
	uint64_t n = __atomic_load_n(&d->samples, __ATOMIC_RELAXED);
	*kept = n < STI_DELAY_KEPT ? (unsigned)n : STI_DELAY_KEPT;
	for (unsigned i = 0; i < *kept; i++) {
		int64_t v = __atomic_load_n(&d->ring[i], __ATOMIC_RELAXED);
		if (i == 0 || v < *ns)
			*ns = v;
	}
	return *kept > 0;
}

size_t sti_format(const struct sti_image *img, const char *const *rules,
		  char *buf, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	buf[0] = 0;
	for (int i = 0; i < STI_COUNTERS && n < cap; i++) {
		const char *name = NULL;
		char rule[64];
		if (i < STI_DROP_RULE) {
			name = names[i];
		} else {
			const char *r = NULL;
			for (int j = 0; rules && rules[j]; j++)
				if (j == i - STI_DROP_RULE) {
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
	static const char *const kinds[STI_DELAY_KINDS] = { "warm", "cold" };
	for (int k = 0; k < STI_DELAY_KINDS && n < cap; k++) {
		int64_t ns = 0;
		unsigned kept = 0;
		char v[24] = "-";
		if (sti_delay_min(img, (enum sti_delay_kind)k, &ns, &kept))
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
	/* The upstream daemon's queries (sntp-udp), when there were any. */
	const struct sti_upstream *u = &img->up;
	uint64_t ok = __atomic_load_n(&u->refreshes, __ATOMIC_RELAXED);
	uint64_t bad = __atomic_load_n(&u->failures, __ATOMIC_RELAXED);
	if ((ok || bad) && n < cap) {
		char src[STI_UP_NAME_MAX];
		memcpy(src, u->source, sizeof src);
		src[sizeof src - 1] = 0;
		bool lost = __atomic_load_n(&u->lost, __ATOMIC_RELAXED) || !ok;
		int w = snprintf(buf + n, cap - n,
				 "upstream-refreshes: %llu\nupstream-failures: %llu\n"
				 "upstream-source: %s\n", (unsigned long long)ok,
				 (unsigned long long)bad, lost ? "none" : src);
		if (w > 0)
			n += (size_t)w;
	}
	return n < cap ? n : cap - 1;
}
