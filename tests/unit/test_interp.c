/* test_interp.c: probing real venvs made by real Pythons, and hostile interpreters. */
#include "config.h"

#include <gnu/libc-version.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/interp.h"
#include "test_ihelp.h"
#include "xalloc.h"

/* Ask the venv's python, running normally (with site), for a sysconfig path. */
static char *site_path(const char *venv, const char *key)
{
	char *cmd =
	    xasprintf("'%s/bin/python' -c 'import sysconfig; print(sysconfig.get_paths()[\"%s\"])'",
		      venv, key);
	FILE *p = popen(cmd, "r");
	char buf[4096] = "";
	assert_non_null(p);
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	free(cmd);
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

/* Probe a venv made by python and check the facts against what the venv itself says. */
static void probe_and_check(const char *python, const char *ver_xy)
{
	char *dir = th_tmpdir("interp"), *venv = th_make_venv(python, dir, "my venv");
	struct interp_facts f;
	struct err err = {0};
	char xy[16];

	assert_non_null(venv);
	char *py = xasprintf("%s/bin/python", venv);
	assert_int_equal(interp_probe(py, venv, &f, &err), 0);
	assert_string_equal(f.impl, "cpython");
	interp_xy(&f, xy, sizeof(xy));
	assert_string_equal(xy, ver_xy);
	assert_string_equal(f.executable, py);
	char *expect = xasprintf("%s/include/site/python%s", venv, ver_xy);
	assert_string_equal(f.include, expect);
	free(expect);
	expect = xasprintf("%s/bin", venv);
	assert_string_equal(f.scripts, expect);
	free(expect);
	assert_string_equal(f.data, venv);
	/* The venv's own python, with site, agrees on the install scheme. */
	char *s = site_path(venv, "purelib");
	assert_string_equal(f.purelib, s);
	free(s);
	s = site_path(venv, "platlib");
	assert_string_equal(f.platlib, s);
	free(s);
	expect = xasprintf("cpython-%d%d", f.major, f.minor);
	assert_string_equal(f.cache_tag, expect);
	free(expect);
	assert_non_null(strstr(f.ext_suffix, ".so"));
	struct utsname u;
	uname(&u);
	expect = xasprintf("linux-%s", u.machine);
	assert_string_equal(f.platform, expect);
	free(expect);
	int gmaj, gmin;
	assert_int_equal(sscanf(gnu_get_libc_version(), "%d.%d", &gmaj, &gmin), 2);
	assert_int_equal(f.glibc_major, gmaj);
	assert_int_equal(f.glibc_minor, gmin);
	assert_int_equal(f.musl_major, -1);
	assert_int_equal(f.gil_disabled, 0);

	/* Round trip through the catalog's string form. */
	char *ser = interp_facts_serialize(&f);
	struct interp_facts g;
	assert_int_equal(interp_facts_parse(ser, strlen(ser), &g, &err), 0);
	char *ser2 = interp_facts_serialize(&g);
	assert_string_equal(ser, ser2);
	assert_string_equal(g.purelib, f.purelib);
	assert_int_equal(g.micro, f.micro);
	free(ser);
	free(ser2);
	interp_facts_free(&g);

	/* A second venv of the same interpreter shares the key; the facts, re-rooted, are its. */
	char *venv2 = th_make_venv(python, dir, "other venv");
	assert_non_null(venv2);
	char *py2 = xasprintf("%s/bin/python", venv2);
	char *k1 = interp_cache_key(py, venv), *k2 = interp_cache_key(py2, venv2);
	assert_non_null(k1);
	assert_string_equal(k1, k2);
	ser = interp_facts_serialize_rel(&f, venv);
	assert_non_null(ser);
	assert_null(strstr(ser, "my venv"));
	assert_int_equal(interp_facts_parse_at(ser, strlen(ser), venv2, &g, &err), 0);
	struct interp_facts f2;
	assert_int_equal(interp_probe(py2, venv2, &f2, &err), 0);
	ser2 = interp_facts_serialize(&f2);
	char *ser3 = interp_facts_serialize(&g);
	assert_string_equal(ser2, ser3);
	assert_string_equal(g.executable, py2);
	assert_string_equal(g.data, venv2);
	/* Without a root a relative path is rejected. */
	struct interp_facts h;
	assert_int_not_equal(interp_facts_parse(ser, strlen(ser), &h, &err), 0);
	/* Facts whose paths leave the venv are not shared. */
	assert_null(interp_facts_serialize_rel(&f, venv2));
	free(ser);
	free(ser2);
	free(ser3);
	free(k1);
	free(k2);
	free(py2);
	free(venv2);
	interp_facts_free(&g);
	interp_facts_free(&f2);
	interp_facts_free(&f);
	free(py);
	th_rmrf(dir);
	free(dir);
	free(venv);
}

/* One pyenv version, skipped when not installed. */
static void probe_pyenv(const char *ver, const char *xy)
{
	char *py = th_python(ver);
	if (py == NULL) {
		printf("# skip: python %s not installed\n", ver);
		skip();
	}
	probe_and_check(py, xy);
	free(py);
}

static void test_probe_312(void **s)
{
	probe_pyenv("3.12.1", "3.12");
}

static void test_probe_38(void **s)
{
	probe_pyenv("3.8.18", "3.8");
}

static void test_probe_313(void **s)
{
	probe_pyenv("3.13.0", "3.13");
}

/* Debian's python: its default sysconfig scheme is posix_local, which -S must not pick. */
static void test_probe_debian(void **s)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	char ver[16] = "";
	FILE *p =
	    popen("/usr/bin/python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'", "r");
	assert_non_null(fgets(ver, sizeof(ver), p));
	pclose(p);
	ver[strcspn(ver, "\n")] = '\0';
	probe_and_check("/usr/bin/python3", ver);
}

/* A .pth file in the target venv is never executed by the probe (-I -S). */
static void test_probe_no_site(void **s)
{
	char *py = th_python("3.12.1");
	if (py == NULL)
		skip();
	char *dir = th_tmpdir("interp"), *venv = th_make_venv(py, dir, "v");
	char *pth = xasprintf("%s/lib/python3.12/site-packages/evil.pth", venv);
	char *marker = xasprintf("%s/ran", dir);
	char *code = xasprintf("import os; open('%s', 'w').close()\n", marker);
	th_write(pth, code, strlen(code), 0644);
	char *vpy = xasprintf("%s/bin/python", venv);
	/* The .pth does run under a normal start, so the check below is meaningful. */
	assert_int_equal(th_sh("'%s' -c pass", vpy), 0);
	assert_int_equal(access(marker, F_OK), 0);
	unlink(marker);
	struct interp_facts f;
	struct err err = {0};
	assert_int_equal(interp_probe(vpy, venv, &f, &err), 0);
	assert_int_not_equal(access(marker, F_OK), 0);
	interp_facts_free(&f);
	th_rmrf(dir);
	free(dir), free(venv), free(pth), free(marker), free(code), free(vpy), free(py);
}

/* Run a fake interpreter (a shell script) and return the probe's result code. */
static int probe_fake(const char *body, struct err *err)
{
	char *dir = th_tmpdir("interp"), *py = xasprintf("%s/python", dir);
	char *text = xasprintf("#!/bin/sh\n%s\n", body);
	struct interp_facts f;
	th_write(py, text, strlen(text), 0755);
	int rc = interp_probe(py, dir, &f, err);
	if (rc == 0)
		interp_facts_free(&f);
	th_rmrf(dir);
	free(dir), free(py), free(text);
	return rc;
}

static void test_probe_hostile(void **s)
{
	struct err err = {0};
	/* Endless output is cut at the bound. */
	assert_int_equal(probe_fake("yes AAAA", &err), -E2BIG);
	assert_non_null(strstr(err.msg, "too long"));
	/* Garbage lines. */
	assert_int_equal(probe_fake("echo 'hello world'", &err), -WHLC_EPROTO);
	/* Failure: the message carries the interpreter's last stderr line. */
	assert_int_equal(
	    probe_fake("echo 'first' >&2; echo 'ModuleNotFoundError: x' >&2; exit 3", &err),
	    -WHLC_EINCOMPAT);
	assert_non_null(strstr(err.msg, "ModuleNotFoundError: x"));
	assert_non_null(strstr(err.msg, "exit status 3"));
	/* Killed by a signal. */
	assert_int_equal(probe_fake("kill -9 $$", &err), -WHLC_EINCOMPAT);
	assert_non_null(strstr(err.msg, "signal 9"));
	/* Missing interpreter. */
	struct interp_facts f;
	assert_true(interp_probe("/nonexistent/bin/python", "/tmp", &f, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent/bin/python"));
}

/* Serialize a valid fact set, then replace one key's line with line. */
static char *facts_with(const char *key, const char *line)
{
	struct interp_facts f = {0};
	f.impl = xstrdup("cpython");
	f.major = 3, f.minor = 12, f.micro = 1;
	f.cache_tag = xstrdup("cpython-312");
	f.abiflags = xstrdup("");
	f.soabi = xstrdup("x");
	f.ext_suffix = xstrdup(".so");
	f.platlibdir = xstrdup("lib");
	f.platform = xstrdup("linux-x86_64");
	f.glibc_major = 2, f.glibc_minor = 36, f.musl_major = -1;
	f.executable = xstrdup("/v/bin/python");
	f.scheme = xstrdup("venv");
	f.purelib = xstrdup("/v/lib/python3.12/site-packages");
	f.platlib = xstrdup("/v/lib/python3.12/site-packages");
	f.scripts = xstrdup("/v/bin");
	f.include = xstrdup("/v/include/site/python3.12");
	f.data = xstrdup("/v");
	char *raw = interp_facts_serialize(&f);
	interp_facts_free(&f);
	if (key == NULL)
		return raw;
	char *ser = xasprintf("\n%s", raw);
	free(raw);
	char *k = xasprintf("\n%s=", key);
	char *at = strstr(ser, k);
	assert_non_null(at);
	char *eol = strchr(at + 1, '\n');
	*at = '\0';
	char *out = xasprintf("%s\n%s%s", ser, line, eol);
	free(k);
	free(ser);
	return out;
}

static void expect_bad(const char *key, const char *line)
{
	struct interp_facts f;
	struct err err = {0};
	char *s = facts_with(key, line);
	assert_int_equal(interp_facts_parse(s, strlen(s), &f, &err), -WHLC_EPROTO);
	free(s);
}

static void test_parse_rejects(void **s)
{
	struct interp_facts f;
	struct err err = {0};
	char *ok = facts_with(NULL, NULL);
	assert_int_equal(interp_facts_parse(ok, strlen(ok), &f, &err), 0);
	assert_int_equal(f.glibc_minor, 36);
	assert_string_equal(f.abiflags, "");
	interp_facts_free(&f);
	/* An unknown key is ignored (newer probe, older daemon). */
	char *more = xasprintf("%sfuture=00ff\n", ok);
	expect_bad("platform", "platform=6");			 /* odd hex */
	expect_bad("platform", "platform=zz");			 /* not hex */
	expect_bad("platform", "platform=6100");		 /* embedded NUL */
	expect_bad("purelib", "purelib=6c6962");		 /* relative path */
	expect_bad("version", "version=33");			 /* "3" only */
	expect_bad("version", "version=392e392e39393939393939"); /* huge number */
	expect_bad("gil_disabled", "gil_disabled=32");		 /* "2" */
	expect_bad("glibc", "glibc=676c696263");		 /* "glibc" without version */
	expect_bad("impl", "impl");				 /* no '=' */
	expect_bad("data", "");					 /* missing key */
	assert_int_equal(interp_facts_parse(more, strlen(more), &f, &err), 0);
	interp_facts_free(&f);
	/* Python 2 is refused. */
	expect_bad("version", "version=322e372e3138");
	/* Over-long input. */
	char *big = xmalloc(INTERP_OUTPUT_MAX + 2);
	memset(big, '\n', INTERP_OUTPUT_MAX + 1);
	assert_int_equal(interp_facts_parse(big, INTERP_OUTPUT_MAX + 1, &f, &err), -WHLC_EPROTO);
	free(big);
	free(more);
	free(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_312),	  cmocka_unit_test(test_probe_38),
	    cmocka_unit_test(test_probe_313),	  cmocka_unit_test(test_probe_debian),
	    cmocka_unit_test(test_probe_no_site), cmocka_unit_test(test_probe_hostile),
	    cmocka_unit_test(test_parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
