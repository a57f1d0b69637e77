/* rfc822.c: the email-header format of WHEEL and METADATA. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rfc822.h"
#include "strbuf.h"
#include "xalloc.h"

/* Release all headers. */
void rfc822_free(struct rfc822 *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* Strip leading and trailing spaces/tabs/CR/LF in place; returns s. */
static char *rfc822__trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}

/* A header field name: printable ASCII except ":" and space (RFC 5322 ftext). */
static int rfc822__name_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 || s[i] == ':')
			return 0;
	return 1;
}

/* Finish the header being built in cur (if any) into out. */
static void rfc822__flush(struct rfc822 *out, struct strbuf *cur)
{
	if (out->n == 0 || cur->buf == NULL)
		return;
	free(out->v[out->n - 1].value);
	out->v[out->n - 1].value = rfc822__trim(strbuf_detach(cur, NULL));
}

/* Parse headers up to the first blank line. */
int rfc822_parse(const char *buf, size_t len, size_t max_headers, struct rfc822 *out,
		 struct err *err)
{
	struct strbuf cur = STRBUF_INIT;
	size_t pos = 0, lineno = 0;
	int rc = 0;

	out->n = 0;
	out->v = NULL;
	if (memchr(buf, '\0', len)) {
		rc = err_set(err, -WHLC_EBADWHEEL, "headers contain a NUL byte");
		goto fail;
	}
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl != NULL);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* end of headers; the body is not ours */
		if (line[0] == ' ' || line[0] == '\t') {
			if (out->n == 0) {
				rc = err_set(err, -WHLC_EBADWHEEL,
					     "line %zu: continuation line before any header",
					     lineno);
				goto fail;
			}
			/* Unfolding removes the line break and keeps the whitespace. */
			strbuf_add(&cur, line, n);
			continue;
		}
		const char *colon = memchr(line, ':', n);
		if (colon == NULL || !rfc822__name_ok(line, (size_t)(colon - line))) {
			rc = err_set(err, -WHLC_EBADWHEEL, "line %zu: not a 'Name: value' header",
				     lineno);
			goto fail;
		}
		rfc822__flush(out, &cur);
		if (out->n >= max_headers) {
			rc = err_set(err, -WHLC_ELIMIT, "more than %zu headers", max_headers);
			goto fail;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n].name = xstrndup(line, (size_t)(colon - line));
		out->v[out->n].value = NULL;
		out->n++;
		strbuf_add(&cur, colon + 1, n - (size_t)(colon + 1 - line));
	}
	rfc822__flush(out, &cur);
	return 0;
fail:
	/* The header being built may still lack a value. */
	strbuf_free(&cur);
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].value == NULL)
			out->v[i].value = xstrdup("");
	rfc822_free(out);
	return rc;
}

/* First value of a header, name compared case-insensitively; NULL when absent. */
const char *rfc822_get(const struct rfc822 *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

/*
 * WHEEL checks (spec B.8, B.9). Wheel-Version is dot-separated decimal
 * integers, as pip reads it (tuple(map(int, v.split(".")))). A major other
 * than 1 is an error; any later non-zero component means a newer 1.x.
 */
int rfc822_check_wheel(const struct rfc822 *h, int *purelib, int *newer_minor, struct err *err)
{
	const char *v = rfc822_get(h, "Wheel-Version");
	const char *rp = rfc822_get(h, "Root-Is-Purelib");
	unsigned long comp[2] = {0, 0};
	size_t ncomp = 0;
	int newer = 0;

	if (v == NULL)
		return err_set(err, -WHLC_EBADWHEEL, "WHEEL: Wheel-Version is missing");
	for (const char *p = v;;) {
		unsigned long x = 0;
		const char *s = p;

		for (; isdigit((unsigned char)*p); p++) {
			if (x > 100000000UL)
				return err_set(err, -WHLC_EBADWHEEL,
					       "WHEEL: Wheel-Version '%s' is out of range", v);
			x = x * 10 + (unsigned long)(*p - '0');
		}
		if (p == s)
			return err_set(err, -WHLC_EBADWHEEL,
				       "WHEEL: Wheel-Version '%s' is not a dotted number", v);
		if (ncomp < 2)
			comp[ncomp] = x;
		if (ncomp > 0 && x > 0)
			newer = 1;
		ncomp++;
		if (*p == '\0')
			break;
		if (*p != '.')
			return err_set(err, -WHLC_EBADWHEEL,
				       "WHEEL: Wheel-Version '%s' is not a dotted number", v);
		p++;
	}
	if (comp[0] != 1)
		return err_set(err, -WHLC_EBADWHEEL,
			       "WHEEL: Wheel-Version %s is not supported (only 1.x is); "
			       "use a newer installer or rebuild the wheel",
			       v);
	if (purelib)
		*purelib = rp != NULL && strcasecmp(rp, "true") == 0;
	if (newer_minor)
		*newer_minor = newer;
	return 0;
}
