/*
 * zipname.c: member-name validation: UTF-8, path segments, duplicates and names equal
 * up to case.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"
#include "zipcheck_int.h"

/* Length of the valid UTF-8 sequence at s (rejecting overlongs and surrogates), 0 if invalid. */
static size_t zip__utf8(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Validate a member name (spec A.7, K.47); name is len bytes, not yet NUL-terminated. */
int zip__check_name(struct zip__ctx *c, const char *name, size_t len)
{
	const unsigned char *u = (const unsigned char *)name;
	char q[160];
	size_t seg = 0;

#define BAD(why)                                                                                   \
	err_set(c->err, -WHLC_EHOSTILE, "member '%s': %s", zip__q(name, len, q, sizeof(q)), why)
	if (len == 0)
		return err_set(c->err, -WHLC_EHOSTILE, "a member has an empty name");
	if (len > ZIP_NAME_MAX)
		return BAD("name is longer than 4095 bytes");
	if (name[0] == '/')
		return BAD("absolute path");
	for (size_t i = 0; i < len;) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return BAD("name holds a NUL or control character");
		if (u[i] == '\\')
			return BAD("name holds a backslash (only '/' separates directories)");
		size_t l = zip__utf8(u + i, len - i);
		if (l == 0)
			return BAD("name is not valid UTF-8");
		i += l;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '/') {
			seg++;
			continue;
		}
		const char *s = name + i - seg;
		if (seg == 0 && i < len)
			return BAD("empty path segment ('//')");
		if ((seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.'))
			return BAD("'.' or '..' path segment");
		seg = 0;
	}
	return 0;
#undef BAD
}

/* Compare names ASCII-case-insensitively with '/' lowest, so "a/..." sorts right after "a". */
static int zip__namecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		x = x == '/' ? 1 : x;
		y = y == '/' ? 1 : y;
		if (x != y || x == 0)
			return x - y;
	}
}

/* qsort adapter for zip__namecmp over entry pointers. */
static int zip__entcmp(const void *a, const void *b)
{
	return zip__namecmp((*(struct zip_entry *const *)a)->name,
			    (*(struct zip_entry *const *)b)->name);
}

/* Length of a name without its trailing '/'. */
static size_t zip__keylen(const struct zip_entry *e)
{
	return strlen(e->name) - e->is_dir;
}

/*
 * Reject duplicates, names equal up to ASCII case (only ASCII is folded: a
 * full Unicode fold would need tables; ASCII covers case-insensitive
 * filesystems' common collisions), a file and a directory of the same name,
 * and a file used as a directory of another member.
 */
int zip__check_dups(struct zip__ctx *c, struct zip_index *zi)
{
	struct zip_entry **v = xreallocarray(NULL, zi->n, sizeof(*v));
	int rc = 0;

	for (size_t i = 0; i < zi->n; i++)
		v[i] = &zi->v[i];
	qsort(v, zi->n, sizeof(*v), zip__entcmp);
	for (size_t i = 1; i < zi->n; i++) {
		struct zip_entry *a = v[i - 1], *b = v[i];
		size_t la = zip__keylen(a), lb = zip__keylen(b);

		if (la == lb && strncasecmp(a->name, b->name, la) == 0) {
			if (strcmp(a->name, b->name) == 0)
				rc = err_set(c->err, -WHLC_EHOSTILE, "member '%s' appears twice",
					     a->name);
			else
				rc = err_set(c->err, -WHLC_EHOSTILE,
					     "members '%s' and '%s' differ only by case or a "
					     "trailing '/'",
					     a->name, b->name);
			goto out;
		}
		if (!a->is_dir && lb > la && b->name[la] == '/' &&
		    strncasecmp(a->name, b->name, la) == 0) {
			rc = err_set(c->err, -WHLC_EHOSTILE,
				     "member '%s' is a file but '%s' uses it as a directory",
				     a->name, b->name);
			goto out;
		}
	}
out:
	free(v);
	return rc;
}
