/* installed.h: distributions installed in a venv: scan, RECORD, uninstall (spec J.42-J.44), verify.
 */
#ifndef WHLC_INSTALLED_H
#define WHLC_INSTALLED_H

#include <stddef.h>

#include "err.h"
#include "interp.h"
#include "record.h"
#include "venv_at.h"

#define INSTALLED_RECORD_MAX   (64u << 20) /* bytes of an installed RECORD */
#define INSTALLED_RECORD_ROWS  1000000	   /* rows of an installed RECORD */
#define INSTALLED_METADATA_MAX (1u << 20)  /* bytes read of METADATA (headers come first) */

struct installed_dist {
	char *name, *version;
	char *installer; /* first line of INSTALLER, NULL when absent */
	char *dist_info; /* directory name, e.g. "pip-23.2.1.dist-info" */
	char *site;	 /* absolute dir holding it (purelib or platlib) */
};

struct installed_list {
	size_t n;
	struct installed_dist *v;
};

/*
 * Every function here works beneath the venv directory at (venv_at.h): a
 * scheme directory reached through a symlink out of the venv is refused.
 */

/* Every `*.dist-info` directory in purelib and platlib with a readable Name and Version. */
int installed_scan(const struct vat *at, const struct interp_facts *f, struct installed_list *out,
		   struct err *err);
void installed_list_free(struct installed_list *l);
/* The distribution whose PEP 503 name equals name, or NULL. */
const struct installed_dist *installed_find(const struct installed_list *l, const char *name);

/* Read and parse d's RECORD; -ENOENT when it has none. */
int installed_read_record(const struct vat *at, const struct installed_dist *d, struct record *out,
			  struct err *err);

struct installed_plan {
	size_t n;
	char **paths; /* absolute, normalized files to remove */
	size_t nrefused;
	char **refused; /* RECORD paths outside the venv's scheme dirs: never touched */
};

/*
 * Plan removing d (spec J.42-J.44): every RECORD path, normalized and
 * contained per segment in purelib, platlib, scripts, include or data of
 * this venv (never the interpreter); the launchers named in entry_points.txt;
 * and every other file of the dist-info directory. No RECORD: -WHLC_ECONFLICT
 * naming INSTALLER.
 */
int installed_plan_uninstall(const struct vat *at, const struct interp_facts *f,
			     const struct installed_dist *d, struct installed_plan *out,
			     struct err *err);
void installed_plan_free(struct installed_plan *p);

/*
 * Execute a plan: unlink each file through directory fds opened with
 * O_NOFOLLOW below its scheme dir (a planted symlink is never followed), drop
 * the `__pycache__/<stem>.<tag>[.opt-N].pyc` of each .py, then prune emptied
 * directories upward, keeping non-empty ones. Missing files are fine.
 * Returns 0 or the first hard error.
 */
int installed_execute(const struct vat *at, const struct interp_facts *f,
		      const struct installed_plan *p, struct err *err);

/* Remove a directory tree whlc made (stash, temporary dist-info) at dirfd/name; no symlink
 * is followed. */
void installed_remove_tree_at(int dirfd, const char *name);

/*
 * Uninstall d so that a kill at any instant leaves it installed (every file
 * present) or gone (no dist-info): after the plan is checked, the dist-info
 * is renamed to `.whlc-uninstall-<dist-info>` in its site dir (the commit
 * point; scans ignore that name), then the plan runs, keeping that
 * directory's RECORD until the end. installed_uninstall_recover() finishes an
 * interrupted one. Returns 0 or the first error (see installed_execute).
 */
int installed_uninstall(const struct vat *at, const struct interp_facts *f,
			const struct installed_dist *d, struct err *err);
/* Finish every interrupted uninstall of the venv (call with the venv locked); how many. */
int installed_uninstall_recover(const struct vat *at, const struct interp_facts *f);

enum installed_problem {
	INSTALLED_MISSING,
	INSTALLED_NOT_REGULAR, /* a symlink, directory or device where a file was recorded */
	INSTALLED_SIZE,
	INSTALLED_HASH,
	INSTALLED_OUTSIDE, /* RECORD path outside the venv */
	INSTALLED_NO_RECORD,
};

struct installed_issue {
	enum installed_problem kind;
	char *path; /* RECORD path as written */
};

struct installed_report {
	size_t n;
	struct installed_issue *v;
};

/* Check every RECORD row of d; rows with an empty hash are checked for presence only. */
int installed_verify(const struct vat *at, const struct interp_facts *f,
		     const struct installed_dist *d, struct installed_report *out, struct err *err);
void installed_report_free(struct installed_report *r);
const char *installed_problem_name(enum installed_problem k);

#endif
