/* SPDX-License-Identifier: ISC */
/* Fuzz the NTS extension-field parser and the NTS answer (sntp-udp's
 * path for a request with fields). Input: the datagram itself.
 * Invariants: a request the parser accepts is a client request (mode 3)
 * with its fields inside the packet, an identifier of 32 bytes or more,
 * exactly one cookie, the authenticator last, nonce plus Additional
 * Padding of 16 bytes or more; what is verified under the fixed C2S
 * (the seeds are) gets a reply exactly as long as the request, sealed,
 * whose identifier is the request's, with one cookie for the cookie and
 * each placeholder, in clear or encrypted, up to 8: all of them fit; a
 * NAK is never longer than the request. */
#include <string.h>

#include "../common/proto/bytes.h"
#include "../common/proto/ntp.h"
#include "../common/proto/ntsntp.h"
#include "input.h"
#include "ntsfixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nts_keys ks;
	static uint8_t c2s[32], s2c[32];
	static uint8_t reply[1500 + 64];
	if (ks.slot[0].id == 0)
		nts_fixed(&ks, c2s, s2c);
	if (size < NTP_HEADER_LEN || size % 4 || size > 1280)
		return 0; /* sntp-udp drops these before the fields */

	struct nts_request r;
	enum nts_kind k = ntsntp_parse(data, size, &r);
	CHECK(k == NTS_PLAIN || k == NTS_REQUEST || k == NTS_MALFORMED);
	if (k != NTS_REQUEST)
		return 0;
	CHECK(r.uid_len >= NTS_UID_MIN && r.uid_off + r.uid_len <= size);
	CHECK(r.cookie_off + r.cookie_len <= size);
	CHECK((data[0] & 7) == NTP_MODE_CLIENT && (data[0] >> 3 & 7) == 4);
	CHECK(r.auth_off < size && r.nonce_len >= 1);
	CHECK(r.ct_off + r.ct_len <= size && r.ct_len >= NTS_TAG_LEN);
	size_t pos = r.auth_off;
	struct nts_ef ef;
	CHECK(ntsntp_ef_next(data, size, &pos, &ef) == NTS_EF_FIELD);
	CHECK(ef.type == NTS_EF_AUTH && pos == size);
	size_t used = 8 + pad4(r.nonce_len) + pad4(r.ct_len);
	CHECK(used <= ef.len && pad4(r.nonce_len) + (ef.len - used) >= NTS_NONCE_REQ);

	size_t nak = ntsntp_nak_build(reply, data, &r);
	CHECK(nak <= size);

	uint8_t a[32], b[32];
	if (!ntscookie_open(&ks, data + r.cookie_off, r.cookie_len, a, b) ||
	    ntsntp_verify(data, &r, a) != NTS_AUTH_OK)
		return 0;
	uint8_t nonces[NTS_COOKIES_MAX * 16] = { 0 }, nonce[16] = { 0 };
	struct nts_seal seal;
	memset(reply, 0, NTP_HEADER_LEN);
	unsigned c = ntsntp_reply_cookies(&r, size);
	unsigned want = 1 + r.placeholders + r.enc_placeholders;
	CHECK(c == (want < NTS_COOKIES_MAX ? want : NTS_COOKIES_MAX));
	size_t n = ntsntp_reply_build(reply, size, data, &r,
				      ckeys_current(&ks), a, b, nonces, &seal);
	CHECK(n == (c ? size : 0));
	if (n == 0)
		return 0;
	ntsntp_reply_seal(reply, &seal, nonce);
	CHECK(!memcmp(reply + 52, data + r.uid_off, r.uid_len));
	CHECK(seal.auth_off < n);
	return 0;
}
