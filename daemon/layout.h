/* layout.h: where each wheel member goes in a venv (spec C.9-C.13, K.47, K.48), and its RECORD
 * path. */
#ifndef WHLC_LAYOUT_H
#define WHLC_LAYOUT_H

#include "err.h"
#include "interp.h"

enum layout_scheme {
	LAYOUT_PURELIB,
	LAYOUT_PLATLIB,
	LAYOUT_SCRIPTS,
	LAYOUT_HEADERS,
	LAYOUT_DATA,
	LAYOUT_NSCHEMES
};

struct layout {
	char *dir[LAYOUT_NSCHEMES]; /* absolute, normalized */
	enum layout_scheme root;    /* LAYOUT_PURELIB or LAYOUT_PLATLIB (Root-Is-Purelib) */
};

struct layout_target {
	enum layout_scheme scheme;
	char *rel;	   /* normalized, inside dir[scheme] */
	char *abs;	   /* dir[scheme]/rel */
	char *record_path; /* relative to dir[root] (where the dist-info is): "../../../bin/x" */
	int is_script;	   /* from .data/scripts: `#!python` rewrite candidate, spec D.15 */
};

/*
 * Scheme dirs from the interpreter facts. header_name is the project name pip
 * uses for the headers dir (the wheel file name's, `_` turned into `-`);
 * headers go to `<include>/<header_name>`. Returns 0 or -EINVAL.
 */
int layout_init(struct layout *l, const struct interp_facts *f, const char *header_name,
		int root_is_purelib, struct err *err);
void layout_free(struct layout *l);

/*
 * Map an archive member. The name must be valid UTF-8 with `/` separators,
 * relative, without `..`, backslashes or control characters; empty and `.`
 * segments are dropped. A top-level `*.data/<key>/...` goes to key purelib,
 * platlib, scripts, headers or data; other keys, files directly under .data,
 * a `.dist-info` under .data/purelib|platlib and .data/data onto
 * `bin/python*` are errors. Returns 0, -WHLC_EHOSTILE (unsafe name) or
 * -WHLC_EBADWHEEL (bad layout), the message naming the member.
 */
int layout_map(const struct layout *l, const char *member, struct layout_target *out,
	       struct err *err);
void layout_target_free(struct layout_target *t);

/* Relative path from directory from to path to (both absolute and normalized), per segment. */
char *layout_relpath(const char *from, const char *to);

/* True when path equals dir or lies below it, compared per segment (both normalized). */
int layout_contains(const char *dir, const char *path);

/* True when s is valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
int layout_utf8_valid(const char *s);

#endif
