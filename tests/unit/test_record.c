/* test_record.c: RECORD parsing (CSV, hashes, sizes) and writing (Python csv quoting). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hash.h"
#include "record.h"
#include "unit_random.h"

#define H_EMPTY "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"

/* Parse a C string with a generous row limit. */
static int parse(const char *s, struct record *r, struct err *err)
{
	return record_parse(s, strlen(s), 1000, r, err);
}

/* A typical RECORD with LF, RECORD's own row empty. */
static void test_basic(void **state)
{
	struct record r;
	struct err err;
	uint8_t empty[32];

	hash_sha256("", 0, empty);
	assert_int_equal(
	    parse("pkg/__init__.py," H_EMPTY ",0\npkg-1.0.dist-info/RECORD,,\n", &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.rows[0].path, "pkg/__init__.py");
	assert_string_equal(r.rows[0].algo, "sha256");
	assert_int_equal(r.rows[0].digest_len, 32);
	assert_memory_equal(r.rows[0].digest, empty, 32);
	assert_int_equal(r.rows[0].size, 0);
	assert_string_equal(r.rows[1].algo, "");
	assert_int_equal(r.rows[1].digest_len, 0);
	assert_int_equal(r.rows[1].size, -1);
	assert_ptr_equal(record_find(&r, "pkg-1.0.dist-info/RECORD"), &r.rows[1]);
	assert_ptr_equal(record_find(&r, "pkg/__init__.py"), &r.rows[0]);
	assert_null(record_find(&r, "pkg/__init__.PY"));
	assert_null(record_find(&r, "pkg"));
	record_free(&r);
}

/* CRLF, no trailing newline, blank lines, large sizes. */
static void test_line_ends(void **state)
{
	struct record r;
	struct err err;

	assert_int_equal(parse("a," H_EMPTY ",9223372036854775807\r\n\r\nb,,\r\nc,,", &r, &err), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.rows[0].size, INT64_MAX);
	assert_string_equal(r.rows[2].path, "c");
	record_free(&r);
	assert_int_equal(parse("", &r, &err), 0);
	assert_int_equal(r.n, 0);
	assert_null(record_find(&r, "x"));
	record_free(&r);
}

/* RFC 4180 quoting: commas, doubled quotes, newlines inside quotes. */
static void test_quoting(void **state)
{
	struct record r;
	struct err err;

	assert_int_equal(parse("\"a,b.py\"," H_EMPTY ",0\n"
			       "\"say \"\"hi\"\".txt\",,\n"
			       "\"multi\nline\",\"\",\"\"\n"
			       "un\"quoted,,\n"
			       "\"\"\"\",,\r\n",
			       &r, &err),
			 0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.rows[0].path, "a,b.py");
	assert_string_equal(r.rows[1].path, "say \"hi\".txt");
	assert_string_equal(r.rows[2].path, "multi\nline");
	assert_string_equal(r.rows[3].path, "un\"quoted"); /* like Python's csv */
	assert_string_equal(r.rows[4].path, "\"");
	record_free(&r);
}

/* sha384 and sha512 are accepted with their lengths; padding tolerated. */
static void test_strong_algos(void **state)
{
	struct record r;
	struct err err;
	char line[300];
	uint8_t d[64];
	char b64[100];

	memset(d, 0xab, sizeof(d));
	hash_to_b64url(d, 48, b64);
	snprintf(line, sizeof(line), "a,sha384=%s,1\n", b64);
	hash_to_b64url(d, 64, b64);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "b,sha512=%s==,2\n", b64);
	assert_int_equal(parse(line, &r, &err), 0);
	assert_string_equal(r.rows[0].algo, "sha384");
	assert_int_equal(r.rows[0].digest_len, 48);
	assert_int_equal(r.rows[1].digest_len, 64);
	assert_memory_equal(r.rows[1].digest, d, 64);
	record_free(&r);
}

/* Hash without size and size without hash are left to the caller. */
static void test_partial_rows(void **state)
{
	struct record r;
	struct err err;

	assert_int_equal(parse("a," H_EMPTY ",\nb,,12\n", &r, &err), 0);
	assert_int_equal(r.rows[0].digest_len, 32);
	assert_int_equal(r.rows[0].size, -1);
	assert_int_equal(r.rows[1].digest_len, 0);
	assert_int_equal(r.rows[1].size, 12);
	record_free(&r);
}

/* Expect -WHLC_ERECORD with a message containing needle. */
static void expect_bad(const char *s, const char *needle)
{
	struct record r;
	struct err err;

	err_clear(&err);
	int rc = parse(s, &r, &err);
	if (rc != -WHLC_ERECORD)
		fail_msg("accepted (%d): %s", rc, s);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	assert_int_equal(r.n, 0);
	assert_null(r.rows);
}

/* Every malformed shape. */
static void test_malformed(void **state)
{
	expect_bad("a,b\n", "line 1: 2 field");
	expect_bad("ok,,\na\n", "line 2: 1 field");
	expect_bad("a,,,\n", "more than 3");
	expect_bad("a,,,x\n", "more than 3");
	expect_bad(",,\n", "empty path");
	expect_bad("\"a,,\n", "unterminated");
	expect_bad("\"a\"x,,\n", "after a closing quote");
	expect_bad("a\rb,,\n", "carriage return");
	expect_bad("a,sha256,1\n", "algorithm=digest");
	expect_bad("a,=abc,1\n", "algorithm=digest");
	expect_bad("a,md5=1B2M2Y8AsgTpgAmY7PhCfg,0\n", "too weak");
	expect_bad("a,sha1=2jmj7l5rSw0yVb_vlWAYkK_YBwk,0\n", "too weak");
	expect_bad("a,blake2b=abcd,0\n", "unknown hash algorithm");
	expect_bad("a,sha256=not+base64/,0\n", "base64");
	expect_bad("a,sha256=AAAA,0\n", "3 bytes, expected 32");
	expect_bad("a," H_EMPTY ",abc\n", "not a number");
	expect_bad("a," H_EMPTY ",-1\n", "not a number");
	expect_bad("a," H_EMPTY ", 1\n", "not a number");
	expect_bad("a," H_EMPTY ",99999999999999999999\n", "not a number");
	expect_bad("a,,\nb,,\na," H_EMPTY ",0\n", "'a' more than once, with different");
	expect_bad("x," H_EMPTY ",0\n\"x\"," H_EMPTY ",1\n", "'x' more than once, with different");
	expect_bad("ok,,\r\nok2,,\r\n\"bad\n", "line 3: unterminated");
}

/* A path listed twice with identical rows is kept once (pip writes that). */
static void test_identical_duplicates(void **state)
{
	const char *txt = "a," H_EMPTY ",0\nb,,\n\"a\"," H_EMPTY ",0\nb,,\nc,,\n";
	struct record r;
	struct err err;

	assert_int_equal(record_parse(txt, strlen(txt), 100, &r, &err), 0);
	assert_int_equal(r.n, 3);
	assert_non_null(record_find(&r, "a"));
	assert_non_null(record_find(&r, "b"));
	assert_non_null(record_find(&r, "c"));
	assert_int_equal(record_find(&r, "a")->size, 0);
	record_free(&r);
}

/* NUL bytes and the row limit. */
static void test_nul_and_limit(void **state)
{
	struct record r;
	struct err err;

	assert_int_equal(record_parse("a\0b,,\n", 6, 10, &r, &err), -WHLC_ERECORD);
	assert_int_equal(record_parse("a,,\nb,,\n", 8, 2, &r, &err), 0);
	record_free(&r);
	assert_int_equal(record_parse("a,,\nb,,\nc,,\n", 12, 2, &r, &err), -WHLC_ELIMIT);
	assert_int_equal(r.n, 0);
}

/* Writing: quoting like Python's csv QUOTE_MINIMAL and the line ends. */
static void test_write(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	uint8_t d[32];

	hash_sha256("", 0, d);
	record_write_row(&sb, "pkg/a.py", d, 0);
	record_write_row(&sb, "pkg-1.0.dist-info/RECORD", NULL, -1);
	record_write_row(&sb, "a,b", NULL, 5);
	record_write_row(&sb, "q\"uote", NULL, -1);
	record_write_row(&sb, "cr\rlf\n", NULL, -1);
	record_write_row(&sb, "sp ace'", NULL, -1);
	assert_string_equal(sb.buf, "pkg/a.py," H_EMPTY ",0\n"
				    "pkg-1.0.dist-info/RECORD,,\n"
				    "\"a,b\",,5\n"
				    "\"q\"\"uote\",,\n"
				    "\"cr\rlf\n\",,\n"
				    "sp ace',,\n");
	strbuf_reset(&sb);
	record_write_row_eol(&sb, "../../../bin/tool", d, 1234567890123LL, "\r\n");
	assert_string_equal(sb.buf, "../../../bin/tool," H_EMPTY ",1234567890123\r\n");
	strbuf_free(&sb);
}

/* What we write, we read back identically. */
static void test_roundtrip(void **state)
{
	static const char *paths[] = {"plain", "a,b", "\"", "x\"y\"", "new\nline", "cr\r\nlf", ","};
	struct strbuf sb = STRBUF_INIT;
	struct record r;
	struct err err;
	uint8_t d[32];

	hash_sha256("x", 1, d);
	for (size_t i = 0; i < 7; i++)
		record_write_row_eol(&sb, paths[i], i % 2 ? d : NULL, i % 2 ? (int64_t)i : -1,
				     i % 3 ? "\n" : "\r\n");
	assert_int_equal(record_parse(sb.buf, sb.len, 100, &r, &err), 0);
	assert_int_equal(r.n, 7);
	for (size_t i = 0; i < 7; i++) {
		const struct record_row *row = record_find(&r, paths[i]);
		assert_non_null(row);
		assert_int_equal(row->size, i % 2 ? (int64_t)i : -1);
		assert_int_equal(row->digest_len, i % 2 ? 32 : 0);
	}
	record_free(&r);
	strbuf_free(&sb);
}

/* Python's csv writer is the reference for the quoting. */
static void test_matches_python_csv(void **state)
{
	const char *py = "import csv,sys\n"
			 "w=csv.writer(sys.stdout,lineterminator='\\n')\n"
			 "for p in ['a,b','q\"u','sp ace','t\\tab','x;y']: w.writerow([p,'',''])\n";
	char cmd[512], out[256] = {0};
	struct strbuf sb = STRBUF_INIT;

	/* Run through a temporary script file to avoid shell quoting. */
	char tmpl[] = "/tmp/whlc-csvXXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	FILE *s = fdopen(fd, "w");
	fputs(py, s);
	fclose(s);
	snprintf(cmd, sizeof(cmd), "python3 %s", tmpl);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	pclose(p);
	unlink(tmpl);
	out[n] = '\0';
	static const char *paths[] = {"a,b", "q\"u", "sp ace", "t\tab", "x;y"};
	for (size_t i = 0; i < 5; i++)
		record_write_row(&sb, paths[i], NULL, -1);
	assert_string_equal(sb.buf, out);
	strbuf_free(&sb);
}

/* Arbitrary bytes never crash the parser; failures always carry a message. */
static void test_random_bytes(void **state)
{
	uint32_t seed = 1;
	char buf[256];
	size_t len;

	for (int i = 0; i < 20000; i++) {
		struct record r;
		struct err err;

		random_input(&seed, buf, &len, "a,\"\r\n=sha256Ab0-_ ");
		err_clear(&err);
		if (record_parse(buf, len, 50, &r, &err) == 0)
			record_free(&r);
		else
			assert_true(err.msg[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),	  cmocka_unit_test(test_line_ends),
	    cmocka_unit_test(test_quoting),	  cmocka_unit_test(test_strong_algos),
	    cmocka_unit_test(test_partial_rows),  cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_nul_and_limit), cmocka_unit_test(test_write),
	    cmocka_unit_test(test_roundtrip),	  cmocka_unit_test(test_matches_python_csv),
	    cmocka_unit_test(test_random_bytes),  cmocka_unit_test(test_identical_duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
