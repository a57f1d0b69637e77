/* frame.h: length-prefixed msgpack frames: incremental decoder and validation. */
#ifndef WHLC_FRAME_H
#define WHLC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"

/*
 * Incremental decoder. Feed it bytes as they arrive; it reports when one whole
 * payload is buffered. The 4-byte length is checked against max before the
 * payload buffer is allocated, and the buffer never grows beyond that length.
 */
struct frame_dec {
	unsigned char hdr[4];
	size_t hdr_len;
	char *buf;   /* payload, allocated once the length is known */
	size_t need; /* payload length announced by the header */
	size_t have; /* payload bytes buffered */
	size_t max;  /* largest accepted payload */
};

/* Initialise d to accept payloads of at most max bytes. */
void frame_dec_init(struct frame_dec *d, size_t max);

/* Release d's buffer. */
void frame_dec_free(struct frame_dec *d);

/*
 * Consume bytes from *data (advancing *data and *len). Returns 1 when a whole
 * payload is ready (call frame_dec_take), 0 when all input was consumed and
 * more is needed, or -WHLC_EPROTO/-WHLC_ELIMIT with a message in e.
 */
int frame_dec_feed(struct frame_dec *d, const char **data, size_t *len, struct err *e);

/*
 * Validate and unpack the ready payload into out (a map); reset d for the next
 * frame. out owns the payload bytes afterwards (msgpack_unpacked_destroy frees them).
 */
int frame_dec_take(struct frame_dec *d, msgpack_unpacked *out, struct err *e);

/* True while d holds part of a frame (a connection closing now truncated it). */
int frame_dec_partial(const struct frame_dec *d);

/*
 * Check that buf holds exactly one msgpack object, at most max_depth containers
 * deep and max_elems objects in total, with every declared length inside buf.
 * Runs before msgpack-c sees the bytes, so no count can make it over-allocate.
 */
int frame_validate(const char *buf, size_t len, unsigned max_depth, size_t max_elems,
		   struct err *e);

/*
 * Validate buf (one payload) with the protocol limits and unpack it into out;
 * it must be a map. out's strings point into buf: keep buf alive as long as out.
 */
int frame_unpack(const char *buf, size_t len, msgpack_unpacked *out, struct err *e);

/* Store a payload length as the 4-byte big-endian frame header. */
void frame_put_len(unsigned char hdr[4], uint32_t len);

#endif
