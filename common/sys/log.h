/* SPDX-License-Identifier: ISC */
/* log: one way to report, wherever the program was started from:
 * standard error by hand, the journal under systemd, syslog under inetd
 * (where standard error is the client's socket). */
#ifndef SOCKCLOCK_LOG_H
#define SOCKCLOCK_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "activation.h"

void log_open(const char *ident, enum act_origin origin);
void log_set_verbose(bool on);
bool log_is_verbose(void);
/* True when messages go to standard error (a run by hand). */
bool log_to_stderr(void);

struct sockaddr;
/* peer: the client, named in the text and in the journal's
 * PEER_ADDRESS field; or NULL. */
void log_msg(int priority, const struct sockaddr *peer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, NULL, __VA_ARGS__)
/* One line per request, with --verbose only. */
#define log_request(peer, ...) \
	do { \
		if (log_is_verbose()) \
			log_msg(LOG_INFO, peer, __VA_ARGS__); \
	} while (0)

#endif
