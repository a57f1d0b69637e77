/*
 * verify_store.c: the startup scan and `whlc cache verify`.
 *
 * Both compare each fan-out directory of the store with the catalog rows of
 * the same prefix. The rows are read before the directory, so a row names a
 * file published before the listing: a row without a file is really missing.
 * A file without a row may be an ingest's object not yet committed: files
 * younger than the grace period are left alone. A temporary is a leftover
 * only when no ingest that could have written it is still in flight.
 *
 * The startup scan (background, in slices of 16 fan-outs) adopts unknown
 * objects whose content matches their name, removes (quarantines) the others,
 * and marks rows whose file is missing (repaired on next use). It skips the
 * fan-outs whose directory mtime equals the one recorded at the last clean
 * shutdown (meta "store_snapshot", deleted at startup so a crash forces a
 * full scan): a restart after a clean stop reads 256 directory stats.
 *
 * verify lists everything (phase 1), hashes every object on disk in parallel
 * (phase 2), then classifies, checks the catalog and repairs (phase 3).
 *
 * Extra copies of objects at the link limit (store_copy.h) are hashed like
 * objects and checked after them (an object adopted meanwhile owns its
 * copies): a copy is corrupt, has a wrong mode, or is unknown (its object left
 * the catalog). The startup scan removes unknown ones (cache_sweep_copies).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "catalog_life.h"
#include "daemon.h"
#include "lifecycle.h"
#include "store_check.h"
#include "store_copy.h"
#include "strbuf.h"
#include "xalloc.h"

/* One entry of a fan-out: a file, a row, or both. */
struct vs__ent {
	char rel[STORE_RELPATH_MAX + 256]; /* path relative to objects/ */
	uint8_t sha[32];
	int exec;
	int valid_name; /* rel parses as an object name */
	int on_disk;
	int has_row;
	int young; /* file changed within the grace period */
	int copy;  /* an extra copy: rel is "../copies/<name>" */
	struct life_object row;
	struct store_check ck;
};

struct vs__list {
	size_t n, cap;
	struct vs__ent *v;
};

struct vs__priv {
	struct vs__list l;
	char **tmps; /* stray temporaries (older than the grace period) */
	size_t n_tmps;
};

/* Where copies are, relative to objects/ (store_quarantine takes such paths). */
#define VS_COPIES "../copies/"

/* Append an empty entry. */
static struct vs__ent *vs__push(struct vs__list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* Order rows by (sha256, exec). */
static int vs__cmp_row(const void *a, const void *b)
{
	const struct life_object *x = a, *y = b;
	int c = memcmp(x->sha256, y->sha256, 32);

	return c ? c : x->exec - y->exec;
}

/* 1 when st changed after limit (unix seconds). */
static int vs__young(const struct stat *st, int64_t limit)
{
	return st->st_mtim.tv_sec > limit || st->st_ctim.tv_sec > limit;
}

/*
 * List fan-out fan: rows first, then the directory. Appends one entry per
 * row and per file to l. A missing directory lists the rows only.
 */
static int vs__list_fanout(struct cache *c, struct catalog_conn *cc, unsigned fan,
			   int64_t young_limit, struct vs__list *l, struct err *err)
{
	struct life_objv rows = {0};
	char dname[9];
	char *seen = NULL;
	DIR *d = NULL;
	struct dirent *de;
	int fd, ret;

	snprintf(dname, sizeof(dname), "%02x", fan & 0xffu);
	if ((ret = catalog_life_fanout(cc, fan, &rows, err)) < 0)
		return ret;
	if (rows.n > 1)
		qsort(rows.v, rows.n, sizeof(rows.v[0]), vs__cmp_row);
	seen = xcalloc(rows.n ? rows.n : 1, 1);
	fd = openat(c->store.objects_fd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT) {
		ret = err_set(err, -errno, "cannot open %s/%s: %s", c->store.objects, dname,
			      strerror(errno));
		goto out;
	}
	if (fd >= 0 && (d = fdopendir(fd)) == NULL) {
		close(fd);
		ret = err_set(err, -errno, "cannot read %s/%s: %s", c->store.objects, dname,
			      strerror(errno));
		goto out;
	}
	while (d && (de = readdir(d)) != NULL) {
		struct vs__ent *e;
		struct life_object key;
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		e = vs__push(l);
		snprintf(e->rel, sizeof(e->rel), "%s/%s", dname, de->d_name);
		e->on_disk = 1;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			e->young = vs__young(&st, young_limit);
		if (store_parse_name(dname, de->d_name, e->sha, &e->exec) < 0)
			continue;
		e->valid_name = 1;
		memcpy(key.sha256, e->sha, 32);
		key.exec = e->exec;
		struct life_object *r =
		    rows.n ? bsearch(&key, rows.v, rows.n, sizeof(rows.v[0]), vs__cmp_row) : NULL;
		if (r) {
			e->has_row = 1;
			e->row = *r;
			seen[r - rows.v] = 1;
		}
	}
	for (size_t i = 0; i < rows.n; i++) {
		struct vs__ent *e;
		if (seen[i])
			continue;
		e = vs__push(l);
		e->has_row = 1;
		e->valid_name = 1;
		e->row = rows.v[i];
		memcpy(e->sha, rows.v[i].sha256, 32);
		e->exec = rows.v[i].exec;
		store_object_relpath(e->sha, e->exec, e->rel);
	}
out:
	if (d)
		closedir(d);
	free(seen);
	life_objv_free(&rows);
	return ret;
}

/* Adopt an unknown, verified object: a row with its verification record. */
static int vs__adopt(struct catalog_conn *cc, const struct vs__ent *e, struct err *err)
{
	int64_t id;
	int ret;

	if ((ret = catalog_begin(cc, err)) < 0)
		return ret;
	if ((ret = catalog_object_put(cc, e->sha, e->exec, (uint64_t)e->ck.size, &id, NULL, err)) ==
		0 &&
	    (ret = catalog_life_set_verified(cc, id, e->ck.size, e->ck.mtime_ns, err)) == 0)
		ret = catalog_commit(cc, err);
	if (ret < 0)
		catalog_rollback(cc);
	return ret;
}

/* The mtime of a fan-out directory, or -1 when it does not exist. */
static int64_t vs__fan_mtime(struct cache *c, unsigned fan)
{
	char dname[9];
	struct stat st;

	snprintf(dname, sizeof(dname), "%02x", fan & 0xffu);
	if (fstatat(c->store.objects_fd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return store_mtime_ns(&st);
}

/* 1 when a fan-out directory is as recorded in the snapshot. */
static int vs__fan_unchanged(struct cache *c, unsigned fan)
{
	char dname[9];
	struct stat st;
	int64_t want = c->snap[fan];

	snprintf(dname, sizeof(dname), "%02x", fan & 0xffu);
	if (fstatat(c->store.objects_fd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return want == -2; /* recorded as absent and still absent */
	return want >= 0 && store_stat_matches(&st, st.st_size, want);
}

/* Startup scan of fan-outs lo..hi-1 (see the file comment). */
int cache_scan_range(struct cache *c, unsigned lo, unsigned hi, struct err *err)
{
	int64_t young = c->cfg.grace_s > 0 ? (int64_t)time(NULL) - c->cfg.grace_s : INT64_MAX;
	struct catalog_conn *cc;
	unsigned scanned = 0;
	uint64_t adopted = 0, removed = 0, missing = 0;
	int ret = 0;

	pthread_mutex_lock(&c->life_mu);
	if ((cc = catalog_acquire(&c->catalog, err)) == NULL) {
		pthread_mutex_unlock(&c->life_mu);
		return err->code ? err->code : -WHLC_ECORRUPT;
	}
	/* Copies whose object left the catalog (a crash in gc after the rows went). */
	if (lo == 0)
		ret = cache_sweep_copies(c, cc, NULL, err);
	for (unsigned fan = lo; fan < hi && ret == 0; fan++) {
		struct vs__list l = {0};
		if (vs__fan_unchanged(c, fan))
			continue;
		scanned++;
		ret = vs__list_fanout(c, cc, fan, young, &l, err);
		for (size_t i = 0; ret == 0 && i < l.n; i++) {
			struct vs__ent *e = &l.v[i];
			if (e->on_disk && !e->valid_name)
				continue; /* a stray name: verify reports it */
			if (e->on_disk && (!e->has_row || e->row.state != CATALOG_OBJECT_OK)) {
				if (e->young)
					continue;
				if ((ret = store_object_rehash(&c->store, e->sha, e->exec, &e->ck,
							       err)) < 0)
					break;
				if (e->ck.status == STORE_CHECK_CORRUPT) {
					ret = store_quarantine(&c->store, e->rel, err);
					removed++;
					continue;
				}
				if (e->ck.status == STORE_CHECK_BADMODE)
					ret = store_fix_mode(&c->store, e->sha, e->exec, err);
				if (ret == 0 && e->ck.status != STORE_CHECK_MISSING) {
					ret = vs__adopt(cc, e, err);
					adopted++;
				}
			} else if (!e->on_disk && e->row.state == CATALOG_OBJECT_OK) {
				ret = catalog_life_set_state(cc, e->row.id, CATALOG_OBJECT_MISSING,
							     err);
				missing++;
			}
		}
		free(l.v);
	}
	catalog_release(&c->catalog, cc);
	pthread_mutex_unlock(&c->life_mu);
	if (scanned && c->d)
		log_info(&c->d->log,
			 "store scan of fan-outs %02x..%02x: %u changed, %llu object(s) adopted, "
			 "%llu removed, %llu missing",
			 lo, hi - 1, scanned, (unsigned long long)adopted,
			 (unsigned long long)removed, (unsigned long long)missing);
	return ret;
}

/* Load and invalidate the clean-shutdown snapshot. */
int cache_snapshot_load(struct cache *c, struct err *err)
{
	struct catalog_conn *cc = catalog_acquire(&c->catalog, err);
	char *text = NULL;
	int ret;

	for (unsigned i = 0; i < 256; i++)
		c->snap[i] = -1;
	if (cc == NULL)
		return err->code ? err->code : -WHLC_ECORRUPT;
	ret = catalog_meta_get_text(cc, "store_snapshot", &text, err);
	if (ret == 0) {
		const char *p = text;
		for (unsigned i = 0; i < 256 && *p; i++) {
			char *end;
			long long v = strtoll(p, &end, 10);
			if (end == p || (*end != ',' && *end != '\0'))
				break;
			c->snap[i] = v;
			p = *end ? end + 1 : end;
		}
		free(text);
		ret = catalog_meta_delete(cc, "store_snapshot", err);
	} else if (ret == -ENOENT) {
		ret = 0;
	}
	catalog_release(&c->catalog, cc);
	return ret;
}

/* Record the fan-out directories' mtimes (clean close after a complete scan). */
int cache_snapshot_save(struct cache *c, struct err *err)
{
	struct catalog_conn *cc = catalog_acquire(&c->catalog, err);
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (cc == NULL)
		return err->code ? err->code : -WHLC_ECORRUPT;
	struct timespec now;
	int64_t racy;

	clock_gettime(CLOCK_REALTIME, &now);
	racy = ((int64_t)now.tv_sec - 2) * 1000000000 + now.tv_nsec;

	for (unsigned i = 0; i < 256; i++) {
		int64_t m = vs__fan_mtime(c, i);
		/* Changed in the last seconds: a later change within the same clock tick
		 * would keep this mtime, so scan it next time (git's "racy" entries). */
		if (m > racy) {
			strbuf_addf(&sb, "%s-1", i ? "," : "");
			continue;
		}
		strbuf_addf(&sb, "%s%lld", i ? "," : "", (long long)(m < 0 ? -2 : m));
	}
	ret = catalog_meta_set_text(cc, "store_snapshot", sb.buf, err);
	strbuf_free(&sb);
	catalog_release(&c->catalog, cc);
	return ret;
}

/* Add a problem to the report. */
static struct cache_problem *vs__problem(struct cache_verify *v, const char *kind,
					 const char *object, char *detail)
{
	struct cache_problem *p;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
	}
	p = &v->v[v->n++];
	p->kind = xstrdup(kind);
	p->object = xstrdup(object);
	p->detail = detail;
	p->repaired = 0;
	return p;
}

/* Phase 1: list objects on disk and in the catalog, and stray temporaries. */
int cache_verify_list(struct cache *c, struct cache_verify *v, struct err *err)
{
	struct vs__priv *pv = xcalloc(1, sizeof(*pv));
	int64_t young = c->cfg.grace_s > 0 ? (int64_t)time(NULL) - c->cfg.grace_s : INT64_MAX;
	struct catalog_conn *cc = catalog_acquire(&c->catalog, err);
	int ret = 0, dfd;
	DIR *d;
	struct dirent *de;

	v->priv = pv;
	if (cc == NULL)
		return err->code ? err->code : -WHLC_ECORRUPT;
	for (unsigned fan = 0; fan < 256 && ret == 0; fan++)
		ret = vs__list_fanout(c, cc, fan, young, &pv->l, err);
	catalog_release(&c->catalog, cc);
	if (ret < 0)
		return ret;
	/* Names in objects/ that are not fan-out directories. */
	if ((dfd = dup(c->store.objects_fd)) >= 0 && (d = fdopendir(dfd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			const char *nm = de->d_name;
			int ok = strlen(nm) == 2 && strspn(nm, "0123456789abcdef") == 2;
			if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 ||
			    (ok && de->d_type == DT_DIR))
				continue;
			struct vs__ent *e = vs__push(&pv->l);
			snprintf(e->rel, sizeof(e->rel), "%s", nm);
			e->on_disk = 1;
		}
		closedir(d);
	}
	/* Extra copies (store_copy.h). */
	if ((dfd = dup(c->store.copies_fd)) >= 0 && (d = fdopendir(dfd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			struct vs__ent *e = vs__push(&pv->l);
			unsigned k;
			snprintf(e->rel, sizeof(e->rel), VS_COPIES "%s", de->d_name);
			e->on_disk = e->copy = 1;
			e->valid_name = store_copy_parse(de->d_name, e->sha, &e->exec, &k) == 0;
		}
		closedir(d);
	}
	/* Temporaries: an ingest in flight owns its own. Asked before fstatat: a file that
	 * still exists after its writer ended was leaked, whatever the grace period. */
	if ((dfd = dup(c->store.tmp_fd)) >= 0 && (d = fdopendir(dfd)) != NULL) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			struct stat st;
			if (de->d_name[0] == '.' || store_tmp_in_flight(&c->store, de->d_name) ||
			    fstatat(c->store.tmp_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			pv->tmps = xreallocarray(pv->tmps, pv->n_tmps + 1, sizeof(char *));
			pv->tmps[pv->n_tmps++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	return 0;
}

/* Phase 2: hash worker k of jobs. */
void cache_verify_hash(struct cache *c, struct cache_verify *v, unsigned k, unsigned jobs)
{
	struct vs__priv *pv = v->priv;
	uint64_t bytes = 0, n = 0;

	for (size_t i = k; i < pv->l.n; i += jobs) {
		struct vs__ent *e = &pv->l.v[i];
		struct err e2;
		if (!e->on_disk || !e->valid_name)
			continue;
		if ((e->copy ? store_copy_rehash(&c->store, e->rel + strlen(VS_COPIES), &e->ck, &e2)
			     : store_object_rehash(&c->store, e->sha, e->exec, &e->ck, &e2)) < 0) {
			e->ck.status = STORE_CHECK_MISSING; /* unreadable: reported below */
			continue;
		}
		bytes += (uint64_t)e->ck.size;
		n += !e->copy; /* a copy is the same object */
	}
	__atomic_add_fetch(&v->bytes_hashed, bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&v->objects, n, __ATOMIC_RELAXED);
}

/* Phase 3 for one entry: report and (when asked) repair it. */
static int vs__finish_ent(struct cache *c, struct catalog_conn *cc, struct cache_verify *v,
			  struct vs__ent *e, struct err *err)
{
	struct cache_problem *p;
	int ret = 0;

	if (e->on_disk && !e->valid_name) {
		p = vs__problem(v, "stray", e->rel, xstrdup("not an object name"));
		if (v->repair && store_quarantine(&c->store, e->rel, err) == 0)
			p->repaired = 1;
		return 0;
	}
	if (e->on_disk && !e->has_row) {
		if (e->young)
			return 0; /* an ingest in flight may name it in a moment */
		/* A gc running meanwhile unlinks files whose rows it deleted; an ingest
		 * commits rows for files it published: look both up again. */
		struct life_object now;
		struct err e2 = {0};
		if (faccessat(c->store.objects_fd, e->rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			return 0;
		if (e->valid_name && catalog_life_object(cc, e->sha, e->exec, &now, &e2) == 0)
			return 0;
		/* Published, not yet committed by an ingest still in flight. */
		if (e->valid_name && e->ck.status != STORE_CHECK_CORRUPT &&
		    store_writers_active(&c->store) > 0)
			return 0;
		if (e->ck.status == STORE_CHECK_CORRUPT) {
			p = vs__problem(v, "unknown", e->rel,
					xstrdup("unknown to the catalog, and its content does not "
						"match its name"));
			if (v->repair && store_quarantine(&c->store, e->rel, err) == 0)
				p->repaired = 1;
			return 0;
		}
		p = vs__problem(v, "unknown", e->rel, xstrdup("unknown to the catalog"));
		if (v->repair && e->ck.status != STORE_CHECK_MISSING) {
			if (e->ck.status == STORE_CHECK_BADMODE &&
			    (ret = store_fix_mode(&c->store, e->sha, e->exec, err)) < 0)
				return ret;
			if ((ret = vs__adopt(cc, e, err)) < 0)
				return ret;
			p->repaired = 1;
			free(p->detail);
			p->detail = xstrdup("unknown to the catalog (adopted: content verified)");
		}
		return 0;
	}
	if (!e->on_disk || e->ck.status == STORE_CHECK_MISSING) {
		/* A gc running meanwhile deletes the row, then the file: a row gone now
		 * was not missing. */
		struct life_object now;
		struct err e2 = {0};
		if (catalog_life_object(cc, e->sha, e->exec, &now, &e2) == -ENOENT)
			return 0;
		p = vs__problem(
		    v, "missing", e->rel,
		    xasprintf("the catalog names object %lld, which is not in the store",
			      (long long)e->row.id));
		if (v->repair) {
			if ((ret = cache_object_damaged(c, cc, e->row.id, &v->notes, &v->n_notes,
							err)) < 0)
				return ret;
			p->repaired = 1;
		}
		return 0;
	}
	if (e->ck.status == STORE_CHECK_CORRUPT) {
		p = vs__problem(v, "corrupt", e->rel,
				xstrdup("its content does not match its name (changed in place, "
					"e.g. through a venv's hardlink)"));
		if (v->repair) {
			if ((ret = store_quarantine(&c->store, e->rel, err)) < 0 ||
			    (ret = cache_object_damaged(c, cc, e->row.id, &v->notes, &v->n_notes,
							err)) < 0)
				return ret;
			p->repaired = 1;
		}
		return 0;
	}
	if (e->ck.status == STORE_CHECK_BADMODE) {
		p = vs__problem(
		    v, "mode", e->rel,
		    xasprintf("mode %04o, should be %04o", e->ck.mode, e->exec ? 0555u : 0444u));
		if (v->repair && (ret = store_fix_mode(&c->store, e->sha, e->exec, err)) < 0)
			return ret;
		p->repaired = v->repair;
	}
	if (e->row.state != CATALOG_OBJECT_OK) {
		p = vs__problem(v, "state", e->rel,
				xstrdup("the catalog marks it missing or quarantined, but it is "
					"intact"));
		if (v->repair &&
		    (ret = catalog_life_set_state(cc, e->row.id, CATALOG_OBJECT_OK, err)) < 0)
			return ret;
		p->repaired = v->repair;
	}
	if (v->repair &&
	    (ret = catalog_life_set_verified(cc, e->row.id, e->ck.size, e->ck.mtime_ns, err)) < 0)
		return ret;
	return 0;
}

/* Phase 3 for an extra copy (after every object: adoption may have made its row). */
static int vs__finish_copy(struct cache *c, struct catalog_conn *cc, struct cache_verify *v,
			   struct vs__ent *e, struct err *err)
{
	const char *name = e->rel + strlen(VS_COPIES);
	struct cache_problem *p;
	struct life_object now;
	int ret;

	if (!e->valid_name) {
		p = vs__problem(v, "stray", e->rel, xstrdup("not the name of an extra copy"));
		if (v->repair && store_quarantine(&c->store, e->rel, err) == 0)
			p->repaired = 1;
		return 0;
	}
	if (faccessat(c->store.copies_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return 0; /* removed meanwhile (gc) */
	ret = catalog_life_object(cc, e->sha, e->exec, &now, err);
	if (ret == -ENOENT) {
		p = vs__problem(v, "unknown", e->rel,
				xstrdup("an extra copy of an object the catalog does not know"));
		if (v->repair && unlinkat(c->store.copies_fd, name, 0) == 0)
			p->repaired = 1;
		return 0;
	}
	if (ret < 0)
		return ret;
	if (e->ck.status == STORE_CHECK_CORRUPT) {
		p = vs__problem(
		    v, "corrupt", e->rel,
		    xstrdup("this extra copy's content does not match its name (changed "
			    "in place, e.g. through a venv's hardlink)"));
		if (v->repair && store_quarantine(&c->store, e->rel, err) == 0)
			p->repaired = 1; /* made again by the next install that needs it */
	} else if (e->ck.status == STORE_CHECK_BADMODE) {
		p = vs__problem(
		    v, "mode", e->rel,
		    xasprintf("mode %04o, should be %04o", e->ck.mode, e->exec ? 0555u : 0444u));
		if (v->repair && fchmodat(c->store.copies_fd, name, e->exec ? 0555 : 0444, 0) == 0)
			p->repaired = 1;
	}
	return 0;
}

/* Phase 3: classify, check the catalog, repair when asked. */
int cache_verify_finish(struct cache *c, struct cache_verify *v, struct err *err)
{
	struct vs__priv *pv = v->priv;
	struct catalog_conn *cc;
	char **cat = NULL;
	size_t n_cat = 0;
	int ret = 0;

	if (v->repair)
		pthread_mutex_lock(&c->life_mu);
	if ((cc = catalog_acquire(&c->catalog, err)) == NULL) {
		ret = err->code ? err->code : -WHLC_ECORRUPT;
		goto out;
	}
	for (size_t i = 0; i < pv->l.n && ret == 0; i++)
		if (!pv->l.v[i].copy)
			ret = vs__finish_ent(c, cc, v, &pv->l.v[i], err);
	for (size_t i = 0; i < pv->l.n && ret == 0; i++)
		if (pv->l.v[i].copy)
			ret = vs__finish_copy(c, cc, v, &pv->l.v[i], err);
	for (size_t i = 0; i < pv->n_tmps && ret == 0; i++) {
		char *rel = xasprintf("../tmp/%s", pv->tmps[i]);
		struct cache_problem *p =
		    vs__problem(v, "temporary", rel, xstrdup("a leftover temporary file"));
		free(rel);
		if (v->repair && unlinkat(c->store.tmp_fd, pv->tmps[i], 0) == 0)
			p->repaired = 1;
	}
	if (ret == 0)
		ret = catalog_life_check(cc, &cat, &n_cat, err);
	for (size_t i = 0; i < n_cat; i++) {
		vs__problem(v, "catalog", "catalog.db", cat[i]);
	}
	free(cat);
	catalog_release(&c->catalog, cc);
out:
	if (v->repair)
		pthread_mutex_unlock(&c->life_mu);
	return ret;
}

/* Release a verification. */
void cache_verify_free(struct cache_verify *v)
{
	struct vs__priv *pv = v->priv;

	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].kind);
		free(v->v[i].object);
		free(v->v[i].detail);
	}
	free(v->v);
	for (size_t i = 0; i < v->n_notes; i++)
		free(v->notes[i]);
	free(v->notes);
	if (pv) {
		free(pv->l.v);
		for (size_t i = 0; i < pv->n_tmps; i++)
			free(pv->tmps[i]);
		free(pv->tmps);
		free(pv);
	}
	memset(v, 0, sizeof(*v));
}
