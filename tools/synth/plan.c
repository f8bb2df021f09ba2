/* plan.c - what each synthetic ballot shows and what it must count as
 *
 * A plan comes from the ballot's own random stream (seed, index, 0): the
 * scenario, the boxes to mark with their style and instrument, and the
 * scanner and paper degradations with their sizes. With votes_from the
 * scenario and boxes are forced to the ballot's entry. The expected
 * outcome follows the marks as they were seen in the written image: review
 * first (a mark seen ambiguous, then stray writing), then the validity
 * table of domain.md under the model's settings, lost marks left out.
 */
#include "synth/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/marks.h"
#include "synth/rng.h"

/* Each degradation's odds for a ballot in the default mix (see synth.h). */
/* The named-only degradations (after the default mix's): drawn last from
 * r, and only when asked for. A fold anywhere (fold-slant, fold-vertical)
 * and a dark streak through the middle of a marked or an empty box. */
static void plan_named(const job *j, splan *p, unsigned on, st_rng *r);

/* The default mix draws a chance for these only; the named-only
 * degradations after them draw nothing unless asked for, so the default
 * pages stay as they were. */
#define ST_DEG_MIX_N (ST_DEG_JPEG + 1)
static const double degradation_odds[ST_DEG_MIX_N] = {
    0.70, 0.70, 0.50, 0.10, 0.60, 0.25, 0.08, 0.10, 0.04, 0.10};


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
    for (int d = 0; d < ST_DEG_MIX_N; d++)
        if (st_rng_chance(&r, degradation_odds[d]))
            on |= ST_SYNTH_BIT(d);
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
    if (on & ~(ST_SYNTH_BIT(ST_DEG_MIX_N) - 1))
        plan_named(j, p, on, &r);
    /* Writing by a marked box: drawn last, so the streams of the others
     * stay as they were. */
    if (ON(ST_DEG_WRITING) && p->n_marks > 0) {
        int want = 1 + st_rng_int(&r, MAX_WRITING);
        int first = st_rng_int(&r, p->n_marks);
        for (int i = 0; i < p->n_marks && want > 0; i++) {
            int t = p->marks[(first + i) % p->n_marks].target;
            int got = st_marks_writing_place(m, t, &r, p->stray + 2 * p->n_stray, 1);
            p->n_stray += got;
            want -= got;
        }
    }
#undef ON
}

static void plan_named(const job *j, splan *p, unsigned on, st_rng *r)
{
    const st_model *m = j->m;
    double L = j->o->degrade_level;
    if (on & (ST_SYNTH_BIT(ST_DEG_FOLD_SLANT) | ST_SYNTH_BIT(ST_DEG_FOLD_VERTICAL))) {
        p->fold = 1;
        p->fold_vertical = (on & ST_SYNTH_BIT(ST_DEG_FOLD_VERTICAL)) != 0;
        p->fold_y = st_rng_range(r, 0.1, 0.9) * m->paper_h;
        p->fold_x = st_rng_range(r, 0.1, 0.9) * m->paper_w;
        p->fold_a = 0.10 + 0.25 * L * st_rng_unit(r);
        p->fold_slant = st_rng_range(r, -3, 3) * L;
        if (p->fold_slant == 0)
            p->fold_slant = 1e-6; /* 0 means the plain fold's tilt */
    }
    int want_marked = (on & ST_SYNTH_BIT(ST_DEG_STREAK_MARKED)) != 0;
    if (want_marked || (on & ST_SYNTH_BIT(ST_DEG_STREAK_EMPTY))) {
        /* A box of the wanted kind, at random; none: no streak. */
        int pick = -1, seen = 0;
        for (int t = 0; t < m->n_targets; t++) {
            int marked = 0;
            for (int i = 0; i < p->n_marks; i++)
                marked |= p->marks[i].target == t;
            if (marked == want_marked && st_rng_int(r, ++seen) == 0)
                pick = t;
        }
        if (pick >= 0) {
            const st_rect *b = &m->targets[pick].rect;
            double k = j->o->dpi / 25.4;
            p->streak_w = 2 + (int)(st_rng_unit(r) * 4 * j->o->dpi / 200.0);
            p->streak_x = (int)((b->x + b->w / 2 + j->margin_x + p->sx) * k) - p->streak_w / 2;
            p->streak_dark = 1;
            p->streak_f = st_rng_range(r, 0.55, 0.85);
        }
    }
}
