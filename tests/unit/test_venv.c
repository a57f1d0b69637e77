/* test_venv.c: venv resolution, opening real venvs, and the `.lock` flock against another process.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/venv.h"
#include "test_ihelp.h"
#include "xalloc.h"

static void check_resolve(const char *opt, const char *ve, const char *cwd, const char *want)
{
	char *r = venv_resolve(opt, ve, cwd);
	assert_string_equal(r, want);
	free(r);
}

static void test_resolve(void **s)
{
	check_resolve("/a/v", "/b/v", "/c", "/a/v");
	check_resolve("v", "/b/v", "/c", "/c/v");
	check_resolve(NULL, "/b/v", "/c", "/b/v");
	check_resolve("", "", "/c", "/c/.venv");
	check_resolve(NULL, NULL, "/c/d/", "/c/d/.venv");
	check_resolve("../x/./y//", NULL, "/c/d", "/c/x/y");
	check_resolve("/../..", NULL, "/", "/");
	char *n = venv_normpath("//a/./b/../c/");
	assert_string_equal(n, "/a/c");
	free(n);
}

static void test_open_errors(void **s)
{
	struct venv v;
	struct err err = {0};
	char *dir = th_tmpdir("venv");
	char *missing = xasprintf("%s/nope", dir);
	assert_int_equal(venv_open(missing, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, missing));
	assert_int_equal(venv_open(dir, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "pyvenv.cfg"));
	/* pyvenv.cfg present but no interpreter. */
	char *cfg = xasprintf("%s/pyvenv.cfg", dir);
	th_write(cfg, "home = /x\n", 10, 0644);
	assert_int_equal(venv_open(dir, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "bin/python"));
	/* A directory named pyvenv.cfg does not count. */
	unlink(cfg);
	assert_int_equal(th_sh("mkdir '%s'", cfg), 0);
	assert_int_equal(venv_open(dir, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "pyvenv.cfg"));
	th_rmrf(dir);
	free(dir), free(missing), free(cfg);
}

static void test_open_and_lock(void **s)
{
	char *py = th_python("3.12.1");
	if (py == NULL)
		skip();
	char *dir = th_tmpdir("venv"), *venv = th_make_venv(py, dir, "v");
	struct venv v, w;
	struct err err = {0};
	char *messy = xasprintf("%s/./v/", dir);
	assert_int_equal(venv_open(messy, &v, &err), 0);
	assert_string_equal(v.path, venv);
	char *want = xasprintf("%s/bin/python", venv);
	assert_string_equal(v.python, want);
	assert_int_equal(venv_lock(&v, 1, &err), 0);
	/* A second open file description cannot take it. */
	assert_int_equal(venv_open(venv, &w, &err), 0);
	assert_int_equal(venv_lock(&w, 1, &err), -EWOULDBLOCK);
	assert_non_null(strstr(err.msg, ".lock"));
	venv_unlock(&v);
	assert_int_equal(venv_lock(&w, 1, &err), 0);
	venv_close(&w);
	/* Another process (as uv would) holding flock on .lock blocks us. */
	char *lockf = xasprintf("%s/.lock", venv), *ready = xasprintf("%s/ready", dir);
	char *pidf = xasprintf("%s/pid", dir);
	assert_int_equal(
	    th_sh("'%s' -c 'import fcntl, os, time; f = open(\"%s\", \"a\"); "
		  "fcntl.flock(f, fcntl.LOCK_EX); open(\"%s\", \"w\").close(); "
		  "time.sleep(30)' & echo $! > '%s'; "
		  "for i in $(seq 100); do [ -e '%s' ] && exit 0; sleep 0.1; done; exit 1",
		  TH_PIP_PYTHON, lockf, ready, pidf, ready),
	    0);
	assert_int_equal(venv_lock(&v, 1, &err), -EWOULDBLOCK);
	char *pidtext = th_slurp(pidf, NULL);
	pid_t pid = (pid_t)atoi(pidtext);
	assert_true(pid > 1);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(pidtext), free(pidf);
	venv_close(&v);
	th_rmrf(dir);
	free(dir), free(venv), free(messy), free(want), free(lockf), free(ready), free(py);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_open_and_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
