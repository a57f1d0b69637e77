/*
 * catalog_life.h: catalog queries of the cache lifecycle (issue 7): LRU
 * eviction, garbage collection, verification records, consistency checks,
 * meta values and counters. Same rules as catalog.h: a connection from
 * catalog_acquire, used by one thread; writers wrap calls in catalog_begin /
 * catalog_commit.
 *
 * References are explicit: an object is referenced when a members row names
 * it. The file system's link count is never consulted (venv hardlinks raise it).
 */
#ifndef WHLC_CATALOG_LIFE_H
#define WHLC_CATALOG_LIFE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"

/* One objects row. */
struct life_object {
	int64_t id;
	uint8_t sha256[32];
	int exec;
	uint64_t size;
	int state;				  /* CATALOG_OBJECT_* */
	int64_t verified_size, verified_mtime_ns; /* -1 when never recorded */
	int64_t added_at;
};

struct life_objv {
	size_t n, cap;
	struct life_object *v;
};

void life_objv_free(struct life_objv *v);

/* Wheel ids, least recently used first, last_used_at < before (INT64_MAX: all); at most max. */
int catalog_life_lru(struct catalog_conn *cc, int64_t before, size_t max, int64_t **ids, size_t *n,
		     struct err *err);
/* Delete a wheel with its members and installs (objects and stat-cache rows stay). */
int catalog_life_delete_wheel(struct catalog_conn *cc, int64_t wheel_id, struct err *err);
/* The last path a wheel file with this sha256 was seen at (malloc'd): 0 or -ENOENT. */
int catalog_life_last_path(struct catalog_conn *cc, const uint8_t sha256[32], char **path,
			   struct err *err);
/* Bytes of objects referenced by at least one wheel, and of all objects. */
int catalog_life_sizes(struct catalog_conn *cc, uint64_t *live, uint64_t *all, struct err *err);
/* Objects no member references, added before `before` (unix s), id > after_id; at most max. */
int catalog_life_unreferenced(struct catalog_conn *cc, int64_t before, int64_t after_id, size_t max,
			      struct life_objv *out, struct err *err);
/* Delete an object row unless a member references it; *deleted 1 when it did. */
int catalog_life_delete_object(struct catalog_conn *cc, int64_t id, int *deleted, struct err *err);
/* Objects whose SHA-256 starts with byte `fan` (one fan-out directory). */
int catalog_life_fanout(struct catalog_conn *cc, unsigned fan, struct life_objv *out,
			struct err *err);
/* Look an object row up by (sha256, exec): 0, -ENOENT or an error. */
int catalog_life_object(struct catalog_conn *cc, const uint8_t sha256[32], int exec,
			struct life_object *out, struct err *err);
int catalog_life_set_state(struct catalog_conn *cc, int64_t id, int state, struct err *err);
int catalog_life_set_verified(struct catalog_conn *cc, int64_t id, int64_t size, int64_t mtime_ns,
			      struct err *err);
/* Ids of the wheels that have a member naming object id. */
int catalog_life_wheels_of(struct catalog_conn *cc, int64_t object_id, int64_t **ids, size_t *n,
			   struct err *err);
/* Empty the cache's tables (wheels, members, objects, stat cache, installs); counters stay. */
int catalog_life_clear(struct catalog_conn *cc, struct err *err);

/* meta: integer values ("last_eviction", ...). get: 0, -ENOENT or an error. */
int catalog_meta_get_int(struct catalog_conn *cc, const char *key, int64_t *out, struct err *err);
int catalog_meta_set_int(struct catalog_conn *cc, const char *key, int64_t v, struct err *err);
/* meta: text values; *out malloc'd. get: 0, -ENOENT or an error. */
int catalog_meta_get_text(struct catalog_conn *cc, const char *key, char **out, struct err *err);
int catalog_meta_set_text(struct catalog_conn *cc, const char *key, const char *v, struct err *err);
int catalog_meta_delete(struct catalog_conn *cc, const char *key, struct err *err);

/* Every counter: calls fn(name, value, arg) for each. */
int catalog_life_counters(struct catalog_conn *cc,
			  void (*fn)(const char *name, int64_t value, void *arg), void *arg,
			  struct err *err);

/* Catalog-level inconsistencies, each described by a malloc'd line in *problems. */
int catalog_life_check(struct catalog_conn *cc, char ***problems, size_t *n, struct err *err);

#endif
