/* catalog_life.c: catalog queries of the cache lifecycle (eviction, gc, verify). */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_life.h"
#include "xalloc.h"

#define LIFE_OBJ_COLS                                                                              \
	"id, sha256, exec, size, state, coalesce(verified_size, -1),"                              \
	" coalesce(verified_mtime_ns, -1), added_at"

/* Record an SQLite error with context. */
static int life__err(sqlite3 *db, int rc, struct err *err, const char *what)
{
	int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY
		   : rc == SQLITE_FULL			    ? -ENOSPC
							    : -WHLC_ECORRUPT;

	return err_set(err, code, "catalog: %s: %s", what, sqlite3_errmsg(db));
}

/* Prepare a statement on cc; NULL after recording the error. */
static sqlite3_stmt *life__prep(struct catalog_conn *cc, const char *sql, struct err *err)
{
	sqlite3 *db = catalog_conn_db(cc);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		life__err(db, rc, err, "prepare");
		return NULL;
	}
	return st;
}

/* Step a statement without result rows and finalize it. */
static int life__done(struct catalog_conn *cc, sqlite3_stmt *st, struct err *err, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : life__err(catalog_conn_db(cc), rc, err, what);
}

/* Release an object vector. */
void life_objv_free(struct life_objv *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* Append the current row (LIFE_OBJ_COLS) to v; -WHLC_ECORRUPT on a bad sha. */
static int life__obj_row(sqlite3_stmt *st, struct life_object *o)
{
	const void *b = sqlite3_column_blob(st, 1);

	memset(o, 0, sizeof(*o));
	if (b == NULL || sqlite3_column_bytes(st, 1) != 32)
		return -WHLC_ECORRUPT;
	o->id = sqlite3_column_int64(st, 0);
	memcpy(o->sha256, b, 32);
	o->exec = sqlite3_column_int(st, 2);
	o->size = (uint64_t)sqlite3_column_int64(st, 3);
	o->state = sqlite3_column_int(st, 4);
	o->verified_size = sqlite3_column_int64(st, 5);
	o->verified_mtime_ns = sqlite3_column_int64(st, 6);
	o->added_at = sqlite3_column_int64(st, 7);
	return 0;
}

/* Run an object query to completion, appending rows to out. */
static int life__objects(struct catalog_conn *cc, sqlite3_stmt *st, struct life_objv *out,
			 struct err *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 64;
			out->v = xreallocarray(out->v, out->cap, sizeof(*out->v));
		}
		if (life__obj_row(st, &out->v[out->n]) < 0)
			continue; /* a malformed row: catalog_life_check reports it */
		out->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : life__err(catalog_conn_db(cc), rc, err, "objects");
}

/* Run an id query to completion into a malloc'd array. */
static int life__ids(struct catalog_conn *cc, sqlite3_stmt *st, int64_t **ids, size_t *n,
		     struct err *err)
{
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*ids = xreallocarray(*ids, cap, sizeof(**ids));
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return life__err(catalog_conn_db(cc), rc, err, "ids");
	}
	return 0;
}

/* Wheel ids, least recently used first, last_used_at < before; at most max. */
int catalog_life_lru(struct catalog_conn *cc, int64_t before, size_t max, int64_t **ids, size_t *n,
		     struct err *err)
{
	sqlite3_stmt *st = life__prep(cc,
				      "SELECT id FROM wheels WHERE last_used_at < ?1"
				      " ORDER BY last_used_at, id LIMIT ?2",
				      err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return life__ids(cc, st, ids, n, err);
}

/* Delete a wheel with its members and installs (objects and stat-cache rows stay). */
int catalog_life_delete_wheel(struct catalog_conn *cc, int64_t wheel_id, struct err *err)
{
	/* members and installs go by ON DELETE CASCADE; the stat cache keeps the
	 * file -> sha256 row, so the file is recognised (and re-ingested) later. */
	sqlite3_stmt *st = life__prep(cc, "DELETE FROM wheels WHERE id = ?1", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, wheel_id);
	return life__done(cc, st, err, "delete wheel");
}

/* The last path a wheel file with this sha256 was seen at (malloc'd): 0 or -ENOENT. */
int catalog_life_last_path(struct catalog_conn *cc, const uint8_t sha256[32], char **path,
			   struct err *err)
{
	sqlite3_stmt *st = life__prep(cc,
				      "SELECT path FROM wheel_files WHERE wheel_sha256 = ?1"
				      " ORDER BY seen_at DESC LIMIT 1",
				      err);
	int rc;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*path = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW	   ? 0
	       : rc == SQLITE_DONE ? -ENOENT
				   : life__err(catalog_conn_db(cc), rc, err, "last path");
}

/* Bytes of objects referenced by at least one wheel, and of all objects. */
int catalog_life_sizes(struct catalog_conn *cc, uint64_t *live, uint64_t *all, struct err *err)
{
	sqlite3_stmt *st = life__prep(
	    cc,
	    "SELECT coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM members m"
	    " WHERE m.object_id = o.id) THEN o.size ELSE 0 END), 0), coalesce(sum(o.size), 0)"
	    " FROM objects o WHERE o.state = 0",
	    err);
	int rc;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*live = (uint64_t)sqlite3_column_int64(st, 0);
		if (all)
			*all = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : life__err(catalog_conn_db(cc), rc, err, "sizes");
}

/* Objects no member references, added before `before`; at most max. */
int catalog_life_unreferenced(struct catalog_conn *cc, int64_t before, int64_t after_id, size_t max,
			      struct life_objv *out, struct err *err)
{
	sqlite3_stmt *st =
	    life__prep(cc,
		       "SELECT " LIFE_OBJ_COLS " FROM objects o WHERE added_at < ?1 AND id > ?3"
		       " AND NOT EXISTS (SELECT 1 FROM members m"
		       " WHERE m.object_id = o.id) ORDER BY id LIMIT ?2",
		       err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	sqlite3_bind_int64(st, 3, after_id);
	return life__objects(cc, st, out, err);
}

/* Delete an object row unless a member references it. */
int catalog_life_delete_object(struct catalog_conn *cc, int64_t id, int *deleted, struct err *err)
{
	sqlite3_stmt *st = life__prep(cc,
				      "DELETE FROM objects WHERE id = ?1 AND NOT EXISTS"
				      " (SELECT 1 FROM members m WHERE m.object_id = ?1)",
				      err);
	int ret;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, id);
	ret = life__done(cc, st, err, "delete object");
	if (deleted)
		*deleted = ret == 0 && sqlite3_changes(catalog_conn_db(cc)) > 0;
	return ret;
}

/* Objects whose SHA-256 starts with byte fan (one fan-out directory). */
int catalog_life_fanout(struct catalog_conn *cc, unsigned fan, struct life_objv *out,
			struct err *err)
{
	sqlite3_stmt *st = life__prep(cc,
				      "SELECT " LIFE_OBJ_COLS " FROM objects"
				      " WHERE sha256 >= ?1 AND sha256 < ?2",
				      err);
	uint8_t lo = (uint8_t)fan, hi = (uint8_t)(fan + 1);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, &lo, 1, SQLITE_TRANSIENT);
	if (fan < 255)
		sqlite3_bind_blob(st, 2, &hi, 1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(st, 2,
				  "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
				  "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
				  "\xff\xff\xff\xff\xff\xff\xff",
				  33, SQLITE_STATIC);
	return life__objects(cc, st, out, err);
}

/* Look an object row up by (sha256, exec): 0, -ENOENT or an error. */
int catalog_life_object(struct catalog_conn *cc, const uint8_t sha256[32], int exec,
			struct life_object *out, struct err *err)
{
	struct life_objv v = {0};
	sqlite3_stmt *st = life__prep(
	    cc, "SELECT " LIFE_OBJ_COLS " FROM objects WHERE sha256 = ?1 AND exec = ?2", err);
	int ret;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, exec ? 1 : 0);
	ret = life__objects(cc, st, &v, err);
	if (ret == 0 && v.n == 0)
		ret = -ENOENT;
	if (ret == 0)
		*out = v.v[0];
	life_objv_free(&v);
	return ret;
}

/* Set an object's state (CATALOG_OBJECT_*). */
int catalog_life_set_state(struct catalog_conn *cc, int64_t id, int state, struct err *err)
{
	sqlite3_stmt *st = life__prep(cc, "UPDATE objects SET state = ?2 WHERE id = ?1", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, state);
	return life__done(cc, st, err, "object state");
}

/* Record the stat of a verified object file. */
int catalog_life_set_verified(struct catalog_conn *cc, int64_t id, int64_t size, int64_t mtime_ns,
			      struct err *err)
{
	sqlite3_stmt *st = life__prep(
	    cc, "UPDATE objects SET verified_size = ?2, verified_mtime_ns = ?3 WHERE id = ?1", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	return life__done(cc, st, err, "object verified");
}

/* Ids of the wheels that have a member naming object id. */
int catalog_life_wheels_of(struct catalog_conn *cc, int64_t object_id, int64_t **ids, size_t *n,
			   struct err *err)
{
	sqlite3_stmt *st = life__prep(
	    cc, "SELECT DISTINCT wheel_id FROM members WHERE object_id = ?1 ORDER BY 1", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, object_id);
	return life__ids(cc, st, ids, n, err);
}

/* Empty the cache's tables; counters, meta, interpreters and venvs stay. */
int catalog_life_clear(struct catalog_conn *cc, struct err *err)
{
	int rc = sqlite3_exec(catalog_conn_db(cc),
			      "DELETE FROM installs; DELETE FROM members; DELETE FROM wheels;"
			      " DELETE FROM objects; DELETE FROM wheel_files;",
			      NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : life__err(catalog_conn_db(cc), rc, err, "clear");
}

/* Read one meta value as a statement positioned on its row; NULL after an error/none. */
static int life__meta_get(struct catalog_conn *cc, const char *key, sqlite3_stmt **out,
			  struct err *err)
{
	sqlite3_stmt *st = life__prep(cc, "SELECT value FROM meta WHERE key = ?1", err);
	int rc;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = st;
		return 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? -ENOENT : life__err(catalog_conn_db(cc), rc, err, "meta");
}

/* meta integer value: 0, -ENOENT or an error. */
int catalog_meta_get_int(struct catalog_conn *cc, const char *key, int64_t *out, struct err *err)
{
	sqlite3_stmt *st;
	int ret = life__meta_get(cc, key, &st, err);

	if (ret == 0) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return ret;
}

/* meta text value (malloc'd): 0, -ENOENT or an error. */
int catalog_meta_get_text(struct catalog_conn *cc, const char *key, char **out, struct err *err)
{
	sqlite3_stmt *st;
	int ret = life__meta_get(cc, key, &st, err);

	if (ret == 0) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		*out = xstrdup(t ? (const char *)t : "");
		sqlite3_finalize(st);
	}
	return ret;
}

/* Set a meta integer value. */
int catalog_meta_set_int(struct catalog_conn *cc, const char *key, int64_t v, struct err *err)
{
	sqlite3_stmt *st =
	    life__prep(cc, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return life__done(cc, st, err, "meta");
}

/* Set a meta text value. */
int catalog_meta_set_text(struct catalog_conn *cc, const char *key, const char *v, struct err *err)
{
	sqlite3_stmt *st =
	    life__prep(cc, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return life__done(cc, st, err, "meta");
}

/* Remove a meta key. */
int catalog_meta_delete(struct catalog_conn *cc, const char *key, struct err *err)
{
	sqlite3_stmt *st = life__prep(cc, "DELETE FROM meta WHERE key = ?1", err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return life__done(cc, st, err, "meta");
}

/* Every counter: fn(name, value, arg). */
int catalog_life_counters(struct catalog_conn *cc,
			  void (*fn)(const char *name, int64_t value, void *arg), void *arg,
			  struct err *err)
{
	sqlite3_stmt *st = life__prep(cc, "SELECT name, value FROM counters ORDER BY name", err);
	int rc;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), arg);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : life__err(catalog_conn_db(cc), rc, err, "counters");
}

/* The consistency queries: each row is one problem, described by column 0. */
static const char *const life__checks[] = {
    "SELECT 'catalog: member ' || quote(m.path) || ' of wheel ' || m.wheel_id ||"
    " ' names object row ' || m.object_id || ', which does not exist'"
    " FROM members m WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.id = m.object_id)",
    "SELECT 'catalog: member ' || quote(m.path) || ' of wheel ' || m.wheel_id ||"
    " ' says ' || m.size || ' bytes, its object ' || o.id || ' says ' || o.size"
    " FROM members m JOIN objects o ON o.id = m.object_id WHERE m.size != o.size"
    " OR m.exec != o.exec",
    "SELECT 'catalog: wheel ' || w.filename || ' (' || w.id || ') lists ' || w.n_members ||"
    " ' files but has ' || (SELECT count(*) FROM members m WHERE m.wheel_id = w.id) ||"
    " ' member rows' FROM wheels w WHERE w.n_members !="
    " (SELECT count(*) FROM members m WHERE m.wheel_id = w.id)",
    "SELECT 'catalog: object row ' || id || ' has a malformed sha256' FROM objects"
    " WHERE typeof(sha256) != 'blob' OR length(sha256) != 32",
};

/* Catalog-level inconsistencies, each described by a malloc'd line in *problems. */
int catalog_life_check(struct catalog_conn *cc, char ***problems, size_t *n, struct err *err)
{
	for (size_t i = 0; i < sizeof(life__checks) / sizeof(life__checks[0]); i++) {
		sqlite3_stmt *st = life__prep(cc, life__checks[i], err);
		int rc;

		if (st == NULL)
			return -WHLC_ECORRUPT;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < 1000) {
			*problems = xreallocarray(*problems, *n + 1, sizeof(char *));
			(*problems)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return life__err(catalog_conn_db(cc), rc, err, "check");
	}
	return 0;
}
