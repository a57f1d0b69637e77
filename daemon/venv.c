/* venv.c: target venv resolution, opening, interpreter lookup and the `.lock` flock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "venv.h"
#include "xalloc.h"

/* Normalize an absolute path per segment, like os.path.normpath. */
char *venv_normpath(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = path;

	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = sb.len ? strrchr(sb.buf, '/') : NULL;
			if (slash) {
				sb.len = (size_t)(slash - sb.buf);
				sb.buf[sb.len] = '\0';
			}
		} else {
			strbuf_addc(&sb, '/');
			strbuf_add(&sb, p, n);
		}
		p = e;
	}
	if (sb.len == 0)
		strbuf_addc(&sb, '/');
	return strbuf_detach(&sb, NULL);
}

/* Choose the venv directory. */
char *venv_resolve(const char *opt, const char *virtual_env, const char *cwd)
{
	const char *p = opt && *opt ? opt : virtual_env && *virtual_env ? virtual_env : ".venv";
	char *joined = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", cwd, p);
	char *norm = venv_normpath(joined);
	free(joined);
	return norm;
}

/* Open the venv at path. */
int venv_open(const char *path, struct venv *v, struct err *err)
{
	struct stat st;
	int rc;

	v->path = venv_normpath(path);
	v->lockfd = -1;
	v->python = NULL;
	v->dirfd = open(v->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd < 0) {
		rc = -errno;
		err_set(err, rc, "virtual environment %s: %s%s", v->path, strerror(errno),
			errno == ENOENT ? " (create one with `python -m venv DIR`, or pass --venv)"
					: "");
		goto fail;
	}
	vat_init(&v->at, v->dirfd, v->path);
	if (fstatat(v->dirfd, "pyvenv.cfg", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(
		    err, -ENOENT,
		    "%s is not a virtual environment: it has no pyvenv.cfg (create one with "
		    "`python -m venv %s`)",
		    v->path, v->path);
		goto fail;
	}
	/* bin/python may be a symlink to the base interpreter: follow it for X_OK. */
	static const char *const names[] = {"bin/python", "bin/python3"};
	for (size_t i = 0; i < 2 && v->python == NULL; i++)
		if (faccessat(v->dirfd, names[i], X_OK, AT_EACCESS) == 0)
			v->python =
			    xasprintf("%s/%s", strcmp(v->path, "/") ? v->path : "", names[i]);
	if (v->python == NULL) {
		rc = err_set(
		    err, -ENOENT,
		    "virtual environment %s has no working bin/python (its base interpreter "
		    "may have been removed; recreate the venv)",
		    v->path);
		goto fail;
	}
	return 0;
fail:
	venv_close(v);
	return rc;
}

/* Check that v is the directory the client passed open. */
int venv_bind(const struct venv *v, int client_fd, struct err *err)
{
	struct stat a, b;

	if (fstat(client_fd, &a) < 0 || fstat(v->dirfd, &b) < 0)
		return err_set(err, -errno, "venv %s: %s", v->path, strerror(errno));
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino || !S_ISDIR(a.st_mode))
		return err_set(err, -ESTALE,
			       "venv %s: not the directory the client opened (it was moved or "
			       "replaced); retry",
			       v->path);
	return 0;
}

/* Take the exclusive flock on `<venv>/.lock`. */
int venv_lock(struct venv *v, int nonblock, struct err *err)
{
	int fd, rc;

	if (v->lockfd >= 0)
		return 0;
	fd = openat(v->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return err_set(err, -errno, "cannot open %s/.lock: %s", v->path, strerror(errno));
	do
		rc = flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = -errno;
		close(fd);
		if (rc == -EWOULDBLOCK)
			return err_set(err, rc, "%s is locked by another installer (%s/.lock)",
				       v->path, v->path);
		return err_set(err, rc, "cannot lock %s/.lock: %s", v->path, strerror(-rc));
	}
	v->lockfd = fd;
	return 0;
}

/* Release the flock. */
void venv_unlock(struct venv *v)
{
	if (v->lockfd >= 0) {
		close(v->lockfd);
		v->lockfd = -1;
	}
}

/* Unlock and close everything. */
void venv_close(struct venv *v)
{
	venv_unlock(v);
	if (v->dirfd >= 0)
		close(v->dirfd);
	v->dirfd = -1;
	v->at.root = -1;
	free(v->path);
	free(v->python);
	v->path = v->python = NULL;
}
