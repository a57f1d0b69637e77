/* test_layout.c: member mapping, hostile names, RECORD paths checked against pip's own RECORD. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/interp.h"
#include "daemon/layout.h"
#include "record.h"
#include "test_ihelp.h"
#include "xalloc.h"

/* Synthetic facts for venv /v with the given platlibdir. */
static void facts(struct interp_facts *f, const char *platlibdir)
{
	memset(f, 0, sizeof(*f));
	f->purelib = xstrdup("/v/lib/python3.12/site-packages");
	f->platlib = xasprintf("/v/%s/python3.12/site-packages", platlibdir);
	f->scripts = xstrdup("/v/bin");
	f->include = xstrdup("/v/include/site/python3.12");
	f->data = xstrdup("/v");
}

static void map_ok(const struct layout *l, const char *member, enum layout_scheme scheme,
		   const char *abs, const char *record)
{
	struct layout_target t;
	struct err err = {0};
	int rc = layout_map(l, member, &t, &err);
	if (rc != 0)
		fail_msg("%s: %s", member, err.msg);
	assert_int_equal(t.scheme, scheme);
	assert_string_equal(t.abs, abs);
	assert_string_equal(t.record_path, record);
	layout_target_free(&t);
}

static void map_bad(const struct layout *l, const char *member, int code, const char *msg)
{
	struct layout_target t;
	struct err err = {0};
	assert_int_equal(layout_map(l, member, &t, &err), code);
	if (msg && !strstr(err.msg, msg))
		fail_msg("%s: message '%s' lacks '%s'", member, err.msg, msg);
}

static void test_map_purelib_root(void **s)
{
	struct interp_facts f;
	struct layout l;
	struct err err = {0};
	facts(&f, "lib");
	assert_int_equal(layout_init(&l, &f, "my-proj", 1, &err), 0);
	map_ok(&l, "pkg/__init__.py", LAYOUT_PURELIB,
	       "/v/lib/python3.12/site-packages/pkg/__init__.py", "pkg/__init__.py");
	map_ok(&l, "./pkg//a.py", LAYOUT_PURELIB, "/v/lib/python3.12/site-packages/pkg/a.py",
	       "pkg/a.py");
	map_ok(&l, "p-1.0.data/scripts/tool", LAYOUT_SCRIPTS, "/v/bin/tool", "../../../bin/tool");
	map_ok(&l, "p-1.0.data/headers/h.h", LAYOUT_HEADERS,
	       "/v/include/site/python3.12/my-proj/h.h",
	       "../../../include/site/python3.12/my-proj/h.h");
	map_ok(&l, "p-1.0.data/data/share/x", LAYOUT_DATA, "/v/share/x", "../../../share/x");
	map_ok(&l, "p-1.0.data/data/bin/tool2", LAYOUT_DATA, "/v/bin/tool2", "../../../bin/tool2");
	map_ok(&l, "p-1.0.data/platlib/m.so", LAYOUT_PLATLIB,
	       "/v/lib/python3.12/site-packages/m.so", "m.so");
	map_ok(&l, "p-1.0.dist-info/licenses/LICENSE", LAYOUT_PURELIB,
	       "/v/lib/python3.12/site-packages/p-1.0.dist-info/licenses/LICENSE",
	       "p-1.0.dist-info/licenses/LICENSE");
	struct layout_target t;
	assert_int_equal(layout_map(&l, "p-1.0.data/scripts/tool", &t, &err), 0);
	assert_true(t.is_script);
	layout_target_free(&t);
	assert_int_equal(layout_map(&l, "p-1.0.data/data/tool", &t, &err), 0);
	assert_false(t.is_script);
	layout_target_free(&t);
	layout_free(&l);
	interp_facts_free(&f);
}

/* purelib != platlib (lib64): RECORD paths cross between the two. */
static void test_map_lib64(void **s)
{
	struct interp_facts f;
	struct layout l;
	struct err err = {0};
	facts(&f, "lib64");
	assert_int_equal(layout_init(&l, &f, "x", 0, &err), 0);
	map_ok(&l, "ext.so", LAYOUT_PLATLIB, "/v/lib64/python3.12/site-packages/ext.so", "ext.so");
	map_ok(&l, "x-1.data/purelib/pure.py", LAYOUT_PURELIB,
	       "/v/lib/python3.12/site-packages/pure.py",
	       "../../../lib/python3.12/site-packages/pure.py");
	map_ok(&l, "x-1.data/scripts/t", LAYOUT_SCRIPTS, "/v/bin/t", "../../../bin/t");
	layout_free(&l);
	assert_int_equal(layout_init(&l, &f, "x", 1, &err), 0);
	map_ok(&l, "x-1.data/platlib/ext.so", LAYOUT_PLATLIB,
	       "/v/lib64/python3.12/site-packages/ext.so",
	       "../../../lib64/python3.12/site-packages/ext.so");
	layout_free(&l);
	assert_int_equal(layout_init(&l, &f, "../x", 1, &err), -EINVAL);
	interp_facts_free(&f);
}

static void test_map_rejects(void **s)
{
	struct interp_facts f;
	struct layout l;
	struct err err = {0};
	facts(&f, "lib");
	assert_int_equal(layout_init(&l, &f, "p", 1, &err), 0);
	map_bad(&l, "/etc/passwd", -WHLC_EHOSTILE, "absolute");
	map_bad(&l, "pkg/../../../x", -WHLC_EHOSTILE, "'..'");
	map_bad(&l, "..", -WHLC_EHOSTILE, "'..'");
	map_bad(&l, "pkg\\..\\x", -WHLC_EHOSTILE, "backslash");
	map_bad(&l, "pkg/a\nb", -WHLC_EHOSTILE, "control");
	map_bad(&l, "pkg/\x7f", -WHLC_EHOSTILE, "control");
	map_bad(&l, "pkg/\xff.py", -WHLC_EHOSTILE, "UTF-8");
	map_bad(&l, "pkg/\xc0\xaf.py", -WHLC_EHOSTILE, "UTF-8");     /* overlong '/' */
	map_bad(&l, "pkg/\xed\xa0\x80.py", -WHLC_EHOSTILE, "UTF-8"); /* surrogate */
	map_bad(&l, "./", -WHLC_EHOSTILE, "empty");
	map_bad(&l, "p-1.data/x", -WHLC_EBADWHEEL, "directly under .data");
	map_bad(&l, "p-1.data/scripts", -WHLC_EBADWHEEL, "directly under .data");
	map_bad(&l, "p-1.data/lib/x", -WHLC_EBADWHEEL, "unknown .data key 'lib'");
	map_bad(&l, "p-1.data/purelib/evil-1.0.dist-info/METADATA", -WHLC_EBADWHEEL, "phantom");
	map_bad(&l, "p-1.data/platlib/evil-1.0.dist-info/RECORD", -WHLC_EBADWHEEL, "phantom");
	map_bad(&l, "p-1.data/data/bin/python", -WHLC_EHOSTILE, "interpreter");
	map_bad(&l, "p-1.data/data/bin/python3.12", -WHLC_EHOSTILE, "interpreter");
	map_bad(&l, "p-1.data/data/./bin//python3", -WHLC_EHOSTILE, "interpreter");
	map_bad(&l, "p-1.data/data/../x", -WHLC_EHOSTILE, "'..'");
	map_ok(&l, "p-1.data/data/share/bin/python", LAYOUT_DATA, "/v/share/bin/python",
	       "../../../share/bin/python");
	map_ok(&l, "pkg/caf\xc3\xa9.py", LAYOUT_PURELIB,
	       "/v/lib/python3.12/site-packages/pkg/caf\xc3\xa9.py", "pkg/caf\xc3\xa9.py");
	layout_free(&l);
	interp_facts_free(&f);
}

static void test_relpath_contains(void **s)
{
	static const char *const cases[][3] = {
	    {"/a/b", "/a/b/c", "c"}, {"/a/b", "/a/c", "../c"}, {"/a/b", "/a/bc/d", "../bc/d"},
	    {"/a/b", "/a/b", "."},   {"/", "/x/y", "x/y"},     {"/a/b/c", "/d", "../../../d"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = layout_relpath(cases[i][0], cases[i][1]);
		assert_string_equal(r, cases[i][2]);
		free(r);
	}
	assert_true(layout_contains("/v/lib", "/v/lib/x"));
	assert_true(layout_contains("/v/lib", "/v/lib"));
	/* A string prefix is not containment (pip CVE-2026-1703). */
	assert_false(layout_contains("/v/lib", "/v/lib64/x"));
	assert_false(layout_contains("/v/lib", "/v/li"));
	assert_true(layout_contains("/", "/x"));
}

/* Every member of a wheel lands where pip puts it, with pip's RECORD path. */
static void test_against_pip(void **s)
{
	char *python = th_python("3.12.1");
	if (python == NULL || !th_have_pip())
		skip();
	char *dir = th_tmpdir("layout"), *venv = th_make_venv(python, dir, "v");
	static const char *const members[] = {
	    "my_proj/__init__.py",
	    "my_proj/sub/data.txt",
	    "my_proj-1.0.data/scripts/tool",
	    "my_proj-1.0.data/headers/my.h",
	    "my_proj-1.0.data/headers/sub/deep.h",
	    "my_proj-1.0.data/data/share/my_proj/x.txt",
	    "my_proj-1.0.data/purelib/extra_mod.py",
	    "my_proj-1.0.data/platlib/plat_mod.py",
	    "my_proj-1.0.dist-info/licenses/LICENSE",
	};
	struct strbuf fb = STRBUF_INIT;
	strbuf_adds(&fb, "{");
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		strbuf_addf(&fb, "'%s': b'x%zu\\n', ", members[i], i);
	strbuf_adds(&fb, "}");
	char *whl = th_build_wheel(dir, "my_proj-1.0-py3-none-any.whl", fb.buf, NULL);
	assert_non_null(whl);
	assert_int_equal(th_pip_install(venv, whl), 0);

	struct interp_facts f;
	struct layout l;
	struct err err = {0};
	char *py = xasprintf("%s/bin/python", venv);
	assert_int_equal(interp_probe(py, venv, &f, &err), 0);
	assert_int_equal(layout_init(&l, &f, "my-proj", 1, &err), 0);
	char *recp = xasprintf("%s/my_proj-1.0.dist-info/RECORD", f.purelib);
	size_t rlen;
	char *rtext = th_slurp(recp, &rlen);
	assert_non_null(rtext);
	struct record rec;
	assert_int_equal(record_parse(rtext, rlen, 10000, &rec, &err), 0);
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		struct layout_target t;
		assert_int_equal(layout_map(&l, members[i], &t, &err), 0);
		if (record_find(&rec, t.record_path) == NULL)
			fail_msg("%s: RECORD path %s not in pip's RECORD:\n%s", members[i],
				 t.record_path, rtext);
		if (access(t.abs, F_OK) != 0)
			fail_msg("%s: pip did not put it at %s", members[i], t.abs);
		layout_target_free(&t);
	}
	/* pip's RECORD has our rows plus its generated files and the wheel's own metadata. */
	assert_int_equal(rec.n, sizeof(members) / sizeof(members[0]) +
				    3 /* METADATA WHEEL RECORD */ +
				    3 /* INSTALLER REQUESTED direct_url.json */);
	record_free(&rec);
	free(rtext), free(recp), free(py);
	layout_free(&l);
	interp_facts_free(&f);
	strbuf_free(&fb);
	th_rmrf(dir);
	free(dir), free(venv), free(whl), free(python);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_purelib_root), cmocka_unit_test(test_map_lib64),
	    cmocka_unit_test(test_map_rejects),	     cmocka_unit_test(test_relpath_contains),
	    cmocka_unit_test(test_against_pip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
