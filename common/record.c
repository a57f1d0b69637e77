/* record.c: RECORD files (CSV rows of path, hash, size): parsing and writing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "record.h"
#include "xalloc.h"

/* Release all rows. */
void record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].path);
	free(r->rows);
	free(r->sorted);
	r->rows = NULL;
	r->sorted = NULL;
	r->n = 0;
}

/* Cursor over the RECORD bytes. */
struct record__csv {
	const char *buf;
	size_t len, pos;
	size_t line; /* current physical line, 1-based */
};

/*
 * Read one field into sb. Returns 1 when a field ended with ",", 0 when it
 * ended the row (LF, CRLF or end of input), or -1 with a message in err.
 * A quoted field may hold "," CR LF and "" (one quote); after the closing
 * quote only "," or the end of the row may follow. An unquoted field is taken
 * literally up to "," or the line end, like Python's csv module does; a lone
 * CR in it is an error.
 */
static int record__field(struct record__csv *c, struct strbuf *sb, struct err *err)
{
	strbuf_reset(sb);
	if (c->pos < c->len && c->buf[c->pos] == '"') {
		size_t start_line = c->line;

		c->pos++;
		for (;;) {
			if (c->pos >= c->len)
				return err_set(err, -WHLC_ERECORD,
					       "RECORD line %zu: unterminated quoted field",
					       start_line);
			char ch = c->buf[c->pos++];
			if (ch == '"') {
				if (c->pos < c->len && c->buf[c->pos] == '"') {
					strbuf_addc(sb, '"');
					c->pos++;
					continue;
				}
				break;
			}
			if (ch == '\n')
				c->line++;
			strbuf_addc(sb, ch);
		}
		if (c->pos >= c->len)
			return 0;
		char ch = c->buf[c->pos];
		if (ch == ',') {
			c->pos++;
			return 1;
		}
		if (ch == '\n' ||
		    (ch == '\r' && c->pos + 1 < c->len && c->buf[c->pos + 1] == '\n')) {
			c->pos += ch == '\r' ? 2 : 1;
			c->line++;
			return 0;
		}
		return err_set(err, -WHLC_ERECORD,
			       "RECORD line %zu: unexpected character after a closing quote",
			       c->line);
	}
	while (c->pos < c->len) {
		char ch = c->buf[c->pos];

		if (ch == ',') {
			c->pos++;
			return 1;
		}
		if (ch == '\n') {
			c->pos++;
			c->line++;
			return 0;
		}
		if (ch == '\r') {
			if (c->pos + 1 < c->len && c->buf[c->pos + 1] == '\n') {
				c->pos += 2;
				c->line++;
				return 0;
			}
			return err_set(err, -WHLC_ERECORD, "RECORD line %zu: stray carriage return",
				       c->line);
		}
		strbuf_addc(sb, ch);
		c->pos++;
	}
	return 0;
}

/* Digest length of an accepted algorithm, 0 for unknown, -1 for refused weak ones. */
static int record__algo_len(const char *algo)
{
	if (strcmp(algo, "sha256") == 0)
		return 32;
	if (strcmp(algo, "sha384") == 0)
		return 48;
	if (strcmp(algo, "sha512") == 0)
		return 64;
	if (strcmp(algo, "md5") == 0 || strcmp(algo, "sha1") == 0)
		return -1;
	return 0;
}

/* Fill row's hash from "algo=b64"; 0 or -WHLC_ERECORD. */
static int record__hash(struct record_row *row, const char *f, size_t line, struct err *err)
{
	const char *eq = strchr(f, '=');
	size_t alen = eq ? (size_t)(eq - f) : 0;

	if (eq == NULL || alen == 0 || alen >= sizeof(row->algo))
		return err_set(err, -WHLC_ERECORD,
			       "RECORD line %zu: hash of '%s' is not 'algorithm=digest'", line,
			       row->path);
	memcpy(row->algo, f, alen);
	row->algo[alen] = '\0';
	int want = record__algo_len(row->algo);
	if (want < 0)
		return err_set(err, -WHLC_ERECORD,
			       "RECORD line %zu: '%s' is hashed with %s, which is too weak; "
			       "sha256 or stronger is required",
			       line, row->path, row->algo);
	if (want == 0)
		return err_set(err, -WHLC_ERECORD,
			       "RECORD line %zu: unknown hash algorithm '%s' for '%s'", line,
			       row->algo, row->path);
	int got = hash_from_b64url(eq + 1, row->digest, sizeof(row->digest));
	if (got < 0)
		return err_set(err, -WHLC_ERECORD,
			       "RECORD line %zu: digest of '%s' is not urlsafe base64", line,
			       row->path);
	if (got != want)
		return err_set(err, -WHLC_ERECORD,
			       "RECORD line %zu: %s digest of '%s' has %d bytes, expected %d", line,
			       row->algo, row->path, got, want);
	row->digest_len = (size_t)got;
	return 0;
}

/* Parse a decimal size into row->size; 0 or -WHLC_ERECORD. */
static int record__size(struct record_row *row, const char *f, size_t line, struct err *err)
{
	int64_t v = 0;

	if (*f == '\0')
		return err_set(err, -WHLC_ERECORD, "RECORD line %zu: empty size for '%s'", line,
			       row->path);
	for (const char *p = f; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - (*p - '0')) / 10)
			return err_set(err, -WHLC_ERECORD,
				       "RECORD line %zu: size '%.32s' of '%s' is not a number",
				       line, f, row->path);
		v = v * 10 + (*p - '0');
	}
	row->size = v;
	return 0;
}

/* Order rows by path for duplicate detection. */
static int record__cmp(const void *a, const void *b)
{
	const struct record_row *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* True when two rows say the same thing about the same path. */
static int record__same(const struct record_row *a, const struct record_row *b)
{
	return strcmp(a->algo, b->algo) == 0 && a->digest_len == b->digest_len &&
	       memcmp(a->digest, b->digest, a->digest_len) == 0 && a->size == b->size;
}

/*
 * Sort the rows for record_find. A path listed twice with identical rows is
 * kept once: pip writes that for a .data script replaced by a launcher of the
 * same name. Listed twice with different hashes or sizes is an error.
 */
static int record__index(struct record *r, struct err *err)
{
	size_t kept = 0;
	int dups = 0;

	r->sorted = xreallocarray(NULL, r->n, sizeof(*r->sorted));
	for (size_t i = 0; i < r->n; i++)
		r->sorted[i] = &r->rows[i];
	qsort(r->sorted, r->n, sizeof(*r->sorted), record__cmp);
	for (size_t i = 1; i < r->n; i++) {
		if (strcmp(r->sorted[i - 1]->path, r->sorted[i]->path) != 0)
			continue;
		if (!record__same(r->sorted[i - 1], r->sorted[i]))
			return err_set(err, -WHLC_ERECORD,
				       "RECORD lists '%s' more than once, with different hashes "
				       "or sizes",
				       r->sorted[i]->path);
		free(r->sorted[i]->path);
		r->sorted[i]->path = NULL; /* drop the later copy */
		r->sorted[i] = r->sorted[i - 1];
		dups = 1;
	}
	if (!dups)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].path != NULL)
			r->rows[kept++] = r->rows[i];
	r->n = kept;
	for (size_t i = 0; i < r->n; i++)
		r->sorted[i] = &r->rows[i];
	qsort(r->sorted, r->n, sizeof(*r->sorted), record__cmp);
	return 0;
}

/* Parse one row of three fields at c into row; 0 or negative code. */
static int record__row(struct record__csv *c, struct strbuf *f, struct record_row *row,
		       struct err *err)
{
	size_t line = c->line;
	char *fields[3] = {NULL, NULL, NULL};
	size_t nf = 0;
	int rc, more;

	do {
		more = record__field(c, f, err);
		if (more < 0) {
			rc = more;
			goto out;
		}
		if (nf == 3) {
			rc = err_set(err, -WHLC_ERECORD,
				     "RECORD line %zu: more than 3 fields (path,hash,size)", line);
			goto out;
		}
		if (memchr(f->buf ? f->buf : "", '\0', f->len)) {
			rc = err_set(err, -WHLC_ERECORD, "RECORD line %zu: NUL byte in a field",
				     line);
			goto out;
		}
		strbuf_add(f, "", 0); /* strbuf_detach of an empty, unused strbuf is unterminated */
		fields[nf++] = strbuf_detach(f, NULL);
	} while (more);
	if (nf != 3) {
		rc =
		    err_set(err, -WHLC_ERECORD,
			    "RECORD line %zu: %zu field(s), expected 3 (path,hash,size)", line, nf);
		goto out;
	}
	if (fields[0][0] == '\0') {
		rc = err_set(err, -WHLC_ERECORD, "RECORD line %zu: empty path", line);
		goto out;
	}
	memset(row, 0, sizeof(*row));
	row->size = -1;
	row->path = fields[0];
	fields[0] = NULL;
	rc = 0;
	if (fields[1][0] != '\0')
		rc = record__hash(row, fields[1], line, err);
	if (rc == 0 && fields[2][0] != '\0')
		rc = record__size(row, fields[2], line, err);
	if (rc < 0) {
		free(row->path);
		row->path = NULL;
	}
out:
	for (size_t i = 0; i < 3; i++)
		free(fields[i]);
	return rc;
}

/*
 * Parse a RECORD. Blank lines are skipped. A row may have an empty hash and
 * size (RECORD itself, pyc files); a hash without a size, or a size without a
 * hash, is accepted here and left to the caller to judge.
 */
int record_parse(const char *buf, size_t len, size_t max_rows, struct record *out, struct err *err)
{
	struct record__csv c = {buf, len, 0, 1};
	struct strbuf f = STRBUF_INIT;
	size_t cap = 0;
	int rc = 0;

	out->n = 0;
	out->rows = NULL;
	out->sorted = NULL;
	while (c.pos < c.len) {
		if (buf[c.pos] == '\n' ||
		    (buf[c.pos] == '\r' && c.pos + 1 < len && buf[c.pos + 1] == '\n')) {
			c.pos += buf[c.pos] == '\r' ? 2 : 1;
			c.line++;
			continue;
		}
		if (out->n >= max_rows) {
			rc = err_set(err, -WHLC_ELIMIT, "RECORD has more than %zu rows", max_rows);
			goto fail;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			if (cap > max_rows)
				cap = max_rows;
			out->rows = xreallocarray(out->rows, cap, sizeof(*out->rows));
		}
		rc = record__row(&c, &f, &out->rows[out->n], err);
		if (rc < 0)
			goto fail;
		out->n++;
	}
	if ((rc = record__index(out, err)) < 0)
		goto fail;
	strbuf_free(&f);
	return 0;
fail:
	strbuf_free(&f);
	record_free(out);
	return rc;
}

/* Find the row for path (exact byte comparison); NULL when absent. */
const struct record_row *record_find(const struct record *r, const char *path)
{
	if (r->sorted) {
		size_t lo = 0, hi = r->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(r->sorted[mid]->path, path);

			if (c == 0)
				return r->sorted[mid];
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rows[i].path, path) == 0)
			return &r->rows[i];
	return NULL;
}

/* Append field to sb, quoted like Python's csv.QUOTE_MINIMAL when it needs it. */
static void record__put(struct strbuf *sb, const char *field)
{
	if (strpbrk(field, ",\"\r\n") == NULL) {
		strbuf_adds(sb, field);
		return;
	}
	strbuf_addc(sb, '"');
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			strbuf_addc(sb, '"');
		strbuf_addc(sb, *p);
	}
	strbuf_addc(sb, '"');
}

/* Append one CSV row with the given line end. */
void record_write_row_eol(struct strbuf *sb, const char *path, const uint8_t *sha256, int64_t size,
			  const char *eol)
{
	record__put(sb, path);
	strbuf_addc(sb, ',');
	if (sha256) {
		char b64[HASH_SHA256_B64_LEN + 2];

		hash_to_b64url(sha256, HASH_SHA256_LEN, b64);
		strbuf_adds(sb, "sha256=");
		strbuf_adds(sb, b64);
	}
	strbuf_addc(sb, ',');
	if (size >= 0)
		strbuf_addf(sb, "%lld", (long long)size);
	strbuf_adds(sb, eol);
}

/* Append one CSV row with an LF line end. */
void record_write_row(struct strbuf *sb, const char *path, const uint8_t *sha256, int64_t size)
{
	record_write_row_eol(sb, path, sha256, size, "\n");
}
