/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/ntp.c: timestamp conversion across eras, the
 * short format, precision, request validation (every drop rule), the
 * reply builder fed chosen server states, the codec and --dump. NTP
 * seconds below were worked out apart from the code: Unix + 2208988800,
 * modulo 2^32. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/ntp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TS(s, f) ((uint64_t)(s) << 32 | (uint32_t)(f))

/* A small reproducible generator (xorshift64*), no libc rand state. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

static uint64_t from(time_t s, long ns)
{
	struct timespec ts = { .tv_sec = s, .tv_nsec = ns };
	return ntp_ts_from_timespec(&ts);
}

/* Unix seconds and their NTP seconds (era-relative). */
static const struct {
	time_t unix_s;
	uint32_t ntp_s;
	const char *what;
} instants[] = {
	{ -2208988800, 0x00000000, "1900-01-01 (era 0 starts)" },
	{ -2208988799, 0x00000001, "1900-01-01 00:00:01" },
	{ -2208988801, 0xffffffff, "1899-12-31 23:59:59 (era -1)" },
	{ 0, 0x83aa7e80, "1970-01-01" },
	{ -1, 0x83aa7e7f, "1969-12-31 23:59:59" },
	{ 2085978495, 0xffffffff, "2036-02-07 06:28:15 (last of era 0)" },
	{ 2085978496, 0x00000000, "2036-02-07 06:28:16 (era 1 starts)" },
	{ 2085978497, 0x00000001, "2036-02-07 06:28:17" },
	{ 2147483647, 0x03aa7e7f, "2038-01-19 03:14:07" },
	{ 2147483648, 0x03aa7e80, "2038-01-19 03:14:08" },
	{ 4294967296, 0x83aa7e80, "2106-02-07 06:28:16" },
	{ 1795362341, 0xeead8ca5, "2026-11-22 15:45:41" },
	{ 253402300799, 0x839ebfff, "9999-12-31 23:59:59" },
};

static void test_ts_seconds(void)
{
	for (size_t i = 0; i < N(instants); i++) {
		time_t u = instants[i].unix_s;
		uint64_t want = TS(instants[i].ntp_s, 0);
		CHECK_EQ(from(u, 0), want, "from_timespec %s", instants[i].what);
		/* Back again, read from a pivot on each side, near and
		 * up to almost half an era away. */
		const time_t offs[] = { 0,	    1,		-1,
					86400,	    -86400,	1000000000,
					-1000000000, 2147483647, -2147483647 };
		for (size_t k = 0; k < N(offs); k++) {
			struct timespec t = ntp_ts_to_timespec(want, u + offs[k]);
			CHECK(t.tv_sec == u && t.tv_nsec == 0,
			      "to_timespec %s pivot %+lld: got %lld.%09ld",
			      instants[i].what, (long long)offs[k],
			      (long long)t.tv_sec, t.tv_nsec);
		}
	}
}

static void test_ts_eras(void)
{
	struct timespec t;
	/* NTP 0 is 1900 or 2036: whichever is nearer the pivot. */
	t = ntp_ts_to_timespec(0, -2208988800 + 5);
	CHECK_EQ(t.tv_sec, -2208988800, "NTP 0 read in 1900");
	t = ntp_ts_to_timespec(0, 0);
	CHECK_EQ(t.tv_sec, 2085978496, "NTP 0 read in 1970 is 2036 (nearer)");
	t = ntp_ts_to_timespec(0, 1795362341);
	CHECK_EQ(t.tv_sec, 2085978496, "NTP 0 read in 2026 is 2036");
	t = ntp_ts_to_timespec(0, 2085978496 + 86400 * 365L);
	CHECK_EQ(t.tv_sec, 2085978496, "NTP 0 read in 2037 is 2036");
	/* Around the 2036 boundary: the last second of era 0 read just
	 * after it, the first of era 1 read just before it. */
	t = ntp_ts_to_timespec(TS(0xffffffff, 0), 2085978496 + 10);
	CHECK_EQ(t.tv_sec, 2085978495, "era 0's last second read in era 1");
	t = ntp_ts_to_timespec(TS(0, 0), 2085978496 - 10);
	CHECK_EQ(t.tv_sec, 2085978496, "era 1's first second read in era 0");
	t = ntp_ts_to_timespec(TS(1, 0x80000000), 2085978496 - 3600);
	CHECK(t.tv_sec == 2085978497 && t.tv_nsec == 500000000,
	      "NTP 1.5 read an hour before 2036: %lld.%09ld",
	      (long long)t.tv_sec, t.tv_nsec);
	/* 1970's NTP seconds name 2106 too. */
	t = ntp_ts_to_timespec(TS(0x83aa7e80, 0), 4294967296 - 1000);
	CHECK_EQ(t.tv_sec, 4294967296, "0x83aa7e80 read in 2106");
	t = ntp_ts_to_timespec(TS(0x83aa7e80, 0), 1000);
	CHECK_EQ(t.tv_sec, 0, "0x83aa7e80 read in 1970");
	/* 2038 read from 2026, the 32-bit time_t trap. */
	t = ntp_ts_to_timespec(TS(0x03aa7e80, 0), 1795362341);
	CHECK_EQ(t.tv_sec, 2147483648, "2038-01-19 03:14:08 read in 2026");
	/* The window is [pivot - 2^31, pivot + 2^31): its two ends. */
	time_t pivot = 1795362341;
	uint32_t pn = 0xeead8ca5;
	t = ntp_ts_to_timespec(TS(pn + 0x7fffffffu, 0), pivot);
	CHECK_EQ(t.tv_sec, pivot + 2147483647LL, "pivot + 2^31 - 1");
	t = ntp_ts_to_timespec(TS(pn + 0x80000000u, 0), pivot);
	CHECK_EQ(t.tv_sec, pivot - 2147483648LL, "pivot - 2^31");
	/* Random instants across many eras, pivot within half an era. */
	int broken = 0;
	for (int i = 0; i < 100000 && !broken; i++) {
		time_t u = (time_t)(rng() % (40ULL << 32)) - (20LL << 32);
		long ns = (long)(rng() % 1000000000u);
		time_t piv = u + (time_t)(int32_t)(uint32_t)rng();
		if (piv - u == -2147483648LL)
			piv++;
		t = ntp_ts_to_timespec(from(u, ns), piv);
		broken = t.tv_sec != u || t.tv_nsec != ns;
		if (broken)
			CHECK(0, "round trip %lld.%09ld pivot %lld: got %lld.%09ld",
			      (long long)u, ns, (long long)piv,
			      (long long)t.tv_sec, t.tv_nsec);
	}
	CHECK(!broken, "100000 random round trips across 40 eras");
}

static void test_ts_fraction(void)
{
	/* Exact fractions and rounding to nearest, by hand: f = ns * 2^32 / 1e9. */
	static const struct {
		long ns;
		uint32_t frac;
	} cases[] = {
		{ 0, 0 },
		{ 1, 4 },		/* 4.295 */
		{ 2, 9 },		/* 8.590 */
		{ 3, 13 },		/* 12.885 */
		{ 250000000, 0x40000000 },
		{ 500000000, 0x80000000 },
		{ 750000000, 0xc0000000 },
		{ 123456789, 0x1f9add37 },	/* 530242871.5 - 0.0... */
		{ 999999999, 0xfffffffc },	/* 4294967291.705 */
	};
	for (size_t i = 0; i < N(cases); i++) {
		CHECK_EQ(from(1795362341, cases[i].ns), TS(0xeead8ca5, cases[i].frac),
			 "fraction of %ld ns", cases[i].ns);
		struct timespec t =
			ntp_ts_to_timespec(TS(0xeead8ca5, cases[i].frac), 1795362341);
		CHECK(t.tv_sec == 1795362341 && t.tv_nsec == cases[i].ns,
		      "back from fraction 0x%08x: %lld.%09ld", cases[i].frac,
		      (long long)t.tv_sec, t.tv_nsec);
	}
	/* NTP fractions to ns: rounded to nearest, carrying into the second. */
	static const struct {
		uint32_t frac;
		long ns;
		int carry;
	} back[] = {
		{ 1, 0, 0 },		/* 0.233 ns */
		{ 2, 0, 0 },		/* 0.466 */
		{ 3, 1, 0 },		/* 0.698 */
		{ 0x80000000, 500000000, 0 },
		{ 0xfffffffd, 999999999, 0 },	/* 999999999.302 */
		{ 0xfffffffe, 1000000000 - 0, 1 }, /* 999999999.534: next second */
		{ 0xffffffff, 0, 1 },	/* 999999999.767 */
	};
	for (size_t i = 0; i < N(back); i++) {
		struct timespec t =
			ntp_ts_to_timespec(TS(0xffffffff, back[i].frac), 2085978495);
		long want_ns = back[i].carry ? 0 : back[i].ns;
		time_t want_s = 2085978495 + back[i].carry;
		CHECK(t.tv_sec == want_s && t.tv_nsec == want_ns,
		      "fraction 0x%08x at the 2036 edge: got %lld.%09ld, want %lld.%09ld",
		      back[i].frac, (long long)t.tv_sec, t.tv_nsec,
		      (long long)want_s, want_ns);
	}
	/* Nanoseconds survive the round trip exactly: a stride over the
	 * whole second, both ends, and random values. */
	long bad = -1;
	for (long ns = 0; ns < 1000000000 && bad < 0; ns += 997) {
		struct timespec t = ntp_ts_to_timespec(from(2085978495, ns), 2085978495);
		if (t.tv_sec != 2085978495 || t.tv_nsec != ns)
			bad = ns;
	}
	for (long ns = 999999000; ns < 1000000000 && bad < 0; ns++) {
		struct timespec t = ntp_ts_to_timespec(from(-5, ns), 0);
		if (t.tv_sec != -5 || t.tv_nsec != ns)
			bad = ns;
	}
	for (int i = 0; i < 200000 && bad < 0; i++) {
		long ns = (long)(rng() % 1000000000u);
		struct timespec t = ntp_ts_to_timespec(from(1795362341, ns), 1795362341);
		if (t.tv_sec != 1795362341 || t.tv_nsec != ns)
			bad = ns;
	}
	CHECK(bad < 0, "nanoseconds round trip broken at %ld ns", bad);
	/* And the fraction is monotonic in the nanoseconds. */
	uint64_t prev = from(0, 0);
	bool mono = true;
	for (long ns = 1; ns < 100000; ns++) {
		uint64_t cur = from(0, ns);
		mono = mono && cur > prev;
		prev = cur;
	}
	CHECK(mono, "fraction strictly increasing with ns");
}

static void test_short(void)
{
	static const struct {
		double s;
		uint32_t want;
	} cases[] = {
		{ 0.0, 0 },
		{ -1.0, 0 },
		{ -0.0, 0 },
		{ 1.0, 0x00010000 },
		{ 0.5, 0x00008000 },
		{ 1.5, 0x00018000 },
		{ 1.0 / 65536, 1 },
		{ 1.5 / 65536, 2 },	/* rounded up: an error bound */
		{ 1e-12, 1 },
		{ 0.001, 66 },		/* 65.536 */
		{ 65535.0, 0xffff0000 },
		{ 65535.5, 0xffff8000 },
		{ 65535.99998474121, 0xffffffff }, /* exactly 0xffffffff/65536 */
		{ 65535.999995, 0xffffffff },	/* just above: rounds up past it */
		{ 65536.0, 0xffffffff },
		{ 1e9, 0xffffffff },
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_EQ(ntp_short_from_seconds(cases[i].s), cases[i].want,
			 "ntp_short_from_seconds(%.17g)", cases[i].s);
	CHECK_EQ(ntp_short_from_seconds(NAN), 0, "short from NaN");
	CHECK_EQ(ntp_short_from_seconds(INFINITY), 0xffffffff, "short from +inf");
	CHECK(ntp_short_to_seconds(0) == 0.0, "short 0 -> 0 s");
	CHECK(ntp_short_to_seconds(0x00010000) == 1.0, "short 1.0");
	CHECK(ntp_short_to_seconds(0x00018000) == 1.5, "short 1.5");
	CHECK(ntp_short_to_seconds(1) == 1.0 / 65536, "short 2^-16");
	CHECK(ntp_short_to_seconds(0xffffffff) == 65535.0 + 65535.0 / 65536,
	      "short max");
	uint32_t bad = 0;
	for (uint32_t v = 1; v < 0x00100000 && !bad; v += 7)
		if (ntp_short_from_seconds(ntp_short_to_seconds(v)) != v)
			bad = v;
	bad = ntp_short_from_seconds(ntp_short_to_seconds(0xfffffffe)) != 0xfffffffe
		      ? 0xfffffffe : bad;
	CHECK(bad == 0, "short round trip broken at 0x%08x", bad);
}

static void test_precision(void)
{
	/* The smallest p with 2^p s >= nsec ns, between -30 and 0. */
	static const struct {
		long ns;
		int p;
	} cases[] = {
		{ 0, -30 },	  { 1, -29 },	  /* 2^-30 s = 0.93 ns */
		{ 2, -28 },	  /* 2^-29 = 1.86 ns */
		{ 20, -25 },	  /* 2^-26 = 14.9, 2^-25 = 29.8 ns */
		{ 953, -20 },	  /* 2^-20 = 953.67 ns */
		{ 954, -19 },	  { 1000, -19 }, { 1907, -19 }, { 1908, -18 },
		{ 1000000, -9 },  /* 2^-10 = 976.6 us, 2^-9 = 1.95 ms */
		{ 500000000, -1 }, { 500000001, 0 }, { 1000000000, 0 },
		{ 2000000000, 0 },
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_EQ(ntp_precision_from_ns(cases[i].ns), cases[i].p,
			 "ntp_precision_from_ns(%ld)", cases[i].ns);
}

/* A request of len bytes (heap, exactly len: ASan sees any read past). */
static enum ntp_verdict check_req(unsigned li, unsigned vn, unsigned mode,
				  size_t len, int port, bool bad)
{
	uint8_t *w = malloc(len ? len : 1);
	if (!w)
		abort();
	memset(w, 0, len ? len : 1);
	if (len > 0)
		w[0] = (uint8_t)(li << 6 | vn << 3 | mode);
	for (size_t i = 1; i < len; i++)
		w[i] = (uint8_t)(i * 37);
	enum ntp_verdict v = ntp_request_check(w, len, port, bad);
	free(w);
	return v;
}

static void test_request_check(void)
{
	/* Accepted: modes 1 and 3, versions 1-4, any LI, lengths 48, 52,
	 * 68, 1024, any port but 0 (123 included), unknown port (-1). */
	const size_t ok_len[] = { 48, 52, 68, 1024 };
	const int ok_port[] = { 123, 1, 1023, 1024, 40000, 65535, -1 };
	for (unsigned vn = 1; vn <= 4; vn++)
		for (unsigned mode = 1; mode <= 3; mode += 2)
			for (size_t l = 0; l < N(ok_len); l++)
				for (size_t p = 0; p < N(ok_port); p++)
					CHECK_EQ(check_req(0, vn, mode, ok_len[l],
							   ok_port[p], false),
						 NTP_OK,
						 "v%u mode %u len %zu port %d", vn,
						 mode, ok_len[l], ok_port[p]);
	for (unsigned li = 0; li < 4; li++)
		CHECK_EQ(check_req(li, 4, 3, 48, 40000, false), NTP_OK,
			 "LI %u in a request does not matter", li);
	/* NTPv1 mode 0 is a client, except from port 123. */
	CHECK_EQ(check_req(0, 1, 0, 48, 40000, false), NTP_OK, "v1 mode 0 from 40000");
	CHECK_EQ(check_req(0, 1, 0, 48, 1023, false), NTP_OK, "v1 mode 0 from 1023");
	CHECK_EQ(check_req(0, 1, 0, 48, -1, false), NTP_OK, "v1 mode 0 by hand");
	CHECK_EQ(check_req(0, 1, 0, 48, 123, false), NTP_DROP_MODE,
		 "v1 mode 0 from port 123");
	for (unsigned vn = 2; vn <= 4; vn++)
		CHECK_EQ(check_req(0, vn, 0, 48, 40000, false), NTP_DROP_MODE,
			 "v%u mode 0", vn);
	/* Modes 2, 4, 5, 6, 7 dropped, every version, any port. */
	const unsigned bad_modes[] = { 2, 4, 5, 6, 7 };
	for (unsigned vn = 1; vn <= 4; vn++)
		for (size_t m = 0; m < N(bad_modes); m++) {
			CHECK_EQ(check_req(0, vn, bad_modes[m], 48, 40000, false),
				 NTP_DROP_MODE, "v%u mode %u", vn, bad_modes[m]);
			CHECK_EQ(check_req(0, vn, bad_modes[m], 48, 123, false),
				 NTP_DROP_MODE, "v%u mode %u from 123", vn,
				 bad_modes[m]);
		}
	/* Versions 0 and 5-7. */
	const unsigned bad_vn[] = { 0, 5, 6, 7 };
	for (size_t v = 0; v < N(bad_vn); v++)
		for (unsigned mode = 0; mode < 8; mode++)
			CHECK_EQ(check_req(0, bad_vn[v], mode, 48, 40000, false),
				 NTP_DROP_VERSION, "version %u mode %u",
				 bad_vn[v], mode);
	/* Lengths: under 48, or not a multiple of 4. */
	const size_t bad_len[] = { 0, 1, 4, 44, 47, 49, 50, 51, 53, 1023, 1025 };
	for (size_t l = 0; l < N(bad_len); l++)
		CHECK_EQ(check_req(0, 4, 3, bad_len[l], 40000, false),
			 NTP_DROP_LENGTH, "length %zu", bad_len[l]);
	/* Sources: port 0, or a bad address, whatever the packet. */
	CHECK_EQ(check_req(0, 4, 3, 48, 0, false), NTP_DROP_SOURCE, "port 0");
	CHECK_EQ(check_req(0, 4, 3, 48, 40000, true), NTP_DROP_SOURCE,
		 "bad source address");
	CHECK_EQ(check_req(0, 4, 3, 48, 123, true), NTP_DROP_SOURCE,
		 "bad source address, port 123");
	CHECK_EQ(check_req(0, 1, 0, 48, 0, false), NTP_DROP_SOURCE,
		 "v1 mode 0 from port 0");
	CHECK(check_req(0, 4, 3, 47, 0, false) != NTP_OK, "short from port 0");
	CHECK(check_req(0, 4, 4, 48, 40000, true) != NTP_OK, "mode 4, bad source");
	/* Every verdict has a name. */
	for (int v = NTP_OK; v <= NTP_DROP_SOURCE; v++)
		CHECK(ntp_verdict_name((enum ntp_verdict)v) &&
			      *ntp_verdict_name((enum ntp_verdict)v),
		      "verdict %d named", v);
	CHECK(strcmp(ntp_verdict_name(NTP_OK), ntp_verdict_name(NTP_DROP_MODE)),
	      "verdict names differ");
}

static struct ntp_packet request(unsigned vn, unsigned mode, int poll,
				 uint64_t xmt)
{
	struct ntp_packet p = { .leap = 0, .version = (uint8_t)vn,
				.mode = (uint8_t)mode, .stratum = 0,
				.poll = (int8_t)poll, .precision = -20,
				.rootdelay = 0x1234, .rootdisp = 0x5678,
				.refid = 0x41424344, .reftime = TS(5, 6),
				.org = TS(7, 8), .rec = TS(9, 10), .xmt = xmt };
	return p;
}

static void test_reply_sync(void)
{
	const struct {
		enum ntp_leap leap;
		uint8_t stratum;
	} states[] = { { NTP_LEAP_NONE, 1 },
		       { NTP_LEAP_INSERT, 2 },
		       { NTP_LEAP_DELETE, 15 } };
	const uint64_t xmts[] = { 0,
				  1,
				  0xffffffffffffffffu,
				  0x8000000000000000u,
				  0xdeadbeefcafebabeu,
				  0x00000000ffffffffu,
				  0xa5a5a5a55a5a5a5au };
	const struct timespec rxs[] = {
		{ 1795362341, 123456789 }, { 1795362341, 0 },
		{ 2085978495, 999999999 }, { 2147483648, 500000000 },
		{ 4294967296, 1 },	   { 0, 999999999 },
	};
	for (size_t s = 0; s < N(states); s++)
		for (size_t x = 0; x < N(xmts); x++)
			for (size_t r = 0; r < N(rxs); r++) {
				struct ntp_server_state st = {
					.synchronized = true,
					.leap = states[s].leap,
					.stratum = states[s].stratum,
					.precision = -23,
					.rootdelay = 0x00000123,
					.rootdisp = 0x00000456,
					.refid = 0x7f7f0101,
				};
				unsigned vn = 1 + (unsigned)(x % 4);
				unsigned mode = r % 2 ? 1 : 3;
				int poll = (int)x * 3 - 6;
				struct ntp_packet req = request(vn, mode, poll, xmts[x]);
				struct ntp_packet rep;
				memset(&rep, 0xee, sizeof rep);
				ntp_reply_build(&req, &st, &rxs[r], &rep);
				const char *c = "sync reply";
				CHECK_EQ(rep.leap, states[s].leap, "%s leap", c);
				CHECK_EQ(rep.version, vn, "%s version", c);
				CHECK_EQ(rep.mode, mode == 1 ? 2 : 4, "%s mode for %u", c, mode);
				CHECK_EQ(rep.stratum, states[s].stratum, "%s stratum", c);
				CHECK_EQ(rep.poll, poll, "%s poll", c);
				CHECK_EQ(rep.precision, -23, "%s precision", c);
				CHECK_EQ(rep.rootdelay, 0x123, "%s root delay", c);
				CHECK_EQ(rep.rootdisp, 0x456, "%s root dispersion", c);
				CHECK_EQ(rep.refid, 0x7f7f0101, "%s refid", c);
				CHECK_EQ(rep.org, xmts[x], "%s origin bit for bit", c);
				CHECK_EQ(rep.rec,
					 from(rxs[r].tv_sec, rxs[r].tv_nsec) | 1,
					 "%s receive, lowest bit 1", c);
				CHECK_EQ(rep.xmt, 0, "%s transmit left for stamping", c);
				/* Reference time: set, and not after the receive
				 * time (compared as instants, across eras). */
				CHECK(rep.reftime != 0,
				      "%s: reference time set (rx %lld.%09ld)", c,
				      (long long)rxs[r].tv_sec, rxs[r].tv_nsec);
				struct timespec ref =
					ntp_ts_to_timespec(rep.reftime, rxs[r].tv_sec);
				CHECK(ref.tv_sec < rxs[r].tv_sec ||
					      (ref.tv_sec == rxs[r].tv_sec &&
					       ref.tv_nsec <= rxs[r].tv_nsec),
				      "%s: reference %lld.%09ld after receive %lld.%09ld",
				      c, (long long)ref.tv_sec, ref.tv_nsec,
				      (long long)rxs[r].tv_sec, rxs[r].tv_nsec);
				CHECK(rxs[r].tv_sec - ref.tv_sec < 86400,
				      "%s: reference time within a day of receive", c);
			}
	/* NTPv1 mode 0 request: answered as a server, mode 4. */
	struct ntp_server_state st = { .synchronized = true, .stratum = 3 };
	struct ntp_packet req = request(1, 0, 4, TS(1, 2)), rep;
	struct timespec rx = { 1795362341, 0 };
	ntp_reply_build(&req, &st, &rx, &rep);
	CHECK(rep.mode == 4 && rep.version == 1, "v1 mode 0 -> v1 mode 4");
}

static void test_reply_era_edge(void)
{
	/* The second at which NTP seconds wrap to 0: a synchronised
	 * reference time must still be non-zero (0 means "never"). */
	struct ntp_server_state st = { .synchronized = true, .stratum = 2,
				       .refid = 0x01020304 };
	struct timespec rx = { 2085978496, 500000000 };
	struct ntp_packet req = request(4, 3, 6, TS(0xfffffffe, 1)), rep;
	ntp_reply_build(&req, &st, &rx, &rep);
	CHECK_EQ(rep.rec, TS(0, 0x80000001), "receive at the 2036 wrap");
	CHECK(rep.reftime != 0,
	      "reference time non-zero at 2036-02-07T06:28:16.5Z (got 0x%016llx)",
	      (unsigned long long)rep.reftime);
	struct timespec ref = ntp_ts_to_timespec(rep.reftime, rx.tv_sec);
	CHECK(ref.tv_sec <= rx.tv_sec && rx.tv_sec - ref.tv_sec < 86400,
	      "reference time at the wrap: %lld", (long long)ref.tv_sec);
}

static void test_reply_unsync(void)
{
	/* Whatever the state says besides, an unsynchronised server sends
	 * LI 3, stratum 0, refid 0, reference time 0, 1 s delay/dispersion. */
	const enum ntp_leap leaps[] = { NTP_LEAP_NONE, NTP_LEAP_INSERT,
					NTP_LEAP_DELETE, NTP_LEAP_UNSYNC };
	for (size_t i = 0; i < N(leaps); i++) {
		struct ntp_server_state st = {
			.synchronized = false, .leap = leaps[i], .stratum = 15,
			.precision = -18, .rootdelay = 5, .rootdisp = 0x20000,
			.refid = 0x4c4f434c,
		};
		for (unsigned mode = 1; mode <= 3; mode += 2) {
			struct ntp_packet req =
				request(2 + (unsigned)i % 3, mode, -3, 0x0123456789abcdefu);
			struct ntp_packet rep;
			struct timespec rx = { 2147483648, 250000000 };
			memset(&rep, 0xee, sizeof rep);
			ntp_reply_build(&req, &st, &rx, &rep);
			CHECK_EQ(rep.leap, 3, "unsync LI (leap %d)", leaps[i]);
			CHECK_EQ(rep.stratum, 0, "unsync stratum");
			CHECK_EQ(rep.refid, 0, "unsync refid");
			CHECK_EQ(rep.reftime, 0, "unsync reference time");
			CHECK_EQ(rep.rootdelay, 0x00010000, "unsync root delay 1 s");
			CHECK_EQ(rep.rootdisp, 0x00010000, "unsync root dispersion 1 s");
			CHECK_EQ(rep.precision, -18, "unsync precision");
			CHECK_EQ(rep.version, 2 + i % 3, "unsync version copied");
			CHECK_EQ(rep.mode, mode == 1 ? 2 : 4, "unsync mode");
			CHECK_EQ(rep.poll, -3, "unsync poll copied");
			CHECK_EQ(rep.org, 0x0123456789abcdefu, "unsync origin");
			CHECK_EQ(rep.rec, TS(0x03aa7e80, 0x40000001), "unsync receive");
			CHECK_EQ(rep.xmt, 0, "unsync transmit");
		}
	}
}

static void test_codec(void)
{
	/* A packet laid out by hand (RFC 5905 figure 8). */
	struct ntp_packet p = {
		.leap = 3, .version = 4, .mode = 4, .stratum = 2, .poll = -6,
		.precision = -20, .rootdelay = 0x00010203, .rootdisp = 0x04050607,
		.refid = 0xc0000201, .reftime = 0x1011121314151617u,
		.org = 0x2021222324252627u, .rec = 0x3031323334353637u,
		.xmt = 0xf0f1f2f3f4f5f6f7u,
	};
	static const uint8_t want[48] = {
		0xe4, 0x02, 0xfa, 0xec, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
		0x06, 0x07, 0xc0, 0x00, 0x02, 0x01, 0x10, 0x11, 0x12, 0x13,
		0x14, 0x15, 0x16, 0x17, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
		0x26, 0x27, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
		0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	};
	uint8_t w[48];
	memset(w, 0x55, sizeof w);
	ntp_encode(&p, w);
	CHECK(memcmp(w, want, 48) == 0, "encode: wire layout");
	for (int i = 0; i < 48; i++)
		if (w[i] != want[i]) {
			CHECK(0, "encode byte %d: 0x%02x, want 0x%02x", i, w[i], want[i]);
			break;
		}
	struct ntp_packet d;
	memset(&d, 0, sizeof d);
	ntp_decode(want, &d);
	CHECK(d.leap == 3 && d.version == 4 && d.mode == 4 && d.stratum == 2 &&
		      d.poll == -6 && d.precision == -20 &&
		      d.rootdelay == 0x00010203 && d.rootdisp == 0x04050607 &&
		      d.refid == 0xc0000201 && d.reftime == p.reftime &&
		      d.org == p.org && d.rec == p.rec && d.xmt == p.xmt,
	      "decode: every field");
	/* Random wire bytes survive decode then encode. */
	int bad = -1;
	for (int i = 0; i < 20000 && bad < 0; i++) {
		uint8_t a[48], b[48];
		for (int k = 0; k < 48; k++)
			a[k] = (uint8_t)rng();
		ntp_decode(a, &d);
		ntp_encode(&d, b);
		if (memcmp(a, b, 48))
			bad = i;
		struct ntp_packet e;
		ntp_decode(b, &e);
		if (memcmp(&d.leap, &e.leap, 6) || d.rootdelay != e.rootdelay ||
		    d.rootdisp != e.rootdisp || d.refid != e.refid ||
		    d.reftime != e.reftime || d.org != e.org || d.rec != e.rec ||
		    d.xmt != e.xmt)
			bad = i;
	}
	CHECK(bad < 0, "decode/encode round trip broken at sample %d", bad);
	/* A client request as ntp_client_request makes it. */
	struct timespec now = { 1795362341, 500000000 };
	ntp_client_request(&now, w);
	CHECK(w[0] == 0x23, "client request byte 0: 0x%02x", w[0]);
	ntp_decode(w, &d);
	CHECK_EQ(d.xmt, TS(0xeead8ca5, 0x80000000), "client request transmit");
	CHECK_EQ(ntp_request_check(w, 48, 40000, false), NTP_OK,
		 "our own client request is accepted");
}

static void test_stamp(void)
{
	uint8_t w[48], before[48];
	for (int i = 0; i < 48; i++)
		w[i] = before[i] = (uint8_t)(0xa0 + i);
	struct timespec tx = { 1795362341, 500000000 };
	ntp_reply_stamp(w, &tx);
	CHECK(memcmp(w, before, 40) == 0, "stamp leaves bytes 0-39 alone");
	static const uint8_t want[8] = { 0xee, 0xad, 0x8c, 0xa5,
					 0x80, 0x00, 0x00, 0x00 };
	CHECK(memcmp(w + 40, want, 8) == 0,
	      "stamp bytes 40-47: %02x%02x%02x%02x.%02x%02x%02x%02x", w[40],
	      w[41], w[42], w[43], w[44], w[45], w[46], w[47]);
	tx = (struct timespec){ 2085978496, 0 };
	ntp_reply_stamp(w, &tx);
	CHECK(memcmp(w, before, 40) == 0, "second stamp leaves 0-39 alone");
	CHECK(memcmp(w + 40, "\0\0\0\0\0\0\0\0", 8) == 0, "stamp at the 2036 wrap");
	/* In a 48-byte heap buffer: nothing written past the end (ASan). */
	uint8_t *h = malloc(48);
	if (!h)
		abort();
	memset(h, 0, 48);
	tx = (struct timespec){ 2147483648, 999999999 };
	ntp_reply_stamp(h, &tx);
	CHECK(h[40] == 0x03 && h[41] == 0xaa && h[42] == 0x7e && h[43] == 0x80 &&
		      h[44] == 0xff && h[45] == 0xff && h[46] == 0xff && h[47] == 0xfc,
	      "stamp in 2038");
	free(h);
}

/* Interleaved mode: which requests may be, and what changes in the
 * reply; transmit timestamps given in NTP format lose their lowest bit. */
static void test_xleave(void)
{
	struct ntp_packet q = request(4, 3, 6, TS(0xeead8ca5, 0x10));
	q.org = TS(0xeead8ca4, 0x12345679);
	q.rec = TS(0xeead8ca4, 0x22222222);
	CHECK(ntp_xleave_candidate(&q), "v4 client, origin odd: a candidate");
	struct ntp_packet c = q;
	c.org &= ~1ull;
	CHECK(!ntp_xleave_candidate(&c), "origin even (a transmit time): basic");
	c = q;
	c.org = 0;
	CHECK(!ntp_xleave_candidate(&c), "origin zero: basic");
	c = q;
	c.version = 3;
	CHECK(!ntp_xleave_candidate(&c), "v3: basic");
	c = q;
	c.mode = NTP_MODE_SYMMETRIC_ACTIVE;
	CHECK(!ntp_xleave_candidate(&c), "symmetric active: basic");
	c = q;
	c.rec = c.xmt;
	CHECK(!ntp_xleave_candidate(&c), "receive = transmit: basic");

	struct ntp_server_state st = { .synchronized = true, .stratum = 2 };
	struct timespec rx = { 1795362341, 250000000 };
	struct ntp_packet r;
	ntp_reply_build(&q, &st, &rx, &r);
	CHECK_EQ(r.org, q.xmt, "basic: origin = the request's transmit");
	ntp_reply_interleave(&q, &r);
	CHECK_EQ(r.org, q.rec, "interleaved: origin = the request's receive");
	CHECK_EQ(r.rec, TS(0xeead8ca5, 0x40000001), "receive: this request's");
	uint8_t w[48] = { 0 };
	ntp_reply_stamp_ntp(w, TS(0xeead8ca4, 0x33333333));
	ntp_decode(w, &r);
	CHECK_EQ(r.xmt, TS(0xeead8ca4, 0x33333332), "transmit: lowest bit 0");
	struct timespec tx = { 1795362341, 1 }; /* 4.29 units: 4 */
	ntp_reply_stamp(w, &tx);
	ntp_decode(w, &r);
	CHECK_EQ(r.xmt, TS(0xeead8ca5, 4), "a clock read, lowest bit 0");
}

static void test_describe(void)
{
	static const char *const fields[] = {
		"leap",		  "version",	     "mode",
		"stratum",	  "poll",	     "precision",
		"root_delay",	  "root_dispersion", "reference_id",
		"reference_time", "origin",	     "receive",
		"transmit",
	};
	struct ntp_packet p = {
		.leap = 0, .version = 4, .mode = 4, .stratum = 2, .poll = 6,
		.precision = -23, .rootdelay = 0x00008000, .rootdisp = 0x00010000,
		.refid = 0xc0000201, .reftime = TS(0xeead8ca5, 0),
		.org = 0, .rec = TS(0xeead8ca5, 0x80000000),
		.xmt = TS(0x03aa7e80, 0x40000000),
	};
	char buf[2048];
	size_t n = ntp_describe(&p, 1795362341, buf, sizeof buf);
	CHECK(n == strlen(buf) && n > 0 && buf[n - 1] == '\n',
	      "describe: length %zu, ends in a newline", n);
	/* One "field: value" line per field, in wire order. */
	char *save = NULL, *line = strtok_r(buf, "\n", &save);
	char values[N(fields)][200];
	size_t i = 0;
	for (; line; line = strtok_r(NULL, "\n", &save), i++) {
		if (i >= N(fields)) {
			CHECK(0, "describe: extra line '%s'", line);
			break;
		}
		size_t k = strlen(fields[i]);
		CHECK(strncmp(line, fields[i], k) == 0 && line[k] == ':' &&
			      line[k + 1] == ' ' && line[k + 2] && line[k + 2] != ' ',
		      "describe line %zu: '%s', want '%s: value'", i, line,
		      fields[i]);
		snprintf(values[i], sizeof values[i], "%s", line + k + 2);
	}
	CHECK_EQ(i, N(fields), "describe: number of lines");
	if (i == N(fields)) {
		CHECK(strncmp(values[0], "0 ", 2) == 0, "leap value '%s'", values[0]);
		CHECK_STR(values[1], "4", "version value");
		CHECK(strncmp(values[2], "4 ", 2) == 0, "mode value '%s'", values[2]);
		CHECK_STR(values[3], "2", "stratum value");
		CHECK_STR(values[4], "6", "poll value");
		CHECK(strncmp(values[5], "-23 ", 4) == 0, "precision '%s'", values[5]);
		CHECK_STR(values[6], "0.500000 s", "root delay value");
		CHECK_STR(values[7], "1.000000 s", "root dispersion value");
		CHECK_STR(values[8], "192.0.2.1", "refid of stratum 2");
		CHECK(strstr(values[9], "2026-11-22T15:45:41"), "reftime '%s'", values[9]);
		CHECK(values[10][0] == '0', "origin zero: '%s'", values[10]);
		CHECK(strstr(values[11], "2026-11-22T15:45:41.500000000Z"),
		      "receive '%s'", values[11]);
		CHECK(strstr(values[12], "2038-01-19T03:14:08.250000000Z"),
		      "transmit in era 1 read from 2026: '%s'", values[12]);
	}
	/* Stratum 1: the refid is ASCII. Unsynchronised: LI 3. */
	p.stratum = 1;
	p.refid = 0x47505300;
	p.leap = 3;
	n = ntp_describe(&p, 1795362341, buf, sizeof buf);
	CHECK(strstr(buf, "reference_id: \"GPS\"\n"), "stratum 1 refid: %s", buf);
	CHECK(strncmp(buf, "leap: 3 ", 8) == 0, "leap 3 line");
	/* A small buffer: cut, terminated, length reported as written. */
	char small[40];
	memset(small, 'x', sizeof small);
	n = ntp_describe(&p, 1795362341, small, sizeof small);
	CHECK(n == sizeof small - 1 && small[n] == 0 && strlen(small) == n,
	      "describe into 40 bytes: %zu", n);
}

/* ntp_server_state_make: the kernel's word and the configuration. Short
 * format values worked out by hand: ceil(s * 65536). */
static void test_server_state(void)
{
	const struct ntp_server_config cfgs[] = {
		{ .stratum = 1, .root_delay = 0, .refid = 0x47505300 },
		{ .stratum = 2, .root_delay = 0.0005, .refid = 0xc0000201 },
		{ .stratum = 15, .root_delay = 1.5, .refid = NTP_DEFAULT_REFID },
	};
	const uint32_t cfg_delay[] = { 0, 33 /* 32.768 */, 0x00018000 };
	for (size_t c = 0; c < N(cfgs); c++)
		for (int assume = 0; assume <= 1; assume++) {
			struct ntp_server_config cfg = cfgs[c];
			cfg.assume_synchronized = assume;
			const char *a = assume ? "assume" : "no-assume";
			/* Synchronised kernel: leap 0/1/2, its maxerror. */
			for (int leap = 0; leap <= 2; leap++) {
				struct ntp_kernel_clock k = { .synchronized = true,
							      .leap = leap,
							      .maxerror = 0.25 };
				struct ntp_server_state st;
				memset(&st, 0xee, sizeof st);
				ntp_server_state_make(&cfg, &k, -23, &st);
				CHECK(st.synchronized, "sync kernel %s leap %d: synchronised", a, leap);
				CHECK_EQ(st.leap, leap, "sync kernel %s: leap", a);
				CHECK_EQ(st.rootdisp, 16384, "sync kernel %s leap %d: dispersion = maxerror 0.25 s", a, leap);
				CHECK_EQ(st.rootdelay, cfg_delay[c], "sync %s: root delay from config %zu", a, c);
				CHECK_EQ(st.stratum, cfgs[c].stratum, "sync %s: stratum", a);
				CHECK_EQ(st.refid, cfgs[c].refid, "sync %s: refid", a);
				CHECK_EQ(st.precision, -23, "sync %s: precision", a);
				/* And on the wire. */
				struct ntp_packet req = request(4, 3, 6, TS(0xeead8ca5, 7)), rep;
				struct timespec rx = { 1795362341, 250000000 };
				ntp_reply_build(&req, &st, &rx, &rep);
				uint8_t w[48];
				ntp_encode(&rep, w);
				CHECK_EQ(w[0], leap << 6 | 4 << 3 | 4, "sync %s leap %d: byte 0", a, leap);
				CHECK_EQ(w[1], cfgs[c].stratum, "sync %s: stratum byte", a);
				CHECK_EQ((int8_t)w[3], -23, "sync %s: precision byte", a);
				CHECK_EQ((uint32_t)w[4] << 24 | w[5] << 16 | w[6] << 8 | w[7],
					 cfg_delay[c], "sync %s: root delay on the wire", a);
				CHECK(w[8] == 0 && w[9] == 0 && w[10] == 0x40 && w[11] == 0,
				      "sync %s: root dispersion 0x00004000 on the wire", a);
				CHECK_EQ((uint32_t)w[12] << 24 | w[13] << 16 | w[14] << 8 | w[15],
					 cfgs[c].refid, "sync %s: refid on the wire", a);
				CHECK_EQ(rep.reftime, TS(0xeead8ca5, 0), "sync %s: reftime", a);
			}
			/* Other maxerror values: rounded up, saturating. */
			const struct {
				double maxerror;
				uint32_t want;
			} errs[] = { { 0, 0 },
				     { 0.0123, 807 },		/* 806.0928 */
				     { 1.0 / 65536, 1 },
				     { 16.0, 0x00100000 },	/* the kernel's cap */
				     { 70000.0, 0xffffffff } };
			for (size_t e = 0; e < N(errs); e++) {
				struct ntp_kernel_clock k = { .synchronized = true,
							      .maxerror = errs[e].maxerror };
				struct ntp_server_state st;
				ntp_server_state_make(&cfg, &k, -20, &st);
				CHECK_EQ(st.rootdisp, errs[e].want, "%s maxerror %g", a,
					 errs[e].maxerror);
			}
			/* Unsynchronised kernel, whatever leap bits it reports:
			 * leap forced 0; synchronised only under assume. */
			for (int leap = 0; leap <= 3; leap++) {
				struct ntp_kernel_clock k = { .synchronized = false,
							      .leap = leap,
							      .maxerror = 16.0 };
				struct ntp_server_state st;
				memset(&st, 0xee, sizeof st);
				ntp_server_state_make(&cfg, &k, -18, &st);
				CHECK_EQ(st.synchronized, assume, "unsync kernel %s leap %d: synchronised", a, leap);
				CHECK_EQ(st.leap, NTP_LEAP_NONE, "unsync kernel %s: leap bits %d ignored", a, leap);
				CHECK_EQ(st.rootdisp, 66, "unsync kernel %s: assumed 1 ms dispersion", a);
				CHECK_EQ(st.rootdelay, cfg_delay[c], "unsync %s: root delay", a);
				CHECK_EQ(st.stratum, cfgs[c].stratum, "unsync %s: stratum", a);
				CHECK_EQ(st.refid, cfgs[c].refid, "unsync %s: refid", a);
				CHECK_EQ(st.precision, -18, "unsync %s: precision", a);
				struct ntp_packet req = request(3, 1, 10, TS(1, 1)), rep;
				struct timespec rx = { 2147483648, 0 };
				ntp_reply_build(&req, &st, &rx, &rep);
				uint8_t w[48];
				ntp_encode(&rep, w);
				if (assume) {
					CHECK_EQ(w[0], 0 << 6 | 3 << 3 | 2, "assume leap %d: byte 0 (LI 0, v3, mode 2)", leap);
					CHECK_EQ(w[1], cfgs[c].stratum, "assume: stratum byte");
					CHECK(w[8] == 0 && w[9] == 0 && w[10] == 0 && w[11] == 66,
					      "assume: root dispersion 66 units on the wire");
					CHECK_EQ((uint32_t)w[12] << 24 | w[13] << 16 | w[14] << 8 | w[15],
						 cfgs[c].refid, "assume: refid on the wire");
					CHECK_EQ(rep.reftime, TS(0x03aa7e80, 0), "assume: reftime");
				} else {
					static const uint8_t zero[8];
					CHECK_EQ(w[0], 3 << 6 | 3 << 3 | 2, "unsync leap %d: byte 0 (LI 3)", leap);
					CHECK_EQ(w[1], 0, "unsync: stratum 0");
					CHECK(memcmp(w + 12, zero, 4) == 0, "unsync: refid 0");
					CHECK(memcmp(w + 16, zero, 8) == 0, "unsync: reftime 0");
					CHECK(w[4] == 0 && w[5] == 1 && w[6] == 0 && w[7] == 0,
					      "unsync: root delay 1 s");
				}
				CHECK_EQ(rep.org, TS(1, 1), "unsync %s: origin", a);
			}
		}
}

/* Kiss-o'-death: LI 3, stratum 0, refid the ASCII code, no time in it
 * but the request's own transmit timestamp. */
static void test_kod(void)
{
	const uint64_t xmts[] = { 0,
				  1,
				  0xffffffffffffffffu,
				  0x8000000000000000u,
				  0x0000000080000000u,
				  0xdeadbeefcafebabeu,
				  0xa5a5a5a55a5a5a5au };
	const int polls[] = { -128, -6, 0, 6, 17, 127 };
	int n = 0;
	for (unsigned vn = 1; vn <= 4; vn++)
		for (unsigned mode = 1; mode <= 3; mode += 2)
			for (size_t x = 0; x < N(xmts); x++) {
				int poll = polls[n++ % N(polls)];
				struct ntp_packet req = request(vn, mode, poll, xmts[x]), rep;
				req.leap = 2;
				req.stratum = 9;
				memset(&rep, 0xee, sizeof rep);
				ntp_kod_build(&req, "RATE", &rep);
				const char *c = "KoD";
				CHECK_EQ(rep.leap, 3, "%s v%u mode %u: LI", c, vn, mode);
				CHECK_EQ(rep.stratum, 0, "%s: stratum", c);
				CHECK_EQ(rep.version, vn, "%s: version", c);
				CHECK_EQ(rep.mode, mode == 1 ? 2 : 4, "%s: mode for %u", c, mode);
				CHECK_EQ(rep.poll, poll, "%s: poll", c);
				CHECK_EQ(rep.refid, 0x52415445, "%s: refid RATE", c);
				CHECK_EQ(rep.org, xmts[x], "%s: origin", c);
				CHECK_EQ(rep.rec, xmts[x], "%s: receive", c);
				CHECK_EQ(rep.xmt, xmts[x], "%s: transmit", c);
				CHECK(rep.reftime == 0 || rep.reftime == xmts[x],
				      "%s: reference time carries no time: 0x%016llx", c,
				      (unsigned long long)rep.reftime);
				CHECK(rep.rootdelay != 0x1234 && rep.rootdisp != 0x5678,
				      "%s: request's delay/dispersion not echoed", c);
				uint8_t w[48];
				ntp_encode(&rep, w);
				CHECK_EQ(w[0], 0xc0 | vn << 3 | (mode == 1 ? 2 : 4), "%s v%u mode %u: byte 0", c, vn, mode);
				CHECK_EQ(w[1], 0, "%s: stratum byte", c);
				CHECK_EQ((int8_t)w[2], poll, "%s: poll byte", c);
				CHECK(memcmp(w + 12, "RATE", 4) == 0, "%s: refid bytes", c);
				for (int k = 0; k < 3; k++) {
					uint64_t t = 0;
					for (int b = 0; b < 8; b++)
						t = t << 8 | w[24 + 8 * k + b];
					CHECK_EQ(t, xmts[x], "%s: timestamp %d on the wire", c, k);
				}
			}
	/* NTPv1 mode 0 is a client: answered in mode 4. Another code. */
	struct ntp_packet req = request(1, 0, 4, TS(3, 4)), rep;
	ntp_kod_build(&req, "DENY", &rep);
	CHECK(rep.mode == 4 && rep.version == 1, "KoD to v1 mode 0: v1 mode 4");
	CHECK_EQ(rep.refid, 0x44454e59, "KoD refid DENY");
	/* Codes with high-bit bytes are taken as bytes, not sign-extended. */
	ntp_kod_build(&req, "\x01\x80\x7f\xfe", &rep);
	CHECK_EQ(rep.refid, 0x01807ffe, "KoD refid from raw bytes");
}

int main(void)
{
	test_ts_seconds();
	test_ts_eras();
	test_ts_fraction();
	test_short();
	test_precision();
	test_request_check();
	test_reply_sync();
	test_reply_era_edge();
	test_reply_unsync();
	test_codec();
	test_stamp();
	test_xleave();
	test_describe();
	test_server_state();
	test_kod();
	return check_summary();
}
