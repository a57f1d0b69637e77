/*
 * evict.c: pins, LRU eviction (prune), garbage collection, clear, and the
 * daemon's background work (startup scan, then eviction when over the limit).
 *
 * Eviction deletes wheel rows (members go with them) while the pin set is
 * locked; objects no member references any more are then removed unless they
 * are younger than the grace period (row added or file changed recently: an
 * ingest may be about to name them). Venvs are never touched: their files are
 * hardlinks and survive the object's name being removed.
 *
 * A known, accepted race: an ingest that found an old unreferenced object on
 * disk (and so did not rewrite it) may commit after gc removed it. The
 * catalog then names a missing object; the check before linking finds it
 * (ENOENT) and the wheel is re-extracted from its file (repair on next use).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "catalog_life.h"
#include "daemon.h"
#include "lifecycle.h"
#include "store_copy.h"
#include "xalloc.h"

#define EVICT_GC_BATCH	  256
#define EVICT_PRUNE_BATCH 64

/* Wall clock, unix seconds. */
static int64_t evict__now(void)
{
	return (int64_t)time(NULL);
}

/* Index of a pin, or n_pins. Caller holds pin_mu. */
static size_t evict__pin_find(struct cache *c, int64_t id)
{
	size_t i;

	for (i = 0; i < c->n_pins; i++)
		if (c->pins[i].wheel_id == id)
			break;
	return i;
}

/* 1 when the wheel is pinned. */
int cache_wheel_pinned(struct cache *c, int64_t wheel_id)
{
	int r;

	pthread_mutex_lock(&c->pin_mu);
	r = evict__pin_find(c, wheel_id) < c->n_pins;
	pthread_mutex_unlock(&c->pin_mu);
	return r;
}

/* Pin a wheel against eviction; -ENOENT when it left the catalog meanwhile. */
int cache_pin_wheel(struct cache *c, struct catalog_conn *cc, int64_t wheel_id,
		    const uint8_t *sha256, struct err *err)
{
	struct catalog_wheel w;
	size_t i;
	int ret;

	pthread_mutex_lock(&c->pin_mu);
	i = evict__pin_find(c, wheel_id);
	if (i == c->n_pins) {
		if (c->n_pins == c->cap_pins) {
			c->cap_pins = c->cap_pins ? 2 * c->cap_pins : 16;
			c->pins = xreallocarray(c->pins, c->cap_pins, sizeof(*c->pins));
		}
		c->pins[c->n_pins].wheel_id = wheel_id;
		c->pins[c->n_pins++].count = 0;
	}
	c->pins[i].count++;
	pthread_mutex_unlock(&c->pin_mu);
	/* Eviction commits with pin_mu held: a wheel still here now stays. */
	ret = catalog_wheel_by_id(cc, wheel_id, &w, err);
	if (ret == 0) {
		int same = sha256 == NULL || memcmp(w.sha256, sha256, sizeof(w.sha256)) == 0;
		catalog_wheel_free(&w);
		if (same)
			return 0;
		ret = -ENOENT; /* the id now names another wheel */
	}
	cache_unpin_wheel(c, wheel_id);
	if (ret == -ENOENT)
		return err_set(err, -ENOENT,
			       "wheel %lld was evicted from the cache before it could be pinned;"
			       " ingest its file again",
			       (long long)wheel_id);
	return ret;
}

/* Drop one pin of a wheel. */
void cache_unpin_wheel(struct cache *c, int64_t wheel_id)
{
	size_t i;

	pthread_mutex_lock(&c->pin_mu);
	i = evict__pin_find(c, wheel_id);
	if (i < c->n_pins && --c->pins[i].count == 0)
		c->pins[i] = c->pins[--c->n_pins];
	pthread_mutex_unlock(&c->pin_mu);
}

/* Delete the unpinned wheels among ids in one transaction (pin set locked until commit). */
static int evict__wheels(struct cache *c, struct catalog_conn *cc, const int64_t *ids, size_t n,
			 struct cache_evict_report *rep, struct err *err)
{
	uint64_t done = 0;
	int ret;

	if (n == 0)
		return 0;
	if ((ret = catalog_begin(cc, err)) < 0)
		return ret;
	pthread_mutex_lock(&c->pin_mu);
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (evict__pin_find(c, ids[i]) < c->n_pins) {
			rep->pinned_skipped++;
			continue;
		}
		ret = catalog_life_delete_wheel(cc, ids[i], err);
		done++;
	}
	if (ret == 0 && done > 0)
		ret = catalog_meta_set_int(cc, "last_eviction", evict__now(), err);
	if (ret == 0)
		ret = catalog_commit(cc, err);
	pthread_mutex_unlock(&c->pin_mu);
	if (ret < 0) {
		catalog_rollback(cc);
		return ret;
	}
	rep->wheels += done;
	return 0;
}

/* 1 when the object's file changed within the grace period (or is being written). */
static int evict__young(struct cache *c, const struct life_object *o, int64_t limit)
{
	char rel[STORE_RELPATH_MAX];
	struct stat st;

	store_object_relpath(o->sha256, o->exec, rel);
	if (fstatat(c->store.objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return st.st_mtim.tv_sec > limit || st.st_ctim.tv_sec > limit;
}

/* Remove unreferenced objects whose row and file are older than grace_s. */
static int evict__gc(struct cache *c, struct catalog_conn *cc, int64_t grace_s,
		     struct cache_evict_report *rep, struct err *err)
{
	int64_t limit = grace_s > 0 ? evict__now() - grace_s : INT64_MAX, after = 0;
	int ret = 0;

	for (;;) {
		struct life_objv v = {0};
		size_t n_del = 0;
		int *del;

		if ((ret = catalog_life_unreferenced(cc, INT64_MAX, after, EVICT_GC_BATCH, &v,
						     err)) < 0)
			return ret;
		if (v.n == 0)
			break;
		after = v.v[v.n - 1].id;
		del = xcalloc(v.n, sizeof(int));
		if ((ret = catalog_begin(cc, err)) < 0)
			goto next;
		for (size_t i = 0; i < v.n && ret == 0; i++) {
			if (grace_s > 0 &&
			    (v.v[i].added_at > limit || evict__young(c, &v.v[i], limit))) {
				rep->kept_grace++;
				continue;
			}
			if (store_reserved(&c->store, v.v[i].sha256, v.v[i].exec)) {
				rep->kept_grace++; /* an ingest in flight reuses it */
				continue;
			}
			ret = catalog_life_delete_object(cc, v.v[i].id, &del[i], err);
		}
		if (ret == 0)
			ret = catalog_commit(cc, err);
		if (ret < 0) {
			catalog_rollback(cc);
			goto next;
		}
		/* The rows are gone: now the names (a crash in between leaves unknown
		 * files, which the startup scan adopts or removes). */
		for (size_t i = 0; i < v.n; i++) {
			/* Reserved since the check above: the ingest's commit puts the row
			 * back (INSERT OR IGNORE), so the file must stay. */
			if (del[i] &&
			    store_remove_unreserved(&c->store, v.v[i].sha256, v.v[i].exec) == 1) {
				rep->objects++;
				rep->bytes += v.v[i].size;
				n_del++;
			}
		}
	next:
		free(del);
		life_objv_free(&v);
		if (ret < 0)
			return ret;
	}
	{
		uint64_t bytes = 0;
		ret = cache_sweep_copies(c, cc, &bytes, err);
		rep->bytes += bytes;
	}
	return ret;
}

/* store_copy_sweep callback: 1 when an object has no catalog row any more. */
static int evict__copy_orphan(void *arg, const uint8_t sha256[32], int exec)
{
	struct life_object o;
	struct err e = {0};
	int r = catalog_life_object(arg, sha256, exec, &o, &e);

	return r == -ENOENT ? 1 : r < 0 ? r : 0;
}

/*
 * Remove the extra copies of objects whose rows are gone (store_copy.h): they
 * go with their object, after it, so a crash in between leaves orphans that the
 * next gc or the startup scan removes. They count as bytes, not as objects.
 */
int cache_sweep_copies(struct cache *c, struct catalog_conn *cc, uint64_t *bytes, struct err *err)
{
	return store_copy_sweep(&c->store, evict__copy_orphan, cc, NULL, bytes, err);
}

/* Take a catalog connection or fail with err set. */
static struct catalog_conn *evict__acquire(struct cache *c, struct err *err)
{
	struct catalog_conn *cc = catalog_acquire(&c->catalog, err);

	if (cc == NULL && err && err->code == 0)
		err_set(err, -WHLC_ECORRUPT, "cannot open the catalog");
	return cc;
}

/* Evict by age, then by size, then gc; c->life_mu held. */
static int evict__prune_locked(struct cache *c, struct catalog_conn *cc, uint64_t max_size,
			       int64_t older_than_s, struct cache_evict_report *rep,
			       struct err *err)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int ret = 0;

	if (older_than_s >= 0) {
		ret =
		    catalog_life_lru(cc, evict__now() - older_than_s, SIZE_MAX / 2, &ids, &n, err);
		for (size_t i = 0; ret == 0 && i < n; i += EVICT_PRUNE_BATCH)
			ret = evict__wheels(c, cc, ids + i,
					    n - i < EVICT_PRUNE_BATCH ? n - i : EVICT_PRUNE_BATCH,
					    rep, err);
		free(ids);
		if (ret < 0)
			return ret;
	}
	while (max_size > 0) {
		uint64_t live = 0;
		size_t pinned;
		if ((ret = catalog_life_sizes(cc, &live, NULL, err)) < 0)
			return ret;
		if (live <= max_size)
			break;
		pthread_mutex_lock(&c->pin_mu);
		pinned = c->n_pins;
		pthread_mutex_unlock(&c->pin_mu);
		/* One wheel at a time: the least recently used goes first. */
		if ((ret = catalog_life_lru(cc, INT64_MAX, pinned + 1, &ids, &n, err)) < 0)
			return ret;
		uint64_t before = rep->wheels;
		size_t k = 0;
		while (k < n && cache_wheel_pinned(c, ids[k]))
			k++;
		ret = k < n ? evict__wheels(c, cc, ids + k, 1, rep, err) : 0;
		free(ids);
		if (ret < 0)
			return ret;
		if (rep->wheels == before) {
			rep->pinned_skipped += n;
			break; /* only pinned wheels are left */
		}
	}
	if ((ret = evict__gc(c, cc, c->cfg.grace_s, rep, err)) < 0)
		return ret;
	return catalog_life_sizes(cc, &rep->live_bytes, NULL, err);
}

/* Evict LRU wheels by age and size, then gc (see lifecycle.h). */
int cache_prune(struct cache *c, uint64_t max_size, int64_t older_than_s,
		struct cache_evict_report *rep, struct err *err)
{
	struct catalog_conn *cc;
	int ret;

	memset(rep, 0, sizeof(*rep));
	pthread_mutex_lock(&c->life_mu);
	if ((cc = evict__acquire(c, err)) == NULL) {
		pthread_mutex_unlock(&c->life_mu);
		return err->code;
	}
	ret = evict__prune_locked(c, cc, max_size, older_than_s, rep, err);
	catalog_release(&c->catalog, cc);
	pthread_mutex_unlock(&c->life_mu);
	return ret;
}

/* Remove unreferenced objects older than the grace period. */
int cache_gc(struct cache *c, struct cache_evict_report *rep, struct err *err)
{
	return cache_prune(c, 0, -1, rep, err);
}

/* Empty the cache (pinned wheels and their objects stay). */
int cache_clear(struct cache *c, struct cache_evict_report *rep, struct err *err)
{
	struct catalog_conn *cc;
	int ret;

	memset(rep, 0, sizeof(*rep));
	pthread_mutex_lock(&c->life_mu);
	if ((cc = evict__acquire(c, err)) == NULL) {
		pthread_mutex_unlock(&c->life_mu);
		return err->code;
	}
	{
		int64_t *ids = NULL;
		size_t n = 0;
		ret = catalog_life_lru(cc, INT64_MAX, SIZE_MAX / 2, &ids, &n, err);
		for (size_t i = 0; ret == 0 && i < n; i += EVICT_PRUNE_BATCH)
			ret = evict__wheels(c, cc, ids + i,
					    n - i < EVICT_PRUNE_BATCH ? n - i : EVICT_PRUNE_BATCH,
					    rep, err);
		free(ids);
	}
	/* Everything unreferenced goes, whatever its age. */
	if (ret == 0)
		ret = evict__gc(c, cc, 0, rep, err);
	if (ret == 0)
		ret = catalog_life_sizes(cc, &rep->live_bytes, NULL, err);
	catalog_release(&c->catalog, cc);
	pthread_mutex_unlock(&c->life_mu);
	return ret;
}

/* One background batch: evict up to evict_batch LRU wheels while over the limit. */
static int evict__batch(struct cache *c, int *more, struct err *err)
{
	struct cache_evict_report rep = {0};
	struct catalog_conn *cc;
	uint64_t live = 0;
	int64_t *ids = NULL;
	size_t n = 0, pinned;
	int ret;

	*more = 0;
	pthread_mutex_lock(&c->life_mu);
	if ((cc = evict__acquire(c, err)) == NULL) {
		pthread_mutex_unlock(&c->life_mu);
		return err->code;
	}
	ret = catalog_life_sizes(cc, &live, NULL, err);
	if (ret < 0 || live <= c->cfg.max_size)
		goto out;
	pthread_mutex_lock(&c->pin_mu);
	pinned = c->n_pins;
	pthread_mutex_unlock(&c->pin_mu);
	if ((ret = catalog_life_lru(cc, INT64_MAX, c->cfg.evict_batch + pinned, &ids, &n, err)) < 0)
		goto out;
	if (n > c->cfg.evict_batch + pinned)
		n = c->cfg.evict_batch + pinned;
	ret = evict__wheels(c, cc, ids, n, &rep, err);
	free(ids);
	if (ret == 0)
		ret = evict__gc(c, cc, c->cfg.grace_s, &rep, err);
	if (ret == 0)
		ret = catalog_life_sizes(cc, &live, NULL, err);
	*more = ret == 0 && rep.wheels > 0 && live > c->cfg.max_size;
	if (rep.wheels)
		log_info(&c->d->log,
			 "background eviction: %llu wheel(s), %llu object(s), %llu bytes freed;"
			 " %llu bytes referenced, limit %llu",
			 (unsigned long long)rep.wheels, (unsigned long long)rep.objects,
			 (unsigned long long)rep.bytes, (unsigned long long)live,
			 (unsigned long long)c->cfg.max_size);
out:
	catalog_release(&c->catalog, cc);
	pthread_mutex_unlock(&c->life_mu);
	return ret;
}

/* State of one background work item. */
struct evict__bg {
	int more;
	int ret;
	struct err err;
};

/* Worker: a slice of the startup scan, or an eviction batch. */
static void evict__bg_work(uv_work_t *w)
{
	struct cache *c = w->data;
	struct evict__bg *bg = c->bg_state;

	err_clear(&bg->err);
	bg->more = 0;
	if (c->scan_pending) {
		unsigned lo = c->scan_next, hi = lo + 16 > 256 ? 256 : lo + 16;
		if (lo == 0 && cache_snapshot_load(c, &bg->err) < 0)
			log_warn(&c->d->log, "store snapshot: %s", bg->err.msg);
		bg->ret = cache_scan_range(c, lo, hi, &bg->err);
		return;
	}
	bg->ret = evict__batch(c, &bg->more, &bg->err);
}

static void evict__bg_queue(struct cache *c);

/* Loop: chain the next slice or batch unless the daemon stops. */
static void evict__bg_done(uv_work_t *w, int status)
{
	struct cache *c = w->data;
	struct evict__bg *bg = c->bg_state;
	bool again = false;

	c->bg_running = false;
	if (status == 0 && bg->ret < 0)
		log_warn(&c->d->log, "%s: %s", c->scan_pending ? "startup scan" : "eviction",
			 bg->err.msg);
	if (c->scan_pending) {
		if (status == 0 && bg->ret == 0)
			c->scan_next = c->scan_next + 16 > 256 ? 256 : c->scan_next + 16;
		if (c->scan_next >= 256 || bg->ret < 0) {
			c->scan_pending = false;
			c->scan_complete = bg->ret == 0;
			log_debug(&c->d->log, "startup scan %s",
				  c->scan_complete ? "finished" : "stopped");
			again = c->cfg.max_size > 0;
		} else {
			again = true;
		}
	} else {
		again = (bg->more || c->bg_again) && status == 0 && bg->ret == 0;
	}
	c->bg_again = false;
	if (again && !c->d->stopping)
		evict__bg_queue(c);
}

/* Queue the background work item (loop thread). */
static void evict__bg_queue(struct cache *c)
{
	int rc;

	c->bg_work.data = c;
	rc = uv_queue_work(c->d->loop, &c->bg_work, evict__bg_work, evict__bg_done);
	if (rc < 0)
		log_warn(&c->d->log, "cannot queue background work: %s", uv_strerror(rc));
	else
		c->bg_running = true;
}

/* Loop thread: the cache may have grown; start background eviction if over the limit. */
void cache_note_growth(struct daemon *d)
{
	struct cache *c = d->cache;

	if (c == NULL || c->cfg.max_size == 0 || d->stopping)
		return;
	if (c->bg_running || c->scan_pending) {
		c->bg_again = true;
		return;
	}
	evict__bg_queue(c);
}

/* Loop thread: start the background startup scan (after cache_open). */
void cache_start_background(struct daemon *d)
{
	struct cache *c = d->cache;

	if (c->bg_state == NULL)
		c->bg_state = xcalloc(1, sizeof(struct evict__bg));
	c->scan_pending = true;
	c->scan_next = 0;
	evict__bg_queue(c);
}
