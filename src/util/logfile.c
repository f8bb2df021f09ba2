/* logfile.c - a file that grows line by line and is synced as it grows
 *
 * Writing is stdio with an fflush + fdatasync at each sync; the folder is
 * synced once, when the file is made. Cutting reads the whole file, finds
 * where its lines start, asks about whole lines from the last one back,
 * and truncates at the start of the first line cut (ftruncate + fsync):
 * everything it cuts lies at the end, so the file never has a hole.
 */
#include "util/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int st_logfile_sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void clear(st_logfile *l)
{
    free(l->path);
    memset(l, 0, sizeof *l);
}

int st_logfile_open(st_logfile *l, const char *path, const char *mode, const char *who,
                    st_error *err)
{
    memset(l, 0, sizeof *l);
    l->who = who ? who : "write";
    if (!(l->path = strdup(path)))
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", l->who);
    if (!(l->f = fopen(path, mode))) {
        int rc = st_error_set(err, ST_ERR_IO, "%s: %s: cannot write: %s", l->who, path,
                              strerror(errno));
        clear(l);
        return rc;
    }
    /* Some file systems cannot sync a folder; the file is made all the same. */
    st_logfile_sync_dir(path);
    return ST_OK;
}

int st_logfile_sync(st_logfile *l, st_error *err)
{
    if (!l->f)
        return st_error_set(err, ST_ERR_ARG, "%s: no file open", l->who ? l->who : "write");
    errno = 0;
    if (ferror(l->f) || fflush(l->f) != 0 ||
        (fdatasync(fileno(l->f)) != 0 && errno != EINVAL))
        return st_error_set(err, ST_ERR_IO, "%s: %s: write failed: %s", l->who, l->path,
                            strerror(errno ? errno : EIO));
    return ST_OK;
}

int st_logfile_close(st_logfile *l, st_error *err)
{
    if (!l->f) {
        clear(l);
        return ST_OK;
    }
    int rc = st_logfile_sync(l, err);
    if (fclose(l->f) != 0 && !rc)
        rc = st_error_set(err, ST_ERR_IO, "%s: %s: write failed: %s", l->who, l->path,
                          strerror(errno));
    clear(l);
    return rc;
}

/* The whole file at path, malloc'd and NUL-terminated, its length in *n. */
static int slurp(const char *path, char **out, size_t *n, st_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f)
        return st_error_set(err, ST_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    for (;;) {
        if (cap - len < 65536) {
            char *nb = realloc(buf, cap = cap ? 2 * cap : 65536 * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return st_error_set(err, ST_ERR_IO, "%s: read error", path);
    }
    buf[len] = '\0';
    *out = buf;
    *n = len;
    return ST_OK;
}

int st_logfile_cut(const char *path, int first, st_logfile_keep_fn keep, void *ctx,
                   int *kept, int *cut, st_error *err)
{
    char *text = NULL, *line = NULL;
    size_t len = 0, *starts = NULL;
    int rc = slurp(path, &text, &len, err), n = 0, n_cut = 0;
    if (rc)
        return rc;
    /* Where each whole line starts; a tail without '\n' is torn. */
    size_t end = len;
    while (end > 0 && text[end - 1] != '\n')
        end--;
    n_cut = end < len;
    for (size_t i = 0; i < end; i++)
        n += text[i] == '\n';
    if (!(starts = malloc(((size_t)n + 1) * sizeof *starts)) || !(line = malloc(end + 1))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0, k = 0; k <= (size_t)n; k++) {
        starts[k] = i;
        while (i < end && text[i] != '\n')
            i++;
        i++;
    }
    starts[n] = end;
    int whole = n;
    for (; whole > first && keep; whole--) {
        size_t a = starts[whole - 1], b = starts[whole] - 1;
        memcpy(line, text + a, b - a);
        line[b - a] = '\0';
        int k = keep(ctx, line, err);
        if (k < 0) {
            rc = k;
            goto out;
        }
        if (k)
            break;
        n_cut++;
    }
    if (n_cut) {
        int fd = open(path, O_WRONLY);
        if (fd < 0 || ftruncate(fd, (off_t)starts[whole]) != 0 || fsync(fd) != 0)
            rc = st_error_set(err, ST_ERR_IO, "%s: cannot cut its torn end: %s", path,
                              strerror(errno));
        if (fd >= 0)
            close(fd);
        if (rc)
            goto out;
    }
    *kept = whole;
    *cut = n_cut;
out:
    free(starts);
    free(line);
    free(text);
    return rc;
}
