/* bands.c - what a fold or a scanner streak leaves on a box, and may hide
 *
 * The tests compare the band inside a box with the same band on the
 * paper just beside the box, where no voter writes: by its darkest
 * samples, by its mean distance by distance across it, and (for the
 * caller's lifted measure) by per-distance thresholds.
 */
#include "engine/bands.h"
#include "engine/ink.h"

#include <string.h>

int st_band_of_fold(const st_affine *a, double k, const st_fold *f, st_band *out)
{
    double p0x, p0y, p1x, p1y;
    st_affine_apply(a, f->x0, f->y0, &p0x, &p0y);
    st_affine_apply(a, f->x1, f->y1, &p1x, &p1y);
    double len = hypot(p1x - p0x, p1y - p0y);
    if (!(len > 0))
        return 0;
    out->nx = -(p1y - p0y) / len;
    out->ny = (p1x - p0x) / len;
    out->c = out->nx * p0x + out->ny * p0y;
    out->half = f->half_mm * k;
    return 1;
}

int st_band_near(const st_affine *a, double k, const st_rect *rc, const st_band *b)
{
    double cx, cy;
    st_affine_apply(a, rc->x + rc->w / 2, rc->y + rc->h / 2, &cx, &cy);
    double reach = b->half + 0.5 * hypot(rc->w, rc->h) * k;
    return fabs(b->nx * cx + b->ny * cy - b->c) < reach;
}

/* Ink of the page in the part of band b (a vertical streak) that lies
 * within rect (model mm) under a and the shift (dx, dy), sampled a pixel
 * apart: the samples, their ink's sum and how many are strong. */
typedef struct band_ink {
    long n, sum;
    unsigned hist[256]; /* samples by ink */
    long n_over;        /* samples whose bin has a mean to compare with */
    double over;        /* their ink less that mean, summed */
} band_ink;

/* The samples' count, sum and sum of squares by bin across a band
 * (lift_bin), n_bins of them. */
typedef struct lift_sums {
    int n_bins;
    double n[ST_LIFT_BINS], s1[ST_LIFT_BINS], s2[ST_LIFT_BINS];
} lift_sums;

/* A mean ink per bin across a band; below 0 where there is none. */
typedef struct lift_means {
    int n_bins;
    double mu[ST_LIFT_BINS];
} lift_means;

/* As above; if sums is not NULL, each sample is added to it too, and if
 * means is not NULL, its ink less its bin's mean is summed in over. */
static band_ink band_stats(const st_image *ink, const st_affine *a, double k,
                           const st_rect *rect, double dx, double dy, const st_band *b,
                           const st_band *skip, int n_skip, lift_sums *sums,
                           const lift_means *means)
{
    band_ink o;
    memset(&o, 0, sizeof o);
    int nu = (int)ceil(rect->w * k), nv = (int)ceil(rect->h * k);
    for (int j = 0; j < nv; j++)
        for (int i = 0; i < nu; i++) {
            double px, py;
            st_affine_apply(a, rect->x + (i + 0.5) * rect->w / nu,
                            rect->y + (j + 0.5) * rect->h / nv, &px, &py);
            px += dx;
            py += dy;
            if (fabs(b->nx * px + b->ny * py - b->c) >= b->half)
                continue;
            int out = 1;
            for (int q = 0; q < n_skip && out; q++)
                out = fabs(skip[q].nx * px + skip[q].ny * py - skip[q].c) >= skip[q].half;
            if (!out)
                continue;
            int v = st_ink_at(ink, px, py);
            o.sum += v;
            o.hist[v]++;
            o.n++;
            if (sums) {
                int q = st_band_bin(b, sums->n_bins, px, py);
                sums->n[q]++, sums->s1[q] += v, sums->s2[q] += (double)v * v;
            }
            if (means) {
                double mu = means->mu[st_band_bin(b, means->n_bins, px, py)];
                if (mu >= 0)
                    o.over += v - mu, o.n_over++;
            }
        }
    return o;
}

/* Fill l with band b's per-distance thresholds from sa and sb, the
 * band's samples in the two reference strips beside the box: a bin's mean
 * ink in a strip and ST_LIFT_SIGMAS of its spread, and ST_LIFT_MARGIN
 * levels more, from the strip that gives the lower (print, a list's name
 * or a number, may lie in one). A strip's bin with fewer than
 * ST_LIFT_MIN_REF samples takes that strip's whole band's. Returns 0 when
 * neither strip holds ST_LIFT_MIN_REF samples of the band. */
#define ST_LIFT_SIGMAS 3.0
#define ST_LIFT_MARGIN 2.0
#define ST_LIFT_MIN_REF 8
static double lift_thr(double n, double s1, double s2)
{
    double mu = s1 / n;
    return mu + ST_LIFT_SIGMAS * sqrt(fmax(0, s2 / n - mu * mu)) + ST_LIFT_MARGIN;
}

static int band_lift_from(const st_band *b, const lift_sums *sa, const lift_sums *sb,
                          st_band_lift *l)
{
    l->b = *b;
    l->n_bins = sa->n_bins;
    const lift_sums *side[2] = {sa, sb};
    double pooled[2];
    int sides = 0;
    for (int t = 0; t < 2; t++) {
        double n = 0, s1 = 0, s2 = 0;
        for (int q = 0; q < l->n_bins; q++)
            n += side[t]->n[q], s1 += side[t]->s1[q], s2 += side[t]->s2[q];
        pooled[t] = n >= ST_LIFT_MIN_REF ? lift_thr(n, s1, s2) : -1;
        sides += pooled[t] >= 0;
    }
    if (!sides)
        return 0;
    for (int q = 0; q < l->n_bins; q++) {
        double thr = 1e9;
        for (int t = 0; t < 2; t++) {
            if (pooled[t] < 0)
                continue;
            const lift_sums *x = side[t];
            thr = fmin(thr, x->n[q] >= ST_LIFT_MIN_REF ? lift_thr(x->n[q], x->s1[q], x->s2[q])
                                                      : pooled[t]);
        }
        l->thr[q] = thr;
    }
    return 1;
}

/* Per bin, the mean ink of the lighter of the two strips sa and sb that
 * has ST_LIFT_MIN_REF samples in it (print may lie in one strip). */
static void lighter_means(const lift_sums *sa, const lift_sums *sb, lift_means *out)
{
    out->n_bins = sa->n_bins;
    for (int q = 0; q < sa->n_bins; q++) {
        double ma = sa->n[q] >= ST_LIFT_MIN_REF ? sa->s1[q] / sa->n[q] : -1;
        double mb = sb->n[q] >= ST_LIFT_MIN_REF ? sb->s1[q] / sb->n[q] : -1;
        out->mu[q] = ma < 0 ? mb : mb < 0 ? ma : fmin(ma, mb);
    }
}

#define ST_BAND_TAIL 0.01
#define ST_BAND_DARKER 8
#define ST_STREAK_HIDDEN 6 /* ink levels: a light stroke beside a streak,
                             inside its band, darkens the band by 10 */
#define ST_STREAK_CORE_MM 1.0 /* the mean test keeps this far from the outline */
#define ST_STREAK_CORE_MIN 16 /* band samples in the core the mean needs */
#define ST_STREAK_GAP_MM 1.5 /* beyond the outline and its search */
#define ST_STREAK_SIDE_MM 3.0
int st_band_hides(const st_model *m, const st_image *ink, const st_registration *r, int i,
                  double k, double dx, double dy, const st_band *b, const st_band *skip,
                  int n_skip, int lift_only, st_band_lift *l)
{
    const st_affine *a = &r->xform;
    const st_rect *rc = &m->targets[i].rect;
    l->b = *b;
    l->b.half = 0; /* over no sample until band_lift_from fills it */
    l->n_bins = 0;
    st_rect in = st_score_inside(m, rc, k);
    double g = ST_STREAK_GAP_MM, d = ST_STREAK_SIDE_MM;
    /* Beside the box along the band: above and below it for a band
     * running down the page, left and right for one running across. */
    int down = fabs(b->nx * a->m[0] + b->ny * a->m[3]) >= fabs(b->nx * a->m[1] + b->ny * a->m[4]);
    st_rect above = down ? (st_rect){rc->x, rc->y - g - d, rc->w, d}
                         : (st_rect){rc->x - g - d, rc->y, d, rc->h};
    st_rect below = down ? (st_rect){rc->x, rc->y + rc->h + g, rc->w, d}
                         : (st_rect){rc->x + rc->w + g, rc->y, d, rc->h};
    lift_sums sa, sb;
    memset(&sa, 0, sizeof sa);
    sa.n_bins = (int)ceil(2 * b->half / ST_LIFT_BIN_PX);
    sb = sa;
    int can_lift = sa.n_bins >= 1 && sa.n_bins <= ST_LIFT_BINS;
    band_ink vi = band_stats(ink, a, k, &in, dx, dy, b, skip, n_skip, NULL, NULL);
    band_ink va = band_stats(ink, a, k, &above, dx, dy, b, skip, n_skip,
                             can_lift ? &sa : NULL, NULL);
    band_ink vb = band_stats(ink, a, k, &below, dx, dy, b, skip, n_skip,
                             can_lift ? &sb : NULL, NULL);
    /* The lighter side by mean ink. */
    band_ink ref = !va.n ? vb : !vb.n ? va : va.sum * vb.n <= vb.sum * va.n ? va : vb;
    if (!vi.n || in.w <= 0 || in.h <= 0)
        return 0; /* the band misses the inside: nothing lies under it */
    if (!ref.n)
        return 1; /* nothing to compare with: people look */
    /* The first two tests need strong ink in the box: without it,
     * only the lifted measure is made. */
    if (!lift_only) {
        /* Both sides together give the band's darkest level: a streak through
         * JPEG blocks and noise varies, and the count inside varies by a few
         * times its square root. */
        long n_ref = va.n + vb.n, tail = 0;
        int level = 255;
        while (level > 0 && tail + va.hist[level] + vb.hist[level] <= ST_BAND_TAIL * n_ref) {
            tail += va.hist[level] + vb.hist[level];
            level--;
        }
        int over = level + ST_BAND_DARKER;
        long beyond_ref = 0, beyond_in = 0;
        for (int v = over + 1; v < 256; v++) {
            beyond_ref += va.hist[v] + vb.hist[v];
            beyond_in += vi.hist[v];
        }
        double samples = ceil(in.w * k) * ceil(in.h * k);
        double expect = vi.n * (beyond_ref / (double)n_ref), excess = beyond_in - expect;
        if (excess >= m->settings.marginal * samples + 3 * sqrt(expect + 1))
            return 1;
    }
    /* The mean only over the inside's core, JPEG rings about the box's
     * outline darken a band along it inside the box where the strips
     * beside have no outline; and bin by bin across the band, as the
     * core may hold more of the band's dark middle than of its edges. */
    st_rect core = {in.x + ST_STREAK_CORE_MM, in.y + ST_STREAK_CORE_MM,
                    in.w - 2 * ST_STREAK_CORE_MM, in.h - 2 * ST_STREAK_CORE_MM};
    if (!lift_only && core.w > 0 && core.h > 0) {
        lift_means lm;
        if (can_lift)
            lighter_means(&sa, &sb, &lm);
        band_ink vc = band_stats(ink, a, k, &core, dx, dy, b, skip, n_skip, NULL,
                                 can_lift ? &lm : NULL);
        double darker = can_lift ? (vc.n_over ? vc.over / vc.n_over : 0)
                                 : (vc.n ? vc.sum / (double)vc.n - ref.sum / (double)ref.n : 0);
        if ((can_lift ? vc.n_over : vc.n) >= ST_STREAK_CORE_MIN && darker > ST_STREAK_HIDDEN)
            return 1;
    }
    if (!can_lift || !band_lift_from(b, &sa, &sb, l))
        return 1; /* nothing to lift it by: people look */
    return 0;
}

#define ST_BAND_ALIKE_DEG 1.0
int st_band_merge(st_band *near, int nb)
{
    double alike = cos(ST_BAND_ALIKE_DEG * M_PI / 180);
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++) {
            st_band bj = near[j];
            double dot = near[i].nx * bj.nx + near[i].ny * bj.ny;
            if (fabs(dot) < alike)
                continue;
            if (dot < 0)
                bj.nx = -bj.nx, bj.ny = -bj.ny, bj.c = -bj.c;
            double lo = fmin(near[i].c - near[i].half, bj.c - bj.half);
            double hi = fmax(near[i].c + near[i].half, bj.c + bj.half);
            if (hi - lo > 2 * (near[i].half + bj.half))
                continue; /* side by side, apart */
            near[i].c = (lo + hi) / 2;
            near[i].half = (hi - lo) / 2;
            near[j--] = near[--nb];
        }
    return nb;
}
