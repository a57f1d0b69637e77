/* msg.c: building msgpack maps and frames, and reading typed fields with validation. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"
#include "proto.h"
#include "xalloc.h"

/* msgpack packer write callback appending to a strbuf (allocation failure is fatal). */
static int msg__write(void *data, const char *buf, size_t len)
{
	strbuf_add(data, buf, len);
	return 0;
}

/* Start an empty map. */
void msg_map_init(struct msg_map *m)
{
	m->sb = (struct strbuf)STRBUF_INIT;
	m->n = 0;
	msgpack_packer_init(&m->pk, &m->sb, msg__write);
}

/* Release m. */
void msg_map_free(struct msg_map *m)
{
	strbuf_free(&m->sb);
	m->n = 0;
}

/* Add a key and return the packer: the caller must pack exactly one value. */
msgpack_packer *msg_add_key(struct msg_map *m, const char *key)
{
	size_t n = strlen(key);

	msgpack_pack_str(&m->pk, n);
	msgpack_pack_str_body(&m->pk, key, n);
	m->n++;
	return &m->pk;
}

/* Add a string (NULL packs nil). */
void msg_add_str(struct msg_map *m, const char *key, const char *val)
{
	if (val == NULL) {
		msgpack_pack_nil(msg_add_key(m, key));
		return;
	}
	msg_add_strn(m, key, val, strlen(val));
}

/* Add a string of len bytes. */
void msg_add_strn(struct msg_map *m, const char *key, const char *val, size_t len)
{
	msgpack_packer *pk = msg_add_key(m, key);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, val, len);
}

/* Add a signed integer. */
void msg_add_int(struct msg_map *m, const char *key, int64_t val)
{
	msgpack_pack_int64(msg_add_key(m, key), val);
}

/* Add an unsigned integer. */
void msg_add_uint(struct msg_map *m, const char *key, uint64_t val)
{
	msgpack_pack_uint64(msg_add_key(m, key), val);
}

/* Add a boolean. */
void msg_add_bool(struct msg_map *m, const char *key, bool val)
{
	msgpack_packer *pk = msg_add_key(m, key);

	if (val)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

/* Add a double. */
void msg_add_double(struct msg_map *m, const char *key, double val)
{
	msgpack_pack_double(msg_add_key(m, key), val);
}

/* Add binary bytes. */
void msg_add_bin(struct msg_map *m, const char *key, const void *data, size_t len)
{
	msgpack_packer *pk = msg_add_key(m, key);

	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, data, len);
}

/* Add an array of strings. */
void msg_add_str_array(struct msg_map *m, const char *key, const char *const *v, size_t n)
{
	msgpack_packer *pk = msg_add_key(m, key);

	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		msgpack_pack_str(pk, l);
		msgpack_pack_str_body(pk, v[i], l);
	}
}

/* Add a nested map (copied). */
void msg_add_map(struct msg_map *m, const char *key, const struct msg_map *sub)
{
	msg_add_key(m, key);
	msg_map_encode(sub, &m->sb);
}

/* Append m's complete encoding (map header + entries) to out. */
void msg_map_encode(const struct msg_map *m, struct strbuf *out)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, out, msg__write);
	msgpack_pack_map(&pk, m->n);
	if (m->sb.len)
		strbuf_add(out, m->sb.buf, m->sb.len);
}

/* Turn an encoded envelope (after 4 placeholder bytes) into a finished frame. */
static char *msg__finish(struct strbuf *sb, size_t *len)
{
	frame_put_len((unsigned char *)sb->buf, (uint32_t)(sb->len - PROTO_FRAME_HDR));
	return strbuf_detach(sb, len);
}

/* Build one complete frame {type, id, body}. */
char *msg_frame(uint64_t type, uint64_t id, const struct msg_map *body, size_t *len)
{
	return msg_frame_fds(type, id, body, 0, len);
}

/* Build a request frame announcing nfds descriptors (sent with its first bytes). */
char *msg_frame_fds(uint64_t type, uint64_t id, const struct msg_map *body, size_t nfds,
		    size_t *len)
{
	struct msg_map env;
	struct strbuf out = STRBUF_INIT;

	msg_map_init(&env);
	msg_add_uint(&env, PROTO_K_TYPE, type);
	msg_add_uint(&env, PROTO_K_ID, id);
	if (nfds > 0)
		msg_add_uint(&env, PROTO_K_FDS, nfds);
	msg_add_key(&env, PROTO_K_BODY);
	if (body != NULL) {
		msg_map_encode(body, &env.sb);
	} else {
		msgpack_pack_map(&env.pk, 0);
	}
	strbuf_add(&out, "\0\0\0\0", PROTO_FRAME_HDR);
	msg_map_encode(&env, &out);
	msg_map_free(&env);
	return msg__finish(&out, len);
}

/* Build an error-reply frame. */
char *msg_error_frame(uint64_t id, int code, const char *message, const struct msg_map *details,
		      size_t *len)
{
	struct msg_map env;
	struct strbuf out = STRBUF_INIT;

	msg_map_init(&env);
	msg_add_uint(&env, PROTO_K_TYPE, PROTO_REPLY_ERROR);
	msg_add_uint(&env, PROTO_K_ID, id);
	msg_add_str(&env, PROTO_K_CODE, proto_code_name(code));
	msg_add_str(&env, PROTO_K_MESSAGE, message);
	if (details != NULL)
		msg_add_map(&env, PROTO_K_BODY, details);
	strbuf_add(&out, "\0\0\0\0", PROTO_FRAME_HDR);
	msg_map_encode(&env, &out);
	msg_map_free(&env);
	return msg__finish(&out, len);
}

/* Look key up in map; NULL when absent or map is not a map. */
const msgpack_object *msg_get(const msgpack_object *map, const char *key)
{
	size_t kl = strlen(key);

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
		    memcmp(k->via.str.ptr, key, kl) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

/* Fetch key, reporting a missing required field. Sets *o to NULL when absent. */
static int msg__field(const msgpack_object *map, const char *key, bool required,
		      const msgpack_object **o, struct err *e)
{
	*o = msg_get(map, key);
	if (*o == NULL && required)
		return err_set(e, -WHLC_EPROTO, "missing field \"%s\"", key);
	return 0;
}

/* Report a field of the wrong type. */
static int msg__type(const char *key, const char *want, struct err *e)
{
	return err_set(e, -WHLC_EPROTO, "field \"%s\" must be %s", key, want);
}

/* A string without NUL bytes, at most max bytes, copied into *out. */
int msg_get_str(const msgpack_object *map, const char *key, bool required, size_t max, char **out,
		struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type != MSGPACK_OBJECT_STR)
		return msg__type(key, "a string", e);
	if (o->via.str.size > max)
		return err_set(e, -WHLC_EPROTO, "field \"%s\" is longer than %zu bytes", key, max);
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return err_set(e, -WHLC_EPROTO, "field \"%s\" contains a NUL byte", key);
	*out = xstrndup(o->via.str.ptr, o->via.str.size);
	return 0;
}

/* An unsigned integer. */
int msg_get_uint(const msgpack_object *map, const char *key, bool required, uint64_t *out,
		 struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return msg__type(key, "a non-negative integer", e);
	*out = o->via.u64;
	return 0;
}

/* A signed integer. */
int msg_get_int(const msgpack_object *map, const char *key, bool required, int64_t *out,
		struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*out = o->via.i64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
		*out = (int64_t)o->via.u64;
	else
		return msg__type(key, "an integer", e);
	return 0;
}

/* A boolean. */
int msg_get_bool(const msgpack_object *map, const char *key, bool required, bool *out,
		 struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return msg__type(key, "a boolean", e);
	*out = o->via.boolean;
	return 0;
}

/* Binary (or string) bytes, pointing into the received message. */
int msg_get_bin(const msgpack_object *map, const char *key, bool required, size_t max,
		const char **out, size_t *len, struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type != MSGPACK_OBJECT_BIN && o->type != MSGPACK_OBJECT_STR)
		return msg__type(key, "binary data", e);
	/* bin and str share their layout in msgpack_object. */
	if (o->via.bin.size > max)
		return err_set(e, -WHLC_EPROTO, "field \"%s\" is longer than %zu bytes", key, max);
	*out = o->via.bin.ptr;
	*len = o->via.bin.size;
	return 0;
}

/* A nested map, pointing into the received message. */
int msg_get_map(const msgpack_object *map, const char *key, bool required,
		const msgpack_object **out, struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type != MSGPACK_OBJECT_MAP)
		return msg__type(key, "a map", e);
	*out = o;
	return 0;
}

/* An array of at most max_count strings of at most max_len bytes. */
int msg_get_str_array(const msgpack_object *map, const char *key, bool required, size_t max_count,
		      size_t max_len, char ***out, size_t *count, struct err *e)
{
	const msgpack_object *o;
	int rc = msg__field(map, key, required, &o, e);
	char **v;

	if (rc < 0 || o == NULL)
		return rc;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return msg__type(key, "an array of strings", e);
	if (o->via.array.size > max_count)
		return err_set(e, -WHLC_EPROTO, "field \"%s\" has more than %zu elements", key,
			       max_count);
	v = xcalloc(o->via.array.size + 1, sizeof(*v));
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *s = &o->via.array.ptr[i];
		if (s->type != MSGPACK_OBJECT_STR || s->via.str.size > max_len ||
		    memchr(s->via.str.ptr, '\0', s->via.str.size) != NULL) {
			msg_strv_free(v);
			return err_set(e, -WHLC_EPROTO,
				       "element %u of \"%s\" must be a string of at most %zu bytes "
				       "without NUL",
				       i, key, max_len);
		}
		v[i] = xstrndup(s->via.str.ptr, s->via.str.size);
	}
	*out = v;
	if (count != NULL)
		*count = o->via.array.size;
	return 0;
}

/* Free an array returned by msg_get_str_array. */
void msg_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
