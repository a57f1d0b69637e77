/*
 * catalog_install.c: install bookkeeping in the catalog: the install plan of a wheel,
 * the interpreter-facts cache, and the venvs/installs tables.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_int.h"
#include "xalloc.h"

/* The install plan: every member of a wheel with its object, ordered by path. */
int catalog_wheel_plan(struct catalog_conn *cc, int64_t wheel_id, struct catalog_plan *out,
		       struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_PLAN, err);
	size_t cap = 0;
	int rc, ret = 0;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, wheel_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? 2 * cap : 64;
			out->v = xreallocarray(out->v, cap, sizeof(*out->v));
		}
		struct catalog_member *m = &out->v[out->n];
		memset(m, 0, sizeof(*m));
		if (catalog__sha(st, 1, m->sha256) < 0) {
			ret = err_set(err, -WHLC_ECORRUPT, "catalog: object of %s has a bad sha256",
				      (const char *)sqlite3_column_text(st, 0));
			break;
		}
		m->path = catalog__text(st, 0);
		m->exec = sqlite3_column_int(st, 2);
		m->size = (uint64_t)sqlite3_column_int64(st, 3);
		m->object_id = sqlite3_column_int64(st, 4);
		m->object_state = sqlite3_column_int(st, 5);
		m->verified_size = sqlite3_column_int64(st, 6);
		m->verified_mtime_ns = sqlite3_column_int64(st, 7);
		m->object_added_at = sqlite3_column_int64(st, 8);
		out->n++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = catalog__err(cc->db, rc, err, "install plan");
	sqlite3_reset(st);
	if (ret < 0)
		catalog_plan_free(out);
	return ret;
}

/* Release a plan. */
void catalog_plan_free(struct catalog_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* Prepare a one-off statement (install bookkeeping: a few per install, not per member). */
static sqlite3_stmt *catalog__prep(struct catalog_conn *cc, const char *sql, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(cc->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		catalog__err(cc->db, rc, err, "prepare");
		return NULL;
	}
	return st;
}

/* Cached interpreter facts for (path, mtime_ns, size): 0 with *facts malloc'd, or -ENOENT. */
int catalog_interp_get(struct catalog_conn *cc, const char *path, int64_t mtime_ns, int64_t size,
		       char **facts, struct err *err)
{
	sqlite3_stmt *st = catalog__prep(
	    cc, "SELECT facts FROM interpreters WHERE path = ?1 AND mtime_ns = ?2 AND size = ?3",
	    err);
	int rc, ret = -ENOENT;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, mtime_ns);
	sqlite3_bind_int64(st, 3, size);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*facts = catalog__text(st, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE) {
		ret = catalog__err(cc->db, rc, err, "interpreter cache");
	}
	sqlite3_finalize(st);
	return ret;
}

/* Store interpreter facts for (path, mtime_ns, size), replacing an older entry. */
int catalog_interp_put(struct catalog_conn *cc, const char *path, int64_t mtime_ns, int64_t size,
		       const char *facts, struct err *err)
{
	sqlite3_stmt *st = catalog__prep(cc,
					 "INSERT OR REPLACE INTO interpreters"
					 " (path, mtime_ns, size, facts, updated_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5)",
					 err);
	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, mtime_ns);
	sqlite3_bind_int64(st, 3, size);
	sqlite3_bind_text(st, 4, facts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, catalog__now());
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : catalog__err(cc->db, rc, err, "interpreter cache");
}

/* Run a prepared statement with text/int bindings already set; finalizes it. */
static int catalog__run(struct catalog_conn *cc, sqlite3_stmt *st, struct err *err,
			const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : catalog__err(cc->db, rc, err, what);
}

/* Forget which wheel of project norm_name is installed in venv (uninstall or before replace). */
int catalog_install_forget(struct catalog_conn *cc, const char *venv, const char *norm_name,
			   struct err *err)
{
	sqlite3_stmt *st = catalog__prep(
	    cc,
	    "DELETE FROM installs WHERE venv_id = (SELECT id FROM venvs WHERE path = ?1)"
	    " AND wheel_id IN (SELECT id FROM wheels WHERE norm_name = ?2)",
	    err);
	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, venv, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, norm_name, -1, SQLITE_STATIC);
	return catalog__run(cc, st, err, "installs");
}

/* Record that wheel_id is installed in venv (replacing the project's previous row). */
int catalog_install_record(struct catalog_conn *cc, const char *venv, const char *interpreter,
			   int64_t wheel_id, const char *norm_name, const char *link_mode,
			   struct err *err)
{
	int64_t now = catalog__now();
	int ret;
	sqlite3_stmt *st;

	if ((ret = catalog_begin(cc, err)) < 0)
		return ret;
	st = catalog__prep(
	    cc,
	    "INSERT INTO venvs (path, interpreter, created_at, last_used_at)"
	    " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (path) DO UPDATE SET"
	    " interpreter = excluded.interpreter, last_used_at = excluded.last_used_at",
	    err);
	if (st == NULL) {
		ret = -WHLC_ECORRUPT;
		goto fail;
	}
	sqlite3_bind_text(st, 1, venv, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, interpreter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if ((ret = catalog__run(cc, st, err, "venvs")) < 0)
		goto fail;
	if ((ret = catalog_install_forget(cc, venv, norm_name, err)) < 0)
		goto fail;
	st = catalog__prep(
	    cc,
	    "INSERT OR REPLACE INTO installs (venv_id, wheel_id, link_mode, installed_at)"
	    " SELECT id, ?2, ?3, ?4 FROM venvs WHERE path = ?1",
	    err);
	if (st == NULL) {
		ret = -WHLC_ECORRUPT;
		goto fail;
	}
	sqlite3_bind_text(st, 1, venv, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, wheel_id);
	sqlite3_bind_text(st, 3, link_mode, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if ((ret = catalog__run(cc, st, err, "installs")) < 0)
		goto fail;
	return catalog_commit(cc, err);
fail:
	catalog_rollback(cc);
	return ret;
}

/* The wheel whlc installed in venv for project norm_name: 0 with *wheel_id, or -ENOENT. */
int catalog_install_find(struct catalog_conn *cc, const char *venv, const char *norm_name,
			 int64_t *wheel_id, struct err *err)
{
	sqlite3_stmt *st = catalog__prep(cc,
					 "SELECT i.wheel_id FROM installs i"
					 " JOIN venvs v ON v.id = i.venv_id"
					 " JOIN wheels w ON w.id = i.wheel_id"
					 " WHERE v.path = ?1 AND w.norm_name = ?2",
					 err);
	int rc, ret = -ENOENT;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, venv, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, norm_name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*wheel_id = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE) {
		ret = catalog__err(cc->db, rc, err, "installs");
	}
	sqlite3_finalize(st);
	return ret;
}
