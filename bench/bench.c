/* bench.c - what the two benchmarks share
 *
 * The synth cache: a folder per input set with a one-line stamp holding
 * every synth option that shapes the pages and a SHA-256 of the model and
 * of the synth, mark, render and TIFF-writer sources. A matching stamp
 * means the pages are what a fresh synth would draw, so they are reused;
 * anything else empties the folder and draws again. The stamp is written
 * last, so an interrupted draw is never taken for a finished one.
 *
 * RESULTS.md is rewritten whole from its sections: each benchmark replaces
 * only its own, so running one binary keeps the other's last table.
 */
#include "bench.h"

#include "stemtel/batch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "stemtel/sha256.h"
#include "stemtel/tiffout.h"

/* The sources whose edits change synth's pixels or truth. */
static const char *const st_bench_synth_sources[] = {
    "tools/synth/synth.c", "tools/synth/marks.c", "tools/synth/marks.h", "src/model/render.c",
    "src/util/tiffout.c", "tools/synth/rng.c", "src/model/layout.c",
    "tools/synth/synth.h", "tools/synth/plan.c", "tools/synth/plan.h",
    "tools/synth/degrade.c", "tools/synth/draw.c", "tools/synth/truth.c",
    "tools/synth/votes.c", "src/engine/score.c", "src/model/eml510.c",
    "src/model/emlxml.c",
};

void st_bench_printf(st_bench_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void st_bench_buf_free(st_bench_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

double st_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int st_bench_mkdirs(const char *path, st_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return st_error_set(err, ST_ERR_IO, "bench: %s: path too long", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return st_error_set(err, ST_ERR_IO, "bench: %s: cannot create: %s",
                                    tmp, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return ST_OK;
}

/* Whole file into a NUL-terminated buffer, or NULL. */
static char *st_bench_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536 * 2;
            char *t = realloc(s, cap + 1);
            if (!t) {
                free(s);
                fclose(f);
                return NULL;
            }
            s = t;
        }
        size_t r = fread(s + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

int st_bench_source_key(const char *model_path, char key[65], st_error *err)
{
    size_t n_src = sizeof st_bench_synth_sources / sizeof *st_bench_synth_sources;
    /* Hash of the concatenated per-file hashes: cheap and order-stable. */
    uint8_t all[(1 + sizeof st_bench_synth_sources / sizeof *st_bench_synth_sources)
                * ST_SHA256_LEN];
    memset(all, 0, sizeof all);
    size_t len;
    char *text = st_bench_slurp(model_path, &len);
    if (!text)
        return st_error_set(err, ST_ERR_IO, "bench: %s: cannot read: %s",
                            model_path, strerror(errno));
    st_sha256(text, len, all);
    free(text);
    for (size_t i = 0; i < n_src; i++) {
        text = st_bench_slurp(st_bench_synth_sources[i], &len);
        if (text) {
            st_sha256(text, len, all + (i + 1) * ST_SHA256_LEN);
            free(text);
        }
    }
    uint8_t d[ST_SHA256_LEN];
    st_sha256(all, sizeof all, d);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < ST_SHA256_LEN; i++) {
        key[2 * i] = hex[d[i] >> 4];
        key[2 * i + 1] = hex[d[i] & 15];
    }
    key[64] = '\0';
    return ST_OK;
}

/* Remove the regular files of dir (not subfolders): a cache being redrawn
 * must not keep pages of an older, longer run. */
static int st_bench_empty_dir(const char *dir, st_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? ST_OK
                               : st_error_set(err, ST_ERR_IO, "bench: %s: cannot open: %s",
                                              dir, strerror(errno));
    struct dirent *e;
    char path[4096];
    int rc = ST_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) != 0) {
            rc = st_error_set(err, ST_ERR_IO, "bench: %s: cannot remove: %s", path,
                              strerror(errno));
            break;
        }
    }
    closedir(d);
    return rc;
}

int st_bench_ensure_data(const st_model *m, const st_synth_opts *o,
                         const char *key, const char *dir, int *made,
                         double *seconds, st_error *err)
{
    char stamp_path[4096], want[1024];
    snprintf(stamp_path, sizeof stamp_path, "%s/stamp", dir);
    /* The count leads the stamp and is compared apart: ballot i depends only
     * on (seed, i), so the first n pages of a longer run are exactly what a
     * run of n would draw, and a quick run can use a full run's cache;
     * not with rescans, whose places depend on the count. */
    snprintf(want, sizeof want,
             "seed=%llu dpi=%d format=%s quality=%d ppf=%d styles=%x "
             "instruments=%x scenarios=%x degradations=%x level=%.4f rescans=%d "
             "vote=%d:%d src=%s\n",
             (unsigned long long)o->seed, o->dpi,
             st_tiff_format_name(o->format), o->jpeg_quality, o->pages_per_file,
             o->styles, o->instruments, o->scenarios, o->degradations,
             o->degrade_level, o->rescans, o->vote_list, o->vote_candidate, key);
    if (made)
        *made = 0;
    if (seconds)
        *seconds = 0;
    char *have = st_bench_slurp(stamp_path, NULL);
    int have_count = 0, used = 0;
    int same = have && sscanf(have, "count=%d %n", &have_count, &used) == 1 && used > 0
               && strcmp(have + used, want) == 0 &&
               (o->rescans ? have_count == o->count : have_count >= o->count);
    free(have);
    if (same)
        return ST_OK;

    int rc = st_bench_mkdirs(dir, err);
    if (rc == ST_OK)
        rc = st_bench_empty_dir(dir, err);
    if (rc != ST_OK)
        return rc;
    double t0 = st_bench_now();
    rc = st_synth_run(m, o, dir, NULL, err);
    if (rc != ST_OK)
        return st_error_prefix(err, "bench: synth into %s", dir);
    FILE *f = fopen(stamp_path, "w");
    if (!f || fprintf(f, "count=%d %s", o->count, want) < 0 || fclose(f) != 0)
        return st_error_set(err, ST_ERR_IO, "bench: %s: cannot write: %s", stamp_path,
                            strerror(errno));
    if (made)
        *made = 1;
    if (seconds)
        *seconds = st_bench_now() - t0;
    return ST_OK;
}

static int st_bench_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int st_bench_list_tiffs(const char *dir, char ***paths, int *n, st_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return st_error_set(err, ST_ERR_IO, "bench: %s: cannot open: %s", dir,
                            strerror(errno));
    char **v = NULL;
    int cnt = 0, cap = 0, rc = ST_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".tif") != 0)
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **t = realloc(v, (size_t)cap * sizeof *v);
            if (!t) {
                rc = st_error_set(err, ST_ERR_NOMEM, "bench: %s: out of memory", dir);
                break;
            }
            v = t;
        }
        size_t pl = strlen(dir) + l + 2;
        if (!(v[cnt] = malloc(pl))) {
            rc = st_error_set(err, ST_ERR_NOMEM, "bench: %s: out of memory", dir);
            break;
        }
        snprintf(v[cnt++], pl, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc != ST_OK) {
        st_bench_paths_free(v, cnt);
        return rc;
    }
    if (cnt)
        qsort(v, (size_t)cnt, sizeof *v, st_bench_cmp_str);
    *paths = v;
    *n = cnt;
    return ST_OK;
}

void st_bench_paths_free(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

void st_bench_describe(st_bench_buf *b, int argc, char **argv)
{
    time_t now = time(NULL);
    struct tm tm;
    char date[64] = "?";
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
    struct utsname u;
    char un[512] = "?";
    if (uname(&u) == 0)
        snprintf(un, sizeof un, "%s %s %s", u.sysname, u.release, u.machine);
    char cpu[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ' || *c == '\t')
                        c++;
                    c[strcspn(c, "\n")] = '\0';
                    snprintf(cpu, sizeof cpu, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    /* Other work on a shared machine skews every rate; the load average
     * (which includes this benchmark's own threads) tells the reader. */
    char load[128] = "?";
    f = fopen("/proc/loadavg", "r");
    if (f) {
        double l1, l5, l15;
        if (fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
            snprintf(load, sizeof load, "%.2f %.2f %.2f", l1, l5, l15);
        fclose(f);
    }
    st_bench_printf(b,
                    "- date: %s\n- machine: `%s`, %s, %d cores; load average at the end "
                    "(1, 5, 15 min, this run included): %s\n- command: `",
                    date, un, cpu, omp_get_num_procs(), load);
    for (int i = 0; i < argc; i++)
        st_bench_printf(b, "%s%s", i ? " " : "", argv[i]);
    st_bench_printf(b, "`\n\n");
}

/* Title of the section starting at s ("## Title\n..."), into t. */
static void st_bench_title(const char *s, char *t, size_t n)
{
    s += 3;
    size_t l = strcspn(s, "\n");
    if (l >= n)
        l = n - 1;
    memcpy(t, s, l);
    t[l] = '\0';
    while (l && t[l - 1] == ' ')
        t[--l] = '\0';
}

int st_bench_write_section(const char *path, const char *title,
                           const char *body, st_error *err)
{
    char *old = st_bench_slurp(path, NULL);
    /* Sections start at lines beginning "## "; the preamble is ours. */
    enum { MAX_SEC = 32 };
    const char *start[MAX_SEC];
    size_t len[MAX_SEC];
    int ns = 0;
    if (old) {
        for (const char *p = old; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
            if (strncmp(p, "## ", 3) == 0 && ns < MAX_SEC)
                start[ns++] = p;
        for (int i = 0; i < ns; i++)
            len[i] = (i + 1 < ns ? (size_t)(start[i + 1] - start[i]) : strlen(start[i]));
    }
    static const char *const order[] = {"Throughput", "Accuracy", "Rescans",
                                        "Rescans, seed 13", "Hostile input", "Screens", "Desk"};
    enum { N_ORDER = (int)(sizeof order / sizeof *order) };
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(old);
        return st_error_set(err, ST_ERR_IO, "bench: %s: cannot write: %s", tmp,
                            strerror(errno));
    }
    fputs("# stemtel benchmark results\n\n"
          "Written by `make bench` (bench/throughput, bench/accuracy, bench/rescan, "
          "bench/hostile and bench/serve); "
          "bench/README.md says what each column means.\n\n", f);
    char t[256];
    for (int k = 0; k < N_ORDER; k++) {
        if (strcmp(order[k], title) == 0) {
            fputs(body, f);
            if (body[0] && body[strlen(body) - 1] != '\n')
                fputc('\n', f);
            fputc('\n', f);
            continue;
        }
        for (int i = 0; i < ns; i++) {
            st_bench_title(start[i], t, sizeof t);
            if (strcmp(t, order[k]) == 0) {
                /* Trim trailing blank lines, then one blank line. */
                size_t l = len[i];
                while (l && start[i][l - 1] == '\n')
                    l--;
                fwrite(start[i], 1, l, f);
                fputs("\n\n", f);
                break;
            }
        }
    }
    for (int i = 0; i < ns; i++) {
        st_bench_title(start[i], t, sizeof t);
        int known = !strcmp(t, title);
        for (int k = 0; k < N_ORDER; k++)
            known |= !strcmp(t, order[k]);
        if (!known)
            fwrite(start[i], 1, len[i], f);
    }
    /* A section of no place in the order (a bench run with other
     * options) goes last. */
    int placed = 0;
    for (int k = 0; k < N_ORDER; k++)
        placed |= !strcmp(order[k], title);
    if (!placed) {
        fputs(body, f);
        if (body[0] && body[strlen(body) - 1] != '\n')
            fputc('\n', f);
    }
    free(old);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return st_error_set(err, ST_ERR_IO, "bench: %s: cannot write: %s", path,
                            strerror(errno));
    }
    return ST_OK;
}

int st_bench_publish(const st_bench_buf *b, const st_bench_buf *also, const char *results,
                     const char *title, st_error *err)
{
    if (b->failed || (also && also->failed))
        return st_error_set(err, ST_ERR_NOMEM, "bench: out of memory building the table");
    fputs(b->s, stdout);
    fflush(stdout);
    int rc = st_bench_write_section(results, title, b->s, err);
    if (rc == ST_OK)
        fprintf(stderr, "bench: wrote the %s section of %s\n", title, results);
    return rc;
}

const char *st_bench_pct(char *buf, size_t n, double part, double whole, int decimals)
{
    if (whole <= 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f", decimals, 100.0 * part / whole);
    return buf;
}

int st_bench_draw_and_count(const st_model *m, const st_synth_opts *o, const char *key,
                            const char *dir, const char *out, double *synth_s,
                            double *count_s, st_error *err)
{
    int made = 0;
    double secs = 0;
    int rc = st_bench_ensure_data(m, o, key, dir, &made, &secs, err);
    if (rc != ST_OK)
        return rc;
    if (synth_s)
        *synth_s = secs;
    if (made)
        fprintf(stderr, "bench: drew %d ballots into %s in %.1f s\n", o->count, dir, secs);
    char **files = NULL;
    int n = 0;
    if ((rc = st_bench_list_tiffs(dir, &files, &n, err)) != ST_OK)
        return rc;
    if (n < o->count) {
        st_bench_paths_free(files, n);
        return st_error_set(err, ST_ERR_IO,
                            "bench: %s: %d pages, expected %d; remove the folder", dir, n,
                            o->count);
    }
    st_batch_opts bo = {0};
    bo.model = m;
    bo.out_dir = out;
    bo.threads = 0;
    st_batch_report rep;
    memset(&rep, 0, sizeof rep);
    rc = st_batch_count(&bo, files, o->count, &rep, NULL, err);
    st_bench_paths_free(files, n);
    if (rc != ST_OK)
        return st_error_prefix(err, "bench: counting %s", dir);
    *count_s = rep.seconds;
    return ST_OK;
}
