/* fuzz_entrypoints.c: entry_points.txt parsing and console-script checks. */
#include "config.h"

#include "entrypoints.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry_points ep;
	struct err e;

	if (entrypoints_parse((const char *)data, size, &ep, &e) < 0)
		return 0;
	for (size_t i = 0; i < ep.n; i++)
		entrypoints_check_script(&ep.v[i], &e);
	entrypoints_free(&ep);
	return 0;
}
