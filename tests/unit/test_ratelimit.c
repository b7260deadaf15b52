/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/ratelimit.c: the token bucket (burst, refill at
 * the rate, fractional accumulation, the cap after idling), the KoD
 * interval, what counts as one source (IPv4 address, IPv6 /64, IPv4-
 * mapped IPv6 = IPv4), the disabled and non-IP cases, and a flood of a
 * million spoofed sources through the fixed table: memory stays put and
 * a well-behaved client is never refused. Every table test runs under
 * several hash seeds: no property may depend on where a source lands. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "check.h"
#include "proto/ratelimit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t seeds[] = { 0, 1, 0x9e3779b9u, 0xffffffffu };
static uint32_t cur_seed;

static void init(double rate, unsigned burst)
{
	struct rl_config c = { .rate = rate, .burst = burst };
	uint8_t key[RL_KEY_LEN] = { 0 };
	memcpy(key, &cur_seed, sizeof cur_seed);
	rl_init(&c, key);
}

static struct sockaddr_storage v4(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &s->sin_addr) != 1)
		abort();
	return ss;
}

static struct sockaddr_storage v6(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	if (inet_pton(AF_INET6, addr, &s->sin6_addr) != 1)
		abort();
	return ss;
}

/* One valid request: a KoD verdict is followed by the KoD itself. */
static enum rl_verdict chk(const struct sockaddr_storage *ss, int64_t now)
{
	enum rl_verdict v = rl_check((const struct sockaddr *)ss, now);
	if (v == RL_KOD)
		rl_kod_sent(now);
	return v;
}

static const char *vname(enum rl_verdict v)
{
	return v == RL_PASS ? "PASS" : v == RL_KOD ? "KOD" : v == RL_DROP ? "DROP" : "?";
}

#define CHECK_V(got, want, ...)                                              \
	do {                                                                 \
		enum rl_verdict check_v_ = (got), check_wv_ = (want);        \
		char check_vm_[256];                                         \
		snprintf(check_vm_, sizeof check_vm_, __VA_ARGS__);          \
		CHECK(check_v_ == check_wv_, "seed 0x%x: %s: got %s, want %s", \
		      cur_seed, check_vm_, vname(check_v_), vname(check_wv_)); \
	} while (0)

/* Sends n requests from ss at instant now; how many passed. */
static unsigned passes_at(const struct sockaddr_storage *ss, int64_t now,
			  unsigned n)
{
	unsigned p = 0;
	for (unsigned i = 0; i < n; i++)
		p += chk(ss, now) == RL_PASS;
	return p;
}

/* A source with a full bucket: `burst` passes at one instant, then a
 * refusal (first_refusal: RL_KOD, or RL_DROP within the KoD interval
 * of an earlier KoD), then silence. */
static void check_bucket(const struct sockaddr_storage *ss, int64_t now,
			 unsigned burst, enum rl_verdict first_refusal,
			 const char *what)
{
	unsigned i;
	for (i = 0; i < burst; i++)
		if (chk(ss, now) != RL_PASS)
			break;
	CHECK(i == burst, "seed 0x%x: %s: %u of a burst of %u passed", cur_seed,
	      what, i, burst);
	CHECK_V(chk(ss, now), first_refusal, "%s: request %u", what, burst + 1);
	for (i = 0; i < 5; i++)
		CHECK_V(chk(ss, now), RL_DROP, "%s: request %u", what, burst + 2 + i);
}

static void check_full_bucket(const struct sockaddr_storage *ss, int64_t now,
			      unsigned burst, const char *what)
{
	check_bucket(ss, now, burst, RL_KOD, what);
}

static void test_disabled_by_default(void)
{
	/* Before rl_init (the programs' TCP side never calls it): off. */
	CHECK(!rl_enabled(), "not enabled before rl_init");
	struct sockaddr_storage a = v4("192.0.2.1", 123);
	unsigned p = passes_at(&a, 1000, 1000);
	CHECK_EQ(p, 1000, "uninitialised: everything passes");
}

static void test_burst(void)
{
	const unsigned bursts[] = { 1, 2, 4, 32, 1000 };
	for (size_t i = 0; i < N(bursts); i++) {
		init(2, bursts[i]);
		CHECK(rl_enabled(), "enabled at rate 2");
		struct sockaddr_storage a = v4("198.51.100.7", 40000);
		char what[64];
		snprintf(what, sizeof what, "burst %u", bursts[i]);
		check_full_bucket(&a, 5000, bursts[i], what);
	}
	/* The port is not part of the source. */
	init(2, 3);
	struct sockaddr_storage p1 = v4("198.51.100.8", 1), p2 = v4("198.51.100.8", 2),
				p3 = v4("198.51.100.8", 65535);
	CHECK_V(chk(&p1, 100), RL_PASS, "port 1");
	CHECK_V(chk(&p2, 100), RL_PASS, "port 2");
	CHECK_V(chk(&p3, 100), RL_PASS, "port 65535");
	CHECK_V(chk(&p1, 100), RL_KOD, "4th request, any port");
}

static void test_refill(void)
{
	/* Rate 2/s: one token per 500 ms, accumulated in fractions over
	 * refused requests (steps of 125 ms add exactly 0.25). */
	init(2, 4);
	struct sockaddr_storage a = v4("203.0.113.9", 123);
	int64_t t = 10000;
	check_full_bucket(&a, t, 4, "rate 2 burst 4");
	CHECK_V(chk(&a, t + 125), RL_DROP, "+125 ms: 0.25 token");
	CHECK_V(chk(&a, t + 250), RL_DROP, "+250 ms: 0.5 token");
	CHECK_V(chk(&a, t + 375), RL_DROP, "+375 ms: 0.75 token");
	CHECK_V(chk(&a, t + 500), RL_PASS, "+500 ms: a whole token");
	CHECK_V(chk(&a, t + 500), RL_DROP, "+500 ms: spent again");
	/* Without intermediate requests: 499 ms is not enough, but the
	 * 499 ms are kept, 1 ms later the token is whole. */
	CHECK_V(chk(&a, t + 999), RL_DROP, "+999 ms: 0.998 token");
	CHECK_V(chk(&a, t + 1000), RL_PASS, "+1000 ms: 0.998 + 0.002");
	/* 2 s: four tokens, not five. */
	CHECK_EQ(passes_at(&a, t + 3000, 10), 4, "2 s later at rate 2");
	/* Rate 0.5/s: a token per 2 s. */
	init(0.5, 1);
	t = 1;
	CHECK_V(chk(&a, t), RL_PASS, "rate 0.5: first");
	CHECK_V(chk(&a, t), RL_KOD, "rate 0.5: second");
	CHECK_V(chk(&a, t + 1000), RL_DROP, "rate 0.5: 1 s on");
	CHECK_V(chk(&a, t + 1500), RL_DROP, "rate 0.5: 1.5 s on");
	CHECK_V(chk(&a, t + 2000), RL_PASS, "rate 0.5: 2 s on");
	CHECK_V(chk(&a, t + 2000), RL_DROP, "rate 0.5: 2 s on, again");
	/* Rate 1000/s: a token per ms. */
	init(1000, 10);
	t = 50;
	CHECK_EQ(passes_at(&a, t, 20), 10, "rate 1000 burst 10 at once");
	CHECK_EQ(passes_at(&a, t + 1, 5), 1, "1 ms later at rate 1000");
	CHECK_EQ(passes_at(&a, t + 6, 10), 5, "5 ms later at rate 1000");
	/* Sustained: 8 requests a second for 60 s at rate 2 burst 4 pass
	 * about 4 + 2 * 60 (the refill is exact in steps of 125 ms). */
	init(2, 4);
	unsigned p = 0;
	for (int64_t ms = 0; ms <= 60000; ms += 125)
		p += chk(&a, 100000 + ms) == RL_PASS;
	CHECK_EQ(p, 4 + 2 * 60, "8/s for 60 s at rate 2 burst 4");
}

static void test_cap(void)
{
	/* However long the source was idle, never more than burst. */
	const int64_t idles[] = { 500, 2500, 7999, 8000, 3600000, 86400000LL * 365,
				  (int64_t)1 << 50 };
	for (size_t i = 0; i < N(idles); i++) {
		init(2, 5);
		struct sockaddr_storage a = v4("192.0.2.200", 123);
		check_full_bucket(&a, 1000, 5, "before idling");
		char what[64];
		snprintf(what, sizeof what, "after %lld ms idle", (long long)idles[i]);
		/* 500 ms at rate 2 gives 1 token; from 2500 ms on it is full. */
		if (idles[i] < 2500) {
			CHECK_EQ(passes_at(&a, 1000 + idles[i], 10),
				 (unsigned)(idles[i] / 500), "%s", what);
		} else {
			check_bucket(&a, 1000 + idles[i], 5,
				     idles[i] < RL_KOD_INTERVAL_MS ? RL_DROP : RL_KOD,
				     what);
		}
	}
	/* Nor when a passing source keeps polling slowly: a client at one
	 * request per second for an hour still has only 5 at once. */
	init(2, 5);
	struct sockaddr_storage b = v4("192.0.2.201", 123);
	for (int64_t s = 1; s <= 3600; s++)
		if (chk(&b, s * 1000) != RL_PASS) {
			CHECK(0, "seed 0x%x: 1/s client refused at %lld s", cur_seed,
			      (long long)s);
			break;
		}
	check_full_bucket(&b, 3601000, 5, "slow poller after an hour");
}

static void test_kod_interval(void)
{
	/* Rate 0.1/s, burst 1: the bucket stays under one token for 10 s. */
	init(0.1, 1);
	struct sockaddr_storage a = v4("192.0.2.33", 123);
	CHECK_V(chk(&a, 1000), RL_PASS, "first");
	CHECK_V(chk(&a, 1001), RL_KOD, "second: KoD");
	CHECK_V(chk(&a, 1002), RL_DROP, "third");
	CHECK_V(chk(&a, 5000), RL_DROP, "4 s after the KoD");
	CHECK_V(chk(&a, 1001 + RL_KOD_INTERVAL_MS - 1), RL_DROP,
		"1 ms before the KoD interval");
	CHECK_V(chk(&a, 1001 + RL_KOD_INTERVAL_MS), RL_KOD,
		"the KoD interval after the last KoD");
	CHECK_V(chk(&a, 1001 + RL_KOD_INTERVAL_MS), RL_DROP, "right after");
	/* Passing in between does not reset the KoD clock. */
	struct sockaddr_storage b = v4("192.0.2.34", 123);
	/* A refused request that got no KoD (it was invalid, so
	 * silence) leaves the source's KoD due for the next valid one. */
	CHECK_V(chk(&b, 1000), RL_PASS, "b: first");
	CHECK_V(rl_check((const struct sockaddr *)&b, 1001), RL_KOD,
		"b: over the limit, invalid: KoD due but not sent");
	CHECK_V(chk(&b, 1002), RL_KOD, "b: the next valid request gets it");
	CHECK_V(chk(&b, 1003), RL_DROP, "b: then the interval runs");
	CHECK_V(chk(&a, 12000), RL_PASS, "11 s on: a token");
	CHECK_V(chk(&a, 12001), RL_DROP, "3 s after the 2nd KoD");
	CHECK_V(chk(&a, 1001 + 2 * RL_KOD_INTERVAL_MS), RL_KOD, "3rd KoD");
	/* Sustained flood from one source: 100 requests/s for 60 s at rate
	 * 2, burst 4. KoDs exactly every 8 s (on the first refusal once
	 * due), passes 4 + 2 * 60 (steps of 10 ms: 0.02 token, not exact in
	 * binary, hence +-1). */
	init(2, 4);
	unsigned pass = 0, kod = 0, drop = 0;
	int64_t last_kod = -1, bad_gap = 0;
	for (int64_t ms = 0; ms <= 60000; ms += 10) {
		enum rl_verdict v = chk(&a, 1000 + ms);
		pass += v == RL_PASS;
		drop += v == RL_DROP;
		if (v == RL_KOD) {
			kod++;
			if (last_kod >= 0 && ms - last_kod != RL_KOD_INTERVAL_MS &&
			    !bad_gap)
				bad_gap = ms - last_kod;
			last_kod = ms;
		}
	}
	CHECK(pass >= 123 && pass <= 125, "seed 0x%x: flood passes %u, want 124+-1",
	      cur_seed, pass);
	CHECK_EQ(kod, 8, "KoDs in 60 s (at 0, 8, ..., 56 s)");
	CHECK_EQ(bad_gap, 0, "gap between KoDs other than 8 s");
	CHECK_EQ(pass + kod + drop, 6001, "every request has a verdict");
}

static void test_sources(void)
{
	init(2, 2);
	int64_t t = 7000;
	/* IPv4: every address its own bucket, neighbours included. */
	const char *v4s[] = { "192.0.2.1", "192.0.2.2", "192.0.3.1", "10.0.0.1",
			      "0.0.0.1", "255.255.255.254" };
	struct sockaddr_storage a = v4(v4s[0], 123);
	check_full_bucket(&a, t, 2, "first IPv4");
	for (size_t i = 1; i < N(v4s); i++) {
		struct sockaddr_storage b = v4(v4s[i], 123);
		check_full_bucket(&b, t, 2, v4s[i]);
	}
	/* IPv4-mapped IPv6: the same source as the IPv4 address... */
	struct sockaddr_storage m = v6("::ffff:192.0.2.1", 123);
	CHECK_V(chk(&m, t), RL_DROP, "::ffff:192.0.2.1 after 192.0.2.1");
	/* ...both ways round, and the whole address counts (no /64). */
	struct sockaddr_storage m2 = v6("::ffff:192.0.2.77", 123),
				a2 = v4("192.0.2.77", 123),
				m3 = v6("::ffff:192.0.2.78", 123);
	CHECK_V(chk(&m2, t), RL_PASS, "::ffff:192.0.2.77 first");
	CHECK_V(chk(&m2, t), RL_PASS, "::ffff:192.0.2.77 second");
	CHECK_V(chk(&a2, t), RL_KOD, "192.0.2.77 after its mapped form");
	check_full_bucket(&m3, t, 2, "::ffff:192.0.2.78 (a mapped neighbour)");
	/* IPv6: one bucket per /64. */
	struct sockaddr_storage s1 = v6("2001:db8:1:2::1", 123),
				s2 = v6("2001:db8:1:2:ffff:ffff:ffff:ffff", 4000),
				s3 = v6("2001:db8:1:2:a:b:c:d", 5);
	CHECK_V(chk(&s1, t), RL_PASS, "2001:db8:1:2::1");
	CHECK_V(chk(&s2, t), RL_PASS, "2001:db8:1:2:ffff:ffff:ffff:ffff (same /64)");
	CHECK_V(chk(&s3, t), RL_KOD, "2001:db8:1:2:a:b:c:d (same /64)");
	CHECK_V(chk(&s1, t), RL_DROP, "2001:db8:1:2::1 again");
	const char *other64[] = { "2001:db8:1:3::1",
				  "2001:db8:1:1:ffff:ffff:ffff:ffff",
				  "3001:db8:1:2::1", "::1", "::2:0:0:0:1",
				  "::ffff:0:0:0:1", "64:ff9b::192.0.2.1" };
	for (size_t i = 0; i < N(other64); i++) {
		struct sockaddr_storage o = v6(other64[i], 123);
		check_full_bucket(&o, t, 2, other64[i]);
	}
	/* ::1 and ::2 are the same /64 (::/64); ::ffff:0:0:0:1 is not
	 * mapped (the ffff is in the wrong place), it is in ::/48's
	 * 0:0:0:ffff /64. */
	struct sockaddr_storage l2 = v6("::2", 123);
	CHECK_V(chk(&l2, t), RL_DROP, "::2 after ::1 (same /64)");
	/* The IPv4 address 0.0.0.0-like keys do not meet IPv6 ::/64. */
	struct sockaddr_storage z4 = v4("0.0.0.0", 123), z6 = v6("::", 123);
	CHECK_V(chk(&z6, t), RL_DROP, ":: is in ::/64 too");
	check_full_bucket(&z4, t, 2, "0.0.0.0 is not ::/64");
	/* A scope id does not make a link-local peer another source. */
	struct sockaddr_storage ll1 = v6("fe80::1", 123), ll2 = v6("fe80::2", 123);
	((struct sockaddr_in6 *)&ll2)->sin6_scope_id = 7;
	CHECK_V(chk(&ll1, t), RL_PASS, "fe80::1");
	CHECK_V(chk(&ll2, t), RL_PASS, "fe80::2 scope 7");
	CHECK_V(chk(&ll1, t), RL_KOD, "fe80::/64 spent");
}

static void test_disabled(void)
{
	init(0, 32);
	CHECK(!rl_enabled(), "rate 0: not enabled");
	struct sockaddr_storage a = v4("192.0.2.1", 123), b = v6("2001:db8::1", 123);
	unsigned p = 0;
	for (int64_t t = 1; t <= 10000; t++)
		p += (chk(&a, 5) == RL_PASS) + (chk(&b, t) == RL_PASS);
	CHECK_EQ(p, 20000, "rate 0: 20000 requests from two sources, all passed");
	/* Enabled again, then off again: rl_init replaces the whole state. */
	init(1, 1);
	CHECK(rl_enabled(), "rate 1: enabled");
	CHECK_V(chk(&a, 10), RL_PASS, "rate 1 burst 1: first");
	CHECK_V(chk(&a, 10), RL_KOD, "rate 1 burst 1: second");
	init(1, 1);
	CHECK_V(chk(&a, 10), RL_PASS, "rl_init forgets every source");
	init(0, 1);
	CHECK_V(chk(&a, 10), RL_PASS, "off again");
	CHECK_V(chk(&a, 10), RL_PASS, "off again, twice");
}

static void test_non_ip(void)
{
	init(1, 1);
	struct sockaddr_storage a = v4("192.0.2.1", 123);
	CHECK_V(chk(&a, 100), RL_PASS, "IPv4 first");
	CHECK_V(chk(&a, 100), RL_KOD, "IPv4 limited");
	for (int i = 0; i < 100; i++)
		if (rl_check(NULL, 100) != RL_PASS) {
			CHECK(0, "seed 0x%x: NULL peer refused at %d", cur_seed, i);
			break;
		}
	struct sockaddr_un un;
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	strcpy(un.sun_path, "/run/x");
	struct sockaddr_storage un_ss;
	memset(&un_ss, 0, sizeof un_ss);
	struct sockaddr_storage unspec = un_ss;
	memcpy(&un_ss, &un, sizeof un);
	unsigned p = 0;
	for (int i = 0; i < 100; i++)
		p += (rl_check((const struct sockaddr *)&un, 100) == RL_PASS) +
		     (chk(&unspec, 100) == RL_PASS) + (chk(&un_ss, 100) == RL_PASS);
	CHECK_EQ(p, 300, "AF_UNIX and AF_UNSPEC peers always pass");
	CHECK_V(chk(&a, 100), RL_DROP, "IPv4 still limited after them");
	/* A zero or negative clock is no special case for a source. */
	init(1, 1);
	CHECK_V(chk(&a, 0), RL_PASS, "clock 0: first");
	CHECK_V(chk(&a, 0), RL_KOD, "clock 0: second");
	CHECK_V(chk(&a, 0), RL_DROP, "clock 0: third");
}

static long maxrss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss; /* KiB on Linux */
}

/* A spoofed source for flood number i: IPv4 from 10.0.0.0/8 and
 * 172.16.0.0/12 and IPv6 /64s, all distinct. */
static struct sockaddr_storage spoofed(uint32_t i)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (i % 3) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)(1024 + i));
		s->sin_addr.s_addr = htonl(0x0a000000u | (i & 0x00ffffffu));
		if (i >= (1u << 24))
			s->sin_addr.s_addr = htonl(0xac100000u | (i & 0xfffffu));
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(123);
		uint8_t *a = s->sin6_addr.s6_addr;
		a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
		a[4] = (uint8_t)(i >> 24), a[5] = (uint8_t)(i >> 16);
		a[6] = (uint8_t)(i >> 8), a[7] = (uint8_t)i;
		a[15] = 1;
	}
	return ss;
}

static void test_flood(void)
{
	/* Defaults (RL_DEFAULT_RATE, RL_DEFAULT_BURST). A source L exhausted its bucket just
	 * before the flood; a well-behaved client W sends one request a
	 * second (8 at once every 64 s); a million spoofed sources, one request each, 1000 a
	 * second for 1000 s, go through the 4096-slot table in between.
	 * Memory cannot grow (the table is fixed); W is never refused
	 * (whether it is kept or evicted, a recycled source starts full);
	 * L, evicted by the flood, starts again with a full bucket. An
	 * abusive source A at 100 requests/s throughout stays limited: it
	 * is touched too often to be the stalest of its set. */
	init(RL_DEFAULT_RATE, RL_DEFAULT_BURST);
	struct sockaddr_storage l = v4("192.0.2.10", 123), w = v6("2001:db8:ffff::5", 123),
				ab = v4("192.0.2.66", 123);
	const int64_t t0 = 1000000;
	check_full_bucket(&l, t0 - 1, RL_DEFAULT_BURST, "L before the flood");
	long rss0 = maxrss_kib();
	unsigned w_refused = 0, spoof_pass = 0, ab_pass = 0, ab_sent = 0,
		 greedy_refused = 0, greedy_kod = 0;
	uint32_t i = 0;
	for (int64_t s = 0; s < 1000; s++) {
		int64_t base = t0 + s * 1000;
		if (chk(&w, base) != RL_PASS)
			w_refused++;
		/* And, like a client starting over, 8 at once every 64 s. */
		if (s % 64 == 0)
			w_refused += 8 - passes_at(&w, base, 8);
		for (int k = 0; k < 1000; k++, i++) {
			int64_t now = base + k;
			struct sockaddr_storage x = spoofed(i);
			spoof_pass += chk(&x, now) == RL_PASS;
			/* One in ten spoofed sources empties its bucket:
			 * the slots recycled are then drained ones, and a
			 * source put in one must not inherit its tokens. */
			if (k % 10 == 5) {
				greedy_refused += RL_DEFAULT_BURST - 1 -
						  passes_at(&x, now, RL_DEFAULT_BURST - 1);
				/* Its first refusal is a KoD: a recycled slot
				 * keeps nothing of the KoD it sent before. */
				greedy_kod += chk(&x, now) == RL_KOD;
			}
			if (k % 10 == 0) {
				ab_sent++;
				ab_pass += chk(&ab, now) == RL_PASS;
			}
		}
	}
	long rss1 = maxrss_kib();
	CHECK_EQ(i, 1000000, "spoofed sources sent");
	CHECK_EQ(w_refused, 0, "well-behaved 1/s client refused during the flood");
	/* Each spoofed source is new (or recycled): its first request is
	 * answered. That is the design: the table bounds memory, it does
	 * not tell a spoofed source from a new client. */
	CHECK_EQ(spoof_pass, 1000000, "first requests of new sources answered");
	CHECK_EQ(greedy_refused, 0,
		 "greedy spoofed sources: the rest of the burst (%u more) refused",
		 RL_DEFAULT_BURST - 1);
	CHECK_EQ(greedy_kod, 100000, "greedy spoofed sources: a KoD each");
	/* A: burst + rate * 1000 at most without evictions; a few evictions
	 * allowed (each gives a burst), far from the 100000 it sent. */
	CHECK(ab_pass >= RL_DEFAULT_RATE * 1000 &&
		      ab_pass <= RL_DEFAULT_BURST + RL_DEFAULT_RATE * 1000 +
					 10 * RL_DEFAULT_BURST,
	      "seed 0x%x: abusive source passed %u of %u", cur_seed, ab_pass, ab_sent);
	CHECK(rss1 - rss0 < 1024,
	      "seed 0x%x: max RSS grew by %ld KiB over a million sources (%ld -> %ld)",
	      cur_seed, rss1 - rss0, rss0, rss1);
	/* L: a million sources later it is long forgotten and starts full
	 * (still remembered it could only be refused, 1000 s of refill
	 * would have filled it anyway: either way, a full bucket). */
	int64_t t1 = t0 + 1000 * 1000;
	check_full_bucket(&l, t1, RL_DEFAULT_BURST, "L after the flood");
	fprintf(stderr, "seed 0x%x: flood: max RSS %ld -> %ld KiB, abusive source passed %u of %u\n",
		cur_seed, rss0, rss1, ab_pass, ab_sent);
}

static void test_flood_instant(void)
{
	/* The same flood at one instant (a burst of spoofed packets in one
	 * recvmmsg batch, the clock not moving): a limited source L is
	 * evicted and starts full again; still remembered, it would be
	 * refused. Which happened is recorded; a well-behaved client W
	 * that sent its first request in the middle of the flood is
	 * answered. */
	init(RL_DEFAULT_RATE, RL_DEFAULT_BURST);
	struct sockaddr_storage l = v4("192.0.2.11", 123), w = v4("192.0.2.12", 123);
	const int64_t t = 5000;
	check_full_bucket(&l, t, RL_DEFAULT_BURST, "L before");
	unsigned w_refused = 0;
	for (uint32_t i = 0; i < 1000000; i++) {
		struct sockaddr_storage x = spoofed(i);
		(void)chk(&x, t);
		if (i % 100000 == 50000 && chk(&w, t) != RL_PASS)
			w_refused++;
	}
	CHECK_EQ(w_refused, 0, "W (10 requests in the instant flood) refused");
	unsigned p = passes_at(&l, t, RL_DEFAULT_BURST + 1);
	CHECK(p == 0 || p == RL_DEFAULT_BURST,
	      "seed 0x%x: L after an instant flood: %u passes (0: remembered, %u: evicted)",
	      cur_seed, p, RL_DEFAULT_BURST);
	fprintf(stderr, "seed 0x%x: instant flood: limited source %s\n", cur_seed,
		p ? "evicted, started full" : "remembered, still limited");
}

int main(void)
{
	test_disabled_by_default();
	for (size_t s = 0; s < N(seeds); s++) {
		cur_seed = seeds[s];
		test_burst();
		test_refill();
		test_cap();
		test_kod_interval();
		test_sources();
		test_disabled();
		test_non_ip();
	}
	for (size_t s = 0; s < 2; s++) {
		cur_seed = seeds[s];
		test_flood();
		test_flood_instant();
	}
	return check_summary();
}
