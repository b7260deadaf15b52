/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/srcaddr.c: ports, bad sources, loop risks, names,
 * what one source is, the same source, where a socket reaches itself. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "check.h"
#include "proto/srcaddr.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_port(void)
{
	const int ports[] = { 0, 1, 7, 123, 1023, 1024, 2049, 40000, 65535 };
	for (size_t i = 0; i < N(ports); i++) {
		CHECK_EQ(srcaddr_port(addr("192.0.2.1", ports[i])), ports[i],
			 "IPv4 port %d", ports[i]);
		CHECK_EQ(srcaddr_port(addr("2001:db8::1", ports[i])), ports[i],
			 "IPv6 port %d", ports[i]);
	}
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK_EQ(srcaddr_port((struct sockaddr *)&un), -1, "AF_UNIX has no port");
	CHECK_EQ(srcaddr_port(NULL), -1, "no address, no port");
}

static void test_bad_addr(void)
{
	static const struct {
		const char *host;
		bool bad;
	} cases[] = {
		/* unspecified: 0.0.0.0/8 */
		{ "0.0.0.0", true },
		{ "0.1.2.3", true },
		{ "0.255.255.255", true },
		/* broadcast: 255.0.0.0/8 */
		{ "255.255.255.255", true },
		{ "255.0.0.0", true },
		{ "255.1.2.3", true },
		/* multicast: 224.0.0.0/4 */
		{ "224.0.0.0", true },
		{ "224.0.0.1", true },
		{ "239.255.255.255", true },
		{ "230.1.2.3", true },
		/* fine, loopback included */
		{ "127.0.0.1", false },
		{ "127.1.2.3", false },
		{ "1.0.0.0", false },
		{ "10.0.0.1", false },
		{ "192.0.2.1", false },
		{ "223.255.255.255", false },
		{ "254.255.255.255", false },
		/* IPv6 */
		{ "::", true },
		{ "ff02::1", true },
		{ "ff05::101", true },
		{ "ff0e::1", true },
		{ "ff00::", true },
		{ "::1", false },
		{ "2001:db8::1", false },
		{ "fe80::1", false },
		{ "fd00::1", false },
		{ "fe00::1", false },
		/* IPv4-mapped: judged as IPv4 */
		{ "::ffff:224.0.0.1", true },
		{ "::ffff:239.1.1.1", true },
		{ "::ffff:0.0.0.0", true },
		{ "::ffff:0.0.0.5", true },
		{ "::ffff:255.255.255.255", true },
		{ "::ffff:127.0.0.1", false },
		{ "::ffff:192.0.2.1", false },
	};
	for (size_t i = 0; i < N(cases); i++) {
		CHECK_EQ(srcaddr_addr_is_bad(addr(cases[i].host, 40000)), cases[i].bad,
			 "srcaddr_addr_is_bad(%s)", cases[i].host);
		/* A bad address is a loop risk from any port. */
		CHECK_EQ(srcaddr_is_loop_risk(addr(cases[i].host, 40000)), cases[i].bad,
			 "srcaddr_is_loop_risk(%s port 40000)", cases[i].host);
	}
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK(srcaddr_addr_is_bad((struct sockaddr *)&un), "AF_UNIX is bad");
	CHECK(srcaddr_addr_is_bad(NULL), "no address is bad");
	CHECK(srcaddr_is_loop_risk(NULL), "no address is a loop risk");
	CHECK(srcaddr_is_loop_risk((struct sockaddr *)&un), "AF_UNIX is a loop risk");
}

static void test_loop_risk(void)
{
	const int risky[] = { 0, 1, 7, 9, 13, 19, 37, 123, 512, 1023, 2049 };
	const int fine[] = { 1024, 1025, 2048, 2050, 40000, 65535 };
	const char *hosts[] = { "192.0.2.1", "127.0.0.1", "2001:db8::1", "::1",
				"::ffff:192.0.2.1" };
	for (size_t h = 0; h < N(hosts); h++) {
		for (size_t i = 0; i < N(risky); i++)
			CHECK(srcaddr_is_loop_risk(addr(hosts[h], risky[i])),
			      "%s port %d is a loop risk", hosts[h], risky[i]);
		for (size_t i = 0; i < N(fine); i++)
			CHECK(!srcaddr_is_loop_risk(addr(hosts[h], fine[i])),
			      "%s port %d is fine", hosts[h], fine[i]);
	}
	/* Port 123 is not a bad *address*: srcaddr_addr_is_bad ignores ports. */
	CHECK(!srcaddr_addr_is_bad(addr("192.0.2.1", 123)), "address check ignores port");
	CHECK(!srcaddr_addr_is_bad(addr("192.0.2.1", 0)), "address check ignores port 0");
}

static void test_name(void)
{
	static const struct {
		const char *host;
		int port;
		const char *want;
	} cases[] = {
		{ "192.0.2.1", 5000, "192.0.2.1:5000" },
		{ "127.0.0.1", 0, "127.0.0.1:0" },
		{ "255.255.255.255", 65535, "255.255.255.255:65535" },
		{ "2001:db8::1", 5000, "[2001:db8::1]:5000" },
		{ "::1", 123, "[::1]:123" },
		{ "::", 1, "[::]:1" },
		{ "::ffff:192.0.2.1", 40000, "[::ffff:192.0.2.1]:40000" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		char buf[SRCADDR_NAME_MAX];
		memset(buf, 'x', sizeof buf);
		srcaddr_name(addr(cases[i].host, cases[i].port), buf);
		CHECK_STR(buf, cases[i].want, "srcaddr_name(%s, %d)", cases[i].host,
			  cases[i].port);
	}
	char buf[SRCADDR_NAME_MAX];
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	srcaddr_name((struct sockaddr *)&un, buf);
	CHECK_STR(buf, "-", "srcaddr_name(AF_UNIX)");
	memset(buf, 'x', sizeof buf);
	srcaddr_name(NULL, buf);
	CHECK_STR(buf, "-", "srcaddr_name(NULL)");
}

/* The key of host (any port); false when it has none. */
static bool key_of(const char *host, int port, uint8_t key[SRCADDR_KEY_LEN])
{
	memset(key, 0xaa, SRCADDR_KEY_LEN);
	return srcaddr_source_key(addr(host, port), key);
}

static void test_source_key(void)
{
	static const struct {
		const char *a, *b;
		bool same;
	} cases[] = {
		{ "192.0.2.1", "192.0.2.1", true },
		{ "192.0.2.1", "192.0.2.2", false },
		{ "127.0.0.1", "127.0.0.2", false },
		/* IPv4-mapped is the IPv4 source, whole */
		{ "::ffff:192.0.2.1", "192.0.2.1", true },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.2", false },
		/* IPv6: one /64 is one source */
		{ "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true },
		{ "2001:db8:1:2::1", "2001:db8:1:3::1", false },
		{ "2001:db8::1", "2001:db9::1", false },
		/* the /64 of ::ffff:0:0/96's neighbours is not IPv4 */
		{ "::fffe:192.0.2.1", "::ffff:192.0.2.1", false },
		{ "::1", "::2", true },
		{ "::1", "0.0.0.1", false },
	};
	uint8_t ka[SRCADDR_KEY_LEN], kb[SRCADDR_KEY_LEN];
	for (size_t i = 0; i < N(cases); i++) {
		CHECK(key_of(cases[i].a, 1000, ka), "key of %s", cases[i].a);
		CHECK(key_of(cases[i].b, 2000 + (int)i, kb), "key of %s",
		      cases[i].b);
		CHECK_EQ(memcmp(ka, kb, SRCADDR_KEY_LEN) == 0, cases[i].same,
			 "%s and %s one source", cases[i].a, cases[i].b);
	}
	static const uint8_t v4[SRCADDR_KEY_LEN] = { [10] = 0xff, [11] = 0xff,
						   192, 0, 2, 1 };
	key_of("192.0.2.1", 13, ka);
	CHECK(memcmp(ka, v4, SRCADDR_KEY_LEN) == 0, "IPv4 written ::ffff:a.b.c.d");
	static const uint8_t v6[SRCADDR_KEY_LEN] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
						   0, 2 };
	key_of("2001:db8:1:2:3:4:5:6", 13, ka);
	CHECK(memcmp(ka, v6, SRCADDR_KEY_LEN) == 0, "IPv6: the /64, the rest zero");
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK(!srcaddr_source_key((struct sockaddr *)&un, ka), "AF_UNIX: none");
	CHECK(!srcaddr_source_key(NULL, ka), "no address: none");
}

/* addr() has one buffer: keep a copy. */
static struct sockaddr_storage kept(const char *host, int port)
{
	struct sockaddr_storage ss;
	memcpy(&ss, addr(host, port), sizeof ss);
	return ss;
}
#define SA(ss) ((const struct sockaddr *)&(ss))

static void test_equal(void)
{
	struct sockaddr_storage a = kept("192.0.2.1", 123);
	CHECK(srcaddr_equal(SA(a), addr("192.0.2.1", 123)), "same IPv4");
	CHECK(!srcaddr_equal(SA(a), addr("192.0.2.1", 124)), "other port");
	CHECK(!srcaddr_equal(SA(a), addr("192.0.2.2", 123)), "other address");
	CHECK(!srcaddr_equal(SA(a), addr("::ffff:192.0.2.1", 123)),
	      "IPv4-mapped is another family");
	struct sockaddr_storage b = kept("2001:db8::1", 123);
	struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&b;
	b6->sin6_flowinfo = htonl(7);
	b6->sin6_scope_id = 3;
	CHECK(srcaddr_equal(SA(b), addr("2001:db8::1", 123)),
	      "IPv6: flow label and scope do not count");
	CHECK(!srcaddr_equal(SA(b), addr("2001:db8::2", 123)), "other IPv6 address");
	CHECK(!srcaddr_equal(SA(b), addr("2001:db8::1", 1)), "other IPv6 port");
	CHECK(!srcaddr_equal(NULL, SA(b)) && !srcaddr_equal(SA(b), NULL), "none");
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK(!srcaddr_equal((struct sockaddr *)&un, (struct sockaddr *)&un),
	      "AF_UNIX is never a datagram source here");
}

static void test_self_target(void)
{
	static const struct {
		const char *local, *peer, *want;
	} cases[] = {
		{ "0.0.0.0", "192.0.2.9", "127.0.0.1" },
		{ "192.0.2.1", "192.0.2.9", "192.0.2.1" },
		{ "127.0.0.5", "127.0.0.1", "127.0.0.5" },
		{ "::", "2001:db8::9", "::1" },
		{ "::", "::ffff:192.0.2.9", "::ffff:127.0.0.1" },
		{ "2001:db8::1", "::ffff:192.0.2.9", "2001:db8::1" },
		{ "::1", "::1", "::1" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct sockaddr_storage local = kept(cases[i].local, 4123);
		struct sockaddr_storage peer = kept(cases[i].peer, 50000);
		struct sockaddr_storage out, want = kept(cases[i].want, 4123);
		size_t len = srcaddr_self_target(SA(local), SA(peer), &out);
		CHECK(len == (local.ss_family == AF_INET ?
				      sizeof(struct sockaddr_in) :
				      sizeof(struct sockaddr_in6)) &&
			      srcaddr_equal(SA(out), SA(want)),
		      "bound to %s, peer %s: send to %s", cases[i].local,
		      cases[i].peer, cases[i].want);
	}
	struct sockaddr_storage local = kept("::", 4123), out;
	((struct sockaddr_in6 *)&local)->sin6_scope_id = 2;
	srcaddr_self_target(SA(local), NULL, &out);
	CHECK(((struct sockaddr_in6 *)&out)->sin6_scope_id == 0 &&
		      srcaddr_equal(SA(out), addr("::1", 4123)),
	      "wildcard, no peer: ::1, no scope");
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK(srcaddr_self_target((struct sockaddr *)&un, NULL, &out) == 0,
	      "AF_UNIX: nowhere");
}

int main(void)
{
	test_port();
	test_bad_addr();
	test_loop_risk();
	test_name();
	test_source_key();
	test_equal();
	test_self_target();
	return check_summary();
}
