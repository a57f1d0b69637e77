/* conn.c: one client connection: framing, peer checks, output limits, dispatch. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "daemon.h"
#include "msg.h"
#include "proto.h"
#include "sysmode.h"
#include "xalloc.h"

/* A connection idle for less than this is never dropped to admit another. */
#define CONN_IDLE_GRACE_MS 2000

/* A queued write and the buffer it owns. */
struct conn_write_req {
	uv_write_t w;
	struct conn *c;
	char *buf;
	size_t len;
};

/* Close callback of the pipe and of the read poll: unlink and free once both are closed. */
static void conn__closed_cb(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct daemon *d = c->d;

	if (--c->handles_open > 0)
		return;
	if (c->rfd >= 0)
		close(c->rfd);
	for (size_t i = 0; i < c->nfdq; i++)
		close(c->fdq[i]);
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

/* Close the handles now (pending writes are cancelled). */
static void conn__close_now(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->closing = true;
	req_detach_all(c);
	uv_close((uv_handle_t *)&c->pipe, conn__closed_cb);
	if (c->rfd >= 0)
		uv_close((uv_handle_t *)&c->rpoll, conn__closed_cb);
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
	if (c->rfd >= 0)
		uv_poll_stop(&c->rpoll);
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

/* Move the first n queued descriptors into a new array (NULL when n is 0). */
static int *conn__claim_fds(struct conn *c, size_t n)
{
	int *fds = NULL;

	if (n == 0)
		return NULL;
	fds = xmalloc(n * sizeof(*fds));
	memcpy(fds, c->fdq, n * sizeof(*fds));
	memmove(c->fdq, c->fdq + n, (c->nfdq - n) * sizeof(*fds));
	c->nfdq -= n;
	return fds;
}

/* Handle one complete frame. */
static void conn__frame(struct conn *c)
{
	msgpack_unpacked u;
	struct err e;
	const msgpack_object *body;
	const struct req_def *def = NULL;
	uint64_t type = 0, id = 0, nfds = 0;
	int *fds;

	msgpack_unpacked_init(&u);
	if (frame_dec_take(&c->dec, &u, &e) < 0 ||
	    req_parse_envelope(&u.data, &type, &id, &body, &e) < 0 ||
	    msg_get_uint(&u.data, PROTO_K_FDS, false, &nfds, &e) < 0) {
		conn__bad_input(c, id, &e);
		goto out;
	}
	/* The descriptors arrive with the frame's first bytes: all are queued by now. */
	if (nfds > c->nfdq) {
		err_set(&e, -WHLC_EPROTO,
			"request announces %llu file descriptors but %zu arrived with it",
			(unsigned long long)nfds, c->nfdq);
		conn__bad_input(c, id, &e);
		goto out;
	}
	fds = conn__claim_fds(c, (size_t)nfds);
	if (req_lookup(type, c->state, c->d->opts.test_mode, &def, &e) < 0)
		goto bad_fds;
	if (c->inflight >= CONN_MAX_INFLIGHT) {
		err_set(&e, -WHLC_ELIMIT, "more than %d requests in flight on one connection",
			CONN_MAX_INFLIGHT);
		goto bad_fds;
	}
	c->progress_ms = uv_now(c->d->loop);
	req_start(c, def, id, &u, body, fds, (size_t)nfds);
	goto out;
bad_fds:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	free(fds);
	conn__bad_input(c, id, &e);
out:
	msgpack_unpacked_destroy(&u);
}

/* Queue the descriptors of one control message; false when the peer sent too many. */
static bool conn__take_cmsg(struct conn *c, struct msghdr *mh)
{
	bool ok = true;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->nfdq < PROTO_MAX_FDS)
				c->fdq[c->nfdq++] = fd;
			else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

/* Feed received bytes to the decoder and dispatch whole frames. */
static void conn__input(struct conn *c, const char *p, size_t left)
{
	struct err e;

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

/* The socket is readable: recvmsg bytes and descriptors. */
static void conn__poll_cb(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;
	union {
		char buf[CMSG_SPACE(PROTO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {c->rbuf, sizeof(c->rbuf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct err e;
	ssize_t n;

	if (c->closing)
		return;
	if (status < 0) {
		conn__close_now(c);
		return;
	}
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(c->rfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn__close_now(c);
		return;
	}
	if (!conn__take_cmsg(c, &mh) || (mh.msg_flags & MSG_CTRUNC)) {
		err_set(&e, -WHLC_ELIMIT, "more than %d file descriptors sent at once",
			PROTO_MAX_FDS);
		conn__bad_input(c, 0, &e);
		return;
	}
	if (n == 0) {
		if (frame_dec_partial(&c->dec)) {
			err_set(&e, -WHLC_EPROTO, "connection ended inside a frame (truncated)");
			conn__bad_input(c, 0, &e);
		} else {
			/* The client may still wait for replies after shutting down its side. */
			conn_close_after_flush(c);
		}
		return;
	}
	conn__input(c, c->rbuf, (size_t)n);
}

/* Connections not yet closing (closing ones hold a slot only until their close completes). */
static unsigned conn__open_count(const struct daemon *d)
{
	unsigned n = 0;

	for (const struct conn *c = d->conns; c != NULL; c = c->next)
		n += !c->closing;
	return n;
}

/*
 * The connection to drop to admit a new one at the limit: idle (nothing in
 * flight, nothing unsent) for at least CONN_IDLE_GRACE_MS, and the longest
 * without a whole request, so a client trickling a frame byte by byte goes
 * before one that just sent a request. The grace keeps a client that just
 * connected, or is between two requests (hello, then status), from being
 * dropped by a flood of newcomers; the newcomers are refused meanwhile and whlc
 * retries.
 */
static struct conn *conn__idle_victim(struct daemon *d, const struct conn *except)
{
	struct conn *best = NULL;
	uint64_t now = uv_now(d->loop);

	for (struct conn *c = d->conns; c != NULL; c = c->next)
		if (c != except && !c->closing && c->inflight == 0 && c->out_pending == 0 &&
		    now - c->progress_ms >= CONN_IDLE_GRACE_MS &&
		    (best == NULL || c->progress_ms < best->progress_ms ||
		     (c->progress_ms == best->progress_ms && c->serial < best->serial)))
			best = c;
	return best;
}

/*
 * At the connection limit: drop the most idle connection, or refuse c when
 * every connection is busy. Returns true when c may proceed.
 */
static bool conn__admit(struct daemon *d, struct conn *c)
{
	struct conn *victim;
	struct err e;

	if (conn__open_count(d) <= DAEMON_MAX_CONNECTIONS)
		return true;
	victim = conn__idle_victim(d, c);
	if (victim != NULL) {
		log_warn(&d->log,
			 "conn %llu (pid %ld): idle for %llu ms at the connection limit (%d); "
			 "dropped to admit conn %llu",
			 (unsigned long long)victim->serial, (long)victim->peer.pid,
			 (unsigned long long)(uv_now(d->loop) - victim->progress_ms),
			 DAEMON_MAX_CONNECTIONS, (unsigned long long)c->serial);
		conn_send_error(victim, 0, -WHLC_ELIMIT,
				"dropped: whlcd is at its connection limit and this connection was "
				"idle; reconnect");
		conn_close_after_flush(victim);
		return true;
	}
	err_set(&e, -WHLC_ELIMIT,
		"too many connections (limit %d), all busy or recent; retry later",
		DAEMON_MAX_CONNECTIONS);
	conn__bad_input(c, 0, &e);
	return false;
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
	c->rfd = -1;
	c->peer.ngroups = -1;
	c->progress_ms = uv_now(d->loop);
	frame_dec_init(&c->dec, PROTO_FRAME_MAX);
	uv_pipe_init(d->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->handles_open = 1;
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
	if ((c->rfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    uv_poll_init(d->loop, &c->rpoll, c->rfd) < 0) {
		log_warn(&d->log, "conn %llu: cannot watch the connection: %s; closing",
			 (unsigned long long)c->serial, strerror(errno));
		if (c->rfd >= 0)
			close(c->rfd);
		c->rfd = -1;
		conn__close_now(c);
		return;
	}
	c->rpoll.data = c;
	c->handles_open = 2;
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	log_debug(&d->log, "conn %llu: accepted pid %ld uid %lu", (unsigned long long)c->serial,
		  (long)cred.pid, (unsigned long)cred.uid);
	if (d->sys != NULL) {
		char msg[ERR_MSG_MAX];
		if (sysmode_peer_groups(fd, &c->peer, msg, sizeof(msg)) < 0 ||
		    sysmode_allowed(d->sys, &c->peer, msg, sizeof(msg)) < 0) {
			struct err e;
			log_warn(&d->log, "conn %llu: refused: %s", (unsigned long long)c->serial,
				 msg);
			err_set(&e, -PROTO_EREFUSED, "%s", msg);
			conn__bad_input(c, 0, &e);
			return;
		}
	} else if (cred.uid != geteuid()) {
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
	if (!conn__admit(d, c))
		return;
	uv_poll_start(&c->rpoll, UV_READABLE, conn__poll_cb);
	daemon_activity(d);
}

/* Close every connection (after flushing) at daemon exit. */
void conn_close_all(struct daemon *d)
{
	for (struct conn *c = d->conns; c != NULL; c = c->next)
		conn_close_after_flush(c);
}
