/* conn.c: the client side of the protocol: connect (with auto-start), hello, calls. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "paths.h"
#include "proto.h"
#include "xalloc.h"

/* Milliseconds on the monotonic clock. */
static uint64_t conn__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep ms milliseconds (backoff between polls). */
static void conn__sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Open a socket connected to path; returns fd or -errno. */
static int conn__connect_fd(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Write all of buf. */
static int conn__write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send buf, passing fds (SCM_RIGHTS) with its first bytes. */
static int conn__send_fds(int fd, const char *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		char b[CMSG_SPACE(PROTO_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.b;
	mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return conn__write_all(fd, buf + n, len - (size_t)n);
}

/* Queue fd for the next request. */
int client_fds_add(struct client_ctx *ctx, int fd)
{
	if (ctx->fds.n >= PROTO_MAX_FDS) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	ctx->fds.fd[ctx->fds.n] = fd;
	return (int)ctx->fds.n++;
}

/* Open path and queue it. */
int client_fds_open(struct client_ctx *ctx, const char *path, bool dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (dir ? O_DIRECTORY : O_NONBLOCK));

	return fd < 0 ? -1 : client_fds_add(ctx, fd);
}

/* Read the next frame from c into out. */
static int conn__read_frame(struct client_conn *c, msgpack_unpacked *out, struct err *e)
{
	for (;;) {
		const char *p = c->rbuf + c->rpos;
		size_t left = c->rlen - c->rpos;
		int rc = frame_dec_feed(&c->dec, &p, &left, e);
		c->rpos = c->rlen - left;
		if (rc < 0)
			return rc;
		if (rc == 1)
			return frame_dec_take(&c->dec, out, e);
		ssize_t n = read(c->fd, c->rbuf, sizeof(c->rbuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, -errno, "reading from whlcd: %s", strerror(errno));
		if (n == 0)
			return err_set(e, -ECONNRESET, "whlcd closed the connection");
		c->rlen = (size_t)n;
		c->rpos = 0;
	}
}

/* Wrap fd into a connection object. */
static struct client_conn *conn__new(int fd)
{
	struct client_conn *c = xcalloc(1, sizeof(*c));
	struct ucred cred;
	socklen_t cl = sizeof(cred);

	c->fd = fd;
	c->next_id = 1;
	frame_dec_init(&c->dec, PROTO_FRAME_MAX);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		c->daemon_pid = cred.pid;
	return c;
}

/* Close and free a connection. */
void client_close(struct client_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	frame_dec_free(&c->dec);
	free(c->daemon_version);
	free(c);
}

/* Free a reply. */
void client_reply_free(struct client_reply *reply)
{
	msgpack_unpacked_destroy(&reply->msg);
	reply->body = NULL;
}

/* Send a request and wait for its final reply, passing events on. */
int client_call(struct client_conn *c, uint32_t type, const struct msg_map *body,
		client_event_fn on_event, void *arg, struct client_reply *reply, struct err *e)
{
	uint64_t id = c->next_id++;
	size_t len, nfds = c->ctx ? c->ctx->fds.n : 0;
	char *frame = msg_frame_fds(type, id, body, nfds, &len);
	int rc = nfds ? conn__send_fds(c->fd, frame, len, c->ctx->fds.fd, nfds)
		      : conn__write_all(c->fd, frame, len);

	free(frame);
	for (size_t i = 0; i < nfds; i++)
		close(c->ctx->fds.fd[i]);
	if (c->ctx)
		c->ctx->fds.n = 0;
	memset(reply, 0, sizeof(*reply));
	msgpack_unpacked_init(&reply->msg);
	/* A daemon that refused us has closed its side: its error reply may still be readable. */
	if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET)
		return err_set(e, rc, "sending to whlcd: %s", strerror(-rc));
	for (;;) {
		uint64_t rtype = 0, rid = 0;
		const msgpack_object *rbody = NULL;
		char *s = NULL;

		if ((rc = conn__read_frame(c, &reply->msg, e)) < 0)
			return rc;
		if (msg_get_uint(&reply->msg.data, PROTO_K_TYPE, true, &rtype, e) < 0 ||
		    msg_get_uint(&reply->msg.data, PROTO_K_ID, true, &rid, e) < 0 ||
		    msg_get_map(&reply->msg.data, PROTO_K_BODY, false, &rbody, e) < 0)
			return err_set(e, -WHLC_EPROTO, "malformed reply from whlcd: %s", e->msg);
		if (rtype == PROTO_EVENT && rid == id) {
			if (on_event != NULL && rbody != NULL)
				on_event(arg, rbody);
			continue;
		}
		/* Id 0: the daemon could not tie its error to a request (e.g. refusal). */
		if (rid != id && rid != 0)
			return err_set(e, -WHLC_EPROTO, "reply for request %llu, expected %llu",
				       (unsigned long long)rid, (unsigned long long)id);
		reply->body = rbody;
		if (rtype == PROTO_REPLY_OK) {
			reply->ok = true;
			return 0;
		}
		if (rtype != PROTO_REPLY_ERROR)
			return err_set(e, -WHLC_EPROTO, "unexpected message type %llu from whlcd",
				       (unsigned long long)rtype);
		if (msg_get_str(&reply->msg.data, PROTO_K_CODE, true, sizeof(reply->code) - 1, &s,
				e) == 0) {
			snprintf(reply->code, sizeof(reply->code), "%s", s);
			free(s);
			s = NULL;
		}
		if (msg_get_str(&reply->msg.data, PROTO_K_MESSAGE, false, 4096, &s, e) == 0 && s) {
			snprintf(reply->message, sizeof(reply->message), "%s", s);
			free(s);
		}
		return 0;
	}
}

/* Connect (auto-starting whlcd) and call type with body; EXIT_OK once a reply came. */
int client_request(struct client_ctx *ctx, uint32_t type, const struct msg_map *body,
		   struct client_conn **c, struct client_reply *r)
{
	struct err e;

	if (client_connect(ctx, CLIENT_AUTOSTART, c, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		return EXIT_UNREACHABLE;
	}
	if (client_call(*c, type, body, NULL, NULL, r, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		client_reply_free(r);
		client_close(*c);
		*c = NULL;
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

/* client_request, then report an error reply: EXIT_OK only for a successful reply. */
int client_request_ok(struct client_ctx *ctx, uint32_t type, const struct msg_map *body,
		      struct client_conn **c, struct client_reply *r)
{
	int rc = client_request(ctx, type, body, c, r);

	if (rc != EXIT_OK)
		return rc;
	return r->ok ? EXIT_OK : client_report_error(ctx, r);
}

/* Where the daemon logs when auto-started. */
char *client_log_file(const struct client_ctx *ctx)
{
	return paths_log_file(ctx->cache_dir);
}

/* Wait until the daemon holding the socket's lock exits (bounded). */
int client_wait_daemon_exit(struct client_ctx *ctx, unsigned timeout_ms, struct err *e)
{
	char *lock = paths_lock_file(ctx->socket_path);
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint64_t deadline = conn__now_ms() + timeout_ms;
	unsigned delay = 1;
	int rc = 0;

	if (fd < 0) {
		free(lock);
		return 0; /* no lock file: no daemon ever ran here */
	}
	/* The daemon holds the lock until it has removed its socket and exits. */
	while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (conn__now_ms() >= deadline) {
			rc = err_set(e, -ETIMEDOUT,
				     "whlcd still holds %s after %u s (it finishes in-flight "
				     "requests first)",
				     lock, timeout_ms / 1000);
			break;
		}
		conn__sleep_ms(delay);
		delay = delay * 2 > 50 ? 50 : delay * 2;
	}
	close(fd);
	free(lock);
	return rc;
}

/* Hello on a fresh connection: 0, -PROTO_EVERSION (details in *auto_started), or error. */
static int conn__hello(struct client_conn *c, bool *auto_started, struct err *e)
{
	struct client_reply r;
	struct msg_map m;
	int rc;

	msg_map_init(&m);
	msg_add_uint(&m, "proto", PROTO_VERSION);
	msg_add_str(&m, "version", PACKAGE_VERSION);
	msg_add_str(&m, "program", "whlc");
	rc = client_call(c, PROTO_HELLO, &m, NULL, NULL, &r, e);
	msg_map_free(&m);
	if (rc < 0)
		goto out;
	*auto_started = false;
	if (r.body != NULL)
		msg_get_bool(r.body, "auto_started", false, auto_started, NULL);
	if (r.ok) {
		msg_get_str(r.body, "version", false, 64, &c->daemon_version, NULL);
		goto out;
	}
	rc = proto_code_from_name(r.code);
	if (rc == 0 && strcmp(r.code, err_code_name(-WHLC_ELIMIT)) == 0)
		rc = -WHLC_ELIMIT; /* connection limit: client_connect waits for a free slot */
	if (rc == 0)
		rc = -WHLC_EPROTO;
	err_set(e, rc, "%s", r.message);
out:
	client_reply_free(&r);
	return rc;
}

/* Connect and hello, auto-starting and replacing a stale-version daemon as allowed. */
int client_connect(struct client_ctx *ctx, unsigned flags, struct client_conn **out, struct err *e)
{
	uint64_t deadline = 0, busy_deadline = 0;
	unsigned delay = 1;
	bool spawned = false, replaced = false;
	int fd, rc;

	*out = NULL;
	if ((rc = paths_check_sun_path(ctx->socket_path, e)) < 0)
		return rc;
	for (;;) {
		fd = conn__connect_fd(ctx->socket_path);
		if (fd >= 0) {
			struct client_conn *c = conn__new(fd);
			bool auto_started = false;
			ctx->daemon_pid = c->daemon_pid;
			rc = conn__hello(c, &auto_started, e);
			if (rc == 0) {
				c->ctx = ctx;
				*out = c;
				return 0;
			}
			pid_t pid = c->daemon_pid;
			client_close(c);
			if (rc == -WHLC_ELIMIT && busy_deadline == 0)
				busy_deadline = conn__now_ms() + ctx->start_timeout_ms;
			if (rc == -WHLC_ELIMIT && conn__now_ms() < busy_deadline) {
				/* Every connection slot is busy: wait for one, within the start
				 * timeout. */
				conn__sleep_ms(delay);
				delay = delay * 2 > 50 ? 50 : delay * 2;
				continue;
			}
			if (rc == -PROTO_ESHUTDOWN && (flags & CLIENT_AUTOSTART) && !replaced) {
				/* It is exiting (idle or stopped): wait, then start a new one. */
				if ((rc = client_wait_daemon_exit(ctx, 60000, e)) < 0)
					return rc;
				replaced = true;
				continue;
			}
			if (rc != -PROTO_EVERSION || !(flags & CLIENT_AUTOSTART))
				return rc;
			if (!auto_started || replaced || pid <= 0) {
				char msg[ERR_MSG_MAX];
				snprintf(msg, sizeof(msg), "%s", e->msg);
				return err_set(
				    e, rc,
				    "%s; this whlcd was not started by whlc, so it is left "
				    "alone: stop it with `whlc daemon stop` (or `systemctl "
				    "--user restart whlcd.socket whlcd.service`) and retry",
				    msg);
			}
			/* Replace an auto-started daemon of another version. */
			kill(pid, SIGTERM);
			if ((rc = client_wait_daemon_exit(ctx, 60000, e)) < 0)
				return rc;
			replaced = true;
			continue;
		}
		if (fd != -ENOENT && fd != -ECONNREFUSED)
			return err_set(e, fd, "cannot connect to whlcd at %s: %s", ctx->socket_path,
				       strerror(-fd));
		if (ctx->system)
			return err_set(
			    e, fd,
			    "the system whlcd at %s does not answer (%s): ask an "
			    "administrator to start it (systemctl start whlcd-system.socket), "
			    "or set WHLC_SOCKET to use a per-user daemon",
			    ctx->socket_path, strerror(-fd));
		if (!(flags & CLIENT_AUTOSTART))
			return err_set(e, fd, "no whlcd is running on %s", ctx->socket_path);
		if (!spawned) {
			if ((rc = client_spawn_daemon(ctx, e)) < 0)
				return rc;
			spawned = true;
			deadline = conn__now_ms() + ctx->start_timeout_ms;
			continue;
		}
		if (conn__now_ms() >= deadline) {
			char *log = client_log_file(ctx);
			err_set(e, -ETIMEDOUT,
				"whlcd did not accept connections on %s within %u s; see its log "
				"%s",
				ctx->socket_path, ctx->start_timeout_ms / 1000, log);
			free(log);
			return -ETIMEDOUT;
		}
		/* Poll connect with backoff until the daemon accepts. */
		conn__sleep_ms(delay);
		delay = delay * 2 > 50 ? 50 : delay * 2;
	}
}
