/* install.c: the install pipeline: venv, facts, ingest, compatibility, `+`/`-` planning. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "install.h"
#include "install_ingest.h"
#include "installed.h"
#include "tags.h"
#include "venv.h"
#include "wheel_name.h"
#include "xalloc.h"

#define INSTALL_MAX_WARNINGS 1000

/* Mode names, indexed by enum install_mode. */
static const char *const install__modes[] = {"hardlink", "clone", "copy", "symlink"};

/* "hardlink", "clone", "copy", "symlink". */
const char *install_mode_name(enum install_mode m)
{
	return (unsigned)m < 4 ? install__modes[m] : "?";
}

/* Parse a mode name. */
int install_mode_parse(const char *s, enum install_mode *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, install__modes[i])) {
			*out = (enum install_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* Append a warning. */
void install_warn(struct install_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (r->n_warnings >= INSTALL_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	r->warnings = xreallocarray(r->warnings, r->n_warnings + 1, sizeof(*r->warnings));
	r->warnings[r->n_warnings++] = s;
}

/* Append an output line. */
void install_line_add(struct install_result *r, char op, const char *name, const char *version)
{
	r->lines = xreallocarray(r->lines, r->n_lines + 1, sizeof(*r->lines));
	r->lines[r->n_lines].op = op;
	r->lines[r->n_lines].name = wheel_normalize_name(name);
	r->lines[r->n_lines++].version = xstrdup(version);
}

/* Free a result. */
void install_result_free(struct install_result *r)
{
	for (size_t i = 0; i < r->n_lines; i++) {
		free(r->lines[i].name);
		free(r->lines[i].version);
	}
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->lines);
	free(r->warnings);
	free(r->fallback);
	memset(r, 0, sizeof(*r));
}

/* Cached facts for key, parsed with their relative paths rooted at root (or absolute). */
static int install__facts_cached(struct catalog_conn *cc, const char *key, int64_t mt, int64_t size,
				 const char *root, struct interp_facts *out)
{
	char *cached = NULL;
	int rc;

	if (key == NULL || catalog_interp_get(cc, key, mt, size, &cached, NULL) < 0)
		return -ENOENT;
	rc = interp_facts_parse_at(cached, strlen(cached), root, out, NULL);
	free(cached);
	return rc;
}

/*
 * Facts from the catalog cache, else a probe. One probe serves every venv of a
 * base interpreter (interp_cache_key, paths stored relative to the venv); facts
 * that name paths outside the venv are kept for that venv's python path only.
 * The interpreter's mtime and size (stat follows bin/python) invalidate both.
 */
int install_facts(struct catalog *cat, const char *python, const char *venv_dir,
		  struct interp_facts *out, struct err *err)
{
	struct stat st;
	struct catalog_conn *cc;
	char *key = NULL, *ser;
	int rc;

	if (stat(python, &st) < 0)
		return err_set(err, -errno, "%s: %s", python, strerror(errno));
	int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	int64_t size = (int64_t)st.st_size;
	key = interp_cache_key(python, venv_dir);
	cc = catalog_acquire(cat, err);
	if (cc == NULL) {
		free(key);
		return -WHLC_ECORRUPT;
	}
	rc = install__facts_cached(cc, key, mt, size, venv_dir, out);
	if (rc < 0)
		rc = install__facts_cached(cc, python, mt, size, NULL, out);
	catalog_release(cat, cc);
	if (rc == 0)
		goto out;
	/* The probe runs a process: never hold a catalog connection across it. */
	rc = interp_probe(python, venv_dir, out, err);
	if (rc < 0)
		goto out;
	ser = key ? interp_facts_serialize_rel(out, venv_dir) : NULL;
	if (ser == NULL) {
		free(key);
		key = NULL;
		ser = interp_facts_serialize(out);
	}
	cc = catalog_acquire(cat, NULL);
	if (cc) {
		catalog_interp_put(cc, key ? key : python, mt, size, ser, NULL);
		catalog_release(cat, cc);
	}
	free(ser);
out:
	free(key);
	return rc;
}

/* One wheel of an install. */
struct install__wheel {
	const char *path;
	size_t index; /* in the request */
	struct ingest_result ing;
	struct wheel_name wn;
	const struct installed_dist *old;
	char op; /* '+' or '=' */
};

/* Take one wheel's ingest result from g and check it; fill w. */
static int install__prepare(struct install_ingested *g, const struct install_opts *o,
			    const struct tags *tags, const struct installed_list *il,
			    struct install__wheel *w, struct install_result *res, struct err *err)
{
	int rc = g->rc[w->index];

	if (rc < 0) {
		*err = g->err[w->index];
		return rc;
	}
	w->ing = g->res[w->index];
	memset(&g->res[w->index], 0, sizeof(g->res[w->index]));
	for (size_t i = 0; i < w->ing.n_warnings; i++)
		install_warn(res, "%s: %s", w->ing.wheel.filename, w->ing.warnings[i]);
	if ((rc = wheel_name_parse(w->ing.wheel.filename, &w->wn, err)) < 0)
		return rc;
	if (tags_wheel_rank(&w->wn, tags) < 0)
		return err_set(err, -WHLC_EINCOMPAT,
			       "%s is not compatible with this interpreter: the wheel's tags are "
			       "%s-%s-%s; the interpreter's most specific tag is %s",
			       w->ing.wheel.filename, w->wn.py_tags, w->wn.abi_tags,
			       w->wn.plat_tags, tags_most_specific(tags));
	w->old = installed_find(il, w->ing.wheel.norm_name);
	w->op = '+';
	if (w->old && wheel_versions_equal(w->old->version, w->ing.wheel.version) && !o->reinstall)
		w->op = '=';
	return 0;
}

/* qsort: pip's installation order, normalized project names descending. */
static int install__pip_order(const void *a, const void *b)
{
	const struct install_par_wheel *x = a, *y = b;

	return strcmp(y->w->norm_name, x->w->norm_name);
}

/* The install pipeline (worker thread). */
int install_run(const struct install_env *env, const struct install_opts *o,
		struct install_result *res, struct err *err)
{
	struct venv v = {.dirfd = -1, .lockfd = -1};
	struct interp_facts facts;
	struct tags tags = {0};
	struct installed_list il = {0};
	struct install__wheel *ws = xcalloc(o->n_wheels ? o->n_wheels : 1, sizeof(*ws));
	struct install_ingested ig = {0};
	struct install_par_wheel *pw;
	int rc, have_facts = 0;

	memset(&facts, 0, sizeof(facts));
	res->mode_used = o->mode;
	if ((rc = venv_open(o->venv, &v, err)) < 0 ||
	    (o->bind_fd >= 0 && (rc = venv_bind(&v, o->bind_fd, err)) < 0))
		goto out;
	if (env->progress)
		env->progress(env->progress_arg, "lock", 0, 0);
	if ((rc = venv_lock(&v, 0, err)) < 0)
		goto out;
	if ((rc = install_facts(env->catalog, v.python, v.path, &facts, err)) < 0)
		goto out;
	have_facts = 1;
	install_stash_recover(&v.at, &facts, res);  /* a crashed install first (even dry runs) */
	installed_uninstall_recover(&v.at, &facts); /* and a crashed uninstall */
	if ((rc = tags_for_interp(&facts, &tags, err)) < 0)
		goto out;
	if ((rc = installed_scan(&v.at, &facts, &il, err)) < 0)
		goto out;
	if ((rc = install_ingest_all(env, o, &ig, err)) < 0)
		goto out;
	for (size_t i = 0; i < o->n_wheels; i++) {
		ws[i].path = o->wheels[i];
		ws[i].index = i;
		if ((rc = install__prepare(&ig, o, &tags, &il, &ws[i], res, err)) < 0)
			goto out;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ws[j].ing.wheel.norm_name, ws[i].ing.wheel.norm_name)) {
				rc = err_set(err, -EINVAL,
					     "%s and %s are two versions of %s: give one",
					     ws[j].ing.wheel.filename, ws[i].ing.wheel.filename,
					     ws[i].ing.wheel.norm_name);
				goto out;
			}
	}
	pw = xcalloc(o->n_wheels ? o->n_wheels : 1, sizeof(*pw));
	for (size_t i = 0; i < o->n_wheels; i++)
		pw[i] = (struct install_par_wheel){ws[i].path, &ws[i].ing.wheel, &ws[i].wn,
						   ws[i].old, ws[i].op};
	/* pip installs the wheels of one command in reverse order of their normalized names
	 * (no dependencies with --no-deps: get_installation_order's weights are equal), so a
	 * file two wheels write ends as the alphabetically first project's: do the same. */
	qsort(pw, o->n_wheels, sizeof(*pw), install__pip_order);
	rc = install_par_run(env, &v.at, o, &facts, &il, pw, o->n_wheels, res, err);
	free(pw);
out:
	for (size_t i = 0; i < o->n_wheels; i++) {
		ingest_result_free(&ws[i].ing);
		wheel_name_free(&ws[i].wn);
	}
	free(ws);
	install_ingested_free(&ig);
	installed_list_free(&il);
	tags_free(&tags);
	if (have_facts)
		interp_facts_free(&facts);
	venv_close(&v);
	return rc;
}
