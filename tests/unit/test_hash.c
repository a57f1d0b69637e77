/* test_hash.c: SHA-256, hex and urlsafe base64. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

/* Hex of the SHA-256 of s. */
static void hex_of(const char *s, size_t n, char out[HASH_SHA256_HEX_LEN + 1])
{
	uint8_t d[HASH_SHA256_LEN];

	hash_sha256(s, n, d);
	hash_to_hex(d, sizeof(d), out);
}

/* FIPS 180-2 vectors. */
static void test_sha256_vectors(void **state)
{
	char hex[HASH_SHA256_HEX_LEN + 1];

	hex_of("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hex_of(two, strlen(two), hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* Feeding in pieces (including empty ones) equals one shot. */
static void test_sha256_incremental(void **state)
{
	uint8_t a[HASH_SHA256_LEN], b[HASH_SHA256_LEN];
	char buf[1000];
	struct hash_sha256 h;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	hash_sha256(buf, sizeof(buf), a);
	hash_sha256_init(&h);
	hash_sha256_update(&h, buf, 1);
	hash_sha256_update(&h, buf + 1, 0);
	hash_sha256_update(&h, buf + 1, 499);
	hash_sha256_update(&h, buf + 500, 500);
	hash_sha256_final(&h, b);
	assert_memory_equal(a, b, sizeof(a));
	assert_null(h.md);
}

/* Hex round trip, case, wrong lengths and characters. */
static void test_hex(void **state)
{
	uint8_t d[4] = {0x00, 0xab, 0xCD, 0xff}, e[4];
	char s[9];

	hash_to_hex(d, 4, s);
	assert_string_equal(s, "00abcdff");
	assert_int_equal(hash_from_hex("00abcdff", e, 4), 0);
	assert_memory_equal(d, e, 4);
	assert_int_equal(hash_from_hex("00ABCDFF", e, 4), 0);
	assert_memory_equal(d, e, 4);
	assert_int_equal(hash_from_hex("00abcdf", e, 4), -EINVAL);
	assert_int_equal(hash_from_hex("00abcdff0", e, 4), -EINVAL);
	assert_int_equal(hash_from_hex("00abcdfg", e, 4), -EINVAL);
	assert_int_equal(hash_from_hex("", e, 0), 0);
	assert_int_equal(hash_from_hex(" 0abcdff", e, 4), -EINVAL);
}

/* RFC 4648 vectors, in urlsafe form without padding. */
static void test_b64_vectors(void **state)
{
	static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	char out[16];
	uint8_t back[16];

	for (size_t i = 0; i < 7; i++) {
		size_t n = strlen(plain[i]);

		hash_to_b64url((const uint8_t *)plain[i], n, out);
		assert_string_equal(out, enc[i]);
		assert_int_equal(hash_from_b64url(enc[i], back, sizeof(back)), (int)n);
		assert_memory_equal(back, plain[i], n);
	}
}

/* The digest as RECORD shows it, and the urlsafe alphabet ("-" and "_"). */
static void test_b64_record_digest(void **state)
{
	uint8_t d[HASH_SHA256_LEN], back[HASH_SHA256_LEN];
	char out[HASH_SHA256_B64_LEN + 2];

	hash_sha256("", 0, d);
	hash_to_b64url(d, sizeof(d), out);
	assert_string_equal(out, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
	assert_int_equal(strlen(out), HASH_SHA256_B64_LEN);
	assert_int_equal(hash_from_b64url(out, back, sizeof(back)), HASH_SHA256_LEN);
	assert_memory_equal(d, back, sizeof(d));
	uint8_t ff[3] = {0xfb, 0xff, 0xff};
	hash_to_b64url(ff, 3, out);
	assert_string_equal(out, "-___");
}

/* Padding is tolerated only where it completes a group. */
static void test_b64_padding(void **state)
{
	uint8_t b[8];

	assert_int_equal(hash_from_b64url("Zg==", b, sizeof(b)), 1);
	assert_int_equal(hash_from_b64url("Zm8=", b, sizeof(b)), 2);
	assert_int_equal(hash_from_b64url("Zg=", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zm9v=", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zg===", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("=", b, sizeof(b)), -EINVAL);
}

/* Strictness: foreign characters, impossible lengths, non-canonical bits, capacity. */
static void test_b64_invalid(void **state)
{
	uint8_t b[4];

	assert_int_equal(hash_from_b64url("Zm+v", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zm/v", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zm9 ", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zm9\n", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zm9v!", b, sizeof(b)), -EINVAL);
	assert_int_equal(hash_from_b64url("Zm9vY", b, sizeof(b)), -EINVAL);    /* 4k+1 */
	assert_int_equal(hash_from_b64url("Zh", b, sizeof(b)), -EINVAL);       /* low bits set */
	assert_int_equal(hash_from_b64url("Zm9", b, sizeof(b)), -EINVAL);      /* low bits set */
	assert_int_equal(hash_from_b64url("Zm9vYmFy", b, sizeof(b)), -EINVAL); /* 6 > cap 4 */
	assert_int_equal(hash_from_b64url("Zm9vYg", b, sizeof(b)), 4);
	assert_int_equal(hash_from_b64url("\xc3\xa9xx", b, sizeof(b)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_sha256_incremental),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_b64_vectors),
	    cmocka_unit_test(test_b64_record_digest),
	    cmocka_unit_test(test_b64_padding),
	    cmocka_unit_test(test_b64_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
