/*
 * ingest.c: verify a wheel file and add it to the store and catalog: read and check
 * every member; catalog lookups and durable publishing are in ingest_publish.c.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "hash.h"
#include "ingest_int.h"
#include "record.h"
#include "strbuf.h"
#include "wheel_name.h"
#include "xalloc.h"

static const char *const ingest__special_names[SP__COUNT] = {"RECORD", "WHEEL", "METADATA",
							     "entry_points.txt"};

/* Fill a ctx with defaults for store/catalog (limits and memory threshold). */
void ingest_ctx_init(struct ingest_ctx *ix, struct store *s, struct catalog *c,
		     const struct failpoint *fp)
{
	memset(ix, 0, sizeof(*ix));
	ix->store = s;
	ix->catalog = c;
	ix->fp = fp;
	zip_limits_default(&ix->limits);
	ix->mem_member_max = INGEST_MEM_MEMBER_DEFAULT;
}

/* FNV-1a of a string. */
static uint64_t ingest__fnv(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *s++) * 0x100000001b3ull;
	return h;
}

/* Power of two >= 2n (load factor <= 1/2). */
static size_t ingest__table_cap(size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

/* Build the name -> index table over the zip index. */
static void ingest__index_names(struct ingest__job *j)
{
	j->name_cap = ingest__table_cap(j->zi.n);
	j->name_tab = xcalloc(j->name_cap, sizeof(size_t));
	for (size_t i = 0; i < j->zi.n; i++) {
		const char *name = j->zi.v[i].name;
		size_t h = (size_t)ingest__fnv(name, strlen(name)) & (j->name_cap - 1);
		while (j->name_tab[h] != 0)
			h = (h + 1) & (j->name_cap - 1);
		j->name_tab[h] = i + 1;
	}
}

/* Find a member by exact name; its index or SIZE_MAX. */
static size_t ingest__find_name(const struct ingest__job *j, const char *name)
{
	size_t h = (size_t)ingest__fnv(name, strlen(name)) & (j->name_cap - 1);

	for (; j->name_tab[h] != 0; h = (h + 1) & (j->name_cap - 1))
		if (strcmp(j->zi.v[j->name_tab[h] - 1].name, name) == 0)
			return j->name_tab[h] - 1;
	return SIZE_MAX;
}

/* Find an object of this ingest by (sha, exec); its slot in obj_tab. */
static size_t ingest__obj_slot(const struct ingest__job *j, const uint8_t sha[32], int exec)
{
	uint64_t k;
	size_t h;

	memcpy(&k, sha, sizeof(k));
	h = (size_t)(k ^ (uint64_t)exec) & (j->obj_cap - 1);
	for (; j->obj_tab[h] != 0; h = (h + 1) & (j->obj_cap - 1)) {
		const struct ingest__obj *o = &j->objs[j->obj_tab[h] - 1];
		if (o->exec == exec && memcmp(o->sha, sha, 32) == 0)
			break;
	}
	return h;
}

/* Add a member warning to the result. */
static void ingest__warn(struct ingest__job *j, char *msg)
{
	struct ingest_result *r = j->res;

	r->warnings = xreallocarray(r->warnings, r->n_warnings + 1, sizeof(char *));
	r->warnings[r->n_warnings++] = msg;
}

/* Locate the dist-info files kept in memory while reading. */
static void ingest__find_specials(struct ingest__job *j)
{
	for (int k = 0; k < SP__COUNT; k++) {
		char *p = xasprintf("%s/%s", j->layout.dist_info, ingest__special_names[k]);
		j->special_idx[k] = ingest__find_name(j, p);
		free(p);
	}
}

/* The special-file buffer for member idx, or NULL. */
static struct strbuf *ingest__special_for(struct ingest__job *j, size_t idx)
{
	for (int k = 0; k < SP__COUNT; k++)
		if (j->special_idx[k] == idx)
			return &j->special[k];
	return NULL;
}

/* Record the member's object: reuse one of this ingest, or keep/write a new one. */
static int ingest__add_object(struct ingest__job *j, size_t idx, const uint8_t sha[32],
			      struct store_tmp *tmp, int in_mem, struct err *err)
{
	const struct zip_entry *ze = &j->zi.v[idx];
	int exec = ze->executable ? 1 : 0, ret;
	size_t slot = ingest__obj_slot(j, sha, exec);
	struct ingest__obj *o;

	if (j->obj_tab[slot] != 0) {
		j->m[idx].obj = j->obj_tab[slot] - 1;
		store_tmp_discard(j->ix->store, tmp);
		return 0;
	}
	if (j->n_objs == j->cap_objs) {
		j->cap_objs = j->cap_objs ? 2 * j->cap_objs : 64;
		j->objs = xreallocarray(j->objs, j->cap_objs, sizeof(*j->objs));
	}
	o = &j->objs[j->n_objs];
	memset(o, 0, sizeof(*o));
	memcpy(o->sha, sha, 32);
	o->exec = exec;
	o->size = ze->uncomp_size;
	o->tmp.fd = -1;
	j->obj_tab[slot] = ++j->n_objs;
	j->m[idx].obj = j->n_objs - 1;
	store_reserve(j->ix->store, sha, exec); /* before looking: see store.h */
	o->reserved = 1;
	ret = store_object_exists(j->ix->store, sha, exec);
	if (ret < 0)
		return err_set(err, ret, "member '%s': cannot check the store: %s", ze->name,
			       strerror(-ret));
	if (ret == 1) {
		o->on_disk = 1;
		store_tmp_discard(j->ix->store, tmp);
		return 0;
	}
	if (in_mem) {
		if ((ret = store_tmp_create(j->ix->store, tmp, err)) < 0 ||
		    (ret = store_tmp_write(tmp, j->membuf.buf, j->membuf.len, err)) < 0)
			return err_prefix(err, "member '%s'", ze->name);
	}
	o->tmp = *tmp;
	tmp->fd = -1;
	tmp->name[0] = '\0';
	if ((ret = store_tmp_close(&o->tmp, exec, err)) < 0)
		return err_prefix(err, "member '%s'", ze->name);
	return 0;
}

/* libarchive's error message without its trailing newline. */
static const char *ingest__archive_err(struct archive *a, char *buf, size_t n)
{
	const char *m = archive_error_string(a);
	size_t len;

	snprintf(buf, n, "%s", m ? m : "unknown libarchive error");
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
}

/* Read one file member: inflate, hash, CRC and size checks, keep or stage its bytes. */
static int ingest__read_member(struct ingest__job *j, struct archive *a, size_t idx,
			       struct err *err)
{
	const struct zip_entry *ze = &j->zi.v[idx];
	int in_mem = ze->uncomp_size <= j->ix->mem_member_max;
	struct strbuf *keep = ingest__special_for(j, idx);
	struct store_tmp tmp = {.fd = -1};
	struct hash_sha256 h;
	uint8_t sha[32];
	uint32_t crc = 0;
	uint64_t got = 0;
	int ret = 0;

	if (keep && ze->uncomp_size > INGEST_SPECIAL_MAX)
		return err_set(err, -WHLC_ELIMIT,
			       "member '%s' is %llu bytes, more than the %u "
			       "allowed for this file",
			       ze->name, (unsigned long long)ze->uncomp_size, INGEST_SPECIAL_MAX);
	strbuf_reset(&j->membuf);
	if (!in_mem && (ret = store_tmp_create(j->ix->store, &tmp, err)) < 0)
		return err_prefix(err, "member '%s'", ze->name);
	hash_sha256_init(&h);
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			char m[256];
			ret = err_set(err, -WHLC_EHOSTILE, "member '%s': cannot be read: %s",
				      ze->name, ingest__archive_err(a, m, sizeof(m)));
			goto fail;
		}
		if (len == 0)
			continue; /* an empty member may come as a NULL block */
		if (off < 0 || (uint64_t)off != got) {
			ret = err_set(err, -WHLC_EHOSTILE, "member '%s': unexpected data offset",
				      ze->name);
			goto fail;
		}
		if (len > ze->uncomp_size - got) {
			ret = err_set(err, -WHLC_EHOSTILE,
				      "member '%s': inflates to more than its declared size of "
				      "%llu bytes",
				      ze->name, (unsigned long long)ze->uncomp_size);
			goto fail;
		}
		hash_sha256_update(&h, buf, len);
		crc = crc32_update(crc, buf, len);
		got += len;
		if (in_mem)
			strbuf_add(&j->membuf, buf, len);
		else if ((ret = store_tmp_write(&tmp, buf, len, err)) < 0) {
			err_prefix(err, "member '%s'", ze->name);
			goto fail;
		}
		if (keep)
			strbuf_add(keep, buf, len);
	}
	hash_sha256_final(&h, sha);
	j->res->bytes_read += got;
	if (got != ze->uncomp_size) {
		store_tmp_discard(j->ix->store, &tmp);
		return err_set(err, -WHLC_EHOSTILE,
			       "member '%s': inflates to %llu bytes, the central directory says "
			       "%llu",
			       ze->name, (unsigned long long)got,
			       (unsigned long long)ze->uncomp_size);
	}
	if (crc != ze->crc32) {
		store_tmp_discard(j->ix->store, &tmp);
		return err_set(err, -WHLC_EHOSTILE,
			       "member '%s': CRC-32 %08x does not match the central directory's "
			       "%08x",
			       ze->name, crc, ze->crc32);
	}
	ret = ingest__add_object(j, idx, sha, &tmp, in_mem, err);
	store_tmp_discard(j->ix->store, &tmp);
	return ret;
fail:
	hash_sha256_final(&h, sha);
	store_tmp_discard(j->ix->store, &tmp);
	return ret;
}

/* Read every member once with libarchive's seekable zip reader. */
static int ingest__read_members(struct ingest__job *j, struct err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	size_t nseen = 0;
	int ret = 0, r;
	/* libarchive converts names to this thread's locale; in the daemon's C
	 * locale non-ASCII UTF-8 names would not convert. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;

	archive_read_support_format_zip_seekable(a);
	/*
	 * libarchive's own CRC-32 pass is redundant: zip_index_read checked every
	 * local header and descriptor CRC against the central directory, and
	 * ingest__read_member checks the inflated bytes against it. Without the
	 * option (an older libarchive) both passes run, as before.
	 */
	archive_read_set_options(a, "zip:ignorecrc32");
	if (lseek(j->fd, 0, SEEK_SET) < 0 ||
	    archive_read_open_fd(a, j->fd, INGEST_READ_BLOCK) != ARCHIVE_OK) {
		char m[256];
		ret = err_set(err, -WHLC_EBADWHEEL, "cannot open as a zip archive: %s",
			      ingest__archive_err(a, m, sizeof(m)));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		/* ARCHIVE_WARN: e.g. a name not convertible to the locale; the name is
		 * then matched against the (validated) central directory below. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			char m[256];
			ret = err_set(err, -WHLC_EHOSTILE, "cannot read the archive: %s",
				      ingest__archive_err(a, m, sizeof(m)));
			goto out;
		}
		const char *name = archive_entry_pathname_utf8(ae);
		if (name == NULL)
			name = archive_entry_pathname(ae);
		size_t idx = name ? ingest__find_name(j, name) : SIZE_MAX;
		if (idx == SIZE_MAX || j->m[idx].seen) {
			ret =
			    err_set(err, -WHLC_EHOSTILE,
				    "member '%s': read by libarchive but %s the central directory",
				    name ? name : "?", idx == SIZE_MAX ? "not in" : "twice from");
			goto out;
		}
		j->m[idx].seen = 1;
		nseen++;
		if (j->zi.v[idx].is_dir)
			continue;
		if ((ret = ingest__read_member(j, a, idx, err)) < 0)
			goto out;
	}
	if (nseen != j->zi.n) {
		for (size_t i = 0; i < j->zi.n; i++)
			if (!j->m[i].seen) {
				ret = err_set(err, -WHLC_EHOSTILE,
					      "member '%s': in the central directory but not read "
					      "by libarchive",
					      j->zi.v[i].name);
				break;
			}
	}
out:
	archive_read_free(a);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return ret;
}

/* Digest a staged or stored object with another algorithm (sha384/sha512 RECORD rows). */
static int ingest__digest_obj(struct ingest__job *j, const struct ingest__obj *o, const char *algo,
			      uint8_t *out, unsigned *out_len)
{
	const EVP_MD *md = EVP_get_digestbyname(algo);
	EVP_MD_CTX *ctx;
	char buf[65536];
	ssize_t n;
	int fd, ret = 0;

	if (md == NULL)
		return -EINVAL;
	fd = o->tmp.name[0] ? openat(j->ix->store->tmp_fd, o->tmp.name, O_RDONLY | O_CLOEXEC)
			    : store_object_open(j->ix->store, o->sha, o->exec);
	if (fd < 0)
		return fd == -1 ? -errno : fd;
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, md, NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n < 0)
		ret = -errno;
	EVP_DigestFinal_ex(ctx, out, out_len);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return ret;
}

/* Check one file member against its RECORD row. */
static int ingest__check_row(struct ingest__job *j, size_t i, const struct record *rec,
			     struct err *err)
{
	const struct zip_entry *ze = &j->zi.v[i];
	const struct ingest__obj *o = &j->objs[j->m[i].obj];
	const struct record_row *row = record_find(rec, ze->name);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char have[HASH_SHA256_B64_LEN + 1], want[RECORD_DIGEST_MAX * 2];

	if (row == NULL)
		return err_set(err, -WHLC_ERECORD, "member '%s' is not listed in RECORD", ze->name);
	if (row->digest_len == 0)
		return err_set(err, -WHLC_ERECORD, "member '%s' has no hash in RECORD", ze->name);
	if (strcmp(row->algo, "sha256") == 0) {
		memcpy(d, o->sha, 32);
		dlen = 32;
	} else if (ingest__digest_obj(j, o, row->algo, d, &dlen) < 0) {
		return err_set(err, -WHLC_ERECORD, "member '%s': cannot compute its %s digest",
			       ze->name, row->algo);
	}
	if (dlen != row->digest_len || memcmp(d, row->digest, dlen) != 0) {
		hash_to_b64url(row->digest, row->digest_len, want);
		if (dlen == 32) {
			hash_to_b64url(d, 32, have);
			return err_set(err, -WHLC_ERECORD,
				       "member '%s': %s does not match RECORD (archive %s, RECORD "
				       "%s)",
				       ze->name, row->algo, have, want);
		}
		return err_set(err, -WHLC_ERECORD, "member '%s': %s does not match RECORD",
			       ze->name, row->algo);
	}
	if (row->size < 0)
		return err_set(err, -WHLC_ERECORD, "member '%s' has no size in RECORD", ze->name);
	if ((uint64_t)row->size != ze->uncomp_size)
		return err_set(err, -WHLC_ERECORD,
			       "member '%s': size %llu does not match RECORD's %lld", ze->name,
			       (unsigned long long)ze->uncomp_size, (long long)row->size);
	return 0;
}

/* RECORD: every member listed with matching digest and size; every row names a member. */
static int ingest__check_record(struct ingest__job *j, struct err *err)
{
	const struct strbuf *sb = &j->special[SP_RECORD];
	const char *di = j->layout.dist_info;
	struct record rec;
	int ret;

	if ((ret = record_parse(sb->buf ? sb->buf : "", sb->len, j->zi.n + 16, &rec, err)) < 0)
		return err_prefix(err, "member '%s/RECORD'", di);
	for (size_t i = 0; i < j->zi.n; i++) {
		if (j->zi.v[i].is_dir || ingest_is_record_file(di, j->zi.v[i].name))
			continue;
		if ((ret = ingest__check_row(j, i, &rec, err)) < 0)
			goto out;
	}
	for (size_t r = 0; r < rec.n; r++) {
		const char *p = rec.rows[r].path;
		size_t idx = ingest__find_name(j, p);
		if ((idx != SIZE_MAX && !j->zi.v[idx].is_dir) || ingest_is_record_file(di, p))
			continue;
		ret = err_set(err, -WHLC_ERECORD,
			      "RECORD lists '%s', which is not a file in the wheel", p);
		goto out;
	}
out:
	record_free(&rec);
	return ret;
}

/* Validate WHEEL, METADATA and RECORD once all members are read. */
static int ingest__check_contents(struct ingest__job *j, struct err *err)
{
	const struct strbuf *w = &j->special[SP_WHEEL], *m = &j->special[SP_METADATA];
	int newer = 0, ret;

	if ((ret = ingest_check_wheel(w->buf ? w->buf : "", w->len, &j->res->wheel.purelib, &newer,
				      err)) < 0)
		return err_prefix(err, "member '%s/WHEEL'", j->layout.dist_info);
	if (newer)
		ingest__warn(j, xasprintf("%s: %s/WHEEL declares a Wheel-Version newer than 1.0; "
					  "installing anyway",
					  j->base, j->layout.dist_info));
	if ((ret = ingest_check_metadata(m->buf ? m->buf : "", m->len, &j->wn, err)) < 0)
		return err_prefix(err, "member '%s/METADATA'", j->layout.dist_info);
	return ingest__check_record(j, err);
}

/* Steps 1-4: 1 on a hit, 0 staged (see ingest_int.h). */
int ingest__stage(struct ingest__job *j, struct err *err)
{
	int ret;

	if (fstat(j->fd, &j->st) < 0)
		return err_set(err, -errno, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(j->st.st_mode))
		return err_set(err, -EINVAL, "not a regular file");
	if ((ret = wheel_name_parse(j->base, &j->wn, err)) < 0)
		return ret;
	if ((ret = ingest__lookup(j, err)) != 0)
		return ret;
	/* A snapshot: a configuration reload may change the two configurable limits meanwhile
	 * (cache_apply_limits), so those are read atomically; the others never change. */
	const struct zip_limits *cur = &j->ix->limits;
	struct zip_limits lim = {
	    .max_members = cur->max_members,
	    .max_total_size = __atomic_load_n(&cur->max_total_size, __ATOMIC_RELAXED),
	    .max_member_size = cur->max_member_size,
	    .max_ratio = __atomic_load_n(&cur->max_ratio, __ATOMIC_RELAXED),
	    .ratio_min_size = cur->ratio_min_size,
	};
	if ((ret = zip_index_read(j->fd, (uint64_t)j->st.st_size, &lim, &j->zi, err)) < 0)
		return ret;
	if ((ret = ingest_check_layout(&j->zi, &j->wn, &j->layout, err)) < 0)
		return ret;
	j->m = xcalloc(j->zi.n ? j->zi.n : 1, sizeof(*j->m));
	ingest__index_names(j);
	ingest__find_specials(j);
	j->obj_cap = ingest__table_cap(j->zi.n);
	j->obj_tab = xcalloc(j->obj_cap, sizeof(size_t));
	if ((ret = ingest__read_members(j, err)) < 0 || (ret = ingest__check_contents(j, err)) < 0)
		return ret;
	ingest__fill_wheel(j);
	return 0;
}

/* Prefix a failed ingest's message with the wheel, plus the hint when the disk is full. */
void ingest__fail_msg(const struct ingest_ctx *ix, const char *base, int ret, struct err *err)
{
	size_t n;

	err_prefix(err, "%s", base);
	if (ret != -ENOSPC && ret != -EDQUOT)
		return;
	/* Tell the user what to do (nothing was kept). */
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n,
		 "; nothing was added: free space on the filesystem of the cache %s and retry",
		 ix->store->cache_dir);
}

/* Ingest the wheel at path (see ingest.h). */
int ingest_wheel(const struct ingest_ctx *ix, const char *path, struct ingest_result *res,
		 struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		memset(res, 0, sizeof(*res));
		return err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	}
	ret = ingest_wheel_fd(ix, fd, path, 0, res, err);
	close(fd);
	return ret;
}

/* Set up a job for the wheel open on fd, named by path (nothing acquired yet). */
void ingest__job_init(struct ingest__job *j, const struct ingest_ctx *ix, int fd, const char *path,
		      unsigned flags, struct ingest_result *res)
{
	const char *slash = strrchr(path, '/');

	memset(res, 0, sizeof(*res));
	memset(j, 0, sizeof(*j));
	j->ix = ix;
	j->path = path;
	j->base = slash ? slash + 1 : path;
	j->res = res;
	j->fd = fd;
	j->flags = flags;
}

/* Free what only steps 1-4 need (the member reader's buffers and name table). */
void ingest__job_trim(struct ingest__job *j)
{
	for (int k = 0; k < SP__COUNT; k++)
		strbuf_free(&j->special[k]);
	strbuf_free(&j->membuf);
	free(j->name_tab);
	j->name_tab = NULL;
	free(j->obj_tab);
	j->obj_tab = NULL;
}

/* Discard the job's remaining temporaries and free it (not the result, not j itself). */
void ingest__job_free(struct ingest__job *j)
{
	for (size_t i = 0; i < j->n_objs; i++) {
		store_tmp_discard(j->ix->store, &j->objs[i].tmp);
		if (j->objs[i].reserved)
			store_unreserve(j->ix->store, j->objs[i].sha, j->objs[i].exec);
	}
	ingest__job_trim(j);
	free(j->objs);
	free(j->m);
	ingest_layout_free(&j->layout);
	zip_index_free(&j->zi);
	wheel_name_free(&j->wn);
	j->objs = NULL;
	j->m = NULL;
	j->n_objs = 0;
}

/* Ingest the wheel open on fd, named by path (see ingest.h). */
int ingest_wheel_fd(const struct ingest_ctx *ix, int fd, const char *path, unsigned flags,
		    struct ingest_result *res, struct err *err)
{
	struct ingest__job j, *jp = &j;
	uint64_t writer;
	int ret;

	ingest__job_init(&j, ix, fd, path, flags, res);
	j.cc = catalog_acquire(ix->catalog, err);
	if (j.cc == NULL) {
		ret = err->code ? err->code : -WHLC_ECORRUPT;
		goto out_res;
	}
	writer = store_writer_begin(ix->store);
	ret = ingest__stage(&j, err);
	if (ret == 0)
		ret = ingest__publish_jobs(ix, &jp, 1, NULL, err);
	if (ret > 0)
		ret = 0; /* a hit */
	if (ret < 0)
		ingest__fail_msg(ix, j.base, ret, err);
	catalog_release(ix->catalog, j.cc);
	ingest__job_free(&j);
	store_writer_end(ix->store, writer);
out_res:
	if (ret < 0)
		ingest_result_free(res);
	return ret;
}

/* Release a result. */
void ingest_result_free(struct ingest_result *res)
{
	catalog_wheel_free(&res->wheel);
	for (size_t i = 0; i < res->n_warnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	memset(res, 0, sizeof(*res));
}
