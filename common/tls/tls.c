/* SPDX-License-Identifier: ISC */
/* tls: GnuTLS server sessions. The socket's own flags are left alone
 * (under inetd its description is shared): every send and receive asks
 * not to block. */
#include "tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* A loaded certificate and key. A session keeps the one it started with
 * (GnuTLS does not copy it): a renewal swaps in a new one for the next
 * sessions, and the old is freed when its last session ends. */
struct creds {
	gnutls_certificate_credentials_t g;
	unsigned users;
};

/* What a file was when last looked at: a renewal replaces it (rename,
 * new inode) or rewrites it (new mtime or size). */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool seen;
};

static struct creds *current;
static const char *cert_path, *key_path;
static struct file_id cert_id, key_id;
static gnutls_priority_t prio;
static gnutls_datum_t alpn_name;

struct tls_session {
	gnutls_session_t g;
	struct creds *creds;
	int fd;
	const char *why;
	char why_buf[128];
	bool alpn_refused;
};

/* A file that cannot be opened gets the system's reason and its name;
 * GnuTLS would only say "error while reading file". */
static bool readable(const char *what, const char *path, const char **why)
{
	static char msg[512];
	FILE *f = fopen(path, "r");
	if (f) {
		fclose(f);
		return true;
	}
	snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(errno));
	*why = msg;
	return false;
}

static void file_id_of(const char *path, struct file_id *id)
{
	struct stat st;
	memset(id, 0, sizeof *id);
	if (stat(path, &st) != 0)
		return;
	*id = (struct file_id){ .dev = st.st_dev, .ino = st.st_ino,
				.size = st.st_size, .mtime = st.st_mtim,
				.seen = true };
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	return a->seen == b->seen && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void creds_drop(struct creds *c)
{
	if (c && c != current && c->users == 0) {
		gnutls_certificate_free_credentials(c->g);
		free(c);
	}
}

/* The certificate and key as the files hold them now; GnuTLS refuses a
 * key that does not match the certificate (a renewal half done). */
static struct creds *creds_load(const char **why)
{
	static char msg[640];
	if (!readable("certificate", cert_path, why) ||
	    !readable("key", key_path, why))
		return NULL;
	struct creds *c = calloc(1, sizeof *c);
	if (!c) {
		*why = "out of memory";
		return NULL;
	}
	int r = gnutls_certificate_allocate_credentials(&c->g);
	if (r == 0)
		r = gnutls_certificate_set_x509_key_file(c->g, cert_path,
							 key_path,
							 GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		snprintf(msg, sizeof msg, "certificate %s with key %s: %s",
			 cert_path, key_path, gnutls_strerror(r));
		*why = msg;
		if (c->g)
			gnutls_certificate_free_credentials(c->g);
		free(c);
		return NULL;
	}
	return c;
}

int tls_refresh(const char **why)
{
	struct file_id cert_now, key_now;
	file_id_of(cert_path, &cert_now);
	file_id_of(key_path, &key_now);
	if (same_file(&cert_now, &cert_id) && same_file(&key_now, &key_id))
		return 0;
	/* Looked at once per change, loaded or not: a failed load is tried
	 * again only when a file changes again (the renewal's next step),
	 * never on every connection. */
	cert_id = cert_now;
	key_id = key_now;
	struct creds *c = creds_load(why);
	if (!c)
		return -1;
	struct creds *old = current;
	current = c;
	creds_drop(old);
	return 1;
}

int tls_setup(const char *cert_file, const char *key_file, const char *alpn,
	      const char **why)
{
	cert_path = cert_file;
	key_path = key_file;
	/* The identities first: a change while loading is seen next time. */
	file_id_of(cert_path, &cert_id);
	file_id_of(key_path, &key_id);
	current = creds_load(why);
	if (!current)
		return -1;
	static char msg[640];
	/* TLS 1.3 only (RFC 8915 §3: 1.3 or later). */
	const char *at;
	int r = gnutls_priority_init(&prio, "NORMAL:-VERS-ALL:+VERS-TLS1.3", &at);
	if (r < 0) {
		snprintf(msg, sizeof msg, "TLS priorities: %s", gnutls_strerror(r));
		*why = msg;
		return -1;
	}
	alpn_name.data = (unsigned char *)alpn;
	alpn_name.size = (unsigned)strlen(alpn);
	return 0;
}

static ssize_t push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct tls_session *s = p;
	return send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static ssize_t pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tls_session *s = p;
	return recv(s->fd, buf, len, MSG_DONTWAIT);
}

struct tls_session *tls_start(int fd)
{
	struct tls_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fd = fd;
	s->creds = current;
	current->users++;
	/* No tickets: a key exchange is one request, never resumed. */
	if (gnutls_init(&s->g, GNUTLS_SERVER | GNUTLS_NONBLOCK |
				       GNUTLS_NO_TICKETS) < 0) {
		s->g = NULL;
		tls_end(s);
		return NULL;
	}
	if (gnutls_priority_set(s->g, prio) < 0 ||
	    gnutls_credentials_set(s->g, GNUTLS_CRD_CERTIFICATE,
				   s->creds->g) < 0 ||
	    gnutls_alpn_set_protocols(s->g, &alpn_name, 1,
				      GNUTLS_ALPN_MANDATORY) < 0) {
		tls_end(s);
		return NULL;
	}
	gnutls_certificate_server_set_request(s->g, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_ptr(s->g, s);
	gnutls_transport_set_push_function(s->g, push);
	gnutls_transport_set_pull_function(s->g, pull);
	return s;
}

void tls_end(struct tls_session *s)
{
	if (!s)
		return;
	if (s->g)
		gnutls_deinit(s->g);
	s->creds->users--;
	creds_drop(s->creds);
	free(s);
}

static enum tls_step step(struct tls_session *s, int r)
{
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return gnutls_record_get_direction(s->g) ? TLS_WANT_WRITE :
							   TLS_WANT_READ;
	snprintf(s->why_buf, sizeof s->why_buf, "%s", gnutls_strerror(r));
	s->why = s->why_buf;
	return TLS_FAILED;
}

enum tls_step tls_handshake(struct tls_session *s)
{
	int r = gnutls_handshake(s->g);
	if (r < 0) {
		enum tls_step st = step(s, r);
		s->alpn_refused = r == GNUTLS_E_NO_APPLICATION_PROTOCOL;
		if (st == TLS_FAILED) /* say why to the client: TLS 1.2 etc. */
			gnutls_alert_send_appropriate(s->g, r);
		return st;
	}
	/* GnuTLS's mandatory ALPN refuses a client offering other names;
	 * one offering none at all is refused here. */
	gnutls_datum_t got;
	if (gnutls_alpn_get_selected_protocol(s->g, &got) < 0 ||
	    got.size != alpn_name.size ||
	    memcmp(got.data, alpn_name.data, got.size) != 0) {
		gnutls_alert_send(s->g, GNUTLS_AL_FATAL,
				  GNUTLS_A_NO_APPLICATION_PROTOCOL);
		s->why = "the client did not offer ALPN ntske/1";
		s->alpn_refused = true;
		return TLS_FAILED;
	}
	return TLS_DONE;
}

enum tls_step tls_read(struct tls_session *s, uint8_t *buf, size_t cap,
		       size_t *got)
{
	ssize_t r = gnutls_record_recv(s->g, buf, cap);
	if (r < 0 && r != GNUTLS_E_PREMATURE_TERMINATION)
		return step(s, (int)r);
	*got = r > 0 ? (size_t)r : 0;
	return TLS_DONE;
}

enum tls_step tls_write(struct tls_session *s, const uint8_t *buf,
			size_t len, size_t *sent)
{
	while (*sent < len) {
		ssize_t r = gnutls_record_send(s->g, buf + *sent, len - *sent);
		if (r < 0)
			return step(s, (int)r);
		*sent += (size_t)r;
	}
	return TLS_DONE;
}

enum tls_step tls_bye(struct tls_session *s)
{
	int r = gnutls_bye(s->g, GNUTLS_SHUT_WR);
	return r < 0 ? step(s, r) : TLS_DONE;
}

bool tls_export(struct tls_session *s, const char *label, const uint8_t *ctx,
		size_t ctx_len, uint8_t *out, size_t out_len)
{
	return gnutls_prf_rfc5705(s->g, strlen(label), label, ctx_len,
				  (const char *)ctx, out_len, (char *)out) == 0;
}

bool tls_alpn_refused(const struct tls_session *s)
{
	return s->alpn_refused;
}

const char *tls_why(const struct tls_session *s)
{
	return s->why ? s->why : "no error";
}
