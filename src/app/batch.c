/* batch.c - count a batch of scanned pages
 *
 * Inputs are expanded to a list of files. The runner keeps a window of
 * pages: it maps the next files (mmap, so a large multi-page file costs
 * page cache, not heap), hashes each with SHA-256 and lists its pages,
 * then reads the window's pages in an OpenMP loop, each thread with its
 * own reader scratch, and finally writes the window's records and adds
 * them to the tally in input order. Memory is bounded by the window and
 * the per-thread scratch, however long the batch. With a commit hook the
 * window's records are also written to memory and handed over together,
 * so a store can take a whole window in one transaction.
 */
#include "stemtel/batch.h"
#include "stemtel/ballot.h"
#include "engine/cv.h"
#include "stemtel/decode.h"
#include "util/jsonfmt.h"
#include "stemtel/render.h"
#include "stemtel/sha256.h"
#include "stemtel/sheet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One input file while its pages are in flight. */
typedef struct bfile {
    char *path;
    const uint8_t *bytes;   /* mmap'd (mapped) or the feed's malloc'd bytes */
    size_t len;
    int mapped;
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
    struct bfile *next;     /* the list of files in flight */
} bfile;

/* One page task. */
typedef struct btask {
    bfile *file;
    int page;
    int skip;               /* already held by the store: not read */
    int sheet;              /* 1: a separator sheet; -1: an unusable one */
    st_sheet sheet_info;
    char station[ST_SHEET_ID_MAX]; /* a sheet's station, kept for the commit */
    st_ballot ballot;
} btask;

/* What the sheets of one source say about the pages after them. */
typedef struct bsource {
    int have_sheet;         /* a sheet was seen in this source */
    int lost;               /* the last sheet-like page was unusable */
    char station[ST_SHEET_ID_MAX];
    int batch;
} bsource;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

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
    uint8_t digest[ST_SHA256_LEN];
    if (f->hashed)
        return;
    f->hashed = 1;
    if (f->unread) {
        f->sha[0] = '\0'; /* not readable: no hash to give */
        return;
    }
    st_sha256(f->bytes ? f->bytes : (const uint8_t *)"", f->len, digest);
    st_sha256_hex(digest, f->sha);
}

/* Map f's path, unless the feed gave its bytes, and list its pages;
 * failures are recorded in f->error. Hashing is left to the worker that
 * reads the file's first page, so it runs in parallel rather than on the
 * thread that fills the window. */
static void file_open(bfile *f)
{
    if (f->bytes || f->hashed) {
        f->unread = 0; /* the feed read it: bytes (maybe none) and hash */
        goto list;
    }
    /* O_NONBLOCK: a FIFO named like a scan must not stop the batch. */
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    f->unread = 1;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(f->error, sizeof f->error, "%s: cannot open: %s", f->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(f->error, sizeof f->error, "%s: not a regular file (a %s)", f->path,
                 S_ISDIR(st.st_mode) ? "folder" : S_ISFIFO(st.st_mode) ? "pipe"
                                                  : "device or socket");
        close(fd);
        return;
    }
    f->len = (size_t)st.st_size;
    if (f->len > 0) {
        void *p = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            snprintf(f->error, sizeof f->error, "%s: cannot read: %s", f->path, strerror(errno));
            close(fd);
            return;
        }
        f->bytes = p;
        f->mapped = 1;
    }
    close(fd);
    f->unread = 0;
list:;
    st_error err = {0};
    st_decoder *d = NULL;
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
    if (f->mapped)
        munmap((void *)f->bytes, f->len);
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

/* ---- records ------------------------------------------------------------ */

static const char *state_name(st_box_state s)
{
    return s == ST_BOX_MARKED ? "marked" : s == ST_BOX_MARGINAL ? "marginal" : "empty";
}

static void write_record(FILE *f, const st_model *m, const char *station,
                         const char *path, const char *sha, int page, const st_ballot *b)
{
    const st_outcome *o = &b->outcome;
    fputs("{\"file\":", f);
    st_json_fput_str(f, path);
    fprintf(f, ",\"page\":%d,\"sha256\":", page);
    st_json_fput_str(f, sha);
    fputs(",\"station\":", f);
    if (station)
        st_json_fput_str(f, station);
    else
        fputs("null", f);
    fprintf(f, ",\"outcome\":\"%s\"", st_outcome_name(o->kind));
    if (o->kind == ST_OUTCOME_VOTE)
        fprintf(f, ",\"list\":%d,\"candidate\":%d,\"party_only\":%s", o->list,
                o->candidate, o->party_only ? "true" : "false");
    fputs(",\"reasons\":[", f);
    for (int i = 0; i < o->n_reasons; i++) {
        if (i)
            fputc(',', f);
        st_json_fput_str(f, o->reasons[i]);
    }
    fputc(']', f);
    if (o->kind == ST_OUTCOME_REVIEW) {
        fprintf(f, ",\"proposal\":{\"outcome\":\"%s\"", st_outcome_name(o->proposal));
        if (o->proposal == ST_OUTCOME_VOTE)
            fprintf(f, ",\"list\":%d,\"candidate\":%d", o->proposal_list,
                    o->proposal_candidate);
        fputc('}', f);
    }
    if (b->message[0]) {
        fputs(",\"message\":", f);
        st_json_fput_str(f, b->message);
    }
    if (b->decoded) {
        fprintf(f, ",\"image\":{\"w\":%d,\"h\":%d,\"dpi\":", b->info.w, b->info.h);
        st_json_fput_num(f, b->info.dpi_x, 2, 1);
        fprintf(f, ",\"dpi_from_tag\":%s,\"bits\":%d,\"samples\":%d,\"read_scale\":",
                b->info.dpi_from_tag ? "true" : "false", b->info.bits, b->info.spp);
        st_json_fput_num(f, b->info.scale, 3, 1);
        fputc('}', f);
    }
    const st_registration *r = &b->reg;
    if (b->decoded && r->marks_found > 0) {
        fprintf(f, ",\"registration\":{\"marks\":%d,\"upside_down\":%s,\"rotation_deg\":",
                r->marks_found, r->upside_down ? "true" : "false");
        st_json_fput_num(f, r->rotation_deg, 3, 1);
        fputs(",\"scale\":", f);
        st_json_fput_num(f, r->scale, 4, 1);
        fputs(",\"rms_mm\":", f);
        st_json_fput_num(f, r->rms_mm, 3, 1);
        fputs(",\"dpi\":", f);
        st_json_fput_num(f, r->dpi, 2, 1);
        fputs(",\"transform\":[", f);
        for (int i = 0; i < 6; i++) {
            if (i)
                fputc(',', f);
            st_json_fput_num(f, r->xform.m[i], 4, 1);
        }
        fputs("]}", f);
    }
    if (b->decoded && r->ok && o->kind != ST_OUTCOME_REJECTED) {
        fputs(",\"writing\":", f);
        if (b->writing.found) {
            fputs("{\"area_mm2\":", f);
            st_json_fput_num(f, b->writing.area_mm2, 1, 1);
            fputs(",\"at_mm\":[", f);
            st_json_fput_num(f, b->writing.x_mm, 1, 1);
            fputc(',', f);
            st_json_fput_num(f, b->writing.y_mm, 1, 1);
            fputs("]}", f);
        } else {
            fputs("null", f);
        }
        /* Boxes crossed by a dark scan-line streak went to review. */
        if (b->writing.n_streak_cols)
            fprintf(f, ",\"scanner_streaks\":%d", b->writing.n_streak_cols);
    }
    if (b->decoded && r->ok) {
        fputs(",\"boxes\":[", f);
        for (int i = 0; i < m->n_targets; i++) {
            const st_box *x = &b->boxes[i];
            fputs(i ? ",{\"id\":" : "{\"id\":", f);
            st_json_fput_str(f, m->targets[i].id);
            fputs(",\"score\":", f);
            st_json_fput_num(f, x->score, 4, 1);
            fputs(",\"faint\":", f);
            st_json_fput_num(f, x->faint, 4, 1);
            fprintf(f, ",\"state\":\"%s\",\"shift_px\":[", state_name(x->state));
            st_json_fput_num(f, b->places[i].dx, 1, 1);
            fputc(',', f);
            st_json_fput_num(f, b->places[i].dy, 1, 1);
            fprintf(f, "],\"edges\":%d}", b->places[i].edges);
        }
        fputc(']', f);
    }
    fputs("}\n", f);
}

char *st_batch_record(const st_model *m, const char *station, const char *path,
                      const char *sha256, int page, const st_ballot *b)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    write_record(f, m, station, path, sha256, page, b);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    buf[len - 1] = '\0'; /* no newline */
    return buf;
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

static void progress(const st_batch_opts *o, int files_done, int files, int pages,
                     int waiting, double t0)
{
    if (!o->progress)
        return;
    const char *label = o->progress_label ? o->progress_label : "count";
    double dt = now() - t0, rate = dt > 0 ? pages / dt : 0;
    if (files > 0) {
        double left = files_done > 0 ? dt * (files - files_done) / files_done : 0;
        fprintf(o->progress, "\r%s: %d/%d files, %d pages, %.1f pages/s, %d:%02d left   ",
                label, files_done, files, pages, rate, (int)left / 60, (int)left % 60);
    } else {
        fprintf(o->progress, "\r%s: %d files, %d pages, %.1f pages/s%s   ", label,
                files_done, pages, rate, waiting ? ", waiting for pages" : "");
    }
    fflush(o->progress);
}

int st_batch_read_page(const st_model *m, const double *blank, const void *bytes,
                       size_t len, const char *name, int page, st_reader *rd,
                       st_ballot *b, st_sheet *sheet, int *is_sheet)
{
    st_error err = {0};
    int found = 0, rc = st_ballot_read(m, blank, bytes, len, name, page, rd, b);
    *is_sheet = 0;
    /* A sheet has no registration marks: only pages rejected after
     * decoding are looked at, so ballots pay nothing for this, and the
     * look uses the ~50 dpi ink the reader already has. */
    if (rc || b->outcome.kind != ST_OUTCOME_REJECTED)
        return rc;
    const st_image *coarse = st_reader_coarse(rd, b);
    if (!coarse)
        return ST_OK;
    rc = st_sheet_detect(coarse, ST_SHEET_INK, &found, sheet, &err);
    if (rc == ST_ERR_NOMEM)
        return rc;
    if (rc) {
        /* A sheet we cannot use: which station follows is unknown. */
        *is_sheet = -1;
        st_outcome_reject(&b->outcome, ST_REJECT_BAD_SHEET);
        snprintf(b->message, sizeof b->message, "%s: page %d: %s", name, page, err.msg);
        return ST_OK;
    }
    *is_sheet = found;
    return ST_OK;
}

/* The source's sheet state, growing the array as sources appear. */
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
    fputs("{\"file\":", f);
    st_json_fput_str(f, t->file->path);
    fprintf(f, ",\"page\":%d,\"sha256\":", t->page);
    st_json_fput_str(f, t->file->sha);
    fprintf(f, ",\"source\":%d,\"station\":", t->file->source);
    st_json_fput_str(f, t->sheet_info.station);
    fprintf(f, ",\"batch\":%d,\"election\":", t->sheet_info.batch);
    if (t->sheet_info.election[0])
        st_json_fput_str(f, t->sheet_info.election);
    else
        fputs("null", f);
    fputs("}\n", f);
}

/* Open DIR/name.tmp for writing; its final name goes into final. */
static FILE *open_out(const char *dir, const char *name, char *final, size_t cap,
                      st_error *err)
{
    char tmp[4200];
    snprintf(final, cap, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", final);
    FILE *f = fopen(tmp, "w");
    if (!f)
        st_error_set(err, ST_ERR_IO, "count: %s: cannot write: %s", tmp, strerror(errno));
    return f;
}

/* Close f and put it in place as final. */
static int close_out(FILE *f, const char *final, st_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", final);
    if (ferror(f) | fclose(f))
        return st_error_set(err, ST_ERR_IO, "count: %s: write failed", tmp);
    if (rename(tmp, final) != 0)
        return st_error_set(err, ST_ERR_IO, "count: %s: %s", final, strerror(errno));
    return ST_OK;
}

int st_batch_run(const st_batch_opts *o, st_batch_feed_fn feed, void *feed_ctx,
                 int expected_files, st_batch_report *rep, st_tally **tally_out,
                 st_error *err)
{
    const st_model *m = o->model;
    char jpath[4096], spath[4096], path[4096];
    int rc = ST_OK, feed_rc = ST_OK;
    st_error feed_err = {0};
    bfile *live = NULL, **live_tail = &live, *cur = NULL;
    btask *tasks = NULL;
    st_batch_page *cpages = NULL;
    char **crec = NULL;
    st_reader **readers = NULL;
    bsource *sources = NULL;
    int n_sources = 0;
    st_tally *tally = NULL;
    double *blank = NULL;
    FILE *jf = NULL, *sf = NULL;
    int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    int window = o->window > 0 ? o->window : 4 * threads;
    double t0 = now();
    memset(rep, 0, sizeof *rep);
    rep->threads = threads;

    st_cv_single_threaded();
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return st_error_set(err, ST_ERR_IO, "count: %s: cannot create: %s", o->out_dir,
                            strerror(errno));
    tasks = calloc((size_t)window, sizeof *tasks);
    readers = calloc((size_t)threads, sizeof *readers);
    blank = calloc(2 * (size_t)(m->n_targets ? m->n_targets : 1), sizeof *blank);
    tally = st_tally_new(m);
    if (o->commit) {
        cpages = calloc((size_t)window, sizeof *cpages);
        crec = calloc((size_t)window, sizeof *crec);
    }
    if (!tasks || !readers || !blank || !tally ||
        (o->commit && (!cpages || !crec)) || !source_at(&sources, &n_sources, 0))
        goto nomem;
    for (int i = 0; i < window; i++)
        if (st_ballot_init(&tasks[i].ballot, m))
            goto nomem;
    for (int i = 0; i < threads; i++)
        if (!(readers[i] = st_reader_new()))
            goto nomem;
    /* What the printed ballot has inside its boxes: a share of area, so
     * the lowest resolution we render gives it as well as any, at a
     * quarter of the cost of 300 dpi. */
    if ((rc = st_score_blank(m, ST_RENDER_DPI_MIN, blank, err)))
        goto out;
    if (!(jf = open_out(o->out_dir, "ballots.jsonl", jpath, sizeof jpath, err)) ||
        !(sf = open_out(o->out_dir, "sheets.jsonl", spath, sizeof spath, err))) {
        rc = err->code;
        goto out;
    }

    int cur_page = 0, files_done = 0, ended = 0;
    for (;;) {
        /* Fill the window in input order; a file begun is always finished. */
        int n = 0, waited = 0;
        while (n < window) {
            if (!cur || cur_page >= (cur->pages > 0 ? cur->pages : 1)) {
                cur = NULL;
                if (ended)
                    break;
                st_batch_input in = {0};
                int r = feed(feed_ctx, n > 0 ? 0 : ST_BATCH_POLL_MS, &in, &feed_err);
                if (r < 0) {
                    feed_rc = r;
                    ended = 1;
                    break;
                }
                if (r == ST_BATCH_END) {
                    ended = 1;
                    break;
                }
                if (r == 0) {
                    if (n > 0)
                        break;
                    if (!waited++)
                        progress(o, files_done, expected_files, rep->pages, 1, t0);
                    continue;
                }
                if (!(cur = file_new(&in))) {
                    st_batch_input_clear(&in);
                    goto nomem;
                }
                double to = now();
                file_open(cur);
                rep->t_open += now() - to;
                cur->pending = cur->pages > 0 ? cur->pages : 1;
                *live_tail = cur;
                live_tail = &cur->next;
                cur_page = 0;
                rep->files++;
            }
            tasks[n].file = cur;
            tasks[n].page = cur_page++;
            tasks[n].skip = 0;
            tasks[n].sheet = 0;
            n++;
        }
        if (n == 0)
            break;
        if (o->seen) {
            /* Hash the window's new files first, so the store can say
             * which pages it holds before anything is decoded. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
            for (int i = 0; i < n; i++)
                if (tasks[i].page == 0)
                    file_hash(tasks[i].file);
            for (int i = 0; i < n; i++)
                tasks[i].skip = o->seen(o->commit_ctx, tasks[i].file->path,
                                        tasks[i].file->sha, tasks[i].page);
        }
        int nomem = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) reduction(| : nomem)
        for (int i = 0; i < n; i++) {
            btask *t = &tasks[i];
            /* A file's first page is always in the first window that holds
             * the file, and only its task writes the hash; every record of
             * the file is written after the loop. */
            if (t->skip)
                continue;
            if (t->page == 0 && !o->seen)
                file_hash(t->file);
            if (t->file->pages == 0) {
                /* The file itself could not be read: one rejected record. */
                st_ballot_reject(&t->ballot, m, ST_REJECT_UNREADABLE, t->file->error);
                continue;
            }
            if (st_batch_read_page(m, blank, t->file->bytes, t->file->len, t->file->path,
                                   t->page, readers[omp_get_thread_num()], &t->ballot,
                                   &t->sheet_info, &t->sheet))
                nomem = 1;
        }
        if (nomem)
            goto nomem;
        /* Commit in input order. */
        double tc = now();
        int nc = 0;
        for (int i = 0; i < n; i++) {
            btask *t = &tasks[i];
            bfile *f = t->file;
            if (t->skip) {
                rep->already_committed++;
                continue;
            }
            bsource *src = source_at(&sources, &n_sources, f->source);
            if (!src)
                goto nomem;
            const char *station = NULL;
            int batch = 0;
            if (t->sheet == 1) {
                snprintf(src->station, sizeof src->station, "%s", t->sheet_info.station);
                src->batch = t->sheet_info.batch;
                src->have_sheet = 1;
                src->lost = 0;
                memcpy(t->station, src->station, sizeof t->station);
                station = t->station;
                batch = src->batch;
            } else if (t->sheet == -1) {
                src->lost = 1;
            } else if (src->lost) {
                station = NULL;
            } else if (src->have_sheet) {
                /* Copied: a later sheet in this window changes src. */
                memcpy(t->station, src->station, sizeof t->station);
                station = t->station;
                batch = src->batch;
            } else {
                station = f->station ? f->station : o->station;
                batch = f->station ? f->batch : 0;
            }
            if (f->read++ == 0) {
                /* An unusable sheet starts a batch too: of unassigned pages. */
                f->starts_with_sheet = t->sheet != 0 && t->page == 0;
                if (station && !(f->first_station = strdup(station)))
                    goto nomem;
                f->first_batch = batch;
            }
            if (t->sheet == 1) {
                f->sheets++;
                rep->sheets++;
                write_sheet(sf, t);
                continue;
            }
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
                crec[i] = st_batch_record(m, station, f->path, f->sha, t->page, &t->ballot);
                if (!crec[i])
                    goto nomem;
                fputs(crec[i], jf);
                fputc('\n', jf);
                cpages[nc++] = (st_batch_page){f->path, t->page, f->sha, station,
                                               &t->ballot.outcome, crec[i]};
            } else {
                write_record(jf, m, station, f->path, f->sha, t->page, &t->ballot);
            }
            st_tally_add(tally, &t->ballot.outcome);
            rep->pages++;
            if (t->ballot.decoded && t->ballot.info.bits == 1)
                rep->bilevel_pages++;
        }
        /* A live feed may wait long for the next page: what is written
         * stays on disk meanwhile. */
        fflush(jf);
        fflush(sf);
        if (o->commit) {
            int skipped = 0;
            rc = nc ? o->commit(o->commit_ctx, cpages, nc, &skipped, err) : ST_OK;
            for (int i = 0; i < n; i++) {
                free(crec[i]);
                crec[i] = NULL;
            }
            if (rc)
                goto out;
            rep->already_committed += skipped;
            rep->committed += nc - skipped;
        }
        for (int i = 0; i < n; i++)
            tasks[i].file->pending--;
        /* Files done, in input order: tell the hook, then let them go. */
        while (live && live->pending == 0) {
            bfile *f = live;
            if (f->read && o->file_done) {
                st_batch_file bf = {f->path, f->sha, f->source, f->read, f->sheets,
                                    f->starts_with_sheet, f->first_station, f->first_batch};
                if ((rc = o->file_done(o->file_ctx, &bf, err)))
                    goto out;
            }
            live = f->next;
            if (!live)
                live_tail = &live;
            if (cur == f)
                cur = NULL;
            file_free(f);
            files_done++;
        }
        rep->t_output += now() - tc;
        progress(o, files_done, expected_files, rep->pages, 0, t0);
    }
    if (o->progress)
        fputc('\n', o->progress);
    rc = close_out(jf, jpath, err);
    jf = NULL;
    if (rc == ST_OK)
        rc = close_out(sf, spath, err);
    sf = NULL;
    if (rc)
        goto out;
    snprintf(path, sizeof path, "%s/tally.csv", o->out_dir);
    if ((rc = st_tally_write_csv(tally, path, err)))
        goto out;
    snprintf(path, sizeof path, "%s/tally.json", o->out_dir);
    if ((rc = st_tally_write_json(tally, path, err)))
        goto out;
    st_tally_get_totals(tally, &rep->totals);
    rep->seconds = now() - t0;
    rep->peak_mib = peak_mib();
    if (tally_out) {
        *tally_out = tally;
        tally = NULL;
    }
    rc = feed_rc;
    if (rc)
        st_error_set(err, rc, "%s", feed_err.msg);
    goto out;
nomem:
    rc = st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
out:
    if (jf)
        fclose(jf);
    if (sf)
        fclose(sf);
    while (live) {
        bfile *f = live;
        live = f->next;
        file_free(f);
    }
    for (int i = 0; tasks && i < window; i++)
        st_ballot_free(&tasks[i].ballot);
    for (int i = 0; readers && i < threads; i++)
        st_reader_free(readers[i]);
    for (int i = 0; crec && i < window; i++)
        free(crec[i]);
    free(crec);
    free(cpages);
    free(tasks);
    free(readers);
    free(sources);
    free(blank);
    st_tally_free(tally);
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
