/* SPDX-License-Identifier: ISC */
/* ntsload: NTS-authenticated NTP replies per second with a window
 * outstanding (RFC 8915 §5), for make bench.
 *   keclient --cookies --ca=CA HOST KEPORT | ntsload HOST PORT WINDOW SECONDS
 * Standard input: one key exchange as keclient prints it (the "c2s:",
 * "s2c:" and "cookie:" lines). Keeps WINDOW requests in flight, each
 * with a fresh random Unique Identifier, one cookie, and placeholders
 * as chrony sends them: as many as bring the cookies held and awaited
 * back to WINDOW + 8 (at most 7; none once the window runs full), and
 * an authenticator under C2S (AES-SIV-CMAC-256, Nettle). A reply counts
 * only when its Unique Identifier and origin timestamp are those of a
 * request in flight and its authenticator opens under S2C; the cookies
 * inside replace the one spent. A request unanswered for 20 ms is lost;
 * should its reply come later and verify, its cookies are kept (the
 * reply counts as late). Out of cookies with nothing in flight, it waits
 * 200 ms for late replies before it gives up (starved).
 * Prints: verified rps naks lost late bad placeholders-per-request
 * starved (late: replies to requests already counted lost; bad: replies
 * that did not verify or answer any request sent; starved 1: the cookies
 * ran out, the run stopped early). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nettle/siv-cmac.h>

#include "../../common/proto/bytes.h"
#include "../../common/sys/cookiekeyfile.h"
#include "../../common/proto/ntsntp.h"
#include "udpclient.h"

#define MAXW 256
#define SLOTS 65536
#define POOL 1024
#define COOKIE_MAX 256
#define PKT_MAX 1280
#define UID_LEN 32
#define LOSS_US 20000.0

static uint8_t pool[POOL][COOKIE_MAX];
static size_t pool_head, pool_n, cookie_len;

static struct {
	uint8_t uid[UID_LEN];
	uint8_t expect; /* cookies this request asks back (0: not in flight) */
	bool lost;	/* counted lost, its reply may still come */
	double sent;
} slot[SLOTS];

static uint8_t req[MAXW][PKT_MAX], rep[MAXW][PKT_MAX];
static struct siv_cmac_aes128_ctx c2s_ctx, s2c_ctx;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (n < cap && sscanf(s + 2 * n, "%2hhx", &out[n]) == 1)
		n++;
	return n;
}

static void pool_put(const uint8_t *c, size_t len)
{
	if (len != cookie_len || pool_n == POOL)
		return;
	memcpy(pool[(pool_head + pool_n++) % POOL], c, len);
}

static bool read_ke(void)
{
	char line[2 * COOKIE_MAX + 64];
	uint8_t buf[COOKIE_MAX];
	bool k1 = false, k2 = false;
	while (fgets(line, sizeof line, stdin)) {
		if (!strncmp(line, "c2s: ", 5))
			k1 = unhex(line + 5, buf, NTS_KEY_LEN) == NTS_KEY_LEN &&
			     (siv_cmac_aes128_set_key(&c2s_ctx, buf), true);
		else if (!strncmp(line, "s2c: ", 5))
			k2 = unhex(line + 5, buf, NTS_KEY_LEN) == NTS_KEY_LEN &&
			     (siv_cmac_aes128_set_key(&s2c_ctx, buf), true);
		else if (!strncmp(line, "cookie: ", 8)) {
			size_t n = unhex(line + 8, buf, sizeof buf);
			if (!cookie_len)
				cookie_len = n;
			pool_put(buf, n);
		}
	}
	return k1 && k2 && pool_n > 0;
}

/* Request seq into p: header (seq in the transmit timestamp, echoed as
 * the origin), Unique Identifier, the oldest cookie, ph placeholders,
 * authenticator. Its length. */
static size_t build(uint8_t *p, uint32_t seq, unsigned ph)
{
	size_t ef = 4 + pad4(cookie_len), pos = 48;
	memset(p, 0, PKT_MAX);
	p[0] = 0x23; /* LI 0, VN 4, mode 3 */
	p[40] = 0xe0;
	p[44] = (uint8_t)(seq >> 24);
	p[45] = (uint8_t)(seq >> 16);
	p[46] = (uint8_t)(seq >> 8);
	p[47] = (uint8_t)seq;

	put16(p + pos, NTS_EF_UID);
	put16(p + pos + 2, 4 + UID_LEN);
	memcpy(p + pos + 4, slot[seq % SLOTS].uid, UID_LEN);
	pos += 4 + UID_LEN;

	put16(p + pos, NTS_EF_COOKIE);
	put16(p + pos + 2, ef);
	memcpy(p + pos + 4, pool[pool_head], cookie_len);
	pool_head = (pool_head + 1) % POOL;
	pool_n--;
	pos += ef;
	for (unsigned i = 0; i < ph; i++, pos += ef) {
		put16(p + pos, NTS_EF_PLACEHOLDER);
		put16(p + pos + 2, ef);
	}

	size_t auth = pos;
	put16(p + pos, NTS_EF_AUTH);
	put16(p + pos + 2, 8 + NTS_NONCE_LEN + NTS_TAG_LEN);
	put16(p + pos + 4, NTS_NONCE_LEN);
	put16(p + pos + 6, NTS_TAG_LEN);
	uint8_t *nonce = p + pos + 8;
	ckfile_random(nonce, NTS_NONCE_LEN);
	siv_cmac_aes128_encrypt_message(&c2s_ctx, NTS_NONCE_LEN, nonce, auth, p,
					NTS_TAG_LEN, nonce + NTS_NONCE_LEN, NULL);
	return auth + 8 + NTS_NONCE_LEN + NTS_TAG_LEN;
}

enum verdict { V_GOOD, V_NAK, V_BAD };

/* A reply of len bytes for seq's request in flight: authentic (its
 * cookies taken), a NAK, or neither. */
static enum verdict check(const uint8_t *p, size_t len, uint32_t seq)
{
	const uint8_t *uid = slot[seq % SLOTS].uid;
	bool uid_ok = false, after = false;
	struct nts_ef ef, auth = { 0, 0, 0 };
	size_t pos = 48;
	enum nts_ef_step s;
	while ((s = ntsntp_ef_next(p, len, &pos, &ef)) == NTS_EF_FIELD) {
		after |= auth.type != 0;
		if (ef.type == NTS_EF_UID)
			uid_ok |= ef.len == 4 + UID_LEN && !memcmp(p + ef.off + 4, uid, UID_LEN);
		else if (ef.type == NTS_EF_AUTH)
			auth = ef;
	}
	if (s == NTS_EF_BAD || !uid_ok)
		return V_BAD;
	if (p[1] == 0 && !memcmp(p + 12, "NTSN", 4))
		return V_NAK;
	if (!auth.type || after || auth.len < 8)
		return V_BAD;
	size_t nlen = get16(p + auth.off + 4), clen = get16(p + auth.off + 6);
	size_t ct = auth.off + 8 + pad4(nlen);
	if (clen < NTS_TAG_LEN || ct + clen > auth.off + auth.len)
		return V_BAD;
	uint8_t plain[PKT_MAX];
	size_t plen = clen - NTS_TAG_LEN;
	if (!siv_cmac_aes128_decrypt_message(&s2c_ctx, nlen, p + auth.off + 8,
					     auth.off, p, plen, plain, p + ct))
		return V_BAD;
	pos = 0;
	while (ntsntp_ef_next(plain, plen, &pos, &ef) == NTS_EF_FIELD)
		if (ef.type == NTS_EF_COOKIE)
			pool_put(plain + ef.off + 4, cookie_len);
	return V_GOOD;
}

int main(int argc, char **argv)
{
	int win;
	double secs;
	if (!window_args(argc, argv, MAXW, "ntsload HOST PORT WINDOW SECONDS <KEY-EXCHANGE",
			 &win, &secs))
		return 2;
	if (!read_ke() || cookie_len > COOKIE_MAX - 4) {
		fprintf(stderr, "ntsload: no keys or cookies on standard input\n");
		return 1;
	}
	int fd = udp_client(argv[1], argv[2], "ntsload");
	if (fd < 0)
		return 1;

	struct mmsghdr out[MAXW], in[MAXW];
	struct iovec oiov[MAXW], iiov[MAXW];
	window_init(out, oiov, iiov, req[0], sizeof req[0], 0, rep[0],
		    sizeof rep[0], MAXW);
	/* oldest: the oldest request that may be in flight */
	uint32_t seq = 1, oldest = 1;
	long good = 0, naks = 0, lost = 0, late = 0, bad = 0, sent = 0, phs = 0;
	long awaited = 0; /* cookies the requests in flight ask back */
	int outstanding = 0;
	bool starved = false;
	const long target = win + 8;
	double t0 = now_us(), end = t0 + secs * 1e6;
	for (;;) {
		double t = now_us();
		if (t >= end)
			break;
		for (; oldest != seq; oldest++) {
			int i = oldest % SLOTS;
			if (!slot[i].expect)
				continue;
			if (t - slot[i].sent < LOSS_US)
				break;
			awaited -= slot[i].expect;
			slot[i].expect = 0;
			slot[i].lost = true;
			outstanding--;
			lost++;
		}
		if (seq - oldest >= SLOTS - MAXW)
			break; /* cannot happen with 20 ms losses; never reuse a slot */
		int want = win - outstanding;
		if (want > (int)pool_n)
			want = (int)pool_n;
		bool dry = want == 0 && outstanding == 0;
		uint8_t uids[MAXW * UID_LEN];
		ckfile_random(uids, (size_t)want * UID_LEN);
		for (int i = 0; i < want; i++) {
			int k = seq % SLOTS;
			/* cookies held and awaited once this one is spent */
			long need = target - ((long)pool_n - 1 + awaited);
			unsigned ph = need <= 1 ? 0 : need >= 8 ? 7 : (unsigned)need - 1;
			memcpy(slot[k].uid, uids + i * UID_LEN, UID_LEN);
			oiov[i].iov_len = build(req[i], seq, ph);
			slot[k].expect = (uint8_t)(1 + ph);
			slot[k].lost = false;
			slot[k].sent = t;
			awaited += 1 + ph;
			phs += ph;
			seq++;
		}
		send_window(fd, out, want);
		outstanding += want; /* unsent ones are lost after 20 ms */
		sent += want;
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, dry ? 200 : 5) <= 0) {
			if (dry && pool_n == 0) {
				starved = true;
				break;
			}
			continue;
		}
		int k = recv_window(fd, in, iiov, win);
		for (int i = 0; i < k; i++) {
			const uint8_t *p = rep[i];
			uint32_t s = (uint32_t)p[28] << 24 | (uint32_t)p[29] << 16 |
				     (uint32_t)p[30] << 8 | p[31];
			if (in[i].msg_len < 48 || (p[0] & 7) != 4 || p[24] != 0xe0 ||
			    s == 0 || s >= seq || seq - s >= SLOTS ||
			    (!slot[s % SLOTS].expect && !slot[s % SLOTS].lost)) {
				bad++;
				continue;
			}
			enum verdict v = check(p, in[i].msg_len, s);
			if (v == V_BAD) {
				bad++;
				continue;
			}
			if (slot[s % SLOTS].lost) { /* its cookies kept */
				late++;
				slot[s % SLOTS].lost = false;
				continue;
			}
			good += v == V_GOOD;
			naks += v == V_NAK;
			awaited -= slot[s % SLOTS].expect;
			slot[s % SLOTS].expect = 0;
			outstanding--;
		}
	}
	double elapsed = (now_us() - t0) / 1e6;
	printf("%ld %.0f %ld %ld %ld %ld %.2f %d\n", good, good / elapsed, naks,
	       lost, late, bad, sent ? (double)phs / sent : 0.0, starved);
	return 0;
}
