/* request.c: request objects, dispatch checks, replies, progress events and thread-pool work. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "daemon.h"
#include "proto.h"
#include "request.h"
#include "sysmode.h"
#include "xalloc.h"

/* A progress event encoded by any thread, waiting for the loop to send it. */
struct req_event_item {
	struct req *req;
	char *buf;
	size_t len;
	struct req_event_item *next;
};

/* Work queued on the thread pool for a request. */
struct req_work {
	uv_work_t w;
	struct req *req;
	req_work_fn work_fn;
	req_done_fn done_fn;
	void *arg;
};

/* The daemon context. */
struct daemon *req_daemon(struct req *req)
{
	return req->d;
}

/* The peer's pid, uid, gid. */
const struct peer_cred *req_peer(const struct req *req)
{
	return &req->peer;
}

/* Descriptor i of the request, or -1. */
int req_fd(const struct req *req, uint64_t i)
{
	return i < req->n_fds ? req->fds[i] : -1;
}

/* True once the client went away. */
bool req_client_gone(struct req *req)
{
	return atomic_load(&req->gone);
}

/* Take a reference. */
void req_ref(struct req *req)
{
	atomic_fetch_add(&req->refs, 1);
}

/* Drop a reference; the last one frees the request (always on the loop thread). */
void req_unref(struct req *req)
{
	struct daemon *d = req->d;

	if (atomic_fetch_sub(&req->refs, 1) != 1)
		return;
	if (req->conn != NULL) {
		struct conn *c = req->conn;
		if (req->prev)
			req->prev->next = req->next;
		else
			c->reqs = req->next;
		if (req->next)
			req->next->prev = req->prev;
	}
	msgpack_unpacked_destroy(&req->msg);
	for (size_t i = 0; i < req->n_fds; i++)
		if (req->fds[i] >= 0)
			close(req->fds[i]);
	free(req->fds);
	free(req);
	d->counters.inflight--;
	daemon_activity(d);
}

/* Read type/id/body of a request map. */
int req_parse_envelope(const msgpack_object *root, uint64_t *type, uint64_t *id,
		       const msgpack_object **body, struct err *e)
{
	int rc;

	*body = NULL;
	*id = 0;
	if (root->type != MSGPACK_OBJECT_MAP)
		return err_set(e, -WHLC_EPROTO, "request is not a map");
	if ((rc = msg_get_uint(root, PROTO_K_ID, true, id, e)) < 0)
		return rc;
	if ((rc = msg_get_uint(root, PROTO_K_TYPE, true, type, e)) < 0)
		return rc;
	return msg_get_map(root, PROTO_K_BODY, false, body, e);
}

/* Find the definition of type allowed in state. */
int req_lookup(uint64_t type, enum conn_state state, bool test_mode, const struct req_def **out,
	       struct err *e)
{
	for (size_t i = 0; i < req_table_len; i++) {
		const struct req_def *def = &req_table[i];
		if (def->type != type)
			continue;
		if ((def->flags & REQ_TEST_ONLY) && !test_mode)
			break;
		if (!(def->states & state))
			return err_set(e, -PROTO_ESTATE, "request \"%s\" is not allowed %s",
				       def->name,
				       state == CONN_NEW ? "before hello" : "after hello");
		*out = def;
		return 0;
	}
	return err_set(e, -PROTO_EUNKNOWN, "unknown request type %llu", (unsigned long long)type);
}

/* Create a request for conn (takes ownership of msg) and run its handler. */
void req_start(struct conn *conn, const struct req_def *def, uint64_t id, msgpack_unpacked *msg,
	       const msgpack_object *body, int *fds, size_t n_fds)
{
	static const msgpack_object empty = {.type = MSGPACK_OBJECT_MAP};
	struct daemon *d = conn->d;
	struct req *req = xcalloc(1, sizeof(*req));

	req->d = d;
	req->conn = conn;
	req->def = def;
	req->id = id;
	req->peer = conn->peer;
	req->fds = fds;
	req->n_fds = n_fds;
	req->msg = *msg;
	msgpack_unpacked_init(msg); /* ownership moved to req */
	atomic_init(&req->refs, 1);
	atomic_init(&req->gone, false);
	req->next = conn->reqs;
	if (conn->reqs)
		conn->reqs->prev = req;
	conn->reqs = req;
	conn->inflight++;
	d->counters.requests++;
	d->counters.inflight++;
	daemon_activity(d);
	log_debug(&d->log, "conn %llu: request %llu %s", (unsigned long long)conn->serial,
		  (unsigned long long)id, def->name);
	if (d->stopping) {
		req_reply_error(req, -PROTO_ESHUTDOWN, "whlcd is shutting down; retry");
		return;
	}
	if ((def->flags & REQ_ADMIN) && d->sys != NULL) {
		char m[256];
		if (sysmode_admin(&req->peer, def->name, m, sizeof(m)) < 0) {
			log_info(&d->log, "conn %llu: refused: %s",
				 (unsigned long long)conn->serial, m);
			req_reply_error(req, -EACCES, "%s", m);
			return;
		}
	}
	def->handler(req, body != NULL ? body : &empty);
}

/* Codes after which the connection is closed (malformed or refused input). */
static bool req__closes(int code)
{
	return code == -WHLC_EPROTO || code == -PROTO_EVERSION || code == -PROTO_EUNKNOWN ||
	       code == -PROTO_ESTATE || code == -PROTO_EREFUSED;
}

/* Send a final reply frame and release the dispatch reference. */
static void req__finish(struct req *req, char *frame, size_t len, bool close)
{
	struct conn *c;

	if (req->replied) {
		log_error(&req->d->log,
			  "request %llu (%s) replied twice; dropping the second reply",
			  (unsigned long long)req->id, req->def->name);
		free(frame);
		return;
	}
	/* Worker events queued before the reply must reach the client first. */
	req_flush_events(req->d);
	req->replied = true;
	c = req->conn;
	if (c != NULL) {
		c->inflight--;
		conn_write(c, frame, len);
		if (close || req->close_after)
			conn_close_after_flush(c);
	} else {
		free(frame);
	}
	req_unref(req);
}

/* Final success reply. */
void req_reply_ok(struct req *req, const struct msg_map *body)
{
	size_t len;
	char *frame = msg_frame(PROTO_REPLY_OK, req->id, body, &len);

	req__finish(req, frame, len, false);
}

/* Shared body of the error replies. */
static void req__verror(struct req *req, int code, const struct msg_map *details, const char *fmt,
			va_list ap)
{
	char msg[ERR_MSG_MAX];
	size_t len;
	char *frame;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	req->d->counters.errors++;
	log_info(&req->d->log, "request %llu (%s) failed: %s: %s", (unsigned long long)req->id,
		 req->def->name, proto_code_name(code), msg);
	frame = msg_error_frame(req->id, code, msg, details, &len);
	req__finish(req, frame, len, req__closes(code));
}

/* Final error reply. */
void req_reply_error(struct req *req, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	req__verror(req, code, NULL, fmt, ap);
	va_end(ap);
}

/* Final error reply with details. */
void req_reply_error_details(struct req *req, int code, const struct msg_map *details,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	req__verror(req, code, details, fmt, ap);
	va_end(ap);
}

/* Final error reply from a struct err. */
void req_reply_err(struct req *req, const struct err *e)
{
	req_reply_error(req, e->code, "%s", e->msg);
}

/* Move the connection of req to state. */
void req_set_conn_state(struct req *req, enum conn_state state)
{
	if (req->conn != NULL)
		req->conn->state = state;
}

/* Send a progress event (any thread). */
void req_event(struct req *req, const struct msg_map *body)
{
	struct daemon *d = req->d;
	struct req_event_item *it = xmalloc(sizeof(*it));

	it->buf = msg_frame(PROTO_EVENT, req->id, body, &it->len);
	it->req = req;
	it->next = NULL;
	req_ref(req);
	uv_mutex_lock(&d->ev_lock);
	if (d->ev_tail)
		d->ev_tail->next = it;
	else
		d->ev_head = it;
	d->ev_tail = it;
	uv_mutex_unlock(&d->ev_lock);
	uv_async_send(&d->ev_async);
}

/* Send queued progress events (loop thread). */
void req_flush_events(struct daemon *d)
{
	struct req_event_item *it, *next;

	uv_mutex_lock(&d->ev_lock);
	it = d->ev_head;
	d->ev_head = d->ev_tail = NULL;
	uv_mutex_unlock(&d->ev_lock);
	for (; it != NULL; it = next) {
		next = it->next;
		if (it->req->conn != NULL && !it->req->replied)
			conn_write(it->req->conn, it->buf, it->len);
		else
			free(it->buf);
		req_unref(it->req);
		free(it);
	}
}

/* The connection closed: detach its requests so their replies are dropped. */
void req_detach_all(struct conn *conn)
{
	struct req *r, *next;

	for (r = conn->reqs; r != NULL; r = next) {
		next = r->next;
		r->conn = NULL;
		r->next = r->prev = NULL;
		atomic_store(&r->gone, true);
	}
	conn->reqs = NULL;
}

/* Thread-pool side of req_queue_work. */
static void req__work_cb(uv_work_t *w)
{
	struct req_work *rw = w->data;

	rw->work_fn(rw->req, rw->arg);
}

/* Loop side of req_queue_work. */
static void req__after_cb(uv_work_t *w, int status)
{
	struct req_work *rw = w->data;
	struct req *req = rw->req;

	if (rw->done_fn != NULL)
		rw->done_fn(req, rw->arg, status);
	free(rw);
	req_unref(req);
}

/* Queue work_fn on the thread pool; done_fn runs on the loop after. */
int req_queue_work(struct req *req, req_work_fn work_fn, req_done_fn done_fn, void *arg)
{
	struct req_work *rw = xcalloc(1, sizeof(*rw));
	int rc;

	rw->w.data = rw;
	rw->req = req;
	rw->work_fn = work_fn;
	rw->done_fn = done_fn;
	rw->arg = arg;
	req_ref(req);
	rc = uv_queue_work(req->d->loop, &rw->w, req__work_cb, req__after_cb);
	if (rc < 0) {
		free(rw);
		atomic_fetch_sub(&req->refs, 1); /* the caller still holds its own reference */
		return rc;
	}
	return 0;
}
