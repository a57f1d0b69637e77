/* test_launcher.c: launchers byte-compared with what pip 23.2.1 writes into real venvs. */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "daemon/launcher.h"
#include "test_ihelp.h"
#include "xalloc.h"

static const char demo_eps[] = "[console_scripts]\n"
			       "hello = demo.cli:main\n"
			       "sub = demo.cli:obj.method\n"
			       "extra = demo.cli : main [fancy]\n"
			       "pip = demo.cli:main\n"
			       "pip3 = demo.cli:main\n"
			       "pip3.11 = demo.cli:main\n"
			       "easy_install = demo.cli:main\n"
			       "easy_install-3.6 = demo.cli:main\n"
			       "pipx = demo.cli:main\n"
			       "[gui_scripts]\n"
			       "guitool = demo.gui:run\n"
			       "[other]\n"
			       "nocallable = demo.x\n";

/* pip's entry_points.txt for the wheel: pip needs "mod:attr" without spaces around ':'. */
static char *pip_eps(void)
{
	char *s = xstrdup(demo_eps);
	char *at = strstr(s, " : ");
	at[0] = ':';
	memmove(at + 1, at + 3, strlen(at + 3) + 1);
	return s;
}

static void plan(const char *eps_text, int major, int minor, struct launchers *l, int expect_rc,
		 struct err *err)
{
	struct entry_points eps;
	int rc = entrypoints_parse(eps_text, strlen(eps_text), &eps, err);
	if (rc < 0) {
		/* The parser refusing it is as good, for hostile input. */
		assert_int_equal(rc, expect_rc);
		memset(l, 0, sizeof(*l));
		return;
	}
	assert_int_equal(launcher_plan(&eps, major, minor, l, err), expect_rc);
	entrypoints_free(&eps);
}

/* pip's special case: pip, pipX, pipX.Y and easy_install, easy_install-X.Y for the target. */
static void test_plan_names(void **s)
{
	struct launchers l;
	struct err err = {0};
	plan(demo_eps, 3, 12, &l, 0, &err);
	const char *want[] = {"pip",   "pip3", "pip3.12", "easy_install", "easy_install-3.12",
			      "hello", "sub",  "extra",	  "pipx",	  "guitool"};
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.v[i].name, want[i]);
	assert_string_equal(l.v[6].attr, "obj.method");
	assert_string_equal(l.v[7].module, "demo.cli");
	assert_true(l.v[9].gui);
	launchers_free(&l);

	/* Without a "pip" entry, pip3 is an ordinary launcher. */
	plan("[console_scripts]\npip3 = a:b\n", 3, 8, &l, 0, &err);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "pip3");
	launchers_free(&l);

	/* A later gui script of the same name replaces the console one. */
	plan("[console_scripts]\nt = a:b\nu = a:c\n[gui_scripts]\nt = g:h\n", 3, 12, &l, 0, &err);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].module, "g");
	assert_true(l.v[0].gui);
	launchers_free(&l);
}

static void test_plan_rejects(void **s)
{
	struct launchers l;
	struct err err = {0};
	plan("[console_scripts]\nx = mod\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	plan("[console_scripts]\npython3 = a:b\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	plan("[gui_scripts]\npython = a:b\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	plan("[console_scripts]\n../x = a:b\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	/* The module and callable are pasted into Python source. */
	plan("[console_scripts]\nx = os;import evil:b\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	assert_non_null(strstr(err.msg, "'x'"));
	plan("[console_scripts]\nx = a:b()\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	plan("[console_scripts]\nx = a..b:c\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	plan("[console_scripts]\nx = a:b.\n", 3, 12, &l, -WHLC_EBADWHEEL, &err);
	/* Non-ASCII identifiers are Python identifiers too. */
	plan("[console_scripts]\nx = caf\xc3\xa9:m\xc3\xa9thode\n", 3, 12, &l, 0, &err);
	launchers_free(&l);
}

/* Install the demo wheel with pip into a venv under parent/name and compare every launcher. */
static void compare_with_pip(const char *parent, const char *name)
{
	char *python = th_python("3.12.1");
	if (python == NULL || !th_have_pip())
		skip();
	char *dir = th_tmpdir("launcher");
	char *pdir = xasprintf("%s/%s", dir, parent);
	assert_int_equal(th_sh("mkdir -p '%s'", pdir), 0);
	char *venv = th_make_venv(python, pdir, name);
	assert_non_null(venv);
	char *eps = pip_eps();
	struct strbuf fb = STRBUF_INIT;
	strbuf_adds(&fb, "{'demo/__init__.py': b'', 'demo/gui.py': b'', 'demo/cli.py': "
			 "b'def main():\\n    print(\"hi\")\\n', "
			 "'demo-1.0.dist-info/entry_points.txt': b'");
	for (const char *c = eps; *c; c++)
		strbuf_addf(&fb, "\\x%02x", (unsigned char)*c);
	strbuf_adds(&fb, "'}");
	char *whl = th_build_wheel(dir, "demo-1.0-py3-none-any.whl", fb.buf, NULL);
	assert_non_null(whl);
	mode_t old = umask(022);
	int prc = th_pip_install(venv, whl);
	umask(old);
	if (prc != 0) {
		th_sh("'%s' -m pip --python '%s' install --no-deps --no-index --no-compile '%s' | "
		      "sed 's/^/# /'",
		      TH_PIP_PYTHON, venv, whl);
		fail_msg("pip failed on %s", whl);
	}

	struct launchers l;
	struct err err = {0};
	plan(demo_eps, 3, 12, &l, 0, &err);
	char *exe = xasprintf("%s/bin/python", venv);
	for (size_t i = 0; i < l.n; i++) {
		char *path = xasprintf("%s/bin/%s", venv, l.v[i].name);
		size_t plen;
		char *pip = th_slurp(path, &plen);
		if (pip == NULL)
			fail_msg("pip did not write %s", l.v[i].name);
		struct strbuf ours = STRBUF_INIT;
		launcher_render(&l.v[i], exe, &ours);
		if (ours.len != plen || memcmp(ours.buf, pip, plen) != 0)
			fail_msg("%s differs:\npip:\n%s\nwhlc:\n%s", l.v[i].name, pip, ours.buf);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, LAUNCHER_MODE);
		strbuf_free(&ours);
		free(pip), free(path);
	}
	/* pip wrote nothing else into bin besides the venv's own files. */
	char *bindir = xasprintf("%s/bin", venv);
	DIR *d = opendir(bindir);
	free(bindir);
	struct dirent *de;
	size_t nlaunch = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "python", 6) ||
		    !strncmp(de->d_name, "activate", 8) || !strcmp(de->d_name, "Activate.ps1"))
			continue;
		nlaunch++;
	}
	closedir(d);
	assert_int_equal(nlaunch, l.n);
	/* And the launcher runs. */
	assert_int_equal(th_sh("cd / && '%s/bin/hello' | grep -qx hi", venv), 0);
	launchers_free(&l);
	strbuf_free(&fb);
	free(exe), free(whl), free(eps), free(venv), free(pdir), free(python);
	th_rmrf(dir);
	free(dir);
}

static void test_pip_plain(void **s)
{
	compare_with_pip("plain", "v");
}

static void test_pip_spaced(void **s)
{
	compare_with_pip("with space", "my venv");
}

/* A path long enough that the shebang passes 127 bytes: the unquoted /bin/sh trick. */
static void test_pip_long(void **s)
{
	char name[128];
	memset(name, 'x', 100);
	name[100] = '\0';
	compare_with_pip(name, "v");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_names), cmocka_unit_test(test_plan_rejects),
	    cmocka_unit_test(test_pip_plain),  cmocka_unit_test(test_pip_spaced),
	    cmocka_unit_test(test_pip_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
