/* batch.c - count a batch of scanned pages
 *
 * Inputs are expanded to a list of files. st_batch_run keeps a window of
 * pages and goes round five steps: fill the window from the feed (each
 * new file had from the page-file module, its pages listed); with a store, hash the new files
 * and ask which pages it already holds; read the pages in an OpenMP
 * loop, each thread with its own reader (st_page_read); commit them in
 * input order, the station of each from its source's sheets
 * (st_sheet_step), to ballots.jsonl or sheets.jsonl, the tally and the
 * commit hook, telling the file hook of each file before the commit hook
 * gets the first of its pages, and holding back the pages of a file not
 * yet read to its end, so that the hook takes a file's pages in one go (a
 * store then never holds half a file); and let the files whose pages are
 * all committed go. Memory is bounded by the window, the files in flight
 * (read whole into memory; no new file is taken while they hold
 * ST_BATCH_MAX_BYTES_IN_FLIGHT) and the per-thread scratch (the decoder's
 * limits, decode.h), however long the batch. ballots.jsonl and sheets.jsonl are
 * written through util/atomic, so a crash leaves no half file under their
 * names, or (durable) appended and synced with each window through
 * util/logfile, so a crash leaves every line up to the last window.
 */
#include "stemtel/batch.h"
#include "engine/cv.h"
#include "stemtel/ballot.h"
#include "stemtel/decode.h"
#include "stemtel/page.h"
#include "stemtel/render.h"
#include "stemtel/sha256.h"
#include "stemtel/sheet.h"
#include "sources/filebytes.h"
#include "util/atomic.h"
#include "util/clock.h"
#include "util/jsonrec.h"
#include "util/logfile.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* One input file while its pages are in flight. */
typedef struct bfile {
    char *path;
    const uint8_t *bytes;   /* held's or the feed's malloc'd bytes */
    size_t len;
    int from_held;          /* bytes are held's: st_filebytes_close them */
    st_filebytes held;      /* the page-file module's hold on path */
    char sha[65];
    int hashed;             /* sha holds the hash (or "" for unread) */
    int pages;              /* 0 when the file could not be listed */
    char error[320];        /* why not */
    int unread;             /* 1 when the bytes could not be had: no hash */
    int pending;            /* pages not yet committed */
    int source;
    char *station;          /* the feed's station for pages no sheet covers */
    int batch;
    /* What the file hook is told, gathered at commit. */
    int read, sheets, starts_with_sheet;
    char *first_station;
    int first_batch;
    int told;               /* the file hook was told */
    struct bfile *next;     /* the list of files in flight */
} bfile;

/* One page task. */
typedef struct btask {
    bfile *file;
    int page;
    int skip;               /* already held by the store: not read */
    int held;               /* waits for the commit hook in r->held */
    int sheet;              /* 1: a separator sheet; -1: an unusable one */
    st_sheet sheet_info;
    char station[ST_SHEET_ID_MAX]; /* a sheet's station, kept for the commit */
    st_ballot ballot;
} btask;

static int has_tiff_ext(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcasecmp(name + n - 4, ".tif") == 0) ||
           (n > 5 && strcasecmp(name + n - 5, ".tiff") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand inputs into a list of file paths (malloc'd strings). */
static int expand(char *const *inputs, int n, char ***out, int *n_out,
                  int *skipped, st_error *err)
{
    char **list = NULL;
    int cnt = 0, cap = 0;
    *skipped = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0)
            goto missing;
        if (!S_ISDIR(st.st_mode)) {
            if (cnt == cap && !(list = realloc(list, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *list)))
                goto nomem;
            list[cnt++] = strdup(inputs[i]);
            continue;
        }
        DIR *d = opendir(inputs[i]);
        if (!d)
            goto missing;
        int first = cnt;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            if (!has_tiff_ext(e->d_name)) {
                ++*skipped;
                continue;
            }
            if (cnt == cap && !(list = realloc(list, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *list))) {
                closedir(d);
                goto nomem;
            }
            size_t len = strlen(inputs[i]) + strlen(e->d_name) + 2;
            list[cnt] = malloc(len);
            snprintf(list[cnt++], len, "%s/%s", inputs[i], e->d_name);
        }
        closedir(d);
        qsort(list + first, (size_t)(cnt - first), sizeof *list, cmp_str);
        continue;
    missing:
        for (int k = 0; k < cnt; k++)
            free(list[k]);
        free(list);
        return st_error_set(err, ST_ERR_IO, "count: %s: %s", inputs[i], strerror(errno));
    }
    *out = list;
    *n_out = cnt;
    return ST_OK;
nomem:
    for (int k = 0; k < cnt; k++)
        free(list[k]);
    free(list);
    return st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
}

/* The file's SHA-256, as hex into f->sha, unless the feed gave it. */
static void file_hash(bfile *f)
{
    if (f->hashed)
        return;
    f->hashed = 1;
    /* Not readable: no hash to give. A hash that cannot be set up leaves
     * it empty too, as for an unread file. */
    if (f->unread || st_filebytes_sha256(f->bytes, f->len, f->sha))
        f->sha[0] = '\0';
}

/* Have f's bytes from the page-file module, unless the feed gave them,
 * and list its pages; failures are recorded in f->error. Hashing is left
 * to the worker that reads the file's first page, so it runs in parallel
 * rather than on the thread that fills the window. */
static void file_open(bfile *f)
{
    st_error err = {0};
    st_decoder *d = NULL;
    if (!f->bytes && !f->hashed) {
        if (st_filebytes_open(&f->held, f->path, &err)) {
            f->unread = 1;
            snprintf(f->error, sizeof f->error, "%s", err.msg);
            return;
        }
        f->bytes = f->held.bytes;
        f->len = f->held.len;
        f->from_held = 1;
    }
    if (st_decoder_open(f->bytes, f->len, f->path, &d, &err)) {
        snprintf(f->error, sizeof f->error, "%s", err.msg);
        return;
    }
    f->pages = st_decoder_page_count(d);
    st_decoder_close(d);
}

/* A file in flight from what the feed handed over (taken over). */
static bfile *file_new(st_batch_input *in)
{
    bfile *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = in->path;
    f->bytes = in->bytes;
    f->len = in->len;
    if (in->sha256[0]) {
        memcpy(f->sha, in->sha256, sizeof f->sha);
        f->sha[64] = '\0';
        f->hashed = 1;
    }
    f->source = in->source;
    f->station = in->station;
    f->batch = in->batch;
    memset(in, 0, sizeof *in);
    return f;
}

static void file_free(bfile *f)
{
    if (!f)
        return;
    if (f->from_held)
        st_filebytes_close(&f->held);
    else
        free((void *)f->bytes);
    free(f->path);
    free(f->station);
    free(f->first_station);
    free(f);
}

void st_batch_input_clear(st_batch_input *in)
{
    if (!in)
        return;
    free(in->path);
    free(in->bytes);
    free(in->station);
    memset(in, 0, sizeof *in);
}

/* ---- the runner --------------------------------------------------------- */

/* How long an idle runner waits for its feed before it asks again (and
 * shows that it is waiting). */
#define ST_BATCH_POLL_MS 200

static double peak_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf kB", &kb) == 1)
            break;
    fclose(f);
    return kb / 1024;
}

/* One source (scanner, stack): its sheets, and where its last page was. */
typedef struct bsource {
    st_sheet_state sheets;
    int any;                /* a page of it was committed */
    char station[ST_SHEET_ID_MAX]; /* that page's station, "" for none */
    int batch;
} bsource;

/* The source's state, growing the array as sources appear. */
static bsource *source_at(bsource **v, int *n, int i)
{
    if (i < 0)
        i = 0;
    if (i >= *n) {
        int m = i + 8;
        bsource *p = realloc(*v, (size_t)m * sizeof *p);
        if (!p)
            return NULL;
        memset(p + *n, 0, (size_t)(m - *n) * sizeof *p);
        *v = p;
        *n = m;
    }
    return &(*v)[i];
}

static void write_sheet(FILE *f, const btask *t)
{
    st_jsonrec w;
    st_jsonrec_start(&w, f);
    st_jsonrec_obj(&w, NULL);
    st_jsonrec_str(&w, "file", t->file->path);
    st_jsonrec_int(&w, "page", t->page);
    st_jsonrec_str(&w, "sha256", t->file->sha);
    st_jsonrec_int(&w, "source", t->file->source);
    st_jsonrec_str(&w, "station", t->sheet_info.station);
    st_jsonrec_int(&w, "batch", t->sheet_info.batch);
    st_jsonrec_str(&w, "election", t->sheet_info.election[0] ? t->sheet_info.election : NULL);
    st_jsonrec_end(&w);
    fputc('\n', f);
}

/* One of the streamed outputs: put in place whole at the end, or
 * (durable) grown in place and synced with every window. */
typedef struct bout {
    st_atomic whole;
    st_logfile grown;
    FILE *f;                /* the one written */
} bout;

static int bout_open(bout *b, const char *path, int durable, st_error *err)
{
    memset(b, 0, sizeof *b);
    int rc = durable ? st_logfile_open(&b->grown, path, "w", "count", err)
                     : st_atomic_open(&b->whole, path, "count", err);
    if (!rc)
        b->f = durable ? b->grown.f : b->whole.f;
    return rc;
}

/* What is written stays on disk while a live feed waits; durable: synced. */
static int bout_flush(bout *b, st_error *err)
{
    if (b->grown.f)
        return st_logfile_sync(&b->grown, err);
    fflush(b->f); /* a write error is caught at the commit */
    return ST_OK;
}

static int bout_finish(bout *b, st_error *err)
{
    b->f = NULL;
    return b->grown.f ? st_logfile_close(&b->grown, err) : st_atomic_commit(&b->whole, err);
}

static void bout_abort(bout *b)
{
    st_error ignored = {0};
    b->f = NULL;
    st_logfile_close(&b->grown, &ignored); /* what a durable output holds stays */
    st_atomic_abort(&b->whole);
}

/* A page read and written, waiting for the commit hook: copied out of the
 * window, for a file read over several windows goes to the hook whole. */
typedef struct bheld {
    bfile *f;               /* lives until its pages are committed */
    int page;
    char *station;          /* NULL: none */
    st_outcome outcome;
    char *record;
    int batch;              /* its sheet batch, 0: none */
} bheld;

/* One run of st_batch_run: its settings, its window and what lives
 * across windows. */
typedef struct brun {
    const st_batch_opts *o;
    const st_model *m;
    st_batch_feed_fn feed;
    void *feed_ctx;
    int expected_files;
    st_batch_report *rep;
    int threads, window;
    double t0;
    btask *tasks;           /* the window: n of window tasks */
    int n;
    bheld *held;            /* with a commit hook: pages waiting for it */
    int n_held, cap_held;
    st_batch_page *cpages;  /* what the hook is given */
    int cap_cpages;
    st_reader **readers;    /* one per thread */
    bsource *sources;
    int n_sources;
    st_tally *tally;
    double *blank;
    bout ballots, sheets;
    bfile *live, **live_tail; /* files in flight, in input order */
    bfile *cur;             /* the file the window takes pages from */
    int cur_page, files_done, ended;
    int stop_told;          /* the stopping hook was told */
    int feed_rc;
    st_error feed_err;
} brun;

static int file_pages(const bfile *f)
{
    return f->pages > 0 ? f->pages : 1;
}

/* The terminal's width, or 0 when it is not a terminal or does not say. */
static int columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

/* The progress line: files, pages, speed; with source names, the station
 * and batch each source is on. Cut to the terminal's width, so that the
 * carriage return always goes back to its start. */
static void progress(const brun *r, int waiting)
{
    const st_batch_opts *o = r->o;
    if (!o->progress)
        return;
    const char *label = o->progress_label ? o->progress_label : "count";
    char line[1024];
    size_t n;
    int pages = r->rep->pages;
    double dt = st_clock_now() - r->t0, rate = dt > 0 ? pages / dt : 0;
    if (r->expected_files > 0) {
        int files = r->expected_files, done = r->files_done;
        double left = done > 0 ? dt * (files - done) / done : 0;
        snprintf(line, sizeof line, "%s: %d/%d files, %d pages, %.1f pages/s, %d:%02d left",
                 label, done, files, pages, rate, (int)left / 60, (int)left % 60);
    } else {
        snprintf(line, sizeof line, "%s: %d files, %d pages, %.1f pages/s%s", label,
                 r->files_done, pages, rate, waiting ? ", waiting for pages" : "");
    }
    for (int i = 0; o->source_names && i < o->n_source_names && i < r->n_sources; i++) {
        const bsource *b = &r->sources[i];
        if (!b->any || (n = strlen(line)) >= sizeof line - 1)
            continue;
        snprintf(line + n, sizeof line - n, "; %s: %s", o->source_names[i],
                 b->station[0] ? b->station : "unassigned");
        if (b->batch && (n = strlen(line)) < sizeof line - 1)
            snprintf(line + n, sizeof line - n, " batch %d", b->batch);
    }
    int width = columns(o->progress);
    n = strlen(line);
    if (width > 4 && n > (size_t)width - 4)
        line[n = (size_t)width - 4] = '\0';
    fprintf(o->progress, "\r%s   ", line);
    fflush(o->progress);
}

/* Tell the stopping hook, once, as soon as the stop flag is seen: every
 * earlier window is committed, so what is in flight is the window being
 * filled, the rest of the file it takes pages from and that file's pages
 * read before, which wait for its last. */
static void check_stop(brun *r)
{
    const st_batch_opts *o = r->o;
    if (r->stop_told || !o->stop || !*o->stop)
        return;
    r->stop_told = 1;
    if (o->stopping)
        o->stopping(r->feed_ctx, r->n + r->n_held +
                                     (r->cur ? file_pages(r->cur) - r->cur_page : 0));
}

static int run_nomem(st_error *err)
{
    return st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
}

/* Allocate the run's window, readers and tally, score the blank ballot
 * and open the two streamed outputs. */
static int run_start(brun *r, st_error *err)
{
    const st_batch_opts *o = r->o;
    const st_model *m = r->m;
    char path[4096];
    int rc;
    st_cv_single_threaded();
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return st_error_set(err, ST_ERR_IO, "count: %s: cannot create: %s", o->out_dir,
                            strerror(errno));
    r->tasks = calloc((size_t)r->window, sizeof *r->tasks);
    r->readers = calloc((size_t)r->threads, sizeof *r->readers);
    r->blank = calloc(ST_BLANK_PER_BOX * (size_t)(m->n_targets ? m->n_targets : 1),
                      sizeof *r->blank);
    r->tally = st_tally_new(m);
    if (!r->tasks || !r->readers || !r->blank || !r->tally ||
        !source_at(&r->sources, &r->n_sources, 0))
        return run_nomem(err);
    for (int i = 0; i < r->window; i++)
        if (st_ballot_init(&r->tasks[i].ballot, m))
            return run_nomem(err);
    for (int i = 0; i < r->threads; i++)
        if (!(r->readers[i] = st_reader_new()))
            return run_nomem(err);
    /* What the printed ballot has inside its boxes: a share of area, so
     * the lowest resolution we render gives it as well as any, at a
     * quarter of the cost of 300 dpi. */
    if ((rc = st_score_blank(m, ST_RENDER_DPI_MIN, r->blank, err)))
        return rc;
    snprintf(path, sizeof path, "%s/ballots.jsonl", o->out_dir);
    if ((rc = bout_open(&r->ballots, path, o->durable, err)))
        return rc;
    snprintf(path, sizeof path, "%s/sheets.jsonl", o->out_dir);
    return bout_open(&r->sheets, path, o->durable, err);
}

static void run_free(brun *r)
{
    bout_abort(&r->ballots);
    bout_abort(&r->sheets);
    while (r->live) {
        bfile *f = r->live;
        r->live = f->next;
        file_free(f);
    }
    for (int i = 0; r->tasks && i < r->window; i++)
        st_ballot_free(&r->tasks[i].ballot);
    for (int i = 0; r->readers && i < r->threads; i++)
        st_reader_free(r->readers[i]);
    for (int i = 0; i < r->n_held; i++) {
        free(r->held[i].station);
        free(r->held[i].record);
    }
    free(r->held);
    free(r->cpages);
    free(r->tasks);
    free(r->readers);
    free(r->sources);
    free(r->blank);
    st_tally_free(r->tally);
}

/* Take the next file from the feed into r->cur: 1 when one came, 0 when
 * none (the feed is waiting, or has ended: r->ended), or ST_ERR_NOMEM.
 * An idle window waits for the feed; one with pages does not. */
static int take_file(brun *r, int *waited, st_error *err)
{
    for (;;) {
        check_stop(r);
        if (r->ended)
            return 0;
        st_batch_input in = {0};
        int got = r->feed(r->feed_ctx, r->n > 0 ? 0 : ST_BATCH_POLL_MS, &in, &r->feed_err);
        if (got < 0 || got == ST_BATCH_END) {
            r->feed_rc = got < 0 ? got : ST_OK;
            r->ended = 1;
            return 0;
        }
        if (got == 0) {
            if (r->n > 0)
                return 0;
            if (!(*waited)++)
                progress(r, 1);
            continue;
        }
        if (!(r->cur = file_new(&in))) {
            st_batch_input_clear(&in);
            return run_nomem(err);
        }
        double to = st_clock_now();
        file_open(r->cur);
        r->rep->t_open += st_clock_now() - to;
        r->cur->pending = r->cur->pages > 0 ? r->cur->pages : 1;
        *r->live_tail = r->cur;
        r->live_tail = &r->cur->next;
        r->cur_page = 0;
        r->rep->files++;
        return 1;
    }
}

/* Bytes of the files in flight, which the runner holds in memory. */
static size_t live_bytes(const brun *r)
{
    size_t n = 0;
    for (const bfile *f = r->live; f; f = f->next)
        n += f->len;
    return n;
}

/* Fill the window with the next pages in input order; a file begun is
 * always finished, in this window or the next ones. r->n is 0 when the
 * feed has ended and nothing is left. */
static int fill_window(brun *r, st_error *err)
{
    int waited = 0, rc;
    r->n = 0;
    check_stop(r);
    while (r->n < r->window) {
        if (!r->cur || r->cur_page >= file_pages(r->cur)) {
            r->cur = NULL;
            /* Files are held in memory whole: past the bound, the window
             * goes with the pages it has. */
            if (r->n > 0 && live_bytes(r) >= ST_BATCH_MAX_BYTES_IN_FLIGHT)
                break;
            if ((rc = take_file(r, &waited, err)) < 0)
                return rc;
            if (!rc)
                break;
        }
        btask *t = &r->tasks[r->n++];
        t->file = r->cur;
        t->page = r->cur_page++;
        t->skip = 0;
        t->held = 0;
        t->sheet = 0;
    }
    return ST_OK;
}

/* 1 when the page (its file's hash, page index) waits for the commit hook
 * already: the same bytes under another name, right after a file read
 * over several windows, are the same pages. */
static int is_held(const brun *r, const char *sha, int page)
{
    for (int i = 0; sha[0] && i < r->n_held; i++)
        if (r->held[i].page == page && strcmp(r->held[i].f->sha, sha) == 0)
            return 1;
    return 0;
}

/* Hash the window's new files first, in parallel, so that the store can
 * say which pages it holds before anything is decoded. */
static void ask_seen(brun *r)
{
    const st_batch_opts *o = r->o;
    btask *tasks = r->tasks;
    int n = r->n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(r->threads)
    for (int i = 0; i < n; i++)
        if (tasks[i].page == 0)
            file_hash(tasks[i].file);
    for (int i = 0; i < n; i++)
        tasks[i].skip = o->seen(o->commit_ctx, tasks[i].file->path, tasks[i].file->sha,
                                tasks[i].page) ||
                        is_held(r, tasks[i].file->sha, tasks[i].page);
}

/* Read the window's pages in parallel, each thread with its own reader. */
static int read_window(brun *r, st_error *err)
{
    const st_model *m = r->m;
    btask *tasks = r->tasks;
    int n = r->n, nomem = 0, hash_here = !r->o->seen;
#pragma omp parallel for schedule(dynamic, 1) num_threads(r->threads) reduction(| : nomem)
    for (int i = 0; i < n; i++) {
        btask *t = &tasks[i];
        /* A stop is told between pages, by the calling thread (thread 0
         * of the team), not after the window: at once, with the window
         * still to commit. Nothing a worker touches is written there. */
        if (omp_get_thread_num() == 0)
            check_stop(r);
        /* A file's first page is always in the first window that holds
         * the file, and only its task writes the hash; every record of
         * the file is written after the loop. */
        if (t->skip)
            continue;
        if (t->page == 0 && hash_here)
            file_hash(t->file);
        if (t->file->pages == 0) {
            /* The file itself could not be read: one rejected record. */
            st_ballot_reject(&t->ballot, m, ST_REJECT_UNREADABLE, t->file->error);
            continue;
        }
        if (st_page_read(m, r->blank, t->file->bytes, t->file->len, t->file->path, t->page,
                         r->readers[omp_get_thread_num()], &t->ballot, &t->sheet_info,
                         &t->sheet))
            nomem = 1;
    }
    return nomem ? run_nomem(err) : ST_OK;
}

/* Tell the file hook about f, once. */
static int file_tell(brun *r, bfile *f, st_error *err)
{
    const st_batch_opts *o = r->o;
    f->told = 1;
    if (!o->file_done)
        return ST_OK;
    st_batch_file bf = {f->path,   f->sha,           f->source,
                        f->read,   f->sheets,        f->starts_with_sheet,
                        f->read == f->sheets, f->first_station, f->first_batch};
    return o->file_done(o->file_ctx, &bf, err);
}

/* Commit one page read (not skipped): its station from the sheets of its
 * source, what its file tells the hook, and its line in sheets.jsonl or
 * ballots.jsonl and the tally. */
static int commit_page(brun *r, int i, st_error *err)
{
    const st_batch_opts *o = r->o;
    st_batch_report *rep = r->rep;
    btask *t = &r->tasks[i];
    bfile *f = t->file;
    bsource *bs = source_at(&r->sources, &r->n_sources, f->source);
    st_sheet_slot slot;
    int rc;
    if (!bs)
        return run_nomem(err);
    st_sheet_state *src = &bs->sheets;
    st_sheet_step(src, t->sheet, &t->sheet_info, f->station ? f->station : o->station,
                  f->station ? f->batch : 0, &slot);
    const char *station = slot.station;
    if (station && station == src->station) {
        /* Copied: a later sheet in this window changes src. */
        memcpy(t->station, src->station, sizeof t->station);
        station = t->station;
    }
    bs->any = 1;
    snprintf(bs->station, sizeof bs->station, "%s", station ? station : "");
    bs->batch = slot.batch;
    if (f->read++ == 0) {
        /* An unusable sheet starts a batch too: of unassigned pages. */
        f->starts_with_sheet = t->sheet != 0 && t->page == 0;
        if (station && !(f->first_station = strdup(station)))
            return run_nomem(err);
        f->first_batch = slot.batch;
    }
    if (t->sheet == 1) {
        f->sheets++;
        rep->sheets++;
        write_sheet(r->sheets.f, t);
        return ST_OK;
    }
    if (!f->told && (rc = file_tell(r, f, err)))
        return rc;
    if (t->sheet == -1)
        rep->bad_sheets++;
    else if (!station)
        rep->unassigned++;
    rep->t_decode += t->ballot.t_decode;
    rep->t_register += t->ballot.t_register;
    rep->t_score += t->ballot.t_score;
    rep->t_interpret += t->ballot.t_interpret;
    if (o->commit) {
        /* Same bytes as writing straight to the file. */
        if (r->n_held == r->cap_held) {
            int cap = r->cap_held ? 2 * r->cap_held : r->window;
            bheld *v = realloc(r->held, (size_t)cap * sizeof *v);
            if (!v)
                return run_nomem(err);
            r->held = v;
            r->cap_held = cap;
        }
        bheld *h = &r->held[r->n_held];
        *h = (bheld){f, t->page, station ? strdup(station) : NULL, t->ballot.outcome,
                     st_page_record(r->m, station, f->path, f->sha, t->page, &t->ballot),
                     slot.batch};
        if (!h->record || (station && !h->station)) {
            free(h->station);
            free(h->record);
            return run_nomem(err);
        }
        r->n_held++;
        t->held = 1;
        fputs(h->record, r->ballots.f);
        fputc('\n', r->ballots.f);
    } else {
        st_page_write_record(r->ballots.f, r->m, station, f->path, f->sha, t->page,
                             &t->ballot);
    }
    st_tally_add(r->tally, &t->ballot.outcome);
    rep->pages++;
    if (t->ballot.decoded && t->ballot.info.bits == 1)
        rep->bilevel_pages++;
    return ST_OK;
}

/* Hand the pages waiting to the commit hook, but those of the file still
 * being read, which wait for its last page. */
static int commit_held(brun *r, st_error *err)
{
    const bfile *open = r->cur && r->cur_page < file_pages(r->cur) ? r->cur : NULL;
    int n = r->n_held, skipped = 0, rc;
    while (n > 0 && r->held[n - 1].f == open)
        n--;
    if (n == 0)
        return ST_OK;
    if (n > r->cap_cpages) {
        st_batch_page *v = realloc(r->cpages, (size_t)n * sizeof *v);
        if (!v)
            return run_nomem(err);
        r->cpages = v;
        r->cap_cpages = n;
    }
    for (int i = 0; i < n; i++) {
        const bheld *h = &r->held[i];
        const st_batch_opts *o = r->o;
        int src = h->f->source;
        r->cpages[i] = (st_batch_page){h->f->path, h->page, h->f->sha, h->station,
                                       &h->outcome, h->record,
                                       o->source_names && src >= 0 && src < o->n_source_names
                                           ? o->source_names[src] : NULL,
                                       h->batch};
    }
    if ((rc = r->o->commit(r->o->commit_ctx, r->cpages, n, &skipped, err)))
        return rc;
    r->rep->already_committed += skipped;
    r->rep->committed += n - skipped;
    for (int i = 0; i < n; i++) {
        r->held[i].f->pending--;
        free(r->held[i].station);
        free(r->held[i].record);
    }
    memmove(r->held, r->held + n, (size_t)(r->n_held - n) * sizeof *r->held);
    r->n_held -= n;
    return ST_OK;
}

/* Commit the window in input order, then hand it to the commit hook. */
static int commit_window(brun *r, st_error *err)
{
    int rc = ST_OK;
    for (int i = 0; i < r->n; i++) {
        btask *t = &r->tasks[i];
        if (t->skip)
            r->rep->already_committed++;
        else if ((rc = commit_page(r, i, err)))
            return rc;
        /* A file with pages read but none for the commit hook: told at
         * its end. */
        if (t->file->read && !t->file->told && t->page == file_pages(t->file) - 1 &&
            (rc = file_tell(r, t->file, err)))
            return rc;
    }
    if ((rc = bout_flush(&r->ballots, err)) || (rc = bout_flush(&r->sheets, err)))
        return rc;
    if (r->o->commit && (rc = commit_held(r, err)))
        return rc;
    /* A page waiting for the hook keeps its file; it is let go there. */
    for (int i = 0; i < r->n; i++)
        if (!r->tasks[i].held)
            r->tasks[i].file->pending--;
    return ST_OK;
}

/* Files done, in input order: let them go. */
static void files_done(brun *r)
{
    while (r->live && r->live->pending == 0) {
        bfile *f = r->live;
        r->live = f->next;
        if (!r->live)
            r->live_tail = &r->live;
        if (r->cur == f)
            r->cur = NULL;
        file_free(f);
        r->files_done++;
    }
}

/* Put ballots.jsonl and sheets.jsonl in place, write the tallies and
 * finish the report; the feed's error, if any, is returned now. */
static int write_outputs(brun *r, st_tally **tally_out, st_error *err)
{
    char path[4096];
    int rc;
    if (r->o->progress)
        fputc('\n', r->o->progress);
    if ((rc = bout_finish(&r->ballots, err)) || (rc = bout_finish(&r->sheets, err)))
        return rc;
    snprintf(path, sizeof path, "%s/tally.csv", r->o->out_dir);
    if ((rc = st_tally_write_csv(r->tally, path, err)))
        return rc;
    snprintf(path, sizeof path, "%s/tally.json", r->o->out_dir);
    if ((rc = st_tally_write_json(r->tally, path, err)))
        return rc;
    st_tally_get_totals(r->tally, &r->rep->totals);
    r->rep->seconds = st_clock_now() - r->t0;
    r->rep->peak_mib = peak_mib();
    if (tally_out) {
        *tally_out = r->tally;
        r->tally = NULL;
    }
    if (r->feed_rc)
        return st_error_set(err, r->feed_rc, "%s", r->feed_err.msg);
    return ST_OK;
}

int st_batch_run(const st_batch_opts *o, st_batch_feed_fn feed, void *feed_ctx,
                 int expected_files, st_batch_report *rep, st_tally **tally_out,
                 st_error *err)
{
    brun r = {0};
    int rc;
    r.o = o;
    r.m = o->model;
    r.feed = feed;
    r.feed_ctx = feed_ctx;
    r.expected_files = expected_files;
    r.rep = rep;
    r.threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    r.window = o->window > 0 ? o->window : 4 * r.threads;
    r.t0 = st_clock_now();
    r.live_tail = &r.live;
    memset(rep, 0, sizeof *rep);
    rep->threads = r.threads;
    if ((rc = run_start(&r, err)))
        goto out;
    for (;;) {
        if ((rc = fill_window(&r, err)))
            goto out;
        if (r.n == 0)
            break;
        if (o->seen)
            ask_seen(&r);
        if ((rc = read_window(&r, err)))
            goto out;
        double tc = st_clock_now();
        if ((rc = commit_window(&r, err)))
            goto out;
        files_done(&r);
        rep->t_output += st_clock_now() - tc;
        progress(&r, 0);
    }
    rc = write_outputs(&r, tally_out, err);
out:
    run_free(&r);
    return rc;
}
/* The feed of st_batch_count: a fixed list of paths. */
typedef struct path_feed {
    char **paths;
    int n, next;
} path_feed;

static int feed_paths(void *ctx, int wait_ms, st_batch_input *out, st_error *err)
{
    path_feed *p = ctx;
    if (p->next >= p->n)
        return ST_BATCH_END;
    memset(out, 0, sizeof *out);
    out->path = p->paths[p->next];
    p->paths[p->next++] = NULL; /* the runner owns it now */
    return 1;
}

int st_batch_count(const st_batch_opts *o, char *const *inputs, int n_inputs,
                   st_batch_report *rep, st_tally **tally_out, st_error *err)
{
    path_feed p = {0};
    int skipped = 0, rc;
    memset(rep, 0, sizeof *rep);
    if ((rc = expand(inputs, n_inputs, &p.paths, &p.n, &skipped, err)))
        return rc;
    rc = st_batch_run(o, feed_paths, &p, p.n, rep, tally_out, err);
    rep->skipped = skipped;
    for (int i = 0; i < p.n; i++)
        free(p.paths[i]);
    free(p.paths);
    return rc;
}
