/* SPDX-License-Identifier: ISC */
/* Unit tests of common/proto/statefmt.c: each field the check covers, the
 * counters' text, and two processes adding to the counters of one
 * shared image at once (the sum is exact), then charging one source in
 * one shared rate-limit table at once (exactly its burst passes). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"
#include "proto/statefmt.h"
#include "sys/state.h"

static struct sfmt_image *fresh(void)
{
	struct sfmt_image *m = mmap(NULL, SFMT_SIZE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	static const uint8_t key[RL_KEY_LEN] = { 42 };
	sfmt_init(m, "sntp-udp", key);
	return m;
}

static void test_check(void)
{
	struct sfmt_image *m = fresh();
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_OK, "fresh image");
	CHECK_EQ(sfmt_check(m, SFMT_SIZE - 1, "sntp-udp"), SFMT_BAD_SIZE, "short");
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "daytime-udp"), SFMT_BAD_PROGRAM, "other program");
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udpX"), SFMT_BAD_PROGRAM, "longer name");
	m->counter[3] = 77; /* the body is live: not covered */
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_OK, "counters change");
	m->h.magic[0] ^= 1;
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_BAD_MAGIC, "magic");
	m->h.magic[0] ^= 1;
	m->h.version++;
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_BAD_VERSION, "version");
	m->h.version--;
	m->h.size++;
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_BAD_SIZE, "size field");
	m->h.size--;
	m->h.rl_key[5]++;
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_BAD_CHECK, "key changed");
	m->h.rl_key[5]--;
	m->h.check ^= 0x100;
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_BAD_CHECK, "check");
	m->h.check ^= 0x100;
	CHECK_EQ(sfmt_check(m, SFMT_SIZE, "sntp-udp"), SFMT_OK, "restored");
	CHECK_EQ(SFMT_SIZE, 246784, "the file's size");
	munmap(m, SFMT_SIZE);
}

static void test_format(void)
{
	struct sfmt_image *m = fresh();
	static const char *const rules[] = { "length", "mode", NULL };
	m->counter[SFMT_PROCESSES] = 3;
	m->counter[SFMT_RECEIVED] = 10;
	m->counter[SFMT_DROP_RULE + 1] = 4;
	sfmt_delay_record(m, SFMT_DELAY_COLD, 2500);
	sfmt_delay_record(m, SFMT_DELAY_COLD, 1500);
	char buf[1024];
	sfmt_format(m, rules, buf, sizeof buf);
	CHECK_STR(buf,
		  "processes-started: 3\nrequests-received: 10\n"
		  "requests-answered: 0\nrequests-dropped: 0\n"
		  "dropped-destination: 0\nrate-limited: 0\n"
		  "kiss-o-death-sent: 0\ndropped-not-allowed: 0\n"
		  "interleaved-answered: 0\n"
		  "dropped-length: 0\ndropped-mode: 4\n"
		  "send-delay-warm-ns: -\nsend-delay-warm-samples: 0\n"
		  "send-delay-cold-ns: 1500\nsend-delay-cold-samples: 2\n"
		  /* sntp-udp's own, after the rest */
		  "authenticated-answered: 0\n"
		  "nts-naks-sent: 0\nnts-cookies-unknown-key: 0\n",
		  "stats text");
	CHECK_EQ(sfmt_format(m, rules, buf, 10), 9, "truncated");

	/* chronyd's queries (upstreamquery.c): shown once there were any; the
	 * source while it answers, "none" while it does not. */
	m->up.refreshes = 2;
	m->up.failures = 1;
	snprintf(m->up.source, sizeof m->up.source, "chrony 127.0.0.1:323");
	sfmt_format(m, rules, buf, sizeof buf);
	CHECK(strstr(buf, "send-delay-cold-samples: 2\nupstream-refreshes: 2\n"
			  "upstream-failures: 1\nupstream-source: chrony "
			  "127.0.0.1:323\n"), "upstream lines: %s", buf);
	m->up.lost = 1;
	sfmt_format(m, rules, buf, sizeof buf);
	CHECK(strstr(buf, "upstream-source: none\n"), "lost: %s", buf);
	/* timesyncd's (timesyncq.c): its own counts; the source in use
	 * once chronyd is lost. */
	m->tsd.refreshes = 4;
	m->tsd.failures = 3;
	snprintf(m->tsd.source, sizeof m->tsd.source, "timesyncd 192.0.2.7");
	sfmt_format(m, rules, buf, sizeof buf);
	CHECK(strstr(buf, "upstream-refreshes: 2\nupstream-failures: 1\n"
			  "upstream-timesyncd-refreshes: 4\n"
			  "upstream-timesyncd-failures: 3\n"
			  "upstream-source: timesyncd 192.0.2.7\n"),
	      "timesyncd lines: %s", buf);
	m->up.lost = 0;
	sfmt_format(m, rules, buf, sizeof buf);
	CHECK(strstr(buf, "upstream-source: chrony 127.0.0.1:323\n"),
	      "chronyd first: %s", buf);
	m->up.refreshes = m->up.failures = 0;
	m->tsd.lost = 1;
	sfmt_format(m, rules, buf, sizeof buf);
	CHECK(strstr(buf, "upstream-timesyncd-failures: 3\nupstream-source: none\n") &&
	      !strstr(buf, "upstream-refreshes"), "timesyncd alone, lost: %s", buf);
	munmap(m, SFMT_SIZE);
}

#define ADDS 5000000

/* Two processes on two CPUs where there are two: lost updates need both
 * running at once, so each goes on adding until the other has done its
 * ADDS too (on a loaded machine one may otherwise be through before the
 * other is scheduled, and a plain += would pass). */
static void test_two_writers(void)
{
	/* A real state file in a fresh directory, inherited by two
	 * processes that count at once through state_count. */
	char dir[] = "/tmp/test_statefmt.XXXXXX";
	if (!mkdtemp(dir))
		abort();
	CHECK(state_open(dir, "sntp-udp", false), "state file in %s", dir);
	struct sfmt_image *m = state_image();
	uint64_t *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (done == MAP_FAILED)
		abort();
	done[0] = done[1] = done[2] = 0; /* each one's adds; [2] started */
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			cpu_set_t cpu;
			CPU_ZERO(&cpu);
			CPU_SET(k, &cpu);
			sched_setaffinity(0, sizeof cpu, &cpu); /* may fail */
			__atomic_fetch_add(&done[2], 1, __ATOMIC_SEQ_CST);
			while (__atomic_load_n(&done[2], __ATOMIC_SEQ_CST) < 2)
				;
			uint64_t mine = 0;
			for (;;) {
				for (int i = 0; i < 1000; i++)
					state_count(SFMT_RECEIVED, 1);
				mine += 1000;
				if (mine == ADDS)
					__atomic_store_n(&done[k], mine, __ATOMIC_SEQ_CST);
				if (mine >= ADDS &&
				    __atomic_load_n(&done[!k], __ATOMIC_SEQ_CST))
					break;
			}
			__atomic_store_n(&done[k], mine, __ATOMIC_SEQ_CST);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++)
		waitpid(kids[k], NULL, 0);
	CHECK_EQ(m->counter[SFMT_RECEIVED], done[0] + done[1],
		 "two writers' state_count (%llu + %llu adds)",
		 (unsigned long long)done[0], (unsigned long long)done[1]);
	munmap(done, 4096);
	CHECK_EQ(m->counter[SFMT_PROCESSES], 1, "one process opened it");
	m->counter[SFMT_KOD] = 0;
	char path[64];
	snprintf(path, sizeof path, "%s/sntp-udp.state", dir);
	unlink(path);
	rmdir(dir);

	/* One source charged by two processes at one instant: burst 64. */
	int *passes = (int *)&m->counter[SFMT_ANSWERED];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct rl_config c = { .rate = 1, .burst = 64 };
			rl_init(&c, m->h.rl_key);
			rl_attach(m->rl_table);
			struct sockaddr_in s = { .sin_family = AF_INET };
			s.sin_addr.s_addr = htonl(0xc0000201u);
			int p = 0;
			for (int i = 0; i < 100000; i++)
				p += rl_check((struct sockaddr *)&s, 5000) == RL_PASS;
			__atomic_fetch_add(passes, p, __ATOMIC_RELAXED);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++)
		waitpid(kids[k], NULL, 0);
	CHECK_EQ(*passes, 64, "two processes, one source, 200000 requests at one "
		 "instant: passed");
}

int main(void)
{
	test_check();
	test_format();
	test_two_writers();
	return check_summary();
}
