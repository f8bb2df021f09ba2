/* test_accuracy.c - issue 11's accuracy figures on 2,100 seeded ballots
 *
 * The real `stemtel synth` draws twelve seeded sets of 175 ballots at
 * 200 dpi: clean (`--degrade none`), mild (synth's default mix at
 * `--degrade-level 0.3`) and heavy (the default mix at `--degrade-level
 * 1`), each level on both example models (GR2022 West Maas en Waal, 8
 * lists; TK2025 Haarlem, many lists and numbers) in RGB JPEG, grey LZW and
 * G4. The real `stemtel count` reads each set (the first also gets the
 * broken pages of tests/data/bad, which must come out rejected), every
 * line of truth.jsonl and ballots.jsonl is parsed in json-c's strict mode,
 * and the records are compared one by one. The group setup does all of
 * that once and prints the figures per set and per level, whatever they
 * are; each test then asserts one of the done criteria and lists
 * the ballots that break it (set/file, truth, count, reasons, proposal).
 *
 * Definitions (bench/README.md uses the same):
 * - ambiguous: the truth's expected outcome is review; unambiguous: any
 *   other expected outcome.
 * - a definite outcome (vote, blank, invalid) is wrong when it differs from
 *   the truth's expected (outcome, list, candidate); when expected is
 *   review and the truth has `if_definite` (a borderline mark), exactly
 *   if_definite is also right.
 * - a proposal (the `proposal` of a review record) is wrong when its
 *   outcome is not review and differs from the truth's expected outcome,
 *   list and candidate (expected definite) or from if_definite (expected
 *   review with if_definite). With expected review and no if_definite
 *   there is nothing to hold a proposal against: it is not judged.
 * - an ambiguous ballot is in review when the count says review, or gives
 *   exactly if_definite; rejected or any other outcome misses it.
 * - writing: the truth's degradations.stray_writing is not empty; caught
 *   when the count says review.
 * - the review limits count review + rejected among unambiguous ballots:
 *   the targets are at most 0.5% clean, 1% mild, 3% heavy; until
 *   the engine meets them the asserts hold it to a guard at its measured
 *   rate (level_guard_bp), and the table shows both.
 * Under the figures, a breakdown of the unambiguous ballots by degradation
 * (truth's degradations.applied when synth writes it, else read off the
 * degradation fields), style, instrument and scenario shows where the
 * reviews come from.
 */
#include "helpers.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GR "models/gr2022-west-maas-en-waal.json"
#define TK "models/tk2025-haarlem.json"

enum { CLEAN, MILD, HEAVY, N_LEVELS };
static const char *const level_name[N_LEVELS] = {"clean", "mild", "heavy"};
static const char *const level_args[N_LEVELS] = {
    "--degrade none", "--degrade-level 0.3", "--degrade-level 1"};
/* Review + reject of the unambiguous ballots, at most, in 1/100 percent. */
/* Issue 11's targets, in basis points of the unambiguous ballots. */
static const int level_limit_bp[N_LEVELS] = {50, 100, 300};
/* What the engine is held to: its measured rate when this was last
 * lowered, with a little room, or the target when it meets it
 * (2026-12-02, with pages placed by their printed boxes when the marks
 * cannot: clean 0.18%, mild 0.59%, heavy 2.59%, every target met). A
 * change that sends more ballots to people fails here. */
static const int level_guard_bp[N_LEVELS] = {50, 100, 300};

typedef struct acc_set {
    int level;
    const char *model;
    const char *format;
} acc_set;

/* Every level on both models and the three formats; the format a model
 * gets alternates so that each model sees each format. */
static const acc_set sets[] = {
    {CLEAN, GR, "rgb-jpeg"}, {CLEAN, TK, "rgb-jpeg"}, {CLEAN, TK, "grey-lzw"}, {CLEAN, GR, "g4"},
    {MILD, GR, "rgb-jpeg"},  {MILD, TK, "rgb-jpeg"},  {MILD, GR, "grey-lzw"},  {MILD, TK, "g4"},
    {HEAVY, GR, "rgb-jpeg"}, {HEAVY, TK, "rgb-jpeg"}, {HEAVY, TK, "grey-lzw"}, {HEAVY, GR, "g4"},
};
#define N_SETS (int)(sizeof sets / sizeof *sets)
enum { PER_SET = 175, SEED0 = 1101, THREADS = 2 };

/* A growing piece of text: the ballots that break one criterion. */
typedef struct text {
    char *s;
    size_t len, cap;
    int lines;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            fail_msg("out of memory");
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
    t->lines++;
}

/* The figures of a set, a level or everything. */
typedef struct figs {
    int n;
    int unamb, unamb_review, unamb_rejected;
    int amb, amb_review, amb_if_definite, amb_missed;
    int wrong;
    int proposals, wrong_proposals, unjudged; /* non-review proposals */
    int writing, writing_review;
} figs;

static void figs_add(figs *a, const figs *b)
{
    a->n += b->n;
    a->unamb += b->unamb;
    a->unamb_review += b->unamb_review;
    a->unamb_rejected += b->unamb_rejected;
    a->amb += b->amb;
    a->amb_review += b->amb_review;
    a->amb_if_definite += b->amb_if_definite;
    a->amb_missed += b->amb_missed;
    a->wrong += b->wrong;
    a->proposals += b->proposals;
    a->wrong_proposals += b->wrong_proposals;
    a->unjudged += b->unjudged;
    a->writing += b->writing;
    a->writing_review += b->writing_review;
}

/* Unambiguous ballots and how many of them went to review or were
 * rejected, per level, for one degradation, style, instrument or
 * scenario. */
enum { MAX_FACTORS = 96 };
typedef struct factor {
    char name[48];
    int n[N_LEVELS], out[N_LEVELS];
} factor;

typedef struct acc_run {
    figs set[N_SETS], level[N_LEVELS], all;
    double seconds_synth, seconds_count;
    int extra, extra_rejected;  /* pages of tests/data/bad */
    int lines_strict;           /* lines of truth + ballots parsed strictly */
    text wrong, wrong_proposal, amb_missed, writing_missed, unamb_out[N_LEVELS];
    factor factors[MAX_FACTORS];
    int n_factors;
} acc_run;

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int is_definite(const char *outcome)
{
    return !strcmp(outcome, "vote") || !strcmp(outcome, "blank") ||
           !strcmp(outcome, "invalid");
}

/* Does o (a count record or its proposal) give exactly the outcome ref
 * (the truth's expected or its if_definite)? */
static int same(json_object *ref, json_object *o)
{
    const char *a = th_json_str(ref, "outcome"), *b = th_json_str(o, "outcome");
    if (strcmp(a, b))
        return 0;
    return strcmp(a, "vote") ||
           (th_json_int(ref, "list") == th_json_int(o, "list") &&
            th_json_int(ref, "candidate") == th_json_int(o, "candidate"));
}

/* "vote 3/12", "blank", "review (ambiguous mark; if definite vote 2/1)". */
static void describe(char *buf, size_t n, json_object *o, int truth)
{
    const char *out = th_json_str(o, "outcome");
    int k = !strcmp(out, "vote") ? snprintf(buf, n, "vote %d/%d", th_json_int(o, "list"),
                                            th_json_int(o, "candidate"))
                                 : snprintf(buf, n, "%s", out[0] ? out : "?");
    if (!truth || k < 0 || (size_t)k >= n)
        return;
    const char *why = th_json_str(o, "reason");
    json_object *alt = th_json_get(o, "if_definite");
    char a[64] = "";
    if (alt)
        describe(a, sizeof a, alt, 0);
    if (why[0] || alt)
        snprintf(buf + k, n - (size_t)k, " (%s%s%s%s)", why, why[0] && alt ? "; " : "",
                 alt ? "if definite " : "", a);
}

/* One line about a ballot for a list: where, the truth, the count. */
static void list_ballot(text *t, const char *set, json_object *tr, json_object *c)
{
    char want[160], got[64], prop[64] = "";
    describe(want, sizeof want, th_json_get(tr, "expected"), 1);
    describe(got, sizeof got, c, 0);
    json_object *p = th_json_get(c, "proposal");
    if (p)
        describe(prop, sizeof prop, p, 0);
    json_object *r = th_json_get(c, "reasons");
    json_object *words = th_json_get(th_json_get(tr, "degradations"), "stray_writing");
    const char *msg = th_json_str(c, "message");
    text_add(t, "    %s/%s: truth %s, count %s %s%s%s%s%s%s\n", set, th_json_str(tr, "file"),
             want, got,
             r ? json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN) : "[]",
             p ? " proposal " : "", prop,
             words && json_object_array_length(words) ? " (writing on the page)" : "",
             msg[0] ? " message: " : "", msg);
}

static void factor_add(acc_run *run, const char *kind, const char *name, int level, int out)
{
    char full[48];
    snprintf(full, sizeof full, "%s %s", kind, name);
    int i = 0;
    while (i < run->n_factors && strcmp(run->factors[i].name, full))
        i++;
    if (i == run->n_factors) {
        if (i == MAX_FACTORS)
            return;
        run->n_factors++;
        snprintf(run->factors[i].name, sizeof run->factors[i].name, "%s", full);
    }
    run->factors[i].n[level]++;
    run->factors[i].out[level] += out;
}

/* The degradations a ballot got: synth's own list when it writes one
 * (degradations.applied), else what today's fields show. */
static void factor_degradations(acc_run *run, json_object *d, int level, int out)
{
    json_object *applied = th_json_get(d, "applied");
    if (applied && json_object_is_type(applied, json_type_array)) {
        size_t n = json_object_array_length(applied);
        for (size_t i = 0; i < n; i++)
            factor_add(run, "degrade",
                       json_object_get_string(json_object_array_get_idx(applied, i)), level, out);
        if (!n)
            factor_add(run, "degrade", "none", level, out);
        return;
    }
    json_object *shift = th_json_get(d, "shift_mm"), *v;
    int any = 0;
#define DEG(cond, name)                                 \
    do {                                                \
        if (cond) {                                     \
            factor_add(run, "degrade", name, level, out); \
            any = 1;                                    \
        }                                               \
    } while (0)
    DEG((v = th_json_get(d, "upside_down")) && json_object_get_boolean(v), "upside-down");
    DEG((v = th_json_get(d, "rotation_deg")) && json_object_get_double(v) != 0, "rotate");
    DEG(shift && (json_object_get_double(json_object_array_get_idx(shift, 0)) != 0 ||
                  json_object_get_double(json_object_array_get_idx(shift, 1)) != 0),
        "shift");
    DEG((v = th_json_get(d, "scale")) && json_object_get_double(v) != 1, "scale");
    DEG((v = th_json_get(d, "noise_sigma")) && json_object_get_double(v) > 0, "noise");
    DEG((v = th_json_get(d, "blur_px")) && json_object_get_int(v) > 0, "blur");
    DEG(th_json_get(d, "jpeg_quality") != NULL, "jpeg");
    DEG(th_json_get(d, "streak") != NULL, "streak");
    DEG(th_json_get(d, "fold_y_mm") != NULL, "fold");
    DEG((v = th_json_get(d, "stray_writing")) && json_object_array_length(v) > 0, "stray/writing");
#undef DEG
    if (!any)
        factor_add(run, "degrade", "none", level, out);
}

/* Styles and instruments of a ballot's marks, each named once. */
static void factor_marks(acc_run *run, json_object *marks, int level, int out)
{
    size_t n = marks ? json_object_array_length(marks) : 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *k = pass ? "instrument" : "style";
        for (size_t i = 0; i < n; i++) {
            const char *v = th_json_str(json_object_array_get_idx(marks, i), k);
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(v, th_json_str(json_object_array_get_idx(marks, j), k));
            if (!seen)
                factor_add(run, k, v, level, out);
        }
    }
}

/* Hold one ballot against its truth. */
static void judge(acc_run *run, figs *f, int level, const char *set, json_object *tr,
                  json_object *c)
{
    json_object *e = th_json_get(tr, "expected"), *alt = th_json_get(e, "if_definite");
    json_object *words = th_json_get(th_json_get(tr, "degradations"), "stray_writing");
    const char *want = th_json_str(e, "outcome"), *got = th_json_str(c, "outcome");
    int amb = !strcmp(want, "review"), review = !strcmp(got, "review");
    int rejected = !strcmp(got, "rejected"), definite = is_definite(got);
    f->n++;
    if (amb) {
        f->amb++;
        if (review)
            f->amb_review++;
        else if (definite && alt && same(alt, c))
            f->amb_if_definite++;
        else {
            f->amb_missed++;
            list_ballot(&run->amb_missed, set, tr, c);
        }
    } else {
        f->unamb++;
        f->unamb_review += review;
        f->unamb_rejected += rejected;
        if (review || rejected)
            list_ballot(&run->unamb_out[level], set, tr, c);
        factor_degradations(run, th_json_get(tr, "degradations"), level, review || rejected);
        factor_marks(run, th_json_get(tr, "marks"), level, review || rejected);
        factor_add(run, "scenario", th_json_str(tr, "scenario"), level, review || rejected);
    }
    json_object *ref = amb ? alt : e;
    if (definite && (!ref || !same(ref, c))) {
        f->wrong++;
        list_ballot(&run->wrong, set, tr, c);
    }
    json_object *p = th_json_get(c, "proposal");
    if (review && p && strcmp(th_json_str(p, "outcome"), "review")) {
        if (!ref)
            f->unjudged++;
        else {
            f->proposals++;
            if (!same(ref, p)) {
                f->wrong_proposals++;
                list_ballot(&run->wrong_proposal, set, tr, c);
            }
        }
    }
    if (words && json_object_array_length(words) > 0) {
        f->writing++;
        if (review)
            f->writing_review++;
        else
            list_ballot(&run->writing_missed, set, tr, c);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_name(char *buf, size_t n, int i)
{
    snprintf(buf, n, "%s-%s-%s", level_name[sets[i].level],
             strstr(sets[i].model, "tk2025") ? "tk2025" : "gr2022", sets[i].format);
}

/* Draw set i into dir/in, count it into dir/out and judge every ballot. */
static void run_set(acc_run *run, int i, const char *top)
{
    char name[64], dir[4200], p[4300];
    set_name(name, sizeof name, i);
    snprintf(dir, sizeof dir, "%s/%s", top, name);
    char *model = th_root(sets[i].model), *bad = th_root("tests/data/bad"), *out = NULL;
    double t0 = now();
    int rc = th_run(&out, "synth '%s' --count %d --seed %d --dpi 200 --format %s %s "
                          "--threads %d --out '%s/in'",
                    model, PER_SET, SEED0 + i, sets[i].format, level_args[sets[i].level],
                    THREADS, dir);
    if (rc != 0)
        fail_msg("%s: synth failed (%d): %s", name, rc, out);
    free(out);
    double t1 = now();
    /* The first set also gets the broken pages: their rejected records
     * must parse strictly too. count exits 1 when pages need review. */
    rc = th_run(&out, "count --model '%s' --threads %d --out '%s/out' '%s/in' %s%s%s", model,
                THREADS, dir, dir, i == 0 ? "'" : "", i == 0 ? bad : "", i == 0 ? "'" : "");
    if (rc != 0 && rc != 1)
        fail_msg("%s: count failed (%d): %s", name, rc, out);
    free(out);
    run->seconds_synth += t1 - t0;
    run->seconds_count += now() - t1;

    int nt, nc;
    snprintf(p, sizeof p, "%s/in/truth.jsonl", dir);
    json_object **t = th_jsonl_strict(p, name, &nt);
    snprintf(p, sizeof p, "%s/out/ballots.jsonl", dir);
    json_object **c = th_jsonl_strict(p, name, &nc);
    run->lines_strict += nt + nc;
    if (nt != PER_SET || nc < nt)
        fail_msg("%s: %d truth lines and %d ballots for %d ballots drawn", name, nt, nc, PER_SET);
    figs *f = &run->set[i];
    for (int k = 0; k < nt; k++) {
        /* Records come in input order: files by name, pages in order. */
        if (strcmp(th_json_str(t[k], "file"), base(th_json_str(c[k], "file"))) ||
            th_json_int(t[k], "page") != th_json_int(c[k], "page"))
            fail_msg("%s: record %d is %s page %d, the truth's %s page %d", name, k + 1,
                     th_json_str(c[k], "file"), th_json_int(c[k], "page"),
                     th_json_str(t[k], "file"), th_json_int(t[k], "page"));
        judge(run, f, sets[i].level, name, t[k], c[k]);
    }
    for (int k = nt; k < nc; k++) {
        if (i != 0 || !strstr(th_json_str(c[k], "file"), "/tests/data/bad/"))
            fail_msg("%s: record %d (%s) is not one of the pages drawn", name, k + 1,
                     th_json_str(c[k], "file"));
        run->extra++;
        run->extra_rejected += !strcmp(th_json_str(c[k], "outcome"), "rejected");
    }
    th_jsonl_free(t, nt);
    th_jsonl_free(c, nc);
    free(model);
    free(bad);
    th_rmtree(dir);
}

static double pct(int a, int b) { return b ? 100.0 * a / b : 0.0; }

static void print_figs(const char *name, const char *model, const char *format, const figs *f)
{
    char caught[16] = "-";
    if (f->writing)
        snprintf(caught, sizeof caught, "%.1f", pct(f->writing_review, f->writing));
    print_message("  %-24s %-7s %-9s %5d | %5d %6.2f %6.2f %6.2f | %4d %4d %4d %4d | %3d | "
                  "%4d %3d %4d | %3d/%-3d %6s\n",
                  name, model, format, f->n, f->unamb, pct(f->unamb_review, f->unamb),
                  pct(f->unamb_rejected, f->unamb),
                  pct(f->unamb_review + f->unamb_rejected, f->unamb), f->amb, f->amb_review,
                  f->amb_if_definite, f->amb_missed, f->wrong, f->proposals,
                  f->wrong_proposals, f->unjudged, f->writing_review, f->writing, caught);
}

static void print_table(const acc_run *run)
{
    print_message("  accuracy: %d ballots of %d sets at 200 dpi, synth %.0f s, count %.0f s "
                  "(%d threads)\n",
                  run->all.n, N_SETS, run->seconds_synth, run->seconds_count, THREADS);
    print_message("  %-24s %-7s %-9s %5s | %5s %6s %6s %6s | %4s %4s %4s %4s | %3s | "
                  "%4s %3s %4s | %7s %6s\n",
                  "set", "model", "format", "n", "unamb", "rev%", "rej%", "r+r%", "amb",
                  "rev", "ifd", "miss", "wrg", "prop", "wrg", "unj", "writing", "caught%");
    for (int i = 0; i < N_SETS; i++) {
        char name[64];
        set_name(name, sizeof name, i);
        print_figs(name, strstr(sets[i].model, "tk2025") ? "tk2025" : "gr2022", sets[i].format,
                   &run->set[i]);
    }
    for (int l = 0; l < N_LEVELS; l++) {
        char name[64];
        snprintf(name, sizeof name, "%s (target %.1f%%)", level_name[l], level_limit_bp[l] / 100.0);
        print_figs(name, "both", "all", &run->level[l]);
    }
    print_figs("all", "both", "all", &run->all);
    print_message("  unamb: truth not review; rev%%/rej%%/r+r%%: of those, to review, rejected, "
                  "both. amb: truth review; rev: counted review, ifd: counted exactly "
                  "if_definite, miss: neither. wrg: wrong definite outcomes. prop: non-review "
                  "proposals judged, wrg: wrong, unj: not judged (truth review, no "
                  "if_definite). writing: ballots with stray_writing in review / all.\n");
    print_message("  %d broken pages of tests/data/bad appended to the first set, %d rejected; "
                  "%d lines parsed strictly\n",
                  run->extra, run->extra_rejected, run->lines_strict);
    print_message("  unambiguous ballots to review or rejected, by what they carry "
                  "(out/n per level):\n");
    for (int i = 0; i < run->n_factors; i++) {
        const factor *x = &run->factors[i];
        print_message("    %-28s clean %3d/%-4d mild %3d/%-4d heavy %3d/%-4d\n", x->name,
                      x->out[CLEAN], x->n[CLEAN], x->out[MILD], x->n[MILD], x->out[HEAVY],
                      x->n[HEAVY]);
    }
}

static int setup(void **state)
{
    acc_run *run = calloc(1, sizeof *run);
    if (!run)
        return -1;
    char *top = th_tmpdir();
    double t0 = now();
    for (int i = 0; i < N_SETS; i++) {
        run_set(run, i, top);
        figs_add(&run->level[sets[i].level], &run->set[i]);
        figs_add(&run->all, &run->set[i]);
    }
    th_rmtree(top);
    free(top);
    print_table(run);
    print_message("  accuracy: sets drawn, counted and judged in %.0f s\n", now() - t0);
    *state = run;
    return 0;
}

static int teardown(void **state)
{
    acc_run *run = *state;
    if (!run)
        return 0;
    free(run->wrong.s);
    free(run->wrong_proposal.s);
    free(run->amb_missed.s);
    free(run->writing_missed.s);
    for (int l = 0; l < N_LEVELS; l++)
        free(run->unamb_out[l].s);
    free(run);
    return 0;
}

/* Print the ballots of list t under a heading, when there are any, a
 * line at a time (print_message cuts its text at 1 kB). */
static void show(const char *what, const text *t)
{
    if (!t->lines)
        return;
    print_message("  %s (%d):\n", what, t->lines);
    for (const char *ln = t->s, *nl; *ln; ln = nl + 1) {
        nl = strchr(ln, '\n');
        print_message("%.*s\n", (int)(nl - ln), ln);
    }
}

static void test_accuracy_draws_2000_ballots_clean_mild_and_heavy_on_both_models(void **state)
{
    acc_run *run = *state;
    assert_true(run->all.n >= 2000);
    for (int l = 0; l < N_LEVELS; l++)
        assert_true(run->level[l].unamb > 0);
    assert_true(run->all.amb > 0);
}

static void test_accuracy_gives_no_wrong_definite_outcome(void **state)
{
    acc_run *run = *state;
    show("wrong definite outcomes", &run->wrong);
    if (run->all.wrong)
        fail_msg("%d wrong definite outcomes in %d ballots (listed above)", run->all.wrong,
                 run->all.n);
}

static void test_accuracy_proposes_no_wrong_outcome(void **state)
{
    acc_run *run = *state;
    show("wrong proposals", &run->wrong_proposal);
    if (run->all.wrong_proposals)
        fail_msg("%d wrong proposals of %d judged (listed above)", run->all.wrong_proposals,
                 run->all.proposals);
}

static void test_accuracy_sends_every_ambiguous_ballot_to_review(void **state)
{
    acc_run *run = *state;
    show("ambiguous ballots not in review", &run->amb_missed);
    if (run->all.amb_missed)
        fail_msg("%d of %d ambiguous ballots not in review (listed above)",
                 run->all.amb_missed, run->all.amb);
}

static void check_level(const acc_run *run, int l)
{
    const figs *f = &run->level[l];
    char what[96];
    snprintf(what, sizeof what, "%s: unambiguous ballots to review or rejected", level_name[l]);
    show(what, &run->unamb_out[l]);
    int out = f->unamb_review + f->unamb_rejected;
    printf("  %s: %d review + %d rejected of %d unambiguous = %.2f%% (target %.1f%%, guard "
           "%.1f%%)%s\n", level_name[l], f->unamb_review, f->unamb_rejected, f->unamb,
           pct(out, f->unamb), level_limit_bp[l] / 100.0, level_guard_bp[l] / 100.0,
           10000LL * out > (long long)level_limit_bp[l] * f->unamb ? ": TARGET NOT MET" : "");
    if (f->unamb == 0 || 10000LL * out > (long long)level_guard_bp[l] * f->unamb)
        fail_msg("%s: %d review + %d rejected of %d unambiguous ballots = %.2f%%, over the "
                 "guard of %.1f%%", level_name[l], f->unamb_review, f->unamb_rejected, f->unamb,
                 pct(out, f->unamb), level_guard_bp[l] / 100.0);
}

static void test_accuracy_reviews_or_rejects_at_most_0_5_percent_of_clean_unambiguous(void **state)
{
    check_level(*state, CLEAN);
}

static void test_accuracy_reviews_or_rejects_no_more_mild_unambiguous_than_its_guard(void **state)
{
    check_level(*state, MILD);
}

static void test_accuracy_reviews_or_rejects_no_more_heavy_unambiguous_than_its_guard(void **state)
{
    check_level(*state, HEAVY);
}

static void test_accuracy_sends_99_percent_of_ballots_with_writing_to_review(void **state)
{
    acc_run *run = *state;
    show("ballots with writing not in review", &run->writing_missed);
    const figs *f = &run->all;
    if (f->writing == 0)
        fail_msg("no ballot with writing among %d", f->n);
    if (100LL * f->writing_review < 99LL * f->writing)
        fail_msg("%d of %d ballots with writing in review (%.1f%%), under 99%%",
                 f->writing_review, f->writing, pct(f->writing_review, f->writing));
}

static void test_accuracy_ballots_jsonl_parses_strictly_rejected_pages_included(void **state)
{
    /* The setup parsed every line strictly (th_jsonl_strict fails on the
     * first bad one); here: the broken pages were in it, and rejected. */
    acc_run *run = *state;
    assert_true(run->extra > 0);
    assert_int_equal(run->extra_rejected, run->extra);
    assert_true(run->lines_strict >= 2 * run->all.n + run->extra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_draws_2000_ballots_clean_mild_and_heavy_on_both_models),
        cmocka_unit_test(test_accuracy_ballots_jsonl_parses_strictly_rejected_pages_included),
        cmocka_unit_test(test_accuracy_gives_no_wrong_definite_outcome),
        cmocka_unit_test(test_accuracy_proposes_no_wrong_outcome),
        cmocka_unit_test(test_accuracy_sends_every_ambiguous_ballot_to_review),
        cmocka_unit_test(test_accuracy_sends_99_percent_of_ballots_with_writing_to_review),
        cmocka_unit_test(test_accuracy_reviews_or_rejects_at_most_0_5_percent_of_clean_unambiguous),
        cmocka_unit_test(test_accuracy_reviews_or_rejects_no_more_mild_unambiguous_than_its_guard),
        cmocka_unit_test(test_accuracy_reviews_or_rejects_no_more_heavy_unambiguous_than_its_guard),
    };
    return cmocka_run_group_tests_name("accuracy", tests, setup, teardown);
}
