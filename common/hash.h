/* hash.h: SHA-256 (OpenSSL libcrypto) and the encodings wheels use for digests. */
#ifndef WHLC_HASH_H
#define WHLC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SHA256_LEN	    32
#define HASH_SHA256_HEX_LEN 64 /* without NUL */
#define HASH_SHA256_B64_LEN 43 /* urlsafe base64, no padding, without NUL */

struct hash_sha256 {
	void *md; /* EVP_MD_CTX */
};

void hash_sha256_init(struct hash_sha256 *h);
void hash_sha256_update(struct hash_sha256 *h, const void *data, size_t len);
/* Finish, write 32 bytes to out, and release the context. */
void hash_sha256_final(struct hash_sha256 *h, uint8_t out[HASH_SHA256_LEN]);
/* One-shot digest of a buffer. */
void hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN]);

/* Lowercase hex; out must hold 2*len+1 bytes. */
void hash_to_hex(const uint8_t *d, size_t len, char *out);
/* Parse lowercase or uppercase hex of exactly 2*len chars; 0 or -EINVAL. */
int hash_from_hex(const char *s, uint8_t *d, size_t len);
/* urlsafe base64 without padding; out must hold 4*((len+2)/3)+1 bytes. */
void hash_to_b64url(const uint8_t *d, size_t len, char *out);
/* Decode urlsafe base64 without padding (padding tolerated); returns decoded length or -EINVAL. */
int hash_from_b64url(const char *s, uint8_t *d, size_t cap);

#endif
