/* SPDX-License-Identifier: ISC */
/* Fuzz the NTS-KE record codec (nts-ke-tcp's request path): read a
 * request, build the response, decode both.
 *
 * Input: one flags byte (bit 0: final, bit 1: send Server and Port
 * records), then the request bytes (at most KEREC_REQUEST_MAX).
 * Invariants: a final request is always decided; a decided request
 * ends at an End of Message record within the input, and its first
 * r.len bytes alone get the same verdict; the response is whole
 * records ending with End of Message, 8 cookies exactly when the
 * request was good, one Error record for a refusal; the text dumps stay
 * within their buffers. Seeds (fuzz/corpus/kerecords, made by hand): chrony's
 * request, final and not, with Server and Port wishes, and one request of
 * each refusal class of tests/nts-ke.bats. */
#include <string.h>

#include "../common/proto/kerecords.h"
#include "input.h"

static int count(const uint8_t *m, size_t n, uint16_t type, bool *whole,
		 struct kerec_record *last)
{
	struct kerec_record rec;
	size_t off = 0;
	int k = 0;
	while (kerec_record_next(m, n, &off, &rec)) {
		k += rec.type == type;
		*last = rec;
	}
	*whole = off == n;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned flags = (unsigned)take(&in, 1);
	size_t len = in.left > KEREC_REQUEST_MAX ? KEREC_REQUEST_MAX : in.left;
	const uint8_t *req = in.p;
	bool final = flags & 1;

	struct kerec_request r;
	kerec_request_read(req, len, final, &r);
	if (final)
		CHECK(r.verdict != KEREC_INCOMPLETE);
	if (r.verdict == KEREC_INCOMPLETE)
		return 0;
	CHECK(r.len <= len);
	CHECK((r.verdict == KEREC_OK) == (r.why == NULL));

	struct kerec_record last = { 0 };
	bool whole;
	if (!(r.why && !strcmp(r.why, "no end of message"))) {
		/* Decided at an End of Message: whole records up to it. */
		count(req, r.len, KEREC_END, &whole, &last);
		CHECK(whole && last.type == KEREC_END);
		struct kerec_request again;
		kerec_request_read(req, r.len, false, &again);
		CHECK(again.verdict == r.verdict && again.len == r.len);
	}

	static uint8_t cookies[KEREC_COOKIES * 100], out[2048];
	struct kerec_server s = { "ntp.example.org", 4123 };
	size_t n = kerec_response(&r, flags & 2 ? &s : NULL, cookies, 100, out,
				  sizeof out);
	CHECK(n > 0 && n <= sizeof out);
	int k = count(out, n, KEREC_NEW_COOKIE, &whole, &last);
	CHECK(whole && last.type == KEREC_END && last.critical && last.len == 0);
	CHECK(k == (r.verdict == KEREC_OK ? KEREC_COOKIES : 0));
	bool refusal = r.verdict == KEREC_UNRECOGNIZED ||
		       r.verdict == KEREC_BAD_REQUEST || r.verdict == KEREC_INTERNAL;
	CHECK(count(out, n, KEREC_ERROR, &whole, &last) == (refusal ? 1 : 0));

	char text[256];
	size_t t = kerec_describe(req, len, text, sizeof text);
	CHECK(t < sizeof text && text[t] == 0);
	t = kerec_describe(out, n, text, sizeof text);
	CHECK(t < sizeof text && text[t] == 0);
	return 0;
}
