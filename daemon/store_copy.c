/* store_copy.c: extra copies of an object at the filesystem's link limit (see store_copy.h). */
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
#include "store_copy.h"
#include "xalloc.h"

#define STORE_COPY_BLOCK (256u << 10)

/* Name of copy k (>= 1) of an object in s->copies. */
void store_copy_name(const uint8_t sha256[32], int exec, unsigned k, char buf[STORE_COPY_NAME_MAX])
{
	char hex[HASH_SHA256_HEX_LEN + 1];

	hash_to_hex(sha256, HASH_SHA256_LEN, hex);
	snprintf(buf, STORE_COPY_NAME_MAX, "%s%s.%u", hex, exec ? "-x" : "", k);
}

/* Parse a copy name into its object and k; 0 or -EINVAL. */
int store_copy_parse(const char *name, uint8_t sha256[32], int *exec, unsigned *k)
{
	const char *dot = strchr(name, '.'), *p;
	unsigned long v = 0;
	char fan[3];

	if (dot == NULL || (dot - name != 64 && dot - name != 66))
		return -EINVAL;
	/* k: decimal, no sign, no leading zero, 1..STORE_COPIES_MAX */
	if (dot[1] < '1' || dot[1] > '9')
		return -EINVAL;
	for (p = dot + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - dot > 5)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > STORE_COPIES_MAX)
		return -EINVAL;
	char file[67];
	memcpy(fan, name, 2);
	fan[2] = '\0';
	memcpy(file, name + 2, (size_t)(dot - name) - 2);
	file[dot - name - 2] = '\0';
	if (store_parse_name(fan, file, sha256, exec) < 0)
		return -EINVAL;
	*k = (unsigned)v;
	return 0;
}

/* Slot of an object in the hint table. */
static struct store_copy_hint *store__hint_slot(struct store *s, const uint8_t sha256[32])
{
	size_t n = sizeof(s->copy_hints) / sizeof(s->copy_hints[0]);

	return &s->copy_hints[(sha256[0] | (size_t)sha256[1] << 8) % n];
}

/* The copy to try first for an object at its link limit. */
unsigned store_copy_hint(struct store *s, const uint8_t sha256[32], int exec)
{
	struct store_copy_hint *h;
	unsigned k = 1;

	pthread_mutex_lock(&s->hints_mu);
	h = store__hint_slot(s, sha256);
	if (h->k && h->exec == exec && memcmp(h->sha256, sha256, 32) == 0)
		k = h->k;
	pthread_mutex_unlock(&s->hints_mu);
	return k;
}

/* Remember that copy k of an object took a link (a collision just replaces the slot). */
void store_copy_hint_set(struct store *s, const uint8_t sha256[32], int exec, unsigned k)
{
	struct store_copy_hint *h;

	pthread_mutex_lock(&s->hints_mu);
	h = store__hint_slot(s, sha256);
	memcpy(h->sha256, sha256, 32);
	h->exec = exec;
	h->k = k;
	pthread_mutex_unlock(&s->hints_mu);
}

/* Write a copy of the object open at src into a new temporary, hashing it on the way. */
static int store__copy_bytes(struct store *s, int src, const uint8_t sha256[32],
			     struct store_tmp *t, struct err *err)
{
	struct hash_sha256 h;
	uint8_t got[32];
	char *buf = xmalloc(STORE_COPY_BLOCK);
	off_t off = 0;
	ssize_t n;
	int ret = 0;

	hash_sha256_init(&h);
	while ((n = pread(src, buf, STORE_COPY_BLOCK, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = err_set(err, -errno, "cannot read an object to copy it: %s",
				      strerror(errno));
			break;
		}
		hash_sha256_update(&h, buf, (size_t)n);
		if ((ret = store_tmp_write(t, buf, (size_t)n, err)) < 0)
			break;
		off += n;
	}
	free(buf);
	hash_sha256_final(&h, got);
	if (ret == 0 && memcmp(got, sha256, 32) != 0)
		ret = err_set(err, -WHLC_ECORRUPT,
			      "a cached object does not match its name; run `whlc cache verify "
			      "--repair`");
	return ret;
}

/* Make copy `name` from the object: verified, read-only, the object's mtime, durable. */
static int store__copy_make(struct store *s, const uint8_t sha256[32], int exec, const char *name,
			    struct err *err)
{
	char rel[STORE_RELPATH_MAX];
	struct store_tmp t = {.fd = -1};
	struct stat st;
	uint64_t token;
	int src, ret;

	store_object_relpath(sha256, exec, rel);
	src = openat(s->objects_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (src < 0)
		return err_set(err, -errno, "cannot open object %s/%s: %s", s->objects, rel,
			       strerror(errno));
	if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = err_set(err, -WHLC_ECORRUPT, "object %s/%s is not a regular file", s->objects,
			      rel);
		close(src);
		return ret;
	}
	token = store_writer_begin(s);
	if ((ret = store_tmp_create(s, &t, err)) < 0)
		goto out;
	if ((ret = store__copy_bytes(s, src, sha256, &t, err)) < 0)
		goto out;
	/* The object's mtime: the copy then checks against the object with one stat each. */
	struct timespec ts[2] = {st.st_atim, st.st_mtim};
	if (fchmod(t.fd, exec ? 0555 : 0444) < 0 || futimens(t.fd, ts) < 0 || fsync(t.fd) < 0) {
		ret = err_set(err, -errno, "cannot finish a copy of object %s: %s", rel,
			      strerror(errno));
		goto out;
	}
	if ((ret = store_tmp_close(&t, exec, err)) < 0)
		goto out;
	/* EEXIST: another install made it meanwhile, from the same verified bytes. */
	if (linkat(s->tmp_fd, t.name, s->copies_fd, name, 0) < 0 && errno != EEXIST) {
		ret = err_set(err, -errno, "cannot publish %s/%s: %s", s->copies, name,
			      strerror(errno));
		goto out;
	}
	if (fsync(s->copies_fd) < 0)
		ret = err_set(err, -errno, "cannot sync %s: %s", s->copies, strerror(errno));
out:
	store_tmp_discard(s, &t);
	store_writer_end(s, token);
	close(src);
	return ret;
}

/* Hash copy `name` completely; fills out like store_object_rehash. */
int store_copy_rehash(struct store *s, const char *name, struct store_check *out, struct err *err)
{
	uint8_t sha[32];
	unsigned k;
	int exec;

	memset(out, 0, sizeof(*out));
	if (store_copy_parse(name, sha, &exec, &k) < 0)
		return err_set(err, -EINVAL, "%s is not the name of a copy", name);
	return store_rehash_at(s->copies_fd, s->copies, name, sha, exec, out, err);
}

/* Check an existing copy against its object: 1 usable, 0 not there (any more), or an error. */
static int store__copy_check(struct store *s, const uint8_t sha256[32], int exec, const char *name,
			     struct err *err)
{
	char rel[STORE_RELPATH_MAX], qrel[STORE_COPY_NAME_MAX + 16];
	struct stat cst, ost;
	struct store_check ck;
	int ret;

	if (fstatat(s->copies_fd, name, &cst, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : err_set(err, -errno, "cannot stat %s/%s: %s", s->copies,
						 name, strerror(errno));
	store_object_relpath(sha256, exec, rel);
	if (fstatat(s->objects_fd, rel, &ost, AT_SYMLINK_NOFOLLOW) < 0)
		return err_set(err, -errno, "cannot stat object %s/%s: %s", s->objects, rel,
			       strerror(errno));
	if (S_ISREG(cst.st_mode) && (cst.st_mode & 07777) == (exec ? 0555u : 0444u) &&
	    store_stat_matches(&cst, ost.st_size, store_mtime_ns(&ost)))
		return 1;
	/* Changed since it was made (or restored from an archive): read it. */
	if ((ret = store_copy_rehash(s, name, &ck, err)) < 0)
		return ret;
	if (ck.status == STORE_CHECK_MISSING)
		return 0;
	if (ck.status == STORE_CHECK_BADMODE &&
	    fchmodat(s->copies_fd, name, exec ? 0555 : 0444, 0) < 0)
		return err_set(err, -errno, "cannot chmod %s/%s: %s", s->copies, name,
			       strerror(errno));
	if (ck.status != STORE_CHECK_CORRUPT) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, ost.st_mtim};
		utimensat(s->copies_fd, name, ts, AT_SYMLINK_NOFOLLOW); /* next check: one stat */
		return 1;
	}
	snprintf(qrel, sizeof(qrel), "../copies/%s", name);
	if ((ret = store_quarantine(s, qrel, err)) < 0)
		return ret;
	return 0;
}

/* Make copy k of an object ready to link. */
int store_copy_prepare(struct store *s, const uint8_t sha256[32], int exec, unsigned k,
		       struct err *err)
{
	char name[STORE_COPY_NAME_MAX];
	int ret;

	if (k < 1 || k > STORE_COPIES_MAX)
		return err_set(err, -EMLINK, "every copy of a cached object is at the link limit");
	store_copy_name(sha256, exec, k, name);
	for (int tries = 0; tries < 3; tries++) {
		if ((ret = store__copy_check(s, sha256, exec, name, err)) != 0)
			return ret < 0 ? ret : 0;
		if ((ret = store__copy_make(s, sha256, exec, name, err)) < 0)
			return ret;
	}
	return err_set(err, -EAGAIN, "copy %s/%s keeps disappearing", s->copies, name);
}

/* Call fn for every entry of the copies directory but . and ..; stops at a nonzero return. */
static int store__copy_each(struct store *s, int (*fn)(void *arg, const char *name), void *arg,
			    struct err *err)
{
	int dfd = dup(s->copies_fd), ret = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		ret = err_set(err, -errno, "cannot read %s: %s", s->copies, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return ret;
	}
	rewinddir(d);
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ret = fn(arg, de->d_name);
	}
	closedir(d);
	return ret;
}

struct store__usage {
	struct store *s;
	uint64_t n, bytes;
};

/* store__copy_each callback of store_copy_usage. */
static int store__usage_one(void *arg, const char *name)
{
	struct store__usage *u = arg;
	uint8_t sha[32];
	struct stat st;
	unsigned k;
	int exec;

	if (store_copy_parse(name, sha, &exec, &k) == 0 &&
	    fstatat(u->s->copies_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		u->n++;
		u->bytes += (uint64_t)st.st_size;
	}
	return 0;
}

/* Count the copies and their bytes. */
int store_copy_usage(struct store *s, uint64_t *copies, uint64_t *bytes, struct err *err)
{
	struct store__usage u = {s, 0, 0};
	int ret = store__copy_each(s, store__usage_one, &u, err);

	*copies = u.n;
	*bytes = u.bytes;
	return ret;
}

struct store__sweep {
	struct store *s;
	int (*orphan)(void *arg, const uint8_t sha256[32], int exec);
	void *arg;
	uint64_t removed, bytes;
};

/* store__copy_each callback of store_copy_sweep. */
static int store__sweep_one(void *arg, const char *name)
{
	struct store__sweep *w = arg;
	uint8_t sha[32];
	struct stat st;
	unsigned k;
	int exec, r;

	if (store_copy_parse(name, sha, &exec, &k) < 0)
		return 0;
	if ((r = w->orphan(w->arg, sha, exec)) <= 0)
		return r;
	if (fstatat(w->s->copies_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		st.st_size = 0;
	if (unlinkat(w->s->copies_fd, name, 0) == 0) {
		w->removed++;
		w->bytes += (uint64_t)st.st_size;
	}
	return 0;
}

/* Remove the copies whose object left the catalog. */
int store_copy_sweep(struct store *s, int (*orphan)(void *arg, const uint8_t sha256[32], int exec),
		     void *arg, uint64_t *removed, uint64_t *bytes, struct err *err)
{
	struct store__sweep w = {s, orphan, arg, 0, 0};
	int ret = store__copy_each(s, store__sweep_one, &w, err);

	if (ret < 0 && err->code == 0)
		err_set(err, ret, "cannot sweep %s: %s", s->copies, strerror(-ret));
	if (removed)
		*removed = w.removed;
	if (bytes)
		*bytes = w.bytes;
	return ret;
}
