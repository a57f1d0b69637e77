/* test_wheel_name.c: wheel file names, PEP 503 names, PEP 440 version equality, tags. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"
#include "wheel_name.h"

/* Five-field names, as written. */
static void test_parse_basic(void **state)
{
	struct wheel_name wn;
	struct err err = {0};

	assert_int_equal(wheel_name_parse("pip-23.2.1-py3-none-any.whl", &wn, &err), 0);
	assert_string_equal(wn.name, "pip");
	assert_string_equal(wn.norm_name, "pip");
	assert_string_equal(wn.version, "23.2.1");
	assert_null(wn.build);
	assert_int_equal(wn.build_num, -1);
	assert_string_equal(wn.build_rest, "");
	assert_string_equal(wn.py_tags, "py3");
	assert_string_equal(wn.abi_tags, "none");
	assert_string_equal(wn.plat_tags, "any");
	wheel_name_free(&wn);

	assert_int_equal(wheel_name_parse("Foo.Bar_baz-1.0-cp312-cp312-manylinux_2_17_x86_64."
					  "manylinux2014_x86_64.whl",
					  &wn, &err),
			 0);
	assert_string_equal(wn.name, "Foo.Bar_baz");
	assert_string_equal(wn.norm_name, "foo-bar-baz");
	assert_string_equal(wn.plat_tags, "manylinux_2_17_x86_64.manylinux2014_x86_64");
	wheel_name_free(&wn);
}

/* Six fields: build tag split into number and rest. */
static void test_parse_build(void **state)
{
	struct wheel_name wn;
	struct err err = {0};

	assert_int_equal(wheel_name_parse("fab_build-1.0-7abc-py3-none-any.whl", &wn, &err), 0);
	assert_string_equal(wn.build, "7abc");
	assert_int_equal(wn.build_num, 7);
	assert_string_equal(wn.build_rest, "abc");
	wheel_name_free(&wn);
	assert_int_equal(wheel_name_parse("x-1-0042-py3-none-any.whl", &wn, &err), 0);
	assert_int_equal(wn.build_num, 42);
	assert_string_equal(wn.build_rest, "");
	wheel_name_free(&wn);
}

/* Every malformed shape is -WHLC_EBADWHEEL naming the file. */
static void test_parse_invalid(void **state)
{
	static const char *bad[] = {
	    "pip-23.2.1-py3-none-any.zip",     /* suffix */
	    "pip-23.2.1-py3-none-any.WHL",     /* suffix is case-sensitive (pip) */
	    "pip-23.2.1-none-any.whl",	       /* 4 fields */
	    "pip-23.2.1-1-2-py3-none-any.whl", /* 7 fields */
	    "pip-23.2.1-abc-py3-none-any.whl", /* build tag without a digit */
	    "pip--py3-none-any.whl",	       /* empty version */
	    "-1.0-py3-none-any.whl",	       /* empty name */
	    "pip-1.0-py3-none-.whl",	       /* empty platform */
	    "dir/pip-1.0-py3-none-any.whl",    /* a path */
	    ".whl",			       /* nothing */
	    "whl",			       /* too short */
	    "p!p-1.0-py3-none-any.whl",	       /* name character */
	    "pip-1.0-py3..py2-none-any.whl",   /* empty tag in a set */
	    "pip-1.0-py3-none-any.linux.whl",  /* "linux.whl": fine? no: ".whl" ends ok */
	    "pip-1.0-py3-no ne-any.whl",       /* space in a tag */
	    "pip-1.0-99999999999999999999999-py3-none-any.whl", /* build overflow */
	};
	struct wheel_name wn;
	struct err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i == 13)
			continue; /* valid: plat tags "any.linux" */
		err_clear(&err);
		int rc = wheel_name_parse(bad[i], &wn, &err);
		if (rc != -WHLC_EBADWHEEL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err.msg, bad[i]));
		assert_null(wn.name);
	}
	assert_int_equal(wheel_name_parse(bad[13], &wn, &err), 0);
	wheel_name_free(&wn);
}

/* PEP 503. */
static void test_normalize_name(void **state)
{
	static const char *pairs[][2] = {
	    {"Foo", "foo"},
	    {"foo_bar", "foo-bar"},
	    {"Foo.Bar", "foo-bar"},
	    {"a--_.b", "a-b"},
	    {"A__B__C", "a-b-c"},
	    {"x", "x"},
	    {"zope.interface", "zope-interface"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *n = wheel_normalize_name(pairs[i][0]);
		assert_string_equal(n, pairs[i][1]);
		free(n);
	}
	assert_true(wheel_names_equal("Fab.Odd_Name", "fab-odd-name"));
	assert_true(wheel_names_equal("FAB__odd..name", "fab_odd_name"));
	assert_false(wheel_names_equal("fab-odd", "fab-odd-name"));
	assert_false(wheel_names_equal("fabodd", "fab-odd"));
}

/* PEP 440 equal pairs (all verified with packaging.version.Version ==). */
static void test_versions_equal(void **state)
{
	static const char *eq[][2] = {
	    {"1.0", "1.0.0"},
	    {"1", "1.0.0.0"},
	    {"v1.0", "1.0"},
	    {"V1.0", "1"},
	    {"0!1.0", "1.0"},
	    {"1.0a1", "1.0alpha1"},
	    {"1.0a", "1.0a0"},
	    {"1.0-a1", "1.0a1"},
	    {"1.0.a.1", "1.0a1"},
	    {"1.0_alpha_1", "1.0a1"},
	    {"1.0b2", "1.0beta2"},
	    {"1.0c1", "1.0rc1"},
	    {"1.0pre1", "1.0rc1"},
	    {"1.0preview1", "1.0rc1"},
	    {"1.0RC1", "1.0rc1"},
	    {"1.0-1", "1.0.post1"},
	    {"1.0post", "1.0.post0"},
	    {"1.0-r4", "1.0.post4"},
	    {"1.0rev4", "1.0.post4"},
	    {"1.0.dev", "1.0.dev0"},
	    {"1.0-dev-2", "1.0.dev2"},
	    {"1.0+ABC.1", "1.0+abc.1"},
	    {"1.0+abc-1_2", "1.0+abc.1.2"},
	    {"1.0+01", "1.0+1"},
	    {"01.002", "1.2"},
	    {" 1.0 ", "1.0"},
	    {"1.0a1.post2.dev3", "1.0a1-2dev3"},
	    {"2!1.0", "2!1.0.0"},
	    {"1.0-dev-", "1.0.dev0"},
	    {"1.0a.post", "1.0a0.post0"},
	    {"0.0", "0"},
	    {"1.0.0rc1", "1rc1"},
	};
	for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++)
		if (!wheel_versions_equal(eq[i][0], eq[i][1]))
			fail_msg("%s != %s", eq[i][0], eq[i][1]);
}

/* PEP 440 unequal pairs. */
static void test_versions_differ(void **state)
{
	static const char *ne[][2] = {
	    {"1.0", "1.0.1"},	       {"1.0", "1.0a0"}, {"1.0a1", "1.0b1"}, {"1.0", "1.0.post0"},
	    {"1.0", "1.0.dev0"},       {"1!1.0", "1.0"}, {"1.0+a", "1.0"},   {"1.0+a", "1.0+b"},
	    {"1.0.post1", "1.0.dev1"}, {"1.10", "1.1"},	 {"10.0", "1.0"},    {"1.0rc1", "1.0c2"},
	};
	for (size_t i = 0; i < sizeof(ne) / sizeof(ne[0]); i++)
		if (wheel_versions_equal(ne[i][0], ne[i][1]))
			fail_msg("%s == %s", ne[i][0], ne[i][1]);
}

/* Canonical forms and rejection of non-PEP 440 strings. */
static void test_version_normalize(void **state)
{
	static const char *canon[][2] = {
	    {"1.0.0", "1"},	   {"1.2.0", "1.2"},
	    {"1.0.2", "1.0.2"},	   {"v1.0-ALPHA-3", "1a3"},
	    {"1!2.0b", "1!2b0"},   {"1.0-5", "1.post5"},
	    {"1.0.dev", "1.dev0"}, {"1.0+Ubuntu-1", "1+ubuntu.1"},
	};
	for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		char *n = wheel_version_normalize(canon[i][0]);
		assert_non_null(n);
		assert_string_equal(n, canon[i][1]);
		free(n);
	}
	static const char *bad[] = {"",		 "abc",	   "1.0-",  "1.0+",  "1.0+a..b", "1.0.",
				    "1..0",	 "1.0foo", "!1.0",  "1!",    "1.0 a1",	 "1.0+a b",
				    "1.0-dev--", "v",	   "1.0ab", "1.0+-a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *n = wheel_version_normalize(bad[i]);
		if (n)
			fail_msg("'%s' normalized to '%s'", bad[i], n);
	}
	/* Unparseable versions compare as plain strings. */
	assert_true(wheel_versions_equal("foo-bar", "foo-bar"));
	assert_false(wheel_versions_equal("foo", "FOO"));
	assert_false(wheel_versions_equal("1.0", "1.0foo"));
}

/* Collect the tag product into a strbuf. */
static int collect(const char *py, const char *abi, const char *plat, void *arg)
{
	strbuf_addf(arg, "%s-%s-%s;", py, abi, plat);
	return 0;
}

/* Stop after the second triple. */
static int stop2(const char *py, const char *abi, const char *plat, void *arg)
{
	return ++*(int *)arg == 2 ? 7 : 0;
}

/* Tag product iteration and early stop. */
static void test_each_tag(void **state)
{
	struct wheel_name wn;
	struct err err;
	struct strbuf sb = STRBUF_INIT;
	int n = 0;

	assert_int_equal(wheel_name_parse("a-1-py2.py3-none-any.linux_x86_64.whl", &wn, &err), 0);
	assert_int_equal(wheel_name_each_tag(&wn, collect, &sb), 0);
	assert_string_equal(sb.buf, "py2-none-any;py2-none-linux_x86_64;py3-none-any;"
				    "py3-none-linux_x86_64;");
	assert_int_equal(wheel_name_each_tag(&wn, stop2, &n), 7);
	assert_int_equal(n, 2);
	strbuf_free(&sb);
	wheel_name_free(&wn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_basic),	      cmocka_unit_test(test_parse_build),
	    cmocka_unit_test(test_parse_invalid),     cmocka_unit_test(test_normalize_name),
	    cmocka_unit_test(test_versions_equal),    cmocka_unit_test(test_versions_differ),
	    cmocka_unit_test(test_version_normalize), cmocka_unit_test(test_each_tag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
