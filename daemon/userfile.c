/* userfile.c: files a client passes open, snapshots, and acting as the client (system mode). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "daemon.h"
#include "ingest_batch.h"
#include "proto.h"
#include "userfile.h"
#include "xalloc.h"

#define USERFILE_MAX_WHEEL (UINT64_C(8) << 30)

/* Descriptor indexes, one per item. */
int userfile_indexes(const msgpack_object *body, const char *key, size_t n, int64_t **out,
		     struct err *e)
{
	const msgpack_object *a = msg_get(body, key);

	*out = xmalloc((n ? n : 1) * sizeof(**out));
	for (size_t i = 0; i < n; i++)
		(*out)[i] = -1;
	if (a == NULL || a->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != n)
		return err_set(e, -WHLC_EPROTO, "%s must be an array of %zu descriptor indexes",
			       key, n);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *o = &a->via.array.ptr[i];
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 < PROTO_MAX_FDS)
			(*out)[i] = (int64_t)o->via.u64;
		else if (o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return err_set(e, -WHLC_EPROTO, "%s[%zu] is not a descriptor index", key,
				       i);
	}
	return 0;
}

/* The request's descriptor at index, or an error naming what. */
static int userfile__fd(struct req *req, int64_t index, const char *what, struct err *e)
{
	int fd = req_fd(req, (uint64_t)index);

	if (fd < 0)
		return err_set(e, -WHLC_EPROTO,
			       "%s: descriptor %lld was announced but not sent with the request",
			       what, (long long)index);
	return fd;
}

/* Copy the regular file on fd into an unnamed daemon-owned file in the store's tmp dir. */
static int userfile__snapshot(struct store *s, int fd, const char *path, int *out, struct err *e)
{
	char buf[1 << 16];
	struct stat st;
	uint64_t off = 0;
	int snap;

	if (fstat(fd, &st) < 0)
		return err_set(e, -errno, "%s: fstat: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, -EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > USERFILE_MAX_WHEEL)
		return err_set(e, -WHLC_ELIMIT, "%s: %lld bytes is larger than a wheel may be",
			       path, (long long)st.st_size);
	snap = openat(s->tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (snap < 0)
		return err_set(e, -errno, "%s: cannot create a snapshot in the cache: %s", path,
			       strerror(errno));
	/* pread: the client shares this file description; its offset is not ours. */
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = err_set(e, -errno, "%s: cannot read: %s", path, strerror(errno));
			close(snap);
			return rc;
		}
		if (n == 0)
			break;
		if (off + (uint64_t)n > USERFILE_MAX_WHEEL || write(snap, buf, (size_t)n) != n) {
			int rc = err_set(
			    e, off + (uint64_t)n > USERFILE_MAX_WHEEL ? -WHLC_ELIMIT : -EIO,
			    "%s: cannot copy into the cache: %s", path,
			    off + (uint64_t)n > USERFILE_MAX_WHEEL ? "too large" : strerror(errno));
			close(snap);
			return rc;
		}
		off += (uint64_t)n;
	}
	*out = snap;
	return 0;
}

/* Ingest one wheel of a request, or only stage it into slot of b when b is not NULL. */
static int userfile__ingest(struct req *req, const char *path, int64_t fd_index,
			    struct ingest_batch *b, size_t slot, struct ingest_result *res,
			    struct err *e)
{
	struct daemon *d = req_daemon(req);
	struct cache *c = d->cache;
	int fd, own, rc;

	memset(res, 0, sizeof(*res));
	if (fd_index < 0) {
		if (d->sys != NULL)
			return err_set(
			    e, -EACCES,
			    "%s: the system whlcd opens no file for its clients, and the "
			    "client did not pass this one open (it could not open it: "
			    "check that you can read it)",
			    path);
		return b ? ingest_batch_stage(b, slot, path, res, e)
			 : ingest_wheel(&c->ingest, path, res, e);
	}
	if ((fd = userfile__fd(req, fd_index, path, e)) < 0)
		return fd;
	if (d->sys != NULL) {
		ident_suspend(); /* the snapshot is the daemon's file */
		rc = userfile__snapshot(&c->store, fd, path, &own, e);
		if (rc == 0) {
			rc =
			    b ? ingest_batch_stage_fd(b, slot, own, path, INGEST_NO_STATCACHE, res,
						      e)
			      : ingest_wheel_fd(&c->ingest, own, path, INGEST_NO_STATCACHE, res, e);
			close(own);
		}
		ident_resume();
		return rc;
	}
	/* Per user: a description of our own (the offset is not shared with the client). */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	own = open(proc, O_RDONLY | O_CLOEXEC);
	rc = b ? ingest_batch_stage_fd(b, slot, own >= 0 ? own : fd, path, 0, res, e)
	       : ingest_wheel_fd(&c->ingest, own >= 0 ? own : fd, path, 0, res, e);
	if (own >= 0)
		close(own);
	return rc;
}

/* Ingest one wheel of a request (see userfile.h). */
int userfile_ingest(struct req *req, const char *path, int64_t fd_index, struct ingest_result *res,
		    struct err *e)
{
	return userfile__ingest(req, path, fd_index, NULL, 0, res, e);
}

/* Stage one wheel of a request into slot of a batch (see userfile.h). */
int userfile_stage(struct req *req, const char *path, int64_t fd_index, struct ingest_batch *b,
		   size_t slot, struct ingest_result *res, struct err *e)
{
	return userfile__ingest(req, path, fd_index, b, slot, res, e);
}

/* Act as the request's peer (system mode) and check the venv descriptor. */
int userfile_enter(struct req *req, const char *venv, int64_t venv_fd_index, int *bind_fd,
		   struct err *e)
{
	struct daemon *d = req_daemon(req);
	struct ident id;
	struct stat st;
	int fd, rc;

	*bind_fd = -1;
	if (d->sys == NULL)
		return 0;
	if (venv_fd_index < 0)
		return err_set(e, -EACCES,
			       "venv %s: the system whlcd opens no directory for its clients, and "
			       "the client did not pass it open (it does not exist, is not a "
			       "directory, or you cannot open it)",
			       venv);
	if ((fd = userfile__fd(req, venv_fd_index, venv, e)) < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(e, -ENOTDIR, "venv %s: the descriptor passed is not a directory",
			       venv);
	ident_from_peer(&id, req_peer(req));
	if ((rc = ident_enter(&id, e)) < 0)
		return rc;
	/*
	 * The installer opens venv by path, as the user and in the daemon's mount
	 * namespace (a link between the client's mount and the store's would be
	 * EXDEV), then checks it is this directory (venv_bind) and works only
	 * beneath that descriptor (venv_at.h).
	 */
	*bind_fd = fd;
	return 0;
}

/* Back to the daemon's identity. */
void userfile_leave(struct req *req)
{
	if (req_daemon(req)->sys != NULL)
		ident_leave();
}
