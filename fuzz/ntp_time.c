/* SPDX-License-Identifier: ISC */
/* Fuzz timestamp conversion: for any 64-bit time and any pivot less
 * than 2^31 s away, NTP timestamp and back gives the same instant.
 * Input: 8 bytes seconds, 4 bytes nanoseconds (reduced), 4 bytes
 * signed offset of the pivot (|offset| < 2^31). */
#include "../common/proto/ntp.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct timespec ts = {
		.tv_sec = (time_t)(int64_t)take(&in, 8),
		.tv_nsec = (long)(take(&in, 4) % 1000000000u),
	};
	int32_t off = (int32_t)take(&in, 4);
	if (off == INT32_MIN)
		off = 0;	/* exactly 2^31 away: either era is right */
	time_t pivot;
	if (__builtin_add_overflow(ts.tv_sec, (time_t)off, &pivot))
		return 0;

	uint64_t ntp = ntp_ts_from_timespec(&ts);
	/* The era-relative seconds are the time's, modulo 2^32. */
	CHECK((uint32_t)(ntp >> 32) ==
	      (uint32_t)((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET));
	struct timespec back = ntp_ts_to_timespec(ntp, pivot);
	CHECK(back.tv_sec == ts.tv_sec);
	CHECK(back.tv_nsec == ts.tv_nsec);
	CHECK(back.tv_nsec >= 0 && back.tv_nsec < 1000000000);

	/* Any 64-bit timestamp resolves within 2^31 s of any pivot, with
	 * the same era-relative seconds, when that is representable. */
	uint64_t any = take(&in, 8);
	time_t lo, hi;
	if (!__builtin_sub_overflow(pivot, (time_t)1 << 31, &lo) &&
	    !__builtin_add_overflow(pivot, (time_t)1 << 31, &hi)) {
		struct timespec t = ntp_ts_to_timespec(any, pivot);
		CHECK(t.tv_sec >= lo && t.tv_sec <= hi);
		CHECK(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
		/* A fraction within half a nanosecond of the next second
		 * (0xfffffffe and up) rounds up into it. */
		uint32_t s = (uint32_t)(ntp_ts_from_timespec(&t) >> 32);
		if ((uint32_t)any >= 0xfffffffeu)
			CHECK(s == (uint32_t)(any >> 32) + 1 && t.tv_nsec == 0);
		else
			CHECK(s == (uint32_t)(any >> 32));
	}

	/* Any timestamp, any pivot, to either end of time_t: no overflow,
	 * a normalized result with the timestamp's era-relative second,
	 * within 2^32 s of the pivot. */
	time_t anyp = (time_t)(int64_t)take(&in, 8);
	struct timespec u = ntp_ts_to_timespec(any, anyp);
	CHECK(u.tv_nsec >= 0 && u.tv_nsec < 1000000000);
	uint32_t us = (uint32_t)(ntp_ts_from_timespec(&u) >> 32);
	CHECK(us == (uint32_t)(any >> 32) ||
	      us == (uint32_t)(any >> 32) + 1 ||
	      (u.tv_sec == INT64_MAX && u.tv_nsec == 999999999));
	__int128 dist = (__int128)u.tv_sec - anyp;
	CHECK(dist > -((__int128)1 << 32) && dist <= ((__int128)1 << 32));
	return 0;
}
