/* zipcheck.c: structural validation of a zip file before libarchive reads it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "zipcheck.h"

#define ZIP_EOCD_LEN	22
#define ZIP_EOCD_SEARCH (ZIP_EOCD_LEN + 65535) /* EOCD plus the longest comment */
#define ZIP64_LOC_LEN	20
#define ZIP64_EOCD_LEN	56
#define ZIP_CDH_LEN	46
#define ZIP_LFH_LEN	30
#define ZIP_NAME_MAX	4095 /* PATH_MAX - 1: longer names cannot be installed anyway */
#define ZIP_SENT16	0xffffu
#define ZIP_SENT32	0xffffffffu

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

/* Everything a check needs: the file and where to report. */
struct zip__ctx {
	int fd;
	uint64_t size;
	const struct zip_limits *lim;
	struct err *err;
};

/* The end-of-central-directory facts, after zip64 resolution. */
struct zip__dir {
	uint64_t count;
	uint64_t cd_offset;
	uint64_t cd_size;
	uint64_t cd_end_expected; /* where the central directory must end */
};

/* Little-endian field readers. */
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Printable rendering of a raw member name for messages (non-printables as \xNN). */
static const char *zip__q(const char *s, size_t len, char *buf, size_t cap)
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
static int zip__pread(struct zip__ctx *c, void *buf, size_t n, uint64_t off, const char *what)
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

/* True when the n bytes at p hold any zip record signature. */
static int zip__has_signature(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (p[i] == 'P' && p[i + 1] == 'K' &&
		    ((p[i + 2] == 1 && p[i + 3] == 2) || (p[i + 2] == 3 && p[i + 3] == 4) ||
		     (p[i + 2] == 5 && p[i + 3] == 6) || (p[i + 2] == 6 && p[i + 3] == 6) ||
		     (p[i + 2] == 6 && p[i + 3] == 7)))
			return 1;
	return 0;
}

/*
 * Locate the EOCD: the last "PK\5\6" whose comment ends exactly at the end of
 * the file. A signature that does not fit means trailing data (or a garbled
 * record); a comment holding signatures means a second archive hidden in it.
 */
static int zip__find_eocd(struct zip__ctx *c, const uint8_t *tail, size_t tlen, uint64_t *pos)
{
	int seen = 0;

	for (size_t i = tlen - ZIP_EOCD_LEN + 1; i-- > 0;) {
		if (memcmp(tail + i, "PK\5\6", 4) != 0)
			continue;
		seen = 1;
		size_t clen = rd16(tail + i + 20);
		if (i + ZIP_EOCD_LEN + clen != tlen)
			continue;
		if (zip__has_signature(tail + i + ZIP_EOCD_LEN, clen))
			return err_set(c->err, -WHLC_EHOSTILE,
				       "zip archive comment holds zip record signatures "
				       "(a second archive hidden in the comment)");
		*pos = c->size - tlen + i;
		return 0;
	}
	if (seen)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "trailing data after the end of the zip central directory "
			       "(or a garbled end record)");
	return err_set(c->err, -WHLC_EBADWHEEL,
		       "not a zip file (no end of central directory record)");
}

/* Read the zip64 end record through the locator before the EOCD, checking it against e. */
static int zip__zip64(struct zip__ctx *c, uint64_t eocd_pos, const uint8_t *e, struct zip__dir *d)
{
	uint8_t loc[ZIP64_LOC_LEN], r[ZIP64_EOCD_LEN];
	uint64_t loc_pos = eocd_pos - ZIP64_LOC_LEN;
	int rc;

	if ((rc = zip__pread(c, loc, sizeof(loc), loc_pos, "the zip64 end locator")) < 0)
		return rc;
	uint64_t off = rd64(loc + 8);
	if (rd32(loc + 4) != 0 || rd32(loc + 16) > 1)
		return err_set(c->err, -WHLC_EHOSTILE, "zip64 locator names another disk");
	if (off > loc_pos || loc_pos - off < ZIP64_EOCD_LEN)
		return err_set(c->err, -WHLC_EHOSTILE, "zip64 end record offset is out of place");
	if ((rc = zip__pread(c, r, sizeof(r), off, "the zip64 end record")) < 0)
		return rc;
	if (memcmp(r, "PK\6\6", 4) != 0)
		return err_set(c->err, -WHLC_EHOSTILE, "zip64 end record signature missing");
	if (rd64(r + 4) != loc_pos - off - 12)
		return err_set(c->err, -WHLC_EHOSTILE,
			       "zip64 end record size disagrees with its position");
	if (rd32(r + 16) != 0 || rd32(r + 20) != 0 || rd64(r + 24) != rd64(r + 32))
		return err_set(c->err, -WHLC_EHOSTILE,
			       "multi-disk zip64 archives are not supported");
	d->count = rd64(r + 32);
	d->cd_size = rd64(r + 40);
	d->cd_offset = rd64(r + 48);
	d->cd_end_expected = off;
	/* Each classic field must be the zip64 sentinel or the same value. */
	if ((rd16(e + 8) != ZIP_SENT16 && rd16(e + 8) != d->count) ||
	    (rd16(e + 10) != ZIP_SENT16 && rd16(e + 10) != d->count) ||
	    (rd32(e + 12) != ZIP_SENT32 && rd32(e + 12) != d->cd_size) ||
	    (rd32(e + 16) != ZIP_SENT32 && rd32(e + 16) != d->cd_offset))
		return err_set(c->err, -WHLC_EHOSTILE,
			       "zip64 end record disagrees with the end of central directory");
	return 0;
}

/* Find and decode the end of central directory (and zip64 end record) into d. */
static int zip__read_end(struct zip__ctx *c, struct zip__dir *d)
{
	size_t tlen = c->size < ZIP_EOCD_SEARCH ? (size_t)c->size : ZIP_EOCD_SEARCH;
	uint8_t *tail = xmalloc(tlen);
	uint64_t pos = 0;
	int rc;

	if ((rc = zip__pread(c, tail, tlen, c->size - tlen, "the end of the zip")) < 0)
		goto out;
	if ((rc = zip__find_eocd(c, tail, tlen, &pos)) < 0)
		goto out;
	const uint8_t *e = tail + (pos - (c->size - tlen));
	uint16_t disk = rd16(e + 4), cd_disk = rd16(e + 6);
	if ((disk != 0 && disk != ZIP_SENT16) || (cd_disk != 0 && cd_disk != ZIP_SENT16)) {
		rc = err_set(c->err, -WHLC_EHOSTILE, "multi-disk zip archives are not supported");
		goto out;
	}
	uint8_t locsig[4] = {0};
	if (pos >= ZIP64_LOC_LEN &&
	    (rc = zip__pread(c, locsig, 4, pos - ZIP64_LOC_LEN, "the zip64 end locator")) < 0)
		goto out;
	if (memcmp(locsig, "PK\6\7", 4) == 0) {
		rc = zip__zip64(c, pos, e, d);
		goto out;
	}
	if (disk == ZIP_SENT16 || cd_disk == ZIP_SENT16 || rd16(e + 8) == ZIP_SENT16 ||
	    rd16(e + 10) == ZIP_SENT16 || rd32(e + 12) == ZIP_SENT32 ||
	    rd32(e + 16) == ZIP_SENT32) {
		rc = err_set(c->err, -WHLC_EHOSTILE,
			     "zip end record needs zip64 values but the zip64 locator is missing");
		goto out;
	}
	if (rd16(e + 8) != rd16(e + 10)) {
		rc = err_set(c->err, -WHLC_EHOSTILE, "multi-disk zip archives are not supported");
		goto out;
	}
	d->count = rd16(e + 10);
	d->cd_size = rd32(e + 12);
	d->cd_offset = rd32(e + 16);
	d->cd_end_expected = pos;
	rc = 0;
out:
	free(tail);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (rejecting overlongs and surrogates), 0 if invalid. */
static size_t zip__utf8(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Validate a member name (spec A.7, K.47); name is len bytes, not yet NUL-terminated. */
static int zip__check_name(struct zip__ctx *c, const char *name, size_t len)
{
	const unsigned char *u = (const unsigned char *)name;
	char q[160];
	size_t seg = 0;

#define BAD(why)                                                                                   \
	err_set(c->err, -WHLC_EHOSTILE, "member '%s': %s", zip__q(name, len, q, sizeof(q)), why)
	if (len == 0)
		return err_set(c->err, -WHLC_EHOSTILE, "a member has an empty name");
	if (len > ZIP_NAME_MAX)
		return BAD("name is longer than 4095 bytes");
	if (name[0] == '/')
		return BAD("absolute path");
	for (size_t i = 0; i < len;) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return BAD("name holds a NUL or control character");
		if (u[i] == '\\')
			return BAD("name holds a backslash (only '/' separates directories)");
		size_t l = zip__utf8(u + i, len - i);
		if (l == 0)
			return BAD("name is not valid UTF-8");
		i += l;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '/') {
			seg++;
			continue;
		}
		const char *s = name + i - seg;
		if (seg == 0 && i < len)
			return BAD("empty path segment ('//')");
		if ((seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.'))
			return BAD("'.' or '..' path segment");
		seg = 0;
	}
	return 0;
#undef BAD
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

/* Compare names ASCII-case-insensitively with '/' lowest, so "a/..." sorts right after "a". */
static int zip__namecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		x = x == '/' ? 1 : x;
		y = y == '/' ? 1 : y;
		if (x != y || x == 0)
			return x - y;
	}
}

/* qsort adapter for zip__namecmp over entry pointers. */
static int zip__entcmp(const void *a, const void *b)
{
	return zip__namecmp((*(struct zip_entry *const *)a)->name,
			    (*(struct zip_entry *const *)b)->name);
}

/* Length of a name without its trailing '/'. */
static size_t zip__keylen(const struct zip_entry *e)
{
	return strlen(e->name) - e->is_dir;
}

/*
 * Reject duplicates, names equal up to ASCII case (only ASCII is folded: a
 * full Unicode fold would need tables; ASCII covers case-insensitive
 * filesystems' common collisions), a file and a directory of the same name,
 * and a file used as a directory of another member.
 */
static int zip__check_dups(struct zip__ctx *c, struct zip_index *zi)
{
	struct zip_entry **v = xreallocarray(NULL, zi->n, sizeof(*v));
	int rc = 0;

	for (size_t i = 0; i < zi->n; i++)
		v[i] = &zi->v[i];
	qsort(v, zi->n, sizeof(*v), zip__entcmp);
	for (size_t i = 1; i < zi->n; i++) {
		struct zip_entry *a = v[i - 1], *b = v[i];
		size_t la = zip__keylen(a), lb = zip__keylen(b);

		if (la == lb && strncasecmp(a->name, b->name, la) == 0) {
			if (strcmp(a->name, b->name) == 0)
				rc = err_set(c->err, -WHLC_EHOSTILE, "member '%s' appears twice",
					     a->name);
			else
				rc = err_set(c->err, -WHLC_EHOSTILE,
					     "members '%s' and '%s' differ only by case or a "
					     "trailing '/'",
					     a->name, b->name);
			goto out;
		}
		if (!a->is_dir && lb > la && b->name[la] == '/' &&
		    strncasecmp(a->name, b->name, la) == 0) {
			rc = err_set(c->err, -WHLC_EHOSTILE,
				     "member '%s' is a file but '%s' uses it as a directory",
				     a->name, b->name);
			goto out;
		}
	}
out:
	free(v);
	return rc;
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
