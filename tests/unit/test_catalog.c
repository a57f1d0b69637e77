/* test_catalog.c: the SQLite catalog on real database files. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/catalog.h"
#include "xalloc.h"

struct fx {
	char dir[64];
	char *db;
	struct catalog c;
	struct catalog_conn *cc;
};

/* A fresh directory with an open catalog and one acquired connection. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err err;

	strcpy(f->dir, "/tmp/whlc-test-catalog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->db = xasprintf("%s/catalog.db", f->dir);
	assert_int_equal(catalog_open(&f->c, f->db, 4, &err), 0);
	f->cc = catalog_acquire(&f->c, &err);
	assert_non_null(f->cc);
	*state = f;
	return 0;
}

/* Release, close and remove everything. */
static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	if (f->cc)
		catalog_release(&f->c, f->cc);
	catalog_close(&f->c);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->db);
	free(f);
	return 0;
}

/* Run a one-integer query on a separate, plain SQLite connection. */
static long long query_int(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* A sha256 made of one repeated byte. */
static void fake_sha(uint8_t sha[32], int b)
{
	memset(sha, b, 32);
}

/* Insert a wheel with n members whose objects are fake_sha(100 + i). */
static int64_t add_wheel(struct catalog_conn *cc, int b, const char *name, int n)
{
	struct catalog_wheel w = {0};
	struct err err;
	int64_t id, oid;
	char path[64];

	fake_sha(w.sha256, b);
	w.filename = xasprintf("%s-1.0-py3-none-any.whl", name);
	w.norm_name = (char *)name;
	w.version = (char *)"1.0";
	w.tags = (char *)"py3-none-any";
	w.dist_info = (char *)"x-1.0.dist-info";
	w.purelib = 1;
	w.size = 1000;
	w.n_members = (uint64_t)n;
	w.unpacked_size = (uint64_t)n * 10;
	assert_int_equal(catalog_begin(cc, &err), 0);
	assert_int_equal(catalog_wheel_insert(cc, &w, &id, &err), 0);
	for (int i = n - 1; i >= 0; i--) {
		uint8_t sha[32];
		fake_sha(sha, 100 + i);
		assert_int_equal(catalog_object_put(cc, sha, i % 2, 10, &oid, NULL, &err), 0);
		snprintf(path, sizeof(path), "pkg/f%02d.py", i);
		assert_int_equal(catalog_member_insert(cc, id, path, oid, 10, i % 2, &err), 0);
	}
	assert_int_equal(catalog_commit(cc, &err), 0);
	free(w.filename);
	return id;
}

/* An empty file is migrated to the current version, with WAL and every table. */
static void test_migrate_empty(void **state)
{
	struct fx *f = *state;

	assert_int_equal(query_int(f->db, "PRAGMA user_version"), catalog_schema_version());
	assert_true(catalog_schema_version() >= 1);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
					  " AND name IN ('objects', 'wheels', 'members',"
					  " 'wheel_files', 'counters', 'meta', 'interpreters',"
					  " 'venvs', 'installs')"),
			 9);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM pragma_journal_mode"
					  " WHERE journal_mode = 'wal'"),
			 1);
}

/* Reopening an up-to-date catalog keeps its rows; a newer schema is refused. */
static void test_reopen_and_newer(void **state)
{
	struct fx *f = *state;
	struct catalog c2;
	struct err err;
	sqlite3 *h;

	add_wheel(f->cc, 1, "a", 2);
	catalog_release(&f->c, f->cc);
	f->cc = NULL;
	catalog_close(&f->c);
	assert_int_equal(catalog_open(&f->c, f->db, 2, &err), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM wheels"), 1);

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	err_clear(&err);
	assert_true(catalog_open(&c2, f->db, 1, &err) < 0);
	assert_non_null(strstr(err.msg, "newer"));
	f->cc = catalog_acquire(&f->c, &err);
}

/* A rolled back transaction leaves no rows. */
static void test_rollback(void **state)
{
	struct fx *f = *state;
	struct err err;
	uint8_t sha[32];
	int64_t id;
	int inserted = 0;

	fake_sha(sha, 7);
	assert_int_equal(catalog_begin(f->cc, &err), 0);
	assert_int_equal(catalog_object_put(f->cc, sha, 0, 5, &id, &inserted, &err), 0);
	assert_int_equal(inserted, 1);
	catalog_rollback(f->cc);
	assert_int_equal(catalog_object_known(f->cc, sha, 0, &err), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM objects"), 0);
}

/* Objects are unique per (sha, exec); a second put returns the same id. */
static void test_objects(void **state)
{
	struct fx *f = *state;
	struct err err;
	uint8_t sha[32];
	int64_t id1, id2, id3;
	int ins;

	fake_sha(sha, 9);
	assert_int_equal(catalog_begin(f->cc, &err), 0);
	assert_int_equal(catalog_object_put(f->cc, sha, 0, 5, &id1, &ins, &err), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(catalog_object_put(f->cc, sha, 0, 5, &id2, &ins, &err), 0);
	assert_int_equal(ins, 0);
	assert_int_equal(catalog_object_put(f->cc, sha, 1, 5, &id3, &ins, &err), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(catalog_commit(f->cc, &err), 0);
	assert_true(id1 == id2);
	assert_true(id1 != id3);
	assert_int_equal(catalog_object_known(f->cc, sha, 1, &err), 1);
}

/* Wheel lookup by sha and id; the plan lists members ordered by path. */
static void test_wheel_and_plan(void **state)
{
	struct fx *f = *state;
	struct catalog_wheel w;
	struct catalog_plan p;
	struct err err;
	uint8_t sha[32];
	int64_t id = add_wheel(f->cc, 3, "pkg-a", 5);

	fake_sha(sha, 3);
	assert_int_equal(catalog_wheel_by_sha(f->cc, sha, &w, &err), 0);
	assert_true(w.id == id);
	assert_string_equal(w.norm_name, "pkg-a");
	assert_string_equal(w.tags, "py3-none-any");
	assert_null(w.build_tag);
	assert_int_equal(w.purelib, 1);
	assert_int_equal(w.n_members, 5);
	assert_true(w.added_at > 0 && w.last_used_at == w.added_at);
	catalog_wheel_free(&w);
	assert_int_equal(catalog_wheel_by_id(f->cc, id, &w, &err), 0);
	assert_memory_equal(w.sha256, sha, 32);
	catalog_wheel_free(&w);
	fake_sha(sha, 4);
	assert_int_equal(catalog_wheel_by_sha(f->cc, sha, &w, &err), -ENOENT);

	assert_int_equal(catalog_wheel_plan(f->cc, id, &p, &err), 0);
	assert_int_equal(p.n, 5);
	for (size_t i = 0; i < p.n; i++) {
		char path[64];
		uint8_t osha[32];
		snprintf(path, sizeof(path), "pkg/f%02zu.py", i);
		fake_sha(osha, 100 + (int)i);
		assert_string_equal(p.v[i].path, path);
		assert_memory_equal(p.v[i].sha256, osha, 32);
		assert_int_equal(p.v[i].exec, (int)(i % 2));
		assert_int_equal(p.v[i].size, 10);
		assert_int_equal(p.v[i].object_state, CATALOG_OBJECT_OK);
		assert_true(p.v[i].verified_size == -1);
	}
	catalog_plan_free(&p);

	assert_int_equal(catalog_wheel_touch(f->cc, id, 12345, "/x/y.whl", &err), 0);
	assert_int_equal(catalog_wheel_by_id(f->cc, id, &w, &err), 0);
	assert_true(w.last_used_at == 12345);
	assert_string_equal(w.source_path, "/x/y.whl");
	catalog_wheel_free(&w);
}

/* The stat cache matches only on identical (dev, ino, size, mtime_ns). */
static void test_statcache(void **state)
{
	struct fx *f = *state;
	struct err err;
	uint8_t sha[32], got[32];

	fake_sha(sha, 42);
	assert_int_equal(catalog_statcache_get(f->cc, 1, 2, 3, 4, got, &err), -ENOENT);
	assert_int_equal(catalog_statcache_put(f->cc, 1, 2, 3, 4, "/a.whl", sha, &err), 0);
	assert_int_equal(catalog_statcache_get(f->cc, 1, 2, 3, 4, got, &err), 0);
	assert_memory_equal(got, sha, 32);
	assert_int_equal(catalog_statcache_get(f->cc, 1, 2, 3, 5, got, &err), -ENOENT);
	assert_int_equal(catalog_statcache_get(f->cc, 1, 2, 4, 4, got, &err), -ENOENT);
	/* The same inode with a new mtime replaces the row. */
	fake_sha(sha, 43);
	assert_int_equal(catalog_statcache_put(f->cc, 1, 2, 3, 9, "/a.whl", sha, &err), 0);
	assert_int_equal(catalog_statcache_get(f->cc, 1, 2, 3, 4, got, &err), -ENOENT);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM wheel_files"), 1);
}

/* Stats: totals, dedup across wheels, counters. */
static void test_stats(void **state)
{
	struct fx *f = *state;
	struct catalog_stats st;
	struct err err;

	add_wheel(f->cc, 1, "a", 4);
	add_wheel(f->cc, 2, "b", 6); /* shares 4 objects with a */
	assert_int_equal(catalog_counter_add(f->cc, "hits", 3, &err), 0);
	assert_int_equal(catalog_counter_add(f->cc, "misses", 2, &err), 0);
	assert_int_equal(catalog_counter_add(f->cc, "new-counter", 1, &err), 0);
	assert_int_equal(catalog_stats(f->cc, &st, &err), 0);
	assert_int_equal(st.wheels, 2);
	assert_int_equal(st.objects, 6);
	assert_int_equal(st.members, 10);
	assert_int_equal(st.logical_bytes, 100);
	assert_int_equal(st.disk_bytes, 60);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 2);
}

/* Deleting a wheel removes its members (foreign keys are on). */
static void test_cascade(void **state)
{
	struct fx *f = *state;
	int64_t id = add_wheel(f->cc, 1, "a", 3);
	sqlite3 *h;
	char *sql = xasprintf("PRAGMA foreign_keys = ON; DELETE FROM wheels WHERE id = %lld",
			      (long long)id);

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(sql);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM members"), 0);
}

struct worker {
	struct catalog *c;
	int base;
};

/* A thread adding wheels through its own pooled connection. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct err err;

	for (int i = 0; i < 10; i++) {
		struct catalog_conn *cc = catalog_acquire(w->c, &err);
		char name[16];
		assert_non_null(cc);
		snprintf(name, sizeof(name), "w%d", w->base + i);
		add_wheel(cc, w->base + i, name, 3);
		catalog_release(w->c, cc);
	}
	return NULL;
}

/* Several threads write concurrently through the pool (more threads than connections). */
static void test_pool_threads(void **state)
{
	struct fx *f = *state;
	pthread_t t[6];
	struct worker w[6];

	catalog_release(&f->c, f->cc);
	f->cc = NULL;
	for (int i = 0; i < 6; i++) {
		w[i].c = &f->c;
		w[i].base = 1 + i * 10;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	assert_true(f->c.n_open <= 4);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM wheels"), 60);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM members"), 180);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_and_newer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_objects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wheel_and_plan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_statcache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
