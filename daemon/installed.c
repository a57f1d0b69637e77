/* installed.c: scan dist-infos, read RECORD, plan/execute uninstalls and verify, all through dir
 * fds. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entrypoints.h"
#include "hash.h"
#include "installed.h"
#include "layout.h"
#include "rfc822.h"
#include "venv.h"
#include "venv_at.h"
#include "wheel_name.h"
#include "xalloc.h"

/* Read a regular file at dirfd/name (never through a symlink); truncate at cap unless strict. */
static int installed__read_at(int dirfd, const char *name, size_t cap, int strict, char **buf,
			      size_t *len)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (strict && (size_t)st.st_size > cap) {
		close(fd);
		return -EFBIG;
	}
	size_t want = (size_t)st.st_size < cap ? (size_t)st.st_size : cap, n = 0;
	*buf = xmalloc(want + 1);
	while (n < want) {
		ssize_t r = read(fd, *buf + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

/* Scan one site dir for dist-infos. */
static void installed__scan_dir(const struct vat *at, const char *site, struct installed_list *out)
{
	int sfd = vat_opendir(at, site);
	if (sfd < 0)
		return;
	DIR *d = fdopendir(sfd);
	if (d == NULL) {
		close(sfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl <= 10 || strcmp(de->d_name + nl - 10, ".dist-info") != 0)
			continue;
		int dfd = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			continue;
		char *meta = NULL, *inst = NULL;
		size_t ml, il;
		struct rfc822 h = {0};
		struct err e = {0};
		if (installed__read_at(dfd, "METADATA", INSTALLED_METADATA_MAX, 0, &meta, &ml) ==
			0 &&
		    rfc822_parse(meta, ml, 4096, &h, &e) == 0 && rfc822_get(&h, "Name") &&
		    rfc822_get(&h, "Version")) {
			out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
			struct installed_dist *x = &out->v[out->n++];
			x->name = xstrdup(rfc822_get(&h, "Name"));
			x->version = xstrdup(rfc822_get(&h, "Version"));
			x->dist_info = xstrdup(de->d_name);
			x->site = xstrdup(site);
			x->installer = NULL;
			if (installed__read_at(dfd, "INSTALLER", 256, 0, &inst, &il) == 0) {
				inst[strcspn(inst, "\r\n")] = '\0';
				if (inst[0])
					x->installer = xstrdup(inst);
			}
		}
		rfc822_free(&h);
		free(meta);
		free(inst);
		close(dfd);
	}
	closedir(d);
}

/* Every dist-info in purelib and platlib. */
int installed_scan(const struct vat *at, const struct interp_facts *f, struct installed_list *out,
		   struct err *err)
{
	char *pure = venv_normpath(f->purelib), *plat = venv_normpath(f->platlib);
	memset(out, 0, sizeof(*out));
	installed__scan_dir(at, pure, out);
	if (strcmp(pure, plat) != 0)
		installed__scan_dir(at, plat, out);
	free(pure);
	free(plat);
	return 0;
}

/* Free the list. */
void installed_list_free(struct installed_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct installed_dist *x = &l->v[i];
		free(x->name), free(x->version), free(x->installer), free(x->dist_info),
		    free(x->site);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Find by PEP 503 name. */
const struct installed_dist *installed_find(const struct installed_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (wheel_names_equal(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* Open d's dist-info directory (no symlink). */
static int installed__open_distinfo(const struct vat *at, const struct installed_dist *d)
{
	int sfd = vat_opendir(at, d->site);
	if (sfd < 0)
		return sfd;
	int dfd = openat(sfd, d->dist_info, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(sfd);
	return dfd < 0 ? -e : dfd;
}

/* Read and parse d's RECORD. */
int installed_read_record(const struct vat *at, const struct installed_dist *d, struct record *out,
			  struct err *err)
{
	char *buf = NULL, why[256];
	size_t len;
	int dfd = installed__open_distinfo(at, d), rc;
	if (dfd < 0)
		return err_set(err, dfd, "%s/%s: %s", d->site, d->dist_info,
			       vat_strerror(at, dfd, why));
	rc = installed__read_at(dfd, "RECORD", INSTALLED_RECORD_MAX, 1, &buf, &len);
	close(dfd);
	if (rc < 0)
		return err_set(err, rc, "%s/%s/RECORD: %s", d->site, d->dist_info,
			       rc == -EFBIG ? "too large" : strerror(-rc));
	rc = record_parse(buf, len, INSTALLED_RECORD_ROWS, out, err);
	free(buf);
	if (rc < 0)
		err_prefix(err, "%s/%s/RECORD", d->site, d->dist_info);
	return rc;
}

/* The scheme dirs a venv path may be in, most specific first; NULL-terminated, normalized. */
static void installed__anchors(const struct interp_facts *f, char *a[6])
{
	a[0] = venv_normpath(f->purelib);
	a[1] = venv_normpath(f->platlib);
	a[2] = venv_normpath(f->scripts);
	a[3] = venv_normpath(f->include);
	a[4] = venv_normpath(f->data);
	a[5] = NULL;
}

/* Free the five paths installed__anchors allocated. */
static void installed__anchors_free(char *a[6])
{
	for (int i = 0; i < 5; i++)
		free(a[i]);
}

/* The anchor containing abs (per segment), or NULL; never the interpreter itself. */
static const char *installed__anchor(char *const a[6], const char *abs)
{
	const char *slash = strrchr(abs, '/');
	size_t pl = (size_t)(slash - abs);
	if (strlen(a[2]) == pl && !strncmp(abs, a[2], pl) && !strncmp(slash + 1, "python", 6))
		return NULL;
	for (int i = 0; a[i]; i++)
		if (layout_contains(a[i], abs) && strcmp(a[i], abs) != 0)
			return a[i];
	return NULL;
}

/* Absolute normalized path of a RECORD row of d. */
static char *installed__abs(const struct installed_dist *d, const char *path)
{
	char *j = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", d->site, path);
	char *n = venv_normpath(j);
	free(j);
	return n;
}

/* Append a string to a vector. */
static void installed__push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Collect every file under dirfd (depth-bounded), as prefix/name. */
static void installed__collect(int dirfd, const char *prefix, int depth, struct installed_plan *p)
{
	DIR *d = fdopendir(dirfd);
	if (d == NULL) {
		close(dirfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *path = xasprintf("%s/%s", prefix, de->d_name);
		int sub = depth < 8 ? openat(dirfd, de->d_name,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				    : -1;
		if (sub >= 0) {
			installed__collect(sub, path, depth + 1, p);
			free(path);
		} else {
			installed__push(&p->paths, &p->n, path);
		}
	}
	closedir(d);
}

/* Plan removing d. */
int installed_plan_uninstall(const struct vat *at, const struct interp_facts *f,
			     const struct installed_dist *d, struct installed_plan *out,
			     struct err *err)
{
	struct record rec;
	char *a[6];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = installed_read_record(at, d, &rec, err);
	if (rc == -ENOENT)
		return err_set(err, -WHLC_ECONFLICT,
			       "cannot remove %s %s: %s has no RECORD (it was installed by %s; "
			       "remove it with that tool)",
			       d->name, d->version, d->dist_info,
			       d->installer ? d->installer : "an unknown tool");
	if (rc < 0)
		return rc;
	installed__anchors(f, a);
	for (size_t i = 0; i < rec.n; i++) {
		char *abs = installed__abs(d, rec.rows[i].path);
		if (installed__anchor(a, abs) == NULL) {
			installed__push(&out->refused, &out->nrefused, xstrdup(rec.rows[i].path));
			free(abs);
		} else {
			installed__push(&out->paths, &out->n, abs);
		}
	}
	record_free(&rec);
	int dfd = installed__open_distinfo(at, d);
	if (dfd >= 0) {
		char *buf = NULL;
		size_t len;
		struct entry_points eps;
		struct err e2 = {0};
		if (installed__read_at(dfd, "entry_points.txt", 1u << 20, 1, &buf, &len) == 0 &&
		    entrypoints_parse(buf, len, &eps, &e2) == 0) {
			for (size_t i = 0; i < eps.n; i++) {
				const struct entry_point *e = &eps.v[i];
				if ((strcmp(e->group, "console_scripts") &&
				     strcmp(e->group, "gui_scripts")) ||
				    entrypoints_check_script(e, &e2) < 0)
					continue;
				installed__push(&out->paths, &out->n,
						xasprintf("%s/%s", a[2], e->name));
			}
			entrypoints_free(&eps);
		}
		free(buf);
		char *di = xasprintf("%s/%s", d->site, d->dist_info);
		char *din = venv_normpath(di);
		installed__collect(dfd, din, 0, out);
		free(di);
		free(din);
	}
	installed__anchors_free(a);
	return 0;
}

/* Free a plan. */
void installed_plan_free(struct installed_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->paths[i]);
	for (size_t i = 0; i < p->nrefused; i++)
		free(p->refused[i]);
	free(p->paths);
	free(p->refused);
	memset(p, 0, sizeof(*p));
}

/*
 * Open the parent directory of abs: the anchor beneath the venv (the venv's
 * own layout, lib64 may be a symlink inside it), every segment below it with
 * O_NOFOLLOW. *base points into abs at the last segment. fd or -errno.
 */
static int installed__open_parent(const struct vat *at, const char *anchor, const char *abs,
				  const char **base)
{
	int fd = vat_opendir(at, anchor);
	if (fd < 0)
		return fd;
	const char *p = abs + strlen(anchor) + 1;
	for (;;) {
		const char *e = strchr(p, '/');
		if (e == NULL)
			break;
		char *seg = xstrndup(p, (size_t)(e - p));
		int nfd = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int er = errno;
		free(seg);
		close(fd);
		if (nfd < 0)
			return -er;
		fd = nfd;
		p = e + 1;
	}
	*base = p;
	return fd;
}

/* True when name is `<stem>.<tag>[.opt-N].pyc`. */
static int installed__is_pyc_of(const char *name, const char *stem, size_t sl)
{
	size_t n = strlen(name);
	if (n < sl + 6 || strncmp(name, stem, sl) || name[sl] != '.' ||
	    strcmp(name + n - 4, ".pyc"))
		return 0;
	const char *tag = name + sl + 1, *end = name + n - 4;
	const char *dot = memchr(tag, '.', (size_t)(end - tag));
	if (dot == tag)
		return 0;
	if (dot == NULL)
		return 1;
	if (strncmp(dot, ".opt-", 5) != 0 || dot + 5 >= end)
		return 0;
	for (const char *c = dot + 5; c < end; c++)
		if (*c < '0' || *c > '9')
			return 0;
	return 1;
}

/* Remove the __pycache__ pycs of the .py base in dirfd. */
static void installed__drop_pycs(int dirfd, const char *base)
{
	int cfd = openat(dirfd, "__pycache__", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return;
	DIR *d = fdopendir(cfd);
	if (d == NULL) {
		close(cfd);
		return;
	}
	size_t sl = strlen(base) - 3;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (installed__is_pyc_of(de->d_name, base, sl))
			unlinkat(cfd, de->d_name, 0);
	closedir(d);
}

/* Longer paths first, so children are pruned before their parents. */
static int installed__by_len_desc(const void *x, const void *y)
{
	size_t a = strlen(*(char *const *)x), b = strlen(*(char *const *)y);
	return a < b ? 1 : a > b ? -1 : strcmp(*(char *const *)x, *(char *const *)y);
}

/* Execute a plan. */
int installed_execute(const struct vat *at, const struct interp_facts *f,
		      const struct installed_plan *p, struct err *err)
{
	char *a[6];
	char **dirs = NULL;
	size_t nd = 0;
	int rc = 0;

	installed__anchors(f, a);
	for (size_t i = 0; i < p->n; i++) {
		const char *anchor = installed__anchor(a, p->paths[i]), *base;
		if (anchor == NULL)
			continue;
		/* Every ancestor below the anchor is a pruning candidate, even when the
		 * file's directory is gone already (an interrupted run pruned part of them). */
		char *dir = xstrdup(p->paths[i]);
		for (char *s = strrchr(dir, '/'); s && (size_t)(s - dir) > strlen(anchor);
		     s = strrchr(dir, '/')) {
			*s = '\0';
			installed__push(&dirs, &nd, xstrdup(dir));
		}
		free(dir);
		int fd = installed__open_parent(at, anchor, p->paths[i], &base);
		if (fd < 0)
			continue; /* gone already, or a planted symlink: never followed */
		if (unlinkat(fd, base, 0) < 0 && errno != ENOENT && rc == 0) {
			if (errno == EISDIR)
				;
			else
				rc = err_set(err, -errno, "cannot remove %s: %s", p->paths[i],
					     strerror(errno));
		}
		size_t bl = strlen(base);
		if (bl > 3 && !strcmp(base + bl - 3, ".py")) {
			installed__drop_pycs(fd, base);
			installed__push(
			    &dirs, &nd,
			    xasprintf("%.*s__pycache__", (int)(base - p->paths[i]), p->paths[i]));
		}
		close(fd);
	}
	if (nd > 1) /* dirs is NULL when nothing is to prune (qsort wants non-NULL) */
		qsort(dirs, nd, sizeof(*dirs), installed__by_len_desc);
	for (size_t i = 0; i < nd; i++) {
		if (i > 0 && !strcmp(dirs[i], dirs[i - 1]))
			continue;
		const char *anchor = installed__anchor(a, dirs[i]), *base;
		if (anchor == NULL)
			continue;
		int fd = installed__open_parent(at, anchor, dirs[i], &base);
		if (fd >= 0) {
			unlinkat(fd, base, AT_REMOVEDIR); /* ENOTEMPTY keeps shared dirs */
			close(fd);
		}
	}
	for (size_t i = 0; i < nd; i++)
		free(dirs[i]);
	free(dirs);
	installed__anchors_free(a);
	return rc;
}

#define INSTALLED_PENDING_PREFIX ".whlc-uninstall-"

/* Remove the tree sfd/name (files, then subdirectories), never following a symlink. */
static void installed__rm_pending(int sfd, const char *name, int depth)
{
	int dfd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct dirent *de;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		unlinkat(sfd, name, 0);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0 && errno == EISDIR && depth < 8)
			installed__rm_pending(dfd, de->d_name, depth + 1);
	}
	closedir(d);
	unlinkat(sfd, name, AT_REMOVEDIR);
}

/* Remove a directory tree whlc made, relative to dirfd, never following a symlink. */
void installed_remove_tree_at(int dirfd, const char *name)
{
	installed__rm_pending(dirfd, name, 0);
}

/* Remove the files of pending dist-info dir pending (in site), then its RECORD and the dir. */
static int installed__finish(const struct vat *at, const struct interp_facts *f, const char *site,
			     const char *pending, const char *name, const char *version,
			     struct err *err)
{
	struct installed_dist pd = {(char *)name, (char *)version, NULL, (char *)pending,
				    (char *)site};
	struct installed_plan p;
	int rc = installed_plan_uninstall(at, f, &pd, &p, err);

	if (rc == 0) {
		/* RECORD is what recovery reads: it stays (and keeps the pending dir from being
		 * pruned) until every other file is gone and emptied directories are pruned. */
		char *rec = xasprintf("%s/%s/RECORD", site, pending), *nrec = venv_normpath(rec);
		for (size_t i = 0; i < p.n; i++)
			if (!strcmp(p.paths[i], nrec)) {
				free(p.paths[i]);
				p.paths[i] = p.paths[--p.n];
				break;
			}
		free(rec);
		free(nrec);
		rc = installed_execute(at, f, &p, err);
		installed_plan_free(&p);
	}
	int sfd = vat_opendir(at, site);
	if (sfd >= 0) {
		installed__rm_pending(sfd, pending, 0);
		close(sfd);
	}
	return rc;
}

/* Uninstall d: rename its dist-info to the pending name, then remove its files. */
int installed_uninstall(const struct vat *at, const struct interp_facts *f,
			const struct installed_dist *d, struct err *err)
{
	struct installed_plan p;
	int rc = installed_plan_uninstall(at, f, d, &p, err); /* refuses a dist without RECORD */

	if (rc < 0)
		return rc;
	installed_plan_free(&p);
	char *pending = xasprintf(INSTALLED_PENDING_PREFIX "%s.pending", d->dist_info);
	int sfd = vat_opendir(at, d->site);
	if (sfd < 0 || renameat(sfd, d->dist_info, sfd, pending) < 0) {
		char why[256];
		rc = sfd < 0 ? sfd : -errno;
		err_set(err, rc, "cannot remove %s %s: cannot rename %s/%s: %s", d->name,
			d->version, d->site, d->dist_info, vat_strerror(at, rc, why));
		if (sfd >= 0)
			close(sfd);
		free(pending);
		return rc;
	}
	close(sfd);
	rc = installed__finish(at, f, d->site, pending, d->name, d->version, err);
	free(pending);
	return rc;
}

/* Finish the pending uninstalls in one site dir; how many. */
static int installed__recover_dir(const struct vat *at, const struct interp_facts *f,
				  const char *site)
{
	int sfd = vat_opendir(at, site);
	DIR *d = sfd < 0 ? NULL : fdopendir(sfd);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		if (sfd >= 0)
			close(sfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (!strncmp(de->d_name, INSTALLED_PENDING_PREFIX,
			     strlen(INSTALLED_PENDING_PREFIX)))
			installed__push(&names, &n, xstrdup(de->d_name));
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		struct err e = {0};
		installed__finish(at, f, site, names[i], names[i], "", &e);
		free(names[i]);
	}
	free(names);
	return (int)n;
}

/* Finish every interrupted uninstall in purelib and platlib. */
int installed_uninstall_recover(const struct vat *at, const struct interp_facts *f)
{
	char *pure = venv_normpath(f->purelib), *plat = venv_normpath(f->platlib);
	int n = installed__recover_dir(at, f, pure);

	if (strcmp(pure, plat) != 0)
		n += installed__recover_dir(at, f, plat);
	free(pure);
	free(plat);
	return n;
}

/* Add a problem to the report. */
static void installed__issue(struct installed_report *r, enum installed_problem k, const char *p)
{
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n].kind = k;
	r->v[r->n++].path = xstrdup(p);
}

/* Check one row; 0 when fine, else the problem. */
static int installed__check_row(const struct vat *at, char *const a[6],
				const struct installed_dist *d, const struct record_row *row)
{
	char *abs = installed__abs(d, row->path);
	const char *anchor = installed__anchor(a, abs), *base;
	int rc = -1;
	struct stat st;

	if (anchor == NULL) {
		rc = INSTALLED_OUTSIDE;
		goto out;
	}
	int dfd = installed__open_parent(at, anchor, abs, &base);
	if (dfd < 0) {
		rc = dfd == -ENOENT ? INSTALLED_MISSING : INSTALLED_NOT_REGULAR;
		goto out;
	}
	int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int er = errno;
	close(dfd);
	if (fd < 0) {
		rc = er == ENOENT ? INSTALLED_MISSING : INSTALLED_NOT_REGULAR;
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = INSTALLED_NOT_REGULAR;
	} else if (row->size >= 0 && st.st_size != row->size) {
		rc = INSTALLED_SIZE;
	} else if (row->digest_len > 0 && !strcmp(row->algo, "sha256")) {
		struct hash_sha256 h;
		uint8_t dg[HASH_SHA256_LEN];
		char buf[65536];
		ssize_t n;
		hash_sha256_init(&h);
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				hash_sha256_update(&h, buf, (size_t)n);
		hash_sha256_final(&h, dg);
		if (n < 0 || memcmp(dg, row->digest, HASH_SHA256_LEN) != 0)
			rc = INSTALLED_HASH;
	}
	close(fd);
out:
	free(abs);
	return rc < 0 ? -1 : rc;
}

/* Check every RECORD row of d. */
int installed_verify(const struct vat *at, const struct interp_facts *f,
		     const struct installed_dist *d, struct installed_report *out, struct err *err)
{
	struct record rec;
	char *a[6];
	memset(out, 0, sizeof(*out));
	int rc = installed_read_record(at, d, &rec, err);
	if (rc == -ENOENT) {
		installed__issue(out, INSTALLED_NO_RECORD, d->dist_info);
		return 0;
	}
	if (rc < 0)
		return rc;
	installed__anchors(f, a);
	for (size_t i = 0; i < rec.n; i++) {
		int k = installed__check_row(at, a, d, &rec.rows[i]);
		if (k >= 0)
			installed__issue(out, (enum installed_problem)k, rec.rows[i].path);
	}
	installed__anchors_free(a);
	record_free(&rec);
	return 0;
}

/* Free a report. */
void installed_report_free(struct installed_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Short name of a problem. */
const char *installed_problem_name(enum installed_problem k)
{
	static const char *const names[] = {"missing",	    "not a regular file", "size differs",
					    "hash differs", "outside the venv",	  "no RECORD"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}
