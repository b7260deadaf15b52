/* SPDX-License-Identifier: ISC */
/* tls: server sessions of TLS 1.3 only over GnuTLS, one per connected
 * socket, never blocking: each step says whether it is done, failed, or
 * wants the socket readable or writable. Knows no protocol beyond the one
 * ALPN name it insists on and the RFC 5705 exporter. */
#ifndef SOCKCLOCK_TLS_H
#define SOCKCLOCK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Load the certificate chain and key (PEM) once per process; alpn is the
 * one protocol a client must offer. Returns -1 with a message in why. */
int tls_setup(const char *cert_file, const char *key_file, const char *alpn,
	      const char **why);
/* Load them again when either file changed on disk since last looked at
 * (two stats when not): for a long-lived process, so a renewal is served
 * from the next session on. 1 loaded, 0 unchanged, -1 with why: the
 * files as they are now do not load (a renewal half done: the new key
 * with the old certificate), and the certificate loaded before stays. */
int tls_refresh(const char **why);

struct tls_session;

enum tls_step { TLS_DONE, TLS_WANT_READ, TLS_WANT_WRITE, TLS_FAILED };

/* A session on the connected socket fd (which stays the caller's); NULL
 * when out of memory. */
struct tls_session *tls_start(int fd);
void tls_end(struct tls_session *s);

/* The handshake, then the ALPN check: a client that did not offer the
 * name fails here (after the alert no_application_protocol). */
enum tls_step tls_handshake(struct tls_session *s);
/* Read application data into buf; *got 0 with TLS_DONE: the client has
 * closed (close_notify or end of stream). */
enum tls_step tls_read(struct tls_session *s, uint8_t *buf, size_t cap,
		       size_t *got);
/* Write buf[0..len), all of it, across calls: *sent grows. */
enum tls_step tls_write(struct tls_session *s, const uint8_t *buf,
			size_t len, size_t *sent);
/* Send close_notify (the write side only). */
enum tls_step tls_bye(struct tls_session *s);
/* RFC 5705 keying material; false when the session cannot give it. */
bool tls_export(struct tls_session *s, const char *label, const uint8_t *ctx,
		size_t ctx_len, uint8_t *out, size_t out_len);
/* Why the last step failed, for the log. */
const char *tls_why(const struct tls_session *s);
/* Whether the handshake failed for want of the ALPN protocol. */
bool tls_alpn_refused(const struct tls_session *s);

#endif
