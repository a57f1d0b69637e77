/*
 * lifecycle.h: the cache lifecycle (issue 7): pins, LRU eviction, garbage
 * collection, clear, the integrity check before linking, repair, the startup
 * scan and `whlc cache verify`.
 *
 * For the installer (issue 5), between ingest_wheel and linking:
 *
 *     ingest_wheel(&c->ingest, path, &res, err);           // wheel id in res.wheel.id
 *     int64_t id = res.wheel.id;
 *     cache_install_plan(c, cc, path, res.wheel.sha256, &id, &plan, NULL, err);
 *     ... link plan.v[i] (store_object_relpath) ...
 *     cache_unpin_wheel(c, id);
 *     catalog_counter_add(cc, "installs_hardlink", 1, ...);  // see CACHE_COUNTER_*
 *     catalog_counter_add(cc, "bytes_linked", bytes, ...);
 *     cache_note_growth(d);                                 // loop thread, from done_fn
 *
 * Locking: eviction deletes wheel rows with the pin set locked, so a pinned
 * wheel is never evicted and cache_pin_wheel reports -ENOENT for a wheel
 * evicted before it was pinned (ingest it again). lifecycle operations that
 * remove files (prune, gc, clear, verify --repair, the startup scan) are
 * serialized by c->life_mu; installs never take it.
 */
#ifndef WHLC_LIFECYCLE_H
#define WHLC_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "ingest.h"

struct cache;
struct daemon;

/* Counter names (catalog_counter_add) shown by `whlc cache stats`. */
#define CACHE_COUNTER_INSTALLS_PREFIX "installs_"    /* + link mode: installs_hardlink ... */
#define CACHE_COUNTER_BYTES_LINKED    "bytes_linked" /* bytes linked instead of copied */
#define CACHE_COUNTER_HITS	      "hits"
#define CACHE_COUNTER_MISSES	      "misses"

/* --- pins ------------------------------------------------------------- */

/*
 * Pin a wheel against eviction (counted); -ENOENT when it left the catalog
 * meanwhile. sha256 (may be NULL) is the wheel file the caller means: SQLite
 * reuses the id of an evicted wheel for the next one added, so a row with
 * that id but another sha256 is -ENOENT too.
 */
int cache_pin_wheel(struct cache *c, struct catalog_conn *cc, int64_t wheel_id,
		    const uint8_t *sha256, struct err *err);
void cache_unpin_wheel(struct cache *c, int64_t wheel_id);
int cache_wheel_pinned(struct cache *c, int64_t wheel_id);

/* --- integrity before linking --------------------------------------------- */

struct cache_plan_report {
	size_t checked;	    /* distinct objects checked (one fstatat each) */
	size_t rehashed;    /* objects whose size/mtime changed: re-hashed */
	size_t damaged;	    /* missing or corrupt objects (quarantined, wheel re-extracted) */
	char *first_damage; /* a description of the first one (malloc'd) */
};

/*
 * Check every distinct object of a plan (one fstatat each; re-hash when size
 * or mtime differ from the verification record) and record new verification
 * records in one transaction. A wrong mode on intact content is fixed.
 * Returns 0 when the plan can be linked, 1 when objects were missing or
 * corrupt: they were quarantined and the wheels using them dropped and
 * re-ingested from their files (cache_wheel_available then says whether the
 * wheel is back). Negative on errors.
 */
int cache_plan_check(struct cache *c, struct catalog_conn *cc, const struct catalog_plan *plan,
		     struct cache_plan_report *rep, struct err *err);
void cache_plan_report_free(struct cache_plan_report *rep);

/*
 * The installer's one call: pin *wheel_id (the wheel file sha256, may be
 * NULL: see cache_pin_wheel), read its plan and check it. When
 * objects were damaged, ingest wheel_path again (it re-extracts), pin the new
 * id and check once more. On success *wheel_id (maybe new) is pinned and plan
 * filled: unpin when the install ends. The error names the wheel and member.
 * damage (may be NULL): set to a description (malloc'd) of the first damaged
 * object found and repaired on the way, NULL when there was none.
 */
int cache_install_plan(struct cache *c, struct catalog_conn *cc, const char *wheel_path,
		       const uint8_t *sha256, int64_t *wheel_id, struct catalog_plan *plan,
		       char **damage, struct err *err);

/*
 * Whether a wheel (by file sha256) is usable: 1 yes, 0 not in the cache (never
 * ingested, evicted, or dropped after damage: ingest its file again; *source
 * (malloc'd, may be NULL) says where it was last seen), negative on errors.
 */
int cache_wheel_available(struct cache *c, struct catalog_conn *cc, const uint8_t sha256[32],
			  char **source, struct err *err);

/*
 * Object object_id is damaged (missing or corrupt; its file already moved to
 * quarantine or gone): drop every wheel that uses it and the object row, then
 * re-ingest those wheels from their files when they still exist. Lines
 * describing what happened are appended to *notes (may be NULL).
 */
int cache_object_damaged(struct cache *c, struct catalog_conn *cc, int64_t object_id, char ***notes,
			 size_t *n_notes, struct err *err);

/* --- eviction and gc ------------------------------------------------------ */

struct cache_evict_report {
	uint64_t wheels;	 /* wheels evicted */
	uint64_t objects;	 /* object files removed */
	uint64_t bytes;		 /* bytes of object files removed */
	uint64_t kept_grace;	 /* unreferenced objects kept: younger than the grace period */
	uint64_t live_bytes;	 /* bytes referenced by the remaining wheels */
	uint64_t pinned_skipped; /* wheels skipped because they are pinned */
};

/* Evict LRU wheels unused for older_than_s (<0: no age limit) and until the
 * referenced bytes are <= max_size (0: no size limit), then gc. */
int cache_prune(struct cache *c, uint64_t max_size, int64_t older_than_s,
		struct cache_evict_report *rep, struct err *err);
/* Remove unreferenced objects older than the grace period (and unknown files). */
int cache_gc(struct cache *c, struct cache_evict_report *rep, struct err *err);
/* Empty the cache: every wheel and object (pinned wheels stay, with their objects). */
int cache_clear(struct cache *c, struct cache_evict_report *rep, struct err *err);

/* Remove the extra copies (store_copy.h) of objects no longer in the catalog; *bytes freed. */
int cache_sweep_copies(struct cache *c, struct catalog_conn *cc, uint64_t *bytes, struct err *err);

/* Loop thread: the cache may have grown; start background eviction if over the limit. */
void cache_note_growth(struct daemon *d);
/* Loop thread: start the background startup scan (after cache_open). */
void cache_start_background(struct daemon *d);

/* --- scan and verify (verify_store.c) ------------------------------------- */

struct cache_problem {
	char *kind;   /* corrupt, mode, missing, unknown, stray, temporary, catalog */
	char *object; /* store-relative path or catalog item */
	char *detail;
	int repaired;
};

struct cache_verify {
	int repair;
	uint64_t objects, bytes_hashed;
	size_t n, cap;
	struct cache_problem *v;
	char **notes; /* repair notes (re-extracted wheels...) */
	size_t n_notes;
	/* internal state between the phases */
	void *priv;
};

/* Phase 1 (one worker): list objects on disk and in the catalog. */
int cache_verify_list(struct cache *c, struct cache_verify *v, struct err *err);
/* Phase 2 (jobs workers in parallel, k = 0..jobs-1): hash their share of objects. */
void cache_verify_hash(struct cache *c, struct cache_verify *v, unsigned k, unsigned jobs);
/* Phase 3 (one worker): classify, check the catalog, repair when asked. */
int cache_verify_finish(struct cache *c, struct cache_verify *v, struct err *err);
void cache_verify_free(struct cache_verify *v);

/* The startup scan of fan-out directories fan_lo..fan_hi-1 (those changed since the snapshot). */
int cache_scan_range(struct cache *c, unsigned fan_lo, unsigned fan_hi, struct err *err);
/* Load and invalidate the clean-shutdown snapshot (start), or write it (clean close). */
int cache_snapshot_load(struct cache *c, struct err *err);
int cache_snapshot_save(struct cache *c, struct err *err);

#endif
