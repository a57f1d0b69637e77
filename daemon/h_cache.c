/* h_cache.c: cache-add, cache-stats and cache-dir requests. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "daemon.h"
#include "h_life.h"
#include "handlers.h"
#include "hash.h"
#include "lifecycle.h"
#include "proto.h"
#include "store_copy.h"
#include "userfile.h"
#include "xalloc.h"

#define H_CACHE_MAX_WHEELS 10000
#define H_CACHE_MAX_PATH   4096

struct h_add;

/* One wheel of a cache-add: ingested by one thread-pool work item. */
struct h_add_item {
	struct h_add *batch;
	char *path;
	int64_t fd_index; /* descriptor the client passed, -1: none */
	struct ingest_result res;
	struct err err;
	int rc;
	uint64_t ms;
};

/* A cache-add request: its wheels run in parallel; the reply waits for all. */
struct h_add {
	size_t n, pending;
	char **paths;
	struct h_add_item *items;
};

/* Milliseconds of a monotonic clock. */
static uint64_t h_cache__ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Pack a finished map as the next value of a packer. */
static void h_cache__pack_map(msgpack_packer *pk, const struct msg_map *m)
{
	struct strbuf sb = STRBUF_INIT;

	msg_map_encode(m, &sb);
	pk->callback(pk->data, sb.buf, sb.len);
	strbuf_free(&sb);
}

/* Describe one wheel's outcome as a map (also used for progress events). */
static void h_cache__item_map(const struct h_add_item *it, struct msg_map *m)
{
	const struct catalog_wheel *w = &it->res.wheel;
	char hex[HASH_SHA256_HEX_LEN + 1];

	msg_add_str(m, "path", it->path);
	msg_add_bool(m, "ok", it->rc == 0);
	if (it->rc < 0) {
		msg_add_str(m, "code", err_code_name(it->err.code ? it->err.code : it->rc));
		msg_add_str(m, "error", it->err.msg);
		return;
	}
	hash_to_hex(w->sha256, 32, hex);
	msg_add_str(m, "status", it->res.cached ? "cached" : "added");
	msg_add_bool(m, "stat_hit", it->res.stat_hit);
	msg_add_int(m, "wheel_id", w->id);
	msg_add_str(m, "sha256", hex);
	msg_add_str(m, "name", w->norm_name);
	msg_add_str(m, "version", w->version);
	msg_add_str(m, "tags", w->tags);
	msg_add_str(m, "dist_info", w->dist_info);
	msg_add_bool(m, "purelib", w->purelib);
	msg_add_uint(m, "files", w->n_members);
	msg_add_uint(m, "size", w->size);
	msg_add_uint(m, "unpacked_size", w->unpacked_size);
	msg_add_uint(m, "new_objects", it->res.new_objects);
	msg_add_uint(m, "bytes_read", it->res.bytes_read);
	msg_add_uint(m, "ms", it->ms);
	msg_add_str_array(m, "warnings", (const char *const *)it->res.warnings, it->res.n_warnings);
}

/* Worker: ingest one wheel and report it as a progress event. */
static void h_add_work(struct req *req, void *arg)
{
	struct h_add_item *it = arg;
	uint64_t t0 = h_cache__ms();
	struct msg_map ev;

	err_clear(&it->err);
	if (req_client_gone(req))
		it->rc = err_set(&it->err, -ECANCELED, "%s: client went away", it->path);
	else
		it->rc = userfile_ingest(req, it->path, it->fd_index, &it->res, &it->err);
	it->ms = h_cache__ms() - t0;
	msg_map_init(&ev);
	msg_add_str(&ev, "event", "wheel");
	h_cache__item_map(it, &ev);
	req_event(req, &ev);
	msg_map_free(&ev);
}

/* Loop: log one wheel; reply once every wheel is done. */
static void h_add_done(struct req *req, void *arg, int status)
{
	struct h_add_item *it = arg;
	struct h_add *b = it->batch;
	struct daemon *d = req_daemon(req);
	struct msg_map m;
	msgpack_packer *pk;
	uint64_t failed = 0;

	if (status < 0 && it->rc == 0)
		it->rc = err_set(&it->err, -ECANCELED, "%s: not ingested (cancelled)", it->path);
	if (it->rc < 0)
		log_warn(&d->log, "cache add: %s", it->err.msg);
	else
		log_info(&d->log,
			 "cache add: %s: %s%s (%llu files, %llu new objects, %llu bytes hashed, "
			 "%llu ms)",
			 it->path, it->res.cached ? "cached" : "added",
			 it->res.stat_hit ? " (stat cache)" : "",
			 (unsigned long long)it->res.wheel.n_members,
			 (unsigned long long)it->res.new_objects,
			 (unsigned long long)it->res.bytes_read, (unsigned long long)it->ms);
	if (--b->pending > 0)
		return;
	cache_note_growth(d);
	msg_map_init(&m);
	pk = msg_add_key(&m, "results");
	msgpack_pack_array(pk, (uint32_t)b->n);
	for (size_t i = 0; i < b->n; i++) {
		struct msg_map r;
		msg_map_init(&r);
		h_cache__item_map(&b->items[i], &r);
		h_cache__pack_map(pk, &r);
		msg_map_free(&r);
		failed += b->items[i].rc < 0;
	}
	msg_add_uint(&m, "failed", failed);
	req_reply_ok(req, &m);
	msg_map_free(&m);
	for (size_t i = 0; i < b->n; i++)
		ingest_result_free(&b->items[i].res);
	free(b->items);
	msg_strv_free(b->paths);
	free(b);
}

/*
 * cache-add {paths: [abs path...], path_fds?: [descriptor index or -1...]}
 * -> {results: [...], failed}; wheels in parallel. The system daemon only
 * reads wheels passed open (path_fds); paths then only name them.
 */
void h_cache_add(struct req *req, const msgpack_object *body)
{
	struct daemon *d = req_daemon(req);
	struct h_add *b;
	struct err e;
	size_t n = 0;
	char **paths = NULL;
	int64_t *fdi = NULL;

	if (d->cache == NULL) {
		req_reply_error(req, -WHLC_ECORRUPT, "the cache is not open");
		return;
	}
	if (msg_get_str_array(body, "paths", true, H_CACHE_MAX_WHEELS, H_CACHE_MAX_PATH, &paths, &n,
			      &e) < 0) {
		req_reply_err(req, &e);
		return;
	}
	if (n == 0) {
		msg_strv_free(paths);
		req_reply_error(req, -EINVAL, "cache add needs at least one wheel");
		return;
	}
	if (userfile_indexes(body, "path_fds", n, &fdi, &e) < 0) {
		msg_strv_free(paths);
		free(fdi);
		req_reply_err(req, &e);
		return;
	}
	b = xcalloc(1, sizeof(*b));
	b->n = b->pending = n;
	b->paths = paths;
	b->items = xcalloc(n, sizeof(*b->items));
	for (size_t i = 0; i < n; i++) {
		b->items[i].batch = b;
		b->items[i].path = paths[i];
		b->items[i].fd_index = fdi[i];
	}
	free(fdi);
	for (size_t i = 0; i < n; i++) {
		int rc = req_queue_work(req, h_add_work, h_add_done, &b->items[i]);
		if (rc < 0) {
			b->items[i].rc =
			    err_set(&b->items[i].err, -EIO, "%s: cannot queue work: %s", paths[i],
				    uv_strerror(rc));
			h_add_done(req, &b->items[i], 0);
		}
	}
}

/* Result of a cache-stats worker. */
struct h_stats {
	struct catalog_stats st;
	struct h_life_stats life;
	uint64_t copies; /* extra copies at the link limit (store_copy.h) */
	struct err err;
	int rc;
};

/* Worker: read the totals from the catalog. */
static void h_stats_work(struct req *req, void *arg)
{
	struct h_stats *s = arg;
	struct catalog *cat = &req_daemon(req)->cache->catalog;
	struct catalog_conn *cc = catalog_acquire(cat, &s->err);

	if (cc == NULL) {
		s->rc = s->err.code ? s->err.code : -WHLC_ECORRUPT;
		return;
	}
	s->rc = catalog_stats(cc, &s->st, &s->err);
	if (s->rc == 0)
		s->rc = h_life_stats_fill(req_daemon(req)->cache, cc, &s->life, &s->err);
	catalog_release(cat, cc);
	/* Extra copies are bytes on disk of objects already counted. */
	uint64_t copy_bytes = 0;
	if (s->rc == 0)
		s->rc = store_copy_usage(&req_daemon(req)->cache->store, &s->copies, &copy_bytes,
					 &s->err);
	s->st.disk_bytes += copy_bytes;
}

/* Loop: reply with the totals. */
static void h_stats_done(struct req *req, void *arg, int status)
{
	struct h_stats *s = arg;
	struct daemon *d = req_daemon(req);
	struct msg_map m;

	if (status < 0 || s->rc < 0) {
		h_life_stats_add(&s->life, NULL);
		if (s->rc < 0)
			req_reply_err(req, &s->err);
		else
			req_reply_error(req, -ECANCELED, "cache stats cancelled");
		free(s);
		return;
	}
	msg_map_init(&m);
	msg_add_str(&m, "cache_dir", d->cache_dir);
	msg_add_uint(&m, "wheels", s->st.wheels);
	msg_add_uint(&m, "objects", s->st.objects);
	msg_add_uint(&m, "files", s->st.members);
	msg_add_uint(&m, "logical_bytes", s->st.logical_bytes);
	msg_add_uint(&m, "disk_bytes", s->st.disk_bytes);
	msg_add_uint(&m, "extra_copies", s->copies);
	msg_add_double(&m, "dedup_ratio",
		       s->st.disk_bytes ? (double)s->st.logical_bytes / (double)s->st.disk_bytes
					: 1.0);
	msg_add_uint(&m, "hits", s->st.hits);
	msg_add_uint(&m, "misses", s->st.misses);
	h_life_stats_add(&s->life, &m);
	req_reply_ok(req, &m);
	msg_map_free(&m);
	free(s);
}

/* cache-stats {} -> {wheels, objects, files, logical_bytes, disk_bytes, dedup_ratio, ...}. */
void h_cache_stats(struct req *req, const msgpack_object *body)
{
	struct h_stats *s;
	int rc;

	if (req_daemon(req)->cache == NULL) {
		req_reply_error(req, -WHLC_ECORRUPT, "the cache is not open");
		return;
	}
	s = xcalloc(1, sizeof(*s));
	if ((rc = req_queue_work(req, h_stats_work, h_stats_done, s)) < 0) {
		free(s);
		req_reply_error(req, -EIO, "cannot queue work: %s", uv_strerror(rc));
	}
}

/* cache-dir {} -> {cache_dir, store_dir, catalog}. */
void h_cache_dir(struct req *req, const msgpack_object *body)
{
	struct daemon *d = req_daemon(req);
	struct msg_map m;

	msg_map_init(&m);
	msg_add_str(&m, "cache_dir", d->cache_dir);
	if (d->cache) {
		msg_add_str(&m, "store_dir", d->cache->store.root);
		msg_add_str(&m, "catalog", d->cache->catalog_path);
	}
	req_reply_ok(req, &m);
	msg_map_free(&m);
}
