/* test_store.c: the object store on a real temporary directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "daemon/failpoint.h"
#include "daemon/store.h"
#include "hash.h"
#include "xalloc.h"

struct fx {
	char dir[64];
	char *cache;
	struct store s;
};

/* Remove a directory tree (test cleanup). */
static void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Count the entries of a directory (without . and ..). */
static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A fresh cache directory with an open store. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err err;

	strcpy(f->dir, "/tmp/whlc-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cache = xasprintf("%s/cache", f->dir);
	assert_int_equal(store_open(&f->s, f->cache, NULL, &err), 0);
	*state = f;
	return 0;
}

/* Close the store and remove the directory. */
static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(&f->s);
	rm_rf(f->dir);
	free(f->cache);
	free(f);
	return 0;
}

/* Write bytes through a temporary and publish them; returns created. */
static int put(struct store *s, const char *data, size_t len, int exec, uint8_t sha[32])
{
	struct store_tmp t;
	struct err err;
	int created = -1;

	hash_sha256(data, len, sha);
	assert_int_equal(store_tmp_create(s, &t, &err), 0);
	assert_int_equal(store_tmp_write(&t, data, len, &err), 0);
	assert_int_equal(store_tmp_close(&t, exec, &err), 0);
	assert_int_equal(store_tmp_publish(s, &t, sha, exec, &created, &err), 0);
	return created;
}

/* The layout: CACHEDIR.TAG, store-v1/objects and store-v1/tmp. */
static void test_layout(void **state)
{
	struct fx *f = *state;
	char *p = xasprintf("%s/CACHEDIR.TAG", f->cache);
	char buf[64] = {0};
	int fd = open(p, O_RDONLY);
	struct stat st;

	assert_true(fd >= 0);
	assert_true(read(fd, buf, 43) == 43);
	assert_string_equal(buf, "Signature: 8a477f597d28d172789f06886806bc55");
	close(fd);
	free(p);
	assert_int_equal(stat(f->s.objects, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(stat(f->s.tmp, &st), 0);
	assert_true(strstr(f->s.objects, "/store-v1/objects") != NULL);
}

/* A published object has its name from its content, mode 0444, and the bytes. */
static void test_publish(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32];
	char hex[65], rel[STORE_RELPATH_MAX], buf[32];
	struct stat st;

	assert_int_equal(put(&f->s, "hello\n", 6, 0, sha), 1);
	hash_to_hex(sha, 32, hex);
	store_object_relpath(sha, 0, rel);
	assert_memory_equal(rel, hex, 2);
	assert_int_equal(rel[2], '/');
	assert_string_equal(rel + 3, hex + 2);
	char *path = store_object_path(&f->s, sha, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, 6);
	int fd = store_object_open(&f->s, sha, 0);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "hello\n", 6);
	close(fd);
	free(path);
	assert_int_equal(store_object_exists(&f->s, sha, 0), 1);
	assert_int_equal(store_object_exists(&f->s, sha, 1), 0);
	assert_int_equal(count_dir(f->s.tmp), 0);
}

/* Same bytes twice: one object, the second publish reports it existed. */
static void test_dedup(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32], sha2[32];
	struct stat st1, st2;

	assert_int_equal(put(&f->s, "same", 4, 0, sha), 1);
	char *path = store_object_path(&f->s, sha, 0);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(put(&f->s, "same", 4, 0, sha2), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino);
	assert_int_equal(count_dir(f->s.tmp), 0);
	free(path);
}

/* The exec bit is part of the identity: two objects, 0444 and 0555. */
static void test_exec_bit(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32];
	struct stat st0, st1;

	assert_int_equal(put(&f->s, "#!/bin/sh\n", 10, 0, sha), 1);
	assert_int_equal(put(&f->s, "#!/bin/sh\n", 10, 1, sha), 1);
	char *p0 = store_object_path(&f->s, sha, 0), *p1 = store_object_path(&f->s, sha, 1);
	assert_int_equal(stat(p0, &st0), 0);
	assert_int_equal(stat(p1, &st1), 0);
	assert_true(st0.st_ino != st1.st_ino);
	assert_int_equal(st0.st_mode & 07777, 0444);
	assert_int_equal(st1.st_mode & 07777, 0555);
	assert_int_equal(strlen(p1), strlen(p0) + 2);
	assert_string_equal(p1 + strlen(p0), "-x");
	free(p0);
	free(p1);
}

/* An empty object is fine. */
static void test_empty(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32];
	char hex[65];

	assert_int_equal(put(&f->s, "", 0, 0, sha), 1);
	hash_to_hex(sha, 32, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(store_object_exists(&f->s, sha, 0), 1);
}

/* A reserved object's file survives store_remove_unreserved until the last hold goes. */
static void test_reserve(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32], other[32];

	assert_int_equal(put(&f->s, "held", 4, 0, sha), 1);
	assert_int_equal(put(&f->s, "held", 4, 1, sha), 1);
	memcpy(other, sha, 32);
	other[31] ^= 1; /* same bucket, another object */
	store_reserve(&f->s, sha, 0);
	store_reserve(&f->s, sha, 0);
	store_reserve(&f->s, other, 0);
	assert_true(store_reserved(&f->s, sha, 0));
	assert_false(store_reserved(&f->s, sha, 1)); /* the exec variant is another object */
	assert_int_equal(store_remove_unreserved(&f->s, sha, 0), 0);
	assert_int_equal(store_object_exists(&f->s, sha, 0), 1);
	store_unreserve(&f->s, sha, 0);
	assert_int_equal(store_remove_unreserved(&f->s, sha, 0), 0); /* one hold left */
	store_unreserve(&f->s, sha, 0);
	assert_false(store_reserved(&f->s, sha, 0));
	assert_true(store_reserved(&f->s, other, 0));
	assert_int_equal(store_remove_unreserved(&f->s, sha, 0), 1);
	assert_int_equal(store_object_exists(&f->s, sha, 0), 0);
	assert_int_equal(store_remove_unreserved(&f->s, sha, 0), 1); /* already gone */
	assert_int_equal(store_remove_unreserved(&f->s, sha, 1), 1);
	assert_int_equal(store_object_exists(&f->s, sha, 1), 0);
	store_unreserve(&f->s, other, 0); /* store_close frees what is left otherwise */
}

/* Discarded temporaries vanish; leftovers are removed by store_open. */
static void test_tmp_cleanup(void **state)
{
	struct fx *f = *state;
	struct store_tmp t, t2;
	struct err err;
	unsigned removed = 0;

	assert_int_equal(store_tmp_create(&f->s, &t, &err), 0);
	assert_int_equal(store_tmp_write(&t, "x", 1, &err), 0);
	assert_int_equal(count_dir(f->s.tmp), 1);
	store_tmp_discard(&f->s, &t);
	store_tmp_discard(&f->s, &t); /* idempotent */
	assert_int_equal(count_dir(f->s.tmp), 0);

	/* Simulate a crash: temporaries left behind, then a restart. */
	assert_int_equal(store_tmp_create(&f->s, &t, &err), 0);
	assert_int_equal(store_tmp_create(&f->s, &t2, &err), 0);
	assert_int_equal(store_tmp_close(&t, 0, &err), 0);
	close(t2.fd);
	store_close(&f->s);
	assert_int_equal(store_open(&f->s, f->cache, &removed, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(count_dir(f->s.tmp), 0);
}

/* A temporary is in flight while a writer that began before it is registered. */
static void test_tmp_in_flight(void **state)
{
	struct fx *f = *state;
	struct store_tmp before, t1, t2;
	struct err err;
	char other[64];

	assert_int_equal(store_tmp_create(&f->s, &before, &err), 0);
	assert_false(store_tmp_in_flight(&f->s, before.name)); /* no writer: leaked */
	uint64_t w1 = store_writer_begin(&f->s);
	assert_int_equal(store_tmp_create(&f->s, &t1, &err), 0);
	uint64_t w2 = store_writer_begin(&f->s);
	assert_int_equal(store_tmp_create(&f->s, &t2, &err), 0);
	assert_false(store_tmp_in_flight(&f->s, before.name)); /* older than every writer */
	assert_true(store_tmp_in_flight(&f->s, t1.name));
	assert_true(store_tmp_in_flight(&f->s, t2.name));
	store_writer_end(&f->s, w1);
	/* Only w2 is left: t1 is older than it, so t1 is a leftover now. */
	assert_false(store_tmp_in_flight(&f->s, t1.name));
	assert_true(store_tmp_in_flight(&f->s, t2.name));
	assert_int_equal(store_writers_active(&f->s), 1);
	store_writer_end(&f->s, w2);
	assert_int_equal(store_writers_active(&f->s), 0);
	assert_false(store_tmp_in_flight(&f->s, t2.name));
	/* Another process's names and foreign names are never in flight. */
	w1 = store_writer_begin(&f->s);
	snprintf(other, sizeof(other), "t%ld.%s", (long)getpid() + 1, strchr(t2.name, '.') + 1);
	assert_false(store_tmp_in_flight(&f->s, other));
	assert_false(store_tmp_in_flight(&f->s, "junk"));
	assert_false(store_tmp_in_flight(&f->s, "t1.2x"));
	store_writer_end(&f->s, w1);
	store_tmp_discard(&f->s, &before);
	store_tmp_discard(&f->s, &t1);
	store_tmp_discard(&f->s, &t2);
}

/* store_sync succeeds on a real filesystem. */
static void test_sync(void **state)
{
	struct fx *f = *state;
	struct err err;

	assert_int_equal(store_sync(&f->s, &err), 0);
}

/* Opening under an unusable path fails with a message naming it. */
static void test_open_error(void **state)
{
	struct store s;
	struct err err;

	(void)state;
	err_clear(&err);
	assert_true(store_open(&s, "/proc/whlc-cannot-exist/cache", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "/proc/whlc-cannot-exist"));
}

/* Failure points: parse, match, error action. */
static void test_failpoint(void **state)
{
	struct failpoint fp;

	(void)state;
	assert_int_equal(failpoint_init(&fp, NULL), 0);
	assert_int_equal(failpoint_hit(&fp, "x"), 0);
	assert_int_equal(failpoint_init(&fp, "a-point:error"), 0);
	assert_int_equal(failpoint_hit(&fp, "other"), 0);
	assert_int_equal(failpoint_hit(&fp, "a-point"), -EIO);
	failpoint_free(&fp);
	assert_int_equal(failpoint_init(&fp, "p:bogus"), -EINVAL);
	assert_int_equal(failpoint_init(&fp, "p"), 0);
	assert_int_equal(fp.action, FAILPOINT_KILL);
	failpoint_free(&fp);
	assert_int_equal(failpoint_hit(NULL, "p"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dedup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_bit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmp_cleanup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmp_in_flight, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
	    cmocka_unit_test(test_open_error),
	    cmocka_unit_test(test_failpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
