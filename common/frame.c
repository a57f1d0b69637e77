/* frame.c: length-prefixed msgpack frames: incremental decoder and validation. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "proto.h"
#include "xalloc.h"

/* Initialise d to accept payloads of at most max bytes. */
void frame_dec_init(struct frame_dec *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
}

/* Release d's buffer. */
void frame_dec_free(struct frame_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->hdr_len = d->need = d->have = 0;
}

/* True while d holds part of a frame (a connection closing now truncated it). */
int frame_dec_partial(const struct frame_dec *d)
{
	return d->hdr_len > 0;
}

/* Store a payload length as the 4-byte big-endian frame header. */
void frame_put_len(unsigned char hdr[4], uint32_t len)
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
}

/* Consume bytes from *data; 1 when a payload is ready, 0 when more is needed, <0 on error. */
int frame_dec_feed(struct frame_dec *d, const char **data, size_t *len, struct err *e)
{
	if (d->hdr_len == 4 && d->have == d->need)
		return 1;
	while (d->hdr_len < 4 && *len > 0) {
		d->hdr[d->hdr_len++] = (unsigned char)**data;
		(*data)++;
		(*len)--;
	}
	if (d->hdr_len < 4)
		return 0;
	if (d->buf == NULL) {
		uint32_t n = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
			     (uint32_t)d->hdr[2] << 8 | d->hdr[3];
		if (n > d->max)
			return err_set(e, -WHLC_ELIMIT,
				       "frame of %u bytes exceeds the limit of %zu bytes", n,
				       d->max);
		if (n == 0)
			return err_set(e, -WHLC_EPROTO, "empty frame (a frame holds one map)");
		d->need = n;
		d->have = 0;
		d->buf = xmalloc(n);
	}
	size_t take = d->need - d->have;
	if (take > *len)
		take = *len;
	memcpy(d->buf + d->have, *data, take);
	d->have += take;
	*data += take;
	*len -= take;
	return d->have == d->need;
}

/* Validate and unpack the ready payload into out (a map); reset d for the next frame. */
int frame_dec_take(struct frame_dec *d, msgpack_unpacked *out, struct err *e)
{
	int rc = frame_unpack(d->buf, d->need, out, e);

	/*
	 * msgpack-c's objects point into the payload (strings are not copied):
	 * hand the buffer to the zone, which frees it with the message.
	 */
	if (rc == 0 && out->zone != NULL && msgpack_zone_push_finalizer(out->zone, free, d->buf))
		d->buf = NULL;
	else if (rc == 0)
		rc = err_set(e, -ENOMEM, "out of memory keeping a message");
	frame_dec_free(d);
	return rc;
}

/* Read a big-endian unsigned integer of n bytes. */
static uint64_t frame__be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Parse the header of the object at p[*pos]: advance *pos past the header and
 * any scalar payload; set *children to the number of nested objects.
 */
static int frame__one(const unsigned char *p, size_t len, size_t *pos, uint64_t *children,
		      struct err *e)
{
	unsigned char b = p[*pos];
	size_t lenbytes = 0, fixed = 0;
	int container = 0; /* 1 array, 2 map */
	uint64_t n = 0;

	*children = 0;
	(*pos)++;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b >= 0x80 && b <= 0x8f) {
		*children = 2 * (uint64_t)(b & 0x0f);
		goto check;
	}
	if (b >= 0x90 && b <= 0x9f) {
		*children = b & 0x0f;
		goto check;
	}
	if (b >= 0xa0 && b <= 0xbf) {
		fixed = b & 0x1f;
		goto skip;
	}
	switch (b) {
	case 0xc4:
	case 0xd9:
		lenbytes = 1;
		break;
	case 0xc5:
	case 0xda:
		lenbytes = 2;
		break;
	case 0xc6:
	case 0xdb:
		lenbytes = 4;
		break;
	case 0xca:
		fixed = 4;
		goto skip;
	case 0xcb:
		fixed = 8;
		goto skip;
	case 0xcc:
	case 0xd0:
		fixed = 1;
		goto skip;
	case 0xcd:
	case 0xd1:
		fixed = 2;
		goto skip;
	case 0xce:
	case 0xd2:
		fixed = 4;
		goto skip;
	case 0xcf:
	case 0xd3:
		fixed = 8;
		goto skip;
	case 0xdc:
		lenbytes = 2;
		container = 1;
		break;
	case 0xdd:
		lenbytes = 4;
		container = 1;
		break;
	case 0xde:
		lenbytes = 2;
		container = 2;
		break;
	case 0xdf:
		lenbytes = 4;
		container = 2;
		break;
	default:
		/* 0xc1 (never used) and the ext types, which the protocol does not use. */
		return err_set(e, -WHLC_EPROTO,
			       "unsupported msgpack type byte 0x%02x at offset %zu", b, *pos - 1);
	}
	if (len - *pos < lenbytes)
		return err_set(e, -WHLC_EPROTO, "truncated msgpack length at offset %zu", *pos);
	n = frame__be(p + *pos, lenbytes);
	*pos += lenbytes;
	if (container) {
		*children = container == 2 ? 2 * n : n;
		goto check;
	}
	fixed = n;
skip:
	if (len - *pos < fixed)
		return err_set(e, -WHLC_EPROTO, "truncated msgpack value at offset %zu", *pos);
	*pos += fixed;
	return 0;
check:
	/* Every nested object takes at least one byte. */
	if (*children > len - *pos)
		return err_set(e, -WHLC_EPROTO,
			       "msgpack container at offset %zu declares %llu elements but only "
			       "%zu bytes follow",
			       *pos, (unsigned long long)*children, len - *pos);
	return 0;
}

/* Check that buf holds exactly one msgpack object within the depth and element limits. */
int frame_validate(const char *buf, size_t len, unsigned max_depth, size_t max_elems, struct err *e)
{
	const unsigned char *p = (const unsigned char *)buf;
	uint64_t stack[PROTO_MAX_DEPTH + 2];
	size_t pos = 0, elems = 0;
	int top = 0;

	if (max_depth > PROTO_MAX_DEPTH)
		max_depth = PROTO_MAX_DEPTH;
	stack[0] = 1;
	while (top >= 0) {
		if (stack[top] == 0) {
			top--;
			continue;
		}
		stack[top]--;
		if (pos >= len)
			return err_set(e, -WHLC_EPROTO, "truncated msgpack data (%zu bytes)", len);
		if (++elems > max_elems)
			return err_set(e, -WHLC_ELIMIT, "message has more than %zu elements",
				       max_elems);
		uint64_t children;
		int rc = frame__one(p, len, &pos, &children, e);
		if (rc < 0)
			return rc;
		if (children > 0) {
			if ((unsigned)top + 1 > max_depth)
				return err_set(e, -WHLC_ELIMIT,
					       "message nests deeper than %u levels", max_depth);
			stack[++top] = children;
		}
	}
	if (pos != len)
		return err_set(e, -WHLC_EPROTO, "%zu bytes of garbage after the message",
			       len - pos);
	return 0;
}

/* Validate buf (one payload) with the protocol limits and unpack it into out; it must be a map. */
int frame_unpack(const char *buf, size_t len, msgpack_unpacked *out, struct err *e)
{
	size_t off = 0;
	int rc = frame_validate(buf, len, PROTO_MAX_DEPTH, PROTO_MAX_ELEMENTS, e);

	if (rc < 0)
		return rc;
	if (msgpack_unpack_next(out, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
		return err_set(e, -WHLC_EPROTO, "undecodable msgpack message");
	if (out->data.type != MSGPACK_OBJECT_MAP)
		return err_set(e, -WHLC_EPROTO, "message is not a msgpack map");
	return 0;
}
