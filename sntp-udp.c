/* SPDX-License-Identifier: ISC */
/* sntp-udp: an SNTPv4 server (RFC 4330, RFC 5905 §8-9) over UDP, with
 * NTS (RFC 8915 §5) for requests that carry an NTS cookie and, with
 * --keys, symmetric keys (RFC 5905 §9.2, RFC 8573) for those with a MAC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/proto/bytes.h"
#include "common/proto/ntp.h"
#include "common/proto/ntscookie.h"
#include "common/proto/ntsntp.h"
#include "common/proto/srcaddr.h"
#include "common/proto/symkey.h"
#include "common/proto/upstream.h"
#include "common/proto/xleave.h"
#include "common/sys/clock.h"
#include "common/sys/cookiekeyfile.h"
#include "common/sys/log.h"
#include "common/sys/masterkeyfile.h"
#include "common/sys/serve.h"
#include "common/sys/state.h"
#include "common/sys/symkeyfile.h"
#include "common/sys/timesyncq.h"
#include "common/sys/upstreamquery.h"

static struct ntp_server_config cfg = { .stratum = 15,
					.refid = NTP_DEFAULT_REFID };
static bool dump, refid_given, kernel_options, upstream_given;
static enum up_source upstream = UP_AUTO;
static struct upq_config upstream_cfg;
static const char *keys_path = CKFILE_DEFAULT_PATH;
/* --nts-master-key=NEW[,OLD]: the cookie keys derived (masterkey.h)
 * instead of read from keys_path; --nts-rotate, their period. */
static const char *master_list;
static int64_t master_period = 86400;
static bool keys_given, rotate_given;
static char master_which[4096]; /* the file of the last failure */
/* --keys: the symmetric key file (NULL: MACs are not looked at, as
 * before); --require-keys: every request must be authenticated. */
static const char *symkeys_path;
static bool require_keys;
/* By hand nobody waits for the reply: timesyncd is asked at once when
 * a person reads it (--dump, a terminal); a script's request under
 * auto does not pay a D-Bus round trip (or a child) for it. */
static bool nobody_waits, script_by_hand;

/* What answer leaves past a reply's end for stamp (serve.h). */
enum after_kind { AFTER_STAMP, AFTER_NOTHING, AFTER_SEAL, AFTER_MAC };
struct after {
	uint8_t kind;
	uint8_t nonce[NTS_NONCE_LEN];
	struct nts_seal seal;
	uint64_t xmt;	/* interleaved: the earlier reply's transmit time */
};
_Static_assert(SERVE_REPLY_MAX >= SERVE_REQUEST_MAX + sizeof(struct after),
	       "room for the seal past the longest reply");
/* AFTER_MAC: the key, a copy (the file may be read again before the
 * batch is sent), past struct after; the MAC goes over the header once
 * its transmit time is written. */
struct after_mac {
	struct skey key;
	uint8_t digest_len;
};
#define MAC_REPLY_MAX (NTP_HEADER_LEN + 4 + SKEY_DIGEST_MAX)
_Static_assert(SERVE_REPLY_MAX >= MAC_REPLY_MAX + sizeof(struct after) +
					  sizeof(struct after_mac),
	       "room for the key past a MAC'd reply");

/* The daemon's word (upstream.h), when there is one to take: with
 * chrony or timesyncd, its view (or the alarm condition when it has
 * none); auto: chronyd's, else timesyncd's, else none. */
static bool upstream_state(const struct timespec *rx, int8_t precision,
			   struct ntp_server_state *st)
{
	if (upstream == UP_KERNEL)
		return false;
	struct cc_tracking t;
	double age;
	char source[SFMT_UP_NAME_MAX];
	struct tsd_view tv;
	if (upstream != UP_TIMESYNCD &&
	    upq_view_here(&upstream_cfg, &t, &age, source))
		up_state_from_tracking(&t, age, precision, st);
	else if (upstream != UP_CHRONY &&
		 !(upstream == UP_AUTO && script_by_hand) &&
		 tsq_view_here(!nobody_waits, &tv, source))
		tsd_state(&tv, (uint64_t)rx->tv_sec * 1000000 +
				       (uint64_t)rx->tv_nsec / 1000,
			  precision, st);
	else if (upstream != UP_AUTO)
		*st = (struct ntp_server_state){ .precision = precision };
	else
		return false;
	return true;
}

/* The kernel's state, read at most once a second of request time. */
static void server_state(const struct timespec *rx, struct ntp_server_state *st)
{
	static struct ntp_server_state cached;
	static time_t when = -1;
	static int8_t precision = 1; /* 1: not measured yet */
	if (precision == 1)
		precision = ntp_precision_from_ns(clk_step_ns());
	if (upstream_state(rx, precision, st))
		return;
	if (when != rx->tv_sec) {
		struct ntp_kernel_clock k;
		static bool warned; /* once a process, not once a second */
		if (!clk_state_read(&k) && !warned) {
			log_warning("adjtimex: cannot read the clock state; "
				    "serving as unsynchronised");
			warned = true;
		}
		ntp_server_state_make(&cfg, &k, precision, &cached);
		when = rx->tv_sec;
	}
	*st = cached;
}

/* --nts-master-key: the secrets, read once (tried again once a second
 * of request time while they cannot be, each new reason said once, as
 * for the key file), and the window of each derived once a period. The
 * period is counted on this host's clock (clk_now), not on the request's
 * receive stamp: both are the same clock, and the clock is what the
 * fleet agrees on. *old: OLD's window during a change-over, else NULL. */
static const struct nts_keys *master_keys(const struct nts_keys **old,
					  const char **why)
{
	static struct mkey_set set;
	static struct nts_keys win[MKEY_SET_MAX];
	static int64_t made_n;
	static bool loaded, made;

	if (!loaded) {
		if (mkfile_load_set(master_list, &set, master_which,
				    sizeof master_which, why) != 0)
			return NULL;
		loaded = true;
		/* Their fingerprints for --stats and the metrics, which do
		 * not read the secrets. */
		state_master_seen(&set);
		char text[128];
		size_t len = mkey_set_describe(&set, text, sizeof text);
		for (char *nl = text; (nl = strchr(nl, '\n'));)
			*nl = nl + 1 < text + len ? ',' : 0; /* one line */
		log_msg(LOG_NOTICE, NULL, "NTS master key %s: %s, a key every "
			"%lld s", master_list, text, (long long)master_period);
	}
	struct timespec now;
	clk_now(&now);
	int64_t n = mkey_period(now.tv_sec, master_period);
	if (!made || n != made_n) {
		for (int i = 0; i < set.n; i++)
			mkey_window(&set.m[i], master_period, n, &win[i]);
		made_n = n;
		made = true;
	}
	*old = set.n > 1 ? &win[1] : NULL;
	return &win[0];
}

/* The NTS master keys, looked at again (one stat) at most once a second
 * of request time and read again when the file was replaced; NULL while
 * the file cannot be used, which is said once for each new reason.
 * With --nts-master-key, derived instead (master_keys). */
static const struct nts_keys *server_keys(const struct timespec *rx,
					  const struct nts_keys **old)
{
	static struct nts_keys ks;
	static const struct nts_keys *mks, *mold;
	static time_t when = -1;
	static bool ok;
	static char said[160];

	if (when != rx->tv_sec) {
		const char *why = "no current key";
		when = rx->tv_sec;
		if (master_list)
			ok = (mks = master_keys(&mold, &why)) != NULL;
		else
			ok = ckfile_refresh(keys_path, &ks, &why) >= 0 &&
			     ckeys_current(&ks) != NULL;
		if (!ok && strncmp(said, why, sizeof said - 1) != 0) {
			if (master_list)
				log_error("NTS master key %s: %s; NTS requests "
					  "get no answer", master_which, why);
			else
				log_error("NTS key file %s: %s; NTS requests "
					  "get no answer", keys_path, why);
			snprintf(said, sizeof said, "%s", why);
		} else if (ok) {
			said[0] = 0;
			/* The key new cookies are sealed under, for --stats
			 * and the metrics: the period's derived key with
			 * --nts-master-key. */
			state_key_seen(master_list ? mks : &ks);
		}
	}
	*old = master_list && ok ? mold : NULL;
	return !ok ? NULL : master_list ? mks : &ks;
}

/* The symmetric keys (--keys), looked at again (one stat) at most once a
 * second of request time and read again when the file changed; NULL
 * while the file cannot be used (said once for each new reason): then
 * every request with a MAC gets silence, plain ones are answered. */
static const struct skey_set *server_symkeys(const struct timespec *rx)
{
	static struct skey_set set;
	static time_t when = -1;
	static bool ok;
	static char said[160];

	if (when != rx->tv_sec) {
		char why[160] = "";
		when = rx->tv_sec;
		int r = skfile_refresh(symkeys_path, &set, why, sizeof why);
		ok = r >= 0;
		if (!ok && strcmp(said, why) != 0) {
			log_error("key file %s: %s; requests with a MAC get no "
				  "answer", symkeys_path, why);
			snprintf(said, sizeof said, "%s", why);
		} else if (ok) {
			if (r == 1 && log_is_verbose())
				log_msg(LOG_INFO, NULL, "key file %s: %zu keys",
					symkeys_path, set.n);
			said[0] = 0;
		}
	}
	return ok ? &set : NULL;
}

/* The fields of a request the handler saw in full; a longer one is
 * plain or nothing. */
static enum nts_kind nts_kind_of(const uint8_t *req, size_t len,
				 struct nts_request *nr)
{
	bool whole = len <= SERVE_REQUEST_MAX;
	enum nts_kind k = ntsntp_parse(req, whole ? len : SERVE_REQUEST_MAX, nr);
	return whole || k == NTS_PLAIN ? k : NTS_MALFORMED;
}

/* The drop rules of SPEC.md for a request from peer (NULL by hand). */
static enum ntp_verdict verdict(const uint8_t *req, size_t len,
				const struct sockaddr *peer)
{
	return ntp_request_check(req, len, peer ? srcaddr_port(peer) : -1,
				 peer && srcaddr_addr_is_bad(peer));
}

/* --stats names of the verdicts NTP_DROP_LENGTH onwards, in order. */
static const char *const drop_rules[] = { "length", "version", "mode",
					  "source", "nts-malformed", "nts-no-keys",
					  "mac-malformed", "mac-no-keys",
					  "mac-unknown-key", "mac-bad",
					  "mac-required", NULL };
enum { RULE_NTS_MALFORMED = NTP_DROP_SOURCE, RULE_NTS_NO_KEYS,
       RULE_MAC_MALFORMED, RULE_MAC_NO_KEYS, RULE_MAC_UNKNOWN_KEY,
       RULE_MAC_BAD, RULE_MAC_REQUIRED };

/* A request's MAC under --keys (NULL: not looked at, or none): its key
 * when it verifies; else why it gets silence (a drop rule). NTS wins:
 * only a request without NTS fields is asked. Only what the handler saw
 * is looked at: a longer request is taken as without a MAC. */
static int mac_check(const uint8_t *req, size_t len, const struct timespec *rx,
		     const struct skey **key, struct skey_mac *m)
{
	*key = NULL;
	if (!symkeys_path || len > SERVE_REQUEST_MAX)
		return require_keys ? RULE_MAC_REQUIRED : -1;
	switch (skey_locate(req, len, m)) {
	case SKEY_NONE:
		return require_keys ? RULE_MAC_REQUIRED : -1;
	case SKEY_MALFORMED:
		return RULE_MAC_MALFORMED;
	case SKEY_FOUND:
		break;
	}
	const struct skey_set *set = server_symkeys(rx);
	if (!set)
		return RULE_MAC_NO_KEYS;
	switch (skey_verify(set, req, m, key)) {
	case SKEY_OK:
		return -1;
	case SKEY_UNKNOWN_KEY:
		return RULE_MAC_UNKNOWN_KEY;
	default:
		*key = NULL;
		return RULE_MAC_BAD;
	}
}

static size_t answer(const uint8_t *req, size_t len,
		     const struct sockaddr *peer, const struct timespec *rx,
		     uint8_t *reply)
{
	/* Check: the header's drop rules, then the extension fields. */
	enum ntp_verdict v = verdict(req, len, peer);
	if (v != NTP_OK) {
		log_request(peer, "%s", ntp_verdict_name(v));
		state_count(SFMT_DROP_RULE + (v - 1), 1);
		return 0;
	}
	struct nts_request nr;
	enum nts_kind k = nts_kind_of(req, len, &nr);
	if (k == NTS_MALFORMED) {
		log_request(peer, "dropped: malformed NTS extension fields");
		state_count(SFMT_DROP_RULE + RULE_NTS_MALFORMED, 1);
		return 0;
	}
	/* A MAC (--keys), when there is no NTS: it verifies, or silence,
	 * as chrony (no crypto-NAK: it would need no key to forge). */
	const struct skey *mac_key = NULL;
	struct skey_mac mac;
	if (k == NTS_PLAIN) {
		int rule = mac_check(req, len, rx, &mac_key, &mac);
		if (rule >= 0) {
			log_request(peer, "dropped: %s", drop_rules[rule]);
			state_count(SFMT_DROP_RULE + rule, 1);
			return 0;
		}
	}
	struct ntp_packet q, r;
	ntp_decode(req, &q);

	/* Authenticate: the cookie opens under a kept key, and its C2S key
	 * verifies the request. */
	const struct nts_keys *ks = NULL, *old_ks;
	uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN];
	bool authentic = false;
	if (k == NTS_REQUEST) {
		if (!(ks = server_keys(rx, &old_ks))) {
			log_request(peer, "NTS request dropped: no usable key file");
			state_count(SFMT_DROP_RULE + RULE_NTS_NO_KEYS, 1);
			return 0;
		}
		enum nts_auth au = NTS_AUTH_FAILED;
		/* A change-over: a cookie under OLD opens too (its ids differ
		 * from NEW's: masterkey.h). */
		if (ntscookie_open(ks, req + nr.cookie_off, nr.cookie_len, c2s,
				   s2c) ||
		    (old_ks && ntscookie_open(old_ks, req + nr.cookie_off,
					      nr.cookie_len, c2s, s2c)))
			au = ntsntp_verify(req, &nr, c2s);
		else if (nr.cookie_len >= 4 &&
			 !ckeys_find(ks, get32(req + nr.cookie_off)))
			/* Not one of ours, or under a key this host never
			 * had: a key file not shared, or copied late. */
			state_count(SFMT_NTS_UNKNOWN_KEY, 1);
		if (au == NTS_AUTH_MALFORMED) {
			explicit_bzero(c2s, sizeof c2s);
			explicit_bzero(s2c, sizeof s2c);
			log_request(peer, "dropped: malformed encrypted NTS "
					  "extension fields");
			state_count(SFMT_DROP_RULE + RULE_NTS_MALFORMED, 1);
			return 0;
		}
		authentic = au == NTS_AUTH_OK;
	}

	/* Decide and build: a NAK, an NTS reply to be sealed, or plain. */
	struct after a = { .kind = AFTER_STAMP };
	size_t n = NTP_HEADER_LEN;
	if (k == NTS_REQUEST && !authentic) {
		ntp_kod_build(&q, "NTSN", &r);
		ntp_encode(&r, reply);
		n = ntsntp_nak_build(reply, req, &nr);
		a.kind = AFTER_NOTHING; /* a kiss-o'-death carries no time */
		state_count(SFMT_NTS_NAK, 1);
		log_request(peer, "NTS cookie or authenticator refused: NTS NAK sent");
	} else {
		struct ntp_server_state st;
		server_state(rx, &st);
		ntp_reply_build(&q, &st, rx, &r);
		/* Interleaved mode (RFC 9769 §2), NTS too, as chrony: a
		 * candidate whose origin is the receive time of a reply we
		 * sent gets that reply's transmit time, and every candidate's
		 * reply is stamped by the kernel for its next request. */
		if (peer && ntp_xleave_candidate(&q)) {
			if (xl_take(state_xl_table(), q.org, &a.xmt, clk_mono_ms()))
				ntp_reply_interleave(&q, &r);
			serve_tx_stamp(r.rec);
		}
		ntp_encode(&r, reply);
	}
	if (authentic) {
		uint8_t nonces[NTS_COOKIES_MAX * NTS_COOKIE_NONCE_LEN];
		unsigned c = ntsntp_reply_cookies(&nr, len);
		n = 0;
		if (ckfile_random(nonces, c * NTS_COOKIE_NONCE_LEN) &&
		    ckfile_random(a.nonce, sizeof a.nonce))
			n = ntsntp_reply_build(reply, len, req, &nr,
					       ckeys_current(ks), c2s, s2c,
					       nonces, &a.seal);
		a.kind = AFTER_SEAL; /* seal after the transmit stamp */
	}
	explicit_bzero(c2s, sizeof c2s);
	explicit_bzero(s2c, sizeof s2c);
	if (n == 0) {
		log_request(peer, "NTS request dropped: no reply could be made");
		return 0;
	}
	if (mac_key) {
		/* The reply's MAC as long as the request's: never longer. */
		struct after_mac am = { .key = *mac_key,
					.digest_len = (uint8_t)mac.digest_len };
		a.kind = AFTER_MAC;
		n = NTP_HEADER_LEN + 4 + mac.digest_len;
		memcpy(reply + n + sizeof a, &am, sizeof am);
		explicit_bzero(&am, sizeof am);
	}
	memcpy(reply + n, &a, sizeof a);
	if (a.xmt)
		state_count(SFMT_INTERLEAVED, 1);
	if (authentic || mac_key)
		state_count(SFMT_AUTHENTICATED, 1);
	log_request(peer, "NTPv%u mode %u %s%s%srequest answered", q.version,
		    q.mode, authentic ? "NTS " : "", mac_key ? "MAC'd " : "",
		    a.xmt ? "interleaved " : "");
	return n;
}

/* Over the rate limit: a "RATE" kiss-o'-death, to valid requests only. */
static size_t limited(const uint8_t *req, size_t len,
		      const struct sockaddr *peer, uint8_t *reply)
{
	struct nts_request nr;
	struct skey_mac m;
	enum nts_kind k;
	if (verdict(req, len, peer) != NTP_OK ||
	    (k = nts_kind_of(req, len, &nr)) == NTS_MALFORMED)
		return 0;
	/* A MAC'd request (--keys) gets silence: an unauthenticated KoD is
	 * ignored by its client, and a MAC'd one would cost the crypto the
	 * limit is there to spare. --require-keys: none to the others. */
	if (k == NTS_PLAIN && ((symkeys_path && len <= SERVE_REQUEST_MAX &&
				skey_locate(req, len, &m) != SKEY_NONE) ||
			       require_keys))
		return 0;
	struct ntp_packet q, r;
	ntp_decode(req, &q);
	ntp_kod_build(&q, "RATE", &r);
	ntp_encode(&r, reply);
	log_request(peer, "over the rate limit: kiss-o'-death RATE sent");
	return NTP_HEADER_LEN;
}

/* A candidate's reply left at tx (serve.h): keep it for its client's
 * next request, under the receive timestamp written in it. */
static void tx_time(uint64_t key, const struct timespec *tx)
{
	xl_put(state_xl_table(), key, ntp_ts_from_timespec(tx), clk_mono_ms());
}

/* Stamp, then seal: with NTS the transmit timestamp is inside the
 * authenticated data. */
static void stamp(uint8_t *reply, size_t len, const struct timespec *tx)
{
	struct after a;
	memcpy(&a, reply + len, sizeof a);
	if (a.kind != AFTER_NOTHING) {
		if (a.xmt) /* interleaved: the earlier reply's kernel time */
			ntp_reply_stamp_ntp(reply, a.xmt);
		else
			ntp_reply_stamp(reply, tx);
	}
	if (a.kind == AFTER_SEAL)
		ntsntp_reply_seal(reply, &a.seal, a.nonce);
	if (a.kind == AFTER_MAC) {
		struct after_mac am;
		memcpy(&am, reply + len + sizeof a, sizeof am);
		skey_sign(&am.key, reply, NTP_HEADER_LEN, am.digest_len);
		explicit_bzero(&am, sizeof am);
		explicit_bzero(reply + len + sizeof a, sizeof am);
	}
	explicit_bzero(reply + len, sizeof a);
	explicit_bzero(&a, sizeof a);
}

/* Per activation: how chronyd is asked (upstreamquery.h). */
static void begin(const struct act_sockets *a)
{
	/* The key file's mode: no master secret's fingerprint left from
	 * an earlier run with --nts-master-key. */
	if (!master_list)
		state_master_seen(NULL);
	if (upstream != UP_KERNEL)
		upq_begin(&upstream_cfg, a);
}

/* --dump: where the header came from. */
static size_t upstream_describe(char *buf, size_t cap)
{
	struct sfmt_image *img = state_image();
	struct cc_tracking t;
	double age;
	char source[SFMT_UP_NAME_MAX];
	if (upstream == UP_KERNEL)
		return up_describe("kernel", NULL, 0, buf, cap);
	if (upstream != UP_TIMESYNCD &&
	    upq_peek(&upstream_cfg, img ? &img->up : NULL, clk_mono_ms(), &t,
		     &age, source))
		return up_describe(source, &t, age, buf, cap);
	struct tsd_view tv;
	struct timespec now;
	clk_now(&now);
	if (upstream != UP_CHRONY &&
	    tsq_peek(img ? &img->tsd : NULL, clk_mono_ms(), &tv, source))
		return tsd_describe(&tv, (uint64_t)now.tv_sec * 1000000 +
					       (uint64_t)now.tv_nsec / 1000,
				    buf, cap);
	return up_describe(upstream == UP_CHRONY ?
				   "chrony, not answering: not synchronised" :
			   upstream == UP_TIMESYNCD ?
				   "timesyncd, not answering: not synchronised" :
				   "kernel (neither chronyd nor timesyncd answers)",
			   NULL, 0, buf, cap);
}

/* --dump: the master secrets' fingerprints (--stats has them from the
 * state file: state_master_seen); 0 without
 * --nts-master-key or when they cannot be read (said in the log). */
static size_t master_describe(char *buf, size_t cap)
{
	struct mkey_set set;
	char which[4096];
	const char *why;
	if (!master_list)
		return 0;
	if (mkfile_load_set(master_list, &set, which, sizeof which, &why)) {
		log_error("NTS master key %s: %s", which, why);
		return 0;
	}
	size_t n = mkey_set_describe(&set, buf, cap);
	explicit_bzero(&set, sizeof set);
	return n;
}

static int by_hand(void)
{
	uint8_t req[SERVE_REQUEST_MAX], reply[SERVE_REPLY_MAX];
	size_t len = 0;
	struct timespec rx;

	nobody_waits = true;
	script_by_hand = !dump && !isatty(1);
	if (!isatty(0)) {
		ssize_t n;
		while (len < sizeof req &&
		       (n = read(0, req + len, sizeof req - len)) > 0)
			len += (size_t)n;
	}
	clk_now(&rx);
	if (len == 0) {
		/* A terminal or empty input: ask as a v4 client would, now. */
		ntp_client_request(&rx, req);
		len = NTP_HEADER_LEN;
	}
	size_t n = answer(req, len, NULL, &rx, reply);
	if (n == 0) {
		struct nts_request nr;
		enum ntp_verdict v = verdict(req, len, NULL);
		log_error("request of %zu bytes %s", len,
			  v != NTP_OK ? ntp_verdict_name(v) :
			  nts_kind_of(req, len, &nr) == NTS_MALFORMED ?
				"dropped: malformed NTS extension fields" :
				"dropped: NTS request with no usable key file "
				"or malformed encrypted fields, or a MAC "
				"refused (--keys)");
		return 1;
	}
	struct timespec tx;
	clk_now(&tx);
	stamp(reply, n, &tx);

	if (dump || isatty(1)) {
		char text[1024];
		struct ntp_packet r;
		ntp_decode(reply, &r);
		size_t m = ntp_describe(&r, tx.tv_sec, text, sizeof text);
		m += upstream_describe(text + m, sizeof text - m);
		m += master_describe(text + m, sizeof text - m);
		return serve_print(text, m);
	}
	return serve_print(reply, n);
}

enum { OPT_STRATUM = 300, OPT_ROOT_DELAY, OPT_REFID, OPT_ASSUME, OPT_DUMP,
       OPT_NTS_KEYS, OPT_UPSTREAM, OPT_KEYS, OPT_REQUIRE_KEYS,
       OPT_NTS_MASTER, OPT_NTS_ROTATE };

static bool take(int opt, const char *arg, const char **why)
{
	char *end;
	/* The header's options speak of the kernel's clock. */
	if (opt == OPT_STRATUM || opt == OPT_ROOT_DELAY || opt == OPT_REFID ||
	    opt == OPT_ASSUME)
		kernel_options = true;
	switch (opt) {
	case OPT_UPSTREAM: {
		const char *hostport;
		if (!up_source_parse(arg, &upstream, &hostport, why) ||
		    (upstream == UP_CHRONY &&
		     !upq_config_chrony(&upstream_cfg, hostport, why)))
			return false;
		upstream_given = true;
		return true;
	}
	case OPT_STRATUM: {
		long s = strtol(arg, &end, 10);
		if (end == arg || *end || s < 1 || s > 15) {
			*why = "--stratum: a whole number from 1 to 15";
			return false;
		}
		cfg.stratum = (uint8_t)s;
		return true;
	}
	case OPT_ROOT_DELAY:
		if (!opt_seconds(arg, &cfg.root_delay) || cfg.root_delay >= 65536) {
			*why = "--root-delay: a number of seconds, 0 or more";
			return false;
		}
		return true;
	case OPT_REFID:
		if (!ntp_refid_parse(arg, &cfg.refid)) {
			*why = "--refid: an IPv4 address or 1 to 4 ASCII characters";
			return false;
		}
		refid_given = true;
		return true;
	case OPT_ASSUME:
		cfg.assume_synchronized = true;
		return true;
	case OPT_DUMP:
		dump = true;
		return true;
	case OPT_NTS_KEYS:
		if (!*arg) {
			*why = "--nts-keys: a file name";
			return false;
		}
		keys_path = arg;
		keys_given = true;
		return true;
	case OPT_NTS_MASTER:
		if (!mkfile_list_ok(arg)) {
			*why = "--nts-master-key: FILE, or NEW,OLD during a "
			       "change-over";
			return false;
		}
		master_list = arg;
		return true;
	case OPT_NTS_ROTATE: {
		long long p = strtoll(arg, &end, 10);
		if (end == arg || *end || p < 1 || p > 366 * 86400LL) {
			*why = "--nts-rotate: a whole number of seconds from 1 "
			       "to 31622400";
			return false;
		}
		master_period = p;
		rotate_given = true;
		return true;
	}
	case OPT_KEYS:
		if (!*arg) {
			*why = "--keys: a file name";
			return false;
		}
		symkeys_path = arg;
		return true;
	case OPT_REQUIRE_KEYS:
		require_keys = true;
		return true;
	}
	return false;
}

/* RFC 5905 §7.3: at stratum 1 the reference ID is an ASCII code of
 * the reference clock, so the default there is "LOCL" (an uncalibrated
 * local clock), and a given one must be ASCII; above it, an address. */
static bool options_done(const char **why)
{
	if (!upstream_given && kernel_options)
		upstream = UP_KERNEL;
	if (upstream == UP_AUTO)
		upq_config_chrony(&upstream_cfg, NULL, why);
	if (master_list && keys_given) {
		*why = "--nts-master-key: not with --nts-keys (the keys come "
		       "from the master secret, or from the key file: one of "
		       "them)";
		return false;
	}
	if (rotate_given && !master_list) {
		*why = "--nts-rotate: only with --nts-master-key (the key "
		       "file's rotation is nts-ke-tcp's)";
		return false;
	}
	if (require_keys && !symkeys_path) {
		*why = "--require-keys: needs --keys=FILE";
		return false;
	}
	if (cfg.stratum != 1)
		return true;
	if (!refid_given) {
		cfg.refid = (uint32_t)'L' << 24 | 'O' << 16 | 'C' << 8 | 'L';
		return true;
	}
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned c = cfg.refid >> shift & 0xff;
		if (c != 0 && (c < 0x20 || c > 0x7e)) {
			*why = "--refid: at stratum 1, 1 to 4 ASCII characters "
			       "(RFC 5905)";
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stratum", required_argument, NULL, OPT_STRATUM },
		{ "root-delay", required_argument, NULL, OPT_ROOT_DELAY },
		{ "refid", required_argument, NULL, OPT_REFID },
		{ "assume-synchronized", no_argument, NULL, OPT_ASSUME },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "nts-keys", required_argument, NULL, OPT_NTS_KEYS },
		{ "nts-master-key", required_argument, NULL, OPT_NTS_MASTER },
		{ "nts-rotate", required_argument, NULL, OPT_NTS_ROTATE },
		{ "upstream", required_argument, NULL, OPT_UPSTREAM },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "require-keys", no_argument, NULL, OPT_REQUIRE_KEYS },
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_program p = {
		.name = "sntp-udp",
		.purpose = "Answer SNTP (RFC 4330, RFC 5905) requests over UDP.",
		.longopts = opts,
		.help = "      --upstream=SOURCE    where the header comes from: auto"
			" (default:\n"
			"                           chronyd on 127.0.0.1:323 or"
			" [::1]:323, else\n"
			"                           systemd-timesyncd over D-Bus,"
			" else the\n"
			"                           kernel), chrony,"
			" chrony:HOST:PORT, timesyncd,\n"
			"                           kernel\n"
			"      --stratum=N          stratum when synchronised, 1-15"
			" (default 15)\n"
			"      --root-delay=SECS    root delay to announce (default 0)\n"
			"      --refid=ID           reference ID: IPv4 address or up to"
			" 4 ASCII\n"
			"                           characters (default 127.127.1.1;"
			" LOCL at stratum 1)\n"
			"      --assume-synchronized  serve as synchronised even when"
			" the\n"
			"                           kernel says the clock is not\n"
			"                           (these four imply"
			" --upstream=kernel)\n"
			"      --dump               by hand: print the reply decoded\n"
			"      --nts-keys=FILE      NTS cookie keys (default\n"
			"                           " CKFILE_DEFAULT_PATH ")\n"
			"      --nts-master-key=FILE[,OLD]  derive the NTS cookie"
			" keys from\n"
			"                           this master secret, as"
			" nts-ke-tcp does\n"
			"      --nts-rotate=SECS    with --nts-master-key: the"
			" period of the\n"
			"                           keys, as nts-ke-tcp's"
			" (default 86400)\n"
			"      --keys=FILE          symmetric keys (chrony/ntpd key"
			" file): a request\n"
			"                           with a MAC is answered MAC'd or"
			" not at all\n"
			"      --require-keys       answer only authenticated requests"
			" (MAC or NTS)\n",
		.take = take,
		.done = options_done,
		.datagram = true,
	};
	static const struct serve_handler udp = { .sotype = SOCK_DGRAM,
						  .rx_timestamps = true,
						  .datagram = answer,
						  .limited = limited,
						  .stamp = stamp,
						  .tx_time = tx_time,
						  .begin = begin,
						  .aside = upq_aside,
						  .after = upq_after_batch,
						  .drop_rules = drop_rules };
	return serve_main(argc, argv, &p, &udp, by_hand);
}
