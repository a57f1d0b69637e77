/* interp.h: facts about a venv's interpreter, asked of the interpreter itself (never guessed). */
#ifndef WHLC_INTERP_H
#define WHLC_INTERP_H

#include <stddef.h>

#include "err.h"

/* Bound on what a probe may print, and on a serialized facts string. */
#define INTERP_OUTPUT_MAX (64 * 1024)
/* Seconds a probe may run before it is killed. */
#define INTERP_PROBE_TIMEOUT 30

struct interp_facts {
	char *impl; /* sys.implementation.name: "cpython", "pypy" */
	int major, minor, micro;
	char *cache_tag;	      /* "cpython-312" */
	char *abiflags;		      /* "", "d", "t", "m" (3.7) */
	char *soabi;		      /* "cpython-312-x86_64-linux-gnu", "" when unset */
	char *ext_suffix;	      /* ".cpython-312-x86_64-linux-gnu.so" */
	int gil_disabled;	      /* Py_GIL_DISABLED: free-threaded build */
	int is_32bit;		      /* sys.maxsize <= 2**32 */
	char *platlibdir;	      /* sys.platlibdir, "lib" before 3.9 */
	char *platform;		      /* sysconfig.get_platform(): "linux-x86_64" */
	int glibc_major, glibc_minor; /* -1 when not glibc */
	int musl_major, musl_minor;   /* -1 when not musl */
	char *executable;	      /* sys.executable: what pip puts in shebangs */
	char *scheme;		      /* sysconfig scheme used: "venv" or "posix_prefix" */
	/* Install scheme of the venv, absolute. include is pip's venv header root
	   `<venv>/include/site/pythonX.Y`: a project's headers go in include/<name>. */
	char *purelib, *platlib, *scripts, *include, *data;
};

/*
 * Run python_path once with `-I -S` (no site, no .pth of the target) and fill
 * out with its facts; the scheme paths are computed for the venv at venv_dir.
 * The output is bounded and validated; a hostile interpreter gets an error,
 * never a crash. Returns 0 or a negative code with err naming the interpreter.
 */
int interp_probe(const char *python_path, const char *venv_dir, struct interp_facts *out,
		 struct err *err);

void interp_facts_free(struct interp_facts *f);

/* Serialize to a compact NUL-terminated string (for the catalog cache). */
char *interp_facts_serialize(const struct interp_facts *f);

/* Parse what interp_facts_serialize (or a probe) produced; 0 or -WHLC_EPROTO. */
int interp_facts_parse(const char *buf, size_t len, struct interp_facts *out, struct err *err);

/*
 * Facts for one base interpreter, shared by all its venvs: the paths that name
 * the venv (executable and the scheme) are written relative to venv_dir. NULL
 * when one of them lies outside venv_dir: then the facts belong to this venv only.
 */
char *interp_facts_serialize_rel(const struct interp_facts *f, const char *venv_dir);

/* interp_facts_parse, rooting the relative paths of serialize_rel at venv_dir. */
int interp_facts_parse_at(const char *buf, size_t len, const char *venv_dir,
			  struct interp_facts *out, struct err *err);

/*
 * The catalog key under which the facts of python_path (the venv's bin/python)
 * can be shared by every venv made from the same interpreter: the resolved
 * interpreter, the venv's pyvenv.cfg (which decides home and version, minus the
 * lines that name the venv itself), python_path's name within the venv and the
 * venv's owner. NULL when none can be made (then key on python_path itself).
 */
char *interp_cache_key(const char *python_path, const char *venv_dir);

/* "X.Y" of the interpreter into buf (at least 16 bytes). */
void interp_xy(const struct interp_facts *f, char *buf, size_t size);

#endif
