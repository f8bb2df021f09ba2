/* rescan.c - how well a second scan of a sheet is told from another ballot
 *
 * Each cell draws, with synth, sheets that are all the same vote (list 1,
 * candidate 1, or list 1 alone) in one mark style, and feeds some of them
 * twice (--rescans: the same marks, folds and writing scanned again with
 * new noise, shift, turn, scale, blur, JPEG, streaks). The cell is counted
 * in-process (st_batch_count, as `stemtel count` does) and every page's
 * marks read back from ballots.jsonl (st_rescan_marks_read), joined with
 * truth.jsonl's rescan_of. Then:
 *
 *   - every pair of pages with the same marked boxes is compared
 *     (st_rescan_compare): pairs of one sheet should match, pairs of two
 *     sheets should not (the false matches the threshold must keep rare);
 *   - every page is checked as the store checks it when it takes the page
 *     (against every earlier page, the best match named, st_rescan_better):
 *     a rescan should be flagged naming a page of its sheet, a first scan
 *     should not be flagged at all.
 *
 * The table prints figures only; nothing here asserts on time. The check's
 * cost per page is the marks' reading and every comparison a store would
 * make, without SQLite.
 */
#include "bench.h"

#include <getopt.h>
#include <json-c/json.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/rescan.h"

typedef struct st_rs_cell {
    const char *name;       /* the row's name */
    const char *styles, *instruments, *format;
    int dpi;
    double level;           /* degrade level; 0: the base */
    int list_only;          /* the vote is list 1's box alone */
    int quick;              /* also in quick mode */
} st_rs_cell;

/* The base: 200 dpi RGB JPEG, synth's default instruments and
 * degradations at level 0.5, a vote for candidate 1 of list 1. */
static const st_rs_cell st_rs_cells[] = {
    {"fill", "fill", NULL, "rgb-jpeg", 200, 0, 0, 1},
    {"partial", "partial", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"x", "x", NULL, "rgb-jpeg", 200, 0, 0, 1},
    {"check", "check", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"stroke", "stroke", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"x-overshoot", "x-overshoot", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"check-tail", "check-tail", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"scribble-over", "scribble-over", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"ring", "ring", NULL, "rgb-jpeg", 200, 0, 0, 0},
    {"fill, black pen", "fill", "black-pen", "rgb-jpeg", 200, 0, 0, 0},
    {"stroke, black pen", "stroke", "black-pen", "rgb-jpeg", 200, 0, 0, 0},
    {"fill, level 0.3", "fill", NULL, "rgb-jpeg", 200, 0.3, 0, 0},
    {"fill, level 1", "fill", NULL, "rgb-jpeg", 200, 1, 0, 0},
    {"x, level 1", "x", NULL, "rgb-jpeg", 200, 1, 0, 0},
    {"fill, grey-jpeg 150 dpi", "fill", NULL, "grey-jpeg", 150, 0, 0, 1},
    {"fill, grey 300 dpi", "fill", NULL, "grey", 300, 0, 0, 0},
    {"fill, g4 200 dpi", "fill", NULL, "g4", 200, 0, 0, 0},
    {"fill, list box alone", "fill", NULL, "rgb-jpeg", 200, 0, 1, 0},
    {"x, list box alone", "x", NULL, "rgb-jpeg", 200, 0, 1, 0},
};
#define ST_RS_N_CELLS ((int)(sizeof st_rs_cells / sizeof *st_rs_cells))

/* The seed the thresholds were set on; --seed draws other sheets to check
 * them on ballots they were not set on. */
static const uint64_t st_rs_seed_default = 12;

/* One page: the sheet it shows (its own index, or its first scan's) and
 * its marks. */
typedef struct st_rs_page {
    int sheet, rescan;
    int comparable; /* a rescan the check can compare with its first scan */
    st_rescan_marks marks;
} st_rs_page;

typedef struct st_rs_stats {
    int pages, rescans, rescans_comparable, rescans_flagged, rescans_wrong_page;
    int firsts, firsts_comparable, firsts_flagged;
    long same_pairs, same_matched, other_pairs, other_matched;
    double same_min, other_max;     /* similarity of the worst pairs */
    double *same_sim, *other_sim;   /* every comparable pair's, for centiles */
    double check_ms;                /* reading and comparing, per page */
    double seconds_count;
} st_rs_stats;

static int st_rs_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Pages in truth order, with the marks of their ballots.jsonl records. */
static int st_rs_read(const char *truth, const char *ballots, st_rs_page **out, int *n,
                      st_error *err)
{
    FILE *ft = fopen(truth, "r"), *fb = fopen(ballots, "r");
    st_rs_page *v = NULL;
    int cnt = 0, cap = 0, rc = ST_OK;
    char *lt = NULL, *lb = NULL;
    size_t ct = 0, cb = 0;
    if (!ft || !fb) {
        rc = st_error_set(err, ST_ERR_IO, "bench: cannot read %s or %s", truth, ballots);
        goto out;
    }
    /* One page a file: truth and ballots.jsonl are both in file order. */
    while (getline(&lt, &ct, ft) > 0) {
        if (getline(&lb, &cb, fb) <= 0) {
            rc = st_error_set(err, ST_ERR_IO, "bench: %s: fewer records than %s", ballots,
                              truth);
            goto out;
        }
        if (cnt == cap) {
            cap = cap ? 2 * cap : 256;
            st_rs_page *nv = realloc(v, sizeof *nv * (size_t)cap);
            if (!nv) {
                rc = st_error_set(err, ST_ERR_NOMEM, "bench: out of memory");
                goto out;
            }
            v = nv;
        }
        st_rs_page *p = &v[cnt];
        json_object *t = json_tokener_parse(lt), *r = NULL, *x = NULL;
        p->sheet = cnt;
        p->rescan = 0;
        if (t && json_object_object_get_ex(t, "rescan_of", &r) &&
            json_object_object_get_ex(r, "index", &x)) {
            p->sheet = json_object_get_int(x);
            p->rescan = 1;
        }
        json_object_put(t);
        lb[strcspn(lb, "\n")] = '\0';
        if ((rc = st_rescan_marks_read(lb, &p->marks, err)))
            goto out;
        /* Comparable as the check has it: the first scan comes earlier. */
        p->comparable = p->rescan && p->sheet >= 0 && p->sheet < cnt &&
                        st_rescan_compare(&p->marks, &v[p->sheet].marks).comparable;
        cnt++;
    }
out:
    free(lt);
    free(lb);
    if (ft)
        fclose(ft);
    if (fb)
        fclose(fb);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return ST_OK;
}

/* Every pair, and every page as the store checks it. */
static int st_rs_measure(const st_rs_page *p, int n, st_rs_stats *s, st_error *err)
{
    long pairs = (long)n * (n - 1) / 2 + 1;
    s->same_sim = malloc(sizeof *s->same_sim * (size_t)pairs);
    s->other_sim = malloc(sizeof *s->other_sim * (size_t)pairs);
    if (!s->same_sim || !s->other_sim)
        return st_error_set(err, ST_ERR_NOMEM, "bench: out of memory");
    s->same_min = 2;
    s->other_max = -2;
    for (int i = 0; i < n; i++) {
        s->pages++;
        if (p[i].rescan) {
            s->rescans++;
            s->rescans_comparable += p[i].comparable;
        } else {
            s->firsts++;
            s->firsts_comparable += !!p[i].marks.n;
        }
        for (int j = 0; j < i; j++) {
            st_rescan_cmp c = st_rescan_compare(&p[i].marks, &p[j].marks);
            if (!c.comparable)
                continue;
            if (p[i].sheet == p[j].sheet) {
                s->same_sim[s->same_pairs++] = c.similarity;
                s->same_matched += c.match;
                if (c.similarity < s->same_min)
                    s->same_min = c.similarity;
            } else {
                s->other_sim[s->other_pairs++] = c.similarity;
                s->other_matched += c.match;
                if (c.similarity > s->other_max)
                    s->other_max = c.similarity;
            }
        }
    }
    /* As the store does it, timed: read the page's marks, compare with
     * every earlier page, name the best match. */
    double t0 = st_bench_now();
    int *named = malloc(sizeof *named * (size_t)(n ? n : 1));
    if (!named)
        return st_error_set(err, ST_ERR_NOMEM, "bench: out of memory");
    for (int i = 0; i < n; i++) {
        st_rescan_cmp best = {0};
        named[i] = -1;
        for (int j = 0; j < i; j++) {
            st_rescan_cmp c = st_rescan_compare(&p[i].marks, &p[j].marks);
            if (st_rescan_better(&c, &best)) {
                best = c;
                named[i] = j;
            }
        }
    }
    s->check_ms = 1000 * (st_bench_now() - t0) / (n ? n : 1);
    for (int i = 0; i < n; i++) {
        if (named[i] < 0)
            continue;
        if (p[i].rescan) {
            /* Counted among the rescans the check can compare, as the
             * rate's denominator is. */
            s->rescans_flagged += p[i].comparable;
            s->rescans_wrong_page += p[i].comparable && p[named[i]].sheet != p[i].sheet;
        } else {
            s->firsts_flagged++;
        }
    }
    free(named);
    qsort(s->same_sim, (size_t)s->same_pairs, sizeof *s->same_sim, st_rs_cmp_double);
    qsort(s->other_sim, (size_t)s->other_pairs, sizeof *s->other_sim, st_rs_cmp_double);
    return ST_OK;
}

/* The cost of reading marks from a record, per page, added to check_ms:
 * a store reads every page's marks once. */
static void st_rs_time_reading(const char *ballots, int n, st_rs_stats *s)
{
    FILE *f = fopen(ballots, "r");
    char *line = NULL;
    size_t cap = 0;
    int k = 0;
    st_rescan_marks mk;
    st_error err = {0};
    if (!f)
        return;
    double t0 = st_bench_now();
    while (k < n && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        st_rescan_marks_read(line, &mk, &err);
        k++;
    }
    if (k)
        s->check_ms += 1000 * (st_bench_now() - t0) / k;
    free(line);
    fclose(f);
}

static int st_rs_run_cell(const st_model *m, const char *key, const st_rs_cell *c, int sheets,
                          int rescans, uint64_t seed, st_rs_stats *s, st_error *err)
{
    char dir[512], out[512], truth[600], ballots[600], slug[128];
    int k = 0;
    for (const char *q = c->name; *q && k < (int)sizeof slug - 1; q++)
        slug[k++] = (*q == ' ' || *q == ',' || *q == '.') ? '-' : *q;
    slug[k] = '\0';
    /* Another seed's sheets in their own folders: both stay drawn. */
    char tag[32] = "";
    if (seed != st_rs_seed_default)
        snprintf(tag, sizeof tag, "seed%llu-", (unsigned long long)seed);
    snprintf(dir, sizeof dir, "%s/rescan-%s%s", ST_BENCH_DATA, tag, slug);
    snprintf(out, sizeof out, "%s/rescan-%s%s", ST_BENCH_OUT, tag, slug);
    snprintf(truth, sizeof truth, "%s/truth.jsonl", dir);
    snprintf(ballots, sizeof ballots, "%s/ballots.jsonl", out);
    memset(s, 0, sizeof *s);

    st_synth_opts o;
    st_synth_opts_default(&o);
    o.count = sheets + rescans;
    o.rescans = rescans;
    o.seed = seed;
    o.dpi = c->dpi;
    o.vote_list = 1;
    o.vote_candidate = c->list_only ? 0 : 1;
    if (c->level > 0)
        o.degrade_level = c->level;
    if (st_tiff_format_parse(c->format, &o.format, err) != ST_OK ||
        st_synth_parse_set("styles", c->styles, &o.styles, err) != ST_OK ||
        (c->instruments &&
         st_synth_parse_set("instruments", c->instruments, &o.instruments, err) != ST_OK))
        return st_error_prefix(err, "bench: cell %s", c->name);
    int rc = st_bench_draw_and_count(m, &o, key, dir, out, NULL, &s->seconds_count, err);
    if (rc != ST_OK)
        return rc;
    st_rs_page *pages = NULL;
    int np = 0;
    if ((rc = st_rs_read(truth, ballots, &pages, &np, err)) != ST_OK)
        return rc;
    rc = st_rs_measure(pages, np, s, err);
    free(pages);
    if (rc == ST_OK)
        st_rs_time_reading(ballots, np, s);
    return rc;
}

/* The similarity at fraction q of the sorted values, "-" of none. */
static const char *st_rs_at(char *buf, size_t n, const double *v, long count, double q)
{
    if (count <= 0) {
        snprintf(buf, n, "-");
        return buf;
    }
    long i = (long)(q * (count - 1) + 0.5);
    snprintf(buf, n, "%.3f", v[i]);
    return buf;
}

static void st_rs_row(st_bench_buf *b, const char *name, const char *format, int dpi,
                      const st_rs_stats *s, int centiles)
{
    char rf[16], fp[16], op[16], d[16], s1[16], s0[16], o9[16], o1[16];
    snprintf(d, sizeof d, "%d", dpi);
    st_bench_printf(
        b, "| %s | %s | %s | %d | %d | %d | %d | %s | %d | %d | %d | %s | %ld | %ld | %s | %s | "
           "%s | %s | %s | %.3f |\n",
        name, format, dpi ? d : "", s->firsts, s->rescans, s->rescans_comparable,
        s->rescans_flagged, st_bench_pct(rf, sizeof rf, s->rescans_flagged, s->rescans_comparable, 1),
        s->rescans_wrong_page, s->firsts_comparable, s->firsts_flagged,
        st_bench_pct(fp, sizeof fp, s->firsts_flagged, s->firsts_comparable, 2), s->other_pairs,
        s->other_matched, st_bench_pct(op, sizeof op, s->other_matched, s->other_pairs, 3),
        centiles ? st_rs_at(s0, sizeof s0, s->same_sim, s->same_pairs, 0) : "",
        centiles ? st_rs_at(s1, sizeof s1, s->same_sim, s->same_pairs, 0.01) : "",
        centiles ? st_rs_at(o9, sizeof o9, s->other_sim, s->other_pairs, 0.999) : "",
        centiles ? st_rs_at(o1, sizeof o1, s->other_sim, s->other_pairs, 1) : "", s->check_ms);
}

static void st_rs_add(st_rs_stats *a, const st_rs_stats *s)
{
    a->firsts += s->firsts;
    a->rescans += s->rescans;
    a->rescans_comparable += s->rescans_comparable;
    a->rescans_flagged += s->rescans_flagged;
    a->rescans_wrong_page += s->rescans_wrong_page;
    a->firsts_comparable += s->firsts_comparable;
    a->firsts_flagged += s->firsts_flagged;
    a->other_pairs += s->other_pairs;
    a->other_matched += s->other_matched;
    a->same_pairs += s->same_pairs;
    a->same_matched += s->same_matched;
    a->pages += s->pages;
    a->check_ms += s->check_ms * s->pages;
}

static void st_rs_usage(FILE *f)
{
    fputs("usage: rescan [--quick] [--sheets N] [--rescans N] [--seed N]\n"
          "              [--model MODEL.json] [--results FILE]\n"
          "Run from the repository root; writes the Rescans section of bench/RESULTS.md\n"
          "and prints the same table (figures only, no verdict).\n", f);
}

int main(int argc, char **argv)
{
    int quick = 0, sheets = 150, rescans = 50, set = 0, results_set = 0;
    uint64_t seed = st_rs_seed_default;
    char *end = NULL;
    const char *model_path = ST_BENCH_MODEL, *results = ST_BENCH_RESULTS;
    static const struct option longs[] = {
        {"quick", no_argument, NULL, 'q'},       {"sheets", required_argument, NULL, 's'},
        {"rescans", required_argument, NULL, 'r'}, {"model", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 'e'},
        {"results", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'q': quick = 1; break;
        case 's': sheets = atoi(optarg); set = 1; break;
        case 'r': rescans = atoi(optarg); set = 1; break;
        case 'm': model_path = optarg; break;
        case 'e':
            seed = strtoull(optarg, &end, 10);
            if (!*optarg || *end) {
                fprintf(stderr, "rescan: --seed %s: not a whole number\n", optarg);
                return 2;
            }
            break;
        case 'o': results = optarg; results_set = 1; break;
        case 'h': st_rs_usage(stdout); return 0;
        default: st_rs_usage(stderr); return 2;
        }
    }
    if (optind != argc || sheets < 2 || rescans < 0) {
        st_rs_usage(stderr);
        return 2;
    }
    if (quick && !set)
        sheets = 30, rescans = 10;
    if (quick && !results_set)
        results = "build/bench/RESULTS-quick.md";
    double t_start = st_bench_now();
    st_error err = {0};
    st_model *m = NULL;
    st_bench_buf b = {0};
    st_rs_stats stats[ST_RS_N_CELLS];
    memset(stats, 0, sizeof stats);
    int status = 2;
    char key[65];
    if (st_model_load_checked(model_path, &m, &err) != ST_OK ||
        st_bench_source_key(model_path, key, &err) != ST_OK ||
        st_bench_mkdirs(ST_BENCH_OUT, &err) != ST_OK)
        goto fail;
    for (int i = 0; i < ST_RS_N_CELLS; i++) {
        if (quick && !st_rs_cells[i].quick)
            continue;
        fprintf(stderr, "bench: rescan %s ...\n", st_rs_cells[i].name);
        if (st_rs_run_cell(m, key, &st_rs_cells[i], sheets, rescans, seed, &stats[i], &err) != ST_OK)
            goto fail;
    }
    char section[64] = "Rescans";
    if (seed != st_rs_seed_default)
        snprintf(section, sizeof section, "Rescans, seed %llu", (unsigned long long)seed);
    st_bench_printf(&b, "## %s\n\n", section);
    st_bench_describe(&b, argc, argv);
    st_bench_printf(
        &b,
        "Each cell: %d sheets that are all the same vote (candidate 1 of list 1; list 1's "
        "box alone where it says so) in one mark style, and %d more pages that are a "
        "second scan of one of them (synth --rescans: the same marks, folds and writing, "
        "new noise, shift, turn, scale, blur, JPEG and streaks), %s, seed %llu; 200 dpi "
        "rgb-jpeg, synth's default instruments and degradations at level 0.5 unless the "
        "cell says otherwise. A rescan is *flagged* when the store's check (every earlier "
        "page, the most similar match named) flags it, *right* when it names a page of "
        "its sheet; a first scan flagged is a false flag. *Pairs*: every two pages of "
        "different sheets the check compares (the false matches). Match: similarity (of the "
        "prints' 2 x 2 blocks, corrected for noise; a pair at %.2f or more also with either "
        "side blurred by %.1f and %.1f cells, the most kept) >= %.4f (%.4f with one box) "
        "or the same of cells >= %.3f (%.3f with one box), "
        "and ink ratio >= %.2f (stemtel/rescan.h); set on seed %llu. Similarities (of "
        "blocks): of "
        "pairs of one sheet, the least and the 1st centile; of pairs of two sheets, the "
        "99.9th centile and the most. Comparable: both scans of the sheet show a marked box, "
        "and the same marked or inked boxes (a faint pencil read marginal everywhere, or a "
        "mark lost on one scan, is not). check ms: reading a page's "
        "marks and comparing them with every earlier page, per page.%s\n\n",
        sheets, rescans, model_path, (unsigned long long)seed, ST_RESCAN_BLUR_GATE,
        ST_RESCAN_BLUR_1, ST_RESCAN_BLUR_2, ST_RESCAN_SIMILARITY, ST_RESCAN_SIMILARITY_ONE,
        ST_RESCAN_SIMILARITY_CELLS, ST_RESCAN_SIMILARITY_CELLS_ONE, ST_RESCAN_INK_RATIO,
        (unsigned long long)st_rs_seed_default, quick ? " Quick mode: few cells and pages; the rates are rough." : "");
    st_bench_printf(&b,
                    "| cell | format | dpi | sheets | rescans | comparable | flagged | "
                    "flagged %% | wrong page | first scans comparable | falsely flagged | "
                    "false %% | pairs of two sheets | matched | matched %% | one sheet: min "
                    "| 1st centile | two sheets: 99.9th | max | check ms |\n"
                    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
                    "--:|--:|\n");
    /* All cells, and those of the scans the rates are for: grey or
     * colour, at synth's default level or milder. */
    st_rs_stats all, plain;
    memset(&all, 0, sizeof all);
    memset(&plain, 0, sizeof plain);
    int cells = 0, n_plain = 0;
    for (int i = 0; i < ST_RS_N_CELLS; i++) {
        const st_rs_cell *c = &st_rs_cells[i];
        if (quick && !c->quick)
            continue;
        st_rs_row(&b, c->name, c->format, c->dpi, &stats[i], 1);
        st_rs_add(&all, &stats[i]);
        cells++;
        if (c->level <= 0.5 && strcmp(c->format, "g4")) {
            st_rs_add(&plain, &stats[i]);
            n_plain++;
        }
    }
    all.check_ms = all.pages ? all.check_ms / all.pages : 0;
    plain.check_ms = plain.pages ? plain.check_ms / plain.pages : 0;
    char what[64];
    snprintf(what, sizeof what, "%d cells in grey or colour at level 0.5 or less", n_plain);
    st_rs_row(&b, what, "", 0, &plain, 0);
    snprintf(what, sizeof what, "all %d cells", cells);
    st_rs_row(&b, what, "", 0, &all, 0);
    st_bench_printf(&b, "\nThis run took %.0f s (%d threads).\n", st_bench_now() - t_start,
                    omp_get_num_procs());
    if (st_bench_publish(&b, NULL, results, section, &err) != ST_OK)
        goto fail;
    status = 0;
    goto done;
fail:
    fprintf(stderr, "rescan: %s\n", err.msg);
done:
    for (int i = 0; i < ST_RS_N_CELLS; i++) {
        free(stats[i].same_sim);
        free(stats[i].other_sim);
    }
    st_bench_buf_free(&b);
    st_model_free(m);
    return status;
}
