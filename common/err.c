/* err.c: error reporting helpers. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* Record code and a formatted message in e (may be NULL); returns code. */
int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* Prefix the message already in e with a formatted context; returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation of an over-long message is acceptable. */
	size_t n = strnlen(pre, sizeof(pre) - 1);
	memcpy(e->msg, pre, n);
	if (n + 2 < sizeof(e->msg)) {
		e->msg[n++] = ':';
		e->msg[n++] = ' ';
	}
	size_t m = strnlen(old, sizeof(old));
	if (m > sizeof(e->msg) - 1 - n)
		m = sizeof(e->msg) - 1 - n;
	memcpy(e->msg + n, old, m);
	e->msg[n + m] = '\0';
	return e->code;
}

/* Reset e to "no error". */
void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

/* A short stable name for a code ("ENOENT", "bad-wheel", ...). */
const char *err_code_name(int code)
{
	switch (-code) {
	case 0:
		return "ok";
	case WHLC_EBADWHEEL:
		return "bad-wheel";
	case WHLC_EHOSTILE:
		return "hostile-wheel";
	case WHLC_ERECORD:
		return "bad-record";
	case WHLC_ELIMIT:
		return "limit-exceeded";
	case WHLC_EPROTO:
		return "protocol-error";
	case WHLC_EINCOMPAT:
		return "incompatible";
	case WHLC_ECONFLICT:
		return "conflict";
	case WHLC_ECORRUPT:
		return "corrupt";
	case ENOENT:
		return "ENOENT";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case ENOSPC:
		return "ENOSPC";
	case EEXIST:
		return "EEXIST";
	case EINVAL:
		return "EINVAL";
	case EIO:
		return "EIO";
	case ENOMEM:
		return "ENOMEM";
	case EXDEV:
		return "EXDEV";
	case EMLINK:
		return "EMLINK";
	case ENOTDIR:
		return "ENOTDIR";
	case ELOOP:
		return "ELOOP";
	case EROFS:
		return "EROFS";
	case EDQUOT:
		return "EDQUOT";
	default:
		return "error";
	}
}
