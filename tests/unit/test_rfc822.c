/* test_rfc822.c: WHEEL/METADATA header parsing and the WHEEL checks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rfc822.h"
#include "unit_random.h"

/* Parse a C string; returns the code. */
static int parse(const char *s, size_t max, struct rfc822 *h, struct err *err)
{
	return rfc822_parse(s, strlen(s), max, h, err);
}

/* A typical WHEEL file. */
static void test_wheel_file(void **state)
{
	struct rfc822 h;
	struct err err;
	const char *w = "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.40.0)\n"
			"Root-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n";

	assert_int_equal(parse(w, 100, &h, &err), 0);
	assert_int_equal(h.n, 5);
	assert_string_equal(h.v[1].name, "Generator");
	assert_string_equal(h.v[1].value, "bdist_wheel (0.40.0)");
	assert_string_equal(rfc822_get(&h, "wheel-version"), "1.0");
	assert_string_equal(rfc822_get(&h, "TAG"), "py2-none-any"); /* the first */
	assert_null(rfc822_get(&h, "Build"));
	rfc822_free(&h);
}

/* CRLF, continuation lines, whitespace trimming, colons in values, no final newline. */
static void test_folding_crlf(void **state)
{
	struct rfc822 h;
	struct err err;
	const char *m = "Name:   spam  \r\nSummary: a\r\n  long\r\n\tsummary\r\nHome-page: "
			"http://x:80/\r\nEmpty:\r\nLast: z";

	assert_int_equal(parse(m, 100, &h, &err), 0);
	assert_int_equal(h.n, 5);
	assert_string_equal(rfc822_get(&h, "Name"), "spam");
	assert_string_equal(rfc822_get(&h, "Summary"), "a  long\tsummary");
	assert_string_equal(rfc822_get(&h, "Home-page"), "http://x:80/");
	assert_string_equal(rfc822_get(&h, "Empty"), "");
	assert_string_equal(rfc822_get(&h, "Last"), "z");
	rfc822_free(&h);
}

/* The body after the first blank line is ignored, even when it looks like headers. */
static void test_body_ignored(void **state)
{
	struct rfc822 h;
	struct err err;

	assert_int_equal(parse("Name: a\nVersion: 1\n\nName: b\nnot a header\n", 100, &h, &err), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(rfc822_get(&h, "name"), "a");
	rfc822_free(&h);
	assert_int_equal(parse("Name: a\r\n\r\nbody", 100, &h, &err), 0);
	assert_int_equal(h.n, 1);
	rfc822_free(&h);
	assert_int_equal(parse("", 100, &h, &err), 0);
	assert_int_equal(h.n, 0);
	rfc822_free(&h);
}

/* Malformed input: each is -WHLC_EBADWHEEL with a line number. */
static void test_malformed(void **state)
{
	static const char *bad[] = {
	    "no colon here\n",	       " leading continuation\n", "Name: a\nbroken\n",
	    ": empty name\n",	       "Bad Name: x\n",		  "Name\x01: x\n",
	    "Name: a\nX\xc3\xa9: y\n",
	};
	struct rfc822 h;
	struct err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		if (parse(bad[i], 100, &h, &err) != -WHLC_EBADWHEEL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err.msg, "line"));
		assert_int_equal(h.n, 0);
	}
	assert_int_equal(rfc822_parse("Name: a\0b\n", 10, 100, &h, &err), -WHLC_EBADWHEEL);
}

/* The header count is bounded. */
static void test_max_headers(void **state)
{
	struct rfc822 h;
	struct err err;

	assert_int_equal(parse("A: 1\nB: 2\nC: 3\n", 3, &h, &err), 0);
	rfc822_free(&h);
	assert_int_equal(parse("A: 1\nB: 2\nC: 3\nD: 4\n", 3, &h, &err), -WHLC_ELIMIT);
	assert_int_equal(h.n, 0);
}

/* Run rfc822_check_wheel on a WHEEL text. */
static int check(const char *s, int *pure, int *newer, struct err *err)
{
	struct rfc822 h;
	int rc;

	assert_int_equal(parse(s, 100, &h, err), 0);
	rc = rfc822_check_wheel(&h, pure, newer, err);
	rfc822_free(&h);
	return rc;
}

/* Spec B.8/B.9: versions and Root-Is-Purelib. */
static void test_check_wheel(void **state)
{
	struct err err;
	int pure = -1, newer = -1;

	assert_int_equal(check("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n", &pure, &newer, &err),
			 0);
	assert_int_equal(pure, 1);
	assert_int_equal(newer, 0);
	assert_int_equal(check("Wheel-Version: 1.0\nRoot-Is-Purelib: TRUE\n", &pure, &newer, &err),
			 0);
	assert_int_equal(pure, 1);
	assert_int_equal(check("Wheel-Version: 1.0\nRoot-Is-Purelib: false\n", &pure, &newer, &err),
			 0);
	assert_int_equal(pure, 0);
	assert_int_equal(check("Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n", &pure, &newer, &err),
			 0);
	assert_int_equal(pure, 0);
	assert_int_equal(check("Wheel-Version: 1.0\n", &pure, &newer, &err), 0);
	assert_int_equal(pure, 0);
	assert_int_equal(check("Wheel-Version: 1.1\nRoot-Is-Purelib: true\n", &pure, &newer, &err),
			 0);
	assert_int_equal(newer, 1);
	assert_int_equal(check("Wheel-Version: 1.9\n", &pure, &newer, &err), 0);
	assert_int_equal(newer, 1);
	assert_int_equal(check("Wheel-Version: 1.0.1\n", &pure, &newer, &err), 0);
	assert_int_equal(newer, 1);
	assert_int_equal(check("Wheel-Version: 1\n", &pure, &newer, &err), 0);
	assert_int_equal(newer, 0);
	assert_int_equal(check("wheel-version:  1.0  \n", &pure, &newer, &err), 0);
	assert_int_equal(check("Wheel-Version: 1.0\n", NULL, NULL, &err), 0);
}

/* Missing, non-numeric, or unsupported major versions. */
static void test_check_wheel_bad(void **state)
{
	static const char *bad[] = {
	    "Root-Is-Purelib: true\n",
	    "Wheel-Version: \n",
	    "Wheel-Version: one\n",
	    "Wheel-Version: 1.x\n",
	    "Wheel-Version: 1..0\n",
	    "Wheel-Version: 1.0.\n",
	    "Wheel-Version: 2.0\n",
	    "Wheel-Version: 0.9\n",
	    "Wheel-Version: -1.0\n",
	    "Wheel-Version: 1.0 beta\n",
	    "Wheel-Version: 99999999999999999999.0\n",
	};
	struct err err;
	int pure, newer;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		if (check(bad[i], &pure, &newer, &err) != -WHLC_EBADWHEEL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err.msg, "Wheel-Version"));
	}
}

/* Arbitrary bytes never crash the parser; failures always carry a message. */
static void test_random_bytes(void **state)
{
	uint32_t seed = 2;
	char buf[256];
	size_t len;

	for (int i = 0; i < 20000; i++) {
		struct rfc822 h;
		struct err err;
		int pure, newer;

		random_input(&seed, buf, &len, "Wheel-Version: 1.0\r\n\t ");
		err_clear(&err);
		if (rfc822_parse(buf, len, 20, &h, &err) == 0) {
			if (rfc822_check_wheel(&h, &pure, &newer, &err) < 0)
				assert_true(err.msg[0] != '\0');
			rfc822_free(&h);
		} else {
			assert_true(err.msg[0] != '\0');
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wheel_file),	    cmocka_unit_test(test_folding_crlf),
	    cmocka_unit_test(test_body_ignored),    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_max_headers),	    cmocka_unit_test(test_check_wheel),
	    cmocka_unit_test(test_check_wheel_bad), cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
