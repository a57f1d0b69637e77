/* msg.h: building msgpack maps and frames, and reading typed fields with validation. */
#ifndef WHLC_MSG_H
#define WHLC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"
#include "strbuf.h"

/*
 * A map under construction. Entries are packed as they are added and the map
 * header (which needs the count) is written when the map is encoded, so maps
 * can be built without knowing their size in advance. Do not copy or move a
 * msg_map after msg_map_init (the packer points into it).
 */
struct msg_map {
	struct strbuf sb; /* packed key/value pairs */
	msgpack_packer pk;
	uint32_t n; /* number of entries */
};

/* Start an empty map. */
void msg_map_init(struct msg_map *m);
/* Release m. */
void msg_map_free(struct msg_map *m);

void msg_add_str(struct msg_map *m, const char *key, const char *val); /* NULL -> nil */
void msg_add_strn(struct msg_map *m, const char *key, const char *val, size_t len);
void msg_add_int(struct msg_map *m, const char *key, int64_t val);
void msg_add_uint(struct msg_map *m, const char *key, uint64_t val);
void msg_add_bool(struct msg_map *m, const char *key, bool val);
void msg_add_double(struct msg_map *m, const char *key, double val);
void msg_add_bin(struct msg_map *m, const char *key, const void *data, size_t len);
void msg_add_str_array(struct msg_map *m, const char *key, const char *const *v, size_t n);
/* Add a nested map (copied; sub may be freed afterwards). */
void msg_add_map(struct msg_map *m, const char *key, const struct msg_map *sub);
/* Add a key and return the packer: the caller must pack exactly one value. */
msgpack_packer *msg_add_key(struct msg_map *m, const char *key);

/* Append m's complete encoding (map header + entries) to out. */
void msg_map_encode(const struct msg_map *m, struct strbuf *out);

/*
 * Build one complete frame (4-byte length + envelope map {type, id, body}).
 * body may be NULL (an empty map is sent). Returns a malloc'd buffer.
 */
char *msg_frame(uint64_t type, uint64_t id, const struct msg_map *body, size_t *len);

/* Same, announcing nfds descriptors in the envelope ("fds", see proto.h). */
char *msg_frame_fds(uint64_t type, uint64_t id, const struct msg_map *body, size_t nfds,
		    size_t *len);

/* Build an error-reply frame {type: error, id, code: name, message, body: details?}. */
char *msg_error_frame(uint64_t id, int code, const char *message, const struct msg_map *details,
		      size_t *len);

/*
 * Typed field access on a received map. Every getter returns 0 on success,
 * or -WHLC_EPROTO with a message naming the field when it is missing (and
 * required), has the wrong type, or exceeds its limit. Optional absent fields
 * leave *out untouched and return 0.
 */
const msgpack_object *msg_get(const msgpack_object *map, const char *key);
/* A string without NUL bytes, at most max bytes, copied into *out (malloc'd). */
int msg_get_str(const msgpack_object *map, const char *key, bool required, size_t max, char **out,
		struct err *e);
int msg_get_uint(const msgpack_object *map, const char *key, bool required, uint64_t *out,
		 struct err *e);
int msg_get_int(const msgpack_object *map, const char *key, bool required, int64_t *out,
		struct err *e);
int msg_get_bool(const msgpack_object *map, const char *key, bool required, bool *out,
		 struct err *e);
/* Binary (or string) bytes, pointing into the received message (not copied). */
int msg_get_bin(const msgpack_object *map, const char *key, bool required, size_t max,
		const char **out, size_t *len, struct err *e);
/* A nested map, pointing into the received message. */
int msg_get_map(const msgpack_object *map, const char *key, bool required,
		const msgpack_object **out, struct err *e);
/* An array of at most max_count strings of at most max_len bytes; *out is NULL-terminated. */
int msg_get_str_array(const msgpack_object *map, const char *key, bool required, size_t max_count,
		      size_t max_len, char ***out, size_t *count, struct err *e);
/* Free an array returned by msg_get_str_array. */
void msg_strv_free(char **v);

/* Append obj as JSON to out (bin as a hex string); indent > 0 pretty-prints. */
void msg_to_json(const msgpack_object *obj, struct strbuf *out, int indent);

#endif
