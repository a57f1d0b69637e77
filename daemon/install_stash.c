/*
 * install_stash.c: installs that a failure or a crash cannot break (spec J.45).
 *
 * Every install gets a stash directory `<venv>/.whlc-stash-XXXXXX` holding a
 * journal, written before anything in the venv changes (and fsync-ed when the
 * install moves files aside, see install__journal):
 *
 *     <final dist-info path> \0 <moved path> \0 ... \0 \0 <created path> \0 ...
 *
 * Moved paths are the old version's files and files of other distributions
 * that the new version overwrites: they are renamed into the stash as
 * `<i>` (same filesystem: renames only). Created paths are every file the
 * new version will put outside its temporary dist-info. The new dist-info
 * appearing under its final name is the commit point: a daemon killed before
 * it leaves a stash that install_stash_recover() undoes (created paths that
 * are not also moved paths are removed, moved files come back, temporary
 * dist-infos go); after it, the stash is just deleted.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "installed.h"
#include "venv_at.h"
#include "xalloc.h"

#define INSTALL_JOURNAL_MAX (256u << 20)
/* Suffix of a committed stash being removed. */
#define INSTALL_STASH_DONE ".done"

/* mkdir -p of the parent of path, beneath the venv. */
static void install__mkparent(const struct vat *at, const char *path)
{
	char *d = xstrdup(path);
	char *s = strrchr(d, '/');
	if (s && s != d) {
		*s = '\0';
		vat_mkdirs(at, d);
	}
	free(d);
}

/* Remove a directory tree whlc made (stash, temporary dist-info), beneath the venv. */
static void install__rmtree(const struct vat *at, const char *path)
{
	const char *base;
	int pfd = vat_openparent(at, path, &base);

	if (pfd < 0)
		return;
	installed_remove_tree_at(pfd, base);
	close(pfd);
}

/*
 * Remove a stash that is no longer needed. One rename retires it first: a kill
 * during the removal must not leave a stash whose journal is gone and whose
 * files then look unrecoverable.
 */
static void install__retire(const struct vat *at, const char *dir)
{
	const char *base;
	int pfd = vat_openparent(at, dir, &base);

	if (pfd < 0)
		return;
	char *done = xasprintf("%s" INSTALL_STASH_DONE, base);
	installed_remove_tree_at(pfd, renameat(pfd, base, pfd, done) == 0 ? done : base);
	free(done);
	close(pfd);
}

/* Write a NUL-terminated string list. */
static void install__jlist(FILE *f, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fwrite(v[i], 1, strlen(v[i]) + 1, f);
}

/*
 * Write the journal (see the top of the file); when durable, fsync it and the
 * stash dir. Only an install that moves files needs that: after a power loss
 * its journal is what finds the old version again. A fresh install's journal
 * only lists files to remove; lost, it leaves untracked files whose dist-info
 * never appeared (no distribution is broken), and it saves two flushes per
 * wheel on the warm path. A killed daemon loses nothing either way: the page
 * cache holds the journal.
 */
static int install__journal(int sfd, const char *marker, char **paths, size_t n, char **created,
			    size_t nc, int durable)
{
	int fd = openat(sfd, "journal", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	fwrite(marker, 1, strlen(marker) + 1, f);
	install__jlist(f, paths, n);
	fputc('\0', f);
	install__jlist(f, created, nc);
	if (fflush(f) != 0 || ferror(f))
		rc = errno ? -errno : -EIO;
	if (rc == 0 && durable && fsync(fileno(f)) < 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && durable)
		fsync(sfd);
	return rc;
}

/* Journal, then move paths into a new stash dir inside venv. */
int install_stash_begin(const struct vat *at, const char *marker, char **paths, size_t n,
			char **created, size_t n_created, struct install_stash *s, struct err *err)
{
	char name[64];
	int rc, dfd;

	s->at = at;
	s->dir = NULL;
	if ((rc = vat_mkdtemp(at, ".whlc-stash-", name)) < 0)
		return err_set(err, rc, "cannot create a stash directory in %s: %s", at->path,
			       strerror(-rc));
	s->dir = xasprintf("%s/%s", at->plen ? at->path : "", name);
	dfd = openat(at->root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = dfd < 0 ? -errno : install__journal(dfd, marker, paths, n, created, n_created, n > 0);
	s->n = n;
	s->orig = xcalloc(n ? n : 1, sizeof(*s->orig));
	s->stashed = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++)
		s->orig[i] = xstrdup(paths[i]);
	if (rc < 0)
		goto fail_journal;
	/* Paths come sorted by directory mostly: one openat2 per directory. */
	struct vat_cache pc = VAT_CACHE_INIT;
	for (size_t i = 0; i < n; i++) {
		char dst[64];
		const char *base;
		snprintf(dst, sizeof(dst), "%zu", i);
		int pfd = vat_cache_parent(at, &pc, paths[i], &base);
		int e = pfd < 0 ? -pfd : renameat(pfd, base, dfd, dst) == 0 ? 0 : errno;
		if (e == 0) {
			s->stashed[i] = 1;
		} else if (e != ENOENT) {
			char why[256];
			rc = err_set(err, -e, "cannot move %s aside: %s", paths[i],
				     vat_strerror(at, -e, why));
			struct err e2;
			vat_cache_close(&pc);
			close(dfd);
			install_stash_rollback(s, &e2);
			return rc;
		}
	}
	vat_cache_close(&pc);
	close(dfd);
	return 0;
fail_journal:
	if (dfd >= 0)
		close(dfd);
	err_set(err, rc, "cannot write the install journal in %s: %s", s->dir, strerror(-rc));
	install_stash_commit(s);
	return rc;
}

/* Free the bookkeeping of a stash. */
static void install__stash_free(struct install_stash *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->orig[i]);
	free(s->orig);
	free(s->stashed);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

/*
 * Remove a stash that holds nothing but its journal (a fresh install): the
 * journal, then the empty directory, which a kill in between leaves for
 * recovery to remove (no journal, nothing else: install__recover_one).
 */
static int install__retire_empty(const struct vat *at, const char *dir)
{
	const char *base;
	int pfd = vat_openparent(at, dir, &base), dfd, rc = -1;

	if (pfd < 0)
		return -1;
	dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0) {
		if (unlinkat(dfd, "journal", 0) == 0)
			rc = unlinkat(pfd, base, AT_REMOVEDIR);
		close(dfd);
	}
	close(pfd);
	return rc;
}

/* Delete the stash: the new version is in place. */
void install_stash_commit(struct install_stash *s)
{
	if (s->dir && (s->n > 0 || install__retire_empty(s->at, s->dir) < 0))
		install__retire(s->at, s->dir);
	install__stash_free(s);
}

/* Move every stashed file back. */
int install_stash_rollback(struct install_stash *s, struct err *err)
{
	int rc = 0, sfd = -1;
	const char *sbase;

	for (size_t i = 0; i < s->n; i++) {
		if (!s->stashed[i])
			continue;
		if (sfd < 0) {
			int pfd = vat_openparent(s->at, s->dir, &sbase);
			sfd = pfd < 0 ? pfd
				      : openat(pfd, sbase,
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (pfd >= 0)
				close(pfd);
		}
		char src[32], why[256];
		const char *base;
		snprintf(src, sizeof(src), "%zu", i);
		install__mkparent(s->at, s->orig[i]);
		int pfd = vat_openparent(s->at, s->orig[i], &base);
		int r = sfd < 0 || pfd < 0		     ? -EBADF
			: renameat(sfd, src, pfd, base) == 0 ? 0
							     : -errno;
		if (pfd < 0)
			r = pfd;
		else
			close(pfd);
		if (r < 0 && rc == 0)
			rc = err_set(err, r, "cannot restore %s from %s/%s: %s", s->orig[i], s->dir,
				     src, vat_strerror(s->at, r, why));
	}
	if (sfd >= 0)
		close(sfd);
	if (rc == 0)
		install_stash_commit(s);
	else
		install__stash_free(s); /* keep the stash on disk: it holds what failed */
	return rc;
}

/* 1 when a stash dir holds nothing but its journal. */
static int install__only_journal(int sfd)
{
	int fd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	int only = d != NULL;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "journal"))
			only = 0;
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	return only;
}

/* Order C strings (qsort/bsearch). */
static int install__cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Undo an uncommitted install from its journal: created files out, moved files back. */
static void install__undo_journal(const struct vat *at, int sfd, const struct interp_facts *f,
				  char *buf, size_t len)
{
	const char *end = buf + len, *p = buf + strlen(buf) + 1;
	char **moved = NULL;
	size_t nm = 0, i = 0;
	struct installed_plan plan = {0};
	struct err e;

	for (const char *q = p; q < end && *q; q += strlen(q) + 1)
		nm++;
	moved = xcalloc(nm ? nm : 1, sizeof(*moved));
	for (; p < end && *p; p += strlen(p) + 1)
		moved[i++] = (char *)p;
	qsort(moved, nm, sizeof(*moved), install__cmpstr);
	/* Created paths that are not also moved paths: the interrupted install's files. */
	plan.paths = xcalloc(len / 2 + 1, sizeof(*plan.paths));
	for (p = p < end ? p + 1 : end; p < end; p += strlen(p) + 1)
		if (*p && !bsearch(&p, moved, nm, sizeof(*moved), install__cmpstr))
			plan.paths[plan.n++] = (char *)p;
	if (f && plan.n)
		installed_execute(at, f, &plan, &e); /* contained in the venv, drops pycs, prunes */
	free(plan.paths);
	free(moved);
	i = 0;
	for (p = buf + strlen(buf) + 1; p < end && *p; p += strlen(p) + 1, i++) {
		char src[32];
		struct stat st;
		const char *base;
		snprintf(src, sizeof(src), "%zu", i);
		if (fstatat(sfd, src, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* Journal paths are the user's bytes: only ever beneath the venv. */
		install__mkparent(at, p);
		int pfd = vat_openparent(at, p, &base);
		if (pfd >= 0) {
			renameat(sfd, src, pfd, base);
			close(pfd);
		}
	}
}

/* Roll back (or finish) one stash left by a killed daemon. */
static void install__recover_one(const struct vat *at, const char *name,
				 const struct interp_facts *f, struct install_result *r)
{
	char *dir = xasprintf("%s/%s", at->plen ? at->path : "", name);
	int sfd = openat(at->root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fd = sfd < 0 ? -1 : openat(sfd, "journal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	if (sfd < 0) { /* not a directory (planted?): not ours to read */
		free(dir);
		return;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (uint64_t)st.st_size < INSTALL_JOURNAL_MAX) {
		buf = xmalloc((size_t)st.st_size + 1);
		ssize_t got = read(fd, buf, (size_t)st.st_size);
		len = got > 0 ? (size_t)got : 0;
		buf[len] = '\0';
	}
	if (fd >= 0)
		close(fd);
	if (buf == NULL || len == 0 || buf[len - 1] != '\0') {
		/* Killed while writing the journal: nothing was moved yet. */
		if (install__only_journal(sfd))
			install__rmtree(at, dir);
		else
			install_warn(r, "%s: unreadable stash journal; left in place", dir);
		free(buf);
		free(dir);
		close(sfd);
		return;
	}
	const char *marker = buf, *mbase;
	struct stat ms;
	int mfd = marker[0] ? vat_openparent(at, marker, &mbase) : -1;
	int committed = mfd >= 0 && fstatat(mfd, mbase, &ms, AT_SYMLINK_NOFOLLOW) == 0;
	if (mfd >= 0)
		close(mfd);
	if (!committed) {
		install__undo_journal(at, sfd, f, buf, len);
		install_warn(r,
			     "completed the recovery of an install interrupted earlier: the "
			     "previous state is restored (%s)",
			     dir);
	}
	close(sfd);
	install__retire(at, dir);
	free(buf);
	free(dir);
}

/* Remove the temporary dist-info directories (`.whlc-tmp-*`) left in a site dir. */
static void install__recover_tmp(const struct vat *at, const char *site)
{
	int sfd = site ? vat_opendir(at, site) : -1;
	DIR *d = sfd < 0 ? NULL : fdopendir(sfd);
	struct dirent *de;

	if (d == NULL) {
		if (sfd >= 0)
			close(sfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, ".whlc-tmp-", 10) != 0 || l < 18 ||
		    strcmp(de->d_name + l - 8, ".partial") != 0)
			continue;
		installed_remove_tree_at(sfd, de->d_name);
	}
	closedir(d);
}

/* Finish or undo what crashed installs left in venv (called with the venv locked). */
void install_stash_recover(const struct vat *at, const struct interp_facts *f,
			   struct install_result *r)
{
	int fd = openat(at->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), dl = strlen(INSTALL_STASH_DONE);
		if (strncmp(de->d_name, ".whlc-stash-", 12) != 0)
			continue;
		if (l > dl && strcmp(de->d_name + l - dl, INSTALL_STASH_DONE) == 0)
			/* a committed stash whose removal was cut short */
			installed_remove_tree_at(at->root, de->d_name);
		else
			install__recover_one(at, de->d_name, f, r);
	}
	closedir(d);
	if (f) {
		install__recover_tmp(at, f->purelib);
		if (strcmp(f->platlib, f->purelib) != 0)
			install__recover_tmp(at, f->platlib);
	}
}

/* Remove a temporary dist-info directory (exposed through install_run's cleanup). */
void install__remove_tree(const struct vat *at, const char *path)
{
	install__rmtree(at, path);
}
