/* proto.h: the whlc wire protocol: framing limits, message type ids, error codes. */
#ifndef WHLC_PROTO_H
#define WHLC_PROTO_H

#include <stdint.h>

/*
 * Protocol version. Bump it on any incompatible change of a message layout.
 * The hello exchange and the error-reply layout are frozen across versions so
 * that a client can always read a version-mismatch error.
 */
#define PROTO_VERSION 1

/* A frame is a 4-byte big-endian payload length, then one msgpack map. */
#define PROTO_FRAME_HDR 4
#define PROTO_FRAME_MAX (16u * 1024 * 1024)
/* Limits on what one decoded frame may contain (checked before unpacking). */
#define PROTO_MAX_DEPTH	   16
#define PROTO_MAX_ELEMENTS (1u << 20)

/*
 * Envelope keys. Request:  {"type": uint, "id": uint, "body": map (optional)}.
 * OK reply / event:        {"type": PROTO_REPLY_OK|PROTO_EVENT, "id": uint, "body": map}.
 * Error reply:             {"type": PROTO_REPLY_ERROR, "id": uint, "code": str,
 *                           "message": str, "body": map (optional details)}.
 * "id" is chosen by the client and echoed by every reply and event of that request.
 * Id 0 is used by the daemon for errors about frames it could not read.
 *
 * File descriptors. A request may carry open files (SCM_RIGHTS), so that the
 * daemon acts on what the client could open instead of opening user paths
 * itself (see SECURITY.md). The client sends the descriptors as ancillary data
 * of the sendmsg() that carries the first bytes of the frame, and announces
 * their number in the envelope: {"fds": N} (optional, default 0, at most
 * PROTO_MAX_FDS). The daemon queues descriptors in arrival order and hands the
 * first N of its queue to each frame as it completes; bodies refer to them by
 * index (0..N-1), e.g. install {"venv_fd": 0, "wheel_fds": [1, 2]}. A peer may
 * have at most PROTO_MAX_FDS descriptors queued; more, a frame announcing more
 * than arrived, or truncated ancillary data (MSG_CTRUNC) is a protocol error
 * that closes the connection. Descriptors a request does not use are closed
 * when it ends; those still queued are closed with the connection.
 * The change is compatible (fds and the keys naming them are optional), so it
 * did not bump PROTO_VERSION: a client without them sends paths, which only
 * the per-user daemon accepts.
 */
#define PROTO_K_TYPE	"type"
#define PROTO_K_ID	"id"
#define PROTO_K_BODY	"body"
#define PROTO_K_CODE	"code"
#define PROTO_K_MESSAGE "message"
#define PROTO_K_FDS	"fds"

/* Descriptors one frame may carry (and one peer may have queued); the kernel allows 253. */
#define PROTO_MAX_FDS 250

/* Message type ids. Explicit numbers, never reused or renumbered. */
enum proto_type {
	/* Replies and events (daemon -> client). */
	PROTO_REPLY_OK = 1,
	PROTO_REPLY_ERROR = 2,
	PROTO_EVENT = 3,

	/* Requests (client -> daemon). */
	PROTO_HELLO = 16,      /* {proto, version, program} -> {proto, version, pid} */
	PROTO_STATUS = 17,     /* {} -> daemon state and counters */
	PROTO_SHUTDOWN = 18,   /* {} -> {} then the daemon exits gracefully */
	PROTO_TEST_SLEEP = 19, /* {ms, events} only with whlcd --test-mode (tests) */
	PROTO_TEST_PIN = 20,   /* {wheel_id, pin} only with --test-mode: pin as an install does */
	PROTO_TEST_PLAN = 21,  /* {path} only with --test-mode: the pre-link object check */

	/* Reserved for issue 4 (store and catalog); not exposed yet. */
	PROTO_CACHE_ADD = 32,
	PROTO_CACHE_STATS = 33,
	PROTO_CACHE_DIR = 34,
	/* Reserved for issue 5 (install); not exposed yet. */
	PROTO_INSTALL = 48,
	PROTO_UNINSTALL = 49,
	PROTO_LIST = 50,
	PROTO_VERIFY = 51,
	/* Reserved for issue 7 (cache lifecycle); not exposed yet. */
	PROTO_CACHE_PRUNE = 64,
	PROTO_CACHE_GC = 65,
	PROTO_CACHE_CLEAR = 66,
	PROTO_CACHE_VERIFY = 67,
};

/*
 * Protocol-level error codes, used negated like the codes of common/err.h
 * (-PROTO_EVERSION). On the wire every error is sent as a stable string
 * (proto_code_name): these names plus those of err_code_name.
 */
enum {
	PROTO_EVERSION = 2000, /* "version-mismatch": hello versions differ */
	PROTO_EUNKNOWN,	       /* "unknown-request": no such request type */
	PROTO_ESTATE,	       /* "bad-state": request not allowed now (e.g. before hello) */
	PROTO_EREFUSED,	       /* "refused": peer not allowed (other uid) */
	PROTO_ESHUTDOWN,       /* "shutting-down": daemon is stopping */
};

/* Stable wire name of an error code (protocol codes and err.h codes). */
const char *proto_code_name(int code);

/* Inverse of proto_code_name for the protocol-level names; 0 when unknown. */
int proto_code_from_name(const char *name);

/* Human name of a message type ("hello", "status", ...) or NULL. */
const char *proto_type_name(uint64_t type);

#endif
