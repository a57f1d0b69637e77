/*
 * zipcheck.c: structural validation of a zip file before libarchive reads it: central
 * directory, local headers, layout. End records: zipend.c; member names: zipname.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "zipcheck.h"
#include "zipcheck_int.h"

#define ZIP_FLAG_ENCRYPTED  0x0001u
#define ZIP_FLAG_DESCRIPTOR 0x0008u
#define ZIP_FLAG_STRONG	    0x0040u
#define ZIP_FLAG_UTF8	    0x0800u
#define ZIP_FLAG_MASKED	    0x2000u /* central directory encryption */
/* Flags whose disagreement between local header and central directory changes how a reader
 * decodes the entry. */
#define ZIP_FLAGS_COMPARED                                                                         \
	(ZIP_FLAG_ENCRYPTED | ZIP_FLAG_DESCRIPTOR | ZIP_FLAG_STRONG | ZIP_FLAG_UTF8 |              \
	 ZIP_FLAG_MASKED)

/*
 * Default limits. The largest real wheels (torch, tensorflow, nvidia-*) are
 * about 2.5 GB uncompressed in a few tens of thousands of members, with an
 * average compression ratio under 10; single data or .so members compress
 * 50-100x at most, while a run of zeros deflates about 1030x. So: 200000
 * members, 4 GiB per member, 8 GiB in total, and a ratio of 500 checked only
 * for members (and totals) above 1 MiB, where a bomb would matter. The exact
 * sizes are verified after inflating (spec K.52); these are the claims.
 */
void zip_limits_default(struct zip_limits *l)
{
	l->max_members = 200000;
	l->max_total_size = 8ull << 30;
	l->max_member_size = 4ull << 30;
	l->max_ratio = 500;
	l->ratio_min_size = 1ull << 20;
}

/* Printable rendering of a raw member name for messages (non-printables as \xNN). */
const char *zip__q(const char *s, size_t len, char *buf, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (len > 0 && o + 5 >= cap && o + 4 <= cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Read exactly n bytes at off; a file shorter than announced is a bad wheel. */
int zip__pread(struct zip__ctx *c, void *buf, size_t n, uint64_t off, const char *what)
{
	size_t got = 0;

	if (off > c->size || n > c->size - off)
		return err_set(c->err, -WHLC_EBADWHEEL, "zip truncated: %s lies outside the file",
			       what);
	while (got < n) {
		ssize_t r = pread(c->fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(c->err, -errno, "reading %s: %s", what, strerror(errno));
		if (r == 0)
			return err_set(c->err, -WHLC_EBADWHEEL,
				       "zip truncated: file ended while reading %s", what);
		got += (size_t)r;
	}
	return 0;
}

/* Member name of e for messages. */
#define ZN(e) ((e)->name)

/*
 * Apply the zip64 extended information (0x0001) of an extra block to the
 * fields holding sentinels, in the order the format fixes; reject a Unicode
 * path field (0x7075) naming something else than the header name, since
 * libarchive would use it where other readers use the header name.
 */
static int zip__extra(struct zip__ctx *c, const uint8_t *x, size_t xlen, const char *name,
		      size_t nlen, uint64_t *usize, uint64_t *csize, uint64_t *offset,
		      uint32_t *disk, int *zip64, const char *where)
{
	char q[160];
	int seen64 = 0;

	/* Python's zipfile ignores fewer than 4 trailing bytes; so do we. */
	for (size_t i = 0; i + 4 <= xlen;) {
		uint16_t id = rd16(x + i), sz = rd16(x + i + 2);
		const uint8_t *d = x + i + 4;

		if (sz > xlen - i - 4)
			return err_set(c->err, -WHLC_EHOSTILE,
				       "member '%s': corrupt %s extra field",
				       zip__q(name, nlen, q, sizeof(q)), where);
		if (id == 0x0001) {
			size_t o = 0;

			if (seen64++)
				return err_set(c->err, -WHLC_EHOSTILE,
					       "member '%s': two zip64 extra fields in %s",
					       zip__q(name, nlen, q, sizeof(q)), where);
			uint64_t *f[3] = {usize, csize, offset};
			for (int k = 0; k < 3; k++) {
				if (f[k] == NULL || *f[k] != ZIP_SENT32)
					continue;
				if (o + 8 > sz)
					return err_set(
					    c->err, -WHLC_EHOSTILE,
					    "member '%s': zip64 extra field in %s is too "
					    "short",
					    zip__q(name, nlen, q, sizeof(q)), where);
				*f[k] = rd64(d + o);
				o += 8;
			}
			if (disk && *disk == ZIP_SENT16) {
				if (o + 4 > sz)
					return err_set(
					    c->err, -WHLC_EHOSTILE,
					    "member '%s': zip64 extra field in %s is too "
					    "short",
					    zip__q(name, nlen, q, sizeof(q)), where);
				*disk = rd32(d + o);
			}
			*zip64 = 1;
		} else if (id == 0x7075) {
			if (sz < 5 || (size_t)sz - 5 != nlen || memcmp(d + 5, name, nlen) != 0)
				return err_set(
				    c->err, -WHLC_EHOSTILE,
				    "member '%s': Unicode path extra field in %s names a "
				    "different file",
				    zip__q(name, nlen, q, sizeof(q)), where);
		}
		i += 4 + (size_t)sz;
	}
	for (int k = 0; k < 3; k++) {
		const uint64_t *f = k == 0 ? usize : k == 1 ? csize : offset;
		if (f && *f == ZIP_SENT32 && !*zip64)
			return err_set(
			    c->err, -WHLC_EHOSTILE,
			    "member '%s': zip64 sizes announced but no zip64 extra field in "
			    "%s",
			    zip__q(name, nlen, q, sizeof(q)), where);
	}
	return 0;
}

/* Per-entry checks on the central directory view: flags, method, type, limits. */
static int zip__check_entry(struct zip__ctx *c, struct zip_entry *e, uint64_t *total,
			    uint64_t *total_comp)
{
	const struct zip_limits *l = c->lim;
	uint32_t mode = e->external_attr >> 16, type = mode & S_IFMT;

	if (e->flags & (ZIP_FLAG_ENCRYPTED | ZIP_FLAG_STRONG | ZIP_FLAG_MASKED))
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': encrypted entries are not allowed", ZN(e));
	if (e->method != 0 && e->method != 8)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': compression method %u is not allowed (only stored and "
			       "deflate)",
			       ZN(e), e->method);
	if (type != 0 && type != S_IFREG && type != S_IFDIR) {
		const char *what = type == S_IFLNK			? "a symlink"
				   : type == S_IFIFO			? "a fifo"
				   : type == S_IFSOCK			? "a socket"
				   : type == S_IFCHR || type == S_IFBLK ? "a device"
									: "an unknown file type";
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': is %s; only regular files allowed", ZN(e), what);
	}
	if (type == S_IFDIR && !e->is_dir)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': directory mode on a name not ending in '/'", ZN(e));
	if (e->is_dir && (e->uncomp_size != 0 || e->comp_size > 2))
		return err_set(c->err, -WHLC_EHOSTILE, "member '%s': a directory entry with data",
			       ZN(e));
	e->executable = type == S_IFREG && (mode & 0111) != 0;
	if (e->method == 0 && e->comp_size != e->uncomp_size)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': stored entry with different compressed and "
			       "uncompressed sizes",
			       ZN(e));
	if (e->uncomp_size > l->max_member_size)
		return err_set(c->err, -WHLC_ELIMIT,
			       "member '%s': %llu bytes uncompressed exceeds the member limit of "
			       "%llu",
			       ZN(e), (unsigned long long)e->uncomp_size,
			       (unsigned long long)l->max_member_size);
	if (e->uncomp_size > l->ratio_min_size &&
	    (e->comp_size == 0 || e->uncomp_size / e->comp_size > l->max_ratio))
		return err_set(c->err, -WHLC_ELIMIT,
			       "member '%s': compression ratio above %llu (%llu -> %llu bytes): "
			       "possible zip bomb",
			       ZN(e), (unsigned long long)l->max_ratio,
			       (unsigned long long)e->comp_size,
			       (unsigned long long)e->uncomp_size);
	*total_comp += e->comp_size;
	if (e->uncomp_size > l->max_total_size - *total)
		*total = UINT64_MAX;
	else
		*total += e->uncomp_size;
	if (*total > l->max_total_size)
		return err_set(c->err, -WHLC_ELIMIT,
			       "total uncompressed size exceeds the limit of %llu bytes (at member "
			       "'%s')",
			       (unsigned long long)l->max_total_size, ZN(e));
	return 0;
}

/* Parse the central directory in cd (d->cd_size bytes) into out. */
static int zip__parse_cd(struct zip__ctx *c, const uint8_t *cd, const struct zip__dir *d,
			 struct zip_index *out)
{
	uint64_t total = 0, total_comp = 0;
	size_t p = 0;
	int rc;

	out->v = xcalloc((size_t)d->count, sizeof(*out->v));
	for (uint64_t i = 0; i < d->count; i++) {
		if (d->cd_size - p < ZIP_CDH_LEN || memcmp(cd + p, "PK\1\2", 4) != 0)
			return err_set(c->err, -WHLC_EHOSTILE,
				       "central directory entry %llu is missing or garbled",
				       (unsigned long long)i + 1);
		const uint8_t *h = cd + p;
		size_t nlen = rd16(h + 28), xlen = rd16(h + 30), clen = rd16(h + 32);
		if (d->cd_size - p - ZIP_CDH_LEN < nlen + xlen + clen)
			return err_set(c->err, -WHLC_EHOSTILE,
				       "central directory entry %llu runs past the directory",
				       (unsigned long long)i + 1);
		const char *name = (const char *)h + ZIP_CDH_LEN;
		if ((rc = zip__check_name(c, name, nlen)) < 0)
			return rc;
		struct zip_entry *e = &out->v[out->n];
		uint64_t usize = rd32(h + 24), csize = rd32(h + 20), off = rd32(h + 42);
		uint32_t disk = rd16(h + 34);
		int z64 = 0;
		if ((rc = zip__extra(c, h + ZIP_CDH_LEN + nlen, xlen, name, nlen, &usize, &csize,
				     &off, &disk, &z64, "the central directory")) < 0)
			return rc;
		e->name = xstrndup(name, nlen);
		out->n++;
		if (disk != 0)
			return err_set(c->err, -WHLC_EHOSTILE, "member '%s': on another disk",
				       ZN(e));
		e->version_made_by = rd16(h + 4);
		e->flags = rd16(h + 8);
		e->method = rd16(h + 10);
		e->crc32 = rd32(h + 16);
		e->comp_size = csize;
		e->uncomp_size = usize;
		e->external_attr = rd32(h + 38);
		e->local_offset = off;
		e->is_dir = name[nlen - 1] == '/';
		if ((rc = zip__check_entry(c, e, &total, &total_comp)) < 0)
			return rc;
		p += ZIP_CDH_LEN + nlen + xlen + clen;
	}
	if (p != d->cd_size)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "%llu unexplained bytes at the end of the central directory",
			       (unsigned long long)(d->cd_size - p));
	if (total > c->lim->ratio_min_size &&
	    (total_comp == 0 || total / total_comp > c->lim->max_ratio))
		return err_set(c->err, -WHLC_ELIMIT,
			       "overall compression ratio above %llu: possible zip bomb",
			       (unsigned long long)c->lim->max_ratio);
	out->total_uncomp = total;
	return 0;
}

/*
 * Check a data descriptor at pos against the central directory: optional
 * signature, CRC, then sizes of 8 bytes for zip64 entries and 4 otherwise.
 * Sets *len to its length.
 */
static int zip__descriptor(struct zip__ctx *c, const struct zip_entry *e, uint64_t pos,
			   uint64_t limit, int z64, uint64_t *len)
{
	uint8_t b[24] = {0};
	size_t w = z64 ? 8 : 4, avail = limit - pos < sizeof(b) ? (size_t)(limit - pos) : sizeof(b);
	int rc;

	if ((rc = zip__pread(c, b, avail, pos, "a data descriptor")) < 0)
		return rc;
	/* The signature is optional; try the layout with it first. */
	for (size_t sig = 4;; sig = 0) {
		const uint8_t *p = b + sig;
		size_t n = sig + 4 + 2 * w;

		if (n <= avail && (sig == 0 || memcmp(b, "PK\7\10", 4) == 0)) {
			uint64_t cs = w == 8 ? rd64(p + 4) : rd32(p + 4);
			uint64_t us = w == 8 ? rd64(p + 4 + w) : rd32(p + 4 + w);

			if (rd32(p) == e->crc32 && cs == e->comp_size && us == e->uncomp_size) {
				*len = n;
				return 0;
			}
		}
		if (sig == 0)
			break;
	}
	return err_set(c->err, -WHLC_EHOSTILE,
		       "member '%s': data descriptor is missing or disagrees with the central "
		       "directory",
		       ZN(e));
}

/*
 * Compare the local header of e with its central directory entry and compute
 * where the entry (data plus descriptor) ends. limit is the central directory
 * offset: nothing of an entry may lie beyond it.
 */
static int zip__check_local(struct zip__ctx *c, struct zip_entry *e, uint64_t limit, uint64_t *end)
{
	uint8_t h[ZIP_LFH_LEN];
	uint8_t *nx = NULL;
	int rc;

	if (e->local_offset > limit || limit - e->local_offset < ZIP_LFH_LEN)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': local header lies outside the file's data area",
			       ZN(e));
	if ((rc = zip__pread(c, h, sizeof(h), e->local_offset, "a local header")) < 0)
		return rc;
	if (memcmp(h, "PK\3\4", 4) != 0)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': no local header at offset %llu", ZN(e),
			       (unsigned long long)e->local_offset);
	size_t nlen = rd16(h + 26), xlen = rd16(h + 28);
	uint64_t data = e->local_offset + ZIP_LFH_LEN + nlen + xlen;
	if (data > limit)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "member '%s': local header runs into the central directory", ZN(e));
	nx = xmalloc(nlen + xlen + 1);
	if ((rc = zip__pread(c, nx, nlen + xlen, e->local_offset + ZIP_LFH_LEN, "a local header")) <
	    0)
		goto out;
	rc = -WHLC_EHOSTILE;
	if (nlen != strlen(e->name) || memcmp(nx, e->name, nlen) != 0) {
		char q[160];
		err_set(c->err, rc, "member '%s': local header names '%s' instead", ZN(e),
			zip__q((char *)nx, nlen, q, sizeof(q)));
		goto out;
	}
	uint16_t flags = rd16(h + 6);
	if ((flags & ZIP_FLAGS_COMPARED) != (e->flags & ZIP_FLAGS_COMPARED) ||
	    rd16(h + 8) != e->method) {
		err_set(c->err, rc,
			"member '%s': local header flags or method disagree with the central "
			"directory",
			ZN(e));
		goto out;
	}
	uint64_t csize = rd32(h + 18), usize = rd32(h + 22);
	uint32_t crc = rd32(h + 14);
	int z64 = 0;
	if ((rc = zip__extra(c, nx + nlen, xlen, e->name, nlen, &usize, &csize, NULL, NULL, &z64,
			     "the local header")) < 0)
		goto out;
	rc = -WHLC_EHOSTILE;
	int desc = (e->flags & ZIP_FLAG_DESCRIPTOR) != 0;
	/* With a descriptor, writers may leave zeros in the local header or fill in the values. */
	int zeros = desc && crc == 0 && csize == 0 && usize == 0;
	if (!zeros && (crc != e->crc32 || csize != e->comp_size || usize != e->uncomp_size)) {
		err_set(c->err, rc,
			"member '%s': local header CRC or sizes disagree with the central "
			"directory",
			ZN(e));
		goto out;
	}
	e->data_offset = data;
	if (e->comp_size > limit - data) {
		err_set(c->err, rc, "member '%s': data runs into the central directory", ZN(e));
		goto out;
	}
	*end = data + e->comp_size;
	if (desc) {
		uint64_t dlen = 0;

		if ((rc = zip__descriptor(c, e, *end, limit,
					  z64 || e->comp_size >= ZIP_SENT32 ||
					      e->uncomp_size >= ZIP_SENT32,
					  &dlen)) < 0)
			goto out;
		*end += dlen;
	}
	rc = 0;
out:
	free(nx);
	return rc;
}

/* qsort adapter: entries by exact name. */
static int zip__strcmp(const void *a, const void *b)
{
	return strcmp((*(struct zip_entry *const *)a)->name, (*(struct zip_entry *const *)b)->name);
}

/* qsort adapter: entries by local header offset. */
static int zip__offcmp(const void *a, const void *b)
{
	const struct zip_entry *x = *(struct zip_entry *const *)a,
			       *y = *(struct zip_entry *const *)b;

	return x->local_offset < y->local_offset ? -1 : x->local_offset > y->local_offset;
}

/*
 * The entries must tile [0, cd_offset) exactly: no bytes before the first
 * local header, no gaps (where a local entry absent from the central
 * directory could hide), no overlaps.
 */
static int zip__check_layout(struct zip__ctx *c, struct zip_index *zi, uint64_t cd_offset)
{
	struct zip_entry **v = xreallocarray(NULL, zi->n, sizeof(*v));
	uint64_t at = 0;
	const char *prev = NULL;
	int rc = 0;

	for (size_t i = 0; i < zi->n; i++)
		v[i] = &zi->v[i];
	qsort(v, zi->n, sizeof(*v), zip__offcmp);
	for (size_t i = 0; i < zi->n; i++) {
		uint64_t end = 0;

		if (v[i]->local_offset >= cd_offset) {
			rc =
			    err_set(c->err, -WHLC_EHOSTILE,
				    "member '%s': local header offset %llu lies outside the file's "
				    "data area",
				    v[i]->name, (unsigned long long)v[i]->local_offset);
			goto out;
		}
		if (v[i]->local_offset < at) {
			rc = err_set(c->err, -WHLC_EHOSTILE, "member '%s' overlaps member '%s'",
				     v[i]->name, prev);
			goto out;
		}
		if (v[i]->local_offset > at) {
			if (prev)
				rc = err_set(c->err, -WHLC_EHOSTILE,
					     "%llu unaccounted bytes between members '%s' and '%s'",
					     (unsigned long long)(v[i]->local_offset - at), prev,
					     v[i]->name);
			else
				rc = err_set(
				    c->err, -WHLC_EHOSTILE,
				    "%llu bytes of unknown data before the first member '%s'",
				    (unsigned long long)v[i]->local_offset, v[i]->name);
			goto out;
		}
		if ((rc = zip__check_local(c, v[i], cd_offset, &end)) < 0)
			goto out;
		at = end;
		prev = v[i]->name;
	}
	if (at != cd_offset)
		rc = err_set(c->err, -WHLC_EHOSTILE,
			     "%llu unaccounted bytes before the central directory",
			     (unsigned long long)(cd_offset - at));
out:
	free(v);
	return rc;
}

/* Read and validate the central directory of the zip in fd (size bytes). */
int zip_index_read(int fd, uint64_t size, const struct zip_limits *lim, struct zip_index *out,
		   struct err *err)
{
	struct zip_limits deflim;
	struct zip__ctx c = {fd, size, lim, err};
	struct zip__dir d = {0};
	uint8_t *cd = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (lim == NULL) {
		zip_limits_default(&deflim);
		c.lim = &deflim;
	}
	if (size < ZIP_EOCD_LEN)
		return err_set(err, -WHLC_EBADWHEEL, "not a zip file (only %llu bytes)",
			       (unsigned long long)size);
	if ((rc = zip__read_end(&c, &d)) < 0)
		goto fail;
	rc = -WHLC_EHOSTILE;
	if (d.cd_size <= d.cd_end_expected && d.cd_offset < d.cd_end_expected - d.cd_size) {
		/* Offsets not adjusted after prepending (a self-extractor stub, a script). */
		err_set(err, rc,
			"%llu bytes of unknown data before the zip (prepended data, or a misplaced "
			"central directory)",
			(unsigned long long)(d.cd_end_expected - d.cd_size - d.cd_offset));
		goto fail;
	}
	if (d.cd_offset > d.cd_end_expected || d.cd_end_expected - d.cd_offset != d.cd_size) {
		err_set(err, rc,
			"central directory (offset %llu, %llu bytes) overlaps the end record",
			(unsigned long long)d.cd_offset, (unsigned long long)d.cd_size);
		goto fail;
	}
	/* Bounds what the input can make us allocate: every entry takes 46 bytes. */
	if (d.count > d.cd_size / ZIP_CDH_LEN) {
		err_set(err, rc, "zip claims %llu members in a %llu-byte central directory",
			(unsigned long long)d.count, (unsigned long long)d.cd_size);
		goto fail;
	}
	if (d.count > c.lim->max_members) {
		rc = err_set(err, -WHLC_ELIMIT, "zip has %llu members, more than the limit of %llu",
			     (unsigned long long)d.count, (unsigned long long)c.lim->max_members);
		goto fail;
	}
	if (d.cd_size > SIZE_MAX / 2) {
		err_set(err, rc, "central directory too large");
		goto fail;
	}
	cd = xmalloc((size_t)d.cd_size);
	if ((rc = zip__pread(&c, cd, (size_t)d.cd_size, d.cd_offset, "the central directory")) < 0)
		goto fail;
	if ((rc = zip__parse_cd(&c, cd, &d, out)) < 0)
		goto fail;
	if ((rc = zip__check_dups(&c, out)) < 0)
		goto fail;
	if ((rc = zip__check_layout(&c, out, d.cd_offset)) < 0)
		goto fail;
	out->by_name = xreallocarray(NULL, out->n, sizeof(*out->by_name));
	for (size_t i = 0; i < out->n; i++)
		out->by_name[i] = &out->v[i];
	qsort(out->by_name, out->n, sizeof(*out->by_name), zip__strcmp);
	free(cd);
	return 0;
fail:
	free(cd);
	zip_index_free(out);
	return rc;
}

/* Release the index. */
void zip_index_free(struct zip_index *zi)
{
	for (size_t i = 0; i < zi->n; i++)
		free(zi->v[i].name);
	free(zi->v);
	free(zi->by_name);
	memset(zi, 0, sizeof(*zi));
}

/* Find an entry by exact name; NULL when absent. */
const struct zip_entry *zip_index_find(const struct zip_index *zi, const char *name)
{
	if (zi->by_name) {
		size_t lo = 0, hi = zi->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int r = strcmp(zi->by_name[mid]->name, name);

			if (r == 0)
				return zi->by_name[mid];
			if (r < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	for (size_t i = 0; i < zi->n; i++)
		if (strcmp(zi->v[i].name, name) == 0)
			return &zi->v[i];
	return NULL;
}
