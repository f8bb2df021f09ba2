/* filebytes.c - read a whole file and hash it
 *
 * One open, one fstat for the size, reads until that size or end of
 * file (a file truncated meanwhile yields what it holds; the caller's
 * events will bring the rest), then SHA-256 over the buffer.
 */
#include "sources/filebytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int st_file_bytes(const char *path, uint8_t **bytes, size_t *len,
                  char sha[ST_SHA256_HEX_LEN], int *gone, st_error *err)
{
    int rc = ST_OK;
    uint8_t *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (gone)
        *gone = fd < 0 && errno == ENOENT;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = st_error_set(err, ST_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = st_error_set(err, ST_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    size_t n = (size_t)st.st_size, got = 0;
    if (!(buf = malloc(n ? n : 1))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = st_error_set(err, ST_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (sha) {
        uint8_t digest[ST_SHA256_LEN];
        if (st_sha256(buf, got, digest)) {
            rc = st_error_set(err, ST_ERR_NOMEM, "%s: cannot set up SHA-256", path);
            goto out;
        }
        st_sha256_hex(digest, sha);
    }
    *len = got;
    if (bytes) {
        *bytes = buf;
        buf = NULL;
    }
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}
