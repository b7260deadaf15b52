/* SPDX-License-Identifier: ISC */
/* symkey: symmetric-key authentication of NTP packets (RFC 5905 §7.3
 * and §9.2, RFC 8573), with the key file that chrony and ntpd share.
 * Pure: the file's text and the packets are handed in; Nettle hashes.
 *
 * A key file line is "ID TYPE KEY" or "ID KEY" (TYPE then MD5, as
 * chrony). ID: 1 to 2^32-1. TYPE (any case): MD5 (or ntpd's M), SHA1,
 * SHA256, SHA384, SHA512: the classic MAC, H(key ‖ packet); AES128,
 * AES256 (ntpsec: AES128CMAC): CMAC (RFC 8573), the key exactly 16 or
 * 32 bytes. KEY: "HEX:" and hex digits, "ASCII:" and the key, or the
 * key in printable ASCII (chrony's reading: ntpd's keys of over 20
 * characters, which ntpd reads as hex, need "HEX:" here). Blank lines
 * and lines whose first non-blank is # ! ; or % are comments, and so
 * is a fourth word starting with # (ntpd). Anything else is an error
 * naming the line, and the whole file is refused: a file half read
 * could answer under a key the administrator meant to change.
 *
 * The MAC of a request: key ID (4, big-endian) ‖ digest, after the
 * header and, in NTPv4, after any extension fields (RFC 7822): the
 * first place where what is left is 24 bytes or less is the MAC. Its
 * digest must be exactly min(digest length, 20) bytes in NTPv4 (chrony
 * and ntpsec cut longer digests to 20 there) and the whole digest in
 * NTPv1-3; a reply's MAC is as long as its request's. */
#ifndef SOCKCLOCK_SYMKEY_H
#define SOCKCLOCK_SYMKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKEY_KEY_MAX 128	/* bytes of one key */
#define SKEY_DIGEST_MAX 64	/* SHA512 */
#define SKEY_V4_DIGEST_MAX 20	/* NTPv4: longer digests are cut */
#define SKEY_V4_FIELD_MAX 24	/* NTPv4: key ID + digest, RFC 7822 */
#define SKEY_MAX 1024		/* keys in one file */
#define SKEY_FILE_MAX (256 * 1024)

enum skey_type { SKEY_MD5 = 1, SKEY_SHA1, SKEY_SHA256, SKEY_SHA384,
		 SKEY_SHA512, SKEY_AES128, SKEY_AES256 };

struct skey {
	uint32_t id;
	uint8_t type;		/* enum skey_type */
	uint8_t len;		/* of key */
	uint8_t key[SKEY_KEY_MAX];
};

struct skey_set {
	size_t n;
	struct skey k[SKEY_MAX];	/* sorted by id */
	/* The file it was read from, to notice a change (symkeyfile). */
	uint64_t file_dev, file_ino;
	int64_t file_mtime_ns, file_size;
};

/* Parse the key file's text (len bytes): true with *set, or false with
 * *set empty and why (e.g. "line 3: AES128 key of 15 bytes, want 16").
 * *set: all zeros or from an earlier parse (only its keys are wiped:
 * the whole set is 137 KiB a process would fault in for nothing). */
bool skey_parse(const char *text, size_t len, struct skey_set *set,
		char *why, size_t why_cap);

/* Wipe the keys of *set and empty it. */
void skey_clear(struct skey_set *set);

const struct skey *skey_find(const struct skey_set *set, uint32_t id);
size_t skey_digest_len(enum skey_type t);
const char *skey_type_name(enum skey_type t);

/* The whole digest of msg (len bytes) under k into out; its length. */
size_t skey_digest(const struct skey *k, const uint8_t *msg, size_t len,
		   uint8_t out[SKEY_DIGEST_MAX]);

/* Where a request's MAC is. */
enum skey_where {
	SKEY_NONE,	/* no MAC: a plain request (extension fields or not) */
	SKEY_FOUND,	/* *m filled */
	SKEY_MALFORMED,	/* trailing bytes that are neither fields nor a MAC:
			 * an NTPv4 MAC over 24 bytes, under 4 bytes of
			 * them, or a badly formed field */
};
struct skey_mac {
	size_t off;		/* of the key ID: the MAC covers [0, off) */
	uint32_t id;
	size_t digest_len;	/* bytes after the key ID */
	uint8_t version;
};
enum skey_where skey_locate(const uint8_t *pkt, size_t len,
			    struct skey_mac *m);

/* Verify the request's MAC located in *m: SKEY_OK, or why not. */
enum skey_verdict { SKEY_OK, SKEY_UNKNOWN_KEY, SKEY_BAD_LENGTH, SKEY_BAD_MAC };
enum skey_verdict skey_verify(const struct skey_set *set, const uint8_t *pkt,
			      const struct skey_mac *m, const struct skey **k);

/* Append the MAC of reply[0, len) under k, digest_len bytes (the
 * request's), at reply + len; the new length. */
size_t skey_sign(const struct skey *k, uint8_t *reply, size_t len,
		 size_t digest_len);

/* Constant time: whether a and b (n bytes) are equal. */
bool skey_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
