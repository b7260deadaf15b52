/* SPDX-License-Identifier: ISC */
/* ntsfixed: the master keys and session keys the NTS harnesses and
 * their seeds (fuzz/mkcorpus.py) share: slot i has id 0x1000 - i and the
 * key 32 bytes of 0x61 + i; C2S is 1..32, S2C 0x40..0x5f. */
#ifndef SOCKCLOCK_FUZZ_NTSFIXED_H
#define SOCKCLOCK_FUZZ_NTSFIXED_H

#include <string.h>

#include "../common/proto/cookiekeys.h"

static inline void nts_fixed(struct nts_keys *ks, uint8_t c2s[32],
			     uint8_t s2c[32])
{
	memset(ks, 0, sizeof *ks);
	for (int i = 0; i < CKEYS_SLOTS; i++) {
		ks->slot[i].id = 0x1000u - (uint32_t)i;
		memset(ks->slot[i].key, 0x61 + i, NTS_MASTER_LEN);
	}
	for (int i = 0; i < 32; i++) {
		c2s[i] = (uint8_t)(i + 1);
		s2c[i] = (uint8_t)(0x40 + i);
	}
}

#endif
