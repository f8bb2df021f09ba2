/* folds.h - folds and creases across the page: paper, not ink
 *
 * A ballot folded in half and scanned flat carries a faint straight line
 * (the crease and its shadow) across most of the page, within a few
 * degrees of either axis. Found on the coarse ink image registration
 * used, each fold is a line in model mm with the half width of its band;
 * st_score_page leaves the band's samples out of every box it crosses.
 */
#ifndef STEMTEL_FOLDS_H
#define STEMTEL_FOLDS_H

#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/model.h"
#include "stemtel/register.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many folds per page are reported. */
#define ST_MAX_FOLDS 4

/* How far from an axis a fold may run, degrees, and the share of the
 * paper's strips along it in which it must be seen. */
#define ST_FOLD_MAX_DEG 4.0
#define ST_FOLD_MIN_SHARE 0.7

/* One fold: its centre line from (x0, y0) to (x1, y1) across the paper
 * and the half width of the band around it that its ink covers, model
 * mm. vertical is 1 for a fold along the model's y axis. */
typedef struct st_fold {
    double x0, y0, x1, y1;
    double half_mm;
    int vertical;
} st_fold;

/* Look for folds on coarse (the shrunken ink image registration used,
 * shrunk by factor from the page's ink) of a page registered by r:
 * straight faint lines, within ST_FOLD_MAX_DEG of the model's x or y
 * axis, that run across at least ST_FOLD_MIN_SHARE of the paper away from
 * the printed boxes, labels and marks (a label where blank, the record of
 * st_score_blank or NULL, says it printed ink). Writes up to max folds to folds
 * and returns how many (0 when there is none). scratch is the caller's
 * reusable image (its pixels are reallocated as needed and owned by the
 * caller). Returns ST_OK or ST_ERR_NOMEM (with err set; *n is then 0).
 * Thread-safe with a scratch per thread. */
int st_folds_find(const st_model *m, const st_registration *r,
                  const double *blank, const st_image *coarse, int factor, st_image *scratch,
                  st_fold *folds, int max, int *n, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
