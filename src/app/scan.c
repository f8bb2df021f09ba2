/* scan.c - run scanners, hot folders and archived batches into the counter
 *
 * One feed (batch.h) serves every source: replayed manifests first, then
 * one hot-folder watcher over the folders given and the folders the SANE
 * scanners write into. Each scanner runs in a child process of its own
 * (scan_sane.h) that saves every page into its folder, where the watcher
 * finds it; the feed ends once every scanner said its feeder is empty and
 * the hot folders are done (stopped or idle).
 *
 * The store's hooks are wrapped: pages go to the store, and every page is
 * also added to its station's line of the report; files finished go into
 * the manifest of their source's current batch.
 */
#include "stemtel/scan.h"
#include "app/scan_sane.h"
#include "sources/filebytes.h"
#include "stemtel/folder.h"
#include "stemtel/manifest.h"
#include "stemtel/store.h"
#include "util/clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The manifest of one source's current batch. */
typedef struct mout {
    st_manifest_writer *w;
    char path[4200];
    /* A file of separator sheets only, waiting for the first ballot of
     * its batch: a batch without ballots gets no manifest. */
    char *sheet_path, *sheet_station;
    char sheet_sha[ST_SHA256_HEX_LEN];
    int sheet_batch;
} mout;

typedef struct scan_ctx {
    const st_scan_opts *o;
    st_scan_report *rep;
    st_store *store;
    st_manifest **replays;
    int *replay_source;
    int n_replays, ri, rj;
    st_folder *watch;
    int *watch_source;      /* watcher folder index -> source index */
    char **watch_dirs;
    int n_watch, n_folders;
    st_scan_sane *scanners;
    int n_scanners;
    mout *mouts;            /* per source */
    double last_item;
    int stopping, draining;
    int settle_ms;
} scan_ctx;

int st_scan_source_parse(const char *spec, st_scan_source *out, st_error *err)
{
    static const struct {
        const char *prefix;
        st_scan_kind kind;
    } kinds[] = {{"folder:", ST_SCAN_FOLDER}, {"sane:", ST_SCAN_SANE},
                 {"replay:", ST_SCAN_REPLAY}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(spec, kinds[i].prefix, n) == 0) {
            if (!spec[n])
                return st_error_set(err, ST_ERR_ARG, "scan: source \"%s\" names nothing "
                                    "after the colon", spec);
            out->kind = kinds[i].kind;
            out->arg = spec + n;
            return ST_OK;
        }
    }
    return st_error_set(err, ST_ERR_ARG, "scan: source \"%s\": expected folder:DIR, "
                        "sane:DEVICE or replay:MANIFEST", spec);
}

static const char *kind_name(st_scan_kind k)
{
    return k == ST_SCAN_FOLDER ? "folder" : k == ST_SCAN_SANE ? "sane" : "replay";
}

static void warn(scan_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(scan_ctx *c, const char *fmt, ...)
{
    va_list ap;
    c->rep->warnings++;
    if (!c->o->log)
        return;
    if (c->o->progress)
        fputc('\n', c->o->progress); /* off the progress line */
    fputs("stemtel: scan: ", c->o->log);
    va_start(ap, fmt);
    vfprintf(c->o->log, fmt, ap);
    va_end(ap);
    fputc('\n', c->o->log);
    fflush(c->o->log);
}

/* ---- the scanners -------------------------------------------------------- */

static void scanner_failed(void *ctx, const st_scan_sane *sc, const char *why)
{
    scan_ctx *c = ctx;
    c->rep->scanner_failures++;
    if (why)
        warn(c, "scanner %s (source %d): %s; the pages it saved before are counted",
             sc->device, sc->source + 1, why);
    else
        warn(c, "scanner %s (source %d): its process ended without saying why; the "
             "pages it saved before are counted", sc->device, sc->source + 1);
}

/* ---- the feed ------------------------------------------------------------ */

/* The next file of the replayed manifests: 1, 0 when none is left, or an
 * error when a file changed after it was checked. */
static int feed_replay(scan_ctx *c, st_batch_input *out, st_error *err)
{
    while (c->ri < c->n_replays) {
        const st_manifest *m = c->replays[c->ri];
        if (c->rj >= m->n) {
            c->ri++;
            c->rj = 0;
            continue;
        }
        const st_manifest_entry *e = &m->entries[c->rj++];
        char sha[ST_SHA256_HEX_LEN];
        uint8_t *bytes = NULL;
        size_t len = 0;
        int rc = st_file_bytes(e->path, &bytes, &len, sha, NULL, err);
        if (rc)
            return st_error_set(err, rc, "replay: %s: order %d: %s", m->path, e->order,
                                err->msg);
        if (strcmp(sha, e->sha256) != 0) {
            free(bytes);
            return st_error_set(err, ST_ERR_INVALID,
                                "replay: %s: order %d: %s changed after it was checked "
                                "(SHA-256 %s, the manifest says %s)", m->path, e->order,
                                e->path, sha, e->sha256);
        }
        memset(out, 0, sizeof *out);
        out->path = strdup(e->path);
        out->station = e->station ? strdup(e->station) : NULL;
        if (!out->path || (e->station && !out->station)) {
            free(bytes);
            st_batch_input_clear(out);
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        }
        out->bytes = bytes;
        out->len = len;
        memcpy(out->sha256, sha, sizeof out->sha256);
        out->source = c->replay_source[c->ri];
        out->batch = e->batch;
        return 1;
    }
    return 0;
}

static int scanners_finished(scan_ctx *c)
{
    for (int i = 0; i < c->n_scanners; i++)
        if (!st_scan_sane_poll(&c->scanners[i], scanner_failed, c))
            return 0;
    return 1;
}

static int feed(void *ctx, int wait_ms, st_batch_input *out, st_error *err)
{
    scan_ctx *c = ctx;
    const st_scan_opts *o = c->o;
    int stop = o->stop && *o->stop;
    if (stop && !c->stopping) {
        c->stopping = 1;
        c->rep->stopped = 1;
        st_scan_sane_stop(c->scanners, c->n_scanners);
    }
    if (!c->stopping) {
        int r = feed_replay(c, out, err);
        if (r)
            return r;
    }
    if (!c->watch)
        return ST_BATCH_END;
    if (!c->draining) {
        int idle = o->idle_s > 0 && st_clock_now() - c->last_item >= o->idle_s;
        /* Hot folders never end; scanners end with their feeder. */
        if (scanners_finished(c) && (c->n_folders == 0 || c->stopping || idle)) {
            c->draining = 1;
            if (idle && !c->stopping)
                c->rep->idle = 1;
        }
    }
    if (c->draining)
        wait_ms = c->settle_ms + 300; /* what is settling now, and no more */
    st_folder_file ff = {0};
    int r = st_folder_next(c->watch, wait_ms, &ff, err);
    if (r == 1) {
        memset(out, 0, sizeof *out);
        out->path = ff.path;
        out->bytes = ff.bytes;
        out->len = ff.len;
        memcpy(out->sha256, ff.sha256, sizeof out->sha256);
        out->source = c->watch_source[ff.folder];
        c->last_item = st_clock_now();
        return 1;
    }
    if (r == 0)
        return c->draining ? ST_BATCH_END : 0;
    if (r == ST_ERR_NOMEM)
        return r;
    /* A file that cannot be read is passed over (it is taken when it
     * changes again); a folder that is gone ends the scan. */
    for (int i = 0; i < c->n_watch; i++) {
        struct stat st;
        if (stat(c->watch_dirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            return st_error_set(err, ST_ERR_IO, "scan: watched folder %s is gone (%s)",
                                c->watch_dirs[i], err->msg);
    }
    warn(c, "%s", err->msg);
    return 0;
}

/* ---- the hooks ------------------------------------------------------------ */

static st_scan_station *station_line(st_scan_report *r, const char *station)
{
    for (int i = 0; i < r->n_stations; i++) {
        const char *s = r->stations[i].station;
        if ((!s && !station) || (s && station && strcmp(s, station) == 0))
            return &r->stations[i];
    }
    st_scan_station *v = realloc(r->stations, (size_t)(r->n_stations + 1) * sizeof *v);
    if (!v)
        return NULL;
    r->stations = v;
    st_scan_station *l = &v[r->n_stations];
    memset(l, 0, sizeof *l);
    if (station && !(l->station = strdup(station)))
        return NULL;
    r->n_stations++;
    return l;
}

static int commit(void *ctx, const st_batch_page *pages, int n, int *skipped,
                  st_error *err)
{
    scan_ctx *c = ctx;
    int rc = st_store_commit(c->store, pages, n, skipped, err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        st_scan_station *l = station_line(c->rep, pages[i].station);
        if (!l)
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        l->pages++;
        switch (pages[i].outcome->kind) {
        case ST_OUTCOME_VOTE: l->votes++; break;
        case ST_OUTCOME_BLANK: l->blank++; break;
        case ST_OUTCOME_INVALID: l->invalid++; break;
        case ST_OUTCOME_REVIEW: l->review++; break;
        case ST_OUTCOME_REJECTED: l->rejected++; break;
        case ST_OUTCOME_VOID: break; /* only a decision gives it */
        }
    }
    return ST_OK;
}

static int seen(void *ctx, const char *file, const char *sha256, int page)
{
    scan_ctx *c = ctx;
    return st_store_seen(c->store, file, sha256, page);
}

/* Put a source's finished manifest in place and list it. */
static void manifest_close(scan_ctx *c, mout *mo)
{
    st_error e = {0};
    if (!mo->w)
        return;
    if (st_manifest_writer_close(mo->w, &e)) {
        warn(c, "%s", e.msg);
    } else {
        char **v = realloc(c->rep->manifests, (size_t)(c->rep->n_manifests + 1) * sizeof *v);
        if (v) {
            c->rep->manifests = v;
            if ((v[c->rep->n_manifests] = strdup(mo->path)))
                c->rep->n_manifests++;
        }
    }
    mo->w = NULL;
}

static void sheet_forget(mout *mo)
{
    free(mo->sheet_path);
    free(mo->sheet_station);
    mo->sheet_path = mo->sheet_station = NULL;
}

static int file_done(void *ctx, const st_batch_file *f, st_error *err)
{
    scan_ctx *c = ctx;
    mout *mo = &c->mouts[f->source];
    st_error e = {0};
    if (f->starts_with_sheet) {
        manifest_close(c, mo);
        sheet_forget(mo);
    }
    if (f->starts_with_sheet && f->sheets == f->read) {
        mo->sheet_path = strdup(f->path);
        mo->sheet_station = f->station ? strdup(f->station) : NULL;
        memcpy(mo->sheet_sha, f->sha256, sizeof mo->sheet_sha);
        mo->sheet_batch = f->batch;
        if (!mo->sheet_path || (f->station && !mo->sheet_station))
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        return ST_OK;
    }
    if (!mo->w) {
        /* The next free number, so earlier runs' manifests stay. */
        const st_scan_source *s = &c->o->sources[f->source];
        for (int k = 1;; k++) {
            struct stat st;
            snprintf(mo->path, sizeof mo->path, "%s/manifest-%s%d-%03d.tsv", c->o->out_dir,
                     kind_name(s->kind), f->source + 1, k);
            if (stat(mo->path, &st) != 0)
                break;
        }
        if (st_manifest_writer_open(mo->path, &mo->w, &e)) {
            warn(c, "%s", e.msg);
            return ST_OK; /* the count goes on; only the manifest is missing */
        }
        if (mo->sheet_path &&
            st_manifest_writer_add(mo->w, mo->sheet_path, mo->sheet_sha, mo->sheet_station,
                                   mo->sheet_batch, &e))
            warn(c, "%s", e.msg);
        sheet_forget(mo);
    }
    if (st_manifest_writer_add(mo->w, f->path, f->sha256, f->station, f->batch, &e))
        warn(c, "%s", e.msg);
    return ST_OK;
}

/* ---- the run ------------------------------------------------------------- */

/* OUT/tally.csv and tally.json from the store: every run so far. */
static void whole_tally(scan_ctx *c)
{
    st_error e = {0};
    st_tally *t = NULL;
    char path[4200];
    int rc = st_store_tally(c->store, NULL, &t, &e);
    if (!rc) {
        snprintf(path, sizeof path, "%s/tally.csv", c->o->out_dir);
        rc = st_tally_write_csv(t, path, &e);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/tally.json", c->o->out_dir);
        rc = st_tally_write_json(t, path, &e);
    }
    if (rc)
        warn(c, "the whole tally: %s", e.msg);
    st_tally_free(t);
}

/* OUT/scans/N-DEVICE, the device name made safe for a file name. */
static void scan_dir(const char *out, int source, const char *device, char *buf, size_t cap)
{
    char safe[128];
    size_t i;
    for (i = 0; device[i] && i < sizeof safe - 1; i++) {
        unsigned char ch = (unsigned char)device[i];
        safe[i] = isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ? (char)ch : '_';
    }
    safe[i] = '\0';
    snprintf(buf, cap, "%s/scans/%d-%s", out, source + 1, safe);
}

static int make_dir(const char *path, st_error *err)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char keep = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return st_error_set(err, ST_ERR_IO, "scan: %s: cannot create: %s", buf,
                                strerror(errno));
        if (!(*p = keep))
            break;
    }
    return ST_OK;
}

void st_scan_report_free(st_scan_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_stations; i++)
        free(r->stations[i].station);
    for (int i = 0; i < r->n_manifests; i++)
        free(r->manifests[i]);
    free(r->stations);
    free(r->manifests);
    memset(r, 0, sizeof *r);
}

int st_scan_run(const st_scan_opts *o, st_scan_report *rep, st_error *err)
{
    scan_ctx c = {0};
    char store_path[4200], inputs[4096] = "";
    int rc = ST_OK, n = o->n_sources;
    memset(rep, 0, sizeof *rep);
    c.o = o;
    c.rep = rep;
    c.settle_ms = o->settle_ms > 0 ? o->settle_ms : ST_FOLDER_SETTLE_MS;
    if (n < 1)
        return st_error_set(err, ST_ERR_ARG, "scan: no source given");
    c.replays = calloc((size_t)n, sizeof *c.replays);
    c.replay_source = calloc((size_t)n, sizeof *c.replay_source);
    c.watch_source = calloc((size_t)n, sizeof *c.watch_source);
    c.watch_dirs = calloc((size_t)n, sizeof *c.watch_dirs);
    c.scanners = calloc((size_t)n, sizeof *c.scanners);
    c.mouts = calloc((size_t)n, sizeof *c.mouts);
    if (!c.replays || !c.replay_source || !c.watch_source || !c.watch_dirs || !c.scanners ||
        !c.mouts) {
        rc = st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        goto out;
    }
    if ((rc = make_dir(o->out_dir, err)))
        goto out;

    /* Everything that can be refused is refused before anything is
     * counted: every replayed file is checked against its hash here. */
    for (int i = 0; i < n; i++) {
        const st_scan_source *s = &o->sources[i];
        snprintf(inputs + strlen(inputs), sizeof inputs - strlen(inputs), "%s%s:%s",
                 i ? " " : "", kind_name(s->kind), s->arg);
        if (s->kind == ST_SCAN_REPLAY) {
            if ((rc = st_manifest_read(s->arg, &c.replays[c.n_replays], err)))
                goto out;
            c.replay_source[c.n_replays++] = i;
        } else if (s->kind == ST_SCAN_FOLDER) {
            struct stat st;
            if (stat(s->arg, &st) != 0) {
                rc = st_error_set(err, ST_ERR_IO, "scan: folder:%s: %s", s->arg,
                                  strerror(errno));
                goto out;
            }
            if (!S_ISDIR(st.st_mode)) {
                rc = st_error_set(err, ST_ERR_IO, "scan: folder:%s: not a folder", s->arg);
                goto out;
            }
            c.watch_source[c.n_watch] = i;
            if (!(c.watch_dirs[c.n_watch++] = strdup(s->arg)))
                goto nomem;
            c.n_folders++;
        } else {
            char dir[4200];
            scan_dir(o->out_dir, i, s->arg, dir, sizeof dir);
            if ((rc = make_dir(dir, err)))
                goto out;
            c.watch_source[c.n_watch] = i;
            if (!(c.watch_dirs[c.n_watch++] = strdup(dir)))
                goto nomem;
        }
    }
    if (c.n_watch) {
        st_folder_opts fo = {.settle_ms = c.settle_ms};
        if ((rc = st_folder_open((const char *const *)c.watch_dirs, c.n_watch, &fo, &c.watch,
                                 err)))
            goto out;
    }
    /* Scanners start after the watcher (their pages are seen as they
     * come) and before the store and the worker threads exist. */
    for (int w = 0; w < c.n_watch; w++) {
        const st_scan_source *s = &o->sources[c.watch_source[w]];
        if (s->kind != ST_SCAN_SANE)
            continue;
        if ((rc = st_scan_sane_start(&c.scanners[c.n_scanners], s->arg, c.watch_source[w],
                                     &o->sane, c.watch_dirs[w], err)))
            goto out;
        c.n_scanners++;
    }
    /* Each run's own outputs go to a folder of their own, so a restart
     * never overwrites what an earlier run wrote. */
    for (int k = 1;; k++) {
        snprintf(rep->run_dir, sizeof rep->run_dir, "%s/run-%03d", o->out_dir, k);
        if (mkdir(rep->run_dir, 0777) == 0)
            break;
        if (errno != EEXIST) {
            rc = st_error_set(err, ST_ERR_IO, "scan: %s: cannot create: %s", rep->run_dir,
                              strerror(errno));
            goto out;
        }
    }
    if (o->store_path)
        snprintf(store_path, sizeof store_path, "%s", o->store_path);
    else
        snprintf(store_path, sizeof store_path, "%s/stemtel.db", o->out_dir);
    if ((rc = st_store_open(store_path, o->model, &c.store, err)) ||
        (rc = st_store_begin_batch(c.store, o->station, inputs, err)))
        goto out;

    st_batch_opts bo = {0};
    bo.model = o->model;
    bo.out_dir = rep->run_dir;
    bo.station = o->station;
    bo.threads = o->threads;
    bo.progress = o->progress;
    bo.progress_label = "scan";
    bo.commit = commit;
    bo.seen = seen;
    bo.commit_ctx = &c;
    bo.file_done = file_done;
    bo.file_ctx = &c;
    c.last_item = st_clock_now();
    rc = st_batch_run(&bo, feed, &c, 0, &rep->batch, NULL, err);
    /* The store's tally: every run so far, decisions applied. */
    whole_tally(&c);
    if (rc == ST_OK && rep->scanner_failures)
        rc = st_error_set(err, ST_ERR_IO, "scan: %d scanner%s failed (see above); every "
                          "page saved before is counted", rep->scanner_failures,
                          rep->scanner_failures == 1 ? "" : "s");
    goto out;
nomem:
    rc = st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
out:
    if (c.scanners)
        st_scan_sane_reap(c.scanners, c.n_scanners, scanner_failed, &c);
    for (int i = 0; c.mouts && i < n; i++) {
        manifest_close(&c, &c.mouts[i]);
        sheet_forget(&c.mouts[i]);
    }
    st_folder_close(c.watch);
    st_store_close(c.store);
    for (int i = 0; i < c.n_replays; i++)
        st_manifest_free(c.replays[i]);
    for (int i = 0; c.watch_dirs && i < c.n_watch; i++)
        free(c.watch_dirs[i]);
    free(c.replays);
    free(c.replay_source);
    free(c.watch_source);
    free(c.watch_dirs);
    free(c.scanners);
    free(c.mouts);
    return rc;
}
