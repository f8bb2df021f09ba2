/* filebytes.h - the page-file module: read a whole file and hash it
 *
 * A page is identified by the SHA-256 of its file's bytes, and what is
 * decoded must be exactly what was hashed: so a file is had once, whole,
 * and the hash is taken over those very bytes. Every reader of page files
 * (count's runner, verify, review's proof, the hot folder, replay and
 * manifests) comes here, so they all refuse the same things the same way:
 * the open never blocks (a FIFO named like a scan must not stop a batch),
 * only regular files are read, and none larger than ST_FILEBYTES_MAX.
 * Files are read into memory, never mapped: another process truncating a
 * mapped file would kill the reader (SIGBUS).
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

/* The largest file read: a classic TIFF cannot address more. */
#define ST_FILEBYTES_MAX ((size_t)4 << 30)

/* Why a file could not be had. */
typedef enum st_filebytes_fail {
    ST_FILEBYTES_OK = 0,
    ST_FILEBYTES_OPEN,      /* open or fstat failed (errno in sys_errno) */
    ST_FILEBYTES_NOT_REGULAR, /* a folder, pipe, device or socket */
    ST_FILEBYTES_TOO_LARGE, /* over ST_FILEBYTES_MAX */
    ST_FILEBYTES_READ,      /* reading failed (errno in sys_errno) */
    ST_FILEBYTES_NOMEM,
    ST_FILEBYTES_CHANGED    /* cut short, grown or rewritten while read */
} st_filebytes_fail;

/* A page file's contents, held read-only for the decoder. */
typedef struct st_filebytes {
    const uint8_t *bytes;   /* len bytes; NULL when the file is empty */
    size_t len;
    st_filebytes_fail fail; /* after a failed open: which step */
    int sys_errno;          /* and its errno, 0 if none */
} st_filebytes;

/* Hold the whole of the regular file at path in *fb: a copy in the heap
 * (len bytes, so a multi-page file costs its size while held). On failure
 * *fb holds no bytes, fb->fail and fb->sys_errno say why, and err names
 * the file: ST_ERR_IO with "PATH: cannot open: ...", "PATH: not a regular
 * file (a pipe)" (or folder, device or socket), "PATH: too large: ...",
 * "PATH: cannot read: ..." or "PATH: changed while being read (...)" (its
 * size or modification time changed between open and the end of the
 * read: truncated, grown or rewritten by another process), or
 * ST_ERR_NOMEM. Release with st_filebytes_close in either case.
 * Thread-safe. */
int st_filebytes_open(st_filebytes *fb, const char *path, st_error *err);

/* Let go of what st_filebytes_open holds and zero *fb. Accepts a zeroed
 * or failed fb. */
void st_filebytes_close(st_filebytes *fb);

/* The SHA-256 of n bytes (bytes may be NULL when n is 0) as hex into sha.
 * Returns ST_OK, or ST_ERR_NOMEM when the hash cannot be set up.
 * Thread-safe. */
int st_filebytes_sha256(const void *bytes, size_t n, char sha[ST_SHA256_HEX_LEN]);

/* Read the regular file at path into memory the caller owns. On ST_OK,
 * *bytes (malloc'd, the caller's to free; NULL allowed to only hash)
 * holds *len bytes and sha (may be NULL) their SHA-256 in hex. Errors
 * name the path: ST_ERR_IO (cannot open or read, not a regular file, too
 * large; *gone, if not NULL, is set to 1 when the file does not exist,
 * else 0), ST_ERR_NOMEM. A file that shrinks while being read gives what
 * was there. Thread-safe. */
int st_file_bytes(const char *path, uint8_t **bytes, size_t *len,
                  char sha[ST_SHA256_HEX_LEN], int *gone, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
