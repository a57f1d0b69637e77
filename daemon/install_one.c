/* install_one.c: installing one distribution: files, generated files, stash, commit/rollback. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "entrypoints.h"
#include "hash.h"
#include "install.h"
#include "installed.h"
#include "launcher.h"
#include "lifecycle.h"
#include "venv.h"
#include "wheel_name.h"
#include "xalloc.h"

#define INSTALL_EP_MAX (1u << 20) /* bytes of entry_points.txt */

/* Everything about one distribution being installed. */
struct install__job {
	const struct vat *at; /* the venv: every file operation is beneath it */
	struct layout layout;
	struct catalog_plan plan;
	struct launchers launchers;
	struct install_file *files;
	size_t n, cap;
	char *site;	/* dir holding the dist-info */
	char *final_di; /* <site>/<dist_info> */
	char *tmp_di;	/* <site>/.whlc-tmp-...: the dist-info until commit */
	int tmp_di_made;
	char **coll; /* sorted: files of others this install overwrites (stashed first) */
	size_t ncoll;
};

/* Read a whole small store object. */
static int install__read_obj(struct store *s, const struct catalog_member *m, size_t cap,
			     char **buf, size_t *len)
{
	if (m->size > cap)
		return -EFBIG;
	int fd = store_object_open(s, m->sha256, m->exec);
	if (fd < 0)
		return fd;
	*buf = xmalloc(m->size + 1);
	size_t n = 0;
	while (n < m->size) {
		ssize_t r = read(fd, *buf + n, m->size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	(*buf)[n] = '\0';
	*len = n;
	return n == m->size ? 0 : -EIO;
}

/* A new file entry in the job. */
static struct install_file *install__add(struct install__job *j)
{
	if (j->n == j->cap) {
		j->cap = j->cap ? 2 * j->cap : 64;
		j->files = xreallocarray(j->files, j->cap, sizeof(*j->files));
	}
	struct install_file *fl = &j->files[j->n++];
	memset(fl, 0, sizeof(*fl));
	return fl;
}

/* 1 when the object starts with the ELF magic. */
static int install__is_elf(struct store *s, const struct catalog_member *m)
{
	char magic[4];
	if (m->size < 4)
		return 0;
	int fd = store_object_open(s, m->sha256, m->exec);
	if (fd < 0)
		return 0;
	ssize_t r = pread(fd, magic, 4, 0);
	close(fd);
	return r == 4 && !memcmp(magic, "\177ELF", 4);
}

/*
 * Warn about a platform wheel without any ELF file (spec: probably broken).
 * Likely candidates (*.so, *.so.*, executables) are checked first, 4 bytes
 * each; only when none is ELF are the other members read, which costs
 * something only for the wheels that get the warning.
 */
static void install__check_elf(struct store *s, const struct catalog_wheel *w,
			       const struct wheel_name *wn, const struct catalog_plan *p,
			       struct install_result *res)
{
	int any_plat = 0;
	char *tags = xstrdup(wn->plat_tags), *save = NULL;
	for (char *t = strtok_r(tags, ".", &save); t; t = strtok_r(NULL, ".", &save))
		any_plat |= strcmp(t, "any") != 0;
	free(tags);
	if (!any_plat)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->n; i++) {
			const struct catalog_member *m = &p->v[i];
			size_t l = strlen(m->path);
			int cand = m->exec || (l > 3 && !strcmp(m->path + l - 3, ".so")) ||
				   strstr(m->path, ".so.") != NULL;
			if (cand == (pass == 0) && install__is_elf(s, m))
				return;
		}
	install_warn(res,
		     "%s is tagged for platform %s but contains no ELF shared object or "
		     "executable: it is probably broken (its compiled code is missing)",
		     w->filename, wn->plat_tags);
}

/* Launchers from entry_points.txt of the dist-info, if any. */
static int install__launchers(const struct install_env *env, const struct catalog_wheel *w,
			      const struct interp_facts *f, struct install__job *j, struct err *err)
{
	char *want = xasprintf("%s/entry_points.txt", w->dist_info);
	const struct catalog_member *m = NULL;
	int rc = 0;

	for (size_t i = 0; i < j->plan.n && !m; i++)
		if (!strcmp(j->plan.v[i].path, want))
			m = &j->plan.v[i];
	free(want);
	if (m == NULL)
		return 0;
	char *buf = NULL;
	size_t len = 0;
	struct entry_points eps = {0};
	if ((rc = install__read_obj(env->store, m, INSTALL_EP_MAX, &buf, &len)) < 0)
		rc =
		    err_set(err, rc, "%s: cannot read %s: %s", w->filename, m->path, strerror(-rc));
	else if ((rc = entrypoints_parse(buf, len, &eps, err)) < 0 ||
		 (rc = launcher_plan(&eps, f->major, f->minor, &j->launchers, err)) < 0)
		err_prefix(err, "%s: %s", w->filename, m->path);
	entrypoints_free(&eps);
	free(buf);
	return rc;
}

/* True when a `.data/scripts` file is shadowed by a launcher of the same name (spec C.12). */
static int install__shadowed(const struct install__job *j, const struct layout_target *t)
{
	if (t->scheme != LAYOUT_SCRIPTS)
		return 0;
	for (size_t i = 0; i < j->launchers.n; i++)
		if (!strcmp(t->rel, j->launchers.v[i].name))
			return 1;
	return 0;
}

/* Map every member to its destination (dist-info members under the temporary name). */
static int install__map(const struct catalog_wheel *w, struct install__job *j, struct err *err)
{
	size_t dl = strlen(w->dist_info);
	char *record = xasprintf("%s/RECORD", w->dist_info);
	int rc = 0;

	for (size_t i = 0; i < j->plan.n && rc == 0; i++) {
		const struct catalog_member *m = &j->plan.v[i];
		struct layout_target t;
		if (!strcmp(m->path, record))
			continue; /* written fresh */
		if ((rc = layout_map(&j->layout, m->path, &t, err)) < 0) {
			err_prefix(err, "%s", w->filename);
			break;
		}
		if (!install__shadowed(j, &t)) {
			struct install_file *fl = install__add(j);
			fl->m = m;
			fl->rewrite = t.is_script;
			fl->record_path = t.record_path;
			t.record_path = NULL;
			if (!strncmp(m->path, w->dist_info, dl) && m->path[dl] == '/') {
				fl->dest = xasprintf("%s/%s", j->tmp_di, m->path + dl + 1);
				fl->no_hash = !strcmp(m->path + dl + 1, "RECORD.jws") ||
					      !strcmp(m->path + dl + 1, "RECORD.p7s");
			} else
				fl->dest = xstrdup(t.abs);
		}
		layout_target_free(&t);
	}
	free(record);
	return rc;
}

/* Write one generated file and add it to the RECORD list. */
static int install__gen(struct install__job *j, const char *dest, const char *record_path,
			const void *data, size_t len, int exec, struct err *err)
{
	struct install_file *fl = install__add(j);
	fl->dest = xstrdup(dest);
	fl->record_path = xstrdup(record_path);
	hash_sha256(data, len, fl->sha256);
	fl->size = (int64_t)len;
	return install_write_file(j->at, dest, data, len, exec, &fl->existed, err);
}

/* Launchers, INSTALLER, REQUESTED, direct_url.json, then RECORD (all into the temp dist-info). */
static int install__generated(const struct catalog_wheel *w, const char *path,
			      const struct interp_facts *f, struct install__job *j, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;
	char *dest, *rp;

	for (size_t i = 0; i < j->launchers.n && rc == 0; i++) {
		strbuf_reset(&sb);
		launcher_render(&j->launchers.v[i], f->executable, &sb);
		dest = xasprintf("%s/%s", j->layout.dir[LAYOUT_SCRIPTS], j->launchers.v[i].name);
		rp = layout_relpath(j->site, dest);
		rc = install__gen(j, dest, rp, sb.buf, sb.len, 1, err);
		free(dest);
		free(rp);
	}
	static const char *const names[] = {"INSTALLER", "REQUESTED", "direct_url.json"};
	for (int k = 0; k < 3 && rc == 0; k++) {
		strbuf_reset(&sb);
		if (k == 0)
			strbuf_adds(&sb, "whlc\n");
		else if (k == 2)
			install_direct_url(path, w->sha256, &sb);
		dest = xasprintf("%s/%s", j->tmp_di, names[k]);
		rp = xasprintf("%s/%s", w->dist_info, names[k]);
		rc = install__gen(j, dest, rp, sb.buf ? sb.buf : "", sb.len, 0, err);
		free(dest);
		free(rp);
	}
	if (rc == 0) {
		strbuf_reset(&sb);
		rp = xasprintf("%s/RECORD", w->dist_info);
		install_record(j->files, j->n, rp, &sb);
		dest = xasprintf("%s/RECORD", j->tmp_di);
		rc = install_write_file(j->at, dest, sb.buf, sb.len, 0, NULL, err);
		free(dest);
		free(rp);
	}
	strbuf_free(&sb);
	return rc;
}

/* Warn for files that were already there and belong to another distribution (spec J.46). */
static void install__collisions(const struct interp_facts *f, const struct installed_list *il,
				const struct installed_dist *old, const struct catalog_wheel *w,
				struct install__job *j, struct install_result *res)
{
	size_t nc = 0;
	for (size_t i = 0; i < j->n; i++)
		nc += j->files[i].existed;
	if (nc == 0)
		return;
	for (size_t d = 0; d < il->n; d++) {
		const struct installed_dist *o = &il->v[d];
		struct installed_plan p;
		struct err e;
		if (o == old || installed_plan_uninstall(j->at, f, o, &p, &e) < 0)
			continue;
		for (size_t i = 0; i < j->n; i++) {
			if (!j->files[i].existed)
				continue;
			for (size_t k = 0; k < p.n; k++)
				if (!strcmp(p.paths[k], j->files[i].dest)) {
					install_warn(
					    res,
					    "%s overwrites %s, which belongs to %s %s "
					    "(installed by %s)",
					    w->filename, j->files[i].dest, o->name, o->version,
					    o->installer ? o->installer : "an unknown tool");
					break;
				}
		}
		installed_plan_free(&p);
	}
}

/* 1 when path is inside the temporary dist-info. */
static int install__in_tmp(const struct install__job *j, const char *path)
{
	size_t tl = strlen(j->tmp_di);
	return strncmp(path, j->tmp_di, tl) == 0 && path[tl] == '/';
}

/* Order C strings (qsort/bsearch). */
static int install__cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Mark the files whose previous occupant was stashed (restorable: ours to remove on undo). */
static void install__mark_stashed(struct install__job *j)
{
	for (size_t i = 0; i < j->n && j->ncoll; i++)
		if (bsearch(&j->files[i].dest, j->coll, j->ncoll, sizeof(char *), install__cmpstr))
			j->files[i].existed = j->files[i].stashed = 1;
}

/* Undo a failed install: remove new files outside the temp dist-info, and the temp dist-info. */
static void install__undo(const struct interp_facts *f, struct install__job *j)
{
	struct installed_plan p = {0};
	struct err e;

	install__mark_stashed(j);
	p.paths = xcalloc(j->n ? j->n : 1, sizeof(*p.paths));
	for (size_t i = 0; i < j->n; i++)
		if ((!j->files[i].existed || j->files[i].stashed) &&
		    !install__in_tmp(j, j->files[i].dest))
			p.paths[p.n++] = j->files[i].dest;
	installed_execute(j->at, f, &p, &e);
	free(p.paths);
	if (j->tmp_di_made)
		install__remove_tree(j->at, j->tmp_di);
}

/* The launchers' destinations (malloc'd array of malloc'd paths). */
static char **install__launcher_dests(const struct install__job *j)
{
	char **v = xcalloc(j->launchers.n + 1, sizeof(*v));
	for (size_t i = 0; i < j->launchers.n; i++)
		v[i] = xasprintf("%s/%s", j->layout.dir[LAYOUT_SCRIPTS], j->launchers.v[i].name);
	return v;
}

/*
 * Files already in the venv where this install will put one, that are not
 * the old version's (sorted old paths): another distribution's, or stray.
 * They go into the stash with the old version so a rollback brings them
 * back. A directory that does not exist holds none: one open (beneath the
 * venv) per directory for a fresh install, an fstatat per file only where
 * directories exist.
 */
static void install__find_collisions(struct install__job *j, char **ldest, char **old, size_t nold)
{
	const char *cur = NULL;
	size_t curlen = 0;
	int cur_exists = 0;
	size_t cap = 0;
	/* The last directory found missing: nothing below it exists either (the venv is
	   locked), so a new package's subdirectories cost no stat each. */
	char *missing = NULL;
	size_t mlen = 0;
	struct vat_cache pc = VAT_CACHE_INIT;
	int pfd = -1;
	const char *base = NULL;

	for (size_t i = 0; i < j->n + j->launchers.n; i++) {
		const char *dest = i < j->n ? j->files[i].dest : ldest[i - j->n];
		const char *slash = strrchr(dest, '/');
		size_t dl = (size_t)(slash - dest);
		struct stat st;
		base = slash + 1;
		if (i < j->n && install__in_tmp(j, dest))
			continue;
		if (nold && bsearch(&dest, old, nold, sizeof(char *), install__cmpstr))
			continue;
		if (cur == NULL || dl != curlen || strncmp(cur, dest, dl) != 0) {
			cur = dest;
			curlen = dl;
			if (missing && dl >= mlen && !strncmp(dest, missing, mlen) &&
			    (dl == mlen || dest[mlen] == '/')) {
				cur_exists = 0;
				continue;
			}
			pfd = vat_cache_parent(j->at, &pc, dest, &base);
			cur_exists = pfd >= 0;
			if (pfd == -ENOENT) {
				free(missing);
				missing = xstrndup(dest, dl);
				mlen = dl;
			}
		}
		/* A directory leading outside the venv holds nothing of ours: the link threads
		 * reports it. */
		if (!cur_exists || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode))
			continue;
		if (j->ncoll == cap) {
			cap = cap ? 2 * cap : 16;
			j->coll = xreallocarray(j->coll, cap, sizeof(*j->coll));
		}
		j->coll[j->ncoll++] = xstrdup(dest);
	}
	free(missing);
	vat_cache_close(&pc);
	if (j->ncoll > 1)
		qsort(j->coll, j->ncoll, sizeof(*j->coll), install__cmpstr);
}

/*
 * Stash (with a journal) the old version's files and the files this
 * install overwrites; the journal names every file the install creates
 * outside its temporary dist-info, for recovery after a crash. The old
 * dist-info directory (old_di, absolute, may be NULL) moves first and whole,
 * in one rename: a kill at any later moment leaves the old distribution
 * invisible until recovery, never a dist-info with part of its files.
 */
static int install__begin(const struct install_opts *o, struct install__job *j,
			  struct installed_plan *up, const char *old_di,
			  struct install_stash *stash, struct err *err)
{
	char **ldest = install__launcher_dests(j);
	char **old = xcalloc(up->n + 1, sizeof(*old));
	char **moved, **created;
	size_t nm = 0, nc = 0;
	int rc;

	if (up->n > 0)
		memcpy(old, up->paths, up->n * sizeof(*old));
	if (up->n > 1)
		qsort(old, up->n, sizeof(*old), install__cmpstr);
	install__find_collisions(j, ldest, old, up->n);
	moved = xcalloc(up->n + j->ncoll + 2, sizeof(*moved));
	size_t dl = old_di ? strlen(old_di) : 0;
	if (old_di)
		moved[nm++] = (char *)old_di;
	for (size_t i = 0; i < up->n; i++)
		if (!old_di || strncmp(up->paths[i], old_di, dl) != 0 || up->paths[i][dl] != '/')
			moved[nm++] = up->paths[i];
	for (size_t i = 0; i < j->ncoll; i++)
		moved[nm++] = j->coll[i];
	created = xcalloc(j->n + j->launchers.n + 1, sizeof(*created));
	for (size_t i = 0; i < j->n; i++)
		if (!install__in_tmp(j, j->files[i].dest))
			created[nc++] = j->files[i].dest;
	for (size_t i = 0; i < j->launchers.n; i++)
		created[nc++] = ldest[i];
	rc = install_stash_begin(j->at, j->final_di, moved, nm, created, nc, stash, err);
	for (size_t i = 0; i < j->launchers.n; i++)
		free(ldest[i]);
	free(ldest);
	free(old);
	free(moved);
	free(created);
	return rc;
}

/* Free a job. */
static void install__job_free(struct install__job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->files[i].dest);
		free(j->files[i].record_path);
	}
	free(j->files);
	catalog_plan_free(&j->plan);
	launchers_free(&j->launchers);
	layout_free(&j->layout);
	for (size_t i = 0; i < j->ncoll; i++)
		free(j->coll[i]);
	free(j->coll);
	free(j->site);
	free(j->final_di);
	free(j->tmp_di);
}

/*
 * Pin the wheel and get its plan with every object checked (lifecycle.h);
 * *wid may change when damaged objects made the cache re-extract the wheel.
 */
static int install__plan(const struct install_env *env, const char *path,
			 const struct catalog_wheel *w, int64_t *wid, struct catalog_plan *plan,
			 int *pinned, struct install_result *res, struct err *err)
{
	struct catalog_conn *cc = catalog_acquire(env->catalog, err);
	int rc;

	*wid = w->id;
	if (cc == NULL)
		return -WHLC_ECORRUPT;
	if (env->cache == NULL) {
		rc = catalog_wheel_plan(cc, w->id, plan, err);
		catalog_release(env->catalog, cc);
		return rc;
	}
	char *damage = NULL;
	rc = cache_install_plan(env->cache, cc, path, w->sha256, wid, plan, &damage, err);
	*pinned = rc == 0;
	if (rc == 0 && (*wid != w->id || damage)) {
		/* Re-extracted from path: still the file this install planned with? */
		struct catalog_wheel nw;
		if ((rc = catalog_wheel_by_id(cc, *wid, &nw, err)) == 0) {
			if (memcmp(nw.sha256, w->sha256, 32) != 0)
				rc = err_set(err, -EAGAIN,
					     "%s changed while it was being installed; "
					     "install it again",
					     path);
			catalog_wheel_free(&nw);
		}
	}
	if (rc == 0 && damage)
		install_warn(res,
			     "%s: %s (written through a hardlink in a venv?): it was quarantined "
			     "and the wheel re-extracted from its file; venvs that link the "
			     "changed file keep it (`whlc verify` finds it)",
			     w->filename, damage);
	free(damage);
	catalog_release(env->catalog, cc);
	return rc;
}

/* After a commit: the venv's install record and the cache counters (lifecycle.h). */
static void install__account(const struct install_env *env, const struct install_opts *o,
			     const struct interp_facts *f, const struct catalog_wheel *w,
			     int64_t wid, uint64_t bytes_linked, const struct install_result *res)
{
	struct catalog_conn *cc = catalog_acquire(env->catalog, NULL);
	char name[64];

	if (cc == NULL)
		return;
	catalog_install_record(cc, o->venv, f->executable, wid, w->norm_name,
			       install_mode_name(res->mode_used), NULL);
	snprintf(name, sizeof(name), "%s%s", CACHE_COUNTER_INSTALLS_PREFIX,
		 install_mode_name(res->mode_used));
	catalog_counter_add(cc, name, 1, NULL);
	if (bytes_linked)
		catalog_counter_add(cc, CACHE_COUNTER_BYTES_LINKED, (int64_t)bytes_linked, NULL);
	catalog_release(env->catalog, cc);
}

/*
 * In the site dir, beneath the venv: mkdir tmp (to == NULL), or rename tmp to
 * `to` (the commit of a dist-info). 0 or -errno.
 */
static int install__site_op(const struct vat *at, const char *tmp, const char *to)
{
	const char *base, *tobase = to ? strrchr(to, '/') + 1 : NULL;
	int sfd = vat_openparent(at, tmp, &base), rc;

	if (sfd < 0)
		return sfd;
	rc = to ? renameat(sfd, base, sfd, tobase) : mkdirat(sfd, base, 0755);
	rc = rc < 0 ? -errno : 0;
	close(sfd);
	return rc;
}

/* One distribution being installed through the phases of install.h. */
struct install_job {
	struct install__job j;
	const struct installed_dist *old; /* the version replaced, NULL: none */
	const char *path;		  /* the wheel file */
	const struct catalog_wheel *w;
	const struct wheel_name *wn;
	int64_t wid; /* the wheel's catalog id (may change at the plan) */
	int pinned, stashed;
	struct install_stash stash;
	struct installed_plan up; /* the old version's files */
	uint64_t bytes_linked;
	int committed;		     /* past the commit point */
	enum install_mode mode_used; /* for the catalog */
};

/* A job for one wheel. */
struct install_job *install_job_new(const struct vat *at, const struct installed_dist *old,
				    const char *path, const struct catalog_wheel *w,
				    const struct wheel_name *wn)
{
	struct install_job *jb = xcalloc(1, sizeof(*jb));

	jb->j.at = at;
	jb->old = old;
	jb->path = path;
	jb->w = w;
	jb->wn = wn;
	jb->wid = w->id;
	return jb;
}

/* Pin, plan, map members and launchers to their destinations. */
int install_job_plan(const struct install_env *env, const struct interp_facts *f,
		     struct install_job *jb, struct install_result *res, struct err *err)
{
	struct install__job *j = &jb->j;
	const struct catalog_wheel *w = jb->w;
	char *hname = xstrdup(jb->wn->name);
	int rc;

	for (char *c = hname; *c; c++)
		if (*c == '_')
			*c = '-';
	rc = layout_init(&j->layout, f, hname, w->purelib, err);
	free(hname);
	if (rc < 0)
		return rc;
	if ((rc = install__plan(env, jb->path, w, &jb->wid, &j->plan, &jb->pinned, res, err)) < 0)
		return rc;
	if ((rc = failpoint_hit(env->fp, "install-after-pin")) < 0)
		return err_set(err, rc, "%s: failure point install-after-pin", w->filename);
	j->site = xstrdup(j->layout.dir[j->layout.root]);
	j->final_di = xasprintf("%s/%s", j->site, w->dist_info);
	j->tmp_di = xasprintf("%s/.whlc-tmp-%d-%s.partial", j->site, (int)getpid(), w->dist_info);
	if ((rc = install__launchers(env, w, f, j, err)) < 0 || (rc = install__map(w, j, err)) < 0)
		return rc;
	install__check_elf(env->store, w, jb->wn, &j->plan, res);
	return 0;
}

/* Every path the job writes outside its temporary dist-info, and its final dist-info. */
void install_job_paths(const struct install_job *jb, void (*fn)(void *arg, const char *path),
		       void *arg)
{
	const struct install__job *j = &jb->j;

	for (size_t i = 0; i < j->n; i++)
		if (!install__in_tmp(j, j->files[i].dest))
			fn(arg, j->files[i].dest);
	for (size_t i = 0; i < j->launchers.n; i++) {
		char *p = xasprintf("%s/%s", j->layout.dir[LAYOUT_SCRIPTS], j->launchers.v[i].name);
		fn(arg, p);
		free(p);
	}
	fn(arg, j->final_di);
}

/* Files the job puts in place. */
size_t install_job_size(const struct install_job *jb)
{
	return jb->j.n;
}

/* Stash, directories, links, generated files: everything up to the commit point. */
int install_job_apply(const struct install_env *env, const struct install_opts *o,
		      const struct interp_facts *f, struct install_job *jb,
		      struct install_dirs *known, struct install_result *res, struct err *err)
{
	struct install__job *j = &jb->j;
	const struct installed_dist *old = jb->old;
	const struct catalog_wheel *w = jb->w;
	struct install_link lk;
	char *old_di;
	int rc;

	/* The old version and overwritten files go aside first; from here on a failure rolls
	 * back, and a crash is undone by the next operation on the venv. */
	if (old) {
		if ((rc = installed_plan_uninstall(j->at, f, old, &jb->up, err)) < 0)
			return rc;
		for (size_t i = 0; i < jb->up.nrefused; i++)
			install_warn(res, "%s %s: RECORD names %s outside the venv: left alone",
				     old->name, old->version, jb->up.refused[i]);
	}
	old_di = old ? xasprintf("%s/%s", old->site, old->dist_info) : NULL;
	rc = install__begin(o, j, &jb->up, old_di, &jb->stash, err);
	free(old_di);
	if (rc < 0)
		return rc;
	jb->stashed = 1;
	if (old) {
		struct err e2;
		installed_execute(j->at, f, &jb->up,
				  &e2); /* files are gone: drops pycs, prunes dirs */
	}
	if ((rc = install__site_op(j->at, j->tmp_di, NULL)) < 0)
		return vat_err(j->at, err, rc, "cannot create", j->tmp_di);
	j->tmp_di_made = 1;
	install_dirs_add(known, j->tmp_di);
	memset(&lk, 0, sizeof(lk));
	lk.env = env;
	lk.at = j->at;
	lk.mode = o->mode;
	lk.executable = f->executable;
	lk.known = known;
	pthread_mutex_init(&lk.mu, NULL);
	rc = install_link_files(&lk, j->files, j->n, err);
	pthread_mutex_destroy(&lk.mu);
	if (atomic_load(&lk.fell_back)) {
		res->mode_used = INSTALL_COPY;
		if (res->fallback == NULL)
			res->fallback = xstrdup(lk.fallback_reason);
	}
	res->files += j->n;
	jb->bytes_linked = atomic_load(&lk.bytes_linked);
	if (rc < 0) {
		err_prefix(err, "%s", w->filename);
		return rc;
	}
	if ((rc = install__generated(w, jb->path, f, j, err)) < 0)
		return rc;
	if ((rc = failpoint_hit(env->fp, "install-before-commit")) < 0)
		return err_set(err, rc, "%s: failure point install-before-commit", w->filename);
	return 0;
}

/* The commit point (the dist-info under its final name), then the bookkeeping. */
int install_job_commit(const struct interp_facts *f, const struct installed_list *il,
		       struct install_job *jb, struct install_result *res, struct err *err)
{
	struct install__job *j = &jb->j;
	const struct catalog_wheel *w = jb->w;

	int rc = install__site_op(j->at, j->tmp_di, j->final_di);

	if (rc < 0)
		return vat_err(j->at, err, rc, "cannot move into place", j->final_di);
	j->tmp_di_made = 0;
	jb->committed = 1;
	jb->mode_used = res->mode_used;
	install__mark_stashed(j);
	install__collisions(f, il, jb->old, w, j, res);
	if (jb->old)
		install_line_add(res, '-', jb->old->name, jb->old->version);
	install_line_add(res, '+', w->norm_name, w->version);
	res->bytes_linked += jb->bytes_linked;
	return 0;
}

/* After the commit, in any order: the stash deleted. */
void install_job_settle(struct install_job *jb)
{
	if (jb == NULL || !jb->committed || !jb->stashed)
		return;
	install_stash_commit(&jb->stash);
	jb->stashed = 0;
}

/* After the commit, in any order: the install recorded in the catalog. */
void install_job_account(const struct install_env *env, const struct install_opts *o,
			 const struct interp_facts *f, struct install_job *jb)
{
	struct install_result r;

	if (jb == NULL || !jb->committed)
		return;
	memset(&r, 0, sizeof(r));
	r.mode_used = jb->mode_used;
	install__account(env, o, f, jb->w, jb->wid, jb->bytes_linked, &r);
}

/* Undo an applied job (rc: why, for the message). */
void install_job_undo(const struct install_opts *o, const struct interp_facts *f,
		      struct install_job *jb, int rc, struct install_result *res, struct err *err)
{
	struct err e2;

	if (rc == -ENOSPC && err) {
		char *m = xstrdup(err->msg);
		err_set(err, rc,
			"no space left on the filesystem of %s: %s; nothing was installed from "
			"it; free space there and install again",
			o->venv, m);
		free(m);
	}
	if (!jb->stashed)
		return;
	install__undo(f, &jb->j);
	if (install_stash_rollback(&jb->stash, &e2) < 0)
		install_warn(res, "rollback incomplete: %s", e2.msg);
	jb->stashed = 0;
}

/* Unpin and free a job. */
void install_job_free(const struct install_env *env, struct install_job *jb)
{
	if (jb == NULL)
		return;
	install_job_settle(jb);
	if (jb->pinned)
		cache_unpin_wheel(env->cache, jb->wid);
	installed_plan_free(&jb->up);
	install__job_free(&jb->j);
	free(jb);
}
