/* SPDX-License-Identifier: ISC */
/* nts-ke-tcp: NTS Key Establishment (RFC 8915 §4) over TLS 1.3: one
 * request, one response of keys and cookies, per connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/proto/kerecords.h"
#include "common/proto/ntscookie.h"
#include "common/sys/clock.h"
#include "common/sys/cookiekeyfile.h"
#include "common/sys/log.h"
#include "common/sys/masterkeyfile.h"
#include "common/sys/serve.h"
#include "common/sys/state.h"
#include "common/tls/tls.h"
#include "common/tls/tlsserve.h"

static const char *cert_file, *key_file;
static const char *keys_file = CKFILE_DEFAULT_PATH;
static double rotate_s = 86400;
static bool rotate_only, keys_given;
/* --nts-master-key=NEW[,OLD] (NULL: the key file); --make-master-key. */
static const char *master_list, *make_master;
static struct mkey_set masters;
static struct kerec_server negotiated;

/* How long --rotate-keys waits for the key directory's lock (a key
 * exchange holds it for one write and fsync). */
#define ROTATE_LOCK_WAIT_S 30

/* The keys for this exchange: rotated when due, read again when the file
 * changed so a rotation by another process is seen (one stat per
 * exchange when nothing changed: a listening process lives long, and
 * must not read the file for every exchange). The directory's lock is waited
 * for at most half the time the connection has left (the rest is for
 * the answer). Once a wait has run out, later exchanges only try the
 * lock, never wait, until it is had again: in listening mode a held lock
 * stalls the loop for one connection's deadline at most, and logs one
 * warning. */
static int current_keys(struct nts_keys *ks, int64_t deadline,
			const struct sockaddr *peer, const char **why)
{
	static bool lock_busy;
	if (ks->file_ino != 0 && !lock_busy &&
	    ckfile_refresh(keys_file, ks, why) >= 0 &&
	    !ckeys_due(ks->rotated, (int64_t)time(NULL), rotate_s))
		return 0;
	int64_t now = clk_mono_ms();
	int64_t by = lock_busy || deadline <= now ? now :
						    now + (deadline - now) / 2;
	int rc = ckfile_update(keys_file, rotate_s, by, ks, why);
	if (rc == 1 && !lock_busy)
		log_msg(LOG_WARNING, peer, "key file %s: %s", keys_file, *why);
	lock_busy = rc != 0; /* a failure too: waiting would not mend it */
	if (rc >= 0)
		state_key_seen(ks);
	return rc < 0 ? -1 : 0;
}

/* --nts-master-key: the current period's cookie key under NEW,
 * derived once per period (masterkey.h). */
static const struct nts_master *master_current(void)
{
	static struct nts_master cur;
	static int64_t cur_n;
	static bool made;
	struct timespec now;
	clk_now(&now);
	int64_t n = mkey_period(now.tv_sec, (int64_t)rotate_s);
	if (!made || n != cur_n) {
		mkey_derive(&masters.m[0], (int64_t)rotate_s, n, &cur);
		cur_n = n;
		made = true;
		/* The period's key, for --stats and the metrics (the same
		 * fingerprint on every host of the fleet in this period). */
		struct nts_keys w;
		mkey_window(&masters.m[0], (int64_t)rotate_s, n, &w);
		state_key_seen(&w);
		explicit_bzero(&w, sizeof w);
	}
	return &cur;
}

/* Read --nts-master-key's files and say at start what they are; 0, or
 * -1 after the error is logged. */
static int master_load(void)
{
	char which[4096];
	const char *why;
	if (mkfile_load_set(master_list, &masters, which, sizeof which,
			    &why) != 0) {
		log_error("NTS master key %s: %s", which, why);
		return -1;
	}
	char fpr[2][MKEY_FPR_HEX];
	for (int i = 0; i < masters.n; i++)
		mkey_fpr_hex(&masters.m[i], fpr[i]);
	log_msg(LOG_NOTICE, NULL,
		"NTS master key %s: fingerprint %s%s%s, a key every %lld s",
		master_list, fpr[0], masters.n > 1 ? ", old " : "",
		masters.n > 1 ? fpr[1] : "", (long long)rotate_s);
	return 0;
}

/* --make-master-key: a new secret, then exit. */
static int make_master_key(void)
{
	const char *why;
	struct mkey m;
	char fpr[MKEY_FPR_HEX];
	if (mkfile_make(make_master, &why) != 0 ||
	    mkfile_load(make_master, &m, &why) != 0) {
		log_error("NTS master key %s: %s", make_master, why);
		return 1;
	}
	mkey_fpr_hex(&m, fpr);
	explicit_bzero(&m, sizeof m);
	log_msg(LOG_NOTICE, NULL, "NTS master key %s: made, fingerprint %s",
		make_master, fpr);
	return 0;
}


/* The two keys of this session (RFC 8915 §5.1), sealed into cookies
 * under the current master key, each with a fresh nonce. */
static bool make_cookies(struct tls_session *s, const struct sockaddr *peer,
			 int64_t deadline,
			 uint8_t cookies[KEREC_COOKIES][NTS_COOKIE_LEN])
{
	static struct nts_keys ks;
	uint8_t c2s[KEREC_KEY_LEN], s2c[KEREC_KEY_LEN], ctx[5];
	const char *why;

	if (master_list) {
		/* Derived, never read: nothing can fail here. */
	} else if (current_keys(&ks, deadline, peer, &why) < 0) {
		log_msg(LOG_ERR, peer, "key file %s: %s", keys_file, why);
		return false;
	}
	kerec_exporter_context(false, ctx);
	bool ok = tls_export(s, KEREC_EXPORTER_LABEL, ctx, sizeof ctx, c2s,
			     sizeof c2s);
	kerec_exporter_context(true, ctx);
	ok = ok && tls_export(s, KEREC_EXPORTER_LABEL, ctx, sizeof ctx, s2c,
			      sizeof s2c);
	if (!ok) {
		log_msg(LOG_ERR, peer, "TLS exporter: no keys for this session");
		return false;
	}
	const struct nts_master *m = master_list ? master_current() :
						   ckeys_current(&ks);
	for (int i = 0; i < KEREC_COOKIES; i++) {
		uint8_t nonce[NTS_COOKIE_NONCE_LEN];
		if (!ckfile_random(nonce, sizeof nonce)) {
			log_msg(LOG_ERR, peer, "getrandom: no nonce");
			return false;
		}
		ntscookie_seal(m, nonce, c2s, s2c, cookies[i]);
	}
	explicit_bzero(c2s, sizeof c2s);
	explicit_bzero(s2c, sizeof s2c);
	return true;
}

/* The counters of --state-dir (statefmt.h, nts-ke-tcp's layout). */
static void refused(enum sfmt_ke_counter rule)
{
	state_count((enum sfmt_counter)SFKE_REFUSED, 1);
	state_count((enum sfmt_counter)rule, 1);
}

static void count_event(enum stream_event e)
{
	switch (e) {
	case STREAM_OPENED:
		state_count((enum sfmt_counter)SFKE_CONNECTIONS, 1);
		break;
	case STREAM_TIMED_OUT:
		refused(SFKE_REFUSED_TIMEOUT);
		break;
	case STREAM_PER_SOURCE:
		refused(SFKE_REFUSED_PER_SOURCE);
		break;
	case STREAM_TLS_FAILED:
		refused(SFKE_REFUSED_TLS);
		break;
	case STREAM_ALPN_REFUSED:
		refused(SFKE_REFUSED_ALPN);
		break;
	}
}

static void count_verdict(enum kerec_verdict v)
{
	switch (v) {
	case KEREC_INCOMPLETE:
		break;
	case KEREC_OK:
		state_count((enum sfmt_counter)SFKE_EXCHANGES, 1);
		state_count((enum sfmt_counter)SFKE_COOKIES, KEREC_COOKIES);
		break;
	case KEREC_NO_PROTOCOL:
		refused(SFKE_REFUSED_NO_PROTOCOL);
		break;
	case KEREC_NO_AEAD:
		refused(SFKE_REFUSED_NO_AEAD);
		break;
	case KEREC_INTERNAL:
		refused(SFKE_REFUSED_INTERNAL);
		break;
	default:
		refused(SFKE_REFUSED_MALFORMED);
	}
}

static size_t answer(struct tls_session *s, const uint8_t *req, size_t len,
		     bool final, const struct sockaddr *peer, int64_t deadline,
		     uint8_t *out)
{
	static uint8_t cookies[KEREC_COOKIES][NTS_COOKIE_LEN];
	struct kerec_request r;

	kerec_request_read(req, len, final, &r);
	if (r.verdict == KEREC_INCOMPLETE)
		return 0;
	if (r.verdict == KEREC_OK && !make_cookies(s, peer, deadline, cookies))
		r.verdict = KEREC_INTERNAL;
	count_verdict(r.verdict);
	if (r.why)
		log_request(peer, "request of %zu bytes refused: %s", len, r.why);
	else
		log_request(peer, "keys and %d cookies sent", KEREC_COOKIES);
	return kerec_response(&r, &negotiated, cookies[0], NTS_COOKIE_LEN, out,
			      TLSSERVE_RESPONSE_MAX);
}

/* --rotate-keys: create or rotate the key file when due, and exit. What
 * the file holds now goes to the log (standard error by hand). */
static int rotate_keys(void)
{
	struct nts_keys ks;
	const char *why;
	int rc = ckfile_update(keys_file, rotate_s,
				clk_mono_ms() + ROTATE_LOCK_WAIT_S * 1000, &ks,
				&why);
	if (rc != 0) {
		log_error("key file %s: %s", keys_file,
			  rc > 0 ? "the key directory's lock is held by another "
				   "process: not rotated" :
				   why);
		explicit_bzero(&ks, sizeof ks);
		return 1;
	}
	log_msg(LOG_NOTICE, NULL,
		"key file %s: current key id %08x, last rotated at %lld",
		keys_file, (unsigned)ks.slot[CKEYS_CURRENT].id,
		(long long)ks.rotated);
	explicit_bzero(&ks, sizeof ks);
	return 0;
}

/* Nothing is served before the certificate and the key file are good:
 * a bad one is one clear error and exit 1, never a half answer. */
static int streams(const struct act_sockets *a, const struct opt_common *o)
{
	static const struct tlsserve_handler h = { .answer = answer,
						   .event = count_event };
	static struct nts_keys ks;
	const char *why;

	if (rotate_only)
		return rotate_keys();
	if (make_master)
		return make_master_key();
	if (tls_setup(cert_file, key_file, "ntske/1", &why) < 0) {
		log_error("%s", why);
		return 1;
	}
	if (master_list) {
		if (master_load() != 0)
			return 1;
	} else if (current_keys(&ks, clk_mono_ms() + clk_ms(o->io_timeout),
				NULL, &why) < 0) {
		log_error("key file %s: %s", keys_file, why);
		return 1;
	}
	/* After the checks: a process that serves nothing counts nothing. */
	if (state_open(o->state_dir, o->program, !o->state_dir_given)) {
		state_key_seen(&ks);
		/* The secrets' fingerprints (none in the key file's mode)
		 * for --stats and the metrics, which do not read them. */
		state_master_seen(master_list ? &masters : NULL);
	}
	int r = tlsserve(a, o, &h);
	state_report();
	return r;
}

/* By hand there is no TLS session, so no keys to seal: read a request
 * in the clear on standard input (a terminal or nothing: chrony's own
 * request) and print the response decoded, its cookies by length. */
static int by_hand(void)
{
	static const uint8_t chrony_request[] = {
		0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
		0x00, 0x02, 0x00, 0x0f, 0x80, 0x00, 0x00, 0x00,
	};
	static uint8_t req[KEREC_REQUEST_MAX], cookies[KEREC_COOKIES][NTS_COOKIE_LEN];
	uint8_t out[TLSSERVE_RESPONSE_MAX];
	char text[4096];
	size_t len = 0;
	ssize_t n;

	if (rotate_only)
		return rotate_keys();
	if (make_master)
		return make_master_key();
	if (master_list && master_load() != 0)
		return 1;
	if (!isatty(0))
		while (len < sizeof req &&
		       (n = read(0, req + len, sizeof req - len)) > 0)
			len += (size_t)n;
	if (len == 0) {
		memcpy(req, chrony_request, sizeof chrony_request);
		len = sizeof chrony_request;
	}
	struct kerec_request r;
	kerec_request_read(req, len, true, &r);
	if (r.why)
		log_msg(LOG_NOTICE, NULL, "request of %zu bytes refused: %s", len,
			r.why);
	size_t m = kerec_response(&r, &negotiated, cookies[0], NTS_COOKIE_LEN,
				  out, sizeof out);
	return serve_print(text, kerec_describe(out, m, text, sizeof text));
}

enum {
	OPT_CERT = 300,
	OPT_KEY,
	OPT_SERVER,
	OPT_PORT,
	OPT_KEYS,
	OPT_ROTATE,
	OPT_ROTATE_KEYS,
	OPT_MASTER,
	OPT_MAKE_MASTER
};

static bool take(int opt, const char *arg, const char **why)
{
	char *end;
	switch (opt) {
	case OPT_CERT:
		cert_file = arg;
		return true;
	case OPT_KEY:
		key_file = arg;
		return true;
	case OPT_KEYS:
		keys_file = arg;
		keys_given = true;
		return true;
	case OPT_MASTER:
		if (!mkfile_list_ok(arg)) {
			*why = "--nts-master-key: FILE, or NEW,OLD during a "
			       "change-over";
			return false;
		}
		master_list = arg;
		return true;
	case OPT_MAKE_MASTER:
		if (!*arg) {
			*why = "--make-master-key: a file name";
			return false;
		}
		make_master = arg;
		return true;
	case OPT_ROTATE_KEYS:
		rotate_only = true;
		return true;
	case OPT_SERVER: {
		size_t n = strlen(arg);
		bool ok = n > 0 && n <= KEREC_SERVER_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = arg[i] > 32 && arg[i] < 127;
		if (!ok) {
			*why = "--ntp-server: a host name or address, 1 to 255 "
			       "printable ASCII characters";
			return false;
		}
		negotiated.ntp_server = arg;
		return true;
	}
	case OPT_PORT: {
		long p = strtol(arg, &end, 10);
		if (end == arg || *end || p < 1 || p > 65535) {
			*why = "--ntp-port: a port number from 1 to 65535";
			return false;
		}
		negotiated.ntp_port = (int)p;
		return true;
	}
	case OPT_ROTATE:
		rotate_s = strtod(arg, &end);
		if (end == arg || *end || !(rotate_s >= 1 && rotate_s <= 366 * 86400.0)) {
			*why = "--nts-rotate: a number of seconds from 1 to 31622400";
			return false;
		}
		return true;
	}
	return false;
}

/* One source of cookie keys: the file or the master secret; the
 * derivation counts whole seconds. */
static bool options_done(const char **why)
{
	if (master_list && (keys_given || rotate_only)) {
		*why = "--nts-master-key: not with --nts-keys or --rotate-keys "
		       "(the keys come from the master secret, or from the key "
		       "file: one of them)";
		return false;
	}
	if (master_list && rotate_s != (double)(int64_t)rotate_s) {
		*why = "--nts-rotate: whole seconds with --nts-master-key";
		return false;
	}
	return true;
}

/* Where LoadCredential= puts the files, when it did; else /etc. */
static const char *credential(const char *name, char *buf, size_t cap)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "/etc/sockclock", name);
	return buf;
}

int main(int argc, char **argv)
{
	static char cert_buf[4096], key_buf[4096];
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "ntp-server", required_argument, NULL, OPT_SERVER },
		{ "ntp-port", required_argument, NULL, OPT_PORT },
		{ "nts-keys", required_argument, NULL, OPT_KEYS },
		{ "nts-rotate", required_argument, NULL, OPT_ROTATE },
		{ "rotate-keys", no_argument, NULL, OPT_ROTATE_KEYS },
		{ "nts-master-key", required_argument, NULL, OPT_MASTER },
		{ "make-master-key", required_argument, NULL, OPT_MAKE_MASTER },
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_program p = {
		.name = "nts-ke-tcp",
		.purpose = "Answer NTS key establishment (RFC 8915) requests over"
			   " TLS 1.3.",
		.longopts = opts,
		.help = "      --cert=FILE          certificate chain, PEM (default\n"
			"                           $CREDENTIALS_DIRECTORY/nts-ke.crt,"
			" else\n"
			"                           /etc/sockclock/nts-ke.crt)\n"
			"      --key=FILE           its private key, PEM (default"
			" nts-ke.key\n"
			"                           beside it)\n"
			"      --ntp-server=NAME    send clients to this NTP server\n"
			"                           (default: none, the client uses"
			" this host)\n"
			"      --ntp-port=N         send clients to this NTP port"
			" (default:\n"
			"                           none, the client uses 123)\n"
			"      --nts-keys=FILE      the cookie key file shared with"
			" sntp-udp\n"
			"                           (default " CKFILE_DEFAULT_PATH ")\n"
			"      --nts-rotate=SECS    rotate the cookie key every SECS"
			" (default\n"
			"                           86400)\n"
			"      --rotate-keys        create or rotate the cookie key"
			" file when\n"
			"                           due, then exit (a timer or"
			" cron job)\n"
			"      --nts-master-key=FILE[,OLD]  derive the cookie keys"
			" from this\n"
			"                           master secret (a fleet: the"
			" same file on\n"
			"                           every host); OLD still opens"
			" cookies\n"
			"      --make-master-key=FILE  write a new master secret"
			" (mode 0600,\n"
			"                           never over a file), then"
			" exit\n",
		.take = take,
		.state = true,
		.done = options_done,
	};
	static const struct serve_handler tcp = { .sotype = SOCK_STREAM,
						  .streams = streams };
	cert_file = credential("nts-ke.crt", cert_buf, sizeof cert_buf);
	key_file = credential("nts-ke.key", key_buf, sizeof key_buf);
	return serve_main(argc, argv, &p, &tcp, by_hand);
}
