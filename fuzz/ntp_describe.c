/* SPDX-License-Identifier: ISC */
/* Fuzz ntp_describe (sntp-udp --dump) on any packet and any pivot.
 * Input: 8 bytes pivot, 2 bytes output capacity, then 48 bytes of
 * packet (short input is zero-filled). The whole text must fit the
 * 1024 bytes sntp-udp gives it, and never overrun a smaller buffer. */
#include <stdlib.h>
#include <string.h>

#include "../common/proto/ntp.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	time_t pivot = (time_t)(int64_t)take(&in, 8);
	size_t cap = (size_t)(take(&in, 2) % 2048) + 1;
	uint8_t wire[NTP_HEADER_LEN];
	for (int i = 0; i < NTP_HEADER_LEN; i++)
		wire[i] = (uint8_t)take(&in, 1);
	struct ntp_packet p;
	ntp_decode(wire, &p);

	char full[4096];
	size_t n = ntp_describe(&p, pivot, full, sizeof full);
	CHECK(n > 0 && n < 1024 && full[n] == '\0' && strlen(full) == n);
	CHECK(full[n - 1] == '\n');
	for (size_t i = 0; i < n; i++)
		CHECK(full[i] == '\n' || (full[i] >= 0x20 && full[i] < 0x7f));

	/* Exactly cap bytes on the heap: ASan sees any overrun. */
	char *small = malloc(cap);
	CHECK(small != NULL);
	size_t m = ntp_describe(&p, pivot, small, cap);
	CHECK(m < cap && small[m] == '\0');
	CHECK(memcmp(small, full, m) == 0);
	free(small);
	return 0;
}
