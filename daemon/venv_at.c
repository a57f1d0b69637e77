/* venv_at.c: opening and creating beneath a venv directory descriptor (openat2 RESOLVE_BENEATH). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "venv_at.h"
#include "xalloc.h"

/* openat2 answers EAGAIN when a concurrent rename raced the lookup: retry this often. */
#define VAT_RETRIES 8
/* Attempts at a free temporary directory name. */
#define VAT_TMP_TRIES 100

/* Anchor a on root. */
void vat_init(struct vat *a, int root, const char *path)
{
	a->root = root;
	a->path = path;
	a->plen = strcmp(path, "/") ? strlen(path) : 0;
}

/* The part of abs below the venv. */
const char *vat_rel(const struct vat *a, const char *abs)
{
	if (a->plen == 0 && !strcmp(abs, "/"))
		return ".";
	if (strncmp(abs, a->path, a->plen) != 0)
		return NULL;
	if (abs[a->plen] == '\0')
		return ".";
	if (abs[a->plen] != '/' || abs[a->plen + 1] == '\0')
		return NULL;
	return abs + a->plen + 1;
}

/* openat2 of the relative directory rel beneath the venv (glibc 2.36 has no wrapper). */
static int vat__openat2(const struct vat *a, const char *rel)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	for (int i = 0; i < VAT_RETRIES; i++) {
		fd = syscall(SYS_openat2, a->root, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			break;
	}
	return -errno;
}

/* Open directory abs beneath the venv. */
int vat_opendir(const struct vat *a, const char *abs)
{
	const char *rel = vat_rel(a, abs);

	if (rel == NULL)
		return -EXDEV;
	return vat__openat2(a, rel);
}

/* Open the parent of abs beneath the venv. */
int vat_openparent(const struct vat *a, const char *abs, const char **base)
{
	const char *rel = vat_rel(a, abs), *slash;
	int fd;

	if (rel == NULL || !strcmp(rel, "."))
		return -EXDEV;
	slash = strrchr(rel, '/');
	*base = slash ? slash + 1 : rel;
	if (slash == NULL)
		return vat__openat2(a, ".");
	char *dir = xstrndup(rel, (size_t)(slash - rel));
	fd = vat__openat2(a, dir);
	free(dir);
	return fd;
}

/* mkdir of rel's last segment in its parent, creating missing parents first. */
static int vat__mkdirs(const struct vat *a, char *rel, int depth)
{
	char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	int pfd, rc;

	if (depth > 256)
		return -ELOOP;
	if (slash) {
		*slash = '\0';
		pfd = vat__openat2(a, rel);
		if (pfd == -ENOENT) {
			rc = vat__mkdirs(a, rel, depth + 1);
			pfd = rc < 0 ? rc : vat__openat2(a, rel);
		}
		*slash = '/';
	} else {
		pfd = vat__openat2(a, ".");
	}
	if (pfd < 0)
		return pfd;
	rc = mkdirat(pfd, base, 0755) == 0 || errno == EEXIST ? 0 : -errno;
	close(pfd);
	return rc;
}

/* Create directory abs and its missing parents beneath the venv. */
int vat_mkdirs(const struct vat *a, const char *abs)
{
	const char *rel = vat_rel(a, abs);

	if (rel == NULL)
		return -EXDEV;
	if (!strcmp(rel, "."))
		return 0;
	char *r = xstrdup(rel);
	int rc = vat__mkdirs(a, r, 0);
	free(r);
	return rc;
}

/* Make a new private directory in the venv's top directory. */
int vat_mkdtemp(const struct vat *a, const char *prefix, char name[64])
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t rnd[6];

	for (int i = 0; i < VAT_TMP_TRIES; i++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -errno;
		char suf[7];
		for (int k = 0; k < 6; k++)
			suf[k] = chars[rnd[k] % (sizeof(chars) - 1)];
		suf[6] = '\0';
		snprintf(name, 64, "%s%s", prefix, suf);
		if (mkdirat(a->root, name, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* The parent of abs through the cache. */
int vat_cache_parent(const struct vat *a, struct vat_cache *c, const char *abs, const char **base)
{
	const char *slash = strrchr(abs, '/');
	size_t dl;

	if (slash == NULL)
		return -EINVAL;
	dl = (size_t)(slash - abs);
	*base = slash + 1;
	if (c->dir && c->len == dl && !strncmp(c->dir, abs, dl))
		return c->fd >= 0 ? c->fd : c->err;
	vat_cache_close(c);
	c->dir = xstrndup(abs, dl);
	c->len = dl;
	c->fd = vat_openparent(a, abs, base);
	c->err = c->fd < 0 ? c->fd : 0;
	return c->fd >= 0 ? c->fd : c->err;
}

/* Close and forget the cached directory. */
void vat_cache_close(struct vat_cache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->dir);
	c->dir = NULL;
	c->fd = -1;
	c->err = 0;
}

/* Why an operation failed, in words. */
const char *vat_strerror(const struct vat *a, int rc, char buf[256])
{
	if (rc == -EXDEV) {
		snprintf(buf, 256,
			 "it leads outside the venv %s (a symlink on the way is absolute or points "
			 "out of the venv; whlc follows only symlinks that stay inside it)",
			 a->path);
		return buf;
	}
	return strerror(-rc);
}

/* err_set with vat_strerror. */
int vat_err(const struct vat *a, struct err *err, int rc, const char *what, const char *abs)
{
	char buf[256];

	return err_set(err, rc, "%s %s: %s", what, abs, vat_strerror(a, rc, buf));
}
