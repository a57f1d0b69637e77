/*
 * userfile.h: files and directories a client passes open (SCM_RIGHTS), and
 * the system-mode rule that the daemon never opens a user's path itself.
 */
#ifndef WHLC_USERFILE_H
#define WHLC_USERFILE_H

#include <msgpack.h>
#include <stdint.h>

#include "err.h"
#include "ident.h"
#include "ingest.h"
#include "request.h"

/*
 * Read the optional array body[key] of descriptor indexes, one per item
 * (-1: the client could not open that one). Absent: every index is -1.
 * *out has n entries (malloc'd).
 */
struct ingest_batch;

int userfile_indexes(const msgpack_object *body, const char *key, size_t n, int64_t **out,
		     struct err *e);

/*
 * Ingest one wheel of a request: from its descriptor when it has one, else by
 * path (per-user mode only). In system mode the wheel is first copied into a
 * daemon-private snapshot, hashed and read from there, so that the client
 * cannot change the bytes between the checks and the reads.
 */
int userfile_ingest(struct req *req, const char *path, int64_t fd_index, struct ingest_result *res,
		    struct err *e);
/* The same, but only staged into slot of batch b (ingest_batch.h); b publishes it. */
int userfile_stage(struct req *req, const char *path, int64_t fd_index, struct ingest_batch *b,
		   size_t slot, struct ingest_result *res, struct err *e);

/*
 * System mode: make the calling worker thread act as the request's peer and
 * set *bind_fd to the venv directory the client passed open (venv_fd_index;
 * the request's descriptor, not to be closed): the installer opens venv as
 * the user and binds it to that directory (venv_bind). Per-user mode: nothing
 * (*bind_fd stays -1). On success call userfile_leave() when done.
 */
int userfile_enter(struct req *req, const char *venv, int64_t venv_fd_index, int *bind_fd,
		   struct err *e);
void userfile_leave(struct req *req);

#endif
