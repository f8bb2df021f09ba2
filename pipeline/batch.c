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
#include "stemtel/cv.h"
#include "stemtel/decode.h"
#include "stemtel/jsonfmt.h"
#include "stemtel/render.h"
#include "stemtel/sha256.h"

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
    const uint8_t *bytes;   /* mmap'd, or NULL */
    size_t len;
    char sha[65];
    int pages;              /* 0 when the file could not be listed */
    char error[320];        /* why not */
    int unread;             /* 1 when the bytes could not be had: no hash */
    int pending;            /* pages not yet committed */
} bfile;

/* One page task. */
typedef struct btask {
    bfile *file;
    int page;
    int skip;               /* already held by the store: not read */
    st_ballot ballot;
} btask;

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

/* The file's SHA-256, as hex into f->sha. */
static void file_hash(bfile *f)
{
    uint8_t digest[ST_SHA256_LEN];
    if (f->unread) {
        f->sha[0] = '\0'; /* not readable: no hash to give */
        return;
    }
    st_sha256(f->bytes ? f->bytes : (const uint8_t *)"", f->len, digest);
    st_sha256_hex(digest, f->sha);
}

/* Map f and list its pages; failures are recorded in f->error. Hashing is
 * left to the worker that reads the file's first page, so it runs in
 * parallel rather than on the thread that fills the window. */
static void file_open(bfile *f)
{
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
    }
    close(fd);
    f->unread = 0;
    st_error err = {0};
    st_decoder *d = NULL;
    if (st_decoder_open(f->bytes, f->len, f->path, &d, &err)) {
        snprintf(f->error, sizeof f->error, "%s", err.msg);
        return;
    }
    f->pages = st_decoder_page_count(d);
    st_decoder_close(d);
}

static void file_close(bfile *f)
{
    if (f->bytes)
        munmap((void *)f->bytes, f->len);
    f->bytes = NULL;
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

static void progress(FILE *tty, int files_done, int files, int pages, double t0)
{
    if (!tty)
        return;
    double dt = now() - t0, rate = dt > 0 ? pages / dt : 0;
    double left = files_done > 0 ? dt * (files - files_done) / files_done : 0;
    fprintf(tty, "\rcount: %d/%d files, %d pages, %.1f pages/s, %d:%02d left   ",
            files_done, files, pages, rate, (int)left / 60, (int)left % 60);
    fflush(tty);
}

int st_batch_count(const st_batch_opts *o, char *const *inputs, int n_inputs,
                   st_batch_report *rep, st_tally **tally_out, st_error *err)
{
    const st_model *m = o->model;
    char **paths = NULL, jpath[4096], tmp[4200];
    int n_paths = 0, rc;
    bfile *files = NULL;
    btask *tasks = NULL;
    st_batch_page *cpages = NULL;
    char **crec = NULL;
    st_reader **readers = NULL;
    st_tally *tally = NULL;
    double *blank = NULL;
    FILE *jf = NULL;
    int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    int window = o->window > 0 ? o->window : 4 * threads;
    double t0 = now();
    memset(rep, 0, sizeof *rep);
    rep->threads = threads;

    st_cv_single_threaded();
    if ((rc = expand(inputs, n_inputs, &paths, &n_paths, &rep->skipped, err)))
        return rc;
    rep->files = n_paths;
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
        rc = st_error_set(err, ST_ERR_IO, "count: %s: cannot create: %s", o->out_dir,
                          strerror(errno));
        goto out;
    }
    files = calloc(n_paths ? (size_t)n_paths : 1, sizeof *files);
    tasks = calloc((size_t)window, sizeof *tasks);
    readers = calloc((size_t)threads, sizeof *readers);
    blank = calloc(2 * (size_t)(m->n_targets ? m->n_targets : 1), sizeof *blank);
    tally = st_tally_new(m);
    if (o->commit) {
        cpages = calloc((size_t)window, sizeof *cpages);
        crec = calloc((size_t)window, sizeof *crec);
    }
    if (!files || !tasks || !readers || !blank || !tally ||
        (o->commit && (!cpages || !crec))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
        goto out;
    }
    for (int i = 0; i < window; i++)
        if (st_ballot_init(&tasks[i].ballot, m)) {
            rc = st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
            goto out;
        }
    for (int i = 0; i < threads; i++)
        if (!(readers[i] = st_reader_new())) {
            rc = st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
            goto out;
        }
    /* What the printed ballot has inside its boxes: a share of area, so
     * the lowest resolution we render gives it as well as any, at a
     * quarter of the cost of 300 dpi. */
    if ((rc = st_score_blank(m, ST_RENDER_DPI_MIN, blank, err)))
        goto out;
    snprintf(jpath, sizeof jpath, "%s/ballots.jsonl", o->out_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", jpath);
    if (!(jf = fopen(tmp, "w"))) {
        rc = st_error_set(err, ST_ERR_IO, "count: %s: cannot write: %s", tmp, strerror(errno));
        goto out;
    }

    int next_file = 0, next_page = 0, files_done = 0;
    for (;;) {
        /* Fill the window in input order. */
        int n = 0;
        while (n < window && next_file < n_paths) {
            bfile *f = &files[next_file];
            if (!f->path) {
                f->path = paths[next_file];
                double to = now();
                file_open(f);
                rep->t_open += now() - to;
                f->pending = f->pages > 0 ? f->pages : 1;
            }
            tasks[n].file = f;
            tasks[n].page = next_page;
            n++;
            if (++next_page >= (f->pages > 0 ? f->pages : 1)) {
                next_file++;
                next_page = 0;
            }
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
            st_reader *rd = readers[omp_get_thread_num()];
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
            if (st_ballot_read(m, blank, t->file->bytes, t->file->len, t->file->path,
                               t->page, rd, &t->ballot))
                nomem = 1;
        }
        if (nomem) {
            rc = st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
            goto out;
        }
        /* Commit in input order. */
        double tc = now();
        int nc = 0;
        for (int i = 0; i < n; i++) {
            btask *t = &tasks[i];
            if (t->skip) {
                rep->already_committed++;
                continue;
            }
            rep->t_decode += t->ballot.t_decode;
            rep->t_register += t->ballot.t_register;
            rep->t_score += t->ballot.t_score;
            rep->t_interpret += t->ballot.t_interpret;
            if (o->commit) {
                /* Same bytes as writing straight to the file. */
                crec[i] = st_batch_record(m, o->station, t->file->path, t->file->sha, t->page,
                                          &t->ballot);
                if (!crec[i]) {
                    rc = st_error_set(err, ST_ERR_NOMEM, "count: out of memory");
                    goto out;
                }
                fputs(crec[i], jf);
                fputc('\n', jf);
                cpages[nc++] = (st_batch_page){t->file->path, t->page, t->file->sha,
                                               o->station, &t->ballot.outcome, crec[i]};
            } else {
                write_record(jf, m, o->station, t->file->path, t->file->sha, t->page,
                             &t->ballot);
            }
            st_tally_add(tally, &t->ballot.outcome);
            rep->pages++;
            if (t->ballot.decoded && t->ballot.info.bits == 1)
                rep->bilevel_pages++;
        }
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
        for (int i = 0; i < n; i++) {
            btask *t = &tasks[i];
            if (--t->file->pending == 0) {
                file_close(t->file);
                files_done++;
            }
        }
        rep->t_output += now() - tc;
        progress(o->progress, files_done, n_paths, rep->pages, t0);
    }
    if (o->progress)
        fputc('\n', o->progress);
    if (ferror(jf) | fclose(jf)) {
        jf = NULL;
        rc = st_error_set(err, ST_ERR_IO, "count: %s: write failed", tmp);
        goto out;
    }
    jf = NULL;
    if (rename(tmp, jpath) != 0) {
        rc = st_error_set(err, ST_ERR_IO, "count: %s: %s", jpath, strerror(errno));
        goto out;
    }
    snprintf(jpath, sizeof jpath, "%s/tally.csv", o->out_dir);
    if ((rc = st_tally_write_csv(tally, jpath, err)))
        goto out;
    snprintf(jpath, sizeof jpath, "%s/tally.json", o->out_dir);
    if ((rc = st_tally_write_json(tally, jpath, err)))
        goto out;
    st_tally_get_totals(tally, &rep->totals);
    rep->seconds = now() - t0;
    rep->peak_mib = peak_mib();
    if (tally_out) {
        *tally_out = tally;
        tally = NULL;
    }
    rc = ST_OK;
out:
    if (jf)
        fclose(jf);
    for (int i = 0; files && i < n_paths; i++)
        file_close(&files[i]);
    for (int i = 0; tasks && i < window; i++)
        st_ballot_free(&tasks[i].ballot);
    for (int i = 0; readers && i < threads; i++)
        st_reader_free(readers[i]);
    for (int i = 0; i < n_paths; i++)
        free(paths[i]);
    for (int i = 0; crec && i < window; i++)
        free(crec[i]);
    free(crec);
    free(cpages);
    free(paths);
    free(files);
    free(tasks);
    free(readers);
    free(blank);
    st_tally_free(tally);
    return rc;
}
