/*
 * install_share.c: generated files that every venv gets alike, hardlinked
 * from the store instead of written fresh (issue 6: disk per extra venv).
 *
 * INSTALLER ("whlc\n"), direct_url.json (the same wheel path gives the same
 * bytes) and the RECORD of a wheel without launchers or rewritten scripts
 * (its rows are relative to site-packages) are the same bytes in every venv
 * of an interpreter: each is a store object named by its hash, like a wheel's
 * member. An object no wheel references is never checked before linking, so
 * it is read and compared with the bytes wanted on every use; a missing one
 * is published first (with a catalog row: verify knows it, gc removes it once
 * unused past the grace period). Anything unexpected (another link mode, a
 * mismatch, EMLINK with no copy, an error) writes a fresh file as before, and
 * so does the system mode: files created for a user belong to that user.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "ident.h"
#include "install.h"
#include "xalloc.h"

/* Larger generated files are written fresh (the comparison reads them whole). */
#define INSTALL_SHARE_MAX (16u << 20)

/* 1 when the object (sha256, non-exec) holds exactly data, 0 when not, -ENOENT when missing. */
static int install__share_same(struct store *s, const uint8_t sha256[32], const void *data,
			       size_t len)
{
	int fd = store_object_open(s, sha256, 0), same = 0;
	struct stat st;

	if (fd < 0)
		return fd == -ENOENT ? -ENOENT : 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == len) {
		char *buf = xmalloc(len + 1);
		size_t n = 0;
		ssize_t r;
		while (n <= len &&
		       ((r = read(fd, buf + n, len + 1 - n)) > 0 || (r < 0 && errno == EINTR)))
			n += r > 0 ? (size_t)r : 0;
		same = n == len && memcmp(buf, data, len) == 0;
		free(buf);
	}
	close(fd);
	return same;
}

/* Publish data as a store object with its catalog row (daemon credentials); 0 or negative. */
static int install__share_publish(const struct install_env *env, const uint8_t sha256[32],
				  const void *data, size_t len)
{
	struct store *s = env->store;
	struct store_tmp t = {.fd = -1};
	struct catalog_conn *cc;
	struct err e = {0};
	uint64_t token;
	int ret;

	ident_suspend();
	token = store_writer_begin(s);
	if ((ret = store_tmp_create(s, &t, &e)) == 0 &&
	    (ret = store_tmp_write(&t, data, len, &e)) == 0 &&
	    (ret = store_tmp_close(&t, 0, &e)) == 0)
		ret = store_tmp_publish(s, &t, sha256, 0, NULL, &e);
	store_tmp_discard(s, &t);
	/* Without a row (an error here) the startup scan adopts the object later. */
	if (ret == 0 && (cc = catalog_acquire(env->catalog, &e)) != NULL) {
		if (catalog_begin(cc, &e) == 0) {
			if (catalog_object_put(cc, sha256, 0, len, NULL, NULL, &e) == 0)
				catalog_commit(cc, &e);
			else
				catalog_rollback(cc);
		}
		catalog_release(env->catalog, cc);
	}
	store_writer_end(s, token);
	ident_resume();
	return ret;
}

/* Write bytes at dest as a hardlink to the store object holding them, else as a new file. */
int install_write_shared(const struct install_link *lk, const char *dest, const void *data,
			 size_t len, int *existed, struct err *err)
{
	const struct install_env *env = lk->env;
	char rel[STORE_RELPATH_MAX];
	uint8_t sha[32];
	int same, tok, rc, e;

	/* System mode (acting as a user): what is created for a user belongs to the user. */
	if (lk->mode != INSTALL_HARDLINK || atomic_load(&lk->fell_back) || env->cache == NULL ||
	    env->catalog == NULL || len == 0 || len > INSTALL_SHARE_MAX || ident_active())
		return install_write_file(dest, data, len, 0, existed, err);
	hash_sha256(data, len, sha);
	same = install__share_same(env->store, sha, data, len);
	if (same == -ENOENT && install__share_publish(env, sha, data, len) == 0)
		same = install__share_same(env->store, sha, data, len);
	if (same != 1)
		return install_write_file(dest, data, len, 0, existed, err);
	store_object_relpath(sha, 0, rel);
	tok = ident_fowner_raise();
	rc = linkat(env->store->objects_fd, rel, AT_FDCWD, dest, 0);
	e = errno;
	ident_fowner_drop(tok);
	if (rc < 0 && e == EMLINK) {
		const char *slash = strrchr(dest, '/');
		char *dir = xstrndup(dest, (size_t)(slash - dest));
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct catalog_member m = {0};
		free(dir);
		memcpy(m.sha256, sha, 32);
		rc = dfd < 0 ? -1 : install_link_copy(lk, &m, dfd, slash + 1);
		if (dfd >= 0)
			close(dfd);
	}
	if (rc == 0)
		return 0;
	return install_write_file(dest, data, len, 0, existed, err);
}
