/* test_tags.c: supported tag lists compared in full with pip's own (packaging.tags) on real venvs.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/interp.h"
#include "daemon/tags.h"
#include "test_ihelp.h"
#include "xalloc.h"

#define PIP_SITE TH_PYENV "/3.11.7/lib/python3.11/site-packages"

/*
 * Compare our list for a venv made by python with what pip 23.2.1 computes when
 * it runs in that venv (pip --python re-executes itself there): get_supported()
 * is packaging.tags' cpython_tags + compatible_tags(interpreter=cpXY).
 */
static void compare_with_pip(const char *version)
{
	char *python = th_python(version);
	if (python == NULL) {
		printf("# skip: python %s not installed\n", version);
		skip();
	}
	char *dir = th_tmpdir("tags"), *venv = th_make_venv(python, dir, "v");
	char *py = xasprintf("%s/bin/python", venv);
	struct interp_facts f;
	struct tags t;
	struct err err = {0};
	assert_int_equal(interp_probe(py, venv, &f, &err), 0);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);

	char *cmd = xasprintf("'%s' -c 'import sys; sys.path.insert(0, \"%s\"); "
			      "from pip._internal.utils.compatibility_tags import get_supported; "
			      "print(\"\\n\".join(str(t) for t in get_supported()))'",
			      py, PIP_SITE);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[256];
	size_t i = 0;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (i >= t.n)
			fail_msg("pip has more tags than we do; next is %s", line);
		if (strcmp(line, t.v[i]) != 0)
			fail_msg("tag %zu: pip %s, whlc %s", i, line, t.v[i]);
		i++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(i, t.n);
	assert_true(t.n > 100);
	printf("# python %s: %zu tags identical to pip's, first %s\n", version, t.n,
	       tags_most_specific(&t));
	free(cmd);
	tags_free(&t);
	interp_facts_free(&f);
	th_rmrf(dir);
	free(dir), free(venv), free(py), free(python);
}

static void test_pip_311(void **s)
{
	compare_with_pip("3.11.7");
}

static void test_pip_312(void **s)
{
	compare_with_pip("3.12.1");
}

static void test_pip_38(void **s)
{
	compare_with_pip("3.8.18");
}

/* Facts for a synthetic interpreter. */
static void facts(struct interp_facts *f, int minor, const char *abiflags, int gil_disabled,
		  const char *platform, int glibc_minor, int musl_minor)
{
	memset(f, 0, sizeof(*f));
	f->impl = xstrdup("cpython");
	f->major = 3, f->minor = minor;
	f->abiflags = xstrdup(abiflags);
	f->gil_disabled = gil_disabled;
	f->platform = xstrdup(platform);
	f->glibc_major = glibc_minor >= 0 ? 2 : -1, f->glibc_minor = glibc_minor;
	f->musl_major = musl_minor >= 0 ? 1 : -1, f->musl_minor = musl_minor;
}

static void free_facts(struct interp_facts *f)
{
	free(f->impl), free(f->abiflags), free(f->platform);
}

/* Order of the head of the list and the legacy manylinux aliases (spec L.55, L.56). */
static void test_order_and_aliases(void **s)
{
	struct interp_facts f;
	struct tags t;
	struct err err = {0};
	facts(&f, 12, "", 0, "linux-x86_64", 28, -1);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);
	assert_string_equal(t.v[0], "cp312-cp312-manylinux_2_28_x86_64");
	long i17 = tags_index(&t, "cp312", "cp312", "manylinux_2_17_x86_64");
	assert_string_equal(t.v[i17 + 1], "cp312-cp312-manylinux2014_x86_64");
	long i12 = tags_index(&t, "cp312", "cp312", "manylinux_2_12_x86_64");
	assert_string_equal(t.v[i12 + 1], "cp312-cp312-manylinux2010_x86_64");
	long i5 = tags_index(&t, "cp312", "cp312", "manylinux_2_5_x86_64");
	assert_string_equal(t.v[i5 + 1], "cp312-cp312-manylinux1_x86_64");
	assert_string_equal(t.v[i5 + 2], "cp312-cp312-linux_x86_64");
	assert_string_equal(t.v[i5 + 3], "cp312-abi3-manylinux_2_28_x86_64");
	assert_int_equal(tags_index(&t, "cp312", "cp312", "manylinux_2_4_x86_64"), -1);
	assert_int_equal(tags_index(&t, "cp312", "cp312", "manylinux_2_29_x86_64"), -1);
	assert_true(tags_index(&t, "cp32", "abi3", "linux_x86_64") > 0);
	assert_int_equal(tags_index(&t, "cp31", "abi3", "linux_x86_64"), -1);
	assert_int_equal(tags_index(&t, "py2", "none", "any"), -1);
	assert_int_equal(tags_index(&t, "py27", "none", "any"), -1);
	assert_string_equal(t.v[t.n - 1], "py30-none-any");
	assert_true(tags_index(&t, "cp312", "none", "any") <
		    tags_index(&t, "py312", "none", "any"));
	assert_true(tags_index(&t, "py3", "none", "any") < tags_index(&t, "py311", "none", "any"));
	tags_free(&t);
	free_facts(&f);

	/* Off x86 manylinux starts at 2_17. */
	facts(&f, 12, "", 0, "linux-aarch64", 28, -1);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);
	assert_true(tags_index(&t, "cp312", "cp312", "manylinux2014_aarch64") >= 0);
	assert_int_equal(tags_index(&t, "cp312", "cp312", "manylinux_2_16_aarch64"), -1);
	assert_int_equal(tags_index(&t, "cp312", "cp312", "manylinux1_aarch64"), -1);
	tags_free(&t);
	free_facts(&f);
}

/* Free-threaded: cp313t, never abi3 (spec L.57). Debug: cp312d then cp312. */
static void test_free_threaded_and_debug(void **s)
{
	struct interp_facts f;
	struct tags t;
	struct err err = {0};
	facts(&f, 13, "t", 1, "linux-x86_64", 36, -1);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);
	assert_string_equal(t.v[0], "cp313-cp313t-manylinux_2_36_x86_64");
	for (size_t i = 0; i < t.n; i++)
		assert_null(strstr(t.v[i], "abi3"));
	assert_int_equal(tags_index(&t, "cp313", "cp313", "linux_x86_64"), -1);
	tags_free(&t);
	free_facts(&f);

	facts(&f, 12, "d", 0, "linux-x86_64", 36, -1);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);
	assert_string_equal(t.v[0], "cp312-cp312d-manylinux_2_36_x86_64");
	long d = tags_index(&t, "cp312", "cp312d", "linux_x86_64");
	assert_string_equal(t.v[d + 1], "cp312-cp312-manylinux_2_36_x86_64");
	tags_free(&t);
	free_facts(&f);
}

/* musl: musllinux_1_Y down to 1_0 and no manylinux. */
static void test_musl(void **s)
{
	struct interp_facts f;
	struct tags t;
	struct err err = {0};
	facts(&f, 12, "", 0, "linux-x86_64", -1, 2);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);
	assert_string_equal(t.v[0], "cp312-cp312-musllinux_1_2_x86_64");
	assert_string_equal(t.v[1], "cp312-cp312-musllinux_1_1_x86_64");
	assert_string_equal(t.v[2], "cp312-cp312-musllinux_1_0_x86_64");
	assert_string_equal(t.v[3], "cp312-cp312-linux_x86_64");
	for (size_t i = 0; i < t.n; i++)
		assert_null(strstr(t.v[i], "manylinux"));
	tags_free(&t);
	free_facts(&f);
	/* Not CPython, not Linux: an error, not a list. */
	facts(&f, 12, "", 0, "macosx-11.0-arm64", 36, -1);
	assert_int_equal(tags_for_interp(&f, &t, &err), -WHLC_EINCOMPAT);
	assert_non_null(strstr(err.msg, "macosx"));
	free_facts(&f);
}

/* Ranking a wheel file name: the best of its tag product (spec L.54). */
static void test_wheel_rank(void **s)
{
	struct interp_facts f;
	struct tags t;
	struct err err = {0};
	struct wheel_name wn;
	facts(&f, 12, "", 0, "linux-x86_64", 36, -1);
	assert_int_equal(tags_for_interp(&f, &t, &err), 0);

	assert_int_equal(wheel_name_parse("a-1-py2.py3-none-any.whl", &wn, &err), 0);
	assert_int_equal(tags_wheel_rank(&wn, &t), tags_index(&t, "py3", "none", "any"));
	wheel_name_free(&wn);
	assert_int_equal(
	    wheel_name_parse("a-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", &wn,
			     &err),
	    0);
	assert_int_equal(tags_wheel_rank(&wn, &t),
			 tags_index(&t, "cp312", "cp312", "manylinux_2_17_x86_64"));
	wheel_name_free(&wn);
	assert_int_equal(wheel_name_parse("a-1-cp39-abi3-manylinux2014_x86_64.whl", &wn, &err), 0);
	assert_true(tags_wheel_rank(&wn, &t) > 0);
	wheel_name_free(&wn);
	assert_int_equal(wheel_name_parse("a-1-cp311-cp311-manylinux2014_x86_64.whl", &wn, &err),
			 0);
	assert_int_equal(tags_wheel_rank(&wn, &t), -1);
	wheel_name_free(&wn);
	assert_int_equal(wheel_name_parse("a-1-py2-none-any.whl", &wn, &err), 0);
	assert_int_equal(tags_wheel_rank(&wn, &t), -1);
	wheel_name_free(&wn);
	assert_int_equal(wheel_name_parse("a-1-cp312-cp312-manylinux_2_37_x86_64.whl", &wn, &err),
			 0);
	assert_int_equal(tags_wheel_rank(&wn, &t), -1);
	wheel_name_free(&wn);
	tags_free(&t);
	free_facts(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pip_311),
	    cmocka_unit_test(test_pip_312),
	    cmocka_unit_test(test_pip_38),
	    cmocka_unit_test(test_order_and_aliases),
	    cmocka_unit_test(test_free_threaded_and_debug),
	    cmocka_unit_test(test_musl),
	    cmocka_unit_test(test_wheel_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
