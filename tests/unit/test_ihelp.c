/* test_ihelp.c: helpers shared by the install unit tests. */
#include "config.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_ihelp.h"
#include "xalloc.h"

/* A fresh directory under /tmp. */
char *th_tmpdir(const char *tag)
{
	char *p = xasprintf("/tmp/whlc-test-%s-XXXXXX", tag);
	if (mkdtemp(p) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

/* nftw callback removing one entry. */
static int th__rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? 0 : 0;
	unlink(path);
	return 0;
}

/* Remove a tree. */
void th_rmrf(const char *path)
{
	if (path)
		nftw(path, th__rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path of a pyenv interpreter or NULL. */
char *th_python(const char *version)
{
	char *p = xasprintf(TH_PYENV "/%s/bin/python", version);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* Run a shell command. */
int th_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	int st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Create a venv without pip. */
char *th_make_venv(const char *python, const char *parent, const char *name)
{
	char *v = xasprintf("%s/%s", parent, name);
	if (th_sh("'%s' -m venv --without-pip '%s' >/dev/null 2>&1", python, v) != 0) {
		free(v);
		return NULL;
	}
	return v;
}

/* Whole file into a new buffer. */
char *th_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = xmalloc(cap + 1);
	size_t r;
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
	}
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

/* Write a file and chmod it. */
void th_write(const char *path, const void *data, size_t len, int mode)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len) {
		perror(path);
		abort();
	}
	fclose(f);
	chmod(path, (mode_t)mode);
}

/* True when the pip oracle is usable. */
int th_have_pip(void)
{
	return th_sh("'%s' -m pip --version >/dev/null 2>&1", TH_PIP_PYTHON) == 0;
}

static const char th__wheel_py[] =
    "import base64, hashlib, sys, zipfile\n"
    "path = sys.argv[1]\n"
    "files, modes = eval(open(sys.argv[2]).read()), eval(open(sys.argv[3]).read())\n"
    "base = path.rsplit('/', 1)[-1][:-4].split('-')\n"
    "di = base[0] + '-' + base[1] + '.dist-info'\n"
    "files.setdefault(di + '/METADATA', ('Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n'\n"
    "    % (base[0], base[1])).encode())\n"
    "files.setdefault(di + '/WHEEL', b'Wheel-Version: 1.0\\nGenerator: test\\n'\n"
    "    b'Root-Is-Purelib: true\\nTag: py3-none-any\\n')\n"
    "rec = []\n"
    "with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "    for name, data in files.items():\n"
    "        zi = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))\n"
    "        zi.external_attr = (0o100000 | modes.get(name, 0o644)) << 16\n"
    "        zi.compress_type = zipfile.ZIP_DEFLATED\n"
    "        z.writestr(zi, data)\n"
    "        h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=')\n"
    "        rec.append('%s,sha256=%s,%d' % (name, h.decode(), len(data)))\n"
    "    rec.append(di + '/RECORD,,')\n"
    "    z.writestr(di + '/RECORD', '\\n'.join(rec) + '\\n')\n";

/* Build a wheel with Python's zipfile. */
char *th_build_wheel(const char *dir, const char *filename, const char *files_py,
		     const char *modes_py)
{
	char *script = xasprintf("%s/mkwheel.py", dir);
	char *whl = xasprintf("%s/%s", dir, filename);
	char *files = xasprintf("%s/files.txt", dir), *modes = xasprintf("%s/modes.txt", dir);
	th_write(script, th__wheel_py, strlen(th__wheel_py), 0644);
	th_write(files, files_py, strlen(files_py), 0644);
	th_write(modes, modes_py ? modes_py : "{}", strlen(modes_py ? modes_py : "{}"), 0644);
	int rc = th_sh("'%s' -I '%s' '%s' '%s' '%s'", TH_PIP_PYTHON, script, whl, files, modes);
	free(script);
	free(files);
	free(modes);
	if (rc != 0) {
		free(whl);
		return NULL;
	}
	return whl;
}

/* pip install into venv. */
int th_pip_install(const char *venv, const char *wheel)
{
	return th_sh("'%s' -m pip --python '%s' install --no-deps --no-index --no-compile "
		     "--disable-pip-version-check -q '%s' >/dev/null 2>&1",
		     TH_PIP_PYTHON, venv, wheel);
}
