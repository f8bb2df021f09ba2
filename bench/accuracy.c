/* accuracy.c - how often the pipeline is wrong, and by how much it is right
 *
 * A grid of synth cells, each varying one factor around a base (200 dpi
 * RGB JPEG, synth's default mix of styles, instruments, scenarios and
 * degradations at level 0.5, the GR2022 model): each mark style alone,
 * each instrument alone, each degradation alone (and none), the mild and
 * heavy degrade levels (0.3, 1), the TK2025 model (also with its registration
 * marks removed: pages placed by the box grid alone), and each scanner format
 * (G4, grey, grey JPEG, RGB, RGB JPEG) at 200 and 300 dpi. Every cell is
 * drawn once into build/bench/data/acc-<cell> with the same seed, so cells
 * differ only in the factor, and counted in-process with st_batch_count.
 * ballots.jsonl and truth.jsonl line up record for record. Per cell, with
 * the definitions of tests/test_accuracy.c (ambiguous: the truth expects
 * review): definite outcomes that differ from the truth (or from its
 * if_definite on a borderline ballot) and proposals that do, which must
 * never happen; the review and reject rates of the unambiguous ballots and
 * of the ambiguous ones, which must all be in review (or get exactly
 * if_definite); the share of ballots with writing sent to review; and the
 * box scores the thresholds sit between: the highest score and faint share
 * of a box nobody marked, and the lowest score of a mark the truth says is
 * clear in the written image. Exit status 1 when any cell has a wrong
 * definite outcome, a wrong proposal or an ambiguous ballot out of review,
 * after writing the table.
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
    double level;            /* degrade level; 0: the base's */
    const char *model;       /* model file; NULL: the one of --model */
    int no_marks;            /* the model's registration marks removed: pages
                                drawn without them and placed by the box grid */
} st_acc_cell;

#define ST_ACC_TK2025 "models/tk2025-haarlem.json"
/* The base's degrade level; mild and heavy are tests/test_accuracy.c's. */
static const double st_acc_base_level = 0.5;

/* Grey LZW and Deflate are left out: lossless, they decode to the very
 * pixels of uncompressed grey (the first runs gave identical rows), so they
 * would only spend the time budget; bench/throughput reads them. */
static const st_acc_cell st_acc_cells[] = {
    {"base", "", NULL, NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "fill", "fill", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "partial", "partial", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "x", "x", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "check", "check", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "stroke", "stroke", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "circle", "circle", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"style", "dot", "dot", NULL, NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"instrument", "red-pencil", NULL, "red-pencil", NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"instrument", "blue-pen", NULL, "blue-pen", NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"instrument", "black-pen", NULL, "black-pen", NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"instrument", "faint", NULL, "faint", NULL, "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "none", NULL, NULL, "none", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "rotate", NULL, NULL, "rotate", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "shift", NULL, NULL, "shift", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "scale", NULL, NULL, "scale", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "upside-down", NULL, NULL, "upside-down", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "noise", NULL, NULL, "noise", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "blur", NULL, NULL, "blur", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "streak", NULL, NULL, "streak", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "fold", NULL, NULL, "fold", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "stray", NULL, NULL, "stray", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"degrade", "jpeg", NULL, NULL, "jpeg", "rgb-jpeg", 200, 1, 0, NULL, 0},
    {"format", "g4", NULL, NULL, NULL, "g4", 200, 1, 0, NULL, 0},
    {"format", "grey", NULL, NULL, NULL, "grey", 200, 1, 0, NULL, 0},
    {"format", "grey-jpeg", NULL, NULL, NULL, "grey-jpeg", 200, 1, 0, NULL, 0},
    {"format", "g4", NULL, NULL, NULL, "g4", 300, 0, 0, NULL, 0},
    {"format", "grey", NULL, NULL, NULL, "grey", 300, 0, 0, NULL, 0},
    {"format", "grey-jpeg", NULL, NULL, NULL, "grey-jpeg", 300, 0, 0, NULL, 0},
    {"format", "rgb-jpeg", NULL, NULL, NULL, "rgb-jpeg", 300, 1, 0, NULL, 0},
    /* Uncompressed colour: the pixels of RGB JPEG before JPEG's loss. */
    {"format", "rgb", NULL, NULL, NULL, "rgb", 200, 0, 0, NULL, 0},
    {"format", "rgb", NULL, NULL, NULL, "rgb", 300, 0, 0, NULL, 0},
    /* The test's mild and heavy pages (the default mix at 0.3 and 1). */
    {"level", "0.3", NULL, NULL, NULL, "rgb-jpeg", 200, 0, 0.3, NULL, 0},
    {"level", "1", NULL, NULL, NULL, "rgb-jpeg", 200, 1, 1.0, NULL, 0},
    {"level", "1", NULL, NULL, NULL, "g4", 200, 0, 1.0, NULL, 0},
    {"level", "1", NULL, NULL, NULL, "rgb-jpeg", 300, 0, 1.0, NULL, 0},
    /* Many lists and 80 numbers a list: small boxes close together. */
    {"model", "tk2025", NULL, NULL, NULL, "rgb-jpeg", 200, 1, 0, ST_ACC_TK2025, 0},
    {"model", "tk2025", NULL, NULL, NULL, "g4", 200, 0, 0, ST_ACC_TK2025, 0},
    {"model", "tk2025", NULL, NULL, NULL, "rgb-jpeg", 300, 0, 0, ST_ACC_TK2025, 0},
    /* The same without registration marks, as a printer's ballot has
     * none: the same ballots, placed by the printed box grid alone. */
    {"model", "tk2025-no-marks", NULL, NULL, NULL, "rgb-jpeg", 200, 1, 0, ST_ACC_TK2025, 1},
    {"model", "tk2025-no-marks", NULL, NULL, NULL, "g4", 200, 0, 0, ST_ACC_TK2025, 1},
    {"model", "tk2025-no-marks", NULL, NULL, NULL, "rgb-jpeg", 300, 0, 0, ST_ACC_TK2025, 1},
    /* JPEG pages at 300 dpi are read at half size (settings.scan.
     * jpeg_min_dpi = 150): the hardest marks and damage again there. */
    {"style", "stroke", "stroke", NULL, NULL, "rgb-jpeg", 300, 0, 0, NULL, 0},
    {"style", "dot", "dot", NULL, NULL, "rgb-jpeg", 300, 0, 0, NULL, 0},
    {"instrument", "red-pencil", NULL, "red-pencil", NULL, "rgb-jpeg", 300, 0, 0, NULL, 0},
    {"instrument", "faint", NULL, "faint", NULL, "rgb-jpeg", 300, 1, 0, NULL, 0},
    {"degrade", "blur", NULL, NULL, "blur", "rgb-jpeg", 300, 0, 0, NULL, 0},
    {"degrade", "streak", NULL, NULL, "streak", "rgb-jpeg", 300, 0, 0, NULL, 0},
    {"degrade", "fold", NULL, NULL, "fold", "rgb-jpeg", 300, 0, 0, NULL, 0},
};
#define ST_ACC_N_CELLS (int)(sizeof st_acc_cells / sizeof *st_acc_cells)

/* One seed for every cell, so two cells differ only in their factor. */
static const uint64_t st_acc_seed = 4242;
/* Wrong outcomes listed under the table (all go to stderr). */
enum { ST_ACC_LIST_WRONG = 20 };

typedef struct st_acc_stats {
    int n, wrong, review, expected_review, rejected;
    int unamb, unamb_review, unamb_rejected;        /* truth not review */
    int amb_review, amb_rejected, amb_missed;       /* truth review */
    int proposals, wrong_proposals;                 /* non-review, judged */
    int writing, writing_review;                    /* stray_writing drawn */
    double empty_max_score, empty_max_faint; /* -1: no such box */
    double clear_min_score;                  /* 2: no such mark */
    int clear_marks;
    double seconds_count, seconds_synth;
} st_acc_stats;

static void st_acc_cell_name(const st_acc_cell *c, char *buf, size_t n)
{
    if (strcmp(c->factor, "format") == 0)
        snprintf(buf, n, "format-%s-%d", c->value, c->dpi);
    else if (strcmp(c->factor, "level") == 0 || strcmp(c->factor, "model") == 0)
        snprintf(buf, n, "%s-%s-%s-%d", c->factor, c->value, c->format, c->dpi);
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

/* Describe an outcome (a record, its proposal, the truth's expected or
 * if_definite) for the lists: "vote 5/2", "blank". */
static void st_acc_outcome(char *buf, size_t n, json_object *o)
{
    const char *outcome = o ? st_acc_str(o, "outcome") : "";
    if (!strcmp(outcome, "vote"))
        snprintf(buf, n, "vote %d/%d", st_acc_int(o, "list"), st_acc_int(o, "candidate"));
    else
        snprintf(buf, n, "%s", outcome[0] ? outcome : "?");
}

/* Does o (a record or its proposal) give exactly the outcome ref? */
static int st_acc_same(json_object *ref, json_object *o)
{
    const char *a = st_acc_str(ref, "outcome"), *b = st_acc_str(o, "outcome");
    return !strcmp(a, b) &&
           (strcmp(a, "vote") || (st_acc_int(ref, "list") == st_acc_int(o, "list") &&
                                  st_acc_int(ref, "candidate") == st_acc_int(o, "candidate")));
}

/* One ballot that breaks a rule: to stderr, and to the list under the
 * table while there is room. */
static void st_acc_note(const char *cell, const char *file, const char *what,
                        json_object *exp, json_object *alt, json_object *got,
                        st_bench_buf *list, int *listed)
{
    char a[64], b[64], c[64] = "";
    st_acc_outcome(a, sizeof a, exp);
    st_acc_outcome(b, sizeof b, got);
    if (alt) {
        char d[48];
        st_acc_outcome(d, sizeof d, alt);
        snprintf(c, sizeof c, " (if definite %s)", d);
    }
    fprintf(stderr, "accuracy: %s: %s: %s: expected %s%s, counted %s\n", cell, file, what, a,
            c, b);
    if (*listed < ST_ACC_LIST_WRONG)
        st_bench_printf(list, "- %s `%s`: %s: expected %s%s, counted %s\n", cell, file, what,
                        a, c, b);
    (*listed)++;
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
        const char *got = st_acc_str(jb, "outcome");
        int amb = !strcmp(want, "review"), review = !strcmp(got, "review");
        int rejected = !strcmp(got, "rejected"), definite = st_acc_definite(got);
        /* A borderline ballot belongs in review, but the truth names one
         * definite reading that is also right: ref is the definite outcome
         * that is right, NULL when none is. */
        json_object *alt = NULL, *words = NULL, *deg = NULL, *prop = NULL;
        if (amb)
            json_object_object_get_ex(exp, "if_definite", &alt);
        json_object *ref = amb ? alt : exp;
        s->expected_review += amb;
        s->review += review;
        s->rejected += rejected;
        if (amb) {
            s->amb_review += review;
            s->amb_rejected += rejected;
            if (!review && !(definite && ref && st_acc_same(ref, jb))) {
                s->amb_missed++;
                st_acc_note(cell, tfile, "ambiguous, not in review", exp, alt, jb, wrong_list,
                            listed);
            }
        } else {
            s->unamb++;
            s->unamb_review += review;
            s->unamb_rejected += rejected;
        }
        if (json_object_object_get_ex(jt, "degradations", &deg) && deg &&
            json_object_object_get_ex(deg, "stray_writing", &words) && words &&
            json_object_array_length(words) > 0) {
            s->writing++;
            s->writing_review += review;
        }
        if (rejected)
            continue; /* no boxes worth comparing on a refused page */
        if (definite && (!ref || !st_acc_same(ref, jb))) {
            s->wrong++;
            if (!amb) /* an ambiguous one is listed already */
                st_acc_note(cell, tfile, "wrong", exp, alt, jb, wrong_list, listed);
        }
        /* What a review record proposes must be right when it proposes a
         * definite outcome and the truth has one to hold it against. */
        if (review && ref && json_object_object_get_ex(jb, "proposal", &prop) && prop &&
            strcmp(st_acc_str(prop, "outcome"), "review")) {
            s->proposals++;
            if (!st_acc_same(ref, prop)) {
                s->wrong_proposals++;
                st_acc_note(cell, tfile, "wrong proposal", exp, alt, prop, wrong_list, listed);
            }
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
                           int *listed, st_error *err);

/* A cell of another model than --model's: load it and its key, run the
 * cell, free it. */
static int st_acc_run_cell_model(const st_acc_cell *c, int count, st_acc_stats *s,
                                 st_bench_buf *wrong_list, int *listed, st_error *err)
{
    st_model *m = NULL;
    char key[65];
    int rc = st_model_load_checked(c->model, &m, err);
    if (rc == ST_OK && c->no_marks) {
        free(m->fiducials);
        m->fiducials = NULL;
        m->n_fiducials = 0;
    }
    if (rc == ST_OK)
        rc = st_bench_source_key(c->model, key, err);
    if (rc == ST_OK)
        rc = st_acc_run_cell(m, key, c, count, s, wrong_list, listed, err);
    st_model_free(m);
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
    o.degrade_level = c->level > 0 ? c->level : st_acc_base_level;
    if (st_tiff_format_parse(c->format, &o.format, err) != ST_OK ||
        (c->styles && st_synth_parse_set("styles", c->styles, &o.styles, err) != ST_OK) ||
        (c->instruments &&
         st_synth_parse_set("instruments", c->instruments, &o.instruments, err) != ST_OK) ||
        (c->degrade &&
         st_synth_parse_set("degradations", c->degrade, &o.degradations, err) != ST_OK))
        return st_error_prefix(err, "bench: cell %s", name);
    int rc = st_bench_draw_and_count(m, &o, key, dir, out, &s->seconds_synth,
                                     &s->seconds_count, err);
    if (rc != ST_OK)
        return rc;
    s->n = count;
    return st_acc_compare(truth, ballots, name, s, wrong_list, listed, err);
}

static void st_acc_stats_add(st_acc_stats *a, const st_acc_stats *s)
{
    a->n += s->n;
    a->wrong += s->wrong;
    a->wrong_proposals += s->wrong_proposals;
    a->proposals += s->proposals;
    a->unamb += s->unamb;
    a->unamb_review += s->unamb_review;
    a->unamb_rejected += s->unamb_rejected;
    a->expected_review += s->expected_review;
    a->amb_review += s->amb_review;
    a->amb_rejected += s->amb_rejected;
    a->amb_missed += s->amb_missed;
    a->writing += s->writing;
    a->writing_review += s->writing_review;
    a->seconds_count += s->seconds_count;
}

static const char *st_acc_fmt(char *buf, size_t n, double v, double none);

/* One row of the table; with scores, the box score columns too. The
 * counts that must be 0 are in bold when they are not. */
static void st_acc_row(st_bench_buf *b, const char *name, const char *format, int dpi,
                       const st_acc_stats *s, int scores)
{
    char ur[16], uj[16], ar[16], aj[16], wr[16], d[16], a[32], f[32], k[32];
    int amb = s->expected_review;
    snprintf(d, sizeof d, "%d", dpi);
    const char *w = s->wrong ? "**" : "", *p = s->wrong_proposals ? "**" : "",
               *m = s->amb_missed ? "**" : "";
    st_bench_printf(b,
                    "| %s | %s | %s | %d | %s%d%s | %s%d%s | %d | %s | %s | %d | %s | %s | "
                    "%s%d%s | %s | %s | %s | %s | %.1f |\n",
                    name, format, dpi ? d : "", s->n, w, s->wrong, w, p, s->wrong_proposals, p,
                    s->unamb, st_bench_pct(ur, sizeof ur, s->unamb_review, s->unamb, 1),
                    st_bench_pct(uj, sizeof uj, s->unamb_rejected, s->unamb, 1), amb,
                    st_bench_pct(ar, sizeof ar, s->amb_review, amb, 1),
                    st_bench_pct(aj, sizeof aj, s->amb_rejected, amb, 1), m, s->amb_missed, m,
                    st_bench_pct(wr, sizeof wr, s->writing_review, s->writing, 1),
                    scores ? st_acc_fmt(a, sizeof a, s->empty_max_score, -1) : "",
                    scores ? st_acc_fmt(f, sizeof f, s->empty_max_faint, -1) : "",
                    scores ? st_acc_fmt(k, sizeof k, s->clear_min_score, 2) : "",
                    s->seconds_count);
}

static void st_acc_usage(FILE *f)
{
    fputs("usage: accuracy [--quick] [--ballots N] [--model MODEL.json] [--results FILE]\n"
          "Run from the repository root; writes the Accuracy section of\n"
          "bench/RESULTS.md and prints the same table. Exit 1 when any ballot\n"
          "got a wrong definite outcome or a wrong proposal, or is ambiguous and\n"
          "not in review.\n", f);
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
        const st_acc_cell *c = &st_acc_cells[i];
        if ((c->model ? st_acc_run_cell_model(c, count, &stats[i], &wrong, &listed, &err)
                      : st_acc_run_cell(m, key, c, count, &stats[i], &wrong, &listed, &err)) !=
            ST_OK)
            goto fail;
        total_wrong += stats[i].wrong + stats[i].wrong_proposals + stats[i].amb_missed;
    }

    st_bench_printf(&b, "## Accuracy\n\n");
    st_bench_describe(&b, argc, argv);
    st_bench_printf(&b,
                    "%d ballots per cell (%s unless the cell says model), seed %llu, %d "
                    "threads. Each cell varies one factor around the base: 200 dpi rgb-jpeg "
                    "with synth's default mix of styles, instruments, scenarios and "
                    "degradations (degrade level %.1f; the level cells are the test's mild "
                    "0.3 and heavy 1). Thresholds of the model: marked at score >= %.3f "
                    "(definite), empty at faint share < %.3f (marginal).%s\n\n",
                    count, model_path, (unsigned long long)st_acc_seed, omp_get_num_procs(),
                    st_acc_base_level, m->settings.definite, m->settings.marginal,
                    quick ? " Quick mode: fewer cells and ballots; the rates are rough." : "");
    st_bench_printf(&b,
                    "| cell | format | dpi | ballots | wrong | wrong proposals | unambiguous | "
                    "review %% | rejected %% | ambiguous | review %% | rejected %% | not in "
                    "review | writing caught %% | empty box max score | empty box max faint | "
                    "clear mark min score | count s |\n"
                    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    st_acc_stats all;
    memset(&all, 0, sizeof all);
    int cells = 0;
    for (int i = 0; i < ST_ACC_N_CELLS; i++) {
        const st_acc_cell *c = &st_acc_cells[i];
        if (quick && !c->quick)
            continue;
        const st_acc_stats *s = &stats[i];
        char name[128];
        if (c->value[0])
            snprintf(name, sizeof name, "%s = %s", c->factor, c->value);
        else
            snprintf(name, sizeof name, "%s", c->factor);
        st_acc_row(&b, name, c->format, c->dpi, s, 1);
        st_acc_stats_add(&all, s);
        cells++;
    }
    char what[64];
    snprintf(what, sizeof what, "all %d cells", cells);
    st_acc_row(&b, what, "", 0, &all, 0);
    if (total_wrong) {
        st_bench_printf(&b,
                        "\n%d wrong definite outcome%s, %d wrong proposal%s, %d ambiguous "
                        "ballot%s not in review",
                        all.wrong, all.wrong == 1 ? "" : "s", all.wrong_proposals,
                        all.wrong_proposals == 1 ? "" : "s", all.amb_missed,
                        all.amb_missed == 1 ? "" : "s");
        if (listed > ST_ACC_LIST_WRONG)
            st_bench_printf(&b, " (the first %d listed)", ST_ACC_LIST_WRONG);
        st_bench_printf(&b, ":\n\n%s", wrong.s ? wrong.s : "");
    } else {
        st_bench_printf(&b, "\nNo wrong definite outcome, no wrong proposal, every ambiguous "
                            "ballot in review.\n");
    }
    st_bench_printf(&b, "\nThis run took %.0f s.\n", st_bench_now() - t_start);
    if (st_bench_publish(&b, &wrong, results, "Accuracy", &err) != ST_OK)
        goto fail;
    status = total_wrong ? 1 : 0;
    if (total_wrong)
        fprintf(stderr, "accuracy: %d wrong definite outcomes, wrong proposals or ambiguous "
                        "ballots out of review (listed above)\n", total_wrong);
    goto done;
fail:
    fprintf(stderr, "accuracy: %s\n", err.msg);
done:
    st_bench_buf_free(&b);
    st_bench_buf_free(&wrong);
    st_model_free(m);
    return status;
}
