/* msgjson.c: print a msgpack object as JSON (for whlc --json). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "msg.h"

/* Append s (len bytes) as a JSON string literal; invalid UTF-8 bytes become U+FFFD. */
static void msgjson__str(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			strbuf_addc(out, '\\');
			strbuf_addc(out, (char)c);
		} else if (c == '\n') {
			strbuf_adds(out, "\\n");
		} else if (c == '\t') {
			strbuf_adds(out, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			strbuf_addc(out, (char)c);
		} else {
			/* Copy a well-formed UTF-8 sequence as is. */
			size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			size_t k = 1;
			while (n && k < n && i + k < len && (p[i + k] & 0xc0) == 0x80)
				k++;
			if (n && k == n) {
				strbuf_add(out, p + i, n);
				i += n - 1;
			} else {
				strbuf_adds(out, "\\ufffd");
			}
		}
	}
	strbuf_addc(out, '"');
}

/* Append a newline and indentation for level lvl when pretty-printing. */
static void msgjson__nl(struct strbuf *out, int indent, int lvl)
{
	if (indent <= 0)
		return;
	strbuf_addc(out, '\n');
	for (int i = 0; i < indent * lvl; i++)
		strbuf_addc(out, ' ');
}

/* Recursive worker of msg_to_json. */
static void msgjson__obj(const msgpack_object *o, struct strbuf *out, int indent, int lvl)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		strbuf_adds(out, "null");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		strbuf_adds(out, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		strbuf_addf(out, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		strbuf_addf(out, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (isfinite(o->via.f64))
			strbuf_addf(out, "%.17g", o->via.f64);
		else
			strbuf_adds(out, "null");
		break;
	case MSGPACK_OBJECT_STR:
		msgjson__str(out, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		strbuf_addc(out, '"');
		for (uint32_t i = 0; i < o->via.bin.size; i++)
			strbuf_addf(out, "%02x", (unsigned char)o->via.bin.ptr[i]);
		strbuf_addc(out, '"');
		break;
	case MSGPACK_OBJECT_ARRAY:
		strbuf_addc(out, '[');
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				strbuf_addc(out, ',');
			msgjson__nl(out, indent, lvl + 1);
			msgjson__obj(&o->via.array.ptr[i], out, indent, lvl + 1);
		}
		if (o->via.array.size)
			msgjson__nl(out, indent, lvl);
		strbuf_addc(out, ']');
		break;
	case MSGPACK_OBJECT_MAP:
		strbuf_addc(out, '{');
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			if (i)
				strbuf_addc(out, ',');
			msgjson__nl(out, indent, lvl + 1);
			if (k->type == MSGPACK_OBJECT_STR) {
				msgjson__str(out, k->via.str.ptr, k->via.str.size);
			} else {
				/* JSON keys are strings: print other keys as their JSON text. */
				struct strbuf kb = STRBUF_INIT;
				msgjson__obj(k, &kb, 0, 0);
				msgjson__str(out, kb.buf, kb.len);
				strbuf_free(&kb);
			}
			strbuf_adds(out, indent > 0 ? ": " : ":");
			msgjson__obj(&o->via.map.ptr[i].val, out, indent, lvl + 1);
		}
		if (o->via.map.size)
			msgjson__nl(out, indent, lvl);
		strbuf_addc(out, '}');
		break;
	default:
		strbuf_adds(out, "null");
		break;
	}
}

/* Append obj as JSON to out; indent > 0 pretty-prints with that many spaces per level. */
void msg_to_json(const msgpack_object *obj, struct strbuf *out, int indent)
{
	msgjson__obj(obj, out, indent, 0);
}
