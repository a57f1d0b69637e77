/* store_check.c: verify store objects cheaply (size+mtime) or fully (re-hash); quarantine. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "store_check.h"
#include "xalloc.h"

#define STORE_CHECK_BLOCK (256u << 10)

/* st_mtim in nanoseconds. */
int64_t store_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* 1 when (size, mtime_ns) still match a verification record. */
int store_stat_matches(const struct stat *st, int64_t verified_size, int64_t verified_mtime_ns)
{
	int64_t m = store_mtime_ns(st);

	if (verified_size < 0 || verified_mtime_ns < 0 || st->st_size != verified_size)
		return 0;
	if (m == verified_mtime_ns)
		return 1;
	/* Restored from an archive with one-second timestamps. */
	return st->st_mtim.tv_nsec == 0 && st->st_mtim.tv_sec == verified_mtime_ns / 1000000000;
}

/* Hash an open file; st gets its fstat. */
int store_hash_fd(int fd, uint8_t sha256[32], struct stat *st)
{
	struct hash_sha256 h;
	char *buf;
	ssize_t n;
	off_t off = 0;

	if (fstat(fd, st) < 0)
		return -errno;
	buf = xmalloc(STORE_CHECK_BLOCK);
	hash_sha256_init(&h);
	while ((n = pread(fd, buf, STORE_CHECK_BLOCK, off)) > 0) {
		hash_sha256_update(&h, buf, (size_t)n);
		off += n;
	}
	hash_sha256_final(&h, sha256);
	free(buf);
	return n < 0 ? -errno : 0;
}

/* Mode an object must have. */
static unsigned store__want_mode(int exec)
{
	return exec ? 0555 : 0444;
}

/* Open dirpath/name (through dirfd) and hash it, filling out; the status says what was found. */
int store_rehash_at(int dirfd, const char *dirpath, const char *name, const uint8_t sha256[32],
		    int exec, struct store_check *out, struct err *err)
{
	uint8_t got[32];
	struct stat st;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP) {
			out->status = errno == ENOENT ? STORE_CHECK_MISSING : STORE_CHECK_CORRUPT;
			return 0;
		}
		return err_set(err, -errno, "cannot open %s/%s: %s", dirpath, name,
			       strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		out->status = STORE_CHECK_CORRUPT;
		return 0;
	}
	ret = store_hash_fd(fd, got, &st);
	close(fd);
	if (ret < 0)
		return err_set(err, ret, "cannot read %s/%s: %s", dirpath, name, strerror(-ret));
	out->rehashed = 1;
	out->size = st.st_size;
	out->mtime_ns = store_mtime_ns(&st);
	out->mode = st.st_mode & 07777;
	if (memcmp(got, sha256, 32) != 0) {
		out->status = STORE_CHECK_CORRUPT;
		return 0;
	}
	out->status = out->mode == store__want_mode(exec) ? STORE_CHECK_OK : STORE_CHECK_BADMODE;
	return 0;
}

/* Open and hash an object, filling out; the status says what was found. */
int store_object_rehash(const struct store *s, const uint8_t sha256[32], int exec,
			struct store_check *out, struct err *err)
{
	char rel[STORE_RELPATH_MAX];
	int ret;

	store_object_relpath(sha256, exec, rel);
	ret = store_rehash_at(s->objects_fd, s->objects, rel, sha256, exec, out, err);
	/* Content verified: its size and mtime become the verification record. */
	if (ret == 0 && (out->status == STORE_CHECK_OK || out->status == STORE_CHECK_BADMODE))
		out->record = 1;
	return ret;
}

/* Check one object before linking it (see store_check.h). */
int store_object_check(const struct store *s, const uint8_t sha256[32], int exec,
		       int64_t verified_size, int64_t verified_mtime_ns, int64_t trusted_before,
		       struct store_check *out, struct err *err)
{
	char rel[STORE_RELPATH_MAX];
	struct stat st;

	memset(out, 0, sizeof(*out));
	store_object_relpath(sha256, exec, rel);
	if (fstatat(s->objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) {
			out->status = STORE_CHECK_MISSING;
			return 0;
		}
		return err_set(err, -errno, "cannot stat object %s/%s: %s", s->objects, rel,
			       strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		out->status = STORE_CHECK_CORRUPT;
		return 0;
	}
	out->size = st.st_size;
	out->mtime_ns = store_mtime_ns(&st);
	out->mode = st.st_mode & 07777;
	if (store_stat_matches(&st, verified_size, verified_mtime_ns)) {
		out->status =
		    out->mode == store__want_mode(exec) ? STORE_CHECK_OK : STORE_CHECK_BADMODE;
		return 0;
	}
	if (verified_size < 0 && trusted_before > 0 && st.st_mtim.tv_sec <= trusted_before) {
		out->record = 1;
		out->status =
		    out->mode == store__want_mode(exec) ? STORE_CHECK_OK : STORE_CHECK_BADMODE;
		return 0;
	}
	return store_object_rehash(s, sha256, exec, out, err);
}

/* Move an object (or stray file) out of objects/ into store-v1/quarantine/. */
int store_quarantine(const struct store *s, const char *relpath, struct err *err)
{
	static unsigned seq; /* only makes names unique; races are resolved by EEXIST retries */
	char *dir = xasprintf("%s/quarantine", s->root), *to = NULL;
	char flat[STORE_RELPATH_MAX + 256];
	int ret = 0;

	/* "../copies/<name>" (an extra copy, store_copy.h) becomes "copies_<name>". */
	snprintf(flat, sizeof(flat), "%s", relpath + (strncmp(relpath, "../", 3) ? 0 : 3));
	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '_';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = err_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	for (int tries = 0; tries < 100; tries++) {
		free(to);
		to = xasprintf("%s/%s.%lld.%u", dir, flat, (long long)time(NULL),
			       __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
		if (renameat2(s->objects_fd, relpath, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
			goto out;
		if (errno != EEXIST)
			break;
	}
	if (errno == ENOENT)
		goto out; /* already gone: nothing to quarantine */
	ret = err_set(err, -errno, "cannot quarantine %s/%s: %s", s->objects, relpath,
		      strerror(errno));
out:
	free(dir);
	free(to);
	return ret;
}

/* Restore an object's mode; the content must be intact. */
int store_fix_mode(const struct store *s, const uint8_t sha256[32], int exec, struct err *err)
{
	char rel[STORE_RELPATH_MAX];

	store_object_relpath(sha256, exec, rel);
	if (fchmodat(s->objects_fd, rel, store__want_mode(exec), 0) < 0)
		return err_set(err, -errno, "cannot chmod object %s/%s: %s", s->objects, rel,
			       strerror(errno));
	return 0;
}

/* Value of a hex digit, or -1. */
static int store__hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse "ab" + "<62 hex>[-x]" into sha and exec; 0 or -EINVAL. */
int store_parse_name(const char *fan, const char *file, uint8_t sha256[32], int *exec)
{
	char hex[64];
	size_t n = strlen(file);

	if (strlen(fan) != 2)
		return -EINVAL;
	if (n == 64 && strcmp(file + 62, "-x") == 0)
		*exec = 1;
	else if (n == 62)
		*exec = 0;
	else
		return -EINVAL;
	memcpy(hex, fan, 2);
	memcpy(hex + 2, file, 62);
	for (int i = 0; i < 32; i++) {
		int hi = store__hexval(hex[2 * i]), lo = store__hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
