/* zipend.c: find and decode the end of central directory and the zip64 end record. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "zipcheck_int.h"

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
int zip__read_end(struct zip__ctx *c, struct zip__dir *d)
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
