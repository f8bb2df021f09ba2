/* manifest.c - write, read and check replay manifests
 *
 * Reading is two steps: parse the whole text first (every format error
 * names the manifest's line), then hash every file it names and compare,
 * collecting all problems before reporting, so an auditor sees at once
 * which files are missing or altered. Writing appends to the manifest
 * under its own name (util/logfile.h), synced when the caller says, and
 * keeps a write error until the next sync or close. Duplicate files and
 * hashes are caught with a string set (seen.h) in both directions.
 * Repairing cuts the end of a manifest left open (st_logfile_cut), asking
 * the caller about each listed file from the last one back.
 */
#include "stemtel/manifest.h"
#include "sources/filebytes.h"
#include "util/logfile.h"
#include "util/seen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- shared checks ------------------------------------------------------ */

static int st_manifest_hex_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == ST_SHA256_HEX_LEN - 1;
}

/* 1 if s may be a field: no tab, CR or LF. */
static int st_manifest_field_ok(const char *s)
{
    return strpbrk(s, "\t\r\n") == NULL;
}

/* The folder part of path ("." when it has none), malloc'd. */
static char *st_manifest_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* A file as listed, resolved against the manifest's folder dir unless
 * absolute; malloc'd, NULL when out of memory. */
static char *st_manifest_resolve(const char *dir, const char *file)
{
    if (file[0] == '/')
        return strdup(file);
    size_t n = strlen(dir) + strlen(file) + 2;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", dir, file);
    return path;
}

int st_manifest_hash_file(const char *path, char hex[ST_SHA256_HEX_LEN],
                          st_error *err)
{
    size_t len;
    return st_file_bytes(path, NULL, &len, hex, NULL, err);
}

/* ---- reading ------------------------------------------------------------ */

void st_manifest_free(st_manifest *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++) {
        free(m->entries[i].file);
        free(m->entries[i].path);
        free(m->entries[i].station);
    }
    free(m->entries);
    free(m->path);
    free(m);
}

/* Split line at tabs into exactly n fields (in place); 0 if the count is
 * wrong. */
static int st_manifest_split(char *line, char **f, int n)
{
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p; p++)
        if (*p == '\t') {
            if (k == n)
                return 0;
            *p = '\0';
            f[k++] = p + 1;
        }
    return k == n;
}

/* Parse a whole decimal in 1..hi; -1 if it is not one. */
static long st_manifest_number(const char *s, long hi)
{
    if (!*s || strlen(s) > 9)
        return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= 1 && v <= hi ? v : -1;
}

/* One entry line into e (fields already split); duplicates via seen. */
static int st_manifest_entry_parse(st_manifest *m, char **f, int lineno,
                                   const char *dir, st_seen *seen, st_error *err)
{
    st_manifest_entry *e = &m->entries[m->n];
    long order = st_manifest_number(f[0], INT_MAX);
    if (order != m->n + 1)
        return st_error_set(err, ST_ERR_PARSE,
                            "%s:%d: order \"%s\" where %d was due (orders run 1, 2, 3 "
                            "... without gaps: is a line missing?)",
                            m->path, lineno, f[0], m->n + 1);
    if (!*f[1])
        return st_error_set(err, ST_ERR_PARSE, "%s:%d: empty file name", m->path, lineno);
    if (!st_manifest_hex_ok(f[2]))
        return st_error_set(err, ST_ERR_PARSE,
                            "%s:%d: %s: sha256 \"%.70s\" is not 64 lower-case hex digits",
                            m->path, lineno, f[1], f[2]);
    long batch = 0;
    if (*f[4] && (batch = st_manifest_number(f[4], ST_MANIFEST_BATCH_MAX)) < 0)
        return st_error_set(err, ST_ERR_PARSE, "%s:%d: %s: batch \"%s\" is not 1 to %d",
                            m->path, lineno, f[1], f[4], ST_MANIFEST_BATCH_MAX);
    char key[PATH_MAX + 8];
    snprintf(key, sizeof key, "f:%s", f[1]);
    int fresh = st_seen_add(seen, key);
    if (fresh == 1) {
        snprintf(key, sizeof key, "h:%s", f[2]);
        fresh = st_seen_add(seen, key);
        if (fresh == 0)
            return st_error_set(err, ST_ERR_PARSE,
                                "%s:%d: %s has the same SHA-256 as an earlier line: the "
                                "same page listed twice",
                                m->path, lineno, f[1]);
    } else if (fresh == 0) {
        return st_error_set(err, ST_ERR_PARSE, "%s:%d: file %s is listed twice", m->path,
                            lineno, f[1]);
    }
    if (fresh < 0)
        return st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
    e->order = (int)order;
    e->batch = (int)batch;
    memcpy(e->sha256, f[2], ST_SHA256_HEX_LEN);
    e->file = strdup(f[1]);
    e->station = *f[3] ? strdup(f[3]) : NULL;
    e->path = st_manifest_resolve(dir, f[1]);
    m->n++; /* counted before the checks below so st_manifest_free frees it */
    if (!e->file || !e->path || (*f[3] && !e->station))
        return st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
    return ST_OK;
}

int st_manifest_parse(const char *path, st_manifest **out, st_error *err)
{
    int rc = ST_OK, lineno = 0, cap = 0;
    char *line = NULL, *dir = NULL;
    size_t line_cap = 0;
    st_seen *seen = NULL;
    st_manifest *m = calloc(1, sizeof *m);
    /* Without O_NONBLOCK, opening a FIFO waits for a writer for ever. */
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    FILE *fp = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(fp = fdopen(fd, "r"))) {
        rc = st_error_set(err, ST_ERR_IO, "%s: cannot open manifest: %s", path,
                          fd >= 0 && !S_ISREG(st.st_mode) ? "not a regular file"
                                                          : strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    if (!m || !(m->path = strdup(path)) || !(dir = st_manifest_dirname(path)) ||
        !(seen = st_seen_new())) {
        rc = st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
        goto out;
    }
    ssize_t len;
    while ((len = getline(&line, &line_cap, fp)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if ((size_t)len != strlen(line)) {
            rc = st_error_set(err, ST_ERR_PARSE, "%s:%d: a NUL byte in the text", path,
                              lineno);
            goto out;
        }
        if (lineno == 1 || lineno == 2) {
            const char *want = lineno == 1 ? ST_MANIFEST_MAGIC : ST_MANIFEST_COLUMNS;
            if (strcmp(line, want) != 0) {
                rc = st_error_set(err, ST_ERR_PARSE,
                                  "%s:%d: expected \"%s\"%s, found \"%.60s\"", path, lineno,
                                  want, lineno == 1 ? " (not a stemtel manifest?)" : "",
                                  line);
                goto out;
            }
            continue;
        }
        if (line[0] == '#')
            continue;
        if (strchr(line, '\r')) {
            rc = st_error_set(err, ST_ERR_PARSE, "%s:%d: carriage return in the line "
                              "(write the manifest with plain LF line ends)", path, lineno);
            goto out;
        }
        char *f[5];
        if (!st_manifest_split(line, f, 5)) {
            rc = st_error_set(err, ST_ERR_PARSE,
                              "%s:%d: expected 5 tab-separated fields (%s)", path, lineno,
                              "order, file, sha256, station, batch");
            goto out;
        }
        if (m->n == cap) {
            int ncap = cap ? cap * 2 : 64;
            st_manifest_entry *ne = realloc(m->entries, (size_t)ncap * sizeof *ne);
            if (!ne) {
                rc = st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
                goto out;
            }
            m->entries = ne;
            cap = ncap;
        }
        memset(&m->entries[m->n], 0, sizeof m->entries[m->n]);
        if ((rc = st_manifest_entry_parse(m, f, lineno, dir, seen, err)))
            goto out;
    }
    if (ferror(fp)) {
        rc = st_error_set(err, ST_ERR_IO, "%s: read error", path);
        goto out;
    }
    if (lineno < 2)
        rc = st_error_set(err, ST_ERR_PARSE, "%s: %s", path,
                          lineno ? "no column line" : "empty: not a stemtel manifest");
out:
    if (fp)
        fclose(fp);
    free(line);
    free(dir);
    st_seen_free(seen);
    if (rc) {
        st_manifest_free(m);
        return rc;
    }
    *out = m;
    return ST_OK;
}

int st_manifest_verify(const st_manifest *m, st_error *err)
{
    char report[ST_ERROR_MAX] = "";
    size_t used = 0;
    int bad = 0, missing = 0;
    for (int i = 0; i < m->n; i++) {
        const st_manifest_entry *e = &m->entries[i];
        char hex[ST_SHA256_HEX_LEN], what[ST_ERROR_MAX];
        st_error fe = {0};
        int rc = st_manifest_hash_file(e->path, hex, &fe);
        if (rc == ST_ERR_NOMEM)
            return st_error_set(err, rc, "manifest: %s", fe.msg);
        if (rc)
            snprintf(what, sizeof what, "%s (line %d): missing or unreadable: %s", e->file,
                     e->order + 2, fe.msg);
        else if (strcmp(hex, e->sha256) != 0)
            snprintf(what, sizeof what,
                     "%s (line %d): altered: its SHA-256 is %.12s..., the manifest "
                     "says %.12s...",
                     e->file, e->order + 2, hex, e->sha256);
        else
            continue;
        missing += rc != 0;
        if (++bad <= 5 && used < sizeof report)
            used += (size_t)snprintf(report + used, sizeof report - used, "%s%s",
                                     bad > 1 ? "; " : "", what);
    }
    if (!bad)
        return ST_OK;
    return st_error_set(err, missing ? ST_ERR_IO : ST_ERR_INVALID,
                        "manifest %s: %d of %d files fail the check, nothing counted: "
                        "%s%s",
                        m->path, bad, m->n, report, bad > 5 ? "; and more" : "");
}

int st_manifest_read(const char *path, st_manifest **out, st_error *err)
{
    st_manifest *m = NULL;
    int rc = st_manifest_parse(path, &m, err);
    if (!rc && (rc = st_manifest_verify(m, err)) != ST_OK) {
        st_manifest_free(m);
        return rc;
    }
    if (!rc)
        *out = m;
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

struct st_manifest_writer {
    st_logfile file;
    char *dir;     /* real path of the manifest's folder */
    st_seen *seen; /* files and hashes already written */
    int n;
    int rc;        /* first write error */
    char msg[ST_ERROR_MAX];
};

/* Free w, closing its file as it is. */
static void st_manifest_writer_free(st_manifest_writer *w)
{
    st_error ignored = {0};
    st_logfile_close(&w->file, &ignored);
    free(w->dir);
    st_seen_free(w->seen);
    free(w);
}

void st_manifest_writer_abort(st_manifest_writer *w)
{
    if (w)
        st_manifest_writer_free(w);
}

int st_manifest_writer_open(const char *path, st_manifest_writer **out,
                            st_error *err)
{
    int rc = ST_OK;
    char *dir = NULL;
    st_manifest_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->seen = st_seen_new()) || !(dir = st_manifest_dirname(path))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
        goto out;
    }
    if (!(w->dir = realpath(dir, NULL))) {
        rc = st_error_set(err, ST_ERR_IO, "%s: folder %s: %s", path, dir, strerror(errno));
        goto out;
    }
    if ((rc = st_logfile_open(&w->file, path, "wx", "manifest", err)))
        goto out;
    fprintf(w->file.f, "%s\n%s\n", ST_MANIFEST_MAGIC, ST_MANIFEST_COLUMNS);
    rc = st_logfile_sync(&w->file, err);
out:
    free(dir);
    if (rc) {
        if (w && w->file.f)
            unlink(path); /* made here, and not even its header is whole */
        if (w)
            st_manifest_writer_free(w);
        return rc;
    }
    *out = w;
    return ST_OK;
}

int st_manifest_writer_add(st_manifest_writer *w, const char *file,
                           const char *sha256, const char *station, int batch,
                           st_error *err)
{
    if (!st_manifest_field_ok(file) || !*file)
        return st_error_set(err, ST_ERR_ARG,
                            "manifest: file name \"%s\" is empty or holds a tab or line "
                            "break",
                            file);
    if (!sha256 || !st_manifest_hex_ok(sha256))
        return st_error_set(err, ST_ERR_ARG,
                            "manifest: %s: sha256 is not 64 lower-case hex digits", file);
    if (station && !st_manifest_field_ok(station))
        return st_error_set(err, ST_ERR_ARG,
                            "manifest: %s: station holds a tab or line break", file);
    if (batch < 0 || batch > ST_MANIFEST_BATCH_MAX)
        return st_error_set(err, ST_ERR_ARG, "manifest: %s: batch %d is not 0 to %d",
                            file, batch, ST_MANIFEST_BATCH_MAX);
    char *real = realpath(file, NULL);
    if (!real)
        return st_error_set(err, ST_ERR_IO, "manifest: %s: %s", file, strerror(errno));
    size_t dn = strlen(w->dir);
    const char *rel = real;
    if (strncmp(real, w->dir, dn) == 0 && real[dn] == '/')
        rel = real + dn + 1;
    else if (strcmp(w->dir, "/") == 0)
        rel = real + 1;
    char fkey[PATH_MAX + 8], hkey[ST_SHA256_HEX_LEN + 8];
    snprintf(fkey, sizeof fkey, "f:%s", rel);
    snprintf(hkey, sizeof hkey, "h:%s", sha256);
    int rc = ST_OK;
    if (st_seen_has(w->seen, fkey) || st_seen_has(w->seen, hkey)) {
        rc = st_error_set(err, ST_ERR_ARG,
                          "manifest: %s: %s already in this manifest: a page is never "
                          "counted twice",
                          file, st_seen_has(w->seen, fkey) ? "file" : "its SHA-256 is");
        goto out;
    }
    if (st_seen_add(w->seen, fkey) < 0 || st_seen_add(w->seen, hkey) < 0) {
        rc = st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
        goto out;
    }
    char num[16] = "";
    if (batch)
        snprintf(num, sizeof num, "%d", batch);
    if (fprintf(w->file.f, "%d\t%s\t%s\t%s\t%s\n", w->n + 1, rel, sha256,
                station ? station : "", num) < 0 && !w->rc) {
        w->rc = ST_ERR_IO;
        snprintf(w->msg, sizeof w->msg, "%s: cannot write: %s", w->file.path,
                 strerror(errno));
    }
    w->n++;
out:
    free(real);
    return rc;
}

int st_manifest_writer_sync(st_manifest_writer *w, st_error *err)
{
    if (w->rc)
        return st_error_set(err, w->rc, "%s", w->msg);
    return st_logfile_sync(&w->file, err);
}

int st_manifest_writer_count(const st_manifest_writer *w)
{
    return w->n;
}

int st_manifest_writer_close(st_manifest_writer *w, st_error *err)
{
    if (!w)
        return ST_OK;
    int rc = st_manifest_writer_sync(w, err);
    if (!rc) {
        fprintf(w->file.f, "%s: %d file%s\n", ST_MANIFEST_CLOSED, w->n, w->n == 1 ? "" : "s");
        rc = st_logfile_close(&w->file, err);
    }
    st_manifest_writer_free(w);
    return rc;
}

/* ---- repairing ------------------------------------------------------------ */

typedef struct st_manifest_cutting {
    const char *dir;
    st_manifest_held_fn held;
    void *ctx;
    int asked;
    int closed;
} st_manifest_cutting;

static int st_manifest_keep(void *ctx, char *line, st_error *err)
{
    st_manifest_cutting *c = ctx;
    if (c->asked++ == 0 && strncmp(line, ST_MANIFEST_CLOSED, strlen(ST_MANIFEST_CLOSED)) == 0)
        c->closed = 1;
    char *f[5];
    if (line[0] == '#' || !st_manifest_split(line, f, 5) || !st_manifest_hex_ok(f[2]))
        return 1; /* not a file: the parser names what is wrong */
    char *path = st_manifest_resolve(c->dir, f[1]);
    if (!path)
        return st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
    int rc = c->held(c->ctx, path, f[2], err);
    free(path);
    return rc;
}

int st_manifest_repair(const char *path, st_manifest_held_fn held, void *ctx,
                       st_manifest_repaired *out, st_error *err)
{
    st_manifest_repaired r = {0};
    char *dir = st_manifest_dirname(path);
    st_manifest_cutting c = {dir, held, ctx, 0, 0};
    int kept = 0, rc;
    if (!dir)
        return st_error_set(err, ST_ERR_NOMEM, "manifest: out of memory");
    rc = st_logfile_cut(path, 2, st_manifest_keep, &c, &kept, &r.cut, err);
    if (rc)
        goto out;
    if (c.closed) {
        r.was_closed = 1;
        goto out;
    }
    if (kept <= 2) {
        /* Nothing listed: remove it, if it is plainly one of ours. */
        char head[sizeof ST_MANIFEST_MAGIC + sizeof ST_MANIFEST_COLUMNS + 8];
        FILE *fp = fopen(path, "r");
        size_t n = fp ? fread(head, 1, sizeof head - 1, fp) : 0;
        if (fp)
            fclose(fp);
        head[n] = '\0';
        char want[sizeof head];
        snprintf(want, sizeof want, "%s\n%s\n", ST_MANIFEST_MAGIC, ST_MANIFEST_COLUMNS);
        if (strncmp(want, head, strlen(head)) == 0 && strlen(head) == n) {
            if (unlink(path) != 0)
                rc = st_error_set(err, ST_ERR_IO, "%s: cannot remove: %s", path,
                                  strerror(errno));
            else
                st_logfile_sync_dir(path);
            r.removed = !rc;
        }
        goto out;
    }
    st_logfile lf;
    if ((rc = st_logfile_open(&lf, path, "a", "manifest", err)))
        goto out;
    if (r.cut)
        fprintf(lf.f, "%s when the next scan started: %d line%s cut, the store never "
                "committed %s\n", ST_MANIFEST_CLOSED, r.cut, r.cut == 1 ? "" : "s",
                r.cut == 1 ? "its file" : "their files");
    else
        fprintf(lf.f, "%s when the next scan started\n", ST_MANIFEST_CLOSED);
    rc = st_logfile_close(&lf, err);
out:
    free(dir);
    if (!rc && out)
        *out = r;
    return rc;
}
