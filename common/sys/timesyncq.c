/* SPDX-License-Identifier: ISC */
/* timesyncq: see timesyncq.h. */
#include "timesyncq.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "clock.h"
#include "log.h"
#include "state.h"
#include "upstreamquery.h"

#define TSQ_NAME "org.freedesktop.timesync1"
#define TSQ_PATH "/org/freedesktop/timesync1"
#define TSQ_IFACE "org.freedesktop.timesync1.Manager"

/* libsystemd's sd-bus, loaded on the first query (as log.c loads it for
 * the journal): linking it would make every process pay for it. */
#define SDB(fn) __typeof__(fn) *fn
static struct {
	SDB(sd_bus_new);
	SDB(sd_bus_set_address);
	SDB(sd_bus_set_bus_client);
	SDB(sd_bus_set_method_call_timeout);
	SDB(sd_bus_start);
	SDB(sd_bus_flush_close_unref);
	SDB(sd_bus_message_new_method_call);
	SDB(sd_bus_message_set_auto_start);
	SDB(sd_bus_message_append);
	SDB(sd_bus_call);
	SDB(sd_bus_message_unref);
	SDB(sd_bus_error_free);
	SDB(sd_bus_message_enter_container);
	SDB(sd_bus_message_exit_container);
	SDB(sd_bus_message_peek_type);
	SDB(sd_bus_message_read);
	SDB(sd_bus_message_read_array);
	SDB(sd_bus_message_skip);
} sdb;
#undef SDB

static bool sdb_load(void)
{
	static int loaded = -1;
	if (loaded >= 0)
		return loaded;
	loaded = 0;
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return false;
#define SYM(fn) if (!(*(void **)&sdb.fn = dlsym(h, #fn))) return false
	SYM(sd_bus_new);
	SYM(sd_bus_set_address);
	SYM(sd_bus_set_bus_client);
	SYM(sd_bus_set_method_call_timeout);
	SYM(sd_bus_start);
	SYM(sd_bus_flush_close_unref);
	SYM(sd_bus_message_new_method_call);
	SYM(sd_bus_message_set_auto_start);
	SYM(sd_bus_message_append);
	SYM(sd_bus_call);
	SYM(sd_bus_message_unref);
	SYM(sd_bus_error_free);
	SYM(sd_bus_message_enter_container);
	SYM(sd_bus_message_exit_container);
	SYM(sd_bus_message_peek_type);
	SYM(sd_bus_message_read);
	SYM(sd_bus_message_read_array);
	SYM(sd_bus_message_skip);
#undef SYM
	loaded = 1;
	return true;
}

/* The system bus, where sd_bus_open_system finds it: without it, no
 * need to load anything. */
#define TSQ_BUS_SOCKET "/run/dbus/system_bus_socket"
static const char *bus_address(void)
{
	const char *a = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
	if (a && *a)
		return a;
	return access(TSQ_BUS_SOCKET, F_OK) == 0 ? "unix:path=" TSQ_BUS_SOCKET : NULL;
}

/* The NTPMessage variant's contents, signature TSD_NTPMESSAGE_SIG. */
static int read_message(sd_bus_message *r, struct tsd_message *m)
{
	const void *refid;
	size_t len;
	int spike;
	int e;
	if ((e = sdb.sd_bus_message_enter_container(r, 'r', "uuuuittayttttbtt")) <= 0 ||
	    (e = sdb.sd_bus_message_read(r, "uuuuitt", &m->leap, &m->version,
					 &m->mode, &m->stratum, &m->precision,
					 &m->root_delay_us,
					 &m->root_dispersion_us)) < 0 ||
	    (e = sdb.sd_bus_message_read_array(r, 'y', &refid, &len)) < 0 ||
	    (e = sdb.sd_bus_message_read(r, "ttttbtt", &m->origin_us,
					 &m->receive_us, &m->transmit_us,
					 &m->dest_us, &spike, &m->packet_count,
					 &m->jitter_us)) < 0 ||
	    (e = sdb.sd_bus_message_exit_container(r)) < 0)
		return e < 0 ? e : -EBADMSG;
	if (len != 4 || !tsd_fits(m))
		return -ERANGE;
	memcpy(m->refid, refid, 4);
	m->spike = spike != 0;
	return 0;
}

/* ServerAddress, "(iay)": AF_UNSPEC with no bytes while there is none. */
static int read_address(sd_bus_message *r, struct tsd_view *v)
{
	int32_t family;
	const void *a;
	size_t len;
	int e;
	if ((e = sdb.sd_bus_message_enter_container(r, 'r', "iay")) <= 0 ||
	    (e = sdb.sd_bus_message_read(r, "i", &family)) < 0 ||
	    (e = sdb.sd_bus_message_read_array(r, 'y', &a, &len)) < 0 ||
	    (e = sdb.sd_bus_message_exit_container(r)) < 0)
		return e < 0 ? e : -EBADMSG;
	if (family == AF_INET && len == 4)
		v->family = 4;
	else if (family == AF_INET6 && len == 16)
		v->family = 6;
	else if (family == AF_UNSPEC && len == 0)
		v->family = 0;
	else
		return -ERANGE;
	memcpy(v->addr, a, len);
	return 0;
}

/* The properties GetAll returned, "a{sv}": those we need, each of its
 * own type (a wrong one fails the whole answer: *why names it). */
static int read_all(sd_bus_message *r, struct tsd_view *v, const char **why)
{
	bool have_msg = false;
	int e = sdb.sd_bus_message_enter_container(r, 'a', "{sv}");
	if (e <= 0)
		return *why = "not a{sv}", e < 0 ? e : -EBADMSG;
	while ((e = sdb.sd_bus_message_enter_container(r, 'e', "sv")) > 0) {
		const char *name, *sig;
		char type;
		if ((e = sdb.sd_bus_message_read(r, "s", &name)) < 0 ||
		    (e = sdb.sd_bus_message_peek_type(r, &type, &sig)) < 0)
			return e;
		const char *want = !strcmp(name, "NTPMessage") ? TSD_NTPMESSAGE_SIG :
				   !strcmp(name, "ServerAddress") ? "(iay)" :
				   !strcmp(name, "PollIntervalUSec") ? "t" : NULL;
		if (!want) {
			if ((e = sdb.sd_bus_message_skip(r, "v")) < 0)
				return e;
		} else if (type != 'v' || !sig || strcmp(sig, want) != 0) {
			static char wrong[96];
			snprintf(wrong, sizeof wrong, "%s of type %s, not %s", name,
				 sig ? sig : "?", want);
			*why = wrong;
			return -EBADMSG;
		} else {
			if ((e = sdb.sd_bus_message_enter_container(r, 'v', want)) <= 0)
				return e < 0 ? e : -EBADMSG;
			if (want[0] == 't')
				e = sdb.sd_bus_message_read(r, "t", &v->poll_us);
			else if (want[1] == 'u')
				e = read_message(r, &v->m), have_msg = e >= 0;
			else
				e = read_address(r, v);
			if (e < 0) {
				static char bad[64];
				snprintf(bad, sizeof bad, "%s out of range", name);
				*why = bad;
				return e;
			}
			if ((e = sdb.sd_bus_message_exit_container(r)) < 0)
				return e;
		}
		if ((e = sdb.sd_bus_message_exit_container(r)) < 0)
			return e;
	}
	if (e < 0)
		return e;
	if (!have_msg)
		return *why = "no NTPMessage", -EBADMSG;
	return 0;
}

/* One GetAll: true with v, else false with *why. */
static bool ask(struct tsd_view *v, const char **why)
{
	sd_bus *bus = NULL;
	sd_bus_message *q = NULL, *r = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	bool ok = false;
	int e;
	memset(v, 0, sizeof *v);
	*why = "no system bus";
	const char *address = bus_address();
	if (!address)
		return false;
	*why = "libsystemd cannot be loaded";
	if (!sdb_load())
		return false;
	/* sd_bus_open_system's steps, with our timeout set before the
	 * Hello goes out (its default is 25 s). */
	*why = "cannot connect to the system bus";
	if (sdb.sd_bus_new(&bus) < 0)
		return false;
	if (sdb.sd_bus_set_address(bus, address) < 0 ||
	    sdb.sd_bus_set_bus_client(bus, 1) < 0 ||
	    sdb.sd_bus_set_method_call_timeout(bus, TSQ_CALL_TIMEOUT_US) < 0 ||
	    sdb.sd_bus_start(bus) < 0)
		goto out;
	*why = "cannot make the call";
	if (sdb.sd_bus_message_new_method_call(bus, &q, TSQ_NAME, TSQ_PATH,
					       "org.freedesktop.DBus.Properties",
					       "GetAll") < 0 ||
	    /* Never start timesyncd by asking. */
	    sdb.sd_bus_message_set_auto_start(q, 0) < 0 ||
	    sdb.sd_bus_message_append(q, "s", TSQ_IFACE) < 0)
		goto out;
	if ((e = sdb.sd_bus_call(bus, q, TSQ_CALL_TIMEOUT_US, &err, &r)) < 0) {
		/* Kept past sd_bus_error_free. */
		static char name[96];
		snprintf(name, sizeof name, "%s", err.name ? err.name : "no answer");
		*why = name;
		goto out;
	}
	ok = read_all(r, v, why) >= 0;
out:
	if (!ok)
		memset(v, 0, sizeof *v);
	sdb.sd_bus_error_free(&err);
	sdb.sd_bus_message_unref(r);
	sdb.sd_bus_message_unref(q);
	sdb.sd_bus_flush_close_unref(bus);
	return ok;
}

/* Ask, and keep the answer (or count the failure) in r: the sequence
 * lock of upstreamquery's region. */
static void refresh(struct sfmt_upstream *r, int64_t asked_ms)
{
	struct tsd_view v;
	const char *why = "";
	if (!ask(&v, &why)) {
		__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
		/* Said once, and only of a daemon that did answer before. */
		uint32_t was = 0;
		if (__atomic_load_n(&r->taken_ms, __ATOMIC_RELAXED) != 0 &&
		    __atomic_compare_exchange_n(&r->lost, &was, 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			log_warning("upstream: timesyncd does not answer (%s); its "
				    "last answer is used for up to %d s", why,
				    UPQ_BELIEVED_MS / 1000);
		else if (log_is_verbose())
			log_msg(LOG_INFO, NULL, "upstream: timesyncd: %s", why);
		return;
	}
	uint8_t rec[TSD_RECORD_LEN];
	tsd_encode(&v, rec);
	/* Odd while written; from an even value, should a writer have died
	 * between its two stores. */
	uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_RELAXED) & ~1u;
	__atomic_store_n(&r->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(r->report, rec, sizeof rec);
	r->report_seq = TSD_RECORD_MAGIC;
	tsd_source_name(&v, r->source, sizeof r->source);
	__atomic_store_n(&r->taken_ms, asked_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&r->seq, s + 2, __ATOMIC_RELEASE);
	__atomic_fetch_add(&r->refreshes, 1, __ATOMIC_RELAXED);
	uint32_t was = 1;
	if (__atomic_compare_exchange_n(&r->lost, &was, 0, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		log_msg(LOG_NOTICE, NULL, "upstream: timesyncd answers again");
}

/* A child that overstays (a bus that never finishes authenticating):
 * counted as a failure and ended. */
static struct sfmt_upstream *child_region;
static void child_overdue(int sig)
{
	(void)sig;
	__atomic_fetch_add(&child_region->failures, 1, __ATOMIC_RELAXED);
	_exit(1);
}

/* The query in a child: the parent answers meanwhile. The child keeps
 * the state file's mapping and standard error (where a message by hand
 * goes; under inetd messages go to syslog and the socket may be fd 2,
 * so not then), and nothing else of the parent's. */
static pid_t refresh_in_child(struct sfmt_upstream *r, int64_t asked_ms)
{
	static bool reaping;
	if (!reaping) {
		/* Nobody waits for the children: the kernel reaps them. */
		struct sigaction sa = { .sa_handler = SIG_IGN,
					.sa_flags = SA_NOCLDWAIT };
		sigaction(SIGCHLD, &sa, NULL);
		reaping = true;
	}
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int type = 0;
	socklen_t tl = sizeof type;
	bool keep_err = getsockopt(2, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
			type != SOCK_DGRAM;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (!keep_err)
			dup2(nul, 2);
	}
	close_range(3, ~0u, 0);
	child_region = r;
	struct sigaction sa = { .sa_handler = child_overdue };
	sigaction(SIGALRM, &sa, NULL);
	alarm(TSQ_CHILD_MAX_S);
	refresh(r, asked_ms);
	_exit(0);
}

/* Without a state file, the process's own (shared with a child). */
static struct sfmt_upstream *own;

static struct sfmt_upstream *region_of(struct sfmt_upstream *r)
{
	if (r)
		return r;
	if (!own) {
		void *m = mmap(NULL, sizeof *own, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		own = m;
	}
	return own;
}

_Static_assert(TSD_RECORD_LEN <= CC_TRACKING_LEN,
	       "timesyncd's record fits the region's report");

bool tsq_peek(struct sfmt_upstream *r, int64_t now_ms, struct tsd_view *v,
	      char source[SFMT_UP_NAME_MAX])
{
	if (!(r = region_of(r)))
		return false;
	for (int tries = 0; tries < 4; tries++) {
		uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		struct sfmt_up_copy cp;
		if (!sfmt_up_copy(r, s, &cp))
			continue;
		memcpy(source, cp.source, SFMT_UP_NAME_MAX);
		int64_t taken = cp.taken_ms;
		/* Checked again: another process, or anyone who can write
		 * the file, put these bytes there. */
		return taken > 0 && now_ms >= taken &&
		       now_ms - taken <= UPQ_BELIEVED_MS &&
		       cp.report_seq == TSD_RECORD_MAGIC &&
		       tsd_decode(cp.report, TSD_RECORD_LEN, v);
	}
	return false;
}

/* A refresh claimed while a client waited: made after the replies. */
static struct sfmt_upstream *pending;
static int64_t pending_ms;

bool tsq_view(struct sfmt_upstream *region, int64_t now_ms, bool may_wait,
	      struct tsd_view *v, char source[SFMT_UP_NAME_MAX])
{
	struct sfmt_upstream *r = region_of(region);
	if (!r)
		return false;
	int64_t tried = __atomic_load_n(&r->tried_ms, __ATOMIC_RELAXED);
	if ((tried == 0 || now_ms - tried >= UPQ_INTERVAL_MS || now_ms < tried) &&
	    __atomic_compare_exchange_n(&r->tried_ms, &tried, now_ms, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		if (may_wait) {
			pending = r;
			pending_ms = now_ms;
		} else {
			refresh(r, now_ms);
		}
	}
	return tsq_peek(r, now_ms, v, source);
}

static pid_t child;

void tsq_after_replies(void)
{
	if (!pending)
		return;
	struct sfmt_upstream *r = pending;
	pending = NULL;
	if ((child = refresh_in_child(r, pending_ms)) < 0)
		__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
}

void tsq_finish(void)
{
	tsq_after_replies();
	/* Under systemd the unit's other processes are ended with it. The
	 * children are reaped by the kernel: gone when kill finds none. */
	for (int ms = 0; child > 0 && ms < TSQ_FINISH_MS; ms++) {
		if (kill(child, 0) < 0 && errno == ESRCH)
			break;
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
	child = 0;
}

bool tsq_view_here(bool may_wait, struct tsd_view *v,
		   char source[SFMT_UP_NAME_MAX])
{
	struct sfmt_image *img = state_image();
	return tsq_view(img ? &img->tsd : NULL, clk_mono_ms(), may_wait, v, source);
}
