/* err.h: error reporting for common/ code: negative errno-style codes plus a message. */
#ifndef WHLC_ERR_H
#define WHLC_ERR_H

#include <errno.h>

#define ERR_MSG_MAX 1024

/*
 * Codes are negative: either -errno (-ENOENT, -EINVAL, -ENOSPC, ...) or one of
 * the whlc-specific codes below, negated. They are stable: the daemon maps them
 * onto protocol error codes (proto.h).
 */
enum {
	WHLC_EBADWHEEL = 1000, /* malformed wheel: name, WHEEL, METADATA, layout */
	WHLC_EHOSTILE,	       /* archive structure attack: traversal, overlap, bomb... */
	WHLC_ERECORD,	       /* RECORD missing, malformed, or disagreeing with the archive */
	WHLC_ELIMIT,	       /* a configured limit was exceeded */
	WHLC_EPROTO,	       /* malformed protocol input */
	WHLC_EINCOMPAT,	       /* wheel not compatible with the interpreter */
	WHLC_ECONFLICT,	       /* existing installation prevents the operation */
	WHLC_ECORRUPT,	       /* store or catalog inconsistency */
};

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Record code and a formatted message in e (may be NULL); returns code. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with a formatted context; returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset e to "no error". */
void err_clear(struct err *e);

/* A short stable name for a code ("ENOENT", "bad-wheel", ...). */
const char *err_code_name(int code);

#endif
