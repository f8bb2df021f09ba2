/* bands.h - folds and scanner streaks as bands of the page (internal to engine/)
 *
 * A fold or a dark scanner streak lays ink on the page that is not the
 * voter's, along a band. score.c leaves a band's samples out of a box's
 * measure, or measures them with the band's own ink taken out ("lifted");
 * this module holds the bands' geometry and the tests of whether a band
 * may hide a mark, which send such a box to people. Pure functions of
 * their arguments: thread-safe.
 */
#ifndef STEMTEL_ENGINE_BANDS_H
#define STEMTEL_ENGINE_BANDS_H

#include <math.h>

#include "stemtel/score.h"

/* A band of the page in full-resolution px whose ink is not the
 * voter's: the points p with |nx * p.x + ny * p.y - c| < half. */
typedef struct st_band {
    double nx, ny, c, half;
} st_band;

/* What one band alone leaves on paper, by distance across it: the
 * samples of bin q (ST_LIFT_BIN_PX wide, from -half) darker than thr[q]
 * are darker than the band beside the box ever is. */
#define ST_LIFT_BIN_PX 0.5
#define ST_LIFT_BINS 160 /* bands up to 40 px either side */
typedef struct st_band_lift {
    st_band b;
    int n_bins;
    double thr[ST_LIFT_BINS];
} st_band_lift;

/* Sample (px, py)'s bin in band b of n_bins, by the distance across it
 * of its pixel's centre: every sample of one pixel falls in one bin. And
 * the sample's ink v less what the bands of l[0..n_lift) over it put
 * above paper at their distances across them, on paper: where a streak
 * crosses a fold, both. */
static inline int st_band_bin(const st_band *b, int n_bins, double px, double py)
{
    double cx = floor(px) + 0.5, cy = floor(py) + 0.5;
    int q = (int)floor((b->nx * cx + b->ny * cy - b->c + b->half) / ST_LIFT_BIN_PX);
    return q < 0 ? 0 : q >= n_bins ? n_bins - 1 : q;
}

static inline int st_band_lifted(const st_band_lift *l, int n_lift, double px, double py,
                         double paper, int v)
{
    double own = 0; /* what the bands over the sample put above paper */
    int in = 0;
    for (int b = 0; b < n_lift; b++)
        if (fabs(l[b].b.nx * px + l[b].b.ny * py - l[b].b.c) < l[b].b.half) {
            own += l[b].thr[st_band_bin(&l[b].b, l[b].n_bins, px, py)] - paper;
            in = 1;
        }
    if (!in)
        return v;
    double over = v - paper - own;
    return (int)(paper + (over > 0 ? over : 0) + 0.5);
}

/* The fold's band in full-resolution px under a (k px per mm), or 0 if
 * the fold is degenerate. */
int st_band_of_fold(const st_affine *a, double k, const st_fold *f, st_band *out);

/* Whether band b comes near the box rc (model mm) under a: its centre's
 * distance from the band's line is less than the band's half width and
 * the box's half diagonal. */
int st_band_near(const st_affine *a, double k, const st_rect *rc, const st_band *b);

/* Whether ink in box i (located at dx, dy px; k px per mm) lies hidden
 * under band b, a streak or a fold: 1 to send the box to people. The
 * band on the paper just beside the box along it (above and below for a
 * band down the page, left and right for one across) shows what the band
 * alone leaves. Three tests, any of which sends the box to people:
 * - inside the box's inside, no more of its samples may be darker than
 *   the band beside it ever is (its darkest ST_BAND_TAIL, and
 *   ST_BAND_DARKER levels more) than that share predicts, by marginal of
 *   the inside's samples and chance: a light stroke under a dark streak
 *   (ambiguous, for people to see) darkens only the pixels it covers;
 * - nor may the band's mean in the inside's core (ST_STREAK_CORE_MM
 *   within it, clear of the outline's JPEG rings) be darker than on the
 *   lighter side (print may lie in one), distance by distance across
 *   the band, by ST_STREAK_HIDDEN;
 * - and *l gets the band's per-distance thresholds, for
 *   the caller's measure of the box with the bands' own ink taken out
 *   rather than left out (score.c): a short pencil stroke across a
 *   narrow streak lies mostly in the samples the band and its margin
 *   leave out, and darkens too few of the band's to pass the first two.
 * With lift_only (the box has too little strong ink for the first two)
 * only *l is filled. A band that misses the inside hides nothing (0, *l
 * without bins); one without strips to lift it by sends the box to
 * people. Samples in the other bands skip (n_skip of them) are left out. */
int st_band_hides(const st_model *m, const st_image *ink, const st_registration *r, int i,
                  double k, double dx, double dy, const st_band *b, const st_band *skip,
                  int n_skip, int lift_only, st_band_lift *l);

/* Merge the bands of near[0..nb) that run alike (within ST_BAND_ALIKE_DEG)
 * and overlap into one band over both; returns how many are left. A dark
 * streak is often found twice, as a streak's columns and as a fold: two
 * bands over one line, each of which would leave out the other's samples,
 * and with them whatever ink lies under both. */
int st_band_merge(st_band *near, int nb);

#endif
