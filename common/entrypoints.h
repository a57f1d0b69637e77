/* entrypoints.h: entry_points.txt (INI) and the console/gui script entries in it. */
#ifndef WHLC_ENTRYPOINTS_H
#define WHLC_ENTRYPOINTS_H

#include <stddef.h>

#include "err.h"

struct entry_point {
	char *group;  /* section name, e.g. "console_scripts" */
	char *name;   /* key: case-sensitive, trimmed */
	char *module; /* "mod.sub" */
	char *attr;   /* "attr.sub", NULL when the value has no ":" */
};

struct entry_points {
	size_t n;
	struct entry_point *v;
};

/*
 * Parse entry_points.txt: `[section]` lines, `key = value` lines where `=` is
 * the only delimiter, `#`/`;` comments, blank lines. In the value, spaces
 * around ":" and a trailing `[extras]` are tolerated (extras are dropped).
 * Malformed lines are -WHLC_EBADWHEEL naming the line.
 */
int entrypoints_parse(const char *buf, size_t len, struct entry_points *out, struct err *err);
void entrypoints_free(struct entry_points *ep);

/*
 * Validate a console_scripts/gui_scripts entry for launcher generation (spec
 * H.36, H.38): attr present, name without "/" or "..", not an interpreter name
 * (python, python3, python3.N, pythonw, pypy*). Returns 0 or -WHLC_EBADWHEEL.
 */
int entrypoints_check_script(const struct entry_point *e, struct err *err);

#endif
