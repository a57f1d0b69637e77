/*
 * catalog.c: SQLite catalog: connection pool, migrations, transactions, wheel, object and
 * stat-cache queries. Install bookkeeping: catalog_install.c; stats: catalog_stats.c.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "catalog_int.h"
#include "ident.h"
#include "catalog_schema.h"
#include "xalloc.h"

#define CATALOG_BUSY_MS 30000

#define WHEEL_COLS                                                                                 \
	"id, sha256, filename, norm_name, version, build_tag, tags, root_is_purelib, dist_info, "  \
	"source_path, size, n_members, unpacked_size, added_at, last_used_at, state"

static const char *const catalog__sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_WHEEL_BY_SHA] = "SELECT " WHEEL_COLS " FROM wheels WHERE sha256 = ?1",
    [ST_WHEEL_BY_ID] = "SELECT " WHEEL_COLS " FROM wheels WHERE id = ?1",
    [ST_WHEEL_INSERT] =
	"INSERT INTO wheels (sha256, filename, norm_name, version, build_tag, tags,"
	" root_is_purelib, dist_info, source_path, size, n_members, unpacked_size,"
	" added_at, last_used_at, state)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)",
    [ST_WHEEL_TOUCH] = "UPDATE wheels SET last_used_at = ?2,"
		       " source_path = coalesce(?3, source_path) WHERE id = ?1",
    [ST_STAT_GET] = "SELECT wheel_sha256 FROM wheel_files"
		    " WHERE dev = ?1 AND ino = ?2 AND size = ?3 AND mtime_ns = ?4",
    [ST_STAT_PUT] = "INSERT OR REPLACE INTO wheel_files"
		    " (dev, ino, size, mtime_ns, path, wheel_sha256, seen_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_OBJ_GET] = "SELECT id FROM objects WHERE sha256 = ?1 AND exec = ?2",
    [ST_OBJ_INSERT] = "INSERT OR IGNORE INTO objects (sha256, exec, size, added_at)"
		      " VALUES (?1, ?2, ?3, ?4)",
    /* A row marked missing or quarantined is healed by the ingest that publishes
       the object again (issue 7: repaired on next use). */
    [ST_OBJ_HEAL] = "UPDATE objects SET state = 0, verified_size = NULL,"
		    " verified_mtime_ns = NULL, added_at = ?2 WHERE id = ?1 AND state != 0",
    [ST_MEMBER_INSERT] = "INSERT INTO members (wheel_id, path, object_id, size, exec)"
			 " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_PLAN] = "SELECT m.path, o.sha256, m.exec, m.size, o.id, o.state,"
		" coalesce(o.verified_size, -1), coalesce(o.verified_mtime_ns, -1), o.added_at"
		" FROM members m JOIN objects o ON o.id = m.object_id"
		" WHERE m.wheel_id = ?1 ORDER BY m.path",
    [ST_COUNTER_ADD] = "INSERT INTO counters (name, value) VALUES (?1, ?2)"
		       " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
};

/* Record an SQLite error as -WHLC_ECORRUPT (or -EBUSY/-ENOSPC) with context. */
int catalog__err(sqlite3 *db, int rc, struct err *err, const char *what)
{
	int code = -WHLC_ECORRUPT;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = -EBUSY;
	else if (rc == SQLITE_FULL)
		code = -ENOSPC;
	else if (rc == SQLITE_IOERR)
		code = -EIO;
	else if (rc == SQLITE_CANTOPEN)
		code = -EACCES;
	return err_set(err, code, "catalog: %s: %s", what,
		       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Current time in unix seconds. */
int64_t catalog__now(void)
{
	return (int64_t)time(NULL);
}

/* Get (preparing on first use) a statement, reset and with bindings cleared. */
sqlite3_stmt *catalog__st(struct catalog_conn *cc, enum catalog__st which, struct err *err)
{
	sqlite3_stmt *st = cc->st[which];
	int rc;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(cc->db, catalog__sql[which], -1, SQLITE_PREPARE_PERSISTENT,
					&cc->st[which], NULL);
		if (rc != SQLITE_OK) {
			catalog__err(cc->db, rc, err, "prepare");
			return NULL;
		}
		return cc->st[which];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Step a statement that returns no rows; resets it. */
int catalog__exec_st(struct catalog_conn *cc, sqlite3_stmt *st, struct err *err, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return catalog__err(cc->db, rc, err, what);
	return 0;
}

/* Run a script of statements without results. */
int catalog__exec(sqlite3 *db, const char *sql, struct err *err, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : catalog__err(db, rc, err, what);
}

/* Read PRAGMA user_version. */
static int catalog__user_version(sqlite3 *db, int *v, struct err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return catalog__err(db, rc, err, "user_version");
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : catalog__err(db, rc, err, "user_version");
}

/* Bring the schema up to date; each step in its own IMMEDIATE transaction. */
static int catalog__migrate(sqlite3 *db, const char *path, struct err *err)
{
	int v = 0, ret;

	for (;;) {
		if ((ret = catalog__exec(db, "BEGIN IMMEDIATE", err, "migration")) < 0)
			return ret;
		/* Read inside the write lock: another process may have migrated meanwhile. */
		if ((ret = catalog__user_version(db, &v, err)) < 0)
			goto fail;
		if (v < 0 || (size_t)v > catalog__n_migrations) {
			ret =
			    err_set(err, -WHLC_ECORRUPT,
				    "catalog %s has schema version %d, newer than this whlc (%zu):"
				    " upgrade whlc or use another cache directory",
				    path, v, catalog__n_migrations);
			goto fail;
		}
		if ((size_t)v == catalog__n_migrations) {
			catalog__exec(db, "COMMIT", NULL, "migration");
			return 0;
		}
		char *bump = xasprintf("PRAGMA user_version = %d", v + 1);
		ret = catalog__exec(db, catalog__migrations[v], err, "migration");
		if (ret == 0)
			ret = catalog__exec(db, bump, err, "migration");
		free(bump);
		if (ret == 0)
			ret = catalog__exec(db, "COMMIT", err, "migration");
		if (ret < 0)
			goto fail;
	}
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err_prefix(err, "cannot migrate %s", path);
}

/* Open one connection with the pragmas every connection needs. */
static int catalog__connect(struct catalog *c, struct catalog_conn **out, struct err *err)
{
	struct catalog_conn *cc = xcalloc(1, sizeof(*cc));
	int rc =
	    sqlite3_open_v2(c->path, &cc->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	int ret;

	if (rc != SQLITE_OK) {
		ret = catalog__err(cc->db, rc, err, "open");
		err_prefix(err, "%s", c->path);
		goto fail;
	}
	sqlite3_busy_timeout(cc->db, CATALOG_BUSY_MS);
	if ((ret = catalog__exec(cc->db,
				 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				 " PRAGMA foreign_keys = ON;",
				 err, "pragmas")) < 0)
		goto fail;
	*out = cc;
	return 0;
fail:
	sqlite3_close(cc->db);
	free(cc);
	return ret;
}

/* Close a connection and its prepared statements. */
static void catalog__disconnect(struct catalog_conn *cc)
{
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(cc->st[i]);
	sqlite3_close(cc->db);
	free(cc);
}

/* The schema version this build writes. */
int catalog_schema_version(void)
{
	return (int)catalog__n_migrations;
}

/* Open (creating if needed) and migrate the catalog; max_conns bounds the pool. */
int catalog_open(struct catalog *c, const char *path, size_t max_conns, struct err *err)
{
	struct catalog_conn *cc;
	int ret;

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	c->max_open = max_conns ? max_conns : 1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((ret = catalog__connect(c, &cc, err)) < 0)
		goto fail;
	if ((ret = catalog__migrate(cc->db, path, err)) < 0) {
		catalog__disconnect(cc);
		goto fail;
	}
	c->idle = cc;
	c->n_open = 1;
	return 0;
fail:
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->path);
	c->path = NULL;
	return ret;
}

/* Close every pooled connection (all must have been released). */
void catalog_close(struct catalog *c)
{
	if (c->path == NULL)
		return;
	while (c->idle) {
		struct catalog_conn *cc = c->idle;
		c->idle = cc->next;
		catalog__disconnect(cc);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->path);
	c->path = NULL;
}

/* Take a connection for exclusive use by this thread (blocks when the pool is exhausted). */
struct catalog_conn *catalog_acquire(struct catalog *c, struct err *err)
{
	struct catalog_conn *cc = NULL;

	/* A thread acting as a user (system mode) uses the catalog as the daemon. */
	ident_suspend();
	pthread_mutex_lock(&c->mu);
	while (c->idle == NULL && c->n_open >= c->max_open)
		pthread_cond_wait(&c->cv, &c->mu);
	if (c->idle) {
		cc = c->idle;
		c->idle = cc->next;
		pthread_mutex_unlock(&c->mu);
		return cc;
	}
	c->n_open++;
	pthread_mutex_unlock(&c->mu);
	if (catalog__connect(c, &cc, err) < 0) {
		pthread_mutex_lock(&c->mu);
		c->n_open--;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		ident_resume();
		return NULL;
	}
	return cc;
}

/* Give a connection back to the pool. */
void catalog_release(struct catalog *c, struct catalog_conn *cc)
{
	if (cc == NULL)
		return;
	if (!sqlite3_get_autocommit(cc->db))
		sqlite3_exec(cc->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	cc->next = c->idle;
	c->idle = cc;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	ident_resume();
}

/* Free what the idle connections cache (page caches), e.g. when the daemon goes idle. */
void catalog_release_memory(struct catalog *c)
{
	pthread_mutex_lock(&c->mu);
	for (struct catalog_conn *cc = c->idle; cc != NULL; cc = cc->next)
		sqlite3_db_release_memory(cc->db);
	pthread_mutex_unlock(&c->mu);
}

/* BEGIN IMMEDIATE (waits up to the busy timeout for other writers). */
int catalog_begin(struct catalog_conn *cc, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_BEGIN, err);

	return st ? catalog__exec_st(cc, st, err, "begin") : -WHLC_ECORRUPT;
}

/* COMMIT the open transaction. */
int catalog_commit(struct catalog_conn *cc, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_COMMIT, err);

	return st ? catalog__exec_st(cc, st, err, "commit") : -WHLC_ECORRUPT;
}

/* ROLLBACK the open transaction, if any. */
void catalog_rollback(struct catalog_conn *cc)
{
	if (!sqlite3_get_autocommit(cc->db))
		sqlite3_exec(cc->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Copy a text column (NULL stays NULL). */
char *catalog__text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? xstrdup((const char *)s) : NULL;
}

/* Copy a 32-byte blob column; -WHLC_ECORRUPT when it has another size. */
int catalog__sha(sqlite3_stmt *st, int col, uint8_t out[32])
{
	const void *b = sqlite3_column_blob(st, col);

	if (b == NULL || sqlite3_column_bytes(st, col) != 32)
		return -WHLC_ECORRUPT;
	memcpy(out, b, 32);
	return 0;
}

/* Step a wheel query and fill out from its single row. */
static int catalog__wheel_row(struct catalog_conn *cc, sqlite3_stmt *st, struct catalog_wheel *out,
			      struct err *err)
{
	int rc = sqlite3_step(st);

	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return -ENOENT;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return catalog__err(cc->db, rc, err, "wheel lookup");
	}
	out->id = sqlite3_column_int64(st, 0);
	if (catalog__sha(st, 1, out->sha256) < 0) {
		sqlite3_reset(st);
		return err_set(err, -WHLC_ECORRUPT, "catalog: wheel %lld has a bad sha256",
			       (long long)out->id);
	}
	out->filename = catalog__text(st, 2);
	out->norm_name = catalog__text(st, 3);
	out->version = catalog__text(st, 4);
	out->build_tag = catalog__text(st, 5);
	out->tags = catalog__text(st, 6);
	out->purelib = sqlite3_column_int(st, 7);
	out->dist_info = catalog__text(st, 8);
	out->source_path = catalog__text(st, 9);
	out->size = (uint64_t)sqlite3_column_int64(st, 10);
	out->n_members = (uint64_t)sqlite3_column_int64(st, 11);
	out->unpacked_size = (uint64_t)sqlite3_column_int64(st, 12);
	out->added_at = sqlite3_column_int64(st, 13);
	out->last_used_at = sqlite3_column_int64(st, 14);
	out->state = sqlite3_column_int(st, 15);
	sqlite3_reset(st);
	return 0;
}

/* Look a wheel up by the SHA-256 of its file; 0, -ENOENT, or an error. */
int catalog_wheel_by_sha(struct catalog_conn *cc, const uint8_t sha256[32],
			 struct catalog_wheel *out, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_WHEEL_BY_SHA, err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
	return catalog__wheel_row(cc, st, out, err);
}

/* Look a wheel up by row id; 0, -ENOENT, or an error. */
int catalog_wheel_by_id(struct catalog_conn *cc, int64_t id, struct catalog_wheel *out,
			struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_WHEEL_BY_ID, err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, id);
	return catalog__wheel_row(cc, st, out, err);
}

/* Release the strings of a wheel row. */
void catalog_wheel_free(struct catalog_wheel *w)
{
	free(w->filename);
	free(w->norm_name);
	free(w->version);
	free(w->build_tag);
	free(w->tags);
	free(w->dist_info);
	free(w->source_path);
	memset(w, 0, sizeof(*w));
}

/* Bind a possibly NULL string. */
static void catalog__bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Insert a wheel row (w->id ignored); *id gets the new row id. In a transaction. */
int catalog_wheel_insert(struct catalog_conn *cc, const struct catalog_wheel *w, int64_t *id,
			 struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_WHEEL_INSERT, err);
	int ret;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, w->sha256, 32, SQLITE_STATIC);
	catalog__bind_text(st, 2, w->filename);
	catalog__bind_text(st, 3, w->norm_name);
	catalog__bind_text(st, 4, w->version);
	catalog__bind_text(st, 5, w->build_tag);
	catalog__bind_text(st, 6, w->tags);
	sqlite3_bind_int(st, 7, w->purelib ? 1 : 0);
	catalog__bind_text(st, 8, w->dist_info);
	catalog__bind_text(st, 9, w->source_path);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)w->size);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)w->n_members);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)w->unpacked_size);
	sqlite3_bind_int64(st, 13, w->added_at ? w->added_at : catalog__now());
	sqlite3_bind_int(st, 14, w->state);
	ret = catalog__exec_st(cc, st, err, "insert wheel");
	if (ret == 0 && id)
		*id = sqlite3_last_insert_rowid(cc->db);
	return ret;
}

/* Set last_used_at (and source_path when non-NULL) of a wheel. */
int catalog_wheel_touch(struct catalog_conn *cc, int64_t id, int64_t now, const char *source_path,
			struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_WHEEL_TOUCH, err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now ? now : catalog__now());
	catalog__bind_text(st, 3, source_path);
	return catalog__exec_st(cc, st, err, "touch wheel");
}

/* Bind the stat-cache key (dev, ino, size, mtime_ns) as parameters 1 to 4. */
static void catalog__bind_statkey(sqlite3_stmt *st, uint64_t dev, uint64_t ino, uint64_t size,
				  int64_t mtime_ns)
{
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ino);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, mtime_ns);
}

/* The stat cache lookup: (dev, ino, size, mtime_ns) -> wheel sha256; 0 or -ENOENT. */
int catalog_statcache_get(struct catalog_conn *cc, uint64_t dev, uint64_t ino, uint64_t size,
			  int64_t mtime_ns, uint8_t sha256[32], struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_STAT_GET, err);
	int rc, ret = -ENOENT;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	catalog__bind_statkey(st, dev, ino, size, mtime_ns);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = catalog__sha(st, 0, sha256) < 0 ? -ENOENT : 0;
	else if (rc != SQLITE_DONE)
		ret = catalog__err(cc->db, rc, err, "stat cache");
	sqlite3_reset(st);
	return ret;
}

/* Record (dev, ino, size, mtime_ns, path) -> wheel sha256, replacing an older row. */
int catalog_statcache_put(struct catalog_conn *cc, uint64_t dev, uint64_t ino, uint64_t size,
			  int64_t mtime_ns, const char *path, const uint8_t sha256[32],
			  struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_STAT_PUT, err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	catalog__bind_statkey(st, dev, ino, size, mtime_ns);
	sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, catalog__now());
	return catalog__exec_st(cc, st, err, "stat cache");
}

/* Look up an object's id; 0 (found), -ENOENT, or an error. */
static int catalog__object_id(struct catalog_conn *cc, const uint8_t sha256[32], int exec,
			      int64_t *id, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_OBJ_GET, err);
	int rc, ret = -ENOENT;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, exec ? 1 : 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE) {
		ret = catalog__err(cc->db, rc, err, "object lookup");
	}
	sqlite3_reset(st);
	return ret;
}

/* 1 when an object row exists for (sha256, exec), 0 when not, or an error. */
int catalog_object_known(struct catalog_conn *cc, const uint8_t sha256[32], int exec,
			 struct err *err)
{
	int ret = catalog__object_id(cc, sha256, exec, NULL, err);

	return ret == 0 ? 1 : ret == -ENOENT ? 0 : ret;
}

/* Insert the object row if absent; *id gets its id, *inserted 1 when new. */
int catalog_object_put(struct catalog_conn *cc, const uint8_t sha256[32], int exec, uint64_t size,
		       int64_t *id, int *inserted, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_OBJ_INSERT, err);
	int ret;

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, exec ? 1 : 0);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, catalog__now());
	if ((ret = catalog__exec_st(cc, st, err, "insert object")) < 0)
		return ret;
	if (sqlite3_changes(cc->db) > 0) {
		if (inserted)
			*inserted = 1;
		if (id)
			*id = sqlite3_last_insert_rowid(cc->db);
		return 0;
	}
	if (inserted)
		*inserted = 0;
	int64_t oid = 0;
	ret = catalog__object_id(cc, sha256, exec, &oid, err);
	if (ret == -ENOENT)
		return err_set(err, -WHLC_ECORRUPT, "catalog: object row vanished");
	if (ret < 0)
		return ret;
	if (id)
		*id = oid;
	if ((st = catalog__st(cc, ST_OBJ_HEAL, err)) == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, oid);
	sqlite3_bind_int64(st, 2, catalog__now());
	return catalog__exec_st(cc, st, err, "heal object");
}

/* Insert one member row of a wheel. In a transaction. */
int catalog_member_insert(struct catalog_conn *cc, int64_t wheel_id, const char *path,
			  int64_t object_id, uint64_t size, int exec, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_MEMBER_INSERT, err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_int64(st, 1, wheel_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, object_id);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)size);
	sqlite3_bind_int(st, 5, exec ? 1 : 0);
	return catalog__exec_st(cc, st, err, "insert member");
}

/* The SQLite handle of a connection. */
sqlite3 *catalog_conn_db(struct catalog_conn *cc)
{
	return cc->db;
}
