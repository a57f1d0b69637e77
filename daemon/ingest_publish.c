/*
 * ingest_publish.c: catalog lookups of an ingest (stat cache, whole-file hash, hits)
 * and publishing a new wheel's objects and catalog rows.
 *
 * Durability and power loss. Member bytes go to temporaries in store-v1/tmp
 * (never fsync'ed one by one). After every check has passed (of every wheel
 * of a batch: ingest_batch.h makes the steps below one barrier per install
 * request instead of one per wheel):
 *   1. syncfs: the temporaries' data is durable;
 *   2. link each temporary to its final object name (EEXIST: already there);
 *   3. syncfs: the new names (and fan-out directories) are durable;
 *   4. one catalog transaction names the wheel, members and objects.
 * So a final name never points at data that could be lost (1 before 2), and
 * the catalog never names an object whose name could be lost (3 before 4).
 * A power loss or crash at any point leaves at worst: temporaries (removed at
 * the next startup), or published objects no wheel references (harmless;
 * garbage-collected by `whlc cache gc`). Step 3 is also needed when every
 * object already existed on disk but some are not yet in the catalog: another
 * ingest may have linked them and not yet synced. Objects already in the
 * catalog were synced by whoever committed them, so a wheel whose objects are
 * all known costs no sync at all. SQLite runs with synchronous=NORMAL: a
 * commit lost to power failure only means the wheel is ingested again.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "ingest_int.h"
#include "xalloc.h"

/* SHA-256 of the whole wheel file. */
static int ingest__hash_file(struct ingest__job *j, struct err *err)
{
	struct hash_sha256 h;
	char *buf = xmalloc(INGEST_READ_BLOCK);
	uint64_t off = 0;
	ssize_t n;

	hash_sha256_init(&h);
	while ((n = pread(j->fd, buf, INGEST_READ_BLOCK, (off_t)off)) > 0) {
		hash_sha256_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	hash_sha256_final(&h, j->sha);
	free(buf);
	if (n < 0)
		return err_set(err, -errno, "cannot read: %s", strerror(errno));
	if (off != (uint64_t)j->st.st_size)
		return err_set(err, -EAGAIN, "the file changed while it was read; try again");
	return 0;
}

/* st_mtim as nanoseconds. */
static int64_t ingest__mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* The wheel is in the catalog: record the hit (usage, stat cache, counter). */
static int ingest__hit(struct ingest__job *j, struct catalog_wheel *w, int stat_hit,
		       struct err *err)
{
	int ret;

	if ((ret = catalog_begin(j->cc, err)) < 0)
		return ret;
	if ((ret = catalog_wheel_touch(j->cc, w->id, 0, j->path, err)) < 0 ||
	    (!stat_hit && !(j->flags & INGEST_NO_STATCACHE) &&
	     (ret = catalog_statcache_put(j->cc, (uint64_t)j->st.st_dev, (uint64_t)j->st.st_ino,
					  (uint64_t)j->st.st_size, ingest__mtime_ns(&j->st),
					  j->path, w->sha256, err)) < 0) ||
	    (ret = catalog_counter_add(j->cc, "hits", 1, err)) < 0 ||
	    (ret = catalog_commit(j->cc, err)) < 0) {
		catalog_rollback(j->cc);
		return ret;
	}
	catalog_wheel_free(&j->res->wheel);
	j->res->wheel = *w;
	memset(w, 0, sizeof(*w));
	j->res->cached = 1;
	j->res->stat_hit = stat_hit;
	return 0;
}

/* A cached wheel under another file name must still be the same project and version. */
static int ingest__same_name(struct ingest__job *j, const struct catalog_wheel *w, struct err *err)
{
	if (strcmp(w->filename, j->base) == 0 || (strcmp(w->norm_name, j->wn.norm_name) == 0 &&
						  wheel_versions_equal(w->version, j->wn.version)))
		return 0;
	return err_set(err, -WHLC_EBADWHEEL,
		       "the file name says %s %s, but this file is the already cached %s (%s %s);"
		       " rename it back",
		       j->wn.norm_name, j->wn.version, w->filename, w->norm_name, w->version);
}

/* Whether j has temporaries to link, and whether it needs the second sync anyway. */
static int ingest__sync_needs(struct ingest__job *j, int *any_tmp, int *need_sync, struct err *err)
{
	int ret;

	for (size_t i = 0; i < j->n_objs; i++) {
		if (j->objs[i].tmp.name[0]) {
			*any_tmp = 1;
		} else if (!*need_sync) {
			ret = catalog_object_known(j->cc, j->objs[i].sha, j->objs[i].exec, err);
			if (ret < 0)
				return ret;
			*need_sync = ret == 0;
		}
	}
	return 0;
}

/* Link every temporary of j to its final object name. */
static int ingest__link(struct ingest__job *j, struct err *err)
{
	int ret;

	for (size_t i = 0; i < j->n_objs; i++) {
		int created = 0;
		if (!j->objs[i].tmp.name[0])
			continue;
		if ((ret = store_tmp_publish(j->ix->store, &j->objs[i].tmp, j->objs[i].sha,
					     j->objs[i].exec, &created, err)) < 0)
			return err_prefix(err, "publishing objects");
		j->res->new_objects += (uint64_t)created;
	}
	return 0;
}

/* The catalog transaction of a staged wheel whose objects are published and durable. */
static int ingest__commit(struct ingest__job *j, struct err *err)
{
	struct catalog_wheel *w = &j->res->wheel, existing;
	int ret;

	if ((ret = catalog_begin(j->cc, err)) < 0)
		return ret;
	ret = catalog_wheel_by_sha(j->cc, j->sha, &existing, err);
	if (ret == 0) {
		/* A concurrent ingest of the same wheel committed first. */
		catalog_rollback(j->cc);
		ret = ingest__hit(j, &existing, 0, err);
		catalog_wheel_free(&existing);
		return ret;
	}
	if (ret != -ENOENT)
		goto fail;
	for (size_t i = 0; i < j->n_objs; i++) {
		struct ingest__obj *o = &j->objs[i];
		if ((ret = catalog_object_put(j->cc, o->sha, o->exec, o->size, &o->id, NULL, err)) <
		    0)
			goto fail;
	}
	if ((ret = catalog_wheel_insert(j->cc, w, &w->id, err)) < 0)
		goto fail;
	for (size_t i = 0; i < j->zi.n; i++) {
		const struct zip_entry *ze = &j->zi.v[i];
		const struct ingest__obj *o;
		if (ze->is_dir)
			continue;
		o = &j->objs[j->m[i].obj];
		if ((ret = catalog_member_insert(j->cc, w->id, ze->name, o->id, ze->uncomp_size,
						 o->exec, err)) < 0)
			goto fail;
	}
	if ((!(j->flags & INGEST_NO_STATCACHE) &&
	     (ret = catalog_statcache_put(j->cc, (uint64_t)j->st.st_dev, (uint64_t)j->st.st_ino,
					  (uint64_t)j->st.st_size, ingest__mtime_ns(&j->st),
					  j->path, j->sha, err)) < 0) ||
	    (ret = catalog_counter_add(j->cc, "misses", 1, err)) < 0 ||
	    (ret = catalog_commit(j->cc, err)) < 0)
		goto fail;
	return 0;
fail:
	catalog_rollback(j->cc);
	return ret;
}

/* Step 5 for n staged jobs: sync, link, sync, commit each (see ingest_int.h). */
int ingest__publish_jobs(const struct ingest_ctx *ix, struct ingest__job *const *jobs, size_t n,
			 size_t *failed, struct err *err)
{
	struct store *s = ix->store;
	int any_tmp = 0, need_sync = 0, ret;
	size_t i;

	for (i = 0; i < n; i++)
		if ((ret = ingest__sync_needs(jobs[i], &any_tmp, &need_sync, err)) < 0)
			goto fail_job;
	i = n;
	if ((ret = failpoint_hit(ix->fp, "ingest-before-publish")) < 0) {
		ret = err_set(err, ret, "failure point ingest-before-publish");
		goto fail_job;
	}
	if (any_tmp && (ret = store_sync(s, err)) < 0)
		goto fail_job;
	for (i = 0; i < n; i++)
		if ((ret = ingest__link(jobs[i], err)) < 0)
			goto fail_job;
	i = n;
	if ((any_tmp || need_sync) && (ret = store_sync(s, err)) < 0)
		goto fail_job;
	if ((ret = failpoint_hit(ix->fp, "ingest-before-commit")) < 0) {
		ret = err_set(err, ret, "failure point ingest-before-commit");
		goto fail_job;
	}
	for (i = 0; i < n; i++)
		if ((ret = ingest__commit(jobs[i], err)) < 0)
			goto fail_job;
	return 0;
fail_job:
	if (failed)
		*failed = i;
	return ret;
}

/* Fill the catalog row for a new wheel from the file name and layout. */
void ingest__fill_wheel(struct ingest__job *j)
{
	struct catalog_wheel *w = &j->res->wheel;
	uint64_t n = 0, unpacked = 0;

	for (size_t i = 0; i < j->zi.n; i++)
		if (!j->zi.v[i].is_dir) {
			n++;
			unpacked += j->zi.v[i].uncomp_size;
		}
	memcpy(w->sha256, j->sha, 32);
	w->filename = xstrdup(j->base);
	w->norm_name = xstrdup(j->wn.norm_name);
	w->version = xstrdup(j->wn.version);
	w->build_tag = j->wn.build ? xstrdup(j->wn.build) : NULL;
	w->tags = xasprintf("%s-%s-%s", j->wn.py_tags, j->wn.abi_tags, j->wn.plat_tags);
	w->dist_info = xstrdup(j->layout.dist_info);
	w->source_path = xstrdup(j->path);
	w->size = (uint64_t)j->st.st_size;
	w->n_members = n;
	w->unpacked_size = unpacked;
	w->added_at = w->last_used_at = (int64_t)time(NULL);
}

/* Steps 1 and 2: the stat cache, then the file's SHA-256; 1 on a hit, 0 on a miss. */
int ingest__lookup(struct ingest__job *j, struct err *err)
{
	struct catalog_wheel w;
	uint8_t sha[32];
	int ret;

	ret = j->flags & INGEST_NO_STATCACHE
		  ? -ENOENT
		  : catalog_statcache_get(j->cc, (uint64_t)j->st.st_dev, (uint64_t)j->st.st_ino,
					  (uint64_t)j->st.st_size, ingest__mtime_ns(&j->st), sha,
					  err);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (ret == 0 && catalog_wheel_by_sha(j->cc, sha, &w, NULL) == 0) {
		if (w.state == CATALOG_WHEEL_OK && strcmp(w.filename, j->base) == 0) {
			ret = ingest__hit(j, &w, 1, err);
			catalog_wheel_free(&w);
			return ret < 0 ? ret : 1;
		}
		catalog_wheel_free(&w);
	}
	if ((ret = ingest__hash_file(j, err)) < 0)
		return ret;
	ret = catalog_wheel_by_sha(j->cc, j->sha, &w, err);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (w.state != CATALOG_WHEEL_OK) {
		catalog_wheel_free(&w);
		return 0;
	}
	ret = ingest__same_name(j, &w, err);
	if (ret == 0)
		ret = ingest__hit(j, &w, 0, err);
	catalog_wheel_free(&w);
	return ret < 0 ? ret : 1;
}
