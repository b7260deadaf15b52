/* SPDX-License-Identifier: ISC */
/* log: stderr, syslog, or the journal through libsystemd. libsystemd is
 * loaded on the first journal message only: linking it would make every
 * request pay for loading it and its dependencies (README, "Design"). */
#include "../proto/srcaddr.h"
#include "log.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

static const char *log_ident = "sockclock";
static enum act_origin log_origin = ACT_BY_HAND;
static bool log_verbose;
static bool syslog_opened;

void log_open(const char *ident, enum act_origin origin)
{
	log_ident = ident;
	log_origin = origin;
}

void log_set_verbose(bool on)
{
	log_verbose = on;
}

bool log_is_verbose(void)
{
	return log_verbose;
}

bool log_to_stderr(void)
{
	return log_origin == ACT_BY_HAND;
}

typedef __typeof__(sd_journal_sendv) journal_sendv_fn;

static journal_sendv_fn *journal_sendv(void)
{
	static journal_sendv_fn *fn;
	static bool tried;
	if (!tried) {
		tried = true;
		void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
		if (h)
			fn = (journal_sendv_fn *)dlsym(h, "sd_journal_sendv");
	}
	return fn;
}

/* A person watching systemd-socket-activate in a terminal reads its
 * standard error; a service's messages go to the journal, when there is
 * one (sd_journal_sendv drops them silently when there is not). */
static bool journal_wanted(void)
{
	static int wanted = -1;
	if (wanted < 0)
		wanted = !isatty(2) &&
			 access("/run/systemd/journal/socket", W_OK) == 0;
	return wanted;
}

static bool to_journal(int priority, const char *peer, const char *text)
{
	if (!journal_wanted())
		return false;
	journal_sendv_fn *send = journal_sendv();
	if (!send)
		return false;
	char msg[1100], prio[16], ident[64], addr[96];
	struct iovec iov[4];
	int n = 0;
	snprintf(msg, sizeof msg, "MESSAGE=%s", text);
	snprintf(prio, sizeof prio, "PRIORITY=%d", priority);
	snprintf(ident, sizeof ident, "SYSLOG_IDENTIFIER=%s", log_ident);
	iov[n++] = (struct iovec){ msg, strlen(msg) };
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	iov[n++] = (struct iovec){ ident, strlen(ident) };
	if (peer) {
		snprintf(addr, sizeof addr, "PEER_ADDRESS=%s", peer);
		iov[n++] = (struct iovec){ addr, strlen(addr) };
	}
	return send(iov, n) >= 0;
}

void log_msg(int priority, const struct sockaddr *sa, const char *fmt, ...)
{
	char text[1024], name[SRCADDR_NAME_MAX];
	const char *peer = NULL;
	if (sa) {
		srcaddr_name(sa, name);
		peer = name;
	}
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (peer) {
		size_t l = strlen(text);
		snprintf(text + l, sizeof text - l, " (peer %s)", peer);
	}

	switch (log_origin) {
	case ACT_SYSTEMD:
		if (to_journal(priority, peer, text))
			return;
		break; /* no libsystemd: systemd reads standard error too */
	case ACT_INETD:
		if (!syslog_opened) {
			openlog(log_ident, LOG_PID, LOG_DAEMON);
			syslog_opened = true;
		}
		syslog(priority, "%s", text);
		return;
	case ACT_BY_HAND:
		break;
	}
	fprintf(stderr, "%s: %s\n", log_ident, text);
}
