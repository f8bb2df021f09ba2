/* sha256.h - SHA-256 of a page's bytes
 *
 * Every page is identified by the SHA-256 of its file's bytes, computed
 * once when the file is read, before it is decoded from the same buffer.
 * A thin layer over OpenSSL's EVP digest interface (libcrypto).
 */
#ifndef STEMTEL_SHA256_H
#define STEMTEL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ST_SHA256_LEN 32
#define ST_SHA256_HEX_LEN 65 /* 64 hex digits and the terminating NUL */

/* Digest len bytes at data (data may be NULL when len is 0) into out.
 * Returns ST_OK, or ST_ERR_NOMEM if OpenSSL could not set up the digest
 * (out is then untouched). Thread-safe. */
int st_sha256(const void *data, size_t len, uint8_t out[ST_SHA256_LEN]);

/* Write digest as 64 lower-case hex digits and a NUL into hex; returns hex.
 * Thread-safe. */
char *st_sha256_hex(const uint8_t digest[ST_SHA256_LEN],
                    char hex[ST_SHA256_HEX_LEN]);

#ifdef __cplusplus
}
#endif

#endif
