/* zipbuild.h: zips built byte by byte for the tests, with knobs that corrupt them. */
#ifndef WHLC_TESTS_ZIPBUILD_H
#define WHLC_TESTS_ZIPBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* One member to write, with knobs that corrupt it. Zero means "normal". */
struct zent {
	const char *name;
	size_t nlen; /* 0: strlen(name) */
	const char *data;
	size_t len; /* 0: strlen(data) when data is set */
	int deflate;
	uint32_t mode; /* external_attr >> 16 */
	uint16_t flags;
	int descriptor; /* 1: descriptor with signature, 2: without */
	int zip64;	/* zip64 extra fields, sentinels in the 32-bit fields */
	const char *local_name;
	int local_method; /* non-zero: method+1 written in the local header */
	uint16_t local_flags_xor;
	uint32_t local_crc_xor;
	int local_csize_delta, local_usize_delta;
	int cd_method;			 /* non-zero: method+1 written in the central directory */
	int64_t cd_usize, cd_csize;	 /* non-zero: written in the central directory */
	int64_t cd_offset;		 /* non-zero: offset+1 written */
	uint32_t desc_crc_xor;		 /* corrupt the descriptor */
	const char *cd_extra, *lh_extra; /* raw extra fields appended */
	size_t cd_extra_len, lh_extra_len;
};

/* Whole-archive knobs. */
struct zopts {
	const char *prefix; /* prepended bytes */
	int prefix_unadjusted;
	size_t gap_after; /* 1-based entry after which gap bytes go */
	const char *comment, *trailer;
	size_t comment_len;
	int zip64_eocd;	     /* write the zip64 end record and locator */
	int z64_sentinels;   /* classic EOCD fields all sentinels */
	int z64_count_delta; /* zip64 record disagrees */
	int eocd_count_delta;
	int drop_locator; /* with z64_sentinels: no zip64 record at all */
};

/* Build a zip from the entries into zip. */
void zipbuild(struct strbuf *zip, struct zent *e, size_t n, const struct zopts *o);

#endif
