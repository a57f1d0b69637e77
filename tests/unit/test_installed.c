/* test_installed.c: scan/verify/uninstall on venvs populated by pip, including hostile RECORDs. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/installed.h"
#include "daemon/interp.h"
#include "daemon/venv.h"
#include "daemon/venv_at.h"
#include "test_ihelp.h"
#include "xalloc.h"

struct fx {
	char *dir, *venv, *site, *outside;
	struct interp_facts f;
	char *vpath; /* normalized */
	struct vat at;
};

/* A 3.12 venv with two pip-installed distributions sharing a namespace package `ns`. */
static int setup(void **state)
{
	char *python = th_python("3.12.1");
	if (python == NULL || !th_have_pip())
		return 0; /* tests skip */
	struct fx *x = xcalloc(1, sizeof(*x));
	struct err err = {0};
	x->dir = th_tmpdir("installed");
	x->venv = th_make_venv(python, x->dir, "v");
	x->outside = xasprintf("%s/outside", x->dir);
	th_sh("mkdir -p '%s/pkg_a' && echo keep > '%s/pkg_a/mod.py' && echo keep > '%s/victim'",
	      x->outside, x->outside, x->outside);
	char *a = th_build_wheel(
	    x->dir, "pkg_a-1.0-py3-none-any.whl",
	    "{'pkg_a/__init__.py': b'', 'pkg_a/mod.py': b'X = 1\\n', 'ns/a.py': b'A = 1\\n', "
	    "'pkg_a-1.0.data/scripts/ascript': b'#!python\\nprint(1)\\n', "
	    "'pkg_a-1.0.dist-info/entry_points.txt': b'[console_scripts]\\natool = "
	    "pkg_a.mod:X\\n'}",
	    NULL);
	char *b = th_build_wheel(x->dir, "pkg_b-2.0-py3-none-any.whl",
				 "{'pkg_b.py': b'B = 2\\n', 'ns/b.py': b'B = 1\\n'}", NULL);
	assert_int_equal(th_pip_install(x->venv, a), 0);
	assert_int_equal(th_pip_install(x->venv, b), 0);
	char *py = xasprintf("%s/bin/python", x->venv);
	assert_int_equal(interp_probe(py, x->venv, &x->f, &err), 0);
	x->site = xstrdup(x->f.purelib);
	x->vpath = venv_normpath(x->venv);
	vat_init(&x->at, open(x->vpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC), x->vpath);
	assert_true(x->at.root >= 0);
	/* pycs at every optimization level, as pip (without --no-compile) or python would. */
	assert_int_equal(
	    th_sh("for o in 0 1 2; do '%s' -m compileall -q -o $o '%s' >/dev/null; done", py,
		  x->site),
	    0);
	free(py), free(a), free(b), free(python);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	if (x == NULL)
		return 0;
	th_rmrf(x->dir);
	interp_facts_free(&x->f);
	close(x->at.root);
	free(x->vpath);
	free(x->dir), free(x->venv), free(x->site), free(x->outside), free(x);
	return 0;
}

static int exists(const char *fmt, const char *a, const char *b)
{
	char *p = xasprintf(fmt, a, b);
	int r = access(p, F_OK) == 0;
	free(p);
	return r;
}

static void test_scan_and_verify_clean(void **state)
{
	struct fx *x = *state;
	if (x == NULL)
		skip();
	struct installed_list l;
	struct err err = {0};
	assert_int_equal(installed_scan(&x->at, &x->f, &l, &err), 0);
	assert_int_equal(l.n, 2);
	const struct installed_dist *a = installed_find(&l, "PKG.A");
	assert_non_null(a);
	assert_string_equal(a->version, "1.0");
	assert_string_equal(a->installer, "pip");
	assert_string_equal(a->dist_info, "pkg_a-1.0.dist-info");
	for (size_t i = 0; i < l.n; i++) {
		struct installed_report r;
		assert_int_equal(installed_verify(&x->at, &x->f, &l.v[i], &r, &err), 0);
		for (size_t k = 0; k < r.n; k++)
			printf("# %s: %s\n", r.v[k].path, installed_problem_name(r.v[k].kind));
		assert_int_equal(r.n, 0);
		installed_report_free(&r);
	}
	installed_list_free(&l);
}

static void test_verify_finds_damage(void **state)
{
	struct fx *x = *state;
	if (x == NULL)
		skip();
	struct installed_list l;
	struct err err = {0};
	th_sh("cd '%s' && echo 'X = 2' > pkg_a/mod.py && echo grown > pkg_a/__init__.py && rm "
	      "ns/a.py && "
	      "ln -sf /etc/hostname ../../../bin/ascript && printf 'Y = 1\\n' > pkg_b.py",
	      x->site);
	assert_int_equal(installed_scan(&x->at, &x->f, &l, &err), 0);
	struct installed_report r;
	assert_int_equal(installed_verify(&x->at, &x->f, installed_find(&l, "pkg-a"), &r, &err), 0);
	int seen[6] = {0};
	for (size_t k = 0; k < r.n; k++) {
		printf("# %s: %s\n", r.v[k].path, installed_problem_name(r.v[k].kind));
		seen[r.v[k].kind]++;
	}
	assert_int_equal(r.n, 4);
	assert_int_equal(seen[INSTALLED_SIZE], 1);	  /* __init__.py grew */
	assert_int_equal(seen[INSTALLED_HASH], 1);	  /* mod.py: same size, new bytes */
	assert_int_equal(seen[INSTALLED_MISSING], 1);	  /* ns/a.py */
	assert_int_equal(seen[INSTALLED_NOT_REGULAR], 1); /* the planted symlink */
	installed_report_free(&r);
	/* Same size, different bytes: the hash catches it. */
	assert_int_equal(installed_verify(&x->at, &x->f, installed_find(&l, "pkg-b"), &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, INSTALLED_HASH);
	assert_string_equal(r.v[0].path, "pkg_b.py");
	installed_report_free(&r);
	installed_list_free(&l);
}

static void test_uninstall(void **state)
{
	struct fx *x = *state;
	if (x == NULL)
		skip();
	struct installed_list l;
	struct installed_plan p;
	struct err err = {0};
	assert_int_equal(installed_scan(&x->at, &x->f, &l, &err), 0);
	const struct installed_dist *a = installed_find(&l, "pkg_a");
	assert_true(exists("%s/pkg_a/__pycache__/mod.cpython-312.opt-2.pyc%s", x->site, ""));
	assert_int_equal(installed_plan_uninstall(&x->at, &x->f, a, &p, &err), 0);
	assert_int_equal(p.nrefused, 0);
	assert_int_equal(installed_execute(&x->at, &x->f, &p, &err), 0);
	installed_plan_free(&p);
	assert_false(exists("%s/pkg_a%s", x->site, ""));
	assert_false(exists("%s/pkg_a-1.0.dist-info%s", x->site, ""));
	assert_false(exists("%s/ns/a.py%s", x->site, ""));
	assert_false(exists("%s/ns/__pycache__/a.cpython-312.pyc%s", x->site, ""));
	assert_false(exists("%s/ns/__pycache__/a.cpython-312.opt-1.pyc%s", x->site, ""));
	assert_false(exists("%s/bin/atool%s", x->venv, ""));
	assert_false(exists("%s/bin/ascript%s", x->venv, ""));
	/* The namespace package still holds pkg_b's files, and pkg_b is intact. */
	assert_true(exists("%s/ns/b.py%s", x->site, ""));
	assert_true(exists("%s/ns/__pycache__/b.cpython-312.pyc%s", x->site, ""));
	assert_true(exists("%s/bin/python%s", x->venv, ""));
	installed_list_free(&l);
	assert_int_equal(installed_scan(&x->at, &x->f, &l, &err), 0);
	assert_int_equal(l.n, 1);
	struct installed_report r;
	assert_int_equal(installed_verify(&x->at, &x->f, &l.v[0], &r, &err), 0);
	assert_int_equal(r.n, 0);
	installed_list_free(&l);
}

/* A RECORD pointing outside the venv, or through a planted symlink, deletes nothing outside. */
static void test_uninstall_hostile(void **state)
{
	struct fx *x = *state;
	if (x == NULL)
		skip();
	struct installed_list l;
	struct installed_plan p;
	struct err err = {0};
	/* pkg_a's directory replaced by a symlink to a directory outside the venv. */
	th_sh("cd '%s' && rm -rf pkg_a && ln -s '%s/pkg_a' pkg_a", x->site, x->outside);
	char *rec = xasprintf("%s/pkg_a-1.0.dist-info/RECORD", x->site);
	th_sh("cd '%s' && printf '%%s\\n' '../../../../outside/victim,,' "
	      "'../../../../v/../outside/victim,,' '%s/victim,,' '../../../bin/python,,' "
	      "'../../../lib/python3.12/site-packages-evil/x,,' >> '%s'",
	      x->site, x->outside, rec);
	assert_int_equal(installed_scan(&x->at, &x->f, &l, &err), 0);
	assert_int_equal(
	    installed_plan_uninstall(&x->at, &x->f, installed_find(&l, "pkg-a"), &p, &err), 0);
	assert_int_equal(p.nrefused, 4); /* the symlinked pkg_a is refused at execution */
	assert_int_equal(installed_execute(&x->at, &x->f, &p, &err), 0);
	installed_plan_free(&p);
	assert_true(exists("%s/victim%s", x->outside, ""));
	assert_true(exists("%s/pkg_a/mod.py%s", x->outside, ""));
	assert_true(exists("%s/bin/python%s", x->venv, ""));
	assert_false(exists("%s/pkg_a-1.0.dist-info%s", x->site, ""));
	installed_list_free(&l);
	free(rec);
}

/* No RECORD: refuse, naming the installer. */
static void test_no_record(void **state)
{
	struct fx *x = *state;
	if (x == NULL)
		skip();
	struct installed_list l;
	struct installed_plan p;
	struct err err = {0};
	th_sh("cd '%s/pkg_b-2.0.dist-info' && rm RECORD && echo conda > INSTALLER", x->site);
	assert_int_equal(installed_scan(&x->at, &x->f, &l, &err), 0);
	const struct installed_dist *b = installed_find(&l, "pkg-b");
	assert_int_equal(installed_plan_uninstall(&x->at, &x->f, b, &p, &err), -WHLC_ECONFLICT);
	assert_non_null(strstr(err.msg, "conda"));
	assert_non_null(strstr(err.msg, "RECORD"));
	struct installed_report r;
	assert_int_equal(installed_verify(&x->at, &x->f, b, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, INSTALLED_NO_RECORD);
	installed_report_free(&r);
	installed_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scan_and_verify_clean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_finds_damage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uninstall, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uninstall_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_record, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
