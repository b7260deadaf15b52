/* SPDX-License-Identifier: ISC */
/* Fuzz the per-source rate limit with any sequence of requests.
 * Input: 1 byte rate (0.5..128/s), 1 byte burst (1..256), then
 * 3-byte steps: source (bit 7: one of 256 spoofed IPv4/IPv6 sources,
 * else one of 4 tracked sources) and a 16-bit forward step in ms.
 * Tracked sources (never more than fit in a set) must get no more than
 * burst + rate x elapsed answers and at most one kiss-o'-death per
 * RL_KOD_INTERVAL_MS; nothing the spoofed ones do may change that,
 * except by evicting a tracked source, which then starts afresh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../common/proto/ratelimit.h"
#include "input.h"

struct tracked {
	int64_t first_ms, kod_first_ms;
	long pass, kod;
};

static void source(struct sockaddr_storage *ss, unsigned i, bool spoofed)
{
	memset(ss, 0, sizeof *ss);
	if (!spoofed || i % 2 == 0) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(40000);
		s->sin_addr.s_addr = htonl((spoofed ? 0x0a000000u : 0xc0000200u) + i);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(40000);
		s->sin6_addr.s6_addr[0] = 0x20;
		s->sin6_addr.s6_addr[1] = 0x01;
		s->sin6_addr.s6_addr[7] = (uint8_t)i;	/* its own /64 */
		s->sin6_addr.s6_addr[15] = (uint8_t)(i * 7);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct rl_config c = {
		.rate = (double)(take(&in, 1) + 1) / 2.0,
		.burst = (unsigned)take(&in, 1) + 1,
	};
	static const uint8_t key[RL_KEY_LEN] = { 1, 2, 3, 4, 5 };
	rl_init(&c, key);
	CHECK(rl_enabled());

	struct tracked t[4] = { 0 };
	int64_t now = 1000;
	bool evictable = false;
	while (in.left >= 3) {
		unsigned s = (unsigned)take(&in, 1);
		now += (int64_t)take(&in, 2);
		bool spoofed = s & 0x80;
		struct sockaddr_storage ss;
		source(&ss, spoofed ? s & 0x7f : s & 3, spoofed);
		enum rl_verdict v = rl_check((struct sockaddr *)&ss, now);
		CHECK(v == RL_PASS || v == RL_KOD || v == RL_DROP);
		if (v == RL_KOD)
			rl_kod_sent(now);
		if (spoofed) {
			evictable = true;	/* may push a tracked one out */
			continue;
		}
		struct tracked *k = &t[s & 3];
		if (k->pass == 0 && k->kod == 0)
			k->first_ms = k->kod_first_ms = now;
		if (v == RL_PASS)
			k->pass++;
		if (v == RL_KOD)
			k->kod++;
		if (evictable)
			continue;
		double allowed = c.burst + c.rate * (double)(now - k->first_ms) / 1000.0;
		CHECK((double)k->pass <= allowed + 1e-6);
		CHECK(k->kod <= 1 + (now - k->kod_first_ms) / RL_KOD_INTERVAL_MS);
	}
	/* A source never seen before is always answered. */
	struct sockaddr_in fresh = { .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(0xcb007101u) };
	CHECK(rl_check((struct sockaddr *)&fresh, now) == RL_PASS);
	return 0;
}
