/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/allow.c: --allow lists parsed, and sources
 * matched against them (IPv4, IPv6, IPv4-mapped, prefix edges). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "check.h"
#include "proto/allow.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool parse(struct allow_list *l, const char *spec)
{
	const char *why = NULL;
	memset(l, 0, sizeof *l);
	return allow_parse(l, spec, &why);
}

static void test_parse_good(void)
{
	static const struct {
		const char *spec;
		unsigned n;
	} good[] = {
		{ "10.0.0.0/8", 1 },
		{ "192.0.2.1", 1 },
		{ "0.0.0.0/0", 1 },
		{ "::/0", 1 },
		{ "::1", 1 },
		{ "2001:db8::/32", 1 },
		{ "fe80::/64", 1 },
		{ "192.0.2.7/32,2001:db8::7/128", 2 },
		{ "127.0.0.0/8,::1,169.254.0.0/16,fe80::/64,10.0.0.0/8,"
		  "172.16.0.0/12,192.168.0.0/16,fc00::/7", 8 },
		{ "::ffff:10.0.0.0/104", 1 },
		{ "10.0.0.0/08", 1 },
	};
	for (size_t i = 0; i < N(good); i++) {
		struct allow_list l;
		const char *why = "-";
		memset(&l, 0, sizeof l);
		CHECK(allow_parse(&l, good[i].spec, &why), "\"%s\" parses (%s)",
		      good[i].spec, why);
		CHECK_EQ(l.n, good[i].n, "\"%s\": networks", good[i].spec);
	}
	/* A mapped network is stored as the IPv4 one. */
	struct allow_list l;
	CHECK(parse(&l, "::ffff:10.0.0.0/104"), "mapped network");
	CHECK(l.net[0].v4 && l.net[0].bits == 8 && l.net[0].addr[0] == 10,
	      "::ffff:10.0.0.0/104 is 10.0.0.0/8 (v4 %d, bits %u)", l.net[0].v4,
	      l.net[0].bits);
	/* Lists add up, as repeated --allow options do. */
	CHECK(parse(&l, "10.0.0.0/8"), "first");
	const char *why;
	CHECK(allow_parse(&l, "::1,192.0.2.1", &why) && l.n == 3,
	      "a second list adds to the first (%u)", l.n);
}

static void test_parse_bad(void)
{
	const char *bad[] = {
		"", ",", "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,::1",
		"10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/8x", "10.0.0.0/8/8", "10.0.0.0 /8", " 10.0.0.0/8",
		"10.0.0.1/8", "192.168.1.0/16", "2001:db8::1/32", "fe80::1%lo",
		"10.0.0", "10.0.0.256", "localhost", "example.org", "1234/8",
		"10.0.0.0/0008", "::ffff:10.0.0.1/104", "10.0.0.0/8 ",
		"0x0a.0.0.0/8", "2001:db8:::/48",
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1/128",
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct allow_list l;
		const char *why = NULL;
		memset(&l, 0, sizeof l);
		l.n = 1; /* a list already there stays as it was */
		CHECK(!allow_parse(&l, bad[i], &why) && why && l.n == 1,
		      "\"%s\" refused with a reason, list untouched (n %u)", bad[i],
		      l.n);
	}
	/* At most ALLOW_MAX networks. */
	char spec[ALLOW_MAX * 16 + 16] = "";
	for (int i = 0; i <= ALLOW_MAX; i++)
		snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s10.0.%d.0/24",
			 i ? "," : "", i);
	struct allow_list l;
	CHECK(!parse(&l, spec) && l.n == 0, "%d networks refused", ALLOW_MAX + 1);
	*strrchr(spec, ',') = '\0';
	CHECK(parse(&l, spec) && l.n == ALLOW_MAX, "%d networks taken", ALLOW_MAX);
}

static void test_match(void)
{
	static const struct {
		const char *spec, *host;
		bool want;
	} cases[] = {
		{ "10.0.0.0/8", "10.0.0.0", true },
		{ "10.0.0.0/8", "10.255.255.255", true },
		{ "10.0.0.0/8", "11.0.0.0", false },
		{ "10.0.0.0/8", "9.255.255.255", false },
		{ "172.16.0.0/12", "172.31.255.255", true },
		{ "172.16.0.0/12", "172.32.0.0", false },
		{ "172.16.0.0/12", "172.15.255.255", false },
		{ "127.0.0.1", "127.0.0.1", true },
		{ "127.0.0.1", "127.0.0.2", false },
		{ "127.0.0.1/32", "127.0.0.2", false },
		{ "0.0.0.0/0", "203.0.113.9", true },
		{ "0.0.0.0/0", "2001:db8::1", false },
		{ "::/0", "2001:db8::1", true },
		/* IPv4-mapped sources are judged as IPv4, either way round. */
		{ "10.0.0.0/8", "::ffff:10.1.2.3", true },
		{ "10.0.0.0/8", "::ffff:11.1.2.3", false },
		{ "127.0.0.1", "::ffff:127.0.0.2", false },
		{ "::/0", "::ffff:10.1.2.3", false },
		{ "::ffff:10.0.0.0/104", "10.9.9.9", true },
		{ "::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true },
		{ "::1", "::1", true },
		{ "::1", "::2", false },
		{ "fe80::/64", "fe80::1234:5678:9abc:def0", true },
		{ "fe80::/64", "fe80:0:0:1::1", false },
		{ "fc00::/7", "fdff:ffff::1", true },
		{ "fc00::/7", "fe00::1", false },
		{ "fc00::/7", "fbff::1", false },
		{ "2001:db8::/33", "2001:db8:7fff::1", true },
		{ "2001:db8::/33", "2001:db8:8000::1", false },
		/* An IPv6 network never takes an IPv4 source with the same bits. */
		{ "a00::/8", "10.0.0.1", false },
		{ "10.0.0.0/8,2001:db8::/32", "2001:db8::5", true },
		{ "10.0.0.0/8,2001:db8::/32", "10.0.0.5", true },
		{ "10.0.0.0/8,2001:db8::/32", "192.0.2.5", false },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct allow_list l;
		CHECK(parse(&l, cases[i].spec), "\"%s\" parses", cases[i].spec);
		CHECK_EQ(allow_match(&l, addr(cases[i].host, 40000)), cases[i].want,
			 "\"%s\" lets %s ask", cases[i].spec, cases[i].host);
	}
	/* No list: everyone; a list: nothing that is not IP. */
	struct allow_list empty = { 0 };
	CHECK(allow_match(&empty, addr("203.0.113.1", 40000)), "no list, any source");
	struct allow_list l;
	CHECK(parse(&l, "0.0.0.0/0,::/0"), "everything");
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK(!allow_match(&l, (struct sockaddr *)&un), "AF_UNIX never matches");
	CHECK(!allow_match(&l, NULL), "no address never matches");
}

static void test_process_list(void)
{
	const char *why;
	allow_clear();
	CHECK(allow_peer(addr("203.0.113.1", 40000)), "empty process list: anyone");
	CHECK(allow_add("127.0.0.1", &why), "add");
	CHECK(allow_peer(addr("127.0.0.1", 40000)) && !allow_peer(addr("127.0.0.2", 40000)),
	      "process list in force");
	CHECK(!allow_add("bad", &why) && allow_peer(addr("127.0.0.1", 40000)),
	      "a bad add keeps the list");
	allow_clear();
	CHECK(allow_peer(addr("127.0.0.2", 40000)), "cleared");
}

int main(void)
{
	test_parse_good();
	test_parse_bad();
	test_match();
	test_process_list();
	return check_summary();
}
