/* synth.c - synthetic marked ballots with ground truth
 *
 * Each ballot is made in three steps. First a plan is drawn from the
 * ballot's own random stream (seed, index, 0): the scenario, the boxes to
 * mark with their style and instrument, and the scanner and paper
 * degradations. Then the ballot is drawn with cairo: the scanner's
 * geometry (rotation, shift, scale, upside down) is the transform around
 * the mm->pixel scale, st_render_draw paints the blank ballot, marks.c the
 * voter's marks (jitter from stream (seed, index, 1)), handing back each
 * mark's shape mask. The pixel degradations run on the surface (noise from
 * stream (seed, index, 2)). Last each mask is laid on the final pixels, as
 * the format will write them, to measure what is left of the mark; that
 * decides how it is seen (clear, ambiguous, lost) and so the expected
 * outcome under the model's settings. A hesitant stroke that comes out
 * outside its band is redrawn from the same streams, longer or shorter.
 * The page goes to a TIFF writer. Files are made in parallel, one
 * surface per thread; truth.jsonl lines are kept per ballot and written in
 * ballot order at the end, so nothing depends on the thread count.
 *
 * With votes_from, the ballots of one station of a 510b count are listed
 * first (a vote per candidate vote, the blank and the invalid ballots),
 * shuffled with stream (seed, ~0, 7), and each plan is then forced to its
 * entry.
 */
#include "synth/synth.h"
#include "util/jsonfmt.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "synth/marks.h"
#include "stemtel/render.h"
#include "synth/rng.h"
#include "stemtel/score.h"

#define EML_NS "urn:oasis:names:tc:evs:schema:eml"
#define MAX_MARKS 8
#define MAX_STRAY 3

/* How a mark is measured in the written image. Strong ink is the level the
 * pipeline's box score counts (ST_INK_STRONG); a trace is any pixel at
 * SYNTH_INK_TRACE or more (the pipeline's weak level applies to 0.5 mm cell
 * means above the paper, where noise averages out; one pixel needs more).
 * The inside is the pipeline's too: st_score_inside (stemtel/score.h). */
#define SYNTH_INK_TRACE 16
/* A clear mark must leave this many times definite in strong ink; on a
 * bilevel page, where the threshold eats pencil unevenly, twice. */
#define SYNTH_CLEAR_FACTOR 1.4
#define SYNTH_CLEAR_FACTOR_BILEVEL 1.4
/* Below this x definite in strong ink a mark is no longer borderline-
 * marked: the scorer must find it marginal. */
#define SYNTH_BORDER_FACTOR 0.6
/* Trace ink between these x marginal is borderline-empty; below the low
 * one the mark is lost. */
#define SYNTH_LOW_FACTOR 0.5
#define SYNTH_HIGH_TRACE_FACTOR 2.0
/* The hesitant stroke must leave strong ink in [marginal, this x definite]. */
#define SYNTH_HESITANT_TOP 0.8
#define SYNTH_HESITANT_TRIES 4

/* ---- names ------------------------------------------------------------ */

static const char *const style_names[ST_STYLE_N] = {
    "fill", "partial", "x", "check", "stroke", "circle", "dot", "hesitant"};
static const char *const instrument_names[ST_INSTR_N] = {
    "red-pencil", "blue-pen", "black-pen", "faint"};
static const char *const scenario_names[ST_SCEN_N] = {
    "vote", "list-only", "number-only", "several-lists", "several-numbers",
    "beyond-list", "blank", "between"};
static const char *const degradation_names[ST_DEG_N] = {
    "rotate", "shift", "scale", "upside-down", "noise", "blur", "streak",
    "fold", "stray", "jpeg"};

/* Default mixes (see synth.h). */
static const double style_mix[ST_STYLE_N] = {36, 15, 20, 15, 10, 2, 2, 0};
static const double instrument_mix[ST_INSTR_N] = {72, 12, 12, 4};
static const double scenario_mix[ST_SCEN_N] = {62, 8, 4, 4, 5, 3, 8, 6};
static const double degradation_odds[ST_DEG_N] = {
    0.70, 0.70, 0.50, 0.10, 0.60, 0.25, 0.08, 0.10, 0.04, 0.10};

enum { OUT_VOTE, OUT_BLANK, OUT_INVALID, OUT_REVIEW };
static const char *const outcome_names[] = {"vote", "blank", "invalid",
                                            "review"};

static const char *name_at(const char *const *t, int n, int i)
{
    return i >= 0 && i < n ? t[i] : NULL;
}

const char *st_synth_style_name(int s)
{
    return name_at(style_names, ST_STYLE_N, s);
}

const char *st_synth_scenario_name(int s)
{
    return name_at(scenario_names, ST_SCEN_N, s);
}

const char *st_synth_degradation_name(int d)
{
    return name_at(degradation_names, ST_DEG_N, d);
}

int st_synth_parse_set(const char *kind, const char *csv, unsigned *bits,
                       st_error *err)
{
    const char *const *t;
    int n;
    int is_deg = 0;
    if (!kind || !csv || !bits)
        return st_error_set(err, ST_ERR_ARG, "synth: parse_set: NULL argument");
    if (!strncmp(kind, "style", 5))
        t = style_names, n = ST_STYLE_N;
    else if (!strncmp(kind, "instrument", 10))
        t = instrument_names, n = ST_INSTR_N;
    else if (!strncmp(kind, "scenario", 8))
        t = scenario_names, n = ST_SCEN_N;
    else if (!strncmp(kind, "degradation", 11) || !strcmp(kind, "degrade"))
        t = degradation_names, n = ST_DEG_N, is_deg = 1;
    else
        return st_error_set(err, ST_ERR_ARG, "synth: unknown kind of name \"%s\"",
                            kind);

    unsigned out = 0;
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ')) /* "a, b" is forgiven */
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        int found = 0;
        if (len == 3 && !strncmp(p, "all", 3)) {
            out |= (n >= 32 ? ~0u : (1u << n) - 1);
            found = 1;
        } else if (is_deg && len == 4 && !strncmp(p, "none", 4)) {
            out |= ST_SYNTH_DEG_NONE;
            found = 1;
        }
        for (int i = 0; !found && i < n; i++)
            if (strlen(t[i]) == len && !strncmp(p, t[i], len)) {
                out |= ST_SYNTH_BIT(i);
                found = 1;
            }
        if (!found) {
            char names[512] = "";
            for (int i = 0; i < n; i++) {
                strncat(names, t[i], sizeof names - strlen(names) - 1);
                strncat(names, ", ", sizeof names - strlen(names) - 1);
            }
            strncat(names, is_deg ? "all, none" : "all",
                    sizeof names - strlen(names) - 1);
            return st_error_set(err, ST_ERR_ARG,
                                "synth: unknown %s \"%.*s\" (known: %s)", kind,
                                (int)len, p, names);
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (!out)
        return st_error_set(err, ST_ERR_ARG, "synth: empty list of %s", kind);
    if ((out & ST_SYNTH_DEG_NONE) && (out & ~ST_SYNTH_DEG_NONE))
        return st_error_set(err, ST_ERR_ARG,
                            "synth: \"none\" cannot be combined with other "
                            "degradations");
    *bits = out;
    return ST_OK;
}

void st_synth_opts_default(st_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->count = 10;
    o->seed = 1;
    o->dpi = 200;
    o->format = ST_TIFF_RGB_JPEG;
    o->jpeg_quality = 85;
    o->pages_per_file = 1;
    o->degrade_level = 0.5;
}

/* ---- the model's boxes -------------------------------------------------- */

typedef struct geo {
    int n_lists;
    int *list_t;   /* per m->lists[i]: index of its box in m->targets */
    int grid;      /* number boxes 1..grid all exist */
    int *num_t;    /* [1..grid]: index of number box */
    int short_lists; /* lists shorter than the grid */
} geo;

static void geo_free(geo *g)
{
    free(g->list_t);
    free(g->num_t);
}

static int geo_build(const st_model *m, geo *g, st_error *err)
{
    memset(g, 0, sizeof *g);
    if (m->n_lists < 1)
        return st_error_set(err, ST_ERR_INVALID, "synth: the model has no lists");
    int maxn = 0;
    for (int i = 0; i < m->n_targets; i++)
        if (m->targets[i].kind == ST_TARGET_NUMBER &&
            m->targets[i].number > maxn)
            maxn = m->targets[i].number;
    g->n_lists = m->n_lists;
    g->list_t = malloc(sizeof *g->list_t * (size_t)m->n_lists);
    g->num_t = malloc(sizeof *g->num_t * (size_t)(maxn + 1));
    if (!g->list_t || !g->num_t) {
        geo_free(g);
        return st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
    }
    for (int i = 0; i < m->n_lists; i++)
        g->list_t[i] = -1;
    for (int n = 0; n <= maxn; n++)
        g->num_t[n] = -1;
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        if (t->kind == ST_TARGET_NUMBER && t->number >= 1)
            g->num_t[t->number] = i;
        else if (t->kind == ST_TARGET_LIST)
            for (int l = 0; l < m->n_lists; l++)
                if (m->lists[l].number == t->number)
                    g->list_t[l] = i;
    }
    for (int l = 0; l < m->n_lists; l++)
        if (g->list_t[l] < 0) {
            int n = m->lists[l].number;
            geo_free(g);
            return st_error_set(err, ST_ERR_INVALID,
                                "synth: the model has no box for list %d", n);
        }
    while (g->grid < maxn && g->num_t[g->grid + 1] >= 0)
        g->grid++;
    if (g->grid < 1) {
        geo_free(g);
        return st_error_set(err, ST_ERR_INVALID,
                            "synth: the model has no number box 1");
    }
    for (int l = 0; l < m->n_lists; l++)
        if (m->lists[l].n_candidates < g->grid)
            g->short_lists++;
    return ST_OK;
}

static int list_index(const st_model *m, int number)
{
    for (int l = 0; l < m->n_lists; l++)
        if (m->lists[l].number == number)
            return l;
    return -1;
}

/* ---- the plan of one ballot --------------------------------------------- */

/* What became of a mark in the written image. */
/* CLEAR and LOST: the pipeline must read the mark as marked, or not see
 * it. AMBIGUOUS: it must send the ballot to review. The two borderline
 * bands lie where a scorer's measure and ours can fall either side of a
 * threshold: review is right, and so is the one definite reading with the
 * mark marked (BORDER_HIGH, near definite) or empty (BORDER_LOW, near
 * marginal). */
enum { SEEN_CLEAR, SEEN_AMBIGUOUS, SEEN_LOST, SEEN_BORDER_HIGH, SEEN_BORDER_LOW };
static const char *const seen_names[] = {"clear", "ambiguous", "lost", "borderline-marked",
                                         "borderline-empty"};

typedef struct smark {
    int target, style, instrument, ambiguous; /* ambiguous: as drawn */
    /* Measured on the final pixels (see measure_marks). */
    double visible, visible_trace; /* share of its pixels still inked */
    double coverage;               /* strong ink left / inside area */
    double trace_cov;              /* trace ink left / inside area */
    double drawn_cov;              /* its pixels / inside area */
    double visible_all;            /* visible share over all its pixels */
    int seen;                      /* SEEN_*: what the outcome uses */
} smark;

typedef struct splan {
    int scenario;
    int n_marks;
    smark marks[MAX_MARKS];
    double hesitant_cov;
    /* degradations */
    int upside;
    double rot, sx, sy, scale, noise;
    int blur, jpeg_q;               /* 0 = not applied */
    int streak_x, streak_w, streak_dark;
    double streak_f;
    int fold;
    double fold_y, fold_a;
    int n_stray;
    double stray[2 * MAX_STRAY];
    /* expected */
    int outcome, list, cand, party_only;
    const char *reason;
    /* With borderline marks only: the one definite outcome that is also
     * right (has_alt), besides review. */
    int has_alt, alt_outcome, alt_list, alt_cand, alt_party_only;
    const char *alt_reason;
} splan;

/* A forced ballot (votes_from). */
enum { FORCE_NONE, FORCE_VOTE, FORCE_BLANK, FORCE_INVALID };
typedef struct force {
    int kind, list_idx, cand;
} force;

/* Everything a worker needs, read-only during the run. */
typedef struct job {
    const st_model *m;
    const st_synth_opts *o;
    geo g;
    double style_w[ST_STYLE_N], instr_w[ST_INSTR_N], scen_w[ST_SCEN_N];
    int clear_only;
    double margin_x, margin_y; /* scanner bed beyond the paper, mm a side */
    int w_px, h_px;
    const force *forced; /* NULL or one per ballot */
    int n;
} job;

static int is_ambiguous(int style, int instrument)
{
    return style == ST_STYLE_CIRCLE || style == ST_STYLE_DOT ||
           style == ST_STYLE_HESITANT || instrument == ST_INSTR_FAINT;
}

static void add_mark(const job *j, splan *p, int target, int style,
                     int instrument)
{
    for (int i = 0; i < p->n_marks; i++)
        if (p->marks[i].target == target)
            return; /* a box is marked once */
    if (p->n_marks >= MAX_MARKS)
        return;
    smark *k = &p->marks[p->n_marks++];
    k->target = target;
    k->style = style;
    k->instrument = instrument;
    k->ambiguous = is_ambiguous(style, instrument);
}

/* A candidate number on list l that has a box. */
static int some_candidate(const job *j, int l, st_rng *r)
{
    int n = j->m->lists[l].n_candidates;
    if (n > j->g.grid)
        n = j->g.grid;
    return 1 + st_rng_int(r, n > 0 ? n : 1);
}

/* The validity table (domain.md) under the model's settings, for the
 * marks of p that `present` says are on the ballot. */
typedef struct reading {
    int outcome, list, cand, party_only;
    const char *reason;
} reading;

static reading table(const job *j, const splan *p, const int *present)
{
    const st_model *m = j->m;
    const st_settings *s = &m->settings;
    int nl = 0, nn = 0, list = 0, num = 0;
    reading r = {OUT_BLANK, 0, 0, 0, ""};
    for (int i = 0; i < p->n_marks; i++) {
        if (!present[i])
            continue;
        const st_target *t = &m->targets[p->marks[i].target];
        if (t->kind == ST_TARGET_LIST)
            nl++, list = t->number;
        else
            nn++, num = t->number;
    }
    if (nl == 0) {
        r.outcome = nn ? OUT_INVALID : OUT_BLANK;
        r.reason = nn ? "number without list" : "";
        return r;
    }
    if (nl > 1) {
        r.outcome = OUT_INVALID;
        r.reason = "several lists";
        return r;
    }
    const st_list *L = &m->lists[list_index(m, list)];
    int party_only = 0;
    if (nn == 0) {
        party_only = 1;
        r.reason = "list only";
    } else if (nn > 1) {
        r.reason = "several numbers";
        if (s->multiple_numbers == ST_MULTIPLE_NUMBERS_REVIEW) {
            r.outcome = OUT_REVIEW;
            return r;
        }
        if (s->multiple_numbers == ST_MULTIPLE_NUMBERS_INVALID) {
            r.outcome = OUT_INVALID;
            return r;
        }
        party_only = 1;
    } else if (num > L->n_candidates) {
        r.reason = "no such candidate";
        r.outcome = s->beyond_list == ST_BEYOND_LIST_REVIEW ? OUT_REVIEW : OUT_INVALID;
        return r;
    }
    if (party_only && s->party_only == ST_PARTY_ONLY_INVALID) {
        r.outcome = OUT_INVALID;
        return r;
    }
    r.outcome = OUT_VOTE;
    r.list = list;
    r.cand = party_only ? 1 : num;
    r.party_only = party_only;
    return r;
}

/* Apply the model's rules to the marks of p as the image shows them
 * (smark.seen): ambiguous or borderline marks and stray writing send the
 * ballot to review; with borderline marks alone, the reading that takes
 * them as the scorer's other answer (marked, or empty) is also right. */
static void expect(const job *j, splan *p)
{
    int present[MAX_MARKS], ambiguous = 0, border = 0;
    for (int i = 0; i < p->n_marks; i++) {
        int seen = p->marks[i].seen;
        present[i] = seen == SEEN_CLEAR || seen == SEEN_BORDER_HIGH;
        ambiguous |= seen == SEEN_AMBIGUOUS;
        border |= seen == SEEN_BORDER_HIGH || seen == SEEN_BORDER_LOW;
    }
    reading r = table(j, p, present);
    p->has_alt = 0;
    if (ambiguous || border || p->n_stray > 0) {
        p->outcome = OUT_REVIEW;
        p->list = p->cand = p->party_only = 0;
        p->reason = p->n_stray > 0 && !ambiguous && !border ? "writing outside boxes"
                                                            : "ambiguous mark";
        if (!ambiguous && !p->n_stray && r.outcome != OUT_REVIEW) {
            p->has_alt = 1;
            p->alt_outcome = r.outcome;
            p->alt_list = r.list;
            p->alt_cand = r.cand;
            p->alt_party_only = r.party_only;
            p->alt_reason = r.reason;
        }
        return;
    }
    p->outcome = r.outcome;
    p->list = r.list;
    p->cand = r.cand;
    p->party_only = r.party_only;
    p->reason = r.reason;
}

static void plan_ballot(const job *j, int index, splan *p)
{
    const st_model *m = j->m;
    const st_synth_opts *o = j->o;
    st_rng r;
    st_rng_init(&r, o->seed, (uint64_t)index, 0);
    memset(p, 0, sizeof *p);

    /* Scenario and marks. One voter holds one instrument. */
    int instr = st_rng_pick(&r, j->instr_w, ST_INSTR_N);
    const force *f = j->forced ? &j->forced[index] : NULL;
    int l = st_rng_int(&r, m->n_lists);
    int scen;
    if (f) {
        scen = f->kind == FORCE_VOTE    ? ST_SCEN_VOTE
               : f->kind == FORCE_BLANK ? ST_SCEN_BLANK
               : (m->n_lists >= 2 && st_rng_chance(&r, 0.5))
                   ? ST_SCEN_SEVERAL_LISTS
                   : ST_SCEN_NUMBER_ONLY;
        if (f->kind == FORCE_VOTE)
            l = f->list_idx;
    } else {
        scen = st_rng_pick(&r, j->scen_w, ST_SCEN_N);
    }
    p->scenario = scen;
#define STYLE() st_rng_pick(&r, j->style_w, ST_STYLE_N)
    switch (scen) {
    case ST_SCEN_VOTE: {
        int c = f ? f->cand : some_candidate(j, l, &r);
        add_mark(j, p, j->g.list_t[l], STYLE(), instr);
        add_mark(j, p, j->g.num_t[c], STYLE(), instr);
        break;
    }
    case ST_SCEN_LIST_ONLY:
        add_mark(j, p, j->g.list_t[l], STYLE(), instr);
        break;
    case ST_SCEN_NUMBER_ONLY:
        add_mark(j, p, j->g.num_t[1 + st_rng_int(&r, j->g.grid)], STYLE(),
                 instr);
        break;
    case ST_SCEN_SEVERAL_LISTS: {
        int k = 2 + (m->n_lists > 2 && st_rng_chance(&r, 0.3));
        add_mark(j, p, j->g.list_t[l], STYLE(), instr);
        while (p->n_marks < k)
            add_mark(j, p, j->g.list_t[st_rng_int(&r, m->n_lists)], STYLE(),
                     instr);
        if (!f && st_rng_chance(&r, 0.5))
            add_mark(j, p, j->g.num_t[some_candidate(j, l, &r)], STYLE(),
                     instr);
        break;
    }
    case ST_SCEN_SEVERAL_NUMBERS: {
        /* Prefer a list with room for two of its own numbers. */
        for (int t = 0; t < 8 && m->lists[l].n_candidates < 2; t++)
            l = st_rng_int(&r, m->n_lists);
        int lim = m->lists[l].n_candidates >= 2 ? m->lists[l].n_candidates
                                                : j->g.grid;
        if (lim > j->g.grid)
            lim = j->g.grid;
        int k = 3 + (lim > 2 && st_rng_chance(&r, 0.3));
        add_mark(j, p, j->g.list_t[l], STYLE(), instr);
        for (int t = 0; p->n_marks < k && t < 50; t++)
            add_mark(j, p, j->g.num_t[1 + st_rng_int(&r, lim)], STYLE(), instr);
        break;
    }
    case ST_SCEN_BEYOND_LIST: {
        int pick = st_rng_int(&r, j->g.short_lists);
        for (int i = 0; i < m->n_lists; i++)
            if (m->lists[i].n_candidates < j->g.grid && pick-- == 0) {
                l = i;
                break;
            }
        int nc = m->lists[l].n_candidates;
        add_mark(j, p, j->g.list_t[l], STYLE(), instr);
        add_mark(j, p, j->g.num_t[nc + 1 + st_rng_int(&r, j->g.grid - nc)],
                 STYLE(), instr);
        break;
    }
    case ST_SCEN_BETWEEN: {
        int ins = instr == ST_INSTR_FAINT ? ST_INSTR_RED_PENCIL : instr;
        if (st_rng_chance(&r, 0.5)) {
            add_mark(j, p, j->g.list_t[l], STYLE(), instr);
            add_mark(j, p, j->g.num_t[some_candidate(j, l, &r)],
                     ST_STYLE_HESITANT, ins);
        } else if (st_rng_chance(&r, 0.5)) {
            add_mark(j, p, j->g.list_t[l], ST_STYLE_HESITANT, ins);
        } else {
            add_mark(j, p, j->g.num_t[some_candidate(j, l, &r)],
                     ST_STYLE_HESITANT, ins);
        }
        break;
    }
    default: /* blank */
        break;
    }
#undef STYLE
    /* Aim the hesitant stroke between the model's thresholds on a log
     * scale: their midpoint lies too near definite once round caps and
     * wobble add ink. make_file checks what it left and redraws. */
    p->hesitant_cov = sqrt(m->settings.marginal * m->settings.definite);
    if (!(p->hesitant_cov > 0 && p->hesitant_cov < 1))
        p->hesitant_cov = 0.08;

    /* Degradations: every chance and value is drawn, used or not, so one
     * option does not shift the others' numbers. */
    unsigned on = 0;
    for (int d = 0; d < ST_DEG_N; d++)
        if (st_rng_chance(&r, degradation_odds[d]))
            on |= ST_SYNTH_BIT(d);
    if (o->degradations & ST_SYNTH_DEG_NONE)
        on = 0;
    else if (o->degradations)
        on = o->degradations;
    if (j->clear_only)
        on &= ~ST_SYNTH_BIT(ST_DEG_STRAY);
    if (!(o->format == ST_TIFF_GREY_JPEG || o->format == ST_TIFF_RGB_JPEG))
        on &= ~ST_SYNTH_BIT(ST_DEG_JPEG); /* nothing to degrade */
    double L = o->degrade_level;
#define ON(d) (on & ST_SYNTH_BIT(d))
    double v;
    v = st_rng_range(&r, -5, 5) * L;
    p->rot = ON(ST_DEG_ROTATE) ? v : 0;
    v = st_rng_range(&r, -5, 5) * L;
    p->sx = ON(ST_DEG_SHIFT) ? v : 0;
    v = st_rng_range(&r, -5, 5) * L;
    p->sy = ON(ST_DEG_SHIFT) ? v : 0;
    v = 1 + st_rng_range(&r, -0.03, 0.03) * L;
    p->scale = ON(ST_DEG_SCALE) ? v : 1;
    p->upside = ON(ST_DEG_UPSIDE_DOWN) ? 1 : 0;
    v = st_rng_range(&r, 0.25, 1) * 12 * L;
    p->noise = ON(ST_DEG_NOISE) ? v : 0;
    v = (0.5 + 2 * L * st_rng_unit(&r)) * o->dpi / 200.0;
    p->blur = ON(ST_DEG_BLUR) ? (v < 1 ? 1 : (int)lround(v)) : 0;
    v = 60 - 40 * L * st_rng_unit(&r);
    p->jpeg_q = ON(ST_DEG_JPEG) ? (int)lround(v) : 0;
    if (p->jpeg_q > o->jpeg_quality)
        p->jpeg_q = o->jpeg_quality; /* a degradation never improves */
    int sx = (int)(st_rng_range(&r, 0.05, 0.95) * j->w_px);
    int sw = 2 + (int)(st_rng_unit(&r) * 4 * o->dpi / 200.0);
    int sd = st_rng_chance(&r, 0.6);
    double sf = st_rng_range(&r, 0.55, 0.85);
    if (ON(ST_DEG_STREAK)) {
        p->streak_x = sx;
        p->streak_w = sw;
        p->streak_dark = sd;
        p->streak_f = sf;
    }
    double fy = st_rng_range(&r, 0.35, 0.65) * m->paper_h;
    double fa = 0.10 + 0.25 * L * st_rng_unit(&r);
    if (ON(ST_DEG_FOLD)) {
        p->fold = 1;
        p->fold_y = fy;
        p->fold_a = fa;
    }
    int ns = 1 + st_rng_int(&r, MAX_STRAY);
    if (ON(ST_DEG_STRAY))
        p->n_stray = st_marks_stray_place(m, &r, p->stray, ns);
#undef ON
}

/* ---- pixels ------------------------------------------------------------ */

static inline uint8_t clamp8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void px_streak(uint8_t *data, int stride, int w, int h, const splan *p)
{
    int x1 = p->streak_x + p->streak_w;
    if (x1 > w)
        x1 = w;
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
        for (int x = p->streak_x; x < x1; x++) {
            uint32_t c = row[x], o = 0;
            for (int s = 0; s < 24; s += 8) {
                int v = (c >> s) & 0xff;
                /* dark: dust on the glass; light: a dead sensor line */
                v = p->streak_dark ? (int)(v * p->streak_f)
                                   : v + (int)((255 - v) * (1 - p->streak_f));
                o |= (uint32_t)clamp8(v) << s;
            }
            row[x] = o;
        }
    }
}

/* Horizontal box sums of one RGB24 row (bytes B, G, R, X on every
 * platform cairo runs on little-endian; the channels are treated alike,
 * so their order does not matter) into 3 interleaved channels. */
static void hblur_row(const uint8_t *src, int w, int rad, uint16_t *dst)
{
    int s0 = 0, s1 = 0, s2 = 0;
    for (int k = -rad; k <= rad; k++) {
        int x = k < 0 ? 0 : k >= w ? w - 1 : k;
        s0 += src[4 * x];
        s1 += src[4 * x + 1];
        s2 += src[4 * x + 2];
    }
    for (int x = 0; x < w; x++) {
        dst[3 * x] = (uint16_t)s0;
        dst[3 * x + 1] = (uint16_t)s1;
        dst[3 * x + 2] = (uint16_t)s2;
        int xo = x - rad < 0 ? 0 : x - rad;
        int xi = x + rad + 1 >= w ? w - 1 : x + rad + 1;
        s0 += src[4 * xi] - src[4 * xo];
        s1 += src[4 * xi + 1] - src[4 * xo + 1];
        s2 += src[4 * xi + 2] - src[4 * xo + 2];
    }
}

/* Separable box blur in place; a ring of 2r+2 rows of horizontal sums
 * feeds running column sums, so no second page is needed. Radius is at
 * most 15 so that 255 * (2r+1) fits the ring's 16 bits. */
static int px_blur(uint8_t *data, int stride, int w, int h, int rad)
{
    if (rad > 15)
        rad = 15;
    int k = 2 * rad + 2, win = 2 * rad + 1;
    uint16_t *ring = malloc(sizeof *ring * (size_t)k * 3 * (size_t)w);
    uint32_t *sum = calloc((size_t)w * 3, sizeof *sum);
    if (!ring || !sum) {
        free(ring);
        free(sum);
        return ST_ERR_NOMEM;
    }
#define ROW(y) (data + (size_t)((y) < 0 ? 0 : (y) >= h ? h - 1 : (y)) * stride)
#define SLOT(y) (ring + (size_t)(((y) % k + k) % k) * 3 * w)
    for (int y = -rad; y <= rad; y++) {
        hblur_row(ROW(y), w, rad, SLOT(y));
        uint16_t *s = SLOT(y);
        for (int i = 0; i < 3 * w; i++)
            sum[i] += s[i];
    }
    /* Divide by win^2 as a multiply and shift. */
    uint64_t mul = ((1ull << 32) + (uint64_t)(win * win) / 2) / (uint64_t)(win * win);
    for (int y = 0; y < h; y++) {
        uint8_t *out = data + (size_t)y * stride;
        if (y == h - 1) {
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    out[4 * x + c] = (uint8_t)((sum[3 * x + c] * mul + (1ull << 31)) >> 32);
            break;
        }
        /* Row y+r+1 takes the slot of y-r-1, which is no longer summed;
         * its source row is below y, so still unblurred. Output and the
         * move of the window share one pass. */
        const uint16_t *gone = SLOT(y - rad);
        uint16_t *come = SLOT(y + rad + 1);
        hblur_row(ROW(y + rad + 1), w, rad, come);
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int i = 3 * x + c;
                uint32_t v = sum[i];
                out[4 * x + c] = (uint8_t)((v * mul + (1ull << 31)) >> 32);
                sum[i] = v - gone[i] + come[i];
            }
    }
#undef ROW
#undef SLOT
    free(ring);
    free(sum);
    return ST_OK;
}

/* Gaussian sensor noise, the same offset on all three channels. The
 * offsets come from a 4096-entry table of normal deviates, indexed by 12
 * bits at a time of the stream: five pixels per 64-bit draw. */
static void px_noise(uint8_t *data, int stride, int w, int h, double sigma,
                     st_rng *r)
{
    int16_t tab[4096];
    for (int i = 0; i < 4096; i++) {
        double v = st_rng_normal(r) * sigma;
        tab[i] = (int16_t)(v > 120 ? 120 : v < -120 ? -120 : lround(v));
    }
    uint8_t clip[512]; /* clip[128 + v] = v clamped to 0..255 */
    for (int i = 0; i < 512; i++)
        clip[i] = clamp8(i - 128);
    uint64_t bits = 0;
    int left = 0;
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            if (!left) {
                bits = st_rng_next(r);
                left = 5;
            }
            int d = tab[bits & 4095];
            bits >>= 12;
            left--;
            const uint8_t *cl = clip + 128 + d; /* no branches: white
                                                   paper clips half the time */
            uint32_t c = row[x];
            row[x] = ((uint32_t)cl[(c >> 16) & 0xff] << 16) |
                     ((uint32_t)cl[(c >> 8) & 0xff] << 8) | cl[c & 0xff];
        }
    }
}

/* Copy the RGB24 surface into img (3 channels, or luma for 1). */
static void px_to_image(const uint8_t *data, int stride, st_image *img)
{
    for (int y = 0; y < img->h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *o = img->px + (size_t)y * img->stride;
        for (int x = 0; x < img->w; x++) {
            uint32_t c = row[x];
            int r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
            if (img->channels == 3) {
                o[3 * x] = (uint8_t)r;
                o[3 * x + 1] = (uint8_t)g;
                o[3 * x + 2] = (uint8_t)b;
            } else {
                o[x] = (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
            }
        }
    }
}

/* The scanner bed is larger than the paper by enough that the worst
 * rotation, scale and shift this run can draw keep the whole page, with
 * its registration marks, in the image: a real scanner sees the skewed
 * page's corners too. With no geometric degradation the image is exactly
 * the paper. */
static void bed_margins(const st_model *m, const st_synth_opts *o, double *mx,
                        double *my)
{
    unsigned geo_bits = ST_SYNTH_BIT(ST_DEG_ROTATE) | ST_SYNTH_BIT(ST_DEG_SHIFT) |
                        ST_SYNTH_BIT(ST_DEG_SCALE);
    double L = o->degrade_level;
    *mx = *my = 0;
    if ((o->degradations & ST_SYNTH_DEG_NONE) ||
        (o->degradations && !(o->degradations & geo_bits)) || L <= 0)
        return;
    double a = 5 * L * M_PI / 180, k = 1 + 0.03 * L;
    double hx = m->paper_w / 2, hy = m->paper_h / 2;
    double ex = (hx * cos(a) + hy * sin(a)) * k - hx + 5 * L;
    double ey = (hx * sin(a) + hy * cos(a)) * k - hy + 5 * L;
    *mx = ceil(ex + 1);
    *my = ceil(ey + 1);
}

/* ---- drawing one ballot ------------------------------------------------- */

/* Draw ballot index after plan p on surf, pixel degradations included.
 * shapes[i] receives mark i's shape mask (the caller destroys them, also
 * on failure) and ctm the mm -> page pixel transform. */
static int draw_ballot(const job *j, int index, const splan *p,
                       cairo_surface_t *surf, st_marks_shape *shapes,
                       cairo_matrix_t *ctm, st_error *err)
{
    const st_model *m = j->m;
    const st_synth_opts *o = j->o;
    int rc = ST_OK;
    cairo_pattern_t *grain = NULL;
    cairo_t *cr = cairo_create(surf);
    st_rng r;
    st_rng_init(&r, o->seed, (uint64_t)index, 1);

    /* Scanner background shows where the page is shifted or turned away. */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    /* device = centre . rotate . scale . uncentre . mm->px, about the
     * page's centre in exact pixels, so no degradation is the plain
     * mm * dpi / 25.4 mapping. */
    double k = o->dpi / 25.4;
    cairo_translate(cr, (m->paper_w / 2 + j->margin_x + p->sx) * k,
                    (m->paper_h / 2 + j->margin_y + p->sy) * k);
    cairo_rotate(cr, p->rot * M_PI / 180 + (p->upside ? M_PI : 0));
    cairo_scale(cr, k * p->scale, k * p->scale);
    cairo_translate(cr, -m->paper_w / 2, -m->paper_h / 2);
    cairo_get_matrix(cr, ctm);

    rc = st_render_draw(m, cr, err);
    if (rc)
        goto out;

    grain = st_marks_grain(&r);
    double ol = m->settings.outline_mm;
    for (int i = 0; i < p->n_marks; i++) {
        const st_rect *t = &m->targets[p->marks[i].target].rect;
        st_rect in = {t->x + ol, t->y + ol, t->w - 2 * ol, t->h - 2 * ol};
        /* marks.c sizes the hesitant stroke on the drawn inside; the aim
         * is a share of the scored one. */
        st_rect sc = st_score_inside(m, t, o->dpi / 25.4);
        double cov = p->hesitant_cov * (sc.w * sc.h) / (in.w * in.h);
        st_marks_draw(cr, &in, p->marks[i].style, p->marks[i].instrument, cov,
                      grain, &r, &shapes[i]);
    }
    for (int i = 0; i < p->n_stray; i++)
        st_marks_stray_draw(cr, p->stray[2 * i], p->stray[2 * i + 1], &r);
    if (p->fold) {
        /* A crease: a thin dark line with a soft shadow on one side. */
        double tilt = st_rng_normal(&r) * 1.0;
        cairo_save(cr);
        cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
        cairo_set_source_rgba(cr, 0.3, 0.3, 0.3, p->fold_a);
        cairo_set_line_width(cr, 0.35);
        cairo_move_to(cr, 0, p->fold_y);
        cairo_line_to(cr, m->paper_w, p->fold_y + tilt);
        cairo_stroke(cr);
        cairo_set_source_rgba(cr, 0.4, 0.4, 0.4, p->fold_a * 0.35);
        cairo_move_to(cr, 0, p->fold_y);
        cairo_line_to(cr, m->paper_w, p->fold_y + tilt);
        cairo_line_to(cr, m->paper_w, p->fold_y + tilt + 2.5);
        cairo_line_to(cr, 0, p->fold_y + 2.5);
        cairo_close_path(cr);
        cairo_fill(cr);
        cairo_restore(cr);
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = st_error_set(err, ST_ERR_INVALID, "synth: ballot %d: cairo: %s",
                          index + 1, cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    cairo_surface_flush(surf);

    uint8_t *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    if (p->streak_w)
        px_streak(data, stride, j->w_px, j->h_px, p);
    if (p->blur && px_blur(data, stride, j->w_px, j->h_px, p->blur)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
        goto out;
    }
    if (p->noise > 0) {
        st_rng nr;
        st_rng_init(&nr, o->seed, (uint64_t)index, 2);
        px_noise(data, stride, j->w_px, j->h_px, p->noise, &nr);
    }
    cairo_surface_mark_dirty(surf);
out:
    if (grain)
        cairo_pattern_destroy(grain);
    cairo_destroy(cr);
    return rc;
}

/* ---- what survives of the marks ------------------------------------------ */

/* How the written page turns a pixel into the pipeline's ink. */
enum { INK_BILEVEL, INK_GREY, INK_RGB };

static int ink_kind(st_tiff_format f)
{
    return f == ST_TIFF_BILEVEL_G4 ? INK_BILEVEL
           : st_tiff_format_is_rgb(f) ? INK_RGB
                                      : INK_GREY;
}

/* Ink of one RGB24 pixel in the page as written: luma as px_to_image
 * computes it, thresholded at half grey as tiffout.c does for G4; for
 * colour 255 - min(R, G, B), so red and blue count like black. JPEG's
 * own loss is not modelled. */
static inline int ink_of(uint32_t c, int kind)
{
    int r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
    if (kind == INK_RGB) {
        int mn = r < g ? r : g;
        return 255 - (mn < b ? mn : b);
    }
    int luma = (299 * r + 587 * g + 114 * b + 500) / 1000;
    if (kind == INK_GREY)
        return 255 - luma;
    return luma < 128 ? 255 : 0;
}

/* For every mark, compare its shape mask with the final pixels of surf:
 * of the mask's pixels (alpha >= 0.5) inside the scored inside, the share
 * still carrying strong ink (visible) and a trace (visible_trace), and
 * those counts over the inside's area (coverage, trace_cov); drawn_cov is
 * the mask's own share of the inside. */
static void measure_marks(const job *j, splan *p, cairo_surface_t *surf,
                          const st_marks_shape *shapes, const cairo_matrix_t *ctm)
{
    const st_model *m = j->m;
    int kind = ink_kind(j->o->format);
    const uint8_t *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    cairo_matrix_t inv = *ctm;
    double k = j->o->dpi / 25.4 * p->scale;
    if (cairo_matrix_invert(&inv) != CAIRO_STATUS_SUCCESS)
        cairo_matrix_init_identity(&inv); /* cannot happen: scale > 0 */
    for (int i = 0; i < p->n_marks; i++) {
        smark *mk = &p->marks[i];
        st_rect in = st_score_inside(m, &m->targets[mk->target].rect, j->o->dpi / 25.4);
        double area = in.w * in.h * k * k; /* inside, in page pixels */
        long n_in = 0, s_in = 0, t_in = 0, n_all = 0, s_all = 0, t_all = 0;
        cairo_surface_t *ms = shapes[i].mask;
        if (ms) {
            cairo_surface_flush(ms);
            const uint8_t *md = cairo_image_surface_get_data(ms);
            int ms_stride = cairo_image_surface_get_stride(ms);
            int mw = cairo_image_surface_get_width(ms);
            int mh = cairo_image_surface_get_height(ms);
            for (int y = 0; y < mh; y++) {
                const uint8_t *mr = md + (size_t)y * ms_stride;
                int py = shapes[i].y0 + y;
                if (py >= j->h_px)
                    break;
                const uint32_t *row = (const uint32_t *)(data + (size_t)py * stride);
                for (int x = 0; x < mw; x++) {
                    if (mr[x] < 128)
                        continue;
                    int px = shapes[i].x0 + x;
                    if (px >= j->w_px)
                        break;
                    int v = ink_of(row[px], kind);
                    int strong = v >= ST_INK_STRONG, trace = v >= SYNTH_INK_TRACE;
                    n_all++;
                    s_all += strong;
                    t_all += trace;
                    double ux = px + 0.5, uy = py + 0.5;
                    cairo_matrix_transform_point(&inv, &ux, &uy);
                    if (ux < in.x || uy < in.y || ux >= in.x + in.w ||
                        uy >= in.y + in.h)
                        continue;
                    n_in++;
                    s_in += strong;
                    t_in += trace;
                }
            }
        }
        /* A loop around the box has no pixels inside: then all of it. */
        long n = n_in ? n_in : n_all, sv = n_in ? s_in : s_all,
             tv = n_in ? t_in : t_all;
        mk->visible = n ? (double)sv / n : 0;
        mk->visible_trace = n ? (double)tv / n : 0;
        mk->visible_all =
            n_all ? (double)(kind == INK_BILEVEL ? s_all : t_all) / n_all : 0;
        mk->coverage = area > 0 ? s_in / area : 0;
        mk->trace_cov = area > 0 ? t_in / area : 0;
        mk->drawn_cov = area > 0 ? n_in / area : 0;
    }
}

/* What the image says of mark k under the model's thresholds. Lost: less
 * than marginal is left of it in the box (black on a bilevel page, any
 * trace on others), and either the box had more of it or most of the
 * mark has gone (a loop drawn around the box is not lost, it was never
 * in). Ambiguous: drawn so, or too little strong ink left to call it a
 * mark at once. */
static int seen_as(const job *j, const smark *k)
{
    const st_settings *s = &j->m->settings;
    int bilevel = ink_kind(j->o->format) == INK_BILEVEL;
    double left = bilevel ? k->coverage : k->trace_cov;
    if (left < s->marginal && (k->drawn_cov >= s->marginal || k->visible_all < 0.5))
        return left < SYNTH_LOW_FACTOR * s->marginal ? SEEN_LOST : SEEN_BORDER_LOW;
    double factor = bilevel ? SYNTH_CLEAR_FACTOR_BILEVEL : SYNTH_CLEAR_FACTOR;
    if (k->coverage >= factor * s->definite)
        return k->ambiguous ? SEEN_BORDER_HIGH : SEEN_CLEAR;
    if (k->coverage >= SYNTH_BORDER_FACTOR * s->definite)
        return SEEN_BORDER_HIGH;
    if (left < SYNTH_HIGH_TRACE_FACTOR * s->marginal)
        return SEEN_BORDER_LOW;
    return SEEN_AMBIGUOUS;
}

/* ---- truth.jsonl --------------------------------------------------------- */

static char *truth_line(const job *j, int index, const char *file, int page,
                        int quality, const splan *p)
{
    const st_model *m = j->m;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("{\"file\":", f);
    st_json_fput_str(f, file);
    fprintf(f, ",\"page\":%d,\"index\":%d,\"seed\":%llu,\"dpi\":%d,\"format\":",
            page, index, (unsigned long long)j->o->seed, j->o->dpi);
    st_json_fput_str(f, st_tiff_format_name(j->o->format));
    fprintf(f, ",\"jpeg_quality\":");
    if (j->o->format == ST_TIFF_GREY_JPEG || j->o->format == ST_TIFF_RGB_JPEG)
        fprintf(f, "%d", quality);
    else
        fputs("null", f);
    fputs(",\"bed_margin_mm\":[", f);
    st_json_fput_num(f, j->margin_x, 1, 0);
    fputc(',', f);
    st_json_fput_num(f, j->margin_y, 1, 0);
    fputs("],\"scenario\":", f);
    st_json_fput_str(f, scenario_names[p->scenario]);

    fprintf(f, ",\"degradations\":{\"upside_down\":%s,\"rotation_deg\":",
            p->upside ? "true" : "false");
    st_json_fput_num(f, p->rot, 3, 0);
    fputs(",\"shift_mm\":[", f);
    st_json_fput_num(f, p->sx, 3, 0);
    fputc(',', f);
    st_json_fput_num(f, p->sy, 3, 0);
    fputs("],\"scale\":", f);
    st_json_fput_num(f, p->scale, 4, 0);
    fputs(",\"noise_sigma\":", f);
    st_json_fput_num(f, p->noise, 3, 0);
    fprintf(f, ",\"blur_px\":%d,\"jpeg_quality\":", p->blur);
    if (p->jpeg_q)
        fprintf(f, "%d", p->jpeg_q);
    else
        fputs("null", f);
    if (p->streak_w)
        fprintf(f, ",\"streak\":{\"x\":%d,\"width\":%d,\"kind\":\"%s\"}",
                p->streak_x, p->streak_w, p->streak_dark ? "dark" : "light");
    else
        fputs(",\"streak\":null", f);
    fputs(",\"fold_y_mm\":", f);
    if (p->fold)
        st_json_fput_num(f, p->fold_y, 3, 0);
    else
        fputs("null", f);
    fputs(",\"stray_writing\":[", f);
    for (int i = 0; i < p->n_stray; i++) {
        fputs(i ? ",[" : "[", f);
        st_json_fput_num(f, p->stray[2 * i], 3, 0);
        fputc(',', f);
        st_json_fput_num(f, p->stray[2 * i + 1], 3, 0);
        fputc(']', f);
    }
    fputs("]},\"marks\":[", f);
    for (int i = 0; i < p->n_marks; i++) {
        const smark *k = &p->marks[i];
        fputs(i ? ",{\"target\":" : "{\"target\":", f);
        st_json_fput_str(f, m->targets[k->target].id);
        fprintf(f, ",\"style\":\"%s\",\"instrument\":\"%s\",\"clarity\":\"%s\"",
                style_names[k->style], instrument_names[k->instrument],
                k->ambiguous ? "ambiguous" : "clear");
        fputs(",\"visible\":", f);
        st_json_fput_num(f, k->visible, 3, 0);
        fputs(",\"visible_trace\":", f);
        st_json_fput_num(f, k->visible_trace, 3, 0);
        fputs(",\"coverage\":", f);
        st_json_fput_num(f, k->coverage, 4, 0);
        fprintf(f, ",\"seen\":\"%s\"}", seen_names[k->seen]);
    }
    fprintf(f, "],\"expected\":{\"outcome\":\"%s\",", outcome_names[p->outcome]);
    if (p->outcome == OUT_VOTE)
        fprintf(f, "\"list\":%d,\"candidate\":%d,", p->list, p->cand);
    else
        fputs("\"list\":null,\"candidate\":null,", f);
    fprintf(f, "\"party_only\":%s,\"reason\":", p->party_only ? "true" : "false");
    st_json_fput_str(f, p->reason);
    if (p->has_alt) {
        fprintf(f, ",\"if_definite\":{\"outcome\":\"%s\",", outcome_names[p->alt_outcome]);
        if (p->alt_outcome == OUT_VOTE)
            fprintf(f, "\"list\":%d,\"candidate\":%d,", p->alt_list, p->alt_cand);
        else
            fputs("\"list\":null,\"candidate\":null,", f);
        fprintf(f, "\"party_only\":%s,\"reason\":", p->alt_party_only ? "true" : "false");
        st_json_fput_str(f, p->alt_reason);
        fputc('}', f);
    }
    fputs("}}\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- one output file ---------------------------------------------------- */

typedef struct worker {
    cairo_surface_t *surf;
    st_image *img;
} worker;

/* Draw ballot index on surf and measure its marks; settle what each is
 * seen as and the expected outcome. A hesitant stroke whose strong ink
 * left falls outside [marginal, SYNTH_HESITANT_TOP x definite] is redrawn
 * longer or shorter (the ballot's streams are replayed, so only its length
 * changes); a ballot that must carry clear marks (votes_from) and does not
 * is redrawn with a black pen, and then with its unclear marks filled in.
 * Either way the truth is what was measured
 * on the last drawing. */
static int settle_ballot(const job *j, int index, splan *p,
                         cairo_surface_t *surf, st_error *err)
{
    const st_settings *s = &j->m->settings;
    double lo = s->marginal, hi = SYNTH_HESITANT_TOP * s->definite;
    double goal = sqrt(s->marginal * s->definite);
    if (goal < lo || goal > hi)
        goal = sqrt(lo * hi);
    int hes = -1;
    for (int i = 0; i < p->n_marks; i++)
        if (p->marks[i].style == ST_STYLE_HESITANT)
            hes = i;
    double prev_cov = -1;
    int rc = ST_OK;
    for (int attempt = 0;; attempt++) {
        st_marks_shape shapes[MAX_MARKS];
        cairo_matrix_t ctm;
        memset(shapes, 0, sizeof shapes);
        rc = draw_ballot(j, index, p, surf, shapes, &ctm, err);
        if (!rc)
            measure_marks(j, p, surf, shapes, &ctm);
        for (int i = 0; i < p->n_marks; i++)
            cairo_surface_destroy(shapes[i].mask);
        if (rc)
            return rc;
        int clear = 1;
        for (int i = 0; i < p->n_marks; i++) {
            p->marks[i].seen = seen_as(j, &p->marks[i]);
            clear &= p->marks[i].seen == SEEN_CLEAR;
        }
        int again = 0;
        if (hes >= 0 && attempt + 1 < SYNTH_HESITANT_TRIES) {
            double c = p->marks[hes].coverage;
            /* Longer no longer helps once the stroke is at full length or
             * the pencil does not show at all. */
            int stuck = c < lo && prev_cov >= 0 && c <= prev_cov * 1.02;
            if ((c < lo || c > hi) && !stuck) {
                double f = c > 0 ? goal / c : 3;
                p->hesitant_cov *= f < 0.3 ? 0.3 : f > 3 ? 3 : f;
                again = 1;
            }
            prev_cov = c;
        }
        if (j->clear_only && !clear && attempt < 2) {
            /* First the pen; then the marks still unclear filled in. */
            for (int i = 0; i < p->n_marks; i++) {
                if (attempt == 1 && p->marks[i].seen != SEEN_CLEAR)
                    p->marks[i].style = ST_STYLE_FILL;
                p->marks[i].instrument = ST_INSTR_BLACK_PEN;
            }
            again = 1;
        }
        if (!again)
            break;
    }
    expect(j, p);
    return rc;
}

static int make_file(const job *j, worker *w, const char *dir, int file,
                     char **lines, int *outcomes, st_error *err)
{
    const st_synth_opts *o = j->o;
    int ppf = o->pages_per_file;
    int first = file * ppf, last = first + ppf;
    if (last > j->n)
        last = j->n;
    char name[64], path[4096];
    if (ppf == 1)
        snprintf(name, sizeof name, "ballot-%06d.tif", file + 1);
    else
        snprintf(name, sizeof name, "stack-%04d.tif", file + 1);
    snprintf(path, sizeof path, "%s/%s", dir, name);

    st_tiff_writer *tw = NULL;
    int rc = st_tiff_writer_open(path, &tw, err);
    if (rc)
        goto out;
    for (int i = first; i < last; i++) {
        splan p;
        plan_ballot(j, i, &p);
        rc = settle_ballot(j, i, &p, w->surf, err);
        if (rc)
            goto out;
        px_to_image(cairo_image_surface_get_data(w->surf),
                    cairo_image_surface_get_stride(w->surf), w->img);
        int q = p.jpeg_q ? p.jpeg_q : o->jpeg_quality;
        rc = st_tiff_writer_add(tw, w->img, o->format, q, err);
        if (rc)
            goto out;
        lines[i] = truth_line(j, i, name, i - first, q, &p);
        if (!lines[i]) {
            rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
            goto out;
        }
        outcomes[i] = p.outcome;
    }
out:
    {
        st_error cerr = {0};
        int crc = st_tiff_writer_close(tw, &cerr);
        if (!rc && crc) {
            rc = crc;
            if (err)
                *err = cerr;
        }
    }
    if (rc && err && !strstr(err->msg, path))
        st_error_prefix(err, "synth: %s", path);
    return rc;
}

/* ---- votes_from --------------------------------------------------------- */

static int is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           !strcmp((const char *)n->ns->href, EML_NS) &&
           !strcmp((const char *)n->name, name);
}

static xmlNode *child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* Attribute or text parsed as a non-negative int; -1 if absent or bad. */
static int to_int(xmlChar *s)
{
    int v = -1;
    if (s) {
        char *end;
        errno = 0;
        long l = strtol((const char *)s, &end, 10);
        while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
            end++;
        if (end != (char *)s && !*end && !errno && l >= 0 && l <= INT_MAX)
            v = (int)l;
        xmlFree(s);
    }
    return v;
}

static int push_force(force **a, int *n, int *cap, force f)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 256;
        force *na = realloc(*a, sizeof *na * (size_t)nc);
        if (!na)
            return ST_ERR_NOMEM;
        *a = na;
        *cap = nc;
    }
    (*a)[(*n)++] = f;
    return ST_OK;
}

static int votes_from_load(const job *j, const char *path, const char *station,
                           force **out, int *n_out, st_error *err)
{
    const st_model *m = j->m;
    int rc = ST_OK, n = 0, cap = 0, found = 0, n_seen = 0;
    force *a = NULL;
    char seen[256] = "";
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    xmlDocPtr doc = NULL;
    if (!ctx) {
        rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
        goto out;
    }
    doc = xmlCtxtReadFile(ctx, path, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        FILE *probe = fopen(path, "r");
        if (!probe) {
            rc = st_error_set(err, ST_ERR_IO, "synth: %s: cannot open: %s", path,
                              strerror(errno));
            goto out;
        }
        fclose(probe);
        rc = st_error_set(err, ST_ERR_PARSE, "synth: %s:%d: not well-formed XML: %s",
                          path, e ? e->line : 0,
                          e && e->message ? e->message : "?");
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *contests = child(child(child(root, "Count"), "Election"), "Contests");
    if (!is_el(root, "EML") || !contests) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "synth: %s: not an EML 510b count (no "
                          "Count/Election/Contests)", path);
        goto out;
    }
    for (xmlNode *c = contests->children; c && !found; c = c->next) {
        if (!is_el(c, "Contest"))
            continue;
        for (xmlNode *ru = c->children; ru && !found; ru = ru->next) {
            if (!is_el(ru, "ReportingUnitVotes"))
                continue;
            xmlChar *id = xmlGetProp(child(ru, "ReportingUnitIdentifier"),
                                     BAD_CAST "Id");
            if (!id)
                continue;
            if (strcmp((const char *)id, station)) {
                if (n_seen++ < 4 && strlen(seen) + xmlStrlen(id) + 8 < sizeof seen) {
                    strcat(seen, n_seen > 1 ? ", " : "");
                    strcat(seen, (const char *)id);
                }
                xmlFree(id);
                continue;
            }
            xmlFree(id);
            found = 1;
            int cur = -1, curnum = -1, blank = -1, invalid = -1;
            for (xmlNode *s = ru->children; s; s = s->next) {
                if (is_el(s, "RejectedVotes")) {
                    xmlChar *why = xmlGetProp(s, BAD_CAST "ReasonCode");
                    int v = to_int(xmlNodeGetContent(s));
                    if (why && !strcmp((const char *)why, "blanco"))
                        blank = v;
                    else if (why && !strcmp((const char *)why, "ongeldig"))
                        invalid = v;
                    xmlFree(why);
                    continue;
                }
                if (!is_el(s, "Selection"))
                    continue;
                xmlNode *aff = child(s, "AffiliationIdentifier");
                if (aff) {
                    curnum = to_int(xmlGetProp(aff, BAD_CAST "Id"));
                    cur = list_index(m, curnum);
                    if (cur < 0) {
                        rc = st_error_set(err, ST_ERR_INVALID,
                                          "synth: %s: %s: list %d is not in "
                                          "the model", path, station, curnum);
                        goto out;
                    }
                    continue;
                }
                int cand = to_int(xmlGetProp(
                    child(child(s, "Candidate"), "CandidateIdentifier"),
                    BAD_CAST "Id"));
                int votes = to_int(xmlNodeGetContent(child(s, "ValidVotes")));
                if (cand < 0 || votes < 0 || cur < 0) {
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "synth: %s: %s: line %d: a Selection "
                                      "without list, candidate id or votes",
                                      path, station, s->line);
                    goto out;
                }
                if (cand < 1 || cand > m->lists[cur].n_candidates ||
                    cand > j->g.grid) {
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "synth: %s: %s: candidate %d of list %d "
                                      "is not in the model", path, station,
                                      cand, curnum);
                    goto out;
                }
                for (int v = 0; v < votes; v++)
                    if (push_force(&a, &n, &cap,
                                   (force){FORCE_VOTE, cur, cand})) {
                        rc = st_error_set(err, ST_ERR_NOMEM,
                                          "synth: out of memory");
                        goto out;
                    }
            }
            if (blank < 0 || invalid < 0) {
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "synth: %s: %s: no RejectedVotes \"%s\"", path,
                                  station, blank < 0 ? "blanco" : "ongeldig");
                goto out;
            }
            for (int v = 0; v < blank + invalid; v++)
                if (push_force(&a, &n, &cap,
                               (force){v < blank ? FORCE_BLANK : FORCE_INVALID,
                                       0, 0})) {
                    rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
                    goto out;
                }
        }
    }
    if (!found) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "synth: %s: no station \"%s\" (it has %d, e.g. %s%s)",
                          path, station, n_seen, n_seen ? seen : "none",
                          n_seen > 4 ? ", ..." : "");
        goto out;
    }
    /* Fisher-Yates with the seed's own stream. */
    st_rng r;
    st_rng_init(&r, j->o->seed, UINT64_MAX, 7);
    for (int i = n - 1; i > 0; i--) {
        int k = st_rng_int(&r, i + 1);
        force t = a[i];
        a[i] = a[k];
        a[k] = t;
    }
    *out = a;
    *n_out = n;
    a = NULL;
out:
    free(a);
    if (doc)
        xmlFreeDoc(doc);
    if (ctx)
        xmlFreeParserCtxt(ctx);
    return rc;
}

/* ---- the run ------------------------------------------------------------ */

static int mkdir_p(const char *dir)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Weights for one kind: the default mix or the chosen set, uniformly. */
static void weights(unsigned set, const double *mix, int n, double *w)
{
    for (int i = 0; i < n; i++)
        w[i] = set ? ((set & ST_SYNTH_BIT(i)) ? 1 : 0) : mix[i];
}

static int check_opts(const st_model *m, const st_synth_opts *o,
                      const char *dir, st_error *err)
{
    if (!m || !o || !dir)
        return st_error_set(err, ST_ERR_ARG, "synth: NULL argument");
    if (o->dpi < ST_RENDER_DPI_MIN || o->dpi > ST_RENDER_DPI_MAX)
        return st_error_set(err, ST_ERR_ARG, "synth: dpi %d is not in %d..%d",
                            o->dpi, ST_RENDER_DPI_MIN, ST_RENDER_DPI_MAX);
    if (o->jpeg_quality < 1 || o->jpeg_quality > 100)
        return st_error_set(err, ST_ERR_ARG,
                            "synth: JPEG quality %d is not in 1..100",
                            o->jpeg_quality);
    if (o->pages_per_file < 1)
        return st_error_set(err, ST_ERR_ARG, "synth: pages per file must be >= 1");
    if (!o->votes_from && o->count < 0)
        return st_error_set(err, ST_ERR_ARG, "synth: negative count");
    if (!(o->degrade_level >= 0 && o->degrade_level <= 1))
        return st_error_set(err, ST_ERR_ARG,
                            "synth: degrade level must be in 0..1");
    if ((int)o->format < 0 || o->format >= ST_TIFF_N_FORMATS)
        return st_error_set(err, ST_ERR_ARG, "synth: unknown TIFF format %d",
                            (int)o->format);
    if (!o->votes_from != !o->station)
        return st_error_set(err, ST_ERR_ARG,
                            "synth: votes_from and station go together");
    if (!(m->paper_w > 0 && m->paper_h > 0))
        return st_error_set(err, ST_ERR_INVALID, "synth: the model has no paper size");
    return ST_OK;
}

int st_synth_run(const st_model *m, const st_synth_opts *o,
                 const char *out_dir, st_synth_report *rep, st_error *err)
{
    job j;
    memset(&j, 0, sizeof j);
    force *forced = NULL;
    char **lines = NULL;
    int *outcomes = NULL;
    FILE *tf = NULL;
    char tpath[4096], fpath[4096];
    int rc = check_opts(m, o, out_dir, err);
    if (rc)
        return rc;
    rc = geo_build(m, &j.g, err);
    if (rc)
        return rc;
    j.m = m;
    j.o = o;
    bed_margins(m, o, &j.margin_x, &j.margin_y);
    j.w_px = st_mm_to_px(m->paper_w + 2 * j.margin_x, o->dpi);
    j.h_px = st_mm_to_px(m->paper_h + 2 * j.margin_y, o->dpi);
    j.clear_only = o->votes_from != NULL;
    weights(o->styles, style_mix, ST_STYLE_N, j.style_w);
    weights(o->instruments, instrument_mix, ST_INSTR_N, j.instr_w);
    weights(o->scenarios, scenario_mix, ST_SCEN_N, j.scen_w);
    /* Scenarios the model cannot show are dropped, not faked. */
    if (!j.g.short_lists)
        j.scen_w[ST_SCEN_BEYOND_LIST] = 0;
    if (m->n_lists < 2)
        j.scen_w[ST_SCEN_SEVERAL_LISTS] = 0;
    if (j.g.grid < 2)
        j.scen_w[ST_SCEN_SEVERAL_NUMBERS] = 0;
    if (j.clear_only) {
        /* Real ballots counted as valid: marks a person reads at once. */
        j.style_w[ST_STYLE_CIRCLE] = j.style_w[ST_STYLE_DOT] = 0;
        j.instr_w[ST_INSTR_FAINT] = 0;
    }
    j.style_w[ST_STYLE_HESITANT] = 0; /* only "between" draws it */
    double sum_s = 0, sum_i = 0, sum_c = 0;
    for (int i = 0; i < ST_STYLE_N; i++)
        sum_s += j.style_w[i];
    for (int i = 0; i < ST_INSTR_N; i++)
        sum_i += j.instr_w[i];
    for (int i = 0; i < ST_SCEN_N; i++)
        sum_c += j.scen_w[i];
    if (sum_s <= 0 || sum_i <= 0 || (!j.clear_only && sum_c <= 0)) {
        rc = st_error_set(err, ST_ERR_ARG,
                          "synth: no %s left to draw (the chosen ones need a "
                          "different model%s)",
                          sum_s <= 0 ? "mark style" : sum_i <= 0 ? "instrument"
                                                                 : "scenario",
                          j.clear_only ? ", or are not clear marks" : "");
        goto out;
    }

    j.n = o->count;
    if (o->votes_from) {
        xmlInitParser();
        rc = votes_from_load(&j, o->votes_from, o->station, &forced, &j.n, err);
        if (rc)
            goto out;
        j.forced = forced;
    }
    if (mkdir_p(out_dir)) {
        rc = st_error_set(err, ST_ERR_IO, "synth: %s: cannot create folder: %s",
                          out_dir, strerror(errno));
        goto out;
    }
    lines = calloc((size_t)j.n + 1, sizeof *lines);
    outcomes = calloc((size_t)j.n + 1, sizeof *outcomes);
    if (!lines || !outcomes) {
        rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
        goto out;
    }

    int n_files = (j.n + o->pages_per_file - 1) / o->pages_per_file;
    int failed = 0, failed_at = INT_MAX;
    st_error first = {0};
    int nt = o->threads;
#ifdef _OPENMP
    if (nt <= 0)
        nt = omp_get_max_threads();
#else
    nt = 1;
#endif
    if (nt > n_files)
        nt = n_files > 0 ? n_files : 1;

#pragma omp parallel num_threads(nt)
    {
        worker w = {0};
        st_error terr = {0};
        w.surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, j.w_px, j.h_px);
        int ch = st_tiff_format_is_rgb(o->format) ? 3 : 1;
        w.img = st_image_new(j.w_px, j.h_px, ch, 255);
        int ok = w.img && cairo_surface_status(w.surf) == CAIRO_STATUS_SUCCESS;
        if (w.img)
            w.img->dpi = o->dpi;
#pragma omp for schedule(dynamic)
        for (int f = 0; f < n_files; f++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop)
                continue;
            int frc = ok ? make_file(&j, &w, out_dir, f, lines, outcomes, &terr)
                         : st_error_set(&terr, ST_ERR_NOMEM,
                                        "synth: no memory for a %d x %d page",
                                        j.w_px, j.h_px);
            if (frc) {
#pragma omp critical(st_synth_fail)
                {
                    /* Report the earliest file, as a serial run would. */
                    if (f < failed_at) {
                        failed_at = f;
                        first = terr;
                    }
#pragma omp atomic write
                    failed = 1;
                }
            }
        }
        cairo_surface_destroy(w.surf);
        st_image_free(w.img);
    }
    if (failed) {
        rc = first.code ? first.code : ST_ERR_IO;
        if (err)
            *err = first;
        goto out;
    }

    /* Truth last, via a temporary name: a truth.jsonl is always whole. */
    snprintf(tpath, sizeof tpath, "%s/truth.jsonl.tmp", out_dir);
    snprintf(fpath, sizeof fpath, "%s/truth.jsonl", out_dir);
    tf = fopen(tpath, "w");
    if (!tf) {
        rc = st_error_set(err, ST_ERR_IO, "synth: %s: %s", tpath, strerror(errno));
        goto out;
    }
    for (int i = 0; i < j.n; i++)
        fputs(lines[i], tf);
    int bad = ferror(tf);
    if (fclose(tf) || bad) {
        tf = NULL;
        rc = st_error_set(err, ST_ERR_IO, "synth: %s: write failed", tpath);
        goto out;
    }
    tf = NULL;
    if (rename(tpath, fpath)) {
        rc = st_error_set(err, ST_ERR_IO, "synth: %s: %s", fpath, strerror(errno));
        goto out;
    }
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->n_ballots = j.n;
        rep->n_files = n_files;
        for (int i = 0; i < j.n; i++) {
            rep->n_vote += outcomes[i] == OUT_VOTE;
            rep->n_blank += outcomes[i] == OUT_BLANK;
            rep->n_invalid += outcomes[i] == OUT_INVALID;
            rep->n_review += outcomes[i] == OUT_REVIEW;
        }
    }
out:
    if (lines)
        for (int i = 0; i < j.n; i++)
            free(lines[i]);
    free(lines);
    free(outcomes);
    free(forced);
    geo_free(&j.g);
    return rc;
}
