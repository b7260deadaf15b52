/* SPDX-License-Identifier: ISC */
/* keclient: an NTS-KE client (GnuTLS) for the tests and the benchmark.
 *
 * One exchange (default): connect to HOST PORT, handshake (TLS 1.3,
 * ALPN ntske/1, the server checked against --ca), send the request
 * (--request=HEX, default chrony's 16 bytes), read the response to the
 * end, print it decoded (kerec_describe), then the exported C2S and S2C
 * keys and, with --keys=FILE, how many cookies open under the key file
 * to those very keys. Exit 0 after a response, 1 when the handshake or
 * the exchange failed (the reason on standard error), 2 on bad usage.
 *   --tls12        offer TLS 1.2 only;  --alpn=NAME (empty: no ALPN)
 *   --half-close   send close_notify after the request (a request that
 *                  is never ended must still get its answer)
 *   --dribble=S    send the request one byte every S seconds; prints
 *                  when the server closed
 *   --cookies      also print each cookie ("cookie: HEX"): with the
 *                  keys, what tests/bench/ntsload reads
 * Load (--seconds=S): T threads (--threads=T, default 4) each do whole
 * exchanges back to back for S seconds (new TCP connection and full
 * handshake each time; a response must hold 8 cookies); prints
 * "exchanges N failed F seconds S rate R". */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../common/sys/cookiekeyfile.h"
#include "../../common/proto/kerecords.h"
#include "../../common/proto/ntscookie.h"

static const char *host, *ca_file, *keys_file, *alpn = "ntske/1";
static int port, threads = 4;
static bool tls12, half_close, print_cookies;
static double dribble = -1, seconds;
static uint8_t request[KEREC_REQUEST_MAX] = {
	0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
	0x00, 0x02, 0x00, 0x0f, 0x80, 0x00, 0x00, 0x00,
};
static size_t request_len = 16;
static gnutls_certificate_credentials_t creds;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1; /* no Nagle wait between the handshake and the request */
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static gnutls_session_t session_new(int fd)
{
	gnutls_session_t s;
	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_priority_set_direct(s, tls12 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" :
					      "NORMAL:-VERS-ALL:+VERS-TLS1.3",
				   NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_session_set_verify_cert(s, host, 0);
	if (*alpn) {
		gnutls_datum_t d = { (unsigned char *)alpn, (unsigned)strlen(alpn) };
		gnutls_alpn_set_protocols(s, &d, 1, 0);
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	return s;
}

/* Read the response until the server's close; its length, -1 on error. */
static ssize_t read_all(gnutls_session_t s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = gnutls_record_recv(s, buf + n, cap - n);
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
			return (ssize_t)n;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r < 0) {
			fprintf(stderr, "keclient: receive: %s\n", gnutls_strerror((int)r));
			return -1;
		}
		n += (size_t)r;
		if (n == cap)
			return (ssize_t)n;
	}
}

static bool send_all(gnutls_session_t s, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = gnutls_record_send(s, buf, len);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r < 0)
			return false;
		buf += r;
		len -= (size_t)r;
	}
	return true;
}

static int cookies_in(const uint8_t *msg, size_t len)
{
	struct kerec_record rec;
	size_t off = 0;
	int n = 0;
	while (kerec_record_next(msg, len, &off, &rec))
		n += rec.type == KEREC_NEW_COOKIE;
	return n;
}

static void hex(const char *name, const uint8_t *b, size_t n)
{
	printf("%s: ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

/* The cookies of a response opened under the key file: they must hold
 * the keys this session exported. */
static void check_cookies(const uint8_t *msg, size_t len, const uint8_t *c2s,
			  const uint8_t *s2c)
{
	struct nts_keys ks;
	const char *why;
	if (ckfile_load(keys_file, &ks, &why) < 0) {
		printf("keys: %s\n", why);
		return;
	}
	struct kerec_record rec;
	size_t off = 0;
	int n = 0, good = 0;
	while (kerec_record_next(msg, len, &off, &rec)) {
		if (rec.type != KEREC_NEW_COOKIE)
			continue;
		uint8_t a[NTS_KEY_LEN], b[NTS_KEY_LEN];
		n++;
		good += ntscookie_open(&ks, rec.body, rec.len, a, b) &&
			!memcmp(a, c2s, sizeof a) && !memcmp(b, s2c, sizeof b);
	}
	printf("cookies opened to the session's keys: %d of %d\n", good, n);
}

static int one(void)
{
	static uint8_t resp[65536];
	int fd = dial();
	if (fd < 0) {
		fprintf(stderr, "keclient: connect: %s\n", strerror(errno));
		return 1;
	}
	gnutls_session_t s = session_new(fd);
	int r;
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		fprintf(stderr, "keclient: handshake: %s\n", gnutls_strerror(r));
		printf("handshake failed\n");
		return 1;
	}
	double t0 = now_s();
	bool ok = true;
	if (dribble >= 0) {
		for (size_t i = 0; ok && i < request_len; i++) {
			ok = send_all(s, request + i, 1);
			if (ok && dribble > 0)
				usleep((useconds_t)(dribble * 1e6));
		}
	} else {
		ok = send_all(s, request, request_len);
	}
	if (ok && half_close)
		ok = gnutls_bye(s, GNUTLS_SHUT_WR) == 0;
	ssize_t n = ok ? read_all(s, resp, sizeof resp) : -1;
	if (dribble >= 0)
		printf("closed after %.1f s\n", now_s() - t0);
	if (n < 0) {
		printf("exchange failed\n");
		return 1;
	}
	char text[8192];
	kerec_describe(resp, (size_t)n, text, sizeof text);
	fputs(text, stdout);
	uint8_t ctx[5], c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN];
	kerec_exporter_context(false, ctx);
	gnutls_prf_rfc5705(s, strlen(KEREC_EXPORTER_LABEL), KEREC_EXPORTER_LABEL,
			   sizeof ctx, (char *)ctx, sizeof c2s, (char *)c2s);
	kerec_exporter_context(true, ctx);
	gnutls_prf_rfc5705(s, strlen(KEREC_EXPORTER_LABEL), KEREC_EXPORTER_LABEL,
			   sizeof ctx, (char *)ctx, sizeof s2c, (char *)s2c);
	struct kerec_record rec;
	size_t off = 0;
	while (kerec_record_next(resp, (size_t)n, &off, &rec))
		if (rec.type == KEREC_NEW_COOKIE && rec.len >= 4) {
			printf("first cookie's key id: %u\n",
			       (unsigned)rec.body[0] << 24 | rec.body[1] << 16 |
				       rec.body[2] << 8 | rec.body[3]);
			break;
		}
	hex("c2s", c2s, sizeof c2s);
	hex("s2c", s2c, sizeof s2c);
	off = 0;
	while (print_cookies && kerec_record_next(resp, (size_t)n, &off, &rec))
		if (rec.type == KEREC_NEW_COOKIE)
			hex("cookie", rec.body, rec.len);
	if (keys_file)
		check_cookies(resp, (size_t)n, c2s, s2c);
	gnutls_bye(s, GNUTLS_SHUT_RDWR);
	gnutls_deinit(s);
	close(fd);
	return 0;
}

struct tally {
	long done, failed;
	double until;
};

static void *load(void *arg)
{
	struct tally *t = arg;
	static __thread uint8_t resp[4096];
	while (now_s() < t->until) {
		int fd = dial();
		if (fd < 0) {
			t->failed++;
			continue;
		}
		gnutls_session_t s = session_new(fd);
		int r;
		do
			r = gnutls_handshake(s);
		while (r < 0 && !gnutls_error_is_fatal(r));
		ssize_t n = -1;
		if (r == 0 && send_all(s, request, request_len))
			n = read_all(s, resp, sizeof resp);
		if (n > 0 && cookies_in(resp, (size_t)n) == KEREC_COOKIES)
			t->done++;
		else
			t->failed++;
		gnutls_bye(s, GNUTLS_SHUT_WR);
		gnutls_deinit(s);
		close(fd);
	}
	return NULL;
}

static int run_load(void)
{
	pthread_t th[64];
	struct tally t[64];
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		t[i] = (struct tally){ 0, 0, t0 + seconds };
		pthread_create(&th[i], NULL, load, &t[i]);
	}
	long done = 0, failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		done += t[i].done;
		failed += t[i].failed;
	}
	double el = now_s() - t0;
	printf("exchanges %ld failed %ld seconds %.2f rate %.1f\n", done, failed,
	       el, done / el);
	return 0;
}

static bool parse_hex(const char *s)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > sizeof request)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		request[i] = (uint8_t)v;
	}
	request_len = n / 2;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "alpn", required_argument, NULL, 'a' },
		{ "tls12", no_argument, NULL, '2' },
		{ "half-close", no_argument, NULL, 'h' },
		{ "request", required_argument, NULL, 'r' },
		{ "keys", required_argument, NULL, 'k' },
		{ "dribble", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "cookies", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': ca_file = optarg; break;
		case 'a': alpn = optarg; break;
		case '2': tls12 = true; break;
		case 'h': half_close = true; break;
		case 'C': print_cookies = true; break;
		case 'r':
			if (!parse_hex(optarg)) {
				fprintf(stderr, "keclient: --request: even hex digits\n");
				return 2;
			}
			break;
		case 'k': keys_file = optarg; break;
		case 'd': dribble = atof(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 't':
			threads = atoi(optarg);
			if (threads < 1 || threads > 64)
				return 2;
			break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || !ca_file) {
		fprintf(stderr, "usage: keclient --ca=FILE [OPTION]... HOST PORT\n");
		return 2;
	}
	host = argv[optind];
	port = atoi(argv[optind + 1]);
	signal(SIGPIPE, SIG_IGN); /* a server that cut us off */
	gnutls_certificate_allocate_credentials(&creds);
	if (gnutls_certificate_set_x509_trust_file(creds, ca_file,
						   GNUTLS_X509_FMT_PEM) < 1) {
		fprintf(stderr, "keclient: no CA certificate in %s\n", ca_file);
		return 2;
	}
	return seconds > 0 ? run_load() : one();
}
