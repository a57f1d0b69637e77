/* request.h: THE handler API: request table, request objects, replies, events, thread-pool work. */
#ifndef WHLC_REQUEST_H
#define WHLC_REQUEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>
#include <uv.h>

#include "err.h"
#include "msg.h"

struct daemon;
struct conn;
struct req;

/* Connection states; a request definition lists the states it is allowed in (bitmask). */
enum conn_state {
	CONN_NEW = 1 << 0,   /* connected, before a successful hello */
	CONN_READY = 1 << 1, /* hello done: versions match */
};

/*
 * A handler runs on the loop thread with the request and its decoded body
 * (always a map, possibly empty). It must end the request exactly once with
 * req_reply_ok or req_reply_error: either right away, or later from a done_fn
 * of req_queue_work. Blocking work (disk, hashing, SQLite) goes to
 * req_queue_work, never into the handler itself.
 */
typedef void (*req_handler_fn)(struct req *req, const msgpack_object *body);

/* Flags of a request definition. */
enum {
	REQ_TEST_ONLY = 1 << 0, /* only with whlcd --test-mode (otherwise unknown) */
	REQ_ADMIN = 1 << 1,	/* system mode: root and the daemon's user only (sysmode_admin) */
};

/* One row of the request table (daemon/reqtable.c). */
struct req_def {
	uint32_t type; /* enum proto_type, never reused */
	const char *name;
	req_handler_fn handler;
	unsigned states; /* CONN_NEW | CONN_READY */
	unsigned flags;
};

extern const struct req_def req_table[];
extern const size_t req_table_len;

/* Supplementary groups kept per peer; a peer with more is refused in system mode. */
#define PEER_MAX_GROUPS 128

/* Peer credentials of the connection a request came on (SO_PEERCRED, SO_PEERGROUPS). */
struct peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int ngroups; /* -1: unknown (not read in per-user mode) */
	gid_t groups[PEER_MAX_GROUPS];
};

/*
 * A request in flight. Reference counted: the request stays valid until it is
 * replied to AND all its queued work is done, even if the client disconnected
 * (then replies and events are dropped silently). Handlers treat it as opaque
 * except through the functions below.
 */
struct req {
	struct daemon *d;
	struct conn *conn; /* NULL once the connection is gone (loop thread only) */
	const struct req_def *def;
	uint64_t id;	       /* client-chosen id, echoed in every reply and event */
	struct peer_cred peer; /* copied from the connection */
	msgpack_unpacked msg;  /* owns the request and its body */
	atomic_int refs;
	atomic_bool gone; /* client disconnected: work may stop early */
	bool replied;
	bool close_after; /* close the connection after the reply */
	int *fds;	  /* descriptors the request carried (-1 once taken) */
	size_t n_fds;
	struct req *next, *prev; /* the connection's request list */
};

/* The daemon context (loop, options, paths, log, counters, store...). */
struct daemon *req_daemon(struct req *req);

/* The peer's pid, uid, gid. */
const struct peer_cred *req_peer(const struct req *req);

/*
 * Descriptor i the request carried (see proto.h), still owned by the request
 * (closed when it is freed), or -1 when there is no such index. Thread-safe.
 */
int req_fd(const struct req *req, uint64_t i);

/* True once the client went away; long work may stop early. Thread-safe. */
bool req_client_gone(struct req *req);

/* Work on libuv's thread pool: work_fn on a worker thread, then done_fn on the loop. */
typedef void (*req_work_fn)(struct req *req, void *arg);
/* status is 0, or UV_ECANCELED if the work never ran. */
typedef void (*req_done_fn)(struct req *req, void *arg, int status);

/* Queue work_fn(req, arg) on the thread pool; done_fn(req, arg, status) runs on the loop after. */
int req_queue_work(struct req *req, req_work_fn work_fn, req_done_fn done_fn, void *arg);

/*
 * Send a progress event {type: event, id, body}. Callable from any thread
 * (worker threads included): the frame is encoded by the caller and queued to
 * the loop. Events are delivered before the final reply. body may be NULL.
 */
void req_event(struct req *req, const struct msg_map *body);

/* Final success reply with body (NULL: empty map). Loop thread only. */
void req_reply_ok(struct req *req, const struct msg_map *body);

/*
 * Final error reply with a stable code (negative: -ENOENT, -WHLC_EBADWHEEL,
 * -PROTO_EVERSION...) and a human message. Protocol errors (-WHLC_EPROTO and
 * the PROTO_E* codes) also close the connection after the reply.
 */
void req_reply_error(struct req *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, with a details map sent as "body" of the error. */
void req_reply_error_details(struct req *req, int code, const struct msg_map *details,
			     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Final error reply from a struct err (code + message). */
void req_reply_err(struct req *req, const struct err *e);

/* Move the connection of req to state (used by hello). */
void req_set_conn_state(struct req *req, enum conn_state state);

/* Take / drop a reference (the last drop frees the request). */
void req_ref(struct req *req);
void req_unref(struct req *req);

/*
 * Dispatch helpers, exposed for the connection code and unit tests.
 * req_parse_envelope: read type/id/body of a request map (body defaults to NULL).
 * req_lookup: find the definition of type allowed in state; -PROTO_EUNKNOWN for
 * unknown or reply-kind ids and test-only requests without test_mode,
 * -PROTO_ESTATE when not allowed in state (e.g. before hello).
 */
int req_parse_envelope(const msgpack_object *root, uint64_t *type, uint64_t *id,
		       const msgpack_object **body, struct err *e);
int req_lookup(uint64_t type, enum conn_state state, bool test_mode, const struct req_def **out,
	       struct err *e);

/* Create a request for conn (takes ownership of msg and of the n_fds fds) and run its handler. */
void req_start(struct conn *conn, const struct req_def *def, uint64_t id, msgpack_unpacked *msg,
	       const msgpack_object *body, int *fds, size_t n_fds);

/* Send queued progress events (loop thread). */
void req_flush_events(struct daemon *d);

/* The connection closed: detach its requests so their replies are dropped. */
void req_detach_all(struct conn *conn);

#endif
