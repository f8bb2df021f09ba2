/* filebytes.h - read a whole file and hash it, for sources and manifests
 *
 * A page is identified by the SHA-256 of its file's bytes, and what is
 * decoded must be exactly what was hashed: so a source reads a file once,
 * whole, into memory, and hashes that buffer.
 */
#ifndef STEMTEL_FILEBYTES_H
#define STEMTEL_FILEBYTES_H

#include <stddef.h>
#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read the regular file at path. On ST_OK, *bytes (malloc'd, the
 * caller's to free; NULL allowed to only hash) holds *len bytes and sha
 * (may be NULL) their SHA-256 in hex. Errors name the path: ST_ERR_IO
 * (cannot open or read, not a regular file; *gone, if not NULL, is set
 * to 1 when the file does not exist, else 0), ST_ERR_NOMEM. A file that
 * shrinks while being read gives what was there. Thread-safe. */
int st_file_bytes(const char *path, uint8_t **bytes, size_t *len,
                  char sha[ST_SHA256_HEX_LEN], int *gone, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
