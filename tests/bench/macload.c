/* SPDX-License-Identifier: ISC */
/* macload: symmetric-key (RFC 5905 §9.2, RFC 8573) NTP replies per
 * second with a window outstanding, for make bench-mac.
 *   macload HOST PORT WINDOW SECONDS sha1|aes128 KEYID KEYHEX
 * Keeps WINDOW NTPv4 client requests in flight, each MAC'd under the key
 * (SHA1: 20-byte digest of key ‖ packet; AES128: CMAC, Nettle directly,
 * not sockclock's code). A reply counts only when its origin is the
 * transmit timestamp of a request in flight, it carries the key ID and
 * its MAC verifies. A request unanswered for 20 ms is lost and replaced.
 * Prints: verified rps lost bad. */
#include <poll.h>
#include <string.h>
#include <time.h>

#include <nettle/cmac.h>
#include <nettle/sha1.h>

/* Only udp_client and window_args are used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "udpclient.h"

#define MAXW 256
#define LOSS_US 20000.0

static int aes;
static uint8_t key[64];
static size_t key_len;
static uint32_t key_id;
static struct cmac_aes128_ctx cmac;
static struct {
	uint64_t xmt;
	double sent;
} fl[MAXW];
static uint64_t serial;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static size_t mac_len(void)
{
	return aes ? 16 : 20;
}

static void digest(const uint8_t *p, uint8_t *out)
{
	if (aes) {
		cmac_aes128_set_key(&cmac, key);
		cmac_aes128_update(&cmac, 48, p);
		cmac_aes128_digest(&cmac, 16, out);
	} else {
		struct sha1_ctx c;
		sha1_init(&c);
		sha1_update(&c, key_len, key);
		sha1_update(&c, 48, p);
		sha1_digest(&c, 20, out);
	}
}

/* Request i of the window, sent now. */
static void send_one(int fd, int i)
{
	uint8_t p[48 + 4 + 20] = { 0x23, 0, 6, 0xec };
	/* The slot in the low byte, a serial above it: a unique origin. */
	uint64_t x = ++serial << 8 | (uint64_t)i;
	for (int b = 0; b < 8; b++)
		p[40 + b] = (uint8_t)(x >> (56 - 8 * b));
	p[48] = (uint8_t)(key_id >> 24);
	p[49] = (uint8_t)(key_id >> 16);
	p[50] = (uint8_t)(key_id >> 8);
	p[51] = (uint8_t)key_id;
	digest(p, p + 52);
	fl[i].xmt = x;
	fl[i].sent = now_us();
	send(fd, p, 52 + mac_len(), 0);
}

int main(int argc, char **argv)
{
	int win;
	double secs;
	if (argc != 8 || !window_args(5, argv, MAXW,
				      "macload HOST PORT WINDOW SECONDS sha1|aes128 KEYID KEYHEX",
				      &win, &secs))
		return 2;
	aes = !strcmp(argv[5], "aes128");
	key_id = (uint32_t)strtoul(argv[6], NULL, 10);
	while (key_len < sizeof key && sscanf(argv[7] + 2 * key_len, "%2hhx", &key[key_len]) == 1)
		key_len++;
	if (aes && key_len != 16)
		return 2;
	int fd = udp_client(argv[1], argv[2], "macload");
	if (fd < 0)
		return 1;
	long verified = 0, lost = 0, bad = 0;
	double start = now_us(), end = start + secs * 1e6;
	for (int i = 0; i < win; i++)
		send_one(fd, i);
	uint8_t r[256], d[20];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	for (;;) {
		double t = now_us();
		if (t >= end)
			break;
		for (int i = 0; i < win; i++)
			if (t - fl[i].sent > LOSS_US) {
				lost++;
				send_one(fd, i);
			}
		if (poll(&pfd, 1, 5) <= 0)
			continue;
		ssize_t n;
		while ((n = recv(fd, r, sizeof r, MSG_DONTWAIT)) > 0) {
			uint64_t org = 0;
			for (int b = 0; b < 8; b++)
				org = org << 8 | r[24 + b];
			int i = (int)(org & 0xff);
			if (n != (ssize_t)(52 + mac_len()) || i >= win ||
			    fl[i].xmt != org) {
				bad++;
				continue;
			}
			digest(r, d);
			uint32_t id = (uint32_t)r[48] << 24 | (uint32_t)r[49] << 16 |
				      (uint32_t)r[50] << 8 | r[51];
			if (id != key_id || memcmp(d, r + 52, mac_len()) != 0) {
				bad++;
				continue;
			}
			verified++;
			send_one(fd, i);
		}
	}
	double el = (now_us() - start) / 1e6;
	printf("%ld %.0f %ld %ld\n", verified, verified / el, lost, bad);
	return 0;
}
