/* install_link.c: putting store objects into a venv: directories, hardlinks, clones, copies. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "ident.h"
#include "install.h"
#include "script.h"
#include "store_copy.h"
#include "xalloc.h"

/* Files per thread before linking is spread over more threads. */
#define INSTALL_LINK_CHUNK   1500
#define INSTALL_LINK_THREADS 4
/* Largest `.data/scripts` file read into memory for a `#!python` rewrite. */
#define INSTALL_SCRIPT_MAX (64u << 20)

/* Attempts at a free temporary name (leftovers of a crash may hold a few). */
#define INSTALL_TMP_TRIES 1000

/*
 * The i-th temporary name of this thread: the thread id keeps concurrent
 * linkers apart and the caller's O_EXCL/EEXIST loop skips names in use, so no
 * shared counter is needed.
 */
static void install__tmpname(char tmp[64], char kind, unsigned i)
{
	snprintf(tmp, 64, ".whlc-tmp-%d-%c%ld-%u", (int)getpid(), kind, (long)gettid(), i);
}

/*
 * Create base in dfd for writing. When a file is already there, a temporary
 * name is created instead (tmp filled) to be renamed over it afterwards: an
 * existing file is never truncated (it may be a store object or a mapped .so).
 */
static int install__create(int dfd, const char *base, int exec, char tmp[64], int *existed)
{
	mode_t mode = exec ? 0755 : 0644;
	int fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	tmp[0] = '\0';
	if (fd >= 0 || errno != EEXIST)
		return fd >= 0 ? fd : -errno;
	*existed = 1;
	for (unsigned i = 0; i < INSTALL_TMP_TRIES; i++) {
		install__tmpname(tmp, 'w', i);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	return fd >= 0 ? fd : -errno;
}

/* Finish a file made by install__create: fchmod exec bits past the umask, rename a temporary. */
static int install__finish(int dfd, const char *base, int fd, int exec, const char *tmp)
{
	int rc = 0;

	/* pip's modes: 0644, or 0755 for executables (ours never inherit the umask). */
	if (fchmod(fd, exec ? 0755 : 0644) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (tmp[0]) {
		if (rc == 0 && renameat(dfd, tmp, dfd, base) < 0)
			rc = -errno;
		if (rc < 0)
			unlinkat(dfd, tmp, 0);
	} else if (rc < 0) {
		unlinkat(dfd, base, 0);
	}
	return rc;
}

/* Write all of buf to fd. */
static int install__write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Copy src to dst: a reflink when allowed (clone_only: nothing else), else copy_file_range. */
static int install__copy_fd(int src, int dst, uint64_t size, int clone_only)
{
	if (ioctl(dst, FICLONE, src) == 0)
		return 0;
	if (clone_only)
		return -errno;
	uint64_t left = size;
	while (left > 0) {
		ssize_t c = copy_file_range(src, NULL, dst, NULL, left, 0);
		if (c < 0 && errno == EINTR)
			continue;
		if (c <= 0)
			break;
		left -= (uint64_t)c;
	}
	if (left == 0)
		return 0;
	/* copy_file_range refuses some pairs of filesystems (EXDEV): plain read/write. */
	char buf[1 << 16];
	off_t off = (off_t)(size - left);
	while (left > 0) {
		ssize_t r = pread(src, buf, sizeof(buf), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		int w = install__write_all(dst, buf, (size_t)r);
		if (w < 0)
			return w;
		off += r;
		left -= (uint64_t)r > left ? left : (uint64_t)r;
	}
	return 0;
}

/* Write bytes as a new file at dest (replacing an existing one by rename). */
int install_write_file(const struct vat *at, const char *dest, const void *data, size_t len,
		       int exec, int *existed, struct err *err)
{
	const char *base;
	char tmp[64];
	int dfd = vat_openparent(at, dest, &base), fd, rc, ex = 0;

	if (dfd < 0)
		return vat_err(at, err, dfd, "cannot open the directory of", dest);
	fd = install__create(dfd, base, exec, tmp, &ex);
	if (fd < 0) {
		close(dfd);
		return err_set(err, fd, "cannot create %s: %s", dest, strerror(-fd));
	}
	rc = install__write_all(fd, data, len);
	if (rc < 0) {
		close(fd);
		tmp[0] ? unlinkat(dfd, tmp, 0) : unlinkat(dfd, base, 0);
	} else {
		rc = install__finish(dfd, base, fd, exec, tmp);
	}
	close(dfd);
	if (existed)
		*existed = ex;
	return rc < 0 ? err_set(err, rc, "cannot write %s: %s", dest, strerror(-rc)) : 0;
}

/* Record the first error of a link job. */
static void install__fail(struct install_link *lk, int code, const char *fmt, const char *a,
			  const char *b)
{
	pthread_mutex_lock(&lk->mu);
	if (lk->rc == 0)
		lk->rc = err_set(&lk->err, code, fmt, a, b);
	pthread_mutex_unlock(&lk->mu);
}

/* Record that the directory of a file could not be opened beneath the venv. */
static void install__fail_dir(struct install_link *lk, int code, const char *dest)
{
	char why[256];

	install__fail(lk, code, "cannot open the directory of %s: %s", dest,
		      vat_strerror(lk->at, code, why));
}

/* Hardlinking is impossible here: copy from now on, and say why once. */
static void install__fall_back(struct install_link *lk, int e)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong(&lk->fell_back, &expected, 1))
		return;
	pthread_mutex_lock(&lk->mu);
	snprintf(lk->fallback_reason, sizeof(lk->fallback_reason), "%s",
		 e == EXDEV    ? "EXDEV: venv on another filesystem than the cache"
		 : e == EMLINK ? "EMLINK: too many links to a cached file"
			       : "EPERM: the kernel refused to hardlink (protected_hardlinks?)");
	pthread_mutex_unlock(&lk->mu);
}

/* Put a copy (or reflink) of object fd at dfd/base. */
static int install__copy_obj(struct install_link *lk, int dfd, const char *base,
			     struct install_file *f, int clone_only)
{
	char tmp[64];
	int src = store_object_open(lk->env->store, f->m->sha256, f->m->exec), fd, rc;

	if (src < 0)
		return src;
	fd = install__create(dfd, base, f->m->exec, tmp, &f->existed);
	if (fd < 0) {
		close(src);
		return fd;
	}
	rc = install__copy_fd(src, fd, f->m->size, clone_only);
	close(src);
	if (rc < 0) {
		close(fd);
		tmp[0] ? unlinkat(dfd, tmp, 0) : unlinkat(dfd, base, 0);
		return rc;
	}
	return install__finish(dfd, base, fd, f->m->exec, tmp);
}

/* An object at the link limit: link one of its extra copies (see install.h). */
int install_link_copy(const struct install_link *lk, const struct catalog_member *m, int dfd,
		      const char *name)
{
	struct store *s = lk->env->store;
	char cname[STORE_COPY_NAME_MAX];
	unsigned k = store_copy_hint(s, m->sha256, m->exec);
	int gone = 0, rc, e = EMLINK, tok;

	while (k <= STORE_COPIES_MAX) {
		struct err err = {0};
		ident_suspend();
		rc = store_copy_prepare(s, m->sha256, m->exec, k, &err);
		ident_resume();
		if (rc < 0) {
			errno = EMLINK;
			return -1;
		}
		store_copy_name(m->sha256, m->exec, k, cname);
		tok = ident_fowner_raise();
		rc = linkat(s->copies_fd, cname, dfd, name, 0);
		e = errno;
		ident_fowner_drop(tok);
		if (rc == 0) {
			store_copy_hint_set(s, m->sha256, m->exec, k);
			return 0;
		}
		if (e == EMLINK)
			k++;
		else if (e != ENOENT || ++gone > 3) /* ENOENT: removed meanwhile, make it again */
			break;
	}
	errno = k > STORE_COPIES_MAX ? EMLINK : e;
	return -1;
}

/*
 * Hardlink a store object to dfd/name. A thread acting as a user (system
 * mode) holds CAP_FOWNER for this call only: fs.protected_hardlinks refuses
 * links to files the linker does not own, and the object's path comes from
 * the daemon's store, never from the user.
 */
static int install__linkat(const struct install_link *lk, const struct catalog_member *m,
			   const char *rel, int dfd, const char *name)
{
	int tok = ident_fowner_raise(), rc, e;

	rc = linkat(lk->env->store->objects_fd, rel, dfd, name, 0);
	e = errno;
	ident_fowner_drop(tok);
	if (rc < 0 && e == EMLINK)
		return install_link_copy(lk, m, dfd, name);
	errno = e;
	return rc;
}

/* Link (or symlink) the object at dfd/base, replacing an existing file by rename. */
static int install__link_obj(struct install_link *lk, int dfd, const char *base,
			     struct install_file *f, int symlink_mode)
{
	char rel[STORE_RELPATH_MAX], tmp[64];
	char *target = NULL;
	int rc;

	store_object_relpath(f->m->sha256, f->m->exec, rel);
	if (symlink_mode)
		target = xasprintf("%s/%s", lk->env->store->objects, rel);
	rc =
	    symlink_mode ? symlinkat(target, dfd, base) : install__linkat(lk, f->m, rel, dfd, base);
	if (rc < 0 && errno == EEXIST) {
		f->existed = 1;
		for (unsigned i = 0; i < INSTALL_TMP_TRIES; i++) {
			install__tmpname(tmp, 'l', i);
			rc = symlink_mode ? symlinkat(target, dfd, tmp)
					  : install__linkat(lk, f->m, rel, dfd, tmp);
			if (rc == 0 || errno != EEXIST)
				break;
		}
		if (rc == 0 && renameat(dfd, tmp, dfd, base) < 0) {
			rc = -1;
			int e = errno;
			unlinkat(dfd, tmp, 0);
			errno = e;
		} else if (rc == 0) {
			/* rename(2) of two links to one inode succeeds and leaves both names. */
			unlinkat(dfd, tmp, 0);
		}
	}
	rc = rc < 0 ? -errno : 0;
	free(target);
	return rc;
}

/* Rewrite a `#!python` script (or link it when it does not start so). */
static int install__script(struct install_link *lk, int dfd, const char *base,
			   struct install_file *f, int *linked)
{
	struct strbuf out = STRBUF_INIT;
	char *buf;
	int fd, rc = 0;
	size_t n = 0;

	*linked = 0;
	if (f->m->size > INSTALL_SCRIPT_MAX)
		return -EFBIG;
	fd = store_object_open(lk->env->store, f->m->sha256, f->m->exec);
	if (fd < 0)
		return fd;
	buf = xmalloc(f->m->size + 1);
	while (n < f->m->size) {
		ssize_t r = read(fd, buf + n, f->m->size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (rc == 0 && !script_wants_rewrite(buf, n)) {
		*linked = 1;
		f->rewrite = 0;
	} else if (rc == 0) {
		char tmp[64];
		script_rewrite(buf, n, lk->executable, &out);
		hash_sha256(out.buf, out.len, f->sha256);
		f->size = (int64_t)out.len;
		fd = install__create(dfd, base, f->m->exec, tmp, &f->existed);
		if (fd < 0) {
			rc = fd;
		} else if ((rc = install__write_all(fd, out.buf, out.len)) < 0) {
			close(fd);
			tmp[0] ? unlinkat(dfd, tmp, 0) : unlinkat(dfd, base, 0);
		} else {
			rc = install__finish(dfd, base, fd, f->m->exec, tmp);
		}
	}
	free(buf);
	strbuf_free(&out);
	return rc;
}

/* Put one file in place according to the mode (falling back from hardlink to copy). */
static int install__one(struct install_link *lk, int dfd, const char *base, struct install_file *f)
{
	int rc, linked = 1;

	memcpy(f->sha256, f->m->sha256, 32);
	f->size = (int64_t)f->m->size;
	if (f->rewrite && (rc = install__script(lk, dfd, base, f, &linked)) < 0)
		return rc;
	if (!linked)
		return 0;
	switch (atomic_load(&lk->fell_back) ? INSTALL_COPY : lk->mode) {
	case INSTALL_HARDLINK:
		rc = install__link_obj(lk, dfd, base, f, 0);
		if (rc == -EXDEV || rc == -EMLINK || rc == -EPERM) {
			install__fall_back(lk, -rc);
			return install__copy_obj(lk, dfd, base, f, 0);
		}
		if (rc == 0)
			atomic_fetch_add(&lk->bytes_linked, f->m->size);
		return rc;
	case INSTALL_SYMLINK:
		if ((rc = install__link_obj(lk, dfd, base, f, 1)) == 0)
			atomic_fetch_add(&lk->bytes_linked, f->m->size);
		return rc;
	case INSTALL_CLONE:
		return install__copy_obj(lk, dfd, base, f, 1);
	case INSTALL_COPY:
	default:
		return install__copy_obj(lk, dfd, base, f, 0);
	}
}

struct install__chunk {
	struct install_link *lk;
	struct install_file *files;
	size_t n;
	const struct ident_state *ident; /* of the thread that started this one (system mode) */
};

/*
 * Open a directory to put files in, creating it (and missing parents) first
 * unless the request knows it exists: each directory is made by the thread
 * that reaches it first, while the other threads link.
 */
static int install__open_dir(struct install_link *lk, char *dir)
{
	int fd, r;

	if (!install_dirs_known(lk->known, dir)) {
		if ((r = vat_mkdirs(lk->at, dir)) < 0)
			return r;
		install_dirs_add(lk->known, dir);
	}
	fd = vat_opendir(lk->at, dir);
	return fd;
}

/* Thread body: process a contiguous run of files, reusing the parent dir fd while it repeats. */
static void *install__chunk_run(void *arg)
{
	struct install__chunk *c = arg;
	struct install_link *lk = c->lk;
	const char *cur = NULL;
	size_t curlen = 0;
	int dfd = -1;
	uint64_t since = 0;
	struct err e;

	if (c->ident && ident_adopt(c->ident, &e) < 0) {
		install__fail(lk, e.code, "%s%s", e.msg, "");
		return NULL;
	}
	for (size_t i = 0; i < c->n && lk->rc == 0; i++) {
		struct install_file *f = &c->files[i];
		const char *slash = strrchr(f->dest, '/');
		size_t dl = (size_t)(slash - f->dest);
		if (f->m == NULL)
			continue;
		if (dfd < 0 || dl != curlen || strncmp(cur, f->dest, dl) != 0) {
			char *dir;
			if (dfd >= 0)
				close(dfd);
			dir = xstrndup(f->dest, dl);
			dfd = install__open_dir(lk, dir);
			free(dir);
			if (dfd < 0) {
				install__fail_dir(lk, dfd, f->dest);
				break;
			}
			cur = f->dest;
			curlen = dl;
		}
		int rc = install__one(lk, dfd, slash + 1, f);
		/* Crash tests: half of each run linked (failpoint.h). */
		if (rc == 0 && i == c->n / 2)
			rc = failpoint_hit(lk->env->fp, "install-mid-link");
		if (rc < 0) {
			if (lk->mode == INSTALL_CLONE &&
			    (rc == -EOPNOTSUPP || rc == -EXDEV || rc == -EINVAL || rc == -ENOTTY))
				install__fail(lk, rc,
					      "cannot install %s: %s (--link-mode clone needs a "
					      "filesystem with reflinks shared with the cache; use "
					      "--link-mode copy)",
					      f->m->path, strerror(-rc));
			else
				install__fail(lk, rc, "cannot install member %s: %s", f->m->path,
					      strerror(-rc));
			break;
		}
		if (++since == 256) {
			uint64_t d = atomic_fetch_add(&lk->done, since) + since;
			since = 0;
			if (lk->env->progress)
				lk->env->progress(lk->env->progress_arg, "link", d, lk->total);
		}
		if (lk->env->cancel && atomic_load(lk->env->cancel)) {
			install__fail(lk, -ECANCELED, "%s%s",
				      "install cancelled: the client went away", "");
			break;
		}
	}
	atomic_fetch_add(&lk->done, since);
	if (dfd >= 0)
		close(dfd);
	if (c->ident)
		ident_leave();
	return NULL;
}

/* Link every file; large sets are split into contiguous runs on a few threads. */
int install_link_files(struct install_link *lk, struct install_file *files, size_t n,
		       struct err *err)
{
	size_t nt = n / INSTALL_LINK_CHUNK + 1;
	pthread_t th[INSTALL_LINK_THREADS];
	struct install__chunk ch[INSTALL_LINK_THREADS];
	int started[INSTALL_LINK_THREADS] = {0};
	struct ident_state *id;

	if (nt > INSTALL_LINK_THREADS)
		nt = INSTALL_LINK_THREADS;
	id = nt > 1 ? ident_state_save() : NULL;
	lk->total = n;
	for (size_t t = 0; t < nt; t++) {
		size_t a = n * t / nt, b = n * (t + 1) / nt;
		ch[t] = (struct install__chunk){lk, files + a, b - a, t > 0 ? id : NULL};
		if (t > 0 && pthread_create(&th[t], NULL, install__chunk_run, &ch[t]) == 0)
			started[t] = 1;
	}
	install__chunk_run(&ch[0]);
	for (size_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else {
			ch[t].ident = NULL; /* no thread: do it here, as this thread */
			install__chunk_run(&ch[t]);
		}
	}
	ident_state_free(id);
	if (lk->rc < 0) {
		err_set(err, lk->rc, "%s", lk->err.msg);
		return lk->rc;
	}
	return 0;
}
