/* rfc822.h: the email-header format of WHEEL and METADATA. */
#ifndef WHLC_RFC822_H
#define WHLC_RFC822_H

#include <stddef.h>

#include "err.h"

struct rfc822_header {
	char *name;  /* as written */
	char *value; /* continuation lines unfolded, surrounding whitespace trimmed */
};

struct rfc822 {
	size_t n;
	struct rfc822_header *v;
};

/*
 * Parse headers up to the first blank line (the body, if any, is ignored).
 * Accepts LF and CRLF. A line that is neither a header nor a continuation is
 * -WHLC_EBADWHEEL. At most max_headers headers (guards hostile input).
 */
int rfc822_parse(const char *buf, size_t len, size_t max_headers, struct rfc822 *out,
		 struct err *err);
void rfc822_free(struct rfc822 *h);
/* First value of a header, name compared case-insensitively; NULL when absent. */
const char *rfc822_get(const struct rfc822 *h, const char *name);

/*
 * WHEEL checks (spec B.8, B.9): Wheel-Version present and numeric, major 1.
 * Sets *purelib from Root-Is-Purelib and *newer_minor when the minor version is
 * newer than 1.0 (the caller warns). Returns 0 or -WHLC_EBADWHEEL.
 */
int rfc822_check_wheel(const struct rfc822 *h, int *purelib, int *newer_minor, struct err *err);

#endif
