/* password.c - members' passwords: salted, stretched, compared in constant time
 *
 * PBKDF2-HMAC-SHA-256 from libcrypto, which the store already links for
 * page hashes: no hand-written crypto. Verification parses the stored
 * line strictly, derives with its own salt and count, and compares the
 * whole hash with CRYPTO_memcmp.
 */
#include "util/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define HASH_LEN 32
#define PREFIX "pbkdf2-sha256$"

static void hex(const unsigned char *b, int n, char *out)
{
    for (int i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int unhex(const char *s, size_t len, unsigned char *out, size_t n)
{
    if (len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

static int derive(const char *pw, const unsigned char *salt, long iter, unsigned char *out)
{
    return PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, SALT_LEN, (int)iter, EVP_sha256(),
                             HASH_LEN, out) == 1 ? 0 : -1;
}

int st_password_hash(const char *pw, char *out, size_t n, st_error *err)
{
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    char hs[2 * SALT_LEN + 1], hh[2 * HASH_LEN + 1];
    size_t len = pw ? strlen(pw) : 0;
    if (len < ST_PASSWORD_MIN || len > ST_PASSWORD_MAX)
        return st_error_set(err, ST_ERR_ARG, "password: must be %d to %d bytes long",
                            ST_PASSWORD_MIN, ST_PASSWORD_MAX);
    if (n < ST_PASSWORD_LINE)
        return st_error_set(err, ST_ERR_ARG, "password: no room for the hash");
    if (RAND_bytes(salt, SALT_LEN) != 1)
        return st_error_set(err, ST_ERR_IO, "password: no random bytes for the salt");
    if (derive(pw, salt, ST_PASSWORD_ITERATIONS, hash))
        return st_error_set(err, ST_ERR_IO, "password: PBKDF2 failed");
    hex(salt, SALT_LEN, hs);
    hex(hash, HASH_LEN, hh);
    snprintf(out, n, PREFIX "%d$%s$%s", ST_PASSWORD_ITERATIONS, hs, hh);
    OPENSSL_cleanse(hash, sizeof hash);
    return ST_OK;
}

int st_password_verify(const char *pw, const char *stored)
{
    unsigned char salt[SALT_LEN] = {0}, want[HASH_LEN] = {0}, got[HASH_LEN];
    long iter = ST_PASSWORD_ITERATIONS;
    int ok = 0;
    if (stored && !strncmp(stored, PREFIX, strlen(PREFIX))) {
        char *end;
        const char *p = stored + strlen(PREFIX);
        iter = strtol(p, &end, 10);
        const char *s = *end == '$' ? end + 1 : NULL, *h = s ? strchr(s, '$') : NULL;
        ok = iter >= 1000 && iter <= 100000000 && h &&
             !unhex(s, (size_t)(h - s), salt, SALT_LEN) &&
             !unhex(h + 1, strlen(h + 1), want, HASH_LEN);
        if (!ok)
            iter = ST_PASSWORD_ITERATIONS;
    }
    /* Always derive once, so an unknown member or a damaged line takes as
     * long as a wrong password. */
    if (derive(pw ? pw : "", salt, iter, got))
        ok = 0;
    int same = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return ok && same;
}
