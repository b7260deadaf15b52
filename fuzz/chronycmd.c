/* SPDX-License-Identifier: ISC */
/* Fuzz chronyd's tracking reply parser (common/proto/chronycmd.c). Input: 4
 * bytes of the sequence number we sent, then the datagram. Any input:
 * no crash, no read past it. An accepted one: exactly a tracking reply
 * to that sequence, every field in its range, and the same bytes with
 * another sequence number are refused. Its header (upstream.c, aged by
 * the sequence's low 16 bits in ms): synchronised with a stratum of
 * 1..15, or LI 3; a dispersion never under the report's; --dump's
 * line whole. */
#include <math.h>
#include <string.h>

#include "../common/proto/chronycmd.h"
#include "../common/proto/upstream.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint32_t seq = (uint32_t)take(&in, 4);
	/* libFuzzer's buffer ends where the datagram does: ASan sees
	 * any read past it. */
	const uint8_t *w = in.p;
	struct cc_tracking t;
	enum cc_verdict v = cc_tracking_parse(w, in.left, seq, &t);
	CHECK(strcmp(cc_verdict_name(v), "?") != 0);
	if (v == CC_OK) {
		CHECK(in.left == CC_TRACKING_LEN);
		CHECK(w[0] == CC_PROTO_VERSION && w[1] == CC_PKT_REPLY);
		CHECK(t.stratum <= 16 && t.leap_status <= 3 && t.ip_family <= 3);
		CHECK(t.ref_time.tv_sec >= 0);
		CHECK(t.ref_time.tv_nsec >= 0 && t.ref_time.tv_nsec < 1000000000);
		const double f[] = {
			t.current_correction, t.last_offset, t.rms_offset,
			t.freq_ppm, t.resid_freq_ppm, t.skew_ppm,
			t.root_delay, t.root_dispersion, t.last_update_interval,
		};
		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
			CHECK(isfinite(f[i]));
		CHECK(t.root_delay >= 0 && t.root_dispersion >= 0 && t.skew_ppm >= 0);
		struct ntp_server_state st;
		up_state_from_tracking(&t, (seq & 0xffff) * 1e-3, -20, &st);
		if (st.synchronized) {
			CHECK(st.stratum >= 1 && st.stratum <= 15);
			CHECK(st.leap == t.leap_status && st.refid == t.ref_id);
			CHECK(st.rootdisp >= ntp_short_from_seconds(t.root_dispersion));
			CHECK(st.rootdelay == ntp_short_from_seconds(t.root_delay));
		} else {
			CHECK(t.leap_status == 3 || t.stratum == 0 || t.stratum == 16);
		}
		/* --dump's line: one line, NUL ended, even cut short. */
		char line[160];
		size_t n = up_describe("chrony 127.0.0.1:323", &t,
				       (seq & 0xffff) * 1e-3, line, sizeof line);
		CHECK(n > 0 && n < sizeof line && line[n] == 0 && line[n - 1] == '\n');
		CHECK(up_describe("x", &t, 0, line, 8) <= 7 && strlen(line) <= 7);
		CHECK(cc_tracking_parse(w, in.left, seq + 1, &t) == CC_BAD_SEQUENCE);
	}
	/* Our own request is never taken for a reply. */
	uint8_t rq[CC_REQUEST_LEN];
	cc_tracking_request(rq, seq);
	CHECK(cc_tracking_parse(rq, sizeof rq, seq, &t) != CC_OK);
	return 0;
}
