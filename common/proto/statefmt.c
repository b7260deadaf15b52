/* SPDX-License-Identifier: ISC */
/* statefmt: the state file's layout, checks and the counters' text. */
#include "statefmt.h"

#include <stdio.h>
#include <string.h>

#include "keyprint.h"
#include "masterkey.h"
#include "metrics.h"

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
_Static_assert(offsetof(struct sfmt_image, key) ==
		       offsetof(struct sfmt_image, tsd) + 200, "the key follows");
_Static_assert(sizeof(struct sfmt_keyinfo) == 24, "the key view is 24 bytes");
_Static_assert(sizeof(((struct sfmt_keyinfo *)0)->fingerprint) == KPRINT_LEN,
	       "a whole fingerprint");
_Static_assert(offsetof(struct sfmt_image, master) ==
		       offsetof(struct sfmt_image, key) + 24,
	       "the master secrets follow the key");
_Static_assert(sizeof(struct sfmt_masterinfo) == 24,
	       "the master view is 24 bytes");
_Static_assert(sizeof(((struct sfmt_masterinfo *)0)->fingerprint[0]) ==
		       MKEY_FPR_LEN && SFMT_MASTERS == MKEY_SET_MAX,
	       "every secret of a set, whole fingerprints");
_Static_assert(SFKE_COUNTERS_USED <= SFMT_COUNTERS, "nts-ke-tcp's fit");
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

/* The layouts of the counters (statefmt.h): by the program's name. */
static bool program_is(const struct sfmt_image *img, const char *program)
{
	char want[SFMT_PROGRAM_MAX];
	program_field(program, want);
	return memcmp(img->h.program, want, SFMT_PROGRAM_MAX) == 0;
}

static const char *const ke_names[SFKE_COUNTERS_USED] = {
	[SFKE_PROCESSES] = "processes-started",
	[SFKE_CONNECTIONS] = "connections-accepted",
	[SFKE_EXCHANGES] = "exchanges-completed",
	[SFKE_REFUSED] = "exchanges-refused",
	[SFKE_COOKIES] = "cookies-issued",
	[SFKE_REFUSED_TLS] = "refused-tls-handshake",
	[SFKE_REFUSED_ALPN] = "refused-alpn",
	[SFKE_REFUSED_MALFORMED] = "refused-malformed",
	[SFKE_REFUSED_NO_AEAD] = "refused-no-aead",
	[SFKE_REFUSED_NO_PROTOCOL] = "refused-no-protocol",
	[SFKE_REFUSED_TIMEOUT] = "refused-timeout",
	[SFKE_REFUSED_PER_SOURCE] = "refused-per-source",
	[SFKE_REFUSED_INTERNAL] = "refused-internal",
};

static uint64_t counter(const struct sfmt_image *img, int i)
{
	return __atomic_load_n(&img->counter[i], __ATOMIC_RELAXED);
}

/* The name of counter i of a datagram program (rules: its own), or
 * NULL past the last rule. */
static const char *dgram_name(int i, const char *const *rules)
{
	if (i < SFMT_DROP_RULE)
		return names[i];
	for (int j = 0; rules && rules[j] && j < SFMT_RULES_MAX; j++)
		if (j == i - SFMT_DROP_RULE)
			return rules[j];
	return NULL;
}

void sfmt_key_put(struct sfmt_image *img, uint32_t id, int64_t current_since,
		  const uint8_t fingerprint[8])
{
	struct sfmt_keyinfo *k = &img->key;
	uint32_t seq = __atomic_load_n(&k->seq, __ATOMIC_RELAXED);
	if ((seq & 1) || !__atomic_compare_exchange_n(&k->seq, &seq, seq + 1,
						     false, __ATOMIC_ACQUIRE,
						     __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&k->id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&k->current_since, current_since, __ATOMIC_RELAXED);
	for (int i = 0; i < KPRINT_LEN; i++)
		__atomic_store_n(&k->fingerprint[i], fingerprint[i],
				 __ATOMIC_RELAXED);
	__atomic_store_n(&k->seq, seq + 2, __ATOMIC_RELEASE);
}

bool sfmt_key_get(const struct sfmt_image *img, struct sfmt_keyinfo *out)
{
	const struct sfmt_keyinfo *k = &img->key;
	for (int tries = 0; tries < 100; tries++) {
		uint32_t seq = __atomic_load_n(&k->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		out->id = __atomic_load_n(&k->id, __ATOMIC_RELAXED);
		out->current_since =
			__atomic_load_n(&k->current_since, __ATOMIC_RELAXED);
		for (int i = 0; i < KPRINT_LEN; i++)
			out->fingerprint[i] = __atomic_load_n(&k->fingerprint[i],
							      __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&k->seq, __ATOMIC_RELAXED) == seq) {
			out->seq = seq;
			return out->current_since != 0;
		}
	}
	return false;
}

void sfmt_master_put(struct sfmt_image *img, unsigned n,
		     const uint8_t fingerprint[][8])
{
	struct sfmt_masterinfo *k = &img->master;
	uint32_t seq = __atomic_load_n(&k->seq, __ATOMIC_RELAXED);
	if (n > SFMT_MASTERS || (seq & 1) ||
	    !__atomic_compare_exchange_n(&k->seq, &seq, seq + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&k->n, n, __ATOMIC_RELAXED);
	for (unsigned j = 0; j < SFMT_MASTERS; j++)
		for (int i = 0; i < 8; i++)
			__atomic_store_n(&k->fingerprint[j][i],
					 j < n ? fingerprint[j][i] : 0,
					 __ATOMIC_RELAXED);
	__atomic_store_n(&k->seq, seq + 2, __ATOMIC_RELEASE);
}

bool sfmt_master_get(const struct sfmt_image *img,
		     struct sfmt_masterinfo *out)
{
	const struct sfmt_masterinfo *k = &img->master;
	for (int tries = 0; tries < 100; tries++) {
		uint32_t seq = __atomic_load_n(&k->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		out->n = __atomic_load_n(&k->n, __ATOMIC_RELAXED);
		for (int j = 0; j < SFMT_MASTERS; j++)
			for (int i = 0; i < 8; i++)
				out->fingerprint[j][i] = __atomic_load_n(
					&k->fingerprint[j][i], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&k->seq, __ATOMIC_RELAXED) == seq) {
			out->seq = seq;
			/* Any bytes may be in a file: more than a set holds
			 * reads as none. */
			return out->n > 0 && out->n <= SFMT_MASTERS;
		}
	}
	return false;
}

/* The master secrets' fingerprint lines (plain --stats): the names
 * mkey_set_describe gives them in --dump. */
static void master_lines(const struct sfmt_image *img, char *buf, size_t cap,
			 size_t *n)
{
	static const char *const name[SFMT_MASTERS] = {
		"nts-master-key-fingerprint", "nts-master-key-fingerprint-old"
	};
	struct sfmt_masterinfo mi;
	if (!sfmt_master_get(img, &mi))
		return;
	for (unsigned j = 0; j < mi.n && *n < cap; j++) {
		char hex[KPRINT_HEX];
		kprint_hex(mi.fingerprint[j], hex);
		int w = snprintf(buf + *n, cap - *n, "%s: %s\n", name[j], hex);
		if (w > 0)
			*n += (size_t)w;
	}
}

/* Append "name: value" lines to buf at *n (a failed write leaves *n). */
static void line(char *buf, size_t cap, size_t *n, const char *name,
		 unsigned long long v)
{
	if (*n >= cap)
		return;
	int w = snprintf(buf + *n, cap - *n, "%s: %llu\n", name, v);
	if (w > 0)
		*n += (size_t)w;
}

size_t sfmt_format(const struct sfmt_image *img, const char *const *rules,
		  char *buf, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	buf[0] = 0;
	struct sfmt_keyinfo key;
	bool has_key = sfmt_key_get(img, &key);
	if (program_is(img, "nts-ke-tcp")) {
		for (int i = 0; i < SFKE_COUNTERS_USED; i++)
			line(buf, cap, &n, ke_names[i], counter(img, i));
		goto key;
	}
	for (int i = 0; i < SFMT_COUNTERS; i++) {
		const char *name = dgram_name(i, rules);
		char rule[64];
		if (!name)
			break;
		if (i >= SFMT_DROP_RULE) {
			snprintf(rule, sizeof rule, "dropped-%s", name);
			name = rule;
		}
		line(buf, cap, &n, name, counter(img, i));
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
		if (!using && ok && src[i][0] &&
		    !(__atomic_load_n(&u->lost, __ATOMIC_RELAXED) & SFMT_UP_LOST))
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
	if (!program_is(img, "sntp-udp"))
		return n < cap ? n : cap - 1;
	line(buf, cap, &n, "authenticated-answered",
	     counter(img, SFMT_AUTHENTICATED));
	line(buf, cap, &n, "nts-naks-sent", counter(img, SFMT_NTS_NAK));
	line(buf, cap, &n, "nts-cookies-unknown-key",
	     counter(img, SFMT_NTS_UNKNOWN_KEY));
key:
	if (has_key && n < cap) {
		char hex[KPRINT_HEX];
		kprint_hex(key.fingerprint, hex);
		int w = snprintf(buf + n, cap - n,
				 "nts-key-id: %08x\nnts-key-fingerprint: %s\n"
				 "nts-key-current-since: %lld\n", (unsigned)key.id,
				 hex, (long long)key.current_since);
		if (w > 0)
			n += (size_t)w;
	}
	master_lines(img, buf, cap, &n);
	return n < cap ? n : cap - 1;
}

/* ---- the Prometheus text format ---- */

#define M_MAX (SFMT_COUNTERS + 24)

struct mlist {
	struct mtr_sample s[M_MAX];
	size_t n;
};

static void counter_m(struct mlist *m, const char *name, const char *help,
		      const char *label, const char *value_of, uint64_t v)
{
	if (m->n < M_MAX)
		m->s[m->n++] = (struct mtr_sample){ .name = name,
						    .type = MTR_COUNTER,
						    .help = help,
						    .label = label,
						    .value_of = value_of,
						    .count = v };
}

static void gauge_m(struct mlist *m, const char *name, const char *help,
		    const char *label, const char *value_of, double v)
{
	if (m->n < M_MAX)
		m->s[m->n++] = (struct mtr_sample){ .name = name,
						    .type = MTR_GAUGE,
						    .help = help,
						    .label = label,
						    .value_of = value_of,
						    .gauge = v };
}

static const char *const ke_reasons[] = {
	[SFKE_REFUSED_TLS - SFKE_REFUSED_TLS] = "tls-handshake",
	[SFKE_REFUSED_ALPN - SFKE_REFUSED_TLS] = "alpn",
	[SFKE_REFUSED_MALFORMED - SFKE_REFUSED_TLS] = "malformed",
	[SFKE_REFUSED_NO_AEAD - SFKE_REFUSED_TLS] = "no-aead",
	[SFKE_REFUSED_NO_PROTOCOL - SFKE_REFUSED_TLS] = "no-protocol",
	[SFKE_REFUSED_TIMEOUT - SFKE_REFUSED_TLS] = "timeout",
	[SFKE_REFUSED_PER_SOURCE - SFKE_REFUSED_TLS] = "per-source",
	[SFKE_REFUSED_INTERNAL - SFKE_REFUSED_TLS] = "internal",
};

static void ke_metrics(const struct sfmt_image *img, struct mlist *m)
{
	counter_m(m, "sockclock_nts_ke_connections_total",
		  "NTS-KE connections handed over or accepted.", NULL, NULL,
		  counter(img, SFKE_CONNECTIONS));
	counter_m(m, "sockclock_nts_ke_exchanges_total",
		  "NTS-KE responses with keys and cookies.", NULL, NULL,
		  counter(img, SFKE_EXCHANGES));
	for (int i = SFKE_REFUSED_TLS; i < SFKE_COUNTERS_USED; i++)
		counter_m(m, "sockclock_nts_ke_refused_total",
			  "NTS-KE connections refused, by rule.", "reason",
			  ke_reasons[i - SFKE_REFUSED_TLS], counter(img, i));
	counter_m(m, "sockclock_nts_cookies_issued_total",
		  "NTS cookies issued in NTS-KE responses.", NULL, NULL,
		  counter(img, SFKE_COOKIES));
}

static void dgram_metrics(const struct sfmt_image *img,
			  const char *const *rules, struct mlist *m)
{
	counter_m(m, "sockclock_requests_received_total",
		  "Requests (datagrams) read.", NULL, NULL,
		  counter(img, SFMT_RECEIVED));
	counter_m(m, "sockclock_requests_answered_total",
		  "Replies sent, kiss-o'-death not counted.", NULL, NULL,
		  counter(img, SFMT_ANSWERED));
	counter_m(m, "sockclock_requests_dropped_total",
		  "Requests not answered, by rule.", "reason", "destination",
		  counter(img, SFMT_DROP_DESTINATION));
	counter_m(m, "sockclock_requests_dropped_total", NULL, "reason",
		  "not-allowed", counter(img, SFMT_DROP_NOT_ALLOWED));
	for (int i = SFMT_DROP_RULE; dgram_name(i, rules); i++)
		counter_m(m, "sockclock_requests_dropped_total", NULL, "reason",
			  dgram_name(i, rules), counter(img, i));
	counter_m(m, "sockclock_requests_rate_limited_total",
		  "Requests over their source's rate limit.", NULL, NULL,
		  counter(img, SFMT_RATE_LIMITED));
	counter_m(m, "sockclock_kiss_o_death_sent_total",
		  "Rate-limited requests answered with a kiss-o'-death.", NULL,
		  NULL, counter(img, SFMT_KOD));
	counter_m(m, "sockclock_interleaved_answered_total",
		  "Replies in interleaved mode (RFC 9769).", NULL, NULL,
		  counter(img, SFMT_INTERLEAVED));
	static const char *const kinds[SFMT_DELAY_KINDS] = { "warm", "cold" };
	for (int k = 0; k < SFMT_DELAY_KINDS; k++)
		counter_m(m, "sockclock_send_delay_samples_total",
			  "Replies whose send-path delay was measured.", "kind",
			  kinds[k],
			  __atomic_load_n(&img->delay[k].samples,
					  __ATOMIC_RELAXED));
	for (int k = 0; k < SFMT_DELAY_KINDS; k++) {
		int64_t ns = 0;
		unsigned kept = 0;
		if (sfmt_delay_min(img, (enum sfmt_delay_kind)k, &ns, &kept))
			gauge_m(m, "sockclock_send_delay_seconds",
				"Least send-path delay of the last replies "
				"measured.", "kind", kinds[k], (double)ns * 1e-9);
	}
	/* One series per daemon asked (--upstream=auto may ask both). */
	const struct sfmt_upstream *ups[2] = { &img->up, &img->tsd };
	static const char *const daemon[2] = { "chronyd", "timesyncd" };
	for (int i = 0; i < 2; i++)
		counter_m(m, "sockclock_upstream_refreshes_total",
			  "Queries of the upstream daemon answered.", "daemon",
			  daemon[i],
			  __atomic_load_n(&ups[i]->refreshes, __ATOMIC_RELAXED));
	for (int i = 0; i < 2; i++)
		counter_m(m, "sockclock_upstream_failures_total",
			  "Queries of the upstream daemon not answered.",
			  "daemon", daemon[i],
			  __atomic_load_n(&ups[i]->failures, __ATOMIC_RELAXED));
	if (!program_is(img, "sntp-udp"))
		return;
	counter_m(m, "sockclock_authenticated_answered_total",
		  "Replies authenticated with NTS or a symmetric key.", NULL,
		  NULL, counter(img, SFMT_AUTHENTICATED));
	counter_m(m, "sockclock_nts_naks_total",
		  "NTS NAKs sent (a cookie or authenticator refused).", NULL,
		  NULL, counter(img, SFMT_NTS_NAK));
	counter_m(m, "sockclock_nts_cookies_unknown_key_total",
		  "NTS cookies under a key id not kept (a key roll-out "
		  "broken?).", NULL, NULL, counter(img, SFMT_NTS_UNKNOWN_KEY));
}

size_t sfmt_prometheus(const struct sfmt_image *img, const char *const *rules,
		       int64_t now, char *buf, size_t cap)
{
	static struct mlist m;
	m.n = 0;
	char program[SFMT_PROGRAM_MAX];
	memcpy(program, img->h.program, sizeof program);
	program[sizeof program - 1] = 0;
	counter_m(&m, "sockclock_processes_started_total",
		  "Processes that served with this state file.", NULL, NULL,
		  counter(img, SFMT_PROCESSES));
	if (program_is(img, "nts-ke-tcp"))
		ke_metrics(img, &m);
	else
		dgram_metrics(img, rules, &m);
	struct sfmt_keyinfo key;
	char hex[KPRINT_HEX];
	if (sfmt_key_get(img, &key)) {
		kprint_hex(key.fingerprint, hex);
		gauge_m(&m, "sockclock_nts_key_age_seconds",
			"Seconds since the NTS cookie key in use became the "
			"current one.", NULL, NULL,
			/* In doubles: any stamp a file holds. */
			(double)now - (double)key.current_since);
		gauge_m(&m, "sockclock_nts_key_info",
			"The NTS cookie key in use, by its fingerprint "
			"(always 1).", "fingerprint", hex, 1);
	}
	struct sfmt_masterinfo mi;
	static const char *const role[SFMT_MASTERS] = { "new", "old" };
	char mhex[SFMT_MASTERS][KPRINT_HEX];
	if (sfmt_master_get(img, &mi))
		for (unsigned j = 0; j < mi.n; j++) {
			kprint_hex(mi.fingerprint[j], mhex[j]);
			if (m.n >= M_MAX)
				break;
			m.s[m.n++] = (struct mtr_sample){
				.name = "sockclock_nts_master_key_info",
				.type = MTR_GAUGE,
				.help = j ? NULL :
					"The NTS master secrets last read "
					"(--nts-master-key), by fingerprint and "
					"role: new seals, old only opens "
					"(always 1).",
				.label = "fingerprint",
				.value_of = mhex[j],
				.label2 = "role",
				.value_of2 = role[j],
				.gauge = 1
			};
		}
	/* Later samples of a metric carry no help of their own. */
	for (size_t i = 1; i < m.n; i++)
		if (!m.s[i].help)
			m.s[i].help = m.s[i - 1].help;
	return mtr_format(program, m.s, m.n, buf, cap);
}

bool sfmt_up_copy(const struct sfmt_upstream *r, uint32_t s,
		  struct sfmt_up_copy *out)
{
	memcpy(out->report, r->report, sizeof out->report);
	out->report_seq = r->report_seq;
	out->taken_ms = __atomic_load_n(&r->taken_ms, __ATOMIC_RELAXED);
	memcpy(out->source, r->source, sizeof out->source);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) != s)
		return false;
	out->source[sizeof out->source - 1] = 0;
	return true;
}
