/* writing.c - ink on the ballot outside every box: writing, streaks
 *
 * On the coarse (about 50 dpi) ink image: the paper's inside less an edge
 * band is copied, registration marks, boxes and printed labels are
 * cleared with a pad, and what ink is left is found as blobs. A long thin
 * blob across much of the page is a scanner streak or a fold, not
 * writing; specks are dust. The largest remaining blob is reported.
 * Dark vertical streaks (a dirty scan line) are found first, column by
 * column, so the boxes they cross can be treated with care
 * (st_score_streaks in score.c).
 */
#include "stemtel/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ST_WRITING_INK 40          /* coarse ink above paper that counts: a
                                      1 px pen line still averages to this
                                      in a 50 dpi cell */
#define ST_WRITING_PAD_MM 0.8      /* around boxes: registration error and
                                      strokes that overshoot a little; a
                                      loop drawn around a box lies beyond */
#define ST_WRITING_LABEL_PAD_MM 1.0 /* around printed labels */
#define ST_WRITING_MARK_PAD_MM 1.5  /* around registration marks */
#define ST_WRITING_EDGE_MM 4.0     /* paper edge band ignored */
#define ST_WRITING_MIN_MM2 2.0     /* smallest blob that may be writing */
#define ST_WRITING_THIN_MM2 0.8    /* ... or a thin one this large */
#define ST_WRITING_THIN_LEN_MM 4.0 /* ... that runs this far */

/* One row of the coarse image in model mm: pixel x's centre lies at
 * (mx0 + x * dmx, my0 + x * dmy); the band kept is x0 < mx < x1,
 * y0 < my < y1. */
typedef struct row_line {
    double mx0, my0, dmx, dmy;
    double x0, x1, y0, y1;
} row_line;

static int row_inside(const row_line *l, int x)
{
    double mx = l->mx0 + x * l->dmx, my = l->my0 + x * l->dmy;
    return mx > l->x0 && my > l->y0 && mx < l->x1 && my < l->y1;
}

/* Narrow [*lo, *hi] to the x where c0 + x * d lies strictly between a and
 * b (rounded outwards; row_inside settles the ends). */
static void clip_run(double c0, double d, double a, double b, double *lo, double *hi)
{
    if (d == 0) {
        if (!(c0 > a && c0 < b))
            *hi = *lo - 1;
        return;
    }
    double ta = (a - c0) / d, tb = (b - c0) / d;
    double t0 = fmin(ta, tb), t1 = fmax(ta, tb);
    *lo = fmax(*lo, floor(t0) - 1);
    *hi = fmin(*hi, ceil(t1) + 1);
}

/* The run of pixels 0..w-1 inside the band: *lo..*hi, empty when
 * *lo > *hi. Each constraint is monotone in x, so the pixels inside are
 * one run; its ends come from the line equations and are then checked
 * pixel by pixel with the same test, so the run is exactly the pixels
 * row_inside accepts. */
static void inside_run(const row_line *l, int w, int *lo, int *hi)
{
    double a = 0, b = w - 1;
    clip_run(l->mx0, l->dmx, l->x0, l->x1, &a, &b);
    clip_run(l->my0, l->dmy, l->y0, l->y1, &a, &b);
    /* Clamp before converting: a row wholly outside the band can put the
     * ends far beyond int. */
    a = fmax(a, 0);
    b = fmin(b, w - 1);
    if (!(a <= b)) {
        *lo = 0;
        *hi = -1;
        return;
    }
    int i = (int)a, j = (int)b;
    while (i <= j && !row_inside(l, i))
        i++;
    while (j >= i && !row_inside(l, j))
        j--;
    *lo = i;
    *hi = j;
}

/* Clear the axis-aligned bounding box of rect (mm, padded) under a. */
static void clear_rect(st_image *img, const st_affine *a, double f, st_rect r,
                       double pad)
{
    double xs[4] = {r.x - pad, r.x + r.w + pad, r.x - pad, r.x + r.w + pad};
    double ys[4] = {r.y - pad, r.y - pad, r.y + r.h + pad, r.y + r.h + pad};
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (int i = 0; i < 4; i++) {
        double px, py;
        st_affine_apply(a, xs[i], ys[i], &px, &py);
        x0 = fmin(x0, px / f);
        x1 = fmax(x1, px / f);
        y0 = fmin(y0, py / f);
        y1 = fmax(y1, py / f);
    }
    int ix0 = (int)floor(x0), ix1 = (int)ceil(x1), iy0 = (int)floor(y0), iy1 = (int)ceil(y1);
    if (ix0 < 0) ix0 = 0;
    if (iy0 < 0) iy0 = 0;
    if (ix1 > img->w) ix1 = img->w;
    if (iy1 > img->h) iy1 = img->h;
    for (int y = iy0; y < iy1; y++)
        if (ix1 > ix0)
            memset(img->px + (size_t)y * img->stride + ix0, 0, (size_t)(ix1 - ix0));
}

/* Dark vertical streaks: coarse columns inked on most of the paper's rows.
 * Printed ballots have no such column (boxes and text cover a small share
 * of any column), a dirty scan line inks every row. A narrow streak may
 * straddle two coarse columns, so pairs of neighbours are summed: a streak
 * 2 px wide at ink 64 (enough to score in a box) adds 32 to such a pair at
 * 50 dpi from 200 dpi. img holds the paper's inside only, zero elsewhere. */
static void find_streaks(const st_model *m, const st_registration *r,
                         const st_image *img, double f, st_writing *out)
{
    int level = 2 * (int)r->paper_ink + 28, run = -1;
    double k = sqrt(fabs(r->xform.m[0] * r->xform.m[4] - r->xform.m[1] * r->xform.m[3])) / f;
    int min_rows = (int)(0.5 * m->paper_h * k);
    /* Count per column pair row by row: the image is walked in memory
     * order once. */
    int *inked = calloc((size_t)img->w + 1, sizeof *inked);
    if (!inked)
        return; /* no streak check without memory; the caller's boxes stand */
    for (int y = 0; y < img->h; y++) {
        const uint8_t *row = img->px + (size_t)y * img->stride;
        for (int x = 0; x + 1 < img->w; x++)
            inked[x] += row[x] + row[x + 1] >= level;
    }
    for (int x = 0; x < img->w; x++) {
        int streak = inked[x] >= min_rows;
        if (streak && run < 0)
            run = x;
        if ((!streak || x + 1 == img->w) && run >= 0) {
            if (out->n_streak_cols < 8) {
                /* The pair's second column, and one more either side. */
                out->streak_x0[out->n_streak_cols] = (run - 1) * f;
                out->streak_x1[out->n_streak_cols] = (x + 2) * f;
                out->n_streak_cols++;
            }
            run = -1;
        }
    }
    free(inked);
}

int st_writing_check(const st_model *m, const st_registration *r,
                     const st_image *coarse, int factor, st_image *scratch,
                     st_blob_scratch *finder, st_writing *out, st_error *err)
{
    memset(out, 0, sizeof *out);
    size_t need = (size_t)coarse->w * coarse->h;
    if (!scratch->px || (size_t)scratch->w * scratch->h < need) {
        uint8_t *p = realloc(scratch->px, need);
        if (!p)
            return st_error_set(err, ST_ERR_NOMEM, "score: out of memory");
        scratch->px = p;
    }
    scratch->w = coarse->w;
    scratch->h = coarse->h;
    scratch->channels = 1;
    scratch->stride = (size_t)coarse->w;
    const st_affine *a = &r->xform;
    double f = factor;
    /* Keep only the paper's inside, less an edge band: outside it is the
     * scanner's background, at the edge shadows and torn fibres. */
    double ia = a->m[0], ib = a->m[1], ic = a->m[3], id = a->m[4];
    double det = ia * id - ib * ic;
    /* Model mm of a coarse pixel's centre is linear in x along a row, so
     * the pixels inside the band form one run per row: find its ends and
     * copy it whole. */
    row_line l;
    l.dmx = id * f / det;
    l.dmy = -ic * f / det;
    l.x0 = l.y0 = ST_WRITING_EDGE_MM;
    l.x1 = m->paper_w - ST_WRITING_EDGE_MM;
    l.y1 = m->paper_h - ST_WRITING_EDGE_MM;
    for (int y = 0; y < coarse->h; y++) {
        const uint8_t *src = coarse->px + (size_t)y * coarse->stride;
        uint8_t *dst = scratch->px + (size_t)y * scratch->stride;
        double px0 = 0.5 * f - a->m[2], py = (y + 0.5) * f - a->m[5];
        l.mx0 = (id * px0 - ib * py) / det;
        l.my0 = (-ic * px0 + ia * py) / det;
        int lo, hi;
        inside_run(&l, coarse->w, &lo, &hi);
        memset(dst, 0, (size_t)coarse->w);
        if (lo <= hi)
            memcpy(dst + lo, src + lo, (size_t)(hi - lo + 1));
    }
    find_streaks(m, r, scratch, f, out);
    for (int i = 0; i < m->n_fiducials; i++)
        clear_rect(scratch, a, f, m->fiducials[i].rect, ST_WRITING_MARK_PAD_MM);
    for (int i = 0; i < m->n_targets; i++) {
        clear_rect(scratch, a, f, m->targets[i].rect, ST_WRITING_PAD_MM);
        if (m->targets[i].label)
            clear_rect(scratch, a, f, m->targets[i].label_rect, ST_WRITING_LABEL_PAD_MM);
    }
    double kc = sqrt(fabs(det)) / f; /* coarse px per mm */
    int min_area = (int)ceil(ST_WRITING_THIN_MM2 * kc * kc);
    st_blob blobs[64];
    int n = 0;
    int rc = st_blobs_find(scratch, (int)r->paper_ink + ST_WRITING_INK,
                           min_area > 1 ? min_area : 1, 1 << 30, blobs, 64, &n,
                           finder, err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        const st_blob *b = &blobs[i];
        double wmm = b->w / kc, hmm = b->h / kc;
        /* A scanner streak or a fold crosses much of the page and is thin:
         * not writing, and not the voter's doing. */
        if ((hmm > 0.4 * m->paper_h && wmm < 4) || (wmm > 0.4 * m->paper_w && hmm < 4)) {
            out->streaks++;
            continue;
        }
        double area = b->area / (kc * kc);
        if (area < ST_WRITING_MIN_MM2 && fmax(wmm, hmm) < ST_WRITING_THIN_LEN_MM)
            continue; /* a speck: dust, a pencil touch */
        if (area > out->area_mm2) {
            out->found = 1;
            out->area_mm2 = area;
            double px = b->cx * f - a->m[2], py = b->cy * f - a->m[5];
            out->x_mm = (id * px - ib * py) / det;
            out->y_mm = (-ic * px + ia * py) / det;
        }
    }
    return ST_OK;
}
