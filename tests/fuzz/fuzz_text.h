/* fuzz_text.h: turn a fuzz input into a NUL-terminated copy for text parsers. */
#ifndef WHLC_FUZZ_TEXT_H
#define WHLC_FUZZ_TEXT_H
#include <stdint.h>
#include <string.h>

#include "xalloc.h"

/* A malloc'd copy of data with a NUL after it (parsers also get the exact length). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
#endif
