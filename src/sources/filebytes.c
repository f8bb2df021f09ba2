/* filebytes.c - the page-file module: read a whole file and hash it
 *
 * Both ways in share one opening: open with O_NONBLOCK (opening a FIFO
 * for reading would otherwise wait for a writer), fstat, refuse what is
 * not a regular file or is too large. st_filebytes_open then maps the
 * file, as count's runner always did: no copy into the heap, and memory
 * stays flat for large multi-page files; st_file_bytes reads into a
 * malloc'd buffer
 * its callers own, until the size fstat gave or end of file (a file
 * truncated meanwhile yields what it holds). st_file_bytes keeps the
 * wording its callers (hot folder, replay, manifests) always printed.
 */
#include "sources/filebytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open path for reading as a regular file within the size limit: the
 * descriptor (or -1) in *fd, the size in *size, and what failed. */
static st_filebytes_fail open_regular(const char *path, int *fd, size_t *size,
                                      mode_t *mode, int *sys_errno)
{
    struct stat st;
    *sys_errno = 0;
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0 || fstat(*fd, &st) != 0) {
        *sys_errno = errno;
        return ST_FILEBYTES_OPEN;
    }
    *mode = st.st_mode;
    if (!S_ISREG(st.st_mode))
        return ST_FILEBYTES_NOT_REGULAR;
    *size = (size_t)st.st_size;
    if ((unsigned long long)st.st_size > ST_FILEBYTES_MAX)
        return ST_FILEBYTES_TOO_LARGE;
    return ST_FILEBYTES_OK;
}

int st_filebytes_sha256(const void *bytes, size_t n, char sha[ST_SHA256_HEX_LEN])
{
    uint8_t digest[ST_SHA256_LEN];
    if (st_sha256(bytes ? bytes : (const void *)"", n, digest))
        return ST_ERR_NOMEM;
    st_sha256_hex(digest, sha);
    return ST_OK;
}

int st_filebytes_open(st_filebytes *fb, const char *path, st_error *err)
{
    int rc = ST_OK, fd = -1;
    size_t size = 0;
    mode_t mode = 0;
    memset(fb, 0, sizeof *fb);
    fb->fail = open_regular(path, &fd, &size, &mode, &fb->sys_errno);
    switch (fb->fail) {
    case ST_FILEBYTES_OK:
        break;
    case ST_FILEBYTES_OPEN:
        rc = st_error_set(err, ST_ERR_IO, "%s: cannot open: %s", path,
                          strerror(fb->sys_errno));
        goto out;
    case ST_FILEBYTES_NOT_REGULAR:
        rc = st_error_set(err, ST_ERR_IO, "%s: not a regular file (a %s)", path,
                          S_ISDIR(mode) ? "folder" : S_ISFIFO(mode) ? "pipe"
                                                                    : "device or socket");
        goto out;
    default:
        rc = st_error_set(err, ST_ERR_IO, "%s: too large: %zu bytes, at most %zu", path,
                          size, ST_FILEBYTES_MAX);
        goto out;
    }
    if (size > 0) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            fb->fail = ST_FILEBYTES_READ;
            fb->sys_errno = errno;
            rc = st_error_set(err, ST_ERR_IO, "%s: cannot read: %s", path,
                              strerror(fb->sys_errno));
            goto out;
        }
        fb->bytes = p;
        fb->len = size;
        fb->mapped = 1;
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

void st_filebytes_close(st_filebytes *fb)
{
    if (!fb)
        return;
    if (fb->mapped)
        munmap((void *)fb->bytes, fb->len);
    memset(fb, 0, sizeof *fb);
}

int st_file_bytes(const char *path, uint8_t **bytes, size_t *len,
                  char sha[ST_SHA256_HEX_LEN], int *gone, st_error *err)
{
    int rc = ST_OK, fd = -1, sys_errno = 0;
    uint8_t *buf = NULL;
    size_t n = 0, got = 0;
    mode_t mode = 0;
    st_filebytes_fail fail = open_regular(path, &fd, &n, &mode, &sys_errno);
    if (gone)
        *gone = fail == ST_FILEBYTES_OPEN && fd < 0 && sys_errno == ENOENT;
    if (fail == ST_FILEBYTES_OPEN) {
        rc = st_error_set(err, ST_ERR_IO, "%s: %s", path, strerror(sys_errno));
        goto out;
    }
    if (fail == ST_FILEBYTES_NOT_REGULAR) {
        rc = st_error_set(err, ST_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    if (fail) {
        rc = st_error_set(err, ST_ERR_IO, "%s: too large: %zu bytes, at most %zu", path, n,
                          ST_FILEBYTES_MAX);
        goto out;
    }
    if (!(buf = malloc(n ? n : 1))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    /* O_NONBLOCK does not apply to regular files: read waits for the disk. */
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
    if (sha && st_filebytes_sha256(buf, got, sha)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "%s: cannot set up SHA-256", path);
        goto out;
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
