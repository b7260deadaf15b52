/* SPDX-License-Identifier: ISC */
/* tcpload: TCP connections per second against a daytime server.
 *   tcpload HOST PORT THREADS SECONDS [COUNT]
 * Each thread: connect, read until EOF, close, again, until time is up
 * (or, with COUNT, until COUNT connections were tried in all; SECONDS is
 * then a bound). A connection counts only if it ended in an orderly
 * close after one whole line (printable, ending in CR LF); anything else
 * is an error. Prints: conns cps p50_us p99_us errors */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 400000

static struct sockaddr_in dst;
static double deadline;
static atomic_long errors;
static atomic_long tickets; /* connections left to try, with COUNT */
static int counted;

struct worker {
	pthread_t t;
	long n;
	float *us;
};

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* One line: printable ASCII, then CR LF, nothing after. */
static int whole_line(const char *b, size_t n)
{
	if (n < 3 || b[n - 2] != '\r' || b[n - 1] != '\n')
		return 0;
	for (size_t i = 0; i < n - 2; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return 0;
	return 1;
}

static int one(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	int ok = -1;
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == 0) {
		char buf[512];
		ssize_t r, total = 0;
		while ((r = read(fd, buf + total, sizeof buf - (size_t)total)) > 0)
			total += r;
		if (r == 0 && whole_line(buf, (size_t)total))
			ok = 0;
	}
	close(fd);
	return ok;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		double t0 = now_us();
		if (t0 >= deadline)
			break;
		if (counted && atomic_fetch_sub(&tickets, 1) <= 0)
			break;
		if (one() < 0) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		if (w->n < MAX_SAMPLES)
			w->us[w->n++] = (float)(now_us() - t0);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: tcpload HOST PORT THREADS SECONDS [COUNT]\n");
		return 2;
	}
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	int nt = atoi(argv[3]);
	double secs = atof(argv[4]);
	if (nt < 1 || nt > 64 || secs <= 0)
		return 2;
	if (argc == 6 && (counted = 1, tickets = atol(argv[5])) < 1)
		return 2;
	struct worker *w = calloc((size_t)nt, sizeof *w);
	double t0 = now_us();
	deadline = t0 + secs * 1e6;
	for (int i = 0; i < nt; i++) {
		w[i].us = malloc(MAX_SAMPLES * sizeof(float));
		if (!w[i].us || pthread_create(&w[i].t, NULL, run, &w[i]))
			return 1;
	}
	long total = 0;
	for (int i = 0; i < nt; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].n;
	}
	double elapsed = (now_us() - t0) / 1e6;
	float *all = malloc((size_t)(total ? total : 1) * sizeof(float));
	long k = 0;
	for (int i = 0; i < nt; i++) {
		memcpy(all + k, w[i].us, (size_t)w[i].n * sizeof(float));
		k += w[i].n;
	}
	qsort(all, (size_t)total, sizeof(float), cmp);
	printf("%ld %.0f %.0f %.0f %ld\n", total, total / elapsed,
	       total ? all[total / 2] : 0.0, total ? all[total * 99 / 100] : 0.0,
	       (long)errors);
	return 0;
}
