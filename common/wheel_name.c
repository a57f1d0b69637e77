/* wheel_name.c: wheel file names (PEP 427), PEP 503 names, PEP 440 version equality. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "wheel_name.h"
#include "xalloc.h"

/* True for the characters packaging accepts in a wheel file name's distribution part. */
static int wheel__name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.';
}

/* True for characters of a compatibility tag (py/abi/plat fields). */
static int wheel__tag_char(unsigned char c)
{
	return isalnum(c) || c == '_';
}

/* Check a dot-separated tag set: non-empty tags of tag characters. */
static int wheel__tags_ok(const char *s)
{
	size_t seg = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if (wheel__tag_char((unsigned char)*s)) {
			seg++;
		} else {
			return 0;
		}
	}
	return seg > 0;
}

/* Release the strings of a parsed wheel name. */
void wheel_name_free(struct wheel_name *wn)
{
	free(wn->name);
	free(wn->norm_name);
	free(wn->version);
	free(wn->build);
	free(wn->build_rest);
	free(wn->py_tags);
	free(wn->abi_tags);
	free(wn->plat_tags);
	memset(wn, 0, sizeof(*wn));
}

/*
 * Parse a wheel file name. The version is only checked for being non-empty
 * and free of spaces: pip 23.2.1 does not require PEP 440 there either (use
 * wheel_version_normalize to validate).
 */
int wheel_name_parse(const char *filename, struct wheel_name *out, struct err *err)
{
	const char *f[6];
	size_t flen[6], nf = 0, len = strlen(filename);
	int rc = -WHLC_EBADWHEEL;

	memset(out, 0, sizeof(*out));
	out->build_num = -1;
	if (strchr(filename, '/'))
		return err_set(err, rc, "wheel file name '%s': expected a file name, not a path",
			       filename);
	if (len < 4 || strcmp(filename + len - 4, ".whl") != 0)
		return err_set(err, rc, "wheel file name '%s': does not end in .whl", filename);
	len -= 4;
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i < len && filename[i] != '-')
			continue;
		if (nf == 6)
			return err_set(err, rc,
				       "wheel file name '%s': more than 6 dash-separated fields",
				       filename);
		f[nf] = filename + start;
		flen[nf++] = i - start;
		start = i + 1;
	}
	if (nf != 5 && nf != 6)
		return err_set(
		    err, rc,
		    "wheel file name '%s': expected name-version[-build]-py-abi-plat.whl, "
		    "got %zu fields",
		    filename, nf);
	for (size_t i = 0; i < nf; i++)
		if (flen[i] == 0)
			return err_set(err, rc, "wheel file name '%s': empty field %zu", filename,
				       i + 1);
	for (size_t i = 0; i < flen[0]; i++)
		if (!wheel__name_char((unsigned char)f[0][i]))
			return err_set(err, rc, "wheel file name '%s': invalid project name",
				       filename);
	for (size_t i = 0; i < flen[1]; i++)
		if (isspace((unsigned char)f[1][i]) || f[1][i] == '/')
			return err_set(err, rc, "wheel file name '%s': invalid version", filename);
	out->name = xstrndup(f[0], flen[0]);
	out->version = xstrndup(f[1], flen[1]);
	if (nf == 6) {
		const char *b = f[2];
		size_t bl = flen[2], d = 0;

		if (!isdigit((unsigned char)b[0])) {
			err_set(err, rc,
				"wheel file name '%s': build tag '%.*s' must start with a digit",
				filename, (int)bl, b);
			goto fail;
		}
		long num = 0;
		for (; d < bl && isdigit((unsigned char)b[d]); d++) {
			if (num > (LONG_MAX - (b[d] - '0')) / 10) {
				err_set(err, rc, "wheel file name '%s': build number too large",
					filename);
				goto fail;
			}
			num = num * 10 + (b[d] - '0');
		}
		for (size_t i = 0; i < bl; i++)
			if (!wheel__tag_char((unsigned char)b[i])) {
				err_set(err, rc, "wheel file name '%s': invalid build tag",
					filename);
				goto fail;
			}
		out->build = xstrndup(b, bl);
		out->build_num = num;
		out->build_rest = xstrndup(b + d, bl - d);
	} else {
		out->build_rest = xstrdup("");
	}
	out->py_tags = xstrndup(f[nf - 3], flen[nf - 3]);
	out->abi_tags = xstrndup(f[nf - 2], flen[nf - 2]);
	out->plat_tags = xstrndup(f[nf - 1], flen[nf - 1]);
	if (!wheel__tags_ok(out->py_tags) || !wheel__tags_ok(out->abi_tags) ||
	    !wheel__tags_ok(out->plat_tags)) {
		err_set(err, rc, "wheel file name '%s': malformed compatibility tags", filename);
		goto fail;
	}
	out->norm_name = wheel_normalize_name(out->name);
	return 0;
fail:
	wheel_name_free(out);
	out->build_num = -1;
	return rc;
}

/* PEP 503 normalization into a new string. */
char *wheel_normalize_name(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = name; *p; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			while (p[1] == '-' || p[1] == '_' || p[1] == '.')
				p++;
			strbuf_addc(&sb, '-');
		} else {
			strbuf_addc(&sb, (char)tolower((unsigned char)*p));
		}
	}
	strbuf_add(&sb, "", 0); /* terminates even an empty result */
	return strbuf_detach(&sb, NULL);
}

/* True when two project names are equal after PEP 503 normalization. */
int wheel_names_equal(const char *a, const char *b)
{
	char *na = wheel_normalize_name(a), *nb = wheel_normalize_name(b);
	int eq = strcmp(na, nb) == 0;

	free(na);
	free(nb);
	return eq;
}

/* Case-insensitively consume the literal word w at *p; 1 when it matched. */
static int wheel__eat(const char **p, const char *w)
{
	size_t n = strlen(w);

	if (strncasecmp(*p, w, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* Consume an optional `-`, `_` or `.`. */
static void wheel__eat_sep(const char **p)
{
	if (**p == '-' || **p == '_' || **p == '.')
		(*p)++;
}

/*
 * Append the digit run at *p without leading zeros ("0" when all zeros or
 * absent); returns the number of digits consumed.
 */
static size_t wheel__num(const char **p, struct strbuf *sb)
{
	const char *s = *p;

	while (isdigit((unsigned char)**p))
		(*p)++;
	size_t n = (size_t)(*p - s);
	while (s < *p - 1 && *s == '0')
		s++;
	if (n == 0)
		strbuf_addc(sb, '0');
	else
		strbuf_add(sb, s, (size_t)(*p - s));
	return n;
}

/* Parse the optional pre-release part; appends "a"/"b"/"rc" + number. */
static void wheel__pre(const char **p, struct strbuf *sb)
{
	/* Longest spelling first so that "preview" is not read as "pre" + "view". */
	static const struct {
		const char *word, *canon;
	} pre[] = {{"preview", "rc"}, {"alpha", "a"}, {"beta", "b"}, {"pre", "rc"},
		   {"rc", "rc"},      {"a", "a"},     {"b", "b"},    {"c", "rc"}};
	const char *q = *p;

	wheel__eat_sep(&q);
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		const char *r = q;

		if (!wheel__eat(&r, pre[i].word))
			continue;
		/* PEP 440's pattern takes the separator even without a number (implicit 0). */
		wheel__eat_sep(&r);
		strbuf_adds(sb, pre[i].canon);
		wheel__num(&r, sb);
		*p = r;
		return;
	}
}

/* Parse the optional post-release part ("-N", "[sep]post|rev|r[sep][N]"). */
static void wheel__post(const char **p, struct strbuf *sb)
{
	static const char *const words[] = {"post", "rev", "r"};
	const char *q = *p;

	if (q[0] == '-' && isdigit((unsigned char)q[1])) {
		q++;
		strbuf_adds(sb, ".post");
		wheel__num(&q, sb);
		*p = q;
		return;
	}
	wheel__eat_sep(&q);
	for (size_t i = 0; i < 3; i++) {
		const char *r = q;

		if (!wheel__eat(&r, words[i]))
			continue;
		wheel__eat_sep(&r);
		strbuf_adds(sb, ".post");
		wheel__num(&r, sb);
		*p = r;
		return;
	}
}

/* Parse the optional dev-release part. */
static void wheel__dev(const char **p, struct strbuf *sb)
{
	const char *q = *p;

	wheel__eat_sep(&q);
	if (!wheel__eat(&q, "dev"))
		return;
	wheel__eat_sep(&q);
	strbuf_adds(sb, ".dev");
	wheel__num(&q, sb);
	*p = q;
}

/* Parse the local segment after "+": alphanumeric parts joined by "." and lowercased. */
static int wheel__local(const char **p, struct strbuf *sb)
{
	const char *q = *p;

	strbuf_addc(sb, '+');
	for (;;) {
		const char *s = q;
		int alldig = 1;

		while (isalnum((unsigned char)*q))
			alldig &= isdigit((unsigned char)*q++) != 0;
		if (q == s)
			return -1;
		if (alldig) {
			wheel__num(&s, sb); /* "01" and "1" compare equal, as integers */
		} else {
			for (; s < q; s++)
				strbuf_addc(sb, (char)tolower((unsigned char)*s));
		}
		if (*q != '.' && *q != '-' && *q != '_')
			break;
		strbuf_addc(sb, '.');
		q++;
	}
	*p = q;
	return 0;
}

/*
 * Normalize a PEP 440 version into a canonical string: two versions are equal
 * exactly when their canonical strings are. Returns NULL when v is not PEP 440.
 * The release has trailing ".0" removed (so 1.0 == 1), numbers lose leading
 * zeros, epoch 0 is dropped.
 */
char *wheel_version_normalize(const char *v)
{
	struct strbuf sb = STRBUF_INIT, rel = STRBUF_INIT;
	const char *p = v;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == 'v' || *p == 'V')
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	/* Epoch: digits followed by "!". */
	const char *q = p;
	while (isdigit((unsigned char)*q))
		q++;
	if (*q == '!') {
		struct strbuf ep = STRBUF_INIT;
		wheel__num(&p, &ep);
		if (strcmp(ep.buf, "0") != 0) {
			strbuf_add(&sb, ep.buf, ep.len);
			strbuf_addc(&sb, '!');
		}
		strbuf_free(&ep);
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
	}
	/* Release, with trailing zero components dropped. */
	size_t keep = 0;
	for (;;) {
		if (rel.len)
			strbuf_addc(&rel, '.');
		size_t before = rel.len;
		wheel__num(&p, &rel);
		if (keep == 0 || strcmp(rel.buf + before, "0") != 0)
			keep = rel.len;
		if (p[0] != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	/* keep is the end of the last non-zero component (or "0" for 0.0.0). */
	strbuf_add(&sb, rel.buf, keep);
	wheel__pre(&p, &sb);
	wheel__post(&p, &sb);
	wheel__dev(&p, &sb);
	if (*p == '+') {
		p++;
		if (wheel__local(&p, &sb) < 0)
			goto bad;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		goto bad;
	strbuf_free(&rel);
	return strbuf_detach(&sb, NULL);
bad:
	strbuf_free(&rel);
	strbuf_free(&sb);
	return NULL;
}

/* True when two version strings are equal after PEP 440 normalization. */
int wheel_versions_equal(const char *a, const char *b)
{
	char *na = wheel_version_normalize(a), *nb = wheel_version_normalize(b);
	int eq;

	if (na && nb)
		eq = strcmp(na, nb) == 0;
	else
		eq = strcmp(a, b) == 0;
	free(na);
	free(nb);
	return eq;
}

/* Call fn for each (py, abi, plat) triple in the product of the tag sets; stops on non-zero. */
int wheel_name_each_tag(const struct wheel_name *wn,
			int (*fn)(const char *py, const char *abi, const char *plat, void *arg),
			void *arg)
{
	char *py = xstrdup(wn->py_tags), *abi = xstrdup(wn->abi_tags),
	     *plat = xstrdup(wn->plat_tags);
	size_t lp = strlen(wn->py_tags), la = strlen(wn->abi_tags), ll = strlen(wn->plat_tags);
	int rc = 0;

	/* Split each set in place: "a.b" becomes "a\0b". */
	for (char *s = py; *s; s++)
		if (*s == '.')
			*s = '\0';
	for (char *s = abi; *s; s++)
		if (*s == '.')
			*s = '\0';
	for (char *s = plat; *s; s++)
		if (*s == '.')
			*s = '\0';
	for (char *x = py; x < py + lp && rc == 0; x += strlen(x) + 1)
		for (char *y = abi; y < abi + la && rc == 0; y += strlen(y) + 1)
			for (char *z = plat; z < plat + ll && rc == 0; z += strlen(z) + 1)
				rc = fn(x, y, z, arg);
	free(py);
	free(abi);
	free(plat);
	return rc;
}
