/* scan.c - run scanners, hot folders and archived batches into the counter
 *
 * One feed (batch.h) serves every source: replayed manifests first, then
 * one hot-folder watcher over the folders given and the folders the SANE
 * scanners write into. Each scanner runs in a child process of its own
 * (scan_sane.h) that saves every page into its folder, where the watcher
 * finds it; the feed ends once every scanner said its feeder is empty and
 * the hot folders are done (idle), or at a stop: the runner tells of the
 * stop flag at once, the hot folders are held (nothing more is taken from
 * them), and only what the scanners are still saving is waited for.
 *
 * The archive is written ahead of the store. The runner tells the file
 * hook of each file before the window holding its first stored page is
 * committed; the hook appends the file's line to the manifest of its
 * source's batch (a separator sheet's file waits to become the first line
 * of the next batch that has a stored page). The commit hook syncs those
 * lines, commits the window to the store, and only then closes the
 * manifests whose batch ended. ballots.jsonl is appended and synced the
 * same way by the runner (durable). So whenever the process dies, every
 * page the store holds is listed; what may be listed, or recorded, too
 * early is the end of the window in flight, in a manifest without its
 * closing line or a run without its tally. The next start settles that
 * before it counts: it cuts back the lines the store does not hold, and
 * reads every manifest of OUT so that no file is listed twice (a
 * multi-page file cut in two by a kill keeps its one line).
 */
#include "stemtel/scan.h"
#include "app/scan_sane.h"
#include "app/settle.h"
#include "sources/filebytes.h"
#include "stemtel/folder.h"
#include "stemtel/manifest.h"
#include "stemtel/store.h"
#include "util/clock.h"
#include "util/seen.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One batch's manifest while it is written. */
typedef struct mbatch {
    st_manifest_writer *w;
    char path[4200];
    int source;
    char *station;          /* of its first line, NULL: unassigned */
    int batch;
    int dirty;              /* lines added since the last sync */
} mbatch;

/* The manifest of one source's current batch. */
typedef struct mout {
    mbatch cur;
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
    char **names;           /* per source: "folder1", "sane2", ... */
    mout *mouts;            /* per source */
    mbatch *ended;          /* batches ended, closed after the next commit */
    int n_ended;
    st_seen *listed;        /* SHA-256 of every file in OUT's manifests */
    int unsure;             /* a commit failed: lines may be unheld */
    int lock_fd;            /* OUT/.scan.lock, held while the scan runs */
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

/* A line to the log, off the progress line; a warning is counted. */
static void say(scan_ctx *c, int warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(scan_ctx *c, int warning, const char *fmt, ...)
{
    va_list ap;
    c->rep->warnings += warning;
    if (!c->o->log)
        return;
    if (c->o->progress)
        fputc('\n', c->o->progress);
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
        say(c, 1, "scanner %s (source %d): %s; the pages it saved before are counted",
             sc->device, sc->source + 1, why);
    else
        say(c, 1, "scanner %s (source %d): its process ended without saying why; the "
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

/* The stop flag, as the runner tells of it: no more files from hot
 * folders and replays; scanners finish their page, which is still taken. */
static void stopping(void *ctx, int in_flight)
{
    scan_ctx *c = ctx;
    c->stopping = 1;
    c->rep->stopped = 1;
    st_scan_sane_stop(c->scanners, c->n_scanners);
    for (int w = 0; w < c->n_watch; w++)
        if (c->o->sources[c->watch_source[w]].kind == ST_SCAN_FOLDER)
            st_folder_hold(c->watch, w);
    say(c, 0, "stopping: finishing %d page%s%s; Ctrl-C again to quit now", in_flight,
        in_flight == 1 ? "" : "s",
        c->n_scanners ? " and the sheets the scanners are on" : "");
}

static int feed(void *ctx, int wait_ms, st_batch_input *out, st_error *err)
{
    scan_ctx *c = ctx;
    const st_scan_opts *o = c->o;
    if (!c->stopping) {
        int r = feed_replay(c, out, err);
        if (r)
            return r;
    }
    /* Stopped, the hot folders are held: only scanners' pages may come. */
    if (!c->watch || (c->stopping && c->n_scanners == 0))
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
    say(c, 1, "%s", err->msg);
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

/* One more page of a station's line. */
static void count_outcome(st_scan_station *l, st_outcome_kind kind)
{
    l->pages++;
    switch (kind) {
    case ST_OUTCOME_VOTE: l->votes++; break;
    case ST_OUTCOME_BLANK: l->blank++; break;
    case ST_OUTCOME_INVALID: l->invalid++; break;
    case ST_OUTCOME_REVIEW: l->review++; break;
    case ST_OUTCOME_REJECTED: l->rejected++; break;
    case ST_OUTCOME_VOID: break; /* only a decision gives it */
    }
}

/* A station's line from a tally's totals (decisions applied). */
static void station_figures(st_scan_station *l, const st_tally_totals *t)
{
    l->votes = t->E;
    l->blank = t->F;
    l->invalid = t->G;
    l->review = t->review;
    l->rejected = t->rejected;
    l->pages = t->H + t->review + t->rejected;
}

/* What the store holds of station (every run, decisions applied). */
static int store_station(scan_ctx *c, const char *station, st_scan_station *l, st_error *err)
{
    st_tally *t = NULL;
    st_tally_totals tt;
    int rc = st_store_tally(c->store, station, &t, err);
    if (rc)
        return rc;
    st_tally_get_totals(t, &tt);
    st_tally_free(t);
    station_figures(l, &tt);
    return ST_OK;
}

static void list_manifest(scan_ctx *c, const char *path)
{
    char **v = realloc(c->rep->manifests, (size_t)(c->rep->n_manifests + 1) * sizeof *v);
    if (!v)
        return;
    c->rep->manifests = v;
    if ((v[c->rep->n_manifests] = strdup(path)))
        c->rep->n_manifests++;
}

static int held(void *ctx, const char *path, const char *sha256, st_error *err)
{
    scan_ctx *c = ctx;
    return st_store_holds(c->store, path, sha256, -1, err);
}

/* Close a batch's manifest and list it; after a failed commit its last
 * lines may not be held, so it is cut back to what the store holds. */
static void batch_close(scan_ctx *c, mbatch *b)
{
    st_error e = {0};
    int rc = ST_OK;
    st_manifest_repaired r = {0};
    if (b->w && c->unsure) {
        st_manifest_writer_abort(b->w);
        rc = st_manifest_repair(b->path, held, c, &r, &e);
    } else if (b->w) {
        rc = st_manifest_writer_close(b->w, &e);
    }
    if (rc)
        say(c, 1, "%s", e.msg);
    else if (b->w && !r.removed)
        list_manifest(c, b->path);
    b->w = NULL;
    free(b->station);
    b->station = NULL;
}

/* A source's batch has ended (a sheet starts the next): its manifest is
 * closed once the pages listed in it are committed. */
static int batch_end(scan_ctx *c, mout *mo)
{
    if (!mo->cur.w)
        return ST_OK;
    mbatch *v = realloc(c->ended, (size_t)(c->n_ended + 1) * sizeof *v);
    if (!v)
        return ST_ERR_NOMEM;
    c->ended = v;
    v[c->n_ended++] = mo->cur;
    memset(&mo->cur, 0, sizeof mo->cur);
    return ST_OK;
}

/* After a commit: close the batches that ended, with what their station
 * has in the store now, for the people at the scanners. */
static void batches_ended(scan_ctx *c)
{
    for (int i = 0; i < c->n_ended; i++) {
        mbatch *b = &c->ended[i];
        st_scan_station l = {0};
        st_error e = {0};
        int files = st_manifest_writer_count(b->w);
        char what[128] = "";
        if (b->batch)
            snprintf(what, sizeof what, " batch %d", b->batch);
        if (!b->station)
            say(c, 0, "%s: batch of unassigned pages done: %d file%s in %s", c->names[b->source],
                files, files == 1 ? "" : "s", b->path);
        else if (store_station(c, b->station, &l, &e))
            say(c, 1, "%s", e.msg);
        else
            say(c, 0, "%s: %s%s done: %d file%s in %s; %s in the store: %lld page%s: %lld "
                "votes, %lld blank, %lld invalid, %lld to review, %lld rejected",
                c->names[b->source], b->station, what, files, files == 1 ? "" : "s",
                b->path, b->station, l.pages, l.pages == 1 ? "" : "s", l.votes, l.blank,
                l.invalid, l.review, l.rejected);
        batch_close(c, b);
    }
    c->n_ended = 0;
}

/* Make every manifest line written for this window last, before the
 * store holds its pages. */
static int sync_batch(mbatch *b, st_error *err)
{
    if (!b->w || !b->dirty)
        return ST_OK;
    b->dirty = 0;
    return st_manifest_writer_sync(b->w, err);
}

static int commit(void *ctx, const st_batch_page *pages, int n, int *skipped,
                  st_error *err)
{
    scan_ctx *c = ctx;
    int rc = ST_OK;
    for (int i = 0; !rc && i < c->n_ended; i++)
        rc = sync_batch(&c->ended[i], err);
    for (int i = 0; !rc && i < c->o->n_sources; i++)
        rc = sync_batch(&c->mouts[i].cur, err);
    if (!rc)
        rc = st_store_commit(c->store, pages, n, skipped, err);
    if (rc) {
        c->unsure = 1;
        return rc;
    }
    for (int i = 0; i < n; i++) {
        st_scan_station *l = station_line(c->rep, pages[i].station);
        if (!l)
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        count_outcome(l, pages[i].outcome->kind);
    }
    batches_ended(c);
    return ST_OK;
}

static int seen(void *ctx, const char *file, const char *sha256, int page)
{
    scan_ctx *c = ctx;
    return st_store_seen(c->store, file, sha256, page);
}

static void sheet_forget(mout *mo)
{
    free(mo->sheet_path);
    free(mo->sheet_station);
    mo->sheet_path = mo->sheet_station = NULL;
}

/* Put file into its source's manifest, opening the batch's manifest (and
 * listing its waiting sheet first) when it is the batch's first. */
static int list_file(scan_ctx *c, mout *mo, int source, const char *path, const char *sha,
                     const char *station, int batch, st_error *err)
{
    st_error e = {0};
    mbatch *b = &mo->cur;
    if (!b->w) {
        /* The next free number, so earlier runs' manifests stay. */
        for (int k = 1;; k++) {
            struct stat st;
            snprintf(b->path, sizeof b->path, "%s/manifest-%s-%03d.tsv", c->o->out_dir,
                     c->names[source], k);
            if (stat(b->path, &st) != 0)
                break;
        }
        int rc = st_manifest_writer_open(b->path, &b->w, err);
        if (rc)
            return rc;
        b->source = source;
        const char *first = mo->sheet_path ? mo->sheet_station : station;
        b->batch = mo->sheet_path ? mo->sheet_batch : batch;
        if (first && !(b->station = strdup(first)))
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        if (mo->sheet_path &&
            st_manifest_writer_add(b->w, mo->sheet_path, mo->sheet_sha, mo->sheet_station,
                                   mo->sheet_batch, &e) == ST_OK &&
            st_seen_add(c->listed, mo->sheet_sha) < 0)
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        if (e.msg[0])
            say(c, 1, "%s", e.msg);
        sheet_forget(mo);
    }
    b->dirty = 1;
    if (st_manifest_writer_add(b->w, path, sha, station, batch, &e)) {
        say(c, 1, "%s", e.msg); /* a name no manifest can hold: counted all the same */
        return ST_OK;
    }
    return st_seen_add(c->listed, sha) < 0 ? st_error_set(err, ST_ERR_NOMEM, "scan: out of memory")
                                          : ST_OK;
}

/* The runner tells of each file before the store has any page of it:
 * a sheet ends its source's batch; a file of sheets only waits to head
 * the next batch; any other goes into the batch's manifest now, unless
 * a manifest of OUT lists it already. */
static int file_told(void *ctx, const st_batch_file *f, st_error *err)
{
    scan_ctx *c = ctx;
    mout *mo = &c->mouts[f->source];
    if (f->starts_with_sheet) {
        if (batch_end(c, mo))
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        sheet_forget(mo);
    }
    if (st_seen_has(c->listed, f->sha256))
        return ST_OK;
    if (f->sheets_only) {
        mo->sheet_path = strdup(f->path);
        mo->sheet_station = f->station ? strdup(f->station) : NULL;
        memcpy(mo->sheet_sha, f->sha256, sizeof mo->sheet_sha);
        mo->sheet_batch = f->batch;
        if (!mo->sheet_path || (f->station && !mo->sheet_station))
            return st_error_set(err, ST_ERR_NOMEM, "scan: out of memory");
        return ST_OK;
    }
    return list_file(c, mo, f->source, f->path, f->sha256, f->station, f->batch, err);
}

/* What an earlier scan cut short left in OUT, settled before anything
 * is counted (settle.h), its messages said as the scan's own. */
static void say_settled(void *ctx, const char *msg)
{
    say(ctx, 0, "%s", msg);
}

static int settle(scan_ctx *c, st_error *err)
{
    return st_scan_settle(c->o->out_dir, c->store, c->listed, say_settled, c, err);
}

/* ---- the run ------------------------------------------------------------- */

/* What one walk over the store gathers: the whole tally, and the line
 * of each station (v[n]: the pages without one). */
typedef struct store_walk {
    st_tally *all;
    st_scan_station *v;
    int n, last;            /* last: the line the previous ballot went to */
    int rc;
} store_walk;

static int walk_ballot(void *ctx, st_store_ballot *b)
{
    store_walk *w = ctx;
    const st_outcome *o = st_store_ballot_outcome(b);
    if ((w->rc = st_tally_add(w->all, o)))
        return 1;
    int k = w->n;
    if (b->station) {
        /* A station's ballots mostly come one after another. */
        if (w->last < w->n && !strcmp(w->v[w->last].station, b->station))
            k = w->last;
        else
            for (int i = 0; i < w->n; i++)
                if (!strcmp(w->v[i].station, b->station))
                    k = i;
    }
    count_outcome(&w->v[w->last = k], o->kind);
    return 0;
}

/* OUT/tally.csv and tally.json from the store: every run so far; and
 * the report's line for every station of the store. One walk over it, as
 * the tally alone took: a large store's summary costs no more. */
static void whole_store(scan_ctx *c)
{
    st_error e = {0};
    store_walk w = {st_tally_new(c->o->model), NULL, 0, 0, 0};
    char path[4200], **names = NULL;
    int rc = w.all ? st_store_stations(c->store, &names, &w.n, &e)
                   : st_error_set(&e, ST_ERR_NOMEM, "scan: out of memory");
    if (!rc && !(w.v = calloc((size_t)w.n + 1, sizeof *w.v)))
        rc = st_error_set(&e, ST_ERR_NOMEM, "scan: out of memory");
    for (int i = 0; !rc && i < w.n; i++) {
        w.v[i].station = names[i];
        names[i] = NULL;
    }
    if (!rc && (rc = st_store_each(c->store, ST_STORE_ALL, walk_ballot, &w, &e)) > 0)
        rc = st_error_set(&e, ST_ERR_INVALID, "store: a stored ballot does not fit the model "
                          "(%d)", w.rc);
    if (!rc) {
        snprintf(path, sizeof path, "%s/tally.csv", c->o->out_dir);
        rc = st_tally_write_csv(w.all, path, &e);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/tally.json", c->o->out_dir);
        rc = st_tally_write_json(w.all, path, &e);
    }
    st_tally_free(w.all);
    st_store_strings_free(names, w.n);
    if (rc) {
        say(c, 1, "the whole tally: %s", e.msg);
        for (int i = 0; w.v && i < w.n; i++)
            free(w.v[i].station);
        free(w.v);
        return;
    }
    c->rep->store_stations = w.v;
    c->rep->n_store_stations = w.n + (w.v[w.n].pages > 0); /* and the pages without one */
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

/* One scan at a time in OUT: a second one would settle the first one's
 * run as if it had been cut short. A POSIX lock, so that it goes with the
 * process (and not to the scanners' children). */
static int lock_out(scan_ctx *c, st_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.scan.lock", c->o->out_dir);
    if ((c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
        return st_error_set(err, ST_ERR_IO, "scan: %s: cannot create: %s", path,
                            strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(c->lock_fd, F_SETLK, &fl) == 0)
        return ST_OK;
    struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(c->lock_fd, F_GETLK, &who) != 0 || who.l_type == F_UNLCK)
        who.l_pid = 0;
    return st_error_set(err, ST_ERR_IO, "scan: %s is in use by another scan (process %ld "
                        "holds %s): one scan at a time per output folder", c->o->out_dir,
                        (long)who.l_pid, path);
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
    for (int i = 0; i < r->n_store_stations; i++)
        free(r->store_stations[i].station);
    for (int i = 0; i < r->n_manifests; i++)
        free(r->manifests[i]);
    free(r->stations);
    free(r->store_stations);
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
    c.names = calloc((size_t)n, sizeof *c.names);
    c.listed = st_seen_new();
    c.lock_fd = -1;
    if (!c.replays || !c.replay_source || !c.watch_source || !c.watch_dirs || !c.scanners ||
        !c.mouts || !c.names || !c.listed)
        goto nomem;
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s%d", kind_name(o->sources[i].kind), i + 1);
        if (!(c.names[i] = strdup(name)))
            goto nomem;
    }
    if ((rc = make_dir(o->out_dir, err)) || (rc = lock_out(&c, err)))
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
    if (o->store_path)
        snprintf(store_path, sizeof store_path, "%s", o->store_path);
    else
        snprintf(store_path, sizeof store_path, "%s/stemtel.db", o->out_dir);
    if ((rc = st_store_open(store_path, o->model, &c.store, err)) || (rc = settle(&c, err)))
        goto out;
    /* A --station the municipality does not have is refused before any
     * source is opened or any run folder made, not at the first commit. */
    if (o->station && (rc = st_store_station_check(c.store, o->station, err))) {
        st_error_prefix(err, "scan: --station");
        goto out;
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
    if ((rc = st_store_begin_batch(c.store, o->station, inputs, err)))
        goto out;

    st_batch_opts bo = {0};
    bo.model = o->model;
    bo.out_dir = rep->run_dir;
    bo.station = o->station;
    bo.threads = o->threads;
    bo.progress = o->progress;
    bo.progress_label = "scan";
    bo.source_names = (const char *const *)c.names;
    bo.n_source_names = n;
    bo.durable = 1;
    bo.stop = o->stop;
    bo.stopping = stopping;
    bo.commit = commit;
    bo.seen = seen;
    bo.commit_ctx = &c;
    bo.file_done = file_told;
    bo.file_ctx = &c;
    c.last_item = st_clock_now();
    rc = st_batch_run(&bo, feed, &c, 0, &rep->batch, NULL, err);
    /* The store's tally and stations: every run so far, decisions applied. */
    whole_store(&c);
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
    for (int i = 0; i < c.n_ended; i++)
        batch_close(&c, &c.ended[i]);
    for (int i = 0; c.mouts && i < n; i++) {
        batch_close(&c, &c.mouts[i].cur);
        sheet_forget(&c.mouts[i]);
    }
    st_folder_close(c.watch);
    st_store_close(c.store);
    if (c.lock_fd >= 0)
        close(c.lock_fd);
    for (int i = 0; c.names && i < n; i++)
        free(c.names[i]);
    free(c.names);
    free(c.ended);
    st_seen_free(c.listed);
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
