/*
 * zipcheck_int.h: what zipcheck.c shares with zipend.c (end of central directory) and
 * zipname.c (member names). Internal to zip validation.
 */
#ifndef WHLC_ZIPCHECK_INT_H
#define WHLC_ZIPCHECK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "zipcheck.h"

#define ZIP_EOCD_LEN	22
#define ZIP_EOCD_SEARCH (ZIP_EOCD_LEN + 65535) /* EOCD plus the longest comment */
#define ZIP64_LOC_LEN	20
#define ZIP64_EOCD_LEN	56
#define ZIP_CDH_LEN	46
#define ZIP_LFH_LEN	30
#define ZIP_NAME_MAX	4095 /* PATH_MAX - 1: longer names cannot be installed anyway */
#define ZIP_SENT16	0xffffu
#define ZIP_SENT32	0xffffffffu

/* Everything a check needs: the file and where to report. */
struct zip__ctx {
	int fd;
	uint64_t size;
	const struct zip_limits *lim;
	struct err *err;
};

/* The end-of-central-directory facts, after zip64 resolution. */
struct zip__dir {
	uint64_t count;
	uint64_t cd_offset;
	uint64_t cd_size;
	uint64_t cd_end_expected; /* where the central directory must end */
};

/* Little-endian 16-bit field. */
static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Little-endian 32-bit field. */
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Little-endian 64-bit field. */
static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Printable rendering of a raw member name for messages (non-printables as \xNN). */
const char *zip__q(const char *s, size_t len, char *buf, size_t cap);
/* Read exactly n bytes at off; a file shorter than announced is a bad wheel. */
int zip__pread(struct zip__ctx *c, void *buf, size_t n, uint64_t off, const char *what);
/* Find and decode the end of central directory (and zip64 end record) into d. */
int zip__read_end(struct zip__ctx *c, struct zip__dir *d);
/* Validate a member name (spec A.7, K.47); name is len bytes, not yet NUL-terminated. */
int zip__check_name(struct zip__ctx *c, const char *name, size_t len);
/* Reject duplicate, case-colliding and file-as-directory member names. */
int zip__check_dups(struct zip__ctx *c, struct zip_index *zi);

#endif
