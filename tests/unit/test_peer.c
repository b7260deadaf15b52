/* Unit tests of common/peer.c: ports, bad sources, loop risks, names. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "check.h"
#include "peer.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_port(void)
{
	const int ports[] = { 0, 1, 7, 123, 1023, 1024, 2049, 40000, 65535 };
	for (size_t i = 0; i < N(ports); i++) {
		CHECK_EQ(peer_port(addr("192.0.2.1", ports[i])), ports[i],
			 "IPv4 port %d", ports[i]);
		CHECK_EQ(peer_port(addr("2001:db8::1", ports[i])), ports[i],
			 "IPv6 port %d", ports[i]);
	}
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK_EQ(peer_port((struct sockaddr *)&un), -1, "AF_UNIX has no port");
	CHECK_EQ(peer_port(NULL), -1, "no address, no port");
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
		CHECK_EQ(peer_addr_is_bad(addr(cases[i].host, 40000)), cases[i].bad,
			 "peer_addr_is_bad(%s)", cases[i].host);
		/* A bad address is a loop risk from any port. */
		CHECK_EQ(peer_is_loop_risk(addr(cases[i].host, 40000)), cases[i].bad,
			 "peer_is_loop_risk(%s port 40000)", cases[i].host);
	}
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	CHECK(peer_addr_is_bad((struct sockaddr *)&un), "AF_UNIX is bad");
	CHECK(peer_addr_is_bad(NULL), "no address is bad");
	CHECK(peer_is_loop_risk(NULL), "no address is a loop risk");
	CHECK(peer_is_loop_risk((struct sockaddr *)&un), "AF_UNIX is a loop risk");
}

static void test_loop_risk(void)
{
	const int risky[] = { 0, 1, 7, 9, 13, 19, 37, 123, 512, 1023, 2049 };
	const int fine[] = { 1024, 1025, 2048, 2050, 40000, 65535 };
	const char *hosts[] = { "192.0.2.1", "127.0.0.1", "2001:db8::1", "::1",
				"::ffff:192.0.2.1" };
	for (size_t h = 0; h < N(hosts); h++) {
		for (size_t i = 0; i < N(risky); i++)
			CHECK(peer_is_loop_risk(addr(hosts[h], risky[i])),
			      "%s port %d is a loop risk", hosts[h], risky[i]);
		for (size_t i = 0; i < N(fine); i++)
			CHECK(!peer_is_loop_risk(addr(hosts[h], fine[i])),
			      "%s port %d is fine", hosts[h], fine[i]);
	}
	/* Port 123 is not a bad *address*: peer_addr_is_bad ignores ports. */
	CHECK(!peer_addr_is_bad(addr("192.0.2.1", 123)), "address check ignores port");
	CHECK(!peer_addr_is_bad(addr("192.0.2.1", 0)), "address check ignores port 0");
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
		char buf[PEER_NAME_MAX];
		memset(buf, 'x', sizeof buf);
		peer_name(addr(cases[i].host, cases[i].port), buf);
		CHECK_STR(buf, cases[i].want, "peer_name(%s, %d)", cases[i].host,
			  cases[i].port);
	}
	char buf[PEER_NAME_MAX];
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/x" };
	peer_name((struct sockaddr *)&un, buf);
	CHECK_STR(buf, "-", "peer_name(AF_UNIX)");
	memset(buf, 'x', sizeof buf);
	peer_name(NULL, buf);
	CHECK_STR(buf, "-", "peer_name(NULL)");
}

int main(void)
{
	test_port();
	test_bad_addr();
	test_loop_risk();
	test_name();
	return check_summary();
}
