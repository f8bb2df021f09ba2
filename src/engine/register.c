/* register.c - find where the ballot lies on the page
 *
 * 1. Shrink the ink image to about 50 dpi (or take the shrunken image the
 *    decoder made while it produced the ink) and collect solid blobs whose
 *    size matches one of the model's registration marks (fill ratio high,
 *    so box outlines and letters do not qualify).
 * 2. Leave out every blob touching the image's edge: a mark cut by it has
 *    a mark's size but not its centre.
 * 3. For each way up (as fed, and turned 180 degrees) predict where every
 *    mark should be from the page centre and the nominal scale, pair each
 *    mark with the nearest blob of its size within a generous radius, and
 *    keep the largest set of pairs one turn-and-shift at about the
 *    expected scale explains (tried from every two pairs): a wrong blob
 *    or a blotted mark falls out. Re-pair within a tight radius of that
 *    fit and fit again: affine when the marks span the page both ways, a
 *    similarity from two far-apart marks otherwise. While the affine fit
 *    is off a flat page, leave out the mark whose absence fits best.
 *    Marks of different sizes (the orientation mark beside a corner mark)
 *    make only the right way up pair every mark.
 * 4. Check scale, shear and residual, with every ratio guarded: a fit that
 *    squeezes the page flat is rejected, never divided by.
 * A fit that used fewer than all marks is provisional: the reader refits
 * it to the box outlines found around it (st_register_refit), and tries
 * the other way up too when the marks fitted both.
 * Boxes are located more precisely later (score.c refines each outline).
 */
#include "stemtel/register.h"
#include "stemtel/blobs.h"
#include "engine/cv.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_REG_MAX_BLOBS 512
#define ST_REG_MAX_CUT 64       /* blobs touching the image's edge kept */
#define ST_REG_BLOB_INK 128     /* a blob pixel is at least half ink */
#define ST_REG_SEARCH_MM 45.0   /* first pairing radius */
#define ST_REG_TIGHT_MM 3.0     /* second pairing radius */
#define ST_REG_MAX_RMS_MM 0.6   /* mark residual a flat page never exceeds */
#define ST_REG_CUT_RMS_MM 1.5   /* the same with marks cut by the image's edge */
#define ST_REG_SCALE_TOL 0.06   /* fitted scale vs expected */
#define ST_REG_SHEAR_TOL 0.03   /* x/y scale ratio and axis skew (radians) */
#define ST_REG_MIN_SPREAD_MM 20.0 /* marks this far across both ways fit an affine */
#define ST_REG_MIN_BASE_MM 100.0  /* two marks this far apart fix the page's turn */
#define ST_REG_MIN_BOXES 6        /* box outlines an outline refit needs */

struct st_reg_scratch {
    st_image coarse;
    int factor;
    int given;   /* coarse was made ahead by the caller at factor */
    int valid;   /* coarse is this call's ink shrunk by factor */
    st_blob blobs[ST_REG_MAX_BLOBS];
    st_blob_scratch *finder;
};

st_reg_scratch *st_reg_scratch_new(void)
{
    st_reg_scratch *s = calloc(1, sizeof(st_reg_scratch));
    if (s && !(s->finder = st_blob_scratch_new())) {
        free(s);
        return NULL;
    }
    return s;
}

void st_reg_scratch_free(st_reg_scratch *s)
{
    if (!s)
        return;
    free(s->coarse.px);
    st_blob_scratch_free(s->finder);
    free(s);
}

const st_image *st_reg_scratch_coarse(const st_reg_scratch *s, int *factor)
{
    if (factor)
        *factor = s->factor;
    return &s->coarse;
}

st_image *st_reg_scratch_coarse_slot(st_reg_scratch *s)
{
    return &s->coarse;
}

void st_reg_scratch_coarse_ready(st_reg_scratch *s, int factor)
{
    s->factor = factor;
    s->given = 1;
}

/* One way of pairing model marks with blobs. */
typedef struct pairing {
    int n;                  /* marks paired */
    int ok;                 /* a is a usable fit of the paired marks */
    int affine;             /* a is a full affine fit (else a similarity) */
    int dropped;            /* marks paired once and left out since */
    int seen;               /* marks with a whole blob of their shape near
                               where the page's centre puts them */
    int blob[64];           /* per model mark: blob index or -1 */
    double px[64][2];       /* per model mark: measured centre, full-res px */
    st_affine a;
    double rms_px;
} pairing;

static void mark_centre(const st_fiducial *f, double *x, double *y)
{
    *x = f->rect.x + f->rect.w / 2;
    *y = f->rect.y + f->rect.h / 2;
}

/* Does blob b (coarse px, scale k px/mm) look like mark f? */
static int blob_fits(const st_blob *b, const st_fiducial *f, double k)
{
    double side = sqrt(f->rect.w * f->rect.h) * k;
    double bside = sqrt((double)b->area);
    double big = fmax(f->rect.w, f->rect.h) * k;
    double fill = (double)b->area / ((double)b->w * b->h);
    /* Area does not change with rotation; the coarse image's blurred
     * edges move it by well under the 5 mm / 7 mm step between a corner
     * mark and the orientation mark. */
    return bside > 0.84 * side - 0.5 && bside < 1.16 * side + 0.5 &&
           fmax(b->w, b->h) <= 1.3 * big + 2 && fill >= 0.55;
}

/* Ink-weighted centre of the blob's area on the full-resolution image. */
static void refine_centre(const st_image *ink, const st_blob *b, int f,
                          double *cx, double *cy)
{
    int x0 = (b->x - 1) * f, y0 = (b->y - 1) * f;
    int x1 = (b->x + b->w + 1) * f, y1 = (b->y + b->h + 1) * f;
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > ink->w) x1 = ink->w;
    if (y1 > ink->h) y1 = ink->h;
    double sw = 0, sx = 0, sy = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = ink->px + (size_t)y * ink->stride;
        for (int x = x0; x < x1; x++)
            if (row[x] >= ST_REG_BLOB_INK) {
                double w = row[x];
                sw += w;
                sx += w * (x + 0.5);
                sy += w * (y + 0.5);
            }
    }
    if (sw > 0) {
        *cx = sx / sw;
        *cy = sy / sw;
    } else {
        *cx = b->cx * f;
        *cy = b->cy * f;
    }
}

static int affine_finite(const st_affine *a)
{
    for (int i = 0; i < 6; i++)
        if (!isfinite(a->m[i]))
            return 0;
    return 1;
}

/* Least-squares similarity (turn, uniform scale, shift) taking n >= 2
 * points src to dst; 0 on success, -1 when the points coincide. */
static int fit_similarity(const double *src, const double *dst, int n,
                          st_affine *a, double *rms)
{
    if (n < 2)
        return -1;
    double mx = 0, my = 0, qx = 0, qy = 0;
    for (int i = 0; i < n; i++) {
        mx += src[2 * i];
        my += src[2 * i + 1];
        qx += dst[2 * i];
        qy += dst[2 * i + 1];
    }
    mx /= n, my /= n, qx /= n, qy /= n;
    double ss = 0, sc = 0, sn = 0;
    for (int i = 0; i < n; i++) {
        double x = src[2 * i] - mx, y = src[2 * i + 1] - my;
        double u = dst[2 * i] - qx, v = dst[2 * i + 1] - qy;
        ss += x * x + y * y;
        sc += x * u + y * v;
        sn += x * v - y * u;
    }
    if (!(ss > 1e-9))
        return -1;
    double c = sc / ss, d = sn / ss;
    *a = (st_affine){{c, -d, qx - c * mx + d * my, d, c, qy - d * mx - c * my}};
    double e = 0;
    for (int i = 0; i < n; i++) {
        double px, py;
        st_affine_apply(a, src[2 * i], src[2 * i + 1], &px, &py);
        e += (px - dst[2 * i]) * (px - dst[2 * i]) + (py - dst[2 * i + 1]) * (py - dst[2 * i + 1]);
    }
    *rms = sqrt(e / n);
    return affine_finite(a) && isfinite(*rms) ? 0 : -1;
}

/* How far n points reach across their thinnest direction (the smaller
 * standard deviation of their spread) and along their widest (the
 * largest distance between two of them), in their units. */
static void spread(const double *pt, int n, double *thin, double *wide)
{
    double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0, w = 0;
    for (int i = 0; i < n; i++) {
        mx += pt[2 * i];
        my += pt[2 * i + 1];
    }
    mx /= n > 0 ? n : 1;
    my /= n > 0 ? n : 1;
    for (int i = 0; i < n; i++) {
        double x = pt[2 * i] - mx, y = pt[2 * i + 1] - my;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        for (int j = 0; j < i; j++)
            w = fmax(w, hypot(pt[2 * i] - pt[2 * j], pt[2 * i + 1] - pt[2 * j + 1]));
    }
    double t = (sxx + syy) / 2, dd = sqrt(fmax(0, (sxx - syy) * (sxx - syy) / 4 + sxy * sxy));
    *thin = n > 0 ? sqrt(fmax(0, t - dd) / n) : 0;
    *wide = w;
}

/* Fit p->a to the paired marks: affine when they span the page in both
 * directions, else a similarity when two of them lie far enough apart to
 * fix the turn. Sets p->n and p->ok; returns 0 on success. */
static int fit(const st_model *m, pairing *p)
{
    double src[128], dst[128];
    int n = 0;
    for (int i = 0; i < m->n_fiducials && i < 64; i++)
        if (p->blob[i] >= 0) {
            mark_centre(&m->fiducials[i], &src[2 * n], &src[2 * n + 1]);
            dst[2 * n] = p->px[i][0];
            dst[2 * n + 1] = p->px[i][1];
            n++;
        }
    p->n = n;
    p->ok = 0;
    if (n < 2)
        return -1;
    double thin, wide;
    spread(src, n, &thin, &wide);
    p->affine = n >= 3 && thin >= ST_REG_MIN_SPREAD_MM &&
                !st_cv_fit_affine(src, dst, n, p->a.m, &p->rms_px, NULL) &&
                affine_finite(&p->a) && isfinite(p->rms_px);
    if (!p->affine) {
        if (wide < ST_REG_MIN_BASE_MM || fit_similarity(src, dst, n, &p->a, &p->rms_px))
            return -1;
    }
    p->ok = 1;
    return 0;
}

/* Keep the largest set of paired marks that one similarity transform at
 * about the expected scale k (px/mm) explains within tol_px, and unpair
 * the rest: paper turns and shifts but does not shear, so a mark cut by
 * the image's edge, blotted, or paired with a stray blob falls out. Tried
 * from every two paired marks; ties go to the smaller residual. */
static void consensus(const st_model *m, pairing *p, double k, double tol_px)
{
    int idx[64], n = 0;
    double mc[64][2];
    for (int i = 0; i < m->n_fiducials && i < 64; i++)
        if (p->blob[i] >= 0) {
            idx[n] = i;
            mark_centre(&m->fiducials[i], &mc[n][0], &mc[n][1]);
            n++;
        }
    int best_in = 0;
    double best_ss = 0;
    uint64_t best_mask = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            double ux = mc[b][0] - mc[a][0], uy = mc[b][1] - mc[a][1];
            double vx = p->px[idx[b]][0] - p->px[idx[a]][0];
            double vy = p->px[idx[b]][1] - p->px[idx[a]][1];
            double d2 = ux * ux + uy * uy;
            if (!(d2 > 1.0))
                continue;
            double c = (ux * vx + uy * vy) / d2, d = (ux * vy - uy * vx) / d2;
            if (fabs(hypot(c, d) / k - 1) > ST_REG_SCALE_TOL)
                continue;
            st_affine t = {{c, -d, 0, d, c, 0}};
            t.m[2] = p->px[idx[a]][0] - (c * mc[a][0] - d * mc[a][1]);
            t.m[5] = p->px[idx[a]][1] - (d * mc[a][0] + c * mc[a][1]);
            int in = 0;
            double ss = 0;
            uint64_t mask = 0;
            for (int j = 0; j < n; j++) {
                double ex, ey;
                st_affine_apply(&t, mc[j][0], mc[j][1], &ex, &ey);
                double e2 = (ex - p->px[idx[j]][0]) * (ex - p->px[idx[j]][0]) +
                            (ey - p->px[idx[j]][1]) * (ey - p->px[idx[j]][1]);
                if (e2 <= tol_px * tol_px) {
                    in++;
                    ss += e2;
                    mask |= (uint64_t)1 << j;
                }
            }
            if (in > best_in || (in == best_in && ss < best_ss)) {
                best_in = in;
                best_ss = ss;
                best_mask = mask;
            }
        }
    for (int j = 0; j < n; j++)
        if (best_in < 2 || !(best_mask & ((uint64_t)1 << j))) {
            p->blob[idx[j]] = -1;
            p->dropped++;
        }
}

/* While the marks are further off a flat page than limit_px and at least
 * four remain, leave out the one whose absence lets the others fit a
 * similarity best (a blotted or smudged mark whose centre moved), and
 * refit. */
static void leave_one_out(const st_model *m, pairing *p, double limit_px)
{
    while (p->ok && p->affine && p->rms_px > limit_px && p->n >= 4) {
        int worst = -1;
        double best = INFINITY;
        for (int i = 0; i < m->n_fiducials && i < 64; i++) {
            if (p->blob[i] < 0)
                continue;
            double src[128], dst[128];
            int n = 0;
            for (int j = 0; j < m->n_fiducials && j < 64; j++)
                if (j != i && p->blob[j] >= 0) {
                    mark_centre(&m->fiducials[j], &src[2 * n], &src[2 * n + 1]);
                    dst[2 * n] = p->px[j][0];
                    dst[2 * n + 1] = p->px[j][1];
                    n++;
                }
            st_affine t;
            double rms;
            if (!fit_similarity(src, dst, n, &t, &rms) && rms < best) {
                best = rms;
                worst = i;
            }
        }
        if (worst < 0)
            return;
        p->blob[worst] = -1;
        p->dropped++;
        fit(m, p);
    }
}

/* Pair every mark with the nearest unused fitting blob within radius of
 * where a predicts it. */
static void pair(const st_model *m, const st_reg_scratch *s, int nb,
                 const st_image *ink, const st_affine *a, double k_coarse,
                 double radius_px, pairing *p)
{
    char used[ST_REG_MAX_BLOBS] = {0};
    int f = s->factor;
    for (int i = 0; i < m->n_fiducials && i < 64; i++) {
        double mx, my, ex, ey;
        mark_centre(&m->fiducials[i], &mx, &my);
        st_affine_apply(a, mx, my, &ex, &ey);
        int best = -1;
        double bd = radius_px * radius_px;
        for (int b = 0; b < nb; b++) {
            if (used[b] || !blob_fits(&s->blobs[b], &m->fiducials[i], k_coarse))
                continue;
            double dx = s->blobs[b].cx * f - ex, dy = s->blobs[b].cy * f - ey;
            double d = dx * dx + dy * dy;
            if (d < bd) {
                bd = d;
                best = b;
            }
        }
        p->blob[i] = best;
        if (best >= 0) {
            used[best] = 1;
            refine_centre(ink, &s->blobs[best], f, &p->px[i][0], &p->px[i][1]);
        }
    }
}

/* Try one way up at nominal scale k (px/mm); fills *p. */
static void try_orientation(const st_model *m, const st_image *ink,
                            const st_reg_scratch *s, int nb, double k,
                            int turned, pairing *p)
{
    /* Nominal transform: paper centre on image centre, turned or not. */
    double c = turned ? -k : k;
    st_affine a0 = {{c, 0, ink->w / 2.0 - c * m->paper_w / 2, 0, c,
                     ink->h / 2.0 - c * m->paper_h / 2}};
    double kc = k / s->factor;
    memset(p, 0, sizeof *p);
    pair(m, s, nb, ink, &a0, kc, ST_REG_SEARCH_MM * k, p);
    for (int i = 0; i < m->n_fiducials && i < 64; i++)
        p->seen += p->blob[i] >= 0;
    consensus(m, p, k, ST_REG_TIGHT_MM * k);
    if (fit(m, p))
        return;
    /* Pair again close to where the agreeing marks put every mark: a
     * mark whose nearest blob was a stray one gets its own back. */
    st_affine a1 = p->a;
    int dropped = p->dropped;
    pair(m, s, nb, ink, &a1, kc, ST_REG_TIGHT_MM * k, p);
    p->dropped = dropped;
    consensus(m, p, k, ST_REG_TIGHT_MM * k);
    if (fit(m, p))
        return;
    leave_one_out(m, p, ST_REG_MAX_RMS_MM * k);
}

static int reject(st_registration *out, const char *reason, const char *fmt,
                  double a, double b)
{
    out->ok = 0;
    out->reason = reason;
    snprintf(out->detail, sizeof out->detail, fmt, a, b);
    return ST_OK;
}

/* Judge transform a (model mm to page px) with residual rms_px at the
 * expected k px/mm: fill out's geometry and ok, or reject it with a
 * finite message. Returns 0 when it passed. */
static int check_fit(const st_model *m, const st_affine *xf, double rms_px,
                     double k, double max_rms_mm, st_registration *out)
{
    (void)m;
    const double *a = xf->m;
    double sx = hypot(a[0], a[3]), sy = hypot(a[1], a[4]);
    double det = a[0] * a[4] - a[1] * a[3];
    /* A fit squeezed flat (marks on one line, or a stray blob taken for
     * one) has no inverse, and every ratio below would be 0/0. */
    if (!affine_finite(xf) || !isfinite(rms_px) || !(fabs(det) > 1e-4 * k * k) ||
        !(sx > 1e-3 * k) || !(sy > 1e-3 * k)) {
        reject(out, ST_REJECT_DEGENERATE,
               "the registration marks do not span the page (%.0f of %.0f found)",
               out->marks_found, m->n_fiducials);
        return -1;
    }
    out->xform = *xf;
    out->scale = sqrt(sx * sy) / k;
    out->rotation_deg = atan2(a[3], a[0]) * 180 / M_PI;
    out->upside_down = a[0] < 0;
    out->rms_mm = rms_px / sqrt(sx * sy);
    if (fabs(out->scale - 1) > ST_REG_SCALE_TOL) {
        reject(out, ST_REJECT_SCALE,
               "the page is %.1f%% of the model's size at %.0f dpi",
               out->scale * 100, out->dpi);
        return -1;
    }
    /* Perpendicular axes of equal scale: paper does not shear. */
    double skew = fabs((a[0] * a[1] + a[3] * a[4]) / (sx * sy));
    if (fabs(sx / sy - 1) > ST_REG_SHEAR_TOL || skew > ST_REG_SHEAR_TOL) {
        reject(out, ST_REJECT_DISTORTED, "x/y scale %.3f, axis skew %.3f rad",
               sx / sy, skew);
        return -1;
    }
    if (out->rms_mm > max_rms_mm) {
        reject(out, ST_REJECT_DISTORTED,
               "registration marks are %.2f mm off a flat page (limit %.2f mm)",
               out->rms_mm, max_rms_mm);
        return -1;
    }
    out->ok = 1;
    out->reason = NULL;
    out->detail[0] = '\0';
    return 0;
}

/* Register at one claimed resolution; returns 1 if marks were paired well
 * enough to judge (out filled either way). */
static int register_at(const st_model *m, const st_image *ink, double dpi,
                       st_reg_scratch *s, st_registration *out, st_error *err,
                       int *rc)
{
    *rc = ST_OK;
    int f = st_shrink_factor(dpi, ST_REG_COARSE_DPI);
    if (!(s->valid && s->factor == f)) {
        s->valid = 0;
        if (st_image_shrink(ink, f, &s->coarse)) {
            *rc = st_error_set(err, ST_ERR_NOMEM, "register: out of memory");
            return 0;
        }
        s->factor = f;
        s->valid = 1;
    }
    double k = dpi / 25.4, kc = k / f;
    double amin = 1e9, amax = 0;
    for (int i = 0; i < m->n_fiducials; i++) {
        double a = m->fiducials[i].rect.w * m->fiducials[i].rect.h * kc * kc;
        amin = fmin(amin, a);
        amax = fmax(amax, a);
    }
    int nb = 0;
    /* A model without marks (a design printed without them) finds none:
     * its pages are placed by their boxes (st_register_grid). */
    if (m->n_fiducials > 0 &&
        (*rc = st_blobs_find(&s->coarse, ST_REG_BLOB_INK, (int)(amin * 0.4),
                             (int)(amax * 1.8) + 4, s->blobs, ST_REG_MAX_BLOBS, &nb,
                             s->finder, err)))
        return 0;
    /* A blob touching the image's edge may be a mark cut by it, whose
     * centre is not the mark's: such blobs go after the whole ones and
     * are paired only when the whole ones cannot place the page. */
    int whole_nb = 0;
    {
        st_blob cut[ST_REG_MAX_CUT];
        int ncut = 0;
        for (int b = 0; b < nb; b++) {
            const st_blob *bl = &s->blobs[b];
            if (bl->x > 0 && bl->y > 0 && bl->x + bl->w < s->coarse.w &&
                bl->y + bl->h < s->coarse.h)
                s->blobs[whole_nb++] = *bl;
            else if (ncut < ST_REG_MAX_CUT)
                cut[ncut++] = *bl;
        }
        memcpy(s->blobs + whole_nb, cut, (size_t)ncut * sizeof *cut);
        nb = whole_nb + ncut;
    }

    /* The median of the shrunken image is the paper: most of a ballot is
     * blank, and shrinking averages the noise. */
    {
        /* Four histograms: neighbouring pixels are nearly always the same
         * value, and counting them into one bin makes every increment
         * wait for the one before. */
        long hist[4][256] = {{0}}, half = (long)s->coarse.w * s->coarse.h / 2, acc = 0;
        for (int y = 0; y < s->coarse.h; y++) {
            const uint8_t *row = s->coarse.px + (size_t)y * s->coarse.stride;
            int x = 0;
            for (; x + 4 <= s->coarse.w; x += 4) {
                hist[0][row[x]]++;
                hist[1][row[x + 1]]++;
                hist[2][row[x + 2]]++;
                hist[3][row[x + 3]]++;
            }
            for (; x < s->coarse.w; x++)
                hist[0][row[x]]++;
        }
        int v = 0;
        while (v < 255 && (acc += hist[0][v] + hist[1][v] + hist[2][v] + hist[3][v]) <= half)
            v++;
        out->paper_ink = v;
    }

    pairing up, down;
    try_orientation(m, ink, s, whole_nb, k, 0, &up);
    try_orientation(m, ink, s, whole_nb, k, 1, &down);
    int with_cut = 0;
    if (!up.ok && !down.ok && nb > whole_nb) {
        /* Too few whole marks: cut ones place the page roughly (their
         * centres lie within a millimetre or so), for the box outlines to
         * place it exactly. */
        pairing up2, down2;
        try_orientation(m, ink, s, nb, k, 0, &up2);
        try_orientation(m, ink, s, nb, k, 1, &down2);
        if (up2.ok || down2.ok) {
            up = up2;
            down = down2;
            with_cut = 1;
        }
    }
    /* Whole marks found either way, for the message when neither fits. */
    int whole = up.seen > down.seen ? up.seen : down.seen;
    if (!up.ok)
        up.n = 0;
    if (!down.ok)
        down.n = 0;
    pairing *best = &up, *other = &down;
    if (down.n > up.n || (down.n == up.n && down.n >= 2 && down.rms_px < up.rms_px)) {
        best = &down;
        other = &up;
    }
    out->marks_found = best->n;
    out->dpi = dpi;
    if (m->n_fiducials == 0) {
        reject(out, ST_REJECT_NO_MARKS, "the model has no registration marks", 0, 0);
        return 0;
    }
    if (best->n < 2) {
        out->marks_found = whole;
        reject(out, ST_REJECT_NO_MARKS,
               "found %.0f of %.0f registration marks whole and in agreement; "
               "the page needs three, or two far apart", whole, m->n_fiducials);
        return 0;
    }
    out->rms_mm = 0;
    /* Cut marks' centres are a millimetre or so off: the outlines judge. */
    if (check_fit(m, &best->a, best->rms_px, k,
                  with_cut ? ST_REG_CUT_RMS_MM : ST_REG_MAX_RMS_MM, out))
        return 1;
    /* The marks alone settle the transform only when every one was found
     * and they span the page; else the box outlines must confirm it. */
    out->provisional = best->n < m->n_fiducials || !best->affine || with_cut;
    if (out->provisional && other->n == best->n) {
        out->has_alt = 1;
        out->alt_xform = other->a;
    }
    return 1;
}

int st_register(const st_model *m, const st_image *ink, double dpi,
                double fallback_dpi, st_reg_scratch *s, st_registration *out,
                st_error *err)
{
    memset(out, 0, sizeof *out);
    /* A coarse image made ahead serves this call only. */
    s->valid = s->given;
    s->given = 0;
    if (ink->channels != 1)
        return st_error_set(err, ST_ERR_ARG, "register: needs a 1-channel ink image");
    int rc;
    if (register_at(m, ink, dpi, s, out, err, &rc) && out->ok)
        return ST_OK;
    if (rc)
        return rc;
    if (fallback_dpi > 0 && fabs(fallback_dpi - dpi) > 1) {
        st_registration again;
        memset(&again, 0, sizeof again);
        if (register_at(m, ink, fallback_dpi, s, &again, err, &rc) && again.ok) {
            *out = again;
            return ST_OK;
        }
        if (rc)
            return rc;
        /* Keep the first attempt's reason unless the second got further. */
        if (again.marks_found > out->marks_found)
            *out = again;
    }
    return rc;
}

/* Does prev (NULL: any transform) put model point (x, y) within thr_px
 * of page point (u, v)? */
static int near(const st_affine *prev, double thr_px, double x, double y,
                double u, double v)
{
    if (!prev)
        return 1;
    double ex, ey;
    st_affine_apply(prev, x, y, &ex, &ey);
    return (ex - u) * (ex - u) + (ey - v) * (ey - v) <= thr_px * thr_px;
}

/* Least-squares affine over the points of src/dst within thr_px of where
 * prev puts them (prev NULL: all): 3 x 3 normal equations, solved for
 * both rows at once by Cramer's rule. Returns the points used, or 0 when
 * they do not determine a transform. */
static int fit_affine_within(const double *src, const double *dst, int n,
                             const st_affine *prev, double thr_px,
                             st_affine *a, double *rms)
{
    double S[3][3] = {{0}}, U[3] = {0}, V[3] = {0};
    int used = 0;
    for (int i = 0; i < n; i++) {
        double x = src[2 * i], y = src[2 * i + 1], u = dst[2 * i], v = dst[2 * i + 1];
        if (!near(prev, thr_px, x, y, u, v))
            continue;
        double r[3] = {x, y, 1};
        for (int p = 0; p < 3; p++) {
            for (int q = 0; q < 3; q++)
                S[p][q] += r[p] * r[q];
            U[p] += r[p] * u;
            V[p] += r[p] * v;
        }
        used++;
    }
    if (used < 3)
        return 0;
    double det = S[0][0] * (S[1][1] * S[2][2] - S[1][2] * S[2][1]) -
                 S[0][1] * (S[1][0] * S[2][2] - S[1][2] * S[2][0]) +
                 S[0][2] * (S[1][0] * S[2][1] - S[1][1] * S[2][0]);
    /* Relative to the spread of the points: collinear boxes give ~0. */
    double scale = S[0][0] * S[1][1] * S[2][2];
    if (!(fabs(det) > 1e-9 * scale) || !isfinite(det))
        return 0;
    for (int row = 0; row < 2; row++) {
        const double *b = row ? V : U;
        for (int c = 0; c < 3; c++) {
            double M[3][3];
            memcpy(M, S, sizeof M);
            for (int p = 0; p < 3; p++)
                M[p][c] = b[p];
            double dc = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                        M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                        M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
            a->m[3 * row + c] = dc / det;
        }
    }
    if (!affine_finite(a))
        return 0;
    double e = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        double x = src[2 * i], y = src[2 * i + 1], u = dst[2 * i], v = dst[2 * i + 1];
        if (!near(prev, thr_px, x, y, u, v))
            continue;
        double px, py;
        st_affine_apply(a, x, y, &px, &py);
        e += (px - u) * (px - u) + (py - v) * (py - v);
        k++;
    }
    *rms = sqrt(e / k);
    return isfinite(*rms) ? used : 0;
}

int st_register_refit(const st_model *m, const double *src, const double *dst,
                      int n, st_registration *r)
{
    if (n < ST_REG_MIN_BOXES || !(r->dpi > 0))
        return ST_ERR_INVALID;
    double k = r->dpi / 25.4;
    /* Every box was found within the outline search's reach of where the
     * marks put it; each round keeps those within three residuals (at
     * least a pixel and a half: found shifts are whole pixels) of the last
     * fit, so an outline taken for a neighbouring line falls out. */
    st_affine cur = r->xform, next;
    double thr = 2.0 * k, rms = 0;
    int used = 0;
    for (int round = 0; round < 4; round++) {
        used = fit_affine_within(src, dst, n, &cur, thr, &next, &rms);
        if (!used)
            return ST_ERR_INVALID;
        cur = next;
        thr = fmax(3 * rms, 1.5);
    }
    if (used < ST_REG_MIN_BOXES || used < n / 2)
        return ST_ERR_INVALID;
    st_registration t = *r;
    if (check_fit(m, &cur, rms, k, ST_REG_MAX_RMS_MM, &t))
        return ST_ERR_INVALID;
    t.provisional = 0;
    t.has_alt = 0;
    t.by_outlines = 1;
    *r = t;
    return ST_OK;
}
