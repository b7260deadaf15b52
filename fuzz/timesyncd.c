/* SPDX-License-Identifier: ISC */
/* Fuzz timesyncd's record in the state file and the header from it
 * (common/proto/timesyncd.c). Input: 8 bytes of "now" (µs since 1970),
 * then the record. Any input: no crash, no read past it. An accepted
 * record: encoded again, the same bytes (one view, one encoding); its
 * header synchronised at stratum 2..15 with the server's address as
 * reference ID, a root delay and dispersion never under the server's,
 * or the alarm condition; --dump's line whole. */
#include <string.h>

#include "../common/proto/timesyncd.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint64_t now = take(&in, 8);
	struct tsd_view v;
	if (!tsd_decode(in.p, in.left, &v))
		return 0;
	CHECK(in.left == TSD_RECORD_LEN);
	uint8_t again[TSD_RECORD_LEN];
	tsd_encode(&v, again);
	CHECK(memcmp(again, in.p, TSD_RECORD_LEN) == 0);
	CHECK(tsd_fits(&v.m));
	struct ntp_server_state st;
	tsd_state(&v, now, -20, &st);
	if (st.synchronized) {
		CHECK(tsd_synchronised(&v, now));
		CHECK(st.stratum >= 2 && st.stratum <= 15);
		CHECK(st.stratum == v.m.stratum + 1 && st.leap == v.m.leap);
		CHECK(st.refid == tsd_refid(&v) && v.family != 0);
		CHECK(st.rootdelay >= ntp_short_from_seconds((double)v.m.root_delay_us / 1e6));
		CHECK(st.rootdisp >= ntp_short_from_seconds((double)v.m.root_dispersion_us / 1e6 +
							    TSD_MINDISP));
	} else {
		CHECK(st.stratum == 0 && st.refid == 0 && st.rootdisp == 0);
	}
	char buf[200];
	size_t n = tsd_describe(&v, now, buf, sizeof buf);
	CHECK(n > 0 && n < sizeof buf && buf[n - 1] == '\n' && strlen(buf) == n);
	CHECK(memchr(buf, '\n', n) == buf + n - 1);
	n = tsd_describe(&v, now, buf, 16);
	CHECK(n == 15 && strlen(buf) == 15);
	return 0;
}
