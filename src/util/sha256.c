/* sha256.c - SHA-256 of a page's bytes through OpenSSL
 *
 * One call to EVP_Digest: OpenSSL picks the fastest implementation the CPU
 * offers (SHA extensions, AVX2), which matters when every page of a long
 * batch is hashed. EVP_Digest keeps its state on the stack of the call, so
 * any number of threads may hash at once.
 */
#include "stemtel/sha256.h"

#include <openssl/evp.h>

#include "stemtel/error.h"

int st_sha256(const void *data, size_t len, uint8_t out[ST_SHA256_LEN])
{
    static const uint8_t nothing = 0; /* EVP wants a pointer even for 0 bytes */
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data ? data : &nothing, len, md, &n, EVP_sha256(), NULL) ||
        n != ST_SHA256_LEN)
        return ST_ERR_NOMEM;
    for (int i = 0; i < ST_SHA256_LEN; i++)
        out[i] = md[i];
    return ST_OK;
}

char *st_sha256_hex(const uint8_t digest[ST_SHA256_LEN],
                    char hex[ST_SHA256_HEX_LEN])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < ST_SHA256_LEN; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * ST_SHA256_LEN] = '\0';
    return hex;
}
