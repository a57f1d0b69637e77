/* install_gen.c: files whlc writes itself: direct_url.json and the installed RECORD. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "install.h"
#include "record.h"
#include "xalloc.h"

/* Append s percent-encoded like Python's urllib.parse.quote(s, safe="/"). */
static void install__url_quote(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-' || c == '~' || c == '/')
			strbuf_addc(sb, (char)c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* Append s as the body of a JSON string (json.dumps escaping, ensure_ascii). */
static void install__json_str(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(sb, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf_addf(sb, "\\u%04x", *p);
		else
			strbuf_addc(sb, (char)*p);
	}
}

/*
 * PEP 610 for a local wheel file, byte for byte what pip 23.2.1 writes
 * (json.dumps(sort_keys=True)): the URL is file:// + the quoted absolute path,
 * so only ASCII ever reaches the JSON string.
 */
void install_direct_url(const char *path, const uint8_t sha256[32], struct strbuf *out)
{
	char hex[HASH_SHA256_HEX_LEN + 1];
	struct strbuf url = STRBUF_INIT;

	hash_to_hex(sha256, 32, hex);
	strbuf_adds(&url, "file://");
	install__url_quote(&url, path);
	strbuf_addf(
	    out,
	    "{\"archive_info\": {\"hash\": \"sha256=%s\", \"hashes\": {\"sha256\": \"%s\"}}, "
	    "\"url\": \"",
	    hex, hex);
	install__json_str(out, url.buf);
	strbuf_adds(out, "\"}");
	strbuf_free(&url);
}

/* Order files by RECORD path (pip sorts its rows; UTF-8 byte order = code point order). */
static int install__by_record_path(const void *a, const void *b)
{
	const struct install_file *x = *(struct install_file *const *)a;
	const struct install_file *y = *(struct install_file *const *)b;
	return strcmp(x->record_path, y->record_path);
}

/*
 * The installed RECORD: one row per file plus RECORD's own empty row, sorted,
 * CRLF like pip. Files marked no_hash (the signatures RECORD.jws and
 * RECORD.p7s, which the wheel's RECORD cannot list) get empty hash and size,
 * as pip 23.2.1 writes them.
 */
void install_record(struct install_file *files, size_t n, const char *record_path,
		    struct strbuf *out)
{
	struct install_file self = {.record_path = (char *)record_path, .size = -1};
	struct install_file **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = &files[i];
	v[n] = &self;
	qsort(v, n + 1, sizeof(*v), install__by_record_path);
	for (size_t i = 0; i < n + 1; i++) {
		if (v[i] == &self || v[i]->no_hash)
			record_write_row_eol(out, v[i]->record_path, NULL, -1, "\r\n");
		else
			record_write_row_eol(out, v[i]->record_path, v[i]->sha256, v[i]->size,
					     "\r\n");
	}
	free(v);
}
