/* strbuf.h: growable byte buffer. */
#ifndef WHLC_STRBUF_H
#define WHLC_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_free(struct strbuf *sb);

#endif
