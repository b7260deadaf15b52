/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/kerecords.c: each request class of RFC 8915 §4.1
 * (and chrony's bad-request rules) gets its answer; responses byte for
 * byte; incomplete messages; the exporter context; describe. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/kerecords.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Records from a compact text: "C1:0000 4:000f C0:" = critical type 1
 * body 00 00, type 4 body 00 0f, critical End of Message. */
static size_t build(const char *spec, uint8_t *out)
{
	size_t n = 0;
	char *copy = strdup(spec), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		bool crit = *t == 'C';
		if (crit)
			t++;
		char *colon = strchr(t, ':');
		unsigned type = (unsigned)strtoul(t, NULL, 10);
		size_t hexlen = colon ? strlen(colon + 1) : 0;
		out[n] = (uint8_t)((crit ? 0x80 : 0) | type >> 8);
		out[n + 1] = (uint8_t)type;
		out[n + 2] = (uint8_t)(hexlen / 2 >> 8);
		out[n + 3] = (uint8_t)(hexlen / 2);
		for (size_t i = 0; i < hexlen / 2; i++) {
			unsigned v;
			sscanf(colon + 1 + 2 * i, "%2x", &v);
			out[n + 4 + i] = (uint8_t)v;
		}
		n += 4 + hexlen / 2;
	}
	free(copy);
	return n;
}

static const struct {
	const char *req;
	enum kerec_verdict want;
	const char *why;
} classes[] = {
	{ "C1:0000 C4:000f C0:", KEREC_OK, "chrony's request" },
	{ "C1:0000 4:000f C0:", KEREC_OK, "AEAD record not critical" },
	{ "C1:80000000 C4:0001000f C0:", KEREC_OK, "several offers" },
	{ "C1:0000 C4:000f 6:6e 7:0123 C0:", KEREC_OK, "server, port wishes" },
	{ "C1:0000 C4:000f C6:6e C7:0123 C0:", KEREC_OK, "critical wishes" },
	{ "C1:0000 C4:000f 999:abcd C0:", KEREC_OK, "unknown, not critical" },
	{ "C1:0000 C4:000f C999:abcd C0:", KEREC_UNRECOGNIZED, "unknown critical" },
	{ "C1:0000 C4:000f C0: C999:", KEREC_OK, "after the end: not read" },
	{ "C4:000f C0:", KEREC_BAD_REQUEST, "no next protocol" },
	{ "C1:0000 C1:0000 C4:000f C0:", KEREC_BAD_REQUEST, "two next protocols" },
	{ "1:0000 C4:000f C0:", KEREC_BAD_REQUEST, "next protocol not critical" },
	{ "C1: C4:000f C0:", KEREC_BAD_REQUEST, "next protocol empty" },
	{ "C1:000000 C4:000f C0:", KEREC_BAD_REQUEST, "next protocol odd" },
	{ "C1:0000 C0:", KEREC_BAD_REQUEST, "no AEAD record" },
	{ "C1:0000 C4:000f C4:000f C0:", KEREC_BAD_REQUEST, "two AEAD records" },
	{ "C1:0000 C4: C0:", KEREC_BAD_REQUEST, "AEAD empty" },
	{ "C1:0000 C4:000f00 C0:", KEREC_BAD_REQUEST, "AEAD odd" },
	{ "C1:0000 C4:000f C2:0000 C0:", KEREC_BAD_REQUEST, "error record" },
	{ "C1:0000 C4:000f 3:0000 C0:", KEREC_BAD_REQUEST, "warning record" },
	{ "C1:0000 C4:000f 5:abcd C0:", KEREC_BAD_REQUEST, "cookie record" },
	{ "C1:0000 C4:000f 0:", KEREC_BAD_REQUEST, "end not critical" },
	{ "C1:0000 C4:000f C0:00", KEREC_BAD_REQUEST, "end not empty" },
	{ "C1:0000 C4:000f C999: C2:0000 C0:", KEREC_UNRECOGNIZED, "first refusal kept" },
	{ "C1:8000 C0:", KEREC_NO_PROTOCOL, "no protocol in common" },
	{ "C1:8000 C4:000f C0:", KEREC_NO_PROTOCOL, "no protocol, with AEAD" },
	{ "C1:0000 C4:0001 C0:", KEREC_NO_AEAD, "no AEAD in common" },
};

static void test_classes(void)
{
	uint8_t req[512];
	for (size_t i = 0; i < N(classes); i++) {
		size_t n = build(classes[i].req, req);
		struct kerec_request r;
		kerec_request_read(req, n, false, &r);
		CHECK_EQ(r.verdict, classes[i].want, "%s (%s)", classes[i].why,
			 classes[i].req);
		CHECK(r.verdict == KEREC_OK ? r.why == NULL : r.why != NULL,
		      "%s: a reason exactly for a refusal", classes[i].why);
	}
}

static void test_incomplete(void)
{
	uint8_t req[64];
	size_t n = build("C1:0000 C4:000f C0:", req);
	struct kerec_request r;
	for (size_t k = 0; k < n; k++) {
		kerec_request_read(req, k, false, &r);
		CHECK_EQ(r.verdict, KEREC_INCOMPLETE, "first %zu bytes, more to come", k);
		kerec_request_read(req, k, true, &r);
		CHECK_EQ(r.verdict, KEREC_BAD_REQUEST, "first %zu bytes, final", k);
	}
	kerec_request_read(req, n, false, &r);
	CHECK_EQ(r.verdict, KEREC_OK, "whole");
	CHECK_EQ(r.len, n, "length to the end record");
	/* A request larger than 1024 bytes is read whole (RFC 8915 §4). */
	uint8_t big[2048];
	size_t m = build("C1:0000 C4:000f", big);
	big[m] = 0x03; big[m + 1] = 0xe7; /* type 999, not critical */
	big[m + 2] = 0x05; big[m + 3] = 0xdc; /* 1500 bytes */
	memset(big + m + 4, 0xa5, 1500);
	m += 4 + 1500;
	m += build("C0:", big + m);
	kerec_request_read(big, m, false, &r);
	CHECK_EQ(r.verdict, KEREC_OK, "a request of %zu bytes", m);
}

static void expect_bytes(const uint8_t *got, size_t n, const char *spec,
			 const char *what)
{
	uint8_t want[2048];
	size_t w = build(spec, want);
	CHECK(n == w && memcmp(got, want, w) == 0, "%s: %zu bytes, want %zu",
	      what, n, w);
}

static void test_responses(void)
{
	uint8_t cookies[KEREC_COOKIES * 100], out[2048];
	for (size_t i = 0; i < sizeof cookies; i++)
		cookies[i] = (uint8_t)(i / 100 + 1);
	static const struct {
		enum kerec_verdict v;
		const char *want, *what;
	} refusals[] = {
		{ KEREC_UNRECOGNIZED, "C2:0000 C0:", "Error 0" },
		{ KEREC_BAD_REQUEST, "C2:0001 C0:", "Error 1" },
		{ KEREC_INTERNAL, "C2:0002 C0:", "Error 2" },
		{ KEREC_NO_PROTOCOL, "C1: C0:", "empty next protocol" },
		{ KEREC_NO_AEAD, "C1:0000 C4: C0:", "empty AEAD" },
	};
	struct kerec_request r;
	size_t n;
	for (size_t i = 0; i < N(refusals); i++) {
		r = (struct kerec_request){ .verdict = refusals[i].v };
		n = kerec_response(&r, NULL, cookies, 100, out, sizeof out);
		expect_bytes(out, n, refusals[i].want, refusals[i].what);
	}
	r.verdict = KEREC_INCOMPLETE;
	CHECK_EQ(kerec_response(&r, NULL, cookies, 100, out, sizeof out), 0,
		 "nothing for an incomplete request");

	r.verdict = KEREC_OK;
	struct kerec_server s = { "ntp.example", 1234 };
	n = kerec_response(&r, &s, cookies, 100, out, sizeof out);
	CHECK_EQ(n, 6 + 6 + 4 + 11 + 6 + 8 * 104 + 4, "OK with server and port");
	uint8_t head[64];
	size_t h = build("C1:0000 C4:000f C6:6e74702e6578616d706c65 C7:04d2", head);
	CHECK(n > h && memcmp(out, head, h) == 0, "negotiation records first");
	struct kerec_record rec;
	size_t off = h;
	for (int i = 0; i < KEREC_COOKIES; i++) {
		CHECK(kerec_record_next(out, n, &off, &rec) &&
			      rec.type == KEREC_NEW_COOKIE && !rec.critical &&
			      rec.len == 100 && rec.body[0] == i + 1 &&
			      rec.body[99] == i + 1,
		      "cookie %d in order, not critical", i);
	}
	CHECK(kerec_record_next(out, n, &off, &rec) && rec.type == KEREC_END &&
		      rec.critical && rec.len == 0 && off == n,
	      "End of Message last");
	struct kerec_server none = { NULL, 0 };
	n = kerec_response(&r, &none, cookies, 100, out, sizeof out);
	CHECK_EQ(n, 12 + 8 * 104 + 4, "OK without server or port");
	CHECK_EQ(kerec_response(&r, &s, cookies, 100, out, 800), 0,
		 "a buffer too small: nothing");
}

static void test_context(void)
{
	uint8_t c[5];
	static const uint8_t c2s[5] = { 0, 0, 0, 15, 0 }, s2c[5] = { 0, 0, 0, 15, 1 };
	kerec_exporter_context(false, c);
	CHECK(!memcmp(c, c2s, 5), "C2S context 0000 000f 00");
	kerec_exporter_context(true, c);
	CHECK(!memcmp(c, s2c, 5), "S2C context 0000 000f 01");
}

static void test_describe(void)
{
	uint8_t msg[64];
	char text[512];
	size_t n = build("C1:0000 C4:000f C2:0001 C6:6e7470 7:007b 5:aabb C0:", msg);
	kerec_describe(msg, n, text, sizeof text);
	CHECK_STR(text,
		  "next-protocol (critical): 0 (NTPv4)\n"
		  "aead-algorithm (critical): 15 (AEAD_AES_SIV_CMAC_256)\n"
		  "error (critical): 1 (bad request)\n"
		  "ntpv4-server (critical): ntp\n"
		  "ntpv4-port: 123\n"
		  "new-cookie: 2 bytes\n"
		  "end-of-message (critical)\n",
		  "describe");
	kerec_describe(msg, 3, text, sizeof text);
	CHECK_STR(text, "(3 bytes left that are no whole record)\n", "a torn header");
	char small[8];
	size_t k = kerec_describe(msg, n, small, sizeof small);
	CHECK(k < sizeof small && small[k] == 0, "bounded by its buffer");
}

int main(void)
{
	test_classes();
	test_incomplete();
	test_responses();
	test_context();
	test_describe();
	return check_summary();
}
