/* SPDX-License-Identifier: ISC */
/* statefmt: the layout of a state file (see state.h) and its pure
 * checks: given bytes, are they a state image of this program and
 * version? No I/O, so that any bytes can be fuzzed. */
#ifndef SOCKCLOCK_STATEFMT_H
#define SOCKCLOCK_STATEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chronycmd.h"
#include "ratelimit.h"
#include "xleave.h"

#define SFMT_MAGIC "SOCKCLK\n"
#define SFMT_VERSION 4u
#define SFMT_PROGRAM_MAX 16	/* the program's name, NUL padded */
#define SFMT_COUNTERS 32

/* What is counted. received = answered + dropped + rate-limited. */
enum sfmt_counter {
	SFMT_PROCESSES,		/* processes that opened the file */
	SFMT_RECEIVED,		/* datagrams read */
	SFMT_ANSWERED,		/* replies sent (not counting KoDs) */
	SFMT_DROPPED,		/* not answered, by any rule below */
	SFMT_DROP_DESTINATION,	/* sent to a broadcast or multicast address */
	SFMT_RATE_LIMITED,	/* over the source's rate limit */
	SFMT_KOD,		/* of those: kiss-o'-death sent */
	SFMT_DROP_NOT_ALLOWED,	/* from outside --allow */
	SFMT_INTERLEAVED,	/* of the answered: in interleaved mode */
	SFMT_DROP_RULE,		/* first of the program's own drop rules */
	/* sntp-udp's, from the end: a file made before them reads zero. */
	SFMT_AUTHENTICATED = SFMT_COUNTERS - 3,	/* answered with NTS or a MAC */
	SFMT_NTS_UNKNOWN_KEY = SFMT_COUNTERS - 2, /* cookies under a key id
						   * not kept (then a NAK) */
	SFMT_NTS_NAK = SFMT_COUNTERS - 1,	/* NTS NAKs sent (answered) */
};
#define SFMT_RULES_MAX (SFMT_AUTHENTICATED - SFMT_DROP_RULE)

/* nts-ke-tcp's layout of the same counters (its file says its name):
 * connections = exchanges + refused, except those still open or
 * closed by the client before its request was complete. */
enum sfmt_ke_counter {
	SFKE_PROCESSES = SFMT_PROCESSES,
	SFKE_CONNECTIONS,	/* connections handed over or accepted */
	SFKE_EXCHANGES,		/* responses with keys and cookies made */
	SFKE_REFUSED,		/* closed unanswered or answered an error,
				 * by any rule below */
	SFKE_COOKIES,		/* cookies issued */
	SFKE_REFUSED_TLS,	/* the TLS handshake failed */
	SFKE_REFUSED_ALPN,	/* no ALPN ntske/1 offered */
	SFKE_REFUSED_MALFORMED,	/* a malformed or unrecognized request */
	SFKE_REFUSED_NO_AEAD,	/* no AEAD algorithm in common */
	SFKE_REFUSED_NO_PROTOCOL, /* no next protocol in common */
	SFKE_REFUSED_TIMEOUT,	/* --io-timeout before the answer */
	SFKE_REFUSED_PER_SOURCE, /* over --max-per-source */
	SFKE_REFUSED_INTERNAL,	/* no usable key file, no TLS exporter */
	SFKE_COUNTERS_USED,
};

/* The send path's delay: the kernel's transmit stamp of a reply minus
 * the transmit time written in it, for the first reply of a process
 * (cold) and the later ones (warm). The last SFMT_DELAY_KEPT samples,
 * each stored by one atomic store (a reader may see a ring that is
 * being written, never a torn sample). */
#define SFMT_DELAY_KEPT 15
enum sfmt_delay_kind { SFMT_DELAY_WARM, SFMT_DELAY_COLD, SFMT_DELAY_KINDS };
struct sfmt_delay {
	uint64_t samples;		/* ever recorded; the next goes to
					 * ring[samples % SFMT_DELAY_KEPT] */
	int64_t ring[SFMT_DELAY_KEPT];	/* nanoseconds */
};

/* The upstream daemon's last answer (upstreamquery.c), shared by every
 * process of the program so that one query serves them all. Written by
 * the one process that claimed the query (a compare-and-swap on
 * tried_ms), under a sequence lock: readers copy it and retry, never
 * wait, when seq was odd or changed meanwhile. */
#define SFMT_UP_NAME_MAX 48
#define SFMT_UP_LOST 1u
#define SFMT_UP_NO_WAY 2u
struct sfmt_upstream {
	uint32_t seq;			/* odd while being written */
	uint32_t lost;			/* SFMT_UP_LOST: from a failure to
					 * the next answer; SFMT_UP_NO_WAY:
					 * logged that no socket reaches it */
	int64_t tried_ms;		/* CLOCK_MONOTONIC ms of the last query */
	int64_t taken_ms;		/* when the answer below was asked for;
					 * 0: none */
	uint64_t refreshes, failures;	/* queries answered, not answered */
	uint32_t report_seq;		/* the sequence number it answers */
	uint32_t asked_seq;		/* the question sent through a passed
					 * socket, not answered yet; 0: none */
	char source[SFMT_UP_NAME_MAX];	/* who answered, NUL ended */
	uint8_t report[CC_TRACKING_LEN];	/* chronyd's reply as received */
};

/* A copy of an upstream region's answer, taken at its even sequence
 * count s: the report bytes, the sequence number they answer, when it
 * was asked for, and who answered (NUL ended). False when a writer came
 * meanwhile: try again. The bytes are still to be checked by the
 * caller (anyone who can write the file put them there). */
struct sfmt_up_copy {
	uint8_t report[CC_TRACKING_LEN];
	uint32_t report_seq;
	int64_t taken_ms;
	char source[SFMT_UP_NAME_MAX];
};
bool sfmt_up_copy(const struct sfmt_upstream *r, uint32_t s,
		  struct sfmt_up_copy *out);

/* The NTS cookie key the program last used (sntp-udp and nts-ke-tcp):
 * its id, when it became the current key, and its fingerprint
 * (keyprint.h), never the key. Under a sequence lock as the upstream's
 * view; a writer that finds it being written leaves it (the other
 * writes the same key). In the file's tail padding: a file made before
 * it reads as no key seen. */
struct sfmt_keyinfo {
	uint32_t seq;			/* odd while being written */
	uint32_t id;
	int64_t current_since;		/* Unix seconds; 0: no key seen */
	uint8_t fingerprint[8];
};

/* The NTS master secrets (--nts-master-key=NEW[,OLD], masterkey.h) the
 * program last read: their fingerprints only, never a secret, so that
 * --stats and the metrics writer need no access to the secret's file.
 * n = 0: none read (the key file's mode, or a file made before this
 * record: it is in the tail padding). Under a sequence lock as the
 * key's. */
#define SFMT_MASTERS 2
struct sfmt_masterinfo {
	uint32_t seq;			/* odd while being written */
	uint32_t n;			/* 0, 1 (NEW) or 2 (NEW, OLD) */
	uint8_t fingerprint[SFMT_MASTERS][8];	/* [0] NEW, [1] OLD */
};

/* Naturally aligned; checked with offsetof in statefmt.c. The header is
 * written once, when the file is made; after that only the counters
 * (atomic adds), the send delays (atomic stores), and the rate-limit
 * and interleaved tables (per-set try-locks, see ratelimit.c and
 * xleave.c) change. */
struct sfmt_header {
	char magic[8];
	uint32_t version;
	uint32_t size;			/* of the whole file */
	char program[SFMT_PROGRAM_MAX];
	uint8_t rl_key[RL_KEY_LEN];	/* the rate-limit table's hash key */
	uint32_t reserved[3];
	uint32_t check;			/* FNV-1a of the bytes before it */
};

struct sfmt_image {
	struct sfmt_header h;			/* 64 bytes */
	uint64_t counter[SFMT_COUNTERS];		/* 256 bytes */
	unsigned char rl_table[RL_TABLE_BYTES]	/* 64-byte aligned */
		__attribute__((aligned(64)));
	struct sfmt_delay delay[SFMT_DELAY_KINDS];	/* 256 bytes */
	unsigned char xl_table[XL_TABLE_BYTES]	/* interleaved mode */
		__attribute__((aligned(64)));
	struct sfmt_upstream up;			/* 200 bytes */
	/* systemd-timesyncd's (sys/timesyncq.c): the same lock and
	 * counters; report holds proto/timesyncd's record, report_seq its
	 * magic. Its own, so that auto's two sources keep their own
	 * intervals. */
	struct sfmt_upstream tsd;			/* 200 bytes */
	/* The NTS cookie key in use (keyprint.h): in the tail padding. */
	struct sfmt_keyinfo key;			/* 24 bytes */
	/* The master secrets' fingerprints: the padding's last bytes. */
	struct sfmt_masterinfo master;			/* 24 bytes */
};

#define SFMT_SIZE sizeof(struct sfmt_image)

enum sfmt_verdict {
	SFMT_OK,
	SFMT_BAD_SIZE,
	SFMT_BAD_MAGIC,
	SFMT_BAD_VERSION,
	SFMT_BAD_PROGRAM,
	SFMT_BAD_CHECK,
};

/* Is img (len bytes, 8-byte aligned) a state image of program? */
enum sfmt_verdict sfmt_check(const void *img, size_t len, const char *program);
const char *sfmt_verdict_name(enum sfmt_verdict v);
/* A fresh image: zero counters, an empty table, the header. */
void sfmt_init(struct sfmt_image *img, const char *program,
	      const uint8_t rl_key[RL_KEY_LEN]);
/* Only the header of a fresh image. */
void sfmt_header_make(struct sfmt_header *h, const char *program,
		     const uint8_t rl_key[RL_KEY_LEN]);
/* Record one send-path delay sample of kind k (atomic stores). */
void sfmt_delay_record(struct sfmt_image *img, enum sfmt_delay_kind k,
		      int64_t ns);
/* The smallest of the kept samples of kind k (a lower bound on the
 * recent sends), and how many are kept; false when there are none. */
bool sfmt_delay_min(const struct sfmt_image *img, enum sfmt_delay_kind k,
		   int64_t *ns, unsigned *kept);
/* The counters as "name: value" lines, then the send delays; rules names the program's own
 * drop rules (NULL ended, at most SFMT_RULES_MAX). Returns the length
 * written (truncated to cap - 1). */
size_t sfmt_format(const struct sfmt_image *img, const char *const *rules,
		  char *buf, size_t cap);

/* Record the key with that id, current since then, and fingerprint
 * (a no-op when another process is writing it). */
void sfmt_key_put(struct sfmt_image *img, uint32_t id, int64_t current_since,
		  const uint8_t fingerprint[8]);
/* Copy the key last recorded; false when none is, or it stayed busy. */
bool sfmt_key_get(const struct sfmt_image *img, struct sfmt_keyinfo *out);
/* Record the fingerprints of the n master secrets (0: none read; at
 * most SFMT_MASTERS), NEW first; a no-op when another process is
 * writing them. */
void sfmt_master_put(struct sfmt_image *img, unsigned n,
		     const uint8_t fingerprint[][8]);
/* Copy the fingerprints last recorded; false when none are, or the
 * record stayed busy. */
bool sfmt_master_get(const struct sfmt_image *img,
		     struct sfmt_masterinfo *out);
/* The counters and the key in the Prometheus text format (metrics.h),
 * at now (Unix seconds: the key's age); rules as for sfmt_format.
 * Returns the length written, 0 when it does not fit cap. */
size_t sfmt_prometheus(const struct sfmt_image *img, const char *const *rules,
		       int64_t now, char *buf, size_t cap);

#endif
