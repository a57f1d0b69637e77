/* conn.c: one client connection: framing, peer checks, output limits, dispatch. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "daemon.h"
#include "msg.h"
#include "proto.h"
#include "xalloc.h"

/* A queued write and the buffer it owns. */
struct conn_write_req {
	uv_write_t w;
	struct conn *c;
	char *buf;
	size_t len;
};

/* Final close callback: unlink and free. */
static void conn__closed_cb(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h;
	struct daemon *d = c->d;

	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	frame_dec_free(&c->dec);
	log_debug(&d->log, "conn %llu: closed", (unsigned long long)c->serial);
	free(c);
	d->counters.connections_active--;
	daemon_activity(d);
}

/* Close the handle now (pending writes are cancelled). */
static void conn__close_now(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->closing = true;
	req_detach_all(c);
	uv_close((uv_handle_t *)&c->pipe, conn__closed_cb);
}

/* Write completion: account and free the buffer. */
static void conn__write_cb(uv_write_t *w, int status)
{
	struct conn_write_req *wr = (struct conn_write_req *)w;
	struct conn *c = wr->c;

	c->out_pending -= wr->len;
	free(wr->buf);
	free(wr);
	if (status < 0 && status != UV_ECANCELED) {
		log_debug(&c->d->log, "conn %llu: write failed: %s", (unsigned long long)c->serial,
			  uv_strerror(status));
		conn__close_now(c);
	}
}

/* Queue buf for sending (ownership taken). */
void conn_write(struct conn *c, char *buf, size_t len)
{
	struct conn_write_req *wr;
	uv_buf_t b;
	int rc;

	if (c->closed || (c->closing && c->shutdown_req.handle != NULL)) {
		free(buf);
		return;
	}
	if (c->out_pending + len > CONN_MAX_OUTPUT) {
		/* A client that does not read must not make the daemon buffer without bound. */
		log_warn(&c->d->log, "conn %llu: more than %u bytes of unread output; closing",
			 (unsigned long long)c->serial, CONN_MAX_OUTPUT);
		free(buf);
		conn__close_now(c);
		return;
	}
	wr = xmalloc(sizeof(*wr));
	wr->c = c;
	wr->buf = buf;
	wr->len = len;
	b = uv_buf_init(buf, (unsigned)len);
	c->out_pending += len;
	rc = uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1, conn__write_cb);
	if (rc < 0) {
		c->out_pending -= len;
		free(buf);
		free(wr);
		conn__close_now(c);
	}
}

/* Send an error reply not tied to a request object. */
void conn_send_error(struct conn *c, uint64_t id, int code, const char *msg)
{
	size_t len;
	char *frame = msg_error_frame(id, code, msg, NULL, &len);

	c->d->counters.errors++;
	conn_write(c, frame, len);
}

/* Shutdown completion: the output is flushed, close. */
static void conn__shutdown_cb(uv_shutdown_t *s, int status)
{
	conn__close_now((struct conn *)s->handle);
}

/* Stop reading and close once pending output is flushed. */
void conn_close_after_flush(struct conn *c)
{
	if (c->closed || c->shutdown_req.handle != NULL)
		return;
	c->closing = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	/* Writes still queued by the handler are sent before the shutdown completes. */
	if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, conn__shutdown_cb) < 0)
		conn__close_now(c);
}

/* Report bad input on c, log it, and close after the error reply. */
static void conn__bad_input(struct conn *c, uint64_t id, const struct err *e)
{
	log_warn(&c->d->log, "conn %llu (pid %ld): %s: %s; closing", (unsigned long long)c->serial,
		 (long)c->peer.pid, proto_code_name(e->code), e->msg);
	conn_send_error(c, id, e->code, e->msg);
	conn_close_after_flush(c);
}

/* Handle one complete frame. */
static void conn__frame(struct conn *c)
{
	msgpack_unpacked u;
	struct err e;
	const msgpack_object *body;
	const struct req_def *def = NULL;
	uint64_t type = 0, id = 0;

	msgpack_unpacked_init(&u);
	if (frame_dec_take(&c->dec, &u, &e) < 0 ||
	    req_parse_envelope(&u.data, &type, &id, &body, &e) < 0 ||
	    req_lookup(type, c->state, c->d->opts.test_mode, &def, &e) < 0) {
		conn__bad_input(c, id, &e);
		goto out;
	}
	if (c->inflight >= CONN_MAX_INFLIGHT) {
		err_set(&e, -WHLC_ELIMIT, "more than %d requests in flight on one connection",
			CONN_MAX_INFLIGHT);
		conn__bad_input(c, id, &e);
		goto out;
	}
	req_start(c, def, id, &u, body);
out:
	msgpack_unpacked_destroy(&u);
}

/* Give libuv the connection's read buffer. */
static void conn__alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = (struct conn *)h;

	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

/* Feed received bytes to the decoder and dispatch whole frames. */
static void conn__read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = (struct conn *)s;
	const char *p = buf->base;
	size_t left = n > 0 ? (size_t)n : 0;
	struct err e;

	if (n < 0) {
		if (n == UV_EOF && frame_dec_partial(&c->dec)) {
			err_set(&e, -WHLC_EPROTO, "connection ended inside a frame (truncated)");
			conn__bad_input(c, 0, &e);
		} else if (n == UV_EOF) {
			/* The client may still wait for replies after shutting down its side. */
			conn_close_after_flush(c);
		} else {
			conn__close_now(c);
		}
		return;
	}
	while (left > 0 && !c->closing) {
		int rc = frame_dec_feed(&c->dec, &p, &left, &e);
		if (rc < 0) {
			conn__bad_input(c, 0, &e);
			return;
		}
		if (rc == 1)
			conn__frame(c);
	}
}

/* Accept a pending connection on the daemon's server socket. */
void conn_accept(struct daemon *d)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	uv_os_fd_t fd;

	c->d = d;
	c->state = CONN_NEW;
	frame_dec_init(&c->dec, PROTO_FRAME_MAX);
	uv_pipe_init(d->loop, &c->pipe, 0);
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->counters.connections_active++;
	if (uv_accept((uv_stream_t *)&d->server, (uv_stream_t *)&c->pipe) < 0) {
		conn__close_now(c);
		return;
	}
	c->serial = ++d->counters.connections_total;
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
		log_warn(&d->log, "conn %llu: cannot read peer credentials; closing",
			 (unsigned long long)c->serial);
		conn__close_now(c);
		return;
	}
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	log_debug(&d->log, "conn %llu: accepted pid %ld uid %lu", (unsigned long long)c->serial,
		  (long)cred.pid, (unsigned long)cred.uid);
	if (cred.uid != geteuid()) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "this whlcd serves only uid %lu; you are uid %lu: use your own daemon "
			 "(the default socket is per user)",
			 (unsigned long)geteuid(), (unsigned long)cred.uid);
		struct err e;
		err_set(&e, -PROTO_EREFUSED, "%s", msg);
		conn__bad_input(c, 0, &e);
		return;
	}
	if (d->counters.connections_active > DAEMON_MAX_CONNECTIONS) {
		struct err e;
		err_set(&e, -WHLC_ELIMIT, "too many connections (limit %d); retry later",
			DAEMON_MAX_CONNECTIONS);
		conn__bad_input(c, 0, &e);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, conn__alloc_cb, conn__read_cb);
	daemon_activity(d);
}

/* Close every connection (after flushing) at daemon exit. */
void conn_close_all(struct daemon *d)
{
	for (struct conn *c = d->conns; c != NULL; c = c->next)
		conn_close_after_flush(c);
}
