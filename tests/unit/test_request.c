/* test_request.c: the request table and dispatch rules (envelope, unknown ids, states). */
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
#include "daemon/request.h"

/* Look type up in state and return the code. */
static int lookup(uint64_t type, enum conn_state state, bool test_mode)
{
	const struct req_def *def = NULL;
	struct err e;

	return req_lookup(type, state, test_mode, &def, &e);
}

/* Unknown ids, reply-kind ids and ids without a table row are unknown requests. */
static void test_unknown(void **state)
{
	assert_int_equal(lookup(9999, CONN_READY, false), -PROTO_EUNKNOWN);
	assert_int_equal(lookup(0, CONN_READY, false), -PROTO_EUNKNOWN);
	assert_int_equal(lookup(PROTO_REPLY_OK, CONN_READY, false), -PROTO_EUNKNOWN);
	assert_int_equal(lookup(PROTO_REPLY_ERROR, CONN_NEW, false), -PROTO_EUNKNOWN);
	assert_int_equal(lookup(PROTO_EVENT, CONN_READY, false), -PROTO_EUNKNOWN);
	/* Every id without a table row (reserved ones included) is unknown. */
	for (uint64_t t = 1; t < 256; t++) {
		bool in_table = false;

		for (size_t i = 0; i < req_table_len; i++)
			in_table |= req_table[i].type == t;
		if (!in_table)
			assert_int_equal(lookup(t, CONN_READY, false), -PROTO_EUNKNOWN);
	}
	assert_int_equal(lookup((uint64_t)PROTO_STATUS + (1ull << 32), CONN_READY, false),
			 -PROTO_EUNKNOWN);
}

/* Only hello is allowed before hello; hello is not allowed twice. */
static void test_states(void **state)
{
	const struct req_def *def = NULL;
	struct err e;

	assert_int_equal(req_lookup(PROTO_HELLO, CONN_NEW, false, &def, &e), 0);
	assert_string_equal(def->name, "hello");
	assert_int_equal(lookup(PROTO_STATUS, CONN_NEW, false), -PROTO_ESTATE);
	assert_int_equal(req_lookup(PROTO_SHUTDOWN, CONN_NEW, false, &def, &e), -PROTO_ESTATE);
	assert_non_null(strstr(e.msg, "before hello"));
	assert_int_equal(lookup(PROTO_HELLO, CONN_READY, false), -PROTO_ESTATE);
	assert_int_equal(lookup(PROTO_STATUS, CONN_READY, false), 0);
	assert_int_equal(lookup(PROTO_SHUTDOWN, CONN_READY, false), 0);
}

/* Test-only requests exist only in test mode. */
static void test_test_only(void **state)
{
	assert_int_equal(lookup(PROTO_TEST_SLEEP, CONN_READY, false), -PROTO_EUNKNOWN);
	assert_int_equal(lookup(PROTO_TEST_SLEEP, CONN_READY, true), 0);
	assert_int_equal(lookup(PROTO_TEST_SLEEP, CONN_NEW, true), -PROTO_ESTATE);
}

/* Ids in the table are unique, have handlers and names, and are not reply kinds. */
static void test_table_sane(void **state)
{
	for (size_t i = 0; i < req_table_len; i++) {
		assert_non_null(req_table[i].handler);
		assert_non_null(req_table[i].name);
		assert_true(req_table[i].type >= PROTO_HELLO);
		assert_true(req_table[i].states != 0);
		for (size_t j = i + 1; j < req_table_len; j++)
			assert_int_not_equal(req_table[i].type, req_table[j].type);
	}
}

/* Encode m and parse it as an envelope; returns the code. */
static int parse(struct msg_map *m, uint64_t *type, uint64_t *id, bool *has_body)
{
	struct strbuf sb = STRBUF_INIT;
	msgpack_unpacked u;
	const msgpack_object *body = NULL;
	struct err e;
	int rc;

	msg_map_encode(m, &sb);
	msgpack_unpacked_init(&u);
	rc = frame_unpack(sb.buf, sb.len, &u, &e);
	if (rc == 0)
		rc = req_parse_envelope(&u.data, type, id, &body, &e);
	*has_body = body != NULL;
	msgpack_unpacked_destroy(&u);
	strbuf_free(&sb);
	msg_map_free(m);
	return rc;
}

/* Envelopes need uint type and id; body, when present, must be a map. */
static void test_envelope(void **state)
{
	struct msg_map m;
	uint64_t type = 0, id = 0;
	bool has_body;

	msg_map_init(&m);
	msg_add_uint(&m, "type", PROTO_STATUS);
	msg_add_uint(&m, "id", 42);
	assert_int_equal(parse(&m, &type, &id, &has_body), 0);
	assert_int_equal(type, PROTO_STATUS);
	assert_int_equal(id, 42);
	assert_false(has_body);

	msg_map_init(&m);
	msg_add_str(&m, "type", "status");
	msg_add_uint(&m, "id", 1);
	assert_int_equal(parse(&m, &type, &id, &has_body), -WHLC_EPROTO);
	assert_int_equal(id, 1); /* the id is known, so the error reply can carry it */

	msg_map_init(&m);
	msg_add_uint(&m, "type", PROTO_STATUS);
	assert_int_equal(parse(&m, &type, &id, &has_body), -WHLC_EPROTO);

	msg_map_init(&m);
	msg_add_uint(&m, "type", PROTO_STATUS);
	msg_add_int(&m, "id", -3);
	assert_int_equal(parse(&m, &type, &id, &has_body), -WHLC_EPROTO);

	msg_map_init(&m);
	msg_add_uint(&m, "type", PROTO_STATUS);
	msg_add_uint(&m, "id", 2);
	msg_add_str(&m, "body", "not a map");
	assert_int_equal(parse(&m, &type, &id, &has_body), -WHLC_EPROTO);

	struct msg_map b;
	msg_map_init(&b);
	msg_map_init(&m);
	msg_add_uint(&m, "type", PROTO_STATUS);
	msg_add_uint(&m, "id", 2);
	msg_add_map(&m, "body", &b);
	msg_map_free(&b);
	assert_int_equal(parse(&m, &type, &id, &has_body), 0);
	assert_true(has_body);
}

/* Error names sent on the wire are stable. */
static void test_code_names(void **state)
{
	assert_string_equal(proto_code_name(-PROTO_EUNKNOWN), "unknown-request");
	assert_string_equal(proto_code_name(-PROTO_ESTATE), "bad-state");
	assert_string_equal(proto_code_name(-PROTO_EREFUSED), "refused");
	assert_string_equal(proto_code_name(-ENOENT), "ENOENT");
	assert_string_equal(proto_code_name(-WHLC_EBADWHEEL), "bad-wheel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown),   cmocka_unit_test(test_states),
	    cmocka_unit_test(test_test_only), cmocka_unit_test(test_table_sane),
	    cmocka_unit_test(test_envelope),  cmocka_unit_test(test_code_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
