/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/xleave.c, the interleaved-mode table: an entry
 * is found once, updated in place, never stored for receive time 0; a
 * full set gives up its oldest entry; a busy set is skipped (and a lock
 * left by a dead process taken over); the table never holds more than
 * its fixed number of entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/xleave.h"

static unsigned char table[XL_TABLE_BYTES] __attribute__((aligned(64)));

/* Receive timestamps as the server writes them: lowest bit 1. */
static uint64_t rx_at(uint64_t i)
{
	return (0xec000000ull + i) << 32 | (uint32_t)(i * 2654435761u) | 1;
}

static void test_once(void)
{
	memset(table, 0, sizeof table);
	uint64_t tx = 0;
	CHECK(!xl_take(table, rx_at(1), &tx, 10), "empty table: nothing");
	CHECK(xl_put(table, rx_at(1), 111, 10), "put");
	CHECK(!xl_take(table, rx_at(2), &tx, 10), "another origin: nothing");
	CHECK(!xl_take(table, rx_at(1) ^ 1, &tx, 10), "a bit off: nothing");
	CHECK(xl_take(table, rx_at(1), &tx, 10) && tx == 111, "found: %llu",
	      (unsigned long long)tx);
	CHECK(!xl_take(table, rx_at(1), &tx, 10), "given out once only");
	CHECK(xl_put(table, rx_at(3), 300, 10) &&
		      xl_put(table, rx_at(3), 333, 10),
	      "put twice");
	CHECK(xl_take(table, rx_at(3), &tx, 10) && tx == 333, "updated: %llu",
	      (unsigned long long)tx);
	CHECK(!xl_take(table, rx_at(3), &tx, 10), "one entry for one rx");
	CHECK(!xl_put(table, 0, 5, 10), "rx 0 is not stored");
	CHECK(!xl_take(table, 0, &tx, 10), "rx 0 is never found");
}

/* The set rx goes to, seen from outside: put it into an empty table
 * and look where it landed (a set: 16 bytes of lock, then entries). */
static int set_index(uint64_t rx)
{
	static unsigned char probe[XL_TABLE_BYTES] __attribute__((aligned(64)));
	memset(probe, 0, sizeof probe);
	xl_put(probe, rx, 1, 10);
	for (int s = 0; s < XL_SETS; s++)
		if (memcmp(probe + s * XL_SET_BYTES + 16, &rx, 8) == 0)
			return s;
	return -1;
}

/* want receive times that fall in one set, in increasing order. */
static int same_set(uint64_t *out, int want)
{
	int base = set_index(rx_at(0)), n = 0;
	out[n++] = rx_at(0);
	for (uint64_t i = 1; n < want && i < 100000; i++)
		if (set_index(rx_at(i)) == base)
			out[n++] = rx_at(i);
	return n;
}

static void test_oldest(void)
{
	uint64_t rx[XL_WAYS + 2];
	int n = same_set(rx, XL_WAYS + 2);
	CHECK(n == XL_WAYS + 2, "found %d receive times of one set", n);
	memset(table, 0, sizeof table);
	for (int i = 0; i < XL_WAYS; i++)
		xl_put(table, rx[i], 1000 + (uint64_t)i, 10);
	uint64_t tx;
	/* A full set: the next one replaces the oldest (rx[0]). */
	xl_put(table, rx[XL_WAYS], 2000, 10);
	CHECK(!xl_take(table, rx[0], &tx, 10), "the oldest went");
	for (int i = 1; i <= XL_WAYS; i++)
		CHECK(xl_take(table, rx[i], &tx, 10) &&
			      tx == (i == XL_WAYS ? 2000 : 1000 + (uint64_t)i),
		      "entry %d kept", i);
	/* A taken entry frees its place: nothing else is evicted. */
	for (int i = 0; i < XL_WAYS; i++)
		xl_put(table, rx[i], 1, 10);
	xl_take(table, rx[3], &tx, 10);
	xl_put(table, rx[XL_WAYS + 1], 7, 10);
	for (int i = 0; i < XL_WAYS; i++)
		if (i != 3)
			CHECK(xl_take(table, rx[i], &tx, 10), "entry %d stays", i);
}

static void test_locks(void)
{
	memset(table, 0, sizeof table);
	uint64_t tx;
	xl_put(table, rx_at(5), 55, 10);
	/* Hold every set's lock as another process would, at 100 ms. */
	for (int s = 0; s < XL_SETS; s++)
		memcpy(table + s * XL_SET_BYTES, &(int64_t){ 100 }, 8);
	CHECK(!xl_take(table, rx_at(5), &tx, 200), "busy set: skipped");
	/* Another process's clock read a moment later than ours: its lock
	 * is a little in our future, and live, not garbage. */
	CHECK(!xl_take(table, rx_at(5), &tx, 99), "a lock 1 ms ahead: busy");
	CHECK(!xl_put(table, rx_at(6), 66, 200), "busy set: not written");
	CHECK(xl_take(table, rx_at(5), &tx, 100 + XL_LOCK_STALE_MS + 1) &&
		      tx == 55,
	      "a stale lock is taken over");
	int64_t lock;
	memcpy(&lock, table, 8);
	int freed = 0;
	for (int s = 0; s < XL_SETS; s++) {
		memcpy(&lock, table + s * XL_SET_BYTES, 8);
		freed += lock == 0;
	}
	CHECK(freed == 1, "the lock it took is freed (%d free)", freed);
	/* Any bytes may be in a file: a lock from the future, or the most
	 * negative one, is stale too (the fuzzer found the overflow). */
	memset(table, 0, sizeof table);
	xl_put(table, rx_at(7), 77, 10);
	for (int s = 0; s < XL_SETS; s++)
		memcpy(table + s * XL_SET_BYTES, &(int64_t){ INT64_MIN }, 8);
	CHECK(xl_take(table, rx_at(7), &tx, 3000000) && tx == 77,
	      "a lock of INT64_MIN is taken over");
	xl_put(table, rx_at(7), 78, 10);
	for (int s = 0; s < XL_SETS; s++)
		memcpy(table + s * XL_SET_BYTES, &(int64_t){ 5000 }, 8);
	CHECK(xl_take(table, rx_at(7), &tx, 10) && tx == 78,
	      "a lock from the future is taken over");
}

/* A file from elsewhere may hold one receive time twice in a set: it is
 * still given out once (the fuzzer found this one). */
static void test_duplicates(void)
{
	memset(table, 0, sizeof table);
	int s = set_index(rx_at(9));
	uint64_t e[4] = { rx_at(9), 1, rx_at(9), 2 };
	memcpy(table + s * XL_SET_BYTES + 16, e, sizeof e);
	uint64_t tx;
	CHECK(xl_take(table, rx_at(9), &tx, 10) && tx == 1, "the first given");
	CHECK(!xl_take(table, rx_at(9), &tx, 10), "and no second time");
}

static void test_bounded(void)
{
	memset(table, 0, sizeof table);
	for (uint64_t i = 1; i <= 100000; i++)
		xl_put(table, rx_at(i), i, 10);
	int kept = 0;
	uint64_t tx;
	for (uint64_t i = 1; i <= 100000; i++)
		kept += xl_take(table, rx_at(i), &tx, 10) && tx == i;
	CHECK(kept <= XL_ENTRIES && kept > XL_ENTRIES * 9 / 10,
	      "kept %d of %d places", kept, XL_ENTRIES);
	/* The newest are those kept: the last thousand are all there. */
	for (uint64_t i = 1; i <= 100000; i++)
		xl_put(table, rx_at(i), i, 10);
	int last = 0;
	for (uint64_t i = 99001; i <= 100000; i++)
		last += xl_take(table, rx_at(i), &tx, 10);
	CHECK(last == 1000, "the newest thousand kept: %d", last);
}

int main(void)
{
	test_once();
	test_oldest();
	test_locks();
	test_duplicates();
	test_bounded();
	return check_summary();
}
