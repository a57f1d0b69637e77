/* h_life.c: cache-prune, cache-gc, cache-clear, cache-verify, test-pin; stats fields. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "catalog_life.h"
#include "daemon.h"
#include "h_life.h"
#include "handlers.h"
#include "lifecycle.h"
#include "proto.h"
#include "xalloc.h"

/* Worker: read counters and meta. */
static void h_life__counter(const char *name, int64_t value, void *arg)
{
	struct h_life_stats *s = arg;

	s->names = xreallocarray(s->names, s->n + 1, sizeof(char *));
	s->values = xreallocarray(s->values, s->n + 1, sizeof(int64_t));
	s->names[s->n] = xstrdup(name);
	s->values[s->n++] = value;
}

/* Worker: read counters and meta for cache-stats. */
int h_life_stats_fill(struct cache *c, struct catalog_conn *cc, struct h_life_stats *s,
		      struct err *err)
{
	int ret;

	s->max_size = c->cfg.max_size;
	s->grace_s = c->cfg.grace_s;
	pthread_mutex_lock(&c->pin_mu);
	s->pinned = c->n_pins;
	pthread_mutex_unlock(&c->pin_mu);
	if ((ret = catalog_life_counters(cc, h_life__counter, s, err)) < 0 ||
	    (ret = catalog_life_sizes(cc, &s->live_bytes, NULL, err)) < 0)
		return ret;
	ret = catalog_meta_get_int(cc, "last_eviction", &s->last_eviction, err);
	return ret == -ENOENT ? 0 : ret;
}

/* Loop: add the fields to a cache-stats reply (m may be NULL) and free s. */
void h_life_stats_add(struct h_life_stats *s, struct msg_map *m)
{
	struct msg_map inst;
	uint64_t saved = 0;

	msg_map_init(&inst);
	for (size_t i = 0; m && i < s->n; i++) {
		size_t pl = strlen(CACHE_COUNTER_INSTALLS_PREFIX);
		if (strncmp(s->names[i], CACHE_COUNTER_INSTALLS_PREFIX, pl) == 0)
			msg_add_int(&inst, s->names[i] + pl, s->values[i]);
		else if (strcmp(s->names[i], CACHE_COUNTER_BYTES_LINKED) == 0)
			saved = (uint64_t)s->values[i];
	}
	if (m) {
		msg_add_map(m, "installs", &inst);
		msg_add_uint(m, "bytes_saved", saved);
		msg_add_uint(m, "referenced_bytes", s->live_bytes);
		msg_add_uint(m, "max_size", s->max_size);
		msg_add_int(m, "grace_period", s->grace_s);
		msg_add_int(m, "last_eviction", s->last_eviction);
		msg_add_uint(m, "pinned", s->pinned);
	}
	msg_map_free(&inst);
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

/* A prune, gc or clear in flight. */
struct h_evict {
	int op; /* PROTO_CACHE_PRUNE / GC / CLEAR */
	uint64_t max_size;
	int64_t older_than;
	struct cache_evict_report rep;
	struct err err;
	int rc;
};

/* Worker: run the operation. */
static void h_evict_work(struct req *req, void *arg)
{
	struct h_evict *h = arg;
	struct cache *c = req_daemon(req)->cache;

	err_clear(&h->err);
	if (h->op == PROTO_CACHE_PRUNE)
		h->rc = cache_prune(c, h->max_size, h->older_than, &h->rep, &h->err);
	else if (h->op == PROTO_CACHE_GC)
		h->rc = cache_gc(c, &h->rep, &h->err);
	else
		h->rc = cache_clear(c, &h->rep, &h->err);
}

/* Loop: reply with the report. */
static void h_evict_done(struct req *req, void *arg, int status)
{
	struct h_evict *h = arg;
	struct daemon *d = req_daemon(req);
	struct msg_map m;

	if (status < 0)
		req_reply_error(req, -ECANCELED, "cancelled");
	else if (h->rc < 0)
		req_reply_err(req, &h->err);
	else {
		log_info(
		    &d->log,
		    "%s: %llu wheel(s) evicted, %llu object(s) (%llu bytes) removed, %llu kept "
		    "(grace period)",
		    req->def->name, (unsigned long long)h->rep.wheels,
		    (unsigned long long)h->rep.objects, (unsigned long long)h->rep.bytes,
		    (unsigned long long)h->rep.kept_grace);
		msg_map_init(&m);
		msg_add_uint(&m, "wheels_evicted", h->rep.wheels);
		msg_add_uint(&m, "objects_removed", h->rep.objects);
		msg_add_uint(&m, "bytes_freed", h->rep.bytes);
		msg_add_uint(&m, "kept_grace", h->rep.kept_grace);
		msg_add_uint(&m, "pinned_skipped", h->rep.pinned_skipped);
		msg_add_uint(&m, "referenced_bytes", h->rep.live_bytes);
		req_reply_ok(req, &m);
		msg_map_free(&m);
	}
	free(h);
}

/* Start a prune/gc/clear. */
static void h_evict_start(struct req *req, struct h_evict *h)
{
	int rc;

	if (req_daemon(req)->cache == NULL) {
		free(h);
		req_reply_error(req, -WHLC_ECORRUPT, "the cache is not open");
		return;
	}
	if ((rc = req_queue_work(req, h_evict_work, h_evict_done, h)) < 0) {
		free(h);
		req_reply_error(req, -EIO, "cannot queue work: %s", uv_strerror(rc));
	}
}

/* cache-prune {max_size?: "10G", older_than?: "7d"} -> report. */
void h_cache_prune(struct req *req, const msgpack_object *body)
{
	struct h_evict *h = xcalloc(1, sizeof(*h));
	char *size = NULL, *age = NULL;
	struct err e;

	h->op = PROTO_CACHE_PRUNE;
	h->older_than = -1;
	if (msg_get_str(body, "max_size", false, 64, &size, &e) < 0 ||
	    msg_get_str(body, "older_than", false, 64, &age, &e) < 0) {
		req_reply_err(req, &e);
		goto fail;
	}
	if (size && settings_parse_size(size, &h->max_size) < 0) {
		req_reply_error(req, -EINVAL, "--max-size wants a size like 10G or 500M, got '%s'",
				size);
		goto fail;
	}
	if (age && settings_parse_duration(age, &h->older_than) < 0) {
		req_reply_error(req, -EINVAL,
				"--older-than wants a duration like 30d, 12h or 90m, got '%s'",
				age);
		goto fail;
	}
	if (!size && !age && req_daemon(req)->cache)
		h->max_size = req_daemon(req)->cache->cfg.max_size;
	if (!size && !age && h->max_size == 0) {
		req_reply_error(req, -EINVAL,
				"no size limit is configured: give --max-size or --older-than, or "
				"set max-size in the configuration file");
		goto fail;
	}
	free(size);
	free(age);
	h_evict_start(req, h);
	return;
fail:
	free(size);
	free(age);
	free(h);
}

/* cache-gc {} -> report. */
void h_cache_gc(struct req *req, const msgpack_object *body)
{
	struct h_evict *h = xcalloc(1, sizeof(*h));

	(void)body;
	h->op = PROTO_CACHE_GC;
	h_evict_start(req, h);
}

/* cache-clear {} -> report. */
void h_cache_clear(struct req *req, const msgpack_object *body)
{
	struct h_evict *h = xcalloc(1, sizeof(*h));

	(void)body;
	h->op = PROTO_CACHE_CLEAR;
	h_evict_start(req, h);
}

/* A cache-verify in flight: list, hash in parallel, finish. */
struct h_verify {
	struct cache_verify v;
	unsigned jobs, pending;
	bool scan_first; /* the startup scan is still running: scan everything first */
	struct err err;
	int rc;
	struct timespec t0;
};

/* One hash worker's share. */
struct h_verify_job {
	struct h_verify *h;
	unsigned k;
};

static void h_verify_reply(struct req *req, struct h_verify *h);

/* Worker: phase 3. */
static void h_verify_finish_work(struct req *req, void *arg)
{
	struct h_verify *h = arg;

	h->rc = cache_verify_finish(req_daemon(req)->cache, &h->v, &h->err);
}

/* Loop: phase 3 done. */
static void h_verify_finish_done(struct req *req, void *arg, int status)
{
	struct h_verify *h = arg;

	if (status < 0 && h->rc == 0)
		h->rc = err_set(&h->err, -ECANCELED, "verify cancelled");
	h_verify_reply(req, h);
}

/* Worker: phase 2 share k. */
static void h_verify_hash_work(struct req *req, void *arg)
{
	struct h_verify_job *j = arg;

	if (!req_client_gone(req))
		cache_verify_hash(req_daemon(req)->cache, &j->h->v, j->k, j->h->jobs);
}

/* Loop: one share done; the last starts phase 3. */
static void h_verify_hash_done(struct req *req, void *arg, int status)
{
	struct h_verify_job *j = arg;
	struct h_verify *h = j->h;
	int rc;

	free(j);
	if (status < 0 && h->rc == 0)
		h->rc = err_set(&h->err, -ECANCELED, "verify cancelled");
	if (--h->pending > 0)
		return;
	if (h->rc < 0) {
		h_verify_reply(req, h);
		return;
	}
	if ((rc = req_queue_work(req, h_verify_finish_work, h_verify_finish_done, h)) < 0) {
		h->rc = err_set(&h->err, -EIO, "cannot queue work: %s", uv_strerror(rc));
		h_verify_reply(req, h);
	}
}

/* Worker: phase 1. */
static void h_verify_list_work(struct req *req, void *arg)
{
	struct h_verify *h = arg;
	struct cache *c = req_daemon(req)->cache;

	/* After a crash the startup scan adopts the objects of interrupted ingests and
	 * evictions: finish it first, so that verify reports only real problems. */
	if (h->scan_first && (h->rc = cache_scan_range(c, 0, 256, &h->err)) < 0)
		return;
	h->rc = cache_verify_list(c, &h->v, &h->err);
}

/* Loop: listing done: spread the hashing over the thread pool. */
static void h_verify_list_done(struct req *req, void *arg, int status)
{
	struct h_verify *h = arg;

	if (status < 0 && h->rc == 0)
		h->rc = err_set(&h->err, -ECANCELED, "verify cancelled");
	if (h->rc < 0) {
		h_verify_reply(req, h);
		return;
	}
	h->pending = h->jobs;
	for (unsigned k = 0; k < h->jobs; k++) {
		struct h_verify_job *j = xcalloc(1, sizeof(*j));
		j->h = h;
		j->k = k;
		int rc = req_queue_work(req, h_verify_hash_work, h_verify_hash_done, j);
		if (rc < 0) {
			if (h->rc == 0)
				h->rc = err_set(&h->err, -EIO, "cannot queue work: %s",
						uv_strerror(rc));
			h_verify_hash_done(req, j, 0);
		}
	}
}

/* Loop: the final reply. */
static void h_verify_reply(struct req *req, struct h_verify *h)
{
	struct msg_map m;
	msgpack_packer *pk;
	struct timespec t1;

	if (h->rc < 0) {
		req_reply_err(req, &h->err);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	msg_map_init(&m);
	msg_add_uint(&m, "objects", h->v.objects);
	msg_add_uint(&m, "bytes_hashed", h->v.bytes_hashed);
	msg_add_uint(&m, "jobs", h->jobs);
	msg_add_uint(
	    &m, "ms",
	    (uint64_t)((t1.tv_sec - h->t0.tv_sec) * 1000 + (t1.tv_nsec - h->t0.tv_nsec) / 1000000));
	msg_add_bool(&m, "repair", h->v.repair);
	pk = msg_add_key(&m, "problems");
	msgpack_pack_array(pk, (uint32_t)h->v.n);
	for (size_t i = 0; i < h->v.n; i++) {
		struct msg_map p;
		struct strbuf sb = STRBUF_INIT;
		msg_map_init(&p);
		msg_add_str(&p, "kind", h->v.v[i].kind);
		msg_add_str(&p, "object", h->v.v[i].object);
		msg_add_str(&p, "detail", h->v.v[i].detail);
		msg_add_bool(&p, "repaired", h->v.v[i].repaired);
		msg_map_encode(&p, &sb);
		pk->callback(pk->data, sb.buf, sb.len);
		strbuf_free(&sb);
		msg_map_free(&p);
	}
	msg_add_str_array(&m, "notes", (const char *const *)h->v.notes, h->v.n_notes);
	req_reply_ok(req, &m);
	msg_map_free(&m);
	log_info(&req_daemon(req)->log, "cache verify: %llu object(s), %zu problem(s)%s",
		 (unsigned long long)h->v.objects, h->v.n, h->v.repair ? ", repaired" : "");
out:
	cache_verify_free(&h->v);
	free(h);
}

/* cache-verify {repair?: bool} -> {problems: [...], notes, objects, bytes_hashed, ms}. */
void h_cache_verify(struct req *req, const msgpack_object *body)
{
	struct cache *c = req_daemon(req)->cache;
	struct h_verify *h;
	bool repair = false;
	struct err e;
	int rc;

	if (c == NULL) {
		req_reply_error(req, -WHLC_ECORRUPT, "the cache is not open");
		return;
	}
	if (msg_get_bool(body, "repair", false, &repair, &e) < 0) {
		req_reply_err(req, &e);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->v.repair = repair;
	h->jobs = (unsigned)c->cfg.verify_jobs;
	h->scan_first = c->scan_pending;
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	if ((rc = req_queue_work(req, h_verify_list_work, h_verify_list_done, h)) < 0) {
		free(h);
		req_reply_error(req, -EIO, "cannot queue work: %s", uv_strerror(rc));
	}
}

/* Worker of test-pin. */
struct h_pin {
	int64_t id;
	bool pin;
	struct err err;
	int rc;
};

/* Worker: pin or unpin. */
static void h_pin_work(struct req *req, void *arg)
{
	struct h_pin *p = arg;
	struct cache *c = req_daemon(req)->cache;
	struct catalog_conn *cc;

	if (!p->pin) {
		cache_unpin_wheel(c, p->id);
		return;
	}
	if ((cc = catalog_acquire(&c->catalog, &p->err)) == NULL) {
		p->rc = -WHLC_ECORRUPT;
		return;
	}
	p->rc = cache_pin_wheel(c, cc, p->id, NULL, &p->err);
	catalog_release(&c->catalog, cc);
}

/* Loop: reply. */
static void h_pin_done(struct req *req, void *arg, int status)
{
	struct h_pin *p = arg;

	if (status < 0)
		req_reply_error(req, -ECANCELED, "cancelled");
	else if (p->rc < 0)
		req_reply_err(req, &p->err);
	else
		req_reply_ok(req, NULL);
	free(p);
}

/* test-pin {wheel_id, pin: bool} (test mode only): what an install does around linking. */
void h_test_pin(struct req *req, const msgpack_object *body)
{
	struct h_pin *p = xcalloc(1, sizeof(*p));
	struct err e;
	int rc;

	p->pin = true;
	if (req_daemon(req)->cache == NULL || msg_get_int(body, "wheel_id", true, &p->id, &e) < 0 ||
	    msg_get_bool(body, "pin", false, &p->pin, &e) < 0) {
		if (req_daemon(req)->cache == NULL)
			err_set(&e, -WHLC_ECORRUPT, "the cache is not open");
		req_reply_err(req, &e);
		free(p);
		return;
	}
	if ((rc = req_queue_work(req, h_pin_work, h_pin_done, p)) < 0) {
		free(p);
		req_reply_error(req, -EIO, "cannot queue work: %s", uv_strerror(rc));
	}
}

/* A test-plan in flight. */
struct h_tplan {
	char *path;
	int64_t wheel_id;
	struct cache_plan_report rep;
	size_t members;
	struct err err;
	int rc;
};

/* Worker: ingest, then what an install does before linking (pin, plan, check), then unpin. */
static void h_tplan_work(struct req *req, void *arg)
{
	struct h_tplan *t = arg;
	struct cache *c = req_daemon(req)->cache;
	struct ingest_result res;
	struct catalog_plan plan;
	struct catalog_conn *cc;

	if ((t->rc = ingest_wheel(&c->ingest, t->path, &res, &t->err)) < 0)
		return;
	t->wheel_id = res.wheel.id;
	ingest_result_free(&res);
	if ((cc = catalog_acquire(&c->catalog, &t->err)) == NULL) {
		t->rc = -WHLC_ECORRUPT;
		return;
	}
	/* cache_install_plan, instrumented: the report of the first check. */
	if ((t->rc = cache_pin_wheel(c, cc, t->wheel_id, NULL, &t->err)) == 0) {
		if ((t->rc = catalog_wheel_plan(cc, t->wheel_id, &plan, &t->err)) == 0) {
			t->rc = cache_plan_check(c, cc, &plan, &t->rep, &t->err);
			t->members = plan.n;
			catalog_plan_free(&plan);
		}
		cache_unpin_wheel(c, t->wheel_id);
	}
	if (t->rc == 1) {
		int64_t id = t->wheel_id;
		t->rc = cache_install_plan(c, cc, t->path, NULL, &id, &plan, NULL, &t->err);
		if (t->rc == 0) {
			cache_unpin_wheel(c, id);
			catalog_plan_free(&plan);
			t->wheel_id = id;
		}
	}
	catalog_release(&c->catalog, cc);
}

/* Loop: reply with the check's report. */
static void h_tplan_done(struct req *req, void *arg, int status)
{
	struct h_tplan *t = arg;
	struct msg_map m;

	if (status < 0)
		req_reply_error(req, -ECANCELED, "cancelled");
	else if (t->rc < 0)
		req_reply_err(req, &t->err);
	else {
		msg_map_init(&m);
		msg_add_int(&m, "wheel_id", t->wheel_id);
		msg_add_uint(&m, "members", t->members);
		msg_add_uint(&m, "checked", t->rep.checked);
		msg_add_uint(&m, "rehashed", t->rep.rehashed);
		msg_add_uint(&m, "damaged", t->rep.damaged);
		msg_add_str(&m, "first_damage", t->rep.first_damage);
		req_reply_ok(req, &m);
		msg_map_free(&m);
	}
	cache_plan_report_free(&t->rep);
	free(t->path);
	free(t);
}

/* test-plan {path} (test mode only): the installer's pre-link check on a wheel file. */
void h_test_plan(struct req *req, const msgpack_object *body)
{
	struct h_tplan *t = xcalloc(1, sizeof(*t));
	struct err e;
	int rc;

	if (req_daemon(req)->cache == NULL ||
	    msg_get_str(body, "path", true, 4096, &t->path, &e) < 0) {
		if (req_daemon(req)->cache == NULL)
			err_set(&e, -WHLC_ECORRUPT, "the cache is not open");
		req_reply_err(req, &e);
		free(t);
		return;
	}
	if ((rc = req_queue_work(req, h_tplan_work, h_tplan_done, t)) < 0) {
		free(t->path);
		free(t);
		req_reply_error(req, -EIO, "cannot queue work: %s", uv_strerror(rc));
	}
}
