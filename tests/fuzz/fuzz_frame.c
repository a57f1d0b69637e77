/*
 * fuzz_frame.c: the daemon's input path for one connection: the incremental
 * frame decoder fed in uneven chunks, validation and unpacking, the request
 * envelope, the request table lookup, and typed field reads of the body.
 * Input: byte 0 picks the chunk size, the rest is the byte stream.
 */
#include "config.h"

#include <stdlib.h>

#include "daemon/request.h"
#include "frame.h"
#include "fuzz.h"
#include "msg.h"
#include "proto.h"
#include "strbuf.h"

/* Read the fields handlers read, with every getter, as a handler would. */
static void fuzz__body(const msgpack_object *body)
{
	struct err e;
	char *s = NULL, **v = NULL;
	uint64_t u;
	int64_t i;
	bool b;
	const char *bin;
	size_t len, n;
	const msgpack_object *m;
	static const char *const keys[] = {"proto", "version", "program", "paths",
					   "ms",    "events",  "venv",	  "x"};

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		if (msg_get_str(body, keys[k], false, 4096, &s, &e) == 0)
			free(s);
		s = NULL;
		msg_get_uint(body, keys[k], false, &u, &e);
		msg_get_int(body, keys[k], false, &i, &e);
		msg_get_bool(body, keys[k], false, &b, &e);
		msg_get_bin(body, keys[k], false, 4096, &bin, &len, &e);
		msg_get_map(body, keys[k], false, &m, &e);
		if (msg_get_str_array(body, keys[k], false, 64, 4096, &v, &n, &e) == 0 && v)
			msg_strv_free(v);
		v = NULL;
	}
}

/* Handle one whole frame as conn.c does. */
static void fuzz__frame(struct frame_dec *d)
{
	msgpack_unpacked u;
	struct err e;
	const msgpack_object *body;
	const struct req_def *def;
	uint64_t type, id;
	struct strbuf js = STRBUF_INIT;

	msgpack_unpacked_init(&u);
	if (frame_dec_take(d, &u, &e) < 0)
		goto out;
	msg_to_json(&u.data, &js, 1);
	if (req_parse_envelope(&u.data, &type, &id, &body, &e) < 0)
		goto out;
	req_lookup(type, CONN_NEW, false, &def, &e);
	req_lookup(type, CONN_READY, true, &def, &e);
	if (body)
		fuzz__body(body);
out:
	strbuf_free(&js);
	msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_dec d;
	struct err e;
	size_t chunk;
	const char *p = (const char *)data + 1;
	size_t left;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	left = size - 1;
	/* A small maximum lets the fuzzer reach the oversize path cheaply. */
	frame_dec_init(&d, data[0] & 1 ? 1024 : PROTO_FRAME_MAX);
	while (left > 0) {
		size_t n = left < chunk ? left : chunk, before = n;
		const char *q = p;
		int rc = 0;

		while (n > 0 && (rc = frame_dec_feed(&d, &q, &n, &e)) == 1)
			fuzz__frame(&d);
		if (rc < 0)
			break;
		p += before - n;
		left -= before - n;
	}
	frame_dec_partial(&d);
	frame_dec_free(&d);
	return 0;
}
