/* ntske: NTS-KE records, RFC 8915 §4. */
#include "ntske.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "bytes.h"

bool ntske_record_next(const uint8_t *msg, size_t len, size_t *off,
		       struct ntske_record *rec)
{
	if (*off > len || len - *off < NTSKE_HEADER_LEN)
		return false;
	const uint8_t *p = msg + *off;
	uint16_t body = get16(p + 2);
	if (len - *off - NTSKE_HEADER_LEN < body)
		return false;
	rec->critical = p[0] & 0x80;
	rec->type = get16(p) & 0x7fff;
	rec->len = body;
	rec->body = p + NTSKE_HEADER_LEN;
	*off += NTSKE_HEADER_LEN + (size_t)body;
	return true;
}

const char *ntske_type_name(uint16_t type)
{
	static const char *const names[] = {
		"end-of-message", "next-protocol", "error", "warning",
		"aead-algorithm", "new-cookie", "ntpv4-server", "ntpv4-port",
	};
	return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

static void refuse(struct ntske_request *r, enum ntske_verdict v,
		   const char *why)
{
	if (r->verdict == NTSKE_INCOMPLETE) {
		r->verdict = v;
		r->why = why;
	}
}

/* Does a list of 16-bit ids (a Next Protocol or AEAD body) hold want? */
static bool offers(const struct ntske_record *rec, uint16_t want)
{
	for (size_t i = 0; i + 1 < rec->len; i += 2)
		if (get16(rec->body + i) == want)
			return true;
	return false;
}

void ntske_request_read(const uint8_t *req, size_t len, bool final,
			struct ntske_request *r)
{
	struct ntske_record rec;
	size_t off = 0;
	int protocols = 0, aeads = 0;
	bool ntpv4 = false, siv = false, ended = false;

	*r = (struct ntske_request){ .verdict = NTSKE_INCOMPLETE };
	while (!ended && ntske_record_next(req, len, &off, &rec)) {
		/* The first refusal found is kept; the records are still
		 * read to find the end of the message. */
		switch (rec.type) {
		case NTSKE_END:
			ended = true;
			if (!rec.critical || rec.len)
				refuse(r, NTSKE_BAD_REQUEST,
				       "end of message not critical or not empty");
			break;
		case NTSKE_NEXT_PROTOCOL:
			protocols++;
			if (!rec.critical || rec.len == 0 || rec.len % 2)
				refuse(r, NTSKE_BAD_REQUEST,
				       "next protocol not critical, empty or odd");
			ntpv4 = ntpv4 || offers(&rec, NTSKE_PROTO_NTPV4);
			break;
		case NTSKE_AEAD:
			aeads++;
			if (rec.len == 0 || rec.len % 2)
				refuse(r, NTSKE_BAD_REQUEST,
				       "AEAD algorithm record empty or odd");
			siv = siv || offers(&rec, NTSKE_AEAD_SIV_CMAC_256);
			break;
		case NTSKE_ERROR:
		case NTSKE_WARNING:
		case NTSKE_NEW_COOKIE:
			refuse(r, NTSKE_BAD_REQUEST,
			       "error, warning or cookie record in a request");
			break;
		case NTSKE_NTP_SERVER:
		case NTSKE_NTP_PORT:
			break; /* a wish; this server decides */
		default:
			if (rec.critical && r->verdict == NTSKE_INCOMPLETE) {
				r->bad_type = rec.type;
				refuse(r, NTSKE_UNRECOGNIZED,
				       "unrecognized critical record");
			}
		}
	}
	if (!ended) {
		if (final) {
			r->verdict = NTSKE_BAD_REQUEST;
			r->why = "no end of message";
			r->len = len;
		} else {
			r->verdict = NTSKE_INCOMPLETE;
			r->why = NULL;
		}
		return;
	}
	r->len = off;
	if (protocols != 1)
		refuse(r, NTSKE_BAD_REQUEST, "not exactly one next protocol record");
	else if (ntpv4 && aeads != 1)
		refuse(r, NTSKE_BAD_REQUEST, "not exactly one AEAD algorithm record");
	else if (!ntpv4)
		refuse(r, NTSKE_NO_PROTOCOL, "no protocol in common");
	else if (!siv)
		refuse(r, NTSKE_NO_AEAD, "no AEAD algorithm in common");
	refuse(r, NTSKE_OK, NULL);
}

/* Append one record; false when it does not fit. */
static bool put_record(uint8_t *out, size_t cap, size_t *n, uint16_t type,
		       const void *body, size_t len)
{
	if (len > 0xffff || cap - *n < NTSKE_HEADER_LEN + len)
		return false;
	put16(out + *n, type);
	put16(out + *n + 2, (unsigned)len);
	if (len)
		memcpy(out + *n + NTSKE_HEADER_LEN, body, len);
	*n += NTSKE_HEADER_LEN + len;
	return true;
}

static bool put_id(uint8_t *out, size_t cap, size_t *n, uint16_t type,
		   unsigned id)
{
	uint8_t b[2];
	put16(b, id);
	return put_record(out, cap, n, type, b, 2);
}

size_t ntske_response(const struct ntske_request *r,
		      const struct ntske_server *s, const uint8_t *cookies,
		      size_t cookie_len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	bool ok = true;
	const uint16_t NP = NTSKE_CRITICAL | NTSKE_NEXT_PROTOCOL;
	const uint16_t AEAD = NTSKE_CRITICAL | NTSKE_AEAD;

	switch (r->verdict) {
	case NTSKE_INCOMPLETE:
		return 0;
	case NTSKE_UNRECOGNIZED:
		ok = put_id(out, cap, &n, NTSKE_CRITICAL | NTSKE_ERROR,
			    NTSKE_ERR_UNRECOGNIZED);
		break;
	case NTSKE_BAD_REQUEST:
		ok = put_id(out, cap, &n, NTSKE_CRITICAL | NTSKE_ERROR,
			    NTSKE_ERR_BAD_REQUEST);
		break;
	case NTSKE_INTERNAL:
		ok = put_id(out, cap, &n, NTSKE_CRITICAL | NTSKE_ERROR,
			    NTSKE_ERR_INTERNAL);
		break;
	case NTSKE_NO_PROTOCOL:
		ok = put_record(out, cap, &n, NP, NULL, 0);
		break;
	case NTSKE_NO_AEAD:
		ok = put_id(out, cap, &n, NP, NTSKE_PROTO_NTPV4) &&
		     put_record(out, cap, &n, AEAD, NULL, 0);
		break;
	case NTSKE_OK:
		ok = put_id(out, cap, &n, NP, NTSKE_PROTO_NTPV4) &&
		     put_id(out, cap, &n, AEAD, NTSKE_AEAD_SIV_CMAC_256);
		if (ok && s && s->ntp_server)
			ok = put_record(out, cap, &n,
					NTSKE_CRITICAL | NTSKE_NTP_SERVER,
					s->ntp_server, strlen(s->ntp_server));
		if (ok && s && s->ntp_port)
			ok = put_id(out, cap, &n, NTSKE_CRITICAL | NTSKE_NTP_PORT,
				    (unsigned)s->ntp_port);
		for (int i = 0; ok && i < NTSKE_COOKIES; i++)
			ok = put_record(out, cap, &n, NTSKE_NEW_COOKIE,
					cookies + (size_t)i * cookie_len,
					cookie_len);
		break;
	}
	if (!ok || !put_record(out, cap, &n, NTSKE_CRITICAL | NTSKE_END, NULL, 0))
		return 0;
	return n;
}

void ntske_exporter_context(bool s2c, uint8_t ctx[5])
{
	put16(ctx, NTSKE_PROTO_NTPV4);
	put16(ctx + 2, NTSKE_AEAD_SIV_CMAC_256);
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
	if (type == NTSKE_NEXT_PROTOCOL)
		return v == NTSKE_PROTO_NTPV4 ? " (NTPv4)" : "";
	if (type == NTSKE_AEAD)
		return v == NTSKE_AEAD_SIV_CMAC_256 ? " (AEAD_AES_SIV_CMAC_256)" : "";
	if (type == NTSKE_ERROR)
		return v == NTSKE_ERR_UNRECOGNIZED ? " (unrecognized critical record)" :
		       v == NTSKE_ERR_BAD_REQUEST  ? " (bad request)" :
		       v == NTSKE_ERR_INTERNAL	   ? " (internal server error)" :
						     "";
	return "";
}

size_t ntske_describe(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	struct ntske_record rec;
	size_t off = 0, n = 0;
	if (cap == 0)
		return 0;
	out[0] = 0;
	while (ntske_record_next(msg, len, &off, &rec)) {
		say(out, cap, &n, "%s%s", ntske_type_name(rec.type),
		    rec.critical ? " (critical)" : "");
		switch (rec.type) {
		case NTSKE_END:
			say(out, cap, &n, "\n");
			continue;
		case NTSKE_NEW_COOKIE:
			say(out, cap, &n, ": %u bytes\n", rec.len);
			continue;
		case NTSKE_NTP_SERVER:
			say(out, cap, &n, ": ");
			for (uint16_t i = 0; i < rec.len; i++)
				say(out, cap, &n, "%c",
				    rec.body[i] > 32 && rec.body[i] < 127 ?
					    rec.body[i] : '?');
			say(out, cap, &n, "\n");
			continue;
		case NTSKE_NEXT_PROTOCOL:
		case NTSKE_ERROR:
		case NTSKE_WARNING:
		case NTSKE_AEAD:
		case NTSKE_NTP_PORT:
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
