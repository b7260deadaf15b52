/* Fuzz the NTS-KE record codec (nts-ke-tcp's request path): read a
 * request, build the response, decode both.
 *
 * Input: one flags byte (bit 0: final, bit 1: send Server and Port
 * records), then the request bytes (at most NTSKE_REQUEST_MAX).
 * Invariants: a final request is always decided; a decided request
 * ends at an End of Message record within the input, and its first
 * r.len bytes alone get the same verdict; the response is whole
 * records ending with End of Message, 8 cookies exactly when the
 * request was good, one Error record for a refusal; the text dumps stay
 * within their buffers. Seeds (fuzz/corpus/ntske, made by hand): chrony's
 * request, final and not, with Server and Port wishes, and one request of
 * each refusal class of tests/nts-ke.bats. */
#include <string.h>

#include "../common/ntske.h"
#include "input.h"

static int count(const uint8_t *m, size_t n, uint16_t type, bool *whole,
		 struct ntske_record *last)
{
	struct ntske_record rec;
	size_t off = 0;
	int k = 0;
	while (ntske_record_next(m, n, &off, &rec)) {
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
	size_t len = in.left > NTSKE_REQUEST_MAX ? NTSKE_REQUEST_MAX : in.left;
	const uint8_t *req = in.p;
	bool final = flags & 1;

	struct ntske_request r;
	ntske_request_read(req, len, final, &r);
	if (final)
		CHECK(r.verdict != NTSKE_INCOMPLETE);
	if (r.verdict == NTSKE_INCOMPLETE)
		return 0;
	CHECK(r.len <= len);
	CHECK((r.verdict == NTSKE_OK) == (r.why == NULL));

	struct ntske_record last = { 0 };
	bool whole;
	if (!(r.why && !strcmp(r.why, "no end of message"))) {
		/* Decided at an End of Message: whole records up to it. */
		count(req, r.len, NTSKE_END, &whole, &last);
		CHECK(whole && last.type == NTSKE_END);
		struct ntske_request again;
		ntske_request_read(req, r.len, false, &again);
		CHECK(again.verdict == r.verdict && again.len == r.len);
	}

	static uint8_t cookies[NTSKE_COOKIES * 100], out[2048];
	struct ntske_server s = { "ntp.example.org", 4123 };
	size_t n = ntske_response(&r, flags & 2 ? &s : NULL, cookies, 100, out,
				  sizeof out);
	CHECK(n > 0 && n <= sizeof out);
	int k = count(out, n, NTSKE_NEW_COOKIE, &whole, &last);
	CHECK(whole && last.type == NTSKE_END && last.critical && last.len == 0);
	CHECK(k == (r.verdict == NTSKE_OK ? NTSKE_COOKIES : 0));
	bool refusal = r.verdict == NTSKE_UNRECOGNIZED ||
		       r.verdict == NTSKE_BAD_REQUEST || r.verdict == NTSKE_INTERNAL;
	CHECK(count(out, n, NTSKE_ERROR, &whole, &last) == (refusal ? 1 : 0));

	char text[256];
	size_t t = ntske_describe(req, len, text, sizeof text);
	CHECK(t < sizeof text && text[t] == 0);
	t = ntske_describe(out, n, text, sizeof text);
	CHECK(t < sizeof text && text[t] == 0);
	return 0;
}
