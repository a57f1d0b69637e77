/*
 * fuzz_wheel_name.c: wheel file names, PEP 503 names and PEP 440 versions.
 * Input: a file name; after a NUL byte, optionally a second version string.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_text.h"
#include "wheel_name.h"

/* Count tag triples (the callback of wheel_name_each_tag). */
static int fuzz__tag(const char *py, const char *abi, const char *plat, void *arg)
{
	size_t *n = arg;

	(*n)++;
	return *n > 100000; /* stop a huge product early; the parser should cap it anyway */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), *other, *norm, *n1, *n2;
	struct wheel_name wn;
	struct err e;
	size_t tags = 0;

	other = s + strlen(s) + (strlen(s) < size ? 1 : 0);
	if (wheel_name_parse(s, &wn, &e) == 0) {
		wheel_name_each_tag(&wn, fuzz__tag, &tags);
		norm = wheel_normalize_name(wn.name);
		wheel_names_equal(wn.name, norm);
		free(norm);
		n1 = wheel_version_normalize(wn.version);
		wheel_versions_equal(wn.version, other);
		free(n1);
		wheel_name_free(&wn);
	}
	n1 = wheel_version_normalize(s);
	n2 = wheel_version_normalize(other);
	/* Equal canonical forms must mean equal versions (and the reverse). */
	if (n1 && n2 && (strcmp(n1, n2) == 0) != (wheel_versions_equal(s, other) != 0))
		abort();
	free(n1);
	free(n2);
	norm = wheel_normalize_name(s);
	free(norm);
	free(s);
	return 0;
}
