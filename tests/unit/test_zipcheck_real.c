/* test_zipcheck_real.c: every real wheel on this machine passes zip validation, lists what
 * Python's zipfile lists, and agrees with its own RECORD. */
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
#include "zipcheck.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Read member e's bytes (stored or deflated); NULL when inflation fails. */
static char *read_member(int fd, const struct zip_entry *e)
{
	char *comp = xmalloc(e->comp_size + 1), *out = xmalloc(e->uncomp_size + 1);

	assert_int_equal(pread(fd, comp, e->comp_size, (off_t)e->data_offset),
			 (ssize_t)e->comp_size);
	if (e->method == 0) {
		memcpy(out, comp, e->comp_size);
	} else {
		z_stream z = {0};
		assert_int_equal(inflateInit2(&z, -15), Z_OK);
		z.next_in = (Bytef *)comp;
		z.avail_in = (uInt)e->comp_size;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)e->uncomp_size + 1;
		int rc = inflate(&z, Z_FINISH);
		inflateEnd(&z);
		if (rc != Z_STREAM_END || z.total_out != e->uncomp_size) {
			free(comp);
			free(out);
			return NULL;
		}
	}
	free(comp);
	assert_int_equal(crc32(0, (const Bytef *)out, (uInt)e->uncomp_size), e->crc32);
	return out;
}

/* Compare our member list with Python's zipfile for one wheel. */
static void compare_with_python(const char *path, const struct zip_index *zi)
{
	char cmd[4200];
	struct strbuf want = STRBUF_INIT, got = STRBUF_INIT;
	char line[4200];

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys,zipfile; [print(n) for n in "
		 "zipfile.ZipFile(sys.argv[1]).namelist()]' '%s'",
		 path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		strbuf_adds(&want, line);
	assert_int_equal(pclose(p), 0);
	for (size_t i = 0; i < zi->n; i++)
		strbuf_addf(&got, "%s\n", zi->v[i].name);
	assert_string_equal(got.buf, want.buf);
	strbuf_free(&want);
	strbuf_free(&got);
}

/*
 * Every real wheel on this machine passes, lists what Python's zipfile
 * lists, and agrees with its own RECORD: each member except RECORD is listed
 * with the right sha256 and size, and each RECORD row names a member.
 */
static void test_real_wheels(void **state)
{
	static const char *pats[] = {"/usr/share/python-wheels/*.whl",
				     "/root/.pyenv/versions/*/lib/python*/ensurepip/_bundled/*.whl",
				     "/root/.pyenv/versions/*/lib/python*/test/*.whl",
				     "/root/.pyenv/versions/*/lib/python*/test/wheeldata/*.whl"};
	size_t seen = 0;

	for (size_t g = 0; g < N(pats); g++) {
		glob_t gl;

		if (glob(pats[g], 0, NULL, &gl) != 0)
			continue;
		for (size_t w = 0; w < gl.gl_pathc; w++) {
			const char *path = gl.gl_pathv[w];
			int fd = open(path, O_RDONLY);
			struct stat st;
			struct zip_index zi;
			struct err err;

			assert_true(fd >= 0 && fstat(fd, &st) == 0);
			if (zip_index_read(fd, (uint64_t)st.st_size, NULL, &zi, &err) != 0)
				fail_msg("%s: %s", path, err.msg);
			compare_with_python(path, &zi);
			const struct zip_entry *rec = NULL;
			for (size_t i = 0; i < zi.n; i++) {
				size_t l = strlen(zi.v[i].name);
				if (l > 18 &&
				    strcmp(zi.v[i].name + l - 18, ".dist-info/RECORD") == 0)
					rec = &zi.v[i];
				if (l > 17 &&
				    strcmp(zi.v[i].name + l - 17, ".dist-info/RECORD") == 0)
					rec = &zi.v[i];
			}
			assert_non_null(rec);
			char *text = read_member(fd, rec);
			assert_non_null(text);
			struct record r;
			if (record_parse(text, rec->uncomp_size, 100000, &r, &err) != 0)
				fail_msg("%s: %s", path, err.msg);
			for (size_t i = 0; i < zi.n; i++) {
				const struct zip_entry *e = &zi.v[i];
				if (e->is_dir || e == rec)
					continue;
				const struct record_row *row = record_find(&r, e->name);
				if (row == NULL)
					fail_msg("%s: %s not in RECORD", path, e->name);
				char *data = read_member(fd, e);
				assert_non_null(data);
				uint8_t d[32];
				hash_sha256(data, e->uncomp_size, d);
				assert_string_equal(row->algo, "sha256");
				assert_memory_equal(row->digest, d, 32);
				assert_int_equal(row->size, (int64_t)e->uncomp_size);
				free(data);
			}
			for (size_t i = 0; i < r.n; i++)
				if (zip_index_find(&zi, r.rows[i].path) == NULL)
					fail_msg("%s: RECORD row %s not in the zip", path,
						 r.rows[i].path);
			record_free(&r);
			free(text);
			zip_index_free(&zi);
			close(fd);
			seen++;
		}
		globfree(&gl);
	}
	if (seen == 0)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_wheels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
