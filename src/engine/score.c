/* score.c - measure every box of a registered page
 *
 * Outline search: for each of a box's four edges, the ink along a line
 * parallel to the predicted edge is summed at offsets of whole pixels
 * across it; the printed line is where that profile, less its flanks on
 * both sides, peaks. Opposite edges agree on a shift; an edge hidden by a
 * mark leaves the other to decide. Score: the inside (the box less its
 * outline and a safety margin) is sampled on a pixel grid in box
 * coordinates; score = share of samples with strong ink, faint = share
 * with any visible ink, each less the blank ballot's own share. Folds and
 * scanner streaks cross boxes as bands (bands.c): their samples are left
 * out, or measured with the band's own ink taken out, and a box a band
 * may hide a mark under goes to people.
 */
#include "stemtel/score.h"
#include "stemtel/render.h"
#include "engine/bands.h"
#include "engine/ink.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ST_SCORE_SEARCH_MM 1.0   /* outline search radius */
#define ST_OUTLINE_MIN_INK 60    /* line response that counts as found */
#define ST_CELL_MM 0.5           /* cell for the faint measure */

st_box_state st_box_classify(const st_settings *s, double score, double faint)
{
    if (score >= s->definite)
        return ST_BOX_MARKED;
    if (faint < s->marginal && score < s->marginal)
        return ST_BOX_EMPTY;
    return ST_BOX_MARGINAL;
}

#define ST_EDGE_MAX_SAMPLES 4096

/* Mean ink at the n sample points (bx[i], by[i]) shifted by t * (nx, ny). */
static double line_ink(const st_image *ink, const double *bx, const double *by,
                       double nx, double ny, double t, int n)
{
    double sum = 0, ox = nx * t, oy = ny * t;
    for (int i = 0; i < n; i++)
        sum += st_ink_at(ink, bx[i] + ox, by[i] + oy);
    return sum / n;
}

/* The line response at offset t of profile prof (centred at span): the
 * mean over the line's width less the mean of the two flanks beside it,
 * so a filled box next to the line does not pull the peak inwards. */
static double line_response(const double *prof, int span, int t, int half, int lw)
{
    double in = 0, left = 0, right = 0;
    for (int k = -half; k <= half; k++)
        in += prof[t + k + span];
    in /= 2 * half + 1;
    for (int k = 1; k <= lw; k++) {
        left += prof[t - half - k + span];
        right += prof[t + half + k + span];
    }
    return in - (left + right) / (2.0 * lw);
}

/* Find one edge: the segment (x0,y0)-(x1,y1) is where the line's centre
 * should be; (nx,ny) is the unit normal. Returns 1 and the offset in px
 * if the line was found within radius: a whole number of pixels, or with
 * fine the peak of a parabola through the response there and at the
 * pixels either side. */
static int find_edge(const st_image *ink, double x0, double y0, double x1,
                     double y1, double nx, double ny, int radius, int lw,
                     int fine, double *offset)
{
    int n = (int)hypot(x1 - x0, y1 - y0);
    if (n < 4)
        return 0;
    if (n > ST_EDGE_MAX_SAMPLES)
        n = ST_EDGE_MAX_SAMPLES;
    int span = radius + 2 * lw + 1;
    double prof[256];
    if (2 * span + 1 > 256)
        return 0;
    /* The sample points along the edge, once for every offset. */
    double bx[ST_EDGE_MAX_SAMPLES], by[ST_EDGE_MAX_SAMPLES];
    for (int i = 0; i < n; i++) {
        double f = (i + 0.5) / n;
        bx[i] = x0 + (x1 - x0) * f;
        by[i] = y0 + (y1 - y0) * f;
    }
    /* Only the offsets the response reads are sampled. */
    int half = lw / 2, reach = radius + half + lw;
    for (int t = -reach; t <= reach; t++)
        prof[t + span] = line_ink(ink, bx, by, nx, ny, t, n);
    double best = -1e9;
    int bt = 0;
    for (int t = -radius; t <= radius; t++) {
        double resp = line_response(prof, span, t, half, lw);
        if (resp > best + 1e-9 || (fabs(resp - best) <= 1e-9 && abs(t) < abs(bt))) {
            best = resp;
            bt = t;
        }
    }
    if (best < ST_OUTLINE_MIN_INK)
        return 0;
    *offset = bt;
    if (fine && bt > -radius && bt < radius) {
        double l = line_response(prof, span, bt - 1, half, lw);
        double r = line_response(prof, span, bt + 1, half, lw);
        double curve = l - 2 * best + r;
        if (curve < 0)
            *offset = bt + fmax(-0.5, fmin(0.5, 0.5 * (l - r) / curve));
    }
    return 1;
}

/* Where box i's printed outline lies under a: its shift (*dx, *dy) px
 * from where a puts it, from the opposite edges found (one alone when the
 * other is not; 0 along an axis with neither), to whole pixels or with
 * fine to a fraction (find_edge). Returns the edges found, 0..4. */
static int locate_box(const st_model *m, const st_image *ink, const st_affine *a, int i,
                      int fine, double *dx, double *dy)
{
    double k = sqrt(fabs(a->m[0] * a->m[4] - a->m[1] * a->m[3])); /* px/mm */
    double ux = a->m[0] / k, uy = a->m[3] / k; /* unit vector along model x */
    double vx = a->m[1] / k, vy = a->m[4] / k; /* along model y */
    int radius = (int)ceil(ST_SCORE_SEARCH_MM * k);
    int lw = (int)floor(m->settings.outline_mm * k + 0.5);
    if (lw < 1)
        lw = 1;
    const st_rect *rc = &m->targets[i].rect;
    double c = m->settings.outline_mm / 2; /* line centre inset */
    /* Edge centre lines, trimmed 20% at each end to stay clear of the
     * corners, where strokes of a mark often cross. */
    double x0 = rc->x + c, x1 = rc->x + rc->w - c;
    double y0 = rc->y + c, y1 = rc->y + rc->h - c;
    double ty0 = y0 + 0.2 * (y1 - y0), ty1 = y1 - 0.2 * (y1 - y0);
    double tx0 = x0 + 0.2 * (x1 - x0), tx1 = x1 - 0.2 * (x1 - x0);
    double p[4][4];
    st_affine_apply(a, x0, ty0, &p[0][0], &p[0][1]); /* left edge */
    st_affine_apply(a, x0, ty1, &p[0][2], &p[0][3]);
    st_affine_apply(a, x1, ty0, &p[1][0], &p[1][1]); /* right */
    st_affine_apply(a, x1, ty1, &p[1][2], &p[1][3]);
    st_affine_apply(a, tx0, y0, &p[2][0], &p[2][1]); /* top */
    st_affine_apply(a, tx1, y0, &p[2][2], &p[2][3]);
    st_affine_apply(a, tx0, y1, &p[3][0], &p[3][1]); /* bottom */
    st_affine_apply(a, tx1, y1, &p[3][2], &p[3][3]);
    double off[4];
    int got[4];
    for (int e = 0; e < 4; e++) {
        double nx = e < 2 ? ux : vx, ny = e < 2 ? uy : vy;
        got[e] = find_edge(ink, p[e][0], p[e][1], p[e][2], p[e][3], nx, ny, radius, lw,
                           fine, &off[e]);
    }
    /* Shift along model x from left/right, along model y from top/bottom. */
    double su = got[0] && got[1] ? (off[0] + off[1]) / 2
                : got[0]         ? off[0]
                : got[1]         ? off[1]
                                 : 0;
    double sv = got[2] && got[3] ? (off[2] + off[3]) / 2
                : got[2]         ? off[2]
                : got[3]         ? off[3]
                                 : 0;
    *dx = su * ux + sv * vx;
    *dy = su * uy + sv * vy;
    return got[0] + got[1] + got[2] + got[3];
}

st_rect st_score_inside(const st_model *m, const st_rect *box, double px_per_mm)
{
    double ol = m->settings.outline_mm;
    double pad = ol + ST_SCORE_MARGIN_MM;
    /* At least one pixel of margin at low resolutions. */
    if (pad * px_per_mm < ol * px_per_mm + 1)
        pad = ol + 1 / px_per_mm;
    return (st_rect){box->x + pad, box->y + pad, box->w - 2 * pad, box->h - 2 * pad};
}

/* Score one box given its (possibly refined) transform. The inside is
 * sampled one pixel apart in box coordinates; samples are grouped into
 * cells about ST_CELL_MM across. score = share of samples with strong ink;
 * faint = share of cells whose mean ink reaches ST_INK_WEAK: averaging
 * over a cell lets a pale pencil trace or a small dot count while scanner
 * noise, which averages out, does not.
 *
 * With bands (nb > 0), samples inside any band are left out: score is the
 * share of the samples kept, faint the share of the cells that kept at
 * least half their samples, and *kept (if not NULL) the share of samples
 * kept. With lifts (n_lift of them), every sample counts as st_band_lifted()
 * gives it.
 * Without bands the loop is the plain one, which every box on a page
 * without folds or streaks takes. */
static void measure(const st_model *m, const st_image *ink, const st_affine *a,
                    const st_rect *rect, double dx, double dy, double k,
                    double paper, int bilevel, const st_band *bands, int nb,
                    const st_band_lift *lift, int n_lift, double *score, double *faint,
                    double *kept)
{
    st_rect in = st_score_inside(m, rect, k);
    double x0 = in.x, y0 = in.y, w = in.w, h = in.h;
    *score = *faint = 0;
    if (kept)
        *kept = 0;
    if (w <= 0 || h <= 0)
        return;
    int cs = (int)floor(ST_CELL_MM * k + 0.5); /* samples per cell side */
    if (cs < 2)
        cs = 2;
    int cu = (int)ceil(w * k / cs), cv = (int)ceil(h * k / cs); /* cells */
    int nu = cu * cs, nv = cv * cs;
    double du = w / nu, dv = h / nv;
    long strong = 0, weak_cells = 0, samples = 0, cells = 0;
    /* A cell's mean that is faint ink; on a bilevel page one black pixel
     * in a cell is a speck (a pencil thresholded away leaves a few), two
     * are a trace. */
    double weak = paper + ST_INK_WEAK;
    if (bilevel)
        weak = fmax(weak, paper + 2 * 255.0 / (cs * cs) - 0.5);
    int cell_sum[256], cell_n[256];
    if (cu > 256)
        return;
    for (int cj = 0; cj < cv; cj++) {
        memset(cell_sum, 0, (size_t)cu * sizeof *cell_sum);
        if (nb || n_lift)
            memset(cell_n, 0, (size_t)cu * sizeof *cell_n);
        for (int j = cj * cs; j < (cj + 1) * cs; j++) {
            double y = y0 + (j + 0.5) * dv, px, py;
            st_affine_apply(a, x0 + 0.5 * du, y, &px, &py);
            px += dx;
            py += dy;
            double sx = a->m[0] * du, sy = a->m[3] * du;
            if (nb || n_lift) {
                /* Sample by sample against every band: only boxes a fold
                 * or streak crosses come here. */
                for (int ci = 0; ci < cu; ci++)
                    for (int q = 0; q < cs; q++, px += sx, py += sy) {
                        int out = 1;
                        for (int b = 0; b < nb && out; b++)
                            out = fabs(bands[b].nx * px + bands[b].ny * py -
                                       bands[b].c) >= bands[b].half;
                        if (!out)
                            continue;
                        int v = st_ink_at(ink, px, py);
                        if (n_lift)
                            v = st_band_lifted(lift, n_lift, px, py, paper, v);
                        strong += v >= ST_INK_STRONG;
                        cell_sum[ci] += v;
                        cell_n[ci]++;
                    }
                continue;
            }
            /* Cell by cell: a division per sample to find its cell cost
             * as much as the sample. */
            for (int ci = 0; ci < cu; ci++) {
                int sum = 0;
                for (int q = 0; q < cs; q++, px += sx, py += sy) {
                    int v = st_ink_at(ink, px, py);
                    strong += v >= ST_INK_STRONG;
                    sum += v;
                }
                cell_sum[ci] += sum;
            }
        }
        for (int ci = 0; ci < cu; ci++) {
            int n = nb || n_lift ? cell_n[ci] : cs * cs;
            samples += n;
            if (2 * n < cs * cs)
                continue; /* mostly inside a band: too little to judge */
            cells++;
            double need = nb || n_lift ? weak * n : weak * cs * cs;
            weak_cells += cell_sum[ci] >= need;
        }
    }
    if (samples > 0)
        *score = strong / (double)samples;
    if (cells > 0)
        *faint = weak_cells / (double)cells;
    if (kept)
        *kept = samples / ((double)nu * nv);
}

/* Whether box i, measured empty beside bands near[0..nb), may hold ink
 * under one of them: its whole inside, bands and all, is not empty (less
 * the blank ballot's), and some band hides ink (hidden_under, each band
 * with the others left out; only its lifted measure when the inside has
 * less than marginal strong ink, which the first two tests need). The
 * whole-box measure comes first: most boxes a band crosses have none. */
static int ink_hidden(const st_model *m, const st_image *ink, const st_registration *r,
                      const double *blank, int i, double k, double dx, double dy,
                      const st_band *near, int nb)
{
    const st_rect *rc = &m->targets[i].rect;
    double all, all_faint;
    measure(m, ink, &r->xform, rc, dx, dy, k, r->paper_ink, r->bilevel, NULL, 0, NULL, 0, &all,
            &all_faint, NULL);
    if (blank) {
        all = fmax(0, all - blank[ST_BLANK_PER_BOX * i]);
        all_faint = fmax(0, all_faint - blank[ST_BLANK_PER_BOX * i + 1]);
    }
    if (st_box_classify(&m->settings, all, fmax(all, all_faint)) == ST_BOX_EMPTY)
        return 0;
    int strong = all >= m->settings.marginal;
    st_band others[8 + ST_MAX_FOLDS];
    st_band_lift lifts[8 + ST_MAX_FOLDS];
    for (int b = 0; b < nb; b++) {
        int n = 0;
        for (int o = 0; o < nb; o++)
            if (o != b)
                others[n++] = near[o];
        if (st_band_hides(m, ink, r, i, k, dx, dy, &near[b], others, n, !strong,
                         &lifts[b]))
            return 1;
    }
    /* The box with every band's ink taken out at once: ink where two
     * bands cross is left out of each band's own tests. */
    double score, faint;
    measure(m, ink, &r->xform, rc, dx, dy, k, r->paper_ink, r->bilevel, NULL, 0, lifts, nb,
            &score, &faint, NULL);
    if (blank) {
        score = fmax(0, score - blank[ST_BLANK_PER_BOX * i]);
        faint = fmax(0, faint - blank[ST_BLANK_PER_BOX * i + 1]);
    }
    return st_box_classify(&m->settings, score, fmax(faint, score)) != ST_BOX_EMPTY;
}

int st_score_page(const st_model *m, const st_image *ink,
                  const st_registration *r, const double *blank,
                  const st_fold *folds, int n_folds, st_box *boxes,
                  st_box_place *places)
{
    const st_affine *a = &r->xform;
    double k = sqrt(fabs(a->m[0] * a->m[4] - a->m[1] * a->m[3])); /* px/mm */
    int located = 0;
    for (int i = 0; i < m->n_targets; i++) {
        const st_rect *rc = &m->targets[i].rect;
        double dx, dy;
        int edges = locate_box(m, ink, a, i, 0, &dx, &dy);
        if (edges >= 2)
            located++;
        /* The folds that cross this box, as bands in px. */
        st_band near[ST_MAX_FOLDS];
        int nb = 0;
        for (int f = 0; f < n_folds && nb < ST_MAX_FOLDS; f++)
            if (st_band_of_fold(a, k, &folds[f], &near[nb]) && st_band_near(a, k, rc, &near[nb]))
                nb++;
        double score, faint, kept;
        measure(m, ink, a, rc, dx, dy, k, r->paper_ink, r->bilevel, near, nb, NULL, 0, &score, &faint, &kept);
        if (blank) {
            score = fmax(0, score - blank[ST_BLANK_PER_BOX * i]);
            faint = fmax(0, faint - blank[ST_BLANK_PER_BOX * i + 1]);
        }
        boxes[i].score = score;
        boxes[i].faint = fmax(faint, score);
        boxes[i].state = st_box_classify(&m->settings, boxes[i].score, boxes[i].faint);
        boxes[i].covered = 0;
        if (nb && kept < ST_SCORE_MIN_KEPT && boxes[i].state == ST_BOX_EMPTY &&
            boxes[i].faint > 0) {
            boxes[i].state = ST_BOX_MARGINAL; /* too little left to call it empty */
            boxes[i].covered = 1;
        }
        /* A fold is faint, but a crease pressed hard has strong ink of
         * its own: a box empty beside it is MARGINAL only when ink the
         * fold beside the box does not show may lie under it. */
        if (nb && boxes[i].state == ST_BOX_EMPTY &&
            ink_hidden(m, ink, r, blank, i, k, dx, dy, near, nb)) {
            boxes[i].state = ST_BOX_MARGINAL;
            boxes[i].covered = 1;
        }
        if (places) {
            places[i].dx = dx;
            places[i].dy = dy;
            places[i].edges = edges;
        }
    }
    return located;
}

/* Ink at (x, y) in px, bilinear between the four pixels around it
 * (off the page counts as no ink). */
static double ink_bilinear(const st_image *ink, double x, double y)
{
    x -= 0.5;
    y -= 0.5;
    double fx = floor(x), fy = floor(y);
    int ix = (int)fx, iy = (int)fy;
    double ax = x - fx, ay = y - fy;
    if (ix >= 0 && iy >= 0 && ix + 1 < ink->w && iy + 1 < ink->h) {
        const uint8_t *p = ink->px + (size_t)iy * ink->stride + (size_t)ix;
        double top = p[0] + ax * (p[1] - p[0]);
        double bot = p[ink->stride] + ax * (p[ink->stride + 1] - p[ink->stride]);
        return top + ay * (bot - top);
    }
    double v00 = st_ink_at(ink, ix, iy), v10 = st_ink_at(ink, ix + 1, iy);
    double v01 = st_ink_at(ink, ix, iy + 1), v11 = st_ink_at(ink, ix + 1, iy + 1);
    double top = v00 + ax * (v10 - v00), bot = v01 + ax * (v11 - v01);
    return top + ay * (bot - top);
}

void st_score_print(const st_model *m, const st_image *ink, const st_registration *r,
                    const st_writing *w, int i, uint8_t *out)
{
    const st_affine *a = &r->xform;
    double dx, dy;
    /* The outline to a fraction of a pixel: a whole pixel is 0.17 mm at
     * 150 dpi, a third of a cell. */
    locate_box(m, ink, a, i, 1, &dx, &dy);
    const st_rect *rc = &m->targets[i].rect;
    double k = sqrt(fabs(a->m[0] * a->m[4] - a->m[1] * a->m[3])); /* px/mm */
    double pad = m->settings.outline_mm + ST_PRINT_MARGIN_MM;
    double x0 = rc->x + pad, y0 = rc->y + pad, cw = (rc->w - 2 * pad) / ST_PRINT_N,
           ch = (rc->h - 2 * pad) / ST_PRINT_N;
    memset(out, 0, ST_PRINT_CELLS);
    if (!(cw > 0 && ch > 0 && k > 0))
        return;
    /* Samples a side of a cell: about one per pixel, at least 2. */
    int s = (int)ceil(fmax(cw, ch) * k);
    s = s < 2 ? 2 : s > 8 ? 8 : s;
    for (int v = 0; v < ST_PRINT_N; v++)
        for (int u = 0; u < ST_PRINT_N; u++) {
            double sum = 0;
            int streak = 0;
            for (int q = 0; q < s; q++)
                for (int p = 0; p < s; p++) {
                    double px, py;
                    st_affine_apply(a, x0 + (u + (p + 0.5) / s) * cw,
                                    y0 + (v + (q + 0.5) / s) * ch, &px, &py);
                    px += dx;
                    py += dy;
                    for (int c = 0; w && c < w->n_streak_cols && c < 8; c++)
                        streak |= px >= w->streak_x0[c] && px < w->streak_x1[c];
                    sum += ink_bilinear(ink, px, py);
                }
            double c = sum / (s * s) - r->paper_ink;
            out[v * ST_PRINT_N + u] = streak ? ST_PRINT_NONE
                                             : (uint8_t)(c <= 0 ? 0 : c >= 254 ? 254 : lround(c));
        }
}

#define ST_LABEL_SLACK 0.04   /* share of a label's length added each end */
#define ST_LABEL_SLACK_MM 0.5 /* ... and this, all round */

/* Where the label of t printed ink on grey (ink, k px per mm, the model's
 * own frame): its extent x0, y0, x1, y1 in mm, or x1 < x0 when it printed
 * none (or t has no label). A label's rect is the room it may take; the
 * text usually fills a small part of it. */
static void label_ink(const st_image *grey, double k, const st_target *t, double *out)
{
    out[0] = out[1] = 0;
    out[2] = out[3] = -1;
    if (!t->label)
        return;
    const st_rect *lr = &t->label_rect;
    int x0 = (int)fmax(0, floor(lr->x * k)), x1 = (int)fmin(grey->w, ceil((lr->x + lr->w) * k));
    int y0 = (int)fmax(0, floor(lr->y * k)), y1 = (int)fmin(grey->h, ceil((lr->y + lr->h) * k));
    int lo_x = x1, lo_y = y1, hi_x = -1, hi_y = -1;
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = grey->px + (size_t)y * grey->stride;
        for (int x = x0; x < x1; x++)
            if (row[x] >= ST_INK_WEAK) {
                lo_x = x < lo_x ? x : lo_x;
                hi_x = x > hi_x ? x : hi_x;
                lo_y = y < lo_y ? y : lo_y;
                hi_y = y > hi_y ? y : hi_y;
            }
    }
    if (hi_x < 0)
        return;
    /* Text set at another resolution runs a little longer or shorter
     * (hinting): a few per cent of its length either way. */
    double run = (hi_x + 1 - lo_x) / k, grow = ST_LABEL_SLACK * run + ST_LABEL_SLACK_MM;
    out[0] = fmax(lr->x, lo_x / k - grow);
    out[1] = fmax(lr->y, lo_y / k - ST_LABEL_SLACK_MM);
    out[2] = fmin(lr->x + lr->w, (hi_x + 1) / k + grow);
    out[3] = fmin(lr->y + lr->h, (hi_y + 1) / k + ST_LABEL_SLACK_MM);
}

st_rect st_score_label_print(const st_model *m, const double *blank, int i)
{
    const double *o = blank ? blank + ST_BLANK_PER_BOX * i + 2 : NULL;
    if (!o || !(o[2] > o[0] && o[3] > o[1]))
        return m->targets[i].label_rect;
    return (st_rect){o[0], o[1], o[2] - o[0], o[3] - o[1]};
}

int st_score_blank(const st_model *m, int dpi, double *blank, st_error *err)
{
    st_image *grey = NULL;
    int rc = st_render_grey(m, dpi, &grey, err);
    if (rc)
        return rc;
    size_t n = grey->stride * (size_t)grey->h;
    for (size_t i = 0; i < n; i++)
        grey->px[i] = (uint8_t)(255 - grey->px[i]);
    double k = dpi / 25.4;
    st_registration r;
    memset(&r, 0, sizeof r);
    r.ok = 1;
    r.xform = (st_affine){{k, 0, 0, 0, k, 0}};
    st_box *boxes = calloc((size_t)m->n_targets, sizeof *boxes);
    if (!boxes) {
        st_image_free(grey);
        return st_error_set(err, ST_ERR_NOMEM, "score: out of memory");
    }
    st_score_page(m, grey, &r, NULL, NULL, 0, boxes, NULL);
    for (int i = 0; i < m->n_targets; i++) {
        double *o = blank + ST_BLANK_PER_BOX * i;
        /* A foreign design's own print inside the box, measured on its
         * proof, stands for what our drawing of it lacks. */
        const st_target *t = &m->targets[i];
        o[0] = t->printed_set ? fmax(boxes[i].score, t->printed_score) : boxes[i].score;
        o[1] = t->printed_set ? fmax(boxes[i].faint, t->printed_faint) : boxes[i].faint;
        label_ink(grey, k, &m->targets[i], o + 2);
    }
    free(boxes);
    st_image_free(grey);
    return ST_OK;
}

int st_score_streaks(const st_model *m, const st_image *ink,
                     const st_registration *r, const st_writing *w,
                     const double *blank, const st_fold *folds, int n_folds,
                     const st_box_place *places, st_box *boxes)
{
    const st_affine *a = &r->xform;
    double k = sqrt(fabs(a->m[0] * a->m[4] - a->m[1] * a->m[3])); /* px/mm */
    int changed = 0;
    for (int i = 0; i < m->n_targets && w->n_streak_cols; i++) {
        const st_rect *rc = &m->targets[i].rect;
        if (boxes[i].state == ST_BOX_EMPTY)
            continue; /* empty with the streak's ink: empty without it */
        if (boxes[i].covered)
            continue; /* ink may lie under a fold, as the page's scoring
                         found beside it: people look */
        /* The bands to leave out: every streak that crosses the box's
         * columns, and the folds that st_score_page left out already. */
        st_band near[8 + ST_MAX_FOLDS];
        int nb = 0, streaks = 0;
        double x0 = 1e12, x1 = -1e12;
        for (int c = 0; c < 4; c++) {
            double px, py;
            st_affine_apply(a, rc->x + (c & 1) * rc->w, rc->y + (c >> 1) * rc->h, &px, &py);
            x0 = fmin(x0, px);
            x1 = fmax(x1, px);
        }
        for (int s = 0; s < w->n_streak_cols && s < 8; s++)
            if (x0 < w->streak_x1[s] && w->streak_x0[s] < x1) {
                near[nb++] = (st_band){1, 0, (w->streak_x0[s] + w->streak_x1[s]) / 2,
                                    (w->streak_x1[s] - w->streak_x0[s]) / 2};
                streaks++;
            }
        if (!streaks)
            continue;
        for (int f = 0; f < n_folds && f < ST_MAX_FOLDS; f++)
            if (st_band_of_fold(a, k, &folds[f], &near[nb]) && st_band_near(a, k, rc, &near[nb]))
                nb++;
        nb = st_band_merge(near, nb);
        double dx = places ? places[i].dx : 0, dy = places ? places[i].dy : 0;
        double score, faint, kept;
        measure(m, ink, a, rc, dx, dy, k, r->paper_ink, r->bilevel, near, nb, NULL, 0, &score, &faint, &kept);
        if (blank) {
            score = fmax(0, score - blank[ST_BLANK_PER_BOX * i]);
            faint = fmax(0, faint - blank[ST_BLANK_PER_BOX * i + 1]);
        }
        faint = fmax(faint, score);
        /* Too little of the box is left beside the streak to tell: review. */
        int covered = kept < ST_SCORE_MIN_KEPT;
        st_box_state st = covered ? ST_BOX_MARGINAL : st_box_classify(&m->settings, score, faint);
        /* Empty beside the streak, but with ink the streak (or a fold
         * the page's scoring left out already) does not explain: a mark
         * may lie under it. Such a box goes to people. */
        if (st == ST_BOX_EMPTY && ink_hidden(m, ink, r, blank, i, k, dx, dy, near, nb))
            st = ST_BOX_MARGINAL, covered = 1;
        if (st != boxes[i].state)
            changed++;
        boxes[i].score = score;
        boxes[i].faint = faint;
        boxes[i].state = st;
        boxes[i].covered = covered;
    }
    return changed;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int st_score_baseline(const st_model *m, st_box *boxes, double *base)
{
    base[0] = base[1] = 0;
    double *v = malloc(sizeof *v * (size_t)(m->n_targets ? m->n_targets : 1));
    if (!v)
        return 0; /* no baseline without memory: the boxes stand */
    int changed = 0;
    for (int kind = 0; kind < 2; kind++) {
        int want = kind ? ST_TARGET_NUMBER : ST_TARGET_LIST, n = 0;
        for (int i = 0; i < m->n_targets; i++)
            if ((int)m->targets[i].kind == want && !boxes[i].covered)
                v[n++] = boxes[i].faint;
        if (n < ST_BASELINE_MIN_BOXES)
            continue;
        qsort(v, (size_t)n, sizeof *v, cmp_double);
        double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        med = fmin(med, ST_BASELINE_MAX);
        base[kind] = med;
        if (!(med > 0))
            continue;
        for (int i = 0; i < m->n_targets; i++) {
            st_box *b = &boxes[i];
            if ((int)m->targets[i].kind != want || b->covered || b->state != ST_BOX_MARGINAL)
                continue;
            double f = fmax(b->score, fmax(0, b->faint - med));
            st_box_state st = st_box_classify(&m->settings, b->score, f);
            if (st != b->state)
                changed++;
            b->faint = f;
            b->state = st;
        }
    }
    free(v);
    return changed;
}
