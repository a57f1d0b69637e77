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
#include "xalloc.h"

#define INSTALL_JOURNAL_MAX (256u << 20)
/* Suffix of a committed stash being removed. */
#define INSTALL_STASH_DONE ".done"

/* mkdir -p of the parent of path. */
static void install__mkparent(const char *path)
{
	char *d = xstrdup(path);
	char *s = strrchr(d, '/');
	if (s && s != d) {
		*s = '\0';
		if (mkdir(d, 0755) < 0 && errno == ENOENT) {
			install__mkparent(d);
			mkdir(d, 0755);
		}
	}
	free(d);
}

/* Remove a directory tree (stash and temporary dist-info dirs: made by us, shallow). */
static void install__rmtree(const char *path, int depth)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", path, de->d_name);
		struct stat st;
		if (depth < 32 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			install__rmtree(p, depth + 1);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

/*
 * Remove a stash that is no longer needed. One rename retires it first: a kill
 * during the removal must not leave a stash whose journal is gone and whose
 * files then look unrecoverable.
 */
static void install__retire(const char *dir)
{
	char *done = xasprintf("%s" INSTALL_STASH_DONE, dir);

	install__rmtree(rename(dir, done) == 0 ? done : dir, 0);
	free(done);
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
static int install__journal(const char *dir, const char *marker, char **paths, size_t n,
			    char **created, size_t nc, int durable)
{
	char *jp = xasprintf("%s/journal", dir);
	FILE *f = fopen(jp, "wbx");
	int rc = 0;

	free(jp);
	if (f == NULL)
		return -errno;
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
	int dfd = rc == 0 && durable ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return rc;
}

/* Journal, then move paths into a new stash dir inside venv. */
int install_stash_begin(const char *venv, const char *marker, char **paths, size_t n,
			char **created, size_t n_created, struct install_stash *s, struct err *err)
{
	char *tmpl = xasprintf("%s/.whlc-stash-XXXXXX", venv);
	int rc;

	if (mkdtemp(tmpl) == NULL) {
		rc = err_set(err, -errno, "cannot create a stash directory in %s: %s", venv,
			     strerror(errno));
		free(tmpl);
		s->dir = NULL;
		return rc;
	}
	rc = install__journal(tmpl, marker, paths, n, created, n_created, n > 0);
	s->dir = tmpl;
	s->n = n;
	s->orig = xcalloc(n ? n : 1, sizeof(*s->orig));
	s->stashed = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++)
		s->orig[i] = xstrdup(paths[i]);
	if (rc < 0)
		goto fail_journal;
	int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < n; i++) {
		char dst[64];
		snprintf(dst, sizeof(dst), "%zu", i);
		int r = dfd < 0 ? -1 : renameat(AT_FDCWD, paths[i], dfd, dst);
		int e = errno;
		if (r == 0) {
			s->stashed[i] = 1;
		} else if (e != ENOENT) {
			rc = err_set(err, -e, "cannot move %s aside: %s", paths[i], strerror(e));
			struct err e2;
			if (dfd >= 0)
				close(dfd);
			install_stash_rollback(s, &e2);
			return rc;
		}
	}
	if (dfd >= 0)
		close(dfd);
	return 0;
fail_journal:
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
static int install__retire_empty(const char *dir)
{
	char *jp = xasprintf("%s/journal", dir);
	int rc = unlink(jp);

	free(jp);
	return rc == 0 ? rmdir(dir) : rc;
}

/* Delete the stash: the new version is in place. */
void install_stash_commit(struct install_stash *s)
{
	if (s->dir && (s->n > 0 || install__retire_empty(s->dir) < 0))
		install__retire(s->dir);
	install__stash_free(s);
}

/* Move every stashed file back. */
int install_stash_rollback(struct install_stash *s, struct err *err)
{
	int rc = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (!s->stashed[i])
			continue;
		char *src = xasprintf("%s/%zu", s->dir, i);
		install__mkparent(s->orig[i]);
		if (rename(src, s->orig[i]) < 0 && rc == 0)
			rc = err_set(err, -errno, "cannot restore %s from %s: %s", s->orig[i], src,
				     strerror(errno));
		free(src);
	}
	if (rc == 0)
		install_stash_commit(s);
	else
		install__stash_free(s); /* keep the stash on disk: it holds what failed */
	return rc;
}

/* 1 when a stash dir holds nothing but its journal. */
static int install__only_journal(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int only = d != NULL;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "journal"))
			only = 0;
	if (d)
		closedir(d);
	return only;
}

/* Order C strings (qsort/bsearch). */
static int install__cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Undo an uncommitted install from its journal: created files out, moved files back. */
static void install__undo_journal(const char *dir, const struct interp_facts *f, char *buf,
				  size_t len)
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
		installed_execute(f, &plan, &e); /* contained in the venv, drops pycs, prunes */
	free(plan.paths);
	free(moved);
	i = 0;
	for (p = buf + strlen(buf) + 1; p < end && *p; p += strlen(p) + 1, i++) {
		char *src = xasprintf("%s/%zu", dir, i);
		if (faccessat(AT_FDCWD, src, F_OK, AT_EACCESS) == 0) {
			install__mkparent(p);
			rename(src, p);
		}
		free(src);
	}
}

/* Roll back (or finish) one stash left by a killed daemon. */
static void install__recover_one(const char *dir, const struct interp_facts *f,
				 struct install_result *r)
{
	char *jp = xasprintf("%s/journal", dir);
	int fd = open(jp, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	free(jp);
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
		if (install__only_journal(dir))
			install__rmtree(dir, 0);
		else
			install_warn(r, "%s: unreadable stash journal; left in place", dir);
		free(buf);
		return;
	}
	const char *marker = buf;
	struct stat ms;
	int committed = marker[0] && lstat(marker, &ms) == 0;
	if (!committed) {
		install__undo_journal(dir, f, buf, len);
		install_warn(r,
			     "completed the recovery of an install interrupted earlier: the "
			     "previous state is restored (%s)",
			     dir);
	}
	install__retire(dir);
	free(buf);
}

/* Remove the temporary dist-info directories (`.whlc-tmp-*`) left in a site dir. */
static void install__recover_tmp(const char *site)
{
	DIR *d = site ? opendir(site) : NULL;
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, ".whlc-tmp-", 10) != 0 || l < 18 ||
		    strcmp(de->d_name + l - 8, ".partial") != 0)
			continue;
		char *p = xasprintf("%s/%s", site, de->d_name);
		install__rmtree(p, 0);
		free(p);
	}
	closedir(d);
}

/* Finish or undo what crashed installs left in venv (called with the venv locked). */
void install_stash_recover(const char *venv, const struct interp_facts *f, struct install_result *r)
{
	DIR *d = opendir(venv);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), dl = strlen(INSTALL_STASH_DONE);
		if (strncmp(de->d_name, ".whlc-stash-", 12) != 0)
			continue;
		char *p = xasprintf("%s/%s", venv, de->d_name);
		if (l > dl && strcmp(de->d_name + l - dl, INSTALL_STASH_DONE) == 0)
			install__rmtree(p, 0); /* a committed stash whose removal was cut short */
		else
			install__recover_one(p, f, r);
		free(p);
	}
	closedir(d);
	if (f) {
		install__recover_tmp(f->purelib);
		if (strcmp(f->platlib, f->purelib) != 0)
			install__recover_tmp(f->platlib);
	}
}

/* Remove a temporary dist-info directory (exposed through install_run's cleanup). */
void install__remove_tree(const char *path)
{
	install__rmtree(path, 0);
}
