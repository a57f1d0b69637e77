/* tags.h: the interpreter's supported wheel tags (spec L.54-L.57), in packaging's priority order.
 */
#ifndef WHLC_TAGS_H
#define WHLC_TAGS_H

#include <stddef.h>

#include "err.h"
#include "interp.h"
#include "wheel_name.h"

/* Ordered list of "py-abi-plat" strings, best first. */
struct tags {
	size_t n;
	char **v;
};

/*
 * Build the supported list for a CPython interpreter on Linux, the order pip
 * uses (packaging.tags cpython_tags + compatible_tags with `cpXY-none-any`):
 * cpXY-<abis>-PLAT, cpXY-abi3-PLAT, cpXY-none-PLAT, cp3N-abi3-PLAT, py*-none-PLAT,
 * cpXY-none-any, py*-none-any. PLAT: manylinux_2_Y (with legacy aliases) down
 * to 2_5 (2_17 off x86), musllinux_1_Y when musl, then linux_<arch>.
 * Free-threaded builds get no abi3. Returns 0 or -WHLC_EINCOMPAT (not CPython/Linux).
 */
int tags_for_interp(const struct interp_facts *f, struct tags *out, struct err *err);
void tags_free(struct tags *t);

/* Index of "py-abi-plat" in t, or -1. */
long tags_index(const struct tags *t, const char *py, const char *abi, const char *plat);

/* Best (lowest) index of any tag of the wheel, or -1 when none is supported. */
long tags_wheel_rank(const struct wheel_name *wn, const struct tags *t);

/* The interpreter's most specific tag ("cp312-cp312-manylinux_2_36_x86_64"), for errors. */
const char *tags_most_specific(const struct tags *t);

#endif
