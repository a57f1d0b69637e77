/* record.h: RECORD files (CSV rows of path, hash, size): parsing and writing. */
#ifndef WHLC_RECORD_H
#define WHLC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "strbuf.h"

#define RECORD_DIGEST_MAX 64

struct record_row {
	char *path;
	char algo[16];			   /* "sha256", "sha384", "sha512", or "" when empty */
	uint8_t digest[RECORD_DIGEST_MAX]; /* decoded digest */
	size_t digest_len;		   /* 0 when the hash field is empty */
	int64_t size;			   /* -1 when the size field is empty */
};

struct record {
	size_t n;
	struct record_row *rows;
	/* Rows sorted by path for record_find (added by wheelfmt; owned by the record,
	 * may be NULL in a hand-built record, then record_find scans). */
	struct record_row **sorted;
};

/*
 * Parse a RECORD (CSV per RFC 4180 with `"` quoting; LF or CRLF; a trailing
 * newline optional). Rejects: wrong field counts, unknown or weak algorithms
 * (md5, sha1 are -WHLC_ERECORD), undecodable digests, digest length not
 * matching the algorithm, non-numeric sizes, duplicate paths. At most
 * max_rows rows. Errors name the line number.
 */
int record_parse(const char *buf, size_t len, size_t max_rows, struct record *out, struct err *err);
void record_free(struct record *r);

/* Find the row for path (exact byte comparison, binary search); NULL when absent. */
const struct record_row *record_find(const struct record *r, const char *path);

/*
 * Append one CSV row to sb: path quoted when it holds `,` `"` CR or LF;
 * `sha256=<b64url>` when sha256 is non-NULL, empty otherwise; size when >= 0,
 * empty otherwise; LF line end.
 */
void record_write_row(struct strbuf *sb, const char *path, const uint8_t *sha256, int64_t size);

/*
 * Same as record_write_row with the line end given (added by wheelfmt): pip
 * 23.2.1 writes RECORD through csv.writer with its default "\r\n" terminator,
 * so a byte-identical RECORD needs eol "\r\n".
 */
void record_write_row_eol(struct strbuf *sb, const char *path, const uint8_t *sha256, int64_t size,
			  const char *eol);

#endif
