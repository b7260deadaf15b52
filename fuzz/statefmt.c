/* SPDX-License-Identifier: ISC */
/* Fuzz the state loader: any bytes as the file. sfmt_check must never
 * read out of bounds; an image it accepts is then used as a live one
 * (the rate-limit table attached and charged, the counters formatted),
 * which must neither crash nor give a source more than its burst at
 * one instant, nor give an interleaved entry out twice, whatever the
 * tables held; the metrics' text of it is whole, and names the master
 * secrets' fingerprints exactly when the record holds some. Input
 * shorter than an image is also tried as a whole image padded with its own bytes, with a valid
 * header written over it, so that the table's contents get fuzzed. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/proto/keyprint.h"
#include "../common/proto/ratelimit.h"
#include "../common/proto/statefmt.h"
#include "../common/proto/xleave.h"
#include "input.h"

static struct sfmt_image img;

static void use(struct sfmt_image *m)
{
	static const char *const rules[] = { "length", "version", "mode",
					     "source", NULL };
	char text[4096];
	size_t n = sfmt_format(m, rules, text, sizeof text);
	CHECK(n < sizeof text && strlen(text) == n);
	/* The metrics' text of any counters and key view: whole or
	 * nothing, never past the buffer (a key age of any sign). */
	static char prom[16384];
	n = sfmt_prometheus(m, rules, 1000, prom, sizeof prom);
	CHECK(n > 0 && n < sizeof prom && strlen(prom) == n);
	/* The master secrets' fingerprints: a sample each exactly when the
	 * record holds one or two, whatever its bytes (label values are
	 * escaped: no line of the text starts inside one), and the plain
	 * text's last lines (the upstream's source, from the bytes, may
	 * hold any text, so no search in it). */
	struct sfmt_masterinfo mi;
	bool master = sfmt_master_get(m, &mi);
	CHECK(!master || (mi.n >= 1 && mi.n <= SFMT_MASTERS));
	int samples = 0;
	for (const char *p = prom;
	     (p = strstr(p, "\nsockclock_nts_master_key_info{")); p++)
		samples++;
	CHECK(samples == (master ? (int)mi.n : 0));
	if (master) {
		char want[128], hex[2][KPRINT_HEX];
		kprint_hex(mi.fingerprint[0], hex[0]);
		kprint_hex(mi.fingerprint[1], hex[1]);
		int w = snprintf(want, sizeof want,
				 "nts-master-key-fingerprint: %s\n%s%s%s", hex[0],
				 mi.n > 1 ? "nts-master-key-fingerprint-old: " : "",
				 mi.n > 1 ? hex[1] : "", mi.n > 1 ? "\n" : "");
		CHECK(w > 0 && (size_t)w <= strlen(text) &&
		      strcmp(text + strlen(text) - (size_t)w, want) == 0);
	}

	/* Once: rl_init clears the process's own table, which is not
	 * what is fuzzed here (the seed only places sources). */
	static bool ready;
	if (!ready) {
		struct rl_config c = { .rate = 1, .burst = 4 };
		static const uint8_t key[RL_KEY_LEN] = { 1 };
		rl_init(&c, key);
		ready = true;
	}
	rl_attach(m->rl_table);
	struct sockaddr_in s = { .sin_family = AF_INET };
	/* A set locked by another process (here: a lock word near now
	 * in the bytes) lets a request pass uncharged; 5 s later any such
	 * lock is stale and is taken, so the burst holds again. */
	for (uint32_t src = 0; src < 64; src++) {
		s.sin_addr.s_addr = htonl(0xc0000200u + src);
		rl_check((struct sockaddr *)&s, 1000000);
	}
	for (uint32_t src = 0; src < 64; src++) {
		s.sin_addr.s_addr = htonl(0xc0000200u + src);
		int pass = 0;
		for (int i = 0; i < 6; i++)
			pass += rl_check((struct sockaddr *)&s, 1005000) == RL_PASS;
		CHECK(pass <= 4);
	}
	rl_attach(NULL);

	/* The interleaved table as found: an entry put is then taken once,
	 * whatever else the sets held (a lock near now: skipped). */
	for (uint64_t i = 1; i <= 64; i++) {
		uint64_t rx = i << 40 | i, tx = 0;
		(void)xl_take(m->xl_table, rx, &tx, 3000000);
		if (xl_put(m->xl_table, rx, i, 3000000)) {
			CHECK(xl_take(m->xl_table, rx, &tx, 3000000) && tx == i);
			CHECK(!xl_take(m->xl_table, rx, &tx, 3000000));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As it came: only the exact size can pass. */
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	enum sfmt_verdict v = sfmt_check(copy, size, "sntp-udp");
	CHECK(v == SFMT_OK || strlen(sfmt_verdict_name(v)) > 0);
	CHECK(v != SFMT_OK || size == SFMT_SIZE);
	if (v == SFMT_OK) {
		memcpy(&img, copy, SFMT_SIZE);
		use(&img);
	}
	free(copy);

	/* The bytes repeated over a whole image, under a valid header. */
	if (size == 0)
		return 0;
	uint8_t *b = (uint8_t *)&img;
	size_t have = size < SFMT_SIZE ? size : SFMT_SIZE;
	memcpy(b, data, have);
	for (; have < SFMT_SIZE; have *= 2)
		memcpy(b + have, b, have < SFMT_SIZE - have ? have : SFMT_SIZE - have);
	sfmt_header_make(&img.h, "sntp-udp", img.h.rl_key);
	CHECK(sfmt_check(&img, SFMT_SIZE, "sntp-udp") == SFMT_OK);
	CHECK(sfmt_check(&img, SFMT_SIZE, "daytime-udp") == SFMT_BAD_PROGRAM);
	use(&img);
	/* The same bytes as nts-ke-tcp's counters. */
	sfmt_header_make(&img.h, "nts-ke-tcp", img.h.rl_key);
	use(&img);
	return 0;
}
