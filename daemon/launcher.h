/* launcher.h: console_scripts/gui_scripts launchers, as pip 23.2.1 writes them on POSIX. */
#ifndef WHLC_LAUNCHER_H
#define WHLC_LAUNCHER_H

#include <stddef.h>

#include "entrypoints.h"
#include "err.h"
#include "strbuf.h"

/* distlib sets 0o555 on top of 0o666 & ~umask: 0755 under the usual umask. */
#define LAUNCHER_MODE 0755

struct launcher {
	char *name;   /* file name in the scripts dir */
	char *module; /* "mod.sub" */
	char *attr;   /* "attr.sub" */
	int gui;      /* from gui_scripts (same bytes on POSIX) */
};

struct launchers {
	size_t n;
	struct launcher *v;
};

/*
 * The launchers pip would write for these entry points into a Python
 * major.minor venv: console_scripts then gui_scripts, a repeated name
 * replaced by the later entry (pip clobbers). pip's special case applies: a
 * `pip` entry yields pip, pipX, pipX.Y for the TARGET version and drops the
 * wheel's other pipN[.M] entries; `easy_install` yields easy_install and
 * easy_install-X.Y and drops other easy_install-N.M. Every entry is checked
 * (entrypoints_check_script, spec H.36/H.38) and its module and callable
 * must be dotted identifiers (the text is pasted into Python source).
 * Returns 0 or -WHLC_EBADWHEEL naming the entry.
 */
int launcher_plan(const struct entry_points *eps, int major, int minor, struct launchers *out,
		  struct err *err);
void launchers_free(struct launchers *l);

/* Append the launcher's bytes (distlib's SCRIPT_TEMPLATE after script_shebang). */
void launcher_render(const struct launcher *l, const char *executable, struct strbuf *out);

#endif
