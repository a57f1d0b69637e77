/* h_venv.c: the workers of uninstall, list and verify (daemon/installed.h on a locked venv). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "daemon.h"
#include "h_venv.h"
#include "install.h"
#include "installed.h"
#include "layout.h"
#include "venv.h"
#include "wheel_name.h"
#include "xalloc.h"

/* An opened venv with facts and its distributions. */
struct h_venv_ctx {
	struct venv v;
	struct interp_facts f;
	struct installed_list il;
	int have_facts;
};

/* Open (and lock) the venv, get facts, scan distributions. */
static int h_venv__open(struct req *req, const char *path, int bind_fd, int lock,
			struct h_venv_ctx *c, struct err *e)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->v.dirfd = c->v.lockfd = -1;
	if ((rc = venv_open(path, &c->v, e)) < 0 ||
	    (bind_fd >= 0 && (rc = venv_bind(&c->v, bind_fd, e)) < 0))
		return rc;
	if (lock && (rc = venv_lock(&c->v, 0, e)) < 0)
		return rc;
	if ((rc = install_facts(&req_daemon(req)->cache->catalog, c->v.python, c->v.path, &c->f,
				e)) < 0)
		return rc;
	c->have_facts = 1;
	if (lock) {
		/* A crashed install is undone before anything looks at the venv. */
		struct install_result r = {0};
		install_stash_recover(&c->v.at, &c->f, &r);
		if (installed_uninstall_recover(&c->v.at, &c->f) > 0)
			log_info(&req_daemon(req)->log,
				 "%s: finished an uninstall interrupted earlier", c->v.path);
		for (size_t i = 0; i < r.n_warnings; i++)
			log_info(&req_daemon(req)->log, "%s: %s", c->v.path, r.warnings[i]);
		install_result_free(&r);
	}
	return installed_scan(&c->v.at, &c->f, &c->il, e);
}

/* Close what h_venv__open opened. */
static void h_venv__close(struct h_venv_ctx *c)
{
	installed_list_free(&c->il);
	if (c->have_facts)
		interp_facts_free(&c->f);
	venv_close(&c->v);
}

/* Pack a string. */
static void h_venv__str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* One failed name of an uninstall. */
struct h_venv__failure {
	char *name;
	struct err e;
};

/* Uninstall one distribution; 0 or an error naming it. */
static int h_venv__uninstall_one(struct req *req, struct h_venv_ctx *c,
				 const struct installed_dist *d, struct err *e)
{
	struct catalog *cat = &req_daemon(req)->cache->catalog;
	int rc;

	rc = installed_uninstall(&c->v.at, &c->f, d, e);
	char *norm = wheel_normalize_name(d->name);
	struct catalog_conn *cc = catalog_acquire(cat, NULL);
	if (cc) {
		catalog_install_forget(cc, c->v.path, norm, NULL);
		catalog_release(cat, cc);
	}
	free(norm);
	return rc;
}

/*
 * Worker: uninstall every named distribution, each on its own: the reply
 * lists what was removed, and what failed with why ("failed"); any failure
 * makes it an error reply whose details are that same body.
 */
void h_venv__uninstall_work(struct req *req, void *arg)
{
	struct h_venv_ctx c;
	struct err e;
	size_t n, nr = 0, nf = 0;
	char **names = h_venv__items(arg, &n);
	const struct installed_dist **done = xcalloc(n, sizeof(*done));
	struct h_venv__failure *fails = xcalloc(n, sizeof(*fails));
	int rc = h_venv__open(req, h_venv__path(arg), h_venv__bind_fd(arg), 1, &c, &e);

	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct installed_dist *d = installed_find(&c.il, names[i]);
		int dup = 0;
		for (size_t k = 0; k < nr && d; k++)
			dup |= done[k] == d;
		if (dup)
			continue;
		struct err e1;
		int r1 = d ? h_venv__uninstall_one(req, &c, d, &e1)
			   : err_set(&e1, -ENOENT, "%s is not installed in %s", names[i], c.v.path);
		if (r1 < 0)
			fails[nf++] = (struct h_venv__failure){names[i], e1};
		else
			done[nr++] = d;
	}
	if (rc == 0) {
		msgpack_packer *pk = msg_add_key(h_venv__out(arg), "removed");
		msgpack_pack_array(pk, (uint32_t)nr);
		for (size_t i = 0; i < nr; i++) {
			char *norm = wheel_normalize_name(done[i]->name);
			msgpack_pack_map(pk, 2);
			h_venv__str(pk, "name");
			h_venv__str(pk, norm);
			h_venv__str(pk, "version");
			h_venv__str(pk, done[i]->version);
			free(norm);
		}
		pk = msg_add_key(h_venv__out(arg), "failed");
		msgpack_pack_array(pk, (uint32_t)nf);
		for (size_t i = 0; i < nf; i++) {
			msgpack_pack_map(pk, 2);
			h_venv__str(pk, "name");
			h_venv__str(pk, fails[i].name);
			h_venv__str(pk, "error");
			h_venv__str(pk, fails[i].e.msg);
		}
		if (nf == 1)
			rc = err_set(&e, fails[0].e.code, "%s", fails[0].e.msg);
		else if (nf > 1)
			rc = err_set(
			    &e, fails[0].e.code,
			    "%zu of %zu distributions could not be uninstalled; the first: %s", nf,
			    n, fails[0].e.msg);
	}
	free(done);
	free(fails);
	h_venv__close(&c);
	h_venv__set_rc(arg, rc, &e);
}

/* Order distributions by normalized name. */
static int h_venv__by_name(const void *a, const void *b)
{
	char *x = wheel_normalize_name(((const struct installed_dist *)a)->name);
	char *y = wheel_normalize_name(((const struct installed_dist *)b)->name);
	int r = strcmp(x, y);
	free(x);
	free(y);
	return r;
}

/* Worker: every distribution of the venv, sorted by normalized name. */
void h_venv__list_work(struct req *req, void *arg)
{
	struct h_venv_ctx c;
	struct err e;
	int rc = h_venv__open(req, h_venv__path(arg), h_venv__bind_fd(arg), 0, &c, &e);

	if (rc == 0) {
		if (c.il.n > 1)
			qsort(c.il.v, c.il.n, sizeof(*c.il.v), h_venv__by_name);
		msg_add_str(h_venv__out(arg), "venv", c.v.path);
		msgpack_packer *pk = msg_add_key(h_venv__out(arg), "dists");
		msgpack_pack_array(pk, (uint32_t)c.il.n);
		for (size_t i = 0; i < c.il.n; i++) {
			const struct installed_dist *d = &c.il.v[i];
			char *norm = wheel_normalize_name(d->name);
			msgpack_pack_map(pk, 4);
			h_venv__str(pk, "name");
			h_venv__str(pk, norm);
			h_venv__str(pk, "version");
			h_venv__str(pk, d->version);
			h_venv__str(pk, "installer");
			if (d->installer)
				h_venv__str(pk, d->installer);
			else
				msgpack_pack_nil(pk);
			h_venv__str(pk, "dist_info");
			h_venv__str(pk, d->dist_info);
			free(norm);
		}
	}
	h_venv__close(&c);
	h_venv__set_rc(arg, rc, &e);
}

/* A problem found by verify. */
struct h_venv__problem {
	char *dist, *kind, *path;
};

struct h_venv__problems {
	size_t n;
	struct h_venv__problem *v;
};

/* Add a problem. */
static void h_venv__add(struct h_venv__problems *p, const char *dist, const char *kind,
			const char *path)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = (struct h_venv__problem){xstrdup(dist), xstrdup(kind), xstrdup(path)};
}

/* Kind names of verify's output. */
static const char *h_venv__kind(enum installed_problem k)
{
	switch (k) {
	case INSTALLED_MISSING:
		return "missing";
	case INSTALLED_SIZE:
		return "size";
	case INSTALLED_HASH:
	case INSTALLED_NOT_REGULAR:
		return "modified";
	case INSTALLED_OUTSIDE:
		return "outside";
	case INSTALLED_NO_RECORD:
	default:
		return "no-record";
	}
}

/*
 * Exec bits of a distribution whlc installed, against the store objects
 * (the catalog's installs table names the wheel): a file whose exec bit
 * differs from its member's is reported as "mode".
 */
static void h_venv__check_modes(struct req *req, const struct h_venv_ctx *c,
				const struct installed_dist *d, const char *norm,
				struct h_venv__problems *out)
{
	struct catalog *cat = &req_daemon(req)->cache->catalog;
	struct catalog_conn *cc = catalog_acquire(cat, NULL);
	struct catalog_wheel w = {0};
	struct catalog_plan plan = {0};
	struct layout l = {0};
	int64_t wid;

	if (cc == NULL)
		return;
	if (catalog_install_find(cc, c->v.path, norm, &wid, NULL) < 0 ||
	    catalog_wheel_by_id(cc, wid, &w, NULL) < 0 ||
	    !wheel_versions_equal(w.version, d->version) ||
	    catalog_wheel_plan(cc, wid, &plan, NULL) < 0) {
		catalog_release(cat, cc);
		catalog_wheel_free(&w);
		return;
	}
	catalog_release(cat, cc);
	struct wheel_name wn = {0};
	if (wheel_name_parse(w.filename, &wn, NULL) == 0) {
		for (char *s = wn.name; *s; s++)
			if (*s == '_')
				*s = '-';
		if (layout_init(&l, &c->f, wn.name, w.purelib, NULL) == 0) {
			struct vat_cache pc = VAT_CACHE_INIT;
			for (size_t i = 0; i < plan.n; i++) {
				struct layout_target t;
				struct stat st;
				const char *base;
				if (layout_map(&l, plan.v[i].path, &t, NULL) < 0)
					continue;
				int pfd = vat_cache_parent(&c->v.at, &pc, t.abs, &base);
				if (pfd >= 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISREG(st.st_mode) &&
				    ((st.st_mode & 0100) != 0) != (plan.v[i].exec != 0))
					h_venv__add(out, norm, "mode", t.record_path);
				layout_target_free(&t);
			}
			vat_cache_close(&pc);
			layout_free(&l);
		}
	}
	wheel_name_free(&wn);
	catalog_plan_free(&plan);
	catalog_wheel_free(&w);
}

/* Worker: check every distribution against its RECORD (and whlc's against the store). */
void h_venv__verify_work(struct req *req, void *arg)
{
	struct h_venv_ctx c;
	struct err e;
	struct h_venv__problems pr = {0};
	int rc = h_venv__open(req, h_venv__path(arg), h_venv__bind_fd(arg), 1, &c, &e);

	if (rc == 0)
		if (c.il.n > 1)
			qsort(c.il.v, c.il.n, sizeof(*c.il.v), h_venv__by_name);
	for (size_t i = 0; i < c.il.n && rc == 0; i++) {
		const struct installed_dist *d = &c.il.v[i];
		struct installed_report r;
		char *norm = wheel_normalize_name(d->name);
		if ((rc = installed_verify(&c.v.at, &c.f, d, &r, &e)) == 0) {
			for (size_t k = 0; k < r.n; k++)
				h_venv__add(&pr, norm, h_venv__kind(r.v[k].kind), r.v[k].path);
			installed_report_free(&r);
			h_venv__check_modes(req, &c, d, norm, &pr);
		}
		free(norm);
	}
	if (rc == 0) {
		struct msg_map *m = h_venv__out(arg);
		msg_add_str(m, "venv", c.v.path);
		msg_add_uint(m, "dists", c.il.n);
		msgpack_packer *pk = msg_add_key(m, "problems");
		msgpack_pack_array(pk, (uint32_t)pr.n);
		for (size_t i = 0; i < pr.n; i++) {
			msgpack_pack_map(pk, 3);
			h_venv__str(pk, "dist");
			h_venv__str(pk, pr.v[i].dist);
			h_venv__str(pk, "kind");
			h_venv__str(pk, pr.v[i].kind);
			h_venv__str(pk, "path");
			h_venv__str(pk, pr.v[i].path);
		}
	}
	for (size_t i = 0; i < pr.n; i++) {
		free(pr.v[i].dist);
		free(pr.v[i].kind);
		free(pr.v[i].path);
	}
	free(pr.v);
	h_venv__close(&c);
	h_venv__set_rc(arg, rc, &e);
}
