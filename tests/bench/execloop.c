/* SPDX-License-Identifier: ISC */
/* execloop: exec-to-exit cost and peak RSS of programs run by hand.
 *   execloop N SPEC...
 * SPEC is "name|stdin-file|/path/prog arg..." (stdin-file may be empty
 * for /dev/null). stdin-file "udp" or "udp=N": as inetd (wait) starts a
 * datagram server, standard input is a UDP socket on 127.0.0.1 holding
 * one 48-byte NTPv4 client request; the reply must have come back when
 * the program has exited; with =N, replies whose stratum is not N are
 * counted and said on stderr at the end (not the header wanted). The
 * programs are run in turns, N rounds, each round once per program, so that
 * noise hits them all alike. Prints one line per program: name
 * median_us p90_us maxrss_kib, and with EXECLOOP_CPU set a fifth field:
 * the median CPU time (user + system) of the program's runs in us, a
 * figure that a busy machine's waits for a core do not inflate. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPECS 16
#define MAX_ARGS 16

struct spec {
	char *name, *input, *argv[MAX_ARGS + 1];
	double *us, *cpu;
	long maxrss;
	int wrong;
};

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void parse(char *s, struct spec *sp)
{
	sp->name = strsep(&s, "|");
	sp->input = strsep(&s, "|");
	int n = 0;
	for (char *t; s && n < MAX_ARGS && (t = strsep(&s, " "));)
		if (*t)
			sp->argv[n++] = t;
	sp->argv[n] = NULL;
	if (!sp->input || n == 0) {
		fprintf(stderr, "execloop: bad spec\n");
		exit(2);
	}
}

/* The inetd case: a bound server socket with a request queued on it
 * (*srv, for the program's stdin) and the client that sent it (*cli). */
static int udp_pair(int *srv, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	uint8_t req[48] = { 0x23 }; /* LI 0, VN 4, mode 3 */

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*srv = socket(AF_INET, SOCK_DGRAM, 0);
	*cli = socket(AF_INET, SOCK_DGRAM, 0);
	if (*srv < 0 || *cli < 0 || bind(*srv, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(*srv, (struct sockaddr *)&a, &len) < 0 ||
	    connect(*cli, (struct sockaddr *)&a, sizeof a) < 0 ||
	    send(*cli, req, sizeof req, 0) != (ssize_t)sizeof req)
		return -1;
	return 0;
}

/* The reply, already there when the program has exited: its stratum,
 * or -1 when there is none. */
static int udp_reply(int cli)
{
	uint8_t b[1024];
	ssize_t n = recv(cli, b, sizeof b, MSG_DONTWAIT);
	return n >= 48 && (b[0] & 7) == 4 ? b[1] : -1;
}

static int run_once(struct spec *sp, double *us, double *cpu)
{
	bool udp = strncmp(sp->input, "udp", 3) == 0;
	int srv = -1, cli = -1;
	if (udp && udp_pair(&srv, &cli) < 0)
		return -1;
	double t0 = now_us();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = udp ? srv : open(*sp->input ? sp->input : "/dev/null", O_RDONLY);
		int out = open("/dev/null", O_WRONLY);
		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(sp->argv[0], sp->argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		return -1;
	*us = now_us() - t0;
	*cpu = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
	if (ru.ru_maxrss > sp->maxrss)
		sp->maxrss = ru.ru_maxrss;
	if (udp) {
		int stratum = udp_reply(cli);
		const char *want = strchr(sp->input, '=');
		close(srv);
		close(cli);
		if (stratum < 0) {
			fprintf(stderr, "execloop: %s: no reply\n", sp->name);
			return -1;
		}
		if (want && stratum != atoi(want + 1))
			sp->wrong++;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: execloop N SPEC...\n");
		return 2;
	}
	int n = atoi(argv[1]), ns = argc - 2;
	if (n < 1 || ns > MAX_SPECS)
		return 2;
	struct spec sp[MAX_SPECS];
	memset(sp, 0, sizeof sp);
	for (int i = 0; i < ns; i++) {
		parse(argv[i + 2], &sp[i]);
		sp[i].us = calloc((size_t)n, sizeof(double));
		sp[i].cpu = calloc((size_t)n, sizeof(double));
		if (!sp[i].us || !sp[i].cpu)
			return 1;
	}
	for (int r = 0; r < n; r++)
		for (int i = 0; i < ns; i++)
			if (run_once(&sp[i], &sp[i].us[r], &sp[i].cpu[r]) < 0) {
				fprintf(stderr, "execloop: %s failed\n",
					sp[i].name);
				return 1;
			}
	for (int i = 0; i < ns; i++) {
		qsort(sp[i].us, (size_t)n, sizeof(double), cmp);
		qsort(sp[i].cpu, (size_t)n, sizeof(double), cmp);
		printf("%s %.1f %.1f %ld", sp[i].name, sp[i].us[n / 2],
		       sp[i].us[n * 9 / 10], sp[i].maxrss);
		if (getenv("EXECLOOP_CPU"))
			printf(" %.0f", sp[i].cpu[n / 2]);
		putchar('\n');
		if (sp[i].wrong)
			fprintf(stderr, "execloop: %s: %d of %d replies not of stratum %s\n",
				sp[i].name, sp[i].wrong, n, strchr(sp[i].input, '=') + 1);
	}
	return 0;
}
