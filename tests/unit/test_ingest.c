/* test_ingest.c: ingest_wheel on wheels built by Python's zipfile, real store and catalog. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/catalog.h"
#include "daemon/failpoint.h"
#include "daemon/ingest.h"
#include "daemon/store.h"
#include "xalloc.h"

/* Writes <dir>/<name> as a wheel: mkwheel(dir, name, files: {path: (bytes, mode)}, record_fix). */
static const char mkwheel_py[] =
    "import base64, hashlib, sys, zipfile, json\n"
    "out, spec = sys.argv[1], json.loads(sys.argv[2])\n"
    "di = spec['dist_info']\n"
    "files = [(p, c.encode(), m) for p, c, m in spec['files']]\n"
    "rec = []\n"
    "for p, c, m in files:\n"
    "    d = base64.urlsafe_b64encode(hashlib.sha256(c).digest()).rstrip(b'=').decode()\n"
    "    rec.append('%s,sha256=%s,%d' % (p, d, len(c)))\n"
    "rec += spec.get('extra_rows', [])\n"
    "rec.append(di + '/RECORD,,')\n"
    "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "    for p, c, m in files:\n"
    "        zi = zipfile.ZipInfo(p); zi.external_attr = (0o100000 | m) << 16\n"
    "        zi.compress_type = zipfile.ZIP_DEFLATED\n"
    "        z.writestr(zi, c)\n"
    "    if not spec.get('no_record'):\n"
    "        z.writestr(di + '/RECORD', '\\n'.join(rec) + '\\n')\n";

struct fx {
	char dir[64];
	struct store s;
	struct catalog c;
	struct failpoint fp;
	struct ingest_ctx ix;
};

/* A fresh cache (store + catalog) in a temporary directory. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err err;
	char *cache, *db;

	strcpy(f->dir, "/tmp/whlc-test-ingest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	cache = xasprintf("%s/cache", f->dir);
	db = xasprintf("%s/cache/catalog.db", f->dir);
	assert_int_equal(store_open(&f->s, cache, NULL, &err), 0);
	assert_int_equal(catalog_open(&f->c, db, 2, &err), 0);
	failpoint_init(&f->fp, NULL);
	ingest_ctx_init(&f->ix, &f->s, &f->c, &f->fp);
	free(cache);
	free(db);
	*state = f;
	return 0;
}

/* Close and remove everything. */
static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	catalog_close(&f->c);
	store_close(&f->s);
	failpoint_free(&f->fp);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/* ingest_wheel, printing the error message when it fails (test diagnostics). */
static int ingest(struct fx *f, const char *w, struct ingest_result *r, struct err *err)
{
	int ret;

	err_clear(err);
	ret = ingest_wheel(&f->ix, w, r, err);
	if (ret < 0)
		print_message("# ingest: %s\n", err->msg);
	return ret;
}

/* Build a wheel from a JSON spec with the embedded Python script; returns its path. */
static char *mkwheel(struct fx *f, const char *name, const char *json)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	char *script = xasprintf("%s/mkwheel.py", f->dir);
	FILE *fp = fopen(script, "w");
	char *cmd;

	assert_non_null(fp);
	fputs(mkwheel_py, fp);
	fclose(fp);
	cmd = xasprintf("python3 '%s' '%s' '%s'", script, path, json);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(script);
	return path;
}

/* Files of a directory tree (recursive count of regular files). */
static int count_files(const char *path)
{
	char *cmd = xasprintf("find '%s' -type f | wc -l", path);
	FILE *p = popen(cmd, "r");
	int n = -1;

	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

#define GOOD_SPEC(ver, extra)                                                                      \
	"{\"dist_info\": \"demo-" ver ".dist-info\", \"files\": ["                                 \
	"[\"demo/__init__.py\", \"print(1)\\n\", 420],"                                            \
	"[\"demo/tool.sh\", \"#!/bin/sh\\n\", 493],"                                               \
	"[\"demo/same.txt\", \"shared\", 420],"                                                    \
	"[\"demo/also.txt\", \"shared\", 420],"                                                    \
	"[\"demo/v.txt\", \"" ver "\", 420],"                                                      \
	"[\"demo-" ver ".data/scripts/run\", \"#!python\\n\", 493],"                               \
	"[\"demo-" ver                                                                             \
	".dist-info/METADATA\", \"Metadata-Version: 2.1\\nName: Demo\\nVersion: " ver              \
	"\\n\\nbody\\n\", 420],"                                                                   \
	"[\"demo-" ver ".dist-info/WHEEL\", \"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\n"       \
	"Tag: py3-none-any\\n\", 420]" extra "]}"

/* A good wheel is added: row, members, dedup inside the wheel, exec objects. */
static void test_add(void **state)
{
	struct fx *f = *state;
	char *w = mkwheel(f, "demo-1.0-py3-none-any.whl", GOOD_SPEC("1.0", ""));
	struct ingest_result r;
	struct catalog_conn *cc;
	struct catalog_plan p;
	struct err err;

	assert_int_equal(ingest(f, w, &r, &err), 0);
	assert_int_equal(r.cached, 0);
	assert_string_equal(r.wheel.norm_name, "demo");
	assert_string_equal(r.wheel.dist_info, "demo-1.0.dist-info");
	assert_string_equal(r.wheel.tags, "py3-none-any");
	assert_int_equal(r.wheel.purelib, 1);
	assert_int_equal(r.wheel.n_members, 9);
	/* 9 files, "shared" twice: 8 objects. */
	assert_int_equal(r.new_objects, 8);
	assert_int_equal(count_files(f->s.objects), 8);
	assert_int_equal(count_files(f->s.tmp), 0);
	cc = catalog_acquire(&f->c, &err);
	assert_int_equal(catalog_wheel_plan(cc, r.wheel.id, &p, &err), 0);
	assert_int_equal(p.n, 9);
	assert_string_equal(p.v[0].path, "demo-1.0.data/scripts/run");
	assert_int_equal(p.v[0].exec, 1);
	for (size_t i = 0; i < p.n; i++) {
		char *op = store_object_path(&f->s, p.v[i].sha256, p.v[i].exec);
		struct stat st;
		assert_int_equal(stat(op, &st), 0);
		assert_int_equal(st.st_mode & 0777, p.v[i].exec ? 0555 : 0444);
		assert_int_equal((uint64_t)st.st_size, p.v[i].size);
		free(op);
	}
	catalog_plan_free(&p);
	catalog_release(&f->c, cc);
	ingest_result_free(&r);

	/* Again: a stat-cache hit, nothing new. */
	assert_int_equal(ingest(f, w, &r, &err), 0);
	assert_int_equal(r.cached, 1);
	assert_int_equal(r.stat_hit, 1);
	assert_int_equal(r.new_objects, 0);
	assert_int_equal(r.bytes_read, 0);
	ingest_result_free(&r);
	free(w);
}

/* A second version shares the unchanged objects. */
static void test_two_versions_share(void **state)
{
	struct fx *f = *state;
	char *w1 = mkwheel(f, "demo-1.0-py3-none-any.whl", GOOD_SPEC("1.0", ""));
	char *w2 = mkwheel(f, "demo-2.0-py3-none-any.whl", GOOD_SPEC("2.0", ""));
	struct ingest_result r;
	struct err err;

	assert_int_equal(ingest(f, w1, &r, &err), 0);
	ingest_result_free(&r);
	assert_int_equal(ingest(f, w2, &r, &err), 0);
	/* v.txt, METADATA, RECORD differ. */
	assert_int_equal(r.new_objects, 3);
	ingest_result_free(&r);
	free(w1);
	free(w2);
}

/* Bad wheels fail with a message naming the member; nothing is left behind. */
static void test_bad(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	struct err err;
	char *w;

	/* An unlisted member: RECORD error naming it. */
	w = mkwheel(f, "demo-1.0-py3-none-any.whl",
		    "{\"dist_info\": \"demo-1.0.dist-info\", \"files\": [[\"demo-1.0.dist-info/"
		    "METADATA\", \"Name: demo\\nVersion: 1.0\\n\", 420], [\"demo-1.0.dist-info/"
		    "WHEEL\", \"Wheel-Version: 1.0\\n\", 420]], \"extra_rows\": [\"demo/ghost.py,"
		    "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,1\"]}");
	err_clear(&err);
	assert_true(ingest(f, w, &r, &err) < 0);
	assert_non_null(strstr(err.msg, "RECORD lists 'demo/ghost.py'"));
	assert_non_null(strstr(err.msg, "demo-1.0-py3-none-any.whl"));
	free(w);

	w = mkwheel(f, "demo-1.0-py3-none-any.whl",
		    "{\"dist_info\": \"demo-1.0.dist-info\", \"files\": [[\"demo-1.0.dist-info/"
		    "METADATA\", \"Name: other\\nVersion: 1.0\\n\", 420], [\"demo-1.0.dist-info/"
		    "WHEEL\", \"Wheel-Version: 1.0\\n\", 420]]}");
	err_clear(&err);
	assert_int_equal(ingest(f, w, &r, &err), -WHLC_EBADWHEEL);
	assert_non_null(strstr(err.msg, "METADATA Name 'other'"));
	free(w);

	w = mkwheel(f, "demo-1.0-py3-none-any.whl",
		    "{\"dist_info\": \"demo-1.0.dist-info\", \"files\": [[\"demo-1.0.dist-info/"
		    "METADATA\", \"Name: demo\\nVersion: 1.0\\n\", 420], [\"demo-1.0.dist-info/"
		    "WHEEL\", \"Wheel-Version: 2.0\\n\", 420]]}");
	err_clear(&err);
	assert_int_equal(ingest(f, w, &r, &err), -WHLC_EBADWHEEL);
	assert_non_null(strstr(err.msg, "WHEEL"));
	free(w);

	assert_int_equal(count_files(f->s.objects), 0);
	assert_int_equal(count_files(f->s.tmp), 0);
}

/* A failure just before the commit leaves no catalog row and no temporaries. */
static void test_failpoint_error(void **state)
{
	struct fx *f = *state;
	char *w = mkwheel(f, "demo-1.0-py3-none-any.whl", GOOD_SPEC("1.0", ""));
	struct ingest_result r;
	struct catalog_stats st;
	struct catalog_conn *cc;
	struct err err;

	failpoint_init(&f->fp, "ingest-before-commit:error");
	assert_int_equal(ingest(f, w, &r, &err), -EIO);
	failpoint_free(&f->fp);
	assert_int_equal(count_files(f->s.tmp), 0);
	cc = catalog_acquire(&f->c, &err);
	assert_int_equal(catalog_stats(cc, &st, &err), 0);
	assert_int_equal(st.wheels, 0);
	assert_int_equal(st.objects, 0);
	catalog_release(&f->c, cc);
	/* Re-adding works and finds the already published objects. */
	assert_int_equal(ingest(f, w, &r, &err), 0);
	assert_int_equal(r.new_objects, 0);
	ingest_result_free(&r);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_versions_share, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failpoint_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
