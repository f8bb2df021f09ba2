/* plan.c - what each synthetic ballot shows and what it must count as
 *
 * A plan comes from the ballot's own random streams: the scenario and
 * the boxes to mark with their style and instrument from (seed, index, 0);
 * which scanner and paper degradations apply from (seed, index, 3), and
 * each one's sizes from a stream of its own, so choosing scenarios, styles
 * or degradations never moves another degradation's numbers. With votes_from the
 * scenario and boxes are forced to the ballot's entry. The expected
 * outcome follows the marks as they were seen in the written image: review
 * first (a mark seen ambiguous, then stray writing), then the validity
 * table of domain.md under the model's settings, lost marks left out.
 */
#include "synth/plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/marks.h"
#include "synth/rng.h"

static void st_synth_plan_degrade(const job *j, int index, splan *p);

int st_synth_deg_is_paper(int d)
{
    return d == ST_DEG_FOLD || d == ST_DEG_FOLD_SLANT || d == ST_DEG_FOLD_VERTICAL ||
           d == ST_DEG_STRAY || d == ST_DEG_WRITING;
}

/* Each degradation's odds for a ballot in the default mix (see synth.h). */
static const double degradation_odds[ST_DEG_N] = {
    0.70, 0.70, 0.50, 0.10, 0.60, 0.25, 0.08, 0.10, 0.04, 0.10, /* .. jpeg */
    0.08, 0.08, 0.04, 0.04, 0.03, 0.06, 0.25};

void st_synth_geo_free(geo *g)
{
    free(g->list_t);
    free(g->num_t);
}

int st_synth_geo_build(const st_model *m, geo *g, st_error *err)
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
        st_synth_geo_free(g);
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
            st_synth_geo_free(g);
            return st_error_set(err, ST_ERR_INVALID,
                                "synth: the model has no box for list %d", n);
        }
    while (g->grid < maxn && g->num_t[g->grid + 1] >= 0)
        g->grid++;
    if (g->grid < 1) {
        st_synth_geo_free(g);
        return st_error_set(err, ST_ERR_INVALID,
                            "synth: the model has no number box 1");
    }
    for (int l = 0; l < m->n_lists; l++)
        if (m->lists[l].n_candidates < g->grid)
            g->short_lists++;
    return ST_OK;
}

int st_synth_list_index(const st_model *m, int number)
{
    for (int l = 0; l < m->n_lists; l++)
        if (m->lists[l].number == number)
            return l;
    return -1;
}

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
    const st_list *L = &m->lists[st_synth_list_index(m, list)];
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
void st_synth_expect(const job *j, splan *p)
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

void st_synth_plan(const job *j, int index, splan *p)
{
    const st_model *m = j->m;
    const st_synth_opts *o = j->o;
    st_rng r;
    /* A rescan is its sheet's marks again. */
    int paper = j->rescan_of && j->rescan_of[index] >= 0 ? j->rescan_of[index] : index;
    st_rng_init(&r, o->seed, (uint64_t)paper, 0);
    memset(p, 0, sizeof *p);
    p->paper = paper;

    /* Scenario and marks. One voter holds one instrument. */
    int instr = st_rng_pick(&r, j->instr_w, ST_INSTR_N);
    const force *f = j->forced ? &j->forced[paper] : NULL;
    int l = st_rng_int(&r, m->n_lists);
    int scen;
    if (f) {
        scen = f->kind == FORCE_VOTE    ? ST_SCEN_VOTE
               : f->kind == FORCE_LIST  ? ST_SCEN_LIST_ONLY
               : f->kind == FORCE_BLANK ? ST_SCEN_BLANK
               : (m->n_lists >= 2 && st_rng_chance(&r, 0.5))
                   ? ST_SCEN_SEVERAL_LISTS
                   : ST_SCEN_NUMBER_ONLY;
        if (f->kind == FORCE_VOTE || f->kind == FORCE_LIST)
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

    st_synth_plan_degrade(j, index, p);
}

/* Stream (seed, index, 16 + d): the values of degradation d; the
 * paper's come from the sheet's index (p->paper). */
static void deg_stream(const job *j, int index, const splan *p, int d, st_rng *r)
{
    int at = st_synth_deg_is_paper(d) ? p->paper : index;
    st_rng_init(r, j->o->seed, (uint64_t)at, 16 + (uint64_t)d);
}

/* A box with a mark of p (want_marked) or without, at random from r; -1
 * if there is none. One draw whatever the ballot. */
static int pick_box(const st_model *m, const splan *p, int want_marked, st_rng *r)
{
    double u = st_rng_unit(r);
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        int k = 0, at = (int)(u * n);
        for (int t = 0; t < m->n_targets; t++) {
            int marked = 0;
            for (int i = 0; i < p->n_marks; i++)
                marked |= p->marks[i].target == t;
            if (marked != want_marked)
                continue;
            if (pass == 1 && k == at)
                return t;
            k++;
        }
        n = k;
        if (!n)
            return -1;
    }
    return -1;
}

/* 2-3 capital letters, as a voter's initials. */
static void initials(st_rng *r, char *out)
{
    int n = 2 + st_rng_chance(r, 0.4);
    for (int i = 0; i < n; i++)
        out[i] = (char)('A' + st_rng_int(r, 26));
    out[n] = 0;
}

/* Degradations: which apply from stream 3, each one's values from its own
 * stream. */
static void st_synth_plan_degrade(const job *j, int index, splan *p)
{
    const st_model *m = j->m;
    const st_synth_opts *o = j->o;
    st_rng r;
    unsigned on = 0;
    /* Which apply: the paper's from the sheet's stream, the scanner's
     * from the ballot's own (the same one unless a rescan). */
    for (int pass = 0; pass < 2; pass++) {
        int at = pass ? p->paper : index;
        if (pass && at == index)
            break;
        st_rng_init(&r, o->seed, (uint64_t)at, 3);
        for (int d = 0; d < ST_DEG_N; d++) {
            int hit = st_rng_chance(&r, degradation_odds[d]);
            if (pass && st_synth_deg_is_paper(d))
                on = (on & ~ST_SYNTH_BIT(d)) | (hit ? ST_SYNTH_BIT(d) : 0);
            else if (!pass && hit)
                on |= ST_SYNTH_BIT(d);
        }
    }
    if (o->degradations & ST_SYNTH_DEG_NONE)
        on = 0;
    else if (o->degradations)
        on = o->degradations;
    if (j->clear_only)
        on &= ~(ST_SYNTH_BIT(ST_DEG_STRAY) | ST_SYNTH_BIT(ST_DEG_WRITING));
    if (!(o->format == ST_TIFF_GREY_JPEG || o->format == ST_TIFF_RGB_JPEG))
        on &= ~ST_SYNTH_BIT(ST_DEG_JPEG); /* nothing to degrade */
    double L = o->degrade_level;
#define ON(d) (on & ST_SYNTH_BIT(d))
    p->applied = on;

    /* The image: the scanner bed, or the paper's frame when cropped. */
    p->crop = ON(ST_DEG_CROP) != 0;
    p->margin_x = p->crop ? 0 : j->margin_x;
    p->margin_y = p->crop ? 0 : j->margin_y;
    p->w_px = p->crop ? j->paper_w_px : j->w_px;
    p->h_px = p->crop ? j->paper_h_px : j->h_px;

    double v;
    deg_stream(j, index, p, ST_DEG_ROTATE, &r);
    v = st_rng_range(&r, -5, 5) * L;
    p->rot = ON(ST_DEG_ROTATE) ? v : 0;
    deg_stream(j, index, p, ST_DEG_SHIFT, &r);
    v = st_rng_range(&r, -5, 5) * L;
    p->sx = ON(ST_DEG_SHIFT) ? v : 0;
    v = st_rng_range(&r, -5, 5) * L;
    p->sy = ON(ST_DEG_SHIFT) ? v : 0;
    deg_stream(j, index, p, ST_DEG_SCALE, &r);
    v = 1 + st_rng_range(&r, -0.03, 0.03) * L;
    p->scale = ON(ST_DEG_SCALE) ? v : 1;
    p->upside = ON(ST_DEG_UPSIDE_DOWN) ? 1 : 0;
    deg_stream(j, index, p, ST_DEG_NOISE, &r);
    v = st_rng_range(&r, 0.25, 1) * 12 * L;
    p->noise = ON(ST_DEG_NOISE) ? v : 0;
    deg_stream(j, index, p, ST_DEG_BLUR, &r);
    /* Squared: radius 1 at the default level as before, up to 3 (at 200
     * dpi) at level 1. */
    v = (0.5 + 3 * L * L * st_rng_unit(&r)) * o->dpi / 200.0;
    p->blur = ON(ST_DEG_BLUR) ? (v < 1 ? 1 : (int)lround(v)) : 0;
    deg_stream(j, index, p, ST_DEG_JPEG, &r);
    v = 60 - 40 * L * st_rng_unit(&r);
    p->jpeg_q = ON(ST_DEG_JPEG) ? (int)lround(v) : 0;
    if (p->jpeg_q > o->jpeg_quality)
        p->jpeg_q = o->jpeg_quality; /* a degradation never improves */
    deg_stream(j, index, p, ST_DEG_TRANSPORT, &r);
    v = st_rng_range(&r, -0.01, 0.01) * L;
    p->stretch = ON(ST_DEG_TRANSPORT) ? v : 0;
    v = st_rng_range(&r, -0.006, 0.006) * L;
    p->shear = ON(ST_DEG_TRANSPORT) ? v : 0;

    /* Streaks: one anywhere, and dark ones through a marked and an empty
     * box (their x is the box's, found when the page is placed). */
    static const int streak_kinds[] = {ST_DEG_STREAK, ST_DEG_STREAK_MARKED,
                                       ST_DEG_STREAK_EMPTY};
    for (int i = 0; i < 3; i++) {
        int d = streak_kinds[i];
        deg_stream(j, index, p, d, &r);
        sstreak s = {d, -1, 0, 0, 1, 0};
        double ux = st_rng_range(&r, 0.05, 0.95);
        s.w = 2 + (int)(st_rng_unit(&r) * 4 * o->dpi / 200.0);
        int dark = st_rng_chance(&r, 0.6);
        s.f = st_rng_range(&r, 0.55, 0.85);
        if (d == ST_DEG_STREAK) {
            s.x = (int)(ux * p->w_px);
            s.dark = dark;
        } else {
            s.target = pick_box(m, p, d == ST_DEG_STREAK_MARKED, &r);
        }
        if (!ON(d))
            continue;
        if (d != ST_DEG_STREAK && s.target < 0) {
            p->applied &= ~ST_SYNTH_BIT(d); /* no such box */
            continue;
        }
        p->streaks[p->n_streaks++] = s;
    }

    /* Folds: the plain one near the middle with a small tilt, a slanted
     * one at any height, one top to bottom at any place. */
    static const int fold_kinds[] = {ST_DEG_FOLD, ST_DEG_FOLD_SLANT,
                                     ST_DEG_FOLD_VERTICAL};
    for (int i = 0; i < 3; i++) {
        int d = fold_kinds[i];
        deg_stream(j, index, p, d, &r);
        sfold f = {d, 0, 0, 0, 0};
        double u = st_rng_unit(&r);
        f.at = d == ST_DEG_FOLD ? (0.35 + 0.30 * u) * m->paper_h
               : d == ST_DEG_FOLD_SLANT ? (0.1 + 0.8 * u) * m->paper_h
                                        : (0.1 + 0.8 * u) * m->paper_w;
        f.a = 0.10 + 0.25 * L * st_rng_unit(&r);
        f.tilt = st_rng_normal(&r) * 1.0;
        f.slant = st_rng_range(&r, -3, 3) * L;
        if (d == ST_DEG_FOLD)
            f.slant = 0;
        else
            f.tilt = 0;
        if (ON(d))
            p->folds[p->n_folds++] = f;
    }

    /* Stray scribbles away from the boxes. */
    deg_stream(j, index, p, ST_DEG_STRAY, &r);
    int ns = 1 + st_rng_int(&r, MAX_STRAY);
    if (ON(ST_DEG_STRAY)) {
        p->n_stray = st_marks_stray_place(m, &r, p->stray, 0, ns);
        for (int i = 0; i < p->n_stray; i++)
            p->wkind[i] = WRITE_STRAY, p->wby[i] = -1;
        if (!p->n_stray)
            p->applied &= ~ST_SYNTH_BIT(ST_DEG_STRAY);
    }

    /* Writing: 1-2 words or initials, mostly beside or touching a marked
     * box, sometimes anywhere on the ballot. */
    deg_stream(j, index, p, ST_DEG_WRITING, &r);
    int want = 1 + st_rng_int(&r, MAX_WRITING), placed = 0;
    int first = st_rng_int(&r, MAX_MARKS);
    for (int w = 0; w < MAX_WRITING; w++) {
        int kind = st_rng_chance(&r, 0.4) ? WRITE_INITIALS : WRITE_WORD;
        char text[4];
        initials(&r, text);
        int anywhere = st_rng_chance(&r, 0.25) || p->n_marks == 0;
        st_rng pr; /* placing takes as many draws as it needs */
        st_rng_init(&pr, o->seed, (uint64_t)p->paper, 64 + (uint64_t)w);
        if (!ON(ST_DEG_WRITING) || w >= want)
            continue;
        int at, by = -1;
        double hw = kind == WRITE_INITIALS ? st_marks_initials_half_w(text)
                                           : ST_MARKS_WORD_HALF_W;
        if (anywhere) {
            at = st_marks_stray_place(m, &pr, p->stray, p->n_stray, 1);
        } else {
            by = p->marks[(first + w) % p->n_marks].target;
            at = st_marks_writing_place(m, by, hw, &pr, p->stray, p->n_stray, 1);
        }
        if (at == p->n_stray)
            continue; /* no room */
        p->wkind[p->n_stray] = kind;
        p->wby[p->n_stray] = by;
        snprintf(p->wtext[p->n_stray], sizeof p->wtext[0], "%s",
                 kind == WRITE_INITIALS ? text : "");
        p->n_stray = at;
        placed++;
    }
    if (!placed)
        p->applied &= ~ST_SYNTH_BIT(ST_DEG_WRITING);
#undef ON
}
