/* zipbuild.c: zips built byte by byte for the tests, with knobs that corrupt them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "xalloc.h"
#include "zipbuild.h"

/* strbuf_add that tolerates (NULL, 0). */
static void addn(struct strbuf *b, const void *p, size_t n)
{
	if (n)
		strbuf_add(b, p, n);
}

static void put16(struct strbuf *b, uint32_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	strbuf_add(b, x, 2);
}

static void put32(struct strbuf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

static void put64(struct strbuf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

/* Raw deflate of data into a new strbuf. */
static void deflate_raw(const void *data, size_t len, struct strbuf *out)
{
	z_stream z = {0};
	uLong cap = compressBound(len) + 64;

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	strbuf_grow(out, cap);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->buf;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->len = z.total_out;
	deflateEnd(&z);
}

/* Build a zip from the entries into zip. */
void zipbuild(struct strbuf *zip, struct zent *e, size_t n, const struct zopts *o)
{
	static const struct zopts none = {0};
	uint64_t *off = xcalloc(n ? n : 1, sizeof(*off));
	struct strbuf cd = STRBUF_INIT;
	uint64_t base = 0;

	if (o == NULL)
		o = &none;
	if (o->prefix) {
		strbuf_adds(zip, o->prefix);
		if (o->prefix_unadjusted)
			base = zip->len;
	}
	for (size_t i = 0; i < n; i++) {
		struct zent *z = &e[i];
		size_t nlen = z->nlen ? z->nlen : strlen(z->name);
		const char *data = z->data ? z->data : "";
		size_t len = z->len ? z->len : strlen(data);
		struct strbuf comp = STRBUF_INIT;
		uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)len);
		uint16_t method = z->deflate ? 8 : 0;
		uint16_t flags = z->flags | (z->descriptor ? 8 : 0);

		if (z->deflate)
			deflate_raw(data, len, &comp);
		else
			strbuf_add(&comp, data, len);
		off[i] = zip->len - base;
		const char *lname = z->local_name ? z->local_name : z->name;
		size_t lnlen = z->local_name ? strlen(lname) : nlen;
		put32(zip, 0x04034b50);
		put16(zip, z->zip64 ? 45 : 20);
		put16(zip, flags ^ z->local_flags_xor);
		put16(zip, z->local_method ? (uint32_t)z->local_method - 1 : method);
		put16(zip, 0);
		put16(zip, 0x21);
		int zero = z->descriptor != 0;
		put32(zip, zero ? 0 : crc ^ z->local_crc_xor);
		put32(zip, z->zip64 ? 0xffffffff
			   : zero   ? 0
				    : (uint32_t)((int64_t)comp.len + z->local_csize_delta));
		put32(zip, z->zip64 ? 0xffffffff
			   : zero   ? 0
				    : (uint32_t)((int64_t)len + z->local_usize_delta));
		put16(zip, (uint32_t)lnlen);
		put16(zip, (uint32_t)((z->zip64 ? 20 : 0) + z->lh_extra_len));
		strbuf_add(zip, lname, lnlen);
		if (z->zip64) {
			put16(zip, 1);
			put16(zip, 16);
			put64(zip, zero ? 0 : (uint64_t)((int64_t)len + z->local_usize_delta));
			put64(zip, zero ? 0 : (uint64_t)((int64_t)comp.len + z->local_csize_delta));
		}
		addn(zip, z->lh_extra, z->lh_extra_len);
		strbuf_add(zip, comp.buf, comp.len);
		if (z->descriptor) {
			if (z->descriptor == 1)
				put32(zip, 0x08074b50);
			put32(zip, crc ^ z->desc_crc_xor);
			if (z->zip64) {
				put64(zip, comp.len);
				put64(zip, len);
			} else {
				put32(zip, (uint32_t)comp.len);
				put32(zip, (uint32_t)len);
			}
		}
		if (o->gap_after == i + 1)
			strbuf_adds(zip, "GAPGAPGAP");

		uint64_t usize = z->cd_usize ? (uint64_t)z->cd_usize : len;
		uint64_t csize = z->cd_csize ? (uint64_t)z->cd_csize : comp.len;
		uint64_t lo = z->cd_offset ? (uint64_t)z->cd_offset - 1 : off[i];
		put32(&cd, 0x02014b50);
		put16(&cd, 0x0314); /* Unix, 2.0 */
		put16(&cd, z->zip64 ? 45 : 20);
		put16(&cd, flags);
		put16(&cd, z->cd_method ? (uint32_t)z->cd_method - 1 : method);
		put16(&cd, 0);
		put16(&cd, 0x21);
		put32(&cd, crc);
		put32(&cd, z->zip64 ? 0xffffffff : (uint32_t)csize);
		put32(&cd, z->zip64 ? 0xffffffff : (uint32_t)usize);
		put16(&cd, (uint32_t)nlen);
		put16(&cd, (uint32_t)((z->zip64 ? 28 : 0) + z->cd_extra_len));
		put16(&cd, 0);
		put16(&cd, 0);
		put16(&cd, 0);
		put32(&cd, z->mode << 16);
		put32(&cd, z->zip64 ? 0xffffffff : (uint32_t)lo);
		strbuf_add(&cd, z->name, nlen);
		if (z->zip64) {
			put16(&cd, 1);
			put16(&cd, 24);
			put64(&cd, usize);
			put64(&cd, csize);
			put64(&cd, lo);
		}
		addn(&cd, z->cd_extra, z->cd_extra_len);
		strbuf_free(&comp);
	}
	uint64_t cd_off = zip->len - base;
	addn(zip, cd.buf, cd.len);
	uint64_t count = n + (uint64_t)(int64_t)o->eocd_count_delta;
	if (o->zip64_eocd && !o->drop_locator) {
		uint64_t z64 = zip->len - base;
		put32(zip, 0x06064b50);
		put64(zip, 44);
		put16(zip, 45);
		put16(zip, 45);
		put32(zip, 0);
		put32(zip, 0);
		put64(zip, count + (uint64_t)(int64_t)o->z64_count_delta);
		put64(zip, count + (uint64_t)(int64_t)o->z64_count_delta);
		put64(zip, cd.len);
		put64(zip, cd_off);
		put32(zip, 0x07064b50);
		put32(zip, 0);
		put64(zip, z64);
		put32(zip, 1);
	}
	int s = o->z64_sentinels;
	put32(zip, 0x06054b50);
	put16(zip, 0);
	put16(zip, 0);
	put16(zip, s ? 0xffff : (uint32_t)count);
	put16(zip, s ? 0xffff : (uint32_t)count);
	put32(zip, s ? 0xffffffff : (uint32_t)cd.len);
	put32(zip, s ? 0xffffffff : (uint32_t)cd_off);
	size_t clen = o->comment ? (o->comment_len ? o->comment_len : strlen(o->comment)) : 0;
	put16(zip, (uint32_t)clen);
	addn(zip, o->comment, clen);
	if (o->trailer)
		strbuf_adds(zip, o->trailer);
	strbuf_free(&cd);
	free(off);
}
