/* test_ihelp.h: helpers shared by the install unit tests (temp dirs, real venvs, pip oracle). */
#ifndef WHLC_TEST_IHELP_H
#define WHLC_TEST_IHELP_H

#include <stddef.h>

#define TH_PYENV "/root/.pyenv/versions"
/* pip 23.2.1, the fidelity oracle. */
#define TH_PIP_PYTHON TH_PYENV "/3.11.7/bin/python"

/* A fresh directory under /tmp; never NULL. */
char *th_tmpdir(const char *tag);
/* Remove a tree (no symlink following). */
void th_rmrf(const char *path);
/* Path of a pyenv interpreter ("3.12.1") or NULL when not installed. */
char *th_python(const char *version);
/* Create `<parent>/<name>` with `python -m venv --without-pip`; NULL on failure. */
char *th_make_venv(const char *python, const char *parent, const char *name);
/* Run a shell command; its exit status (-1 when it did not exit). */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whole file into a new buffer (NUL-terminated); NULL when unreadable. */
char *th_slurp(const char *path, size_t *len);
/* Write a file (mode applied with chmod). */
void th_write(const char *path, const void *data, size_t len, int mode);
/* True when the pip oracle is usable. */
int th_have_pip(void);
/*
 * Build a wheel in dir with Python's zipfile from a Python dict literal of
 * {member: bytes} plus an optional dict {member: mode}; computes RECORD.
 * Returns the wheel path or NULL.
 */
char *th_build_wheel(const char *dir, const char *filename, const char *files_py,
		     const char *modes_py);
/* pip install --no-deps --no-index --no-compile wheel into venv; exit status. */
int th_pip_install(const char *venv, const char *wheel);

#endif
