/* unit_random.h: deterministic pseudo-random parser input for the unit tests. */
#ifndef WHLC_UNIT_RANDOM_H
#define WHLC_UNIT_RANDOM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Up to 199 pseudo-random bytes, biased towards the format's special characters. */
static inline void random_input(uint32_t *seed, char *buf, size_t *len, const char *alphabet)
{
	size_t na = strlen(alphabet);

	*seed = *seed * 1103515245u + 12345u;
	*len = (*seed >> 16) % 200;
	for (size_t i = 0; i < *len; i++) {
		*seed = *seed * 1103515245u + 12345u;
		uint32_t r = *seed >> 16;
		buf[i] = r % 8 == 0 ? (char)(r >> 3) : alphabet[(r >> 3) % na];
	}
}

#endif
