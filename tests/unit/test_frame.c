/* test_frame.c: frame codec and msg helpers: incremental decoding and every malformed case. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "msg.h"
#include "proto.h"

/* Build a frame {type: 17, id: 5, body: {name: "x", n: 3}}. */
static char *sample_frame(size_t *len)
{
	struct msg_map b;
	char *f;

	msg_map_init(&b);
	msg_add_str(&b, "name", "x");
	msg_add_uint(&b, "n", 3);
	f = msg_frame(PROTO_STATUS, 5, &b, len);
	msg_map_free(&b);
	return f;
}

/* Feed all of data into d one byte at a time; return the feed result of the last byte. */
static int feed_bytewise(struct frame_dec *d, const char *data, size_t len, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < len; i++) {
		const char *p = data + i;
		size_t n = 1;
		rc = frame_dec_feed(d, &p, &n, e);
		if (rc < 0)
			return rc;
		assert_int_equal(n, 0);
		if (i + 1 < len)
			assert_int_equal(rc, 0);
	}
	return rc;
}

/* A frame fed byte by byte decodes to the original map. */
static void test_incremental(void **state)
{
	struct frame_dec d;
	struct err e;
	msgpack_unpacked u;
	size_t len;
	char *f = sample_frame(&len);
	uint64_t v = 0;

	frame_dec_init(&d, PROTO_FRAME_MAX);
	assert_int_equal(feed_bytewise(&d, f, len, &e), 1);
	msgpack_unpacked_init(&u);
	assert_int_equal(frame_dec_take(&d, &u, &e), 0);
	assert_int_equal(msg_get_uint(&u.data, "type", true, &v, &e), 0);
	assert_int_equal(v, PROTO_STATUS);
	assert_int_equal(msg_get_uint(&u.data, "id", true, &v, &e), 0);
	assert_int_equal(v, 5);
	const msgpack_object *body = NULL;
	assert_int_equal(msg_get_map(&u.data, "body", true, &body, &e), 0);
	char *s = NULL;
	assert_int_equal(msg_get_str(body, "name", true, 10, &s, &e), 0);
	assert_string_equal(s, "x");
	free(s);
	assert_false(frame_dec_partial(&d));
	msgpack_unpacked_destroy(&u);
	frame_dec_free(&d);
	free(f);
}

/* Two frames in one buffer come out one after the other. */
static void test_two_frames_one_read(void **state)
{
	struct frame_dec d;
	struct err e;
	msgpack_unpacked u;
	size_t len;
	char *f = sample_frame(&len);
	char *two = malloc(2 * len);
	memcpy(two, f, len);
	memcpy(two + len, f, len);
	const char *p = two;
	size_t n = 2 * len;

	frame_dec_init(&d, PROTO_FRAME_MAX);
	msgpack_unpacked_init(&u);
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), 1);
	assert_int_equal(n, len);
	assert_int_equal(frame_dec_take(&d, &u, &e), 0);
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), 1);
	assert_int_equal(n, 0);
	assert_int_equal(frame_dec_take(&d, &u, &e), 0);
	msgpack_unpacked_destroy(&u);
	frame_dec_free(&d);
	free(two);
	free(f);
}

/* An oversize length is refused from the header alone, before any payload buffer exists. */
static void test_oversize_before_alloc(void **state)
{
	struct frame_dec d;
	struct err e;
	unsigned char hdr[4];
	const char *p = (const char *)hdr;
	size_t n = 4;

	frame_put_len(hdr, PROTO_FRAME_MAX + 1);
	frame_dec_init(&d, PROTO_FRAME_MAX);
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), -WHLC_ELIMIT);
	assert_null(d.buf);
	assert_non_null(strstr(e.msg, "exceeds"));
	frame_put_len(hdr, 0xffffffffu);
	frame_dec_free(&d);
	frame_dec_init(&d, PROTO_FRAME_MAX);
	p = (const char *)hdr;
	n = 4;
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), -WHLC_ELIMIT);
	assert_null(d.buf);
	frame_dec_free(&d);
}

/* A zero-length frame is an error. */
static void test_empty_frame(void **state)
{
	struct frame_dec d;
	struct err e;
	const char *p = "\0\0\0\0";
	size_t n = 4;

	frame_dec_init(&d, PROTO_FRAME_MAX);
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), -WHLC_EPROTO);
	frame_dec_free(&d);
}

/* A truncated frame stays pending (and partial) until the connection ends. */
static void test_truncated(void **state)
{
	struct frame_dec d;
	struct err e;
	size_t len;
	char *f = sample_frame(&len);
	const char *p = f;
	size_t n = len - 3;

	frame_dec_init(&d, PROTO_FRAME_MAX);
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), 0);
	assert_true(frame_dec_partial(&d));
	frame_dec_free(&d);
	frame_dec_init(&d, PROTO_FRAME_MAX);
	p = f;
	n = 2; /* half a header */
	assert_int_equal(frame_dec_feed(&d, &p, &n, &e), 0);
	assert_true(frame_dec_partial(&d));
	frame_dec_free(&d);
	free(f);
}

/* Unpack a raw payload and return the result code. */
static int unpack_raw(const char *buf, size_t len)
{
	msgpack_unpacked u;
	struct err e;
	int rc;

	msgpack_unpacked_init(&u);
	rc = frame_unpack(buf, len, &u, &e);
	msgpack_unpacked_destroy(&u);
	return rc;
}

/* Garbage, wrong top-level types, lying lengths, trailing bytes and deep nesting are refused. */
static void test_malformed_payloads(void **state)
{
	/* 0xc1 is never used by msgpack. */
	assert_int_equal(unpack_raw("\xc1", 1), -WHLC_EPROTO);
	/* Random text. */
	assert_int_equal(unpack_raw("GET / HTTP/1.1\r\n", 16), -WHLC_EPROTO);
	/* Valid msgpack but not a map: array, string, int. */
	assert_int_equal(unpack_raw("\x91\x01", 2), -WHLC_EPROTO);
	assert_int_equal(unpack_raw("\xa3"
				    "abc",
				    4),
			 -WHLC_EPROTO);
	assert_int_equal(unpack_raw("\x05", 1), -WHLC_EPROTO);
	/* A map declaring 2^32-1 entries in 5 bytes: refused before msgpack-c allocates. */
	assert_int_equal(unpack_raw("\xdf\xff\xff\xff\xff", 5), -WHLC_EPROTO);
	/* An array of 65535 elements with one present. */
	assert_int_equal(unpack_raw("\x81\xa1k\xdc\xff\xff\x01", 7), -WHLC_EPROTO);
	/* A string longer than the payload. */
	assert_int_equal(unpack_raw("\x81\xa1k\xdb\x00\x01\x00\x00xx", 10), -WHLC_EPROTO);
	/* Truncated length field. */
	assert_int_equal(unpack_raw("\x81\xa1k\xda\x00", 5), -WHLC_EPROTO);
	/* Map with a missing value. */
	assert_int_equal(unpack_raw("\x82\xa1k\x01\xa1j", 5), -WHLC_EPROTO);
	/* Trailing garbage after a complete map. */
	assert_int_equal(unpack_raw("\x80\x00", 2), -WHLC_EPROTO);
	/* ext types are not part of the protocol. */
	assert_int_equal(unpack_raw("\x81\xa1k\xd4\x01\x02", 6), -WHLC_EPROTO);
	/* Valid empty map. */
	assert_int_equal(unpack_raw("\x80", 1), 0);
}

/* Nesting beyond PROTO_MAX_DEPTH is refused. */
static void test_deep_nesting(void **state)
{
	char buf[128];
	size_t n = 0;

	for (int i = 0; i < 40; i++) {
		buf[n++] = (char)0x81; /* {"k": ...} */
		buf[n++] = (char)0xa1;
		buf[n++] = 'k';
	}
	buf[n++] = (char)0x80;
	assert_int_equal(frame_validate(buf, n, PROTO_MAX_DEPTH, PROTO_MAX_ELEMENTS, NULL),
			 -WHLC_ELIMIT);
	/* Shallow enough passes. */
	assert_int_equal(
	    frame_validate(buf + 3 * 30, n - 3 * 30, PROTO_MAX_DEPTH, PROTO_MAX_ELEMENTS, NULL), 0);
}

/* The element cap counts every object. */
static void test_element_cap(void **state)
{
	const char arr[] = "\x95\x01\x02\x03\x04\x05";

	assert_int_equal(frame_validate(arr, 6, 4, 6, NULL), 0);
	assert_int_equal(frame_validate(arr, 6, 4, 5, NULL), -WHLC_ELIMIT);
}

/* Typed getters refuse wrong types, over-long strings and oversize arrays. */
static void test_getters_validate(void **state)
{
	struct msg_map m;
	struct strbuf sb = STRBUF_INIT;
	msgpack_unpacked u;
	struct err e;
	const char *names[] = {"a", "bb", "ccc"};
	char *s = NULL, **v = NULL;
	uint64_t x = 0;
	bool b = false;
	size_t count = 0;

	msg_map_init(&m);
	msg_add_str(&m, "s", "hello");
	msg_add_int(&m, "neg", -4);
	msg_add_bool(&m, "yes", true);
	msg_add_str_array(&m, "names", names, 3);
	msg_add_strn(&m, "nul", "a\0b", 3);
	msg_map_encode(&m, &sb);
	msgpack_unpacked_init(&u);
	assert_int_equal(frame_unpack(sb.buf, sb.len, &u, &e), 0);

	assert_int_equal(msg_get_str(&u.data, "s", true, 5, &s, &e), 0);
	assert_string_equal(s, "hello");
	free(s);
	assert_int_equal(msg_get_str(&u.data, "s", true, 4, &s, &e), -WHLC_EPROTO);
	assert_int_equal(msg_get_str(&u.data, "nul", true, 10, &s, &e), -WHLC_EPROTO);
	assert_int_equal(msg_get_uint(&u.data, "s", true, &x, &e), -WHLC_EPROTO);
	assert_non_null(strstr(e.msg, "\"s\""));
	assert_int_equal(msg_get_uint(&u.data, "neg", true, &x, &e), -WHLC_EPROTO);
	assert_int_equal(msg_get_uint(&u.data, "missing", true, &x, &e), -WHLC_EPROTO);
	x = 7;
	assert_int_equal(msg_get_uint(&u.data, "missing", false, &x, &e), 0);
	assert_int_equal(x, 7);
	assert_int_equal(msg_get_bool(&u.data, "yes", true, &b, &e), 0);
	assert_true(b);
	assert_int_equal(msg_get_bool(&u.data, "s", true, &b, &e), -WHLC_EPROTO);
	assert_int_equal(msg_get_str_array(&u.data, "names", true, 3, 3, &v, &count, &e), 0);
	assert_int_equal(count, 3);
	assert_string_equal(v[2], "ccc");
	assert_null(v[3]);
	msg_strv_free(v);
	assert_int_equal(msg_get_str_array(&u.data, "names", true, 2, 3, &v, &count, &e),
			 -WHLC_EPROTO);
	assert_int_equal(msg_get_str_array(&u.data, "names", true, 3, 2, &v, &count, &e),
			 -WHLC_EPROTO);
	assert_int_equal(msg_get_str_array(&u.data, "s", true, 3, 2, &v, &count, &e), -WHLC_EPROTO);

	msgpack_unpacked_destroy(&u);
	strbuf_free(&sb);
	msg_map_free(&m);
}

/* Error frames carry the stable code name and the message. */
static void test_error_frame(void **state)
{
	size_t len;
	char *f = msg_error_frame(9, -PROTO_EVERSION, "versions differ", NULL, &len);
	msgpack_unpacked u;
	struct err e;
	char *code = NULL;
	uint64_t id = 0;

	msgpack_unpacked_init(&u);
	assert_int_equal(frame_unpack(f + 4, len - 4, &u, &e), 0);
	assert_int_equal(msg_get_uint(&u.data, "id", true, &id, &e), 0);
	assert_int_equal(id, 9);
	assert_int_equal(msg_get_str(&u.data, "code", true, 64, &code, &e), 0);
	assert_string_equal(code, "version-mismatch");
	assert_int_equal(proto_code_from_name(code), -PROTO_EVERSION);
	assert_string_equal(proto_code_name(-WHLC_EPROTO), "protocol-error");
	free(code);
	msgpack_unpacked_destroy(&u);
	free(f);
}

/* JSON output escapes strings and keeps structure. */
static void test_json(void **state)
{
	struct msg_map m, sub;
	struct strbuf sb = STRBUF_INIT, js = STRBUF_INIT;
	msgpack_unpacked u;
	struct err e;

	msg_map_init(&m);
	msg_map_init(&sub);
	msg_add_uint(&sub, "n", 1);
	msg_add_str(&m, "q", "a\"b\n");
	msg_add_map(&m, "sub", &sub);
	msg_add_bool(&m, "t", false);
	msg_map_encode(&m, &sb);
	msgpack_unpacked_init(&u);
	assert_int_equal(frame_unpack(sb.buf, sb.len, &u, &e), 0);
	msg_to_json(&u.data, &js, 0);
	assert_string_equal(js.buf, "{\"q\":\"a\\\"b\\n\",\"sub\":{\"n\":1},\"t\":false}");
	msgpack_unpacked_destroy(&u);
	strbuf_free(&sb);
	strbuf_free(&js);
	msg_map_free(&m);
	msg_map_free(&sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_incremental),
	    cmocka_unit_test(test_two_frames_one_read),
	    cmocka_unit_test(test_oversize_before_alloc),
	    cmocka_unit_test(test_empty_frame),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_malformed_payloads),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_element_cap),
	    cmocka_unit_test(test_getters_validate),
	    cmocka_unit_test(test_error_frame),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
