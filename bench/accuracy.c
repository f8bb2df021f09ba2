/* accuracy.c - how often the pipeline is wrong, and by how much it is right
 *
 * A grid of synth cells, each varying one factor around a base (200 dpi
 * RGB JPEG, synth's default mix of styles, instruments, scenarios and
 * degradations): each mark style alone, each instrument alone, each
 * degradation alone (and none), and each scanner format (G4, grey, grey
 * JPEG, RGB JPEG) at 200 and 300 dpi. Every cell is drawn once into build/bench/data/acc-<cell> with the
 * same seed, so cells differ only in the factor, and counted in-process
 * with st_batch_count. ballots.jsonl and truth.jsonl line up record for
 * record; per cell we report definite outcomes (vote, blank, invalid) that
 * differ from the truth, which must never happen, the review and reject
 * rates, and the box scores the thresholds sit between: the highest score
 * and faint share of a box nobody marked, and the lowest score of a mark
 * the truth says is clear in the written image. Exit status 1 when any
 * cell has a wrong definite outcome, after writing the table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <omp.h>

#include "stemtel/batch.h"
#include "stemtel/model.h"
#include "synth/synth.h"
#include "stemtel/tiffout.h"

#include "bench.h"

typedef struct st_acc_cell {
    const char *factor;      /* what this cell varies */
    const char *value;
    const char *styles;      /* synth's spelling, or NULL for the default mix */
    const char *instruments;
    const char *degrade;
    const char *format;
    int dpi;
    int quick;               /* part of the quick run */
} st_acc_cell;

/* Grey LZW and Deflate are left out: lossless, they decode to the very
 * pixels of uncompressed grey (the first runs gave identical rows), so they
 * would only spend the time budget; bench/throughput reads them. */
static const st_acc_cell st_acc_cells[] = {
    {"base", "", NULL, NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "fill", "fill", NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "partial", "partial", NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "x", "x", NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "check", "check", NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "stroke", "stroke", NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "circle", "circle", NULL, NULL, "rgb-jpeg", 200, 1},
    {"style", "dot", "dot", NULL, NULL, "rgb-jpeg", 200, 1},
    {"instrument", "red-pencil", NULL, "red-pencil", NULL, "rgb-jpeg", 200, 1},
    {"instrument", "blue-pen", NULL, "blue-pen", NULL, "rgb-jpeg", 200, 1},
    {"instrument", "black-pen", NULL, "black-pen", NULL, "rgb-jpeg", 200, 1},
    {"instrument", "faint", NULL, "faint", NULL, "rgb-jpeg", 200, 1},
    {"degrade", "none", NULL, NULL, "none", "rgb-jpeg", 200, 1},
    {"degrade", "rotate", NULL, NULL, "rotate", "rgb-jpeg", 200, 1},
    {"degrade", "shift", NULL, NULL, "shift", "rgb-jpeg", 200, 1},
    {"degrade", "scale", NULL, NULL, "scale", "rgb-jpeg", 200, 1},
    {"degrade", "upside-down", NULL, NULL, "upside-down", "rgb-jpeg", 200, 1},
    {"degrade", "noise", NULL, NULL, "noise", "rgb-jpeg", 200, 1},
    {"degrade", "blur", NULL, NULL, "blur", "rgb-jpeg", 200, 1},
    {"degrade", "streak", NULL, NULL, "streak", "rgb-jpeg", 200, 1},
    {"degrade", "fold", NULL, NULL, "fold", "rgb-jpeg", 200, 1},
    {"degrade", "stray", NULL, NULL, "stray", "rgb-jpeg", 200, 1},
    {"degrade", "jpeg", NULL, NULL, "jpeg", "rgb-jpeg", 200, 1},
    {"format", "g4", NULL, NULL, NULL, "g4", 200, 1},
    {"format", "grey", NULL, NULL, NULL, "grey", 200, 1},
    {"format", "grey-jpeg", NULL, NULL, NULL, "grey-jpeg", 200, 1},
    {"format", "g4", NULL, NULL, NULL, "g4", 300, 0},
    {"format", "grey", NULL, NULL, NULL, "grey", 300, 0},
    {"format", "grey-jpeg", NULL, NULL, NULL, "grey-jpeg", 300, 0},
    {"format", "rgb-jpeg", NULL, NULL, NULL, "rgb-jpeg", 300, 1},
    /* JPEG pages at 300 dpi are read at half size (settings.scan.
     * jpeg_min_dpi = 150): the hardest marks and damage again there. */
    {"style", "stroke", "stroke", NULL, NULL, "rgb-jpeg", 300, 0},
    {"style", "dot", "dot", NULL, NULL, "rgb-jpeg", 300, 0},
    {"instrument", "red-pencil", NULL, "red-pencil", NULL, "rgb-jpeg", 300, 0},
    {"instrument", "faint", NULL, "faint", NULL, "rgb-jpeg", 300, 1},
    {"degrade", "blur", NULL, NULL, "blur", "rgb-jpeg", 300, 0},
    {"degrade", "streak", NULL, NULL, "streak", "rgb-jpeg", 300, 0},
    {"degrade", "fold", NULL, NULL, "fold", "rgb-jpeg", 300, 0},
};
#define ST_ACC_N_CELLS (int)(sizeof st_acc_cells / sizeof *st_acc_cells)

/* One seed for every cell, so two cells differ only in their factor. */
static const uint64_t st_acc_seed = 4242;
/* Wrong outcomes listed under the table (all go to stderr). */
enum { ST_ACC_LIST_WRONG = 20 };

typedef struct st_acc_stats {
    int n, wrong, review, expected_review, rejected;
    double empty_max_score, empty_max_faint; /* -1: no such box */
    double clear_min_score;                  /* 2: no such mark */
    int clear_marks;
    double seconds_count, seconds_synth;
} st_acc_stats;

static void st_acc_cell_name(const st_acc_cell *c, char *buf, size_t n)
{
    if (strcmp(c->factor, "format") == 0)
        snprintf(buf, n, "format-%s-%d", c->value, c->dpi);
    else if (c->value[0] && c->dpi != 200)
        snprintf(buf, n, "%s-%s-%d", c->factor, c->value, c->dpi);
    else if (c->value[0])
        snprintf(buf, n, "%s-%s", c->factor, c->value);
    else
        snprintf(buf, n, "%s", c->factor);
}

/* Integer member, or -1 when missing or null. */
static int st_acc_int(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return -1;
    return json_object_get_int(v);
}

static const char *st_acc_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v ||
        !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

static int st_acc_definite(const char *outcome)
{
    return !strcmp(outcome, "vote") || !strcmp(outcome, "blank") ||
           !strcmp(outcome, "invalid");
}

/* Describe an outcome for the wrong-outcome list: "vote 5/2", "blank". */
static void st_acc_outcome(char *buf, size_t n, const char *outcome, int list, int cand)
{
    if (!strcmp(outcome, "vote"))
        snprintf(buf, n, "vote %d/%d", list, cand);
    else
        snprintf(buf, n, "%s", outcome);
}

/* Compare the first s->n records of truth and ballots; wrong outcomes are
 * printed to stderr and, while there is room, appended to wrong_list. */
static int st_acc_compare(const char *truth_path, const char *ballots_path,
                          const char *cell, st_acc_stats *s, st_bench_buf *wrong_list,
                          int *listed, st_error *err)
{
    FILE *ft = fopen(truth_path, "r");
    FILE *fb = fopen(ballots_path, "r");
    char *lt = NULL, *lb = NULL;
    size_t ct = 0, cb = 0;
    json_object *jt = NULL, *jb = NULL;
    int rc = ST_OK;
    if (!ft || !fb) {
        rc = st_error_set(err, ST_ERR_IO, "bench: %s: cannot open: %s",
                          ft ? ballots_path : truth_path, strerror(errno));
        goto out;
    }
    s->empty_max_score = s->empty_max_faint = -1;
    s->clear_min_score = 2;
    for (int i = 0; i < s->n; i++) {
        if (getline(&lt, &ct, ft) < 0 || getline(&lb, &cb, fb) < 0) {
            rc = st_error_set(err, ST_ERR_PARSE, "bench: %s or %s ends before record %d",
                              truth_path, ballots_path, i + 1);
            goto out;
        }
        json_object_put(jt);
        json_object_put(jb);
        jt = json_tokener_parse(lt);
        jb = json_tokener_parse(lb);
        if (!jt || !jb) {
            rc = st_error_set(err, ST_ERR_PARSE, "bench: %s: line %d is not JSON",
                              jt ? ballots_path : truth_path, i + 1);
            goto out;
        }
        const char *tfile = st_acc_str(jt, "file");
        const char *bfile = st_acc_str(jb, "file");
        const char *base = strrchr(bfile, '/');
        base = base ? base + 1 : bfile;
        if (strcmp(base, tfile) != 0 || st_acc_int(jt, "page") != st_acc_int(jb, "page")) {
            rc = st_error_set(err, ST_ERR_INVALID,
                              "bench: %s line %d is %s page %d but %s has %s page %d",
                              ballots_path, i + 1, bfile, st_acc_int(jb, "page"),
                              truth_path, tfile, st_acc_int(jt, "page"));
            goto out;
        }
        json_object *exp = NULL, *marks = NULL, *boxes = NULL;
        json_object_object_get_ex(jt, "expected", &exp);
        json_object_object_get_ex(jt, "marks", &marks);
        json_object_object_get_ex(jb, "boxes", &boxes);
        const char *want = exp ? st_acc_str(exp, "outcome") : "";
        int wl = exp ? st_acc_int(exp, "list") : -1, wc = exp ? st_acc_int(exp, "candidate") : -1;
        const char *got = st_acc_str(jb, "outcome");
        int gl = st_acc_int(jb, "list"), gc = st_acc_int(jb, "candidate");

        if (!strcmp(want, "review"))
            s->expected_review++;
        if (!strcmp(got, "review"))
            s->review++;
        if (!strcmp(got, "rejected")) {
            s->rejected++;
            continue; /* no boxes worth comparing on a refused page */
        }
        /* A borderline ballot belongs in review, but the truth names one
         * definite reading that is also right. */
        json_object *alt = NULL;
        if (exp && !strcmp(want, "review") && st_acc_definite(got) &&
            json_object_object_get_ex(exp, "if_definite", &alt) && alt) {
            want = st_acc_str(alt, "outcome");
            wl = st_acc_int(alt, "list");
            wc = st_acc_int(alt, "candidate");
        }
        if (st_acc_definite(got) &&
            (strcmp(got, want) != 0 || (!strcmp(got, "vote") && (gl != wl || gc != wc)))) {
            char a[64], b[64];
            st_acc_outcome(a, sizeof a, want, wl, wc);
            st_acc_outcome(b, sizeof b, got, gl, gc);
            s->wrong++;
            fprintf(stderr, "accuracy: %s: %s: expected %s, counted %s\n", cell, tfile, a, b);
            if (*listed < ST_ACC_LIST_WRONG)
                st_bench_printf(wrong_list, "- %s `%s`: expected %s, counted %s\n", cell,
                                tfile, a, b);
            (*listed)++;
        }

        size_t nm = marks ? json_object_array_length(marks) : 0;
        size_t nb = boxes ? json_object_array_length(boxes) : 0;
        for (size_t k = 0; k < nb; k++) {
            json_object *bx = json_object_array_get_idx(boxes, k), *v;
            const char *id = st_acc_str(bx, "id");
            double score = json_object_object_get_ex(bx, "score", &v) ? json_object_get_double(v) : 0;
            double faint = json_object_object_get_ex(bx, "faint", &v) ? json_object_get_double(v) : 0;
            json_object *mark = NULL;
            for (size_t j = 0; j < nm && !mark; j++) {
                json_object *mk = json_object_array_get_idx(marks, j);
                if (!strcmp(st_acc_str(mk, "target"), id))
                    mark = mk;
            }
            if (!mark) {
                if (score > s->empty_max_score)
                    s->empty_max_score = score;
                if (faint > s->empty_max_faint)
                    s->empty_max_faint = faint;
                continue;
            }
            /* What the written image shows when synth says so, else what
             * was drawn. */
            const char *seen = st_acc_str(mark, "seen");
            if (!seen[0])
                seen = st_acc_str(mark, "clarity");
            if (!strcmp(seen, "clear")) {
                s->clear_marks++;
                if (score < s->clear_min_score)
                    s->clear_min_score = score;
            }
        }
    }
out:
    json_object_put(jt);
    json_object_put(jb);
    free(lt);
    free(lb);
    if (ft)
        fclose(ft);
    if (fb)
        fclose(fb);
    return rc;
}

static int st_acc_run_cell(const st_model *m, const char *key, const st_acc_cell *c,
                           int count, st_acc_stats *s, st_bench_buf *wrong_list,
                           int *listed, st_error *err)
{
    char name[128], dir[512], out[512], truth[600], ballots[600];
    st_acc_cell_name(c, name, sizeof name);
    snprintf(dir, sizeof dir, "%s/acc-%s", ST_BENCH_DATA, name);
    snprintf(out, sizeof out, "%s/acc-%s", ST_BENCH_OUT, name);
    snprintf(truth, sizeof truth, "%s/truth.jsonl", dir);
    snprintf(ballots, sizeof ballots, "%s/ballots.jsonl", out);
    memset(s, 0, sizeof *s);

    st_synth_opts o;
    st_synth_opts_default(&o);
    o.count = count;
    o.seed = st_acc_seed;
    o.dpi = c->dpi;
    o.pages_per_file = 1;
    if (st_tiff_format_parse(c->format, &o.format, err) != ST_OK ||
        (c->styles && st_synth_parse_set("styles", c->styles, &o.styles, err) != ST_OK) ||
        (c->instruments &&
         st_synth_parse_set("instruments", c->instruments, &o.instruments, err) != ST_OK) ||
        (c->degrade &&
         st_synth_parse_set("degradations", c->degrade, &o.degradations, err) != ST_OK))
        return st_error_prefix(err, "bench: cell %s", name);
    int made = 0;
    int rc = st_bench_ensure_data(m, &o, key, dir, &made, &s->seconds_synth, err);
    if (rc != ST_OK)
        return rc;
    if (made)
        fprintf(stderr, "bench: drew %d ballots into %s in %.1f s\n", count, dir,
                s->seconds_synth);

    char **files = NULL;
    int n = 0;
    rc = st_bench_list_tiffs(dir, &files, &n, err);
    if (rc != ST_OK)
        return rc;
    if (n < count) {
        st_bench_paths_free(files, n);
        return st_error_set(err, ST_ERR_IO,
                            "bench: %s: %d pages, expected %d; remove the folder", dir, n,
                            count);
    }
    st_batch_opts bo = {0};
    bo.model = m;
    bo.out_dir = out;
    bo.threads = 0;
    st_batch_report rep;
    memset(&rep, 0, sizeof rep);
    rc = st_batch_count(&bo, files, count, &rep, NULL, err);
    st_bench_paths_free(files, n);
    if (rc != ST_OK)
        return st_error_prefix(err, "bench: counting %s", dir);
    s->seconds_count = rep.seconds;
    s->n = count;
    return st_acc_compare(truth, ballots, name, s, wrong_list, listed, err);
}

static void st_acc_usage(FILE *f)
{
    fputs("usage: accuracy [--quick] [--ballots N] [--model MODEL.json] [--results FILE]\n"
          "Run from the repository root; writes the Accuracy section of\n"
          "bench/RESULTS.md and prints the same table. Exit 1 when any ballot\n"
          "got a wrong definite outcome.\n", f);
}

/* A score for the table, or "-" when there was no such box. */
static const char *st_acc_fmt(char *buf, size_t n, double v, double none)
{
    if (v == none)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.4f", v);
    return buf;
}

int main(int argc, char **argv)
{
    int quick = 0, count = 120, count_set = 0, results_set = 0;
    const char *model_path = ST_BENCH_MODEL, *results = ST_BENCH_RESULTS;
    static const struct option longs[] = {
        {"quick", no_argument, NULL, 'q'},     {"ballots", required_argument, NULL, 'n'},
        {"model", required_argument, NULL, 'm'}, {"results", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'q': quick = 1; break;
        case 'n': count = atoi(optarg); count_set = 1; break;
        case 'm': model_path = optarg; break;
        case 'o': results = optarg; results_set = 1; break;
        case 'h': st_acc_usage(stdout); return 0;
        default: st_acc_usage(stderr); return 2;
        }
    }
    if (optind != argc || count < 1) {
        st_acc_usage(stderr);
        return 2;
    }
    if (quick && !count_set)
        count = 12;
    /* Rough numbers must not replace the full tables kept in git. */
    if (quick && !results_set)
        results = "build/bench/RESULTS-quick.md";
    double t_start = st_bench_now();

    st_error err = {0};
    st_model *m = NULL;
    st_bench_buf b = {0}, wrong = {0};
    st_acc_stats stats[ST_ACC_N_CELLS];
    int status = 2, listed = 0, total_wrong = 0;
    char key[65];
    if (st_model_load_checked(model_path, &m, &err) != ST_OK ||
        st_bench_source_key(model_path, key, &err) != ST_OK ||
        st_bench_mkdirs(ST_BENCH_OUT, &err) != ST_OK)
        goto fail;

    for (int i = 0; i < ST_ACC_N_CELLS; i++) {
        if (quick && !st_acc_cells[i].quick)
            continue;
        char name[128];
        st_acc_cell_name(&st_acc_cells[i], name, sizeof name);
        fprintf(stderr, "bench: accuracy %s ...\n", name);
        if (st_acc_run_cell(m, key, &st_acc_cells[i], count, &stats[i], &wrong, &listed,
                            &err) != ST_OK)
            goto fail;
        total_wrong += stats[i].wrong;
    }

    st_bench_printf(&b, "## Accuracy\n\n");
    st_bench_describe(&b, argc, argv);
    st_bench_printf(&b,
                    "%d ballots per cell (%s), seed %llu, %d threads. Each cell varies one "
                    "factor around the base: 200 dpi rgb-jpeg with synth's default mix of "
                    "styles, instruments, scenarios and degradations (degrade level 0.5). "
                    "Thresholds of the model: marked at score >= %.3f (definite), empty at "
                    "faint share < %.3f (marginal).%s\n\n",
                    count, model_path, (unsigned long long)st_acc_seed, omp_get_num_procs(),
                    m->settings.definite, m->settings.marginal,
                    quick ? " Quick mode: fewer cells and ballots; the rates are rough." : "");
    st_bench_printf(&b,
                    "| cell | format | dpi | ballots | wrong | review %% (expected) | "
                    "rejected %% | empty box max score | empty box max faint | clear mark "
                    "min score | count s |\n"
                    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < ST_ACC_N_CELLS; i++) {
        const st_acc_cell *c = &st_acc_cells[i];
        if (quick && !c->quick)
            continue;
        const st_acc_stats *s = &stats[i];
        char name[128], a[32], f[32], k[32];
        if (c->value[0])
            snprintf(name, sizeof name, "%s = %s", c->factor, c->value);
        else
            snprintf(name, sizeof name, "%s", c->factor);
        st_bench_printf(&b,
                        "| %s | %s | %d | %d | %s%d%s | %.1f (%.1f) | %.1f | %s | %s | %s | "
                        "%.1f |\n",
                        name, c->format, c->dpi, s->n, s->wrong ? "**" : "", s->wrong,
                        s->wrong ? "**" : "", 100.0 * s->review / s->n,
                        100.0 * s->expected_review / s->n, 100.0 * s->rejected / s->n,
                        st_acc_fmt(a, sizeof a, s->empty_max_score, -1),
                        st_acc_fmt(f, sizeof f, s->empty_max_faint, -1),
                        st_acc_fmt(k, sizeof k, s->clear_min_score, 2), s->seconds_count);
    }
    if (total_wrong) {
        st_bench_printf(&b, "\n%d wrong definite outcome%s", total_wrong,
                        total_wrong == 1 ? "" : "s");
        if (listed > ST_ACC_LIST_WRONG)
            st_bench_printf(&b, " (the first %d)", ST_ACC_LIST_WRONG);
        st_bench_printf(&b, ":\n\n%s", wrong.s ? wrong.s : "");
    } else {
        st_bench_printf(&b, "\nNo wrong definite outcome.\n");
    }
    st_bench_printf(&b, "\nThis run took %.0f s.\n", st_bench_now() - t_start);
    if (b.failed || wrong.failed) {
        st_error_set(&err, ST_ERR_NOMEM, "bench: out of memory building the table");
        goto fail;
    }
    fputs(b.s, stdout);
    fflush(stdout);
    if (st_bench_write_section(results, "Accuracy", b.s, &err) != ST_OK)
        goto fail;
    fprintf(stderr, "bench: wrote the Accuracy section of %s\n", results);
    status = total_wrong ? 1 : 0;
    if (total_wrong)
        fprintf(stderr, "accuracy: %d wrong definite outcome%s (listed above)\n", total_wrong,
                total_wrong == 1 ? "" : "s");
    goto done;
fail:
    fprintf(stderr, "accuracy: %s\n", err.msg);
done:
    st_bench_buf_free(&b);
    st_bench_buf_free(&wrong);
    st_model_free(m);
    return status;
}
