/* check.c - find every mistake a model file can have
 *
 * Checks run independently and each appends a message that says where the
 * problem is (the JSON path and the box's id) and what is wrong, so a hand-
 * edited model gets one complete list rather than one error per attempt.
 * Only the first ST_PROBLEMS_KEPT messages are kept; the rest are counted.
 * Nothing compares every pair, so a model of 100,000 boxes is checked as
 * quickly as it is read: duplicate numbers and ids are found by sorting
 * (each repeat names the first of its kind), and overlapping rectangles
 * (boxes, registration marks, labels) by a sweep along x that names, for
 * each rectangle, the first later one it overlaps, within a fixed budget
 * of comparisons.
 */
#include "stemtel/model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void st_problems_free(st_problems *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free(p->msg[i]);
    free(p->msg);
    p->msg = NULL;
    p->n = 0;
    p->more = 0;
}

typedef struct st_checker {
    st_problems *out;
    int nomem;
} st_checker;

/* Comparisons the overlap sweep may make: far more than any ballot needs
 * (a ballot has a few hundred rectangles), few enough to take a second. */
#define ST_CHECK_SWEEP_BUDGET 200000000LL

/* A key to find repeats by: a string (may be NULL) and a number, and the
 * index of its owner. */
typedef struct st_check_key {
    const char *s;
    long long k;
    int idx;
} st_check_key;

static int st_check_key_cmp(const void *a, const void *b)
{
    const st_check_key *x = a, *y = b;
    int c = x->s && y->s ? strcmp(x->s, y->s) : 0;
    if (c)
        return c;
    if (x->k != y->k)
        return x->k < y->k ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Sort the n keys (by key, then index) and return first[idx]: the index
 * of the first owner with the same key, or -1 for that first one itself.
 * malloc'd; NULL (and c->nomem) on no memory. */
static int *st_check_firsts(st_checker *c, st_check_key *keys, int n)
{
    int *first = malloc((size_t)(n ? n : 1) * sizeof *first);
    if (!first) {
        c->nomem = 1;
        return NULL;
    }
    qsort(keys, (size_t)n, sizeof *keys, st_check_key_cmp);
    for (int i = 0, g = 0; i < n; i++) {
        int same = i > 0 && (!keys[i].s || !strcmp(keys[i].s, keys[g].s)) &&
                   keys[i].k == keys[g].k;
        if (!same)
            g = i;
        first[keys[i].idx] = same ? keys[g].idx : -1;
    }
    return first;
}

/* The first key equal to (s, k) in keys sorted by st_check_firsts, or
 * NULL. */
static const st_check_key *st_check_find(const st_check_key *keys, int n, const char *s,
                                         long long k)
{
    int lo = 0, hi = n;
    st_check_key want = {s, k, -1};
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (st_check_key_cmp(&keys[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !st_check_key_cmp(&(st_check_key){keys[lo].s, keys[lo].k, -1}, &want)
               ? &keys[lo]
               : NULL;
}

static void problem(st_checker *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int st_problems_add(st_problems *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    if (p->n >= ST_PROBLEMS_KEPT) {
        p->more++;
        return ST_OK;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nm = realloc(p->msg, (size_t)(p->n + 1) * sizeof *nm);
    char *s = strdup(buf);
    if (nm)
        p->msg = nm;
    if (!nm || !s) {
        free(s);
        return ST_ERR_NOMEM;
    }
    p->msg[p->n++] = s;
    return ST_OK;
}

static void problem(st_checker *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (st_problems_add(c->out, "%s", buf))
        c->nomem = 1;
}

/* One printed rectangle: a registration mark (target -1, index i), a
 * box or a box's label. */
typedef struct st_shape {
    st_rect r;
    int target, index, label;
} st_shape;

/* A pair of overlapping shapes, by their place in the list of shapes. */
typedef struct st_shape_pair {
    int a, b;
} st_shape_pair;

static int overlaps(st_rect a, st_rect b)
{
    /* Touching edges do not count; a shared edge is still readable. */
    const double eps = 1e-6;
    return a.x < b.x + b.w - eps && b.x < a.x + a.w - eps &&
           a.y < b.y + b.h - eps && b.y < a.y + a.h - eps;
}

static void check_rect(st_checker *c, const st_model *m, const char *where,
                       st_rect r)
{
    if (!(r.w > 0) || !(r.h > 0)) {
        problem(c, "%s: size %.1f x %.1f mm must be positive", where, r.w, r.h);
        return;
    }
    if (r.x < 0 || r.y < 0 || r.x + r.w > m->paper_w + 1e-6 ||
        r.y + r.h > m->paper_h + 1e-6)
        problem(c, "%s: rectangle (%.1f, %.1f) %.1f x %.1f mm lies (partly) off "
                "the %.0f x %.0f mm page",
                where, r.x, r.y, r.w, r.h, m->paper_w, m->paper_h);
}

static void check_settings(st_checker *c, const st_model *m)
{
    const st_settings *s = &m->settings;
    if (!(s->marginal > 0 && s->marginal < 1))
        problem(c, "settings.thresholds.marginal: %.3f must lie between 0 and 1",
                s->marginal);
    if (!(s->definite > 0 && s->definite <= 1))
        problem(c, "settings.thresholds.definite: %.3f must lie in (0, 1]",
                s->definite);
    if (!(s->marginal < s->definite))
        problem(c, "settings.thresholds: marginal %.3f must be below definite %.3f",
                s->marginal, s->definite);
    if (!(s->outline_mm > 0 && s->outline_mm <= 3))
        problem(c, "settings.outline_mm: %.2f must lie in (0, 3] mm", s->outline_mm);
    if (s->scan_dpi < 150 || s->scan_dpi > 600)
        problem(c, "settings.scan.dpi: %d must lie between 150 and 600", s->scan_dpi);
    if (s->jpeg_min_dpi != 0 && (s->jpeg_min_dpi < 100 || s->jpeg_min_dpi > 600))
        problem(c, "settings.scan.jpeg_min_dpi: %d must be 0 (always full size) or lie "
                "between 100 and 600", s->jpeg_min_dpi);
    if (!s->scan_formats)
        problem(c, "settings.scan.formats: at least one format is needed");
}

static void check_lists(st_checker *c, const st_model *m, const int *first)
{
    if (m->n_lists == 0)
        problem(c, "lists: a ballot needs at least one list");
    for (int i = 0; i < m->n_lists; i++) {
        const st_list *l = &m->lists[i];
        if (l->number < 1)
            problem(c, "lists[%d]: list number %d must be 1 or more", i, l->number);
        if (first[i] >= 0)
            problem(c, "lists[%d]: list number %d is also used by lists[%d]", i, l->number,
                    first[i]);
        if (l->n_candidates == 0)
            problem(c, "lists[%d] (list %d): has no candidates", i, l->number);
        for (int j = 0; j < l->n_candidates; j++)
            if (l->candidates[j].number != j + 1)
                problem(c, "lists[%d].candidates[%d] (list %d): candidate number "
                        "%d where %d was expected (numbers run 1, 2, ... in order)",
                        i, j, l->number, l->candidates[j].number, j + 1);
    }
}

/* What check_targets looks things up in, all found by sorting. */
typedef struct st_check_index {
    st_check_key *lists;   /* the list numbers, sorted */
    int *list_first;       /* per list: the first list with its number, or -1 */
    st_check_key *fids;    /* the registration marks' ids, sorted */
    int *fid_first;
    st_check_key *boxes;   /* the targets' (kind, number), sorted */
    int *box_first;
    int *id_first;         /* per target: the first target with its id, or -1 */
} st_check_index;

static void st_check_index_free(st_check_index *x)
{
    free(x->lists);
    free(x->list_first);
    free(x->fids);
    free(x->fid_first);
    free(x->boxes);
    free(x->box_first);
    free(x->id_first);
}

static long long st_check_box_key(st_target_kind kind, int number)
{
    return (long long)kind << 32 | (unsigned)number;
}

static int st_check_index_build(st_checker *c, const st_model *m, st_check_index *x)
{
    int nl = m->n_lists, nf = m->n_fiducials, nt = m->n_targets;
    st_check_key *ids = malloc((size_t)(nt ? nt : 1) * sizeof *ids);
    x->lists = malloc((size_t)(nl ? nl : 1) * sizeof *x->lists);
    x->fids = malloc((size_t)(nf ? nf : 1) * sizeof *x->fids);
    x->boxes = malloc((size_t)(nt ? nt : 1) * sizeof *x->boxes);
    if (!ids || !x->lists || !x->fids || !x->boxes) {
        free(ids);
        c->nomem = 1;
        return -1;
    }
    for (int i = 0; i < nl; i++)
        x->lists[i] = (st_check_key){NULL, m->lists[i].number, i};
    for (int i = 0; i < nf; i++)
        x->fids[i] = (st_check_key){m->fiducials[i].id, 0, i};
    for (int i = 0; i < nt; i++) {
        ids[i] = (st_check_key){m->targets[i].id, 0, i};
        x->boxes[i] = (st_check_key){
            NULL, st_check_box_key(m->targets[i].kind, m->targets[i].number), i};
    }
    x->list_first = st_check_firsts(c, x->lists, nl);
    x->fid_first = st_check_firsts(c, x->fids, nf);
    x->box_first = st_check_firsts(c, x->boxes, nt);
    x->id_first = st_check_firsts(c, ids, nt);
    free(ids);
    return c->nomem ? -1 : 0;
}

static void check_targets(st_checker *c, const st_model *m, const st_check_index *x)
{
    int grid = st_model_max_candidates(m);
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        char where[64];
        snprintf(where, sizeof where, "targets[%d] (%s)", i, t->id);
        if (x->id_first[i] >= 0)
            problem(c, "%s: id \"%s\" is also used by targets[%d]", where, t->id,
                    x->id_first[i]);
        const st_check_key *f = st_check_find(x->fids, m->n_fiducials, t->id, 0);
        if (f)
            problem(c, "%s: id \"%s\" is also used by fiducials[%d]", where, t->id, f->idx);
        if (x->box_first[i] >= 0)
            problem(c, "%s: a second %s box for %s %d (first: targets[%d])", where,
                    t->kind == ST_TARGET_LIST ? "list" : "number",
                    t->kind == ST_TARGET_LIST ? "list" : "number", t->number,
                    x->box_first[i]);
        if (t->kind == ST_TARGET_LIST && !st_check_find(x->lists, m->n_lists, NULL, t->number))
            problem(c, "%s: box for list %d, but the model has no such list", where,
                    t->number);
        if (t->kind == ST_TARGET_NUMBER && (t->number < 1 || t->number > 999))
            problem(c, "%s: candidate number %d must lie between 1 and 999", where,
                    t->number);
        double inner = fmin(t->rect.w, t->rect.h) - 2 * m->settings.outline_mm;
        if (t->rect.w > 0 && t->rect.h > 0 && inner < 2.0)
            problem(c, "%s: box %.1f x %.1f mm leaves %.1f mm inside its %.2f mm "
                    "outline; at least 2 mm is needed to score a mark",
                    where, t->rect.w, t->rect.h, inner, m->settings.outline_mm);
        check_rect(c, m, where, t->rect);
        if (t->label) {
            char lw[80];
            snprintf(lw, sizeof lw, "%s.label", where);
            check_rect(c, m, lw, t->label_rect);
        }
    }
    for (int i = 0; i < m->n_lists; i++)
        if (!st_check_find(x->boxes, m->n_targets, NULL,
                           st_check_box_key(ST_TARGET_LIST, m->lists[i].number)))
            problem(c, "targets: list %d (lists[%d]) has no list box", m->lists[i].number,
                    i);
    for (int n = 1; n <= grid; n++)
        if (!st_check_find(x->boxes, m->n_targets, NULL,
                           st_check_box_key(ST_TARGET_NUMBER, n)))
            problem(c, "targets: number box %d is missing (the longest list has %d "
                    "candidates, so the grid needs 1..%d)", n, grid, grid);
}

static void check_fiducials(st_checker *c, const st_model *m, const int *first)
{
    /* A design printed without marks is placed by its printed boxes
     * (engine/grid.c); one or two marks place nothing on their own. */
    if (m->n_fiducials > 0 && m->n_fiducials < 3)
        problem(c, "fiducials: %d registration mark%s; at least 3 are needed to "
                "find the page's position, 4 or more recommended (or none: the "
                "page is then placed by its printed boxes)",
                m->n_fiducials, m->n_fiducials == 1 ? "" : "s");
    for (int i = 0; i < m->n_fiducials; i++) {
        char where[64];
        snprintf(where, sizeof where, "fiducials[%d] (%s)", i, m->fiducials[i].id);
        if (first[i] >= 0)
            problem(c, "%s: id \"%s\" is also used by fiducials[%d]", where,
                    m->fiducials[i].id, first[i]);
        check_rect(c, m, where, m->fiducials[i].rect);
    }
}

static void shape_name(const st_model *m, const st_shape *sh, char *buf, size_t n)
{
    if (sh->target < 0)
        snprintf(buf, n, "fiducials[%d] (%s)", sh->index, m->fiducials[sh->index].id);
    else
        snprintf(buf, n, "targets[%d] (%s)%s", sh->target, m->targets[sh->target].id,
                 sh->label ? " label" : "");
}

static int shape_x_cmp(const void *a, const void *b)
{
    const st_shape *x = *(const st_shape *const *)a, *y = *(const st_shape *const *)b;
    if (x->r.x != y->r.x)
        return x->r.x < y->r.x ? -1 : 1;
    return (x > y) - (x < y);
}

static int pair_cmp(const void *a, const void *b)
{
    const st_shape_pair *x = a, *y = b;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return (x->b > y->b) - (x->b < y->b);
}

/* Sweep along x: a shape can only overlap those that start before it
 * ends. Each shape names the first overlapping one the sweep meets, so
 * a pile of identical boxes costs one comparison each, not one per pair. */
static void check_overlaps(st_checker *c, const st_model *m)
{
    int n = m->n_fiducials + 2 * m->n_targets, k = 0, np = 0;
    st_shape *sh = calloc(n ? (size_t)n : 1, sizeof *sh);
    st_shape **ord = calloc(n ? (size_t)n : 1, sizeof *ord);
    st_shape_pair *pairs = calloc(n ? (size_t)n : 1, sizeof *pairs);
    long long budget = ST_CHECK_SWEEP_BUDGET;
    if (!sh || !ord || !pairs) {
        c->nomem = 1;
        goto out;
    }
    for (int i = 0; i < m->n_fiducials; i++)
        sh[k++] = (st_shape){m->fiducials[i].rect, -1, i, 0};
    for (int i = 0; i < m->n_targets; i++) {
        sh[k++] = (st_shape){m->targets[i].rect, i, i, 0};
        if (m->targets[i].label)
            sh[k++] = (st_shape){m->targets[i].label_rect, i, i, 1};
    }
    /* A rectangle without a positive, finite size is reported by
     * check_rect and overlaps nothing here. */
    int live = 0;
    for (int i = 0; i < k; i++)
        if (sh[i].r.w > 0 && sh[i].r.h > 0 && isfinite(sh[i].r.x) && isfinite(sh[i].r.y) &&
            isfinite(sh[i].r.w) && isfinite(sh[i].r.h))
            ord[live++] = &sh[i];
    qsort(ord, (size_t)live, sizeof *ord, shape_x_cmp);
    for (int p = 0; p < live && budget > 0; p++) {
        const st_shape *a = ord[p];
        for (int q = p + 1; q < live && ord[q]->r.x < a->r.x + a->r.w - 1e-6; q++) {
            if (--budget <= 0)
                break;
            if (overlaps(a->r, ord[q]->r)) {
                int i = (int)(a - sh), j = (int)(ord[q] - sh);
                pairs[np++] = (st_shape_pair){i < j ? i : j, i < j ? j : i};
                break;
            }
        }
    }
    qsort(pairs, (size_t)np, sizeof *pairs, pair_cmp);
    for (int i = 0; i < np; i++) {
        char a[80], b[80];
        shape_name(m, &sh[pairs[i].a], a, sizeof a);
        shape_name(m, &sh[pairs[i].b], b, sizeof b);
        problem(c, "%s: overlaps %s", a, b);
    }
    if (budget <= 0)
        problem(c, "targets: overlaps not all checked: more than %lld comparisons (so many "
                "rectangles share the same columns that this is no ballot)",
                ST_CHECK_SWEEP_BUDGET);
out:
    free(sh);
    free(ord);
    free(pairs);
}

int st_model_check(const st_model *m, st_problems *out)
{
    st_checker c = {out, 0};
    st_check_index x = {0};
    if (!(m->paper_w >= 50 && m->paper_w <= 1000 && m->paper_h >= 50 &&
          m->paper_h <= 1000))
        problem(&c, "paper: %.1f x %.1f mm; each side must lie between 50 and "
                "1000 mm", m->paper_w, m->paper_h);
    if (!m->election_id || !*m->election_id)
        problem(&c, "election.id: must not be empty");
    check_settings(&c, m);
    if (st_check_index_build(&c, m, &x) == 0) {
        check_lists(&c, m, x.list_first);
        check_fiducials(&c, m, x.fid_first);
        check_targets(&c, m, &x);
        check_overlaps(&c, m);
    }
    for (int i = 0; i < m->n_artwork; i++) {
        char where[48];
        snprintf(where, sizeof where, "artwork[%d]", i);
        check_rect(&c, m, where, m->artwork[i]);
    }
    st_check_index_free(&x);
    return c.nomem ? ST_ERR_NOMEM : out->n + out->more;
}
