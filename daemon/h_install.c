/* h_install.c: install, uninstall, list and verify requests (issue 5). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "daemon.h"
#include "h_venv.h"
#include "handlers.h"
#include "install.h"
#include "installed.h"
#include "layout.h"
#include "lifecycle.h"
#include "proto.h"
#include "userfile.h"
#include "venv.h"
#include "wheel_name.h"
#include "xalloc.h"

#define H_INSTALL_MAX_WHEELS 10000
#define H_INSTALL_MAX_PATH   4096
#define H_INSTALL_MAX_NAMES  10000

/* Milliseconds of a monotonic clock. */
static uint64_t h_install__ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* State of one venv request (install, uninstall, list, verify). */
struct h_venv {
	struct req *req;
	uint32_t type;
	char *venv;
	char **items; /* wheels or names */
	size_t n;
	struct install_opts opts;
	struct install_result res;
	struct err err;
	int rc;
	uint64_t t0;
	_Atomic uint64_t last_event_ms;
	atomic_bool cancel;
	struct msg_map out; /* reply body built on the worker */
	int64_t venv_fd;    /* descriptor index of the venv the client opened, -1: none */
	int64_t *wheel_fds; /* per wheel, -1: none (daemon/userfile.h) */
	req_work_fn work;   /* the worker, run by h_venv__as_peer */
};

/* Progress callback (worker threads): batched to one event per 100 ms. */
static void h_install__progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct h_venv *h = arg;
	uint64_t now = h_install__ms(), last = atomic_load(&h->last_event_ms);
	struct msg_map ev;

	if (total > 0 && now - last < 100)
		return;
	if (!atomic_compare_exchange_strong(&h->last_event_ms, &last, now))
		return;
	if (req_client_gone(h->req))
		atomic_store(&h->cancel, true);
	msg_map_init(&ev);
	msg_add_str(&ev, "event", "progress");
	msg_add_str(&ev, "phase", phase);
	msg_add_uint(&ev, "done", done);
	msg_add_uint(&ev, "total", total);
	req_event(h->req, &ev);
	msg_map_free(&ev);
}

/* Pack a {name, version} map. */
static void h_install__pack_nv(msgpack_packer *pk, const char *name, const char *version)
{
	msgpack_pack_map(pk, 2);
	msgpack_pack_str_with_body(pk, "name", 4);
	msgpack_pack_str_with_body(pk, name, strlen(name));
	msgpack_pack_str_with_body(pk, "version", 7);
	msgpack_pack_str_with_body(pk, version, strlen(version));
}

/* Add an array of the lines with op as {name, version} maps. */
static void h_install__lines(struct msg_map *m, const char *key, const struct install_result *r,
			     char op)
{
	uint32_t n = 0;
	for (size_t i = 0; i < r->n_lines; i++)
		n += r->lines[i].op == op;
	msgpack_packer *pk = msg_add_key(m, key);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < r->n_lines; i++)
		if (r->lines[i].op == op)
			h_install__pack_nv(pk, r->lines[i].name, r->lines[i].version);
}

/* Build the reply body of an install (also the details of an error). */
static void h_install__body(struct h_venv *h, struct msg_map *m)
{
	const struct install_result *r = &h->res;
	msgpack_packer *pk = msg_add_key(m, "lines");

	msgpack_pack_array(pk, (uint32_t)r->n_lines);
	for (size_t i = 0; i < r->n_lines; i++) {
		msgpack_pack_map(pk, 3);
		msgpack_pack_str_with_body(pk, "op", 2);
		msgpack_pack_str_with_body(pk, &r->lines[i].op, 1);
		msgpack_pack_str_with_body(pk, "name", 4);
		msgpack_pack_str_with_body(pk, r->lines[i].name, strlen(r->lines[i].name));
		msgpack_pack_str_with_body(pk, "version", 7);
		msgpack_pack_str_with_body(pk, r->lines[i].version, strlen(r->lines[i].version));
	}
	h_install__lines(m, "installed", r, '+');
	h_install__lines(m, "removed", r, '-');
	h_install__lines(m, "skipped", r, '=');
	msg_add_str(m, "venv", h->opts.venv);
	msg_add_str(m, "link_mode", install_mode_name(r->mode_used));
	msg_add_str(m, "fallback", r->fallback);
	msg_add_str_array(m, "warnings", (const char *const *)r->warnings, r->n_warnings);
	msg_add_uint(m, "files", r->files);
	msg_add_uint(m, "bytes_linked", r->bytes_linked);
	msg_add_bool(m, "dry_run", h->opts.dry_run);
	msg_add_uint(m, "elapsed_ms", h_install__ms() - h->t0);
}

/* Free a request state. */
static void h_venv_free(struct h_venv *h)
{
	msg_strv_free(h->items);
	free(h->wheel_fds);
	free(h->venv);
	install_result_free(&h->res);
	msg_map_free(&h->out);
	free(h);
}

/* Install hook: stage wheel i into b from the descriptor the client passed (or its path). */
static int h_install__ingest(void *arg, size_t i, const char *path, struct ingest_batch *b,
			     struct ingest_result *res, struct err *err)
{
	struct h_venv *h = arg;

	return userfile_stage(h->req, path, h->wheel_fds ? h->wheel_fds[i] : -1, b, i, res, err);
}

/*
 * Worker of every venv request: in system mode act as the peer (per-thread
 * fsuid/fsgid/groups, daemon/ident.h) on the venv the client passed open.
 */
static void h_venv__as_peer(struct req *req, void *arg)
{
	struct h_venv *h = arg;
	struct err e;
	int rc;

	if ((rc = userfile_enter(req, h->venv, h->venv_fd, &h->opts.bind_fd, &e)) < 0) {
		h->rc = rc;
		h->err = e;
		return;
	}
	h->work(req, arg);
	userfile_leave(req);
}

/* Worker: run the install. */
static void h_install_work(struct req *req, void *arg)
{
	struct h_venv *h = arg;
	struct cache *c = req_daemon(req)->cache;
	struct install_env env = {.cache = c,
				  .store = &c->store,
				  .catalog = &c->catalog,
				  .ingest = &c->ingest,
				  .fp = &c->fp,
				  .progress = h_install__progress,
				  .progress_arg = h,
				  .cancel = &h->cancel,
				  .ingest_fn = h_install__ingest,
				  .ingest_arg = h,
				  .par_threads = &req_daemon(req)->install_threads};

	err_clear(&h->err);
	h->rc = install_run(&env, &h->opts, &h->res, &h->err);
}

/* Loop: reply with the result (or the error, with what was done so far as details). */
static void h_venv_done(struct req *req, void *arg, int status)
{
	struct h_venv *h = arg;
	struct daemon *d = req_daemon(req);

	if (status < 0 && h->rc == 0)
		h->rc = err_set(&h->err, -ECANCELED, "cancelled");
	if (h->type == PROTO_INSTALL) {
		struct msg_map m;
		msg_map_init(&m);
		h_install__body(h, &m);
		if (h->rc < 0) {
			log_warn(&d->log, "install into %s: %s", h->venv, h->err.msg);
			req_reply_error_details(req, h->err.code ? h->err.code : h->rc, &m, "%s",
						h->err.msg);
		} else {
			log_info(&d->log, "install into %s: %zu installed, %llu files (%s)",
				 h->venv, h->res.installed, (unsigned long long)h->res.files,
				 install_mode_name(h->res.mode_used));
			req_reply_ok(req, &m);
		}
		msg_map_free(&m);
		cache_note_growth(d); /* ingestion may have grown the cache past its limit */
	} else if (h->rc < 0 && h->type == PROTO_UNINSTALL && h->out.n > 0) {
		/* Some names failed: the details say what was removed and what failed. */
		req_reply_error_details(req, h->err.code ? h->err.code : h->rc, &h->out, "%s",
					h->err.msg);
	} else if (h->rc < 0) {
		req_reply_err(req, &h->err);
	} else {
		req_reply_ok(req, &h->out);
	}
	h_venv_free(h);
}

/*
 * Parse the venv fields every venv request has: venv, virtual_env, cwd, and
 * venv_fd (the index of the venv directory the client passed open; then
 * venv is the absolute path the client opened).
 */
static int h_venv__resolve(const msgpack_object *body, char **out, int64_t *venv_fd, struct err *e)
{
	char *opt = NULL, *ve = NULL, *cwd = NULL;
	uint64_t fdi = 0;
	int rc;

	*venv_fd = -1;
	if ((rc = msg_get_str(body, "venv", false, H_INSTALL_MAX_PATH, &opt, e)) < 0 ||
	    (rc = msg_get_str(body, "virtual_env", false, H_INSTALL_MAX_PATH, &ve, e)) < 0 ||
	    (rc = msg_get_str(body, "cwd", true, H_INSTALL_MAX_PATH, &cwd, e)) < 0)
		goto out;
	if (cwd[0] != '/') {
		rc = err_set(e, -WHLC_EPROTO, "cwd must be absolute");
		goto out;
	}
	if (msg_get(body, "venv_fd") != NULL) {
		if ((rc = msg_get_uint(body, "venv_fd", true, &fdi, e)) < 0)
			goto out;
		if (opt == NULL || opt[0] != '/') {
			rc = err_set(e, -WHLC_EPROTO, "venv_fd comes with the absolute venv path");
			goto out;
		}
		*venv_fd = fdi < PROTO_MAX_FDS ? (int64_t)fdi : PROTO_MAX_FDS;
	}
	*out = venv_resolve(opt, ve, cwd);
out:
	free(opt);
	free(ve);
	free(cwd);
	return rc;
}

/* Common start of the venv requests: parse, then queue work. */
static void h_venv_start(struct req *req, const msgpack_object *body, uint32_t type,
			 const char *items_key, req_work_fn work)
{
	struct h_venv *h;
	struct err e;
	int rc;

	if (req_daemon(req)->cache == NULL) {
		req_reply_error(req, -WHLC_ECORRUPT, "the cache is not open");
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->req = req;
	h->type = type;
	h->t0 = h_install__ms();
	msg_map_init(&h->out);
	h->work = work;
	h->opts.bind_fd = -1;
	if ((rc = h_venv__resolve(body, &h->venv, &h->venv_fd, &e)) < 0)
		goto fail;
	if (items_key && (rc = msg_get_str_array(body, items_key, true,
						 type == PROTO_INSTALL ? H_INSTALL_MAX_WHEELS
								       : H_INSTALL_MAX_NAMES,
						 H_INSTALL_MAX_PATH, &h->items, &h->n, &e)) < 0)
		goto fail;
	if (items_key && h->n == 0) {
		rc = err_set(&e, -EINVAL, "give at least one %s",
			     type == PROTO_INSTALL ? "wheel" : "distribution name");
		goto fail;
	}
	if (type == PROTO_INSTALL) {
		char *mode = NULL;
		h->opts.venv = h->venv;
		h->opts.wheels = h->items;
		h->opts.n_wheels = h->n;
		if ((rc = userfile_indexes(body, "wheel_fds", h->n, &h->wheel_fds, &e)) < 0)
			goto fail;
		for (size_t i = 0; i < h->n; i++)
			if (h->items[i][0] != '/') {
				rc = err_set(&e, -WHLC_EPROTO, "wheel paths must be absolute: %s",
					     h->items[i]);
				goto fail;
			}
		if ((rc = msg_get_bool(body, "reinstall", false, &h->opts.reinstall, &e)) < 0 ||
		    (rc = msg_get_bool(body, "dry_run", false, &h->opts.dry_run, &e)) < 0 ||
		    (rc = msg_get_str(body, "link_mode", false, 32, &mode, &e)) < 0)
			goto fail;
		if (mode && install_mode_parse(mode, &h->opts.mode) < 0) {
			rc = err_set(&e, -EINVAL,
				     "unknown link mode '%s' (hardlink, clone, copy or symlink)",
				     mode);
			free(mode);
			goto fail;
		}
		free(mode);
	}
	if ((rc = req_queue_work(req, h_venv__as_peer, h_venv_done, h)) < 0) {
		rc = err_set(&e, -EIO, "cannot queue work: %s", uv_strerror(rc));
		goto fail;
	}
	return;
fail:
	req_reply_err(req, &e);
	h_venv_free(h);
}

/*
 * install {venv?, virtual_env?, cwd, venv_fd?, wheels: [abs...], wheel_fds?: [index...],
 * link_mode?, reinstall?, dry_run?}.
 */
void h_install(struct req *req, const msgpack_object *body)
{
	h_venv_start(req, body, PROTO_INSTALL, "wheels", h_install_work);
}

/* uninstall {venv?, virtual_env?, cwd, names: [...]} -> {removed: [{name, version}]}. */
void h_uninstall(struct req *req, const msgpack_object *body)
{
	h_venv_start(req, body, PROTO_UNINSTALL, "names", h_venv__uninstall_work);
}

/* list {venv?, virtual_env?, cwd} -> {dists: [{name, version, installer}]}. */
void h_list(struct req *req, const msgpack_object *body)
{
	h_venv_start(req, body, PROTO_LIST, NULL, h_venv__list_work);
}

/* verify {venv?, virtual_env?, cwd} -> {problems: [{dist, kind, path}], dists}. */
void h_verify(struct req *req, const msgpack_object *body)
{
	h_venv_start(req, body, PROTO_VERIFY, NULL, h_venv__verify_work);
}

/* Accessors for h_venv.c (the state struct stays private to this file). */
/* The venv path of the request. */
const char *h_venv__path(void *arg)
{
	return ((struct h_venv *)arg)->venv;
}

/* The venv directory the client passed open (system mode), -1: none. */
int h_venv__bind_fd(void *arg)
{
	return ((struct h_venv *)arg)->opts.bind_fd;
}

/* The request's items (wheel paths or project names) and their count. */
char **h_venv__items(void *arg, size_t *n)
{
	*n = ((struct h_venv *)arg)->n;
	return ((struct h_venv *)arg)->items;
}

/* The reply map the worker fills. */
struct msg_map *h_venv__out(void *arg)
{
	return &((struct h_venv *)arg)->out;
}

/* Record the worker's result (and its error message on failure). */
void h_venv__set_rc(void *arg, int rc, const struct err *e)
{
	struct h_venv *h = arg;
	h->rc = rc;
	if (rc < 0)
		h->err = *e;
}
