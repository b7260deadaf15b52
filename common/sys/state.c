/* SPDX-License-Identifier: ISC */
/* state: open, check, make and map the state file. Two processes (two
 * sockets, or a server and --stats) share it through MAP_SHARED:
 * counters change by atomic adds only, the rate-limit table by per-set
 * try-locks (ratelimit.c); the header is written once, into a file not
 * yet visible under its name. No fsync, no lock that waits. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../proto/keyprint.h"
#include "log.h"

static struct sfmt_image *image;
/* For the warning and the header of a replaced mapping (state_report). */
static char image_path[4096 + 64];
static char image_program[SFMT_PROGRAM_MAX];
static uint8_t image_key[RL_KEY_LEN];

/* The SIGBUS guard. Touching a page of a shared file mapping that the
 * file no longer has raises SIGBUS: the file truncated while mapped (by
 * its owner or root), or between fstat and mmap, or a page a full
 * filesystem has no room for (a sparse file). A crash there would be a
 * crash on every activation, and the request being served would go
 * unanswered. So the handler replaces the whole mapping in place with
 * zeroed private memory (MAP_FIXED over the same range) and returns: the
 * access is retried on it and the process serves on with fresh state of
 * its own. All-zero is a fresh image's body (sfmt_init): no counters, an
 * empty rate-limit table and interleaved table, free lock words; and
 * the tables' code takes any bytes (fuzz/statefmt.c), so a set half
 * updated when the page went is only a source forgotten. The warning is
 * logged later, outside the handler (state_report). Any other SIGBUS
 * goes back to the action that was there before (the default's core
 * dump, or the sanitizer's report in the ASan build): the handler puts
 * it back and lets the access fault again, or raises a sent one anew. */
static void *volatile guarded;		/* the mapping guarded, or NULL */
static volatile sig_atomic_t swapped;	/* guarded was replaced */
static struct sigaction bus_before;

static void on_bus(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	int saved = errno;
	char *g = guarded, *a = si->si_addr;
	if (si->si_code > 0 && g && a >= g && a < g + SFMT_SIZE &&
	    mmap(g, SFMT_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == g) {
		swapped = 1;
		errno = saved;
		return;
	}
	sigaction(SIGBUS, &bus_before, NULL);
	if (si->si_code <= 0)
		raise(sig); /* sent, not a fault: delivered on return */
	errno = saved;
}

static void guard_install(void)
{
	static bool done;
	if (done)
		return;
	struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	done = sigaction(SIGBUS, &sa, &bus_before) == 0;
}

/* Stop guarding m before it is unmapped (the range may be reused). */
static void unmap(void *m)
{
	if (guarded == m)
		guarded = NULL;
	munmap(m, SFMT_SIZE);
}

void state_report(void)
{
	static bool told;
	if (!swapped || told || !image)
		return;
	told = true;
	/* The private image stays a valid one, as any reader expects. */
	sfmt_header_make(&image->h, image_program, image_key);
	log_warning("state file %s: truncated while in use; serving on with "
		    "fresh state kept by this process only", image_path);
}

struct sfmt_image *state_image(void)
{
	return image;
}

void state_count(enum sfmt_counter c, uint64_t n)
{
	if (image && n)
		__atomic_fetch_add(&image->counter[c], n, __ATOMIC_RELAXED);
}

/* Why fd cannot be our state file, or NULL with *out mapped. */
static const char *examine(int fd, const char *program, int prot,
			   struct sfmt_image **out)
{
	static char why[96];
	struct stat st;
	if (fstat(fd, &st) < 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	/* Under DynamicUser systemd re-owns the directory and what is in
	 * it to the unit's user of this run: that is geteuid() here. */
	if (st.st_uid != geteuid() && !(prot == PROT_READ && geteuid() == 0)) {
		snprintf(why, sizeof why, "owned by uid %u, not %u",
			 (unsigned)st.st_uid, (unsigned)geteuid());
		return why;
	}
	if (st.st_mode & 077)
		return "open to other users (not mode 0600)";
	if (st.st_size != (off_t)SFMT_SIZE)
		return sfmt_verdict_name(SFMT_BAD_SIZE);
	void *m = mmap(NULL, SFMT_SIZE, prot, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return strerror(errno);
	/* Truncated since fstat: the check reads zeros (guarded). */
	swapped = 0;
	guarded = m;
	enum sfmt_verdict v = sfmt_check(m, SFMT_SIZE, program);
	if (swapped) {
		swapped = 0;
		unmap(m);
		return "truncated while being opened";
	}
	if (v != SFMT_OK) {
		unmap(m);
		return sfmt_verdict_name(v);
	}
	*out = m;
	return NULL;
}

/* A temporary file (NAME.PID.tmp) whose maker died before renaming it
 * holds space, and a full filesystem is where makers died (before
 * posix_fallocate, by SIGBUS). Removed when its PID runs no more, or
 * when it is older than STALE_TMP_S whatever its PID says (the PID may
 * be reused, or be of another PID namespace, or be another user's: kill
 * says EPERM). A live maker keeps its file for microseconds; one stopped
 * for a minute in the middle loses it and serves without state. */
#define STALE_TMP_S 60

static void sweep(int dfd, const char *name)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t len = strlen(name);
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (strncmp(n, name, len) != 0 || n[len] != '.')
			continue;
		char *end;
		long pid = strtol(n + len + 1, &end, 10);
		if (end == n + len + 1 || strcmp(end, ".tmp") != 0 ||
		    pid <= 0 || pid == (long)getpid())
			continue;
		struct stat st;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		bool dead = pid > INT_MAX ||
			    (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
		if (dead || now - st.st_mtime > STALE_TMP_S)
			unlinkat(dirfd(d), n, 0);
	}
	closedir(d);
}

/* Make a fresh image under a private name, then give it the real name
 * only if nobody else did meanwhile. 1: made, 0: someone else's came
 * first (open that), -1: cannot (errno says why). */
static int create(int dfd, const char *name, const char *program)
{
	char tmp[96];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", name, (long)getpid());
	sweep(dfd, name);
	unlinkat(dfd, tmp, 0);
	int fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (fd < 0)
		return -1;
	/* The table's hash key: secret, or a flood could aim at one set. */
	uint8_t key[RL_KEY_LEN];
	if (getrandom(key, sizeof key, GRND_NONBLOCK) != sizeof key) {
		close(fd);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	/* The blocks reserved, not only the size set: a sparse file on a
	 * full filesystem would fault (SIGBUS) as it is filled in. */
	void *m = MAP_FAILED;
	int e = fchmod(fd, 0600) < 0 ? errno :
					posix_fallocate(fd, 0, (off_t)SFMT_SIZE);
	if (e == 0) {
		m = mmap(NULL, SFMT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		e = errno;
	}
	close(fd);
	if (m == MAP_FAILED) {
		unlinkat(dfd, tmp, 0);
		errno = e;
		return -1;
	}
	swapped = 0;
	guarded = m;
	sfmt_init(m, program, key);
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0) {
		e = errno;
		unlinkat(dfd, tmp, 0);
		unmap(m);
		errno = e;
		return e == EEXIST ? 0 : -1;
	}
	image = m;
	return 1;
}

void state_delay(enum sfmt_delay_kind k, int64_t ns)
{
	if (image)
		sfmt_delay_record(image, k, ns);
}

void *state_xl_table(void)
{
	static unsigned char own[XL_TABLE_BYTES] __attribute__((aligned(64)));
	return image ? (void *)image->xl_table : (void *)own;
}

bool state_open(const char *dir, const char *program, bool quiet_if_missing)
{
	char name[64];
	snprintf(name, sizeof name, "%s.state", program);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT && quiet_if_missing)
			return false;
		log_warning("state directory %s: %s; serving without state "
			    "across activations", dir, strerror(errno));
		return false;
	}
	guard_install();
	bool warned = false;
	for (int attempt = 0; attempt < 4 && !image; attempt++) {
		/* O_NONBLOCK: a FIFO put there must not hang the open. */
		int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
						   O_NONBLOCK | O_NOCTTY);
		const char *why = NULL;
		if (fd >= 0) {
			why = examine(fd, program, PROT_READ | PROT_WRITE, &image);
			close(fd);
		} else if (errno != ENOENT) {
			why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		}
		if (why) {
			if (!warned)
				log_warning("state file %s/%s: %s; replacing it with "
					    "fresh state", dir, name, why);
			warned = true;
			if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
				log_warning("state file %s/%s: cannot remove it: %s; "
					    "serving without state", dir, name,
					    strerror(errno));
				break;
			}
		}
		if (!image && create(dfd, name, program) < 0) {
			log_warning("state file %s/%s: cannot make it: %s; serving "
				    "without state", dir, name, strerror(errno));
			break;
		}
	}
	close(dfd);
	if (image) {
		snprintf(image_path, sizeof image_path, "%s/%s", dir, name);
		snprintf(image_program, sizeof image_program, "%s", program);
		memcpy(image_key, image->h.rl_key, sizeof image_key);
	}
	state_count(SFMT_PROCESSES, 1);
	return image != NULL;
}

void state_key_seen(const struct nts_keys *ks)
{
	const struct nts_master *m = ckeys_current(ks);
	struct sfmt_keyinfo had;
	if (!image || !m)
		return;
	if (sfmt_key_get(image, &had) && had.id == m->id &&
	    had.current_since == ks->rotated)
		return;
	uint8_t fp[KPRINT_LEN];
	kprint_cookie_key(m, fp);
	/* A key file written before 1970 would read as no key seen. */
	sfmt_key_put(image, m->id, ks->rotated ? ks->rotated : 1, fp);
}

void state_master_seen(const struct mkey_set *s)
{
	uint8_t fp[SFMT_MASTERS][8] = { { 0 } };
	unsigned n = s ? (unsigned)s->n : 0;
	struct sfmt_masterinfo had;
	if (!image || n > SFMT_MASTERS)
		return;
	for (unsigned j = 0; j < n; j++)
		memcpy(fp[j], s->m[j].fpr, sizeof fp[j]);
	bool have = sfmt_master_get(image, &had);
	if ((have ? had.n : 0) == n &&
	    (n == 0 || memcmp(had.fingerprint, fp, n * sizeof fp[0]) == 0))
		return;
	sfmt_master_put(image, n, fp);
}

int state_print(const char *dir, const char *program, const char *const *rules,
		bool prometheus)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.state", dir, program);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return 1;
	}
	guard_install();
	struct sfmt_image *m = NULL;
	const char *why = examine(fd, program, PROT_READ, &m);
	close(fd);
	if (why) {
		log_error("%s: %s", path, why);
		return 1;
	}
	static char text[16384];
	size_t n = prometheus ? sfmt_prometheus(m, rules, (int64_t)time(NULL),
						text, sizeof text) :
				sfmt_format(m, rules, text, sizeof text);
	unmap(m);
	if (swapped) {
		log_error("%s: truncated while being read", path);
		return 1;
	}
	if (n == 0) {
		log_error("%s: the counters do not fit the text", path);
		return 1;
	}
	return fwrite(text, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : 1;
}
