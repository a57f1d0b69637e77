/* store.c: the content-addressed object store (objects, temporaries, durability). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "store.h"
#include "xalloc.h"

static const char store__tag[] =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by whlc.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n";

/* mkdir that tolerates an existing directory. */
static int store__mkdir(const char *path, struct err *err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_set(err, -errno, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

/* Write CACHEDIR.TAG unless it exists (created atomically via a temporary). */
static int store__write_tag(const char *cache_dir, struct err *err)
{
	char *path = xasprintf("%s/CACHEDIR.TAG", cache_dir);
	char *tmp = xasprintf("%s/.CACHEDIR.TAG.%ld", cache_dir, (long)getpid());
	int ret = 0, fd = -1;

	if (access(path, F_OK) == 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, store__tag, sizeof(store__tag) - 1) != sizeof(store__tag) - 1 ||
	    rename(tmp, path) < 0) {
		ret = err_set(err, errno ? -errno : -EIO, "cannot write %s: %s", path,
			      strerror(errno));
		unlink(tmp);
	}
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(tmp);
	return ret;
}

/* Open a directory as an fd for *at() calls. */
static int store__open_dir(const char *path, int *fd, struct err *err)
{
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_set(err, -errno, "cannot open %s: %s", path, strerror(errno));
	return 0;
}

/* Create (if needed) and open the store under cache_dir, removing leftover temporaries. */
int store_open(struct store *s, const char *cache_dir, unsigned *tmp_removed, struct err *err)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->objects_fd = s->tmp_fd = s->copies_fd = -1;
	pthread_mutex_init(&s->writers_mu, NULL);
	pthread_mutex_init(&s->hints_mu, NULL);
	s->cache_dir = xstrdup(cache_dir);
	s->root = xasprintf("%s/%s", cache_dir, STORE_DIR_NAME);
	s->objects = xasprintf("%s/objects", s->root);
	s->tmp = xasprintf("%s/tmp", s->root);
	s->copies = xasprintf("%s/copies", s->root);
	if ((ret = store__mkdir(cache_dir, err)) < 0 ||
	    (ret = store__write_tag(cache_dir, err)) < 0 ||
	    (ret = store__mkdir(s->root, err)) < 0 || (ret = store__mkdir(s->objects, err)) < 0 ||
	    (ret = store__mkdir(s->tmp, err)) < 0 || (ret = store__mkdir(s->copies, err)) < 0 ||
	    (ret = store__open_dir(s->objects, &s->objects_fd, err)) < 0 ||
	    (ret = store__open_dir(s->tmp, &s->tmp_fd, err)) < 0 ||
	    (ret = store__open_dir(s->copies, &s->copies_fd, err)) < 0)
		goto fail;
	ret = store_clean_tmp(s, err);
	if (ret < 0)
		goto fail;
	if (tmp_removed)
		*tmp_removed = (unsigned)ret;
	return 0;
fail:
	store_close(s);
	return ret;
}

/* Release the store's fds and paths (objects on disk are untouched). */
void store_close(struct store *s)
{
	if (s->objects_fd >= 0)
		close(s->objects_fd);
	if (s->tmp_fd >= 0)
		close(s->tmp_fd);
	if (s->copies_fd >= 0)
		close(s->copies_fd);
	s->objects_fd = s->tmp_fd = s->copies_fd = -1;
	if (s->cache_dir != NULL) { /* not closed yet */
		pthread_mutex_destroy(&s->writers_mu);
		store_resv_free(s);
		pthread_mutex_destroy(&s->hints_mu);
	}
	free(s->writers);
	s->writers = NULL;
	s->n_writers = s->cap_writers = 0;
	free(s->cache_dir);
	free(s->root);
	free(s->objects);
	free(s->tmp);
	free(s->copies);
	s->cache_dir = s->root = s->objects = s->tmp = s->copies = NULL;
}

/* Register a writer of temporaries; returns the token for store_writer_end. */
uint64_t store_writer_begin(struct store *s)
{
	uint64_t token;

	pthread_mutex_lock(&s->writers_mu);
	/* Every temporary this writer creates gets a sequence number above token. */
	token = __atomic_load_n(&s->tmp_seq, __ATOMIC_SEQ_CST);
	if (s->n_writers == s->cap_writers) {
		s->cap_writers = s->cap_writers ? 2 * s->cap_writers : 8;
		s->writers = xreallocarray(s->writers, s->cap_writers, sizeof(*s->writers));
	}
	s->writers[s->n_writers++] = token;
	pthread_mutex_unlock(&s->writers_mu);
	return token;
}

/* Unregister a writer once all its temporaries are published or discarded. */
void store_writer_end(struct store *s, uint64_t token)
{
	pthread_mutex_lock(&s->writers_mu);
	for (size_t i = 0; i < s->n_writers; i++) {
		if (s->writers[i] == token) {
			s->writers[i] = s->writers[--s->n_writers];
			break;
		}
	}
	pthread_mutex_unlock(&s->writers_mu);
}

/* The number of writers in flight (an object without a catalog row may be theirs). */
size_t store_writers_active(struct store *s)
{
	size_t n;

	pthread_mutex_lock(&s->writers_mu);
	n = s->n_writers;
	pthread_mutex_unlock(&s->writers_mu);
	return n;
}

/* 1 when the temporary named name may belong to a writer still in flight. */
int store_tmp_in_flight(struct store *s, const char *name)
{
	unsigned long long seq;
	long pid;
	int n = 0, live = 0;

	/* Names are "t<pid>.<seq>"; anything else, or another process's, is not ours. */
	if (sscanf(name, "t%ld.%llu%n", &pid, &seq, &n) != 2 || name[n] != '\0' ||
	    pid != (long)getpid())
		return 0;
	pthread_mutex_lock(&s->writers_mu);
	for (size_t i = 0; i < s->n_writers && !live; i++)
		live = seq > s->writers[i];
	pthread_mutex_unlock(&s->writers_mu);
	return live;
}

/* Remove every file in the tmp directory; returns the count removed or a negative code. */
int store_clean_tmp(struct store *s, struct err *err)
{
	int dfd = dup(s->tmp_fd), n = 0;
	DIR *d;
	struct dirent *de;

	if (dfd < 0)
		return err_set(err, -errno, "cannot read %s: %s", s->tmp, strerror(errno));
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return err_set(err, -errno, "cannot read %s: %s", s->tmp, strerror(errno));
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(s->tmp_fd, de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT) {
			int e = errno;
			closedir(d);
			return err_set(err, -e, "cannot remove %s/%s: %s", s->tmp, de->d_name,
				       strerror(e));
		}
	}
	closedir(d);
	return n;
}

/* "ab/cdef...[-x]" relative to s->objects; buf holds STORE_RELPATH_MAX bytes. */
void store_object_relpath(const uint8_t sha256[32], int exec, char buf[STORE_RELPATH_MAX])
{
	char hex[HASH_SHA256_HEX_LEN + 1];

	hash_to_hex(sha256, HASH_SHA256_LEN, hex);
	snprintf(buf, STORE_RELPATH_MAX, "%.2s/%s%s", hex, hex + 2, exec ? "-x" : "");
}

/* Absolute path of an object (malloc'd). */
char *store_object_path(const struct store *s, const uint8_t sha256[32], int exec)
{
	char rel[STORE_RELPATH_MAX];

	store_object_relpath(sha256, exec, rel);
	return xasprintf("%s/%s", s->objects, rel);
}

/* 1 when the object file exists, 0 when not, negative code on other errors. */
int store_object_exists(const struct store *s, const uint8_t sha256[32], int exec)
{
	char rel[STORE_RELPATH_MAX];
	struct stat st;

	store_object_relpath(sha256, exec, rel);
	if (fstatat(s->objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return S_ISREG(st.st_mode) ? 1 : -WHLC_ECORRUPT;
	return errno == ENOENT ? 0 : -errno;
}

/* Open an object read-only (O_CLOEXEC); fd or negative code. */
int store_object_open(const struct store *s, const uint8_t sha256[32], int exec)
{
	char rel[STORE_RELPATH_MAX];
	int fd;

	store_object_relpath(sha256, exec, rel);
	fd = openat(s->objects_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* Create a new, empty temporary file (mode 0600) in the store's tmp directory. */
int store_tmp_create(struct store *s, struct store_tmp *t, struct err *err)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t seq = __atomic_add_fetch(&s->tmp_seq, 1, __ATOMIC_RELAXED);
		snprintf(t->name, sizeof(t->name), "t%ld.%llu", (long)getpid(),
			 (unsigned long long)seq);
		t->fd = openat(s->tmp_fd, t->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		t->size = 0;
		if (t->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	t->name[0] = '\0';
	return err_set(err, -errno, "cannot create a temporary file in %s: %s", s->tmp,
		       strerror(errno));
}

/* Append bytes to a temporary file. */
int store_tmp_write(struct store_tmp *t, const void *buf, size_t len, struct err *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(t->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set(err, -errno, "cannot write to the store: %s",
				       strerror(errno));
		}
		p += n;
		len -= (size_t)n;
		t->size += (uint64_t)n;
	}
	return 0;
}

/* Set the final mode (0444, 0555 when exec) and close the file (it keeps its name). */
int store_tmp_close(struct store_tmp *t, int exec, struct err *err)
{
	int ret = 0;

	if (t->fd < 0)
		return 0;
	if (fchmod(t->fd, exec ? 0555 : 0444) < 0)
		ret = err_set(err, -errno, "cannot chmod a temporary file: %s", strerror(errno));
	/* close() can report a deferred write error (NFS, quota). */
	if (close(t->fd) < 0 && ret == 0)
		ret = err_set(err, -errno, "cannot write to the store: %s", strerror(errno));
	t->fd = -1;
	return ret;
}

/* Give a closed temporary its final name for (sha256, exec); EEXIST is success. */
int store_tmp_publish(struct store *s, struct store_tmp *t, const uint8_t sha256[32], int exec,
		      int *created, struct err *err)
{
	char rel[STORE_RELPATH_MAX];
	int ret = 0;

	store_object_relpath(sha256, exec, rel);
	if (created)
		*created = 0;
	for (int tries = 0; tries < 2; tries++) {
		/*
		 * One rename gives the final name and drops the temporary one (link +
		 * unlink took two directory updates); NOREPLACE keeps an existing object.
		 * Filesystems without RENAME_NOREPLACE (EINVAL) get the link.
		 */
		if (renameat2(s->tmp_fd, t->name, s->objects_fd, rel, RENAME_NOREPLACE) == 0) {
			t->name[0] = '\0';
			if (created)
				*created = 1;
			break;
		}
		if (errno == EINVAL && linkat(s->tmp_fd, t->name, s->objects_fd, rel, 0) == 0) {
			if (created)
				*created = 1;
			break;
		}
		if (errno == EEXIST)
			break;
		if (errno == ENOENT && tries == 0) {
			/* The fan-out directory is created on first use. */
			rel[2] = '\0';
			if (mkdirat(s->objects_fd, rel, 0755) < 0 && errno != EEXIST) {
				ret = err_set(err, -errno, "cannot create %s/%s: %s", s->objects,
					      rel, strerror(errno));
				break;
			}
			rel[2] = '/';
			continue;
		}
		ret = err_set(err, -errno, "cannot publish object %s/%s: %s", s->objects, rel,
			      strerror(errno));
		break;
	}
	if (ret == 0)
		store_tmp_discard(s, t);
	return ret;
}

/* Close and unlink a temporary that will not be published (idempotent). */
void store_tmp_discard(struct store *s, struct store_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->name[0] != '\0')
		unlinkat(s->tmp_fd, t->name, 0);
	t->name[0] = '\0';
}

/* Make everything written to the store's filesystem durable (syncfs). */
int store_sync(struct store *s, struct err *err)
{
	if (syncfs(s->objects_fd) < 0)
		return err_set(err, -errno, "cannot sync the store (%s): %s", s->objects,
			       strerror(errno));
	return 0;
}
