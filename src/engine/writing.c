/* writing.c - ink on the ballot outside every box: writing, streaks
 *
 * On the coarse (about 50 dpi) ink image: the paper's inside less an edge
 * band is copied, registration marks, boxes and printed labels are
 * cleared with a pad, and what ink is left is found as blobs. A long thin
 * blob across much of the page is a scanner streak or a fold, not
 * writing; specks are dust. A mark's own overflow is not writing either:
 * a thin stroke that leaves the pad of a box holding a mark where the
 * mark's ink reaches the box's edge, and stays within half the box's size
 * of it (the arms of an X, a check's tail, a scribble's turns), or a thin
 * loop drawn round such a box close to it, whole or in the pieces a fold's
 * or streak's band and the pads cut it into. Whatever reaches further, is
 * too much ink for a stroke, or does not continue a mark (a word beside
 * the box, a letter touching it) stays writing. The largest remaining
 * blob is reported. A limit: a word written on a box's edge inside a
 * loop round that box, its lower half under the box's pad, can join the
 * loop's line and pass for the loop.
 * Dark vertical streaks (a dirty scan line) are found first, column by
 * column, so the boxes they cross can be treated with care
 * (st_score_streaks in score.c).
 */
#include "stemtel/decode.h"
#include "stemtel/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ST_STREAK_INK 6            /* per column of a pair, above paper:
                                      the pair's sum is then above
                                      ST_INK_WEAK, a faint cell's mean */
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
#define ST_WRITING_REACH 0.5       /* a mark's overflow stays within this
                                      share of the box's size beyond it */
#define ST_WRITING_REACH_MM 1.0    /* ... plus this: pen width, coarse px */
#define ST_WRITING_RING_REACH 0.6  /* a loop round a box: its share */
#define ST_WRITING_STROKE_MM 2.5   /* widest stroke (area per mm of its
                                      run) that is a pen's overflow; coarse
                                      cells and blur widen a 1 mm line */
#define ST_WRITING_SIDEWAYS 1.0   /* a stroke leaving a box: along its
                                      edge at most this times beyond it */
#define ST_WRITING_PEN_MM 1.5      /* ... plus a pen's width */
#define ST_WRITING_ROW_GAP_MM 2.0  /* strokes this close by one box form a
                                      row: a scribble's turns, or letters */
#define ST_WRITING_ROW_MM 1.5      /* a row of turns reaches at most this
                                      far beyond the pad; letters, whose
                                      joins the pad cut, reach further */
#define ST_WRITING_LETTERS_MM 6.0  /* letters of a word lie this close */
#define ST_WRITING_TIP_MM2 6.0     /* a stroke's tip beyond other print:
                                      a check's tail runs up to half the
                                      box past its corner, over a label */
#define ST_WRITING_TIP_MM 5.0
#define ST_WRITING_ARC_ALONG 0.6   /* an arc of a loop round a box runs
                                      along this share of a side */
#define ST_WRITING_ARC_THICK_MM 4.0 /* ... is at most this thick */
#define ST_WRITING_ARC_INK_MM 1.6 /* ... with this much ink per mm (a pencil
                                      line straddles two coarse cells) */
#define ST_WRITING_LOOP_INK_MM 1.0 /* a whole loop: ink per mm round it */
#define ST_WRITING_LOOP_INNER 0.7  /* ... its ink lies outside this share
                                      of the ellipse its bounding box holds */
#define ST_WRITING_LOOP_STRAY 0.1  /* ... all but this share of it */
#define ST_WRITING_LOOP_SECTORS 12 /* ... and round it, by angle, */
#define ST_WRITING_LOOP_SPREAD 0.3 /* ... and thin: in two of them or
                                      more, no wider than this share of
                                      the loop's radius */
#define ST_WRITING_JOIN_MM 1.5     /* the mark's ink lies this close inside
                                      the box to where a stroke leaves */

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

/* A rect of coarse px, [x0, x1) x [y0, y1), clipped to the image. */
typedef struct px_rect {
    int x0, y0, x1, y1;
} px_rect;

/* The axis-aligned bounding box of rect (mm, padded by pad on every side)
 * under a, in coarse px of img. */
static px_rect coarse_rect(const st_image *img, const st_affine *a, double f,
                           st_rect r, double pad)
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
    /* Clamp in double: a wild transform must not overflow int. */
    px_rect q = {(int)fmax(0, floor(x0)), (int)fmax(0, floor(y0)),
                 (int)fmin(img->w, ceil(x1)), (int)fmin(img->h, ceil(y1))};
    return q;
}

/* Clear the axis-aligned bounding box of rect (mm, padded) under a. */
static void clear_rect(st_image *img, const st_affine *a, double f, st_rect r,
                       double pad)
{
    px_rect q = coarse_rect(img, a, f, r, pad);
    for (int y = q.y0; y < q.y1; y++)
        if (q.x1 > q.x0)
            memset(img->px + (size_t)y * img->stride + q.x0, 0, (size_t)(q.x1 - q.x0));
}

/* Is some pixel of img in q (clipped to img) at least level? */
static int any_ink(const st_image *img, px_rect q, int level)
{
    for (int y = q.y0 < 0 ? 0 : q.y0; y < q.y1 && y < img->h; y++) {
        const uint8_t *row = img->px + (size_t)y * img->stride;
        for (int x = q.x0 < 0 ? 0 : q.x0; x < q.x1 && x < img->w; x++)
            if (row[x] >= level)
                return 1;
    }
    return 0;
}

/* Does blob b (its ink in img, the cleared copy) leave the cleared pad c
 * of a box where the mark's ink (in the original coarse image) reaches
 * the box's inside `in` nearby? Looks at b's inked pixels on the pixel
 * ring just outside c and, for each, at the inside near the point of it
 * nearest that pixel. */
static int continues_mark(const st_image *img, const st_image *coarse,
                          const st_blob *b, px_rect c, px_rect in, int join,
                          int level)
{
    if (in.x1 <= in.x0 || in.y1 <= in.y0)
        return 0;
    int x0 = b->x - 1, y0 = b->y - 1, x1 = b->x + b->w + 1, y1 = b->y + b->h + 1;
    for (int y = y0 > 0 ? y0 : 0; y < y1 && y < img->h; y++) {
        int on_ring_row = y == c.y0 - 1 || y == c.y1;
        int in_rows = y >= c.y0 - 1 && y <= c.y1;
        if (!in_rows)
            continue;
        const uint8_t *row = img->px + (size_t)y * img->stride;
        for (int x = x0 > 0 ? x0 : 0; x < x1 && x < img->w; x++) {
            if (x < c.x0 - 1 || x > c.x1)
                continue;
            if (!on_ring_row && x != c.x0 - 1 && x != c.x1)
                continue;
            if (row[x] < level)
                continue;
            int cx = x < in.x0 ? in.x0 : x >= in.x1 ? in.x1 - 1 : x;
            int cy = y < in.y0 ? in.y0 : y >= in.y1 ? in.y1 - 1 : y;
            px_rect w = {cx - join, cy - join, cx + join + 1, cy + join + 1};
            w.x0 = w.x0 < in.x0 ? in.x0 : w.x0;
            w.y0 = w.y0 < in.y0 ? in.y0 : w.y0;
            w.x1 = w.x1 > in.x1 ? in.x1 : w.x1;
            w.y1 = w.y1 > in.y1 ? in.y1 : w.y1;
            if (any_ink(coarse, w, level))
                return 1;
        }
    }
    return 0;
}

static int rect_within(const st_blob *b, px_rect z)
{
    return b->x >= z.x0 && b->y >= z.y0 && b->x + b->w <= z.x1 && b->y + b->h <= z.y1;
}

/* Does blob b's bounding box (grown by a pixel) meet the cleared pad of
 * a label, or of a box other than skip? */
static int touches_print(const st_model *m, const st_affine *a, double f,
                         const st_image *img, const st_blob *b, int skip)
{
    int x0 = b->x - 1, y0 = b->y - 1, x1 = b->x + b->w + 1, y1 = b->y + b->h + 1;
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        for (int k = 0; k < 2; k++) {
            if (k == 0 && i == skip)
                continue;
            if (k == 1 && !t->label)
                continue;
            px_rect q = k ? coarse_rect(img, a, f, t->label_rect, ST_WRITING_LABEL_PAD_MM)
                          : coarse_rect(img, a, f, t->rect, ST_WRITING_PAD_MM);
            if (q.x0 < x1 && x0 < q.x1 && q.y0 < y1 && y0 < q.y1)
                return 1;
        }
    }
    return 0;
}

/* Is the ink in blob b's bounding box (of img) a loop: near the ellipse
 * the box inscribes, with little of it inside? A word written inside a
 * loop, or beside it and so widening the box, leaves ink within. */
static int hollow(const st_image *img, const st_blob *b, int level)
{
    double cx = b->x + b->w / 2.0, cy = b->y + b->h / 2.0;
    double ax = b->w / 2.0, ay = b->h / 2.0;
    int all = 0, inner = 0;
    double rmin[ST_WRITING_LOOP_SECTORS], rmax[ST_WRITING_LOOP_SECTORS];
    for (int s = 0; s < ST_WRITING_LOOP_SECTORS; s++)
        rmin[s] = 1e9, rmax[s] = -1;
    for (int y = b->y; y < b->y + b->h && y < img->h; y++) {
        const uint8_t *row = img->px + (size_t)y * img->stride;
        for (int x = b->x; x < b->x + b->w && x < img->w; x++) {
            if (row[x] < level)
                continue;
            double u = (x + 0.5 - cx) / ax, v = (y + 0.5 - cy) / ay, rr = u * u + v * v;
            all++;
            inner += rr < ST_WRITING_LOOP_INNER * ST_WRITING_LOOP_INNER;
            int s = (int)floor((atan2(v, u) + M_PI) / (2 * M_PI) * ST_WRITING_LOOP_SECTORS);
            s = s < 0 ? 0 : s >= ST_WRITING_LOOP_SECTORS ? ST_WRITING_LOOP_SECTORS - 1 : s;
            rr = sqrt(rr);
            rmin[s] = fmin(rmin[s], rr);
            rmax[s] = fmax(rmax[s], rr);
        }
    }
    if (all <= 0 || inner > ST_WRITING_LOOP_STRAY * all)
        return 0;
    /* A line drawn round is thin in every direction from the centre;
     * letters written against it, inside or out, widen it where they
     * are (measured: loops at most 0.29 of the radius in one sector, three
     * initials inside one 0.31 to 0.36 in three). */
    int wide = 0;
    for (int s = 0; s < ST_WRITING_LOOP_SECTORS; s++)
        wide += rmax[s] - rmin[s] > ST_WRITING_LOOP_SPREAD;
    return wide < 2;
}

/* Is blob b an arc of a loop drawn round box t: beside one of its sides
 * (not past a corner), along most of that side, thin, and no more ink
 * than a line that long? Returns the side 0..3, or -1. */
static int arc_side(const st_blob *b, px_rect pad, px_rect ring, double area,
                    double kc, double size)
{
    if (!rect_within(b, ring))
        return -1;
    double wmm = b->w / kc, hmm = b->h / kc;
    int cx = (int)b->cx, cy = (int)b->cy;
    int side = -1;
    double along = 0, thick = 0;
    if (cx >= pad.x0 && cx < pad.x1 && (cy < pad.y0 || cy >= pad.y1))
        side = cy < pad.y0 ? 0 : 1, along = wmm, thick = hmm;
    else if (cy >= pad.y0 && cy < pad.y1 && (cx < pad.x0 || cx >= pad.x1))
        side = cx < pad.x0 ? 2 : 3, along = hmm, thick = wmm;
    if (side < 0 || along < ST_WRITING_ARC_ALONG * size || thick > ST_WRITING_ARC_THICK_MM ||
        area > ST_WRITING_ARC_INK_MM * (along + thick))
        return -1;
    return side;
}

/* Where a loop drawn round box t (model mm) may lie, in img's pixels. */
static px_rect loop_reach(const st_image *img, const st_affine *a, double f, st_rect t)
{
    return coarse_rect(img, a, f, t, ST_WRITING_RING_REACH * fmax(t.w, t.h) + ST_WRITING_REACH_MM);
}

/* Does the ink in blob b's bounding box (area mm2 of it) go round box t
 * as a loop does: the bounding box holds the box (all but a millimetre a
 * side, for a loop cut where it crosses a label; on three sides when the
 * label's pad cut a side away), no more ink than a line round it, and a
 * thin line all round (hollow)? */
static int goes_round(const st_image *img, const st_affine *a, double f, st_rect t,
                      const st_blob *b, double area, double kc, int level)
{
    px_rect core = coarse_rect(img, a, f, t, -1.0);
    int held = (b->x <= core.x0) + (b->y <= core.y0) + (b->x + b->w >= core.x1) +
               (b->y + b->h >= core.y1);
    double wmm = b->w / kc, hmm = b->h / kc;
    return held >= 3 && area <= ST_WRITING_LOOP_INK_MM * M_PI * (wmm + hmm) / 2 &&
           hollow(img, b, level);
}

/* What a blob is next to a marked box. */
enum { OVF_NONE = 0, OVF_RING, OVF_STROKE, OVF_ARC };

typedef struct overflow {
    int kind;   /* OVF_* */
    int target; /* the box whose mark it continues */
    double away; /* mm it reaches beyond the box's pad */
    int row;     /* one of a row of strokes reaching too far: letters */
    int region;  /* OVF_STROKE: where its centre lies round the box's pad,
                    0..8 row by row (4 would be on it) */
    int side;    /* OVF_ARC: the side of the box it runs along */
} overflow;

/* Is blob b the overflow of a mark: of some box that holds a mark (not
 * EMPTY in boxes), a thin stroke leaving the box's pad where the mark
 * reaches it, or a thin loop round the box, and in either case within a
 * short reach of the box? area in mm2, kc coarse px per mm. */
static overflow mark_overflow(const st_model *m, const st_affine *a, double f,
                              const st_box *boxes, const st_image *img,
                              const st_image *coarse, const st_blob *b,
                              double area, double kc, int level)
{
    overflow o = {OVF_NONE, -1, 0, 0, -1, 4};
    if (!boxes)
        return o;
    double wmm = b->w / kc, hmm = b->h / kc;
    double outline = m->settings.outline_mm;
    int join = (int)ceil(ST_WRITING_JOIN_MM * kc);
    for (int i = 0; i < m->n_targets; i++) {
        if (boxes[i].state == ST_BOX_EMPTY)
            continue;
        st_rect t = m->targets[i].rect;
        double size = fmax(t.w, t.h);
        px_rect ring = loop_reach(img, a, f, t);
        if (rect_within(b, ring) && goes_round(img, a, f, t, b, area, kc, level)) {
            o.kind = OVF_RING;
            o.target = i;
            return o;
        }
        px_rect pad = coarse_rect(img, a, f, t, ST_WRITING_PAD_MM);
        int side = arc_side(b, pad, ring, area, kc, size);
        if (side >= 0) {
            o.kind = OVF_ARC; /* a loop's only when others go round too */
            o.target = i;
            o.side = side;
            return o;
        }
        px_rect reach = coarse_rect(img, a, f, t, ST_WRITING_REACH * size + ST_WRITING_REACH_MM);
        if (!rect_within(b, reach))
            continue;
        /* A stroke runs at most its bounding box's diagonal (and a little
         * for its wobble); more ink than a pen's width along it is a
         * letter or a blot. */
        if (area > ST_WRITING_STROKE_MM * (1.2 * hypot(wmm, hmm) + 1))
            continue;
        /* A stroke leaving the box heads away from it: what lies beside
         * the box (along its edge) is not much more than what lies
         * beyond it. A word above a box runs along it. */
        int lx = pad.x0 - b->x, rx = b->x + b->w - pad.x1;
        int ty = pad.y0 - b->y, by = b->y + b->h - pad.y1;
        double ox = (fmax(lx, 0) + fmax(rx, 0)) / kc, oy = (fmax(ty, 0) + fmax(by, 0)) / kc;
        if (wmm - ox > ST_WRITING_SIDEWAYS * oy + ST_WRITING_PEN_MM ||
            hmm - oy > ST_WRITING_SIDEWAYS * ox + ST_WRITING_PEN_MM)
            continue;
        px_rect in = coarse_rect(img, a, f, t, -(outline + ST_SCORE_MARGIN_MM) - 0.5 / kc);
        /* The tip of a stroke that crossed a label or another box on its
         * way out: small, and cut off by that print's pad. */
        int tip = area <= ST_WRITING_TIP_MM2 && fmax(wmm, hmm) <= ST_WRITING_TIP_MM &&
                  touches_print(m, a, f, img, b, i);
        if (!tip && !continues_mark(img, coarse, b, pad, in, join, level))
            continue;
        o.kind = OVF_STROKE;
        o.target = i;
        o.away = fmax(ox, oy);
        o.region = (b->cx < pad.x0 ? 0 : b->cx < pad.x1 ? 1 : 2) +
                   3 * (b->cy < pad.y0 ? 0 : b->cy < pad.y1 ? 1 : 2);
        return o;
    }
    return o;
}

/* Dark vertical streaks: coarse columns inked on most of the paper's rows.
 * Printed ballots have no such column (boxes and text cover a small share
 * of any column), a dirty scan line inks every row. A narrow streak may
 * straddle two coarse columns, so pairs of neighbours are summed: a streak
 * 2 px wide at ink 64 (enough to score in a box) adds 32 to such a pair at
 * 50 dpi from 200 dpi; one too light to score can still make a box's
 * cells faint (ST_INK_WEAK), so a pair counts from a little above that.
 * img holds the paper's inside only, zero elsewhere. */
static void find_streaks(const st_model *m, const st_registration *r,
                         const st_image *img, double f, st_writing *out)
{
    int level = 2 * (int)r->paper_ink + 2 * ST_STREAK_INK, run = -1;
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

/* Clear the band of fold fo (model mm) in img, coarse px f apart. */
static void clear_fold(st_image *img, const st_affine *a, double f, const st_fold *fo)
{
    double p0x, p0y, p1x, p1y;
    st_affine_apply(a, fo->x0, fo->y0, &p0x, &p0y);
    st_affine_apply(a, fo->x1, fo->y1, &p1x, &p1y);
    p0x /= f, p0y /= f, p1x /= f, p1y /= f;
    double len = hypot(p1x - p0x, p1y - p0y);
    if (!(len > 0))
        return;
    double nx = -(p1y - p0y) / len, ny = (p1x - p0x) / len, c = nx * p0x + ny * p0y;
    double half = fo->half_mm * sqrt(fabs(a->m[0] * a->m[4] - a->m[1] * a->m[3])) / f + 1;
    /* Row by row, the band is one run of columns: a fold across the page
     * crosses a row along most of it, one down the page a few columns. */
    for (int y = 0; y < img->h; y++) {
        double r = c - ny * (y + 0.5);
        int x0 = 0, x1 = img->w;
        if (fabs(nx) > 1e-9) {
            double u = (r - half) / nx - 0.5, v = (r + half) / nx - 0.5;
            x0 = (int)fmax(0, ceil(fmin(u, v)));
            x1 = (int)fmin(img->w, floor(fmax(u, v)) + 1);
        } else if (!(fabs(r) < half)) {
            continue;
        }
        if (x1 > x0)
            memset(img->px + (size_t)y * img->stride + x0, 0, (size_t)(x1 - x0));
    }
}

/* A loop round a marked box that a fold's or streak's band, cleared
 * before the blobs are found, or a label's pad cut into pieces: no piece
 * alone holds the box or runs along most of a side, yet together they go
 * round it as one thin, hollow line would (the same tests as a whole
 * loop's, on the pieces' joint bounding box). Every blob within a marked
 * box's reach for a loop counts but the strokes leaving its mark (the arms
 * of an X past its corners would, with a word above, pass for a loop's
 * pieces); a word among them widens the line or adds ink, and the loop
 * is not found. The pieces become OVF_RING. */
static void rings_in_pieces(const st_model *m, const st_affine *a, double f,
                            const st_box *boxes, const st_image *img, const st_blob *blobs,
                            int n, overflow *ov, double kc, int level)
{
    for (int t = 0; t < m->n_targets && boxes; t++) {
        if (boxes[t].state == ST_BOX_EMPTY)
            continue;
        st_rect tr = m->targets[t].rect;
        px_rect ring = loop_reach(img, a, f, tr);
        int x0 = img->w, y0 = img->h, x1 = 0, y1 = 0, pieces = 0;
        double ink = 0;
        for (int i = 0; i < n; i++) {
            const st_blob *b = &blobs[i];
            if (ov[i].kind == OVF_RING || ov[i].kind == OVF_STROKE || !rect_within(b, ring))
                continue;
            x0 = b->x < x0 ? b->x : x0;
            y0 = b->y < y0 ? b->y : y0;
            x1 = b->x + b->w > x1 ? b->x + b->w : x1;
            y1 = b->y + b->h > y1 ? b->y + b->h : y1;
            ink += b->area / (kc * kc);
            pieces++;
        }
        if (pieces < 2)
            continue;
        st_blob u = {x0, y0, x1 - x0, y1 - y0, 0, (x0 + x1) / 2.0, (y0 + y1) / 2.0};
        if (!goes_round(img, a, f, tr, &u, ink, kc, level))
            continue;
        for (int i = 0; i < n; i++)
            if (ov[i].kind != OVF_RING && ov[i].kind != OVF_STROKE && rect_within(&blobs[i], ring))
                ov[i] = (overflow){OVF_RING, t, 0, 0, -1, 4};
    }
}

int st_writing_check(const st_model *m, const st_registration *r,
                     const st_fold *folds, int n_folds, const st_box *boxes, const st_image *coarse, int factor,
                     st_image *scratch,
                     st_blob_scratch *finder, st_writing *out, st_error *err)
{
    memset(out, 0, sizeof *out);
    if (st_image_reserve(scratch, coarse->w, coarse->h, 1))
        return st_error_set(err, ST_ERR_NOMEM, "score: out of memory");
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
    /* A crease pressed hard is dark enough to count as ink here. */
    for (int i = 0; i < n_folds; i++)
        clear_fold(scratch, a, f, &folds[i]);
    /* A streak is the scanner's: the boxes' pads would cut it into pieces
     * between them, each short enough to pass for a stroke of writing. */
    for (int s = 0; s < out->n_streak_cols; s++) {
        int x0 = (int)fmax(0, floor(out->streak_x0[s] / f));
        int x1 = (int)fmin(scratch->w, ceil(out->streak_x1[s] / f));
        for (int y = 0; y < scratch->h && x1 > x0; y++)
            memset(scratch->px + (size_t)y * scratch->stride + x0, 0, (size_t)(x1 - x0));
    }
    for (int i = 0; i < m->n_fiducials; i++)
        clear_rect(scratch, a, f, m->fiducials[i].rect, ST_WRITING_MARK_PAD_MM);
    for (int i = 0; i < m->n_targets; i++) {
        clear_rect(scratch, a, f, m->targets[i].rect, ST_WRITING_PAD_MM);
        if (m->targets[i].label)
            clear_rect(scratch, a, f, m->targets[i].label_rect, ST_WRITING_LABEL_PAD_MM);
    }
    for (int i = 0; i < m->n_artwork; i++)
        clear_rect(scratch, a, f, m->artwork[i], ST_WRITING_LABEL_PAD_MM);
    double kc = sqrt(fabs(det)) / f; /* coarse px per mm */
    int min_area = (int)ceil(ST_WRITING_THIN_MM2 * kc * kc);
    /* Room for the pieces of overshooting marks as well as writing. */
    st_blob blobs[256];
    int n = 0;
    int level = (int)r->paper_ink + ST_WRITING_INK;
    int rc = st_blobs_find(scratch, level, min_area > 1 ? min_area : 1, 1 << 30,
                           blobs, 256, &n, finder, err);
    if (rc)
        return rc;
    /* First what each blob is, then which of them lie in rows: strokes
     * close together by one box are a scribble's turns when they stay
     * near the box, and letters cut apart by the pad when they do not. */
    overflow ov[256];
    for (int i = 0; i < n; i++) {
        const st_blob *b = &blobs[i];
        ov[i] = mark_overflow(m, a, f, boxes, scratch, coarse, b,
                              b->area / (kc * kc), kc, level);
    }
    rings_in_pieces(m, a, f, boxes, scratch, blobs, n, ov, kc, level);
    int gap = (int)ceil(ST_WRITING_ROW_GAP_MM * kc);
    for (int i = 0; i < n; i++) {
        if (ov[i].kind != OVF_STROKE)
            continue;
        for (int k = i + 1; k < n; k++) {
            const st_blob *p = &blobs[i], *q = &blobs[k];
            if (ov[k].kind != OVF_STROKE || ov[k].target != ov[i].target ||
                p->x > q->x + q->w + gap || q->x > p->x + p->w + gap ||
                p->y > q->y + q->h + gap || q->y > p->y + p->h + gap)
                continue;
            if (fmax(ov[i].away, ov[k].away) > ST_WRITING_ROW_MM)
                ov[i].row = ov[k].row = 1;
        }
    }
    /* An X leaves one arm past each corner. Two strokes reaching well
     * beyond one side, a few mm apart, one of them beside the side
     * rather than past a corner, are letters along it whose joins the
     * pad cut away. */
    int apart = (int)ceil(ST_WRITING_LETTERS_MM * kc);
    for (int i = 0; i < n; i++) {
        int r_ = ov[i].region;
        if (ov[i].kind != OVF_STROKE || ov[i].away <= ST_WRITING_ROW_MM || r_ % 2 == 0)
            continue;
        for (int k = 0; k < n; k++) {
            const st_blob *p = &blobs[i], *q = &blobs[k];
            int q_ = ov[k].region;
            int same_side = r_ == 1 || r_ == 7 ? q_ / 3 == r_ / 3 : q_ % 3 == r_ % 3;
            if (k != i && ov[k].kind == OVF_STROKE && ov[k].target == ov[i].target &&
                ov[k].away > ST_WRITING_ROW_MM - 0.5 && same_side &&
                p->x <= q->x + q->w + apart && q->x <= p->x + p->w + apart &&
                p->y <= q->y + q->h + apart && q->y <= p->y + p->h + apart)
                ov[i].row = ov[k].row = 1;
        }
    }
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
        int mark = ov[i].kind != OVF_NONE && !ov[i].row;
        if (ov[i].kind == OVF_ARC) {
            /* A loop round a box leaves arcs along two sides or more,
             * or the rest of the loop beside an arc, where the pads of
             * the box's corners and its label cut it; a word along one
             * side is not one. */
            mark = 0;
            for (int k = 0; k < n && !mark; k++)
                mark = ov[k].target == ov[i].target &&
                       ((ov[k].kind == OVF_ARC && ov[k].side != ov[i].side) ||
                        ov[k].kind == OVF_RING);
        }
        if (mark)
            continue; /* the mark's own ink, run past its box */
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
