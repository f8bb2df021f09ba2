/* password.h - members' passwords: salted, stretched, compared in constant time
 *
 * A password is kept as one line of text, "pbkdf2-sha256$ITER$SALT$HASH"
 * (salt and hash in hex): PBKDF2-HMAC-SHA-256 (OpenSSL's libcrypto) over
 * a 16-byte salt from RAND_bytes, ST_PASSWORD_ITERATIONS rounds, so a
 * stolen store costs an attacker that much per guess. The iteration
 * count travels with the hash, so a later, higher count still reads the
 * older lines.
 */
#ifndef STEMTEL_UTIL_PASSWORD_H
#define STEMTEL_UTIL_PASSWORD_H

#include <stddef.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* OWASP's 2023 figure for PBKDF2-HMAC-SHA-256. */
#define ST_PASSWORD_ITERATIONS 600000
#define ST_PASSWORD_MIN 8       /* bytes */
#define ST_PASSWORD_MAX 256     /* bytes */
#define ST_PASSWORD_LINE 160    /* room for the stored line */

/* The stored line for password pw (ST_PASSWORD_MIN to ST_PASSWORD_MAX
 * bytes, borrowed) with a fresh random salt, into out (the caller's, n >=
 * ST_PASSWORD_LINE bytes; written only on success). ST_OK; ST_ERR_ARG (too
 * short or too long, said in err with the prefix "password: "); ST_ERR_IO
 * (no randomness or the KDF failed). Thread-safe; takes about a quarter
 * of a second on purpose. */
int st_password_hash(const char *pw, char *out, size_t n, st_error *err);

/* 1 when pw matches stored (a line from st_password_hash), else 0 (also
 * for a stored line that cannot be read). The hashes are compared with
 * CRYPTO_memcmp, in constant time. stored NULL still spends the time of
 * one check, so a missing member answers as slowly as a wrong password.
 * Thread-safe. */
int st_password_verify(const char *pw, const char *stored);

#ifdef __cplusplus
}
#endif

#endif
