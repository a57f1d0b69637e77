/* fuzz_rfc822.c: WHEEL and METADATA headers (rfc822_parse, WHEEL checks, lookups). */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "rfc822.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfc822 h;
	struct err e;
	int purelib, newer;

	if (rfc822_parse((const char *)data, size, 1000, &h, &e) < 0)
		return 0;
	rfc822_get(&h, "Name");
	rfc822_get(&h, "Version");
	rfc822_check_wheel(&h, &purelib, &newer, &e);
	rfc822_free(&h);
	return 0;
}
