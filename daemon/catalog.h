/*
 * catalog.h: the SQLite catalog of the cache (<cache>/catalog.db).
 *
 * WAL mode, busy timeout, synchronous=NORMAL (a commit may be lost on power
 * failure but never half-applied; objects are made durable before the
 * transaction naming them commits, so a lost commit leaves only unreferenced
 * objects, never a row naming a missing object). Writes use BEGIN IMMEDIATE.
 * The schema version is PRAGMA user_version; catalog_open runs the migrations
 * (catalog_schema.c) from whatever version the file has.
 *
 * Connections come from a small pool: a thread-pool worker takes one with
 * catalog_acquire, uses it alone (prepared statements are kept per
 * connection), and gives it back with catalog_release. Never share a
 * struct catalog_conn between threads at the same time.
 *
 * Tables (v1): objects, wheels, members, wheel_files (stat cache), counters,
 * meta, interpreters, venvs, installs. See catalog_schema.c.
 */
#ifndef WHLC_CATALOG_H
#define WHLC_CATALOG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct catalog_conn;

struct catalog {
	char *path;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct catalog_conn *idle; /* free list */
	size_t n_open, max_open;
};

/* Free what the idle connections cache (page caches), e.g. when the daemon goes idle. */
void catalog_release_memory(struct catalog *c);

/* Wheel states (wheels.state). */
enum { CATALOG_WHEEL_OK = 0, CATALOG_WHEEL_BROKEN = 1 };
/* Object states (objects.state). */
enum { CATALOG_OBJECT_OK = 0, CATALOG_OBJECT_MISSING = 1, CATALOG_OBJECT_QUARANTINED = 2 };

/* One row of wheels. Strings are malloc'd (catalog_wheel_free). */
struct catalog_wheel {
	int64_t id;
	uint8_t sha256[32];
	char *filename;			/* basename of the .whl */
	char *norm_name;		/* PEP 503 */
	char *version;			/* as in the file name */
	char *build_tag;		/* NULL when none */
	char *tags;			/* "py-abi-plat" as in the file name (compressed sets) */
	char *dist_info;		/* "<name>-<ver>.dist-info" as in the archive */
	char *source_path;		/* absolute path the wheel was last ingested from */
	int purelib;			/* Root-Is-Purelib */
	uint64_t size;			/* of the .whl file */
	uint64_t n_members;		/* files (directory entries excluded) */
	uint64_t unpacked_size;		/* sum of member sizes */
	int64_t added_at, last_used_at; /* unix seconds */
	int state;
};

/* One member of a wheel in an install plan. */
struct catalog_member {
	char *path; /* path in the archive */
	uint8_t sha256[32];
	int exec;
	uint64_t size;
	int64_t object_id;
	int object_state;			  /* CATALOG_OBJECT_* */
	int64_t verified_size, verified_mtime_ns; /* -1 when never recorded */
	int64_t object_added_at;		  /* unix seconds the object row was added */
};

struct catalog_plan {
	size_t n;
	struct catalog_member *v; /* ordered by path */
};

struct catalog_stats {
	uint64_t wheels, objects, members;
	uint64_t logical_bytes; /* sum of member sizes over all wheels */
	uint64_t disk_bytes;	/* sum of object sizes */
	uint64_t hits, misses;	/* ingest of an already cached wheel / a new one */
};

/* Open (creating if needed) and migrate the catalog; max_conns bounds the pool. */
int catalog_open(struct catalog *c, const char *path, size_t max_conns, struct err *err);
/* Close every pooled connection (all must have been released). */
void catalog_close(struct catalog *c);
/* The schema version this build writes. */
int catalog_schema_version(void);

/* Take a connection for exclusive use by this thread (blocks when the pool is exhausted). */
struct catalog_conn *catalog_acquire(struct catalog *c, struct err *err);
void catalog_release(struct catalog *c, struct catalog_conn *cc);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on a connection. */
int catalog_begin(struct catalog_conn *cc, struct err *err);
int catalog_commit(struct catalog_conn *cc, struct err *err);
void catalog_rollback(struct catalog_conn *cc);

/* Look a wheel up by the SHA-256 of its file; 0, -ENOENT, or an error. */
int catalog_wheel_by_sha(struct catalog_conn *cc, const uint8_t sha256[32],
			 struct catalog_wheel *out, struct err *err);
int catalog_wheel_by_id(struct catalog_conn *cc, int64_t id, struct catalog_wheel *out,
			struct err *err);
void catalog_wheel_free(struct catalog_wheel *w);
/* Insert a wheel row (w->id ignored); *id gets the new row id. In a transaction. */
int catalog_wheel_insert(struct catalog_conn *cc, const struct catalog_wheel *w, int64_t *id,
			 struct err *err);
/* Set last_used_at (and source_path when non-NULL) of a wheel. */
int catalog_wheel_touch(struct catalog_conn *cc, int64_t id, int64_t now, const char *source_path,
			struct err *err);

/* The stat cache: (dev, ino, size, mtime_ns) -> wheel file SHA-256. 0 or -ENOENT. */
int catalog_statcache_get(struct catalog_conn *cc, uint64_t dev, uint64_t ino, uint64_t size,
			  int64_t mtime_ns, uint8_t sha256[32], struct err *err);
int catalog_statcache_put(struct catalog_conn *cc, uint64_t dev, uint64_t ino, uint64_t size,
			  int64_t mtime_ns, const char *path, const uint8_t sha256[32],
			  struct err *err);

/* 1 when an object row exists for (sha256, exec), 0 when not, or an error. */
int catalog_object_known(struct catalog_conn *cc, const uint8_t sha256[32], int exec,
			 struct err *err);
/* Insert the object row if absent; *id gets its id, *inserted 1 when new (both may be NULL). */
int catalog_object_put(struct catalog_conn *cc, const uint8_t sha256[32], int exec, uint64_t size,
		       int64_t *id, int *inserted, struct err *err);
/* Insert one member row of a wheel. In a transaction. */
int catalog_member_insert(struct catalog_conn *cc, int64_t wheel_id, const char *path,
			  int64_t object_id, uint64_t size, int exec, struct err *err);

/*
 * The install plan: every member of a wheel with its object, in one query,
 * ordered by path. Free with catalog_plan_free.
 */
int catalog_wheel_plan(struct catalog_conn *cc, int64_t wheel_id, struct catalog_plan *out,
		       struct err *err);
void catalog_plan_free(struct catalog_plan *p);

/* The SQLite handle of a connection (for the lifecycle queries of catalog_life.c). */
struct sqlite3 *catalog_conn_db(struct catalog_conn *cc);

/* Add delta to a named counter ("hits", "misses", ...). */
int catalog_counter_add(struct catalog_conn *cc, const char *name, int64_t delta, struct err *err);
/* Totals for `whlc cache stats`. */
int catalog_stats(struct catalog_conn *cc, struct catalog_stats *out, struct err *err);

/* Interpreter facts cache (interpreters table), keyed by interpreter path, mtime and size. */
int catalog_interp_get(struct catalog_conn *cc, const char *path, int64_t mtime_ns, int64_t size,
		       char **facts, struct err *err);
int catalog_interp_put(struct catalog_conn *cc, const char *path, int64_t mtime_ns, int64_t size,
		       const char *facts, struct err *err);

/* Installs bookkeeping (venvs and installs tables): which wheel whlc put in which venv. */
int catalog_install_record(struct catalog_conn *cc, const char *venv, const char *interpreter,
			   int64_t wheel_id, const char *norm_name, const char *link_mode,
			   struct err *err);
int catalog_install_forget(struct catalog_conn *cc, const char *venv, const char *norm_name,
			   struct err *err);
int catalog_install_find(struct catalog_conn *cc, const char *venv, const char *norm_name,
			 int64_t *wheel_id, struct err *err);

#endif
