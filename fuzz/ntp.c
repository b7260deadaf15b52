/* SPDX-License-Identifier: ISC */
/* Fuzz request validation and reply building (sntp-udp's answer path).
 *
 * Input: a 40-byte prefix, then the request datagram itself (its exact
 * length is what ntp_request_check sees).
 *   0      family: even IPv4, odd IPv6
 *   1..16  source address (IPv4 uses 1..4)
 *   17..18 source port; 19 bit 0: unknown source (by hand, port -1)
 *   20     bit 0 synchronized, bits 1-2 leap, bit 3 also build a KoD
 *   21 stratum, 22 precision
 *   23..26 root delay, 27..30 root dispersion, 31..34 refid
 *   35..39 receive time: 5 bytes of seconds, signed around now-ish
 * nanoseconds of rx and the tx delay come from the low bits. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../common/proto/ntp.h"
#include "../common/proto/srcaddr.h"
#include "input.h"

#define PREFIX 40

/* The rules of SPEC.md, written again independently. */
static enum ntp_verdict oracle(const uint8_t *w, size_t len, int port,
			       bool bad)
{
	if (bad || port == 0)
		return NTP_DROP_SOURCE;
	if (len < 48 || len % 4)
		return NTP_DROP_LENGTH;
	int vn = (w[0] >> 3) & 7, mode = w[0] & 7;
	if (vn < 1 || vn > 4)
		return NTP_DROP_VERSION;
	if (mode == 3 || mode == 1)
		return NTP_OK;
	if (mode == 0 && vn == 1 && port != 123)
		return NTP_OK;
	return NTP_DROP_MODE;
}

static uint64_t get(const uint8_t *b, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}
#define get32(b) ((uint32_t)get(b, 4))
#define get64(b) get(b, 8)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < PREFIX)
		return 0;
	struct input in = { data, PREFIX };
	const uint8_t *req = data + PREFIX;
	size_t len = size - PREFIX;

	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	bool v6 = take(&in, 1) & 1;
	uint8_t addr[16];
	for (int i = 0; i < 16; i++)
		addr[i] = (uint8_t)take(&in, 1);
	uint16_t port16 = (uint16_t)take(&in, 2);
	bool unknown = take(&in, 1) & 1;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
		s6->sin6_port = htons(port16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
		s4->sin_port = htons(port16);
	}
	const struct sockaddr *peer = unknown ? NULL : (struct sockaddr *)&ss;
	/* As sntp-udp derives them. */
	int port = peer ? srcaddr_port(peer) : -1;
	bool bad = peer && srcaddr_addr_is_bad(peer);
	CHECK(!peer || port == port16);
	if (peer && !v6) {
		uint8_t top = addr[0];
		CHECK(bad == (top == 0 || top == 255 || (top & 0xf0) == 224));
	}
	/* daytime-udp's loop rule implies the bad-address rule. */
	CHECK(!peer || !bad || srcaddr_is_loop_risk(peer));
	CHECK(!peer || port16 >= 1024 || srcaddr_is_loop_risk(peer));

	uint8_t flags = (uint8_t)take(&in, 1);
	struct ntp_server_state st = {
		.synchronized = flags & 1,
		.leap = (enum ntp_leap)((flags >> 1) & 3),
		.stratum = (uint8_t)take(&in, 1),
		.precision = (int8_t)take(&in, 1),
		.rootdelay = (uint32_t)take(&in, 4),
		.rootdisp = (uint32_t)take(&in, 4),
		.refid = (uint32_t)take(&in, 4),
	};
	uint64_t r = take(&in, 5);
	/* Any second within about 8700 years of 1970. */
	struct timespec rx = {
		.tv_sec = (time_t)(int64_t)(r >> 1) - (time_t)(1LL << 38),
		.tv_nsec = (long)((r * 2654435761u) % 1000000000u),
	};
	struct timespec tx = rx;
	tx.tv_nsec += (long)(r % 1000000);
	if (tx.tv_nsec >= 1000000000) {
		tx.tv_nsec -= 1000000000;
		tx.tv_sec++;
	}

	enum ntp_verdict v = ntp_request_check(req, len, port, bad);
	CHECK(v == oracle(req, len, port, bad));
	CHECK(ntp_verdict_name(v) != NULL);
	if (v != NTP_OK)
		return 0;

	/* The server sees at most its buffer's worth of the request. */
	CHECK(len >= NTP_HEADER_LEN);
	struct ntp_packet q, rep;
	uint8_t out[NTP_HEADER_LEN];
	ntp_decode(req, &q);
	ntp_reply_build(&q, &st, &rx, &rep);
	ntp_encode(&rep, out);
	ntp_reply_stamp(out, &tx);

	size_t out_len = sizeof out;
	CHECK(out_len == 48 && out_len <= len);
	CHECK(memcmp(out + 24, req + 40, 8) == 0);	/* origin, bit for bit */
	CHECK(((out[0] >> 3) & 7) == ((req[0] >> 3) & 7));	/* VN */
	int rmode = out[0] & 7, qmode = req[0] & 7;
	CHECK(rmode == (qmode == 1 ? 2 : 4));
	CHECK(out[2] == req[2]);			/* poll */
	CHECK((int8_t)out[3] == st.precision);
	/* The lowest bits mark them (interleaved mode): transmit 0, so
	 * never later than read; receive 1. */
	CHECK(get64(out + 40) == (ntp_ts_from_timespec(&tx) & ~(uint64_t)1));
	CHECK(get64(out + 32) == (ntp_ts_from_timespec(&rx) | 1));
	uint64_t ref = get64(out + 16);
	int li = out[0] >> 6;
	if (!st.synchronized) {
		CHECK(li == 3 && out[1] == 0);
		CHECK(ref == 0 && get32(out + 12) == 0);
		CHECK(get32(out + 4) == 1 << 16 && get32(out + 8) == 1 << 16);
	} else {
		CHECK(li == (int)st.leap && out[1] == st.stratum);
		CHECK(get32(out + 12) == st.refid);
		CHECK(get32(out + 4) == st.rootdelay);
		CHECK(get32(out + 8) == st.rootdisp);
		/* Set (0 means never synchronised), a whole second, never
		 * after the transmit time (resolved near rx): rx's second,
		 * or the one before where that second would encode as 0. */
		CHECK(ref != 0);
		struct timespec rt = ntp_ts_to_timespec(ref, rx.tv_sec);
		CHECK(rt.tv_sec <= tx.tv_sec && rt.tv_nsec == 0);
		struct timespec whole = { .tv_sec = rx.tv_sec, .tv_nsec = 0 };
		if (ntp_ts_from_timespec(&whole) == 0)
			CHECK(rt.tv_sec == rx.tv_sec - 1);
		else
			CHECK(rt.tv_sec == rx.tv_sec);
	}
	/* Over the rate limit: the kiss-o'-death to the same request is
	 * no larger, says RATE, and carries no time but the request's. */
	if (flags & 8) {
		struct ntp_packet kod;
		uint8_t k[NTP_HEADER_LEN];
		ntp_kod_build(&q, "RATE", &kod);
		ntp_encode(&kod, k);
		CHECK(sizeof k <= len);
		CHECK(k[0] >> 6 == 3 && k[1] == 0 && memcmp(k + 12, "RATE", 4) == 0);
		CHECK(((k[0] >> 3) & 7) == ((req[0] >> 3) & 7));
		CHECK((k[0] & 7) == (qmode == 1 ? 2 : 4));
		CHECK(memcmp(k + 24, req + 40, 8) == 0);
		CHECK(memcmp(k + 32, req + 40, 8) == 0 && memcmp(k + 40, req + 40, 8) == 0);
		CHECK(get64(k + 16) == 0);
	}

	/* The round trip through the codec is exact. */
	struct ntp_packet back;
	uint8_t again[NTP_HEADER_LEN];
	ntp_decode(out, &back);
	ntp_encode(&back, again);
	CHECK(memcmp(out, again, sizeof out) == 0);
	return 0;
}
