/* test_store_copy.c: extra copies of objects at the link limit, on a real temporary store. */
#include "config.h"

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

#include "daemon/store.h"
#include "daemon/store_copy.h"
#include "hash.h"
#include "xalloc.h"

struct fx {
	char dir[64];
	char *cache;
	struct store s;
};

/* A fresh cache directory with an open store. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err err;

	strcpy(f->dir, "/tmp/whlc-test-copy-XXXXXX");
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
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	store_close(&f->s);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->cache);
	free(f);
	return 0;
}

/* Publish bytes as an object. */
static void put(struct store *s, const char *data, int exec, uint8_t sha[32])
{
	struct store_tmp t;
	struct err err;

	hash_sha256(data, strlen(data), sha);
	assert_int_equal(store_tmp_create(s, &t, &err), 0);
	assert_int_equal(store_tmp_write(&t, data, strlen(data), &err), 0);
	assert_int_equal(store_tmp_close(&t, exec, &err), 0);
	assert_int_equal(store_tmp_publish(s, &t, sha, exec, NULL, &err), 0);
}

/* Names round-trip; anything else is refused. */
static void test_names(void **state)
{
	uint8_t sha[32], got[32];
	char name[STORE_COPY_NAME_MAX], hex[65];
	unsigned k;
	int exec;

	(void)state;
	hash_sha256("x", 1, sha);
	hash_to_hex(sha, 32, hex);
	store_copy_name(sha, 1, 12, name);
	assert_int_equal(strlen(name), 64 + 2 + 3);
	assert_int_equal(store_copy_parse(name, got, &exec, &k), 0);
	assert_memory_equal(got, sha, 32);
	assert_int_equal(exec, 1);
	assert_int_equal(k, 12);
	store_copy_name(sha, 0, 1, name);
	assert_int_equal(store_copy_parse(name, got, &exec, &k), 0);
	assert_int_equal(exec, 0);
	const char *bad[] = {".1",    "ab.1",  "%s",	   "%s.0",   "%s.01",
			     "%s.-1", "%s.1x", "%s.99999", "%s-y.1", "%s.4097"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), bad[i], hex);
		assert_int_equal(store_copy_parse(name, got, &exec, &k), -EINVAL);
	}
	hex[5] = 'G';
	snprintf(name, sizeof(name), "%s.1", hex);
	assert_int_equal(store_copy_parse(name, got, &exec, &k), -EINVAL);
}

/* A copy is verified, read-only, has the object's mtime, and is checked when reused. */
static void test_prepare(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32];
	char name[STORE_COPY_NAME_MAX], rel[STORE_RELPATH_MAX], buf[64] = {0};
	struct stat st, ost;
	struct err err;
	uint64_t n, bytes;
	int fd;

	put(&f->s, "#!/bin/sh\necho hi\n", 1, sha);
	assert_int_equal(store_copy_hint(&f->s, sha, 1), 1);
	assert_int_equal(store_copy_prepare(&f->s, sha, 1, 1, &err), 0);
	store_copy_name(sha, 1, 1, name);
	store_object_relpath(sha, 1, rel);
	assert_int_equal(fstatat(f->s.copies_fd, name, &st, 0), 0);
	assert_int_equal(fstatat(f->s.objects_fd, rel, &ost, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_true(st.st_ino != ost.st_ino);
	assert_int_equal(st.st_mtim.tv_sec, ost.st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, ost.st_mtim.tv_nsec);
	assert_int_equal(store_copy_usage(&f->s, &n, &bytes, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 18);
	/* Prepared again: the same inode. */
	assert_int_equal(store_copy_prepare(&f->s, sha, 1, 1, &err), 0);
	assert_int_equal(fstatat(f->s.copies_fd, name, &ost, 0), 0);
	assert_int_equal(ost.st_ino, st.st_ino);
	/* Changed in place: quarantined and made again. */
	assert_int_equal(fchmodat(f->s.copies_fd, name, 0644, 0), 0);
	fd = openat(f->s.copies_fd, name, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho no\n", 18), 18);
	close(fd);
	assert_int_equal(store_copy_prepare(&f->s, sha, 1, 1, &err), 0);
	assert_int_equal(fstatat(f->s.copies_fd, name, &ost, 0), 0);
	assert_true(ost.st_ino != st.st_ino);
	fd = openat(f->s.copies_fd, name, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 18);
	close(fd);
	assert_string_equal(buf, "#!/bin/sh\necho hi\n");
	store_copy_hint_set(&f->s, sha, 1, 7);
	assert_int_equal(store_copy_hint(&f->s, sha, 1), 7);
	assert_int_equal(store_copy_hint(&f->s, sha, 0), 1);
	assert_int_equal(store_copy_prepare(&f->s, sha, 1, STORE_COPIES_MAX + 1, &err), -EMLINK);
}

/* A corrupt object gives no copy. */
static void test_corrupt_object(void **state)
{
	struct fx *f = *state;
	uint8_t sha[32];
	char name[STORE_COPY_NAME_MAX], rel[STORE_RELPATH_MAX];
	struct err err;
	int fd;

	put(&f->s, "payload\n", 0, sha);
	store_object_relpath(sha, 0, rel);
	assert_int_equal(fchmodat(f->s.objects_fd, rel, 0644, 0), 0);
	fd = openat(f->s.objects_fd, rel, O_WRONLY);
	assert_int_equal(write(fd, "PAYLOAD\n", 8), 8);
	close(fd);
	assert_int_equal(store_copy_prepare(&f->s, sha, 0, 1, &err), -WHLC_ECORRUPT);
	store_copy_name(sha, 0, 1, name);
	assert_int_equal(faccessat(f->s.copies_fd, name, F_OK, 0), -1);
	assert_int_equal(errno, ENOENT);
}

/* Orphan predicate for the sweep: everything but `keep`. */
static int orphan_but(void *arg, const uint8_t sha256[32], int exec)
{
	(void)exec;
	return memcmp(arg, sha256, 32) != 0;
}

/* The sweep removes the copies the predicate names, and leaves foreign names alone. */
static void test_sweep(void **state)
{
	struct fx *f = *state;
	uint8_t a[32], b[32];
	char name[STORE_COPY_NAME_MAX];
	struct err err;
	uint64_t removed, bytes;
	int fd;

	put(&f->s, "aaaa\n", 0, a);
	put(&f->s, "bbbbbbbb\n", 0, b);
	assert_int_equal(store_copy_prepare(&f->s, a, 0, 1, &err), 0);
	assert_int_equal(store_copy_prepare(&f->s, b, 0, 1, &err), 0);
	assert_int_equal(store_copy_prepare(&f->s, b, 0, 2, &err), 0);
	fd = openat(f->s.copies_fd, "README", O_WRONLY | O_CREAT, 0644);
	close(fd);
	assert_int_equal(store_copy_sweep(&f->s, orphan_but, a, &removed, &bytes, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(bytes, 18);
	store_copy_name(a, 0, 1, name);
	assert_int_equal(faccessat(f->s.copies_fd, name, F_OK, 0), 0);
	assert_int_equal(faccessat(f->s.copies_fd, "README", F_OK, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_prepare, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
