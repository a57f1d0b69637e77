/*
 * venv_at.h: operations beneath a venv directory descriptor (issue 9, SECURITY.md rule 6).
 *
 * Every path the installer touches in a venv is resolved from the venv's
 * directory descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS):
 * symlinks inside the venv are followed while they stay beneath it (the
 * `lib64 -> lib` of every venv), and one that leads out of it (absolute, or
 * `..` past the venv) is refused with -EXDEV ("leads outside the venv"). The
 * last component is then used with an *at() call relative to that directory
 * (mkdirat, linkat, renameat, unlinkat, fstatat(AT_SYMLINK_NOFOLLOW),
 * openat(O_NOFOLLOW or O_EXCL)), so nothing is resolved twice by name and a
 * symlink swapped in between check and use is never followed out of the venv.
 */
#ifndef WHLC_VENV_AT_H
#define WHLC_VENV_AT_H

#include <stddef.h>

#include "err.h"

/* A venv directory: the anchor of every operation in it. */
struct vat {
	int root;	  /* directory fd of the venv (not owned), -1: none */
	const char *path; /* its absolute normalized path (not owned), for names and messages */
	size_t plen;	  /* strlen(path), 0 when path is "/" */
};

/* Anchor a on the directory fd root, whose absolute normalized path is path. */
void vat_init(struct vat *a, int root, const char *path);

/* The part of abs below the venv ("." for the venv itself), NULL when abs is not in it. */
const char *vat_rel(const struct vat *a, const char *abs);

/*
 * Open the directory abs (absolute, normalized, inside the venv) beneath the
 * venv, read-only, close-on-exec. fd, or -errno: -EXDEV when the way leads
 * outside the venv (or abs is not in it), -ENOENT, -ENOTDIR...
 */
int vat_opendir(const struct vat *a, const char *abs);

/* Open the parent directory of abs beneath the venv; *base points at abs's last segment. */
int vat_openparent(const struct vat *a, const char *abs, const char **base);

/* Create directory abs and its missing parents (0755) beneath the venv; EEXIST is fine. */
int vat_mkdirs(const struct vat *a, const char *abs);

/* Make a new directory `<prefix>XXXXXX` (0700) in the venv's top directory; fills name (64). */
int vat_mkdtemp(const struct vat *a, const char *prefix, char name[64]);

/* The last parent directory opened, reused while consecutive paths share it. */
struct vat_cache {
	char *dir; /* absolute, NULL: none */
	size_t len;
	int fd; /* -1: none (or the last open failed: then err holds why) */
	int err;
};
#define VAT_CACHE_INIT                                                                             \
	{                                                                                          \
		NULL, 0, -1, 0                                                                     \
	}

/*
 * vat_openparent through the cache: the fd stays owned by c (do not close
 * it). One openat2 per change of directory, none for the files after it.
 */
int vat_cache_parent(const struct vat *a, struct vat_cache *c, const char *abs, const char **base);
/* Close and forget the cached directory. */
void vat_cache_close(struct vat_cache *c);

/* Why an operation on abs failed, in words: names the venv for -EXDEV. */
const char *vat_strerror(const struct vat *a, int rc, char buf[256]);

/* err_set(err, rc, "<what> <abs>: <why>") with vat_strerror. */
int vat_err(const struct vat *a, struct err *err, int rc, const char *what, const char *abs);

#endif
