/* atomic.c - write a file so that it is either whole or not there
 *
 * PATH.tmp, then fflush + fsync + rename + fsync of the folder: POSIX
 * rename is atomic, and the two fsyncs make the new bytes and the new
 * name durable in that order.
 */
#include "util/atomic.h"
#include "util/logfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void clear(st_atomic *a)
{
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

int st_atomic_open(st_atomic *a, const char *path, const char *who, st_error *err)
{
    memset(a, 0, sizeof *a);
    a->who = who ? who : "write";
    size_t n = strlen(path);
    if (!(a->path = strdup(path)) || !(a->tmp = malloc(n + 5))) {
        clear(a);
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", who);
    }
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmp", 5);
    /* Named by the file asked for: the .tmp beside it is ours. */
    if (!(a->f = fopen(a->tmp, "w"))) {
        int rc = st_error_set(err, ST_ERR_IO, "%s: %s: cannot write: %s", a->who, a->path,
                              strerror(errno));
        clear(a);
        return rc;
    }
    return ST_OK;
}

int st_atomic_commit(st_atomic *a, st_error *err)
{
    int rc = ST_OK;
    if (!a->f)
        return st_error_set(err, ST_ERR_ARG, "write: no file open");
    int bad = ferror(a->f) | fflush(a->f);
    if (!bad && fsync(fileno(a->f)) != 0 && errno != EINVAL)
        bad = 1;
    int e = errno;
    if ((fclose(a->f) != 0) | bad) {
        a->f = NULL;
        rc = st_error_set(err, ST_ERR_IO, "%s: %s: write failed: %s", a->who, a->tmp,
                          strerror(e ? e : errno));
        goto out;
    }
    a->f = NULL;
    if (rename(a->tmp, a->path) != 0) {
        rc = st_error_set(err, ST_ERR_IO, "%s: cannot rename %s to %s: %s", a->who, a->tmp,
                          a->path, strerror(errno));
        goto out;
    }
    /* The file is in place; a folder that cannot be synced (some file
     * systems refuse) does not undo that. */
    st_logfile_sync_dir(a->path);
out:
    if (rc != ST_OK)
        remove(a->tmp);
    clear(a);
    return rc;
}

void st_atomic_abort(st_atomic *a)
{
    if (a->f) {
        fclose(a->f);
        remove(a->tmp);
    }
    clear(a);
}

int st_atomic_write(const char *path, const void *data, size_t n, const char *who,
                    st_error *err)
{
    st_atomic a;
    int rc = st_atomic_open(&a, path, who, err);
    if (rc)
        return rc;
    if (n && fwrite(data, 1, n, a.f) != n) {
        rc = st_error_set(err, ST_ERR_IO, "%s: %s: cannot write: %s", a.who, a.tmp,
                          strerror(errno));
        st_atomic_abort(&a);
        return rc;
    }
    return st_atomic_commit(&a, err);
}
