/* throughput.c - ballots per second against the decoder's ceiling
 *
 * For each format a real scanner writes (bilevel G4; 8-bit grey raw, LZW,
 * Deflate and JPEG; RGB JPEG) at 200 and 300 dpi, synth draws a stack of
 * A3 ballots once into build/bench/data/<format>-<dpi>. Two things read it:
 * the ceiling, libtiff decoding every page and nothing else (the files
 * mapped beforehand, one decoder per file, per-thread scratch), and the
 * full pipeline, st_batch_count as `stemtel count` runs it. Both run with
 * one thread and with every core, each at least twice keeping the faster,
 * since shared machines are noisy; what matters is the ratio within a run.
 * Stage times come from the batch report of the one-thread run, where
 * per-page sums are not inflated by threads waiting on each other.
 * Peak memory is measured on `stemtel count` as a child process (the peak
 * it reports itself, VmHWM), on one folder and on the same folder given many times, so a
 * batch 100 times longer must not need more memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <omp.h>

#include "stemtel/batch.h"
#include "stemtel/decode.h"
#include "stemtel/model.h"
#include "synth/synth.h"
#include "stemtel/tiffout.h"

#include "bench.h"

extern char **environ;

typedef struct st_tp_input {
    st_tiff_format format;
    int dpi;
} st_tp_input;

/* What scanners deliver; RGB uncompressed is left out (no scanner at a
 * counting table writes it: 25 MB a page at 200 dpi). */
static const st_tp_input st_tp_inputs[] = {
    {ST_TIFF_BILEVEL_G4, 200},   {ST_TIFF_GREY_RAW, 200},
    {ST_TIFF_GREY_LZW, 200},     {ST_TIFF_GREY_DEFLATE, 200},
    {ST_TIFF_GREY_JPEG, 200},    {ST_TIFF_RGB_JPEG, 200},
    {ST_TIFF_BILEVEL_G4, 300},   {ST_TIFF_GREY_RAW, 300},
    {ST_TIFF_GREY_LZW, 300},     {ST_TIFF_GREY_DEFLATE, 300},
    {ST_TIFF_GREY_JPEG, 300},    {ST_TIFF_RGB_JPEG, 300},
};
#define ST_TP_N_INPUTS (int)(sizeof st_tp_inputs / sizeof *st_tp_inputs)

/* Seeds: fixed, so every run reads the same pages. */
static const uint64_t st_tp_seed = 20240601;
static const uint64_t st_tp_mem_seed = 20240602;
/* synth's default mix, with its degradations at 30% of their default size:
 * what a well-kept scanner at a counting table produces. */
static const double st_tp_degrade_level = 0.3;

typedef struct st_tp_config {
    int quick;
    int pages;       /* per input */
    int reps;        /* runs per measurement, the fastest kept */
    int mem_pages;   /* the memory test's folder */
    int mem_copies;  /* times the folder is given for the long batch */
    const char *model_path;
    const char *bin;
    const char *results;
} st_tp_config;

typedef struct st_tp_result {
    int pages;
    double ceil_s[2];        /* best seconds, [0] one thread, [1] all cores */
    double pipe_s[2];
    st_batch_report rep1;    /* fastest one-thread pipeline run */
    int rejected;
    double synth_s;
} st_tp_result;

/* The files of one input, mapped before the clock starts so the ceiling
 * times libtiff, not the disk or the page cache's first touch. */
typedef struct st_tp_maps {
    int n;
    void **data;
    size_t *len;
} st_tp_maps;

static void st_tp_unmap(st_tp_maps *mp)
{
    for (int i = 0; i < mp->n; i++)
        if (mp->data[i])
            munmap(mp->data[i], mp->len[i]);
    free(mp->data);
    free(mp->len);
    memset(mp, 0, sizeof *mp);
}

static int st_tp_map(char **paths, int n, st_tp_maps *mp, st_error *err)
{
    memset(mp, 0, sizeof *mp);
    mp->data = calloc((size_t)n, sizeof *mp->data);
    mp->len = calloc((size_t)n, sizeof *mp->len);
    if (!mp->data || !mp->len) {
        st_tp_unmap(mp);
        return st_error_set(err, ST_ERR_NOMEM, "bench: out of memory mapping %d files", n);
    }
    mp->n = n;
    for (int i = 0; i < n; i++) {
        int fd = open(paths[i], O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            st_tp_unmap(mp);
            return st_error_set(err, ST_ERR_IO, "bench: %s: cannot open: %s", paths[i],
                                strerror(e));
        }
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) {
            st_tp_unmap(mp);
            return st_error_set(err, ST_ERR_IO, "bench: %s: cannot map: %s", paths[i],
                                strerror(errno));
        }
        /* Touch every page now, so the timed loop never faults on a read. */
        volatile unsigned char sink = 0;
        for (size_t o = 0; o < (size_t)st.st_size; o += 4096)
            sink ^= ((const unsigned char *)p)[o];
        (void)sink;
        mp->data[i] = p;
        mp->len[i] = (size_t)st.st_size;
    }
    return ST_OK;
}

/* Decode every page of every mapped file with libtiff alone. scratch has
 * one zeroed-or-grown image per thread; the caller keeps it across runs so
 * the faster run has no first-touch page faults, like the pipeline's
 * readers after their first page. */
static int st_tp_ceiling(const st_tp_maps *mp, char **paths, int threads,
                         st_image *scratch, double *seconds, int *pages_out,
                         st_error *err)
{
    st_error *errs = calloc((size_t)threads, sizeof *errs);
    if (!errs)
        return st_error_set(err, ST_ERR_NOMEM, "bench: out of memory");
    int failed = 0, fail_thread = -1, pages = 0;
    double t0 = st_bench_now();
#pragma omp parallel num_threads(threads)
    {
        int me = omp_get_thread_num();
        st_image *img = &scratch[me];
#pragma omp for schedule(dynamic, 1) reduction(+ : pages)
        for (int i = 0; i < mp->n; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop)
                continue;
            st_decoder *d = NULL;
            int rc = st_decoder_open(mp->data[i], mp->len[i], paths[i], &d, &errs[me]);
            int np = rc == ST_OK ? st_decoder_page_count(d) : 0;
            for (int p = 0; rc == ST_OK && p < np; p++)
                rc = st_decoder_read_raw(d, p, img, &errs[me]);
            st_decoder_close(d);
            if (rc != ST_OK) {
#pragma omp critical(st_tp_fail)
                if (!failed) {
                    failed = 1;
                    fail_thread = me;
                }
            } else {
                pages += np;
            }
        }
    }
    double dt = st_bench_now() - t0;
    int rc = ST_OK;
    if (failed)
        rc = st_error_set(err, errs[fail_thread].code ? errs[fail_thread].code : ST_ERR_PARSE,
                          "bench: ceiling: %s", errs[fail_thread].msg);
    free(errs);
    if (rc == ST_OK) {
        *seconds = dt;
        *pages_out = pages;
    }
    return rc;
}

/* The full pipeline on the files, as `stemtel count` runs it. */
static int st_tp_pipeline(const st_model *m, char **paths, int n, int threads,
                          const char *out_dir, st_batch_report *rep, st_error *err)
{
    st_batch_opts o = {0};
    o.model = m;
    o.out_dir = out_dir;
    o.threads = threads;
    o.progress = NULL;
    memset(rep, 0, sizeof *rep);
    int rc = st_batch_count(&o, paths, n, rep, NULL, err);
    if (rc != ST_OK)
        return st_error_prefix(err, "bench: pipeline into %s", out_dir);
    return ST_OK;
}

/* Run `bin count` on the files given `copies` times over; peak resident
 * set in MiB from wait4. stdout and stderr go to log. */
static int st_tp_peak_rss(const st_tp_config *c, char **files, int n, int copies,
                          const char *out_dir, const char *log, double *mib,
                          double *seconds, st_error *err)
{
    size_t argc = 6 + (size_t)n * (size_t)copies;
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv)
        return st_error_set(err, ST_ERR_NOMEM, "bench: out of memory");
    size_t k = 0;
    argv[k++] = (char *)c->bin;
    argv[k++] = "count";
    argv[k++] = "--model";
    argv[k++] = (char *)c->model_path;
    argv[k++] = "--out";
    argv[k++] = (char *)out_dir;
    for (int r = 0; r < copies; r++)
        for (int i = 0; i < n; i++)
            argv[k++] = files[i];
    argv[k] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    double t0 = st_bench_now();
    int e = posix_spawn(&pid, c->bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    if (e != 0)
        return st_error_set(err, ST_ERR_IO, "bench: %s: cannot start: %s", c->bin,
                            strerror(e));
    int status;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        return st_error_set(err, ST_ERR_IO, "bench: %s: wait: %s", c->bin, strerror(errno));
    /* count exits 0, or 1 when some ballot needs people; both counted. */
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
        return st_error_set(err, ST_ERR_IO, "bench: %s count failed (status %d); see %s",
                            c->bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1, log);
    *seconds = st_bench_now() - t0;
    /* count reports its own peak (VmHWM). wait4's ru_maxrss would not do:
     * Linux carries the peak of the image that exec'd the child, here this
     * benchmark with its ballots in memory, into the child's figure. */
    (void)ru;
    *mib = 0;
    FILE *lf = fopen(log, "r");
    char line[512];
    while (lf && fgets(line, sizeof line, lf))
        if (sscanf(line, " peak memory %lf MiB", mib) == 1)
            break;
    if (lf)
        fclose(lf);
    if (*mib <= 0)
        return st_error_set(err, ST_ERR_IO, "bench: %s: no \"peak memory\" line in %s",
                            c->bin, log);
    return ST_OK;
}

static int st_tp_input_data(const st_model *m, const char *key, st_tiff_format f,
                            int dpi, int count, uint64_t seed, char *dir, size_t dirlen,
                            char ***files, double *synth_s, st_error *err)
{
    snprintf(dir, dirlen, "%s/%s-%d", ST_BENCH_DATA, st_tiff_format_name(f), dpi);
    st_synth_opts o;
    st_synth_opts_default(&o);
    o.count = count;
    o.seed = seed;
    o.dpi = dpi;
    o.format = f;
    o.degrade_level = st_tp_degrade_level;
    o.pages_per_file = 1;
    int made = 0;
    int rc = st_bench_ensure_data(m, &o, key, dir, &made, synth_s, err);
    if (rc != ST_OK)
        return rc;
    if (made)
        fprintf(stderr, "bench: drew %d ballots into %s in %.1f s\n", count, dir, *synth_s);
    int n = 0;
    rc = st_bench_list_tiffs(dir, files, &n, err);
    if (rc != ST_OK)
        return rc;
    if (n < count) {
        st_bench_paths_free(*files, n);
        return st_error_set(err, ST_ERR_IO,
                            "bench: %s: %d pages, expected %d; remove the folder", dir, n,
                            count);
    }
    for (int i = count; i < n; i++)
        free((*files)[i]);
    return ST_OK;
}

/* The resolution the pipeline decodes a page of this format at: JPEG pages
 * shrink while they keep settings.scan.jpeg_min_dpi (synth writes JPEG strips
 * of 64 rows, so they always stack). */
static int st_tp_read_dpi(const st_model *m, st_tiff_format f, int dpi)
{
    if (f != ST_TIFF_GREY_JPEG && f != ST_TIFF_RGB_JPEG)
        return dpi;
    return dpi * st_decode_jpeg_num(dpi, dpi, m->settings.jpeg_min_dpi, 64) / 8;
}

static int st_tp_measure(const st_tp_config *c, const st_model *m, const char *key,
                         int idx, int ncores, st_tp_result *r, st_error *err)
{
    const st_tp_input *in = &st_tp_inputs[idx];
    char dir[512], out[512];
    char **files = NULL;
    memset(r, 0, sizeof *r);
    int rc = st_tp_input_data(m, key, in->format, in->dpi, c->pages, st_tp_seed, dir,
                              sizeof dir, &files, &r->synth_s, err);
    if (rc != ST_OK)
        return rc;
    snprintf(out, sizeof out, "%s/%s-%d", ST_BENCH_OUT, st_tiff_format_name(in->format),
             in->dpi);
    st_tp_maps maps;
    st_image *scratch = calloc((size_t)ncores, sizeof *scratch);
    rc = st_tp_map(files, c->pages, &maps, err);
    if (rc == ST_OK && !scratch)
        rc = st_error_set(err, ST_ERR_NOMEM, "bench: out of memory");
    if (rc != ST_OK)
        goto out;
    const int threads[2] = {1, ncores};
    for (int t = 0; t < 2; t++)
        r->ceil_s[t] = r->pipe_s[t] = 1e300;
    /* Interleaved, so a burst of load on the machine hits both alike. */
    for (int rep = 0; rep < c->reps; rep++) {
        for (int t = 0; t < 2; t++) {
            double s = 0;
            int pages = 0;
            rc = st_tp_ceiling(&maps, files, threads[t], scratch, &s, &pages, err);
            if (rc != ST_OK)
                goto out;
            if (s < r->ceil_s[t])
                r->ceil_s[t] = s;
            r->pages = pages;
            st_batch_report br;
            rc = st_tp_pipeline(m, files, c->pages, threads[t], out, &br, err);
            if (rc != ST_OK)
                goto out;
            if (br.pages != pages) {
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "bench: %s: the pipeline read %d pages, the decoder %d",
                                  dir, br.pages, pages);
                goto out;
            }
            if (br.seconds < r->pipe_s[t]) {
                r->pipe_s[t] = br.seconds;
                if (t == 0)
                    r->rep1 = br;
            }
            r->rejected = (int)br.totals.rejected;
        }
    }
out:
    for (int t = 0; scratch && t < ncores; t++)
        free(scratch[t].px);
    free(scratch);
    st_tp_unmap(&maps);
    st_bench_paths_free(files, c->pages);
    return rc;
}

static void st_tp_usage(FILE *f)
{
    fputs("usage: throughput [--quick] [--pages N] [--reps N] [--model MODEL.json]\n"
          "                  [--bin STEMTEL] [--results FILE]\n"
          "Run from the repository root; writes the Throughput section of\n"
          "bench/RESULTS.md and prints the same tables.\n", f);
}

int main(int argc, char **argv)
{
    /* As the stemtel command does (cli/main.c): large per-page buffers
     * stay on the heap, so the pipeline is measured as it runs. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    st_tp_config c = {0};
    c.pages = 30;
    c.reps = 2;
    c.mem_pages = 100;
    c.mem_copies = 100;
    c.model_path = ST_BENCH_MODEL;
    c.bin = "build/default/stemtel";
    c.results = ST_BENCH_RESULTS;
    int pages_set = 0, results_set = 0;
    static const struct option longs[] = {
        {"quick", no_argument, NULL, 'q'},   {"pages", required_argument, NULL, 'p'},
        {"reps", required_argument, NULL, 'r'}, {"model", required_argument, NULL, 'm'},
        {"bin", required_argument, NULL, 'b'}, {"results", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'q': c.quick = 1; break;
        case 'p': c.pages = atoi(optarg); pages_set = 1; break;
        case 'r': c.reps = atoi(optarg); break;
        case 'm': c.model_path = optarg; break;
        case 'b': c.bin = optarg; break;
        case 'o': c.results = optarg; results_set = 1; break;
        case 'h': st_tp_usage(stdout); return 0;
        default: st_tp_usage(stderr); return 2;
        }
    }
    if (optind != argc || c.pages < 1 || c.reps < 1) {
        st_tp_usage(stderr);
        return 2;
    }
    if (c.quick) {
        /* Rough numbers must not replace the full tables kept in git. */
        if (!results_set)
            c.results = "build/bench/RESULTS-quick.md";
        if (!pages_set)
            c.pages = 6;
        c.mem_pages = 20;
        c.mem_copies = 10;
    }
    omp_set_dynamic(0);
    int ncores = omp_get_num_procs();
    double t_start = st_bench_now();

    st_error err = {0};
    st_model *m = NULL;
    st_bench_buf b = {0};
    st_tp_result res[ST_TP_N_INPUTS];
    char **mem_files = NULL;
    int status = 1;
    char key[65];
    if (st_model_load_checked(c.model_path, &m, &err) != ST_OK ||
        st_bench_source_key(c.model_path, key, &err) != ST_OK ||
        st_bench_mkdirs(ST_BENCH_OUT, &err) != ST_OK)
        goto fail;
    if (access(c.bin, X_OK) != 0) {
        st_error_set(&err, ST_ERR_IO, "bench: %s: not an executable (run `make` first): %s",
                     c.bin, strerror(errno));
        goto fail;
    }

    /* Quick mode reads the 200 dpi inputs only: the 300 dpi ones cost more
     * than the minute it has. */
    int n_inputs = c.quick ? ST_TP_N_INPUTS / 2 : ST_TP_N_INPUTS;
    for (int i = 0; i < n_inputs; i++) {
        fprintf(stderr, "bench: throughput %s %d dpi ...\n",
                st_tiff_format_name(st_tp_inputs[i].format), st_tp_inputs[i].dpi);
        if (st_tp_measure(&c, m, key, i, ncores, &res[i], &err) != ST_OK)
            goto fail;
    }

    /* Peak memory: one folder, then the same folder many times over. */
    char mem_dir[512];
    double mem_synth = 0;
    if (st_tp_input_data(m, key, ST_TIFF_BILEVEL_G4, 150, c.mem_pages, st_tp_mem_seed,
                         mem_dir, sizeof mem_dir, &mem_files, &mem_synth, &err) != ST_OK)
        goto fail;
    double mem_mib[2], mem_s[2];
    const int copies[2] = {1, c.mem_copies};
    for (int k = 0; k < 2; k++) {
        char out[512], log[512];
        snprintf(out, sizeof out, "%s/mem-%d", ST_BENCH_OUT, c.mem_pages * copies[k]);
        snprintf(log, sizeof log, "%s/mem-%d.log", ST_BENCH_OUT, c.mem_pages * copies[k]);
        fprintf(stderr, "bench: peak memory of count on %d pages ...\n",
                c.mem_pages * copies[k]);
        if (st_tp_peak_rss(&c, mem_files, c.mem_pages, copies[k], out, log, &mem_mib[k],
                           &mem_s[k], &err) != ST_OK)
            goto fail;
    }

    /* The tables. */
    st_bench_printf(&b, "## Throughput\n\n");
    st_bench_describe(&b, argc, argv);
    st_bench_printf(&b,
                    "A3 ballots (%s), synth's default mix at degrade level %.1f, %d pages per "
                    "input, fastest of %d runs; n = %d threads (every core).%s\n\n",
                    c.model_path, st_tp_degrade_level, c.pages, c.reps, ncores,
                    c.quick ? " Quick mode: 200 dpi only, few pages; the numbers are rough."
                            : "");
    st_bench_printf(&b, "### Pages per second\n\n"
                        "*read at*: the resolution the pipeline decodes the page at; JPEG "
                        "pages are read at a reduced scale down to settings.scan.jpeg_min_dpi "
                        "(%d), while the ceiling decodes every pixel, so there the ratio can "
                        "pass 1. Grey JPEG pages go to libjpeg directly at any scale, without "
                        "libtiff's strip buffer that the ceiling pays for.\n\n"
                        "| format | dpi | read at | ceiling 1T | pipeline 1T | ratio 1T | ceiling %dT | "
                        "pipeline %dT | ratio %dT | pipeline speedup %dT/1T | rejected |\n"
                        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
                    m->settings.jpeg_min_dpi,
                    ncores, ncores, ncores, ncores);
    for (int i = 0; i < n_inputs; i++) {
        st_tp_result *r = &res[i];
        double c1 = r->pages / r->ceil_s[0], cn = r->pages / r->ceil_s[1];
        double p1 = r->pages / r->pipe_s[0], pn = r->pages / r->pipe_s[1];
        st_bench_printf(&b, "| %s | %d | %d | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f | %.2f | %d |\n",
                        st_tiff_format_name(st_tp_inputs[i].format), st_tp_inputs[i].dpi,
                        st_tp_read_dpi(m, st_tp_inputs[i].format, st_tp_inputs[i].dpi), c1,
                        p1, p1 / c1, cn, pn, pn / cn, pn / p1, r->rejected);
    }
    st_bench_printf(&b, "\n### Time per page by stage, 1 thread (ms)\n\n"
                        "decode+ink is the pipeline's whole decode (libtiff or libjpeg, the "
                        "ink conversion, and the shrink to the ~50 dpi image registration "
                        "uses, made while the rows are in cache); the ceiling column is "
                        "libtiff alone on the same pages. open = reading and "
                        "hashing the file, output = writing ballots.jsonl and the tally "
                        "(both serial); wall = the batch's seconds per page; setup = what "
                        "the stages leave of the wall, once per batch (ms per batch, "
                        "mostly scoring the blank ballot).\n\n"
                        "| format | dpi | open | decode+ink | (ceiling) | register | score | "
                        "interpret | output | sum | wall | setup per batch |\n"
                        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < n_inputs; i++) {
        st_tp_result *r = &res[i];
        const st_batch_report *q = &r->rep1;
        double k = 1000.0 / (q->pages ? q->pages : 1);
        double sum = q->t_open + q->t_decode + q->t_register + q->t_score + q->t_interpret +
                     q->t_output;
        st_bench_printf(&b,
                        "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f | "
                        "%.1f | %.0f |\n",
                        st_tiff_format_name(st_tp_inputs[i].format), st_tp_inputs[i].dpi,
                        q->t_open * k, q->t_decode * k, r->ceil_s[0] * 1000.0 / r->pages,
                        q->t_register * k, q->t_score * k, q->t_interpret * k,
                        q->t_output * k, sum * k, q->seconds * k,
                        (q->seconds - sum) * 1000.0);
    }
    st_bench_printf(&b,
                    "\n### Peak memory of `stemtel count` (%d threads, 150 dpi G4)\n\n"
                    "| pages | peak RSS (MiB) | seconds | pages/s |\n|--:|--:|--:|--:|\n"
                    "| %d | %.1f | %.1f | %.1f |\n| %d | %.1f | %.1f | %.1f |\n\n"
                    "The longer batch (the same %d-page folder given %d times) needs %.2f "
                    "times the memory of the short one.\n",
                    ncores, c.mem_pages, mem_mib[0], mem_s[0], c.mem_pages / mem_s[0],
                    c.mem_pages * c.mem_copies, mem_mib[1], mem_s[1],
                    c.mem_pages * c.mem_copies / mem_s[1], c.mem_pages, c.mem_copies,
                    mem_mib[1] / mem_mib[0]);
    st_bench_printf(&b, "\nThis run took %.0f s.\n", st_bench_now() - t_start);
    if (st_bench_publish(&b, NULL, c.results, "Throughput", &err) != ST_OK)
        goto fail;
    status = 0;
    goto done;
fail:
    fprintf(stderr, "throughput: %s\n", err.msg);
done:
    st_bench_paths_free(mem_files, mem_files ? c.mem_pages : 0);
    st_bench_buf_free(&b);
    st_model_free(m);
    return status;
}
