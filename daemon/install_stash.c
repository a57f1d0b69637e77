/*
 * install_stash.c: upgrades that a failure cannot break (spec J.45).
 *
 * The old version's files are renamed into `<venv>/.whlc-stash-XXXXXX/<i>`
 * (same filesystem: renames only). A journal in the stash, written before
 * anything moves, holds the new dist-info's final path then every original
 * path, NUL-separated. The new dist-info appearing under its final name is
 * the commit point: a daemon killed before it leaves a stash that
 * install_stash_recover() moves back; after it, the stash is just deleted.
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
#include "xalloc.h"

#define INSTALL_JOURNAL_MAX (256u << 20)

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

/* Write the journal: commit marker path, then the original paths, NUL-separated. */
static int install__journal(const char *dir, const char *marker, char **paths, size_t n)
{
	char *jp = xasprintf("%s/journal", dir);
	FILE *f = fopen(jp, "wbx");
	int rc = 0;

	free(jp);
	if (f == NULL)
		return -errno;
	fwrite(marker, 1, strlen(marker) + 1, f);
	for (size_t i = 0; i < n; i++)
		fwrite(paths[i], 1, strlen(paths[i]) + 1, f);
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* Move paths into a new stash dir inside venv. */
int install_stash_begin(const char *venv, const char *marker, char **paths, size_t n,
			struct install_stash *s, struct err *err)
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
	rc = install__journal(tmpl, marker, paths, n);
	s->dir = tmpl;
	s->n = n;
	s->orig = xcalloc(n ? n : 1, sizeof(*s->orig));
	s->stashed = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++)
		s->orig[i] = xstrdup(paths[i]);
	if (rc < 0)
		goto fail_journal;
	for (size_t i = 0; i < n; i++) {
		char dst[64];
		snprintf(dst, sizeof(dst), "%zu", i);
		int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = dfd < 0 ? -1 : renameat(AT_FDCWD, paths[i], dfd, dst);
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		if (r == 0) {
			s->stashed[i] = 1;
		} else if (e != ENOENT) {
			rc = err_set(err, -e, "cannot move %s aside: %s", paths[i], strerror(e));
			struct err e2;
			install_stash_rollback(s, &e2);
			return rc;
		}
	}
	return 0;
fail_journal:
	err_set(err, rc, "cannot write the stash journal in %s: %s", s->dir, strerror(-rc));
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

/* Delete the stash: the new version is in place. */
void install_stash_commit(struct install_stash *s)
{
	if (s->dir)
		install__rmtree(s->dir, 0);
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

/* Roll back (or finish) one stash left by a killed daemon. */
static void install__recover_one(const char *dir, struct install_result *r)
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
		install_warn(r, "%s: unreadable stash journal; left in place", dir);
		free(buf);
		return;
	}
	const char *marker = buf;
	struct stat ms;
	int committed = marker[0] && lstat(marker, &ms) == 0;
	if (!committed) {
		size_t i = 0;
		for (const char *p = marker + strlen(marker) + 1; p < buf + len;
		     p += strlen(p) + 1, i++) {
			char *src = xasprintf("%s/%zu", dir, i);
			if (access(src, F_OK) == 0) {
				install__mkparent(p);
				rename(src, p);
			}
			free(src);
		}
		install_warn(r, "restored the files of an install interrupted earlier (%s)", dir);
	}
	install__rmtree(dir, 0);
	free(buf);
}

/* Remove leftovers of crashed installs in venv (called with the venv locked). */
void install_stash_recover(const char *venv, struct install_result *r)
{
	DIR *d = opendir(venv);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".whlc-stash-", 12) != 0)
			continue;
		char *p = xasprintf("%s/%s", venv, de->d_name);
		install__recover_one(p, r);
		free(p);
	}
	closedir(d);
}

/* Remove a temporary dist-info directory (exposed through install_run's cleanup). */
void install__remove_tree(const char *path)
{
	install__rmtree(path, 0);
}
