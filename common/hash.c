/* hash.c: SHA-256 through OpenSSL EVP, hex and urlsafe base64 encodings. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hash.h"

/* Abort when OpenSSL cannot set up a digest: like allocation failure, nothing to recover. */
static void hash__die(const char *what)
{
	fprintf(stderr, "whlc: OpenSSL %s failed\n", what);
	abort();
}

/* Start a SHA-256 computation. */
void hash_sha256_init(struct hash_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL)
		hash__die("EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		hash__die("EVP_DigestInit_ex");
	h->md = ctx;
}

/* Feed len bytes. */
void hash_sha256_update(struct hash_sha256 *h, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (EVP_DigestUpdate(h->md, data, len) != 1)
		hash__die("EVP_DigestUpdate");
}

/* Finish, write 32 bytes to out, and release the context. */
void hash_sha256_final(struct hash_sha256 *h, uint8_t out[HASH_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->md, out, &n) != 1 || n != HASH_SHA256_LEN)
		hash__die("EVP_DigestFinal_ex");
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

/* One-shot digest of a buffer. */
void hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN])
{
	struct hash_sha256 h;

	hash_sha256_init(&h);
	hash_sha256_update(&h, data, len);
	hash_sha256_final(&h, out);
}

/* Lowercase hex; out must hold 2*len+1 bytes. */
void hash_to_hex(const uint8_t *d, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Value of one hex digit, -1 when c is not one. */
static int hash__hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse lowercase or uppercase hex of exactly 2*len chars; 0 or -EINVAL. */
int hash_from_hex(const char *s, uint8_t *d, size_t len)
{
	if (strnlen(s, 2 * len + 1) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hash__hexval(s[2 * i]), lo = hash__hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char hash__b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* urlsafe base64 without padding; out must hold 4*((len+2)/3)+1 bytes. */
void hash_to_b64url(const uint8_t *d, size_t len, char *out)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];

		out[o++] = hash__b64[v >> 18];
		out[o++] = hash__b64[(v >> 12) & 63];
		out[o++] = hash__b64[(v >> 6) & 63];
		out[o++] = hash__b64[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)d[i] << 16;

		out[o++] = hash__b64[v >> 18];
		out[o++] = hash__b64[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;

		out[o++] = hash__b64[v >> 18];
		out[o++] = hash__b64[(v >> 12) & 63];
		out[o++] = hash__b64[(v >> 6) & 63];
	}
	out[o] = '\0';
}

/* Value of one urlsafe base64 character, -1 when c is not one (standard '+' '/' included). */
static int hash__b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode urlsafe base64 without padding (padding tolerated); returns decoded
 * length or -EINVAL. Strict: any character outside the urlsafe alphabet, a
 * length that cannot come from an encoder (4k+1), non-zero bits left over in
 * the last character (non-canonical) or output larger than cap are rejected.
 */
int hash_from_b64url(const char *s, uint8_t *d, size_t cap)
{
	size_t n = strlen(s), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	/* At most two '=' and only when they complete a 4-char group. */
	size_t pad = 0;
	while (pad < 2 && n > 0 && s[n - 1] == '=') {
		n--;
		pad++;
	}
	if (pad && (n + pad) % 4 != 0)
		return -EINVAL;
	if (n % 4 == 1)
		return -EINVAL;
	if (n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > cap)
		return -EINVAL;
	if (n > (size_t)INT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = hash__b64val(s[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -EINVAL;
	return (int)o;
}
