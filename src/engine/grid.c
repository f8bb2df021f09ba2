/* grid.c - place a page by its printed box outlines when the marks cannot
 *
 * 1. Rings: 8-connected blobs of the coarse image, at a level between
 *    paper and a printed line, of one of the model's box sizes (turned up
 *    to ST_GRID_MAX_TURN_DEG, scaled up to ST_GRID_MAX_SCALE), thin, with
 *    an empty middle: the outlines of unmarked boxes. A marked box, or a
 *    box merged with a fold or a streak, is simply not among them.
 * 2. Votes: for each way up, scale and turn on a grid of steps, up to
 *    ST_GRID_VOTERS rings spread over the page vote, for every box of
 *    their size, for the shift that puts that box on them. Shifts are
 *    counted in bins of ST_GRID_BIN_MM; a 2 x 2 window of bins counts the
 *    boxes that placement puts on a ring.
 * 3. The ST_GRID_CANDIDATES placements most voted for are refined (boxes
 *    paired with every ring ever closer, a least-squares affine fit each
 *    time: it takes up the uneven feed a similarity cannot), and the one
 *    with the most boxes on rings is judged: enough of them spread over
 *    the page, every other placement the same way up at least a row or
 *    a column of boxes behind (a grid is periodic), and every
 *    registration mark it puts wholly on the image found there. The other
 *    way up, when as good, goes to the caller to tell apart.
 */
#include "stemtel/grid.h"
#include "engine/cv.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_GRID_MAX_RINGS 1024
#define ST_GRID_LINE_INK 50        /* above paper: part of a printed line */
#define ST_GRID_MAX_FILL 0.6       /* ring pixels / bounding box */
#define ST_GRID_MAX_TURN_DEG 6.0
#define ST_GRID_TURN_STEP_DEG 0.4
#define ST_GRID_MAX_SCALE 0.03     /* of the nominal size, either way */
#define ST_GRID_SCALE_STEP 0.01
#define ST_GRID_BIN_MM 1.5
#define ST_GRID_CANDIDATES 8       /* placements refined */
#define ST_GRID_VOTERS 48          /* rings that vote (all are paired after) */
#define ST_GRID_SAME_MM 4.5        /* boxes' centres closer: one placement */
#define ST_GRID_MARGIN 6           /* boxes another placement must lose, */
#define ST_GRID_MARGIN_SHARE 0.05  /* ... or this share of them if more */
#define ST_GRID_MIN_RINGS 8
#define ST_GRID_MIN_SHARE 0.4      /* of the boxes, on rings */
#define ST_GRID_MIN_SPAN 0.5       /* of the boxes' extent, both ways */
#define ST_GRID_MARK_MARGIN_MM 1.0
#define ST_GRID_MAX_CLASSES 32     /* distinct box sizes */

/* A ring found: centre in full-resolution pixels, the box sizes it fits. */
typedef struct grid_ring {
    double x, y;
    uint32_t fits;
} grid_ring;

/* A placement voted for: way up, scale, turn and the shift of the boxes'
 * centre from the image's centre (full-resolution pixels). */
typedef struct grid_peak {
    int votes;
    int turned;
    double scale, turn_deg;
    double tx, ty;
} grid_peak;

typedef struct grid_job {
    const st_model *m;
    double k;              /* full-resolution px per mm */
    double icx, icy;       /* image centre, px */
    double pcx, pcy;       /* boxes' centre, mm */
    uint32_t *cls;         /* per target: its size's bit */
    grid_ring *rings;
    int n_rings;
    int img_w, img_h;      /* full resolution */
} grid_job;

/* The turn-scale matrix of a placement (mm to px, before the shift). */
static void peak_matrix(const grid_job *g, const grid_peak *p, double r[4])
{
    double a = (p->turn_deg + (p->turned ? 180.0 : 0.0)) * M_PI / 180.0;
    double s = p->scale * g->k;
    r[0] = s * cos(a);
    r[1] = -s * sin(a);
    r[2] = s * sin(a);
    r[3] = s * cos(a);
}

static void peak_affine(const grid_job *g, const grid_peak *p, st_affine *a)
{
    double r[4];
    peak_matrix(g, p, r);
    *a = (st_affine){{r[0], r[1], g->icx + p->tx - r[0] * g->pcx - r[1] * g->pcy,
                      r[2], r[3], g->icy + p->ty - r[2] * g->pcx - r[3] * g->pcy}};
}

/* Give every target the bit of its size; 0 on success, -1 when the model
 * has more sizes than bits. Fills sizes (w, h in mm per class). */
static int size_classes(const st_model *m, uint32_t *cls, double sizes[][2], int *n_sizes)
{
    int n = 0;
    for (int i = 0; i < m->n_targets; i++) {
        const st_rect *r = &m->targets[i].rect;
        int c = 0;
        while (c < n && !(fabs(sizes[c][0] - r->w) < 0.25 && fabs(sizes[c][1] - r->h) < 0.25))
            c++;
        if (c == n) {
            if (n == ST_GRID_MAX_CLASSES)
                return -1;
            sizes[n][0] = r->w;
            sizes[n][1] = r->h;
            n++;
        }
        cls[i] = (uint32_t)1 << c;
    }
    *n_sizes = n;
    return 0;
}

/* Mean of the coarse pixels in the square of half-side h around (x, y). */
static double mean_around(const st_image *c, double x, double y, double h)
{
    int x0 = (int)floor(x - h), x1 = (int)ceil(x + h), y0 = (int)floor(y - h),
        y1 = (int)ceil(y + h);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > c->w) x1 = c->w;
    if (y1 > c->h) y1 = c->h;
    double s = 0;
    long n = 0;
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++) {
            s += c->px[(size_t)yy * c->stride + xx];
            n++;
        }
    return n ? s / n : 255;
}

/* Collect the rings of the coarse image into g->rings. */
static int find_rings(grid_job *g, const st_image *coarse, int factor, int thr,
                      const double sizes[][2], int n_sizes, st_blob_scratch *finder,
                      st_error *err)
{
    double kc = g->k / factor, smin = 1e9, smax = 0;
    for (int c = 0; c < n_sizes; c++) {
        smin = fmin(smin, fmin(sizes[c][0], sizes[c][1]) * kc);
        smax = fmax(smax, fmax(sizes[c][0], sizes[c][1]) * kc);
    }
    st_blob *blobs = malloc(ST_GRID_MAX_RINGS * sizeof *blobs);
    if (!blobs)
        return st_error_set(err, ST_ERR_NOMEM, "grid: out of memory");
    int nb = 0;
    double big = 1.15 * smax + 2;
    int rc = st_blobs_find(coarse, thr, (int)(2 * smin), (int)(ST_GRID_MAX_FILL * big * big) + 1,
                           blobs, ST_GRID_MAX_RINGS, &nb, finder, err);
    if (rc) {
        free(blobs);
        return rc;
    }
    g->n_rings = 0;
    for (int b = 0; b < nb; b++) {
        const st_blob *bl = &blobs[b];
        if ((double)bl->area > ST_GRID_MAX_FILL * bl->w * bl->h)
            continue;
        uint32_t fits = 0;
        for (int c = 0; c < n_sizes; c++) {
            double bw = sizes[c][0] * kc, bh = sizes[c][1] * kc;
            /* A turned box's bounding box grows by up to a tenth. */
            if (bl->w >= 0.85 * bw - 1 && bl->w <= 1.15 * bw + 2 &&
                bl->h >= 0.85 * bh - 1 && bl->h <= 1.15 * bh + 2)
                fits |= (uint32_t)1 << c;
        }
        if (!fits)
            continue;
        double cx = bl->x + bl->w / 2.0, cy = bl->y + bl->h / 2.0;
        if (mean_around(coarse, cx, cy, 0.2 * fmin(bl->w, bl->h)) >= thr)
            continue; /* not empty inside: a marked box */
        /* The centroid of a whole ring is its centre. */
        g->rings[g->n_rings++] = (grid_ring){bl->cx * factor, bl->cy * factor, fits};
    }
    free(blobs);
    return ST_OK;
}

/* Bins of the shift vote: the boxes' centre lies on the image. */
typedef struct grid_votes {
    uint16_t *h;
    int *touched;
    int nx, ny, ox, oy;
    double bin;
    int voters[ST_GRID_VOTERS]; /* the rings that vote: spread over all */
    int n_voters;
} grid_votes;

/* Vote for one way up, scale and turn; returns the best window and the
 * best one at least three bins from it in *second. */
static grid_peak vote(const grid_job *g, grid_votes *v, int turned, double scale,
                      double turn_deg, grid_peak *second)
{
    grid_peak p = {0, turned, scale, turn_deg, 0, 0};
    double r[4];
    peak_matrix(g, &p, r);
    int nt = 0;
    double inv = 1.0 / v->bin;
    for (int i = 0; i < g->m->n_targets; i++) {
        const st_rect *t = &g->m->targets[i].rect;
        double x = t->x + t->w / 2 - g->pcx, y = t->y + t->h / 2 - g->pcy;
        /* Where this box's vote lands, in bins, is the ring's bin less
         * the box's. */
        double ex = (r[0] * x + r[1] * y + g->icx) * inv - v->ox;
        double ey = (r[2] * x + r[3] * y + g->icy) * inv - v->oy;
        uint32_t cls = g->cls[i];
        for (int j = 0; j < v->n_voters; j++) {
            const grid_ring *q = &g->rings[v->voters[j]];
            double fx = q->x * inv - ex, fy = q->y * inv - ey;
            if (!(q->fits & cls) || fx < 0 || fy < 0 || fx >= v->nx - 1 || fy >= v->ny - 1)
                continue;
            int idx = (int)fy * v->nx + (int)fx;
            if (v->h[idx] == 0)
                v->touched[nt++] = idx;
            if (v->h[idx] < UINT16_MAX)
                v->h[idx]++;
        }
    }
    int best = -1, bv = 0, sec = -1, sv = 0;
    for (int q = 0; q < nt; q++) {
        int idx = v->touched[q];
        int w = v->h[idx] + v->h[idx + 1] + v->h[idx + v->nx] + v->h[idx + v->nx + 1];
        if (w > bv) {
            if (best >= 0 && (abs(best % v->nx - idx % v->nx) > 2 || abs(best / v->nx - idx / v->nx) > 2)) {
                sec = best;
                sv = bv;
            }
            best = idx;
            bv = w;
        } else if (w > sv && (abs(best % v->nx - idx % v->nx) > 2 || abs(best / v->nx - idx / v->nx) > 2)) {
            sec = idx;
            sv = w;
        }
    }
    for (int q = 0; q < nt; q++)
        v->h[v->touched[q]] = 0;
    *second = p;
    second->votes = sv;
    if (sec >= 0) {
        second->tx = (sec % v->nx - v->ox + 1) * v->bin;
        second->ty = (sec / v->nx - v->oy + 1) * v->bin;
    }
    p.votes = bv;
    if (best >= 0) {
        p.tx = (best % v->nx - v->ox + 1) * v->bin;
        p.ty = (best / v->nx - v->oy + 1) * v->bin;
    }
    return p;
}

/* Pair boxes with rings within radius_mm of where a puts them and fit an
 * affine to the pairs; returns the pairs (0 when too few to fit). src and
 * dst hold 2 * n_targets numbers each. */
static int refine_once(const grid_job *g, st_affine *a, double radius_mm, double *src,
                       double *dst, double *rms_px)
{
    const st_model *m = g->m;
    double r2 = radius_mm * g->k * radius_mm * g->k;
    int n = 0;
    for (int i = 0; i < m->n_targets; i++) {
        const st_rect *t = &m->targets[i].rect;
        double x = t->x + t->w / 2, y = t->y + t->h / 2, ex, ey;
        st_affine_apply(a, x, y, &ex, &ey);
        int best = -1;
        double bd = r2;
        for (int j = 0; j < g->n_rings; j++) {
            if (!(g->rings[j].fits & g->cls[i]))
                continue;
            double dx = g->rings[j].x - ex, dy = g->rings[j].y - ey, d = dx * dx + dy * dy;
            if (d < bd) {
                bd = d;
                best = j;
            }
        }
        if (best < 0)
            continue;
        src[2 * n] = x;
        src[2 * n + 1] = y;
        dst[2 * n] = g->rings[best].x;
        dst[2 * n + 1] = g->rings[best].y;
        n++;
    }
    double mm[6], rms;
    if (n < ST_GRID_MIN_RINGS || st_cv_fit_affine(src, dst, n, mm, &rms, NULL))
        return 0;
    for (int i = 0; i < 6; i++)
        if (!isfinite(mm[i]))
            return 0;
    if (!isfinite(rms))
        return 0;
    memcpy(a->m, mm, sizeof mm);
    *rms_px = rms;
    return n;
}

/* Refine placement p into *a; returns the boxes on rings (0: failed) and
 * how far the paired boxes reach across the page, as shares of the
 * boxes' own extent, in *span. */
static int refine(const grid_job *g, const grid_peak *p, double *src, double *dst,
                  st_affine *a, double *rms_px, double *span)
{
    static const double radius_mm[] = {4.0, 2.0, 1.2};
    peak_affine(g, p, a);
    int n = 0;
    for (size_t r = 0; r < sizeof radius_mm / sizeof *radius_mm; r++)
        if (!(n = refine_once(g, a, radius_mm[r], src, dst, rms_px)))
            return 0;
    double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9, X0 = 1e9, X1 = -1e9, Y0 = 1e9, Y1 = -1e9;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, src[2 * i]);
        x1 = fmax(x1, src[2 * i]);
        y0 = fmin(y0, src[2 * i + 1]);
        y1 = fmax(y1, src[2 * i + 1]);
    }
    for (int i = 0; i < g->m->n_targets; i++) {
        const st_rect *t = &g->m->targets[i].rect;
        X0 = fmin(X0, t->x + t->w / 2);
        X1 = fmax(X1, t->x + t->w / 2);
        Y0 = fmin(Y0, t->y + t->h / 2);
        Y1 = fmax(Y1, t->y + t->h / 2);
    }
    double sx = X1 > X0 ? (x1 - x0) / (X1 - X0) : 1, sy = Y1 > Y0 ? (y1 - y0) / (Y1 - Y0) : 1;
    *span = fmin(sx, sy);
    return n;
}

/* The first registration mark a puts wholly on the image but that is not
 * there (its middle not dark on the coarse image), or -1; counts the
 * marks found where a puts them in *found. */
static int missing_mark(const grid_job *g, const st_affine *a, const st_image *coarse,
                        int factor, double paper_ink, int *found)
{
    const st_model *m = g->m;
    *found = 0;
    for (int i = 0; i < m->n_fiducials; i++) {
        const st_rect *r = &m->fiducials[i].rect;
        double e = ST_GRID_MARK_MARGIN_MM, inside = 1;
        double cx[4] = {r->x - e, r->x + r->w + e, r->x + r->w + e, r->x - e};
        double cy[4] = {r->y - e, r->y - e, r->y + r->h + e, r->y + r->h + e};
        for (int c = 0; c < 4; c++) {
            double px, py;
            st_affine_apply(a, cx[c], cy[c], &px, &py);
            if (px < 0 || py < 0 || px >= g->img_w || py >= g->img_h)
                inside = 0;
        }
        if (!inside)
            continue;
        /* Sample the mark's middle half every 0.5 mm. */
        double s = 0;
        int n = 0;
        for (double y = r->y + r->h / 4; y <= r->y + 3 * r->h / 4 + 1e-9; y += 0.5)
            for (double x = r->x + r->w / 4; x <= r->x + 3 * r->w / 4 + 1e-9; x += 0.5) {
                double px, py;
                st_affine_apply(a, x, y, &px, &py);
                int ix = (int)(px / factor), iy = (int)(py / factor);
                if (ix < 0 || iy < 0 || ix >= coarse->w || iy >= coarse->h)
                    continue;
                s += coarse->px[(size_t)iy * coarse->stride + ix];
                n++;
            }
        if (!n || s / n < paper_ink + (255 - paper_ink) / 2)
            return i;
        (*found)++;
    }
    return -1;
}

/* The most voted placements, no two at the same place. */
typedef struct grid_top {
    grid_peak p[ST_GRID_CANDIDATES];
    int n;
} grid_top;

/* Keep p among the best placements: a placement the same way up whose
 * boxes' centre lies within same_px of p's is the same one. */
static void top_add(grid_top *t, const grid_peak *p, double same_px)
{
    if (p->votes <= 0)
        return;
    int low = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->p[i].turned == p->turned &&
            hypot(t->p[i].tx - p->tx, t->p[i].ty - p->ty) <= same_px) {
            if (p->votes > t->p[i].votes)
                t->p[i] = *p;
            return;
        }
        if (t->p[i].votes < t->p[low].votes)
            low = i;
    }
    if (t->n < ST_GRID_CANDIDATES)
        t->p[t->n++] = *p;
    else if (p->votes > t->p[low].votes)
        t->p[low] = *p;
}

/* A refined placement: boxes on rings, its transform and residual, the
 * share of the boxes' extent the paired boxes span. */
typedef struct grid_fit {
    int on, turned;
    st_affine a;
    double rms, span;
} grid_fit;

/* Do two refined placements put the boxes' centre at the same place the
 * same way up? */
static int same_place(const grid_job *g, const grid_fit *p, const grid_fit *q)
{
    double px, py, qx, qy;
    st_affine_apply(&p->a, g->pcx, g->pcy, &px, &py);
    st_affine_apply(&q->a, g->pcx, g->pcy, &qx, &qy);
    return p->turned == q->turned && hypot(px - qx, py - qy) <= ST_GRID_SAME_MM * g->k;
}

static int fail(st_registration *out, const char *fmt, int a, int b)
{
    out->ok = 0;
    out->reason = ST_REJECT_NO_MARKS;
    snprintf(out->detail, sizeof out->detail, fmt, a, b);
    return ST_OK;
}

int st_register_grid(const st_model *m, const st_image *coarse, int factor,
                     double dpi, double paper_ink, st_blob_scratch *finder,
                     st_registration *out, st_error *err)
{
    memset(out, 0, sizeof *out);
    out->dpi = dpi;
    out->paper_ink = paper_ink;
    if (!coarse || coarse->channels != 1 || factor < 1 || !(dpi > 0))
        return st_error_set(err, ST_ERR_ARG, "grid: needs a 1-channel coarse image");
    if (m->n_targets < ST_GRID_MIN_RINGS)
        return fail(out, "the model has %d boxes, too few to place the page by (%d)",
                    m->n_targets, ST_GRID_MIN_RINGS);
    double sizes[ST_GRID_MAX_CLASSES][2];
    int n_sizes = 0, rc = ST_OK;
    grid_job g = {.m = m, .k = dpi / 25.4, .img_w = coarse->w * factor,
                  .img_h = coarse->h * factor};
    grid_votes v = {0};
    double *pts = NULL;
    g.cls = malloc((size_t)m->n_targets * sizeof *g.cls);
    g.rings = malloc(ST_GRID_MAX_RINGS * sizeof *g.rings);
    pts = malloc((size_t)m->n_targets * 4 * sizeof *pts);
    if (!g.cls || !g.rings || !pts) {
        rc = st_error_set(err, ST_ERR_NOMEM, "grid: out of memory");
        goto done;
    }
    if (size_classes(m, g.cls, sizes, &n_sizes)) {
        fail(out, "the model has more than %d box sizes (%d boxes)", ST_GRID_MAX_CLASSES,
             m->n_targets);
        goto done;
    }
    int thr = (int)paper_ink + ST_GRID_LINE_INK;
    if (thr > 250)
        thr = 250;
    if ((rc = find_rings(&g, coarse, factor, thr, sizes, n_sizes, finder, err)))
        goto done;
    if (g.n_rings < ST_GRID_MIN_RINGS) {
        fail(out, "%d empty box outlines found on the page, too few to place it by (%d)",
             g.n_rings, ST_GRID_MIN_RINGS);
        goto done;
    }
    g.icx = g.img_w / 2.0;
    g.icy = g.img_h / 2.0;
    for (int i = 0; i < m->n_targets; i++) {
        g.pcx += m->targets[i].rect.x + m->targets[i].rect.w / 2;
        g.pcy += m->targets[i].rect.y + m->targets[i].rect.h / 2;
    }
    g.pcx /= m->n_targets;
    g.pcy /= m->n_targets;

    v.bin = ST_GRID_BIN_MM * g.k;
    /* Rings come in reading order: every so many of them spreads the
     * voters over the page. */
    v.n_voters = g.n_rings < ST_GRID_VOTERS ? g.n_rings : ST_GRID_VOTERS;
    for (int j = 0; j < v.n_voters; j++)
        v.voters[j] = (int)((long)j * g.n_rings / v.n_voters);
    v.nx = (int)ceil(g.img_w / v.bin) + 4;
    v.ny = (int)ceil(g.img_h / v.bin) + 4;
    v.ox = v.nx / 2;
    v.oy = v.ny / 2;
    v.h = calloc((size_t)v.nx * v.ny, sizeof *v.h);
    v.touched = malloc((size_t)v.nx * v.ny * sizeof *v.touched);
    if (!v.h || !v.touched) {
        rc = st_error_set(err, ST_ERR_NOMEM, "grid: out of memory");
        goto done;
    }
    /* The placements most voted for, refined; then the one with the most
     * boxes on rings, against the best other placement each way up. */
    grid_top top = {0};
    int n_turns = (int)lround(ST_GRID_MAX_TURN_DEG / ST_GRID_TURN_STEP_DEG);
    int n_scales = (int)lround(ST_GRID_MAX_SCALE / ST_GRID_SCALE_STEP);
    for (int up = 0; up < 2; up++)
        for (int si = -n_scales; si <= n_scales; si++)
            for (int ti = -n_turns; ti <= n_turns; ti++) {
                grid_peak sec, p = vote(&g, &v, up, 1.0 + si * ST_GRID_SCALE_STEP,
                                        ti * ST_GRID_TURN_STEP_DEG, &sec);
                top_add(&top, &p, ST_GRID_SAME_MM * g.k);
                top_add(&top, &sec, ST_GRID_SAME_MM * g.k);
            }
    grid_fit fits[ST_GRID_CANDIDATES];
    int best = -1;
    for (int i = 0; i < top.n; i++) {
        grid_fit *f = &fits[i];
        f->on = refine(&g, &top.p[i], pts, pts + 2 * (size_t)m->n_targets, &f->a, &f->rms,
                       &f->span);
        f->turned = top.p[i].turned;
        if (f->on && (best < 0 || f->on > fits[best].on))
            best = i;
    }
    int need = (int)ceil(ST_GRID_MIN_SHARE * m->n_targets);
    if (need < ST_GRID_MIN_RINGS)
        need = ST_GRID_MIN_RINGS;
    if (best < 0 || fits[best].on < need) {
        fail(out, "only %d of %d boxes lie on an empty printed outline",
             best < 0 ? 0 : fits[best].on, m->n_targets);
        goto done;
    }
    const grid_fit *f = &fits[best];
    /* A grid is periodic: shifted by a row or a column of boxes it still
     * puts most boxes on rings. The placement must beat every other the
     * same way up by a margin; the other way up, when it comes as close,
     * is left to the outlines to tell apart. */
    int margin = (int)ceil(ST_GRID_MARGIN_SHARE * f->on);
    if (margin < ST_GRID_MARGIN)
        margin = ST_GRID_MARGIN;
    int rival = -1, alt = -1;
    for (int i = 0; i < top.n; i++) {
        if (i == best || !fits[i].on || same_place(&g, &fits[i], f))
            continue;
        int *slot = fits[i].turned == f->turned ? &rival : &alt;
        if (*slot < 0 || fits[i].on > fits[*slot].on)
            *slot = i;
    }
    if (rival >= 0 && f->on - fits[rival].on < margin) {
        fail(out, "the printed boxes fit the page at two places (%d and %d boxes)", f->on,
             fits[rival].on);
        goto done;
    }
    if (f->span < ST_GRID_MIN_SPAN) {
        fail(out, "the %d boxes found on printed outlines span too little of the page "
                  "(%d%% of the boxes' extent)", f->on, (int)lround(f->span * 100));
        goto done;
    }
    int found = 0, lost = missing_mark(&g, &f->a, coarse, factor, paper_ink, &found);
    if (lost >= 0) {
        out->ok = 0;
        out->reason = ST_REJECT_NO_MARKS;
        snprintf(out->detail, sizeof out->detail,
                 "the printed boxes place registration mark %s on the page, but it is "
                 "not there", m->fiducials[lost].id);
        goto done;
    }
    const st_affine *a = &f->a;
    double det = a->m[0] * a->m[4] - a->m[1] * a->m[3];
    out->ok = 1;
    out->provisional = 1;
    out->by_grid = 1;
    out->xform = *a;
    out->marks_found = found;
    out->scale = sqrt(fabs(det)) / g.k;
    out->rotation_deg = atan2(a->m[3], a->m[0]) * 180 / M_PI;
    out->upside_down = a->m[0] < 0;
    out->rms_mm = det != 0 ? f->rms / sqrt(fabs(det)) : 0;
    int other_found;
    if (alt >= 0 && f->on - fits[alt].on < margin && fits[alt].span >= ST_GRID_MIN_SPAN &&
        missing_mark(&g, &fits[alt].a, coarse, factor, paper_ink, &other_found) < 0) {
        out->has_alt = 1;
        out->alt_xform = fits[alt].a;
    }
done:
    free(g.cls);
    free(g.rings);
    free(pts);
    free(v.h);
    free(v.touched);
    return rc;
}
