/* conn.h: one client connection: framing, peer checks, output limits, dispatch. */
#ifndef WHLC_CONN_H
#define WHLC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "frame.h"
#include "proto.h"
#include "request.h"

struct daemon;

struct conn {
	uv_pipe_t pipe; /* first: handle->data is not needed to get back to conn */
	struct daemon *d;
	uint64_t serial;
	struct frame_dec dec;
	enum conn_state state;
	struct peer_cred peer;
	size_t out_pending;   /* bytes written but not yet flushed */
	unsigned inflight;    /* requests of this connection not yet replied */
	uint64_t progress_ms; /* uv_now at accept or at the last whole request received */
	bool closing;	      /* no more reads; closes once output is flushed */
	bool closed;	      /* uv_close called */
	uv_shutdown_t shutdown_req;
	struct req *reqs; /* requests still referencing this connection */
	struct conn *next, *prev;
	/*
	 * Reads use recvmsg() on a dup of the socket watched by rpoll, so that
	 * descriptors sent with SCM_RIGHTS are received (libuv's non-IPC pipe
	 * reads discard them, and its IPC mode only hands over socket handles).
	 * Writes, shutdown and close stay on pipe.
	 */
	uv_poll_t rpoll;
	int rfd;		/* the dup, -1 when closed */
	int handles_open;	/* pipe and rpoll: freed when both are closed */
	int fdq[PROTO_MAX_FDS]; /* received descriptors not yet claimed by a frame */
	size_t nfdq;
	char rbuf[64 * 1024];
};

/* Accept a pending connection on the daemon's server socket. */
void conn_accept(struct daemon *d);

/* Queue buf (malloc'd, ownership taken) for sending; drops it if conn is closing. */
void conn_write(struct conn *c, char *buf, size_t len);

/* Send an error reply for request id (0: not tied to a request). */
void conn_send_error(struct conn *c, uint64_t id, int code, const char *msg);

/* Stop reading and close once pending output is flushed. */
void conn_close_after_flush(struct conn *c);

/* Close every connection (after flushing) at daemon exit. */
void conn_close_all(struct daemon *d);

#endif
