/* check.c - find every mistake a model file can have
 *
 * Checks run independently and each appends a message that says where the
 * problem is (the JSON path and the box's id) and what is wrong, so a hand-
 * edited model gets one complete list rather than one error per attempt.
 * Overlap is tested between every pair of printed rectangles (boxes,
 * registration marks, labels); models have a few hundred, so pairs are cheap.
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
}

typedef struct st_checker {
    st_problems *out;
    int nomem;
} st_checker;

static void problem(st_checker *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(st_checker *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nm = realloc(c->out->msg, (size_t)(c->out->n + 1) * sizeof *nm);
    char *s = strdup(buf);
    if (!nm || !s) {
        free(s);
        if (nm)
            c->out->msg = nm;
        c->nomem = 1;
        return;
    }
    c->out->msg = nm;
    c->out->msg[c->out->n++] = s;
}

/* One printed rectangle with a name for messages. */
typedef struct st_shape {
    char where[64];
    st_rect r;
    int owner; /* target index for a box and its label; -1 otherwise */
} st_shape;

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

static void check_lists(st_checker *c, const st_model *m)
{
    if (m->n_lists == 0)
        problem(c, "lists: a ballot needs at least one list");
    for (int i = 0; i < m->n_lists; i++) {
        const st_list *l = &m->lists[i];
        if (l->number < 1)
            problem(c, "lists[%d]: list number %d must be 1 or more", i, l->number);
        for (int k = 0; k < i; k++)
            if (m->lists[k].number == l->number)
                problem(c, "lists[%d]: list number %d is also used by lists[%d]", i,
                        l->number, k);
        if (l->n_candidates == 0)
            problem(c, "lists[%d] (list %d): has no candidates", i, l->number);
        for (int j = 0; j < l->n_candidates; j++)
            if (l->candidates[j].number != j + 1)
                problem(c, "lists[%d].candidates[%d] (list %d): candidate number "
                        "%d where %d was expected (numbers run 1, 2, ... in order)",
                        i, j, l->number, l->candidates[j].number, j + 1);
    }
}

static void check_targets(st_checker *c, const st_model *m)
{
    int grid = st_model_max_candidates(m);
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        char where[64];
        snprintf(where, sizeof where, "targets[%d] (%s)", i, t->id);
        for (int k = 0; k < i; k++)
            if (strcmp(m->targets[k].id, t->id) == 0)
                problem(c, "%s: id \"%s\" is also used by targets[%d]", where, t->id, k);
        for (int k = 0; k < m->n_fiducials; k++)
            if (strcmp(m->fiducials[k].id, t->id) == 0)
                problem(c, "%s: id \"%s\" is also used by fiducials[%d]", where, t->id, k);
        for (int k = 0; k < i; k++)
            if (m->targets[k].kind == t->kind && m->targets[k].number == t->number)
                problem(c, "%s: a second %s box for %s %d (first: targets[%d])", where,
                        t->kind == ST_TARGET_LIST ? "list" : "number",
                        t->kind == ST_TARGET_LIST ? "list" : "number", t->number, k);
        if (t->kind == ST_TARGET_LIST && !st_model_list(m, t->number))
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
        if (!st_model_target(m, ST_TARGET_LIST, m->lists[i].number))
            problem(c, "targets: list %d (lists[%d]) has no list box", m->lists[i].number,
                    i);
    for (int n = 1; n <= grid; n++)
        if (!st_model_target(m, ST_TARGET_NUMBER, n))
            problem(c, "targets: number box %d is missing (the longest list has %d "
                    "candidates, so the grid needs 1..%d)", n, grid, grid);
}

static void check_fiducials(st_checker *c, const st_model *m)
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
        for (int k = 0; k < i; k++)
            if (strcmp(m->fiducials[k].id, m->fiducials[i].id) == 0)
                problem(c, "%s: id \"%s\" is also used by fiducials[%d]", where,
                        m->fiducials[i].id, k);
        check_rect(c, m, where, m->fiducials[i].rect);
    }
}

static void check_overlaps(st_checker *c, const st_model *m)
{
    int n = m->n_fiducials + 2 * m->n_targets, k = 0;
    st_shape *sh = calloc(n ? (size_t)n : 1, sizeof *sh);
    if (!sh) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < m->n_fiducials; i++, k++) {
        snprintf(sh[k].where, sizeof sh[k].where, "fiducials[%d] (%s)", i,
                 m->fiducials[i].id);
        sh[k].r = m->fiducials[i].rect;
        sh[k].owner = -1;
    }
    for (int i = 0; i < m->n_targets; i++) {
        snprintf(sh[k].where, sizeof sh[k].where, "targets[%d] (%s)", i,
                 m->targets[i].id);
        sh[k].r = m->targets[i].rect;
        sh[k++].owner = i;
        if (m->targets[i].label) {
            snprintf(sh[k].where, sizeof sh[k].where, "targets[%d] (%s) label", i,
                     m->targets[i].id);
            sh[k].r = m->targets[i].label_rect;
            sh[k++].owner = i;
        }
    }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (overlaps(sh[i].r, sh[j].r))
                problem(c, "%s: overlaps %s", sh[i].where, sh[j].where);
    free(sh);
}

int st_model_check(const st_model *m, st_problems *out)
{
    st_checker c = {out, 0};
    if (!(m->paper_w >= 50 && m->paper_w <= 1000 && m->paper_h >= 50 &&
          m->paper_h <= 1000))
        problem(&c, "paper: %.1f x %.1f mm; each side must lie between 50 and "
                "1000 mm", m->paper_w, m->paper_h);
    if (!m->election_id || !*m->election_id)
        problem(&c, "election.id: must not be empty");
    check_settings(&c, m);
    check_lists(&c, m);
    check_fiducials(&c, m);
    check_targets(&c, m);
    check_overlaps(&c, m);
    return c.nomem ? ST_ERR_NOMEM : out->n;
}
