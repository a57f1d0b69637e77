/* test_entrypoints.c: entry_points.txt parsing and launcher name checks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "entrypoints.h"
#include "unit_random.h"

/* Parse a C string. */
static int parse(const char *s, struct entry_points *ep, struct err *err)
{
	return entrypoints_parse(s, strlen(s), ep, err);
}

/* Sections, comments, spaces, extras, attr-less values, case-sensitive keys. */
static void test_parse(void **state)
{
	struct entry_points ep;
	struct err err;
	const char *s = "# comment\n"
			"; another\n"
			"[console_scripts]\n"
			"pip = pip._internal.cli.main:main\n"
			"Pip=pip._internal.cli.main : main \n"
			"\n"
			"    # indented comment\n"
			"[gui_scripts]\r\n"
			"  indented = a.b:c.d [extra1, extra2]  \n"
			"tool=mod:func[gui]\r\n"
			"[my.plugins]\n"
			"plug = pkg.mod\n"
			"odd key = x:y\n";

	if (parse(s, &ep, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ep.n, 6);
	assert_string_equal(ep.v[0].group, "console_scripts");
	assert_string_equal(ep.v[0].name, "pip");
	assert_string_equal(ep.v[0].module, "pip._internal.cli.main");
	assert_string_equal(ep.v[0].attr, "main");
	assert_string_equal(ep.v[1].name, "Pip");
	assert_string_equal(ep.v[1].attr, "main");
	assert_string_equal(ep.v[2].group, "gui_scripts");
	assert_string_equal(ep.v[2].name, "indented");
	assert_string_equal(ep.v[2].module, "a.b");
	assert_string_equal(ep.v[2].attr, "c.d");
	assert_string_equal(ep.v[3].name, "tool");
	assert_string_equal(ep.v[3].attr, "func");
	assert_string_equal(ep.v[4].group, "my.plugins");
	assert_null(ep.v[4].attr);
	assert_string_equal(ep.v[5].name, "odd key");
	entrypoints_free(&ep);
	assert_int_equal(parse("", &ep, &err), 0);
	assert_int_equal(ep.n, 0);
	entrypoints_free(&ep);
}

/* The value is everything after the first "=": ":" and "=" later are the value's. */
static void test_delimiter(void **state)
{
	struct entry_points ep;
	struct err err;

	assert_int_equal(parse("[g]\na:b = m:f\n", &ep, &err), 0);
	assert_string_equal(ep.v[0].name, "a:b");
	assert_string_equal(ep.v[0].module, "m");
	entrypoints_free(&ep);
	assert_int_equal(parse("[g]\na = m:f=\n", &ep, &err), -WHLC_EBADWHEEL);
}

/* Expect -WHLC_EBADWHEEL with needle in the message. */
static void expect_bad(const char *s, const char *needle)
{
	struct entry_points ep;
	struct err err;

	err_clear(&err);
	if (parse(s, &ep, &err) != -WHLC_EBADWHEEL)
		fail_msg("accepted: %s", s);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	assert_int_equal(ep.n, 0);
	assert_null(ep.v);
}

/* Indentation is ignored, as pip reads the file: an indented entry after another is an entry. */
static void test_indented_entry(void **state)
{
	const char *txt = "[console_scripts]\na = m:f\n  b   =   m.sub:g\n";
	struct entry_points ep;
	struct err e;

	assert_int_equal(entrypoints_parse(txt, strlen(txt), &ep, &e), 0);
	assert_int_equal(ep.n, 2);
	assert_string_equal(ep.v[1].name, "b");
	assert_string_equal(ep.v[1].module, "m.sub");
	assert_string_equal(ep.v[1].attr, "g");
	entrypoints_free(&ep);
}

/* Malformed files. */
static void test_malformed(void **state)
{
	expect_bad("a = b:c\n", "line 1: entry before any [section]");
	expect_bad("[g]\njust a line\n", "line 2: expected");
	expect_bad("[g]\n = m:f\n", "empty name");
	expect_bad("[g\na = m:f\n", "line 1: malformed section");
	expect_bad("[]\n", "malformed section");
	expect_bad("[g]x\n", "malformed section");
	expect_bad("[g]\na = m:f\n  continued\n", "line 3: expected 'name = module:attr'");
	expect_bad("[g]\na = m:f\n[h]\n[g]\n", "section [g] appears twice");
	expect_bad("[g]\na = m:f\nb = m:f\na = x:y\n", "'a' is defined twice in [g]");
	expect_bad("[g]\na = \n", "invalid value");
	expect_bad("[g]\na = m:\n", "invalid value");
	expect_bad("[g]\na = :f\n", "invalid value");
	expect_bad("[g]\na = m.:f\n", "invalid value");
	expect_bad("[g]\na = .m:f\n", "invalid value");
	expect_bad("[g]\na = m:f..g\n", "invalid value");
	expect_bad("[g]\na = m:f extra\n", "invalid value");
	expect_bad("[g]\na = m:f [x\n", "invalid value");
	expect_bad("[g]\na = m;import os:f\n", "invalid value");
	expect_bad("[g]\na = 1m:f\n", "invalid value");
	expect_bad("[g]\na = m:f()\n", "invalid value");
	struct entry_points ep;
	struct err err;
	assert_int_equal(entrypoints_parse("[g]\na = m:f\0\n", 12, &ep, &err), -WHLC_EBADWHEEL);
	assert_non_null(strstr(err.msg, "NUL"));
}

/* Same key in two sections is fine. */
static void test_same_key_other_group(void **state)
{
	struct entry_points ep;
	struct err err;

	assert_int_equal(parse("[a]\nx = m:f\n[b]\nx = m:g\n", &ep, &err), 0);
	assert_int_equal(ep.n, 2);
	entrypoints_free(&ep);
}

/* Check a console_scripts entry named name with value module:attr (attr may be NULL). */
static int check(const char *name, const char *attr)
{
	struct entry_point e = {(char *)"console_scripts", (char *)name, (char *)"m", (char *)attr};
	struct err err;

	err_clear(&err);
	int rc = entrypoints_check_script(&e, &err);
	if (rc < 0)
		assert_true(err.msg[0] != '\0');
	return rc;
}

/* Spec H.36/H.38. */
static void test_check_script(void **state)
{
	static const char *ok[] = {"pip",  "pip3.11", "black-fmt", "python-foo", "pythonx",
				   "pypi", "my.tool", "..a",	   "a..",	 "ipython"};
	static const char *bad[] = {
	    "python", "python3",  "python3.12", "pythonw",  "python3w",	    "python2", "pypy",
	    "pypy3",  "pypy3.10", "a/b",	"/abs",	    "..",	    ".",       "",
	    "x\ny",   "x\\y",	  "tab\tname",	"python3.", "../bin/python"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (check(ok[i], "main") != 0)
			fail_msg("rejected %s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check(bad[i], "main") != -WHLC_EBADWHEEL)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(check("tool", NULL), -WHLC_EBADWHEEL);
}

/* Arbitrary bytes never crash the parser; failures always carry a message. */
static void test_random_bytes(void **state)
{
	uint32_t seed = 3;
	char buf[256];
	size_t len;

	for (int i = 0; i < 20000; i++) {
		struct entry_points ep;
		struct err err;

		random_input(&seed, buf, &len, "[]=:.a_b \n#;\t");
		err_clear(&err);
		if (entrypoints_parse(buf, len, &ep, &err) == 0) {
			for (size_t k = 0; k < ep.n; k++)
				entrypoints_check_script(&ep.v[k], &err);
			entrypoints_free(&ep);
		} else {
			assert_true(err.msg[0] != '\0');
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_delimiter),
	    cmocka_unit_test(test_indented_entry),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_same_key_other_group),
	    cmocka_unit_test(test_check_script),
	    cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
