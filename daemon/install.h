/*
 * install.h: installing wheels from the store into a venv (issue 5).
 *
 * install_run() is the whole pipeline and runs on one worker thread (it
 * blocks): open and flock the venv, interpreter facts (catalog cache or
 * probe), ingest each wheel (stat cache hit = nothing read), check tags, plan
 * `+`/`-` against installed distributions, then the distributions, several
 * at a time with pip's sequential result (install_par.c), each: stash the
 * old version (install_stash.c), materialize the new one (install_link.c:
 * directories, links/copies spread over a few threads; install_gen.c:
 * rewritten scripts, launchers, INSTALLER, REQUESTED, direct_url.json,
 * RECORD; dist-info built under a temporary name and renamed last), then
 * commit (in request order) or roll back.
 */
#ifndef WHLC_INSTALL_H
#define WHLC_INSTALL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "failpoint.h"
#include "ingest.h"
#include "interp.h"
#include "layout.h"
#include "store.h"
#include "strbuf.h"
#include "venv_at.h"

struct cache;
struct ingest_batch;

enum install_mode { INSTALL_HARDLINK, INSTALL_CLONE, INSTALL_COPY, INSTALL_SYMLINK };

/* "hardlink", "clone", "copy", "symlink". */
const char *install_mode_name(enum install_mode m);
/* Parse a mode name; 0 or -EINVAL. */
int install_mode_parse(const char *s, enum install_mode *out);

/* What install_run needs from the daemon (all thread-safe). */
struct install_env {
	struct cache
	    *cache; /* pins and the object check before linking (lifecycle.h); NULL: none */
	struct store *store;
	struct catalog *catalog;
	const struct ingest_ctx *ingest;
	const struct failpoint *fp;
	/* Progress (may be NULL): called from worker threads, rate-limited by the caller. */
	void (*progress)(void *arg, const char *phase, uint64_t done, uint64_t total);
	void *progress_arg;
	atomic_bool *cancel; /* may be NULL: client went away */
	/*
	 * Stage wheel i of the request into slot i of b (NULL: ingest_batch_stage
	 * by path). The system mode passes the client's descriptors this way
	 * (daemon/userfile.h). Called from several threads at once.
	 */
	int (*ingest_fn)(void *arg, size_t i, const char *path, struct ingest_batch *b,
			 struct ingest_result *res, struct err *err);
	void *ingest_arg;
	/* Extra threads of all installs running (install_par.c; NULL: no daemon-wide limit). */
	atomic_int *par_threads;
};

struct install_opts {
	char *venv;    /* absolute, normalized */
	char **wheels; /* absolute paths */
	size_t n_wheels;
	enum install_mode mode; /* requested */
	bool reinstall, dry_run;
	/* System mode: the venv directory the client passed open; the venv opened by
	   path must be that directory (venv_bind). -1: none (per-user mode). */
	int bind_fd;
};

/* One line of output: '+' installed, '-' removed (replaced), '=' skipped (already there). */
struct install_line {
	char op;
	char *name; /* as in METADATA / the dist-info */
	char *version;
};

struct install_result {
	size_t n_lines;
	struct install_line *lines;
	size_t n_warnings;
	char **warnings;
	enum install_mode mode_used;
	char *fallback;	       /* why hardlinking fell back to copying, NULL when it did not */
	uint64_t files;	       /* files written or linked */
	uint64_t bytes_linked; /* bytes hardlinked or symlinked instead of copied */
	size_t installed;
};

/* Run an install (worker thread). Errors name the wheel and member. */
int install_run(const struct install_env *env, const struct install_opts *o,
		struct install_result *res, struct err *err);
void install_result_free(struct install_result *r);

/* Append a formatted warning to a result. */
void install_warn(struct install_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append an output line. */
void install_line_add(struct install_result *r, char op, const char *name, const char *version);

/* Open the venv's interpreter facts: from the catalog cache, else probe and cache them. */
int install_facts(struct catalog *cat, const char *python, const char *venv_dir,
		  struct interp_facts *out, struct err *err);

/* ---- one distribution, in phases (install_one.c) ---- */

struct installed_list;
struct installed_dist;
struct wheel_name;
struct install_dirs;
/* One distribution being installed (opaque). */
struct install_job;

/*
 * A job for one ingested, compatible wheel, replacing old (when given)
 * atomically. Every file operation is beneath the venv directory at.
 */
struct install_job *install_job_new(const struct vat *at, const struct installed_dist *old,
				    const char *path, const struct catalog_wheel *w,
				    const struct wheel_name *wn);
/* Plan: pin the wheel, map members and launchers to destinations; the venv is not touched. */
int install_job_plan(const struct install_env *env, const struct interp_facts *f,
		     struct install_job *j, struct install_result *res, struct err *err);
/* Call fn for every path the planned job writes outside its temporary dist-info. */
void install_job_paths(const struct install_job *j, void (*fn)(void *arg, const char *path),
		       void *arg);
/* Number of files the planned job puts in place. */
size_t install_job_size(const struct install_job *j);
/*
 * Apply, up to the commit point: stash (journal) the old version and what
 * the job overwrites, create directories (known: shared set, may be NULL),
 * link, write the generated files into the temporary dist-info.
 */
int install_job_apply(const struct install_env *env, const struct install_opts *o,
		      const struct interp_facts *f, struct install_job *j,
		      struct install_dirs *known, struct install_result *res, struct err *err);
/* Commit an applied job: its dist-info into place (the commit point), `-`/`+` lines. */
int install_job_commit(const struct interp_facts *f, const struct installed_list *il,
		       struct install_job *j, struct install_result *res, struct err *err);
/* After a commit, in any order: the stash deleted (no commit: nothing). */
void install_job_settle(struct install_job *j);
/* After a commit, in any order: the install recorded in the catalog (no commit: nothing). */
void install_job_account(const struct install_env *env, const struct install_opts *o,
			 const struct interp_facts *f, struct install_job *j);
/* Undo whatever apply did (nothing when it did nothing); rc: the failure, for its message. */
void install_job_undo(const struct install_opts *o, const struct interp_facts *f,
		      struct install_job *j, int rc, struct install_result *res, struct err *err);
/* Unpin and free (NULL: nothing). */
void install_job_free(const struct install_env *env, struct install_job *j);

/* ---- the wheels of one request, in parallel (install_par.c) ---- */

/* One wheel of a request, prepared (ingested, checked) by install_run. */
struct install_par_wheel {
	const char *path;
	const struct catalog_wheel *w;
	const struct wheel_name *wn;
	const struct installed_dist *old;
	char op; /* '+' install, '=' already there */
};

/*
 * Install the wheels in the order given (install_run gives pip's) as pip would, several at a time:
 * wheels run concurrently only when their paths are disjoint (files,
 * launchers, dist-info, and no file where the other has a directory); an
 * upgrade runs alone. Commits happen in request order; at the first failure
 * the wheels before it stay installed and the ones after it are undone.
 */
int install_par_run(const struct install_env *env, const struct vat *at,
		    const struct install_opts *o, const struct interp_facts *f,
		    const struct installed_list *il, const struct install_par_wheel *ws, size_t n,
		    struct install_result *res, struct err *err);

/* Directories known to exist during one request (thread-safe; NULL: none known). */
int install_dirs_known(struct install_dirs *d, const char *dir);
/* Remember that dir exists (NULL d: nothing). */
void install_dirs_add(struct install_dirs *d, const char *dir);

/* ---- materialization (install_link.c) ---- */

/* One file to put in the venv. */
struct install_file {
	const struct catalog_member *m; /* NULL for generated files */
	char *dest;			/* absolute path written (dist-info under its temp name) */
	char *record_path;		/* RECORD path (final dist-info name) */
	int rewrite;			/* `#!python` script: written fresh */
	int existed;			/* a file was already there (replaced) */
	int stashed;			/* that file was moved into the stash first (restorable) */
	int no_hash;	    /* RECORD row without hash and size (RECORD.jws, RECORD.p7s) */
	uint8_t sha256[32]; /* of what was written */
	int64_t size;
};

/* Shared state of linking one wheel's files. */
struct install_link {
	const struct install_env *env;
	const struct vat *at;	   /* the venv: every directory is opened beneath it */
	enum install_mode mode;	   /* current mode; hardlink may become copy */
	atomic_int fell_back;	   /* 1 once hardlinking fell back to copying */
	char fallback_reason[160]; /* set by whoever fell back first */
	const char *executable;	   /* for `#!python` rewrites */
	pthread_mutex_t mu;	   /* guards err, fallback_reason */
	int rc;
	struct err err;
	atomic_uint_fast64_t done;
	atomic_uint_fast64_t bytes_linked; /* bytes hardlinked/symlinked, not copied */
	uint64_t total;

	/* Directories known to exist (NULL: none). */
	struct install_dirs *known;
};

/*
 * The object of m is at the filesystem's link limit (EMLINK): link one of its
 * extra copies (store_copy.h) at dfd/name, made with the daemon's
 * credentials. -1 with errno set (EMLINK when no copy can be had).
 */
int install_link_copy(const struct install_link *lk, const struct catalog_member *m, int dfd,
		      const char *name);
/*
 * Link/copy/rewrite every file with m != NULL, spread over threads for large
 * sets, creating the directories they need (lk->known: the ones that exist).
 */
int install_link_files(struct install_link *lk, struct install_file *files, size_t n,
		       struct err *err);
/* Write bytes as a new file at dest (replacing atomically), mode 0644/0755. */
int install_write_file(const struct vat *at, const char *dest, const void *data, size_t len,
		       int exec, int *existed, struct err *err);

/* ---- generated files (install_gen.c) ---- */

/* PEP 610 direct_url.json for a wheel file given by path, as pip writes it. */
void install_direct_url(const char *path, const uint8_t sha256[32], struct strbuf *out);
/* The installed RECORD for files (rows sorted by path like pip, CRLF), its own row empty. */
void install_record(struct install_file *files, size_t n, const char *record_path,
		    struct strbuf *out);

/* ---- upgrade stash (install_stash.c) ---- */

struct install_stash {
	const struct vat *at; /* the venv */
	char *dir;	      /* <venv>/.whlc-stash-XXXXXX, NULL when nothing stashed */
	size_t n;
	char **orig;   /* absolute original paths */
	char *stashed; /* per path: 1 when moved into the stash */
};

/*
 * Write the journal (fsync-ed: marker, paths, created), then move paths
 * (absolute, already contained in the venv) into a stash dir inside venv.
 * marker: the new dist-info's final path (its existence = committed);
 * created: every file the install will create outside its temporary dist-info.
 */
int install_stash_begin(const struct vat *at, const char *marker, char **paths, size_t n,
			char **created, size_t n_created, struct install_stash *s, struct err *err);
/* Delete the stash (the new version is in place). */
void install_stash_commit(struct install_stash *s);
/* Move everything back (the new version failed). */
int install_stash_rollback(struct install_stash *s, struct err *err);
/*
 * Finish what crashed installs left (venv locked, before anything else):
 * uncommitted stashes are undone (the interrupted install's files removed,
 * moved files restored), temporary dist-infos removed. f may be NULL (then
 * only moved files are restored).
 */
void install_stash_recover(const struct vat *at, const struct interp_facts *f,
			   struct install_result *r);
/* Remove a directory tree whlc made (stash, temporary dist-info). */
void install__remove_tree(const struct vat *at, const char *path);

#endif
