/* folds.c - find folds and creases: long straight faint lines
 *
 * On the coarse ink image every pixel inside the paper (less an edge band)
 * and away from the printed boxes, labels and registration marks is
 * classed: faint (a little ink above the paper, as a crease and its
 * shadow leave), plain, or not used (dark ink, print, outside). A box's
 * inside is looked at (a fold may run along a row of boxes), its printed
 * outline is not. Lines are
 * sought near each of the page's two axes: the pixels are summed in
 * strips about 16 mm long along the axis, per row across it, and a fold
 * is a straight path through the strips (a shift of whole rows from strip
 * to strip, within ST_FOLD_MAX_DEG) that is faint in almost every strip
 * where it can be seen at all, over most of the paper. Writing, marks
 * and noise are faint only here and there, print is cleared; a voter's
 * ruled line is dark, not faint. The band of a fold is the rows beside
 * its path that are faint along it too (the crease's shadow).
 */
#include "stemtel/folds.h"
#include "stemtel/decode.h"
#include "stemtel/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ST_FOLD_STRIP_MM 16.0   /* strip length along the fold */
#define ST_FOLD_EDGE_MM 6.0     /* paper edge band not looked at */
#define ST_FOLD_PAD_MM 1.0      /* kept clear around print */
#define ST_FOLD_FAINT_LO 4      /* coarse ink above paper that is faint */
#define ST_FOLD_FAINT_HI 110    /* ... and from here on it is dark (a
                                   crease pressed hard prints its line
                                   darker than its shadow) */
#define ST_FOLD_SEEN 0.3        /* share of a strip's row that must be
                                   usable for the strip to see the row */
#define ST_FOLD_FAINT_SHARE 0.6 /* share of a seen row that must be faint */
#define ST_FOLD_AGREE 0.8       /* share of seeing strips that are faint */
#define ST_FOLD_MIN_SEEN 0.5    /* share of all strips that must be faint */
#define ST_FOLD_MAX_HALF_MM 3.0 /* a wider band is no crease */
#define ST_FOLD_BAND_PAD_MM 0.3 /* added to the band each side */

/* Pixel classes: bit 0 usable, bit 1 faint, so that sums of v & 1 and
 * v >> 1 count them without a branch. */
enum { PX_NONE = 0, PX_PLAIN = 1, PX_FAINT = 3 };

/* Mark the coarse pixels under rect (mm, padded) as not used. */
static void clear_box(st_image *img, const st_affine *a, double f, st_rect r,
                      double pad)
{
    double lo_x = 1e18, lo_y = 1e18, hi_x = -1e18, hi_y = -1e18;
    for (int c = 0; c < 4; c++) {
        double px, py;
        st_affine_apply(a, r.x - pad + (c & 1) * (r.w + 2 * pad),
                        r.y - pad + (c >> 1) * (r.h + 2 * pad), &px, &py);
        lo_x = fmin(lo_x, px / f);
        hi_x = fmax(hi_x, px / f);
        lo_y = fmin(lo_y, py / f);
        hi_y = fmax(hi_y, py / f);
    }
    int x0 = (int)fmax(0, floor(lo_x)), x1 = (int)fmin(img->w, ceil(hi_x));
    int y0 = (int)fmax(0, floor(lo_y)), y1 = (int)fmin(img->h, ceil(hi_y));
    for (int y = y0; y < y1 && x1 > x0; y++)
        memset(img->px + (size_t)y * img->stride + x0, PX_NONE, (size_t)(x1 - x0));
}

/* Class every coarse pixel into cls (same size as coarse). */
static void classify(const st_model *m, const st_registration *r,
                     const double *blank, const st_image *coarse, double f, st_image *cls)
{
    const st_affine *a = &r->xform;
    /* The part of the image surely on the paper: the axis-aligned box
     * inside the four corners of the paper less its edge band. */
    double e = ST_FOLD_EDGE_MM, xs[4], ys[4];
    for (int c = 0; c < 4; c++)
        st_affine_apply(a, (c & 1) ? m->paper_w - e : e, (c >> 1) ? m->paper_h - e : e,
                        &xs[c], &ys[c]);
    double ax = fmax(fmin(xs[0], xs[1]), fmin(xs[2], xs[3])) / f;
    double bx = fmin(fmax(xs[0], xs[1]), fmax(xs[2], xs[3])) / f;
    double ay = fmax(fmin(ys[0], ys[2]), fmin(ys[1], ys[3])) / f;
    double by = fmin(fmax(ys[0], ys[2]), fmax(ys[1], ys[3])) / f;
    int x0 = (int)fmax(0, ceil(ax)), x1 = (int)fmin(coarse->w, floor(bx));
    int y0 = (int)fmax(0, ceil(ay)), y1 = (int)fmin(coarse->h, floor(by));
    int lo = (int)r->paper_ink + ST_FOLD_FAINT_LO, hi = (int)r->paper_ink + ST_FOLD_FAINT_HI;
    for (int y = 0; y < coarse->h; y++) {
        uint8_t *d = cls->px + (size_t)y * cls->stride;
        memset(d, PX_NONE, (size_t)cls->w);
        if (y < y0 || y >= y1)
            continue;
        const uint8_t *s = coarse->px + (size_t)y * coarse->stride;
        for (int x = x0; x < x1; x++)
            d[x] = s[x] >= hi ? PX_NONE : s[x] >= lo ? PX_FAINT : PX_PLAIN;
    }
    for (int i = 0; i < m->n_fiducials; i++)
        clear_box(cls, a, f, m->fiducials[i].rect, ST_FOLD_PAD_MM);
    for (int i = 0; i < m->n_targets; i++) {
        /* Only a box's printed outline: its inside is paper where it is
         * not marked (a mark is dark), and a fold running along a row of
         * boxes is seen there. */
        st_rect b = m->targets[i].rect;
        st_rect edge[4] = {{b.x, b.y, b.w, 0}, {b.x, b.y + b.h, b.w, 0},
                           {b.x, b.y, 0, b.h}, {b.x + b.w, b.y, 0, b.h}};
        for (int k = 0; k < 4; k++)
            clear_box(cls, a, f, edge[k], ST_FOLD_PAD_MM);
        if (m->targets[i].label)
            clear_box(cls, a, f, st_score_label_print(m, blank, i), ST_FOLD_PAD_MM);
    }
}

/* A line found in classed pixels: across = c0 + t * along (coarse px). */
typedef struct line {
    double c0, t, lo, hi; /* band: across offsets lo..hi from the path */
} line;

/* A strip's row from its counts: 0 unseen, 1 seen plain, 2 seen faint. */
static uint8_t strip_state(int n, int fa, int seen_min)
{
    return n < seen_min ? 0 : fa >= ST_FOLD_FAINT_SHARE * n ? 2 : 1;
}

/* The strip states st[s * across + j] of cls for strips sw px long along
 * x (vertical 0: rows across) or along y (vertical 1: columns across),
 * in one pass in memory order either way. n and fa: scratch of cls->w
 * ints each. */
static void strip_states(const st_image *cls, int vertical, int sw, int ns,
                         int seen_min, uint8_t *st, int *n, int *fa)
{
    int w = cls->w, h = cls->h;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = cls->px + (size_t)y * cls->stride;
        if (!vertical) {
            for (int s = 0; s < ns; s++) {
                int a = 0, b = 0;
                for (int x = s * sw; x < (s + 1) * sw; x++) {
                    a += row[x] & 1;
                    b += row[x] >> 1;
                }
                st[(size_t)s * h + y] = strip_state(a, b, seen_min);
            }
            continue;
        }
        int s = y / sw;
        if (s >= ns)
            break;
        if (y % sw == 0) {
            memset(n, 0, (size_t)w * sizeof *n);
            memset(fa, 0, (size_t)w * sizeof *fa);
        }
        for (int x = 0; x < w; x++) {
            n[x] += row[x] & 1;
            fa[x] += row[x] >> 1;
        }
        if (y % sw == sw - 1)
            for (int x = 0; x < w; x++)
                st[(size_t)s * w + x] = strip_state(n[x], fa[x], seen_min);
    }
}

/* A path that stays in a fold's band in every strip fits it as well as
 * the true line, and a band a few rows wide lets the slope go wrong by a
 * few rows over the page. The true line is the straight fit (least
 * squares) through the middle of the run of faint rows each strip shows
 * at the path, no further than reach from it. */
static void refit(const uint8_t *st, int ns, int sw, int across, int reach, line *l)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (int s = 0; s < ns; s++) {
        double x = (s + 0.5) * sw;
        int c = (int)lround(l->c0 + l->t * x);
        const uint8_t *row = st + (size_t)s * across;
        /* The faint row nearest the path, then its run either way. */
        int j = -1;
        for (int d = 0; d <= 1 && j < 0; d++)
            for (int side = -1; side <= 1 && j < 0; side += 2)
                if (c + side * d >= 0 && c + side * d < across && row[c + side * d] == 2)
                    j = c + side * d;
        if (j < 0)
            continue;
        int lo = j, hi = j;
        while (lo > 0 && lo > c - reach && row[lo - 1] == 2)
            lo--;
        while (hi + 1 < across && hi < c + reach && row[hi + 1] == 2)
            hi++;
        double y = (lo + hi) / 2.0;
        sx += x, sy += y, sxx += x * x, sxy += x * y;
        n++;
    }
    double det = n * sxx - sx * sx;
    if (n < 4 || !(fabs(det) > 0))
        return;
    l->t = (n * sxy - sx * sy) / det;
    l->c0 = (sy - l->t * sx) / n;
}

/* Look for lines along one axis of cls: along x (vertical 0, across =
 * rows) or along y (vertical 1, across = columns). t0 is the slope
 * (across per along) of the model's axis on the page, dt the slope range
 * either side, kc coarse px per mm. Writes up to max lines; returns how
 * many, or -1 out of memory. */
static int find_lines(const st_image *cls, int vertical, double t0, double dt,
                      double kc, line *out, int max)
{
    int along = vertical ? cls->h : cls->w, across = vertical ? cls->w : cls->h;
    int sw = (int)fmax(4, ST_FOLD_STRIP_MM * kc); /* strip length, px */
    int ns = along / sw;
    if (ns < 4 || across < 8)
        return 0;
    int seen_min = (int)ceil(ST_FOLD_SEEN * sw);
    /* Per strip and row across: 0 unseen, 1 seen plain, 2 seen faint
     * (st3: also if a neighbouring row is, so a path may wander a row). */
    uint8_t *st = calloc((size_t)ns * across, 1), *st3 = calloc((size_t)ns * across, 1);
    int *cnt = calloc((size_t)across * 3 + (size_t)cls->w * 2, sizeof *cnt);
    if (!st || !st3 || !cnt) {
        free(st), free(st3), free(cnt);
        return -1;
    }
    int *seen = cnt + across, *exact = cnt + 2 * (size_t)across;
    strip_states(cls, vertical, sw, ns, seen_min, st, exact + across, exact + across + cls->w);
    for (int s = 0; s < ns; s++) {
        const uint8_t *a = st + (size_t)s * across;
        uint8_t *b = st3 + (size_t)s * across;
        for (int j = 0; j < across; j++) {
            int v = a[j];
            if (v < 2 && ((j > 0 && a[j - 1] == 2) || (j + 1 < across && a[j + 1] == 2)))
                v = 2;
            b[j] = (uint8_t)v;
        }
    }
    int n_out = 0;
    double mid = (ns - 1) / 2.0;
    /* Slopes two rows apart over the whole length (a row each way is
     * forgiven per strip). */
    double step = 2.0 / (ns * sw);
    int nt = (int)ceil(dt / step);
    double best_score[ST_MAX_FOLDS] = {0};
    for (int ti = -nt; ti <= nt; ti++) {
        double t = t0 + ti * step;
        memset(cnt, 0, (size_t)across * sizeof *cnt);
        memset(seen, 0, (size_t)across * sizeof *seen);
        memset(exact, 0, (size_t)across * sizeof *exact);
        for (int s = 0; s < ns; s++) {
            int o = (int)lround(t * (s - mid) * sw);
            const uint8_t *b = st3 + (size_t)s * across, *e = st + (size_t)s * across;
            int j0 = o < 0 ? -o : 0, j1 = o > 0 ? across - o : across;
            for (int j = j0; j < j1; j++) {
                uint8_t v = b[j + o];
                cnt[j] += v == 2;
                seen[j] += v != 0;
                exact[j] += e[j + o] == 2;
            }
        }
        for (int j = 0; j < across; j++) {
            /* Faint wherever it can be seen, in half the strips or more,
             * and from one end of most of the paper to the other. */
            if (cnt[j] < ST_FOLD_MIN_SEEN * ns || cnt[j] < ST_FOLD_AGREE * seen[j])
                continue;
            /* Its first and last faint strip, only for the few rows that
             * got this far (the loop above stays branch-free). */
            int first = -1, last = -1;
            for (int s = 0; s < ns; s++) {
                int o = (int)lround(t * (s - mid) * sw);
                if (j + o >= 0 && j + o < across && st3[(size_t)s * across + j + o] == 2) {
                    if (first < 0)
                        first = s;
                    last = s;
                }
            }
            if (last - first + 1 < ST_FOLD_MIN_SHARE * ns)
                continue;
            /* across at the centre strip's middle = j: c0 at along 0 */
            double c0 = j - t * (mid + 0.5) * sw;
            /* Every slope within a row per strip of the fold counts alike
             * in st3; the strips faint exactly on the path tell the true
             * slope among them. */
            double score = cnt[j] + 0.5 * exact[j] - 0.001 * abs(ti);
            /* Keep the best few, one per place (within 4 mm). */
            int k = 0;
            for (; k < n_out; k++)
                if (fabs(out[k].c0 + out[k].t * along / 2.0 - (c0 + t * along / 2.0)) < 4 * kc)
                    break;
            if (k < n_out) {
                if (score > best_score[k]) {
                    best_score[k] = score;
                    out[k] = (line){c0, t, 0, 0};
                }
            } else if (n_out < max) {
                best_score[n_out] = score;
                out[n_out++] = (line){c0, t, 0, 0};
            }
        }
    }
    /* The band: rows beside the path that are faint along it too. */
    int reach = (int)ceil(ST_FOLD_MAX_HALF_MM * 2 * kc);
    for (int k = 0; k < n_out; k++)
        refit(st, ns, sw, across, reach, &out[k]);
    int kept = 0;
    for (int k = 0; k < n_out; k++) {
        double lo = 0, hi = 0;
        for (int side = -1; side <= 1; side += 2)
            for (int d = 1; d <= reach; d++) {
                int faint = 0, n = 0;
                for (int s = 0; s < ns; s++) {
                    double c = out[k].c0 + out[k].t * (s + 0.5) * sw;
                    int j = (int)lround(c) + side * d;
                    if (j < 0 || j >= across)
                        continue;
                    uint8_t v = st[(size_t)s * across + j];
                    n += v != 0;
                    faint += v == 2;
                }
                if (!n || faint < 0.5 * n)
                    break;
                if (side < 0)
                    lo = -d;
                else
                    hi = d;
            }
        if ((hi - lo + 1) / 2 > ST_FOLD_MAX_HALF_MM * kc)
            continue; /* a wide faint area: not a crease */
        out[kept] = out[k];
        out[kept].lo = lo - 1;
        out[kept].hi = hi + 1;
        kept++;
    }
    free(st), free(st3), free(cnt);
    return kept;
}

/* Model mm of coarse pixel centre (x, y). */
static void to_model(const st_affine *a, double f, double x, double y, double *mx,
                     double *my)
{
    double ia = a->m[0], ib = a->m[1], ic = a->m[3], id = a->m[4];
    double det = ia * id - ib * ic;
    double px = (x + 0.5) * f - a->m[2], py = (y + 0.5) * f - a->m[5];
    *mx = (id * px - ib * py) / det;
    *my = (-ic * px + ia * py) / det;
}

int st_folds_find(const st_model *m, const st_registration *r,
                  const double *blank, const st_image *coarse, int factor, st_image *scratch,
                  st_fold *folds, int max, int *n, st_error *err)
{
    *n = 0;
    size_t need = (size_t)coarse->w * coarse->h;
    if (!need || factor < 1)
        return ST_OK;
    if (st_image_reserve(scratch, coarse->w, coarse->h, 1))
        return st_error_set(err, ST_ERR_NOMEM, "folds: out of memory");
    double f = factor;
    const st_affine *a = &r->xform;
    double kc = sqrt(fabs(a->m[0] * a->m[4] - a->m[1] * a->m[3])) / f;
    classify(m, r, blank, coarse, f, scratch);
    double dt = tan(ST_FOLD_MAX_DEG * M_PI / 180);
    if (max > ST_MAX_FOLDS)
        max = ST_MAX_FOLDS;
    for (int vertical = 0; vertical <= 1 && *n < max; vertical++) {
        line ls[ST_MAX_FOLDS];
        /* The model's x axis on the page for horizontal folds (rows
         * across), its y axis for vertical ones (columns across). */
        double t0 = vertical ? a->m[1] / a->m[4] : a->m[3] / a->m[0];
        int got = find_lines(scratch, vertical, t0, dt, kc, ls, max - *n);
        if (got < 0)
            return st_error_set(err, ST_ERR_NOMEM, "folds: out of memory");
        int len = vertical ? coarse->h : coarse->w;
        for (int k = 0; k < got; k++) {
            /* The band's centre line, from one end of the image to the
             * other, in model mm. */
            double c = (ls[k].lo + ls[k].hi) / 2;
            double a0 = ls[k].c0 + c, a1 = ls[k].c0 + c + ls[k].t * len;
            st_fold *fo = &folds[(*n)++];
            if (vertical) {
                to_model(a, f, a0, 0, &fo->x0, &fo->y0);
                to_model(a, f, a1, len, &fo->x1, &fo->y1);
            } else {
                to_model(a, f, 0, a0, &fo->x0, &fo->y0);
                to_model(a, f, len, a1, &fo->x1, &fo->y1);
            }
            fo->half_mm = (ls[k].hi - ls[k].lo + 1) / 2 / kc + ST_FOLD_BAND_PAD_MM;
            fo->vertical = vertical;
        }
    }
    return ST_OK;
}
