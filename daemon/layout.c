/* layout.c: member path -> (scheme, path) mapping, containment, RECORD-relative paths. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "strbuf.h"
#include "venv.h"
#include "xalloc.h"

static const char *const layout__keys[LAYOUT_NSCHEMES] = {"purelib", "platlib", "scripts",
							  "headers", "data"};

/* True when s is valid UTF-8. */
int layout_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int n;
		unsigned cp, min;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Scheme dirs from the interpreter facts. */
int layout_init(struct layout *l, const struct interp_facts *f, const char *header_name,
		int root_is_purelib, struct err *err)
{
	memset(l, 0, sizeof(*l));
	if (header_name[0] == '\0' || strchr(header_name, '/') || !strcmp(header_name, ".") ||
	    !strcmp(header_name, ".."))
		return err_set(err, -EINVAL, "invalid project name '%s' for the headers directory",
			       header_name);
	l->dir[LAYOUT_PURELIB] = venv_normpath(f->purelib);
	l->dir[LAYOUT_PLATLIB] = venv_normpath(f->platlib);
	l->dir[LAYOUT_SCRIPTS] = venv_normpath(f->scripts);
	char *h = xasprintf("%s/%s", f->include, header_name);
	l->dir[LAYOUT_HEADERS] = venv_normpath(h);
	free(h);
	l->dir[LAYOUT_DATA] = venv_normpath(f->data);
	l->root = root_is_purelib ? LAYOUT_PURELIB : LAYOUT_PLATLIB;
	return 0;
}

/* Free the dirs. */
void layout_free(struct layout *l)
{
	for (int i = 0; i < LAYOUT_NSCHEMES; i++)
		free(l->dir[i]);
	memset(l, 0, sizeof(*l));
}

/* Free a target. */
void layout_target_free(struct layout_target *t)
{
	free(t->rel);
	free(t->abs);
	free(t->record_path);
	memset(t, 0, sizeof(*t));
}

/* True when path is dir or below it, per segment. */
int layout_contains(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(dir, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Relative path from directory from to path to. */
char *layout_relpath(const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	size_t common = 0, i = 0;

	/* Longest common prefix ending at a segment boundary. */
	while (from[i] && from[i] == to[i]) {
		i++;
		if ((from[i] == '/' || from[i] == '\0') && (to[i] == '/' || to[i] == '\0'))
			common = i;
	}
	if (strcmp(from, "/") == 0)
		common = 1; /* the root has no segments to climb out of */
	for (const char *p = from + common; *p; p++)
		if (*p == '/')
			strbuf_adds(&sb, sb.len ? "/.." : "..");
	const char *rest = to + common;
	if (*rest == '/')
		rest++;
	if (*rest) {
		if (sb.len)
			strbuf_addc(&sb, '/');
		strbuf_adds(&sb, rest);
	}
	if (sb.len == 0)
		strbuf_addc(&sb, '.');
	return strbuf_detach(&sb, NULL);
}

/* Validate a member name and split it into normalized segments joined by '/'. */
static int layout__normalize(const char *member, struct strbuf *out, size_t *nseg, struct err *err)
{
	if (member[0] == '/')
		return err_set(err, -WHLC_EHOSTILE, "member '%s': absolute path", member);
	if (!layout_utf8_valid(member))
		return err_set(err, -WHLC_EHOSTILE, "member name is not valid UTF-8");
	for (const unsigned char *c = (const unsigned char *)member; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return err_set(err, -WHLC_EHOSTILE,
				       "member name holds a control character");
		if (*c == '\\')
			return err_set(err, -WHLC_EHOSTILE, "member '%s': backslash in name",
				       member);
	}
	*nseg = 0;
	for (const char *p = member; *p;) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return err_set(err, -WHLC_EHOSTILE, "member '%s': '..' segment", member);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (out->len)
				strbuf_addc(out, '/');
			strbuf_add(out, p, n);
			(*nseg)++;
		}
		p = *e ? e + 1 : e;
	}
	if (*nseg == 0)
		return err_set(err, -WHLC_EHOSTILE, "member '%s': empty path", member);
	return 0;
}

/* True when the segment s (length n) ends with suffix. */
static int layout__ends(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Map an archive member. */
int layout_map(const struct layout *l, const char *member, struct layout_target *out,
	       struct err *err)
{
	struct strbuf norm = STRBUF_INIT;
	size_t nseg = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = layout__normalize(member, &norm, &nseg, err);
	if (rc < 0)
		goto out;
	const char *first_end = strchrnul(norm.buf, '/');
	out->scheme = l->root;
	const char *rel = norm.buf;
	/* pip treats any top-level `*.data` directory as the data directory. */
	if (layout__ends(norm.buf, (size_t)(first_end - norm.buf), ".data")) {
		if (nseg < 3) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "member '%s': a file directly under .data (expected "
				     ".data/<purelib|platlib|scripts|headers|data>/<path>)",
				     member);
			goto out;
		}
		const char *key = first_end + 1, *key_end = strchr(key, '/');
		int found = -1;
		for (int i = 0; i < LAYOUT_NSCHEMES; i++)
			if (strlen(layout__keys[i]) == (size_t)(key_end - key) &&
			    !memcmp(layout__keys[i], key, (size_t)(key_end - key)))
				found = i;
		if (found < 0) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "member '%s': unknown .data key '%.*s' (valid: purelib, "
				     "platlib, scripts, headers, data)",
				     member, (int)(key_end - key), key);
			goto out;
		}
		out->scheme = (enum layout_scheme)found;
		rel = key_end + 1;
		const char *seg_end = strchrnul(rel, '/');
		if ((found == LAYOUT_PURELIB || found == LAYOUT_PLATLIB) &&
		    layout__ends(rel, (size_t)(seg_end - rel), ".dist-info")) {
			rc = err_set(err, -WHLC_EBADWHEEL,
				     "member '%s': a .dist-info directory inside .data/%s would "
				     "create a phantom distribution",
				     member, layout__keys[found]);
			goto out;
		}
		out->is_script = found == LAYOUT_SCRIPTS;
	}
	out->rel = xstrdup(rel);
	out->abs =
	    xasprintf("%s/%s", strcmp(l->dir[out->scheme], "/") ? l->dir[out->scheme] : "", rel);
	if (out->scheme == LAYOUT_DATA) {
		/* .data/data may write anywhere in the venv, but not over its interpreter. */
		char *slash = strrchr(out->abs, '/');
		*slash = '\0';
		int onto = strcmp(out->abs, l->dir[LAYOUT_SCRIPTS]) == 0 &&
			   strncmp(slash + 1, "python", 6) == 0;
		*slash = '/';
		if (onto) {
			rc = err_set(err, -WHLC_EHOSTILE,
				     "member '%s' would overwrite the venv's interpreter %s",
				     member, out->abs);
			goto out;
		}
	}
	out->record_path = layout_relpath(l->dir[l->root], out->abs);
	rc = 0;
out:
	strbuf_free(&norm);
	if (rc < 0)
		layout_target_free(out);
	return rc;
}
