/* SPDX-License-Identifier: ISC */
/* ntsntp: NTS for NTP on the server's side (RFC 8915 §5), over the
 * extension fields of RFC 7822. Pure: the packet, the keys and the
 * nonces are handed in; AES-SIV-CMAC-256 (Nettle) does the sealing.
 *
 * An extension field: type (2) ‖ length (2, the whole field, a multiple
 * of 4, 16 or more) ‖ body. An NTS request is an NTPv4 packet whose
 * fields hold one Unique Identifier (body 32 bytes or more), exactly one
 * NTS Cookie, any number of Cookie Placeholders (bodies as long as the
 * cookie), and last the Authenticator and Encrypted Extension Fields:
 * nonce length (2) ‖ ciphertext length (2) ‖ nonce, padded to 4 ‖
 * ciphertext (16-byte SIV tag ‖ encrypted fields), padded to 4 ‖ any
 * padding. Its associated data is the packet up to that field. */
#ifndef SOCKCLOCK_NTSNTP_H
#define SOCKCLOCK_NTSNTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntscookie.h"

#define NTS_EF_UID 0x0104
#define NTS_EF_COOKIE 0x0204
#define NTS_EF_PLACEHOLDER 0x0304
#define NTS_EF_AUTH 0x0404

#define NTS_EF_MIN 16		/* RFC 7822 §7.5 */
#define NTS_UID_MIN 32		/* RFC 8915 §5.3 */
/* RFC 8915 §5.6: the client's nonce may be as short as 1 byte (AES-SIV
 * takes any), but its length plus the Additional Padding after the
 * ciphertext must reach N_REQ = min(16, N_MAX) = 16: what keeps a reply
 * with our 16-byte nonce within the request's length. */
#define NTS_NONCE_REQ 16
#define NTS_NONCE_LEN 16	/* ours: the reply's */
#define NTS_TAG_LEN 16
/* New cookies in one reply at most (chrony asks for up to 8). */
#define NTS_COOKIES_MAX 8

/* One field of a packet: its type, where it starts, its whole length. */
struct nts_ef {
	uint16_t type;
	size_t off, len;
};

enum nts_ef_step { NTS_EF_END, NTS_EF_FIELD, NTS_EF_BAD };
/* The field at *pos of a packet of len bytes (fields start at 48):
 * NTS_EF_FIELD with *pos moved past it, NTS_EF_END at the packet's end,
 * NTS_EF_BAD when what is left is no well-formed field (ef->type then
 * holds the type when it could be read, else 0). */
enum nts_ef_step ntsntp_ef_next(const uint8_t *pkt, size_t len, size_t *pos,
				struct nts_ef *ef);

/* What the fields of a request say. */
enum nts_kind {
	NTS_PLAIN,	/* no NTS field: an ordinary request */
	NTS_REQUEST,	/* a well-formed NTS request, *r filled */
	NTS_MALFORMED,	/* NTS fields, badly formed: silence */
};

struct nts_request {
	size_t uid_off, uid_len;	/* the Unique Identifier's body */
	size_t cookie_off, cookie_len;	/* the cookie's body */
	unsigned placeholders;
	size_t auth_off;		/* where the authenticator starts */
	size_t nonce_off, nonce_len;
	size_t ct_off, ct_len;
	unsigned enc_placeholders;	/* inside the authenticator: set by
					 * ntsntp_verify */
};

/* Classify a request of len bytes (a multiple of 4, 48 or more). Only
 * NTPv4 carries fields (RFC 7822): an NTPv1-3 request is plain whatever
 * follows its header. Unknown fields are skipped. A malformed field in
 * a request with no NTS field so far is taken as plain (a legacy MAC,
 * say), as before NTS. NTS fields in any mode but client (3) are
 * malformed: RFC 8915 §5 is client-server only, as chrony. */
enum nts_kind ntsntp_parse(const uint8_t *pkt, size_t len,
			   struct nts_request *r);

/* The decrypted fields inside the authenticator (RFC 8915 §5.7): Cookie
 * Placeholders counted into *placeholders, each with a body as long as
 * the cookie (cookie_len); other fields ignored. False when plain[0..len)
 * is not a run of well-formed fields or a placeholder has another
 * length (chrony drops such a request). */
bool ntsntp_plain_parse(const uint8_t *plain, size_t len, size_t cookie_len,
			unsigned *placeholders);

enum nts_auth {
	NTS_AUTH_OK,		/* verified; r->enc_placeholders set */
	NTS_AUTH_FAILED,	/* not under this key: an NTS NAK */
	NTS_AUTH_MALFORMED,	/* verified, but its fields are not: silence */
};
/* Check the authenticator under the cookie's C2S key (AD: the packet up
 * to the authenticator), then the fields it encrypts. */
enum nts_auth ntsntp_verify(const uint8_t *pkt, struct nts_request *r,
			    const uint8_t c2s[NTS_KEY_LEN]);

/* What the last touch of a reply needs to seal it (ntsntp_reply_seal). */
struct nts_seal {
	uint8_t s2c[NTS_KEY_LEN];
	uint16_t auth_off, plain_len;
};

/* After the encoded NTP header in reply[0..48): the echoed Unique
 * Identifier and the authenticator field, holding 1 + placeholders (in
 * clear and encrypted) new cookies (fewer if they would not fit, never
 * more than NTS_COOKIES_MAX) sealed under m with cookie_nonces[i*16..],
 * in clear until sealed; padded to exactly req_len bytes. Returns the length
 * (req_len), or 0 when not even one cookie fits. */
size_t ntsntp_reply_build(uint8_t *reply, size_t req_len, const uint8_t *req,
			  const struct nts_request *r,
			  const struct nts_master *m,
			  const uint8_t c2s[NTS_KEY_LEN],
			  const uint8_t s2c[NTS_KEY_LEN],
			  const uint8_t *cookie_nonces, struct nts_seal *seal);
/* How many new cookies ntsntp_reply_build puts in (so as many nonces). */
unsigned ntsntp_reply_cookies(const struct nts_request *r, size_t req_len);

/* Seal a built reply (its header final: transmit timestamp included)
 * under S2C with a fresh nonce; the plaintext is encrypted in place. */
void ntsntp_reply_seal(uint8_t *reply, const struct nts_seal *seal,
		       const uint8_t nonce[NTS_NONCE_LEN]);

/* After a kiss-o'-death header in reply[0..48) ("NTSN"): the echoed
 * Unique Identifier. Returns the length. */
size_t ntsntp_nak_build(uint8_t *reply, const uint8_t *req,
			const struct nts_request *r);

#endif
