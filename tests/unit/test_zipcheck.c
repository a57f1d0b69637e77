/* test_zipcheck.c: zip structure validation against zips built here (with knobs to corrupt
 * them); test_zipcheck_real.c checks the real wheels on this machine. */
#include "config.h"

#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "hash.h"
#include "record.h"
#include "strbuf.h"
#include "xalloc.h"
#include "zipbuild.h"
#include "zipcheck.h"
/* Run zip_index_read on bytes (through a real file); size_claim 0 means the real size. */
static int check_bytes(const void *buf, size_t len, uint64_t size_claim,
		       const struct zip_limits *lim, struct zip_index *zi, struct err *err)
{
	FILE *f = tmpfile();
	int rc;

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fflush(f);
	err_clear(err);
	rc = zip_index_read(fileno(f), size_claim ? size_claim : len, lim, zi, err);
	fclose(f);
	if (rc < 0) {
		assert_true(err->msg[0] != '\0');
		assert_int_equal(err->code, rc);
		assert_int_equal(zi->n, 0);
		assert_null(zi->v);
	}
	return rc;
}

/* Build and check; returns the code and leaves the message in err. */
static int check(struct zent *e, size_t n, const struct zopts *o, const struct zip_limits *lim,
		 struct err *err)
{
	struct strbuf zip = STRBUF_INIT;
	struct zip_index zi;
	int rc;

	zipbuild(&zip, e, n, o);
	rc = check_bytes(zip.buf, zip.len, 0, lim, &zi, err);
	if (rc == 0)
		zip_index_free(&zi);
	strbuf_free(&zip);
	return rc;
}

/* Expect code with needle in the message. */
#define EXPECT(code, needle, e, n, o, lim)                                                         \
	do {                                                                                       \
		struct err err_;                                                                   \
		int rc_ = check(e, n, o, lim, &err_);                                              \
		if (rc_ != (code))                                                                 \
			fail_msg("line %d: got %d (%s), want %d", __LINE__, rc_,                   \
				 rc_ ? err_.msg : "ok", code);                                     \
		if ((needle) && strstr(err_.msg, (needle) ? (needle) : "") == NULL)                \
			fail_msg("line %d: message '%s' lacks '%s'", __LINE__, err_.msg, needle);  \
	} while (0)

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define REG  (S_IFREG | 0644)

/* A normal archive: fields, offsets, modes, find. */
static void test_valid(void **state)
{
	static char big[100000];
	struct zent e[] = {
	    {.name = "pkg/", .mode = S_IFDIR | 0755},
	    {.name = "pkg/__init__.py", .data = "print('hi')\n", .mode = REG},
	    {.name = "pkg/big.bin", .data = big, .len = sizeof(big), .deflate = 1, .mode = REG},
	    {.name = "bin/tool", .data = "#!python\n", .mode = S_IFREG | 0755},
	    {.name = "win.txt", .data = "x", .mode = 0},
	    {.name = "nontype", .data = "x", .mode = 0755},
	    {.name = "suid", .data = "x", .mode = S_IFREG | 04100},
	    {.name = "caf\xc3\xa9/\xf0\x9f\x98\x80.py", .data = "", .mode = REG},
	    {.name = ".hidden/a..b/.c", .data = "", .mode = REG},
	};
	struct strbuf zip = STRBUF_INIT;
	struct zip_index zi;
	struct err err;

	memset(big, 'a', sizeof(big));
	zipbuild(&zip, e, N(e), NULL);
	if (check_bytes(zip.buf, zip.len, 0, NULL, &zi, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(zi.n, N(e));
	assert_string_equal(zi.v[0].name, "pkg/");
	assert_true(zi.v[0].is_dir);
	assert_false(zi.v[1].is_dir);
	assert_int_equal(zi.v[1].method, 0);
	assert_int_equal(zi.v[1].uncomp_size, 12);
	assert_int_equal(zi.v[1].crc32, crc32(0, (const Bytef *)"print('hi')\n", 12));
	assert_memory_equal(zip.buf + zi.v[1].data_offset, "print('hi')\n", 12);
	assert_int_equal(zi.v[2].method, 8);
	assert_int_equal(zi.v[2].uncomp_size, sizeof(big));
	assert_true(zi.v[2].comp_size < 1000);
	assert_int_equal(zi.total_uncomp, 12 + sizeof(big) + 9 + 1 + 1 + 1);
	assert_false(zi.v[1].executable);
	assert_true(zi.v[3].executable);
	assert_false(zi.v[4].executable); /* no mode at all (Windows) */
	assert_false(zi.v[5].executable); /* 0755 without S_IFREG */
	assert_true(zi.v[6].executable);
	assert_int_equal(zi.v[3].external_attr >> 16, S_IFREG | 0755);
	assert_ptr_equal(zip_index_find(&zi, "bin/tool"), &zi.v[3]);
	assert_ptr_equal(zip_index_find(&zi, "pkg/"), &zi.v[0]);
	assert_null(zip_index_find(&zi, "pkg"));
	assert_null(zip_index_find(&zi, "BIN/tool"));
	zip_index_free(&zi);
	strbuf_free(&zip);
}

/* An archive with no members is valid (the wheel layer rejects it later). */
static void test_empty(void **state)
{
	struct err err;

	assert_int_equal(check(NULL, 0, NULL, NULL, &err), 0);
	struct zopts o = {.comment = "built by hand"};
	assert_int_equal(check(NULL, 0, &o, NULL, &err), 0);
}

/* Not a zip, too small, truncated, a size claim larger than the file. */
static void test_not_zip(void **state)
{
	struct zent e[] = {{.name = "a", .data = "hello", .mode = REG}};
	struct strbuf zip = STRBUF_INIT;
	struct zip_index zi;
	struct err err;
	char junk[5000];

	memset(junk, 'x', sizeof(junk));
	assert_int_equal(check_bytes("", 0, 0, NULL, &zi, &err), -WHLC_EBADWHEEL);
	assert_int_equal(check_bytes("PK\5\6", 4, 0, NULL, &zi, &err), -WHLC_EBADWHEEL);
	assert_int_equal(check_bytes(junk, sizeof(junk), 0, NULL, &zi, &err), -WHLC_EBADWHEEL);
	assert_non_null(strstr(err.msg, "not a zip"));
	zipbuild(&zip, e, 1, NULL);
	assert_int_equal(check_bytes(zip.buf, zip.len - 10, 0, NULL, &zi, &err), -WHLC_EBADWHEEL);
	assert_int_equal(check_bytes(zip.buf, 40, 0, NULL, &zi, &err), -WHLC_EBADWHEEL);
	assert_int_equal(check_bytes(zip.buf, zip.len, zip.len + 100, NULL, &zi, &err),
			 -WHLC_EBADWHEEL);
	assert_non_null(strstr(err.msg, "truncated"));
	strbuf_free(&zip);
}

/* Data descriptors, with and without signature, zip64 ones, and a wrong one. */
static void test_descriptor(void **state)
{
	struct zent e[] = {
	    {.name = "a.py", .data = "aaaaaaaaaaaaaaaaaaaa", .deflate = 1, .descriptor = 1},
	    {.name = "b.py", .data = "bbb", .descriptor = 2},
	    {.name = "c.py", .data = "ccc", .descriptor = 1, .zip64 = 1},
	    {.name = "d.py", .data = "ddd", .descriptor = 2, .zip64 = 1},
	};
	struct err err;

	if (check(e, N(e), NULL, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	e[1].desc_crc_xor = 1;
	EXPECT(-WHLC_EHOSTILE, "member 'b.py': data descriptor", e, N(e), NULL, NULL);
	e[1].desc_crc_xor = 0;
	e[0].local_crc_xor = 5; /* ignored: zeros are written with a descriptor */
	e[0].descriptor = 0;
	e[0].flags = 0;
	EXPECT(-WHLC_EHOSTILE, "member 'a.py': local header CRC", e, N(e), NULL, NULL);
}

/* zip64 end records and extra fields. */
static void test_zip64(void **state)
{
	struct zent e[] = {
	    {.name = "a", .data = "aaaa", .zip64 = 1, .mode = REG},
	    {.name = "b", .data = "bbbbbbbbbbbb", .deflate = 1, .zip64 = 1},
	    {.name = "c", .data = "c"},
	};
	struct zopts o = {.zip64_eocd = 1};
	struct err err;

	if (check(e, N(e), &o, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	o.z64_sentinels = 1;
	if (check(e, N(e), &o, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	o.z64_count_delta = 1;
	EXPECT(-WHLC_EHOSTILE, NULL, e, N(e), &o, NULL);
	o.z64_sentinels = 0;
	EXPECT(-WHLC_EHOSTILE, "zip64 end record disagrees", e, N(e), &o, NULL);
	struct zopts o2 = {.zip64_eocd = 1, .z64_sentinels = 1, .drop_locator = 1};
	EXPECT(-WHLC_EHOSTILE, "locator is missing", e, N(e), &o2, NULL);
	/* A sentinel in the central directory without the zip64 extra field. */
	struct zent f[] = {{.name = "a", .data = "x", .cd_usize = 0xffffffff}};
	EXPECT(-WHLC_EHOSTILE, "no zip64 extra field", f, 1, NULL, NULL);
	/* Two zip64 extra fields. */
	static const char two64[] = "\1\0\0\0";
	struct zent g[] = {{.name = "a", .data = "x", .cd_extra = two64, .cd_extra_len = 4}};
	if (check(g, 1, NULL, NULL, &err) != 0) /* an empty zip64 field is harmless */
		fail_msg("%s", err.msg);
	g[0].zip64 = 1;
	EXPECT(-WHLC_EHOSTILE, "two zip64 extra fields", g, 1, NULL, NULL);
}

/* Trailing data, comments, hidden archives. */
static void test_trailing_and_comment(void **state)
{
	struct zent e[] = {{.name = "a", .data = "x"}};
	struct err err;
	struct zopts o = {.trailer = "junk"};

	EXPECT(-WHLC_EHOSTILE, "trailing data", e, 1, &o, NULL);
	struct zopts c1 = {.comment = "a perfectly fine comment"};
	assert_int_equal(check(e, 1, &c1, NULL, &err), 0);
	struct zopts c2 = {.comment = "x PK\5\6 y", .comment_len = 9};
	EXPECT(-WHLC_EHOSTILE, "comment", e, 1, &c2, NULL);
	struct zopts c3 = {.comment = "PK\3\4 hidden", .comment_len = 11};
	EXPECT(-WHLC_EHOSTILE, "comment", e, 1, &c3, NULL);
	struct zopts c4 = {.comment = "PK\1\2", .comment_len = 4};
	EXPECT(-WHLC_EHOSTILE, "comment", e, 1, &c4, NULL);

	/* A whole second zip appended after the first one's end record. */
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct zent x[] = {{.name = "evil.py", .data = "import os"}};
	struct zip_index zi;
	zipbuild(&a, e, 1, NULL);
	zipbuild(&b, x, 1, NULL);
	strbuf_add(&a, b.buf, b.len);
	assert_int_equal(check_bytes(a.buf, a.len, 0, NULL, &zi, &err), -WHLC_EHOSTILE);
	strbuf_free(&a);
	strbuf_free(&b);
}

/* Prepended data, adjusted or not; gaps between members. */
static void test_prepended_and_gaps(void **state)
{
	struct zent e[] = {{.name = "a", .data = "x"}, {.name = "b", .data = "y"}};
	struct zopts o = {.prefix = "#!/bin/sh\nexec python \"$0\"\n"};

	EXPECT(-WHLC_EHOSTILE, "before the first member 'a'", e, 2, &o, NULL);
	o.prefix_unadjusted = 1;
	EXPECT(-WHLC_EHOSTILE, "prepended", e, 2, &o, NULL);
	struct zopts g = {.gap_after = 1};
	EXPECT(-WHLC_EHOSTILE, "unaccounted bytes between members 'a' and 'b'", e, 2, &g, NULL);
	g.gap_after = 2;
	EXPECT(-WHLC_EHOSTILE, "unaccounted bytes before the central directory", e, 2, &g, NULL);
}

/* Overlapping members and offsets outside the data area. */
static void test_overlap(void **state)
{
	struct zent e[] = {{.name = "a", .data = "xxxx"}, {.name = "b", .data = "yyyy"}};

	e[1].cd_offset = 1; /* b claims a's local header */
	EXPECT(-WHLC_EHOSTILE, NULL, e, 2, NULL, NULL);
	e[1].cd_offset = 0;
	e[0].cd_csize = 20, e[0].cd_usize = 20; /* a's data runs over b */
	e[0].local_csize_delta = 16, e[0].local_usize_delta = 16;
	EXPECT(-WHLC_EHOSTILE, "overlaps", e, 2, NULL, NULL);
	struct zent f[] = {{.name = "a", .data = "x", .cd_offset = 100000}};
	EXPECT(-WHLC_EHOSTILE, "outside", f, 1, NULL, NULL);
	struct zent g[] = {{.name = "a",
			    .data = "x",
			    .cd_csize = 1000,
			    .cd_usize = 1000,
			    .local_csize_delta = 999,
			    .local_usize_delta = 999}};
	EXPECT(-WHLC_EHOSTILE, "runs into the central directory", g, 1, NULL, NULL);
}

/* Local header vs central directory. */
static void test_local_mismatch(void **state)
{
	struct zent base = {.name = "pkg/a.py", .data = "data", .mode = REG};
	struct zent e[8];

	for (size_t i = 0; i < 8; i++)
		e[i] = base;
	e[0].local_name = "pkg/b.py";
	e[1].local_name = "pkg/a.pyx";
	e[2].local_method = 8 + 1;
	e[3].local_crc_xor = 1;
	e[4].local_csize_delta = 1;
	e[5].local_usize_delta = -1;
	e[6].local_flags_xor = 0x800; /* UTF-8 flag on one side only */
	e[7].local_flags_xor = 0x1;   /* encrypted on the local side only */
	for (size_t i = 0; i < 8; i++)
		EXPECT(-WHLC_EHOSTILE, "member 'pkg/a.py': local header", &e[i], 1, NULL, NULL);
	struct zent f = {.name = "a", .data = "x", .cd_method = 8 + 1};
	EXPECT(-WHLC_EHOSTILE, "local header flags or method", &f, 1, NULL, NULL);
}

/* Encryption and compression methods. */
static void test_encryption_methods(void **state)
{
	struct zent e = {.name = "a", .data = "x", .flags = 1};

	EXPECT(-WHLC_EHOSTILE, "member 'a': encrypted", &e, 1, NULL, NULL);
	e.flags = 0x40;
	EXPECT(-WHLC_EHOSTILE, "encrypted", &e, 1, NULL, NULL);
	e.flags = 0x2000;
	EXPECT(-WHLC_EHOSTILE, "encrypted", &e, 1, NULL, NULL);
	static const int methods[] = {1, 6, 9, 12, 14, 93, 95, 99};
	for (size_t i = 0; i < N(methods); i++) {
		struct zent m = {.name = "a",
				 .data = "x",
				 .cd_method = methods[i] + 1,
				 .local_method = methods[i] + 1};
		EXPECT(-WHLC_EHOSTILE, "compression method", &m, 1, NULL, NULL);
	}
	struct zent s = {.name = "a", .data = "x", .cd_csize = 2, .local_csize_delta = 1};
	EXPECT(-WHLC_EHOSTILE, "stored entry", &s, 1, NULL, NULL);
}

/* Hostile and malformed names (spec K.47, A.7). */
static void test_bad_names(void **state)
{
	static const struct {
		const char *name;
		size_t len;
	} bad[] = {
	    {"", 0},
	    {"/etc/passwd", 0},
	    {"../x", 0},
	    {"a/../b", 0},
	    {"a/..", 0},
	    {"..", 0},
	    {".", 0},
	    {"./a", 0},
	    {"a/./b", 0},
	    {"a//b", 0},
	    {"a\\b", 0},
	    {"..\\x", 0},
	    {"a\x01", 0},
	    {"a\nb", 0},
	    {"a\x7f", 0},
	    {"a\0b", 3},
	    {"\xff", 0},
	    {"\xc0\xaf", 0},
	    {"\xe0\x80\xaf", 0},
	    {"\xed\xa0\x80", 0},
	    {"\xe2\x82", 0},
	    {"\xf4\x90\x80\x80", 0},
	    {"\xf8\x88\x80\x80\x80", 0},
	    {"a\x80", 0},
	    {"//", 0},
	    {"/", 0},
	    {"a/\\", 0},
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct zent e = {.name = bad[i].name, .nlen = bad[i].len, .data = "x"};
		struct err err;

		if (bad[i].len == 0 && bad[i].name[0] == '\0') {
			/* nlen 0 means strlen: write an empty name by hand. */
			e.name = "";
		}
		int rc = check(&e, 1, NULL, NULL, &err);
		if (rc != -WHLC_EHOSTILE)
			fail_msg("name %zu accepted (%d)", i, rc);
		assert_non_null(strstr(err.msg, "member") ? err.msg : NULL);
	}
	char *longname = xmalloc(5000);
	memset(longname, 'a', 4999);
	longname[4999] = '\0';
	struct zent l = {.name = longname, .data = "x"};
	EXPECT(-WHLC_EHOSTILE, "longer than 4095", &l, 1, NULL, NULL);
	free(longname);
	/* Control characters are shown escaped in the message. */
	struct zent c = {.name = "evil\x1b[2J", .data = "x"};
	EXPECT(-WHLC_EHOSTILE, "evil\\x1b[2J", &c, 1, NULL, NULL);
}

/* Duplicates, case-insensitive duplicates, file/directory clashes. */
static void test_duplicates(void **state)
{
	struct zent d1[] = {{.name = "a.py", .data = "1"}, {.name = "a.py", .data = "2"}};
	EXPECT(-WHLC_EHOSTILE, "member 'a.py' appears twice", d1, 2, NULL, NULL);
	struct zent d2[] = {{.name = "pkg/Readme", .data = "1"},
			    {.name = "pkg/README", .data = "2"}};
	EXPECT(-WHLC_EHOSTILE, "differ only by case", d2, 2, NULL, NULL);
	struct zent d3[] = {{.name = "a", .data = "1"}, {.name = "a/", .mode = S_IFDIR | 0755}};
	EXPECT(-WHLC_EHOSTILE, NULL, d3, 2, NULL, NULL);
	struct zent d4[] = {{.name = "x/a", .data = "1"},
			    {.name = "x/a-b", .data = "1"},
			    {.name = "X/A/b", .data = "2"}};
	EXPECT(-WHLC_EHOSTILE, "uses it as a directory", d4, 3, NULL, NULL);
	struct zent d5[] = {{.name = "PKG/", .mode = S_IFDIR | 0755}, {.name = "pkg/", .data = ""}};
	EXPECT(-WHLC_EHOSTILE, NULL, d5, 2, NULL, NULL);
	struct zent ok[] = {{.name = "a/"},
			    {.name = "a/b", .data = "1"},
			    {.name = "a-b", .data = "1"},
			    {.name = "ab", .data = "1"},
			    {.name = "a/b2", .data = "1"},
			    {.name = "\xc3\x89", .data = "1"},
			    {.name = "\xc3\xa9", .data = "1"}}; /* only ASCII is folded */
	struct err err;
	if (check(ok, N(ok), NULL, NULL, &err) != 0)
		fail_msg("%s", err.msg);
}

/* File types from the external attributes (spec K.49). */
static void test_file_types(void **state)
{
	static const struct {
		uint32_t mode;
		const char *what;
	} bad[] = {
	    {S_IFLNK | 0777, "symlink"}, {S_IFCHR | 0644, "device"},  {S_IFBLK | 0644, "device"},
	    {S_IFIFO | 0644, "fifo"},	 {S_IFSOCK | 0644, "socket"}, {0170000, "unknown"},
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct zent e = {.name = "link", .data = "/etc/passwd", .mode = bad[i].mode};
		EXPECT(-WHLC_EHOSTILE, bad[i].what, &e, 1, NULL, NULL);
	}
	struct zent d = {.name = "notadir", .mode = S_IFDIR | 0755};
	EXPECT(-WHLC_EHOSTILE, "directory mode", &d, 1, NULL, NULL);
	struct zent dd = {.name = "dir/", .data = "contents", .mode = S_IFDIR | 0755};
	EXPECT(-WHLC_EHOSTILE, "directory entry with data", &dd, 1, NULL, NULL);
}

/* Limits: members, member size, total size, ratios. */
static void test_limits(void **state)
{
	struct zip_limits lim;
	struct zent e[] = {{.name = "a", .data = "12345"},
			   {.name = "b", .data = "12345"},
			   {.name = "c", .data = "12345"}};
	struct err err;

	zip_limits_default(&lim);
	assert_int_equal(lim.max_ratio, 500);
	assert_int_equal(check(e, 3, NULL, &lim, &err), 0);
	lim.max_members = 2;
	EXPECT(-WHLC_ELIMIT, "3 members", e, 3, NULL, &lim);
	zip_limits_default(&lim);
	lim.max_member_size = 4;
	EXPECT(-WHLC_ELIMIT, "member 'a'", e, 3, NULL, &lim);
	zip_limits_default(&lim);
	lim.max_total_size = 14;
	EXPECT(-WHLC_ELIMIT, "total uncompressed size", e, 3, NULL, &lim);
	lim.max_total_size = 15;
	assert_int_equal(check(e, 3, NULL, &lim, &err), 0);

	/* 4 MiB of zeros deflates about 1000x: above the default ratio. */
	size_t n = 4u << 20;
	char *zeros = xcalloc(n, 1);
	struct zent z = {.name = "zeros.bin", .data = zeros, .len = n, .deflate = 1};
	EXPECT(-WHLC_ELIMIT, "zip bomb", &z, 1, NULL, NULL);
	zip_limits_default(&lim);
	lim.ratio_min_size = 8u << 20; /* not checked for members this small */
	assert_int_equal(check(&z, 1, NULL, &lim, &err), 0);
	/* Overall ratio: many small members just below the per-member threshold. */
	zip_limits_default(&lim);
	lim.ratio_min_size = (1u << 20) - 1;
	struct zent many[4];
	for (int i = 0; i < 4; i++)
		many[i] = (struct zent){.name = i == 0	 ? "m0"
						: i == 1 ? "m1"
						: i == 2 ? "m2"
							 : "m3",
					.data = zeros,
					.len = (1u << 20) - 1,
					.deflate = 1};
	lim.ratio_min_size = 1u << 20;
	EXPECT(-WHLC_ELIMIT, "overall compression ratio", many, 4, NULL, &lim);
	free(zeros);
	/* A size claim far beyond the data. */
	struct zent claim = {
	    .name = "a", .data = "x", .cd_usize = 5000000000LL, .zip64 = 1, .deflate = 1};
	struct zopts o = {.zip64_eocd = 1};
	EXPECT(-WHLC_ELIMIT, "member 'a'", &claim, 1, &o, NULL);
}

/* Central directory and end record inconsistencies. */
static void test_garbled_directory(void **state)
{
	struct zent e[] = {{.name = "a", .data = "x"}, {.name = "b", .data = "y"}};
	struct zopts o = {.eocd_count_delta = 1};

	EXPECT(-WHLC_EHOSTILE, NULL, e, 2, &o, NULL);
	o.eocd_count_delta = -1;
	EXPECT(-WHLC_EHOSTILE, "unexplained bytes", e, 2, &o, NULL);
	o.eocd_count_delta = 1000;
	EXPECT(-WHLC_EHOSTILE, "members in a", e, 2, &o, NULL);
	static const char badx[] = "\x99\x99\x50\x00"
				   "abc";
	struct zent x = {.name = "a", .data = "x", .cd_extra = badx, .cd_extra_len = 7};
	EXPECT(-WHLC_EHOSTILE, "corrupt the central directory extra field", &x, 1, NULL, NULL);
	struct zent y = {.name = "a", .data = "x", .lh_extra = badx, .lh_extra_len = 7};
	EXPECT(-WHLC_EHOSTILE, "corrupt the local header extra field", &y, 1, NULL, NULL);
	/* Up to 3 trailing bytes in an extra block are ignored, like Python does. */
	struct zent t = {.name = "a", .data = "x", .cd_extra = "ab", .cd_extra_len = 2};
	struct err err;
	assert_int_equal(check(&t, 1, NULL, NULL, &err), 0);
}

/* The Info-ZIP Unicode path field (0x7075) must agree with the name (libarchive uses it). */
static void test_unicode_path_extra(void **state)
{
	static const char same[] = "\x75\x70\x06\x00\x01\0\0\0\0a";
	static const char other[] = "\x75\x70\x0a\x00\x01\0\0\0\0../x/";
	struct zent e = {.name = "a", .data = "x", .cd_extra = same, .cd_extra_len = 10};
	struct err err;

	assert_int_equal(check(&e, 1, NULL, NULL, &err), 0);
	e.cd_extra = other;
	e.cd_extra_len = 14;
	EXPECT(-WHLC_EHOSTILE, "Unicode path", &e, 1, NULL, NULL);
	struct zent l = {.name = "a", .data = "x", .lh_extra = other, .lh_extra_len = 14};
	EXPECT(-WHLC_EHOSTILE, "Unicode path", &l, 1, NULL, NULL);
}

/*
 * Robustness for the fuzzer to come: every single-byte corruption and every
 * truncation of a small archive either passes or fails with a message, never
 * reads out of bounds (run under --enable-asan).
 */
static void test_mutations(void **state)
{
	struct zent e[] = {{.name = "d/", .mode = S_IFDIR | 0755},
			   {.name = "d/a.py", .data = "print(1)\nprint(2)\n", .deflate = 1},
			   {.name = "b", .data = "bbb", .descriptor = 1, .zip64 = 1}};
	struct zopts o = {.zip64_eocd = 1, .comment = "c"};
	struct strbuf zip = STRBUF_INIT;
	struct zip_index zi;
	struct err err;
	size_t passed = 0;

	zipbuild(&zip, e, N(e), &o);
	assert_int_equal(check_bytes(zip.buf, zip.len, 0, NULL, &zi, &err), 0);
	zip_index_free(&zi);
	char *m = xmalloc(zip.len);
	FILE *f = tmpfile();
	for (size_t i = 0; i < zip.len; i++) {
		static const uint8_t vals[] = {0x00, 0xff, 0x7f, 0x80, 0x01};
		for (size_t k = 0; k < sizeof(vals); k++) {
			memcpy(m, zip.buf, zip.len);
			if ((uint8_t)m[i] == vals[k])
				continue;
			m[i] = (char)vals[k];
			assert_int_equal(ftruncate(fileno(f), 0), 0);
			assert_int_equal(pwrite(fileno(f), m, zip.len, 0), (ssize_t)zip.len);
			err_clear(&err);
			int rc = zip_index_read(fileno(f), zip.len, NULL, &zi, &err);
			if (rc == 0) {
				passed++;
				zip_index_free(&zi);
			} else {
				assert_true(err.msg[0] != '\0');
			}
		}
	}
	for (size_t len = 0; len < zip.len; len++) {
		struct zip_index z2;
		assert_int_not_equal(check_bytes(zip.buf, len, 0, NULL, &z2, &err), 0);
	}
	fclose(f);
	free(m);
	strbuf_free(&zip);
	/* Bytes that no reader looks at (times, version needed, comment) may change. */
	assert_true(passed > 0);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_not_zip),
	    cmocka_unit_test(test_descriptor),
	    cmocka_unit_test(test_zip64),
	    cmocka_unit_test(test_trailing_and_comment),
	    cmocka_unit_test(test_prepended_and_gaps),
	    cmocka_unit_test(test_overlap),
	    cmocka_unit_test(test_local_mismatch),
	    cmocka_unit_test(test_encryption_methods),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_file_types),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_garbled_directory),
	    cmocka_unit_test(test_unicode_path_extra),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
