/* siphash: SipHash-2-4 against the reference vectors of its paper (key
 * 00 01 ... 0f, message 00 01 ... of each length). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "siphash.h"

int main(void)
{
	uint8_t key[SIPHASH_KEY_LEN], msg[64];
	for (int i = 0; i < SIPHASH_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	static const struct {
		size_t len;
		uint64_t out;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ull },  /* vectors.h, the first */
		{ 8, 0x93f5f5799a932462ull },  /* a whole word, then the tail */
		{ 15, 0xa129ca6149be45e5ull }, /* the paper's appendix A */
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK(siphash24(key, msg, v[i].len) == v[i].out,
		      "length %zu: %016llx", v[i].len,
		      (unsigned long long)siphash24(key, msg, v[i].len));
	/* Every bit of the key matters. */
	uint64_t base = siphash24(key, msg, 16);
	for (int bit = 0; bit < 8 * SIPHASH_KEY_LEN; bit++) {
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(siphash24(key, msg, 16) != base, "key bit %d ignored", bit);
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	return check_summary();
}
