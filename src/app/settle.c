/* settle.c - what a scan cut short left in its output folder, settled
 *
 * A stop (a second Ctrl-C, kill -9, a power cut) may leave manifest lines
 * and ballots.jsonl records written ahead of a commit the store never
 * made. Before the next scan counts anything, every manifest of OUT is
 * cut back to what the store holds and closed, and every run without a
 * tally has its ballots.jsonl cut back the same way and a cut-short.txt
 * saying so. Every file still listed goes into the caller's set, so that
 * no file is listed twice.
 */
#include "app/settle.h"
#include "stemtel/manifest.h"
#include "util/atomic.h"
#include "util/logfile.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct settle_job {
    const char *out_dir;
    st_store *store;
    st_seen *listed;
    st_settle_say_fn say_fn;
    void *say_ctx;
} settle_job;

static void say(const settle_job *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const settle_job *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->say_fn)
        c->say_fn(c->say_ctx, msg);
}

/* Does the store hold a page of this file? (st_manifest_repair's hook) */
static int held(void *ctx, const char *path, const char *sha256, st_error *err)
{
    return st_store_holds(ctx, path, sha256, -1, err);
}

/* The names in folder dir that start with prefix and end with suffix,
 * sorted; *n of them (malloc'd, free with free_names). */
static int names_in(const char *dir, const char *prefix, const char *suffix, char ***out,
                    int *n, st_error *err)
{
    struct dirent **d = NULL;
    int k = scandir(dir, &d, NULL, alphasort), cnt = 0;
    if (k < 0)
        return st_error_set(err, ST_ERR_IO, "scan: %s: %s", dir, strerror(errno));
    char **v = calloc((size_t)k + 1, sizeof *v);
    for (int i = 0; i < k; i++) {
        const char *name = d[i]->d_name;
        size_t len = strlen(name), pl = strlen(prefix), sl = strlen(suffix);
        if (v && len > pl + sl && !strncmp(name, prefix, pl) && !strcmp(name + len - sl, suffix)) {
            size_t need = strlen(dir) + len + 2;
            if ((v[cnt] = malloc(need)))
                snprintf(v[cnt++], need, "%s/%s", dir, name);
        }
        free(d[i]);
    }
    free(d);
    if (!v)
        return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
    *out = v;
    *n = cnt;
    return ST_OK;
}

static void free_names(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Every manifest of OUT: those a stop left open are cut back to what the
 * store holds and closed; then every file listed goes into c->listed. A
 * manifest that is not one is an error naming its line: the archive
 * must be whole before more is added to it. */
static int settle_manifests(const settle_job *c, st_error *err)
{
    char **v = NULL;
    int n = 0, rc = names_in(c->out_dir, "manifest-", ".tsv", &v, &n, err);
    for (int i = 0; !rc && i < n; i++) {
        st_manifest_repaired r;
        st_manifest *m = NULL;
        if ((rc = st_manifest_repair(v[i], held, c->store, &r, err)))
            break;
        if (r.removed)
            say(c, "%s: left open by a scan that was cut short, and none of its files "
                "committed: removed (they are counted now)", v[i]);
        else if (!r.was_closed)
            say(c, "%s: left open by a scan that was cut short: closed%s", v[i],
                r.cut ? ", its last files cut (never committed: they are counted now)" : "");
        if (r.removed)
            continue;
        if ((rc = st_manifest_parse(v[i], &m, err))) {
            st_error_prefix(err, "scan: the archive in %s", c->out_dir);
            break;
        }
        for (int k = 0; k < m->n && !rc; k++)
            if (st_seen_add(c->listed, m->entries[k].sha256) < 0)
                rc = st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        st_manifest_free(m);
    }
    free_names(v, n);
    return rc;
}

typedef struct cut_ctx {
    const settle_job *c;
    const char *path;
} cut_ctx;

/* Keep a ballots.jsonl record, and those before it, once the store holds
 * its page. */
static int keep_record(void *ctx, char *line, st_error *err)
{
    cut_ctx *k = ctx;
    json_object *rec = json_tokener_parse(line), *file, *page, *sha;
    int rc;
    if (!rec || !json_object_object_get_ex(rec, "file", &file) ||
        !json_object_object_get_ex(rec, "page", &page) ||
        !json_object_object_get_ex(rec, "sha256", &sha))
        rc = st_error_set(err, ST_ERR_PARSE, "scan: %s: a line at its end is not a page's "
                          "record: \"%.60s\"", k->path, line);
    else {
        const char *f = json_object_get_string(file), *h = json_object_get_string(sha);
        rc = st_store_holds(k->c->store, f ? f : "", h ? h : "", json_object_get_int(page),
                            err);
    }
    json_object_put(rec);
    return rc;
}

/* A run of OUT cut short (no tally, no cut-short.txt yet): its
 * ballots.jsonl cut back to the records of pages the store holds, a torn
 * last line of sheets.jsonl cut, and cut-short.txt saying so. */
static int settle_run(const settle_job *c, const char *run, st_error *err)
{
    char path[4400], text[1024];
    struct stat st;
    int kept, cut_b = 0, cut_s = 0, rc;
    snprintf(path, sizeof path, "%s/tally.json", run);
    if (stat(path, &st) == 0)
        return ST_OK;
    snprintf(path, sizeof path, "%s/cut-short.txt", run);
    if (stat(path, &st) == 0)
        return ST_OK;
    snprintf(path, sizeof path, "%s/ballots.jsonl", run);
    cut_ctx k = {c, path};
    if (stat(path, &st) == 0 &&
        (rc = st_logfile_cut(path, 0, keep_record, &k, &kept, &cut_b, err)))
        return rc;
    snprintf(path, sizeof path, "%s/sheets.jsonl", run);
    if (stat(path, &st) == 0 && (rc = st_logfile_cut(path, 0, NULL, NULL, &kept, &cut_s, err)))
        return rc;
    snprintf(text, sizeof text,
             "This run was cut short (killed, or the power failed) and has no tally of its\n"
             "own; the next scan settled what it left. ballots.jsonl holds the record of\n"
             "every page this run committed to the store (%d record%s at its end cut, of\n"
             "pages never committed: the next run counted them). sheets.jsonl holds the\n"
             "sheets it read, perhaps a few the next run read again. The store's tally,\n"
             "every run, is ../tally.csv.\n",
             cut_b, cut_b == 1 ? "" : "s");
    snprintf(path, sizeof path, "%s/cut-short.txt", run);
    if ((rc = st_atomic_write(path, text, strlen(text), "scan", err)))
        return rc;
    if (cut_b)
        say(c, "%s: cut short by a stop: the last %d record%s of its ballots.jsonl cut "
            "(never committed: they are counted now); see cut-short.txt", run, cut_b,
            cut_b == 1 ? "" : "s");
    else
        say(c, "%s: cut short by a stop: settled, see cut-short.txt", run);
    return ST_OK;
}

int st_scan_settle(const char *out_dir, st_store *store, st_seen *listed,
                   st_settle_say_fn say_fn, void *say_ctx, st_error *err)
{
    settle_job job = {out_dir, store, listed, say_fn, say_ctx}, *c = &job;
    char **v = NULL;
    int n = 0, rc = settle_manifests(c, err);
    if (!rc)
        rc = names_in(c->out_dir, "run-", "", &v, &n, err);
    for (int i = 0; !rc && i < n; i++) {
        struct stat st;
        if (stat(v[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = settle_run(c, v[i], err);
    }
    free_names(v, n);
    return rc;
}
