/* fuzz_record.c: RECORD parsing, lookup, and writing rows back (round trip). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record r, r2;
	struct err e;
	struct strbuf sb = STRBUF_INIT;

	if (record_parse((const char *)data, size, 100000, &r, &e) < 0)
		return 0;
	for (size_t i = 0; i < r.n; i++) {
		const struct record_row *row = &r.rows[i];

		if (record_find(&r, row->path) == NULL)
			abort(); /* every parsed row must be found again */
		record_write_row_eol(&sb, row->path,
				     strcmp(row->algo, "sha256") == 0 ? row->digest : NULL,
				     row->size, i & 1 ? "\r\n" : "\n");
	}
	/* What we write, we read back with the same paths. */
	if (record_parse(sb.buf ? sb.buf : "", sb.len, 100000, &r2, &e) < 0)
		abort();
	if (r2.n != r.n)
		abort();
	for (size_t i = 0; i < r.n; i++)
		if (strcmp(r.rows[i].path, r2.rows[i].path) != 0 ||
		    r.rows[i].size != r2.rows[i].size)
			abort();
	record_free(&r2);
	record_free(&r);
	strbuf_free(&sb);
	return 0;
}
