/* entrypoints.c: entry_points.txt (INI, read like configparser) and script entry checks. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "entrypoints.h"
#include "xalloc.h"

/* Release all entries. */
void entrypoints_free(struct entry_points *ep)
{
	for (size_t i = 0; i < ep->n; i++) {
		free(ep->v[i].group);
		free(ep->v[i].name);
		free(ep->v[i].module);
		free(ep->v[i].attr);
	}
	free(ep->v);
	ep->v = NULL;
	ep->n = 0;
}

/* Python's str.strip() whitespace subset that can occur in a line. */
static int ep__space(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

/* Trim [*s, *e) of surrounding whitespace. */
static void ep__trim(const char **s, const char **e)
{
	while (*s < *e && ep__space(**s))
		(*s)++;
	while (*e > *s && ep__space((*e)[-1]))
		(*e)--;
}

/* Identifier character as in Python's \w for ASCII; non-ASCII bytes (UTF-8) are allowed. */
static int ep__word(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/*
 * Scan a dotted name of identifiers ("a.b_c") at [*p, e); returns its length,
 * 0 when there is none or a segment is empty or starts with a digit.
 */
static size_t ep__dotted(const char *p, const char *e)
{
	const char *s = p;

	for (;;) {
		if (p >= e || !ep__word((unsigned char)*p) || isdigit((unsigned char)*p))
			return 0;
		while (p < e && ep__word((unsigned char)*p))
			p++;
		if (p >= e || *p != '.')
			return (size_t)(p - s);
		p++;
	}
}

/*
 * Parse the value "module[:attr][ [extras]]" (the importlib.metadata pattern
 * `(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$`).
 */
static int ep__value(const char *s, const char *e, struct entry_point *out)
{
	size_t n = ep__dotted(s, e);

	if (n == 0)
		return -1;
	out->module = xstrndup(s, n);
	s += n;
	while (s < e && ep__space(*s))
		s++;
	if (s < e && *s == ':') {
		s++;
		while (s < e && ep__space(*s))
			s++;
		n = ep__dotted(s, e);
		if (n == 0)
			return -1;
		out->attr = xstrndup(s, n);
		s += n;
		while (s < e && ep__space(*s))
			s++;
	}
	if (s < e && *s == '[') {
		/* Extras are dropped; the value must end with "]". */
		if (e[-1] != ']')
			return -1;
		s = e;
	}
	return s == e ? 0 : -1;
}

/* Order strings (for duplicate section detection). */
static int ep__strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Order entries by group, then name (for duplicate key detection). */
static int ep__entcmp(const void *a, const void *b)
{
	const struct entry_point *const *x = a, *const *y = b;
	int c = strcmp((*x)->group, (*y)->group);

	return c ? c : strcmp((*x)->name, (*y)->name);
}

/* Reject repeated sections and keys repeated within a section, in O(n log n). */
static int ep__dups(struct entry_points *out, char **seen, size_t nseen, struct err *err)
{
	struct entry_point **v = xreallocarray(NULL, out->n, sizeof(*v));
	int rc = 0;

	if (nseen > 1)
		qsort(seen, nseen, sizeof(*seen), ep__strcmp);
	for (size_t i = 1; i < nseen; i++)
		if (strcmp(seen[i - 1], seen[i]) == 0) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "entry_points.txt: section [%s] appears twice", seen[i]);
			goto out;
		}
	for (size_t i = 0; i < out->n; i++)
		v[i] = &out->v[i];
	qsort(v, out->n, sizeof(*v), ep__entcmp);
	for (size_t i = 1; i < out->n; i++)
		if (ep__entcmp(&v[i - 1], &v[i]) == 0) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "entry_points.txt: '%s' is defined twice in [%s]", v[i]->name,
				     v[i]->group);
			goto out;
		}
out:
	free(v);
	return rc;
}

/* Parse a "key = value" entry and append it to out. */
static int ep__add(struct entry_points *out, const char *group, const char *k, size_t klen,
		   const char *vs, const char *ve, size_t lineno, struct err *err)
{
	struct entry_point e = {0};

	if (ep__value(vs, ve, &e) < 0) {
		free(e.module);
		free(e.attr);
		return err_set(err, -WHLC_EBADWHEEL,
			       "entry_points.txt line %zu: '%.*s' has an invalid value '%.*s' "
			       "(expected module:attr)",
			       lineno, (int)klen, k, (int)(ve - vs), vs);
	}
	e.group = xstrdup(group);
	e.name = xstrndup(k, klen);
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	out->v[out->n++] = e;
	return 0;
}

/*
 * Parse entry_points.txt the way pip reads it (importlib.metadata and
 * pkg_resources both strip every line): indentation is ignored, so an indented
 * `name = mod:attr` is an entry like any other; comments are whole lines whose
 * first non-blank character is '#' or ';'; duplicate sections and duplicate
 * keys in a section are errors (they make the launcher set ambiguous).
 */
int entrypoints_parse(const char *buf, size_t len, struct entry_points *out, struct err *err)
{
	char *group = NULL;
	char **seen = NULL;
	size_t nseen = 0, pos = 0, lineno = 0;
	int rc = 0;

	out->n = 0;
	out->v = NULL;
	if (memchr(buf, '\0', len)) {
		rc = err_set(err, -WHLC_EBADWHEEL, "entry_points.txt contains a NUL byte");
		goto out;
	}
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		const char *e = nl ? nl : buf + len, *s = line;

		pos = (size_t)(e - buf) + (nl != NULL);
		lineno++;
		ep__trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (e[-1] != ']' || e - s < 3) {
				rc = err_set(err, -WHLC_EBADWHEEL,
					     "entry_points.txt line %zu: malformed section header",
					     lineno);
				goto out;
			}
			free(group);
			group = xstrndup(s + 1, (size_t)(e - s - 2));
			seen = xreallocarray(seen, nseen + 1, sizeof(*seen));
			seen[nseen++] = xstrdup(group);
			continue;
		}
		if (group == NULL) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "entry_points.txt line %zu: entry before any [section]",
				     lineno);
			goto out;
		}
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (eq == NULL) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "entry_points.txt line %zu: expected 'name = module:attr'",
				     lineno);
			goto out;
		}
		const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
		ep__trim(&ks, &ke);
		ep__trim(&vs, &ve);
		if (ks == ke) {
			rc = err_set(err, -WHLC_EBADWHEEL, "entry_points.txt line %zu: empty name",
				     lineno);
			goto out;
		}
		rc = ep__add(out, group, ks, (size_t)(ke - ks), vs, ve, lineno, err);
		if (rc < 0)
			goto out;
	}
	rc = ep__dups(out, seen, nseen, err);
out:
	free(group);
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	if (rc < 0)
		entrypoints_free(out);
	return rc;
}

/* True when name would shadow an interpreter: python, python3, python3.12, pythonw, pypy*. */
static int ep__interpreter(const char *name)
{
	if (strncmp(name, "pypy", 4) == 0)
		return 1;
	if (strncmp(name, "python", 6) != 0)
		return 0;
	const char *p = name + 6;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if (*p == 'w')
		p++;
	return *p == '\0';
}

/* Validate a console_scripts/gui_scripts entry for launcher generation (spec H.36, H.38). */
int entrypoints_check_script(const struct entry_point *e, struct err *err)
{
	if (e->attr == NULL)
		return err_set(err, -WHLC_EBADWHEEL,
			       "entry point '%s' in [%s]: '%s' has no ':callable'", e->name,
			       e->group, e->module);
	if (e->name[0] == '\0' || strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0 ||
	    strchr(e->name, '/') != NULL)
		return err_set(
		    err, -WHLC_EBADWHEEL,
		    "entry point '%s' in [%s]: a launcher name must be a plain file name", e->name,
		    e->group);
	for (const char *p = e->name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return err_set(
			    err, -WHLC_EBADWHEEL,
			    "entry point in [%s]: launcher name holds a control character "
			    "or backslash",
			    e->group);
	if (ep__interpreter(e->name))
		return err_set(err, -WHLC_EBADWHEEL,
			       "entry point '%s' in [%s]: a launcher may not replace the "
			       "interpreter",
			       e->name, e->group);
	return 0;
}
