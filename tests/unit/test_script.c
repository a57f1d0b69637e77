/* test_script.c: `#!python` rewriting, byte-compared with pip 23.2.1 and run from real venvs. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "daemon/script.h"
#include "test_ihelp.h"
#include "xalloc.h"

/* Rewrite data for exe into a new string. */
static char *rw(const char *data, size_t len, const char *exe)
{
	struct strbuf sb = STRBUF_INIT;
	script_rewrite(data, len, exe, &sb);
	return strbuf_detach(&sb, NULL);
}

static void test_detect(void **s)
{
	assert_true(script_wants_rewrite("#!python\n", 9));
	assert_true(script_wants_rewrite("#!pythonw", 9));
	assert_true(script_wants_rewrite("#!python3.12 -u\n", 16));
	assert_false(script_wants_rewrite("#!Python\n", 9));
	assert_false(script_wants_rewrite("#! python\n", 10));
	assert_false(script_wants_rewrite("#!/usr/bin/env python\n", 22));
	assert_false(script_wants_rewrite("#!pytho", 7));
	assert_false(script_wants_rewrite("\xef\xbb\xbf#!python\n", 12));
}

static void test_rewrite_bytes(void **s)
{
	char *r = rw("#!python -u -X dev\r\nprint(1)\r\n", 30, "/v/bin/python");
	assert_string_equal(r, "#!/v/bin/python\nprint(1)\r\n");
	free(r);
	r = rw("#!python", 8, "/v/bin/python");
	assert_string_equal(r, "#!/v/bin/python\n");
	free(r);
	/* Binary content after the first line is kept, NULs included. */
	struct strbuf sb = STRBUF_INIT;
	script_rewrite("#!python\n\0\x01\xff", 12, "/v/bin/python", &sb);
	assert_int_equal(sb.len, 16 + 3);
	assert_memory_equal(sb.buf + 16, "\0\x01\xff", 3);
	strbuf_free(&sb);
}

/* The 127-byte limit counts "#!" and the newline; a space forces the /bin/sh trick. */
static void test_shebang_limits(void **s)
{
	char exe[200];
	struct strbuf sb = STRBUF_INIT;
	memset(exe, 'a', sizeof(exe));
	exe[0] = '/';
	exe[124] = '\0'; /* 124 + 3 = 127: still direct */
	script_shebang(&sb, exe);
	assert_int_equal(sb.len, 127);
	assert_memory_equal(sb.buf, "#!/a", 4);
	strbuf_reset(&sb);
	exe[124] = 'a', exe[125] = '\0'; /* 128: trick, unquoted (no space) */
	script_shebang(&sb, exe);
	char *want = xasprintf("#!/bin/sh\n'''exec' %s \"$0\" \"$@\"\n' '''\n", exe);
	assert_string_equal(sb.buf, want);
	free(want);
	strbuf_reset(&sb);
	script_shebang(&sb, "/my venv/bin/python");
	assert_string_equal(sb.buf,
			    "#!/bin/sh\n'''exec' \"/my venv/bin/python\" \"$0\" \"$@\"\n' '''\n");
	strbuf_free(&sb);
}

/* Scripts pip installs from .data/scripts, compared byte for byte. */
static void test_same_bytes_as_pip(void **s)
{
	char *python = th_python("3.12.1");
	if (python == NULL || !th_have_pip())
		skip();
	static const struct {
		const char *name, *data;
		size_t len;
	} sc[] = {
	    {"s_plain", "#!python\nprint('x')\n", 20},
	    {"s_args", "#!python -u -X dev\r\nprint(1)\r\n", 30},
	    {"s_w", "#!pythonw3.12\nimport sys\n", 25},
	    {"s_noeol", "#!python", 8},
	    {"s_sh", "#!/bin/sh\necho hi\n", 18},
	    {"s_upper", "#!Python\nx\n", 11},
	    {"s_env", "#!/usr/bin/env python\nx\n", 24},
	    {"s_empty", "", 0},
	};
	char *dir = th_tmpdir("script"), *venv = th_make_venv(python, dir, "v");
	struct strbuf files = STRBUF_INIT;
	strbuf_adds(&files, "{'demo/__init__.py': b''");
	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		strbuf_addf(&files, ", 'demo-1.0.data/scripts/%s': b'", sc[i].name);
		for (size_t j = 0; j < sc[i].len; j++)
			strbuf_addf(&files, "\\x%02x", (unsigned char)sc[i].data[j]);
		strbuf_adds(&files, "'");
	}
	strbuf_adds(&files, "}");
	char *whl = th_build_wheel(dir, "demo-1.0-py3-none-any.whl", files.buf,
				   "{'demo-1.0.data/scripts/s_plain': 0o755}");
	assert_non_null(whl);
	assert_int_equal(th_pip_install(venv, whl), 0);
	char *exe = xasprintf("%s/bin/python", venv);
	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		char *path = xasprintf("%s/bin/%s", venv, sc[i].name);
		size_t plen;
		char *pip = th_slurp(path, &plen);
		assert_non_null(pip);
		struct strbuf ours = STRBUF_INIT;
		if (script_wants_rewrite(sc[i].data, sc[i].len))
			script_rewrite(sc[i].data, sc[i].len, exe, &ours);
		else
			strbuf_add(&ours, sc[i].data, sc[i].len);
		if (ours.len != plen || memcmp(ours.buf ? ours.buf : "", pip, plen) != 0)
			fail_msg("%s: pip wrote %zu bytes '%s', whlc %zu bytes '%s'", sc[i].name,
				 plen, pip, ours.len, ours.buf);
		strbuf_free(&ours);
		free(pip);
		free(path);
	}
	/* Executing the rewritten script runs the venv's interpreter. */
	assert_int_equal(th_sh("cd / && '%s/bin/s_plain' | grep -qx x", venv), 0);
	free(exe), free(whl), free(venv), free(python);
	strbuf_free(&files);
	th_rmrf(dir);
	free(dir);
}

/* A venv whose path holds a space: the /bin/sh trick runs the venv's interpreter. */
static void test_trick_runs(void **s)
{
	char *python = th_python("3.12.1");
	if (python == NULL)
		skip();
	char *dir = th_tmpdir("script"), *venv = th_make_venv(python, dir, "my venv");
	char *exe = xasprintf("%s/bin/python", venv);
	const char *src = "#!python -E\nimport sys\nprint(sys.prefix, sys.argv[1:])\n";
	char *out = rw(src, strlen(src), exe);
	assert_memory_equal(out, "#!/bin/sh\n'''exec' \"", 20);
	char *path = xasprintf("%s/tool", dir);
	th_write(path, out, strlen(out), 0755);
	char *cmd = xasprintf("'%s' 'a b' c", path);
	FILE *p = popen(cmd, "r");
	char line[4096] = "";
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	char *want = xasprintf("%s ['a b', 'c']\n", venv);
	assert_string_equal(line, want);
	free(want), free(cmd), free(path), free(out), free(exe), free(venv), free(python);
	th_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),	   cmocka_unit_test(test_rewrite_bytes),
	    cmocka_unit_test(test_shebang_limits), cmocka_unit_test(test_same_bytes_as_pip),
	    cmocka_unit_test(test_trick_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
