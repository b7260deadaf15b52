/* state: open, check, make and map the state file. Two processes (two
 * sockets, or a server and --stats) share it through MAP_SHARED:
 * counters change by atomic adds only, the rate-limit table by per-set
 * try-locks (ratelimit.c); the header is written once, into a file not
 * yet visible under its name. No fsync, no lock that waits. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static struct sti_image *image;

struct sti_image *state_image(void)
{
	return image;
}

void state_count(enum sti_counter c, uint64_t n)
{
	if (image && n)
		__atomic_fetch_add(&image->counter[c], n, __ATOMIC_RELAXED);
}

/* Why fd cannot be our state file, or NULL with *out mapped. */
static const char *examine(int fd, const char *program, int prot,
			   struct sti_image **out)
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
	if (st.st_size != (off_t)STI_SIZE)
		return sti_verdict_name(STI_BAD_SIZE);
	void *m = mmap(NULL, STI_SIZE, prot, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return strerror(errno);
	enum sti_verdict v = sti_check(m, STI_SIZE, program);
	if (v != STI_OK) {
		munmap(m, STI_SIZE);
		return sti_verdict_name(v);
	}
	*out = m;
	return NULL;
}

/* Make a fresh image under a private name, then give it the real name
 * only if nobody else did meanwhile. 1: made, 0: someone else's came
 * first (open that), -1: cannot. */
static int create(int dfd, const char *name, const char *program)
{
	char tmp[96];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", name, (long)getpid());
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
	void *m = MAP_FAILED;
	if (fchmod(fd, 0600) == 0 && ftruncate(fd, (off_t)STI_SIZE) == 0)
		m = mmap(NULL, STI_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	sti_init(m, program, key);
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0) {
		int e = errno;
		unlinkat(dfd, tmp, 0);
		munmap(m, STI_SIZE);
		return e == EEXIST ? 0 : -1;
	}
	image = m;
	return 1;
}

void state_delay(enum sti_delay_kind k, int64_t ns)
{
	if (image)
		sti_delay_record(image, k, ns);
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
	state_count(STI_PROCESSES, 1);
	return image != NULL;
}

int state_print(const char *dir, const char *program, const char *const *rules)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.state", dir, program);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return 1;
	}
	struct sti_image *m = NULL;
	const char *why = examine(fd, program, PROT_READ, &m);
	close(fd);
	if (why) {
		log_error("%s: %s", path, why);
		return 1;
	}
	char text[4096];
	size_t n = sti_format(m, rules, text, sizeof text);
	munmap(m, STI_SIZE);
	return fwrite(text, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : 1;
}
