/*
 * repair.c: the integrity check before linking, and repair of wheels whose
 * objects are missing or corrupt (issue 7, "the hardlink problem").
 *
 * A damaged object is moved to store-v1/quarantine/ (never linked again), the
 * wheels that use it are dropped from the catalog with the object row, and
 * each is re-ingested from its file when that still exists: ingestion then
 * writes a fresh object with the original bytes. Venvs that already link the
 * damaged inode keep it (whlc verify in the venv reports them).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "catalog_life.h"
#include "lifecycle.h"
#include "store_check.h"
#include "xalloc.h"

/* Append a malloc'd note. */
static void repair__note(char ***notes, size_t *n, char *msg)
{
	if (notes == NULL) {
		free(msg);
		return;
	}
	*notes = xreallocarray(*notes, *n + 1, sizeof(char *));
	(*notes)[(*n)++] = msg;
}

/* Drop the wheels using a damaged object and re-ingest them from their files. */
int cache_object_damaged(struct cache *c, struct catalog_conn *cc, int64_t object_id, char ***notes,
			 size_t *n_notes, struct err *err)
{
	struct catalog_wheel *w = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	int ret;

	if ((ret = catalog_life_wheels_of(cc, object_id, &ids, &n, err)) < 0)
		return ret;
	w = xcalloc(n ? n : 1, sizeof(*w));
	for (size_t i = 0; i < n; i++)
		catalog_wheel_by_id(cc, ids[i], &w[i], NULL);
	if ((ret = catalog_begin(cc, err)) < 0)
		goto out;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = catalog_life_delete_wheel(cc, ids[i], err);
	if (ret == 0)
		ret = catalog_life_delete_object(cc, object_id, NULL, err);
	if (ret == 0)
		ret = catalog_commit(cc, err);
	if (ret < 0) {
		catalog_rollback(cc);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ingest_result res;
		struct err e;
		const char *src = w[i].source_path;
		if (w[i].filename == NULL)
			continue;
		if (src == NULL || access(src, R_OK) < 0) {
			repair__note(notes, n_notes,
				     xasprintf("dropped %s: its file %s is gone; add or install it "
					       "again to re-ingest it",
					       w[i].filename, src ? src : "(unknown)"));
			continue;
		}
		err_clear(&e);
		if (ingest_wheel(&c->ingest, src, &res, &e) < 0) {
			repair__note(notes, n_notes,
				     xasprintf("dropped %s: re-extracting it from %s failed: %s",
					       w[i].filename, src, e.msg));
			continue;
		}
		repair__note(notes, n_notes,
			     xasprintf("re-extracted %s from %s", w[i].filename, src));
		ingest_result_free(&res);
	}
out:
	for (size_t i = 0; i < n; i++)
		catalog_wheel_free(&w[i]);
	free(w);
	free(ids);
	return ret;
}

/* One object to record as verified. */
struct repair__rec {
	int64_t id, size, mtime_ns;
};

/* Check every distinct object of a plan (see lifecycle.h). */
int cache_plan_check(struct cache *c, struct catalog_conn *cc, const struct catalog_plan *plan,
		     struct cache_plan_report *rep, struct err *err)
{
	size_t cap = 16, n_rec = 0, n_bad = 0;
	int64_t *seen, *bad;
	struct repair__rec *rec;
	int ret = 0;

	memset(rep, 0, sizeof(*rep));
	while (cap < 2 * plan->n)
		cap *= 2;
	seen = xcalloc(cap, sizeof(int64_t)); /* open addressing over object ids (> 0) */
	rec = xcalloc(plan->n ? plan->n : 1, sizeof(*rec));
	bad = xcalloc(plan->n ? plan->n : 1, sizeof(int64_t));
	for (size_t i = 0; i < plan->n; i++) {
		const struct catalog_member *m = &plan->v[i];
		struct store_check ck;
		size_t h = (size_t)((uint64_t)m->object_id * 0x9e3779b97f4a7c15ull) & (cap - 1);
		char rel[STORE_RELPATH_MAX];

		while (seen[h] != 0 && seen[h] != m->object_id)
			h = (h + 1) & (cap - 1);
		if (seen[h] == m->object_id)
			continue;
		seen[h] = m->object_id;
		rep->checked++;
		store_object_relpath(m->sha256, m->exec, rel);
		if (m->object_state != CATALOG_OBJECT_OK) {
			ck.status = STORE_CHECK_MISSING;
		} else if ((ret = store_object_check(&c->store, m->sha256, m->exec,
						     m->verified_size, m->verified_mtime_ns,
						     m->object_added_at, &ck, err)) < 0) {
			goto out;
		}
		rep->rehashed += (size_t)ck.rehashed;
		if (ck.status == STORE_CHECK_BADMODE &&
		    (ret = store_fix_mode(&c->store, m->sha256, m->exec, err)) < 0)
			goto out;
		if (ck.status == STORE_CHECK_OK || ck.status == STORE_CHECK_BADMODE) {
			if (ck.record)
				rec[n_rec++] = (struct repair__rec){
				    .id = m->object_id, .size = ck.size, .mtime_ns = ck.mtime_ns};
			continue;
		}
		if (ck.status == STORE_CHECK_CORRUPT &&
		    (ret = store_quarantine(&c->store, rel, err)) < 0)
			goto out;
		if (rep->first_damage == NULL)
			rep->first_damage = xasprintf(
			    "member '%s': its cached object %s is %s", m->path, rel,
			    ck.status == STORE_CHECK_CORRUPT ? "corrupt (quarantined)" : "missing");
		bad[n_bad++] = m->object_id;
	}
	if (n_rec > 0) {
		if ((ret = catalog_begin(cc, err)) < 0)
			goto out;
		for (size_t i = 0; i < n_rec && ret == 0; i++)
			ret = catalog_life_set_verified(cc, rec[i].id, rec[i].size, rec[i].mtime_ns,
							err);
		if (ret == 0)
			ret = catalog_commit(cc, err);
		if (ret < 0) {
			catalog_rollback(cc);
			goto out;
		}
	}
	for (size_t i = 0; i < n_bad; i++)
		if ((ret = cache_object_damaged(c, cc, bad[i], NULL, NULL, err)) < 0)
			goto out;
	rep->damaged = n_bad;
	ret = n_bad > 0;
out:
	free(seen);
	free(rec);
	free(bad);
	return ret;
}

/* Release a report. */
void cache_plan_report_free(struct cache_plan_report *rep)
{
	free(rep->first_damage);
	rep->first_damage = NULL;
}

/* Pin, plan and check a wheel; re-extract it once when objects were damaged. */
int cache_install_plan(struct cache *c, struct catalog_conn *cc, const char *wheel_path,
		       const uint8_t *sha256, int64_t *wheel_id, struct catalog_plan *plan,
		       char **damage, struct err *err)
{
	struct cache_plan_report rep = {0};
	int ret = 0;

	memset(plan, 0, sizeof(*plan));
	if (damage)
		*damage = NULL;
	for (int attempt = 0; attempt < 3; attempt++) {
		if (attempt > 0) {
			struct ingest_result res;
			if ((ret = ingest_wheel(&c->ingest, wheel_path, &res, err)) < 0)
				goto out;
			*wheel_id = res.wheel.id;
			ingest_result_free(&res);
		}
		ret = cache_pin_wheel(c, cc, *wheel_id, sha256, err);
		if (ret == -ENOENT)
			continue; /* evicted between ingest and pin: ingest again */
		if (ret < 0)
			goto out;
		if ((ret = catalog_wheel_plan(cc, *wheel_id, plan, err)) < 0 ||
		    (ret = cache_plan_check(c, cc, plan, &rep, err)) < 0) {
			cache_unpin_wheel(c, *wheel_id);
			catalog_plan_free(plan);
			goto out;
		}
		if (ret == 0)
			goto out;
		cache_unpin_wheel(c, *wheel_id);
		catalog_plan_free(plan);
		if (damage && *damage == NULL && rep.first_damage) {
			*damage = rep.first_damage;
			rep.first_damage = NULL;
		}
		cache_plan_report_free(&rep);
	}
	ret = err_set(err, -WHLC_ECORRUPT,
		      "%s: the cache cannot provide intact files for this wheel%s%s; run `whlc "
		      "cache verify --repair`",
		      wheel_path, rep.first_damage ? ": " : "",
		      rep.first_damage ? rep.first_damage : "");
out:
	cache_plan_report_free(&rep);
	return ret;
}

/* Whether a wheel (by file sha256) is usable: 1, 0 (ingest its file again), or an error. */
int cache_wheel_available(struct cache *c, struct catalog_conn *cc, const uint8_t sha256[32],
			  char **source, struct err *err)
{
	struct catalog_wheel w;
	int ret;

	(void)c;
	if (source)
		*source = NULL;
	ret = catalog_wheel_by_sha(cc, sha256, &w, err);
	if (ret == 0) {
		int ok = w.state == CATALOG_WHEEL_OK;
		if (source && w.source_path)
			*source = xstrdup(w.source_path);
		catalog_wheel_free(&w);
		return ok;
	}
	if (ret != -ENOENT)
		return ret;
	if (source && catalog_life_last_path(cc, sha256, source, err) < 0)
		*source = NULL;
	return 0;
}
