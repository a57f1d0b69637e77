/* tags.c: supported wheel tags of a CPython interpreter on Linux, in pip's priority order. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"
#include "xalloc.h"

/* Platform tag lists are short; the arch name is bounded by the facts parser anyway. */
#define TAGS_MAX_PLATS 512
/* Python minor versions are small; a hostile facts string cannot make this loop long. */
#define TAGS_MAX_PYS 128

struct tags__plats {
	size_t n;
	char *v[TAGS_MAX_PLATS];
};

/* Append a formatted platform tag (silently capped). */
static void tags__plat(struct tags__plats *p, const char *fmt, const char *a, int x, int y)
{
	if (p->n < TAGS_MAX_PLATS)
		p->v[p->n++] = xasprintf(fmt, x, y, a);
}

/* Append "py-abi-plat" to t. */
static void tags__add(struct tags *t, const char *py, const char *abi, const char *plat)
{
	if ((t->n & (t->n - 1)) == 0 || t->n == 0)
		t->v = xreallocarray(t->v, t->n ? t->n * 2 : 64, sizeof(*t->v));
	t->v[t->n++] = xasprintf("%s-%s-%s", py, abi, plat);
}

/* manylinux tags per packaging._manylinux.platform_tags. */
static void tags__manylinux(const struct interp_facts *f, const char *arch, struct tags__plats *p)
{
	static const char *const ok[] = {"x86_64",  "i686",  "aarch64", "ppc64",
					 "ppc64le", "s390x", "armv7l"};
	int known = 0;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		known |= strcmp(arch, ok[i]) == 0;
	if (!known || f->glibc_major < 2)
		return;
	/* Oldest glibc: 2.5 on x86, 2.17 elsewhere. */
	int old_major = 2, old_minor = 16;
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "i686"))
		old_minor = 4;
	for (int major = f->glibc_major; major >= 2; major--) {
		/* Compatibility is assumed across majors; 50 is packaging's last minor. */
		int max_minor = major == f->glibc_major ? f->glibc_minor : 50;
		int min_minor = major == old_major ? old_minor : -1;
		for (int minor = max_minor; minor > min_minor; minor--) {
			tags__plat(p, "manylinux_%d_%d_%s", arch, major, minor);
			if (major != 2)
				continue;
			const char *legacy = minor == 17   ? "manylinux2014"
					     : minor == 12 ? "manylinux2010"
					     : minor == 5  ? "manylinux1"
							   : NULL;
			if (legacy && p->n < TAGS_MAX_PLATS)
				p->v[p->n++] = xasprintf("%s_%s", legacy, arch);
		}
	}
}

/* Build the platform list: manylinux, musllinux, linux_<arch>. */
static int tags__platforms(const struct interp_facts *f, struct tags__plats *p, struct err *err)
{
	if (strncmp(f->platform, "linux-", 6) != 0)
		return err_set(err, -WHLC_EINCOMPAT, "platform %s is not supported (Linux only)",
			       f->platform);
	/* packaging normalizes "-" and "." to "_". */
	char *lplat = xstrdup(f->platform);
	for (char *c = lplat; *c; c++)
		if (*c == '-' || *c == '.')
			*c = '_';
	if (f->is_32bit && !strcmp(lplat, "linux_x86_64")) {
		free(lplat);
		lplat = xstrdup("linux_i686");
	} else if (f->is_32bit && !strcmp(lplat, "linux_aarch64")) {
		free(lplat);
		lplat = xstrdup("linux_armv7l");
	}
	const char *arch = lplat + 6;
	tags__manylinux(f, arch, p);
	if (f->musl_major >= 0)
		for (int minor = f->musl_minor; minor >= 0; minor--)
			tags__plat(p, "musllinux_%d_%d_%s", arch, f->musl_major, minor);
	if (p->n < TAGS_MAX_PLATS)
		p->v[p->n++] = lplat;
	else
		free(lplat);
	return 0;
}

/* Supported tags for a CPython interpreter. */
int tags_for_interp(const struct interp_facts *f, struct tags *out, struct err *err)
{
	struct tags__plats p = {0};
	char cp[32], abi[48], abi2[48], py[32];

	int xy_debug, threading, rc;

	memset(out, 0, sizeof(*out));
	if (strcmp(f->impl, "cpython") != 0)
		return err_set(err, -WHLC_EINCOMPAT, "interpreter %s is not CPython", f->impl);
	if (f->major != 3 || f->minor > 99)
		return err_set(err, -WHLC_EINCOMPAT, "Python %d.%d is not supported", f->major,
			       f->minor);
	rc = tags__platforms(f, &p, err);
	if (rc < 0)
		return rc;
	snprintf(cp, sizeof(cp), "cp%d%d", f->major, f->minor);
	xy_debug = strchr(f->abiflags, 'd') != NULL;
	threading = f->gil_disabled || strchr(f->abiflags, 't') != NULL;
	int old = f->major == 3 && f->minor < 8;
	/* Primary abi: cpXY[t][d][m]; a debug build also loads plain cpXY[t] modules. */
	snprintf(abi, sizeof(abi), "%s%s%s%s", cp, threading ? "t" : "", xy_debug ? "d" : "",
		 old && strchr(f->abiflags, 'm') ? "m" : "");
	snprintf(abi2, sizeof(abi2), "%s%s", cp, threading ? "t" : "");
	int abi3 = !threading && (f->major > 3 || (f->major == 3 && f->minor >= 2));

	for (size_t i = 0; i < p.n; i++)
		tags__add(out, cp, abi, p.v[i]);
	if (xy_debug && !old)
		for (size_t i = 0; i < p.n; i++)
			tags__add(out, cp, abi2, p.v[i]);
	if (abi3)
		for (size_t i = 0; i < p.n; i++)
			tags__add(out, cp, "abi3", p.v[i]);
	for (size_t i = 0; i < p.n; i++)
		tags__add(out, cp, "none", p.v[i]);
	if (abi3)
		for (int m = f->minor - 1; m > 1; m--) {
			snprintf(py, sizeof(py), "cp%d%d", f->major, m);
			for (size_t i = 0; i < p.n; i++)
				tags__add(out, py, "abi3", p.v[i]);
		}
	/* packaging's _py_interpreter_range: pyXY, pyX, then pyX(Y-1) down to pyX0. */
	size_t npy = 0;
	char pys[TAGS_MAX_PYS][16];
	snprintf(pys[npy++], sizeof(pys[0]), "py%d%d", f->major, f->minor);
	snprintf(pys[npy++], sizeof(pys[0]), "py%d", f->major);
	for (int m = f->minor - 1; m >= 0 && npy < TAGS_MAX_PYS; m--)
		snprintf(pys[npy++], sizeof(pys[0]), "py%d%d", f->major, m);
	for (size_t k = 0; k < npy; k++)
		for (size_t i = 0; i < p.n; i++)
			tags__add(out, pys[k], "none", p.v[i]);
	tags__add(out, cp, "none", "any");
	for (size_t k = 0; k < npy; k++)
		tags__add(out, pys[k], "none", "any");
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	return 0;
}

/* Free the list. */
void tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* Index of "py-abi-plat" in t, or -1. */
long tags_index(const struct tags *t, const char *py, const char *abi, const char *plat)
{
	size_t lp = strlen(py), la = strlen(abi);
	for (size_t i = 0; i < t->n; i++) {
		const char *s = t->v[i];
		if (!strncmp(s, py, lp) && s[lp] == '-' && !strncmp(s + lp + 1, abi, la) &&
		    s[lp + 1 + la] == '-' && !strcmp(s + lp + la + 2, plat))
			return (long)i;
	}
	return -1;
}

struct tags__rank {
	const struct tags *t;
	long best;
};

/* wheel_name_each_tag callback keeping the lowest index. */
static int tags__rank_one(const char *py, const char *abi, const char *plat, void *arg)
{
	struct tags__rank *r = arg;
	long i = tags_index(r->t, py, abi, plat);
	if (i >= 0 && (r->best < 0 || i < r->best))
		r->best = i;
	return 0;
}

/* Best index of any tag of the wheel, or -1. */
long tags_wheel_rank(const struct wheel_name *wn, const struct tags *t)
{
	struct tags__rank r = {t, -1};
	wheel_name_each_tag(wn, tags__rank_one, &r);
	return r.best;
}

/* The interpreter's most specific tag. */
const char *tags_most_specific(const struct tags *t)
{
	return t->n ? t->v[0] : "";
}
