/* zipcheck.h: structural validation of a zip file before libarchive reads it. */
#ifndef WHLC_ZIPCHECK_H
#define WHLC_ZIPCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct zip_limits {
	uint64_t max_members;	  /* e.g. 200000 */
	uint64_t max_total_size;  /* sum of uncompressed sizes, e.g. 8 GiB */
	uint64_t max_member_size; /* e.g. 4 GiB */
	uint64_t max_ratio;	  /* uncompressed/compressed per member and overall, e.g. 200 */
	uint64_t ratio_min_size;  /* ratio only checked for members bigger than this, e.g. 1 MiB */
};

/* Defaults that no real wheel hits. */
void zip_limits_default(struct zip_limits *l);
/* (wheelfmt) zip_index_read accepts lim == NULL for these defaults. */

struct zip_entry {
	char *name;	       /* NUL-terminated; validated (see zip_index_read) */
	uint64_t local_offset; /* offset of the local file header */
	uint64_t data_offset;  /* offset of the compressed data */
	uint64_t comp_size;
	uint64_t uncomp_size;
	uint32_t crc32;
	uint16_t method; /* 0 stored, 8 deflate */
	uint16_t flags;	 /* general purpose bits */
	uint16_t version_made_by;
	uint32_t external_attr;
	unsigned is_dir : 1;	 /* name ends in "/" */
	unsigned executable : 1; /* spec E.19: S_IFREG with any 0111 bit */
};

struct zip_index {
	size_t n;
	struct zip_entry *v; /* central directory order */
	uint64_t total_uncomp;
	struct zip_entry **by_name; /* sorted by name for zip_index_find (added by wheelfmt) */
};

/*
 * Read and validate the central directory of the zip in fd (size bytes),
 * against spec K.47 to K.52. The central directory is authoritative.
 * Rejects, with -WHLC_EHOSTILE (or -WHLC_EBADWHEEL for a plain non-zip /
 * truncated file) and a message naming the member:
 * - no/garbled end of central directory, a zip64 record that disagrees,
 *   trailing data after the EOCD comment, a comment holding another zip,
 *   data before the first local header that is not accounted for;
 * - a local header whose name, method, sizes or CRC disagree with the central
 *   directory (data descriptor entries compared against the descriptor);
 * - overlapping entries, entries outside the file;
 * - encrypted entries (flag bit 0), methods other than stored/deflate;
 * - names: empty, absolute, `..` or `.` segments, backslashes, NUL or control
 *   characters, invalid UTF-8, duplicates, case-insensitive duplicates;
 * - symlinks, hardlinks, devices, fifos (by external attributes);
 * - limits: member count, member size, total size, compression ratio.
 * Directory entries are kept in the index with is_dir set.
 */
int zip_index_read(int fd, uint64_t size, const struct zip_limits *lim, struct zip_index *out,
		   struct err *err);
void zip_index_free(struct zip_index *zi);
/* Find an entry by exact name (binary search); NULL when absent. */
const struct zip_entry *zip_index_find(const struct zip_index *zi, const char *name);

#endif
