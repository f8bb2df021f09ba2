/* filebytes.c - the page-file module: read a whole file and hash it
 *
 * Both ways in share one opening: open with O_NONBLOCK (opening a FIFO
 * for reading would otherwise wait for a writer), fstat, refuse what is
 * not a regular file or is too large, and one read loop into the heap.
 * The file is read, not mapped: a mapped file that another process cuts
 * short kills the reader with SIGBUS when it touches the lost pages, and
 * catching that would take a process-wide signal handler. A copy is the
 * decoder's alone: what it decodes is what was hashed. st_filebytes_open
 * refuses a file whose size or modification time changed while it was
 * read; st_file_bytes reads until the size fstat gave or end of file (a
 * file truncated meanwhile yields what it holds) and keeps the wording
 * its callers (hot folder, replay, manifests) always printed.
 */
#include "sources/filebytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open path for reading as a regular file within the size limit: the
 * descriptor (or -1) in *fd, what fstat said in *st, and what failed. */
static st_filebytes_fail open_regular(const char *path, int *fd, struct stat *st,
                                      int *sys_errno)
{
    *sys_errno = 0;
    memset(st, 0, sizeof *st);
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0 || fstat(*fd, st) != 0) {
        *sys_errno = errno;
        return ST_FILEBYTES_OPEN;
    }
    if (!S_ISREG(st->st_mode))
        return ST_FILEBYTES_NOT_REGULAR;
    if ((unsigned long long)st->st_size > ST_FILEBYTES_MAX)
        return ST_FILEBYTES_TOO_LARGE;
    return ST_FILEBYTES_OK;
}

/* Read up to n bytes of fd into buf, stopping early at end of file: the
 * count in *got. Returns 0, or -1 with errno set. */
static int read_upto(int fd, uint8_t *buf, size_t n, size_t *got)
{
    *got = 0;
    /* O_NONBLOCK does not apply to regular files: read waits for the disk. */
    while (*got < n) {
        ssize_t r = read(fd, buf + *got, n - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

/* 1 when fd's file still has the size and modification time it had when
 * opened (st), and nothing lies past the bytes read. */
static int unchanged(int fd, const struct stat *st)
{
    struct stat now;
    uint8_t more;
    if (fstat(fd, &now) != 0 || now.st_size != st->st_size ||
        now.st_mtim.tv_sec != st->st_mtim.tv_sec || now.st_mtim.tv_nsec != st->st_mtim.tv_nsec)
        return 0;
    return read(fd, &more, 1) == 0;
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
    struct stat st;
    uint8_t *buf = NULL;
    size_t size, got = 0;
    memset(fb, 0, sizeof *fb);
    fb->fail = open_regular(path, &fd, &st, &fb->sys_errno);
    size = (size_t)st.st_size;
    switch (fb->fail) {
    case ST_FILEBYTES_OK:
        break;
    case ST_FILEBYTES_OPEN:
        rc = st_error_set(err, ST_ERR_IO, "%s: cannot open: %s", path,
                          strerror(fb->sys_errno));
        goto out;
    case ST_FILEBYTES_NOT_REGULAR:
        rc = st_error_set(err, ST_ERR_IO, "%s: not a regular file (a %s)", path,
                          S_ISDIR(st.st_mode) ? "folder" : S_ISFIFO(st.st_mode) ? "pipe"
                                                                            : "device or socket");
        goto out;
    default:
        rc = st_error_set(err, ST_ERR_IO, "%s: too large: %zu bytes, at most %zu", path,
                          size, ST_FILEBYTES_MAX);
        goto out;
    }
    if (size == 0)
        goto out;
    if (!(buf = malloc(size))) {
        fb->fail = ST_FILEBYTES_NOMEM;
        rc = st_error_set(err, ST_ERR_NOMEM, "%s: out of memory for its %zu bytes", path,
                          size);
        goto out;
    }
    if (read_upto(fd, buf, size, &got) != 0) {
        fb->fail = ST_FILEBYTES_READ;
        fb->sys_errno = errno;
        rc = st_error_set(err, ST_ERR_IO, "%s: cannot read: %s", path,
                          strerror(fb->sys_errno));
        goto out;
    }
    /* Another process cut, grew or rewrote the file meanwhile: what was
     * read is no one version of it. */
    if (got != size || !unchanged(fd, &st)) {
        fb->fail = ST_FILEBYTES_CHANGED;
        rc = st_error_set(err, ST_ERR_IO, "%s: changed while being read (%zu bytes when "
                          "opened, %zu read)", path, size, got);
        goto out;
    }
    fb->bytes = buf;
    fb->len = size;
    buf = NULL;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

void st_filebytes_close(st_filebytes *fb)
{
    if (!fb)
        return;
    free((void *)fb->bytes);
    memset(fb, 0, sizeof *fb);
}

int st_file_bytes(const char *path, uint8_t **bytes, size_t *len,
                  char sha[ST_SHA256_HEX_LEN], int *gone, st_error *err)
{
    int rc = ST_OK, fd = -1, sys_errno = 0;
    uint8_t *buf = NULL;
    size_t n = 0, got = 0;
    struct stat st;
    st_filebytes_fail fail = open_regular(path, &fd, &st, &sys_errno);
    n = (size_t)st.st_size;
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
    if (read_upto(fd, buf, n, &got) != 0) {
        rc = st_error_set(err, ST_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
        goto out;
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
