/* SPDX-License-Identifier: ISC */
/* ntske: NTS-KE records, RFC 8915 §4. */
#include "kerecords.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "bytes.h"

bool kerec_record_next(const uint8_t *msg, size_t len, size_t *off,
		       struct kerec_record *rec)
{
	if (*off > len || len - *off < KEREC_HEADER_LEN)
		return false;
	const uint8_t *p = msg + *off;
	uint16_t body = get16(p + 2);
	if (len - *off - KEREC_HEADER_LEN < body)
		return false;
	rec->critical = p[0] & 0x80;
	rec->type = get16(p) & 0x7fff;
	rec->len = body;
	rec->body = p + KEREC_HEADER_LEN;
	*off += KEREC_HEADER_LEN + (size_t)body;
	return true;
}

const char *kerec_type_name(uint16_t type)
{
	static const char *const names[] = {
		"end-of-message", "next-protocol", "error", "warning",
		"aead-algorithm", "new-cookie", "ntpv4-server", "ntpv4-port",
	};
	return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

static void refuse(struct kerec_request *r, enum kerec_verdict v,
		   const char *why)
{
	if (r->verdict == KEREC_INCOMPLETE) {
		r->verdict = v;
		r->why = why;
	}
}

/* Does a list of 16-bit ids (a Next Protocol or AEAD body) hold want? */
static bool offers(const struct kerec_record *rec, uint16_t want)
{
	for (size_t i = 0; i + 1 < rec->len; i += 2)
		if (get16(rec->body + i) == want)
			return true;
	return false;
}

void kerec_request_read(const uint8_t *req, size_t len, bool final,
			struct kerec_request *r)
{
	struct kerec_record rec;
	size_t off = 0;
	int protocols = 0, aeads = 0;
	bool ntpv4 = false, siv = false, ended = false;

	*r = (struct kerec_request){ .verdict = KEREC_INCOMPLETE };
	while (!ended && kerec_record_next(req, len, &off, &rec)) {
		/* The first refusal found is kept; the records are still
		 * read to find the end of the message. */
		switch (rec.type) {
		case KEREC_END:
			ended = true;
			if (!rec.critical || rec.len)
				refuse(r, KEREC_BAD_REQUEST,
				       "end of message not critical or not empty");
			break;
		case KEREC_NEXT_PROTOCOL:
			protocols++;
			if (!rec.critical || rec.len == 0 || rec.len % 2)
				refuse(r, KEREC_BAD_REQUEST,
				       "next protocol not critical, empty or odd");
			ntpv4 = ntpv4 || offers(&rec, KEREC_PROTO_NTPV4);
			break;
		case KEREC_AEAD:
			aeads++;
			if (rec.len == 0 || rec.len % 2)
				refuse(r, KEREC_BAD_REQUEST,
				       "AEAD algorithm record empty or odd");
			siv = siv || offers(&rec, KEREC_AEAD_SIV_CMAC_256);
			break;
		case KEREC_ERROR:
		case KEREC_WARNING:
		case KEREC_NEW_COOKIE:
			refuse(r, KEREC_BAD_REQUEST,
			       "error, warning or cookie record in a request");
			break;
		case KEREC_NTP_SERVER:
		case KEREC_NTP_PORT:
			break; /* a wish; this server decides */
		default:
			if (rec.critical && r->verdict == KEREC_INCOMPLETE) {
				r->bad_type = rec.type;
				refuse(r, KEREC_UNRECOGNIZED,
				       "unrecognized critical record");
			}
		}
	}
	if (!ended) {
		if (final) {
			r->verdict = KEREC_BAD_REQUEST;
			r->why = "no end of message";
			r->len = len;
		} else {
			r->verdict = KEREC_INCOMPLETE;
			r->why = NULL;
		}
		return;
	}
	r->len = off;
	if (protocols != 1)
		refuse(r, KEREC_BAD_REQUEST, "not exactly one next protocol record");
	else if (ntpv4 && aeads != 1)
		refuse(r, KEREC_BAD_REQUEST, "not exactly one AEAD algorithm record");
	else if (!ntpv4)
		refuse(r, KEREC_NO_PROTOCOL, "no protocol in common");
	else if (!siv)
		refuse(r, KEREC_NO_AEAD, "no AEAD algorithm in common");
	refuse(r, KEREC_OK, NULL);
}

/* Append one record; false when it does not fit. */
static bool put_record(uint8_t *out, size_t cap, size_t *n, uint16_t type,
		       const void *body, size_t len)
{
	if (len > 0xffff || cap - *n < KEREC_HEADER_LEN + len)
		return false;
	put16(out + *n, type);
	put16(out + *n + 2, (unsigned)len);
	if (len)
		memcpy(out + *n + KEREC_HEADER_LEN, body, len);
	*n += KEREC_HEADER_LEN + len;
	return true;
}

static bool put_id(uint8_t *out, size_t cap, size_t *n, uint16_t type,
		   unsigned id)
{
	uint8_t b[2];
	put16(b, id);
	return put_record(out, cap, n, type, b, 2);
}

size_t kerec_response(const struct kerec_request *r,
		      const struct kerec_server *s, const uint8_t *cookies,
		      size_t cookie_len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	bool ok = true;
	const uint16_t NP = KEREC_CRITICAL | KEREC_NEXT_PROTOCOL;
	const uint16_t AEAD = KEREC_CRITICAL | KEREC_AEAD;

	switch (r->verdict) {
	case KEREC_INCOMPLETE:
		return 0;
	case KEREC_UNRECOGNIZED:
		ok = put_id(out, cap, &n, KEREC_CRITICAL | KEREC_ERROR,
			    KEREC_ERR_UNRECOGNIZED);
		break;
	case KEREC_BAD_REQUEST:
		ok = put_id(out, cap, &n, KEREC_CRITICAL | KEREC_ERROR,
			    KEREC_ERR_BAD_REQUEST);
		break;
	case KEREC_INTERNAL:
		ok = put_id(out, cap, &n, KEREC_CRITICAL | KEREC_ERROR,
			    KEREC_ERR_INTERNAL);
		break;
	case KEREC_NO_PROTOCOL:
		ok = put_record(out, cap, &n, NP, NULL, 0);
		break;
	case KEREC_NO_AEAD:
		ok = put_id(out, cap, &n, NP, KEREC_PROTO_NTPV4) &&
		     put_record(out, cap, &n, AEAD, NULL, 0);
		break;
	case KEREC_OK:
		ok = put_id(out, cap, &n, NP, KEREC_PROTO_NTPV4) &&
		     put_id(out, cap, &n, AEAD, KEREC_AEAD_SIV_CMAC_256);
		if (ok && s && s->ntp_server)
			ok = put_record(out, cap, &n,
					KEREC_CRITICAL | KEREC_NTP_SERVER,
					s->ntp_server, strlen(s->ntp_server));
		if (ok && s && s->ntp_port)
			ok = put_id(out, cap, &n, KEREC_CRITICAL | KEREC_NTP_PORT,
				    (unsigned)s->ntp_port);
		for (int i = 0; ok && i < KEREC_COOKIES; i++)
			ok = put_record(out, cap, &n, KEREC_NEW_COOKIE,
					cookies + (size_t)i * cookie_len,
					cookie_len);
		break;
	}
	if (!ok || !put_record(out, cap, &n, KEREC_CRITICAL | KEREC_END, NULL, 0))
		return 0;
	return n;
}

void kerec_exporter_context(bool s2c, uint8_t ctx[5])
{
	put16(ctx, KEREC_PROTO_NTPV4);
	put16(ctx + 2, KEREC_AEAD_SIV_CMAC_256);
	ctx[4] = s2c ? 1 : 0;
}

/* Append to a bounded text; keeps it NUL-ended and never overruns. */
__attribute__((format(printf, 4, 5))) static void
say(char *out, size_t cap, size_t *n, const char *fmt, ...)
{
	if (*n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(out + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k < cap - *n ? (size_t)k : cap - *n - 1;
}

static const char *code_name(uint16_t type, uint16_t v)
{
	if (type == KEREC_NEXT_PROTOCOL)
		return v == KEREC_PROTO_NTPV4 ? " (NTPv4)" : "";
	if (type == KEREC_AEAD)
		return v == KEREC_AEAD_SIV_CMAC_256 ? " (AEAD_AES_SIV_CMAC_256)" : "";
	if (type == KEREC_ERROR)
		return v == KEREC_ERR_UNRECOGNIZED ? " (unrecognized critical record)" :
		       v == KEREC_ERR_BAD_REQUEST  ? " (bad request)" :
		       v == KEREC_ERR_INTERNAL	   ? " (internal server error)" :
						     "";
	return "";
}

size_t kerec_describe(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	struct kerec_record rec;
	size_t off = 0, n = 0;
	if (cap == 0)
		return 0;
	out[0] = 0;
	while (kerec_record_next(msg, len, &off, &rec)) {
		say(out, cap, &n, "%s%s", kerec_type_name(rec.type),
		    rec.critical ? " (critical)" : "");
		switch (rec.type) {
		case KEREC_END:
			say(out, cap, &n, "\n");
			continue;
		case KEREC_NEW_COOKIE:
			say(out, cap, &n, ": %u bytes\n", rec.len);
			continue;
		case KEREC_NTP_SERVER:
			say(out, cap, &n, ": ");
			for (uint16_t i = 0; i < rec.len; i++)
				say(out, cap, &n, "%c",
				    rec.body[i] > 32 && rec.body[i] < 127 ?
					    rec.body[i] : '?');
			say(out, cap, &n, "\n");
			continue;
		case KEREC_NEXT_PROTOCOL:
		case KEREC_ERROR:
		case KEREC_WARNING:
		case KEREC_AEAD:
		case KEREC_NTP_PORT:
			say(out, cap, &n, ":");
			if (rec.len == 0)
				say(out, cap, &n, " (empty)");
			for (size_t i = 0; i + 1 < rec.len; i += 2) {
				uint16_t v = get16(rec.body + i);
				say(out, cap, &n, " %u%s", v, code_name(rec.type, v));
			}
			say(out, cap, &n, "\n");
			continue;
		default:
			say(out, cap, &n, " type %u: %u bytes\n", rec.type, rec.len);
		}
	}
	if (off < len)
		say(out, cap, &n, "(%zu bytes left that are no whole record)\n",
		    len - off);
	return n;
}
