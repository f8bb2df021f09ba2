/* register.c - find where the ballot lies on the page
 *
 * 1. Shrink the ink image to about 50 dpi (or take the shrunken image the
 *    decoder made while it produced the ink) and collect solid blobs whose
 *    size matches one of the model's registration marks (fill ratio high,
 *    so box outlines and letters do not qualify).
 * 2. For each way up (as fed, and turned 180 degrees) predict where every
 *    mark should be from the page centre and the nominal scale, pair each
 *    mark with the nearest blob of its size within a generous radius, fit
 *    an affine transform, then re-pair within a tight radius and refit.
 *    Marks of different sizes (the orientation mark beside a corner mark)
 *    make only the right way up pair every mark.
 * 3. Refine each matched mark's centre on the full-resolution image, refit,
 *    and check marks found, scale, shear and residual.
 * Boxes are located more precisely later (score.c refines each outline).
 */
#include "stemtel/register.h"
#include "stemtel/blobs.h"
#include "engine/cv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_REG_MAX_BLOBS 512
#define ST_REG_BLOB_INK 128     /* a blob pixel is at least half ink */
#define ST_REG_SEARCH_MM 45.0   /* first pairing radius */
#define ST_REG_TIGHT_MM 3.0     /* second pairing radius */
#define ST_REG_MAX_RMS_MM 0.6   /* mark residual a flat page never exceeds */
#define ST_REG_SCALE_TOL 0.06   /* fitted scale vs expected */
#define ST_REG_SHEAR_TOL 0.03   /* x/y scale ratio and axis skew (radians) */

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

/* Fit p->a to the paired marks; returns 0 on success. */
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
    if (n < 3)
        return -1;
    return st_cv_fit_affine(src, dst, n, p->a.m, &p->rms_px, NULL) ? -1 : 0;
}

/* Drop the worst-fitting pair while it is off by more than limit_px and
 * more than 3 pairs remain, refitting each time: one wrong pairing in the
 * generous first round must not bend the transform. */
static int prune(const st_model *m, pairing *p, double limit_px)
{
    for (;;) {
        if (fit(m, p))
            return -1;
        int worst = -1;
        double wd = limit_px * limit_px;
        for (int i = 0; i < m->n_fiducials && i < 64; i++) {
            if (p->blob[i] < 0)
                continue;
            double mx, my, ex, ey;
            mark_centre(&m->fiducials[i], &mx, &my);
            st_affine_apply(&p->a, mx, my, &ex, &ey);
            double d = (ex - p->px[i][0]) * (ex - p->px[i][0]) +
                       (ey - p->px[i][1]) * (ey - p->px[i][1]);
            if (d > wd) {
                wd = d;
                worst = i;
            }
        }
        if (worst < 0 || p->n <= 3)
            return 0;
        p->blob[worst] = -1;
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
    if (prune(m, p, ST_REG_TIGHT_MM * k))
        return;
    st_affine a1 = p->a;
    pair(m, s, nb, ink, &a1, kc, ST_REG_TIGHT_MM * k, p);
    if (fit(m, p))
        p->n = 0;
}

static int reject(st_registration *out, const char *reason, const char *fmt,
                  double a, double b)
{
    out->ok = 0;
    out->reason = reason;
    snprintf(out->detail, sizeof out->detail, fmt, a, b);
    return ST_OK;
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
    if ((*rc = st_blobs_find(&s->coarse, ST_REG_BLOB_INK, (int)(amin * 0.4),
                             (int)(amax * 1.8) + 4, s->blobs, ST_REG_MAX_BLOBS, &nb,
                             s->finder, err)))
        return 0;

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
    try_orientation(m, ink, s, nb, k, 0, &up);
    try_orientation(m, ink, s, nb, k, 1, &down);
    pairing *best = &up;
    if (down.n > up.n || (down.n == up.n && down.n >= 3 && down.rms_px < up.rms_px))
        best = &down;
    out->marks_found = best->n;
    if (best->n < 3) {
        reject(out, ST_REJECT_NO_MARKS, "found %.0f of %.0f registration marks",
               best->n, m->n_fiducials);
        return 0;
    }
    out->xform = best->a;
    const double *a = best->a.m;
    double sx = hypot(a[0], a[3]), sy = hypot(a[1], a[4]);
    out->scale = sqrt(sx * sy) / k;
    out->dpi = dpi;
    out->rotation_deg = atan2(a[3], a[0]) * 180 / M_PI;
    out->upside_down = a[0] < 0;
    out->rms_mm = best->rms_px / sqrt(sx * sy);
    if (fabs(out->scale - 1) > ST_REG_SCALE_TOL) {
        reject(out, ST_REJECT_SCALE,
               "the page is %.1f%% of the model's size at %.0f dpi",
               out->scale * 100, dpi);
        return 1;
    }
    /* Perpendicular axes of equal scale: paper does not shear. */
    double skew = fabs((a[0] * a[1] + a[3] * a[4]) / (sx * sy));
    if (fabs(sx / sy - 1) > ST_REG_SHEAR_TOL || skew > ST_REG_SHEAR_TOL) {
        reject(out, ST_REJECT_DISTORTED, "x/y scale %.3f, axis skew %.3f rad",
               sx / sy, skew);
        return 1;
    }
    if (out->rms_mm > ST_REG_MAX_RMS_MM) {
        reject(out, ST_REJECT_DISTORTED,
               "registration marks are %.2f mm off a flat page (limit %.2f mm)",
               out->rms_mm, ST_REG_MAX_RMS_MM);
        return 1;
    }
    out->ok = 1;
    out->reason = NULL;
    out->detail[0] = '\0';
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
