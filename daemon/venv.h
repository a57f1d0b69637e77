/* venv.h: the target virtual environment: resolution, directory fd, interpreter, `.lock`. */
#ifndef WHLC_VENV_H
#define WHLC_VENV_H

#include "err.h"
#include "venv_at.h"

struct venv {
	char *path;    /* absolute, normalized (like os.path.abspath: symlinks kept) */
	int dirfd;     /* O_DIRECTORY|O_PATH-free fd on path, -1 when closed */
	int lockfd;    /* `<venv>/.lock`, -1 when not locked */
	char *python;  /* `<path>/bin/python` (or bin/python3 when only that exists) */
	struct vat at; /* dirfd and path: the anchor of every operation in the venv (venv_at.h) */
};

/*
 * Choose the venv directory: opt (--venv), else virtual_env ($VIRTUAL_ENV,
 * may be NULL or empty), else `./.venv`; relative paths are taken from cwd
 * (the client's). Returns a new normalized absolute path; never NULL.
 */
char *venv_resolve(const char *opt, const char *virtual_env, const char *cwd);

/*
 * Open the venv at path: it must be a directory holding a regular
 * pyvenv.cfg and an executable bin/python. Errors name the path and say
 * how to create a venv.
 */
int venv_open(const char *path, struct venv *v, struct err *err);

/*
 * Bind an opened venv to the directory a client passed open (system mode):
 * both descriptors must be the same directory (st_dev, st_ino). Everything
 * in the venv is then done relative to v->dirfd, so the request acts on
 * exactly what the client opened, whatever happens to the path afterwards.
 */
int venv_bind(const struct venv *v, int client_fd, struct err *err);

/* Take the exclusive flock on `<venv>/.lock` (the file uv uses); blocks unless nonblock. */
int venv_lock(struct venv *v, int nonblock, struct err *err);
void venv_unlock(struct venv *v);

/* Unlock and close everything. */
void venv_close(struct venv *v);

/* Normalize an absolute path per segment ("//", ".", ".." and a trailing "/"); new string. */
char *venv_normpath(const char *path);

#endif
