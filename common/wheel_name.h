/* wheel_name.h: wheel file names, PEP 503 project names and PEP 440 version equality. */
#ifndef WHLC_WHEEL_NAME_H
#define WHLC_WHEEL_NAME_H

#include "err.h"

/* A parsed `name-version[-build]-py-abi-plat.whl` (spec A.1 to A.4). */
struct wheel_name {
	char *name;	  /* distribution part as written in the file name */
	char *norm_name;  /* PEP 503 normalized: lowercase, runs of -_. -> "-" */
	char *version;	  /* as written */
	char *build;	  /* build tag as written, NULL when absent */
	long build_num;	  /* leading integer of the build tag, -1 when absent */
	char *build_rest; /* rest of the build tag after the integer, "" when absent */
	char *py_tags;	  /* dot-separated set as written, e.g. "py2.py3" */
	char *abi_tags;
	char *plat_tags;
};

/*
 * Parse a wheel file name (basename only; a path is rejected). 5 or 6 fields;
 * the build tag must start with a digit. Returns 0, or -WHLC_EBADWHEEL with a
 * message naming the file.
 */
int wheel_name_parse(const char *filename, struct wheel_name *out, struct err *err);
void wheel_name_free(struct wheel_name *wn);

/* PEP 503 normalization into a new string. */
char *wheel_normalize_name(const char *name);

/* True when two project names are equal after PEP 503 normalization. */
int wheel_names_equal(const char *a, const char *b);

/*
 * True when two version strings are equal after PEP 440 normalization
 * (case, leading "v", release padding 1.0 == 1.0.0, pre/post/dev spellings,
 * local segment separators). Unparseable versions compare as plain strings.
 */
int wheel_versions_equal(const char *a, const char *b);

/*
 * PEP 440 canonical form of a version (added by wheelfmt): lowercase, no "v",
 * epoch 0 dropped, release without trailing ".0" components and leading
 * zeros, pre-releases as a/b/rc N, ".postN", ".devN", local parts joined by
 * "." with numeric parts as integers. Equal versions give equal strings.
 * Returns a new string, or NULL when v is not a PEP 440 version.
 */
char *wheel_version_normalize(const char *v);

/* Call fn for each (py, abi, plat) triple in the product of the tag sets; stops on non-zero. */
int wheel_name_each_tag(const struct wheel_name *wn,
			int (*fn)(const char *py, const char *abi, const char *plat, void *arg),
			void *arg);

#endif
